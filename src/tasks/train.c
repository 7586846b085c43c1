/* lapse_train: split, scale, segment, fit, calibrate, tier, refit. */
#include "lapse/train.h"
#include "train_internal.h"
#include "learn_rng.h"

#include "lapse/calibrate.h"
#include "lapse/features.h"
#include "lapse/gbdt.h"
#include "lapse/kmeans.h"
#include "lapse/logistic.h"
#include "lapse/numtext.h"
#include "lapse/scaler.h"
#include "lapse/svm.h"
#include "lapse/svmscore.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TIER_COUNT LAPSE_TRAIN_TIERS
static const char *const tier_names[TIER_COUNT] = { "low", "medium", "high", "critical" };
#define TIER_EDGE 1e-6

/* splitmix64: seedable and the same on every platform. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *dup_string(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

static int nomem(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory while training");
}

#define TEXT_OF(x) #x
#define NUMBER_TEXT(x) TEXT_OF(x)
#define FOLDS_MAX_TEXT NUMBER_TEXT(LAPSE_MODEL_ROLLING_MAX)

static int check_options(const lapse_train_options *o, lapse_error *err)
{
    const lapse_train_options defaults = LAPSE_TRAIN_OPTIONS_INIT;
    const char *bad = NULL;
    if (o->model != LAPSE_CLASSIFIER_LOGISTIC && o->model != LAPSE_CLASSIFIER_SVM &&
        o->model != LAPSE_CLASSIFIER_GBDT)
        bad = "model must be logistic, svm or gbdt";
    else if (o->trees < 1 || o->trees > 100000 || o->depth < 1 || o->depth > 16 ||
             !(o->eta > 0 && o->eta <= 1))
        bad = "gbdt needs 1..100000 trees, depth 1..16 and eta in (0, 1]";
    else if (o->k > 64)
        bad = "k must be within 1..64, or LAPSE_TRAIN_K_AUTO";
    else if (o->kmeans_restarts < 1)
        bad = "k-means restarts must be at least 1";
    else if (o->kernel != LAPSE_KERNEL_RBF && o->kernel != LAPSE_KERNEL_LINEAR)
        bad = "kernel must be rbf or linear";
    else if (!(o->C > 0) || !isfinite(o->C))
        bad = "C must be a positive number";
    else if (!(o->gamma >= 0) || !isfinite(o->gamma))
        bad = "gamma must be 0 (1 / features) or positive";
    else if (!(o->l2 >= 0) || !isfinite(o->l2))
        bad = "l2 must be at least 0";
    else if (o->model == LAPSE_CLASSIFIER_GBDT && o->grid &&
             (o->depth != defaults.depth || o->eta != defaults.eta))
        bad = "--grid chooses gbdt's --depth and --eta: give the grid or them, not both";
    else if (o->calib_folds < 2)
        bad = "calibration folds must be at least 2";
    else if (o->threads < 1)
        bad = "threads must be at least 1";
    else if (o->validate && (o->validate < LAPSE_VALIDATION_LAST_SNAPSHOT ||
                             o->validate > LAPSE_VALIDATION_ROLLING))
        bad = "unknown validation kind";
    else if (o->validate == LAPSE_VALIDATION_ROLLING &&
             (o->rolling_folds < 2 || o->rolling_folds > LAPSE_MODEL_ROLLING_MAX))
        bad = "rolling validation needs 2 to " FOLDS_MAX_TEXT " folds";
    else if (!(o->holdout > 0 && o->holdout < 1))
        bad = "the held-out share must lie between 0 and 1";
    else if (o->validate == LAPSE_VALIDATION_FILE && !(o->holdout_file && o->holdout_file[0]))
        bad = "--validate file: needs the held-out users' file";
    else if (o->tiers != LAPSE_TIERS_PERCENTILE && o->tiers != LAPSE_TIERS_PROBABILITY)
        bad = "unknown tier kind";
    else if (!(o->tier_cuts[0] > 0 && o->tier_cuts[0] < o->tier_cuts[1] &&
               o->tier_cuts[1] < o->tier_cuts[2] && o->tier_cuts[2] < 1))
        bad = "tier cut-offs must increase strictly between 0 and 1";
    else if (o->horizons.n_bands && o->model == LAPSE_CLASSIFIER_SVM)
        bad = "--horizons fits a logistic or boosted-trees hazard model: it does not go with "
              "--model svm";
    if (bad)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "%s", bad);
    if (o->horizons.n_bands)
        return lapse_hazard_validate(&o->horizons, LAPSE_CHURN_MAX_DAYS, 0, err);
    return 0;
}

static int check_classes(const int *y, size_t n, const char *what, size_t *positives,
                         lapse_error *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < n; i++)
        pos += y[i] != 0;
    *positives = pos;
    if (pos == 0 || pos == n)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the %s rows hold only %s (%zu rows): a classifier needs both "
                               "churners and others",
                               what, pos ? "churners" : "non-churners", n);
    return 0;
}

/* Copies the chosen rows of the table into a dense matrix. */
static double *gather(const lapse_table *t, const size_t *rows, size_t n)
{
    const size_t d = t->n_features;
    double *x = malloc((n ? n : 1) * d * sizeof *x);
    if (!x)
        return NULL;
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * d, t->x + rows[i] * d, d * sizeof *x);
    return x;
}

static unsigned char registry_transform(const char *name)
{
    const int f = lapse_feature_find(name);
    if (f < 0)
        return LAPSE_TRANSFORM_NONE;
    return lapse_feature_get((size_t)f)->transform == LAPSE_XFORM_LOG1P ? LAPSE_TRANSFORM_LOG1P
                                                                         : LAPSE_TRANSFORM_NONE;
}

static int registry_profile(const char *name)
{
    const int f = lapse_feature_find(name);
    return f >= 0 && lapse_feature_get((size_t)f)->profile;
}

/* Profile features that are 0 for every user without purchases (a fifth to
 * a third of users): at full weight k-means splits on that point mass
 * (buyers against the rest) instead of on behaviour. Half weight (twice the
 * scale) in the segment distance; the rest count fully. */
static const struct {
    const char *name;
    double weight;
} profile_weights[] = { { "share_coupon_purchases", 0.5 }, { "spend_per_purchase", 0.5 } };

static double profile_weight(const char *name)
{
    for (size_t i = 0; i < sizeof profile_weights / sizeof profile_weights[0]; i++)
        if (!strcmp(name, profile_weights[i].name))
            return profile_weights[i].weight;
    return 1.0;
}

/* The split's rows gathered dense, with 0/1 labels, and room for the
 * model's decisions on the validation rows. */
typedef struct {
    double *xt, *xv; /* [n_train * d], [n_valid * d] */
    int *yt, *yv;    /* [n_train], [n_valid] */
    double *fv;      /* [n_valid] */
} dataset;

