/* days_to_churn (lapse/churn.h): the definition on its own, then through
 * extract on a hand-written log, the table it writes, and a table from
 * before the column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/churn.h"
#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ASOF = 20000 }; /* any day number */

static lapse_churn_def def_of(int silent_days, int horizon_days, int cancel_is_churn)
{
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    def.silent_days = silent_days;
    def.horizon_days = horizon_days;
    def.cancel_is_churn = cancel_is_churn;
    return def;
}

static void silence_day_by_hand(void **state)
{
    (void)state;
    const lapse_churn_def app = def_of(30, 30, 0);
    /* Last key event the day before: the 30th silent day is window day 30. */
    assert_int_equal(lapse_churn_days_to_churn(&app, ASOF, ASOF - 1, 0, LAPSE_CHURN_NEVER), 30);
    /* 30 days before: the snapshot day itself is the 30th. */
    assert_int_equal(lapse_churn_days_to_churn(&app, ASOF, ASOF - 30, 0, LAPSE_CHURN_NEVER), 1);
    assert_int_equal(lapse_churn_days_to_churn(&app, ASOF, ASOF - 9, 0, LAPSE_CHURN_NEVER), 22);
    /* A key event in the window: stayed, whatever silence follows it. */
    assert_int_equal(lapse_churn_days_to_churn(&app, ASOF, ASOF - 9, 1, LAPSE_CHURN_NEVER), 0);
    /* Not active at the snapshot: no label, no day. */
    assert_int_equal(lapse_churn_days_to_churn(&app, ASOF, ASOF - 31, 0, LAPSE_CHURN_NEVER), 0);
    const lapse_churn_def game = def_of(7, 30, 0);
    assert_int_equal(lapse_churn_days_to_churn(&game, ASOF, ASOF - 1, 0, LAPSE_CHURN_NEVER), 7);
    assert_int_equal(lapse_churn_days_to_churn(&game, ASOF, ASOF - 7, 0, LAPSE_CHURN_NEVER), 1);
    /* Silence longer than the window: day 70 of it is capped at the horizon. */
    const lapse_churn_def finance = def_of(90, 30, 0);
    assert_int_equal(lapse_churn_days_to_churn(&finance, ASOF, ASOF - 1, 0, LAPSE_CHURN_NEVER),
                     30);
    assert_int_equal(lapse_churn_days_to_churn(&finance, ASOF, ASOF - 70, 0, LAPSE_CHURN_NEVER),
                     21);
}

static void cancel_day_by_hand(void **state)
{
    (void)state;
    const lapse_churn_def sub = def_of(30, 30, 1);
    assert_int_equal(lapse_churn_days_to_churn(&sub, ASOF, ASOF - 1, 1, ASOF), 1);
    assert_int_equal(lapse_churn_days_to_churn(&sub, ASOF, ASOF - 1, 1, ASOF + 4), 5);
    assert_int_equal(lapse_churn_days_to_churn(&sub, ASOF, ASOF - 1, 0, ASOF + 29), 30);
    assert_int_equal(lapse_churn_days_to_churn(&sub, ASOF, ASOF - 1, 0, ASOF + 30), 0);
    assert_int_equal(lapse_churn_days_to_churn(&sub, ASOF, ASOF - 1, 0, LAPSE_CHURN_NEVER), 0);
}

/* For every active user: "churned within h" (days_to_churn in 1..h) never
 * shrinks as h grows, and at the horizon is the label (no key event in the
 * window). */
static void within_h_is_monotone_and_the_label_at_the_horizon(void **state)
{
    (void)state;
    const int silent[] = { 1, 7, 30, 90 }, horizon[] = { 1, 7, 30, 60 };
    for (size_t s = 0; s < 4; s++)
        for (size_t h = 0; h < 4; h++) {
            const lapse_churn_def def = def_of(silent[s], horizon[h], 0);
            for (int back = 1; back <= silent[s]; back++)
                for (int key_in_window = 0; key_in_window <= 1; key_in_window++) {
                    const int d = lapse_churn_days_to_churn(&def, ASOF, ASOF - back,
                                                            key_in_window, LAPSE_CHURN_NEVER);
                    assert_true(d >= 0 && d <= horizon[h]);
                    assert_int_equal(d >= 1, !key_in_window);
                }
        }
}

/* asof 2026-03-01; silence: 30 days, horizon 30 (the app preset). */
static const char *const log_text =
    "user_id,ts,event\n"
    "a,2026-02-20,login\n"  /* 9 days before asof, then nothing: day 22 */
    "b,2026-02-28,login\n"  /* back on 03-10: stayed */
    "b,2026-03-10,login\n"
    "c,2026-01-31,login\n"  /* 29 days before: day 2 */
    "e,2026-02-28,login\n"  /* only a purchase after asof, not a key event: day 30 */
    "e,2026-03-05,purchase\n"
    "s,2026-02-27,login\n"  /* cancels on 03-05 (day 5 under churn = cancel) */
    "s,2026-03-05,cancel\n"
    "s,2026-03-06,login\n"
    "z,2026-04-15,login\n"; /* marks the end of the data */

static int64_t asof_seconds(void)
{
    int64_t asof;
    assert_int_equal(lapse_time_parse(&asof, "2026-03-01", 10), LAPSE_OK);
    return asof;
}

