/* The model file: round trips, byte-identical re-saves, and a named error,
 * never a crash, for every truncation, bit flip and malformed section.
 *
 * `test_model --write-fixtures DIR` writes the two models built here as
 * DIR/logistic.model and DIR/svm.model (for the CLI test and fuzz seeds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/model.h"
#include "lapse/model_btyd.h"
#include "lapse/schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

static char *copy_text(const char *s)
{
    char *copy = strdup(s);
    assert_non_null(copy);
    return copy;
}

static const char *const feature_names[] = { "days_since_active", "sessions_7d", "spend_30d",
                                             "coupon_share", "social_share" };
enum { N_FEATURES = 5 };

/* The parts both test models share: features, scaler, segments, tiers and
 * training metadata. */
static lapse_model *build_common(lapse_classifier_kind classifier, size_t n_sv,
                                 lapse_calibration_kind calibration, size_t n_breakpoints)
{
    lapse_model_shape shape = { N_FEATURES, 3, 2, classifier, n_sv, calibration, n_breakpoints, 4 };
    lapse_model *m;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_create(&m, &shape, &err), LAPSE_OK);
    m->meta.churn.horizon_days = 14;
    m->meta.schema_hash = lapse_schema_hash(feature_names, N_FEATURES);
    for (size_t i = 0; i < N_FEATURES; i++) {
        m->feature_names[i] = copy_text(feature_names[i]);
        m->scaler.transform[i] = i == 1 || i == 2 ? LAPSE_TRANSFORM_LOG1P : LAPSE_TRANSFORM_NONE;
        m->scaler.mean[i] = 0.5 * (double)i - 1.0 / 3.0;
        m->scaler.scale[i] = 1.25 + (double)i;
    }
    lapse_model_segments *s = &m->segments;
    s->profile[0] = 3;
    s->profile[1] = 4;
    s->mean[0] = 0.2;
    s->mean[1] = 0.3;
    s->scale[0] = 0.1;
    s->scale[1] = 0.15;
    static const double centroids[6] = { 2.0, -1.0, -1.0, -1.0, -0.5, 2.0 };
    for (size_t i = 0; i < 6; i++) {
        s->centroids[i] = centroids[i];
        s->centroids_original[i] = s->mean[i % 2] + s->scale[i % 2] * centroids[i];
    }
    static const char *const segment_names[3] = { "price-sensitive", "feature-dependent",
                                                  "social-driven" };
    for (size_t c = 0; c < 3; c++) {
        s->sizes[c] = 1000 + 10 * c;
        s->names[c] = copy_text(segment_names[c]);
    }
    s->silhouette = 0.41;
    static const char *const tier_names[4] = { "low", "medium", "high", "critical" };
    static const double thresholds[3] = { 0.2, 0.4, 0.7 }, shares[3] = { 0.5, 0.8, 0.95 };
    for (size_t i = 0; i < 4; i++) {
        m->tiers.names[i] = copy_text(tier_names[i]);
        if (i < 3) {
            m->tiers.thresholds[i] = thresholds[i];
            m->tiers.cuts[i] = shares[i];
        }
    }
    m->tiers.kind = LAPSE_TIERS_PERCENTILE;
    lapse_model_training *t = &m->training;
    t->first_asof = 1767225600; /* 2026-01-01 */
    t->last_asof = 1772323200;  /* 2026-03-01 */
    t->train_rows = 150000;
    t->valid_rows = 40000;
    t->seed = 42;
    t->lapse_version = copy_text("0.1.0");
    t->auc = 0.87;
    t->pr_auc = 0.61;
    t->log_loss = 0.33;
    t->brier = 0.1;
    t->ece = 0.012;
    t->auc_se = 0.011;
    return m;
}

static lapse_model *build_logistic(void)
{
    lapse_model *m = build_common(LAPSE_CLASSIFIER_LOGISTIC, 0, LAPSE_CALIBRATION_PLATT, 0);
    static const double weights[N_FEATURES] = { 1.5, -0.75, -0.2, 0.05, -2.25 };
    memcpy(m->classifier.weights, weights, sizeof weights);
    m->classifier.bias = -0.125;
    m->calibration.a = -1.5;
    m->calibration.b = 0.25;
    m->training.options = copy_text("logistic l2=1");
    return m;
}

static lapse_model *build_svm(void)
{
    lapse_model *m = build_common(LAPSE_CLASSIFIER_SVM, 3, LAPSE_CALIBRATION_ISOTONIC, 4);
    lapse_model_classifier *c = &m->classifier;
    c->kernel = LAPSE_KERNEL_RBF;
    c->gamma = 0.05;
    c->rho = -0.3;
    for (size_t i = 0; i < 3 * N_FEATURES; i++)
        c->sv[i] = (double)i / 7 - 1;
    c->coef[0] = 2;
    c->coef[1] = -1.5;
    c->coef[2] = -0.5;
    static const double x[4] = { -2, -1, 0, 1.5 }, y[4] = { 0.05, 0.1, 0.3, 0.9 };
    memcpy(m->calibration.x, x, sizeof x);
    memcpy(m->calibration.y, y, sizeof y);
    m->training.options = copy_text("svm rbf C=2 gamma=0.05 max_train=20000");
    /* Held-out users, refitted, tiers at probabilities. */
    m->training.validation = LAPSE_VALIDATION_USERS;
    m->training.holdout = 0.2;
    m->training.refit = 1;
    m->tiers.kind = LAPSE_TIERS_PROBABILITY;
    return m;
}

