/* Internal: byte strings -> dense ids 0, 1, 2, ... in insertion order.
 *
 * Interns user ids and event names on the hot path of extract: one hash and,
 * usually, one probe per lookup; keys are copied into large chunks, so the
 * map costs a few bytes more per key than the key itself and never one
 * allocation per key. Not thread-safe; one map per thread. */
#ifndef LAPSE_STRMAP_H
#define LAPSE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct lapse_strmap lapse_strmap;

/* Returns NULL when out of memory. */
lapse_strmap *lapse_strmap_create(void);
void lapse_strmap_free(lapse_strmap *map); /* accepts NULL */

/* The id of key[0..len), adding it when absent (then *added is 1, else 0;
 * added may be NULL). Returns the id, or -1 when out of memory. */
int64_t lapse_strmap_intern(lapse_strmap *map, const char *key, size_t len, int *added);

/* The same, with hash = lapse_hash_bytes(key, len) already known (extract
 * hashes each user id once, to pick its partition, then interns it). */
int64_t lapse_strmap_intern_hash(lapse_strmap *map, uint64_t hash, const char *key, size_t len,
                                 int *added);

/* The id of key, or -1 when absent. */
int64_t lapse_strmap_find(const lapse_strmap *map, const char *key, size_t len);

/* Number of keys. */
size_t lapse_strmap_size(const lapse_strmap *map);

/* The key with this id (not NUL-terminated; *len receives its length). The
 * pointer stays valid until the map is freed. */
const char *lapse_strmap_key(const lapse_strmap *map, int64_t id, size_t *len);

/* 64-bit hash of a byte string (wyhash-style mixing of 8-byte words). */
uint64_t lapse_hash_bytes(const void *data, size_t len);

#endif
