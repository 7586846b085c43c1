/* lapse extract: event logs -> one row of features per user and snapshot. */
#include "cli.h"
#include "cli_opt.h"
#include "cli_progress.h"

#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/extract.h"
#include "lapse/extract_partial.h"
#include "lapse/features.h"
#include "lapse/outfile.h"
#include "lapse/paths.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const name = "extract";

static lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
static int64_t asof[LAPSE_EXTRACT_MAX_SNAPSHOTS];
static const char *preset, *dormant_path, *events_path, *columns, *output = "-";
static unsigned keys; /* 0: the preset's */
static int silent_days = -1, quiet, features;
static int partial, merge, buckets;
static int format = LAPSE_TABLE_CSV;

/* A binary table (lapse_extract_write_npy) is two files, not a lapse_table_format. */
#define FORMAT_NPY (LAPSE_TABLE_LIBSVM + 1)

static const cli_opt_choice formats[] = {
    { "csv", LAPSE_TABLE_CSV }, { "libsvm", LAPSE_TABLE_LIBSVM }, { "npy", FORMAT_NPY }, { NULL, 0 }
};

/* --preset and --key are applied after parsing, the preset first, so that
 * --key and --silent-days override it wherever they stand. */
static const cli_opt options[] = {
    CLI_OPT_SECTION("churn definition:"),
    CLI_OPT_STRING(0, "preset", "NAME", &preset,
                   "game (7 days, activity), app (30, activity), ecommerce (30,\n"
                   "purchase), finance (90, activity), subscription (a cancel)"),
    CLI_OPT_CALL(0, "key", "CATS", &keys, cli_parse_keys,
                 "key categories, e.g. activity,purchase (default activity)"),
    CLI_OPT_INT(0, "silent-days", "N", &silent_days, 1, LAPSE_CHURN_MAX_DAYS,
                "days without a key event that make a user silent (30)"),
    CLI_OPT_INT(0, "horizon", "DAYS", &opts.churn.horizon_days, 1, LAPSE_CHURN_MAX_DAYS,
                "label window after the snapshot (30)"),
    CLI_OPT_SECTION("snapshots and labels:"),
    CLI_OPT_DATES(0, "asof", "DATE[,DATE]", asof, LAPSE_EXTRACT_MAX_SNAPSHOTS,
                  &opts.asof_count, "snapshot dates (YYYY-MM-DD); this or --asof-file"),
    CLI_OPT_STRING(0, "asof-file", "FILE", &opts.asof_path,
                   "a date per user (CSV user_id,asof[,label]): only those\n"
                   "users, each at its own date (at most 64 distinct dates)"),
    CLI_OPT_FLAG(0, "no-labels", &opts.labels, 0,
                 "leave labels empty (scoring; the data may end at asof)"),
    CLI_OPT_STRING(0, "labels", "FILE", &opts.labels_path,
                   "labels from FILE (CSV user_id,label or user_id,asof,label;\n"
                   "0, 1 or empty), not from the log; the log may end at asof"),
    CLI_OPT_STRING(0, "dormant", "FILE", &dormant_path,
                   "also write users already silent at the snapshot"),
    CLI_OPT_SECTION("input:"),
    CLI_OPT_LOG_READING(&events_path, &columns, &opts.reader),
    CLI_OPT_FLAG(0, "dedup", &opts.reader.dups, LAPSE_DUPS_DROP,
                 "drop rows that repeat an earlier row exactly (same user,\n"
                 "ts, event, amount, session, device; any file); without it\n"
                 "they are counted, reported and kept. Counting them keeps\n"
                 "16 bytes a row (0.4 GB for 25M rows); --dedup 21-43 bytes\n"
                 "per distinct row (0.8 GB)"),
    CLI_OPT_FLAG(0, "no-repeat-check", &opts.reader.dups, LAPSE_DUPS_KEEP,
                 "do not look for repeated rows (saves that memory)"),
    CLI_OPT_SECTION("map and merge (README.md, \"Beyond one machine\"):"),
    CLI_OPT_FLAG(0, "partial", &partial, 1,
                 "map: write the users' mergeable state, one file per\n"
                 "bucket of user ids, to the folder -o DIR"),
    CLI_OPT_INT(0, "buckets", "R", &buckets, 1, LAPSE_PARTIAL_MAX_BUCKETS,
                "the number of buckets of --partial"),
    CLI_OPT_FLAG(0, "merge", &merge, 1,
                 "the operands are partial files: merge them into the\n"
                 "table (with --partial: into one partial file per bucket)"),
    CLI_OPT_SECTION("output:"),
    CLI_OPT_STRING('o', "output", "FILE", &output, "write here, atomically (default stdout)"),
    CLI_OPT_ENUM(0, "format", "FORMAT", &format, formats,
                 "csv (default); libsvm: 'label idx:value' rows, no header,\n"
                 "unlabelled rows get label 0; npy: -o T.npy gets the values\n"
                 "as NumPy's .npy (float64), T.rows.csv the rest"),
    CLI_OPT_FLAG(0, "features", &features, 1, "list the features with their meanings and exit"),
    CLI_OPT_THREADS(&opts.threads, LAPSE_EXTRACT_MAX_THREADS,
                    "threads (default 1; 0 = one per CPU): several files at\n"
                    "once, or one gzip file pipelined (one thread inflates,\n"
                    "others parse)"),
    CLI_OPT_FLAG('q', "quiet", &quiet, 1, "no progress or summary on stderr"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse extract --asof DATE[,DATE...] [options] LOG...\n"
            "       lapse extract --asof-file FILE [options] LOG...\n"
            "       lapse extract --partial --buckets R --asof DATE... [options] -o DIR LOG...\n"
            "       lapse extract --merge [--partial] [-o FILE|DIR] PARTIAL...\n"
            "\n"
            "Reads event logs (CSV, gzip or plain, '-' for stdin; see datasets/README.md) and\n"
            "writes one row of features per active user and snapshot, with a churn label.\n"
            "Features use only events before each snapshot date.\n"
            "\n");
    cli_opt_print(out, options, 2, 23);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

static void list_features(void)
{
    for (size_t i = 0; i < lapse_feature_count(); i++) {
        const lapse_feature_info *f = lapse_feature_get(i);
        printf("%-24s %s\n", f->name, f->meaning);
    }
}

/* A failed write (a full disk) is reported by the library without a file
 * name, since it only sees the stream: name the destination. */
static void name_output(lapse_error *err, const char *path)
{
    if (err->code != LAPSE_OK && err->path[0] == '\0')
        snprintf(err->path, sizeof err->path, "%s", strcmp(path, "-") == 0 ? "<stdout>" : path);
}

/* Checks what parsing cannot: operands, required options, presets and
 * names; completes opts. EXIT_OK or a usage error. */
/* --partial and --merge: what they need and what they take from elsewhere. */
static int check_map_merge(int n_logs)
{
    if (buckets && !partial)
        return cli_usage_error(name, "--buckets goes with --partial");
    if (partial && !merge && !buckets)
        return cli_usage_error(name, "--partial needs --buckets R");
    if (partial && merge && buckets)
        return cli_usage_error(name, "--merge --partial keeps the maps' buckets: no --buckets");
    if (partial && strcmp(output, "-") == 0)
        return cli_usage_error(name, "--partial writes files into a folder: give -o DIR");
    if (partial && (dormant_path || format != LAPSE_TABLE_CSV))
        return cli_usage_error(name, "--partial writes states, not tables: --dormant and "
                                     "--format go with the merge");
    if (!merge)
        return EXIT_OK;
    if (n_logs == 0)
        return cli_usage_error(name, "no partial files given");
    const lapse_churn_def defaults = LAPSE_CHURN_DEF_INIT;
    if (opts.asof_count || opts.asof_path || opts.labels_path || !opts.labels || preset || keys ||
        silent_days > 0 || opts.churn.horizon_days != defaults.horizon_days || events_path ||
        columns || opts.reader.dups != LAPSE_DUPS_COUNT)
        return cli_usage_error(name, "--merge takes the churn definition, snapshots and log "
                                     "options from the partial files: give them to the maps");
    return EXIT_OK;
}

static int check_options(int n_logs)
{
    lapse_error err = LAPSE_ERROR_INIT;
    const int map_merge = check_map_merge(n_logs);
    if (map_merge != EXIT_OK || merge)
        return map_merge;
    if (n_logs == 0)
        return cli_usage_error(name, "no event logs given");
    if (opts.asof_count == 0 && !opts.asof_path)
        return cli_usage_error(name, "--asof is required (or --asof-file)");
    if (opts.asof_count && opts.asof_path)
        return cli_usage_error(name, "--asof-file replaces --asof: give one");
    if (opts.asof_path && strcmp(opts.asof_path, "-") == 0)
        return cli_usage_error(name, "--asof-file needs a file, not stdin");
    if (opts.labels_path && !opts.labels)
        return cli_usage_error(name, "--labels and --no-labels conflict");
    if (opts.labels_path && strcmp(opts.labels_path, "-") == 0)
        return cli_usage_error(name, "--labels needs a file, not stdin: its sha256 is recorded");
    if (preset && lapse_churn_preset(&opts.churn, preset) != LAPSE_OK)
        return cli_usage_error(name,
                               "unknown --preset \"%s\" (game, app, ecommerce, finance or "
                               "subscription)",
                               preset);
    if (keys)
        opts.churn.key_mask = keys;
    if (silent_days > 0)
        opts.churn.silent_days = silent_days;
    opts.asof = opts.asof_count ? asof : NULL;
    /* The names are kept in place: the text is argv's, ours to change. */
    if (columns && lapse_reader_parse_columns(&opts.reader, (char *)columns, &err) != LAPSE_OK)
        return cli_usage_error(name, "%s", err.message);
    return EXIT_OK;
}

/* write_tables for --format npy: four files, placed together or not at all. */
static int write_npy_tables(const lapse_extract *x, lapse_error *err)
{
    const char *paths[2] = { output, dormant_path };
    char rows[2][4096];
    lapse_outfile *files[4] = { NULL, NULL, NULL, NULL }; /* npy, rows; dormant npy, rows */
    int status = LAPSE_OK;
    for (int set = 0; set < 2 && status == LAPSE_OK && paths[set]; set++) {
        if (lapse_table_npy_rows_path(rows[set], sizeof rows[set], paths[set]) != 0) {
            status = lapse_error_set(err, LAPSE_ERR_ARG, paths[set], 0, 0, -1,
                                     "--format npy writes to a file named T.npy (and T.rows.csv)");
            break;
        }
        status = lapse_outfile_open(&files[2 * set], paths[set], err);
        if (status == LAPSE_OK)
            status = lapse_outfile_open(&files[2 * set + 1], rows[set], err);
        if (status == LAPSE_OK)
            status = lapse_extract_write_npy(x, set ? LAPSE_EXTRACT_DORMANT : LAPSE_EXTRACT_ACTIVE,
                                             lapse_outfile_stream(files[2 * set]),
                                             lapse_outfile_stream(files[2 * set + 1]), err);
        name_output(err, paths[set]);
    }
    if (status == LAPSE_OK)
        return lapse_outfile_commit_all(files, 4, err);
    for (int i = 0; i < 4; i++)
        lapse_outfile_abort(files[i]);
    return status;
}

/* Writes the active rows to output and, with --dormant, the dormant ones;
 * both files are placed, or neither (a failure placing the second puts the
 * first back). */
static int write_tables(const lapse_extract *x, lapse_error *err)
{
    if (format == FORMAT_NPY)
        return write_npy_tables(x, err);
    lapse_outfile *files[2] = { NULL, NULL }; /* output, dormant */
    int status = lapse_outfile_open(&files[0], output, err);
    if (status == LAPSE_OK && dormant_path)
        status = lapse_outfile_open(&files[1], dormant_path, err);
    if (status == LAPSE_OK) {
        status = lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, (lapse_table_format)format,
                                     lapse_outfile_stream(files[0]), err);
        name_output(err, output);
    }
    if (status == LAPSE_OK && files[1]) {
        status = lapse_extract_write(x, LAPSE_EXTRACT_DORMANT, (lapse_table_format)format,
                                     lapse_outfile_stream(files[1]), err);
        name_output(err, dormant_path);
    }
    if (status == LAPSE_OK)
        return lapse_outfile_commit_all(files, 2, err);
    lapse_outfile_abort(files[0]);
    lapse_outfile_abort(files[1]);
    return status;
}

