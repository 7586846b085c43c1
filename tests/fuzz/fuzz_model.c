/* libFuzzer target for the model loader.
 *
 * Each input is decoded twice: as it is, which exercises the envelope
 * (magic, version, size, CRC-32), and with its size field and checksum
 * made right, so that mutations reach the section parser and the
 * validation behind the checksum. Whatever decodes must re-encode, and
 * decoding that encoding must give the same bytes again.
 *
 * Seeds in tests/fuzz/corpus/model/: the two models of tests/test_model.c
 * (`test_model --write-fixtures DIR`), the first 400 bytes of one, and a
 * small boosted-trees model (`test_gbdt --write-fixtures DIR`), whose
 * embedded XGBoost bytes the mutations reach as well. */
#include "lapse/model.h"

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
