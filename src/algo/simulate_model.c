/* The simulator's generative model: traits, daily emission, the hidden chain,
 * and the exact probability of a silent horizon. The event generator and the
 * forward pass both read their parameters from sim_user_emission and the
 * transition constants below, so p_true and the log cannot drift apart. */
#include "simulate_model.h"

#include "lapse/category.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const sim_event_names[SIM_EV_COUNT] = {
    "app_open", "session_start", "login", "core_use", "feature_use", "like", "comment", "share",
    "message", "follow", "invite", "page_view", "scroll", "notification_open", "coupon_use",
    "purchase",
};
const unsigned char sim_event_name_len[SIM_EV_COUNT] = {
    8, 13, 5, 8, 11, 4, 7, 5, 7, 6, 6, 9, 6, 17, 10, 8,
};

#define DISCOUNT_SHARE 0.08   /* share of days that are global discount days */

#define SECONDS_PER_DAY 86400u
#define TWO_PI 6.283185307179586

enum { STREAM_USER = 1, STREAM_CIRCLE = 2, STREAM_DISCOUNT = 3 };

static const struct {
    double active;        /* median P(active day) when engaged */
    double sessions;      /* mu */
    double core_p, core_depth, social_p, social_depth, other_mean;
    double purchase_p, coupon_with, coupon_without;
    double spend;         /* median amount */
    double hazard;        /* archetype factor on the hazard */
    double circle_weight;
    double weekend;       /* factor on the active probability at weekends */
    double discount;      /* factor on purchase_p on discount days */
} archetypes[LAPSE_SIM_ARCHETYPES] = {
    /* price_sensitive */ { 0.22, 0.5, 0.55, 1.0, 0.10, 0.5, 0.8, 0.10, 0.85, 0.03, 12, 1.3, 0.0, 1.1, 2.5 },
    /* feature_dependent */ { 0.40, 0.9, 0.95, 5.0, 0.06, 0.5, 0.6, 0.04, 0.10, 0.01, 35, 0.7, 0.0, 0.7, 1.2 },
    /* social_driven */ { 0.38, 1.1, 0.35, 1.0, 0.90, 3.5, 0.7, 0.03, 0.20, 0.01, 15, 1.0, 1.0, 1.3, 1.2 },
    /* mixed */ { 0.32, 0.8, 0.70, 2.5, 0.40, 1.5, 0.7, 0.06, 0.40, 0.02, 25, 1.0, 0.5, 1.0, 1.5 },
};

/* Activity by hour of day (UTC), for session start times. */
static const double hour_weight[24] = {
    0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 1.4, 1.2, 1.3,
    1.8, 1.5, 1.2, 1.2, 1.3, 1.6, 2.0, 2.4, 2.6, 2.3, 1.6, 0.8,
};

#define HOUR_WEIGHT_TOTAL 28.3 /* sum of hour_weight */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng *rng, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed;
    x = splitmix64(&x) ^ (stream * UINT64_C(0xD1B54A32D192ED03));
    x = splitmix64(&x) ^ index;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

