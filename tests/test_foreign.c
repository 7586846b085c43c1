/* Foreign tables (lapse/foreign.h): CSV and libsvm files of one's own,
 * their inferred encoding, the rows it makes, the model that keeps it and
 * the scores of a table matched to it by column name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/foreign.h"
#include "lapse/model.h"
#include "lapse/score.h"
#include "lapse/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Warnings logged since the last reset, joined by newlines. */
static char logged[4096];

static void capture(lapse_log_level level, const char *message, void *user)
{
    (void)user;
    if (level != LAPSE_LOG_WARN)
        return;
    const size_t used = strlen(logged);
    snprintf(logged + used, sizeof logged - used, "%s\n", message);
}

static int setup(void **state)
{
    (void)state;
    logged[0] = '\0';
    lapse_log_set(capture, NULL);
    return 0;
}

static lapse_foreign_options csv_opts(const char *label, const char *id)
{
    lapse_foreign_options o = LAPSE_FOREIGN_OPTIONS_INIT;
    o.label = label;
    o.id = id;
    return o;
}

/* Ten customers: a number with a gap, a plan with three levels and a gap,
 * a label. */
static const char customers[] = "customer,spend,plan,churned\n"
                                "c1,10,basic,0\n"
                                "c2,,pro,1\n"
                                "c3,30,basic,0\n"
                                "c4,40,,1\n"
                                "c5,50,team,0\n"
                                "c6,60,pro,\n"
                                "c7,70,basic,1\n"
                                "c8,80,team,0\n"
                                "c9,90,pro,1\n"
                                "c10,100,basic,0\n";

static lapse_table *read_ok(const char *path, const lapse_foreign_options *o)
{
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_table_read_foreign(&t, path, o, &err);
    if (status != LAPSE_OK)
        fail_msg("%s: %s (line %lld, column %d)", path, err.message, (long long)err.line,
                 err.column);
    return t;
}

static void expect_names(const lapse_table *t, const char *const *names, size_t n)
{
    assert_int_equal(t->n_features, n);
    for (size_t j = 0; j < n; j++)
        assert_string_equal(t->feature_names[j], names[j]);
}

static void one_hot_and_imputation(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("churned", "customer");
    lapse_table *t = read_ok(test_write_text("foreign_customers.csv", customers), &o);
    static const char *const names[] = { "spend",     "spend_missing", "plan=basic", "plan=pro",
                                         "plan=team", "plan_missing" };
    expect_names(t, names, 6);
    const lapse_foreign_encoding *e = t->encoding;
    assert_non_null(e);
    assert_int_equal(e->n_columns, 2);
    assert_int_equal(e->columns[0].kind, LAPSE_COLUMN_NUMBER);
    /* The median of 10, 30, 40, ..., 100 (nine values). */
    assert_true(e->columns[0].impute == 60);
    assert_int_equal(e->columns[1].kind, LAPSE_COLUMN_LEVELS);
    assert_int_equal(e->columns[1].n_levels, 3);
    assert_int_equal(t->n_rows, 10);
    static const double row2[] = { 60, 1, 0, 1, 0, 0 }, row4[] = { 40, 0, 0, 0, 0, 1 };
    assert_memory_equal(t->x + 1 * 6, row2, sizeof row2);
    assert_memory_equal(t->x + 3 * 6, row4, sizeof row4);
    assert_string_equal(t->user_ids[9], "c10");
    assert_int_equal(t->labels[1], 1);
    assert_int_equal(t->labels[5], -1);
    assert_true(t->asof[0] == LAPSE_TABLE_NO_ASOF);
    assert_true(t->meta.schema_hash == lapse_schema_hash(names, 6));
    lapse_table_free(t);
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The impute value is the median of the training values, by a selection
 * checked here against a sort: odd and even counts, ties, a sorted run. */
static void impute_is_the_median(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("y", NULL);
    static const size_t counts[] = { 1, 2, 4, 5, 1000, 1001 };
    srand(7);
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        const size_t n = counts[c];
        double *v = malloc(n * sizeof *v);
        FILE *f = fopen("foreign_median.csv", "wb");
        assert_non_null(f);
        fputs("x,y\n,1\n", f);
        for (size_t i = 0; i < n; i++) {
            /* Ties (a tenth of the range) and, in the second half, a sorted run. */
            v[i] = i >= n / 2 && n > 100 ? (double)i : (double)(rand() % (n / 10 + 2));
            fprintf(f, "%.17g,%zu\n", v[i], i % 2);
        }
        assert_int_equal(fclose(f), 0);
        qsort(v, n, sizeof *v, compare_doubles);
        const double median = n % 2 ? v[n / 2] : v[n / 2 - 1] / 2 + v[n / 2] / 2;
        lapse_table *t = read_ok("foreign_median.csv", &o);
        assert_true(t->encoding->columns[0].impute == median);
        lapse_table_free(t);
        free(v);
    }
}

