/* BTYD models: their check, and their sections of the model file (layout in
 * include/lapse/model.h), kept apart from the classifier's. */
#include "lapse/churn.h"
#include "lapse/model.h"
#include "lapse/model_btyd.h"

#include "model_io_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...) lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, __VA_ARGS__)

#define TAG(a, b, c, d)                                                                        \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static const uint32_t tag_btyd = TAG('B', 'T', 'Y', 'D'), tag_ggam = TAG('G', 'G', 'A', 'M');

/* Payload sizes: every field is fixed. */
enum { BTYD_PAYLOAD = 1 + 4 + 4 + 8 + 4 * 8 + 4 * 8 + 8 + 4 + 1,
       GGAM_PAYLOAD = 8 + 3 * 8 + 3 * 8 + 8 + 8 + 4 + 1 };

static int check_params(const double *v, const double *se, size_t n, const char *what,
                        lapse_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] > 0) || !isfinite(v[i]))
            return INVALID("%s parameter %zu is %g; it must be finite and > 0", what, i + 1, v[i]);
        if (!isnan(se[i]) && (!(se[i] >= 0) || !isfinite(se[i])))
            return INVALID("%s standard error %zu is %g; it must be finite and >= 0 (or NaN)",
                           what, i + 1, se[i]);
    }
    return LAPSE_OK;
}

int lapse_model_btyd_validate(const lapse_model_btyd *b, lapse_error *err)
{
    if (b->fit.kind != LAPSE_BTYD_BGNBD && b->fit.kind != LAPSE_BTYD_PARETO)
        return INVALID("unknown BTYD model kind %d", (int)b->fit.kind);
    if (b->unit_days != 1 && b->unit_days != 7)
        return INVALID("the BTYD time unit is %lu days; it must be 1 or 7",
                       (unsigned long)b->unit_days);
    if (b->horizon_days > LAPSE_CHURN_MAX_DAYS)
        return INVALID("the BTYD churn horizon is %lu days; at most %d",
                       (unsigned long)b->horizon_days, LAPSE_CHURN_MAX_DAYS);
    if (b->customers == 0)
        return INVALID("the BTYD model was fitted on no customers");
    int status = check_params(b->fit.params, b->fit.se, 4, "BTYD", err);
    if (status)
        return status;
    if (!isfinite(b->fit.log_likelihood))
        return INVALID("the BTYD log-likelihood is not finite");
    if (!b->has_gamma_gamma)
        return LAPSE_OK;
    const lapse_gammagamma_fit_result *g = &b->gamma_gamma;
    status = check_params(g->params, g->se, 3, "Gamma-Gamma", err);
    if (status)
        return status;
    if (!(g->params[1] > 1))
        return INVALID("Gamma-Gamma's q is %g; at most 1, the mean spend is infinite",
                       g->params[1]);
    if (g->n_used == 0 || !isfinite(g->log_likelihood))
        return INVALID("Gamma-Gamma was fitted on no repeat buyers or has no finite "
                       "log-likelihood");
    if (!isnan(g->corr_x_m) && !(fabs(g->corr_x_m) <= 1))
        return INVALID("Gamma-Gamma's correlation %g is outside [-1, 1]", g->corr_x_m);
    return LAPSE_OK;
}

int lapse_model_btyd_create(lapse_model **out, const lapse_model_btyd *btyd, lapse_error *err)
{
    *out = NULL;
    const int status = lapse_model_btyd_validate(btyd, err);
    if (status)
        return status;
    lapse_model *m = calloc(1, sizeof *m);
    lapse_model_btyd *copy = malloc(sizeof *copy);
    if (!m || !copy) {
        free(m);
        free(copy);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    *copy = *btyd;
    m->btyd = copy;
    *out = m;
    return LAPSE_OK;
}

void model_btyd_put(writer *w, const lapse_model_btyd *b)
{
    put_u8(w, b->fit.kind == LAPSE_BTYD_PARETO);
    put_u32(w, b->unit_days);
    put_u32(w, b->horizon_days);
    put_u64(w, b->customers);
    put_f64s(w, b->fit.params, 4);
    put_f64s(w, b->fit.se, 4);
    put_f64(w, b->fit.log_likelihood);
    put_u32(w, (uint32_t)b->fit.iterations);
    put_u8(w, b->fit.converged != 0);
}

void model_btyd_encode(writer *w, const lapse_model_btyd *b)
{
    put_u32(w, tag_btyd);
    put_u64(w, BTYD_PAYLOAD);
    model_btyd_put(w, b);
    if (!b->has_gamma_gamma)
        return;
    const lapse_gammagamma_fit_result *g = &b->gamma_gamma;
    put_u32(w, tag_ggam);
    put_u64(w, GGAM_PAYLOAD);
    put_u64(w, g->n_used);
    put_f64s(w, g->params, 3);
    put_f64s(w, g->se, 3);
    put_f64(w, g->log_likelihood);
    put_f64(w, g->corr_x_m);
    put_u32(w, (uint32_t)g->iterations);
    put_u8(w, g->converged != 0);
}

int model_btyd_is_file(const unsigned char *data, size_t body, size_t body_end)
{
    if (body_end - body < 4)
        return 0;
    const unsigned char *p = data + body;
    return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
            (uint32_t)p[3] << 24) == tag_btyd;
}

