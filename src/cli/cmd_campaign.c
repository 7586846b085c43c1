/* lapse campaign plan|eval, and lapse simulate --campaign. */
#include "cli.h"

#include "lapse/campaign.h"
#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "campaign"
#define MAX_FILES 256

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse campaign plan --budget B [options] SCORED.csv\n"
            "       lapse campaign eval --sends SENDS.csv [options] LOG...\n\n"
            "plan: choose users and channels (sms_email, push_feature, coupon, phone,\n"
            "community: the action names of lapse score) maximising the expected recalled value\n"
            "  uplift[channel] * (match if the channel is the suggested action) *\n"
            "  (value_at_risk + p_churn * base_value)\n"
            "within the budget (greedy by value per cost over each user's convex hull of\n"
            "options, one channel per user). Phone only for value_tier high; push_feature only\n"
            "for users with the app (column has_app = 1 where the scored file has it, else users\n"
            "whose suggested action is push_feature). A control share is held out of the chosen\n"
            "users, stratified by channel and risk_tier, in seeded order; it is not sent, so the\n"
            "spend is about (1 - control) x budget. Writes\n"
            "  user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n\n"
            "  -o, --output FILE    send list (default -: stdout), written atomically\n"
            "      --budget B       total cost of the chosen users (required)\n"
            "      --cost SPEC      per-message costs, default sms_email=0.05,push_feature=0,\n"
            "                       coupon=0.5,phone=2,community=0.02 (names left out keep theirs)\n"
            "      --uplift SPEC    assumed recall uplift per channel, default sms_email=0.02,\n"
            "                       push_feature=0.03,coupon=0.06,phone=0.15,community=0.03\n"
            "      --match F        uplift factor for the suggested action (default 1.5)\n"
            "      --base-value V   worth of any recalled user (default 1)\n"
            "      --control F      control share, 0 to 0.9 (default 0.1)\n"
            "      --seed S         seed of the control draw (default 1)\n"
            "      --send-at TIME   sent_at for every row (default: each row's asof, midnight)\n"
            "      --variants A,B   treatment variants, assigned in turn (default A)\n\n"
            "eval: per channel and variant, recall within --window of sent_at (control users:\n"
            "their assigned sent_at) against the channel's control: uplift with Newcombe's 95%%\n"
            "interval, z-test p (Fisher's exact below 5 expected), sample-ratio chi-square vs\n"
            "--control, the 80%%-power minimum detectable uplift, cost per recalled user, and\n"
            "retention of recalled users (a key event 1-7 and 8-30 days after the recall).\n"
            "Writes one CSV row per channel and variant and a total row.\n\n"
            "  -o, --output FILE    report (default -: stdout)\n"
            "      --sends FILE     the send list: user_id,channel,sent_at,group,cost,variant\n"
            "      --clicks FILE    a click log (event-log format; every row is a click); may\n"
            "                       repeat. Without one, clicked is empty\n"
            "      --window HOURS   recall window (default 24)\n"
            "      --control F      the planned control share, for the SRM check (default 0.1)\n"
            "      --preset NAME    key events of a churn preset (game, app, ecommerce, finance)\n"
            "      --key CATS       key categories, '+'-separated (default activity)\n"
            "      --events FILE    event name -> category map (datasets/README.md)\n"
            "      --max-bad-rows N skip up to N bad log rows (default 0)\n\n"
            "  -q, --quiet          no summary on stderr\n"
            "  -h, --help           this help\n"
            "exit codes: 0 ok, 1 bad data (file:line, column), 2 usage, 3 system error\n");
}

