/* Campaign statistics against textbook values, the plan's knapsack and
 * control draw on hand-worked users, and eval on a hand-written send list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/campaign.h"

#include "campaign_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    const size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void normal_and_wilson(void **state)
{
    (void)state;
    near(lapse_normal_cdf(0), 0.5, 1e-15);
    near(lapse_normal_cdf(LAPSE_Z_975), 0.975, 1e-12);
    near(lapse_normal_cdf(-LAPSE_Z_80), 0.2, 1e-12);
    /* Newcombe (1998), single proportion: 81/263, Wilson 0.2553 to 0.3662. */
    double lo, hi;
    lapse_wilson(&lo, &hi, 81, 263, LAPSE_Z_975);
    near(lo, 0.2553, 5e-5);
    near(hi, 0.3662, 5e-5);
    /* x = 0: the interval starts at 0 and ends at z^2 / (n + z^2). */
    lapse_wilson(&lo, &hi, 0, 10, LAPSE_Z_975);
    near(lo, 0, 1e-15);
    near(hi, LAPSE_Z_975 * LAPSE_Z_975 / (10 + LAPSE_Z_975 * LAPSE_Z_975), 1e-12);
}

static void two_proportions(void **state)
{
    (void)state;
    lapse_comparison c;
    /* Newcombe (1998) example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339. */
    lapse_compare_proportions(&c, 56, 70, 48, 80);
    near(c.diff, 0.2, 1e-12);
    near(c.ci_lo, 0.0524, 5e-5);
    near(c.ci_hi, 0.3339, 5e-5);
    /* 60/100 vs 40/100: pooled p 0.5, se sqrt(0.25 * 0.02) = 0.0707107,
     * z = 0.2 / se = 2.828427, p = 2 (1 - Phi(z)) = 0.0046777. */
    lapse_compare_proportions(&c, 60, 100, 40, 100);
    assert_false(c.fisher);
    near(c.z, 2.8284271, 1e-6);
    near(c.p_value, 0.0046777, 1e-7);
    /* 3/4 vs 1/4: expected cells 2 < 5, so Fisher. Tables with margins
     * 4,4 / 4,4 have probabilities 1, 16, 36, 16, 1 (/70); the seen one is
     * 16/70, so p = (1 + 16 + 16 + 1) / 70. */
    lapse_compare_proportions(&c, 3, 4, 1, 4);
    assert_true(c.fisher);
    near(c.p_value, 34.0 / 70, 1e-12);
    near(lapse_fisher_exact(3, 1, 1, 3), 34.0 / 70, 1e-12);
    /* [[1, 9], [11, 3]]: the classic textbook table, two-sided p 0.002759. */
    near(lapse_fisher_exact(1, 9, 11, 3), 0.0027595, 1e-7);
    lapse_compare_proportions(&c, 1, 0, 1, 2);
    assert_true(isnan(c.ci_lo) && isnan(c.p_value));
}

static void srm_and_mde(void **state)
{
    (void)state;
    double chi2, p;
    /* 120 control of 1000 planned at 10%: E = 100 and 900,
     * chi2 = 20^2/100 + 20^2/900 = 4.4444, p = P(chi2_1 > 4.4444) = 0.035015. */
    lapse_srm(&chi2, &p, 120, 1000, 0.1);
    near(chi2, 40.0 / 9, 1e-12);
    near(p, 0.035015, 1e-6);
    lapse_srm(&chi2, &p, 100, 1000, 0.1);
    near(chi2, 0, 1e-12);
    near(p, 1, 1e-12);
    /* p 0.1, 1000 each: (1.959964 + 0.841621) sqrt(0.09 * 0.002) = 0.0375872. */
    near(lapse_mde(0.1, 1000, 1000), 0.0375872, 1e-7);
    assert_true(isnan(lapse_mde(0.1, 0, 1000)));
}

