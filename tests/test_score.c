/* Scoring: hand-worked rows (probability, tier, response level, value,
 * reasons, action), SVM decisions against libsvm's svm_predict_values on
 * several models, single precision against exact, RBF reasons against a
 * double-precision reference, thread-count invariance, and the CSV stream
 * (header, fields, --top, --sort, schema refusals).
 *
 * `test_score --write-fixtures DIR` writes DIR/logistic.model (the
 * hand-worked model), DIR/svm.model (an RBF model on the same features)
 * DIR/table.csv (the three hand-worked users) and DIR/full.model (a
 * logistic model on every feature lapse extract makes, for --logs) for
 * tests/cli/score.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/features.h"
#include "lapse/logistic.h"
#include "lapse/model.h"
#include "lapse/schema.h"
#include "lapse/score.h"
#include "lapse/svm.h"

#include <svm.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *copy_text(const char *s)
{
    char *copy = strdup(s);
    assert_non_null(copy);
    return copy;
}

static uint64_t rng_state;

static double uniform(void) /* splitmix64 -> [0, 1) */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double normal(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Features, two segments on sessions_7 and three risk tiers; the caller
 * fills the classifier and calibration. */
enum { HAND_D = 6 };
static const char *const hand_names[HAND_D] = { "days_silent",  "days_since_purchase",
                                                "purchases_total", "spend_total",
                                                "spend_90",     "sessions_7" };

static lapse_model *build_model(size_t d, const char *const *names, lapse_classifier_kind kind,
                                size_t n_sv)
{
    lapse_model_shape shape = { d, 2, 1, kind, n_sv, LAPSE_CALIBRATION_PLATT, 0, 3 };
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_create(&m, &shape, &err), LAPSE_OK);
    for (size_t j = 0; j < d; j++) {
        char generated[32];
        snprintf(generated, sizeof generated, "f%zu", j);
        m->feature_names[j] = copy_text(names ? names[j] : generated);
        m->scaler.scale[j] = 1.0;
    }
    m->meta.schema_hash = lapse_schema_hash((const char *const *)m->feature_names, d);
    lapse_model_segments *s = &m->segments;
    s->profile[0] = (uint32_t)(d - 1);
    s->mean[0] = 3;
    s->scale[0] = 2;
    s->centroids[0] = -1;
    s->centroids[1] = 1;
    s->centroids_original[0] = 1;
    s->centroids_original[1] = 5;
    s->sizes[0] = s->sizes[1] = 100;
    s->names[0] = copy_text("social-driven");
    s->names[1] = copy_text("price-sensitive");
    static const char *const tiers[3] = { "low", "medium", "high" };
    for (size_t i = 0; i < 3; i++)
        m->tiers.names[i] = copy_text(tiers[i]);
    m->tiers.thresholds[0] = 0.3;
    m->tiers.thresholds[1] = 0.6;
    m->training.first_asof = m->training.last_asof = 1767225600;
    m->training.options = copy_text("test");
    m->training.lapse_version = copy_text("0.1.0");
    return m;
}

/* The hand-worked logistic model. x' = (t(x) - mean) / scale:
 *   days_silent (x - 5) / 5, days_since_purchase (x - 20) / 10,
 *   log1p(purchases_total), log1p(spend_total) / 2, (spend_90 - 50) / 100,
 *   (sessions_7 - 3) / 2;
 * f = w.x' - 0.5 with w = 0.8, 0.5, -0.6, -0.3, -0.2, -1; p = 1/(1+e^-f). */
static lapse_model *build_hand(void)
{
    lapse_model *m = build_model(HAND_D, hand_names, LAPSE_CLASSIFIER_LOGISTIC, 0);
    static const double mean[HAND_D] = { 5, 20, 0, 0, 50, 3 }, scale[HAND_D] = { 5, 10, 1, 2, 100, 2 };
    static const double w[HAND_D] = { 0.8, 0.5, -0.6, -0.3, -0.2, -1.0 };
    for (size_t j = 0; j < HAND_D; j++) {
        m->scaler.mean[j] = mean[j];
        m->scaler.scale[j] = scale[j];
        m->classifier.weights[j] = w[j];
    }
    m->scaler.transform[2] = m->scaler.transform[3] = LAPSE_TRANSFORM_LOG1P;
    m->classifier.bias = -0.5;
    m->calibration.a = -1.0;
    m->calibration.b = 0.0;
    return m;
}

