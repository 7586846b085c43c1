/* BG/NBD at scale: draws customers from the BG/NBD process with fixed
 * parameters and seed, writes them as a summary table (for the scipy peer),
 * fits, scores, and prints times, the estimates and a hash of the scores.
 *   btyd_bench N OUT.csv */
#include "lapse/btyd.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
/* Marsaglia and Tsang, with the shape < 1 boost. */
static double gamma_draw(double k)
{
    if (k < 1)
        return gamma_draw(k + 1) * pow(unif(), 1 / k);
    const double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x, v;
        do {
            x = sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        if (log(unif()) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    const double r = 0.243, alpha = 4.414, a = 0.793, b = 2.426;
    lapse_btyd_data d = { n, malloc(n * 8), malloc(n * 8), malloc(n * 8), NULL, NULL };
    FILE *out = argc > 2 ? fopen(argv[2], "w") : NULL;
    if (out)
        fprintf(out, "frequency,recency,T\n");
    for (size_t i = 0; i < n; i++) {
        const double lam = gamma_draw(r) / alpha, ga = gamma_draw(a);
        const double p = ga / (ga + gamma_draw(b));
        const double T = 1 + 38 * unif();
        double t = 0, last = 0, x = 0;
        for (;;) {
            t += -log(unif()) / lam;
            if (t > T)
                break;
            x++, last = t;
            if (unif() < p)
                break;
        }
        d.x[i] = x, d.t_x[i] = last, d.T[i] = T;
        if (out)
            fprintf(out, "%.17g,%.17g,%.17g\n", x, last, T);
    }
    if (out)
        fclose(out);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_btyd_fit_result f;
    double t0 = now();
    if (lapse_btyd_fit(&f, LAPSE_BTYD_BGNBD, &d, NULL, &err)) {
        fprintf(stderr, "fit: %s\n", err.message);
        return 1;
    }
    const double fit_s = now() - t0;
    lapse_btyd_prediction *p = malloc(n * sizeof *p);
    t0 = now();
    if (lapse_btyd_predict(p, &f, NULL, &d, 30, &err)) {
        fprintf(stderr, "predict: %s\n", err.message);
        return 1;
    }
    const double score_s = now() - t0;
    double h = 0;
    for (size_t i = 0; i < n; i++)
        h += p[i].p_none * (double)(i % 7 + 1);
    printf("customers %zu\nfit_s %.3f evals %d converged %d\nparams %.4f %.4f %.4f %.4f (true 0.243 4.414 0.793 2.426)\n"
           "ll %.3f\nscore_s %.3f (%.2f M customers/s)\nscore_hash %.10e\n",
           n, fit_s, f.iterations, f.converged, f.params[0], f.params[1], f.params[2], f.params[3],
           f.log_likelihood, score_s, n / score_s / 1e6, h);
    return 0;
}
