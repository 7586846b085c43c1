/* Internal: the customers a BTYD model fits or scores, from either input
 * lapse train and score take: a lapse feature table (repeat_purchases,
 * t_last_purchase_days, age_purchase_days, spend_per_purchase, for the
 * users with a purchase before their snapshot) or a plain summary table
 * (lapse_btyd_summary_read). */
#ifndef LAPSE_BTYD_INPUT_H
#define LAPSE_BTYD_INPUT_H

#include "lapse/btyd.h"
#include "lapse/error.h"
#include "lapse/table.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    lapse_btyd_data *data;  /* the customers, times in the unit; ids NULL for a summary
                             * without an ID column */
    lapse_table *table;     /* feature tables: the whole table; NULL for a summary */
    size_t *row;            /* feature tables: data index -> table row */
    size_t rows;            /* rows read */
    size_t no_purchase;     /* feature-table rows left out: no purchase before asof */
    size_t zero_age;        /* ... and first purchase the day before asof (T = 0) */
    size_t other_snapshots; /* ... and rows of snapshots before the latest (latest_only) */
    int64_t asof;           /* feature tables with latest_only: the snapshot kept; else -1 */
} btyd_input;

/* Reads paths (a summary is a single file; "-" is refused, since the kind
 * of input is told by its first bytes). unit_days: 1 or 7. latest_only:
 * keep the rows of the latest snapshot only (fitting: one row per user).
 * with_spend: fill data->m (a table's spend_per_purchase). Returns 0, or
 * the readers' errors, LAPSE_ERR_SCHEMA (a table without a purchase
 * column), LAPSE_ERR_FORMAT (a row no purchase history gives: negative
 * or fractional counts, recency after age; named by user and snapshot),
 * LAPSE_ERR_RANGE (no customer left), LAPSE_ERR_ARG, LAPSE_ERR_NOMEM. */
int btyd_input_read(btyd_input *out, const char *const *paths, size_t n_paths, double unit_days,
                    int latest_only, int with_spend, lapse_error *err);

void btyd_input_free(btyd_input *in); /* accepts an input read or zeroed */

#endif
