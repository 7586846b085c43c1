/* A "buy 'til you die" model in the model file (lapse/btyd.h): BG/NBD or
 * Pareto/NBD population parameters with their standard errors, and the
 * Gamma-Gamma spend model when it was fitted.
 *
 * Such a lapse_model holds nothing else: its btyd member points here, and
 * its feature list, scaler, segments, classifier, calibration and tiers are
 * empty (counts 0, pointers NULL). It is written as format version 3 with
 * sections BTYD and, when fitted, GGAM only (the layout is in
 * lapse/model.h). */
#ifndef LAPSE_MODEL_BTYD_H
#define LAPSE_MODEL_BTYD_H

#include "lapse/btyd.h"
#include "lapse/error.h"
#include "lapse/model.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct lapse_model_btyd {
    lapse_btyd_fit_result fit;
    int has_gamma_gamma;
    lapse_gammagamma_fit_result gamma_gamma; /* when has_gamma_gamma */
    uint32_t unit_days;    /* the unit of t_x, T, the horizon and rates: 1 days, 7 weeks */
    uint32_t horizon_days; /* the churn horizon of the feature table fitted on; 0 for a summary */
    uint64_t customers;    /* customers the fit used */
};

/* A new model holding a copy of btyd and nothing else (free with
 * lapse_model_free). Returns 0, LAPSE_ERR_ARG when btyd does not validate,
 * or LAPSE_ERR_NOMEM. */
int lapse_model_btyd_create(lapse_model **out, const lapse_model_btyd *btyd, lapse_error *err);

/* Checks a BTYD part: a known kind, unit 1 or 7, horizon at most
 * LAPSE_CHURN_MAX_DAYS, customers >= 1, parameters finite and > 0 (and
 * Gamma-Gamma's q > 1, so that mean spend is finite), standard errors
 * finite and >= 0 or NaN, log-likelihoods finite, the correlation in
 * [-1, 1] or NaN. Returns 0 or LAPSE_ERR_ARG naming the first problem. */
int lapse_model_btyd_validate(const lapse_model_btyd *btyd, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
