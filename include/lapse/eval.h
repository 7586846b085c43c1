/* Reading scored files for lapse eval: the p_churn and label columns of the
 * output of lapse score, with the labels of what happened. */
#ifndef LAPSE_EVAL_H
#define LAPSE_EVAL_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the p_churn and label columns of scored CSV files (the output of
 * lapse score on a labelled table: any columns, in any order, a header
 * naming p_churn and label, optionally after lines starting with '#'), plain
 * or gzip, "-" for standard input, a UTF-8 byte-order mark skipped; rows
 * with an empty label are skipped. On success *p and *y (malloc'd, the
 * caller frees both) hold the *n labelled rows in file order. Errors name
 * the file, line and column: LAPSE_ERR_FORMAT (no such column, a p_churn
 * that is not a number in [0, 1], a label other than 1, 0 or empty, a row
 * with the wrong field count, malformed CSV), LAPSE_ERR_GZIP, LAPSE_ERR_IO,
 * LAPSE_ERR_NOMEM, LAPSE_ERR_ARG (no paths). */
int lapse_eval_read_scored(double **p, int **y, size_t *n, const char *const *paths,
                           size_t n_paths, lapse_error *err);

/* The columns rows are grouped by when every file has them. */
enum { LAPSE_EVAL_RISK_TIER, LAPSE_EVAL_SEGMENT, LAPSE_EVAL_GROUPS };

typedef struct {
    uint32_t *id;  /* row i is in group names[id[i]]; NULL when a file lacks the column */
    char **names;  /* in order of first appearance ("" for an empty field) */
    size_t n_names;
} lapse_eval_group;

typedef struct {
    double *p;
    int *y;
    size_t n;
    lapse_eval_group group[LAPSE_EVAL_GROUPS]; /* risk_tier, segment */
} lapse_eval_rows;

/* As lapse_eval_read_scored, and also the risk_tier and segment columns
 * (optional) of every labelled row. Free *out with lapse_eval_rows_free,
 * also after a failure. */
int lapse_eval_read(lapse_eval_rows *out, const char *const *paths, size_t n_paths,
                    lapse_error *err);
void lapse_eval_rows_free(lapse_eval_rows *rows);

typedef struct {
    double threshold; /* rows with p >= threshold are predicted churners */
    double fpr, tpr;  /* false and true positive rates there */
} lapse_eval_roc_point;

/* The ROC curve of the n rows (p scores, y 1 or 0): one point per distinct
 * score, from the highest down, after a first point (threshold +inf, 0, 0),
 * thinned to at most max_points (>= 2) by keeping the first, the last and
 * points evenly spaced along the list between them. *out is malloc'd, *n_out
 * its length. LAPSE_ERR_RANGE when y holds one class, LAPSE_ERR_ARG for
 * max_points < 2, LAPSE_ERR_NOMEM. */
int lapse_eval_roc(lapse_eval_roc_point **out, size_t *n_out, size_t max_points,
                   const double *p, const int *y, size_t n, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
