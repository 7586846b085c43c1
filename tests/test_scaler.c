/* The feature scaler: fit against a direct computation, apply, and the
 * log1p domain check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/error.h"
#include "lapse/scaler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 4
#define WIDTH 3

/* Column 0 plain, column 1 log1p, column 2 constant. */
static const double rows[ROWS * WIDTH] = {
    1.0, 0.0, 5.0, /**/ 2.0, 1.0, 5.0, /**/ 3.0, 3.0, 5.0, /**/ 6.0, 7.0, 5.0,
};

/* got is want bit for bit, or both are NaN (of any payload). */
static void assert_same_double(double got, double want)
{
    if (isnan(want))
        assert_true(isnan(got));
    else
        assert_memory_equal(&got, &want, sizeof got);
}

static void fit_is_mean_and_population_sd(void **state)
{
    (void)state;
    unsigned char transform[WIDTH] = { LAPSE_TRANSFORM_NONE, LAPSE_TRANSFORM_LOG1P,
                                       LAPSE_TRANSFORM_NONE };
    double mean[WIDTH], scale[WIDTH];
    lapse_scaler s = { transform, mean, scale };
    size_t bad = 99;
    assert_int_equal(lapse_scaler_fit(&s, &bad, rows, ROWS, WIDTH, NULL, WIDTH), LAPSE_OK);
    assert_int_equal(bad, 99);
    /* Column 0: mean 3, variance (4 + 1 + 0 + 9) / 4. */
    assert_float_equal(mean[0], 3.0, 1e-15);
    assert_float_equal(scale[0], sqrt(14.0 / 4.0), 1e-15);
    /* Column 1 in log1p units: log 1, log 2, log 4, log 8 = (0, 1, 2, 3) log 2. */
    const double l2 = log(2.0);
    assert_float_equal(mean[1], 1.5 * l2, 1e-15);
    assert_float_equal(scale[1], sqrt(1.25) * l2, 1e-15);
    /* A constant column scales by 1 rather than dividing by 0. */
    assert_float_equal(mean[2], 5.0, 0);
    assert_float_equal(scale[2], 1.0, 0);
}

static void fit_reads_chosen_columns(void **state)
{
    (void)state;
    unsigned char transform[2] = { LAPSE_TRANSFORM_LOG1P, LAPSE_TRANSFORM_NONE };
    double mean[2], scale[2];
    lapse_scaler s = { transform, mean, scale };
    const uint32_t cols[2] = { 1, 0 };
    size_t bad;
    assert_int_equal(lapse_scaler_fit(&s, &bad, rows, ROWS, WIDTH, cols, 2), LAPSE_OK);
    assert_float_equal(mean[0], 1.5 * log(2.0), 1e-15);
    assert_float_equal(mean[1], 3.0, 1e-15);
}

static void fit_names_a_mean_beyond_a_double(void **state)
{
    (void)state;
    const double huge[2 * 2] = { 1.0, 1e308, 2.0, 1e308 };
    unsigned char transform[2] = { LAPSE_TRANSFORM_NONE, LAPSE_TRANSFORM_NONE };
    double mean[2], scale[2];
    lapse_scaler s = { transform, mean, scale };
    size_t bad = 99;
    assert_int_equal(lapse_scaler_fit(&s, &bad, huge, 2, 2, NULL, 2), LAPSE_ERR_RANGE);
    assert_int_equal(bad, 1);
    assert_float_equal(mean[0], 1.5, 0); /* the other columns are fitted */
}