/* A byte-order mark, gzip, CRLF lines, spaces around a blank cell: the
 * same table. Without --id, rows are numbered. */
static void bom_gzip_and_numbered_rows(void **state)
{
    (void)state;
    static const char text[] = "\xef\xbb\xbf"
                               "x,y\r\n1,1\r\n2,0\r\n  ,1\r\n4,0\r\n";
    gzFile gz = gzopen("foreign_bom.csv.gz", "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, text, sizeof text - 1), (int)(sizeof text - 1));
    assert_int_equal(gzclose(gz), Z_OK);
    const lapse_foreign_options o = csv_opts("y", NULL);
    lapse_table *t = read_ok("foreign_bom.csv.gz", &o);
    static const char *const names[] = { "x", "x_missing" };
    expect_names(t, names, 2);
    assert_true(t->x[2 * 2] == 2 && t->x[2 * 2 + 1] == 1);
    assert_string_equal(t->user_ids[0], "1");
    assert_string_equal(t->user_ids[3], "4");
    lapse_table_free(t);
}

/* Expects lapse_table_read_foreign to fail with code at line and column. */
static void expect_refused(const char *text, const lapse_foreign_options *o, int code,
                           int64_t line, int column, const char *needle)
{
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read_foreign(&t, test_write_text("foreign_bad.csv", text), o,
                                              &err),
                     code);
    assert_null(t);
    assert_string_equal(err.path, "foreign_bad.csv");
    test_expect_location(&err, line, column, needle);
}

static void labels_are_checked(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("y", NULL);
    expect_refused("x,y\n1,1\n2,yes\n", &o, LAPSE_ERR_FORMAT, 3, 2, "bad label \"yes\"");
    expect_refused("x,y\n1,1\n2,2\n", &o, LAPSE_ERR_FORMAT, 3, 2, "bad label \"2\"");
    expect_refused("x,y\n1,1\n2,1\n3,\n", &o, LAPSE_ERR_RANGE, 0, 2,
                   "label column \"y\" is constant: all 2 labels are 1");
    expect_refused("x,y\n1,\n2,\n", &o, LAPSE_ERR_RANGE, 0, 2, "empty in every row");
    expect_refused("x,z\n1,1\n", &o, LAPSE_ERR_SCHEMA, 1, 0, "no label column \"y\"");
    expect_refused("x,y\n", &o, LAPSE_ERR_RANGE, 0, 0, "no rows");
    expect_refused("x,y\n1,0\n2\n", &o, LAPSE_ERR_FORMAT, 3, 2, "row has 1 fields");
    expect_refused("x,y,x\n1,0,1\n", &o, LAPSE_ERR_FORMAT, 1, 3, "\"x\" appears twice");
    const lapse_foreign_options with_id = csv_opts("y", "id");
    expect_refused("id,x,y\na,1,0\nb,2,1\na,3,0\n", &with_id, LAPSE_ERR_FORMAT, 4, 0,
                   "duplicate row: user \"a\" is also on line 2");
    /* 1.0 and 0.0 are what pandas writes for a label column with gaps. */
    lapse_table *t = read_ok(test_write_text("foreign_float.csv", "x,y\n1,1.0\n2,0.0\n3,\n"), &o);
    assert_int_equal(t->labels[0], 1);
    assert_int_equal(t->labels[1], 0);
    assert_int_equal(t->labels[2], -1);
    lapse_table_free(t);
}

