#include "finite.h"

#include <math.h>

int lapse_check_finite(const double *x, size_t n, size_t d, lapse_error *err)
{
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(x[i]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "value in row %zu, column %zu is not finite", i / d + 1,
                                   i % d + 1);
    return LAPSE_OK;
}
