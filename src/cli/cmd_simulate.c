/* lapse simulate: a synthetic event log with exact ground truth. */
#include "cli.h"

#include "lapse/category.h"
#include "lapse/simulate.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "simulate"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse simulate -o DIR [options]\n\n"
            "Writes DIR/events.csv.gz (an event log), DIR/truth.csv (each user's archetype,\n"
            "churn and return dates) and DIR/truth_snapshots.csv (for each snapshot and user:\n"
            "p_true, the exact probability of no key event within the horizon given the hidden\n"
            "state, and label, what happened). The same options give the same bytes.\n\n"
            "options:\n"
            "  -o, --output DIR     folder for the three files (created if missing)\n"
            "      --seed S         random seed (default 1)\n"
            "      --users N        number of users (default 1000)\n"
            "      --days D         length of the log in days (default 180)\n"
            "      --start DATE     first day of the log, YYYY-MM-DD (default 2026-01-01)\n"
            "      --mix SHARES     archetype shares, e.g. price=0.3,feature=0.3,social=0.25,\n"
            "                       mixed=0.15 (the default); names left out get 0; sum 1\n"
            "      --snapshots D,D  snapshot dates (default: every 30 days from start+60 while\n"
            "                       the horizon fits in the log)\n"
            "      --horizon DAYS   label horizon (default 30)\n"
            "      --key CATS       key categories, '+'-separated (default activity); label 1 =\n"
            "                       no event of these in [asof, asof+horizon); not cancel\n"
            "      --silent-days N  'active at asof' for the summary: a key event in the last N\n"
            "                       days (default 30)\n"
            "  -@, --threads N      worker threads (default 1); output does not depend on it\n"
            "      --files N        write the log as N files DIR/events-0.csv.gz ... (numbered\n"
            "                       from 0, zero-padded), the users split among them in blocks\n"
            "                       of 256, each file with a header (default 1: events.csv.gz)\n"
            "      --level 1-9      gzip level (default 1: fastest; 9 for the smallest file)\n"
            "      --observer       also write p_observed: the same probability given only the\n"
            "                       user's traits and log before asof (the best any model of\n"
            "                       the log can rank by); about 3x slower\n"
            "  -q, --quiet          no summary on stderr\n"
            "  -h, --help           this help\n"
            "      --campaign       a campaign's send list and log instead (--campaign --help)\n");
}

static int parse_mix(const char *text, double mix[LAPSE_SIM_ARCHETYPES])
{
    for (int a = 0; a < LAPSE_SIM_ARCHETYPES; a++)
        mix[a] = 0;
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq)
            return cli_usage_error(CMD, "--mix needs name=share pairs, not \"%.*s\"", (int)len, p);
        lapse_sim_archetype archetype;
        if (lapse_sim_archetype_parse(&archetype, p, (size_t)(eq - p)) != LAPSE_OK)
            return cli_usage_error(CMD,
                                   "--mix: unknown archetype \"%.*s\" (price, feature, social, "
                                   "mixed)",
                                   (int)(eq - p), p);
        char value[64];
        const size_t vlen = len - (size_t)(eq + 1 - p);
        if (vlen >= sizeof value)
            return cli_usage_error(CMD, "--mix: share too long in \"%.*s\"", (int)len, p);
        memcpy(value, eq + 1, vlen);
        value[vlen] = '\0';
        if (cli_parse_double(CMD, "--mix share", value, 0, 1, &mix[archetype]))
            return EXIT_USAGE;
        p += len + (comma != NULL);
    }
    return 0;
}