static void positive_label_value(void **state)
{
    (void)state;
    lapse_foreign_options o = csv_opts("Churn", NULL);
    o.positive = "Yes";
    lapse_table *t =
        read_ok(test_write_text("foreign_yes.csv", "a,Churn\n1,Yes\n2,No\n3,\n"), &o);
    assert_int_equal(t->labels[0], 1);
    assert_int_equal(t->labels[1], 0);
    assert_int_equal(t->labels[2], -1);
    assert_string_equal(t->encoding->positive, "Yes");
    lapse_table_free(t);
    expect_refused("a,Churn\n1,No\n2,No\n", &o, LAPSE_ERR_RANGE, 0, 2,
                   "no cell equals \"Yes\"");
}

/* A text column with more than max_levels values is dropped with a
 * warning naming it; a column empty everywhere too. */
static void many_levels_are_dropped(void **state)
{
    (void)state;
    FILE *f = fopen("foreign_levels.csv", "wb");
    assert_non_null(f);
    fputs("email,n,blank,y\n", f);
    for (int i = 0; i < 3000; i++)
        fprintf(f, "user%d@example.com,%d,,%d\n", i, i % 7, i % 2);
    assert_int_equal(fclose(f), 0);
    const lapse_foreign_options o = csv_opts("y", NULL);
    lapse_table *t = read_ok("foreign_levels.csv", &o);
    static const char *const names[] = { "n" };
    expect_names(t, names, 1);
    assert_int_equal(t->encoding->columns[0].kind, LAPSE_COLUMN_DROPPED);
    assert_int_equal(t->encoding->columns[2].kind, LAPSE_COLUMN_DROPPED);
    assert_non_null(strstr(logged, "foreign_levels.csv: column 1 \"email\" is text "
                                   "(\"user0@example.com\" on line 2) with more than 50 "
                                   "distinct values: dropped"));
    assert_non_null(strstr(logged, "column 3 \"blank\" is empty in every row: dropped"));
    lapse_table_free(t);
    expect_refused("only,y\n,1\n,0\n", &o, LAPSE_ERR_RANGE, 0, 0, "no feature column");
}

static void names_a_model_cannot_hold(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("y", NULL);
    expect_refused("\"a,b\",y\n1,0\n2,1\n", &o, LAPSE_ERR_FORMAT, 1, 1, "bad header");
    expect_refused("a,a_missing,y\n,1,0\n2,1,1\n", &o, LAPSE_ERR_FORMAT, 0, 0,
                   "two features would be named \"a_missing\"");
    /* A level's ',' becomes '_' in its feature's name only. */
    lapse_table *t = read_ok(test_write_text("foreign_comma.csv",
                                             "city,y\n\"Paris, FR\",0\nRome,1\n"),
                             &o);
    static const char *const names[] = { "city=Paris_ FR", "city=Rome" };
    expect_names(t, names, 2);
    assert_string_equal(t->encoding->columns[0].levels[0], "Paris, FR");
    lapse_table_free(t);
}

/* The feature table lapse extract writes is not a table of one's own,
 * and the other way round: each reader says which way to go. */
static void lapse_tables_and_own_tables_do_not_mix(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("label", NULL);
    expect_refused("# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                   "churn=silence; schema=0000000000000000\nuser_id,asof,x,label\n",
                   &o, LAPSE_ERR_SCHEMA, 1, 1, "this is a feature table from lapse extract");
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *path = test_write_text("foreign_plain.csv", "x,label\n1,0\n");
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "a table of your own trains with --label COL"));
}

/* Rows read for scoring: columns in another order, no label, an unseen
 * level and an empty cell where training had none. */