static void channels(void **state)
{
    (void)state;
    lapse_channel c;
    assert_int_equal(lapse_channel_parse(&c, "push_feature", 12), LAPSE_OK);
    assert_int_equal(c, LAPSE_CHANNEL_PUSH_FEATURE);
    assert_int_equal(lapse_channel_parse(&c, "sms", 3), LAPSE_ERR_FORMAT);
    double v[LAPSE_CHANNELS] = { 1, 1, 1, 1, 1 };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_campaign_parse_channels(v, "phone=2.5,sms_email=0", 0, 10, &err),
                     LAPSE_OK);
    assert_true(v[LAPSE_CHANNEL_PHONE] == 2.5 && v[LAPSE_CHANNEL_SMS_EMAIL] == 0 &&
                v[LAPSE_CHANNEL_COUPON] == 1);
    assert_int_equal(lapse_campaign_parse_channels(v, "fax=1", 0, 10, &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_campaign_parse_channels(v, "phone=", 0, 10, &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_campaign_parse_channels(v, "phone=11", 0, 10, &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_campaign_parse_channels(v, "phone=1x", 0, 10, &err), LAPSE_ERR_ARG);
}

/* The built-in table keeps the five old channels first, with their costs
 * and uplifts, and the rest at uplift 0. */
static void channel_table_builtin(void **state)
{
    (void)state;
    static lapse_channel_table t;
    lapse_channel_table_default(&t);
    static const char *const old[] = { "sms_email", "push_feature", "coupon", "phone",
                                       "community" };
    static const double cost[] = { 0.05, 0, 0.5, 2.0, 0.02 }, uplift[] = { 0.02, 0.03, 0.06,
                                                                            0.15, 0.03 };
    for (int c = 0; c < LAPSE_CHANNELS; c++) {
        assert_string_equal(t.channel[c].name, old[c]);
        assert_string_equal(lapse_channel_name((lapse_channel)c), old[c]);
        assert_true(t.channel[c].cost == cost[c] && t.channel[c].uplift == uplift[c]);
        assert_int_equal(t.channel[c].capacity, -1);
    }
    for (size_t c = LAPSE_CHANNELS; c < t.n; c++)
        assert_true(t.channel[c].uplift == 0);
    static const char *const listed[] = { "sms", "email", "push", "wechat", "phone", "gift",
                                          "coupon", "cash", "trial", "event" };
    for (size_t i = 0; i < sizeof listed / sizeof listed[0]; i++)
        assert_true(lapse_channel_find(&t, listed[i], strlen(listed[i])) >= 0);
    assert_int_equal(lapse_channel_find(&t, "fax", 3), -1);
    /* Conditions of the built-in table read as written. */
    assert_int_equal(t.channel[LAPSE_CHANNEL_PHONE].n_terms, 1);
    assert_true(lapse_condition_term_holds(&t.channel[LAPSE_CHANNEL_PHONE].terms[0], "high"));
    assert_false(lapse_condition_term_holds(&t.channel[LAPSE_CHANNEL_PHONE].terms[0], "low"));
    assert_true(lapse_condition_term_holds(&t.channel[LAPSE_CHANNEL_PUSH_FEATURE].terms[0], "1"));
    assert_false(lapse_condition_term_holds(&t.channel[LAPSE_CHANNEL_PUSH_FEATURE].terms[0],
                                            NULL));
}

static void channel_conditions(void **state)
{
    (void)state;
    lapse_channel_def ch;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *text = "value_tier = high and p_churn>=0.5 and segment != mixed-1";
    assert_int_equal(lapse_channel_condition_parse(&ch, text, strlen(text), &err), LAPSE_OK);
    assert_int_equal(ch.n_terms, 3);
    assert_string_equal(ch.terms[1].column, "p_churn");
    assert_int_equal(ch.terms[1].op, LAPSE_OP_GE);
    assert_true(lapse_condition_term_holds(&ch.terms[1], "0.5"));
    assert_true(lapse_condition_term_holds(&ch.terms[1], "7e-1"));
    assert_false(lapse_condition_term_holds(&ch.terms[1], "0.49"));
    assert_false(lapse_condition_term_holds(&ch.terms[1], "n/a"));
    assert_true(lapse_condition_term_holds(&ch.terms[2], "mixed-2"));
    assert_false(lapse_condition_term_holds(&ch.terms[2], "mixed-1"));
    /* numbers compare as numbers, text as text */
    assert_int_equal(lapse_channel_condition_parse(&ch, "has_app = 1", 11, &err), LAPSE_OK);
    assert_true(lapse_condition_term_holds(&ch.terms[0], "1.0"));
    assert_false(lapse_condition_term_holds(&ch.terms[0], "yes"));
    assert_int_equal(lapse_channel_condition_parse(&ch, "", 0, &err), LAPSE_OK);
    assert_int_equal(ch.n_terms, 0);
    static const struct {
        const char *text, *needle;
    } bad[] = {
        { "has_app", "an operator expected at byte 8" },
        { "has_app = ", "a value expected at byte 11" },
        { "= 1", "a column name (a-z, 0-9, _) expected at byte 1" },
        { "tier < high", "< <= > >= need a number at byte 8" },
        { "a = 1 or b = 2", "\" and \" or the end expected at byte 7" },
        { "a = 1 and ", "a term expected after \"and\" at byte 11" },
        { "a = 1 and b = 2 and c = 3 and d = 4 and e = 5", "more than 4 terms at byte 41" },
        { "a == 1", "a value expected at byte 4" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(lapse_channel_condition_parse(&ch, bad[i].text, strlen(bad[i].text),
                                                       &err),
                         LAPSE_ERR_FORMAT);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].text, err.message, bad[i].needle);
    }
}

static void channel_overrides(void **state)
{
    (void)state;
    static lapse_channel_table t;
    lapse_channel_table_default(&t);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_COST, "phone=3,sms=0.01", &err),
                     LAPSE_OK);
    assert_true(t.channel[LAPSE_CHANNEL_PHONE].cost == 3);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=200", &err),
                     LAPSE_OK);
    assert_int_equal(t.channel[LAPSE_CHANNEL_PHONE].capacity, 200);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=none", &err),
                     LAPSE_OK);
    assert_int_equal(t.channel[LAPSE_CHANNEL_PHONE].capacity, -1);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_UPLIFT, "fax=0.1", &err),
                     LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "\"fax=0.1\" is not channel=value with a channel among "
                                        "sms_email, push_feature"));
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_UPLIFT, "sms=1.5", &err),
                     LAPSE_ERR_ARG);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=1.5", &err),
                     LAPSE_ERR_ARG);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_COST, "phone=-1", &err),
                     LAPSE_ERR_ARG);
}

static void channel_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_channels_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], copy[256];
    snprintf(path, sizeof path, "%s/channels.csv", dir);
    snprintf(copy, sizeof copy, "%s/copy.csv", dir);
    write_file(path, "\xef\xbb\xbfname,cost,uplift,condition,capacity\n"
                     "phone,2.5,0.2,value_tier = high,100\n"
                     "wechat,0.01,0.05,\"wechat = 1 and p_churn > 0.3\",\n");
    static lapse_channel_table t, back;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_channel_table_load(&t, path, &err), LAPSE_OK);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.channel[0].capacity, 100);
    assert_int_equal(t.channel[1].capacity, -1);
    assert_int_equal(t.channel[1].n_terms, 2);
    /* written and read back the same */
    FILE *f = fopen(copy, "w");
    assert_non_null(f);
    lapse_channel_table_write(f, &t);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(lapse_channel_table_load(&back, copy, &err), LAPSE_OK);
    assert_memory_equal(&t, &back, sizeof t);
    static const struct {
        const char *text;
        int line, column;
        const char *needle;
    } bad[] = {
        { "name,cost,uplift,condition\nsms,1,0,\n", 1, 4, "5 fields" },
        { "name,cost,uplift,when,capacity\n", 1, 4, "the channels header is" },
        { "name,cost,uplift,condition,capacity\nsms,1,0,,\nsms,2,0,,\n", 3, 1,
          "channel \"sms\" is listed twice" },
        { "name,cost,uplift,condition,capacity\nSMS!,1,0,,\n", 2, 1, "channel name \"SMS!\"" },
        { "name,cost,uplift,condition,capacity\nsms,-1,0,,\n", 2, 2, "bad cost \"-1\"" },
        { "name,cost,uplift,condition,capacity\nsms,1,2,,\n", 2, 3, "bad uplift \"2\"" },
        { "name,cost,uplift,condition,capacity\nsms,1,0,has_app 1,\n", 2, 4,
          "bad condition: an operator expected at byte 9" },
        { "name,cost,uplift,condition,capacity\nsms,1,0,,1.5\n", 2, 5, "bad capacity \"1.5\"" },
        { "name,cost,uplift,condition,capacity\n", 1, 0, "at least one channel" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(path, bad[i].text);
        lapse_error_clear(&err);
        assert_int_equal(lapse_channel_table_load(&t, path, &err), LAPSE_ERR_FORMAT);
        assert_int_equal(err.line, bad[i].line);
        assert_int_equal(err.column, bad[i].column);
        assert_string_equal(err.path, path);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
    }
    unlink(path);
    unlink(copy);
    rmdir(dir);
}

