/* lapse train: feature tables -> one model file (segments, classifier,
 * calibration, risk tiers), with the validation report. */
#include "cli.h"
#include "report.h"

#include "lapse/model.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"
#include "lapse/train.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "train"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse train --model svm|logistic -o MODEL [options] FEATURES...\n\n"
            "Trains a churn model on feature tables (the output of lapse extract, with labels).\n"
            "The latest labelled snapshot is the validation period; earlier ones are training\n"
            "data. Rows with an empty label are ignored. Probabilities are calibrated on the\n"
            "validation period (Platt or isotonic), and the figures reported for it are\n"
            "cross-fitted: each fold is predicted by a calibration fitted on the others.\n"
            "Risk tiers low/medium/high/critical start at the 50th, 80th and 95th percentiles\n"
            "of the validation probabilities. Same data, options and seed: same model bytes.\n\n"
            "options:\n"
            "  -o, --output MODEL   write the model here (atomically)\n"
            "      --model KIND     svm (libsvm C-SVC) or logistic (L2, all rows); required\n"
            "      --seed N         seed for k-means, subsample, grid and folds (default 1)\n"
            "      --k K            segments (default 3)\n"
            "      --kernel K       svm: rbf (default) or linear\n"
            "  -C, --C X            svm: cost (default 1)\n"
            "      --gamma G        svm rbf: width (default 1 / features)\n"
            "      --grid           svm: choose C and gamma by 3-fold cross-validation on a\n"
            "                       4000-row subsample\n"
            "      --max-train N    svm: train on a stratified subsample of at most N rows\n"
            "                       (default %d)\n"
            "      --l2 L           logistic: penalty on the weights (default 1)\n"
            "  -@, --threads N      threads for the SVM's validation scoring (default 1); BLAS\n"
            "                       sums run on one thread, so the model is the same for any N\n"
            "  -q, --quiet          no report (the report goes to stderr otherwise)\n"
            "  -h, --help           this help\n\n"
            "exit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n",
            LAPSE_TRAIN_MAX_TRAIN_DEFAULT);
}

static void print_report(const lapse_model *m, const lapse_train_report *r,
                         const lapse_train_options *o)
{
    char first[32], valid[32];
    lapse_time_format_date(first, m->training.first_asof);
    lapse_time_format_date(valid, r->valid_asof);
    fprintf(stderr,
            "lapse: training: %zu rows from %zu snapshots (%s to before %s), %.2f%% churners; "
            "validation: %zu rows at %s; %zu unlabelled rows ignored\n",
            r->train_rows, r->train_snapshots, first, valid,
            100.0 * (double)r->train_positives / (double)r->train_rows, r->valid_rows, valid,
            r->unlabelled_rows);
    cli_print_segments(stderr, m);
    if (o->model == LAPSE_CLASSIFIER_SVM) {
        fprintf(stderr, "classifier: SVM %s, C %g", o->kernel == LAPSE_KERNEL_LINEAR ? "linear" : "rbf",
                r->C);
        if (o->kernel == LAPSE_KERNEL_RBF)
            fprintf(stderr, ", gamma %g", r->gamma);
        if (!isnan(r->grid_auc))
            fprintf(stderr, " (grid search, cross-validated AUC %.4f)", r->grid_auc);
        fprintf(stderr, ", %zu support vectors; trained on %zu of %zu rows%s in %.1f s\n",
                m->classifier.n_sv, r->classifier_rows, r->train_rows,
                r->classifier_rows < r->train_rows ? " (stratified subsample, --max-train)" : "",
                r->classifier_seconds);
    } else {
        fprintf(stderr, "classifier: logistic, l2 %g, %d Newton steps on %zu rows in %.1f s\n",
                o->l2, r->logistic_iterations, r->classifier_rows, r->classifier_seconds);
    }
    fprintf(stderr, "calibration: %s (cross-validated log loss: Platt %.4f, isotonic %.4f)\n",
            m->calibration.kind == LAPSE_CALIBRATION_ISOTONIC ? "isotonic" : "Platt",
            r->platt_log_loss, r->isotonic_log_loss);
    fprintf(stderr, "risk tiers:");
    for (size_t i = 0; i < m->tiers.n_tiers; i++) {
        if (i)
            fprintf(stderr, " | %.4f |", m->tiers.thresholds[i - 1]);
        fprintf(stderr, " %s", m->tiers.names[i]);
    }
    fprintf(stderr, "\nvalidation %s (cross-fitted calibrated probabilities):\n", valid);
    cli_print_metrics(stderr, &r->valid);
}

