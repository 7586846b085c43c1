/* Internal: the one input layer every reader takes its bytes from.
 *
 * A source opens a path or "-" (standard input), tells the format by its
 * first bytes (not by the file name), inflates gzip (members concatenated
 * are one stream) and zstd (frames concatenated are one stream, skippable
 * frames are skipped) and drops a UTF-8 byte-order mark at the start of the
 * text. Compressions it does not inflate (bzip2, xz, zip, lz4, compress)
 * and UTF-16/UTF-32 text are refused by name, at byte 0. Another
 * compression is one more lapse_input_format and one more case in input.c.
 *
 * A CSV loop feeds a source's text to libcsv (strict) one line at a time,
 * so at most one record ends per step and every record knows its line; it
 * turns a libcsv error into a lapse_error naming file, line and column.
 * Readers either pull (lapse_input_csv_step until 0) or push a whole file
 * through their callbacks (lapse_input_csv_read). */
#ifndef LAPSE_INPUT_H
#define LAPSE_INPUT_H

#include "lapse/error.h"

#include <csv.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { LAPSE_INPUT_PLAIN, LAPSE_INPUT_GZIP, LAPSE_INPUT_ZSTD } lapse_input_format;

typedef struct lapse_input lapse_input;

/* Who inflates gzip input. zlib is the reference; ISA-L's igzip (Debian
 * libisal-dev, used when CMake finds it) inflates about 3x faster
 * (bench/RESULTS.md) and must give the same bytes and the same refusals
 * (tests/fuzz/fuzz_inflate.c compares them). */
typedef enum { LAPSE_INFLATE_ZLIB, LAPSE_INFLATE_ISAL } lapse_input_inflater;

/* 1 when this build has ISA-L. */
int lapse_input_have_isal(void);

/* Opens path ("-" = standard input, which close leaves open) and sniffs its
 * format. path is not copied: it must outlive the source. Returns 0, or
 * LAPSE_ERR_IO ("cannot open: ..."), LAPSE_ERR_FORMAT (a compression lapse
 * does not read: "this is xz data; ..."), LAPSE_ERR_NOMEM. */
int lapse_input_open(lapse_input **out, const char *path, lapse_error *err);

/* lapse_input_open with gzip inflated by inflater (ISA-L falls back to zlib
 * in a build without it). lapse_input_open picks ISA-L when the build has
 * it, unless the environment has LAPSE_INFLATE=zlib. When igzip refuses a
 * member of a file, zlib reads that member again and decides, so text,
 * errors and offsets are zlib's; on standard input, which cannot seek back,
 * igzip's refusal stands: the same code and kind, the same offset for a cut
 * and for bytes after the end, its own words for a corrupt stream. */
int lapse_input_open_inflater(lapse_input **out, const char *path, lapse_input_inflater inflater,
                              lapse_error *err);

/* The inflater gzip input goes through (zlib for any other format). */
lapse_input_inflater lapse_input_inflater_of(const lapse_input *in);

/* Reads up to size bytes of text into buf; *got is short only at the end of
 * the input and 0 there. Returns 0, or LAPSE_ERR_IO, LAPSE_ERR_GZIP (a
 * truncated or corrupt gzip or zstd stream, located by its byte offset in
 * the file),
 * LAPSE_ERR_FORMAT (UTF-16 or UTF-32 text, on the first read),
 * LAPSE_ERR_NOMEM. */
int lapse_input_read(lapse_input *in, void *buf, size_t size, size_t *got, lapse_error *err);

lapse_input_format lapse_input_format_of(const lapse_input *in);

/* Bytes of the file (compressed, for gzip and zstd) consumed so far. */
int64_t lapse_input_bytes_read(const lapse_input *in);

void lapse_input_close(lapse_input *in); /* accepts NULL */

typedef struct lapse_input_csv lapse_input_csv;

/* Called for each field (text is NUL-terminated, len bytes) and at the end
 * of each record. A negative return (with err set by the callback) stops
 * the loop and is what step and read return from then on. */
typedef int (*lapse_input_field_fn)(const lapse_input_csv *csv, const char *text, size_t len,
                                    void *user);
typedef int (*lapse_input_row_fn)(const lapse_input_csv *csv, void *user);

/* A field callback libcsv calls itself, one call a field fewer than
 * through lapse_input_field_fn (3% of scoring a table from CSV): for the
 * hottest reader (lapse_input_csv_set_direct). text is NUL-terminated, or
 * NULL for an empty field; loop is the loop, whose user pointer is
 * lapse_input_csv_direct_user(loop). */
typedef void (*lapse_input_direct_fn)(void *text, size_t len, void *loop);

/* The start of every loop: what lapse_input_csv_direct_user reads. */
typedef struct {
    void *user;
} lapse_input_csv_head;

static inline void *lapse_input_csv_direct_user(void *loop)
{
    return ((lapse_input_csv_head *)loop)->user;
}

typedef struct {
    unsigned char delimiter; /* between fields */
    int keep_spaces;         /* 0: libcsv trims spaces and tabs around unquoted fields */
    size_t block_bytes;      /* libcsv's field buffer growth step; 0: its default (128) */
} lapse_input_csv_options;

#define LAPSE_INPUT_CSV_OPTIONS_INIT { ',', 0, 0 }

