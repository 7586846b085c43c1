/* The hazard model of several horizons (lapse/hazard.h): the bands and risk
 * sets by hand, a fit through lapse_train on tables built here (silence and
 * cancel churn; logistic and boosted trees), p_h monotone with structural
 * zeros through lapse_score, the model file round trip (format 4 for a
 * logistic hazard, 5 for trees, and a format-4 file from before the trees,
 * tests/data/hazard/format4.model), refused options, and eval's
 * concordance against a brute-force count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/bench.h"
#include "lapse/eval.h"
#include "lapse/hazard.h"
#include "lapse/model.h"
#include "lapse/schema.h"
#include "lapse/score.h"
#include "lapse/table.h"
#include "lapse/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void parse_lists(void **state)
{
    (void)state;
    lapse_hazard hz;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_hazard_parse(&hz, "7,14,30", &err), LAPSE_OK);
    assert_int_equal(hz.n_bands, 3);
    assert_int_equal(hz.horizons[2], 30);
    char text[64];
    lapse_hazard_format(text, sizeof text, &hz);
    assert_string_equal(text, "7,14,30");
    assert_int_equal(lapse_hazard_parse(&hz, "14,7", &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "increase"));
    assert_int_equal(lapse_hazard_parse(&hz, "7,7", &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_hazard_parse(&hz, "7,x", &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "\"x\""));
    assert_int_equal(lapse_hazard_parse(&hz, "0", &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_hazard_parse(&hz, "7,", &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_hazard_parse(&hz, "", &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_hazard_parse(&hz, "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", &err),
                     LAPSE_ERR_ARG);
    assert_int_equal(lapse_hazard_validate(&(lapse_hazard){ .n_bands = 2, .horizons = { 7, 40 } },
                                           30, 5, &err),
                     LAPSE_ERR_ARG);
}

/* Features of the by-hand rows: days since the last key event, then one more. */
static const char *const names[2] = { "days_since_activity", "x" };

static void bands_by_hand(void **state)
{
    (void)state;
    lapse_hazard hz;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_hazard_parse(&hz, "7,14,30", &err), LAPSE_OK);
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT; /* silence, 30 days, horizon 30 */
    lapse_hazard_set_risk(&hz, &def, names, 2);
    assert_int_equal(hz.risk, LAPSE_HAZARD_RISK_SILENCE);
    assert_int_equal(hz.key_columns[0], 0);
    assert_int_equal(lapse_hazard_validate(&hz, 30, 2, &err), LAPSE_OK);
    /* Silent 20 days: the 30th silent day is window day 11, in (7, 14]. */
    const double row20[2] = { 20, 0 };
    size_t first, last, bands[3];
    int y[3];
    lapse_hazard_at_risk(&first, &last, &hz, row20);
    assert_int_equal(first, 1);
    assert_int_equal(last, 2);
    assert_int_equal(lapse_hazard_periods(bands, y, &hz, row20, 1, 11), 1);
    assert_int_equal(bands[0], 1);
    assert_int_equal(y[0], 1);
    assert_int_equal(lapse_hazard_periods(bands, y, &hz, row20, 0, 0), 1);
    assert_int_equal(y[0], 0);
    const double hazard[3] = { 0, 0.6, 0 };
    double p[3];
    lapse_hazard_curve(p, &hz, hazard);
    assert_true(p[0] == 0.0 && p[1] == 0.6 && p[2] == 0.6);
    assert_int_equal(lapse_hazard_churn_by(&hz, row20, hazard, 0.5), 11);
    assert_int_equal(lapse_hazard_churn_by(&hz, row20, hazard, 0.7), 0);
    /* Not active (silent 31 days): at risk nowhere. */
    const double row31[2] = { 31, 0 };
    lapse_hazard_at_risk(&first, &last, &hz, row31);
    assert_int_equal(last - first, 0);

    /* Cancel churn: every band, up to the one it churned in. */
    def.cancel_is_churn = 1;
    lapse_hazard_set_risk(&hz, &def, names, 2);
    assert_int_equal(hz.risk, LAPSE_HAZARD_RISK_ALL);
    assert_int_equal(lapse_hazard_periods(bands, y, &hz, row20, 1, 10), 2);
    assert_true(bands[0] == 0 && y[0] == 0 && bands[1] == 1 && y[1] == 1);
    assert_int_equal(lapse_hazard_periods(bands, y, &hz, row20, 0, 0), 3);
    assert_true(y[0] == 0 && y[1] == 0 && y[2] == 0);
    /* A constant daily hazard 1 - 0.9^(1/7) in band 1: 50% by day 7 needs more. */
    const double spread[3] = { 0.1, 0.5, 0.5 };
    lapse_hazard_curve(p, &hz, spread);
    assert_true(fabs(p[1] - 0.55) < 1e-12);
    const int day = lapse_hazard_churn_by(&hz, row20, spread, 0.5);
    assert_true(day > 7 && day <= 14);
    /* 1 - 0.9 * 0.5^((day - 7) / 7) >= 0.5 first at day 13 (0.5^(6/7) = 0.552). */
    assert_int_equal(day, 13);
    /* No days_since_<key> column: every band at risk. */
    def.cancel_is_churn = 0;
    const char *const other[2] = { "a", "b" };
    lapse_hazard_set_risk(&hz, &def, other, 2);
    assert_int_equal(hz.risk, LAPSE_HAZARD_RISK_ALL);
}

