/* lapse_simulate: users in fixed blocks, each block generated, sorted by time,
 * formatted and deflated into its own gzip member by a worker thread; the
 * calling thread writes the members (and the truth rows) in block order, so
 * the bytes do not depend on the thread count and at most a few blocks are
 * in memory at once. With several event files, block b goes to file
 * b mod files. */
#include "lapse/simulate.h"
#include "lapse/numtext.h"

#include "lapse/category.h"
#include "lapse/outfile.h"
#include "lapse/timeparse.h"
#include "parallel.h"
#include "simulate_model.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_THREADS 256
#define NO_DAY INT64_MIN
#define EVENTS_HEADER "user_id,ts,event,amount,session_id,device_id\n"

static const char *const archetype_names[LAPSE_SIM_ARCHETYPES] = {
    "price_sensitive", "feature_dependent", "social_driven", "mixed",
};
static const char *const archetype_short[LAPSE_SIM_ARCHETYPES] = {
    "price", "feature", "social", "mixed",
};

const char *lapse_sim_archetype_name(lapse_sim_archetype archetype)
{
    return (unsigned)archetype < LAPSE_SIM_ARCHETYPES ? archetype_names[archetype] : NULL;
}

int lapse_sim_archetype_parse(lapse_sim_archetype *out, const char *name, size_t len)
{
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++) {
        if ((strlen(archetype_names[a]) == len && memcmp(archetype_names[a], name, len) == 0) ||
            (strlen(archetype_short[a]) == len && memcmp(archetype_short[a], name, len) == 0)) {
            *out = (lapse_sim_archetype)a;
            return LAPSE_OK;
        }
    }
    return LAPSE_ERR_FORMAT;
}

int lapse_sim_options_check(const lapse_sim_options *o, lapse_error *err)
{
    const int code = LAPSE_ERR_ARG;
    if (o->users < 1 || o->users > LAPSE_SIM_MAX_USERS)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--users must be 1 to %" PRId64,
                               LAPSE_SIM_MAX_USERS);
    if (o->days < 1 || o->days > LAPSE_SIM_MAX_DAYS)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--days must be 1 to %d",
                               LAPSE_SIM_MAX_DAYS);
    if (o->start < 0 || o->start % LAPSE_SECONDS_PER_DAY != 0 ||
        o->start + (int64_t)o->days * LAPSE_SECONDS_PER_DAY > LAPSE_TIME_MAX)
        return lapse_error_set(err, code, NULL, 0, 0, -1,
                               "--start must be a date from 1970 with the whole log before 2200");
    double sum = 0;
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++) {
        if (!(o->mix[a] >= 0 && o->mix[a] <= 1))
            return lapse_error_set(err, code, NULL, 0, 0, -1,
                                   "--mix share of %s must be from 0 to 1", archetype_names[a]);
        sum += o->mix[a];
    }
    if (fabs(sum - 1.0) > 1e-3)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--mix shares sum to %g, not 1", sum);
    if (o->churn.horizon_days < 1 || o->churn.horizon_days > o->days)
        return lapse_error_set(err, code, NULL, 0, 0, -1,
                               "--horizon must be 1 to the number of days (%d)", o->days);
    if (o->churn.key_mask == 0 || o->churn.key_mask >= (1u << LAPSE_CAT_COUNT))
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--key names no category");
    if (o->churn.key_mask & (1u << LAPSE_CAT_CANCEL))
        return lapse_error_set(err, code, NULL, 0, 0, -1,
                               "--key cancel: the simulator emits no cancel events, so a "
                               "cancel-based label would be 1 for everyone");
    if (o->churn.cancel_is_churn)
        return lapse_error_set(err, code, NULL, 0, 0, -1,
                               "churn by cancel: the simulator emits no cancel events, so "
                               "every label would be 1");
    if (o->churn.silent_days < 1 || o->churn.silent_days > LAPSE_SIM_MAX_DAYS)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--silent-days must be 1 to %d",
                               LAPSE_SIM_MAX_DAYS);
    if (o->threads < 1 || o->threads > MAX_THREADS)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "threads must be 1 to %d", MAX_THREADS);
    if (o->level < 1 || o->level > 9)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--level must be 1 to 9");
    if (o->files < 1 || o->files > LAPSE_SIM_MAX_FILES)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "--files must be 1 to %d",
                               LAPSE_SIM_MAX_FILES);
    if (o->n_horizons > LAPSE_SIM_MAX_HORIZONS)
        return lapse_error_set(err, code, NULL, 0, 0, -1, "at most %d horizons",
                               LAPSE_SIM_MAX_HORIZONS);
    for (size_t h = 0; h < o->n_horizons; h++)
        if (o->horizons[h] < (h ? o->horizons[h - 1] + 1 : 1) ||
            o->horizons[h] > o->churn.horizon_days)
            return lapse_error_set(err, code, NULL, 0, 0, -1,
                                   "--horizons must increase from 1 to the label horizon (%d)",
                                   o->churn.horizon_days);
    if (o->n_snapshots > LAPSE_SIM_MAX_SNAPSHOTS || (o->n_snapshots && !o->snapshots))
        return lapse_error_set(err, code, NULL, 0, 0, -1, "at most %d snapshots",
                               LAPSE_SIM_MAX_SNAPSHOTS);
    const int64_t end = o->start + (int64_t)o->days * LAPSE_SECONDS_PER_DAY;
    for (size_t i = 0; i < o->n_snapshots; i++) {
        const int64_t asof = o->snapshots[i];
        char date[16], last[16];
        lapse_time_format_date(date, asof);
        lapse_time_format_date(last, end - LAPSE_SECONDS_PER_DAY);
        if (asof % LAPSE_SECONDS_PER_DAY != 0 || asof < o->start)
            return lapse_error_set(err, code, NULL, 0, 0, -1,
                                   "snapshot %s is before the start of the log", date);
        if (asof + (int64_t)o->churn.horizon_days * LAPSE_SECONDS_PER_DAY > end)
            return lapse_error_set(err, code, NULL, 0, 0, -1,
                                   "snapshot %s: its %d-day horizon runs past the last day of "
                                   "the log (%s)",
                                   date, o->churn.horizon_days, last);
        for (size_t j = 0; j < i; j++)
            if (o->snapshots[j] == asof)
                return lapse_error_set(err, code, NULL, 0, 0, -1, "snapshot %s is listed twice",
                                       date);
    }
    return LAPSE_OK;
}

