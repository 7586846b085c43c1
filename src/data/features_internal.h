/* Internal: what extract keeps per (user, snapshot), and how features come
 * out of it.
 *
 * Every field is a sum, max or OR over events, so threads may add a user's
 * events in any order and get the same bytes. All fields start at 0
 * (a zeroed array is a set of empty accumulators): days are stored so that
 * "none" is 0 and later/earlier is a max. Money is summed in integer
 * micro-units (amount rounded to 1e-6), so sums are exact and independent of
 * the order of addition; they saturate at INT64_MAX (or INT64_MIN). Spend is
 * net of refunds (negative amounts). The one field that is not such a sum,
 * purchase_days (distinct days, a set's size), is counted by extract's
 * set of (user, purchase day) pairs (extract_days.c), which adds 1 the
 * first time it sees a day: acc_add and acc_merge leave it alone. 336
 * bytes. */
#ifndef LAPSE_FEATURES_INTERNAL_H
#define LAPSE_FEATURES_INTERNAL_H

#include "lapse/category.h"
#include "lapse/features.h"
#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <stdint.h>

/* Counting windows, in days before asof; 60 serves the 30-day trends. */
enum { ACC_W7, ACC_W14, ACC_W30, ACC_W60, ACC_W90, ACC_WINDOWS };
#define ACC_WINDOW_DAYS { 7, 14, 30, 60, 90 }
/* Day bitmaps cover the last 128 days; gap features use 120 of them. */
#define ACC_BITMAP_DAYS 128
#define ACC_GAP_DAYS 120
/* "none" for first-day fields, stored as FIRST_BASE - day (larger = earlier). */
#define ACC_FIRST_BASE INT32_MAX

typedef struct {
    uint32_t count[ACC_WINDOWS][LAPSE_CAT_COUNT]; /* events per window and category */
    uint32_t total[LAPSE_CAT_COUNT];              /* events before asof per category */
    int64_t spend[ACC_WINDOWS];                   /* micro-units per window, net of refunds */
    int64_t spend_total;
    int64_t refund_90;       /* micro-units refunded in the last 90 days (> 0) */
    uint32_t refunds_90;     /* refunds (events with an amount < 0) in the last 90 days */
    uint32_t purchase_days;  /* distinct days with a purchase before asof (see above) */
    uint64_t active_bits[2]; /* bit k-1: an event k days before asof (k = 1..128) */
    uint64_t core_bits[2];   /* the same for core events */
    int64_t device_ts1[2];   /* ts + 1 of the latest event with a device: [0] before asof,
                                [1] before asof - 30 days; 0 none */
    uint64_t device[2];      /* its device hash (ties: the larger hash) */
    int32_t first_inv;          /* ACC_FIRST_BASE - first day; 0 none */
    int32_t first_purchase_inv; /* ACC_FIRST_BASE - first purchase day; 0 none */
    int32_t last1[LAPSE_CAT_COUNT]; /* 1 + last day per category; 0 none */
    uint8_t label;              /* after asof: bit 0 a key event in the horizon, bit 1 a cancel */
    uint16_t cancel_first_inv;  /* horizon_end - day of the first cancel in the horizon; 0 none */
} lapse_acc;

/* One snapshot as the hot path needs it. */
typedef struct {
    int32_t asof_day;
    int32_t horizon_end;   /* asof_day + horizon_days */
    int64_t asof_ts;
    int64_t device_cut_ts; /* asof - 30 days */
    unsigned key_mask;
} acc_snapshot;

static inline int64_t acc_sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static inline void acc_device(lapse_acc *a, int slot, int64_t ts1, uint64_t device)
{
    if (ts1 > a->device_ts1[slot] || (ts1 == a->device_ts1[slot] && device > a->device[slot])) {
        a->device_ts1[slot] = ts1;
        a->device[slot] = device;
    }
}

