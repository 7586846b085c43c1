/* SVM training through libsvm: subsample, options, pack/unpack and its
 * sign, equality with svm-train, grid search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/error.h"
#include "lapse/svm.h"
#include "svm_testdata.h"

#include <svm.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* f(x) from the packed arrays, the slow obvious way. */
static double reference_f(const lapse_svm_model *m, const double *x)
{
    double f = -m->rho;
    for (size_t i = 0; i < m->n_sv; i++) {
        double k = 0;
        for (size_t j = 0; j < m->d; j++) {
            double u = m->sv[i * m->d + j];
            k += m->kernel == LAPSE_SVM_RBF ? (x[j] - u) * (x[j] - u) : x[j] * u;
        }
        f += m->coef[i] * (m->kernel == LAPSE_SVM_RBF ? exp(-m->gamma * k) : k);
    }
    return f;
}

static void quiet(const char *text)
{
    (void)text;
}

static struct svm_node *to_nodes(const double *x, size_t d)
{
    struct svm_node *nodes = malloc((d + 1) * sizeof *nodes), *p = nodes;
    for (size_t j = 0; j < d; j++)
        if (x[j] != 0.0)
            *p++ = (struct svm_node){ (int)j + 1, x[j] };
    p->index = -1;
    return nodes;
}

static void subsample_is_stratified(void **state)
{
    (void)state;
    enum { N = 1000 };
    int y[N];
    for (int i = 0; i < N; i++)
        y[i] = i % 10 == 3; /* 100 churned */
    size_t idx[N], count = 0;
    assert_int_equal(lapse_svm_subsample(idx, &count, y, N, 200, 7, NULL), LAPSE_OK);
    assert_int_equal(count, 200);
    size_t churn = 0;
    for (size_t k = 0; k < count; k++) {
        churn += (size_t)y[idx[k]];
        if (k)
            assert_true(idx[k] > idx[k - 1]);
    }
    assert_int_equal(churn, 20); /* 10% of 200 */
    size_t again[N], count2;
    assert_int_equal(lapse_svm_subsample(again, &count2, y, N, 200, 7, NULL), LAPSE_OK);
    assert_memory_equal(idx, again, sizeof(size_t) * 200);
    assert_int_equal(lapse_svm_subsample(again, &count2, y, N, 200, 8, NULL), LAPSE_OK);
    assert_true(memcmp(idx, again, sizeof(size_t) * 200) != 0);
    /* A rare class keeps at least one row. */
    int rare[N] = { 0 };
    rare[500] = 1;
    assert_int_equal(lapse_svm_subsample(idx, &count, rare, N, 10, 1, NULL), LAPSE_OK);
    assert_int_equal(count, 10);
    int found = 0;
    for (size_t k = 0; k < count; k++)
        found |= idx[k] == 500;
    assert_true(found);
    /* 0 and max >= n take everything. */
    assert_int_equal(lapse_svm_subsample(idx, &count, y, N, 0, 1, NULL), LAPSE_OK);
    assert_int_equal(count, N);
    assert_int_equal(idx[N - 1], N - 1);
    y[5] = 2;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_svm_subsample(idx, &count, y, N, 0, 1, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "row 6"));
}

