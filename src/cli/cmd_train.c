/* lapse train: feature tables -> one model file (segments, classifier,
 * calibration, risk tiers), with the validation report. */
#include "cli.h"
#include "cli_btyd.h"
#include "cli_opt.h"
#include "cli_progress.h"
#include "report.h"

#include "lapse/model.h"
#include "lapse/paths.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"
#include "lapse/train.h"
#include "lapse/train_stack.h"
#include "lapse/version.h"

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
static const char *report_path; /* --report: the report as JSON */
static int model = -1, quiet;
static lapse_train_btyd_options btyd = LAPSE_TRAIN_BTYD_OPTIONS_INIT;
static int with_btyd; /* --with-btyd: stack the classifier on a BTYD feature */
static lapse_train_stack_options stack = LAPSE_TRAIN_STACK_OPTIONS_INIT;

/* BTYD kinds after the classifiers' values. */
enum { MODEL_BGNBD = 100, MODEL_PARETO };
static const cli_opt_choice models[] = {
    { "svm", LAPSE_CLASSIFIER_SVM }, { "logistic", LAPSE_CLASSIFIER_LOGISTIC },
    { "gbdt", LAPSE_CLASSIFIER_GBDT },
    { "bgnbd", MODEL_BGNBD }, { "pareto-nbd", MODEL_PARETO }, { NULL, 0 }
};
/* A table of your own (lapse/foreign.h); format 0: a lapse feature table. */
static lapse_foreign_options foreign = LAPSE_FOREIGN_OPTIONS_INIT;
static int format;
static const cli_opt_choice formats[] = {
    { "csv", LAPSE_FOREIGN_CSV }, { "libsvm", LAPSE_FOREIGN_LIBSVM }, { NULL, 0 }
};
static const cli_opt_choice time_units[] = { { "days", 1 }, { "weeks", 7 }, { NULL, 0 } };
static int time_unit = -1;
static const cli_opt_choice kernels[] = {
    { "rbf", LAPSE_KERNEL_RBF }, { "linear", LAPSE_KERNEL_LINEAR }, { NULL, 0 }
};

/* A share strictly between 0 and 1: strtod with its end and range checked. */
static int parse_share(double *out, const char *text)
{
    char *end;
    const double v = strtod(text, &end);
    if (end == text || *end || !(v > 0 && v < 1))
        return -1;
    *out = v;
    return 0;
}

/* Rolling folds, 2 to LAPSE_MODEL_ROLLING_MAX. */
static int parse_folds(size_t *out, const char *text)
{
    char *end;
    const long k = strtol(text, &end, 10);
    if (end == text || *end || k < 2 || k > LAPSE_MODEL_ROLLING_MAX)
        return -1;
    *out = (size_t)k;
    return 0;
}

/* --validate last-snapshot | users[:F] | random[:F] | file:FILE | rolling[:K] */
static int parse_validate(const cli_opt *o, const char *command, const char *name,
                          const char *text)
{
    (void)o;
    static const struct {
        const char *word;
        lapse_validation_kind kind;
    } kinds[] = { { "last-snapshot", LAPSE_VALIDATION_LAST_SNAPSHOT },
                  { "users", LAPSE_VALIDATION_USERS },
                  { "random", LAPSE_VALIDATION_RANDOM },
                  { "file", LAPSE_VALIDATION_FILE },
                  { "rolling", LAPSE_VALIDATION_ROLLING } };
    const char *colon = strchr(text, ':');
    const size_t len = colon ? (size_t)(colon - text) : strlen(text);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strlen(kinds[i].word) != len || strncmp(text, kinds[i].word, len) != 0)
            continue;
        const lapse_validation_kind kind = kinds[i].kind;
        int ok;
        if (kind == LAPSE_VALIDATION_LAST_SNAPSHOT)
            ok = !colon;
        else if (kind == LAPSE_VALIDATION_FILE)
            ok = colon && colon[1];
        else if (kind == LAPSE_VALIDATION_ROLLING)
            ok = !colon || parse_folds(&opt.rolling_folds, colon + 1) == 0;
        else
            ok = !colon || parse_share(&opt.holdout, colon + 1) == 0;
        if (!ok)
            break;
        opt.validate = kind;
        if (kind == LAPSE_VALIDATION_FILE)
            opt.holdout_file = colon + 1;
        return 0;
    }
    return cli_opt_bad_value(command, name, text,
                             "needs last-snapshot, users:SHARE, random:SHARE (a share between 0 "
                             "and 1), file:FILE or rolling:K (K from 2 to %d)",
                             LAPSE_MODEL_ROLLING_MAX);
}

