/* lapse train --with-btyd: a classifier stacked on a BTYD model fitted on
 * the training rows (lapse/train_stack.h). */
#include "lapse/train_stack.h"
#include "lapse/model_btyd.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include "train_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nomem(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
}

/* Names the row a purchase-history error (no path, no line: the table is
 * in memory) belongs to. */
static int at_row(int status, const lapse_table *t, size_t row, lapse_error *err)
{
    if (status == LAPSE_OK || !err || row >= t->n_rows)
        return status;
    char date[32], message[LAPSE_ERROR_MESSAGE_MAX];
    lapse_time_format_date(date, t->asof[row]);
    snprintf(message, sizeof message, "%s", err->message);
    return lapse_error_set(err, status, NULL, 0, 0, -1, "user \"%s\" at %s: %s", t->user_ids[row],
                           date, message);
}

/* Step 2: the BTYD fit on the training rows of their latest snapshot. */
static int fit_btyd(lapse_model_btyd *b, lapse_train_stack_report *sr, const lapse_table *t,
                    const train_split *s, const size_t col[4],
                    const lapse_train_stack_options *so, lapse_error *err)
{
    int64_t asof = -1;
    for (size_t k = 0; k < s->n_train; k++)
        if (t->asof[s->train[k]] > asof)
            asof = t->asof[s->train[k]];
    const size_t cap = s->n_train ? s->n_train : 1;
    lapse_btyd_data d = { 0, malloc(cap * sizeof(double)), malloc(cap * sizeof(double)),
                          malloc(cap * sizeof(double)), NULL, calloc(cap, sizeof(char *)) };
    int status = d.x && d.t_x && d.T && d.ids ? LAPSE_OK : nomem(err);
    for (size_t k = 0; k < s->n_train && status == LAPSE_OK; k++) {
        const size_t i = s->train[k];
        const double *v = t->x + i * t->n_features;
        if (t->asof[i] != asof || v[col[0]] <= 0 || v[col[3]] <= 0)
            continue;
        d.x[d.n] = v[col[1]];
        d.t_x[d.n] = v[col[2]] / so->unit_days;
        d.T[d.n] = v[col[3]] / so->unit_days;
        d.ids[d.n++] = t->user_ids[i]; /* borrowed: names a bad row */
    }
    char date[32];
    lapse_time_format_date(date, asof);
    if (status == LAPSE_OK && d.n == 0)
        status = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                                 "no training row at %s has a purchase before it and an "
                                 "observation period (T > 0): nothing to fit the BTYD feature on",
                                 date);
    memset(b, 0, sizeof *b);
    b->unit_days = so->unit_days;
    b->horizon_days = (uint32_t)t->meta.churn.horizon_days;
    b->customers = d.n;
    if (status == LAPSE_OK) {
        status = lapse_btyd_fit(&b->fit, so->kind, &d, NULL, err);
        if (status == LAPSE_ERR_ARG) /* the data (named by user), not the call */
            status = LAPSE_ERR_FORMAT;
    }
    sr->customers = d.n;
    sr->fit_asof = asof;
    free(d.x);
    free(d.t_x);
    free(d.T);
    free(d.ids);
    return status;
}

/* Step 3: the table with the feature last, in *wide (its x and
 * feature_names its own, the rest borrowed from t). */
static int widen_table(lapse_table *wide, lapse_model_stack *st, lapse_train_stack_report *sr,
                       const lapse_table *t, const train_split *s, const size_t col[4],
                       lapse_error *err)
{
    *wide = *t;
    const size_t d = t->n_features + 1;
    wide->n_features = d;
    wide->x = malloc((t->n_rows ? t->n_rows : 1) * d * sizeof *wide->x);
    wide->feature_names = malloc(d * sizeof *wide->feature_names);
    if (!wide->x || !wide->feature_names)
        return nomem(err);
    memcpy(wide->feature_names, t->feature_names, t->n_features * sizeof *t->feature_names);
    wide->feature_names[t->n_features] = (char *)LAPSE_BTYD_FEATURE;
    wide->meta.schema_hash =
        lapse_schema_hash((const char *const *)wide->feature_names, d);
    for (size_t i = 0; i < t->n_rows; i++)
        memcpy(wide->x + i * d, t->x + i * t->n_features, t->n_features * sizeof *t->x);
    st->fill = NAN; /* marks the rows without a prediction until their mean is known */
    size_t bad;
    int status = lapse_model_stack_fill(st, col, wide->x, t->n_rows, d, &bad, err);
    if (status)
        return at_row(status, t, bad, err);
    double sum = 0;
    size_t n = 0;
    for (size_t k = 0; k < s->n_train; k++) {
        const double v = wide->x[s->train[k] * d + d - 1];
        if (!isnan(v)) {
            sum += v;
            n++;
        }
    }
    st->fill = sum / (double)n; /* n >= 1: the fit had a customer */
    sr->filled_rows = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (isnan(wide->x[i * d + d - 1])) {
            wide->x[i * d + d - 1] = st->fill;
            sr->filled_rows++;
        }
    return LAPSE_OK;
}

