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

/* A classifier stacked on a BTYD model (lapse train --with-btyd): the
 * classifier's last feature, LAPSE_BTYD_FEATURE, is not a table column but
 * the BTYD probability of no purchase in the churn horizon, computed from
 * the row's purchases_total, repeat_purchases, t_last_purchase_days and
 * age_purchase_days (which the table must have). A row without a purchase
 * before its snapshot, or whose first purchase was the day before it (T =
 * 0), has no BTYD prediction and gets fill instead. */
#define LAPSE_BTYD_FEATURE "btyd_p_no_purchase"

struct lapse_model_stack {
    lapse_model_btyd btyd; /* fitted on the training rows only; no Gamma-Gamma; horizon_days
                            * the table's label horizon */
    double fill;           /* the feature where there is no prediction: its mean over the
                            * training rows that have one */
    double auc_without;    /* validation AUC of the same classifier without the feature,
                            * fitted in the same run on the same rows; NaN when not measured */
    double auc_se_without; /* its DeLong standard error; NaN when not measured */
};

/* Checks a stack part against its model: the BTYD part as above without
 * Gamma-Gamma and with the model's horizon, the last feature named
 * LAPSE_BTYD_FEATURE, the four purchase columns among the others, fill in
 * [0, 1], the figures in [0, 1] or NaN. Returns 0 or LAPSE_ERR_ARG. */
int lapse_model_stack_validate(const lapse_model *model, lapse_error *err);

/* The features a table must provide: the model's, less LAPSE_BTYD_FEATURE
 * for a stacked model. */
size_t lapse_model_input_features(const lapse_model *model);

/* Fills the last of width columns of n rows (row-major) with the stacked
 * feature, from the purchase columns at col[0..4) (purchases_total,
 * repeat_purchases, t_last_purchase_days, age_purchase_days). Returns 0, or
 * LAPSE_ERR_FORMAT with *bad_row set for a row that no purchase history
 * gives (negative or fractional counts, recency after age, more repeat
 * purchases than purchases): the message names the problem, the caller
 * the row; or LAPSE_ERR_RANGE (lapse_btyd_predict's, *bad_row SIZE_MAX),
 * LAPSE_ERR_NOMEM. */
int lapse_model_stack_fill(const lapse_model_stack *stack, const size_t col[4], double *x,
                           size_t n, size_t width, size_t *bad_row, lapse_error *err);

/* The column of each purchase feature (in the order above) among n names,
 * or LAPSE_ERR_SCHEMA naming the first missing one. */
int lapse_model_stack_columns(size_t col[4], const char *const *names, size_t n,
                              lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
