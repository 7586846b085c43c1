/* lapse score: a saved model applied to every user, with a reason and an
 * action each. */
#include "cli.h"

#include "lapse/actions.h"
#include "lapse/model.h"
#include "lapse/outfile.h"
#include "lapse/score.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const name = "score";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse score -m MODEL [options] [FEATURES]\n"
            "       lapse score -m MODEL --logs [--asof DATE] [options] LOG...\n"
            "\n"
            "Applies a model to every user of a feature table (from lapse extract; '-' or\n"
            "none for stdin) or of event logs (extracted on the fly with the model's churn\n"
            "definition; dormant users included). Writes one CSV row per user:\n"
            "  " LAPSE_SCORE_HEADER "\n"
            "risk_tier is the model's tier of p_churn. response is the three-level recall\n"
            "response: warning (the two highest tiers), silent-7d, silent-14d (by days\n"
            "silent; see --stages), empty otherwise. value_at_risk is\n"
            "p_churn x spend_90 (money spent in the last 90 days). Reasons are the\n"
            "features that push this user's risk up most, each marked :high or :low (above\n"
            "or below the training mean). Rows keep input order unless\n"
            "--top or --sort is given.\n"
            "\n"
            "options:\n"
            "  -m, --model FILE     the model (from lapse train); required\n"
            "  -o, --output FILE    write here, atomically (default stdout)\n"
            "  --logs               the arguments are event logs, not a feature table\n"
            "  --asof DATE          with --logs: snapshot date (default: the day after the\n"
            "                       last event; needs files, not stdin)\n"
            "  --top K              only the K highest rows (by --sort, default risk)\n"
            "  --sort risk|value    order by p_churn or value_at_risk, highest first\n"
            "                       (without --top, holds the output in memory)\n"
            "  --fast               single-precision SVM kernel (probabilities within 1e-5)\n"
            "  --no-reasons         leave the reason columns empty (faster for RBF SVMs)\n"
            "  --rules FILE         action rules, CSV segment,value,action ('*' = any)\n"
            "  --value-rule D,P,S   high value: last purchase at most D days ago, at least P\n"
            "                       purchases and S spent (default 30,2,200)\n"
            "  --stages A,B,C       days silent for warning (at risk), silent-7d and\n"
            "                       silent-14d (default 0,7,14)\n"
            "  -@, --threads N      threads (default 1; 0 = one per CPU)\n"
            "  -q, --quiet          no summary on stderr\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 bad input or a model that does not fit it, 2 usage error,\n"
            "3 system error.\n");
}

static int parse_value_rule(const char *text, lapse_value_rule *out)
{
    double v[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        v[i] = strtod(p, &end);
        if (errno || end == p || !isfinite(v[i]) || v[i] < 0 || *end != (i < 2 ? ',' : '\0'))
            return cli_usage_error(name,
                                   "--value-rule takes DAYS,PURCHASES,SPEND (three numbers >= "
                                   "0), not \"%s\"",
                                   text);
        p = end + 1;
    }
    *out = (lapse_value_rule){ v[0], v[1], v[2] };
    return EXIT_OK;
}