/* A growable byte buffer; failed latches an allocation failure. */
typedef struct {
    char *p;
    size_t len, cap;
    int failed;
} sim_buf;

static char *buf_reserve(sim_buf *b, size_t extra)
{
    if (b->failed)
        return NULL;
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + extra)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

/* Everything the workers share, read-only once built. */
typedef struct {
    lapse_sim_options opt;
    double mix_cdf[LAPSE_SIM_ARCHETYPES];
    sim_calendar calendar;
    int n_snap;
    int snap_day[LAPSE_SIM_MAX_SNAPSHOTS]; /* ascending */
    char snap_date[LAPSE_SIM_MAX_SNAPSHOTS][16];
    short *snap_of_day;  /* per day: snapshot index or -1 */
    char (*day_prefix)[12]; /* per day: "YYYY-MM-DDT" */
    int64_t n_blocks;
} sim_plan;

/* One block's outputs, made by a worker, written by the caller. */
typedef struct {
    sim_buf gz, truth, snaps;
    lapse_sim_stats stats;
} sim_slot;

typedef struct {
    sim_events events;
    sim_event *sorted;
    size_t sorted_cap;
    uint32_t *counts;       /* radix sort buckets */
    unsigned char *daymask; /* per day: categories the current user emitted */
    unsigned char *quiet;   /* per circle of the block, per day from -SIM_PRE_DAYS */
    sim_filter *filter;     /* the observer's view of the current user */
    z_stream z;
    int z_ready;
} sim_worker;

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* ",v" as the shortest decimal that reads back the same. */
static char *put_number(char *p, double v)
{
    *p++ = ',';
    return p + lapse_numtext_double(p, v);
}

static char *put_uid(char *p, uint64_t index)
{
    *p++ = 'u';
    for (uint64_t scale = 1000000; scale > 1 && index < scale; scale /= 10)
        *p++ = '0';
    return put_u64(p, index);
}

