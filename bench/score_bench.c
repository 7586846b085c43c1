/* Score benchmark helper (driven by bench/score.sh).
 *
 *   score_bench gen DIR --rows N --predict P [--svs S] [--features D] [--seed X]
 *       Writes, from a fixed seed: DIR/rbf.model (an RBF SVM on D features
 *       with S support vectors, gamma 1/D, Platt calibration; identity
 *       scaler, so the table's values are what the kernel sees),
 *       DIR/rbf.libsvm (the same SVM for svm-predict, with Platt's A and B
 *       as probA/probB), DIR/logistic.model (logistic on the same features),
 *       DIR/logistic.liblinear (the same weights for liblinear's predict),
 *       DIR/table.csv (N users) and DIR/rows.libsvm (the first P of them).
 *       Values are multiples of 1/8, so every format prints them exactly.
 *   score_bench mem --rows N --features D --threads T1,T2,... [--reps R]
 *       In memory, logistic: lapse_score_rows (every output, reasons
 *       included) per thread count, and the bare decision (one DGEMV over
 *       the scaled matrix), as rows/s medians; prints a hash of the
 *       probabilities. */
#define _POSIX_C_SOURCE 200809L
#include "lapse/logistic.h"
#include "lapse/model.h"
#include "lapse/schema.h"
#include "lapse/score.h"
#include "lapse/svm.h"

#include <svm.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t state = 42;

