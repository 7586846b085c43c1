/* Training a "buy 'til you die" model (lapse/btyd.h, lapse/model_btyd.h):
 * BG/NBD or Pareto/NBD, and optionally Gamma-Gamma, by maximum likelihood
 * on the customers of
 *   - feature tables (lapse extract): the rows of the latest snapshot, a
 *     customer per user with a purchase before it: x = repeat_purchases,
 *     t_x = t_last_purchase_days, T = age_purchase_days (divided by the
 *     unit), m = spend_per_purchase (mean spend over all purchases, the
 *     first included: the table has no mean of the repeat purchases alone);
 *     users without a purchase, and those whose first purchase was the day
 *     before the snapshot (T = 0: nothing observed yet), are left out and
 *     counted; or
 *   - a summary table (ID,frequency,recency,T[,monetary_value]; times in
 *     the unit given), told apart by the feature table's meta line. */
#ifndef LAPSE_TRAIN_BTYD_H
#define LAPSE_TRAIN_BTYD_H

#include "lapse/btyd.h"
#include "lapse/error.h"
#include "lapse/model.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    lapse_btyd_kind kind; /* BGNBD */
    int gamma_gamma;      /* nonzero: also fit Gamma-Gamma on repeat buyers' mean spend */
    unsigned unit_days;   /* 1 (days) or 7 (weeks): 1 */
} lapse_train_btyd_options;

#define LAPSE_TRAIN_BTYD_OPTIONS_INIT { LAPSE_BTYD_BGNBD, 0, 1 }

typedef struct {
    int from_summary;       /* the input was a summary table */
    int64_t asof;           /* feature tables: the snapshot fitted; -1 for a summary */
    size_t rows;            /* rows read */
    size_t customers;       /* customers fitted */
    size_t no_purchase;     /* rows left out: no purchase before the snapshot */
    size_t zero_age;        /* rows left out: T = 0 */
    size_t other_snapshots; /* rows of earlier snapshots, not fitted */
    double seconds;         /* wall time of the fits */
} lapse_train_btyd_report;

/* Fits a model on paths (one summary, or feature tables) and returns it in
 * *out (free with lapse_model_free; NULL on failure). report may be NULL.
 * Returns 0, or the readers' errors (a summary's name file, line and
 * column; a table row is named by user and snapshot), LAPSE_ERR_SCHEMA (no
 * purchase columns), LAPSE_ERR_RANGE (no customer to fit, fewer than two
 * repeat buyers for Gamma-Gamma, a Gamma-Gamma fit with q <= 1, or a
 * likelihood that cannot be evaluated), LAPSE_ERR_ARG, LAPSE_ERR_NOMEM. */
int lapse_train_btyd(lapse_model **out, lapse_train_btyd_report *report,
                     const char *const *paths, size_t n_paths,
                     const lapse_train_btyd_options *opts, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
