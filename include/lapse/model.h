/* A trained model: everything score needs, in one binary file.
 *
 * A model bundles the feature schema and churn definition it was trained on,
 * the per-feature scaler, the segments (k-means centroids with names), the
 * churn classifier (logistic regression, an SVM or boosted trees), the probability
 * calibration, the risk tiers, and what it was trained on and how well it
 * validated. The struct is plain data: train fills it, score reads it.
 *
 * File layout (format version 5; versions 1 to 4 still load). Every
 * section is required except LABL, as follows: version 1 has no LABL and
 * no VALD, version 2 requires LABL and has no VALD, versions 3 and 4
 * require VALD and have LABL exactly when the labels came from a file, ENCD
 * exactly when it was trained on a table of one's own; versions 4 and 5
 * have flat trees in a GBDT classifier's payload (CLSF below), HRZN exactly
 * when the model answers several horizons and STCK exactly when it is
 * stacked on a BTYD model; version 5 is version 4 where HRZN may also go
 * with a GBDT classifier (trees over horizons: they split on one feature
 * more, the band). The writer uses the lowest version that holds the model:
 * 5 for trees over horizons, 4 for the other models with horizons, trees or
 * STCK, 3 for any other, so older builds still read what they could; a
 * version-4 file with HRZN and trees is refused. A BTYD model is
 * version 3 with sections of its own (below). A model read
 * from version 1 or 2 gets what VALD would say of it: validation on the last
 * snapshot, no refit, no AUC standard error, and percentile tiers at 0.5,
 * 0.8 and 0.95 when it has four tiers (as every trained one had), else
 * probability tiers at its thresholds. Every integer is little-endian whatever
 * the host; a double is its IEEE-754 binary64 bit pattern as a u64 (NaN is
 * always written as 0x7ff8000000000000); a string is a u32 byte length and
 * that many bytes, without a terminator. Nothing else is written: no
 * padding, no timestamps, no pointers, so the same model gives the same
 * bytes.
 *
 *   offset  size  field
 *   0       8     magic: 89 4c 50 53 4d 44 4c 0a ("\x89LPSMDL\n")
 *   8       4     u32 format version (LAPSE_MODEL_FORMAT_VERSION)
 *   12      8     u64 size of the whole file in bytes, checksum included
 *   20      ...   sections, each: u32 tag, u64 payload length, payload
 *   size-4  4     u32 CRC-32 (zlib crc32) of bytes [0, size-4)
 *
 * The magic and the version are the only fixed part: a reader checks them
 * first and refuses a newer version before it looks at anything else. Every
 * section below appears at most once (as the version says), in any order; an unknown tag is
 * refused (a newer writer bumps the version instead). Tags are four ASCII
 * letters read as a little-endian u32 ("META" is 0x4154454d). Payloads:
 *
 *   META  u32 table format version, u32 churn key mask, u32 silent days,
 *         u32 horizon days, u8 cancel_is_churn, u64 schema hash
 *   FEAT  u32 n_features, n_features strings (feature names, in table order)
 *   SCAL  u32 n_features, n_features u8 transforms, n_features f64 means,
 *         n_features f64 scales
 *   SEGM  u32 k, u32 n_profile (0, with k 1, for no segments), n_profile
 *         u32 feature indices, n_profile u8 transforms, n_profile f64 means, n_profile f64 scales,
 *         k*n_profile f64 centroids (standardized, row-major),
 *         k*n_profile f64 centroids in original units, k u64 sizes,
 *         k strings (segment names), f64 silhouette
 *   CLSF  u8 kind, then for LOGISTIC: u32 n_features, n_features f64
 *         weights, f64 bias; for SVM: u8 kernel, f64 gamma, f64 rho,
 *         u32 n_sv, u32 n_features, n_sv*n_features f64 support vectors
 *         (row-major), n_sv f64 coefficients; for GBDT: u32 n_features,
 *         u32 trees (the most rounds asked for), u32 depth, f64 eta, u32
 *         best iteration (0-based: the model holds rounds 0 to it), then
 *         (version 4 and 5) lapse's flat trees (lapse/trees.h): f64 base margin,
 *         u32 n_trees (best iteration + 1), n_trees u32 node counts, then
 *         every tree's nodes, root first, each: u32 left, u32 right (node
 *         numbers within the tree, after the node's own; 0 and 0 for a
 *         leaf), u32 feature (below n_features; with HRZN, n_features is
 *         the band number, 0 for the first band), u8 default_left (1: a missing value goes
 *         left), f64 value (a split's threshold: left when x' < it; a
 *         leaf's value), f64 cover (the training hessian sum at the node,
 *         TreeSHAP's weights); then u64 n bytes (0 when absent), n bytes
 *         of XGBoost's own JSON model of the same trees (lapse/gbdt.h,
 *         kept for lapse model export, which checks they convert to
 *         exactly these trees), 32 bytes: their sha256. Version 3 has no
 *         flat trees: its XGBoost bytes, checked against their sha256,
 *         are converted to them on load (lapse_gbdt_import, without
 *         XGBoost). Trees are refused, naming the tree and node, when
 *         lapse_trees_check refuses them: a NaN or infinite threshold, a
 *         child link backwards (a cycle), outside its tree or to a node
 *         with another parent, a feature out of range, a leaf value or
 *         base margin beyond float32 (the margin is a float32 sum, as
 *         XGBoost's), a cover that is not finite, a split's cover not its
 *         children's sum, a tree deeper than 64; and when their count is
 *         not the best iteration + 1, or XGBoost's bytes differ from their
 *         sha256.
 *         The float32 thresholds of score --fast are not stored: they are
 *         found at load (lapse_forest_compile)
 *   CALB  u8 kind, then for PLATT: f64 A, f64 B; for ISOTONIC: u32 n,
 *         n f64 x, n f64 y
 *   TIER  u32 n_tiers, n_tiers-1 f64 thresholds, n_tiers strings
 *   TRAI  i64 first asof, i64 last asof, u64 train rows, u64 validation
 *         rows, u64 seed, string options, string lapse version, f64 AUC,
 *         f64 PR-AUC, f64 log loss, f64 Brier, f64 ECE
 *   LABL  (version 2 only, and there required) string: the sha256 of the
 *         label file the training labels came from (lapse extract --labels),
 *         64 lower-case hex digits
 *   VALD  (version 3, required) u8 validation kind (1 last snapshot, 2
 *         users, 3 random, 4 file, 5 rolling), f64 held-out share (users
 *         and random; rolling: the folds K; NaN otherwise), u8 refit (1:
 *         the classifier was refitted on every labelled row), f64 standard
 *         error of the AUC (DeLong, rolling: next-period, see
 *         lapse/train.h; NaN when not measured), u8 tier kind, n_tiers-1 f64
 *         shares of percentile tiers (probability tiers: their thresholds
 *         again)
 *   ENCD  (version 3, optional) the table of one's own the model was trained
 *         on (lapse/foreign.h): u8 format (1 CSV, 2 libsvm), string id
 *         column ("" for numbered rows), string label column, string
 *         positive label value ("" for 0/1 labels), u32 n_columns, then per
 *         column: string name, u8 kind (1 number, 2 levels, 3 dropped), u8
 *         has_missing, f64 impute value, u32 n_levels, n_levels strings
 *         (levels, in strcmp order). Its feature names must be FEAT's.
 *   HRZN  (version 4 and 5, optional) the horizons of a discrete-time
 *         hazard model (lapse/hazard.h; CLSF then LOGISTIC, or in version
 *         5 also GBDT, whose trees take the band number as feature
 *         n_features; CALB the hazard's calibration): u32 n_bands, n_bands
 *         u32 horizons (days, increasing, the last at most META's
 *         horizon), n_bands f64 band intercepts (the first 0; with GBDT
 *         all 0), u8 risk rule (0 every band at risk,
 *         1 silence), then for silence: u32 silent days, u32 label
 *         horizon, u32 n_key, n_key u32 feature indices (days since the
 *         last event of each key category)
 *   STCK  (version 4 and 5, optional) a classifier stacked on a BTYD model
 *         (lapse train --with-btyd; lapse/model_btyd.h): the payload of a
 *         BTYD section (below; its horizon is META's), then f64 fill (the
 *         feature where the model gives no prediction), f64 validation AUC
 *         without the feature and f64 its DeLong standard error (NaN: not
 *         measured). FEAT's last name is btyd_p_no_purchase, and META's
 *         schema hash is that of the other names
 *
 * A section whose payload is not consumed exactly is refused. After the
 * structure, the loader checks the contents with lapse_model_validate.
 *
 * A BTYD model (lapse/model_btyd.h: btyd set, no classifier) is format 3
 * and holds only these sections, BTYD first, GGAM when Gamma-Gamma was
 * fitted (0 and 1 are false and true; a NaN standard error was not
 * estimable):
 *
 *   BTYD  u8 kind (0 BG/NBD, 1 Pareto/NBD), u32 unit days (1 or 7), u32
 *         churn horizon days (0: fitted on a summary table), u64 customers,
 *         4 f64 parameters (r, alpha, a, b or r, alpha, s, beta), 4 f64
 *         standard errors, f64 log-likelihood, u32 objective evaluations,
 *         u8 converged
 *   GGAM  u64 repeat buyers used, 3 f64 parameters (p, q, v), 3 f64
 *         standard errors, f64 log-likelihood, f64 correlation of frequency
 *         and mean spend, u32 objective evaluations, u8 converged */
