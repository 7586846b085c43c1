/* k-means, its distances, quality figures and segment names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/kmeans.h"

#include <cblas.h>
#include "learn_assert.h"
#include "learn_rng.h"

#include <stdlib.h>
#include <string.h>

/* Roughly normal noise (sum of uniforms), sd about `sd`. */
static double noise(uint64_t *rng, double sd)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += learn_rng_uniform(rng);
    return (s - 6.0) * sd;
}

enum { BLOB_D = 4, BLOB_PER = 200, BLOB_N = 3 * BLOB_PER };
static const double blob_center[3][BLOB_D] = { { 0, 0, 0, 0 }, { 5, 5, 0, 0 }, { 0, 5, 5, -5 } };

static void blobs(double *x, int *truth, uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < BLOB_N; i++) {
        const int c = (int)(i % 3); /* interleaved, so row order carries no hint */
        truth[i] = c;
        for (size_t j = 0; j < BLOB_D; j++)
            x[i * BLOB_D + j] = blob_center[c][j] + noise(&rng, 0.5);
    }
}

static void recovers_blobs(void **state)
{
    (void)state;
    double *x = malloc(BLOB_N * BLOB_D * sizeof *x), c[3 * BLOB_D];
    int *truth = malloc(BLOB_N * sizeof *truth), *labels = malloc(BLOB_N * sizeof *labels);
    blobs(x, truth, 1);
    lapse_kmeans_info info;
    assert_int_equal(lapse_kmeans_fit(c, labels, &info, x, BLOB_N, BLOB_D, NULL, NULL), LAPSE_OK);
    assert_true(info.converged);
    double ari;
    assert_int_equal(lapse_kmeans_ari(&ari, labels, truth, BLOB_N, NULL), LAPSE_OK);
    assert_near(ari, 1.0, 1e-12);
    /* Each centroid sits on its blob's centre (noise mean over 200 rows). */
    for (int t = 0; t < 3; t++) {
        const int j = labels[t]; /* row t belongs to blob t */
        for (size_t q = 0; q < BLOB_D; q++)
            assert_near(c[j * BLOB_D + q], blob_center[t][q], 0.15);
    }
    /* Inertia is the sum of squared distances to the labelled centroid. */
    double inertia = 0;
    for (size_t i = 0; i < BLOB_N; i++)
        for (size_t q = 0; q < BLOB_D; q++) {
            const double e = x[i * BLOB_D + q] - c[labels[i] * BLOB_D + q];
            inertia += e * e;
        }
    assert_near(info.inertia, inertia, 1e-9 * inertia);
    /* Assigning the training rows again gives the same labels. */
    int *again = malloc(BLOB_N * sizeof *again);
    assert_int_equal(lapse_kmeans_assign(again, NULL, x, BLOB_N, BLOB_D, c, 3, NULL), LAPSE_OK);
    assert_memory_equal(again, labels, BLOB_N * sizeof *labels);
    free(again);
    free(x);
    free(truth);
    free(labels);
}

static void deterministic(void **state)
{
    (void)state;
    double *x = malloc(BLOB_N * BLOB_D * sizeof *x), c1[4 * BLOB_D], c2[4 * BLOB_D];
    int *truth = malloc(BLOB_N * sizeof *truth);
    blobs(x, truth, 2);
    lapse_kmeans_options opts = LAPSE_KMEANS_OPTIONS_INIT;
    opts.k = 4; /* one more than the blobs: the split is seed-dependent */
    opts.seed = 77;
    opts.threads = 2;
    openblas_set_num_threads(1);
    assert_int_equal(lapse_kmeans_fit(c1, NULL, NULL, x, BLOB_N, BLOB_D, &opts, NULL), LAPSE_OK);
    assert_int_equal(openblas_get_num_threads(), 1); /* the caller's setting is back */
    assert_int_equal(lapse_kmeans_fit(c2, NULL, NULL, x, BLOB_N, BLOB_D, &opts, NULL), LAPSE_OK);
    assert_memory_equal(c1, c2, sizeof c1);
    free(x);
    free(truth);
}

