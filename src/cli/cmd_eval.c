/* lapse eval: how good are scored probabilities, on rows with labels. */
#include "cli.h"
#include "report.h"

#include "lapse/metrics.h"
#include "lapse/eval.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define CMD "eval"

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
            "options:\n"
            "  -t, --threshold T   predict churn when p_churn >= T (default 0.5)\n"
            "  -h, --help          this help\n\n"
            "exit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "threshold", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    double threshold = 0.5;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "t:h", longopts, NULL)) != -1;) {
        switch (c) {
        case 't':
            if (cli_parse_double(CMD, "--threshold", optarg, 0, 1, &threshold))
                return EXIT_USAGE;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(CMD, "bad option");
        }
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "no scored file given");
    cli_log_to_stderr(0);

    lapse_error err = LAPSE_ERROR_INIT;
    double *p = NULL;
    int *y = NULL;
    size_t n = 0;
    int rc = lapse_eval_read_scored(&p, &y, &n, (const char *const *)argv + optind,
                                    (size_t)(argc - optind), &err);
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
