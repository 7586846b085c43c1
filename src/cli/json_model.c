/* A model and a train report for programs: the "lapse-model" and
 * "lapse-train-report" JSON documents (report.h). Both write a model's
 * members through cli_model_json_members, so model show --json and train
 * --report say the same things the same way. */
#include "report.h"

#include "lapse/churn.h"
#include "lapse/model_btyd.h"
#include "lapse/timeparse.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#define MODEL_FORMAT "lapse-model"
#define TRAIN_FORMAT "lapse-train-report"
#define JSON_VERSION 1

static void member_date(lapse_json *json, const char *key, int64_t seconds)
{
    char date[32];
    lapse_time_format_date(date, seconds);
    lapse_json_member_string(json, key, date);
}

static void doubles(lapse_json *json, const char *key, const double *v, size_t n)
{
    lapse_json_key(json, key);
    lapse_json_array_open(json);
    for (size_t i = 0; i < n; i++)
        lapse_json_double(json, v[i]);
    lapse_json_array_close(json);
}

static void strings(lapse_json *json, const char *key, char *const *v, size_t n)
{
    lapse_json_key(json, key);
    lapse_json_array_open(json);
    for (size_t i = 0; i < n; i++)
        lapse_json_string(json, v[i]);
    lapse_json_array_close(json);
}

static void btyd_params(lapse_json *json, const char *const *names, const double *params,
                        const double *se, int n)
{
    lapse_json_key(json, "params");
    lapse_json_object_open(json);
    for (int i = 0; i < n; i++)
        lapse_json_member_double(json, names[i], params[i]);
    lapse_json_object_close(json);
    lapse_json_key(json, "se");
    lapse_json_object_open(json);
    for (int i = 0; i < n; i++)
        lapse_json_member_double(json, names[i], se[i]);
    lapse_json_object_close(json);
}

static void btyd_members(lapse_json *json, const lapse_model_btyd *b)
{
    static const char *const bgnbd[] = { "r", "alpha", "a", "b" };
    static const char *const pareto[] = { "r", "alpha", "s", "beta" };
    static const char *const gg[] = { "p", "q", "v" };
    const int is_bgnbd = b->fit.kind == LAPSE_BTYD_BGNBD;
    lapse_json_key(json, "btyd");
    lapse_json_object_open(json);
    lapse_json_member_string(json, "kind", is_bgnbd ? "bgnbd" : "pareto-nbd");
    lapse_json_member_uint(json, "unit_days", b->unit_days);
    lapse_json_member_uint(json, "horizon_days", b->horizon_days);
    lapse_json_member_uint(json, "customers", b->customers);
    lapse_json_member_double(json, "log_likelihood", b->fit.log_likelihood);
    lapse_json_member_int(json, "iterations", b->fit.iterations);
    lapse_json_member_bool(json, "converged", b->fit.converged);
    btyd_params(json, is_bgnbd ? bgnbd : pareto, b->fit.params, b->fit.se, 4);
    lapse_json_key(json, "gamma_gamma");
    if (!b->has_gamma_gamma) {
        lapse_json_null(json);
    } else {
        const lapse_gammagamma_fit_result *g = &b->gamma_gamma;
        lapse_json_object_open(json);
        lapse_json_member_uint(json, "repeat_buyers", g->n_used);
        lapse_json_member_double(json, "log_likelihood", g->log_likelihood);
        lapse_json_member_bool(json, "converged", g->converged);
        lapse_json_member_double(json, "corr_frequency_spend", g->corr_x_m);
        btyd_params(json, gg, g->params, g->se, 3);
        lapse_json_object_close(json);
    }
    lapse_json_object_close(json);
}

