/* Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV: Using
 * Iso-Value Curves for Customer Base Analysis"; Fader and Hardie's note
 * 025): a customer's x repeat purchases average m, with
 *   f(m | p, q, v, x) = G(px+q) / (G(px) G(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q)
 * (note 025, eq. 4), fitted on repeat buyers only. */
#include "lapse/btyd.h"

#include "btyd_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const lapse_btyd_data *d;
    const unsigned char *keep;
    btyd_xgroups g;
    double *log_m;  /* per customer */
} gg_ctx;

static double gg_loglik(void *vctx, const double *th, double *grad)
{
    gg_ctx *c = vctx;
    const double p = th[0], q = th[1], v = th[2];
    double ll = 0, g[3] = { 0 };
    const double lg_q = lgamma(q), ln_v = log(v), psi_q = btyd_digamma(q);
    /* Terms in x alone, once per distinct x. */
    for (size_t k = 0; k < c->g.n_x; k++) {
        const double x = c->g.xs[k], n = c->g.count[k], px = p * x;
        ll += n * (lgamma(px + q) - lgamma(px) - lg_q + q * ln_v + px * log(x));
        if (grad) {
            const double psi_pxq = btyd_digamma(px + q);
            g[0] += n * x * (psi_pxq - btyd_digamma(px) + log(x));
            g[1] += n * (psi_pxq - psi_q + ln_v);
            g[2] += n * q / v;
        }
    }
    for (size_t i = 0; i < c->d->n; i++) {
        if (!c->keep[i])
            continue;
        const double x = c->d->x[i], m = c->d->m[i], px = p * x;
        const double l_vxm = log(v + x * m);
        ll += (px - 1) * c->log_m[i] - (px + q) * l_vxm;
        if (grad) {
            g[0] += x * (c->log_m[i] - l_vxm);
            g[1] -= l_vxm;
            g[2] -= (px + q) / (v + x * m);
        }
    }
    if (grad)
        memcpy(grad, g, sizeof g);
    return ll;
}

int lapse_gammagamma_fit(lapse_gammagamma_fit_result *out, const lapse_btyd_data *data,
                         const lapse_btyd_fit_options *opts, lapse_error *err)
{
    const lapse_btyd_fit_options defaults = LAPSE_BTYD_FIT_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    const int checked = btyd_check_options(opts, err);
    if (checked != LAPSE_OK)
        return checked;
    if (!data || !data->x || !data->m)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "Gamma-Gamma needs frequencies and mean spends");
    gg_ctx c = { .d = data };
    unsigned char *keep = calloc(data->n ? data->n : 1, 1);
    c.log_m = malloc((data->n ? data->n : 1) * sizeof *c.log_m);
    int status = LAPSE_OK;
    if (!keep || !c.log_m) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    size_t used = 0;
    double sx = 0, sm = 0, sxx = 0, smm = 0, sxm = 0, sum_m = 0;
    for (size_t i = 0; i < data->n; i++) {
        const double x = data->x[i], m = data->m[i];
        if (!(x >= 0) || !isfinite(x) || x != floor(x)) {
            status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                     "customer %zu: frequency %g is not a whole number >= 0", i,
                                     x);
            goto done;
        }
        if (x == 0)
            continue;
        if (!(m > 0) || !isfinite(m)) {
            status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                     "customer %zu: a repeat buyer's mean spend must be > 0, "
                                     "not %g", i, m);
            goto done;
        }
        keep[i] = 1;
        c.log_m[i] = log(m);
        used++;
        sum_m += m;
    }
    if (used < 2) {
        status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                 "Gamma-Gamma needs at least 2 repeat buyers, there are %zu",
                                 used);
        goto done;
    }
    /* The model assumes spend independent of frequency: report their
     * correlation (shifted by the means, so the sums do not cancel). */
    const double mx0 = data->x[0], mean_m = sum_m / (double)used;
    for (size_t i = 0; i < data->n; i++) {
        if (!keep[i])
            continue;
        const double dx = data->x[i] - mx0, dm = data->m[i] - mean_m;
        sx += dx;
        sm += dm;
        sxx += dx * dx;
        smm += dm * dm;
        sxm += dx * dm;
    }
    const double nu = (double)used;
    const double cov = sxm - sx * sm / nu, vx = sxx - sx * sx / nu, vm = smm - sm * sm / nu;
    c.keep = keep;
    status = btyd_xgroups_build(&c.g, data->x, keep, data->n, err);
    if (status != LAPSE_OK)
        goto done;
    memset(out, 0, sizeof *out);
    out->n_used = used;
    out->corr_x_m = vx > 0 && vm > 0 ? cov / sqrt(vx * vm) : NAN;
    /* p = 1, q = 2 and v = mean spend put the population mean p v / (q - 1)
     * at the sample's. */
    double th[3] = { 1, 2, mean_m };
    const btyd_problem pb = { gg_loglik, &c, 3, 1, nu };
    status = btyd_maximise(&pb, th, &out->log_likelihood, out->se, &out->iterations,
                           &out->converged, opts, err);
    memcpy(out->params, th, sizeof th);
done:
    btyd_xgroups_free(&c.g);
    free(keep);
    free(c.log_m);
    return status;
}