/* Three users: A active and valuable, B silent 8 days, C silent 20 days
 * without purchases. Columns as hand_names. */
static const double hand_rows[3 * HAND_D] = {
    1, 10, 3, 300, 120, 6, /* A */
    8, 40, 1, 20, 0, 1,    /* B */
    20, 200, 0, 0, 0, 0,   /* C */
};

static double sigmoid(double f)
{
    return 1.0 / (1.0 + exp(-f));
}

/* The default rules, kept for the whole run: a result's action points into
 * the rules, which outlive the scorer here. */
static lapse_action_rules *default_rules(void)
{
    static lapse_action_rules *rules;
    if (!rules)
        rules = lapse_action_rules_default();
    assert_non_null(rules);
    return rules;
}

static void score(lapse_model *m, const lapse_score_options *opts, lapse_score_result *res,
                  const double *rows, size_t n)
{
    lapse_scorer *s;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
    if (opts)
        o = *opts;
    if (!o.rules)
        o.rules = default_rules();
    assert_int_equal(lapse_score_create(&s, m, &o, &err), LAPSE_OK);
    assert_int_equal(lapse_score_rows(s, res, rows, n, &err), LAPSE_OK);
    lapse_score_free(s);
}

static void hand_worked_rows(void **state)
{
    (void)state;
    lapse_model *m = build_hand();
    lapse_score_result r[3];
    score(m, NULL, r, hand_rows, 3);
    /* A: x' = -0.8, -1, log1p 3, log1p(300)/2, 0.7, 1.5: every contribution
     * negative, so no reasons. */
    double fa = 0.8 * -0.8 + 0.5 * -1 - 0.6 * log1p(3) - 0.3 * log1p(300) / 2 - 0.2 * 0.7 -
                1.5 - 0.5;
    assert_true(fabs(r[0].decision - fa) < 1e-12);
    assert_true(fabs(r[0].p_churn - sigmoid(fa)) < 1e-12);
    assert_int_equal(r[0].risk_tier, 0);
    assert_null(r[0].response);
    assert_int_equal(r[0].segment, 1); /* sessions 6: z = 1.5, nearer +1 */
    assert_true(r[0].days_silent == 1);
    assert_int_equal(r[0].value_tier, LAPSE_VALUE_HIGH); /* 10 days, 3 purchases, 300 */
    assert_true(fabs(r[0].value_at_risk - 120 * sigmoid(fa)) < 1e-10);
    assert_int_equal(r[0].reason[0], -1);
    assert_string_equal(r[0].action, "phone");
    /* B: x' = 0.6, 2, log1p 1, log1p(20)/2, -0.5, -1: contributions 0.48,
     * 1, -, -, 0.1, 1; the tie at 1 goes to the lower index. */
    double fb = 0.48 + 1.0 - 0.6 * log1p(1) - 0.3 * log1p(20) / 2 + 0.1 + 1.0 - 0.5;
    assert_true(fabs(r[1].p_churn - sigmoid(fb)) < 1e-12);
    assert_int_equal(r[1].risk_tier, 2); /* p = 0.77 */
    assert_string_equal(r[1].response, "silent-7d");
    assert_int_equal(r[1].segment, 0);
    assert_int_equal(r[1].value_tier, LAPSE_VALUE_MEDIUM);
    assert_true(r[1].value_at_risk == 0);
    assert_int_equal(r[1].reason[0], 1);
    assert_int_equal(r[1].reason[1], 5);
    assert_int_equal(r[1].reason[2], 0);
    assert_string_equal(r[1].action, "community");
    /* C: contributions 2.4, 9, 0, 0, 0.1, 1.5. */
    assert_string_equal(r[2].response, "silent-14d");
    assert_int_equal(r[2].value_tier, LAPSE_VALUE_LOW);
    assert_int_equal(r[2].reason[0], 1);
    assert_int_equal(r[2].reason[1], 0);
    assert_int_equal(r[2].reason[2], 5);

    /* Options: other stages and value rule, one reason. */
    lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
    o.reasons = 1;
    o.value = (lapse_value_rule){ 5, 2, 200 };
    assert_int_equal(lapse_silence_stages_parse(&o.stages, "10,30,60"), LAPSE_OK);
    score(m, &o, r, hand_rows, 3);
    assert_int_equal(r[0].value_tier, LAPSE_VALUE_MEDIUM);
    assert_string_equal(r[0].action, "coupon"); /* price-sensitive, not high */
    assert_null(r[1].response);
    assert_string_equal(r[2].response, "warning");
    assert_int_equal(r[2].reason[0], 1);
    assert_int_equal(r[2].reason[1], -1);
    lapse_model_free(m);
}

