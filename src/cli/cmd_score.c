/* lapse score: a saved model applied to every user, with a reason and an
 * action each. */
#include "cli.h"
#include "cli_btyd.h"
#include "cli_opt.h"
#include "cli_progress.h"

#include "lapse/actions.h"
#include "lapse/model.h"
#include "lapse/outfile.h"
#include "lapse/paths.h"
#include "lapse/score.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const name = "score";

static const char *model_path, *output = "-", *rules_path, *channels_path;
static int logs, quiet;
static lapse_reader_options ropts = LAPSE_READER_OPTIONS_INIT;
static int64_t asof = -1;
static double horizon; /* BTYD models; 0: the model's */
static double value_rule[3] = { -1 }; /* -1: the default rule */
static lapse_score_options so = LAPSE_SCORE_OPTIONS_INIT;
static lapse_score_output oo = LAPSE_SCORE_OUTPUT_INIT;

static const cli_opt_choice orders[] = {
    { "risk", LAPSE_SCORE_ORDER_RISK }, { "value", LAPSE_SCORE_ORDER_VALUE }, { NULL, 0 }
};

static int parse_stages(const cli_opt *o, const char *command, const char *option,
                        const char *text)
{
    if (lapse_silence_stages_parse(o->dest, text) == LAPSE_OK)
        return 0;
    return cli_opt_bad_value(command, option, text,
                             "needs three increasing day counts, e.g. 0,7,14");
}

static const cli_opt options[] = {
    CLI_OPT_STRING('m', "model", "FILE", &model_path,
                   "the model (from lapse train; '-' for stdin); required"),
    CLI_OPT_STRING('o', "output", "FILE", &output, "write here, atomically (default stdout)"),
    CLI_OPT_FLAG(0, "logs", &logs, 1, "the arguments are event logs, not a feature table"),
    CLI_OPT_FLAG(0, "dedup", &ropts.dups, LAPSE_DUPS_DROP,
                 "with --logs: drop rows that repeat an earlier row exactly\n"
                 "(as lapse extract --dedup)"),
    CLI_OPT_CALL(0, "delim", "C", &ropts, cli_parse_delimiter,
                 "with --logs: field separator (as lapse extract --delim)"),
    CLI_OPT_STRING(0, "event", "NAME", &ropts.event,
                   "with --logs: every row's event (as lapse extract --event)"),
    CLI_OPT_AMOUNT_EXPR(&ropts),
    CLI_OPT_FLAG(0, "strict", &ropts.strict_users, 1,
                 "with --logs: rows with an empty user id are bad rows\n"
                 "(by default they are skipped and counted)"),
    CLI_OPT_DATE(0, "asof", "DATE", &asof,
                 "with --logs: snapshot date (default: the day after the\n"
                 "log's last events, stray far later rows aside; needs files)"),
    CLI_OPT_INT(0, "top", "K", &oo.top, 1, 1000000000L,
                "only the K highest rows (by --sort, default risk)"),
    CLI_OPT_ENUM(0, "sort", "risk|value", &oo.order, orders,
                 "order by p_churn or value_at_risk, highest first\n"
                 "(without --top, holds the output in memory)"),
    CLI_OPT_FLAG(0, "fast", &so.single_precision, 1,
                 "single-precision SVM kernel (probabilities within 1e-5);\n"
                 "trees: float32 thresholds, the same decisions"),
    CLI_OPT_FLAG(0, "contribs", &oo.contribs, 1,
                 "boosted trees: every feature's TreeSHAP contribution in\n"
                 "columns contrib_NAME, then contrib_bias (they sum to the\n"
                 "margin)"),
    CLI_OPT_FLAG(0, "no-reasons", &so.reasons, 0,
                 "leave the reason columns empty (faster for RBF SVMs)"),
    CLI_OPT_STRING(0, "rules", "FILE", &rules_path,
                   "action rules, CSV [trigger,]segment,value,action ('*' = any)"),
    CLI_OPT_STRING(0, "channels", "FILE", &channels_path,
                   "channels file whose channels the rules' actions may name\n"
                   "(default: the built-in table, lapse campaign channels)"),
    CLI_OPT_NUMBERS(0, "value-rule", "D,P,S", value_rule, 3, 0, 1e15,
                    "high value: last purchase at most D days ago, at least P\n"
                    "purchases and S spent (default 30,2,200)"),
    CLI_OPT_CALL(0, "stages", "A,B,C", &so.stages, parse_stages,
                 "days silent for warning (at risk), silent-7d and\n"
                 "silent-14d (default 0,7,14)"),
    CLI_OPT_DOUBLE(0, "horizon", "N", &horizon, 1e-9, 1e6,
                   "BTYD models: the horizon in the model's time unit (default\n"
                   "its churn horizon, or 30 days)"),
    CLI_OPT_THREADS(&so.threads, LAPSE_SCORE_MAX_THREADS, "threads (default 1; 0 = one per CPU)"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no progress or summary on stderr"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse score -m MODEL [options] [FEATURES]\n"
            "       lapse score -m MODEL --logs [--asof DATE] [options] LOG...\n"
            "\n"
            "Applies a model to every user of a feature table (from lapse extract; '-' or\n"
            "none for stdin) or of event logs (extracted on the fly with the model's churn\n"
            "definition; dormant users included). A model trained on a table of your own\n"
            "(lapse train --label or --format libsvm) scores a table of the same kind, its\n"
            "columns matched by name in any order; asof is then empty, and such a model has\n"
            "no segments. Writes one CSV row per user:\n"
            "  " LAPSE_SCORE_HEADER "\n"
            "risk_tier is the model's tier of p_churn. response is the three-level recall\n"
            "response: warning (the two highest tiers), silent-7d, silent-14d (by days\n"
            "silent; see --stages), empty otherwise. value_at_risk is\n"
            "p_churn x spend_90 (money spent in the last 90 days). Reasons are the\n"
            "features that push this user's risk up most, each marked :high or :low (above\n"
            "or below the training mean). Rows keep input order unless\n"
            "--top or --sort is given.\n"
            "\n"
            "options:\n");
    cli_opt_print(out, options, 2, 23);
    fprintf(out, "\n"
                 "exit codes: 0 ok, 1 bad input or a model that does not fit it, 2 usage error,\n"
                 "3 system error.\n");
}

