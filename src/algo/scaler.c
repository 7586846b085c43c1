/* Fit, apply and domain check of the feature scaler (lapse/scaler.h). */
#include "lapse/scaler.h"

#include "lapse/error.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

/* Counts and whole days below this take log1p from a table: most raw
 * values of a feature table are such numbers, and log1p is most of a
 * scored row's arithmetic. The table is log1p's own results, so the same
 * bits. */
#define LOG1P_TABLE 4096

static double log1p_table[LOG1P_TABLE];
static pthread_once_t log1p_once = PTHREAD_ONCE_INIT;

static void fill_log1p_table(void)
{
    for (int k = 0; k < LOG1P_TABLE; k++)
        log1p_table[k] = log1p((double)k);
}

/* Whether x is a whole number the table holds (0 of either sign too). */
static inline int in_table(double x)
{
    return x >= 0.0 && x < LOG1P_TABLE && (double)(int)x == x;
}

/* log1p(x); 0 (either sign) is itself. The caller has filled the table. */
static inline double table_log1p(double x)
{
    if (in_table(x)) {
        const int k = (int)x;
        return k ? log1p_table[k] : x;
    }
    return log1p(x);
}

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
    if (transform != LAPSE_TRANSFORM_LOG1P)
        return x;
    pthread_once(&log1p_once, fill_log1p_table);
    return table_log1p(x);
}

double lapse_scaler_value(const lapse_scaler *s, size_t j, double raw)
{
    return (lapse_scaler_transform(s->transform[j], raw) - s->mean[j]) / s->scale[j];
}

void lapse_scaler_apply(const lapse_scaler *s, size_t d, const double *raw, size_t n,
                        double *out)
{
    pthread_once(&log1p_once, fill_log1p_table);
    /* Per row, the transforms first, then the standardisation as a loop the
     * compiler vectorises (the same operations on each value). The last two
     * fractional inputs keep their log1p: a row's money and rate features
     * over several windows (spend over 7, 14, 30, 90 days, events per
     * session) are often the same amounts, interleaved. */
    double in[2] = { NAN, NAN }, log1p_of[2] = { NAN, NAN };
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * d;
        const double *x = raw + i * d;
        for (size_t j = 0; j < d; j++) {
            const double v = x[j];
            if (s->transform[j] != LAPSE_TRANSFORM_LOG1P)
                o[j] = v;
            else if (in_table(v))
                o[j] = table_log1p(v);
            else if (v == in[0]) /* not 0, which is in the table: the same bits */
                o[j] = log1p_of[0];
            else if (v == in[1])
                o[j] = log1p_of[1];
            else {
                in[1] = in[0];
                log1p_of[1] = log1p_of[0];
                in[0] = v;
                o[j] = log1p_of[0] = log1p(v);
            }
        }
        for (size_t j = 0; j < d; j++)
            o[j] = (o[j] - s->mean[j]) / s->scale[j];
    }
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
        /* A branch-free pass over the row; the first bad column only when
         * there is one. */
        int bad = 0;
        for (size_t j = 0; j < d; j++)
            bad |= (s->transform[j] == LAPSE_TRANSFORM_LOG1P) & !(raw[i * d + j] > -1.0);
        for (size_t j = 0; bad && j < d; j++) {
            if (s->transform[j] == LAPSE_TRANSFORM_LOG1P && !(raw[i * d + j] > -1.0)) {
                *row = i;
                *col = j;
                return LAPSE_ERR_RANGE;
            }
        }
    }
    return LAPSE_OK;
}