static int get_flag(reader *r, int *out)
{
    unsigned v;
    if (get_u8(r, &v))
        return LAPSE_ERR_FORMAT;
    if (v > 1)
        return MALFORMED(r, r->pos - 1, "section %s has %u where 0 or 1 belongs", r->section, v);
    *out = (int)v;
    return LAPSE_OK;
}

static int get_f64_array(reader *r, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (get_f64(r, &out[i]))
            return LAPSE_ERR_FORMAT;
    return LAPSE_OK;
}

static int get_count(reader *r, int *out)
{
    uint32_t v;
    if (get_u32(r, &v))
        return LAPSE_ERR_FORMAT;
    *out = v > INT32_MAX ? INT32_MAX : (int)v;
    return LAPSE_OK;
}

int model_btyd_get(reader *r, lapse_model_btyd *b)
{
    int pareto = 0;
    if (get_flag(r, &pareto) || get_u32(r, &b->unit_days) || get_u32(r, &b->horizon_days) ||
        get_u64(r, &b->customers) || get_f64_array(r, b->fit.params, 4) ||
        get_f64_array(r, b->fit.se, 4) || get_f64(r, &b->fit.log_likelihood) ||
        get_count(r, &b->fit.iterations) || get_flag(r, &b->fit.converged))
        return LAPSE_ERR_FORMAT;
    b->fit.kind = pareto ? LAPSE_BTYD_PARETO : LAPSE_BTYD_BGNBD;
    return LAPSE_OK;
}

static int decode_ggam(reader *r, lapse_model_btyd *b)
{
    lapse_gammagamma_fit_result *g = &b->gamma_gamma;
    uint64_t n_used;
    if (get_u64(r, &n_used) || get_f64_array(r, g->params, 3) || get_f64_array(r, g->se, 3) ||
        get_f64(r, &g->log_likelihood) || get_f64(r, &g->corr_x_m) ||
        get_count(r, &g->iterations) || get_flag(r, &g->converged))
        return LAPSE_ERR_FORMAT;
    g->n_used = (size_t)n_used;
    b->has_gamma_gamma = 1;
    return LAPSE_OK;
}

/* Walks the sections: BTYD once and first, GGAM at most once, nothing else. */
static int decode_sections(lapse_model_btyd *b, reader *list)
{
    int seen_btyd = 0;
    while (list->pos < list->end) {
        const size_t at = list->pos;
        uint32_t tag;
        uint64_t length;
        if (list->end - at < 12)
            return MALFORMED(list, at, "model file has %zu stray bytes where a section should "
                                       "start",
                             list->end - at);
        get_u32(list, &tag);
        get_u64(list, &length);
        const int is_btyd = tag == tag_btyd, is_ggam = tag == tag_ggam;
        if (!is_btyd && !is_ggam)
            return MALFORMED(list, at, "a BTYD model file has a section other than BTYD and "
                                       "GGAM (0x%08lx)",
                             (unsigned long)tag);
        if (is_btyd == seen_btyd)
            return MALFORMED(list, at, is_btyd ? "model file has section \"BTYD\" twice"
                                               : "section \"GGAM\" comes before \"BTYD\"");
        if (is_ggam && b->has_gamma_gamma)
            return MALFORMED(list, at, "model file has section \"GGAM\" twice");
        if (length > list->end - list->pos)
            return MALFORMED(list, at + 4, "section %s declares %llu bytes but only %zu remain",
                             is_btyd ? "BTYD" : "GGAM", (unsigned long long)length,
                             list->end - list->pos);
        reader r = { list->data, list->pos, list->pos + (size_t)length,
                     is_btyd ? "BTYD" : "GGAM", list->path, list->err };
        const int status = is_btyd ? model_btyd_get(&r, b) : decode_ggam(&r, b);
        if (status)
            return status;
        if (r.pos != r.end)
            return MALFORMED(&r, r.pos, "section %s has %zu bytes left over", r.section,
                             r.end - r.pos);
        seen_btyd = 1;
        list->pos = r.end;
    }
    return LAPSE_OK;
}

int model_btyd_decode(lapse_model **out, const unsigned char *data, size_t body, size_t body_end,
                      const char *path, lapse_error *err)
{
    *out = NULL;
    const uint32_t version = (uint32_t)data[8] | (uint32_t)data[9] << 8 |
                             (uint32_t)data[10] << 16 | (uint32_t)data[11] << 24;
    if (version < 3)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 8,
                               "model file of format %lu has a BTYD section, which needs 3",
                               (unsigned long)version);
    lapse_model_btyd b;
    memset(&b, 0, sizeof b);
    lapse_error local = LAPSE_ERROR_INIT;
    reader list = { data, body, body_end, "list", path, &local };
    int status = decode_sections(&b, &list);
    if (!status) {
        status = lapse_model_btyd_create(out, &b, &local);
        if (status == LAPSE_ERR_ARG) {
            char message[LAPSE_ERROR_MESSAGE_MAX];
            snprintf(message, sizeof message, "%s", local.message);
            status = lapse_error_set(&local, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                                     "invalid model: %s", message);
        }
    }
    if (status && err)
        *err = local;
    return status;
}
