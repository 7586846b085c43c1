/* Event logs -> one row of features per user and snapshot, with churn
 * labels (datasets/README.md, "Feature tables").
 *
 * For each snapshot date asof, features use only events strictly before it.
 * Users with a key event in the last silent_days days before asof are the
 * active population: they get a row and, unless labels are off, a label (1
 * when they have no key event in [asof, asof + horizon), or for
 * cancel_is_churn when they have a cancel event in it). Users seen before
 * asof but silent are the dormant set: same columns, never labelled. For
 * cancel_is_churn, active users who had already cancelled
 * (lapse_churn_cancelled) join the dormant set: they have left, and
 * labelling them would call them loyal.
 *
 * Memory grows with users, not events or threads: one accumulator (336
 * bytes) per user and snapshot, shared by the threads, 16 bytes per user
 * and snapshot for the row index, and the interned ids (about 150 bytes a
 * user); each thread adds its parser, one chunk's pending events and the
 * chunks in flight (a few MB), and about 4 MB are fixed. In all about
 * users x (snapshots x 352 + 150) bytes plus a few MB per thread, e.g.
 * 216 MB at -@1 and 238 MB at -@8 for 134k users and 4 snapshots
 * (bench/extract_memory.sh, measured with the 320-byte accumulator before
 * the refund fields; 16 bytes more per user and snapshot now).
 *
 * With an asof file (asof_path) only its (user, date) pairs get rows.
 *
 * Rows are sorted by (asof, user_id bytes), so results are identical for
 * any thread count. */
#ifndef LAPSE_EXTRACT_H
#define LAPSE_EXTRACT_H

#include "lapse/churn.h"
#include "lapse/error.h"
#include "lapse/progress.h"
#include "lapse/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LAPSE_EXTRACT_ACTIVE, LAPSE_EXTRACT_DORMANT } lapse_extract_set;
typedef enum { LAPSE_TABLE_CSV, LAPSE_TABLE_LIBSVM } lapse_table_format;

#define LAPSE_EXTRACT_MAX_SNAPSHOTS 64
#define LAPSE_EXTRACT_MAX_THREADS 256

typedef struct {
    lapse_churn_def churn;
    const int64_t *asof;  /* snapshot dates as UTC seconds at midnight (borrowed) */
    size_t asof_count;    /* 1..LAPSE_EXTRACT_MAX_SNAPSHOTS */
    int labels;           /* 1: label the active rows; every horizon must end within the data */
    int threads;          /* 1..LAPSE_EXTRACT_MAX_THREADS */
    lapse_reader_options reader;
    lapse_progress_fn progress; /* input bytes read of their total (-1: stdin), or NULL */
    void *progress_user;
    /* A label file (CSV user_id,label or user_id,asof,label; plain or gzip;
     * not "-"), or NULL. The active rows take their label from it, not from
     * the events after asof: a listed 0 or 1, else empty. Needs labels on;
     * the log may then end at asof. Tables record its sha256 (lapse/schema.h). */
    const char *labels_path;
    /* A snapshot per user, or NULL: a file (CSV user_id,asof[,label], as
     * labels_path) in place of asof/asof_count (then NULL and 0). Only the
     * listed (user, asof) pairs get rows, each at its own date. Its distinct
     * dates are the snapshots: at most LAPSE_EXTRACT_MAX_SNAPSHOTS. With a
     * label column and labels on it is the label file too (labels_path
     * must then be NULL). */
    const char *asof_path;
} lapse_extract_options;

#define LAPSE_EXTRACT_OPTIONS_INIT                                                                 \
    { LAPSE_CHURN_DEF_INIT, NULL, 0, 1, 1, LAPSE_READER_OPTIONS_INIT, NULL, NULL, NULL, NULL }

typedef struct lapse_extract lapse_extract;

/* Reads every file (in parallel with threads > 1: several files at once,
 * or one gzip file pipelined: one thread inflates, the others parse) and
 * builds the rows. Validates the options first (LAPSE_ERR_ARG). *out is
 * owned by the caller.
 *
 * With labels_path the file is read first (its errors name file, line and
 * column); entries whose user is not in the log (or whose asof is not a
 * snapshot) and active rows it does not label are warned about.
 *
 * Time: the log's time range, and each file's, is their robust range
 * (from the day counts: the earliest and latest 0.1% of events dropped,
 * then widened over days with events at most 7 days apart), so one
 * clock-skewed row does not move it. With labels on (from the log), a snapshot whose
 * horizon passes the end of the log, or of any part of the export, is
 * LAPSE_ERR_RANGE naming the day and the file. A part is a file that starts
 * with the log (split by user, it holds its users' whole history) and that
 * no later-starting file continues (an export split by time). Then it
 * warns (lapse_extract_warn) about events more than 7 days outside the
 * log's range (counted as events all the same), snapshots more than 7 days
 * after the end of the log or of a part (users look silent because the
 * data stops), and snapshots less than 90 days after the log's start (the
 * 90-day windows are cut short). */
