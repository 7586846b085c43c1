/* The float policy of the outputs programs read: the shortest decimal that
 * reads back to the same double, and the JSON writer that uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/jsonout.h"
#include "lapse/numtext.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(double v, const char *want)
{
    char buf[LAPSE_NUMTEXT_MAX];
    const size_t len = lapse_numtext_double(buf, v);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}

static void shortest_known_values(void **state)
{
    (void)state;
    check(0.1, "0.1");         /* %.17g would say 0.10000000000000001 */
    check(136.7, "136.7");     /* %.17g: 136.69999999999999 */
    check(5.0 / 6.0, "0.8333333333333334"); /* needs 16 digits */
    check(0.1 + 0.2, "0.30000000000000004"); /* needs 17 */
    check(0, "0");
    check(-0.0, "-0");
    check(1e300, "1e+300");
    check(-2.5e-8, "-2.5e-08");
    check(DBL_MAX, "1.7976931348623157e+308");
    check(DBL_TRUE_MIN, "4.94065645841247e-324"); /* subnormal: 15 digits read back */
    check(123456789012, "123456789012");
}

static void non_finite_has_no_decimal(void **state)
{
    (void)state;
    check(NAN, "");
    check(INFINITY, "");
    check(-INFINITY, "");
}

/* Every value of a pseudo-random sweep over bit patterns reads back to the
 * same bits, and one digit fewer than written would not (so it is the
 * shortest of the 15/16/17 the policy tries). */
static void round_trips_bits(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (!isfinite(v))
            continue;
        char buf[LAPSE_NUMTEXT_MAX];
        assert_true(lapse_numtext_double(buf, v) > 0);
        const double back = strtod(buf, NULL);
        assert_memory_equal(&back, &v, sizeof v);
        char shorter[LAPSE_NUMTEXT_MAX];
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(shorter, sizeof shorter, "%.*g", digits, v);
            if (strtod(shorter, NULL) == v) {
                assert_string_equal(buf, shorter);
                break;
            }
        }
    }
}

static char *write_to_string(lapse_json *json, int *status)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    *status = lapse_json_write(json, out, "test.json", &err);
    fclose(out);
    return text;
}

static void json_document(void **state)
{
    (void)state;
    lapse_json *json = lapse_json_new();
    assert_non_null(json);
    lapse_json_object_open(json);
    lapse_json_member_string(json, "name", "a \"quoted\"\nline");
    lapse_json_member_double(json, "p", 0.1);
    lapse_json_member_double(json, "nan", NAN);
    lapse_json_member_uint(json, "big", UINT64_MAX);
    lapse_json_member_int(json, "neg", -3);
    lapse_json_member_bool(json, "yes", 1);
    lapse_json_key(json, "list");
    lapse_json_array_open(json);
    lapse_json_double(json, 136.7);
    lapse_json_null(json);
    lapse_json_array_close(json);
    lapse_json_object_close(json);
    int status;
    char *text = write_to_string(json, &status);
    assert_int_equal(status, LAPSE_OK);
    assert_string_equal(text, "{\n"
                              "  \"name\": \"a \\\"quoted\\\"\\nline\",\n"
                              "  \"p\": 0.1,\n"
                              "  \"nan\": null,\n"
                              "  \"big\": 18446744073709551615,\n"
                              "  \"neg\": -3,\n"
                              "  \"yes\": true,\n"
                              "  \"list\": [\n"
                              "    136.7,\n"
                              "    null\n"
                              "  ]\n"
                              "}\n");
    free(text);
    lapse_json_free(json);
}

static void json_refuses_bad_documents(void **state)
{
    (void)state;
    lapse_json *json = lapse_json_new();
    lapse_json_object_open(json); /* never closed */
    int status;
    free(write_to_string(json, &status));
    assert_int_equal(status, LAPSE_ERR_ARG);
    lapse_json_free(json);

    json = lapse_json_new();
    lapse_json_object_open(json);
    lapse_json_member_string(json, "name", "\xff\xfe not UTF-8");
    lapse_json_object_close(json);
    free(write_to_string(json, &status));
    assert_int_equal(status, LAPSE_ERR_FORMAT);
    lapse_json_free(json);
}

