#include "cli.h"
#include "cli_opt.h"

#include "lapse/category.h"
#include "lapse/churn.h"
#include "lapse/timeparse.h"

#include <errno.h>
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
