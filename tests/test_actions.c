/* Value tiers, silence stages, warning triggers and the action rule table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/actions.h"
#include "lapse/features.h"
#include "lapse/triggers.h"

#include <math.h>
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
    assert_string_equal(lapse_action_choose(rules, -1, "price-sensitive", LAPSE_VALUE_HIGH), "phone");
    assert_string_equal(lapse_action_choose(rules, -1, "price-sensitive", LAPSE_VALUE_LOW), "coupon");
    assert_string_equal(lapse_action_choose(rules, -1, "feature-dependent", LAPSE_VALUE_MEDIUM),
                        "push_feature");
    assert_string_equal(lapse_action_choose(rules, -1, "social-driven", LAPSE_VALUE_LOW),
                        "community");
    assert_string_equal(lapse_action_choose(rules, -1, "mixed-1", LAPSE_VALUE_MEDIUM), "sms_email");
    /* A model without segments puts everyone in "none": the '*' rows decide. */
    assert_string_equal(lapse_action_choose(rules, -1, "none", LAPSE_VALUE_MEDIUM), "sms_email");
    assert_string_equal(lapse_action_choose(rules, -1, "none", LAPSE_VALUE_HIGH), "phone");
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
    assert_string_equal(lapse_action_choose(rules, -1, "social-driven", LAPSE_VALUE_HIGH), "phone");
    assert_string_equal(lapse_action_choose(rules, -1, "mixed-12", LAPSE_VALUE_LOW), "none");
    assert_string_equal(lapse_action_choose(rules, -1, "mixed", LAPSE_VALUE_LOW), "push_feature");
    assert_string_equal(lapse_action_choose(rules, -1, "none", LAPSE_VALUE_MEDIUM), "coupon");
    assert_string_equal(lapse_action_choose(rules, -1, "price-sensitive", LAPSE_VALUE_LOW),
                        "sms_email");
    assert_string_equal(lapse_action_choose(rules, -1, "price-sensitive", LAPSE_VALUE_HIGH), "none");
    lapse_action_rules_free(rules);
}

/* With a channels file's table, the rules name its channels, and only those. */
static void rules_file_channels(void **state)
{
    (void)state;
    lapse_channel_table table;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *channels = test_write_text("rules_channels.csv",
                                           "name,cost,uplift,condition,capacity\n"
                                           "vip_call,3,0.2,,10\nsms,0.03,0.02,,\n");
    assert_int_equal(lapse_channel_table_load(&table, channels, &err), LAPSE_OK);
    const char *path = test_write_text("rules_own.csv", "segment,value,action\n"
                                                    "*,high,vip_call\n*,*,sms\n");
    lapse_action_rules *rules = NULL;
    assert_int_equal(lapse_action_rules_load(&rules, path, &err), LAPSE_ERR_FORMAT);
    test_expect_location(&err, 2, 3, "unknown action \"vip_call\"");
    assert_int_equal(lapse_action_rules_load_channels(&rules, path, &table, &err), LAPSE_OK);
    assert_string_equal(lapse_action_choose(rules, -1, "mixed", LAPSE_VALUE_HIGH), "vip_call");
    assert_string_equal(lapse_action_choose(rules, -1, "mixed", LAPSE_VALUE_LOW), "sms");
    lapse_action_rules_free(rules);
    rules = NULL;
    path = test_write_text("rules_own_bad.csv", "segment,value,action\n*,*,phone\n");
    err = (lapse_error)LAPSE_ERROR_INIT;
    assert_int_equal(lapse_action_rules_load_channels(&rules, path, &table, &err),
                     LAPSE_ERR_FORMAT);
    assert_null(rules);
    test_expect_location(&err, 2, 3, "expected a channel: vip_call, sms; or none");
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
                 "feature-dependent, social-driven, mixed, mixed-1, mixed-2, ..., none or *)");
    expect_error("segment,value,action\nmixed-0,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\nmixed-1x,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\nPrice-Sensitive,*,coupon\n", 2, 1, "unknown segment");
    expect_error("segment,value,action\n*,High,phone\n", 2, 2, "low, medium, high or *");
    expect_error("segment,value,action\nsocial-driven,*,comunity\n", 2, 3,
                 "unknown action \"comunity\" (expected a channel: sms_email, push_feature, "
                 "coupon, phone, community, sms, email");
    expect_error("segment,value,action\n*,*,fax\n", 2, 3, "unknown action");
    /* With a trigger column: each name checked, in its column. */
    expect_error("trigger,segment,value,action\nlogin_fell,*,*,in_app\n", 2, 1,
                 "unknown trigger \"login_fell\" (expected payment_stopped, social_gone, "
                 "login_falling, core_falling, device_changed, depth_falling, spend_falling, "
                 "none or *)");
    expect_error("trigger,segment,value,action\n*,social,*,community\n", 2, 2,
                 "unknown segment \"social\"");
    expect_error("trigger,segment,value,action\n*,*,top,community\n", 2, 3, "value must be");
    expect_error("trigger,segment,value,action\n*,*,*,fax\n", 2, 4, "unknown action \"fax\"");
    expect_error("trigger,segment,value,action\n*,*,phone\n", 2, 4, "4 fields");
    expect_error("trigger,segment,action,value\n*,*,phone,*\n", 1, 3, "rules header");
}