static void gemm_distances_match_loop(void **state)
{
    (void)state;
    enum { n = 37, k = 5, d = 7 };
    double x[n * d], c[k * d], fast[n * k];
    uint64_t rng = 3;
    for (size_t i = 0; i < n * d; i++)
        x[i] = noise(&rng, 2.0) + 1.0;
    for (size_t i = 0; i < k * d; i++)
        c[i] = noise(&rng, 2.0);
    memcpy(c + 2 * d, x + 4 * d, d * sizeof *c); /* an exact hit: distance 0, not negative */
    assert_int_equal(lapse_kmeans_distances(fast, x, n, d, c, k, NULL), LAPSE_OK);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t q = 0; q < d; q++)
                s += (x[i * d + q] - c[j * d + q]) * (x[i * d + q] - c[j * d + q]);
            assert_near(fast[i * k + j], s, 1e-12 * (1.0 + s));
            assert_true(fast[i * k + j] >= 0.0);
        }
    int labels[n];
    double d2[n];
    assert_int_equal(lapse_kmeans_assign(labels, d2, x, n, d, c, k, NULL), LAPSE_OK);
    assert_int_equal(labels[4], 2);
    assert_near(d2[4], 0.0, 1e-12);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            assert_true(d2[i] <= fast[i * k + j]);
}

static void empty_clusters_and_bad_input(void **state)
{
    (void)state;
    /* Five equal rows and k = 2: the second centroid lands on the same point,
     * its cluster is empty every round and is re-seeded without harm. */
    const double x[5] = { 2, 2, 2, 2, 2 };
    double c[2];
    int labels[5];
    lapse_kmeans_options opts = LAPSE_KMEANS_OPTIONS_INIT;
    opts.k = 2;
    opts.restarts = 1;
    opts.max_iter = 5;
    lapse_kmeans_info info;
    assert_int_equal(lapse_kmeans_fit(c, labels, &info, x, 5, 1, &opts, NULL), LAPSE_OK);
    assert_true(info.empty_fixed > 0);
    assert_near(info.inertia, 0.0, 0.0);
    assert_near(c[0], 2.0, 0.0);
    assert_near(c[1], 2.0, 0.0);

    lapse_error err = LAPSE_ERROR_INIT;
    opts.k = 6;
    assert_int_equal(lapse_kmeans_fit(c, labels, &info, x, 5, 1, &opts, &err), LAPSE_ERR_ARG);
    opts.k = 0;
    assert_int_equal(lapse_kmeans_fit(c, labels, &info, x, 5, 1, &opts, &err), LAPSE_ERR_ARG);
    const double bad[3] = { 1, INFINITY, 2 };
    assert_int_equal(lapse_kmeans_fit(c, labels, &info, bad, 3, 1, NULL, &err), LAPSE_ERR_ARG);
}

static void standardize(void **state)
{
    (void)state;
    double x[8] = { 1, 7, 2, 7, 3, 7, 4, 7 }; /* 4 rows x 2: a ramp and a constant */
    double mean[2], sd[2];
    assert_int_equal(lapse_kmeans_standardize_fit(mean, sd, x, 4, 2, NULL), LAPSE_OK);
    assert_near(mean[0], 2.5, 1e-15);
    assert_near(sd[0], sqrt(1.25), 1e-15);
    assert_near(mean[1], 7.0, 0.0);
    assert_near(sd[1], 1.0, 0.0);
    lapse_kmeans_standardize_apply(x, 4, 2, mean, sd);
    assert_near(x[0], -1.5 / sqrt(1.25), 1e-15);
    assert_near(x[1], 0.0, 0.0);
    lapse_kmeans_standardize_invert(x, 4, 2, mean, sd);
    assert_near(x[6], 4.0, 1e-15);
    assert_near(x[7], 7.0, 0.0);
    assert_int_equal(lapse_kmeans_standardize_fit(mean, sd, x, 0, 2, NULL), LAPSE_ERR_ARG);
}

