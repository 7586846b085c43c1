/* The model file: encoding and decoding of the layout documented in
 * include/lapse/model.h. Bytes are assembled one by one, so the file is the
 * same on every host and for every run. */
#include "lapse/model.h"
#include "lapse/gbdt.h"
#include "lapse/model_btyd.h"
#include "lapse/outfile.h"

#include "model_io_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const unsigned char model_magic[8] = { 0x89, 'L', 'P', 'S', 'M', 'D', 'L', '\n' };

enum { HEADER_SIZE = 20, CRC_SIZE = 4, SECTION_HEADER_SIZE = 12 };

#define TAG(a, b, c, d)                                                                        \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* In the order the writer emits them and the reader decodes them (each
 * needs only those before it). */
enum {
    SEC_META, SEC_FEAT, SEC_SCAL, SEC_SEGM, SEC_CLSF, SEC_CALB, SEC_TIER, SEC_TRAI,
    SEC_LABL, /* format 2 (required), 3 (optional) */
    SEC_VALD, /* format 3 */
    SEC_ENCD, /* format 3 (optional) */
    SEC_HRZN, /* format 4 (optional) */
    SEC_STCK, /* format 4 (optional) */
    SEC_COUNT
};
static const uint32_t section_tags[SEC_COUNT] = {
    TAG('M', 'E', 'T', 'A'), TAG('F', 'E', 'A', 'T'), TAG('S', 'C', 'A', 'L'),
    TAG('S', 'E', 'G', 'M'), TAG('C', 'L', 'S', 'F'), TAG('C', 'A', 'L', 'B'),
    TAG('T', 'I', 'E', 'R'), TAG('T', 'R', 'A', 'I'), TAG('L', 'A', 'B', 'L'),
    TAG('V', 'A', 'L', 'D'), TAG('E', 'N', 'C', 'D'), TAG('H', 'R', 'Z', 'N'),
    TAG('S', 'T', 'C', 'K'),
};
static const char *const section_names[SEC_COUNT] = { "META", "FEAT", "SCAL", "SEGM", "CLSF",
                                                      "CALB", "TIER", "TRAI", "LABL",
                                                      "VALD", "ENCD", "HRZN", "STCK" };

/* Whether a section may appear in a file of a format version. */
enum { SECTION_ABSENT, SECTION_OPTIONAL, SECTION_REQUIRED };

static int section_rule(int section, uint32_t version)
{
    if (section == SEC_LABL)
        return version == 1 ? SECTION_ABSENT : version == 2 ? SECTION_REQUIRED : SECTION_OPTIONAL;
    if (section == SEC_VALD)
        return version >= 3 ? SECTION_REQUIRED : SECTION_ABSENT;
    if (section == SEC_ENCD)
        return version >= 3 ? SECTION_OPTIONAL : SECTION_ABSENT;
    if (section == SEC_HRZN || section == SEC_STCK)
        return version >= 4 ? SECTION_OPTIONAL : SECTION_ABSENT;
    return SECTION_REQUIRED;
}

static uint32_t crc_of(const unsigned char *data, size_t size)
{
    return (uint32_t)crc32_z(crc32_z(0L, Z_NULL, 0), data, size);
}

/* ---- writing ---- */

static unsigned char *reserve(writer *w, size_t n)
{
    if (w->failed)
        return NULL;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n)
            cap *= 2;
        unsigned char *data = realloc(w->data, cap);
        if (!data) {
            w->failed = 1;
            return NULL;
        }
        w->data = data;
        w->cap = cap;
    }
    unsigned char *p = w->data + w->len;
    w->len += n;
    return p;
}

static void store_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void store_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_bytes(writer *w, const void *bytes, size_t n)
{
    unsigned char *p = reserve(w, n);
    if (p && n)
        memcpy(p, bytes, n);
}

void put_u8(writer *w, unsigned v)
{
    unsigned char *p = reserve(w, 1);
    if (p)
        *p = (unsigned char)v;
}

void put_u32(writer *w, uint32_t v)
{
    unsigned char *p = reserve(w, 4);
    if (p)
        store_u32(p, v);
}

void put_u64(writer *w, uint64_t v)
{
    unsigned char *p = reserve(w, 8);
    if (p)
        store_u64(p, v);
}

void put_f64(writer *w, double v)
{
    uint64_t bits = 0x7ff8000000000000ull; /* one NaN, whatever payload v carries */
    if (!isnan(v))
        memcpy(&bits, &v, sizeof bits);
    put_u64(w, bits);
}

void put_f64s(writer *w, const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_f64(w, v[i]);
}

/* The flat trees of a GBDT classifier (lapse/model.h, CLSF). */
static void encode_forest(writer *w, const lapse_trees *t)
{
    put_f64(w, t->base_margin);
    put_u32(w, (uint32_t)t->n_trees);
    for (size_t k = 0; k < t->n_trees; k++)
        put_u32(w, t->sizes[k]);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const lapse_tree_node *n = &t->nodes[i];
        put_u32(w, n->left);
        put_u32(w, n->right);
        put_u32(w, n->feature);
        put_u8(w, n->default_left);
        put_f64(w, n->value);
        put_f64(w, n->cover);
    }
}

/* Validation bounds every string well below 4 GiB. */
static void put_str(writer *w, const char *s)
{
    const size_t len = strlen(s);
    put_u32(w, (uint32_t)len);
    put_bytes(w, s, len);
}

static void put_strs(writer *w, char *const *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_str(w, s[i]);
}

/* Writes a section header with a zero length; end_section fills it in. */
static size_t begin_section(writer *w, int section)
{
    put_u32(w, section_tags[section]);
    const size_t at = w->len;
    put_u64(w, 0);
    return at;
}

static void end_section(writer *w, size_t at)
{
    if (!w->failed)
        store_u64(w->data + at, (uint64_t)(w->len - at - 8));
}

