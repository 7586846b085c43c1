/* Labels from a file (lapse extract --labels): the rows take the file's
 * labels, the log may end at the snapshot, unknown users are counted, the
 * table records the file's sha256, and bad files are located errors. A
 * snapshot per user (--asof-file): only listed users, each at its date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "labelfile.h"
#include "test_files.h"

#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include <stdlib.h>

/* u1, u2, u3 active at 2026-03-01 and at 2026-03-02; u4 silent. No event
 * after the first snapshot: labels from the log would be refused. */
static const char log_text[] = "user_id,ts,event\n"
                               "u1,2026-02-20,login\n"
                               "u2,2026-02-25,login\n"
                               "u3,2026-02-27,login\n"
                               "u4,2026-01-02,login\n"
                               "u3,2026-03-01,login\n";

static lapse_extract *run(const char *labels, const char *asof_text, int expect)
{
    static const char *const paths[] = { "labels_log.csv" };
    test_write_text(paths[0], log_text);
    int64_t asof[2];
    size_t n = 0;
    for (const char *p = asof_text; *p; p += 10 + (p[10] == ','))
        assert_int_equal(lapse_date_parse(&asof[n++], p, 10), LAPSE_OK);
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = asof;
    opts.asof_count = n;
    opts.labels_path = labels;
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_extract_run(&x, paths, 1, &opts, &err);
    if (status != expect)
        fail_msg("status %d, expected %d: %s", status, expect, err.message);
    return x;
}

/* The label of user's row at asof ("YYYY-MM-DD"), -2 when it has none. */
static int label_of(const lapse_extract *x, const char *user, const char *asof_text)
{
    int64_t asof;
    assert_int_equal(lapse_date_parse(&asof, asof_text, 10), LAPSE_OK);
    const int64_t i = lapse_extract_find(x, LAPSE_EXTRACT_ACTIVE, asof, user, strlen(user));
    if (i < 0)
        return -2;
    lapse_extract_row row;
    assert_int_equal(lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, (size_t)i, &row, NULL), LAPSE_OK);
    return row.label;
}

static void labels_by_user(void **state)
{
    (void)state;
    test_write_text("labels.csv", "user_id,label\nu1,1\nu2,0\nu9,1\nu8,\n");
    lapse_extract *x = run("labels.csv", "2026-03-01", LAPSE_OK);
    assert_int_equal(label_of(x, "u1", "2026-03-01"), 1);
    assert_int_equal(label_of(x, "u2", "2026-03-01"), 0);
    assert_int_equal(label_of(x, "u3", "2026-03-01"), -1); /* not listed: empty, never 0 */
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    assert_int_equal(stats.labels_unknown, 2); /* u9 and u8 */
    assert_int_equal(stats.labels_missing, 1); /* u3 */

    /* The table says where its labels came from. */
    FILE *out = tmpfile();
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, LAPSE_TABLE_CSV, out, &err),
                     LAPSE_OK);
    rewind(out);
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_non_null(fgets(line, sizeof line, out));
    fclose(out);
    line[strcspn(line, "\n")] = '\0';
    lapse_table_meta meta;
    assert_int_equal(lapse_table_meta_parse(&meta, line, strlen(line)), LAPSE_OK);
    /* sha256sum of "user_id,label\nu1,1\nu2,0\nu9,1\nu8,\n" */
    assert_string_equal(meta.labels_sha256,
                        "7c0e1628c55a726fb33e177022673f4cf83f2305638919b20c711df906319c40");
    lapse_extract_free(x);
}

static void labels_by_user_and_asof(void **state)
{
    (void)state;
    test_write_text("labels3.csv", "user_id,asof,label\n"
                                   "u1,2026-03-01,1\n"
                                   "u1,2026-03-02,0\n"
                                   "u2,2026-03-02,1\n"
                                   "u2,2026-04-01,1\n");
    lapse_extract *x = run("labels3.csv", "2026-03-01,2026-03-02", LAPSE_OK);
    assert_int_equal(label_of(x, "u1", "2026-03-01"), 1);
    assert_int_equal(label_of(x, "u1", "2026-03-02"), 0);
    assert_int_equal(label_of(x, "u2", "2026-03-01"), -1);
    assert_int_equal(label_of(x, "u2", "2026-03-02"), 1);
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    assert_int_equal(stats.labels_unknown, 1); /* 2026-04-01 is no snapshot */
    lapse_extract_free(x);
}