/* 60 high-value users over two send days, phone the best option for all:
 * a phone capacity of 7 a day lets 7 a day through, the rest keep the
 * option below phone on their hull; capacity 0 sends none. */
static void plan_capacity(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_capacity_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/scored.csv", dir);
    snprintf(out, sizeof out, "%s/sends.csv", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fputs("user_id,asof,p_churn,risk_tier,value_tier,value_at_risk,action,wechat\n", f);
    for (int i = 0; i < 60; i++)
        fprintf(f, "u%02d,2026-03-0%d,0.%d,high,high,%d,phone,%d\n", i, 1 + i % 2, 10 + i, 50 + i,
                i % 3 == 0);
    assert_int_equal(fclose(f), 0);
    static lapse_channel_table t;
    lapse_channel_table_default(&t);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=7", &err),
                     LAPSE_OK);
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_UPLIFT, "wechat=0.1", &err),
                     LAPSE_OK);
    lapse_campaign_plan_options o = LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT;
    o.channels = &t;
    o.budget = 1000;
    lapse_campaign_plan_stats st;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    const int phone = LAPSE_CHANNEL_PHONE, wechat = lapse_channel_find(&t, "wechat", 6);
    assert_int_equal(st.chosen[phone], 14);
    assert_true(st.capacity_blocked > 0);
    assert_true(st.chosen_cost <= o.budget);
    /* per day, from the send list itself: phone at most 7; wechat only to
     * users with wechat = 1 (every third) */
    char *text = read_all(out);
    int per_day[2] = { 0 }, rows = 0;
    for (char *line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
        int user;
        char channel[32], day;
        assert_int_equal(sscanf(line, "u%d,%31[^,],2026-03-0%c", &user, channel, &day), 3);
        if (strcmp(channel, "phone") == 0)
            per_day[day - '1']++;
        if (strcmp(channel, "wechat") == 0)
            assert_int_equal(user % 3, 0);
        rows++;
    }
    assert_int_equal(per_day[0], 7);
    assert_int_equal(per_day[1], 7);
    assert_int_equal(rows, 60);
    assert_true(st.chosen[wechat] > 0);
    /* capacity 0: a team that is off sends none */
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=0", &err),
                     LAPSE_OK);
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_int_equal(st.chosen[phone], 0);
    assert_null(strstr(read_all(out), ",phone,"));
    /* a condition on a column the file lacks reaches nobody */
    t.channel[wechat].terms[0] = t.channel[LAPSE_CHANNEL_PHONE].terms[0];
    snprintf(t.channel[wechat].terms[0].column, sizeof t.channel[wechat].terms[0].column, "%s",
             "seed_user");
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_int_equal(st.chosen[wechat], 0);
    unlink(in);
    unlink(out);
    rmdir(dir);
}

static void stratified_assign(void **state)
{
    (void)state;
    /* 10 users in stratum 0, 5 in stratum 1, control 0.2: round(2) and
     * round(1) control; the treatment rest alternates two variants. */
    uint32_t stratum[15];
    uint64_t hash[15];
    int variant[15];
    for (int i = 0; i < 15; i++) {
        stratum[i] = i < 10 ? 0 : 1;
        hash[i] = (uint64_t)(15 - i); /* later users come first */
    }
    assert_int_equal(campaign_assign(15, stratum, hash, 0.2, 2, variant), LAPSE_OK);
    int control[2] = { 0 }, a = 0, b = 0;
    for (int i = 0; i < 15; i++) {
        control[stratum[i]] += variant[i] < 0;
        a += variant[i] == 0;
        b += variant[i] == 1;
    }
    assert_int_equal(control[0], 2);
    assert_int_equal(control[1], 1);
    assert_int_equal(a, 6);
    assert_int_equal(b, 6);
    /* hash order: users 9, 8 are stratum 0's control, 14 stratum 1's */
    assert_true(variant[9] < 0 && variant[8] < 0 && variant[14] < 0);
    assert_int_equal(variant[7], 0);
    assert_int_equal(variant[6], 1);
}

/* u1: p 0.5, high value, value_at_risk 100, suggested phone, has the app;
 * worth 100 + 0.5 = 100.5: push 0.03 x 100.5 = 3.015 at 0, coupon 6.03 at
 * 0.5, phone 0.15 x 1.5 x 100.5 = 22.6125 at 2 (sms 2.01 and community 3.015
 * cost more than push for no more). Hull: push, then phone (slope 9.79875;
 * coupon lies under the line). u2: p 0.2, low, no value, sms suggested, no
 * app: community 0.006 at 0.02 (slope 0.3), coupon 0.012 at 0.5 (0.0125);
 * sms 0.02 x 1.5 x 0.2 = 0.006 at 0.05 is no better than community. u3: p
 * 0.9, medium, 10, push suggested, app: push 0.03 x 1.5 x 10.9 = 0.4905 at
 * 0, coupon 0.654 at 0.5 (slope 0.327). */
static const char scored[] =
    "user_id,asof,p_churn,risk_tier,segment,days_silent,value_tier,value_at_risk,reason_1,"
    "reason_2,reason_3,action,label,has_app\n"
    "u1,2026-03-01,0.5,high,mixed,2,high,100,a,b,c,phone,,1\n"
    "u2,2026-03-01,0.2,low,mixed,2,low,,a,b,c,sms_email,,0\n"
    "u3,2026-03-01,0.9,high,feature-dependent,2,medium,10,a,b,c,push_feature,,1\n";

