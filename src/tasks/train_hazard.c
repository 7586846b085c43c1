/* lapse train --horizons: the pooled person-period hazard fit and its
 * validation (lapse/train.h, lapse/hazard.h). */
#include "lapse/train.h"
#include "train_internal.h"

#include "lapse/calibrate.h"
#include "lapse/logistic.h"
#include "lapse/metrics.h"
#include "lapse/model.h"
#include "lapse/scaler.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int nomem(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory while training");
}

int train_hazard_prepare(lapse_hazard *hz, const lapse_table *t, const lapse_train_options *o,
                         lapse_error *err)
{
    const int last = o->horizons.horizons[o->horizons.n_bands - 1];
    if (!t->days_to_churn)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--horizons needs the day each churned row churned: the table has "
                               "no days_to_churn column (lapse extract writes it; not a table of "
                               "one's own or one from before it)");
    if (last > t->meta.churn.horizon_days)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "horizon %d is beyond the table's label horizon of %d days "
                               "(its labels say nothing past it)",
                               last, t->meta.churn.horizon_days);
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->labels[i] == 1 && t->days_to_churn[i] < 1) {
            char date[16] = "";
            lapse_time_format_date(date, t->asof[i]);
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "--horizons needs the day each churned row churned: user "
                                   "\"%s\" at %s is labelled 1 without days_to_churn (labels "
                                   "from a file say whether, not when)",
                                   t->user_ids[i], date);
        }
    memset(hz, 0, sizeof *hz);
    hz->n_bands = o->horizons.n_bands;
    memcpy(hz->horizons, o->horizons.horizons, sizeof hz->horizons);
    lapse_hazard_set_risk(hz, &t->meta.churn, (const char *const *)t->feature_names,
                          t->n_features);
    return LAPSE_OK;
}

/* The person-periods of table rows rows[0..n): period p is row[p] (an
 * index into rows), band[p], y[p]. */
typedef struct {
    size_t n;
    size_t *row, *band;
    int *y;
    size_t structural; /* bands of the rows' horizon not at risk */
} periods;

static void periods_free(periods *pp)
{
    free(pp->row);
    free(pp->band);
    free(pp->y);
}

static int make_periods(periods *pp, const lapse_hazard *hz, const lapse_table *t,
                        const size_t *rows, size_t n, lapse_error *err)
{
    const size_t k = hz->n_bands, d = t->n_features;
    memset(pp, 0, sizeof *pp);
    pp->row = malloc((n ? n : 1) * k * sizeof *pp->row);
    pp->band = malloc((n ? n : 1) * k * sizeof *pp->band);
    pp->y = malloc((n ? n : 1) * k * sizeof *pp->y);
    if (!pp->row || !pp->band || !pp->y)
        return nomem(err);
    for (size_t i = 0; i < n; i++) {
        const size_t row = rows[i];
        const double *raw = t->x + row * d;
        size_t first, last;
        lapse_hazard_at_risk(&first, &last, hz, raw);
        pp->structural += k - (last - first);
        const size_t m = lapse_hazard_periods(pp->band + pp->n, pp->y + pp->n, hz, raw,
                                              t->labels[row], t->days_to_churn[row]);
        for (size_t q = 0; q < m; q++)
            pp->row[pp->n + q] = i;
        pp->n += m;
    }
    return LAPSE_OK;
}

static int both_classes(const periods *pp, const char *what, lapse_error *err)
{
    size_t pos = 0;
    for (size_t p = 0; p < pp->n; p++)
        pos += (size_t)pp->y[p];
    if (pos == 0 || pos == pp->n)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the %s person-periods hold only %s (%zu of them): the hazard "
                               "needs both churners and others",
                               what, pos ? "churners" : "non-churners", pp->n);
    return LAPSE_OK;
}

int train_hazard_fit(classifier *c, lapse_hazard *hz, lapse_train_report *r,
                     const lapse_table *t, const size_t *rows, const double *x, size_t n,
                     size_t active, int stop_early, const lapse_train_options *o,
                     lapse_error *err)
{
    const size_t d = t->n_features, k = hz->n_bands;
    const int trees = o->model == LAPSE_CLASSIFIER_GBDT;
    /* Logistic: the row's scaled features, then one indicator per band
     * after the first (the first band's intercept is the bias). Trees: the
     * features, then the band number, which they split on as they need. */
    const size_t wide = trees ? d + 1 : d + k - 1;
    periods pp;
    double *xp = NULL, *wp = NULL;
    int rc = make_periods(&pp, hz, t, rows, n, err);
    if (rc == 0)
        rc = both_classes(&pp, "training", err);
    if (rc < 0)
        goto done;
    xp = malloc(pp.n * wide * sizeof *xp);
    if (!xp) {
        rc = nomem(err);
        goto done;
    }
    for (size_t p = 0; p < pp.n; p++) {
        double *to = xp + p * wide;
        memcpy(to, x + pp.row[p] * d, d * sizeof *to);
        if (trees)
            to[d] = (double)pp.band[p];
        for (size_t b = 1; !trees && b < k; b++)
            to[d + b - 1] = pp.band[p] == b;
    }
    memset(hz->offset, 0, sizeof hz->offset);
    if (trees) {
        if ((rc = train_fit_classifier(c, r, xp, pp.y, pp.n, wide, active, stop_early, o,
                                       err)) < 0)
            goto done;
    } else {
        c->kind = LAPSE_CLASSIFIER_LOGISTIC;
        wp = malloc(wide * sizeof *wp);
        c->w = malloc(d * sizeof *c->w);
        if (!wp || !c->w) {
            rc = nomem(err);
            goto done;
        }
        lapse_logistic_options lo = LAPSE_LOGISTIC_OPTIONS_INIT;
        lo.l2 = o->l2;
        lo.threads = 1; /* the same bytes for any -@ */
        lapse_logistic_info info;
        if ((rc = lapse_logistic_fit(wp, &c->bias, &info, xp, pp.y, pp.n, wide, &lo, err)) < 0)
            goto done;
        memcpy(c->w, wp, d * sizeof *c->w);
        for (size_t b = 1; b < k; b++)
            hz->offset[b] = wp[d + b - 1];
        r->classifier_rows = pp.n;
        r->logistic_iterations = info.iterations;
        r->C = r->gamma = NAN;
    }
    r->hazard_periods = pp.n;
    r->hazard_structural = pp.structural;
done:
    free(xp);
    free(wp);
    periods_free(&pp);
    return rc;
}