/* The counts (the library has warned about what they leave out). */
static void log_summary(const lapse_extract *x)
{
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    lapse_log(LAPSE_LOG_INFO, "%lld events, %lld users: %zu rows, %zu dormant",
              (long long)stats.reader.events, (long long)stats.users,
              lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE),
              lapse_extract_count(x, LAPSE_EXTRACT_DORMANT));
    if (stats.reader.refund_rows)
        lapse_log(LAPSE_LOG_INFO, "%lld refunds (negative amounts): spend is net of them",
                  (long long)stats.reader.refund_rows);
}

/* Reads the logs, with progress on a terminal: into *x, or with
 * --partial into the bucket files. */
static int run_extract(lapse_extract **x, const char *const *logs, size_t n_logs,
                       lapse_error *err)
{
    cli_progress progress;
    opts.progress = cli_progress_start(&progress, quiet, "read", "MB", 1e6);
    opts.progress_user = &progress;
    lapse_extract_stats stats;
    const int status =
        partial ? lapse_extract_partial(logs, n_logs, &opts, (unsigned)buckets, output, &stats, err)
                : lapse_extract_run(x, logs, n_logs, &opts, err);
    cli_progress_end(&progress);
    opts.progress = NULL;
    if (status == LAPSE_OK && partial)
        lapse_log(LAPSE_LOG_INFO, "%lld events, %lld users: %d bucket files in %s",
                  (long long)stats.reader.events, (long long)stats.users, buckets, output);
    return status;
}