static void encode(const lapse_model *m, unsigned char **bytes, size_t *size)
{
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_encode(bytes, size, m, &err), LAPSE_OK);
}

static void assert_same_doubles(const double *a, const double *b, size_t n)
{
    assert_true((a == NULL) == (b == NULL));
    if (n)
        assert_memory_equal(a, b, n * sizeof *a); /* bitwise, so NaN equals NaN */
}

static void assert_same_strings(char *const *a, char *const *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_string_equal(a[i], b[i]);
}

static void assert_same_model(const lapse_model *a, const lapse_model *b)
{
    assert_int_equal(a->meta.version, b->meta.version);
    assert_true(lapse_churn_equal(&a->meta.churn, &b->meta.churn));
    assert_true(a->meta.schema_hash == b->meta.schema_hash);
    assert_int_equal(a->n_features, b->n_features);
    assert_same_strings(a->feature_names, b->feature_names, a->n_features);
    assert_memory_equal(a->scaler.transform, b->scaler.transform, a->n_features);
    assert_same_doubles(a->scaler.mean, b->scaler.mean, a->n_features);
    assert_same_doubles(a->scaler.scale, b->scaler.scale, a->n_features);
    const lapse_model_segments *s = &a->segments, *t = &b->segments;
    assert_int_equal(s->k, t->k);
    assert_int_equal(s->n_profile, t->n_profile);
    assert_memory_equal(s->profile, t->profile, s->n_profile * sizeof *s->profile);
    assert_memory_equal(s->transform, t->transform, s->n_profile);
    assert_same_doubles(s->mean, t->mean, s->n_profile);
    assert_same_doubles(s->scale, t->scale, s->n_profile);
    assert_same_doubles(s->centroids, t->centroids, s->k * s->n_profile);
    assert_same_doubles(s->centroids_original, t->centroids_original, s->k * s->n_profile);
    assert_memory_equal(s->sizes, t->sizes, s->k * sizeof *s->sizes);
    assert_same_strings(s->names, t->names, s->k);
    assert_same_doubles(&s->silhouette, &t->silhouette, 1);
    const lapse_model_classifier *c = &a->classifier, *d = &b->classifier;
    assert_int_equal(c->kind, d->kind);
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        assert_same_doubles(c->weights, d->weights, a->n_features);
        assert_same_doubles(&c->bias, &d->bias, 1);
    } else {
        assert_int_equal(c->kernel, d->kernel);
        assert_same_doubles(&c->gamma, &d->gamma, 1);
        assert_same_doubles(&c->rho, &d->rho, 1);
        assert_int_equal(c->n_sv, d->n_sv);
        assert_same_doubles(c->sv, d->sv, c->n_sv * a->n_features);
        assert_same_doubles(c->coef, d->coef, c->n_sv);
    }
    const lapse_model_calibration *p = &a->calibration, *q = &b->calibration;
    assert_int_equal(p->kind, q->kind);
    if (p->kind == LAPSE_CALIBRATION_PLATT) {
        assert_same_doubles(&p->a, &q->a, 1);
        assert_same_doubles(&p->b, &q->b, 1);
    } else {
        assert_int_equal(p->n, q->n);
        assert_same_doubles(p->x, q->x, p->n);
        assert_same_doubles(p->y, q->y, p->n);
    }
    assert_int_equal(a->tiers.n_tiers, b->tiers.n_tiers);
    assert_same_doubles(a->tiers.thresholds, b->tiers.thresholds, a->tiers.n_tiers - 1);
    assert_same_strings(a->tiers.names, b->tiers.names, a->tiers.n_tiers);
    const lapse_model_training *u = &a->training, *v = &b->training;
    assert_true(u->first_asof == v->first_asof && u->last_asof == v->last_asof);
    assert_true(u->train_rows == v->train_rows && u->valid_rows == v->valid_rows);
    assert_true(u->seed == v->seed);
    assert_string_equal(u->options, v->options);
    assert_string_equal(u->lapse_version, v->lapse_version);
    const double fu[7] = { u->auc, u->pr_auc, u->log_loss, u->brier, u->ece, u->auc_se, u->holdout };
    const double fv[7] = { v->auc, v->pr_auc, v->log_loss, v->brier, v->ece, v->auc_se, v->holdout };
    assert_same_doubles(fu, fv, 7);
    assert_int_equal(u->validation, v->validation);
    assert_int_equal(u->refit, v->refit);
    assert_int_equal(a->tiers.kind, b->tiers.kind);
    if (a->tiers.kind == LAPSE_TIERS_PERCENTILE)
        assert_same_doubles(a->tiers.cuts, b->tiers.cuts, a->tiers.n_tiers - 1);
    assert_int_equal(a->stack != NULL, b->stack != NULL);
    if (a->stack) {
        const lapse_model_stack *x = a->stack, *y = b->stack;
        assert_int_equal(x->btyd.fit.kind, y->btyd.fit.kind);
        assert_same_doubles(x->btyd.fit.params, y->btyd.fit.params, 4);
        assert_same_doubles(x->btyd.fit.se, y->btyd.fit.se, 4);
        assert_true(x->btyd.unit_days == y->btyd.unit_days &&
                    x->btyd.horizon_days == y->btyd.horizon_days &&
                    x->btyd.customers == y->btyd.customers);
        const double fx[4] = { x->btyd.fit.log_likelihood, x->fill, x->auc_without,
                               x->auc_se_without };
        const double fy[4] = { y->btyd.fit.log_likelihood, y->fill, y->auc_without,
                               y->auc_se_without };
        assert_same_doubles(fx, fy, 4);
    }
}

