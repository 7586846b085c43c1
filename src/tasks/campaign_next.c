/* lapse_campaign_next: a sequence plan and the log so far -> the touches
 * due now, for users who have not come back (campaign.h). */
#include "campaign_internal.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { COL_USER, COL_CHANNEL, COL_SENT, COL_GROUP, COL_COST, COL_VARIANT, COL_STEP, COL_START,
       N_COLS };

static const campaign_column next_columns[N_COLS] = {
    { "user_id", 1 }, { "channel", 1 }, { "sent_at", 1 }, { "group", 1 },
    { "cost", 1 },    { "variant", 1 }, { "step", 1 },    { "start", 1 },
};

typedef struct {
    int64_t sent_at;
    uint32_t user;
    int channel, step;
    unsigned char control;
    char cost[32];
    char variant[LAPSE_VARIANT_MAX + 1];
} touch;

typedef struct {
    int64_t start;       /* the sequence's start: returns count from here */
    int64_t last_sent;   /* the user's latest touch so far, for the order check */
    int64_t last_step;   /* the step number of the user's latest row, for the order check */
    int64_t returned_at; /* the first key event at or after start; INT64_MAX: none */
    unsigned char control;      /* the first touch is control: a control user */
    unsigned char last_control; /* the latest touch so far is */
} next_user;

typedef struct {
    const char *path;
    const lapse_campaign_next_options *opts;
    const lapse_channel_table *ch;
    lapse_strmap *users;
    next_user *per_user;
    size_t cap_users;
    touch *touches;
    size_t n, cap;
} next_state;

static int nomem(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
}

static int next_row(void *arg, const char *const *f, const size_t *len, const int *col,
                    int64_t line, lapse_error *err)
{
    next_state *s = arg;
    touch t;
    memset(&t, 0, sizeof t);
    if (len[COL_USER] == 0 || len[COL_USER] > LAPSE_USER_ID_MAX)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_USER], -1,
                               "user_id must be 1 to %d bytes", LAPSE_USER_ID_MAX);
    t.channel = lapse_channel_find(s->ch, f[COL_CHANNEL], len[COL_CHANNEL]);
    if (t.channel < 0) {
        char names[1024];
        lapse_channel_list(names, sizeof names, s->ch);
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_CHANNEL], -1,
                               "unknown channel \"%s\" (%s)", f[COL_CHANNEL], names);
    }
    if (lapse_time_parse(&t.sent_at, f[COL_SENT], len[COL_SENT]) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_SENT], -1,
                               "bad timestamp \"%s\"", f[COL_SENT]);
    t.control = strcmp(f[COL_GROUP], "control") == 0;
    if (!t.control && strcmp(f[COL_GROUP], "treatment") != 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_GROUP], -1,
                               "group must be treatment or control, not \"%s\"", f[COL_GROUP]);
    if (campaign_step_field(&t.step, f[COL_STEP], s->path, line, col[COL_STEP], err) != LAPSE_OK)
        return LAPSE_ERR_FORMAT;
    int64_t start;
    if (lapse_time_parse(&start, f[COL_START], len[COL_START]) != LAPSE_OK || start > t.sent_at)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_START], -1,
                               "bad start \"%s\": the time the sequence starts, at or before "
                               "sent_at",
                               f[COL_START]);
    if (len[COL_COST] >= sizeof t.cost || len[COL_VARIANT] > LAPSE_VARIANT_MAX)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line,
                               col[len[COL_COST] >= sizeof t.cost ? COL_COST : COL_VARIANT], -1,
                               "field too long");
    memcpy(t.cost, f[COL_COST], len[COL_COST]);
    memcpy(t.variant, f[COL_VARIANT], len[COL_VARIANT]);
    int added;
    const int64_t id = lapse_strmap_intern(s->users, f[COL_USER], len[COL_USER], &added);
    if (id < 0)
        return nomem(err);
    t.user = (uint32_t)id;
    if (added) {
        if ((size_t)id == s->cap_users) {
            const size_t cap = s->cap_users ? 2 * s->cap_users : 1024;
            next_user *grown = realloc(s->per_user, cap * sizeof *grown);
            if (!grown)
                return nomem(err);
            s->per_user = grown;
            s->cap_users = cap;
        }
        s->per_user[id] = (next_user){ start, t.sent_at, 0, INT64_MAX, t.control, t.control };
    }
    next_user *u = &s->per_user[id];
    /* A user's touches come in step order, each after the one before, from
     * one start; a sequence stopped (control) does not resume. */
    if (t.step <= u->last_step || t.sent_at < u->last_sent || start != u->start ||
        (u->last_control && !t.control))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, s->path, line, col[COL_STEP], -1,
                               "step %d of user \"%s\" does not follow their step %lld (a "
                               "later step, a later time, the same start; no treatment after "
                               "control)",
                               t.step, f[COL_USER], (long long)u->last_step);
    u->last_step = t.step;
    u->last_control = t.control;
    u->last_sent = t.sent_at;
    if (s->n == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 1024;
        touch *grown = realloc(s->touches, cap * sizeof *grown);
        if (!grown)
            return nomem(err);
        s->touches = grown;
        s->cap = cap;
    }
    s->touches[s->n++] = t;
    return LAPSE_OK;
}

