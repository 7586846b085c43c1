#include "lapse/calibrate.h"

#include "lapse/metrics.h"
#include "learn_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lapse_calibrate_clear(lapse_calibration *cal)
{
    if (!cal)
        return;
    free(cal->x);
    free(cal->y);
    const lapse_calibration init = LAPSE_CALIBRATION_INIT;
    *cal = init;
}

static int check_scores(const double *f, size_t n, lapse_error *err)
{
    if (n == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no rows to calibrate on");
    for (size_t i = 0; i < n; i++)
        if (!isfinite(f[i]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "score of calibration row %zu is not finite", i + 1);
    return LAPSE_OK;
}

/* log(1 + exp(a f + b)) - t (a f + b) without overflow. */
static double platt_row_loss(double fApB, double t)
{
    return fApB >= 0.0 ? t * fApB + log1p(exp(-fApB)) : (t - 1.0) * fApB + log1p(exp(fApB));
}

/* 1 / (1 + exp(fApB)) without overflow. */
static double platt_prob(double fApB)
{
    return fApB >= 0.0 ? exp(-fApB) / (1.0 + exp(-fApB)) : 1.0 / (1.0 + exp(fApB));
}

int lapse_calibrate_platt(lapse_calibration *out, const double *f, const int *y, size_t n,
                          lapse_error *err)
{
    lapse_calibrate_clear(out);
    int rc = check_scores(f, n, err);
    if (rc < 0)
        return rc;
    double prior1 = 0.0;
    for (size_t i = 0; i < n; i++)
        prior1 += y[i] != 0;
    const double prior0 = (double)n - prior1;
    /* Targets pulled off 0 and 1 by one prior count (a Bayesian estimate of
     * the rate), which keeps the optimum finite on separable scores. */
    const double hi = (prior1 + 1.0) / (prior1 + 2.0), lo = 1.0 / (prior0 + 2.0);
    const int max_iter = 100;
    const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;

    double A = 0.0, B = log((prior0 + 1.0) / (prior1 + 1.0)), fval = 0.0;
    for (size_t i = 0; i < n; i++)
        fval += platt_row_loss(f[i] * A + B, y[i] ? hi : lo);
    for (int iter = 0; iter < max_iter; iter++) {
        /* Gradient and Hessian; sigma keeps the Hessian positive definite. */
        double h11 = sigma, h22 = sigma, h21 = 0.0, g1 = 0.0, g2 = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double p = platt_prob(f[i] * A + B), q = 1.0 - p, t = y[i] ? hi : lo;
            const double d2 = p * q, d1 = t - p;
            h11 += f[i] * f[i] * d2;
            h22 += d2;
            h21 += f[i] * d2;
            g1 += f[i] * d1;
            g2 += d1;
        }
        if (fabs(g1) < eps && fabs(g2) < eps)
            break;
        const double det = h11 * h22 - h21 * h21;
        const double dA = -(h22 * g1 - h21 * g2) / det, dB = -(-h21 * g1 + h11 * g2) / det;
        const double gd = g1 * dA + g2 * dB;
        double step = 1.0;
        while (step >= min_step) {
            const double newA = A + step * dA, newB = B + step * dB;
            double newf = 0.0;
            for (size_t i = 0; i < n; i++)
                newf += platt_row_loss(f[i] * newA + newB, y[i] ? hi : lo);
            if (newf < fval + 0.0001 * step * gd) {
                A = newA;
                B = newB;
                fval = newf;
                break;
            }
            step *= 0.5;
        }
        if (step < min_step) /* no descent left at machine precision: as good as it gets */
            break;
    }
    out->kind = LAPSE_CALIBRATE_PLATT;
    out->a = A;
    out->b = B;
    return LAPSE_OK;
}

typedef struct {
    double f;
    int y;
} calib_row;

static int by_f(const void *pa, const void *pb)
{
    const double a = ((const calib_row *)pa)->f, b = ((const calib_row *)pb)->f;
    return (a > b) - (a < b);
}

typedef struct {
    double sum; /* of labels */
    double weight;
    double lo, hi; /* first and last score pooled */
} pav_block;

int lapse_calibrate_isotonic(lapse_calibration *out, const double *f, const int *y, size_t n,
                             lapse_error *err)
{
    lapse_calibrate_clear(out);
    int rc = check_scores(f, n, err);
    if (rc < 0)
        return rc;
    calib_row *rows = malloc(n * sizeof *rows);
    pav_block *stack = malloc(n * sizeof *stack);
    double *x = malloc(2 * n * sizeof *x), *p = malloc(2 * n * sizeof *p);
    if (!rows || !stack || !x || !p) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                             "out of memory fitting isotonic calibration on %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].f = f[i];
        rows[i].y = y[i] != 0;
    }
    qsort(rows, n, sizeof *rows, by_f);
    size_t top = 0;
    for (size_t i = 0; i < n;) {
        pav_block b = { 0.0, 0.0, rows[i].f, rows[i].f };
        for (; i < n && rows[i].f == b.lo; i++) {
            b.sum += rows[i].y;
            b.weight++;
        }
        /* Pool while the block before is not below this one (equal means
         * pool too: the fit is the same with fewer breakpoints). */
        while (top > 0 && stack[top - 1].sum * b.weight >= b.sum * stack[top - 1].weight) {
            const pav_block *prev = &stack[--top];
            b.sum += prev->sum;
            b.weight += prev->weight;
            b.lo = prev->lo;
        }
        stack[top++] = b;
    }
    size_t points = 0;
    for (size_t k = 0; k < top; k++) {
        const double value = stack[k].sum / stack[k].weight;
        x[points] = stack[k].lo;
        p[points++] = value;
        if (stack[k].hi > stack[k].lo) {
            x[points] = stack[k].hi;
            p[points++] = value;
        }
    }
    out->kind = LAPSE_CALIBRATE_ISOTONIC;
    out->points = points;
    out->x = x; /* now owned by out */
    out->y = p;
    x = p = NULL;
done:
    free(rows);
    free(stack);
    free(x);
    free(p);
    return rc;
}