/* A classifier stacked on a BTYD model (lapse train --with-btyd). */
static void stack_members(lapse_json *json, const lapse_model_stack *st)
{
    static const char *const bgnbd[] = { "r", "alpha", "a", "b" };
    static const char *const pareto[] = { "r", "alpha", "s", "beta" };
    const lapse_model_btyd *b = &st->btyd;
    const int is_bgnbd = b->fit.kind == LAPSE_BTYD_BGNBD;
    lapse_json_key(json, "stacked_btyd");
    lapse_json_object_open(json);
    lapse_json_member_string(json, "feature", LAPSE_BTYD_FEATURE);
    lapse_json_member_string(json, "kind", is_bgnbd ? "bgnbd" : "pareto-nbd");
    lapse_json_member_uint(json, "unit_days", b->unit_days);
    lapse_json_member_uint(json, "horizon_days", b->horizon_days);
    lapse_json_member_uint(json, "customers", b->customers);
    lapse_json_member_double(json, "log_likelihood", b->fit.log_likelihood);
    lapse_json_member_bool(json, "converged", b->fit.converged);
    btyd_params(json, is_bgnbd ? bgnbd : pareto, b->fit.params, b->fit.se, 4);
    lapse_json_member_double(json, "fill", st->fill);
    lapse_json_member_double(json, "validation_auc_without", st->auc_without);
    lapse_json_member_double(json, "validation_auc_se_without", st->auc_se_without);
    lapse_json_object_close(json);
}

static const char *const column_kinds[] = { "", "number", "levels", "dropped" };

static void encoding_members(lapse_json *json, const lapse_foreign_encoding *e)
{
    lapse_json_key(json, "table");
    if (!e) {
        lapse_json_null(json);
        return;
    }
    lapse_json_object_open(json);
    lapse_json_member_string(json, "format", e->format == LAPSE_FOREIGN_LIBSVM ? "libsvm" : "csv");
    lapse_json_member_string(json, "label_column", e->label_column);
    lapse_json_member_string(json, "positive", e->positive);
    lapse_json_member_string(json, "id_column", e->id_column);
    lapse_json_key(json, "columns");
    lapse_json_array_open(json);
    for (size_t i = 0; i < e->n_columns; i++) {
        const lapse_foreign_column *c = &e->columns[i];
        lapse_json_object_open(json);
        lapse_json_member_string(json, "name", c->name);
        lapse_json_member_string(json, "kind", column_kinds[c->kind]);
        lapse_json_member_bool(json, "has_missing", c->has_missing);
        lapse_json_key(json, "impute");
        c->kind == LAPSE_COLUMN_NUMBER && c->has_missing ? lapse_json_double(json, c->impute)
                                                         : lapse_json_null(json);
        strings(json, "levels", c->levels, c->n_levels);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
    lapse_json_object_close(json);
}

static void churn_members(lapse_json *json, const lapse_model *m)
{
    lapse_json_key(json, "churn");
    if (m->encoding) { /* a table of one's own has no churn definition */
        lapse_json_null(json);
    } else {
        char keys[128];
        lapse_churn_format_keys(keys, sizeof keys, m->meta.churn.key_mask);
        lapse_json_object_open(json);
        lapse_json_member_string(json, "key", keys);
        lapse_json_member_int(json, "silent_days", m->meta.churn.silent_days);
        lapse_json_member_int(json, "horizon_days", m->meta.churn.horizon_days);
        lapse_json_member_string(json, "churn", m->meta.churn.cancel_is_churn ? "cancel" : "silence");
        lapse_json_object_close(json);
    }
    lapse_json_key(json, "labels_sha256");
    m->meta.labels_sha256[0] ? lapse_json_string(json, m->meta.labels_sha256)
                             : lapse_json_null(json);
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, (uint64_t)m->meta.schema_hash);
    lapse_json_member_string(json, "schema_hash", hash);
    lapse_json_member_int(json, "feature_table_version", m->meta.version);
}