/* Initialises csv as every lapse reader parses: strict (a stray quote or
 * one left open is an error), fields NUL-terminated, and opts. Returns 0 or
 * LAPSE_ERR_NOMEM; csv_free undoes it. */
int lapse_input_csv_init(struct csv_parser *csv, const lapse_input_csv_options *opts);

/* Opens path as for lapse_input_open, for records through field and row
 * (opts NULL: the defaults; field may be NULL when lapse_input_csv_set_direct
 * follows). path must outlive the loop. */
int lapse_input_csv_open(lapse_input_csv **out, const char *path,
                         const lapse_input_csv_options *opts, lapse_input_field_fn field,
                         lapse_input_row_fn row, void *user, lapse_error *err);

/* Feeds the next line (or the rest of it) to libcsv, running the
 * callbacks; at the end of the input completes a last unterminated record.
 * Returns 1 after a step, 0 at the end, or <0: a callback's status, a
 * source error, or LAPSE_ERR_FORMAT for malformed CSV or a quote left open. */
int lapse_input_csv_step(lapse_input_csv *csv, lapse_error *err);

/* Opens, steps to the end and closes: the push form. */
int lapse_input_csv_read(const char *path, const lapse_input_csv_options *opts,
                         lapse_input_field_fn field, lapse_input_row_fn row, void *user,
                         lapse_error *err);

/* Has libcsv call field for every field from now on, instead of the
 * loop's field callback. The loop then neither counts fields nor skips
 * them after an error: fields(user) is the count of the record's fields
 * delivered (for messages and lapse_input_csv_fields), and field stops the
 * loop with lapse_input_csv_stop, after which the row callback is not
 * called and the step returns that status; the fields after it on the
 * same line still come, for field to ignore. */
void lapse_input_csv_set_direct(lapse_input_csv *csv, lapse_input_direct_fn field,
                                int (*fields)(void *user));

/* From a direct field callback: stops loop (libcsv's data pointer) with
 * status (< 0; the first one stands), err filled in by the caller. */
void lapse_input_csv_stop(void *loop, int status);

/* Opens a loop over text in memory, given piece by piece with
 * lapse_input_csv_set_text (until then it is at its end): the pieces a
 * file's text is cut into at record ends, to be parsed on several threads.
 * Over the same bytes it takes the same steps as a loop reading the file,
 * so callbacks, checks between steps and errors are the same. path is for
 * messages and must outlive the loop; field may be NULL when
 * lapse_input_csv_set_direct follows. */
int lapse_input_csv_open_text(lapse_input_csv **out, const char *path,
                              const lapse_input_csv_options *opts, lapse_input_field_fn field,
                              lapse_input_row_fn row, void *user, lapse_error *err);

/* Gives a text loop its next piece: len bytes at text (not copied: it must
 * outlive the steps), which start a record at text offset offset of the
 * input and on line line. ends_input: the piece ends where the input does
 * (the last step completes an unterminated record, as at the end of a
 * file); else it ends at a record's end and the steps stop there. Call it
 * only before the first piece or after one was stepped through without an
 * error. */
void lapse_input_csv_set_text(lapse_input_csv *csv, const void *text, size_t len, int64_t offset,
                              int64_t line, int ends_input);

/* Between records (after a record's row callback, before any more of the
 * input is parsed), takes text the loop has not parsed, for a reader that
 * cuts it into pieces: into buf, up to size bytes: the rest of the loop's
 * buffer, then whole reads of its source. *ended says the input has no
 * more text; *offset and *line are where the text starts. Returns 0, or
 * the error of a read (the text before it is in buf); the loop then
 * reports it once it needs text past what was taken (give_back), as it
 * would have without the take. */
int lapse_input_csv_take_text(lapse_input_csv *csv, void *buf, size_t size, size_t *got,
                              int *ended, int64_t *offset, int64_t *line);

/* Gives text taken and not parsed back (len bytes at text, from text
 * offset offset on line line, ending where the last take ended; not
 * copied: it must outlive the loop): the next steps parse it, then go on
 * with the input, as if it had never been taken. */
void lapse_input_csv_give_back(lapse_input_csv *csv, const void *text, size_t len, int64_t offset,
                               int64_t line);

/* Takes the next line before any CSV is parsed (a preamble such as a
 * table's meta line) into line, without its '\n'. *len is its length, at
 * most size; *too_long says the line had more (the rest is left unread).
 * Returns 0 or a source error. */
int lapse_input_csv_raw_line(lapse_input_csv *csv, char *line, size_t size, size_t *len,
                             int *too_long, lapse_error *err);

const char *lapse_input_csv_path(const lapse_input_csv *csv);

/* 1-based line where the record being read began; once the input has
 * ended outside a record, the line after the last. */
int64_t lapse_input_csv_line(const lapse_input_csv *csv);

/* Fields of the record being read delivered before this call: in a field
 * callback, the 0-based index of that field; in a row callback, the count. */
int lapse_input_csv_fields(const lapse_input_csv *csv);

/* Records ended so far, not counting the one being read. */
int64_t lapse_input_csv_records(const lapse_input_csv *csv);

/* Bytes libcsv holds of a field not yet ended, to bound what a file with
 * no field end (a binary, /dev/zero) can make it buffer. */
size_t lapse_input_csv_open_field_bytes(const lapse_input_csv *csv);

void lapse_input_csv_close(lapse_input_csv *csv); /* accepts NULL */

#endif
