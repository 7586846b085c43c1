/* Gradient-boosted trees: training, loading and prediction through
 * XGBoost's C API. */
#include "lapse/gbdt.h"

#include <nettle/sha2.h>
#include <xgboost/c_api.h>

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lapse_gbdt_digest(unsigned char digest[LAPSE_GBDT_DIGEST_SIZE], const unsigned char *model,
                       size_t n)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, n, model);
    sha256_digest(&ctx, LAPSE_GBDT_DIGEST_SIZE, digest);
}

struct lapse_gbdt {
    BoosterHandle booster;
    size_t d;
};

/* The library never prints: XGBoost's messages are dropped (its errors
 * still reach the caller through XGBGetLastError). */
static void drop_message(const char *message)
{
    (void)message;
}

static void quiet_once(void)
{
    XGBRegisterLogCallback(drop_message);
    XGBSetGlobalConfig("{\"verbosity\": 0}");
}

static void quiet(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_once);
}

/* XGBoost's message without the stack trace it appends. */
static int xgb_error(lapse_error *err, int code, const char *what)
{
    const char *msg = XGBGetLastError();
    const char *nl = strchr(msg, '\n');
    const int len = nl ? (int)(nl - msg) : (int)strlen(msg);
    return lapse_error_set(err, code, NULL, 0, 0, -1, "XGBoost %s: %.*s", what, len, msg);
}

/* NumPy's array interface of a dense row-major double matrix, the form
 * XGBoost reads without copying. */
static void array_interface(char *buf, size_t size, const double *x, size_t n, size_t d)
{
    snprintf(buf, size,
             "{\"data\": [%" PRIuPTR ", true], \"shape\": [%zu, %zu], \"typestr\": \"<f8\", "
             "\"version\": 3}",
             (uintptr_t)x, n, d);
}

static int dmatrix(DMatrixHandle *out, const double *x, size_t n, size_t d, lapse_error *err)
{
    char ai[256];
    array_interface(ai, sizeof ai, x, n, d);
    if (XGDMatrixCreateFromDense(ai, "{\"missing\": NaN, \"nthread\": 1}", out) != 0)
        return xgb_error(err, LAPSE_ERR_RANGE, "could not take the rows");
    return 0;
}

static int set_labels(DMatrixHandle m, const int *y, size_t n, lapse_error *err)
{
    float *label = malloc((n ? n : 1) * sizeof *label);
    if (!label)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (size_t i = 0; i < n; i++)
        label[i] = y[i] != 0;
    int rc = XGDMatrixSetFloatInfo(m, "label", label, n) == 0
                 ? 0
                 : xgb_error(err, LAPSE_ERR_RANGE, "could not take the labels");
    free(label);
    return rc;
}

/* The validation log loss of round iter, from XGBoost's "[i]\tvalid-logloss:v". */
static int valid_logloss(BoosterHandle b, int iter, DMatrixHandle dv, double *out,
                         lapse_error *err)
{
    const char *names[] = { "valid" };
    const char *text = NULL;
    if (XGBoosterEvalOneIter(b, iter, &dv, names, 1, &text) != 0)
        return xgb_error(err, LAPSE_ERR_RANGE, "could not evaluate the validation rows");
    const char *colon = strrchr(text, ':');
    char *end = NULL;
    *out = colon ? strtod(colon + 1, &end) : NAN;
    if (!colon || end == colon + 1 || !isfinite(*out)) /* NaN would never stop early */
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "XGBoost's evaluation \"%s\" has no finite log loss", text);
    return 0;
}

static int set_params(BoosterHandle b, const lapse_gbdt_options *o, lapse_error *err)
{
    char depth[32], eta[40], seed[32];
    snprintf(depth, sizeof depth, "%d", o->depth);
    snprintf(eta, sizeof eta, "%.17g", o->eta);
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    const char *params[][2] = {
        { "objective", "binary:logistic" }, { "tree_method", "hist" }, { "nthread", "1" },
        { "max_depth", depth },              { "eta", eta },           { "seed", seed },
        { "eval_metric", "logloss" },
    };
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (XGBoosterSetParam(b, params[i][0], params[i][1]) != 0)
            return xgb_error(err, LAPSE_ERR_ARG, "refused a parameter");
    return 0;
}

