/* Internal: the set of rows seen, as 64-bit hashes, shared by every thread
 * of one read, to find rows that repeat an earlier row exactly.
 *
 * Each hash keeps the earliest position it was added at (a caller's order
 * key: smaller is earlier in the log). 256 shards, each an open-addressing
 * table under its own mutex, grown by doubling at 3/4 full: 16 bytes per
 * slot (a hash and its position side by side), 21 to 43 bytes per distinct
 * row (about 0.8 GB for 25 million). Two different rows with the same hash
 * count as one: with n distinct rows that happens with probability about
 * n^2 / 2^65 (2e-5 for 25 million). */
#ifndef LAPSE_ROWSET_H
#define LAPSE_ROWSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct lapse_rowset lapse_rowset;

/* Returns NULL when out of memory. */
lapse_rowset *lapse_rowset_create(void);
void lapse_rowset_free(lapse_rowset *set); /* accepts NULL */

/* Adds hash, seen at pos (< UINT64_MAX). Returns 0 when it is new, 1 when
 * it was there (then *earliest is the smallest position added with it
 * before this call, and the entry keeps min(pos, *earliest)), or -1 when
 * out of memory. Safe to call from several threads at once. */
int lapse_rowset_add(lapse_rowset *set, uint64_t hash, uint64_t pos, uint64_t *earliest);

/* One row of a batch: hash and pos in, earliest out (UINT64_MAX when the
 * row was new, else as lapse_rowset_add's *earliest). */
typedef struct lapse_rowset_row {
    uint64_t hash, pos, earliest;
} lapse_rowset_row;

/* Adds rows[0..n) as n calls of lapse_rowset_add in that order would, with
 * one lock per shard instead of one per row and the next rows' slots
 * fetched from memory ahead: a reader adds a chunk's rows at once. Returns
 * 0, or -1 when out of memory (then the rows' earliest are unspecified).
 * Safe to call from several threads at once. */
int lapse_rowset_add_batch(lapse_rowset *set, lapse_rowset_row *rows, size_t n);

/* Calls fn with every hash kept and its earliest position, in no set
 * order (extract --partial writes them out). Not while adding. */
void lapse_rowset_each(const lapse_rowset *set, void (*fn)(uint64_t hash, uint64_t pos, void *user),
                       void *user);

#endif
