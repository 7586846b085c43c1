#include "strmap.h"

#include <stdlib.h>
#include <string.h>

/* Keys live in chunks that double from the first size up to the last, so a
 * map of a few event names stays small and one of millions of user ids makes
 * few allocations. */
#define KEY_CHUNK_FIRST_BYTES 4096u
#define KEY_CHUNK_MAX_BYTES (1u << 20)

typedef struct key_chunk {
    struct key_chunk *next;
    size_t used, capacity;
    char bytes[];
} key_chunk;

typedef struct {
    const char *key;
    uint32_t len;
} key_ref;

/* Open addressing with linear probing. A slot holds id + 1 (0 = empty), the
 * upper hash bits, and keys of up to SLOT_INLINE_MAX bytes themselves: user
 * ids are short, and comparing them in the slot saves the two cache misses
 * (key reference, key bytes) that otherwise dominate extract's lookups. */
#define SLOT_INLINE_MAX 23
#define SLOT_LONG_KEY 0xff

typedef struct {
    uint32_t id_plus_one;
    uint32_t hash_tag;
    uint8_t inline_len; /* key length, or SLOT_LONG_KEY when stored only in a chunk */
    char inline_key[SLOT_INLINE_MAX];
} slot;

struct lapse_strmap {
    slot *slots;
    size_t slot_mask;
    key_ref *keys;
    size_t count, keys_capacity;
    key_chunk *chunks;
};

static uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The last len - i (0 to 7) bytes as a little-endian number. A byte loop
 * cost 30 instructions per hash of a short id; on little-endian machines
 * overlapping loads give the same value. */
static uint64_t read_tail(const unsigned char *p, size_t i, size_t len)
{
    const size_t r = len - i;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (r == 0)
        return 0;
    if (len >= 8)
        return read64(p + len - 8) >> (8 * (8 - r));
    if (r >= 4)
        return read32(p + i) | (uint64_t)read32(p + len - 4) << (8 * (r - 4));
    return p[i] | (uint64_t)p[i + r / 2] << (8 * (r / 2)) | (uint64_t)p[len - 1] << (8 * (r - 1));
#else
    uint64_t tail = 0;
    for (size_t j = 0; j < r; j++)
        tail |= (uint64_t)p[i + j] << (8 * j);
    return tail;
#endif
}

uint64_t lapse_hash_bytes(const void *data, size_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                   k2 = 0x8ebc6af09c88c6e3ull;
    const unsigned char *p = data;
    uint64_t h = k0 ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8)
        h = mix(h ^ read64(p + i), k1);
    return mix(mix(h ^ read_tail(p, i, len), k2), k1 ^ len);
}

lapse_strmap *lapse_strmap_create(void)
{
    lapse_strmap *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->slot_mask = 1023;
    map->slots = calloc(map->slot_mask + 1, sizeof *map->slots);
    if (!map->slots) {
        free(map);
        return NULL;
    }
    return map;
}

void lapse_strmap_free(lapse_strmap *map)
{
    if (!map)
        return;
    for (key_chunk *chunk = map->chunks, *next; chunk; chunk = next) {
        next = chunk->next;
        free(chunk);
    }
    free(map->slots);
    free(map->keys);
    free(map);
}

size_t lapse_strmap_size(const lapse_strmap *map)
{
    return map->count;
}

const char *lapse_strmap_key(const lapse_strmap *map, int64_t id, size_t *len)
{
    *len = map->keys[id].len;
    return map->keys[id].key;
}

static int64_t probe(const lapse_strmap *map, uint64_t hash, const char *key, size_t len,
                     size_t *empty_slot)
{
    const uint32_t tag = (uint32_t)(hash >> 32);
    for (size_t i = hash & map->slot_mask;; i = (i + 1) & map->slot_mask) {
        const slot *s = &map->slots[i];
        if (s->id_plus_one == 0) {
            *empty_slot = i;
            return -1;
        }
        if (s->hash_tag != tag)
            continue;
        if (len <= SLOT_INLINE_MAX) {
            if (s->inline_len == len && memcmp(s->inline_key, key, len) == 0)
                return (int64_t)s->id_plus_one - 1;
        } else if (s->inline_len == SLOT_LONG_KEY) {
            const key_ref ref = map->keys[s->id_plus_one - 1];
            if (ref.len == len && memcmp(ref.key, key, len) == 0)
                return (int64_t)s->id_plus_one - 1;
        }
    }
}