static void plan_knapsack(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_campaign_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/scored.csv", dir);
    snprintf(out, sizeof out, "%s/sends.csv", dir);
    write_file(in, scored);
    lapse_campaign_plan_options o = LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT;
    o.control = 0;
    lapse_campaign_plan_stats st;
    lapse_error err = LAPSE_ERROR_INIT;
    /* Budget 2.1, steps by slope: u1 push, u3 push (free), u1 phone (2,
     * leaves 0.1), u3 coupon (0.5: no), u2 community (0.02), u2 coupon (no). */
    o.budget = 2.1;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(read_all(out),
                        "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n"
                        "u1,phone,2026-03-01T00:00:00Z,treatment,2,A,22.6125,high\n"
                        "u2,community,2026-03-01T00:00:00Z,treatment,0.02,A,0.006,low\n"
                        "u3,push_feature,2026-03-01T00:00:00Z,treatment,0,A,0.4905,high\n");
    near(st.spend, 2.02, 1e-12);
    near(st.expected_value, 22.6125 + 0.006 + 0.4905, 1e-9);
    /* Budget 1: phone no longer fits; u3 coupon, u2 community then coupon. */
    o.budget = 1;
    o.send_at = 1772355600; /* 2026-03-01T09:00:00Z */
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(read_all(out),
                        "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n"
                        "u1,push_feature,2026-03-01T09:00:00Z,treatment,0,A,3.015,high\n"
                        "u2,coupon,2026-03-01T09:00:00Z,treatment,0.5,A,0.012,low\n"
                        "u3,coupon,2026-03-01T09:00:00Z,treatment,0.5,A,0.654,high\n");
    /* Control 0.5 over the three: strata (phone, high) 1 -> round(0.5) = 1
     * (llround rounds half away), (community, low) 1 -> 1, (push, high) 1 -> 1. */
    o.budget = 2.1;
    o.control = 0.5;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_int_equal(st.control[LAPSE_CHANNEL_PHONE], 1);
    near(st.spend, 0, 1e-12);
    assert_non_null(strstr(read_all(out), "u1,phone,2026-03-01T09:00:00Z,control,0,-,22.6125"));

    /* A bad row names the line and the column. */
    write_file(in, "user_id,asof,p_churn,risk_tier,value_tier,value_at_risk,action\n"
                   "u1,2026-03-01,0.5,high,high,100,phone\n"
                   "u2,2026-03-01,1.5,high,high,100,phone\n");
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
    write_file(in, "user_id,asof,p_churn,risk_tier,value_tier,action\nu1,2026-03-01,0.5,high,"
                   "high,phone\n");
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "value_at_risk"));
    unlink(in);
    unlink(out);
    rmdir(dir);
}

/* The log: u1 comes back an hour after the send, again 3 and 19 days later;
 * u2 exactly 24 h after (outside [sent, sent + 24 h)); control u3 one second
 * inside its window; control u4 never appears; u5 only before its send. */
static const char log_text[] =
    "user_id,ts,event\n"
    "u1,2026-02-20T10:00:00Z,login\n"
    "u1,2026-03-01T10:00:00Z,app_open\n"
    "u1,2026-03-04T00:00:00Z,login\n"
    "u1,2026-03-20T00:00:00Z,login\n"
    "u2,2026-03-02T09:00:00Z,login\n"
    "u2,2026-03-01T12:00:00Z,purchase\n"
    "u3,2026-03-02T08:59:59Z,login\n"
    "u5,2026-03-01T08:59:59Z,login\n"
    "z,2026-04-15T00:00:00Z,login\n";

