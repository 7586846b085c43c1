#include "lapse/logistic.h"

#include "finite.h"

#include "blas_internal.h"

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

/* One fit: the data, the class weights, the answer so far and the scratch
 * every Newton step reuses. */
typedef struct {
    const double *x;
    const int *y;
    size_t n, d, m; /* m = d + 1: weights then bias */
    size_t npos, nneg;
    double l2, cpos, cneg;
    double *w, b; /* the answer so far; w is the caller's */
    double f;     /* the objective at (w, b) */
    double *z;    /* X w + b */
    double *r;    /* weighted residuals, then how z moves along the step */
    double *g;    /* the gradient, negated for the solve */
    double *h, *work, *delta;
    double *scaled; /* block rows of sqrt(D) [X 1] for the Hessian */
    size_t block;
    int iterations, converged;
    double grad_max;
} logistic_fit;

/* The weighted loss plus the penalty at (w, b), or, along, at
 * (w, b) + t delta, where z moves by t r. */
static double objective_at(const logistic_fit *f, int along, double t)
{
    double loss = 0.0;
    for (size_t i = 0; i < f->n; i++) {
        const double zi = along ? f->z[i] + t * f->r[i] : f->z[i];
        loss += (f->y[i] ? f->cpos : f->cneg) * (softplus(zi) - (f->y[i] ? zi : 0.0));
    }
    double norm = 0.0;
    for (size_t j = 0; j < f->d; j++) {
        const double wj = along ? f->w[j] + t * f->delta[j] : f->w[j];
        norm += wj * wj;
    }
    return loss + 0.5 * f->l2 * norm;
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

/* Everything the solver cannot take, refused before any work starts. */
static int check_fit(const lapse_logistic_options *opts, const double *x, size_t n, size_t d,
                     lapse_error *err)
{
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
    return lapse_check_finite(x, n, d, err);
}

/* The given class weights, or balanced ones: each class then weighs n / 2. */
static void weigh_classes(logistic_fit *f, const lapse_logistic_options *opts)
{
    f->npos = 0;
    for (size_t i = 0; i < f->n; i++)
        f->npos += f->y[i] != 0;
    f->nneg = f->n - f->npos;
    f->cpos = opts->weight_pos;
    f->cneg = opts->weight_neg;
    if (opts->balanced) {
        f->cpos = f->npos ? (double)f->n / (2.0 * (double)f->npos) : 1.0;
        f->cneg = f->nneg ? (double)f->n / (2.0 * (double)f->nneg) : 1.0;
    }
}

static int fit_alloc(logistic_fit *f, lapse_error *err)
{
    const size_t n = f->n, m = f->m;
    f->block = n < HESSIAN_BLOCK ? n : HESSIAN_BLOCK;
    f->z = malloc(n * sizeof *f->z);
    f->r = malloc(n * sizeof *f->r);
    f->h = malloc(m * m * sizeof *f->h);
    f->work = malloc(m * m * sizeof *f->work);
    f->g = malloc(m * sizeof *f->g);
    f->delta = malloc(m * sizeof *f->delta);
    f->scaled = malloc(f->block * m * sizeof *f->scaled);
    if (!f->z || !f->r || !f->h || !f->work || !f->g || !f->delta || !f->scaled)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                               "out of memory for logistic regression on %zu x %zu", n, f->d);
    return LAPSE_OK;
}

static void fit_free(logistic_fit *f)
{
    free(f->z);
    free(f->r);
    free(f->h);
    free(f->work);
    free(f->g);
    free(f->delta);
    free(f->scaled);
}

/* Start from w = 0 and the bias of the (weighted) base rate. */
static void start_at_base_rate(logistic_fit *f)
{
    memset(f->w, 0, f->d * sizeof *f->w);
    f->b = f->npos && f->nneg
               ? log(f->cpos * (double)f->npos / (f->cneg * (double)f->nneg))
               : 0.0;
    for (size_t i = 0; i < f->n; i++)
        f->z[i] = f->b;
    f->f = objective_at(f, 0, 0.0);
}

/* g = X^T r + l2 w for the weights and sum r for the bias, r being the
 * weighted residuals. Returns max |g|. */
static double gradient(logistic_fit *f)
{
    const size_t n = f->n, d = f->d;
    double gb = 0.0;
    for (size_t i = 0; i < n; i++) {
        f->r[i] = (f->y[i] ? f->cpos : f->cneg) * (sigmoid(f->z[i]) - (f->y[i] != 0));
        gb += f->r[i];
    }
    if (d > 0)
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)n, (int)d, 1.0, f->x, (int)d, f->r, 1, 0.0,
                    f->g, 1);
    for (size_t j = 0; j < d; j++)
        f->g[j] += f->l2 * f->w[j];
    f->g[d] = gb;
    double gmax = 0.0;
    for (size_t j = 0; j < f->m; j++)
        gmax = fmax(gmax, fabs(f->g[j]));
    return gmax;
}

/* h = [X 1]^T D [X 1] + l2 I (weights only), one DSYRK per block of rows
 * scaled by sqrt(D). */