/* A lapse table of n rows over two snapshots: days_since_activity k from 1
 * to 30, x standard normal; churn drawn from x (silence: the day is 31 - k;
 * cancel: a day drawn from x too). Free with free_table. */
static lapse_table *make_table(size_t n, int cancel, int with_days, uint64_t seed)
{
    lapse_table *t = calloc(1, sizeof *t);
    t->meta.version = LAPSE_TABLE_FORMAT_VERSION;
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    def.cancel_is_churn = cancel;
    t->meta.churn = def;
    t->meta.schema_hash = lapse_schema_hash(names, 2);
    t->n_features = 2;
    t->feature_names = malloc(2 * sizeof *t->feature_names);
    for (int j = 0; j < 2; j++)
        t->feature_names[j] = strdup(names[j]);
    t->n_rows = n;
    t->x = malloc(n * 2 * sizeof *t->x);
    t->user_ids = malloc(n * sizeof *t->user_ids);
    t->asof = malloc(n * sizeof *t->asof);
    t->labels = malloc(n * sizeof *t->labels);
    t->days_to_churn = with_days ? malloc(n * sizeof *t->days_to_churn) : NULL;
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double u[3];
        for (int q = 0; q < 3; q++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            u[q] = ((double)(s >> 11) + 0.5) * 0x1.0p-53;
        }
        const int k = 1 + (int)(u[0] * 30);
        const double x = sqrt(-2 * log(u[1])) * cos(6.283185307179586 * u[2]);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        const double v = ((double)(s >> 11) + 0.5) * 0x1.0p-53;
        const int churned = v < 1 / (1 + exp(-(2 * x - 1)));
        t->x[i * 2] = k;
        t->x[i * 2 + 1] = x;
        char id[32];
        snprintf(id, sizeof id, "u%zu", i / 2);
        t->user_ids[i] = strdup(id);
        t->asof[i] = i % 2 ? INT64_C(1769904000) : INT64_C(1767225600);
        t->labels[i] = (int8_t)churned;
        if (with_days)
            t->days_to_churn[i] = (int16_t)(!churned ? 0
                                            : cancel ? 1 + (int)(v * 29.0 * (x > 0 ? 0.3 : 1))
                                                     : 31 - k);
    }
    return t;
}

static void free_table(lapse_table *t)
{
    for (size_t j = 0; j < t->n_features; j++)
        free(t->feature_names[j]);
    for (size_t i = 0; i < t->n_rows; i++)
        free(t->user_ids[i]);
    free(t->feature_names);
    free(t->user_ids);
    free(t->x);
    free(t->asof);
    free(t->labels);
    free(t->days_to_churn);
    free(t);
}

static lapse_train_options hazard_options(void)
{
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.model = LAPSE_CLASSIFIER_LOGISTIC;
    o.k = 1;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_hazard_parse(&o.horizons, "7,14,30", &err), LAPSE_OK);
    return o;
}

/* Scores every row of t with m; checks p_7 <= p_14 <= p_30 = p_churn and,
 * with silence churn, the structural zeros. */