static void eval_hand(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_campaign_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sends[256], log[256], clicks[256];
    snprintf(sends, sizeof sends, "%s/sends.csv", dir);
    snprintf(log, sizeof log, "%s/log.csv", dir);
    snprintf(clicks, sizeof clicks, "%s/clicks.csv", dir);
    write_file(log, log_text);
    write_file(clicks, "user_id,ts,event\nu1,2026-03-01T09:30:00Z,email_click\n"
                       "u2,2026-03-03T09:30:00Z,email_click\n");
    write_file(sends, "variant,user_id,channel,sent_at,group,cost\n"
                      "A,u1,sms_email,2026-03-01T09:00:00Z,treatment,0.05\n"
                      "A,u2,sms_email,2026-03-01T09:00:00Z,treatment,0.05\n"
                      "-,u3,sms_email,2026-03-01T09:00:00Z,control,0\n"
                      "-,u4,sms_email,2026-03-01T09:00:00Z,control,0\n"
                      "A,u5,phone,2026-03-01T09:00:00Z,treatment,2\n"
                      "A,u5,phone,2026-03-01T09:00:00Z,treatment,2\n");
    const char *logs[] = { log }, *click_logs[] = { clicks };
    lapse_campaign_eval_options o = LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT;
    lapse_campaign_report *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, click_logs, 1, &o, &err), LAPSE_OK);
    assert_int_equal(r->sends, 6);
    assert_int_equal(r->duplicate_rows, 1);
    assert_int_equal(r->unknown_users, 1);
    assert_int_equal(r->n_rows, 3);
    const lapse_campaign_row *sms = &r->rows[0], *phone = &r->rows[1], *all = &r->rows[2];
    assert_string_equal(sms->channel, "sms_email");
    assert_string_equal(sms->variant, "A");
    assert_int_equal(sms->sent, 2);
    assert_int_equal(sms->clicked, 1);
    assert_int_equal(sms->recalled, 1);
    near(sms->cost, 0.1, 1e-12);
    assert_int_equal(sms->control, 2);
    assert_int_equal(sms->control_recalled, 1);
    near(sms->cmp.diff, 0, 1e-15);
    assert_true(sms->cmp.fisher);
    near(sms->cmp.p_value, 1, 1e-12);
    assert_int_equal(sms->retention_n[0], 1);
    assert_int_equal(sms->retained[0], 1);
    assert_int_equal(sms->retention_n[1], 1);
    assert_int_equal(sms->retained[1], 1);
    /* 2 control of 4 planned at 10%: E = 0.4 and 3.6, chi2 = 1.6^2 (1/0.4 + 1/3.6). */
    near(sms->srm_chi2, 1.6 * 1.6 * (1 / 0.4 + 1 / 3.6), 1e-12);
    assert_string_equal(phone->channel, "phone");
    assert_int_equal(phone->sent, 1);
    assert_int_equal(phone->recalled, 0);
    assert_int_equal(phone->control, 0);
    assert_true(isnan(phone->cmp.ci_lo));
    assert_int_equal(all->sent, 3);
    assert_int_equal(all->recalled, 1);
    near(all->cost, 2.1, 1e-12);
    lapse_campaign_report_free(r);

    /* A key of purchase: u2's purchase at 12:00 recalls it; u1 is not. */
    o.key_mask = 1u << LAPSE_CAT_PURCHASE;
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, NULL, 0, &o, &err), LAPSE_OK);
    assert_int_equal(r->rows[0].recalled, 1);
    assert_int_equal(r->rows[0].clicked, -1);
    assert_int_equal(r->rows[0].retention_n[0], 1);
    assert_int_equal(r->rows[0].retained[0], 0);
    assert_int_equal(r->rows[0].control_recalled, 0);
    lapse_campaign_report_free(r);
    o.key_mask = 1u;

    /* The log's last event is 2026-04-15T00:00:00Z: a window closing after
     * it is censored (left out, counted), one closing on it is judged. */
    write_file(sends, "user_id,channel,sent_at,group,cost,variant\n"
                      "u1,sms_email,2026-03-01T09:00:00Z,treatment,0.05,A\n"
                      "u3,sms_email,2026-03-01T09:00:00Z,control,0,-\n"
                      "u2,sms_email,2026-04-14T06:00:00Z,treatment,0.05,A\n"
                      "u4,sms_email,2026-04-14T12:00:00Z,control,0,-\n"
                      "u5,phone,2026-04-14T23:00:00Z,treatment,2,A\n"
                      "u6,sms_email,2026-04-14T00:00:01Z,treatment,0.05,A\n");
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, NULL, 0, &o, &err), LAPSE_OK);
    assert_int_equal(r->censored, 3);
    assert_int_equal(r->log_end, INT64_C(1776211200) + 1); /* 2026-04-15T00:00:01Z */
    assert_int_equal(r->n_rows, 3);
    assert_string_equal(r->rows[0].channel, "sms_email");
    assert_int_equal(r->rows[0].sent, 2);
    assert_int_equal(r->rows[0].censored, 1);
    near(r->rows[0].cost, 0.1, 1e-12);
    assert_int_equal(r->rows[0].control, 1);
    assert_int_equal(r->rows[0].control_censored, 1);
    assert_string_equal(r->rows[1].channel, "phone");
    assert_int_equal(r->rows[1].sent, 0);
    assert_int_equal(r->rows[1].censored, 1);
    assert_string_equal(r->rows[2].channel, "all");
    assert_int_equal(r->rows[2].sent, 2);
    assert_int_equal(r->rows[2].censored, 2);
    assert_int_equal(r->rows[2].control_censored, 1);
    lapse_campaign_report_free(r);

    /* Errors name the line and column. */
    const struct {
        const char *text;
        int code, line, column;
        const char *needle;
    } bad[] = {
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-01,treatment,0,A\n"
          "u2,fax,2026-03-01,treatment,0,A\n",
          LAPSE_ERR_FORMAT, 3, 2, "unknown channel \"fax\"" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-41,treatment,0,A\n",
          LAPSE_ERR_FORMAT, 2, 3, "bad timestamp" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-01,test,0,A\n",
          LAPSE_ERR_FORMAT, 2, 4, "treatment or control" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-01,treatment,-1,A\n",
          LAPSE_ERR_FORMAT, 2, 5, "bad cost" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-01,treatment,0\n",
          LAPSE_ERR_FORMAT, 2, 5, "5 fields where the header has 6" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-03-01,treatment,0,A\n"
          "u1,phone,2026-03-01,treatment,0,A\n",
          LAPSE_ERR_FORMAT, 3, 1, "listed again" },
        /* CRLF and a blank line: still the file's own line number */
        { "user_id,channel,sent_at,group,cost,variant\r\nu1,sms_email,2026-03-01,treatment,0,A\r\n"
          "\r\nu2,fax,2026-03-01,treatment,0,A\r\n",
          LAPSE_ERR_FORMAT, 4, 2, "unknown channel" },
        { "user_id,channel,sent_at,group,cost,variant\n\"u\n1\",sms_email,2026-03-01,treatment,0,A\n"
          "u2,sms_email,2026-03-01,treatment,x,A\n",
          LAPSE_ERR_FORMAT, 4, 5, "bad cost" },
        { "user_id,channel,sent_at,group,cost\nu1,sms_email,2026-03-01,treatment,0\n",
          LAPSE_ERR_FORMAT, 1, 0, "no \"variant\" column" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-04-15T00:00:01Z,"
          "treatment,0,A\n",
          LAPSE_ERR_RANGE, 2, 3,
          "its 24-hour window closes after the log's last event (2026-04-15T00:00:00Z), as every "
          "send's does" },
        { "user_id,channel,sent_at,group,cost,variant\nu1,sms_email,2026-02-19T23:00:00Z,"
          "treatment,0,A\n",
          LAPSE_ERR_RANGE, 2, 3,
          "it is before the log, which covers 2026-02-20 to 2026-04-15T00:00:00Z" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(sends, bad[i].text);
        r = NULL;
        lapse_error_clear(&err);
        assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, NULL, 0, &o, &err), bad[i].code);
        assert_null(r);
        assert_int_equal(err.line, bad[i].line);
        assert_int_equal(err.column, bad[i].column);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
    }
    unlink(sends);
    unlink(log);
    unlink(clicks);
    rmdir(dir);
}

static void sequence_parse(void **state)
{
    (void)state;
    static lapse_channel_table t;
    lapse_channel_table_default(&t);
    lapse_campaign_step steps[LAPSE_SEQUENCE_MAX];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_campaign_sequence_parse(steps, &n, "push@0h,sms@24,phone@2d", &t, &err),
                     LAPSE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(steps[0].channel, lapse_channel_find(&t, "push", 4));
    assert_int_equal(steps[1].offset, 24 * 3600);
    assert_int_equal(steps[2].offset, 48 * 3600);
    assert_int_equal(steps[2].channel, LAPSE_CHANNEL_PHONE);
    static const struct {
        const char *text, *needle;
    } bad[] = {
        { "push@24h,sms@0h", "step \"sms@0h\" is not after the step before it: a sequence "
                             "cannot go back in time" },
        { "push@0h,sms@0h", "cannot go back in time" },
        { "push@0h,fax@24h", "step \"fax@24h\" is not channel@hours with a channel among" },
        { "push", "is not channel@hours" },
        { "push@", "the offset is hours" },
        { "push@-1h", "the offset is hours" },
        { "push@1x", "the offset is hours" },
        { "sms@0,sms@1,sms@2,sms@3,sms@4,sms@5,sms@6,sms@7,sms@8", "at most 8 steps" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(lapse_campaign_sequence_parse(steps, &n, bad[i].text, &t, &err),
                         LAPSE_ERR_ARG);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].text, err.message, bad[i].needle);
    }
}

/* u1 (high value, app): push 0.03 at 0, sms not for high value (skipped),
 * phone 0.225 (suggested) after; worth 100.5: push 3.015, phone reaches
 * 0.97: 0.97 x 0.225 x 100.5 = 21.934125; expected cost 0.97 x 2. u2 (low,
 * no app): push skipped, sms 0.02 x 0.2 = 0.004 at 0.03, phone skipped. u3
 * (medium, app; push_feature suggested, not push): push 0.03 x 10.9 = 0.327,
 * sms 0.97 x 0.02 x 10.9 = 0.21146. */
