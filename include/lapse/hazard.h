/* Churn within several horizons: a discrete-time hazard model (issue 15).
 *
 * The horizons, e.g. 7, 14 and 30 days, cut the label window (0, H] into
 * bands (0, 7], (7, 14], (14, 30]. The model gives each row a hazard per
 * band, the probability of churning in that band given not churned before
 * it, and the risk of churning within horizon h is
 *     p_h = 1 - prod over bands b up to h of (1 - hazard_b),
 * which cannot fall as h grows. The hazard of band b is the model's
 * calibration of f + offset[b], where f is the logistic decision on the
 * row's features (one set of weights for every band) and offset[b] the
 * band's intercept, relative to the first band (offset[0] = 0). With boosted
 * trees (lapse train --model gbdt) f depends on the band: it is the trees'
 * margin on the row's scaled features followed by one more feature, the
 * band number b (0 for the first), so the trees may shape each band's
 * hazard differently, and every offset is 0. Both are the standard
 * pooled person-period form, where each labelled row contributes one
 * person-period per band it is at risk in, labelled 1 in the band where it
 * churned (days_to_churn, lapse/churn.h) and 0 in the bands before it; a row
 * labelled 0 is at risk in every band.
 *
 * At risk: with churn = silence the day a churned row churns is fixed at the
 * snapshot by the days k since its last key event (lapse_churn_days_to_churn:
 * min(label horizon, silent_days + 1 - k)), so a row can churn in one band
 * only and its hazard is exactly 0 in the others (risk SILENCE: k is the
 * least of the days_since_<category> features of the key categories). With
 * churn = cancel, or a table without those features, every band is at risk
 * (risk ALL).
 *
 * churn_by, the first day on which the cumulative risk reaches a threshold:
 * with risk SILENCE the one day the row can churn on, when its risk reaches
 * the threshold; with risk ALL the hazard of a band is spread over its days
 * as a constant daily hazard, 1 - (1 - hazard_b)^(1 / days in b). */
#ifndef LAPSE_HAZARD_H
#define LAPSE_HAZARD_H

#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_HAZARD_MAX_BANDS 16

typedef enum {
    LAPSE_HAZARD_RISK_ALL = 0,    /* every band at risk */
    LAPSE_HAZARD_RISK_SILENCE = 1 /* only the band of the day the silence reaches silent_days */
} lapse_hazard_risk;

typedef struct {
    size_t n_bands;                         /* 1..LAPSE_HAZARD_MAX_BANDS */
    int horizons[LAPSE_HAZARD_MAX_BANDS];   /* strictly increasing, >= 1: band b ends there */
    double offset[LAPSE_HAZARD_MAX_BANDS];  /* band intercepts; offset[0] = 0 */
    lapse_hazard_risk risk;
    /* SILENCE: the churn definition's silent days and label horizon, and the
     * columns (feature indices) holding days since the last event of each
     * key category. */
    int silent_days, label_horizon;
    size_t n_key;                           /* 1..LAPSE_CAT_COUNT for SILENCE, else 0 */
    uint32_t key_columns[LAPSE_CAT_COUNT];
} lapse_hazard;

/* Parses a horizon list, "7,14,30", into out (offsets 0, risk ALL). Returns
 * 0, or LAPSE_ERR_ARG naming the problem (the message leaves out the list):
 * an entry that is not a whole number of days from 1 to
 * LAPSE_CHURN_MAX_DAYS, horizons that do not increase, more than
 * LAPSE_HAZARD_MAX_BANDS of them, an empty entry. */
int lapse_hazard_parse(lapse_hazard *out, const char *text, lapse_error *err);

/* Writes "7,14,30" into buf. */
void lapse_hazard_format(char *buf, size_t size, const lapse_hazard *hz);

/* Sets hz's risk rule from the churn definition and a table's feature
 * names (see above): SILENCE when churn is silence and every key
 * category's days_since_<category> column is there, else ALL. */
void lapse_hazard_set_risk(lapse_hazard *hz, const lapse_churn_def *def,
                           const char *const *names, size_t n_names);

/* Checks hz against a model or table of n_features features with this
 * label horizon: horizons strictly increasing from 1 up to label_horizon,
 * finite offsets with offset[0] 0, a known risk rule whose columns are in
 * range (SILENCE: silent_days >= 1 and its label horizon this one). Returns
 * 0 or LAPSE_ERR_ARG naming the first problem. */
int lapse_hazard_validate(const lapse_hazard *hz, int label_horizon, size_t n_features,
                          lapse_error *err);

/* The bands a row (raw features) is at risk in: [*first, *last). */
void lapse_hazard_at_risk(size_t *first, size_t *last, const lapse_hazard *hz,
                          const double *raw_row);

/* The band holding day (1-based), or n_bands when day is past the last
 * horizon. */
size_t lapse_hazard_band_of_day(const lapse_hazard *hz, int day);

/* A labelled row's person-periods: the bands it is at risk in up to the one
 * it churned in (label 1 and days_to_churn within the last horizon), into
 * bands[] and y[] (each room for n_bands; y 1 only in the band it churned
 * in). Returns how many. */
size_t lapse_hazard_periods(size_t *bands, int *y, const lapse_hazard *hz, const double *raw_row,
                            int label, int days_to_churn);

/* The cumulative risk p[b] of churning within horizons[b] from a row's
 * hazards (n_bands each; 0 in the bands it is not at risk in). */
void lapse_hazard_curve(double *p, const lapse_hazard *hz, const double *hazard);

/* churn_by (see above) of a row with these hazards: a day from 1 to the
 * last horizon, or 0 when the risk does not reach threshold within it. */
int lapse_hazard_churn_by(const lapse_hazard *hz, const double *raw_row, const double *hazard,
                          double threshold);

#ifdef __cplusplus
}
#endif

#endif
