/* lapse eval: how good are scored probabilities, on rows with labels. */
#include "cli.h"
#include "cli_opt.h"
#include "report.h"

#include "lapse/metrics.h"
#include "lapse/eval.h"
#include "lapse/paths.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#define CMD "eval"

static double threshold = 0.5;
static int json;
static const char *output, *csv_dir;

static const cli_opt options[] = {
    CLI_OPT_DOUBLE('t', "threshold", "T", &threshold, 0, 1,
                   "predict churn when p_churn >= T (default 0.5)"),
    CLI_OPT_FLAG(0, "json", &json, 1,
                 "write the figures as JSON (\"lapse-eval\"): to stdout\n"
                 "in place of the text, or to -o FILE"),
    CLI_OPT_STRING('o', "output", "FILE", &output, "with --json: write the JSON here, atomically"),
    CLI_OPT_STRING(0, "csv", "DIR", &csv_dir,
                   "also write the tables as CSV files into DIR (created if\n"
                   "missing)"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse eval [--threshold T] [--json [-o FILE]] [--csv DIR] FILE...\n\n"
            "Evaluates churn probabilities against what happened: reads CSV files (plain or\n"
            "gzip, '-' for stdin) with a p_churn and a label column, such as the output of\n"
            "lapse score on a labelled table; rows with an empty label are skipped. Prints\n"
            "AUC-ROC, PR-AUC, log loss, Brier score, expected calibration error, lift and\n"
            "capture at the top 5/10/20%%, a 10-bin calibration table and the confusion\n"
            "matrix at the threshold. --json and --csv give programs the same figures and\n"
            "more (each top decile, ROC points, each risk tier and segment when the files\n"
            "have those columns), numbers as the shortest decimal that reads back exactly;\n"
            "datasets/README.md, \"Figures for programs\", documents them. Scores of a model\n"
            "with horizons (lapse train --horizons) on a table with days_to_churn add each\n"
            "horizon's AUC, ECE and lift (churned within h days) and a time-dependent\n"
            "concordance index.\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 22);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

/* Each group's rows, churners, mean p and AUC. */
static int group_figures(cli_eval_group_row **out, const lapse_eval_rows *rows,
                         const lapse_eval_group *g, lapse_error *err)
{
    cli_eval_group_row *figures = calloc(g->n_names ? g->n_names : 1, sizeof *figures);
    double *p = malloc((rows->n ? rows->n : 1) * sizeof *p);
    int *y = malloc((rows->n ? rows->n : 1) * sizeof *y);
    int status = figures && p && y ? LAPSE_OK
                                   : lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                                                     "out of memory");
    for (size_t k = 0; k < g->n_names && status == LAPSE_OK; k++) {
        cli_eval_group_row *f = &figures[k];
        f->name = g->names[k];
        double sum = 0;
        for (size_t i = 0; i < rows->n; i++)
            if (g->id[i] == k) {
                p[f->rows] = rows->p[i];
                y[f->rows++] = rows->y[i];
                f->churners += rows->y[i] != 0;
                sum += rows->p[i];
            }
        f->mean_p = f->rows ? sum / (double)f->rows : NAN;
        f->auc = NAN;
        if (f->churners > 0 && f->churners < f->rows)
            status = lapse_metrics_auc(&f->auc, p, y, f->rows, err);
    }
    free(p);
    free(y);
    if (status != LAPSE_OK) {
        free(figures);
        return status;
    }
    *out = figures;
    return LAPSE_OK;
}

int cli_eval_horizon_figures(cli_eval_horizons *out, const lapse_eval_rows *rows,
                             lapse_error *err)
{
    memset(out, 0, sizeof *out);
    out->concordance = NAN;
    if (!rows->n_horizons || !rows->days_to_churn)
        return LAPSE_OK;
    const size_t n = rows->n, k = rows->n_horizons;
    double *p = malloc((n ? n : 1) * sizeof *p);
    int *y = malloc((n ? n : 1) * sizeof *y);
    int status = p && y ? LAPSE_OK
                        : lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (size_t h = 0; h < k && status == LAPSE_OK; h++) {
        cli_eval_horizon *e = &out->h[h];
        e->days = rows->horizons[h];
        e->rows = n;
        for (size_t i = 0; i < n; i++) {
            const int d = rows->days_to_churn[i];
            p[i] = rows->p_horizon[i * k + h];
            y[i] = rows->y[i] == 1 && d >= 1 && d <= e->days; /* churned within h days */
            e->churners += (size_t)y[i];
        }
        e->ece = lapse_metrics_calibration(NULL, p, y, n);
        e->auc = e->top10.lift = e->top10.capture = NAN;
        if (e->churners > 0 && e->churners < n &&
            (status = lapse_metrics_auc(&e->auc, p, y, n, err)) == LAPSE_OK)
            status = lapse_metrics_lift_at(&e->top10, 0.1, p, y, n, err);
    }
    if (status == LAPSE_OK)
        status = lapse_eval_concordance(&out->concordance, &out->pairs, rows, err);
    if (status == LAPSE_OK)
        out->n = k;
    free(p);
    free(y);
    return status;
}

void cli_print_horizons(FILE *out, const cli_eval_horizons *h)
{
    fprintf(out, "by horizon (churned within h days: days_to_churn <= h; p_h's figures):\n");
    fprintf(out, "  %-6s %8s %9s %8s %8s %12s\n", "h", "rows", "churners", "AUC", "ECE",
            "lift top 10%");
    for (size_t i = 0; i < h->n; i++) {
        const cli_eval_horizon *e = &h->h[i];
        fprintf(out, "  %-6d %8zu %9zu %8.4f %8.4f %12.2f\n", e->days, e->rows, e->churners,
                e->auc, e->ece, e->top10.lift);
    }
    fprintf(out,
            "time-dependent concordance (Antolini): %.4f over %llu pairs (a churner against "
            "every row still there on its day)\n",
            h->concordance, (unsigned long long)h->pairs);
}

/* The figures --json and --csv write, beyond those of the text report. */
static int figures_for_programs(cli_eval_figures *f, const lapse_eval_rows *rows,
                                lapse_error *err)
{
    int status = LAPSE_OK;
    for (int i = 0; i < CLI_EVAL_FRACTIONS && status == LAPSE_OK; i++)
        status = lapse_metrics_lift_at(&f->top[i], i == 0 ? 0.05 : i / 10.0, rows->p, rows->y,
                                       rows->n, err);
    if (status == LAPSE_OK)
        status = lapse_eval_roc(&f->roc, &f->n_roc, CLI_EVAL_ROC_POINTS, rows->p, rows->y,
                                rows->n, err);
    for (int g = 0; g < LAPSE_EVAL_GROUPS && status == LAPSE_OK; g++)
        if (rows->group[g].id) {
            status = group_figures(&f->groups[g], rows, &rows->group[g], err);
            f->n_groups[g] = rows->group[g].n_names;
        }
    return status;
}

static int write_figures(const cli_eval_figures *f, lapse_error *err)
{
    int status = LAPSE_OK;
    if (json) {
        lapse_json *doc = lapse_json_new();
        if (!doc)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        cli_eval_json(doc, f);
        status = cli_json_save(doc, output ? output : "-", err);
        lapse_json_free(doc);
    }
    if (status == LAPSE_OK && csv_dir)
        status = cli_eval_csv(csv_dir, f, err);
    return status;
}

int cmd_eval(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first >= argc)
        return cli_usage_error(CMD, "no scored file given");
    if (output && !json)
        return cli_usage_error(CMD, "-o goes with --json (the text report goes to stdout)");
    const cli_output json_file = { "-o", output };
    const int refused = cli_check_files(CMD, &json_file, 1, argv + first, (size_t)(argc - first),
                                        NULL, 0);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(0);
    lapse_error err = LAPSE_ERROR_INIT;

    lapse_eval_rows rows;
    int rc = lapse_eval_read(&rows, (const char *const *)argv + first, (size_t)(argc - first),
                             &err);
    lapse_metrics_report report;
    if (rc == 0 && rows.n == 0)
        rc = lapse_error_set(&err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "no labelled rows to evaluate (every label is empty)");
    if (rc == 0)
        rc = lapse_metrics_evaluate(&report, rows.p, rows.y, rows.n, threshold, &err);
    cli_eval_horizons horizons;
    if (rc == 0)
        rc = cli_eval_horizon_figures(&horizons, &rows, &err);
    cli_eval_figures figures = { .metrics = &report, .horizons = &horizons };
    if (rc == 0 && (json || csv_dir))
        rc = figures_for_programs(&figures, &rows, &err);
    /* With --json on stdout (no -o, or -o -) the text report would break it. */
    const int json_on_stdout = json && (!output || strcmp(output, "-") == 0);
    if (rc == 0 && !json_on_stdout) {
        cli_print_metrics(stdout, &report);
        if (horizons.n)
            cli_print_horizons(stdout, &horizons);
        else if (rows.n_horizons)
            printf("by horizon: the files have p_<days> columns but no days_to_churn for every "
                   "churned row (score a table whose labels lapse extract made to measure each "
                   "horizon)\n");
    }
    if (rc == 0)
        rc = write_figures(&figures, &err);
    const int status = rc < 0 ? cli_report(&err) : EXIT_OK;
    free(figures.roc);
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
        free(figures.groups[g]);
    lapse_eval_rows_free(&rows);
    return status;
}
