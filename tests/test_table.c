/* Feature tables: the in-memory read, the streaming reader, the name check,
 * and every refused input with its exact line and column. The tables are
 * written by the tests themselves (plain or gzip) in the test's folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/table.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* 2026-03-01 and 2026-03-02, midnight UTC, worked out independently. */
#define MAR1 INT64_C(1772323200)
#define MAR2 INT64_C(1772409600)

/* The meta line for these feature names (given joined by ','; the hash is
 * over the joined text, so no need to split it). */
static void meta_line(char *buf, size_t size, const char *features, int horizon)
{
    const char *joined[1] = { features };
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_schema_hash(joined, 1), "", "" };
    meta.churn.horizon_days = horizon;
    assert_int_equal(lapse_table_meta_format(buf, size, &meta), LAPSE_OK);
}

static const char *write_raw(const char *path, const char *text, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
    return path;
}

/* Writes meta line (for the header's features), header and body. */
static const char *write_table(const char *path, const char *features, const char *body)
{
    char text[8192];
    char meta[256];
    meta_line(meta, sizeof meta, features, 30);
    const int n = snprintf(text, sizeof text, "%s\nuser_id,asof,%s,label\n%s", meta, features,
                           body);
    assert_true(n > 0 && (size_t)n < sizeof text);
    return write_raw(path, text, (size_t)n);
}

static const char *gzip_file(const char *gz_path, const char *plain_path)
{
    FILE *in = fopen(plain_path, "rb");
    assert_non_null(in);
    gzFile out = gzopen(gz_path, "wb");
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(gzwrite(out, buf, (unsigned)n), (int)n);
    fclose(in);
    assert_int_equal(gzclose(out), Z_OK);
    return gz_path;
}

static lapse_table *read_one(const char *path)
{
    lapse_table *table = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_table_read(&table, &path, 1, &err);
    if (status != LAPSE_OK)
        fail_msg("%s: %s (line %lld, column %d)", path, err.message, (long long)err.line,
                 err.column);
    return table;
}

static void values_labels_and_ids(void **state)
{
    (void)state;
    const char *path = write_table("table_values.csv", "logins_7d,spend_30d",
                                   "u1,2026-03-01,3,0.5,1\n"
                                   "u2,2026-03-01,0,-1.25e2,0\n"
                                   "\"u,3\",2026-03-02,7,1E-3,\n"
                                   "u1,2026-03-02,-0,.25,1\n");
    lapse_table *t = read_one(path);
    assert_int_equal(t->meta.version, 1);
    assert_int_equal(t->meta.churn.horizon_days, 30);
    assert_int_equal(t->n_features, 2);
    assert_string_equal(t->feature_names[0], "logins_7d");
    assert_string_equal(t->feature_names[1], "spend_30d");
    assert_int_equal(t->n_rows, 4);
    const double x[8] = { 3, 0.5, 0, -125, 7, 0.001, 0, 0.25 };
    for (int i = 0; i < 8; i++)
        assert_true(t->x[i] == x[i]);
    assert_string_equal(t->user_ids[0], "u1");
    assert_string_equal(t->user_ids[1], "u2");
    assert_string_equal(t->user_ids[2], "u,3");
    assert_string_equal(t->user_ids[3], "u1"); /* same user, another snapshot */
    assert_int_equal(t->asof[0], MAR1);
    assert_int_equal(t->asof[2], MAR2);
    assert_int_equal(t->labels[0], 1);
    assert_int_equal(t->labels[1], 0);
    assert_int_equal(t->labels[2], -1);
    assert_int_equal(t->labels[3], 1);
    lapse_table_free(t);
    lapse_table_free(NULL);
}

/* CRLF line ends, blank lines, a quoted id holding a newline, no final
 * newline, a 256-byte id: all read, and line numbers still count '\n'. */
