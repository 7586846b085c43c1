/* The simulator: determinism, its statistics, and p_true against a Monte
 * Carlo re-simulation with the real event generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/category.h"
#include "lapse/simulate.h"
#include "lapse/timeparse.h"
#include "simulate_model.h"

#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define ACTIVITY (1u << LAPSE_CAT_ACTIVITY)

static char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    data[size] = '\0';
    fclose(f);
    *len = (size_t)size;
    return data;
}

static int same_files(const char *a, const char *b, const char *name)
{
    size_t la, lb;
    char *da = slurp(a, name, &la), *db = slurp(b, name, &lb);
    const int same = la == lb && memcmp(da, db, la) == 0;
    free(da);
    free(db);
    return same;
}

static void run(const char *dir, const lapse_sim_options *o, lapse_sim_stats *stats)
{
    mkdir(dir, 0755);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_simulate(dir, o, stats, &err), LAPSE_OK);
}

static void same_seed_same_bytes_any_threads(void **state)
{
    (void)state;
    lapse_sim_options o = LAPSE_SIM_OPTIONS_INIT;
    o.users = 700; /* three blocks, the last one partial */
    o.days = 120;
    o.seed = 42;
    lapse_sim_stats s1, s2;
    run("sim_det_a", &o, &s1);
    o.threads = 3;
    run("sim_det_b", &o, &s2);
    o.seed = 43;
    run("sim_det_c", &o, NULL);
    const char *files[] = { "events.csv.gz", "truth.csv", "truth_snapshots.csv" };
    for (int i = 0; i < 3; i++) {
        assert_true(same_files("sim_det_a", "sim_det_b", files[i]));
        assert_false(same_files("sim_det_a", "sim_det_c", files[i]));
    }
    assert_int_equal(s1.events, s2.events);
    assert_true(s1.events > 700 * 20);
    /* 120 days: default snapshots at days 60 and 90 only. */
    assert_int_equal(s1.n_snapshots, 2);
    assert_int_equal(s1.snapshots[0].asof, INT64_C(1767225600) + 60 * 86400);
}

/* CSV files read back with libcsv: each row's fields as strings. */
#define MAX_FIELDS 10
typedef struct {
    int field, row;
    char fields[MAX_FIELDS][64];
    void (*on_record)(void *ctx, char fields[MAX_FIELDS][64]);
    void *ctx;
} row_reader;

static void on_field(void *data, size_t len, void *user)
{
    row_reader *r = user;
    if (r->field < MAX_FIELDS) {
        assert_true(len < 64);
        memcpy(r->fields[r->field], data, len);
        r->fields[r->field][len] = '\0';
    }
    r->field++;
}

static void on_row(int c, void *user)
{
    (void)c;
    row_reader *r = user;
    if (r->row++ > 0) /* after the header */
        r->on_record(r->ctx, r->fields);
    r->field = 0;
}

static void read_csv(const char *dir, const char *name,
                     void (*on_record)(void *, char[MAX_FIELDS][64]), void *ctx)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gzFile in = gzopen(path, "rb"); /* reads plain files too */
    assert_non_null(in);
    row_reader r = { 0 };
    r.on_record = on_record;
    r.ctx = ctx;
    struct csv_parser parser;
    assert_int_equal(csv_init(&parser, 0), 0);
    char buf[1 << 16];
    for (int n; (n = gzread(in, buf, sizeof buf)) > 0;)
        assert_int_equal(csv_parse(&parser, buf, (size_t)n, on_field, on_row, &r), (size_t)n);
    csv_fini(&parser, on_field, on_row, &r);
    csv_free(&parser);
    gzclose(in);
}

static int64_t user_number(const char *id)
{
    assert_true(id[0] == 'u');
    char *end;
    const long long n = strtoll(id + 1, &end, 10);
    assert_true(*end == '\0');
    return n;
}

#define STAT_USERS 3000
#define STAT_DAYS 180
#define START INT64_C(1767225600)