int64_t lapse_strmap_find(const lapse_strmap *map, const char *key, size_t len)
{
    size_t unused;
    return probe(map, lapse_hash_bytes(key, len), key, len, &unused);
}

static void fill_slot(slot *s, uint32_t id, uint64_t hash, const char *key, size_t len)
{
    s->id_plus_one = id + 1;
    s->hash_tag = (uint32_t)(hash >> 32);
    if (len <= SLOT_INLINE_MAX) {
        s->inline_len = (uint8_t)len;
        memcpy(s->inline_key, key, len);
    } else {
        s->inline_len = SLOT_LONG_KEY;
    }
}

static int grow_slots(lapse_strmap *map)
{
    const size_t capacity = (map->slot_mask + 1) * 2;
    slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t id = 0; id < map->count; id++) {
        const key_ref ref = map->keys[id];
        const uint64_t hash = lapse_hash_bytes(ref.key, ref.len);
        size_t i = hash & (capacity - 1);
        while (slots[i].id_plus_one)
            i = (i + 1) & (capacity - 1);
        fill_slot(&slots[i], (uint32_t)id, hash, ref.key, ref.len);
    }
    free(map->slots);
    map->slots = slots;
    map->slot_mask = capacity - 1;
    return 0;
}

static const char *store_key(lapse_strmap *map, const char *key, size_t len)
{
    key_chunk *chunk = map->chunks;
    if (!chunk || chunk->capacity - chunk->used < len) {
        size_t capacity = !chunk                               ? KEY_CHUNK_FIRST_BYTES
                          : chunk->capacity < KEY_CHUNK_MAX_BYTES ? chunk->capacity * 2
                                                                  : KEY_CHUNK_MAX_BYTES;
        if (capacity < len)
            capacity = len;
        chunk = malloc(sizeof *chunk + capacity);
        if (!chunk)
            return NULL;
        chunk->next = map->chunks;
        chunk->used = 0;
        chunk->capacity = capacity;
        map->chunks = chunk;
    }
    char *copy = chunk->bytes + chunk->used;
    memcpy(copy, key, len);
    chunk->used += len;
    return copy;
}

int64_t lapse_strmap_intern(lapse_strmap *map, const char *key, size_t len, int *added)
{
    return lapse_strmap_intern_hash(map, lapse_hash_bytes(key, len), key, len, added);
}

int64_t lapse_strmap_intern_hash(lapse_strmap *map, uint64_t hash, const char *key, size_t len,
                                 int *added)
{
    size_t empty;
    int64_t id = probe(map, hash, key, len, &empty);
    if (added)
        *added = id < 0;
    if (id >= 0)
        return id;
    if (map->count >= UINT32_MAX - 1 || len > UINT32_MAX)
        return -1;
    if (map->count == map->keys_capacity) {
        const size_t capacity = map->keys_capacity ? map->keys_capacity * 2 : 256;
        key_ref *keys = realloc(map->keys, capacity * sizeof *keys);
        if (!keys)
            return -1;
        map->keys = keys;
        map->keys_capacity = capacity;
    }
    const char *copy = store_key(map, key, len);
    if (!copy)
        return -1;
    id = (int64_t)map->count++;
    map->keys[id] = (key_ref){ copy, (uint32_t)len };
    fill_slot(&map->slots[empty], (uint32_t)id, hash, copy, len);
    /* Keep the load under 1/2 so probe runs stay short. */
    if (map->count * 2 > map->slot_mask + 1 && grow_slots(map) != 0) {
        map->count--;
        map->slots[empty].id_plus_one = 0;
        return -1;
    }
    return id;
}
