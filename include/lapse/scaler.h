/* The feature scaler: x' = (t(x) - mean) / scale per column, where t is the
 * identity or log1p. train fits it on the training rows; train and score
 * apply it through the same functions, so the classifier sees the same
 * numbers at both times. A model holds one over all its features, and its
 * segments one over their profile features. */
#ifndef LAPSE_SCALER_H
#define LAPSE_SCALER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A feature's transform before standardization. */
typedef enum {
    LAPSE_TRANSFORM_NONE = 0,
    LAPSE_TRANSFORM_LOG1P = 1 /* log(1 + x), for counts and money */
} lapse_transform;

/* Per-column arrays. The width is the holder's (a model's n_features), and
 * so is the memory: a scaler in a model is freed with the model. */
typedef struct {
    unsigned char *transform; /* [width] lapse_transform */
    double *mean;             /* [width] */
    double *scale;            /* [width], > 0 */
} lapse_scaler;

/* Allocates zero-filled arrays for width columns (transforms NONE, means
 * and scales 0: fit or fill them). Returns 0, or LAPSE_ERR_NOMEM with what
 * was allocated left for lapse_scaler_clear. */
int lapse_scaler_alloc(lapse_scaler *s, size_t width);

/* Frees the arrays and sets them to NULL; accepts a zeroed scaler. */
void lapse_scaler_clear(lapse_scaler *s);

/* t(x): log1p(x) for LAPSE_TRANSFORM_LOG1P, x otherwise. */
double lapse_scaler_transform(unsigned char transform, double x);

/* The scaled value (t(raw) - mean) / scale of column j. */
double lapse_scaler_value(const lapse_scaler *s, size_t j, double raw);

/* Scales n rows of width d (row-major) into out; out may equal raw. */
void lapse_scaler_apply(const lapse_scaler *s, size_t d, const double *raw, size_t n,
                        double *out);

/* Fits mean and scale of d columns from n rows of x, row i starting at
 * x[i * stride]: column j reads x[i * stride + cols[j]], or x[i * stride + j]
 * when cols is NULL. s->transform must be set. The mean and the population
 * sd of t(x), in two passes; an sd of 0 or not finite (one value, or a
 * constant column) scales by 1. Returns 0, or LAPSE_ERR_RANGE when a mean is
 * not finite (values that sum beyond a double), with *bad the first such
 * column; the other columns are fitted either way. */
int lapse_scaler_fit(lapse_scaler *s, size_t *bad, const double *x, size_t n, size_t stride,
                     const uint32_t *cols, size_t d);

/* The domain check: a value of -1 or below (or NaN) in a log1p column has no
 * transform and would reach the model as NaN. Scans n rows of width d in
 * order. Returns 0, or LAPSE_ERR_RANGE with *row and *col the first such
 * value, for the caller to name in its own terms. */
int lapse_scaler_check(size_t *row, size_t *col, const lapse_scaler *s, size_t d,
                       const double *raw, size_t n);

#ifdef __cplusplus
}
#endif

#endif
