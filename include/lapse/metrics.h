/* Figures that say whether churn probabilities can be trusted: ranking (AUC,
 * average precision), probability quality (log loss, Brier, calibration),
 * and what a campaign on the top of the list would catch (lift, capture).
 *
 * Labels: y[i] is 1 for a churner and 0 otherwise (any nonzero counts as 1).
 * Scores: AUC, average precision and lift only use the order of the scores,
 * so decision values work too; the other figures want probabilities in
 * [0, 1]. Nothing here allocates except the sorting functions, which say so. */
#ifndef LAPSE_METRICS_H
#define LAPSE_METRICS_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_METRICS_BINS 10      /* equal-width probability bins over [0, 1] */
#define LAPSE_METRICS_LIFTS 3      /* top 5%, 10%, 20% */
#define LAPSE_METRICS_LOG_CLIP 1e-15 /* log loss clips p to [clip, 1 - clip] */

/* Area under the ROC curve: the probability that a random churner scores
 * above a random non-churner, tied scores counting one half (average ranks).
 * Allocates a sorted copy: LAPSE_ERR_NOMEM. LAPSE_ERR_RANGE when y holds only
 * one class. */
int lapse_metrics_auc(double *out, const double *score, const int *y, size_t n,
                      lapse_error *err);

/* The AUC and its standard error by DeLong's method (DeLong, DeLong and
 * Clarke-Pearson 1988: the sample variances of each churner's and each
 * non-churner's share of wins, ties counting one half); se (OUT) may be
 * NULL. About 1.96 SE either side is a 95% interval. Same errors as
 * lapse_metrics_auc. */
int lapse_metrics_auc_se(double *out, double *se, const double *score, const int *y, size_t n,
                         lapse_error *err);

/* Average precision (area under the precision-recall curve as a step sum,
 * sum over distinct scores of (R_k - R_{k-1}) * P_k, rows with tied scores
 * entering together). Allocates; LAPSE_ERR_RANGE without any churner. */
int lapse_metrics_average_precision(double *out, const double *score, const int *y, size_t n,
                                    lapse_error *err);

/* Mean negative log likelihood with p clipped to [1e-15, 1 - 1e-15]. 0 when n == 0. */
double lapse_metrics_log_loss(const double *p, const int *y, size_t n);

/* Mean squared difference between p and y. 0 when n == 0. */
double lapse_metrics_brier(const double *p, const int *y, size_t n);

typedef struct {
    double mean_predicted; /* mean p in the bin, 0 when empty */
    double observed_rate;  /* share of churners in the bin, 0 when empty */
    size_t count;
} lapse_metrics_bin;

/* Bin b holds p in [b/10, (b+1)/10), the last bin also p = 1; p outside
 * [0, 1] goes to the nearest end bin. Returns the expected calibration
 * error, sum over bins of count/n * |mean_predicted - observed_rate|.
 * bins (LAPSE_METRICS_BINS entries, OUT) may be NULL. */
double lapse_metrics_calibration(lapse_metrics_bin *bins, const double *p, const int *y, size_t n);

typedef struct {
    double fraction; /* 0.05 means the top 5% of rows by score */
    size_t rows;     /* round(fraction * n), at least 1 */
    double churners; /* expected churners among them: ties at the cut are shared pro rata */
    double rate;     /* churners / rows */
    double lift;     /* rate / overall churn rate */
    double capture;  /* churners / all churners */
} lapse_metrics_lift;

/* Lift and capture of the top `fraction` (in (0, 1]) of rows by score.
 * Rows tied with the last selected score count as the mean of the tied group,
 * so the answer does not depend on row order. Allocates; LAPSE_ERR_RANGE
 * without any churner, LAPSE_ERR_ARG for a fraction outside (0, 1]. */
int lapse_metrics_lift_at(lapse_metrics_lift *out, double fraction, const double *score,
                          const int *y, size_t n, lapse_error *err);

typedef struct {
    double threshold; /* a row is predicted churner when p >= threshold */
    size_t tp, fp, tn, fn;
    double precision; /* tp / (tp + fp), 0 when nothing is predicted positive */
    double recall;    /* tp / (tp + fn), 0 without churners */
    double f1;        /* harmonic mean of the two, 0 when both are 0 */
    double accuracy;
} lapse_metrics_confusion;

void lapse_metrics_confusion_at(lapse_metrics_confusion *out, double threshold, const double *p,
                                const int *y, size_t n);

/* Everything above in one pass over one sorted copy: what `lapse eval` and
 * train's validation print. */
typedef struct {
    size_t n;
    size_t positives;
    double auc;
    double auc_se; /* DeLong standard error of auc */
    double average_precision;
    double log_loss;
    double brier;
    double ece;
    lapse_metrics_lift lift[LAPSE_METRICS_LIFTS]; /* top 5%, 10%, 20% */
    lapse_metrics_bin bins[LAPSE_METRICS_BINS];
    lapse_metrics_confusion confusion;
} lapse_metrics_report;

/* p are probabilities. Allocates; LAPSE_ERR_RANGE when y holds only one
 * class (AUC is then undefined), LAPSE_ERR_ARG when n == 0. */
int lapse_metrics_evaluate(lapse_metrics_report *out, const double *p, const int *y, size_t n,
                           double threshold, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
