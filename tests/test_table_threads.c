/* The table reader on several threads (lapse_table_reader_set_threads)
 * against the same reader on one: every batch the same rows, bit for bit
 * with their lines, and the same error (code, file, line, column,
 * message) at the same batch, over line ends, quoting, blank lines, gzip,
 * batch sizes from 1 row, errors anywhere, fields long enough to span the
 * input's read size, a record with no end, and a gzip stream cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* A growable text. */
typedef struct {
    char *text;
    size_t len, capacity;
} text_buf;

static void put(text_buf *b, const char *text, size_t len)
{
    if (b->len + len + 1 > b->capacity) {
        b->capacity = 2 * (b->len + len + 1);
        b->text = realloc(b->text, b->capacity);
        assert_non_null(b->text);
    }
    memcpy(b->text + b->len, text, len);
    b->len += len;
    b->text[b->len] = '\0';
}

static void putf(text_buf *b, const char *fmt, ...)
{
    char line[512];
    va_list args;
    va_start(args, fmt);
    const int n = vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    assert_true(n > 0 && (size_t)n < sizeof line);
    put(b, line, (size_t)n);
}

/* What a reader gave: every batch's rows in order, then its last status. */
typedef struct {
    size_t rows, batches;
    text_buf text; /* each row printed exactly (values as bits), with its line */
    int status;
    lapse_error err;
} reading;

static void read_table(reading *out, const char *path, int threads, size_t capacity)
{
    memset(out, 0, sizeof *out);
    lapse_table_reader *reader = NULL;
    out->status = lapse_table_reader_open(&reader, path, &out->err);
    if (out->status != LAPSE_OK)
        return;
    lapse_table_reader_set_threads(reader, threads);
    const size_t d = lapse_table_reader_feature_count(reader);
    lapse_table_batch *batch = lapse_table_batch_create(capacity, d);
    assert_non_null(batch);
    int got;
    while ((got = lapse_table_reader_next(reader, batch, &out->err)) > 0) {
        putf(&out->text, "batch %zu: %d rows\n", out->batches++, got);
        for (size_t i = 0; i < batch->n_rows; i++, out->rows++) {
            putf(&out->text, "%s|%lld|%d|%d|%lld", batch->user_ids[i], (long long)batch->asof[i],
                   batch->labels[i], batch->days_to_churn[i], (long long)batch->lines[i]);
            for (size_t j = 0; j < d; j++) {
                uint64_t bits;
                memcpy(&bits, &batch->x[i * d + j], sizeof bits);
                putf(&out->text, "|%016llx", (unsigned long long)bits);
            }
            putf(&out->text, "\n");
        }
    }
    out->status = got;
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);
}

static void assert_same_reading(const reading *one, const reading *many, int threads,
                                size_t capacity)
{
    if (one->text.len != many->text.len ||
        (one->text.len && memcmp(one->text.text, many->text.text, one->text.len) != 0))
        fail_msg("%d threads, batches of %zu: rows differ from one thread's (%zu "
                 "and %zu rows)",
                 threads, capacity, many->rows, one->rows);
    if (one->status != many->status || one->err.code != many->err.code ||
        one->err.line != many->err.line || one->err.column != many->err.column ||
        one->err.offset != many->err.offset || strcmp(one->err.path, many->err.path) != 0 ||
        strcmp(one->err.message, many->err.message) != 0)
        fail_msg("%d threads, batches of %zu: \"%s\" (line %lld, column %d), one thread "
                 "\"%s\" (line %lld, column %d)",
                 threads, capacity, many->err.message, (long long)many->err.line, many->err.column,
                 one->err.message, (long long)one->err.line, one->err.column);
}

/* Reads path on 2 to 4 threads in batches of each size and checks each
 * reading against one thread's; returns how many rows that read. */
static size_t same_on_threads(const char *path, const size_t *capacities, size_t n_capacities)
{
    size_t rows = 0;
    for (size_t k = 0; k < n_capacities; k++) {
        reading one;
        read_table(&one, path, 1, capacities[k]);
        rows = one.rows;
        for (int threads = 2; threads <= 4; threads++) {
            reading many;
            read_table(&many, path, threads, capacities[k]);
            assert_same_reading(&one, &many, threads, capacities[k]);
            free(many.text.text);
        }
        free(one.text.text);
    }
    return rows;
}