static void check_scores(const lapse_model *m, const lapse_table *t, int silence)
{
    lapse_scorer *s = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_score_create(&s, m, NULL, &err), LAPSE_OK);
    lapse_score_result *res = calloc(t->n_rows, sizeof *res);
    assert_int_equal(lapse_score_rows(s, res, t->x, t->n_rows, &err), LAPSE_OK);
    size_t positive_30 = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        const double *p = res[i].p_horizon;
        assert_true(p[0] <= p[1] && p[1] <= p[2]);
        assert_true(p[2] == res[i].p_churn);
        assert_true(p[0] >= 0 && p[2] <= 1);
        positive_30 += p[2] > 0;
        if (silence) { /* the day is 31 - k: p is 0 before its band, flat after */
            const int day = 31 - (int)t->x[i * 2];
            assert_true(day > 7 ? p[0] == 0.0 : p[0] == p[2]);
            assert_true(day > 14 ? p[1] == 0.0 : p[1] == p[2]);
        } else {
            assert_true(p[0] > 0 && p[1] > p[0] && p[2] > p[1]);
        }
        /* churn_by is set exactly when p_churn reaches the warning tier. */
        const double warning = m->tiers.thresholds[m->tiers.n_tiers - 3];
        assert_int_equal(res[i].churn_by > 0, res[i].p_churn >= warning);
        assert_true(res[i].churn_by <= 30);
    }
    assert_int_equal(positive_30, t->n_rows);
    free(res);
    lapse_score_free(s);
}

static void fit_silence(void **state)
{
    (void)state;
    lapse_table *t = make_table(4000, 0, 1, 11);
    lapse_train_options o = hazard_options();
    lapse_model *m = NULL;
    lapse_train_report r;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, &r, t, &o, &err), LAPSE_OK);
    assert_non_null(m->hazard);
    assert_int_equal(m->hazard->risk, LAPSE_HAZARD_RISK_SILENCE);
    /* One person-period per row: the band of its day. */
    assert_int_equal(r.hazard_periods, t->n_rows);
    assert_int_equal(r.hazard_structural, 2 * t->n_rows); /* after the refit on every row */
    assert_true(r.valid.auc > 0.75);
    check_scores(m, t, 1);

    /* Round trip: format 4 with HRZN, the same bytes again. */
    unsigned char *bytes = NULL, *again = NULL;
    size_t size = 0, size2 = 0;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), LAPSE_OK);
    assert_int_equal(bytes[8], 4);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "mem", &err), LAPSE_OK);
    assert_non_null(back->hazard);
    assert_memory_equal(back->hazard, m->hazard, sizeof *m->hazard);
    assert_int_equal(lapse_model_encode(&again, &size2, back, &err), LAPSE_OK);
    assert_int_equal(size, size2);
    assert_memory_equal(bytes, again, size);
    /* Without horizons the model is written as format 3, readable by older builds. */
    free(back->hazard);
    back->hazard = NULL;
    free(again);
    assert_int_equal(lapse_model_encode(&again, &size2, back, &err), LAPSE_OK);
    assert_int_equal(again[8], 3);
    free(again);
    free(bytes);
    lapse_model_free(back);
    lapse_model_free(m);
    free_table(t);
}

static void fit_cancel(void **state)
{
    (void)state;
    lapse_table *t = make_table(4000, 1, 1, 12);
    lapse_train_options o = hazard_options();
    lapse_model *m = NULL;
    lapse_train_report r;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, &r, t, &o, &err), LAPSE_OK);
    assert_int_equal(m->hazard->risk, LAPSE_HAZARD_RISK_ALL);
    assert_int_equal(r.hazard_structural, 0);
    /* Every row is at risk in the first band; more periods than rows. */
    assert_true(r.hazard_periods > t->n_rows);
    check_scores(m, t, 0);
    lapse_model_free(m);
    free_table(t);
}

static void refused(void **state)
{
    (void)state;
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_train_options o = hazard_options();
    lapse_table *no_days = make_table(600, 0, 0, 13);
    assert_int_equal(lapse_train(&m, NULL, no_days, &o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "days_to_churn"));
    free_table(no_days);
    lapse_table *t = make_table(600, 0, 1, 14);
    /* A churned row without its day (labels from a file): refused, named. */
    size_t churned = 0;
    while (t->labels[churned] != 1)
        churned++;
    t->days_to_churn[churned] = 0;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "labelled 1 without days_to_churn"));
    t->days_to_churn[churned] = (int16_t)(31 - (int)t->x[churned * 2]);
    assert_int_equal(lapse_hazard_parse(&o.horizons, "7,31", &err), LAPSE_OK);
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "beyond the table's label horizon"));
    o = hazard_options();
    o.model = LAPSE_CLASSIFIER_SVM;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    assert_null(m);
    free_table(t);
}

