/* "Buy 'til you die" models of non-contractual customers: BG/NBD (Fader,
 * Hardie and Lee 2005, "Counting your customers the easy way"), Pareto/NBD
 * (Schmittlein, Morrison and Colombo 1987, in the form of Fader and Hardie's
 * "A Note on Deriving the Pareto/NBD Model and Related Expressions", 2005)
 * and the Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV";
 * Fader and Hardie's note 025).
 *
 * A customer is summarised by x (repeat purchases, a whole number), t_x
 * (time of the last repeat purchase, 0 when x = 0) and T (time since the
 * first purchase), all measured from the first purchase in one unit (days,
 * weeks); Gamma-Gamma also takes m, the mean spend of the repeat purchases.
 *
 * Fits maximise the log-likelihood over the log of the parameters (so they
 * stay positive) with NLopt: L-BFGS on the analytic gradient for BG/NBD and
 * Gamma-Gamma, BOBYQA (derivative-free) for Pareto/NBD, whose likelihood
 * holds a Gauss hypergeometric function. Standard errors come from the
 * inverse of the observed information (minus the Hessian of the
 * log-likelihood in the natural parameters, by central differences).
 *
 * Per customer, for a horizon t after T: P(alive at T), expected purchases
 * in (T, T+t], the probability of no purchase in (T, T+t] (what ranks a "no
 * purchase in the next t" churn label: a one-time buyer has P(alive) = 1
 * under BG/NBD yet is the likeliest to buy nothing), expected spend per
 * purchase and the expected (undiscounted) value of the horizon. */
#ifndef LAPSE_BTYD_H
#define LAPSE_BTYD_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_BTYD_BGNBD,   /* params: r, alpha, a, b */
    LAPSE_BTYD_PARETO   /* params: r, alpha, s, beta */
} lapse_btyd_kind;

/* Customers as parallel arrays of n entries, owned by whoever filled them.
 * m may be NULL (no spend); ids may be NULL (customers named by row). */
typedef struct {
    size_t n;
    double *x;
    double *t_x;
    double *T;
    double *m;
    char **ids;
} lapse_btyd_data;

typedef struct {
    lapse_btyd_kind kind;
    double params[4];      /* BG/NBD r, alpha, a, b; Pareto/NBD r, alpha, s, beta */
    double se[4];          /* standard errors; NaN when the information is not positive definite */
    double log_likelihood; /* at params, summed over customers */
    int iterations;        /* objective evaluations */
    int converged;         /* 1 when the optimiser met its tolerance */
} lapse_btyd_fit_result;

typedef struct {
    double params[3];      /* p, q, v */
    double se[3];
    double log_likelihood; /* over repeat buyers */
    size_t n_used;         /* repeat buyers (x >= 1) the fit used */
    double corr_x_m;       /* Pearson correlation of x and m among them: near 0 for independence */
    int iterations;
    int converged;
} lapse_gammagamma_fit_result;

typedef struct {
    int max_evals;  /* objective evaluations at most */
    double ftol;    /* relative change of the log-likelihood that stops the search */
} lapse_btyd_fit_options;

#define LAPSE_BTYD_FIT_OPTIONS_INIT { 5000, 1e-13 }

/* Fits kind to data (x, t_x, T; m is ignored). opts NULL: the defaults.
 * Every customer is checked first: x a whole number >= 0, T > 0,
 * 0 <= t_x <= T, t_x = 0 when x = 0; the first that fails is named by its
 * index (its id when data->ids is set). Returns 0 with out filled (also
 * when the optimiser stops at max_evals: out->converged says so), or
 * LAPSE_ERR_ARG (bad data or options), LAPSE_ERR_NOMEM, LAPSE_ERR_RANGE
 * (the likelihood could not be evaluated at any starting point). */
int lapse_btyd_fit(lapse_btyd_fit_result *out, lapse_btyd_kind kind, const lapse_btyd_data *data,
                   const lapse_btyd_fit_options *opts, lapse_error *err);

/* Log-likelihood of one model at params over data (checked as for fit).
 * Returns 0 with *out set, or LAPSE_ERR_ARG, LAPSE_ERR_NOMEM, LAPSE_ERR_RANGE. */
int lapse_btyd_loglik(double *out, lapse_btyd_kind kind, const double params[4],
                      const lapse_btyd_data *data, lapse_error *err);

/* Fits Gamma-Gamma to the repeat buyers of data (x >= 1, which need m > 0;
 * x = 0 rows are skipped). Needs data->m and at least 2 repeat buyers.
 * Returns 0, or LAPSE_ERR_ARG, LAPSE_ERR_NOMEM, LAPSE_ERR_RANGE. */
int lapse_gammagamma_fit(lapse_gammagamma_fit_result *out, const lapse_btyd_data *data,
                         const lapse_btyd_fit_options *opts, lapse_error *err);

/* One customer's predictions for a horizon of length t after T. */
typedef struct {
    double p_alive;       /* P(alive at T) */
    double expected;      /* E[purchases in (T, T+t]] */
    double p_none;        /* P(no purchase in (T, T+t]) */
    double spend;         /* E[spend per purchase] (Gamma-Gamma); NaN without it */
    double value;         /* expected * spend: the horizon's value, undiscounted; NaN without it */
} lapse_btyd_prediction;

/* Scores customers [0, data->n) into out[0..n) for horizon t > 0. gg may be
 * NULL (spend and value NaN); with gg, data->m must be set (m is ignored for
 * x = 0, whose expected spend is the population mean p v / (q - 1)).
 * Returns 0, or LAPSE_ERR_ARG (bad data, t, params; gg with q <= 1),
 * LAPSE_ERR_RANGE (a horizon so long against alpha + T, or a Pareto/NBD
 * parameter point so extreme, that the hypergeometric series would need
 * more than 10^7 terms; the customer is named). */
int lapse_btyd_predict(lapse_btyd_prediction *out, const lapse_btyd_fit_result *model,
                       const lapse_gammagamma_fit_result *gg, const lapse_btyd_data *data,
                       double t, lapse_error *err);

/* Reads a summary table: CSV (plain or gzip) with a header naming
 * frequency (or x), recency (or t_x), T, and optionally an id (ID, id,
 * customer_id) and monetary_value (or zbar, m), in any order; other
 * columns are ignored. Values are checked as lapse_btyd_fit checks them,
 * and a monetary value must be > 0 where frequency > 0 (it may be 0 or
 * empty where frequency is 0). Errors name file, line and column. Returns
 * 0 with *out (free it with lapse_btyd_data_free), or LAPSE_ERR_IO,
 * LAPSE_ERR_GZIP, LAPSE_ERR_FORMAT, LAPSE_ERR_NOMEM. */
int lapse_btyd_summary_read(lapse_btyd_data **out, const char *path, lapse_error *err);

void lapse_btyd_data_free(lapse_btyd_data *data); /* accepts NULL */

/* Gauss's hypergeometric 2F1(a, b; a + 1; z) for a > 0, b > 0,
 * 0 <= z < 1, as its natural log: the function Pareto/NBD needs. Summed
 * after Euler's transformation, (1 - z)^(1 - b) 2F1(1, a + 1 - b; a + 1; z),
 * whose terms are positive and fall at least as fast as z^n. Returns 0,
 * or LAPSE_ERR_ARG, LAPSE_ERR_RANGE (more than 10^7 terms needed). */
int lapse_btyd_log_hyp2f1_a1(double *out, double a, double b, double z);

#ifdef __cplusplus
}
#endif

#endif
