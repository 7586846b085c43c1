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

/* The columns read, in the order of their LAPSE_SCORED_* bits; the three
 * reasons share the last bit. */
static const char *const column_names[] = { "user_id",    "asof",    "p_churn", "label",
                                            "risk_tier",  "segment", "value_tier", "action",
                                            "reason_1",   "reason_2", "reason_3" };
enum { COL_USER, COL_ASOF, COL_P, COL_LABEL, COL_TIER, COL_SEGMENT, COL_VALUE, COL_ACTION,
       COL_REASON, N_COLUMNS = COL_REASON + LAPSE_SCORED_REASONS };

typedef struct {
    char *text;
    size_t len, cap;
} field_buf;

typedef struct {
    int in_header; /* no header read yet */
    int comment;   /* the current pre-header record starts with '#' */
    long col_of[N_COLUMNS]; /* file column of each, -1 when absent */
    int wanted[64];         /* file column -> our column + 1, 0 for none (first 64 columns) */
    size_t n_columns;
    field_buf field[N_COLUMNS];
    double p;
    int label;
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

static int header_field(const lapse_input_csv *csv, reader *r, const char *text, size_t len)
{
    const int col = lapse_input_csv_fields(csv);
    if (col == 0 && len > 0 && text[0] == '#') {
        r->comment = 1;
        const size_t key = strlen(WARNINGS_KEY);
        if (len > key && !memcmp(text, WARNINGS_KEY, key) &&
            lapse_warnings_parse(r->info->warnings, text + key, len - key) != LAPSE_OK)
            return fail(csv, r, "bad warnings line \"%.60s\"", text);
    }
    if (r->comment)
        return LAPSE_OK;
    const int c = column_of_name(text);
    if (c < 0)
        return LAPSE_OK;
    if (r->col_of[c] >= 0)
        return fail(csv, r, "column \"%s\" appears twice in the header", text);
    if (col >= (int)(sizeof r->wanted / sizeof r->wanted[0]))
        return fail(csv, r, "column \"%s\" comes after the 64th column: put it earlier", text);
    r->col_of[c] = col;
    r->wanted[col] = c + 1;
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

static int parse_p(reader *r, const lapse_input_csv *csv, const char *text, size_t len)
{
    double v;
    if (lapse_field_number(text, len, &v) || v < 0 || v > 1)
        return fail(csv, r, "bad p_churn \"%.64s\": want a probability in [0, 1]", text);
    r->p = v;
    return LAPSE_OK;
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *ctx)
{
    reader *r = ctx;
    if (r->in_header)
        return header_field(csv, r, text, len);
    const int col = lapse_input_csv_fields(csv);
    const int c = col < (int)(sizeof r->wanted / sizeof r->wanted[0]) ? r->wanted[col] - 1 : -1;
    if (c == COL_P)
        return parse_p(r, csv, text, len);
    if (c == COL_LABEL) {
        if (len == 0)
            r->label = -1;
        else if (len == 1 && (text[0] == '0' || text[0] == '1'))
            r->label = text[0] - '0';
        else
            return fail(csv, r, "bad label \"%s\": want 1, 0 or empty",
                        len < 32 ? text : "(too long)");
        return LAPSE_OK;
    }
    return c >= 0 ? keep_text(r, csv, c, text, len) : LAPSE_OK;
}

static const char *text_of(const reader *r, int c)
{
    return r->col_of[c] >= 0 && r->field[c].text ? r->field[c].text : "";
}

static int end_header(reader *r, const lapse_input_csv *csv, size_t fields)
{
    r->in_header = 0;
    r->n_columns = fields;
    if (r->col_of[COL_P] < 0)
        return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), 0, -1,
                               "the header has no p_churn column (want the output of lapse "
                               "score)");
    for (int c = 0; c < N_COLUMNS; c++)
        if (r->col_of[c] >= 0)
            r->info->columns |= 1u << (c < COL_REASON ? c : COL_REASON);
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
        .path = lapse_input_csv_path(csv),
        .line = lapse_input_csv_line(csv),
    };
    for (int k = 0; k < LAPSE_SCORED_REASONS; k++)
        row.reason[k] = text_of(r, COL_REASON + k);
    r->info->rows++;
    r->info->labelled += row.label >= 0;
    return r->fn(&row, r->user, r->err);
}

int lapse_scored_read(lapse_scored_info *info, const char *path, lapse_scored_row_fn fn,
                      void *user, lapse_error *err)
{
    memset(info, 0, sizeof *info);
    reader r;
    memset(&r, 0, sizeof r);
    r.in_header = 1;
    for (int c = 0; c < N_COLUMNS; c++)
        r.col_of[c] = -1;
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
    return status;
}
