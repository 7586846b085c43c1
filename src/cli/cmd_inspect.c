/* lapse inspect: what lapse makes of event logs, and a draft mapping file. */
#include "cli.h"
#include "cli_opt.h"

#include "lapse/category.h"
#include "lapse/inspect.h"
#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const name = "inspect";

static lapse_inspect_options opts = LAPSE_INSPECT_OPTIONS_INIT;
static const char *events_path, *columns, *output;
static int max_names = LAPSE_INSPECT_NAMES_MAX, shown_names = 50;

static const cli_opt options[] = {
    CLI_OPT_LOG_READING(&events_path, &columns, &opts.reader),
    CLI_OPT_INT(0, "max-names", "N", &max_names, 1, 1000000,
                "event names counted (default 10000; the rest as other names)"),
    CLI_OPT_INT('n', "names", "N", &shown_names, 0, 1000000,
                "event names listed in the report (default 50; 0: all)"),
    CLI_OPT_STRING('o', "output", "FILE", &output,
                   "write a draft mapping file (event,category) for --events"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: lapse inspect [options] LOG...\n"
            "\n"
            "Reads event logs (CSV, gzip or plain, '-' for stdin) and reports their format,\n"
            "columns, rows, users, time range, events per day and every event name with\n"
            "its rows, users and category. -o writes a draft mapping file, with lapse's\n"
            "guesses for the names it does not know marked as such.\n"
            "\n");
    cli_opt_print(out, options, 2, 23);
    fprintf(out, "\nexit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error.\n");
}

/* Block characters where stdout is a terminal that takes UTF-8, else ASCII
 * (files, pipes and the golden tests get the same bytes everywhere). */
static int unicode_ok(void)
{
    if (!isatty(STDOUT_FILENO))
        return 0;
    const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") ||
                   strstr(v, "utf-8");
    }
    return 0;
}

#define SPARK_WIDTH 60

/* Events per day in at most SPARK_WIDTH columns (days summed per column),
 * each scaled to the busiest column; an empty column is a space. */
static void print_sparkline(const lapse_inspect_result *r)
{
    static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
                                           "\u2585", "\u2586", "\u2587", "\u2588" };
    static const char ascii[8] = { '.', ',', ':', '-', '=', '+', '*', '#' };
    const size_t days_per = (r->day_count + SPARK_WIDTH - 1) / SPARK_WIDTH;
    const size_t width = (r->day_count + days_per - 1) / days_per;
    int64_t sums[SPARK_WIDTH] = { 0 }, most = 0;
    for (size_t d = 0; d < r->day_count; d++)
        sums[d / days_per] += r->per_day[d];
    for (size_t c = 0; c < width; c++)
        most = sums[c] > most ? sums[c] : most;
    const int unicode = unicode_ok();
    printf("  ");
    for (size_t c = 0; c < width; c++) {
        const int level = most ? (int)((sums[c] * 8 - 1) / most) : 0;
        if (sums[c] == 0)
            putchar(' ');
        else if (unicode)
            fputs(blocks[level], stdout);
        else
            putchar(ascii[level]);
    }
    printf("\n  %zu day%s a column, busiest column %lld events\n", days_per,
           days_per == 1 ? "" : "s", (long long)most);
}

static void print_files(const lapse_inspect_result *r)
{
    for (size_t f = 0; f < r->file_count; f++) {
        const lapse_inspect_file *file = &r->files[f];
        if (!file->column_count) {
            printf("%s: %s, %s, %lld rows\n  read: each object's keys (--col)\n", file->path,
                   file->format, file->layout, (long long)file->rows);
            continue;
        }
        printf("%s: %s, %s, %zu columns, %lld rows\n", file->path, file->format, file->layout,
               file->column_count, (long long)file->rows);
        printf("  read:");
        for (int c = 0; c < LAPSE_COL_COUNT; c++)
            if (file->column_of[c] >= 0)
                printf(" %s=%s", lapse_reader_column_name((lapse_column)c), file->columns[file->column_of[c]]);
        printf("\n  ignored:");
        int ignored = 0;
        for (size_t i = 0; i < file->column_count; i++) {
            int used = 0;
            for (int c = 0; c < LAPSE_COL_COUNT; c++)
                used |= file->column_of[c] == (int)i;
            if (!used)
                printf(" %s", file->columns[i]), ignored++;
        }
        printf("%s\n", ignored ? "" : " (none)");
    }
}

static void print_time(const lapse_inspect_result *r)
{
    char first[32], last[32], start[32], end[32];
    lapse_time_format_iso(first, r->first_ts);
    lapse_time_format_iso(last, r->last_ts);
    lapse_time_format_date(start, r->start_day);
    lapse_time_format_date(end, r->end_day);
    printf("\ntime: %s to %s\n", first, last);
    printf("  robust range %s to %s (%zu days; extract's time checks use it)\n", start, end,
           r->day_count);
    if (r->rows_before || r->rows_after)
        printf("  outside it: %lld rows before, %lld after (a skewed clock, a default date?)\n",
               (long long)r->rows_before, (long long)r->rows_after);
    printf("\nevents per day, %s to %s:\n", start, end);
    print_sparkline(r);
}