static void scoring_matches_columns_by_name(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("churned", "customer");
    lapse_table *t = read_ok(test_write_text("foreign_customers.csv", customers), &o);
    lapse_table_reader *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("foreign_score.csv",
                    "plan,customer,spend\nteam,z1,5\nenterprise,z2,7\n,z3,\n");
    assert_int_equal(lapse_table_reader_open_foreign(&r, "foreign_score.csv", t->encoding, &err),
                     LAPSE_OK);
    assert_int_equal(lapse_table_reader_feature_count(r), 6);
    assert_true(lapse_table_reader_meta(r)->schema_hash == t->meta.schema_hash);
    lapse_table_batch *b = lapse_table_batch_create(2, 6);
    assert_int_equal(lapse_table_reader_next(r, b, &err), 2);
    static const double z1[] = { 5, 0, 0, 0, 1, 0 }, z2[] = { 7, 0, 0, 0, 0, 0 };
    assert_memory_equal(b->x, z1, sizeof z1);
    assert_memory_equal(b->x + 6, z2, sizeof z2);
    assert_string_equal(b->user_ids[1], "z2");
    assert_int_equal(b->labels[0], -1);
    assert_int_equal(lapse_table_reader_next(r, b, &err), 1);
    static const double z3[] = { 60, 1, 0, 0, 0, 1 };
    assert_memory_equal(b->x, z3, sizeof z3);
    assert_int_equal(b->lines[0], 4);
    assert_int_equal(lapse_table_reader_next(r, b, &err), 0);
    lapse_table_reader_close(r);
    assert_non_null(strstr(logged, "1 rows have a value in column \"plan\" that training never "
                                   "saw"));
    lapse_table_batch_free(b);

    /* A column the model lacks, one it needs, a number that is not one. */
    static const struct {
        const char *text;
        int code;
        int64_t line;
        int column;
        const char *needle;
    } bad[] = {
        { "customer,spend,plan,extra\nc,1,pro,2\n", LAPSE_ERR_SCHEMA, 1, 4,
          "column \"extra\" is not one the model was trained on" },
        { "customer,plan\nc,pro\n", LAPSE_ERR_SCHEMA, 1, 0,
          "the table lacks column \"spend\"" },
        { "spend,plan\n1,pro\n", LAPSE_ERR_SCHEMA, 1, 0, "lacks the id column \"customer\"" },
        { "customer,spend,plan,churned\nc,1,pro,x\n", LAPSE_ERR_FORMAT, 2, 4,
          "bad label \"x\"" },
        { "customer,spend,plan\nc,lots,pro\n", LAPSE_ERR_FORMAT, 2, 2,
          "bad value \"lots\" in column \"spend\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        test_write_text("foreign_score_bad.csv", bad[i].text);
        int status = lapse_table_reader_open_foreign(&r, "foreign_score_bad.csv", t->encoding,
                                                     &err);
        if (status == LAPSE_OK) {
            b = lapse_table_batch_create(2, 6);
            status = lapse_table_reader_next(r, b, &err);
            lapse_table_batch_free(b);
            lapse_table_reader_close(r);
        }
        assert_int_equal(status, bad[i].code);
        test_expect_location(&err, bad[i].line, bad[i].column, bad[i].needle);
    }
    lapse_table_free(t);
}

/* A model over a foreign table's features with its encoding: one segment
 * on the first feature, logistic weights, Platt calibration. */
static lapse_model *foreign_model(const lapse_table *t)
{
    const lapse_model_shape shape = { t->n_features,      1, 1, LAPSE_CLASSIFIER_LOGISTIC, 0,
                                      LAPSE_CALIBRATION_PLATT, 0, 2 };
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_create(&m, &shape, &err), LAPSE_OK);
    m->meta = t->meta;
    for (size_t j = 0; j < t->n_features; j++) {
        m->feature_names[j] = strdup(t->feature_names[j]);
        m->scaler.scale[j] = 1;
        m->classifier.weights[j] = 0.1 * (double)(j + 1);
    }
    m->segments.scale[0] = 1;
    m->segments.sizes[0] = t->n_rows;
    m->segments.names[0] = strdup("mixed-1");
    m->calibration.a = -1;
    m->tiers.thresholds[0] = 0.5;
    m->tiers.names[0] = strdup("low");
    m->tiers.names[1] = strdup("high");
    m->training.options = strdup("logistic");
    m->training.lapse_version = strdup("test");
    m->encoding = lapse_foreign_copy(t->encoding);
    assert_non_null(m->encoding);
    return m;
}

