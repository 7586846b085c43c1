/* Fuzz target: zlib and ISA-L inflate the same gzip bytes the same way
 * (src/base/input.h, lapse_input_open_inflater).
 *
 * The input is the file. Both inflaters read all of it, in reads of 1-64
 * bytes (the last byte picks) and of 64 KiB; at each size they must give the same text,
 * or refuse with the same code and the same kind of message (truncated,
 * corrupt, data after the end); a truncated stream and data after the end
 * are located at the same byte offset. In a build without ISA-L both reads
 * go through zlib and the target checks only that reads of any size agree. */
#include "fuzz_file.h"

#include "input.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const char *name;
    unsigned char *text; /* NULL when refused */
    size_t len;
    int status;
    lapse_error err;
} outcome;

static outcome read_all(const char *path, lapse_input_inflater inflater, size_t step)
{
    outcome o = { inflater == LAPSE_INFLATE_ZLIB ? "zlib" : "isa-l", NULL, 0, LAPSE_OK,
                  LAPSE_ERROR_INIT };
    lapse_input *in = NULL;
    o.status = lapse_input_open_inflater(&in, path, inflater, &o.err);
    if (o.status != LAPSE_OK)
        return o;
    size_t cap = 0, got = 0;
    do {
        if (o.len + step > cap) {
            cap = 2 * (o.len + step);
            unsigned char *grown = realloc(o.text, cap);
            if (!grown)
                abort();
            o.text = grown;
        }
        o.status = lapse_input_read(in, o.text + o.len, step, &got, &o.err);
        o.len += got;
    } while (o.status == LAPSE_OK && got > 0);
    lapse_input_close(in);
    if (o.status != LAPSE_OK) {
        free(o.text);
        o.text = NULL;
        o.len = 0;
    }
    return o;
}

/* The message up to its parenthesis: what went wrong, not the inflater's words. */
static size_t kind_len(const char *message)
{
    const char *paren = strchr(message, '(');
    return paren ? (size_t)(paren - message) : strlen(message);
}

/* Says how two reads differ, then aborts: the finding. */
static void differ(const outcome *a, const outcome *b)
{
    fprintf(stderr, "inflaters differ:\n  %s: %d, %zu bytes, offset %lld: %s\n  %s: %d, %zu bytes, offset %lld: %s\n",
            a->name, a->status, a->len, (long long)a->err.offset, a->err.message, b->name, b->status,
            b->len, (long long)b->err.offset, b->err.message);
    abort();
}

static void same(const outcome *a, const outcome *b)
{
    if (a->status != b->status)
        differ(a, b);
    if (a->status == LAPSE_OK) {
        if (a->len != b->len || memcmp(a->text, b->text, a->len) != 0)
            differ(a, b);
        return;
    }
    const size_t n = kind_len(a->err.message);
    if (n != kind_len(b->err.message) || memcmp(a->err.message, b->err.message, n) != 0)
        differ(a, b);
    if ((strstr(a->err.message, "truncated") || strstr(a->err.message, "after the end")) &&
        a->err.offset != b->err.offset)
        differ(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *path = fuzz_file_path(0, data, size);
    const size_t step = 1 + data[size - 1] % 64;
    outcome zlib_big = read_all(path, LAPSE_INFLATE_ZLIB, 65536);
    outcome zlib_small = read_all(path, LAPSE_INFLATE_ZLIB, step);
    outcome isal_big = read_all(path, LAPSE_INFLATE_ISAL, 65536);
    outcome isal_small = read_all(path, LAPSE_INFLATE_ISAL, step);
    /* zlib's own verdict on a stream cut short can hang on the read size
     * (a distance checked or not before the input ends): each size is
     * compared with itself, and texts read whole across sizes. */
    same(&zlib_big, &isal_big);
    same(&zlib_small, &isal_small);
    if (zlib_big.status == LAPSE_OK && zlib_small.status == LAPSE_OK)
        same(&zlib_big, &zlib_small);
    free(zlib_big.text);
    free(zlib_small.text);
    free(isal_big.text);
    free(isal_small.text);
    return 0;
}
