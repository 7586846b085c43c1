/* cmocka compares floats only as float; the learning tests need doubles. */
#ifndef LAPSE_TEST_LEARN_ASSERT_H
#define LAPSE_TEST_LEARN_ASSERT_H

#include <math.h>

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        const double a_ = (a), b_ = (b);                                                           \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%s = %.17g, expected %.17g (tolerance %g)", #a, a_, b_, (double)(tol));      \
    } while (0)

#endif
