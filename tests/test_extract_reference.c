/* The fast path against a slow, obviously correct reference.
 *
 * A generated log (a few thousand users; shuffled rows over several files,
 * plain, gzip and two-member gzip; duplicate rows; timestamps with zone
 * offsets and in milliseconds; events on window edges and after asof; users
 * with one event) is kept in memory as ground truth. The reference computes
 * every feature by name from its definition over the user's events (the
 * log has users with several purchases on one day, in different files: the
 * purchase days count them once); the
 * extractor must agree on every row, feature and label, with 1 and 3
 * threads, and write byte-identical tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define USERS 2500
#define DAY0 20454 /* 2026-01-01 */

typedef struct {
    int user;
    int64_t ts;
    int cat;
    int has_amount;
    int64_t cents; /* < 0: a refund */
    int device;    /* -1: none */
    const char *name;
} ref_event;

static ref_event *events;
static size_t event_count, event_capacity;

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static int uniform(int n)
{
    return (int)(next_random() % (uint64_t)n);
}

static const struct {
    const char *name;
    int cat;
} names[] = {
    { "login", LAPSE_CAT_ACTIVITY },   { "app_open", LAPSE_CAT_ACTIVITY },
    { "core_use", LAPSE_CAT_CORE },    { "play", LAPSE_CAT_CORE },
    { "purchase", LAPSE_CAT_PURCHASE }, { "coupon_use", LAPSE_CAT_COUPON },
    { "share", LAPSE_CAT_SOCIAL },     { "cancel", LAPSE_CAT_CANCEL },
    { "tutorial", LAPSE_CAT_OTHER },   { "Login", LAPSE_CAT_OTHER },
};

static void add_event(int user, int64_t ts)
{
    if (event_count == event_capacity) {
        event_capacity = event_capacity ? event_capacity * 2 : 65536;
        events = realloc(events, event_capacity * sizeof *events);
        assert_non_null(events);
    }
    const int n = uniform(10);
    ref_event *e = &events[event_count++];
    e->user = user;
    e->ts = ts;
    e->name = names[n].name;
    e->cat = names[n].cat;
    e->has_amount = e->cat == LAPSE_CAT_PURCHASE || uniform(20) == 0;
    e->cents = e->has_amount ? uniform(100000) : 0;
    /* Refunds, of purchases (then no purchase: other) and on other events. */
    if (e->has_amount && uniform(8) == 0) {
        e->cents = -1 - e->cents;
        if (e->cat == LAPSE_CAT_PURCHASE)
            e->cat = LAPSE_CAT_OTHER;
    }
    e->device = uniform(3) ? (user * 7 + uniform(2)) % 50 : -1;
}

/* Snapshots: day 150 and day 170 after DAY0; data runs to day 215. */
static const int snap_days[2] = { DAY0 + 150, DAY0 + 170 };

static void generate(void)
{
    for (int u = 0; u < USERS; u++) {
        const int kind = uniform(10);
        const int64_t base = (int64_t)DAY0 * 86400;
        if (kind == 0) { /* one event */
            add_event(u, base + (int64_t)uniform(216 * 86400));
            continue;
        }
        const int n = 1 + uniform(kind < 5 ? 15 : 80);
        const int start = uniform(200), span = 1 + uniform(216 - start);
        for (int i = 0; i < n; i++)
            add_event(u, base + (int64_t)(start + uniform(span)) * 86400 + uniform(86400));
        /* Window edges: exactly k days before a snapshot, and on it. */
        static const int edges[] = { 0, 1, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91, 120, 121, 128 };
        if (kind == 9)
            add_event(u, (int64_t)(snap_days[0] - edges[uniform(15)]) * 86400 +
                             (uniform(2) ? 0 : 86399));
    }
    /* The last event fixes the end of the data. */
    add_event(0, (int64_t)(DAY0 + 215) * 86400 + 5);
}