/* --merge: the partial files into a table (x), or with --partial into one
 * partial file per bucket. */
static int run_merge(lapse_extract **x, const char *const *partials, size_t n, lapse_error *err)
{
    if (!partial)
        return lapse_extract_merge(x, partials, n, err);
    const int status = lapse_extract_merge_partial(partials, n, output, err);
    if (status == LAPSE_OK)
        lapse_log(LAPSE_LOG_INFO, "merged %zu partial files into %s", n, output);
    return status;
}

int cmd_extract(int argc, char **argv)
{
    int first;
    int status = cli_opt_parse(&first, name, options, usage, argc, argv);
    if (status != CLI_OPT_GO_ON)
        return status;
    if (features) {
        list_features();
        return EXIT_OK;
    }
    status = check_options(argc - first);
    if (status != EXIT_OK)
        return status;
    const cli_output outputs[] = { { "-o", output }, { "--dormant", dormant_path } };
    const char *const more[] = { events_path, opts.labels_path, opts.asof_path };
    status = cli_check_files(name, outputs, 2, argv + first, (size_t)(argc - first), more, 3);
    if (status != EXIT_OK)
        return status;

    cli_log_to_stderr(quiet);
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_category_map *categories = NULL;
    lapse_extract *x = NULL;
    if (events_path) {
        if (lapse_category_map_load(&categories, events_path, &err) != LAPSE_OK)
            return cli_report(&err);
        opts.reader.categories = categories;
    }
    const char *const *operands = (const char *const *)argv + first;
    const size_t n_operands = (size_t)(argc - first);
    status = merge ? run_merge(&x, operands, n_operands, &err)
                   : run_extract(&x, operands, n_operands, &err);
    if (status == LAPSE_OK && x)
        status = write_tables(x, &err);
    int code = EXIT_OK;
    if (status != LAPSE_OK)
        code = cli_report(&err);
    else if (x)
        log_summary(x);
    lapse_extract_free(x);
    lapse_category_map_free(categories);
    return code;
}
