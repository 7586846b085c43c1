/* Internal: the pieces the BTYD models share (btyd_math.c): special
 * functions, the hypergeometric-type series, customers grouped by their
 * whole-number frequency, the NLopt driver and the standard errors. */
#ifndef LAPSE_BTYD_INTERNAL_H
#define LAPSE_BTYD_INTERNAL_H

#include "lapse/btyd.h"

#include <stddef.h>
#include <stdint.h>

/* The most terms a series may take before LAPSE_ERR_RANGE. */
#define BTYD_SERIES_MAX 10000000L

double btyd_digamma(double x);

/* Sum over k >= 0 of u_k, u_0 = u0, u_{k+1} = u_k (p1+k)(p2+k)/((p3+k)(p4+k)) z,
 * for 0 <= z < 1 and p3, p4 > 0. Returns 0, or LAPSE_ERR_RANGE. */
int btyd_series(double *out, double u0, double p1, double p2, double p3, double p4, double z);

/* log of the integral over u in [t0, inf) of (alpha+u)^-p (beta+u)^-q, for
 * p, q > 0, p + q > 1: (A+t0)^(1-p-q) 2F1(p+q-1, b; p+q; |alpha-beta|/(A+t0))
 * / (p+q-1), with A = max(alpha, beta) and b = q when alpha >= beta, else p
 * (the Pareto/NBD integrals of Fader and Hardie's note, eqs. 18-22). */
int btyd_log_tail(double *out, double p, double q, double alpha, double beta, double t0);

/* Customers grouped by frequency: terms that depend on x alone are computed
 * once per distinct x (the likelihoods' lgamma and digamma). */
typedef struct {
    size_t n_x;      /* distinct values */
    double *xs;      /* the values, ascending */
    double *count;   /* customers per value */
    uint32_t *idx;   /* per customer, its value's index in xs */
} btyd_xgroups;

/* Groups data->x over customers where keep (may be NULL: all) is nonzero.
 * Returns 0 or LAPSE_ERR_NOMEM. */
int btyd_xgroups_build(btyd_xgroups *g, const double *x, const unsigned char *keep, size_t n,
                       lapse_error *err);
void btyd_xgroups_free(btyd_xgroups *g);

/* A log-likelihood over the natural parameters; grad (may be NULL) gets
 * its gradient when has_grad. Returns the sum, or NaN/-inf where it cannot
 * be evaluated (with *status set when a series overran). */
typedef double (*btyd_loglik_fn)(void *ctx, const double *theta, double *grad);

typedef struct {
    btyd_loglik_fn f;
    void *ctx;
    int dim;
    int has_grad;   /* L-BFGS on the gradient; else BOBYQA */
    double scale;   /* customers, so the optimiser sees a mean */
} btyd_problem;

/* LAPSE_ERR_ARG unless max_evals >= 1 and ftol > 0. */
int btyd_check_options(const lapse_btyd_fit_options *opts, lapse_error *err);

/* Maximises over log(theta), from theta (overwritten with the optimum).
 * Sets *ll, *evals, *converged; se (dim entries) from the inverse of minus
 * the Hessian at the optimum. Returns 0, LAPSE_ERR_RANGE (no finite
 * likelihood at the start), LAPSE_ERR_NOMEM. */
int btyd_maximise(const btyd_problem *pb, double *theta, double *ll, double *se, int *evals,
                  int *converged, const lapse_btyd_fit_options *opts, lapse_error *err);

#endif
