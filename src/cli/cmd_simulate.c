/* lapse simulate: a synthetic event log with exact ground truth. */
#include "cli.h"
#include "cli_opt.h"
#include "cli_progress.h"

#include "lapse/category.h"
#include "lapse/hazard.h"
#include "lapse/simulate.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "simulate"

static int parse_mix(const cli_opt *o, const char *command, const char *option,
                     const char *text)
{
    double *mix = o->dest;
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++)
        mix[a] = 0;
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return cli_usage_error(command, "%s needs name=share pairs, not \"%.*s\"", option,
                                   (int)len, p);
        lapse_sim_archetype archetype;
        if (lapse_sim_archetype_parse(&archetype, p, (size_t)(eq - p)) != LAPSE_OK)
            return cli_usage_error(command,
                                   "%s: unknown archetype \"%.*s\" (price, feature, social, "
                                   "mixed)",
                                   option, (int)(eq - p), p);
        char value[64];
        const size_t vlen = len - (size_t)(eq + 1 - p);
        if (vlen >= sizeof value)
            return cli_usage_error(command, "%s: share too long in \"%.*s\"", option,
                                   (int)len, p);
        memcpy(value, eq + 1, vlen);
        value[vlen] = '\0';
        if (cli_parse_double(command, "--mix share", value, 0, 1, &mix[archetype]))
            return EXIT_USAGE;
        p += len + (comma != NULL);
    }
    return 0;
}

/* --btyd r,alpha,a,b[,p,q,v]: BG/NBD's parameters, and Gamma-Gamma's. */
static int parse_btyd(const cli_opt *o, const char *command, const char *option,
                      const char *text)
{
    lapse_sim_btyd_options *b = o->dest;
    double v[8];
    int n = 0;
    const char *p = text;
    while (n < 8) {
        char *end;
        errno = 0;
        v[n++] = strtod(p, &end);
        if (end == p || errno || (*end && *end != ','))
            return cli_opt_bad_value(command, option, text,
                                     "needs r,alpha,a,b or r,alpha,a,b,p,q,v (numbers > 0)");
        if (!*end)
            break;
        p = end + 1;
    }
    if (n != 4 && n != 7)
        return cli_opt_bad_value(command, option, text,
                                 "needs 4 numbers (r,alpha,a,b) or 7 (and p,q,v)");
    memcpy(b->params, v, sizeof b->params);
    b->gamma_gamma = n == 7;
    if (n == 7)
        memcpy(b->gg, v + 4, sizeof b->gg);
    return 0;
}

static lapse_sim_options opt = LAPSE_SIM_OPTIONS_INIT;
static lapse_sim_btyd_options btyd = LAPSE_SIM_BTYD_OPTIONS_INIT;
static int cohort_days = -1, time_unit = 7;
static const cli_opt_choice time_units[] = { { "days", 1 }, { "weeks", 7 }, { NULL, 0 } };
static int64_t snapshots[LAPSE_SIM_MAX_SNAPSHOTS];
static const char *dir;
static int quiet;

/* --horizons 7,14,30: lapse train's list (lapse/hazard.h). */
static int parse_horizons(const cli_opt *o, const char *command, const char *option,
                          const char *text)
{
    (void)o;
    lapse_hazard hz;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_hazard_parse(&hz, text, &err) != LAPSE_OK)
        return cli_opt_bad_value(command, option, text,
                                 "needs increasing whole days, e.g. 7,14,30 (%s)", err.message);
    opt.n_horizons = hz.n_bands;
    for (size_t h = 0; h < hz.n_bands; h++)
        opt.horizons[h] = hz.horizons[h];
    return 0;
}

