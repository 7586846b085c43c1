/* Eval of a sequence plan: recall per step, channel and variant, attributed
 * to the last touch before the return, and what each step adds over
 * stopping before it (definitions in campaign.h). */
#include "campaign_internal.h"

#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY INT64_C(86400)
#define RETENTION_END (31 * DAY) /* last retention period ends 31 days after the recall */

typedef struct {
    int64_t ts;
    uint32_t user;
} user_event;

static int event_cmp(const void *a, const void *b)
{
    const user_event *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return (x->ts > y->ts) - (x->ts < y->ts);
}

static int touch_cmp(const void *a, const void *b)
{
    const campaign_touch *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

typedef struct {
    const lapse_campaign_eval_options *opts;
    const campaign_touch *touches;
    const size_t *first;  /* per user: index of their first touch */
    const size_t *count;  /* per user: their touches */
    unsigned char *seen;  /* per user: any event in the log */
    user_event *keys, *clicks;
    size_t n_keys, cap_keys, n_clicks, cap_clicks;
} seq_pass;

static int push(user_event **list, size_t *n, size_t *cap, uint32_t user, int64_t ts,
                lapse_error *err)
{
    if (*n == *cap) {
        const size_t grown_cap = *cap ? 2 * *cap : 4096;
        user_event *grown = realloc(*list, grown_cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        *list = grown;
        *cap = grown_cap;
    }
    (*list)[(*n)++] = (user_event){ ts, user };
    return LAPSE_OK;
}

/* Key events from the user's start to the end of their retention periods. */
static int on_key(void *arg, uint32_t id, const lapse_event *e, lapse_error *err)
{
    seq_pass *p = arg;
    p->seen[id] = 1;
    const campaign_touch *first = &p->touches[p->first[id]];
    const campaign_touch *last = &p->touches[p->first[id] + p->count[id] - 1];
    if (!(p->opts->key_mask & (1u << e->category)) || e->ts < first->start ||
        e->ts >= last->sent_at + p->opts->window + RETENTION_END)
        return LAPSE_OK;
    return push(&p->keys, &p->n_keys, &p->cap_keys, id, e->ts, err);
}

static int on_click(void *arg, uint32_t id, const lapse_event *e, lapse_error *err)
{
    seq_pass *p = arg;
    return push(&p->clicks, &p->n_clicks, &p->cap_clicks, id, e->ts, err);
}

/* Cells are (step, channel, opening): a touch that opens the user's
 * sequence is compared with the control group, a later one with the
 * sequences stopped just before it, so each cell compares like with like. */
typedef struct {
    size_t n_var, n_ch;
    campaign_tally *treated;   /* [cell][variant]: treatment touches sent */
    campaign_control *stopped; /* [cell]: control touches that stop the sequence */
    campaign_tally all;        /* whole sequences of treatment users */
    campaign_control all_control;
} seq_tallies;

static size_t cell(const seq_tallies *t, int step, int channel, int opening)
{
    return ((size_t)(step - 1) * t->n_ch + (size_t)channel) * 2 + (size_t)opening;
}

/* Whether the user has an event of list in [from, to); list sorted by user
 * and time, the user's part at list[a..b). */
static int any_in(const user_event *list, size_t a, size_t b, int64_t from, int64_t to)
{
    for (size_t i = a; i < b && list[i].ts < to; i++)
        if (list[i].ts >= from)
            return 1;
    return 0;
}

/* The part of a sorted list belonging to user u, from *at on. */
static void user_range(const user_event *list, size_t n, size_t *at, uint32_t u, size_t *a,
                       size_t *b)
{
    while (*at < n && list[*at].user < u)
        ++*at;
    *a = *at;
    while (*at < n && list[*at].user == u)
        ++*at;
    *b = *at;
}

static void retention(campaign_tally *v, const user_event *keys, size_t a, size_t b, int64_t r,
                      int64_t log_end)
{
    const int64_t from[2] = { r + DAY, r + 8 * DAY }, to[2] = { r + 8 * DAY, r + 31 * DAY };
    for (int q = 0; q < 2; q++) {
        if (to[q] > log_end)
            continue;
        v->ret_n[q]++;
        v->ret_k[q] += any_in(keys, a, b, from[q], to[q]);
    }
}

/* One user's touches judged against their return r. */
static void judge_user(seq_tallies *t, const seq_pass *p, uint32_t u, const user_event *keys,
                       size_t ka, size_t kb, size_t ca, size_t cb, int64_t log_end)
{
    const campaign_touch *touch = &p->touches[p->first[u]];
    const size_t n = p->count[u];
    const int64_t window = p->opts->window;
    const int64_t r = ka < kb ? keys[ka].ts : INT64_MAX;
    int prev_sent = 1; /* before the first touch, nothing has stopped */
    for (size_t k = 0; k < n; k++) {
        const campaign_touch *d = &touch[k];
        const int64_t next = k + 1 < n ? touch[k + 1].sent_at : INT64_MAX;
        const int64_t end = d->sent_at + window < next ? d->sent_at + window : next;
        const int at_risk = r >= d->sent_at, recalled = at_risk && r < end;
        const int censored = end > log_end;
        const int sent = d->variant >= 0;
        const int opening = k == 0;
        if (sent && at_risk) {
            campaign_tally *v = &t->treated[cell(t, d->step, d->channel, opening) * (t->n_var + 1) +
                                       (size_t)d->variant];
            if (censored) {
                v->censored++;
            } else {
                const int clicked = any_in(p->clicks, ca, cb, d->sent_at, end);
                v->sent++;
                v->cost += d->cost;
                v->clicked += clicked;
                v->recalled += recalled;
                v->direct += recalled && !clicked;
                if (recalled)
                    retention(v, keys, ka, kb, r, log_end);
            }
        } else if (!sent && at_risk && prev_sent) {
            campaign_control *c = &t->stopped[cell(t, d->step, d->channel, opening)];
            if (censored) {
                c->censored++;
            } else {
                c->n++;
                c->recalled += recalled;
            }
        }
        prev_sent = sent;
    }
    /* the whole sequence, from the start to the last touch's window */
    const int64_t end = touch[n - 1].sent_at + window;
    const int recalled = r < end;
    if (touch[0].variant >= 0) {
        campaign_tally *v = &t->all;
        if (end > log_end) {
            v->censored++;
            return;
        }
        int clicked = 0;
        for (size_t k = 0; k < n; k++)
            if (touch[k].variant >= 0 && r >= touch[k].sent_at) {
                v->cost += touch[k].cost;
                clicked |= any_in(p->clicks, ca, cb, touch[k].sent_at, touch[k].sent_at + window);
            }
        v->sent++;
        v->clicked += clicked;
        v->recalled += recalled;
        v->direct += recalled && !clicked;
        if (recalled)
            retention(v, keys, ka, kb, r, log_end);
    } else if (end > log_end) {
        t->all_control.censored++;
    } else {
        t->all_control.n++;
        t->all_control.recalled += recalled;
    }
}

/* A report row of the sequence's step (0: the whole sequence). */
static void put_row(lapse_campaign_row *row, const char *channel, const char *variant, int step,
                    int opening, const campaign_tally *v, const campaign_control *c,
                    int64_t channel_sent, double share, int clicks)
{
    campaign_row_fill(row, channel, variant, v, c, channel_sent, share, clicks);
    row->step = step;
    row->opening = opening;
}

/* The rows of one cell: a row per variant sent, or a control-only row. */
static void cell_rows(lapse_campaign_report *rep, const seq_tallies *t,
                      const lapse_channel_table *ch, const lapse_strmap *variants, int clicks,
                      double control, double step_holdout, int step, size_t c, int opening)
{
    const size_t at = cell(t, step, (int)c, opening);
    const campaign_control *stopped = &t->stopped[at];
    int64_t sent = 0;
    for (size_t v = 0; v < t->n_var; v++)
        sent += t->treated[at * (t->n_var + 1) + v].sent;
    /* the planned share: of the control group, or of the step holdout */
    const double share = opening ? control : step_holdout;
    int rows = 0;
    for (size_t v = 0; v < t->n_var; v++) {
        const campaign_tally *tv = &t->treated[at * (t->n_var + 1) + v];
        if (tv->sent + tv->censored == 0)
            continue;
        char name[LAPSE_VARIANT_MAX + 1];
        campaign_variant_name(name, variants, v);
        put_row(&rep->rows[rep->n_rows++], ch->channel[c].name, name, step, opening, tv,
                stopped, sent, share, clicks);
        rows++;
    }
    if (!rows && stopped->n + stopped->censored > 0) {
        const campaign_tally none = { 0 };
        put_row(&rep->rows[rep->n_rows++], ch->channel[c].name, "-", step, opening, &none,
                stopped, 0, share, clicks);
    }
}

/* Step by step; within a step, channel by channel, the opening touches
 * first; then the whole sequence. */
static int report_rows(lapse_campaign_report *rep, const seq_tallies *t,
                       const lapse_channel_table *ch, const lapse_strmap *variants, int clicks,
                       double control, double step_holdout, lapse_error *err)
{
    rep->rows = calloc(LAPSE_SEQUENCE_MAX * t->n_ch * 2 * (t->n_var + 1) + 1, sizeof *rep->rows);
    if (!rep->rows)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (int step = 1; step <= LAPSE_SEQUENCE_MAX; step++)
        for (size_t c = 0; c < t->n_ch; c++)
            for (int opening = 1; opening >= 0; opening--)
                cell_rows(rep, t, ch, variants, clicks, control, step_holdout, step, c, opening);
    put_row(&rep->rows[rep->n_rows++], "all", "all", 0, 1, &t->all, &t->all_control,
            t->all.sent, control, clicks);
    return LAPSE_OK;
}

/* Touches in order per user: one start, steps and times rising, no
 * treatment after a stop. */
static int check_order(const campaign_touch *touches, size_t n, const char *path,
                       lapse_error *err)
{
    for (size_t i = 1; i < n; i++) {
        const campaign_touch *a = &touches[i - 1], *b = &touches[i];
        if (a->user != b->user)
            continue;
        if (b->step == a->step || b->sent_at < a->sent_at || b->start != a->start ||
            (a->variant < 0 && b->variant >= 0))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, b->line, 0, -1,
                                   "this touch does not follow the user's step %d on line %lld "
                                   "(a later step, a later time, the same start; no treatment "
                                   "after control)",
                                   a->step, (long long)a->line);
    }
    return LAPSE_OK;
}

/* Touches before the log: an error; windows past it: censored (said). */
static int check_range(lapse_campaign_report *rep, const campaign_touch *touches, size_t n,
                       const char *path, int sent_col, int64_t window, lapse_error *err)
{
    const campaign_touch *first_censored = NULL;
    int64_t censored = 0;
    for (size_t i = 0; i < n; i++) {
        const campaign_touch *d = &touches[i];
        if (d->sent_at < rep->log_first) {
            char a[16], b[32], when[32];
            lapse_time_format_iso(when, d->sent_at);
            lapse_time_format_date(a, rep->log_first);
            lapse_time_format_iso(b, rep->log_end - 1);
            return lapse_error_set(err, LAPSE_ERR_RANGE, path, d->line, sent_col, -1,
                                   "touch at %s: it is before the log, which covers %s to %s",
                                   when, a, b);
        }
        if (d->sent_at + window > rep->log_end) {
            censored++;
            if (!first_censored || d->line < first_censored->line)
                first_censored = d;
        }
    }
    rep->censored = censored;
    char last[32];
    lapse_time_format_iso(last, rep->log_end - 1);
    if (censored == (int64_t)n)
        return lapse_error_set(err, LAPSE_ERR_RANGE, path, first_censored->line, sent_col, -1,
                               "every touch's %g-hour window closes after the log's last event "
                               "(%s): nothing can be measured (give the log through the end of "
                               "the last step's window)",
                               (double)window / 3600, last);
    if (censored)
        lapse_log(LAPSE_LOG_WARN,
                  "%lld touches whose %g-hour window closes after the log's last event (%s) "
                  "are censored: left out of the rates (the log ends before the last step's "
                  "window)",
                  (long long)censored, (double)window / 3600, last);
    return LAPSE_OK;
}

int campaign_sequence_eval(lapse_campaign_report *rep, const char *path, int sent_col,
                           campaign_touch *touches, size_t n, const lapse_strmap *users,
                           const lapse_strmap *variants, const lapse_channel_table *ch,
                           double step_holdout, const char *const *log_paths, size_t n_logs,
                           const char *const *click_paths, size_t n_clicks,
                           const lapse_campaign_eval_options *opts, lapse_error *err)
{
    qsort(touches, n, sizeof *touches, touch_cmp);
    int status = check_order(touches, n, path, err);
    if (status != LAPSE_OK)
        return status;
    const size_t n_users = lapse_strmap_size(users);
    size_t *first = calloc(n_users + 1, sizeof *first);
    size_t *count = calloc(n_users + 1, sizeof *count);
    seq_pass p = { .opts = opts, .touches = touches, .first = first, .count = count,
                   .seen = calloc(n_users + 1, 1) };
    seq_tallies t = { .n_var = lapse_strmap_size(variants), .n_ch = ch->n };
    t.treated = calloc(LAPSE_SEQUENCE_MAX * t.n_ch * 2 * (t.n_var + 1), sizeof *t.treated);
    t.stopped = calloc(LAPSE_SEQUENCE_MAX * t.n_ch * 2, sizeof *t.stopped);
    if (!first || !count || !p.seen || !t.treated || !t.stopped) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!count[touches[i].user]++)
            first[touches[i].user] = i;
    }
    int64_t log_first = INT64_MAX, log_last = INT64_MIN;
    status = campaign_read_logs(log_paths, n_logs, opts->categories, opts->max_bad_rows, users,
                                on_key, &p, &rep->log_events, &log_first, &log_last, err);
    if (status == LAPSE_OK && rep->log_events == 0)
        status = lapse_error_set(err, LAPSE_ERR_RANGE, log_paths[0], 0, 0, -1,
                                 "the log has no events");
    if (status == LAPSE_OK && n_clicks) {
        int64_t events = 0, a = INT64_MAX, b = INT64_MIN;
        status = campaign_read_logs(click_paths, n_clicks, opts->categories, opts->max_bad_rows,
                                    users, on_click, &p, &events, &a, &b, err);
    }
    if (status != LAPSE_OK)
        goto done;
    rep->log_first = lapse_day_of(log_first) * DAY;
    rep->log_end = log_last + 1;
    rep->sends = (int64_t)n;
    rep->sequence = 1;
    status = check_range(rep, touches, n, path, sent_col, opts->window, err);
    if (status != LAPSE_OK)
        goto done;
    if (p.n_keys)
        qsort(p.keys, p.n_keys, sizeof *p.keys, event_cmp);
    if (p.n_clicks)
        qsort(p.clicks, p.n_clicks, sizeof *p.clicks, event_cmp);
    size_t at_key = 0, at_click = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        size_t ka, kb, ca, cb;
        user_range(p.keys, p.n_keys, &at_key, u, &ka, &kb);
        user_range(p.clicks, p.n_clicks, &at_click, u, &ca, &cb);
        judge_user(&t, &p, u, p.keys, ka, kb, ca, cb, rep->log_end);
        if (!p.seen[u] && rep->unknown_users++ < 3) {
            size_t len;
            const char *id = lapse_strmap_key(users, u, &len);
            lapse_log(LAPSE_LOG_WARN, "%s:%lld: user \"%.*s\" has no event in the log", path,
                      (long long)touches[first[u]].line, (int)len, id);
        }
    }
    if (rep->unknown_users)
        lapse_log(LAPSE_LOG_WARN, "%lld listed users have no event in the log; they count as "
                  "not recalled", (long long)rep->unknown_users);
    status = report_rows(rep, &t, ch, variants, n_clicks > 0, opts->control, step_holdout, err);
done:
    free(first);
    free(count);
    free(p.seen);
    free(p.keys);
    free(p.clicks);
    free(t.treated);
    free(t.stopped);
    return status;
}