static void dataset_free(dataset *ds)
{
    free(ds->xt);
    free(ds->xv);
    free(ds->yt);
    free(ds->yv);
    free(ds->fv);
}

static int gather_rows(dataset *ds, lapse_train_report *r, const lapse_table *t,
                       const train_split *s, lapse_error *err)
{
    ds->xt = gather(t, s->train, s->n_train);
    ds->xv = gather(t, s->valid, s->n_valid);
    ds->yt = malloc(s->n_train * sizeof *ds->yt);
    ds->yv = malloc(s->n_valid * sizeof *ds->yv);
    ds->fv = malloc(s->n_valid * sizeof *ds->fv);
    if (!ds->xt || !ds->xv || !ds->yt || !ds->yv || !ds->fv)
        return nomem(err);
    for (size_t i = 0; i < s->n_train; i++)
        ds->yt[i] = t->labels[s->train[i]] > 0;
    for (size_t i = 0; i < s->n_valid; i++)
        ds->yv[i] = t->labels[s->valid[i]] > 0;
    for (size_t i = 0; i < s->n_valid; i++)
        r->valid_positives += (size_t)ds->yv[i];
    return check_classes(ds->yt, s->n_train, "training", &r->train_positives, err);
}

/* The scaler's domain check over gathered rows x (table rows rows[0..n)),
 * naming the first offender by user and snapshot. */
static int check_domain(const lapse_scaler *sc, const lapse_table *t, const double *x,
                        const size_t *rows, size_t n, lapse_error *err)
{
    const size_t d = t->n_features;
    size_t i, j;
    if (lapse_scaler_check(&i, &j, sc, d, x, n) == LAPSE_OK)
        return LAPSE_OK;
    char day[16];
    lapse_time_format_date(day, t->asof[rows[i]]);
    return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                           "%s of user \"%.64s\" at %s is %g: a count or amount must be above -1",
                           t->feature_names[j], t->user_ids[rows[i]], day, x[i * d + j]);
}

/* The model's scaler: the registry's transforms, fitted on the training rows
 * once every labelled row is in its domain. */
static int fit_scaler(lapse_scaler *sc, size_t *constant, const lapse_table *t,
                      const train_split *s, const dataset *ds, lapse_error *err)
{
    const size_t d = t->n_features;
    if (lapse_scaler_alloc(sc, d) < 0)
        return nomem(err);
    for (size_t j = 0; j < d; j++)
        sc->transform[j] = registry_transform(t->feature_names[j]);
    int rc = check_domain(sc, t, ds->xt, s->train, s->n_train, err);
    if (rc == 0)
        rc = check_domain(sc, t, ds->xv, s->valid, s->n_valid, err);
    if (rc < 0)
        return rc;
    size_t bad;
    if (lapse_scaler_fit(sc, &bad, ds->xt, s->n_train, d, NULL, d) < 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "%s: the training values sum beyond a double (values near "
                               "1e308); no scale fits them",
                               t->feature_names[bad]);
    /* A column constant over the training rows is dropped (see
     * LAPSE_MODEL_SCALE_DROPPED), not scaled by 1. */
    *constant = 0;
    for (size_t j = 0; j < d; j++) {
        const double first = lapse_scaler_transform(sc->transform[j], ds->xt[j]);
        size_t i = 1;
        while (i < s->n_train &&
               lapse_scaler_transform(sc->transform[j], ds->xt[i * d + j]) == first)
            i++;
        if (i == s->n_train) {
            sc->scale[j] = LAPSE_MODEL_SCALE_DROPPED;
            ++*constant;
        }
    }
    return 0;
}

/* Everything about the segments before it goes into the model. */
typedef struct {
    size_t k, n_profile;
    uint32_t *profile;
    lapse_scaler scaler; /* profile weights folded into the scale */
    double *centroids, *original; /* k x n_profile */
    uint64_t *sizes;
    char (*names)[LAPSE_KMEANS_NAME_MAX];
    double silhouette;
} segments;

static void segments_free(segments *g)
{
    free(g->profile);
    lapse_scaler_clear(&g->scaler);
    free(g->centroids);
    free(g->original);
    free(g->sizes);
    free(g->names);
}

/* A model without segments: one segment, LAPSE_MODEL_NO_SEGMENT, holding
 * every training row; why goes into the report (a static string). */
static int no_segments(segments *g, lapse_train_report *r, size_t n, const char *why,
                       lapse_error *err)
{
    segments_free(g);
    memset(g, 0, sizeof *g);
    g->k = 1;
    g->silhouette = NAN;
    g->sizes = calloc(1, sizeof *g->sizes);
    g->names = calloc(1, sizeof *g->names);
    if (!g->sizes || !g->names)
        return nomem(err);
    g->sizes[0] = n;
    snprintf(g->names[0], LAPSE_KMEANS_NAME_MAX, "%s", LAPSE_MODEL_NO_SEGMENT);
    r->no_segments = why;
    lapse_log(LAPSE_LOG_WARN, "no segments: %s; every user is in segment \"%s\"", why,
              LAPSE_MODEL_NO_SEGMENT);
    return 0;
}

/* A profile column whose transformed values spread less than this (sd,
 * relative to max(1, |mean|)) holds no profile to segment on. */
#define PROFILE_MIN_SD 1e-9

/* Whether any profile column of z's source varies (population sd of the
 * transformed values, two passes). */
static int profile_varies(const lapse_scaler *ps, const double *raw, size_t n, size_t d,
                          const uint32_t *profile, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        double mean = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            mean += lapse_scaler_transform(ps->transform[j], raw[i * d + profile[j]]);
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            const double dev = lapse_scaler_transform(ps->transform[j], raw[i * d + profile[j]]) - mean;
            ss += dev * dev;
        }
        if (sqrt(ss / (double)n) > PROFILE_MIN_SD * fmax(1.0, fabs(mean)))
            return 1;
    }
    return 0;
}

/* --k auto: the k in LAPSE_TRAIN_K_AUTO_MIN..MAX (at most n) whose fit has
 * the highest sampled silhouette (the smaller k on a tie); its centroids
 * and labels are left in centroids and labels. */