static void format_row(char *buf, size_t size, const ref_event *e)
{
    char ts[64];
    const int form = uniform(4);
    if (form == 0) {
        snprintf(ts, sizeof ts, "%lld", (long long)e->ts);
    } else if (form == 1) {
        snprintf(ts, sizeof ts, "%lld%03d", (long long)e->ts, uniform(1000));
    } else {
        /* ISO with a zone offset: local time = UTC + offset. */
        const int offset_min = form == 2 ? 0 : (uniform(27) - 12) * 60 + (uniform(2) ? 30 : 0);
        const int64_t local = e->ts + offset_min * 60;
        char date[11];
        lapse_time_format_date(date, local);
        const int64_t rest = local - lapse_day_of(local) * 86400;
        const int a = offset_min < 0 ? -offset_min : offset_min;
        snprintf(ts, sizeof ts, "%sT%02d:%02d:%02d.%03d%c%02d:%02d", date, (int)(rest / 3600),
                 (int)(rest / 60 % 60), (int)(rest % 60), uniform(1000),
                 offset_min < 0 ? '-' : '+', a / 60, a % 60);
    }
    char amount[32] = "";
    if (e->has_amount) {
        const int64_t cents = e->cents < 0 ? -e->cents : e->cents;
        snprintf(amount, sizeof amount, "%s%lld.%02lld", e->cents < 0 ? "-" : "",
                 (long long)(cents / 100), (long long)(cents % 100));
    }
    char device[16] = "";
    if (e->device >= 0)
        snprintf(device, sizeof device, "dev%d", e->device);
    /* Columns in an odd order, with one the extractor ignores. */
    snprintf(buf, size, "%s,x%d,%s,u%05d,%s,%s\n", amount, uniform(9), e->name, e->user, ts,
             device);
}

static void write_logs(void)
{
    /* Duplicate rows: byte-identical copies, which are events too. */
    const size_t originals = event_count;
    size_t *source = malloc((originals + originals / 10 + 16) * sizeof *source);
    for (size_t i = 0; i < originals; i++) {
        source[i] = i;
        if (uniform(40) == 0) {
            const ref_event copy = events[i];
            add_event(0, 0);
            events[event_count - 1] = copy;
            source[event_count - 1] = i;
        }
    }
    char **lines = calloc(event_count, sizeof *lines);
    size_t *order = malloc(event_count * sizeof *order);
    for (size_t i = 0; i < event_count; i++) {
        char line[256];
        if (source[i] == i) {
            format_row(line, sizeof line, &events[i]);
            lines[i] = strdup(line);
        }
        order[i] = i;
    }
    for (size_t i = 0; i < event_count; i++)
        if (source[i] != i)
            lines[i] = strdup(lines[source[i]]);
    /* Shuffled, and dealt over three files. */
    for (size_t i = event_count - 1; i > 0; i--) {
        const size_t j = next_random() % (i + 1);
        const size_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    FILE *plain = fopen("ref_a.csv", "wb");
    gzFile gz = gzopen("ref_b.csv.gz", "wb");
    gzFile gz2 = gzopen("ref_c1.gz", "wb");
    const char *header = "amount,junk,event,user_id,ts,device_id\n";
    fputs(header, plain);
    gzputs(gz, header);
    gzputs(gz2, header);
    for (size_t i = 0; i < event_count; i++) {
        const char *line = lines[order[i]];
        if (i % 3 == 0)
            fputs(line, plain);
        else if (i % 3 == 1)
            gzputs(gz, line);
        else
            gzputs(gz2, line);
        if (i == event_count / 2) { /* a second gzip member in the third file */
            gzclose(gz2);
            gz2 = gzopen("ref_c2.gz", "wb");
        }
    }
    fclose(plain);
    gzclose(gz);
    gzclose(gz2);
    FILE *out = fopen("ref_c.csv.gz", "wb");
    for (int part = 1; part <= 2; part++) {
        FILE *in = fopen(part == 1 ? "ref_c1.gz" : "ref_c2.gz", "rb");
        char buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, in)) > 0)
            fwrite(buf, 1, got, out);
        fclose(in);
    }
    fclose(out);
    remove("ref_c1.gz");
    remove("ref_c2.gz");
    for (size_t i = 0; i < event_count; i++)
        free(lines[i]);
    free(lines);
    free(order);
    free(source);
}

/* ---- The reference: every feature from its definition. ---- */

typedef struct {
    const ref_event **list;
    size_t n;
} user_events;

static int64_t day_of(const ref_event *e)
{
    return lapse_day_of(e->ts);
}

/* Events of category cat (-1: any) with asof - w <= day < asof. */
static double count_in(const user_events *u, int asof, int cat, int from_k, int to_k)
{
    double n = 0;
    for (size_t i = 0; i < u->n; i++) {
        const int64_t k = asof - day_of(u->list[i]);
        if (k >= from_k && k <= to_k && (cat < 0 || u->list[i]->cat == cat))
            n++;
    }
    return n;
}

