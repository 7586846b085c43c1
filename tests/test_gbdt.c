/* Boosted trees end to end on a small synthetic table whose label is an
 * interaction (the XOR of two features' signs), which no linear model can
 * fit: lapse_train --model gbdt against logistic, byte-identical models,
 * the model file round trip, scores equal to XGBoost's own prediction,
 * contributions that sum to the margin, and corrupted trees refused.
 *
 * `test_gbdt --write-fixtures DIR` writes DIR/gbdt.model, a small boosted
 * model (the fuzz seed tests/fuzz/corpus/model/gbdt.model). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/gbdt.h"
#include "lapse/model.h"
#include "lapse/score.h"
#include "lapse/table.h"
#include "lapse/train.h"

#include <xgboost/c_api.h>
#include <zlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_FEAT 3
static const char *const feat[N_FEAT] = { "custom_a", "custom_b", "custom_noise" };
static const char *const asof_text[3] = { "2026-01-01", "2026-02-01", "2026-03-01" };

static uint64_t rng_state;

static double uniform(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* rows_per rows at each of three snapshots; churn when a and b have the
 * same sign, with 10% of labels flipped. */
static lapse_table *xor_table(const char *path, int rows_per)
{
    rng_state = 7;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_schema_hash(feat, N_FEAT), "", "" };
    char line[512];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), 0);
    fprintf(f, "%s\nuser_id,asof,%s,%s,%s,label\n", line, feat[0], feat[1], feat[2]);
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < rows_per; i++) {
            const double a = uniform() - 0.5, b = uniform() - 0.5, noise = uniform();
            const int label = ((a > 0) == (b > 0)) != (uniform() < 0.1);
            fprintf(f, "u%d,%s,%.17g,%.17g,%.17g,%d\n", i, asof_text[s], a, b, noise, label);
        }
    assert_int_equal(fclose(f), 0);
    lapse_table *t = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *paths[1] = { path };
    if (lapse_table_read(&t, paths, 1, &err) != 0)
        fail_msg("%s", err.message);
    return t;
}

static lapse_model *train(lapse_train_report *r, const lapse_table *t, lapse_classifier_kind kind,
                          size_t trees, int depth)
{
    lapse_train_options o = LAPSE_TRAIN_OPTIONS_INIT;
    o.model = kind;
    o.trees = trees;
    o.depth = depth;
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_train(&m, r, t, &o, &err) != 0)
        fail_msg("code %d: %s", err.code, err.message);
    return m;
}

static void interaction_beats_logistic(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 400);
    lapse_train_report rg, rl;
    lapse_model *g = train(&rg, t, LAPSE_CLASSIFIER_GBDT, 300, 4);
    lapse_model *l = train(&rl, t, LAPSE_CLASSIFIER_LOGISTIC, 300, 4);
    assert_int_equal(g->classifier.kind, LAPSE_CLASSIFIER_GBDT);
    /* 10% noise caps the AUC near 0.9; a linear model sees nothing. */
    assert_true(rg.valid.auc > 0.8);
    assert_true(rl.valid.auc < 0.65);
    assert_true(rg.valid.auc > rl.valid.auc + 0.2);
    /* Early stopping kept fewer rounds than it grew, and refit grew those. */
    assert_true(rg.gbdt_best_iteration + 1 <= rg.gbdt_rounds);
    assert_int_equal(g->classifier.best_iteration, rg.gbdt_best_iteration);
    assert_int_equal(g->classifier.trees, 300);
    lapse_model_free(g);
    lapse_model_free(l);
    lapse_table_free(t);
}

static void same_bytes_and_round_trip(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 200);
    lapse_model *a = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 50, 3);
    lapse_model *b = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 50, 3);
    unsigned char *ea, *eb, *again;
    size_t na, nb, nagain;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_encode(&ea, &na, a, &err), 0);
    assert_int_equal(lapse_model_encode(&eb, &nb, b, &err), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(ea, eb, na);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, ea, na, "gbdt.model", &err), 0);
    assert_int_equal(back->classifier.booster_size, a->classifier.booster_size);
    assert_memory_equal(back->classifier.booster, a->classifier.booster, a->classifier.booster_size);
    assert_int_equal(back->classifier.depth, 3);
    assert_int_equal(lapse_model_encode(&again, &nagain, back, &err), 0);
    assert_int_equal(nagain, na);
    assert_memory_equal(again, ea, na);
    free(ea);
    free(eb);
    free(again);
    lapse_model_free(a);
    lapse_model_free(b);
    lapse_model_free(back);
    lapse_table_free(t);
}

