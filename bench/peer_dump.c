/* What the peer benchmarks need from a lapse model, so that scikit-learn and
 * svm-train see lapse's rows exactly (bench/sklearn_compare.sh):
 *
 *   peer-dump MODEL FEATURES MAX_TRAIN SEED OUTDIR
 *
 * OUTDIR/scaler.csv       name,transform,mean,scale per feature (the model's
 *                         scaler; transform is log1p or none)
 * OUTDIR/subsample.txt    the training rows lapse's SVM trains on with
 *                         --max-train MAX_TRAIN --seed SEED: positions among
 *                         the training rows (labelled rows before the latest
 *                         labelled snapshot, in file order), one a line, from
 *                         lapse_svm_subsample, as lapse_svm_train draws them */
#include "lapse/model.h"
#include "lapse/svm.h"
#include "lapse/table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const lapse_error *err)
{
    char buf[1024];
    fprintf(stderr, "peer-dump: %s\n", lapse_error_format(err, buf, sizeof buf));
    return 1;
}

static FILE *open_out(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        perror(path);
    return f;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: peer-dump MODEL FEATURES MAX_TRAIN SEED OUTDIR\n");
        return 2;
    }
    char *end;
    const unsigned long long max = strtoull(argv[3], &end, 10);
    if (*end || end == argv[3])
        return 2;
    const unsigned long long seed = strtoull(argv[4], &end, 10);
    if (*end || end == argv[4])
        return 2;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *m = NULL;
    lapse_table *t = NULL;
    const char *paths[1] = { argv[2] };
    if (lapse_model_load(&m, argv[1], &err) || lapse_table_read(&t, paths, 1, &err) ||
        lapse_model_check_features(m, (const char *const *)t->feature_names, t->n_features, &err))
        return fail(&err);

    FILE *f = open_out(argv[5], "scaler.csv");
    if (!f)
        return 3;
    fprintf(f, "name,transform,mean,scale\n");
    for (size_t j = 0; j < m->n_features; j++)
        fprintf(f, "%s,%s,%.17g,%.17g\n", m->feature_names[j],
                m->scaler.transform[j] == LAPSE_TRANSFORM_LOG1P ? "log1p" : "none",
                m->scaler.mean[j], m->scaler.scale[j]);
    if (fclose(f))
        return 3;
    if (m->classifier.kind == LAPSE_CLASSIFIER_LOGISTIC) {
        if (!(f = open_out(argv[5], "weights.csv")))
            return 3;
        fprintf(f, "name,weight\n");
        for (size_t j = 0; j < m->n_features; j++)
            fprintf(f, "%s,%.17g\n", m->feature_names[j], m->classifier.weights[j]);
        fprintf(f, "(bias),%.17g\n", m->classifier.bias);
        if (fclose(f))
            return 3;
    }

    /* Training rows as train splits them: labelled, before the latest labelled asof. */
    int64_t valid = 0;
    int have = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->labels[i] >= 0 && (!have || t->asof[i] > valid)) {
            valid = t->asof[i];
            have = 1;
        }
    int *y = malloc((t->n_rows ? t->n_rows : 1) * sizeof *y);
    size_t *idx = malloc((t->n_rows ? t->n_rows : 1) * sizeof *idx);
    if (!y || !idx)
        return 3;
    size_t n = 0, count = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (t->labels[i] >= 0 && t->asof[i] != valid)
            y[n++] = t->labels[i] > 0;
    if (lapse_svm_subsample(idx, &count, y, n, (size_t)max, (uint64_t)seed, &err))
        return fail(&err);
    if (!(f = open_out(argv[5], "subsample.txt")))
        return 3;
    for (size_t k = 0; k < count; k++)
        fprintf(f, "%zu\n", idx[k]);
    if (fclose(f))
        return 3;
    fprintf(stderr, "peer-dump: %zu training rows, %zu in the subsample\n", n, count);
    free(y);
    free(idx);
    lapse_table_free(t);
    lapse_model_free(m);
    return 0;
}