static lapse_train_options tree_options(void)
{
    lapse_train_options o = hazard_options();
    o.model = LAPSE_CLASSIFIER_GBDT;
    o.trees = 60;
    o.depth = 3;
    return o;
}

/* With reasons, the trees' contributions (d features, then the bias with
 * the band's own folded in) sum to each row's decision, the margin in its
 * decision band; and that decision is finite on every row. */
static void check_tree_contribs(const lapse_model *m, const lapse_table *t)
{
    lapse_score_options so = LAPSE_SCORE_OPTIONS_INIT;
    so.reasons = 2;
    lapse_scorer *s = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_score_create(&s, m, &so, &err), LAPSE_OK);
    lapse_score_result *res = calloc(t->n_rows, sizeof *res);
    assert_int_equal(lapse_score_rows(s, res, t->x, t->n_rows, &err), LAPSE_OK);
    const double *c = lapse_score_contribs(s);
    assert_non_null(c);
    const size_t d = m->n_features;
    for (size_t i = 0; i < t->n_rows; i++) {
        double sum = 0;
        for (size_t j = 0; j <= d; j++)
            sum += c[i * (d + 1) + j];
        assert_true(isfinite(res[i].decision));
        assert_true(fabs(sum - res[i].decision) < 1e-4 * (1 + fabs(res[i].decision)));
    }
    free(res);
    lapse_score_free(s);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void fit_trees(void **state)
{
    (void)state;
    lapse_table *t = make_table(4000, 0, 1, 21);
    lapse_train_options o = tree_options();
    lapse_model *m = NULL;
    lapse_train_report r;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, &r, t, &o, &err), LAPSE_OK);
    assert_non_null(m->hazard);
    assert_int_equal(m->classifier.kind, LAPSE_CLASSIFIER_GBDT);
    assert_int_equal(m->hazard->risk, LAPSE_HAZARD_RISK_SILENCE);
    assert_int_equal(r.hazard_periods, t->n_rows);
    assert_true(r.valid.auc > 0.75);
    assert_int_equal(lapse_model_tree_features(m), 3); /* two features and the band */
    for (size_t b = 0; b < 3; b++)
        assert_true(m->hazard->offset[b] == 0.0);
    check_scores(m, t, 1);
    check_tree_contribs(m, t);
    /* lapse bench's one-decision timings refuse trees over horizons. */
    double rate, decision[4];
    const char *name = NULL;
    assert_int_equal(lapse_bench_reference(&rate, 1, m, t->x, 4, NULL, decision, &name, &err),
                     LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "trees over horizons"));

    /* Round trip: format 5, the same bytes again, the same scores. */
    unsigned char *bytes = NULL, *again = NULL;
    size_t size = 0, size2 = 0;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), LAPSE_OK);
    assert_int_equal(bytes[8], 5);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "mem", &err), LAPSE_OK);
    assert_memory_equal(back->hazard, m->hazard, sizeof *m->hazard);
    assert_true(lapse_trees_equal(&back->classifier.forest, &m->classifier.forest));
    assert_int_equal(lapse_model_encode(&again, &size2, back, &err), LAPSE_OK);
    assert_int_equal(size, size2);
    assert_memory_equal(bytes, again, size);
    free(again);
    check_scores(back, t, 1);

    /* Format 4 never held trees over horizons: refused, naming the format. */
    put_le32(bytes + 8, 4);
    put_le32(bytes + size - 4, (uint32_t)crc32(0L, bytes, (uInt)(size - 4)));
    lapse_model *old = NULL;
    assert_int_equal(lapse_model_decode(&old, bytes, size, "mem", &err), LAPSE_ERR_FORMAT);
    assert_null(old);
    assert_non_null(strstr(err.message, "only format 5 holds"));
    /* Trees that split on a feature past the band: refused by the check. */
    lapse_tree_node *root = &back->classifier.forest.nodes[0];
    if (root->left) {
        root->feature = 3;
        assert_int_equal(lapse_model_validate(back, &err), LAPSE_ERR_ARG);
        assert_non_null(strstr(err.message, "feature"));
    }
    free(bytes);
    lapse_model_free(back);
    lapse_model_free(m);
    free_table(t);
}