int sim_day_kind(const sim_calendar *calendar, int64_t day)
{
    const int64_t abs_day = calendar->start_day + day;
    const int dow = (int)(((abs_day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
    uint64_t x = calendar->seed ^ (STREAM_DISCOUNT * UINT64_C(0xA0761D6478BD642F));
    x = splitmix64(&x) ^ (uint64_t)abs_day;
    const double u = (double)(splitmix64(&x) >> 11) * 0x1p-53;
    return (dow == 0 || dow == 6) | (u < DISCOUNT_SHARE) << 1;
}

static double normal(sim_rng *rng)
{
    const double u1 = 1.0 - sim_rng_uniform(rng); /* (0, 1] */
    const double u2 = sim_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

static int poisson(double mean, sim_rng *rng)
{
    if (mean <= 0)
        return 0;
    const double u = sim_rng_uniform(rng);
    double p = exp(-mean), sum = p;
    int k = 0;
    while (u > sum && k < 200) {
        k++;
        p *= mean / k;
        sum += p;
    }
    return k;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void sim_user_init(sim_user *user, sim_state *state, sim_rng *rng, uint64_t seed, int64_t index,
                   const double mix_cdf[LAPSE_SIM_ARCHETYPES], int days)
{
    sim_rng_seed(rng, seed, STREAM_USER, (uint64_t)index);
    memset(user, 0, sizeof *user);
    user->index = index;
    const double pick = sim_rng_uniform(rng);
    int a = 0;
    while (a < LAPSE_SIM_ARCHETYPES - 1 && pick >= mix_cdf[a])
        a++;
    user->archetype = (lapse_sim_archetype)a;
    const double when = sim_rng_uniform(rng);
    const double where = sim_rng_uniform(rng);
    user->signup = when < SIM_PRE_SHARE ? -1 - (int64_t)(where * SIM_PRE_DAYS)
                                        : (int64_t)(where * days);
    /* Heavy tails: a few users are daily, many show up a few times a month. */
    user->active = clamp(archetypes[a].active * exp(0.8 * normal(rng)), 0.01, 0.95);
    user->sessions = archetypes[a].sessions * exp(0.4 * normal(rng));
    user->spend = archetypes[a].spend * exp(0.6 * normal(rng));
    user->circle_weight = archetypes[a].circle_weight;
    /* Rare visitors and low spenders leave sooner. */
    const double h = SIM_HAZARD_BASE * archetypes[a].hazard *
                     clamp(sqrt(0.35 / user->active), 0.5, 3.0) *
                     clamp(pow(archetypes[a].spend / user->spend, 0.3), 0.6, 1.8);
    user->hazard[0] = clamp(h, 0, SIM_HAZARD_MAX);
    user->hazard[1] = clamp(h * (1.0 + user->circle_weight * (SIM_CIRCLE_HAZARD - 1.0)), 0, SIM_HAZARD_MAX);
    state->phase = SIM_ENGAGED;
    state->age = 0;
    state->device = 0;
}

void sim_user_emission(const sim_user *user, int phase, int circle_quiet, int day_kind,
                       sim_emit *out)
{
    const int a = user->archetype;
    double active = user->active, sessions = user->sessions;
    double core_p = archetypes[a].core_p, core_depth = archetypes[a].core_depth;
    double social_p = archetypes[a].social_p, social_depth = archetypes[a].social_depth;
    double purchase_p = archetypes[a].purchase_p, amount = user->spend;
    if (day_kind & 1)
        active *= archetypes[a].weekend;
    if (day_kind & 2) {
        purchase_p *= archetypes[a].discount;
        if (a == LAPSE_SIM_PRICE_SENSITIVE) {
            active *= 1.5;
            amount *= 0.8;
        }
    }
    if (circle_quiet) {
        active *= 1.0 - 0.4 * user->circle_weight;
        social_p *= 1.0 - 0.5 * user->circle_weight;
    }
    if (phase == SIM_DIP) {
        active *= 0.4;
        sessions *= 0.6;
        core_depth *= 0.7;
        social_p *= 0.6;
        purchase_p *= 0.5;
    } else if (phase >= SIM_DECLINE0) {
        /* Warning signs ramp up over the decline: fewer and shallower
         * sessions, the core feature skipped, social activity gone by
         * half-way, purchases fading out and shrinking. */
        const double f = (double)(phase - SIM_DECLINE0 + 1) / SIM_DECLINE_DAYS;
        active *= 1.0 - 0.75 * f;
        sessions *= 1.0 - 0.7 * f;
        core_p *= 1.0 - 0.8 * f;
        core_depth *= 1.0 - 0.6 * f;
        social_p *= f < 0.5 ? 1.0 - 2.0 * f : 0.0;
        purchase_p *= (1.0 - f) * (1.0 - f);
        amount *= 1.0 - 0.5 * f;
    }
    out->active = clamp(active, 0, 0.97);
    out->sessions = sessions;
    out->core_p = clamp(core_p, 0, 1);
    out->core_depth = core_depth;
    out->social_p = clamp(social_p, 0, 1);
    out->social_depth = social_depth;
    out->other_mean = archetypes[a].other_mean;
    out->purchase_p = clamp(purchase_p, 0, 1);
    out->coupon_with = archetypes[a].coupon_with;
    out->coupon_without = archetypes[a].coupon_without;
    out->amount = amount;
}

static void push(sim_events *out, uint32_t t, uint32_t user, uint32_t session, int device,
                int event, uint32_t cents)
{
    if (out->len == out->cap) {
        const size_t cap = out->cap ? out->cap * 2 : 4096;
        sim_event *items = realloc(out->items, cap * sizeof *items);
        if (!items) {
            out->failed = 1;
            return;
        }
        out->items = items;
        out->cap = cap;
    }
    out->items[out->len++] = (sim_event){ t, user, session, cents, (uint16_t)device,
                                          (uint8_t)event };
}

/* A day's events stay in that day: a session that runs past midnight moves
 * earlier as a whole, keeping its events' order and spacing (clamping them
 * to 23:59:59 instead made exact repeats of one another). Its events are
 * out->items[first..], from second start to second end of the day that
 * starts at base; one longer than the day (never drawn in practice) is cut
 * at its end. */
static void keep_in_day(sim_events *out, size_t first, uint32_t base, uint32_t start,
                        uint32_t end)
{
    if (end < SECONDS_PER_DAY)
        return;
    const uint32_t over = end - (SECONDS_PER_DAY - 1);
    const uint32_t shift = over < start ? over : start;
    const uint32_t last = base + SECONDS_PER_DAY - 1;
    for (size_t i = first; i < out->len; i++) {
        const uint32_t t = out->items[i].t - shift;
        out->items[i].t = t < last ? t : last;
    }
}

static int pick_hour(sim_rng *rng)
{
    double u = sim_rng_uniform(rng) * HOUR_WEIGHT_TOTAL;
    int h = 0;
    while (h < 23 && u >= hour_weight[h]) {
        u -= hour_weight[h];
        h++;
    }
    return h;
}

unsigned sim_emit_day(const sim_user *user, const sim_emit *emit, int64_t day, int device,
                      uint32_t *session, sim_rng *rng, sim_events *out)
{
    if (sim_rng_uniform(rng) >= emit->active)
        return 0;
    unsigned mask = 1u << LAPSE_CAT_ACTIVITY;
    const uint32_t base = (uint32_t)(day * SECONDS_PER_DAY);
    const uint32_t user_no = (uint32_t)user->index;
    const int n = 1 + poisson(emit->sessions, rng);
    for (int s = 0; s < n; s++) {
        const uint32_t id = ++*session;
        uint32_t sec = (uint32_t)pick_hour(rng) * 3600 + (uint32_t)(sim_rng_uniform(rng) * 3600);
        const uint32_t start = sec;
        const size_t first = out ? out->len : 0;
        const int opener = (int)(sim_rng_uniform(rng) * 3); /* app_open, session_start, login */
        const int core = sim_rng_uniform(rng) < emit->core_p ? 1 + poisson(emit->core_depth, rng) : 0;
        const int social =
            sim_rng_uniform(rng) < emit->social_p ? 1 + poisson(emit->social_depth, rng) : 0;
        const int other = poisson(emit->other_mean, rng);
        const int purchase = sim_rng_uniform(rng) < emit->purchase_p;
        const int coupon =
            sim_rng_uniform(rng) < (purchase ? emit->coupon_with : emit->coupon_without);
        if (out)
            push(out, base + sec, user_no, id, device, SIM_EV_APP_OPEN + opener, 0);
        /* The middle of the session interleaves core, social and noise events. */
        int left_core = core, left_social = social, left_other = other;
        for (int remaining = core + social + other; remaining > 0; remaining--) {
            const double u = sim_rng_uniform(rng) * remaining;
            int event;
            if (u < left_core) {
                left_core--;
                event = sim_rng_uniform(rng) < 0.7 ? SIM_EV_CORE_USE : SIM_EV_FEATURE_USE;
            } else if (u < left_core + left_social) {
                left_social--;
                const double v = sim_rng_uniform(rng);
                event = v < 0.35 ? SIM_EV_LIKE : v < 0.55 ? SIM_EV_COMMENT : v < 0.70 ? SIM_EV_SHARE
                      : v < 0.85 ? SIM_EV_MESSAGE : v < 0.95 ? SIM_EV_FOLLOW : SIM_EV_INVITE;
            } else {
                left_other--;
                const double v = sim_rng_uniform(rng);
                event = v < 0.7 ? SIM_EV_PAGE_VIEW : v < 0.9 ? SIM_EV_SCROLL
                                                             : SIM_EV_NOTIFICATION_OPEN;
            }
            sec += 2 + (uint32_t)(sim_rng_uniform(rng) * 90);
            if (out)
                push(out, base + sec, user_no, id, device, event, 0);
        }
        if (coupon) {
            sec += 5 + (uint32_t)(sim_rng_uniform(rng) * 60);
            if (out)
                push(out, base + sec, user_no, id, device, SIM_EV_COUPON_USE, 0);
        }
        if (purchase) {
            const double amount = emit->amount * exp(SIM_AMOUNT_SIGMA * normal(rng));
            double cents = floor(amount * 100.0 + 0.5);
            cents = clamp(cents, 50, 5e8);
            sec += 5 + (uint32_t)(sim_rng_uniform(rng) * 120);
            if (out)
                push(out, base + sec, user_no, id, device, SIM_EV_PURCHASE, (uint32_t)cents);
        }
        if (out)
            keep_in_day(out, first, base, start, sec);
        mask |= (core ? 1u << LAPSE_CAT_CORE : 0) | (social ? 1u << LAPSE_CAT_SOCIAL : 0) |
                (other ? 1u << LAPSE_CAT_OTHER : 0) | (purchase ? 1u << LAPSE_CAT_PURCHASE : 0) |
                (coupon ? 1u << LAPSE_CAT_COUPON : 0);
    }
    return mask;
}

static void enter_churn(sim_state *state)
{
    state->phase = SIM_CHURNED;
    state->age = 0;
}

double sim_return_daily(void)
{
    return 1.0 - pow(1.0 - SIM_RETURN_P, 1.0 / (SIM_GAP_MAX - SIM_GAP_MIN + 1));
}

void sim_user_step(const sim_user *user, sim_state *state, int circle_quiet, sim_rng *rng)
{
    const double h = user->hazard[circle_quiet != 0];
    const int phase = state->phase;
    if (phase == SIM_ENGAGED) {
        const double u = sim_rng_uniform(rng);
        if (u < h) {
            if (sim_rng_uniform(rng) < SIM_SUDDEN) {
                enter_churn(state);
            } else {
                state->phase = SIM_DECLINE0;
                if (sim_rng_uniform(rng) < SIM_DEVICE_ON_DECLINE)
                    state->device++;
            }
        } else if (u < h + SIM_DIP_IN) {
            state->phase = SIM_DIP;
        } else if (sim_rng_uniform(rng) < SIM_DEVICE_NOISE) {
            state->device++;
        }
    } else if (phase == SIM_DIP) {
        const double u = sim_rng_uniform(rng);
        if (u < h)
            state->phase = SIM_DECLINE0;
        else if (u < h + SIM_DIP_OUT)
            state->phase = SIM_ENGAGED;
    } else if (phase < SIM_CHURNED) {
        if (sim_rng_uniform(rng) < SIM_RECOVER) {
            state->phase = SIM_ENGAGED;
        } else if (phase + 1 < SIM_CHURNED) {
            state->phase = phase + 1;
        } else {
            enter_churn(state);
        }
    } else if (state->age <= SIM_GAP_MAX) {
        state->age++;
        if (state->age >= SIM_GAP_MIN && state->age <= SIM_GAP_MAX &&
            sim_rng_uniform(rng) < sim_return_daily()) {
            state->phase = SIM_ENGAGED;
            state->age = 0;
            if (sim_rng_uniform(rng) < SIM_DEVICE_ON_RETURN)
                state->device++;
        }
    }
}

void sim_circle_path(uint64_t seed, int64_t circle, int n_days, unsigned char *quiet)
{
    sim_rng rng;
    sim_rng_seed(&rng, seed, STREAM_CIRCLE, (uint64_t)circle);
    int q = sim_rng_uniform(&rng) < sim_circle_quiet_share();
    for (int d = 0; d < n_days; d++) {
        quiet[d] = (unsigned char)q;
        q = sim_circle_step(q, &rng);
    }
}

int sim_circle_step(int quiet, sim_rng *rng)
{
    const double u = sim_rng_uniform(rng);
    return quiet ? u >= SIM_CIRCLE_QUIET_OUT : u < SIM_CIRCLE_QUIET_IN;
}

double sim_circle_quiet_share(void)
{
    return SIM_CIRCLE_QUIET_IN / (SIM_CIRCLE_QUIET_IN + SIM_CIRCLE_QUIET_OUT);
}

double sim_p_none_day(const sim_emit *emit, unsigned key_mask)
{
    /* Within a session the categories are drawn independently, except that
     * coupon_use depends on whether the session buys. */
    if (key_mask & (1u << LAPSE_CAT_ACTIVITY))
        return 1.0 - emit->active; /* every session opens with an activity event */
    double q = 1.0; /* P(a session has no key event) */
    if (key_mask & (1u << LAPSE_CAT_CORE))
        q *= 1.0 - emit->core_p;
    if (key_mask & (1u << LAPSE_CAT_SOCIAL))
        q *= 1.0 - emit->social_p;
    if (key_mask & (1u << LAPSE_CAT_OTHER))
        q *= exp(-emit->other_mean);
    const int want_purchase = (key_mask & (1u << LAPSE_CAT_PURCHASE)) != 0;
    const int want_coupon = (key_mask & (1u << LAPSE_CAT_COUPON)) != 0;
    const double p = emit->purchase_p;
    if (want_purchase && want_coupon)
        q *= (1.0 - p) * (1.0 - emit->coupon_without);
    else if (want_purchase)
        q *= 1.0 - p;
    else if (want_coupon)
        q *= p * (1.0 - emit->coupon_with) + (1.0 - p) * (1.0 - emit->coupon_without);
    /* Sessions: 1 + Poisson(mu), so E[q^n] = q exp(-mu (1 - q)). */
    return 1.0 - emit->active + emit->active * q * exp(-emit->sessions * (1.0 - q));
}

double sim_p_silent(const sim_user *user, const double live[2][SIM_LIVE_PHASES],
                    const double gone_in[2][SIM_GAP_MAX + 1], double lost, int64_t asof,
                    int horizon, unsigned key_mask, const sim_calendar *calendar)
{
    double none[SIM_DAY_KINDS][2][SIM_LIVE_PHASES];
    int have_kind[SIM_DAY_KINDS] = { 0 };
    /* Mass by circle state: on live phases, and on churned users by days
     * churned (0 .. SIM_GAP_MAX); mass certain to stay silent for good. */
    double alpha[2][SIM_LIVE_PHASES], next[2][SIM_LIVE_PHASES];
    double gone[2][SIM_GAP_MAX + 1], gone_next[2][SIM_GAP_MAX + 1];
    double silent = lost;
    memcpy(alpha, live, sizeof alpha);
    memcpy(gone, gone_in, sizeof gone);
    const double to_quiet[2] = { SIM_CIRCLE_QUIET_IN, 1.0 - SIM_CIRCLE_QUIET_OUT }; /* P(quiet next | c) */
    const double back = sim_return_daily();
    for (int j = 0; j < horizon; j++) {
        const int kind = sim_day_kind(calendar, asof + j);
        if (!have_kind[kind]) {
            for (int c = 0; c < 2; c++)
                for (int s = 0; s < SIM_LIVE_PHASES; s++) {
                    sim_emit emit;
                    sim_user_emission(user, s, c, kind, &emit);
                    none[kind][c][s] = sim_p_none_day(&emit, key_mask);
                }
            have_kind[kind] = 1;
        }
        for (int c = 0; c < 2; c++)
            for (int s = 0; s < SIM_LIVE_PHASES; s++)
                alpha[c][s] *= none[kind][c][s];
        if (j == horizon - 1)
            break;
        /* User transition under the circle state of day j. */
        memset(next, 0, sizeof next);
        memset(gone_next, 0, sizeof gone_next);
        for (int c = 0; c < 2; c++) {
            const double h = user->hazard[c];
            const double *a = alpha[c];
            double *n = next[c];
            n[SIM_DECLINE0] += a[SIM_ENGAGED] * h * (1.0 - SIM_SUDDEN) + a[SIM_DIP] * h;
            n[SIM_DIP] += a[SIM_ENGAGED] * SIM_DIP_IN + a[SIM_DIP] * (1.0 - h - SIM_DIP_OUT);
            n[SIM_ENGAGED] += a[SIM_ENGAGED] * (1.0 - h - SIM_DIP_IN) + a[SIM_DIP] * SIM_DIP_OUT;
            for (int s = SIM_DECLINE0; s < SIM_CHURNED; s++) {
                n[SIM_ENGAGED] += a[s] * SIM_RECOVER;
                if (s + 1 < SIM_CHURNED)
                    n[s + 1] += a[s] * (1.0 - SIM_RECOVER);
            }
            gone_next[c][0] = a[SIM_CHURNED - 1] * (1.0 - SIM_RECOVER) + a[SIM_ENGAGED] * h * SIM_SUDDEN;
            for (int g = 0; g <= SIM_GAP_MAX; g++) {
                const double m = gone[c][g];
                if (g + 1 > SIM_GAP_MAX) {
                    silent += m;
                } else if (g + 1 >= SIM_GAP_MIN) {
                    n[SIM_ENGAGED] += m * back;
                    gone_next[c][g + 1] += m * (1.0 - back);
                } else {
                    gone_next[c][g + 1] += m;
                }
            }
        }
        /* Circle transition, for live and churned mass. */
        for (int s = 0; s < SIM_LIVE_PHASES; s++) {
            alpha[1][s] = next[0][s] * to_quiet[0] + next[1][s] * to_quiet[1];
            alpha[0][s] = next[0][s] * (1.0 - to_quiet[0]) + next[1][s] * (1.0 - to_quiet[1]);
        }
        for (int g = 0; g <= SIM_GAP_MAX; g++) {
            gone[1][g] = gone_next[0][g] * to_quiet[0] + gone_next[1][g] * to_quiet[1];
            gone[0][g] = gone_next[0][g] * (1.0 - to_quiet[0]) + gone_next[1][g] * (1.0 - to_quiet[1]);
        }
    }
    double p = silent;
    for (int c = 0; c < 2; c++) {
        for (int s = 0; s < SIM_LIVE_PHASES; s++)
            p += alpha[c][s];
        for (int g = 0; g <= SIM_GAP_MAX; g++)
            p += gone[c][g];
    }
    return p;
}

double sim_p_true(const sim_user *user, const sim_state *state, int circle_quiet, int64_t asof,
                  int horizon, unsigned key_mask, const sim_calendar *calendar)
{
    double live[2][SIM_LIVE_PHASES] = { { 0 } };
    double gone[2][SIM_GAP_MAX + 1] = { { 0 } };
    const int cq = circle_quiet != 0;
    if (state->phase == SIM_CHURNED) {
        if (state->age > SIM_GAP_MAX)
            return 1.0;
        gone[cq][state->age] = 1.0;
    } else {
        live[cq][state->phase] = 1.0;
    }
    return sim_p_silent(user, live, gone, 0.0, asof, horizon, key_mask, calendar);
}

int sim_mc_label(const sim_user *user, const sim_state *state, int circle_quiet, int64_t asof,
                 int horizon, unsigned key_mask, const sim_calendar *calendar, sim_rng *rng)
{
    sim_state s = *state;
    int cq = circle_quiet != 0;
    uint32_t session = 0;
    for (int j = 0; j < horizon; j++) {
        if (s.phase < SIM_LIVE_PHASES) {
            sim_emit emit;
            sim_user_emission(user, s.phase, cq, sim_day_kind(calendar, asof + j), &emit);
            if (sim_emit_day(user, &emit, asof + j, s.device, &session, rng, NULL) & key_mask)
                return 0;
        }
        sim_user_step(user, &s, cq, rng);
        cq = sim_circle_step(cq, rng);
    }
    return 1;
}

double sim_p_within(double p, const lapse_churn_def *def, int64_t last_key, int64_t asof, int h)
{
    if (h >= def->horizon_days)
        return p;
    const int day = lapse_churn_days_to_churn(def, asof, last_key, 0, LAPSE_CHURN_NEVER);
    return day >= 1 && day <= h ? p : 0.0;
}
