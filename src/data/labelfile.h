/* Internal: a file of users with their outcome labels, and optionally a
 * snapshot date each (lapse extract --labels; datasets/README.md, "Labels
 * from a file").
 *
 * CSV through the input layer (plain or gzip, a byte-order mark skipped),
 * with a header naming its columns, in any order: user_id (or the name the
 * log's user id has, as --col maps it), then label, asof or both
 * (`user_id,label`, `user_id,asof,label`). A label is 0, 1 or
 * empty (listed, outcome unknown: the row is unlabelled). With an asof
 * column an entry is a (user, date) pair, else a user. An entry listed
 * twice, a label other than 0/1/empty, a bad date or user id is
 * LAPSE_ERR_FORMAT naming file, line and column. */
#ifndef LAPSE_LABELFILE_H
#define LAPSE_LABELFILE_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct label_file label_file;

/* Reads path (not "-": the file's sha256 is part of what it records).
 * need_label: the label column is required (else it is optional, and
 * an absent one reads as every label empty). user_column: another name the
 * user id column may have (the log's, from --col user_id=NAME), or NULL. *out is owned by the caller.
 * Returns 0, LAPSE_ERR_FORMAT, LAPSE_ERR_IO, LAPSE_ERR_GZIP or
 * LAPSE_ERR_NOMEM. */
int label_file_read(label_file **out, const char *path, int need_label, const char *user_column,
                    lapse_error *err);

void label_file_free(label_file *f); /* accepts NULL */

/* The sha256 of the file's bytes as stored (what sha256sum prints): 64
 * lower-case hex digits. */
const char *label_file_sha256(const label_file *f);

const char *label_file_path(const label_file *f);

/* Whether entries are (user, date) pairs. */
int label_file_by_asof(const label_file *f);

/* Whether the file has a label column. */
int label_file_has_label(const label_file *f);

/* Entries, in the order of the file. */
size_t label_file_count(const label_file *f);

typedef struct {
    const char *user; /* not NUL-terminated; len bytes; owned by the file */
    size_t len;
    int32_t day;      /* days since 1970; 0 without an asof column */
    int label;        /* 0, 1; -1 empty */
    int64_t line;
} label_entry;

/* Entry i, in the order of the file. */
label_entry label_file_entry(const label_file *f, size_t i);

/* The entry of this user (and day, when by asof), or -1. */
int64_t label_file_find(const label_file *f, const char *user, size_t len, int32_t day);

#endif