/* Days on which each user emitted an activity event, from the log itself. */
typedef struct {
    lapse_category_map *map;
    unsigned char *key_day; /* [user][day] */
    int64_t events;
    int64_t last_ts;
    int64_t out_of_order;
} log_days;

static void on_event(void *ctx, char f[MAX_FIELDS][64])
{
    log_days *d = ctx;
    int64_t ts;
    assert_int_equal(lapse_time_parse(&ts, f[1], strlen(f[1])), LAPSE_OK);
    const int64_t user = user_number(f[0]), day = (ts - START) / 86400;
    assert_true(user >= 0 && user < STAT_USERS && day >= 0 && day < STAT_DAYS);
    const lapse_category c = lapse_category_lookup(d->map, f[2], strlen(f[2]), NULL);
    assert_true(c != LAPSE_CAT_CANCEL);
    assert_true((f[3][0] != '\0') == (c == LAPSE_CAT_PURCHASE)); /* amounts on purchases only */
    if (c == LAPSE_CAT_ACTIVITY)
        d->key_day[user * STAT_DAYS + day] = 1;
    d->out_of_order += ts < d->last_ts;
    d->last_ts = ts;
    d->events++;
}

typedef struct {
    const log_days *log;
    int64_t n, active, mismatches;
    double *p; /* of active rows */
    int *label;
    double sum_p, sum_label, var;
} snap_rows;

static void on_snapshot(void *ctx, char f[MAX_FIELDS][64])
{
    snap_rows *s = ctx;
    int64_t asof;
    assert_int_equal(lapse_date_parse(&asof, f[1], strlen(f[1])), LAPSE_OK);
    const int64_t user = user_number(f[0]), day = (asof - START) / 86400;
    assert_string_equal(f[2], "30");
    char *end;
    const double p = strtod(f[3], &end);
    assert_true(*end == '\0' && p >= 0 && p <= 1 + 1e-12);
    const int label = f[4][0] == '1';
    /* The label an extractor computes: no activity in [asof, asof + 30). */
    const unsigned char *days = s->log->key_day + user * STAT_DAYS;
    int silent = 1, active = 0;
    for (int64_t t = day; t < day + 30; t++)
        silent &= !days[t];
    for (int64_t t = day - 30; t < day; t++)
        active |= t >= 0 && days[t];
    s->mismatches += silent != label;
    s->n++;
    s->sum_p += p;
    s->sum_label += label;
    s->var += p * (1 - p);
    if (active) {
        s->p[s->active] = p;
        s->label[s->active] = label;
        s->active++;
    }
}

typedef struct {
    double p;
    int label;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x > y) - (x < y);
}

/* AUC by the rank-sum formula, ties sharing their mean rank. */
static double auc(const double *p, const int *label, int64_t n)
{
    scored *s = malloc((size_t)n * sizeof *s);
    assert_non_null(s);
    for (int64_t i = 0; i < n; i++)
        s[i] = (scored){ p[i], label[i] };
    qsort(s, (size_t)n, sizeof *s, cmp_scored);
    double rank_sum = 0, pos = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && s[j].p == s[i].p)
            j++;
        const double mean_rank = (double)(i + j + 1) / 2.0;
        for (int64_t k = i; k < j; k++)
            if (s[k].label) {
                rank_sum += mean_rank;
                pos++;
            }
        i = j;
    }
    free(s);
    const double neg = (double)n - pos;
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

static void archetype_mix_as_asked(void **state)
{
    (void)state;
    lapse_sim_options o = LAPSE_SIM_OPTIONS_INIT;
    o.users = 3000;
    o.days = 40; /* no snapshots: only the mix matters here */
    o.seed = 11;
    const double mix[LAPSE_SIM_ARCHETYPES] = { 0.4, 0.1, 0.3, 0.2 };
    memcpy(o.mix, mix, sizeof mix);
    lapse_sim_stats s;
    run("sim_mix", &o, &s);
    /* Within 0.03 of what was asked (about 3 standard errors at 3000). */
    int64_t total = 0;
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++) {
        assert_true(fabs((double)s.archetype_users[a] / 3000.0 - mix[a]) < 0.03);
        total += s.archetype_users[a];
    }
    assert_int_equal(total, 3000);
    assert_int_equal(s.n_snapshots, 0);
}

