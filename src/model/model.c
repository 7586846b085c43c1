/* The model struct: allocation, validation, and comparison with a feature
 * table. The file format lives in model_io.c. */
#include "lapse/model.h"
#include "lapse/gbdt.h"
#include "lapse/model_btyd.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...) lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, __VA_ARGS__)

static void free_strings(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

void lapse_model_free(lapse_model *model)
{
    if (!model)
        return;
    free(model->btyd);
    free_strings(model->feature_names, model->n_features);
    lapse_scaler_clear(&model->scaler);
    lapse_model_segments *s = &model->segments;
    free(s->profile);
    free(s->transform);
    free(s->mean);
    free(s->scale);
    free(s->centroids);
    free(s->centroids_original);
    free(s->sizes);
    free_strings(s->names, s->k);
    free(model->classifier.weights);
    free(model->classifier.sv);
    free(model->classifier.coef);
    free(model->classifier.booster);
    lapse_trees_free(&model->classifier.forest);
    free(model->calibration.x);
    free(model->calibration.y);
    free(model->tiers.thresholds);
    free(model->tiers.cuts);
    free_strings(model->tiers.names, model->tiers.n_tiers);
    lapse_foreign_free(model->encoding);
    free(model->hazard);
    free(model->stack);
    free(model->training.options);
    free(model->training.lapse_version);
    free(model);
}

/* calloc of count elements of size bytes; count may be 0 (then a 1-byte
 * block: calloc(0) may return NULL, which would read as a failure). */
static void *alloc_array(size_t count, size_t size, int *failed)
{
    void *p = calloc(count ? count : 1, size);
    if (!p)
        *failed = 1;
    return p;
}

int lapse_model_create(lapse_model **out, const lapse_model_shape *shape, lapse_error *err)
{
    *out = NULL;
    if (shape->n_features == 0 || shape->k == 0 || shape->n_tiers == 0)
        return INVALID("a model needs at least one feature, segment and tier");
    if (shape->n_profile == 0 && shape->k != 1)
        return INVALID("a model without profile features has one segment, not %zu", shape->k);
    if (shape->classifier != LAPSE_CLASSIFIER_LOGISTIC && shape->classifier != LAPSE_CLASSIFIER_SVM &&
        shape->classifier != LAPSE_CLASSIFIER_GBDT)
        return INVALID("unknown classifier kind %d", (int)shape->classifier);
    if (shape->classifier == LAPSE_CLASSIFIER_SVM && shape->n_sv == 0)
        return INVALID("an SVM needs at least one support vector");
    if (shape->calibration != LAPSE_CALIBRATION_PLATT &&
        shape->calibration != LAPSE_CALIBRATION_ISOTONIC)
        return INVALID("unknown calibration kind %d", (int)shape->calibration);
    if (shape->calibration == LAPSE_CALIBRATION_ISOTONIC && shape->n_breakpoints == 0)
        return INVALID("isotonic calibration needs at least one breakpoint");
    const size_t nf = shape->n_features, k = shape->k, np = shape->n_profile;
    if ((np && k > SIZE_MAX / np) || (shape->classifier == LAPSE_CLASSIFIER_SVM && shape->n_sv > SIZE_MAX / nf))
        return INVALID("model too large");

    lapse_model *m = calloc(1, sizeof *m);
    if (!m)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    int failed = 0;
    m->meta.version = LAPSE_TABLE_FORMAT_VERSION;
    m->meta.churn = (lapse_churn_def)LAPSE_CHURN_DEF_INIT;
    m->n_features = nf;
    m->feature_names = alloc_array(nf, sizeof(char *), &failed);
    failed |= lapse_scaler_alloc(&m->scaler, nf) < 0;

    lapse_model_segments *s = &m->segments;
    s->k = k;
    s->n_profile = np;
    s->profile = alloc_array(np, sizeof(uint32_t), &failed);
    s->transform = alloc_array(np, 1, &failed);
    s->mean = alloc_array(np, sizeof(double), &failed);
    s->scale = alloc_array(np, sizeof(double), &failed);
    s->centroids = alloc_array(k * np, sizeof(double), &failed);
    s->centroids_original = alloc_array(k * np, sizeof(double), &failed);
    s->sizes = alloc_array(k, sizeof(uint64_t), &failed);
    s->names = alloc_array(k, sizeof(char *), &failed);
    s->silhouette = NAN;

    lapse_model_classifier *c = &m->classifier;
    c->kind = shape->classifier;
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        c->weights = alloc_array(nf, sizeof(double), &failed);
    } else if (c->kind == LAPSE_CLASSIFIER_SVM) { /* GBDT: the trainer sets the trees */
        c->kernel = LAPSE_KERNEL_RBF;
        c->n_sv = shape->n_sv;
        c->sv = alloc_array(shape->n_sv * nf, sizeof(double), &failed);
        c->coef = alloc_array(shape->n_sv, sizeof(double), &failed);
    }

    lapse_model_calibration *cal = &m->calibration;
    cal->kind = shape->calibration;
    if (cal->kind == LAPSE_CALIBRATION_ISOTONIC) {
        cal->n = shape->n_breakpoints;
        cal->x = alloc_array(cal->n, sizeof(double), &failed);
        cal->y = alloc_array(cal->n, sizeof(double), &failed);
    }

    m->tiers.n_tiers = shape->n_tiers;
    m->tiers.thresholds = alloc_array(shape->n_tiers - 1, sizeof(double), &failed);
    m->tiers.names = alloc_array(shape->n_tiers, sizeof(char *), &failed);
    m->tiers.kind = LAPSE_TIERS_PROBABILITY;
    m->tiers.cuts = alloc_array(shape->n_tiers - 1, sizeof(double), &failed);

    lapse_model_training *t = &m->training;
    t->auc = t->pr_auc = t->log_loss = t->brier = t->ece = t->auc_se = NAN;
    t->validation = LAPSE_VALIDATION_LAST_SNAPSHOT;
    t->holdout = NAN;

    if (failed) {
        lapse_model_free(m);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    *out = m;
    return LAPSE_OK;
}

/* A name is non-empty, at most LAPSE_MODEL_NAME_MAX bytes, and has no
 * control characters (nor ',' for features, which are joined by ',' for
 * the schema hash and sit in a CSV header). */
static int check_name(const char *name, const char *what, size_t index, int feature,
                      lapse_error *err)
{
    if (!name || !name[0])
        return INVALID("%s %zu has no name", what, index + 1);
    const size_t len = strlen(name);
    if (len > LAPSE_MODEL_NAME_MAX)
        return INVALID("%s %zu has a name longer than %d bytes", what, index + 1,
                       LAPSE_MODEL_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        const unsigned char ch = (unsigned char)name[i];
        if (ch < 0x20 || ch == 0x7f || (feature && ch == ','))
            return INVALID("%s %zu has a control character%s in its name", what, index + 1,
                           feature ? " or ','" : "");
    }
    return LAPSE_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Non-empty valid names, all distinct: sorted copies, so a file with many
 * names stays O(n log n). */
static int check_names(char *const *names, size_t n, const char *what, int feature,
                       lapse_error *err)
{
    if (!names)
        return INVALID("%s names are missing", what);
    for (size_t i = 0; i < n; i++) {
        const int status = check_name(names[i], what, i, feature, err);
        if (status)
            return status;
    }
    if (n < 2)
        return LAPSE_OK;
    const char **sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    memcpy(sorted, names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_strings);
    int status = LAPSE_OK;
    for (size_t i = 1; i < n && !status; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            status = INVALID("%s name \"%s\" appears twice", what, sorted[i]);
    free(sorted);
    return status;
}

static int check_text(const char *text, const char *what, int may_be_empty, lapse_error *err)
{
    if (!text || (!may_be_empty && !text[0]))
        return INVALID("%s is missing", what);
    const size_t len = strlen(text);
    if (len > LAPSE_MODEL_TEXT_MAX)
        return INVALID("%s is longer than %d bytes", what, LAPSE_MODEL_TEXT_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return INVALID("%s has a control character", what);
    return LAPSE_OK;
}

/* Every value finite; with positive, every value also > 0. */
static int check_numbers(const double *values, size_t n, const char *what, int positive,
                         lapse_error *err)
{
    if (!values && n)
        return INVALID("%s values are missing", what);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i]))
            return INVALID("%s %zu is not a finite number", what, i + 1);
        if (positive && !(values[i] > 0))
            return INVALID("%s %zu is %g; it must be positive", what, i + 1, values[i]);
    }
    return LAPSE_OK;
}