/* Checks what parsing cannot: the model, and operands that fit --logs. */
static int check_options(int n_args)
{
    if (!model_path)
        return cli_usage_error(name, "-m MODEL is required");
    if (asof >= 0 && !logs)
        return cli_usage_error(name, "--asof goes with --logs");
    if (logs && n_args == 0)
        return cli_usage_error(name, "--logs needs at least one event log");
    if (!logs && n_args > 1)
        return cli_usage_error(name, "one feature table at a time (got %d)", n_args);
    if (ropts.dups != LAPSE_DUPS_COUNT && !logs)
        return cli_usage_error(name, "--dedup goes with --logs");
    if (ropts.delimiter && !logs)
        return cli_usage_error(name, "--delim goes with --logs");
    if (ropts.event && !logs)
        return cli_usage_error(name, "--event goes with --logs");
    if (ropts.columns[LAPSE_COL_QTY] && !logs)
        return cli_usage_error(name, "--amount-expr goes with --logs");
    if (ropts.strict_users && !logs)
        return cli_usage_error(name, "--strict goes with --logs");
    if (oo.contribs && so.reasons == 0)
        return cli_usage_error(name, "--contribs are the reasons' figures: not with --no-reasons");
    if (value_rule[0] >= 0)
        so.value = (lapse_value_rule){ value_rule[0], value_rule[1], value_rule[2] };
    return EXIT_OK;
}

/* Loads the model and the rules into a scorer. */
static int open_scorer(lapse_scorer **scorer, lapse_model **model, lapse_action_rules **rules,
                       lapse_error *err)
{
    int status = lapse_model_load(model, model_path, err);
    if (status == LAPSE_OK && (*model)->btyd)
        return status; /* scored by cli_score_btyd */
    if (status == LAPSE_OK && logs && (*model)->encoding)
        status = lapse_error_set(err, LAPSE_ERR_SCHEMA, model_path, 0, 0, -1,
                                 "the model was trained on a table of your own: it scores such "
                                 "a table, not event logs");
    if (status == LAPSE_OK && rules_path) {
        lapse_channel_table *channels = channels_path ? malloc(sizeof *channels) : NULL;
        if (channels_path && !channels)
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        if (status == LAPSE_OK && channels)
            status = lapse_channel_table_load(channels, channels_path, err);
        if (status == LAPSE_OK)
            status = lapse_action_rules_load_channels(rules, rules_path, channels, err);
        free(channels);
        so.rules = *rules;
    }
    if (status == LAPSE_OK)
        status = lapse_score_create(scorer, *model, &so, err);
    return status;
}

