#include "lapse/logistic.h"

#include "blas_internal.h"
#include "finite.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK inside OpenBLAS (Debian's libopenblas ships it; there is no
 * lapacke.h to include). Column-major; the trailing length is gfortran's
 * hidden string-length argument. */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info, size_t uplo_len);

/* Rows per DSYRK call: large enough to keep OpenBLAS efficient, small enough
 * that the scaled copy (block x (d+1) doubles) stays in cache-sized memory. */
#define HESSIAN_BLOCK 4096

static double softplus(double z)
{
    return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

static double sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    const double e = exp(z);
    return e / (1.0 + e);
}

/* The weighted loss at z + t dz, plus the penalty at w + t dw. */
static double objective_at(const double *z, const double *dz, double t, const int *y, size_t n,
                           double cpos, double cneg, const double *w, const double *dw, size_t d,
                           double l2)
{
    double loss = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double zi = dz ? z[i] + t * dz[i] : z[i];
        loss += (y[i] ? cpos : cneg) * (softplus(zi) - (y[i] ? zi : 0.0));
    }
    double norm = 0.0;
    for (size_t j = 0; j < d; j++) {
        const double wj = dw ? w[j] + t * dw[j] : w[j];
        norm += wj * wj;
    }
    return loss + 0.5 * l2 * norm;
}

/* Solves h delta = rhs (m x m, row-major upper triangle filled, which is the
 * column-major lower triangle LAPACK reads). A tiny growing ridge rescues a
 * matrix that is singular to working precision. */
static int solve_newton(double *delta, const double *h, double *work, const double *rhs, size_t m)
{
    const int mi = (int)m, one = 1;
    double top = 0.0;
    for (size_t j = 0; j < m; j++)
        top = fmax(top, h[j * m + j]);
    double ridge = 0.0;
    for (int attempt = 0; attempt < 8; attempt++) {
        memcpy(work, h, m * m * sizeof *h);
        for (size_t j = 0; j < m; j++)
            work[j * m + j] += ridge;
        int info = 0;
        dpotrf_("L", &mi, work, &mi, &info, 1);
        if (info == 0) {
            memcpy(delta, rhs, m * sizeof *rhs);
            dpotrs_("L", &mi, &one, work, &mi, delta, &mi, &info, 1);
            return info == 0 ? LAPSE_OK : LAPSE_ERR_RANGE;
        }
        ridge = ridge == 0.0 ? 1e-12 * (top > 0.0 ? top : 1.0) : ridge * 100.0;
    }
    return LAPSE_ERR_RANGE;
}

