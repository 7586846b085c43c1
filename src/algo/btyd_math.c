/* Shared numerics of the BTYD models: digamma, the hypergeometric series,
 * frequency groups, and the NLopt driver with its standard errors.
 *
 * Why NLopt: a maintained C library packaged by Debian (libnlopt-dev,
 * MIT/LGPL), with L-BFGS for the smooth likelihoods whose gradient we have
 * and Powell's BOBYQA for the one we do not (Pareto/NBD); GSL has both kinds
 * too but is GPL, which would bind the whole program. */
#include "btyd_internal.h"

#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

/* psi(x) for x > 0: the recurrence up to x >= 6, then the asymptotic series
 * (Abramowitz and Stegun 6.3.18); about 1e-15 relative. */
double btyd_digamma(double x)
{
    double acc = 0.0;
    while (x < 6.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    const double f = 1.0 / (x * x);
    const double tail =
        f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
    return acc + log(x) - 0.5 / x - tail;
}

int btyd_series(double *out, double u0, double p1, double p2, double p3, double p4, double z)
{
    /* Neumaier's compensated sum: near z = 1 there are millions of terms. */
    double sum = u0, comp = 0.0, u = u0;
    /* Until every factor is positive the terms may change sign; after that
     * the ratio tends to z monotonically, so max(ratio, z) bounds the rest. */
    const double settled = fmax(fmax(-p1, -p2), 0.0);
    for (long k = 0; k < BTYD_SERIES_MAX; k++) {
        const double ratio = (p1 + k) * (p2 + k) / ((p3 + k) * (p4 + k)) * z;
        u *= ratio;
        const double next = sum + u;
        comp += fabs(sum) >= fabs(u) ? (sum - next) + u : (u - next) + sum;
        sum = next;
        if (u == 0.0)
            break;
        const double rho = fmax(fabs(ratio), z);
        if (k > settled && rho < 1.0 && fabs(u) * rho / (1.0 - rho) <= 1e-17 * fabs(sum)) {
            *out = sum + comp;
            return LAPSE_OK;
        }
    }
    if (u == 0.0) {
        *out = sum + comp;
        return LAPSE_OK;
    }
    return LAPSE_ERR_RANGE;
}

int lapse_btyd_log_hyp2f1_a1(double *out, double a, double b, double z)
{
    if (!(a > 0) || !(b > 0) || !(a + 1 > b) || !(z >= 0) || !(z < 1))
        return LAPSE_ERR_ARG;
    /* Euler: 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a,c-b;c;z) with c = a+1
     * (DLMF 15.8.1). The original terms grow like n^(b-2) z^n before they
     * fall; these are positive and each at most z times the last, so no
     * cancellation and a tail bounded by a geometric series. */
    double s;
    const int status = btyd_series(&s, 1.0, a + 1 - b, 1.0, a + 1, 1.0, z);
    if (status != LAPSE_OK)
        return status;
    *out = (1 - b) * log1p(-z) + log(s);
    return LAPSE_OK;
}

int btyd_log_tail(double *out, double p, double q, double alpha, double beta, double t0)
{
    const double a = p + q - 1;
    const double big = fmax(alpha, beta);
    const double b = alpha >= beta ? q : p;
    double log_f;
    const int status =
        lapse_btyd_log_hyp2f1_a1(&log_f, a, b, fabs(alpha - beta) / (big + t0));
    if (status != LAPSE_OK)
        return status;
    *out = -a * log(big + t0) - log(a) + log_f;
    return LAPSE_OK;
}

static int cmp_double(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

void btyd_xgroups_free(btyd_xgroups *g)
{
    if (!g)
        return;
    free(g->xs);
    free(g->count);
    free(g->idx);
    memset(g, 0, sizeof *g);
}

int btyd_xgroups_build(btyd_xgroups *g, const double *x, const unsigned char *keep, size_t n,
                       lapse_error *err)
{
    memset(g, 0, sizeof *g);
    g->xs = malloc((n ? n : 1) * sizeof *g->xs);
    g->idx = calloc(n ? n : 1, sizeof *g->idx);
    if (!g->xs || !g->idx)
        goto nomem;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!keep || keep[i])
            g->xs[m++] = x[i];
    qsort(g->xs, m, sizeof *g->xs, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < m; i++)
        if (u == 0 || g->xs[i] != g->xs[u - 1])
            g->xs[u++] = g->xs[i];
    g->n_x = u;
    g->count = calloc(u ? u : 1, sizeof *g->count);
    if (!g->count)
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (keep && !keep[i])
            continue;
        size_t lo = 0, hi = u;
        while (hi - lo > 1) {
            const size_t mid = lo + (hi - lo) / 2;
            if (g->xs[mid] <= x[i])
                lo = mid;
            else
                hi = mid;
        }
        g->idx[i] = (uint32_t)lo;
        g->count[lo] += 1;
    }
    return LAPSE_OK;
nomem:
    btyd_xgroups_free(g);
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                           "out of memory grouping %zu customers", n);
}

