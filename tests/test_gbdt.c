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
#include "lapse/trees.h"

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

/* XGBoost's margins and contributions (n x (d + 1)) of rows xs, through
 * its own DMatrix path on float32 rows, NaN missing; malloc'd copies. */
static void xgboost_predict(const unsigned char *booster, size_t size, const double *xs, size_t n,
                            size_t d, float **margin, float **contrib)
{
    float *xf = malloc(n * d * sizeof *xf);
    assert_non_null(xf);
    for (size_t i = 0; i < n * d; i++)
        xf[i] = (float)xs[i];
    BoosterHandle b;
    DMatrixHandle dm;
    assert_int_equal(XGBoosterCreate(NULL, 0, &b), 0);
    assert_int_equal(XGBoosterLoadModelFromBuffer(b, booster, size), 0);
    assert_int_equal(XGDMatrixCreateFromMat(xf, n, d, NAN, &dm), 0);
    bst_ulong len = 0;
    const float *got = NULL;
    assert_int_equal(XGBoosterPredict(b, dm, 1 /* margin */, 0, 0, &len, &got), 0);
    assert_int_equal(len, n);
    *margin = malloc(n * sizeof **margin);
    assert_non_null(*margin);
    memcpy(*margin, got, n * sizeof **margin);
    assert_int_equal(XGBoosterPredict(b, dm, 4 /* contributions */, 0, 0, &len, &got), 0);
    assert_int_equal(len, n * (d + 1));
    *contrib = malloc(n * (d + 1) * sizeof **contrib);
    assert_non_null(*contrib);
    memcpy(*contrib, got, n * (d + 1) * sizeof **contrib);
    XGDMatrixFree(dm);
    XGBoosterFree(b);
    free(xf);
}

/* The scaled rows of t, then for every split rows on its decision edge:
 * its feature at XGBoost's float threshold, at lapse's double threshold
 * and one double either side, and missing; *n grows to count them. */
static double *edge_rows(const lapse_model *m, const lapse_table *t, size_t *n)
{
    const size_t d = m->n_features;
    const lapse_trees *f = &m->classifier.forest;
    size_t splits = 0;
    for (size_t i = 0; i < f->n_nodes; i++)
        splits += f->nodes[i].left != 0;
    const size_t edges = 5;
    *n = t->n_rows + splits * edges;
    double *xs = malloc(*n * d * sizeof *xs);
    assert_non_null(xs);
    lapse_scaler_apply(&m->scaler, d, t->x, t->n_rows, xs);
    size_t r = t->n_rows;
    for (size_t i = 0; i < f->n_nodes; i++) {
        const lapse_tree_node *node = &f->nodes[i];
        if (node->left == 0)
            continue;
        const double T = node->value;
        const double at[5] = { (float)T, T, nextafter(T, -INFINITY), nextafter(T, INFINITY), NAN };
        for (size_t e = 0; e < edges; e++, r++) {
            memcpy(xs + r * d, xs + (r % t->n_rows) * d, d * sizeof *xs);
            xs[r * d + node->feature] = at[e];
        }
    }
    /* Some rows missing in every feature. */
    for (size_t i = 0; i < t->n_rows; i += 7)
        for (size_t j = 0; j < d; j++)
            xs[i * d + j] = NAN;
    return xs;
}

/* lapse's own evaluator gives XGBoost's margins (to 1e-6; in fact bit for
 * bit) on every row, with and without float32 thresholds, on rows sitting
 * on every split's edge and on missing values, and on rows without any; its TreeSHAP gives XGBoost's
 * pred_contribs to 1e-5, summing to the margin; the scorer's decisions on
 * two threads are those margins and its first reason the largest
 * contribution. */
