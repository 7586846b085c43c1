/* lapse eval's figures for programs: the "lapse-eval" JSON document and the
 * same tables as CSV files (report.h). */
#include "cli.h"
#include "report.h"

#include "lapse/numtext.h"
#include "lapse/outfile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_FORMAT "lapse-eval"
#define EVAL_VERSION 2 /* 2: "horizons" */

static const char *const group_keys[LAPSE_EVAL_GROUPS] = { "tiers", "segments" };

static void lift_rows(lapse_json *json, const char *key, const lapse_metrics_lift *lifts, int n)
{
    lapse_json_key(json, key);
    lapse_json_array_open(json);
    for (int i = 0; i < n; i++) {
        const lapse_metrics_lift *l = &lifts[i];
        lapse_json_object_open(json);
        lapse_json_member_double(json, "fraction", l->fraction);
        lapse_json_member_uint(json, "rows", l->rows);
        lapse_json_member_double(json, "churners", l->churners);
        lapse_json_member_double(json, "rate", l->rate);
        lapse_json_member_double(json, "lift", l->lift);
        lapse_json_member_double(json, "capture", l->capture);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
}

/* The members both documents share: metrics, confusion, calibration. */
static void metrics_members(lapse_json *json, const lapse_metrics_report *r)
{
    lapse_json_key(json, "metrics");
    lapse_json_object_open(json);
    lapse_json_member_uint(json, "rows", r->n);
    lapse_json_member_uint(json, "churners", r->positives);
    lapse_json_member_double(json, "churn_rate", (double)r->positives / (double)r->n);
    lapse_json_member_double(json, "auc", r->auc);
    lapse_json_member_double(json, "auc_se", r->auc_se);
    lapse_json_member_double(json, "pr_auc", r->average_precision);
    lapse_json_member_double(json, "log_loss", r->log_loss);
    lapse_json_member_double(json, "brier", r->brier);
    lapse_json_member_double(json, "ece", r->ece);
    lapse_json_object_close(json);

    lapse_json_key(json, "confusion");
    const lapse_metrics_confusion *c = &r->confusion;
    lapse_json_object_open(json);
    lapse_json_member_double(json, "threshold", c->threshold);
    lapse_json_member_uint(json, "tp", c->tp);
    lapse_json_member_uint(json, "fp", c->fp);
    lapse_json_member_uint(json, "tn", c->tn);
    lapse_json_member_uint(json, "fn", c->fn);
    lapse_json_member_double(json, "precision", c->precision);
    lapse_json_member_double(json, "recall", c->recall);
    lapse_json_member_double(json, "f1", c->f1);
    lapse_json_member_double(json, "accuracy", c->accuracy);
    lapse_json_object_close(json);

    lapse_json_key(json, "calibration");
    lapse_json_array_open(json);
    for (int b = 0; b < LAPSE_METRICS_BINS; b++) {
        const lapse_metrics_bin *bin = &r->bins[b];
        lapse_json_object_open(json);
        lapse_json_member_double(json, "low", (double)b / LAPSE_METRICS_BINS);
        lapse_json_member_double(json, "high", (double)(b + 1) / LAPSE_METRICS_BINS);
        lapse_json_member_uint(json, "rows", bin->count);
        lapse_json_key(json, "mean_predicted");
        bin->count ? lapse_json_double(json, bin->mean_predicted) : lapse_json_null(json);
        lapse_json_key(json, "observed_rate");
        bin->count ? lapse_json_double(json, bin->observed_rate) : lapse_json_null(json);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
}

void cli_metrics_json(lapse_json *json, const lapse_metrics_report *r)
{
    lapse_json_object_open(json);
    metrics_members(json, r);
    lift_rows(json, "top", r->lift, LAPSE_METRICS_LIFTS);
    lapse_json_object_close(json);
}

/* "horizons": null, or the concordance and one object per horizon. */
static void horizons_json(lapse_json *json, const cli_eval_horizons *h)
{
    lapse_json_key(json, "horizons");
    if (!h || !h->n) {
        lapse_json_null(json);
        return;
    }
    lapse_json_object_open(json);
    lapse_json_member_double(json, "concordance", h->concordance);
    lapse_json_member_uint(json, "pairs", h->pairs);
    lapse_json_key(json, "by_horizon");
    lapse_json_array_open(json);
    for (size_t i = 0; i < h->n; i++) {
        const cli_eval_horizon *e = &h->h[i];
        lapse_json_object_open(json);
        lapse_json_member_int(json, "days", e->days);
        lapse_json_member_uint(json, "rows", e->rows);
        lapse_json_member_uint(json, "churners", e->churners);
        lapse_json_member_double(json, "auc", e->auc);
        lapse_json_member_double(json, "ece", e->ece);
        lapse_json_member_double(json, "lift_10", e->top10.lift);
        lapse_json_member_double(json, "capture_10", e->top10.capture);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
    lapse_json_object_close(json);
}

void cli_eval_json(lapse_json *json, const cli_eval_figures *f)
{
    lapse_json_object_open(json);
    lapse_json_member_string(json, "format", EVAL_FORMAT);
    lapse_json_member_int(json, "version", EVAL_VERSION);
    metrics_members(json, f->metrics);
    lift_rows(json, "deciles", f->top, CLI_EVAL_FRACTIONS);

    lapse_json_key(json, "roc");
    lapse_json_array_open(json);
    for (size_t i = 0; i < f->n_roc; i++) {
        lapse_json_object_open(json);
        lapse_json_member_double(json, "threshold", f->roc[i].threshold); /* +inf: null */
        lapse_json_member_double(json, "fpr", f->roc[i].fpr);
        lapse_json_member_double(json, "tpr", f->roc[i].tpr);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);

    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        lapse_json_key(json, group_keys[g]);
        if (!f->groups[g]) {
            lapse_json_null(json);
            continue;
        }
        lapse_json_array_open(json);
        for (size_t i = 0; i < f->n_groups[g]; i++) {
            const cli_eval_group_row *row = &f->groups[g][i];
            lapse_json_object_open(json);
            lapse_json_member_string(json, "name", row->name);
            lapse_json_member_uint(json, "rows", row->rows);
            lapse_json_member_uint(json, "churners", row->churners);
            lapse_json_member_double(json, "churn_rate", (double)row->churners / (double)row->rows);
            lapse_json_member_double(json, "mean_p", row->mean_p);
            lapse_json_member_double(json, "auc", row->auc);
            lapse_json_object_close(json);
        }
        lapse_json_array_close(json);
    }
    horizons_json(json, f->horizons);
    lapse_json_object_close(json);
}

/* CSV rows: fields through lapse_outfile_put_field, numbers by numtext.h
 * (a NaN or infinity is an empty field). */
static void put_text(FILE *out, const char *text, int last)
{
    lapse_outfile_put_field(out, text, strlen(text));
    fputc(last ? '\n' : ',', out);
}

static void put_double(FILE *out, double v, int last)
{
    char buf[LAPSE_NUMTEXT_MAX];
    lapse_outfile_put_field(out, buf, lapse_numtext_double(buf, v));
    fputc(last ? '\n' : ',', out);
}

static void put_count(FILE *out, size_t v, int last)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%zu", v);
    put_text(out, buf, last);
}

static void put_header(FILE *out, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_text(out, names[i], i + 1 == n);
}

#define HEADER(out, ...)                                                                        \
    do {                                                                                        \
        static const char *const names_[] = { __VA_ARGS__ };                                    \
        put_header((out), names_, sizeof names_ / sizeof *names_);                              \
    } while (0)

static void metrics_csv(FILE *out, const lapse_metrics_report *r)
{
    HEADER(out, "rows", "churners", "churn_rate", "auc", "auc_se", "pr_auc", "log_loss",
           "brier", "ece", "threshold", "tp", "fp", "tn", "fn", "precision", "recall", "f1",
           "accuracy");
    const lapse_metrics_confusion *c = &r->confusion;
    put_count(out, r->n, 0);
    put_count(out, r->positives, 0);
    put_double(out, (double)r->positives / (double)r->n, 0);
    put_double(out, r->auc, 0);
    put_double(out, r->auc_se, 0);
    put_double(out, r->average_precision, 0);
    put_double(out, r->log_loss, 0);
    put_double(out, r->brier, 0);
    put_double(out, r->ece, 0);
    put_double(out, c->threshold, 0);
    put_count(out, c->tp, 0);
    put_count(out, c->fp, 0);
    put_count(out, c->tn, 0);
    put_count(out, c->fn, 0);
    put_double(out, c->precision, 0);
    put_double(out, c->recall, 0);
    put_double(out, c->f1, 0);
    put_double(out, c->accuracy, 1);
}

static void deciles_csv(FILE *out, const cli_eval_figures *f)
{
    HEADER(out, "fraction", "rows", "churners", "rate", "lift", "capture");
    for (int i = 0; i < CLI_EVAL_FRACTIONS; i++) {
        const lapse_metrics_lift *l = &f->top[i];
        put_double(out, l->fraction, 0);
        put_count(out, l->rows, 0);
        put_double(out, l->churners, 0);
        put_double(out, l->rate, 0);
        put_double(out, l->lift, 0);
        put_double(out, l->capture, 1);
    }
}

static void calibration_csv(FILE *out, const lapse_metrics_report *r)
{
    HEADER(out, "low", "high", "rows", "mean_predicted", "observed_rate");
    for (int b = 0; b < LAPSE_METRICS_BINS; b++) {
        const lapse_metrics_bin *bin = &r->bins[b];
        put_double(out, (double)b / LAPSE_METRICS_BINS, 0);
        put_double(out, (double)(b + 1) / LAPSE_METRICS_BINS, 0);
        put_count(out, bin->count, 0);
        put_double(out, bin->count ? bin->mean_predicted : NAN, 0);
        put_double(out, bin->count ? bin->observed_rate : NAN, 1);
    }
}

static void roc_csv(FILE *out, const cli_eval_figures *f)
{
    HEADER(out, "threshold", "fpr", "tpr");
    for (size_t i = 0; i < f->n_roc; i++) {
        put_double(out, f->roc[i].threshold, 0);
        put_double(out, f->roc[i].fpr, 0);
        put_double(out, f->roc[i].tpr, 1);
    }
}

static void group_csv(FILE *out, const cli_eval_group_row *rows, size_t n)
{
    HEADER(out, "name", "rows", "churners", "churn_rate", "mean_p", "auc");
    for (size_t i = 0; i < n; i++) {
        put_text(out, rows[i].name, 0);
        put_count(out, rows[i].rows, 0);
        put_count(out, rows[i].churners, 0);
        put_double(out, (double)rows[i].churners / (double)rows[i].rows, 0);
        put_double(out, rows[i].mean_p, 0);
        put_double(out, rows[i].auc, 1);
    }
}

/* The concordance is of every horizon together: the same on each row. */
static void horizons_csv(FILE *out, const cli_eval_horizons *h)
{
    HEADER(out, "days", "rows", "churners", "auc", "ece", "lift_10", "capture_10", "concordance",
           "pairs");
    for (size_t i = 0; i < h->n; i++) {
        const cli_eval_horizon *e = &h->h[i];
        put_count(out, (size_t)e->days, 0);
        put_count(out, e->rows, 0);
        put_count(out, e->churners, 0);
        put_double(out, e->auc, 0);
        put_double(out, e->ece, 0);
        put_double(out, e->top10.lift, 0);
        put_double(out, e->top10.capture, 0);
        put_double(out, h->concordance, 0);
        put_count(out, (size_t)h->pairs, 1);
    }
}

enum {
    CSV_METRICS, CSV_DECILES, CSV_CALIBRATION, CSV_ROC, CSV_TIERS, CSV_SEGMENTS, CSV_HORIZONS,
    CSV_FILES
};

static const char *const csv_names[CSV_FILES] = { "metrics.csv", "deciles.csv",
                                                  "calibration.csv", "roc.csv",
                                                  "tiers.csv", "segments.csv", "horizons.csv" };

int cli_eval_csv(const char *dir, const cli_eval_figures *f, lapse_error *err)
{
    lapse_outfile *files[CSV_FILES] = { NULL };
    int status = cli_make_folder(dir, err);
    for (int i = 0; i < CSV_FILES && status == LAPSE_OK; i++) {
        if (i == CSV_HORIZONS ? !(f->horizons && f->horizons->n)
                              : i >= CSV_TIERS && !f->groups[i - CSV_TIERS])
            continue; /* no such column in the scored files */
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, csv_names[i]) >= sizeof path) {
            status = lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "folder name too long");
            break;
        }
        status = lapse_outfile_open(&files[i], path, err);
        if (status != LAPSE_OK)
            break;
        FILE *out = lapse_outfile_stream(files[i]);
        switch (i) {
        case CSV_METRICS:
            metrics_csv(out, f->metrics);
            break;
        case CSV_DECILES:
            deciles_csv(out, f);
            break;
        case CSV_CALIBRATION:
            calibration_csv(out, f->metrics);
            break;
        case CSV_ROC:
            roc_csv(out, f);
            break;
        case CSV_HORIZONS:
            horizons_csv(out, f->horizons);
            break;
        default:
            group_csv(out, f->groups[i - CSV_TIERS], f->n_groups[i - CSV_TIERS]);
            break;
        }
    }
    if (status != LAPSE_OK) {
        for (int i = 0; i < CSV_FILES; i++)
            lapse_outfile_abort(files[i]);
        return status;
    }
    return lapse_outfile_commit_all(files, CSV_FILES, err);
}

int cli_json_save(lapse_json *json, const char *path, lapse_error *err)
{
    lapse_outfile *file;
    int status = lapse_outfile_open(&file, path, err);
    if (status != LAPSE_OK)
        return status;
    status = lapse_json_write(json, lapse_outfile_stream(file), path, err);
    if (status != LAPSE_OK) {
        lapse_outfile_abort(file);
        return status;
    }
    return lapse_outfile_commit(file, err);
}
