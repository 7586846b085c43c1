/* Scoring rows: scaler, classifier, calibration, tiers, segments, value,
 * reasons and action, over blocks of rows on a few threads. */
#include "lapse/score.h"

#include "lapse/trees.h"
#include "lapse/logistic.h"
#include "lapse/svm.h"
#include "lapse/svmscore.h"
#include "parallel.h"
#include "score_internal.h"

#include <cblas.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REASON_SVS 512 /* support vectors per SGEMM of the RBF reasons */
#define REASON_ROWS 16 /* rows scaled, then given reasons, at a time: 10 KB at 79 features */

/* Per-thread scratch for RBF reasons, each array its own cache lines. */
typedef struct {
    float *xf;   /* block x d: rows centred on the support vectors' mean */
    float *xx;   /* block: gamma |xf_r|^2 */
    float *k;    /* REASON_SVS x block: coef_i K(sv_i, x_r) */
    float *b;    /* block x d: sum_i coef_i K_ir sv_i (centred) */
    double *a;   /* block: sum_i coef_i K_ir */
    double *g;   /* d: one row's gradient */
} reason_scratch;

struct lapse_scorer {
    const lapse_model *model;
    lapse_score_options opts;
    lapse_action_rules *own_rules;
    const lapse_action_rules *rules;
    size_t d, block;
    int threads;
    /* Feature columns the outputs read; -1 when the model lacks one. */
    long f_silent, f_recency, f_purchases, f_spend, f_spend90;
    double warning; /* churn_by's threshold: the second-highest tier's lower bound */
    lapse_trigger_columns triggers;
    lapse_svm_scorer *svm; /* SVM decisions */
    lapse_forest *forest;  /* GBDT decisions, and reasons from its contributions */
    int fast_trees;        /* GBDT: float32 thresholds (--fast, when they exist) */
    void **shap;           /* GBDT: [threads] the evaluator's scratch */
    /* GBDT with horizons: [threads] the person-period rows
     * (lapse_model_band_margins), then for reasons a block of rows with
     * their decision band and its contributions. */
    void **band_scratch;
    /* The gradient of a linear decision (logistic weights, or the folded
     * weights of a linear SVM); NULL for RBF. */
    double *grad;
    /* The features grad can name as reasons (weight not 0), largest |weight|
     * first (top_reasons), and grad in that order. */
    uint32_t *reason_order; /* every feature in index order without grad */
    double *grad_ordered;
    size_t n_reason_order;
    /* RBF reasons in single precision. */
    double *mu;  /* d: support vectors' mean */
    float *svf;  /* n_sv x d, centred */
    float *ssf;  /* n_sv: gamma |sv_i - mu|^2 */
    float *coef; /* n_sv */
    reason_scratch *scratch; /* [threads] */
    /* Per call, grown as needed. */
    size_t cap;
    double *xs;   /* cap x d scaled rows */
    double *dec;  /* cap decisions */
    double *bands; /* GBDT with horizons: cap x n_bands margins */
    double *contrib; /* GBDT reasons: cap x (d + 1) contributions */
    size_t *seg;  /* cap segments */
    unsigned char *high; /* cap: bit q set when reason q's scaled value is above 0 */
};

int lapse__score_threads(const lapse_scorer *s)
{
    return s->threads;
}

const lapse_model *lapse_score_model(const lapse_scorer *s)
{
    return s->model;
}

static long find_feature(const lapse_model *m, const char *name)
{
    for (size_t j = 0; j < m->n_features; j++)
        if (strcmp(m->feature_names[j], name) == 0)
            return (long)j;
    return -1;
}

void lapse_score_free(lapse_scorer *s)
{
    if (!s)
        return;
    if (s->scratch)
        for (int t = 0; t < s->threads; t++) {
            reason_scratch *w = &s->scratch[t];
            free(w->xf);
            free(w->xx);
            free(w->k);
            free(w->b);
            free(w->a);
            free(w->g);
        }
    free(s->scratch);
    lapse_svm_scorer_free(s->svm);
    if (s->shap)
        for (int t = 0; t < s->threads; t++)
            free(s->shap[t]);
    free(s->shap);
    if (s->band_scratch)
        for (int t = 0; t < s->threads; t++)
            free(s->band_scratch[t]);
    free(s->band_scratch);
    free(s->bands);
    lapse_forest_free(s->forest);
    free(s->contrib);
    lapse_action_rules_free(s->own_rules);
    free(s->grad);
    free(s->reason_order);
    free(s->grad_ordered);
    free(s->mu);
    free(s->svf);
    free(s->ssf);
    free(s->coef);
    free(s->xs);
    free(s->dec);
    free(s->seg);
    free(s->high);
    free(s);
}