/* Adds one event (its day, and its amount in micro-units) to a snapshot. */
static inline void acc_add(lapse_acc *a, const acc_snapshot *snap, const lapse_event *event,
                           int32_t day, int64_t micro)
{
    const int c = event->category;
    if (day >= snap->asof_day) {
        if (day < snap->horizon_end) {
            a->label |= (uint8_t)(((snap->key_mask >> c) & 1u) | (c == LAPSE_CAT_CANCEL) << 1);
            const uint16_t cancel_inv = (uint16_t)(snap->horizon_end - day); /* <= 3650 */
            if (c == LAPSE_CAT_CANCEL && cancel_inv > a->cancel_first_inv)
                a->cancel_first_inv = cancel_inv;
        }
        return;
    }
    static const int32_t window_days[ACC_WINDOWS] = ACC_WINDOW_DAYS;
    const int32_t k = snap->asof_day - day; /* 1 = the day before asof */
    a->total[c]++;
    for (int w = 0; w < ACC_WINDOWS; w++)
        a->count[w][c] += k <= window_days[w];
    if (micro) {
        a->spend_total = acc_sat_add(a->spend_total, micro);
        for (int w = 0; w < ACC_WINDOWS; w++)
            if (k <= window_days[w])
                a->spend[w] = acc_sat_add(a->spend[w], micro);
        if (micro < 0 && k <= window_days[ACC_W90]) {
            a->refunds_90++;
            a->refund_90 = acc_sat_add(a->refund_90, -micro);
        }
    }
    if (k <= ACC_BITMAP_DAYS) {
        const uint64_t bit = 1ull << ((k - 1) & 63);
        a->active_bits[(k - 1) >> 6] |= bit;
        if (c == LAPSE_CAT_CORE)
            a->core_bits[(k - 1) >> 6] |= bit;
    }
    const int32_t first_inv = ACC_FIRST_BASE - day;
    if (first_inv > a->first_inv)
        a->first_inv = first_inv;
    if (c == LAPSE_CAT_PURCHASE && first_inv > a->first_purchase_inv)
        a->first_purchase_inv = first_inv;
    if (day + 1 > a->last1[c])
        a->last1[c] = day + 1;
    if (event->has_device) {
        acc_device(a, 0, event->ts + 1, event->device_hash);
        if (event->ts < snap->device_cut_ts)
            acc_device(a, 1, event->ts + 1, event->device_hash);
    }
}

/* Adds the events b holds to a: the result is the accumulator of both sets
 * of events, whatever the split (extract --merge, extract_partial.c), but
 * for purchase_days: a day both saw counts once, so the merge adds b's
 * purchase days to the set instead. */
static inline void acc_merge(lapse_acc *a, const lapse_acc *b)
{
    for (int w = 0; w < ACC_WINDOWS; w++) {
        for (int c = 0; c < LAPSE_CAT_COUNT; c++)
            a->count[w][c] += b->count[w][c];
        a->spend[w] = acc_sat_add(a->spend[w], b->spend[w]);
    }
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        a->total[c] += b->total[c];
        if (b->last1[c] > a->last1[c])
            a->last1[c] = b->last1[c];
    }
    a->spend_total = acc_sat_add(a->spend_total, b->spend_total);
    a->refund_90 = acc_sat_add(a->refund_90, b->refund_90);
    a->refunds_90 += b->refunds_90;
    for (int i = 0; i < 2; i++) {
        a->active_bits[i] |= b->active_bits[i];
        a->core_bits[i] |= b->core_bits[i];
        if (b->device_ts1[i])
            acc_device(a, i, b->device_ts1[i], b->device[i]);
    }
    if (b->first_inv > a->first_inv)
        a->first_inv = b->first_inv;
    if (b->first_purchase_inv > a->first_purchase_inv)
        a->first_purchase_inv = b->first_purchase_inv;
    a->label |= b->label;
    if (b->cancel_first_inv > a->cancel_first_inv)
        a->cancel_first_inv = b->cancel_first_inv;
}

/* The user had an event before asof. */
static inline int acc_seen(const lapse_acc *a)
{
    return a->first_inv != 0;
}

/* 1 + the day of the last key event before asof, 0 when none. */
static inline int32_t acc_last_key1(const lapse_acc *a, unsigned key_mask)
{
    int32_t last = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        if ((key_mask >> c & 1u) && a->last1[c] > last)
            last = a->last1[c];
    return last;
}

/* Writes lapse_feature_count() values. */
void features_compute(const lapse_acc *a, const acc_snapshot *snap, double *out);

#endif