/* Net spend, at least 0: purchases less refunds (on any event). */
static double spend_in(const user_events *u, int asof, int from_k, int to_k)
{
    int64_t cents = 0;
    for (size_t i = 0; i < u->n; i++) {
        const ref_event *e = u->list[i];
        const int64_t k = asof - day_of(e);
        /* Amounts on other events (a viewed item's price) are not spend. */
        if (k >= from_k && k <= to_k && e->has_amount &&
            (e->cat == LAPSE_CAT_PURCHASE || e->cents < 0))
            cents += e->cents;
    }
    return cents > 0 ? (double)(cents * 10000) / 1e6 : 0;
}

/* Refunds in days [1, 90] before asof: how many, or how much. */
static double refunds_in(const user_events *u, int asof, int amount)
{
    int64_t n = 0, cents = 0;
    for (size_t i = 0; i < u->n; i++) {
        const ref_event *e = u->list[i];
        const int64_t k = asof - day_of(e);
        if (k >= 1 && k <= 90 && e->has_amount && e->cents < 0) {
            n++;
            cents -= e->cents;
        }
    }
    return amount ? (double)(cents * 10000) / 1e6 : (double)n;
}

static int active_day(const user_events *u, int asof, int k, int cat)
{
    for (size_t i = 0; i < u->n; i++)
        if (asof - day_of(u->list[i]) == k && (cat < 0 || u->list[i]->cat == cat))
            return 1;
    return 0;
}

/* Most recent day (largest) of a category before asof; -1 none. */
static int64_t last_day(const user_events *u, int asof, unsigned mask)
{
    int64_t last = -1;
    for (size_t i = 0; i < u->n; i++) {
        const int64_t d = day_of(u->list[i]);
        if (d < asof && (mask >> u->list[i]->cat & 1u) && d > last)
            last = d;
    }
    return last;
}

static int64_t first_day(const user_events *u, int asof, unsigned mask)
{
    int64_t first = INT64_MAX;
    for (size_t i = 0; i < u->n; i++) {
        const int64_t d = day_of(u->list[i]);
        if (d < asof && (mask >> u->list[i]->cat & 1u) && d < first)
            first = d;
    }
    return first == INT64_MAX ? -1 : first;
}

static double trend(double a, double b)
{
    return a + b > 0 ? (a - b) / (a + b) : 0;
}

static int cat_of(const char *name)
{
    static const char *const cats[] = { "activity", "core", "purchase", "coupon",
                                        "social", "cancel", "other" };
    for (int c = 0; c < 7; c++)
        if (strcmp(name, cats[c]) == 0)
            return c;
    return -2;
}

/* Latest device event with ts < cut: its device, or -1. */
static int latest_device(const user_events *u, int64_t cut)
{
    int64_t best_ts = -1;
    uint64_t best_hash = 0;
    int best = -1;
    for (size_t i = 0; i < u->n; i++) {
        const ref_event *e = u->list[i];
        if (e->device < 0 || e->ts >= cut)
            continue;
        char id[16];
        snprintf(id, sizeof id, "dev%d", e->device);
        const uint64_t h = lapse_hash(id, strlen(id));
        if (e->ts > best_ts || (e->ts == best_ts && h > best_hash)) {
            best_ts = e->ts;
            best_hash = h;
            best = e->device;
        }
    }
    return best;
}

