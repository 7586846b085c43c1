/* SVM benchmark: lapse's trainer and scorer against libsvm-tools' svm-train
 * and svm-predict, same rows, same model, one run.
 *
 *   svm_bench [--train N] [--score M] [--predict P] [--reps R] [--threads T]
 *             [--block-rows B] [--block-svs S] [--train-b1] [--dir DIR]
 *             [--model PATH]
 *
 * Synthetic data: 40 standard-normal features (rounded to 1/64, so they
 * print exactly in libsvm's %.8g model format), a nonlinear churn rule with
 * noise (about a third churn). Trains an RBF model (C = 1, gamma = 1/40,
 * balanced weights) with lapse_svm_train on N rows, saves it in libsvm's
 * format and loads it back, so svm-predict and lapse score the same model.
 * Times: svm-predict -b 0 and -b 1 on the first P rows; lapse exact on 1
 * and T threads and single precision on 1 thread, on all M rows; medians of
 * R runs; T may be a list (2,4,8). Prints a hash of the exact decision values and the largest
 * deviation from svm_predict_values on a sample, so a fast wrong run shows.
 * --train-b1 also times `svm-train -b 1` on the N training rows; --model
 * PATH scores a model saved by an earlier run instead of training. */
#define _POSIX_C_SOURCE 200809L
#include "lapse/error.h"
#include "lapse/svm.h"
#include "lapse/svmscore.h"

#include <cblas.h>
#include <svm.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define D 40

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds: this process, or its finished children. On a shared
 * machine these measure work where wall time also measures the neighbours. */
static double cpu_self(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_children(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_normal(uint64_t *s)
{
    double u = ((double)(rng_next(s) >> 11) + 0.5) * 0x1.0p-53;
    double v = ((double)(rng_next(s) >> 11) + 0.5) * 0x1.0p-53;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void make_rows(double *x, int *y, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double *r = x + i * D;
        for (int j = 0; j < D; j++)
            r[j] = round(rng_normal(&s) * 64) / 64;
        double z = 0.8 * r[0] * r[1] - 0.6 * r[2] * r[2] + 0.5 * sin(2 * r[3]) + 0.4 * r[4] -
                   0.3 * r[5] * r[6] + 0.3 * fabs(r[7]) - 0.2;
        for (int j = 8; j < 20; j++)
            z += 0.08 * r[j];
        y[i] = z + 0.9 * rng_normal(&s) > 0.3;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void write_rows(const char *path, const double *x, const int *y, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(3);
    }
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%d", y[i]);
        for (int j = 0; j < D; j++)
            if (x[i * D + j] != 0.0)
                fprintf(f, " %d:%.17g", j + 1, x[i * D + j]);
        fputc('\n', f);
    }
    fclose(f);
}

/* Wall seconds; *cpu gets the child's CPU seconds. */
static double run_timed(const char *cmd, double *cpu)
{
    double t0 = now(), c0 = cpu_children();
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        exit(1);
    }
    if (cpu)
        *cpu = cpu_children() - c0;
    return now() - t0;
}

/* Median wall seconds of reps runs of the scorer over n rows (*cpu: median
 * CPU seconds); out keeps the last. */
static double time_scorer(const lapse_svm_model *m, const double *x, size_t n, int threads,
                          int single, size_t br, size_t bs, int reps, double *out, double *cpu)
{
    lapse_svm_scorer_options o = LAPSE_SVM_SCORER_OPTIONS_INIT;
    o.threads = threads;
    o.single_precision = single;
    o.block_rows = br;
    o.block_svs = bs;
    lapse_svm_scorer *s;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_svm_scorer_create(&s, m, &o, &err) < 0) {
        fprintf(stderr, "scorer: %s\n", err.message);
        exit(1);
    }
    double t[16], c[16];
    for (int r = 0; r < reps; r++) {
        double t0 = now(), c0 = cpu_self();
        lapse_svm_scorer_decision(s, out, x, n, &err);
        t[r] = now() - t0;
        c[r] = cpu_self() - c0;
    }
    lapse_svm_scorer_free(s);
    if (cpu)
        *cpu = median(c, reps);
    return median(t, reps);
}

static uint64_t hash_doubles(const double *v, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const unsigned char *p = (const unsigned char *)v;
    for (size_t i = 0; i < n * sizeof *v; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int main(int argc, char **argv)
{
    size_t n_train = 15000, n_score = 1000000, n_predict = 20000, br = 0, bs = 0;
    int reps = 3, train_b1 = 0, threads[16] = { 2 }, n_threads = 1;
    const char *dir = "/tmp", *load = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--train-b1")) {
            train_b1 = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--train"))
            n_train = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--score"))
            n_score = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--predict"))
            n_predict = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v) < 1 ? 1 : atoi(v) > 16 ? 16 : atoi(v);
        else if (!strcmp(a, "--threads")) {
            n_threads = 0;
            for (char *p = (char *)v; *p && n_threads < 16; p += *p == ',')
                threads[n_threads++] = (int)strtol(p, &p, 10);
        }
        else if (!strcmp(a, "--block-rows"))
            br = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--block-svs"))
            bs = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--dir"))
            dir = v;
        else if (!strcmp(a, "--model"))
            load = v;
        else {
            fprintf(stderr, "unknown option %s\n", a);
            return 2;
        }
    }
    if (n_predict > n_score)
        n_predict = n_score;

    double *xt = malloc(n_train * D * sizeof *xt), *xs = malloc(n_score * D * sizeof *xs);
    int *yt = malloc(n_train * sizeof *yt), *ys = malloc(n_score * sizeof *ys);
    double *out = malloc(n_score * sizeof *out), *outT = malloc(n_score * sizeof *outT);
    double *outF = malloc(n_score * sizeof *outF), *ref = malloc(n_score * sizeof *ref);
    if (!xt || !xs || !yt || !ys || !out || !outT || !outF || !ref)
        return 3;
    make_rows(xt, yt, n_train, 1);
    make_rows(xs, ys, n_score, 2);

    char train_path[512], model_path[512], rows_path[512], b1_path[512], pred_path[512];
    char cmd[2048];
    snprintf(train_path, sizeof train_path, "%s/svmbench.train", dir);
    snprintf(model_path, sizeof model_path, "%s/svmbench.model", dir);
    snprintf(b1_path, sizeof b1_path, "%s/svmbench.b1.model", dir);
    snprintf(rows_path, sizeof rows_path, "%s/svmbench.rows", dir);
    snprintf(pred_path, sizeof pred_path, "%s/svmbench.pred", dir);

    lapse_svm_options o = LAPSE_SVM_OPTIONS_INIT;
    lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
    lapse_svm_train_info info;
    lapse_error err = LAPSE_ERROR_INIT;
    struct svm_model *lib = NULL;
    if (load) {
        snprintf(model_path, sizeof model_path, "%s", load);
    } else {
        double t0 = now(), c0 = cpu_self();
        if (lapse_svm_train(&m, &info, xt, yt, n_train, D, &o, &err) < 0) {
            fprintf(stderr, "train: %s\n", err.message);
            return 1;
        }
        double t_train = now() - t0, c_train = cpu_self() - c0;
        printf("train: %zu rows (%zu churn), %zu SVs, C %g gamma %g weights %.6g/%.6g\n",
               info.rows_used, info.rows_used_churn, info.n_sv, info.C, info.gamma,
               info.weight[0], info.weight[1]);
        printf("lapse_svm_train                 %8.2f s  (%.2f CPU s)\n", t_train, c_train);
        if (train_b1) {
            write_rows(train_path, xt, yt, n_train);
            /* svm-train reads -g/-w in float: pass what it will use anyway. */
            snprintf(cmd, sizeof cmd,
                     "svm-train -q -b 1 -s 0 -t 2 -c %.17g -g %.9g -w0 %.9g -w1 %.9g -m 200 %s %s",
                     info.C, info.gamma, info.weight[0], info.weight[1], train_path, b1_path);
            double cpu;
            double wall = run_timed(cmd, &cpu);
            printf("svm-train -b 1                  %8.2f s  (%.2f CPU s)\n", wall, cpu);
        }
        /* Through libsvm's file format and back: both sides score this model. */
        if (lapse_svm_unpack(&lib, &m, &err) < 0)
            return 1;
        lib->probA = malloc(sizeof *lib->probA);
        lib->probB = malloc(sizeof *lib->probB);
        lib->probA[0] = -1.5; /* a fixed sigmoid, so svm-predict -b 1 has work to do */
        lib->probB[0] = 0.1;
        svm_save_model(model_path, lib);
        lapse_svm_unpacked_free(lib);
        lapse_svm_model_free(&m);
    }
    lib = svm_load_model(model_path);
    if (!lib || lapse_svm_pack(&m, lib, D, NULL, &err) < 0)
        return 1;
    write_rows(rows_path, xs, ys, n_predict);

    double t[16], c[16];
    for (int r = 0; r < reps; r++) {
        snprintf(cmd, sizeof cmd, "svm-predict -q -b 0 %s %s %s", rows_path, model_path,
                 pred_path);
        t[r] = run_timed(cmd, &c[r]);
    }
    double pred0 = (double)n_predict / median(t, reps), pred0c = (double)n_predict / median(c, reps);
    /* Agreement with svm-predict's labels. */
    FILE *f = fopen(pred_path, "r");
    size_t agree = 0;
    time_scorer(&m, xs, n_predict, 1, 0, br, bs, 1, out, NULL);
    for (size_t i = 0; i < n_predict && f; i++) {
        int label;
        if (fscanf(f, "%d", &label) == 1)
            agree += label == (out[i] > 0);
    }
    if (f)
        fclose(f);
    for (int r = 0; r < reps; r++) {
        snprintf(cmd, sizeof cmd, "svm-predict -q -b 1 %s %s %s", rows_path, model_path,
                 pred_path);
        t[r] = run_timed(cmd, &c[r]);
    }
    double pred1 = (double)n_predict / median(t, reps), pred1c = (double)n_predict / median(c, reps);

    /* libsvm's own values on a sample, for the largest deviation. */
    size_t sample = n_score < 5000 ? n_score : 5000;
    struct svm_node nodes[D + 1];
    for (size_t i = 0; i < sample; i++) {
        int k = 0;
        for (int j = 0; j < D; j++)
            if (xs[i * D + j] != 0.0)
                nodes[k++] = (struct svm_node){ j + 1, xs[i * D + j] };
        nodes[k].index = -1;
        svm_predict_values(lib, nodes, &ref[i]);
    }

    double e1c, f1c;
    double e1 = time_scorer(&m, xs, n_score, 1, 0, br, bs, reps, out, &e1c);
    uint64_t h = hash_doubles(out, n_score);
    double dev = 0;
    for (size_t i = 0; i < sample; i++)
        dev = fmax(dev, fabs(out[i] - ref[i]) / (1 + fabs(ref[i])));
    double eT[16];
    int same[16];
    for (int k = 0; k < n_threads; k++) {
        eT[k] = time_scorer(&m, xs, n_score, threads[k], 0, br, bs, reps, outT, NULL);
        same[k] = memcmp(outT, out, n_score * sizeof *out) == 0;
    }
    double f1 = time_scorer(&m, xs, n_score, 1, 1, br, bs, reps, outF, &f1c);
    double dp = 0;
    for (size_t i = 0; i < n_score; i++) {
        double p = 1 / (1 + exp(-1.5 * out[i] + 0.1)), q = 1 / (1 + exp(-1.5 * outF[i] + 0.1));
        dp = fmax(dp, fabs(p - q));
    }
    double r_e1 = (double)n_score / e1, r_f1 = (double)n_score / f1;
    double c_e1 = (double)n_score / e1c, c_f1 = (double)n_score / f1c;
    printf("model: %zu SVs x %d features; svm-predict on %zu rows, lapse on %zu rows, "
           "median of %d; OpenBLAS core %s\n", m.n_sv, D, n_predict, n_score, reps,
           openblas_get_corename());
    printf("                                 wall rows/s  ratio   rows per CPU s  ratio\n");
    printf("svm-predict -b 0                %10.0f   1.00x   %10.0f   1.00x  (labels agree on "
           "%zu/%zu)\n", pred0, pred0c, agree, n_predict);
    printf("svm-predict -b 1                %10.0f  %5.2fx   %10.0f  %5.2fx\n", pred1,
           pred1 / pred0, pred1c, pred1c / pred0c);
    printf("lapse exact, 1 thread           %10.0f  %5.1fx   %10.0f  %5.1fx  (max |f - libsvm| / "
           "(1+|f|) %.1e on %zu rows; hash %016llx)\n",
           r_e1, r_e1 / pred0, c_e1, c_e1 / pred0c, dev, sample, (unsigned long long)h);
    for (int k = 0; k < n_threads; k++) {
        double r = (double)n_score / eT[k];
        printf("lapse exact, %2d threads         %10.0f  %5.1fx                       (%.2fx of 1 "
               "thread; %s)\n", threads[k], r, r / pred0, r / r_e1,
               same[k] ? "bitwise equal" : "DIFFERENT");
    }
    printf("lapse float, 1 thread           %10.0f  %5.1fx   %10.0f  %5.1fx  (Platt p within "
           "%.1e of exact)\n", r_f1, r_f1 / pred0, c_f1, c_f1 / pred0c, dp);
    svm_free_and_destroy_model(&lib);
    lapse_svm_model_free(&m);
    free(xt);
    free(xs);
    free(yt);
    free(ys);
    free(out);
    free(outT);
    free(outF);
    free(ref);
    remove(rows_path);
    remove(pred_path);
    remove(train_path);
    return 0;
}
