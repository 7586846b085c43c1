/* BG/NBD and Pareto/NBD: likelihoods, fits and per-customer predictions.
 * Equation numbers: BG/NBD from Fader, Hardie and Lee (2005), "Counting your
 * customers the easy way", Marketing Science 24(2); Pareto/NBD from Fader
 * and Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related
 * Expressions" (brucehardie.com/notes/009). */
#include "lapse/btyd.h"

#include "btyd_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Names customer i in messages: its id when there is one. */
static int bad_customer(lapse_error *err, const lapse_btyd_data *d, size_t i, const char *what,
                        double v1, double v2)
{
    if (d->ids && d->ids[i])
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "customer \"%s\": %s (%g, %g)",
                               d->ids[i], what, v1, v2);
    return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "customer %zu: %s (%g, %g)", i,
                           what, v1, v2);
}

static int check_data(const lapse_btyd_data *d, lapse_error *err)
{
    if (!d || d->n == 0 || !d->x || !d->t_x || !d->T)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no customers to fit or score");
    for (size_t i = 0; i < d->n; i++) {
        const double x = d->x[i], tx = d->t_x[i], T = d->T[i];
        if (!(x >= 0) || !isfinite(x) || x != floor(x))
            return bad_customer(err, d, i, "frequency must be a whole number >= 0", x, 0);
        if (!(T > 0) || !isfinite(T))
            return bad_customer(err, d, i, "T (age) must be > 0", T, 0);
        if (!(tx >= 0))
            return bad_customer(err, d, i, "recency must be >= 0", tx, 0);
        if (tx > T)
            return bad_customer(err, d, i, "recency (first) after T (second)", tx, T);
        if (x == 0 && tx != 0)
            return bad_customer(err, d, i, "recency > 0 with frequency 0", tx, x);
    }
    return LAPSE_OK;
}

typedef struct {
    const lapse_btyd_data *d;
    btyd_xgroups g;
    double *tab;   /* per distinct x: 6 BG/NBD terms */
    int status;    /* a series overran (Pareto/NBD) */
} fit_ctx;

/* BG/NBD log-likelihood (eq. 6) and its gradient:
 *   LL_i = A1 + A2 + log(exp(A3) + [x > 0] exp(A4)),
 *   A1 = lnG(r+x) - lnG(r) + r ln alpha,  A2 = ln B(a, b+x) - ln B(a, b),
 *   A3 = -(r+x) ln(alpha+T),  A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x).
 * A1, A2 and their derivatives depend on x alone: one table row per x. */
static double bgnbd_loglik(void *vctx, const double *th, double *grad)
{
    fit_ctx *c = vctx;
    const double r = th[0], alpha = th[1], a = th[2], b = th[3];
    const double *xs = c->g.xs;
    double *tab = c->tab;
    double ll = 0, g[4] = { 0 };
    const double lg_r = lgamma(r), lg_b = lgamma(b), lg_ab = lgamma(a + b), ln_alpha = log(alpha);
    const double psi_r = btyd_digamma(r), psi_b = btyd_digamma(b), psi_ab = btyd_digamma(a + b);
    for (size_t k = 0; k < c->g.n_x; k++) {
        const double x = xs[k], n = c->g.count[k];
        double *row = tab + 6 * k;
        row[0] = lgamma(r + x) - lg_r + r * ln_alpha + lg_ab + lgamma(b + x) - lg_b -
                 lgamma(a + b + x);
        row[1] = x > 0 ? log(a) - log(b + x - 1) : 0;
        row[2] = x > 0 ? -1 / (b + x - 1) : 0;
        ll += n * row[0];
        if (grad) {
            const double psi_abx = btyd_digamma(a + b + x);
            g[0] += n * (btyd_digamma(r + x) - psi_r + ln_alpha);
            g[1] += n * r / alpha;
            g[2] += n * (psi_ab - psi_abx);
            g[3] += n * (psi_ab + btyd_digamma(b + x) - psi_b - psi_abx);
        }
    }
    const double *x = c->d->x, *tx = c->d->t_x, *T = c->d->T;
    const uint32_t *idx = c->g.idx;
    for (size_t i = 0; i < c->d->n; i++) {
        const double rx = r + x[i];
        const double l3 = log(alpha + T[i]);
        const double a3 = -rx * l3;
        if (x[i] == 0) {
            ll += a3;
            if (grad) {
                g[0] -= l3;
                g[1] -= rx / (alpha + T[i]);
            }
            continue;
        }
        const double *row = tab + 6 * idx[i];
        const double l4 = log(alpha + tx[i]);
        const double a4 = row[1] - rx * l4;
        const double hi = fmax(a3, a4), lo = fmin(a3, a4);
        const double e = exp(lo - hi);
        ll += hi + log1p(e);
        if (grad) {
            const double w_hi = 1 / (1 + e), w_lo = e / (1 + e);
            const double w3 = a3 >= a4 ? w_hi : w_lo, w4 = 1 - w3;
            g[0] -= w3 * l3 + w4 * l4;
            g[1] -= rx * (w3 / (alpha + T[i]) + w4 / (alpha + tx[i]));
            g[2] += w4 / a;
            g[3] += w4 * row[2];
        }
    }
    if (grad)
        memcpy(grad, g, sizeof g);
    return ll;
}

