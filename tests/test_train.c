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

/* Profile columns set to constants: nothing to segment on. */
static int flat_profile;

static const double default_shares[3] = { 0.50, 0.80, 0.95 };

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
    x[7] = 60;                                     /* constant: dropped */
    if (flat_profile)
        x[2] = x[3] = x[4] = x[5] = 0.25;
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
            assert_true(m->scaler.scale[j] == LAPSE_MODEL_SCALE_DROPPED); /* constant */
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
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_LAST_SNAPSHOT;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "one snapshot only (2026-02-01)"));
    /* By default one snapshot holds out users instead: 30 users leave too
     * few held-out rows, refused with the counts. */
    assert_int_equal(lapse_train(&m, NULL, t, NULL, &err), LAPSE_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "the held-out part (--validate users:0.2) has "));
    assert_non_null(strstr(err.message, "too few to validate a model"));
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
    o.k = 65;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_USERS;
    o.holdout = 1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_FILE; /* without a file */
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_ROLLING;
    o.rolling_folds = 1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o.rolling_folds = LAPSE_MODEL_ROLLING_MAX + 1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_ARG);
    o = (lapse_train_options)LAPSE_TRAIN_OPTIONS_INIT;
    o.tier_cuts[1] = 0.4; /* not increasing */
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
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.refit = 0; /* the decisions below are the validated classifier's */
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), 0);
    assert_int_equal(m->tiers.kind, LAPSE_TIERS_PERCENTILE);
    assert_memory_equal(m->tiers.cuts, default_shares, sizeof default_shares);
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
    lapse_train_tiers(want, p, n, default_shares);
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
    lapse_train_tiers(thr, p, 40, default_shares);
    assert_true(fabs(thr[0] - 0.21) < 1e-15);
    assert_true(fabs(thr[1] - 0.33) < 1e-15);
    assert_true(fabs(thr[2] - 0.39) < 1e-15);
    /* Heavy ties: 0.1 x 17, 0.3 x 2, 0.9 x 1: 0.1 (rank 10), then 0.1 again at
     * rank 16 -> the next larger 0.3; rank 19 is 0.9. */
    double q[20];
    for (int i = 0; i < 20; i++)
        q[i] = i < 17 ? 0.1 : i < 19 ? 0.3 : 0.9;
    lapse_train_tiers(thr, q, 20, default_shares);
    assert_true(thr[0] == 0.1 && thr[1] == 0.3 && thr[2] == 0.9);
    /* All equal: halfway to 1 each time. */
    double same[4] = { 0.5, 0.5, 0.5, 0.5 };
    lapse_train_tiers(thr, same, 4, default_shares);
    assert_true(thr[0] == 0.5 && thr[1] == 0.75 && thr[2] == 0.875);
    /* Probabilities of 0 and 1 stay inside the edges. */
    double edge[4] = { 0, 0, 0, 1 };
    lapse_train_tiers(thr, edge, 4, default_shares);
    assert_true(thr[0] == 1e-6 && thr[1] == 1 - 1e-6 && thr[2] > thr[1] && thr[2] < 1);
}

static lapse_model *train_ok(lapse_train_report *r, const lapse_table *t,
                             const lapse_train_options *o)
{
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_train(&m, r, t, o, &err) != 0)
        fail_msg("code %d: %s", err.code, err.message);
    return m;
}

/* Held-out users: every labelled row of a held-out user (three snapshots
 * each) is held out, about the share of users, the same for the same seed. */