static int check_transforms(const unsigned char *transforms, size_t n, const char *what,
                            lapse_error *err)
{
    if (!transforms)
        return INVALID("%s transforms are missing", what);
    for (size_t i = 0; i < n; i++)
        if (transforms[i] != LAPSE_TRANSFORM_NONE && transforms[i] != LAPSE_TRANSFORM_LOG1P)
            return INVALID("%s %zu has unknown transform %u", what, i + 1, transforms[i]);
    return LAPSE_OK;
}

static int check_scalar(double value, const char *what, lapse_error *err)
{
    return isfinite(value) ? LAPSE_OK : INVALID("%s is not a finite number", what);
}

/* NaN (not measured) or a number in [low, high]. */
static int check_figure(double value, const char *what, double low, double high, lapse_error *err)
{
    if (isnan(value) || (value >= low && value <= high))
        return LAPSE_OK;
    return INVALID("%s is %g; it must be from %g to %g, or not measured", what, value, low, high);
}

#define CHECK(call)                                                                            \
    do {                                                                                       \
        const int check_status_ = (call);                                                      \
        if (check_status_)                                                                     \
            return check_status_;                                                              \
    } while (0)

static int validate_segments(const lapse_model *m, lapse_error *err)
{
    const lapse_model_segments *s = &m->segments;
    if (s->k == 0)
        return INVALID("the model has no segments");
    if (s->n_profile == 0 && (s->k != 1 || !s->names || !s->names[0] ||
                              strcmp(s->names[0], LAPSE_MODEL_NO_SEGMENT) != 0))
        return INVALID("a model without profile features has one segment, \"%s\"",
                       LAPSE_MODEL_NO_SEGMENT);
    if (s->n_profile && s->k > SIZE_MAX / s->n_profile)
        return INVALID("too many segments");
    if (!s->profile && s->n_profile)
        return INVALID("segment profile features are missing");
    unsigned char *used = calloc(m->n_features, 1);
    if (!used)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    int status = LAPSE_OK;
    for (size_t j = 0; j < s->n_profile && !status; j++) {
        if (s->profile[j] >= m->n_features)
            status = INVALID("segment profile feature %zu is feature %llu; the model has %zu",
                             j + 1, (unsigned long long)s->profile[j] + 1, m->n_features);
        else if (used[s->profile[j]]++)
            status = INVALID("segment profile feature \"%s\" appears twice",
                             m->feature_names[s->profile[j]]);
    }
    free(used);
    if (status)
        return status;
    CHECK(check_transforms(s->transform, s->n_profile, "segment profile feature", err));
    CHECK(check_numbers(s->mean, s->n_profile, "segment profile mean", 0, err));
    CHECK(check_numbers(s->scale, s->n_profile, "segment profile scale", 1, err));
    CHECK(check_numbers(s->centroids, s->k * s->n_profile, "centroid value", 0, err));
    CHECK(check_numbers(s->centroids_original, s->k * s->n_profile,
                        "centroid value in original units", 0, err));
    if (!s->sizes)
        return INVALID("segment sizes are missing");
    CHECK(check_names(s->names, s->k, "segment", 0, err));
    if (!isnan(s->silhouette) && !(s->silhouette >= -1 && s->silhouette <= 1))
        return INVALID("silhouette is %g; it must be from -1 to 1, or not measured",
                       s->silhouette);
    return LAPSE_OK;
}

