/* Reading scored files for lapse eval (lapse_eval_read_scored): columns by
 * name, '#' lines, CRLF, refused files with their place, gzip and a BOM;
 * the tier and segment columns (lapse_eval_read), and the ROC points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void read_scored(void **state)
{
    (void)state;
    /* Columns in any order, a '#' line first, a quoted field with a comma,
     * an empty label skipped, CRLF line ends. */
    const char *paths[2] = {
        test_write_text("eval_scored1.csv", "# made by hand\r\nlabel,user_id,p_churn\r\n1,\"a,b\",0.9\r\n"
                                        "0,b,0.25\r\n,c,0.5\r\n"),
        test_write_text("eval_scored2.csv", "user_id,asof,p_churn,label\nd,2026-01-01,1,1\n"
                                        "e,2026-01-01,0,0"),
    };
    double *p;
    int *y;
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_read_scored(&p, &y, &n, paths, 2, &err), 0);
    assert_int_equal(n, 4);
    const double want_p[4] = { 0.9, 0.25, 1, 0 };
    const int want_y[4] = { 1, 0, 1, 0 };
    for (size_t i = 0; i < n; i++) {
        assert_true(p[i] == want_p[i]);
        assert_int_equal(y[i], want_y[i]);
    }
    free(p);
    free(y);

    static const struct {
        const char *text;
        int code;
        int64_t line;
        int column;
        const char *message;
    } bad[] = {
        { "user_id,p_churn,label\na,0.5,1\nb,1.5,0\n", LAPSE_ERR_FORMAT, 3, 2, "bad p_churn \"1.5\"" },
        { "user_id,p_churn,label\na,0.5x,1\n", LAPSE_ERR_FORMAT, 2, 2, "bad p_churn \"0.5x\"" },
        { "user_id,p_churn,label\na,nan,1\n", LAPSE_ERR_FORMAT, 2, 2, "bad p_churn" },
        { "user_id,p_churn,label\na,0.5,2\n", LAPSE_ERR_FORMAT, 2, 3, "bad label \"2\"" },
        { "user_id,p_churn,label\na,0.5\n", LAPSE_ERR_FORMAT, 2, 2, "row has 2 fields" },
        { "user_id,score,label\na,0.5,1\n", LAPSE_ERR_FORMAT, 1, 0, "no p_churn column" },
        { "p_churn,p_churn,label\n", LAPSE_ERR_FORMAT, 1, 2, "appears twice" },
        { "user_id,p_churn,label\na,\"0.5,1\n", LAPSE_ERR_FORMAT, 2, 2, "unterminated" },
        { "", LAPSE_ERR_FORMAT, 1, 0, "no header" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *one[1] = { test_write_text("eval_scored_bad.csv", bad[i].text) };
        lapse_error e = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_eval_read_scored(&p, &y, &n, one, 1, &e), bad[i].code);
        assert_null(p);
        assert_string_equal(e.path, "eval_scored_bad.csv");
        assert_int_equal(e.line, bad[i].line);
        assert_int_equal(e.column, bad[i].column);
        if (!strstr(e.message, bad[i].message))
            fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, e.message, bad[i].message);
    }
    const char *missing[1] = { "eval_no_such_file.csv" };
    assert_int_equal(lapse_eval_read_scored(&p, &y, &n, missing, 1, &err), LAPSE_ERR_IO);
}

static void read_scored_gzip_bom(void **state)
{
    (void)state;
    /* A BOM, then gzip: what a spreadsheet export compressed looks like. */
    static const char text[] = "\xef\xbb\xbfuser_id,p_churn,label\na,0.75,1\n";
    gzFile gz = gzopen("eval_scored_bom.csv.gz", "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, sizeof text - 1), (int)(sizeof text - 1));
    assert_int_equal(gzclose(gz), Z_OK);
    const char *paths[1] = { "eval_scored_bom.csv.gz" };
    double *p;
    int *y;
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_read_scored(&p, &y, &n, paths, 1, &err), LAPSE_OK);
    assert_int_equal(n, 1);
    assert_true(p[0] == 0.75 && y[0] == 1);
    free(p);
    free(y);
}

/* A scored file with every contribution beside it (score --contribs) may
 * name p_churn and label after its 64th column. */
