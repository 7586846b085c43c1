/* Fast decision values of a packed SVM (lapse/svm.h) for many rows: the
 * hot path of `lapse score`.
 *
 * RBF: for a block of rows, one GEMM of the block against all support
 * vectors gives x.sv; then K = exp(-gamma * max(0, |x|^2 + |sv|^2 - 2 x.sv))
 * with a vectorised exp, and one GEMV with the coefficients. Rows and
 * support vectors are first centred on the support vectors' mean, which
 * leaves distances unchanged and keeps the subtraction accurate when
 * features share an offset. Linear: one GEMV with the folded weights
 * w = sum_i coef_i sv_i.
 *
 * Exact mode (double) agrees with libsvm's svm_predict_values() on the same
 * model (lapse_svm_unpack) within
 *
 *     |f_lapse - f_libsvm| <= 1e-9 * (|f_libsvm| + sum_i |coef_i| * k_i)
 *
 * where k_i = K(sv_i, x) for RBF and sum_j |x_j sv_ij| for linear: the
 * scale a rounding error of the sum can reach. Single-precision mode does
 * the GEMM and exp in float and sums in double; its decision values move a
 * Platt probability by well under 1e-5 for standardised features (tested).
 *
 * Results do not depend on the thread count: blocks are fixed by
 * block_rows, and each row's arithmetic is the same whichever thread runs
 * it. */
#ifndef LAPSE_SVMSCORE_H
#define LAPSE_SVMSCORE_H

#include "lapse/error.h"
#include "lapse/svm.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lapse_svm_scorer lapse_svm_scorer;

typedef struct {
    int threads;          /* worker threads; 0 = one per online CPU; 1 */
    int single_precision; /* SGEMM and float exp (RBF only); 0 */
    size_t block_rows;    /* rows per block; 0 = 256 */
    size_t block_svs;     /* support vectors per GEMM; 0 = 512 */
} lapse_svm_scorer_options;

#define LAPSE_SVM_SCORER_OPTIONS_INIT { 1, 0, 0, 0 }

/* Builds a scorer from a packed model (copied: the model may be freed
 * afterwards), with per-thread scratch for later calls. opts may be NULL.
 * Returns 0, LAPSE_ERR_ARG for an inconsistent model or options, or
 * LAPSE_ERR_NOMEM. */
int lapse_svm_scorer_create(lapse_svm_scorer **out, const lapse_svm_model *model,
                            const lapse_svm_scorer_options *opts, lapse_error *err);

/* Writes f(x_r) (positive = churn, see lapse/svm.h) for the n rows of x
 * (row-major, the model's d features) to out[r], in input order. Runs the
 * scorer's threads and sets OpenBLAS to one thread meanwhile (restored
 * after), so one scorer must not be used from two threads at once. Rows
 * must be finite: a NaN gives NaN, an infinity an unspecified value.
 * Returns 0; a thread
 * that cannot be started leaves its blocks to the others (a warning goes
 * to lapse_log), so every row is always scored. err is kept for future
 * failures and may be NULL. */
int lapse_svm_scorer_decision(lapse_svm_scorer *scorer, double *out, const double *x, size_t n,
                              lapse_error *err);

/* Accepts NULL. */
void lapse_svm_scorer_free(lapse_svm_scorer *scorer);

#ifdef __cplusplus
}
#endif

#endif