/* The trees must be safe to walk (lapse_trees_check), one per round kept;
 * XGBoost's bytes, when they ride along, must match their sha256 (export
 * checks that they hold the same trees). */
static int validate_gbdt(const lapse_model *m, lapse_error *err)
{
    const lapse_model_classifier *c = &m->classifier;
    if (c->depth < 1 || c->depth > 16 || !(c->eta > 0 && c->eta <= 1) ||
        c->best_iteration >= c->trees)
        return INVALID("boosted trees with depth %lu, eta %g, best iteration %lu of %lu: depth "
                       "must be 1..16, eta in (0, 1], the best iteration below the trees",
                       (unsigned long)c->depth, c->eta, (unsigned long)c->best_iteration,
                       (unsigned long)c->trees);
    lapse_error why = LAPSE_ERROR_INIT;
    if (lapse_trees_check(&c->forest, lapse_model_tree_features(m), &why) < 0)
        return INVALID("section CLSF: %s", why.message);
    if (c->forest.n_trees != (size_t)c->best_iteration + 1)
        return INVALID("section CLSF: the boosted trees hold %zu rounds; the best iteration says "
                       "%lu",
                       c->forest.n_trees, (unsigned long)c->best_iteration + 1);
    if ((c->booster_size == 0) != (c->booster == NULL))
        return INVALID("section CLSF: XGBoost's bytes are missing");
    if (c->booster_size) {
        unsigned char digest[LAPSE_GBDT_DIGEST_SIZE];
        lapse_gbdt_digest(digest, c->booster, c->booster_size);
        if (memcmp(digest, c->booster_sha256, sizeof digest) != 0)
            return INVALID("section CLSF: XGBoost's bytes do not match their sha256: the model "
                           "file is corrupt");
    }
    return LAPSE_OK;
}