static void refusals(void **state)
{
    (void)state;
    double *x;
    int *y;
    td_make(&x, &y, 50, 3, 0.0, 0.0, 1);
    lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_svm_options o = LAPSE_SVM_OPTIONS_INIT;
    o.C = 0;
    assert_int_equal(lapse_svm_train(&m, NULL, x, y, 50, 3, &o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "C must be positive"));
    o = (lapse_svm_options)LAPSE_SVM_OPTIONS_INIT;
    o.eps = -1; /* only libsvm's own check catches this one */
    assert_int_equal(lapse_svm_train(&m, NULL, x, y, 50, 3, &o, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "libsvm refuses the parameters: eps <= 0");
    o = (lapse_svm_options)LAPSE_SVM_OPTIONS_INIT;
    o.weight[0] = 2;
    assert_int_equal(lapse_svm_train(&m, NULL, x, y, 50, 3, &o, &err), LAPSE_ERR_ARG);
    int *one = calloc(50, sizeof *one);
    assert_int_equal(lapse_svm_train(&m, NULL, x, one, 50, 3, NULL, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "both classes"));
    x[7 * 3 + 1] = NAN;
    assert_int_equal(lapse_svm_train(&m, NULL, x, y, 50, 3, NULL, &err), LAPSE_ERR_RANGE);
    assert_int_equal(err.line, 8);
    assert_int_equal(err.column, 2);
    free(one);

    /* Defaults: gamma 1/d, weights balanced as n / (2 n_c). */
    x[7 * 3 + 1] = 0.5;
    lapse_svm_train_info info;
    assert_int_equal(lapse_svm_train(&m, &info, x, y, 50, 3, NULL, &err), LAPSE_OK);
    size_t churn = 0;
    for (size_t i = 0; i < 50; i++)
        churn += (size_t)y[i];
    assert_int_equal(info.rows_used, 50);
    assert_int_equal(info.rows_used_churn, churn);
    assert_true(info.gamma == 1.0 / 3 && m.gamma == 1.0 / 3 && info.C == 1.0);
    assert_true(info.weight[1] == 50.0 / (2.0 * (double)churn));
    assert_true(info.weight[0] == 50.0 / (2.0 * (double)(50 - churn)));
    assert_int_equal(info.n_sv, m.n_sv);
    lapse_svm_model_free(&m);
    free(x);
    free(y);
}

/* Pack must flip libsvm's sign when the data starts with a 0 label, and
 * keep it when it starts with a 1; unpack must give back the same values. */
static void pack_sign_and_round_trip(void **state)
{
    (void)state;
    enum { N = 300, D = 4 };
    double *x;
    int *y;
    td_make(&x, &y, N, D, 0.3, 0.0, 11);
    for (int first = 0; first < 2; first++) {
        for (int kernel = 0; kernel < 2; kernel++) {
            /* Move a row of label `first` to the top. */
            size_t swap = 0;
            while (y[swap] != first)
                swap++;
            for (size_t j = 0; j < D; j++) {
                double t = x[j];
                x[j] = x[swap * D + j];
                x[swap * D + j] = t;
            }
            int t = y[0];
            y[0] = y[swap];
            y[swap] = t;

            struct svm_problem prob = { N, malloc(N * sizeof(double)),
                                        malloc(N * sizeof(struct svm_node *)) };
            for (size_t i = 0; i < N; i++) {
                prob.y[i] = y[i];
                prob.x[i] = to_nodes(x + i * D, D);
            }
            struct svm_parameter param = { 0 };
            param.svm_type = C_SVC;
            param.kernel_type = kernel ? LINEAR : RBF;
            param.gamma = 0.4;
            param.cache_size = 10;
            param.eps = 1e-3;
            param.C = 2;
            param.shrinking = 1;
            svm_set_print_string_function(quiet);
            struct svm_model *trained = svm_train(&prob, &param);
            assert_int_equal(trained->label[0], first);

            lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
            assert_int_equal(lapse_svm_pack(&m, trained, D, NULL, NULL), LAPSE_OK);
            assert_int_equal(m.n_sv, (size_t)trained->l);
            assert_non_null(m.sv_row);
            size_t churn = 0;
            for (size_t k = 0; k < m.n_sv; k++) {
                assert_int_equal(y[m.sv_row[k]], k < m.n_sv_churn);
                assert_true(k < m.n_sv_churn ? m.coef[k] > 0 : m.coef[k] < 0);
                assert_memory_equal(m.sv + k * D, x + m.sv_row[k] * D, D * sizeof(double));
                churn += (size_t)y[m.sv_row[k]];
            }
            assert_int_equal(churn, m.n_sv_churn);

            struct svm_model *back = NULL;
            assert_int_equal(lapse_svm_unpack(&back, &m, NULL), LAPSE_OK);
            double sign = first == 1 ? 1.0 : -1.0;
            for (size_t i = 0; i < N; i++) {
                double a, b;
                svm_predict_values(trained, prob.x[i], &a);
                svm_predict_values(back, prob.x[i], &b);
                double ref = reference_f(&m, x + i * D);
                assert_true(fabs(sign * a - ref) <= 1e-9 * (1 + fabs(ref)));
                assert_true(fabs(b - ref) <= 1e-9 * (1 + fabs(ref)));
                /* Labels {1, 0}: libsvm predicts churn exactly when f > 0. */
                assert_int_equal((int)svm_predict(back, prob.x[i]), b > 0);
            }
            svm_free_and_destroy_model(&trained);
            lapse_svm_unpacked_free(back);
            lapse_svm_model_free(&m);
            lapse_svm_model_free(&m); /* twice is harmless */
            for (size_t i = 0; i < N; i++)
                free(prob.x[i]);
            free(prob.x);
            free(prob.y);
        }
    }
    lapse_svm_unpacked_free(NULL);
    lapse_svm_model_free(NULL);
    free(x);
    free(y);
}

static int have_svm_train(void)
{
    return system("command -v svm-train >/dev/null 2>&1") == 0;
}

/* lapse_svm_train and the svm-train program, same rows and parameters:
 * the same support vectors (the same rows, in the same order), coefficients
 * and rho within 1e-9. */
static void equals_svm_train(void **state)
{
    (void)state;
    if (!have_svm_train()) {
        print_message("svm-train not on PATH (install libsvm-tools): skipped\n");
        skip();
    }
    enum { N = 600, D = 8 };
    double *x;
    int *y;
    td_make(&x, &y, N, D, 0.25, 0.0, 23);
    char dir[] = "svmtrainXXXXXX";
    assert_non_null(mkdtemp(dir));
    char data[64], model[64], cmd[512];
    snprintf(data, sizeof data, "%s/rows", dir);
    snprintf(model, sizeof model, "%s/model", dir);

    /* The svm-train of libsvm-tools 3.24 reads -g, -w and -e in single
     * precision (-g 0.1 trains with 0.10000000149011612), so every value
     * here is exact in float; gamma 0 is 1/8. */
    struct {
        lapse_svm_kernel kernel;
        double C, gamma, w0, w1;
        int first; /* label of the first row: both signs of libsvm's order */
        size_t max_train;
    } cases[] = { { LAPSE_SVM_RBF, 1.0, 0.0, 1.0, 2.0, 0, 0 },
                  { LAPSE_SVM_RBF, 4.0, 0.5, 1.0, 3.0, 1, 0 },
                  { LAPSE_SVM_RBF, 0.5, 0.0625, 0.5, 1.5, 0, 400 },
                  { LAPSE_SVM_LINEAR, 0.25, 0.0, 1.0, 2.0, 1, 0 } };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t swap = 0;
        while (y[swap] != cases[c].first)
            swap++;
        for (size_t j = 0; j < D; j++) {
            double t = x[j];
            x[j] = x[swap * D + j];
            x[swap * D + j] = t;
        }
        int t = y[0];
        y[0] = y[swap];
        y[swap] = t;

        lapse_svm_options o = LAPSE_SVM_OPTIONS_INIT;
        o.kernel = cases[c].kernel;
        o.C = cases[c].C;
        o.gamma = cases[c].gamma;
        o.weight[0] = cases[c].w0;
        o.weight[1] = cases[c].w1;
        o.eps = 0x1p-10;
        o.max_train = cases[c].max_train;
        o.seed = 5;
        lapse_svm_model m = LAPSE_SVM_MODEL_INIT;
        lapse_svm_train_info info;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_svm_train(&m, &info, x, y, N, D, &o, &err), LAPSE_OK);
        size_t used = cases[c].max_train ? cases[c].max_train : N;
        assert_int_equal(info.rows_used, used);
        assert_true(info.gamma == (cases[c].kernel == LAPSE_SVM_LINEAR ? 0.0
                                   : cases[c].gamma > 0 ? cases[c].gamma : 1.0 / D));
        assert_true(info.weight[0] == o.weight[0] && info.weight[1] == o.weight[1]);

        /* The same rows for svm-train: the subsample, in order. */
        size_t *rows = malloc(N * sizeof *rows), count;
        assert_int_equal(lapse_svm_subsample(rows, &count, y, N, o.max_train, o.seed, NULL), 0);
        assert_int_equal(count, used);
        FILE *f = fopen(data, "w");
        assert_non_null(f);
        for (size_t k = 0; k < count; k++) {
            fprintf(f, "%d", y[rows[k]]);
            for (size_t j = 0; j < D; j++)
                if (x[rows[k] * D + j] != 0.0)
                    fprintf(f, " %zu:%.17g", j + 1, x[rows[k] * D + j]);
            fputc('\n', f);
        }
        fclose(f);
        snprintf(cmd, sizeof cmd,
                 "svm-train -q -s 0 -t %d -c %.17g -g %.17g -w0 %.17g -w1 %.17g -e %.17g -m %g "
                 "-h %d %s %s",
                 o.kernel == LAPSE_SVM_LINEAR ? 0 : 2, o.C, info.gamma, info.weight[0],
                 info.weight[1], o.eps, o.cache_mb, o.shrinking, data, model);
        assert_int_equal(system(cmd), 0);
        struct svm_model *theirs = svm_load_model(model);
        assert_non_null(theirs);
        lapse_svm_model p = LAPSE_SVM_MODEL_INIT;
        assert_int_equal(lapse_svm_pack(&p, theirs, D, NULL, &err), LAPSE_OK);
        assert_null(p.sv_row); /* a loaded model does not know its rows */

        assert_int_equal(p.n_sv, m.n_sv);
        assert_int_equal(p.n_sv_churn, m.n_sv_churn);
        assert_true(fabs(p.rho - m.rho) <= 1e-9);
        for (size_t k = 0; k < m.n_sv; k++) {
            /* The same row: exact, as the values print exactly in %.8g. */
            assert_memory_equal(p.sv + k * D, x + m.sv_row[k] * D, D * sizeof(double));
            assert_memory_equal(m.sv + k * D, x + m.sv_row[k] * D, D * sizeof(double));
            assert_true(fabs(p.coef[k] - m.coef[k]) <= 1e-9);
        }
        print_message("case %zu: %zu rows, %zu support vectors, rho %.17g\n", c, used, m.n_sv,
                      m.rho);
        svm_free_and_destroy_model(&theirs);
        lapse_svm_model_free(&p);
        lapse_svm_model_free(&m);
        free(rows);
    }
    unlink(data);
    unlink(model);
    rmdir(dir);
    free(x);
    free(y);
}

