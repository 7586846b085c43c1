/* The observer's view of a simulated user: a forward filter over the hidden
 * chain that sees only what the log shows (each day's sessions, core and
 * social depth, purchases and their amounts, the device) and knows the
 * user's traits. Ranking by its P(silent horizon) is the best any model of
 * one user's log can do, so it bounds what features can reach, where p_true,
 * which sees the hidden state itself, bounds nothing a log can show.
 *
 * The transitions mirror sim_user_step, with the device changes it draws
 * carried as a count not yet seen; what the circle's other members show is
 * left out, as a per-user model cannot see it either. */
#include "simulate_model.h"

#include <math.h>
#include <string.h>

static double log_or_floor(double p)
{
    return p > 0 ? log(p) : -INFINITY;
}

void sim_day_record_of(sim_day_record *record, const sim_event *events, size_t n)
{
    memset(record, 0, sizeof *record);
    record->device = events[0].device;
    size_t i = 0;
    while (i < n) {
        const uint32_t session = events[i].session;
        int core = 0, social = 0, bought = 0;
        for (; i < n && events[i].session == session; i++) {
            const int e = events[i].event;
            if (e == SIM_EV_CORE_USE || e == SIM_EV_FEATURE_USE) {
                core++;
            } else if (e >= SIM_EV_LIKE && e <= SIM_EV_INVITE) {
                social++;
            } else if (e == SIM_EV_PURCHASE) {
                const double l = log(events[i].cents / 100.0);
                record->log_amount += l;
                record->log_amount_sq += l * l;
                bought = 1;
            }
        }
        record->sessions++;
        record->core_sessions += core > 0;
        record->core_extra += core > 0 ? core - 1 : 0;
        record->social_sessions += social > 0;
        record->social_extra += social > 0 ? social - 1 : 0;
        record->purchases += bought;
    }
}

void sim_filter_start(sim_filter *filter, const sim_user *user)
{
    memset(filter, 0, sizeof *filter);
    filter->gone_top = -1;
    const double quiet = sim_circle_quiet_share();
    filter->live[0][0][SIM_ENGAGED] = 1.0 - quiet;
    filter->live[0][1][SIM_ENGAGED] = quiet;
    for (int kind = 0; kind < SIM_DAY_KINDS; kind++)
        for (int c = 0; c < 2; c++)
            for (int s = 0; s < SIM_LIVE_PHASES; s++) {
                sim_emit e;
                sim_user_emission(user, s, c, kind, &e);
                struct sim_log_emission *l = &filter->emission[kind][c][s];
                l->log_active = log_or_floor(e.active);
                l->idle = 1.0 - e.active;
                l->mu = e.sessions;
                l->log_mu = log_or_floor(e.sessions);
                l->core_depth = e.core_depth;
                l->log_core_depth = log_or_floor(e.core_depth);
                l->log_core = log_or_floor(e.core_p);
                l->log_no_core = log_or_floor(1.0 - e.core_p);
                l->social_depth = e.social_depth;
                l->log_social_depth = log_or_floor(e.social_depth);
                l->log_social = log_or_floor(e.social_p);
                l->log_no_social = log_or_floor(1.0 - e.social_p);
                l->log_buy = log_or_floor(e.purchase_p);
                l->log_no_buy = log_or_floor(1.0 - e.purchase_p);
                l->log_amount = log(e.amount);
            }
}

/* count * log_p, where a count of zero contributes nothing even when p is 0. */
static double times(int count, double log_p)
{
    return count ? count * log_p : 0.0;
}

/* log P(record | phase, circle, kind) up to terms no state changes. */
static double log_likelihood(const struct sim_log_emission *l, const sim_day_record *r)
{
    const int n = r->sessions;
    const double sd2 = 2.0 * SIM_AMOUNT_SIGMA * SIM_AMOUNT_SIGMA;
    return l->log_active + times(n - 1, l->log_mu) - l->mu +
           times(r->core_sessions, l->log_core) + times(n - r->core_sessions, l->log_no_core) +
           times(r->core_extra, l->log_core_depth) - r->core_sessions * l->core_depth +
           times(r->social_sessions, l->log_social) +
           times(n - r->social_sessions, l->log_no_social) +
           times(r->social_extra, l->log_social_depth) - r->social_sessions * l->social_depth +
           times(r->purchases, l->log_buy) + times(n - r->purchases, l->log_no_buy) -
           (r->log_amount_sq - 2.0 * l->log_amount * r->log_amount +
            r->purchases * l->log_amount * l->log_amount) / sd2;
}