static const size_t small_batches[] = { 1, 2, 3, 5, 64, 2048 };
#define N_SMALL (sizeof small_batches / sizeof *small_batches)
static const size_t batch_2048[] = { 2048 };

/* The meta line and header of a table of features a and b, with
 * days_to_churn (horizon 30). */
static void start_table(text_buf *b, const char *eol)
{
    const char *names[2] = { "a", "b" };
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_schema_hash(names, 2), "", "" };
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    putf(b, "%s\nuser_id,asof,a,b,label,days_to_churn%s", line, eol);
}

/* Row i of a table of many shapes: ids plain and quoted (with a comma, an
 * escaped quote, a line end inside), values of every kind, labels with
 * and without days. */
static void put_row(text_buf *b, int i, const char *eol)
{
    static const char *const values[] = { "0", "17", "-3.25", "1e-3", "123456.789", ".5" };
    const int churned = i % 3 == 0;
    switch (i % 7) {
    case 0: putf(b, "\"u,%d\"", i); break;
    case 1: putf(b, "\"u\"\"%d\"", i); break;
    case 2: putf(b, "\"u\n%d\"", i); break;
    case 3: putf(b, "\"u\r\n%d\"", i); break;
    default: putf(b, "user%07d", i);
    }
    putf(b, ",2026-03-0%d,%s,%s,%d,", 1 + i % 3, values[i % 6], values[(i / 6) % 6], churned);
    if (churned)
        putf(b, "%d", 1 + i % 30);
    put(b, eol, strlen(eol));
}

static void write_file(const char *path, const text_buf *b)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(b->text, 1, b->len, file), b->len);
    assert_int_equal(fclose(file), 0);
}

static void write_gzip(const char *path, const text_buf *b)
{
    gzFile out = gzopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(gzwrite(out, b->text, (unsigned)b->len), (int)b->len);
    assert_int_equal(gzclose(out), Z_OK);
}

/* LF, CRLF and CR alone, blank lines, a last row with and without its line
 * end: the same rows in the same batches, plain and gzip, for tables of a
 * few rows to more than the text read ahead at a time (1 MiB). */
static void same_rows(void **state)
{
    (void)state;
    static const char *const eols[] = { "\n", "\r\n", "\r" };
    for (size_t e = 0; e < 3; e++)
        for (int rows = 0; rows <= 40000; rows = rows ? rows * 20 : 5) {
            text_buf b = { 0 };
            start_table(&b, eols[e]);
            for (int i = 0; i < rows; i++) {
                put_row(&b, i, eols[e]);
                if (i % 97 == 5)
                    put(&b, eols[e], strlen(eols[e])); /* a blank line */
            }
            if (rows && e == 0)
                b.len -= 1; /* no line end after the last row */
            write_file("threads_rows.csv", &b);
            const int big = rows > 2000;
            assert_int_equal(same_on_threads("threads_rows.csv", big ? batch_2048 : small_batches,
                                             big ? 1 : N_SMALL),
                             rows);
            write_gzip("threads_rows.csv.gz", &b);
            assert_int_equal(same_on_threads("threads_rows.csv.gz", batch_2048, 1), rows);
            free(b.text);
        }
}

/* One bad spot, early, at a piece's edge, late or in the last row: the
 * rows before its batch, then the error one thread names. */
static void same_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "u,2026-03-01,x,1,0,\n",      /* a bad value */
        "u,2026-03-01,1,1,0\n",       /* a field short */
        "u,2026-03-01,1,1,0,,9\n",    /* a field more */
        "u\"v,2026-03-01,1,1,0,\n",   /* a quote in an unquoted field */
        "\"u\"v,2026-03-01,1,1,0,\n", /* text after a closing quote */
        "u,2026-03-01,1,1,2,\n",      /* a bad label */
        "u,2026-03-01,1,1,0,4\n",     /* days on a row that stayed */
        "u,2026-02-30,1,1,0,\n",      /* a bad date */
        "\"u\n,2026-03-01,1,1,0,\n",  /* an id over two lines, and a quote left
                                         open */
    };
    static const int where[] = { 0, 1, 999, 1000, 1001, 1023, 1024, 2047, 2048, 2999 };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
            text_buf b = { 0 };
            start_table(&b, "\n");
            for (int i = 0; i < 3000; i++) {
                if (i == where[w])
                    put(&b, bad[k], strlen(bad[k]));
                put_row(&b, i, "\n");
            }
            write_file("threads_bad.csv", &b);
            const size_t capacities[] = { 64, 2048 };
            same_on_threads("threads_bad.csv", capacities, 2);
            reading one;
            read_table(&one, "threads_bad.csv", 1, 2048);
            assert_true(one.status < 0);
            free(one.text.text);
            free(b.text);
        }
}

