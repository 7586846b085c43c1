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

/* text[0..len) is not NUL-terminated (a strmap key). */
static void write_field(FILE *out, const char *text, size_t len)
{
    size_t plain = 0;
    while (plain < len && !memchr(",\"\r\n", text[plain], 4))
        plain++;
    if (plain == len) {
        fwrite(text, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            fputc('"', out);
        fputc(text[i], out);
    }
    fputc('"', out);
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
    plan_read r = { .opts = opts, .path = scored_path };
    step *steps = NULL;
    option(*hulls)[LAPSE_CHANNELS + 1] = NULL;
    unsigned char *level = NULL;
    uint32_t *stratum = NULL;
    uint64_t *hash = NULL;
    int *variant = NULL;
    size_t *chosen = NULL;
    lapse_outfile *file = NULL;
    lapse_campaign_plan_stats st;
    memset(&st, 0, sizeof st);
    r.users = lapse_strmap_create();
    r.tiers = lapse_strmap_create();
    if (!r.users || !r.tiers) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    status = campaign_csv_read(scored_path, plan_columns, N_COLS, plan_row, &r, err);
    if (status != LAPSE_OK)
        goto done;
    const size_t n = r.n;
    st.users = (int64_t)n;
    hulls = malloc((n ? n : 1) * sizeof *hulls);
    steps = malloc((n ? n : 1) * LAPSE_CHANNELS * sizeof *steps);
    level = calloc(n ? n : 1, 1);
    if (!hulls || !steps || !level) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    size_t n_steps = 0;
    for (size_t i = 0; i < n; i++) {
        const int h = user_hull(hulls[i], &r.rows[i], opts);
        for (int k = 1; k < h; k++)
            steps[n_steps++] = (step){ slope(&hulls[i][k - 1], &hulls[i][k]),
                                       hulls[i][k].cost - hulls[i][k - 1].cost,
                                       hulls[i][k].value - hulls[i][k - 1].value, (uint32_t)i,
                                       (unsigned char)k };
    }
    qsort(steps, n_steps, sizeof *steps, step_cmp);
    double left = opts->budget;
    for (size_t s = 0; s < n_steps; s++) {
        const step *t = &steps[s];
        /* a user's steps come in hull order; a skipped step blocks the later ones */
        if (level[t->user] + 1 == t->level && t->dc <= left * (1 + 1e-12)) {
            level[t->user] = t->level;
            left -= t->dc;
        }
    }
    size_t n_chosen = 0;
    chosen = malloc((n ? n : 1) * sizeof *chosen);
    stratum = malloc((n ? n : 1) * sizeof *stratum);
    hash = malloc((n ? n : 1) * sizeof *hash);
    variant = malloc((n ? n : 1) * sizeof *variant);
    if (!chosen || !stratum || !hash || !variant) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!level[i])
            continue;
        const option *o = &hulls[i][level[i]];
        size_t len;
        const char *id = lapse_strmap_key(r.users, (int64_t)i, &len);
        stratum[n_chosen] = (uint32_t)o->channel * (uint32_t)lapse_strmap_size(r.tiers) +
                            r.rows[i].risk;
        hash[n_chosen] = campaign_user_hash(opts->seed, id, len);
        chosen[n_chosen++] = i;
    }
    status = campaign_assign(n_chosen, stratum, hash, opts->control, n_variants, variant);
    if (status != LAPSE_OK) {
        lapse_error_set(err, status, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    status = lapse_outfile_open(&file, out_path, err);
    if (status != LAPSE_OK)
        goto done;
    FILE *out = lapse_outfile_stream(file);
    fputs("user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n", out);
    for (size_t k = 0; k < n_chosen; k++) {
        const size_t i = chosen[k];
        const scored_user *u = &r.rows[i];
        const option *o = &hulls[i][level[i]];
        const int treat = variant[k] >= 0;
        size_t len, tlen;
        const char *id = lapse_strmap_key(r.users, (int64_t)i, &len);
        const char *tier = lapse_strmap_key(r.tiers, u->risk, &tlen);
        char when[32];
        lapse_time_format_iso(when, opts->send_at >= 0 ? opts->send_at : u->asof);
        write_field(out, id, len);
        fprintf(out, ",%s,%s,%s,%.10g,%s,%.6g,", lapse_channel_name(o->channel), when,
                treat ? "treatment" : "control", treat ? o->cost : 0.0,
                treat ? variants[variant[k]] : "-", o->value);
        write_field(out, tier, tlen);
        fputc('\n', out);
        st.chosen[o->channel]++;
        st.chosen_cost += o->cost;
        if (treat) {
            st.spend += o->cost;
            st.expected_value += o->value;
        } else {
            st.control[o->channel]++;
        }
    }
    status = lapse_outfile_commit(file, err);
    file = NULL;
done:
    lapse_outfile_abort(file);
    if (status == LAPSE_OK && stats)
        *stats = st;
    lapse_strmap_free(r.users);
    lapse_strmap_free(r.tiers);
    free(r.rows);
    free(hulls);
    free(steps);
    free(level);
    free(chosen);
    free(stratum);
    free(hash);
    free(variant);
    return status;
}
