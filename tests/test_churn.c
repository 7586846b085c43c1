/* The churn definition's comparison and its test of activity at a snapshot
 * (presets, keys and validation are in test_schema.c with the meta line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/churn.h"

static void diff_names_the_first_field_in_meta_line_order(void **state)
{
    (void)state;
    const lapse_churn_def base = LAPSE_CHURN_DEF_INIT;
    lapse_churn_def other = base;
    assert_int_equal(lapse_churn_diff(&base, &other), LAPSE_CHURN_SAME);
    assert_null(lapse_churn_field_name(LAPSE_CHURN_SAME));
    assert_true(lapse_churn_equal(&base, &other));

    other.cancel_is_churn = 1;
    assert_int_equal(lapse_churn_diff(&base, &other), LAPSE_CHURN_KIND);
    assert_string_equal(lapse_churn_field_name(LAPSE_CHURN_KIND), "churn");
    assert_false(lapse_churn_equal(&base, &other));
    other.horizon_days = 14;
    assert_int_equal(lapse_churn_diff(&base, &other), LAPSE_CHURN_HORIZON);
    assert_string_equal(lapse_churn_field_name(LAPSE_CHURN_HORIZON), "horizon");
    other.silent_days = 7;
    assert_int_equal(lapse_churn_diff(&base, &other), LAPSE_CHURN_SILENT_DAYS);
    assert_string_equal(lapse_churn_field_name(LAPSE_CHURN_SILENT_DAYS), "silent_days");
    other.key_mask |= 1u << LAPSE_CAT_PURCHASE;
    assert_int_equal(lapse_churn_diff(&base, &other), LAPSE_CHURN_KEY);
    assert_int_equal(lapse_churn_diff(&other, &base), LAPSE_CHURN_KEY);
    assert_string_equal(lapse_churn_field_name(LAPSE_CHURN_KEY), "key");
}

static void active_means_a_key_event_in_the_silent_days(void **state)
{
    (void)state;
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    def.silent_days = 30;
    const int64_t asof = 20500; /* days since 1970 */
    assert_true(lapse_churn_active(&def, asof - 1, asof));
    assert_true(lapse_churn_active(&def, asof - 30, asof)); /* the window's first day */
    assert_false(lapse_churn_active(&def, asof - 31, asof));
    assert_false(lapse_churn_active(&def, LAPSE_CHURN_NEVER, asof));
    /* Any day count will do: days from the start of a log, from day 0. */
    def.silent_days = 7;
    assert_true(lapse_churn_active(&def, 0, 7));
    assert_false(lapse_churn_active(&def, 0, 8));
    assert_false(lapse_churn_active(&def, LAPSE_CHURN_NEVER, 0));
}

static void cancelled_means_a_cancel_not_followed_by_a_purchase(void **state)
{
    (void)state;
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    assert_int_equal(lapse_churn_preset(&def, "subscription"), LAPSE_OK);
    const int64_t never = LAPSE_CHURN_NEVER;
    assert_true(lapse_churn_cancelled(&def, 100, never));
    assert_true(lapse_churn_cancelled(&def, 100, 99));
    assert_true(lapse_churn_cancelled(&def, 100, 100)); /* the same day: still cancelled */
    assert_false(lapse_churn_cancelled(&def, 100, 101)); /* subscribed again */
    assert_false(lapse_churn_cancelled(&def, never, 100));
    assert_false(lapse_churn_cancelled(&def, never, never));
    def.cancel_is_churn = 0; /* churn by silence: a cancel changes nothing */
    assert_false(lapse_churn_cancelled(&def, 100, never));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(diff_names_the_first_field_in_meta_line_order),
        cmocka_unit_test(active_means_a_key_event_in_the_silent_days),
        cmocka_unit_test(cancelled_means_a_cancel_not_followed_by_a_purchase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