/* encode -> decode -> equal -> encode again gives the same bytes; and the
 * same through a file. */
static void check_round_trip(lapse_model *m, const char *path)
{
    unsigned char *bytes, *again;
    size_t size, size_again;
    encode(m, &bytes, &size);
    lapse_model *back;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "mem", &err), LAPSE_OK);
    assert_same_model(m, back);
    encode(back, &again, &size_again);
    assert_int_equal(size, size_again);
    assert_memory_equal(bytes, again, size);
    lapse_model_free(back);
    free(again);

    assert_int_equal(lapse_model_save(m, path, &err), LAPSE_OK);
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    unsigned char *on_disk = malloc(size + 1);
    assert_int_equal(fread(on_disk, 1, size + 1, file), size);
    fclose(file);
    assert_memory_equal(on_disk, bytes, size);
    free(on_disk);
    assert_int_equal(lapse_model_load(&back, path, &err), LAPSE_OK);
    assert_same_model(m, back);
    lapse_model_free(back);
    free(bytes);
}

static void round_trip_logistic_platt(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    check_round_trip(m, "model_logistic.model");
    lapse_model_free(m);
}

static void round_trip_svm_isotonic(void **state)
{
    (void)state;
    lapse_model *m = build_svm();
    m->training.auc = NAN; /* not measured survives the trip */
    check_round_trip(m, "model_svm.model");
    lapse_model_free(m);
}

/* A classifier stacked on a BTYD model (lapse train --with-btyd): the STCK
 * section round-trips, makes the file format 4, and the hash is that of the
 * table's features, without btyd_p_no_purchase. */
static void round_trip_stacked(void **state)
{
    (void)state;
    static const char *const names[N_FEATURES] = { "purchases_total", "repeat_purchases",
                                                   "t_last_purchase_days", "age_purchase_days",
                                                   LAPSE_BTYD_FEATURE };
    lapse_model *m = build_logistic();
    for (size_t i = 0; i < N_FEATURES; i++) {
        free(m->feature_names[i]);
        m->feature_names[i] = copy_text(names[i]);
    }
    m->meta.schema_hash = lapse_schema_hash(names, N_FEATURES);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_OK); /* no stack: a plain feature */
    m->stack = calloc(1, sizeof *m->stack);
    assert_non_null(m->stack);
    lapse_model_btyd *b = &m->stack->btyd;
    b->fit = (lapse_btyd_fit_result){ LAPSE_BTYD_PARETO, { 0.5, 10, 0.7, 3 },
                                      { 0.1, NAN, 0.2, 0.3 }, -100.5, 42, 1 };
    b->unit_days = 7;
    b->horizon_days = (uint32_t)m->meta.churn.horizon_days;
    b->customers = 123;
    m->stack->fill = 0.4;
    m->stack->auc_without = 0.81;
    m->stack->auc_se_without = NAN;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG); /* the hash of all five */
    m->meta.schema_hash = lapse_schema_hash(names, N_FEATURES - 1);
    check_round_trip(m, "model_stacked.model");
    unsigned char *bytes;
    size_t size;
    encode(m, &bytes, &size);
    assert_int_equal(bytes[8], 4);
    free(bytes);
    assert_int_equal(lapse_model_input_features(m), N_FEATURES - 1);
    m->stack->btyd.horizon_days++;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    lapse_model_free(m);
}

/* A model without segments: one segment "none", no profile feature. */
static void round_trip_without_segments(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    lapse_model_segments *s = &m->segments;
    for (size_t c = 0; c < s->k; c++)
        free(s->names[c]);
    s->k = 1;
    s->n_profile = 0;
    s->names[0] = copy_text(LAPSE_MODEL_NO_SEGMENT);
    s->sizes[0] = 3030;
    s->silhouette = NAN;
    check_round_trip(m, "model_nosegments.model");
    size_t seg[2] = { 7, 7 };
    const double raw[2 * N_FEATURES] = { 0 };
    lapse_model_segment_rows(m, raw, 2, seg);
    assert_true(seg[0] == 0 && seg[1] == 0);
    /* Another name, or more than one segment, without profile features. */
    lapse_error err;
    s->names[0][0] = 'N';
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "one segment, \"none\""));
    lapse_model_free(m);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

