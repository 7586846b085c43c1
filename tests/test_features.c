/* Every feature on a small hand-written log, with values worked out by hand
 * in the comments; the feature table itself; and "later events change no
 * feature". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* asof 2026-03-01; "k" below is days before it (2026 is not a leap year). */
static const char *const log_text =
    "user_id,ts,event,amount,device_id\n"
    /* a: active. */
    "a,2026-02-28T23:59:59Z,login,,\n"        /* k=1 */
    "a,2026-02-22,login,,\n"                  /* k=7 */
    "a,2026-02-21,core_use,,\n"               /* k=8 */
    "a,2026-02-20T10:00:00+02:00,purchase,10.50,\n" /* k=9 (08:00 UTC) */
    "a,2026-01-31,purchase,4.5,\n"            /* k=29 */
    "a,2026-01-20,share,,\n"                  /* k=40 */
    "a,2026-03-01T01:00:00+02:00,core_use,,\n" /* 2026-02-28T23:00Z: k=1 */
    "a,2026-03-01T00:00:00Z,login,,\n"        /* on asof: only the label sees it */
    /* b: silent for 45 days: dormant. */
    "b,2026-01-01T12:00:00Z,login,,d1\n"      /* k=59 */
    "b,2026-01-15,purchase,20,d1\n"           /* k=45 */
    "b,2026-01-15,coupon_use,,d2\n"           /* k=45, same second */
    /* c: core use fading, social gone, new device. */
    "c,2026-01-10,core_use,,dA\n"             /* k=50 */
    "c,2026-01-11,core_use,,dA\n"             /* k=49 */
    "c,2026-01-12T08:00:00Z,core_use,,dA\n"   /* k=48 */
    "c,2026-02-10,share,,dB\n"                /* k=19 */
    "c,2026-02-26,core_use,,dB\n"             /* k=3 */
    "c,2026-02-28,login,,dB\n"                /* k=1 */
    /* d: one event, never a key event. */
    "d,2026-02-27,purchase,3,\n"              /* k=2 */
    /* z: only after asof; marks the end of the data. */
    "z,2026-04-15,login,,\n";

static int64_t asof_seconds(void)
{
    int64_t t;
    assert_int_equal(lapse_date_parse(&t, "2026-03-01", 10), LAPSE_OK);
    return t;
}

static lapse_extract *extract(const char *const *paths, size_t count)
{
    static int64_t asof;
    asof = asof_seconds();
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = &asof;
    opts.asof_count = 1;
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_extract_run(&x, paths, count, &opts, &err) != LAPSE_OK)
        fail_msg("%s", err.message);
    return x;
}

static double values[256];

static int row_of(lapse_extract *x, lapse_extract_set set, const char *user)
{
    const int64_t i = lapse_extract_find(x, set, asof_seconds(), user, strlen(user));
    assert_true(i >= 0);
    lapse_extract_row row;
    assert_int_equal(lapse_extract_get(x, set, (size_t)i, &row, values), LAPSE_OK);
    return row.label;
}

static double v(const char *name)
{
    const int i = lapse_feature_find(name);
    if (i < 0)
        fail_msg("no feature %s", name);
    return values[i];
}

#define EXPECT(name, value) assert_float_equal(v(name), (value), 1e-12)