int lapse_calibrate_set_isotonic(lapse_calibration *out, const double *x, const double *y,
                                 size_t points, lapse_error *err)
{
    lapse_calibrate_clear(out);
    if (points == 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                               "isotonic calibration without breakpoints");
    for (size_t i = 0; i < points; i++) {
        if (!isfinite(x[i]) || (i > 0 && !(x[i] > x[i - 1])))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                                   "isotonic breakpoint %zu: scores must be finite and increasing", i);
        if (!(y[i] >= 0.0 && y[i] <= 1.0) || (i > 0 && y[i] < y[i - 1]))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                                   "isotonic breakpoint %zu: probabilities must be nondecreasing in [0, 1]",
                                   i);
    }
    out->x = malloc(points * sizeof *out->x);
    out->y = malloc(points * sizeof *out->y);
    if (!out->x || !out->y) {
        lapse_calibrate_clear(out);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    memcpy(out->x, x, points * sizeof *x);
    memcpy(out->y, y, points * sizeof *y);
    out->points = points;
    out->kind = LAPSE_CALIBRATE_ISOTONIC;
    return LAPSE_OK;
}

static double isotonic_at(const lapse_calibration *cal, double f)
{
    const size_t m = cal->points;
    if (f <= cal->x[0])
        return cal->y[0];
    if (f >= cal->x[m - 1])
        return cal->y[m - 1];
    size_t lo = 0, hi = m - 1; /* x[lo] < f < x[hi] */
    while (hi - lo > 1) {
        const size_t mid = lo + (hi - lo) / 2;
        if (cal->x[mid] <= f)
            lo = mid;
        else
            hi = mid;
    }
    const double t = (f - cal->x[lo]) / (cal->x[hi] - cal->x[lo]);
    return cal->y[lo] + t * (cal->y[hi] - cal->y[lo]);
}