static int validate_classifier(const lapse_model *m, lapse_error *err)
{
    const lapse_model_classifier *c = &m->classifier;
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        CHECK(check_numbers(c->weights, m->n_features, "logistic weight", 0, err));
        CHECK(check_scalar(c->bias, "the logistic bias", err));
        return LAPSE_OK;
    }
    if (c->kind == LAPSE_CLASSIFIER_GBDT)
        return validate_gbdt(m, err);
    if (c->kind != LAPSE_CLASSIFIER_SVM)
        return INVALID("unknown classifier kind %d", (int)c->kind);
    if (c->kernel != LAPSE_KERNEL_LINEAR && c->kernel != LAPSE_KERNEL_RBF)
        return INVALID("unknown SVM kernel %d", (int)c->kernel);
    if (c->kernel == LAPSE_KERNEL_RBF && !(isfinite(c->gamma) && c->gamma > 0))
        return INVALID("RBF gamma is %g; it must be positive", c->gamma);
    if (c->kernel == LAPSE_KERNEL_LINEAR && c->gamma != 0)
        return INVALID("a linear SVM has gamma %g; it must be 0", c->gamma);
    CHECK(check_scalar(c->rho, "the SVM rho", err));
    if (c->n_sv == 0)
        return INVALID("the SVM has no support vectors");
    if (c->n_sv > SIZE_MAX / m->n_features)
        return INVALID("too many support vectors");
    CHECK(check_numbers(c->sv, c->n_sv * m->n_features, "support vector value", 0, err));
    CHECK(check_numbers(c->coef, c->n_sv, "SVM coefficient", 0, err));
    return LAPSE_OK;
}

static int validate_calibration(const lapse_model_calibration *cal, lapse_error *err)
{
    if (cal->kind == LAPSE_CALIBRATION_PLATT) {
        CHECK(check_scalar(cal->a, "Platt A", err));
        CHECK(check_scalar(cal->b, "Platt B", err));
        return LAPSE_OK;
    }
    if (cal->kind != LAPSE_CALIBRATION_ISOTONIC)
        return INVALID("unknown calibration kind %d", (int)cal->kind);
    if (cal->n == 0)
        return INVALID("isotonic calibration has no breakpoints");
    CHECK(check_numbers(cal->x, cal->n, "isotonic breakpoint", 0, err));
    CHECK(check_numbers(cal->y, cal->n, "isotonic probability", 0, err));
    for (size_t i = 0; i < cal->n; i++) {
        if (i > 0 && !(cal->x[i] > cal->x[i - 1]))
            return INVALID("isotonic breakpoint %zu (%g) does not increase", i + 1, cal->x[i]);
        if (i > 0 && !(cal->y[i] >= cal->y[i - 1]))
            return INVALID("isotonic probability %zu (%g) decreases", i + 1, cal->y[i]);
        if (!(cal->y[i] >= 0 && cal->y[i] <= 1))
            return INVALID("isotonic probability %zu is %g; it must be from 0 to 1", i + 1,
                           cal->y[i]);
    }
    return LAPSE_OK;
}

/* n values strictly increasing inside (0, 1). */
static int check_cuts(const double *v, size_t n, const char *what, lapse_error *err)
{
    CHECK(check_numbers(v, n, what, 0, err));
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0 && v[i] < 1))
            return INVALID("%s %zu is %g; it must lie between 0 and 1", what, i + 1, v[i]);
        if (i > 0 && !(v[i] > v[i - 1]))
            return INVALID("%s %zu (%g) does not increase", what, i + 1, v[i]);
    }
    return LAPSE_OK;
}

