/* Chunks of JSON lines -> events, with yajl's event parser (libyajl-dev).
 *
 * One object a line; lapse's columns are found by key, nested keys by a
 * dot-separated path (--col amount=properties.revenue). A value is its
 * string's bytes, or a number's text as written (a boolean "true" or
 * "false"); null counts as absent. The values then go through the same
 * checks as CSV fields. A line that is not one JSON object is a bad row
 * located at the byte where parsing stopped. A chunk goes to yajl in one
 * call (fast_pass), its objects' lines told by the line ends between them;
 * from anything but one object a line on, its lines are fed one at a time,
 * so every bad row is judged and located on its own line as before.
 *
 * yajl, not json-c: json-c builds a tree per line (a hash table per object,
 * a string per value) and switches the thread's locale on every call; its
 * tokener alone parsed JSON lines 2.6x as fast as python's json.loads, less
 * than the 5x asked of the whole extract (bench/RESULTS.md). yajl calls back
 * for each key and value with nothing allocated, and one handle reads every
 * line of a chunk (as multiple values), so only the keys lapse maps are
 * looked at and a line costs its bytes. Its upstream has made no release
 * since 2.1.0 (2014); Debian carries its fixes (bookworm: 2.1.0-3+deb12u2,
 * CVE-2023-33460), and that is the maintenance this reader relies on. */
#include "reader_internal.h"

#include <yajl/yajl_parse.h>

#include <stdlib.h>
#include <string.h>

/* Keys tried in order when --col does not name one: lapse's own name, then
 * those of common exports (Segment, Firebase/GA, web servers). The terms of
 * an amount's product have none: they are read only when named. */
static const char *const default_keys[LAPSE_COL_COUNT][READER_JSON_PATHS] = {
    { "user_id", "userId", "user" },
    { "ts", "timestamp", "time" },
    { "event", "event_name", "type" },
    { "amount", "revenue", "properties.revenue" },
    { "session_id", "sessionId", NULL },
    { "device_id", "deviceId", NULL },
    { NULL, NULL, NULL },
    { NULL, NULL, NULL },
};

/* Candidate k is paths[k / READER_JSON_PATHS][k % READER_JSON_PATHS]; sets
 * of them are bit masks. */
#define CANDIDATES (LAPSE_COL_COUNT * READER_JSON_PATHS)
_Static_assert(CANDIDATES <= 32, "candidate masks are 32 bits");

static int set_path(reader_json_path *path, const char *dotted)
{
    const size_t len = strlen(dotted);
    path->keys = malloc(len + 1);
    if (!path->keys)
        return LAPSE_ERR_NOMEM;
    memcpy(path->keys, dotted, len + 1);
    path->depth = 0;
    for (char *key = path->keys;; key++) {
        if (path->depth == READER_JSON_DEPTH)
            return LAPSE_ERR_ARG;
        char *dot = strchr(key, '.');
        path->key[path->depth] = key;
        path->len[path->depth++] = dot ? (size_t)(dot - key) : strlen(key);
        if (!dot)
            return LAPSE_OK;
        *dot = '\0';
        key = dot;
    }
}

int reader_json_columns(reader_columns *cols, const char *path, const lapse_reader_options *opts,
                        lapse_error *err)
{
    cols->path = path;
    cols->field_count = 0;
    cols->squeeze = 0;
    cols->delimiter = ',';
    cols->strict_users = opts->strict_users;
    cols->event = opts->event;
    cols->product = opts->columns[LAPSE_COL_QTY] != NULL;
    for (int c = 0; c < LAPSE_COL_COUNT; c++) {
        if (c == LAPSE_COL_EVENT && opts->event)
            continue; /* every row's event is opts->event; the keys are not read */
        if (c == LAPSE_COL_AMOUNT && cols->product)
            continue; /* the amount is qty x price */
        for (int i = 0; i < READER_JSON_PATHS; i++) {
            const char *key = opts->columns[c] ? (i == 0 ? opts->columns[c] : NULL)
                                               : default_keys[c][i];
            const int status = key ? set_path(&cols->paths[c][i], key) : LAPSE_OK;
            if (status != LAPSE_OK) {
                reader_columns_free(cols);
                return status == LAPSE_ERR_ARG
                           ? lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                                             "--col %s=%s: a key path has at most %d keys",
                                             lapse_reader_column_name((lapse_column)c), key,
                                             READER_JSON_DEPTH)
                           : lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1,
                                             "out of memory");
            }
        }
    }
    return LAPSE_OK;
}

