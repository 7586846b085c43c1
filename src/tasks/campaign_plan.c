/* lapse_campaign_plan: scored users -> a send list within a budget (the
 * response model and the knapsack are described in campaign.h). */
#include "campaign_internal.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include "fieldnum.h"
#include "strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { COL_USER, COL_ASOF, COL_P, COL_RISK, COL_VALUE_TIER, COL_VAR, COL_ACTION, COL_HAS_APP,
       N_COLS };

static const campaign_column plan_columns[N_COLS] = {
    { "user_id", 1 }, { "asof", 1 },   { "p_churn", 1 }, { "risk_tier", 1 },
    { "value_tier", 1 }, { "value_at_risk", 1 }, { "action", 1 }, { "has_app", 0 },
};

typedef struct {
    int64_t asof;
    int64_t line;
    double p, var;
    uint64_t eligible; /* bit c: the user passes channel c's condition */
    unsigned held;     /* bit k: a treatment sequence still going stops before step k
                          (step_holdout, seeded by user and step) */
    uint32_t risk;
    int action;        /* the suggested action's channel, or -1 */
} scored_user;

typedef struct {
    const lapse_campaign_plan_options *opts;
    const lapse_channel_table *ch;
    const char *path;
    lapse_strmap *users, *tiers;
    scored_user *rows;
    size_t n, cap;
    /* the plan's columns, then those the conditions name */
    campaign_column columns[CAMPAIGN_CSV_MAX_COLUMNS];
    int n_columns;
    unsigned char term_column[LAPSE_CHANNELS_MAX][LAPSE_CONDITION_TERMS];
} plan_read;

/* The columns to read: the plan's, then each one a condition names. */
static int plan_columns_for(plan_read *r, lapse_error *err)
{
    memcpy(r->columns, plan_columns, sizeof plan_columns);
    r->n_columns = N_COLS;
    for (size_t c = 0; c < r->ch->n; c++) {
        const lapse_channel_def *d = &r->ch->channel[c];
        for (int k = 0; k < d->n_terms; k++) {
            int col = 0;
            while (col < r->n_columns && strcmp(r->columns[col].name, d->terms[k].column) != 0)
                col++;
            if (col == r->n_columns) {
                if (col == CAMPAIGN_CSV_MAX_COLUMNS)
                    return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                           "the channels' conditions name more than %d columns",
                                           CAMPAIGN_CSV_MAX_COLUMNS - N_COLS);
                r->columns[r->n_columns++] = (campaign_column){ d->terms[k].column, 0 };
            }
            r->term_column[c][k] = (unsigned char)col;
        }
    }
    return LAPSE_OK;
}

/* A channel the plan could choose whose condition names a column the file
 * lacks reaches nobody: said once, on the first row. */
static void warn_missing_columns(const plan_read *r, const char *const *f)
{
    for (size_t c = 0; c < r->ch->n; c++) {
        const lapse_channel_def *d = &r->ch->channel[c];
        for (int k = 0; k < d->n_terms && d->uplift > 0; k++) {
            const int col = r->term_column[c][k];
            if (!f[col] && col != COL_HAS_APP)
                lapse_log(LAPSE_LOG_WARN,
                          "%s has no column \"%s\": nobody may get channel %s (condition %s %s)",
                          r->path, d->terms[k].column, d->name, d->terms[k].column,
                          d->terms[k].value);
        }
    }
}

/* Which channels' conditions the row passes. A file without has_app counts
 * the users whose suggested action is push_feature as having the app. */
static uint64_t eligible_channels(const plan_read *r, const char *const *f)
{
    const char *has_app =
        f[COL_HAS_APP] ? f[COL_HAS_APP] : strcmp(f[COL_ACTION], "push_feature") == 0 ? "1" : "0";
    uint64_t eligible = 0;
    for (size_t c = 0; c < r->ch->n; c++) {
        const lapse_channel_def *d = &r->ch->channel[c];
        int ok = 1;
        for (int k = 0; k < d->n_terms && ok; k++) {
            const int col = r->term_column[c][k];
            ok = lapse_condition_term_holds(&d->terms[k], col == COL_HAS_APP ? has_app : f[col]);
        }
        eligible |= (uint64_t)ok << c;
    }
    return eligible;
}