/* The SVM fields of a lapse_model as lapse/svm.h's model (borrowing the
 * arrays: the scorer copies what it keeps). */
static lapse_svm_model svm_view(const lapse_model *m)
{
    const lapse_model_classifier *c = &m->classifier;
    lapse_svm_model v = LAPSE_SVM_MODEL_INIT;
    v.kernel = c->kernel == LAPSE_KERNEL_RBF ? LAPSE_SVM_RBF : LAPSE_SVM_LINEAR;
    v.d = m->n_features;
    v.n_sv = c->n_sv;
    while (v.n_sv_churn < c->n_sv && c->coef[v.n_sv_churn] > 0)
        v.n_sv_churn++;
    v.gamma = c->kernel == LAPSE_KERNEL_RBF ? c->gamma : 0.0;
    v.rho = c->rho;
    v.sv = c->sv;
    v.coef = c->coef;
    return v;
}

typedef struct {
    double weight; /* |w_j| */
    uint32_t index;
} weighted_feature;

static int by_weight(const void *pa, const void *pb)
{
    const weighted_feature *a = pa, *b = pb;
    if (a->weight != b->weight)
        return a->weight > b->weight ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* s->reason_order: from s->grad when there is one (a weight of 0, or NaN,
 * never makes a positive contribution, so its feature is left out), else
 * every feature. */
static int prepare_reason_order(lapse_scorer *s)
{
    weighted_feature *w = malloc(s->d * sizeof *w);
    s->reason_order = malloc(s->d * sizeof *s->reason_order);
    s->grad_ordered = malloc(s->d * sizeof *s->grad_ordered);
    if (!w || !s->reason_order || !s->grad_ordered) {
        free(w);
        return LAPSE_ERR_NOMEM;
    }
    size_t n = 0;
    for (size_t j = 0; j < s->d; j++)
        if (!s->grad || fabs(s->grad[j]) > 0)
            w[n++] = (weighted_feature){ s->grad ? fabs(s->grad[j]) : 0, (uint32_t)j };
    qsort(w, n, sizeof *w, by_weight);
    for (size_t t = 0; t < n; t++) {
        s->reason_order[t] = w[t].index;
        s->grad_ordered[t] = s->grad ? s->grad[w[t].index] : 1.0;
    }
    s->n_reason_order = n;
    free(w);
    return 0;
}

static int prepare_rbf_reasons(lapse_scorer *s)
{
    const lapse_model_classifier *c = &s->model->classifier;
    size_t d = s->d, l = c->n_sv, R = s->block;
    s->mu = calloc(d, sizeof *s->mu);
    s->svf = malloc(l * d * sizeof *s->svf);
    s->ssf = malloc(l * sizeof *s->ssf);
    s->coef = malloc(l * sizeof *s->coef);
    s->scratch = calloc((size_t)s->threads, sizeof *s->scratch);
    if (!s->mu || !s->svf || !s->ssf || !s->coef || !s->scratch)
        return LAPSE_ERR_NOMEM;
    /* Centring on the support vectors' mean leaves distances unchanged and
     * keeps |x|^2 + |sv|^2 - 2 x.sv from cancelling in float. */
    for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < d; j++)
            s->mu[j] += c->sv[i * d + j];
    for (size_t j = 0; j < d; j++)
        s->mu[j] /= (double)l;
    for (size_t i = 0; i < l; i++) {
        double sum = 0;
        for (size_t j = 0; j < d; j++) {
            float v = (float)(c->sv[i * d + j] - s->mu[j]);
            s->svf[i * d + j] = v;
            sum += (double)v * v;
        }
        s->ssf[i] = (float)(c->gamma * sum);
        s->coef[i] = (float)c->coef[i];
    }
    size_t S = l < REASON_SVS ? l : REASON_SVS;
    for (int t = 0; t < s->threads; t++) {
        reason_scratch *w = &s->scratch[t];
        w->xf = lapse_parallel_scratch(R * d * sizeof *w->xf);
        w->xx = lapse_parallel_scratch(R * sizeof *w->xx);
        w->k = lapse_parallel_scratch(S * R * sizeof *w->k);
        w->b = lapse_parallel_scratch(R * d * sizeof *w->b);
        w->a = lapse_parallel_scratch(R * sizeof *w->a);
        w->g = lapse_parallel_scratch(d * sizeof *w->g);
        if (!w->xf || !w->xx || !w->k || !w->b || !w->a || !w->g)
            return LAPSE_ERR_NOMEM;
    }
    return 0;
}