/* Reads text as a label file and expects a located error. */
static void expect_bad(const char *text, int64_t line, int column, const char *needle)
{
    test_write_text("bad_labels.csv", text);
    label_file *f = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(label_file_read(&f, "bad_labels.csv", 1, NULL, &err), LAPSE_ERR_FORMAT);
    assert_null(f);
    assert_string_equal(err.path, "bad_labels.csv");
    test_expect_location(&err, line, column, needle);
}

static void bad_label_files(void **state)
{
    (void)state;
    expect_bad("user_id,label\nu1,1\nu2,0\nu1,0\n", 4, 1,
               "user \"u1\" is listed twice: lines 2 and 4");
    expect_bad("user_id,asof,label\nu1,2026-03-01,1\nu1,2026-03-01,0\n", 3, 1,
               "user \"u1\" at 2026-03-01 is listed twice: lines 2 and 3");
    expect_bad("user_id,label\nu1,2\n", 2, 2, "label must be 0, 1 or empty (unknown), not \"2\"");
    expect_bad("user_id,label\nu1,yes\n", 2, 2, "not \"yes\"");
    expect_bad("user_id,churned\n", 1, 2, "unknown column \"churned\"");
    expect_bad("user_id\nu1\n", 1, 0, "the header has no label column");
    expect_bad("user_id,asof,label\nu1,2026-02-30,1\n", 2, 2, "bad asof \"2026-02-30\"");
    expect_bad("user_id,label\n,1\n", 2, 1, "empty user id");
    expect_bad("user_id,label\nu1\n", 2, 2, "1 fields, the header has 2");
    expect_bad("user_id,label\nu1,1,x\n", 2, 3, "more fields than the header's 2");
    expect_bad("", 1, 0, "no header: the file is empty");
}

static void labels_need_labels_on(void **state)
{
    (void)state;
    int64_t asof = 0;
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = &asof;
    opts.asof_count = 1;
    opts.labels = 0;
    opts.labels_path = "labels.csv";
    const char *const paths[] = { "labels_log.csv" };
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_run(&x, paths, 1, &opts, &err), LAPSE_ERR_ARG);
    assert_null(x);
}

/* Runs extract with an asof file (and maybe a label file) instead of dates. */
static int run_asof_file(lapse_extract **x, const char *asof_path, const char *labels_path,
                         int labels, lapse_error *err)
{
    static const char *const paths[] = { "labels_log.csv" };
    test_write_text(paths[0], log_text);
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof_path = asof_path;
    opts.labels_path = labels_path;
    opts.labels = labels;
    *x = NULL;
    return lapse_extract_run(x, paths, 1, &opts, err);
}

