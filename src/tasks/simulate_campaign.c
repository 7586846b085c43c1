/* lapse simulate --campaign: a send list and the log after it, with a known
 * recall uplift planted per channel (layout in campaign.h). */
#include "campaign_internal.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)
#define SIM_MAX_USERS INT64_C(10000000)

/* Retention and late-return behaviour; fixed, since eval only reports them. */
#define P_KEEP_7 0.6
#define P_KEEP_30 0.45
#define P_LATE 0.25
#define P_CLICK_RECALLED 0.5
#define P_CLICK_OTHER 0.05

static const char *const tier_names[3] = { "low", "medium", "high" };

typedef struct {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static int64_t rng_below(rng *r, int64_t n)
{
    return (int64_t)(rng_unit(r) * (double)n);
}

/* Channel c of the sequence's table, or NULL. */
static const lapse_channel_def *sim_channel(const lapse_campaign_sim_options *o, int c)
{
    if (c < 0)
        return NULL;
    if (o->channels)
        return (size_t)c < o->channels->n ? &o->channels->channel[c] : NULL;
    return lapse_channel_builtin((size_t)c);
}

int lapse_campaign_sim_check(const lapse_campaign_sim_options *o, lapse_error *err)
{
    if (o->users < 1 || o->users > SIM_MAX_USERS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "users must be 1 to %lld",
                               (long long)SIM_MAX_USERS);
    if (!(o->control >= 0.01 && o->control <= 0.9))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "control must be in 0.01..0.9");
    if (o->variants < 1 || o->variants > 8)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "variants must be 1 to 8");
    if (o->window < HOUR || o->window > 7 * DAY)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "window must be 1 hour to 7 days");
    if (o->start < 14 * DAY || o->start % DAY || o->start > LAPSE_TIME_MAX - 60 * DAY)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "start must be a date from 1970-01-15 to 2199");
    if (o->steps && (o->n_steps < 1 || o->n_steps > LAPSE_SEQUENCE_MAX))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "1 to %d sequence steps",
                               LAPSE_SEQUENCE_MAX);
    if (o->channels && !o->steps)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "a channel table (capacities) needs a sequence");
    for (size_t k = 0; o->steps && k < o->n_steps; k++) {
        if (!sim_channel(o, o->steps[k].channel) || o->steps[k].offset < 0 ||
            (k && o->steps[k].offset <= o->steps[k - 1].offset) || o->steps[k].offset > 365 * DAY)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "sequence step %zu: a channel of the table, after the step "
                                   "before it, within a year",
                                   k + 1);
        if (sim_channel(o, o->steps[k].channel)->capacity == 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "sequence step %zu needs %s, whose capacity is 0 a day",
                                   k + 1, sim_channel(o, o->steps[k].channel)->name);
        for (int t = 0; t < 3; t++)
            if (!(o->base[t] + o->step_uplift[k] >= 0 && o->base[t] + o->step_uplift[k] <= 1))
                return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                       "base %g + step %zu's uplift %g is not a probability",
                                       o->base[t], k + 1, o->step_uplift[k]);
    }
    if (!(o->step_holdout >= 0 && o->step_holdout <= 0.9))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "step holdout must be in 0..0.9");
    for (int t = 0; t < 3; t++)
        for (int c = 0; c < LAPSE_CHANNELS; c++)
            if (!(o->base[t] >= 0 && o->uplift[c] >= -o->base[t] &&
                  o->base[t] + o->uplift[c] <= 1))
                return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                       "base %g + uplift %g of %s is not a probability",
                                       o->base[t], o->uplift[c], lapse_channel_name(c));
    return LAPSE_OK;
}

static int open_in(lapse_outfile **out, const char *dir, const char *name, lapse_error *err)
{
    char path[LAPSE_ERROR_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "folder path too long");
    return lapse_outfile_open(out, path, err);
}

static void put_event(FILE *out, const char *user, int64_t ts, const char *event)
{
    char when[32];
    lapse_time_format_iso(when, ts);
    fprintf(out, "%s,%s,%s\n", user, when, event);
}

/* A user's return after it: kept a week, kept a month (fixed rates). */
static void put_return(FILE *fe, rng *r, const char *id, int64_t t)
{
    put_event(fe, id, t, "app_open");
    put_event(fe, id, t + rng_below(r, HOUR), "view_item");
    if (rng_unit(r) < P_KEEP_7)
        put_event(fe, id, t + DAY + rng_below(r, 7 * DAY), "login");
    if (rng_unit(r) < P_KEEP_30)
        put_event(fe, id, t + 8 * DAY + rng_below(r, 23 * DAY), "login");
}

/* Touches scheduled per channel and UTC day since the start (capacity). */
#define SIM_DAYS 368

