/* Rows per event name (reader_internal.h): ids from a string map, counts in
 * an array indexed by id. */
#include "reader_internal.h"

#include "strmap.h"

#include <stdlib.h>
#include <string.h>

int reader_names_init(reader_names *names)
{
    memset(names, 0, sizeof *names);
    names->max = READER_NAMES_MAX;
    names->ids = lapse_strmap_create();
    return names->ids ? LAPSE_OK : LAPSE_ERR_NOMEM;
}

void reader_names_free(reader_names *names)
{
    if (!names)
        return;
    lapse_strmap_free(names->ids);
    free(names->rows);
    memset(names, 0, sizeof *names);
}

/* The name's id, given one while under max; -1 past it or out of memory. */
int32_t reader_names_id(reader_names *names, const char *name, size_t len)
{
    int64_t id = lapse_strmap_find(names->ids, name, len);
    if (id >= 0 || lapse_strmap_size(names->ids) >= names->max)
        return (int32_t)id;
    id = lapse_strmap_intern(names->ids, name, len, NULL);
    if (id >= 0 && (size_t)id >= names->capacity) {
        const size_t capacity = names->capacity ? 2 * names->capacity : 64;
        int64_t *rows = realloc(names->rows, capacity * sizeof *rows);
        if (!rows)
            id = -1; /* interned without a count: later rows find it and fail alike */
        else {
            memset(rows + names->capacity, 0, (capacity - names->capacity) * sizeof *rows);
            names->rows = rows;
            names->capacity = capacity;
        }
    }
    if (id < 0 || (size_t)id >= names->capacity) {
        names->nomem = 1;
        return -1;
    }
    return (int32_t)id;
}

int reader_names_merge(reader_names *dst, const reader_names *src)
{
    const size_t n = lapse_strmap_size(src->ids);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *name = lapse_strmap_key(src->ids, (int64_t)i, &len);
        const int32_t id = reader_names_id(dst, name, len);
        if (id >= 0)
            dst->rows[id] += src->rows[i];
        else
            dst->other_rows += src->rows[i];
    }
    dst->other_rows += src->other_rows;
    return dst->nomem ? LAPSE_ERR_NOMEM : LAPSE_OK;
}

/* Whether name a ranks before name b: more rows, then bytes. */
static int ranks_before(const reader_names *names, size_t a, size_t b)
{
    if (names->rows[a] != names->rows[b])
        return names->rows[a] > names->rows[b];
    size_t la, lb;
    const char *x = lapse_strmap_key(names->ids, (int64_t)a, &la);
    const char *y = lapse_strmap_key(names->ids, (int64_t)b, &lb);
    const int order = memcmp(x, y, la < lb ? la : lb);
    return order ? order < 0 : la < lb;
}

size_t reader_names_top(const reader_names *names, size_t *ids, size_t k)
{
    size_t n = lapse_strmap_size(names->ids);
    if (n > names->capacity)
        n = names->capacity; /* the last id has no count (out of memory) */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at = kept < k ? kept++ : k;
        while (at > 0 && ranks_before(names, i, ids[at - 1])) {
            if (at < k)
                ids[at] = ids[at - 1];
            at--;
        }
        if (at < k)
            ids[at] = i;
    }
    return kept;
}
