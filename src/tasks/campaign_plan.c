/* lapse_campaign_plan: scored users -> a send list within a budget (the
 * response model and the knapsack are described in campaign.h). */
#include "campaign_internal.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include "strmap.h"

#include <errno.h>
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
    uint32_t risk;
    signed char action; /* a channel, or -1 */
    unsigned char high, app;
} scored_user;

typedef struct {
    const lapse_campaign_plan_options *opts;
    const char *path;
    lapse_strmap *users, *tiers;
    scored_user *rows;
    size_t n, cap;
} plan_read;

static int parse_number(double *out, const char *text)
{
    char *end;
    errno = 0;
    const double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v))
        return LAPSE_ERR_FORMAT;
    *out = v;
    return LAPSE_OK;
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
    if (lapse_date_parse(&u->asof, f[COL_ASOF], len[COL_ASOF]) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_ASOF], -1,
                               "bad asof \"%s\"", f[COL_ASOF]);
    if (parse_number(&u->p, f[COL_P]) != LAPSE_OK || u->p < 0 || u->p > 1)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_P], -1,
                               "bad p_churn \"%s\": a probability", f[COL_P]);
    u->var = 0;
    if (len[COL_VAR] && (parse_number(&u->var, f[COL_VAR]) != LAPSE_OK || u->var < 0))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_VAR], -1,
                               "bad value_at_risk \"%s\"", f[COL_VAR]);
    const int64_t tier = lapse_strmap_intern(r->tiers, f[COL_RISK], len[COL_RISK], NULL);
    if (tier < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
    u->risk = (uint32_t)tier;
    u->high = strcmp(f[COL_VALUE_TIER], "high") == 0;
    if (!u->high && strcmp(f[COL_VALUE_TIER], "medium") && strcmp(f[COL_VALUE_TIER], "low"))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_VALUE_TIER], -1,
                               "bad value_tier \"%s\": low, medium or high",
                               f[COL_VALUE_TIER]);
    lapse_channel action;
    u->action = lapse_channel_parse(&action, f[COL_ACTION], len[COL_ACTION]) == LAPSE_OK
                    ? (signed char)action : -1;
    if (f[COL_HAS_APP]) {
        if (strcmp(f[COL_HAS_APP], "0") && strcmp(f[COL_HAS_APP], "1"))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, line, col[COL_HAS_APP], -1,
                                   "bad has_app \"%s\": 0 or 1", f[COL_HAS_APP]);
        u->app = f[COL_HAS_APP][0] == '1';
    } else {
        u->app = u->action == LAPSE_CHANNEL_PUSH_FEATURE;
    }
    u->line = line;
    r->n++;
    return LAPSE_OK;
}