/* The steps user gets: each whose channel has room on its day, counted. */
static unsigned schedule_steps(int64_t *used, const lapse_campaign_sim_options *o, int64_t start)
{
    unsigned kept = 0;
    for (size_t k = 0; k < o->n_steps; k++) {
        const int c = o->steps[k].channel;
        int64_t *slot = &used[(size_t)c * SIM_DAYS +
                              (size_t)((start + o->steps[k].offset - o->start) / DAY)];
        const int64_t capacity = sim_channel(o, c)->capacity;
        if (capacity >= 0 && *slot >= capacity)
            continue;
        ++*slot;
        kept |= 1u << k;
    }
    return kept;
}

/* One user of a sequence campaign: their touches in fs, their events in fe,
 * their clicks in fc (layout in campaign.h); used counts the touches per
 * channel and day. */
static void simulate_sequence_user(FILE *fs, FILE *fe, FILE *fc, const char *id, int tier,
                                   int variant, const lapse_campaign_sim_options *o, rng *r,
                                   int64_t *used)
{
    const int64_t start = o->start + 8 * HOUR + rng_below(r, 10 * HOUR);
    char when[32], began[32];
    lapse_time_format_iso(began, start);
    const int history = 1 + (int)rng_below(r, 3);
    for (int h = 0; h < history; h++)
        put_event(fe, id, o->start - 14 * DAY + rng_below(r, 11 * DAY), "login");
    const unsigned kept = schedule_steps(used, o, start);
    int sending = variant >= 0, back = 0, first = 1;
    size_t last = 0;
    for (size_t k = 0; k < o->n_steps; k++) {
        if (!(kept >> k & 1))
            continue;
        last = k;
        size_t after = k + 1;
        while (after < o->n_steps && !(kept >> after & 1))
            after++;
        const int64_t t = start + o->steps[k].offset;
        const int64_t next = after < o->n_steps ? start + o->steps[after].offset : INT64_MAX;
        const int64_t end = t + o->window < next ? t + o->window : next;
        if (sending && !first && rng_unit(r) < o->step_holdout)
            sending = 0;
        first = 0;
        const lapse_channel_def *ch = sim_channel(o, o->steps[k].channel);
        lapse_time_format_iso(when, t);
        fprintf(fs, "%s,%s,%s,%s,%.10g,%c,%s,%zu,%s,%.10g\n", id, ch->name, when,
                sending ? "treatment" : "control", sending ? ch->cost : 0.0,
                sending ? 'A' + variant : '-', tier_names[tier], k + 1, began,
                o->step_holdout);
        if (back)
            continue;
        const double p = o->base[tier] + (sending ? o->step_uplift[k] : 0);
        back = rng_unit(r) < p;
        if (back)
            put_return(fe, r, id, t + rng_below(r, end - t));
        const double click = back ? P_CLICK_RECALLED : P_CLICK_OTHER;
        if (sending && rng_unit(r) < click)
            put_event(fc, id, t + rng_below(r, end - t < 2 * HOUR ? end - t : 2 * HOUR),
                      "message_click");
    }
    if (!back && rng_unit(r) < P_LATE)
        put_event(fe, id, start + o->steps[last].offset + o->window + HOUR +
                              rng_below(r, 20 * DAY), "login");
}