static int plan_row(void *user, const char *const *f, const size_t *len, const int *col,
                    int64_t line, lapse_error *err)
{
    plan_read *r = user;
    if (r->n == r->cap) {
        const size_t cap = r->cap ? 2 * r->cap : 1024;
        scored_user *grown = realloc(r->rows, cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
        r->rows = grown;
        r->cap = cap;
    }
    scored_user *u = &r->rows[r->n];
    if (len[COL_USER] == 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_USER], -1,
                               "empty user_id");
    int added;
    if (lapse_strmap_intern(r->users, f[COL_USER], len[COL_USER], &added) < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
    if (!added)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_USER], -1,
                               "user \"%s\" is listed twice: plan one snapshot (asof) at a time",
                               f[COL_USER]);
    /* A model trained on a table of one's own scores without a snapshot
     * date: the send time must come from the options. */
    if (len[COL_ASOF] == 0 && r->opts->send_at < 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_ASOF], -1,
                               "empty asof (scores of a model trained on a table of your own): "
                               "give the send time (--send-at)");
    u->asof = -1;
    if (len[COL_ASOF] && lapse_date_parse(&u->asof, f[COL_ASOF], len[COL_ASOF]) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_ASOF], -1,
                               "bad asof \"%s\"", f[COL_ASOF]);
    if (lapse_field_number(f[COL_P], len[COL_P], &u->p) || u->p < 0 || u->p > 1)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_P], -1,
                               "bad p_churn \"%s\": a probability", f[COL_P]);
    u->var = 0;
    if (len[COL_VAR] && (lapse_field_number(f[COL_VAR], len[COL_VAR], &u->var) || u->var < 0))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_VAR], -1,
                               "bad value_at_risk \"%s\"", f[COL_VAR]);
    const int64_t tier = lapse_strmap_intern(r->tiers, f[COL_RISK], len[COL_RISK], NULL);
    if (tier < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
    u->risk = (uint32_t)tier;
    /* empty in scores of a table of one's own: no value_tier condition holds */
    if (len[COL_VALUE_TIER] && strcmp(f[COL_VALUE_TIER], "high") &&
        strcmp(f[COL_VALUE_TIER], "medium") && strcmp(f[COL_VALUE_TIER], "low"))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_VALUE_TIER], -1,
                               "bad value_tier \"%s\": low, medium or high (or empty)",
                               f[COL_VALUE_TIER]);
    u->action = lapse_channel_find(r->ch, f[COL_ACTION], len[COL_ACTION]);
    if (f[COL_HAS_APP] && strcmp(f[COL_HAS_APP], "0") && strcmp(f[COL_HAS_APP], "1"))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_HAS_APP], -1,
                               "bad has_app \"%s\": 0 or 1", f[COL_HAS_APP]);
    if (r->n == 0)
        warn_missing_columns(r, f);
    u->eligible = eligible_channels(r, f);
    u->held = 0;
    for (size_t k = 0; r->opts->steps && r->opts->step_holdout > 0 && k < r->opts->n_steps;
         k++) {
        const uint64_t h = campaign_user_hash(r->opts->seed ^ (0x5eed0000u + k), f[COL_USER],
                                              len[COL_USER]);
        u->held |= (unsigned)((double)(h >> 11) * 0x1p-53 < r->opts->step_holdout) << k;
    }
    u->line = line;
    r->n++;
    return LAPSE_OK;
}

