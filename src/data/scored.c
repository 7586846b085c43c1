/* Streaming scored files through the input layer: the header names the
 * columns, each row's wanted fields are copied into per-column buffers and
 * handed over as one lapse_scored_row. */
#include "lapse/scored.h"

#include "fieldnum.h"
#include "input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WARNINGS_KEY "# lapse-scores; warnings="

/* The columns read by name; the three reasons share one LAPSE_SCORED_* bit. */
static const char *const column_names[] = { "user_id",    "asof",     "p_churn",
                                            "label",      "risk_tier", "segment",
                                            "value_tier", "action",   "days_to_churn",
                                            "reason_1",   "reason_2", "reason_3" };
enum { COL_USER, COL_ASOF, COL_P, COL_LABEL, COL_TIER, COL_SEGMENT, COL_VALUE, COL_ACTION,
       COL_DAYS, COL_REASON, N_COLUMNS = COL_REASON + LAPSE_SCORED_REASONS };

static unsigned column_bit(int c)
{
    return c == COL_DAYS ? LAPSE_SCORED_DAYS_TO_CHURN
           : c >= COL_REASON ? LAPSE_SCORED_REASON
                             : 1u << c;
}

/* What a file column holds: nothing, one of ours (ROLE_NAMED + c) or a
 * horizon (ROLE_HORIZON + h). */
enum { ROLE_NONE, ROLE_NAMED, ROLE_HORIZON = ROLE_NAMED + N_COLUMNS };

typedef struct {
    char *text;
    size_t len, cap;
} field_buf;

typedef struct {
    int in_header; /* no header read yet */
    int comment;   /* the current pre-header record starts with '#' */
    unsigned need;
    long col_of[N_COLUMNS]; /* file column of each, -1 when absent */
    int *role;              /* [n_roles]: file column -> ROLE_* */
    size_t n_roles;
    size_t n_columns;
    field_buf field[N_COLUMNS];
    double p;
    int label, days;
    double p_horizon[LAPSE_SCORED_HORIZONS_MAX];
    lapse_scored_row_fn fn;
    void *user;
    lapse_scored_info *info;
    lapse_error *err;
} reader;

static int fail(const lapse_input_csv *csv, reader *r, const char *fmt, const char *text)
{
    return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), lapse_input_csv_fields(csv) + 1, -1, fmt,
                           text);
}

static int column_of_name(const char *text)
{
    for (int c = 0; c < N_COLUMNS; c++)
        if (!strcmp(text, column_names[c]))
            return c;
    return -1;
}

/* "p_<days>": the days, else 0. */
static int horizon_of(const char *text, size_t len)
{
    if (len < 3 || len > 6 || text[0] != 'p' || text[1] != '_' || text[2] == '0')
        return 0;
    int days = 0;
    for (size_t i = 2; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        days = 10 * days + (text[i] - '0');
    }
    return days <= LAPSE_SCORED_HORIZON_MAX_DAYS ? days : 0;
}

static int horizon_header(const lapse_input_csv *csv, reader *r, const char *text, int days)
{
    lapse_scored_info *info = r->info;
    if (info->n_horizons == LAPSE_SCORED_HORIZONS_MAX)
        return fail(csv, r, "more than 16 horizon columns (at \"%s\")", text);
    if (info->n_horizons && days <= info->horizons[info->n_horizons - 1])
        return fail(csv, r, "horizon column \"%s\" does not follow a shorter one: p_<days> "
                            "columns must come in increasing order",
                    text);
    info->horizons[info->n_horizons++] = days;
    return ROLE_HORIZON + (int)info->n_horizons - 1;
}

/* The role of the header's next column, or a negative error. */
static int role_of(const lapse_input_csv *csv, reader *r, const char *text, size_t len)
{
    const int days = horizon_of(text, len);
    if (days)
        return horizon_header(csv, r, text, days);
    const int c = column_of_name(text);
    if (c < 0)
        return ROLE_NONE;
    if (r->col_of[c] >= 0)
        return fail(csv, r, "column \"%s\" appears twice in the header", text);
    r->col_of[c] = lapse_input_csv_fields(csv);
    return ROLE_NAMED + c;
}

static int header_field(const lapse_input_csv *csv, reader *r, const char *text, size_t len)
{
    const size_t col = (size_t)lapse_input_csv_fields(csv);
    if (col == 0 && len > 0 && text[0] == '#') {
        r->comment = 1;
        const size_t key = strlen(WARNINGS_KEY);
        if (len > key && !memcmp(text, WARNINGS_KEY, key) &&
            lapse_warnings_parse(r->info->warnings, text + key, len - key) != LAPSE_OK)
            return fail(csv, r, "bad warnings line \"%.60s\"", text);
    }
    if (r->comment)
        return LAPSE_OK;
    const int role = role_of(csv, r, text, len);
    if (role < 0)
        return role;
    if (col == r->n_roles) {
        int *roles = realloc(r->role, (2 * col + 16) * sizeof *roles);
        if (!roles)
            return lapse_error_set(r->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv),
                                   lapse_input_csv_line(csv), 0, -1, "out of memory");
        r->role = roles;
        r->n_roles = 2 * col + 16;
    }
    r->role[col] = role;
    return LAPSE_OK;
}

static int keep_text(reader *r, const lapse_input_csv *csv, int c, const char *text, size_t len)
{
    field_buf *f = &r->field[c];
    if (len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 64;
        while (cap < len + 1)
            cap *= 2;
        char *p = realloc(f->text, cap);
        if (!p)
            return lapse_error_set(r->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv),
                                   lapse_input_csv_line(csv), 0, -1, "out of memory");
        f->text = p;
        f->cap = cap;
    }
    memcpy(f->text, text, len + 1);
    f->len = len;
    return LAPSE_OK;
}