int lapse_extract_run(lapse_extract **out, const char *const *paths, size_t count,
                      const lapse_extract_options *opts, lapse_error *err);

typedef struct {
    const char *user_id; /* not NUL-terminated; owned by the extract */
    size_t user_id_len;
    int64_t asof;        /* UTC seconds */
    int label;           /* 0 or 1; -1 unlabelled */
    int days_to_churn;   /* 1..horizon for a label 1 from the events (lapse/churn.h's
                            lapse_churn_days_to_churn); 0 otherwise, also for a label
                            from a label file, which says no day */
} lapse_extract_row;

typedef struct {
    int64_t users;    /* distinct user ids in the log */
    int64_t last_day; /* UTC seconds of the day of the last event; -1 without events */
    int64_t cancelled; /* rows of active users who had cancelled before the snapshot
                          (cancel_is_churn): in the dormant set, not labelled */
    /* The log's robust time range (lapse_extract_run), UTC seconds of its
     * first and last day; -1 without events. */
    int64_t start_day, end_day;
    int64_t outside; /* events more than 7 days before start_day or after end_day */
    /* With labels_path: entries of the file whose user (and asof) the log
     * lacks, and active rows the file gives no label. */
    int64_t labels_unknown, labels_missing;
    /* With asof_path: users of the log it does not list (no rows), and its
     * entries without a row (the user has no event before that date). */
    int64_t asof_unlisted, asof_no_row;
    lapse_reader_stats reader;
} lapse_extract_stats;

size_t lapse_extract_count(const lapse_extract *x, lapse_extract_set set);

/* Row i of a set, and its lapse_feature_count() feature values (features
 * may be NULL). Returns 0 or LAPSE_ERR_ARG for i out of range. */
int lapse_extract_get(const lapse_extract *x, lapse_extract_set set, size_t i,
                      lapse_extract_row *row, double *features);

/* Index of the row of this user and snapshot in a set, or -1. */
int64_t lapse_extract_find(const lapse_extract *x, lapse_extract_set set, int64_t asof,
                           const char *user_id, size_t len);

/* Writes a set. CSV: the table-meta line, the header
 * `user_id,asof,<features>,label,days_to_churn`, then rows (days_to_churn
 * empty when 0); integers print exactly, other
 * values as the shortest decimal that reads back the same (lapse/numtext.h). LIBSVM: `label index:value ...` rows (1-based indices,
 * zeros left out, no header; unlabelled rows get label 0). Returns 0 or
 * LAPSE_ERR_IO. */
int lapse_extract_write(const lapse_extract *x, lapse_extract_set set, lapse_table_format format,
                        FILE *out, lapse_error *err);

/* Writes a set as a binary table (lapse/table.h, lapse_table_write_npy):
 * the values as NumPy's .npy float64 matrix to npy, the meta line and
 * user_id,asof,label,days_to_churn to rows. Returns 0, LAPSE_ERR_IO or
 * LAPSE_ERR_NOMEM. */
int lapse_extract_write_npy(const lapse_extract *x, lapse_extract_set set, FILE *npy, FILE *rows,
                            lapse_error *err);

void lapse_extract_get_stats(const lapse_extract *x, lapse_extract_stats *out);

/* Warns through lapse_log and keeps the warning with the extract: tables
 * written after carry it in their meta line (lapse/schema.h), so what
 * changes the meaning of the rows travels with them. For warnings of that
 * kind only. A newline in the text becomes a space. Returns 0 or
 * LAPSE_ERR_NOMEM (the warning is still logged). */
int lapse_extract_warn(lapse_extract *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The warnings kept, in the order given; i < count. */
size_t lapse_extract_warning_count(const lapse_extract *x);
const char *lapse_extract_warning(const lapse_extract *x, size_t i);

void lapse_extract_free(lapse_extract *x); /* accepts NULL */

#ifdef __cplusplus
}
#endif

#endif