static int choose_k(size_t *k_out, double *centroids, int *labels, lapse_train_report *r,
                    const double *z, size_t n, size_t p, const lapse_kmeans_options *base,
                    const lapse_train_options *o, lapse_error *err)
{
    const size_t k_max = n < LAPSE_TRAIN_K_AUTO_MAX ? n : LAPSE_TRAIN_K_AUTO_MAX;
    double *c = malloc(LAPSE_TRAIN_K_AUTO_MAX * p * sizeof *c);
    int *l = malloc(n * sizeof *l);
    double best = -INFINITY;
    int rc = c && l ? 0 : nomem(err);
    *k_out = 0;
    for (size_t k = LAPSE_TRAIN_K_AUTO_MIN; rc == 0 && k <= k_max; k++) {
        lapse_kmeans_options ko = *base;
        ko.k = k;
        if ((rc = lapse_kmeans_fit(c, l, NULL, z, n, p, &ko, err)) < 0)
            break;
        double sil;
        lapse_error ignored = LAPSE_ERROR_INIT;
        if (lapse_kmeans_silhouette(&sil, z, l, n, p, k, o->silhouette_sample, o->seed,
                                    &ignored) < 0)
            continue; /* fewer than two clusters in the sample: not a candidate */
        r->k_silhouette[k] = sil;
        if (sil > best) {
            best = sil;
            *k_out = k;
            memcpy(centroids, c, k * p * sizeof *c);
            memcpy(labels, l, n * sizeof *l);
        }
    }
    if (rc == 0 && *k_out == 0)
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "--k auto: no k from %d to %d gave two segments with a silhouette "
                             "(%zu training rows)",
                             LAPSE_TRAIN_K_AUTO_MIN, LAPSE_TRAIN_K_AUTO_MAX, n);
    free(c);
    free(l);
    return rc;
}

static int fit_segments(segments *g, lapse_train_report *r, const lapse_table *t,
                        const double *raw, size_t n, const lapse_train_options *o,
                        lapse_error *err)
{
    const size_t d = t->n_features;
    const int auto_k = o->k == LAPSE_TRAIN_K_AUTO;
    size_t k = auto_k ? LAPSE_TRAIN_K_AUTO_MAX : o->k;
    memset(g, 0, sizeof *g);
    g->silhouette = NAN;
    for (size_t j = 0; j < d; j++)
        g->n_profile += (size_t)registry_profile(t->feature_names[j]);
    if (g->n_profile == 0)
        return no_segments(g, r, n,
                           "the table has no profile feature (e.g. share_core, share_social: "
                           "see lapse extract --features)",
                           err);
    if (!auto_k && n < k)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "%zu training rows cannot make %zu segments", n, k);
    const size_t p = g->n_profile;
    g->profile = malloc(p * sizeof *g->profile);
    const int no_scaler = lapse_scaler_alloc(&g->scaler, p) < 0;
    g->centroids = malloc(k * p * sizeof *g->centroids);
    g->original = malloc(k * p * sizeof *g->original);
    g->sizes = calloc(k, sizeof *g->sizes);
    g->names = calloc(k, sizeof *g->names);
    double *z = malloc(n * p * sizeof *z), *sd = malloc(p * sizeof *sd);
    int *labels = malloc(n * sizeof *labels);
    int rc = 0;
    if (!g->profile || no_scaler || !g->centroids || !g->original || !g->sizes || !g->names || !z ||
        !sd || !labels) {
        rc = nomem(err);
        goto done;
    }
    lapse_kmeans_roles roles = LAPSE_KMEANS_ROLES_INIT;
    for (size_t j = 0, c = 0; j < d; j++) {
        const char *name = t->feature_names[j];
        if (!registry_profile(name))
            continue;
        g->profile[c] = (uint32_t)j;
        g->scaler.transform[c] = registry_transform(name);
        if (!strcmp(name, "share_core"))
            roles.share_core = (int)c;
        else if (!strcmp(name, "share_social"))
            roles.share_social = (int)c;
        else if (!strcmp(name, "share_coupon_purchases"))
            roles.share_coupon_purchases = (int)c;
        else if (!strcmp(name, "spend_per_purchase"))
            roles.spend_per_purchase = (int)c;
        c++;
    }
    if (!profile_varies(&g->scaler, raw, n, d, g->profile, p)) {
        rc = no_segments(g, r, n, "the profile features have no variance over the training rows",
                         err);
        goto done;
    }
    size_t unused;
    /* The rows and transforms of the model's scaler, which has refused a mean
     * that is not finite already. */
    (void)lapse_scaler_fit(&g->scaler, &unused, raw, n, d, g->profile, p);
    for (size_t j = 0; j < p; j++) {
        sd[j] = g->scaler.scale[j];
        g->scaler.scale[j] /= profile_weight(t->feature_names[g->profile[j]]);
    }
    /* Standardized exactly as lapse_model_segment_rows will at scoring time. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < p; j++)
            z[i * p + j] = lapse_scaler_value(&g->scaler, j, raw[i * d + g->profile[j]]);

    lapse_kmeans_options ko = LAPSE_KMEANS_OPTIONS_INIT;
    ko.k = k;
    ko.restarts = o->kmeans_restarts;
    ko.seed = o->seed;
    /* One BLAS thread wherever a sum goes into the model: OpenBLAS splits
     * sums differently per thread count, and a model must not depend on -@. */
    ko.threads = 1;
    if (auto_k)
        rc = choose_k(&k, g->centroids, labels, r, z, n, p, &ko, o, err);
    else
        rc = lapse_kmeans_fit(g->centroids, labels, NULL, z, n, p, &ko, err);
    if (rc < 0)
        goto done;
    g->k = k;
    for (size_t i = 0; i < n; i++)
        g->sizes[labels[i]]++;
    /* Centroids in the transformed units first: the naming standardizes
     * them by the data's own mean and sd (without the distance weights). */
    memcpy(g->original, g->centroids, k * p * sizeof *g->original);
    lapse_kmeans_standardize_invert(g->original, k, p, g->scaler.mean, g->scaler.scale);
    if (roles.share_core >= 0 && roles.share_social >= 0 && roles.share_coupon_purchases >= 0) {
        rc = lapse_kmeans_name(g->names, g->original, k, p, &roles, g->scaler.mean, sd, err);
        if (rc < 0)
            goto done;
    } else {
        for (size_t c = 0; c < k; c++)
            snprintf(g->names[c], LAPSE_KMEANS_NAME_MAX, "segment-%zu", c + 1);
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < p; j++)
            if (g->scaler.transform[j] == LAPSE_TRANSFORM_LOG1P)
                g->original[c * p + j] = expm1(g->original[c * p + j]);
    if (k >= 2) {
        double sil;
        lapse_error ignored = LAPSE_ERROR_INIT;
        /* Fewer than two clusters in the sample leaves the silhouette unmeasured. */
        if (lapse_kmeans_silhouette(&sil, z, labels, n, p, k, o->silhouette_sample, o->seed,
                                    &ignored) == 0)
            g->silhouette = sil;
    }
done:
    free(z);
    free(sd);
    free(labels);
    return rc;
}

/* Boosted trees, stopping early on the scaled validation rows xv (nv 0:
 * exactly o->trees rounds). */
/* Early stopping needs rows of its own: the held-out rows judge the model
 * (calibration, tiers, the reported figures), so letting them pick the
 * round would flatter it. A seeded fifth of the training rows chooses the
 * round on trees grown from the rest; the trees are then grown again on
 * every training row for that many rounds. */
