/* Event names -> the categories that features are built from.
 *
 * Logs name their events freely ("login", "AppOpen", "checkout_done"); the
 * extractor only sees categories. The built-in table covers common names; a
 * mapping file replaces it for a log with names of its own. */
#ifndef LAPSE_CATEGORY_H
#define LAPSE_CATEGORY_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_CAT_ACTIVITY, /* login, app open, session start */
    LAPSE_CAT_CORE,     /* use of the product's core feature */
    LAPSE_CAT_PURCHASE, /* a purchase or payment */
    LAPSE_CAT_COUPON,   /* a coupon or discount used */
    LAPSE_CAT_SOCIAL,   /* share, comment, like, message, follow, invite */
    LAPSE_CAT_CANCEL,   /* subscription cancelled */
    LAPSE_CAT_OTHER,    /* anything else, unknown names included */
    LAPSE_CAT_COUNT
} lapse_category;

/* "activity", "core", ...; NULL for an out-of-range value. */
const char *lapse_category_name(lapse_category category);

/* Parses a category name (exact, lower case). Returns 0 or LAPSE_ERR_FORMAT. */
int lapse_category_parse(lapse_category *out, const char *name, size_t len);

typedef struct lapse_category_map lapse_category_map;

/* The built-in mapping (listed in datasets/README.md). NULL when out of
 * memory. Free with lapse_category_map_free. */
lapse_category_map *lapse_category_map_default(void);

/* Loads a mapping file: CSV with the header `event,category` and one row per
 * event name. A record whose first field starts with '#' is a comment,
 * anywhere in the file (lapse inspect marks its guesses so). It replaces the built-in table entirely: names it does not
 * list map to `other`. Errors name the file, line and column. A name mapped
 * twice to different categories is an error naming both lines; twice to the
 * same category, a warning (lapse_log). */
int lapse_category_map_load(lapse_category_map **out, const char *path, lapse_error *err);

void lapse_category_map_free(lapse_category_map *map); /* accepts NULL */

/* A fingerprint of the mapping (its names and their categories, in any
 * order): extract --partial records it, so that states read with
 * different maps are not merged. */
uint64_t lapse_category_map_hash(const lapse_category_map *map);

/* The category of an event name, or LAPSE_CAT_OTHER when it is not listed
 * (*known is then 0; known may be NULL). Matching is exact: names are
 * case-sensitive. Read-only: several threads may look up at once. */
lapse_category lapse_category_lookup(const lapse_category_map *map, const char *name,
                                     size_t len, int *known);

/* lapse's guess at the category of an unlisted event name (lapse inspect
 * writes it into a draft mapping file). The name is cut into words at
 * anything but a letter or digit and where a lower-case letter meets an
 * upper-case one ("AppOpen" -> app, open); a keyword matches a word that
 * starts with it, ignoring case. The first category with a match wins:
 *   cancel:   cancel, unsubscribe
 *   purchase: buy, order, pay, checkout, purchase
 *   social:   share, like, comment, friend, message
 *   activity: login, open, session
 * Returns the category, or -1 when no keyword matches. */
int lapse_category_guess(const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif
