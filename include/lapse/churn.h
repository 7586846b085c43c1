/* What counts as churn: configuration, not code.
 *
 * A user is active at a snapshot when they had a key event within the last
 * silent_days days before it. An active user is labelled churned (1) when
 * they have no key event in [asof, asof + horizon_days). For subscription
 * products (cancel_is_churn) the label is instead a cancel event inside
 * that window, and users who cancelled before the snapshot and have not
 * purchased since are left out of the labelled set (lapse_churn_cancelled).
 * The definition travels with feature tables and models, so a
 * model is never applied to users defined another way.
 *
 * When: days_to_churn (lapse_churn_days_to_churn) is the day of the
 * window, 1..horizon_days, on which a churned row churned, and nothing for
 * every other row. "Churned within h days" is days_to_churn <= h: it grows
 * with h and at h = horizon_days is the label itself. */
#ifndef LAPSE_CHURN_H
#define LAPSE_CHURN_H

#include "lapse/category.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned key_mask;   /* bit (1u << lapse_category) per key category */
    int silent_days;     /* days without a key event that make a user silent */
    int horizon_days;    /* label window after the snapshot */
    int cancel_is_churn; /* 1: churn = a cancel event within the horizon */
} lapse_churn_def;

/* The `app` preset: key activity, 30 silent days, 30-day horizon. */
#define LAPSE_CHURN_DEF_INIT { 1u << LAPSE_CAT_ACTIVITY, 30, 30, 0 }

#define LAPSE_CHURN_MAX_DAYS 3650

/* Presets: game (7 days, activity), app (30, activity), ecommerce (30,
 * purchase), finance (90, activity), subscription (churn = a cancel; users
 * with any activity in the last 30 days). The horizon is left as it is.
 * Returns 0 or LAPSE_ERR_ARG for an unknown name. */
int lapse_churn_preset(lapse_churn_def *def, const char *name);

/* Parses a category list separated by ',' or '+' ("activity,purchase")
 * into a key mask. Returns 0 or LAPSE_ERR_ARG. */
int lapse_churn_parse_keys(unsigned *out, const char *text, size_t len);

/* Writes the key mask as "activity+purchase" into buf. */
void lapse_churn_format_keys(char *buf, size_t size, unsigned key_mask);

/* Checks ranges (1..LAPSE_CHURN_MAX_DAYS days, a non-empty key set). */
int lapse_churn_validate(const lapse_churn_def *def);

/* The fields of a definition, in the order of a table's meta line. */
typedef enum {
    LAPSE_CHURN_SAME = 0,    /* no field: the definitions are equal */
    LAPSE_CHURN_KEY,         /* key_mask */
    LAPSE_CHURN_SILENT_DAYS, /* silent_days */
    LAPSE_CHURN_HORIZON,     /* horizon_days */
    LAPSE_CHURN_KIND         /* cancel_is_churn */
} lapse_churn_field;

/* The first field in which a and b differ, or LAPSE_CHURN_SAME. */
lapse_churn_field lapse_churn_diff(const lapse_churn_def *a, const lapse_churn_def *b);

/* The field's name in a table's meta line: "key", "silent_days", "horizon"
 * or "churn"; NULL for LAPSE_CHURN_SAME. */
const char *lapse_churn_field_name(lapse_churn_field field);

/* 1 when both definitions label the same users the same way. */
int lapse_churn_equal(const lapse_churn_def *a, const lapse_churn_def *b);

/* No key event before the snapshot, for lapse_churn_active. */
#define LAPSE_CHURN_NEVER INT64_MIN

/* 1 when a user whose last key event before the snapshot day asof_day fell
 * on last_key_day (or LAPSE_CHURN_NEVER) is active at it: that event lies
 * within the silent_days days before it. Days are whole days in any one
 * count (days since 1970, days since the start of a log). */
int lapse_churn_active(const lapse_churn_def *def, int64_t last_key_day, int64_t asof_day);

/* For cancel_is_churn: 1 when a user has already cancelled at the snapshot:
 * their last cancel event before it fell on last_cancel_day, on or after the
 * day of their last purchase (a renewal or new subscription) before it,
 * last_purchase_day (either LAPSE_CHURN_NEVER). A purchase the same day does
 * not undo the cancel: the day cannot order them. Such a user has left, so
 * "a cancel in the horizon" would call them loyal: they are not labelled,
 * however active. Always 0 for other definitions. */
int lapse_churn_cancelled(const lapse_churn_def *def, int64_t last_cancel_day,
                          int64_t last_purchase_day);

/* The day of the window [asof_day, asof_day + horizon_days) on which a
 * row labelled 1 from the events churned, counted from 1 (the snapshot
 * day); 0 for a row not churned within the horizon.
 *
 * Silence: the user made no key event in the window (key_in_window 0), and
 * their last one before it fell on last_key_day. They go silent on the day
 * their silence reaches silent_days days: day last_key_day + silent_days,
 * which is window day last_key_day + silent_days - asof_day + 1 (at least 1,
 * as an active user's last key event lies within silent_days days of the
 * snapshot). When silent_days exceeds the horizon that day may lie beyond
 * the window; the label still calls a silent window churn, so the day is
 * capped at horizon_days. A user who makes a key event in the window has
 * not churned within it (label 0), even if a silence begins after it: the
 * label would call them stayed, and days_to_churn <= horizon must be it.
 * So the day is known at the snapshot, from the days since the last key
 * event k: min(horizon, silent_days + 1 - k); only whether the user stays
 * away is not. Any "within h" that grows with h and is the label at the
 * horizon holds only rows labelled 1, none of whom made a key event after
 * the snapshot, so no such day can depend on what happens after it.
 *
 * Cancel (cancel_is_churn): the window day of the first cancel event in it,
 * first_cancel_day (LAPSE_CHURN_NEVER: none, label 0). */
int lapse_churn_days_to_churn(const lapse_churn_def *def, int64_t asof_day, int64_t last_key_day,
                              int key_in_window, int64_t first_cancel_day);

#ifdef __cplusplus
}
#endif

#endif
