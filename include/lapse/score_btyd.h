/* Scoring with a BTYD model (lapse/model_btyd.h): per customer of a feature
 * table (every row with a purchase before its snapshot, at its own
 * snapshot) or of a summary table, for a horizon t in the model's unit:
 *   p_alive             P(alive) at the end of the observed period
 *   expected_purchases  E[purchases in the next t]
 *   p_churn             P(no purchase in the next t): what ranks a "no
 *                       purchase in the next t" churn label (a one-time
 *                       buyer is alive under BG/NBD, yet the likeliest to
 *                       buy nothing)
 *   expected_spend, clv with Gamma-Gamma: E[spend per purchase] and
 *                       expected_purchases x expected_spend, undiscounted
 * (lapse_btyd_predict). */
#ifndef LAPSE_SCORE_BTYD_H
#define LAPSE_SCORE_BTYD_H

#include "lapse/error.h"
#include "lapse/model.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t rows;        /* rows read */
    uint64_t written;     /* customers scored and written */
    uint64_t no_purchase; /* feature-table rows left out: no purchase before the snapshot */
    uint64_t zero_age;    /* ... first purchase the day before it (nothing observed yet) */
    double horizon;       /* the horizon used, in the model's unit */
} lapse_score_btyd_stats;

/* The default horizon, in the model's unit: the churn horizon of the table
 * it was fitted on, else 30 days. */
double lapse_score_btyd_horizon(const lapse_model *model);

/* Scores path (a feature table or a summary; not "-") with a BTYD model
 * for horizon (> 0, in the model's unit; 0: lapse_score_btyd_horizon) and
 * writes CSV to out: for a feature table
 *   user_id,asof,p_alive,expected_purchases,p_churn[,expected_spend,clv],label
 * for a summary
 *   user_id,p_alive,expected_purchases,p_churn[,expected_spend,clv]
 * (user_id: the summary's ID, or the row number from 1), after a
 * "# lapse-scores; warnings=" line when the table carried warnings or rows
 * were left out. stats may be NULL. Returns 0, or the readers' errors,
 * LAPSE_ERR_ARG (not a BTYD model, a bad horizon), LAPSE_ERR_RANGE (a
 * customer whose prediction does not converge), LAPSE_ERR_IO (a write),
 * LAPSE_ERR_NOMEM. */
int lapse_score_btyd(const lapse_model *model, const char *path, double horizon, FILE *out,
                     lapse_score_btyd_stats *stats, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
