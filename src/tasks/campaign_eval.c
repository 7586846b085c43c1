/* lapse_campaign_eval: a send list and the log after it -> recall, uplift
 * over control and retention per channel and variant (definitions in
 * campaign.h). */
#include "campaign_internal.h"

#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include "fieldnum.h"
#include "strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY INT64_C(86400)
#define RETENTION_END (31 * DAY) /* last retention period ends 31 days after the recall */

enum { COL_USER, COL_CHANNEL, COL_SENT, COL_GROUP, COL_COST, COL_VARIANT, COL_STEP, COL_START,
       COL_HOLDOUT, N_COLS };

/* step and start: a sequence plan, a row per touch; step_holdout: its
 * planned share stopped before each later step */
static const campaign_column eval_columns[N_COLS] = {
    { "user_id", 1 }, { "channel", 1 }, { "sent_at", 1 }, { "group", 1 },
    { "cost", 1 },    { "variant", 1 }, { "step", 0 },    { "start", 0 },
    { "step_holdout", 0 },
};

typedef struct {
    int64_t sent_at, line;
    double cost;
    int32_t variant; /* id in the variant map; -1 for control */
    unsigned char channel, control, seen, clicked, censored;
} send;

typedef struct {
    int64_t ts;
    uint32_t send;
} key_event;

typedef struct {
    const char *path;
    const lapse_channel_table *ch;
    lapse_strmap *users, *variants;
    send *sends;
    size_t n, cap;
    campaign_touch *touches; /* a sequence plan's rows */
    size_t n_touches, cap_touches;
    int64_t duplicates;
    int sent_col; /* position of sent_at, for range errors */
    double step_holdout;   /* the plan's share stopped before each later step */
    int64_t holdout_line;  /* where it was first read; 0: the plan does not say */
} eval_state;

/* A row of a sequence plan: a touch, of which a user has several. */
static int sequence_row(eval_state *s, const send *row, uint32_t user, const char *const *f,
                        const size_t *len, const int *col, int64_t line, lapse_error *err)
{
    if (!f[COL_START])
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_STEP], -1,
                               "a sequence plan (a step column) needs a start column");
    campaign_touch t = { .sent_at = row->sent_at, .line = line, .cost = row->cost,
                         .user = user, .variant = row->variant, .channel = row->channel };
    if (campaign_step_field(&t.step, f[COL_STEP], s->path, line, col[COL_STEP], err) != LAPSE_OK)
        return LAPSE_ERR_FORMAT;
    if (f[COL_HOLDOUT]) {
        double share = NAN;
        lapse_field_number(f[COL_HOLDOUT], len[COL_HOLDOUT], &share);
        if (!(share >= 0 && share <= 0.9))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_HOLDOUT], -1,
                                   "bad step_holdout \"%s\": a share in 0..0.9",
                                   f[COL_HOLDOUT]);
        if (s->holdout_line && share != s->step_holdout)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_HOLDOUT], -1,
                                   "step_holdout %s differs from line %lld's %.10g: one plan "
                                   "has one",
                                   f[COL_HOLDOUT], (long long)s->holdout_line, s->step_holdout);
        s->step_holdout = share;
        s->holdout_line = line;
    }
    if (lapse_time_parse(&t.start, f[COL_START], len[COL_START]) != LAPSE_OK ||
        t.start > t.sent_at)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_START], -1,
                               "bad start \"%s\": the time the sequence starts, at or before "
                               "sent_at",
                               f[COL_START]);
    if (s->n_touches == s->cap_touches) {
        const size_t cap = s->cap_touches ? 2 * s->cap_touches : 1024;
        campaign_touch *grown = realloc(s->touches, cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, s->path, 0, 0, -1, "out of memory");
        s->touches = grown;
        s->cap_touches = cap;
    }
    s->touches[s->n_touches++] = t;
    return LAPSE_OK;
}