static void normalise(sim_filter *f)
{
    double total = f->lost;
    for (int k = 0; k < SIM_DEVICE_STEPS; k++)
        for (int c = 0; c < 2; c++) {
            for (int s = 0; s < SIM_LIVE_PHASES; s++)
                total += f->live[k][c][s];
            for (int g = 0; g <= f->gone_top; g++)
                total += f->gone[k][c][g];
        }
    if (!(total > 0))
        return; /* impossible under the model: cannot happen for logs it wrote */
    const double scale = 1.0 / total;
    f->lost *= scale;
    for (int k = 0; k < SIM_DEVICE_STEPS; k++)
        for (int c = 0; c < 2; c++) {
            for (int s = 0; s < SIM_LIVE_PHASES; s++)
                f->live[k][c][s] *= scale;
            for (int g = 0; g <= f->gone_top; g++)
                f->gone[k][c][g] *= scale;
        }
}

void sim_filter_observe(sim_filter *filter, int day_kind, const sim_day_record *record)
{
    if (!record) {
        for (int k = 0; k < SIM_DEVICE_STEPS; k++)
            for (int c = 0; c < 2; c++)
                for (int s = 0; s < SIM_LIVE_PHASES; s++)
                    filter->live[k][c][s] *= filter->emission[day_kind][c][s].idle;
        normalise(filter);
        return;
    }
    /* An active day: the user is live, and the device shows how many
     * changes happened since the last active day. */
    const int changes = record->device - filter->device;
    const int seen = changes >= SIM_DEVICE_STEPS - 1 ? SIM_DEVICE_STEPS - 1 : changes;
    double ll[2][SIM_LIVE_PHASES], top = -INFINITY;
    for (int c = 0; c < 2; c++)
        for (int s = 0; s < SIM_LIVE_PHASES; s++) {
            ll[c][s] = log_likelihood(&filter->emission[day_kind][c][s], record);
            if (ll[c][s] > top)
                top = ll[c][s];
        }
    double live[2][SIM_LIVE_PHASES] = { { 0 } };
    if (seen >= 0)
        for (int c = 0; c < 2; c++)
            for (int s = 0; s < SIM_LIVE_PHASES; s++)
                live[c][s] = filter->live[seen][c][s] * exp(ll[c][s] - top);
    memset(filter->live, 0, sizeof filter->live);
    memset(filter->gone, 0, sizeof filter->gone);
    memcpy(filter->live[0], live, sizeof live);
    filter->lost = 0.0;
    filter->gone_top = -1;
    filter->device = record->device;
    normalise(filter);
}