typedef enum { V_NONE, V_TEXT, V_OBJECT, V_ARRAY } value_kind;

/* A direct-mapped cache of the keys met and the candidates each matches at
 * its depth: a log repeats a dozen keys on every line, and comparing each
 * with every candidate cost more than yajl's parse (bench/RESULTS.md).
 * Keys up to 24 bytes are cached; a slot is 32 bytes. */
#define KEY_CACHE 64 /* a power of 2 */
typedef struct {
    uint8_t len_plus_one; /* 0 = empty */
    uint8_t depth;
    char key[24];
    uint32_t matches;
} key_slot;
_Static_assert(sizeof(key_slot) == 32, "a key slot is 32 bytes");

/* A line being read: where the parser is in it, and the values found. */
struct reader_json {
    yajl_handle yajl;
    reader_parser *p;
    int depth;             /* containers open: 1 inside the line's object */
    uint32_t live[READER_JSON_DEPTH + 1]; /* candidates that may match inside depth d */
    const reader_columns *cols; /* the chunk's file's, which the caches below are of */
    uint32_t all;          /* all_candidates(cols) */
    uint32_t ends_at[READER_JSON_DEPTH + 1]; /* candidates whose last key is at depth d */
    key_slot keys[KEY_CACHE];
    uint32_t keyed;        /* candidates the last key matched, at the current depth */
    uint32_t ending;       /* those of them whose path ends here: a value fills them.
                            * 0 in arrays and after a container, which reset keyed */
    const char *line;      /* the text being parsed, whose bytes the values may point to */
    size_t line_len;
    /* The fast pass: the whole chunk in one call, each object's line told
     * by the line ends between objects (fast_pass). */
    int fast;
    int stopped;           /* it met something not one object a line */
    size_t start, prev_end; /* the object's '{'; just after the last '}' (0 at first) */
    int64_t at_line;       /* the line prev_end is on */
    int pending;           /* an object read, taken once its line ends cleanly */
    int64_t pending_line;
    size_t resume_pos;     /* where the lines not taken yet start */
    int64_t resume_line;
    int ended;             /* the line's object has ended */
    const char *not_object; /* the line's value is no object: its JSON type */
    int trailing;          /* a second value follows the object */
    int nomem;
    /* Per column present (bit c of present): the candidate found, what it
     * holds, and a value's text: in the line, or copied to a buffer kept
     * (a string yajl unescaped lives only as long as its callback). */
    unsigned present;
    int found[LAPSE_COL_COUNT];
    value_kind kind[LAPSE_COL_COUNT];
    const char *text[LAPSE_COL_COUNT];
    size_t len[LAPSE_COL_COUNT];
    char *copy[LAPSE_COL_COUNT];
    size_t capacity[LAPSE_COL_COUNT];
};

static uint32_t all_candidates(const reader_columns *cols)
{
    uint32_t all = 0;
    for (int k = 0; k < CANDIDATES; k++)
        if (cols->paths[k / READER_JSON_PATHS][k % READER_JSON_PATHS].keys)
            all |= 1u << k;
    return all;
}

static const reader_json_path *candidate(const reader_columns *cols, int k)
{
    return &cols->paths[k / READER_JSON_PATHS][k % READER_JSON_PATHS];
}

/* Copies len bytes of text, NUL-terminated, into column c's buffer; 0, or
 * -1 when out of memory. */
static int keep_copy(struct reader_json *j, int c, const char *text, size_t len)
{
    if (len + 1 > j->capacity[c]) {
        char *grown = realloc(j->copy[c], len + 1);
        if (!grown)
            return -1;
        j->copy[c] = grown;
        j->capacity[c] = len + 1;
    }
    memcpy(j->copy[c], text, len);
    j->copy[c][len] = '\0';
    j->text[c] = j->copy[c];
    return 0;
}

static void record(struct reader_json *j, int k, value_kind kind, const char *text, size_t len)
{
    const int c = k / READER_JSON_PATHS, i = k % READER_JSON_PATHS;
    if ((j->present >> c & 1u) && i > j->found[c])
        return; /* an earlier candidate of the column is present */
    j->present |= 1u << c;
    j->found[c] = i;
    j->kind[c] = kind;
    if (kind != V_TEXT)
        return;
    j->len[c] = len;
    j->text[c] = text;
    /* Text in the line stays there until the line is taken; any other
     * (an unescaped string, a boolean's name) is copied. */
    const uintptr_t at = (uintptr_t)text, line = (uintptr_t)j->line; /* maybe not the line's */
    if ((at < line || at + len > line + j->line_len) && keep_copy(j, c, text, len) != 0) {
        j->nomem = 1;
        j->present &= ~(1u << c);
    }
}

/* A value at the current depth: the line's own, or a key's in its object
 * (values inside arrays belong to no key). Returns 0 to stop yajl. */
static int on_value(struct reader_json *j, value_kind kind, const char *json_type,
                    const char *text, size_t len)
{
    if (j->depth == 0) {
        if (j->fast) {
            j->stopped = kind != V_OBJECT;
            return !j->stopped;
        }
        if (j->ended) {
            j->trailing = 1;
            return 0;
        }
        if (kind != V_OBJECT) {
            j->not_object = json_type;
            return 0;
        }
        return 1;
    }
    if (kind == V_NONE)
        return 1; /* null is absent */
    for (uint32_t m = j->ending; m; m &= m - 1)
        record(j, __builtin_ctz(m), kind, text, len);
    return 1;
}

static int on_null(void *ctx)
{
    return on_value(ctx, V_NONE, "null", NULL, 0);
}

static int on_boolean(void *ctx, int value)
{
    return on_value(ctx, V_TEXT, "boolean", value ? "true" : "false", value ? 4 : 5);
}

static int on_number(void *ctx, const char *text, size_t len)
{
    return on_value(ctx, V_TEXT, "number", text, len);
}

static int on_string(void *ctx, const unsigned char *text, size_t len)
{
    return on_value(ctx, V_TEXT, "string", (const char *)text, len);
}

/* Opens a container at depth + 1; only an object's keys can lead on. */
static int open_container(struct reader_json *j, int array)
{
    const int d = ++j->depth;
    if (d > READER_JSON_DEPTH) {
        j->keyed = j->ending = 0;
        return 1;
    }
    if (d == 1) {
        j->live[1] = j->all;
    } else {
        uint32_t deeper = 0;
        for (uint32_t m = array ? 0 : j->keyed; m; m &= m - 1)
            if (candidate(j->p->cols, __builtin_ctz(m))->depth >= d)
                deeper |= m & -m;
        j->live[d] = deeper;
    }
    j->keyed = j->ending = 0;
    return 1;
}

static int next_object(struct reader_json *j);
static int object_ended(struct reader_json *j);

static int on_start_map(void *ctx)
{
    struct reader_json *j = ctx;
    if (j->fast && j->depth == 0 && !next_object(j))
        return 0;
    return on_value(j, V_OBJECT, "object", NULL, 0) && open_container(j, 0);
}

static int on_start_array(void *ctx)
{
    struct reader_json *j = ctx;
    return on_value(j, V_ARRAY, "array", NULL, 0) && open_container(j, 1);
}

static int on_end(void *ctx)
{
    struct reader_json *j = ctx;
    j->ended |= --j->depth == 0;
    j->keyed = j->ending = 0;
    return !(j->fast && j->depth == 0) || object_ended(j);
}

/* The candidates whose key at depth d (1-based) is key. Out of line, as
 * is every path of a key not met before: the common path's frame stays small. */
__attribute__((noinline)) static uint32_t key_matches(const reader_columns *cols, int d,
                                                      const unsigned char *key, size_t len)
{
    uint32_t matches = 0;
    for (int k = 0; k < CANDIDATES; k++) {
        const reader_json_path *path = candidate(cols, k);
        if (path->keys && path->depth >= d && path->len[d - 1] == len &&
            memcmp(path->key[d - 1], key, len) == 0)
            matches |= 1u << k;
    }
    return matches;
}

__attribute__((noinline)) static uint32_t cache_key(struct reader_json *j, key_slot *slot, int d,
                                                    const unsigned char *key, size_t len)
{
    slot->len_plus_one = (uint8_t)(len + 1);
    slot->depth = (uint8_t)d;
    memcpy(slot->key, key, len);
    return slot->matches = key_matches(j->cols, d, key, len);
}

/* Whether the len (1 to 24) bytes at a and b are equal: words from both
 * ends, overlapping, so no byte past either is read; a libc memcmp call per
 * key cost more than the rest of the lookup. */
static int same_key(const char *a, const unsigned char *b, size_t len)
{
    if (len >= 8) {
        uint64_t x, y, u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + len - 8, 8);
        memcpy(&v, b + len - 8, 8);
        if ((x ^ y) | (u ^ v))
            return 0;
        if (len <= 16)
            return 1;
        memcpy(&x, a + 8, 8);
        memcpy(&y, b + 8, 8);
        return x == y;
    }
    if (len >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + len - 4, 4);
        memcpy(&v, b + len - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    return a[0] == (char)b[0] && a[len / 2] == (char)b[len / 2] && a[len - 1] == (char)b[len - 1];
}

static int on_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct reader_json *j = ctx;
    const int d = j->depth;
    const uint32_t live = d <= READER_JSON_DEPTH ? j->live[d] : 0;
    if (!live || len == 0 || len > sizeof j->keys[0].key) {
        j->keyed = live ? live & key_matches(j->cols, d, key, len) : 0;
        j->ending = live ? j->keyed & j->ends_at[d] : 0;
        return 1;
    }
    key_slot *slot = &j->keys[(len * 31u + key[0] * 7u + key[len - 1] + (unsigned)d * 13u) &
                              (KEY_CACHE - 1)];
    const uint32_t matches =
        slot->len_plus_one == len + 1 && slot->depth == d && same_key(slot->key, key, len)
            ? slot->matches
            : cache_key(j, slot, d, key, len);
    j->keyed = live & matches;
    j->ending = j->keyed & j->ends_at[d];
    return 1;
}

static const yajl_callbacks callbacks = {
    on_null,      on_boolean, NULL,          NULL,   on_number, on_string,
    on_start_map, on_map_key, on_end, on_start_array, on_end,
};

/* A fresh yajl handle: JSON as RFC 8259 has it, one value after another;
 * strings' bytes are not checked as UTF-8 (lapse takes ids as bytes). */
static int restart(struct reader_json *j)
{
    if (j->yajl)
        yajl_free(j->yajl);
    j->yajl = yajl_alloc(&callbacks, NULL, j);
    if (!j->yajl)
        return LAPSE_ERR_NOMEM;
    yajl_config(j->yajl, yajl_allow_multiple_values, 1);
    yajl_config(j->yajl, yajl_dont_validate_strings, 1);
    j->depth = 0;
    j->keyed = j->ending = 0;
    return LAPSE_OK;
}

void reader_json_free(struct reader_json *j)
{
    if (!j)
        return;
    if (j->yajl)
        yajl_free(j->yajl);
    for (int c = 0; c < LAPSE_COL_COUNT; c++)
        free(j->copy[c]);
    free(j);
}

/* The keys a column was looked for under, for a message. */
static void keys_tried(char *out, size_t size, const reader_columns *cols, int c)
{
    size_t pos = 0;
    out[0] = '\0';
    for (int i = 0; i < READER_JSON_PATHS && cols->paths[c][i].keys; i++) {
        const reader_json_path *path = &cols->paths[c][i];
        pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, "%s", i ? ", " : "");
        for (int d = 0; d < path->depth; d++)
            pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, "%s%s", d ? "." : "",
                                    path->key[d]);
    }
}

static void forget_values(struct reader_json *j)
{
    j->present = 0;
}

/* The line's object read: its values to the parser, in column order: those
 * present, and the user id, time and event when absent (the others may be). */
static void take_values(reader_parser *p, struct reader_json *j)
{
    const reader_columns *cols = p->cols;
    unsigned todo = j->present | 1u << LAPSE_COL_USER_ID | 1u << LAPSE_COL_TS | 1u << LAPSE_COL_EVENT;
    if (cols->event)
        todo &= ~(1u << LAPSE_COL_EVENT);
    for (; todo; todo &= todo - 1) {
        const int c = __builtin_ctz(todo);
        const value_kind kind = j->present >> c & 1u ? j->kind[c] : V_NONE;
        if (kind == V_OBJECT || kind == V_ARRAY) {
            char keys[128];
            keys_tried(keys, sizeof keys, cols, c);
            reader_mark_bad(p, 0, "%s (key %s) is a JSON %s, not a string or number",
                            lapse_reader_column_name((lapse_column)c), keys,
                            kind == V_OBJECT ? "object" : "array");
            return;
        }
        if (kind == V_NONE) {
            /* A row with no user key is an anonymous visitor's: skipped and
             * counted, or with strict_users bad. */
            if (c == LAPSE_COL_USER_ID && !cols->strict_users) {
                p->anonymous = 1;
                continue;
            }
            if (c <= LAPSE_COL_EVENT) {
                char keys[128];
                keys_tried(keys, sizeof keys, cols, c);
                reader_mark_bad(p, 0, "no %s (looked for key %s)",
                                lapse_reader_column_name((lapse_column)c), keys);
                return;
            }
            continue;
        }
        /* The number columns' text goes to strtod: NUL-terminated. */
        if ((c == LAPSE_COL_AMOUNT || c == LAPSE_COL_QTY || c == LAPSE_COL_PRICE) &&
            j->text[c] != j->copy[c] && keep_copy(j, c, j->text[c], j->len[c]) != 0) {
            j->nomem = 1;
            return;
        }
        reader_take_field(p, (lapse_column)c, 0, j->text[c], j->len[c]);
    }
}

/* yajl's message for the error that stopped it, as one line. */
static void mark_json_error(reader_parser *p, struct reader_json *j, const char *line,
                            size_t len)
{
    const size_t at = yajl_get_bytes_consumed(j->yajl);
    unsigned char *message = yajl_get_error(j->yajl, 0, (const unsigned char *)line, len);
    char text[160] = "bad JSON";
    if (message) {
        size_t n = strcspn((const char *)message, "\n");
        while (n > 0 && message[n - 1] == '.')
            n--;
        snprintf(text, sizeof text, "bad JSON: %.*s", (int)n, (const char *)message);
        yajl_free_error(j->yajl, message);
    }
    /* yajl stops after the token it refuses: the column is its last byte. */
    reader_mark_bad(p, (int)(at == 0 ? 1 : at <= len ? at : len + 1), "%s", text);
}

/* Feeds one line (len > 0 bytes, no line end) and marks the row bad unless
 * it held exactly one object. Returns 0, or LAPSE_ERR_NOMEM. */
static int read_line(reader_parser *p, struct reader_json *j, const char *line, size_t len)
{
    forget_values(j);
    j->ended = j->trailing = 0;
    j->not_object = NULL;
    j->line = line;
    j->line_len = len;
    yajl_status status = yajl_parse(j->yajl, (const unsigned char *)line, len);
    /* A number at the very end is complete only when something follows it. */
    if (status == yajl_status_ok && !j->ended && j->depth == 0 && !j->not_object)
        status = yajl_parse(j->yajl, (const unsigned char *)" ", 1);
    if (j->nomem)
        return LAPSE_ERR_NOMEM;
    if (j->not_object)
        reader_mark_bad(p, 1, "a JSON %s, not an object", j->not_object);
    else if (j->trailing || (j->ended && status != yajl_status_ok))
        reader_mark_bad(p, (int)yajl_get_bytes_consumed(j->yajl), "text after the JSON object");
    else if (status != yajl_status_ok)
        mark_json_error(p, j, line, len);
    else if (!j->ended)
        reader_mark_bad(p, 0, "bad JSON: the line ends inside a value");
    else
        take_values(p, j);
    if (j->nomem)
        return LAPSE_ERR_NOMEM;
    /* Between values again, or a new handle. */
    return status == yajl_status_ok && j->ended ? LAPSE_OK : restart(j);
}

/* Whether text holds "\\u0000"; memchr for the backslashes, which most
 * logs have none of, runs several times faster than memmem. */
static int has_escaped_nul(const char *text, size_t len)
{
    const char *end = text + len;
    for (const char *at = text; (at = memchr(at, '\\', (size_t)(end - at))) != NULL; at++)
        if ((size_t)(end - at) >= 6 && memcmp(at, "\\u0000", 6) == 0)
            return 1;
    return 0;
}

/* Fast pass: the object read before, taken as its line's row. */
static void take_pending(struct reader_json *j)
{
    reader_parser *p = j->p;
    p->record_line = j->pending_line;
    take_values(p, j);
    reader_end_row(p);
    j->pending = 0;
}

/* Fast pass: whether the text between the last object and at is blanks
 * (' ', '\t', '\r') and line ends, with a line end when an object came
 * before (yajl also skips '\f' and '\v', which the lines' trim keeps).
 * Counts the line ends in *ends; *after is just past the first. */
static int clean_gap(const struct reader_json *j, size_t at, int64_t *ends, size_t *after)
{
    *ends = 0;
    for (size_t i = j->prev_end; i < at; i++) {
        const char c = j->line[i];
        if (c == '\n') {
            if ((*ends)++ == 0)
                *after = i + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return 0;
        }
    }
    return !j->pending || *ends > 0;
}

/* Fast pass, at an object's '{' outside any other: the object before it
 * is taken, now that its line has ended. Returns 0 to stop yajl. */
static int next_object(struct reader_json *j)
{
    const size_t at = yajl_get_bytes_consumed(j->yajl) - 1; /* just past the '{' */
    int64_t ends;
    size_t after = 0;
    if (!clean_gap(j, at, &ends, &after)) {
        j->stopped = 1;
        return 0;
    }
    if (j->pending) {
        take_pending(j);
        j->resume_pos = after;
        j->resume_line = j->pending_line + 1;
        if (j->p->status != LAPSE_OK || j->nomem)
            return 0;
    }
    j->at_line += ends;
    j->start = at;
    j->pending_line = j->at_line;
    forget_values(j);
    return 1;
}

/* Fast pass, at the '}' closing the object: it is pending unless it spans
 * lines. Returns 0 to stop yajl. */
static int object_ended(struct reader_json *j)
{
    const size_t end = yajl_get_bytes_consumed(j->yajl);
    if (memchr(j->line + j->start, '\n', end - j->start)) {
        j->stopped = 1;
        return 0;
    }
    j->pending = 1;
    j->prev_end = end;
    return 1;
}

/* Parses the whole chunk in one call, which costs yajl a tenth less than
 * a call per line and spares the line loop: the lines are known from the
 * line ends between objects. At anything but one object a line (a bad
 * line, blanks yajl skips that a line's trim keeps), it stops before the
 * object whose line is not clean, and *pos and *line say where the line
 * loop takes over (chunk->len when it need not). Returns 0, or
 * LAPSE_ERR_NOMEM. */
static int fast_pass(struct reader_json *j, const text_chunk *chunk, size_t *pos, int64_t *line)
{
    j->fast = 1;
    j->stopped = j->pending = 0;
    j->line = chunk->data;
    j->line_len = chunk->len;
    j->prev_end = 0;
    j->at_line = chunk->first_line;
    j->resume_pos = 0;
    j->resume_line = chunk->first_line;
    const yajl_status status =
        yajl_parse(j->yajl, (const unsigned char *)chunk->data, chunk->len);
    int64_t ends;
    size_t after;
    const int clean = !j->stopped && status == yajl_status_ok && j->depth == 0 &&
                      j->p->status == LAPSE_OK && !j->nomem &&
                      clean_gap(j, chunk->len, &ends, &after);
    if (clean && j->pending)
        take_pending(j);
    j->fast = 0;
    if (j->nomem)
        return LAPSE_ERR_NOMEM;
    *pos = clean ? chunk->len : j->resume_pos;
    *line = j->resume_line;
    return clean ? LAPSE_OK : restart(j);
}

int reader_json_run(reader_parser *p, const text_chunk *chunk)
{
    if (!p->json) {
        p->json = calloc(1, sizeof *p->json);
        if (!p->json || restart(p->json) != LAPSE_OK)
            return lapse_error_set(p->err, LAPSE_ERR_NOMEM, p->cols->path, 0, 0, -1,
                                   "out of memory");
    }
    struct reader_json *j = p->json;
    j->p = p;
    /* The caches hold for this chunk's file. */
    j->cols = p->cols;
    j->all = all_candidates(p->cols);
    for (int d = 0; d <= READER_JSON_DEPTH; d++)
        j->ends_at[d] = 0;
    for (int k = 0; k < CANDIDATES; k++)
        if (j->all >> k & 1u)
            j->ends_at[candidate(p->cols, k)->depth] |= 1u << k;
    memset(j->keys, 0, sizeof j->keys);
    /* An escaped NUL (\u0000) reaches a value as a NUL byte. */
    p->chunk_has_nul = p->chunk_has_nul || has_escaped_nul(chunk->data, chunk->len);
    p->careful = 1;
    p->values_last_row = 1;
    size_t pos = 0;
    int64_t line = chunk->first_line;
    if (fast_pass(j, chunk, &pos, &line) != LAPSE_OK) {
        p->values_last_row = 0;
        return lapse_error_set(p->err, LAPSE_ERR_NOMEM, p->cols->path, line, 0, -1,
                               "out of memory");
    }
    /* The rest line by line, each fed on its own. */
    for (; pos < chunk->len && p->status == LAPSE_OK; line++) {
        const char *start = chunk->data + pos;
        const char *nl = memchr(start, '\n', chunk->len - pos);
        size_t len = nl ? (size_t)(nl - start) : chunk->len - pos;
        pos += len + (nl != NULL);
        while (len > 0 && (start[len - 1] == '\r' || start[len - 1] == ' ' ||
                           start[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue; /* blank lines are no records, as in CSV */
        p->record_line = line;
        if (read_line(p, j, start, len) != LAPSE_OK) {
            p->values_last_row = 0;
            return lapse_error_set(p->err, LAPSE_ERR_NOMEM, p->cols->path, line, 0, -1,
                                   "out of memory");
        }
        reader_end_row(p);
    }
    p->careful = 0;
    p->values_last_row = 0;
    return p->status;
}