static void ari_examples(void **state)
{
    (void)state;
    double ari;
    const int a[4] = { 0, 0, 1, 1 }, same[4] = { 5, 5, -2, -2 };
    assert_int_equal(lapse_kmeans_ari(&ari, a, same, 4, NULL), LAPSE_OK);
    assert_near(ari, 1.0, 1e-15); /* same partition, other names */
    /* Contingency {2 | 1 1}: index 1, row pairs 2, column pairs 1, all 6:
     * expected 1/3, max 3/2, (1 - 1/3) / (3/2 - 1/3) = 4/7 (scikit-learn's
     * documented 0.57). */
    const int b[4] = { 0, 0, 1, 2 };
    assert_int_equal(lapse_kmeans_ari(&ari, a, b, 4, NULL), LAPSE_OK);
    assert_near(ari, 4.0 / 7.0, 1e-15);
    assert_int_equal(lapse_kmeans_ari(&ari, b, a, 4, NULL), LAPSE_OK);
    assert_near(ari, 4.0 / 7.0, 1e-15);
    /* Crossed halves: index 0, expected (2 x 2)/6: (0 - 2/3) / (2 - 2/3) = -1/2. */
    const int cross[4] = { 0, 1, 0, 1 };
    assert_int_equal(lapse_kmeans_ari(&ari, a, cross, 4, NULL), LAPSE_OK);
    assert_near(ari, -0.5, 1e-15);
    /* One cluster against singletons: expected 0, index 0: 0. */
    const int one[4] = { 3, 3, 3, 3 }, single[4] = { 0, 1, 2, 3 };
    assert_int_equal(lapse_kmeans_ari(&ari, one, single, 4, NULL), LAPSE_OK);
    assert_near(ari, 0.0, 1e-15);
    assert_int_equal(lapse_kmeans_ari(&ari, one, one, 4, NULL), LAPSE_OK);
    assert_near(ari, 1.0, 0.0);
}

/* Mean silhouette straight from the definition. */
static double naive_silhouette(const double *x, const int *labels, size_t n, size_t d, size_t k)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double sum[8] = { 0 };
        size_t cnt[8] = { 0 };
        for (size_t j = 0; j < n; j++) {
            cnt[labels[j]]++;
            if (j == i)
                continue;
            double s = 0;
            for (size_t q = 0; q < d; q++)
                s += (x[i * d + q] - x[j * d + q]) * (x[i * d + q] - x[j * d + q]);
            sum[labels[j]] += sqrt(s);
        }
        if (cnt[labels[i]] < 2)
            continue;
        const double a = sum[labels[i]] / (double)(cnt[labels[i]] - 1);
        double b = INFINITY;
        for (size_t c = 0; c < k; c++)
            if ((int)c != labels[i] && cnt[c] && sum[c] / (double)cnt[c] < b)
                b = sum[c] / (double)cnt[c];
        total += (b - a) / (a > b ? a : b);
    }
    return total / (double)n;
}

static void silhouette_matches_definition(void **state)
{
    (void)state;
    enum { n = 61, d = 3 };
    double x[n * d];
    int labels[n];
    uint64_t rng = 5;
    for (size_t i = 0; i < n; i++) {
        labels[i] = (int)(i % 3);
        for (size_t q = 0; q < d; q++)
            x[i * d + q] = labels[i] * 1.5 * (q == (size_t)labels[i] % d) + noise(&rng, 0.7);
    }
    labels[n - 1] = 3; /* a singleton cluster scores 0 */
    double s;
    assert_int_equal(lapse_kmeans_silhouette(&s, x, labels, n, d, 4, 0, 1, NULL), LAPSE_OK);
    assert_near(s, naive_silhouette(x, labels, n, d, 4), 1e-9);
    assert_true(s > 0.0 && s < 1.0);

    /* A sample: the same seed gives the same figure, near the full one on blobs. */
    double *bx = malloc(BLOB_N * BLOB_D * sizeof *bx), full, s1, s2;
    int *truth = malloc(BLOB_N * sizeof *truth);
    blobs(bx, truth, 4);
    assert_int_equal(lapse_kmeans_silhouette(&full, bx, truth, BLOB_N, BLOB_D, 3, 0, 0, NULL), LAPSE_OK);
    assert_int_equal(lapse_kmeans_silhouette(&s1, bx, truth, BLOB_N, BLOB_D, 3, 150, 9, NULL), LAPSE_OK);
    assert_int_equal(lapse_kmeans_silhouette(&s2, bx, truth, BLOB_N, BLOB_D, 3, 150, 9, NULL), LAPSE_OK);
    assert_near(s1, s2, 0.0);
    assert_near(s1, full, 0.05);
    assert_true(full > 0.7);

    lapse_error err = LAPSE_ERROR_INIT;
    const int flat[3] = { 0, 0, 0 };
    assert_int_equal(lapse_kmeans_silhouette(&s, x, flat, 3, d, 1, 0, 1, &err), LAPSE_ERR_RANGE);
    assert_int_equal(lapse_kmeans_silhouette(&s, x, labels, n, d, 3, 0, 1, &err), LAPSE_ERR_ARG);
    free(bx);
    free(truth);
}