static void table_is_consistent(void **state)
{
    (void)state;
    const size_t n = lapse_feature_count();
    assert_true(n >= 60);
    const char *names[256];
    for (size_t i = 0; i < n; i++) {
        const lapse_feature_info *f = lapse_feature_get(i);
        assert_non_null(f);
        assert_true(strlen(f->meaning) > 10);
        assert_int_equal(lapse_feature_find(f->name), (int)i); /* names are unique */
        names[i] = f->name;
    }
    assert_null(lapse_feature_get(n));
    assert_int_equal(lapse_feature_find("no_such_feature"), -1);
    assert_true(lapse_feature_schema_hash() == lapse_schema_hash(names, n));
    static const char *const required[] = {
        "days_silent", "tenure_days", "purchases_total", "spend_total", "share_core",
        "share_social", "share_coupon_purchases", "spend_per_purchase", "repeat_purchases",
        "t_last_purchase_days", "age_purchase_days",
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_true(lapse_feature_find(required[i]) >= 0);
    /* Exactly the four profile features. */
    int profiles = 0;
    for (size_t i = 0; i < n; i++)
        profiles += lapse_feature_get(i)->profile;
    assert_int_equal(profiles, 4);
    assert_int_equal(lapse_feature_get(lapse_feature_find("share_core"))->profile, 1);
    assert_int_equal(lapse_feature_get(lapse_feature_find("spend_total"))->transform,
                     LAPSE_XFORM_LOG1P);
    /* Day counts are heavy-tailed too: a model sees their logarithm. */
    assert_int_equal(lapse_feature_get(lapse_feature_find("days_silent"))->transform,
                     LAPSE_XFORM_LOG1P);
    assert_int_equal(lapse_feature_get(lapse_feature_find("gap_cv_120"))->transform,
                     LAPSE_XFORM_NONE);
}

static void active_user_by_hand(void **state)
{
    (void)state;
    test_write_text("feat.csv", log_text);
    const char *paths[] = { "feat.csv" };
    lapse_extract *x = extract(paths, 1);
    assert_int_equal(row_of(x, LAPSE_EXTRACT_ACTIVE, "a"), 0); /* logged in on asof */
    EXPECT("days_silent", 1);
    EXPECT("tenure_days", 40);
    EXPECT("days_since_last_event", 1);
    EXPECT("days_since_activity", 1);
    EXPECT("days_since_core", 1);
    EXPECT("days_since_purchase", 9);
    EXPECT("days_since_social", 40);
    EXPECT("days_since_coupon", 41); /* none: tenure + 1 */
    EXPECT("events_total", 7);
    EXPECT("purchases_total", 2);
    EXPECT("spend_total", 15);
    EXPECT("active_days_7", 2);  /* k = 1, 7 */
    EXPECT("active_days_14", 4); /* + 8, 9 */
    EXPECT("active_days_30", 5); /* + 29 */
    EXPECT("active_days_90", 6); /* + 40 */
    EXPECT("sessions_7", 2);
    EXPECT("sessions_90", 2);
    EXPECT("events_core_7", 1);
    EXPECT("events_core_14", 2);
    EXPECT("events_purchase_14", 1);
    EXPECT("events_purchase_30", 2);
    EXPECT("events_social_30", 0);
    EXPECT("events_social_90", 1);
    EXPECT("events_other_90", 0);
    EXPECT("events_per_session_7", 1.5);  /* 3 events, 2 sessions */
    EXPECT("events_per_session_14", 2.5); /* 5 events */
    EXPECT("spend_7", 0);
    EXPECT("spend_14", 10.5);
    EXPECT("spend_30", 15);
    EXPECT("trend_sessions_7", 1);   /* 2 vs 0 */
    EXPECT("trend_sessions_30", 1);
    EXPECT("trend_spend_7", -1);     /* 0 vs 10.5 */
    EXPECT("trend_core_7", 0);       /* 1 vs 1 */
    EXPECT("trend_depth_7", 1);      /* 1.5 vs 0 (no sessions on days 8..14) */
    EXPECT("core_drop_30", 0);
    EXPECT("longest_gap_120", 20);   /* active k = 1, 7, 8, 9, 29, 40: gaps 6 1 1 20 11 */
    EXPECT("gap_mean_120", 7.8);
    EXPECT("gap_cv_120", sqrt(50.96) / 7.8);
    EXPECT("silence_vs_gap_120", 1 / 7.8); /* silent 1 day, usual gap 7.8 */
    EXPECT("active_days_since_core", 0);
    EXPECT("payment_stopped_30", 0);
    EXPECT("social_stopped_14", 0);
    EXPECT("device_changed_30", 0);
    EXPECT("share_core", 2.0 / 7);
    EXPECT("share_social", 1.0 / 7);
    EXPECT("share_coupon_purchases", 0);
    EXPECT("spend_per_purchase", 7.5);
    EXPECT("repeat_purchases", 1);
    EXPECT("t_last_purchase_days", 20); /* k 29 -> k 9 */
    EXPECT("age_purchase_days", 28); /* k 29 -> the day before asof (k 1) */
    lapse_extract_free(x);
}

static void fading_user_by_hand(void **state)
{
    (void)state;
    const char *paths[] = { "feat.csv" };
    lapse_extract *x = extract(paths, 1);
    assert_int_equal(row_of(x, LAPSE_EXTRACT_ACTIVE, "c"), 1); /* nothing after asof */
    EXPECT("days_silent", 1);
    EXPECT("tenure_days", 50);
    EXPECT("events_core_30", 1);
    EXPECT("trend_core_30", -0.5); /* 1 vs 3 */
    EXPECT("core_drop_30", 1);     /* 1 <= 70% of 3 */
    EXPECT("social_stopped_14", 1); /* a share 19 days ago, none since day 14 */
    EXPECT("device_changed_30", 1); /* dB now, dA before 2026-01-30 */
    EXPECT("active_days_since_core", 1); /* the login after the last core day */
    EXPECT("longest_gap_120", 29);  /* active k = 1, 3, 19, 48, 49, 50 */
    EXPECT("silence_vs_gap_120", 1 / 9.8); /* gaps 2 16 29 1 1 */
    EXPECT("share_core", 4.0 / 6);
    EXPECT("repeat_purchases", 0);
    EXPECT("age_purchase_days", 0);
    lapse_extract_free(x);
}

static void dormant_users_by_hand(void **state)
{
    (void)state;
    const char *paths[] = { "feat.csv" };
    lapse_extract *x = extract(paths, 1);
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE), 2);   /* a, c */
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_DORMANT), 2);  /* b, d */
    assert_int_equal(row_of(x, LAPSE_EXTRACT_DORMANT, "b"), -1); /* never labelled */
    EXPECT("days_silent", 59);
    EXPECT("payment_stopped_30", 1); /* bought 45 days ago, not in the last 30 */
    EXPECT("share_coupon_purchases", 1);
    EXPECT("spend_per_purchase", 20);
    EXPECT("device_changed_30", 0); /* the same latest event both times */
    EXPECT("days_since_coupon", 45);
    assert_int_equal(row_of(x, LAPSE_EXTRACT_DORMANT, "d"), -1);
    EXPECT("days_silent", 2); /* no key event ever: tenure */
    EXPECT("tenure_days", 2);
    EXPECT("events_total", 1);
    EXPECT("repeat_purchases", 0);
    EXPECT("t_last_purchase_days", 0);
    EXPECT("age_purchase_days", 1);
    EXPECT("silence_vs_gap_120", 2); /* one active day, no gap: the silence itself */
    /* z has events only after asof: no row anywhere. */
    assert_int_equal(lapse_extract_find(x, LAPSE_EXTRACT_ACTIVE, asof_seconds(), "z", 1), -1);
    assert_int_equal(lapse_extract_find(x, LAPSE_EXTRACT_DORMANT, asof_seconds(), "z", 1), -1);
    lapse_extract_free(x);
}

