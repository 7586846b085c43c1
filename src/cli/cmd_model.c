/* lapse model show FILE: a model file in readable form; lapse model export
 * --xgboost OUT FILE: a boosted-trees model as XGBoost loads it. */
#include "cli.h"
#include "cli_btyd.h"
#include "cli_opt.h"
#include "report.h"

#include "lapse/gbdt.h"
#include "lapse/model.h"
#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many names a list shows before "... and N more". */
#define SHOW_NAMES 8
#define SHOW_WEIGHTS 10

static int json;
static const char *xgboost_path;

static const cli_opt options[] = {
    CLI_OPT_FLAG(0, "json", &json, 1,
                 "show: print one \"lapse-model\" JSON document in place of the text"),
    CLI_OPT_STRING(0, "xgboost", "OUT", &xgboost_path,
                   "export: write the boosted trees as XGBoost's JSON model to OUT"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out, "usage: lapse model show [--json] FILE\n"
                 "       lapse model export --xgboost OUT FILE\n\n"
                 "show prints a model file ('-' for stdin) in readable form: churn definition,\n"
                 "features, scaler, segments, classifier, calibration, risk tiers, training data\n"
                 "and validation. --json prints the same, and every weight and breakpoint, for\n"
                 "programs (datasets/README.md, \"Figures for programs\").\n"
                 "export writes a boosted-trees model's trees as XGBoost's own JSON model (the\n"
                 "bytes XGBoost trained, kept in the model file and checked to hold the same\n"
                 "trees): xgboost.Booster(model_file=OUT) predicts the margins lapse scores, on\n"
                 "rows the model's scaler has standardized.\n\n"
                 "options:\n");
    cli_opt_print(out, options, 6, 21);
    fprintf(out, "\nexit codes: 0 ok, 1 the file is not a valid model, 2 usage, 3 cannot read it\n");
}

/* A figure, or "-" when it was not measured. */
static const char *figure(char *buf, size_t size, double value)
{
    if (isnan(value))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.4g", value);
    return buf;
}

static void print_names(char *const *names, size_t n)
{
    for (size_t i = 0; i < n && i < SHOW_NAMES; i++)
        printf("%s%s", i ? ", " : "", names[i]);
    if (n > SHOW_NAMES)
        printf(", ... and %zu more", n - SHOW_NAMES);
    printf("\n");
}

static void print_scaler(const lapse_model *m)
{
    size_t n_log = 0;
    for (size_t i = 0; i < m->n_features; i++)
        n_log += m->scaler.transform[i] == LAPSE_TRANSFORM_LOG1P;
    printf("scaler:       every feature standardized; %zu of %zu log1p-transformed first", n_log,
           m->n_features);
    size_t shown = 0;
    for (size_t i = 0; i < m->n_features && shown < SHOW_NAMES; i++)
        if (m->scaler.transform[i] == LAPSE_TRANSFORM_LOG1P)
            printf("%s%s", shown++ ? ", " : " (", m->feature_names[i]);
    printf("%s\n", n_log > SHOW_NAMES ? ", ...)" : shown ? ")" : "");
    size_t dropped = 0;
    for (size_t i = 0; i < m->n_features; i++)
        dropped += m->scaler.scale[i] >= LAPSE_MODEL_SCALE_DROPPED;
    if (dropped) {
        printf("              %zu constant over the training rows, dropped:", dropped);
        shown = 0;
        for (size_t i = 0; i < m->n_features && shown < SHOW_NAMES; i++)
            if (m->scaler.scale[i] >= LAPSE_MODEL_SCALE_DROPPED)
                printf("%s%s", shown++ ? ", " : " ", m->feature_names[i]);
        printf("%s\n", dropped > SHOW_NAMES ? ", ..." : "");
    }
}

static void print_segments(const lapse_model *m)
{
    const lapse_model_segments *s = &m->segments;
    char buf[32];
    if (s->n_profile == 0) {
        printf("segments:     %s\n", CLI_NO_SEGMENTS);
        return;
    }
    printf("segments:     %zu on %zu profile features, silhouette %s\n", s->k, s->n_profile,
           figure(buf, sizeof buf, s->silhouette));
    printf("  %-20s %10s", "segment", "rows");
    for (size_t j = 0; j < s->n_profile; j++)
        printf(" %14s", m->feature_names[s->profile[j]]);
    printf("\n");
    for (size_t c = 0; c < s->k; c++) {
        printf("  %-20s %10llu", s->names[c], (unsigned long long)s->sizes[c]);
        for (size_t j = 0; j < s->n_profile; j++)
            printf(" %14.4g", s->centroids_original[c * s->n_profile + j]);
        printf("\n");
    }
}

