/* The block scorer against libsvm's svm_predict_values and by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/error.h"
#include "lapse/svm.h"
#include "lapse/svmscore.h"
#include "svm_testdata.h"

#include <cblas.h>
#include <svm.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double *score(const lapse_svm_model *m, const double *x, size_t n, int threads,
                     int single, size_t block_rows, size_t block_svs)
{
    lapse_svm_scorer_options o = LAPSE_SVM_SCORER_OPTIONS_INIT;
    o.threads = threads;
    o.single_precision = single;
    o.block_rows = block_rows;
    o.block_svs = block_svs;
    lapse_svm_scorer *s = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_svm_scorer_create(&s, m, &o, &err), LAPSE_OK);
    double *out = malloc((n ? n : 1) * sizeof *out);
    assert_int_equal(lapse_svm_scorer_decision(s, out, x, n, &err), LAPSE_OK);
    lapse_svm_scorer_free(s);
    return out;
}

static void hand_model(void **state)
{
    (void)state;
    /* Two support vectors in 2-d: f(1, 0) = 1 * e^-0.5 - 0.5 * e^-0.5 - 0.1. */
    double sv[] = { 0, 0, 1, 1 }, coef[] = { 1, -0.5 };
    lapse_svm_model m = { LAPSE_SVM_RBF, 2, 2, 1, 0.5, 0.1, sv, coef, NULL };
    double x[] = { 1, 0, 0, 0 };
    for (int single = 0; single < 2; single++) {
        double *f = score(&m, x, 2, 1, single, 0, 0);
        double want0 = 0.5 * exp(-0.5) - 0.1, want1 = 1 - 0.5 * exp(-1.0) - 0.1;
        assert_true(fabs(f[0] - want0) <= (single ? 1e-7 : 1e-16));
        assert_true(fabs(f[1] - want1) <= (single ? 1e-7 : 1e-16));
        free(f);
    }
    /* Linear: w = 1 (0, 0) - 0.5 (1, 1) = (-0.5, -0.5). */
    m.kernel = LAPSE_SVM_LINEAR;
    double xl[] = { 3, 1 };
    double *f = score(&m, xl, 1, 1, 0, 0, 0);
    assert_true(f[0] == -0.5 * 3 - 0.5 * 1 - 0.1);
    free(f);
    /* No support vectors: -rho everywhere; no rows: nothing to do. */
    m.kernel = LAPSE_SVM_RBF;
    m.n_sv = m.n_sv_churn = 0;
    f = score(&m, x, 2, 2, 0, 0, 0);
    assert_true(f[0] == -0.1 && f[1] == -0.1);
    free(f);
    f = score(&m, x, 0, 2, 0, 0, 0);
    free(f);
    /* OpenBLAS's own thread count is 1 while the scorer runs, and put back. */
    openblas_set_num_threads(2);
    f = score(&m, x, 2, 0, 0, 1, 0); /* 0 threads: one per CPU */
    assert_int_equal(openblas_get_num_threads(), 2);
    assert_true(f[0] == -0.1 && f[1] == -0.1);
    free(f);

    lapse_svm_scorer *s = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    m.gamma = 0;
    assert_int_equal(lapse_svm_scorer_create(&s, &m, NULL, &err), LAPSE_ERR_ARG);
    m.gamma = 0.5;
    lapse_svm_scorer_options o = LAPSE_SVM_SCORER_OPTIONS_INIT;
    o.threads = -1;
    assert_int_equal(lapse_svm_scorer_create(&s, &m, &o, &err), LAPSE_ERR_ARG);
    assert_null(s);
    lapse_svm_scorer_free(NULL);
}

/* One support vector at the origin, gamma 1: f(x) = exp(-x^2), which runs
 * the exp through its whole range, into the zero below -708. */
