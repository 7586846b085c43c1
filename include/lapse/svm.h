/* Churn classifiers from libsvm: C-SVC training on dense rows, and the
 * trained model as plain arrays a file can hold.
 *
 * Rows are row-major doubles, x[i * d + j], labels y[i] in {0, 1} (1 =
 * churn). Training wraps libsvm (svm_train) rather than re-implementing it,
 * so lapse's model equals what `svm-train` makes from the same rows and
 * parameters. libsvm's probability estimates (-b 1) are not used:
 * probabilities come from calibration on a later period.
 *
 * Sign convention. libsvm's decision value is for its label[0] against
 * label[1], and label[0] is whichever class its training data met first. A
 * lapse_svm_model is normalised so that
 *
 *     f(x) = sum_i coef[i] * K(sv_i, x) - rho
 *
 * is positive for churn (label 1) whatever the row order, with
 * K(u, v) = exp(-gamma * |u - v|^2) (RBF) or u.v (linear). */
#ifndef LAPSE_SVM_H
#define LAPSE_SVM_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct svm_model; /* libsvm's, from <svm.h> */

typedef enum { LAPSE_SVM_RBF = 0, LAPSE_SVM_LINEAR = 1 } lapse_svm_kernel;

/* A trained binary classifier as plain arrays, normalised as above. Every
 * pointer is owned by the struct and released by lapse_svm_model_free(). */
typedef struct {
    lapse_svm_kernel kernel;
    size_t d;       /* features per row */
    size_t n_sv;    /* support vectors; churn ones (coef > 0) first */
    size_t n_sv_churn; /* how many of them have coef > 0 (class 1) */
    double gamma;   /* RBF width; unused (0) for the linear kernel */
    double rho;
    double *sv;     /* n_sv x d, row-major */
    double *coef;   /* n_sv: y_i * alpha_i with y = +1 for churn */
    /* The training row (index into the caller's x) of each support vector,
     * or NULL. Filled by lapse_svm_train() for diagnostics and tests; a
     * model read back from a file need not have it. */
    size_t *sv_row;
} lapse_svm_model;

#define LAPSE_SVM_MODEL_INIT { LAPSE_SVM_RBF, 0, 0, 0, 0.0, 0.0, NULL, NULL, NULL }

/* Releases the arrays and resets *model to LAPSE_SVM_MODEL_INIT. Accepts
 * NULL. */
void lapse_svm_model_free(lapse_svm_model *model);

/* Training options. Start from LAPSE_SVM_OPTIONS_INIT so new fields get
 * their defaults. */
typedef struct {
    lapse_svm_kernel kernel; /* RBF */
    double C;                /* 1 */
    double gamma;            /* 0: 1 / d */
    /* C for class c is C * weight[c]; 0 for both: balanced against the
     * imbalance of the rows used, n / (2 n_c), as scikit-learn's
     * class_weight="balanced". */
    double weight[2];
    double cache_mb; /* libsvm's kernel cache, 200 */
    double eps;      /* stopping tolerance, 1e-3 as svm-train */
    int shrinking;   /* 1 */
    uint64_t seed;   /* subsample and cross-validation folds */
    /* At most this many rows (a stratified, seeded subsample); 0 = all. */
    size_t max_train;
} lapse_svm_options;

#define LAPSE_SVM_OPTIONS_INIT { LAPSE_SVM_RBF, 1.0, 0.0, { 0.0, 0.0 }, 200.0, 1e-3, 1, 1, 0 }

/* What training did, for train's report and the model's metadata. */
typedef struct {
    size_t rows_used;    /* after the subsample */
    size_t rows_used_churn;
    double C, gamma;     /* gamma 0 for the linear kernel */
    double weight[2];    /* the class weights applied */
    size_t n_sv;
} lapse_svm_train_info;