static int validate_tiers(const lapse_model_tiers *t, lapse_error *err)
{
    if (t->n_tiers == 0)
        return INVALID("the model has no risk tiers");
    CHECK(check_cuts(t->thresholds, t->n_tiers - 1, "risk threshold", err));
    if (t->kind != LAPSE_TIERS_PERCENTILE && t->kind != LAPSE_TIERS_PROBABILITY)
        return INVALID("unknown risk tier kind %d", (int)t->kind);
    if (t->kind == LAPSE_TIERS_PERCENTILE)
        CHECK(check_cuts(t->cuts, t->n_tiers - 1, "percentile tier share", err));
    return check_names(t->names, t->n_tiers, "risk tier", 0, err);
}

static int validate_training(const lapse_model_training *t, lapse_error *err)
{
    if (t->first_asof < 0 || t->last_asof >= LAPSE_TIME_MAX)
        return INVALID("training data range %lld to %lld lies outside 1970 to 2199",
                       (long long)t->first_asof, (long long)t->last_asof);
    if (t->first_asof > t->last_asof)
        return INVALID("training data range ends (%lld) before it starts (%lld)",
                       (long long)t->last_asof, (long long)t->first_asof);
    CHECK(check_text(t->options, "the options text", 1, err));
    CHECK(check_text(t->lapse_version, "the lapse version", 0, err));
    CHECK(check_figure(t->auc, "validation AUC", 0, 1, err));
    CHECK(check_figure(t->pr_auc, "validation PR-AUC", 0, 1, err));
    CHECK(check_figure(t->log_loss, "validation log loss", 0, INFINITY, err));
    CHECK(check_figure(t->brier, "validation Brier score", 0, 1, err));
    CHECK(check_figure(t->ece, "validation calibration error", 0, 1, err));
    CHECK(check_figure(t->auc_se, "validation AUC standard error", 0, 1, err));
    if (t->validation < LAPSE_VALIDATION_LAST_SNAPSHOT || t->validation > LAPSE_VALIDATION_ROLLING)
        return INVALID("unknown validation kind %d", (int)t->validation);
    const int shared = t->validation == LAPSE_VALIDATION_USERS ||
                       t->validation == LAPSE_VALIDATION_RANDOM;
    if (t->validation == LAPSE_VALIDATION_ROLLING
            ? !(t->holdout >= 2 && t->holdout <= LAPSE_MODEL_ROLLING_MAX &&
                t->holdout == floor(t->holdout))
            : shared ? !(t->holdout > 0 && t->holdout < 1) : !isnan(t->holdout))
        return INVALID("held-out share %g does not fit the validation kind", t->holdout);
    if (t->refit != 0 && t->refit != 1)
        return INVALID("refit is %d; it must be 0 or 1", t->refit);
    return LAPSE_OK;
}

int lapse_model_validate(const lapse_model *m, lapse_error *err)
{
    if (m->btyd)
        return lapse_model_btyd_validate(m->btyd, err);
    if (m->meta.version < 1 || m->meta.version > LAPSE_TABLE_FORMAT_VERSION)
        return INVALID("feature table format %d is not one this build knows (1 to %d)",
                       m->meta.version, LAPSE_TABLE_FORMAT_VERSION);
    const size_t sha = strlen(m->meta.labels_sha256);
    if (sha && (sha != 64 || strspn(m->meta.labels_sha256, "0123456789abcdef") != 64))
        return INVALID("the label file's sha256 is not 64 lower-case hex digits");
    if (lapse_churn_validate(&m->meta.churn) != LAPSE_OK)
        return INVALID("the churn definition is invalid (key events, or silent days or horizon "
                       "outside 1 to %d)",
                       LAPSE_CHURN_MAX_DAYS);
    if (m->n_features == 0)
        return INVALID("the model has no features");
    CHECK(check_names(m->feature_names, m->n_features, "feature", 1, err));
    /* A stacked model's own feature is no table column: the hash is the table's. */
    const uint64_t hash = lapse_schema_hash((const char *const *)m->feature_names,
                                            lapse_model_input_features(m));
    if (hash != m->meta.schema_hash)
        return INVALID("schema hash %016llx does not match the feature names (%016llx)",
                       (unsigned long long)m->meta.schema_hash, (unsigned long long)hash);
    if (m->encoding)
        CHECK(lapse_foreign_validate(m->encoding, (const char *const *)m->feature_names,
                                     m->n_features, err));
    CHECK(check_transforms(m->scaler.transform, m->n_features, "scaled feature", err));
    CHECK(check_numbers(m->scaler.mean, m->n_features, "scaler mean", 0, err));
    CHECK(check_numbers(m->scaler.scale, m->n_features, "scaler scale", 1, err));
    CHECK(validate_segments(m, err));
    CHECK(validate_classifier(m, err));
    CHECK(validate_calibration(&m->calibration, err));
    CHECK(validate_tiers(&m->tiers, err));
    if (m->hazard) {
        if (m->classifier.kind == LAPSE_CLASSIFIER_SVM)
            return INVALID("a model of several horizons has a logistic classifier or trees");
        CHECK(lapse_hazard_validate(m->hazard, m->meta.churn.horizon_days, m->n_features, err));
        /* Trees see the band as a feature: no intercepts of their own. */
        for (size_t b = 1; lapse_model_band_trees(m) && b < m->hazard->n_bands; b++)
            if (m->hazard->offset[b] != 0)
                return INVALID("band %zu's intercept is %g: with trees every band's is 0", b + 1,
                               m->hazard->offset[b]);
    }
    if (m->stack) {
        if (m->encoding || m->hazard)
            return INVALID("a stacked BTYD feature needs a lapse feature table and one horizon");
        CHECK(lapse_model_stack_validate(m, err));
    }
    return validate_training(&m->training, err);
}

