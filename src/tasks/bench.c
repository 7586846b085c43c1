/* lapse bench: the scorer's rows per second beside the plain tool's. */
#include "lapse/bench.h"

#include "lapse/gbdt.h"
#include "lapse/score.h"
#include "lapse/svm.h"
#include "lapse/trees.h"
#include "learn_rng.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <svm.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int no_classifier(const lapse_model *model, lapse_error *err)
{
    if (model->btyd || model->classifier.kind == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "lapse bench measures classifier models (logistic, SVM), not "
                               "this one");
    return LAPSE_OK;
}

/* The bare evaluators below walk one decision per row: trees over horizons
 * have one per band (lapse_model_band_margins). */
static int one_decision(const lapse_model *model, lapse_error *err)
{
    if (lapse_model_band_trees(model))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "lapse bench's tree and reference timings are for one horizon: "
                               "this model has trees over horizons (time lapse score, as "
                               "bench/horizons.sh does)");
    return no_classifier(model, err);
}

/* A standard normal by Box-Muller, clipped: a few extreme rows would only
 * measure the tails of exp and log. */
static double normal(uint64_t *state)
{
    const double u = learn_rng_uniform(state), v = learn_rng_uniform(state);
    const double z = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
    return z < -3 ? -3 : z > 3 ? 3 : z;
}

int lapse_bench_rows(double **out, const lapse_model *model, size_t n, uint64_t seed,
                     lapse_error *err)
{
    *out = NULL;
    int status = no_classifier(model, err);
    if (status)
        return status;
    const size_t d = model->n_features;
    double *x = malloc((n ? n : 1) * d * sizeof *x);
    if (!x)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    const lapse_scaler *s = &model->scaler;
    uint64_t state = seed;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            const int dropped = s->scale[j] >= LAPSE_MODEL_SCALE_DROPPED;
            const double t = dropped ? s->mean[j] : s->mean[j] + s->scale[j] * normal(&state);
            x[i * d + j] = s->transform[j] == LAPSE_TRANSFORM_LOG1P ? fmax(0, expm1(t)) : t;
        }
    *out = x;
    return LAPSE_OK;
}

int lapse_bench_scorer(double *rate, int reps, const lapse_model *model, const double *raw,
                       size_t n, int threads, const lapse_bench_options *bench,
                       double *decision, lapse_error *err)
{
    int status = no_classifier(model, err);
    if (status)
        return status;
    const lapse_bench_options defaults = LAPSE_BENCH_OPTIONS_INIT;
    if (!bench)
        bench = &defaults;
    lapse_score_options opts = LAPSE_SCORE_OPTIONS_INIT;
    opts.threads = threads;
    opts.reasons = bench->reasons;
    opts.single_precision = bench->fast;
    lapse_scorer *scorer = NULL;
    lapse_score_result *res = malloc((n ? n : 1) * sizeof *res);
    if (!res)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    status = lapse_score_create(&scorer, model, &opts, err);
    for (int r = 0; status == LAPSE_OK && r < reps; r++) {
        const double start = now();
        status = lapse_score_rows(scorer, res, raw, n, err);
        rate[r] = (double)n / (now() - start);
    }
    for (size_t i = 0; status == LAPSE_OK && i < n; i++)
        decision[i] = res[i].decision;
    lapse_score_free(scorer);
    free(res);
    return status;
}

/* The model's SVM as libsvm holds it, with sparse rows made beforehand: the
 * reference is timed on the prediction alone, as svm-predict spends it. */
static int svm_reference(double *rate, int reps, const lapse_model *model, const double *xs,
                         size_t n, double *decision, lapse_error *err)
{
    const lapse_model_classifier *c = &model->classifier;
    const size_t d = model->n_features;
    lapse_svm_model packed = LAPSE_SVM_MODEL_INIT;
    packed.kernel = c->kernel == LAPSE_KERNEL_RBF ? LAPSE_SVM_RBF : LAPSE_SVM_LINEAR;
    packed.d = d;
    packed.n_sv = c->n_sv;
    packed.gamma = c->gamma;
    packed.rho = c->rho;
    packed.sv = c->sv;
    packed.coef = c->coef;
    for (size_t i = 0; i < c->n_sv; i++)
        packed.n_sv_churn += c->coef[i] > 0;
    struct svm_model *lib = NULL;
    int status = lapse_svm_unpack(&lib, &packed, err);
    struct svm_node *nodes = status ? NULL : malloc((n * (d + 1) + 1) * sizeof *nodes);
    if (!status && !nodes)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    for (size_t i = 0; !status && i < n; i++) {
        struct svm_node *row = nodes + i * (d + 1);
        size_t k = 0;
        for (size_t j = 0; j < d; j++)
            if (xs[i * d + j] != 0)
                row[k++] = (struct svm_node){ (int)j + 1, xs[i * d + j] };
        row[k].index = -1;
    }
    for (int r = 0; !status && r < reps; r++) {
        const double start = now();
        for (size_t i = 0; i < n; i++)
            svm_predict_values(lib, nodes + i * (d + 1), &decision[i]);
        rate[r] = (double)n / (now() - start);
    }
    free(nodes);
    lapse_svm_unpacked_free(lib);
    return status;
}