/* The first key event since the user's first touch, up to now. */
static int on_event(void *arg, uint32_t id, const lapse_event *e, lapse_error *err)
{
    (void)err;
    next_state *s = arg;
    next_user *u = &s->per_user[id];
    if ((s->opts->key_mask & (1u << e->category)) && e->ts >= u->start &&
        e->ts < s->opts->now && e->ts < u->returned_at)
        u->returned_at = e->ts;
    return LAPSE_OK;
}

static int write_due(const next_state *s, const char *out_path, lapse_campaign_next_stats *st,
                     lapse_error *err)
{
    lapse_outfile *file = NULL;
    int status = lapse_outfile_open(&file, out_path, err);
    if (status != LAPSE_OK)
        return status;
    FILE *out = lapse_outfile_stream(file);
    fputs("user_id,channel,step,sent_at,cost,variant\n", out);
    for (size_t i = 0; i < s->n; i++) {
        const touch *t = &s->touches[i];
        if (t->sent_at <= s->opts->since || t->sent_at > s->opts->now)
            continue;
        if (t->control) {
            st->control_due++;
            continue;
        }
        if (s->per_user[t->user].returned_at != INT64_MAX)
            continue;
        size_t len;
        const char *id = lapse_strmap_key(s->users, t->user, &len);
        char when[32];
        lapse_time_format_iso(when, t->sent_at);
        lapse_outfile_put_field(out, id, len);
        fprintf(out, ",%s,%d,%s,", s->ch->channel[t->channel].name, t->step, when);
        lapse_outfile_put_field(out, t->cost, strlen(t->cost));
        fputc(',', out);
        lapse_outfile_put_field(out, t->variant, strlen(t->variant));
        fputc('\n', out);
        st->due++;
        st->unseen += t->sent_at > st->log_last;
    }
    return lapse_outfile_commit(file, err);
}

int lapse_campaign_next(const char *plan_path, const char *const *log_paths, size_t n_logs,
                        const char *out_path, const lapse_campaign_next_options *opts,
                        lapse_campaign_next_stats *stats, lapse_error *err)
{
    if (n_logs == 0 || opts->key_mask == 0 || opts->since >= opts->now)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "next needs a log, key categories and since before now");
    lapse_campaign_next_stats st;
    memset(&st, 0, sizeof st);
    st.log_last = INT64_MIN;
    next_state s = { .path = plan_path, .opts = opts, .ch = opts->channels };
    lapse_channel_table *builtin = NULL;
    int status = LAPSE_OK;
    if (!s.ch) {
        builtin = malloc(sizeof *builtin);
        if (builtin)
            lapse_channel_table_default(builtin);
        s.ch = builtin;
    }
    s.users = lapse_strmap_create();
    if (!s.users || !s.ch) {
        status = nomem(err);
        goto done;
    }
    status = campaign_csv_read(plan_path, next_columns, N_COLS, next_row, &s, err);
    if (status != LAPSE_OK)
        goto done;
    int64_t first = INT64_MAX;
    status = campaign_read_logs(log_paths, n_logs, opts->categories, opts->max_bad_rows, s.users,
                                on_event, &s, &st.log_events, &first, &st.log_last, err);
    if (status != LAPSE_OK)
        goto done;
    if (st.log_events == 0) {
        status = lapse_error_set(err, LAPSE_ERR_RANGE, log_paths[0], 0, 0, -1,
                                 "the log has no events");
        goto done;
    }
    for (size_t i = 0; i < lapse_strmap_size(s.users); i++) {
        st.users += !s.per_user[i].control;
        st.returned += !s.per_user[i].control && s.per_user[i].returned_at != INT64_MAX;
    }
    status = write_due(&s, out_path, &st, err);
    if (status == LAPSE_OK && st.unseen) {
        char last[32];
        lapse_time_format_iso(last, st.log_last);
        lapse_log(LAPSE_LOG_WARN,
                  "%lld touches are due after the log's last event (%s): a return just before "
                  "them cannot be seen (give the log up to --now)",
                  (long long)st.unseen, last);
    }
done:
    if (status == LAPSE_OK && stats)
        *stats = st;
    lapse_strmap_free(s.users);
    free(s.per_user);
    free(s.touches);
    free(builtin);
    return status;
}