/* Profile rows: share_core, other, share_social, spend_per_purchase, share_coupon_purchases. */
enum { ND = 5 };
static const double archetype_rows[3][ND] = {
    { 0.30, 9.0, 0.10, 18.0, 0.55 }, /* price-sensitive: coupons, small baskets */
    { 0.75, 1.0, 0.08, 60.0, 0.05 }, /* feature-dependent: core use */
    { 0.35, 4.0, 0.55, 35.0, 0.12 }, /* social-driven */
};
static const char *const archetype_label[3] = { "price-sensitive", "feature-dependent", "social-driven" };

static void names_follow_centroids(void **state)
{
    (void)state;
    const lapse_kmeans_roles roles = { 0, 2, 4, 3 };
    const int perms[6][3] = { { 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 } };
    char names[5][LAPSE_KMEANS_NAME_MAX];
    double c[5 * ND];
    for (int p = 0; p < 6; p++) {
        for (int r = 0; r < 3; r++)
            memcpy(c + r * ND, archetype_rows[perms[p][r]], sizeof archetype_rows[0]);
        assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &roles, NULL, NULL, NULL), LAPSE_OK);
        for (int r = 0; r < 3; r++)
            assert_string_equal(names[r], archetype_label[perms[p][r]]);
    }
    /* k = 5: two in-between centroids are mixed, numbered in centroid order;
     * the archetypes keep their names, here with data-wide mean and sd. */
    const double middle[ND] = { 0.45, 5.0, 0.22, 38.0, 0.22 };
    const double middle2[ND] = { 0.40, 5.0, 0.25, 30.0, 0.25 };
    memcpy(c + 0 * ND, middle, sizeof middle);
    memcpy(c + 1 * ND, archetype_rows[2], sizeof middle);
    memcpy(c + 2 * ND, archetype_rows[0], sizeof middle);
    memcpy(c + 3 * ND, middle2, sizeof middle);
    memcpy(c + 4 * ND, archetype_rows[1], sizeof middle);
    const double mean[ND] = { 0.45, 5, 0.22, 38, 0.22 }, sd[ND] = { 0.2, 3, 0.2, 20, 0.2 };
    assert_int_equal(lapse_kmeans_name(names, c, 5, ND, &roles, mean, sd, NULL), LAPSE_OK);
    assert_string_equal(names[0], "mixed-1");
    assert_string_equal(names[1], "social-driven");
    assert_string_equal(names[2], "price-sensitive");
    assert_string_equal(names[3], "mixed-2");
    assert_string_equal(names[4], "feature-dependent");
    /* k = 2: the two best-fitting archetypes. */
    assert_int_equal(lapse_kmeans_name(names, c + 1 * ND, 2, ND, &roles, mean, sd, NULL), LAPSE_OK);
    assert_string_equal(names[0], "social-driven");
    assert_string_equal(names[1], "price-sensitive");
    /* A centre that does not stand out: social z = (0.3 - 0.22) / 0.2 = 0.4
     * <= 0.5, so the one unnamed segment is "mixed"; and one whose best
     * dimension is not its assigned archetype's stays mixed too. */
    const double weak[ND] = { 0.45, 5.0, 0.30, 38.0, 0.22 };
    memcpy(c + 0 * ND, archetype_rows[0], sizeof weak);
    memcpy(c + 1 * ND, archetype_rows[1], sizeof weak);
    memcpy(c + 2 * ND, weak, sizeof weak);
    assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &roles, mean, sd, NULL), LAPSE_OK);
    assert_string_equal(names[0], "price-sensitive");
    assert_string_equal(names[1], "feature-dependent");
    assert_string_equal(names[2], "mixed");
    /* Just above the bar (z 0.55): named. */
    c[2 * ND + 2] = 0.33;
    assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &roles, mean, sd, NULL), LAPSE_OK);
    assert_string_equal(names[2], "social-driven");
    /* Above the bar on social but higher still on core: not social-driven. */
    c[2 * ND + 0] = 0.60; /* core z 0.75 */
    assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &roles, mean, sd, NULL), LAPSE_OK);
    assert_string_equal(names[2], "mixed");
    lapse_kmeans_roles missing = roles;
    missing.share_social = -1;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &missing, NULL, NULL, &err), LAPSE_ERR_ARG);
    missing.share_social = ND;
    assert_int_equal(lapse_kmeans_name(names, c, 3, ND, &missing, NULL, NULL, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recovers_blobs),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(gemm_distances_match_loop),
        cmocka_unit_test(empty_clusters_and_bad_input),
        cmocka_unit_test(standardize),
        cmocka_unit_test(ari_examples),
        cmocka_unit_test(silhouette_matches_definition),
        cmocka_unit_test(names_follow_centroids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
