/* lapse_train's orchestration on small synthetic feature tables that the
 * tests write themselves: the split by time, the scaler against a
 * by-hand reference, the segments and their names, byte-identical models,
 * refused tables and the tier rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/model.h"
#include "lapse/table.h"
#include "lapse/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-01, 2026-02-01, 2026-03-01, 2026-04-01 at midnight UTC. */
static const int64_t asof_secs[4] = { INT64_C(1767225600), INT64_C(1769904000),
                                      INT64_C(1772323200), INT64_C(1775001600) };
static const char *const asof_text[4] = { "2026-01-01", "2026-02-01", "2026-03-01",
                                          "2026-04-01" };

/* Registry features with known transforms and profile flags, one the
 * registry does not know (no transform, not profile) and a constant. */
#define N_FEAT 8
static const char *const feat[N_FEAT] = { "days_silent", "events_total", "share_core",
                                          "share_social", "share_coupon_purchases",
                                          "spend_per_purchase", "custom_score", "active_days_90" };
static const int feat_log1p[N_FEAT] = { 1, 1, 0, 0, 0, 1, 0, 0 };

static uint64_t rng_state;

static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* Planted archetype of a row: 0 price-sensitive, 1 feature-dependent, 2
 * social-driven. */
static void planted_row(double *x, int archetype, int *label)
{
    const double jitter = 0.03;
    double core = 0.2, social = 0.05, coupon = 0.05, spend = 60;
    if (archetype == 0) {
        coupon = 0.7;
        spend = 8;
    } else if (archetype == 1) {
        core = 0.75;
    } else {
        social = 0.6;
    }
    x[0] = floor(30 * uniform());                  /* days_silent */
    x[1] = floor(500 * uniform() * uniform());     /* events_total */
    x[2] = core + jitter * uniform();
    x[3] = social + jitter * uniform();
    x[4] = coupon + jitter * uniform();
    x[5] = spend * (0.8 + 0.4 * uniform());
    x[6] = uniform() - 0.5;
    x[7] = 60;                                     /* constant: sd 0 -> scale 1 */
    const double z = 0.15 * x[0] - 0.5 * log1p(x[1]) + 0.5;
    *label = uniform() < 1 / (1 + exp(-z));
}

/* Writes a table: rows_per rows at each of the snapshots in which[] (of
 * n_which), labelled unless unlabelled_last and it is the last one. */
static const char *write_table(const char *path, const int *which, int n_which, int rows_per,
                               int unlabelled_last, uint64_t seed)
{
    rng_state = seed;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_schema_hash(feat, N_FEAT), "", "" };
    char line[512];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), 0);
    fprintf(f, "%s\nuser_id,asof", line);
    for (int j = 0; j < N_FEAT; j++)
        fprintf(f, ",%s", feat[j]);
    fprintf(f, ",label\n");
    for (int s = 0; s < n_which; s++) {
        for (int i = 0; i < rows_per; i++) {
            double x[N_FEAT];
            int label;
            planted_row(x, i % 3, &label);
            fprintf(f, "u%d,%s", i, asof_text[which[s]]);
            for (int j = 0; j < N_FEAT; j++)
                fprintf(f, ",%.17g", x[j]);
            if (unlabelled_last && s == n_which - 1)
                fprintf(f, ",\n");
            else
                fprintf(f, ",%d\n", label);
        }
    }
    assert_int_equal(fclose(f), 0);
    return path;
}

static lapse_table *read_table(const char *path)
{
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *paths[1] = { path };
    assert_int_equal(lapse_table_read(&t, paths, 1, &err), 0);
    return t;
}

/* Snapshots 0, 1 train, 2 validates, 3 is unlabelled and must be ignored
 * even though it is the latest. */
static lapse_table *standard_table(void)
{
    static const int which[4] = { 0, 1, 2, 3 };
    return read_table(write_table("train_standard.csv", which, 4, 150, 1, 42));
}

static void split_by_time(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_model *m = NULL;
    lapse_train_report r;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_train(&m, &r, t, NULL, &err) != 0)
        fail_msg("code %d: %s", err.code, err.message);
    assert_int_equal(r.train_rows, 300);
    assert_int_equal(r.valid_rows, 150);
    assert_int_equal(r.unlabelled_rows, 150);
    assert_int_equal(r.train_snapshots, 2);
    assert_true(r.valid_asof == asof_secs[2]);
    assert_true(m->training.first_asof == asof_secs[0]);
    assert_true(m->training.last_asof == asof_secs[2]);
    assert_int_equal(m->training.train_rows, 300);
    assert_int_equal(m->training.valid_rows, 150);
    /* Labels of the training and validation periods, counted here. */
    size_t pos_train = 0, pos_valid = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        pos_train += t->labels[i] == 1 && t->asof[i] < asof_secs[2];
        pos_valid += t->labels[i] == 1 && t->asof[i] == asof_secs[2];
    }
    assert_int_equal(r.train_positives, pos_train);
    assert_int_equal(r.valid_positives, pos_valid);
    assert_int_equal(r.valid.n, 150);
    assert_int_equal(r.valid.positives, pos_valid);
    /* The stored figures are the report's cross-fitted ones. */
    assert_true(m->training.auc == r.valid.auc);
    assert_true(m->training.ece == r.valid.ece);
    assert_true(r.valid.auc > 0.6 && r.valid.auc <= 1);
    assert_true(m->meta.schema_hash == t->meta.schema_hash);
    assert_int_equal(m->n_features, N_FEAT);
    assert_string_equal(m->feature_names[6], "custom_score");
    lapse_model_free(m);
    lapse_table_free(t);
}