static void line_ends_and_quoting(void **state)
{
    (void)state;
    char meta[256];
    meta_line(meta, sizeof meta, "a", 30);
    char long_id[257];
    memset(long_id, 'z', 256);
    long_id[256] = '\0';
    char text[2048];
    snprintf(text, sizeof text,
             "%s\r\nuser_id,asof,a,label\r\n\r\n\"two\nlines\",2026-03-01,1,0\r\n"
             "%s,2026-03-01,2,1\r\nlast,2026-03-02,3,",
             meta, long_id);
    write_raw("table_crlf.csv", text, strlen(text));
    lapse_table *t = read_one("table_crlf.csv");
    assert_int_equal(t->n_rows, 3);
    assert_string_equal(t->user_ids[0], "two\nlines");
    assert_string_equal(t->user_ids[1], long_id);
    assert_string_equal(t->user_ids[2], "last");
    assert_true(t->x[2] == 3);
    assert_int_equal(t->labels[2], -1);
    lapse_table_free(t);

    /* The same layout with a bad value on the last row: line 7, column 3. */
    snprintf(text, sizeof text,
             "%s\r\nuser_id,asof,a,label\r\n\r\n\"two\nlines\",2026-03-01,1,0\r\n"
             "%s,2026-03-01,2,1\r\nlast,2026-03-02,x,",
             meta, long_id);
    const char *path = write_raw("table_crlf_bad.csv", text, strlen(text));
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table *none = NULL;
    assert_int_equal(lapse_table_read(&none, &path, 1, &err), LAPSE_ERR_FORMAT);
    assert_null(none);
    assert_int_equal(err.line, 7);
    assert_int_equal(err.column, 3);
}

static void several_files_plain_and_gzip(void **state)
{
    (void)state;
    write_table("table_part1.csv", "a,b", "u1,2026-03-01,1,2,0\nu2,2026-03-01,3,4,1\n");
    write_table("table_part2_plain.csv", "a,b", "u1,2026-03-02,5,6,\n");
    gzip_file("table_part2.csv.gz", "table_part2_plain.csv");
    const char *paths[2] = { "table_part1.csv", "table_part2.csv.gz" };
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_OK);
    assert_int_equal(t->n_rows, 3);
    const double x[6] = { 1, 2, 3, 4, 5, 6 };
    for (int i = 0; i < 6; i++)
        assert_true(t->x[i] == x[i]);
    assert_string_equal(t->user_ids[2], "u1");
    assert_int_equal(t->asof[2], MAR2);
    assert_int_equal(t->labels[0], 0);
    assert_int_equal(t->labels[1], 1);
    assert_int_equal(t->labels[2], -1);
    lapse_table_free(t);
}

static void standard_input(void **state)
{
    (void)state;
    write_table("table_stdin_plain.csv", "a", "s1,2026-03-01,42,1\n");
    gzip_file("table_stdin.csv.gz", "table_stdin_plain.csv");
    const int saved = dup(0);
    const int fd = open("table_stdin.csv.gz", O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    lapse_table *t = read_one("-");
    assert_int_equal(t->n_rows, 1);
    assert_true(t->x[0] == 42);
    lapse_table_free(t);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
}

/* Enough rows to cross several read chunks and batches. */
static void many_rows_stream_and_read(void **state)
{
    (void)state;
    char meta[256];
    meta_line(meta, sizeof meta, "i,half", 30);
    FILE *file = fopen("table_many.csv", "wb");
    assert_non_null(file);
    fprintf(file, "%s\nuser_id,asof,i,half,label\n", meta);
    const int rows = 10007;
    for (int i = 0; i < rows; i++)
        fprintf(file, "user%06d,2026-03-01,%d,%.17g,%d\n", i, i, i / 2.0, i % 2);
    fclose(file);
    gzip_file("table_many.csv.gz", "table_many.csv");

    lapse_table_reader *reader = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_reader_open(&reader, "table_many.csv.gz", &err), LAPSE_OK);
    assert_int_equal(lapse_table_reader_feature_count(reader), 2);
    assert_string_equal(lapse_table_reader_feature_names(reader)[1], "half");
    assert_int_equal(lapse_table_reader_meta(reader)->churn.silent_days, 30);
    lapse_table_batch *batch = lapse_table_batch_create(1000, 2);
    assert_non_null(batch);
    int got, seen = 0, batches = 0;
    while ((got = lapse_table_reader_next(reader, batch, &err)) > 0) {
        assert_int_equal((size_t)got, batch->n_rows);
        for (int k = 0; k < got; k++, seen++) {
            char id[16];
            snprintf(id, sizeof id, "user%06d", seen);
            assert_string_equal(batch->user_ids[k], id);
            assert_true(batch->x[2 * k] == seen);
            assert_true(batch->x[2 * k + 1] == seen / 2.0);
            assert_int_equal(batch->labels[k], seen % 2);
            assert_int_equal(batch->lines[k], seen + 3);
        }
        batches++;
    }
    assert_int_equal(got, 0);
    assert_int_equal(seen, rows);
    assert_int_equal(batches, 11); /* 10 full batches and 7 rows */
    assert_int_equal(lapse_table_reader_next(reader, batch, &err), 0);
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);

    lapse_table *t = read_one("table_many.csv");
    assert_int_equal(t->n_rows, (size_t)rows);
    assert_true(t->x[2 * 9999 + 1] == 4999.5);
    assert_string_equal(t->user_ids[rows - 1], "user010006");
    lapse_table_free(t);
}