static int parse_key(const char *text, unsigned *mask)
{
    *mask = 0;
    const char *p = text;
    for (;;) {
        const size_t len = strcspn(p, "+,");
        lapse_category category;
        if (lapse_category_parse(&category, p, len) != LAPSE_OK)
            return cli_usage_error(CMD,
                                   "--key: unknown category \"%.*s\" (activity, core, purchase, "
                                   "coupon, social, other)",
                                   (int)len, p);
        *mask |= 1u << category;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

static int parse_snapshots(const char *text, int64_t *dates, size_t *n)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        const size_t len = strcspn(p, ",");
        if (*n == LAPSE_SIM_MAX_SNAPSHOTS)
            return cli_usage_error(CMD, "--snapshots: at most %d dates", LAPSE_SIM_MAX_SNAPSHOTS);
        if (lapse_date_parse(&dates[*n], p, len) != LAPSE_OK)
            return cli_usage_error(CMD, "--snapshots needs dates as YYYY-MM-DD, not \"%.*s\"",
                                   (int)len, p);
        ++*n;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int cmd_simulate(int argc, char **argv)
{
    enum { OPT_SEED = 256, OPT_USERS, OPT_DAYS, OPT_START, OPT_MIX, OPT_SNAPSHOTS, OPT_HORIZON,
           OPT_KEY, OPT_SILENT, OPT_LEVEL, OPT_OBSERVER, OPT_FILES };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, OPT_SEED },
        { "users", required_argument, NULL, OPT_USERS },
        { "days", required_argument, NULL, OPT_DAYS },
        { "start", required_argument, NULL, OPT_START },
        { "mix", required_argument, NULL, OPT_MIX },
        { "snapshots", required_argument, NULL, OPT_SNAPSHOTS },
        { "horizon", required_argument, NULL, OPT_HORIZON },
        { "key", required_argument, NULL, OPT_KEY },
        { "silent-days", required_argument, NULL, OPT_SILENT },
        { "threads", required_argument, NULL, '@' },
        { "level", required_argument, NULL, OPT_LEVEL },
        { "observer", no_argument, NULL, OPT_OBSERVER },
        { "files", required_argument, NULL, OPT_FILES },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    for (int i = 1; i < argc; i++) /* the campaign mode lives in cmd_campaign.c */
        if (strcmp(argv[i], "--campaign") == 0)
            return cmd_campaign_simulate(argc, argv);
    lapse_sim_options opt = LAPSE_SIM_OPTIONS_INIT;
    int64_t snapshots[LAPSE_SIM_MAX_SNAPSHOTS];
    const char *dir = NULL;
    int quiet = 0;
    long value;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:@:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o': dir = optarg; break;
        case OPT_SEED:
            if (cli_parse_long(CMD, "--seed", optarg, 0, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.seed = (uint64_t)value;
            break;
        case OPT_USERS:
            if (cli_parse_long(CMD, "--users", optarg, 1, (long)LAPSE_SIM_MAX_USERS, &value))
                return EXIT_USAGE;
            opt.users = value;
            break;
        case OPT_DAYS:
            if (cli_parse_long(CMD, "--days", optarg, 1, LAPSE_SIM_MAX_DAYS, &value))
                return EXIT_USAGE;
            opt.days = (int)value;
            break;
        case OPT_START:
            if (cli_parse_date(CMD, "--start", optarg, &opt.start))
                return EXIT_USAGE;
            break;
        case OPT_MIX:
            if (parse_mix(optarg, opt.mix))
                return EXIT_USAGE;
            break;
        case OPT_SNAPSHOTS:
            if (parse_snapshots(optarg, snapshots, &opt.n_snapshots))
                return EXIT_USAGE;
            opt.snapshots = snapshots;
            break;
        case OPT_HORIZON:
            if (cli_parse_long(CMD, "--horizon", optarg, 1, LAPSE_SIM_MAX_DAYS, &value))
                return EXIT_USAGE;
            opt.churn.horizon_days = (int)value;
            break;
        case OPT_KEY:
            if (parse_key(optarg, &opt.churn.key_mask))
                return EXIT_USAGE;
            break;
        case OPT_SILENT:
            if (cli_parse_long(CMD, "--silent-days", optarg, 1, LAPSE_SIM_MAX_DAYS, &value))
                return EXIT_USAGE;
            opt.churn.silent_days = (int)value;
            break;
        case '@':
            if (cli_parse_long(CMD, "--threads", optarg, 1, 256, &value))
                return EXIT_USAGE;
            opt.threads = (int)value;
            break;
        case OPT_LEVEL:
            if (cli_parse_long(CMD, "--level", optarg, 1, 9, &value))
                return EXIT_USAGE;
            opt.level = (int)value;
            break;
        case OPT_OBSERVER: opt.observer = 1; break;
        case OPT_FILES:
            if (cli_parse_long(CMD, "--files", optarg, 1, LAPSE_SIM_MAX_FILES, &value))
                return EXIT_USAGE;
            opt.files = (int)value;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(CMD, "bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument \"%s\"", argv[optind]);
    if (!dir)
        return cli_usage_error(CMD, "-o DIR is required");
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_sim_options_check(&opt, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        lapse_error_set(&err, LAPSE_ERR_IO, dir, 0, 0, -1, "cannot create the folder: %s",
                        strerror(errno));
        return cli_report(&err);
    }
    lapse_sim_stats stats;
    if (lapse_simulate(dir, &opt, &stats, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet) {
        fprintf(stderr, "lapse: %" PRId64 " users, %" PRId64 " events over %d days in %s/\n",
                opt.users, stats.events, opt.days, dir);
        for (size_t i = 0; i < stats.n_snapshots; i++) {
            const lapse_sim_snapshot_stats *s = &stats.snapshots[i];
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
    return EXIT_OK;
}