/* The decision of each of n held-out rows (raw features) in each band,
 * dec[i * n_bands + b], as score computes it: logistic, the shared decision
 * f[i] plus the band's intercept; trees, lapse_model_band_margins (f
 * unused, NaN where the row is not evaluated). */
static int band_decisions(double *dec, double *f, const lapse_model *m, const double *raw,
                          size_t n, int threads, lapse_error *err)
{
    const lapse_hazard *hz = m->hazard;
    const size_t k = hz->n_bands, d = m->n_features;
    if (m->classifier.kind != LAPSE_CLASSIFIER_GBDT) {
        const int rc = lapse_train_decision(f, m, raw, n, threads, err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            for (size_t b = 0; b < k; b++)
                dec[i * k + b] = f[i] + hz->offset[b];
        return rc;
    }
    lapse_forest *forest = NULL;
    double *xs = malloc((n ? n : 1) * d * sizeof *xs);
    void *scratch = malloc(lapse_model_band_scratch(m, n ? n : 1));
    void *walk = NULL;
    int rc = xs && scratch ? 0 : nomem(err);
    if (rc == 0)
        rc = lapse_forest_compile(&forest, &m->classifier.forest, lapse_model_tree_features(m),
                                  err);
    if (rc == 0 && !(walk = malloc(lapse_forest_scratch(forest))))
        rc = nomem(err);
    if (rc == 0) {
        lapse_scaler_apply(&m->scaler, d, raw, n, xs);
        lapse_model_band_margins(m, forest, dec, raw, xs, n, 0, scratch, walk);
    }
    lapse_forest_free(forest);
    free(walk);
    free(scratch);
    free(xs);
    return rc;
}

int train_hazard_validate(lapse_model *m, lapse_train_report *r, const lapse_table *t,
                          const size_t *rows, const double *raw, size_t n, double *p,
                          const lapse_train_options *o, lapse_error *err)
{
    const lapse_hazard *hz = m->hazard;
    const size_t k = hz->n_bands, d = m->n_features;
    const int last = hz->horizons[k - 1], trees = m->classifier.kind == LAPSE_CLASSIFIER_GBDT;
    periods pp;
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    double *f = malloc((n ? n : 1) * sizeof *f), *dec = malloc((n ? n : 1) * k * sizeof *dec);
    double *fp = NULL, *hp = NULL;
    int *y = malloc((n ? n : 1) * sizeof *y);
    int rc = make_periods(&pp, hz, t, rows, n, err);
    if (rc == 0 && (!f || !y || !dec))
        rc = nomem(err);
    if (rc == 0)
        rc = both_classes(&pp, "held-out", err);
    if (rc == 0)
        rc = band_decisions(dec, f, m, raw, n, o->threads, err);
    if (rc < 0)
        goto done;
    fp = malloc((pp.n ? pp.n : 1) * sizeof *fp);
    hp = malloc((pp.n ? pp.n : 1) * sizeof *hp);
    if (!fp || !hp) {
        rc = nomem(err);
        goto done;
    }
    for (size_t q = 0; q < pp.n; q++)
        fp[q] = dec[pp.row[q] * k + pp.band[q]];
    /* Honest figures: each row's p_H from hazards calibrated without its fold. */
    if ((rc = train_cross_fit(hp, fp, pp.y, pp.n, o->calib_folds, o->seed, err)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        p[i] = 1.0;
    for (size_t q = 0; q < pp.n; q++)
        p[pp.row[q]] *= 1.0 - hp[q];
    for (size_t i = 0; i < n; i++) {
        const size_t row = rows[i];
        p[i] = 1.0 - p[i];
        y[i] = t->labels[row] == 1 && t->days_to_churn[row] >= 1 &&
               t->days_to_churn[row] <= last;
    }
    if ((rc = lapse_metrics_evaluate(&r->valid, p, y, n, 0.5, err)) < 0)
        goto done;

    lapse_calibrate_options co = LAPSE_CALIBRATE_OPTIONS_INIT;
    co.folds = o->calib_folds;
    co.seed = o->seed;
    lapse_calibrate_choice choice;
    if ((rc = lapse_calibrate_choose(&cal, &choice, fp, pp.y, pp.n, &co, err)) < 0 ||
        (rc = train_set_calibration(m, &cal, err)) < 0)
        goto done;
    r->platt_log_loss = choice.platt_log_loss;
    r->isotonic_log_loss = choice.isotonic_log_loss;
    double hazard[LAPSE_HAZARD_MAX_BANDS], curve[LAPSE_HAZARD_MAX_BANDS];
    for (size_t i = 0; i < n; i++) {
        lapse_model_hazards(m, hazard, raw + i * d, trees ? 0.0 : f[i],
                            trees ? dec + i * k : NULL);
        lapse_hazard_curve(curve, hz, hazard);
        p[i] = curve[k - 1];
    }
done:
    lapse_calibrate_clear(&cal);
    periods_free(&pp);
    free(f);
    free(dec);
    free(y);
    free(fp);
    free(hp);
    return rc;
}