static const double *sort_weights;

/* Larger |w| first; ties by feature order, so the listing is stable. */
static int by_magnitude(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const double wi = fabs(sort_weights[i]), wj = fabs(sort_weights[j]);
    if (wi != wj)
        return wi > wj ? -1 : 1;
    return i < j ? -1 : i > j;
}

static int print_classifier(const lapse_model *m)
{
    const lapse_model_classifier *c = &m->classifier;
    if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        printf("classifier:   boosted trees (XGBoost), %lu rounds kept (best iteration %lu of at "
               "most %lu trees), depth %lu, eta %.6g, %zu nodes; XGBoost's JSON: %zu bytes\n",
               (unsigned long)c->best_iteration + 1, (unsigned long)c->best_iteration,
               (unsigned long)c->trees, (unsigned long)c->depth, c->eta, c->forest.n_nodes,
               c->booster_size);
        return 0;
    }
    if (c->kind == LAPSE_CLASSIFIER_SVM) {
        if (c->kernel == LAPSE_KERNEL_RBF)
            printf("classifier:   SVM, RBF kernel (gamma %.6g), %zu support vectors, rho %.6g\n",
                   c->gamma, c->n_sv, c->rho);
        else
            printf("classifier:   SVM, linear kernel, %zu support vectors, rho %.6g\n", c->n_sv,
                   c->rho);
        return 0;
    }
    printf("classifier:   logistic regression, bias %.6g; largest weights (scaled features):\n",
           c->bias);
    size_t *order = malloc(m->n_features * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < m->n_features; i++)
        order[i] = i;
    sort_weights = c->weights;
    qsort(order, m->n_features, sizeof *order, by_magnitude);
    for (size_t r = 0; r < m->n_features && r < SHOW_WEIGHTS; r++)
        printf("  %-28s %+.6g\n", m->feature_names[order[r]], c->weights[order[r]]);
    if (m->n_features > SHOW_WEIGHTS)
        printf("  ... and %zu more\n", m->n_features - SHOW_WEIGHTS);
    free(order);
    return 0;
}

static void print_calibration(const lapse_model *m)
{
    const lapse_model_calibration *cal = &m->calibration;
    if (cal->kind == LAPSE_CALIBRATION_PLATT) {
        printf("calibration:  Platt, p = 1 / (1 + exp(%.6g f %c %.6g))\n", cal->a,
               cal->b < 0 ? '-' : '+', fabs(cal->b));
        return;
    }
    printf("calibration:  isotonic, %zu breakpoints: decision %.6g .. %.6g -> probability "
           "%.4g .. %.4g\n",
           cal->n, cal->x[0], cal->x[cal->n - 1], cal->y[0], cal->y[cal->n - 1]);
}

static void print_tiers(const lapse_model *m)
{
    const lapse_model_tiers *t = &m->tiers;
    printf("risk tiers:   %s", t->names[0]);
    for (size_t i = 1; i < t->n_tiers; i++)
        printf(" < %.4g <= %s", t->thresholds[i - 1], t->names[i]);
    char how[160];
    printf("\n              (%s tiers, %s)\n",
           t->kind == LAPSE_TIERS_PERCENTILE ? "percentile" : "probability",
           cli_describe_tiers(how, sizeof how, m));
}

