/* The bands, risk sets and cumulative risks of lapse/hazard.h. */
#include "lapse/hazard.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lapse_hazard_parse(lapse_hazard *out, const char *text, lapse_error *err)
{
    memset(out, 0, sizeof *out);
    out->risk = LAPSE_HAZARD_RISK_ALL;
    const char *p = text;
    for (;;) {
        const size_t len = strcspn(p, ",");
        char item[32];
        if (len == 0 || len >= sizeof item)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "an empty or overlong entry");
        memcpy(item, p, len);
        item[len] = '\0';
        char *end;
        errno = 0;
        const long v = strtol(item, &end, 10);
        if (*end || errno || item[0] == '+' || item[0] == '-' || item[0] == ' ' || v < 1 ||
            v > LAPSE_CHURN_MAX_DAYS)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "\"%s\" is not a whole number of days from 1 to %d", item,
                                   LAPSE_CHURN_MAX_DAYS);
        if (out->n_bands == LAPSE_HAZARD_MAX_BANDS)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "more than %d horizons", LAPSE_HAZARD_MAX_BANDS);
        if (out->n_bands && v <= out->horizons[out->n_bands - 1])
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "horizons must increase: %ld after %d", v,
                                   out->horizons[out->n_bands - 1]);
        out->horizons[out->n_bands++] = (int)v;
        if (!p[len])
            return LAPSE_OK;
        p += len + 1;
    }
}

void lapse_hazard_format(char *buf, size_t size, const lapse_hazard *hz)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t b = 0; b < hz->n_bands; b++) {
        const int n = snprintf(buf + used, size - used, "%s%d", b ? "," : "", hz->horizons[b]);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

void lapse_hazard_set_risk(lapse_hazard *hz, const lapse_churn_def *def,
                           const char *const *names, size_t n_names)
{
    hz->risk = LAPSE_HAZARD_RISK_ALL;
    hz->n_key = 0;
    hz->silent_days = hz->label_horizon = 0;
    if (def->cancel_is_churn)
        return;
    size_t n_key = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        if (!(def->key_mask & (1u << c)))
            continue;
        char want[64];
        snprintf(want, sizeof want, "days_since_%s", lapse_category_name((lapse_category)c));
        size_t j = 0;
        while (j < n_names && strcmp(names[j], want) != 0)
            j++;
        if (j == n_names)
            return; /* not lapse's features: every band at risk */
        hz->key_columns[n_key++] = (uint32_t)j;
    }
    if (n_key == 0)
        return;
    hz->risk = LAPSE_HAZARD_RISK_SILENCE;
    hz->n_key = n_key;
    hz->silent_days = def->silent_days;
    hz->label_horizon = def->horizon_days;
}

int lapse_hazard_validate(const lapse_hazard *hz, int label_horizon, size_t n_features,
                          lapse_error *err)
{
    if (hz->n_bands < 1 || hz->n_bands > LAPSE_HAZARD_MAX_BANDS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the model has %zu horizons: want 1 to %d", hz->n_bands,
                               LAPSE_HAZARD_MAX_BANDS);
    for (size_t b = 0; b < hz->n_bands; b++) {
        const int lo = b ? hz->horizons[b - 1] : 0;
        if (hz->horizons[b] <= lo)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "horizons must increase from 1: %d after %d", hz->horizons[b],
                                   lo);
        if (!isfinite(hz->offset[b]) || (b == 0 && hz->offset[0] != 0))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "band %zu's intercept is %g (the first is 0, others finite)",
                                   b + 1, hz->offset[b]);
    }
    if (hz->horizons[hz->n_bands - 1] > label_horizon)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "horizon %d is beyond the label horizon of %d days",
                               hz->horizons[hz->n_bands - 1], label_horizon);
    if (hz->risk == LAPSE_HAZARD_RISK_ALL)
        return hz->n_key == 0 ? LAPSE_OK
                              : lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                                "every band at risk, yet %zu key columns",
                                                hz->n_key);
    if (hz->risk != LAPSE_HAZARD_RISK_SILENCE || hz->n_key < 1 || hz->n_key > LAPSE_CAT_COUNT ||
        hz->silent_days < 1 || hz->silent_days > LAPSE_CHURN_MAX_DAYS ||
        hz->label_horizon != label_horizon)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "unknown or inconsistent risk rule %d (%zu key columns, %d silent "
                               "days, label horizon %d)",
                               (int)hz->risk, hz->n_key, hz->silent_days, hz->label_horizon);
    for (size_t i = 0; i < hz->n_key; i++)
        if (hz->key_columns[i] >= n_features)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "key column %lu is not one of the %zu features",
                                   (unsigned long)hz->key_columns[i], n_features);
    return LAPSE_OK;
}