void sim_filter_step(sim_filter *filter, const sim_user *user)
{
    /* Mass churned g days ago moves to g + 1; nothing lies above gone_top,
     * which keeps the usual case (a user seen a few days ago) short. */
    const int top = filter->gone_top;
    const int next_top = top + 1 > SIM_GAP_MAX ? SIM_GAP_MAX : top + 1;
    double live[SIM_DEVICE_STEPS][2][SIM_LIVE_PHASES] = { { { 0 } } };
    double gone[SIM_DEVICE_STEPS][2][SIM_GAP_MAX + 1];
    for (int k = 0; k < SIM_DEVICE_STEPS; k++)
        for (int c = 0; c < 2; c++)
            memset(gone[k][c], 0, (size_t)(next_top + 1) * sizeof gone[k][c][0]);
    const double back = sim_return_daily();
    for (int k = 0; k < SIM_DEVICE_STEPS; k++) {
        const int k1 = k + 1 < SIM_DEVICE_STEPS ? k + 1 : k; /* one more change */
        for (int c = 0; c < 2; c++) {
            const double h = user->hazard[c];
            const double *a = filter->live[k][c];
            const double engaged = a[SIM_ENGAGED], dip = a[SIM_DIP];
            const double decline = engaged * h * (1.0 - SIM_SUDDEN);
            const double stay = engaged * (1.0 - h - SIM_DIP_IN);
            live[k][c][SIM_DECLINE0] += decline * (1.0 - SIM_DEVICE_ON_DECLINE) + dip * h;
            live[k1][c][SIM_DECLINE0] += decline * SIM_DEVICE_ON_DECLINE;
            live[k][c][SIM_ENGAGED] += stay * (1.0 - SIM_DEVICE_NOISE) + dip * SIM_DIP_OUT;
            live[k1][c][SIM_ENGAGED] += stay * SIM_DEVICE_NOISE;
            live[k][c][SIM_DIP] += engaged * SIM_DIP_IN + dip * (1.0 - h - SIM_DIP_OUT);
            for (int s = SIM_DECLINE0; s < SIM_CHURNED; s++) {
                live[k][c][SIM_ENGAGED] += a[s] * SIM_RECOVER;
                if (s + 1 < SIM_CHURNED)
                    live[k][c][s + 1] += a[s] * (1.0 - SIM_RECOVER);
            }
            gone[k][c][0] = a[SIM_CHURNED - 1] * (1.0 - SIM_RECOVER) + engaged * h * SIM_SUDDEN;
            const double *g_in = filter->gone[k][c];
            for (int g = 0; g <= top; g++) {
                const double m = g_in[g];
                if (g + 1 > SIM_GAP_MAX) {
                    filter->lost += m;
                } else if (g + 1 >= SIM_GAP_MIN) {
                    live[k][c][SIM_ENGAGED] += m * back * (1.0 - SIM_DEVICE_ON_RETURN);
                    live[k1][c][SIM_ENGAGED] += m * back * SIM_DEVICE_ON_RETURN;
                    gone[k][c][g + 1] += m * (1.0 - back);
                } else {
                    gone[k][c][g + 1] += m;
                }
            }
        }
    }
    filter->gone_top = next_top;
    /* The circle moves on its own. */
    const double to_quiet[2] = { SIM_CIRCLE_QUIET_IN, 1.0 - SIM_CIRCLE_QUIET_OUT };
    for (int k = 0; k < SIM_DEVICE_STEPS; k++) {
        for (int s = 0; s < SIM_LIVE_PHASES; s++) {
            const double a0 = live[k][0][s], a1 = live[k][1][s];
            filter->live[k][1][s] = a0 * to_quiet[0] + a1 * to_quiet[1];
            filter->live[k][0][s] = a0 * (1.0 - to_quiet[0]) + a1 * (1.0 - to_quiet[1]);
        }
        for (int g = 0; g <= next_top; g++) {
            const double a0 = gone[k][0][g], a1 = gone[k][1][g];
            filter->gone[k][1][g] = a0 * to_quiet[0] + a1 * to_quiet[1];
            filter->gone[k][0][g] = a0 * (1.0 - to_quiet[0]) + a1 * (1.0 - to_quiet[1]);
        }
    }
}

double sim_filter_p_silent(const sim_filter *filter, const sim_user *user, int64_t asof,
                           int horizon, unsigned key_mask, const sim_calendar *calendar)
{
    double live[2][SIM_LIVE_PHASES] = { { 0 } };
    double gone[2][SIM_GAP_MAX + 1] = { { 0 } };
    for (int k = 0; k < SIM_DEVICE_STEPS; k++)
        for (int c = 0; c < 2; c++) {
            for (int s = 0; s < SIM_LIVE_PHASES; s++)
                live[c][s] += filter->live[k][c][s];
            for (int g = 0; g <= filter->gone_top; g++)
                gone[c][g] += filter->gone[k][c][g];
        }
    return sim_p_silent(user, live, gone, filter->lost, asof, horizon, key_mask, calendar);
}
