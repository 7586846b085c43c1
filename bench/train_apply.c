/* Applies a model to the rows of one snapshot of a feature table, the way
 * lapse score will (scaler, classifier, calibration, segments), for the
 * train benchmarks while score is written elsewhere:
 *
 *   train-apply MODEL FEATURES ASOF > scored.csv
 *
 * writes user_id,asof,p_churn,label,segment for the rows at ASOF. */
#include "lapse/model.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"
#include "lapse/train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const lapse_error *err)
{
    char buf[1024];
    fprintf(stderr, "train-apply: %s\n", lapse_error_format(err, buf, sizeof buf));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: train-apply MODEL FEATURES ASOF\n");
        return 2;
    }
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *m = NULL;
    lapse_table *t = NULL;
    int64_t asof;
    if (lapse_date_parse(&asof, argv[3], strlen(argv[3])) != 0) {
        fprintf(stderr, "train-apply: bad date %s\n", argv[3]);
        return 2;
    }
    const char *paths[1] = { argv[2] };
    if (lapse_model_load(&m, argv[1], &err) || lapse_table_read(&t, paths, 1, &err) ||
        lapse_model_check_features(m, (const char *const *)t->feature_names, t->n_features, &err))
        return fail(&err);
    const size_t d = t->n_features;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        n += t->asof[i] == asof;
    double *raw = malloc((n ? n : 1) * d * sizeof *raw), *f = malloc((n ? n : 1) * sizeof *f);
    size_t *rows = malloc((n ? n : 1) * sizeof *rows), *seg = malloc((n ? n : 1) * sizeof *seg);
    if (!raw || !f || !rows || !seg)
        return 3;
    for (size_t i = 0, k = 0; i < t->n_rows; i++)
        if (t->asof[i] == asof) {
            rows[k] = i;
            memcpy(raw + k++ * d, t->x + i * d, d * sizeof *raw);
        }
    if (lapse_train_decision(f, m, raw, n, 2, &err))
        return fail(&err);
    lapse_model_segment_rows(m, raw, n, seg);
    printf("user_id,asof,p_churn,label,segment\n");
    for (size_t k = 0; k < n; k++) {
        const int8_t label = t->labels[rows[k]];
        printf("%s,%s,%.17g,%s,%s\n", t->user_ids[rows[k]], argv[3],
               lapse_model_calibrate(m, f[k]), label < 0 ? "" : label ? "1" : "0",
               m->segments.names[seg[k]]);
    }
    free(raw);
    free(f);
    free(rows);
    free(seg);
    lapse_table_free(t);
    lapse_model_free(m);
    return 0;
}