static void read_wide(void **state)
{
    (void)state;
    char text[4096];
    size_t at = 0;
    for (int c = 0; c < 100; c++)
        at += (size_t)snprintf(text + at, sizeof text - at, "c%d,", c);
    at += (size_t)snprintf(text + at, sizeof text - at, "p_churn,label\n");
    for (int c = 0; c < 100; c++)
        at += (size_t)snprintf(text + at, sizeof text - at, "%d,", c);
    snprintf(text + at, sizeof text - at, "0.125,1\n");
    const char *paths[1] = { test_write_text("eval_scored_wide.csv", text) };
    double *p;
    int *y;
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_read_scored(&p, &y, &n, paths, 1, &err), LAPSE_OK);
    assert_int_equal(n, 1);
    assert_true(p[0] == 0.125 && y[0] == 1);
    free(p);
    free(y);
}

static void read_groups(void **state)
{
    (void)state;
    /* Both files have risk_tier (in other places); only the first has
     * segment, so segments are left out. The unlabelled row is skipped. */
    const char *paths[2] = {
        test_write_text("eval_groups1.csv", "p_churn,label,risk_tier,segment\n0.9,1,high,s1\n"
                                            "0.2,0,low,s2\n0.5,,high,s2\n"),
        test_write_text("eval_groups2.csv", "risk_tier,p_churn,label\nlow,0.1,0\n,0.3,1\n"),
    };
    lapse_eval_rows rows;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_read(&rows, paths, 2, &err), LAPSE_OK);
    assert_int_equal(rows.n, 4);
    const lapse_eval_group *tiers = &rows.group[LAPSE_EVAL_RISK_TIER];
    assert_non_null(tiers->id);
    assert_int_equal(tiers->n_names, 3);
    assert_string_equal(tiers->names[0], "high");
    assert_string_equal(tiers->names[1], "low");
    assert_string_equal(tiers->names[2], "");
    const uint32_t want[4] = { 0, 1, 1, 2 };
    for (size_t i = 0; i < rows.n; i++)
        assert_int_equal(tiers->id[i], want[i]);
    assert_null(rows.group[LAPSE_EVAL_SEGMENT].id);
    assert_true(rows.p[3] == 0.3 && rows.y[3] == 1);
    lapse_eval_rows_free(&rows);

    /* A column named twice is refused at its place. */
    const char *twice[1] = { test_write_text("eval_groups3.csv",
                                             "p_churn,label,segment,segment\n0.5,1,a,b\n") };
    assert_int_equal(lapse_eval_read(&rows, twice, 1, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 4);
    lapse_eval_rows_free(&rows);
}

static void roc_points(void **state)
{
    (void)state;
    /* Tied scores enter together: 0.8 holds a churner and a non-churner. */
    const double p[5] = { 0.9, 0.8, 0.8, 0.3, 0.1 };
    const int y[5] = { 1, 1, 0, 0, 0 };
    lapse_eval_roc_point *roc;
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_roc(&roc, &n, 200, p, y, 5, &err), LAPSE_OK);
    const double want[5][3] = { { INFINITY, 0, 0 }, { 0.9, 0, 0.5 }, { 0.8, 1.0 / 3, 1 },
                                { 0.3, 2.0 / 3, 1 }, { 0.1, 1, 1 } };
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_true(roc[i].threshold == want[i][0]);
        assert_true(roc[i].fpr == want[i][1]);
        assert_true(roc[i].tpr == want[i][2]);
    }
    free(roc);

    /* Thinned to 3: the first, the middle and the last. */
    assert_int_equal(lapse_eval_roc(&roc, &n, 3, p, y, 5, &err), LAPSE_OK);
    assert_int_equal(n, 3);
    assert_true(isinf(roc[0].threshold) && roc[1].threshold == 0.8 && roc[2].threshold == 0.1);
    free(roc);

    const int one_class[5] = { 0, 0, 0, 0, 0 };
    assert_int_equal(lapse_eval_roc(&roc, &n, 200, p, one_class, 5, &err), LAPSE_ERR_RANGE);
    assert_null(roc);
    assert_int_equal(lapse_eval_roc(&roc, &n, 1, p, y, 5, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_scored),
        cmocka_unit_test(read_scored_gzip_bom),
        cmocka_unit_test(read_wide),
        cmocka_unit_test(read_groups),
        cmocka_unit_test(roc_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