/* A value of 70,000 digits, then a stray quote, starting just before and
 * after the input's read size (64 KiB) and a few of its multiples: which
 * error one thread gives depends on where its reads end, and many threads
 * must give the same. */
static void long_fields_across_reads(void **state)
{
    (void)state;
    const size_t digits = LAPSE_TABLE_FIELD_MAX + 4464;
    char *field = malloc(digits + 2);
    assert_non_null(field);
    memset(field, '7', digits);
    for (size_t quote_at = 100; quote_at < digits; quote_at += 30000) {
        field[quote_at] = '"';
        for (int pad = 0; pad < 400; pad += 37) {
            text_buf b = { 0 };
            start_table(&b, "\n");
            for (int i = 0; i < 2000 + pad; i++)
                put_row(&b, i, "\n");
            put(&b, "u,2026-03-01,", 13);
            put(&b, field, digits);
            put(&b, ",1,0,\n", 6);
            for (int i = 0; i < 10; i++)
                put_row(&b, i, "\n");
            write_file("threads_long.csv", &b);
            same_on_threads("threads_long.csv", batch_2048, 1);
            free(b.text);
        }
        field[quote_at] = '7';
    }
    free(field);
}

/* No line end in 17 MiB after some rows: many threads hand the rest to
 * one, which stops it at the field limit, as one thread does. */
static void record_without_end(void **state)
{
    (void)state;
    text_buf b = { 0 };
    start_table(&b, "\n");
    for (int i = 0; i < 5000; i++)
        put_row(&b, i, "\n");
    put(&b, "u,2026-03-01,", 13);
    const size_t junk = (size_t)17 << 20;
    const size_t at = b.len;
    put(&b, "", 0);
    b.capacity = b.len + junk + 1;
    b.text = realloc(b.text, b.capacity);
    assert_non_null(b.text);
    memset(b.text + at, 'x', junk);
    b.len += junk;
    write_file("threads_endless.csv", &b);
    same_on_threads("threads_endless.csv", batch_2048, 1);
    reading one;
    read_table(&one, "threads_endless.csv", 1, 2048);
    assert_int_equal(one.status, LAPSE_ERR_LIMIT);
    free(one.text.text);
    free(b.text);
}

/* A gzip stream cut short, and one with a flipped byte, past the first
 * megabyte of text: the rows before, then the same error. */
static void broken_gzip_ahead(void **state)
{
    (void)state;
    text_buf b = { 0 };
    start_table(&b, "\n");
    for (int i = 0; i < 60000; i++)
        put_row(&b, i, "\n");
    write_gzip("threads_gz.csv.gz", &b);
    free(b.text);
    FILE *in = fopen("threads_gz.csv.gz", "rb");
    assert_non_null(in);
    static char gz[4 << 20];
    const size_t size = fread(gz, 1, sizeof gz, in);
    fclose(in);
    assert_true(size > 100000 && size < sizeof gz);
    text_buf cut = { gz, size * 3 / 4, 0 };
    write_file("threads_gz_cut.csv.gz", &cut);
    same_on_threads("threads_gz_cut.csv.gz", batch_2048, 1);
    gz[size / 2] ^= 0x55;
    text_buf flipped = { gz, size, 0 };
    write_file("threads_gz_flipped.csv.gz", &flipped);
    same_on_threads("threads_gz_flipped.csv.gz", batch_2048, 1);
    reading one;
    read_table(&one, "threads_gz_flipped.csv.gz", 1, 2048);
    assert_true(one.status < 0 && one.rows > 0);
    free(one.text.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_rows),
        cmocka_unit_test(same_errors),
        cmocka_unit_test(long_fields_across_reads),
        cmocka_unit_test(record_without_end),
        cmocka_unit_test(broken_gzip_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