static void libsvm_files(void **state)
{
    (void)state;
    lapse_foreign_options o = LAPSE_FOREIGN_OPTIONS_INIT;
    o.format = LAPSE_FOREIGN_LIBSVM;
    lapse_table *t = read_ok(test_write_text("foreign.svm", "+1 1:0.5 3:2\n-1 2:1\n0\n1 3:-4e1\n"),
                             &o);
    static const char *const names[] = { "f1", "f2", "f3" };
    expect_names(t, names, 3);
    static const double x[] = { 0.5, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0, -40 };
    assert_memory_equal(t->x, x, sizeof x);
    assert_int_equal(t->labels[0], 1);
    assert_int_equal(t->labels[1], 0);
    assert_string_equal(t->user_ids[3], "4");
    /* Scoring: an index the model never saw is an unexpected column. */
    lapse_table_reader *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("foreign_score.svm", "0 1:1\n1 2:1 4:1\n");
    assert_int_equal(lapse_table_reader_open_foreign(&r, "foreign_score.svm", t->encoding, &err),
                     LAPSE_OK);
    lapse_table_batch *b = lapse_table_batch_create(4, 3);
    assert_int_equal(lapse_table_reader_next(r, b, &err), LAPSE_ERR_SCHEMA);
    test_expect_location(&err, 2, 3, "feature f4 is not one the model was trained on");
    lapse_table_batch_free(b);
    lapse_table_reader_close(r);
    /* A model keeps the libsvm encoding: short names, no levels. */
    lapse_model *m = foreign_model(t);
    unsigned char *bytes;
    size_t size;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), LAPSE_OK);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "m", &err), LAPSE_OK);
    assert_int_equal(back->encoding->format, LAPSE_FOREIGN_LIBSVM);
    assert_int_equal(back->encoding->n_columns, 3);
    assert_string_equal(back->encoding->columns[2].name, "f3");
    free(bytes);
    lapse_model_free(back);
    lapse_model_free(m);
    lapse_table_free(t);

    static const struct {
        const char *text;
        int64_t line;
        int column;
        const char *needle;
    } bad[] = {
        { "1 1:1\n2 1:1\n", 2, 1, "bad label \"2\"" },
        { "1 1:1\n0 2:1 1:1\n", 2, 3, "indices must increase" },
        { "1 1:1\n0 0:1\n", 2, 2, "bad entry \"0:1\"" },
        { "1 1:1\n0 1:x\n", 2, 2, "bad value in \"1:x\"" },
        { "1 1:1\n\n0 1:1\n", 2, 1, "empty line" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lapse_table *none = NULL;
        assert_int_equal(lapse_table_read_foreign(
                             &none, test_write_text("foreign_bad.svm", bad[i].text), &o, &err),
                         LAPSE_ERR_FORMAT);
        test_expect_location(&err, bad[i].line, bad[i].column, bad[i].needle);
    }
}

/* The model keeps the encoding (format 3, section ENCD) and score reads a
 * table with its columns in another order through it. */
