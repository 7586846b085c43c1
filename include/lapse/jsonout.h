/* Writing JSON documents, through yajl's generator (yajl_gen): quoting,
 * escapes, UTF-8 checks and nesting are yajl's; numbers follow numtext.h
 * (the shortest decimal that reads back to the same double, null for NaN and
 * infinities). Calls after the first failure do nothing; lapse_json_write
 * reports it. */
#ifndef LAPSE_JSONOUT_H
#define LAPSE_JSONOUT_H

#include "lapse/error.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lapse_json lapse_json;

/* A new document, indented by two spaces; NULL when out of memory. */
lapse_json *lapse_json_new(void);
void lapse_json_free(lapse_json *json); /* accepts NULL */

void lapse_json_object_open(lapse_json *json);
void lapse_json_object_close(lapse_json *json);
void lapse_json_array_open(lapse_json *json);
void lapse_json_array_close(lapse_json *json);

/* A member's name, inside an object, before its value. */
void lapse_json_key(lapse_json *json, const char *key);

/* Values. string: UTF-8 (anything else fails the document). */
void lapse_json_string(lapse_json *json, const char *text);
void lapse_json_double(lapse_json *json, double value);
void lapse_json_uint(lapse_json *json, uint64_t value);
void lapse_json_int(lapse_json *json, int64_t value);
void lapse_json_bool(lapse_json *json, int value);
void lapse_json_null(lapse_json *json);

/* A member: key and value in one call. */
void lapse_json_member_string(lapse_json *json, const char *key, const char *text);
void lapse_json_member_double(lapse_json *json, const char *key, double value);
void lapse_json_member_uint(lapse_json *json, const char *key, uint64_t value);
void lapse_json_member_int(lapse_json *json, const char *key, int64_t value);
void lapse_json_member_bool(lapse_json *json, const char *key, int value);

/* Writes the finished document and a newline to out. LAPSE_ERR_FORMAT when
 * a string was not UTF-8, LAPSE_ERR_ARG when the calls did not nest into
 * one complete document (a bug of the caller), LAPSE_ERR_NOMEM, LAPSE_ERR_IO
 * when out fails (path names it in the error). */
int lapse_json_write(lapse_json *json, FILE *out, const char *path, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