static void churn_rate_and_p_true_calibration(void **state)
{
    (void)state;
    lapse_sim_options o = LAPSE_SIM_OPTIONS_INIT; /* the default mix and churn definition */
    o.users = STAT_USERS;
    o.seed = 7;
    o.threads = 2;
    lapse_sim_stats s;
    run("sim_stats", &o, &s);

    /* Churn among active users: 15-25% at every snapshot, and the mean of
     * p_true agrees with the share of labels within 4 standard errors. */
    assert_int_equal(s.n_snapshots, 4);
    int64_t active = 0, churned = 0;
    double p_sum = 0;
    for (size_t i = 0; i < s.n_snapshots; i++) {
        const lapse_sim_snapshot_stats *ss = &s.snapshots[i];
        const double rate = (double)ss->active_churned / (double)ss->active;
        assert_true(ss->active > 500);
        assert_true(rate > 0.15 && rate < 0.25);
        active += ss->active;
        churned += ss->active_churned;
        p_sum += ss->active_p_true;
    }
    const double rate = (double)churned / (double)active, mean_p = p_sum / (double)active;
    assert_true(fabs(rate - mean_p) < 4 * sqrt(mean_p * (1 - mean_p) / (double)active));

    /* Labels re-derived from the log agree with every row of the truth;
     * over all rows, the mean p_true agrees with the labels; over active
     * rows, the oracle AUC is what the best possible model would reach. */
    log_days log = { 0 };
    log.map = lapse_category_map_default();
    log.key_day = calloc(STAT_USERS * STAT_DAYS, 1);
    assert_non_null(log.key_day);
    read_csv("sim_stats", "events.csv.gz", on_event, &log);
    assert_int_equal(log.events, s.events);
    assert_true(log.out_of_order > 0); /* blocks restart the clock: readers must not assume order */
    snap_rows rows = { &log, 0, 0, 0, NULL, NULL, 0, 0, 0 };
    rows.p = malloc(4 * STAT_USERS * sizeof *rows.p);
    rows.label = malloc(4 * STAT_USERS * sizeof *rows.label);
    read_csv("sim_stats", "truth_snapshots.csv", on_snapshot, &rows);
    int64_t listed = 0;
    for (size_t i = 0; i < s.n_snapshots; i++)
        listed += s.snapshots[i].listed;
    assert_int_equal(rows.n, listed);
    assert_int_equal(rows.active, active);
    assert_int_equal(rows.mismatches, 0);
    assert_true(fabs(rows.sum_p - rows.sum_label) < 4 * sqrt(rows.var));
    const double oracle = auc(rows.p, rows.label, rows.active);
    print_message("active rows %lld: churn %.4f, mean p_true %.4f, oracle AUC %.4f\n",
                  (long long)active, rate, mean_p, oracle);
    assert_true(oracle > 0.75);
    free(rows.p);
    free(rows.label);
    free(log.key_day);
    lapse_category_map_free(log.map);
}

/* p_true from the forward pass vs the share of silent futures drawn with the
 * real generator, from hand-picked hidden states. */
