#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"
#include "cli_opt.h"

#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/outfile.h"
#include "lapse/paths.h"
#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_report(const lapse_error *err)
{
    char line[LAPSE_ERROR_PATH_MAX + LAPSE_ERROR_MESSAGE_MAX + 64];
    fprintf(stderr, "lapse: %s\n", lapse_error_format(err, line, sizeof line));
    switch (err->code) {
    case LAPSE_OK: return EXIT_OK;
    case LAPSE_ERR_ARG: return EXIT_USAGE;
    case LAPSE_ERR_IO:
    case LAPSE_ERR_NOMEM: return EXIT_SYSTEM;
    default: return EXIT_DATA;
    }
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "lapse %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'lapse %s --help'.\n", command);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_parse_integer(const char *command, const char *option, const char *text,
                      long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    const long long value = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || value < min || value > max)
        return cli_opt_bad_value(command, option, text, "needs a whole number from %lld to %lld",
                                 min, max);
    *out = value;
    return 0;
}

int cli_parse_double(const char *command, const char *option, const char *text, double min,
                     double max, double *out)
{
    char *end;
    errno = 0;
    const double value = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(value) || value < min || value > max)
        return cli_opt_bad_value(command, option, text, "needs a number from %g to %g", min,
                                 max);
    *out = value;
    return 0;
}

int cli_parse_date(const char *command, const char *option, const char *text, int64_t *out)
{
    if (lapse_date_parse(out, text, strlen(text)) != LAPSE_OK)
        return cli_opt_bad_value(command, option, text,
                                 "needs a date as YYYY-MM-DD (1970 to 2199)");
    return 0;
}

int cli_parse_keys(const cli_opt *o, const char *command, const char *name, const char *text)
{
    if (lapse_churn_parse_keys(o->dest, text, strlen(text)) == LAPSE_OK)
        return 0;
    char list[256] = "";
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c ? ", " : "",
                 lapse_category_name((lapse_category)c));
    return cli_opt_bad_value(command, name, text, "needs key categories (%s)", list);
}

int cli_parse_delimiter(const cli_opt *o, const char *command, const char *name,
                        const char *text)
{
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_reader_parse_delimiter(o->dest, text, &err) == LAPSE_OK)
        return 0;
    return cli_opt_bad_value(command, name, text, "needs ',', ';', '\\t' or ' '");
}

int cli_parse_amount_expr(const cli_opt *o, const char *command, const char *name,
                          const char *text)
{
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_reader_parse_amount_expr(o->dest, (char *)text, &err) == LAPSE_OK)
        return 0;
    return cli_opt_bad_value(command, name, text,
                             "needs COLUMN*COLUMN, the product of two columns (e.g. qty*price)");
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

/* Whether two outputs would land on one file: "out.csv" and "./out.csv",
 * which need not exist yet, or two links to one existing file. */
static int same_output(const char *a, const char *b)
{
    char entry_a[PATH_MAX], entry_b[PATH_MAX];
    if (strcmp(a, b) == 0)
        return 1;
    if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
        return 0;
    if (output_entry(entry_a, a) == 0 && output_entry(entry_b, b) == 0 &&
        strcmp(entry_a, entry_b) == 0)
        return 1;
    lapse_error err = LAPSE_ERROR_INIT;
    return lapse_outfile_refuse_inputs(a, &b, 1, &err) != LAPSE_OK;
}

int cli_check_files(const char *command, const cli_output *outputs, size_t n_out,
                    char *const *args, size_t n_args, const char *const *more,
                    size_t n_more)
{
    size_t on_stdin = 0;
    for (size_t i = 0; i < n_args; i++)
        on_stdin += strcmp(args[i], "-") == 0;
    for (size_t i = 0; i < n_more; i++)
        on_stdin += more[i] && strcmp(more[i], "-") == 0;
    if (on_stdin > 1)
        return cli_usage_error(command, "%zu inputs are \"-\", standard input, which can be "
                               "read only once", on_stdin);
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_paths_check_distinct((const char *const *)args, n_args, &err) != LAPSE_OK)
        return cli_usage_error(command, "%s", err.message);
    for (size_t i = 0; i < n_out; i++) {
        if (!outputs[i].path)
            continue;
        if (lapse_outfile_refuse_inputs(outputs[i].path, (const char *const *)args, n_args,
                                        &err) != LAPSE_OK ||
            lapse_outfile_refuse_inputs(outputs[i].path, more, n_more, &err) != LAPSE_OK)
            return cli_report(&err);
        for (size_t j = i + 1; j < n_out; j++)
            if (outputs[j].path && same_output(outputs[i].path, outputs[j].path))
                return cli_usage_error(command, "%s and %s must be different files",
                                       outputs[j].option, outputs[i].option);
    }
    return EXIT_OK;
}

int cli_make_folder(const char *path, lapse_error *err)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot create the folder: %s",
                               strerror(errno));
    return LAPSE_OK;
}

static void log_to_stderr(lapse_log_level level, const char *message, void *user_data)
{
    const int quiet = *(const int *)user_data;
    if (level == LAPSE_LOG_WARN)
        fprintf(stderr, "lapse: warning: %s\n", message);
    else if (!quiet && level == LAPSE_LOG_INFO)
        fprintf(stderr, "lapse: %s\n", message);
}

void cli_log_to_stderr(int quiet)
{
    static int quiet_flag;
    quiet_flag = quiet;
    lapse_log_set(log_to_stderr, &quiet_flag);
}
