/* Scoring: a saved model applied to users, and a list a campaign can act on.
 *
 * For each raw feature row x (a feature table's columns, in the model's
 * order) lapse_score_rows computes:
 *   - x' = the model's scaler applied to x, and the decision f(x') of its
 *     classifier (logistic, an SVM through lapse/svmscore.h: one GEMM per
 *     block of rows against all support vectors, or boosted trees through
 *     lapse's own evaluator on the scorer's threads, lapse/trees.h);
 *   - p_churn = the model's calibration of f, and its risk tier; for a model
 *     with horizons (lapse/hazard.h) the risk p_h within each horizon,
 *     p_churn = p_H the last one, and churn_by: the first day on which the
 *     cumulative risk reaches the warning threshold, the lower bound of the
 *     second-highest risk tier (so churn_by is set exactly on the rows given
 *     the response "warning" by their tier): with churn = silence the day the
 *     user's silence reaches silent_days, else spread as a constant daily
 *     hazard within each band (lapse_hazard_churn_by);
 *   - the segment (nearest k-means centroid on the profile features);
 *   - days_silent (the `days_silent` feature) and the response level
 *     (lapse/actions.h: warning for users in the two highest risk tiers,
 *     silent-7d and silent-14d by days silent), beside the risk tier;
 *   - the value tier (lapse_value_tier_of on days_since_purchase,
 *     purchases_total and spend_total) and the value at risk, p_churn x
 *     spend_90 (money spent in the 90 days before asof);
 *   - up to three reasons: the features pushing this user's risk up most,
 *     as contributions c_j = g_j x'_j, largest positive first. g is the
 *     gradient of f at x': the weights for a logistic model or a linear SVM
 *     (so c_j are the exact additive parts of f - bias, relative to the
 *     training mean, where x' = 0), and for an RBF SVM the local gradient
 *         g = -2 gamma sum_i coef_i K(sv_i, x') (x' - sv_i),
 *     a first-order (gradient x input) attribution around the training
 *     mean. It is computed in single precision per block of rows: one SGEMM
 *     for the kernel values and one for sum_i coef_i K_i sv_i; reasons are a
 *     ranking, and rounding can only reorder near-ties;
 *     for boosted trees, c_j is the exact TreeSHAP contribution of feature
 *     j to the margin (lapse/trees.h; XGBoost's pred_contribs to 1e-5);
 *   - the warning trigger (lapse/triggers.h): the strongest of the named
 *     changes in behaviour (payment stopped, social gone, logins falling,
 *     ...) that fires on x, if any;
 *   - the suggested action: the action rules (lapse/actions.h) applied to
 *     the trigger, the segment's name and the value tier.
 * A model without the days_silent, value or spend_90 features leaves the
 * matching outputs unknown (NaN, -1) and picks the action for a low value.
 *
 * Threads split each call's rows into fixed blocks, and every row's
 * arithmetic is the same whichever thread runs it, so results do not depend
 * on the thread count. OpenBLAS runs single-threaded meanwhile (restored
 * after). */
#ifndef LAPSE_SCORE_H
#define LAPSE_SCORE_H

#include "lapse/actions.h"
#include "lapse/error.h"
#include "lapse/extract.h"
#include "lapse/model.h"
#include "lapse/progress.h"
#include "lapse/triggers.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_SCORE_REASONS 3
#define LAPSE_SCORE_MAX_THREADS 1024

/* The CSV header of lapse_score_table and lapse_score_logs output. */
#define LAPSE_SCORE_HEADER                                                                       \
    "user_id,asof,p_churn,risk_tier,response,segment,days_silent,value_tier,value_at_risk,"     \
    "reason_1,reason_2,reason_3,trigger,action,label"

typedef struct {
    int threads;          /* worker threads; 0 = one per online CPU; 1 */
    int single_precision; /* --fast: SVM kernel in single precision; trees' float32
                             thresholds, the same decisions (else, warned, double); 0 */
    int reasons;          /* reasons per row, 0..LAPSE_SCORE_REASONS; 3 */
    size_t block_rows;    /* rows per work block; 0 = 256 */
    lapse_value_rule value;
    lapse_silence_stages stages;
    const lapse_action_rules *rules; /* borrowed; NULL = lapse_action_rules_default() */
} lapse_score_options;

#define LAPSE_SCORE_OPTIONS_INIT                                                                 \
    { 1, 0, LAPSE_SCORE_REASONS, 0, LAPSE_VALUE_RULE_INIT, LAPSE_SILENCE_STAGES_INIT, NULL }

/* One scored row. response and action are borrowed from lapse/actions.h and
 * the scorer's rules: valid while those rules are (with the default rules,
 * while the scorer is). */
typedef struct {
    double decision;    /* f(x'); > 0 leans to churn */
    double p_churn;     /* calibrated probability of churn within the horizon */
    size_t risk_tier;   /* index into model->tiers.names */
    const char *response; /* response level (lapse_response_level), or NULL */
    size_t segment;     /* index into model->segments.names */
    double days_silent; /* NaN when the model has no days_silent feature */
    int value_tier;     /* a lapse_value_tier, or -1 when the model lacks its features */
    double value_at_risk; /* p_churn x spend_90; NaN without spend_90 */
    int reason[LAPSE_SCORE_REASONS]; /* feature indices, largest push first; -1 = none */
    int trigger;        /* a lapse_trigger, or -1 when none fires */
    const char *action;
    /* A model with horizons (lapse/hazard.h): p_h for each horizon, the
     * last equal to p_churn, and churn_by: the first day on which the
     * cumulative risk reaches the warning threshold (0: not within the last
     * horizon). Unset for other models. */
    double p_horizon[LAPSE_HAZARD_MAX_BANDS];
    int churn_by;
} lapse_score_result;