static void print_training(const lapse_model *m)
{
    const lapse_model_training *t = &m->training;
    char first[16], last[16];
    lapse_time_format_date(first, t->first_asof);
    lapse_time_format_date(last, t->last_asof);
    if (m->encoding) /* a foreign table has no snapshot dates */
        printf("trained on:   %llu training rows, %llu validation rows\n",
               (unsigned long long)t->train_rows, (unsigned long long)t->valid_rows);
    else
        printf("trained on:   snapshots %s to %s; %llu training rows, %llu validation rows\n",
               first, last, (unsigned long long)t->train_rows, (unsigned long long)t->valid_rows);
    char how[160];
    printf("validated on: %s\n", cli_describe_validation(how, sizeof how, m));
    if (t->refit)
        printf("refit:        classifier refitted on all %llu labelled rows after validation\n",
               (unsigned long long)(t->train_rows + t->valid_rows));
    printf("options:      %s\n", t->options[0] ? t->options : "-");
    printf("seed:         %llu\n", (unsigned long long)t->seed);
    printf("trained by:   lapse %s\n", t->lapse_version);
    char f[6][32], se[96] = "";
    if (!isnan(t->auc_se))
        snprintf(se, sizeof se, " (standard error %s, %s)", figure(f[5], sizeof f[5], t->auc_se),
                 t->validation == LAPSE_VALIDATION_ROLLING ? "next-period: mean of the folds"
                                                          : "DeLong");
    printf("validation:   AUC %s%s, PR-AUC %s, log loss %s, Brier %s, ECE %s\n",
           figure(f[0], sizeof f[0], t->auc), se, figure(f[1], sizeof f[1], t->pr_auc),
           figure(f[2], sizeof f[2], t->log_loss), figure(f[3], sizeof f[3], t->brier),
           figure(f[4], sizeof f[4], t->ece));
}

/* A foreign table's columns: what each became, in place of a churn
 * definition, which such a model does not have. */
static void print_encoding(const lapse_foreign_encoding *e)
{
    size_t kinds[4] = { 0 };
    for (size_t i = 0; i < e->n_columns; i++)
        kinds[e->columns[i].kind]++;
    if (e->format == LAPSE_FOREIGN_LIBSVM) {
        printf("table:        a libsvm file of your own: features f1 to f%zu, ids are row "
               "numbers\n              (no churn definition, no profile columns to segment on)\n",
               e->n_columns);
        return;
    }
    printf("table:        a CSV of your own: label column \"%s\"", e->label_column);
    if (e->positive[0])
        printf(" (1 where it is \"%s\")", e->positive);
    printf(", %s%s%s\n              (no churn definition, no profile columns to segment on)\n",
           e->id_column[0] ? "id column \"" : "ids are row numbers", e->id_column,
           e->id_column[0] ? "\"" : "");
    printf("columns:      %zu: %zu numbers, %zu text (one-hot), %zu dropped\n", e->n_columns,
           kinds[LAPSE_COLUMN_NUMBER], kinds[LAPSE_COLUMN_LEVELS], kinds[LAPSE_COLUMN_DROPPED]);
    for (size_t i = 0; i < e->n_columns; i++) {
        const lapse_foreign_column *c = &e->columns[i];
        printf("  %-24s ", c->name);
        if (c->kind == LAPSE_COLUMN_NUMBER)
            printf("number");
        else if (c->kind == LAPSE_COLUMN_LEVELS)
            printf("text, %zu level%s", c->n_levels, c->n_levels == 1 ? "" : "s");
        else
            printf("dropped (empty, or text with too many levels)");
        if (c->has_missing && c->kind == LAPSE_COLUMN_NUMBER)
            printf("; empty cells: median %.10g, flagged in %s_missing", c->impute, c->name);
        else if (c->has_missing)
            printf("; empty cells flagged in %s_missing", c->name);
        printf("\n");
    }
}

