/* The one feature table, and features computed from an accumulator.
 *
 * Days are UTC calendar days; "k days before asof" is asof's day minus the
 * event's day, so an event on the day before asof is 1 day ago. A trend
 * compares a recent period a with the period before it b as (a - b) / (a + b)
 * (from -1, all in the earlier period, to 1; 0 when both are 0). */
#include "features_internal.h"

#include "lapse/schema.h"

#include <math.h>
#include <string.h>

typedef enum {
    K_DAYS_SILENT, K_TENURE, K_SINCE_EVENT, K_SINCE, K_EVENTS_TOTAL, K_TOTAL, K_SPEND_TOTAL,
    K_ACTIVE_DAYS, K_COUNT, K_PER_SESSION, K_SPEND,
    K_TREND_SESSIONS, K_TREND_DEPTH, K_TREND_SPEND, K_TREND_CORE, K_CORE_DROP,
    K_LONGEST_GAP, K_GAP_MEAN, K_GAP_CV, K_SILENCE_VS_GAP, K_ACTIVE_SINCE_CORE, K_PAYMENT_STOPPED,
    K_SOCIAL_STOPPED, K_DEVICE_CHANGED,
    K_SHARE, K_COUPON_SHARE, K_SPEND_PER_PURCHASE, K_REPEAT, K_T_LAST, K_AGE,
    K_REFUNDS, K_REFUND_AMOUNT
} feature_kind;

typedef struct {
    lapse_feature_info info;
    unsigned char kind;
    unsigned char window; /* ACC_W* for windowed kinds */
    unsigned char category;
} feature_def;

#define F(name, meaning, xform, profile, kind, window, cat)                                       \
    { { name, meaning, xform, profile }, kind, window, cat }
#define NONE LAPSE_XFORM_NONE
#define LOG LAPSE_XFORM_LOG1P