#ifndef LAPSE_MODEL_H
#define LAPSE_MODEL_H

#include "lapse/error.h"
#include "lapse/foreign.h"
#include "lapse/hazard.h"
#include "lapse/scaler.h"
#include "lapse/schema.h"
#include "lapse/trees.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_MODEL_FORMAT_VERSION 5

/* Longest feature, segment or tier name, and longest free text, in bytes. */
#define LAPSE_MODEL_NAME_MAX LAPSE_FEATURE_NAME_MAX
#define LAPSE_MODEL_TEXT_MAX 4096

/* Most folds of a rolling-origin validation (lapse train --validate
 * rolling:K): two years of monthly snapshots. */
#define LAPSE_MODEL_ROLLING_MAX 24

/* A BTYD model's parameters (lapse/model_btyd.h). */
typedef struct lapse_model_btyd lapse_model_btyd;
/* A classifier's stacked BTYD feature (lapse/model_btyd.h). */
typedef struct lapse_model_stack lapse_model_stack;

typedef enum {
    LAPSE_CLASSIFIER_LOGISTIC = 1,
    LAPSE_CLASSIFIER_SVM = 2,
    LAPSE_CLASSIFIER_GBDT = 3 /* gradient-boosted trees (lapse/gbdt.h) */
} lapse_classifier_kind;