int lapse_logistic_fit(double *w, double *bias, lapse_logistic_info *info, const double *x,
                       const int *y, size_t n, size_t d, const lapse_logistic_options *opts,
                       lapse_error *err)
{
    const lapse_logistic_options defaults = LAPSE_LOGISTIC_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    if (!(opts->l2 >= 0.0) || opts->max_iter < 1 || !(opts->tol > 0.0) || opts->threads < 0 ||
        (!opts->balanced && !(opts->weight_pos > 0.0 && opts->weight_neg > 0.0)))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "bad logistic options (l2 %g, max_iter %d, tol %g, weights %g/%g, threads %d)",
                               opts->l2, opts->max_iter, opts->tol, opts->weight_pos, opts->weight_neg,
                               opts->threads);
    if (n == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no rows to train on");
    if (n > INT32_MAX || d + 1 > 46340) /* BLAS and LAPACK take int sizes; (d+1)^2 must fit */
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1,
                               "%zu rows x %zu columns is beyond the logistic solver", n, d);
    const int finite = lapse_check_finite(x, n, d, err);
    if (finite != LAPSE_OK)
        return finite;
    lapse_blas_threads_begin(opts->threads);

    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += y[i] != 0;
    const size_t nneg = n - npos;
    double cpos = opts->weight_pos, cneg = opts->weight_neg;
    if (opts->balanced) {
        cpos = npos ? (double)n / (2.0 * (double)npos) : 1.0;
        cneg = nneg ? (double)n / (2.0 * (double)nneg) : 1.0;
    }

    const size_t m = d + 1; /* weights then bias */
    const size_t block = n < HESSIAN_BLOCK ? n : HESSIAN_BLOCK;
    int rc = LAPSE_OK;
    double *z = malloc(n * sizeof *z), *r = malloc(n * sizeof *r);
    double *h = malloc(m * m * sizeof *h), *work = malloc(m * m * sizeof *work);
    double *g = malloc(m * sizeof *g), *delta = malloc(m * sizeof *delta);
    double *scaled = malloc(block * m * sizeof *scaled);
    if (!z || !r || !h || !work || !g || !delta || !scaled) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                             "out of memory for logistic regression on %zu x %zu", n, d);
        goto done;
    }

    /* Start from w = 0 and the bias of the (weighted) base rate. */
    memset(w, 0, d * sizeof *w);
    double b = npos && nneg ? log(cpos * (double)npos / (cneg * (double)nneg)) : 0.0;
    for (size_t i = 0; i < n; i++)
        z[i] = b;
    double f = objective_at(z, NULL, 0.0, y, n, cpos, cneg, w, NULL, d, opts->l2);
    double g0 = 0.0, gmax = 0.0;
    int iterations = 0, converged = 0, final_step = 0;
    for (;;) {
        /* r = weighted residuals; the gradient is X^T r + l2 w, and sum r for the bias. */
        double gb = 0.0;
        for (size_t i = 0; i < n; i++) {
            r[i] = (y[i] ? cpos : cneg) * (sigmoid(z[i]) - (y[i] != 0));
            gb += r[i];
        }
        if (d > 0)
            cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 1.0, x, (int)d, r, 1, 0.0, g, 1);
        for (size_t j = 0; j < d; j++)
            g[j] += opts->l2 * w[j];
        g[d] = gb;
        gmax = 0.0;
        for (size_t j = 0; j < m; j++)
            gmax = fmax(gmax, fabs(g[j]));
        if (iterations == 0)
            g0 = gmax;
        if (final_step || gmax <= opts->tol * fmax(1.0, g0)) {
            converged = 1;
            break;
        }
        if (iterations >= opts->max_iter)
            break;

        /* Hessian [X 1]^T D [X 1] + l2 I (weights only): sqrt(D) scales the rows. */
        memset(h, 0, m * m * sizeof *h);
        for (size_t start = 0; start < n; start += block) {
            const size_t rows = n - start < block ? n - start : block;
            for (size_t i = 0; i < rows; i++) {
                const double p = sigmoid(z[start + i]);
                const double s = sqrt((y[start + i] ? cpos : cneg) * p * (1.0 - p));
                const double *xi = x + (start + i) * d;
                double *out = scaled + i * m;
                for (size_t j = 0; j < d; j++)
                    out[j] = s * xi[j];
                out[d] = s;
            }
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)m, (int)rows, 1.0, scaled, (int)m,
                        1.0, h, (int)m);
        }
        for (size_t j = 0; j < d; j++)
            h[j * m + j] += opts->l2;
        for (size_t j = 0; j < m; j++)
            g[j] = -g[j];
        if (solve_newton(delta, h, work, g, m) < 0) {
            rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                                 "the Hessian is singular: columns are collinear and l2 is 0");
            goto done;
        }
        double gd = 0.0; /* g . delta, negative for a descent direction (g holds -gradient) */
        for (size_t j = 0; j < m; j++)
            gd -= g[j] * delta[j];
        iterations++;

        /* r <- X delta_w + delta_b: how z moves along the step. */
        for (size_t i = 0; i < n; i++)
            r[i] = delta[d];
        if (d > 0)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, x, (int)d, delta, 1, 1.0, r, 1);

        double t = 1.0, fnew = f;
        if (-gd <= 1e-12 * (1.0 + fabs(f))) {
            /* The Newton decrement is at rounding level: the objective can
             * no longer tell better from worse, so take the full step and stop. */
            final_step = 1;
        } else {
            for (; t >= 1e-10; t *= 0.5) {
                fnew = objective_at(z, r, t, y, n, cpos, cneg, w, delta, d, opts->l2);
                if (fnew <= f + 1e-4 * t * gd)
                    break;
            }
            if (t < 1e-10) /* no descent along a Newton direction: stalled at precision */
                break;
        }
        for (size_t i = 0; i < n; i++)
            z[i] += t * r[i];
        for (size_t j = 0; j < d; j++)
            w[j] += t * delta[j];
        b += t * delta[d];
        f = final_step ? objective_at(z, NULL, 0.0, y, n, cpos, cneg, w, NULL, d, opts->l2) : fnew;
    }
    *bias = b;
    if (info) {
        info->iterations = iterations;
        info->converged = converged;
        info->objective = f;
        info->grad_max = gmax;
        info->weight_pos = cpos;
        info->weight_neg = cneg;
    }
done:
    free(z);
    free(r);
    free(h);
    free(work);
    free(g);
    free(delta);
    free(scaled);
    lapse_blas_threads_end();
    return rc;
}

void lapse_logistic_decision(double *out, const double *x, size_t n, size_t d, const double *w,
                             double bias)
{
    for (size_t i = 0; i < n; i++)
        out[i] = bias;
    if (n > 0 && d > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, x, (int)d, w, 1, 1.0, out, 1);
}

void lapse_logistic_probability(double *out, const double *x, size_t n, size_t d, const double *w,
                                double bias)
{
    lapse_logistic_decision(out, x, n, d, w, bias);
    for (size_t i = 0; i < n; i++)
        out[i] = sigmoid(out[i]);
}

void lapse_logistic_contributions(double *out, const double *row, size_t d, const double *w)
{
    for (size_t j = 0; j < d; j++)
        out[j] = w[j] * row[j];
}

size_t lapse_logistic_top_reasons(size_t *idx, size_t k, const double *row, size_t d,
                                  const double *w)
{
    size_t found = 0;
    while (found < k) {
        size_t best = d;
        double best_c = 0.0;
        for (size_t j = 0; j < d; j++) {
            const double c = w[j] * row[j];
            if (!(c > 0.0))
                continue;
            int taken = 0;
            for (size_t q = 0; q < found && !taken; q++)
                taken = idx[q] == j;
            if (!taken && (best == d || c > best_c)) {
                best = j;
                best_c = c;
            }
        }
        if (best == d)
            break;
        idx[found++] = best;
    }
    return found;
}