/* With churn = cancel every band is at risk: the trees are walked once per
 * band, and p_h rises strictly over the bands. */
static void fit_trees_cancel(void **state)
{
    (void)state;
    lapse_table *t = make_table(4000, 1, 1, 22);
    lapse_train_options o = tree_options();
    lapse_model *m = NULL;
    lapse_train_report r;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, &r, t, &o, &err), LAPSE_OK);
    assert_int_equal(m->hazard->risk, LAPSE_HAZARD_RISK_ALL);
    assert_true(r.hazard_periods > t->n_rows);
    check_scores(m, t, 0);
    check_tree_contribs(m, t);
    lapse_model_free(m);
    free_table(t);
}

/* A logistic hazard model written by lapse before the trees (format 4,
 * tests/data/hazard/format4.model, see SOURCE.md there) still reads,
 * scores monotone and is written again byte for byte. */
static void format4_reads(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/hazard/format4.model",
             getenv("LAPSE_SOURCE_DIR"));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char bytes[1 << 20];
    const size_t size = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    assert_true(size > 20 && size < sizeof bytes);
    assert_int_equal(bytes[8], 4);
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_decode(&m, bytes, size, path, &err), LAPSE_OK);
    assert_non_null(m->hazard);
    assert_int_equal(m->classifier.kind, LAPSE_CLASSIFIER_LOGISTIC);
    assert_int_equal(m->hazard->n_bands, 3);
    assert_int_equal(m->hazard->horizons[2], 30);
    unsigned char *again = NULL;
    size_t size2 = 0;
    assert_int_equal(lapse_model_encode(&again, &size2, m, &err), LAPSE_OK);
    assert_int_equal(size2, size);
    assert_memory_equal(again, bytes, size);
    free(again);
    /* Rows of every silence from 1 to 40 days, other features 1: p_h
     * monotone, p_30 the churn probability. */
    const size_t d = m->n_features, n = 40;
    double *x = malloc(n * d * sizeof *x);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = strncmp(m->feature_names[j], "days_since_", 11) == 0 ? (double)i + 1
                                                                                 : 1.0;
    lapse_scorer *s = NULL;
    assert_int_equal(lapse_score_create(&s, m, NULL, &err), LAPSE_OK);
    lapse_score_result res[40];
    assert_int_equal(lapse_score_rows(s, res, x, n, &err), LAPSE_OK);
    size_t at_risk = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = res[i].p_horizon;
        assert_true(0 <= p[0] && p[0] <= p[1] && p[1] <= p[2] && p[2] <= 1);
        assert_true(p[2] == res[i].p_churn);
        at_risk += p[2] > 0;
    }
    assert_int_equal(at_risk, 30); /* silences of 1 to 30 days can still reach 30 */
    lapse_score_free(s);
    free(x);
    lapse_model_free(m);
}

/* Antolini's C_td by the definition, pair by pair. */
static double brute_concordance(const lapse_eval_rows *r, uint64_t *pairs)
{
    const size_t k = r->n_horizons;
    const int last = r->horizons[k - 1];
    double conc = 0;
    *pairs = 0;
    for (size_t i = 0; i < r->n; i++) {
        const int di = r->days_to_churn[i];
        if (!(r->y[i] == 1 && di >= 1 && di <= last))
            continue;
        size_t h = 0;
        while (r->horizons[h] < di)
            h++;
        for (size_t j = 0; j < r->n; j++) {
            const int dj = r->days_to_churn[j];
            const int tj = r->y[j] == 1 && dj >= 1 && dj <= last ? dj : last + 1;
            if (tj <= di)
                continue;
            (*pairs)++;
            const double pi = r->p_horizon[i * k + h], pj = r->p_horizon[j * k + h];
            conc += pi > pj ? 1.0 : pi == pj ? 0.5 : 0.0;
        }
    }
    return conc / (double)*pairs;
}