static void scaler_values(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), 0);
    for (int j = 0; j < N_FEAT; j++) {
        /* Reference: training rows only, transform by hand, naive sums. */
        double sum = 0, sq = 0;
        size_t n = 0;
        for (size_t i = 0; i < t->n_rows; i++) {
            if (t->labels[i] < 0 || t->asof[i] >= asof_secs[2])
                continue;
            const double v = t->x[i * N_FEAT + j];
            sum += feat_log1p[j] ? log1p(v) : v;
            n++;
        }
        const double mean = sum / (double)n;
        for (size_t i = 0; i < t->n_rows; i++) {
            if (t->labels[i] < 0 || t->asof[i] >= asof_secs[2])
                continue;
            const double v = t->x[i * N_FEAT + j];
            const double d = (feat_log1p[j] ? log1p(v) : v) - mean;
            sq += d * d;
        }
        const double sd = sqrt(sq / (double)n);
        assert_int_equal(m->scaler.transform[j],
                         feat_log1p[j] ? LAPSE_TRANSFORM_LOG1P : LAPSE_TRANSFORM_NONE);
        assert_true(fabs(m->scaler.mean[j] - mean) <= 1e-12 * (1 + fabs(mean)));
        if (j == 7) {
            assert_true(m->scaler.mean[j] == 60);
            assert_true(m->scaler.scale[j] == 1); /* sd 0 -> 1 */
        } else {
            assert_true(fabs(m->scaler.scale[j] - sd) <= 1e-12 * sd);
        }
    }
    lapse_model_free(m);
    lapse_table_free(t);
}

static void segments_named(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), 0);
    const lapse_model_segments *g = &m->segments;
    assert_int_equal(g->k, 3);
    assert_int_equal(g->n_profile, 4); /* the registry's profile features */
    assert_int_equal(g->profile[0], 2);
    assert_int_equal(g->profile[3], 5);
    assert_int_equal(g->transform[3], LAPSE_TRANSFORM_LOG1P);
    assert_int_equal(g->sizes[0] + g->sizes[1] + g->sizes[2], 300);
    assert_true(g->silhouette > 0.5 && g->silhouette <= 1);
    /* Every row lands in the segment named after its planted archetype. */
    static const char *const want[3] = { "price-sensitive", "feature-dependent", "social-driven" };
    size_t *seg = malloc(t->n_rows * sizeof *seg);
    assert_non_null(seg);
    lapse_model_segment_rows(m, t->x, t->n_rows, seg);
    for (size_t i = 0; i < t->n_rows; i++) {
        const int planted = atoi(t->user_ids[i] + 1) % 3;
        assert_string_equal(g->names[seg[i]], want[planted]);
    }
    /* 100 training rows of each archetype; centroids in original units. */
    for (size_t c = 0; c < 3; c++) {
        assert_int_equal(g->sizes[c], 100);
        if (!strcmp(g->names[c], "price-sensitive")) {
            assert_true(fabs(g->centroids_original[c * 4 + 2] - 0.715) < 0.01);
            assert_true(g->centroids_original[c * 4 + 3] > 6 && g->centroids_original[c * 4 + 3] < 10);
        }
    }
    free(seg);
    lapse_model_free(m);
    lapse_table_free(t);
}

static void deterministic_bytes(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    for (int kind = 0; kind < 2; kind++) {
        lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
        o.model = kind ? LAPSE_CLASSIFIER_SVM : LAPSE_CLASSIFIER_LOGISTIC;
        o.seed = 7;
        o.max_train = 200; /* the subsample must be seeded too */
        o.version = "test";
        unsigned char *bytes[2];
        size_t size[2];
        for (int run = 0; run < 2; run++) {
            lapse_model *m = NULL;
            lapse_error err = LAPSE_ERROR_INIT;
            assert_int_equal(lapse_train(&m, NULL, t, &o, &err), 0);
            assert_int_equal(lapse_model_encode(&bytes[run], &size[run], m, &err), 0);
            if (kind)
                assert_true(m->classifier.n_sv <= 200);
            lapse_model_free(m);
        }
        assert_int_equal(size[0], size[1]);
        assert_memory_equal(bytes[0], bytes[1], size[0]);
        /* A saved model reads back as the same bytes. */
        lapse_model *m = NULL;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_model_decode(&m, bytes[0], size[0], NULL, &err), 0);
        assert_string_equal(m->training.lapse_version, "test");
        assert_true(strstr(m->training.options, kind ? "svm rbf" : "logistic") != NULL);
        assert_true(strstr(m->training.options, "seed=7") != NULL);
        lapse_model_free(m);
        free(bytes[0]);
        free(bytes[1]);
    }
    lapse_table_free(t);
}