static void asof_file_two_dates(void **state)
{
    (void)state;
    test_write_text("asof.csv", "user_id,asof,label\n"
                                "u1,2026-03-01,1\n"
                                "u2,2026-03-02,0\n"
                                "u3,2026-03-02,\n"
                                "u9,2026-03-01,1\n");
    lapse_extract *x;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(run_asof_file(&x, "asof.csv", NULL, 1, &err), LAPSE_OK);
    /* Each listed user at its own date only; u4, unlisted, gets no row. */
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE), 3);
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_DORMANT), 0);
    assert_int_equal(label_of(x, "u1", "2026-03-01"), 1);
    assert_int_equal(label_of(x, "u1", "2026-03-02"), -2);
    assert_int_equal(label_of(x, "u2", "2026-03-02"), 0);
    assert_int_equal(label_of(x, "u3", "2026-03-02"), -1);
    assert_int_equal(label_of(x, "u3", "2026-03-01"), -2);
    /* Day windows count back from each user's date: u3's event on
     * 2026-03-01 is before its snapshot 2026-03-02. */
    const int64_t i = lapse_extract_find(x, LAPSE_EXTRACT_ACTIVE, 1772409600 /* 2026-03-02 */,
                                         "u3", 2);
    assert_true(i >= 0);
    double *values = malloc(lapse_feature_count() * sizeof *values);
    assert_non_null(values);
    assert_int_equal(lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, (size_t)i, NULL, values), LAPSE_OK);
    assert_true(values[0] == 1); /* days_silent: the day before */
    free(values);
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    assert_int_equal(stats.asof_unlisted, 1); /* u4 */
    assert_int_equal(stats.asof_no_row, 1);   /* u9 */
    lapse_extract_free(x);

    /* Without a label column, labels come from the log, which ends at the
     * first snapshot: refused as with --asof; with labels off, no labels. */
    test_write_text("asof2.csv", "user_id,asof\nu1,2026-03-01\nu2,2026-03-02\n");
    assert_int_equal(run_asof_file(&x, "asof2.csv", NULL, 1, &err), LAPSE_ERR_RANGE);
    assert_int_equal(run_asof_file(&x, "asof2.csv", NULL, 0, &err), LAPSE_OK);
    assert_int_equal(label_of(x, "u2", "2026-03-02"), -1);
    lapse_extract_free(x);
    /* A label file with it. */
    test_write_text("labels_u2.csv", "user_id,label\nu2,1\n");
    assert_int_equal(run_asof_file(&x, "asof2.csv", "labels_u2.csv", 1, &err), LAPSE_OK);
    assert_int_equal(label_of(x, "u2", "2026-03-02"), 1);
    lapse_extract_free(x);
}

static void bad_asof_files(void **state)
{
    (void)state;
    lapse_extract *x;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("asof_nodate.csv", "user_id,label\nu1,1\n");
    assert_int_equal(run_asof_file(&x, "asof_nodate.csv", NULL, 1, &err), LAPSE_ERR_FORMAT);
    test_expect_location(&err, 1, 0, "the header has no asof column");
    test_write_text("asof_lab.csv", "user_id,asof,label\nu1,2026-03-01,1\n");
    assert_int_equal(run_asof_file(&x, "asof_lab.csv", "labels.csv", 1, &err), LAPSE_ERR_ARG);
    /* 65 distinct dates: one more than snapshots can be. */
    char text[65 * 32 + 32] = "user_id,asof\n";
    for (int d = 0; d < 65; d++)
        sprintf(text + strlen(text), "u%d,2025-%02d-%02d\n", d, 1 + d / 28, 1 + d % 28);
    test_write_text("asof_many.csv", text);
    assert_int_equal(run_asof_file(&x, "asof_many.csv", NULL, 0, &err), LAPSE_ERR_RANGE);
    test_expect_location(&err, 66, 0, "more than 64 distinct asof dates");
    assert_null(x);
}

static void meta_labels_round_trip(void **state)
{
    (void)state;
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, 0x0123456789abcdefull, "w", "" };
    memset(meta.labels_sha256, 'a', 64);
    meta.labels_sha256[64] = '\0';
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    assert_non_null(strstr(line, "; labels=file:aaaa"));
    lapse_table_meta back;
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_OK);
    assert_string_equal(back.labels_sha256, meta.labels_sha256);
    assert_string_equal(back.warnings, "w");
    /* Only file: and 64 lower-case hex digits. */
    char *key = strstr(line, "file:");
    key[5] = 'A';
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_ERR_FORMAT);
    key[5] = 'a';
    memcpy(key, "fila:", 5);
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labels_by_user),
        cmocka_unit_test(labels_by_user_and_asof),
        cmocka_unit_test(bad_label_files),
        cmocka_unit_test(labels_need_labels_on),
        cmocka_unit_test(asof_file_two_dates),
        cmocka_unit_test(bad_asof_files),
        cmocka_unit_test(meta_labels_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