static void p_true_matches_monte_carlo(void **state)
{
    (void)state;
    const double cdf[LAPSE_SIM_ARCHETYPES] = { 0.25, 0.5, 0.75, 1.0 };
    const sim_calendar calendar = { 20454, 99 }; /* 2026-01-01 */
    const struct {
        int64_t index;
        int phase, age, quiet;
        unsigned key;
    } cases[] = {
        { 1, SIM_ENGAGED, 0, 0, ACTIVITY },
        { 2, SIM_DIP, 0, 1, ACTIVITY },
        { 3, SIM_DECLINE0 + 3, 0, 1, ACTIVITY },
        { 4, SIM_DECLINE0 + 10, 0, 0, ACTIVITY },
        { 5, SIM_CHURNED, 12, 1, ACTIVITY },
        { 6, SIM_ENGAGED, 0, 1, 1u << LAPSE_CAT_PURCHASE },
        { 7, SIM_DECLINE0, 0, 0, (1u << LAPSE_CAT_CORE) | (1u << LAPSE_CAT_SOCIAL) },
        { 8, SIM_ENGAGED, 0, 0, 1u << LAPSE_CAT_COUPON },
        { 9, SIM_DIP, 0, 0, (1u << LAPSE_CAT_PURCHASE) | (1u << LAPSE_CAT_COUPON) },
        { 10, SIM_CHURNED, 3, 0, ACTIVITY },
        { 11, SIM_CHURNED, 45, 1, ACTIVITY },
    };
    const int draws = 12000, horizon = 30;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sim_user user;
        sim_state st;
        sim_rng rng;
        /* Find a user of each archetype in turn, so all four are covered. */
        int64_t index = cases[c].index;
        do
            sim_user_init(&user, &st, &rng, 5, index++, cdf, 180);
        while ((int)user.archetype != (int)(c % LAPSE_SIM_ARCHETYPES));
        st.phase = cases[c].phase;
        st.age = cases[c].age;
        const int64_t asof = 40 + (int64_t)c;
        const double exact =
            sim_p_true(&user, &st, cases[c].quiet, asof, horizon, cases[c].key, &calendar);
        int silent = 0;
        sim_rng_seed(&rng, 1234, 9, (uint64_t)c);
        for (int d = 0; d < draws; d++)
            silent += sim_mc_label(&user, &st, cases[c].quiet, asof, horizon, cases[c].key,
                                   &calendar, &rng);
        const double mc = (double)silent / draws;
        print_message("case %zu (%s): p_true %.4f, Monte Carlo %.4f\n", c,
                      lapse_sim_archetype_name(user.archetype), exact, mc);
        assert_true(fabs(exact - mc) < 0.015);
    }
}

static void p_true_edge_cases(void **state)
{
    (void)state;
    const double cdf[LAPSE_SIM_ARCHETYPES] = { 0.25, 0.5, 0.75, 1.0 };
    const sim_calendar calendar = { 20454, 1 };
    sim_user user;
    sim_state st;
    sim_rng rng;
    sim_user_init(&user, &st, &rng, 3, 10, cdf, 180);
    /* Gone for good, or churned too recently to be back within the horizon
     * (a return needs SIM_GAP_MIN days churned): certainly silent. */
    st.phase = SIM_CHURNED;
    st.age = SIM_GAP_MAX + 1;
    assert_true(sim_p_true(&user, &st, 0, 50, 30, ACTIVITY, &calendar) == 1.0);
    st.age = 0;
    assert_true(sim_p_true(&user, &st, 0, 50, SIM_GAP_MIN, ACTIVITY, &calendar) == 1.0);
    /* Still within the return window: a return is possible, not certain. */
    assert_true(sim_p_true(&user, &st, 0, 50, 30, ACTIVITY, &calendar) < 1.0);
    /* One day, engaged: exactly 1 - P(active day). */
    st.phase = SIM_ENGAGED;
    sim_emit emit;
    sim_user_emission(&user, SIM_ENGAGED, 1, sim_day_kind(&calendar, 50), &emit);
    assert_true(fabs(sim_p_true(&user, &st, 1, 50, 1, ACTIVITY, &calendar) - (1 - emit.active)) <
                1e-15);
    /* Activity is implied by any session: the purchase key is rarer. */
    const double p_act = sim_p_true(&user, &st, 0, 50, 30, ACTIVITY, &calendar);
    const double p_buy = sim_p_true(&user, &st, 0, 50, 30, 1u << LAPSE_CAT_PURCHASE, &calendar);
    assert_true(p_buy > p_act);
}