static void fix_crc(unsigned char *bytes, size_t size)
{
    put_le32(bytes + size - 4, (uint32_t)crc32(0L, bytes, (uInt)(size - 4)));
}

/* The offset of the section header with this tag. */
static size_t find_section(const unsigned char *bytes, size_t size, const char *tag)
{
    size_t pos = 20;
    while (pos + 12 <= size - 4) {
        if (memcmp(bytes + pos, tag, 4) == 0)
            return pos;
        pos += 12 + (size_t)le64(bytes + pos + 4);
    }
    fail_msg("no section %s", tag);
    return 0;
}

/* Cuts the section with this tag out of a model file in place, fixing the
 * size and the CRC; returns the new size. */
static size_t drop_section(unsigned char *bytes, size_t size, const char *tag)
{
    const size_t at = find_section(bytes, size, tag);
    const size_t len = 12 + (size_t)le64(bytes + at + 4);
    memmove(bytes + at, bytes + at + len, size - at - len);
    size -= len;
    put_le64(bytes + 12, size);
    fix_crc(bytes, size);
    return size;
}

/* The layout in model.h, checked byte by byte where it is fixed. */
static void layout_is_documented(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *bytes;
    size_t size;
    encode(m, &bytes, &size);
    assert_memory_equal(bytes, "\x89LPSMDL\n", 8);
    assert_int_equal(le32(bytes + 8), 3); /* format 4 only for horizons or trees */
    assert_true(le64(bytes + 12) == size);
    assert_memory_equal(bytes + 20, "META", 4);
    assert_true(le64(bytes + 24) == 4 * 4 + 1 + 8);
    const unsigned char *meta = bytes + 32;
    assert_int_equal(le32(meta), 1);                     /* table format */
    assert_int_equal(le32(meta + 4), 1u << LAPSE_CAT_ACTIVITY);
    assert_int_equal(le32(meta + 8), 30);                /* silent days */
    assert_int_equal(le32(meta + 12), 14);               /* horizon */
    assert_int_equal(meta[16], 0);                       /* silence */
    assert_true(le64(meta + 17) == m->meta.schema_hash);
    assert_memory_equal(bytes + 32 + 25, "FEAT", 4);
    const unsigned char *feat = bytes + 32 + 25 + 12;
    assert_int_equal(le32(feat), N_FEATURES);
    assert_int_equal(le32(feat + 4), strlen("days_since_active"));
    assert_memory_equal(feat + 8, "days_since_active", 17);
    /* Platt A = -1.5 is 0xbff8000000000000 in IEEE-754. */
    const size_t calb = find_section(bytes, size, "CALB");
    assert_int_equal(bytes[calb + 12], LAPSE_CALIBRATION_PLATT);
    assert_true(le64(bytes + calb + 13) == 0xbff8000000000000ull);
    /* VALD: last snapshot, no share (NaN), no refit, no SE, percentile tiers. */
    const size_t vald = find_section(bytes, size, "VALD");
    assert_true(le64(bytes + vald + 4) == 1 + 8 + 1 + 8 + 1 + 3 * 8);
    assert_int_equal(bytes[vald + 12], LAPSE_VALIDATION_LAST_SNAPSHOT);
    assert_true(le64(bytes + vald + 13) == 0x7ff8000000000000ull);
    assert_int_equal(bytes[vald + 21], 0);
    assert_int_equal(bytes[vald + 30], LAPSE_TIERS_PERCENTILE);
    assert_true(le64(bytes + vald + 31) == 0x3fe0000000000000ull); /* 0.5 */
    assert_true(le32(bytes + size - 4) == (uint32_t)crc32(0L, bytes, (uInt)(size - 4)));
    free(bytes);
    lapse_model_free(m);
}

static int decode_status(const unsigned char *bytes, size_t size, lapse_error *err)
{
    lapse_model *m = (lapse_model *)1;
    lapse_error_clear(err);
    const int status = lapse_model_decode(&m, bytes, size, "m.model", err);
    if (status == LAPSE_OK)
        lapse_model_free(m);
    else
        assert_null(m);
    return status;
}