static void model_keeps_encoding_and_scores(void **state)
{
    (void)state;
    const lapse_foreign_options o = csv_opts("churned", "customer");
    lapse_table *t = read_ok(test_write_text("foreign_customers.csv", customers), &o);
    lapse_model *m = foreign_model(t);
    lapse_error err = LAPSE_ERROR_INIT;
    unsigned char *bytes;
    size_t size;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), LAPSE_OK);
    assert_int_equal(bytes[8], 3); /* no horizons, no trees: the oldest format that holds it */
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "m", &err), LAPSE_OK);
    free(bytes);
    const lapse_foreign_encoding *e = back->encoding;
    assert_non_null(e);
    assert_string_equal(e->id_column, "customer");
    assert_string_equal(e->label_column, "churned");
    assert_int_equal(e->n_columns, 2);
    assert_true(e->columns[0].impute == 60 && e->columns[0].has_missing);
    assert_string_equal(e->columns[1].levels[2], "team");
    /* An encoding that does not make the model's names does not load. */
    free(m->encoding->columns[1].levels[2]);
    m->encoding->columns[1].levels[2] = strdup("zzz");
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "its encoding makes \"plan=zzz\""));
    lapse_model_free(m);

    lapse_scorer *s = NULL;
    assert_int_equal(lapse_score_create(&s, back, NULL, &err), LAPSE_OK);
    test_write_text("foreign_score.csv", "spend,plan,churned,customer\n5,team,1,z1\n");
    FILE *out = tmpfile();
    assert_non_null(out);
    assert_int_equal(lapse_score_table(s, "foreign_score.csv", out, NULL, NULL, &err), LAPSE_OK);
    char text[1024] = "";
    rewind(out);
    assert_true(fread(text, 1, sizeof text - 1, out) > 0);
    fclose(out);
    /* f = 0.1 * 5 + 0.5 * 1 (scaled by mean 0, scale 1), p = 1 / (1 + e^-f). */
    char expected[256];
    snprintf(expected, sizeof expected, "z1,,%.17g,high,", 1 / (1 + exp(-1.0)));
    assert_non_null(strstr(text, expected));
    assert_non_null(strstr(text, ",1\n"));
    /* A lapse feature table is refused for this model. */
    test_write_text("foreign_lapse.csv",
                    "# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                    "churn=silence; schema=0000000000000000\nuser_id,asof,x,label\n");
    out = tmpfile();
    assert_int_equal(lapse_score_table(s, "foreign_lapse.csv", out, NULL, NULL, &err),
                     LAPSE_ERR_SCHEMA);
    assert_non_null(strstr(err.message, "trained on a table of your own"));
    fclose(out);
    lapse_score_free(s);
    lapse_model_free(back);
    lapse_table_free(t);
}

/* For tests/cli/foreign.sh: own.csv (the customers above) and own.model,
 * a model over its encoding, in dir. */
static int write_fixtures(const char *dir)
{
    char csv[512], model[512];
    snprintf(csv, sizeof csv, "%s/own.csv", dir);
    snprintf(model, sizeof model, "%s/own.model", dir);
    FILE *f = fopen(csv, "wb");
    if (!f || fputs(customers, f) < 0 || fclose(f) != 0)
        return 1;
    lapse_foreign_options o = csv_opts("churned", "customer");
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_table_read_foreign(&t, csv, &o, &err) != LAPSE_OK)
        return 1;
    lapse_model *m = foreign_model(t);
    const int status = lapse_model_save(m, model, &err);
    lapse_model_free(m);
    lapse_table_free(t);
    return status != LAPSE_OK;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0)
        return write_fixtures(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(one_hot_and_imputation, setup),
        cmocka_unit_test_setup(impute_is_the_median, setup),
        cmocka_unit_test_setup(bom_gzip_and_numbered_rows, setup),
        cmocka_unit_test_setup(labels_are_checked, setup),
        cmocka_unit_test_setup(positive_label_value, setup),
        cmocka_unit_test_setup(many_levels_are_dropped, setup),
        cmocka_unit_test_setup(names_a_model_cannot_hold, setup),
        cmocka_unit_test_setup(lapse_tables_and_own_tables_do_not_mix, setup),
        cmocka_unit_test_setup(scoring_matches_columns_by_name, setup),
        cmocka_unit_test_setup(libsvm_files, setup),
        cmocka_unit_test_setup(model_keeps_encoding_and_scores, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