static char *put_2(char *p, unsigned v)
{
    *p++ = (char)('0' + v / 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_date(char *p, const sim_plan *plan, int64_t day)
{
    char date[16];
    lapse_time_format_date(date, plan->opt.start + day * LAPSE_SECONDS_PER_DAY);
    const size_t n = strlen(date);
    memcpy(p, date, n);
    return p + n;
}

static size_t format_event(char *out, const sim_plan *plan, const sim_event *e)
{
    char *p = put_uid(out, e->user);
    *p++ = ',';
    const uint32_t day = e->t / 86400u, sec = e->t % 86400u;
    memcpy(p, plan->day_prefix[day], 11);
    p += 11;
    p = put_2(p, sec / 3600);
    *p++ = ':';
    p = put_2(p, sec / 60 % 60);
    *p++ = ':';
    p = put_2(p, sec % 60);
    *p++ = 'Z';
    *p++ = ',';
    memcpy(p, sim_event_names[e->event], sim_event_name_len[e->event]);
    p += sim_event_name_len[e->event];
    *p++ = ',';
    if (e->event == SIM_EV_PURCHASE) {
        p = put_u64(p, e->cents / 100);
        *p++ = '.';
        p = put_2(p, e->cents % 100);
    }
    *p++ = ',';
    *p++ = 's';
    p = put_u64(p, e->user);
    *p++ = '_';
    p = put_u64(p, e->session);
    *p++ = ',';
    *p++ = 'd';
    p = put_u64(p, e->user);
    *p++ = '_';
    p = put_u64(p, e->device);
    *p++ = '\n';
    return (size_t)(p - out);
}

/* Stable LSD radix sort on the time (two 16-bit passes): ties keep the
 * generation order, so a session's events stay in order. */
static int sort_events(sim_worker *w)
{
    const size_t n = w->events.len;
    if (n > w->sorted_cap) {
        sim_event *s = realloc(w->sorted, n * sizeof *s);
        if (!s)
            return LAPSE_ERR_NOMEM;
        w->sorted = s;
        w->sorted_cap = n;
    }
    sim_event *from = w->events.items, *to = w->sorted;
    for (int shift = 0; shift < 32; shift += 16) {
        memset(w->counts, 0, 65536 * sizeof *w->counts);
        for (size_t i = 0; i < n; i++)
            w->counts[(from[i].t >> shift) & 0xFFFF]++;
        uint32_t sum = 0;
        for (size_t b = 0; b < 65536; b++) {
            const uint32_t c = w->counts[b];
            w->counts[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            to[w->counts[(from[i].t >> shift) & 0xFFFF]++] = from[i];
        sim_event *tmp = from;
        from = to;
        to = tmp;
    }
    return LAPSE_OK; /* after two passes the result is back in events.items */
}

static int deflate_into(z_stream *z, sim_buf *out, const char *in, size_t len, int flush)
{
    z->next_in = (Bytef *)(uintptr_t)in;
    z->avail_in = (uInt)len;
    for (;;) {
        if (!buf_reserve(out, 1 << 16))
            return LAPSE_ERR_NOMEM;
        z->next_out = (Bytef *)(out->p + out->len);
        z->avail_out = (uInt)(out->cap - out->len);
        const uInt before = z->avail_out;
        const int ret = deflate(z, flush);
        out->len += before - z->avail_out;
        if (ret == Z_STREAM_ERROR)
            return LAPSE_ERR_NOMEM;
        if (flush == Z_FINISH ? ret == Z_STREAM_END : z->avail_in == 0 && z->avail_out > 0)
            return LAPSE_OK;
    }
}

static int write_events(const sim_plan *plan, sim_worker *w, sim_slot *slot, int with_header)
{
    if (deflateReset(&w->z) != Z_OK)
        return LAPSE_ERR_NOMEM;
    char chunk[1 << 16];
    size_t n = 0;
    if (with_header) {
        memcpy(chunk, EVENTS_HEADER, sizeof EVENTS_HEADER - 1);
        n = sizeof EVENTS_HEADER - 1;
    }
    for (size_t i = 0; i < w->events.len; i++) {
        if (n > sizeof chunk - 256) {
            if (deflate_into(&w->z, &slot->gz, chunk, n, Z_NO_FLUSH))
                return LAPSE_ERR_NOMEM;
            n = 0;
        }
        n += format_event(chunk + n, plan, &w->events.items[i]);
    }
    return deflate_into(&w->z, &slot->gz, chunk, n, Z_FINISH);
}

static void simulate_user(const sim_plan *plan, sim_worker *w, sim_slot *slot, int64_t index,
                          const unsigned char *quiet)
{
    const lapse_sim_options *o = &plan->opt;
    const int days = o->days;
    sim_user user;
    sim_state st;
    sim_rng rng;
    sim_user_init(&user, &st, &rng, o->seed, index, plan->mix_cdf, days);
    memset(w->daymask, 0, (size_t)days);
    double p_true[LAPSE_SIM_MAX_SNAPSHOTS], p_observed[LAPSE_SIM_MAX_SNAPSHOTS];
    int64_t churned = NO_DAY, returned = NO_DAY;
    uint32_t session = 0;
    const int observer = o->observer;
    if (observer)
        sim_filter_start(w->filter, &user);
    for (int64_t t = user.signup; t < days; t++) {
        const int cq = quiet[t + SIM_PRE_DAYS];
        if (t >= 0) {
            const int kind = sim_day_kind(&plan->calendar, t);
            const int si = plan->snap_of_day[t];
            if (si >= 0 && t > user.signup) {
                p_true[si] = sim_p_true(&user, &st, cq, t, o->churn.horizon_days,
                                        o->churn.key_mask, &plan->calendar);
                if (observer)
                    p_observed[si] = sim_filter_p_silent(w->filter, &user, t, o->churn.horizon_days,
                                                         o->churn.key_mask, &plan->calendar);
            }
            const size_t first = w->events.len;
            if (st.phase < SIM_LIVE_PHASES) {
                sim_emit emit;
                sim_user_emission(&user, st.phase, cq, kind, &emit);
                w->daymask[t] = (unsigned char)sim_emit_day(&user, &emit, t, st.device, &session,
                                                            &rng, &w->events);
            }
            if (observer) {
                sim_day_record record;
                const int logged = !w->events.failed && w->events.len > first;
                if (logged)
                    sim_day_record_of(&record, w->events.items + first, w->events.len - first);
                sim_filter_observe(w->filter, kind, logged ? &record : NULL);
            }
        }
        if (observer)
            sim_filter_step(w->filter, &user);
        const int before = st.phase;
        sim_user_step(&user, &st, cq, &rng);
        if (t + 1 < days) {
            if (st.phase == SIM_CHURNED && before != SIM_CHURNED && churned == NO_DAY)
                churned = t + 1;
            else if (before == SIM_CHURNED && st.phase != SIM_CHURNED && churned != NO_DAY &&
                     returned == NO_DAY)
                returned = t + 1;
        }
    }

    lapse_sim_stats *stats = &slot->stats;
    stats->archetype_users[user.archetype]++;
    stats->users_churned += churned != NO_DAY;
    stats->users_returned += returned != NO_DAY;
    char *p = buf_reserve(&slot->truth, 128);
    if (p) {
        char *q = put_uid(p, (uint64_t)index);
        *q++ = ',';
        const char *name = archetype_names[user.archetype];
        memcpy(q, name, strlen(name));
        q += strlen(name);
        *q++ = ',';
        if (churned != NO_DAY)
            q = put_date(q, plan, churned);
        *q++ = ',';
        if (returned != NO_DAY)
            q = put_date(q, plan, returned);
        *q++ = '\n';
        slot->truth.len += (size_t)(q - p);
    }
    /* Snapshots ascend: one pass over the days finds each one's last key day. */
    int64_t last_key = LAPSE_CHURN_NEVER;
    int scanned = 0;
    for (int si = 0; si < plan->n_snap; si++) {
        const int asof = plan->snap_day[si];
        for (; scanned < asof; scanned++)
            if (w->daymask[scanned] & o->churn.key_mask)
                last_key = scanned;
        if (user.signup >= asof)
            continue;
        int label = 1;
        for (int d = asof; d < asof + o->churn.horizon_days; d++)
            label &= (w->daymask[d] & o->churn.key_mask) == 0;
        const int active = lapse_churn_active(&o->churn, last_key, asof);
        lapse_sim_snapshot_stats *ss = &stats->snapshots[si];
        ss->listed++;
        if (active) {
            ss->active++;
            ss->active_churned += label;
            ss->active_p_true += p_true[si];
        }
        p = buf_reserve(&slot->snaps, 160 + 64 * o->n_horizons);
        if (!p)
            continue;
        char *q = put_uid(p, (uint64_t)index);
        *q++ = ',';
        memcpy(q, plan->snap_date[si], 10);
        q += 10;
        *q++ = ',';
        q = put_u64(q, (uint64_t)o->churn.horizon_days);
        q = put_number(q, p_true[si]);
        if (observer)
            q = put_number(q, p_observed[si]);
        q += snprintf(q, 8, ",%d", label);
        for (size_t h = 0; h < o->n_horizons; h++) {
            q = put_number(q, sim_p_within(p_true[si], &o->churn, last_key, asof, o->horizons[h]));
            if (observer)
                q = put_number(q, sim_p_within(p_observed[si], &o->churn, last_key, asof,
                                               o->horizons[h]));
        }
        *q++ = '\n';
        slot->snaps.len += (size_t)(q - p);
    }
}

static int generate_block(const sim_plan *plan, sim_worker *w, int64_t block, sim_slot *slot)
{
    const lapse_sim_options *o = &plan->opt;
    const int64_t first = block * SIM_BLOCK_USERS;
    const int64_t last = first + SIM_BLOCK_USERS < o->users ? first + SIM_BLOCK_USERS : o->users;
    const int span = SIM_PRE_DAYS + o->days;
    slot->gz.len = slot->truth.len = slot->snaps.len = 0;
    memset(&slot->stats, 0, sizeof slot->stats);
    for (int64_t c = first / SIM_CIRCLE_SIZE; c * SIM_CIRCLE_SIZE < last; c++)
        sim_circle_path(o->seed, c, span,
                        w->quiet + (size_t)(c - first / SIM_CIRCLE_SIZE) * (size_t)span);
    w->events.len = 0;
    for (int64_t i = first; i < last; i++)
        simulate_user(plan, w, slot, i,
                      w->quiet + (size_t)((i - first) / SIM_CIRCLE_SIZE) * (size_t)span);
    if (w->events.failed || slot->truth.failed || slot->snaps.failed)
        return LAPSE_ERR_NOMEM;
    slot->stats.events = (int64_t)w->events.len;
    if (sort_events(w))
        return LAPSE_ERR_NOMEM;
    return write_events(plan, w, slot, block == 0);
}

/* A worker's buffers and deflate state, reused from block to block. */
static int worker_init(sim_worker *w, const sim_plan *plan)
{
    w->counts = malloc(65536 * sizeof *w->counts);
    w->daymask = malloc((size_t)plan->opt.days);
    w->quiet = malloc((size_t)(SIM_BLOCK_USERS / SIM_CIRCLE_SIZE) *
                      (size_t)(SIM_PRE_DAYS + plan->opt.days));
    w->filter = malloc(sizeof *w->filter);
    if (!w->counts || !w->daymask || !w->quiet || !w->filter ||
        deflateInit2(&w->z, plan->opt.level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return LAPSE_ERR_NOMEM;
    w->z_ready = 1;
    return LAPSE_OK;
}

static void worker_free(sim_worker *w)
{
    if (w->z_ready)
        deflateEnd(&w->z);
    free(w->events.items);
    free(w->sorted);
    free(w->counts);
    free(w->daymask);
    free(w->quiet);
    free(w->filter);
}

static int plan_build(sim_plan *plan, const lapse_sim_options *o)
{
    memset(plan, 0, sizeof *plan);
    plan->opt = *o;
    plan->opt.snapshots = NULL; /* copied into snap_day below */
    double sum = 0;
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++) {
        sum += o->mix[a];
        plan->mix_cdf[a] = sum;
    }
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++)
        plan->mix_cdf[a] /= sum;
    plan->calendar.start_day = o->start / LAPSE_SECONDS_PER_DAY;
    plan->calendar.seed = o->seed;
    if (o->n_snapshots) {
        for (size_t i = 0; i < o->n_snapshots; i++)
            plan->snap_day[plan->n_snap++] =
                (int)((o->snapshots[i] - o->start) / LAPSE_SECONDS_PER_DAY);
    } else {
        for (int d = 60;
             d + o->churn.horizon_days <= o->days && plan->n_snap < LAPSE_SIM_MAX_SNAPSHOTS;
             d += 30)
            plan->snap_day[plan->n_snap++] = d;
    }
    for (int i = 1; i < plan->n_snap; i++) /* insertion sort: at most 128 */
        for (int j = i; j > 0 && plan->snap_day[j - 1] > plan->snap_day[j]; j--) {
            const int t = plan->snap_day[j];
            plan->snap_day[j] = plan->snap_day[j - 1];
            plan->snap_day[j - 1] = t;
        }
    plan->snap_of_day = malloc((size_t)o->days * sizeof *plan->snap_of_day);
    plan->day_prefix = malloc((size_t)o->days * sizeof *plan->day_prefix);
    if (!plan->snap_of_day || !plan->day_prefix)
        return LAPSE_ERR_NOMEM;
    for (int d = 0; d < o->days; d++) {
        plan->snap_of_day[d] = -1;
        char iso[32];
        lapse_time_format_iso(iso, o->start + (int64_t)d * LAPSE_SECONDS_PER_DAY);
        memcpy(plan->day_prefix[d], iso, 11);
        plan->day_prefix[d][11] = '\0';
    }
    for (int i = 0; i < plan->n_snap; i++) {
        plan->snap_of_day[plan->snap_day[i]] = (short)i;
        lapse_time_format_date(plan->snap_date[i],
                               o->start + (int64_t)plan->snap_day[i] * LAPSE_SECONDS_PER_DAY);
    }
    plan->n_blocks = (o->users + SIM_BLOCK_USERS - 1) / SIM_BLOCK_USERS;
    return LAPSE_OK;
}

static void merge_stats(lapse_sim_stats *into, const lapse_sim_stats *from, int n_snap)
{
    into->events += from->events;
    into->users_churned += from->users_churned;
    into->users_returned += from->users_returned;
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++)
        into->archetype_users[a] += from->archetype_users[a];
    for (int i = 0; i < n_snap; i++) {
        into->snapshots[i].listed += from->snapshots[i].listed;
        into->snapshots[i].active += from->snapshots[i].active;
        into->snapshots[i].active_churned += from->snapshots[i].active_churned;
        into->snapshots[i].active_p_true += from->snapshots[i].active_p_true;
    }
}

/* The header alone as a gzip member, for the files that do not get block 0
 * (whose member starts with it). */
static int header_member(sim_buf *out, int level)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return LAPSE_ERR_NOMEM;
    const int rc = deflate_into(&z, out, EVENTS_HEADER, sizeof EVENTS_HEADER - 1, Z_FINISH);
    deflateEnd(&z);
    return rc;
}

/* events.csv.gz, or events-K.csv.gz with K zero-padded to the width of
 * files - 1, so that the names sort in file order. */
static void events_name(char name[32], int file, int files)
{
    if (files == 1) {
        snprintf(name, 32, "events.csv.gz");
        return;
    }
    _Static_assert(LAPSE_SIM_MAX_FILES <= 1000, "file numbers have at most 3 digits");
    const int width = files > 100 ? 3 : files > 10 ? 2 : 1;
    snprintf(name, 32, "events-%0*u.csv.gz", width, (unsigned)file);
}

/* Refuses a folder that holds an event log this run does not write (one
 * from a run with another --files): a reader of DIR/events*.csv.gz would
 * count its users twice. The stale file is the user's to remove. */
static int refuse_other_logs(const char *dir, int files, lapse_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return LAPSE_OK; /* opening the outputs will say why */
    int rc = LAPSE_OK;
    for (struct dirent *e; rc == LAPSE_OK && (e = readdir(d));) {
        const size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "events", 6) != 0 || len < 13 ||
            strcmp(e->d_name + len - 7, ".csv.gz") != 0)
            continue;
        int ours = 0;
        for (int f = 0; f < files && !ours; f++) {
            char name[32];
            events_name(name, f, files);
            ours = strcmp(name, e->d_name) == 0;
        }
        if (!ours)
            rc = lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1,
                                 "the folder holds %s, an event log this run would not "
                                 "replace (from another --files?): remove it or write "
                                 "elsewhere, or readers of its logs would count users twice",
                                 e->d_name);
    }
    closedir(d);
    return rc;
}