static void plan_sequence(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_sequence_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/scored.csv", dir);
    snprintf(out, sizeof out, "%s/sends.csv", dir);
    write_file(in, scored);
    static lapse_channel_table t;
    lapse_channel_table_default(&t);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_UPLIFT, "push=0.03,sms=0.02", &err),
                     LAPSE_OK);
    lapse_campaign_step steps[LAPSE_SEQUENCE_MAX];
    lapse_campaign_plan_options o = LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT;
    assert_int_equal(lapse_campaign_sequence_parse(steps, &o.n_steps, "push@0h,sms@24h,phone@48h",
                                                   &t, &err),
                     LAPSE_OK);
    o.steps = steps;
    o.channels = &t;
    o.control = 0;
    o.budget = 100;
    o.send_at = 1772355600; /* 2026-03-01T09:00:00Z */
    lapse_campaign_plan_stats st;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(
        read_all(out),
        "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier,step,start,step_holdout\n"
        "u1,push,2026-03-01T09:00:00Z,treatment,0,A,3.015,high,1,2026-03-01T09:00:00Z,0\n"
        "u1,phone,2026-03-03T09:00:00Z,treatment,2,A,21.9341,high,3,2026-03-01T09:00:00Z,0\n"
        "u2,sms,2026-03-02T09:00:00Z,treatment,0.03,A,0.004,low,2,2026-03-01T09:00:00Z,0\n"
        "u3,push,2026-03-01T09:00:00Z,treatment,0,A,0.327,high,1,2026-03-01T09:00:00Z,0\n"
        "u3,sms,2026-03-02T09:00:00Z,treatment,0.03,A,0.21146,high,2,2026-03-01T09:00:00Z,0\n");
    assert_int_equal(st.skipped_steps, 4);
    near(st.spend, 0.97 * 2 + 0.03 + 0.97 * 0.03, 1e-12);
    near(st.expected_value, 3.015 + 21.934125 + 0.004 + 0.327 + 0.21146, 1e-9);
    /* The budget counts expected costs: u3's 0.0291 (best value per cost),
     * u1's 1.94; u2's 0.03 no longer fits in 1.97. */
    o.budget = 1.97;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    near(st.chosen_cost, 0.97 * 0.03 + 0.97 * 2, 1e-12);
    assert_null(strstr(read_all(out), "u2,"));
    /* A step the holdout stops is not counted: u2's sms opens its sequence
     * and is always sent; u1's phone and u3's sms cost only when sent. */
    o.budget = 100;
    o.step_holdout = 0.9;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    const char *held = read_all(out);
    const int u1_phone = strstr(held, "u1,phone,2026-03-03T09:00:00Z,treatment") != NULL,
              u3_sms = strstr(held, "u3,sms,2026-03-02T09:00:00Z,treatment") != NULL;
    assert_true(st.held_out_steps >= 1 && st.held_out_steps == 2 - u1_phone - u3_sms);
    near(st.chosen_cost, 0.03 + u1_phone * 0.97 * 2 + u3_sms * 0.97 * 0.03, 1e-12);
    near(st.expected_value, 3.015 + 0.004 + 0.327 + u1_phone * 21.934125 + u3_sms * 0.21146,
         1e-9);
    o.step_holdout = 0;
    /* Capacity counts touches per day over the steps: phone 1 a day lets
     * one sequence with phone through. */
    write_file(in, "user_id,asof,p_churn,risk_tier,value_tier,value_at_risk,action\n"
                   "v1,2026-03-01,0.5,high,high,100,phone\n"
                   "v2,2026-03-01,0.6,high,high,100,phone\n"
                   "v3,2026-03-01,0.7,high,high,100,phone\n");
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=1", &err),
                     LAPSE_OK);
    o.budget = 100;
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_int_equal(st.chosen[LAPSE_CHANNEL_PHONE], 1);
    assert_int_equal(st.capacity_blocked, 2);
    assert_non_null(strstr(read_all(out), "v3,phone,2026-03-03T09:00:00Z,"));
    /* With the app, a full phone day drops only v1's call (v2, worth 100.6 x 0.97 x
     * 0.225 = 21.9559 for the call, comes first): v1's push stays. */
    write_file(in, "user_id,asof,p_churn,risk_tier,value_tier,value_at_risk,action,has_app\n"
                   "v1,2026-03-01,0.5,high,high,100,phone,1\n"
                   "v2,2026-03-01,0.6,high,high,100,phone,1\n");
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_OK);
    assert_int_equal(st.chosen[LAPSE_CHANNEL_PHONE], 1);
    assert_int_equal(st.capacity_dropped_steps, 1);
    assert_int_equal(st.capacity_blocked, 0);
    /* the budget counts the steps planned: v1's push alone costs 0 */
    near(st.chosen_cost, 0.97 * 2, 1e-12);
    near(st.expected_value, 3.015 + 3.018 + 0.97 * 0.225 * 100.6, 1e-9);
    assert_string_equal(
        read_all(out),
        "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier,step,start,step_holdout\n"
        "v1,push,2026-03-01T09:00:00Z,treatment,0,A,3.015,high,1,2026-03-01T09:00:00Z,0\n"
        "v2,push,2026-03-01T09:00:00Z,treatment,0,A,3.018,high,1,2026-03-01T09:00:00Z,0\n"
        "v2,phone,2026-03-03T09:00:00Z,treatment,2,A,21.9559,high,3,2026-03-01T09:00:00Z,0\n");
    /* A sequence that needs a channel with no capacity at all: an error. */
    assert_int_equal(lapse_channel_table_set(&t, LAPSE_CHANNEL_CAPACITY, "phone=0", &err),
                     LAPSE_OK);
    assert_int_equal(lapse_campaign_plan(in, out, &o, &st, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "step 3 needs phone, whose capacity is 0"));
    /* Steps out of time order given directly: refused. */
    steps[1].offset = 0;
    assert_int_equal(lapse_campaign_plan_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "cannot go back in time"));
    unlink(in);
    unlink(out);
    rmdir(dir);
}

/* next: u1 came back 11 h after the start and gets nothing more; u2 only
 * before the start (still away); control u4 gets nothing; --since drops
 * what an earlier run wrote. */
