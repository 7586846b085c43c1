/* Recall campaigns: plan whom to contact through which channel within a
 * budget, with a held-out control group; afterwards measure what it did.
 *
 * Channels come from a channel table (lapse/channels.h): the built-in one,
 * whose first five are the actions lapse score suggests (sms_email,
 * push_feature, coupon, phone, community), or a channels file.
 *
 * Plan (lapse_campaign_plan) reads a scored file (lapse score's CSV, columns
 * found by name) and writes a send list:
 *   user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier
 * Response model: contacting user u through channel c recalls them with an
 * extra probability uplift[c] (times `match` when c is u's suggested
 * action) of the users that would otherwise churn, so the expected recalled
 * value is
 *   uplift[c] * (c == action ? match : 1) * (value_at_risk + p_churn * base_value)
 * (value_at_risk is p_churn times the 90-day spend; an empty one counts 0;
 * base_value is what any recalled user is worth). Scores of a model trained
 * on a table of one's own have an empty asof, planned only with send_at
 * (else an error says so), and may have an empty value_tier, which passes
 * no value_tier condition. A user may get a channel
 * when its condition holds on their scored row (lapse/channels.h; built in:
 * phone only for value_tier high, push_feature only with has_app = 1, where
 * a file without has_app counts the users whose suggested action is
 * push_feature). Choice: the greedy solution of the
 * LP relaxation of the multiple-choice knapsack (each user at most one
 * channel): per user the upper convex hull of (cost, value) options, then
 * every hull step over all users in order of value per cost, taken while
 * it fits the budget and the step's channel has room left on the send's UTC
 * day (its capacity counts every chosen user, control too: a user whose next
 * step needs a full channel keeps the option they hold). The budget covers
 * every chosen user; the control
 * group is then drawn from them (within each channel x risk_tier stratum,
 * round(n * control) users in seeded hash order) and not sent, so the
 * spend is about (1 - control) of the budget. Treatment users get the
 * variants in turn (in the same hash order); control rows have variant "-"
 * and cost 0.
 *
 * With a touch sequence (steps), each chosen user gets every step whose
 * channel's condition they pass (the others are skipped and counted), at
 * their send time plus the step's offset; a later step goes only to users
 * who have not returned (lapse_campaign_next). Step k recalls with
 * u_k = min(1, uplift x (match when it is the suggested action)) of those it
 * reaches, and reaches r_k = (1 - u_1) ... (1 - u_{k-1}) of the users, so
 * the sequence's expected value is sum_k r_k u_k x worth, and its expected
 * cost sum_k r_k cost_k, both over the steps a treatment user is sent.
 * Capacities count every scheduled touch on its own UTC day, as if each
 * were sent: a step whose channel's day is full is left out of the user's
 * sequence (counted), and a sequence none of whose steps has room is not
 * taken. The budget counts each chosen sequence's expected cost over the
 * steps actually planned: without those left out (condition or capacity)
 * and, with a step holdout, without the touches from the step where it
 * would stop a treatment sequence on (the sequences are ranked by their
 * value per cost before capacities; one whose cost grows past what is left
 * of the budget when a step is dropped is not taken). The send list
 * gains a step column (1-based, in the sequence as given), a start column
 * (the user's send time, where offsets count from) and a step_holdout
 * column (the share below, the same on every row) and has a row per touch, control users' too (cost 0: they are not sent); expected_value is
 * the step's share r_k u_k x worth. To measure what each later step adds,
 * step_holdout stops a share of the treatment users before each step after
 * their first (seeded by user and step): that touch and the user's later
 * ones become control rows, not sent (group is per touch), and the
 * budget does not count them.
 *
 * Eval (lapse_campaign_eval) reads a send list (columns user_id, channel,
 * sent_at, group, cost, variant by name; others ignored) and the event log
 * after the sends. Recalled: a key event in [sent_at, sent_at + window);
 * control users are measured from their assigned sent_at. Retained 7 days:
 * a key event in [r + 1 d, r + 8 d) after the recall time r (the first key
 * event of the window); 30 days: one in [r + 8 d, r + 31 d); each counted
 * only over recalled users whose period ends within the log. Clicks come
 * from separate click logs (the messaging platform's export, the event-log
 * format, every row a click whatever its event name): a treatment user
 * clicked with a row in [sent_at, sent_at + window). The log covers from
 * the UTC day of its first event up to its last event (not the end of that
 * day: an export that stops at 06:00 says nothing about 06:00 to midnight).
 * A send before the log's first day is an error; a send whose window closes
 * after the last event is censored: left out of every count and rate, and
 * counted per row (censored, control_censored) and in the report.
 *
 * A sequence plan (columns step and start, lapse_campaign_plan with steps)
 * is measured per step, channel and variant. A user's return is their first
 * key event at or after the sequence's start. Touch k at t_k has the window
 * [t_k, e_k), e_k = min(t_k + window, the user's next touch time): a
 * treatment touch is sent when its user has not returned before t_k, and
 * recalls when the return falls in its window (recall goes to the last
 * touch before the return; a click is a click-log row in the window, and a
 * recall without one is "direct"). A control touch whose user had not
 * returned before t_k, and whose user's touch before it (if any) was sent,
 * is stopping before step k: its recalls in the same window make the
 * comparison, so each row's uplift is what step k adds over stopping before
 * it (for a first step, over the control group). Touches that open their
 * user's sequence (compared with the control group) and touches that follow
 * one (compared with the sequences stopped just before them) are separate
 * rows, so each compares like with like when some users skip steps. A
 * touch whose window
 * closes after the log's last event is censored. The sample-ratio check of
 * an opening row is against the control share, of a following row against
 * the plan's step_holdout column (none without it). The "all" row (step 0) is
 * the whole sequence: treatment users (first touch sent) against control
 * users, recalled from the start to their last touch's time + window. The
 * report gains the columns step, recalled_without_click and opening.
 *
 * Statistics per channel and variant, treatment vs the channel's control:
 * the difference of recall rates with Newcombe's hybrid score interval
 * (method 10, from two Wilson intervals, no continuity correction); the
 * p-value of the pooled two-proportion z-test, or of Fisher's exact test
 * (two-sided, summing tables no more likely than the one seen) when an
 * expected cell count is below 5; the sample-ratio-mismatch chi-square (1
 * df) of control vs treatment counts against the planned control share;
 * and the minimum detectable uplift at 80% power, two-sided alpha 0.05:
 * (z_0.975 + z_0.8) * sqrt(p (1 - p) (1/n_t + 1/n_c)), p the control rate. */