/* A model lacking the value and silence features leaves them unknown. */
static void unknown_outputs(void **state)
{
    (void)state;
    lapse_model *m = build_model(3, NULL, LAPSE_CLASSIFIER_LOGISTIC, 0);
    m->classifier.weights[0] = 1;
    m->calibration.a = -1;
    const double row[3] = { 2, 0, 0 };
    lapse_score_result r;
    score(m, NULL, &r, row, 1);
    assert_true(isnan(r.days_silent));
    assert_null(r.response);
    assert_int_equal(r.value_tier, -1);
    assert_true(isnan(r.value_at_risk));
    assert_string_equal(r.action, "community"); /* social-driven, as low value */
    assert_true(fabs(r.p_churn - sigmoid(2)) < 1e-15);
    assert_int_equal(r.reason[0], 0);
    lapse_model_free(m);
}

/* A random SVM model: support vectors and rows from the same distribution,
 * coefficients of both signs, a non-trivial scaler. */
static lapse_model *build_svm(size_t d, size_t n_sv, lapse_kernel kernel, double gamma,
                              uint64_t seed)
{
    rng_state = seed;
    lapse_model *m = build_model(d, NULL, LAPSE_CLASSIFIER_SVM, n_sv);
    for (size_t j = 0; j < d; j++) {
        m->scaler.mean[j] = normal();
        m->scaler.scale[j] = 0.5 + uniform();
        m->scaler.transform[j] = j % 3 == 1 ? LAPSE_TRANSFORM_LOG1P : LAPSE_TRANSFORM_NONE;
    }
    lapse_model_classifier *c = &m->classifier;
    c->kernel = kernel;
    c->gamma = kernel == LAPSE_KERNEL_RBF ? gamma : 0.0;
    c->rho = 0.3 * normal();
    for (size_t i = 0; i < n_sv * d; i++)
        c->sv[i] = normal();
    for (size_t i = 0; i < n_sv; i++)
        c->coef[i] = (i < n_sv / 2 ? 1.0 : -1.0) * (0.1 + uniform()) /
                     (kernel == LAPSE_KERNEL_LINEAR ? (double)n_sv : 1.0);
    m->calibration.a = -1.7;
    m->calibration.b = 0.2;
    return m;
}

/* Raw rows whose scaled values are about standard normal. */
static double *random_rows(const lapse_model *m, size_t n)
{
    size_t d = m->n_features;
    double *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) {
            double v = m->scaler.mean[j] + m->scaler.scale[j] * normal();
            /* log1p features: raw = expm1 of a value in the scaled range */
            x[i * d + j] = m->scaler.transform[j] == LAPSE_TRANSFORM_LOG1P ? expm1(fabs(v)) : v;
        }
    return x;
}

/* The model through lapse/svm.h and libsvm, built here independently. */
static struct svm_model *libsvm_model(const lapse_model *m)
{
    const lapse_model_classifier *c = &m->classifier;
    lapse_svm_model v = LAPSE_SVM_MODEL_INIT;
    v.kernel = c->kernel == LAPSE_KERNEL_RBF ? LAPSE_SVM_RBF : LAPSE_SVM_LINEAR;
    v.d = m->n_features;
    v.n_sv = c->n_sv;
    v.n_sv_churn = c->n_sv / 2; /* the positive coefficients come first */
    v.gamma = c->gamma;
    v.rho = c->rho;
    v.sv = c->sv;
    v.coef = c->coef;
    struct svm_model *model;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_svm_unpack(&model, &v, &err), LAPSE_OK);
    return model;
}

static void scale_reference(const lapse_model *m, const double *raw, double *xs)
{
    for (size_t j = 0; j < m->n_features; j++) {
        double t = m->scaler.transform[j] == LAPSE_TRANSFORM_LOG1P ? log1p(raw[j]) : raw[j];
        xs[j] = (t - m->scaler.mean[j]) / m->scaler.scale[j];
    }
}