static void encode_encoding(writer *w, const lapse_foreign_encoding *e)
{
    const size_t at = begin_section(w, SEC_ENCD);
    put_u8(w, (unsigned)e->format);
    put_str(w, e->id_column);
    put_str(w, e->label_column);
    put_str(w, e->positive);
    put_u32(w, (uint32_t)e->n_columns);
    for (size_t i = 0; i < e->n_columns; i++) {
        const lapse_foreign_column *c = &e->columns[i];
        put_str(w, c->name);
        put_u8(w, (unsigned)c->kind);
        put_u8(w, (unsigned)c->has_missing);
        put_f64(w, c->impute);
        put_u32(w, (uint32_t)c->n_levels);
        put_strs(w, c->levels, c->n_levels);
    }
    end_section(w, at);
}

static void encode_validation(writer *w, const lapse_model *m)
{
    const lapse_model_training *t = &m->training;
    const size_t at = begin_section(w, SEC_VALD);
    put_u8(w, (unsigned)t->validation);
    put_f64(w, t->holdout);
    put_u8(w, (unsigned)t->refit);
    put_f64(w, t->auc_se);
    put_u8(w, (unsigned)m->tiers.kind);
    put_f64s(w, m->tiers.kind == LAPSE_TIERS_PERCENTILE ? m->tiers.cuts : m->tiers.thresholds,
             m->tiers.n_tiers - 1);
    end_section(w, at);
}

static void encode_hazard(writer *w, const lapse_hazard *hz)
{
    const size_t at = begin_section(w, SEC_HRZN);
    put_u32(w, (uint32_t)hz->n_bands);
    for (size_t b = 0; b < hz->n_bands; b++)
        put_u32(w, (uint32_t)hz->horizons[b]);
    put_f64s(w, hz->offset, hz->n_bands);
    put_u8(w, (unsigned)hz->risk);
    if (hz->risk == LAPSE_HAZARD_RISK_SILENCE) {
        put_u32(w, (uint32_t)hz->silent_days);
        put_u32(w, (uint32_t)hz->label_horizon);
        put_u32(w, (uint32_t)hz->n_key);
        for (size_t i = 0; i < hz->n_key; i++)
            put_u32(w, hz->key_columns[i]);
    }
    end_section(w, at);
}

static void encode_sections(writer *w, const lapse_model *m)
{
    if (m->btyd) {
        model_btyd_encode(w, m->btyd);
        return;
    }
    size_t at = begin_section(w, SEC_META);
    put_u32(w, (uint32_t)m->meta.version);
    put_u32(w, m->meta.churn.key_mask);
    put_u32(w, (uint32_t)m->meta.churn.silent_days);
    put_u32(w, (uint32_t)m->meta.churn.horizon_days);
    put_u8(w, (unsigned)m->meta.churn.cancel_is_churn);
    put_u64(w, m->meta.schema_hash);
    end_section(w, at);

    const size_t nf = m->n_features;
    at = begin_section(w, SEC_FEAT);
    put_u32(w, (uint32_t)nf);
    put_strs(w, m->feature_names, nf);
    end_section(w, at);

    at = begin_section(w, SEC_SCAL);
    put_u32(w, (uint32_t)nf);
    put_bytes(w, m->scaler.transform, nf);
    put_f64s(w, m->scaler.mean, nf);
    put_f64s(w, m->scaler.scale, nf);
    end_section(w, at);

    const lapse_model_segments *s = &m->segments;
    at = begin_section(w, SEC_SEGM);
    put_u32(w, (uint32_t)s->k);
    put_u32(w, (uint32_t)s->n_profile);
    for (size_t j = 0; j < s->n_profile; j++)
        put_u32(w, s->profile[j]);
    put_bytes(w, s->transform, s->n_profile);
    put_f64s(w, s->mean, s->n_profile);
    put_f64s(w, s->scale, s->n_profile);
    put_f64s(w, s->centroids, s->k * s->n_profile);
    put_f64s(w, s->centroids_original, s->k * s->n_profile);
    for (size_t c = 0; c < s->k; c++)
        put_u64(w, s->sizes[c]);
    put_strs(w, s->names, s->k);
    put_f64(w, s->silhouette);
    end_section(w, at);

    const lapse_model_classifier *c = &m->classifier;
    at = begin_section(w, SEC_CLSF);
    put_u8(w, (unsigned)c->kind);
    if (c->kind == LAPSE_CLASSIFIER_LOGISTIC) {
        put_u32(w, (uint32_t)nf);
        put_f64s(w, c->weights, nf);
        put_f64(w, c->bias);
    } else if (c->kind == LAPSE_CLASSIFIER_GBDT) {
        put_u32(w, (uint32_t)nf);
        put_u32(w, c->trees);
        put_u32(w, c->depth);
        put_f64(w, c->eta);
        put_u32(w, c->best_iteration);
        encode_forest(w, &c->forest);
        put_u64(w, c->booster_size);
        put_bytes(w, c->booster, c->booster_size);
        put_bytes(w, c->booster_sha256, sizeof c->booster_sha256);
    } else {
        put_u8(w, (unsigned)c->kernel);
        put_f64(w, c->gamma);
        put_f64(w, c->rho);
        put_u32(w, (uint32_t)c->n_sv);
        put_u32(w, (uint32_t)nf);
        put_f64s(w, c->sv, c->n_sv * nf);
        put_f64s(w, c->coef, c->n_sv);
    }
    end_section(w, at);

    const lapse_model_calibration *cal = &m->calibration;
    at = begin_section(w, SEC_CALB);
    put_u8(w, (unsigned)cal->kind);
    if (cal->kind == LAPSE_CALIBRATION_PLATT) {
        put_f64(w, cal->a);
        put_f64(w, cal->b);
    } else {
        put_u32(w, (uint32_t)cal->n);
        put_f64s(w, cal->x, cal->n);
        put_f64s(w, cal->y, cal->n);
    }
    end_section(w, at);

    at = begin_section(w, SEC_TIER);
    put_u32(w, (uint32_t)m->tiers.n_tiers);
    put_f64s(w, m->tiers.thresholds, m->tiers.n_tiers - 1);
    put_strs(w, m->tiers.names, m->tiers.n_tiers);
    end_section(w, at);

    const lapse_model_training *t = &m->training;
    at = begin_section(w, SEC_TRAI);
    put_u64(w, (uint64_t)t->first_asof);
    put_u64(w, (uint64_t)t->last_asof);
    put_u64(w, t->train_rows);
    put_u64(w, t->valid_rows);
    put_u64(w, t->seed);
    put_str(w, t->options);
    put_str(w, t->lapse_version);
    put_f64(w, t->auc);
    put_f64(w, t->pr_auc);
    put_f64(w, t->log_loss);
    put_f64(w, t->brier);
    put_f64(w, t->ece);
    end_section(w, at);

    if (m->meta.labels_sha256[0]) {
        at = begin_section(w, SEC_LABL);
        put_str(w, m->meta.labels_sha256);
        end_section(w, at);
    }
    encode_validation(w, m);
    if (m->encoding)
        encode_encoding(w, m->encoding);
    if (m->hazard)
        encode_hazard(w, m->hazard);
    if (m->stack) {
        at = begin_section(w, SEC_STCK);
        model_btyd_put(w, &m->stack->btyd);
        put_f64(w, m->stack->fill);
        put_f64(w, m->stack->auc_without);
        put_f64(w, m->stack->auc_se_without);
        end_section(w, at);
    }
}

