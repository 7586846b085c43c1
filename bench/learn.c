/* Train numerics at scale: logistic regression on n x d and k-means on n x
 * dk, on synthetic data from a fixed seed, each at 1 and at --threads
 * OpenBLAS threads (the peer is the same solver on one thread), plus the
 * k-means assignment pass through DGEMM against a plain distance loop.
 * Prints medians of --reps runs and a checksum of the results so that a fast
 * but wrong run shows. Built and run by bench/learn.sh. */
#include "lapse/kmeans.h"
#include "lapse/logistic.h"
#include "lapse/metrics.h"
#include "learn_rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double gauss(uint64_t *rng)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += learn_rng_uniform(rng);
    return s - 6.0;
}

static long parse_long(const char *text, const char *name)
{
    char *end;
    errno = 0;
    const long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v <= 0) {
        fprintf(stderr, "learn: bad %s \"%s\"\n", name, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    size_t n = 1000000, d = 60, dk = 8;
    int threads = 2, reps = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            n = (size_t)parse_long(argv[i + 1], "--rows");
        else if (!strcmp(argv[i], "--cols"))
            d = (size_t)parse_long(argv[i + 1], "--cols");
        else if (!strcmp(argv[i], "--kmeans-cols"))
            dk = (size_t)parse_long(argv[i + 1], "--kmeans-cols");
        else if (!strcmp(argv[i], "--threads"))
            threads = (int)parse_long(argv[i + 1], "--threads");
        else if (!strcmp(argv[i], "--reps"))
            reps = (int)parse_long(argv[i + 1], "--reps");
        else {
            fprintf(stderr, "usage: learn [--rows N] [--cols D] [--kmeans-cols D] [--threads T] [--reps R]\n");
            return 2;
        }
    }
    double *x = malloc(n * d * sizeof *x), *w = malloc(d * sizeof *w), *truth_w = malloc(d * sizeof *w);
    double *p = malloc(n * sizeof *p);
    int *y = malloc(n * sizeof *y);
    if (!x || !w || !truth_w || !p || !y) {
        fprintf(stderr, "learn: out of memory\n");
        return 3;
    }
    /* Logistic data: correlated-ish columns, a planted sparse-ish model, ~20% positives. */
    uint64_t rng = 2026;
    for (size_t j = 0; j < d; j++)
        truth_w[j] = j % 3 == 0 ? gauss(&rng) * 0.6 : 0.0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const double shared = gauss(&rng);
        double z = -1.8;
        for (size_t j = 0; j < d; j++) {
            x[i * d + j] = gauss(&rng) + 0.3 * shared;
            z += truth_w[j] * x[i * d + j];
        }
        y[i] = learn_rng_uniform(&rng) < 1.0 / (1.0 + exp(-z));
        pos += (size_t)y[i];
    }
    printf("logistic: %zu rows x %zu columns, %.1f%% positive\n", n, d, 100.0 * (double)pos / (double)n);
    const int tcount = threads > 1 ? 2 : 1;
    const int tlist[2] = { 1, threads };
    double times[16];
    for (int t = 0; t < tcount; t++) {
        for (int r = 0; r < reps && r < 16; r++) {
            lapse_logistic_options opts = LAPSE_LOGISTIC_OPTIONS_INIT;
            opts.threads = tlist[t];
            lapse_logistic_info info;
            double b;
            lapse_error err = LAPSE_ERROR_INIT;
            const double t0 = now();
            if (lapse_logistic_fit(w, &b, &info, x, y, n, d, &opts, &err) < 0) {
                fprintf(stderr, "learn: %s\n", err.message);
                return 1;
            }
            times[r] = now() - t0;
            if (r == 0) {
                double auc, wsum = 0;
                lapse_logistic_probability(p, x, n, d, w, b);
                lapse_metrics_auc(&auc, p, y, n, NULL);
                for (size_t j = 0; j < d; j++)
                    wsum += w[j];
                printf("  threads %d: %d Newton iterations, converged %d, objective %.6f, "
                       "train AUC %.6f, checksum sum(w)+b %.9f\n",
                       tlist[t], info.iterations, info.converged, info.objective, auc, wsum + b);
            }
        }
        printf("  threads %d: median %.3f s over %d runs\n", tlist[t], median(times, reps), reps);
    }
    free(p);
    free(w);
    free(truth_w);

    /* k-means data: three planted segments in dk dimensions, standardized. */
    double *xk = realloc(x, n * dk * sizeof *x);
    if (!xk)
        return 3;
    x = xk;
    int *truth = malloc(n * sizeof *truth), *labels = malloc(n * sizeof *labels);
    double *c = malloc(3 * dk * sizeof *c), *mean = malloc(dk * sizeof *mean), *sd = malloc(dk * sizeof *sd);
    double *d2 = malloc(n * sizeof *d2);
    if (!truth || !labels || !c || !mean || !sd || !d2)
        return 3;
    for (size_t i = 0; i < n; i++) {
        truth[i] = (int)learn_rng_below(&rng, 3);
        for (size_t j = 0; j < dk; j++)
            x[i * dk + j] = (j % 3 == (size_t)truth[i] ? 2.0 : 0.0) + gauss(&rng) * 0.7;
    }
    lapse_kmeans_standardize_fit(mean, sd, x, n, dk, NULL);
    lapse_kmeans_standardize_apply(x, n, dk, mean, sd);
    printf("kmeans: %zu rows x %zu columns, k = 3, default options (4 restarts)\n", n, dk);
    for (int t = 0; t < tcount; t++) {
        for (int r = 0; r < reps && r < 16; r++) {
            lapse_kmeans_options opts = LAPSE_KMEANS_OPTIONS_INIT;
            opts.threads = tlist[t];
            lapse_kmeans_info info;
            const double t0 = now();
            if (lapse_kmeans_fit(c, labels, &info, x, n, dk, &opts, NULL) < 0)
                return 1;
            times[r] = now() - t0;
            if (r == 0) {
                double ari, sil;
                lapse_kmeans_ari(&ari, labels, truth, n, NULL);
                const double s0 = now();
                lapse_kmeans_silhouette(&sil, x, labels, n, dk, 3, 10000, 1, NULL);
                printf("  threads %d: inertia %.6f, %d iterations (restart %d), ARI %.6f, "
                       "silhouette (10k sample) %.4f in %.2f s\n",
                       tlist[t], info.inertia, info.iterations, info.restart, ari, sil, now() - s0);
            }
        }
        printf("  threads %d: median %.3f s over %d runs\n", tlist[t], median(times, reps), reps);
    }

    /* One assignment pass: DGEMM blocks against the plain triple loop. */
    for (int r = 0; r < reps && r < 16; r++) {
        const double t0 = now();
        lapse_kmeans_assign(labels, d2, x, n, dk, c, 3, NULL);
        times[r] = now() - t0;
    }
    const double fast = median(times, reps);
    size_t agree = 0;
    for (int r = 0; r < reps && r < 16; r++) {
        const double t0 = now();
        agree = 0;
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int j = 0; j < 3; j++) {
                double s = 0;
                for (size_t q = 0; q < dk; q++)
                    s += (x[i * dk + q] - c[j * dk + q]) * (x[i * dk + q] - c[j * dk + q]);
                if (s < bd) {
                    bd = s;
                    best = j;
                }
            }
            agree += best == labels[i];
        }
        times[r] = now() - t0;
    }
    printf("assign pass: DGEMM %.3f s, plain loop %.3f s (ratio %.2f), labels agree on %zu of %zu\n",
           fast, median(times, reps), median(times, reps) / fast, agree, n);
    free(x);
    free(truth);
    free(labels);
    free(c);
    free(mean);
    free(sd);
    free(d2);
    return 0;
}