/* K(sv, x) for RBF; for the linear kernel sum_j |sv_j x_j|, the scale a
 * rounding error of the dot product can reach (lapse/svmscore.h). */
static double kernel(const lapse_model *m, const double *sv, const double *x)
{
    double s = 0;
    for (size_t j = 0; j < m->n_features; j++)
        s += m->classifier.kernel == LAPSE_KERNEL_RBF ? (sv[j] - x[j]) * (sv[j] - x[j])
                                                      : fabs(sv[j] * x[j]);
    return m->classifier.kernel == LAPSE_KERNEL_RBF ? exp(-m->classifier.gamma * s) : s;
}

/* Decisions equal svm_predict_values within 1e-9 of the scale its sum can
 * reach; single precision within 1e-5 in probability; RBF reasons agree
 * with the double-precision gradient x input up to near-ties. */
static void check_svm(lapse_model *m, size_t n, int threads)
{
    size_t d = m->n_features;
    const lapse_model_classifier *c = &m->classifier;
    double *x = random_rows(m, n);
    lapse_score_result *exact = malloc(n * sizeof *exact), *fast = malloc(n * sizeof *fast);
    assert_non_null(exact);
    assert_non_null(fast);
    lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
    o.threads = threads;
    o.block_rows = 64;
    score(m, &o, exact, x, n);
    o.single_precision = 1;
    o.reasons = 0;
    score(m, &o, fast, x, n);

    struct svm_model *ref = libsvm_model(m);
    struct svm_node *nodes = malloc((d + 1) * sizeof *nodes);
    double *xs = malloc(d * sizeof *xs), *g = malloc(d * sizeof *g);
    assert_non_null(nodes);
    assert_non_null(xs);
    assert_non_null(g);
    for (size_t i = 0; i < n; i++) {
        scale_reference(m, x + i * d, xs);
        size_t k = 0;
        for (size_t j = 0; j < d; j++)
            if (xs[j] != 0.0)
                nodes[k++] = (struct svm_node){ (int)j + 1, xs[j] };
        nodes[k].index = -1;
        double f;
        svm_predict_values(ref, nodes, &f);
        double bound = fabs(f);
        for (size_t s = 0; s < c->n_sv; s++)
            bound += fabs(c->coef[s]) * kernel(m, c->sv + s * d, xs);
        if (!(fabs(exact[i].decision - f) <= 1e-9 * bound))
            fail_msg("row %zu: lapse %.17g, libsvm %.17g", i, exact[i].decision, f);
        if (!(fabs(fast[i].p_churn - exact[i].p_churn) <= 1e-5))
            fail_msg("row %zu: single precision p %.9g, exact %.9g", i, fast[i].p_churn,
                     exact[i].p_churn);

        /* Reasons: g = -2 gamma sum_s coef_s K_s (x' - sv_s), or w. */
        for (size_t j = 0; j < d; j++)
            g[j] = 0;
        for (size_t s = 0; s < c->n_sv; s++) {
            const double *sv = c->sv + s * d;
            double w = c->kernel == LAPSE_KERNEL_RBF
                           ? -2 * c->gamma * c->coef[s] * kernel(m, sv, xs)
                           : c->coef[s];
            for (size_t j = 0; j < d; j++)
                g[j] += c->kernel == LAPSE_KERNEL_RBF ? w * (xs[j] - sv[j]) : w * sv[j];
        }
        double top = 0, want[3] = { 0, 0, 0 };
        for (size_t j = 0; j < d; j++) {
            double v = g[j] * xs[j];
            top = fmax(top, fabs(v));
            for (int q = 0; q < 3; q++)
                if (v > want[q]) {
                    for (int r = 2; r > q; r--)
                        want[r] = want[r - 1];
                    want[q] = v;
                    break;
                }
        }
        for (int q = 0; q < 3; q++) {
            int j = exact[i].reason[q];
            double got = j < 0 ? 0 : g[j] * xs[j];
            if (!(fabs(got - want[q]) <= 1e-3 * top))
                fail_msg("row %zu reason %d: feature %d contributes %g, the reference's %g", i,
                         q + 1, j, got, want[q]);
        }
    }
    lapse_svm_unpacked_free(ref);
    free(nodes);
    free(xs);
    free(g);
    free(x);
    free(exact);
    free(fast);
}