/* log of the integral of (alpha+u)^-(r+x) (beta+u)^-(s+1) over (t_x, T]
 * (the Pareto/NBD term for death between t_x and T, note eq. 18), or
 * -inf when t_x = T. */
static int pareto_log_death(double *out, double r, double alpha, double s, double beta, double x,
                            double tx, double T)
{
    if (tx >= T) {
        *out = -INFINITY;
        return LAPSE_OK;
    }
    double l1, l2;
    int status = btyd_log_tail(&l1, r + x, s + 1, alpha, beta, tx);
    if (status == LAPSE_OK)
        status = btyd_log_tail(&l2, r + x, s + 1, alpha, beta, T);
    if (status != LAPSE_OK)
        return status;
    *out = l1 + log(-expm1(l2 - l1));
    return LAPSE_OK;
}

/* Pareto/NBD per customer (note eq. 22, with the A_0 integral kept whole):
 *   L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
 *         + s * int_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du ].
 * Sets the log of the bracket's two terms. */
static int pareto_terms(double *alive, double *dead, const double *th, double x, double tx,
                        double T)
{
    const double r = th[0], alpha = th[1], s = th[2], beta = th[3];
    *alive = -(r + x) * log(alpha + T) - s * log(beta + T);
    double ld = -INFINITY;
    const int status = pareto_log_death(&ld, r, alpha, s, beta, x, tx, T);
    *dead = log(s) + ld;
    return status;
}

static double pareto_loglik(void *vctx, const double *th, double *grad)
{
    (void)grad;
    fit_ctx *c = vctx;
    const double r = th[0], alpha = th[1], s = th[2], beta = th[3];
    const double head = -lgamma(r) + r * log(alpha) + s * log(beta);
    double ll = 0;
    for (size_t k = 0; k < c->g.n_x; k++)
        ll += c->g.count[k] * (lgamma(r + c->g.xs[k]) + head);
    for (size_t i = 0; i < c->d->n; i++) {
        double alive, dead;
        if (pareto_terms(&alive, &dead, th, c->d->x[i], c->d->t_x[i], c->d->T[i]) != LAPSE_OK) {
            c->status = LAPSE_ERR_RANGE;
            return NAN;
        }
        const double hi = fmax(alive, dead);
        ll += hi + log1p(exp(fmin(alive, dead) - hi));
    }
    return ll;
}