/* Scores the logs or the table into output, which appears when complete. */
static int score_into_output(lapse_scorer *scorer, char **args, int n_args,
                             lapse_score_stats *stats, lapse_error *err)
{
    lapse_outfile *out = NULL;
    cli_progress progress;
    oo.progress = cli_progress_start(&progress, quiet, "scored", "rows", 1);
    oo.progress_user = &progress;
    int status = lapse_outfile_open(&out, output, err);
    if (status == LAPSE_OK && logs) {
        const int extract_threads =
            so.threads > LAPSE_EXTRACT_MAX_THREADS ? LAPSE_EXTRACT_MAX_THREADS : so.threads;
        status = lapse_score_logs(scorer, (const char *const *)args, (size_t)n_args, asof, &ropts,
                                  extract_threads, lapse_outfile_stream(out), &oo, stats, err);
    } else if (status == LAPSE_OK) {
        status = lapse_score_table(scorer, n_args ? args[0] : "-", lapse_outfile_stream(out),
                                   &oo, stats, err);
    }
    cli_progress_end(&progress);
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out, err);
        out = NULL;
    }
    lapse_outfile_abort(out);
    /* The library sees only the stream: a failed write (a full disk)
     * names the destination here. */
    if (status != LAPSE_OK && err->code == LAPSE_ERR_IO && !err->path[0])
        snprintf(err->path, sizeof err->path, "%s",
                 strcmp(output, "-") == 0 ? "<stdout>" : output);
    return status;
}

int cmd_score(int argc, char **argv)
{
    int first;
    int status = cli_opt_parse(&first, name, options, usage, argc, argv);
    if (status != CLI_OPT_GO_ON)
        return status;
    status = check_options(argc - first);
    if (status != EXIT_OK)
        return status;
    if (channels_path && !rules_path)
        return cli_usage_error(name, "--channels names the channels a --rules file may use: "
                                     "give --rules too");
    const cli_output scores = { "-o", output };
    /* No operand: the table is standard input. */
    const char *const files[] = { model_path, rules_path, channels_path,
                                  first == argc ? "-" : NULL };
    status = cli_check_files(name, &scores, 1, argv + first, (size_t)(argc - first), files, 4);
    if (status != EXIT_OK)
        return status;

    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *model = NULL;
    lapse_action_rules *rules = NULL;
    lapse_scorer *scorer = NULL;
    lapse_score_stats stats;
    int code = EXIT_OK;
    status = open_scorer(&scorer, &model, &rules, &err);
    if (status == LAPSE_OK && oo.contribs &&
        (model->btyd || model->classifier.kind != LAPSE_CLASSIFIER_GBDT)) {
        lapse_score_free(scorer);
        lapse_action_rules_free(rules);
        lapse_model_free(model);
        return cli_usage_error(name, "--contribs goes with a boosted-trees (gbdt) model");
    }
    if (status == LAPSE_OK && (model->btyd || horizon > 0)) {
        code = !model->btyd ? cli_usage_error(name, "--horizon goes with a BTYD model")
               : logs || oo.top || oo.order || rules_path
                   ? cli_usage_error(name, "a BTYD model scores a feature table or a summary: "
                                           "--logs, --top, --sort and --rules do not apply")
               : first == argc ? cli_usage_error(name, "a BTYD model needs its input named, "
                                                       "not read from stdin")
                               : cli_score_btyd(model, argv[first], output, horizon);
        lapse_score_free(scorer);
        lapse_action_rules_free(rules);
        lapse_model_free(model);
        return code;
    }
    if (status == LAPSE_OK)
        status = score_into_output(scorer, argv + first, argc - first, &stats, &err);
    if (status != LAPSE_OK) {
        code = cli_report(&err);
    } else {
        char day[16] = "";
        if (stats.asof >= 0)
            lapse_time_format_date(day, stats.asof);
        lapse_log(LAPSE_LOG_INFO, "scored %llu users%s%s (%llu with a response level); wrote %llu rows",
                  (unsigned long long)stats.rows, day[0] ? " as of " : "", day,
                  (unsigned long long)stats.responded, (unsigned long long)stats.written);
    }
    lapse_score_free(scorer);
    lapse_action_rules_free(rules);
    lapse_model_free(model);
    return code;
}
