/* BTYD customers from a feature table or a summary table, told apart by the
 * feature table's meta line. */
#include "btyd_input.h"

#include "input.h"

#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { COL_PURCHASES, COL_X, COL_TX, COL_T, COL_M, N_COLS };

static const char *const column_names[N_COLS] = { "purchases_total", "repeat_purchases",
                                                  "t_last_purchase_days", "age_purchase_days",
                                                  "spend_per_purchase" };

/* 1 when path starts with a feature table's meta line, 0 when not. */
static int sniff_feature_table(int *out, const char *path, lapse_error *err)
{
    static const char prefix[] = "# lapse-features ";
    lapse_input *in;
    int status = lapse_input_open(&in, path, err);
    if (status)
        return status;
    char head[sizeof prefix - 1];
    size_t got = 0;
    status = lapse_input_read(in, head, sizeof head, &got, err);
    lapse_input_close(in);
    *out = got == sizeof head && memcmp(head, prefix, sizeof head) == 0;
    return status;
}

static int alloc_data(btyd_input *in, size_t n, int with_spend)
{
    lapse_btyd_data *d = calloc(1, sizeof *d);
    in->data = d;
    if (!d)
        return LAPSE_ERR_NOMEM;
    const size_t cap = n ? n : 1;
    d->x = malloc(cap * sizeof *d->x);
    d->t_x = malloc(cap * sizeof *d->t_x);
    d->T = malloc(cap * sizeof *d->T);
    d->ids = calloc(cap, sizeof *d->ids);
    d->m = with_spend ? malloc(cap * sizeof *d->m) : NULL;
    in->row = malloc(cap * sizeof *in->row);
    return d->x && d->t_x && d->T && d->ids && (!with_spend || d->m) && in->row
               ? LAPSE_OK
               : LAPSE_ERR_NOMEM;
}

static int bad_row(lapse_error *err, const lapse_table *t, size_t i, const char *path,
                   const char *what)
{
    char date[32];
    lapse_time_format_date(date, t->asof[i]);
    return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                           "user \"%s\" at %s: %s: no purchase history gives this", t->user_ids[i],
                           date, what);
}

/* Checks one row's purchase columns; *keep is 0 for a user without a purchase
 * before asof or one first seen buying the day before (T = 0). */
static int table_row(btyd_input *in, size_t i, const size_t col[N_COLS], const char *path,
                     int *keep, lapse_error *err)
{
    const lapse_table *t = in->table;
    const double *v = t->x + i * t->n_features;
    const double purchases = v[col[COL_PURCHASES]], x = v[col[COL_X]], tx = v[col[COL_TX]],
                 T = v[col[COL_T]];
    if (purchases < 0 || x < 0 || tx < 0 || T < 0)
        return bad_row(err, t, i, path, "a negative purchase count, recency or age");
    if (x != floor(x) || purchases != floor(purchases))
        return bad_row(err, t, i, path, "a purchase count that is not a whole number");
    if (tx > T)
        return bad_row(err, t, i, path, "recency (t_last_purchase_days) after age "
                                        "(age_purchase_days)");
    if (purchases == 0) {
        if (x || tx || T)
            return bad_row(err, t, i, path, "purchase history without purchases");
        in->no_purchase++;
        *keep = 0;
        return LAPSE_OK;
    }
    if (x > purchases - 1 || (x == 0 && tx != 0))
        return bad_row(err, t, i, path, "repeat purchases and recency that disagree with "
                                        "purchases_total");
    *keep = T > 0;
    in->zero_age += !*keep;
    return LAPSE_OK;
}