typedef struct {
    const btyd_problem *pb;
    double theta[4];
    double grad[4];
    int evals;
} nlopt_ctx;

/* NLopt minimises -LL / n over phi = log(theta). */
static double objective(unsigned dim, const double *phi, double *gphi, void *data)
{
    nlopt_ctx *c = data;
    c->evals++;
    for (unsigned j = 0; j < dim; j++)
        c->theta[j] = exp(phi[j]);
    const double ll = c->pb->f(c->pb->ctx, c->theta, gphi ? c->grad : NULL);
    if (!isfinite(ll)) {
        if (gphi)
            for (unsigned j = 0; j < dim; j++)
                gphi[j] = 0.0;
        return HUGE_VAL;
    }
    if (gphi)
        for (unsigned j = 0; j < dim; j++)
            gphi[j] = -c->theta[j] * c->grad[j] / c->pb->scale;
    return -ll / c->pb->scale;
}

/* Inverts the dim x dim symmetric positive definite a in place (Cholesky,
 * then the inverse column by column). Returns 0, or -1 when a is not
 * positive definite. */
static int spd_inverse(double *a, int dim)
{
    double l[16] = { 0 }, inv[16] = { 0 };
    for (int j = 0; j < dim; j++) {
        double d = a[j * dim + j];
        for (int k = 0; k < j; k++)
            d -= l[j * dim + k] * l[j * dim + k];
        if (!(d > 0))
            return -1;
        l[j * dim + j] = sqrt(d);
        for (int i = j + 1; i < dim; i++) {
            double s = a[i * dim + j];
            for (int k = 0; k < j; k++)
                s -= l[i * dim + k] * l[j * dim + k];
            l[i * dim + j] = s / l[j * dim + j];
        }
    }
    for (int c = 0; c < dim; c++) {
        double y[4];
        for (int i = 0; i < dim; i++) {
            double s = i == c ? 1.0 : 0.0;
            for (int k = 0; k < i; k++)
                s -= l[i * dim + k] * y[k];
            y[i] = s / l[i * dim + i];
        }
        for (int i = dim - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < dim; k++)
                s -= l[k * dim + i] * inv[k * dim + c];
            inv[i * dim + c] = s / l[i * dim + i];
        }
    }
    memcpy(a, inv, (size_t)(dim * dim) * sizeof *a);
    return 0;
}

/* Minus the Hessian of the log-likelihood at theta, by central differences
 * with steps of 1e-4 relative (about eps^(1/4), the best for second
 * differences of values; gradients, when there are, need one difference). */
