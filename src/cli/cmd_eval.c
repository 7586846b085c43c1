/* lapse eval: how good are scored probabilities, on rows with labels. */
#include "cli.h"
#include "cli_opt.h"
#include "report.h"

#include "lapse/metrics.h"
#include "lapse/eval.h"
#include "lapse/paths.h"

#include <stdio.h>
#include <stdlib.h>

#define CMD "eval"

static double threshold = 0.5;

static const cli_opt options[] = {
    CLI_OPT_DOUBLE('t', "threshold", "T", &threshold, 0, 1,
                   "predict churn when p_churn >= T (default 0.5)"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse eval [--threshold T] FILE...\n\n"
            "Evaluates churn probabilities against what happened: reads CSV files (plain or\n"
            "gzip, '-' for stdin) with a p_churn and a label column, such as the output of\n"
            "lapse score on a labelled table; rows with an empty label are skipped. Prints\n"
            "AUC-ROC, PR-AUC, log loss, Brier score, expected calibration error, lift and\n"
            "capture at the top 5/10/20%%, a 10-bin calibration table and the confusion\n"
            "matrix at the threshold.\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 22);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

int cmd_eval(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first >= argc)
        return cli_usage_error(CMD, "no scored file given");
    const int refused = cli_check_files(CMD, NULL, 0, argv + first, (size_t)(argc - first),
                                        NULL, 0);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(0);
    lapse_error err = LAPSE_ERROR_INIT;

    double *p = NULL;
    int *y = NULL;
    size_t n = 0;
    int rc = lapse_eval_read_scored(&p, &y, &n, (const char *const *)argv + first,
                                    (size_t)(argc - first), &err);
    lapse_metrics_report report;
    if (rc == 0 && n == 0)
        rc = lapse_error_set(&err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "no labelled rows to evaluate (every label is empty)");
    if (rc == 0)
        rc = lapse_metrics_evaluate(&report, p, y, n, threshold, &err);
    int status = EXIT_OK;
    if (rc < 0)
        status = cli_report(&err);
    else
        cli_print_metrics(stdout, &report);
    free(p);
    free(y);
    return status;
}
