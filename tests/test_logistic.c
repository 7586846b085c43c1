/* Logistic regression against a hand-worked case and a slow reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/logistic.h"

#include <cblas.h>
#include "learn_assert.h"
#include "learn_rng.h"

#include <stdlib.h>
#include <string.h>

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

static void hand_worked(void **state)
{
    (void)state;
    /* x = -1 (y 0) and x = +1 (y 1), l2 = 1. By symmetry b = 0; the gradient
     * in w is -s(-w) + (s(w) - 1) + w = tanh(w/2) + w - 1, zero at
     * w = 0.674831614342399 (bisection to double precision). */
    const double x[2] = { -1, 1 };
    const int y[2] = { 0, 1 };
    double w, b;
    lapse_logistic_info info;
    assert_int_equal(lapse_logistic_fit(&w, &b, &info, x, y, 2, 1, NULL, NULL), LAPSE_OK);
    assert_true(info.converged);
    assert_near(w, 0.6748316143423994, 1e-9);
    assert_near(b, 0.0, 1e-9);

    /* A zero column: w stays 0 and the unpenalised bias is the log odds 3:1;
     * balanced weights (2/3 per churner, 2 per other) make the odds even. */
    const double zeros[4] = { 0, 0, 0, 0 };
    const int y4[4] = { 1, 1, 1, 0 };
    assert_int_equal(lapse_logistic_fit(&w, &b, &info, zeros, y4, 4, 1, NULL, NULL), LAPSE_OK);
    assert_near(w, 0.0, 1e-12);
    assert_near(b, log(3.0), 1e-9);
    lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.balanced = 1;
    assert_int_equal(lapse_logistic_fit(&w, &b, &info, zeros, y4, 4, 1, &opts, NULL), LAPSE_OK);
    assert_near(info.weight_pos, 2.0 / 3.0, 1e-15);
    assert_near(info.weight_neg, 2.0, 1e-15);
    assert_near(b, 0.0, 1e-9);
}

/* n rows of d standard-normal-ish features with labels from a planted model. */
static void planted(double *x, int *y, size_t n, size_t d, uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < n; i++) {
        double z = -0.5;
        for (size_t j = 0; j < d; j++) {
            x[i * d + j] = (learn_rng_uniform(&rng) - 0.5) * 3.4;
            z += (j % 2 ? -0.8 : 1.2) * x[i * d + j];
        }
        y[i] = learn_rng_uniform(&rng) < sigmoid(z);
    }
}

/* Gradient of the weighted, penalised objective by plain loops. */
static void naive_gradient(double *g, const double *x, const int *y, size_t n, size_t d,
                           const double *w, double b, double l2, double cpos, double cneg)
{
    memset(g, 0, (d + 1) * sizeof *g);
    for (size_t i = 0; i < n; i++) {
        double z = b;
        for (size_t j = 0; j < d; j++)
            z += w[j] * x[i * d + j];
        const double r = (y[i] ? cpos : cneg) * (sigmoid(z) - y[i]);
        for (size_t j = 0; j < d; j++)
            g[j] += r * x[i * d + j];
        g[d] += r;
    }
    for (size_t j = 0; j < d; j++)
        g[j] += l2 * w[j];
}

static void gradient_vanishes_at_optimum(void **state)
{
    (void)state;
    enum { n = 2000, d = 6 };
    double *x = malloc(n * d * sizeof *x);
    int *y = malloc(n * sizeof *y);
    planted(x, y, n, d, 42);
    lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.l2 = 0.5;
    opts.threads = 2;
    openblas_set_num_threads(1);
    double w[d], b, g[d + 1];
    lapse_logistic_info info;
    assert_int_equal(lapse_logistic_fit(w, &b, &info, x, y, n, d, &opts, NULL), LAPSE_OK);
    assert_int_equal(openblas_get_num_threads(), 1); /* the caller's setting is back */
    assert_true(info.converged);
    assert_true(info.iterations <= 15);
    naive_gradient(g, x, y, n, d, w, b, opts.l2, 1.0, 1.0);
    for (size_t j = 0; j <= d; j++)
        assert_near(g[j], 0.0, 1e-6);
    /* The planted signs come back. */
    for (size_t j = 0; j < d; j++)
        assert_true(j % 2 ? w[j] < -0.5 : w[j] > 0.8);
    free(x);
    free(y);
}

