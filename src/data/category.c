#include "lapse/category.h"

#include "input.h"
#include "strmap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const category_names[LAPSE_CAT_COUNT] = {
    "activity", "core", "purchase", "coupon", "social", "cancel", "other",
};

struct lapse_category_map {
    lapse_strmap *names;
    unsigned char *categories; /* indexed by the strmap id */
    size_t capacity;
};

/* Names the built-in table knows; datasets/README.md lists the same. */
static const struct {
    const char *name;
    lapse_category category;
} default_names[] = {
    { "login", LAPSE_CAT_ACTIVITY },         { "app_open", LAPSE_CAT_ACTIVITY },
    { "session_start", LAPSE_CAT_ACTIVITY }, { "open", LAPSE_CAT_ACTIVITY },
    { "visit", LAPSE_CAT_ACTIVITY },         { "core_use", LAPSE_CAT_CORE },
    { "feature_use", LAPSE_CAT_CORE },       { "play", LAPSE_CAT_CORE },
    { "watch", LAPSE_CAT_CORE },             { "listen", LAPSE_CAT_CORE },
    { "search", LAPSE_CAT_CORE },            { "view_item", LAPSE_CAT_CORE },
    { "purchase", LAPSE_CAT_PURCHASE },      { "order", LAPSE_CAT_PURCHASE },
    { "payment", LAPSE_CAT_PURCHASE },       { "buy", LAPSE_CAT_PURCHASE },
    { "renewal", LAPSE_CAT_PURCHASE },       { "coupon_use", LAPSE_CAT_COUPON },
    { "coupon", LAPSE_CAT_COUPON },          { "discount", LAPSE_CAT_COUPON },
    { "share", LAPSE_CAT_SOCIAL },           { "comment", LAPSE_CAT_SOCIAL },
    { "like", LAPSE_CAT_SOCIAL },            { "message", LAPSE_CAT_SOCIAL },
    { "follow", LAPSE_CAT_SOCIAL },          { "invite", LAPSE_CAT_SOCIAL },
    { "cancel", LAPSE_CAT_CANCEL },          { "unsubscribe", LAPSE_CAT_CANCEL },
    { "subscription_cancel", LAPSE_CAT_CANCEL },
    /* Common names that mean nothing for churn: known, so not reported. */
    { "page_view", LAPSE_CAT_OTHER },        { "scroll", LAPSE_CAT_OTHER },
    { "notification_open", LAPSE_CAT_OTHER },
};

const char *lapse_category_name(lapse_category category)
{
    return (unsigned)category < LAPSE_CAT_COUNT ? category_names[category] : NULL;
}

int lapse_category_parse(lapse_category *out, const char *name, size_t len)
{
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        if (strlen(category_names[c]) == len && memcmp(category_names[c], name, len) == 0) {
            *out = (lapse_category)c;
            return LAPSE_OK;
        }
    }
    return LAPSE_ERR_FORMAT;
}

static lapse_category_map *map_create(void)
{
    lapse_category_map *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->names = lapse_strmap_create();
    if (!map->names) {
        free(map);
        return NULL;
    }
    return map;
}

void lapse_category_map_free(lapse_category_map *map)
{
    if (!map)
        return;
    lapse_strmap_free(map->names);
    free(map->categories);
    free(map);
}

/* Adds a name, or re-maps one already there. */
static int map_put(lapse_category_map *map, const char *name, size_t len,
                   lapse_category category)
{
    const int64_t id = lapse_strmap_intern(map->names, name, len, NULL);
    if (id < 0)
        return LAPSE_ERR_NOMEM;
    if ((size_t)id >= map->capacity) {
        const size_t capacity = map->capacity ? map->capacity * 2 : 64;
        unsigned char *categories = realloc(map->categories, capacity);
        if (!categories)
            return LAPSE_ERR_NOMEM;
        map->categories = categories;
        map->capacity = capacity;
    }
    map->categories[id] = (unsigned char)category;
    return LAPSE_OK;
}

lapse_category_map *lapse_category_map_default(void)
{
    lapse_category_map *map = map_create();
    if (!map)
        return NULL;
    for (size_t i = 0; i < sizeof default_names / sizeof default_names[0]; i++) {
        const char *name = default_names[i].name;
        if (map_put(map, name, strlen(name), default_names[i].category) != LAPSE_OK) {
            lapse_category_map_free(map);
            return NULL;
        }
    }
    return map;
}