static void validate_users(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_USERS;
    o.holdout = 0.3;
    lapse_train_report r;
    lapse_model *m = train_ok(&r, t, &o);
    assert_int_equal(r.validation, LAPSE_VALIDATION_USERS);
    assert_int_equal(r.valid_rows, 3 * r.valid_users); /* no user on both sides */
    assert_int_equal(r.train_rows + r.valid_rows, 450);
    assert_true(r.valid_users > 30 && r.valid_users < 60); /* 45 expected of 150 */
    assert_int_equal(m->training.validation, LAPSE_VALIDATION_USERS);
    assert_true(m->training.holdout == 0.3);
    assert_true(m->training.first_asof == asof_secs[0] && m->training.last_asof == asof_secs[2]);
    lapse_train_report again;
    lapse_model *m2 = train_ok(&again, t, &o);
    assert_int_equal(again.valid_users, r.valid_users);
    o.seed = 2; /* another seed, other users */
    lapse_model *m3 = train_ok(&again, t, &o);
    assert_true(again.valid_rows != r.valid_rows || m3->training.auc != m->training.auc);
    /* Rows: about 30% of the 450 labelled rows, users on both sides. */
    o.validate = LAPSE_VALIDATION_RANDOM;
    lapse_model_free(m3);
    m3 = train_ok(&again, t, &o);
    assert_true(again.valid_rows > 100 && again.valid_rows < 170);
    assert_true(again.valid_rows < 3 * again.valid_users);
    assert_true(isnan(m->training.auc_se) == 0 && m->training.auc_se == r.valid.auc_se);
    assert_true(r.valid.auc_se > 0 && r.valid.auc_se < 0.1);
    lapse_model_free(m);
    lapse_model_free(m2);
    lapse_model_free(m3);
    lapse_table_free(t);
}

/* --validate rolling:2 on three labelled snapshots: fold 1 holds out the
 * second and trains on the first, fold 2 is the last-snapshot split, whose
 * calibration and tiers the model keeps; the summary is the folds' mean
 * and the next-period SE. rolling:3 leaves nothing to train fold 1 on. */
static void validate_rolling(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_ROLLING;
    o.rolling_folds = 2;
    lapse_train_report r, last;
    lapse_model *m = train_ok(&r, t, &o);
    lapse_model *plain = train_ok(&last, t, NULL);
    assert_int_equal(r.validation, LAPSE_VALIDATION_ROLLING);
    assert_int_equal(r.rolling_folds, 2);
    assert_true(r.folds[0].asof == asof_secs[1] && r.folds[1].asof == asof_secs[2]);
    assert_int_equal(r.folds[0].train_rows, 150);
    assert_int_equal(r.folds[0].valid_rows, 150);
    assert_int_equal(r.folds[1].train_rows, 300);
    assert_int_equal(r.folds[1].valid_rows, 150);
    assert_true(r.folds[1].auc == last.valid.auc && r.folds[1].auc_se == last.valid.auc_se);
    const double a = r.folds[0].auc, b = r.folds[1].auc, mean = (a + b) / 2;
    const double sd = fabs(a - b) / sqrt(2);
    const double s2 = (r.folds[0].auc_se * r.folds[0].auc_se + r.folds[1].auc_se * r.folds[1].auc_se) / 2;
    assert_float_equal(r.rolling_auc, mean, 1e-15);
    assert_float_equal(r.rolling_sd, sd, 1e-15);
    assert_float_equal(r.rolling_sampling_se, sqrt(s2), 1e-15);
    assert_float_equal(r.rolling_se, sqrt(fmax(sd * sd, s2) * 1.5), 1e-15);
    assert_int_equal(m->training.validation, LAPSE_VALIDATION_ROLLING);
    assert_true(m->training.holdout == 2);
    assert_true(m->training.auc == r.rolling_auc && m->training.auc_se == r.rolling_se);
    assert_true(m->calibration.kind == plain->calibration.kind &&
                m->calibration.a == plain->calibration.a && m->calibration.b == plain->calibration.b);
    assert_memory_equal(m->tiers.thresholds, plain->tiers.thresholds, 3 * sizeof(double));
    assert_memory_equal(m->classifier.weights, plain->classifier.weights, N_FEAT * sizeof(double));
    lapse_model_free(m);
    lapse_model_free(plain);

    lapse_error err = LAPSE_ERROR_INIT;
    o.rolling_folds = 3;
    m = (lapse_model *)1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "labelled rows from 3 snapshots: --validate rolling:3"));
    assert_non_null(strstr(err.message, "at most rolling:2"));
    lapse_table_free(t);
}

/* The users a file lists: first column, header user_id skipped, other
 * columns ignored, an unknown user counted; a bad id names file and line. */
