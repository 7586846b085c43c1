/* Turning classifier scores into probabilities that match observed rates.
 *
 * Fitted on a held-out set (train's validation period): Platt's sigmoid
 * P(churn | f) = 1 / (1 + exp(a f + b)), or isotonic regression (a
 * nondecreasing step fit, applied with linear interpolation between its
 * breakpoints). lapse_calibrate_choose picks isotonic only where it wins on
 * cross-validated log loss.
 *
 * lapse_calibration is a plain struct so the model file can store and load
 * it field by field; its arrays are malloc'd and owned by the struct. */
#ifndef LAPSE_CALIBRATE_H
#define LAPSE_CALIBRATE_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_CALIBRATE_NONE = 0,
    LAPSE_CALIBRATE_PLATT = 1,
    LAPSE_CALIBRATE_ISOTONIC = 2
} lapse_calibrate_kind;

typedef struct {
    lapse_calibrate_kind kind;
    double a, b;   /* Platt: P = 1 / (1 + exp(a f + b)); a < 0 when higher f means churn */
    size_t points; /* isotonic: breakpoints (f strictly increasing, p nondecreasing in [0, 1]) */
    double *x;     /* points scores, owned */
    double *y;     /* points probabilities, owned */
} lapse_calibration;

#define LAPSE_CALIBRATION_INIT { LAPSE_CALIBRATE_NONE, 0.0, 0.0, 0, NULL, NULL }

/* Frees the breakpoints and resets cal to LAPSE_CALIBRATION_INIT. Accepts NULL. */
void lapse_calibrate_clear(lapse_calibration *cal);

/* The functions below that fill `out` expect it to be LAPSE_CALIBRATION_INIT
 * or a previous calibration, which they free; on failure out is left
 * cleared. y[i] is 1 for a churner, 0 otherwise (nonzero counts as 1). */

/* Platt scaling by the Newton method with backtracking of Lin, Lin and Weng
 * (2007), "A note on Platt's probabilistic outputs for support vector
 * machines": targets smoothed with prior counts, (n+ + 1) / (n+ + 2) and
 * 1 / (n- + 2), so separable scores still give finite a and b. n >= 1;
 * LAPSE_ERR_ARG for n == 0 or a non-finite score. */
int lapse_calibrate_platt(lapse_calibration *out, const double *f, const int *y, size_t n,
                          lapse_error *err);

/* Isotonic regression by pool-adjacent-violators: the nondecreasing step
 * function of f closest to y in squared error. Tied scores are pooled first.
 * Breakpoints are the first and last score of each constant block.
 * Allocates (LAPSE_ERR_NOMEM); LAPSE_ERR_ARG for n == 0 or a non-finite score. */
int lapse_calibrate_isotonic(lapse_calibration *out, const double *f, const int *y, size_t n,
                             lapse_error *err);

/* Isotonic calibration from stored breakpoints (copied), e.g. read from a
 * model file. LAPSE_ERR_FORMAT unless points >= 1, x strictly increasing and
 * finite, y nondecreasing within [0, 1]. */
int lapse_calibrate_set_isotonic(lapse_calibration *out, const double *x, const double *y,
                                 size_t points, lapse_error *err);

/* Probabilities for n scores. Isotonic interpolates linearly between
 * breakpoints and holds the end values outside them; NONE maps a score to
 * itself clamped to [0, 1]. out may alias f. Thread-safe (read-only cal). */
void lapse_calibrate_apply(double *out, const lapse_calibration *cal, const double *f, size_t n);

typedef struct {
    int folds;     /* k in k-fold; at least 2 */
    uint64_t seed; /* fold assignment */
} lapse_calibrate_options;

#define LAPSE_CALIBRATE_OPTIONS_INIT { 5, 1 }

typedef struct {
    double platt_log_loss;    /* cross-validated mean log loss */
    double isotonic_log_loss;
} lapse_calibrate_choice;

/* The method the two cross-validated log losses choose: 1 isotonic (lower
 * than Platt's), 0 Platt (lower or equal). A figure that is NaN or infinite
 * loses to a finite one; -1 when neither is finite. */
int lapse_calibrate_pick(double platt_log_loss, double isotonic_log_loss);

/* Fits Platt and isotonic on k-1 folds and scores the held-out fold, for
 * each fold (rows shuffled with the seed); the method lapse_calibrate_pick
 * chooses is refitted on all rows into out. info may be NULL. LAPSE_ERR_ARG
 * for folds < 2 or n == 0; LAPSE_ERR_RANGE with fewer than 2 rows per fold
 * (n < 2 * folds) or when neither loss is finite. */
int lapse_calibrate_choose(lapse_calibration *out, lapse_calibrate_choice *info, const double *f,
                           const int *y, size_t n, const lapse_calibrate_options *opts,
                           lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