int lapse_campaign_plan_check(const lapse_campaign_plan_options *o, lapse_error *err)
{
    if (!(o->budget >= 0) || !isfinite(o->budget))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "budget must be >= 0");
    const lapse_channel_table *t = o->channels;
    if (t && (t->n < 1 || t->n > LAPSE_CHANNELS_MAX))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "1 to %d channels",
                               LAPSE_CHANNELS_MAX);
    for (size_t c = 0; t && c < t->n; c++) {
        const lapse_channel_def *d = &t->channel[c];
        if (!(d->cost >= 0) || !isfinite(d->cost))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "cost of %s must be >= 0", d->name);
        if (!(d->uplift >= 0 && d->uplift <= 1))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "uplift of %s must be in 0..1", d->name);
        if (d->n_terms < 0 || d->n_terms > LAPSE_CONDITION_TERMS)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "channel %s has %d condition terms", d->name, d->n_terms);
    }
    if (!(o->match >= 0) || !isfinite(o->match) || !(o->base_value >= 0) ||
        !isfinite(o->base_value))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "match and base value must be >= 0");
    if (!(o->control >= 0 && o->control <= 0.9))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "control must be in 0..0.9");
    if (o->steps && (o->n_steps < 1 || o->n_steps > LAPSE_SEQUENCE_MAX))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "1 to %d sequence steps",
                               LAPSE_SEQUENCE_MAX);
    for (size_t k = 0; o->steps && k < o->n_steps; k++)
        if (o->steps[k].offset < 0 || (k > 0 && o->steps[k].offset <= o->steps[k - 1].offset))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "sequence step %zu is not after the step before it: a "
                                   "sequence cannot go back in time",
                                   k + 1);
    if (!(o->step_holdout >= 0 && o->step_holdout <= 0.9))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "step holdout must be in 0..0.9");
    if (o->variants && (o->n_variants < 1 || o->n_variants > 26))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "1 to 26 variants");
    for (size_t v = 0; o->variants && v < o->n_variants; v++) {
        const size_t len = strlen(o->variants[v]);
        if (len < 1 || len > LAPSE_VARIANT_MAX || strcspn(o->variants[v], ",\"\r\n") != len ||
            strcmp(o->variants[v], "-") == 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "variant \"%s\": 1 to %d bytes, no comma or quote, not \"-\"",
                                   o->variants[v], LAPSE_VARIANT_MAX);
    }
    return LAPSE_OK;
}

typedef struct {
    double ratio, dc, de;
    uint32_t user;
    unsigned char level;
} step;

static int step_cmp(const void *a, const void *b)
{
    const step *x = a, *y = b;
    if (x->ratio != y->ratio)
        return x->ratio > y->ratio ? -1 : 1;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->level > y->level) - (x->level < y->level);
}

typedef struct {
    double cost, value;
    int channel;
} option;

static int option_cmp(const void *a, const void *b)
{
    const option *x = a, *y = b;
    if (x->cost != y->cost)
        return x->cost < y->cost ? -1 : 1;
    if (x->value != y->value)
        return x->value > y->value ? -1 : 1;
    return x->channel - y->channel;
}

static double slope(const option *a, const option *b)
{
    const double dc = b->cost - a->cost;
    return dc > 0 ? (b->value - a->value) / dc : INFINITY;
}

/* The upper convex hull of (cost, value) options from (0, 0): hull[0] is
 * "no message". Returns the number of points. */
#define SEQUENCE (-2) /* an option's channel when it is the whole sequence */

/* Step k's recall of those it reaches (campaign.h). */
static double step_uplift(const lapse_channel_table *ch, const scored_user *u, int channel,
                          const lapse_campaign_plan_options *o)
{
    const double v = ch->channel[channel].uplift * (channel == u->action ? o->match : 1.0);
    return v < 1 ? v : 1;
}

/* The sequence's steps the user may get, as a bit mask over the steps. */
static unsigned sequence_steps(const scored_user *u, const lapse_campaign_plan_options *o)
{
    unsigned mask = 0;
    for (size_t k = 0; k < o->n_steps; k++)
        if (u->eligible >> o->steps[k].channel & 1)
            mask |= 1u << k;
    return mask;
}

/* Of the steps in mask, those a treatment user is sent: up to the first
 * after their first that the step holdout stops. */