static void batch_arguments(void **state)
{
    (void)state;
    assert_null(lapse_table_batch_create(0, 3));
    assert_null(lapse_table_batch_create(3, 0));
    assert_null(lapse_table_batch_create(SIZE_MAX / 4, 4));
    lapse_table_batch_free(NULL);
    lapse_table_reader_close(NULL);
    write_table("table_batch.csv", "a,b", "u1,2026-03-01,1,2,0\n");
    lapse_table_reader *reader = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_reader_open(&reader, "table_batch.csv", &err), LAPSE_OK);
    lapse_table_batch *batch = lapse_table_batch_create(4, 3);
    assert_int_equal(lapse_table_reader_next(reader, batch, &err), LAPSE_ERR_ARG);
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);
    lapse_table *t = NULL;
    assert_int_equal(lapse_table_read(&t, NULL, 0, &err), LAPSE_ERR_ARG);
}

/* One refused table: what goes wrong, and exactly where. */
typedef struct {
    const char *name;
    const char *features; /* for the meta line's hash; NULL: body is the whole file */
    const char *body;     /* after the meta line and header, or the whole file */
    int code;
    int64_t line;
    int column;
    const char *message; /* a part of the message */
} bad_case;

static const bad_case bad_cases[] = {
    { "empty", NULL, "", LAPSE_ERR_FORMAT, 1, 1, "missing meta line" },
    { "no_meta", NULL, "user_id,asof,a,label\nu1,2026-03-01,1,0\n", LAPSE_ERR_FORMAT, 1, 1,
      "missing meta line" },
    { "bad_meta", NULL,
      "# lapse-features 1; key=nothing; silent_days=30; horizon=30; churn=silence; "
      "schema=0000000000000000\nuser_id,asof,a,label\n",
      LAPSE_ERR_FORMAT, 1, 1, "bad meta line" },
    { "newer", NULL,
      "# lapse-features 9; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=0000000000000000\nuser_id,asof,a,label\n",
      LAPSE_ERR_VERSION, 1, 1, "newer than this lapse reads" },
    { "newer_bare", NULL, "# lapse-features 9", LAPSE_ERR_VERSION, 1, 1,
      "table format \"# lapse-features 9\" is newer" },
    { "no_header", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=af63dc4c8601ec8c\n",
      LAPSE_ERR_FORMAT, 2, 0, "missing header" },
    { "first_not_user_id", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=af63dc4c8601ec8c\nuser,asof,a,label\n",
      LAPSE_ERR_FORMAT, 2, 1, "column 1 must be user_id" },
    { "second_not_asof", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=af63dc4c8601ec8c\nuser_id,date,a,label\n",
      LAPSE_ERR_FORMAT, 2, 2, "column 2 must be asof" },
    { "last_not_label", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=af63dc4c8601ec8c\nuser_id,asof,a,churned\n",
      LAPSE_ERR_FORMAT, 2, 4, "last column must be label" },
    { "no_features", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=af63dc4c8601ec8c\nuser_id,asof,label\n",
      LAPSE_ERR_FORMAT, 2, 3, "no feature columns" },
    { "hash_mismatch", NULL,
      "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; "
      "schema=0123456789abcdef\nuser_id,asof,a,label\n",
      LAPSE_ERR_FORMAT, 2, 0, "does not match the schema" },
    { "duplicate_feature", "a,b,a", "", LAPSE_ERR_FORMAT, 2, 5,
      "feature \"a\" appears twice (columns 3 and 5)" },
    { "control_in_name", "a,b\tc", "", LAPSE_ERR_FORMAT, 2, 4,
      "a feature name has a control character" },
    { "first_repeat", "a,b,b,a", "", LAPSE_ERR_FORMAT, 2, 5,
      "feature \"b\" appears twice (columns 4 and 5)" },
    { "too_few_fields", "a,b", "u1,2026-03-01,1,2,0\nu2,2026-03-01,1\n", LAPSE_ERR_FORMAT, 4,
      4, "row has 3 fields, the header has 5" },
    { "too_many_fields", "a,b", "u1,2026-03-01,1,2,0,9\n", LAPSE_ERR_FORMAT, 3, 6,
      "more than 5 fields" },
    { "empty_value", "a,b", "u1,2026-03-01,,2,1\n", LAPSE_ERR_FORMAT, 3, 3,
      "empty value for feature \"a\"" },
    { "nan", "a,b", "u1,2026-03-01,1,nan,1\n", LAPSE_ERR_FORMAT, 3, 4,
      "bad value \"nan\" for feature \"b\"" },
    { "inf", "a,b", "u1,2026-03-01,inf,1,1\n", LAPSE_ERR_FORMAT, 3, 3, "bad value \"inf\"" },
    { "overflow", "a,b", "u1,2026-03-01,1e999,1,1\n", LAPSE_ERR_FORMAT, 3, 3,
      "bad value \"1e999\"" },
    { "text", "a,b", "u1,2026-03-01,3,abc,1\n", LAPSE_ERR_FORMAT, 3, 4, "bad value \"abc\"" },
    { "hex", "a,b", "u1,2026-03-01,0x10,1,1\n", LAPSE_ERR_FORMAT, 3, 3, "bad value \"0x10\"" },
    { "space", "a,b", "u1,2026-03-01, 1,1,1\n", LAPSE_ERR_FORMAT, 3, 3, "bad value \" 1\"" },
    { "trailing", "a,b", "u1,2026-03-01,1.5x,1,1\n", LAPSE_ERR_FORMAT, 3, 3, "bad value" },
    { "bad_date", "a", "u1,2026-02-30,1,1\n", LAPSE_ERR_FORMAT, 3, 2,
      "bad asof date \"2026-02-30\"" },
    { "compact_date", "a", "u1,20260301,1,1\n", LAPSE_ERR_FORMAT, 3, 2, "bad asof date" },
    { "date_time", "a", "u1,2026-03-01T00:00,1,1\n", LAPSE_ERR_FORMAT, 3, 2, "bad asof date" },
    { "early_date", "a", "u1,1969-12-31,1,1\n", LAPSE_ERR_FORMAT, 3, 2, "bad asof date" },
    { "label_2", "a", "u1,2026-03-01,1,2\n", LAPSE_ERR_FORMAT, 3, 4, "bad label \"2\"" },
    { "label_text", "a", "u1,2026-03-01,1,yes\n", LAPSE_ERR_FORMAT, 3, 4, "bad label" },
    { "empty_user", "a", "u1,2026-03-01,1,1\n,2026-03-01,1,1\n", LAPSE_ERR_FORMAT, 4, 1,
      "user id must be 1 to 256 bytes, this one has 0" },
    { "duplicate_row", "a", "u1,2026-03-01,1,1\nu2,2026-03-01,1,1\nu1,2026-03-01,2,0\n",
      LAPSE_ERR_FORMAT, 5, 1, "duplicate row: user \"u1\" at asof 2026-03-01 is also on line 3" },
    { "bad_quote", "a", "u1,2026-03-01,\"1\"x,1\n", LAPSE_ERR_FORMAT, 3, 3, "malformed CSV" },
    { "open_quote", "a", "u1,2026-03-01,1,1\n\"u2,2026-03-01,1,1\n", LAPSE_ERR_FORMAT, 4, 1,
      "unterminated quoted field" },
};

