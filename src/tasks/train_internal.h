/* Internal to lapse_train: the split of a table into training rows and
 * held-out rows (train_split.c). */
#ifndef LAPSE_TRAIN_INTERNAL_H
#define LAPSE_TRAIN_INTERNAL_H

#include "lapse/calibrate.h"
#include "lapse/svm.h"
#include "lapse/train.h"
#include "strmap.h"

typedef struct {
    size_t *train, *valid;    /* table row numbers, in table order */
    size_t n_train, n_valid, unlabelled, snapshots_train;
    size_t valid_users;       /* distinct users held out */
    size_t file_unknown;      /* FILE: listed users with no labelled row */
    lapse_validation_kind kind;
    int64_t first_asof;       /* the first labelled snapshot */
    int64_t valid_asof;       /* the last one (LAST_SNAPSHOT, ROLLING: the held-out one) */
    size_t fold;              /* ROLLING: this fold, 0 the oldest */
} train_split;

/* Splits the labelled rows of t as o->validate says (its default resolved;
 * ROLLING: its latest fold, the LAST_SNAPSHOT split), and checks that the
 * held-out part can validate: LAPSE_TRAIN_MIN_VALID_ROWS rows with
 * LAPSE_TRAIN_MIN_VALID_CLASS of each class, else LAPSE_ERR_RANGE with the
 * counts. Also LAPSE_ERR_RANGE for no labelled row, no training row, one
 * snapshot with --validate last-snapshot, fewer than o->rolling_folds + 1
 * with rolling; the holdout file's errors (file, line); LAPSE_ERR_NOMEM.
 * Free with train_split_free, also on failure. */
int train_split_rows(train_split *s, const lapse_table *t, const lapse_train_options *o,
                     lapse_error *err);

/* The same for fold 0 .. o->rolling_folds - 1 of ROLLING (oldest first):
 * the held-out snapshot is the (rolling_folds - fold)-th latest labelled
 * one, the training rows every labelled row before it. */
int train_split_fold(train_split *s, const lapse_table *t, const lapse_train_options *o,
                     size_t fold, lapse_error *err);

void train_split_free(train_split *s);

/* The held-out users' file of --validate file: (plain, gzip or zstd CSV):
 * the first field of each row is a user id (1 to LAPSE_TABLE_USER_ID_MAX
 * bytes), other fields are ignored, a first row "user_id" is a header. *out
 * is a new map of the distinct ids (free with lapse_strmap_free). Returns
 * 0, LAPSE_ERR_FORMAT (file, line, column: a bad id, a field over
 * LAPSE_TABLE_FIELD_MAX bytes, malformed CSV, no id at all), the input
 * layer's errors, or LAPSE_ERR_NOMEM. */
int train_holdout_read(lapse_strmap **out, const char *path, lapse_error *err);

/* "last-snapshot", "users:0.2", "random:0.1", "file:held.csv",
 * "rolling:3" into buf. */
void train_split_describe(char *buf, size_t size, const lapse_train_options *o,
                          lapse_validation_kind kind, const char *file);

/* Cross-fitted probabilities of n decisions f with labels y (train.c):
 * fold k predicted by a calibration chosen and fitted on the other folds
 * (stratified folds drawn with the seed). Returns 0, lapse_calibrate_choose's
 * errors or LAPSE_ERR_NOMEM. */
int train_cross_fit(double *p, const double *f, const int *y, size_t n, int folds, uint64_t seed,
                    lapse_error *err);

/* The model's calibration becomes a copy of cal (train.c). */
int train_set_calibration(lapse_model *m, const lapse_calibration *cal, lapse_error *err);

/* The classifier, fitted on scaled training rows. */
typedef struct {
    lapse_classifier_kind kind;
    double *w, bias;          /* logistic */
    lapse_svm_model svm;      /* SVM */
    unsigned char *booster;   /* GBDT: XGBoost JSON bytes */
    size_t booster_size, best_iteration, trees;
    int depth;
    double eta;
} classifier;

/* Fits o->model on n scaled rows x (d wide) with labels y into c (train.c).
 * active: the features that vary over the training rows, for the default
 * RBF gamma 1 / active (the dropped ones are 0 in every row). stop_early:
 * GBDT chooses its rounds on a seeded fifth of the rows, else grows
 * o->trees. */
int train_fit_classifier(classifier *c, lapse_train_report *r, const double *x, const int *y,
                         size_t n, size_t d, size_t active, int stop_early,
                         const lapse_train_options *o, lapse_error *err);

/* The hazard model of --horizons (train_hazard.c; lapse/train.h says what
 * it fits). */

/* The horizons of o, their risk rule set from t's churn definition and
 * features, intercepts 0. LAPSE_ERR_ARG when t has no days_to_churn or the
 * last horizon passes t's label horizon. */
int train_hazard_prepare(lapse_hazard *hz, const lapse_table *t, const lapse_train_options *o,
                         lapse_error *err);

/* Fits the hazard on the person-periods of the table rows rows[0..n),
 * whose scaled features are x (n x t->n_features, in that order), into c
 * (OUT; the caller frees its arrays) and hz->offset: logistic, the shared
 * weights and bias with band intercepts; gbdt, trees on the features and
 * the band number (train_fit_classifier; active and stop_early as there),
 * intercepts 0. Sets the report's person-period counts and the fit's own
 * figures. LAPSE_ERR_RANGE when the person-periods hold one class, the
 * fit's errors, NOMEM. */
int train_hazard_fit(classifier *c, lapse_hazard *hz, lapse_train_report *r,
                     const lapse_table *t, const size_t *rows, const double *x, size_t n,
                     size_t active, int stop_early, const lapse_train_options *o,
                     lapse_error *err);

/* Validation of a hazard model m (classifier and m->hazard set) on the
 * held-out table rows rows[0..n) with raw features raw: the report's
 * figures from cross-fitted hazards, the calibration chosen on all their
 * person-periods into m, and p (OUT, n) each row's p_H under it. */
int train_hazard_validate(lapse_model *m, lapse_train_report *r, const lapse_table *t,
                          const size_t *rows, const double *raw, size_t n, double *p,
                          const lapse_train_options *o, lapse_error *err);

#endif