static void truncation_is_named(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *bytes;
    size_t size;
    encode(m, &bytes, &size);
    lapse_error err;
    assert_int_equal(decode_status(bytes, 0, &err), LAPSE_ERR_FORMAT);
    for (size_t cut = 1; cut < size; cut++) {
        /* A copy of exactly cut bytes, so ASan sees any read past the end. */
        unsigned char *part = malloc(cut);
        memcpy(part, bytes, cut);
        assert_int_equal(decode_status(part, cut, &err), LAPSE_ERR_TRUNCATED);
        assert_int_equal(err.offset, (int64_t)cut);
        free(part);
    }
    char text[1024];
    decode_status(bytes, 100, &err);
    assert_string_equal(lapse_error_format(&err, text, sizeof text),
                        "model file truncated: it ends at byte 100 but its header declares "
                        "850 bytes (in m.model, byte 100)");
    /* Worked out by hand from the layout: 795 bytes before VALD (12 + 43). */
    assert_int_equal(size, 850);
    free(bytes);
    lapse_model_free(m);

    /* Each eighth of the larger model, through a file. */
    m = build_svm();
    assert_int_equal(lapse_model_save(m, "model_full.model", &err), LAPSE_OK);
    encode(m, &bytes, &size);
    for (int eighth = 1; eighth < 8; eighth++) {
        const size_t cut = size * (size_t)eighth / 8;
        FILE *file = fopen("model_cut.model", "wb");
        fwrite(bytes, 1, cut, file);
        fclose(file);
        lapse_model *back = (lapse_model *)1;
        assert_int_equal(lapse_model_load(&back, "model_cut.model", &err), LAPSE_ERR_TRUNCATED);
        assert_null(back);
        assert_string_equal(err.path, "model_cut.model");
        assert_int_equal(err.offset, (int64_t)cut);
    }
    free(bytes);
    lapse_model_free(m);
}

static void every_bit_flip_is_caught(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *bytes;
    size_t size;
    encode(m, &bytes, &size);
    lapse_error err;
    for (size_t at = 0; at < size; at++) {
        for (int bit = 0; bit < 8; bit++) {
            bytes[at] ^= (unsigned char)(1u << bit);
            const int status = decode_status(bytes, size, &err);
            bytes[at] ^= (unsigned char)(1u << bit);
            if (at < 8)
                assert_int_equal(status, LAPSE_ERR_FORMAT); /* the magic */
            else if (at < 12) /* a newer version, none, or an older one whose CRC fails */
                assert_true(status == LAPSE_ERR_VERSION || status == LAPSE_ERR_FORMAT ||
                            status == LAPSE_ERR_CHECKSUM);
            else if (at < 20)
                assert_true(status == LAPSE_ERR_TRUNCATED || status == LAPSE_ERR_FORMAT);
            else
                assert_int_equal(status, LAPSE_ERR_CHECKSUM);
        }
    }
    bytes[300] ^= 4;
    char text[1024];
    decode_status(bytes, size, &err);
    assert_non_null(strstr(lapse_error_format(&err, text, sizeof text),
                           "model file corrupted: CRC-32 is "));
    assert_int_equal(err.offset, (int64_t)size - 4);
    free(bytes);
    lapse_model_free(m);
}

static void newer_version_and_wrong_magic(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *bytes;
    size_t size;
    encode(m, &bytes, &size);
    lapse_error err;
    put_le32(bytes + 8, LAPSE_MODEL_FORMAT_VERSION + 1);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_VERSION);
    assert_string_equal(err.message,
                        "model written by format 6; this build reads up to 5: use a newer lapse");
    put_le32(bytes + 8, LAPSE_MODEL_FORMAT_VERSION); /* a logistic model reads as format 5 too */
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_OK);
    put_le32(bytes + 8, 3);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_OK);

    static const char csv[] = "user_id,asof,days_since_active\n";
    assert_int_equal(decode_status((const unsigned char *)csv, sizeof csv - 1, &err),
                     LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "not a lapse model (it does not start with the model magic)");
    static const unsigned char gzip[] = { 0x1f, 0x8b, 0x08, 0x00 };
    assert_int_equal(decode_status(gzip, sizeof gzip, &err), LAPSE_ERR_FORMAT);

    /* Trailing bytes after the declared size. */
    unsigned char *longer = malloc(size + 3);
    memcpy(longer, bytes, size);
    memset(longer + size, 0, 3);
    assert_int_equal(decode_status(longer, size + 3, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "3 bytes of unexpected data after the end of the model");
    free(longer);
    free(bytes);
    lapse_model_free(m);
}

/* Format 3 has LABL exactly when labels came from a file; format 2 (no
 * VALD) requires LABL and format 1 has none; both older ones still load,
 * with what VALD would have said of them. */