/* GBDT with horizons: a thread's scratch for a block (see band_scratch). */
static size_t band_scratch_size(const lapse_scorer *s)
{
    const size_t reasons = s->opts.reasons > 0 ? s->block * (2 * s->d + 3) * sizeof(double) : 0;
    return lapse_model_band_scratch(s->model, s->block) + reasons;
}

int lapse_score_create(lapse_scorer **out, const lapse_model *model,
                       const lapse_score_options *opts, lapse_error *err)
{
    *out = NULL;
    lapse_score_options defaults = LAPSE_SCORE_OPTIONS_INIT;
    const lapse_score_options *o = opts ? opts : &defaults;
    if (o->threads < 0 || o->threads > LAPSE_SCORE_MAX_THREADS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "thread count %d outside 0..%d", o->threads,
                               LAPSE_SCORE_MAX_THREADS);
    if (o->reasons < 0 || o->reasons > LAPSE_SCORE_REASONS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "reasons %d outside 0..%d",
                               o->reasons, LAPSE_SCORE_REASONS);
    if (o->block_rows > 65536)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "block of %zu rows: at most 65536", o->block_rows);
    int status = lapse_model_validate(model, err);
    if (status != LAPSE_OK)
        return status;

    lapse_scorer *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->model = model;
    s->opts = *o;
    s->d = model->n_features;
    s->block = o->block_rows ? o->block_rows : 256;
    s->threads = lapse_parallel_threads(o->threads, LAPSE_SCORE_MAX_THREADS);
    if (o->rules) {
        s->rules = o->rules;
    } else {
        s->own_rules = lapse_action_rules_default();
        if (!s->own_rules)
            goto nomem;
        s->rules = s->own_rules;
    }
    s->f_silent = find_feature(model, "days_silent");
    const lapse_model_tiers *tiers = &model->tiers;
    s->warning = tiers->n_tiers >= 3   ? tiers->thresholds[tiers->n_tiers - 3]
                 : tiers->n_tiers == 2 ? 0.0 /* both tiers are warned about */
                                       : INFINITY;
    s->f_recency = find_feature(model, "days_since_purchase");
    s->f_purchases = find_feature(model, "purchases_total");
    s->f_spend = find_feature(model, "spend_total");
    s->f_spend90 = find_feature(model, "spend_90");
    lapse_trigger_columns_find(&s->triggers, (const char *const *)model->feature_names,
                               model->n_features);

    const lapse_model_classifier *c = &model->classifier;
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        s->grad = malloc(s->d * sizeof *s->grad);
        if (!s->grad)
            goto nomem;
        memcpy(s->grad, c->weights, s->d * sizeof *s->grad);
    } else if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        status = lapse_forest_compile(&s->forest, &c->forest, lapse_model_tree_features(model),
                                      err);
        if (status != LAPSE_OK) {
            lapse_score_free(s);
            return status;
        }
        s->fast_trees = o->single_precision && lapse_forest_has_fast(s->forest);
        if (o->single_precision && !s->fast_trees)
            lapse_log(LAPSE_LOG_WARN, "--fast: a threshold of the trees has no float32 copy "
                                      "with the same decisions; scoring in double");
        if (!(s->shap = calloc((size_t)s->threads, sizeof *s->shap)))
            goto nomem;
        for (int t = 0; t < s->threads; t++)
            if (!(s->shap[t] = lapse_parallel_scratch(lapse_forest_scratch(s->forest))))
                goto nomem;
        if (model->hazard &&
            !(s->band_scratch = calloc((size_t)s->threads, sizeof *s->band_scratch)))
            goto nomem;
        for (int t = 0; model->hazard && t < s->threads; t++)
            if (!(s->band_scratch[t] = lapse_parallel_scratch(band_scratch_size(s))))
                goto nomem;
    } else {
        lapse_svm_model view = svm_view(model);
        lapse_svm_scorer_options so = LAPSE_SVM_SCORER_OPTIONS_INIT;
        so.threads = s->threads;
        so.single_precision = o->single_precision;
        so.block_rows = s->block;
        status = lapse_svm_scorer_create(&s->svm, &view, &so, err);
        if (status != LAPSE_OK) {
            lapse_score_free(s);
            return status;
        }
        if (c->kernel == LAPSE_KERNEL_LINEAR) {
            /* f(x') = w.x' - rho with w = sum_i coef_i sv_i. */
            s->grad = calloc(s->d, sizeof *s->grad);
            if (!s->grad)
                goto nomem;
            for (size_t i = 0; i < c->n_sv; i++)
                for (size_t j = 0; j < s->d; j++)
                    s->grad[j] += c->coef[i] * c->sv[i * s->d + j];
        } else if (o->reasons > 0 && prepare_rbf_reasons(s) != 0) {
            goto nomem;
        }
    }
    if (o->reasons > 0 && prepare_reason_order(s) != 0)
        goto nomem;
    *out = s;
    return 0;
