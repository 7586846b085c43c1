/* Every timestamp form the event-log format allows, and the ones it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/error.h"
#include "lapse/timeparse.h"

#include <string.h>

static int64_t parse_ok(const char *text)
{
    int64_t value = -12345;
    const int status = lapse_time_parse(&value, text, strlen(text));
    if (status != LAPSE_OK)
        fail_msg("\"%s\" did not parse: %s", text, lapse_status_str(status));
    return value;
}

static int parse_status(const char *text)
{
    int64_t value = 0;
    return lapse_time_parse(&value, text, strlen(text));
}

/* 2026-11-23T00:00:00Z, worked out: 20780 days after 1970-01-01. */
#define NOV23 INT64_C(1795392000)

static void unix_seconds_and_millis(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0"), 0);
    assert_int_equal(parse_ok("1795392000"), NOV23);
    assert_int_equal(parse_ok("1795392000999"), NOV23); /* ms round down */
    assert_int_equal(parse_ok("1795392001000"), NOV23 + 1);
    assert_int_equal(parse_ok("86400"), 86400);
    /* Eight digits that are not a plausible date are seconds. */
    assert_int_equal(parse_ok("12345678"), 12345678);
}

static void dates(void **state)
{
    (void)state;
    assert_int_equal(lapse_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(lapse_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(parse_ok("2026-11-23"), NOV23);
    assert_int_equal(parse_ok("20261123"), NOV23);
    assert_int_equal(parse_ok("2024-02-29"), INT64_C(1709164800));
    assert_int_equal(parse_ok("1970-01-01"), 0);
}

static void iso_datetimes(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("2026-11-23T08:30"), NOV23 + 8 * 3600 + 30 * 60);
    assert_int_equal(parse_ok("2026-11-23T08:30:15"), NOV23 + 8 * 3600 + 30 * 60 + 15);
    assert_int_equal(parse_ok("2026-11-23 08:30:15"), NOV23 + 8 * 3600 + 30 * 60 + 15);
    assert_int_equal(parse_ok("2026-11-23T08:30:15Z"), NOV23 + 8 * 3600 + 30 * 60 + 15);
    assert_int_equal(parse_ok("2026-11-23T08:30:15.999Z"), NOV23 + 8 * 3600 + 30 * 60 + 15);
    assert_int_equal(parse_ok("2026-11-23T08:30:15,5"), NOV23 + 8 * 3600 + 30 * 60 + 15);
    /* Offsets: local 08:30 at +02:00 is 06:30 UTC; at -05:30 it is 14:00 UTC. */
    assert_int_equal(parse_ok("2026-11-23T08:30:00+02:00"), NOV23 + 6 * 3600 + 30 * 60);
    assert_int_equal(parse_ok("2026-11-23T08:30:00+0200"), NOV23 + 6 * 3600 + 30 * 60);
    assert_int_equal(parse_ok("2026-11-23T08:30:00-05:30"), NOV23 + 14 * 3600);
    /* An offset can move the stamp across midnight. */
    assert_int_equal(parse_ok("2026-11-23T01:00:00+03:00"), NOV23 - 2 * 3600);
    assert_int_equal(parse_ok("2026-11-23T24:00:00"), NOV23 + 86400);
    assert_int_equal(parse_ok("2026-11-23T23:59:60Z"), NOV23 + 86399);
}

static void refused(void **state)
{
    (void)state;
    const char *malformed[] = {
        "",           "abc",         "2026-13-01",          "2026-02-30",
        "2023-02-29", "2026-11-23T", "2026-11-23T8:30",     "2026-11-23T08:61",
        "2026-11-23T25:00", "2026-11-23T08:30:15.", "2026-11-23T08:30+2", "2026/11/23",
        " 2026-11-23", "2026-11-23 ", "1.5e9",   "-",       "2026-11-23T08:30:00Zjunk",
        "20261323x",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        if (parse_status(malformed[i]) != LAPSE_ERR_FORMAT)
            fail_msg("\"%s\" should be malformed", malformed[i]);
    /* Before 1970, at or after 2200, or too many digits: out of range. */
    assert_int_equal(parse_status("1969-12-31"), LAPSE_ERR_RANGE);
    assert_int_equal(parse_status("1970-01-01T00:30:00+01:00"), LAPSE_ERR_RANGE);
    assert_int_equal(parse_status("2200-01-01"), LAPSE_ERR_RANGE);
    assert_int_equal(parse_status("99999999999999"), LAPSE_ERR_RANGE);
    assert_int_equal(parse_status("7258118400"), LAPSE_ERR_RANGE);
}

static void date_only_parser(void **state)
{
    (void)state;
    int64_t value;
    assert_int_equal(lapse_date_parse(&value, "2026-11-23", 10), LAPSE_OK);
    assert_int_equal(value, NOV23);
    assert_int_equal(lapse_date_parse(&value, "20261123", 8), LAPSE_OK);
    assert_int_equal(value, NOV23);
    assert_int_equal(lapse_date_parse(&value, "1795392000", 10), LAPSE_ERR_FORMAT);
    assert_int_equal(lapse_date_parse(&value, "2026-11-23T00:00", 16), LAPSE_ERR_FORMAT);
    assert_int_equal(lapse_date_parse(&value, "2026-02-29", 10), LAPSE_ERR_FORMAT);
}

static void formatting_round_trips(void **state)
{
    (void)state;
    char buf[32];
    lapse_time_format_date(buf, NOV23 + 3600);
    assert_string_equal(buf, "2026-11-23");
    lapse_time_format_iso(buf, NOV23 + 8 * 3600 + 30 * 60 + 15);
    assert_string_equal(buf, "2026-11-23T08:30:15Z");
    /* Every day lapse accepts survives format -> parse. */
    for (int64_t day = 0; day < LAPSE_TIME_MAX / 86400; day += 7) {
        lapse_time_format_date(buf, day * 86400);
        assert_int_equal(parse_ok(buf), day * 86400);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unix_seconds_and_millis), cmocka_unit_test(dates),
        cmocka_unit_test(iso_datetimes),           cmocka_unit_test(refused),
        cmocka_unit_test(date_only_parser),        cmocka_unit_test(formatting_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
