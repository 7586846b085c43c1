/* lapse report: one self-contained HTML page about a scored file. */
#include "cli.h"
#include "cli_opt.h"
#include "cli_progress.h"

#include "lapse/category.h"
#include "lapse/outfile.h"
#include "lapse/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const name = "report";

static const char *output;
static int quiet;
static lapse_report_inputs inputs = LAPSE_REPORT_INPUTS_INIT;
static const char *events_path, *columns; /* how --log files are read */

#define MAX_LOGS 64
static const char *logs[MAX_LOGS];

/* --log FILE, once per file. */
static int add_log(const cli_opt *o, const char *command, const char *option, const char *text)
{
    (void)o;
    if (inputs.n_logs == MAX_LOGS)
        return cli_opt_bad_value(command, option, text, "is given at most %d times", MAX_LOGS);
    logs[inputs.n_logs++] = text;
    inputs.logs = logs;
    return 0;
}

static const cli_opt options[] = {
    CLI_OPT_STRING('o', "output", "FILE", &output,
                   "write the page here, atomically; required"),
    CLI_OPT_STRING('m', "model", "FILE", &inputs.model,
                   "the model that made the scores: its summary,\n"
                   "calibration and segment centres"),
    CLI_OPT_STRING(0, "previous-scores", "FILE", &inputs.previous_scores,
                   "last month's model's scores of the same users:\n"
                   "both AUCs on the labelled rows in both files\n"
                   "(joined by user_id, asof), and the score PSI"),
    CLI_OPT_STRING(0, "previous-model", "FILE", &inputs.previous_model,
                   "last month's model: no comparison when it\n"
                   "defines churn otherwise than --model"),
    CLI_OPT_STRING(0, "table", "FILE", &inputs.table,
                   "a feature table with the training snapshots and\n"
                   "the scored one: each feature's drift (PSI)"),
    CLI_OPT_STRING(0, "campaign", "FILE", &inputs.campaign,
                   "lapse campaign eval's -o report: uplift per\n"
                   "channel and variant, cost per recalled user"),
    CLI_OPT_CALL(0, "log", "FILE", NULL, add_log,
                 "an event log (once per file): events per day,\n"
                 "users and the event mix, as lapse inspect reads it"),
    CLI_OPT_SECTION("reading the --log files (as lapse inspect and extract do):"),
    CLI_OPT_LOG_READING(&events_path, &columns, &inputs.log_reader),
    CLI_OPT_SECTION(""),
    CLI_OPT_STRING(0, "title", "TEXT", &inputs.title, "the page's title (default \"lapse report\")"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no progress or summary on stderr"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse report -o report.html [options] SCORED\n\n"
            "Writes one HTML page about a scored file (the output of lapse score; plain,\n"
            "gzip or zstd, '-' for stdin), its charts drawn inline as SVG: nothing is\n"
            "fetched, it reads offline and prints. Sections: the data (--log), model quality (ROC,\n"
            "precision-recall, cumulative gain, lift, reliability, score histogram, risk\n"
            "tiers), segments, reasons, the model (--model), feature drift (--table), a\n"
            "campaign's uplifts (--campaign) and this month against last\n"
            "(--previous-scores). Without labels in the file the label-dependent parts are\n"
            "left out, and it says so.\n\n"
            "options:\n");
    cli_opt_print(out, options, 6, 30);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

int cmd_report(int argc, char **argv)
{
    int first;
    int status = cli_opt_parse(&first, name, options, usage, argc, argv);
    if (status != CLI_OPT_GO_ON)
        return status;
    if (!output)
        return cli_usage_error(name, "no output: give -o report.html");
    if (first != argc - 1)
        return cli_usage_error(name, first >= argc ? "no scored file given"
                                                   : "one scored file at a time");
    if (inputs.previous_model && !inputs.previous_scores)
        return cli_usage_error(name, "--previous-model needs --previous-scores (the scores "
                                     "to compare)");
    inputs.scored = argv[first];
    const cli_output out = { "-o", output };
    if (inputs.table && !strcmp(inputs.table, "-"))
        return cli_usage_error(name, "--table is read twice: it cannot be standard input");
    const char *files[6 + MAX_LOGS] = { inputs.model,    inputs.previous_scores,
                                        inputs.previous_model, inputs.table,
                                        inputs.campaign, events_path };
    for (size_t i = 0; i < inputs.n_logs; i++)
        files[6 + i] = logs[i];
    status = cli_check_files(name, &out, 1, argv + first, 1, files, 6 + inputs.n_logs);
    if (status != EXIT_OK)
        return status;

    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    /* The names are kept in place: the text is argv's, ours to change. */
    if (columns &&
        lapse_reader_parse_columns(&inputs.log_reader, (char *)columns, &err) != LAPSE_OK)
        return cli_usage_error(name, "%s", err.message);
    lapse_category_map *categories = NULL;
    if (events_path) {
        if (lapse_category_map_load(&categories, events_path, &err) != LAPSE_OK)
            return cli_report(&err);
        inputs.log_reader.categories = categories;
    }
    lapse_outfile *file = NULL;
    lapse_report_summary summary;
    cli_progress progress;
    inputs.progress = cli_progress_start(&progress, quiet, "read", "rows", 1);
    inputs.progress_user = &progress;
    int rc = lapse_outfile_open(&file, output, &err);
    if (rc == LAPSE_OK)
        rc = lapse_report_write(&summary, lapse_outfile_stream(file), &inputs, &err);
    cli_progress_end(&progress);
    lapse_category_map_free(categories);
    if (rc == LAPSE_OK) {
        rc = lapse_outfile_commit(file, &err);
        file = NULL;
    }
    lapse_outfile_abort(file);
    if (rc != LAPSE_OK)
        return cli_report(&err);
    if (!quiet)
        fprintf(stderr, "lapse: report on %llu rows (%llu labelled) written to %s\n",
                (unsigned long long)summary.rows, (unsigned long long)summary.labelled,
                strcmp(output, "-") ? output : "stdout");
    return EXIT_OK;
}