/* The format stores counts as u32. */
static int fits_u32(const lapse_model *m)
{
    const size_t max = UINT32_MAX;
    return m->n_features <= max && m->segments.k <= max && m->segments.n_profile <= max &&
           m->classifier.n_sv <= max && m->calibration.n <= max && m->tiers.n_tiers <= max;
}

int lapse_model_encode(unsigned char **out, size_t *size, const lapse_model *model,
                       lapse_error *err)
{
    *out = NULL;
    *size = 0;
    int status = lapse_model_validate(model, err);
    if (status)
        return status;
    if (!fits_u32(model))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "a count exceeds what the model file stores (2^32 - 1)");
    writer w = { NULL, 0, 0, 0 };
    put_bytes(&w, model_magic, sizeof model_magic);
    /* The lowest version that holds the model: one without horizons, a
     * stacked feature or flat trees stays readable by builds that know
     * format 3, and one without trees over horizons by those that know 4. */
    const int needs_4 =
        model->hazard || model->stack || model->classifier.kind == LAPSE_CLASSIFIER_GBDT;
    put_u32(&w, lapse_model_band_trees(model) ? LAPSE_MODEL_FORMAT_VERSION : needs_4 ? 4 : 3);
    put_u64(&w, 0); /* the size, once known */
    encode_sections(&w, model);
    unsigned char *crc = reserve(&w, CRC_SIZE);
    if (w.failed) {
        free(w.data);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    store_u64(w.data + 12, (uint64_t)w.len);
    store_u32(crc, crc_of(w.data, w.len - CRC_SIZE));
    *out = w.data;
    *size = w.len;
    return LAPSE_OK;
}

int lapse_model_save(const lapse_model *model, const char *path, lapse_error *err)
{
    unsigned char *bytes;
    size_t size;
    int status = lapse_model_encode(&bytes, &size, model, err);
    if (status) {
        if (err)
            snprintf(err->path, sizeof err->path, "%s", path);
        return status;
    }
    lapse_outfile *file;
    status = lapse_outfile_open(&file, path, err);
    if (status == LAPSE_OK) {
        if (fwrite(bytes, 1, size, lapse_outfile_stream(file)) != size) {
            status = lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1,
                                     "cannot write the model: %s", strerror(errno));
            lapse_outfile_abort(file);
        } else {
            status = lapse_outfile_commit(file, err);
        }
    }
    free(bytes);
    return status;
}

/* ---- reading ---- */

static uint32_t load_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_u64(const unsigned char *p)
{
    return (uint64_t)load_u32(p) | (uint64_t)load_u32(p + 4) << 32;
}

#define TRY(call)                                                                              \
    do {                                                                                       \
        const int try_status_ = (call);                                                        \
        if (try_status_)                                                                       \
            return try_status_;                                                                \
    } while (0)

/* The section must hold n more bytes; the file's size was checked already,
 * so running past a section's end is a malformed section, not a truncation. */
static int need(reader *r, size_t n)
{
    if (r->end - r->pos < n)
        return MALFORMED(r, r->pos, "section %s ends in the middle of a value", r->section);
    return LAPSE_OK;
}

int get_u8(reader *r, unsigned *out)
{
    if (need(r, 1))
        return LAPSE_ERR_FORMAT;
    *out = r->data[r->pos++];
    return LAPSE_OK;
}

int get_u32(reader *r, uint32_t *out)
{
    if (need(r, 4))
        return LAPSE_ERR_FORMAT;
    *out = load_u32(r->data + r->pos);
    r->pos += 4;
    return LAPSE_OK;
}

int get_u64(reader *r, uint64_t *out)
{
    if (need(r, 8))
        return LAPSE_ERR_FORMAT;
    *out = load_u64(r->data + r->pos);
    r->pos += 8;
    return LAPSE_OK;
}

static int get_i64(reader *r, int64_t *out)
{
    uint64_t u;
    if (get_u64(r, &u))
        return LAPSE_ERR_FORMAT;
    /* Two's complement, without relying on the implementation's conversion. */
    *out = u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
    return LAPSE_OK;
}

int get_f64(reader *r, double *out)
{
    uint64_t bits;
    if (get_u64(r, &bits))
        return LAPSE_ERR_FORMAT;
    memcpy(out, &bits, sizeof *out);
    return LAPSE_OK;
}

static int get_int(reader *r, int *out, const char *what)
{
    uint32_t v;
    if (get_u32(r, &v))
        return LAPSE_ERR_FORMAT;
    if (v > INT_MAX)
        return MALFORMED(r, r->pos - 4, "%s %lu is out of range", what, (unsigned long)v);
    *out = (int)v;
    return LAPSE_OK;
}

/* Before allocating count elements of unit bytes each: the section must
 * hold them, which bounds every allocation by the size of the file. */
