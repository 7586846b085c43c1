/* Training: from feature tables to one model file (lapse/model.h).
 *
 * lapse_train takes a whole feature table (lapse/table.h) and
 *   1. splits its labelled rows (rows with an empty label are ignored) into
 *      a training part and a held-out part, as options.validate says:
 *        LAST_SNAPSHOT  the latest labelled snapshot is held out, earlier
 *                       ones train (the default with two labelled
 *                       snapshots or more);
 *        USERS          a share of users is held out with all their rows
 *                       (no user on both sides): user u is held out when a
 *                       hash of u and the seed, read as a number in [0, 1),
 *                       is below the share (the default, at 0.2, with one
 *                       labelled snapshot, e.g. a table that is not
 *                       lapse's own);
 *        RANDOM         the same draw per (user, snapshot) row;
 *        FILE           the users listed in the first column of a CSV file
 *                       (plain, gzip or zstd; a header user_id is skipped);
 *        ROLLING        rolling origin over the last rolling_folds (K)
 *                       labelled snapshots: fold i holds out snapshot S_i
 *                       and trains on every labelled row before it (rows
 *                       after it take no part), steps 2 to 6 run on each
 *                       fold, and the latest fold (the LAST_SNAPSHOT split)
 *                       gives the model its calibration, tiers and figures
 *                       but the AUC: the model's AUC is the mean of the K
 *                       fold AUCs, and its standard error the next-period
 *                       one, sqrt(max(sd^2, s^2) (1 + 1/K)), with sd the
 *                       fold AUCs' sample standard deviation and s^2 the
 *                       mean of their squared DeLong SEs: how far the
 *                       next snapshot's AUC may lie from the mean, its own
 *                       sampling and the period-to-period spread included
 *                       (sd^2 estimates both; it cannot be below the
 *                       sampling part, hence the max), plus the mean's own
 *                       uncertainty (the 1/K). A user appears in several
 *                       snapshots: a fold validates on users it also
 *                       trained on at earlier dates, never on a training
 *                       row, which is what scoring next month does.
 *      The held-out part needs LAPSE_TRAIN_MIN_VALID_ROWS rows with
 *      LAPSE_TRAIN_MIN_VALID_CLASS churners and as many others;
 *   2. fits the scaler on the training rows: each feature's transform from
 *      the feature registry (lapse/features.h; a name it does not know gets
 *      none), then mean and population sd (sd 0 -> 1); a feature constant
 *      over the training rows gets LAPSE_MODEL_SCALE_DROPPED, so it is 0
 *      for every row then and later, and the default RBF gamma counts only
 *      the others;
 *   3. segments the training rows: k-means (lapse/kmeans.h) on the registry's
 *      profile features with their own standardization (transform, mean,
 *      sd; share_coupon_purchases and spend_per_purchase, which are 0 for
 *      every user without purchases, count half: their scale is 2 sd),
 *      named after the archetypes (lapse_kmeans_name: a name only where the
 *      centre stands out on its dimension, else mixed), with sizes,
 *      centroids in original units and a sampled silhouette. k is given, or
 *      (LAPSE_TRAIN_K_AUTO) the k from 2 to 6 with the highest sampled
 *      silhouette. Without profile features, or when none of them varies
 *      over the training rows, there are no segments (one segment
 *      LAPSE_MODEL_NO_SEGMENT; a warning and report.no_segments say why);
 *   4. fits the classifier on the scaled training rows: L2 logistic
 *      regression on every row, an SVM (lapse/svm.h) on a stratified
 *      subsample of at most max_train rows, optionally after a grid search,
 *      or boosted trees (lapse/gbdt.h) on every row, stopping early on the
 *      held-out part's log loss (refit then grows the rounds kept);
 *   5. calibrates on the held-out part: decision values of its rows, Platt
 *      or isotonic (lapse_calibrate_choose). The validation figures are
 *      honest: each of calib_folds folds of the held-out rows is predicted
 *      by a calibration chosen and fitted on the other folds; the stored
 *      calibration is then fitted on all of them. The AUC comes with its
 *      DeLong standard error;
 *   6. sets risk tiers low, medium, high, critical: at shares of the
 *      calibrated held-out probabilities (PERCENTILE, 0.5, 0.8 and 0.95 by
 *      default; lapse_train_tiers has the exact rule), or at given
 *      probabilities (PROBABILITY);
 *   7. with options.refit (the default), fits the classifier again, with the
 *      C and gamma chosen, on every labelled row (training and held-out),
 *      and keeps the calibration and tiers of step 5 and 6 on the decision
 *      scale: the reported figures stay those of step 5 (the refitted
 *      classifier has no held-out rows left to be measured on);
 *   8. fills the model: meta and feature names from the table, the parts
 *      above, and training metadata (snapshot range, row counts, seed,
 *      options text, validation figures and how they were made).
 * With horizons (options.horizons.n_bands > 0; logistic or gbdt) steps 4, 5
 * and 7 fit a discrete-time hazard model (lapse/hazard.h) instead: each
 * labelled row becomes one person-period per band it is at risk in, up to
 * the band it churned in (its days_to_churn, which the table must have),
 * with the row's scaled features and one 0/1 column per band after the
 * first; one logistic regression (same penalty, the band columns
 * penalised like the features) fits them, and its band weights become the
 * band intercepts; with gbdt the person-periods carry the scaled features
 * and the band number (0 for the first) instead, boosted trees are grown on
 * them as in step 4 (early stopping on a seeded fifth of the periods), and
 * the intercepts are 0. Step 5 calibrates the hazard on the held-out rows'
 * person-periods (cross-fitted there, so a user's periods may sit in
 * different folds), and the figures and tiers are those of p_H, the risk
 * within the last horizon, against "churned within it". Bands a row cannot
 * churn in (lapse_hazard_set_risk) are not fitted: its hazard there is 0. 
 * The same table, options and thread count give a byte-identical model. */
