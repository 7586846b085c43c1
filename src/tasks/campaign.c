/* Channels, option parsing, a by-name CSV reader and the stratified control
 * draw shared by campaign plan, eval and simulation. */
#include "campaign_internal.h"

#include "lapse/reader.h"

#include "fieldnum.h"
#include "input.h"
#include "strmap.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lapse_channel_name(lapse_channel channel)
{
    return (unsigned)channel < LAPSE_CHANNELS ? lapse_channel_builtin(channel)->name : NULL;
}

int lapse_channel_parse(lapse_channel *out, const char *name, size_t len)
{
    for (int c = 0; c < LAPSE_CHANNELS; c++) {
        const char *known = lapse_channel_name((lapse_channel)c);
        if (strlen(known) == len && memcmp(known, name, len) == 0) {
            *out = (lapse_channel)c;
            return LAPSE_OK;
        }
    }
    return LAPSE_ERR_FORMAT;
}

int lapse_campaign_parse_channels(double values[LAPSE_CHANNELS], const char *text, double min,
                                  double max, lapse_error *err)
{
    const char *p = text;
    for (;;) {
        const size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        lapse_channel channel;
        if (!eq || lapse_channel_parse(&channel, p, (size_t)(eq - p)) != LAPSE_OK)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "\"%.*s\" is not channel=value with a channel among "
                                   "sms_email, push_feature, coupon, phone, community",
                                   (int)len, p);
        double v = NAN;
        lapse_field_number(eq + 1, len - (size_t)(eq + 1 - p), &v);
        if (!(v >= min && v <= max))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "\"%.*s\" needs a number from %g to %g", (int)len, p, min,
                                   max);
        values[channel] = v;
        if (!p[len])
            return LAPSE_OK;
        p += len + 1;
    }
}

int campaign_step_field(int *step, const char *text, const char *path, int64_t line, int column,
                        lapse_error *err)
{
    char *end;
    errno = 0;
    const long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > LAPSE_SEQUENCE_MAX)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, line, column, -1,
                               "bad step \"%s\": 1 to %d", text, LAPSE_SEQUENCE_MAX);
    *step = (int)v;
    return LAPSE_OK;
}

int lapse_campaign_sequence_parse(lapse_campaign_step steps[LAPSE_SEQUENCE_MAX], size_t *n,
                                  const char *text, const lapse_channel_table *table,
                                  lapse_error *err)
{
    *n = 0;
    for (const char *p = text;;) {
        const size_t len = strcspn(p, ",");
        if (*n == LAPSE_SEQUENCE_MAX)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "a sequence has at most %d steps", LAPSE_SEQUENCE_MAX);
        char number[32];
        const int c = lapse_channel_item(number, sizeof number, table, p, len, '@', "step ",
                                         "channel@hours", err);
        if (c < 0)
            return LAPSE_ERR_ARG;
        double hours = NAN;
        size_t digits = strlen(number);
        const char unit = digits ? number[digits - 1] : 0;
        digits -= unit == 'h' || unit == 'd';
        if (!lapse_field_number(number, digits, &hours) && unit == 'd')
            hours *= 24;
        if (!(hours >= 0 && hours <= 24 * 365))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "step \"%.*s\": the offset is hours (24h) or days (2d), "
                                   "0 to a year",
                                   (int)len, p);
        const int64_t offset = (int64_t)llround(hours * 3600);
        if (*n > 0 && offset <= steps[*n - 1].offset)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "step \"%.*s\" is not after the step before it: a sequence "
                                   "cannot go back in time",
                                   (int)len, p);
        steps[(*n)++] = (lapse_campaign_step){ c, offset };
        if (!p[len])
            return LAPSE_OK;
        p += len + 1;
    }
}