static unsigned planned_steps(unsigned mask, unsigned held)
{
    const unsigned later = mask & (mask - 1); /* all but the first */
    const unsigned stops = later & held;
    return stops ? mask & ((stops & -stops) - 1) : mask;
}

/* The expected cost and value of the steps of mask that a treatment user
 * is sent (campaign.h): what the budget counts. */
static void sequence_worth(double *cost, double *value, const scored_user *u, unsigned mask,
                           const lapse_channel_table *ch, const lapse_campaign_plan_options *o)
{
    const unsigned sent = planned_steps(mask, u->held);
    const double worth = u->var + u->p * o->base_value;
    double reach = 1;
    *cost = *value = 0;
    for (size_t k = 0; k < o->n_steps; k++) {
        if (!(sent >> k & 1))
            continue;
        const int c = o->steps[k].channel;
        const double up = step_uplift(ch, u, c, o);
        *cost += reach * ch->channel[c].cost;
        *value += reach * up * worth;
        reach *= 1 - up;
    }
}

/* Hull of a sequence plan: nothing, or the sequence at its expected cost
 * and value (before capacities). */
static int sequence_hull(option hull[2], const scored_user *u, const lapse_channel_table *ch,
                         const lapse_campaign_plan_options *o)
{
    double cost, value;
    sequence_worth(&cost, &value, u, sequence_steps(u, o), ch, o);
    hull[0] = (option){ 0, 0, -1 };
    if (!(value > 0))
        return 1;
    hull[1] = (option){ cost, value, SEQUENCE };
    return 2;
}

static int user_hull(option hull[LAPSE_CHANNELS_MAX + 1], const scored_user *u,
                     const lapse_channel_table *ch, const lapse_campaign_plan_options *o)
{
    if (o->steps)
        return sequence_hull(hull, u, ch, o);
    option opt[LAPSE_CHANNELS_MAX];
    int n = 0;
    for (size_t c = 0; c < ch->n; c++) {
        if (!(u->eligible >> c & 1))
            continue;
        const double value = ch->channel[c].uplift * ((int)c == u->action ? o->match : 1.0) *
                             (u->var + u->p * o->base_value);
        if (value > 0)
            opt[n++] = (option){ ch->channel[c].cost, value, (int)c };
    }
    qsort(opt, (size_t)n, sizeof *opt, option_cmp);
    int h = 0;
    hull[h++] = (option){ 0, 0, -1 };
    for (int i = 0; i < n; i++) {
        if (opt[i].value <= hull[h - 1].value)
            continue;
        while (h >= 2 && slope(&hull[h - 2], &hull[h - 1]) <= slope(&hull[h - 1], &opt[i]))
            h--;
        hull[h++] = opt[i];
    }
    return h;
}

/* A plan as it is built: the users read, each one's hull of options (user
 * i's at hull + hull_at[i]), the hull point bought for each, and the users
 * chosen with their group. */
typedef struct {
    plan_read r;
    option *hull;
    size_t *hull_at;
    unsigned char *level; /* per user: the hull point bought, 0 for none */
    unsigned char *steps_kept; /* per user with a sequence: the steps scheduled, a bit each */
    lapse_strmap *slots;  /* (channel, UTC day) -> index into used */
    int64_t *used;        /* touches scheduled per slot */
    size_t used_cap;
    size_t *chosen;       /* users given a message, in file order */
    int *variant;         /* per chosen user: a variant, or -1 for control */
    size_t n_chosen;
} plan;

static const option *bought(const plan *pl, size_t i)
{
    return &pl->hull[pl->hull_at[i] + pl->level[i]];
}

static int64_t send_time(const scored_user *u, const lapse_campaign_plan_options *o)
{
    return o->send_at >= 0 ? o->send_at : u->asof;
}

/* The index in used of the touches of channel on a UTC day; -1 when out
 * of memory. */