static void validate_file(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    FILE *f = fopen("held.csv", "w");
    assert_non_null(f);
    fprintf(f, "user_id,label\n");
    for (int u = 0; u < 60; u++)
        fprintf(f, "u%d,1\n", u);
    fprintf(f, "nobody,0\n");
    assert_int_equal(fclose(f), 0);
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.validate = LAPSE_VALIDATION_FILE;
    o.holdout_file = "held.csv";
    lapse_train_report r;
    lapse_model *m = train_ok(&r, t, &o);
    assert_int_equal(r.valid_rows, 180);
    assert_int_equal(r.valid_users, 60);
    assert_int_equal(r.holdout_file_unknown, 1);
    assert_int_equal(m->training.validation, LAPSE_VALIDATION_FILE);
    assert_true(isnan(m->training.holdout));
    lapse_model_free(m);
    /* Ten users: 30 rows, too few, refused with the counts. */
    f = fopen("held_few.csv", "w");
    for (int u = 0; u < 10; u++)
        fprintf(f, "u%d\n", u);
    fclose(f);
    o.holdout_file = "held_few.csv";
    lapse_error err = LAPSE_ERROR_INIT;
    m = (lapse_model *)1;
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_RANGE);
    assert_null(m);
    assert_non_null(strstr(err.message, "the held-out part (--validate file:held_few.csv) has 30 labelled rows"));
    f = fopen("held_bad.csv", "w");
    fprintf(f, "u1\n\"\"\n");
    fclose(f);
    o.holdout_file = "held_bad.csv";
    assert_int_equal(lapse_train(&m, NULL, t, &o, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.path, "held_bad.csv");
    assert_int_equal(err.line, 2);
    lapse_table_free(t);
}

/* Refit: the same calibration, tiers and figures; another classifier,
 * fitted on every labelled row. */
static void refit_on_all_rows(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.refit = 0;
    lapse_train_report r0, r1;
    lapse_model *kept = train_ok(&r0, t, &o);
    o.refit = 1;
    lapse_model *refit = train_ok(&r1, t, &o);
    assert_int_equal(kept->training.refit, 0);
    assert_int_equal(refit->training.refit, 1);
    assert_int_equal(r0.refit_rows, 0);
    assert_int_equal(r1.refit_rows, 450);
    assert_int_equal(r1.classifier_rows, 450);
    assert_true(r0.valid.auc == r1.valid.auc && r0.valid.log_loss == r1.valid.log_loss);
    assert_true(kept->calibration.a == refit->calibration.a);
    assert_memory_equal(kept->tiers.thresholds, refit->tiers.thresholds, 3 * sizeof(double));
    int differ = refit->classifier.bias != kept->classifier.bias;
    for (int j = 0; j < N_FEAT; j++)
        differ |= refit->classifier.weights[j] != kept->classifier.weights[j];
    assert_true(differ);
    /* An SVM refits with the C and gamma it validated. */
    o.model = LAPSE_CLASSIFIER_SVM;
    lapse_model *svm = train_ok(&r1, t, &o);
    assert_int_equal(r1.classifier_rows, 450);
    /* Default gamma: 1 / the 7 features that vary (active_days_90 is constant). */
    assert_true(fabs(svm->classifier.gamma - 1.0 / 7) < 1e-15);
    assert_true(svm->scaler.scale[7] == LAPSE_MODEL_SCALE_DROPPED);
    assert_int_equal(r1.constant_features, 1);
    lapse_model_free(svm);
    lapse_model_free(kept);
    lapse_model_free(refit);
    lapse_table_free(t);
}

/* Tiers at probabilities are the cut-offs as given. */
static void probability_tiers(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.tiers = LAPSE_TIERS_PROBABILITY;
    o.tier_cuts[0] = 0.3;
    o.tier_cuts[1] = 0.6;
    o.tier_cuts[2] = 0.8;
    lapse_model *m = train_ok(NULL, t, &o);
    assert_int_equal(m->tiers.kind, LAPSE_TIERS_PROBABILITY);
    assert_true(m->tiers.thresholds[0] == 0.3 && m->tiers.thresholds[1] == 0.6 &&
                m->tiers.thresholds[2] == 0.8);
    assert_int_equal(lapse_model_tier(m, 0.59), 1);
    assert_non_null(strstr(m->training.options, "tiers=p:0.3,0.6,0.8"));
    lapse_model_free(m);
    lapse_table_free(t);
}

/* --k auto finds the three planted archetypes; k 4 splits one of them, and
 * the half that does not stand out more than its twin is mixed. */