static int open_output(lapse_outfile **out, const char *dir, const char *name, lapse_error *err)
{
    char path[LAPSE_ERROR_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "output folder name too long");
    return lapse_outfile_open(out, path, err);
}

/* A failed write or flush (errno set) of the output dir/name. */
static int write_error(const char *dir, const char *name, lapse_error *err)
{
    const int saved = errno;
    char path[LAPSE_ERROR_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "write failed: %s",
                           strerror(saved));
}

static int write_all(lapse_outfile *out, const sim_buf *b, const char *dir, const char *name,
                     lapse_error *err)
{
    if (!b->len || fwrite(b->p, 1, b->len, lapse_outfile_stream(out)) == b->len)
        return LAPSE_OK;
    return write_error(dir, name, err);
}

static int flush_output(lapse_outfile *out, const char *dir, const char *name, lapse_error *err)
{
    return fflush(lapse_outfile_stream(out)) == 0 ? LAPSE_OK : write_error(dir, name, err);
}

/* The files a run writes, open as temporaries until committed. */
typedef struct {
    const char *dir;
    int files;
    struct {
        lapse_outfile *out;
        char name[32];
    } events[LAPSE_SIM_MAX_FILES];
    lapse_outfile *truth, *snaps;
} sim_outputs;

/* Opens every output and writes the headers. */
static int outputs_open(sim_outputs *o, const char *dir, const lapse_sim_options *options,
                        lapse_error *err)
{
    memset(o, 0, sizeof *o);
    o->dir = dir;
    o->files = options->files;
    int rc = refuse_other_logs(dir, o->files, err);
    for (int f = 0; rc == LAPSE_OK && f < o->files; f++) {
        events_name(o->events[f].name, f, o->files);
        rc = open_output(&o->events[f].out, dir, o->events[f].name, err);
    }
    if (rc || (rc = open_output(&o->truth, dir, "truth.csv", err)) ||
        (rc = open_output(&o->snaps, dir, "truth_snapshots.csv", err)))
        return rc;
    sim_buf header = { NULL, 0, 0, 0 };
    if (o->files > 1 && header_member(&header, options->level))
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (int f = 1; rc == LAPSE_OK && f < o->files; f++)
        rc = write_all(o->events[f].out, &header, dir, o->events[f].name, err);
    free(header.p);
    if (rc)
        return rc;
    fputs("user_id,archetype,churn_date,return_date\n", lapse_outfile_stream(o->truth));
    FILE *snaps = lapse_outfile_stream(o->snaps);
    fputs(options->observer ? "user_id,asof,horizon,p_true,p_observed,label"
                            : "user_id,asof,horizon,p_true,label",
          snaps);
    for (size_t h = 0; h < options->n_horizons; h++) {
        fprintf(snaps, ",p_true_%d", options->horizons[h]);
        if (options->observer)
            fprintf(snaps, ",p_observed_%d", options->horizons[h]);
    }
    fputc('\n', snaps);
    return LAPSE_OK;
}