static int ctx_init(fit_ctx *c, const lapse_btyd_data *d, lapse_error *err)
{
    memset(c, 0, sizeof *c);
    c->d = d;
    int status = btyd_xgroups_build(&c->g, d->x, NULL, d->n, err);
    if (status != LAPSE_OK)
        return status;
    c->tab = malloc(6 * c->g.n_x * sizeof *c->tab);
    if (!c->tab) {
        btyd_xgroups_free(&c->g);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    return LAPSE_OK;
}

static void ctx_free(fit_ctx *c)
{
    btyd_xgroups_free(&c->g);
    free(c->tab);
}

static int check_params(lapse_btyd_kind kind, const double *p, lapse_error *err)
{
    if (kind != LAPSE_BTYD_BGNBD && kind != LAPSE_BTYD_PARETO)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "unknown BTYD model %d",
                               (int)kind);
    for (int j = 0; j < 4; j++)
        if (!(p[j] > 0) || !isfinite(p[j]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "model parameter %d is %g: all must be finite and > 0", j + 1,
                                   p[j]);
    return LAPSE_OK;
}

/* Checks the model kind, parameters and data, then sets c up for them. */
static int prepare(fit_ctx *c, lapse_btyd_kind kind, const double *params,
                   const lapse_btyd_data *data, lapse_error *err)
{
    int status = check_params(kind, params, err);
    if (status == LAPSE_OK)
        status = check_data(data, err);
    if (status == LAPSE_OK)
        status = ctx_init(c, data, err);
    return status;
}

int lapse_btyd_loglik(double *out, lapse_btyd_kind kind, const double params[4],
                      const lapse_btyd_data *data, lapse_error *err)
{
    fit_ctx c;
    const int status = prepare(&c, kind, params, data, err);
    if (status != LAPSE_OK)
        return status;
    *out = kind == LAPSE_BTYD_BGNBD ? bgnbd_loglik(&c, params, NULL)
                                    : pareto_loglik(&c, params, NULL);
    ctx_free(&c);
    if (!isfinite(*out))
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the log-likelihood is not finite at these parameters");
    return LAPSE_OK;
}

int lapse_btyd_fit(lapse_btyd_fit_result *out, lapse_btyd_kind kind, const lapse_btyd_data *data,
                   const lapse_btyd_fit_options *opts, lapse_error *err)
{
    const lapse_btyd_fit_options defaults = LAPSE_BTYD_FIT_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    int status = btyd_check_options(opts, err);
    if (status != LAPSE_OK)
        return status;
    const double unit[4] = { 1, 1, 1, 1 };
    fit_ctx c;
    status = prepare(&c, kind, unit, data, err);
    if (status != LAPSE_OK)
        return status;
    /* Rates start at one purchase (and one death) per mean age: the scale of
     * alpha and beta is the data's time unit. */
    double mean_T = 0;
    for (size_t i = 0; i < data->n; i++)
        mean_T += data->T[i] / (double)data->n;
    memset(out, 0, sizeof *out);
    out->kind = kind;
    double th[4] = { 1, mean_T, 1, kind == LAPSE_BTYD_BGNBD ? 1 : mean_T };
    const btyd_problem pb = { kind == LAPSE_BTYD_BGNBD ? bgnbd_loglik : pareto_loglik, &c, 4,
                              kind == LAPSE_BTYD_BGNBD, (double)data->n };
    status = btyd_maximise(&pb, th, &out->log_likelihood, out->se, &out->iterations,
                           &out->converged, opts, err);
    ctx_free(&c);
    memcpy(out->params, th, sizeof th);
    return status;
}

/* BG/NBD conditional expectation (eq. 10) after Euler's transformation
 * (DLMF 15.8.1) of its 2F1(r+x, b+x; a+b+x-1; z), z = t/(alpha+T+t):
 *   E = P(alive) (c/(a-1)) [1 - q^(a-1) 2F1(a+b-1-r, a-1; c; z)],
 * c = a+b+x-1, q = 1 - z. Writing 2F1 = 1 + (a-1) G / c divides out a - 1
 * and c, so neither a = 1 nor c = 0 is a special case, and the series of
 *   G = sum_{n>=1} (a+b-1-r)_n (a)_{n-1} / ((c+1)_{n-1} n!) z^n
 * falls at least like z^n. This returns E / P(alive). */
static int bgnbd_expected(double *out, const double *th, double x, double T, double t)
{
    const double r = th[0], alpha = th[1], a = th[2], b = th[3];
    const double z = t / (alpha + T + t), ln_q = -log1p(t / (alpha + T));
    const double c = a + b + x - 1, am1 = a - 1;
    double g;
    const int status = btyd_series(&g, (a + b - 1 - r) * z, a + b - r, a, c + 1, 2, z);
    if (status != LAPSE_OK)
        return status;
    const double head = am1 == 0 ? -ln_q : -expm1(am1 * ln_q) / am1;
    *out = c * head - exp(am1 * ln_q) * g;
    return LAPSE_OK;
}

static int predict_one(lapse_btyd_prediction *p, const lapse_btyd_fit_result *m, double x,
                       double tx, double T, double t)
{
    const double *th = m->params;
    const double r = th[0], alpha = th[1];
    const double rx = r + x;
    if (m->kind == LAPSE_BTYD_BGNBD) {
        const double a = th[2], b = th[3];
        /* P(alive) = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) (eq. 13 of
         * Fader, Hardie and Lee's "Computing P(alive)" note). */
        const double odds =
            x > 0 ? exp(log(a / (b + x - 1)) + rx * (log(alpha + T) - log(alpha + tx))) : 0;
        p->p_alive = 1 / (1 + odds);
        double e;
        const int status = bgnbd_expected(&e, th, x, T, t);
        if (status != LAPSE_OK)
            return status;
        p->expected = p->p_alive * e;
        /* Dead customers buy nothing. An alive one drops out only right
         * after a purchase, so it buys nothing in (T, T+t] exactly when its
         * Poisson process is quiet there; alive, lambda's posterior is
         * Gamma(r+x, alpha+T), so that happens with ((alpha+T)/(alpha+T+t))^(r+x). */
        p->p_none = (1 - p->p_alive) + p->p_alive * exp(-rx * log1p(t / (alpha + T)));
        return LAPSE_OK;
    }
    const double s = th[2], beta = th[3];
    double alive, dead;
    int status = pareto_terms(&alive, &dead, th, x, tx, T);
    if (status != LAPSE_OK)
        return status;
    p->p_alive = 1 / (1 + exp(dead - alive)); /* note eq. 24 */
    /* E = P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]
     * (note eq. 27), with the bracket over (s - 1) kept finite at s = 1. */
    const double ln_q = -log1p(t / (beta + T)), sm1 = s - 1;
    const double ratio = sm1 == 0 ? -ln_q : -expm1(sm1 * ln_q) / sm1;
    p->expected = p->p_alive * rx * (beta + T) / (alpha + T) * ratio;
    /* Alive at T, the posteriors are lambda ~ Gamma(r+x, alpha+T) and
     * mu ~ Gamma(s, beta+T). A purchase at T+u comes before death with
     * density E[lambda e^-lambda u] E[e^-mu u], so
     *   P(none | alive) = 1 - (r+x) A^(r+x) B^s int_0^t (A+u)^-(r+x+1) (B+u)^-s du,
     * A = alpha+T, B = beta+T: the same integral as the likelihood's. */
    const double A = alpha + T, B = beta + T;
    double l0, lt;
    status = btyd_log_tail(&l0, rx + 1, s, A, B, 0);
    if (status == LAPSE_OK)
        status = btyd_log_tail(&lt, rx + 1, s, A, B, t);
    if (status != LAPSE_OK)
        return status;
    const double buy = exp(log(rx) + rx * log(A) + s * log(B) + l0 + log(-expm1(lt - l0)));
    p->p_none = (1 - p->p_alive) + p->p_alive * (1 - fmin(buy, 1));
    return LAPSE_OK;
}

int lapse_btyd_predict(lapse_btyd_prediction *out, const lapse_btyd_fit_result *model,
                       const lapse_gammagamma_fit_result *gg, const lapse_btyd_data *data,
                       double t, lapse_error *err)
{
    int status = check_params(model->kind, model->params, err);
    if (status == LAPSE_OK)
        status = check_data(data, err);
    if (status != LAPSE_OK)
        return status;
    if (!(t > 0) || !isfinite(t))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the horizon must be > 0, not %g", t);
    if (gg && (!data->m || !(gg->params[0] > 0) || !(gg->params[1] > 1) || !(gg->params[2] > 0)))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               data->m ? "Gamma-Gamma needs p > 0, q > 1, v > 0"
                                       : "Gamma-Gamma needs each customer's mean spend");
    for (size_t i = 0; i < data->n; i++) {
        lapse_btyd_prediction *p = out + i;
        const double x = data->x[i];
        if (predict_one(p, model, x, data->t_x[i], data->T[i], t) != LAPSE_OK)
            return bad_customer(err, data, i, "a hypergeometric series did not converge "
                                "(horizon, T)", t, data->T[i]);
        p->spend = p->value = NAN;
        if (gg) {
            const double pp = gg->params[0], q = gg->params[1], v = gg->params[2];
            /* E[M | x, m] = p (v + x m) / (p x + q - 1) (note 025, eq. 5);
             * x = 0 gives the population mean p v / (q - 1). */
            const double m = x > 0 ? data->m[i] : 0;
            p->spend = pp * (v + x * m) / (pp * x + q - 1);
            p->value = p->expected * p->spend;
        }
    }
    return LAPSE_OK;
}

void lapse_btyd_data_free(lapse_btyd_data *data)
{
    if (!data)
        return;
    if (data->ids)
        for (size_t i = 0; i < data->n; i++)
            free(data->ids[i]);
    free(data->ids);
    free(data->x);
    free(data->t_x);
    free(data->T);
    free(data->m);
    free(data);
}