static void older_formats_load(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *plain, *labelled;
    size_t size_plain, size_labelled;
    encode(m, &plain, &size_plain);
    assert_int_equal(plain[8], 3);
    assert_int_equal(find_section(plain, size_plain, "VALD") > 0, 1);
    memset(m->meta.labels_sha256, 'a', 64);
    check_round_trip(m, "model_labels.model");
    encode(m, &labelled, &size_labelled);
    assert_int_equal(labelled[8], 3);
    find_section(labelled, size_labelled, "LABL");
    lapse_error err;
    /* Format 1: the plain model without VALD. */
    size_plain = drop_section(plain, size_plain, "VALD");
    put_le32(plain + 8, 1);
    fix_crc(plain, size_plain);
    lapse_model *old = NULL;
    assert_int_equal(lapse_model_decode(&old, plain, size_plain, NULL, &err), LAPSE_OK);
    assert_int_equal(old->training.validation, LAPSE_VALIDATION_LAST_SNAPSHOT);
    assert_int_equal(old->training.refit, 0);
    assert_true(isnan(old->training.auc_se) && isnan(old->training.holdout));
    assert_int_equal(old->tiers.kind, LAPSE_TIERS_PERCENTILE);
    assert_true(old->tiers.cuts[0] == 0.5 && old->tiers.cuts[1] == 0.8 &&
                old->tiers.cuts[2] == 0.95);
    lapse_model_free(old);
    /* Format 2 requires LABL. */
    put_le32(plain + 8, 2);
    fix_crc(plain, size_plain);
    assert_int_equal(decode_status(plain, size_plain, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has no LABL section");
    size_labelled = drop_section(labelled, size_labelled, "VALD");
    put_le32(labelled + 8, 2);
    fix_crc(labelled, size_labelled);
    assert_int_equal(decode_status(labelled, size_labelled, &err), LAPSE_OK);
    /* Format 1 has no LABL, and neither 1 nor 2 a VALD. */
    put_le32(labelled + 8, 1);
    fix_crc(labelled, size_labelled);
    assert_int_equal(decode_status(labelled, size_labelled, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has an unknown section \"LABL\"");
    free(plain);
    encode(m, &plain, &size_plain);
    put_le32(plain + 8, 2);
    fix_crc(plain, size_plain);
    assert_int_equal(decode_status(plain, size_plain, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has an unknown section \"VALD\"");
    m->meta.labels_sha256[3] = 'G';
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "64 lower-case hex digits"));
    free(plain);
    free(labelled);
    lapse_model_free(m);
}

/* Crafted files with a correct checksum: every structural promise is kept
 * by the reader itself, not by the CRC. */
static void malformed_sections(void **state)
{
    (void)state;
    lapse_model *m = build_svm();
    unsigned char *good, *bytes;
    size_t size;
    encode(m, &good, &size);
    bytes = malloc(size);
    lapse_error err;
#define RESET() memcpy(bytes, good, size)

    RESET();
    size_t tier = find_section(bytes, size, "TIER");
    memcpy(bytes + tier, "TIEX", 4);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has an unknown section \"TIEX\"");
    assert_int_equal(err.offset, (int64_t)tier);

    RESET();
    memcpy(bytes + tier, "CALB", 4);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has section \"CALB\" twice");

    /* Without the TRAI section: cut it out, fix size and CRC. */
    RESET();
    const size_t short_size = drop_section(bytes, size, "TRAI");
    assert_int_equal(decode_status(bytes, short_size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "model file has no TRAI section");

    /* A section longer than the file. */
    RESET();
    put_le64(bytes + tier + 4, 1u << 30);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "section \"TIER\" declares 1073741824 bytes"));

    /* A count far beyond the bytes: refused before anything is allocated. */
    RESET();
    const size_t feat = find_section(bytes, size, "FEAT");
    put_le32(bytes + feat + 12, 0xffffffffu);
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "section FEAT declares 4294967295 feature names"));
    RESET();
    const size_t clsf = find_section(bytes, size, "CLSF");
    put_le32(bytes + clsf + 12 + 2 + 16, 0x7fffffffu); /* n_sv */
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "declares 2147483647 support vectors"));

    /* Contents that decode but do not validate: a negative scale. */
    RESET();
    const size_t scal = find_section(bytes, size, "SCAL");
    const double negative = -2;
    uint64_t bits;
    memcpy(&bits, &negative, sizeof bits);
    put_le64(bytes + scal + 12 + 4 + N_FEATURES + 8 * N_FEATURES + 8, bits); /* scale 2 */
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "invalid model: scaler scale 2 is -2; it must be positive");

    /* An unknown classifier kind. */
    RESET();
    bytes[clsf + 12] = 9;
    fix_crc(bytes, size);
    assert_int_equal(decode_status(bytes, size, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.message, "unknown classifier kind 9");
    assert_int_equal(err.offset, (int64_t)clsf + 12);
#undef RESET
    free(bytes);
    free(good);
    lapse_model_free(m);
}