static void too_few_snapshots(void **state)
{
    (void)state;
    /* One labelled snapshot and an unlabelled one. */
    static const int which[2] = { 1, 3 };
    lapse_table *t = read_table(write_table("train_one.csv", which, 2, 30, 1, 3));
    lapse_model *m = (lapse_model *)1;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), LAPSE_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "one snapshot only (2026-02-01)"));
    lapse_table_free(t);
    /* No labels at all. */
    static const int only[1] = { 3 };
    t = read_table(write_table("train_none.csv", only, 1, 30, 1, 3));
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), LAPSE_ERR_RANGE);
    assert_non_null(strstr(err.message, "no labelled rows"));
    lapse_table_free(t);
}

static void bad_options(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.k = 0;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.calib_folds = 1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.model = LAPSE_CLASSIFIER_SVM;
    o.C = -1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    assert_null(m);
    lapse_table_free(t);
}

/* The stored tiers follow the rule on the final calibrated validation
 * probabilities, recomputed here from the model. */
static void tiers_from_validation(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), 0);
    assert_int_equal(m->tiers.n_tiers, 4);
    assert_string_equal(m->tiers.names[0], "low");
    assert_string_equal(m->tiers.names[3], "critical");
    const double *thr = m->tiers.thresholds;
    assert_true(0 < thr[0] && thr[0] < thr[1] && thr[1] < thr[2] && thr[2] < 1);
    double raw[150 * N_FEAT], f[150], p[150];
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->labels[i] >= 0 && t->asof[i] == asof_secs[2])
            memcpy(raw + n++ * N_FEAT, t->x + i * N_FEAT, N_FEAT * sizeof *raw);
    assert_int_equal(n, 150);
    assert_int_equal(lapse_train_decision(f, m, raw, n, 1, &err), 0);
    for (size_t i = 0; i < n; i++)
        p[i] = lapse_model_calibrate(m, f[i]);
    double want[3];
    lapse_train_tiers(want, p, n);
    assert_memory_equal(want, thr, sizeof want);
    /* At least half the validation rows are below the medium threshold
     * (p sorted by lapse_train_tiers). */
    size_t below = 0;
    while (below < n && p[below] < thr[0])
        below++;
    assert_true(below >= 75);
    /* Logistic decision by hand for the first row. */
    double z = m->classifier.bias;
    for (int j = 0; j < N_FEAT; j++) {
        const double v = feat_log1p[j] ? log1p(raw[j]) : raw[j];
        z += m->classifier.weights[j] * (v - m->scaler.mean[j]) / m->scaler.scale[j];
    }
    assert_true(fabs(z - f[0]) <= 1e-12 * (1 + fabs(z)));
    lapse_model_free(m);
    lapse_table_free(t);
}

static void tier_rule(void **state)
{
    (void)state;
    /* 40 distinct values 0.01..0.40, given in reverse: ranks 20, 32, 38. */
    double p[40], thr[3];
    for (int i = 0; i < 40; i++)
        p[i] = (40 - i) / 100.0;
    lapse_train_tiers(thr, p, 40);
    assert_true(fabs(thr[0] - 0.21) < 1e-15);
    assert_true(fabs(thr[1] - 0.33) < 1e-15);
    assert_true(fabs(thr[2] - 0.39) < 1e-15);
    /* Heavy ties: 0.1 x 17, 0.3 x 2, 0.9 x 1: 0.1 (rank 10), then 0.1 again at
     * rank 16 -> the next larger 0.3; rank 19 is 0.9. */
    double q[20];
    for (int i = 0; i < 20; i++)
        q[i] = i < 17 ? 0.1 : i < 19 ? 0.3 : 0.9;
    lapse_train_tiers(thr, q, 20);
    assert_true(thr[0] == 0.1 && thr[1] == 0.3 && thr[2] == 0.9);
    /* All equal: halfway to 1 each time. */
    double same[4] = { 0.5, 0.5, 0.5, 0.5 };
    lapse_train_tiers(thr, same, 4);
    assert_true(thr[0] == 0.5 && thr[1] == 0.75 && thr[2] == 0.875);
    /* Probabilities of 0 and 1 stay inside the edges. */
    double edge[4] = { 0, 0, 0, 1 };
    lapse_train_tiers(thr, edge, 4);
    assert_true(thr[0] == 1e-6 && thr[1] == 1 - 1e-6 && thr[2] > thr[1] && thr[2] < 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_by_time),
        cmocka_unit_test(scaler_values),
        cmocka_unit_test(segments_named),
        cmocka_unit_test(deterministic_bytes),
        cmocka_unit_test(too_few_snapshots),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(tiers_from_validation),
        cmocka_unit_test(tier_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