/* The options text says what was stacked, e.g. "... with_btyd=bgnbd". */
static int note_options(lapse_model *m, const lapse_model_btyd *b, lapse_error *err)
{
    const char *old = m->training.options ? m->training.options : "";
    const size_t size = strlen(old) + 64;
    char *text = malloc(size);
    if (!text)
        return nomem(err);
    snprintf(text, size, "%s%swith_btyd=%s unit_days=%u", old, old[0] ? " " : "",
             b->fit.kind == LAPSE_BTYD_PARETO ? "pareto-nbd" : "bgnbd", (unsigned)b->unit_days);
    free(m->training.options);
    m->training.options = text;
    return LAPSE_OK;
}

int lapse_train_stacked(lapse_model **out, lapse_train_report *report,
                        lapse_train_stack_report *stack_report, const lapse_table *t,
                        const lapse_train_options *opts, const lapse_train_stack_options *so,
                        lapse_error *err)
{
    *out = NULL;
    if (t->encoding)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--with-btyd needs a lapse feature table (its purchase "
                               "columns), not a table of your own");
    if (opts->horizons.n_bands)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--with-btyd stacks on one horizon, the table's: not with "
                               "--horizons");
    if (opts->validate == LAPSE_VALIDATION_ROLLING)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--with-btyd fits its BTYD feature on one split: not with "
                               "--validate rolling");
    if ((so->kind != LAPSE_BTYD_BGNBD && so->kind != LAPSE_BTYD_PARETO) ||
        (so->unit_days != 1 && so->unit_days != 7))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--with-btyd needs bgnbd or pareto-nbd and a unit of 1 or 7 days");
    size_t col[4];
    int status = lapse_model_stack_columns(col, (const char *const *)t->feature_names,
                                           t->n_features, err);
    if (status)
        return status;
    lapse_train_stack_report unused_sr;
    lapse_train_stack_report *sr = stack_report ? stack_report : &unused_sr;
    memset(sr, 0, sizeof *sr);
    lapse_model_stack *st = calloc(1, sizeof *st);
    train_split s;
    memset(&s, 0, sizeof s);
    lapse_table wide;
    memset(&wide, 0, sizeof wide);
    lapse_model *without = NULL;
    status = st ? train_split_rows(&s, t, opts, err) : nomem(err);
    if (status == LAPSE_OK)
        status = fit_btyd(&st->btyd, sr, t, &s, col, so, err);
    if (status == LAPSE_OK)
        status = widen_table(&wide, st, sr, t, &s, col, err);
    if (status == LAPSE_OK)
        status = lapse_train(out, report, &wide, opts, err);
    if (status == LAPSE_OK) {
        /* The same classifier without the feature, for the comparison only:
         * quietly, the progress display shows one training. */
        lapse_train_options plain = *opts;
        plain.progress = NULL;
        status = lapse_train(&without, &sr->without, t, &plain, err);
    }
    if (status == LAPSE_OK) {
        st->auc_without = without->training.auc;
        st->auc_se_without = without->training.auc_se;
        (*out)->meta.schema_hash = t->meta.schema_hash;
        (*out)->stack = st;
        st = NULL;
        status = note_options(*out, &(*out)->stack->btyd, err);
    }
    if (status == LAPSE_OK)
        status = lapse_model_validate(*out, err);
    if (status != LAPSE_OK) {
        lapse_model_free(*out);
        *out = NULL;
    }
    lapse_model_free(without);
    free(wide.x);
    free(wide.feature_names);
    train_split_free(&s);
    free(st);
    return status;
}