int lapse_campaign_simulate(const char *dir, const lapse_campaign_sim_options *o,
                            lapse_error *err)
{
    int status = lapse_campaign_sim_check(o, err);
    if (status != LAPSE_OK)
        return status;
    static const double costs[LAPSE_CHANNELS] = { 0.05, 0, 0.5, 2.0, 0.02 };
    const size_t n = (size_t)o->users;
    unsigned char *channel = malloc(n), *tier = malloc(n);
    uint32_t *stratum = malloc(n * sizeof *stratum);
    uint64_t *hash = malloc(n * sizeof *hash);
    int *variant = malloc(n * sizeof *variant);
    const size_t n_channels = o->channels ? o->channels->n : LAPSE_CHANNELS;
    int64_t *used = o->steps ? calloc(n_channels * SIM_DAYS, sizeof *used) : NULL;
    lapse_outfile *sends = NULL, *events = NULL, *clicks = NULL, *truth = NULL;
    if (!channel || !tier || !stratum || !hash || !variant || (o->steps && !used)) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    char id[32];
    for (size_t i = 0; i < n; i++) {
        rng r = { o->seed * 0xd1342543de82ef95u + i };
        channel[i] = (unsigned char)rng_below(&r, LAPSE_CHANNELS);
        tier[i] = (unsigned char)rng_below(&r, 3);
        /* a sequence's users all get the same steps: strata are the tiers */
        stratum[i] = o->steps ? tier[i] : channel[i] * 3u + tier[i];
        const int len = snprintf(id, sizeof id, "c%07zu", i);
        hash[i] = campaign_user_hash(o->seed, id, (size_t)len);
    }
    status = campaign_assign(n, stratum, hash, o->control, o->variants, variant);
    if (status != LAPSE_OK) {
        lapse_error_set(err, status, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    if ((status = open_in(&sends, dir, "sends.csv", err)) != LAPSE_OK ||
        (status = open_in(&events, dir, "events.csv", err)) != LAPSE_OK ||
        (status = open_in(&clicks, dir, "clicks.csv", err)) != LAPSE_OK ||
        (status = open_in(&truth, dir, "truth.csv", err)) != LAPSE_OK)
        goto done;
    FILE *fs = lapse_outfile_stream(sends), *fe = lapse_outfile_stream(events),
         *fc = lapse_outfile_stream(clicks), *ft = lapse_outfile_stream(truth);
    fputs(o->steps ? "user_id,channel,sent_at,group,cost,variant,risk_tier,step,start,step_holdout\n"
                   : "user_id,channel,sent_at,group,cost,variant,risk_tier\n",
          fs);
    fputs("user_id,ts,event\n", fe);
    fputs("user_id,ts,event\n", fc);
    fputs(o->steps ? "step,channel,variant,uplift\n" : "channel,variant,uplift\n", ft);
    for (size_t k = 0; o->steps && k < o->n_steps; k++)
        for (int v = 0; v < o->variants; v++)
            fprintf(ft, "%zu,%s,%c,%.10g\n", k + 1,
                    sim_channel(o, o->steps[k].channel)->name, 'A' + v,
                    o->step_uplift[k]);
    for (int c = 0; !o->steps && c < LAPSE_CHANNELS; c++)
        for (int v = 0; v < o->variants; v++)
            fprintf(ft, "%s,%c,%.10g\n", lapse_channel_name(c), 'A' + v, o->uplift[c]);
    for (size_t i = 0; i < n; i++) {
        /* a second stream per user, so the draws above never shift these */
        rng r = { (o->seed * 0xd1342543de82ef95u + i) ^ 0x5851f42d4c957f2du };
        snprintf(id, sizeof id, "c%07zu", i);
        if (o->steps) {
            simulate_sequence_user(fs, fe, fc, id, tier[i], variant[i], o, &r, used);
            continue;
        }
        const int treat = variant[i] >= 0;
        const int64_t sent = o->start + 8 * HOUR + rng_below(&r, 10 * HOUR);
        char when[32];
        lapse_time_format_iso(when, sent);
        fprintf(fs, "%s,%s,%s,%s,%.10g,%c,%s\n", id, lapse_channel_name(channel[i]), when,
                treat ? "treatment" : "control", treat ? costs[channel[i]] : 0.0,
                treat ? 'A' + variant[i] : '-', tier_names[tier[i]]);
        const int history = 1 + (int)rng_below(&r, 3);
        for (int h = 0; h < history; h++)
            put_event(fe, id, o->start - 14 * DAY + rng_below(&r, 11 * DAY), "login");
        const double p = o->base[tier[i]] + (treat ? o->uplift[channel[i]] : 0);
        const int recalled = rng_unit(&r) < p;
        if (recalled) {
            put_return(fe, &r, id, sent + rng_below(&r, o->window));
        } else if (rng_unit(&r) < P_LATE) {
            put_event(fe, id, sent + o->window + HOUR + rng_below(&r, 20 * DAY), "login");
        }
        if (treat && rng_unit(&r) < (recalled ? P_CLICK_RECALLED : P_CLICK_OTHER))
            put_event(fc, id, sent + rng_below(&r, 2 * HOUR), "message_click");
    }
    /* the log's last day: every 31-day retention period fits in it */
    put_event(fe, "c_end",
              o->start + (o->steps ? o->steps[o->n_steps - 1].offset + DAY : 0) + o->window +
                  32 * DAY,
              "login");
    lapse_outfile *files[4] = { sends, events, clicks, truth };
    sends = events = clicks = truth = NULL; /* now owned by files[] */
    if (status == LAPSE_OK)
        status = lapse_outfile_commit_all(files, 4, err);
    for (int f = 0; f < 4; f++)
        lapse_outfile_abort(files[f]); /* those commit_all did not take */
done:
    lapse_outfile_abort(sends);
    lapse_outfile_abort(events);
    lapse_outfile_abort(clicks);
    lapse_outfile_abort(truth);
    free(channel);
    free(tier);
    free(stratum);
    free(hash);
    free(variant);
    free(used);
    return status;
}