static void svm_equals_libsvm(void **state)
{
    (void)state;
    struct {
        size_t d, n_sv;
        lapse_kernel kernel;
        double gamma;
        size_t rows;
        int threads;
    } cases[] = {
        { 6, 40, LAPSE_KERNEL_RBF, 0.5, 300, 1 },
        { 12, 700, LAPSE_KERNEL_RBF, 1.0 / 12, 500, 2 },   /* two SV chunks */
        { 45, 1200, LAPSE_KERNEL_RBF, 1.0 / 45, 300, 3 },  /* ~40-60 features as in use */
        { 20, 300, LAPSE_KERNEL_RBF, 0.5, 200, 2 },        /* narrow: kernel values ~1e-9 */
        { 9, 50, LAPSE_KERNEL_LINEAR, 0, 300, 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lapse_model *m = build_svm(cases[i].d, cases[i].n_sv, cases[i].kernel, cases[i].gamma,
                                   1000 + i);
        check_svm(m, cases[i].rows, cases[i].threads);
        lapse_model_free(m);
    }
}

/* Same rows, any thread count: the same bits. */
/* A logistic model's reasons equal lapse_logistic_top_reasons' on rows
 * full of ties and zeros (values and weights from small sets, some weights
 * 0), and one reason to three: the scorer visits features largest weight
 * first and must still break ties by the lower index. */
static void linear_reasons_match_the_reference(void **state)
{
    (void)state;
    enum { D = 12, N = 400 };
    lapse_model *m = build_model(D, NULL, LAPSE_CLASSIFIER_LOGISTIC, 0);
    static const double weights[] = { -1, 0, 0.5, 1, 2, -0.5, 0 };
    static const double values[] = { -1, 0, 0.5, 1, 2 };
    uint64_t x = 0x2545f4914f6cdd1dull;
    for (size_t j = 0; j < D; j++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        m->classifier.weights[j] = weights[x % 7];
    }
    static double rows[N * D];
    for (size_t i = 0; i < N * D; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rows[i] = values[x % 5]; /* mean 0, scale 1: scaled as they are */
    }
    static lapse_score_result res[N];
    for (int k = 1; k <= LAPSE_SCORE_REASONS; k++) {
        lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
        o.reasons = k;
        score(m, &o, res, rows, N);
        for (size_t i = 0; i < N; i++) {
            size_t want[LAPSE_SCORE_REASONS];
            const size_t found = lapse_logistic_top_reasons(want, (size_t)k, rows + i * D, D,
                                                            m->classifier.weights);
            for (size_t q = 0; q < LAPSE_SCORE_REASONS; q++)
                assert_int_equal(res[i].reason[q], q < found ? (int)want[q] : -1);
        }
    }
    lapse_model_free(m);
}

static void threads_do_not_change_results(void **state)
{
    (void)state;
    lapse_model *m = build_svm(10, 300, LAPSE_KERNEL_RBF, 0.1, 77);
    size_t n = 1000;
    double *x = random_rows(m, n);
    lapse_score_result *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    for (int fast = 0; fast < 2; fast++) {
        lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
        o.single_precision = fast;
        o.block_rows = 100;
        score(m, &o, a, x, n);
        o.threads = 3;
        score(m, &o, b, x, n);
        for (size_t i = 0; i < n; i++) {
            assert_memory_equal(&a[i].decision, &b[i].decision, sizeof a[i].decision);
            assert_memory_equal(&a[i].p_churn, &b[i].p_churn, sizeof a[i].p_churn);
            assert_memory_equal(a[i].reason, b[i].reason, sizeof a[i].reason);
            assert_int_equal(a[i].segment, b[i].segment);
        }
    }
    free(a);
    free(b);
    free(x);
    lapse_model_free(m);
}

static void bad_options(void **state)
{
    (void)state;
    lapse_model *m = build_hand();
    lapse_scorer *s;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
    o.reasons = 4;
    assert_int_equal(lapse_score_create(&s, m, &o, &err), LAPSE_ERR_ARG);
    assert_null(s);
    o = (lapse_score_options)LAPSE_SCORE_OPTIONS_INIT;
    o.threads = -1;
    assert_int_equal(lapse_score_create(&s, m, &o, &err), LAPSE_ERR_ARG);
    m->scaler.scale[0] = 0; /* does not validate */
    assert_int_equal(lapse_score_create(&s, m, NULL, &err), LAPSE_ERR_ARG);
    lapse_model_free(m);
}

/* The hand-worked users as a feature table, labels 0, 1 and empty. */
static void write_table(const char *path, const lapse_model *m, const char *first_name)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    char meta[256];
    lapse_table_meta tm = m->meta;
    if (first_name) {
        const char *names[HAND_D];
        memcpy(names, hand_names, sizeof names);
        names[0] = first_name;
        tm.schema_hash = lapse_schema_hash(names, HAND_D);
    }
    assert_int_equal(lapse_table_meta_format(meta, sizeof meta, &tm), LAPSE_OK);
    fprintf(f, "%s\nuser_id,asof", meta);
    for (size_t j = 0; j < HAND_D; j++)
        fprintf(f, ",%s", j == 0 && first_name ? first_name : hand_names[j]);
    fprintf(f, ",label\n");
    static const char *const ids[3] = { "u1", "\"u,2\"", "u3" };
    static const char *const labels[3] = { "0", "1", "" };
    for (size_t i = 0; i < 3; i++) {
        fprintf(f, "%s,2026-03-01", ids[i]);
        for (size_t j = 0; j < HAND_D; j++)
            fprintf(f, ",%.17g", hand_rows[i * HAND_D + j]);
        fprintf(f, ",%s\n", labels[i]);
    }
    assert_int_equal(fclose(f), 0);
}