/* --tiers q:A,B,C (shares of the validation rows) or p:A,B,C (probabilities) */
static int parse_tiers(const cli_opt *o, const char *command, const char *name, const char *text)
{
    (void)o;
    double cuts[3];
    const char *at = text + 2;
    int ok = (text[0] == 'q' || text[0] == 'p') && text[1] == ':';
    for (int i = 0; ok && i < 3; i++) {
        char *end;
        cuts[i] = strtod(at, &end);
        ok = end != at && *end == (i < 2 ? ',' : '\0') && cuts[i] > 0 && cuts[i] < 1 &&
             (i == 0 || cuts[i] > cuts[i - 1]);
        at = end + 1;
    }
    if (!ok)
        return cli_opt_bad_value(command, name, text,
                                 "needs q:A,B,C (shares) or p:A,B,C (probabilities), three "
                                 "numbers increasing between 0 and 1");
    opt.tiers = text[0] == 'p' ? LAPSE_TIERS_PROBABILITY : LAPSE_TIERS_PERCENTILE;
    memcpy(opt.tier_cuts, cuts, sizeof cuts);
    return 0;
}

/* --k K (1 to 64) or auto */
static int parse_k(const cli_opt *o, const char *command, const char *name, const char *text)
{
    (void)o;
    char *end;
    const long k = strtol(text, &end, 10);
    if (strcmp(text, "auto") == 0) {
        opt.k = LAPSE_TRAIN_K_AUTO;
        return 0;
    }
    if (end == text || *end || k < 1 || k > 64)
        return cli_opt_bad_value(command, name, text, "needs a whole number from 1 to 64, or auto");
    opt.k = (size_t)k;
    return 0;
}

/* --with-btyd[=bgnbd|pareto-nbd] */
static int parse_with_btyd(const cli_opt *o, const char *command, const char *name,
                           const char *text)
{
    (void)o;
    with_btyd = 1;
    if (!text || strcmp(text, "bgnbd") == 0)
        stack.kind = LAPSE_BTYD_BGNBD;
    else if (strcmp(text, "pareto-nbd") == 0)
        stack.kind = LAPSE_BTYD_PARETO;
    else
        return cli_opt_bad_value(command, name, text, "needs bgnbd or pareto-nbd");
    return 0;
}

/* --horizons 7,14,30 (lapse/hazard.h says what is refused) */
static int parse_horizons(const cli_opt *o, const char *command, const char *name,
                          const char *text)
{
    (void)o;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_hazard_parse(&opt.horizons, text, &err) != LAPSE_OK)
        return cli_opt_bad_value(command, name, text,
                                 "needs increasing whole days, e.g. 7,14,30 (%s)", err.message);
    return 0;
}

