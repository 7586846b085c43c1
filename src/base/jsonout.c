/* JSON documents through yajl_gen (jsonout.h). */
#include "lapse/jsonout.h"
#include "lapse/numtext.h"

#include <yajl/yajl_gen.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct lapse_json {
    yajl_gen gen;
    yajl_gen_status status; /* the first failure, yajl_gen_status_ok until then */
    int depth;              /* open objects and arrays; yajl does not tell */
    int values;             /* top-level values generated */
};

lapse_json *lapse_json_new(void)
{
    lapse_json *json = calloc(1, sizeof *json);
    if (!json)
        return NULL;
    json->gen = yajl_gen_alloc(NULL);
    if (!json->gen) {
        free(json);
        return NULL;
    }
    yajl_gen_config(json->gen, yajl_gen_beautify, 1);
    yajl_gen_config(json->gen, yajl_gen_indent_string, "  ");
    yajl_gen_config(json->gen, yajl_gen_validate_utf8, 1);
    return json;
}

void lapse_json_free(lapse_json *json)
{
    if (!json)
        return;
    yajl_gen_free(json->gen);
    free(json);
}

static void keep(lapse_json *json, yajl_gen_status status)
{
    if (json->status == yajl_gen_status_ok)
        json->status = status;
}

/* Every generating call goes through here so a failure sticks. */
#define GEN(json, call)                                                                         \
    do {                                                                                        \
        if ((json)->status == yajl_gen_status_ok)                                               \
            keep((json), (call));                                                               \
    } while (0)

void lapse_json_object_open(lapse_json *json)
{
    GEN(json, yajl_gen_map_open(json->gen));
    json->depth++;
}

void lapse_json_object_close(lapse_json *json)
{
    GEN(json, yajl_gen_map_close(json->gen));
    if (--json->depth == 0)
        json->values++;
}

void lapse_json_array_open(lapse_json *json)
{
    GEN(json, yajl_gen_array_open(json->gen));
    json->depth++;
}

void lapse_json_array_close(lapse_json *json)
{
    GEN(json, yajl_gen_array_close(json->gen));
    if (--json->depth == 0)
        json->values++;
}

void lapse_json_key(lapse_json *json, const char *key)
{
    lapse_json_string(json, key);
}

void lapse_json_string(lapse_json *json, const char *text)
{
    GEN(json, yajl_gen_string(json->gen, (const unsigned char *)text, strlen(text)));
}

void lapse_json_double(lapse_json *json, double value)
{
    char buf[LAPSE_NUMTEXT_MAX];
    const size_t len = lapse_numtext_double(buf, value);
    if (len == 0)
        GEN(json, yajl_gen_null(json->gen));
    else
        GEN(json, yajl_gen_number(json->gen, buf, len));
}

void lapse_json_uint(lapse_json *json, uint64_t value)
{
    char buf[24];
    const int len = snprintf(buf, sizeof buf, "%" PRIu64, value);
    GEN(json, yajl_gen_number(json->gen, buf, (size_t)len));
}

void lapse_json_int(lapse_json *json, int64_t value)
{
    char buf[24];
    const int len = snprintf(buf, sizeof buf, "%" PRId64, value);
    GEN(json, yajl_gen_number(json->gen, buf, (size_t)len));
}

void lapse_json_bool(lapse_json *json, int value)
{
    GEN(json, yajl_gen_bool(json->gen, value != 0));
}

void lapse_json_null(lapse_json *json)
{
    GEN(json, yajl_gen_null(json->gen));
}

void lapse_json_member_string(lapse_json *json, const char *key, const char *text)
{
    lapse_json_key(json, key);
    lapse_json_string(json, text);
}

void lapse_json_member_double(lapse_json *json, const char *key, double value)
{
    lapse_json_key(json, key);
    lapse_json_double(json, value);
}

void lapse_json_member_uint(lapse_json *json, const char *key, uint64_t value)
{
    lapse_json_key(json, key);
    lapse_json_uint(json, value);
}

void lapse_json_member_int(lapse_json *json, const char *key, int64_t value)
{
    lapse_json_key(json, key);
    lapse_json_int(json, value);
}

void lapse_json_member_bool(lapse_json *json, const char *key, int value)
{
    lapse_json_key(json, key);
    lapse_json_bool(json, value);
}

int lapse_json_write(lapse_json *json, FILE *out, const char *path, lapse_error *err)
{
    if (json->status == yajl_gen_invalid_string)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                               "a name to write into the JSON is not UTF-8");
    if (json->status != yajl_gen_status_ok || json->depth != 0 || json->values != 1)
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                               "the JSON document is not complete (yajl status %d)",
                               (int)json->status);
    const unsigned char *buf;
    size_t len;
    yajl_gen_get_buf(json->gen, &buf, &len);
    /* yajl's beautified output ends with a newline already */
    if (fwrite(buf, 1, len, out) != len || (len && buf[len - 1] != '\n' && fputc('\n', out) == EOF))
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot write the JSON");
    return LAPSE_OK;
}