/* lapse's decisions are XGBoost's margins on the scaled rows (predicted
 * here through XGBoost's own DMatrix path), and the contributions add up
 * to them. */
static void score_is_xgboost_prediction(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 200);
    lapse_model *m = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 100, 4);
    const size_t n = t->n_rows, d = N_FEAT;
    lapse_score_options so = LAPSE_SCORE_OPTIONS_INIT;
    so.threads = 2;
    so.reasons = 3;
    lapse_scorer *s = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_score_create(&s, m, &so, &err), 0);
    lapse_score_result *res = calloc(n, sizeof *res);
    assert_non_null(res);
    assert_int_equal(lapse_score_rows(s, res, t->x, n, &err), 0);

    double *xs = malloc(n * d * sizeof *xs);
    float *xf = malloc(n * d * sizeof *xf);
    double *contrib = malloc(n * (d + 1) * sizeof *contrib);
    assert_true(xs && xf && contrib);
    lapse_scaler_apply(&m->scaler, d, t->x, n, xs);
    for (size_t i = 0; i < n * d; i++)
        xf[i] = (float)xs[i];
    BoosterHandle b;
    DMatrixHandle dm;
    assert_int_equal(XGBoosterCreate(NULL, 0, &b), 0);
    assert_int_equal(XGBoosterLoadModelFromBuffer(b, m->classifier.booster,
                                                  m->classifier.booster_size), 0);
    assert_int_equal(XGDMatrixCreateFromMat(xf, n, d, NAN, &dm), 0);
    bst_ulong len = 0;
    const float *want = NULL;
    assert_int_equal(XGBoosterPredict(b, dm, 1 /* margin */, 0, 0, &len, &want), 0);
    assert_int_equal(len, n);
    lapse_gbdt *g = NULL;
    assert_int_equal(lapse_gbdt_load(&g, NULL, m->classifier.booster, m->classifier.booster_size,
                                     d, 1, &err), 0);
    assert_int_equal(lapse_gbdt_contribs(g, contrib, xs, n, &err), 0);
    int reasons = 0;
    for (size_t i = 0; i < n; i++) {
        assert_float_equal(res[i].decision, want[i], 1e-6);
        double sum = 0;
        for (size_t j = 0; j <= d; j++)
            sum += contrib[i * (d + 1) + j];
        assert_float_equal(sum, want[i], 1e-4);
        /* The first reason is the largest positive contribution. */
        if (res[i].reason[0] >= 0) {
            reasons++;
            for (size_t j = 0; j < d; j++)
                assert_true(contrib[i * (d + 1) + j] <=
                            contrib[i * (d + 1) + (size_t)res[i].reason[0]]);
        }
    }
    assert_true(reasons > 0);
    lapse_gbdt_free(g);
    XGDMatrixFree(dm);
    XGBoosterFree(b);
    free(xs);
    free(xf);
    free(contrib);
    free(res);
    lapse_score_free(s);
    lapse_model_free(m);
    lapse_table_free(t);
}

/* Booster bytes that do not match their sha256, bytes XGBoost refuses
 * (with a matching sha256), or trees that do not match the recorded rounds
 * never load: from memory (validate) and from a file whose checksum was
 * made right again (decode). */
static void corrupt_booster_refused(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 200);
    lapse_model *m = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 30, 3);
    lapse_error err = LAPSE_ERROR_INIT;
    unsigned char *bytes;
    size_t size;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), 0);
    lapse_model_classifier *c = &m->classifier;
    unsigned char *at = NULL;
    for (size_t i = 0; !at && i + c->booster_size <= size; i++)
        if (memcmp(bytes + i, c->booster, c->booster_size) == 0)
            at = bytes + i;
    assert_non_null(at);

    /* Cut the trees in half: refused by the sha256, then by the check. */
    const size_t full = c->booster_size;
    unsigned char kept[LAPSE_GBDT_DIGEST_SIZE];
    memcpy(kept, c->booster_sha256, sizeof kept);
    c->booster_size = full / 2;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "sha256"));
    lapse_gbdt_digest(c->booster_sha256, c->booster, c->booster_size);
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "not well-formed JSON"));
    c->booster_size = full;
    memcpy(c->booster_sha256, kept, sizeof kept);
    c->best_iteration++;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "rounds"));
    c->best_iteration--;
    assert_int_equal(lapse_model_validate(m, &err), 0);

    memset(at, 'x', 16);
    const uint32_t crc = (uint32_t)crc32(0, bytes, (uInt)(size - 4));
    for (int i = 0; i < 4; i++)
        bytes[size - 4 + i] = (unsigned char)(crc >> (8 * i));
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "bad.model", &err), LAPSE_ERR_FORMAT);
    assert_null(back);
    assert_non_null(strstr(err.message, "sha256"));
    free(bytes);
    lapse_model_free(m);
    lapse_table_free(t);
}