/* A p_churn or p_<days> field: a probability in [0, 1]. */
static int parse_p(reader *r, const lapse_input_csv *csv, const char *text, size_t len,
                   int horizon)
{
    double v;
    if (lapse_field_number(text, len, &v) || v < 0 || v > 1) {
        char name[16] = "p_churn";
        if (horizon >= 0)
            snprintf(name, sizeof name, "p_%d", r->info->horizons[horizon]);
        return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), lapse_input_csv_fields(csv) + 1, -1,
                               "bad %s \"%.64s\": want a probability in [0, 1]", name, text);
    }
    if (horizon >= 0)
        r->p_horizon[horizon] = v;
    else
        r->p = v;
    return LAPSE_OK;
}

static int parse_days(reader *r, const lapse_input_csv *csv, const char *text, size_t len)
{
    char *end;
    const long day = len ? strtol(text, &end, 10) : 0;
    if (len && (*end || day < 1 || day > LAPSE_SCORED_HORIZON_MAX_DAYS || text[0] < '0' ||
                text[0] > '9'))
        return fail(csv, r, "bad days_to_churn \"%s\": want a day from 1 or empty",
                    len < 32 ? text : "(too long)");
    r->days = (int)day;
    return LAPSE_OK;
}

static int parse_label(reader *r, const lapse_input_csv *csv, const char *text, size_t len)
{
    if (len == 0)
        r->label = -1;
    else if (len == 1 && (text[0] == '0' || text[0] == '1'))
        r->label = text[0] - '0';
    else
        return fail(csv, r, "bad label \"%s\": want 1, 0 or empty",
                    len < 32 ? text : "(too long)");
    return LAPSE_OK;
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *ctx)
{
    reader *r = ctx;
    if (r->in_header)
        return header_field(csv, r, text, len);
    const size_t col = (size_t)lapse_input_csv_fields(csv);
    const int role = col < r->n_columns ? r->role[col] : ROLE_NONE;
    if (role >= ROLE_HORIZON)
        return parse_p(r, csv, text, len, role - ROLE_HORIZON);
    switch (role - ROLE_NAMED) {
    case COL_P: return parse_p(r, csv, text, len, -1);
    case COL_LABEL: return parse_label(r, csv, text, len);
    case COL_DAYS: return parse_days(r, csv, text, len);
    }
    return role > ROLE_NONE ? keep_text(r, csv, role - ROLE_NAMED, text, len) : LAPSE_OK;
}

static const char *text_of(const reader *r, int c)
{
    return r->col_of[c] >= 0 && r->field[c].text ? r->field[c].text : "";
}

static int end_header(reader *r, const lapse_input_csv *csv, size_t fields)
{
    r->in_header = 0;
    r->n_columns = fields;
    r->info->header_line = lapse_input_csv_line(csv);
    for (int c = 0; c < N_COLUMNS; c++)
        if (r->col_of[c] >= 0)
            r->info->columns |= column_bit(c);
    for (int c = 0; c < N_COLUMNS; c++)
        if (((r->need | LAPSE_SCORED_P_CHURN) & column_bit(c)) && !(r->info->columns & column_bit(c)))
            return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                                   lapse_input_csv_line(csv), 0, -1,
                                   "the header has no %s column (want the output of lapse "
                                   "score%s)",
                                   column_names[c],
                                   r->need & LAPSE_SCORED_LABEL ? " on a labelled table" : "");
    return LAPSE_OK;
}

static int on_row(const lapse_input_csv *csv, void *ctx)
{
    reader *r = ctx;
    const size_t fields = (size_t)lapse_input_csv_fields(csv);
    if (r->in_header) {
        if (r->comment) {
            r->comment = 0;
            return LAPSE_OK;
        }
        return end_header(r, csv, fields);
    }
    if (fields != r->n_columns)
        return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), (int)fields, -1,
                               "row has %zu fields, the header has %zu", fields, r->n_columns);
    lapse_scored_row row = {
        .user_id = text_of(r, COL_USER),
        .asof = text_of(r, COL_ASOF),
        .p_churn = r->p,
        .label = r->col_of[COL_LABEL] >= 0 ? r->label : -1,
        .risk_tier = text_of(r, COL_TIER),
        .segment = text_of(r, COL_SEGMENT),
        .value_tier = text_of(r, COL_VALUE),
        .action = text_of(r, COL_ACTION),
        .p_horizon = r->p_horizon,
        .days_to_churn = r->col_of[COL_DAYS] >= 0 ? r->days : 0,
        .path = lapse_input_csv_path(csv),
        .line = lapse_input_csv_line(csv),
    };
    for (int k = 0; k < LAPSE_SCORED_REASONS; k++)
        row.reason[k] = text_of(r, COL_REASON + k);
    r->info->rows++;
    r->info->labelled += row.label >= 0;
    return r->fn(&row, r->user, r->err);
}

int lapse_scored_read(lapse_scored_info *info, const char *path, unsigned need,
                      lapse_scored_row_fn fn, void *user, lapse_error *err)
{
    memset(info, 0, sizeof *info);
    reader r;
    memset(&r, 0, sizeof r);
    r.in_header = 1;
    for (int c = 0; c < N_COLUMNS; c++)
        r.col_of[c] = -1;
    r.need = need;
    r.fn = fn;
    r.user = user;
    r.info = info;
    r.err = err;
    const lapse_input_csv_options opts = { .delimiter = ',', .keep_spaces = 1 };
    int status = lapse_input_csv_read(path, &opts, on_field, on_row, &r, err);
    if (status == LAPSE_OK && r.in_header)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "no header: the file is empty");
    for (int c = 0; c < N_COLUMNS; c++)
        free(r.field[c].text);
    free(r.role);
    return status;
}