static int check_count(reader *r, size_t count, size_t unit, const char *what)
{
    if (count > (r->end - r->pos) / unit)
        return MALFORMED(r, r->pos, "section %s declares %zu %s but has room for %zu",
                         r->section, count, what, (r->end - r->pos) / unit);
    return LAPSE_OK;
}

static int out_of_memory(reader *r)
{
    return lapse_error_set(r->err, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
}

/* calloc with a 1-byte floor: calloc(0) may return NULL, which would read
 * as a failure. */
static void *alloc_zeroed(size_t count, size_t size)
{
    return calloc(count ? count : 1, size);
}

static int get_f64s(reader *r, double **out, size_t count, const char *what)
{
    if (check_count(r, count, 8, what))
        return LAPSE_ERR_FORMAT;
    double *v = alloc_zeroed(count, sizeof *v);
    if (!v)
        return out_of_memory(r);
    for (size_t i = 0; i < count; i++)
        get_f64(r, &v[i]);
    *out = v;
    return LAPSE_OK;
}

static int get_bytes(reader *r, unsigned char **out, size_t count, const char *what)
{
    if (check_count(r, count, 1, what))
        return LAPSE_ERR_FORMAT;
    unsigned char *v = alloc_zeroed(count, 1);
    if (!v)
        return out_of_memory(r);
    if (count)
        memcpy(v, r->data + r->pos, count);
    r->pos += count;
    *out = v;
    return LAPSE_OK;
}

static int get_str(reader *r, char **out, size_t max_len, const char *what)
{
    uint32_t len;
    if (get_u32(r, &len))
        return LAPSE_ERR_FORMAT;
    if (len > max_len)
        return MALFORMED(r, r->pos - 4, "%s is %lu bytes long; at most %zu are allowed", what,
                         (unsigned long)len, max_len);
    if (need(r, len))
        return LAPSE_ERR_FORMAT;
    if (memchr(r->data + r->pos, '\0', len))
        return MALFORMED(r, r->pos, "%s contains a NUL byte", what);
    char *s = malloc((size_t)len + 1);
    if (!s)
        return out_of_memory(r);
    memcpy(s, r->data + r->pos, len);
    s[len] = '\0';
    r->pos += len;
    *out = s;
    return LAPSE_OK;
}

/* count strings into a new array; *out is set as soon as it exists, so a
 * failure part-way leaves it for lapse_model_free. */
static int get_strs(reader *r, char ***out, size_t count, const char *what)
{
    if (check_count(r, count, 4, what))
        return LAPSE_ERR_FORMAT;
    *out = alloc_zeroed(count, sizeof **out);
    if (!*out)
        return out_of_memory(r);
    for (size_t i = 0; i < count; i++)
        TRY(get_str(r, &(*out)[i], LAPSE_MODEL_NAME_MAX, what));
    return LAPSE_OK;
}

/* A u32 count that must equal the number of features. */
static int get_feature_count(reader *r, size_t n_features)
{
    uint32_t n;
    if (get_u32(r, &n))
        return LAPSE_ERR_FORMAT;
    if (n != n_features)
        return MALFORMED(r, r->pos - 4, "section %s is for %lu features; the model has %zu",
                         r->section, (unsigned long)n, n_features);
    return LAPSE_OK;
}

static int decode_meta(reader *r, lapse_model *m)
{
    unsigned cancel;
    uint32_t key_mask;
    TRY(get_int(r, &m->meta.version, "the feature table format"));
    TRY(get_u32(r, &key_mask));
    m->meta.churn.key_mask = key_mask;
    TRY(get_int(r, &m->meta.churn.silent_days, "silent_days"));
    TRY(get_int(r, &m->meta.churn.horizon_days, "horizon"));
    TRY(get_u8(r, &cancel));
    m->meta.churn.cancel_is_churn = (int)cancel;
    return get_u64(r, &m->meta.schema_hash);
}

static int decode_features(reader *r, lapse_model *m)
{
    uint32_t n;
    TRY(get_u32(r, &n));
    TRY(check_count(r, n, 4, "feature names"));
    m->n_features = n;
    return get_strs(r, &m->feature_names, n, "a feature name");
}

static int decode_scaler(reader *r, lapse_model *m)
{
    const size_t nf = m->n_features;
    TRY(get_feature_count(r, nf));
    TRY(get_bytes(r, &m->scaler.transform, nf, "transforms"));
    TRY(get_f64s(r, &m->scaler.mean, nf, "means"));
    return get_f64s(r, &m->scaler.scale, nf, "scales");
}

static int decode_segments(reader *r, lapse_model *m)
{
    lapse_model_segments *s = &m->segments;
    uint32_t k, np;
    TRY(get_u32(r, &k));
    TRY(get_u32(r, &np));
    TRY(check_count(r, k, 12, "segments")); /* each has at least a size and a name */
    TRY(check_count(r, np, 21, "profile features"));
    if (np && k > SIZE_MAX / np)
        return MALFORMED(r, r->pos, "section SEGM declares too many centroid values");
    const size_t cells = (size_t)k * np;
    s->n_profile = np;
    s->profile = alloc_zeroed(np, sizeof *s->profile);
    if (!s->profile)
        return out_of_memory(r);
    for (size_t j = 0; j < np; j++)
        get_u32(r, &s->profile[j]);
    TRY(get_bytes(r, &s->transform, np, "profile transforms"));
    TRY(get_f64s(r, &s->mean, np, "profile means"));
    TRY(get_f64s(r, &s->scale, np, "profile scales"));
    TRY(get_f64s(r, &s->centroids, cells, "centroid values"));
    TRY(get_f64s(r, &s->centroids_original, cells, "centroid values"));
    s->k = k;
    TRY(check_count(r, k, 8, "segment sizes"));
    s->sizes = alloc_zeroed(k, sizeof *s->sizes);
    if (!s->sizes)
        return out_of_memory(r);
    for (size_t c = 0; c < k; c++)
        get_u64(r, &s->sizes[c]);
    TRY(get_strs(r, &s->names, k, "a segment name"));
    return get_f64(r, &s->silhouette);
}

/* The flat trees (encode_forest); lapse_model_validate checks them. */
static int decode_forest(reader *r, lapse_trees *t)
{
    enum { NODE_BYTES = 3 * 4 + 1 + 2 * 8 };
    uint32_t n_trees;
    TRY(get_f64(r, &t->base_margin));
    TRY(get_u32(r, &n_trees));
    TRY(check_count(r, n_trees, 4 + NODE_BYTES, "trees"));
    t->sizes = alloc_zeroed(n_trees, sizeof *t->sizes);
    if (!t->sizes)
        return out_of_memory(r);
    t->n_trees = n_trees;
    size_t nodes = 0;
    for (size_t k = 0; k < n_trees; k++) {
        TRY(get_u32(r, &t->sizes[k]));
        nodes += t->sizes[k];
    }
    TRY(check_count(r, nodes, NODE_BYTES, "tree nodes"));
    t->nodes = alloc_zeroed(nodes, sizeof *t->nodes);
    if (!t->nodes)
        return out_of_memory(r);
    t->n_nodes = nodes;
    for (size_t i = 0; i < nodes; i++) {
        lapse_tree_node *n = &t->nodes[i];
        unsigned dflt;
        get_u32(r, &n->left);
        get_u32(r, &n->right);
        get_u32(r, &n->feature);
        get_u8(r, &dflt);
        n->default_left = (uint8_t)dflt;
        get_f64(r, &n->value);
        get_f64(r, &n->cover);
    }
    return LAPSE_OK;
}

/* Format 3 kept only XGBoost's bytes: checked against their sha256, they
 * become the flat trees here, without XGBoost. */
static int forest_from_xgboost(reader *r, lapse_model_classifier *c, size_t nf)
{
    const size_t at = r->pos - sizeof c->booster_sha256 - c->booster_size;
    unsigned char digest[LAPSE_GBDT_DIGEST_SIZE];
    lapse_gbdt_digest(digest, c->booster, c->booster_size);
    if (memcmp(digest, c->booster_sha256, sizeof digest) != 0)
        return MALFORMED(r, at, "section CLSF: the boosted trees do not match their sha256: the "
                                "model file is corrupt");
    lapse_error why = LAPSE_ERROR_INIT;
    const int rc = lapse_gbdt_import(&c->forest, c->booster, c->booster_size, nf, &why);
    if (rc == LAPSE_ERR_NOMEM)
        return out_of_memory(r);
    if (rc < 0)
        return MALFORMED(r, why.offset >= 0 ? at + (size_t)why.offset : at,
                         "section CLSF: %s", why.message);
    return LAPSE_OK;
}

static int decode_classifier(reader *r, lapse_model *m)
{
    lapse_model_classifier *c = &m->classifier;
    const size_t nf = m->n_features;
    unsigned kind;
    TRY(get_u8(r, &kind));
    if (kind == LAPSE_CLASSIFIER_LOGISTIC) {
        c->kind = LAPSE_CLASSIFIER_LOGISTIC;
        TRY(get_feature_count(r, nf));
        TRY(get_f64s(r, &c->weights, nf, "weights"));
        return get_f64(r, &c->bias);
    }
    if (kind == LAPSE_CLASSIFIER_GBDT) {
        c->kind = LAPSE_CLASSIFIER_GBDT;
        uint64_t bytes;
        TRY(get_feature_count(r, nf));
        TRY(get_u32(r, &c->trees));
        TRY(get_u32(r, &c->depth));
        TRY(get_f64(r, &c->eta));
        TRY(get_u32(r, &c->best_iteration));
        const uint32_t version = load_u32(r->data + 8); /* r->data is the whole file */
        if (version >= 4)
            TRY(decode_forest(r, &c->forest));
        TRY(get_u64(r, &bytes));
        if (bytes > r->end - r->pos)
            return MALFORMED(r, r->pos, "section CLSF declares %llu bytes of trees but has room "
                                        "for %zu",
                             (unsigned long long)bytes, r->end - r->pos);
        c->booster_size = (size_t)bytes;
        TRY(get_bytes(r, &c->booster, c->booster_size, "boosted trees"));
        if (need(r, sizeof c->booster_sha256))
            return LAPSE_ERR_FORMAT;
        memcpy(c->booster_sha256, r->data + r->pos, sizeof c->booster_sha256);
        r->pos += sizeof c->booster_sha256;
        return version >= 4 ? LAPSE_OK : forest_from_xgboost(r, c, nf);
    }
    if (kind != LAPSE_CLASSIFIER_SVM)
        return MALFORMED(r, r->pos - 1, "unknown classifier kind %u", kind);
    c->kind = LAPSE_CLASSIFIER_SVM;
    unsigned kernel;
    uint32_t n_sv;
    TRY(get_u8(r, &kernel));
    c->kernel = (lapse_kernel)kernel;
    TRY(get_f64(r, &c->gamma));
    TRY(get_f64(r, &c->rho));
    TRY(get_u32(r, &n_sv));
    TRY(get_feature_count(r, nf));
    /* nf >= 1 here or validation fails later; 0 would make every count fit. */
    if (nf && n_sv > (r->end - r->pos) / 8 / nf)
        return MALFORMED(r, r->pos, "section CLSF declares %lu support vectors but has room "
                                    "for %zu",
                         (unsigned long)n_sv, (r->end - r->pos) / 8 / nf);
    c->n_sv = n_sv;
    TRY(get_f64s(r, &c->sv, (size_t)n_sv * nf, "support vector values"));
    return get_f64s(r, &c->coef, n_sv, "coefficients");
}

static int decode_calibration(reader *r, lapse_model *m)
{
    lapse_model_calibration *cal = &m->calibration;
    unsigned kind;
    TRY(get_u8(r, &kind));
    if (kind == LAPSE_CALIBRATION_PLATT) {
        cal->kind = LAPSE_CALIBRATION_PLATT;
        TRY(get_f64(r, &cal->a));
        return get_f64(r, &cal->b);
    }
    if (kind != LAPSE_CALIBRATION_ISOTONIC)
        return MALFORMED(r, r->pos - 1, "unknown calibration kind %u", kind);
    cal->kind = LAPSE_CALIBRATION_ISOTONIC;
    uint32_t n;
    TRY(get_u32(r, &n));
    TRY(check_count(r, n, 16, "isotonic breakpoints"));
    cal->n = n;
    TRY(get_f64s(r, &cal->x, n, "isotonic breakpoints"));
    return get_f64s(r, &cal->y, n, "isotonic probabilities");
}

static int decode_tiers(reader *r, lapse_model *m)
{
    uint32_t n;
    TRY(get_u32(r, &n));
    if (n == 0)
        return MALFORMED(r, r->pos - 4, "the model has no risk tiers");
    /* Each tier has a name (a length and at least a byte); the n - 1
     * thresholds are counted when they are read. */
    TRY(check_count(r, n, 5, "risk tiers"));
    m->tiers.n_tiers = n;
    TRY(get_f64s(r, &m->tiers.thresholds, n - 1, "risk thresholds"));
    return get_strs(r, &m->tiers.names, n, "a risk tier name");
}

static int decode_training(reader *r, lapse_model *m)
{
    lapse_model_training *t = &m->training;
    TRY(get_i64(r, &t->first_asof));
    TRY(get_i64(r, &t->last_asof));
    TRY(get_u64(r, &t->train_rows));
    TRY(get_u64(r, &t->valid_rows));
    TRY(get_u64(r, &t->seed));
    TRY(get_str(r, &t->options, LAPSE_MODEL_TEXT_MAX, "the options text"));
    TRY(get_str(r, &t->lapse_version, LAPSE_MODEL_TEXT_MAX, "the lapse version"));
    TRY(get_f64(r, &t->auc));
    TRY(get_f64(r, &t->pr_auc));
    TRY(get_f64(r, &t->log_loss));
    TRY(get_f64(r, &t->brier));
    return get_f64(r, &t->ece);
}

static int decode_labels(reader *r, lapse_model *m)
{
    char *hex = NULL;
    TRY(get_str(r, &hex, 64, "the label file's sha256"));
    const size_t len = strlen(hex);
    const int ok = len == 64 && strspn(hex, "0123456789abcdef") == 64;
    if (ok)
        memcpy(m->meta.labels_sha256, hex, 65);
    free(hex);
    return ok ? LAPSE_OK
              : MALFORMED(r, r->pos, "section LABL holds no sha256 (64 lower-case hex digits)");
}

static int decode_validation(reader *r, lapse_model *m)
{
    lapse_model_training *t = &m->training;
    unsigned validation, refit, tier_kind;
    TRY(get_u8(r, &validation));
    t->validation = (lapse_validation_kind)validation;
    TRY(get_f64(r, &t->holdout));
    TRY(get_u8(r, &refit));
    t->refit = (int)refit;
    TRY(get_f64(r, &t->auc_se));
    TRY(get_u8(r, &tier_kind));
    m->tiers.kind = (lapse_tier_kind)tier_kind;
    /* TIER, decoded before, gave n_tiers >= 1. */
    return get_f64s(r, &m->tiers.cuts, m->tiers.n_tiers - 1, "tier cut-offs");
}

/* What a model of format 1 or 2 (no VALD) was: validated on its last
 * snapshot, no refit, tiers at the shares every trained model used. */
static int default_validation(lapse_model *m)
{
    static const double shares[3] = { 0.50, 0.80, 0.95 };
    lapse_model_tiers *tiers = &m->tiers;
    m->training.validation = LAPSE_VALIDATION_LAST_SNAPSHOT;
    m->training.holdout = m->training.auc_se = NAN;
    m->training.refit = 0;
    tiers->cuts = alloc_zeroed(tiers->n_tiers - 1, sizeof *tiers->cuts);
    if (!tiers->cuts)
        return LAPSE_ERR_NOMEM;
    const int trained = tiers->n_tiers == 4;
    tiers->kind = trained ? LAPSE_TIERS_PERCENTILE : LAPSE_TIERS_PROBABILITY;
    memcpy(tiers->cuts, trained ? shares : tiers->thresholds,
           (tiers->n_tiers - 1) * sizeof *tiers->cuts);
    return LAPSE_OK;
}

/* ENCD: a foreign table's encoding (lapse/foreign.h). *m->encoding is set
 * as soon as it exists, so a failure part-way leaves it for
 * lapse_model_free; lapse_model_validate checks its contents. */
static int decode_encoding(reader *r, lapse_model *m)
{
    lapse_foreign_encoding *e = m->encoding = calloc(1, sizeof *e);
    if (!e)
        return out_of_memory(r);
    unsigned format;
    uint32_t n;
    TRY(get_u8(r, &format));
    e->format = (lapse_foreign_format)format;
    TRY(get_str(r, &e->id_column, LAPSE_MODEL_NAME_MAX, "the id column"));
    TRY(get_str(r, &e->label_column, LAPSE_MODEL_NAME_MAX, "the label column"));
    TRY(get_str(r, &e->positive, LAPSE_MODEL_NAME_MAX, "the positive label"));
    TRY(get_u32(r, &n));
    /* Each column takes at least 19 bytes: a one-byte name and no levels. */
    if (check_count(r, n, 19, "encoding columns"))
        return LAPSE_ERR_FORMAT;
    if (!(e->columns = alloc_zeroed(n, sizeof *e->columns)))
        return out_of_memory(r);
    for (size_t i = 0; i < n; i++) {
        lapse_foreign_column *c = &e->columns[i];
        unsigned kind, has_missing;
        uint32_t levels;
        e->n_columns++;
        TRY(get_str(r, &c->name, LAPSE_MODEL_NAME_MAX, "an encoding column's name"));
        TRY(get_u8(r, &kind));
        TRY(get_u8(r, &has_missing));
        TRY(get_f64(r, &c->impute));
        TRY(get_u32(r, &levels));
        c->kind = (lapse_column_kind)kind;
        c->has_missing = has_missing != 0;
        if (has_missing > 1)
            return MALFORMED(r, r->pos - 13, "encoding column %zu's missing flag is %u", i + 1,
                             has_missing);
        TRY(get_strs(r, &c->levels, levels, "a level"));
        c->n_levels = levels;
    }
    return LAPSE_OK;
}

/* HRZN: the horizons of a hazard model (lapse/hazard.h); the loader's
 * lapse_model_validate checks them against META and FEAT. */
static int decode_hazard(reader *r, lapse_model *m)
{
    lapse_hazard *hz = m->hazard = calloc(1, sizeof *hz);
    if (!hz)
        return out_of_memory(r);
    uint32_t n, v;
    unsigned risk;
    TRY(get_u32(r, &n));
    if (n < 1 || n > LAPSE_HAZARD_MAX_BANDS)
        return MALFORMED(r, r->pos - 4, "section HRZN has %lu horizons: want 1 to %d",
                         (unsigned long)n, LAPSE_HAZARD_MAX_BANDS);
    hz->n_bands = n;
    for (size_t b = 0; b < n; b++) {
        TRY(get_u32(r, &v));
        if (v > LAPSE_CHURN_MAX_DAYS)
            return MALFORMED(r, r->pos - 4, "horizon %lu is out of range", (unsigned long)v);
        hz->horizons[b] = (int)v;
    }
    for (size_t b = 0; b < n; b++)
        TRY(get_f64(r, &hz->offset[b]));
    TRY(get_u8(r, &risk));
    hz->risk = (lapse_hazard_risk)risk;
    if (risk == LAPSE_HAZARD_RISK_ALL)
        return LAPSE_OK;
    if (risk != LAPSE_HAZARD_RISK_SILENCE)
        return MALFORMED(r, r->pos - 1, "section HRZN has an unknown risk rule %u", risk);
    TRY(get_int(r, &hz->silent_days, "the silent days"));
    TRY(get_int(r, &hz->label_horizon, "the label horizon"));
    TRY(get_u32(r, &n));
    if (n < 1 || n > LAPSE_CAT_COUNT)
        return MALFORMED(r, r->pos - 4, "section HRZN has %lu key columns: want 1 to %d",
                         (unsigned long)n, LAPSE_CAT_COUNT);
    hz->n_key = n;
    for (size_t i = 0; i < n; i++)
        TRY(get_u32(r, &hz->key_columns[i]));
    return LAPSE_OK;
}

/* STCK: a stacked BTYD feature (lapse/model_btyd.h); lapse_model_validate
 * checks it against META and FEAT. */
static int decode_stack(reader *r, lapse_model *m)
{
    lapse_model_stack *st = m->stack = calloc(1, sizeof *st);
    if (!st)
        return out_of_memory(r);
    TRY(model_btyd_get(r, &st->btyd));
    TRY(get_f64(r, &st->fill));
    TRY(get_f64(r, &st->auc_without));
    return get_f64(r, &st->auc_se_without);
}

static int (*const section_decoders[SEC_COUNT])(reader *, lapse_model *) = {
    decode_meta,     decode_features,   decode_scaler,      decode_segments,
    decode_classifier, decode_calibration, decode_tiers,     decode_training,
    decode_labels,   decode_validation, decode_encoding,    decode_hazard,
    decode_stack,
};

/* "META", or the four bytes in hex when they are not letters. */
static void format_tag(char *buf, size_t size, uint32_t tag)
{
    char letters[5];
    int printable = 1;
    for (int i = 0; i < 4; i++) {
        letters[i] = (char)(tag >> (8 * i));
        printable &= letters[i] >= 0x21 && letters[i] <= 0x7e;
    }
    letters[4] = '\0';
    if (printable)
        snprintf(buf, size, "\"%s\"", letters);
    else
        snprintf(buf, size, "0x%08lx", (unsigned long)tag);
}

/* Header, size and checksum: what must hold before any section is read. */
static int check_envelope(const unsigned char *data, size_t size, const char *path,
                          lapse_error *err)
{
    const size_t magic_seen = size < sizeof model_magic ? size : sizeof model_magic;
    if (size == 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 0,
                               "not a lapse model: the file is empty");
    if (memcmp(data, model_magic, magic_seen) != 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 0,
                               "not a lapse model (it does not start with the model magic)");
    if (size < HEADER_SIZE)
        return lapse_error_set(err, LAPSE_ERR_TRUNCATED, path, 0, 0, (int64_t)size,
                               "model file truncated: it ends at byte %zu, inside its %d-byte "
                               "header",
                               size, HEADER_SIZE);
    const uint32_t version = load_u32(data + 8);
    if (version == 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 8,
                               "model file has format version 0, which no lapse writes");
    if (version > LAPSE_MODEL_FORMAT_VERSION)
        return lapse_error_set(err, LAPSE_ERR_VERSION, path, 0, 0, 8,
                               "model written by format %lu; this build reads up to %d: use a "
                               "newer lapse",
                               (unsigned long)version, LAPSE_MODEL_FORMAT_VERSION);
    const uint64_t declared = load_u64(data + 12);
    if (declared < HEADER_SIZE + CRC_SIZE)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 12,
                               "model header declares an impossible size of %llu bytes",
                               (unsigned long long)declared);
    if (declared > size)
        return lapse_error_set(err, LAPSE_ERR_TRUNCATED, path, 0, 0, (int64_t)size,
                               "model file truncated: it ends at byte %zu but its header "
                               "declares %llu bytes",
                               size, (unsigned long long)declared);
    if (declared < size)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)declared,
                               "%llu bytes of unexpected data after the end of the model",
                               (unsigned long long)(size - declared));
    const uint32_t stored = load_u32(data + size - CRC_SIZE);
    const uint32_t computed = crc_of(data, size - CRC_SIZE);
    if (stored != computed)
        return lapse_error_set(err, LAPSE_ERR_CHECKSUM, path, 0, 0, (int64_t)(size - CRC_SIZE),
                               "model file corrupted: CRC-32 is %08lx but the contents give "
                               "%08lx",
                               (unsigned long)stored, (unsigned long)computed);
    return LAPSE_OK;
}

