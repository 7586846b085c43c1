/* Seeded synthetic rows for the SVM tests. Values are multiples of 1/64,
 * so they print exactly in svm-train's "%.8g" model format. */
#ifndef LAPSE_SVM_TESTDATA_H
#define LAPSE_SVM_TESTDATA_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t td_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double td_uniform(uint64_t *state)
{
    return ((double)(td_next(state) >> 11) + 0.5) * 0x1.0p-53;
}

static double td_normal(uint64_t *state)
{
    double u = td_uniform(state), v = td_uniform(state);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* n rows of d features: normal values rounded to 1/64 plus offset; a share
 * zero_share of them set to 0; labels from a nonlinear rule with noise,
 * about a third churn. x and y are malloc'ed; the caller frees them. */
static void td_make(double **x, int **y, size_t n, size_t d, double zero_share, double offset,
                    uint64_t seed)
{
    uint64_t state = seed;
    *x = malloc(n * d * sizeof **x);
    *y = malloc(n * sizeof **y);
    for (size_t i = 0; i < n; i++) {
        double *row = *x + i * d;
        for (size_t j = 0; j < d; j++) {
            double v = round(td_normal(&state) * 64) / 64;
            row[j] = td_uniform(&state) < zero_share ? 0.0 : v + offset;
        }
        double a = row[0] - offset, b = d > 1 ? row[1] - offset : 0, c = d > 2 ? row[2] - offset : 0;
        double score = a * a - b + 0.5 * b * c + 0.7 * td_normal(&state);
        (*y)[i] = score > 1.0;
    }
}

#endif