static void forest_is_xgboost(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 200);
    lapse_model *m = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 100, 4);
    const size_t d = N_FEAT;
    size_t n = 0;
    double *xs = edge_rows(m, t, &n);
    float *want = NULL, *want_contrib = NULL;
    xgboost_predict(m->classifier.booster, m->classifier.booster_size, xs, n, d, &want,
                    &want_contrib);
    lapse_forest *f = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_forest_compile(&f, &m->classifier.forest, d, &err), 0);
    assert_true(lapse_forest_has_fast(f));
    double *margin = malloc(n * sizeof *margin), *fast = malloc(n * sizeof *fast);
    double *contrib = malloc(n * (d + 1) * sizeof *contrib);
    void *scratch = malloc(lapse_forest_scratch(f));
    assert_true(margin && fast && contrib && scratch);
    lapse_forest_margin(f, margin, xs, n, 0, scratch);
    lapse_forest_margin(f, fast, xs, n, 1, scratch);
    lapse_forest_contribs(f, contrib, xs, n, scratch);
    size_t exact = 0;
    for (size_t i = 0; i < n; i++) {
        assert_float_equal(margin[i], want[i], 1e-6);
        exact += margin[i] == (double)want[i];
        assert_true(fast[i] == margin[i]);
        double sum = 0;
        for (size_t j = 0; j <= d; j++) {
            assert_float_equal(contrib[i * (d + 1) + j], want_contrib[i * (d + 1) + j], 1e-5);
            sum += contrib[i * (d + 1) + j];
        }
        assert_float_equal(sum, margin[i], 1e-5);
    }
    assert_int_equal(exact, n);

    lapse_score_options so = LAPSE_SCORE_OPTIONS_INIT;
    so.threads = 2;
    lapse_scorer *s = NULL;
    assert_int_equal(lapse_score_create(&s, m, &so, &err), 0);
    lapse_score_result *res = calloc(t->n_rows, sizeof *res);
    assert_non_null(res);
    assert_int_equal(lapse_score_rows(s, res, t->x, t->n_rows, &err), 0);
    double *plain = malloc(t->n_rows * d * sizeof *plain);
    assert_non_null(plain);
    lapse_scaler_apply(&m->scaler, d, t->x, t->n_rows, plain);
    lapse_forest_margin(f, margin, plain, t->n_rows, 0, scratch);
    lapse_forest_contribs(f, contrib, plain, t->n_rows, scratch);
    /* Blocks without a missing value take the evaluator's other path. */
    float *want_plain = NULL, *want_plain_contrib = NULL;
    xgboost_predict(m->classifier.booster, m->classifier.booster_size, plain, t->n_rows, d,
                    &want_plain, &want_plain_contrib);
    int reasons = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        assert_true(margin[i] == (double)want_plain[i]);
        assert_true(res[i].decision == margin[i]);
        if (res[i].reason[0] >= 0) {
            reasons++;
            for (size_t j = 0; j < d; j++)
                assert_true(contrib[i * (d + 1) + j] <=
                            contrib[i * (d + 1) + (size_t)res[i].reason[0]]);
        }
    }
    assert_true(reasons > 0);
    free(want_plain);
    free(want_plain_contrib);
    free(plain);
    free(res);
    lapse_score_free(s);
    free(margin);
    free(fast);
    free(contrib);
    free(scratch);
    free(want);
    free(want_contrib);
    free(xs);
    lapse_forest_free(f);
    lapse_model_free(m);
    lapse_table_free(t);
}

/* x < lapse_trees_boundary(t) exactly when (float)x < t, around floats of
 * every kind: even and odd mantissas, zeros, subnormals, the largest. */
static void boundary_decides_as_float(void **state)
{
    (void)state;
    const float samples[] = { 0.5f,      0.1f,         -0.1f,        1.0f / 3,  0.0f,
                              -0.0f,     0x1p-149f,    -0x1p-149f,   3e38f,     -0x1.fffffep127f,
                              16777217.0f, 1e-30f,     -2.5f,        7.0f };
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const float t = samples[i];
        const double b = lapse_trees_boundary(t);
        const double probes[] = { b, nextafter(b, -INFINITY), nextafter(b, INFINITY), t,
                                  nextafter(t, -INFINITY), nextafter(t, INFINITY) };
        for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++)
            if ((probes[k] < b) != ((float)probes[k] < t))
                fail_msg("t %a: x %a decides %d against float %d", (double)t, probes[k],
                         probes[k] < b, (float)probes[k] < t);
    }
}

/* A forest of one split on feature 0 with two leaves. */
static lapse_tree_node small_nodes[3];
static uint32_t small_sizes[1];

static lapse_trees small_forest(void)
{
    const lapse_tree_node root = { 1, 2, 0, 1, 0.5, 10 };
    const lapse_tree_node leaf1 = { 0, 0, 0, 0, -0.25, 4 };
    const lapse_tree_node leaf2 = { 0, 0, 0, 0, 0.75, 6 };
    small_nodes[0] = root;
    small_nodes[1] = leaf1;
    small_nodes[2] = leaf2;
    small_sizes[0] = 3;
    lapse_trees f = { 1, small_sizes, 3, small_nodes, 0 };
    return f;
}

static void expect_bad_forest(const lapse_trees *f, const char *needle)
{
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_trees_check(f, 2, &err), LAPSE_ERR_FORMAT);
    if (!strstr(err.message, needle))
        fail_msg("\"%s\" lacks \"%s\"", err.message, needle);
}