#define GBDT_STOP_SHARE 0.2
#define GBDT_STOP_MIN_ROWS 20

static int fit_gbdt(classifier *c, lapse_train_report *r, const double *x, const int *y,
                    size_t n, size_t d, int stop_early, const lapse_train_options *o,
                    lapse_error *err)
{
    lapse_gbdt_options go = { o->trees, o->depth, o->eta, o->seed };
    lapse_gbdt_info info = { 0, o->trees - 1, NAN };
    int rc = 0;
    if (stop_early) {
        double *xi = malloc(n * d * sizeof *xi), *xs = malloc(n * d * sizeof *xs);
        int *yi = malloc(n * sizeof *yi), *ys = malloc(n * sizeof *ys);
        size_t ni = 0, ns = 0;
        uint64_t state = o->seed ^ 0x9e3779b97f4a7c15ull;
        rc = xi && xs && yi && ys ? 0 : nomem(err);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            const int stop = learn_rng_uniform(&state) < GBDT_STOP_SHARE;
            memcpy((stop ? xs + ns * d : xi + ni * d), x + i * d, d * sizeof *x);
            if (stop)
                ys[ns++] = y[i];
            else
                yi[ni++] = y[i];
        }
        if (rc == 0 && o->grid && !(ns >= GBDT_STOP_MIN_ROWS && ni > 0))
            rc = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                 "--grid needs at least %d training rows held for early stopping "
                                 "(a fifth of them): %zu here",
                                 GBDT_STOP_MIN_ROWS, ns);
        static const int depths[] = LAPSE_GBDT_GRID_DEPTHS;
        static const double etas[] = LAPSE_GBDT_GRID_ETAS;
        const size_t pairs = o->grid ? (sizeof depths / sizeof *depths) * (sizeof etas / sizeof *etas)
                                     : 1;
        lapse_gbdt_options chosen = go;
        for (size_t g = 0; rc == 0 && g < pairs && ns >= GBDT_STOP_MIN_ROWS && ni > 0; g++) {
            lapse_gbdt_options try = go;
            if (o->grid) {
                try.depth = depths[g / (sizeof etas / sizeof *etas)];
                try.eta = etas[g % (sizeof etas / sizeof *etas)];
            }
            unsigned char *probe = NULL;
            size_t probe_size = 0;
            lapse_gbdt_info tried;
            rc = lapse_gbdt_train(&probe, &probe_size, &tried, xi, yi, ni, d, xs, ys, ns, &try,
                                  err);
            free(probe);
            /* the lowest held-out log loss; the first of equals */
            if (rc == 0 && (g == 0 || tried.best_logloss < info.best_logloss)) {
                info = tried;
                chosen = try;
            }
        }
        go = chosen;
        if (o->grid)
            r->grid_logloss = info.best_logloss;
        free(xi);
        free(xs);
        free(yi);
        free(ys);
        go.trees = info.best_iteration + 1;
    }
    lapse_gbdt_info grown;
    if (rc == 0)
        rc = lapse_gbdt_train(&c->booster, &c->booster_size, &grown, x, y, n, d, NULL, NULL, 0, &go,
                              err);
    c->best_iteration = go.trees - 1;
    c->trees = o->trees;
    c->depth = go.depth;
    c->eta = go.eta;
    r->gbdt_depth = go.depth;
    r->gbdt_eta = go.eta;
    r->classifier_rows = n;
    r->gbdt_rounds = stop_early ? info.rounds : grown.rounds;
    r->gbdt_best_iteration = c->best_iteration;
    r->C = r->gamma = NAN;
    return rc;
}

int train_fit_classifier(classifier *c, lapse_train_report *r, const double *x, const int *y,
                         size_t n, size_t d, size_t active, int stop_early,
                         const lapse_train_options *o, lapse_error *err)
{
    const double start = now_seconds();
    lapse_svm_model blank = LAPSE_SVM_MODEL_INIT;
    c->kind = o->model;
    c->w = NULL;
    c->svm = blank;
    c->booster = NULL;
    int rc;
    if (o->model == LAPSE_CLASSIFIER_GBDT) {
        if ((rc = fit_gbdt(c, r, x, y, n, d, stop_early, o, err)) < 0)
            return rc;
    } else if (o->model == LAPSE_CLASSIFIER_LOGISTIC) {
        c->w = malloc(d * sizeof *c->w);
        if (!c->w)
            return nomem(err);
        lapse_logistic_options lo = LAPSE_LOGISTIC_OPTIONS_INIT;
        lo.l2 = o->l2;
        lo.threads = 1; /* as for k-means: the same bytes for any -@ */
        lapse_logistic_info info;
        rc = lapse_logistic_fit(c->w, &c->bias, &info, x, y, n, d, &lo, err);
        if (rc < 0)
            return rc;
        r->classifier_rows = n;
        r->logistic_iterations = info.iterations;
        r->C = r->gamma = NAN;
    } else {
        lapse_svm_options so = LAPSE_SVM_OPTIONS_INIT;
        so.kernel = o->kernel == LAPSE_KERNEL_LINEAR ? LAPSE_SVM_LINEAR : LAPSE_SVM_RBF;
        so.C = o->C;
        so.gamma = o->kernel == LAPSE_KERNEL_LINEAR ? 0 : (o->gamma > 0 ? o->gamma : 1.0 / (double)(active ? active : 1));
        so.seed = o->seed;
        so.max_train = o->max_train ? o->max_train : LAPSE_TRAIN_MAX_TRAIN_DEFAULT;
        if (o->grid) {
            lapse_svm_grid_options go = LAPSE_SVM_GRID_OPTIONS_INIT;
            lapse_svm_grid_result best;
            rc = lapse_svm_grid_search(&best, x, y, n, d, &so, &go, err);
            if (rc < 0)
                return rc;
            so.C = best.C;
            if (so.kernel == LAPSE_SVM_RBF)
                so.gamma = best.gamma;
            r->grid_auc = best.auc;
        }
        lapse_svm_train_info info;
        rc = lapse_svm_train(&c->svm, &info, x, y, n, d, &so, err);
        if (rc < 0)
            return rc;
        r->classifier_rows = info.rows_used;
        r->C = info.C;
        r->gamma = so.kernel == LAPSE_SVM_RBF ? info.gamma : 0;
    }
    r->classifier_seconds = now_seconds() - start;
    return 0;
}

