/* The day histogram and its robust range (src/base/dayhist.h) against a
 * slow reference: the events sorted, the quantile events picked by index,
 * the range widened one sorted day at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dayhist.h"

#include <stdlib.h>

static int compare_int32(const void *a, const void *b)
{
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static day_range reference(int32_t *days, size_t n)
{
    qsort(days, n, sizeof *days, compare_int32);
    const size_t trim = n / 1000;
    size_t lo = trim, hi = n - 1 - trim;
    while (lo > 0 && days[lo] - days[lo - 1] <= DAY_RANGE_GAP)
        lo--;
    while (hi + 1 < n && days[hi + 1] - days[hi] <= DAY_RANGE_GAP)
        hi++;
    return (day_range){ (int64_t)n, days[0], days[n - 1], days[lo], days[hi], (int64_t)lo,
                        (int64_t)(n - 1 - hi) };
}

static day_range range_of(const int32_t *days, size_t n)
{
    day_hist h = DAY_HIST_INIT;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(day_hist_add(&h, days[i]), 0);
    day_range r;
    day_hist_range(&h, &r);
    day_hist_free(&h);
    return r;
}

static void assert_range_equal(day_range a, day_range b)
{
    assert_int_equal(a.events, b.events);
    assert_int_equal(a.first, b.first);
    assert_int_equal(a.last, b.last);
    assert_int_equal(a.start, b.start);
    assert_int_equal(a.end, b.end);
    assert_int_equal(a.before, b.before);
    assert_int_equal(a.after, b.after);
}

/* 180 days of events, then one row in 2099: the end stays. */
static void one_skewed_row(void **state)
{
    (void)state;
    enum { N = 5001 };
    int32_t *days = malloc(N * sizeof *days);
    assert_non_null(days);
    for (int i = 0; i < N - 1; i++)
        days[i] = 20454 + (i * 7919) % 180; /* 2026-01-01 on, out of order */
    days[N - 1] = 47482;                    /* 2099-01-01 */
    const day_range r = range_of(days, N);
    assert_int_equal(r.start, 20454);
    assert_int_equal(r.end, 20454 + 179);
    assert_int_equal(r.last, 47482);
    assert_int_equal(r.after, 1);
    assert_int_equal(r.before, 0);
    assert_range_equal(r, reference(days, N));
    free(days);
}

/* Under 1,000 events nothing is trimmed: one row of a handful is data. */
static void small_logs_keep_every_event(void **state)
{
    (void)state;
    int32_t days[] = { 100, 150, 151, 170, 400 };
    const day_range r = range_of(days, 5);
    assert_int_equal(r.start, 100);
    assert_int_equal(r.end, 400);
    assert_int_equal(r.before + r.after, 0);
    assert_range_equal(r, reference(days, 5));
    day_hist empty = DAY_HIST_INIT;
    day_range none;
    day_hist_range(&empty, &none);
    assert_int_equal(none.events, 0);
    assert_int_equal(none.end, -1);
}

/* Random logs, with gaps and stray rows at both ends, against the
 * reference; merging split histograms gives the same range. */
static void random_against_reference(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 200; round++) {
        const size_t n = 1 + (size_t)(rand() % 4000);
        int32_t *days = malloc(n * sizeof *days);
        assert_non_null(days);
        day_hist a = DAY_HIST_INIT, b = DAY_HIST_INIT;
        for (size_t i = 0; i < n; i++) {
            const int kind = rand() % 100;
            days[i] = kind == 0   ? rand() % 20000                  /* far before */
                      : kind == 1 ? 30000 + rand() % 40000          /* far after */
                                  : 20000 + rand() % (10 + round * 3); /* the log, gaps when sparse */
            assert_int_equal(day_hist_add(i % 3 ? &a : &b, days[i]), 0);
        }
        assert_int_equal(day_hist_merge(&a, &b), 0);
        day_range merged;
        day_hist_range(&a, &merged);
        assert_range_equal(merged, reference(days, n));
        day_hist_free(&a);
        day_hist_free(&b);
        free(days);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_skewed_row),
        cmocka_unit_test(small_logs_keep_every_event),
        cmocka_unit_test(random_against_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