/* With rc == LAPSE_OK, flushes every file before renaming any, so a full
 * disk leaves none new; else (or when that fails) removes them all. */
static int outputs_close(sim_outputs *o, int rc, lapse_error *err)
{
    for (int f = 0; rc == LAPSE_OK && f < o->files; f++)
        rc = flush_output(o->events[f].out, o->dir, o->events[f].name, err);
    if (rc == LAPSE_OK)
        rc = flush_output(o->truth, o->dir, "truth.csv", err);
    if (rc == LAPSE_OK)
        rc = flush_output(o->snaps, o->dir, "truth_snapshots.csv", err);
    /* The log and its truth are placed together or not at all: a truth
     * beside another run's log would grade a model against the wrong users. */
    lapse_outfile *all[LAPSE_SIM_MAX_FILES + 2];
    size_t n = 0;
    for (int f = 0; f < o->files; f++) {
        all[n++] = o->events[f].out;
        o->events[f].out = NULL;
    }
    all[n++] = o->truth;
    all[n++] = o->snaps;
    o->truth = o->snaps = NULL; /* now owned by all[] */
    if (rc == LAPSE_OK)
        return lapse_outfile_commit_all(all, n, err);
    for (size_t i = 0; i < n; i++)
        lapse_outfile_abort(all[i]);
    return rc;
}

