/* The first line of a feature table: which format, which churn definition,
 * which features.
 *
 *   # lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; schema=9f3c01d2a4b5e6f7
 *
 * churn is `silence` or `cancel`. schema is lapse_schema_hash() of the
 * feature names, in order, as 16 lower-case hex digits. Train stores all of
 * it but the warnings in the model, and score compares.
 *
 * An optional key, labels, says the labels came from a file rather than
 * from the events after the snapshot, and which: the file's sha256 (what
 * sha256sum prints). Tables whose meta lines differ, this key included,
 * are not read as one (lapse/table.h), so labels of two sources are not
 * mixed:
 *
 *   ...; schema=9f3c01d2a4b5e6f7; labels=file:<64 hex digits>
 *
 * An optional last key, warnings, carries what the run that wrote the table
 * warned about that changes what its rows mean (a snapshot after the log's
 * end, windows cut short by its start, events far outside its time range),
 * so the warnings travel with the file:
 *
 *   ...; schema=9f3c01d2a4b5e6f7; warnings=snapshot 2026-07-30 is 60 days after ...%0A...
 *
 * The warnings are joined by a newline; '%', ';', ',', '"' and control
 * bytes are written as %XX (two upper-case hex digits). */
#ifndef LAPSE_SCHEMA_H
#define LAPSE_SCHEMA_H

#include "lapse/churn.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_TABLE_FORMAT_VERSION 1

/* The longest meta line lapse writes, and reads, in bytes. */
#define LAPSE_TABLE_META_LINE_MAX 4096

/* The longest feature name a table and a model may hold, in bytes. */
#define LAPSE_FEATURE_NAME_MAX 256

/* Bytes of warnings a meta line carries (unescaped, with the newlines). */
#define LAPSE_TABLE_WARNINGS_MAX 1024

typedef struct {
    int version;
    lapse_churn_def churn;
    uint64_t schema_hash;
    /* The warnings, one per line without a final newline; "" for none. */
    char warnings[LAPSE_TABLE_WARNINGS_MAX];
    /* The label file's sha256 as 64 lower-case hex digits; "" for labels
     * from the log (or none). */
    char labels_sha256[65];
} lapse_table_meta;

/* A 64-bit hash of the names joined by ','; order matters. */
uint64_t lapse_schema_hash(const char *const *names, size_t count);

/* Writes the line (without a newline) into buf; LAPSE_TABLE_META_LINE_MAX
 * bytes always suffice. Returns 0, or LAPSE_ERR_ARG when buf is too small. */
int lapse_table_meta_format(char *buf, size_t size, const lapse_table_meta *meta);

/* Writes "; warnings=" and the warnings (joined by newlines) escaped as
 * above into buf: the key every lapse output that carries warnings uses.
 * Returns 0, or LAPSE_ERR_ARG when buf is too small. */
int lapse_warnings_format(char *buf, size_t size, const char *warnings);

/* Reads a warnings value as lapse_warnings_format escapes it (the text after
 * "warnings=", len bytes) back into out, newline-joined. Returns 0, or
 * LAPSE_ERR_FORMAT for a bad escape, a control character, an empty or too
 * long value. */
int lapse_warnings_parse(char out[LAPSE_TABLE_WARNINGS_MAX], const char *text, size_t len);

/* Parses line[0..len) (without its newline). Returns 0, LAPSE_ERR_FORMAT
 * for anything that is not such a line (an unknown or repeated key, a bad
 * escape, an empty or too long warnings value, a labels value other than
 * file: and 64 lower-case hex digits), or LAPSE_ERR_VERSION for a
 * format version newer than this build reads. */
int lapse_table_meta_parse(lapse_table_meta *out, const char *line, size_t len);

#ifdef __cplusplus
}
#endif

#endif