static int show(const char *path)
{
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_model_load(&m, path, &err) != LAPSE_OK)
        return cli_report(&err);
    if (json) {
        lapse_json *doc = lapse_json_new();
        int status = doc ? LAPSE_OK
                         : lapse_error_set(&err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        if (doc) {
            cli_model_json(doc, m, path);
            status = cli_json_save(doc, "-", &err);
        }
        lapse_json_free(doc);
        lapse_model_free(m);
        return status == LAPSE_OK ? EXIT_OK : cli_report(&err);
    }
    if (m->btyd) {
        printf("model:        %s\n", path);
        cli_print_btyd(stdout, m);
        lapse_model_free(m);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM;
    }
    char keys[128];
    lapse_churn_format_keys(keys, sizeof keys, m->meta.churn.key_mask);
    printf("model:        %s\n", path);
    if (m->encoding)
        print_encoding(m->encoding);
    else
        printf("churn:        key=%s; silent_days=%d; horizon=%d; churn=%s\n", keys,
               m->meta.churn.silent_days, m->meta.churn.horizon_days,
               m->meta.churn.cancel_is_churn ? "cancel" : "silence");
    if (m->meta.labels_sha256[0])
        printf("labels:       from a file, sha256 %s\n", m->meta.labels_sha256);
    printf("schema:       %016llx (feature table format %d)\n",
           (unsigned long long)m->meta.schema_hash, m->meta.version);
    printf("features:     %zu: ", m->n_features);
    print_names(m->feature_names, m->n_features);
    print_scaler(m);
    print_segments(m);
    int status = print_classifier(m);
    if (status == 0) {
        print_calibration(m);
        if (m->hazard) {
            const lapse_hazard *hz = m->hazard;
            char list[LAPSE_HAZARD_MAX_BANDS * 8];
            lapse_hazard_format(list, sizeof list, hz);
            printf("horizons:     %s days (discrete-time hazard; score writes p_<days> and "
                   "churn_by); ",
                   list);
            if (m->classifier.kind == LAPSE_CLASSIFIER_GBDT)
                printf("the band number (0 to %zu) a feature of the trees", hz->n_bands - 1);
            else
                printf("band intercepts");
            for (size_t b = 0; m->classifier.kind != LAPSE_CLASSIFIER_GBDT && b < hz->n_bands; b++)
                printf(" %.6g", hz->offset[b]);
            printf("; %s\n", hz->risk == LAPSE_HAZARD_RISK_SILENCE
                                 ? "at risk only in the band where the silence reaches "
                                   "silent_days"
                                 : "every band at risk");
        }
        if (m->stack)
            cli_print_stack(stdout, m);
        print_tiers(m);
        print_training(m);
    }
    lapse_model_free(m);
    if (status) {
        lapse_error_set(&err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        return cli_report(&err);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM;
}

/* XGBoost's bytes of a boosted-trees model, once they are checked to hold
 * the model's own trees. */
static int export_xgboost(const char *path)
{
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_model_load(&m, path, &err) != LAPSE_OK)
        return cli_report(&err);
    const lapse_model_classifier *c = &m->classifier;
    int status = LAPSE_OK;
    if (m->btyd || c->kind != LAPSE_CLASSIFIER_GBDT || !c->booster)
        status = lapse_error_set(&err, LAPSE_ERR_ARG, path, 0, 0, -1,
                                 "--xgboost exports boosted trees trained by lapse; this model "
                                 "has none, or not XGBoost's bytes of them");
    if (status == LAPSE_OK &&
        (status = lapse_gbdt_matches(c->booster, c->booster_size, lapse_model_tree_features(m),
                                     &c->forest, &err)) != LAPSE_OK) {
        char why[LAPSE_ERROR_MESSAGE_MAX];
        snprintf(why, sizeof why, "%s", err.message);
        lapse_error_set(&err, status, path, 0, 0, -1, "section CLSF: %s", why);
    }
    const char *inputs[] = { path };
    if (status == LAPSE_OK)
        status = lapse_outfile_refuse_inputs(xgboost_path, inputs, 1, &err);
    lapse_outfile *out = NULL;
    if (status == LAPSE_OK && (status = lapse_outfile_open(&out, xgboost_path, &err)) == LAPSE_OK) {
        if (fwrite(c->booster, 1, c->booster_size, lapse_outfile_stream(out)) != c->booster_size)
            status = lapse_error_set(&err, LAPSE_ERR_IO, xgboost_path, 0, 0, -1, "cannot write");
        if (status == LAPSE_OK)
            status = lapse_outfile_commit(out, &err);
        else
            lapse_outfile_abort(out);
    }
    lapse_model_free(m);
    return status == LAPSE_OK ? EXIT_OK : cli_report(&err);
}

int cmd_model(int argc, char **argv)
{
    /* Options may stand before or after the action: "model --help",
     * "model show --help". */
    int first;
    const int parsed = cli_opt_parse(&first, "model", options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first >= argc)
        return cli_usage_error("model", "missing action: lapse model show FILE");
    const int exporting = strcmp(argv[first], "export") == 0;
    if (!exporting && strcmp(argv[first], "show") != 0)
        return cli_usage_error("model", "unknown action \"%s\"; the actions are show and export",
                               argv[first]);
    if (argc - first != 2)
        return cli_usage_error(exporting ? "model export" : "model show",
                               "needs exactly one model file");
    if (exporting && (!xgboost_path || json))
        return cli_usage_error("model export", "needs --xgboost OUT (and no --json)");
    if (!exporting && xgboost_path)
        return cli_usage_error("model show", "--xgboost goes with export");
    return exporting ? export_xgboost(argv[first + 1]) : show(argv[first + 1]);
}