/* Trees the evaluator must not walk are refused by name. */
static void bad_forests_refused(void **state)
{
    (void)state;
    lapse_trees f = small_forest();
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_trees_check(&f, 2, &err), 0);
    small_nodes[0].value = NAN;
    expect_bad_forest(&f, "tree 0 node 0 has a NaN threshold");
    f = small_forest();
    small_nodes[0].value = INFINITY;
    expect_bad_forest(&f, "must be finite");
    f = small_forest();
    small_nodes[0].left = 0;
    expect_bad_forest(&f, "no cycles");
    f = small_forest();
    small_nodes[0].right = 1;
    expect_bad_forest(&f, "no cycles");
    f = small_forest();
    small_nodes[0].right = 3;
    expect_bad_forest(&f, "of a tree of 3 nodes");
    f = small_forest();
    small_nodes[0].feature = 2;
    expect_bad_forest(&f, "splits on feature 2 of 2");
    f = small_forest();
    small_nodes[1].value = NAN;
    expect_bad_forest(&f, "leaf 1 has value");
    f = small_forest();
    small_nodes[1].left = 2; /* node 2 gets a second parent */
    small_nodes[1].right = 2;
    expect_bad_forest(&f, "no cycles");
    f = small_forest();
    small_nodes[0].cover = 0;
    expect_bad_forest(&f, "cover 0");
    f = small_forest();
    small_nodes[2].cover = 1e59;
    expect_bad_forest(&f, "must be its children's sum");
    f = small_forest();
    f.n_nodes = 4;
    expect_bad_forest(&f, "the trees hold 3 nodes");
    f = small_forest();
    small_sizes[0] = 0;
    expect_bad_forest(&f, "tree 0 has 0 nodes");
}

/* A threshold that is no float32 boundary (0.5 is a float itself, not a
 * midpoint between two) has no float32 copy: --fast then walks the double
 * thresholds, with the same margins; the boundary of 0.5f has one. Missing
 * values go the default way. */
static void fast_needs_float_boundaries(void **state)
{
    (void)state;
    lapse_trees t = small_forest();
    lapse_forest *f = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const double x[] = { 0.5, 0, nextafter(0.5, 0), 0, NAN, 0, 0.75, NAN };
    double fast[4], plain[4];
    assert_int_equal(lapse_forest_compile(&f, &t, 2, &err), 0);
    assert_false(lapse_forest_has_fast(f));
    void *scratch = malloc(lapse_forest_scratch(f));
    assert_non_null(scratch);
    lapse_forest_margin(f, plain, x, 4, 0, scratch);
    lapse_forest_margin(f, fast, x, 4, 1, scratch);
    const double want[4] = { 0.75, -0.25, -0.25, 0.75 }; /* NaN goes left: default_left */
    for (int i = 0; i < 4; i++) {
        assert_true(plain[i] == want[i]);
        assert_true(fast[i] == want[i]);
    }
    free(scratch);
    lapse_forest_free(f);
    small_nodes[0].value = lapse_trees_boundary(0.5f);
    assert_int_equal(lapse_forest_compile(&f, &t, 2, &err), 0);
    assert_true(lapse_forest_has_fast(f));
    lapse_forest_free(f);
}

/* In a model file: the path, the section and the node are named. */
static void bad_forest_file_refused(void **state)
{
    (void)state;
    lapse_table *t = xor_table("gbdt_xor.csv", 200);
    lapse_model *m = train(NULL, t, LAPSE_CLASSIFIER_GBDT, 10, 3);
    lapse_error err = LAPSE_ERROR_INIT;
    unsigned char *bytes;
    size_t size;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), 0);
    /* The root of the first tree: its threshold's bytes, found in the file. */
    const double root = m->classifier.forest.nodes[0].value;
    unsigned char pattern[8];
    uint64_t bits;
    memcpy(&bits, &root, sizeof bits);
    for (int i = 0; i < 8; i++)
        pattern[i] = (unsigned char)(bits >> (8 * i));
    size_t at = 0;
    while (at + 8 <= size && memcmp(bytes + at, pattern, 8) != 0)
        at++;
    assert_true(at + 8 <= size);
    const struct {
        size_t offset;
        unsigned char byte[8];
        size_t len;
        const char *needle;
    } cases[] = {
        { at, { 0, 0, 0, 0, 0, 0, 0xf8, 0x7f }, 8, "tree 0 node 0 has a NaN threshold" },
        { at - 13, { 0 }, 4, "no cycles" },               /* left child: the root itself */
        { at - 9, { 0xff, 0, 0, 0 }, 4, "of a tree of" }, /* right child past the tree */
        { at - 5, { 9, 0, 0, 0 }, 4, "splits on feature 9 of 3" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned char *copy = malloc(size);
        assert_non_null(copy);
        memcpy(copy, bytes, size);
        memcpy(copy + cases[c].offset, cases[c].byte, cases[c].len);
        const uint32_t crc = (uint32_t)crc32(0, copy, (uInt)(size - 4));
        for (int i = 0; i < 4; i++)
            copy[size - 4 + i] = (unsigned char)(crc >> (8 * i));
        lapse_model *back = NULL;
        assert_int_equal(lapse_model_decode(&back, copy, size, "bad.model", &err),
                         LAPSE_ERR_FORMAT);
        assert_null(back);
        assert_string_equal(err.path, "bad.model");
        if (!strstr(err.message, "section CLSF") || !strstr(err.message, cases[c].needle))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", c, err.message, cases[c].needle);
        free(copy);
    }
    free(bytes);
    lapse_model_free(m);
    lapse_table_free(t);
}