/* Trains a C-SVC on n rows of d features. Rows are subsampled to
 * opts->max_train first (stratified, seeded), so two calls with the same
 * rows and options give the same model. Both classes must be present.
 * opts may be NULL for the defaults; info may be NULL.
 *
 * On success *out owns its arrays (free with lapse_svm_model_free()), with
 * sv_row set. Returns 0, LAPSE_ERR_ARG for invalid options (libsvm's
 * svm_check_parameter() is consulted too) or labels other than 0/1 or a
 * single class, LAPSE_ERR_RANGE for a non-finite value in x (err->line is
 * the row, err->column the feature, 1-based), LAPSE_ERR_LIMIT for more rows
 * or features than libsvm's int indices hold, or LAPSE_ERR_NOMEM. */
int lapse_svm_train(lapse_svm_model *out, lapse_svm_train_info *info, const double *x,
                    const int *y, size_t n, size_t d, const lapse_svm_options *opts,
                    lapse_error *err);

/* A stratified sample of at most max rows: each class keeps its share
 * (rounded, at least one row of a class that has any), chosen uniformly
 * with a generator seeded by seed. Writes the chosen row numbers in
 * increasing order to idx (room for min(n, max) entries) and their count to
 * *count. max = 0 or max >= n takes every row. Returns 0 or LAPSE_ERR_ARG
 * for a label other than 0/1. */
int lapse_svm_subsample(size_t *idx, size_t *count, const int *y, size_t n, size_t max,
                        uint64_t seed, lapse_error *err);

/* Grid search over C and gamma by stratified k-fold cross-validation,
 * scored by the AUC of the held-out decision values. */
typedef struct {
    const double *C;     /* NULL: 0.25, 1, 4, 16 */
    size_t n_C;
    /* gamma as multiples of 1 / d; NULL: 0.25, 1, 4. Ignored (one value)
     * for the linear kernel. */
    const double *gamma_scale;
    size_t n_gamma;
    int folds;           /* 3 */
    size_t max_rows;     /* subsample first, 4000; 0 = all */
} lapse_svm_grid_options;

#define LAPSE_SVM_GRID_OPTIONS_INIT { NULL, 0, NULL, 0, 3, 4000 }

typedef struct {
    double C, gamma; /* the best pair (ties go to the first in grid order) */
    double auc;      /* its cross-validated AUC */
    size_t rows_used;
} lapse_svm_grid_result;

/* Searches with the other settings (kernel, weights, eps, seed, ...) taken
 * from opts; opts->C and opts->gamma are ignored. Copy out->C and out->gamma
 * into the options for the final lapse_svm_train(). Returns as
 * lapse_svm_train(), and LAPSE_ERR_ARG when a fold would lack a class. */
int lapse_svm_grid_search(lapse_svm_grid_result *out, const double *x, const int *y, size_t n,
                          size_t d, const lapse_svm_options *opts,
                          const lapse_svm_grid_options *grid, lapse_error *err);

/* Packs a binary C-SVC libsvm model (from svm_train or svm_load_model) with
 * labels {0, 1} into *out, densifying support vectors to d features and
 * flipping signs where libsvm's label[0] is 0. sv_row is filled from the
 * model's sv_indices when it has them (1-based problem rows, mapped through
 * rows when rows is non-NULL, else minus one), else left NULL. Returns 0,
 * LAPSE_ERR_ARG for a model of another kind (multi-class, another kernel,
 * a feature index above d) or LAPSE_ERR_NOMEM. */
int lapse_svm_pack(lapse_svm_model *out, const struct svm_model *model, size_t d,
                   const size_t *rows, lapse_error *err);

/* Builds a libsvm model from a packed one, for svm_predict_values() (or
 * svm_save_model()): labels {1, 0} so libsvm's decision value has the same
 * sign as f(x); zero features are left out of the sparse vectors as libsvm
 * does. *out is laid out as svm_load_model() lays out its models, so
 * lapse_svm_unpacked_free() and libsvm's svm_free_and_destroy_model() both
 * release it. Returns 0, LAPSE_ERR_ARG for an inconsistent model, or
 * LAPSE_ERR_NOMEM. */
int lapse_svm_unpack(struct svm_model **out, const lapse_svm_model *model, lapse_error *err);

/* Releases a model from lapse_svm_unpack(). Accepts NULL. */
void lapse_svm_unpacked_free(struct svm_model *model);

#ifdef __cplusplus
}
#endif

#endif
