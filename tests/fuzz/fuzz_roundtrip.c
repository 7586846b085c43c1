/* Fuzz target: train, save and load (lapse_train, lapse_model_encode,
 * lapse_model_decode) on a small feature table made from the input.
 *
 * Layout: byte 0 picks the feature columns (a bit each from a list of
 * registry features and one it does not know; none set means the first),
 * byte 1 the options (k, calibration folds, L2 penalty, seed), then each
 * row is one byte (label: 1, 0 or empty; snapshot: one of three) and a byte
 * per feature (a value from a small table of magnitudes, signs included).
 * Rows are capped so that every input stays cheap.
 *
 * Beyond not crashing or leaking: a refusal says why and gives no model; a
 * trained model encodes (so it validates), decodes, and re-encodes to the
 * same bytes, and its decision values are finite on the table's rows
 * whose log1p features are above -1. */
#include "lapse/error.h"
#include "lapse/model.h"
#include "lapse/schema.h"
#include "lapse/table.h"
#include "lapse/train.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 64
#define N_CANDIDATES 8

/* Registry features (counts with log1p, shares, money, the profile ones)
 * and a name the registry does not know. */
static const char *const candidates[N_CANDIDATES] = {
    "days_silent",  "events_total",           "share_core",        "share_social",
    "active_days_90", "share_coupon_purchases", "spend_per_purchase", "custom_score"
};

/* 2026-01-01, 2026-02-01, 2026-03-01 at midnight UTC. */
static const int64_t snapshots[3] = { INT64_C(1767225600), INT64_C(1769904000),
                                      INT64_C(1772323200) };

static double value_of(uint8_t b)
{
    static const double scale[8] = { 0, 1, 0.01, 10, 1000, 1e6, -1, -0.01 };
    return scale[b >> 5] * (double)(b & 31);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *names[N_CANDIDATES];
    size_t n_features = 0;
    for (int j = 0; j < N_CANDIDATES; j++)
        if (data[0] >> j & 1)
            names[n_features++] = candidates[j];
    if (n_features == 0)
        names[n_features++] = candidates[0];
    const uint8_t o = data[1];
    data += 2;
    size -= 2;
    size_t n_rows = size / (n_features + 1);
    if (n_rows > MAX_ROWS)
        n_rows = MAX_ROWS;

    char ids[MAX_ROWS][24];
    char *id_ptrs[MAX_ROWS];
    int64_t asof[MAX_ROWS];
    int8_t labels[MAX_ROWS];
    double x[MAX_ROWS * N_CANDIDATES];
    for (size_t i = 0; i < n_rows; i++) {
        const uint8_t *r = data + i * (n_features + 1);
        snprintf(ids[i], sizeof ids[i], "u%zu", i);
        id_ptrs[i] = ids[i];
        labels[i] = (int8_t)(r[0] % 3) - 1;
        asof[i] = snapshots[(r[0] / 3) % 3];
        for (size_t j = 0; j < n_features; j++)
            x[i * n_features + j] = value_of(r[1 + j]);
    }
    lapse_table table = {
        .meta = { .version = LAPSE_TABLE_FORMAT_VERSION,
                  .churn = LAPSE_CHURN_DEF_INIT,
                  .schema_hash = lapse_schema_hash(names, n_features) },
        .n_features = n_features,
        .feature_names = (char **)names,
        .n_rows = n_rows,
        .x = x,
        .user_ids = id_ptrs,
        .asof = asof,
        .labels = labels,
    };

    static const double l2[4] = { 0, 1e-3, 1, 100 };
    lapse_train_options opts = LAPSE_TRAIN_OPTIONS_INIT;
    opts.k = 1 + o % 3;
    opts.calib_folds = 2 + (o / 3) % 4;
    opts.l2 = l2[(o / 12) % 4];
    opts.seed = o / 48;
    opts.kmeans_restarts = 1;
    opts.silhouette_sample = 32;
    opts.version = "fuzz";

    lapse_model *model = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_train(&model, NULL, &table, &opts, &err);
    if (status != LAPSE_OK) {
        if (model || err.code != status || !err.message[0])
            abort();
        return 0;
    }
    if (!model)
        abort();

    double decision[MAX_ROWS];
    if (lapse_train_decision(decision, model, x, n_rows, 1, &err) != LAPSE_OK)
        abort();
    for (size_t i = 0; i < n_rows; i++) {
        /* A value outside the scaler's domain is garbage in. */
        size_t row, col;
        const int in_domain = lapse_scaler_check(&row, &col, &model->scaler, n_features,
                                                 x + i * n_features, 1) == LAPSE_OK;
        if (in_domain && !isfinite(decision[i]))
            abort();
    }

    unsigned char *first, *second;
    size_t first_size, second_size;
    if (lapse_model_encode(&first, &first_size, model, &err) != LAPSE_OK)
        abort();
    lapse_model_free(model);
    if (lapse_model_decode(&model, first, first_size, "fuzz.model", &err) != LAPSE_OK)
        abort();
    if (lapse_model_encode(&second, &second_size, model, &err) != LAPSE_OK)
        abort();
    if (first_size != second_size || memcmp(first, second, first_size) != 0)
        abort();
    free(first);
    free(second);
    lapse_model_free(model);
    return 0;
}