/* The blocks in flight: made into slot block % n_slots by worker threads,
 * written in block order by the calling thread. */
typedef struct {
    const sim_plan *plan;
    sim_outputs *out;
    sim_worker *workers; /* [threads] */
    sim_slot *slots;     /* [n_slots] */
    size_t n_slots;
    lapse_sim_stats total;
} sim_run;

static int make_block(void *arg, int thread, size_t block, lapse_error *err)
{
    sim_run *r = arg;
    const int rc = generate_block(r->plan, &r->workers[thread], (int64_t)block,
                                  &r->slots[block % r->n_slots]);
    return rc ? lapse_error_set(err, rc, NULL, 0, 0, -1, "out of memory") : LAPSE_OK;
}

static int take_block(void *arg, size_t block, lapse_error *err)
{
    sim_run *r = arg;
    sim_outputs *o = r->out;
    const sim_slot *slot = &r->slots[block % r->n_slots];
    const int f = (int)(block % (size_t)o->files);
    int rc;
    if ((rc = write_all(o->events[f].out, &slot->gz, o->dir, o->events[f].name, err)) ||
        (rc = write_all(o->truth, &slot->truth, o->dir, "truth.csv", err)) ||
        (rc = write_all(o->snaps, &slot->snaps, o->dir, "truth_snapshots.csv", err)))
        return rc;
    merge_stats(&r->total, &slot->stats, r->plan->n_snap);
    const lapse_sim_options *opt = &r->plan->opt;
    if (opt->progress) {
        const int64_t done = ((int64_t)block + 1) * SIM_BLOCK_USERS;
        opt->progress(done < opt->users ? done : opt->users, opt->users, opt->progress_user);
    }
    return LAPSE_OK;
}

