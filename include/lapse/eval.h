/* Reading scored files for lapse eval: the p_churn and label columns of the
 * output of lapse score, with the labels of what happened. */
#ifndef LAPSE_EVAL_H
#define LAPSE_EVAL_H

#include "lapse/error.h"

#include <stddef.h>

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

#ifdef __cplusplus
}
#endif

#endif