static const cli_opt options[] = {
    CLI_OPT_STRING('o', "output", "DIR", &dir, "folder for the three files (created if missing)"),
    CLI_OPT_INT(0, "seed", "S", &opt.seed, 0, INT64_MAX, "random seed (default 1)"),
    CLI_OPT_INT(0, "users", "N", &opt.users, 1, LAPSE_SIM_MAX_USERS,
                "number of users (default 1000)"),
    CLI_OPT_INT(0, "days", "D", &opt.days, 1, LAPSE_SIM_MAX_DAYS,
                "length of the log in days (default 180)"),
    CLI_OPT_DATE(0, "start", "DATE", &opt.start,
                 "first day of the log, YYYY-MM-DD (default 2026-01-01)"),
    CLI_OPT_CALL(0, "mix", "SHARES", opt.mix, parse_mix,
                 "archetype shares, e.g. price=0.3,feature=0.3,social=0.25,\n"
                 "mixed=0.15 (the default); names left out get 0; sum 1"),
    CLI_OPT_DATES(0, "snapshots", "D,D", snapshots, LAPSE_SIM_MAX_SNAPSHOTS, &opt.n_snapshots,
                  "snapshot dates (default: every 30 days from start+60 while\n"
                  "the horizon fits in the log)"),
    CLI_OPT_INT(0, "horizon", "DAYS", &opt.churn.horizon_days, 1, LAPSE_SIM_MAX_DAYS,
                "label horizon (default 30)"),
    CLI_OPT_CALL(0, "key", "CATS", &opt.churn.key_mask, cli_parse_keys,
                 "key categories, '+'-separated (default activity); label 1 =\n"
                 "no event of these in [asof, asof+horizon); not cancel"),
    CLI_OPT_INT(0, "silent-days", "N", &opt.churn.silent_days, 1, LAPSE_SIM_MAX_DAYS,
                "'active at asof' for the summary: a key event in the last N\n"
                "days (default 30)"),
    CLI_OPT_THREADS(&opt.threads, 256,
                    "worker threads (default 1; 0 = one per CPU); output does not\ndepend on it"),
    CLI_OPT_INT(0, "files", "N", &opt.files, 1, LAPSE_SIM_MAX_FILES,
                "write the log as N files DIR/events-0.csv.gz ... (numbered\n"
                "from 0, zero-padded), the users split among them in blocks\n"
                "of 256, each file with a header (default 1: events.csv.gz)"),
    CLI_OPT_INT(0, "level", "1-9", &opt.level, 1, 9,
                "gzip level (default 1: fastest; 9 for the smallest file)"),
    CLI_OPT_CALL(0, "horizons", "LIST", NULL, parse_horizons,
                 "also write p_true_h (and p_observed_h) for each horizon h,\n"
                 "e.g. 7,14,30: churned within h days (days_to_churn <= h)"),
    CLI_OPT_FLAG(0, "observer", &opt.observer, 1,
                 "also write p_observed: the same probability given only the\n"
                 "user's traits and log before asof (the best any model of\n"
                 "the log can rank by); about 3x slower"),
    CLI_OPT_CALL(0, "btyd", "r,alpha,a,b[,p,q,v]", &btyd, parse_btyd,
                 "a purchase log from BG/NBD (and Gamma-Gamma) instead, with\n"
                 "these planted parameters: DIR/events.csv, DIR/truth.csv"),
    CLI_OPT_INT(0, "cohort-days", "N", &cohort_days, 1, LAPSE_SIM_MAX_DAYS,
                "--btyd: first purchases in the first N days (default 84)"),
    CLI_OPT_ENUM(0, "time-unit", "U", &time_unit, time_units,
                 "--btyd: the parameters' unit, days or weeks (default)"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no progress or summary on stderr"),
    CLI_OPT_HELP,
    /* Seen before parsing, since the campaign simulator has options of its
     * own (cmd_campaign.c); listed here for --help. */
    { .kind = CLI_OPT_FLAG, .long_name = "campaign",
      .help = "a campaign's send list and log instead (--campaign --help)" },
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse simulate -o DIR [options]\n\n"
            "Writes DIR/events.csv.gz (an event log), DIR/truth.csv (each user's archetype,\n"
            "churn and return dates) and DIR/truth_snapshots.csv (for each snapshot and user:\n"
            "p_true, the exact probability of no key event within the horizon given the hidden\n"
            "state, and label, what happened). The same options give the same bytes.\n\n"
            "With --btyd (lapse/simulate.h has the process): DIR/events.csv, one purchase a\n"
            "row, and DIR/truth.csv with each user's lambda, dropout probability, whether\n"
            "alive at the snapshot (the horizon before the end; --days 303 by default),\n"
            "p_true (no purchase in the horizon, given the hidden state), p_model (the same\n"
            "under BG/NBD at the planted parameters, given the log) and label.\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 23);
}

static void print_summary(const lapse_sim_stats *stats)
{
    fprintf(stderr, "lapse: %" PRId64 " users, %" PRId64 " events over %d days in %s/\n",
            opt.users, stats->events, opt.days, dir);
    for (size_t i = 0; i < stats->n_snapshots; i++) {
        const lapse_sim_snapshot_stats *s = &stats->snapshots[i];
        char date[16];
        lapse_time_format_date(date, s->asof);
        const double n = s->active ? (double)s->active : 1.0;
        fprintf(stderr,
                "lapse: snapshot %s: %" PRId64 " active users, %.1f%% silent within %d days "
                "(mean p_true %.1f%%)\n",
                date, s->active, 100.0 * (double)s->active_churned / n, opt.churn.horizon_days,
                100.0 * s->active_p_true / n);
    }
}

/* Options given by name, for refusing the ones --btyd does not take. */
static int given(char **argv, int first, const char *name)
{
    const size_t len = strlen(name);
    const int is_short = name[1] != '-'; /* "-@4" too */
    for (int i = 1; i < first; i++)
        if (strncmp(argv[i], name, len) == 0 &&
            (is_short || argv[i][len] == '\0' || argv[i][len] == '='))
            return 1;
    return 0;
}

static int simulate_btyd(char **argv, int first)
{
    static const char *const classifier_only[] = { "--mix",     "--snapshots", "--key",
                                                   "--silent-days", "--files", "--level",
                                                   "--observer", "--threads", "-@" };
    for (size_t i = 0; i < sizeof classifier_only / sizeof *classifier_only; i++)
        if (given(argv, first, classifier_only[i]))
            return cli_usage_error(CMD, "%s does not go with --btyd", classifier_only[i]);
    btyd.seed = opt.seed;
    btyd.users = opt.users;
    btyd.start = opt.start;
    btyd.days = given(argv, first, "--days") ? opt.days : btyd.days;
    btyd.horizon_days = opt.churn.horizon_days;
    btyd.cohort_days = cohort_days > 0 ? cohort_days : btyd.cohort_days;
    btyd.unit_days = (unsigned)time_unit;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_sim_btyd_options_check(&btyd, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    if (cli_make_folder(dir, &err) != LAPSE_OK)
        return cli_report(&err);
    lapse_sim_btyd_stats stats;
    if (lapse_simulate_btyd(dir, &btyd, &stats, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet) {
        char date[16];
        lapse_time_format_date(date, stats.asof);
        const double n = (double)btyd.users;
        fprintf(stderr,
                "lapse: %" PRId64 " customers, %" PRId64 " purchases in %s/; snapshot %s: %" PRId64
                " repeat buyers, %.1f%% alive, %.1f%% without a purchase within %d days (mean "
                "p_true %.1f%%, p_model %.1f%%)\n",
                btyd.users, stats.events, dir, date, stats.repeat_buyers, 100 * stats.alive / n,
                100 * stats.no_purchase / n, btyd.horizon_days, 100 * stats.p_true_sum / n,
                100 * stats.p_model_sum / n);
    }
    return EXIT_OK;
}

int cmd_simulate(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* the campaign mode lives in cmd_campaign.c */
        if (strcmp(argv[i], "--campaign") == 0)
            return cmd_campaign_simulate(argc, argv);
    int first;
    const int parsed = cli_opt_parse(&first, CMD, options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first < argc)
        return cli_usage_error(CMD, "unexpected argument \"%s\"", argv[first]);
    if (!dir)
        return cli_usage_error(CMD, "-o DIR is required");
    if (given(argv, first, "--btyd"))
        return simulate_btyd(argv, first);
    if (cohort_days > 0 || time_unit != 7)
        return cli_usage_error(CMD, "--cohort-days and --time-unit go with --btyd");
    if (opt.n_snapshots)
        opt.snapshots = snapshots;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_sim_options_check(&opt, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    if (cli_make_folder(dir, &err) != LAPSE_OK)
        return cli_report(&err);
    lapse_sim_stats stats;
    cli_progress progress;
    opt.progress = cli_progress_start(&progress, quiet, "simulated", "users", 1);
    opt.progress_user = &progress;
    const int status = lapse_simulate(dir, &opt, &stats, &err);
    cli_progress_end(&progress);
    if (status != LAPSE_OK)
        return cli_report(&err);
    if (!quiet)
        print_summary(&stats);
    return EXIT_OK;
}