/* Rules by trigger, segment and value: first match wins; "none" matches
 * users no trigger fired for. */
static void trigger_rules(void **state)
{
    (void)state;
    const char *path = test_write_text("rules_trigger.csv",
                                       "trigger,segment,value,action\n"
                                       "*,*,high,phone\n"
                                       "payment_stopped,*,*,coupon\n"
                                       "social_gone,*,*,community\n"
                                       "login_falling,*,*,in_app\n"
                                       "device_changed,*,*,sms\n"
                                       "none,price-sensitive,*,coupon\n"
                                       "*,*,*,sms_email\n");
    lapse_action_rules *rules = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_action_rules_load(&rules, path, &err), LAPSE_OK);
    assert_string_equal(
        lapse_action_choose(rules, LAPSE_TRIGGER_PAYMENT_STOPPED, "mixed-1", LAPSE_VALUE_HIGH),
        "phone");
    assert_string_equal(
        lapse_action_choose(rules, LAPSE_TRIGGER_PAYMENT_STOPPED, "mixed-1", LAPSE_VALUE_LOW),
        "coupon");
    assert_string_equal(
        lapse_action_choose(rules, LAPSE_TRIGGER_LOGIN_FALLING, "social-driven", LAPSE_VALUE_LOW),
        "in_app");
    assert_string_equal(
        lapse_action_choose(rules, LAPSE_TRIGGER_DEVICE_CHANGED, "mixed-2", LAPSE_VALUE_MEDIUM),
        "sms");
    assert_string_equal(lapse_action_choose(rules, -1, "price-sensitive", LAPSE_VALUE_LOW),
                        "coupon");
    assert_string_equal(
        lapse_action_choose(rules, LAPSE_TRIGGER_SPEND_FALLING, "price-sensitive", LAPSE_VALUE_LOW),
        "sms_email");
    lapse_action_rules_free(rules);
}

/* Each trigger's feature is in the registry, and the strongest firing one
 * wins. */
static void triggers_fire(void **state)
{
    (void)state;
    const char *names[] = { "trend_sessions_7", "payment_stopped_30", "device_changed_30",
                            "trend_spend_7" };
    lapse_trigger_columns cols;
    lapse_trigger_columns_find(&cols, names, 4);
    assert_int_equal(cols.feature[LAPSE_TRIGGER_LOGIN_FALLING], 0);
    assert_int_equal(cols.feature[LAPSE_TRIGGER_SOCIAL_GONE], -1);
    /* sessions halved (trend -1/3) fires; a 30% fall (-0.176) does not */
    const double halved[] = { -1.0 / 3, 0, 0, 0 }, fell30[] = { -0.3 / 1.7, 0, 0, 0 };
    assert_int_equal(lapse_trigger_fire(&cols, halved), LAPSE_TRIGGER_LOGIN_FALLING);
    assert_int_equal(lapse_trigger_fire(&cols, fell30), -1);
    const double all[] = { -1, 1, 1, -1 }, device[] = { 0, 0, 1, -0.5 };
    assert_int_equal(lapse_trigger_fire(&cols, all), LAPSE_TRIGGER_PAYMENT_STOPPED);
    assert_int_equal(lapse_trigger_fire(&cols, device), LAPSE_TRIGGER_DEVICE_CHANGED);
    const double nan_row[] = { NAN, NAN, NAN, NAN };
    assert_int_equal(lapse_trigger_fire(&cols, nan_row), -1);
    /* names round-trip, and every feature comes from the registry */
    const char *registry[256];
    size_t n = 0;
    for (; lapse_feature_get(n) && n < 256; n++)
        registry[n] = lapse_feature_get(n)->name;
    lapse_trigger_columns_find(&cols, registry, n);
    for (int t = 0; t < LAPSE_TRIGGERS; t++) {
        assert_int_equal(lapse_trigger_find(lapse_trigger_name(t)), t);
        assert_true(cols.feature[t] >= 0);
    }
    assert_int_equal(lapse_trigger_find("none"), -1);
    assert_null(lapse_trigger_name(LAPSE_TRIGGERS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(value_tiers),  cmocka_unit_test(silence_stages),
        cmocka_unit_test(default_rules), cmocka_unit_test(rules_file),
        cmocka_unit_test(rules_file_errors), cmocka_unit_test(rules_file_channels), cmocka_unit_test(trigger_rules),
        cmocka_unit_test(triggers_fire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
