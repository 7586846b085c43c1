/* Internal: the set of rows seen, as 64-bit hashes, shared by every thread
 * of one read, to find rows that repeat an earlier row exactly.
 *
 * Each hash keeps the earliest position it was added at (a caller's order
 * key: smaller is earlier in the log). 256 shards, each an open-addressing
 * table under its own mutex, grown by doubling at 3/4 full: 16 bytes per
 * slot (a hash and its position side by side), 21 to 43 bytes per distinct
 * row (about 0.8 GB for 25 million). Two different rows with the same hash
 * count as one: with n distinct rows that happens with probability about
 * n^2 / 2^65 (2e-5 for 25 million).
 *
 * A read that only counts repeats defers its rows (16 bytes a row, in
 * blocks per shard) and settles them when it ends, a shard at a time: each
 * table is then made once at its final size and, when the hashes are not
 * kept, one shard's table at a time is all there is. Adding each row as it
 * came meant a random access into tables far bigger than the caches, and
 * their doublings, for every row (bench/RESULTS.md, Formats). */
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

/* A row to add later: its hash and position. */
typedef struct lapse_rowset_row {
    uint64_t hash, pos;
} lapse_rowset_row;

/* Keeps rows[0..n) to be added by lapse_rowset_settle. Returns 0, or -1
 * when out of memory. Safe to call from several threads at once. */
int lapse_rowset_defer(lapse_rowset *set, const lapse_rowset_row *rows, size_t n);

/* Adds the rows deferred so far, as lapse_rowset_add would in some order,
 * and calls repeat(pos, earliest, user) for each row whose hash was there
 * already (from an earlier add, or an earlier deferred row in that order).
 * Which rows those are depends on the order, but not how many there are
 * per hash, nor the pair with the smallest max(pos, earliest) (then the
 * smallest min): the second and first positions of that hash. With keep 0
 * the set is left empty (the hashes are only counted, with one shard's
 * table in memory at a time). Returns 0, or -1 when out of memory. Not
 * while adding or deferring. */
int lapse_rowset_settle(lapse_rowset *set, int keep,
                        void (*repeat)(uint64_t pos, uint64_t earliest, void *user), void *user);

/* Calls fn with every hash kept and its earliest position, in no set
 * order (extract --partial writes them out). Not while adding. */
void lapse_rowset_each(const lapse_rowset *set, void (*fn)(uint64_t hash, uint64_t pos, void *user),
                       void *user);

#endif
