/* The exact decimal fast path (src/base/numparse.h): where it decides, the
 * same double as strtod, bit for bit; what it leaves to strtod, left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "numparse.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

/* Parses text both ways; returns whether the fast path decided, failing
 * the test if it decided differently from strtod. */
static int same_as_strtod(const char *text)
{
    double fast = 12345.0;
    const int decided = lapse_numparse_decimal(text, strlen(text), &fast);
    if (!decided) {
        assert_true(fast == 12345.0); /* untouched */
        return 0;
    }
    char *end;
    const double slow = strtod(text, &end);
    if (end != text + strlen(text) || bits_of(fast) != bits_of(slow))
        fail_msg("\"%s\": fast path %.17g (%016llx), strtod %.17g (%016llx) ending at %td", text,
                 fast, (unsigned long long)bits_of(fast), slow, (unsigned long long)bits_of(slow),
                 end - text);
    return 1;
}

static void decides_plain_decimals_exactly(void **state)
{
    (void)state;
    const char *decided[] = {
        "0", "-0", "+0", "0.0", "-0.000", "1", "-1", "+7", "1.", ".5", "-.5", "+.25", "007",
        "12345678", "0.1", "0.2", "0.30000000000000004", "0.33333333333333331", "8.7599999999999998",
        "-0.20000000000000001", "0.008492569002123142", "17.333333333333332", "1e22", "1e-22",
        "1E5", "2.5e-08", "1.0000000000000001e-05", "123456.78000000001", "9007199254740992",
        "9007199254740993", /* a tie between 2^53 and 2^53 + 2: to even */
        "9007199254740995", "9007199254740993.0000", "9223372036854775807", "12345678901234567890", "100000000000000000000000",
        "0.10000000000000000000000", "-1000.000e-3",
        "1234567890123456789", "0.1234567890123456789", "1e23", "1e30",
        "4.35", "0.000123", "1e-5", "5e-324e", /* not plain: left (checked below) */
    };
    for (size_t i = 0; i + 1 < sizeof decided / sizeof *decided; i++)
        if (!same_as_strtod(decided[i]))
            fail_msg("\"%s\" left to strtod", decided[i]);
}

static void leaves_the_rest(void **state)
{
    (void)state;
    /* Not plain decimals, or beyond what it checks: strtod decides (and,
     * for the table, the character check before it). */
    const char *left[] = {
        "", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-", "--1", "+-1", "1.2.3", "1e5.5",
        " 1", "1 ", "0x10", "inf", "nan", "1,5", "12345678901234567891", /* 20 digits */
        "0.12345678901234567891", "1e400", "1e-400", "4.9e-324", "2.2250738585072011e-308",
        "1.7976931348623159e308", "1e-30", "8.98846567431158e307", "1e38",
    };
    for (size_t i = 0; i < sizeof left / sizeof *left; i++)
        if (same_as_strtod(left[i]))
            fail_msg("\"%s\" decided by the fast path", left[i]);
}

/* Every length may be a prefix of a longer buffer: len, not the NUL, ends it. */
static void reads_len_bytes(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(lapse_numparse_decimal("12.5,7", 4, &v), 1);
    assert_true(v == 12.5);
    assert_int_equal(lapse_numparse_decimal("12.5,7", 6, &v), 0);
}

/* Random doubles written as tables and programs write them: %.17g (lapse's
 * own), %.15g, %.6g, %.3e and fixed decimals; and random digit strings. */
static void random_values_match_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char text[64];
    int decided = 0, total = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        switch (i % 3) {
        case 0: v = (double)(x >> 11) / 9007199254740992.0 * pow(10, (int)(x % 13) - 6); break;
        case 1: v = (double)(int64_t)(x >> 20) / 1000.0; break;
        default: {
            const uint64_t b = x & 0x7fefffffffffffffull; /* finite, any exponent */
            memcpy(&v, &b, sizeof v);
        }
        }
        static const char *const formats[] = { "%.17g", "%.15g", "%.6g", "%.3e", "%.4f", "%.16g" };
        snprintf(text, sizeof text, formats[i % 6], v);
        decided += same_as_strtod(text);
        total++;
        /* A digit string with a point and an exponent placed by the bits. */
        const int n = 1 + (int)(x % 19), point = (int)((x >> 8) % (uint64_t)(n + 1));
        int k = 0;
        for (int d = 0; d < n; d++) {
            if (d == point)
                text[k++] = '.';
            text[k++] = (char)('0' + (x >> (2 * d)) % 10);
        }
        if (x & 1)
            k += snprintf(text + k, 12, "e%d", (int)((x >> 40) % 61) - 30);
        text[k] = '\0';
        decided += same_as_strtod(text);
        total++;
    }
    /* The fast path is for nearly everything a table holds. */
    assert_true(decided > total * 3 / 4);
}

/* Mantissas above 2^53 with 0 to 22 digits after the point, the
 * shortest forms of doubles that tables are full of (Eisel-Lemire's
 * range): every odd integer in [2^53, 2^54) lies halfway between two
 * doubles (ties to even), and 17- to 19-digit fractions near 1. */
static void long_mantissas_match_strtod(void **state)
{
    (void)state;
    uint64_t x = 0x2545f4914f6cdd1dull;
    char text[64];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(text, sizeof text, "%llu", (unsigned long long)((1ull << 53) + (x >> 11)));
        assert_true(same_as_strtod(text));
        const uint64_t m = (1ull << 53) + x % (10000000000000000000ull - (1ull << 53));
        char digits[24];
        const int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)m);
        const int after = (int)((x >> 3) % 23); /* digits after the point */
        if (after < n)
            snprintf(text, sizeof text, "%.*s.%s", n - after, digits, digits + n - after);
        else
            snprintf(text, sizeof text, "0.%0*d%s", after - n, 0, digits);
        if (after - n == 0)
            snprintf(text, sizeof text, "0.%s", digits);
        assert_true(same_as_strtod(text));
    }
    static const char *const shortest[] = { "0.45454545454545453", "0.15789473684210525",
                                            "17.333333333333332", "0.5983211225424634",
                                            "9007199254740993", "9223372036854775807" };
    for (size_t i = 0; i < sizeof shortest / sizeof *shortest; i++)
        assert_true(same_as_strtod(shortest[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decides_plain_decimals_exactly),
        cmocka_unit_test(leaves_the_rest),
        cmocka_unit_test(reads_len_bytes),
        cmocka_unit_test(random_values_match_strtod),
        cmocka_unit_test(long_mantissas_match_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
