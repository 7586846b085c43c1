#include "rowset.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARD_BITS 8
#define SHARDS (1u << SHARD_BITS)

/* A hash and its position side by side: a probe touches one cache line. */
typedef struct {
    uint64_t key; /* 0 = empty; a hash of 0 is stored as 1 */
    uint64_t pos;
} slot;

/* Deferred rows, in blocks: appending never moves those already kept. */
#define BLOCK_ROWS 1024
typedef struct block {
    struct block *next;
    size_t len;
    lapse_rowset_row rows[BLOCK_ROWS];
} block;

typedef struct {
    pthread_mutex_t lock;
    slot *slots;
    size_t capacity, len; /* capacity: 0 or a power of 2 */
    block *deferred, *last; /* first and last block; NULL when none */
    size_t deferred_len;
} shard;

/* Padded to whole cache lines, so threads on different shards do not share one. */
typedef struct {
    shard s;
    char pad[(64 - sizeof(shard) % 64) % 64];
} padded_shard;

struct lapse_rowset {
    padded_shard shards[SHARDS];
};

static void free_blocks(shard *s)
{
    for (block *b = s->deferred, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    s->deferred = s->last = NULL;
    s->deferred_len = 0;
}

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
        free_blocks(&set->shards[i].s);
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

static int grow_to(shard *s, size_t capacity)
{
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

/* The capacity a table of len hashes grows to: at most 3/4 full. */
static size_t capacity_for(size_t len)
{
    size_t capacity = 1024;
    while (4 * len > 3 * capacity)
        capacity *= 2;
    return capacity;
}

/* Adds key at pos to slots (capacity of them, a power of 2, with room for
 * one more): 0 when new, else 1 with *earliest as lapse_rowset_add's. */
static inline int table_add(slot *slots, size_t capacity, uint64_t key, uint64_t pos,
                            uint64_t *earliest)
{
    size_t at = home(key, capacity);
    while (slots[at].key && slots[at].key != key)
        at = (at + 1) & (capacity - 1);
    slot *found = &slots[at];
    if (found->key) {
        *earliest = found->pos;
        if (pos < found->pos)
            found->pos = pos;
        return 1;
    }
    *found = (slot){ key, pos };
    return 0;
}

/* Adds key at pos to s, whose lock the caller holds; as lapse_rowset_add. */
static int shard_add(shard *s, uint64_t key, uint64_t pos, uint64_t *earliest)
{
    if (4 * (s->len + 1) > 3 * s->capacity && grow_to(s, capacity_for(s->len + 1)) != 0)
        return -1;
    const int found = table_add(s->slots, s->capacity, key, pos, earliest);
    s->len += !found;
    return found;
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

/* Appends rows[0..n) to s's deferred rows; the caller holds its lock. */
static int shard_defer(shard *s, const lapse_rowset_row *rows, size_t n)
{
    while (n > 0) {
        if (!s->last || s->last->len == BLOCK_ROWS) {
            block *b = malloc(sizeof *b);
            if (!b)
                return -1;
            b->next = NULL;
            b->len = 0;
            *(s->last ? &s->last->next : &s->deferred) = b;
            s->last = b;
        }
        block *b = s->last;
        const size_t take = BLOCK_ROWS - b->len < n ? BLOCK_ROWS - b->len : n;
        memcpy(b->rows + b->len, rows, take * sizeof *rows);
        b->len += take;
        s->deferred_len += take;
        rows += take;
        n -= take;
    }
    return 0;
}

int lapse_rowset_defer(lapse_rowset *set, const lapse_rowset_row *rows, size_t n)
{
    if (n == 0)
        return 0;
    /* The rows by shard (a counting sort), so each shard is locked once. */
    size_t start[SHARDS + 1] = { 0 };
    lapse_rowset_row *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        start[shard_of(key_of(rows[i].hash)) + 1]++;
    for (unsigned b = 0; b < SHARDS; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++)
        sorted[start[shard_of(key_of(rows[i].hash))]++] = rows[i];
    /* The starts moved to the ends: shard b's rows end at start[b]. */
    int status = 0;
    size_t from = 0;
    for (unsigned b = 0; b < SHARDS && status == 0; b++) {
        const size_t to = start[b];
        if (from == to)
            continue;
        shard *s = &set->shards[b].s;
        pthread_mutex_lock(&s->lock);
        status = shard_defer(s, sorted + from, to - from);
        pthread_mutex_unlock(&s->lock);
        from = to;
    }
    free(sorted);
    return status;
}

/* Rows looked up ahead of the one added: a table may be bigger than the
 * caches, so each add would otherwise wait on memory. */
#define PREFETCH_AHEAD 16

int lapse_rowset_settle(lapse_rowset *set, int keep,
                        void (*repeat)(uint64_t pos, uint64_t earliest, void *user), void *user)
{
    /* Not kept, the hashes of each shard go to one table used again. */
    slot *scratch = NULL;
    size_t scratch_capacity = 0;
    for (size_t i = 0; i < SHARDS; i++) {
        shard *s = &set->shards[i].s;
        if (!s->deferred_len)
            continue;
        const size_t need = capacity_for(s->len + s->deferred_len);
        const int own = keep || s->len;
        if (own && need > s->capacity && grow_to(s, need) != 0)
            goto nomem;
        if (!own && need > scratch_capacity) {
            free(scratch);
            if (!(scratch = malloc(need * sizeof *scratch)))
                goto nomem;
            scratch_capacity = need;
        }
        if (!own)
            memset(scratch, 0, need * sizeof *scratch);
        slot *slots = own ? s->slots : scratch;
        const size_t capacity = own ? s->capacity : need;
        size_t added = 0;
        for (const block *b = s->deferred; b; b = b->next)
            for (size_t r = 0; r < b->len; r++) {
                if (r + PREFETCH_AHEAD < b->len)
                    __builtin_prefetch(
                        &slots[home(key_of(b->rows[r + PREFETCH_AHEAD].hash), capacity)]);
                uint64_t earliest;
                if (table_add(slots, capacity, key_of(b->rows[r].hash), b->rows[r].pos, &earliest))
                    repeat(b->rows[r].pos, earliest, user);
                else
                    added++;
            }
        if (own)
            s->len += added;
        free_blocks(s);
        if (own && !keep) {
            free(s->slots);
            s->slots = NULL;
            s->capacity = s->len = 0;
        }
    }
    free(scratch);
    return 0;
nomem:
    free(scratch);
    return -1;
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