typedef enum {
    LAPSE_KERNEL_LINEAR = 0, /* K(u, v) = u.v */
    LAPSE_KERNEL_RBF = 1     /* K(u, v) = exp(-gamma |u - v|^2) */
} lapse_kernel;

typedef enum { LAPSE_CALIBRATION_PLATT = 1, LAPSE_CALIBRATION_ISOTONIC = 2 } lapse_calibration_kind;

/* Which rows validated the model (lapse train --validate). */
typedef enum {
    LAPSE_VALIDATION_LAST_SNAPSHOT = 1, /* the latest labelled snapshot */
    LAPSE_VALIDATION_USERS = 2,         /* a seeded share of users, all their snapshots */
    LAPSE_VALIDATION_RANDOM = 3,        /* a seeded share of rows */
    LAPSE_VALIDATION_FILE = 4,          /* the users a file lists */
    LAPSE_VALIDATION_ROLLING = 5        /* the last K snapshots in turn, each on those before */
} lapse_validation_kind;

/* How the tier thresholds were set (lapse train --tiers). */
typedef enum {
    LAPSE_TIERS_PERCENTILE = 1, /* at shares of the validation probabilities */
    LAPSE_TIERS_PROBABILITY = 2 /* at given probabilities */
} lapse_tier_kind;

/* The one segment of a model without segments (no profile feature, or
 * profile features without variance): every user is in it, and the action
 * rules' "*" rows decide for it. */
#define LAPSE_MODEL_NO_SEGMENT "none"

/* The scale of a feature that was constant over the training rows: it
 * carries nothing the model could use, and any later value of it scales to
 * (nearly exactly) 0, so it is as good as dropped (an SVM's RBF distances
 * would otherwise count its raw deviations at scoring time). */
#define LAPSE_MODEL_SCALE_DROPPED 1e300
/* k-means segments on a few profile features with their own
 * standardization: z_j = (t_j(x[profile[j]]) - mean_j) / scale_j, where x is
 * the raw feature row (transform, mean and scale read as a lapse_scaler). A
 * user's segment is the nearest centroid to z. n_profile 0 (then k is 1 and
 * the name LAPSE_MODEL_NO_SEGMENT) is a model without segments. */
