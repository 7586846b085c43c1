/* Fuzz target: binary feature tables (src/data/table_npy.h) through
 * lapse_table_reader and lapse_table_read, and NumPy's header parser alone.
 *
 * The input is T.npy's bytes, then, after a line "--rows--", T.rows.csv's;
 * without that line the rows file is a valid one of two rows. Beyond not
 * crashing or leaking: a header that parses leaves its values inside the
 * input; a refusal carries a code and a message; a table read has finite
 * values, as many rows as the streamed reader (batches of 3) gives, and the
 * same ones. */
#include "lapse/features.h"
#include "lapse/table.h"

#include "table_npy.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void write_file(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0)
        abort();
}

static char dir[64]; /* the folder the two files live in, made once per process */

/* Leaves nothing behind in /tmp. */
static void remove_folder(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.npy", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/t.rows.csv", dir);
    remove(path);
    rmdir(dir);
}

static const char *folder(void)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/lapse-fuzz-npy-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_folder);
    }
    return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lapse_npy_shape shape;
    char why[512];
    if (lapse__npy_header_parse(data, size, &shape, why, sizeof why) == 0) {
        if (shape.data_offset > size || shape.columns == 0)
            abort();
    } else if (!why[0]) {
        abort();
    }

    static const char marker[] = "\n--rows--\n";
    const uint8_t *rows = NULL;
    size_t npy_len = size, rows_len = 0;
    for (size_t i = 0; i + sizeof marker - 1 <= size; i++)
        if (memcmp(data + i, marker, sizeof marker - 1) == 0) {
            npy_len = i;
            rows = data + i + sizeof marker - 1;
            rows_len = size - npy_len - (sizeof marker - 1);
            break;
        }
    char npy_path[128], rows_path[128];
    snprintf(npy_path, sizeof npy_path, "%s/t.npy", folder());
    snprintf(rows_path, sizeof rows_path, "%s/t.rows.csv", folder());
    write_file(npy_path, data, npy_len);
    if (rows) {
        write_file(rows_path, rows, rows_len);
    } else {
        char meta_text[LAPSE_TABLE_META_LINE_MAX], text[LAPSE_TABLE_META_LINE_MAX + 128];
        lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_feature_schema_hash(), "", "" };
        if (lapse_table_meta_format(meta_text, sizeof meta_text, &meta) != LAPSE_OK)
            abort();
        const int n = snprintf(text, sizeof text,
                               "%s\nuser_id,asof,label,days_to_churn\nu1,2026-03-01,1,4\n"
                               "u2,2026-03-01,,\n",
                               meta_text);
        write_file(rows_path, text, (size_t)n);
    }

    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table *table = NULL;
    const char *path = npy_path;
    const int status = lapse_table_read(&table, &path, 1, &err);
    if (status != LAPSE_OK && (err.code != status || !err.message[0] || table))
        abort();
    lapse_table_reader *reader = NULL;
    lapse_error stream_err = LAPSE_ERROR_INIT;
    int streamed = lapse_table_reader_open(&reader, npy_path, &stream_err);
    size_t row = 0;
    if (streamed == LAPSE_OK) {
        const size_t d = lapse_table_reader_feature_count(reader);
        lapse_table_batch *batch = lapse_table_batch_create(3, d);
        if (!batch)
            abort();
        while ((streamed = lapse_table_reader_next(reader, batch, &stream_err)) > 0)
            for (int i = 0; i < streamed; i++, row++) {
                for (size_t j = 0; j < d; j++)
                    if (!isfinite(batch->x[(size_t)i * d + j]))
                        abort();
                if (table && (row >= table->n_rows ||
                              memcmp(batch->x + (size_t)i * d, table->x + row * d,
                                     d * sizeof(double)) != 0 ||
                              strcmp(batch->user_ids[i], table->user_ids[row]) != 0))
                    abort();
            }
        lapse_table_batch_free(batch);
    }
    lapse_table_reader_close(reader);
    if (streamed < 0 && (stream_err.code != streamed || !stream_err.message[0]))
        abort();
    /* The whole read also checks repeated (user, asof) pairs; the stream
     * does not, so it may accept more. */
    if (table && (streamed != 0 || row != table->n_rows))
        abort();
    lapse_table_free(table);
    return 0;
}