/* Finds each section's payload [start, end) and refuses unknown, duplicate
 * and missing ones; seen[i] says whether section i is there. */
static int index_sections(size_t starts[SEC_COUNT], size_t ends[SEC_COUNT], int seen[SEC_COUNT],
                          const unsigned char *data, size_t size, const char *path,
                          lapse_error *err)
{
    const size_t body_end = size - CRC_SIZE;
    const uint32_t version = load_u32(data + 8);
    size_t pos = HEADER_SIZE;
    while (pos < body_end) {
        if (body_end - pos < SECTION_HEADER_SIZE)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)pos,
                                   "model file has %zu stray bytes where a section should start",
                                   body_end - pos);
        const uint32_t tag = load_u32(data + pos);
        const uint64_t length = load_u64(data + pos + 4);
        int section = -1;
        for (int i = 0; i < SEC_COUNT; i++)
            if (section_tags[i] == tag && section_rule(i, version) != SECTION_ABSENT)
                section = i;
        char tag_text[16];
        format_tag(tag_text, sizeof tag_text, tag);
        if (section < 0)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)pos,
                                   "model file has an unknown section %s", tag_text);
        if (seen[section])
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)pos,
                                   "model file has section %s twice", tag_text);
        if (length > body_end - pos - SECTION_HEADER_SIZE)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)pos + 4,
                                   "section %s declares %llu bytes but only %zu remain",
                                   tag_text, (unsigned long long)length,
                                   body_end - pos - SECTION_HEADER_SIZE);
        seen[section] = 1;
        starts[section] = pos + SECTION_HEADER_SIZE;
        ends[section] = starts[section] + (size_t)length;
        pos = ends[section];
    }
    for (int i = 0; i < SEC_COUNT; i++)
        if (!seen[i] && section_rule(i, version) == SECTION_REQUIRED)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)body_end,
                                   "model file has no %s section", section_names[i]);
    return LAPSE_OK;
}

