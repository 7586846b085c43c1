/* Internal: a set of 64-bit keys, such as extract's (user, purchase day)
 * pairs: its distinct purchase days, whatever the order and the number of
 * times they come.
 *
 * Open addressing with linear probing, grown by doubling at 3/4 full: 8
 * bytes per slot, 10.7 to 21 bytes per key. Zeroed, it is an empty set. Not
 * thread-safe: its owner locks (extract adds under the partition's lock). */
#ifndef LAPSE_U64SET_H
#define LAPSE_U64SET_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t *slots; /* [capacity]; U64SET_EMPTY where free */
    size_t capacity, size;
} u64set;

/* The one key the set cannot hold. */
#define U64SET_EMPTY UINT64_MAX

void u64set_free(u64set *set);

/* Adds key (not U64SET_EMPTY). Returns 1 when it is new, 0 when it was
 * there, -1 when out of memory (the set unchanged). */
int u64set_add(u64set *set, uint64_t key);

/* Copies the keys, in no set order, into out[0..set->size). */
void u64set_keys(const u64set *set, uint64_t *out);

#endif
