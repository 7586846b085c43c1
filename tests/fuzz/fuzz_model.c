/* libFuzzer target for the model loader.
 *
 * Each input is decoded twice: as it is, which exercises the envelope
 * (magic, version, size, CRC-32), and with its size field and checksum
 * made right, so that mutations reach the section parser and the
 * validation behind the checksum. Whatever decodes must re-encode, and
 * decoding that encoding must give the same bytes again.
 *
 * A decoded boosted-trees model is also walked: lapse's evaluator and
 * TreeSHAP on rows of zeros, of NaN (missing) and of each split's own
 * threshold, whose contributions must sum to the margin; a forest the
 * loader let through must never be walked out of bounds (ASan) or forever.
 *
 * Seeds in tests/fuzz/corpus/model/: the two models of tests/test_model.c
 * (`test_model --write-fixtures DIR`), the first 400 bytes of one, a small
 * boosted-trees model in format 4 (`test_gbdt --write-fixtures DIR`: flat
 * trees, then XGBoost's bytes), the same kind in format 3 (gbdt3.model:
 * XGBoost's JSON only, converted on load), whose JSON the mutations reach
 * as well, hazard_trees.model (format 5: trees over horizons, which split on
 * one feature more, the band; `lapse train --model gbdt --trees 3 --depth 2
 * --horizons 7,14,30 --k 1` on an 800-user simulator table), and the first
 * two findings' shapes, refused since:
 * gbdt_cover.model (a leaf's cover 1e59 times its parent's) and
 * gbdt_leaf.model (a leaf of 7e223, past float32). */
#include "lapse/model.h"
#include "lapse/trees.h"

#include <math.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void store_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void walk_trees(const lapse_model *m)
{
    const lapse_trees *t = &m->classifier.forest;
    const size_t d = lapse_model_tree_features(m), n = 2 + (t->n_nodes < 64 ? t->n_nodes : 64);
    lapse_forest *f = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_forest_compile(&f, t, d, &err) != LAPSE_OK)
        abort(); /* the loader checked these trees */
    double *x = calloc(n * d, sizeof *x), *margin = malloc(n * sizeof *margin);
    double *fast = malloc(n * sizeof *fast), *contrib = malloc(n * (d + 1) * sizeof *contrib);
    void *scratch = malloc(lapse_forest_scratch(f));
    if (!x || !margin || !fast || !contrib || !scratch)
        abort();
    for (size_t j = 0; j < d; j++)
        x[d + j] = NAN;
    for (size_t r = 2; r < n; r++)
        if (t->nodes[r - 2].left)
            x[r * d + t->nodes[r - 2].feature] = t->nodes[r - 2].value;
    lapse_forest_margin(f, margin, x, n, 0, scratch);
    lapse_forest_margin(f, fast, x, n, 1, scratch);
    lapse_forest_contribs(f, contrib, x, n, scratch);
    for (size_t r = 0; r < n; r++) {
        if (lapse_forest_has_fast(f) && fast[r] != margin[r])
            abort();
        double sum = 0, scale = 1 + fabs(t->base_margin);
        for (size_t j = 0; j <= d; j++) {
            sum += contrib[r * (d + 1) + j];
            scale += fabs(contrib[r * (d + 1) + j]);
        }
        for (size_t i = 0; i < t->n_nodes; i++)
            scale += fabs(t->nodes[i].value);
        /* Sums in float32 against exact ones: a relative tolerance; large
         * leaves may overflow the float32 margin, which scoring refuses. */
        if (isfinite(sum) && isfinite(margin[r]) && !(fabs(sum - margin[r]) <= 1e-4 * scale))
            abort();
    }
    free(x);
    free(margin);
    free(fast);
    free(contrib);
    free(scratch);
    lapse_forest_free(f);
}

static void decode_and_check(const unsigned char *data, size_t size)
{
    lapse_model *model;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_model_decode(&model, data, size, "fuzz.model", &err) != LAPSE_OK) {
        /* A refusal always says why. */
        if (model || err.code >= 0 || !err.message[0])
            abort();
        return;
    }
    if (!model->btyd && model->classifier.kind == LAPSE_CLASSIFIER_GBDT)
        walk_trees(model);
    unsigned char *first, *second;
    size_t first_size, second_size;
    if (lapse_model_encode(&first, &first_size, model, &err) != LAPSE_OK)
        abort();
    lapse_model_free(model);
    if (lapse_model_decode(&model, first, first_size, NULL, &err) != LAPSE_OK)
        abort();
    if (lapse_model_encode(&second, &second_size, model, &err) != LAPSE_OK)
        abort();
    if (first_size != second_size || memcmp(first, second, first_size) != 0)
        abort();
    free(first);
    free(second);
    lapse_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_and_check(data, size);
    if (size < 24 || size > UINT32_MAX)
        return 0;
    unsigned char *fixed = malloc(size);
    if (!fixed)
        return 0;
    memcpy(fixed, data, size);
    store_le(fixed + 12, size, 8);
    store_le(fixed + size - 4, crc32(0L, fixed, (uInt)(size - 4)), 4);
    decode_and_check(fixed, size);
    free(fixed);
    return 0;
}