static void concordance(void **state)
{
    (void)state;
    enum { N = 300, K = 3 };
    lapse_eval_rows r;
    memset(&r, 0, sizeof r);
    r.n = N;
    r.n_horizons = K;
    r.horizons[0] = 7;
    r.horizons[1] = 14;
    r.horizons[2] = 30;
    r.y = malloc(N * sizeof *r.y);
    r.p = malloc(N * sizeof *r.p);
    r.p_horizon = malloc(N * K * sizeof *r.p_horizon);
    r.days_to_churn = malloc(N * sizeof *r.days_to_churn);
    uint64_t s = 5;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        r.y[i] = (s >> 40) % 3 == 0;
        /* Days up to 40: some churned past the last horizon. */
        r.days_to_churn[i] = r.y[i] ? 1 + (int)((s >> 20) % 40) : 0;
        /* Coarse scores, so ties occur. */
        double acc = 0;
        for (size_t h = 0; h < K; h++) {
            acc += (double)((s >> (8 * h)) % 5) / 20.0;
            r.p_horizon[i * K + h] = acc;
        }
        r.p[i] = r.p_horizon[i * K + K - 1];
    }
    double c;
    uint64_t pairs, want_pairs;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_eval_concordance(&c, &pairs, &r, &err), LAPSE_OK);
    const double want = brute_concordance(&r, &want_pairs);
    assert_int_equal(pairs, want_pairs);
    assert_true(fabs(c - want) < 1e-12);
    assert_true(pairs > 1000);
    lapse_eval_rows_free(&r);
}

/* eval's reader: p_<days> and days_to_churn read per row; files that name
 * other horizons, and a file without days_to_churn, as lapse/eval.h says. */
static void eval_reads_horizons(void **state)
{
    (void)state;
    const char *a = test_write_text("hazard_a.csv", "user_id,asof,p_churn,label,p_7,p_30,churn_by,"
                                                    "days_to_churn\nu1,d,0.5,1,0.2,0.5,9,9\n"
                                                    "u2,d,0.1,0,0,0.1,,\nu3,d,0.3,,0,0.3,,\n");
    const char *b = test_write_text("hazard_b.csv", "# lapse-scores; warnings=x\nuser_id,asof,"
                                                    "p_churn,label,p_7,p_30\nu4,d,0.4,1,0.4,0.4\n");
    const char *c = test_write_text("hazard_c.csv", "user_id,asof,p_churn,label,p_14,p_30,"
                                                    "days_to_churn\nu5,d,0.4,1,0.1,0.4,20\n");
    lapse_eval_rows r;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *one[1] = { a };
    assert_int_equal(lapse_eval_read(&r, one, 1, &err), LAPSE_OK);
    assert_int_equal(r.n, 2); /* the unlabelled row is skipped */
    assert_int_equal(r.n_horizons, 2);
    assert_int_equal(r.horizons[0], 7);
    assert_int_equal(r.horizons[1], 30);
    assert_true(r.p_horizon[0] == 0.2 && r.p_horizon[1] == 0.5 && r.p_horizon[3] == 0.1);
    assert_non_null(r.days_to_churn);
    assert_int_equal(r.days_to_churn[0], 9);
    assert_int_equal(r.days_to_churn[1], 0);
    lapse_eval_rows_free(&r);
    /* Same horizons, but the second file has no days_to_churn: none for all. */
    const char *two[2] = { a, b };
    assert_int_equal(lapse_eval_read(&r, two, 2, &err), LAPSE_OK);
    assert_int_equal(r.n, 3);
    assert_null(r.days_to_churn);
    double conc;
    uint64_t pairs;
    assert_int_equal(lapse_eval_concordance(&conc, &pairs, &r, &err), LAPSE_ERR_ARG);
    lapse_eval_rows_free(&r);
    const char *other[2] = { a, c };
    assert_int_equal(lapse_eval_read(&r, other, 2, &err), LAPSE_ERR_FORMAT);
    test_expect_location(&err, 1, 0, "differ from the first file's");
    lapse_eval_rows_free(&r);
    remove(a);
    remove(b);
    remove(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_lists), cmocka_unit_test(bands_by_hand),
        cmocka_unit_test(fit_silence), cmocka_unit_test(fit_cancel),
        cmocka_unit_test(refused),     cmocka_unit_test(concordance),
        cmocka_unit_test(fit_trees),   cmocka_unit_test(fit_trees_cancel),
        cmocka_unit_test(format4_reads),
        cmocka_unit_test(eval_reads_horizons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
