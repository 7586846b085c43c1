/* A first look at event logs: what lapse makes of them before any extract.
 *
 * One pass with the reader (single-threaded) over the files counts rows,
 * distinct users, the time range (with the robust start and end that
 * extract's time checks use: the rows outside them are the clock-skewed
 * ones), events per day, and per event name its rows, its distinct users
 * and its category in the map read with, and lapse's guess for names the
 * map does not list (lapse_category_guess). Distinct users are counted by
 * 64-bit hash: exact but for a collision (about n^2 / 2^65). */
#ifndef LAPSE_INSPECT_H
#define LAPSE_INSPECT_H

#include "lapse/category.h"
#include "lapse/error.h"
#include "lapse/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Names tracked by default; rows of further names count as other_rows. */
#define LAPSE_INSPECT_NAMES_MAX 10000

typedef struct {
    /* The map, columns and bad-row budget; dups is not used (repeats are
     * not looked for). */
    lapse_reader_options reader;
    size_t max_names; /* 1 or more */
} lapse_inspect_options;

#define LAPSE_INSPECT_OPTIONS_INIT { LAPSE_READER_OPTIONS_INIT, LAPSE_INSPECT_NAMES_MAX }

typedef struct {
    const char *path;   /* borrowed from the caller's paths */
    const char *format; /* "csv", "jsonl", with ".gz" or ".zst" when compressed */
    const char *layout; /* "comma-separated", ..., "JSON lines" */
    size_t column_count;
    char **columns;     /* the header's names, owned by the result */
    /* Each lapse column's index into columns, -1 when the file has none. */
    int column_of[LAPSE_COL_COUNT];
    int64_t rows;       /* events read from this file */
} lapse_inspect_file;

typedef struct {
    const char *name; /* not NUL-terminated inside; len bytes (at most 256) */
    size_t len;
    int64_t rows, users;
    lapse_category category; /* in the map read with */
    int known;               /* the map lists the name */
    int guess;               /* lapse_category_guess, -1 for none */
} lapse_inspect_name;

typedef struct {
    size_t file_count;
    lapse_inspect_file *files;
    int64_t rows, bad_rows, users;
    int64_t anonymous_rows; /* rows without a user id, skipped (not in rows) */
    int64_t refund_rows;    /* rows with a negative amount (among rows) */
    /* Times in UTC seconds; days as the UTC seconds of their midnight. All
     * 0 when there are no rows. */
    int64_t first_ts, last_ts;     /* the earliest and the latest event */
    int64_t start_day, end_day;    /* the robust range (extract's, see above) */
    int64_t rows_before, rows_after; /* rows outside it */
    size_t day_count;              /* days from start_day to end_day */
    int64_t *per_day;              /* [day_count]: events each day */
    size_t name_count;
    lapse_inspect_name *names;     /* most rows first, then by name */
    int64_t other_rows;            /* rows of names beyond max_names */
    int64_t category_rows[LAPSE_CAT_COUNT];
} lapse_inspect_result;

/* Reads the count files one after another ("-" = stdin). On success
 * *out holds the result (free with lapse_inspect_free). Errors are the
 * reader's (lapse/reader.h), or LAPSE_ERR_ARG for bad options. */
int lapse_inspect_run(lapse_inspect_result **out, const char *const *paths, size_t count,
                      const lapse_inspect_options *opts, lapse_error *err);

void lapse_inspect_free(lapse_inspect_result *result); /* accepts NULL */

/* Writes a draft mapping file for the result's names, most rows first:
 * names the map lists with their category, then those lapse guessed,
 * then those it could not (as other), each group under a '#' comment
 * line that lapse_category_map_load skips. Returns 0 or LAPSE_ERR_IO. */
int lapse_inspect_write_mapping(const lapse_inspect_result *result, FILE *out, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
