/* Internal: the set of rows seen, as 64-bit hashes, shared by every thread
 * of one read, to find rows that repeat an earlier row exactly.
 *
 * Each hash keeps the earliest position it was added at (a caller's order
 * key: smaller is earlier in the log). 256 shards, each an open-addressing
 * table under its own mutex, grown by doubling at 3/4 full: 16 bytes per
 * slot, 21 to 43 bytes per distinct row (about 0.8 GB for 25 million). Two
 * different rows with the same hash count as one: with n distinct rows that
 * happens with probability about n^2 / 2^65 (2e-5 for 25 million). */
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

/* Calls fn with every hash kept and its earliest position, in no set
 * order (extract --partial writes them out). Not while adding. */
void lapse_rowset_each(const lapse_rowset *set, void (*fn)(uint64_t hash, uint64_t pos, void *user),
                       void *user);

#endif