static const cli_opt options[] = {
    CLI_OPT_STRING('o', "output", "MODEL", &output, "write the model here (atomically)"),
    CLI_OPT_STRING(0, "report", "FILE", &report_path,
                   "also write the report as JSON (\"lapse-train-report\")"),
    CLI_OPT_ENUM(0, "model", "KIND", &model, models,
                 "svm (libsvm C-SVC), logistic (L2, all rows) or gbdt\n"
                 "(XGBoost boosted trees, hist); or bgnbd,\n"
                 "pareto-nbd (BTYD, on purchases: lapse model show); required"),
    CLI_OPT_FLAG(0, "gamma-gamma", &btyd.gamma_gamma, 1,
                 "bgnbd, pareto-nbd: also fit Gamma-Gamma on mean spend"),
    CLI_OPT_ENUM(0, "time-unit", "U", &time_unit, time_units,
                 "bgnbd, pareto-nbd, --with-btyd: days (default) or weeks"),
    CLI_OPT_CALL_OPTIONAL("with-btyd", "KIND", NULL, parse_with_btyd,
                          "svm, logistic, gbdt: add the BTYD probability of no\n"
                          "purchase in the label horizon as a feature (bgnbd, the\n"
                          "default, or pareto-nbd), fitted on the training rows;\n"
                          "the report compares with the classifier without it"),
    CLI_OPT_INT(0, "seed", "N", &opt.seed, 0, INT64_MAX,
                "seed for k-means, subsample, grid and folds (default 1)"),
    CLI_OPT_CALL(0, "k", "K", NULL, parse_k,
                 "segments, 1 to 64 (default 3), or auto: the k from 2 to 6\n"
                 "with the highest silhouette on a sample"),
    CLI_OPT_CALL(0, "validate", "HOW", NULL, parse_validate,
                 "held-out rows: last-snapshot (default with two labelled\n"
                 "snapshots), users:F (a seeded share F of users, all\n"
                 "their rows; the default, at 0.2, otherwise), random:F\n"
                 "(rows), file:FILE (users listed in its first column), or\n"
                 "rolling:K (the last K snapshots in turn, each on those\n"
                 "before it; default 3: see below)"),
    CLI_OPT_FLAG(0, "no-refit", &opt.refit, 0,
                 "keep the classifier fitted without the held-out rows\n"
                 "(by default it is refitted on all labelled rows)"),
    CLI_OPT_CALL(0, "tiers", "K:A,B,C", NULL, parse_tiers,
                 "risk tiers at shares of the validation rows (q:, default\n"
                 "q:0.5,0.8,0.95) or at probabilities (p:0.3,0.6,0.8)"),
    CLI_OPT_ENUM(0, "kernel", "K", &opt.kernel, kernels, "svm: rbf (default) or linear"),
    CLI_OPT_DOUBLE('C', "C", "X", &opt.C, 1e-6, 1e6, "svm: cost (default 1)"),
    CLI_OPT_DOUBLE(0, "gamma", "G", &opt.gamma, 1e-9, 1e6,
                   "svm rbf: width (default 1 / features)"),
    CLI_OPT_FLAG(0, "grid", &opt.grid, 1,
                 "svm: choose C and gamma by 3-fold cross-validation on a\n"
                 "4000-row subsample; gbdt: choose depth (2, 4, 6, 8) and\n"
                 "--eta (0.05, 0.1, 0.3) by the log loss on the\n"
                 "early-stopping rows"),
    CLI_OPT_INT(0, "max-train", "N", &opt.max_train, 2, INT64_MAX,
                "svm: train on a stratified subsample of at most N rows\n"
                "(default " NUMBER_TEXT(LAPSE_TRAIN_MAX_TRAIN_DEFAULT) ")"),
    CLI_OPT_DOUBLE(0, "l2", "L", &opt.l2, 0, 1e9, "logistic: penalty on the weights (default 1)"),
    CLI_OPT_CALL(0, "horizons", "LIST", NULL, parse_horizons,
                 "logistic, gbdt: churn within each of these days, e.g.\n"
                 "7,14,30 (increasing, the last at most the table's\n"
                 "horizon): one discrete-time hazard model (gbdt: the day\n"
                 "band a feature of the trees); score writes p_7,p_14,p_30\n"
                 "and churn_by (needs days_to_churn in the table)"),
    CLI_OPT_INT(0, "trees", "N", &opt.trees, 1, 100000,
                "gbdt: boosting rounds at most (default 300); stops early\n"
                "after 20 without a better held-out log loss"),
    CLI_OPT_INT(0, "depth", "D", &opt.depth, 1, 16, "gbdt: max tree depth (default 6)"),
    CLI_OPT_DOUBLE(0, "eta", "E", &opt.eta, 1e-6, 1, "gbdt: learning rate (default 0.1)"),
    CLI_OPT_THREADS(&opt.threads, 256,
                    "threads for the SVM's validation scoring (default 1; 0 =\n"
                    "one per CPU); BLAS sums run on one thread, so the model is\n"
                    "the same for any N"),
    CLI_OPT_STRING(0, "label", "COL", &foreign.label,
                   "a CSV of your own, one row per user: its label column\n"
                   "(0/1, empty = unlabelled); the other columns are features"),
    CLI_OPT_STRING(0, "id", "COL", &foreign.id,
                   "with --label: the id column (default: rows are numbered)"),
    CLI_OPT_STRING(0, "positive", "V", &foreign.positive,
                   "with --label: the label value V meaning churn (e.g. Yes);\n"
                   "any other non-empty value is 0"),
    CLI_OPT_ENUM(0, "format", "F", &format, formats,
                 "a table of your own: csv (needs --label) or libsvm\n"
                 "('label index:value ...' rows; features f1..fN)"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no progress or report (the report goes to stderr otherwise)"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse train --model svm|logistic|gbdt -o MODEL [options] FEATURES...\n\n"
            "Trains a churn model on feature tables (the output of lapse extract, with labels).\n"
            "Rows with an empty label are ignored. The labelled rows are split (--validate):\n"
            "by default the latest labelled snapshot is held out and earlier ones train; a\n"
            "table with one snapshot holds out a seeded 20%% of users instead. Probabilities\n"
            "are calibrated on the held-out rows (Platt or isotonic), and the figures reported\n"
            "for them are cross-fitted: each fold is predicted by a calibration fitted on the\n"
            "others; the AUC comes with its DeLong standard error. Risk tiers\n"
            "low/medium/high/critical start at the 50th, 80th and 95th percentiles of the\n"
            "held-out probabilities (--tiers). Then the classifier is refitted on every\n"
            "labelled row (--no-refit: not). Same data, options and seed: same model bytes.\n"
            "--validate rolling:K validates K times: fold i holds out the i-th of the last K\n"
            "labelled snapshots and trains on every snapshot before it (a user's earlier\n"
            "snapshots may train while a later one validates, as when scoring next month;\n"
            "never the same row). Each fold's AUC is reported with its DeLong SE; the\n"
            "model's AUC is their mean, with a next-period standard error\n"
            "sqrt(max(SD^2, S^2) * (1 + 1/K)) (SD: the fold AUCs' standard deviation; S^2:\n"
            "their mean squared DeLong SE): how far the next snapshot's AUC may lie from the\n"
            "mean, period-to-period drift included. Calibration and tiers are the latest\n"
            "fold's.\n"
            "With --label (or --format libsvm) FEATURES is one table of your own instead:\n"
            "numeric columns are features, text columns with at most 50 values one-hot\n"
            "encoded (more: dropped, with a warning), empty cells the training median and a\n"
            "<col>_missing flag; the model keeps that encoding for score (datasets/README.md,\n"
            "\"Your own table\").\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 23);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

/* --validate rolling:K: each fold, then the summary lapse/train.h defines. */
static void print_rolling(const lapse_train_report *r)
{
    fprintf(stderr, "\nrolling validation, %zu folds (each trained on the snapshots before "
                    "its own):\n", r->rolling_folds);
    for (size_t i = 0; i < r->rolling_folds; i++) {
        const lapse_train_fold *f = &r->folds[i];
        char day[16];
        lapse_time_format_date(day, f->asof);
        fprintf(stderr, "  %s  AUC %.4f (DeLong SE %.4f)  %zu training rows, %zu validation "
                        "rows, %zu churners\n",
                day, f->auc, f->auc_se, f->train_rows, f->valid_rows, f->valid_positives);
    }
    fprintf(stderr,
            "  mean AUC %.4f, next-period standard error %.4f = sqrt(max(SD %.4f^2, sampling "
            "%.4f^2) * (1 + 1/%zu)): the model's validation AUC\n",
            r->rolling_auc, r->rolling_se, r->rolling_sd, r->rolling_sampling_se,
            r->rolling_folds);
}

static void print_report(const lapse_model *m, const lapse_train_report *r,
                         const lapse_train_options *o)
{
    char first[32], last[32], how[160];
    lapse_time_format_date(first, m->training.first_asof);
    lapse_time_format_date(last, r->valid_asof);
    const double churn = 100.0 * (double)r->train_positives / (double)r->train_rows;
    if (r->validation == LAPSE_VALIDATION_LAST_SNAPSHOT ||
        r->validation == LAPSE_VALIDATION_ROLLING)
        fprintf(stderr,
                "lapse: training: %zu rows from %zu snapshots (%s to before %s), %.2f%% "
                "churners; validation: %zu rows at %s; %zu unlabelled rows ignored\n",
                r->train_rows, r->train_snapshots, first, last, churn, r->valid_rows, last,
                r->unlabelled_rows);
    else if (m->encoding) /* a table of one's own has no snapshots */
        fprintf(stderr,
                "lapse: training: %zu rows of a table of your own, %.2f%% churners; validation: "
                "%zu rows of %zu users, %s; %zu unlabelled rows ignored\n",
                r->train_rows, churn, r->valid_rows, r->valid_users,
                cli_describe_validation(how, sizeof how, m), r->unlabelled_rows);
    else
        fprintf(stderr,
                "lapse: training: %zu rows from %zu snapshots (%s to %s), %.2f%% churners; "
                "validation: %zu rows of %zu users, %s; %zu unlabelled rows ignored\n",
                r->train_rows, r->train_snapshots, first, last, churn, r->valid_rows,
                r->valid_users, cli_describe_validation(how, sizeof how, m), r->unlabelled_rows);
    if (r->constant_features)
        fprintf(stderr, "features: %zu of %zu constant over the training rows, dropped\n",
                r->constant_features, m->n_features);
    if (o->k == LAPSE_TRAIN_K_AUTO && !r->no_segments) {
        fprintf(stderr, "k auto: silhouette (sampled)");
        for (int k = LAPSE_TRAIN_K_AUTO_MIN; k <= LAPSE_TRAIN_K_AUTO_MAX; k++)
            if (!isnan(r->k_silhouette[k]))
                fprintf(stderr, " k=%d %.3f", k, r->k_silhouette[k]);
        fprintf(stderr, "; the highest chosen\n");
    }
    cli_print_segments(stderr, m);
    if (o->model == LAPSE_CLASSIFIER_SVM) {
        fprintf(stderr, "classifier: SVM %s, C %g", o->kernel == LAPSE_KERNEL_LINEAR ? "linear" : "rbf",
                r->C);
        if (o->kernel == LAPSE_KERNEL_RBF)
            fprintf(stderr, ", gamma %g", r->gamma);
        if (!isnan(r->grid_auc))
            fprintf(stderr, " (grid search, cross-validated AUC %.4f)", r->grid_auc);
        const size_t rows = r->refit_rows ? r->refit_rows : r->train_rows;
        fprintf(stderr, ", %zu support vectors; trained on %zu of %zu rows%s in %.1f s\n",
                m->classifier.n_sv, r->classifier_rows, rows,
                r->classifier_rows < rows ? " (stratified subsample, --max-train)" : "",
                r->classifier_seconds);
    } else if (o->model == LAPSE_CLASSIFIER_GBDT) {
        char list[LAPSE_HAZARD_MAX_BANDS * 8] = "";
        if (m->hazard)
            lapse_hazard_format(list, sizeof list, m->hazard);
        fprintf(stderr, "classifier: gbdt%s%s, depth %d, eta %g",
                m->hazard ? " hazard, horizons " : "", list, r->gbdt_depth, r->gbdt_eta);
        if (!isnan(r->grid_logloss))
            fprintf(stderr, " (grid search, log loss %.4f on the early-stopping rows)",
                    r->grid_logloss);
        fprintf(stderr, ", best round %zu of %zu grown (at most %zu) on %zu %s in %.1f s\n",
                r->gbdt_best_iteration + 1, r->gbdt_rounds, o->trees, r->classifier_rows,
                m->hazard ? "person-periods (the day band a feature)" : "rows",
                r->classifier_seconds);
    } else if (m->hazard) {
        char list[LAPSE_HAZARD_MAX_BANDS * 8];
        lapse_hazard_format(list, sizeof list, m->hazard);
        fprintf(stderr,
                "classifier: logistic hazard, horizons %s, l2 %g, %d Newton steps on %zu "
                "person-periods in %.1f s; %s\n",
                list, o->l2, r->logistic_iterations, r->classifier_rows, r->classifier_seconds,
                m->hazard->risk == LAPSE_HAZARD_RISK_SILENCE
                    ? "with churn = silence a row is at risk only in the band of the day its "
                      "silence reaches silent_days"
                    : "every row at risk in every band");
    } else {
        fprintf(stderr, "classifier: logistic, l2 %g, %d Newton steps on %zu rows in %.1f s\n",
                o->l2, r->logistic_iterations, r->classifier_rows, r->classifier_seconds);
    }
    if (r->refit_rows)
        fprintf(stderr,
                "refit: validated as fitted on the %zu training rows, the classifier above was "
                "then refitted on all %zu labelled rows (--no-refit keeps the validated one)\n",
                r->train_rows, r->refit_rows);
    fprintf(stderr, "calibration: %s (cross-validated log loss: Platt %.4f, isotonic %.4f)\n",
            m->calibration.kind == LAPSE_CALIBRATION_ISOTONIC ? "isotonic" : "Platt",
            r->platt_log_loss, r->isotonic_log_loss);
    fprintf(stderr, "risk tiers (%s):",
            cli_describe_tiers(how, sizeof how, m));
    for (size_t i = 0; i < m->tiers.n_tiers; i++) {
        if (i)
            fprintf(stderr, " | %.4f |", m->tiers.thresholds[i - 1]);
        fprintf(stderr, " %s", m->tiers.names[i]);
    }
    char within[64] = "";
    if (m->hazard)
        snprintf(within, sizeof within, " of churn within %d days",
                 m->hazard->horizons[m->hazard->n_bands - 1]);
    if (r->validation == LAPSE_VALIDATION_LAST_SNAPSHOT)
        fprintf(stderr, "\nvalidation %s (cross-fitted calibrated probabilities%s):\n", last,
                within);
    else if (r->validation == LAPSE_VALIDATION_ROLLING)
        fprintf(stderr,
                "\nvalidation %s, the latest fold (cross-fitted calibrated probabilities%s; "
                "its calibration and tiers are the model's):\n",
                last, within);
    else
        fprintf(stderr,
                "\nvalidation, held-out rows (cross-fitted calibrated probabilities%s):\n",
                within);
    cli_print_metrics(stderr, &r->valid);
    if (r->rolling_folds)
        print_rolling(r);
}

int cmd_train(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (model < 0)
        return cli_usage_error(CMD, "--model svm, logistic or gbdt is required");
    if (with_btyd && model >= MODEL_BGNBD)
        return cli_usage_error(CMD, "--with-btyd stacks a classifier (svm, logistic or gbdt) "
                                    "on a BTYD feature");
    if (model < MODEL_BGNBD && (btyd.gamma_gamma || (time_unit >= 0 && !with_btyd)))
        return cli_usage_error(CMD, "--gamma-gamma and --time-unit go with bgnbd or pareto-nbd "
                                    "(--time-unit also with --with-btyd)");
    if (with_btyd && opt.validate == LAPSE_VALIDATION_ROLLING)
        return cli_usage_error(CMD, "--with-btyd fits its BTYD feature on one split: not with "
                                    "--validate rolling");
    if (with_btyd && opt.horizons.n_bands)
        return cli_usage_error(CMD, "--with-btyd stacks on one horizon, the table's: not with "
                                    "--horizons");
    const lapse_train_options defaults = LAPSE_TRAIN_OPTIONS_INIT;
    if (model >= MODEL_BGNBD &&
        (opt.seed != defaults.seed || opt.k != defaults.k || opt.kernel != defaults.kernel ||
         opt.C != defaults.C || opt.gamma != defaults.gamma || opt.grid ||
         opt.max_train != defaults.max_train || opt.l2 != defaults.l2 ||
         opt.threads != defaults.threads || opt.trees != defaults.trees ||
         opt.depth != defaults.depth || opt.eta != defaults.eta))
        return cli_usage_error(CMD, "bgnbd and pareto-nbd take none of the classifiers' options "
                                    "(--seed, --k, --kernel, -C, --gamma, --grid, --max-train, "
                                    "--l2, --trees, --depth, --eta, -@)");
    if (opt.horizons.n_bands && model != LAPSE_CLASSIFIER_LOGISTIC &&
        model != LAPSE_CLASSIFIER_GBDT)
        return cli_usage_error(CMD, "--horizons fits a logistic or boosted-trees hazard model: "
                                    "use --model logistic or gbdt");
    opt.model = (lapse_classifier_kind)model;
    opt.version = lapse_version();
    if (!output)
        return cli_usage_error(CMD, "-o MODEL is required");
    if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO))
        return cli_usage_error(CMD, "a model file is binary: redirect -o - or name a file");
    if (first >= argc)
        return cli_usage_error(CMD, "no feature table given");
    const int own_table = foreign.label || foreign.id || foreign.positive || format;
    if (format == LAPSE_FOREIGN_LIBSVM && (foreign.label || foreign.id || foreign.positive))
        return cli_usage_error(CMD, "a libsvm file has no columns: --label, --id and --positive "
                                    "go with CSV");
    if (own_table && !foreign.label && format != LAPSE_FOREIGN_LIBSVM)
        return cli_usage_error(CMD, "a CSV of your own needs --label COL");
    if (own_table && opt.horizons.n_bands)
        return cli_usage_error(CMD, "--horizons needs days_to_churn, which a table of your own "
                                    "does not have");
    if (own_table && with_btyd)
        return cli_usage_error(CMD, "--with-btyd needs a lapse feature table's purchase "
                                    "columns: not a table of your own");
    if (own_table && argc - first != 1)
        return cli_usage_error(CMD, "one table of your own at a time (got %d)", argc - first);
    if (foreign.positive && strlen(foreign.positive) > LAPSE_FEATURE_NAME_MAX)
        return cli_usage_error(CMD, "--positive: at most %d bytes", LAPSE_FEATURE_NAME_MAX);
    foreign.format = format ? (lapse_foreign_format)format : LAPSE_FOREIGN_CSV;
    const cli_output outputs[] = { { "-o", output }, { "--report", report_path } };
    const int refused = cli_check_files(CMD, outputs, 2, argv + first,
                                        (size_t)(argc - first), NULL, 0);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(quiet);
    if (model >= MODEL_BGNBD) {
        if (report_path)
            return cli_usage_error(CMD, "--report goes with svm and logistic (lapse model show "
                                        "--json reads a BTYD model)");
        btyd.kind = model == MODEL_BGNBD ? LAPSE_BTYD_BGNBD : LAPSE_BTYD_PARETO;
        btyd.unit_days = time_unit > 0 ? (unsigned)time_unit : 1;
        return cli_train_btyd(&btyd, output, argv + first, argc - first, quiet);
    }

    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table *table = NULL;
    lapse_model *trained = NULL;
    lapse_train_report report;
    lapse_train_stack_report stack_report;
    int rc = own_table ? lapse_table_read_foreign(&table, argv[first], &foreign, &err)
                       : lapse_table_read(&table, (const char *const *)argv + first,
                                          (size_t)(argc - first), &err);
    cli_progress progress;
    opt.progress = cli_progress_start(&progress, quiet, "done", "steps", 1);
    opt.progress_user = &progress;
    stack.unit_days = time_unit > 0 ? (unsigned)time_unit : 1;
    if (rc == 0 && with_btyd)
        rc = lapse_train_stacked(&trained, &report, &stack_report, table, &opt, &stack, &err);
    else if (rc == 0)
        rc = lapse_train(&trained, &report, table, &opt, &err);
    cli_progress_end(&progress);
    if (rc == 0)
        rc = lapse_model_save(trained, output, &err);
    if (rc == 0 && report_path)
        rc = cli_train_report_save(report_path, trained, &report, &err);
    int status = EXIT_OK;
    if (rc < 0)
        status = cli_report(&err);
    else if (!quiet)
        print_report(trained, &report, &opt);
    if (rc == 0 && !quiet && with_btyd) {
        char date[32];
        lapse_time_format_date(date, stack_report.fit_asof);
        fprintf(stderr, "BTYD feature: fitted on %zu training rows at %s; %zu rows without a "
                        "prediction got the fill value\n",
                stack_report.customers, date, stack_report.filled_rows);
        cli_print_stack(stderr, trained);
    }
    lapse_model_free(trained);
    lapse_table_free(table);
    return status;
}