nomem:
    lapse_score_free(s);
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory for a scorer");
}

/* e^t for t <= 0 in float, written so the compiler vectorises it: e^(t/256)
 * by its degree-6 Taylor polynomial (|t/256| < 0.35 above -88: truncation
 * under 2e-7), squared eight times. Relative error about 3e-5: plenty for
 * ranking reasons. Below -88 (e^t < 7e-39) it is 0. */
static inline float exp_reason(float t)
{
    float u = (t < -88.0f ? -88.0f : t) * (1.0f / 256.0f);
    float p = 1.0f / 720.0f;
    p = p * u + 1.0f / 120.0f;
    p = p * u + 1.0f / 24.0f;
    p = p * u + 1.0f / 6.0f;
    p = p * u + 0.5f;
    p = p * u + 1.0f;
    p = p * u + 1.0f;
    for (int i = 0; i < 8; i++)
        p *= p;
    return t < -88.0f ? 0.0f : p;
}

/* Rows [r0, r0 + rows) of the block: coef_i K(sv_i, x_r) for one chunk of
 * support vectors, in place of 2 gamma sv_i.x_r, and their sums into a. */
static void rbf_weights(float *restrict k, size_t svs, size_t rows, const float *restrict ss,
                        const float *restrict xx, const float *restrict coef,
                        double *restrict a)
{
    for (size_t i = 0; i < svs; i++) {
        float *restrict ki = k + i * rows;
        for (size_t r = 0; r < rows; r++) {
            float t = ki[r] - ss[i] - xx[r];
            float v = coef[i] * exp_reason(t > 0.0f ? 0.0f : t);
            ki[r] = v;
            a[r] += v;
        }
    }
}

/* Places c (feature j) among the k best so far, if it belongs there; the
 * caller has found c >= the last place. */
static inline void place_reason(double *best, int *reason, int k, double c, int j)
{
    if (c == best[k - 1] && !(c > 0 && j < reason[k - 1]))
        return; /* the rare tie with the last place */
    int q = k - 1;
    while (q > 0 && (c > best[q - 1] || (c == best[q - 1] && j < reason[q - 1]))) {
        best[q] = best[q - 1];
        reason[q] = reason[q - 1];
        q--;
    }
    best[q] = c;
    reason[q] = j;
}

/* The k (<= LAPSE_SCORE_REASONS) features with the largest positive
 * contributions g[t] x[order[t]], largest first, ties to the lower index,
 * into reason[] (-1 past the last found), as lapse_logistic_top_reasons
 * orders them; returns which of them have x above 0 (bit q for reason q:
 * ":high"), read while x is in cache. g is in the visiting order, so it is
 * read in sequence. Features are visited in order[0..n): any order gives
 * the same k, as places compare by value and then by index, and visiting the likely
 * largest first (a linear model's largest weights) leaves few later
 * features to move into them.
 * The empty places hold 0, so "above the last place" both asks for a
 * positive contribution and skips the many below the places (NaN fails it
 * too). */