static int read_tables(btyd_input *in, const char *const *paths, size_t n_paths,
                       double unit_days, int latest_only, int with_spend, lapse_error *err)
{
    int status = lapse_table_read(&in->table, paths, n_paths, err);
    if (status)
        return status;
    const lapse_table *t = in->table;
    size_t col[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        col[c] = SIZE_MAX;
        for (size_t j = 0; j < t->n_features; j++)
            if (strcmp(t->feature_names[j], column_names[c]) == 0)
                col[c] = j;
        if (col[c] == SIZE_MAX && (c != COL_M || with_spend))
            return lapse_error_set(err, LAPSE_ERR_SCHEMA, paths[0], 1, 0, -1,
                                   "the table has no %s column: a BTYD model needs "
                                   "purchases_total, repeat_purchases, t_last_purchase_days "
                                   "and age_purchase_days%s",
                                   column_names[c], with_spend ? ", and spend_per_purchase" : "");
    }
    in->rows = t->n_rows;
    in->asof = -1;
    if (latest_only)
        for (size_t i = 0; i < t->n_rows; i++)
            if (t->asof[i] > in->asof)
                in->asof = t->asof[i];
    if (alloc_data(in, t->n_rows, with_spend))
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    lapse_btyd_data *d = in->data;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (latest_only && t->asof[i] != in->asof) {
            in->other_snapshots++;
            continue;
        }
        int keep = 0;
        status = table_row(in, i, col, paths[0], &keep, err);
        if (status)
            return status;
        if (!keep)
            continue;
        const double *v = t->x + i * t->n_features;
        d->x[d->n] = v[col[COL_X]];
        d->t_x[d->n] = v[col[COL_TX]] / unit_days;
        d->T[d->n] = v[col[COL_T]] / unit_days;
        if (with_spend)
            d->m[d->n] = v[col[COL_M]];
        d->ids[d->n] = t->user_ids[i]; /* borrowed from the table */
        in->row[d->n++] = i;
    }
    return LAPSE_OK;
}

int btyd_input_read(btyd_input *out, const char *const *paths, size_t n_paths, double unit_days,
                    int latest_only, int with_spend, lapse_error *err)
{
    memset(out, 0, sizeof *out);
    out->asof = -1;
    if (n_paths == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no input given");
    for (size_t i = 0; i < n_paths; i++)
        if (strcmp(paths[i], "-") == 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "a BTYD input cannot be standard input: whether it is a "
                                   "feature table or a summary is told by its first bytes");
    int is_table;
    int status = sniff_feature_table(&is_table, paths[0], err);
    if (status == LAPSE_OK && is_table)
        status = read_tables(out, paths, n_paths, unit_days, latest_only, with_spend, err);
    else if (status == LAPSE_OK && n_paths > 1)
        status = lapse_error_set(err, LAPSE_ERR_ARG, paths[1], 0, 0, -1,
                                 "a summary table (%s has no feature-table meta line) is read "
                                 "alone: give one file",
                                 paths[0]);
    else if (status == LAPSE_OK) {
        status = lapse_btyd_summary_read(&out->data, paths[0], err);
        if (status == LAPSE_OK && with_spend && !out->data->m)
            status = lapse_error_set(err, LAPSE_ERR_SCHEMA, paths[0], 1, 0, -1,
                                     "the summary has no monetary_value column, which "
                                     "Gamma-Gamma needs");
        if (status == LAPSE_OK)
            out->rows = out->data->n;
    }
    if (status == LAPSE_OK && (!out->data || out->data->n == 0))
        status = lapse_error_set(err, LAPSE_ERR_RANGE, paths[0], 0, 0, -1,
                                 "no customer with a purchase and an observation period (T > "
                                 "0) to %s",
                                 latest_only ? "fit" : "score");
    if (status)
        btyd_input_free(out);
    return status;
}

void btyd_input_free(btyd_input *in)
{
    if (in->table && in->data && in->data->ids) /* ids borrowed from the table */
        memset(in->data->ids, 0, in->data->n * sizeof *in->data->ids);
    lapse_btyd_data_free(in->data);
    lapse_table_free(in->table);
    free(in->row);
    memset(in, 0, sizeof *in);
    in->asof = -1;
}
