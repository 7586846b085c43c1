/* Reading scored files for lapse eval: the p_churn and label columns of the
 * output of lapse score, with the labels of what happened. */
#ifndef LAPSE_EVAL_H
#define LAPSE_EVAL_H

#include "lapse/error.h"
#include "lapse/scored.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the p_churn and label columns of scored CSV files (the output of
 * lapse score on a labelled table: any columns, in any order, a header
 * naming p_churn and label, optionally after lines starting with '#'), plain,
 * gzip or zstd, "-" for standard input, a UTF-8 byte-order mark skipped,
 * read by lapse_scored_read (lapse/scored.h); rows with an empty label are
 * skipped. On success *p and *y (malloc'd, the
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

#define LAPSE_EVAL_HORIZONS_MAX LAPSE_SCORED_HORIZONS_MAX
#define LAPSE_EVAL_HORIZON_MAX_DAYS LAPSE_SCORED_HORIZON_MAX_DAYS

typedef struct {
    double *p;
    int *y;
    size_t n;
    lapse_eval_group group[LAPSE_EVAL_GROUPS]; /* risk_tier, segment */
    /* A model with horizons (lapse/hazard.h): its p_<days> columns, in
     * increasing order of days, and days_to_churn. */
    size_t n_horizons;                        /* 0: no p_<days> column */
    int horizons[LAPSE_EVAL_HORIZONS_MAX];
    double *p_horizon;   /* [n * n_horizons], row-major; NULL without */
    int *days_to_churn;  /* [n], 0 when empty; NULL without horizons, when a file lacks it, or
                            when a row labelled 1 has none (labels from a file: whether, not
                            when) */
} lapse_eval_rows;

/* As lapse_eval_read_scored, and also the risk_tier and segment columns
 * (optional) of every labelled row, and a hazard model's columns: p_<days>
 * (days 1 to LAPSE_EVAL_HORIZON_MAX_DAYS without a leading zero, at most
 * LAPSE_EVAL_HORIZONS_MAX, in increasing order, each a probability in
 * [0, 1]; every file must name the same ones) and days_to_churn (empty, or
 * a day from 1). LAPSE_ERR_FORMAT names the column that breaks these. Free
 * *out with lapse_eval_rows_free, also after a failure. */
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

/* Antolini's time-dependent concordance of the horizons' risks. Event time
 * T_i: days_to_churn for a row labelled 1 that churned within the last
 * horizon H, else "later" (past H: stayed, or churned after H). A pair
 * (i, j) is comparable when i churned at T_i and T_j > T_i (j still there
 * at T_i: churned later or not within H); ties in time are not compared.
 * It is concordant when i's cumulative risk at T_i exceeds j's, half when
 * equal; the risk at day t is the step function p_h of the shortest
 * horizon h >= t (the risk by the end of the band holding t). *c is
 * concordant / comparable pairs (NaN without a comparable pair), *pairs
 * their count. rows needs horizons and days_to_churn (LAPSE_ERR_ARG);
 * LAPSE_ERR_NOMEM. O(n log n) per horizon. */
int lapse_eval_concordance(double *c, uint64_t *pairs, const lapse_eval_rows *rows,
                           lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
