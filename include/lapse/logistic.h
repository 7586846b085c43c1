/* L2-regularised logistic regression on a dense row-major matrix.
 *
 * Minimises  sum_i c_i [log(1 + exp(z_i)) - y_i z_i] + l2/2 ||w||^2,
 * z_i = w . x_i + bias, by Newton's method (iteratively reweighted least
 * squares): the Hessian X^T D X comes from OpenBLAS DSYRK over row blocks,
 * gradients and predictions from DGEMV, the Newton system from LAPACK's
 * Cholesky (dpotrf/dpotrs, shipped inside OpenBLAS), with a backtracking line
 * search so separable data cannot make it overshoot. The bias is not
 * penalised. l2 = 1/C matches scikit-learn's LogisticRegression(C).
 *
 * Cost per iteration: about n d^2 flops for the Hessian; usually 6-10
 * iterations. Memory: the caller's matrix plus O(n + d^2 + block * d). */
#ifndef LAPSE_LOGISTIC_H
#define LAPSE_LOGISTIC_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double l2;         /* penalty on the weights, >= 0 (0 only for non-separable data) */
    int balanced;      /* nonzero: class weights n / (2 n_class), replacing the two below */
    double weight_pos; /* c_i of churners, > 0 */
    double weight_neg; /* c_i of the others, > 0 */
    int max_iter;      /* Newton iterations, >= 1 */
    double tol;        /* stop when max |gradient| <= tol * max(1, max |gradient at start|) */
    int threads;       /* OpenBLAS threads for the fit, set back as they were after it (the
                          setting is process-wide: no two fits at once); 0 leaves it */
} lapse_logistic_options;

#define LAPSE_LOGISTIC_OPTIONS_INIT { 1.0, 0, 1.0, 1.0, 100, 1e-8, 1 }

typedef struct {
    int iterations;    /* Newton steps taken */
    int converged;     /* the gradient test passed (not just max_iter or a stalled search) */
    double objective;  /* the minimised function at the answer */
    double grad_max;   /* max |gradient| at the answer, bias included */
    double weight_pos; /* class weights used */
    double weight_neg;
} lapse_logistic_info;

/* Fits w (d entries, OUT) and *bias (OUT) to x (n x d, row-major) and labels
 * y (1 churner, 0 other; nonzero counts as 1). info may be NULL. Returns 0
 * also when max_iter ran out (info->converged says); LAPSE_ERR_ARG for bad
 * options, n == 0 or a non-finite value in x; LAPSE_ERR_NOMEM;
 * LAPSE_ERR_RANGE when the Hessian stays singular (l2 = 0 with collinear
 * columns). */
int lapse_logistic_fit(double *w, double *bias, lapse_logistic_info *info, const double *x,
                       const int *y, size_t n, size_t d, const lapse_logistic_options *opts,
                       lapse_error *err);

/* Decision values w . x_i + bias for n rows (one DGEMV). */
void lapse_logistic_decision(double *out, const double *x, size_t n, size_t d, const double *w,
                             double bias);

/* Probabilities 1 / (1 + exp(-(w . x_i + bias))) for n rows. */
void lapse_logistic_probability(double *out, const double *x, size_t n, size_t d, const double *w,
                                double bias);

/* The exact additive parts of one row's decision value: out[j] = w[j] row[j]
 * (the decision value is their sum plus the bias). */
void lapse_logistic_contributions(double *out, const double *row, size_t d, const double *w);

/* "Top reasons": the indices of the at most k columns with the largest
 * positive contributions (pushing towards churn), largest first, ties to the
 * lower index. Writes idx (k entries, OUT) and returns how many it found. */
size_t lapse_logistic_top_reasons(size_t *idx, size_t k, const double *row, size_t d,
                                  const double *w);

#ifdef __cplusplus
}
#endif

#endif