int lapse_model_decode(lapse_model **out, const void *data, size_t size, const char *path,
                       lapse_error *err)
{
    *out = NULL;
    const unsigned char *bytes = data;
    int status = check_envelope(bytes, size, path, err);
    if (status)
        return status;
    if (model_btyd_is_file(bytes, HEADER_SIZE, size - CRC_SIZE))
        return model_btyd_decode(out, bytes, HEADER_SIZE, size - CRC_SIZE, path, err);
    size_t starts[SEC_COUNT], ends[SEC_COUNT];
    int seen[SEC_COUNT] = { 0 };
    status = index_sections(starts, ends, seen, bytes, size, path, err);
    if (status)
        return status;
    lapse_model *m = calloc(1, sizeof *m);
    if (!m)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    /* Errors land in a local struct so that a NULL err still yields the code. */
    lapse_error local = LAPSE_ERROR_INIT;
    for (int i = 0; i < SEC_COUNT && !status; i++) {
        if (!seen[i])
            continue;
        reader r = { bytes, starts[i], ends[i], section_names[i], path, &local };
        status = section_decoders[i](&r, m);
        if (!status && r.pos != r.end)
            status = MALFORMED(&r, r.pos, "section %s has %zu bytes left over", r.section,
                               r.end - r.pos);
    }
    /* Format 4's horizons went with a logistic classifier only. */
    if (!status && lapse_model_band_trees(m) && load_u32(bytes + 8) < 5)
        status = lapse_error_set(&local, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)starts[SEC_HRZN],
                                 "model file of format %lu has horizons over boosted trees, "
                                 "which only format 5 holds",
                                 (unsigned long)load_u32(bytes + 8));
    if (!status && !seen[SEC_VALD] && default_validation(m))
        status = lapse_error_set(&local, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    if (!status) {
        status = lapse_model_validate(m, &local);
        if (status) {
            char message[LAPSE_ERROR_MESSAGE_MAX];
            snprintf(message, sizeof message, "%s", local.message);
            status = lapse_error_set(&local, status == LAPSE_ERR_NOMEM ? status : LAPSE_ERR_FORMAT,
                                     path, 0, 0, -1, "invalid model: %s", message);
        }
    }
    if (status) {
        if (err)
            *err = local;
        lapse_model_free(m);
        return status;
    }
    *out = m;
    return LAPSE_OK;
}