static void exp_over_its_range(void **state)
{
    (void)state;
    enum { N = 2800 };
    double sv[] = { 0 }, coef[] = { 1 }, x[N];
    for (int i = 0; i < N; i++)
        x[i] = i * 0.01;
    lapse_svm_model m = { LAPSE_SVM_RBF, 1, 1, 1, 1.0, 0.0, sv, coef, NULL };
    double *f = score(&m, x, N, 1, 0, 0, 0), *g = score(&m, x, N, 1, 1, 0, 0);
    for (int i = 0; i < N; i++) {
        double t = -x[i] * x[i], want = exp(t);
        if (t >= -708)
            assert_true(fabs(f[i] - want) <= 4e-16 * want);
        else
            assert_true(f[i] == 0.0);
        /* Float: x is rounded to float (relative 6e-8) and so is gamma x^2,
         * so t is off by up to 1.8e-7 |t|, and the result by as much
         * relatively. */
        if (t >= -80) {
            if (!(fabs(g[i] - want) <= (5e-7 + 2e-7 * -t) * want))
                fail_msg("x %g: float %.9g, exp %.17g", x[i], g[i], want);
        } else {
            assert_true(g[i] <= 2e-35);
        }
    }
    free(f);
    free(g);
}

/* The scale a rounding error can reach: sum_i |coef_i| k_i, with k_i the
 * kernel value (RBF) or sum_j |x_j sv_ij| (linear). */
static double error_scale(const lapse_svm_model *m, const double *x)
{
    double sum = 0;
    for (size_t i = 0; i < m->n_sv; i++) {
        double k = 0;
        for (size_t j = 0; j < m->d; j++) {
            double u = m->sv[i * m->d + j];
            k += m->kernel == LAPSE_SVM_RBF ? (x[j] - u) * (x[j] - u) : fabs(x[j] * u);
        }
        sum += fabs(m->coef[i]) * (m->kernel == LAPSE_SVM_RBF ? exp(-m->gamma * k) : k);
    }
    return sum;
}

static double *libsvm_values(const lapse_svm_model *m, const double *x, size_t n)
{
    struct svm_model *lib = NULL;
    assert_int_equal(lapse_svm_unpack(&lib, m, NULL), LAPSE_OK);
    double *out = malloc(n * sizeof *out);
    struct svm_node *nodes = malloc((m->d + 1) * sizeof *nodes);
    for (size_t r = 0; r < n; r++) {
        struct svm_node *p = nodes;
        for (size_t j = 0; j < m->d; j++)
            if (x[r * m->d + j] != 0.0)
                *p++ = (struct svm_node){ (int)j + 1, x[r * m->d + j] };
        p->index = -1;
        svm_predict_values(lib, nodes, &out[r]);
    }
    free(nodes);
    lapse_svm_unpacked_free(lib);
    return out;
}

static double platt(double f)
{
    return 1.0 / (1.0 + exp(-1.7 * f + 0.4));
}

/* Exact mode within 1e-9 * (|f| + scale) of libsvm for every row, under
 * several block shapes and thread counts (which must not change a bit);
 * float mode's Platt probabilities within 1e-5. Prints the worst errors. */
static void check_model(const lapse_svm_model *m, const double *x, size_t n, const char *name)
{
    double *lib = libsvm_values(m, x, n);
    double *a = score(m, x, n, 1, 0, 0, 0);
    double *b = score(m, x, n, 3, 0, 0, 0);
    double *c = score(m, x, n, 1, 0, 7, 13);
    double *d = score(m, x, n, 2, 0, 7, 13);
    assert_memory_equal(a, b, n * sizeof *a);
    assert_memory_equal(c, d, n * sizeof *c);
    double worst = 0, worst_p = 0;
    for (size_t r = 0; r < n; r++) {
        double tol = 1e-9 * (fabs(lib[r]) + error_scale(m, x + r * m->d));
        double e = fmax(fabs(a[r] - lib[r]), fabs(c[r] - lib[r]));
        if (!(e <= tol))
            fail_msg("%s row %zu: lapse %.17g, libsvm %.17g", name, r, a[r], lib[r]);
        worst = fmax(worst, e / tol * 1e-9);
    }
    if (m->kernel == LAPSE_SVM_RBF) {
        double *f = score(m, x, n, 2, 1, 0, 0);
        for (size_t r = 0; r < n; r++) {
            double dp = fabs(platt(f[r]) - platt(a[r]));
            if (!(dp <= 1e-5) || !(fabs(platt(f[r]) - platt(lib[r])) <= 1e-5))
                fail_msg("%s row %zu: float %.9g, double %.17g", name, r, f[r], a[r]);
            worst_p = fmax(worst_p, dp);
        }
        free(f);
    }
    print_message("%-24s %4zu SVs: worst error %.2g of the scale", name, m->n_sv, worst);
    if (m->kernel == LAPSE_SVM_RBF)
        print_message("; float p off by %.2g", worst_p);
    print_message("\n");
    free(lib);
    free(a);
    free(b);
    free(c);
    free(d);
}

