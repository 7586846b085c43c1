/* lapse simulate --btyd: purchase histories from the BG/NBD (and
 * Gamma-Gamma) generative process with planted parameters. */
#include "lapse/btyd.h"
#include "lapse/numtext.h"
#include "lapse/outfile.h"
#include "lapse/simulate.h"
#include "lapse/timeparse.h"

#include "simulate_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { STREAM_BTYD = 4 }; /* after simulate_model.c's streams */

#define SECONDS_PER_DAY 86400

int lapse_sim_btyd_options_check(const lapse_sim_btyd_options *o, lapse_error *err)
{
#define BAD(...) lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, __VA_ARGS__)
    if (o->users < 1 || o->users > LAPSE_SIM_MAX_USERS)
        return BAD("--users must be 1 to %lld", (long long)LAPSE_SIM_MAX_USERS);
    if (o->start % SECONDS_PER_DAY != 0)
        return BAD("--start must be a midnight (UTC)");
    if (o->horizon_days < 1 || o->cohort_days < 1 || o->days > LAPSE_SIM_MAX_DAYS ||
        o->cohort_days + o->horizon_days >= o->days)
        return BAD("--btyd needs the first purchases (%d days) and the horizon (%d days) to fit "
                   "in the log (%d days, at most %d) with a day to spare",
                   o->cohort_days, o->horizon_days, o->days, LAPSE_SIM_MAX_DAYS);
    if (o->unit_days != 1 && o->unit_days != 7)
        return BAD("the time unit must be 1 or 7 days");
    for (int i = 0; i < (o->gamma_gamma ? 7 : 4); i++) {
        const double v = i < 4 ? o->params[i] : o->gg[i - 4];
        if (!(v > 0) || !isfinite(v) || v > 1e6)
            return BAD("--btyd: parameter %d is %g; each must be > 0 and at most 1e6", i + 1, v);
    }
    return LAPSE_OK;
#undef BAD
}

/* Standard normal (Box-Muller; the second value is dropped). */
static double normal(sim_rng *rng)
{
    const double u = 1 - sim_rng_uniform(rng), v = sim_rng_uniform(rng);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

/* Gamma(shape k, rate 1): Marsaglia and Tsang (2000), with U^(1/k) for k < 1. */
static double gamma_unit(sim_rng *rng, double k)
{
    if (k < 1) {
        const double u = 1 - sim_rng_uniform(rng);
        return gamma_unit(rng, k + 1) * pow(u, 1 / k);
    }
    const double d = k - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double z, v;
        do {
            z = normal(rng);
            v = 1 + c * z;
        } while (v <= 0);
        v = v * v * v;
        const double u = 1 - sim_rng_uniform(rng);
        if (log(u) < 0.5 * z * z + d - d * v + d * log(v))
            return d * v;
    }
}

static double exponential(sim_rng *rng, double rate)
{
    return -log(1 - sim_rng_uniform(rng)) / rate;
}

typedef struct {
    lapse_outfile *events, *truth;
    FILE *ev, *tr;
} outputs;

static int open_output(lapse_outfile **out, const char *dir, const char *name, lapse_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "the folder name is too long");
    return lapse_outfile_open(out, path, err);
}