static char *score_table(lapse_model *m, const char *path, const lapse_score_output *o,
                         int expect)
{
    lapse_scorer *s;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_score_create(&s, m, NULL, &err), LAPSE_OK);
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    lapse_score_stats stats;
    int status = lapse_score_table(s, path, out, o, &stats, &err);
    fclose(out);
    lapse_score_free(s);
    if (status != expect)
        fail_msg("lapse_score_table returned %d (%s), expected %d", status, err.message, expect);
    if (status != LAPSE_OK) {
        char *msg = copy_text(err.message);
        free(buf);
        return msg;
    }
    assert_int_equal(stats.rows, 3);
    assert_int_equal(stats.responded, 2);
    return buf;
}

/* The CSV line of a user, p_churn replaced by "P" (checked apart). */
static void check_line(const char *out, const char *user, const char *want, double p)
{
    const char *line = strstr(out, user);
    assert_non_null(line);
    const char *comma = strchr(line + strlen(user) + 12, ',');
    assert_non_null(comma);
    char *end;
    double got = strtod(line + strlen(user) + 12, &end);
    assert_ptr_equal(end, comma);
    assert_true(fabs(got - p) < 1e-12);
    char buf[512];
    const char *nl = strchr(line, '\n');
    snprintf(buf, sizeof buf, "%.*sP%.*s", (int)(strlen(user) + 12), line, (int)(nl - comma),
             comma);
    assert_string_equal(buf, want);
}

