/* Gradient-boosted trees through XGBoost's C API (Debian libxgboost-dev).
 *
 * Training: binary:logistic, tree_method hist, one thread and a fixed seed,
 * so the same rows and options give the same model bytes. With validation
 * rows it stops early: after each round the validation log loss is read,
 * and when it has not improved for LAPSE_GBDT_EARLY_STOP rounds (or the
 * rounds run out) the booster is cut back to the best round. Without
 * validation rows it grows exactly `trees` rounds.
 *
 * XGBoost's model is its own JSON serialization (XGBoosterSaveModelToBuffer,
 * format "json"; its floats are written so they read back bit for bit).
 * JSON rather than XGBoost's binary UBJ, though that is half the size,
 * because lapse can check JSON with yajl before XGBoost reads it
 * (lapse_gbdt_check): XGBoost's readers trust their bytes. lapse scores
 * with its own flat trees (lapse/trees.h), converted from that JSON by
 * lapse_gbdt_import without XGBoost; the JSON rides along in the model file
 * for `lapse model export --xgboost`. XGBoost itself serves training, that
 * export's round trip, and the reference lapse's evaluator is measured and
 * tested against (lapse_gbdt_margin, lapse_gbdt_contribs). The decision
 * value is the margin (log-odds before the sigmoid), in float as XGBoost
 * computes it. NaN in a row is a missing value: the tree sends it down the
 * default direction it learned. */
#ifndef LAPSE_GBDT_H
#define LAPSE_GBDT_H

#include "lapse/error.h"
#include "lapse/trees.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_GBDT_EARLY_STOP 20 /* rounds without a better validation log loss */

/* A model file keeps the sha256 of the booster bytes beside them: a
 * corrupted copy is refused with that reason before anything parses the
 * bytes. A file made to match (as a fuzzer does) meets lapse_gbdt_check. */
#define LAPSE_GBDT_DIGEST_SIZE 32

/* The sha256 of n model bytes. */
void lapse_gbdt_digest(unsigned char digest[LAPSE_GBDT_DIGEST_SIZE], const unsigned char *model,
                       size_t n);

typedef struct {
    size_t trees;  /* boosting rounds at most, >= 1 (300) */
    int depth;     /* max_depth, 1..16 (6) */
    double eta;    /* learning rate, in (0, 1] (0.1) */
    uint64_t seed; /* XGBoost's seed (1) */
} lapse_gbdt_options;

#define LAPSE_GBDT_OPTIONS_INIT { 300, 6, 0.1, 1 }

typedef struct {
    size_t rounds;         /* rounds grown before stopping */
    size_t best_iteration; /* 0-based; the model keeps rounds 0..best_iteration */
    double best_logloss;   /* validation log loss there; NaN without validation rows */
} lapse_gbdt_info;

/* Trains on n rows x (row-major, d wide, NaN missing) with 0/1 labels y;
 * xv, yv, nv the validation rows for early stopping (nv 0: none). *model
 * is a malloc'd JSON buffer of *size bytes. Returns 0, LAPSE_ERR_ARG for bad
 * options, LAPSE_ERR_RANGE when XGBoost fails (its message), or
 * LAPSE_ERR_NOMEM. */
int lapse_gbdt_train(unsigned char **model, size_t *size, lapse_gbdt_info *info, const double *x,
                     const int *y, size_t n, size_t d, const double *xv, const int *yv, size_t nv,
                     const lapse_gbdt_options *opts, lapse_error *err);

/* XGBoost's JSON (lapse_gbdt_check'd first) as lapse's flat trees in *out
 * (lapse_trees_free releases them): a gbtree binary:logistic model on d
 * features; thresholds become lapse_trees_boundary of XGBoost's float32
 * ones, nodes are renumbered breadth first from each root (nodes XGBoost
 * deleted are dropped), the base margin is XGBoost's ProbToMargin of its
 * base_score. Returns 0, LAPSE_ERR_FORMAT naming the tree and node, or
 * LAPSE_ERR_NOMEM. */
int lapse_gbdt_import(lapse_trees *out, const unsigned char *model, size_t size, size_t d,
                      lapse_error *err);

/* Whether XGBoost's JSON converts (lapse_gbdt_import) to exactly the trees
 * t, as it must before it is exported. Returns 0, LAPSE_ERR_FORMAT or
 * LAPSE_ERR_NOMEM. */
int lapse_gbdt_matches(const unsigned char *model, size_t size, size_t d, const lapse_trees *t,
                       lapse_error *err);

/* A booster loaded for prediction. */
typedef struct lapse_gbdt lapse_gbdt;

/* Refuses a model XGBoost must not read (src/algo/gbdt_check.c has the
 * rules: well-formed JSON, counts bounded by the size, child links forward
 * and inside each tree, splits on features below d, numerical splits).
 * Returns 0 or LAPSE_ERR_FORMAT with the byte it concerns. */
int lapse_gbdt_check(const unsigned char *model, size_t size, size_t d, lapse_error *err);

/* Checks (lapse_gbdt_check) and loads a model on d features. Returns 0
 * or LAPSE_ERR_FORMAT (the check's or XGBoost's message) for bytes refused
 * or a model of another feature count; *rounds (may be NULL) gets its
 * boosted rounds. threads: XGBoost's nthread for predictions (>= 1). */
int lapse_gbdt_load(lapse_gbdt **out, size_t *rounds, const unsigned char *model, size_t size,
                    size_t d, int threads, lapse_error *err);

void lapse_gbdt_free(lapse_gbdt *g); /* accepts NULL */

/* Margins of n rows (d wide) into out[n]. Returns 0 or LAPSE_ERR_RANGE. */
int lapse_gbdt_margin(lapse_gbdt *g, double *out, const double *x, size_t n, lapse_error *err);

/* Exact per-feature contributions to the margin (TreeSHAP, XGBoost's
 * pred_contribs): n rows of d + 1 values, the last the bias; each row sums
 * to its margin. Returns 0 or LAPSE_ERR_RANGE. */
int lapse_gbdt_contribs(lapse_gbdt *g, double *out, const double *x, size_t n, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
