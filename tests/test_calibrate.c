/* Platt scaling and isotonic calibration against known curves and a
 * hand-worked pool-adjacent-violators example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/calibrate.h"
#include "learn_assert.h"
#include "learn_rng.h"

#include <stdlib.h>

/* n scores uniform on [lo, hi] with labels drawn from prob(score). */
static void draw(double *f, int *y, size_t n, double lo, double hi, double (*prob)(double),
                 uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < n; i++) {
        f[i] = lo + (hi - lo) * learn_rng_uniform(&rng);
        y[i] = learn_rng_uniform(&rng) < prob(f[i]);
    }
}

static double sigmoid_curve(double f) { return 1.0 / (1.0 + exp(-1.5 * f + 0.3)); }

static void platt_recovers_sigmoid(void **state)
{
    (void)state;
    enum { n = 20000 };
    double *f = malloc(n * sizeof *f);
    int *y = malloc(n * sizeof *y);
    draw(f, y, n, -4.0, 4.0, sigmoid_curve, 7);
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    assert_int_equal(lapse_calibrate_platt(&cal, f, y, n, NULL), LAPSE_OK);
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_PLATT);
    /* Standard errors are about 0.02 for a and 0.02 for b at this size. */
    assert_near(cal.a, -1.5, 0.08);
    assert_near(cal.b, 0.3, 0.08);
    /* At the optimum the gradient of the smoothed-target likelihood vanishes
     * (to what a sum of 20000 losses resolves: the line search stops there). */
    double n1 = 0;
    for (size_t i = 0; i < n; i++)
        n1 += y[i];
    const double hi = (n1 + 1) / (n1 + 2), lo = 1 / (n - n1 + 2);
    double ga = 0, gb = 0;
    for (size_t i = 0; i < n; i++) {
        double p;
        lapse_calibrate_apply(&p, &cal, &f[i], 1);
        ga += f[i] * ((y[i] ? hi : lo) - p);
        gb += (y[i] ? hi : lo) - p;
    }
    assert_near(ga / n, 0.0, 1e-8);
    assert_near(gb / n, 0.0, 1e-8);
    lapse_calibrate_clear(&cal);
    free(f);
    free(y);
}

static void platt_separable_stays_finite(void **state)
{
    (void)state;
    const double f[4] = { -2, -1, 1, 2 };
    const int y[4] = { 0, 0, 1, 1 };
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    assert_int_equal(lapse_calibrate_platt(&cal, f, y, 4, NULL), LAPSE_OK);
    assert_true(isfinite(cal.a) && isfinite(cal.b));
    assert_true(cal.a < 0);
    /* Targets are 3/4 and 1/4 (one prior count each side): by symmetry b = 0. */
    assert_near(cal.b, 0.0, 1e-6);
    double p[4];
    lapse_calibrate_apply(p, &cal, f, 4);
    assert_true(p[0] < p[1] && p[1] < 0.5 && p[2] > 0.5 && p[2] < p[3] && p[3] < 1.0);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_calibrate_platt(&cal, f, y, 0, &err), LAPSE_ERR_ARG);
    const double bad[2] = { 0.0, NAN };
    assert_int_equal(lapse_calibrate_platt(&cal, bad, y, 2, &err), LAPSE_ERR_ARG);
}

static void pav_hand_example(void **state)
{
    (void)state;
    /* y = 0 1 0 0 1 1 at f = 1..6, given out of order. PAV: [0] [1] [0] ->
     * pool 1,0 -> 1/2; then 0 pools -> 1/3 over f = 2..4; 1 and 1 pool -> 1.
     * Breakpoints (1,0) (2,1/3) (4,1/3) (5,1) (6,1). */
    const double f[6] = { 4, 1, 6, 2, 5, 3 };
    const int y[6] = { 0, 0, 1, 1, 1, 0 };
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    assert_int_equal(lapse_calibrate_isotonic(&cal, f, y, 6, NULL), LAPSE_OK);
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_ISOTONIC);
    assert_int_equal(cal.points, 5);
    const double want_x[5] = { 1, 2, 4, 5, 6 }, want_y[5] = { 0, 1.0 / 3, 1.0 / 3, 1, 1 };
    for (int i = 0; i < 5; i++) {
        assert_near(cal.x[i], want_x[i], 0.0);
        assert_near(cal.y[i], want_y[i], 1e-15);
    }
    /* Interpolation between breakpoints, held ends outside. */
    const double at[5] = { 0.0, 1.5, 3.0, 4.5, 10.0 };
    const double want[5] = { 0.0, 1.0 / 6, 1.0 / 3, 2.0 / 3, 1.0 };
    double p[5];
    lapse_calibrate_apply(p, &cal, at, 5);
    for (int i = 0; i < 5; i++)
        assert_near(p[i], want[i], 1e-15);

    /* Tied scores pool first: f=1 holds one churner in two rows (1/2), f=2
     * one non-churner (0): a violation, pooled to 1/3 everywhere. */
    const double ft[3] = { 1, 2, 1 };
    const int yt[3] = { 1, 0, 0 };
    assert_int_equal(lapse_calibrate_isotonic(&cal, ft, yt, 3, NULL), LAPSE_OK);
    assert_int_equal(cal.points, 2);
    assert_near(cal.y[0], 1.0 / 3, 1e-15);
    assert_near(cal.y[1], 1.0 / 3, 1e-15);
    lapse_calibrate_clear(&cal);
    lapse_calibrate_clear(NULL);
}