static void agrees_with_gradient_descent(void **state)
{
    (void)state;
    enum { n = 150, d = 3 };
    double x[n * d];
    int y[n];
    planted(x, y, n, d, 9);
    lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.l2 = 2.0;
    opts.weight_pos = 3.0;
    opts.weight_neg = 0.5;
    double w[d], b;
    assert_int_equal(lapse_logistic_fit(w, &b, NULL, x, y, n, d, &opts, NULL), LAPSE_OK);

    /* Plain gradient descent with step 1/L, L a bound on the Hessian's
     * largest eigenvalue: slow, but obviously right. */
    double L = opts.l2;
    for (size_t i = 0; i < n; i++) {
        double sq = 1.0;
        for (size_t j = 0; j < d; j++)
            sq += x[i * d + j] * x[i * d + j];
        L += 0.25 * 3.0 * sq;
    }
    double rw[d] = { 0 }, rb = 0, g[d + 1];
    for (int it = 0; it < 20000; it++) {
        naive_gradient(g, x, y, n, d, rw, rb, opts.l2, 3.0, 0.5);
        for (size_t j = 0; j < d; j++)
            rw[j] -= g[j] / L;
        rb -= g[d] / L;
    }
    naive_gradient(g, x, y, n, d, rw, rb, opts.l2, 3.0, 0.5);
    for (size_t j = 0; j <= d; j++)
        assert_near(g[j], 0.0, 1e-9); /* the reference itself converged */
    for (size_t j = 0; j < d; j++)
        assert_near(w[j], rw[j], 1e-7);
    assert_near(b, rb, 1e-7);
}

static void separable_stays_finite(void **state)
{
    (void)state;
    const double x[8] = { -2, 1, -1, 0, 1, 0, 2, -1 }; /* 4 rows x 2, split by column 0 */
    const int y[4] = { 0, 0, 1, 1 };
    lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.l2 = 0.01;
    double w[2], b, p[4];
    lapse_logistic_info info;
    assert_int_equal(lapse_logistic_fit(w, &b, &info, x, y, 4, 2, &opts, NULL), LAPSE_OK);
    assert_true(info.converged);
    assert_true(isfinite(w[0]) && isfinite(w[1]) && isfinite(b));
    assert_true(w[0] > 1.0 && w[0] < 100.0);
    lapse_logistic_probability(p, x, 4, 2, w, b);
    assert_true(p[0] < 0.1 && p[1] < 0.5 && p[2] > 0.5 && p[3] > 0.9);
}

static void predictions_and_reasons(void **state)
{
    (void)state;
    const double x[6] = { 1, 2, 3, -1, 0, 4 };
    const double w[3] = { 0.5, -1.0, 0.25 };
    double out[2];
    lapse_logistic_decision(out, x, 2, 3, w, 0.1);
    assert_near(out[0], 0.1 + 0.5 - 2.0 + 0.75, 1e-15);
    assert_near(out[1], 0.1 - 0.5 + 0.0 + 1.0, 1e-15);
    lapse_logistic_probability(out, x, 2, 3, w, 0.1);
    assert_near(out[0], sigmoid(-0.65), 1e-15);

    const double row[4] = { 2.0, -3.0, 1.0, 4.0 };
    const double wr[4] = { 0.5, -0.5, 2.0, -0.1 };
    double c[4];
    lapse_logistic_contributions(c, row, 4, wr);
    assert_near(c[0], 1.0, 0.0);
    assert_near(c[1], 1.5, 0.0);
    assert_near(c[2], 2.0, 0.0);
    assert_near(c[3], -0.4, 1e-15);
    size_t idx[4];
    assert_int_equal(lapse_logistic_top_reasons(idx, 2, row, 4, wr), 2);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 1);
    /* Only positive contributions are reasons. */
    assert_int_equal(lapse_logistic_top_reasons(idx, 4, row, 4, wr), 3);
    assert_int_equal(idx[2], 0);
}

static void bad_input(void **state)
{
    (void)state;
    const double x[2] = { 0, NAN };
    const int y[2] = { 0, 1 };
    double w, b;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_logistic_fit(&w, &b, NULL, x, y, 2, 1, NULL, &err), LAPSE_ERR_ARG);
    assert_int_equal(lapse_logistic_fit(&w, &b, NULL, x, y, 0, 1, NULL, &err), LAPSE_ERR_ARG);
    lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.l2 = -1;
    assert_int_equal(lapse_logistic_fit(&w, &b, NULL, x, y, 1, 1, &opts, &err), LAPSE_ERR_ARG);
    opts = (lapse_logistic_options)LAPSE_LOGISTIC_OPTIONS_INIT;
    opts.weight_neg = 0;
    assert_int_equal(lapse_logistic_fit(&w, &b, NULL, x, y, 1, 1, &opts, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hand_worked),
        cmocka_unit_test(gradient_vanishes_at_optimum),
        cmocka_unit_test(agrees_with_gradient_descent),
        cmocka_unit_test(separable_stays_finite),
        cmocka_unit_test(predictions_and_reasons),
        cmocka_unit_test(bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
