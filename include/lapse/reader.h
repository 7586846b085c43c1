/* Streaming events out of event logs (datasets/README.md): CSV, or JSON
 * lines (a file starting with '{'; columns are keys, --col paths such as
 * properties.revenue), plain, gzip or zstd.
 *
 * Files are told apart by content (magic bytes), concatenated gzip members
 * and zstd frames are one stream, "-" is standard input. Fields are
 * separated by commas, or as lapse_reader_options.delimiter says. Each file starts with its
 * own header row; columns are found by name, in any order, and a UTF-8 BOM
 * before the header is skipped. Unquoted fields lose surrounding spaces and
 * tabs (libcsv's rule); quoted fields are kept byte for byte.
 *
 * Every bad row is an error naming the file, the line (real newlines,
 * including those inside quoted fields) and the column: a wrong number of
 * fields, a bad timestamp, a bad amount, an empty or too long user id, a
 * NUL byte in a field lapse reads (a row without a user id is skipped and
 * counted instead, unless strict_users). Messages show a field's control bytes as
 * \xNN.
 *
 * Amounts: the amount column, or with LAPSE_COL_QTY and LAPSE_COL_PRICE
 * named the product of those two (a transactions table's quantity and unit
 * price). A negative amount is a refund: it is counted (refund_rows), and a
 * refund of a purchase-category event is an event of category other (a
 * refund is no purchase; extract subtracts it from spend whatever its
 * event, lapse/extract.h).
 * With max_bad_rows > 0 up to that many bad rows are skipped (the first few
 * are logged as warnings through lapse_log); one more is an error
 * (LAPSE_ERR_LIMIT). Broken quoting is always an error. A truncated or
 * corrupt gzip or zstd stream names the file and the byte offset in the compressed
 * file. Event names the category map does not list count as `other`; the
 * stats count them and keep a few examples. So do rows of events other than
 * purchases that carry a non-zero amount (extract does not count it as
 * spend).
 *
 * A row that repeats an earlier row exactly (the same user id, time, event
 * name, amount, session id and device id: the columns lapse reads; other
 * columns are not compared), in any of the files, is counted and, with
 * LAPSE_DUPS_DROP, dropped. Counting them keeps a 64-bit hash and a
 * position per row read until the read ends (16 bytes a row, about 0.4 GB
 * for 25 million rows); dropping them keeps those of each distinct row (see
 * src/base/rowset.h: 21 to 43 bytes a row, about 0.8 GB for 25 million);
 * LAPSE_DUPS_KEEP spends nothing on it. */
#ifndef LAPSE_READER_H
#define LAPSE_READER_H

#include "lapse/category.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_USER_ID_MAX 256 /* bytes */
/* Amounts above this are refused, so money sums in micro-units stay exact. */
#define LAPSE_AMOUNT_MAX 1e12

/* The columns lapse reads, in this order in lapse_reader_options.columns. */
typedef enum {
    LAPSE_COL_USER_ID,
    LAPSE_COL_TS,
    LAPSE_COL_EVENT,
    LAPSE_COL_AMOUNT,     /* optional */
    LAPSE_COL_SESSION_ID, /* optional */
    LAPSE_COL_DEVICE_ID,  /* optional */
    /* Read only when named (columns[] set; no default name): the amount is
     * then quantity x price, and the amount column is not read. */
    LAPSE_COL_QTY,
    LAPSE_COL_PRICE,
    LAPSE_COL_COUNT
} lapse_column;

/* One event. user_id is not NUL-terminated and stays valid only until the
 * next call on the reader. */
typedef struct {
    const char *user_id;
    size_t user_id_len;         /* 1..LAPSE_USER_ID_MAX */
    int64_t ts;                 /* UTC seconds */
    lapse_category category;
    int has_amount;             /* 0 when the column is absent or the field empty (with
                                   qty and price: either of them) */
    double amount;              /* finite, -LAPSE_AMOUNT_MAX..LAPSE_AMOUNT_MAX; < 0 a refund */
    int has_session, has_device;
    uint64_t session_hash;      /* lapse_hash of the session_id bytes */
    uint64_t device_hash;       /* lapse_hash of the device_id bytes */
    /* A repeat that LAPSE_DUPS_DROP drops, seen only by a parse callback
     * (never by lapse_reader_next): not an event, but its time still tells
     * how far its file reaches (which copy of a repeated row is dropped
     * depends on the threads). */
    int dropped;
} lapse_event;

/* What to do with rows that repeat an earlier row exactly. */
typedef enum {
    LAPSE_DUPS_COUNT, /* count them (the default); they count as events */
    LAPSE_DUPS_DROP,  /* count them and drop them (at-least-once delivery) */
    LAPSE_DUPS_KEEP   /* do not look for them */
} lapse_dups;

