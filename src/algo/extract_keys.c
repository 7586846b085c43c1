/* The check that the churn key can be seen at all: a log whose event names
 * the map does not list gives every event the category other, and extract
 * would label every user churned. */
#include "extract_internal.h"

#include "strmap.h"

#include <stdio.h>

#define TOP_NAMES 8 /* named in the refusal */

/* "; its most frequent event names: \"a\" (12 rows), ..." from the
 * parsers' counts merged, or "" when out of memory. */
static void most_frequent(char *out, size_t size, const reader_names *const *names, size_t n)
{
    out[0] = '\0';
    reader_names all;
    if (reader_names_init(&all) != LAPSE_OK)
        return;
    int status = LAPSE_OK;
    for (size_t i = 0; i < n && status == LAPSE_OK; i++)
        status = reader_names_merge(&all, names[i]);
    size_t top[TOP_NAMES];
    const size_t k = status == LAPSE_OK ? reader_names_top(&all, top, TOP_NAMES) : 0;
    size_t used = 0;
    for (size_t i = 0; i < k && used < size; i++) {
        size_t len;
        const char *name = lapse_strmap_key(all.ids, (int64_t)top[i], &len);
        char shown[LAPSE_READER_NAME_SHOWN];
        reader_escape(shown, sizeof shown, name, len);
        used += (size_t)snprintf(out + used, size - used, "%s\"%s\" (%lld row%s)",
                                 i ? ", " : "; its most frequent event names: ", shown,
                                 (long long)all.rows[top[i]], all.rows[top[i]] == 1 ? "" : "s");
    }
    reader_names_free(&all);
}

int extract_check_keys(const lapse_extract *x, const reader_names *const *names, size_t n,
                       const char *const *paths, size_t files, lapse_error *err)
{
    const lapse_reader_stats *r = &x->stats.reader;
    int64_t key_rows = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        if (x->churn.key_mask & 1u << c)
            key_rows += r->category_rows[c];
    if (key_rows > 0 || r->events == 0)
        return LAPSE_OK;
    char keys[128], frequent[TOP_NAMES * (LAPSE_READER_NAME_SHOWN + 24) + 48];
    lapse_churn_format_keys(keys, sizeof keys, x->churn.key_mask);
    most_frequent(frequent, sizeof frequent, names, n);
    return lapse_error_set(err, LAPSE_ERR_FORMAT, files == 1 ? paths[0] : NULL, 0, 0, -1,
                           "no event of the log maps to the key categories (%s): the category "
                           "map gives none of its %lld events to them (%lld are other%s). "
                           "'lapse inspect -o map.csv LOG...' lists every event name with its "
                           "rows and writes a draft mapping to check and pass as --events "
                           "map.csv",
                           keys, (long long)r->events, (long long)r->category_rows[LAPSE_CAT_OTHER],
                           frequent);
}
