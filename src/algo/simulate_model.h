/* Internal: the simulator's generative model, one user at a time.
 *
 * Days are numbered from the first day of the log (day 0); users who signed
 * up before it have negative signup days and live through those days without
 * emitting. Each day t a user is in a hidden state s_t (phase plus, when
 * churned, the days left until a return) and belongs to a friend circle in
 * state c_t (active or quiet; one small Markov chain per circle, shared by
 * its members). The events of day t are drawn from (traits, s_t, c_t, kind of
 * day); then s_t -> s_{t+1} with probabilities that depend on (traits, c_t),
 * and the circle moves on its own. Every event of day t lies inside day t.
 *
 * Phases: ENGAGED -> (hazard h) DECLINE_0 .. DECLINE_{L-1} -> CHURNED (silent;
 * on each of the days SIM_GAP_MIN .. SIM_GAP_MAX of the silence the user comes
 * back to ENGAGED with the same small probability, so that SIM_RETURN_P of
 * them ever do; after SIM_GAP_MAX days they are gone for good). Whether and
 * when a lapsed user returns is drawn day by day, not when they leave: the
 * hidden state (and so p_true) knows how long a user has been gone, never
 * the future. DECLINE_k recovers to ENGAGED
 * with a small daily probability; ENGAGED sometimes enters a short DIP that
 * looks like the start of a decline and ends by itself. A share of the
 * hazard's moves skip the decline and churn at once, without warning. */
#ifndef LAPSE_SIMULATE_MODEL_H
#define LAPSE_SIMULATE_MODEL_H

#include "lapse/simulate.h"

#include <stddef.h>
#include <stdint.h>

#define SIM_DECLINE_DAYS 14 /* L */
#define SIM_RETURN_P 0.3
#define SIM_GAP_MIN 10
#define SIM_GAP_MAX 60
#define SIM_PRE_DAYS 300      /* pre-log signups spread over this many days */
#define SIM_PRE_SHARE 0.55    /* share of users signed up before the log */
#define SIM_CIRCLE_SIZE 16    /* consecutive user indexes share a circle */
#define SIM_BLOCK_USERS 256   /* users per gzip member; a multiple of the circle size */

enum {
    SIM_ENGAGED = 0,
    SIM_DIP = 1,
    SIM_DECLINE0 = 2, /* .. SIM_DECLINE0 + SIM_DECLINE_DAYS - 1 */
    SIM_CHURNED = SIM_DECLINE0 + SIM_DECLINE_DAYS,
    SIM_LIVE_PHASES = SIM_CHURNED /* phases that emit */
};

/* Transitions (per day). */
#define SIM_HAZARD_BASE 0.016      /* ENGAGED -> DECLINE for a typical user */
#define SIM_HAZARD_MAX 0.05
#define SIM_DIP_IN 0.008           /* ENGAGED -> DIP */
#define SIM_DIP_OUT 0.15           /* DIP -> ENGAGED: dips last about a week */
#define SIM_RECOVER 0.04           /* DECLINE_k -> ENGAGED */
#define SIM_SUDDEN 0.2             /* share of ENGAGED -> DECLINE moves that churn at once, unwarned */
#define SIM_CIRCLE_QUIET_IN 0.01   /* circle active -> quiet */
#define SIM_CIRCLE_QUIET_OUT 0.05  /* circle quiet -> active: quiet spells last ~20 days */
#define SIM_CIRCLE_HAZARD 4.0      /* hazard factor of a quiet circle at full circle weight */
#define SIM_DEVICE_NOISE 0.002     /* device changes of engaged users */
#define SIM_DEVICE_ON_DECLINE 0.3
#define SIM_DEVICE_ON_RETURN 0.5
#define SIM_AMOUNT_SIGMA 0.5       /* sd of log(amount) around the median */

/* Day kinds: bit 0 weekend, bit 1 a global discount day. */
#define SIM_DAY_KINDS 4