lapse_category lapse_category_lookup(const lapse_category_map *map, const char *name,
                                     size_t len, int *known)
{
    const int64_t id = lapse_strmap_find(map->names, name, len);
    if (known)
        *known = id >= 0;
    return id >= 0 ? (lapse_category)map->categories[id] : LAPSE_CAT_OTHER;
}

uint64_t lapse_category_map_hash(const lapse_category_map *map)
{
    uint64_t sum = 0; /* a sum of one hash per entry: any order gives the same */
    for (size_t id = 0; id < lapse_strmap_size(map->names); id++) {
        size_t len;
        const char *name = lapse_strmap_key(map->names, (int64_t)id, &len);
        sum += lapse_hash_bytes(name, len) * (2u * map->categories[id] + 1u);
    }
    return sum;
}

/* Keywords of lapse_category_guess, the first category first. The core
 * words are what learning, media and game logs call their product's use
 * (a MOOC's video and problem, a music service's NextSong); the activity
 * words after login are visits that say no more than "was here". */
static const struct {
    lapse_category category;
    const char *words[10];
} guess_rules[] = {
    { LAPSE_CAT_CANCEL, { "cancel", "unsubscribe" } },
    { LAPSE_CAT_PURCHASE, { "buy", "order", "pay", "checkout", "purchase" } },
    { LAPSE_CAT_SOCIAL,
      { "share", "like", "comment", "friend", "message", "discussion", "forum", "follow", "invite" } },
    { LAPSE_CAT_CORE,
      { "video", "watch", "play", "song", "listen", "problem", "quiz", "lesson", "level" } },
    { LAPSE_CAT_ACTIVITY, { "login", "open", "session", "access", "navigate", "visit", "launch" } },
};

/* Whether the word name[at..] starts with keyword (ignoring case). */
static int word_starts_with(const char *name, size_t len, size_t at, const char *keyword)
{
    const size_t n = strlen(keyword);
    if (len - at < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char c = (unsigned char)name[at + i];
        if (tolower(c) != keyword[i] || (i > 0 && islower((unsigned char)name[at + i - 1]) &&
                                         isupper(c)))
            return 0; /* another letter, or a new camelCase word */
    }
    return 1;
}

int lapse_category_guess(const char *name, size_t len)
{
    for (size_t r = 0; r < sizeof guess_rules / sizeof guess_rules[0]; r++)
        for (size_t at = 0; at < len; at++) {
            const unsigned char c = (unsigned char)name[at], before = at ? (unsigned char)name[at - 1] : 0;
            const int word_start = isalnum(c) && (at == 0 || !isalnum(before) ||
                                                  (islower(before) && isupper(c)));
            if (!word_start)
                continue;
            for (size_t w = 0; guess_rules[r].words[w]; w++)
                if (word_starts_with(name, len, at, guess_rules[r].words[w]))
                    return (int)guess_rules[r].category;
        }
    return -1;
}

/* A mapping row holds a name of at most 256 bytes and a category; one
 * this long is not a mapping file. */
#define MAX_MAPPING_ROW_BYTES (1 << 20)

/* State of one pass over a mapping file. */
typedef struct {
    lapse_category_map *map;
    lapse_error *err;
    char event[257];
    size_t event_len;
    int saw_category;
    int comment;     /* the record being read starts with '#' */
    int64_t records; /* records read, comments left out */
    int64_t *lines; /* the line mapping each name, by its id in map */
    size_t lines_capacity;
} mapping_parse;

/* A name mapped before: the same category again is harmless (a warning);
 * another one is an error naming both lines. Else remembers the line. */
static int check_repeat(mapping_parse *p, const char *path, int64_t row, int column,
                        lapse_category category)
{
    const int64_t id = lapse_strmap_find(p->map->names, p->event, p->event_len);
    const int shown = (int)(p->event_len > 64 ? 64 : p->event_len);
    if (id >= 0 && p->map->categories[id] != category)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                               "event \"%.*s\" is mapped on line %lld (to %s) and again on "
                               "line %lld (to %s); map each event once",
                               shown, p->event, (long long)p->lines[id],
                               category_names[p->map->categories[id]], (long long)row,
                               category_names[category]);
    if (id >= 0) {
        lapse_log(LAPSE_LOG_WARN, "%s:%lld: event \"%.*s\" is mapped again, as on line %lld",
                  path, (long long)row, shown, p->event, (long long)p->lines[id]);
        return 1;
    }
    return LAPSE_OK;
}