typedef struct {
    size_t k;                        /* >= 1 */
    size_t n_profile;                /* >= 1, or 0 without segments */
    uint32_t *profile;               /* [n_profile] feature indices, distinct */
    unsigned char *transform;        /* [n_profile] lapse_transform */
    double *mean;                    /* [n_profile] */
    double *scale;                   /* [n_profile], > 0 */
    double *centroids;               /* [k * n_profile], standardized, row-major */
    double *centroids_original;      /* [k * n_profile], in the features' own units */
    uint64_t *sizes;                 /* [k] training rows per segment */
    char **names;                    /* [k] distinct, e.g. "price-sensitive" */
    double silhouette;               /* sampled silhouette; NaN when not measured */
} lapse_model_segments;

/* The decision f(x') on the scaled row; f > 0 means churn.
 *   LOGISTIC: f = weights . x' + bias
 *   SVM:      f = sum_i coef[i] K(sv_i, x') - rho
 *   GBDT:     f = the trees' margin (log-odds) on x' */
typedef struct {
    lapse_classifier_kind kind;
    double *weights; /* LOGISTIC: [n_features]; NULL for SVM */
    double bias;     /* LOGISTIC */
    lapse_kernel kernel; /* SVM */
    double gamma;        /* SVM RBF; 0 for LINEAR */
    double rho;          /* SVM */
    size_t n_sv;         /* SVM: >= 1 */
    double *sv;          /* SVM: [n_sv * n_features], scaled space, row-major */
    double *coef;        /* SVM: [n_sv] */
    lapse_trees forest;     /* GBDT: the trees in lapse's own layout, what scores */
    unsigned char *booster; /* GBDT: [booster_size] XGBoost's JSON of the same trees, for
                               export; NULL when absent */
    size_t booster_size;    /* GBDT: 0 when absent */
    uint32_t trees, depth;  /* GBDT: rounds asked for, max depth */
    uint32_t best_iteration; /* GBDT: 0-based, < trees */
    double eta;             /* GBDT: learning rate */
    unsigned char booster_sha256[32]; /* GBDT: of the booster bytes */
} lapse_model_classifier;

/* Decision f -> calibrated churn probability p.
 *   PLATT:    p = 1 / (1 + exp(a f + b))
 *   ISOTONIC: piecewise linear through (x[i], y[i]), flat outside [x[0],
 *             x[n-1]]; x strictly increasing, y non-decreasing in [0, 1]. */
typedef struct {
    lapse_calibration_kind kind;
    double a, b;  /* PLATT */
    size_t n;     /* ISOTONIC: >= 1 */
    double *x, *y; /* ISOTONIC: [n] */
} lapse_model_calibration;

/* Risk tiers from lowest to highest: tier i holds probabilities in
 * [thresholds[i-1], thresholds[i]), the first from 0 and the last to 1.
 * E.g. names low, medium, high, critical with thresholds 0.2, 0.4, 0.7.
 * kind says how the thresholds were set: at given probabilities
 * (PROBABILITY: the thresholds are the cut-offs, cuts is not read), or at
 * shares of the validation probabilities (PERCENTILE: cuts holds them). */
typedef struct {
    size_t n_tiers;     /* >= 1 */
    double *thresholds; /* [n_tiers - 1], strictly increasing, inside (0, 1) */
    char **names;       /* [n_tiers], distinct */
    lapse_tier_kind kind;
    double *cuts;       /* [n_tiers - 1] PERCENTILE: strictly increasing, inside (0, 1) */
} lapse_model_tiers;

/* What the model was trained on and how it validated. The figures are
 * cross-fitted on the held-out rows; NaN when not measured. With refit the
 * classifier saw train_rows + valid_rows rows, else train_rows. ROLLING:
 * auc is the mean of the K folds' AUCs and auc_se its next-period standard
 * error (lapse/train.h), the other figures and the row counts the latest
 * fold's (the one that chose calibration and tiers). */