static void later_events_change_no_feature(void **state)
{
    (void)state;
    test_write_text("feat_later.csv", "ts,user_id,event,amount,device_id\n"
                                 "2026-03-01,a,purchase,99,d9\n"
                                 "2026-03-01T00:00:00Z,b,login,,d9\n"
                                 "2026-03-20,c,core_use,,dZ\n"
                                 "2026-03-02,d,share,,\n"
                                 "2026-03-05,new,login,,\n");
    const char *one[] = { "feat.csv" };
    const char *both[] = { "feat.csv", "feat_later.csv" };
    lapse_extract *x = extract(one, 1), *y = extract(both, 2);
    const size_t nf = lapse_feature_count();
    for (int set = 0; set < 2; set++) {
        assert_int_equal(lapse_extract_count(x, set), lapse_extract_count(y, set));
        for (size_t i = 0; i < lapse_extract_count(x, set); i++) {
            double a[256], b[256];
            lapse_extract_row ra, rb;
            lapse_extract_get(x, set, i, &ra, a);
            lapse_extract_get(y, set, i, &rb, b);
            assert_int_equal(ra.user_id_len, rb.user_id_len);
            assert_memory_equal(ra.user_id, rb.user_id, ra.user_id_len);
            assert_memory_equal(a, b, nf * sizeof a[0]);
        }
    }
    /* The label does see them: c logged no key event, but core_use is not key. */
    lapse_extract_free(x);
    lapse_extract_free(y);
    remove("feat_later.csv");
}

