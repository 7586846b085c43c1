/* The summary table BTYD fits read: one row per customer, the form of
 * lifetimes' summary_data_from_transaction_data (ID,frequency,recency,T,
 * monetary_value) and of BTYD's and Hardie's spreadsheets (x, t_x, T, zbar). */
#include "lapse/btyd.h"
#include "lapse/numtext.h"

#include "fieldnum.h"
#include "input.h"
#include "strmap.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX 256

enum { COL_ID, COL_X, COL_TX, COL_T, COL_M, N_COLS };

/* Accepted header names per column. */
static const char *const names[N_COLS][4] = {
    { "ID", "id", "customer_id", NULL },
    { "frequency", "x", NULL, NULL },
    { "recency", "t_x", NULL, NULL },
    { "T", NULL, NULL, NULL },
    { "monetary_value", "zbar", "m", NULL },
};

static const char *const shown[N_COLS] = { "ID", "frequency", "recency", "T", "monetary_value" };

typedef struct {
    int in_header;
    int col[N_COLS];       /* field index, -1 when absent */
    int n_fields;
    double v[N_COLS];
    char id[ID_MAX];
    lapse_btyd_data *d;
    size_t cap;
    lapse_strmap *seen; /* ids read so far: a customer twice would count twice */
    lapse_error *err;
} reader;

static int fail(const lapse_input_csv *csv, reader *s, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const lapse_input_csv *csv, reader *s, int column, const char *fmt, ...)
{
    char message[LAPSE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), column, -1, "%s", message);
}

static int header_field(const lapse_input_csv *csv, reader *s, const char *text)
{
    const int field = lapse_input_csv_fields(csv);
    for (int c = 0; c < N_COLS; c++)
        for (int k = 0; names[c][k]; k++) {
            if (strcmp(text, names[c][k]) != 0)
                continue;
            if (s->col[c] >= 0)
                return fail(csv, s, field + 1, "two columns hold the %s (\"%s\")", shown[c],
                            text);
            s->col[c] = field;
        }
    return LAPSE_OK;
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    reader *s = user;
    if (s->in_header)
        return header_field(csv, s, text);
    const int field = lapse_input_csv_fields(csv);
    for (int c = 0; c < N_COLS; c++) {
        if (s->col[c] != field)
            continue;
        if (c == COL_ID) {
            if (len == 0 || len >= ID_MAX || memchr(text, '\0', len))
                return fail(csv, s, field + 1, "the %s must be 1 to 255 bytes, none of them NUL",
                            shown[c]);
            memcpy(s->id, text, len + 1);
            return LAPSE_OK;
        }
        if (c == COL_M && len == 0) {
            s->v[c] = NAN; /* checked with the frequency at the end of the row */
            return LAPSE_OK;
        }
        if (lapse_field_number(text, len, &s->v[c]))
            return fail(csv, s, field + 1, "bad %s \"%.*s\": want a number", shown[c],
                        (int)(len < LAPSE_FIELDNUM_MAX ? len : LAPSE_FIELDNUM_MAX), text);
    }
    return LAPSE_OK;
}

static int row_value_fail(const lapse_input_csv *csv, reader *s, int c, const char *what)
{
    char text[LAPSE_NUMTEXT_MAX];
    if (!lapse_numtext_double(text, s->v[c]))
        strcpy(text, "(empty)"); /* only monetary_value may be empty */
    return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), s->col[c] + 1, -1, "bad %s %s: %s",
                           shown[c], text, what);
}

static int grow(reader *s, const lapse_input_csv *csv)
{
    lapse_btyd_data *d = s->d;
    const size_t cap = s->cap ? 2 * s->cap : 1024;
    double **arrays[4] = { &d->x, &d->t_x, &d->T, &d->m };
    for (int k = 0; k < 4; k++) {
        if (k == 3 && s->col[COL_M] < 0)
            break;
        double *p = realloc(*arrays[k], cap * sizeof *p);
        if (!p)
            goto nomem;
        *arrays[k] = p;
    }
    if (s->col[COL_ID] >= 0) {
        char **ids = realloc(d->ids, cap * sizeof *ids);
        if (!ids)
            goto nomem;
        d->ids = ids;
    }
    s->cap = cap;
    return LAPSE_OK;
nomem:
    return lapse_error_set(s->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), 0, -1, "out of memory reading customers");
}