static void validation_names_the_problem(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *m = build_svm();
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_OK);

    m->tiers.thresholds[2] = 0.4;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "risk threshold 3 (0.4) does not increase");
    m->tiers.thresholds[2] = 0.7;

    m->calibration.y[2] = 0.01;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "isotonic probability 3 (0.01) decreases");
    m->calibration.y[2] = 0.3;

    free(m->segments.names[2]);
    m->segments.names[2] = copy_text("price-sensitive");
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "segment name \"price-sensitive\" appears twice");
    free(m->segments.names[2]);
    m->segments.names[2] = copy_text("social-driven");

    m->segments.profile[1] = 3;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "segment profile feature \"coupon_share\" appears twice");
    m->segments.profile[1] = 5;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message,
                        "segment profile feature 2 is feature 6; the model has 5");
    m->segments.profile[1] = 4;

    m->classifier.sv[7] = INFINITY;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "support vector value 8 is not a finite number");
    m->classifier.sv[7] = 0;

    m->meta.schema_hash ^= 1;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "does not match the feature names"));
    m->meta.schema_hash ^= 1;

    free(m->feature_names[1]);
    m->feature_names[1] = copy_text("sessions,7d");
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "feature 2 has a control character or ',' in its name");
    /* An invalid model is never written. */
    remove("model_invalid.model");
    assert_int_equal(lapse_model_save(m, "model_invalid.model", &err), LAPSE_ERR_ARG);
    assert_string_equal(err.path, "model_invalid.model");
    struct stat st;
    assert_int_equal(stat("model_invalid.model", &st), -1);
    free(m->feature_names[1]);
    m->feature_names[1] = copy_text("sessions_7d");

    m->training.auc = 1.5;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message,
                        "validation AUC is 1.5; it must be from 0 to 1, or not measured");
    m->training.auc = 0.8;
    free(m->training.lapse_version);
    m->training.lapse_version = NULL;
    assert_int_equal(lapse_model_validate(m, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "the lapse version is missing");
    lapse_model_free(m);

    lapse_model_shape shape = { 0, 3, 2, LAPSE_CLASSIFIER_LOGISTIC, 0, LAPSE_CALIBRATION_PLATT, 0,
                                4 };
    assert_int_equal(lapse_model_create(&m, &shape, &err), LAPSE_ERR_ARG);
    assert_null(m);
    shape.n_features = 2;
    shape.classifier = LAPSE_CLASSIFIER_SVM;
    assert_int_equal(lapse_model_create(&m, &shape, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "an SVM needs at least one support vector");
    lapse_model_free(NULL);
}

static void nan_payloads_give_the_same_bytes(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    unsigned char *a, *b;
    size_t size_a, size_b;
    m->segments.silhouette = NAN;
    encode(m, &a, &size_a);
    m->segments.silhouette = -nan("7");
    encode(m, &b, &size_b);
    assert_int_equal(size_a, size_b);
    assert_memory_equal(a, b, size_a);
    free(a);
    free(b);
    lapse_model_free(m);
}

static void feature_check_names_the_difference(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_check_features(m, feature_names, N_FEATURES, &err), LAPSE_OK);
    const char *swapped[] = { "days_since_active", "sessions_7d", "coupon_share", "spend_30d",
                              "social_share" };
    assert_int_equal(lapse_model_check_features(m, swapped, N_FEATURES, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message,
                        "feature 3 is \"coupon_share\" in the table but the model expects "
                        "\"spend_30d\"");
    assert_int_equal(lapse_model_check_features(m, feature_names, 3, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "the table has 3 features and the model 5: feature 4 "
                                     "\"coupon_share\" is missing");
    const char *more[] = { "days_since_active", "sessions_7d", "spend_30d", "coupon_share",
                           "social_share", "tenure_days" };
    assert_int_equal(lapse_model_check_features(m, more, 6, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "the table has 6 features and the model 5: feature 6 "
                                     "\"tenure_days\" is not in the model");
    lapse_model_free(m);
}

static void meta_check_names_the_field(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_table_meta meta = m->meta;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_OK);
    meta.churn.horizon_days = 30;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message,
                        "churn definitions differ: horizon is 30 days in the table but 14 in "
                        "the model");
    meta = m->meta;
    meta.churn.key_mask |= 1u << LAPSE_CAT_PURCHASE;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "churn definitions differ: key events are activity+purchase "
                                     "in the table but activity in the model");
    meta = m->meta;
    meta.churn.silent_days = 7;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "churn definitions differ: silent_days is 7 in the table "
                                     "but 30 in the model");
    meta = m->meta;
    meta.churn.cancel_is_churn = 1;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_ERR_SCHEMA);
    assert_string_equal(err.message, "churn definitions differ: churn is cancel in the table but "
                                     "silence in the model");
    meta = m->meta;
    meta.schema_hash = 0x0123456789abcdefull;
    assert_int_equal(lapse_model_check_meta(m, &meta, &err), LAPSE_ERR_SCHEMA);
    char expected[200];
    snprintf(expected, sizeof expected,
             "feature schemas differ: schema=0123456789abcdef in the table but %016llx in the "
             "model",
             (unsigned long long)m->meta.schema_hash);
    assert_string_equal(err.message, expected);
    lapse_model_free(m);
}