#ifndef LAPSE_CAMPAIGN_H
#define LAPSE_CAMPAIGN_H

#include "lapse/category.h"
#include "lapse/channels.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The five channels lapse score suggests: the first five of the built-in
 * channel table, and the ones the campaign simulator sends. */
typedef enum {
    LAPSE_CHANNEL_SMS_EMAIL,
    LAPSE_CHANNEL_PUSH_FEATURE,
    LAPSE_CHANNEL_COUPON,
    LAPSE_CHANNEL_PHONE,
    LAPSE_CHANNEL_COMMUNITY,
    LAPSE_CHANNELS
} lapse_channel;

/* "sms_email", ...; NULL out of range. */
const char *lapse_channel_name(lapse_channel channel);

/* Exact action name -> channel. Returns 0 or LAPSE_ERR_FORMAT. */
int lapse_channel_parse(lapse_channel *out, const char *name, size_t len);

/* Parses "sms_email=0.05,phone=2" into values (channels not named keep
 * their value), each within [min, max]. Returns 0 or LAPSE_ERR_ARG with a
 * message naming the pair. */
int lapse_campaign_parse_channels(double values[LAPSE_CHANNELS], const char *text, double min,
                                  double max, lapse_error *err);

/* ---- statistics (exposed for tests and reports) ---- */

#define LAPSE_Z_975 1.959963984540054 /* two-sided 95% */
#define LAPSE_Z_80 0.8416212335729143 /* one-sided 80% power */

/* P(Z <= z) for a standard normal. */
double lapse_normal_cdf(double z);

/* Wilson score interval for x successes in n > 0 trials at critical value z. */
void lapse_wilson(double *lo, double *hi, int64_t x, int64_t n, double z);

/* Fisher's exact test of the 2x2 table [[a, b], [c, d]]: two-sided p. */
double lapse_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d);