int lapse_gbdt_train(unsigned char **model, size_t *size, lapse_gbdt_info *info, const double *x,
                     const int *y, size_t n, size_t d, const double *xv, const int *yv, size_t nv,
                     const lapse_gbdt_options *opts, lapse_error *err)
{
    lapse_gbdt_options defaults = LAPSE_GBDT_OPTIONS_INIT;
    const lapse_gbdt_options *o = opts ? opts : &defaults;
    *model = NULL;
    *size = 0;
    if (o->trees < 1 || o->trees > 100000 || o->depth < 1 || o->depth > 16 ||
        !(o->eta > 0 && o->eta <= 1) || n == 0 || d == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "gbdt needs 1..100000 trees, depth 1..16, eta in (0, 1] and rows");
    quiet();
    DMatrixHandle dt = NULL, dv = NULL;
    BoosterHandle b = NULL, best = NULL;
    int rc = dmatrix(&dt, x, n, d, err);
    if (rc == 0)
        rc = set_labels(dt, y, n, err);
    if (rc == 0 && nv && (rc = dmatrix(&dv, xv, nv, d, err)) == 0)
        rc = set_labels(dv, yv, nv, err);
    if (rc == 0 && XGBoosterCreate(&dt, 1, &b) != 0)
        rc = xgb_error(err, LAPSE_ERR_RANGE, "could not create a booster");
    if (rc == 0)
        rc = set_params(b, o, err);
    size_t best_iter = 0, rounds = 0;
    double best_loss = NAN;
    for (size_t it = 0; rc == 0 && it < o->trees; it++) {
        if (XGBoosterUpdateOneIter(b, (int)it, dt) != 0) {
            rc = xgb_error(err, LAPSE_ERR_RANGE, "could not grow a tree");
            break;
        }
        rounds = it + 1;
        if (!dv) {
            best_iter = it;
            continue;
        }
        double loss = NAN;
        if ((rc = valid_logloss(b, (int)it, dv, &loss, err)) < 0)
            break;
        if (isnan(best_loss) || loss < best_loss) {
            best_loss = loss;
            best_iter = it;
        } else if (it - best_iter >= LAPSE_GBDT_EARLY_STOP) {
            break;
        }
    }
    if (rc == 0 && XGBoosterSlice(b, 0, (int)best_iter + 1, 1, &best) != 0)
        rc = xgb_error(err, LAPSE_ERR_RANGE, "could not keep the best rounds");
    if (rc == 0) {
        bst_ulong len = 0;
        const char *bytes = NULL;
        if (XGBoosterSaveModelToBuffer(best, "{\"format\": \"json\"}", &len, &bytes) != 0) {
            rc = xgb_error(err, LAPSE_ERR_RANGE, "could not serialize the model");
        } else if (!(*model = malloc(len))) {
            rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        } else {
            memcpy(*model, bytes, len);
            *size = len;
        }
    }
    if (info) {
        info->rounds = rounds;
        info->best_iteration = best_iter;
        info->best_logloss = best_loss;
    }
    XGBoosterFree(best);
    XGBoosterFree(b);
    XGDMatrixFree(dv);
    XGDMatrixFree(dt);
    return rc;
}

int lapse_gbdt_load(lapse_gbdt **out, size_t *rounds, const unsigned char *model, size_t size,
                    size_t d, int threads, lapse_error *err)
{
    *out = NULL;
    quiet();
    int rc = lapse_gbdt_check(model, size, d, err);
    if (rc < 0)
        return rc;
    lapse_gbdt *g = calloc(1, sizeof *g);
    if (!g)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    g->d = d;
    char nthread[32];
    snprintf(nthread, sizeof nthread, "%d", threads > 0 ? threads : 1);
    bst_ulong nf = 0;
    int r = 0;
    if (XGBoosterCreate(NULL, 0, &g->booster) != 0 ||
        XGBoosterLoadModelFromBuffer(g->booster, model, size) != 0 ||
        XGBoosterGetNumFeature(g->booster, &nf) != 0 || XGBoosterBoostedRounds(g->booster, &r) != 0 ||
        XGBoosterSetParam(g->booster, "nthread", nthread) != 0)
        rc = xgb_error(err, LAPSE_ERR_FORMAT, "refused the embedded model");
    else if (nf != d || r < 1)
        rc = lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                             "the embedded XGBoost model has %llu features and %d rounds; the "
                             "model has %zu features",
                             (unsigned long long)nf, r, d);
    if (rc < 0) {
        lapse_gbdt_free(g);
        return rc;
    }
    if (rounds)
        *rounds = (size_t)r;
    *out = g;
    return 0;
}

void lapse_gbdt_free(lapse_gbdt *g)
{
    if (!g)
        return;
    XGBoosterFree(g->booster);
    free(g);
}

static void widen(double *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

int lapse_gbdt_margin(lapse_gbdt *g, double *out, const double *x, size_t n, lapse_error *err)
{
    if (n == 0)
        return 0;
    char ai[256];
    array_interface(ai, sizeof ai, x, n, g->d);
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    /* type 1: the margin; in-place, without a DMatrix. */
    if (XGBoosterPredictFromDense(g->booster, ai,
                                  "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, "
                                  "\"iteration_end\": 0, \"strict_shape\": false, "
                                  "\"missing\": NaN, \"cache_id\": 0}",
                                  NULL, &shape, &dim, &res) != 0)
        return xgb_error(err, LAPSE_ERR_RANGE, "could not predict");
    widen(out, res, n);
    return 0;
}

int lapse_gbdt_contribs(lapse_gbdt *g, double *out, const double *x, size_t n, lapse_error *err)
{
    if (n == 0)
        return 0;
    DMatrixHandle m = NULL;
    int rc = dmatrix(&m, x, n, g->d, err);
    if (rc < 0)
        return rc;
    const bst_ulong *shape = NULL;
    bst_ulong dim = 0;
    const float *res = NULL;
    /* type 2: contributions, (d + 1) per row with the bias last. */
    if (XGBoosterPredictFromDMatrix(g->booster, m,
                                    "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, "
                                    "\"iteration_end\": 0, \"strict_shape\": false}",
                                    &shape, &dim, &res) != 0)
        rc = xgb_error(err, LAPSE_ERR_RANGE, "could not compute contributions");
    else
        widen(out, res, n * (g->d + 1));
    XGDMatrixFree(m);
    return rc;
}
