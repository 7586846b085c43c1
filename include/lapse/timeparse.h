/* Timestamps in event logs and on the command line -> UTC unix seconds.
 *
 * Accepted forms (the whole field must match one; surrounding spaces are not
 * allowed):
 *   1700000000                  unix seconds (1 to 11 digits)
 *   1700000000123               unix milliseconds (12 or 13 digits)
 *   2026-11-23                  a date, midnight UTC
 *   20261123                    a date (exactly 8 digits that form a valid
 *                               date in 1900..2999; otherwise seconds)
 *   2026-11-23T08:30[:15[.123]][Z|+hh:mm|-hh:mm|+hhmm]
 *                               ISO 8601; a space may replace the T; no
 *                               zone means UTC; the fraction is dropped
 *                               (times round down to the second)
 * Results must lie in [1970-01-01, 2200-01-01): earlier or later stamps are
 * LAPSE_ERR_RANGE, anything else that does not parse LAPSE_ERR_FORMAT. */
#ifndef LAPSE_TIMEPARSE_H
#define LAPSE_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_SECONDS_PER_DAY 86400
/* 2200-01-01T00:00:00Z: the first second lapse refuses. */
#define LAPSE_TIME_MAX INT64_C(7258118400)

/* Parses text[0..len) into *out (UTC seconds). Returns 0, LAPSE_ERR_FORMAT
 * or LAPSE_ERR_RANGE; *out is untouched on failure. */
int lapse_time_parse(int64_t *out, const char *text, size_t len);

/* Like lapse_time_parse, but only the date forms (YYYY-MM-DD, YYYYMMDD) are
 * accepted: for --asof, --start and other day-granular options. */
int lapse_date_parse(int64_t *out, const char *text, size_t len);

/* Days since 1970-01-01 of a proleptic Gregorian date; month 1..12. */
int64_t lapse_days_from_civil(int64_t year, unsigned month, unsigned day);

/* Writes seconds as "YYYY-MM-DD" into buf (at least 11 bytes). */
void lapse_time_format_date(char *buf, int64_t seconds);

/* Writes seconds as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void lapse_time_format_iso(char *buf, int64_t seconds);

/* The day number (floor of seconds / 86400) of a UTC timestamp. */
static inline int64_t lapse_day_of(int64_t seconds)
{
    return seconds >= 0 ? seconds / LAPSE_SECONDS_PER_DAY
                        : -((-seconds + LAPSE_SECONDS_PER_DAY - 1) / LAPSE_SECONDS_PER_DAY);
}

#ifdef __cplusplus
}
#endif

#endif