static unsigned top_reasons(int *reason, int k, const double *x, const double *g,
                            const uint32_t *order, size_t n)
{
    double best[LAPSE_SCORE_REASONS] = { 0 };
    double last = 0; /* best[k - 1], kept out of memory for the loop */
    for (int q = 0; q < LAPSE_SCORE_REASONS; q++)
        reason[q] = -1;
    size_t t = 0;
    /* Four features a test: past the first few, most groups have none at
     * or above the last place, and one branch a group mispredicts less
     * often than one a feature. */
    for (; t + 4 <= n; t += 4) {
        double c[4];
        int any = 0;
        for (int u = 0; u < 4; u++) {
            c[u] = g[t + u] * x[order[t + u]];
            any |= c[u] >= last;
        }
        if (!any)
            continue;
        for (int u = 0; u < 4; u++)
            if (c[u] >= last) {
                place_reason(best, reason, k, c[u], (int)order[t + u]);
                last = best[k - 1];
            }
    }
    for (; t < n; t++) {
        const double c = g[t] * x[order[t]];
        if (c >= last) {
            place_reason(best, reason, k, c, (int)order[t]);
            last = best[k - 1];
        }
    }
    unsigned high = 0;
    for (int q = 0; q < k && reason[q] >= 0; q++)
        high |= (unsigned)(x[reason[q]] > 0) << q;
    return high;
}

/* Reasons for RBF rows: g = -2 gamma (a x_c - b) with x_c = x' - mu,
 * a = sum_i coef_i K_i, b = sum_i coef_i K_i (sv_i - mu). */
static void rbf_reasons(lapse_scorer *s, reason_scratch *w, lapse_score_result *res,
                        unsigned char *high, const double *xs, size_t rows)
{
    const size_t d = s->d, l = s->model->classifier.n_sv;
    const float gamma = (float)s->model->classifier.gamma;
    const int n = (int)rows, di = (int)d;
    for (size_t r = 0; r < rows; r++) {
        float sum = 0;
        for (size_t j = 0; j < d; j++) {
            float v = (float)(xs[r * d + j] - s->mu[j]);
            w->xf[r * d + j] = v;
            sum += v * v;
        }
        w->xx[r] = gamma * sum;
        w->a[r] = 0.0;
    }
    memset(w->b, 0, rows * d * sizeof *w->b);
    for (size_t i0 = 0; i0 < l; i0 += REASON_SVS) {
        size_t svs = l - i0 < REASON_SVS ? l - i0 : REASON_SVS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)svs, n, di, 2.0f * gamma,
                    s->svf + i0 * d, di, w->xf, di, 0.0f, w->k, n);
        rbf_weights(w->k, svs, rows, s->ssf + i0, w->xx, s->coef + i0, w->a);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, di, (int)svs, 1.0f, w->k, n,
                    s->svf + i0 * d, di, 1.0f, w->b, di);
    }
    for (size_t r = 0; r < rows; r++) {
        for (size_t t = 0; t < s->n_reason_order; t++) {
            const size_t j = s->reason_order[t];
            w->g[t] = -2.0 * gamma * (w->a[r] * w->xf[r * d + j] - w->b[r * d + j]);
        }
        high[r] = (unsigned char)top_reasons(res[r].reason, s->opts.reasons, xs + r * d, w->g,
                                             s->reason_order, s->n_reason_order);
    }
}

typedef struct {
    lapse_scorer *s;
    lapse_score_result *out;
    const double *raw;
} call;

/* Scaling, segments and (logistic) decisions of a block. */
static int prepare_block(void *arg, int thread, size_t r0, size_t rows, lapse_error *err)
{
    (void)thread;
    (void)err;
    call *c = arg;
    lapse_scorer *s = c->s;
    const lapse_model *m = s->model;
    const size_t d = s->d;
    /* A linear decision's reasons need only the scaled rows: found a few
     * rows at a time, just after their scaling, while they are in L1. */
    for (size_t i0 = r0; i0 < r0 + rows; i0 += REASON_ROWS) {
        const size_t n = r0 + rows - i0 < REASON_ROWS ? r0 + rows - i0 : REASON_ROWS;
        lapse_scaler_apply(&m->scaler, d, c->raw + i0 * d, n, s->xs + i0 * d);
        for (size_t i = i0; s->grad && i < i0 + n; i++) {
            int *reason = c->out[i].reason;
            s->high[i] = 0;
            if (s->opts.reasons > 0)
                s->high[i] = (unsigned char)top_reasons(reason, s->opts.reasons, s->xs + i * d,
                                                        s->grad_ordered, s->reason_order,
                                                        s->n_reason_order);
            else
                for (int q = 0; q < LAPSE_SCORE_REASONS; q++)
                    reason[q] = -1;
        }
    }
    lapse_model_segment_rows(m, c->raw + r0 * d, rows, s->seg + r0);
    if (m->classifier.kind == LAPSE_CLASSIFIER_LOGISTIC)
        lapse_logistic_decision(s->dec + r0, s->xs + r0 * d, rows, d, m->classifier.weights,
                                m->classifier.bias);
    return LAPSE_OK;
}