uint64_t campaign_user_hash(uint64_t seed, const char *user_id, size_t len)
{
    /* splitmix64 finaliser over the id hash and the seed */
    uint64_t z = lapse_hash_bytes(user_id, len) ^ (seed * 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

typedef struct {
    uint32_t stratum;
    uint64_t hash;
    size_t index;
} assign_key;

static int assign_cmp(const void *a, const void *b)
{
    const assign_key *x = a, *y = b;
    if (x->stratum != y->stratum)
        return x->stratum < y->stratum ? -1 : 1;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

int campaign_assign(size_t n, const uint32_t *stratum, const uint64_t *hash, double control,
                    int n_variants, int *variant)
{
    assign_key *keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return LAPSE_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        keys[i] = (assign_key){ stratum[i], hash[i], i };
    qsort(keys, n, sizeof *keys, assign_cmp);
    for (size_t s = 0; s < n;) {
        size_t e = s;
        while (e < n && keys[e].stratum == keys[s].stratum)
            e++;
        const size_t n_control = (size_t)llround((double)(e - s) * control);
        for (size_t i = s; i < e; i++) {
            const size_t k = i - s;
            variant[keys[i].index] = k < n_control ? -1 : (int)((k - n_control) % (size_t)n_variants);
        }
        s = e;
    }
    free(keys);
    return LAPSE_OK;
}

/* ---- event logs ---- */

int campaign_read_logs(const char *const *paths, size_t n, const lapse_category_map *categories,
                       int64_t max_bad_rows, const lapse_strmap *users, campaign_event_fn fn,
                       void *user, int64_t *events, int64_t *first, int64_t *last,
                       lapse_error *err)
{
    lapse_reader_options ropts = LAPSE_READER_OPTIONS_INIT;
    ropts.categories = categories;
    ropts.max_bad_rows = max_bad_rows;
    lapse_reader *reader = NULL;
    int status = lapse_reader_open(&reader, paths, n, &ropts, err);
    if (status != LAPSE_OK)
        return status;
    lapse_event e;
    while ((status = lapse_reader_next(reader, &e, err)) > 0) {
        ++*events;
        if (e.ts < *first)
            *first = e.ts;
        if (e.ts > *last)
            *last = e.ts;
        const int64_t id = lapse_strmap_find(users, e.user_id, e.user_id_len);
        if (id >= 0 && (status = fn(user, (uint32_t)id, &e, err)) != LAPSE_OK)
            break;
    }
    lapse_reader_free(reader);
    return status < 0 ? status : LAPSE_OK;
}

/* ---- CSV by column name ---- */

#define CSV_MAX_COLUMNS CAMPAIGN_CSV_MAX_COLUMNS

typedef struct {
    const campaign_column *columns;
    int n_columns;
    campaign_row_fn row;
    void *user;
    lapse_error *err;
    int n_fields; /* fields per row, from the header; 0 until it is read */
    int header_read;
    int comment;  /* the record before the header being read starts with '#' */
    int *role;    /* per header field: the wanted column, or -1 */
    size_t role_cap;
    char *buf[CSV_MAX_COLUMNS];
    size_t len[CSV_MAX_COLUMNS], cap[CSV_MAX_COLUMNS];
    int have[CSV_MAX_COLUMNS];
    int position[CSV_MAX_COLUMNS]; /* 1-based field of each wanted column */
} csv_state;

static int header_field(csv_state *s, const lapse_input_csv *csv, const char *data, size_t len)
{
    const int f = lapse_input_csv_fields(csv);
    if ((size_t)f >= s->role_cap) {
        const size_t cap = s->role_cap ? 2 * s->role_cap : 16;
        int *grown = realloc(s->role, cap * sizeof *grown);
        if (!grown)
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv), 0, 0, -1,
                                   "out of memory");
        s->role = grown;
        s->role_cap = cap;
    }
    s->role[f] = -1;
    for (int c = 0; c < s->n_columns; c++) {
        if (strlen(s->columns[c].name) == len && memcmp(s->columns[c].name, data, len) == 0) {
            if (s->have[c])
                return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                                       lapse_input_csv_line(csv), f + 1, -1,
                                       "column \"%s\" appears twice in the header",
                                       s->columns[c].name);
            s->have[c] = 1;
            s->position[c] = f + 1;
            s->role[f] = c;
        }
    }
    return LAPSE_OK;
}

static int csv_on_field(const lapse_input_csv *csv, const char *data, size_t len, void *user)
{
    csv_state *s = user;
    /* Lines of '#' before the header are comments (lapse score's warnings). */
    if (!s->header_read && lapse_input_csv_fields(csv) == 0)
        s->comment = len > 0 && data[0] == '#';
    if (s->comment)
        return LAPSE_OK;
    if (!s->header_read)
        return header_field(s, csv, data, len);
    const int f = lapse_input_csv_fields(csv);
    if (f >= s->n_fields)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), f + 1, -1,
                               "more fields than the header's %d", s->n_fields);
    const int c = s->role[f];
    if (c < 0)
        return LAPSE_OK;
    if (len + 1 > s->cap[c]) {
        char *grown = realloc(s->buf[c], len + 1);
        if (!grown)
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv), 0, 0, -1,
                                   "out of memory");
        s->buf[c] = grown;
        s->cap[c] = len + 1;
    }
    memcpy(s->buf[c], data, len);
    s->buf[c][len] = '\0';
    s->len[c] = len;
    return LAPSE_OK;
}

static int csv_on_row(const lapse_input_csv *csv, void *user)
{
    csv_state *s = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t line = lapse_input_csv_line(csv);
    const int fields = lapse_input_csv_fields(csv);
    if (s->comment) {
        s->comment = 0;
        return LAPSE_OK;
    }
    if (!s->header_read) {
        s->header_read = 1;
        s->n_fields = fields;
        for (int c = 0; c < s->n_columns; c++)
            if (s->columns[c].required && !s->have[c])
                return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, 0, -1,
                                       "the header has no \"%s\" column", s->columns[c].name);
        return LAPSE_OK;
    }
    if (fields != s->n_fields)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, fields, -1,
                               "%d fields where the header has %d", fields, s->n_fields);
    const char *field[CSV_MAX_COLUMNS];
    for (int c = 0; c < s->n_columns; c++)
        field[c] = s->have[c] ? s->buf[c] : NULL;
    return s->row(s->user, field, s->len, s->position, line, s->err);
}

int campaign_csv_read(const char *path, const campaign_column *columns, int n_columns,
                      campaign_row_fn row, void *user, lapse_error *err)
{
    if (n_columns > CSV_MAX_COLUMNS)
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1, "too many columns");
    csv_state s = { .columns = columns, .n_columns = n_columns, .row = row, .user = user,
                    .err = err };
    int status = lapse_input_csv_read(path, NULL, csv_on_field, csv_on_row, &s, err);
    if (status == LAPSE_OK && s.n_fields == 0)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1, "empty file: no header");
    for (int c = 0; c < n_columns; c++)
        free(s.buf[c]);
    free(s.role);
    return status;
}