int cmd_train(int argc, char **argv)
{
    enum { OPT_MODEL = 256, OPT_SEED, OPT_K, OPT_KERNEL, OPT_GAMMA, OPT_GRID, OPT_MAX_TRAIN,
           OPT_L2 };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "model", required_argument, NULL, OPT_MODEL },
        { "seed", required_argument, NULL, OPT_SEED },
        { "k", required_argument, NULL, OPT_K },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "C", required_argument, NULL, 'C' },
        { "gamma", required_argument, NULL, OPT_GAMMA },
        { "grid", no_argument, NULL, OPT_GRID },
        { "max-train", required_argument, NULL, OPT_MAX_TRAIN },
        { "l2", required_argument, NULL, OPT_L2 },
        { "threads", required_argument, NULL, '@' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lapse_train_options opt = LAPSE_TRAIN_OPTIONS_INIT;
    opt.version = LAPSE_VERSION_STRING;
    const char *output = NULL;
    int quiet = 0, have_model = 0;
    long value;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:C:@:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_MODEL:
            if (!strcmp(optarg, "svm"))
                opt.model = LAPSE_CLASSIFIER_SVM;
            else if (!strcmp(optarg, "logistic"))
                opt.model = LAPSE_CLASSIFIER_LOGISTIC;
            else
                return cli_usage_error(CMD, "--model must be svm or logistic, not \"%s\"", optarg);
            have_model = 1;
            break;
        case OPT_SEED:
            if (cli_parse_long(CMD, "--seed", optarg, 0, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.seed = (uint64_t)value;
            break;
        case OPT_K:
            if (cli_parse_long(CMD, "--k", optarg, 1, 64, &value))
                return EXIT_USAGE;
            opt.k = (size_t)value;
            break;
        case OPT_KERNEL:
            if (!strcmp(optarg, "rbf"))
                opt.kernel = LAPSE_KERNEL_RBF;
            else if (!strcmp(optarg, "linear"))
                opt.kernel = LAPSE_KERNEL_LINEAR;
            else
                return cli_usage_error(CMD, "--kernel must be rbf or linear, not \"%s\"", optarg);
            break;
        case 'C':
            if (cli_parse_double(CMD, "-C", optarg, 1e-6, 1e6, &opt.C))
                return EXIT_USAGE;
            break;
        case OPT_GAMMA:
            if (cli_parse_double(CMD, "--gamma", optarg, 1e-9, 1e6, &opt.gamma))
                return EXIT_USAGE;
            break;
        case OPT_GRID: opt.grid = 1; break;
        case OPT_MAX_TRAIN:
            if (cli_parse_long(CMD, "--max-train", optarg, 2, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.max_train = (size_t)value;
            break;
        case OPT_L2:
            if (cli_parse_double(CMD, "--l2", optarg, 0, 1e9, &opt.l2))
                return EXIT_USAGE;
            break;
        case '@':
            if (cli_parse_long(CMD, "--threads", optarg, 1, 256, &value))
                return EXIT_USAGE;
            opt.threads = (int)value;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(CMD, "bad option");
        }
    }
    if (!have_model)
        return cli_usage_error(CMD, "--model svm or --model logistic is required");
    if (!output)
        return cli_usage_error(CMD, "-o MODEL is required");
    if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(CMD, "a model file is binary: redirect -o - or name a file");
    if (optind >= argc)
        return cli_usage_error(CMD, "no feature table given");
    cli_log_to_stderr(quiet);

    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table *table = NULL;
    lapse_model *model = NULL;
    lapse_train_report report;
    int rc = lapse_table_read(&table, (const char *const *)argv + optind, (size_t)(argc - optind),
                              &err);
    if (rc == 0)
        rc = lapse_train(&model, &report, table, &opt, &err);
    if (rc == 0)
        rc = lapse_model_save(model, output, &err);
    int status = EXIT_OK;
    if (rc < 0)
        status = cli_report(&err);
    else if (!quiet)
        print_report(model, &report, &opt);
    lapse_model_free(model);
    lapse_table_free(table);
    return status;
}