typedef struct {
    double rate_t, rate_c; /* x/n; NAN when n is 0 */
    double diff;           /* rate_t - rate_c */
    double ci_lo, ci_hi;   /* Newcombe hybrid score 95% interval */
    double z;              /* pooled z statistic (NAN when undefined) */
    double p_value;
    int fisher;            /* 1 when p_value is Fisher's */
} lapse_comparison;

/* Treatment x_t of n_t vs control x_c of n_c; both n > 0, else all NAN. */
void lapse_compare_proportions(lapse_comparison *out, int64_t x_t, int64_t n_t, int64_t x_c,
                               int64_t n_c);

/* Sample-ratio mismatch: chi-square (1 df) and its p for n_control of
 * n_total against the planned share; NAN when undefined. */
void lapse_srm(double *chi2, double *p, int64_t n_control, int64_t n_total, double share);

/* Minimum detectable difference at 80% power, alpha 0.05 two-sided, for
 * baseline rate p; NAN when a group is empty. */
double lapse_mde(double p, int64_t n_t, int64_t n_c);

/* ---- plan ---- */

#define LAPSE_SEQUENCE_MAX 8

/* One touch of a sequence: a channel of the table, offset seconds after
 * the user's send time. */
typedef struct {
    int channel;
    int64_t offset;
} lapse_campaign_step;

/* Parses "push@0h,sms@24h,phone@48h" (hours; "2d" for days) against the
 * table into steps[0..*n). Returns 0 or LAPSE_ERR_ARG naming the step: a
 * channel not in the table, a step not after the one before it (a
 * sequence cannot go back in time), more than LAPSE_SEQUENCE_MAX steps. */
int lapse_campaign_sequence_parse(lapse_campaign_step steps[LAPSE_SEQUENCE_MAX], size_t *n,
                                  const char *text, const lapse_channel_table *table,
                                  lapse_error *err);

typedef struct {
    double budget;                  /* total cost allowed, >= 0 */
    const lapse_channel_table *channels; /* borrowed; NULL = the built-in table */
    double match;                   /* uplift factor for the suggested action, >= 0 */
    double base_value;              /* worth of any recalled user, >= 0 */
    double control;                 /* control share, 0..0.9 */
    uint64_t seed;
    int64_t send_at;                /* UTC seconds; -1 = each row's asof at midnight */
    const char *const *variants;    /* names (1..32 bytes); NULL = { "A" } */
    size_t n_variants;
    const lapse_campaign_step *steps; /* a touch sequence per user; NULL = one message */
    size_t n_steps;                   /* 1..LAPSE_SEQUENCE_MAX with steps */
    double step_holdout;              /* share stopped before each later step, 0..0.9 */
} lapse_campaign_plan_options;

#define LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT                                                         \
    { 0, NULL, 1.5, 1.0, 0.1, 1, -1, NULL, 0, NULL, 0, 0 }

typedef struct {
    int64_t users;                        /* rows in the scored file */
    int64_t chosen[LAPSE_CHANNELS_MAX];   /* users (with a sequence: touches) chosen per
                                             channel of the table, both groups */
    int64_t control[LAPSE_CHANNELS_MAX];  /* of them, held out */
    int64_t skipped_steps;                /* sequence steps of chosen users left out: the
                                             channel's condition fails for the user */
    int64_t held_out_steps;               /* treatment sequences stopped early (step_holdout) */
    int64_t capacity_blocked;             /* choices not taken because a channel's day was
                                             full */
    int64_t capacity_dropped_steps;       /* sequence steps left out of chosen users' sequences
                                             because their channel's day was full */
    double spend;                         /* cost of the treatment sends */
    double chosen_cost;                   /* cost of all chosen, <= budget */
    double expected_value;                /* expected recalled value of the treatment sends */
} lapse_campaign_plan_stats;

/* Checks options: 0 or LAPSE_ERR_ARG naming the option. */
int lapse_campaign_plan_check(const lapse_campaign_plan_options *opts, lapse_error *err);

/* Reads scored_path, writes the send list to out_path atomically ("-" =
 * stdout). Rows come out in scored-file order. stats may be NULL. Returns
 * 0, LAPSE_ERR_FORMAT (a bad row: file, line and column), LAPSE_ERR_ARG,
 * LAPSE_ERR_IO or LAPSE_ERR_NOMEM. */
int lapse_campaign_plan(const char *scored_path, const char *out_path,
                        const lapse_campaign_plan_options *opts, lapse_campaign_plan_stats *stats,
                        lapse_error *err);

