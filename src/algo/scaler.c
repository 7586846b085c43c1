/* Fit, apply and domain check of the feature scaler (lapse/scaler.h). */
#include "lapse/scaler.h"

#include "lapse/error.h"

#include <math.h>
#include <stdlib.h>

int lapse_scaler_alloc(lapse_scaler *s, size_t width)
{
    const size_t n = width ? width : 1; /* calloc(0) may return NULL */
    s->transform = calloc(n, 1);
    s->mean = calloc(n, sizeof *s->mean);
    s->scale = calloc(n, sizeof *s->scale);
    return s->transform && s->mean && s->scale ? LAPSE_OK : LAPSE_ERR_NOMEM;
}

void lapse_scaler_clear(lapse_scaler *s)
{
    free(s->transform);
    free(s->mean);
    free(s->scale);
    s->transform = NULL;
    s->mean = s->scale = NULL;
}

double lapse_scaler_transform(unsigned char transform, double x)
{
    return transform == LAPSE_TRANSFORM_LOG1P ? log1p(x) : x;
}

double lapse_scaler_value(const lapse_scaler *s, size_t j, double raw)
{
    return (lapse_scaler_transform(s->transform[j], raw) - s->mean[j]) / s->scale[j];
}

void lapse_scaler_apply(const lapse_scaler *s, size_t d, const double *raw, size_t n,
                        double *out)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            out[i * d + j] = lapse_scaler_value(s, j, raw[i * d + j]);
}

int lapse_scaler_fit(lapse_scaler *s, size_t *bad, const double *x, size_t n, size_t stride,
                     const uint32_t *cols, size_t d)
{
    int rc = LAPSE_OK;
    for (size_t j = 0; j < d; j++) {
        const size_t col = cols ? cols[j] : j;
        const unsigned char t = s->transform[j];
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += lapse_scaler_transform(t, x[i * stride + col]);
        const double m = n ? sum / (double)n : 0;
        /* Two passes: one pass's sum of squares loses the sd of large values. */
        double ss = 0;
        for (size_t i = 0; i < n; i++) {
            const double v = lapse_scaler_transform(t, x[i * stride + col]) - m;
            ss += v * v;
        }
        const double sd = n ? sqrt(ss / (double)n) : 0;
        s->mean[j] = m;
        s->scale[j] = sd > 0 && isfinite(sd) ? sd : 1.0;
        if (!isfinite(m) && rc == LAPSE_OK) {
            *bad = j;
            rc = LAPSE_ERR_RANGE;
        }
    }
    return rc;
}

int lapse_scaler_check(size_t *row, size_t *col, const lapse_scaler *s, size_t d,
                       const double *raw, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            if (s->transform[j] == LAPSE_TRANSFORM_LOG1P && !(raw[i * d + j] > -1.0)) {
                *row = i;
                *col = j;
                return LAPSE_ERR_RANGE;
            }
        }
    }
    return LAPSE_OK;
}
