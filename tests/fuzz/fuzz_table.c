/* Fuzz target: feature tables (lapse_table_read and lapse_table_reader).
 *
 * Beyond not crashing or leaking: a refused table says why and where; an
 * accepted one holds only valid values; the streaming reader, in batches
 * of 3 rows, reads exactly the rows the in-memory read did, or fails at the
 * same line and column (duplicates aside: only the in-memory read looks for
 * them). An input holding NEXT_FILE is two files: read together they give
 * the rows of each read alone, in order, or fail for a reason that only
 * two files can have (a schema difference, a duplicate across them). The
 * reader on three threads gives batch for batch what it gives on one, and
 * the same error (lapse_table_reader_set_threads). */
#include "fuzz_file.h"

#include "lapse/error.h"
#include "lapse/table.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NEXT_FILE "\n--next file--\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const lapse_table *t)
{
    const char *const *names = (const char *const *)t->feature_names;
    if (t->n_features < 1 || t->meta.schema_hash != lapse_schema_hash(names, t->n_features) ||
        lapse_table_check_names(names, t->n_features, names, t->n_features, NULL, NULL) !=
            LAPSE_OK)
        abort();
    for (size_t i = 0; i < t->n_rows; i++) {
        const size_t len = strlen(t->user_ids[i]);
        if (len < 1 || len > LAPSE_TABLE_USER_ID_MAX || t->asof[i] % 86400 != 0 ||
            t->labels[i] < -1 || t->labels[i] > 1)
            abort();
        for (size_t j = 0; j < t->n_features; j++)
            if (!isfinite(t->x[i * t->n_features + j]))
                abort();
    }
}

static int same_row(const lapse_table *a, size_t i, const lapse_table *b, size_t j)
{
    return a->n_features == b->n_features && strcmp(a->user_ids[i], b->user_ids[j]) == 0 &&
           a->asof[i] == b->asof[j] && a->labels[i] == b->labels[j] &&
           memcmp(a->x + i * a->n_features, b->x + j * b->n_features,
                  a->n_features * sizeof(double)) == 0;
}

/* Reads path in memory and streamed, checks they agree, and returns the
 * in-memory table (NULL when refused). */
static lapse_table *read_both_ways(const char *path)
{
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_table_read(&t, &path, 1, &err);
    if (status != LAPSE_OK && (t || err.code != status || err.message[0] == '\0'))
        abort();
    if (t)
        check_table(t);

    lapse_table_reader *reader = NULL;
    lapse_error stream_err = LAPSE_ERROR_INIT;
    int got = lapse_table_reader_open(&reader, path, &stream_err);
    size_t row = 0;
    if (got == LAPSE_OK) {
        const size_t n_features = lapse_table_reader_feature_count(reader);
        lapse_table_batch *batch = lapse_table_batch_create(3, n_features);
        if (!batch)
            abort();
        while ((got = lapse_table_reader_next(reader, batch, &stream_err)) > 0) {
            for (size_t k = 0; k < batch->n_rows && t; k++, row++) {
                if (row >= t->n_rows || strcmp(batch->user_ids[k], t->user_ids[row]) != 0 ||
                    batch->asof[k] != t->asof[row] || batch->labels[k] != t->labels[row] ||
                    memcmp(batch->x + k * n_features, t->x + row * n_features,
                           n_features * sizeof(double)) != 0)
                    abort();
            }
        }
        lapse_table_batch_free(batch);
        lapse_table_reader_close(reader);
    }
    if (status == LAPSE_OK && (got != 0 || row != t->n_rows))
        abort();
    if (status != LAPSE_OK && !strstr(err.message, "duplicate row") &&
        (got != status || stream_err.line != err.line || stream_err.column != err.column))
        abort();
    return t;
}

static int same_batch(const lapse_table_batch *a, const lapse_table_batch *b)
{
    const size_t n = a->n_rows, d = a->n_features;
    if (n != b->n_rows || memcmp(a->x, b->x, n * d * sizeof *a->x) != 0 ||
        memcmp(a->asof, b->asof, n * sizeof *a->asof) != 0 ||
        memcmp(a->labels, b->labels, n * sizeof *a->labels) != 0 ||
        memcmp(a->lines, b->lines, n * sizeof *a->lines) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->user_ids[i], b->user_ids[i]) != 0)
            return 0;
    return 1;
}

/* One thread and three, in step, batches of 4 rows. */
static void read_on_threads(const char *path)
{
    lapse_table_reader *one = NULL, *three = NULL;
    lapse_error err_one = LAPSE_ERROR_INIT, err_three = LAPSE_ERROR_INIT;
    if (lapse_table_reader_open(&one, path, &err_one) != LAPSE_OK)
        return;
    if (lapse_table_reader_open(&three, path, &err_three) != LAPSE_OK)
        abort();
    lapse_table_reader_set_threads(three, 3);
    const size_t d = lapse_table_reader_feature_count(one);
    lapse_table_batch *a = lapse_table_batch_create(4, d), *b = lapse_table_batch_create(4, d);
    if (!a || !b)
        abort();
    int got_one, got_three;
    do {
        got_one = lapse_table_reader_next(one, a, &err_one);
        got_three = lapse_table_reader_next(three, b, &err_three);
        if (got_one != got_three || (got_one > 0 && !same_batch(a, b)))
            abort();
    } while (got_one > 0);
    if (got_one < 0 &&
        (err_one.code != err_three.code || err_one.line != err_three.line ||
         err_one.column != err_three.column || strcmp(err_one.message, err_three.message) != 0))
        abort();
    lapse_table_batch_free(a);
    lapse_table_batch_free(b);
    lapse_table_reader_close(one);
    lapse_table_reader_close(three);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t sep_len = sizeof NEXT_FILE - 1;
    const uint8_t *sep = memmem(data, size, NEXT_FILE, sep_len);
    if (!sep) {
        const char *path = fuzz_file_path(0, data, size);
        lapse_table_free(read_both_ways(path));
        read_on_threads(path);
        return 0;
    }
    const size_t first_size = (size_t)(sep - data);
    const char *paths[2] = { fuzz_file_path(0, data, first_size),
                             fuzz_file_path(1, sep + sep_len, size - first_size - sep_len) };
    lapse_table *a = read_both_ways(paths[0]);
    lapse_table *b = read_both_ways(paths[1]);
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_table_read(&t, paths, 2, &err);
    if (status == LAPSE_OK) {
        if (!a || !b || t->n_rows != a->n_rows + b->n_rows)
            abort();
        check_table(t);
        for (size_t i = 0; i < a->n_rows; i++)
            if (!same_row(t, i, a, i))
                abort();
        for (size_t i = 0; i < b->n_rows; i++)
            if (!same_row(t, a->n_rows + i, b, i))
                abort();
    } else if (t || err.code != status ||
               (a && b && status != LAPSE_ERR_SCHEMA && !strstr(err.message, "duplicate row")))
        abort();
    lapse_table_free(t);
    lapse_table_free(a);
    lapse_table_free(b);
    return 0;
}