/* A start that no more bytes can mend: not our magic, or a version this
 * build refuses. Reading stops there, so a log or /dev/zero given as a model
 * is refused at once, not read whole (or forever). */
static int hopeless_start(const unsigned char *data, size_t size)
{
    if (memcmp(data, model_magic, size < sizeof model_magic ? size : sizeof model_magic) != 0)
        return 1;
    if (size < 12)
        return 0;
    const uint32_t version = load_u32(data + 8);
    return version == 0 || version > LAPSE_MODEL_FORMAT_VERSION;
}

int lapse_model_load(lapse_model **out, const char *path, lapse_error *err)
{
    *out = NULL;
    /* "-": standard input, read whole like a file (the decoder needs it all). */
    const int is_stdin = strcmp(path, "-") == 0;
    FILE *file = is_stdin ? stdin : fopen(path, "rb");
    if (!file)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open the model: %s",
                               strerror(errno));
    unsigned char *data = NULL;
    size_t size = 0, cap = 0;
    int status = LAPSE_OK;
    for (;;) {
        if (size == cap) {
            const size_t next = cap ? cap * 2 : 1 << 16;
            unsigned char *grown = next > cap ? realloc(data, next) : NULL;
            if (!grown) {
                status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
                break;
            }
            data = grown;
            cap = next;
        }
        const size_t got = fread(data + size, 1, cap - size, file);
        size += got;
        if (got == 0) {
            if (ferror(file))
                status = lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, (int64_t)size,
                                         "cannot read the model: %s", strerror(errno));
            break;
        }
        if (hopeless_start(data, size))
            break;
    }
    if (!is_stdin)
        fclose(file);
    if (status == LAPSE_OK)
        status = lapse_model_decode(out, data, size, path, err);
    free(data);
    return status;
}