/* The doubles the fast paths are checked on: random doubles of every
 * magnitude, doubles with few significant bits (whose decimals are short or
 * end in an exact tie), whole numbers, and a fixed list of edges. */
static double test_value(int i, uint64_t *x)
{
    static const double fixed[] = { 0, -0.0, 1, -1, 0.5, 0.1, 1e-6, 9.9999999999999995e-7, 1e-5,
                                    1e-4, 0.00010000000000000001, 1e14, 1e15, 1e16, 1e17,
                                    99999999999999999.0, 999999999999999.9, 99999999999999.99,
                                    9007199254740991, 9007199254740992, 4503599627370495.5,
                                    0.99999999999999989, 1 - 1e-17, 123456.78900000001, 136.7,
                                    0.30000000000000004, NAN, INFINITY, -INFINITY, DBL_MAX,
                                    DBL_MIN, DBL_TRUE_MIN };
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    double v;
    if (i < (int)(sizeof fixed / sizeof *fixed)) {
        v = fixed[i];
    } else if (i % 3 == 0) {
        const uint64_t b = *x & 0xffefffffffffffffull; /* finite */
        memcpy(&v, &b, sizeof v);
    } else if (i % 3 == 1) {
        v = ldexp((double)(*x >> (11 + *x % 40)), -(int)((*x >> 8) % 90)); /* few bits */
    } else {
        v = (double)(*x >> 11) / 9007199254740992.0 * pow(10, (int)(*x % 26) - 8);
    }
    return v;
}

/* lapse_numtext_double is the first of snprintf's %.15g, %.16g and %.17g
 * that strtod reads back to the same bits, though it asks neither. */
static void shortest_as_snprintf(void **state)
{
    (void)state;
    uint64_t x = 2463534242ull;
    char fast[LAPSE_NUMTEXT_MAX], slow[LAPSE_NUMTEXT_MAX];
    for (int i = 0; i < 600000; i++) {
        const double v = test_value(i, &x);
        const size_t len = lapse_numtext_double(fast, v);
        slow[0] = '\0';
        for (int digits = 15; isfinite(v) && digits <= 17; digits++) {
            snprintf(slow, sizeof slow, "%.*g", digits, v);
            const double r = strtod(slow, NULL);
            if (r == v && signbit(r) == signbit(v))
                break;
        }
        if (strcmp(fast, slow) != 0 || len != strlen(slow))
            fail_msg("%a: \"%s\" where snprintf gives \"%s\"", v, fast, slow);
    }
}

/* lapse_numtext_cents writes what snprintf's %.2f writes: the sweep of
 * shortest_as_snprintf below 1e15, and money with ties at the half cent
 * (k * 0.005, some of them exact binary halves: 0.125 gives 0.12). */
static void cents_as_snprintf(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ull;
    char fast[LAPSE_NUMTEXT_MAX], slow[64];
    for (int i = 0; i < 600000; i++) {
        double v = test_value(i, &x);
        if (i % 2)
            v = (double)(int64_t)(x % 2000001 - 1000000) * 0.005;
        if (!isfinite(v) || fabs(v) >= 1e15)
            continue;
        const size_t len = lapse_numtext_cents(fast, v);
        snprintf(slow, sizeof slow, "%.2f", v);
        if (strcmp(fast, slow) != 0 || len != strlen(slow))
            fail_msg("%a: \"%s\" where snprintf gives \"%s\"", v, fast, slow);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shortest_as_snprintf),
        cmocka_unit_test(shortest_known_values),
        cmocka_unit_test(cents_as_snprintf),
        cmocka_unit_test(non_finite_has_no_decimal),
        cmocka_unit_test(round_trips_bits),
        cmocka_unit_test(json_document),
        cmocka_unit_test(json_refuses_bad_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