static void refused_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        char path[64];
        snprintf(path, sizeof path, "table_bad_%s.csv", c->name);
        if (c->features)
            write_table(path, c->features, c->body);
        else
            write_raw(path, c->body, strlen(c->body));
        const char *paths[1] = { path };
        lapse_table *t = NULL;
        lapse_error err = LAPSE_ERROR_INIT;
        const int status = lapse_table_read(&t, paths, 1, &err);
        if (status != c->code || err.line != c->line || err.column != c->column ||
            !strstr(err.message, c->message) || strcmp(err.path, path) != 0)
            fail_msg("%s: got %d at %s:%lld column %d \"%s\"; expected %d at line %lld column "
                     "%d \"%s\"",
                     c->name, status, err.path, (long long)err.line, err.column, err.message,
                     c->code, (long long)c->line, c->column, c->message);
        assert_null(t);
        assert_int_equal(err.code, status);

        /* The streaming reader refuses the same input at the same place, except for
         * duplicates, which only the in-memory read can see. */
        if (strcmp(c->name, "duplicate_row") == 0)
            continue;
        lapse_table_reader *reader = NULL;
        lapse_error stream_err = LAPSE_ERROR_INIT;
        int got = lapse_table_reader_open(&reader, path, &stream_err);
        if (got == LAPSE_OK) {
            lapse_table_batch *batch =
                lapse_table_batch_create(1, lapse_table_reader_feature_count(reader));
            while ((got = lapse_table_reader_next(reader, batch, &stream_err)) > 0)
                ;
            /* A spent reader repeats its error. */
            lapse_error again = LAPSE_ERROR_INIT;
            assert_int_equal(lapse_table_reader_next(reader, batch, &again), got);
            assert_string_equal(again.message, stream_err.message);
            lapse_table_batch_free(batch);
            lapse_table_reader_close(reader);
        } else {
            assert_null(reader);
        }
        assert_int_equal(got, c->code);
        assert_int_equal(stream_err.line, c->line);
        assert_int_equal(stream_err.column, c->column);
    }
}