typedef struct {
    int64_t first_asof, last_asof; /* snapshot range, UTC seconds */
    uint64_t train_rows, valid_rows; /* the training and the held-out part */
    uint64_t seed;
    char *options;       /* e.g. "svm rbf C=2 gamma=0.05 max_train=20000"; may be "" */
    char *lapse_version; /* the lapse that trained it, e.g. "0.1.0" */
    double auc, pr_auc, log_loss, brier, ece;
    double auc_se;                    /* DeLong standard error of auc */
    lapse_validation_kind validation; /* which rows were held out */
    double holdout;                   /* USERS and RANDOM: the share; ROLLING: the folds K
                                         (2 or more); NaN otherwise */
    int refit;                        /* 1: classifier refitted on all labelled rows */
} lapse_model_training;

/* Every pointer is owned by the model: allocated with malloc (or by
 * lapse_model_create) and released by lapse_model_free. */
typedef struct {
    lapse_table_meta meta; /* churn definition and schema hash of the features */
    size_t n_features;     /* >= 1 */
    char **feature_names;  /* [n_features], distinct, no ',' or control characters */
    lapse_scaler scaler;   /* [n_features] wide; the classifier sees its x' */
    lapse_model_segments segments;
    lapse_model_classifier classifier;
    lapse_model_calibration calibration;
    lapse_model_tiers tiers;
    lapse_model_training training;
    /* Trained on a foreign table (lapse/foreign.h): how its columns become
     * the features, whose names it makes; NULL for a lapse feature table.
     * meta then holds the default churn definition, which means nothing. */
    lapse_foreign_encoding *encoding;
    lapse_model_btyd *btyd; /* a BTYD model: set, and every part above empty; else NULL */
    /* Several horizons (lapse train --horizons): the bands, their intercepts
     * and who is at risk in them (lapse/hazard.h); the classifier's decision
     * is shared by every band and the calibration gives each band's hazard.
     * NULL for a model of one horizon. */
    lapse_hazard *hazard;
    /* Stacked on a BTYD model (lapse train --with-btyd): the last feature is
     * the BTYD probability of no purchase, computed at scoring time
     * (lapse/model_btyd.h); meta's schema hash is that of the other
     * features, the table's. NULL otherwise. */
    lapse_model_stack *stack;
} lapse_model;

/* The sizes lapse_model_create allocates for. n_sv is used only for an SVM,
 * n_breakpoints only for ISOTONIC calibration. */
typedef struct {
    size_t n_features;
    size_t k, n_profile;
    lapse_classifier_kind classifier;
    size_t n_sv;
    lapse_calibration_kind calibration;
    size_t n_breakpoints;
    size_t n_tiers;
} lapse_model_shape;

/* Allocates a model with every array of the given shape zero-filled (name
 * and text pointers NULL, for the caller to fill with malloc'd strings),
 * counts and kinds set, the validation figures and silhouette NaN, and meta
 * set to the current table format with LAPSE_CHURN_DEF_INIT; validation on
 * the last snapshot without refit, probability tiers (the thresholds as
 * set; train makes them percentile tiers). n_profile may be 0
 * only with k 1 (no segments). Returns 0,
 * LAPSE_ERR_ARG for a zero count or an unknown kind, or LAPSE_ERR_NOMEM.
 * Free with lapse_model_free. */
int lapse_model_create(lapse_model **out, const lapse_model_shape *shape, lapse_error *err);

void lapse_model_free(lapse_model *model); /* accepts NULL */

/* Checks that the model is complete and consistent: non-zero counts, arrays
 * present, names non-empty, distinct and printable, every number finite (the
 * figures and silhouette may be NaN), scales > 0, profile indices in range,
 * the schema hash equal to lapse_schema_hash of the feature names, a valid
 * churn definition, isotonic breakpoints ordered, tier thresholds (and
 * percentile tiers' shares) strictly increasing inside (0, 1), known validation and tier kinds, 1970 <= first asof <= last asof < 2200. Returns 0 or
 * LAPSE_ERR_ARG naming the first problem. */
int lapse_model_validate(const lapse_model *model, lapse_error *err);

/* Encodes a valid model as the bytes of a model file into a malloc'd buffer
 * (*out, *size; the caller frees *out). Returns 0, LAPSE_ERR_ARG when the
 * model does not validate, or LAPSE_ERR_NOMEM. */
int lapse_model_encode(unsigned char **out, size_t *size, const lapse_model *model,
                       lapse_error *err);

/* Validates, encodes and writes the model to path atomically (lapse_outfile).
 * Returns 0, LAPSE_ERR_ARG, LAPSE_ERR_NOMEM or LAPSE_ERR_IO. */