/* The observer's posterior, checked the way a posterior can be: rows with
 * p_observed near p have labels at rate p. A filter that mistook a
 * transition or an emission would drift from the labels in some bin. The
 * draws must not change: without p_observed the rows are the plain run's. */
typedef struct {
    int64_t n, bin_n[10];
    double bin_p[10], bin_label[10], sum_p, sum_label, var;
    double *p_true, *p_observed;
    int *label;
    char (*plain)[96]; /* the plain run's rows, in order */
    int64_t mismatches;
} observer_rows;

static void on_plain_row(void *ctx, char f[MAX_FIELDS][64])
{
    observer_rows *o = ctx;
    snprintf(o->plain[o->n++], 96, "%s,%s,%s,%s,%s", f[0], f[1], f[2], f[3], f[4]);
}

static void on_observer_row(void *ctx, char f[MAX_FIELDS][64])
{
    observer_rows *o = ctx;
    char line[96];
    snprintf(line, sizeof line, "%s,%s,%s,%s,%s", f[0], f[1], f[2], f[3], f[5]);
    o->mismatches += strcmp(line, o->plain[o->n]) != 0;
    char *end;
    const double p = strtod(f[4], &end);
    assert_true(*end == '\0' && p >= 0 && p <= 1 + 1e-12);
    const int label = f[5][0] == '1';
    const int b = p >= 1 ? 9 : (int)(p * 10);
    o->bin_n[b]++;
    o->bin_p[b] += p;
    o->bin_label[b] += label;
    o->sum_p += p;
    o->sum_label += label;
    o->var += p * (1 - p);
    o->p_true[o->n] = strtod(f[3], NULL);
    o->p_observed[o->n] = p;
    o->label[o->n] = label;
    o->n++;
}

static void observer_posterior_is_calibrated(void **state)
{
    (void)state;
    lapse_sim_options o = LAPSE_SIM_OPTIONS_INIT;
    o.users = STAT_USERS;
    o.seed = 11;
    o.threads = 2;
    run("sim_plain", &o, NULL);
    o.observer = 1;
    run("sim_observer", &o, NULL);
    assert_true(same_files("sim_plain", "sim_observer", "events.csv.gz"));
    observer_rows rows = { 0 };
    const size_t most = 4 * STAT_USERS;
    rows.plain = malloc(most * sizeof *rows.plain);
    rows.p_true = malloc(most * sizeof *rows.p_true);
    rows.p_observed = malloc(most * sizeof *rows.p_observed);
    rows.label = malloc(most * sizeof *rows.label);
    read_csv("sim_plain", "truth_snapshots.csv", on_plain_row, &rows);
    const int64_t plain_rows = rows.n;
    rows.n = 0;
    read_csv("sim_observer", "truth_snapshots.csv", on_observer_row, &rows);
    assert_int_equal(rows.n, plain_rows);
    assert_int_equal(rows.mismatches, 0);
    assert_true(fabs(rows.sum_p - rows.sum_label) < 4 * sqrt(rows.var));
    for (int b = 0; b < 10; b++) {
        if (rows.bin_n[b] < 100)
            continue;
        const double n = (double)rows.bin_n[b], p = rows.bin_p[b] / n;
        const double rate = rows.bin_label[b] / n;
        print_message("p_observed bin %d: %lld rows, mean %.3f, labels %.3f\n", b,
                      (long long)rows.bin_n[b], p, rate);
        assert_true(fabs(p - rate) < 4 * sqrt(p * (1 - p) / n) + 0.01);
    }
    /* Less information ranks worse than the hidden state, but far better
     * than chance. */
    const double oracle = auc(rows.p_true, rows.label, rows.n);
    const double observer = auc(rows.p_observed, rows.label, rows.n);
    print_message("all rows: oracle AUC %.4f, observer AUC %.4f\n", oracle, observer);
    assert_true(observer < oracle && observer > 0.9);
    free(rows.plain);
    free(rows.p_true);
    free(rows.p_observed);
    free(rows.label);
}

