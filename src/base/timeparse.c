#include "lapse/timeparse.h"

#include "lapse/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no tables, no locale, no timezone database. */
int64_t lapse_days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const unsigned yoe = (unsigned)(year - era * 400);
    const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, unsigned *month, unsigned *day)
{
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = (unsigned)(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int64_t)yoe + era * 400 + (*month <= 2);
}

static bool is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned days_in_month(int64_t year, unsigned month)
{
    static const unsigned days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static bool valid_date(int64_t year, unsigned month, unsigned day)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month);
}

/* Reads exactly n digits at *pos; false if any is not a digit. */
static bool take_digits(const char *text, size_t len, size_t *pos, size_t n, unsigned *out)
{
    if (*pos + n > len)
        return false;
    unsigned value = 0;
    for (size_t i = 0; i < n; i++) {
        const char c = text[*pos + i];
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (unsigned)(c - '0');
    }
    *pos += n;
    *out = value;
    return true;
}

static bool all_digits(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] < '0' || text[i] > '9')
            return false;
    return len > 0;
}

static int checked_range(int64_t *out, int64_t seconds)
{
    if (seconds < 0 || seconds >= LAPSE_TIME_MAX)
        return LAPSE_ERR_RANGE;
    *out = seconds;
    return LAPSE_OK;
}

/* YYYY-MM-DD or YYYYMMDD at the start of text; *pos is left after it. */
static bool parse_date_part(const char *text, size_t len, size_t *pos, int64_t *days)
{
    unsigned year, month, day;
    if (!take_digits(text, len, pos, 4, &year))
        return false;
    const bool dashed = *pos < len && text[*pos] == '-';
    if (dashed)
        (*pos)++;
    if (!take_digits(text, len, pos, 2, &month))
        return false;
    if (dashed) {
        if (*pos >= len || text[*pos] != '-')
            return false;
        (*pos)++;
    }
    if (!take_digits(text, len, pos, 2, &day))
        return false;
    if (!valid_date(year, month, day))
        return false;
    *days = lapse_days_from_civil(year, month, day);
    return true;
}

/* The eight-digit form is a date only when it is a plausible one; any other
 * run of digits is a unix time. */
static bool eight_digit_date(const char *text, int64_t *days)
{
    size_t pos = 0;
    unsigned year;
    if (!take_digits(text, 8, &pos, 4, &year) || year < 1900 || year > 2999)
        return false;
    pos = 0;
    return parse_date_part(text, 8, &pos, days);
}

static int parse_unix(int64_t *out, const char *text, size_t len)
{
    if (len > 13)
        return LAPSE_ERR_RANGE;
    int64_t value = 0;
    for (size_t i = 0; i < len; i++)
        value = value * 10 + (text[i] - '0');
    return checked_range(out, len >= 12 ? value / 1000 : value);
}

static int parse_zone(const char *text, size_t len, size_t pos, int64_t *offset_seconds)
{
    if (pos == len) {
        *offset_seconds = 0;
        return LAPSE_OK;
    }
    if (text[pos] == 'Z' && pos + 1 == len) {
        *offset_seconds = 0;
        return LAPSE_OK;
    }
    if (text[pos] != '+' && text[pos] != '-')
        return LAPSE_ERR_FORMAT;
    const int sign = text[pos] == '-' ? -1 : 1;
    pos++;
    unsigned hours, minutes;
    if (!take_digits(text, len, &pos, 2, &hours))
        return LAPSE_ERR_FORMAT;
    if (pos < len && text[pos] == ':')
        pos++;
    if (!take_digits(text, len, &pos, 2, &minutes) || pos != len)
        return LAPSE_ERR_FORMAT;
    if (hours > 23 || minutes > 59)
        return LAPSE_ERR_FORMAT;
    *offset_seconds = sign * (int64_t)(hours * 3600 + minutes * 60);
    return LAPSE_OK;
}

static unsigned two_digits(const char *text)
{
    return (unsigned)(text[0] - '0') * 10 + (unsigned)(text[1] - '0');
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static uint64_t load8(const char *text)
{
    uint64_t v;
    memcpy(&v, text, 8);
    return v;
}

/* The 8 bytes of w are all '0'..'9' once the lanes in seps are set to '0'. */
static bool digits8(uint64_t w, uint64_t seps)
{
    const uint64_t high = 0xf0f0f0f0f0f0f0f0ull, zeros = 0x3030303030303030ull;
    w = (w & ~seps) | (zeros & seps);
    return (w & high) == zeros && ((w + 0x0606060606060606ull) & high) == zeros;
}
#endif

/* Bytes 0-3, 5-6, 8-9, 11-12, 14-15 and 17-18 are digits (the separators are
 * checked by the caller). Eight at a time on little-endian machines. */
static bool fixed_digits(const char *text)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return digits8(load8(text), 0xff0000ff00000000ull) &&
           digits8(load8(text + 8), 0x0000ff0000ff0000ull) &&
           digits8(load8(text + 11), 0x0000ff0000ff0000ull);
#else
    static const unsigned char at[14] = { 0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18 };
    for (int i = 0; i < 14; i++)
        if (text[at[i]] < '0' || text[at[i]] > '9')
            return false;
    return true;
#endif
}