int lapse_campaign_plan_check(const lapse_campaign_plan_options *o, lapse_error *err)
{
    if (!(o->budget >= 0) || !isfinite(o->budget))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "budget must be >= 0");
    for (int c = 0; c < LAPSE_CHANNELS; c++) {
        if (!(o->cost[c] >= 0) || !isfinite(o->cost[c]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "cost of %s must be >= 0", lapse_channel_name(c));
        if (!(o->uplift[c] >= 0 && o->uplift[c] <= 1))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "uplift of %s must be in 0..1", lapse_channel_name(c));
    }
    if (!(o->match >= 0) || !isfinite(o->match) || !(o->base_value >= 0) ||
        !isfinite(o->base_value))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "match and base value must be >= 0");
    if (!(o->control >= 0 && o->control <= 0.9))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "control must be in 0..0.9");
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
static int user_hull(option hull[LAPSE_CHANNELS + 1], const scored_user *u,
                     const lapse_campaign_plan_options *o)
{
    option opt[LAPSE_CHANNELS];
    int n = 0;
    for (int c = 0; c < LAPSE_CHANNELS; c++) {
        if (c == LAPSE_CHANNEL_PHONE && !u->high)
            continue;
        if (c == LAPSE_CHANNEL_PUSH_FEATURE && !u->app)
            continue;
        const double value =
            o->uplift[c] * (c == u->action ? o->match : 1.0) * (u->var + u->p * o->base_value);
        if (value > 0)
            opt[n++] = (option){ o->cost[c], value, c };
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

/* A plan as it is built: the users read, each one's hull of options, the
 * hull point bought for each, and the users chosen with their group. */
typedef struct {
    plan_read r;
    option (*hulls)[LAPSE_CHANNELS + 1];
    unsigned char *level; /* per user: the hull point bought, 0 for none */
    size_t *chosen;       /* users given a message, in file order */
    int *variant;         /* per chosen user: a variant, or -1 for control */
    size_t n_chosen;
} plan;

/* Each user's hull, and the steps from one hull point to the next, best
 * value per cost first. Returns the number of steps. */
static size_t collect_steps(step *steps, plan *pl, const lapse_campaign_plan_options *opts)
{
    size_t n_steps = 0;
    for (size_t i = 0; i < pl->r.n; i++) {
        option *hull = pl->hulls[i];
        const int h = user_hull(hull, &pl->r.rows[i], opts);
        for (int k = 1; k < h; k++)
            steps[n_steps++] = (step){ slope(&hull[k - 1], &hull[k]),
                                       hull[k].cost - hull[k - 1].cost,
                                       hull[k].value - hull[k - 1].value, (uint32_t)i,
                                       (unsigned char)k };
    }
    qsort(steps, n_steps, sizeof *steps, step_cmp);
    return n_steps;
}

/* Greedy over the sorted steps: each user climbs their hull while the
 * budget lasts. */
static void spend_budget(unsigned char *level, const step *steps, size_t n_steps, double budget)
{
    double left = budget;
    for (size_t s = 0; s < n_steps; s++) {
        const step *t = &steps[s];
        /* a user's steps come in hull order; a skipped step blocks the later ones */
        if (level[t->user] + 1 == t->level && t->dc <= left * (1 + 1e-12)) {
            level[t->user] = t->level;
            left -= t->dc;
        }
    }
}

/* Which message, if any, each user gets within the budget. */
static int choose_levels(plan *pl, const lapse_campaign_plan_options *opts, lapse_error *err)
{
    const size_t n = pl->r.n;
    pl->hulls = malloc((n ? n : 1) * sizeof *pl->hulls);
    pl->level = calloc(n ? n : 1, 1);
    step *steps = malloc((n ? n : 1) * LAPSE_CHANNELS * sizeof *steps);
    if (!pl->hulls || !pl->level || !steps) {
        free(steps);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    const size_t n_steps = collect_steps(steps, pl, opts);
    spend_budget(pl->level, steps, n_steps, opts->budget);
    free(steps);
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
        const option *o = &pl->hulls[i][pl->level[i]];
        size_t len;
        const char *id = lapse_strmap_key(pl->r.users, (int64_t)i, &len);
        stratum[pl->n_chosen] = (uint32_t)o->channel * (uint32_t)lapse_strmap_size(pl->r.tiers) +
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

/* Line k of the send list. */
static void write_send(FILE *out, const plan *pl, size_t k, const lapse_campaign_plan_options *opts,
                       const char *const *variants)
{
    const size_t i = pl->chosen[k];
    const scored_user *u = &pl->r.rows[i];
    const option *o = &pl->hulls[i][pl->level[i]];
    const int treat = pl->variant[k] >= 0;
    size_t len, tlen;
    const char *id = lapse_strmap_key(pl->r.users, (int64_t)i, &len);
    const char *tier = lapse_strmap_key(pl->r.tiers, u->risk, &tlen);
    char when[32];
    lapse_time_format_iso(when, opts->send_at >= 0 ? opts->send_at : u->asof);
    lapse_outfile_put_field(out, id, len);
    fprintf(out, ",%s,%s,%s,%.10g,%s,%.6g,", lapse_channel_name(o->channel), when,
            treat ? "treatment" : "control", treat ? o->cost : 0.0,
            treat ? variants[pl->variant[k]] : "-", o->value);
    lapse_outfile_put_field(out, tier, tlen);
    fputc('\n', out);
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
    fputs("user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n", out);
    for (size_t k = 0; k < pl->n_chosen; k++) {
        write_send(out, pl, k, opts, variants);
        const size_t i = pl->chosen[k];
        const option *o = &pl->hulls[i][pl->level[i]];
        st->chosen[o->channel]++;
        st->chosen_cost += o->cost;
        if (pl->variant[k] >= 0) {
            st->spend += o->cost;
            st->expected_value += o->value;
        } else {
            st->control[o->channel]++;
        }
    }
    return lapse_outfile_commit(file, err);
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
    lapse_campaign_plan_stats st;
    memset(&st, 0, sizeof st);
    pl.r.users = lapse_strmap_create();
    pl.r.tiers = lapse_strmap_create();
    if (!pl.r.users || !pl.r.tiers) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    status = campaign_csv_read(scored_path, plan_columns, N_COLS, plan_row, &pl.r, err);
    if (status != LAPSE_OK)
        goto done;
    st.users = (int64_t)pl.r.n;
    status = choose_levels(&pl, opts, err);
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
    free(pl.hulls);
    free(pl.level);
    free(pl.chosen);
    free(pl.variant);
    return status;
}