static int parse_channels(const char *option, const char *text, double values[], double max)
{
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_campaign_parse_channels(values, text, 0, max, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s: %s", option, err.message);
    return 0;
}

static int split_list(char *text, const char **items, size_t max, size_t *n)
{
    *n = 0;
    for (char *p = text;;) {
        if (*n == max)
            return cli_usage_error(CMD, "--variants: at most %zu", max);
        items[(*n)++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            return 0;
        *comma = '\0';
        p = comma + 1;
    }
}

static int campaign_plan_command(int argc, char **argv)
{
    enum { OPT_BUDGET = 256, OPT_COST, OPT_UPLIFT, OPT_MATCH, OPT_BASE, OPT_CONTROL, OPT_SEED,
           OPT_SEND_AT, OPT_VARIANTS };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "budget", required_argument, NULL, OPT_BUDGET },
        { "cost", required_argument, NULL, OPT_COST },
        { "uplift", required_argument, NULL, OPT_UPLIFT },
        { "match", required_argument, NULL, OPT_MATCH },
        { "base-value", required_argument, NULL, OPT_BASE },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "seed", required_argument, NULL, OPT_SEED },
        { "send-at", required_argument, NULL, OPT_SEND_AT },
        { "variants", required_argument, NULL, OPT_VARIANTS },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lapse_campaign_plan_options opt = LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT;
    const char *output = "-", *variants[26];
    int quiet = 0, have_budget = 0;
    long value;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_BUDGET:
            if (cli_parse_double(CMD, "--budget", optarg, 0, 1e15, &opt.budget))
                return EXIT_USAGE;
            have_budget = 1;
            break;
        case OPT_COST:
            if (parse_channels("--cost", optarg, opt.cost, 1e9))
                return EXIT_USAGE;
            break;
        case OPT_UPLIFT:
            if (parse_channels("--uplift", optarg, opt.uplift, 1))
                return EXIT_USAGE;
            break;
        case OPT_MATCH:
            if (cli_parse_double(CMD, "--match", optarg, 0, 1e6, &opt.match))
                return EXIT_USAGE;
            break;
        case OPT_BASE:
            if (cli_parse_double(CMD, "--base-value", optarg, 0, 1e15, &opt.base_value))
                return EXIT_USAGE;
            break;
        case OPT_CONTROL:
            if (cli_parse_double(CMD, "--control", optarg, 0, 0.9, &opt.control))
                return EXIT_USAGE;
            break;
        case OPT_SEED:
            if (cli_parse_long(CMD, "--seed", optarg, 0, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.seed = (uint64_t)value;
            break;
        case OPT_SEND_AT:
            if (lapse_time_parse(&opt.send_at, optarg, strlen(optarg)) != LAPSE_OK)
                return cli_usage_error(CMD, "--send-at needs a timestamp, not \"%s\"", optarg);
            break;
        case OPT_VARIANTS:
            if (split_list(optarg, variants, 26, &opt.n_variants))
                return EXIT_USAGE;
            opt.variants = variants;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(CMD, "bad option");
        }
    }
    if (!have_budget)
        return cli_usage_error(CMD, "plan needs --budget");
    if (argc - optind != 1)
        return cli_usage_error(CMD, "plan reads one scored file");
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_campaign_plan_check(&opt, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    cli_log_to_stderr(quiet);
    lapse_campaign_plan_stats st;
    if (lapse_campaign_plan(argv[optind], output, &opt, &st, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet) {
        fprintf(stderr, "lapse: %lld scored users; chosen cost %.2f of budget %.2f; spend %.2f "
                "on treatment; expected recalled value %.2f\n",
                (long long)st.users, st.chosen_cost, opt.budget, st.spend, st.expected_value);
        for (int c = 0; c < LAPSE_CHANNELS; c++)
            if (st.chosen[c])
                fprintf(stderr, "lapse:   %-12s %lld users (%lld control)\n",
                        lapse_channel_name(c), (long long)st.chosen[c], (long long)st.control[c]);
    }
    return EXIT_OK;
}

static int campaign_eval_command(int argc, char **argv)
{
    enum { OPT_SENDS = 256, OPT_CLICKS, OPT_WINDOW, OPT_CONTROL, OPT_PRESET, OPT_KEY, OPT_EVENTS,
           OPT_MAX_BAD };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' },
        { "sends", required_argument, NULL, OPT_SENDS },
        { "clicks", required_argument, NULL, OPT_CLICKS },
        { "window", required_argument, NULL, OPT_WINDOW },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "preset", required_argument, NULL, OPT_PRESET },
        { "key", required_argument, NULL, OPT_KEY },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "max-bad-rows", required_argument, NULL, OPT_MAX_BAD },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    lapse_campaign_eval_options opt = LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT;
    const char *output = "-", *sends = NULL, *events = NULL, *clicks[MAX_FILES];
    size_t n_clicks = 0;
    int quiet = 0;
    long value;
    double hours;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case 'o': output = optarg; break;
        case OPT_SENDS: sends = optarg; break;
        case OPT_CLICKS:
            if (n_clicks == MAX_FILES)
                return cli_usage_error(CMD, "at most %d click logs", MAX_FILES);
            clicks[n_clicks++] = optarg;
            break;
        case OPT_WINDOW:
            if (cli_parse_double(CMD, "--window", optarg, 1.0 / 60, 24 * 365, &hours))
                return EXIT_USAGE;
            opt.window = (int64_t)llround(hours * 3600);
            break;
        case OPT_CONTROL:
            if (cli_parse_double(CMD, "--control", optarg, 0.001, 0.999, &opt.control))
                return EXIT_USAGE;
            break;
        case OPT_PRESET: {
            lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
            if (lapse_churn_preset(&def, optarg) != LAPSE_OK || def.cancel_is_churn)
                return cli_usage_error(CMD, "unknown --preset \"%s\" (game, app, ecommerce, "
                                       "finance)", optarg);
            opt.key_mask = def.key_mask;
            break;
        }
        case OPT_KEY:
            if (lapse_churn_parse_keys(&opt.key_mask, optarg, strlen(optarg)) != LAPSE_OK)
                return cli_usage_error(CMD, "--key: unknown category in \"%s\"", optarg);
            break;
        case OPT_EVENTS: events = optarg; break;
        case OPT_MAX_BAD:
            if (cli_parse_long(CMD, "--max-bad-rows", optarg, 0, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.max_bad_rows = value;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(CMD, "bad option");
        }
    }
    if (!sends)
        return cli_usage_error(CMD, "eval needs --sends FILE");
    if (optind == argc)
        return cli_usage_error(CMD, "eval needs the event log after the sends");
    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_category_map *map = NULL;
    if (events && lapse_category_map_load(&map, events, &err) != LAPSE_OK)
        return cli_report(&err);
    opt.categories = map;
    lapse_campaign_report *report = NULL;
    lapse_outfile *file = NULL;
    int rc = EXIT_OK;
    if (lapse_campaign_eval(&report, sends, (const char *const *)argv + optind,
                            (size_t)(argc - optind), clicks, n_clicks, &opt, &err) != LAPSE_OK ||
        lapse_outfile_open(&file, output, &err) != LAPSE_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (lapse_campaign_report_write(lapse_outfile_stream(file), report) != LAPSE_OK) {
        lapse_error_set(&err, LAPSE_ERR_IO, output, 0, 0, -1, "write failed");
        lapse_outfile_abort(file);
        rc = cli_report(&err);
        goto done;
    }
    if (lapse_outfile_commit(file, &err) != LAPSE_OK) {
        rc = cli_report(&err);
        goto done;
    }
    if (!quiet) {
        fprintf(stderr, "lapse: %lld sends (%lld duplicate rows, %lld users not in the log), "
                "%lld log events\n",
                (long long)report->sends, (long long)report->duplicate_rows,
                (long long)report->unknown_users, (long long)report->log_events);
        for (size_t i = 0; i < report->n_rows; i++) {
            const lapse_campaign_row *r = &report->rows[i];
            fprintf(stderr, "lapse:   %-12s %-4s sent %lld, recalled %.2f%% vs control %.2f%% "
                    "(n %lld): uplift %+.2f%% [%+.2f%%, %+.2f%%], p %.3g, SRM p %.3g\n",
                    r->channel, r->variant, (long long)r->sent, 100 * r->cmp.rate_t,
                    100 * r->cmp.rate_c, (long long)r->control, 100 * r->cmp.diff,
                    100 * r->cmp.ci_lo, 100 * r->cmp.ci_hi, r->cmp.p_value, r->srm_p);
        }
    }
done:
    lapse_campaign_report_free(report);
    lapse_category_map_free(map);
    return rc;
}

int cmd_campaign(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "plan") == 0)
        return campaign_plan_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "eval") == 0)
        return campaign_eval_command(argc - 1, argv + 1);
    return cli_usage_error(CMD, "unknown subcommand \"%s\" (plan, eval)", argv[1]);
}