static int64_t slot(plan *pl, int channel, int64_t day)
{
    struct {
        int64_t day;
        int64_t channel;
    } key = { day, channel };
    const int64_t id = lapse_strmap_intern(pl->slots, (const char *)&key, sizeof key, NULL);
    if (id < 0)
        return -1;
    if ((size_t)id >= pl->used_cap) {
        const size_t cap = pl->used_cap ? 2 * pl->used_cap : 64;
        int64_t *grown = realloc(pl->used, cap * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + pl->used_cap, 0, (cap - pl->used_cap) * sizeof *grown);
        pl->used = grown;
        pl->used_cap = cap;
    }
    return id;
}

/* Takes a single channel `to` for user i in place of `from` when it has
 * room on the send day: 1 taken, 0 blocked by its capacity,
 * LAPSE_ERR_NOMEM. */
static int take_channel(plan *pl, size_t i, const option *to, const option *from)
{
    const int64_t t = send_time(&pl->r.rows[i], pl->r.opts);
    const int64_t id = slot(pl, to->channel, lapse_day_of(t));
    const int64_t was = from->channel >= 0 ? slot(pl, from->channel, lapse_day_of(t)) : 0;
    if (id < 0 || was < 0)
        return LAPSE_ERR_NOMEM;
    const int64_t capacity = pl->r.ch->channel[to->channel].capacity;
    if (capacity >= 0 && pl->used[id] >= capacity)
        return 0;
    pl->used[id]++;
    if (from->channel >= 0)
        pl->used[was]--;
    return 1;
}

/* Takes user i's sequence: each step whose channel has room on its day
 * (a full one is dropped and counted), when the expected cost of what is
 * left fits in left; 1 taken, with the bought option's cost and value set
 * to what is left, 0 when no step has room or it does not fit,
 * LAPSE_ERR_NOMEM. */
static int take_sequence(plan *pl, size_t i, double left, int64_t *dropped)
{
    const lapse_campaign_plan_options *o = pl->r.opts;
    const scored_user *u = &pl->r.rows[i];
    const int64_t t = send_time(u, o);
    const unsigned eligible = sequence_steps(u, o);
    int64_t id[LAPSE_SEQUENCE_MAX];
    unsigned kept = 0;
    for (size_t k = 0; k < o->n_steps; k++) {
        if (!(eligible >> k & 1))
            continue;
        id[k] = slot(pl, o->steps[k].channel, lapse_day_of(t + o->steps[k].offset));
        if (id[k] < 0)
            return LAPSE_ERR_NOMEM;
        /* this sequence's earlier touches on the same channel and day count too */
        int64_t mine = 0;
        for (size_t j = 0; j < k; j++)
            mine += (kept >> j & 1) && id[j] == id[k];
        const int64_t capacity = pl->r.ch->channel[o->steps[k].channel].capacity;
        if (capacity < 0 || pl->used[id[k]] + mine < capacity)
            kept |= 1u << k;
    }
    if (!kept)
        return 0;
    /* a dropped step lets the later ones reach more users: the cost may grow */
    double cost, value;
    sequence_worth(&cost, &value, u, kept, pl->r.ch, o);
    if (!(cost <= left * (1 + 1e-12)))
        return 0;
    for (size_t k = 0; k < o->n_steps; k++) {
        if (kept >> k & 1)
            pl->used[id[k]]++;
        else if (eligible >> k & 1)
            ++*dropped;
    }
    pl->steps_kept[i] = (unsigned char)kept;
    option *sequence = &pl->hull[pl->hull_at[i] + 1];
    sequence->cost = cost;
    sequence->value = value;
    return 1;
}

/* Each user's hull, and the steps from one hull point to the next, best
 * value per cost first. */