/* Trees over horizons: each row's margins in the bands it is at risk in,
 * its decision (the margin in its decision band) and, with reasons, the
 * contributions to that margin, the band's own added to the bias. */
static void tree_hazard_block(lapse_scorer *s, int thread, const double *raw, size_t r0,
                              size_t rows)
{
    const lapse_model *m = s->model;
    const size_t d = s->d, k = m->hazard->n_bands;
    lapse_model_band_margins(m, s->forest, s->bands + r0 * k, raw + r0 * d, s->xs + r0 * d, rows,
                             s->fast_trees, s->band_scratch[thread], s->shap[thread]);
    /* With reasons, each row again with its decision band, for TreeSHAP. */
    double *xb = s->opts.reasons > 0 ? (double *)((char *)s->band_scratch[thread] +
                                                  lapse_model_band_scratch(m, s->block))
                                     : NULL;
    for (size_t r = 0; r < rows; r++) {
        const size_t band = lapse_model_decision_band(m, raw + (r0 + r) * d);
        s->dec[r0 + r] = s->bands[(r0 + r) * k + band];
        if (xb) {
            memcpy(xb + r * (d + 1), s->xs + (r0 + r) * d, d * sizeof *xb);
            xb[r * (d + 1) + d] = (double)band;
        }
    }
    if (!xb)
        return;
    double *cb = xb + rows * (d + 1);
    lapse_forest_contribs(s->forest, cb, xb, rows, s->shap[thread]);
    for (size_t r = 0; r < rows; r++) {
        double *to = s->contrib + (r0 + r) * (d + 1);
        const double *from = cb + r * (d + 2);
        memcpy(to, from, d * sizeof *to);
        to[d] = from[d] + from[d + 1];
    }
}

