/* Scorer throughput, measured in memory beside a reference (lapse bench).
 *
 * Rows are synthesised from the model's own training statistics when no
 * table is given: feature j is t^-1(mean_j + scale_j z) with z a seeded
 * standard normal clipped to [-3, 3] and t the feature's transform (log1p
 * inverted, at least 0), and a column the model dropped as constant is its
 * training mean. The scorer is timed on every row, every output included
 * (calibration, tier, segment, value, reasons, action), per thread count;
 * the reference is the bare decision as the plain tool computes it, on one
 * thread: a dot product (OpenBLAS DGEMV over the scaled rows) for logistic
 * regression, libsvm's svm_predict_values for an SVM, XGBoost's predictor
 * (the one lapse scores trees with, so the ratio is the cost of lapse's
 * outputs) for gradient-boosted trees. Both decisions are compared, so a
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

/* Scores the n raw rows reps times with threads threads; rate[r] is rows
 * per second of repetition r, and decision[i] (n entries) the scorer's
 * decision of row i. Returns 0, LAPSE_ERR_ARG or LAPSE_ERR_NOMEM. */
int lapse_bench_scorer(double *rate, int reps, const lapse_model *model, const double *raw,
                       size_t n, int threads, double *decision, lapse_error *err);

/* The reference's rows per second per repetition and its decisions, and in
 * *name what it is ("dot product (DGEMV)", "libsvm svm_predict_values").
 * Returns 0, LAPSE_ERR_ARG (a model kind without a reference) or
 * LAPSE_ERR_NOMEM. */
int lapse_bench_reference(double *rate, int reps, const lapse_model *model, const double *raw,
                          size_t n, double *decision, const char **name, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