/* ---- next: the touches due now ---- */

typedef struct {
    int64_t now;                           /* UTC seconds */
    int64_t since;                         /* touches due after this; INT64_MIN = any */
    unsigned key_mask;                     /* key categories: what counts as a return */
    const lapse_category_map *categories;  /* borrowed; NULL = built-in */
    int64_t max_bad_rows;                  /* bad log rows to skip (reader.h) */
    const lapse_channel_table *channels;   /* borrowed; NULL = the built-in table */
} lapse_campaign_next_options;

#define LAPSE_CAMPAIGN_NEXT_OPTIONS_INIT { 0, INT64_MIN, 1u, NULL, 0, NULL }

typedef struct {
    int64_t users;       /* treatment users in the plan */
    int64_t returned;    /* of them, back (a key event) since their first touch */
    int64_t due;         /* touches written */
    int64_t control_due; /* control users' touches due: never written */
    int64_t unseen;      /* written touches due after the log's last event: their user
                            may have come back without the log showing it */
    int64_t log_events;
    int64_t log_last;    /* the last event's time */
} lapse_campaign_next_stats;

/* Reads a sequence plan (lapse_campaign_plan with steps) and the event
 * log so far, and writes to out_path the touches due now (columns user_id,
 * channel, sent_at, group, cost, variant, step and start by name):
 *   user_id,channel,step,sent_at,cost,variant
 * every treatment touch with since < sent_at <= now whose user has no key
 * event from the sequence's start up to now (a user who came back gets
 * nothing more). Control touches (control users', and those of sequences
 * stopped by the step holdout) are never written. Touches due after the log's last
 * event are written, counted and warned about: the log cannot show a
 * return just before them. Errors name the file, line and column: a
 * malformed row, an unknown channel, a plan without the step column, a
 * user's touches out of step order. Returns 0, LAPSE_ERR_FORMAT,
 * LAPSE_ERR_ARG, LAPSE_ERR_IO or LAPSE_ERR_NOMEM. stats may be NULL. */
int lapse_campaign_next(const char *plan_path, const char *const *log_paths, size_t n_logs,
                        const char *out_path, const lapse_campaign_next_options *opts,
                        lapse_campaign_next_stats *stats, lapse_error *err);

/* ---- eval ---- */

typedef struct {
    unsigned key_mask;                     /* key categories (churn.h) */
    int64_t window;                        /* seconds, > 0 */
    double control;                        /* planned control share, for the SRM check */
    const lapse_category_map *categories;  /* borrowed; NULL = built-in */
    int64_t max_bad_rows;                  /* bad log rows to skip (reader.h) */
    const lapse_channel_table *channels;   /* borrowed; NULL = the built-in table */
} lapse_campaign_eval_options;

#define LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT { 1u, 86400, 0.1, NULL, 0, NULL }

#define LAPSE_VARIANT_MAX 32

/* One row of the report: a channel and variant's treatment against the
 * channel's whole control group ("all"/"all" for every channel together). */
typedef struct {
    char channel[LAPSE_CHANNEL_NAME_MAX + 1];
    char variant[LAPSE_VARIANT_MAX + 1];
    int64_t sent, clicked, recalled; /* clicked is -1 without click logs */
    double cost;
    int64_t control, control_recalled; /* came back without a message */
    lapse_comparison cmp;
    double srm_chi2, srm_p;            /* of the whole channel */
    double mde;
    int64_t retention_n[2], retained[2]; /* [0]: 7 days, [1]: 30 days */
    int64_t censored, control_censored;  /* sends left out: window past the log */
    int step;                            /* sequences: 1-based; 0 for the whole sequence */
    int opening;                         /* sequences: 1 when the touch opens its users'
                                            sequences (compared with the control group),
                                            0 when it follows a touch (compared with the
                                            sequences stopped before it) */
    int64_t recalled_direct;             /* sequences: recalled without a click (-1: no
                                            click logs) */
} lapse_campaign_row;

typedef struct {
    lapse_campaign_row *rows;
    size_t n_rows;
    int64_t sends;            /* rows read */
    int64_t duplicate_rows;   /* identical repeats, skipped with a warning */
    int64_t unknown_users;    /* listed users with no event in the log */
    int64_t log_events;
    int64_t log_first, log_end; /* [midnight of the first event's day, last event + 1 s) */
    int64_t censored;           /* sends whose window closes after the last event */
    int sequence;               /* a sequence plan: rows per step (step, recalled_direct) */
} lapse_campaign_report;