/* Everything after the decision, for a block. */
static int finish_block(void *arg, int thread, size_t r0, size_t rows, lapse_error *err)
{
    (void)err;
    call *c = arg;
    lapse_scorer *s = c->s;
    const lapse_model *m = s->model;
    const size_t d = s->d;
    const int k = s->opts.reasons;
    if (s->forest && m->hazard) {
        tree_hazard_block(s, thread, c->raw, r0, rows);
    } else if (s->forest) {
        lapse_forest_margin(s->forest, s->dec + r0, s->xs + r0 * d, rows, s->fast_trees,
                            s->shap[thread]);
        if (k > 0)
            lapse_forest_contribs(s->forest, s->contrib + r0 * (d + 1), s->xs + r0 * d, rows,
                                  s->shap[thread]);
    }
    for (size_t i = r0; i < r0 + rows; i++) {
        lapse_score_result *r = &c->out[i];
        const double *x = c->raw + i * d;
        r->decision = s->dec[i];
        r->churn_by = 0;
        if (m->hazard) {
            double hazard[LAPSE_HAZARD_MAX_BANDS];
            lapse_model_hazards(m, hazard, x, r->decision,
                                s->forest ? s->bands + i * m->hazard->n_bands : NULL);
            lapse_hazard_curve(r->p_horizon, m->hazard, hazard);
            r->p_churn = r->p_horizon[m->hazard->n_bands - 1];
            r->churn_by = lapse_hazard_churn_by(m->hazard, x, hazard, s->warning);
        } else {
            r->p_churn = lapse_model_calibrate(m, r->decision);
        }
        r->risk_tier = lapse_model_tier(m, r->p_churn);
        r->segment = s->seg[i];
        r->days_silent = s->f_silent >= 0 ? x[s->f_silent] : NAN;
        /* The two highest tiers are the ones a recall team warns about. */
        const int at_risk = m->tiers.n_tiers >= 2 && r->risk_tier + 2 >= m->tiers.n_tiers;
        r->response = s->f_silent >= 0
                          ? lapse_response_level(&s->opts.stages, r->days_silent, at_risk)
                          : NULL;
        if (s->f_recency >= 0 && s->f_purchases >= 0 && s->f_spend >= 0)
            r->value_tier = (int)lapse_value_tier_of(&s->opts.value, x[s->f_recency],
                                                     x[s->f_purchases], x[s->f_spend]);
        else
            r->value_tier = -1;
        r->value_at_risk = s->f_spend90 >= 0 ? r->p_churn * x[s->f_spend90] : NAN;
        r->trigger = lapse_trigger_fire(&s->triggers, x);
        r->action = lapse_action_choose(s->rules, r->trigger, m->segments.names[r->segment],
                                        r->value_tier < 0 ? LAPSE_VALUE_LOW
                                                          : (lapse_value_tier)r->value_tier);
        if (!s->grad) { /* a linear decision's were found in prepare_block */
            for (int q = 0; q < LAPSE_SCORE_REASONS; q++)
                r->reason[q] = -1;
            s->high[i] = 0;
            if (k > 0 && s->forest) {
                /* Ranked by contribution; high or low by the scaled value. */
                top_reasons(r->reason, k, s->contrib + i * (d + 1), s->grad_ordered,
                            s->reason_order, s->n_reason_order);
                for (int q = 0; q < k && r->reason[q] >= 0; q++)
                    s->high[i] |= (unsigned char)((s->xs[i * d + (size_t)r->reason[q]] > 0) << q);
            }
        }
    }
    if (k > 0 && s->svm && !s->grad)
        rbf_reasons(s, &s->scratch[thread], c->out + r0, s->high + r0, s->xs + r0 * d, rows);
    return LAPSE_OK;
}

static int reserve(lapse_scorer *s, size_t n, lapse_error *err)
{
    if (n <= s->cap)
        return 0;
    free(s->xs);
    free(s->dec);
    free(s->seg);
    free(s->high);
    free(s->contrib);
    free(s->bands);
    s->contrib = NULL;
    s->bands = NULL;
    s->cap = 0;
    s->xs = n <= SIZE_MAX / sizeof(double) / s->d ? malloc(n * s->d * sizeof *s->xs) : NULL;
    s->dec = malloc(n * sizeof *s->dec);
    s->seg = malloc(n * sizeof *s->seg);
    s->high = malloc(n);
    if (s->forest && s->opts.reasons > 0)
        s->contrib = n <= SIZE_MAX / sizeof(double) / (s->d + 1)
                         ? malloc(n * (s->d + 1) * sizeof *s->contrib)
                         : NULL;
    if (s->forest && s->model->hazard)
        s->bands = malloc(n * s->model->hazard->n_bands * sizeof *s->bands);
    if (!s->xs || !s->dec || !s->seg || !s->high || (s->forest && s->opts.reasons > 0 && !s->contrib) ||
        (s->forest && s->model->hazard && !s->bands))
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                               "out of memory for scoring %zu rows", n);
    s->cap = n;
    return 0;
}

int lapse__score_has_contribs(const lapse_scorer *s)
{
    return s->forest && s->opts.reasons > 0;
}

const unsigned char *lapse__score_high(const lapse_scorer *s)
{
    return s->high;
}

const double *lapse_score_contribs(const lapse_scorer *s)
{
    return s->contrib;
}

int lapse_score_rows(lapse_scorer *s, lapse_score_result *out, const double *raw, size_t n,
                     lapse_error *err)
{
    if (n == 0)
        return 0;
    int status = reserve(s, n, err);
    if (status != LAPSE_OK)
        return status;
    call c = { s, out, raw };
    status = lapse_parallel_for(s->threads, n, s->block, prepare_block, &c, err);
    if (status == LAPSE_OK && s->svm)
        status = lapse_svm_scorer_decision(s->svm, s->dec, s->xs, n, err);
    if (status == LAPSE_OK)
        status = lapse_parallel_for(s->threads, n, s->block, finish_block, &c, err);
    return status;
}