/* A format-3 file (XGBoost's JSON only, tests/data/gbdt/format3.model)
 * loads as flat trees, converted without XGBoost, that predict what XGBoost
 * predicts from those bytes; saved again it is format 4 with the same
 * trees, and its XGBoost bytes still match them (the export check). */
static void format3_converts(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/gbdt/format3.model", getenv("LAPSE_SOURCE_DIR"));
    lapse_model *m = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_model_load(&m, path, &err) != 0)
        fail_msg("%s", err.message);
    const lapse_model_classifier *c = &m->classifier;
    assert_int_equal(c->forest.n_trees, c->best_iteration + 1);
    const size_t d = m->n_features, n = 200;
    double *xs = malloc(n * d * sizeof *xs), *margin = malloc(n * sizeof *margin);
    assert_true(xs && margin);
    rng_state = 3;
    for (size_t i = 0; i < n * d; i++)
        xs[i] = 4 * uniform() - 2;
    float *want = NULL, *want_contrib = NULL;
    xgboost_predict(c->booster, c->booster_size, xs, n, d, &want, &want_contrib);
    lapse_forest *f = NULL;
    assert_int_equal(lapse_forest_compile(&f, &c->forest, d, &err), 0);
    void *scratch = malloc(lapse_forest_scratch(f));
    assert_non_null(scratch);
    lapse_forest_margin(f, margin, xs, n, 0, scratch);
    for (size_t i = 0; i < n; i++)
        assert_true(margin[i] == (double)want[i]);
    free(scratch);
    assert_int_equal(lapse_gbdt_matches(c->booster, c->booster_size, d, &c->forest, &err), 0);
    unsigned char *bytes;
    size_t size;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), 0);
    assert_int_equal(bytes[8], 4); /* trees without horizons stay format 4 */
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "again.model", &err), 0);
    assert_true(lapse_trees_equal(&back->classifier.forest, &c->forest));
    /* Other trees than the bytes hold: export refuses them. */
    back->classifier.forest.nodes[0].value += 1;
    assert_int_equal(lapse_gbdt_matches(c->booster, c->booster_size, d, &back->classifier.forest,
                                        &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "other trees"));
    lapse_model_free(back);
    free(bytes);
    lapse_forest_free(f);
    free(want);
    free(want_contrib);
    free(xs);
    free(margin);
    lapse_model_free(m);
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

    /* Cut the trees in half: refused by the sha256, then by export's check. */
    const size_t full = c->booster_size;
    unsigned char kept[LAPSE_GBDT_DIGEST_SIZE];
    memcpy(kept, c->booster_sha256, sizeof kept);
    c->booster_size = full / 2;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "sha256"));
    lapse_gbdt_digest(c->booster_sha256, c->booster, c->booster_size);
    assert_int_equal(lapse_gbdt_matches(c->booster, c->booster_size, m->n_features,
                                        &c->forest, &err), LAPSE_ERR_FORMAT);
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
        cmocka_unit_test(forest_is_xgboost),
        cmocka_unit_test(boundary_decides_as_float),
        cmocka_unit_test(bad_forests_refused),
        cmocka_unit_test(fast_needs_float_boundaries),
        cmocka_unit_test(bad_forest_file_refused),
        cmocka_unit_test(format3_converts),
        cmocka_unit_test(corrupt_booster_refused),
        cmocka_unit_test(check_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
