/* Feature tables: what `lapse extract` writes and train, score and eval read.
 *
 *   # lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; schema=...
 *   user_id,asof,<feature 1>,...,<feature n>,label[,days_to_churn]
 *   u000017,2026-03-01,3,0.5,...,1
 *
 * (datasets/README.md, "Feature tables", is the contract.) Files may be
 * plain or gzip, told apart by their first bytes; "-" is standard input.
 * Rows are parsed with libcsv in strict mode.
 *
 * Two ways in: lapse_table_read loads whole files into one matrix (train,
 * eval); lapse_table_reader streams batches of rows into caller-owned
 * buffers (score), with memory bounded by the batch size whatever the file
 * size. Both also read a binary table (lapse_table_write_npy): the values
 * from its .npy, streamed, each one finite, the other columns from its
 * rows file, checked as below.
 *
 * Every row is checked: the field count, user_id (1 to 256 bytes, no NUL),
 * asof (YYYY-MM-DD), each feature (a finite decimal number: digits, sign,
 * '.', exponent; no hex, inf, nan or spaces), label (1, 0 or empty) and,
 * in tables that have the column (lapse/churn.h; older ones do not),
 * days_to_churn (empty, or 1 to the meta line's horizon on a row labelled 1).
 * Errors are LAPSE_ERR_FORMAT with the file, line and 1-based column;
 * lines count '\n' from 1 (the meta line), and a row's line is the one its
 * last field ends on. A gzip stream that is cut short or corrupt is
 * LAPSE_ERR_GZIP, a read failure LAPSE_ERR_IO, a field, header or feature
 * count over the limits below LAPSE_ERR_LIMIT. */
#ifndef LAPSE_TABLE_H
#define LAPSE_TABLE_H

#include "lapse/error.h"
#include "lapse/foreign.h"
#include "lapse/schema.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_TABLE_USER_ID_MAX 256    /* bytes in a user id */
#define LAPSE_TABLE_FEATURES_MAX 65536 /* feature columns in a header */
#define LAPSE_TABLE_FIELD_MAX 65536    /* bytes in any one field (unquoted) */
#define LAPSE_TABLE_HEADER_MAX 1048576 /* bytes in the header's names together */

/* The asof of every row of a foreign table (lapse/foreign.h), which has no
 * snapshot dates: 1970-01-01, never written out (score leaves it empty). */
#define LAPSE_TABLE_NO_ASOF 0

/* A whole table in memory. Every array is owned by the table; treat the
 * fields as read-only and free with lapse_table_free. */
typedef struct {
    lapse_table_meta meta;  /* from the first file; all files agree */
    size_t n_features;      /* columns between asof and label (>= 1) */
    char **feature_names;   /* n_features NUL-terminated names, in header order */
    size_t n_rows;
    double *x;              /* n_rows * n_features values, row-major:
                             * row i, feature j is x[i * n_features + j] */
    char **user_ids;        /* n_rows NUL-terminated ids */
    int64_t *asof;          /* n_rows snapshot dates, UTC seconds of midnight */
    int8_t *labels;         /* n_rows labels: 1 churned, 0 stayed, -1 empty */
    /* n_rows days_to_churn (1..horizon; 0 none), or NULL when a file lacks
     * the column (a table from before it, or a foreign table). */
    int16_t *days_to_churn;
    /* A foreign table's encoding (its features are the encoded columns,
     * every asof LAPSE_TABLE_NO_ASOF, and meta holds the default churn
     * definition and the hash of those names); NULL for a lapse table. */
    lapse_foreign_encoding *encoding;
} lapse_table;

/* Reads n_paths (>= 1) files, in order, into one table (*out; NULL on
 * failure). Every file must carry the same meta line and header as the
 * first, else LAPSE_ERR_SCHEMA naming the file and the first differing
 * column (or meta key). The header must hash (lapse_schema_hash) to the
 * meta line's schema, else LAPSE_ERR_FORMAT. A (user_id, asof) pair seen
 * twice, in one file or across files, is LAPSE_ERR_FORMAT naming both
 * places. Also LAPSE_ERR_NOMEM, LAPSE_ERR_IO (a file that cannot be opened
 * or read), LAPSE_ERR_ARG (no paths), and the errors listed at the top. */
int lapse_table_read(lapse_table **out, const char *const *paths, size_t n_paths,
                     lapse_error *err);

void lapse_table_free(lapse_table *table); /* accepts NULL */

/* Reads a foreign table (lapse/foreign.h): infers its encoding from the
 * whole file, then reads its rows encoded into *out (NULL on failure),
 * with table->encoding set. An id on two rows is LAPSE_ERR_FORMAT naming
 * both lines. Errors as lapse_foreign_infer's and the reader's. */
int lapse_table_read_foreign(lapse_table **out, const char *path,
                             const lapse_foreign_options *opts, lapse_error *err);

/* Checks a table's feature names against the ones a model expects.
 * Returns 0 when both lists are equal, else LAPSE_ERR_SCHEMA with a message
 * naming the first position where they differ, with the expected and the
 * found name, or, when one list is a prefix of the other, both counts. path
 * (may be NULL) is the table's file, for the message. */