static int on_row(const lapse_input_csv *csv, void *user)
{
    reader *s = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t line = lapse_input_csv_line(csv);
    const int fields = lapse_input_csv_fields(csv);
    if (s->in_header) {
        for (int c = COL_X; c <= COL_T; c++)
            if (s->col[c] < 0)
                return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, 0, -1,
                                       "the header has no %s column (a summary table has "
                                       "frequency, recency and T: repeat purchases, time of "
                                       "the last one, age)", shown[c]);
        s->in_header = 0;
        s->n_fields = fields;
        return LAPSE_OK;
    }
    if (fields != s->n_fields)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, fields, -1,
                               "row has %d fields, the header has %d", fields, s->n_fields);
    const double x = s->v[COL_X], tx = s->v[COL_TX], T = s->v[COL_T];
    if (x < 0 || x != floor(x))
        return row_value_fail(csv, s, COL_X, "want a whole number of repeat purchases >= 0");
    if (tx < 0)
        return row_value_fail(csv, s, COL_TX, "recency cannot be negative");
    if (!(T > 0))
        return row_value_fail(csv, s, COL_T, "the observation period must be > 0");
    if (tx > T)
        return row_value_fail(csv, s, COL_TX, "recency is after T (the customer's age)");
    if (x == 0 && tx > 0)
        return row_value_fail(csv, s, COL_TX,
                              "recency > 0 with frequency 0 (no repeat purchase to date)");
    if (s->col[COL_M] >= 0 && x > 0 && !(s->v[COL_M] > 0))
        return row_value_fail(csv, s, COL_M, "a repeat buyer's mean spend must be > 0");
    lapse_btyd_data *d = s->d;
    if (d->n == s->cap && grow(s, csv) != LAPSE_OK)
        return LAPSE_ERR_NOMEM;
    if (d->ids) {
        int added;
        const int64_t at = lapse_strmap_intern(s->seen, s->id, strlen(s->id), &added);
        if (at < 0)
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, line, 0, -1, "out of memory");
        if (!added)
            return fail(csv, s, s->col[COL_ID] + 1,
                        "customer \"%s\" is listed twice: each customer is one row", s->id);
        d->ids[d->n] = strdup(s->id);
        if (!d->ids[d->n])
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, line, 0, -1, "out of memory");
    }
    d->x[d->n] = x;
    d->t_x[d->n] = tx;
    d->T[d->n] = T;
    if (d->m)
        d->m[d->n] = x > 0 ? s->v[COL_M] : 0;
    d->n++;
    return LAPSE_OK;
}

int lapse_btyd_summary_read(lapse_btyd_data **out, const char *path, lapse_error *err)
{
    *out = NULL;
    reader s;
    memset(&s, 0, sizeof s);
    s.in_header = 1;
    for (int c = 0; c < N_COLS; c++)
        s.col[c] = -1;
    s.err = err;
    s.d = calloc(1, sizeof *s.d);
    s.seen = lapse_strmap_create();
    if (!s.d || !s.seen) {
        free(s.d);
        lapse_strmap_free(s.seen);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    int status = lapse_input_csv_read(path, NULL, on_field, on_row, &s, err);
    lapse_strmap_free(s.seen);
    if (status == LAPSE_OK && s.in_header)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "no header: the file is empty");
    if (status == LAPSE_OK && s.d->n == 0)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 2, 0, -1,
                                 "no customers after the header");
    if (status != LAPSE_OK) {
        lapse_btyd_data_free(s.d);
        return status;
    }
    *out = s.d; /* now owned by the caller */
    return LAPSE_OK;
}
