/* BTYD models in the model file (lapse/model_btyd.h): the byte layout of
 * include/lapse/model.h written and read back exactly, and the refusals of
 * a malformed or inconsistent BTYD file with their place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/model.h"
#include "lapse/model_btyd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static lapse_model_btyd sample(int with_gamma)
{
    lapse_model_btyd b;
    memset(&b, 0, sizeof b);
    b.fit = (lapse_btyd_fit_result){ LAPSE_BTYD_BGNBD, { 0.243, 4.414, 0.793, 2.426 },
                                     { 0.0126, 0.378, 0.186, NAN }, -9582.43, 19, 1 };
    b.unit_days = 7;
    b.horizon_days = 30;
    b.customers = 2357;
    if (with_gamma) {
        b.has_gamma_gamma = 1;
        b.gamma_gamma = (lapse_gammagamma_fit_result){ { 6.25, 3.74, 15.44 }, { 1.19, 0.29, 4.16 },
                                                        -4055.9, 946, 0.1139, 40, 1 };
    }
    return b;
}

static void encode(const lapse_model_btyd *b, unsigned char **bytes, size_t *size)
{
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_btyd_create(&m, b, &err), LAPSE_OK);
    assert_int_equal(lapse_model_encode(bytes, size, m, &err), LAPSE_OK);
    lapse_model_free(m);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void fix_crc(unsigned char *bytes, size_t size)
{
    put_le32(bytes + size - 4, (uint32_t)crc32(0L, bytes, (uInt)(size - 4)));
}

static void assert_same_fit(const lapse_model_btyd *a, const lapse_model_btyd *b)
{
    assert_int_equal(a->fit.kind, b->fit.kind);
    for (int i = 0; i < 4; i++) {
        assert_true(a->fit.params[i] == b->fit.params[i]);
        assert_true(a->fit.se[i] == b->fit.se[i] || (isnan(a->fit.se[i]) && isnan(b->fit.se[i])));
    }
    assert_true(a->fit.log_likelihood == b->fit.log_likelihood);
    assert_int_equal(a->fit.iterations, b->fit.iterations);
    assert_int_equal(a->fit.converged, b->fit.converged);
    assert_int_equal(a->unit_days, b->unit_days);
    assert_int_equal(a->horizon_days, b->horizon_days);
    assert_int_equal(a->customers, b->customers);
    assert_int_equal(a->has_gamma_gamma, b->has_gamma_gamma);
    if (!a->has_gamma_gamma)
        return;
    for (int i = 0; i < 3; i++) {
        assert_true(a->gamma_gamma.params[i] == b->gamma_gamma.params[i]);
        assert_true(a->gamma_gamma.se[i] == b->gamma_gamma.se[i]);
    }
    assert_true(a->gamma_gamma.log_likelihood == b->gamma_gamma.log_likelihood);
    assert_true(a->gamma_gamma.corr_x_m == b->gamma_gamma.corr_x_m);
    assert_int_equal(a->gamma_gamma.n_used, b->gamma_gamma.n_used);
}

/* Header 20, BTYD 12 + 94, GGAM 12 + 77, CRC 4. */
static void round_trip(void **state)
{
    (void)state;
    for (int with_gamma = 0; with_gamma <= 1; with_gamma++) {
        const lapse_model_btyd b = sample(with_gamma);
        unsigned char *bytes;
        size_t size;
        encode(&b, &bytes, &size);
        assert_int_equal(size, 20 + 12 + 94 + (with_gamma ? 12 + 77 : 0) + 4);
        assert_int_equal(bytes[8], 3); /* BTYD sections came with format 3 */
        assert_memory_equal(bytes + 20, "BTYD", 4);
        lapse_model *m;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_model_decode(&m, bytes, size, "x.model", &err), LAPSE_OK);
        assert_non_null(m->btyd);
        assert_int_equal(m->n_features, 0);
        assert_same_fit(&b, m->btyd);
        /* The same model gives the same bytes. */
        unsigned char *again;
        size_t again_size;
        assert_int_equal(lapse_model_encode(&again, &again_size, m, &err), LAPSE_OK);
        assert_int_equal(again_size, size);
        assert_memory_equal(again, bytes, size);
        free(again);
        free(bytes);
        lapse_model_free(m);
    }
}

static int decode_status(unsigned char *bytes, size_t size, lapse_error *err)
{
    fix_crc(bytes, size);
    lapse_model *m = NULL;
    *err = (lapse_error)LAPSE_ERROR_INIT;
    const int status = lapse_model_decode(&m, bytes, size, "x.model", err);
    lapse_model_free(m);
    return status;
}

static void refusals(void **state)
{
    (void)state;
    const lapse_model_btyd b = sample(1);
    unsigned char *bytes;
    size_t size;
    encode(&b, &bytes, &size);
    lapse_error err;
    const size_t ggam = 20 + 12 + 94;

    /* A BTYD section in a format 2 file. */
    bytes[8] = 2;
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file of format 2 has a BTYD section, which needs 3");
    assert_int_equal(err.offset, 8);
    bytes[8] = 3;

    /* A second BTYD where GGAM was. */
    memcpy(bytes + ggam, "BTYD", 4);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has section \"BTYD\" twice");
    assert_int_equal(err.offset, (int64_t)ggam);
    memcpy(bytes + ggam, "META", 4);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message,
                        "a BTYD model file has a section other than BTYD and GGAM (0x4154454d)");
    memcpy(bytes + ggam, "GGAM", 4);

    /* A flag other than 0 or 1: BTYD's kind. */
    bytes[32] = 2;
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "section BTYD has 2 where 0 or 1 belongs");
    assert_int_equal(err.offset, 32);
    bytes[32] = 0;

    /* A unit of 5 days validates as nothing. */
    bytes[33] = 5;
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message,
                        "invalid model: the BTYD time unit is 5 days; it must be 1 or 7");
    bytes[33] = 7;

    /* GGAM's length one short: its last byte is left to the walk. */
    bytes[ggam + 4] = 76;
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "section GGAM ends in the middle of a value");
    bytes[ggam + 4] = 77;

    /* Unchanged, it still reads. */
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_OK);
    free(bytes);
}

static void validation(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *m = NULL;
    lapse_model_btyd b = sample(1);
    b.gamma_gamma.params[1] = 0.9;
    assert_int_equal(lapse_model_btyd_create(&m, &b, &err), LAPSE_ERR_ARG);
    assert_null(m);
    assert_string_equal(err.message,
                        "Gamma-Gamma's q is 0.9; at most 1, the mean spend is infinite");
    b = sample(0);
    b.fit.params[2] = -1;
    assert_int_equal(lapse_model_btyd_validate(&b, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "BTYD parameter 3 is -1; it must be finite and > 0");
    b = sample(0);
    b.customers = 0;
    assert_int_equal(lapse_model_btyd_validate(&b, &err), LAPSE_ERR_ARG);
    b = sample(0);
    b.fit.kind = (lapse_btyd_kind)7;
    assert_int_equal(lapse_model_btyd_validate(&b, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "unknown BTYD model kind 7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(refusals),
        cmocka_unit_test(validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