/* The filter's pieces on cases worked by hand. */
static void observer_filter_by_hand(void **state)
{
    (void)state;
    /* Two sessions: core x2, a like and a 12.34 purchase; then a login and
     * a page view. */
    const sim_event day[] = {
        { 100, 1, 7, 0, 2, SIM_EV_APP_OPEN },    { 110, 1, 7, 0, 2, SIM_EV_CORE_USE },
        { 120, 1, 7, 0, 2, SIM_EV_FEATURE_USE }, { 130, 1, 7, 0, 2, SIM_EV_LIKE },
        { 140, 1, 7, 1234, 2, SIM_EV_PURCHASE }, { 500, 1, 8, 0, 2, SIM_EV_LOGIN },
        { 510, 1, 8, 0, 2, SIM_EV_PAGE_VIEW },
    };
    sim_day_record r;
    sim_day_record_of(&r, day, sizeof day / sizeof day[0]);
    assert_int_equal(r.sessions, 2);
    assert_int_equal(r.core_sessions, 1);
    assert_int_equal(r.core_extra, 1);
    assert_int_equal(r.social_sessions, 1);
    assert_int_equal(r.social_extra, 0);
    assert_int_equal(r.purchases, 1);
    assert_int_equal(r.device, 2);
    assert_true(fabs(r.log_amount - log(12.34)) < 1e-12);
    assert_true(fabs(r.log_amount_sq - log(12.34) * log(12.34)) < 1e-12);

    const double cdf[LAPSE_SIM_ARCHETYPES] = { 0.25, 0.5, 0.75, 1.0 };
    const sim_calendar calendar = { 20454, 1 };
    sim_user user;
    sim_state st;
    sim_rng rng;
    sim_user_init(&user, &st, &rng, 3, 12, cdf, 180);
    sim_filter *f = malloc(sizeof *f);
    assert_non_null(f);
    /* At signup the observer knows the phase (engaged) but not the circle,
     * which is in its stationary law. */
    sim_filter_start(f, &user);
    const double q = sim_circle_quiet_share();
    st.phase = SIM_ENGAGED;
    const double mix = (1 - q) * sim_p_true(&user, &st, 0, 50, 30, ACTIVITY, &calendar) +
                       q * sim_p_true(&user, &st, 1, 50, 30, ACTIVITY, &calendar);
    assert_true(fabs(sim_filter_p_silent(f, &user, 50, 30, ACTIVITY, &calendar) - mix) < 1e-12);
    /* Each silent day makes silence ahead likelier. */
    double before = mix;
    for (int d = 0; d < 20; d++) {
        sim_filter_observe(f, sim_day_kind(&calendar, 30 + d), NULL);
        sim_filter_step(f, &user);
        const double p = sim_filter_p_silent(f, &user, 31 + d, 30, ACTIVITY, &calendar);
        assert_true(p > before);
        before = p;
    }
    /* A day with events: the user is live again, and a new device on it
     * (a sign of a decline's start) makes silence ahead likelier than the
     * same day on the old device. */
    sim_filter saved = *f;
    sim_day_record same = r, moved = r;
    same.device = 0;
    moved.device = 1;
    sim_filter_observe(f, 0, &same);
    const double p_same = sim_filter_p_silent(f, &user, 50, 30, ACTIVITY, &calendar);
    *f = saved;
    sim_filter_observe(f, 0, &moved);
    const double p_moved = sim_filter_p_silent(f, &user, 50, 30, ACTIVITY, &calendar);
    assert_true(p_same < before && p_moved < before);
    assert_true(p_moved > p_same);
    free(f);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_sim_options o = LAPSE_SIM_OPTIONS_INIT;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_OK);
    o.churn.key_mask = 1u << LAPSE_CAT_CANCEL;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "cancel"));
    o = (lapse_sim_options)LAPSE_SIM_OPTIONS_INIT;
    o.churn.cancel_is_churn = 1;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "churn by cancel"));
    o = (lapse_sim_options)LAPSE_SIM_OPTIONS_INIT;
    o.mix[0] = 0.5;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "sum to 1.2"));
    o = (lapse_sim_options)LAPSE_SIM_OPTIONS_INIT;
    const int64_t late = INT64_C(1767225600) + 160 * 86400; /* 160 + 30 > 180 */
    o.snapshots = &late;
    o.n_snapshots = 1;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "runs past the last day of the log (2026-06-29)"));
    o = (lapse_sim_options)LAPSE_SIM_OPTIONS_INIT;
    o.users = 0;
    assert_int_equal(lapse_simulate("sim_never", &o, NULL, &err), LAPSE_ERR_ARG);
    o = (lapse_sim_options)LAPSE_SIM_OPTIONS_INIT;
    assert_int_equal(o.files, 1);
    o.files = 0;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "--files must be 1 to 256"));
    o.files = LAPSE_SIM_MAX_FILES + 1;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_ERR_ARG);
    o.files = LAPSE_SIM_MAX_FILES;
    assert_int_equal(lapse_sim_options_check(&o, &err), LAPSE_OK);
    lapse_sim_archetype a;
    assert_int_equal(lapse_sim_archetype_parse(&a, "social", 6), LAPSE_OK);
    assert_int_equal(a, LAPSE_SIM_SOCIAL_DRIVEN);
    assert_int_equal(lapse_sim_archetype_parse(&a, "feature_dependent", 17), LAPSE_OK);
    assert_int_equal(a, LAPSE_SIM_FEATURE_DEPENDENT);
    assert_int_equal(lapse_sim_archetype_parse(&a, "whale", 5), LAPSE_ERR_FORMAT);
}

