#include "rowset.h"

#include <pthread.h>
#include <stdlib.h>

#define SHARD_BITS 8
#define SHARDS (1u << SHARD_BITS)

/* A hash and its position side by side: a probe touches one cache line. */
typedef struct {
    uint64_t key; /* 0 = empty; a hash of 0 is stored as 1 */
    uint64_t pos;
} slot;

typedef struct {
    pthread_mutex_t lock;
    slot *slots;
    size_t capacity, len; /* capacity: 0 or a power of 2 */
} shard;

/* Padded to whole cache lines, so threads on different shards do not share one. */
typedef struct {
    shard s;
    char pad[(64 - sizeof(shard) % 64) % 64];
} padded_shard;

struct lapse_rowset {
    padded_shard shards[SHARDS];
};

lapse_rowset *lapse_rowset_create(void)
{
    lapse_rowset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    for (size_t i = 0; i < SHARDS; i++)
        pthread_mutex_init(&set->shards[i].s.lock, NULL);
    return set;
}

void lapse_rowset_free(lapse_rowset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < SHARDS; i++) {
        pthread_mutex_destroy(&set->shards[i].s.lock);
        free(set->shards[i].s.slots);
    }
    free(set);
}

static uint64_t key_of(uint64_t hash)
{
    return hash ? hash : 1;
}

static unsigned shard_of(uint64_t key)
{
    return (unsigned)(key >> (64 - SHARD_BITS));
}

/* The top bits chose the shard; the slot comes from the low ones. */
static size_t home(uint64_t key, size_t capacity)
{
    return (size_t)(key & (capacity - 1));
}

static int grow(shard *s)
{
    const size_t capacity = s->capacity ? s->capacity * 2 : 1024;
    slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->capacity; i++) {
        if (!s->slots[i].key)
            continue;
        size_t at = home(s->slots[i].key, capacity);
        while (slots[at].key)
            at = (at + 1) & (capacity - 1);
        slots[at] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->capacity = capacity;
    return 0;
}

/* Adds key at pos to s, whose lock the caller holds; as lapse_rowset_add. */
static int shard_add(shard *s, uint64_t key, uint64_t pos, uint64_t *earliest)
{
    if (4 * (s->len + 1) > 3 * s->capacity && grow(s) != 0)
        return -1;
    size_t at = home(key, s->capacity);
    while (s->slots[at].key && s->slots[at].key != key)
        at = (at + 1) & (s->capacity - 1);
    slot *found = &s->slots[at];
    if (found->key) {
        *earliest = found->pos;
        if (pos < found->pos)
            found->pos = pos;
        return 1;
    }
    *found = (slot){ key, pos };
    s->len++;
    return 0;
}

int lapse_rowset_add(lapse_rowset *set, uint64_t hash, uint64_t pos, uint64_t *earliest)
{
    const uint64_t key = key_of(hash);
    shard *s = &set->shards[shard_of(key)].s;
    pthread_mutex_lock(&s->lock);
    const int found = shard_add(s, key, pos, earliest);
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* Rows looked up ahead of the one added: a table of millions of rows is
 * far bigger than the caches, so each add would otherwise wait on memory. */
#define PREFETCH_AHEAD 16

static void prefetch(const shard *s, uint64_t hash)
{
    if (s->capacity)
        __builtin_prefetch(&s->slots[home(key_of(hash), s->capacity)]);
}

int lapse_rowset_add_batch(lapse_rowset *set, lapse_rowset_row *rows, size_t n)
{
    if (n == 0)
        return 0;
    /* The rows in shard order, each shard's in the order given (a counting
     * sort), so each shard sees the adds one by one would make. */
    size_t start[SHARDS + 1] = { 0 };
    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < n; i++)
        start[shard_of(key_of(rows[i].hash)) + 1]++;
    for (unsigned b = 0; b < SHARDS; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++)
        order[start[shard_of(key_of(rows[i].hash))]++] = i;
    /* The starts moved to the ends: shard b's rows end at start[b]. */
    int status = 0;
    size_t from = 0;
    for (unsigned b = 0; b < SHARDS && status == 0; b++) {
        const size_t to = start[b];
        if (from == to)
            continue;
        shard *s = &set->shards[b].s;
        pthread_mutex_lock(&s->lock);
        for (size_t i = from; i < to && i < from + PREFETCH_AHEAD; i++)
            prefetch(s, rows[order[i]].hash);
        for (size_t i = from; i < to; i++) {
            if (i + PREFETCH_AHEAD < to)
                prefetch(s, rows[order[i + PREFETCH_AHEAD]].hash);
            lapse_rowset_row *row = &rows[order[i]];
            const int found = shard_add(s, key_of(row->hash), row->pos, &row->earliest);
            if (found < 0) {
                status = -1;
                break;
            }
            if (!found)
                row->earliest = UINT64_MAX;
        }
        pthread_mutex_unlock(&s->lock);
        from = to;
    }
    free(order);
    return status;
}

void lapse_rowset_each(const lapse_rowset *set, void (*fn)(uint64_t hash, uint64_t pos, void *user),
                       void *user)
{
    for (size_t i = 0; i < SHARDS; i++) {
        const shard *s = &set->shards[i].s;
        for (size_t k = 0; k < s->capacity; k++)
            if (s->slots[k].key)
                fn(s->slots[k].key, s->slots[k].pos, user);
    }
}
