/* The shortest round-trip decimal of a double (numtext.h). */
#include "lapse/numtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lapse_numtext_double(char buf[LAPSE_NUMTEXT_MAX], double v)
{
    buf[0] = '\0';
    if (!isfinite(v))
        return 0;
    /* %g drops trailing zeros, so %.15g is already as short as the value
     * allows when 15 digits are enough; 17 are enough for every double. */
    int len = 0;
    for (int digits = 15; digits <= 17; digits++) {
        len = snprintf(buf, LAPSE_NUMTEXT_MAX, "%.*g", digits, v);
        if (strtod(buf, NULL) == v && signbit(strtod(buf, NULL)) == signbit(v))
            break;
    }
    return (size_t)len;
}