/* YYYY-MM-DDTHH:MM:SS (T or a space) and an optional Z, the form nearly every
 * log uses, read at fixed offsets: the general path below reads it digit by
 * digit with a bounds check each, about 300 instructions. Returns false when
 * text is not in this form (the general path then decides); otherwise sets
 * *status as the general path would. */
static bool parse_fixed(int64_t *out, const char *text, size_t len, int *status)
{
    if (!(len == 19 || (len == 20 && text[19] == 'Z')) || text[4] != '-' || text[7] != '-' ||
        (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':')
        return false;
    if (!fixed_digits(text))
        return false;
    const unsigned year = two_digits(text) * 100 + two_digits(text + 2);
    const unsigned month = two_digits(text + 5), day = two_digits(text + 8);
    const unsigned hour = two_digits(text + 11), minute = two_digits(text + 14);
    unsigned second = two_digits(text + 17);
    if (!valid_date(year, month, day) || hour > 24 || minute > 59 || second > 60 ||
        (hour == 24 && (minute || second))) {
        *status = LAPSE_ERR_FORMAT;
        return true;
    }
    if (second == 60)
        second = 59;
    *status = checked_range(out, lapse_days_from_civil(year, month, day) * LAPSE_SECONDS_PER_DAY +
                                     (int64_t)hour * 3600 + minute * 60 + second);
    return true;
}

/* Every other form. Kept out of line so the fixed form's path does not pay
 * for this one's registers. */
__attribute__((noinline)) static int parse_general(int64_t *out, const char *text, size_t len)
{
    int64_t days;
    if (all_digits(text, len)) {
        if (len == 8 && eight_digit_date(text, &days))
            return checked_range(out, days * LAPSE_SECONDS_PER_DAY);
        return parse_unix(out, text, len);
    }
    size_t pos = 0;
    if (!parse_date_part(text, len, &pos, &days))
        return LAPSE_ERR_FORMAT;
    int64_t seconds = days * LAPSE_SECONDS_PER_DAY;
    if (pos == len)
        return checked_range(out, seconds);
    if (text[pos] != 'T' && text[pos] != ' ')
        return LAPSE_ERR_FORMAT;
    pos++;
    unsigned hour, minute, second = 0;
    if (!take_digits(text, len, &pos, 2, &hour) || pos >= len || text[pos++] != ':' ||
        !take_digits(text, len, &pos, 2, &minute))
        return LAPSE_ERR_FORMAT;
    if (pos < len && text[pos] == ':') {
        pos++;
        if (!take_digits(text, len, &pos, 2, &second))
            return LAPSE_ERR_FORMAT;
        if (pos < len && (text[pos] == '.' || text[pos] == ',')) {
            size_t digits = 0;
            for (pos++; pos < len && text[pos] >= '0' && text[pos] <= '9'; pos++)
                digits++;
            if (digits == 0)
                return LAPSE_ERR_FORMAT;
        }
    }
    /* 24:00:00 is ISO's end of day; leap second 60 is folded into 59. */
    if (hour > 24 || minute > 59 || second > 60 || (hour == 24 && (minute || second)))
        return LAPSE_ERR_FORMAT;
    if (second == 60)
        second = 59;
    int64_t zone;
    const int status = parse_zone(text, len, pos, &zone);
    if (status != LAPSE_OK)
        return status;
    seconds += (int64_t)hour * 3600 + minute * 60 + second - zone;
    return checked_range(out, seconds);
}

int lapse_time_parse(int64_t *out, const char *text, size_t len)
{
    int status;
    if (parse_fixed(out, text, len, &status))
        return status;
    return parse_general(out, text, len);
}

int lapse_date_parse(int64_t *out, const char *text, size_t len)
{
    int64_t days;
    size_t pos = 0;
    if (len == 8 && all_digits(text, len)) {
        if (!eight_digit_date(text, &days))
            return LAPSE_ERR_FORMAT;
    } else if (!parse_date_part(text, len, &pos, &days) || pos != len) {
        return LAPSE_ERR_FORMAT;
    }
    return checked_range(out, days * LAPSE_SECONDS_PER_DAY);
}

void lapse_time_format_date(char *buf, int64_t seconds)
{
    int64_t year;
    unsigned month, day;
    civil_from_days(lapse_day_of(seconds), &year, &month, &day);
    /* As below: years before 2200 keep this at 10 characters. */
    char text[48];
    snprintf(text, sizeof text, "%04d-%02u-%02u", (int)year, month, day);
    memcpy(buf, text, 11);
    buf[10] = '\0';
}

void lapse_time_format_iso(char *buf, int64_t seconds)
{
    const int64_t days = lapse_day_of(seconds);
    const int64_t rest = seconds - days * LAPSE_SECONDS_PER_DAY;
    int64_t year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    /* The compiler cannot see that years before 2200 keep this at 20
     * characters. */
    char text[64];
    snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)year, month, day,
             (int)(rest / 3600), (int)(rest / 60 % 60), (int)(rest % 60));
    memcpy(buf, text, 21);
    buf[20] = '\0';
}