typedef struct lapse_scorer lapse_scorer;

/* Prepares to score with model, which is borrowed: it (and opts->rules)
 * must outlive the scorer. opts may be NULL for the defaults. Returns 0,
 * LAPSE_ERR_ARG for options out of range or a model that does not validate,
 * or LAPSE_ERR_NOMEM. */
int lapse_score_create(lapse_scorer **out, const lapse_model *model,
                       const lapse_score_options *opts, lapse_error *err);

void lapse_score_free(lapse_scorer *scorer); /* accepts NULL */

/* The model a scorer was made with. */
const lapse_model *lapse_score_model(const lapse_scorer *scorer);

/* The contributions of the last lapse_score_rows call's rows: n rows of
 * n_features + 1 (the features, then the bias), summing to the decision.
 * NULL unless the model is boosted trees scored with reasons. Valid until
 * the next call. */
const double *lapse_score_contribs(const lapse_scorer *scorer);

/* Scores n raw rows (row-major, model->n_features wide) into out[0..n), in
 * input order. A stacked model's last column is its BTYD feature, which the
 * caller fills (lapse_model_stack_fill); score's table and log paths do. One scorer serves one call at a time. Returns 0 or
 * LAPSE_ERR_NOMEM (scratch grows with n; a caller streaming batches of a
 * fixed size allocates once). */
int lapse_score_rows(lapse_scorer *scorer, lapse_score_result *out, const double *raw, size_t n,
                     lapse_error *err);

typedef enum {
    LAPSE_SCORE_ORDER_INPUT, /* rows as they come */
    LAPSE_SCORE_ORDER_RISK,  /* p_churn, highest first */
    LAPSE_SCORE_ORDER_VALUE  /* value_at_risk, highest first (unknown last) */
} lapse_score_order;

/* How scored rows are written. Ties in an order keep input order. */
typedef struct {
    lapse_score_order order; /* INPUT */
    /* Only the top rows in order (RISK when order is INPUT), kept in a
     * bounded heap; 0 = every row. */
    size_t top;
    size_t batch_rows; /* rows read and scored at a time; 0 = 2048 */
    /* Boosted trees with reasons: after the usual columns, every feature's
     * TreeSHAP contribution to the decision (contrib_NAME, in the model's
     * feature order) and the bias (contrib_bias), as numbers
     * (lapse/numtext.h); they sum to the margin. 0 */
    int contribs;
    lapse_progress_fn progress; /* rows scored so far (total -1), per batch; or NULL */
    void *progress_user;
} lapse_score_output;

#define LAPSE_SCORE_OUTPUT_INIT { LAPSE_SCORE_ORDER_INPUT, 0, 0, 0, NULL, NULL }

typedef struct {
    uint64_t rows;    /* rows scored */
    uint64_t written; /* rows written */
    uint64_t responded; /* rows given a response level */
    int64_t asof;     /* lapse_score_logs: the snapshot date used; else -1 */
} lapse_score_stats;

/* Reads the feature table at path ("-": stdin) in batches and writes one CSV
 * line per row to out: LAPSE_SCORE_HEADER, then user_id (quoted when it
 * needs to be), asof (YYYY-MM-DD), p_churn (lapse/numtext.h), the risk tier name, the
 * response level, the segment name, days_silent, the value tier name,
 * value_at_risk (%.2f), reasons as feature:high or feature:low (the value
 * above or below the training mean), the trigger's name, action, label (1, 0 or
 * empty); a model with horizons adds p_<h> for each horizon h (lapse/numtext.h),
 * churn_by (empty when none) and, when the table has days_to_churn, that
 * column (for lapse eval's horizons). Unknown values are empty fields. Memory is bounded by the batch
 * size (and top) except for an order other than INPUT without top, which
 * holds every output line until the end. A table whose meta line or
 * features differ from the model's is LAPSE_ERR_SCHEMA naming the first
 * difference; the reader's errors pass through, LAPSE_ERR_IO when writing
 * fails. stats may be NULL. */
int lapse_score_table(lapse_scorer *scorer, const char *path, FILE *out,
                      const lapse_score_output *opts, lapse_score_stats *stats, lapse_error *err);

/* Extracts features from event logs with the model's churn definition and
 * without labels (lapse/extract.h), then scores the active and the dormant
 * users together, merged by user id, as lapse_score_table writes them.
 * asof < 0 means the day after the end of the logs' robust time range
 * (lapse/extract.h: events far past the rest, a clock-skewed row, do not
 * count): the logs are read twice, so none may be stdin ("-";
 * LAPSE_ERR_ARG). The extract's warnings (a snapshot after the data or
 * too early for its windows) go to the log. The model's features must be the
 * extractor's (LAPSE_ERR_SCHEMA otherwise). reader may be NULL for the
 * defaults; threads as lapse_extract_options.threads. */
int lapse_score_logs(lapse_scorer *scorer, const char *const *paths, size_t n_paths,
                     int64_t asof, const lapse_reader_options *reader, int threads, FILE *out,
                     const lapse_score_output *opts, lapse_score_stats *stats, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