static void hessian(logistic_fit *f)
{
    const size_t n = f->n, d = f->d, m = f->m;
    memset(f->h, 0, m * m * sizeof *f->h);
    for (size_t start = 0; start < n; start += f->block) {
        const size_t rows = n - start < f->block ? n - start : f->block;
        for (size_t i = 0; i < rows; i++) {
            const double p = sigmoid(f->z[start + i]);
            const double s = sqrt((f->y[start + i] ? f->cpos : f->cneg) * p * (1.0 - p));
            const double *xi = f->x + (start + i) * d;
            double *out = f->scaled + i * m;
            for (size_t j = 0; j < d; j++)
                out[j] = s * xi[j];
            out[d] = s;
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)m, (int)rows, 1.0, f->scaled,
                    (int)m, 1.0, f->h, (int)m);
    }
    for (size_t j = 0; j < d; j++)
        f->h[j * m + j] += f->l2;
}

/* delta = -h^-1 g, the Newton step. Leaves g holding -gradient. */
static int newton_direction(logistic_fit *f, lapse_error *err)
{
    for (size_t j = 0; j < f->m; j++)
        f->g[j] = -f->g[j];
    if (solve_newton(f->delta, f->h, f->work, f->g, f->m) < 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the Hessian is singular: columns are collinear and l2 is 0");
    return LAPSE_OK;
}

/* gradient . delta, negative for a descent direction (g holds -gradient). */
static double slope_along_step(const logistic_fit *f)
{
    double gd = 0.0;
    for (size_t j = 0; j < f->m; j++)
        gd -= f->g[j] * f->delta[j];
    return gd;
}

/* r <- X delta_w + delta_b: how z moves along the step. */
static void direction_in_z(logistic_fit *f)
{
    for (size_t i = 0; i < f->n; i++)
        f->r[i] = f->delta[f->d];
    if (f->d > 0)
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)f->n, (int)f->d, 1.0, f->x, (int)f->d,
                    f->delta, 1, 1.0, f->r, 1);
}

/* Backtracking from the full step until the objective drops enough
 * (Armijo); *fnew is the objective there. Returns t, below 1e-10 when
 * no step drops it. */
static double line_search(const logistic_fit *f, double gd, double *fnew)
{
    double t = 1.0;
    for (; t >= 1e-10; t *= 0.5) {
        *fnew = objective_at(f, 1, t);
        if (*fnew <= f->f + 1e-4 * t * gd)
            break;
    }
    return t;
}

static void take_step(logistic_fit *f, double t)
{
    for (size_t i = 0; i < f->n; i++)
        f->z[i] += t * f->r[i];
    for (size_t j = 0; j < f->d; j++)
        f->w[j] += t * f->delta[j];
    f->b += t * f->delta[f->d];
}

/* Damped Newton from the base rate, until the gradient test passes, after
 * max_iter steps, or when no step lowers the objective. */
static int minimise(logistic_fit *f, int max_iter, double tol, lapse_error *err)
{
    start_at_base_rate(f);
    double g0 = 0.0;
    int final_step = 0;
    for (;;) {
        f->grad_max = gradient(f);
        if (f->iterations == 0)
            g0 = f->grad_max;
        if (final_step || f->grad_max <= tol * fmax(1.0, g0)) {
            f->converged = 1;
            return LAPSE_OK;
        }
        if (f->iterations >= max_iter)
            return LAPSE_OK;
        hessian(f);
        const int rc = newton_direction(f, err);
        if (rc != LAPSE_OK)
            return rc;
        const double gd = slope_along_step(f);
        f->iterations++;
        direction_in_z(f);
        double t = 1.0, fnew = f->f;
        if (-gd <= 1e-12 * (1.0 + fabs(f->f))) {
            /* The Newton decrement is at rounding level: the objective can
             * no longer tell better from worse, so take the full step and stop. */
            final_step = 1;
        } else {
            t = line_search(f, gd, &fnew);
            if (t < 1e-10) /* no descent along a Newton direction: stalled at precision */
                return LAPSE_OK;
        }
        take_step(f, t);
        f->f = final_step ? objective_at(f, 0, 0.0) : fnew;
    }
}

int lapse_logistic_fit(double *w, double *bias, lapse_logistic_info *info, const double *x,
                       const int *y, size_t n, size_t d, const lapse_logistic_options *opts,
                       lapse_error *err)
{
    const lapse_logistic_options defaults = LAPSE_LOGISTIC_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    int rc = check_fit(opts, x, n, d, err);
    if (rc != LAPSE_OK)
        return rc;
    lapse_blas_threads_begin(opts->threads);

    logistic_fit f = { .x = x, .y = y, .n = n, .d = d, .m = d + 1, .l2 = opts->l2, .w = w };
    weigh_classes(&f, opts);
    rc = fit_alloc(&f, err);
    if (rc != LAPSE_OK)
        goto done;
    rc = minimise(&f, opts->max_iter, opts->tol, err);
    if (rc != LAPSE_OK)
        goto done;
    *bias = f.b;
    if (info) {
        info->iterations = f.iterations;
        info->converged = f.converged;
        info->objective = f.f;
        info->grad_max = f.grad_max;
        info->weight_pos = f.cpos;
        info->weight_neg = f.cneg;
    }
done:
    fit_free(&f);
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