void lapse_calibrate_apply(double *out, const lapse_calibration *cal, const double *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (cal->kind) {
        case LAPSE_CALIBRATE_PLATT:
            out[i] = platt_prob(cal->a * f[i] + cal->b);
            break;
        case LAPSE_CALIBRATE_ISOTONIC:
            out[i] = isotonic_at(cal, f[i]);
            break;
        default:
            out[i] = f[i] < 0.0 ? 0.0 : f[i] > 1.0 ? 1.0 : f[i];
            break;
        }
    }
}

int lapse_calibrate_pick(double platt_loss, double isotonic_loss)
{
    /* A NaN or infinite figure says nothing, so it loses: comparing it
     * would quietly pick Platt. */
    const int platt = isfinite(platt_loss), isotonic = isfinite(isotonic_loss);
    if (platt && isotonic)
        return isotonic_loss < platt_loss;
    return isotonic ? 1 : platt ? 0 : -1;
}

int lapse_calibrate_choose(lapse_calibration *out, lapse_calibrate_choice *info, const double *f,
                           const int *y, size_t n, const lapse_calibrate_options *opts,
                           lapse_error *err)
{
    const lapse_calibrate_options defaults = LAPSE_CALIBRATE_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    lapse_calibrate_clear(out);
    if (opts->folds < 2)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "calibration needs at least 2 folds, not %d", opts->folds);
    int rc = check_scores(f, n, err);
    if (rc < 0)
        return rc;
    const size_t folds = (size_t)opts->folds;
    lapse_calibrate_choice choice = { NAN, NAN };
    if (n < 2 * folds)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "%zu rows are too few to choose a calibration by %zu-fold "
                               "cross-validation (at least %zu)",
                               n, folds, 2 * folds);
    size_t *order = malloc(n * sizeof *order);
    double *tf = malloc(n * sizeof *tf), *prob = malloc(n * sizeof *prob);
    int *ty = malloc(n * sizeof *ty), *vy = malloc(n * sizeof *vy);
    double *vf = malloc(n * sizeof *vf);
    lapse_calibration fit = LAPSE_CALIBRATION_INIT;
    if (!order || !tf || !prob || !ty || !vy || !vf) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory choosing a calibration");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    uint64_t rng = opts->seed;
    learn_rng_shuffle(&rng, order, n);
    double loss[2] = { 0.0, 0.0 };
    for (size_t k = 0; k < folds; k++) {
        size_t nt = 0, nv = 0;
        for (size_t i = 0; i < n; i++) {
            const size_t r = order[i];
            if (i % folds == k) {
                vf[nv] = f[r];
                vy[nv++] = y[r];
            } else {
                tf[nt] = f[r];
                ty[nt++] = y[r];
            }
        }
        for (int method = 0; method < 2; method++) {
            rc = method == 0 ? lapse_calibrate_platt(&fit, tf, ty, nt, err)
                             : lapse_calibrate_isotonic(&fit, tf, ty, nt, err);
            if (rc < 0)
                goto done;
            lapse_calibrate_apply(prob, &fit, vf, nv);
            loss[method] += lapse_metrics_log_loss(prob, vy, nv) * (double)nv;
        }
    }
    choice.platt_log_loss = loss[0] / (double)n;
    choice.isotonic_log_loss = loss[1] / (double)n;
    if (info)
        *info = choice;
    const int method = lapse_calibrate_pick(choice.platt_log_loss, choice.isotonic_log_loss);
    if (method < 0) {
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "neither Platt nor isotonic calibration has a finite "
                             "cross-validated log loss on these %zu rows",
                             n);
        goto done;
    }
    rc = method == 1 ? lapse_calibrate_isotonic(out, f, y, n, err)
                     : lapse_calibrate_platt(out, f, y, n, err);
done:
    lapse_calibrate_clear(&fit);
    free(order);
    free(tf);
    free(prob);
    free(ty);
    free(vy);
    free(vf);
    return rc;
}