static int collect_steps(step **out, size_t *n_out, plan *pl,
                         const lapse_campaign_plan_options *opts, lapse_error *err)
{
    const size_t n = pl->r.n;
    size_t cap = n + 1, used = 0;
    pl->hull = malloc(cap * sizeof *pl->hull);
    pl->hull_at = malloc((n ? n : 1) * sizeof *pl->hull_at);
    if (!pl->hull || !pl->hull_at)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    option h[LAPSE_CHANNELS_MAX + 1];
    for (size_t i = 0; i < n; i++) {
        const size_t k = (size_t)user_hull(h, &pl->r.rows[i], pl->r.ch, opts);
        if (used + k > cap) {
            cap = 2 * cap + k;
            option *grown = realloc(pl->hull, cap * sizeof *grown);
            if (!grown)
                return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
            pl->hull = grown;
        }
        memcpy(pl->hull + used, h, k * sizeof *h);
        pl->hull_at[i] = used;
        used += k;
    }
    step *steps = malloc((used - n + 1) * sizeof *steps);
    if (!steps)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    size_t n_steps = 0;
    for (size_t i = 0; i < n; i++) {
        const option *hull = pl->hull + pl->hull_at[i];
        const size_t end = i + 1 < n ? pl->hull_at[i + 1] : used;
        for (size_t k = 1; k < end - pl->hull_at[i]; k++)
            steps[n_steps++] = (step){ slope(&hull[k - 1], &hull[k]),
                                       hull[k].cost - hull[k - 1].cost,
                                       hull[k].value - hull[k - 1].value, (uint32_t)i,
                                       (unsigned char)k };
    }
    qsort(steps, n_steps, sizeof *steps, step_cmp);
    *out = steps;
    *n_out = n_steps;
    return LAPSE_OK;
}

/* Greedy over the sorted steps: each user climbs their hull while the
 * budget lasts and the step's touches have room on their days. */
static int spend_budget(plan *pl, const step *steps, size_t n_steps, double budget,
                        int64_t *blocked, int64_t *dropped)
{
    double left = budget;
    for (size_t s = 0; s < n_steps; s++) {
        const step *t = &steps[s];
        /* a user's steps come in hull order; a skipped step blocks the later ones */
        if (pl->level[t->user] + 1 != t->level || !(t->dc <= left * (1 + 1e-12)))
            continue;
        const option *hull = pl->hull + pl->hull_at[t->user];
        const int sequence = hull[t->level].channel == SEQUENCE;
        const int taken = sequence ? take_sequence(pl, t->user, left, dropped)
                                   : take_channel(pl, t->user, &hull[t->level], &hull[t->level - 1]);
        if (taken < 0)
            return taken;
        if (!taken) {
            (*blocked)++;
            continue;
        }
        pl->level[t->user] = t->level;
        left -= sequence ? hull[t->level].cost : t->dc; /* a sequence's cost after capacities */
    }
    return LAPSE_OK;
}

/* Which message, if any, each user gets within the budget and capacities. */
static int choose_levels(plan *pl, const lapse_campaign_plan_options *opts, int64_t *blocked,
                         int64_t *dropped, lapse_error *err)
{
    const size_t n = pl->r.n;
    step *steps = NULL;
    size_t n_steps = 0;
    int status = collect_steps(&steps, &n_steps, pl, opts, err);
    if (status != LAPSE_OK)
        return status;
    pl->level = calloc(n ? n : 1, 1);
    pl->steps_kept = calloc(n ? n : 1, 1);
    pl->slots = lapse_strmap_create();
    if (pl->level && pl->steps_kept && pl->slots)
        status = spend_budget(pl, steps, n_steps, opts->budget, blocked, dropped);
    free(steps);
    if (!pl->level || !pl->steps_kept || !pl->slots || status != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    return LAPSE_OK;
}

/* Control and variants for the chosen users, drawn within strata of channel
 * and risk tier, in an order set by the seed and the user id. */
static int assign_groups(plan *pl, const lapse_campaign_plan_options *opts, int n_variants,
                         lapse_error *err)
{
    const size_t n = pl->r.n;
    pl->chosen = malloc((n ? n : 1) * sizeof *pl->chosen);
    pl->variant = malloc((n ? n : 1) * sizeof *pl->variant);
    uint32_t *stratum = malloc((n ? n : 1) * sizeof *stratum);
    uint64_t *hash = malloc((n ? n : 1) * sizeof *hash);
    int status = LAPSE_OK;
    if (!pl->chosen || !pl->variant || !stratum || !hash) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!pl->level[i])
            continue;
        const option *o = bought(pl, i);
        size_t len;
        const char *id = lapse_strmap_key(pl->r.users, (int64_t)i, &len);
        /* a sequence's stratum is its first touch's channel */
        int channel = o->channel;
        if (channel == SEQUENCE)
            channel = opts->steps[__builtin_ctz(pl->steps_kept[i])].channel;
        stratum[pl->n_chosen] = (uint32_t)channel * (uint32_t)lapse_strmap_size(pl->r.tiers) +
                                pl->r.rows[i].risk;
        hash[pl->n_chosen] = campaign_user_hash(opts->seed, id, len);
        pl->chosen[pl->n_chosen++] = i;
    }
    status = campaign_assign(pl->n_chosen, stratum, hash, opts->control, n_variants,
                             pl->variant);
    if (status != LAPSE_OK)
        lapse_error_set(err, status, NULL, 0, 0, -1, "out of memory");