static void calibration_and_tiers(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    /* A = -1.5, B = 0.25: f = 1 gives 1 / (1 + exp(-1.25)). */
    assert_float_equal(lapse_model_calibrate(m, 1), 0.77729986117469119, 1e-15);
    assert_float_equal(lapse_model_calibrate(m, 0), 1 / (1 + exp(0.25)), 1e-15);
    /* Far out on both sides, without overflow. */
    assert_float_equal(lapse_model_calibrate(m, 1000), 1, 1e-15);
    assert_float_equal(lapse_model_calibrate(m, -1000), 0, 1e-15);
    static const struct {
        double p;
        size_t tier;
    } tiers[] = { { 0, 0 }, { 0.1, 0 }, { 0.2, 1 }, { 0.39, 1 }, { 0.4, 2 }, { 0.7, 3 }, { 1, 3 } };
    for (size_t i = 0; i < sizeof tiers / sizeof tiers[0]; i++)
        assert_int_equal(lapse_model_tier(m, tiers[i].p), tiers[i].tier);
    lapse_model_free(m);

    /* x = -2, -1, 0, 1.5 and y = 0.05, 0.1, 0.3, 0.9, interpolated. */
    m = build_svm();
    static const double cases[][2] = { { -3, 0.05 }, { -2, 0.05 }, { -1.5, 0.075 }, { -0.5, 0.2 },
                                       { 0, 0.3 },   { 0.75, 0.6 }, { 1.5, 0.9 },   { 9, 0.9 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_float_equal(lapse_model_calibrate(m, cases[i][0]), cases[i][1], 1e-15);
    lapse_model_free(m);
}

static void load_and_save_errors(void **state)
{
    (void)state;
    lapse_model *m = (lapse_model *)1;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_load(&m, "no_such_dir/x.model", &err), LAPSE_ERR_IO);
    assert_null(m);
    assert_string_equal(err.message, "cannot open the model: No such file or directory");
    m = build_logistic();
    assert_int_equal(lapse_model_save(m, "no_such_dir/x.model", &err), LAPSE_ERR_IO);
    lapse_model_free(m);
}

static int write_fixtures(const char *dir)
{
    char path[4096];
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *models[2] = { build_logistic(), build_svm() };
    const char *names[2] = { "logistic.model", "svm.model" };
    int status = 0;
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (lapse_model_save(models[i], path, &err) != LAPSE_OK) {
            fprintf(stderr, "test_model: %s: %s\n", path, err.message);
            status = 1;
        }
        lapse_model_free(models[i]);
    }
    return status;
}

/* The scaler and segment assignment, worked out by hand from build_common. */
static void applying_scaler_and_segments(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    const double e = exp(1.0);
    const double raw[2 * N_FEATURES] = { 1.0, e - 1.0, 0.0, 0.4, 0.3,
                                         0.0, 0.0, e * e - 1.0, 0.15, 0.6 };
    double scaled[2 * N_FEATURES];
    lapse_scaler_apply(&m->scaler, N_FEATURES, raw, 2, scaled);
    /* (t(x) - mean) / scale with mean = i/2 - 1/3, scale = 1.25 + i. */
    assert_float_equal(scaled[0], (1.0 + 1.0 / 3.0) / 1.25, 1e-12);
    assert_float_equal(scaled[1], (1.0 - (0.5 - 1.0 / 3.0)) / 2.25, 1e-12); /* log1p(e-1) = 1 */
    assert_float_equal(scaled[2], (0.0 - (1.0 - 1.0 / 3.0)) / 3.25, 1e-12);
    assert_float_equal(scaled[N_FEATURES + 2], (2.0 - (1.0 - 1.0 / 3.0)) / 3.25, 1e-12);
    assert_float_equal(scaled[N_FEATURES + 4], (0.6 - (2.0 - 1.0 / 3.0)) / 5.25, 1e-12);
    /* Profile z-scores (2, 0) lie nearest centroid 0 at (2, -1); (-0.5, 2) is
     * centroid 2 itself. */
    size_t segment[2];
    lapse_model_segment_rows(m, raw, 2, segment);
    assert_int_equal(segment[0], 0);
    assert_int_equal(segment[1], 2);
    lapse_model_free(m);
}

/* Short tier names: the section is smaller than twelve bytes a tier, and
 * must still load (the loader once demanded that much). */
static void short_tier_names_load(void **state)
{
    (void)state;
    lapse_model *m = build_logistic();
    static const char *const names[4] = { "a", "b", "c", "d" };
    for (size_t i = 0; i < 4; i++) {
        free(m->tiers.names[i]);
        m->tiers.names[i] = copy_text(names[i]);
    }
    unsigned char *bytes;
    size_t size;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_model_encode(&bytes, &size, m, &err), LAPSE_OK);
    lapse_model *back = NULL;
    assert_int_equal(lapse_model_decode(&back, bytes, size, "short.model", &err), LAPSE_OK);
    assert_string_equal(back->tiers.names[3], "d");
    lapse_model_free(back);
    free(bytes);
    lapse_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-fixtures") == 0)
        return write_fixtures(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_logistic_platt),
        cmocka_unit_test(round_trip_without_segments),
        cmocka_unit_test(round_trip_stacked),
        cmocka_unit_test(applying_scaler_and_segments),
        cmocka_unit_test(short_tier_names_load),
        cmocka_unit_test(round_trip_svm_isotonic),
        cmocka_unit_test(layout_is_documented),
        cmocka_unit_test(truncation_is_named),
        cmocka_unit_test(every_bit_flip_is_caught),
        cmocka_unit_test(newer_version_and_wrong_magic),
        cmocka_unit_test(older_formats_load),
        cmocka_unit_test(malformed_sections),
        cmocka_unit_test(validation_names_the_problem),
        cmocka_unit_test(nan_payloads_give_the_same_bytes),
        cmocka_unit_test(feature_check_names_the_difference),
        cmocka_unit_test(meta_check_names_the_field),
        cmocka_unit_test(calibration_and_tiers),
        cmocka_unit_test(load_and_save_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