static void horizon_past_the_data_is_an_error(void **state)
{
    (void)state;
    test_write_text("feat_short.csv", "user_id,ts,event\nu,2026-02-20,login\nu,2026-03-10,login\n");
    const char *paths[] = { "feat_short.csv" };
    int64_t asof = asof_seconds();
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = &asof;
    opts.asof_count = 1;
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_run(&x, paths, 1, &opts, &err), LAPSE_ERR_RANGE);
    assert_non_null(strstr(err.message, "2026-03-10"));
    assert_non_null(strstr(err.message, "2026-03-30"));
    opts.labels = 0;
    assert_int_equal(lapse_extract_run(&x, paths, 1, &opts, &err), LAPSE_OK);
    lapse_extract_row row;
    assert_int_equal(lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, 0, &row, NULL), LAPSE_OK);
    assert_int_equal(row.label, -1);
    lapse_extract_free(x);
    remove("feat_short.csv");
}

static void csv_table_layout(void **state)
{
    (void)state;
    const char *paths[] = { "feat.csv" };
    lapse_extract *x = extract(paths, 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, LAPSE_TABLE_CSV, out, &err),
                     LAPSE_OK);
    fclose(out);
    char *nl = strchr(buf, '\n');
    lapse_table_meta meta;
    assert_int_equal(lapse_table_meta_parse(&meta, buf, (size_t)(nl - buf)), LAPSE_OK);
    assert_true(meta.schema_hash == lapse_feature_schema_hash());
    assert_int_equal(meta.churn.silent_days, 30);
    assert_int_equal(strncmp(nl + 1, "user_id,asof,days_silent,tenure_days,", 37), 0);
    /* Rows sorted by user id; a's row begins with its id, date, days_silent 1, tenure 40;
     * spend_14 = 10.5 prints with %.17g. */
    assert_non_null(strstr(buf, "\na,2026-03-01,1,40,1,"));
    assert_non_null(strstr(buf, ",10.5,"));
    assert_true(strstr(buf, "\na,") < strstr(buf, "\nc,"));
    /* c, the last row: label 1; its last key event the day before asof, so
     * its silence reaches 30 days on day 30 of the window. */
    assert_int_equal(strcmp(buf + len - 6, ",1,30\n"), 0);
    free(buf);
    lapse_extract_free(x);
}

static int teardown(void **state)
{
    (void)state;
    remove("feat.csv");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_consistent),
        cmocka_unit_test(active_user_by_hand),
        cmocka_unit_test(fading_user_by_hand),
        cmocka_unit_test(dormant_users_by_hand),
        cmocka_unit_test(later_events_change_no_feature),
        cmocka_unit_test(horizon_past_the_data_is_an_error),
        cmocka_unit_test(csv_table_layout),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