static void sim_usage(FILE *out)
{
    fprintf(out,
            "usage: lapse simulate --campaign -o DIR [options]\n\n"
            "Writes DIR/sends.csv (a send list with control and treatment), DIR/events.csv (the\n"
            "log around the sends), DIR/clicks.csv (clicks on messages) and DIR/truth.csv (the\n"
            "planted uplift per channel and variant). Users draw a channel and a risk tier\n"
            "uniformly; control is stratified by both; a user is recalled (a key event within\n"
            "the window) with probability base[tier], plus the channel's uplift when treated.\n\n"
            "  -o, --output DIR     folder (created if missing)\n"
            "      --seed S         random seed (default 1)\n"
            "      --users N        users (default 20000)\n"
            "      --start DATE     send day (default 2026-03-01)\n"
            "      --uplift SPEC    planted uplift per channel, default sms_email=0.02,\n"
            "                       push_feature=0.04,coupon=0.08,phone=0.15,community=0\n"
            "      --base L,M,H     control recall of risk tiers low, medium, high\n"
            "                       (default 0.15,0.08,0.04)\n"
            "      --control F      control share (default 0.1, as plan and eval)\n"
            "      --variants K     treatment variants A, B, ... with the same uplift (default 1)\n"
            "      --window HOURS   recall window (default 24)\n"
            "  -q, --quiet          no summary\n"
            "  -h, --help           this help\n");
}

