/* Chunks of JSON lines -> events, with json-c.
 *
 * One object a line; lapse's columns are found by key, nested keys by a
 * dot-separated path (--col amount=properties.revenue). A value is its
 * string's bytes, or a number's text as written; null counts as absent.
 * The values then go through the same checks as CSV fields. A line that is
 * not one JSON object is a bad row located at the byte where json-c
 * stopped. Lines are always known here, so there is no careful pass. */
#define _GNU_SOURCE /* memmem */
#include "reader_internal.h"

#include <json-c/json_object.h>
#include <json-c/json_util.h> /* json_type_to_name */
#include <json-c/json_tokener.h>
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

static int set_path(reader_json_path *path, const char *dotted)
{
    const size_t len = strlen(dotted);
    path->keys = malloc(len + 1);
    if (!path->keys)
        return -1;
    memcpy(path->keys, dotted, len + 1);
    path->depth = 1;
    for (size_t i = 0; i < len; i++)
        if (path->keys[i] == '.') {
            path->keys[i] = '\0';
            path->depth++;
        }
    return 0;
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
            if (key && set_path(&cols->paths[c][i], key) != 0) {
                reader_columns_free(cols);
                return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
            }
        }
    }
    return LAPSE_OK;
}

/* The value at path in obj, or NULL when a key is missing or a level is
 * not an object. */
static json_object *find(json_object *obj, const reader_json_path *path)
{
    const char *key = path->keys;
    for (int d = 0; d < path->depth; d++) {
        if (!json_object_is_type(obj, json_type_object) ||
            !json_object_object_get_ex(obj, key, &obj))
            return NULL;
        key += strlen(key) + 1;
    }
    return obj;
}

/* The keys a column was looked for under, for a message. */
static void keys_tried(char *out, size_t size, const reader_columns *cols, int c)
{
    size_t pos = 0;
    out[0] = '\0';
    for (int i = 0; i < READER_JSON_PATHS && cols->paths[c][i].keys; i++) {
        const reader_json_path *path = &cols->paths[c][i];
        pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, "%s", i ? ", " : "");
        const char *key = path->keys;
        for (int d = 0; d < path->depth; d++) {
            pos += (size_t)snprintf(out + pos, pos < size ? size - pos : 0, "%s%s", d ? "." : "",
                                    key);
            key += strlen(key) + 1;
        }
    }
}

static void take_object(reader_parser *p, json_object *obj)
{
    const reader_columns *cols = p->cols;
    for (int c = 0; c < LAPSE_COL_COUNT; c++) {
        if (c == LAPSE_COL_EVENT && cols->event)
            continue;
        json_object *value = NULL;
        for (int i = 0; i < READER_JSON_PATHS && cols->paths[c][i].keys && !value; i++)
            value = find(obj, &cols->paths[c][i]);
        const json_type type = json_object_get_type(value); /* null for NULL */
        if (type == json_type_object || type == json_type_array) {
            char keys[128];
            keys_tried(keys, sizeof keys, cols, c);
            reader_mark_bad(p, 0, "%s (key %s) is a JSON %s, not a string or number",
                            lapse_reader_column_name((lapse_column)c), keys,
                            json_type_to_name(type));
            return;
        }
        if (type == json_type_null) {
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
        /* A number's text is as written (json-c keeps a double's source). */
        const char *text = json_object_get_string(value);
        const size_t len = type == json_type_string ? (size_t)json_object_get_string_len(value)
                                                    : strlen(text);
        reader_take_field(p, (lapse_column)c, 0, text, len);
    }
}

int reader_json_run(reader_parser *p, const text_chunk *chunk)
{
    if (!p->tok) {
        if (!(p->tok = json_tokener_new()))
            return lapse_error_set(p->err, LAPSE_ERR_NOMEM, p->cols->path, 0, 0, -1,
                                   "out of memory");
        /* JSON as RFC 8259 has it: no trailing commas, single quotes or
         * bare words, which json-c accepts by default. */
        json_tokener_set_flags(p->tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
    }
    /* An escaped NUL (\u0000) reaches a value as a NUL byte. */
    p->chunk_has_nul = p->chunk_has_nul || memmem(chunk->data, chunk->len, "\\u0000", 6);
    p->careful = 1;
    size_t pos = 0;
    for (int64_t line = chunk->first_line; pos < chunk->len && p->status == LAPSE_OK; line++) {
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
        json_tokener_reset(p->tok);
        json_object *obj = json_tokener_parse_ex(p->tok, start, (int)len);
        const enum json_tokener_error jerr = json_tokener_get_error(p->tok);
        size_t end = json_tokener_get_parse_end(p->tok);
        while (obj && end < len && (start[end] == ' ' || start[end] == '\t'))
            end++;
        if (!obj)
            reader_mark_bad(p, (int)end + 1, "bad JSON: %s",
                            jerr == json_tokener_continue ? "the line ends inside a value"
                                                          : json_tokener_error_desc(jerr));
        else if (!json_object_is_type(obj, json_type_object))
            reader_mark_bad(p, 1, "a JSON %s, not an object", json_type_to_name(
                                                                  json_object_get_type(obj)));
        else if (end < len)
            reader_mark_bad(p, (int)end + 1, "text after the JSON object");
        else
            take_object(p, obj);
        json_object_put(obj);
        reader_end_row(p);
    }
    p->careful = 0;
    return p->status;
}
