/* A set of 64-bit keys (u64set.h). */
#include "u64set.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64's finaliser: nearby keys (one user's days) land far apart. */
static size_t slot_of(uint64_t key, size_t capacity)
{
    key ^= key >> 30;
    key *= UINT64_C(0xbf58476d1ce4e5b9);
    key ^= key >> 27;
    key *= UINT64_C(0x94d049bb133111eb);
    key ^= key >> 31;
    return (size_t)key & (capacity - 1);
}

static void insert(uint64_t *slots, size_t capacity, uint64_t key)
{
    size_t i = slot_of(key, capacity);
    while (slots[i] != U64SET_EMPTY)
        i = (i + 1) & (capacity - 1);
    slots[i] = key;
}

static int grow(u64set *set)
{
    const size_t capacity = set->capacity ? 2 * set->capacity : 16;
    if (capacity > SIZE_MAX / sizeof(uint64_t))
        return -1;
    uint64_t *slots = malloc(capacity * sizeof *slots);
    if (!slots)
        return -1;
    memset(slots, 0xff, capacity * sizeof *slots); /* every slot U64SET_EMPTY */
    for (size_t i = 0; i < set->capacity; i++)
        if (set->slots[i] != U64SET_EMPTY)
            insert(slots, capacity, set->slots[i]);
    free(set->slots);
    set->slots = slots;
    set->capacity = capacity;
    return 0;
}

void u64set_free(u64set *set)
{
    free(set->slots);
    *set = (u64set){ 0 };
}

int u64set_add(u64set *set, uint64_t key)
{
    if (set->capacity) {
        for (size_t i = slot_of(key, set->capacity);; i = (i + 1) & (set->capacity - 1)) {
            if (set->slots[i] == key)
                return 0;
            if (set->slots[i] == U64SET_EMPTY)
                break;
        }
    }
    if ((set->size + 1) * 4 > set->capacity * 3 && grow(set) != 0)
        return -1;
    insert(set->slots, set->capacity, key);
    set->size++;
    return 1;
}

void u64set_keys(const u64set *set, uint64_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < set->capacity; i++)
        if (set->slots[i] != U64SET_EMPTY)
            out[n++] = set->slots[i];
}