static void apply_matches_value_and_may_work_in_place(void **state)
{
    (void)state;
    unsigned char transform[WIDTH] = { LAPSE_TRANSFORM_NONE, LAPSE_TRANSFORM_LOG1P,
                                       LAPSE_TRANSFORM_NONE };
    double mean[WIDTH] = { 1.0, 0.5, -2.0 }, scale[WIDTH] = { 2.0, 0.25, 4.0 };
    const lapse_scaler s = { transform, mean, scale };
    double x[ROWS * WIDTH];
    for (size_t i = 0; i < ROWS * WIDTH; i++)
        x[i] = rows[i];
    lapse_scaler_apply(&s, WIDTH, x, ROWS, x);
    for (size_t i = 0; i < ROWS; i++)
        for (size_t j = 0; j < WIDTH; j++) {
            const double raw = rows[i * WIDTH + j];
            const double t = j == 1 ? log1p(raw) : raw;
            assert_float_equal(x[i * WIDTH + j], (t - mean[j]) / scale[j], 1e-15);
            assert_true(x[i * WIDTH + j] == lapse_scaler_value(&s, j, raw));
        }
    assert_float_equal(lapse_scaler_transform(LAPSE_TRANSFORM_LOG1P, exp(2.0) - 1.0), 2.0, 1e-15);
    assert_float_equal(lapse_scaler_transform(LAPSE_TRANSFORM_NONE, -3.0), -3.0, 0);
}

/* Whole numbers take log1p from a table: the same bits as log1p, the sign
 * of zero kept, and the numbers around the table's end and between its
 * entries computed. */
static void log1p_is_log1p_bit_for_bit(void **state)
{
    (void)state;
    for (int k = -1; k < 5000; k++) {
        const double inputs[] = { k, k + 0.5, nextafter(k, -2), nextafter(k, 1e9) };
        for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
            if (!(inputs[i] > -1.0))
                continue;
            const double want = log1p(inputs[i]);
            const double got = lapse_scaler_transform(LAPSE_TRANSFORM_LOG1P, inputs[i]);
            assert_memory_equal(&got, &want, sizeof got);
        }
    }
    const double zero = lapse_scaler_transform(LAPSE_TRANSFORM_LOG1P, -0.0);
    assert_true(zero == 0 && signbit(zero));
}

/* lapse_scaler_apply's own path to the same bits: the table's index found
 * without branches, and other values' log1p remembered by value (here more
 * values than it remembers, each seen twice, far apart and in a row). */
static void apply_log1p_is_log1p_bit_for_bit(void **state)
{
    (void)state;
    enum { KINDS = 9, N = 2 * 5100 * KINDS };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int k = -1; k < 5099; k++) {
            const double inputs[KINDS] = { k, k + 0.5, nextafter(k, -2), nextafter(k, 1e9),
                                           k / 7.0, k + 0.5, -0.0, k * 1e300, NAN };
            for (size_t i = 0; i < KINDS; i++)
                x[n++] = inputs[i];
        }
    unsigned char transform[1] = { LAPSE_TRANSFORM_LOG1P };
    double mean[1] = { 0.0 }, scale[1] = { 1.0 };
    const lapse_scaler s = { transform, mean, scale };
    double *out = malloc(N * sizeof *out);
    assert_non_null(out);
    lapse_scaler_apply(&s, 1, x, N, out);
    for (size_t i = 0; i < N; i++) {
        assert_same_double(out[i], log1p(x[i]));
    }
    free(out);
    free(x);
}

/* lapse_scaler_apply's vector path (four values a step, the
 * table's whole numbers gathered) and its scalar tail give, bit for bit,
 * lapse_scaler_value's (t(raw) - mean) / scale: rows of several widths
 * mixing log1p and plain columns, with whole numbers at and around the
 * table's ends, zeros of both signs, fractions, negatives, huge values and
 * NaN; in place too. */