static void user_id_too_long(void **state)
{
    (void)state;
    char body[600];
    memset(body, 'u', 257);
    snprintf(body + 257, sizeof body - 257, ",2026-03-01,1,0\n");
    write_table("table_long_id.csv", "a", body);
    const char *path = "table_long_id.csv";
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.message, "this one has 257"));
}

static void field_too_long(void **state)
{
    (void)state;
    const size_t len = LAPSE_TABLE_FIELD_MAX + 100;
    char *body = malloc(len + 64);
    assert_non_null(body);
    memcpy(body, "u1,2026-03-01,", 14);
    memset(body + 14, '1', len);
    strcpy(body + 14 + len, ",0\n");
    char meta[256];
    meta_line(meta, sizeof meta, "a", 30);
    FILE *file = fopen("table_long_field.csv", "wb");
    fprintf(file, "%s\nuser_id,asof,a,label\n%s", meta, body);
    fclose(file);
    free(body);
    const char *path = "table_long_field.csv";
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_LIMIT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 3);
}

/* A header may not grow without bound: at most LAPSE_TABLE_FEATURES_MAX
 * features and LAPSE_TABLE_HEADER_MAX bytes of names. */
static void header_limits(void **state)
{
    (void)state;
    FILE *file = fopen("table_wide.csv", "wb");
    assert_non_null(file);
    fprintf(file, "# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                  "churn=silence; schema=0000000000000000\nuser_id,asof");
    for (int j = 1; j <= 70000; j++)
        fprintf(file, ",f%d", j);
    fprintf(file, ",label\n");
    fclose(file);
    const char *path = "table_wide.csv";
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_LIMIT);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, LAPSE_TABLE_FEATURES_MAX + 4);

    char name[1001];
    memset(name, 'n', 1000);
    name[1000] = '\0';
    file = fopen("table_long_header.csv", "wb");
    assert_non_null(file);
    fprintf(file, "# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                  "churn=silence; schema=0000000000000000\nuser_id,asof");
    for (int j = 0; j < 1100; j++)
        fprintf(file, ",%s%d", name, j);
    fprintf(file, ",label\n");
    fclose(file);
    path = "table_long_header.csv";
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_LIMIT);
    /* user_id, asof and names of 1002 to 1005 bytes (NULs counted): the 1045th passes 2^20. */
    assert_int_equal(err.column, 2 + 1045);
    assert_null(t);
}

/* Ids of every length from 1 to 20 bytes (the reader copies 8 to 16
 * bytes, the NUL included, as two overlapping words): each read whole. */
