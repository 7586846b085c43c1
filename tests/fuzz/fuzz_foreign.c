/* Fuzz target: foreign tables (lapse/foreign.h), CSV and libsvm.
 *
 * An input starting with "libsvm\n" is a libsvm file (the rest), any other
 * a CSV read with --label y (and --id id when the header has one). Beyond
 * not crashing or leaking: a refused table says why; an accepted one has
 * an encoding that validates against its feature names, finite values and
 * labels in range; a copy of the encoding validates too; and the same file
 * streamed through the scoring reader, in batches of 3 rows, gives the
 * same rows. */
#include "fuzz_file.h"

#include "lapse/error.h"
#include "lapse/foreign.h"
#include "lapse/table.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const lapse_table *t)
{
    const char *const *names = (const char *const *)t->feature_names;
    lapse_foreign_encoding *copy = lapse_foreign_copy(t->encoding);
    if (!copy || lapse_foreign_validate(t->encoding, names, t->n_features, NULL) != LAPSE_OK ||
        lapse_foreign_validate(copy, names, t->n_features, NULL) != LAPSE_OK ||
        t->meta.schema_hash != lapse_schema_hash(names, t->n_features))
        abort();
    lapse_foreign_free(copy);
    for (size_t i = 0; i < t->n_rows; i++) {
        const size_t len = strlen(t->user_ids[i]);
        if (len < 1 || len > LAPSE_TABLE_USER_ID_MAX || t->asof[i] != LAPSE_TABLE_NO_ASOF ||
            t->labels[i] < -1 || t->labels[i] > 1)
            abort();
        for (size_t j = 0; j < t->n_features; j++)
            if (!isfinite(t->x[i * t->n_features + j]))
                abort();
    }
}

/* The scoring reader gives the rows the table holds. */
static void stream_again(const lapse_table *t, const char *path)
{
    lapse_table_reader *reader = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_table_reader_open_foreign(&reader, path, t->encoding, &err) != LAPSE_OK)
        abort();
    const size_t d = t->n_features;
    lapse_table_batch *batch = lapse_table_batch_create(3, d);
    if (!batch || lapse_table_reader_feature_count(reader) != d)
        abort();
    size_t row = 0;
    int got;
    while ((got = lapse_table_reader_next(reader, batch, &err)) > 0)
        for (size_t k = 0; k < batch->n_rows; k++, row++)
            if (row >= t->n_rows || strcmp(batch->user_ids[k], t->user_ids[row]) != 0 ||
                batch->labels[k] != t->labels[row] ||
                memcmp(batch->x + k * d, t->x + row * d, d * sizeof(double)) != 0)
                abort();
    if (got != 0 || row != t->n_rows)
        abort();
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);
}

static void read_one(const char *path, const lapse_foreign_options *o)
{
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_table_read_foreign(&t, path, o, &err);
    if (status != LAPSE_OK && (t || err.code != status || err.message[0] == '\0'))
        abort();
    if (!t)
        return;
    check_table(t);
    stream_again(t, path);
    lapse_table_free(t);
}

static void quiet(lapse_log_level level, const char *message, void *user)
{
    (void)level;
    (void)message;
    (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char libsvm[] = "libsvm\n";
    lapse_log_set(quiet, NULL);
    lapse_foreign_options o = LAPSE_FOREIGN_OPTIONS_INIT;
    o.max_levels = 4; /* small inputs reach the dropped columns too */
    if (size >= sizeof libsvm - 1 && memcmp(data, libsvm, sizeof libsvm - 1) == 0) {
        o.format = LAPSE_FOREIGN_LIBSVM;
        read_one(fuzz_file_path(0, data + sizeof libsvm - 1, size - (sizeof libsvm - 1)), &o);
        return 0;
    }
    const char *path = fuzz_file_path(0, data, size);
    o.label = "y";
    read_one(path, &o);
    o.id = "id";
    read_one(path, &o);
    o.id = NULL;
    o.positive = "yes";
    read_one(path, &o);
    return 0;
}