#define SINCE(cat, CAT)                                                                           \
    F("days_since_" #cat, "days since the last " #cat " event; tenure_days + 1 when none", LOG,  \
      0, K_SINCE, 0, LAPSE_CAT_##CAT)

#define COUNT(cat, CAT, W, WI)                                                                    \
    F("events_" #cat "_" #W, #cat " events in the last " #W " days", LOG, 0, K_COUNT, WI,        \
      LAPSE_CAT_##CAT)

#define WINDOW(W, WI)                                                                             \
    F("active_days_" #W, "days with any event in the last " #W " days", NONE, 0, K_ACTIVE_DAYS, \
      WI, 0),                                                                                     \
    F("sessions_" #W,                                                                             \
      "sessions in the last " #W " days: a session starts with an activity event (login, "       \
      "app_open, session_start, open, visit)",                                                    \
      LOG, 0, K_COUNT, WI, LAPSE_CAT_ACTIVITY),                                                   \
    COUNT(core, CORE, W, WI), COUNT(purchase, PURCHASE, W, WI), COUNT(coupon, COUPON, W, WI),    \
    COUNT(social, SOCIAL, W, WI), COUNT(cancel, CANCEL, W, WI), COUNT(other, OTHER, W, WI),      \
    F("events_per_session_" #W,                                                                   \
      "interaction depth: events of any category per session in the last " #W                   \
      " days; 0 without sessions",                                                                \
      LOG, 0, K_PER_SESSION, WI, 0),                                                              \
    F("spend_" #W,                                                                                \
      "money spent (sum of amount) in the last " #W " days, net of refunds; at least 0", LOG, 0, \
      K_SPEND, WI, 0)

static const feature_def features[] = {
    F("days_silent",
      "days since the last key event (the churn definition's key categories); tenure_days when "
      "none",
      LOG, 0, K_DAYS_SILENT, 0, 0),
    F("tenure_days", "days since the user's first event", LOG, 0, K_TENURE, 0, 0),
    F("days_since_last_event", "current silence: days since the last event of any category",
      LOG, 0, K_SINCE_EVENT, 0, 0),
    SINCE(activity, ACTIVITY),
    SINCE(core, CORE),
    SINCE(purchase, PURCHASE),
    SINCE(coupon, COUPON),
    SINCE(social, SOCIAL),
    SINCE(cancel, CANCEL),
    SINCE(other, OTHER),
    F("events_total", "events of any category before asof", LOG, 0, K_EVENTS_TOTAL, 0, 0),
    F("purchases_total",
      "RFM frequency: purchase events before asof (RFM recency is days_since_purchase)", LOG, 0,
      K_TOTAL, 0, LAPSE_CAT_PURCHASE),
    F("spend_total",
      "RFM monetary: money spent (sum of amount) before asof, net of refunds; at least 0", LOG,
      0, K_SPEND_TOTAL, 0, 0),
    WINDOW(7, ACC_W7),
    WINDOW(14, ACC_W14),
    WINDOW(30, ACC_W30),
    WINDOW(90, ACC_W90),
    F("refunds_90",
      "refunds in the last 90 days: events with a negative amount (a purchase's refund, or one "
      "on any other event, such as a cancel's prorated refund)",
      LOG, 0, K_REFUNDS, 0, 0),
    F("refund_amount_90", "money refunded in the last 90 days (the negative amounts, as > 0)",
      LOG, 0, K_REFUND_AMOUNT, 0, 0),
    F("trend_sessions_7", "trend of sessions, last 7 days vs the 7 before", NONE, 0,
      K_TREND_SESSIONS, ACC_W7, 0),
    F("trend_sessions_30", "trend of sessions, last 30 days vs the 30 before", NONE, 0,
      K_TREND_SESSIONS, ACC_W30, 0),
    F("trend_depth_7", "trend of events per session, last 7 days vs the 7 before", NONE, 0,
      K_TREND_DEPTH, ACC_W7, 0),
    F("trend_depth_30", "trend of events per session, last 30 days vs the 30 before", NONE, 0,
      K_TREND_DEPTH, ACC_W30, 0),
    F("trend_spend_7", "trend of money spent, last 7 days vs the 7 before", NONE, 0,
      K_TREND_SPEND, ACC_W7, 0),
    F("trend_spend_30", "trend of money spent, last 30 days vs the 30 before", NONE, 0,
      K_TREND_SPEND, ACC_W30, 0),
    F("trend_core_7", "trend of core events, last 7 days vs the 7 before", NONE, 0,
      K_TREND_CORE, ACC_W7, 0),
    F("trend_core_30", "trend of core events, last 30 days vs the 30 before", NONE, 0,
      K_TREND_CORE, ACC_W30, 0),
    F("core_drop_30",
      "1 when core events in the last 30 days are at most 70% of the 30 days before (which had "
      "some)",
      NONE, 0, K_CORE_DROP, 0, 0),
    F("longest_gap_120",
      "longest gap in days between consecutive active days within the last 120 days (1 = "
      "active on consecutive days); 0 with fewer than 2 active days",
      LOG, 0, K_LONGEST_GAP, 0, 0),
    F("gap_mean_120", "mean of those gaps between active days (last 120 days); 0 when none",
      LOG, 0, K_GAP_MEAN, 0, 0),
    F("gap_cv_120",
      "coefficient of variation (population standard deviation / mean) of those gaps; 0 when "
      "none",
      NONE, 0, K_GAP_CV, 0, 0),
    F("silence_vs_gap_120",
      "current silence relative to the user's own rhythm: days_since_last_event / "
      "max(gap_mean_120, 1)",
      LOG, 0, K_SILENCE_VS_GAP, 0, 0),
    F("active_days_since_core",
      "active days without core use in a row: active days after the last day with a core "
      "event, looking back at most 120 days",
      LOG, 0, K_ACTIVE_SINCE_CORE, 0, 0),
    F("payment_stopped_30",
      "1 when the user bought in the 30 days before the last 30 but not in the last 30", NONE, 0,
      K_PAYMENT_STOPPED, 0, 0),
    F("social_stopped_14",
      "1 when the user had social events 15 to 30 days ago but none in the last 14 days", NONE,
      0, K_SOCIAL_STOPPED, 0, 0),
    F("device_changed_30",
      "1 when the device of the latest event before asof differs from that of the latest event "
      "before asof - 30 days (events with a device_id; latest by time, ties by device hash)",
      NONE, 0, K_DEVICE_CHANGED, 0, 0),
    F("share_core", "profile: share of events before asof that are core", NONE, 1, K_SHARE, 0,
      LAPSE_CAT_CORE),
    F("share_social", "profile: share of events before asof that are social", NONE, 1, K_SHARE,
      0, LAPSE_CAT_SOCIAL),
    F("share_coupon_purchases",
      "profile: coupon events per purchase event before asof, at most 1; 0 without purchases",
      NONE, 1, K_COUPON_SHARE, 0, 0),
    F("spend_per_purchase",
      "profile: spend_total / purchases_total; 0 without purchases", LOG, 1,
      K_SPEND_PER_PURCHASE, 0, 0),
    F("repeat_purchases",
      "x for purchase-history models: days with a purchase after the first such day (several "
      "purchases on one day count once, as the literature counts); 0 without purchases",
      LOG, 0, K_REPEAT, 0, 0),
    F("t_last_purchase_days", "t_x: days from the first purchase to the last; 0 without",
      LOG, 0, K_T_LAST, 0, 0),
    F("age_purchase_days",
      "T: days from the first purchase to the day before asof (the last day observed); 0 "
      "without purchases",
      LOG, 0, K_AGE, 0, 0),
};

#define FEATURE_COUNT (sizeof features / sizeof features[0])

size_t lapse_feature_count(void)
{
    return FEATURE_COUNT;
}

const lapse_feature_info *lapse_feature_get(size_t i)
{
    return i < FEATURE_COUNT ? &features[i].info : NULL;
}

int lapse_feature_find(const char *name)
{
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        if (strcmp(features[i].info.name, name) == 0)
            return (int)i;
    return -1;
}

uint64_t lapse_feature_schema_hash(void)
{
    const char *names[FEATURE_COUNT];
    for (size_t i = 0; i < FEATURE_COUNT; i++)
        names[i] = features[i].info.name;
    return lapse_schema_hash(names, FEATURE_COUNT);
}

static double trend(double recent, double before)
{
    return recent + before > 0 ? (recent - before) / (recent + before) : 0;
}

static int bit_set(const uint64_t bits[2], int k)
{
    return (int)(bits[(k - 1) >> 6] >> ((k - 1) & 63) & 1u);
}

/* Gaps between consecutive active days within the last ACC_GAP_DAYS. */
typedef struct {
    int count, longest;
    double mean, cv;
} gap_stats;

static gap_stats gaps(const lapse_acc *a)
{
    gap_stats g = { 0, 0, 0, 0 };
    int previous = 0, sum = 0;
    long sum_sq = 0;
    for (int k = 1; k <= ACC_GAP_DAYS; k++) {
        if (!bit_set(a->active_bits, k))
            continue;
        if (previous) {
            const int gap = k - previous;
            g.count++;
            sum += gap;
            sum_sq += (long)gap * gap;
            if (gap > g.longest)
                g.longest = gap;
        }
        previous = k;
    }
    if (g.count) {
        g.mean = (double)sum / g.count;
        const double variance = (double)sum_sq / g.count - g.mean * g.mean;
        g.cv = variance > 0 ? sqrt(variance) / g.mean : 0;
    }
    return g;
}

/* Spend net of refunds is at least 0: refunds of purchases made before a
 * window do not make it negative. */
static double money(int64_t micro)
{
    return micro > 0 ? (double)micro / 1e6 : 0;
}

void features_compute(const lapse_acc *a, const acc_snapshot *snap, double *out)
{
    const int32_t asof = snap->asof_day;
    const double tenure = a->first_inv ? asof - (ACC_FIRST_BASE - a->first_inv) : 0;
    uint32_t all[ACC_WINDOWS] = { 0 };
    uint32_t events_total = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        for (int w = 0; w < ACC_WINDOWS; w++)
            all[w] += a->count[w][c];
        events_total += a->total[c];
    }
    const gap_stats g = gaps(a);
    int32_t last1 = 0; /* 1 + the day of the last event of any category */
    for (int k = 0; k < LAPSE_CAT_COUNT; k++)
        if (a->last1[k] > last1)
            last1 = a->last1[k];
    const double silence = last1 ? asof - (last1 - 1) : 0;
    const uint32_t purchases = a->total[LAPSE_CAT_PURCHASE];
    for (size_t i = 0; i < FEATURE_COUNT; i++) {
        const feature_def *f = &features[i];
        const int w = f->window, c = f->category;
        /* Windowed pairs: recent period (window w) and the one before it. */
        const int wide = w == ACC_W7 ? ACC_W14 : ACC_W60;
        double v = 0;
        switch ((feature_kind)f->kind) {
        case K_DAYS_SILENT: {
            const int32_t last_key1 = acc_last_key1(a, snap->key_mask);
            v = last_key1 ? asof - (last_key1 - 1) : tenure;
            break;
        }
        case K_TENURE: v = tenure; break;
        case K_SINCE_EVENT: v = silence; break;
        case K_SINCE: v = a->last1[c] ? asof - (a->last1[c] - 1) : tenure + 1; break;
        case K_EVENTS_TOTAL: v = events_total; break;
        case K_TOTAL: v = a->total[c]; break;
        case K_SPEND_TOTAL: v = money(a->spend_total); break;
        case K_ACTIVE_DAYS: {
            static const int window_days[ACC_WINDOWS] = ACC_WINDOW_DAYS;
            int days = 0;
            for (int k = 1; k <= window_days[w]; k++)
                days += bit_set(a->active_bits, k);
            v = days;
            break;
        }
        case K_COUNT: v = a->count[w][c]; break;
        case K_PER_SESSION: {
            const uint32_t sessions = a->count[w][LAPSE_CAT_ACTIVITY];
            v = sessions ? (double)all[w] / sessions : 0;
            break;
        }
        case K_SPEND: v = money(a->spend[w]); break;
        case K_TREND_SESSIONS: {
            const double recent = a->count[w][LAPSE_CAT_ACTIVITY];
            v = trend(recent, a->count[wide][LAPSE_CAT_ACTIVITY] - recent);
            break;
        }
        case K_TREND_DEPTH: {
            const uint32_t s_recent = a->count[w][LAPSE_CAT_ACTIVITY];
            const uint32_t s_before = a->count[wide][LAPSE_CAT_ACTIVITY] - s_recent;
            const double recent = s_recent ? (double)all[w] / s_recent : 0;
            const double before = s_before ? (double)(all[wide] - all[w]) / s_before : 0;
            v = trend(recent, before);
            break;
        }
        case K_TREND_SPEND: {
            int64_t before; /* net spend in the period before, saturated */
            if (__builtin_sub_overflow(a->spend[wide], a->spend[w], &before))
                before = a->spend[wide] > 0 ? INT64_MAX : INT64_MIN;
            v = trend(money(a->spend[w]), money(before));
            break;
        }
        case K_TREND_CORE: {
            const double recent = a->count[w][LAPSE_CAT_CORE];
            v = trend(recent, a->count[wide][LAPSE_CAT_CORE] - recent);
            break;
        }
        case K_CORE_DROP: {
            const uint64_t recent = a->count[ACC_W30][LAPSE_CAT_CORE];
            const uint64_t before = a->count[ACC_W60][LAPSE_CAT_CORE] - recent;
            v = before > 0 && recent * 10 <= before * 7;
            break;
        }
        case K_LONGEST_GAP: v = g.longest; break;
        case K_GAP_MEAN: v = g.mean; break;
        case K_GAP_CV: v = g.cv; break;
        case K_SILENCE_VS_GAP: v = silence / (g.mean > 1 ? g.mean : 1); break;
        case K_ACTIVE_SINCE_CORE: {
            int days = 0;
            for (int k = 1; k <= ACC_GAP_DAYS && !bit_set(a->core_bits, k); k++)
                days += bit_set(a->active_bits, k);
            v = days;
            break;
        }
        case K_PAYMENT_STOPPED:
            v = a->count[ACC_W30][LAPSE_CAT_PURCHASE] == 0 &&
                a->count[ACC_W60][LAPSE_CAT_PURCHASE] > 0;
            break;
        case K_SOCIAL_STOPPED:
            v = a->count[ACC_W14][LAPSE_CAT_SOCIAL] == 0 &&
                a->count[ACC_W30][LAPSE_CAT_SOCIAL] > 0;
            break;
        case K_DEVICE_CHANGED:
            v = a->device_ts1[0] && a->device_ts1[1] && a->device[0] != a->device[1];
            break;
        case K_SHARE: v = events_total ? (double)a->total[c] / events_total : 0; break;
        case K_COUPON_SHARE: {
            const uint32_t coupons = a->total[LAPSE_CAT_COUPON];
            v = purchases ? (coupons >= purchases ? 1.0 : (double)coupons / purchases) : 0;
            break;
        }
        case K_SPEND_PER_PURCHASE: v = purchases ? money(a->spend_total) / purchases : 0; break;
        case K_REPEAT: v = a->purchase_days ? a->purchase_days - 1 : 0; break;
        case K_T_LAST:
            v = a->first_purchase_inv ? (a->last1[LAPSE_CAT_PURCHASE] - 1) -
                                            (ACC_FIRST_BASE - a->first_purchase_inv)
                                      : 0;
            break;
        case K_AGE:
            v = a->first_purchase_inv ? (asof - 1) - (ACC_FIRST_BASE - a->first_purchase_inv) : 0;
            break;
        case K_REFUNDS: v = a->refunds_90; break;
        case K_REFUND_AMOUNT: v = money(a->refund_90); break;
        }
        out[i] = v;
    }
}
