/* One field as a number, as every reader of lapse checks it: whole, finite,
 * decimal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fieldnum.h"

#include <float.h>
#include <math.h>
#include <string.h>

static double read_ok(const char *text)
{
    double v = NAN;
    assert_int_equal(lapse_field_number(text, strlen(text), &v), 0);
    return v;
}

static void refused(const char *text, size_t len)
{
    double v = 42;
    assert_int_equal(lapse_field_number(text, len, &v), -1);
    assert_true(v == 42); /* untouched */
}

static void decimals_read_exactly(void **state)
{
    (void)state;
    assert_true(read_ok("0.1") == 0.1);
    assert_true(read_ok("-2.5e-8") == -2.5e-8);
    assert_true(read_ok("+7") == 7);
    assert_true(read_ok(".5") == 0.5);
    assert_true(read_ok("1E3") == 1000);
    assert_true(read_ok("1.7976931348623157e308") == DBL_MAX);
    assert_true(read_ok("1e-999") == 0); /* underflow reads as 0, not refused */
}

static void non_numbers_refused(void **state)
{
    (void)state;
    const char *bad[] = { "", " 1", "1 ", "1x", "0x10", "inf", "nan", "-", ".", "1e999",
                          "1,5", "e5", "--1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(bad[i], strlen(bad[i]));
    refused("12\0" "3", 4);     /* a NUL inside the field */
    char longest[LAPSE_FIELDNUM_MAX + 2];
    memset(longest, '1', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    refused(longest, LAPSE_FIELDNUM_MAX + 1);
    assert_true(read_ok(longest + 1) > 1e62); /* LAPSE_FIELDNUM_MAX digits still read */
}

static void reads_only_len_bytes(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(lapse_field_number("12,34", 2, &v), 0); /* a field in a line */
    assert_true(v == 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimals_read_exactly),
        cmocka_unit_test(non_numbers_refused),
        cmocka_unit_test(reads_only_len_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