#ifndef LAPSE_TRAIN_H
#define LAPSE_TRAIN_H

#include "lapse/error.h"
#include "lapse/hazard.h"
#include "lapse/metrics.h"
#include "lapse/model.h"
#include "lapse/progress.h"
#include "lapse/table.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The default SVM training subsample: libsvm's RBF training on 20000 rows
 * of about 70 standardized features took 162 s on a busy 2-core machine,
 * and the cost grows with the square of the rows (bench/RESULTS.md,
 * "Train"); 15000 keeps it near a minute and a half. */
#define LAPSE_TRAIN_MAX_TRAIN_DEFAULT 15000

/* The smallest held-out part lapse_train accepts, whatever the split
 * (LAPSE_ERR_RANGE with the counts below it): fewer rows validate and
 * calibrate nothing (5 folds of 2 rows). */
#define LAPSE_TRAIN_MIN_VALID_ROWS 50
#define LAPSE_TRAIN_MIN_VALID_CLASS 10

/* The default held-out share of --validate users and random, and the
 * choice of k by --k auto. */
#define LAPSE_TRAIN_HOLDOUT_DEFAULT 0.2
#define LAPSE_TRAIN_K_AUTO 0
#define LAPSE_TRAIN_K_AUTO_MIN 2
#define LAPSE_TRAIN_K_AUTO_MAX 6

