/* What XGBoost's loader does not check, checked before it reads a model:
 * fuzzing XGBoost 1.7.4 found multi-gigabyte allocations from one changed
 * count and a heap over-read in its UBJ reader, and its predictor follows
 * child links as they are. So a model is XGBoost's JSON, parsed here first
 * with yajl and refused unless
 *   - it is one well-formed JSON object starting {" (XGBoost reads other
 *     leading bytes as its legacy binary format);
 *   - every string of digits (XGBoost's counts: num_nodes, num_feature,
 *     ...) is below the byte size of the model, so no count can ask for
 *     more than the bytes could describe;
 *   - in every tree, left_children and right_children hold -1 (a leaf) or
 *     a node after their own position and inside the tree: links go
 *     forward only, so there is no cycle and no node outside the arrays;
 *   - split_indices name one of the model's d features, and split_type is
 *     0 (numerical: lapse never trains categorical splits, whose lookups
 *     it would otherwise have to bound too). */
#include "lapse/gbdt.h"

#include <yajl/yajl_parse.h>

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32 /* XGBoost's models nest 6 deep */

enum { ARR_OTHER, ARR_LEFT, ARR_RIGHT, ARR_SPLIT, ARR_TYPE };

typedef struct {
    int array;         /* 1: an array, else a map */
    int kind;          /* arrays: ARR_* from the key they sit under */
    long long count;   /* elements so far */
    long long max;     /* largest child link */
    char key[24];      /* maps: the last key (truncated) */
} level;

typedef struct {
    level stack[MAX_DEPTH];
    int depth;
    size_t size, d;
    const char *bad;
} checker;

static int enter(checker *c, int array)
{
    if (c->depth >= MAX_DEPTH) {
        c->bad = "nests too deep";
        return 0;
    }
    level *l = &c->stack[c->depth];
    memset(l, 0, sizeof *l);
    l->array = array;
    l->max = -1;
    if (array && c->depth > 0 && !c->stack[c->depth - 1].array) {
        const char *k = c->stack[c->depth - 1].key;
        l->kind = strcmp(k, "left_children") == 0    ? ARR_LEFT
                  : strcmp(k, "right_children") == 0 ? ARR_RIGHT
                  : strcmp(k, "split_indices") == 0  ? ARR_SPLIT
                  : strcmp(k, "split_type") == 0     ? ARR_TYPE
                                                     : ARR_OTHER;
    }
    c->depth++;
    return 1;
}

/* A value inside the current container. */
static int value(checker *c, int integer, long long v)
{
    if (c->depth == 0)
        return 1;
    level *l = &c->stack[c->depth - 1];
    if (!l->array)
        return 1;
    const long long at = l->count++;
    if (l->kind == ARR_OTHER)
        return 1;
    if (!integer) {
        c->bad = "has a non-integer in a tree's links, splits or split types";
        return 0;
    }
    if ((l->kind == ARR_LEFT || l->kind == ARR_RIGHT) && v != -1) {
        if (v <= at) {
            c->bad = "has a tree whose child link points backwards (a cycle)";
            return 0;
        }
        if (v > l->max)
            l->max = v;
    }
    if (l->kind == ARR_SPLIT && (v < 0 || (unsigned long long)v >= c->d)) {
        c->bad = "splits on a feature the model does not have";
        return 0;
    }
    if (l->kind == ARR_TYPE && v != 0) {
        c->bad = "has a categorical split";
        return 0;
    }
    return 1;
}

static int on_null(void *ctx)
{
    return value(ctx, 0, 0);
}

static int on_bool(void *ctx, int b)
{
    (void)b;
    return value(ctx, 0, 0);
}

static int on_integer(void *ctx, long long v)
{
    return value(ctx, 1, v);
}

static int on_double(void *ctx, double v)
{
    (void)v;
    return value(ctx, 0, 0);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
    checker *c = ctx;
    size_t digits = 0;
    while (digits < n && s[digits] >= '0' && s[digits] <= '9')
        digits++;
    if (n > 0 && digits == n) {
        /* A count: at most 19 digits fit, and it must be below the size. */
        unsigned long long v = 0;
        for (size_t i = 0; i < n && v <= c->size; i++)
            v = v * 10 + (unsigned)(s[i] - '0');
        if (n > 19 || v >= c->size) {
            c->bad = "declares a count larger than its bytes could hold";
            return 0;
        }
    }
    return value(c, 0, 0);
}

static int on_start_map(void *ctx)
{
    checker *c = ctx;
    return value(c, 0, 0) && enter(c, 0);
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
    checker *c = ctx;
    level *l = &c->stack[c->depth - 1];
    const size_t m = n < sizeof l->key - 1 ? n : sizeof l->key - 1;
    memcpy(l->key, k, m);
    l->key[m] = '\0';
    if (n != m)
        l->key[0] = '\0'; /* a long key is none of those checked */
    return 1;
}

static int on_end(void *ctx)
{
    checker *c = ctx;
    level *l = &c->stack[--c->depth];
    if (l->array && (l->kind == ARR_LEFT || l->kind == ARR_RIGHT) && l->max >= l->count) {
        c->bad = "has a tree whose child link points past its nodes";
        return 0;
    }
    return 1;
}

static int on_start_array(void *ctx)
{
    checker *c = ctx;
    return value(c, 0, 0) && enter(c, 1);
}

static const yajl_callbacks callbacks = {
    on_null, on_bool, on_integer, on_double, NULL, on_string,
    on_start_map, on_key, on_end, on_start_array, on_end,
};

int lapse_gbdt_check(const unsigned char *model, size_t size, size_t d, lapse_error *err)
{
    if (size < 2 || model[0] != '{' || model[1] != '"')
        return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                               "the boosted trees are not XGBoost's JSON");
    checker *c = calloc(1, sizeof *c);
    if (!c)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    c->size = size;
    c->d = d;
    yajl_handle h = yajl_alloc(&callbacks, NULL, c);
    int rc = 0;
    if (!h) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    } else if (yajl_parse(h, model, size) != yajl_status_ok ||
               yajl_complete_parse(h) != yajl_status_ok) {
        const size_t at = yajl_get_bytes_consumed(h);
        rc = lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, (int64_t)at,
                             "the boosted trees %s (byte %zu of their JSON)",
                             c->bad ? c->bad : "are not well-formed JSON", at);
    }
    if (h)
        yajl_free(h);
    free(c);
    return rc;
}
