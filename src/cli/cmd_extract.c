/* lapse extract: event logs -> one row of features per user and snapshot. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const name = "extract";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse extract --asof DATE[,DATE...] [options] LOG...\n"
            "\n"
            "Reads event logs (CSV, gzip or plain, '-' for stdin; see datasets/README.md) and\n"
            "writes one row of features per active user and snapshot, with a churn label.\n"
            "Features use only events before each snapshot date.\n"
            "\n"
            "churn definition:\n"
            "  --preset NAME        game (7 days, activity), app (30, activity), ecommerce (30,\n"
            "                       purchase), finance (90, activity), subscription (a cancel)\n"
            "  --key CATS           key categories, e.g. activity,purchase (default activity)\n"
            "  --silent-days N      days without a key event that make a user silent (30)\n"
            "  --horizon DAYS       label window after the snapshot (30)\n"
            "snapshots and labels:\n"
            "  --asof DATE[,DATE]   snapshot dates (YYYY-MM-DD); required\n"
            "  --no-labels          leave labels empty (scoring; the data may end at asof)\n"
            "  --dormant FILE       also write users already silent at the snapshot\n"
            "input:\n"
            "  --events FILE        event-name mapping (CSV event,category) replacing the "
            "built-in one\n"
            "  --col a=b,...        the log's column names: user_id=uid,ts=time,event=...\n"
            "  --max-bad-rows N     skip up to N bad rows (default 0: the first one fails)\n"
            "output:\n"
            "  -o, --output FILE    write here, atomically (default stdout)\n"
            "  --format csv|libsvm  libsvm: 'label idx:value' rows, no header; unlabelled rows\n"
            "                       get label 0\n"
            "  --features           list the features with their meanings and exit\n"
            "  -@, --threads N      threads (default 1): several files at once, or one gzip\n"
            "                       file pipelined (one thread inflates, others parse)\n"
            "  -q, --quiet          no progress or summary on stderr\n"
            "  -h, --help           this help\n"
            "\n"
            "exit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

static void list_features(void)
{
    for (size_t i = 0; i < lapse_feature_count(); i++) {
        const lapse_feature_info *f = lapse_feature_get(i);
        printf("%-24s %s\n", f->name, f->meaning);
    }
}

typedef struct {
    struct timespec start, last;
    int shown;
} progress_state;

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void show_progress(int64_t done, int64_t total, void *user)
{
    progress_state *p = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (p->shown && seconds_between(&p->last, &now) < 0.25)
        return;
    p->last = now;
    p->shown = 1;
    const double elapsed = seconds_between(&p->start, &now);
    const double rate = elapsed > 0 ? (double)done / elapsed : 0;
    if (total > 0 && rate > 0)
        fprintf(stderr, "\rlapse: read %.1f of %.1f MB (%.1f MB/s, %.0f s left)   ", done / 1e6,
                total / 1e6, rate / 1e6, (double)(total - done) / rate);
    else
        fprintf(stderr, "\rlapse: read %.1f MB (%.1f MB/s)   ", done / 1e6, rate / 1e6);
}

static int parse_asof(const char *text, int64_t *days, size_t *count)
{
    char *copy = strdup(text);
    if (!copy) {
        fprintf(stderr, "lapse: out of memory\n");
        return EXIT_SYSTEM;
    }
    int status = EXIT_OK;
    *count = 0;
    for (char *item = strtok(copy, ","); item; item = strtok(NULL, ",")) {
        if (*count == LAPSE_EXTRACT_MAX_SNAPSHOTS) {
            status = cli_usage_error(name, "--asof takes at most %d dates",
                                     LAPSE_EXTRACT_MAX_SNAPSHOTS);
            break;
        }
        status = cli_parse_date(name, "--asof", item, &days[*count]);
        if (status != EXIT_OK)
            break;
        (*count)++;
    }
    if (status == EXIT_OK && *count == 0)
        status = cli_usage_error(name, "--asof needs at least one date");
    free(copy);
    return status;
}

/* The directory entry an output renames onto: the folder resolved, the
 * name kept (outfile replaces the entry, even a link). 0 or -1. */
static int output_entry(char out[PATH_MAX], const char *path)
{
    char folder[PATH_MAX], last[PATH_MAX], resolved[PATH_MAX];
    const size_t len = strlen(path);
    if (len == 0 || len >= PATH_MAX)
        return -1;
    memcpy(folder, path, len + 1);
    memcpy(last, path, len + 1);
    if (!realpath(dirname(folder), resolved))
        return -1;
    const char *base = basename(last);
    if (strlen(resolved) + 1 + strlen(base) >= PATH_MAX)
        return -1;
    strcpy(out, resolved);
    strcat(out, "/");
    strcat(out, base);
    return 0;
}

