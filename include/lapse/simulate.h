/* A synthetic event log with exact ground truth.
 *
 * lapse_simulate writes, into a folder:
 *   events.csv.gz          the event log (datasets/README.md), one gzip member
 *                          per block of users, rows by time within a block;
 *                          with files = N > 1 instead events-0.csv.gz ..
 *                          events-<N-1>.csv.gz (numbers zero-padded to the
 *                          width of N-1), block b in file b mod N, each file
 *                          with its own header: a log partitioned by user
 *   truth.csv              user_id,archetype,churn_date,return_date: the first
 *                          day in the churned state (before the log for users
 *                          who left before it started; empty if never) and
 *                          the first day back after it (empty if none)
 *   truth_snapshots.csv    user_id,asof,horizon,p_true,label (with the
 *                          observer: user_id,asof,horizon,p_true,p_observed,label),
 *                          then for each of the horizons asked for, h:
 *                          p_true_h (and p_observed_h), the probability that
 *                          the row churns within h days as lapse counts it
 *                          (days_to_churn <= h, lapse/churn.h): the label's
 *                          probability when the day its silence reaches
 *                          silent_days, known at asof, is day h or before,
 *                          else 0
 * Each user follows a hidden day-by-day Markov chain (engaged, a temporary
 * dip, declining for a fixed number of days, churned, sometimes back after a
 * gap); the events of a day are drawn from the user's traits and phase. For a
 * snapshot date `asof`, label is 1 when the log holds no event of a key
 * category in [asof, asof + horizon days), exactly as the extractor computes
 * it, and p_true is P(label = 1 | every hidden variable at asof), computed
 * exactly by a forward pass over the chain (no sampling). p_observed is
 * P(label = 1 | the user's traits and log before asof), from a forward filter
 * that sees what the log shows: the best any model of one user's log can
 * rank by, so a ceiling for features, where p_true sees the hidden state.
 *
 * Output is a function of the options alone: the same seed gives the same
 * bytes for any thread count. Memory stays bounded for any number of users. */
#ifndef LAPSE_SIMULATE_H
#define LAPSE_SIMULATE_H

#include "lapse/churn.h"
#include "lapse/error.h"
#include "lapse/progress.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_SIM_PRICE_SENSITIVE, /* low spend, buys with coupons, reacts to discount days */
    LAPSE_SIM_FEATURE_DEPENDENT, /* deep sessions of the core feature */
    LAPSE_SIM_SOCIAL_DRIVEN,   /* social events; activity follows a friend circle */
    LAPSE_SIM_MIXED,           /* a little of each */
    LAPSE_SIM_ARCHETYPES
} lapse_sim_archetype;

/* "price_sensitive", "feature_dependent", "social_driven", "mixed"; NULL when
 * out of range. */
const char *lapse_sim_archetype_name(lapse_sim_archetype archetype);

/* Parses a full archetype name or its short form (price, feature, social,
 * mixed). Returns 0 or LAPSE_ERR_FORMAT. */
int lapse_sim_archetype_parse(lapse_sim_archetype *out, const char *name, size_t len);

#define LAPSE_SIM_MAX_SNAPSHOTS 128
#define LAPSE_SIM_MAX_DAYS 3660
#define LAPSE_SIM_MAX_USERS INT64_C(100000000)
#define LAPSE_SIM_MAX_FILES 256
#define LAPSE_SIM_MAX_HORIZONS 16

typedef struct {
    uint64_t seed;
    int64_t users;        /* 1 .. LAPSE_SIM_MAX_USERS */
    int days;             /* length of the log, 1 .. LAPSE_SIM_MAX_DAYS */
    int64_t start;        /* first day of the log, UTC seconds at midnight */
    double mix[LAPSE_SIM_ARCHETYPES]; /* shares, summing to 1 within 1e-3 */
    /* Snapshot dates (UTC seconds at midnight), each with asof >= start and
     * asof + horizon days <= start + days; NULL with n_snapshots 0 asks for
     * the default: every 30 days from start + 60 while the horizon fits. */
    const int64_t *snapshots;
    size_t n_snapshots;
    /* The label: no key event in [asof, asof + horizon_days); a key mask
     * without cancel and cancel_is_churn 0, for the simulator emits no
     * cancel events. silent_days only decides who counts as active in the
     * snapshot figures. */
    lapse_churn_def churn;
    int threads;          /* worker threads, >= 1 */
    int level;            /* zlib level 1..9 (default 1: deflate is most of the time) */
    int observer;         /* also compute p_observed (about 3x the time) */
    /* Event log files, 1 .. LAPSE_SIM_MAX_FILES: 1 writes events.csv.gz;
     * more split the users among that many files, so that a reader can
     * inflate them in parallel. The rows are the same bytes either way. */
    int files;
    /* Horizons for the truth's p_true_h columns: 0 .. LAPSE_SIM_MAX_HORIZONS,
     * increasing, the last at most the label horizon. */
    size_t n_horizons;
    int horizons[LAPSE_SIM_MAX_HORIZONS];
    lapse_progress_fn progress; /* users written of users, block by block; or NULL */
    void *progress_user;
} lapse_sim_options;

#define LAPSE_SIM_OPTIONS_INIT                                                            \
    { 1, 1000, 180, INT64_C(1767225600) /* 2026-01-01 */, { 0.3, 0.3, 0.25, 0.15 }, NULL, \
      0, LAPSE_CHURN_DEF_INIT, 1, 1, 0, 1, 0, { 0 }, NULL, NULL }

