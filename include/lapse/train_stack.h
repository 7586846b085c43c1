/* Training a classifier stacked on a BTYD model (lapse train --with-btyd):
 *   1. the labelled rows are split as lapse_train splits them (same
 *      options, same rows);
 *   2. a BG/NBD or Pareto/NBD model is fitted on the training rows of the
 *      latest snapshot among them (one row per user; the held-out rows are
 *      never seen), from each row's repeat_purchases, t_last_purchase_days
 *      and age_purchase_days, as lapse train --model bgnbd fits a table;
 *   3. every row gets the feature LAPSE_BTYD_FEATURE: that model's
 *      probability of no purchase in the table's label horizon, or, for a
 *      row without a purchase before its snapshot or first seen buying the
 *      day before (T = 0), the feature's mean over the training rows that
 *      have one;
 *   4. lapse_train fits the classifier on the table with that column last,
 *      and again, for comparison, on the table as it is: the report gives
 *      both validation AUCs (same rows, same split, same options).
 * The model keeps the BTYD part (lapse/model_btyd.h, lapse_model_stack), so
 * lapse score computes the same feature for new rows. */
#ifndef LAPSE_TRAIN_STACK_H
#define LAPSE_TRAIN_STACK_H

#include "lapse/btyd.h"
#include "lapse/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    lapse_btyd_kind kind; /* BGNBD */
    unsigned unit_days;   /* 1 (days) or 7 (weeks): 1 */
} lapse_train_stack_options;

#define LAPSE_TRAIN_STACK_OPTIONS_INIT { LAPSE_BTYD_BGNBD, 1 }

typedef struct {
    size_t customers;          /* training rows the BTYD model was fitted on */
    int64_t fit_asof;          /* their snapshot */
    size_t filled_rows;        /* rows of the table given the fill value */
    lapse_train_report without; /* the classifier fitted without the feature */
} lapse_train_stack_report;

/* Trains a stacked model on table (see above); *out as lapse_train's (its
 * stack member set), report (may be NULL) that of the stacked classifier,
 * stack_report (may be NULL) the rest. Returns lapse_train's codes, and
 *   LAPSE_ERR_ARG     a table of one's own (no purchase columns to stack
 *                     on), horizons, a bad kind or unit
 *   LAPSE_ERR_SCHEMA  a table without the purchase columns
 *   LAPSE_ERR_FORMAT  a row no purchase history gives (user and snapshot)
 *   LAPSE_ERR_RANGE   no training customer to fit, or a fit that fails */
int lapse_train_stacked(lapse_model **out, lapse_train_report *report,
                        lapse_train_stack_report *stack_report, const lapse_table *table,
                        const lapse_train_options *opts, const lapse_train_stack_options *sopts,
                        lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
