/* Value tiers, silence stages and the action rule table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/actions.h"

#include <stdio.h>
#include <string.h>

static void value_tiers(void **state)
{
    (void)state;
    const lapse_value_rule rule = LAPSE_VALUE_RULE_INIT;
    assert_int_equal(lapse_value_tier_of(&rule, 10, 3, 250), LAPSE_VALUE_HIGH);
    /* Exactly on each edge still counts: at most 30 days, at least 2 and 200. */
    assert_int_equal(lapse_value_tier_of(&rule, 30, 2, 200), LAPSE_VALUE_HIGH);
    assert_int_equal(lapse_value_tier_of(&rule, 31, 2, 200), LAPSE_VALUE_MEDIUM);
    assert_int_equal(lapse_value_tier_of(&rule, 5, 1, 900), LAPSE_VALUE_MEDIUM);
    assert_int_equal(lapse_value_tier_of(&rule, 5, 4, 199.99), LAPSE_VALUE_MEDIUM);
    assert_int_equal(lapse_value_tier_of(&rule, 5, 0, 0), LAPSE_VALUE_LOW);
    const lapse_value_rule strict = { 7, 5, 1000 };
    assert_int_equal(lapse_value_tier_of(&strict, 10, 3, 250), LAPSE_VALUE_MEDIUM);
    assert_string_equal(lapse_value_tier_name(LAPSE_VALUE_HIGH), "high");
}

static void silence_stages(void **state)
{
    (void)state;
    const lapse_silence_stages stages = LAPSE_SILENCE_STAGES_INIT;
    /* Below 7 days only an at-risk user gets a level. */
    assert_null(lapse_response_level(&stages, 2.9, 0));
    assert_string_equal(lapse_response_level(&stages, 0, 1), "warning");
    assert_string_equal(lapse_response_level(&stages, 6.5, 1), "warning");
    assert_string_equal(lapse_response_level(&stages, 7, 0), "silent-7d");
    assert_string_equal(lapse_response_level(&stages, 7, 1), "silent-7d");
    assert_string_equal(lapse_response_level(&stages, 14, 0), "silent-14d");
    assert_string_equal(lapse_response_level(&stages, 400, 1), "silent-14d");
    const lapse_silence_stages late = { { 3, 7, 14 } };
    assert_null(lapse_response_level(&late, 2, 1));
    assert_string_equal(lapse_response_level(&late, 3, 1), "warning");

    lapse_silence_stages parsed;
    assert_int_equal(lapse_silence_stages_parse(&parsed, "2,5,10"), LAPSE_OK);
    assert_true(parsed.days[0] == 2 && parsed.days[1] == 5 && parsed.days[2] == 10);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "5,2,10"), LAPSE_ERR_ARG);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "0,7,14"), LAPSE_OK);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "2,5"), LAPSE_ERR_ARG);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "2,5,10,"), LAPSE_ERR_ARG);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "-1,5,10"), LAPSE_ERR_ARG);
    assert_int_equal(lapse_silence_stages_parse(&parsed, "a,5,10"), LAPSE_ERR_ARG);
}

static void default_rules(void **state)
{
    (void)state;
    lapse_action_rules *rules = lapse_action_rules_default();
    assert_non_null(rules);
    /* High value beats the segment. */
    assert_string_equal(lapse_action_choose(rules, "price-sensitive", LAPSE_VALUE_HIGH), "phone");
    assert_string_equal(lapse_action_choose(rules, "price-sensitive", LAPSE_VALUE_LOW), "coupon");
    assert_string_equal(lapse_action_choose(rules, "feature-dependent", LAPSE_VALUE_MEDIUM),
                        "push_feature");
    assert_string_equal(lapse_action_choose(rules, "social-driven", LAPSE_VALUE_LOW),
                        "community");
    assert_string_equal(lapse_action_choose(rules, "mixed-1", LAPSE_VALUE_MEDIUM), "sms_email");
    /* A model without segments puts everyone in "none": the '*' rows decide. */
    assert_string_equal(lapse_action_choose(rules, "none", LAPSE_VALUE_MEDIUM), "sms_email");
    assert_string_equal(lapse_action_choose(rules, "none", LAPSE_VALUE_HIGH), "phone");
    lapse_action_rules_free(rules);
    lapse_action_rules_free(NULL);
}

static void rules_file(void **state)
{
    (void)state;
    const char *path = test_write_text("rules_ok.csv", "segment,value,action\n"
                                                  "social-driven,high,phone\n"
                                                  "mixed-12,*,none\n"
                                                  "mixed,*,push_feature\n"
                                                  "none,medium,coupon\n"
                                                  "\"*\",low,sms_email\n");
    lapse_action_rules *rules = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_action_rules_load(&rules, path, &err), LAPSE_OK);
    assert_string_equal(lapse_action_choose(rules, "social-driven", LAPSE_VALUE_HIGH), "phone");
    assert_string_equal(lapse_action_choose(rules, "mixed-12", LAPSE_VALUE_LOW), "none");
    assert_string_equal(lapse_action_choose(rules, "mixed", LAPSE_VALUE_LOW), "push_feature");
    assert_string_equal(lapse_action_choose(rules, "none", LAPSE_VALUE_MEDIUM), "coupon");
    assert_string_equal(lapse_action_choose(rules, "price-sensitive", LAPSE_VALUE_LOW),
                        "sms_email");
    assert_string_equal(lapse_action_choose(rules, "price-sensitive", LAPSE_VALUE_HIGH), "none");
    lapse_action_rules_free(rules);
}

static void expect_error(const char *text, int line, int column, const char *needle)
{
    const char *path = test_write_text("rules_bad.csv", text);
    lapse_action_rules *rules = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_action_rules_load(&rules, path, &err), LAPSE_ERR_FORMAT);
    assert_null(rules);
    test_expect_location(&err, line, column, needle);
}

static void rules_file_errors(void **state)
{
    (void)state;
    expect_error("seg,value,action\n*,*,sms\n", 1, 1, "header");
    expect_error("segment,value,action\n*,gold,sms_email\n", 2, 2, "low, medium, high");
    expect_error("segment,value,action\n*,*\n", 2, 3, "3 fields");
    expect_error("segment,value,action\n*,*,sms,extra\n", 2, 4, "3 fields");
    expect_error("segment,value,action\n", 2, 0, "at least one rule");
    expect_error("segment,value,action\n*,,sms\n", 2, 2, "1 to 63 bytes");
    /* Names a model never gives, or campaign plan cannot send. */
    expect_error("segment,value,action\n*,*,sms_email\nprice-sensitiv,*,coupon\n", 3, 1,
                 "unknown segment \"price-sensitiv\" (expected price-sensitive, "
                 "feature-dependent, social-driven, mixed-1, mixed-2, ... or *)");
    expect_error("segment,value,action\nmixed-0,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\nmixed-1x,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\nPrice-Sensitive,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\n*,High,phone\n", 2, 2, "low, medium, high or *");
    expect_error("segment,value,action\nsocial-driven,*,comunity\n", 2, 3,
                 "unknown action \"comunity\" (expected sms_email, push_feature, coupon, phone, "
                 "community or none)");
    expect_error("segment,value,action\n*,*,sms\n", 2, 3, "unknown action");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(value_tiers),  cmocka_unit_test(silence_stages),
        cmocka_unit_test(default_rules), cmocka_unit_test(rules_file),
        cmocka_unit_test(rules_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