/* --- lapse simulate --btyd */

#define BTYD_USERS 20000

typedef struct {
    int64_t users, alive, labels;
    double lambda_sum, p_sum, p_true_sum, p_model_sum;
    int dead_not_one, p_model_out;
    double *p_true, *p_model; /* per user, for the calibration by decile */
    int *label;
} btyd_truth;

static void on_btyd_truth(void *ctx, char f[MAX_FIELDS][64])
{
    btyd_truth *t = ctx;
    const int alive = atoi(f[5]), label = atoi(f[8]);
    const double p_true = atof(f[6]), p_model = atof(f[7]);
    t->lambda_sum += atof(f[3]);
    t->p_sum += atof(f[4]);
    t->alive += alive;
    t->labels += label;
    t->p_true_sum += p_true;
    t->p_model_sum += p_model;
    t->dead_not_one += !alive && p_true != 1;
    t->p_model_out += !(p_model > 0 && p_model <= 1);
    if (t->p_true) {
        t->p_true[t->users] = p_true;
        t->p_model[t->users] = p_model;
        t->label[t->users] = label;
    }
    t->users++;
}

/* The planted population comes back: the means of lambda (r / alpha) and of
 * the dropout probability (a / (a + b)); and both probabilities of no
 * purchase are calibrated against what the log shows: the share of labels
 * matches the mean of p_true and of p_model within sampling error. */
