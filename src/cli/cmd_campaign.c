/* lapse campaign plan|eval, and lapse simulate --campaign. */
#include "cli.h"
#include "cli_opt.h"

#include "lapse/campaign.h"
#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/outfile.h"
#include "lapse/paths.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "campaign"
#define MAX_FILES 256
#define MAX_VARIANTS 26

/* Per-channel numbers, "sms_email=0.05,phone=2", each in [o->min, o->max]. */
static int parse_channels(const cli_opt *o, const char *command, const char *option,
                          const char *text)
{
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_campaign_parse_channels(o->dest, text, o->min, o->max, &err) != LAPSE_OK)
        return cli_usage_error(command, "%s: %s", option, err.message);
    return 0;
}

/* Hours in [o->min, o->max] as int64_t seconds. */
static int parse_hours(const cli_opt *o, const char *command, const char *option,
                       const char *text)
{
    double hours;
    if (cli_parse_double(command, option, text, o->min, o->max, &hours))
        return EXIT_USAGE;
    *(int64_t *)o->dest = (int64_t)llround(hours * 3600);
    return 0;
}

/* A CALL option whose function reads a range. */
#define CAMPAIGN_OPT(l, v, d, fn, lo, hi, h)                                                       { .kind = CLI_OPT_CALL, .long_name = (l), .value_name = (v), .dest = (d), .parse = (fn),        .min = (lo), .max = (hi), .help = (h) }

static const char *output = "-";
static int quiet;

/* ---- plan ---- */

static lapse_campaign_plan_options plan = LAPSE_CAMPAIGN_PLAN_OPTIONS_INIT;
static double budget = -1; /* -1: not given */
static const char *channels_file;
/* --cost, --uplift and --capacity, applied to the channel table once it is read */
static const char *overrides[3];
static lapse_channel_table channels;
static const char *sequence;
static lapse_campaign_step steps[LAPSE_SEQUENCE_MAX];
static const char *variants[MAX_VARIANTS];

static int parse_send_at(const cli_opt *o, const char *command, const char *option,
                         const char *text)
{
    if (lapse_time_parse(o->dest, text, strlen(text)) == LAPSE_OK)
        return 0;
    return cli_opt_bad_value(command, option, text, "needs a timestamp");
}