done:
    free(stratum);
    free(hash);
    return status;
}

/* One line of the send list: chosen user k's touch through channel at time
 * t, worth value (number: the sequence step, 1-based, or 0 without one;
 * then the sequence's start and the step holdout follow). */
static void write_send(FILE *out, const plan *pl, size_t k, const char *const *variants,
                       int channel, int64_t t, double value, size_t number, int treat)
{
    const size_t i = pl->chosen[k];
    const scored_user *u = &pl->r.rows[i];
    size_t len, tlen;
    const char *id = lapse_strmap_key(pl->r.users, (int64_t)i, &len);
    const char *tier = lapse_strmap_key(pl->r.tiers, u->risk, &tlen);
    char when[32];
    lapse_time_format_iso(when, t);
    lapse_outfile_put_field(out, id, len);
    fprintf(out, ",%s,%s,%s,%.10g,%s,%.6g,", pl->r.ch->channel[channel].name, when,
            treat ? "treatment" : "control", treat ? pl->r.ch->channel[channel].cost : 0.0,
            treat ? variants[pl->variant[k]] : "-", value);
    lapse_outfile_put_field(out, tier, tlen);
    if (number) {
        lapse_time_format_iso(when, send_time(u, pl->r.opts));
        fprintf(out, ",%zu,%s,%.10g", number, when, pl->r.opts->step_holdout);
    }
    fputc('\n', out);
}

/* Chosen user k's touches, one line each, counted into st. */
static void write_user(FILE *out, const plan *pl, size_t k, const char *const *variants,
                       lapse_campaign_plan_stats *st)
{
    const lapse_campaign_plan_options *o = pl->r.opts;
    const size_t i = pl->chosen[k];
    const scored_user *u = &pl->r.rows[i];
    const option *bought_option = bought(pl, i);
    const int treat = pl->variant[k] >= 0;
    const int64_t t = send_time(u, o);
    if (bought_option->channel != SEQUENCE) {
        write_send(out, pl, k, variants, bought_option->channel, t, bought_option->value, 0,
                   treat);
        st->chosen[bought_option->channel]++;
        st->control[bought_option->channel] += !treat;
        return;
    }
    const unsigned eligible = sequence_steps(u, o), mask = pl->steps_kept[i];
    const double worth = u->var + u->p * o->base_value;
    double reach = 1;
    /* a share of the treatment sequences stops before each later step */
    const unsigned sent = treat ? planned_steps(mask, u->held) : 0;
    st->held_out_steps += treat && sent != mask;
    for (size_t s = 0; s < o->n_steps; s++) {
        const int c = o->steps[s].channel;
        if (!(mask >> s & 1)) {
            st->skipped_steps += !(eligible >> s & 1);
            continue;
        }
        const int sending = sent >> s & 1;
        const double up = step_uplift(pl->r.ch, u, c, o);
        write_send(out, pl, k, variants, c, t + o->steps[s].offset, reach * up * worth, s + 1,
                   sending);
        reach *= 1 - up;
        st->chosen[c]++;
        st->control[c] += !sending;
    }
}