static int eval_row(void *user, const char *const *f, const size_t *len, const int *col,
                    int64_t line, lapse_error *err)
{
    eval_state *s = user;
    send row = { .line = line };
    s->sent_col = col[COL_SENT];
    if (len[COL_USER] == 0 || len[COL_USER] > LAPSE_USER_ID_MAX)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_USER], -1,
                               "user_id must be 1 to %d bytes", LAPSE_USER_ID_MAX);
    const int channel = lapse_channel_find(s->ch, f[COL_CHANNEL], len[COL_CHANNEL]);
    if (channel < 0) {
        char names[1024];
        lapse_channel_list(names, sizeof names, s->ch);
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_CHANNEL], -1,
                               "unknown channel \"%s\" (%s)", f[COL_CHANNEL], names);
    }
    row.channel = (unsigned char)channel;
    const int t = lapse_time_parse(&row.sent_at, f[COL_SENT], len[COL_SENT]);
    if (t != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_SENT], -1,
                               "bad timestamp \"%s\"", f[COL_SENT]);
    if (strcmp(f[COL_GROUP], "control") == 0)
        row.control = 1;
    else if (strcmp(f[COL_GROUP], "treatment") != 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_GROUP], -1,
                               "group must be treatment or control, not \"%s\"", f[COL_GROUP]);
    if (lapse_field_number(f[COL_COST], len[COL_COST], &row.cost) || row.cost < 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_COST], -1,
                               "bad cost \"%s\": a number >= 0", f[COL_COST]);
    row.variant = -1;
    if (!row.control) {
        if (len[COL_VARIANT] == 0 || len[COL_VARIANT] > LAPSE_VARIANT_MAX)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_VARIANT], -1,
                                   "variant must be 1 to %d bytes", LAPSE_VARIANT_MAX);
        const int64_t v = lapse_strmap_intern(s->variants, f[COL_VARIANT], len[COL_VARIANT], NULL);
        if (v < 0)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, s->path, 0, 0, -1, "out of memory");
        row.variant = (int32_t)v;
    }
    int added;
    const int64_t id = lapse_strmap_intern(s->users, f[COL_USER], len[COL_USER], &added);
    if (id < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, s->path, 0, 0, -1, "out of memory");
    if (f[COL_STEP])
        return sequence_row(s, &row, (uint32_t)id, f, len, col, line, err);
    if (!added) {
        const send *first = &s->sends[id];
        if (first->channel == row.channel && first->sent_at == row.sent_at &&
            first->control == row.control && first->cost == row.cost &&
            first->variant == row.variant) {
            if (s->duplicates++ < 3)
                lapse_log(LAPSE_LOG_WARN, "%s:%lld repeats line %lld; counted once", s->path,
                          (long long)line, (long long)first->line);
            return LAPSE_OK;
        }
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_USER], -1,
                               "user \"%s\" is listed again with a different send (first on "
                               "line %lld)",
                               f[COL_USER], (long long)first->line);
    }
    if (s->n == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 1024;
        send *grown = realloc(s->sends, cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, s->path, 0, 0, -1, "out of memory");
        s->sends = grown;
        s->cap = cap;
    }
    s->sends[s->n++] = row;
    return LAPSE_OK;
}