static void scaler_members(lapse_json *json, const lapse_model *m)
{
    lapse_json_key(json, "features");
    lapse_json_array_open(json);
    for (size_t i = 0; i < m->n_features; i++) {
        lapse_json_object_open(json);
        lapse_json_member_string(json, "name", m->feature_names[i]);
        lapse_json_member_string(json, "transform",
                                 m->scaler.transform[i] == LAPSE_TRANSFORM_LOG1P ? "log1p" : "none");
        lapse_json_member_double(json, "mean", m->scaler.mean[i]);
        const int dropped = m->scaler.scale[i] >= LAPSE_MODEL_SCALE_DROPPED;
        lapse_json_key(json, "scale");
        dropped ? lapse_json_null(json) : lapse_json_double(json, m->scaler.scale[i]);
        lapse_json_member_bool(json, "dropped", dropped);
        lapse_json_key(json, "weight"); /* the logistic weight on the scaled feature */
        m->classifier.kind == LAPSE_CLASSIFIER_LOGISTIC
            ? lapse_json_double(json, m->classifier.weights[i])
            : lapse_json_null(json);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
}

static void segments_members(lapse_json *json, const lapse_model *m)
{
    const lapse_model_segments *s = &m->segments;
    lapse_json_key(json, "segments");
    if (s->n_profile == 0) {
        lapse_json_null(json);
        return;
    }
    lapse_json_object_open(json);
    lapse_json_member_uint(json, "k", s->k);
    lapse_json_member_double(json, "silhouette", s->silhouette);
    lapse_json_key(json, "profile");
    lapse_json_array_open(json);
    for (size_t j = 0; j < s->n_profile; j++)
        lapse_json_string(json, m->feature_names[s->profile[j]]);
    lapse_json_array_close(json);
    lapse_json_key(json, "centres");
    lapse_json_array_open(json);
    for (size_t c = 0; c < s->k; c++) {
        lapse_json_object_open(json);
        lapse_json_member_string(json, "name", s->names[c]);
        lapse_json_member_uint(json, "rows", s->sizes[c]);
        doubles(json, "centroid", s->centroids_original + c * s->n_profile, s->n_profile);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
    lapse_json_object_close(json);
}

static void classifier_members(lapse_json *json, const lapse_model *m)
{
    const lapse_model_classifier *c = &m->classifier;
    lapse_json_key(json, "classifier");
    lapse_json_object_open(json);
    if (c->kind == LAPSE_CLASSIFIER_SVM) {
        lapse_json_member_string(json, "kind", "svm");
        lapse_json_member_string(json, "kernel", c->kernel == LAPSE_KERNEL_RBF ? "rbf" : "linear");
        lapse_json_member_double(json, "gamma", c->gamma);
        lapse_json_member_double(json, "rho", c->rho);
        lapse_json_member_uint(json, "support_vectors", c->n_sv);
    } else if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        lapse_json_member_string(json, "kind", "gbdt");
        lapse_json_member_uint(json, "rounds", (uint64_t)c->best_iteration + 1);
        lapse_json_member_uint(json, "best_iteration", c->best_iteration);
        lapse_json_member_uint(json, "max_rounds", c->trees);
        lapse_json_member_uint(json, "depth", c->depth);
        lapse_json_member_double(json, "eta", c->eta);
        lapse_json_member_uint(json, "nodes", c->forest.n_nodes);
        lapse_json_member_uint(json, "xgboost_json_bytes", c->booster_size);
    } else {
        lapse_json_member_string(json, "kind", "logistic");
        lapse_json_member_double(json, "bias", c->bias); /* weights: under "features" */
    }
    if (m->hazard) { /* lapse/hazard.h */
        const lapse_hazard *hz = m->hazard;
        lapse_json_key(json, "horizons");
        lapse_json_object_open(json);
        lapse_json_key(json, "days");
        lapse_json_array_open(json);
        for (size_t b = 0; b < hz->n_bands; b++)
            lapse_json_int(json, hz->horizons[b]);
        lapse_json_array_close(json);
        doubles(json, "intercepts", hz->offset, hz->n_bands);
        lapse_json_member_string(json, "at_risk",
                                 hz->risk == LAPSE_HAZARD_RISK_SILENCE ? "silence" : "all");
        lapse_json_object_close(json);
    }
    lapse_json_object_close(json);

    const lapse_model_calibration *cal = &m->calibration;
    lapse_json_key(json, "calibration");
    lapse_json_object_open(json);
    if (cal->kind == LAPSE_CALIBRATION_PLATT) {
        lapse_json_member_string(json, "kind", "platt");
        lapse_json_member_double(json, "a", cal->a);
        lapse_json_member_double(json, "b", cal->b);
    } else {
        lapse_json_member_string(json, "kind", "isotonic");
        doubles(json, "decision", cal->x, cal->n);
        doubles(json, "probability", cal->y, cal->n);
    }
    lapse_json_object_close(json);

    const lapse_model_tiers *t = &m->tiers;
    lapse_json_key(json, "tiers");
    lapse_json_object_open(json);
    lapse_json_member_string(json, "kind",
                             t->kind == LAPSE_TIERS_PERCENTILE ? "percentile" : "probability");
    strings(json, "names", t->names, t->n_tiers);
    doubles(json, "thresholds", t->thresholds, t->n_tiers - 1);
    if (t->kind == LAPSE_TIERS_PERCENTILE)
        doubles(json, "shares", t->cuts, t->n_tiers - 1);
    lapse_json_object_close(json);
}

static const char *const validation_kinds[] = { "", "last-snapshot", "users", "random", "file",
                                                 "rolling" };

static void training_members(lapse_json *json, const lapse_model *m)
{
    const lapse_model_training *t = &m->training;
    lapse_json_key(json, "training");
    lapse_json_object_open(json);
    if (m->encoding) {
        lapse_json_key(json, "first_asof");
        lapse_json_null(json);
        lapse_json_key(json, "last_asof");
        lapse_json_null(json);
    } else {
        member_date(json, "first_asof", t->first_asof);
        member_date(json, "last_asof", t->last_asof);
    }
    lapse_json_member_uint(json, "train_rows", t->train_rows);
    lapse_json_member_uint(json, "valid_rows", t->valid_rows);
    lapse_json_member_string(json, "validation", validation_kinds[t->validation]);
    lapse_json_member_double(json, "holdout", t->holdout);
    lapse_json_member_bool(json, "refit", t->refit);
    lapse_json_member_string(json, "options", t->options);
    lapse_json_member_uint(json, "seed", t->seed);
    lapse_json_member_string(json, "lapse_version", t->lapse_version);
    lapse_json_key(json, "validation_figures");
    lapse_json_object_open(json);
    lapse_json_member_double(json, "auc", t->auc);
    lapse_json_member_double(json, "auc_se", t->auc_se);
    lapse_json_member_double(json, "pr_auc", t->pr_auc);
    lapse_json_member_double(json, "log_loss", t->log_loss);
    lapse_json_member_double(json, "brier", t->brier);
    lapse_json_member_double(json, "ece", t->ece);
    lapse_json_object_close(json);
    lapse_json_object_close(json);
}

void cli_model_json_members(lapse_json *json, const lapse_model *m)
{
    if (m->btyd) {
        btyd_members(json, m->btyd);
        return;
    }
    churn_members(json, m);
    encoding_members(json, m->encoding);
    scaler_members(json, m);
    segments_members(json, m);
    classifier_members(json, m);
    if (m->stack)
        stack_members(json, m->stack);
    training_members(json, m);
}

void cli_model_json(lapse_json *json, const lapse_model *m, const char *path)
{
    lapse_json_object_open(json);
    lapse_json_member_string(json, "format", MODEL_FORMAT);
    lapse_json_member_int(json, "version", JSON_VERSION);
    lapse_json_member_string(json, "path", path);
    lapse_json_member_string(json, "kind", m->btyd ? "btyd" : "classifier");
    cli_model_json_members(json, m);
    lapse_json_object_close(json);
}

/* --validate rolling:K: the folds and the summary (lapse/train.h). */
static void rolling_json(lapse_json *json, const lapse_train_report *r)
{
    lapse_json_key(json, "rolling");
    lapse_json_object_open(json);
    lapse_json_member_string(json, "se_definition",
                             "next-period: sqrt(max(sd^2, sampling_se^2) * (1 + 1/K)), sd the "
                             "fold AUCs' sample standard deviation, sampling_se the root mean "
                             "square of their DeLong SEs");
    lapse_json_member_double(json, "auc", r->rolling_auc);
    lapse_json_member_double(json, "se", r->rolling_se);
    lapse_json_member_double(json, "sd", r->rolling_sd);
    lapse_json_member_double(json, "sampling_se", r->rolling_sampling_se);
    lapse_json_key(json, "folds");
    lapse_json_array_open(json);
    for (size_t i = 0; i < r->rolling_folds; i++) {
        const lapse_train_fold *f = &r->folds[i];
        lapse_json_object_open(json);
        member_date(json, "valid_asof", f->asof);
        lapse_json_member_uint(json, "train_rows", f->train_rows);
        lapse_json_member_uint(json, "valid_rows", f->valid_rows);
        lapse_json_member_uint(json, "valid_churners", f->valid_positives);
        lapse_json_member_double(json, "auc", f->auc);
        lapse_json_member_double(json, "auc_se", f->auc_se);
        lapse_json_object_close(json);
    }
    lapse_json_array_close(json);
    lapse_json_object_close(json);
}

void cli_train_report_json(lapse_json *json, const lapse_model *m, const lapse_train_report *r)
{
    lapse_json_object_open(json);
    lapse_json_member_string(json, "format", TRAIN_FORMAT);
    lapse_json_member_int(json, "version", JSON_VERSION);
    lapse_json_key(json, "model");
    lapse_json_object_open(json);
    lapse_json_member_string(json, "kind", "classifier");
    cli_model_json_members(json, m);
    lapse_json_object_close(json);

    lapse_json_key(json, "fit");
    lapse_json_object_open(json);
    lapse_json_member_uint(json, "train_rows", r->train_rows);
    lapse_json_member_uint(json, "train_churners", r->train_positives);
    lapse_json_member_uint(json, "train_snapshots", r->train_snapshots);
    lapse_json_member_uint(json, "valid_rows", r->valid_rows);
    lapse_json_member_uint(json, "valid_churners", r->valid_positives);
    lapse_json_member_uint(json, "valid_users", r->valid_users);
    lapse_json_member_uint(json, "unlabelled_rows", r->unlabelled_rows);
    lapse_json_member_uint(json, "constant_features", r->constant_features);
    lapse_json_member_uint(json, "classifier_rows", r->classifier_rows);
    lapse_json_member_uint(json, "refit_rows", r->refit_rows);
    lapse_json_member_double(json, "C", r->C);
    lapse_json_member_double(json, "gamma", r->gamma);
    lapse_json_member_double(json, "grid_auc", r->grid_auc);
    lapse_json_member_double(json, "grid_logloss", r->grid_logloss);
    if (m->classifier.kind == LAPSE_CLASSIFIER_GBDT) {
        lapse_json_member_int(json, "gbdt_depth", r->gbdt_depth);
        lapse_json_member_double(json, "gbdt_eta", r->gbdt_eta);
        lapse_json_member_uint(json, "gbdt_rounds", r->gbdt_rounds);
        lapse_json_member_uint(json, "gbdt_best_iteration", r->gbdt_best_iteration);
    }
    lapse_json_member_int(json, "logistic_iterations", r->logistic_iterations);
    lapse_json_member_double(json, "classifier_seconds", r->classifier_seconds);
    lapse_json_member_double(json, "platt_log_loss", r->platt_log_loss);
    lapse_json_member_double(json, "isotonic_log_loss", r->isotonic_log_loss);
    lapse_json_key(json, "k_silhouette"); /* --k auto: each k tried */
    lapse_json_object_open(json);
    for (int k = LAPSE_TRAIN_K_AUTO_MIN; k <= LAPSE_TRAIN_K_AUTO_MAX; k++)
        if (!isnan(r->k_silhouette[k])) {
            char key[8];
            snprintf(key, sizeof key, "%d", k);
            lapse_json_member_double(json, key, r->k_silhouette[k]);
        }
    lapse_json_object_close(json);
    lapse_json_object_close(json);

    lapse_json_key(json, "validation");
    cli_metrics_json(json, &r->valid);
    if (r->rolling_folds)
        rolling_json(json, r);
    lapse_json_object_close(json);
}

int cli_train_report_save(const char *path, const lapse_model *m, const lapse_train_report *r,
                          lapse_error *err)
{
    lapse_json *json = lapse_json_new();
    if (!json)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    cli_train_report_json(json, m, r);
    const int status = cli_json_save(json, path, err);
    lapse_json_free(json);
    return status;
}