/* Measures the send list against the logs (click_paths may be NULL with
 * n_clicks 0). Errors name the file, line and column: a malformed row,
 * an unknown channel or group, a user listed twice with different rows, a
 * send before the log's first day, or every send censored (LAPSE_ERR_RANGE);
 * censored sends are warned about with their count. Users
 * with no event in the log are counted and warned about, and count as not
 * recalled. *out is owned by the caller. */
int lapse_campaign_eval(lapse_campaign_report **out, const char *sends_path,
                        const char *const *log_paths, size_t n_logs,
                        const char *const *click_paths, size_t n_clicks,
                        const lapse_campaign_eval_options *opts, lapse_error *err);

/* The report as CSV (header and one line per row). Returns 0 or LAPSE_ERR_IO. */
int lapse_campaign_report_write(FILE *out, const lapse_campaign_report *report);

void lapse_campaign_report_free(lapse_campaign_report *report); /* accepts NULL */

/* ---- simulation ---- */

typedef struct {
    uint64_t seed;
    int64_t users;                     /* 1..10,000,000 */
    int64_t start;                     /* send day, UTC midnight */
    double uplift[LAPSE_CHANNELS];     /* planted: p_treatment - p_control */
    double base[3];                    /* control recall for risk tiers low, medium, high */
    double control;                    /* share, 0.01..0.9 */
    int variants;                      /* 1..8, named A, B, ... with the same uplift */
    int64_t window;                    /* seconds */
    /* A touch sequence instead of one message (channels of the table), with
     * a planted uplift per step and a step holdout as plan's. */
    const lapse_campaign_step *steps;  /* NULL = one message per user */
    size_t n_steps;
    double step_uplift[LAPSE_SEQUENCE_MAX];
    double step_holdout;               /* 0..0.9 */
    const lapse_channel_table *channels; /* borrowed, with steps: the steps' channels,
                                            costs and daily capacities; NULL = built-in */
} lapse_campaign_sim_options;

#define LAPSE_CAMPAIGN_SIM_OPTIONS_INIT                                                         \
    { 1, 20000, INT64_C(1772323200) /* 2026-03-01 */, { 0.02, 0.04, 0.08, 0.15, 0.0 },          \
      { 0.15, 0.08, 0.04 }, 0.1, 1, 86400, NULL, 0, { 0 }, 0, NULL }

int lapse_campaign_sim_check(const lapse_campaign_sim_options *opts, lapse_error *err);

/* Writes into dir (which must exist), each file atomically:
 *   sends.csv   user_id,channel,sent_at,group,cost,variant,risk_tier
 *   events.csv  the event log: history 3 to 14 days before the send, the
 *               planted recall (a key event inside the window with
 *               probability base[tier] + uplift for treatment, base[tier]
 *               for control), retention and late returns after it
 *   clicks.csv  clicks on messages (treatment only)
 *   truth.csv   channel,variant,uplift
 * Channels and risk tiers are drawn uniformly; control is stratified by
 * channel and tier as in plan.
 * With steps, sends.csv is a sequence plan (a row per touch, columns step,
 * start and step_holdout) and truth.csv is step,channel,variant,uplift.
 * Every user gets every step whose channel has room on its UTC day: as in
 * plan, a channel's capacity counts every touch scheduled on a day (control
 * too), users in id order, and a step whose day is full is left out of the
 * user's sequence, so later users skip it. Control is stratified by tier; a
 * treatment sequence stops before each later step it has with probability
 * step_holdout.
 * Touch k's window is [t_k, e_k), e_k = min(t_k + window, t_{k+1}) (as eval
 * reads it): a user not back by t_k returns in it (uniformly) with
 * probability base[tier] + step_uplift[k] when the touch is sent, base[tier]
 * when not, and nowhere between e_k and t_{k+1}.
 * Returns 0, LAPSE_ERR_ARG, LAPSE_ERR_IO or LAPSE_ERR_NOMEM. */
int lapse_campaign_simulate(const char *dir, const lapse_campaign_sim_options *opts,
                            lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