typedef struct {
    lapse_classifier_kind model; /* LOGISTIC, SVM or GBDT */
    uint64_t seed;               /* k-means, subsample, grid, folds and held-out users */
    size_t k;                    /* segments, 1..64 (3), or LAPSE_TRAIN_K_AUTO */
    int kmeans_restarts;         /* k-means++ seedings (4) */
    size_t silhouette_sample;    /* rows for the sampled silhouette (2000) */
    /* SVM */
    lapse_kernel kernel;         /* RBF */
    double C;                    /* > 0 (1) */
    double gamma;                /* RBF width; 0: 1 / n_features */
    int grid;                    /* nonzero: choose an SVM's C and gamma by cross-validation,
                                    or a GBDT's depth and eta (LAPSE_GBDT_GRID_DEPTHS x
                                    LAPSE_GBDT_GRID_ETAS) by the log loss on the early-
                                    stopping rows */
    size_t max_train;            /* training subsample; 0: LAPSE_TRAIN_MAX_TRAIN_DEFAULT */
    /* logistic */
    double l2;                   /* penalty on the weights, >= 0 (1) */
    int calib_folds;             /* folds of the validation rows, >= 2 (5) */
    int threads;                 /* SVM scoring threads, >= 1 (1); BLAS sums stay on one */
    const char *version;         /* stored as the training lapse version; NULL: "unknown" */
    /* validation */
    lapse_validation_kind validate; /* 0: LAST_SNAPSHOT with two labelled snapshots or more,
                                       else USERS */
    double holdout;              /* USERS, RANDOM: the share held out, in (0, 1) (0.2) */
    const char *holdout_file;    /* FILE: CSV whose first column lists the held-out users */
    int refit;                   /* nonzero: refit the classifier on all labelled rows (1) */
    lapse_tier_kind tiers;       /* PERCENTILE (default) or PROBABILITY */
    double tier_cuts[3];         /* strictly increasing in (0, 1): shares (0.5, 0.8, 0.95)
                                    or probabilities */
    /* GBDT (lapse/gbdt.h): early stopping on the held-out part */
    size_t trees;                /* boosting rounds at most, 1..100000 (300) */
    int depth;                   /* max tree depth, 1..16 (6) */
    double eta;                  /* learning rate, in (0, 1] (0.1) */
    /* Several horizons: a hazard model (see above). n_bands 0 (the
     * default): one horizon, the table's label. Only horizons and n_bands
     * are read; the last horizon must not pass the table's. */
    lapse_hazard horizons;
    /* Steps done of the run's steps (segments, the fit, calibration, the
     * refit), after each; or NULL. */
    lapse_progress_fn progress;
    void *progress_user;
    /* ROLLING: the folds K, 2..LAPSE_MODEL_ROLLING_MAX and at most the
     * labelled snapshots less one (3) */
    size_t rolling_folds;
} lapse_train_options;

/* The GBDT grid (--grid): every depth with every learning rate. */
#define LAPSE_GBDT_GRID_DEPTHS { 2, 4, 6, 8 }
#define LAPSE_GBDT_GRID_ETAS { 0.05, 0.1, 0.3 }

#define LAPSE_TRAIN_OPTIONS_INIT                                                                 \
    { LAPSE_CLASSIFIER_LOGISTIC, 1, 3, 4, 2000, LAPSE_KERNEL_RBF, 1.0, 0.0, 0, 0, 1.0, 5, 1,     \
      NULL, 0, LAPSE_TRAIN_HOLDOUT_DEFAULT, NULL, 1, LAPSE_TIERS_PERCENTILE,                     \
      { 0.50, 0.80, 0.95 }, 300, 6, 0.1, { 0 }, NULL, NULL, 3 }

/* One fold of a rolling-origin validation: its held-out snapshot, its
 * rows and its cross-fitted AUC with the DeLong standard error. */
typedef struct {
    int64_t asof;
    size_t train_rows, valid_rows, valid_positives;
    double auc, auc_se;
} lapse_train_fold;