/* One user: purchases to the end of the horizon, then the truth row. */
static int simulate_user(const lapse_sim_btyd_options *o, int64_t index, int64_t asof,
                         outputs *out, lapse_sim_btyd_stats *stats, lapse_error *err)
{
    sim_rng rng;
    sim_rng_seed(&rng, o->seed, STREAM_BTYD, (uint64_t)index);
    const double r = o->params[0], alpha = o->params[1], a = o->params[2], b = o->params[3];
    const double lambda = gamma_unit(&rng, r) / alpha; /* per unit */
    const double ga = gamma_unit(&rng, a), gb = gamma_unit(&rng, b);
    const double p = ga + gb > 0 ? ga / (ga + gb) : 0.5;
    const double nu = o->gamma_gamma ? gamma_unit(&rng, o->gg[1]) / o->gg[2] : 0;
    const double rate = lambda / (o->unit_days * (double)SECONDS_PER_DAY); /* per second */
    const int64_t end = asof + (int64_t)o->horizon_days * SECONDS_PER_DAY;
    const int64_t first = o->start + (int64_t)(sim_rng_uniform(&rng) * o->cohort_days *
                                               SECONDS_PER_DAY);
    char id[32];
    snprintf(id, sizeof id, "b%07lld", (long long)index + 1);
    int64_t last_before = first, purchase_days_before = 0; /* days, as extract counts x */
    int64_t next_free = 0; /* the first second of the day after the last purchase written */
    int alive_at_asof = 1, bought_in_horizon = 0;
    double t = (double)first;
    for (int alive = 1, n = 0; alive; n++) {
        /* The model counts purchases, the literature's summary (and extract)
         * purchase days: a purchase drawn on a day that has one already is
         * written at the start of the next free day, so the days number the
         * purchases drawn (0.8% of them move at CDNOW's parameters). */
        const int64_t ts = (int64_t)t > next_free ? (int64_t)t : next_free;
        if (ts >= end)
            break;
        next_free = (ts / SECONDS_PER_DAY + 1) * SECONDS_PER_DAY;
        fprintf(out->ev, "%s,%lld,purchase,", id, (long long)ts);
        if (o->gamma_gamma) /* at least a micro-unit: extract sums micro-units */
            fprintf(out->ev, "%.6f", fmax(gamma_unit(&rng, o->gg[0]) / nu, 1e-6));
        fputc('\n', out->ev);
        stats->events++;
        if (ts < asof) {
            purchase_days_before += purchase_days_before == 0 ||
                                    ts / SECONDS_PER_DAY != last_before / SECONDS_PER_DAY;
            last_before = ts;
        } else {
            bought_in_horizon = 1;
        }
        if (n > 0 && sim_rng_uniform(&rng) < p) { /* dropout, after a repeat purchase */
            alive = 0;
            alive_at_asof &= ts >= asof;
        }
        t += rate > 0 ? exponential(&rng, rate) : INFINITY;
        if (!(t < (double)end))
            break;
    }
    const double h = o->horizon_days / (double)o->unit_days;
    const double p_true = alive_at_asof ? exp(-lambda * h) : 1;
    /* The summary extract computes: the days with a purchase after the
     * first, and days from the first purchase day to the last before asof,
     * and to the day before asof. */
    const int64_t first_day = first / SECONDS_PER_DAY, asof_day = asof / SECONDS_PER_DAY;
    double x = (double)(purchase_days_before - 1);
    double t_x = (double)(last_before / SECONDS_PER_DAY - first_day) / o->unit_days;
    double T = (double)(asof_day - 1 - first_day) / o->unit_days;
    const lapse_btyd_data one = { 1, &x, &t_x, &T, NULL, NULL };
    const lapse_btyd_fit_result model = { LAPSE_BTYD_BGNBD, { r, alpha, a, b }, { 0 }, 0, 0, 1 };
    lapse_btyd_prediction pred;
    int status = lapse_btyd_predict(&pred, &model, NULL, &one, h, err);
    if (status != LAPSE_OK)
        return status;
    char date[16];
    lapse_time_format_date(date, asof);
    char text[4][LAPSE_NUMTEXT_MAX];
    const double figures[4] = { lambda, p, p_true, pred.p_none };
    for (int f = 0; f < 4; f++)
        lapse_numtext_double(text[f], figures[f]);
    fprintf(out->tr, "%s,%s,%d,%s,%s,%d,%s,%s,%d\n", id, date, o->horizon_days, text[0], text[1],
            alive_at_asof, text[2], text[3], !bought_in_horizon);
    stats->repeat_buyers += purchase_days_before > 1;
    stats->alive += alive_at_asof;
    stats->no_purchase += !bought_in_horizon;
    stats->p_true_sum += p_true;
    stats->p_model_sum += pred.p_none;
    return LAPSE_OK;
}

int lapse_simulate_btyd(const char *dir, const lapse_sim_btyd_options *o,
                        lapse_sim_btyd_stats *stats, lapse_error *err)
{
    int status = lapse_sim_btyd_options_check(o, err);
    if (status != LAPSE_OK)
        return status;
    lapse_sim_btyd_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    stats->asof = o->start + (int64_t)(o->days - o->horizon_days) * SECONDS_PER_DAY;
    outputs out = { NULL, NULL, NULL, NULL };
    status = open_output(&out.events, dir, "events.csv", err);
    if (status == LAPSE_OK)
        status = open_output(&out.truth, dir, "truth.csv", err);
    if (status == LAPSE_OK) {
        out.ev = lapse_outfile_stream(out.events);
        out.tr = lapse_outfile_stream(out.truth);
        fputs("user_id,ts,event,amount\n", out.ev);
        fputs("user_id,asof,horizon,lambda,p_dropout,alive,p_true,p_model,label\n", out.tr);
        for (int64_t i = 0; i < o->users && status == LAPSE_OK; i++)
            status = simulate_user(o, i, stats->asof, &out, stats, err);
        if (status == LAPSE_OK && (ferror(out.ev) || ferror(out.tr)))
            status = lapse_error_set(err, LAPSE_ERR_IO, dir, 0, 0, -1,
                                     "cannot write the simulated files: %s", strerror(errno));
    }
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out.events, err);
        out.events = NULL;
    }
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out.truth, err);
        out.truth = NULL;
    }
    lapse_outfile_abort(out.events);
    lapse_outfile_abort(out.truth);
    return status;
}