static void ids_of_every_length(void **state)
{
    (void)state;
    char text[4096];
    size_t n = 0;
    meta_line(text, sizeof text, "a", 30);
    n = strlen(text);
    n += (size_t)snprintf(text + n, sizeof text - n, "\nuser_id,asof,a,label\n");
    const char digits[] = "abcdefghijklmnopqrst";
    for (int len = 1; len <= 20; len++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%.*s,2026-03-01,%d,0\n", len, digits,
                              len);
    write_raw("table_id_lengths.csv", text, n);
    lapse_table *t = read_one("table_id_lengths.csv");
    assert_int_equal(t->n_rows, 20);
    for (int len = 1; len <= 20; len++) {
        char want[21];
        snprintf(want, sizeof want, "%.*s", len, digits);
        assert_string_equal(t->user_ids[len - 1], want);
        assert_true(t->x[len - 1] == len);
    }
    lapse_table_free(t);
}

/* The reader's own path for one to four digits (no loop over the length)
 * against strtod, beside values of the same lengths it must leave to the
 * general parser or refuse. */
static void short_values_of_every_length(void **state)
{
    (void)state;
    static const char *const good[] = { "0",    "7",    "42",   "999",   "4095", "9999", "0009",
                                        "10000", "12345", "000012", "1.5", "-3",  "+7",   "1e2",
                                        ".5",   "9.",   "-0",   "0.25",  "1E-3", "99.9" };
    enum { N = sizeof good / sizeof *good };
    char text[4096];
    meta_line(text, sizeof text, "a", 30);
    size_t n = strlen(text);
    n += (size_t)snprintf(text + n, sizeof text - n, "\nuser_id,asof,a,label\n");
    for (size_t i = 0; i < N; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "u%zu,2026-03-01,%s,0\n", i, good[i]);
    write_raw("table_short_values.csv", text, n);
    lapse_table *t = read_one("table_short_values.csv");
    assert_int_equal(t->n_rows, N);
    for (size_t i = 0; i < N; i++) {
        const double want = strtod(good[i], NULL);
        assert_memory_equal(&t->x[i], &want, sizeof want);
    }
    lapse_table_free(t);
    static const char *const bad[] = { "1a", "a1", "12x4", "1-", "x", "1234a" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[64];
        snprintf(body, sizeof body, "u1,2026-03-01,%s,0\n", bad[i]);
        const char *path = write_table("table_short_bad.csv", "a", body);
        lapse_table *none = NULL;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_table_read(&none, &path, 1, &err), LAPSE_ERR_FORMAT);
        assert_int_equal(err.column, 3);
        assert_null(none);
    }
}

static void meta_line_too_long(void **state)
{
    (void)state;
    static char text[6000];
    const int n = snprintf(text, sizeof text, "# lapse-features 1; key=activity%4100s\n", "");
    const char *path = write_raw("table_long_meta.csv", text, (size_t)n);
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "longer than 4096 bytes"));
}

static void duplicate_across_files(void **state)
{
    (void)state;
    write_table("table_dup1.csv", "a", "u1,2026-03-01,1,1\nu2,2026-03-01,1,1\n");
    write_table("table_dup2.csv", "a", "u3,2026-03-01,1,1\nu2,2026-03-01,1,0\n");
    const char *paths[2] = { "table_dup1.csv", "table_dup2.csv" };
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.path, "table_dup2.csv");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 1);
    assert_non_null(strstr(err.message, "\"u2\" at asof 2026-03-01 is also on line 4 of "
                                        "table_dup1.csv"));
}