/* Per-snapshot figures over the users active at asof (lapse_churn_active):
 * the set a churn model is scored on. */
typedef struct {
    int64_t asof;         /* UTC seconds */
    int64_t listed;       /* users signed up before asof (rows in truth_snapshots.csv) */
    int64_t active;
    int64_t active_churned; /* active users with label 1 */
    double active_p_true; /* sum of p_true over active users */
} lapse_sim_snapshot_stats;

typedef struct {
    int64_t events;
    int64_t users_churned; /* users with a churn_date */
    int64_t users_returned;
    int64_t archetype_users[LAPSE_SIM_ARCHETYPES];
    size_t n_snapshots;
    lapse_sim_snapshot_stats snapshots[LAPSE_SIM_MAX_SNAPSHOTS];
} lapse_sim_stats;

/* Checks options before any work: returns 0 or LAPSE_ERR_ARG with a message
 * naming the option in err. */
int lapse_sim_options_check(const lapse_sim_options *options, lapse_error *err);

/* Writes the files into dir (which must exist), each atomically, and
 * renames any only once all are written and flushed.
 * stats (may be NULL) receives the figures above. Returns 0, LAPSE_ERR_ARG
 * for bad options, LAPSE_ERR_IO or LAPSE_ERR_NOMEM. */
int lapse_simulate(const char *dir, const lapse_sim_options *options, lapse_sim_stats *stats,
                   lapse_error *err);

/* The non-contractual mode (lapse simulate --btyd): purchase histories
 * drawn from the BG/NBD generative process (lapse/btyd.h) with planted
 * parameters, so that a fit can be checked against them. Each user
 *   - first buys at a uniform moment of the first cohort_days days;
 *   - has a purchase rate lambda ~ Gamma(r, alpha) per unit (alpha a rate)
 *     and a dropout probability p ~ Beta(a, b);
 *   - buys again after exponential waits of rate lambda, and after each
 *     repeat purchase drops out for good with probability p;
 *   - with Gamma-Gamma, has nu ~ Gamma(q, v) and spends Gamma(p_gg, nu) on
 *     each purchase (mean p_gg / nu);
 *   - has each purchase drawn on a day that holds one already written at
 *     the start of the next free day: the model counts purchases, the
 *     literature's summary (and extract) purchase days, and this way they
 *     are the same number.
 * The snapshot is asof = start + days - horizon_days; the log runs to the
 * end of the horizon, so extract can label it. Writes, into dir:
 *   events.csv   user_id,ts,event,amount: every purchase (unix seconds;
 *                event "purchase"; amount empty without Gamma-Gamma)
 *   truth.csv    user_id,asof,horizon,lambda,p_dropout,alive,p_true,
 *                p_model,label: lambda per unit; alive at asof (0/1);
 *                p_true = P(no purchase in [asof, asof + horizon) | lambda,
 *                alive), exact (1 when dead, else exp(-lambda horizon));
 *                p_model = BG/NBD's P(no purchase in the horizon) at the
 *                planted parameters given the summary extract computes
 *                (x = purchases before asof - 1, t_x and T in days over
 *                the unit): the best a BTYD fit can rank by; label = 1
 *                when the log holds no purchase in [asof, asof + horizon).
 * The same options give the same bytes. */
typedef struct {
    uint64_t seed;
    int64_t users;         /* 1 .. LAPSE_SIM_MAX_USERS */
    int64_t start;         /* first day, UTC seconds at midnight */
    int days;              /* log length, cohort_days + horizon_days < days <= LAPSE_SIM_MAX_DAYS */
    int cohort_days;       /* first purchases fall in [start, start + cohort_days days) (84) */
    int horizon_days;      /* the label horizon after asof (30) */
    unsigned unit_days;    /* the unit the parameters are in: 1 or 7 (weeks) */
    double params[4];      /* r, alpha, a, b: each finite and > 0 */
    int gamma_gamma;       /* also draw spend */
    double gg[3];          /* p, q, v: each finite and > 0 */
} lapse_sim_btyd_options;

/* CDNOW's estimates (weeks), 39 weeks to the snapshot and a 30-day horizon. */
#define LAPSE_SIM_BTYD_OPTIONS_INIT                                                            \
    { 1, 1000, INT64_C(1767225600), 303, 84, 30, 7, { 0.243, 4.414, 0.793, 2.426 }, 0,         \
      { 6.25, 3.74, 15.44 } }

typedef struct {
    int64_t asof;           /* UTC seconds */
    int64_t events;         /* purchases written */
    int64_t repeat_buyers;  /* users who bought on a second day before asof */
    int64_t alive;          /* users alive at asof */
    int64_t no_purchase;    /* users with label 1 */
    double p_true_sum, p_model_sum;
} lapse_sim_btyd_stats;

/* Checks options before any work: 0 or LAPSE_ERR_ARG naming the option. */
int lapse_sim_btyd_options_check(const lapse_sim_btyd_options *options, lapse_error *err);

/* Writes events.csv and truth.csv into dir (which must exist), each
 * atomically. stats may be NULL. Returns 0, LAPSE_ERR_ARG, LAPSE_ERR_IO or
 * LAPSE_ERR_NOMEM. */
int lapse_simulate_btyd(const char *dir, const lapse_sim_btyd_options *options,
                        lapse_sim_btyd_stats *stats, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
