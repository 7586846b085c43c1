/* A classifier stacked on a BTYD model: its check, and the stacked feature
 * from a row's purchase columns (lapse/model_btyd.h). */
#include "lapse/model.h"
#include "lapse/model_btyd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...) lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, __VA_ARGS__)

static const char *const purchase_columns[4] = { "purchases_total", "repeat_purchases",
                                                 "t_last_purchase_days", "age_purchase_days" };

size_t lapse_model_input_features(const lapse_model *model)
{
    return model->n_features - (model->stack != NULL);
}

int lapse_model_stack_columns(size_t col[4], const char *const *names, size_t n,
                              lapse_error *err)
{
    for (int c = 0; c < 4; c++) {
        col[c] = SIZE_MAX;
        for (size_t j = 0; j < n && col[c] == SIZE_MAX; j++)
            if (strcmp(names[j], purchase_columns[c]) == 0)
                col[c] = j;
        if (col[c] == SIZE_MAX)
            return lapse_error_set(err, LAPSE_ERR_SCHEMA, NULL, 0, 0, -1,
                                   "no %s column: the BTYD feature needs purchases_total, "
                                   "repeat_purchases, t_last_purchase_days and "
                                   "age_purchase_days (a lapse feature table's purchase "
                                   "columns)",
                                   purchase_columns[c]);
    }
    return LAPSE_OK;
}

static int in_unit(double v)
{
    return v >= 0 && v <= 1;
}

int lapse_model_stack_validate(const lapse_model *m, lapse_error *err)
{
    const lapse_model_stack *st = m->stack;
    const lapse_model_btyd *b = &st->btyd;
    int status = lapse_model_btyd_validate(b, err);
    if (status)
        return status;
    if (b->has_gamma_gamma)
        return INVALID("a stacked BTYD feature has no Gamma-Gamma part");
    if ((int)b->horizon_days != m->meta.churn.horizon_days)
        return INVALID("the stacked BTYD horizon is %lu days but the model's label horizon %d",
                       (unsigned long)b->horizon_days, m->meta.churn.horizon_days);
    if (m->n_features < 5 || strcmp(m->feature_names[m->n_features - 1], LAPSE_BTYD_FEATURE))
        return INVALID("a stacked model's last feature is %s", LAPSE_BTYD_FEATURE);
    size_t col[4];
    status = lapse_model_stack_columns(col, (const char *const *)m->feature_names,
                                       m->n_features - 1, err);
    if (status)
        return INVALID("a stacked model's features lack a purchase column");
    if (!in_unit(st->fill))
        return INVALID("the stacked feature's fill value %g is outside [0, 1]", st->fill);
    if (!isnan(st->auc_without) && !in_unit(st->auc_without))
        return INVALID("the AUC without the stacked feature is %g", st->auc_without);
    if (!isnan(st->auc_se_without) && !in_unit(st->auc_se_without))
        return INVALID("the AUC standard error without the stacked feature is %g",
                       st->auc_se_without);
    return LAPSE_OK;
}

/* Why a row's purchase columns are no purchase history; NULL when they are. */
static const char *bad_history(double purchases, double x, double tx, double T)
{
    if (!(purchases >= 0 && x >= 0 && tx >= 0 && T >= 0))
        return "a negative purchase count, recency or age";
    if (x != floor(x) || purchases != floor(purchases))
        return "a purchase count that is not a whole number";
    if (tx > T)
        return "recency (t_last_purchase_days) after age (age_purchase_days)";
    if (purchases == 0 && (x || tx || T))
        return "purchase history without purchases";
    if (purchases > 0 && (x > purchases - 1 || (x == 0 && tx != 0)))
        return "repeat purchases and recency that disagree with purchases_total";
    return NULL;
}

int lapse_model_stack_fill(const lapse_model_stack *stack, const size_t col[4], double *x,
                           size_t n, size_t width, size_t *bad_row, lapse_error *err)
{
    const lapse_model_btyd *b = &stack->btyd;
    const double unit = (double)b->unit_days;
    *bad_row = SIZE_MAX;
    lapse_btyd_data d = { 0, NULL, NULL, NULL, NULL, NULL };
    const size_t cap = n ? n : 1;
    d.x = malloc(cap * sizeof *d.x);
    d.t_x = malloc(cap * sizeof *d.t_x);
    d.T = malloc(cap * sizeof *d.T);
    size_t *row = malloc(cap * sizeof *row);
    lapse_btyd_prediction *pred = malloc(cap * sizeof *pred);
    int status = d.x && d.t_x && d.T && row && pred
                     ? LAPSE_OK
                     : lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (size_t i = 0; i < n && status == LAPSE_OK; i++) {
        double *v = x + i * width;
        const double purchases = v[col[0]], rx = v[col[1]], tx = v[col[2]], T = v[col[3]];
        const char *why = bad_history(purchases, rx, tx, T);
        if (why) {
            *bad_row = i;
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                                     "%s: no purchase history gives this, and the model's BTYD "
                                     "feature needs one",
                                     why);
            break;
        }
        v[width - 1] = stack->fill;
        if (purchases == 0 || T == 0)
            continue;
        d.x[d.n] = rx;
        d.t_x[d.n] = tx / unit;
        d.T[d.n] = T / unit;
        row[d.n++] = i;
    }
    if (status == LAPSE_OK && d.n) {
        status = lapse_btyd_predict(pred, &b->fit, NULL, &d,
                                    (double)b->horizon_days / unit, err);
        if (status == LAPSE_ERR_ARG)
            status = LAPSE_ERR_RANGE; /* the row, not the call: lapse_btyd_predict names it */
    }
    for (size_t k = 0; status == LAPSE_OK && k < d.n; k++)
        x[row[k] * width + width - 1] = pred[k].p_none;
    free(d.x);
    free(d.t_x);
    free(d.T);
    free(row);
    free(pred);
    return status;
}
