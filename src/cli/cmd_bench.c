/* lapse bench: scorer throughput in memory, per thread count, beside the
 * plain tool's decision on the same rows (lapse/bench.h). */
#include "cli.h"
#include "cli_opt.h"
#include "report.h"

#include "lapse/bench.h"
#include "lapse/jsonout.h"
#include "lapse/model.h"
#include "lapse/table.h"
#include "lapse/version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREAD_COUNTS 16

static const char *const name = "bench";

static const char *model_path;
/* -1: not given (the defaults, 100000 rows and seed 1, are for synthesised
 * rows, and either given with a table is a usage error). */
static long long rows = -1;
static int reps = 5, json, no_reasons, fast;
static long long seed = -1;
static int threads[MAX_THREAD_COUNTS] = { 1 };
static size_t n_threads = 1;

/* -@ 1,2,4: thread counts, each 0 (one per CPU) to 256. */
static int parse_thread_list(const cli_opt *o, const char *command, const char *option,
                             const char *text)
{
    (void)o;
    n_threads = 0;
    for (const char *p = text;;) {
        const size_t len = strcspn(p, ",");
        char one[16];
        if (len == 0 || len >= sizeof one || n_threads == MAX_THREAD_COUNTS)
            return cli_opt_bad_value(command, option, text,
                                     "needs up to %d thread counts, e.g. 1,2,4", MAX_THREAD_COUNTS);
        memcpy(one, p, len);
        one[len] = '\0';
        long long n;
        if (cli_parse_integer(command, option, one, 0, 256, &n))
            return EXIT_USAGE;
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads[n_threads++] = n ? (int)n : cpus < 1 ? 1 : cpus > 256 ? 256 : (int)cpus;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static const cli_opt options[] = {
    CLI_OPT_STRING('m', "model", "FILE", &model_path, "the model to score with; required"),
    CLI_OPT_INT(0, "rows", "N", &rows, 1, 100000000LL,
                "rows synthesised from the model's training statistics\n"
                "when no table is given (default 100000)"),
    CLI_OPT_CALL('@', "threads", "N,N,...", NULL, parse_thread_list,
                 "thread counts to measure, e.g. 1,2,4 (default 1; 0 = one per CPU)"),
    CLI_OPT_INT(0, "reps", "R", &reps, 1, 1000, "repetitions per thread count (default 5)"),
    CLI_OPT_INT(0, "seed", "S", &seed, 0, INT64_MAX, "seed of the synthesised rows (default 1)"),
    CLI_OPT_FLAG(0, "no-reasons", &no_reasons, 1,
                 "score without reasons (for trees the reference is then\n"
                 "XGBoost's margin, else its pred_contribs)"),
    CLI_OPT_FLAG(0, "fast", &fast, 1, "score as lapse score --fast does"),
    CLI_OPT_FLAG(0, "json", &json, 1, "the figures as JSON on stdout"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse bench -m MODEL [options] [FEATURES]\n\n"
            "Measures the scorer in memory: every output of lapse score (calibration, tier,\n"
            "segment, value, reasons, action) for each row, rows per second per thread count\n"
            "(median, min and max of the repetitions), and in the same run the plain tool's\n"
            "bare decision on one thread (a dot product for logistic, libsvm's\n"
            "svm_predict_values for an SVM, XGBoost's predictor for trees, or with reasons\n"
            "its TreeSHAP pred_contribs), with the largest difference between the two\n"
            "decisions. Rows come from FEATURES (a lapse feature table) or are synthesised.\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 23);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median, min and max of n rates (sorted in place). */
static void spread(double out[3], double *rate, int n)
{
    qsort(rate, (size_t)n, sizeof *rate, compare_double);
    out[0] = n % 2 ? rate[n / 2] : 0.5 * (rate[n / 2 - 1] + rate[n / 2]);
    out[1] = rate[0];
    out[2] = rate[n - 1];
}

static double max_difference(const double *a, const double *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs(a[i] - b[i]);
        if (!(d <= worst)) /* a NaN on either side shows as NaN */
            worst = d;
    }
    return worst;
}

typedef struct {
    const lapse_model *model;
    size_t n;
    const char *source; /* the table, or NULL when synthesised */
    double scorer[MAX_THREAD_COUNTS][3];
    double reference[3];
    const char *reference_name;
    double difference;
    int has_trees;   /* boosted trees: the bare evaluator was measured too */
    double trees[3]; /* its rows/s, one thread */
    double trees_ratio[3]; /* its rows/s over the reference's, repetition by repetition */
    double trees_difference;
} results;

static const char *kind_of(const lapse_model *m)
{
    switch (m->classifier.kind) {
    case LAPSE_CLASSIFIER_SVM: return "svm";
    case LAPSE_CLASSIFIER_GBDT: return "gbdt";
    default: return "logistic";
    }
}

static void print_text(const results *r)
{
    printf("lapse bench: %s model, %zu features; %zu rows %s%s, %d repetitions%s%s\n",
           kind_of(r->model), r->model->n_features, r->n, r->source ? "from " : "synthesised",
           r->source ? r->source : "", reps, no_reasons ? "; no reasons" : "",
           fast ? "; --fast" : "");
    printf("%-8s %14s %14s %14s %9s\n", "threads", "rows/s median", "min", "max", "speed-up");
    for (size_t t = 0; t < n_threads; t++)
        printf("%-8d %14.0f %14.0f %14.0f %8.2fx\n", threads[t], r->scorer[t][0], r->scorer[t][1],
               r->scorer[t][2], r->scorer[t][0] / r->scorer[0][0]);
    printf("reference, 1 thread: %s: %.0f rows/s median (min %.0f, max %.0f)\n",
           r->reference_name, r->reference[0], r->reference[1], r->reference[2]);
    printf("lapse at %d thread%s against the reference: %.3gx (lapse computes every output; the "
           "reference the decision)\n",
           threads[0], threads[0] == 1 ? "" : "s", r->scorer[0][0] / r->reference[0]);
    if (r->has_trees)
        printf("lapse's tree evaluator alone, 1 thread (%s), taking turns with the reference: "
               "%.0f rows/s median (min %.0f, max %.0f): %.3gx the reference (median of the "
               "repetitions' ratios; from %.3gx to %.3gx); largest |evaluator - reference| %.3g\n",
               no_reasons ? "margins" : "TreeSHAP contributions", r->trees[0], r->trees[1],
               r->trees[2], r->trees_ratio[0], r->trees_ratio[1], r->trees_ratio[2],
               r->trees_difference);
    printf("decisions: largest |lapse - reference| %.3g over %zu rows\n", r->difference, r->n);
}

static void json_spread(lapse_json *j, const double s[3])
{
    lapse_json_key(j, "rows_per_second");
    lapse_json_object_open(j);
    lapse_json_member_double(j, "median", s[0]);
    lapse_json_member_double(j, "min", s[1]);
    lapse_json_member_double(j, "max", s[2]);
    lapse_json_object_close(j);
}

static int print_json(const results *r, lapse_error *err)
{
    lapse_json *j = lapse_json_new();
    if (!j)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    lapse_json_object_open(j);
    lapse_json_member_string(j, "format", "lapse-bench");
    lapse_json_member_int(j, "version", 1);
    lapse_json_member_string(j, "lapse", lapse_version());
    lapse_json_member_string(j, "model", model_path);
    lapse_json_member_string(j, "kind", kind_of(r->model));
    lapse_json_member_uint(j, "features", r->model->n_features);
    lapse_json_member_uint(j, "rows", r->n);
    lapse_json_member_string(j, "rows_from", r->source ? r->source : "synthesised");
    lapse_json_member_int(j, "repetitions", reps);
    lapse_json_member_bool(j, "reasons", !no_reasons);
    lapse_json_member_bool(j, "fast", fast);
    lapse_json_key(j, "scorer");
    lapse_json_array_open(j);
    for (size_t t = 0; t < n_threads; t++) {
        lapse_json_object_open(j);
        lapse_json_member_int(j, "threads", threads[t]);
        json_spread(j, r->scorer[t]);
        lapse_json_object_close(j);
    }
    lapse_json_array_close(j);
    lapse_json_key(j, "reference");
    lapse_json_object_open(j);
    lapse_json_member_string(j, "what", r->reference_name);
    lapse_json_member_int(j, "threads", 1);
    json_spread(j, r->reference);
    lapse_json_object_close(j);
    if (r->has_trees) {
        lapse_json_key(j, "tree_evaluator");
        lapse_json_object_open(j);
        lapse_json_member_int(j, "threads", 1);
        json_spread(j, r->trees);
        lapse_json_key(j, "ratio_to_reference");
        lapse_json_object_open(j);
        lapse_json_member_double(j, "median", r->trees_ratio[0]);
        lapse_json_member_double(j, "min", r->trees_ratio[1]);
        lapse_json_member_double(j, "max", r->trees_ratio[2]);
        lapse_json_object_close(j);
        lapse_json_member_double(j, "max_decision_difference", r->trees_difference);
        lapse_json_object_close(j);
    }
    lapse_json_member_double(j, "max_decision_difference", r->difference);
    lapse_json_object_close(j);
    const int status = cli_json_save(j, "-", err);
    lapse_json_free(j);
    return status;
}

/* The rows: the table's, checked against the model, or synthesised. */
static int load_rows(double **x, size_t *n, lapse_table **table, const lapse_model *model,
                     const char *path, lapse_error *err)
{
    if (!path) {
        *n = rows < 0 ? 100000 : (size_t)rows;
        return lapse_bench_rows(x, model, *n, seed < 0 ? 1 : (uint64_t)seed, err);
    }
    if (model->stack) /* the table lacks the model's BTYD column */
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                               "a model stacked on BTYD (train --with-btyd) is measured on "
                               "synthesised rows: leave the table out");
    int status = lapse_table_read(table, &path, 1, err);
    if (status == LAPSE_OK)
        status = lapse_model_check_meta(model, &(*table)->meta, err);
    if (status == LAPSE_OK)
        status = lapse_model_check_features(model, (const char *const *)(*table)->feature_names,
                                            (*table)->n_features, err);
    if (status == LAPSE_OK) {
        *x = (*table)->x;
        *n = (*table)->n_rows;
    }
    return status;
}

int cmd_bench(int argc, char **argv)
{
    int first;
    int status = cli_opt_parse(&first, name, options, usage, argc, argv);
    if (status != CLI_OPT_GO_ON)
        return status;
    if (!model_path)
        return cli_usage_error(name, "no model: give -m MODEL");
    if (argc - first > 1)
        return cli_usage_error(name, "one feature table at a time");
    const char *table_path = first < argc ? argv[first] : NULL;
    if (table_path && (rows >= 0 || seed >= 0))
        return cli_usage_error(name, "--rows and --seed go with synthesised rows (no FEATURES)");
    status = cli_check_files(name, NULL, 0, table_path ? argv + first : NULL, table_path ? 1 : 0,
                             (const char *const[]){ model_path }, 1);
    if (status != EXIT_OK)
        return status;

    cli_log_to_stderr(json);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *model = NULL;
    lapse_table *table = NULL;
    double *x = NULL, *mine = NULL, *theirs = NULL;
    double rate[1000];
    results r = { .source = table_path };
    const lapse_bench_options bo = { no_reasons ? 0 : 3, fast };
    int rc = lapse_model_load(&model, model_path, &err);
    if (rc == LAPSE_OK && model->encoding && table_path)
        rc = lapse_error_set(&err, LAPSE_ERR_ARG, table_path, 0, 0, -1,
                             "the model was trained on a table of your own: bench it on "
                             "synthesised rows (no FEATURES)");
    if (rc == LAPSE_OK)
        rc = load_rows(&x, &r.n, &table, model, table_path, &err);
    if (rc == LAPSE_OK) {
        r.model = model;
        mine = malloc((r.n ? r.n : 1) * sizeof *mine);
        theirs = malloc((r.n ? r.n : 1) * sizeof *theirs);
        if (!mine || !theirs)
            rc = lapse_error_set(&err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t t = 0; rc == LAPSE_OK && t < n_threads; t++) {
        rc = lapse_bench_scorer(rate, reps, model, x, r.n, threads[t], &bo, mine, &err);
        if (rc == LAPSE_OK)
            spread(r.scorer[t], rate, reps);
    }
    r.has_trees = rc == LAPSE_OK && model->classifier.kind == LAPSE_CLASSIFIER_GBDT;
    if (rc == LAPSE_OK && !r.has_trees) {
        rc = lapse_bench_reference(rate, reps, model, x, r.n, &bo, theirs, &r.reference_name,
                                   &err);
        if (rc == LAPSE_OK) {
            spread(r.reference, rate, reps);
            r.difference = max_difference(mine, theirs, r.n);
        }
    }
    /* Trees: the reference and lapse's bare evaluator take turns, one
     * repetition each, so that a busy machine slows both alike; the ratio of
     * each pair is kept. */
    double trees_rate[1000], ratio[1000];
    for (int k = 0; r.has_trees && rc == LAPSE_OK && k < reps; k++) {
        rc = lapse_bench_reference(&rate[k], 1, model, x, r.n, &bo, theirs, &r.reference_name,
                                   &err);
        if (rc == LAPSE_OK && k == 0)
            r.difference = max_difference(mine, theirs, r.n);
        if (rc == LAPSE_OK)
            rc = lapse_bench_trees(&trees_rate[k], 1, model, x, r.n, &bo, mine, &err);
        ratio[k] = trees_rate[k] / rate[k];
    }
    if (r.has_trees && rc == LAPSE_OK) {
        r.trees_difference = max_difference(mine, theirs, r.n);
        spread(r.reference, rate, reps);
        spread(r.trees, trees_rate, reps);
        spread(r.trees_ratio, ratio, reps);
    }
    if (rc == LAPSE_OK) {
        if (json)
            rc = print_json(&r, &err);
        else
            print_text(&r);
        if (rc == LAPSE_OK && fflush(stdout) != 0)
            rc = lapse_error_set(&err, LAPSE_ERR_IO, "stdout", 0, 0, -1, "cannot write");
    }
    rc = rc == LAPSE_OK ? EXIT_OK : cli_report(&err);
    if (!table)
        free(x);
    free(mine);
    free(theirs);
    lapse_table_free(table);
    lapse_model_free(model);
    return rc;
}