static double reference(const char *name, const user_events *u, int asof, unsigned key_mask)
{
    const unsigned all = 0x7f;
    const double tenure = (double)(asof - first_day(u, asof, all));
    char cat[32];
    int w;
    if (strcmp(name, "days_silent") == 0) {
        const int64_t last = last_day(u, asof, key_mask);
        return last >= 0 ? (double)(asof - last) : tenure;
    }
    if (strcmp(name, "tenure_days") == 0)
        return tenure;
    if (strcmp(name, "days_since_last_event") == 0)
        return (double)(asof - last_day(u, asof, all));
    if (sscanf(name, "days_since_%31s", cat) == 1 && cat_of(cat) >= 0) {
        const int64_t last = last_day(u, asof, 1u << cat_of(cat));
        return last >= 0 ? (double)(asof - last) : tenure + 1;
    }
    if (strcmp(name, "events_total") == 0)
        return count_in(u, asof, -1, 1, 1 << 30);
    if (strcmp(name, "purchases_total") == 0)
        return count_in(u, asof, LAPSE_CAT_PURCHASE, 1, 1 << 30);
    if (strcmp(name, "spend_total") == 0)
        return spend_in(u, asof, 1, 1 << 30);
    if (sscanf(name, "active_days_%d", &w) == 1) {
        int n = 0;
        for (int k = 1; k <= w; k++)
            n += active_day(u, asof, k, -1);
        return n;
    }
    if (sscanf(name, "sessions_%d", &w) == 1)
        return count_in(u, asof, LAPSE_CAT_ACTIVITY, 1, w);
    if (sscanf(name, "events_per_session_%d", &w) == 1) {
        const double s = count_in(u, asof, LAPSE_CAT_ACTIVITY, 1, w);
        return s ? count_in(u, asof, -1, 1, w) / s : 0;
    }
    if (strcmp(name, "refunds_90") == 0)
        return refunds_in(u, asof, 0);
    if (strcmp(name, "refund_amount_90") == 0)
        return refunds_in(u, asof, 1);
    if (sscanf(name, "spend_%d", &w) == 1)
        return spend_in(u, asof, 1, w);
    if (strncmp(name, "events_", 7) == 0) {
        const char *under = strrchr(name, '_');
        memcpy(cat, name + 7, (size_t)(under - name - 7));
        cat[under - name - 7] = '\0';
        return count_in(u, asof, cat_of(cat), 1, atoi(under + 1));
    }
    if (sscanf(name, "trend_sessions_%d", &w) == 1)
        return trend(count_in(u, asof, LAPSE_CAT_ACTIVITY, 1, w),
                     count_in(u, asof, LAPSE_CAT_ACTIVITY, w + 1, 2 * w));
    if (sscanf(name, "trend_core_%d", &w) == 1)
        return trend(count_in(u, asof, LAPSE_CAT_CORE, 1, w),
                     count_in(u, asof, LAPSE_CAT_CORE, w + 1, 2 * w));
    if (sscanf(name, "trend_spend_%d", &w) == 1)
        return trend(spend_in(u, asof, 1, w), spend_in(u, asof, w + 1, 2 * w));
    if (sscanf(name, "trend_depth_%d", &w) == 1) {
        const double s1 = count_in(u, asof, LAPSE_CAT_ACTIVITY, 1, w);
        const double s2 = count_in(u, asof, LAPSE_CAT_ACTIVITY, w + 1, 2 * w);
        return trend(s1 ? count_in(u, asof, -1, 1, w) / s1 : 0,
                     s2 ? count_in(u, asof, -1, w + 1, 2 * w) / s2 : 0);
    }
    if (strcmp(name, "core_drop_30") == 0) {
        const double recent = count_in(u, asof, LAPSE_CAT_CORE, 1, 30);
        const double before = count_in(u, asof, LAPSE_CAT_CORE, 31, 60);
        return before > 0 && recent <= 0.7 * before + 1e-9;
    }
    if (strncmp(name, "longest_gap", 11) == 0 || strncmp(name, "gap_", 4) == 0 ||
        strcmp(name, "silence_vs_gap_120") == 0) {
        int previous = 0, gaps[120], n = 0;
        for (int k = 1; k <= 120; k++) {
            if (!active_day(u, asof, k, -1))
                continue;
            if (previous)
                gaps[n++] = k - previous;
            previous = k;
        }
        const double silence = (double)(asof - last_day(u, asof, all));
        if (n == 0)
            return strcmp(name, "silence_vs_gap_120") == 0 ? silence : 0;
        double sum = 0, longest = 0;
        for (int i = 0; i < n; i++) {
            sum += gaps[i];
            longest = gaps[i] > longest ? gaps[i] : longest;
        }
        const double mean = sum / n;
        double var = 0;
        for (int i = 0; i < n; i++)
            var += (gaps[i] - mean) * (gaps[i] - mean);
        var /= n;
        if (strcmp(name, "longest_gap_120") == 0)
            return longest;
        if (strcmp(name, "gap_mean_120") == 0)
            return mean;
        if (strcmp(name, "silence_vs_gap_120") == 0)
            return silence / fmax(mean, 1);
        return sqrt(var) / mean;
    }
    if (strcmp(name, "active_days_since_core") == 0) {
        int n = 0;
        for (int k = 1; k <= 120 && !active_day(u, asof, k, LAPSE_CAT_CORE); k++)
            n += active_day(u, asof, k, -1);
        return n;
    }
    if (strcmp(name, "payment_stopped_30") == 0)
        return count_in(u, asof, LAPSE_CAT_PURCHASE, 1, 30) == 0 &&
               count_in(u, asof, LAPSE_CAT_PURCHASE, 31, 60) > 0;
    if (strcmp(name, "social_stopped_14") == 0)
        return count_in(u, asof, LAPSE_CAT_SOCIAL, 1, 14) == 0 &&
               count_in(u, asof, LAPSE_CAT_SOCIAL, 15, 30) > 0;
    if (strcmp(name, "device_changed_30") == 0) {
        const int now = latest_device(u, (int64_t)asof * 86400);
        const int then = latest_device(u, (int64_t)(asof - 30) * 86400);
        return now >= 0 && then >= 0 && now != then;
    }
    const double total = count_in(u, asof, -1, 1, 1 << 30);
    const double purchases = count_in(u, asof, LAPSE_CAT_PURCHASE, 1, 1 << 30);
    if (strcmp(name, "share_core") == 0)
        return total ? count_in(u, asof, LAPSE_CAT_CORE, 1, 1 << 30) / total : 0;
    if (strcmp(name, "share_social") == 0)
        return total ? count_in(u, asof, LAPSE_CAT_SOCIAL, 1, 1 << 30) / total : 0;
    if (strcmp(name, "share_coupon_purchases") == 0) {
        const double coupons = count_in(u, asof, LAPSE_CAT_COUPON, 1, 1 << 30);
        return purchases ? fmin(1.0, coupons / purchases) : 0;
    }
    if (strcmp(name, "spend_per_purchase") == 0)
        return purchases ? spend_in(u, asof, 1, 1 << 30) / purchases : 0;
    const unsigned p = 1u << LAPSE_CAT_PURCHASE;
    if (strcmp(name, "repeat_purchases") == 0) { /* days with a purchase, after the first */
        double days = 0;
        for (int k = 1; purchases && k <= asof - first_day(u, asof, p); k++)
            days += active_day(u, asof, k, LAPSE_CAT_PURCHASE);
        return days ? days - 1 : 0;
    }
    if (strcmp(name, "t_last_purchase_days") == 0)
        return purchases ? (double)(last_day(u, asof, p) - first_day(u, asof, p)) : 0;
    if (strcmp(name, "age_purchase_days") == 0)
        return purchases ? (double)(asof - 1 - first_day(u, asof, p)) : 0;
    fail_msg("the reference does not know feature %s", name);
    return 0;
}