/* Whether two outputs would land on one file ("out.csv" and "./out.csv"). */
static int same_output(const char *a, const char *b)
{
    char entry_a[PATH_MAX], entry_b[PATH_MAX];
    if (strcmp(a, b) == 0)
        return 1;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    return output_entry(entry_a, a) == 0 && output_entry(entry_b, b) == 0 &&
           strcmp(entry_a, entry_b) == 0;
}

/* A failed write (a full disk) is reported by the library without a file
 * name, since it only sees the stream: name the destination. */
static void name_output(lapse_error *err, const char *path)
{
    if (err->code != LAPSE_OK && err->path[0] == '\0')
        snprintf(err->path, sizeof err->path, "%s", strcmp(path, "-") == 0 ? "<stdout>" : path);
}

int cmd_extract(int argc, char **argv)
{
    enum {
        OPT_PRESET = 256, OPT_KEY, OPT_SILENT, OPT_HORIZON, OPT_ASOF, OPT_NO_LABELS,
        OPT_DORMANT, OPT_EVENTS, OPT_COL, OPT_FORMAT, OPT_MAX_BAD, OPT_FEATURES
    };
    static const struct option options[] = {
        { "preset", required_argument, NULL, OPT_PRESET },
        { "key", required_argument, NULL, OPT_KEY },
        { "silent-days", required_argument, NULL, OPT_SILENT },
        { "horizon", required_argument, NULL, OPT_HORIZON },
        { "asof", required_argument, NULL, OPT_ASOF },
        { "no-labels", no_argument, NULL, OPT_NO_LABELS },
        { "dormant", required_argument, NULL, OPT_DORMANT },
        { "events", required_argument, NULL, OPT_EVENTS },
        { "col", required_argument, NULL, OPT_COL },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "max-bad-rows", required_argument, NULL, OPT_MAX_BAD },
        { "features", no_argument, NULL, OPT_FEATURES },
        { "threads", required_argument, NULL, '@' },
        { "quiet", no_argument, NULL, 'q' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *preset = NULL, *keys = NULL, *asof_text = NULL, *dormant_path = NULL;
    const char *events_path = NULL, *output = "-";
    char *columns = NULL;
    long silent_days = -1, horizon = 30, max_bad = 0, threads = 1;
    int labels = 1, quiet = 0, features = 0;
    lapse_table_format format = LAPSE_TABLE_CSV;
    int opt, status;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "@:qo:h", options, NULL)) != -1) {
        status = EXIT_OK;
        switch (opt) {
        case OPT_PRESET: preset = optarg; break;
        case OPT_KEY: keys = optarg; break;
        case OPT_SILENT:
            status = cli_parse_long(name, "--silent-days", optarg, 1, LAPSE_CHURN_MAX_DAYS,
                                    &silent_days);
            break;
        case OPT_HORIZON:
            status = cli_parse_long(name, "--horizon", optarg, 1, LAPSE_CHURN_MAX_DAYS, &horizon);
            break;
        case OPT_ASOF: asof_text = optarg; break;
        case OPT_NO_LABELS: labels = 0; break;
        case OPT_DORMANT: dormant_path = optarg; break;
        case OPT_EVENTS: events_path = optarg; break;
        case OPT_COL: columns = optarg; break;
        case OPT_FORMAT:
            if (strcmp(optarg, "csv") == 0)
                format = LAPSE_TABLE_CSV;
            else if (strcmp(optarg, "libsvm") == 0)
                format = LAPSE_TABLE_LIBSVM;
            else
                status = cli_usage_error(name, "--format is csv or libsvm, not \"%s\"", optarg);
            break;
        case OPT_MAX_BAD:
            status = cli_parse_long(name, "--max-bad-rows", optarg, 0, 1000000000L, &max_bad);
            break;
        case OPT_FEATURES: features = 1; break;
        case '@':
            status = cli_parse_long(name, "-@", optarg, 1, LAPSE_EXTRACT_MAX_THREADS, &threads);
            break;
        case 'q': quiet = 1; break;
        case 'o': output = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: return cli_usage_error(name, "unknown option");
        }
        if (status != EXIT_OK)
            return status;
    }
    if (features) {
        list_features();
        return EXIT_OK;
    }
    if (optind == argc)
        return cli_usage_error(name, "no event logs given");
    if (!asof_text)
        return cli_usage_error(name, "--asof is required");
    if (dormant_path && same_output(dormant_path, output))
        return cli_usage_error(name, "--dormant and -o must be different files");

    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    if (preset && lapse_churn_preset(&opts.churn, preset) != LAPSE_OK)
        return cli_usage_error(name,
                               "unknown --preset \"%s\" (game, app, ecommerce, finance or "
                               "subscription)",
                               preset);
    if (keys && lapse_churn_parse_keys(&opts.churn.key_mask, keys, strlen(keys)) != LAPSE_OK)
        return cli_usage_error(name,
                               "--key takes categories (activity, core, purchase, coupon, "
                               "social, cancel, other), not \"%s\"",
                               keys);
    if (silent_days > 0)
        opts.churn.silent_days = (int)silent_days;
    opts.churn.horizon_days = (int)horizon;
    int64_t asof[LAPSE_EXTRACT_MAX_SNAPSHOTS];
    status = parse_asof(asof_text, asof, &opts.asof_count);
    if (status != EXIT_OK)
        return status;
    opts.asof = asof;
    opts.labels = labels;
    opts.threads = (int)threads;
    opts.reader.max_bad_rows = max_bad;
    lapse_error err = LAPSE_ERROR_INIT;
    if (columns && lapse_reader_parse_columns(&opts.reader, columns, &err) != LAPSE_OK)
        return cli_usage_error(name, "%s", err.message);

    cli_log_to_stderr(quiet);
    lapse_category_map *categories = NULL;
    lapse_extract *x = NULL;
    lapse_outfile *out = NULL, *dormant = NULL;
    progress_state progress = { 0 };
    if (events_path) {
        if (lapse_category_map_load(&categories, events_path, &err) != LAPSE_OK)
            return cli_report(&err);
        opts.reader.categories = categories;
    }
    if (!quiet && isatty(STDERR_FILENO)) {
        clock_gettime(CLOCK_MONOTONIC, &progress.start);
        opts.progress = show_progress;
        opts.progress_user = &progress;
    }
    status = lapse_extract_run(&x, (const char *const *)argv + optind, (size_t)(argc - optind),
                               &opts, &err);
    if (progress.shown)
        fputc('\n', stderr);
    if (status == LAPSE_OK)
        status = lapse_outfile_open(&out, output, &err);
    if (status == LAPSE_OK && dormant_path)
        status = lapse_outfile_open(&dormant, dormant_path, &err);
    if (status == LAPSE_OK) {
        status = lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, format, lapse_outfile_stream(out),
                                     &err);
        name_output(&err, output);
    }
    if (status == LAPSE_OK && dormant) {
        status = lapse_extract_write(x, LAPSE_EXTRACT_DORMANT, format,
                                     lapse_outfile_stream(dormant), &err);
        name_output(&err, dormant_path);
    }
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out, &err);
        out = NULL;
    }
    if (status == LAPSE_OK && dormant) {
        status = lapse_outfile_commit(dormant, &err);
        dormant = NULL;
    }
    int code = EXIT_OK;
    if (status != LAPSE_OK) {
        code = cli_report(&err);
    } else {
        lapse_extract_stats stats;
        lapse_extract_get_stats(x, &stats);
        const lapse_reader_stats *r = &stats.reader;
        if (r->bad_rows)
            lapse_log(LAPSE_LOG_WARN, "skipped %lld bad rows", (long long)r->bad_rows);
        if (r->unknown_rows) {
            char examples[6 * 70] = "";
            for (size_t i = 0; i < r->unknown_examples; i++) {
                strcat(examples, i ? ", \"" : " (e.g. \"");
                strcat(examples, r->unknown_names[i]);
                strcat(examples, "\"");
            }
            if (r->unknown_examples)
                strcat(examples, ")");
            lapse_log(LAPSE_LOG_WARN,
                      "%lld rows had event names the category map does not list%s; they count "
                      "as other",
                      (long long)r->unknown_rows, examples);
        }
        lapse_log(LAPSE_LOG_INFO, "%lld events, %lld users: %zu rows, %zu dormant",
                  (long long)r->events, (long long)stats.users,
                  lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE),
                  lapse_extract_count(x, LAPSE_EXTRACT_DORMANT));
    }
    lapse_outfile_abort(out);
    lapse_outfile_abort(dormant);
    lapse_extract_free(x);
    lapse_category_map_free(categories);
    return code;
}