/* What training did, beyond what the model holds. */
typedef struct {
    size_t train_rows, valid_rows;  /* labelled rows used for each */
    size_t unlabelled_rows;         /* rows ignored for an empty label */
    size_t train_snapshots;         /* distinct training asofs */
    int64_t valid_asof;
    size_t train_positives, valid_positives;
    size_t classifier_rows;         /* rows the classifier was fitted on (SVM: the subsample) */
    double C, gamma;                /* SVM parameters used (after --grid) */
    double grid_auc;                /* cross-validated AUC of the chosen pair; NaN without grid */
    int logistic_iterations;        /* Newton steps; 0 for an SVM */
    double platt_log_loss;          /* lapse_calibrate_choose's cross-validated figures on */
    double isotonic_log_loss;       /* all validation rows */
    double classifier_seconds;      /* wall time of the classifier fit (and grid) */
    lapse_metrics_report valid;     /* cross-fitted calibrated validation figures */
    lapse_validation_kind validation; /* the split used (after the default) */
    size_t valid_users;             /* distinct users in the held-out part */
    size_t holdout_file_unknown;    /* FILE: listed users with no labelled row */
    size_t refit_rows;              /* rows of the refitted classifier; 0 without refit */
    size_t constant_features;       /* features constant over the training rows (dropped) */
    size_t gbdt_rounds;             /* GBDT: rounds grown before early stopping */
    size_t gbdt_best_iteration;     /* GBDT: 0-based round kept (validation log loss) */
    int gbdt_depth;                 /* GBDT: the depth and learning rate used (after --grid) */
    double gbdt_eta;
    double grid_logloss;            /* GBDT --grid: the chosen pair's log loss on the early-
                                       stopping rows; NaN without grid */
    size_t hazard_periods;          /* horizons: person-periods the hazard was fitted on */
    size_t hazard_structural;       /* horizons: training rows' bands left out as
                                       structural zeros (lapse/hazard.h, at risk) */
    const char *no_segments;        /* why the model has no segments; NULL when it has */
    double k_silhouette[LAPSE_TRAIN_K_AUTO_MAX + 1]; /* --k auto: silhouette of each k
                                       tried (NaN for others) */
    /* ROLLING (else rolling_folds 0): the folds, oldest first (the last is
     * the split of the fields above), and the summary: mean AUC, the
     * next-period standard error (see ROLLING above), the fold AUCs'
     * sample standard deviation and the root mean square of their SEs */
    size_t rolling_folds;
    lapse_train_fold folds[LAPSE_MODEL_ROLLING_MAX];
    double rolling_auc, rolling_se, rolling_sd, rolling_sampling_se;
} lapse_train_report;

/* Trains a model on table (see above). *out is a new model (free with
 * lapse_model_free), NULL on failure; report may be NULL. Returns 0, or
 *   LAPSE_ERR_ARG    bad options; horizons with another model than
 *                    logistic, on a table without days_to_churn, or past
 *                    the table's label horizon
 *   LAPSE_ERR_RANGE  data training cannot use: no labelled row, one
 *                    labelled snapshot with validate LAST_SNAPSHOT,
 *                    fewer than rolling_folds + 1 with ROLLING, a
 *                    held-out part too small (with the counts), a part
 *                    with a single class, fewer training rows than k, or
 *                    a classifier that could not be fitted
 *   LAPSE_ERR_FORMAT, LAPSE_ERR_IO  the held-out users' file (file, line)
 *   LAPSE_ERR_NOMEM */
int lapse_train(lapse_model **out, lapse_train_report *report, const lapse_table *table,
                const lapse_train_options *opts, lapse_error *err);

/* Decision values f (positive = churn) of the model's classifier for n raw
 * rows (row-major, n_features wide), before calibration. threads: scoring
 * threads for an SVM (>= 1). Returns 0, LAPSE_ERR_NOMEM, or LAPSE_ERR_ARG
 * for trees over horizons, whose decision depends on the band
 * (lapse_model_band_margins). */
int lapse_train_decision(double *out, const lapse_model *model, const double *raw, size_t n,
                         int threads, lapse_error *err);

#define LAPSE_TRAIN_TIERS 4 /* low, medium, high, critical */

/* The percentile tier rule of step 6: sorts the n >= 1 probabilities p in
 * place and writes LAPSE_TRAIN_TIERS - 1 strictly increasing thresholds
 * inside (0, 1): for each share q of shares (LAPSE_TRAIN_TIERS - 1 of them,
 * increasing, e.g. 0.5, 0.8, 0.95), the probability at 0-based rank
 * ceil(q n) of the sorted p (the last when past the end); one not above the
 * previous threshold takes the next larger probability, or halfway from the
 * previous threshold to 1 when there is none; then each is clamped to
 * [1e-6, 1 - 1e-6], and where that breaks the strict increase it is again
 * halfway from the previous one to 1. */
void lapse_train_tiers(double *thresholds, double *p, size_t n, const double *shares);

#ifdef __cplusplus
}
#endif

#endif