/* Writes the send list (replacing out_path only when complete) and counts
 * what it holds into st. */
static int write_plan(const plan *pl, const char *out_path,
                      const lapse_campaign_plan_options *opts, const char *const *variants,
                      lapse_campaign_plan_stats *st, lapse_error *err)
{
    lapse_outfile *file = NULL;
    const int status = lapse_outfile_open(&file, out_path, err);
    if (status != LAPSE_OK)
        return status;
    FILE *out = lapse_outfile_stream(file);
    fputs(opts->steps ? "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier,step,"
                      "start,step_holdout\n"
                      : "user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n",
          out);
    for (size_t k = 0; k < pl->n_chosen; k++) {
        write_user(out, pl, k, variants, st);
        const option *o = bought(pl, pl->chosen[k]);
        st->chosen_cost += o->cost;
        if (pl->variant[k] >= 0) {
            st->spend += o->cost;
            st->expected_value += o->value;
        }
    }
    return lapse_outfile_commit(file, err);
}

/* A sequence's channels against the table: each one in it, none that can
 * send nothing. */
static int check_sequence(const lapse_channel_table *ch, const lapse_campaign_plan_options *o,
                          lapse_error *err)
{
    for (size_t k = 0; o->steps && k < o->n_steps; k++) {
        const int c = o->steps[k].channel;
        if (c < 0 || (size_t)c >= ch->n)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "sequence step %zu: no channel %d in the table", k + 1, c);
        if (ch->channel[c].capacity == 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "sequence step %zu needs %s, whose capacity is 0 a day: no "
                                   "user could get the sequence",
                                   k + 1, ch->channel[c].name);
    }
    return LAPSE_OK;
}

int lapse_campaign_plan(const char *scored_path, const char *out_path,
                        const lapse_campaign_plan_options *opts, lapse_campaign_plan_stats *stats,
                        lapse_error *err)
{
    int status = lapse_campaign_plan_check(opts, err);
    if (status != LAPSE_OK)
        return status;
    static const char *const default_variants[] = { "A" };
    const char *const *variants = opts->variants ? opts->variants : default_variants;
    const int n_variants = opts->variants ? (int)opts->n_variants : 1;
    plan pl = { .r = { .opts = opts, .path = scored_path } };
    lapse_channel_table *builtin = NULL;
    if (!opts->channels) {
        builtin = malloc(sizeof *builtin);
        if (builtin)
            lapse_channel_table_default(builtin);
    }
    pl.r.ch = opts->channels ? opts->channels : builtin;
    lapse_campaign_plan_stats st;
    memset(&st, 0, sizeof st);
    pl.r.users = lapse_strmap_create();
    pl.r.tiers = lapse_strmap_create();
    if (!pl.r.users || !pl.r.tiers || !pl.r.ch) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    status = check_sequence(pl.r.ch, opts, err);
    if (status == LAPSE_OK)
        status = plan_columns_for(&pl.r, err);
    if (status == LAPSE_OK)
        status = campaign_csv_read(scored_path, pl.r.columns, pl.r.n_columns, plan_row, &pl.r,
                                   err);
    if (status != LAPSE_OK)
        goto done;
    st.users = (int64_t)pl.r.n;
    status = choose_levels(&pl, opts, &st.capacity_blocked, &st.capacity_dropped_steps, err);
    if (status != LAPSE_OK)
        goto done;
    status = assign_groups(&pl, opts, n_variants, err);
    if (status != LAPSE_OK)
        goto done;
    status = write_plan(&pl, out_path, opts, variants, &st, err);
done:
    if (status == LAPSE_OK && stats)
        *stats = st;
    lapse_strmap_free(pl.r.users);
    lapse_strmap_free(pl.r.tiers);
    free(pl.r.rows);
    free(pl.hull);
    free(pl.hull_at);
    free(pl.level);
    free(pl.steps_kept);
    lapse_strmap_free(pl.slots);
    free(pl.used);
    free(builtin);
    free(pl.chosen);
    free(pl.variant);
    return status;
}