static void apply_is_value_bit_for_bit(void **state)
{
    (void)state;
    static const size_t widths[] = { 1, 3, 4, 5, 8, 79 };
    enum { ROWS_EACH = 700, MAX_D = 79 };
    double *x = malloc(ROWS_EACH * MAX_D * sizeof *x);
    double *out = malloc(ROWS_EACH * MAX_D * sizeof *out);
    assert_non_null(x);
    assert_non_null(out);
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        const size_t d = widths[w];
        unsigned char transform[MAX_D];
        double mean[MAX_D], scale[MAX_D];
        for (size_t j = 0; j < d; j++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            transform[j] = r % 4 ? LAPSE_TRANSFORM_LOG1P : LAPSE_TRANSFORM_NONE;
            mean[j] = j % 3 ? (double)(r >> 40) / 1e5 : 0.0; /* 0: the sign of zero shows */
            scale[j] = 0.1 + (double)((r >> 20) & 0xfffff) / 3e4;
        }
        const lapse_scaler s = { transform, mean, scale };
        for (size_t i = 0; i < ROWS_EACH * d; i++) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            const double k = (double)(r >> 52); /* 0 .. 4095 */
            const double kinds[] = { k,        (double)(r % 8), 4095, 4096, 4097, nextafter(k, -2),
                                     nextafter(k, 1e9), k / 7.0, -0.0, 0.0, -0.5, 1e300, NAN,
                                     -3.0,     k + 0.25,        (double)(r >> 11) };
            x[i] = kinds[(r >> 3) % (sizeof kinds / sizeof *kinds)]; /* -3: log1p's NaN */
        }
        for (int in_place = 0; in_place < 2; in_place++) {
            if (in_place)
                memcpy(out, x, ROWS_EACH * d * sizeof *out);
            lapse_scaler_apply(&s, d, in_place ? out : x, ROWS_EACH, out);
            for (size_t i = 0; i < ROWS_EACH * d; i++) {
                assert_same_double(out[i], lapse_scaler_value(&s, i % d, x[i]));
            }
        }
    }
    free(out);
    free(x);
}

static void check_finds_the_first_value_log1p_cannot_take(void **state)
{
    (void)state;
    unsigned char transform[WIDTH] = { LAPSE_TRANSFORM_NONE, LAPSE_TRANSFORM_LOG1P,
                                       LAPSE_TRANSFORM_LOG1P };
    double mean[WIDTH] = { 0 }, scale[WIDTH] = { 1, 1, 1 };
    const lapse_scaler s = { transform, mean, scale };
    size_t row = 99, col = 99;
    assert_int_equal(lapse_scaler_check(&row, &col, &s, WIDTH, rows, ROWS), LAPSE_OK);
    assert_int_equal(row, 99);
    /* -5 in a plain column is fine; -1 and NaN in a log1p one are not. */
    const double bad[2 * WIDTH] = { -5.0, -0.5, 0.0, 0.0, NAN, -1.0 };
    assert_int_equal(lapse_scaler_check(&row, &col, &s, WIDTH, bad, 2), LAPSE_ERR_RANGE);
    assert_int_equal(row, 1);
    assert_int_equal(col, 1);
    assert_int_equal(lapse_scaler_check(&row, &col, &s, WIDTH, bad, 1), LAPSE_OK);
}

static void alloc_zero_fills_and_clear_forgets(void **state)
{
    (void)state;
    lapse_scaler s = { 0 };
    lapse_scaler_clear(&s); /* a zeroed scaler is fine */
    assert_int_equal(lapse_scaler_alloc(&s, WIDTH), LAPSE_OK);
    for (size_t j = 0; j < WIDTH; j++) {
        assert_int_equal(s.transform[j], LAPSE_TRANSFORM_NONE);
        assert_true(s.mean[j] == 0 && s.scale[j] == 0);
    }
    lapse_scaler_clear(&s);
    assert_null(s.transform);
    assert_null(s.mean);
    assert_null(s.scale);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_zero_fills_and_clear_forgets),
        cmocka_unit_test(fit_is_mean_and_population_sd),
        cmocka_unit_test(fit_reads_chosen_columns),
        cmocka_unit_test(fit_names_a_mean_beyond_a_double),
        cmocka_unit_test(apply_matches_value_and_may_work_in_place),
        cmocka_unit_test(log1p_is_log1p_bit_for_bit),
        cmocka_unit_test(apply_log1p_is_log1p_bit_for_bit),
        cmocka_unit_test(apply_is_value_bit_for_bit),
        cmocka_unit_test(check_finds_the_first_value_log1p_cannot_take),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
