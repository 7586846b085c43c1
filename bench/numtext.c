/* Cost of one number written by lapse's float policy (the shortest decimal
 * that reads back the same, lapse_numtext_double) against snprintf's %.17g,
 * on p_churn-like values in [0, 1), and of money in cents
 * (lapse_numtext_cents) against snprintf's %.2f on values_at_risk-like
 * amounts (the same values times 0 to 500), median of 5 rounds of 2M
 * numbers.
 *
 *   cc -O2 -Iinclude bench/numtext.c build-rel/liblapsecore.a -lm -o /tmp/numtext
 *   /tmp/numtext */
#include "lapse/numtext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { N = 2000000, ROUNDS = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    static double v[N];
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[i] = (double)(x >> 11) / 9007199254740992.0;
    }
    double shortest[ROUNDS], g17[ROUNDS], cents[ROUNDS], f2[ROUNDS];
    size_t bytes[4] = { 0, 0, 0, 0 };
    char buf[40];
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = now();
        for (int i = 0; i < N; i++)
            bytes[0] += lapse_numtext_double(buf, v[i]);
        double t1 = now();
        for (int i = 0; i < N; i++)
            bytes[1] += (size_t)snprintf(buf, sizeof buf, "%.17g", v[i]);
        double t2 = now();
        for (int i = 0; i < N; i++)
            bytes[2] += lapse_numtext_cents(buf, v[i] * (double)(i % 500));
        double t3 = now();
        for (int i = 0; i < N; i++)
            bytes[3] += (size_t)snprintf(buf, sizeof buf, "%.2f", v[i] * (double)(i % 500));
        double t4 = now();
        shortest[r] = (t1 - t0) / N * 1e9;
        g17[r] = (t2 - t1) / N * 1e9;
        cents[r] = (t3 - t2) / N * 1e9;
        f2[r] = (t4 - t3) / N * 1e9;
    }
    qsort(shortest, ROUNDS, sizeof *shortest, by_value);
    qsort(g17, ROUNDS, sizeof *g17, by_value);
    qsort(cents, ROUNDS, sizeof *cents, by_value);
    qsort(f2, ROUNDS, sizeof *f2, by_value);
    printf("shortest round-trip: %.0f ns/number, %.1f bytes; snprintf %%.17g: %.0f ns/number, "
           "%.1f bytes (medians of %d rounds of %d)\n",
           shortest[ROUNDS / 2], (double)bytes[0] / ROUNDS / N, g17[ROUNDS / 2],
           (double)bytes[1] / ROUNDS / N, ROUNDS, N);
    printf("cents: %.0f ns/number, %.1f bytes; snprintf %%.2f: %.0f ns/number, %.1f bytes\n",
           cents[ROUNDS / 2], (double)bytes[2] / ROUNDS / N, f2[ROUNDS / 2],
           (double)bytes[3] / ROUNDS / N);
    return 0;
}