int cmd_score(int argc, char **argv)
{
    enum { OPT_LOGS = 256, OPT_ASOF, OPT_TOP, OPT_SORT, OPT_FAST, OPT_NO_REASONS, OPT_RULES,
           OPT_VALUE_RULE, OPT_STAGES };
    static const struct option options[] = {
        { "model", required_argument, NULL, 'm' },
        { "output", required_argument, NULL, 'o' },
        { "logs", no_argument, NULL, OPT_LOGS },
        { "asof", required_argument, NULL, OPT_ASOF },
        { "top", required_argument, NULL, OPT_TOP },
        { "sort", required_argument, NULL, OPT_SORT },
        { "fast", no_argument, NULL, OPT_FAST },
        { "no-reasons", no_argument, NULL, OPT_NO_REASONS },
        { "rules", required_argument, NULL, OPT_RULES },
        { "value-rule", required_argument, NULL, OPT_VALUE_RULE },
        { "stages", required_argument, NULL, OPT_STAGES },
        { "threads", required_argument, NULL, '@' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *model_path = NULL, *output = "-", *rules_path = NULL;
    int logs = 0, quiet = 0;
    int64_t asof = -1;
    long top = 0, threads = 1;
    lapse_score_options so = LAPSE_SCORE_OPTIONS_INIT;
    lapse_score_output oo = LAPSE_SCORE_OUTPUT_INIT;
    int opt, status;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "m:o:@:qh", options, NULL)) != -1) {
        status = EXIT_OK;
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'o': output = optarg; break;
        case OPT_LOGS: logs = 1; break;
        case OPT_ASOF: status = cli_parse_date(name, "--asof", optarg, &asof); break;
        case OPT_TOP: status = cli_parse_long(name, "--top", optarg, 1, 1000000000L, &top); break;
        case OPT_SORT:
            if (strcmp(optarg, "risk") == 0)
                oo.order = LAPSE_SCORE_ORDER_RISK;
            else if (strcmp(optarg, "value") == 0)
                oo.order = LAPSE_SCORE_ORDER_VALUE;
            else
                status = cli_usage_error(name, "--sort is risk or value, not \"%s\"", optarg);
            break;
        case OPT_FAST: so.single_precision = 1; break;
        case OPT_NO_REASONS: so.reasons = 0; break;
        case OPT_RULES: rules_path = optarg; break;
        case OPT_VALUE_RULE: status = parse_value_rule(optarg, &so.value); break;
        case OPT_STAGES:
            if (lapse_silence_stages_parse(&so.stages, optarg) != LAPSE_OK)
                status = cli_usage_error(name,
                                         "--stages takes three increasing day counts, e.g. "
                                         "0,7,14, not \"%s\"",
                                         optarg);
            break;
        case '@':
            status = cli_parse_long(name, "-@", optarg, 0, LAPSE_SCORE_MAX_THREADS, &threads);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(name, "unknown option");
        }
        if (status != EXIT_OK)
            return status;
    }
    if (!model_path)
        return cli_usage_error(name, "-m MODEL is required");
    if (asof >= 0 && !logs)
        return cli_usage_error(name, "--asof goes with --logs");
    if (logs && optind == argc)
        return cli_usage_error(name, "--logs needs at least one event log");
    if (!logs && argc - optind > 1)
        return cli_usage_error(name, "one feature table at a time (got %d)", argc - optind);
    so.threads = (int)threads;
    oo.top = (size_t)top;

    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *model = NULL;
    lapse_action_rules *rules = NULL;
    lapse_scorer *scorer = NULL;
    lapse_outfile *out = NULL;
    lapse_score_stats stats;
    status = lapse_model_load(&model, model_path, &err);
    if (status == LAPSE_OK && rules_path) {
        status = lapse_action_rules_load(&rules, rules_path, &err);
        so.rules = rules;
    }
    if (status == LAPSE_OK)
        status = lapse_score_create(&scorer, model, &so, &err);
    if (status == LAPSE_OK)
        status = lapse_outfile_open(&out, output, &err);
    if (status == LAPSE_OK && logs) {
        long cpus = threads ? threads : sysconf(_SC_NPROCESSORS_ONLN);
        int extract_threads = (int)(cpus < 1 ? 1 : cpus > LAPSE_EXTRACT_MAX_THREADS
                                                        ? LAPSE_EXTRACT_MAX_THREADS
                                                        : cpus);
        status = lapse_score_logs(scorer, (const char *const *)argv + optind,
                                  (size_t)(argc - optind), asof, NULL, extract_threads,
                                  lapse_outfile_stream(out), &oo, &stats, &err);
    } else if (status == LAPSE_OK) {
        status = lapse_score_table(scorer, optind < argc ? argv[optind] : "-",
                                   lapse_outfile_stream(out), &oo, &stats, &err);
    }
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out, &err);
        out = NULL;
    }
    int code = EXIT_OK;
    if (status != LAPSE_OK) {
        /* The library sees only the stream: a failed write (a full disk)
         * names the destination here. */
        if (err.code == LAPSE_ERR_IO && !err.path[0])
            snprintf(err.path, sizeof err.path, "%s",
                     strcmp(output, "-") == 0 ? "<stdout>" : output);
        code = cli_report(&err);
    } else {
        char day[16] = "";
        if (stats.asof >= 0)
            lapse_time_format_date(day, stats.asof);
        lapse_log(LAPSE_LOG_INFO, "scored %llu users%s%s (%llu with a response level); wrote %llu rows",
                  (unsigned long long)stats.rows, day[0] ? " as of " : "", day,
                  (unsigned long long)stats.responded, (unsigned long long)stats.written);
    }
    lapse_outfile_abort(out);
    lapse_score_free(scorer);
    lapse_action_rules_free(rules);
    lapse_model_free(model);
    return code;
}