int lapse_bench_trees(double *rate, int reps, const lapse_model *model, const double *raw,
                      size_t n, const lapse_bench_options *bench, double *decision,
                      lapse_error *err)
{
    const lapse_bench_options defaults = LAPSE_BENCH_OPTIONS_INIT;
    if (!bench)
        bench = &defaults;
    if (model->btyd || model->classifier.kind != LAPSE_CLASSIFIER_GBDT)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the bare tree evaluator is for boosted trees");
    int status = one_decision(model, err);
    if (status)
        return status;
    const size_t d = model->n_features;
    const int reasons = bench->reasons > 0;
    lapse_forest *f = NULL;
    status = lapse_forest_compile(&f, &model->classifier.forest, d, err);
    if (status)
        return status;
    double *xs = malloc((n ? n : 1) * d * sizeof *xs);
    double *contrib = reasons ? malloc((n ? n : 1) * (d + 1) * sizeof *contrib) : NULL;
    void *scratch = malloc(lapse_forest_scratch(f));
    if (!xs || !scratch || (reasons && !contrib))
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    if (!status)
        lapse_scaler_apply(&model->scaler, d, raw, n, xs);
    for (int r = 0; !status && r < reps; r++) {
        const double start = now();
        if (reasons)
            lapse_forest_contribs(f, contrib, xs, n, scratch);
        else
            lapse_forest_margin(f, decision, xs, n, bench->fast, scratch);
        rate[r] = (double)n / (now() - start);
    }
    for (size_t i = 0; !status && reasons && i < n; i++) {
        decision[i] = 0;
        for (size_t j = 0; j <= d; j++)
            decision[i] += contrib[i * (d + 1) + j];
    }
    free(xs);
    free(contrib);
    free(scratch);
    lapse_forest_free(f);
    return status;
}

/* XGBoost's predictor on the model's own XGBoost bytes, one thread: margins,
 * or with reasons pred_contribs (whose rows sum to the margin). */
static int gbdt_reference(double *rate, int reps, const lapse_model *model, const double *xs,
                          size_t n, int reasons, double *decision, const char **name,
                          lapse_error *err)
{
    const lapse_model_classifier *c = &model->classifier;
    const size_t d = model->n_features;
    *name = reasons ? "XGBoost's pred_contribs (TreeSHAP, one thread) on scaled rows"
                    : "XGBoost's predictor (margin, one thread) on scaled rows";
    if (!c->booster)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                               "the model does not carry XGBoost's bytes to compare with");
    double *contrib = reasons ? malloc((n ? n : 1) * (d + 1) * sizeof *contrib) : NULL;
    if (reasons && !contrib)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    lapse_gbdt *g = NULL;
    int status = lapse_gbdt_load(&g, NULL, c->booster, c->booster_size, d, 1, err);
    for (int r = 0; !status && r < reps; r++) {
        const double start = now();
        status = reasons ? lapse_gbdt_contribs(g, contrib, xs, n, err)
                         : lapse_gbdt_margin(g, decision, xs, n, err);
        rate[r] = (double)n / (now() - start);
    }
    for (size_t i = 0; !status && reasons && i < n; i++) {
        decision[i] = 0;
        for (size_t j = 0; j <= d; j++)
            decision[i] += contrib[i * (d + 1) + j];
    }
    lapse_gbdt_free(g);
    free(contrib);
    return status;
}

int lapse_bench_reference(double *rate, int reps, const lapse_model *model, const double *raw,
                          size_t n, const lapse_bench_options *bench, double *decision,
                          const char **name, lapse_error *err)
{
    int status = one_decision(model, err);
    if (status)
        return status;
    const lapse_bench_options defaults = LAPSE_BENCH_OPTIONS_INIT;
    if (!bench)
        bench = &defaults;
    const size_t d = model->n_features;
    double *xs = malloc((n ? n : 1) * d * sizeof *xs);
    if (!xs)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    const lapse_model_classifier *c = &model->classifier;
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        *name = "dot product (OpenBLAS DGEMV), scaling included";
        for (int r = 0; r < reps; r++) {
            const double start = now();
            lapse_scaler_apply(&model->scaler, d, raw, n, xs);
            for (size_t i = 0; i < n; i++)
                decision[i] = c->bias;
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, xs, (int)d, c->weights,
                        1, 1.0, decision, 1);
            rate[r] = (double)n / (now() - start);
        }
    } else if (c->kind == LAPSE_CLASSIFIER_SVM) {
        *name = "libsvm svm_predict_values on sparse scaled rows";
        lapse_scaler_apply(&model->scaler, d, raw, n, xs);
        status = svm_reference(rate, reps, model, xs, n, decision, err);
    } else if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        lapse_scaler_apply(&model->scaler, d, raw, n, xs);
        status = gbdt_reference(rate, reps, model, xs, n, bench->reasons > 0, decision, name, err);
    } else {
        status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                 "no reference scorer for this classifier kind");
    }
    free(xs);
    return status;
}
