/* Foreign tables: any CSV of one row per user, or a libsvm file, as the
 * features train and score take (datasets/README.md, "Your own table").
 *
 * CSV (a header, then one row per user; plain, gzip or zstd, through the
 * input layer, so a byte-order mark is skipped):
 *   - the label column (lapse_foreign_options.label) holds 0 or 1 (any
 *     number equal to them: 1.0 too) or is empty (unlabelled); with
 *     `positive`, a cell equal to it is 1 and any other non-empty cell 0;
 *   - the id column (optional) names each row; without one, rows are
 *     numbered from 1;
 *   - a column whose non-empty cells are all finite decimal numbers is a
 *     NUMBER feature; other columns are text: with at most max_levels
 *     distinct values they are LEVELS, one-hot encoded (one 0/1 feature per
 *     value, named "<column>=<value>", values in byte order); with more they
 *     are DROPPED, with a warning naming the column (an id or free text
 *     carries nothing a linear model can use, and one feature per value
 *     would swamp the rest); a column empty in every row is DROPPED too;
 *   - an empty cell (spaces alone are empty) is a missing value: a NUMBER
 *     takes the training median, a LEVELS column none of its levels; a
 *     column with empty cells in training also gets a 0/1 feature
 *     "<column>_missing" right after its own.
 *
 * libsvm (`label index:value ...`, indices from 1 increasing, as lapse
 * extract --format libsvm and svm-train write it): labels 1, +1 or 0, -1
 * (else an error); features f1..fN for the largest index N in training,
 * absent entries 0 (the format's meaning, not a missing value); ids are row
 * numbers.
 *
 * The encoding (what the columns are and how they become features) is kept
 * in the model, so score reads its table the same way: columns are matched
 * by name in any order, and a column the model lacks, or one it has and the
 * table lacks, is an error naming it (a dropped column may be present or
 * not; the label column may be absent). A level unseen in training encodes
 * as none of the column's levels, and a number cell empty at scoring in a
 * column that had none in training takes the median: both are counted and
 * warned about through the log. */
#ifndef LAPSE_FOREIGN_H
#define LAPSE_FOREIGN_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_FOREIGN_MAX_LEVELS_DEFAULT 50

typedef enum { LAPSE_FOREIGN_CSV = 1, LAPSE_FOREIGN_LIBSVM = 2 } lapse_foreign_format;

typedef enum {
    LAPSE_COLUMN_NUMBER = 1, /* one feature, the value */
    LAPSE_COLUMN_LEVELS = 2, /* one 0/1 feature per level */
    LAPSE_COLUMN_DROPPED = 3 /* no feature: ignored at scoring */
} lapse_column_kind;

typedef struct {
    char *name;             /* the header's name (libsvm: "f<index>") */
    lapse_column_kind kind;
    int has_missing;        /* 1: a "<name>_missing" feature follows the column's own */
    double impute;          /* NUMBER: the training median, for empty cells; else 0 */
    size_t n_levels;        /* LEVELS: >= 1; else 0 */
    char **levels;          /* LEVELS: distinct, in strcmp order; else NULL */
} lapse_foreign_column;

/* Every pointer is owned by the encoding; free with lapse_foreign_free. */
typedef struct {
    lapse_foreign_format format;
    char *id_column;    /* CSV: "" when rows are numbered; libsvm: "" */
    char *label_column; /* CSV: the label's column; libsvm: "" */
    char *positive;     /* CSV: the label value that is 1; "" for 0/1 labels */
    size_t n_columns;   /* feature columns, in the training header's order */
    lapse_foreign_column *columns;
} lapse_foreign_encoding;

typedef struct {
    lapse_foreign_format format; /* CSV */
    const char *label;           /* CSV: the label column; required */
    const char *id;              /* CSV: the id column; NULL: rows are numbered */
    const char *positive;        /* CSV: the value that is 1; NULL: labels are 0/1 */
    size_t max_levels;           /* text columns with more levels are dropped (50) */
} lapse_foreign_options;

#define LAPSE_FOREIGN_OPTIONS_INIT                                                               \
    { LAPSE_FOREIGN_CSV, NULL, NULL, NULL, LAPSE_FOREIGN_MAX_LEVELS_DEFAULT }

/* Reads the training table at path once (not "-": the rows are read again
 * to encode them, LAPSE_ERR_ARG) and infers its encoding (*out; NULL on
 * failure). Dropped columns are warned about through the log. Errors name
 * the file, line and column: LAPSE_ERR_FORMAT for malformed CSV or libsvm,
 * a row whose field count differs from the header's, a label other than
 * 0/1 or empty (libsvm: 1, +1, 0, -1), an empty or repeated header name, a
 * header name or feature name a model cannot hold (a control character,
 * ',' in a column name, over LAPSE_FEATURE_NAME_MAX bytes), two features
 * with the same name; LAPSE_ERR_SCHEMA for a label or id column not in the
 * header; LAPSE_ERR_RANGE for a label column with no labels or one value
 * only, or no feature column left; LAPSE_ERR_LIMIT, LAPSE_ERR_IO,
 * LAPSE_ERR_GZIP, LAPSE_ERR_NOMEM. */
int lapse_foreign_infer(lapse_foreign_encoding **out, const char *path,
                        const lapse_foreign_options *opts, lapse_error *err);

void lapse_foreign_free(lapse_foreign_encoding *enc); /* accepts NULL */

/* A deep copy, or NULL when out of memory. */
lapse_foreign_encoding *lapse_foreign_copy(const lapse_foreign_encoding *enc);

/* The number of features the encoding makes. */
size_t lapse_foreign_width(const lapse_foreign_encoding *enc);

/* The name of encoded feature j (< width) into buf (size bytes, at least
 * LAPSE_FEATURE_NAME_MAX + 1): the column's name, "<column>=<level>" with
 * ',' and control bytes of the level as '_', or "<column>_missing".
 * Returns 0, or LAPSE_ERR_LIMIT when it is longer than
 * LAPSE_FEATURE_NAME_MAX bytes. */
int lapse_foreign_feature_name(char *buf, size_t size, const lapse_foreign_encoding *enc,
                               size_t j);

/* Checks an encoding (as loaded from a model) for consistency: a known
 * format and kinds, non-empty distinct printable column names, levels
 * distinct in order, finite impute values, and feature names equal to
 * names[0..n) (the model's). Returns 0 or LAPSE_ERR_ARG naming the problem. */
int lapse_foreign_validate(const lapse_foreign_encoding *enc, const char *const *names, size_t n,
                           lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