static double percent(int64_t part, int64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void print_names(const lapse_inspect_result *r)
{
    const size_t n = shown_names == 0 || (size_t)shown_names > r->name_count
                         ? r->name_count
                         : (size_t)shown_names;
    printf("\nevent names: %zu\n", r->name_count);
    printf("  %12s %6s %10s  %-9s %-10s %s\n", "rows", "%", "users", "category", "guess",
           "name");
    for (size_t i = 0; i < n; i++) {
        const lapse_inspect_name *e = &r->names[i];
        printf("  %12lld %6.2f %10lld  %-9s %-10s ", (long long)e->rows,
               percent(e->rows, r->rows), (long long)e->users,
               e->known ? lapse_category_name(e->category) : "-",
               e->guess >= 0 ? lapse_category_name((lapse_category)e->guess) : "-");
        /* Control bytes as \xNN: one name, one line. */
        for (size_t k = 0; k < e->len; k++) {
            const unsigned char c = (unsigned char)e->name[k];
            if (c < 0x20 || c == 0x7f)
                printf("\\x%02x", c);
            else
                putchar(c);
        }
        putchar('\n');
    }
    if (n < r->name_count)
        printf("  ... %zu more (-n 0 lists all)\n", r->name_count - n);
    if (r->other_rows)
        printf("  %lld rows of names beyond the first %d (--max-names)\n",
               (long long)r->other_rows, max_names);
    printf("\ncategories (the map's; unlisted names count as other):\n");
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        printf("  %-9s %12lld %6.2f%%\n", lapse_category_name((lapse_category)c),
               (long long)r->category_rows[c], percent(r->category_rows[c], r->rows));
}

static void print_report(const lapse_inspect_result *r)
{
    print_files(r);
    printf("\nrows: %lld (%lld bad rows skipped", (long long)r->rows, (long long)r->bad_rows);
    if (r->anonymous_rows)
        printf(", %lld rows without a user id skipped", (long long)r->anonymous_rows);
    printf(")  users: %lld\n", (long long)r->users);
    if (r->refund_rows)
        printf("refunds: %lld rows with a negative amount (purchases among them count as other)\n",
               (long long)r->refund_rows);
    if (r->rows)
        print_time(r);
    print_names(r);
}

static int write_mapping(const lapse_inspect_result *r, lapse_error *err)
{
    lapse_outfile *file = NULL;
    int status = lapse_outfile_open(&file, output, err);
    if (status == LAPSE_OK)
        status = lapse_inspect_write_mapping(r, lapse_outfile_stream(file), err);
    if (status == LAPSE_OK)
        return lapse_outfile_commit(file, err);
    if (err->path[0] == '\0')
        snprintf(err->path, sizeof err->path, "%s", output);
    lapse_outfile_abort(file);
    return status;
}

int cmd_inspect(int argc, char **argv)
{
    int first;
    int status = cli_opt_parse(&first, name, options, usage, argc, argv);
    if (status != CLI_OPT_GO_ON)
        return status;
    if (argc == first)
        return cli_usage_error(name, "no event logs given");
    lapse_error err = LAPSE_ERROR_INIT;
    /* The names are kept in place: the text is argv's, ours to change. */
    if (columns && lapse_reader_parse_columns(&opts.reader, (char *)columns, &err) != LAPSE_OK)
        return cli_usage_error(name, "%s", err.message);
    const cli_output outputs[] = { { "-o", output } };
    status = cli_check_files(name, outputs, 1, argv + first, (size_t)(argc - first),
                             &events_path, 1);
    if (status != EXIT_OK)
        return status;
    if (output && strcmp(output, "-") == 0)
        return cli_usage_error(name, "-o needs a file: the report goes to stdout");

    cli_log_to_stderr(0);
    opts.max_names = (size_t)max_names;
    lapse_category_map *categories = NULL;
    lapse_inspect_result *r = NULL;
    if (events_path) {
        if (lapse_category_map_load(&categories, events_path, &err) != LAPSE_OK)
            return cli_report(&err);
        opts.reader.categories = categories;
    }
    status = lapse_inspect_run(&r, (const char *const *)argv + first, (size_t)(argc - first),
                               &opts, &err);
    if (status == LAPSE_OK) {
        print_report(r);
        if (output)
            status = write_mapping(r, &err);
    }
    int code = EXIT_OK;
    if (status != LAPSE_OK)
        code = cli_report(&err);
    else if (output)
        fprintf(stderr, "lapse: wrote %s (%zu names; check the guessed ones)\n", output,
                r->name_count);
    lapse_inspect_free(r);
    lapse_category_map_free(categories);
    return code;
}
