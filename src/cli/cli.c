#include "cli.h"

#include "lapse/timeparse.h"

#include <errno.h>
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

int cli_parse_long(const char *command, const char *option, const char *text, long min,
                   long max, long *out)
{
    char *end;
    errno = 0;
    const long value = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || value < min || value > max)
        return cli_usage_error(command, "%s needs a whole number from %ld to %ld, not \"%s\"",
                               option, min, max, text);
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
        return cli_usage_error(command, "%s needs a number from %g to %g, not \"%s\"", option,
                               min, max, text);
    *out = value;
    return 0;
}

int cli_parse_date(const char *command, const char *option, const char *text, int64_t *out)
{
    if (lapse_date_parse(out, text, strlen(text)) != LAPSE_OK)
        return cli_usage_error(command,
                               "%s needs a date as YYYY-MM-DD (1970 to 2199), not \"%s\"",
                               option, text);
    return 0;
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
