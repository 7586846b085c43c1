/* Fuzz target: the exact decimal fast path (src/base/numparse.h) against
 * strtod.
 *
 * The input is the text, as it is; and its first 8 bytes, read as a
 * double, are written with %.17g, %.16g, %.15g and %.6e and parsed again.
 * Wherever the fast path decides, strtod must read the whole text to the
 * same double, bit for bit (the sign of zero included). */
#include "numparse.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *text, size_t len)
{
    double fast;
    if (!lapse_numparse_decimal(text, len, &fast))
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        abort();
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *end;
    const double slow = strtod(copy, &end);
    if (end != copy + len || memcmp(&fast, &slow, sizeof fast) != 0) {
        fprintf(stderr, "\"%s\": fast %.17g, strtod %.17g\n", copy, fast, slow);
        abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check((const char *)data, size);
    if (size >= 8) {
        double v;
        memcpy(&v, data, sizeof v);
        if (isfinite(v)) {
            static const char *const formats[] = { "%.17g", "%.16g", "%.15g", "%.6e" };
            char text[64];
            for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
                const int len = snprintf(text, sizeof text, formats[i], v);
                check(text, (size_t)len);
            }
        }
    }
    return 0;
}
