/* The check that the churn key can be seen at all: a log whose event names
 * the map does not list gives every event the category other, and extract
 * would label every user churned. */
#include "extract_internal.h"

#include <stdio.h>

int extract_check_keys(const lapse_extract *x, const char *const *paths, size_t files,
                       lapse_error *err)
{
    const lapse_reader_stats *r = &x->stats.reader;
    int64_t key_rows = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        if (x->churn.key_mask & 1u << c)
            key_rows += r->category_rows[c];
    if (key_rows > 0 || r->events == 0)
        return LAPSE_OK;
    char keys[128], examples[LAPSE_READER_EXAMPLES * (LAPSE_READER_NAME_SHOWN + 4) + 8] = "";
    lapse_churn_format_keys(keys, sizeof keys, x->churn.key_mask);
    size_t used = 0;
    for (size_t i = 0; i < r->unknown_examples && used < sizeof examples; i++)
        used += (size_t)snprintf(examples + used, sizeof examples - used, "%s\"%s\"",
                                 i ? ", " : "; names it does not list include ",
                                 r->unknown_names[i]);
    return lapse_error_set(err, LAPSE_ERR_FORMAT, files == 1 ? paths[0] : NULL, 0, 0, -1,
                           "no event of the log maps to the key categories (%s): the category "
                           "map gives none of its %lld events to them (%lld are other%s). "
                           "'lapse inspect -o map.csv LOG...' lists every event name with its "
                           "rows and writes a draft mapping to check and pass as --events "
                           "map.csv",
                           keys, (long long)r->events, (long long)r->category_rows[LAPSE_CAT_OTHER],
                           examples);
}