/* Comma-separated names, kept in place: the text is argv's. */
static int parse_variants(const cli_opt *o, const char *command, const char *option,
                          const char *text)
{
    (void)o;
    plan.n_variants = 0;
    for (char *p = (char *)text;;) {
        if (plan.n_variants == MAX_VARIANTS)
            return cli_opt_bad_value(command, option, text, "needs at most %d names",
                                     MAX_VARIANTS);
        variants[plan.n_variants++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    plan.variants = variants;
    return 0;
}

/* -q and -h are listed once for both actions, after eval's options. */
static const cli_opt plan_options[] = {
    CLI_OPT_STRING('o', "output", "FILE", &output,
                   "send list (default -: stdout), written atomically"),
    CLI_OPT_DOUBLE(0, "budget", "B", &budget, 0, 1e15,
                   "total cost of the chosen users (required)"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_file,
                   "channels file: name,cost,uplift,condition,capacity\n"
                   "(default: the built-in table, lapse campaign channels)"),
    CLI_OPT_STRING(0, "cost", "SPEC", &overrides[LAPSE_CHANNEL_COST],
                   "per-message costs, e.g. sms_email=0.05,phone=2 (channels\n"
                   "left out keep the table's)"),
    CLI_OPT_STRING(0, "uplift", "SPEC", &overrides[LAPSE_CHANNEL_UPLIFT],
                   "assumed recall uplift per channel, 0 to 1, e.g. sms=0.02"),
    CLI_OPT_STRING(0, "capacity", "SPEC", &overrides[LAPSE_CHANNEL_CAPACITY],
                   "messages a UTC day per channel, e.g. phone=200 (none:\n"
                   "no limit)"),
    CLI_OPT_DOUBLE(0, "match", "F", &plan.match, 0, 1e6,
                   "uplift factor for the suggested action (default 1.5)"),
    CLI_OPT_DOUBLE(0, "base-value", "V", &plan.base_value, 0, 1e15,
                   "worth of any recalled user (default 1)"),
    CLI_OPT_DOUBLE(0, "control", "F", &plan.control, 0, 0.9,
                   "control share, 0 to 0.9 (default 0.1)"),
    CLI_OPT_INT(0, "seed", "S", &plan.seed, 0, INT64_MAX, "seed of the control draw (default 1)"),
    CLI_OPT_CALL(0, "send-at", "TIME", &plan.send_at, parse_send_at,
                 "sent_at for every row (default: each row's asof, midnight)"),
    CLI_OPT_CALL(0, "variants", "A,B", NULL, parse_variants,
                 "treatment variants, assigned in turn (default A)"),
    CLI_OPT_STRING(0, "sequence", "SPEC", &sequence,
                   "a touch sequence per user instead of one message, e.g.\n"
                   "push@0h,sms@24h,phone@48h (hours after the send time)"),
    CLI_OPT_DOUBLE(0, "step-holdout", "F", &plan.step_holdout, 0, 0.9,
                   "share of treatment sequences stopped before each later\n"
                   "step, to measure what it adds (default 0)"),
    CLI_OPT_QUIET_UNLISTED(&quiet),
    CLI_OPT_END,
};

/* ---- eval ---- */

static lapse_campaign_eval_options eval = LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT;
static const char *sends, *events, *clicks[MAX_FILES];
static size_t n_clicks;

static int add_clicks(const cli_opt *o, const char *command, const char *option,
                      const char *text)
{
    (void)o;
    if (n_clicks == MAX_FILES)
        return cli_opt_bad_value(command, option, text, "may repeat at most %d times",
                                 MAX_FILES);
    clicks[n_clicks++] = text;
    return 0;
}

/* Key events of a preset; subscription's churn is a cancel, not silence. */
static int parse_preset(const cli_opt *o, const char *command, const char *option,
                        const char *text)
{
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    if (lapse_churn_preset(&def, text) != LAPSE_OK || def.cancel_is_churn)
        return cli_opt_bad_value(command, option, text,
                                 "must be game, app, ecommerce or finance");
    *(unsigned *)o->dest = def.key_mask;
    return 0;
}

static const cli_opt eval_options[] = {
    CLI_OPT_STRING('o', "output", "FILE", &output, "report (default -: stdout)"),
    CLI_OPT_STRING(0, "sends", "FILE", &sends,
                   "the send list: user_id,channel,sent_at,group,cost,variant"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_file,
                   "channels file naming the send list's channels (default:\n"
                   "the built-in table)"),
    CLI_OPT_CALL(0, "clicks", "FILE", NULL, add_clicks,
                 "a click log (event-log format; every row is a click); may\n"
                 "repeat. Without one, clicked is empty"),
    CAMPAIGN_OPT("window", "HOURS", &eval.window, parse_hours, 1.0 / 60, 24 * 365,
                 "recall window (default 24)"),
    CLI_OPT_DOUBLE(0, "control", "F", &eval.control, 0.001, 0.999,
                   "the planned control share, for the SRM check (default 0.1)"),
    CLI_OPT_CALL(0, "preset", "NAME", &eval.key_mask, parse_preset,
                 "key events of a churn preset (game, app, ecommerce, finance)"),
    CLI_OPT_CALL(0, "key", "CATS", &eval.key_mask, cli_parse_keys,
                 "key categories, '+'-separated (default activity)"),
    CLI_OPT_STRING(0, "events", "FILE", &events, "event name -> category map (datasets/README.md)"),
    CLI_OPT_INT(0, "max-bad-rows", "N", &eval.max_bad_rows, 0, INT64_MAX,
                "skip up to N bad log rows (default 0)"),
    CLI_OPT_SECTION(""),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no summary on stderr"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

/* ---- channels ---- */

static const cli_opt channels_options[] = {
    CLI_OPT_STRING('o', "output", "FILE", &output, "channels file (default -: stdout)"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_file, "start from this file"),
    CLI_OPT_STRING(0, "cost", "SPEC", &overrides[LAPSE_CHANNEL_COST], "costs to set"),
    CLI_OPT_STRING(0, "uplift", "SPEC", &overrides[LAPSE_CHANNEL_UPLIFT], "uplifts to set"),
    CLI_OPT_STRING(0, "capacity", "SPEC", &overrides[LAPSE_CHANNEL_CAPACITY],
                   "capacities to set"),
    CLI_OPT_QUIET_UNLISTED(&quiet),
    CLI_OPT_END,
};

/* ---- next ---- */

static lapse_campaign_next_options next = LAPSE_CAMPAIGN_NEXT_OPTIONS_INIT;
static const char *plan_file;

static const cli_opt next_options[] = {
    CLI_OPT_STRING('o', "output", "FILE", &output, "touches due (default -: stdout)"),
    CLI_OPT_STRING(0, "plan", "FILE", &plan_file, "the sequence plan (campaign plan --sequence)"),
    CLI_OPT_CALL(0, "now", "TIME", &next.now, parse_send_at, "the time of this run (required)"),
    CLI_OPT_CALL(0, "since", "TIME", &next.since, parse_send_at,
                 "the previous run: only touches due after it (default:\n"
                 "every touch due by now)"),
    CLI_OPT_CALL(0, "preset", "NAME", &next.key_mask, parse_preset,
                 "key events of a churn preset (game, app, ecommerce, finance)"),
    CLI_OPT_CALL(0, "key", "CATS", &next.key_mask, cli_parse_keys,
                 "key categories, '+'-separated (default activity)"),
    CLI_OPT_STRING(0, "events", "FILE", &events, "event name -> category map (datasets/README.md)"),
    CLI_OPT_INT(0, "max-bad-rows", "N", &next.max_bad_rows, 0, INT64_MAX,
                "skip up to N bad log rows (default 0)"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_file,
                   "channels file naming the plan's channels"),
    CLI_OPT_QUIET_UNLISTED(&quiet),
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse campaign plan --budget B [options] SCORED.csv\n"
            "       lapse campaign eval --sends SENDS.csv [options] LOG...\n"
            "       lapse campaign next --plan PLAN.csv --now TIME [options] LOG...\n"
            "       lapse campaign channels [options]\n\n"
            "plan: choose users and channels maximising the expected recalled value\n"
            "  uplift[channel] * (match if the channel is the suggested action) *\n"
            "  (value_at_risk + p_churn * base_value)\n"
            "within the budget (greedy by value per cost over each user's convex hull of\n"
            "options, one channel per user) and each channel's capacity per UTC day. A user\n"
            "may get a channel when its condition holds on their scored row (built in: phone\n"
            "only for value_tier = high; push_feature only for has_app = 1, and a scored file\n"
            "without has_app counts users whose suggested action is push_feature). A control\n"
            "share is held out of the chosen users, stratified by channel and risk_tier, in\n"
            "seeded order; it is not sent, so the spend is about (1 - control) x budget.\n"
            "Writes\n"
            "  user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier\n\n");
    cli_opt_print(out, plan_options, 6, 23);
    fprintf(out,
            "\n"
            "eval: per channel and variant, recall within --window of sent_at (control users:\n"
            "their assigned sent_at) against the channel's control: uplift with Newcombe's 95%%\n"
            "interval, z-test p (Fisher's exact below 5 expected), sample-ratio chi-square vs\n"
            "--control, the 80%%-power minimum detectable uplift, cost per recalled user, and\n"
            "retention of recalled users (a key event 1-7 and 8-30 days after the recall).\n"
            "Writes one CSV row per channel and variant and a total row. A sequence plan\n"
            "(columns step and start) is measured per step: a touch is sent when its user\n"
            "has not returned before it, a return goes to the last touch before it, and each\n"
            "step is compared with stopping before it (the control group for a touch that\n"
            "opens the sequence, else the sequences --step-holdout stopped); the total row\n"
            "is the whole sequence against control.\n\n");
    cli_opt_print(out, eval_options, 6, 23);
    fprintf(out,
            "\n"
            "next: the touches of a sequence plan due now (since < sent_at <= now) for\n"
            "treatment users with no key event since the sequence started; control\n"
            "users get none. Run it every few hours with --since the previous run. Writes\n"
            "  user_id,channel,step,sent_at,cost,variant\n\n");
    cli_opt_print(out, next_options, 6, 23);
    fprintf(out,
            "\n"
            "channels: writes the channel table plan and eval use, as a channels file to edit:\n"
            "  name,cost,uplift,condition,capacity\n"
            "a condition is terms `column op value` joined by \" and \" (op = != < <= > >=) on\n"
            "the scored file's columns, empty for everyone; capacity is per UTC day, empty for\n"
            "no limit. An uplift of 0 means no assumption yet: plan does not choose it.\n\n");
    cli_opt_print(out, channels_options, 6, 23);
    fprintf(out, "exit codes: 0 ok, 1 bad data (file:line, column), 2 usage, 3 system error\n");
}

/* The channel table: the file, or the built-in one, then --cost, --uplift
 * and --capacity over it. A bad override is a usage error (2), a bad file
 * a data error (1). */
static int read_channels(lapse_error *err, int *usage)
{
    *usage = 0;
    if (channels_file) {
        if (lapse_channel_table_load(&channels, channels_file, err) != LAPSE_OK)
            return err->code;
    } else {
        lapse_channel_table_default(&channels);
    }
    for (int f = 0; f < 3; f++) {
        if (overrides[f] &&
            lapse_channel_table_set(&channels, (lapse_channel_field)f, overrides[f], err) !=
                LAPSE_OK) {
            *usage = 1;
            return err->code;
        }
    }
    return LAPSE_OK;
}

static int campaign_plan_command(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, plan_options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (budget < 0)
        return cli_usage_error(CMD, "plan needs --budget");
    if (argc - first != 1)
        return cli_usage_error(CMD, "plan reads one scored file");
    if (plan.step_holdout > 0 && !sequence)
        return cli_usage_error(CMD, "--step-holdout needs --sequence");
    plan.budget = budget;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_campaign_plan_check(&plan, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    const cli_output send_list = { "-o", output };
    const char *named[] = { channels_file };
    const int refused = cli_check_files(CMD, &send_list, 1, argv + first, 1, named, 1);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(quiet);
    int usage_error;
    if (read_channels(&err, &usage_error) != LAPSE_OK)
        return usage_error ? cli_usage_error(CMD, "%s", err.message) : cli_report(&err);
    plan.channels = &channels;
    if (sequence) {
        if (lapse_campaign_sequence_parse(steps, &plan.n_steps, sequence, &channels, &err) !=
            LAPSE_OK)
            return cli_usage_error(CMD, "--sequence: %s", err.message);
        plan.steps = steps;
    }
    lapse_campaign_plan_stats st;
    if (lapse_campaign_plan(argv[first], output, &plan, &st, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet) {
        fprintf(stderr, "lapse: %lld scored users; chosen cost %.2f of budget %.2f; spend %.2f "
                "on treatment; expected recalled value %.2f\n",
                (long long)st.users, st.chosen_cost, plan.budget, st.spend, st.expected_value);
        for (size_t c = 0; c < channels.n; c++)
            if (st.chosen[c])
                fprintf(stderr, "lapse:   %-12s %lld %s (%lld control)\n",
                        channels.channel[c].name, (long long)st.chosen[c],
                        sequence ? "touches" : "users",
                        (long long)st.control[c]);
        if (st.skipped_steps)
            fprintf(stderr, "lapse: %lld sequence steps skipped: the user may not get the "
                    "channel\n", (long long)st.skipped_steps);
        if (st.held_out_steps)
            fprintf(stderr, "lapse: %lld treatment sequences stopped early to measure their "
                    "later steps\n", (long long)st.held_out_steps);
        if (st.capacity_dropped_steps)
            fprintf(stderr, "lapse: %lld sequence steps left out: their channel's day was "
                    "full\n", (long long)st.capacity_dropped_steps);
        if (st.capacity_blocked)
            fprintf(stderr, "lapse: %lld choices left out because a channel's day was full\n",
                    (long long)st.capacity_blocked);
    }
    return EXIT_OK;
}

/* Writes the report to output, which appears when complete. */
static int write_report(const lapse_campaign_report *report, lapse_error *err)
{
    lapse_outfile *file = NULL;
    if (lapse_outfile_open(&file, output, err) != LAPSE_OK)
        return err->code;
    if (lapse_campaign_report_write(lapse_outfile_stream(file), report) != LAPSE_OK) {
        lapse_outfile_abort(file);
        return lapse_error_set(err, LAPSE_ERR_IO, output, 0, 0, -1, "write failed");
    }
    return lapse_outfile_commit(file, err);
}

static void print_eval_summary(const lapse_campaign_report *report)
{
    fprintf(stderr, "lapse: %lld %s (%lld duplicate rows, %lld users not in the log), "
            "%lld log events\n",
            (long long)report->sends, report->sequence ? "touches" : "sends",
            (long long)report->duplicate_rows,
            (long long)report->unknown_users, (long long)report->log_events);
    for (size_t i = 0; i < report->n_rows; i++) {
        const lapse_campaign_row *r = &report->rows[i];
        fputs("lapse:   ", stderr);
        if (report->sequence && r->step == 0)
            fputs("sequence ", stderr);
        else if (report->sequence)
            fprintf(stderr, "step %d%s  ", r->step, r->step > 1 && r->opening ? " (opening)" : "");
        fprintf(stderr, "%-12s %-4s sent %lld, recalled %.2f%% vs control %.2f%% "
                "(n %lld): uplift %+.2f%% [%+.2f%%, %+.2f%%], p %.3g, SRM p %.3g",
                r->channel, r->variant, (long long)r->sent, 100 * r->cmp.rate_t,
                100 * r->cmp.rate_c, (long long)r->control, 100 * r->cmp.diff,
                100 * r->cmp.ci_lo, 100 * r->cmp.ci_hi, r->cmp.p_value, r->srm_p);
        if (r->censored || r->control_censored)
            fprintf(stderr, "; censored %lld (control %lld)", (long long)r->censored,
                    (long long)r->control_censored);
        fputc('\n', stderr);
    }
}

static int campaign_eval_command(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, eval_options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (!sends)
        return cli_usage_error(CMD, "eval needs --sends FILE");
    if (first == argc)
        return cli_usage_error(CMD, "eval needs the event log after the sends");
    /* The files named by options: the sends, the map, the channels and the
     * click logs. */
    const char *named[MAX_FILES + 3] = { sends, events, channels_file };
    memcpy(named + 3, clicks, n_clicks * sizeof *clicks);
    const cli_output report_file = { "-o", output };
    const int refused = cli_check_files(CMD, &report_file, 1, argv + first,
                                        (size_t)(argc - first), named, n_clicks + 3);
    if (refused != EXIT_OK)
        return refused;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_paths_check_distinct(clicks, n_clicks, &err) != LAPSE_OK)
        return cli_usage_error(CMD, "%s", err.message);
    cli_log_to_stderr(quiet);
    lapse_category_map *map = NULL;
    if (events && lapse_category_map_load(&map, events, &err) != LAPSE_OK)
        return cli_report(&err);
    eval.categories = map;
    int usage_error;
    if (read_channels(&err, &usage_error) != LAPSE_OK) {
        lapse_category_map_free(map);
        return cli_report(&err);
    }
    eval.channels = &channels;
    lapse_campaign_report *report = NULL;
    int rc = EXIT_OK;
    if (lapse_campaign_eval(&report, sends, (const char *const *)argv + first,
                            (size_t)(argc - first), clicks, n_clicks, &eval, &err) != LAPSE_OK ||
        write_report(report, &err) != LAPSE_OK)
        rc = cli_report(&err);
    else if (!quiet)
        print_eval_summary(report);
    lapse_campaign_report_free(report);
    lapse_category_map_free(map);
    return rc;
}

static int campaign_next_command(int argc, char **argv)
{
    int first;
    next.now = INT64_MIN;
    const int parsed = cli_opt_parse(&first, CMD, next_options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (!plan_file)
        return cli_usage_error(CMD, "next needs --plan FILE");
    if (next.now == INT64_MIN)
        return cli_usage_error(CMD, "next needs --now TIME");
    if (next.since != INT64_MIN && next.since >= next.now)
        return cli_usage_error(CMD, "--since must be before --now");
    if (first == argc)
        return cli_usage_error(CMD, "next needs the event log so far");
    const char *named[] = { plan_file, events, channels_file };
    const cli_output touches = { "-o", output };
    const int refused = cli_check_files(CMD, &touches, 1, argv + first, (size_t)(argc - first),
                                        named, 3);
    if (refused != EXIT_OK)
        return refused;
    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    int usage_error;
    if (read_channels(&err, &usage_error) != LAPSE_OK)
        return cli_report(&err);
    next.channels = &channels;
    lapse_category_map *map = NULL;
    if (events && lapse_category_map_load(&map, events, &err) != LAPSE_OK)
        return cli_report(&err);
    next.categories = map;
    lapse_campaign_next_stats st;
    const int status = lapse_campaign_next(plan_file, (const char *const *)argv + first,
                                           (size_t)(argc - first), output, &next, &st, &err);
    lapse_category_map_free(map);
    if (status != LAPSE_OK)
        return cli_report(&err);
    if (!quiet)
        fprintf(stderr, "lapse: %lld touches due; %lld of %lld treatment users came back and get "
                "no more; %lld control touches held back\n",
                (long long)st.due, (long long)st.returned, (long long)st.users,
                (long long)st.control_due);
    return EXIT_OK;
}

static int campaign_channels_command(int argc, char **argv)
{
    int first;
    const int parsed = cli_opt_parse(&first, CMD, channels_options, usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first < argc)
        return cli_usage_error(CMD, "channels takes no file argument (--channels FILE)");
    const cli_output table_file = { "-o", output };
    const char *named[] = { channels_file };
    const int refused = cli_check_files(CMD, &table_file, 1, NULL, 0, named, 1);
    if (refused != EXIT_OK)
        return refused;
    lapse_error err = LAPSE_ERROR_INIT;
    int usage_error;
    if (read_channels(&err, &usage_error) != LAPSE_OK)
        return usage_error ? cli_usage_error(CMD, "%s", err.message) : cli_report(&err);
    lapse_outfile *file = NULL;
    if (lapse_outfile_open(&file, output, &err) != LAPSE_OK)
        return cli_report(&err);
    lapse_channel_table_write(lapse_outfile_stream(file), &channels);
    if (lapse_outfile_commit(file, &err) != LAPSE_OK)
        return cli_report(&err);
    return EXIT_OK;
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
    if (strcmp(argv[1], "next") == 0)
        return campaign_next_command(argc - 1, argv + 1);
    if (strcmp(argv[1], "channels") == 0)
        return campaign_channels_command(argc - 1, argv + 1);
    return cli_usage_error(CMD, "unknown subcommand \"%s\" (plan, eval, next, channels)",
                           argv[1]);
}

/* ---- simulate --campaign ---- */

static lapse_campaign_sim_options sim = LAPSE_CAMPAIGN_SIM_OPTIONS_INIT;
static const char *dir, *sim_step_uplift;

static const cli_opt sim_options[] = {
    /* What sent the command here (cmd_simulate): accepted, nothing to store. */
    { .kind = CLI_OPT_FLAG, .long_name = "campaign", .hidden = 1 },
    CLI_OPT_STRING('o', "output", "DIR", &dir, "folder (created if missing)"),
    CLI_OPT_INT(0, "seed", "S", &sim.seed, 0, INT64_MAX, "random seed (default 1)"),
    CLI_OPT_INT(0, "users", "N", &sim.users, 1, 10000000, "users (default 20000)"),
    CLI_OPT_DATE(0, "start", "DATE", &sim.start, "send day (default 2026-03-01)"),
    CAMPAIGN_OPT("uplift", "SPEC", sim.uplift, parse_channels, -1, 1,
                 "planted uplift per channel, default sms_email=0.02,\n"
                 "push_feature=0.04,coupon=0.08,phone=0.15,community=0"),
    CLI_OPT_NUMBERS(0, "base", "L,M,H", sim.base, 3, 0, 1,
                    "control recall of risk tiers low, medium, high\n"
                    "(default 0.15,0.08,0.04)"),
    CLI_OPT_DOUBLE(0, "control", "F", &sim.control, 0.01, 0.9,
                   "control share (default 0.1, as plan and eval)"),
    CLI_OPT_INT(0, "variants", "K", &sim.variants, 1, 8,
                "treatment variants A, B, ... with the same uplift (default 1)"),
    CAMPAIGN_OPT("window", "HOURS", &sim.window, parse_hours, 1, 168,
                 "recall window (default 24)"),
    CLI_OPT_STRING(0, "sequence", "SPEC", &sequence,
                   "a touch sequence per user (as campaign plan's), e.g.\n"
                   "push@0h,sms@24h,phone@48h"),
    CLI_OPT_STRING(0, "step-uplift", "U1,U2", &sim_step_uplift,
                   "planted uplift of each step over stopping before it\n"
                   "(default 0.03 each)"),
    CLI_OPT_DOUBLE(0, "step-holdout", "F", &sim.step_holdout, 0, 0.9,
                   "share of treatment sequences stopped before each later\n"
                   "step (default 0)"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_file,
                   "channels file the sequence's channels, costs and daily\n"
                   "capacities come from (default: the built-in table)"),
    CLI_OPT_STRING(0, "capacity", "SPEC", &overrides[LAPSE_CHANNEL_CAPACITY],
                   "touches per UTC day, e.g. phone=500 (as campaign plan's):\n"
                   "a step whose day is full is left out of the user's sequence"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no summary"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void sim_usage(FILE *out)
{
    fprintf(out,
            "usage: lapse simulate --campaign -o DIR [options]\n\n"
            "Writes DIR/sends.csv (a send list with control and treatment), DIR/events.csv (the\n"
            "log around the sends), DIR/clicks.csv (clicks on messages) and DIR/truth.csv (the\n"
            "planted uplift per channel and variant). Users draw a channel and a risk tier\n"
            "uniformly; control is stratified by both; a user is recalled (a key event within\n"
            "the window) with probability base[tier], plus the channel's uplift when treated.\n\n");
    cli_opt_print(out, sim_options, 6, 23);
}

int cmd_campaign_simulate(int argc, char **argv)
{
    static const char *const name = "simulate";
    int first;
    const int parsed = cli_opt_parse(&first, name, sim_options, sim_usage, argc, argv);
    if (parsed != CLI_OPT_GO_ON)
        return parsed;
    if (first < argc)
        return cli_usage_error(name, "unexpected argument \"%s\"", argv[first]);
    if (!dir)
        return cli_usage_error(name, "-o DIR is required");
    lapse_error err = LAPSE_ERROR_INIT;
    if (sim.step_holdout > 0 && !sequence)
        return cli_usage_error(name, "--step-holdout needs --sequence");
    if (sim_step_uplift && !sequence)
        return cli_usage_error(name, "--step-uplift needs --sequence");
    if ((channels_file || overrides[LAPSE_CHANNEL_CAPACITY]) && !sequence)
        return cli_usage_error(name, "--channels and --capacity need --sequence");
    if (sequence) {
        int usage_error;
        if (read_channels(&err, &usage_error) != LAPSE_OK)
            return usage_error ? cli_usage_error(name, "%s", err.message) : cli_report(&err);
        sim.channels = &channels;
        if (lapse_campaign_sequence_parse(steps, &sim.n_steps, sequence, &channels, &err) !=
            LAPSE_OK)
            return cli_usage_error(name, "--sequence: %s", err.message);
        sim.steps = steps;
        for (size_t k = 0; k < sim.n_steps; k++)
            sim.step_uplift[k] = 0.03;
        const char *p = sim_step_uplift;
        for (size_t k = 0; p && k < sim.n_steps; k++) {
            char *end;
            sim.step_uplift[k] = strtod(p, &end);
            if (end == p || *end != (k + 1 < sim.n_steps ? ',' : '\0'))
                return cli_usage_error(name, "--step-uplift needs %zu numbers, one a step",
                                       sim.n_steps);
            p = end + 1;
        }
    }
    if (lapse_campaign_sim_check(&sim, &err) != LAPSE_OK)
        return cli_usage_error(name, "%s", err.message);
    if (cli_make_folder(dir, &err) != LAPSE_OK ||
        lapse_campaign_simulate(dir, &sim, &err) != LAPSE_OK)
        return cli_report(&err);
    if (!quiet)
        fprintf(stderr, "lapse: campaign of %lld users in %s/\n", (long long)sim.users, dir);
    return EXIT_OK;
}