static user_events *by_user;

static void build_truth(void)
{
    by_user = calloc(USERS, sizeof *by_user);
    for (size_t i = 0; i < event_count; i++)
        by_user[events[i].user].n++;
    for (int u = 0; u < USERS; u++) {
        by_user[u].list = calloc(by_user[u].n + 1, sizeof *by_user[u].list);
        by_user[u].n = 0;
    }
    for (size_t i = 0; i < event_count; i++)
        by_user[events[i].user].list[by_user[events[i].user].n++] = &events[i];
}

static const char *const paths[] = { "ref_a.csv", "ref_b.csv.gz", "ref_c.csv.gz" };

static int setup(void **state)
{
    (void)state;
    generate();
    write_logs();
    build_truth();
    return 0;
}

static lapse_extract *run(int threads, unsigned key_mask, int cancel)
{
    static int64_t asof[2];
    asof[0] = (int64_t)snap_days[0] * 86400;
    asof[1] = (int64_t)snap_days[1] * 86400;
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.churn.key_mask = key_mask;
    opts.churn.silent_days = 20;
    opts.churn.horizon_days = 40;
    opts.churn.cancel_is_churn = cancel;
    opts.asof = asof;
    opts.asof_count = 2;
    opts.threads = threads;
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_extract_run(&x, paths, 3, &opts, &err);
    if (status != LAPSE_OK)
        fail_msg("extract failed: %s", err.message);
    return x;
}