static int key_event_cmp(const void *a, const void *b)
{
    const key_event *x = a, *y = b;
    if (x->send != y->send)
        return x->send < y->send ? -1 : 1;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

typedef struct {
    eval_state *s;
    const lapse_campaign_eval_options *opts;
    key_event *keys;
    size_t n_keys, cap_keys;
} log_pass;

static int on_log_event(void *user, uint32_t id, const lapse_event *e, lapse_error *err)
{
    log_pass *p = user;
    send *s = &p->s->sends[id];
    s->seen = 1;
    if (!(p->opts->key_mask & (1u << e->category)) || e->ts < s->sent_at ||
        e->ts >= s->sent_at + p->opts->window + RETENTION_END)
        return LAPSE_OK;
    if (p->n_keys == p->cap_keys) {
        const size_t cap = p->cap_keys ? 2 * p->cap_keys : 4096;
        key_event *grown = realloc(p->keys, cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        p->keys = grown;
        p->cap_keys = cap;
    }
    p->keys[p->n_keys++] = (key_event){ e->ts, id };
    return LAPSE_OK;
}

static int on_click(void *user, uint32_t id, const lapse_event *e, lapse_error *err)
{
    (void)err;
    log_pass *p = user;
    send *s = &p->s->sends[id];
    if (!s->control && e->ts >= s->sent_at && e->ts < s->sent_at + p->opts->window)
        s->clicked = 1;
    return LAPSE_OK;
}

/* Per-send outcome. */
typedef struct {
    unsigned char recalled, obs[2], kept[2];
} outcome;

static void judge(outcome *o, const send *s, const key_event *k, size_t n, int64_t window,
                  int64_t end)
{
    memset(o, 0, sizeof *o);
    size_t i = 0;
    while (i < n && k[i].ts < s->sent_at)
        i++;
    if (i == n || k[i].ts >= s->sent_at + window)
        return;
    o->recalled = 1;
    const int64_t r = k[i].ts;
    const int64_t from[2] = { r + DAY, r + 8 * DAY }, to[2] = { r + 8 * DAY, r + 31 * DAY };
    for (int p = 0; p < 2; p++) {
        o->obs[p] = to[p] <= end;
        for (size_t j = i; j < n && o->obs[p]; j++)
            if (k[j].ts >= from[p] && k[j].ts < to[p]) {
                o->kept[p] = 1;
                break;
            }
    }
}

void campaign_tally_add(campaign_tally *sum, const campaign_tally *t)
{
    sum->sent += t->sent;
    sum->clicked += t->clicked;
    sum->recalled += t->recalled;
    sum->direct += t->direct;
    sum->cost += t->cost;
    sum->censored += t->censored;
    for (int q = 0; q < 2; q++) {
        sum->ret_n[q] += t->ret_n[q];
        sum->ret_k[q] += t->ret_k[q];
    }
}

/* The sends' outcomes summed: treatment per channel and variant, control
 * per channel. */
typedef struct {
    size_t n_var;
    campaign_tally *treated; /* [channel][variant], n_var + 1 variants a channel */
    campaign_control control[LAPSE_CHANNELS_MAX];
    int64_t n_t[LAPSE_CHANNELS_MAX]; /* treatment sends */
} eval_tallies;

void campaign_row_fill(lapse_campaign_row *row, const char *channel, const char *variant,
                       const campaign_tally *t, const campaign_control *c,
                       int64_t channel_sent, double share, int clicks)
{
    memset(row, 0, sizeof *row);
    snprintf(row->channel, sizeof row->channel, "%s", channel);
    snprintf(row->variant, sizeof row->variant, "%s", variant);
    row->sent = t->sent;
    row->clicked = clicks ? t->clicked : -1;
    row->recalled = t->recalled;
    row->recalled_direct = clicks ? t->direct : -1;
    row->cost = t->cost;
    row->control = c->n;
    row->control_recalled = c->recalled;
    row->censored = t->censored;
    row->control_censored = c->censored;
    for (int q = 0; q < 2; q++) {
        row->retention_n[q] = t->ret_n[q];
        row->retained[q] = t->ret_k[q];
    }
    lapse_compare_proportions(&row->cmp, row->recalled, row->sent, c->recalled, c->n);
    row->srm_chi2 = row->srm_p = NAN;
    if (share > 0)
        lapse_srm(&row->srm_chi2, &row->srm_p, c->n, c->n + channel_sent, share);
    row->mde = lapse_mde(c->n > 0 ? (double)c->recalled / (double)c->n : NAN, row->sent, c->n);
}

void campaign_variant_name(char *name, const lapse_strmap *variants, size_t v)
{
    size_t len;
    const char *key = lapse_strmap_key(variants, (int64_t)v, &len);
    memcpy(name, key, len);
    name[len] = '\0';
}

/* Reads the log, keeping the key events of listed users, then the click log
 * if any; the report gets the whole days the log covers. */
static int read_event_logs(lapse_campaign_report *rep, log_pass *p, const char *const *log_paths,
                           size_t n_logs, const char *const *click_paths, size_t n_clicks,
                           lapse_error *err)
{
    int64_t first = INT64_MAX, last = INT64_MIN;
    int status = campaign_read_logs(log_paths, n_logs, p->opts->categories,
                                    p->opts->max_bad_rows, p->s->users, on_log_event, p,
                                    &rep->log_events, &first, &last, err);
    if (status != LAPSE_OK)
        return status;
    if (rep->log_events == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, log_paths[0], 0, 0, -1,
                               "the log has no events");
    if (n_clicks) {
        int64_t clicks_events = 0, clicks_first = INT64_MAX, clicks_last = INT64_MIN;
        status = campaign_read_logs(click_paths, n_clicks, p->opts->categories,
                                    p->opts->max_bad_rows, p->s->users, on_click, p,
                                    &clicks_events, &clicks_first, &clicks_last, err);
        if (status != LAPSE_OK)
            return status;
    }
    rep->log_first = lapse_day_of(first) * DAY;
    /* A log ends where its export stopped, often inside a day: what comes
     * after its last event is unknown, not quiet. */
    rep->log_end = last + 1;
    return LAPSE_OK;
}

/* A send before the log's first day cannot be judged: an error. A send
 * whose window closes after the log's last event is censored: left out of
 * the rates and counted (an error when every send is). A listed user with no
 * event at all is only warned about, in one pass so the warnings come in
 * file order. */
static int check_sends(lapse_campaign_report *rep, eval_state *s, int64_t window,
                       lapse_error *err)
{
    const send *first_censored = NULL;
    char last[32];
    lapse_time_format_iso(last, rep->log_end - 1);
    for (size_t i = 0; i < s->n; i++) {
        send *d = &s->sends[i];
        if (d->sent_at + window > rep->log_end) {
            d->censored = 1;
            rep->censored++;
            if (!first_censored)
                first_censored = d;
        }
        if (d->sent_at < rep->log_first) {
            char a[16], b[32], when[32];
            lapse_time_format_iso(when, d->sent_at);
            lapse_time_format_date(a, rep->log_first);
            lapse_time_format_iso(b, rep->log_end - 1);
            return lapse_error_set(err, LAPSE_ERR_RANGE, s->path, d->line, s->sent_col, -1,
                                   "send at %s: it is before the log, which covers %s to %s",
                                   when, a, b);
        }
        if (!d->seen) {
            if (rep->unknown_users++ < 3) {
                size_t len;
                const char *id = lapse_strmap_key(s->users, (int64_t)i, &len);
                lapse_log(LAPSE_LOG_WARN, "%s:%lld: user \"%.*s\" has no event in the log",
                          s->path, (long long)d->line, (int)len, id);
            }
        }
    }
    if (rep->censored == (int64_t)s->n) {
        char when[32];
        lapse_time_format_iso(when, first_censored->sent_at);
        return lapse_error_set(err, LAPSE_ERR_RANGE, s->path, first_censored->line, s->sent_col,
                               -1,
                               "send at %s: its %g-hour window closes after the log's last "
                               "event (%s), as every send's does: nothing can be measured "
                               "(give the log through the end of the windows)",
                               when, (double)window / 3600, last);
    }
    if (rep->censored)
        lapse_log(LAPSE_LOG_WARN,
                  "%lld sends whose %g-hour window closes after the log's last event (%s) are "
                  "censored: left out of the rates",
                  (long long)rep->censored, (double)window / 3600, last);
    if (rep->unknown_users)
        lapse_log(LAPSE_LOG_WARN, "%lld listed users have no event in the log; they count as "
                  "not recalled", (long long)rep->unknown_users);
    return LAPSE_OK;
}

/* Judges each send by its user's key events (p->keys sorted by send, then
 * time) and sums the outcomes. */
static int tally_sends(eval_tallies *t, const log_pass *p, int64_t log_end, lapse_error *err)
{
    const eval_state *s = p->s;
    t->n_var = lapse_strmap_size(s->variants);
    t->treated = calloc(s->ch->n * (t->n_var + 1), sizeof *t->treated);
    if (!t->treated)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const size_t k0 = k;
        while (k < p->n_keys && p->keys[k].send == i)
            k++;
        const send *d = &s->sends[i];
        if (d->censored) {
            if (d->control)
                t->control[d->channel].censored++;
            else
                t->treated[d->channel * (t->n_var + 1) + (size_t)d->variant].censored++;
            continue;
        }
        outcome o;
        /* no key event at all: keys is NULL, and NULL + 0 is undefined */
        judge(&o, d, k > k0 ? p->keys + k0 : NULL, k - k0, p->opts->window, log_end);
        if (d->control) {
            t->control[d->channel].n++;
            t->control[d->channel].recalled += o.recalled;
            continue;
        }
        t->n_t[d->channel]++;
        campaign_tally *v = &t->treated[d->channel * (t->n_var + 1) + (size_t)d->variant];
        v->sent++;
        v->clicked += d->clicked;
        v->recalled += o.recalled;
        v->cost += d->cost;
        for (int q = 0; q < 2; q++) {
            v->ret_n[q] += o.recalled && o.obs[q];
            v->ret_k[q] += o.recalled && o.obs[q] && o.kept[q];
        }
    }
    return LAPSE_OK;
}

/* A row per channel and variant sent (a control-only row for a channel with
 * no treatment), then the "all" row. */
static int report_rows(lapse_campaign_report *rep, const eval_tallies *t,
                       const eval_state *s, int clicks, double control, lapse_error *err)
{
    const lapse_strmap *variants = s->variants;
    const int n_ch = (int)s->ch->n;
    rep->rows = calloc((size_t)n_ch * (t->n_var + 1) + 1, sizeof *rep->rows);
    if (!rep->rows)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    campaign_tally all = { 0 };
    campaign_control all_control = { 0 };
    for (int c = 0; c < n_ch; c++) {
        const campaign_control *control_c = &t->control[c];
        all_control.n += control_c->n;
        all_control.recalled += control_c->recalled;
        all_control.censored += control_c->censored;
        int64_t treated = 0; /* sends of the channel's variants, censored or not */
        for (size_t v = 0; v < t->n_var; v++)
            treated += t->treated[c * (t->n_var + 1) + v].sent +
                       t->treated[c * (t->n_var + 1) + v].censored;
        if (treated == 0 && control_c->n + control_c->censored > 0) {
            const campaign_tally none = { 0 };
            campaign_row_fill(&rep->rows[rep->n_rows++], s->ch->channel[c].name, "-", &none,
                              control_c, 0, control, clicks);
        }
        for (size_t v = 0; v < t->n_var; v++) {
            const campaign_tally *tv = &t->treated[c * (t->n_var + 1) + v];
            if (tv->sent + tv->censored == 0)
                continue;
            char name[LAPSE_VARIANT_MAX + 1];
            campaign_variant_name(name, variants, v);
            campaign_row_fill(&rep->rows[rep->n_rows++], s->ch->channel[c].name, name, tv,
                              control_c, t->n_t[c], control, clicks);
            campaign_tally_add(&all, tv);
        }
    }
    campaign_row_fill(&rep->rows[rep->n_rows++], "all", "all", &all, &all_control, all.sent,
                      control, clicks);
    return LAPSE_OK;
}

int lapse_campaign_eval(lapse_campaign_report **out, const char *sends_path,
                        const char *const *log_paths, size_t n_logs,
                        const char *const *click_paths, size_t n_clicks,
                        const lapse_campaign_eval_options *opts, lapse_error *err)
{
    if (opts->window <= 0 || !(opts->control > 0 && opts->control < 1) || opts->key_mask == 0 ||
        n_logs == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "eval needs a window > 0, a control share in (0, 1), key "
                               "categories and at least one log");
    eval_state s = { .path = sends_path, .ch = opts->channels };
    log_pass p = { .s = &s, .opts = opts };
    eval_tallies t = { 0 };
    lapse_campaign_report *rep = calloc(1, sizeof *rep);
    lapse_channel_table *builtin = NULL;
    int status;
    if (!s.ch) {
        builtin = malloc(sizeof *builtin);
        if (builtin)
            lapse_channel_table_default(builtin);
        s.ch = builtin;
    }
    s.users = lapse_strmap_create();
    s.variants = lapse_strmap_create();
    if (!rep || !s.users || !s.variants || !s.ch) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    status = campaign_csv_read(sends_path, eval_columns, N_COLS, eval_row, &s, err);
    if (status != LAPSE_OK)
        goto done;
    if (s.n_touches) {
        status = campaign_sequence_eval(rep, sends_path, s.sent_col, s.touches, s.n_touches,
                                        s.users, s.variants, s.ch, s.step_holdout, log_paths,
                                        n_logs, click_paths, n_clicks, opts, err);
        goto done;
    }
    if (s.n == 0) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, sends_path, 0, 0, -1, "no sends listed");
        goto done;
    }
    status = read_event_logs(rep, &p, log_paths, n_logs, click_paths, n_clicks, err);
    if (status != LAPSE_OK)
        goto done;
    rep->sends = (int64_t)s.n + s.duplicates;
    rep->duplicate_rows = s.duplicates;
    status = check_sends(rep, &s, opts->window, err);
    if (status != LAPSE_OK)
        goto done;
    /* No listed user with a key event leaves keys NULL, which qsort may not take. */
    if (p.n_keys)
        qsort(p.keys, p.n_keys, sizeof *p.keys, key_event_cmp);
    status = tally_sends(&t, &p, rep->log_end, err);
    if (status != LAPSE_OK)
        goto done;
    status = report_rows(rep, &t, &s, n_clicks > 0, opts->control, err);