static void grid_search(void **state)
{
    (void)state;
    enum { N = 400, D = 3 };
    double *x;
    int *y;
    td_make(&x, &y, N, D, 0.0, 0.0, 31);
    lapse_svm_options o = LAPSE_SVM_OPTIONS_INIT;
    o.seed = 3;
    lapse_svm_grid_options g = LAPSE_SVM_GRID_OPTIONS_INIT;
    g.max_rows = 300;
    lapse_svm_grid_result a, b;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_svm_grid_search(&a, x, y, N, D, &o, &g, &err), LAPSE_OK);
    assert_int_equal(a.rows_used, 300);
    assert_true(a.auc > 0.75 && a.auc <= 1.0);
    static const double Cs[] = { 0.25, 1, 4, 16 }, gs[] = { 0.25, 1, 4 };
    int in_grid = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            in_grid |= a.C == Cs[i] && fabs(a.gamma - gs[j] / D) < 1e-15;
    assert_true(in_grid);
    assert_int_equal(lapse_svm_grid_search(&b, x, y, N, D, &o, &g, &err), LAPSE_OK);
    assert_true(a.C == b.C && a.gamma == b.gamma && a.auc == b.auc);

    /* Labels a threshold of one feature, with a gap of 1 around it: a
     * linear SVM ranks every held-out row right. */
    for (size_t i = 0; i < N; i++) {
        y[i] = x[i * D] > 0.3;
        x[i * D] += y[i];
    }
    o.kernel = LAPSE_SVM_LINEAR;
    double one_C[] = { 4 };
    g.C = one_C;
    g.n_C = 1;
    assert_int_equal(lapse_svm_grid_search(&a, x, y, N, D, &o, &g, &err), LAPSE_OK);
    assert_true(a.auc == 1.0);
    assert_true(a.C == 4 && a.gamma == 0.0);

    g.folds = 1;
    assert_int_equal(lapse_svm_grid_search(&a, x, y, N, D, &o, &g, &err), LAPSE_ERR_ARG);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subsample_is_stratified),
        cmocka_unit_test(refusals),
        cmocka_unit_test(pack_sign_and_round_trip),
        cmocka_unit_test(equals_svm_train),
        cmocka_unit_test(grid_search),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