static void btyd_planted_population(void **state)
{
    (void)state;
    lapse_sim_btyd_options o = LAPSE_SIM_BTYD_OPTIONS_INIT;
    o.users = BTYD_USERS;
    o.seed = 11;
    o.params[0] = 2; /* more purchases than CDNOW: a sharper check of the rates */
    o.params[1] = 8;
    o.params[2] = 1.5;
    o.params[3] = 4;
    const char *dir = "sim_btyd";
    mkdir(dir, 0755);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_sim_btyd_stats stats;
    assert_int_equal(lapse_simulate_btyd(dir, &o, &stats, &err), LAPSE_OK);
    btyd_truth t = { 0 };
    read_csv(dir, "truth.csv", on_btyd_truth, &t);
    assert_int_equal(t.users, BTYD_USERS);
    assert_int_equal(t.dead_not_one, 0);
    assert_int_equal(t.p_model_out, 0);
    assert_int_equal(t.alive, stats.alive);
    assert_int_equal(t.labels, stats.no_purchase);
    const double n = BTYD_USERS;
    /* sd of lambda sqrt(r) / alpha = 0.18, of p about 0.18: 5 standard errors. */
    assert_true(fabs(t.lambda_sum / n - 2.0 / 8) < 5 * 0.18 / sqrt(n));
    assert_true(fabs(t.p_sum / n - 1.5 / 5.5) < 5 * 0.18 / sqrt(n));
    /* Labels are Bernoulli(p_true) given the hidden state: 5 binomial SEs. */
    const double rate = (double)t.labels / n, se = sqrt(rate * (1 - rate) / n);
    assert_true(fabs(t.p_true_sum / n - rate) < 5 * se);
    assert_true(fabs(t.p_model_sum / n - rate) < 5 * se);
    assert_true(stats.events > BTYD_USERS);
}

static void btyd_same_seed_same_bytes(void **state)
{
    (void)state;
    lapse_sim_btyd_options o = LAPSE_SIM_BTYD_OPTIONS_INIT;
    o.users = 500;
    o.gamma_gamma = 1;
    lapse_error err = LAPSE_ERROR_INIT;
    mkdir("btyd_a", 0755);
    mkdir("btyd_b", 0755);
    assert_int_equal(lapse_simulate_btyd("btyd_a", &o, NULL, &err), LAPSE_OK);
    assert_int_equal(lapse_simulate_btyd("btyd_b", &o, NULL, &err), LAPSE_OK);
    assert_true(same_files("btyd_a", "btyd_b", "events.csv"));
    assert_true(same_files("btyd_a", "btyd_b", "truth.csv"));
    o.seed = 2;
    assert_int_equal(lapse_simulate_btyd("btyd_b", &o, NULL, &err), LAPSE_OK);
    assert_false(same_files("btyd_a", "btyd_b", "events.csv"));
    size_t len;
    char *events = slurp("btyd_a", "events.csv", &len);
    /* Every purchase has an amount with Gamma-Gamma. */
    assert_null(strstr(events, ",purchase,\n"));
    free(events);
}

static void btyd_bad_options(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_sim_btyd_options o = LAPSE_SIM_BTYD_OPTIONS_INIT;
    o.params[2] = 0;
    assert_int_equal(lapse_sim_btyd_options_check(&o, &err), LAPSE_ERR_ARG);
    assert_string_equal(err.message, "--btyd: parameter 3 is 0; each must be > 0 and at most 1e6");
    o = (lapse_sim_btyd_options)LAPSE_SIM_BTYD_OPTIONS_INIT;
    o.cohort_days = 273;
    assert_int_equal(lapse_sim_btyd_options_check(&o, &err), LAPSE_ERR_ARG);
    o = (lapse_sim_btyd_options)LAPSE_SIM_BTYD_OPTIONS_INIT;
    o.unit_days = 3;
    assert_int_equal(lapse_sim_btyd_options_check(&o, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes_any_threads),
        cmocka_unit_test(archetype_mix_as_asked),
        cmocka_unit_test(churn_rate_and_p_true_calibration),
        cmocka_unit_test(p_true_matches_monte_carlo),
        cmocka_unit_test(p_true_edge_cases),
        cmocka_unit_test(observer_posterior_is_calibrated),
        cmocka_unit_test(observer_filter_by_hand),
        cmocka_unit_test(bad_options_are_refused),
        cmocka_unit_test(btyd_planted_population),
        cmocka_unit_test(btyd_same_seed_same_bytes),
        cmocka_unit_test(btyd_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