typedef struct {
    /* The category map (borrowed; NULL = the built-in one). */
    const lapse_category_map *categories;
    /* The log's name for each lapse column; NULL = lapse's own name. */
    const char *columns[LAPSE_COL_COUNT];
    /* Bad rows to skip before failing; 0 = the first one fails. */
    int64_t max_bad_rows;
    lapse_dups dups;
    /* Between fields: ',', ';', '\t', or ' ' for runs of spaces and tabs
     * (leading and trailing ones ignored). 0 = by content, per file: '\t'
     * when the header line has a tab and no comma, else ','. */
    char delimiter;
    /* The event of every row, for a log without an event column (a
     * transactions export: "purchase"), mapped to its category like any
     * event name; a file that has an event column is then an error. NULL =
     * read the column. Borrowed. */
    const char *event;
    /* 0: rows whose user id is empty or only spaces and tabs (anonymous
     * visitors; in JSON lines, no user key) are skipped and counted in
     * anonymous_rows. 1: they are bad rows ("empty user id"). */
    int strict_users;
} lapse_reader_options;

#define LAPSE_READER_OPTIONS_INIT { NULL, { NULL }, 0, LAPSE_DUPS_COUNT, 0, NULL, 0 }

#define LAPSE_READER_EXAMPLES 5
#define LAPSE_READER_NAME_SHOWN 65 /* an example name's bytes, with its NUL */

/* What a read saw so far. */
typedef struct {
    int64_t events;          /* rows turned into events */
    int64_t bad_rows;        /* rows skipped (max_bad_rows) */
    int64_t anonymous_rows;  /* rows without a user id, skipped (strict_users 0) */
    int64_t unknown_rows;    /* rows whose event name the map does not list */
    int64_t category_rows[LAPSE_CAT_COUNT]; /* events per category */
    size_t unknown_examples; /* how many names below are set */
    /* A few such names, control bytes as \xNN, cut at 64 characters. */
    char unknown_names[LAPSE_READER_EXAMPLES][LAPSE_READER_NAME_SHOWN];
    /* Rows of events other than purchases with a positive amount, and a
     * few of their event names, as above. */
    int64_t amount_rows;
    size_t amount_examples;
    char amount_names[LAPSE_READER_EXAMPLES][LAPSE_READER_NAME_SHOWN];
    /* Rows that repeat an earlier row exactly (dropped with LAPSE_DUPS_DROP,
     * else among the events). The first of them in the log: its file (an
     * index into the paths read) and line, and those of the row it repeats;
     * lines are 0 when there is none. */
    int64_t refund_rows; /* events with a negative amount */
    int64_t repeated_rows;
    size_t repeat_file, repeat_of_file;
    int64_t repeat_line, repeat_of_line;
} lapse_reader_stats;

/* lapse's name of a column ("user_id", ..., "qty", "price"), as --col
 * takes it; NULL out of range. */
const char *lapse_reader_column_name(lapse_column column);

/* Parses "user_id=uid,ts=time" into opts->columns. The pointers point into
 * text, which must outlive the options. Returns 0 or LAPSE_ERR_ARG (with a
 * message in err). text is modified (the separators become NULs). */
int lapse_reader_parse_columns(lapse_reader_options *opts, char *text, lapse_error *err);

/* Parses a --delim value into opts->delimiter: ",", ";", "\t" (a tab or
 * the two characters), "tab", " " or "space". Returns 0 or LAPSE_ERR_ARG
 * (with a message in err). */
int lapse_reader_parse_delimiter(lapse_reader_options *opts, const char *text, lapse_error *err);

/* Parses an --amount-expr value, "A*B" (two column names, or JSON key
 * paths, joined by one '*'), into opts->columns[LAPSE_COL_QTY] = A and
 * [LAPSE_COL_PRICE] = B. The pointers point into text, which is modified
 * and must outlive the options. Returns 0 or LAPSE_ERR_ARG. */
int lapse_reader_parse_amount_expr(lapse_reader_options *opts, char *text, lapse_error *err);

/* LAPSE_ERR_ARG when the options contradict themselves: qty without price
 * or the reverse, or an amount column named as well as qty and price. */
int lapse_reader_check_options(const lapse_reader_options *opts, lapse_error *err);

/* 64-bit hash used for session and device ids. */
uint64_t lapse_hash(const void *data, size_t len);

typedef struct lapse_reader lapse_reader;

/* Reads the files one after another ("-" = stdin). paths and options are
 * copied or borrowed as noted: paths must outlive the reader, the category
 * map too. Nothing is opened until the first lapse_reader_next. */
int lapse_reader_open(lapse_reader **out, const char *const *paths, size_t count,
                      const lapse_reader_options *opts, lapse_error *err);

/* The next event: returns 1 and fills *event, 0 at the end of the last
 * file, or a negative lapse_status with err set. After an error the reader
 * only returns that error again. */
int lapse_reader_next(lapse_reader *reader, lapse_event *event, lapse_error *err);

/* The counts so far; rows that repeat an earlier row are counted (unless
 * dropped) when lapse_reader_next has returned 0. */
void lapse_reader_get_stats(const lapse_reader *reader, lapse_reader_stats *out);

void lapse_reader_free(lapse_reader *reader); /* accepts NULL */

#ifdef __cplusplus
}
#endif

#endif