int lapse_train_decision(double *out, const lapse_model *model, const double *raw, size_t n,
                         int threads, lapse_error *err)
{
    const size_t d = model->n_features;
    const lapse_model_classifier *c = &model->classifier;
    if (lapse_model_band_trees(model))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "trees over horizons have a decision per band: "
                               "lapse_model_band_margins gives them");
    if (n == 0)
        return 0;
    double *x = malloc(n * d * sizeof *x);
    if (!x)
        return nomem(err);
    lapse_scaler_apply(&model->scaler, d, raw, n, x);
    int rc = 0;
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        lapse_logistic_decision(out, x, n, d, c->weights, c->bias);
    } else if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        lapse_gbdt *g = NULL;
        rc = lapse_gbdt_load(&g, NULL, c->booster, c->booster_size, d, threads, err);
        if (rc == 0)
            rc = lapse_gbdt_margin(g, out, x, n, err);
        lapse_gbdt_free(g);
    } else {
        /* A view of the model's arrays: the scorer copies what it needs. */
        lapse_svm_model view = LAPSE_SVM_MODEL_INIT;
        view.kernel = c->kernel == LAPSE_KERNEL_LINEAR ? LAPSE_SVM_LINEAR : LAPSE_SVM_RBF;
        view.d = d;
        view.n_sv = c->n_sv;
        view.gamma = c->gamma;
        view.rho = c->rho;
        view.sv = c->sv;
        view.coef = c->coef;
        for (size_t i = 0; i < c->n_sv && c->coef[i] > 0; i++)
            view.n_sv_churn++;
        lapse_svm_scorer_options so = LAPSE_SVM_SCORER_OPTIONS_INIT;
        so.threads = threads > 0 ? threads : 1;
        lapse_svm_scorer *scorer = NULL;
        rc = lapse_svm_scorer_create(&scorer, &view, &so, err);
        if (rc == 0)
            rc = lapse_svm_scorer_decision(scorer, out, x, n, err);
        lapse_svm_scorer_free(scorer);
    }
    free(x);
    return rc;
}

/* Stratified folds: each class shuffled with the seed and dealt round-robin. */
static void assign_folds(int *fold, const int *y, size_t n, int folds, uint64_t seed)
{
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    uint64_t state = seed ^ 0x6c617073652d6376ull; /* apart from the other seeded streams */
    if (!order) {
        for (size_t i = 0; i < n; i++)
            fold[i] = (int)(i % (size_t)folds);
        return;
    }
    size_t deal = 0;
    for (int cls = 1; cls >= 0; cls--) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if ((y[i] != 0) == cls)
                order[m++] = i;
        for (size_t i = m; i > 1; i--) {
            const size_t j = (size_t)((rng_next(&state) >> 11) * 0x1.0p-53 * (double)i);
            const size_t tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
        }
        for (size_t i = 0; i < m; i++)
            fold[order[i]] = (int)(deal++ % (size_t)folds);
    }
    free(order);
}

int train_cross_fit(double *p, const double *f, const int *y, size_t n, int folds, uint64_t seed,
                    lapse_error *err)
{
    int *fold = malloc(n * sizeof *fold);
    double *fx = malloc(n * sizeof *fx), *fo = malloc(n * sizeof *fo);
    int *yx = malloc(n * sizeof *yx);
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    int rc = 0;
    if (!fold || !fx || !fo || !yx) {
        rc = nomem(err);
        goto done;
    }
    assign_folds(fold, y, n, folds, seed);
    for (int k = 0; k < folds; k++) {
        size_t m = 0, h = 0;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] == k) {
                fo[h++] = f[i];
            } else {
                fx[m] = f[i];
                yx[m++] = y[i];
            }
        }
        if (h == 0)
            continue;
        lapse_calibrate_options co = LAPSE_CALIBRATE_OPTIONS_INIT;
        co.seed = seed + (uint64_t)k;
        rc = lapse_calibrate_choose(&cal, NULL, fx, yx, m, &co, err);
        if (rc < 0)
            goto done;
        lapse_calibrate_apply(fo, &cal, fo, h);
        for (size_t i = 0, j = 0; i < n; i++)
            if (fold[i] == k)
                p[i] = fo[j++];
    }
done:
    lapse_calibrate_clear(&cal);
    free(fold);
    free(fx);
    free(fo);
    free(yx);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void lapse_train_tiers(double *thr, double *p, size_t n, const double *shares)
{
    qsort(p, n, sizeof *p, cmp_double);
    double prev = 0;
    for (int q = 0; q < TIER_COUNT - 1; q++) {
        size_t at = (size_t)ceil(shares[q] * (double)n);
        if (at >= n)
            at = n - 1;
        double t = p[at];
        if (q > 0 && !(t > prev)) {
            while (at < n && !(p[at] > prev))
                at++;
            t = at < n ? p[at] : prev + (1 - prev) / 2;
        }
        if (t < TIER_EDGE)
            t = TIER_EDGE;
        if (t > 1 - TIER_EDGE)
            t = 1 - TIER_EDGE;
        if (q > 0 && !(t > prev))
            t = prev + (1 - prev) / 2;
        thr[q] = t;
        prev = t;
    }
}

static int append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int w = vsnprintf(buf + *len, size - *len, fmt, ap);
    va_end(ap);
    if (w > 0)
        *len += (size_t)w < size - *len ? (size_t)w : size - *len - 1;
    return 0;
}

static void options_text(char *buf, size_t size, const lapse_train_options *o,
                         const lapse_train_report *r)
{
    size_t len = 0;
    buf[0] = '\0';
    char number[2][LAPSE_NUMTEXT_MAX]; /* shortest round trip, as every output */
    if (o->model == LAPSE_CLASSIFIER_LOGISTIC) {
        lapse_numtext_double(number[0], o->l2);
        append(buf, size, &len, "logistic l2=%s", number[0]);
    } else if (o->model == LAPSE_CLASSIFIER_GBDT) {
        append(buf, size, &len, "gbdt hist trees=%zu depth=%d eta=%g rounds=%zu best=%zu%s",
               o->trees, r->gbdt_depth, r->gbdt_eta, r->gbdt_rounds, r->gbdt_best_iteration,
               o->grid ? " grid" : "");
    } else {
        lapse_numtext_double(number[0], r->C);
        append(buf, size, &len, "svm %s C=%s", o->kernel == LAPSE_KERNEL_LINEAR ? "linear" : "rbf",
               number[0]);
        if (o->kernel == LAPSE_KERNEL_RBF) {
            lapse_numtext_double(number[1], r->gamma);
            append(buf, size, &len, " gamma=%s", number[1]);
        }
        append(buf, size, &len, " max_train=%zu used=%zu%s",
               o->max_train ? o->max_train : (size_t)LAPSE_TRAIN_MAX_TRAIN_DEFAULT,
               r->classifier_rows, o->grid ? " grid" : "");
    }
    if (o->horizons.n_bands) {
        char list[LAPSE_HAZARD_MAX_BANDS * 8];
        lapse_hazard_format(list, sizeof list, &o->horizons);
        append(buf, size, &len, " horizons=%s", list);
    }
    if (o->k == LAPSE_TRAIN_K_AUTO)
        append(buf, size, &len, " k=auto");
    else
        append(buf, size, &len, " k=%zu", o->k);
    char how[64];
    train_split_describe(how, sizeof how, o, r->validation, "FILE");
    append(buf, size, &len, " restarts=%d calib_folds=%d seed=%llu validate=%s%s tiers=%c:%g,%g,%g",
           o->kmeans_restarts, o->calib_folds, (unsigned long long)o->seed, how,
           o->refit ? " refit" : "", o->tiers == LAPSE_TIERS_PROBABILITY ? 'p' : 'q',
           o->tier_cuts[0], o->tier_cuts[1], o->tier_cuts[2]);
}

