/* lapse train: feature tables -> one model file (segments, classifier,
 * calibration, risk tiers), with the validation report. */
#include "cli.h"
#include "cli_btyd.h"
#include "cli_opt.h"
#include "report.h"

#include "lapse/model.h"
#include "lapse/paths.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"
#include "lapse/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "train"

#define STRING(x) #x
#define NUMBER_TEXT(x) STRING(x)

static lapse_train_options opt = LAPSE_TRAIN_OPTIONS_INIT;
static const char *output;
static int model = -1, quiet;
static lapse_train_btyd_options btyd = LAPSE_TRAIN_BTYD_OPTIONS_INIT;

/* BTYD kinds after the classifiers' values. */
enum { MODEL_BGNBD = 100, MODEL_PARETO };
static const cli_opt_choice models[] = {
    { "svm", LAPSE_CLASSIFIER_SVM }, { "logistic", LAPSE_CLASSIFIER_LOGISTIC },
    { "bgnbd", MODEL_BGNBD }, { "pareto-nbd", MODEL_PARETO }, { NULL, 0 }
};
static const cli_opt_choice time_units[] = { { "days", 1 }, { "weeks", 7 }, { NULL, 0 } };
static int time_unit = -1;
static const cli_opt_choice kernels[] = {
    { "rbf", LAPSE_KERNEL_RBF }, { "linear", LAPSE_KERNEL_LINEAR }, { NULL, 0 }
};

static const cli_opt options[] = {
    CLI_OPT_STRING('o', "output", "MODEL", &output, "write the model here (atomically)"),
    CLI_OPT_ENUM(0, "model", "KIND", &model, models,
                 "svm (libsvm C-SVC) or logistic (L2, all rows); or bgnbd,\n"
                 "pareto-nbd (BTYD, on purchases: lapse model show); required"),
    CLI_OPT_FLAG(0, "gamma-gamma", &btyd.gamma_gamma, 1,
                 "bgnbd, pareto-nbd: also fit Gamma-Gamma on mean spend"),
    CLI_OPT_ENUM(0, "time-unit", "U", &time_unit, time_units,
                 "bgnbd, pareto-nbd: days (default) or weeks"),
    CLI_OPT_INT(0, "seed", "N", &opt.seed, 0, INT64_MAX,
                "seed for k-means, subsample, grid and folds (default 1)"),
    CLI_OPT_INT(0, "k", "K", &opt.k, 1, 64, "segments (default 3)"),
    CLI_OPT_ENUM(0, "kernel", "K", &opt.kernel, kernels, "svm: rbf (default) or linear"),
    CLI_OPT_DOUBLE('C', "C", "X", &opt.C, 1e-6, 1e6, "svm: cost (default 1)"),
    CLI_OPT_DOUBLE(0, "gamma", "G", &opt.gamma, 1e-9, 1e6,
                   "svm rbf: width (default 1 / features)"),
    CLI_OPT_FLAG(0, "grid", &opt.grid, 1,
                 "svm: choose C and gamma by 3-fold cross-validation on a\n"
                 "4000-row subsample"),
    CLI_OPT_INT(0, "max-train", "N", &opt.max_train, 2, INT64_MAX,
                "svm: train on a stratified subsample of at most N rows\n"
                "(default " NUMBER_TEXT(LAPSE_TRAIN_MAX_TRAIN_DEFAULT) ")"),
    CLI_OPT_DOUBLE(0, "l2", "L", &opt.l2, 0, 1e9, "logistic: penalty on the weights (default 1)"),
    CLI_OPT_INT('@', "threads", "N", &opt.threads, 1, 256,
                "threads for the SVM's validation scoring (default 1); BLAS\n"
                "sums run on one thread, so the model is the same for any N"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no report (the report goes to stderr otherwise)"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

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
            "options:\n");
    cli_opt_print(out, options, 6, 23);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
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
    int first;
    const int parsed = cli_opt_parse(&first, CMD, options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (model < 0)
        return cli_usage_error(CMD, "--model svm or --model logistic is required");
    if (model < MODEL_BGNBD && (btyd.gamma_gamma || time_unit >= 0))
        return cli_usage_error(CMD, "--gamma-gamma and --time-unit go with bgnbd or pareto-nbd");
    const lapse_train_options defaults = LAPSE_TRAIN_OPTIONS_INIT;
    if (model >= MODEL_BGNBD &&
        (opt.seed != defaults.seed || opt.k != defaults.k || opt.kernel != defaults.kernel ||
         opt.C != defaults.C || opt.gamma != defaults.gamma || opt.grid ||
         opt.max_train != defaults.max_train || opt.l2 != defaults.l2 ||
         opt.threads != defaults.threads))
        return cli_usage_error(CMD, "bgnbd and pareto-nbd take none of the classifiers' options "
                                    "(--seed, --k, --kernel, -C, --gamma, --grid, --max-train, "
                                    "--l2, -@)");
    opt.model = (lapse_classifier_kind)model;
    opt.version = LAPSE_VERSION_STRING;
    if (!output)
        return cli_usage_error(CMD, "-o MODEL is required");
    if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(CMD, "a model file is binary: redirect -o - or name a file");
    if (first >= argc)
        return cli_usage_error(CMD, "no feature table given");
    const cli_output model_file = { "-o", output };
    const int refused = cli_check_files(CMD, &model_file, 1, argv + first,
                                        (size_t)(argc - first), NULL, 0);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(quiet);
    if (model >= MODEL_BGNBD) {
        btyd.kind = model == MODEL_BGNBD ? LAPSE_BTYD_BGNBD : LAPSE_BTYD_PARETO;
        btyd.unit_days = time_unit > 0 ? (unsigned)time_unit : 1;
        return cli_train_btyd(&btyd, output, argv + first, argc - first, quiet);
    }

    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table *table = NULL;
    lapse_model *trained = NULL;
    lapse_train_report report;
    int rc = lapse_table_read(&table, (const char *const *)argv + first, (size_t)(argc - first),
                              &err);
    if (rc == 0)
        rc = lapse_train(&trained, &report, table, &opt, &err);
    if (rc == 0)
        rc = lapse_model_save(trained, output, &err);
    int status = EXIT_OK;
    if (rc < 0)
        status = cli_report(&err);
    else if (!quiet)
        print_report(trained, &report, &opt);
    lapse_model_free(trained);
    lapse_table_free(table);
    return status;
}
