#include "fieldnum.h"

#include "numparse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int lapse_field_number(const char *text, size_t len, double *out)
{
    /* Plain decimals, nearly every number a file holds, take the exact
     * fast path; the rest go to strtod. */
    if (lapse_numparse_decimal(text, len, out))
        return 0;
    char buf[LAPSE_FIELDNUM_MAX + 1];
    if (len == 0 || len > LAPSE_FIELDNUM_MAX)
        return -1;
    /* The character check keeps out what strtod would also take: hex, inf,
     * nan, leading spaces. */
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
              c == '-'))
            return -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    const double v = strtod(buf, &end);
    /* Overflow gives inf (refused); underflow a tiny finite value (kept). */
    if (end != buf + len || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}