size_t lapse_hazard_band_of_day(const lapse_hazard *hz, int day)
{
    size_t b = 0;
    while (b < hz->n_bands && day > hz->horizons[b])
        b++;
    return b;
}

/* SILENCE: the one day the row can churn on (lapse_churn_days_to_churn), or
 * 0 when its silence is past silent_days already (not an active user). */
static int silence_day(const lapse_hazard *hz, const double *raw_row)
{
    double k = INFINITY;
    for (size_t i = 0; i < hz->n_key; i++)
        if (raw_row[hz->key_columns[i]] < k)
            k = raw_row[hz->key_columns[i]];
    const double day = hz->silent_days + 1 - k;
    if (!(day >= 1))
        return 0;
    return day > hz->label_horizon ? hz->label_horizon : (int)ceil(day);
}

void lapse_hazard_at_risk(size_t *first, size_t *last, const lapse_hazard *hz,
                          const double *raw_row)
{
    *first = 0;
    *last = hz->n_bands;
    if (hz->risk != LAPSE_HAZARD_RISK_SILENCE)
        return;
    const int day = silence_day(hz, raw_row);
    const size_t b = day ? lapse_hazard_band_of_day(hz, day) : hz->n_bands;
    *first = b;
    *last = b < hz->n_bands ? b + 1 : b;
}

size_t lapse_hazard_periods(size_t *bands, int *y, const lapse_hazard *hz, const double *raw_row,
                            int label, int days_to_churn)
{
    size_t first, last;
    lapse_hazard_at_risk(&first, &last, hz, raw_row);
    const size_t churned = label == 1 && days_to_churn >= 1
                               ? lapse_hazard_band_of_day(hz, days_to_churn)
                               : hz->n_bands;
    size_t n = 0;
    for (size_t b = first; b < last && b <= churned; b++) {
        bands[n] = b;
        y[n++] = b == churned;
    }
    return n;
}

void lapse_hazard_curve(double *p, const lapse_hazard *hz, const double *hazard)
{
    double survive = 1.0;
    for (size_t b = 0; b < hz->n_bands; b++) {
        survive *= 1.0 - hazard[b];
        p[b] = 1.0 - survive;
    }
}

int lapse_hazard_churn_by(const lapse_hazard *hz, const double *raw_row, const double *hazard,
                          double threshold)
{
    if (hz->risk == LAPSE_HAZARD_RISK_SILENCE) {
        const int day = silence_day(hz, raw_row);
        const size_t b = day ? lapse_hazard_band_of_day(hz, day) : hz->n_bands;
        return b < hz->n_bands && hazard[b] >= threshold ? day : 0;
    }
    double survive = 1.0;
    for (size_t b = 0; b < hz->n_bands; b++) {
        const int lo = b ? hz->horizons[b - 1] : 0, days = hz->horizons[b] - lo;
        const double after = survive * (1.0 - hazard[b]);
        if (1.0 - after >= threshold) {
            if (hazard[b] >= 1.0)
                return lo + 1;
            /* survive (1 - h)^(t / days) <= 1 - threshold, for the least whole t. */
            const double t = days * log((1.0 - threshold) / survive) / log(1.0 - hazard[b]);
            int day = lo + (int)ceil(t - 1e-9);
            if (day < lo + 1)
                day = lo + 1;
            return day > hz->horizons[b] ? hz->horizons[b] : day;
        }
        survive = after;
    }
    return 0;
}