static void files_must_agree(void **state)
{
    (void)state;
    write_table("table_agree1.csv", "a,b,c", "u1,2026-03-01,1,2,3,1\n");
    write_table("table_agree2.csv", "a,x,c", "u2,2026-03-01,1,2,3,1\n");
    write_table("table_agree3.csv", "a,b", "u2,2026-03-01,1,2,1\n");
    const char *paths[2] = { "table_agree1.csv", "table_agree2.csv" };
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.path, "table_agree2.csv");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.column, 4);
    assert_non_null(strstr(err.message, "column 4 is \"x\" here, \"b\" there"));

    paths[1] = "table_agree3.csv";
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_ERR_SCHEMA);
    assert_int_equal(err.column, 5);
    assert_non_null(strstr(err.message, "column 5 is \"label\" here, \"c\" there"));

    /* Same header, another horizon. */
    char meta[256], text[512];
    meta_line(meta, sizeof meta, "a,b,c", 60);
    snprintf(text, sizeof text, "%s\nuser_id,asof,a,b,c,label\nu9,2026-03-01,1,2,3,0\n", meta);
    paths[1] = write_raw("table_agree4.csv", text, strlen(text));
    assert_int_equal(lapse_table_read(&t, paths, 2, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.path, "table_agree4.csv");
    assert_int_equal(err.line, 1);
    assert_non_null(strstr(err.message, "differs from table_agree1.csv in horizon"));
    assert_null(t);
}

static void missing_file(void **state)
{
    (void)state;
    const char *path = "table_does_not_exist.csv";
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_IO);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, "cannot open"));
}

/* A gzip file cut short, and one with a flipped byte in its compressed data. */
static void broken_gzip(void **state)
{
    (void)state;
    char meta[256];
    meta_line(meta, sizeof meta, "a", 30);
    FILE *file = fopen("table_gz_plain.csv", "wb");
    fprintf(file, "%s\nuser_id,asof,a,label\n", meta);
    for (int i = 0; i < 2000; i++)
        fprintf(file, "user%d,2026-03-01,%d,%d\n", i, i * 7919 % 1000, i % 2);
    fclose(file);
    gzip_file("table_gz_full.csv.gz", "table_gz_plain.csv");
    FILE *in = fopen("table_gz_full.csv.gz", "rb");
    static char gz[1 << 16];
    const size_t size = fread(gz, 1, sizeof gz, in);
    fclose(in);
    assert_true(size > 1000 && size < sizeof gz);

    const char *path = write_raw("table_gz_cut.csv.gz", gz, size / 2);
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_GZIP);
    assert_string_equal(err.path, path);
    assert_non_null(strstr(err.message, "truncated"));
    /* Only the 8-byte trailer missing: every row is there, the stream is still cut. */
    path = write_raw("table_gz_trailer.csv.gz", gz, size - 8);
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_GZIP);

    gz[size / 2] ^= 0x55;
    path = write_raw("table_gz_flipped.csv.gz", gz, size);
    assert_int_equal(lapse_table_read(&t, &path, 1, &err), LAPSE_ERR_GZIP);
    assert_string_equal(err.path, path);
    assert_true(err.offset > 0);
    assert_null(t);
}

static void check_names(void **state)
{
    (void)state;
    const char *model[3] = { "a", "b", "c" };
    const char *same[3] = { "a", "b", "c" };
    const char *other[3] = { "a", "x", "c" };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_table_check_names(same, 3, model, 3, "t.csv", &err), LAPSE_OK);
    assert_int_equal(lapse_table_check_names(other, 3, model, 3, "t.csv", &err),
                     LAPSE_ERR_SCHEMA);
    assert_string_equal(err.path, "t.csv");
    assert_string_equal(err.message,
                        "feature 2 is \"x\" in the table, the model expects \"b\"");
    assert_int_equal(lapse_table_check_names(same, 2, model, 3, NULL, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "the table has 2 features, the model expects 3");
    assert_int_equal(lapse_table_check_names(same, 3, model, 2, NULL, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "the table has 3 features, the model expects 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_labels_and_ids),
        cmocka_unit_test(line_ends_and_quoting),
        cmocka_unit_test(ids_of_every_length),
        cmocka_unit_test(short_values_of_every_length),
        cmocka_unit_test(several_files_plain_and_gzip),
        cmocka_unit_test(standard_input),
        cmocka_unit_test(many_rows_stream_and_read),
        cmocka_unit_test(batch_arguments),
        cmocka_unit_test(refused_tables),
        cmocka_unit_test(user_id_too_long),
        cmocka_unit_test(field_too_long),
        cmocka_unit_test(header_limits),
        cmocka_unit_test(meta_line_too_long),
        cmocka_unit_test(duplicate_across_files),
        cmocka_unit_test(files_must_agree),
        cmocka_unit_test(missing_file),
        cmocka_unit_test(broken_gzip),
        cmocka_unit_test(check_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