static void expect_refusal(const char *json, size_t d, const char *needle)
{
    lapse_error err = LAPSE_ERROR_INIT;
    const int rc = lapse_gbdt_check((const unsigned char *)json, strlen(json), d, &err);
    if (!needle) {
        if (rc != 0)
            fail_msg("%s refused: %s", json, err.message);
        return;
    }
    assert_int_equal(rc, LAPSE_ERR_FORMAT);
    if (!strstr(err.message, needle))
        fail_msg("%s: \"%s\" lacks \"%s\"", json, err.message, needle);
}

/* The check that stands before XGBoost's loader, rule by rule. */
static void check_rules(void **state)
{
    (void)state;
    expect_refusal("{\"t\":{\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],"
                 "\"split_indices\":[2,0,0],\"split_type\":[0,0,0],"
                 "\"tree_param\":{\"num_nodes\":\"3\"}}}", 3, NULL);
    expect_refusal("{\"t\":{\"left_children\":[1,0,-1]}}", 3, "backwards (a cycle)");
    expect_refusal("{\"t\":{\"left_children\":[0]}}", 3, "backwards (a cycle)");
    expect_refusal("{\"t\":{\"right_children\":[3,-1,-1]}}", 3, "past its nodes");
    expect_refusal("{\"t\":{\"left_children\":[1.5,-1]}}", 3, "non-integer");
    expect_refusal("{\"t\":{\"split_indices\":[3]}}", 3, "feature the model does not have");
    expect_refusal("{\"t\":{\"split_indices\":[-1]}}", 3, "feature the model does not have");
    expect_refusal("{\"t\":{\"split_type\":[1]}}", 3, "categorical split");
    expect_refusal("{\"num_nodes\":\"99999999999999999999999\"}", 3, "count larger");
    expect_refusal("{\"num_nodes\":\"4000\"}", 3, "count larger");
    expect_refusal("{\"a\":1", 3, "not well-formed JSON");
    expect_refusal("{\"a\":1} {}", 3, "not well-formed JSON");
    expect_refusal(" {\"a\":1}", 3, "not XGBoost's JSON");
    expect_refusal("[1]", 3, "not XGBoost's JSON");
    char deep[200] = "{\"a\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    expect_refusal(deep, 3, "nests too deep");
    /* Well-formed but not a model: the check lets it by, XGBoost refuses. */
    lapse_gbdt *g = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *empty = "{\"learner\":{}}";
    assert_int_equal(lapse_gbdt_load(&g, NULL, (const unsigned char *)empty, strlen(empty), 3, 1,
                                     &err), LAPSE_ERR_FORMAT);
    assert_null(g);
    assert_non_null(strstr(err.message, "XGBoost"));
}

static int write_fixtures(const char *dir)
{
    char path[4096];
    lapse_table *t = xor_table("gbdt_fixture.csv", 100);
    lapse_model *m = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 4, 2);
    lapse_error err = LAPSE_ERROR_INIT;
    snprintf(path, sizeof path, "%s/gbdt.model", dir);
    const int rc = lapse_model_save(m, path, &err);
    if (rc != 0)
        fprintf(stderr, "test_gbdt: %s: %s\n", path, err.message);
    lapse_model_free(m);
    lapse_table_free(t);
    return rc != 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0)
        return write_fixtures(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(interaction_beats_logistic),
        cmocka_unit_test(same_bytes_and_round_trip),
        cmocka_unit_test(score_is_xgboost_prediction),
        cmocka_unit_test(corrupt_booster_refused),
        cmocka_unit_test(check_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