static void next_touches(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_next_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char plan_path[256], log[256], out[256];
    snprintf(plan_path, sizeof plan_path, "%s/plan.csv", dir);
    snprintf(log, sizeof log, "%s/log.csv", dir);
    snprintf(out, sizeof out, "%s/due.csv", dir);
    const char *head = "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier,step,"
                       "start\n";
    char text[2048];
    snprintf(text, sizeof text,
             "%s"
             "u1,push,2026-03-01T09:00:00Z,treatment,0,A,1,high,1,2026-03-01T09:00:00Z\n"
             "u1,sms,2026-03-02T09:00:00Z,treatment,0.03,A,1,high,2,2026-03-01T09:00:00Z\n"
             "u2,sms,2026-03-02T09:00:00Z,treatment,0.03,B,1,high,2,2026-03-01T09:00:00Z\n"
             "u2,phone,2026-03-03T09:00:00Z,treatment,2,B,1,high,3,2026-03-01T09:00:00Z\n"
             "u4,push,2026-03-01T09:00:00Z,control,0,-,1,high,1,2026-03-01T09:00:00Z\n",
             head);
    write_file(plan_path, text);
    write_file(log, "user_id,ts,event\n"
                    "u1,2026-02-27T10:00:00Z,login\n"
                    "u1,2026-03-01T20:00:00Z,login\n"
                    "u2,2026-02-28T10:00:00Z,login\n"
                    "u4,2026-03-01T10:00:00Z,login\n"
                    "z,2026-03-02T12:00:00Z,login\n");
    const char *logs[] = { log };
    lapse_campaign_next_options o = LAPSE_CAMPAIGN_NEXT_OPTIONS_INIT;
    lapse_campaign_next_stats st;
    lapse_error err = LAPSE_ERROR_INIT;
    o.now = 1772355600 + 3600; /* 2026-03-01T10:00:00Z */
    assert_int_equal(lapse_campaign_next(plan_path, logs, 1, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(read_all(out), "user_id,channel,step,sent_at,cost,variant\n"
                                       "u1,push,1,2026-03-01T09:00:00Z,0,A\n");
    assert_int_equal(st.control_due, 1);
    assert_int_equal(st.users, 2);
    assert_int_equal(st.returned, 0);
    /* a day later: u1 is back (20:00), u2 gets the sms */
    o.since = o.now;
    o.now += 24 * 3600;
    assert_int_equal(lapse_campaign_next(plan_path, logs, 1, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(read_all(out), "user_id,channel,step,sent_at,cost,variant\n"
                                       "u2,sms,2,2026-03-02T09:00:00Z,0.03,B\n");
    assert_int_equal(st.returned, 1);
    assert_int_equal(st.unseen, 0);
    /* the phone step is due after the log's last event: written and counted */
    o.since = o.now;
    o.now += 24 * 3600;
    assert_int_equal(lapse_campaign_next(plan_path, logs, 1, out, &o, &st, &err), LAPSE_OK);
    assert_string_equal(read_all(out), "user_id,channel,step,sent_at,cost,variant\n"
                                       "u2,phone,3,2026-03-03T09:00:00Z,2,B\n");
    assert_int_equal(st.unseen, 1);
    /* bad plans: located errors */
    static const struct {
        const char *rows;
        int line, column;
        const char *needle;
    } bad[] = {
        { "u1,push,2026-03-01T09:00:00Z,treatment,0,A,1,high,2,2026-03-01T09:00:00Z\n"
          "u1,sms,2026-03-02T09:00:00Z,treatment,0,A,1,high,1,2026-03-01T09:00:00Z\n",
          3, 9, "step 1 of user \"u1\" does not follow their step 2" },
        { "u1,fax,2026-03-01T09:00:00Z,treatment,0,A,1,high,1,2026-03-01T09:00:00Z\n", 2, 2,
          "unknown channel \"fax\"" },
        { "u1,push,2026-03-01T09:00:00Z,treatment,0,A,1,high,1,2026-03-02T09:00:00Z\n", 2, 10,
          "bad start" },
        { "u1,push,2026-03-01T09:00:00Z,treatment,0,A,1,high,0,2026-03-01T09:00:00Z\n", 2, 9,
          "bad step \"0\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s%s", head, bad[i].rows);
        write_file(plan_path, text);
        lapse_error_clear(&err);
        assert_int_equal(lapse_campaign_next(plan_path, logs, 1, out, &o, &st, &err),
                         LAPSE_ERR_FORMAT);
        assert_int_equal(err.line, bad[i].line);
        assert_int_equal(err.column, bad[i].column);
        if (!strstr(err.message, bad[i].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].needle);
    }
    write_file(plan_path, "user_id,channel,sent_at,group,cost,variant\n"
                          "u1,push,2026-03-01T09:00:00Z,treatment,0,A\n");
    assert_int_equal(lapse_campaign_next(plan_path, logs, 1, out, &o, &st, &err),
                     LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "the header has no \"step\" column"));
    unlink(plan_path);
    unlink(log);
    unlink(out);
    rmdir(dir);
}

/* A sequence plan by hand (push at 09:00, sms 24 h later, 24 h windows):
 * t1 back at 15:00 after a click on the push; t2 back 3 h after the sms;
 * t3 stopped before the sms, back that evening; t4 never; control c1 back
 * at 12:00 on day one, c2 never. */
static void eval_sequence(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse_seqeval_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sends[256], log[256], clicks[256];
    snprintf(sends, sizeof sends, "%s/plan.csv", dir);
    snprintf(log, sizeof log, "%s/log.csv", dir);
    snprintf(clicks, sizeof clicks, "%s/clicks.csv", dir);
    const char *start = "2026-03-01T09:00:00Z";
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof text,
                                "user_id,channel,sent_at,group,cost,variant,step,start\n");
    static const struct {
        const char *user, *sms_group;
    } users[] = { { "t1", "treatment" }, { "t2", "treatment" }, { "t3", "control" },
                  { "t4", "treatment" }, { "c1", "control" },   { "c2", "control" } };
    for (size_t i = 0; i < 6; i++) {
        const int control = users[i].user[0] == 'c';
        const int sms_sent = strcmp(users[i].sms_group, "treatment") == 0;
        n += (size_t)snprintf(text + n, sizeof text - n,
                              "%s,push,2026-03-01T09:00:00Z,%s,0,%s,1,%s\n"
                              "%s,sms,2026-03-02T09:00:00Z,%s,%s,%s,2,%s\n",
                              users[i].user, control ? "control" : "treatment",
                              control ? "-" : "A", start, users[i].user, users[i].sms_group,
                              sms_sent ? "0.03" : "0", sms_sent ? "A" : "-", start);
    }
    write_file(sends, text);
    const char *events = "user_id,ts,event\n"
                         "t1,2026-02-25,login\nt2,2026-02-25,login\nt3,2026-02-25,login\n"
                         "t4,2026-02-25,login\nc1,2026-02-25,login\nc2,2026-02-25,login\n"
                         "t1,2026-03-01T15:00:00Z,login\n"
                         "c1,2026-03-01T12:00:00Z,login\n"
                         "t2,2026-03-02T12:00:00Z,login\n"
                         "t3,2026-03-02T20:00:00Z,login\n"
                         "t2,2026-03-05T12:00:00Z,login\n";
    snprintf(text, sizeof text, "%sz,2026-04-15,login\n", events);
    write_file(log, text);
    write_file(clicks, "user_id,ts,event\nt1,2026-03-01T10:00:00Z,click\n");
    const char *logs[] = { log }, *click_logs[] = { clicks };
    lapse_campaign_eval_options o = LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT;
    lapse_campaign_report *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, click_logs, 1, &o, &err), LAPSE_OK);
    assert_true(r->sequence);
    assert_int_equal(r->n_rows, 3);
    const lapse_campaign_row *push = &r->rows[0], *sms = &r->rows[1], *all = &r->rows[2];
    assert_string_equal(push->channel, "push");
    assert_int_equal(push->step, 1);
    assert_int_equal(push->sent, 4);
    assert_int_equal(push->clicked, 1);
    assert_int_equal(push->recalled, 1);
    assert_int_equal(push->recalled_direct, 0);
    assert_int_equal(push->control, 2);
    assert_int_equal(push->control_recalled, 1);
    near(push->cmp.diff, 0.25 - 0.5, 1e-12);
    assert_true(push->cmp.ci_lo < push->cmp.diff && push->cmp.diff < push->cmp.ci_hi);
    /* t1 was back before the sms: not sent; t2 and t4 were; t3 stopped */
    assert_string_equal(sms->channel, "sms");
    assert_int_equal(sms->step, 2);
    assert_int_equal(sms->sent, 2);
    assert_int_equal(sms->recalled, 1);
    assert_int_equal(sms->recalled_direct, 1);
    assert_int_equal(sms->clicked, 0);
    near(sms->cost, 0.06, 1e-12);
    assert_int_equal(sms->control, 1);
    assert_int_equal(sms->control_recalled, 1);
    /* t2 came back 3 days after the sms's recall too: kept at 7 days */
    assert_int_equal(sms->retention_n[0], 1);
    assert_int_equal(sms->retained[0], 1);
    /* the whole sequence: t1, t2, t3 back within it, t4 not; c1 of 2 */
    assert_int_equal(all->step, 0);
    assert_int_equal(all->sent, 4);
    assert_int_equal(all->recalled, 3);
    near(all->cost, 0.06, 1e-12);
    assert_int_equal(all->control, 2);
    assert_int_equal(all->control_recalled, 1);
    /* the plan does not say its step holdout: no sample-ratio check after the opening */
    assert_true(isnan(sms->srm_p));
    lapse_campaign_report_free(r);

    /* With the plan's step_holdout column, the sms row's check is of its 1
     * stopped of 3 against 0.25. */
    char held[256], held_text[4096];
    snprintf(held, sizeof held, "%s/held.csv", dir);
    size_t m = 0;
    const char *plan_text = read_all(sends);
    for (const char *line = plan_text; *line;) {
        const char *eol = strchr(line, '\n');
        m += (size_t)snprintf(held_text + m, sizeof held_text - m, "%.*s,%s\n",
                              (int)(eol - line), line, line == plan_text ? "step_holdout" : "0.25");
        line = eol + 1;
    }
    write_file(held, held_text);
    r = NULL;
    assert_int_equal(lapse_campaign_eval(&r, held, logs, 1, NULL, 0, &o, &err), LAPSE_OK);
    near(r->rows[1].srm_chi2, 0.25 * 0.25 / 0.75 + 0.25 * 0.25 / 2.25, 1e-12);
    assert_false(isnan(r->rows[0].srm_p));
    lapse_campaign_report_free(r);
    /* one plan, one share; a share out of 0..0.9 */
    char *second = strchr(strchr(held_text, '\n') + 1, '\n') + 1;
    memcpy(strchr(second, '\n') - 4, "0.30", 4);
    write_file(held, held_text);
    r = NULL;
    assert_int_equal(lapse_campaign_eval(&r, held, logs, 1, NULL, 0, &o, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 9);
    assert_non_null(strstr(err.message, "step_holdout 0.30 differs from line 2's 0.25"));
    write_file(held, "user_id,channel,sent_at,group,cost,variant,step,start,step_holdout\n"
                     "u,push,2026-03-01T09:00:00Z,control,0,-,1,2026-03-01T09:00:00Z,0.95\n");
    assert_int_equal(lapse_campaign_eval(&r, held, logs, 1, NULL, 0, &o, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 9);
    assert_non_null(strstr(err.message, "bad step_holdout \"0.95\""));
    unlink(held);

    /* A log that ends before the sms's window: those touches are censored,
     * the push rows still measured. */
    snprintf(text, sizeof text, "%.*sz,2026-03-02T11:00:00Z,login\n",
             (int)(strstr(events, "t2,2026-03-02T12") - events), events);
    write_file(log, text);
    r = NULL;
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, NULL, 0, &o, &err), LAPSE_OK);
    assert_int_equal(r->rows[0].sent, 4);
    assert_int_equal(r->rows[1].censored, 2);
    assert_int_equal(r->rows[1].control_censored, 1);
    assert_int_equal(r->rows[1].sent, 0);
    assert_int_equal(r->rows[0].recalled_direct, -1);
    assert_true(r->censored > 0);
    lapse_campaign_report_free(r);

    /* Touches out of order: an error at the later line. */
    write_file(sends, "user_id,channel,sent_at,group,cost,variant,step,start\n"
                      "u,push,2026-03-01T09:00:00Z,control,0,-,1,2026-03-01T09:00:00Z\n"
                      "u,sms,2026-03-02T09:00:00Z,treatment,0,A,2,2026-03-01T09:00:00Z\n");
    r = NULL;
    assert_int_equal(lapse_campaign_eval(&r, sends, logs, 1, NULL, 0, &o, &err),
                     LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.message, "no treatment after control"));
    unlink(sends);
    unlink(log);
    unlink(clicks);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normal_and_wilson), cmocka_unit_test(two_proportions),
        cmocka_unit_test(srm_and_mde),       cmocka_unit_test(channels),
        cmocka_unit_test(stratified_assign), cmocka_unit_test(plan_knapsack),
        cmocka_unit_test(eval_hand),         cmocka_unit_test(channel_table_builtin),
        cmocka_unit_test(channel_conditions), cmocka_unit_test(channel_overrides),
        cmocka_unit_test(channel_file),      cmocka_unit_test(plan_capacity),
        cmocka_unit_test(sequence_parse),    cmocka_unit_test(plan_sequence),
        cmocka_unit_test(next_touches),      cmocka_unit_test(eval_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