static void trained_models_equal_libsvm(void **state)
{
    (void)state;
    struct {
        const char *name;
        size_t d;
        double zeros, offset, gamma_scale;
        lapse_svm_kernel kernel;
    } sets[] = { { "rbf, dense", 10, 0.0, 0.0, 1.0, LAPSE_SVM_RBF },
                 { "rbf, half zeros", 10, 0.5, 0.0, 0.2, LAPSE_SVM_RBF },
                 { "rbf, wide gamma, zeros", 10, 0.3, 0.0, 20.0, LAPSE_SVM_RBF },
                 { "rbf, offset 50", 6, 0.0, 50.0, 4.0, LAPSE_SVM_RBF },
                 { "linear, dense", 10, 0.0, 0.0, 1.0, LAPSE_SVM_LINEAR },
                 { "linear, half zeros", 12, 0.5, 0.0, 1.0, LAPSE_SVM_LINEAR } };
    for (size_t k = 0; k < sizeof sets / sizeof *sets; k++) {
        size_t n_train = 400, n_test = 600, d = sets[k].d;
        double *x, *xt;
        int *y, *yt;
        td_make(&x, &y, n_train, d, sets[k].zeros, sets[k].offset, 100 + k);
        td_make(&xt, &yt, n_test, d, sets[k].zeros, sets[k].offset, 200 + k);
        lapse_svm_options o = LAPSE_SVM_OPTIONS_INIT;
        o.kernel = sets[k].kernel;
        o.gamma = sets[k].gamma_scale / (double)d;
        o.C = 2;
        lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
        assert_int_equal(lapse_svm_train(&m, NULL, x, y, n_train, d, &o, NULL), LAPSE_OK);
        /* Test rows, and the training rows (support vectors at distance 0). */
        double *all = malloc((n_train + n_test) * d * sizeof *all);
        memcpy(all, xt, n_test * d * sizeof *all);
        memcpy(all + n_test * d, x, n_train * d * sizeof *all);
        check_model(&m, all, n_train + n_test, sets[k].name);
        lapse_svm_model_free(&m);
        free(all);
        free(x);
        free(xt);
        free(y);
        free(yt);
    }
}

/* A model the size of a production one (thousands of support vectors, 40
 * features, coefficients up to C times a class weight): float drift over
 * the long sums is what this checks. */
static void large_model(void **state)
{
    (void)state;
    enum { L = 3000, D = 40, N = 150 };
    uint64_t rng = 77;
    lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
    m.kernel = LAPSE_SVM_RBF;
    m.d = D;
    m.n_sv = L;
    m.n_sv_churn = L / 3;
    m.gamma = 1.0 / D;
    m.rho = 0.3;
    m.sv = malloc(L * D * sizeof *m.sv);
    m.coef = malloc(L * sizeof *m.coef);
    for (size_t i = 0; i < L; i++) {
        for (size_t j = 0; j < D; j++)
            m.sv[i * D + j] = td_normal(&rng);
        /* Most at the bound, as in a trained model: C = 1, weights 1.5 / 0.75. */
        double a = td_uniform(&rng) < 0.7 ? 1.0 : td_uniform(&rng);
        m.coef[i] = i < m.n_sv_churn ? 1.5 * a : -0.75 * a;
    }
    double *x = malloc(N * D * sizeof *x);
    for (size_t i = 0; i < N * D; i++)
        x[i] = td_normal(&rng) * 0.8;
    memcpy(x, m.sv, 5 * D * sizeof *x); /* some rows on support vectors */
    check_model(&m, x, N, "random, 40 features");
    lapse_svm_model_free(&m);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_model),
        cmocka_unit_test(exp_over_its_range),
        cmocka_unit_test(trained_models_equal_libsvm),
        cmocka_unit_test(large_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
