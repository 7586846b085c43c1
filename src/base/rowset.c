#include "rowset.h"

#include <pthread.h>
#include <stdlib.h>

#define SHARD_BITS 8
#define SHARDS (1u << SHARD_BITS)

typedef struct {
    pthread_mutex_t lock;
    uint64_t *keys; /* 0 = empty; a hash of 0 is stored as 1 */
    uint64_t *pos;
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
        free(set->shards[i].s.keys);
        free(set->shards[i].s.pos);
    }
    free(set);
}

/* The top bits chose the shard; the slot comes from the low ones. */
static size_t home(uint64_t key, size_t capacity)
{
    return (size_t)(key & (capacity - 1));
}

static int grow(shard *s)
{
    const size_t capacity = s->capacity ? s->capacity * 2 : 1024;
    uint64_t *keys = calloc(capacity, sizeof *keys);
    uint64_t *pos = malloc(capacity * sizeof *pos);
    if (!keys || !pos) {
        free(keys);
        free(pos);
        return -1;
    }
    for (size_t i = 0; i < s->capacity; i++) {
        if (!s->keys[i])
            continue;
        size_t at = home(s->keys[i], capacity);
        while (keys[at])
            at = (at + 1) & (capacity - 1);
        keys[at] = s->keys[i];
        pos[at] = s->pos[i];
    }
    free(s->keys);
    free(s->pos);
    s->keys = keys;
    s->pos = pos;
    s->capacity = capacity;
    return 0;
}

int lapse_rowset_add(lapse_rowset *set, uint64_t hash, uint64_t pos, uint64_t *earliest)
{
    const uint64_t key = hash ? hash : 1;
    shard *s = &set->shards[key >> (64 - SHARD_BITS)].s;
    int found = 0;
    pthread_mutex_lock(&s->lock);
    if (4 * (s->len + 1) > 3 * s->capacity && grow(s) != 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    size_t at = home(key, s->capacity);
    while (s->keys[at] && s->keys[at] != key)
        at = (at + 1) & (s->capacity - 1);
    if (s->keys[at]) {
        found = 1;
        *earliest = s->pos[at];
        if (pos < s->pos[at])
            s->pos[at] = pos;
    } else {
        s->keys[at] = key;
        s->pos[at] = pos;
        s->len++;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void lapse_rowset_each(const lapse_rowset *set, void (*fn)(uint64_t hash, uint64_t pos, void *user),
                       void *user)
{
    for (size_t i = 0; i < SHARDS; i++) {
        const shard *s = &set->shards[i].s;
        for (size_t k = 0; k < s->capacity; k++)
            if (s->keys[k])
                fn(s->keys[k], s->pos[k], user);
    }
}