static void k_auto_and_mixed(void **state)
{
    (void)state;
    lapse_table *t = standard_table();
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.k = LAPSE_TRAIN_K_AUTO;
    lapse_train_report r;
    lapse_model *m = train_ok(&r, t, &o);
    assert_int_equal(m->segments.k, 3);
    for (int k = 2; k <= 6; k++)
        assert_true(!(r.k_silhouette[k] > r.k_silhouette[3]));
    assert_true(isnan(r.k_silhouette[1]));
    lapse_model_free(m);
    o.k = 4;
    m = train_ok(NULL, t, &o);
    int named = 0, mixed = 0;
    for (size_t c = 0; c < 4; c++) {
        named += strcmp(m->segments.names[c], "price-sensitive") == 0 ||
                 strcmp(m->segments.names[c], "feature-dependent") == 0 ||
                 strcmp(m->segments.names[c], "social-driven") == 0;
        mixed += strcmp(m->segments.names[c], "mixed") == 0;
    }
    assert_int_equal(named, 3);
    assert_int_equal(mixed, 1);
    lapse_model_free(m);
    lapse_table_free(t);
}

/* Profile columns without variance: no segments, not an error; the model
 * saves and loads. */
static void no_segments_without_variance(void **state)
{
    (void)state;
    static const int which[3] = { 0, 1, 2 };
    flat_profile = 1;
    lapse_table *t = read_table(write_table("train_flat.csv", which, 3, 150, 0, 11));
    flat_profile = 0;
    lapse_train_report r;
    lapse_model *m = train_ok(&r, t, NULL);
    assert_non_null(r.no_segments);
    assert_int_equal(m->segments.k, 1);
    assert_int_equal(m->segments.n_profile, 0);
    assert_string_equal(m->segments.names[0], LAPSE_MODEL_NO_SEGMENT);
    assert_int_equal(m->segments.sizes[0], 300);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_save(m, "train_flat.model", &err), 0);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_load(&back, "train_flat.model", &err), 0);
    assert_int_equal(back->segments.n_profile, 0);
    lapse_model_free(back);
    lapse_model_free(m);
    lapse_table_free(t);
}

/* A table that is not lapse's own (here built in memory): features the
 * registry does not know, one snapshot. It trains with held-out users and
 * without segments. */
static void foreign_table(void **state)
{
    (void)state;
    enum { ROWS = 400, D = 3 };
    static const char *const names[D] = { "tenure", "calls", "plan_price" };
    lapse_table t = { 0 };
    t.meta = (lapse_table_meta){ 1, LAPSE_CHURN_DEF_INIT, lapse_schema_hash(names, D), "", "" };
    t.n_features = D;
    t.feature_names = (char **)names;
    t.n_rows = ROWS;
    double x[ROWS * D];
    char ids[ROWS][8];
    char *id_ptrs[ROWS];
    int64_t asof[ROWS];
    int8_t labels[ROWS];
    rng_state = 5;
    for (int i = 0; i < ROWS; i++) {
        x[i * D] = floor(60 * uniform());
        x[i * D + 1] = floor(20 * uniform());
        x[i * D + 2] = 30;
        snprintf(ids[i], sizeof ids[i], "c%d", i);
        id_ptrs[i] = ids[i];
        asof[i] = asof_secs[1];
        labels[i] = uniform() < 1 / (1 + exp(0.08 * x[i * D] - 2 + 0.1 * x[i * D + 1]));
    }
    t.x = x;
    t.user_ids = id_ptrs;
    t.asof = asof;
    t.labels = labels;
    lapse_train_report r;
    lapse_model *m = train_ok(&r, &t, NULL);
    assert_int_equal(r.validation, LAPSE_VALIDATION_USERS);
    assert_int_equal(r.valid_rows, r.valid_users);
    assert_int_equal(m->segments.n_profile, 0);
    assert_non_null(strstr(r.no_segments, "no profile feature"));
    assert_int_equal(r.constant_features, 1);
    assert_true(r.valid.auc > 0.6);
    lapse_model_free(m);
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
        cmocka_unit_test(validate_users),
        cmocka_unit_test(validate_rolling),
        cmocka_unit_test(validate_file),
        cmocka_unit_test(refit_on_all_rows),
        cmocka_unit_test(probability_tiers),
        cmocka_unit_test(k_auto_and_mixed),
        cmocka_unit_test(no_segments_without_variance),
        cmocka_unit_test(foreign_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