/* Built-in event names the simulator emits (index = event code). */
enum {
    SIM_EV_APP_OPEN, SIM_EV_SESSION_START, SIM_EV_LOGIN,
    SIM_EV_CORE_USE, SIM_EV_FEATURE_USE,
    SIM_EV_LIKE, SIM_EV_COMMENT, SIM_EV_SHARE, SIM_EV_MESSAGE, SIM_EV_FOLLOW, SIM_EV_INVITE,
    SIM_EV_PAGE_VIEW, SIM_EV_SCROLL, SIM_EV_NOTIFICATION_OPEN,
    SIM_EV_COUPON_USE, SIM_EV_PURCHASE,
    SIM_EV_COUNT
};
extern const char *const sim_event_names[SIM_EV_COUNT];
extern const unsigned char sim_event_name_len[SIM_EV_COUNT];

/* xoshiro256** seeded through splitmix64: one independent stream per
 * (seed, stream tag, index), so a user's draws do not depend on threads. */
typedef struct {
    uint64_t s[4];
} sim_rng;

void sim_rng_seed(sim_rng *rng, uint64_t seed, uint64_t stream, uint64_t index);

static inline uint64_t sim_rng_next(sim_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double sim_rng_uniform(sim_rng *rng)
{
    return (double)(sim_rng_next(rng) >> 11) * 0x1p-53;
}

/* Global calendar: the weekday and discount days of each day. */
typedef struct {
    int64_t start_day; /* days since 1970-01-01 of day 0 */
    uint64_t seed;
} sim_calendar;

int sim_day_kind(const sim_calendar *calendar, int64_t day);

/* Hidden state of a user on one day. */
typedef struct {
    int phase;
    int age;    /* CHURNED: days churned so far; SIM_GAP_MAX + 1 = gone for good */
    int device; /* device number; changes are a warning sign, not part of the label */
} sim_state;

/* Fixed traits of a user. */
typedef struct {
    int64_t index;
    lapse_sim_archetype archetype;
    int64_t signup;    /* day, may be negative */
    double active;     /* base probability of an active day */
    double sessions;   /* mu: sessions on an active day are 1 + Poisson(mu) */
    double spend;      /* median purchase amount */
    double circle_weight; /* how much the circle drives this user, 0..1 */
    double hazard[2];  /* daily ENGAGED/DIP -> DECLINE probability; [circle quiet] */
} sim_user;

/* Emission parameters of one day. */
typedef struct {
    double active;       /* P(active day) */
    double sessions;     /* mu */
    double core_p;       /* P(a session uses the core feature) */
    double core_depth;   /* core events in such a session: 1 + Poisson(core_depth) */
    double social_p;
    double social_depth;
    double other_mean;   /* noise events per session: Poisson(other_mean) */
    double purchase_p;   /* P(a session has a purchase) */
    double coupon_with;  /* P(coupon_use before the purchase | purchase) */
    double coupon_without; /* P(coupon_use | no purchase) */
    double amount;       /* median amount of a purchase */
} sim_emit;

/* Draws a user's traits and signup day (the first draws of the user's own
 * stream, which rng is left positioned after). mix_cdf: cumulative shares. */
void sim_user_init(sim_user *user, sim_state *state, sim_rng *rng, uint64_t seed, int64_t index,
                   const double mix_cdf[LAPSE_SIM_ARCHETYPES], int days);

/* Emission parameters for a live phase. */
void sim_user_emission(const sim_user *user, int phase, int circle_quiet, int day_kind,
                       sim_emit *out);

/* One generated event; t is seconds since the start of day 0. */
typedef struct {
    uint32_t t;
    uint32_t user;
    uint32_t session;
    uint32_t cents;
    uint16_t device;
    uint8_t event;
} sim_event;

typedef struct {
    sim_event *items;
    size_t len, cap;
    int failed; /* an allocation failed; items are incomplete */
} sim_events;

/* Draws the events of one day into out (NULL: draw and drop them, for
 * re-simulation) and returns the mask of categories emitted
 * (1u << lapse_category). *session counts the user's sessions. */
unsigned sim_emit_day(const sim_user *user, const sim_emit *emit, int64_t day, int device,
                      uint32_t *session, sim_rng *rng, sim_events *out);

/* Moves state from day t to day t + 1 (circle state of day t). */
void sim_user_step(const sim_user *user, sim_state *state, int circle_quiet, sim_rng *rng);

/* The quiet flags of a circle on n_days consecutive days, starting in the
 * chain's stationary law. */
void sim_circle_path(uint64_t seed, int64_t circle, int n_days, unsigned char *quiet);

/* The circle's next state. */
int sim_circle_step(int quiet, sim_rng *rng);
/* Stationary P(quiet), for circles' state before the simulated span. */
double sim_circle_quiet_share(void);

/* P(back on a given day of the return window), so that SIM_RETURN_P return. */
double sim_return_daily(void);

/* P(no event of a key category on a day | emission parameters). */
double sim_p_none_day(const sim_emit *emit, unsigned key_mask);

/* P(no key event on days asof .. asof + horizon - 1) for a user whose state
 * at asof has the given law: live[c][phase] and gone[c][days churned] by
 * circle state c, and lost, the mass gone for good. A forward pass over
 * (phase, circle) and pending returns. */
double sim_p_silent(const sim_user *user, const double live[2][SIM_LIVE_PHASES],
                    const double gone[2][SIM_GAP_MAX + 1], double lost, int64_t asof,
                    int horizon, unsigned key_mask, const sim_calendar *calendar);

/* The same for one known state and circle: what p_true reports. */
double sim_p_true(const sim_user *user, const sim_state *state, int circle_quiet, int64_t asof,
                  int horizon, unsigned key_mask, const sim_calendar *calendar);

/* P(days_to_churn <= h) from p = P(label 1) of a row whose last key event
 * before asof fell on last_key (LAPSE_CHURN_NEVER: none): with silence churn
 * the day is known at asof (lapse_churn_days_to_churn), so it is p when that
 * day is h or before (or h is the label horizon), else 0. */
double sim_p_within(double p, const lapse_churn_def *def, int64_t last_key, int64_t asof, int h);

/* What the log shows of one active day, in the sufficient statistics of the
 * emission: the phase and circle change only these (sums over sessions). */
typedef struct {
    int sessions;
    int core_sessions, core_extra;     /* sessions with core events; their events past the first */
    int social_sessions, social_extra;
    int purchases;
    double log_amount, log_amount_sq;  /* sums over purchases of log(amount) and its square */
    int device;
} sim_day_record;

/* Summarises the events of one user's day (in the order sim_emit_day wrote
 * them); n > 0. */
void sim_day_record_of(sim_day_record *record, const sim_event *events, size_t n);

/* The observer's filter: the law of a user's hidden state (phase, days
 * churned, circle, and device changes since the last active day) given the
 * user's traits and the log so far. */
#define SIM_DEVICE_STEPS 3 /* device changes not yet seen: 0, 1, 2 or more */

typedef struct {
    double live[SIM_DEVICE_STEPS][2][SIM_LIVE_PHASES];
    double gone[SIM_DEVICE_STEPS][2][SIM_GAP_MAX + 1];
    double lost;     /* gone for good: never emits again */
    int gone_top;    /* no mass on days churned above this (-1: none churned) */
    int device;      /* the device of the last active day */
    struct sim_log_emission {
        double log_active, idle, mu, log_mu;
        double core_depth, log_core_depth, log_core, log_no_core;
        double social_depth, log_social_depth, log_social, log_no_social;
        double log_buy, log_no_buy, log_amount;
    } emission[SIM_DAY_KINDS][2][SIM_LIVE_PHASES];
} sim_filter;

/* Starts the filter on the user's signup day: engaged, device 0, circle in
 * its stationary law. */
void sim_filter_start(sim_filter *filter, const sim_user *user);

/* Conditions on one logged day: record NULL for a day without events. */
void sim_filter_observe(sim_filter *filter, int day_kind, const sim_day_record *record);

/* Moves the law one day on, as sim_user_step and the circle chain do. */
void sim_filter_step(sim_filter *filter, const sim_user *user);

/* P(no key event in the horizon | traits and the log before asof). */
double sim_filter_p_silent(const sim_filter *filter, const sim_user *user, int64_t asof,
                           int horizon, unsigned key_mask, const sim_calendar *calendar);

/* One Monte Carlo draw of the same quantity: re-simulates the user's (and
 * circle's) future from the given state with the real event generator and
 * returns the label (1 = no key event in the horizon). */
int sim_mc_label(const sim_user *user, const sim_state *state, int circle_quiet, int64_t asof,
                 int horizon, unsigned key_mask, const sim_calendar *calendar, sim_rng *rng);

#endif
