/* Scorer throughput, measured in memory beside a reference (lapse bench).
 *
 * Rows are synthesised from the model's own training statistics when no
 * table is given: feature j is t^-1(mean_j + scale_j z) with z a seeded
 * standard normal clipped to [-3, 3] and t the feature's transform (log1p
 * inverted, at least 0), and a column the model dropped as constant is its
 * training mean. The scorer is timed on every row, every output included
 * (calibration, tier, segment, value, reasons unless turned off, action),
 * per thread count; the reference is the bare decision as the plain tool
 * computes it, on one thread: a dot product (OpenBLAS DGEMV over the scaled
 * rows) for logistic regression, libsvm's svm_predict_values for an SVM,
 * XGBoost's predictor for gradient-boosted trees (lapse scores them with its
 * own evaluator, lapse/trees.h), or with reasons XGBoost's pred_contribs
 * (TreeSHAP, as lapse's reasons are). Both decisions are compared, so a
 * fast wrong run shows. */
#ifndef LAPSE_BENCH_H
#define LAPSE_BENCH_H

#include "lapse/error.h"
#include "lapse/model.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n synthesised raw rows (n x model->n_features, row-major) into *out
 * (malloc'd, the caller frees). Returns 0, LAPSE_ERR_ARG (a model without
 * a classifier: BTYD) or LAPSE_ERR_NOMEM. */
int lapse_bench_rows(double **out, const lapse_model *model, size_t n, uint64_t seed,
                     lapse_error *err);

/* How the scorer runs: lapse_score_options' reasons (0..3) and
 * single_precision (--fast). */
typedef struct {
    int reasons;
    int fast;
} lapse_bench_options;

#define LAPSE_BENCH_OPTIONS_INIT { 3, 0 }

/* Scores the n raw rows reps times with threads threads; rate[r] is rows
 * per second of repetition r, and decision[i] (n entries) the scorer's
 * decision of row i. opts may be NULL. Returns 0, LAPSE_ERR_ARG or
 * LAPSE_ERR_NOMEM. */
int lapse_bench_scorer(double *rate, int reps, const lapse_model *model, const double *raw,
                       size_t n, int threads, const lapse_bench_options *opts, double *decision,
                       lapse_error *err);

/* Boosted trees only: lapse's bare tree evaluator (lapse/trees.h) on one
 * thread, timed as the reference is, on the same scaled rows: margins, or
 * with reasons TreeSHAP contributions (decision[i] their sum). Returns 0,
 * LAPSE_ERR_ARG (not boosted trees, or trees over horizons, whose decision
 * is per band) or LAPSE_ERR_NOMEM. */
int lapse_bench_trees(double *rate, int reps, const lapse_model *model, const double *raw,
                      size_t n, const lapse_bench_options *opts, double *decision,
                      lapse_error *err);

/* The reference's rows per second per repetition and its decisions (for
 * trees with reasons: the sum of XGBoost's contributions), and in *name what
 * it is ("dot product (DGEMV)", "libsvm svm_predict_values"). opts (may be
 * NULL) chooses the trees' reference. Returns 0, LAPSE_ERR_ARG (a model kind
 * without a reference, trees over horizons among them), LAPSE_ERR_FORMAT (XGBoost refuses a model's bytes,
 * or a model without them) or LAPSE_ERR_NOMEM. */
int lapse_bench_reference(double *rate, int reps, const lapse_model *model, const double *raw,
                          size_t n, const lapse_bench_options *opts, double *decision,
                          const char **name, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