#define MISMATCH(...) lapse_error_set(err, LAPSE_ERR_SCHEMA, NULL, 0, 0, -1, __VA_ARGS__)

int lapse_model_check_features(const lapse_model *model, const char *const *names, size_t n,
                               lapse_error *err)
{
    const size_t want = lapse_model_input_features(model);
    const size_t common = n < want ? n : want;
    for (size_t i = 0; i < common; i++)
        if (strcmp(names[i], model->feature_names[i]) != 0)
            return MISMATCH("feature %zu is \"%s\" in the table but the model expects \"%s\"",
                            i + 1, names[i], model->feature_names[i]);
    if (n < want)
        return MISMATCH("the table has %zu features and the model %zu: feature %zu \"%s\" is "
                        "missing",
                        n, want, n + 1, model->feature_names[n]);
    if (n > want)
        return MISMATCH("the table has %zu features and the model %zu: feature %zu \"%s\" is "
                        "not in the model",
                        n, want, want + 1, names[want]);
    return LAPSE_OK;
}

int lapse_model_check_meta(const lapse_model *model, const lapse_table_meta *meta,
                           lapse_error *err)
{
    const lapse_churn_def *want = &model->meta.churn, *got = &meta->churn;
    switch (lapse_churn_diff(got, want)) {
    case LAPSE_CHURN_KEY: {
        char a[128], b[128];
        lapse_churn_format_keys(a, sizeof a, want->key_mask);
        lapse_churn_format_keys(b, sizeof b, got->key_mask);
        return MISMATCH("churn definitions differ: key events are %s in the table but %s in "
                        "the model",
                        b, a);
    }
    case LAPSE_CHURN_SILENT_DAYS:
        return MISMATCH("churn definitions differ: silent_days is %d in the table but %d in the "
                        "model",
                        got->silent_days, want->silent_days);
    case LAPSE_CHURN_HORIZON:
        return MISMATCH("churn definitions differ: horizon is %d days in the table but %d in "
                        "the model",
                        got->horizon_days, want->horizon_days);
    case LAPSE_CHURN_KIND:
        return MISMATCH("churn definitions differ: churn is %s in the table but %s in the model",
                        got->cancel_is_churn ? "cancel" : "silence",
                        want->cancel_is_churn ? "cancel" : "silence");
    case LAPSE_CHURN_SAME:
        break;
    }
    if (model->meta.schema_hash != meta->schema_hash)
        return MISMATCH("feature schemas differ: schema=%016llx in the table but %016llx in the "
                        "model",
                        (unsigned long long)meta->schema_hash,
                        (unsigned long long)model->meta.schema_hash);
    return LAPSE_OK;
}

size_t lapse_model_tier(const lapse_model *model, double probability)
{
    const lapse_model_tiers *t = &model->tiers;
    size_t tier = 0;
    while (tier + 1 < t->n_tiers && probability >= t->thresholds[tier])
        tier++;
    return tier;
}