int cmd_campaign_simulate(int argc, char **argv)
{
    enum { OPT_CAMPAIGN = 256, OPT_SEED, OPT_USERS, OPT_START, OPT_UPLIFT, OPT_BASE, OPT_CONTROL,
           OPT_VARIANTS, OPT_WINDOW };
    static const struct option longopts[] = {
        { "campaign", no_argument, NULL, OPT_CAMPAIGN },
        { "output", required_argument, NULL, 'o' },
        { "seed", required_argument, NULL, OPT_SEED },
        { "users", required_argument, NULL, OPT_USERS },
        { "start", required_argument, NULL, OPT_START },
        { "uplift", required_argument, NULL, OPT_UPLIFT },
        { "base", required_argument, NULL, OPT_BASE },
        { "control", required_argument, NULL, OPT_CONTROL },
        { "variants", required_argument, NULL, OPT_VARIANTS },
        { "window", required_argument, NULL, OPT_WINDOW },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const sim = "simulate";
    lapse_campaign_sim_options opt = LAPSE_CAMPAIGN_SIM_OPTIONS_INIT;
    const char *dir = NULL;
    int quiet = 0;
    long value;
    double hours;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1;) {
        switch (c) {
        case OPT_CAMPAIGN: break;
        case 'o': dir = optarg; break;
        case OPT_SEED:
            if (cli_parse_long(sim, "--seed", optarg, 0, LONG_MAX, &value))
                return EXIT_USAGE;
            opt.seed = (uint64_t)value;
            break;
        case OPT_USERS:
            if (cli_parse_long(sim, "--users", optarg, 1, 10000000, &value))
                return EXIT_USAGE;
            opt.users = value;
            break;
        case OPT_START:
            if (cli_parse_date(sim, "--start", optarg, &opt.start))
                return EXIT_USAGE;
            break;
        case OPT_UPLIFT: {
            lapse_error e = LAPSE_ERROR_INIT;
            if (lapse_campaign_parse_channels(opt.uplift, optarg, -1, 1, &e) != LAPSE_OK)
                return cli_usage_error(sim, "--uplift: %s", e.message);
            break;
        }
        case OPT_BASE: {
            char *p = optarg, *end;
            for (int t = 0; t < 3; t++) {
                errno = 0;
                opt.base[t] = strtod(p, &end);
                if (errno || end == p || *end != (t < 2 ? ',' : '\0') ||
                    !(opt.base[t] >= 0 && opt.base[t] <= 1))
                    return cli_usage_error(sim, "--base needs three probabilities L,M,H, not "
                                           "\"%s\"", optarg);
                p = end + 1;
            }
            break;
        }
        case OPT_CONTROL:
            if (cli_parse_double(sim, "--control", optarg, 0.01, 0.9, &opt.control))
                return EXIT_USAGE;
            break;
        case OPT_VARIANTS:
            if (cli_parse_long(sim, "--variants", optarg, 1, 8, &value))
                return EXIT_USAGE;
            opt.variants = (int)value;
            break;
        case OPT_WINDOW:
            if (cli_parse_double(sim, "--window", optarg, 1, 168, &hours))
                return EXIT_USAGE;
            opt.window = (int64_t)llround(hours * 3600);
            break;
        case 'q': quiet = 1; break;
        case 'h': sim_usage(stdout); return EXIT_OK;
        default: return cli_usage_error(sim, "bad option (with --campaign: see --campaign --help)");
        }
    }
    if (optind < argc)
        return cli_usage_error(sim, "unexpected argument \"%s\"", argv[optind]);
    if (!dir)
        return cli_usage_error(sim, "-o DIR is required");
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_campaign_sim_check(&opt, &err) != LAPSE_OK)
        return cli_usage_error(sim, "%s", err.message);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        lapse_error_set(&err, LAPSE_ERR_IO, dir, 0, 0, -1, "cannot create the folder: %s",
                        strerror(errno));
        return cli_report(&err);
    }
    if (lapse_campaign_simulate(dir, &opt, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet)
        fprintf(stderr, "lapse: campaign of %lld users in %s/\n", (long long)opt.users, dir);
    return EXIT_OK;
}