done:
    if (status != LAPSE_OK) {
        lapse_campaign_report_free(rep);
        rep = NULL;
    }
    *out = rep;
    lapse_strmap_free(s.users);
    lapse_strmap_free(s.variants);
    free(s.sends);
    free(s.touches);
    free(p.keys);
    free(t.treated);
    free(builtin);
    return status;
}

void lapse_campaign_report_free(lapse_campaign_report *report)
{
    if (!report)
        return;
    free(report->rows);
    free(report);
}

static void put_number(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, ",%.6g", v);
    else
        fputs(",", out);
}

int lapse_campaign_report_write(FILE *out, const lapse_campaign_report *report)
{
    fputs("channel,variant,sent,clicked,recalled,recall_rate,total_cost,cost_per_recalled,"
          "control,control_recalled,control_rate,uplift,ci_low,ci_high,p_value,test,srm_chi2,"
          "srm_p,mde,retention_7d_n,retained_7d,retention_30d_n,retained_30d,censored,"
          "control_censored",
          out);
    fputs(report->sequence ? ",step,recalled_without_click,opening\n" : "\n", out);
    for (size_t i = 0; i < report->n_rows; i++) {
        const lapse_campaign_row *r = &report->rows[i];
        fprintf(out, "%s,%s,%lld,", r->channel, r->variant, (long long)r->sent);
        if (r->clicked >= 0)
            fprintf(out, "%lld", (long long)r->clicked);
        fprintf(out, ",%lld", (long long)r->recalled);
        put_number(out, r->cmp.rate_t);
        put_number(out, r->cost);
        put_number(out, r->recalled ? r->cost / (double)r->recalled : NAN);
        fprintf(out, ",%lld,%lld", (long long)r->control, (long long)r->control_recalled);
        put_number(out, r->cmp.rate_c);
        put_number(out, r->cmp.diff);
        put_number(out, r->cmp.ci_lo);
        put_number(out, r->cmp.ci_hi);
        put_number(out, r->cmp.p_value);
        fputs(isfinite(r->cmp.p_value) ? (r->cmp.fisher ? ",fisher" : ",z") : ",", out);
        put_number(out, r->srm_chi2);
        put_number(out, r->srm_p);
        put_number(out, r->mde);
        for (int q = 0; q < 2; q++) {
            fprintf(out, ",%lld", (long long)r->retention_n[q]);
            put_number(out, r->retention_n[q] ? (double)r->retained[q] / (double)r->retention_n[q]
                                              : NAN);
        }
        fprintf(out, ",%lld,%lld", (long long)r->censored, (long long)r->control_censored);
        if (report->sequence) {
            fprintf(out, ",%d,", r->step);
            if (r->recalled_direct >= 0)
                fprintf(out, "%lld", (long long)r->recalled_direct);
            fprintf(out, ",%d", r->opening);
        }
        fputc('\n', out);
    }
    return ferror(out) ? LAPSE_ERR_IO : LAPSE_OK;
}
