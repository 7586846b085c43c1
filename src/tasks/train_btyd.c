/* lapse train --model bgnbd|pareto-nbd: the BTYD fits into a model. */
#include "lapse/train_btyd.h"
#include "lapse/model_btyd.h"

#include "btyd_input.h"

#include <string.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int lapse_train_btyd(lapse_model **out, lapse_train_btyd_report *report,
                     const char *const *paths, size_t n_paths,
                     const lapse_train_btyd_options *opts, lapse_error *err)
{
    *out = NULL;
    if ((opts->kind != LAPSE_BTYD_BGNBD && opts->kind != LAPSE_BTYD_PARETO) ||
        (opts->unit_days != 1 && opts->unit_days != 7))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "BTYD training needs a known model and a unit of 1 or 7 days");
    btyd_input in;
    int status = btyd_input_read(&in, paths, n_paths, opts->unit_days, 1, opts->gamma_gamma, err);
    if (status)
        return status;
    const double start = now_seconds();
    lapse_model_btyd b;
    memset(&b, 0, sizeof b);
    b.unit_days = opts->unit_days;
    b.horizon_days = in.table ? (uint32_t)in.table->meta.churn.horizon_days : 0;
    b.customers = in.data->n;
    status = lapse_btyd_fit(&b.fit, opts->kind, in.data, NULL, err);
    if (status == LAPSE_OK && opts->gamma_gamma) {
        status = lapse_gammagamma_fit(&b.gamma_gamma, in.data, NULL, err);
        if (status == LAPSE_ERR_ARG) /* the data, not the call: too few repeat buyers, m <= 0 */
            status = LAPSE_ERR_RANGE;
        if (status == LAPSE_OK && !(b.gamma_gamma.params[1] > 1))
            status = lapse_error_set(err, LAPSE_ERR_RANGE, paths[0], 0, 0, -1,
                                     "Gamma-Gamma fitted q = %g <= 1: the mean spend it implies "
                                     "is infinite; the spend data do not suit the model",
                                     b.gamma_gamma.params[1]);
        b.has_gamma_gamma = 1;
    }
    if (status == LAPSE_OK)
        status = lapse_model_btyd_create(out, &b, err);
    if (status == LAPSE_OK && report) {
        report->from_summary = in.table == NULL;
        report->asof = in.asof;
        report->rows = in.rows;
        report->customers = in.data->n;
        report->no_purchase = in.no_purchase;
        report->zero_age = in.zero_age;
        report->other_snapshots = in.other_snapshots;
        report->seconds = now_seconds() - start;
    }
    btyd_input_free(&in);
    return status;
}