static double noisy(double f) { return 0.5 + 0.4 * sin(7 * f); }

static void output_is_monotone(void **state)
{
    (void)state;
    enum { n = 3000 };
    double f[n];
    int y[n];
    draw(f, y, n, 0.0, 2.0, noisy, 3);
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    assert_int_equal(lapse_calibrate_isotonic(&cal, f, y, n, NULL), LAPSE_OK);
    for (size_t i = 1; i < cal.points; i++) {
        assert_true(cal.x[i] > cal.x[i - 1]);
        assert_true(cal.y[i] >= cal.y[i - 1]);
    }
    double grid[401], p[401];
    for (int i = 0; i <= 400; i++)
        grid[i] = -0.5 + 3.0 * i / 400.0;
    lapse_calibrate_apply(p, &cal, grid, 401);
    for (int i = 1; i <= 400; i++)
        assert_true(p[i] >= p[i - 1] && p[i] >= 0.0 && p[i] <= 1.0);
    lapse_calibrate_clear(&cal);
}

static void stored_breakpoints(void **state)
{
    (void)state;
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    const double x[3] = { -1, 0, 2 }, y[3] = { 0.1, 0.1, 0.7 };
    assert_int_equal(lapse_calibrate_set_isotonic(&cal, x, y, 3, NULL), LAPSE_OK);
    double f = 1.0, p;
    lapse_calibrate_apply(&p, &cal, &f, 1);
    assert_near(p, 0.4, 1e-15);
    lapse_error err = LAPSE_ERROR_INIT;
    const double x_bad[3] = { -1, 0, 0 }, y_bad[3] = { 0.1, 0.05, 0.7 }, y_big[3] = { 0, 0.5, 1.5 };
    assert_int_equal(lapse_calibrate_set_isotonic(&cal, x_bad, y, 3, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_NONE);
    assert_int_equal(lapse_calibrate_set_isotonic(&cal, x, y_bad, 3, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(lapse_calibrate_set_isotonic(&cal, x, y_big, 3, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(lapse_calibrate_set_isotonic(&cal, x, y, 0, &err), LAPSE_ERR_FORMAT);
}

/* A plateau a sigmoid cannot follow. */
static double plateau(double f) { return f < 0.3 ? 0.05 : f < 0.9 ? 0.5 : 0.55; }

static void chooser_picks_the_winner(void **state)
{
    (void)state;
    enum { n = 6000 };
    double *f = malloc(n * sizeof *f);
    int *y = malloc(n * sizeof *y);
    lapse_calibration cal = LAPSE_CALIBRATION_INIT;
    lapse_calibrate_choice info;
    const lapse_calibrate_options opts = LAPSE_CALIBRATE_OPTIONS_INIT;

    draw(f, y, n, 0.0, 1.0, plateau, 11);
    assert_int_equal(lapse_calibrate_choose(&cal, &info, f, y, n, &opts, NULL), LAPSE_OK);
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_ISOTONIC);
    assert_true(info.isotonic_log_loss < info.platt_log_loss);

    draw(f, y, n, -4.0, 4.0, sigmoid_curve, 5);
    assert_int_equal(lapse_calibrate_choose(&cal, &info, f, y, n, &opts, NULL), LAPSE_OK);
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_PLATT);
    assert_true(info.platt_log_loss <= info.isotonic_log_loss);

    /* Too few rows for 5 folds: no figures to choose by, so an error. */
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_calibrate_choose(&cal, &info, f, y, 9, NULL, &err), LAPSE_ERR_RANGE);
    assert_string_equal(err.message, "9 rows are too few to choose a calibration by 5-fold "
                                     "cross-validation (at least 10)");
    assert_int_equal(cal.kind, LAPSE_CALIBRATE_NONE);
    const lapse_calibrate_options one_fold = { 1, 1 };
    assert_int_equal(lapse_calibrate_choose(&cal, &info, f, y, n, &one_fold, NULL), LAPSE_ERR_ARG);
    lapse_calibrate_clear(&cal);
    free(f);
    free(y);
}

static void pick_never_compares_nan(void **state)
{
    (void)state;
    assert_int_equal(lapse_calibrate_pick(0.5, 0.4), 1);
    assert_int_equal(lapse_calibrate_pick(0.4, 0.5), 0);
    assert_int_equal(lapse_calibrate_pick(0.4, 0.4), 0); /* a tie keeps the simpler Platt */
    /* NaN < x is false, which used to pick Platt whatever its own figure. */
    assert_int_equal(lapse_calibrate_pick(NAN, 0.4), 1);
    assert_int_equal(lapse_calibrate_pick(0.4, NAN), 0);
    assert_int_equal(lapse_calibrate_pick(INFINITY, 0.4), 1);
    assert_int_equal(lapse_calibrate_pick(NAN, NAN), -1);
    assert_int_equal(lapse_calibrate_pick(NAN, INFINITY), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(platt_recovers_sigmoid), cmocka_unit_test(platt_separable_stays_finite),
        cmocka_unit_test(pav_hand_example),       cmocka_unit_test(output_is_monotone),
        cmocka_unit_test(stored_breakpoints),     cmocka_unit_test(chooser_picks_the_winner),
        cmocka_unit_test(pick_never_compares_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