static void table_to_csv(void **state)
{
    (void)state;
    char dir[] = "/tmp/lapse-score-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64], bad[64];
    snprintf(path, sizeof path, "%s/t.csv", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    lapse_model *m = build_hand();
    write_table(path, m, NULL);
    double pa = sigmoid(0.8 * -0.8 + 0.5 * -1 - 0.6 * log1p(3) - 0.3 * log1p(300) / 2 -
                        0.2 * 0.7 - 1.5 - 0.5);
    double pb = sigmoid(0.48 + 1.0 - 0.6 * log1p(1) - 0.3 * log1p(20) / 2 + 0.1 + 1.0 - 0.5);
    double pc = sigmoid(2.4 + 9.0 - 0.2 * -0.5 - 1.0 * -1.5 - 0.5);

    char *out = score_table(m, path, NULL, LAPSE_OK);
    assert_memory_equal(out, LAPSE_SCORE_HEADER "\nu1,", strlen(LAPSE_SCORE_HEADER) + 4);
    char va[32];
    snprintf(va, sizeof va, "%.2f", 120 * pa);
    char want[256];
    snprintf(want, sizeof want, "u1,2026-03-01,P,low,,price-sensitive,1,high,%s,,,,,phone,0", va);
    check_line(out, "u1", want, pa);
    check_line(out, "\"u,2\"",
               "\"u,2\",2026-03-01,P,high,silent-7d,social-driven,8,medium,0.00,days_since_purchase:high,"
               "sessions_7:low,days_silent:high,,community,1",
               pb);
    check_line(out, "u3",
               "u3,2026-03-01,P,high,silent-14d,social-driven,20,low,0.00,days_since_purchase:high,"
               "days_silent:high,sessions_7:low,,community,",
               pc);
    free(out);

    /* Top 2 by risk: C then B. By value: A first, then B before C (both
     * 0.00: input order). */
    lapse_score_output o = LAPSE_SCORE_OUTPUT_INIT;
    o.top = 2;
    o.batch_rows = 1; /* the heap sees one row at a time */
    out = score_table(m, path, &o, LAPSE_OK);
    const char *c = strstr(out, "\nu3,"), *b = strstr(out, "\n\"u,2\",");
    assert_non_null(c);
    assert_non_null(b);
    assert_true(c < b);
    assert_null(strstr(out, "\nu1,"));
    free(out);
    o.order = LAPSE_SCORE_ORDER_VALUE;
    o.top = 0;
    out = score_table(m, path, &o, LAPSE_OK);
    const char *a = strstr(out, "\nu1,");
    b = strstr(out, "\n\"u,2\",");
    c = strstr(out, "\nu3,");
    assert_true(a && b && c && a < b && b < c);
    free(out);

    /* Refusals name the first difference. */
    write_table(bad, m, "days_quiet");
    char *msg = score_table(m, bad, NULL, LAPSE_ERR_SCHEMA);
    assert_non_null(strstr(msg, "days_silent"));
    assert_non_null(strstr(msg, "days_quiet"));
    free(msg);
    m->meta.churn.horizon_days = 14;
    msg = score_table(m, path, NULL, LAPSE_ERR_SCHEMA);
    assert_non_null(strstr(msg, "horizon"));
    free(msg);
    lapse_model_free(m);
    unlink(path);
    unlink(bad);
    rmdir(dir);
}

static int write_fixtures(const char *dir)
{
    char path[4096];
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *m = build_hand();
    snprintf(path, sizeof path, "%s/logistic.model", dir);
    if (lapse_model_save(m, path, &err) != LAPSE_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    snprintf(path, sizeof path, "%s/table.csv", dir);
    write_table(path, m, NULL);
    lapse_model_free(m);
    /* An RBF model on the same features, scaler of the hand model. */
    m = build_svm(HAND_D, 30, LAPSE_KERNEL_RBF, 0.3, 5);
    lapse_model *h = build_hand();
    for (size_t j = 0; j < HAND_D; j++) {
        free(m->feature_names[j]);
        m->feature_names[j] = copy_text(hand_names[j]);
        m->scaler.transform[j] = h->scaler.transform[j];
        m->scaler.mean[j] = h->scaler.mean[j];
        m->scaler.scale[j] = h->scaler.scale[j];
    }
    m->meta.schema_hash = h->meta.schema_hash;
    lapse_model_free(h);
    snprintf(path, sizeof path, "%s/svm.model", dir);
    if (lapse_model_save(m, path, &err) != LAPSE_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    lapse_model_free(m);
    /* Every extracted feature; risk rises with silence, falls with sessions. */
    size_t d = lapse_feature_count();
    const char **names = malloc(d * sizeof *names);
    if (!names)
        return 1;
    for (size_t j = 0; j < d; j++)
        names[j] = lapse_feature_get(j)->name;
    m = build_model(d, names, LAPSE_CLASSIFIER_LOGISTIC, 0);
    free(names);
    m->classifier.weights[lapse_feature_find("days_silent")] = 0.5;
    m->classifier.weights[lapse_feature_find("sessions_7")] = -0.3;
    m->classifier.bias = -1;
    m->calibration.a = -1;
    snprintf(path, sizeof path, "%s/full.model", dir);
    if (lapse_model_save(m, path, &err) != LAPSE_OK)
        return fprintf(stderr, "%s\n", err.message), 1;
    lapse_model_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0)
        return write_fixtures(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_worked_rows),
        cmocka_unit_test(linear_reasons_match_the_reference),
        cmocka_unit_test(unknown_outputs),
        cmocka_unit_test(svm_equals_libsvm),
        cmocka_unit_test(threads_do_not_change_results),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(table_to_csv),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    lapse_action_rules_free(default_rules());
    return failed;
}