/* The model's classifier becomes a copy of c (its arrays sized anew). */
static int set_classifier(lapse_model *m, const classifier *c, lapse_error *err)
{
    const size_t d = m->n_features;
    lapse_model_classifier *mc = &m->classifier;
    free(mc->weights);
    free(mc->sv);
    free(mc->coef);
    free(mc->booster);
    lapse_trees_free(&mc->forest);
    memset(mc, 0, sizeof *mc);
    mc->kind = c->kind;
    if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        if (!(mc->booster = malloc(c->booster_size)))
            return nomem(err);
        memcpy(mc->booster, c->booster, c->booster_size);
        mc->booster_size = c->booster_size;
        lapse_gbdt_digest(mc->booster_sha256, mc->booster, mc->booster_size);
        const int rc = lapse_gbdt_import(&mc->forest, mc->booster, mc->booster_size,
                                         lapse_model_tree_features(m), err);
        if (rc < 0)
            return rc;
        mc->trees = (uint32_t)c->trees;
        mc->depth = (uint32_t)c->depth;
        mc->eta = c->eta;
        mc->best_iteration = (uint32_t)c->best_iteration;
        return 0;
    }
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        if (!(mc->weights = malloc(d * sizeof *mc->weights)))
            return nomem(err);
        memcpy(mc->weights, c->w, d * sizeof *c->w);
        mc->bias = c->bias;
        return 0;
    }
    mc->kernel = c->svm.kernel == LAPSE_SVM_LINEAR ? LAPSE_KERNEL_LINEAR : LAPSE_KERNEL_RBF;
    mc->gamma = mc->kernel == LAPSE_KERNEL_RBF ? c->svm.gamma : 0;
    mc->rho = c->svm.rho;
    mc->n_sv = c->svm.n_sv;
    mc->sv = malloc((c->svm.n_sv ? c->svm.n_sv : 1) * d * sizeof *mc->sv);
    mc->coef = malloc((c->svm.n_sv ? c->svm.n_sv : 1) * sizeof *mc->coef);
    if (!mc->sv || !mc->coef)
        return nomem(err);
    memcpy(mc->sv, c->svm.sv, c->svm.n_sv * d * sizeof *c->svm.sv);
    memcpy(mc->coef, c->svm.coef, c->svm.n_sv * sizeof *c->svm.coef);
    return 0;
}

/* A model of the right shape holding the features, scaler, segments and
 * classifier; calibration, tiers and training record still to come. */
static int build_model(lapse_model **out, const lapse_table *t, const lapse_scaler *sc,
                       const segments *g, const classifier *c, const lapse_hazard *hz,
                       lapse_error *err)
{
    const size_t d = t->n_features;
    lapse_model_shape shape = { d, g->k, g->n_profile, c->kind, c->svm.n_sv,
                                LAPSE_CALIBRATION_PLATT, 0, TIER_COUNT };
    lapse_model *m = NULL;
    int rc = lapse_model_create(&m, &shape, err);
    if (rc < 0)
        return rc;
    m->meta = t->meta;
    /* A foreign table's encoding goes with the model, for score. */
    if (t->encoding && !(m->encoding = lapse_foreign_copy(t->encoding)))
        goto nomem;
    for (size_t j = 0; j < d; j++)
        if (!(m->feature_names[j] = dup_string(t->feature_names[j])))
            goto nomem;
    memcpy(m->scaler.transform, sc->transform, d);
    memcpy(m->scaler.mean, sc->mean, d * sizeof *sc->mean);
    memcpy(m->scaler.scale, sc->scale, d * sizeof *sc->scale);

    const size_t kp = g->k * g->n_profile;
    if (g->n_profile) { /* none without segments */
        memcpy(m->segments.profile, g->profile, g->n_profile * sizeof *g->profile);
        memcpy(m->segments.transform, g->scaler.transform, g->n_profile);
        memcpy(m->segments.mean, g->scaler.mean, g->n_profile * sizeof *g->scaler.mean);
        memcpy(m->segments.scale, g->scaler.scale, g->n_profile * sizeof *g->scaler.scale);
        memcpy(m->segments.centroids, g->centroids, kp * sizeof *g->centroids);
        memcpy(m->segments.centroids_original, g->original, kp * sizeof *g->original);
    }
    memcpy(m->segments.sizes, g->sizes, g->k * sizeof *g->sizes);
    m->segments.silhouette = g->silhouette;
    for (size_t i = 0; i < g->k; i++)
        if (!(m->segments.names[i] = dup_string(g->names[i])))
            goto nomem;

    /* Before the classifier: trees over horizons split on the band too. */
    if (hz && !(m->hazard = malloc(sizeof *m->hazard)))
        goto nomem;
    if (hz)
        *m->hazard = *hz;
    *out = m;
    rc = set_classifier(m, c, err);
    if (rc < 0) {
        lapse_model_free(m);
        *out = NULL;
    }
    return rc;
nomem:
    lapse_model_free(m);
    return nomem(err);
}

int train_set_calibration(lapse_model *m, const lapse_calibration *cal, lapse_error *err)
{
    lapse_model_calibration *mcal = &m->calibration;
    if (cal->kind == LAPSE_CALIBRATE_ISOTONIC) {
        double *cx = malloc(cal->points * sizeof *cx), *cy = malloc(cal->points * sizeof *cy);
        if (!cx || !cy) {
            free(cx);
            free(cy);
            return nomem(err);
        }
        memcpy(cx, cal->x, cal->points * sizeof *cx);
        memcpy(cy, cal->y, cal->points * sizeof *cy);
        free(mcal->x);
        free(mcal->y);
        mcal->kind = LAPSE_CALIBRATION_ISOTONIC;
        mcal->n = cal->points;
        mcal->x = cx; /* now owned by the model */
        mcal->y = cy;
    } else {
        mcal->kind = LAPSE_CALIBRATION_PLATT;
        mcal->a = cal->a;
        mcal->b = cal->b;
    }
    return 0;
}

/* Validation: the model's decisions on the validation rows (into ds->fv) as
 * score will compute them, the report's figures from cross-fitted
 * probabilities, the calibration chosen on all of them, and pv (OUT) each
 * row's probability under it. */
