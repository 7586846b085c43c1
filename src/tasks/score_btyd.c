/* lapse score with a BTYD model: per-customer predictions as CSV. */
#include "lapse/score_btyd.h"

#include "lapse/model_btyd.h"
#include "lapse/numtext.h"
#include "lapse/outfile.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include "btyd_input.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double lapse_score_btyd_horizon(const lapse_model *model)
{
    const lapse_model_btyd *b = model->btyd;
    return (b->horizon_days ? (double)b->horizon_days : 30.0) / (double)b->unit_days;
}

static int write_error(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "cannot write the scores: %s",
                           strerror(errno));
}

/* The input's warnings and the rows left out, in the scores' first line. */
static int write_warnings(FILE *out, const btyd_input *in, lapse_error *err)
{
    char warnings[LAPSE_TABLE_WARNINGS_MAX + 256] = "";
    if (in->table)
        snprintf(warnings, sizeof warnings, "%s", in->table->meta.warnings);
    if (in->no_purchase || in->zero_age) {
        const size_t used = strlen(warnings);
        snprintf(warnings + used, sizeof warnings - used,
                 "%s%zu rows without a purchase before their snapshot and %zu whose first "
                 "purchase was the day before it have no BTYD score and are left out",
                 used ? "\n" : "", in->no_purchase, in->zero_age);
    }
    if (!warnings[0])
        return LAPSE_OK;
    char line[3 * sizeof warnings + 64] = "# lapse-scores";
    const size_t used = strlen(line);
    if (lapse_warnings_format(line + used, sizeof line - used, warnings) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1, "warnings too long");
    return fprintf(out, "%s\n", line) < 0 ? write_error(err) : LAPSE_OK;
}

static int write_rows(FILE *out, const btyd_input *in, const lapse_btyd_prediction *pred,
                      int with_spend, lapse_error *err)
{
    const lapse_btyd_data *d = in->data;
    if (fprintf(out, "user_id,%sp_alive,expected_purchases,p_churn%s%s\n", in->table ? "asof," : "",
                with_spend ? ",expected_spend,clv" : "", in->table ? ",label" : "") < 0)
        return write_error(err);
    for (size_t i = 0; i < d->n; i++) {
        char number[32];
        const char *id = d->ids ? d->ids[i] : NULL;
        if (!id) {
            snprintf(number, sizeof number, "%zu", i + 1);
            id = number;
        }
        lapse_outfile_put_field(out, id, strlen(id));
        if (in->table) {
            char day[32];
            lapse_time_format_date(day, in->table->asof[in->row[i]]);
            fprintf(out, ",%s", day);
        }
        const lapse_btyd_prediction *p = pred + i;
        const double figures[] = { p->p_alive, p->expected, p->p_none, p->spend, p->value };
        for (size_t f = 0; f < (with_spend ? 5u : 3u); f++) {
            char text[LAPSE_NUMTEXT_MAX];
            lapse_numtext_double(text, figures[f]);
            fprintf(out, ",%s", text);
        }
        if (in->table) {
            const int label = in->table->labels[in->row[i]];
            fputs(label < 0 ? "," : label ? ",1" : ",0", out);
        }
        if (fputc('\n', out) == EOF)
            return write_error(err);
    }
    return ferror(out) ? write_error(err) : LAPSE_OK;
}

int lapse_score_btyd(const lapse_model *model, const char *path, double horizon, FILE *out,
                     lapse_score_btyd_stats *stats, lapse_error *err)
{
    const lapse_model_btyd *b = model->btyd;
    if (!b)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "not a BTYD model");
    if (horizon == 0)
        horizon = lapse_score_btyd_horizon(model);
    if (!(horizon > 0) || !isfinite(horizon))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the horizon must be > 0, not %g", horizon);
    const int with_spend = b->has_gamma_gamma;
    btyd_input in;
    int status = btyd_input_read(&in, &path, 1, b->unit_days, 0, with_spend, err);
    if (status)
        return status;
    lapse_btyd_prediction *pred = malloc((in.data->n ? in.data->n : 1) * sizeof *pred);
    if (!pred)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    if (status == LAPSE_OK) {
        status = lapse_btyd_predict(pred, &b->fit, with_spend ? &b->gamma_gamma : NULL, in.data,
                                    horizon, err);
        if (status == LAPSE_ERR_ARG) /* the customer, not the call: named in the message */
            status = LAPSE_ERR_RANGE;
    }
    if (status == LAPSE_OK)
        status = write_warnings(out, &in, err);
    if (status == LAPSE_OK)
        status = write_rows(out, &in, pred, with_spend, err);
    if (status == LAPSE_OK && stats) {
        stats->rows = in.rows;
        stats->written = in.data->n;
        stats->no_purchase = in.no_purchase;
        stats->zero_age = in.zero_age;
        stats->horizon = horizon;
    }
    free(pred);
    btyd_input_free(&in);
    return status;
}