/* Makes and writes every block on threads workers. */
static int run_blocks(sim_run *r, int threads, lapse_error *err)
{
    r->n_slots = 2 * (size_t)threads + 2;
    r->slots = calloc(r->n_slots, sizeof *r->slots);
    r->workers = calloc((size_t)threads, sizeof *r->workers);
    int rc = r->slots && r->workers ? LAPSE_OK : LAPSE_ERR_NOMEM;
    for (int t = 0; rc == LAPSE_OK && t < threads; t++)
        rc = worker_init(&r->workers[t], r->plan);
    if (rc)
        rc = lapse_error_set(err, rc, NULL, 0, 0, -1, "out of memory");
    else
        rc = lapse_parallel_ordered(threads, (size_t)r->plan->n_blocks, r->n_slots, make_block,
                                    take_block, r, err);
    for (int t = 0; r->workers && t < threads; t++)
        worker_free(&r->workers[t]);
    for (size_t i = 0; r->slots && i < r->n_slots; i++) {
        free(r->slots[i].gz.p);
        free(r->slots[i].truth.p);
        free(r->slots[i].snaps.p);
    }
    free(r->workers);
    free(r->slots);
    return rc;
}

int lapse_simulate(const char *dir, const lapse_sim_options *options, lapse_sim_stats *stats,
                   lapse_error *err)
{
    int rc = lapse_sim_options_check(options, err);
    if (rc)
        return rc;
    sim_plan plan;
    sim_outputs out = { .dir = NULL };
    sim_run run = { .plan = &plan, .out = &out };
    rc = plan_build(&plan, options);
    if (rc)
        rc = lapse_error_set(err, rc, NULL, 0, 0, -1, "out of memory");
    else if ((rc = outputs_open(&out, dir, options, err)) == LAPSE_OK)
        rc = run_blocks(&run, options->threads, err);
    free(plan.snap_of_day);
    free(plan.day_prefix);
    if (out.dir)
        rc = outputs_close(&out, rc, err);
    if (rc == LAPSE_OK && stats) {
        run.total.n_snapshots = (size_t)plan.n_snap;
        for (int i = 0; i < plan.n_snap; i++)
            run.total.snapshots[i].asof =
                options->start + (int64_t)plan.snap_day[i] * LAPSE_SECONDS_PER_DAY;
        *stats = run.total;
    }
    return rc;
}