static int calibrate_model(lapse_model *m, lapse_train_report *r, const dataset *ds, size_t n,
                           double *pv, const lapse_train_options *o, lapse_error *err)
{
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    double *p = malloc(n * sizeof *p);
    if (!p)
        return nomem(err);
    int rc = lapse_train_decision(ds->fv, m, ds->xv, n, o->threads, err);
    if (rc == 0)
        rc = train_cross_fit(p, ds->fv, ds->yv, n, o->calib_folds, o->seed, err);
    if (rc == 0)
        rc = lapse_metrics_evaluate(&r->valid, p, ds->yv, n, 0.5, err);
    free(p);
    if (rc < 0)
        return rc;

    lapse_calibrate_options co = LAPSE_CALIBRATE_OPTIONS_INIT;
    co.folds = o->calib_folds;
    co.seed = o->seed;
    lapse_calibrate_choice choice;
    rc = lapse_calibrate_choose(&cal, &choice, ds->fv, ds->yv, n, &co, err);
    if (rc < 0)
        goto done;
    r->platt_log_loss = choice.platt_log_loss;
    r->isotonic_log_loss = choice.isotonic_log_loss;
    rc = train_set_calibration(m, &cal, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        pv[i] = lapse_model_calibrate(m, ds->fv[i]);
done:
    lapse_calibrate_clear(&cal);
    return rc;
}

/* Tier thresholds: at shares of the calibrated validation probabilities
 * p[0..n) (sorted here), or at the probabilities asked for. */
static int set_tiers(lapse_model *m, double *p, size_t n, const lapse_train_options *o,
                     lapse_error *err)
{
    m->tiers.kind = o->tiers;
    memcpy(m->tiers.cuts, o->tier_cuts, (TIER_COUNT - 1) * sizeof *o->tier_cuts);
    if (o->tiers == LAPSE_TIERS_PROBABILITY)
        memcpy(m->tiers.thresholds, o->tier_cuts, (TIER_COUNT - 1) * sizeof *o->tier_cuts);
    else
        lapse_train_tiers(m->tiers.thresholds, p, n, o->tier_cuts);
    for (int i = 0; i < TIER_COUNT; i++)
        if (!(m->tiers.names[i] = dup_string(tier_names[i])))
            return nomem(err);
    return 0;
}

/* Refit: the classifier again, with the parameters chosen (C, gamma; no
 * grid), on every labelled row: the training rows (ds->xt, scaled already)
 * and the held-out ones. Its decisions go through the calibration fitted
 * on the first classifier's decisions, which the two share the scale of
 * (same scaler, same penalty, a few more rows): bench/RESULTS.md
 * ("Refit") measures what this does on later snapshots. */
static int refit_classifier(lapse_model *m, lapse_train_report *r, const dataset *ds,
                            const train_split *s, const lapse_table *t, size_t active,
                            const lapse_train_options *o, lapse_error *err)
{
    const size_t d = m->n_features, n = s->n_train + s->n_valid;
    double *x = malloc(n * d * sizeof *x);
    int *y = malloc(n * sizeof *y);
    size_t *rows = malloc(n * sizeof *rows);
    classifier c = { LAPSE_CLASSIFIER_LOGISTIC, NULL, 0, LAPSE_SVM_MODEL_INIT, NULL, 0, 0, 0, 0, 0 };
    int rc = x && y && rows ? 0 : nomem(err);
    if (rc == 0) {
        memcpy(x, ds->xt, s->n_train * d * sizeof *x);
        lapse_scaler_apply(&m->scaler, d, ds->xv, s->n_valid, x + s->n_train * d);
    }
    lapse_train_options again = *o;
    again.grid = 0;
    again.trees = r->gbdt_best_iteration + 1; /* GBDT: what validation chose */
    again.depth = r->gbdt_depth;
    again.eta = r->gbdt_eta;
    if (o->model == LAPSE_CLASSIFIER_SVM) {
        again.C = r->C;
        if (o->kernel == LAPSE_KERNEL_RBF)
            again.gamma = r->gamma;
    }
    const size_t grown = r->gbdt_rounds; /* before early stopping, kept for the report */
    if (rc == 0 && m->hazard) { /* the person-periods of every labelled row */
        memcpy(rows, s->train, s->n_train * sizeof *rows);
        memcpy(rows + s->n_train, s->valid, s->n_valid * sizeof *rows);
        rc = train_hazard_fit(&c, m->hazard, r, t, rows, x, n, active, 0, &again, err);
    } else if (rc == 0) {
        memcpy(y, ds->yt, s->n_train * sizeof *y);
        memcpy(y + s->n_train, ds->yv, s->n_valid * sizeof *y);
        rc = train_fit_classifier(&c, r, x, y, n, d, active, 0, &again, err);
    }
    r->gbdt_rounds = grown;
    if (rc == 0 && (rc = set_classifier(m, &c, err)) == 0 && c.kind == LAPSE_CLASSIFIER_GBDT)
        m->classifier.trees = (uint32_t)o->trees;
    if (rc == 0)
        r->refit_rows = n;
    lapse_svm_model_free(&c.svm);
    free(c.booster);
    free(c.w);
    free(x);
    free(y);
    free(rows);
    return rc;
}

/* What the model was trained on, with what, and how it validated. */
static int record_training(lapse_model *m, const train_split *s, const lapse_train_options *o,
                           const lapse_train_report *r, lapse_error *err)
{
    lapse_model_training *tr = &m->training;
    tr->first_asof = s->first_asof;
    tr->last_asof = s->valid_asof;
    tr->train_rows = s->n_train;
    tr->valid_rows = s->n_valid;
    tr->seed = o->seed;
    char text[LAPSE_MODEL_TEXT_MAX];
    options_text(text, sizeof text, o, r);
    tr->options = dup_string(text);
    tr->lapse_version = dup_string(o->version && o->version[0] ? o->version : "unknown");
    if (!tr->options || !tr->lapse_version)
        return nomem(err);
    const int rolling = s->kind == LAPSE_VALIDATION_ROLLING;
    tr->auc = rolling ? r->rolling_auc : r->valid.auc;
    tr->pr_auc = r->valid.average_precision;
    tr->log_loss = r->valid.log_loss;
    tr->brier = r->valid.brier;
    tr->ece = r->valid.ece;
    tr->auc_se = rolling ? r->rolling_se : r->valid.auc_se;
    tr->validation = s->kind;
    tr->holdout = s->kind == LAPSE_VALIDATION_USERS || s->kind == LAPSE_VALIDATION_RANDOM
                      ? o->holdout
                  : rolling ? (double)o->rolling_folds
                            : NAN;
    tr->refit = o->refit != 0;
    return 0;
}

static void step_done(const lapse_train_options *o, int64_t done, int64_t steps)
{
    if (o->progress)
        o->progress(done, steps, o->progress_user);
}

static void report_init(lapse_train_report *r)
{
    memset(r, 0, sizeof *r);
    r->grid_auc = r->grid_logloss = r->platt_log_loss = r->isotonic_log_loss = NAN;
    r->rolling_auc = r->rolling_se = r->rolling_sd = r->rolling_sampling_se = NAN;
    for (int k = 0; k <= LAPSE_TRAIN_K_AUTO_MAX; k++)
        r->k_silhouette[k] = NAN;
}

/* One split's model before the refit (steps 1 to 6). */
typedef struct {
    train_split s;
    dataset ds;
    lapse_scaler sc;
    segments g;
    classifier c;
    lapse_model *m;
    size_t active; /* features that vary over the training rows */
} fold_fit;

static void fold_fit_free(fold_fit *f)
{
    lapse_model_free(f->m);
    lapse_svm_model_free(&f->c.svm);
    free(f->c.booster);
    free(f->c.w);
    segments_free(&f->g);
    lapse_scaler_clear(&f->sc);
    dataset_free(&f->ds);
    train_split_free(&f->s);
}

/* Split (fold of ROLLING, else the one split), scale, segment, fit,
 * calibrate and tier into f; progress from step done + 1 to done + 3. */
static int fit_fold(fold_fit *f, lapse_train_report *r, const lapse_table *table, size_t fold,
                    int64_t done, int64_t steps, const lapse_train_options *o, lapse_error *err)
{
    int rc = train_split_fold(&f->s, table, o, fold, err);
    const train_split *s = &f->s;
    r->validation = s->kind;
    r->valid_users = s->valid_users;
    r->holdout_file_unknown = s->file_unknown;
    if (rc < 0)
        return rc;
    r->train_rows = s->n_train;
    r->valid_rows = s->n_valid;
    r->unlabelled_rows = s->unlabelled;
    r->train_snapshots = s->snapshots_train;
    r->valid_asof = s->valid_asof;
    const int hazard = o->horizons.n_bands > 0;
    lapse_hazard hz;
    if (hazard && (rc = train_hazard_prepare(&hz, table, o, err)) < 0)
        return rc;
    if ((rc = gather_rows(&f->ds, r, table, s, err)) < 0 ||
        (rc = fit_scaler(&f->sc, &r->constant_features, table, s, &f->ds, err)) < 0 ||
        (rc = fit_segments(&f->g, r, table, f->ds.xt, s->n_train, o, err)) < 0)
        return rc;
    step_done(o, done + 1, steps);
    f->active = table->n_features - r->constant_features;
    /* The classifier sees the training rows scaled as score will scale rows. */
    lapse_scaler_apply(&f->sc, table->n_features, f->ds.xt, s->n_train, f->ds.xt);
    if (hazard) {
        rc = train_hazard_fit(&f->c, &hz, r, table, s->train, f->ds.xt, s->n_train, f->active, 1,
                              o, err);
    } else {
        rc = train_fit_classifier(&f->c, r, f->ds.xt, f->ds.yt, s->n_train, table->n_features,
                                  f->active, 1, o, err);
    }
    if (rc < 0 ||
        (rc = build_model(&f->m, table, &f->sc, &f->g, &f->c, hazard ? &hz : NULL, err)) < 0)
        return rc;
    step_done(o, done + 2, steps);
    if (hazard) {
        rc = train_hazard_validate(f->m, r, table, s->valid, f->ds.xv,
                                   s->n_valid, f->ds.fv, o, err);
    } else {
        rc = calibrate_model(f->m, r, &f->ds, s->n_valid, f->ds.fv, o, err);
    }
    /* ds.fv now holds the validation rows' probabilities, for the tiers. */
    if (rc < 0 || (rc = set_tiers(f->m, f->ds.fv, s->n_valid, o, err)) < 0)
        return rc;
    step_done(o, done + 3, steps);
    return 0;
}

/* The summary of the folds (lapse/train.h, ROLLING, says why this SE). */
static void rolling_summary(lapse_train_report *r)
{
    const size_t k = r->rolling_folds;
    double mean = 0, mean_var = 0, ss = 0;
    for (size_t i = 0; i < k; i++) {
        mean += r->folds[i].auc;
        mean_var += r->folds[i].auc_se * r->folds[i].auc_se;
    }
    mean /= (double)k;
    mean_var /= (double)k;
    for (size_t i = 0; i < k; i++)
        ss += (r->folds[i].auc - mean) * (r->folds[i].auc - mean);
    const double var = ss / (double)(k - 1);
    r->rolling_auc = mean;
    r->rolling_sd = sqrt(var);
    r->rolling_sampling_se = sqrt(mean_var);
    r->rolling_se = sqrt(fmax(var, mean_var) * (1 + 1 / (double)k));
}

int lapse_train(lapse_model **out, lapse_train_report *report, const lapse_table *table,
                const lapse_train_options *opts, lapse_error *err)
{
    *out = NULL;
    lapse_train_options defaults = LAPSE_TRAIN_OPTIONS_INIT;
    const lapse_train_options *o = opts ? opts : &defaults;
    lapse_train_report local;
    lapse_train_report *r = report ? report : &local;
    report_init(r);
    int rc = check_options(o, err);
    if (rc < 0)
        return rc;

    /* ROLLING: every fold but the latest is measured and let go; the
     * latest is the model, as LAST_SNAPSHOT's split would be. */
    const size_t folds = o->validate == LAPSE_VALIDATION_ROLLING ? o->rolling_folds : 1;
    const int64_t steps = 3 * (int64_t)folds + (o->refit != 0);
    fold_fit f;
    lapse_train_report earlier;
    const classifier blank = { LAPSE_CLASSIFIER_LOGISTIC, NULL, 0, LAPSE_SVM_MODEL_INIT, NULL, 0, 0,
                               0, 0, 0 };
    for (size_t k = 0; k < folds; k++) {
        memset(&f, 0, sizeof f);
        f.c = blank;
        lapse_train_report *fr = k + 1 < folds ? &earlier : r;
        if (fr == &earlier)
            report_init(fr);
        if ((rc = fit_fold(&f, fr, table, k, 3 * (int64_t)k, steps, o, err)) < 0)
            goto done;
        if (folds > 1) {
            const lapse_train_fold one = { fr->valid_asof, fr->train_rows, fr->valid_rows,
                                           fr->valid_positives, fr->valid.auc, fr->valid.auc_se };
            r->folds[r->rolling_folds++] = one;
        }
        if (k + 1 < folds)
            fold_fit_free(&f);
    }
    if (folds > 1)
        rolling_summary(r);
    if ((o->refit && (rc = refit_classifier(f.m, r, &f.ds, &f.s, table, f.active, o, err)) < 0) ||
        (rc = record_training(f.m, &f.s, o, r, err)) < 0 ||
        (rc = lapse_model_validate(f.m, err)) < 0)
        goto done;
    step_done(o, steps, steps);
    *out = f.m; /* now owned by the caller */
    f.m = NULL;
done:
    fold_fit_free(&f);
    return rc;
}