static int mapping_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    mapping_parse *p = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t row = lapse_input_csv_line(csv);
    const int column = lapse_input_csv_fields(csv) + 1;
    if (column == 1)
        p->comment = len > 0 && text[0] == '#';
    if (p->comment)
        return LAPSE_OK;
    if (p->records == 0) {
        static const char *const header[2] = { "event", "category" };
        if (column > 2 || len != strlen(header[column - 1]) ||
            memcmp(text, header[column - 1], len) != 0)
            return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                                   "mapping file header must be \"event,category\"");
        return LAPSE_OK;
    }
    if (column == 1) {
        if (len == 0 || len >= sizeof p->event)
            return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                                   "event name must be 1 to %zu bytes", sizeof p->event - 1);
        memcpy(p->event, text, len);
        p->event_len = len;
        return LAPSE_OK;
    }
    if (column > 2)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                               "mapping rows have 2 fields, this one has more");
    lapse_category category;
    if (lapse_category_parse(&category, text, len) != LAPSE_OK)
        return lapse_error_set(
            p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
            "unknown category \"%.*s\" (expected activity, core, purchase, coupon, social, "
            "cancel or other)",
            (int)(len > 64 ? 64 : len), text);
    p->saw_category = 1;
    const int repeat = check_repeat(p, path, row, column, category);
    if (repeat != LAPSE_OK)
        return repeat < 0 ? repeat : LAPSE_OK;
    const size_t id = lapse_strmap_size(p->map->names);
    if (id >= p->lines_capacity) {
        const size_t capacity = p->lines_capacity ? 2 * p->lines_capacity : 64;
        int64_t *lines = realloc(p->lines, capacity * sizeof *lines);
        if (!lines)
            return lapse_error_set(p->err, LAPSE_ERR_NOMEM, path, row, column, -1,
                                   "out of memory");
        p->lines = lines;
        p->lines_capacity = capacity;
    }
    p->lines[id] = row;
    if (map_put(p->map, p->event, p->event_len, category) != LAPSE_OK)
        return lapse_error_set(p->err, LAPSE_ERR_NOMEM, path, row, column, -1, "out of memory");
    return LAPSE_OK;
}

static int mapping_row(const lapse_input_csv *csv, void *user)
{
    mapping_parse *p = user;
    const char *path = lapse_input_csv_path(csv);
    const int fields = lapse_input_csv_fields(csv);
    if (p->comment) {
        p->comment = 0;
        return LAPSE_OK;
    }
    const int header = p->records++ == 0;
    const int saw_category = p->saw_category;
    p->saw_category = 0;
    if (!header && !saw_category)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, lapse_input_csv_line(csv),
                               fields + 1, -1, "mapping rows have 2 fields, this one has %d",
                               fields);
    if (header && fields != 2)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, 1, fields + 1, -1,
                               "mapping file header must be \"event,category\"");
    return LAPSE_OK;
}

int lapse_category_map_load(lapse_category_map **out, const char *path, lapse_error *err)
{
    /* libcsv grows fields 128 bytes at a time */
    const lapse_input_csv_options opts = { .delimiter = ',', .block_bytes = 65536 };
    lapse_category_map *map = map_create();
    if (!map)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    mapping_parse p = { .map = map, .err = err };
    lapse_input_csv *csv = NULL;
    int status = lapse_input_csv_open(&csv, path, &opts, mapping_field, mapping_row, &p, err);
    while (status == LAPSE_OK && (status = lapse_input_csv_step(csv, err)) > 0) {
        status = LAPSE_OK;
        /* libcsv keeps a field whole until it ends: without a bound, a file
         * with no line end (/dev/zero, a binary) would take all memory. */
        if (lapse_input_csv_open_field_bytes(csv) > MAX_MAPPING_ROW_BYTES)
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, lapse_input_csv_line(csv),
                                     lapse_input_csv_fields(csv) + 1, -1,
                                     "row longer than %d bytes (an event name has at most "
                                     "%zu)",
                                     MAX_MAPPING_ROW_BYTES, sizeof p.event - 1);
    }
    if (status == LAPSE_OK && p.records == 0)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "empty mapping file (expected the header event,category)");
    lapse_input_csv_close(csv);
    free(p.lines);
    if (status != LAPSE_OK) {
        lapse_category_map_free(map);
        return status;
    }
    *out = map;
    return LAPSE_OK;
}