static double uniform(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

/* Standard normal rounded to 1/8. */
static double value(void)
{
    double u = uniform(), v = uniform();
    double z = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
    return round(z * 8) / 8;
}

static const char *const named[5] = { "days_silent", "days_since_purchase", "purchases_total",
                                      "spend_total", "spend_90" };

static lapse_model *model_of(size_t d, lapse_classifier_kind kind, size_t n_sv)
{
    lapse_model_shape shape = { d, 3, 1, kind, n_sv, LAPSE_CALIBRATION_PLATT, 0, 4 };
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_model_create(&m, &shape, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    for (size_t j = 0; j < d; j++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu", j);
        m->feature_names[j] = strdup(j < 5 ? named[j] : name);
        m->scaler.scale[j] = 1;
    }
    m->meta.schema_hash = lapse_schema_hash((const char *const *)m->feature_names, d);
    lapse_model_segments *s = &m->segments;
    s->profile[0] = (uint32_t)(d - 1);
    s->scale[0] = 1;
    static const char *const segs[3] = { "price-sensitive", "social-driven", "feature-dependent" };
    for (size_t c = 0; c < 3; c++) {
        s->centroids[c] = s->centroids_original[c] = (double)c - 1;
        s->sizes[c] = 1;
        s->names[c] = strdup(segs[c]);
    }
    static const char *const tiers[4] = { "low", "medium", "high", "critical" };
    static const double th[3] = { 0.2, 0.4, 0.7 };
    for (size_t i = 0; i < 4; i++) {
        m->tiers.names[i] = strdup(tiers[i]);
        if (i < 3)
            m->tiers.thresholds[i] = th[i];
    }
    m->training.first_asof = m->training.last_asof = 1767225600;
    m->training.options = strdup("bench");
    m->training.lapse_version = strdup("0.1.0");
    m->calibration.a = -1.3;
    m->calibration.b = 0.1;
    return m;
}

static void save(const lapse_model *m, const char *dir, const char *file)
{
    char path[4096];
    lapse_error err = LAPSE_ERROR_INIT;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (lapse_model_save(m, path, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
}

static FILE *open_out(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    return f;
}

static int gen(const char *dir, size_t rows, size_t predict, size_t n_sv, size_t d)
{
    lapse_model *rbf = model_of(d, LAPSE_CLASSIFIER_SVM, n_sv);
    lapse_model_classifier *c = &rbf->classifier;
    c->kernel = LAPSE_KERNEL_RBF;
    c->gamma = 1.0 / (double)d;
    c->rho = 0.1;
    for (size_t i = 0; i < n_sv * d; i++)
        c->sv[i] = value();
    for (size_t i = 0; i < n_sv; i++)
        c->coef[i] = (i < n_sv / 2 ? 1.0 : -1.0) * (0.05 + uniform());
    save(rbf, dir, "rbf.model");
    lapse_svm_model v = LAPSE_SVM_MODEL_INIT;
    v.kernel = LAPSE_SVM_RBF;
    v.d = d;
    v.n_sv = n_sv;
    v.n_sv_churn = n_sv / 2;
    v.gamma = c->gamma;
    v.rho = c->rho;
    v.sv = c->sv;
    v.coef = c->coef;
    struct svm_model *sm;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_svm_unpack(&sm, &v, &err) != 0) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    /* libsvm's p = 1 / (1 + exp(A f + B)) for label[0] (churn): lapse's Platt. */
    sm->probA = malloc(sizeof *sm->probA);
    sm->probB = malloc(sizeof *sm->probB);
    sm->probA[0] = rbf->calibration.a;
    sm->probB[0] = rbf->calibration.b;
    char path[4096];
    snprintf(path, sizeof path, "%s/rbf.libsvm", dir);
    if (svm_save_model(path, sm) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    svm_free_and_destroy_model(&sm);

    lapse_model *lr = model_of(d, LAPSE_CLASSIFIER_LOGISTIC, 0);
    for (size_t j = 0; j < d; j++)
        lr->classifier.weights[j] = 0.5 * value();
    lr->classifier.bias = -0.25;
    lr->calibration.a = -1; /* p = 1 / (1 + e^-f): what liblinear's -b 1 gives */
    lr->calibration.b = 0;
    save(lr, dir, "logistic.model");
    FILE *f = open_out(dir, "logistic.liblinear");
    fprintf(f, "solver_type L2R_LR\nnr_class 2\nlabel 1 0\nnr_feature %zu\nbias 1\nw\n", d);
    for (size_t j = 0; j < d; j++)
        fprintf(f, "%.17g \n", lr->classifier.weights[j]);
    fprintf(f, "%.17g \n", lr->classifier.bias);
    fclose(f);

    FILE *t = open_out(dir, "table.csv"), *p = open_out(dir, "rows.libsvm");
    char meta[256];
    lapse_table_meta_format(meta, sizeof meta, &rbf->meta);
    fprintf(t, "%s\nuser_id,asof", meta);
    for (size_t j = 0; j < d; j++)
        fprintf(t, ",%s", rbf->feature_names[j]);
    fprintf(t, ",label\n");
    double *x = malloc(d * sizeof *x);
    for (size_t i = 0; i < rows; i++) {
        for (size_t j = 0; j < d; j++)
            x[j] = value();
        /* Counts and money are non-negative. */
        for (size_t j = 0; j < 5; j++)
            x[j] = fabs(x[j]) * (j == 3 || j == 4 ? 100 : 10);
        int label = uniform() < 0.3;
        fprintf(t, "u%07zu,2026-03-01", i);
        for (size_t j = 0; j < d; j++)
            fprintf(t, ",%g", x[j]);
        fprintf(t, ",%d\n", label);
        if (i < predict) {
            fprintf(p, "%d", label);
            for (size_t j = 0; j < d; j++)
                if (x[j] != 0)
                    fprintf(p, " %zu:%g", j + 1, x[j]);
            fprintf(p, "\n");
        }
    }
    free(x);
    fclose(t);
    fclose(p);
    lapse_model_free(rbf);
    lapse_model_free(lr);
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static int mem(size_t rows, size_t d, const char *threads, int reps)
{
    lapse_model *m = model_of(d, LAPSE_CLASSIFIER_LOGISTIC, 0);
    for (size_t j = 0; j < d; j++)
        m->classifier.weights[j] = 0.5 * value();
    double *x = malloc(rows * d * sizeof *x), *dec = malloc(rows * sizeof *dec);
    lapse_score_result *res = malloc(rows * sizeof *res);
    if (!x || !dec || !res)
        return 1;
    for (size_t i = 0; i < rows * d; i++)
        x[i] = fabs(value());
    printf("in memory: %zu rows x %zu features (%.0f MB of doubles)\n", rows, d,
           (double)(rows * d * 8) / 1e6);
    double t[64];
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        lapse_logistic_decision(dec, x, rows, d, m->classifier.weights, m->classifier.bias);
        t[r] = now() - t0;
    }
    printf("  decision only (DGEMV, OpenBLAS threads as set): %.1fM rows/s\n",
           (double)rows / median(t, reps) / 1e6);
    char *list = strdup(threads);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        lapse_score_options o = LAPSE_SCORE_OPTIONS_INIT;
        o.threads = atoi(tok);
        lapse_scorer *s;
        lapse_error err = LAPSE_ERROR_INIT;
        if (lapse_score_create(&s, m, &o, &err) != 0)
            return 1;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            lapse_score_rows(s, res, x, rows, &err);
            t[r] = now() - t0;
        }
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < rows; i++) {
            uint64_t b;
            memcpy(&b, &res[i].p_churn, sizeof b);
            h = (h ^ b) * 1099511628211ull;
        }
        printf("  lapse_score_rows -@%s (all outputs, 3 reasons): %.2fM rows/s  hash %016llx\n",
               tok, (double)rows / median(t, reps) / 1e6, (unsigned long long)h);
        lapse_score_free(s);
    }
    free(list);
    FILE *f = fopen(getenv("SCORE_BENCH_MATRIX") ? getenv("SCORE_BENCH_MATRIX") : "/dev/null", "wb");
    if (f) { /* the same matrix for numpy, when asked */
        fwrite(x, sizeof *x, rows * d, f);
        fclose(f);
    }
    free(x);
    free(dec);
    free(res);
    lapse_model_free(m);
    return 0;
}

static size_t arg_size(int argc, char **argv, const char *name, size_t def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return (size_t)strtoull(argv[i + 1], NULL, 10);
    return def;
}

static const char *arg_text(int argc, char **argv, const char *name, const char *def)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return def;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "gen") == 0) {
        state = arg_size(argc, argv, "--seed", 42);
        return gen(argv[2], arg_size(argc, argv, "--rows", 1000000),
                   arg_size(argc, argv, "--predict", 100000), arg_size(argc, argv, "--svs", 6000),
                   arg_size(argc, argv, "--features", 40));
    }
    if (argc >= 2 && strcmp(argv[1], "mem") == 0) {
        int reps = (int)arg_size(argc, argv, "--reps", 3);
        return mem(arg_size(argc, argv, "--rows", 1000000), arg_size(argc, argv, "--features", 40),
                   arg_text(argc, argv, "--threads", "1,2"), reps < 1 ? 1 : reps > 64 ? 64 : reps);
    }
    fprintf(stderr, "usage: score_bench gen DIR [--rows N] [--predict P] [--svs S] "
                    "[--features D] [--seed X]\n"
                    "       score_bench mem [--rows N] [--features D] [--threads 1,2] "
                    "[--reps R]\n");
    return 2;
}