int lapse_model_save(const lapse_model *model, const char *path, lapse_error *err);

/* Decodes a model file held in memory. On success *out is a new model (free
 * with lapse_model_free); on failure *out is NULL and err says what is
 * wrong, with err->offset the byte it concerns:
 *   LAPSE_ERR_FORMAT    not a lapse model (bad magic), a malformed,
 *                       unknown, duplicate or missing section, or contents
 *                       that do not validate
 *   LAPSE_ERR_VERSION   written by a newer format than this build reads
 *   LAPSE_ERR_TRUNCATED the data ends before the size its header declares
 *   LAPSE_ERR_CHECKSUM  the CRC-32 does not match
 *   LAPSE_ERR_NOMEM
 * path only labels the error; it may be NULL. */
int lapse_model_decode(lapse_model **out, const void *data, size_t size, const char *path,
                       lapse_error *err);

/* Reads and decodes the model file at path ("-": all of standard input,
 * which is left open): lapse_model_decode's codes, and LAPSE_ERR_IO when
 * the file cannot be read. */
int lapse_model_load(lapse_model **out, const char *path, lapse_error *err);

/* Compares a feature table's column names with the model's features.
 * Returns 0, or LAPSE_ERR_SCHEMA naming the first difference: the 1-based
 * position with the name the model expects and the name found, or the
 * first missing or extra feature. */
int lapse_model_check_features(const lapse_model *model, const char *const *names, size_t n,
                               lapse_error *err);

/* Compares a feature table's header with the model's: the churn definition
 * field by field (key events, silent days, horizon, churn kind), then the
 * schema hash. Returns 0 or LAPSE_ERR_SCHEMA naming the field that differs
 * and both values. */
int lapse_model_check_meta(const lapse_model *model, const lapse_table_meta *meta,
                           lapse_error *err);

/* The segment (index into segments.names) of each of n raw rows: the
 * nearest centroid to the row's standardized profile features. */
void lapse_model_segment_rows(const lapse_model *model, const double *raw, size_t n,
                              size_t *segment);

/* The risk tier (0 = lowest) of a calibrated probability. */
size_t lapse_model_tier(const lapse_model *model, double probability);

/* The calibrated churn probability of a decision value (see
 * lapse_model_calibration). */
double lapse_model_calibrate(const lapse_model *model, double decision);

/* A model with horizons (model->hazard set): the hazard of each band
 * (hazard, OUT, n_bands) of a raw row, where it is at risk the calibration
 * of the band's decision, else 0 (lapse/hazard.h): with a logistic
 * classifier (band_margin NULL) decision + the band's intercept, with trees
 * band_margin[b] (lapse_model_band_margins). lapse_hazard_curve turns them
 * into p_h. */
void lapse_model_hazards(const lapse_model *model, double *hazard, const double *raw_row,
                         double decision, const double *band_margin);

/* Whether the model is boosted trees over horizons, whose decision is one
 * per band (lapse_model_band_margins), the band a feature of the trees. */
int lapse_model_band_trees(const lapse_model *model);

/* The features a model's boosted trees split on: n_features, and with
 * horizons one more after them, the band number (lapse/hazard.h). */
size_t lapse_model_tree_features(const lapse_model *model);

/* A model with horizons and trees: the band whose margin is a row's
 * decision (score's decision column and the band its reasons explain): the
 * last band the row is at risk in, or the last band when it is at risk in
 * none. */
size_t lapse_model_decision_band(const lapse_model *model, const double *raw_row);

/* Scratch bytes lapse_model_band_margins needs for n rows. */
size_t lapse_model_band_scratch(const lapse_model *model, size_t n);

/* A model with horizons and trees: for each of n rows (raw, and scaled by
 * the model's scaler; d = n_features wide) the trees' margin with each band
 * the row is at risk in and with its decision band, as out[i * n_bands + b]
 * (NaN in the other bands). Only those person-periods are walked, in one
 * call of the evaluator: with risk SILENCE one per row, as a model of one
 * horizon. forest: the model's trees compiled on
 * lapse_model_tree_features features; fast and forest_scratch as
 * lapse_forest_margin's. */
void lapse_model_band_margins(const lapse_model *model, const lapse_forest *forest, double *out,
                              const double *raw, const double *scaled, size_t n, int fast,
                              void *scratch, void *forest_scratch);

#ifdef __cplusplus
}
#endif

#endif