static void check_against_reference(lapse_extract *x, unsigned key_mask, int cancel)
{
    const size_t nf = lapse_feature_count();
    double values[256];
    assert_true(nf <= 256);
    size_t expected_rows[2] = { 0, 0 };
    int64_t cancelled_rows = 0, resubscribed_rows = 0;
    for (int s = 0; s < 2; s++) {
        const int asof = snap_days[s];
        for (int u = 0; u < USERS; u++) {
            const user_events *ue = &by_user[u];
            if (first_day(ue, asof, 0x7f) < 0)
                continue;
            const int64_t last_key = last_day(ue, asof, key_mask);
            int active = last_key >= 0 && last_key >= asof - 20;
            /* Churn by cancel: a cancel before asof with no purchase on a
             * later day means the user has left; not labelled. */
            const int64_t last_cancel = last_day(ue, asof, 1u << LAPSE_CAT_CANCEL);
            const int64_t last_purchase = last_day(ue, asof, 1u << LAPSE_CAT_PURCHASE);
            if (cancel && active && last_cancel >= 0) {
                if (last_cancel >= last_purchase) {
                    active = 0;
                    cancelled_rows++;
                } else {
                    resubscribed_rows++;
                }
            }
            char id[16];
            snprintf(id, sizeof id, "u%05d", u);
            const lapse_extract_set set = active ? LAPSE_EXTRACT_ACTIVE : LAPSE_EXTRACT_DORMANT;
            const int64_t i = lapse_extract_find(x, set, (int64_t)asof * 86400, id, strlen(id));
            if (i < 0)
                fail_msg("%s at snapshot %d missing from set %d", id, s, set);
            expected_rows[set]++;
            lapse_extract_row row;
            assert_int_equal(lapse_extract_get(x, set, (size_t)i, &row, values), LAPSE_OK);
            int want_label = -1;
            if (active) {
                int key = 0, cancelled = 0;
                for (size_t e = 0; e < ue->n; e++) {
                    const int64_t d = day_of(ue->list[e]);
                    if (d >= asof && d < asof + 40) {
                        key |= (int)(key_mask >> ue->list[e]->cat & 1u);
                        cancelled |= ue->list[e]->cat == LAPSE_CAT_CANCEL;
                    }
                }
                want_label = cancel ? cancelled : !key;
            }
            assert_int_equal(row.label, want_label);
            for (size_t f = 0; f < nf; f++) {
                const char *name = lapse_feature_get(f)->name;
                const double want = reference(name, ue, asof, key_mask);
                if (fabs(values[f] - want) > 1e-9 * fmax(1.0, fabs(want)))
                    fail_msg("%s snapshot %d %s: extract %.17g, reference %.17g", id, s, name,
                             values[f], want);
            }
        }
    }
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE), expected_rows[0]);
    assert_int_equal(lapse_extract_count(x, LAPSE_EXTRACT_DORMANT), expected_rows[1]);
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    assert_int_equal(stats.cancelled, cancelled_rows);
    if (cancel) /* the data holds both kinds, so both branches are checked */
        assert_true(cancelled_rows > 0 && resubscribed_rows > 0);
}

static void agrees_with_reference(void **state)
{
    (void)state;
    const unsigned key = 1u << LAPSE_CAT_ACTIVITY | 1u << LAPSE_CAT_CORE;
    lapse_extract *x = run(1, key, 0);
    check_against_reference(x, key, 0);
    lapse_extract_free(x);
}

static void agrees_with_reference_threads_cancel(void **state)
{
    (void)state;
    const unsigned key = 1u << LAPSE_CAT_PURCHASE;
    lapse_extract *x = run(3, key, 1);
    check_against_reference(x, key, 1);
    lapse_extract_free(x);
}

static char *table_bytes(lapse_extract *x, lapse_extract_set set, lapse_table_format format,
                         size_t *len)
{
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_extract_write(x, set, format, out, &err), LAPSE_OK);
    fclose(out);
    return buf;
}

static void thread_counts_give_identical_bytes(void **state)
{
    (void)state;
    const unsigned key = 1u << LAPSE_CAT_ACTIVITY;
    lapse_extract *one = run(1, key, 0), *three = run(3, key, 0), *two = run(2, key, 0);
    for (int set = 0; set < 2; set++) {
        for (int format = 0; format < 2; format++) {
            size_t a_len, b_len, c_len;
            char *a = table_bytes(one, set, format, &a_len);
            char *b = table_bytes(three, set, format, &b_len);
            char *c = table_bytes(two, set, format, &c_len);
            assert_true(a_len > 1000);
            assert_int_equal(a_len, b_len);
            assert_int_equal(a_len, c_len);
            assert_memory_equal(a, b, a_len);
            assert_memory_equal(a, c, a_len);
            free(a);
            free(b);
            free(c);
        }
    }
    lapse_extract_free(one);
    lapse_extract_free(two);
    lapse_extract_free(three);
}

static int teardown(void **state)
{
    (void)state;
    for (int u = 0; u < USERS; u++)
        free(by_user[u].list);
    free(by_user);
    free(events);
    for (int i = 0; i < 3; i++)
        remove(paths[i]);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agrees_with_reference),
        cmocka_unit_test(agrees_with_reference_threads_cancel),
        cmocka_unit_test(thread_counts_give_identical_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