/* Writes t as a binary table (datasets/README.md, "Binary tables"): path
 * (ending in .npy) gets the values as NumPy's .npy float64 matrix, and
 * T.rows.csv beside it the meta line and user_id,asof,label,days_to_churn;
 * both appear whole or neither does (lapse/outfile.h). Only a table of
 * this lapse's feature schema (not a foreign one) is written: else, or
 * for another path, LAPSE_ERR_ARG. Also LAPSE_ERR_IO, LAPSE_ERR_NOMEM. */
int lapse_table_write_npy(const lapse_table *t, const char *path, lapse_error *err);

/* The rows file of a binary table: "T.npy" gives "T.rows.csv" in out
 * (size bytes). Returns 0, or -1 when path does not end in ".npy" or out is
 * too short. lapse_table_reader_open and lapse_table_read take a binary
 * table by its .npy path (told by NumPy's magic, not the name). */
int lapse_table_npy_rows_path(char *out, size_t size, const char *path);

int lapse_table_check_names(const char *const *names, size_t count,
                            const char *const *expected, size_t expected_count,
                            const char *path, lapse_error *err);

/* Rows of a streamed table, in caller-reusable buffers sized once. Every
 * array is owned by the batch; lapse_table_reader_next overwrites them. */
typedef struct {
    size_t capacity;   /* rows the buffers hold */
    size_t n_features; /* values per row */
    size_t n_rows;     /* rows filled by the last lapse_table_reader_next */
    double *x;         /* capacity * n_features values, row-major */
    char (*user_ids)[LAPSE_TABLE_USER_ID_MAX + 1]; /* NUL-terminated ids */
    int64_t *asof;     /* snapshot dates, UTC seconds of midnight */
    int8_t *labels;    /* 1 churned, 0 stayed, -1 empty */
    int16_t *days_to_churn; /* 1..horizon, 0 none; only where the reader has the column */
    int64_t *lines;    /* the line each row ends on, for messages */
} lapse_table_batch;

/* Buffers for capacity (>= 1) rows of n_features (>= 1) values. NULL when
 * out of memory or a size is 0 or too large. */
lapse_table_batch *lapse_table_batch_create(size_t capacity, size_t n_features);

void lapse_table_batch_free(lapse_table_batch *batch); /* accepts NULL */

typedef struct lapse_table_reader lapse_table_reader;

/* Opens path ("-": standard input) and reads its meta line and header,
 * checking that the header hashes to the meta's schema. Returns 0 with
 * *out set, or an error as listed at the top (*out is then NULL). */
int lapse_table_reader_open(lapse_table_reader **out, const char *path, lapse_error *err);

/* Opens a foreign table (lapse/foreign.h) to read its rows encoded as enc
 * says (enc is borrowed: it must outlive the reader): its features are the
 * encoding's, its meta that of lapse_table_read_foreign's tables. The
 * header is matched to enc by name; errors as lapse/foreign.h says. The
 * functions below work on it as on a lapse table's reader; closing it logs
 * the warnings its rows called for. */
int lapse_table_reader_open_foreign(lapse_table_reader **out, const char *path,
                                    const lapse_foreign_encoding *enc, lapse_error *err);

/* The meta line, feature count and names (n_features NUL-terminated
 * strings, owned by the reader, valid until it is closed). */
const lapse_table_meta *lapse_table_reader_meta(const lapse_table_reader *reader);
size_t lapse_table_reader_feature_count(const lapse_table_reader *reader);
const char *const *lapse_table_reader_feature_names(const lapse_table_reader *reader);

/* 1 when the table has the days_to_churn column (never a foreign one). */
int lapse_table_reader_has_days_to_churn(const lapse_table_reader *reader);

/* The path given to open, for messages. */
const char *lapse_table_reader_path(const lapse_table_reader *reader);

/* Parses the rows of a CSV table on up to threads threads from the next
 * lapse_table_reader_next on: the text is read ahead and cut at record
 * ends into a piece per thread, each parsed with its own libcsv parser.
 * The batches (the same rows in each), and the error that stops a read
 * (its file, line, column and message), are those of one thread. A record
 * longer than 16 MiB, or a read that fails ahead of the rows, sends the
 * rest to one thread. Standard input and gzip or zstd input are cut the
 * same way (inflating stays on one thread). No effect on a binary table
 * (its rows file is read on one), a foreign table, threads <= 1, or when
 * out of memory (one thread then reads). */
void lapse_table_reader_set_threads(lapse_table_reader *reader, int threads);

/* Fills batch with up to batch->capacity next rows. Returns the number of
 * rows (> 0, also in batch->n_rows), 0 at the end of the table, or a
 * negative lapse_status (then the reader is spent: every later call returns
 * the same error). batch->n_features must equal the reader's feature count
 * (else LAPSE_ERR_ARG). Loop: while ((n = lapse_table_reader_next(...)) > 0). */
int lapse_table_reader_next(lapse_table_reader *reader, lapse_table_batch *batch,
                            lapse_error *err);

void lapse_table_reader_close(lapse_table_reader *reader); /* accepts NULL */

#ifdef __cplusplus
}
#endif

#endif