static void information(const btyd_problem *pb, const double *theta, double ll, double *h)
{
    const int dim = pb->dim;
    double step[4], t[4], gp[4], gm[4];
    for (int j = 0; j < dim; j++)
        step[j] = 1e-4 * theta[j];
    memcpy(t, theta, (size_t)dim * sizeof *t);
    for (int j = 0; j < dim; j++) {
        if (pb->has_grad) {
            t[j] = theta[j] + step[j];
            pb->f(pb->ctx, t, gp);
            t[j] = theta[j] - step[j];
            pb->f(pb->ctx, t, gm);
            t[j] = theta[j];
            for (int i = 0; i < dim; i++)
                h[i * dim + j] = -(gp[i] - gm[i]) / (2 * step[j]);
            continue;
        }
        t[j] = theta[j] + step[j];
        const double fp = pb->f(pb->ctx, t, NULL);
        t[j] = theta[j] - step[j];
        const double fm = pb->f(pb->ctx, t, NULL);
        t[j] = theta[j];
        h[j * dim + j] = -(fp - 2 * ll + fm) / (step[j] * step[j]);
        for (int i = 0; i < j; i++) {
            double f4[4];
            for (int s = 0; s < 4; s++) {
                t[i] = theta[i] + ((s & 1) ? -step[i] : step[i]);
                t[j] = theta[j] + ((s & 2) ? -step[j] : step[j]);
                f4[s] = pb->f(pb->ctx, t, NULL);
            }
            t[i] = theta[i];
            t[j] = theta[j];
            h[i * dim + j] = h[j * dim + i] =
                -(f4[0] - f4[1] - f4[2] + f4[3]) / (4 * step[i] * step[j]);
        }
    }
    for (int i = 0; i < dim; i++)
        for (int j = 0; j < i; j++)
            h[i * dim + j] = h[j * dim + i] = 0.5 * (h[i * dim + j] + h[j * dim + i]);
}

int btyd_check_options(const lapse_btyd_fit_options *opts, lapse_error *err)
{
    if (opts->max_evals < 1 || !(opts->ftol > 0))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "fit options: max_evals >= 1 and ftol > 0, not %d and %g",
                               opts->max_evals, opts->ftol);
    return LAPSE_OK;
}

int btyd_maximise(const btyd_problem *pb, double *theta, double *ll, double *se, int *evals,
                  int *converged, const lapse_btyd_fit_options *opts, lapse_error *err)
{
    const int dim = pb->dim;
    nlopt_ctx c = { .pb = pb };
    double phi[4], lower[4], upper[4];
    for (int j = 0; j < dim; j++) {
        phi[j] = log(theta[j]);
        /* 10^-13 to 10^13 times the start: room enough, and BOBYQA needs bounds. */
        lower[j] = phi[j] - 30;
        upper[j] = phi[j] + 30;
    }
    if (!isfinite(pb->f(pb->ctx, theta, NULL)))
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the likelihood cannot be evaluated at the starting point");
    nlopt_opt opt = nlopt_create(pb->has_grad ? NLOPT_LD_LBFGS : NLOPT_LN_BOBYQA, (unsigned)dim);
    if (!opt)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory (NLopt)");
    nlopt_set_min_objective(opt, objective, &c);
    nlopt_set_lower_bounds(opt, lower);
    nlopt_set_upper_bounds(opt, upper);
    nlopt_set_ftol_rel(opt, opts->ftol);
    nlopt_set_xtol_rel(opt, 1e-12);
    nlopt_set_maxeval(opt, opts->max_evals);
    if (!pb->has_grad)
        nlopt_set_initial_step1(opt, 0.5);
    double fmin = HUGE_VAL;
    const nlopt_result res = nlopt_optimize(opt, phi, &fmin);
    nlopt_destroy(opt);
    if (res == NLOPT_OUT_OF_MEMORY)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory (NLopt)");
    if (!isfinite(fmin))
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the optimiser found no point where the likelihood is finite");
    for (int j = 0; j < dim; j++)
        theta[j] = exp(phi[j]);
    /* L-BFGS stops on round-off at an optimum whose value no longer changes
     * in the last bits: that is convergence here. */
    *converged = res == NLOPT_FTOL_REACHED || res == NLOPT_XTOL_REACHED ||
                 res == NLOPT_SUCCESS || res == NLOPT_ROUNDOFF_LIMITED;
    *evals = c.evals;
    *ll = pb->f(pb->ctx, theta, NULL);

    double h[16];
    information(pb, theta, *ll, h);
    const int ok = spd_inverse(h, dim) == 0;
    for (int j = 0; j < dim; j++)
        se[j] = ok && h[j * dim + j] > 0 ? sqrt(h[j * dim + j]) : NAN;
    return LAPSE_OK;
}