static lapse_extract *extract(int cancel_is_churn, const char *labels_path)
{
    static int64_t asof;
    asof = asof_seconds();
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = &asof;
    opts.asof_count = 1;
    opts.churn.cancel_is_churn = cancel_is_churn;
    opts.labels_path = labels_path;
    const char *paths[] = { "dtc_log.csv" };
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_extract_run(&x, paths, 1, &opts, &err) != LAPSE_OK)
        fail_msg("%s", err.message);
    return x;
}

static lapse_extract_row row_of(lapse_extract *x, const char *user)
{
    const int64_t i =
        lapse_extract_find(x, LAPSE_EXTRACT_ACTIVE, asof_seconds(), user, strlen(user));
    assert_true(i >= 0);
    lapse_extract_row row;
    assert_int_equal(lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, (size_t)i, &row, NULL), LAPSE_OK);
    return row;
}

static void extract_rows(void **state)
{
    (void)state;
    test_write_text("dtc_log.csv", log_text);
    lapse_extract *x = extract(0, NULL);
    static const struct {
        const char *user;
        int label, day;
    } want[] = { { "a", 1, 22 }, { "b", 0, 0 }, { "c", 1, 2 }, { "e", 1, 30 }, { "s", 0, 0 } };
    /* For a churned row the day is known at the snapshot: silent_days + 1 -
     * days_since_activity (its key category). Only whether is uncertain. */
    const int since = lapse_feature_find("days_since_activity");
    assert_true(since >= 0);
    double *features = malloc(lapse_feature_count() * sizeof *features);
    assert_non_null(features);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const lapse_extract_row row = row_of(x, want[i].user);
        assert_int_equal(row.label, want[i].label);
        assert_int_equal(row.days_to_churn, want[i].day);
        const int64_t at = lapse_extract_find(x, LAPSE_EXTRACT_ACTIVE, asof_seconds(),
                                              want[i].user, strlen(want[i].user));
        assert_int_equal(lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, (size_t)at, NULL, features),
                         LAPSE_OK);
        if (want[i].day)
            assert_int_equal(want[i].day, 31 - (int)features[since]);
    }
    free(features);
    lapse_extract_free(x);
    /* Churn = a cancel: the day of the first cancel in the window. */
    x = extract(1, NULL);
    assert_int_equal(row_of(x, "s").label, 1);
    assert_int_equal(row_of(x, "s").days_to_churn, 5);
    assert_int_equal(row_of(x, "a").days_to_churn, 0);
    lapse_extract_free(x);
    /* A label file says whether, not when. */
    test_write_text("dtc_labels.csv", "user_id,label\na,1\nb,1\n");
    x = extract(0, "dtc_labels.csv");
    assert_int_equal(row_of(x, "b").label, 1);
    assert_int_equal(row_of(x, "b").days_to_churn, 0);
    lapse_extract_free(x);
}

static void write_table(const char *path)
{
    lapse_extract *x = extract(0, NULL);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, LAPSE_TABLE_CSV, out, &err),
                     LAPSE_OK);
    assert_int_equal(fclose(out), 0);
    lapse_extract_free(x);
}

static int16_t day_of(const lapse_table *t, const char *user)
{
    for (size_t i = 0; i < t->n_rows; i++)
        if (strcmp(t->user_ids[i], user) == 0)
            return t->days_to_churn[i];
    fail_msg("no row for %s", user);
    return -1;
}

/* The column read back; a table without it (cut off every row and the
 * header, as tables were before it; its users renamed o<id>) reads the same
 * but for the column. */
static void table_round_trip_and_older_tables(void **state)
{
    (void)state;
    test_write_text("dtc_log.csv", log_text);
    write_table("dtc_table.csv");
    const char *paths[] = { "dtc_table.csv", "dtc_old.csv" };
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, paths, 1, &err), LAPSE_OK);
    assert_non_null(t->days_to_churn);
    assert_int_equal(day_of(t, "a"), 22);
    assert_int_equal(day_of(t, "b"), 0);
    assert_int_equal(day_of(t, "c"), 2);
    const size_t n_features = t->n_features;
    lapse_table_free(t);

    FILE *in = fopen("dtc_table.csv", "rb"), *out = fopen("dtc_old.csv", "wb");
    assert_non_null(in);
    assert_non_null(out);
    char line[65536];
    for (int n = 0; fgets(line, sizeof line, in); n++) {
        if (n > 0)
            strcpy(strrchr(line, ','), "\n");
        fprintf(out, "%s%s", n > 1 ? "o" : "", line);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(lapse_table_read(&t, paths + 1, 1, &err), LAPSE_OK);
    assert_null(t->days_to_churn);
    assert_int_equal(t->n_features, n_features);
    lapse_table_free(t);
    /* Old and new files together: the column is dropped, not half-filled. */
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_OK);
    assert_int_equal(t->n_rows, 10);
    assert_null(t->days_to_churn);
    lapse_table_free(t);
}

static int teardown(void **state)
{
    (void)state;
    remove("dtc_log.csv");
    remove("dtc_labels.csv");
    remove("dtc_table.csv");
    remove("dtc_old.csv");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(silence_day_by_hand),
        cmocka_unit_test(cancel_day_by_hand),
        cmocka_unit_test(within_h_is_monotone_and_the_label_at_the_horizon),
        cmocka_unit_test(extract_rows),
        cmocka_unit_test(table_round_trip_and_older_tables),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
