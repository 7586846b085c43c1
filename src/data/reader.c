/* The public, pull-style reader: one file after another, one chunk at a
 * time, events handed out from a batch. */
#include "reader_internal.h"

#include "rowset.h"

#include <stdlib.h>
#include <string.h>

struct lapse_reader {
    const char *const *paths;
    size_t count, next_file;
    lapse_reader_options opts;
    lapse_category_map *own_categories;
    reader_shared shared;
    reader_parser parser;
    int parser_ready;
    reader_source *src;
    reader_columns cols;
    text_chunk chunk;
    /* The batch: events of one chunk; user ids in one buffer, stored as
     * offsets until handed out because the buffer may move. */
    lapse_event *events;
    size_t n, capacity, pos;
    char *ids;
    size_t ids_len, ids_capacity;
    int settled; /* the repeats are counted: the files have ended */
    int failed;
    lapse_error error;
};

static void batch_add(const lapse_event *event, void *user)
{
    lapse_reader *r = user;
    if (r->failed || event->dropped) /* a pull read hands out events only */
        return;
    if (r->n == r->capacity) {
        const size_t capacity = r->capacity ? r->capacity * 2 : 4096;
        lapse_event *events = realloc(r->events, capacity * sizeof *events);
        if (!events) {
            r->failed = lapse_error_set(&r->error, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                                        "out of memory");
            return;
        }
        r->events = events;
        r->capacity = capacity;
    }
    if (r->ids_len + event->user_id_len > r->ids_capacity) {
        size_t capacity = r->ids_capacity ? r->ids_capacity * 2 : 65536;
        while (capacity < r->ids_len + event->user_id_len)
            capacity *= 2;
        char *ids = realloc(r->ids, capacity);
        if (!ids) {
            r->failed = lapse_error_set(&r->error, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                                        "out of memory");
            return;
        }
        r->ids = ids;
        r->ids_capacity = capacity;
    }
    memcpy(r->ids + r->ids_len, event->user_id, event->user_id_len);
    lapse_event *copy = &r->events[r->n++];
    *copy = *event;
    copy->user_id = (const char *)(uintptr_t)r->ids_len;
    r->ids_len += event->user_id_len;
}

int lapse_reader_open(lapse_reader **out, const char *const *paths, size_t count,
                      const lapse_reader_options *opts, lapse_error *err)
{
    lapse_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    r->paths = paths;
    r->count = count;
    if (opts) {
        r->opts = *opts;
    } else {
        const lapse_reader_options defaults = LAPSE_READER_OPTIONS_INIT;
        r->opts = defaults;
    }
    if (r->opts.max_bad_rows < 0 || (unsigned)r->opts.dups > LAPSE_DUPS_KEEP) {
        free(r);
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "max_bad_rows must be >= 0, dups a lapse_dups");
    }
    const int status = lapse_reader_check_options(&r->opts, err);
    if (status != LAPSE_OK) {
        free(r);
        return status;
    }
    if (!r->opts.categories) {
        r->own_categories = lapse_category_map_default();
        r->opts.categories = r->own_categories;
    }
    r->shared.max_bad_rows = r->opts.max_bad_rows;
    r->shared.drop_repeats = r->opts.dups == LAPSE_DUPS_DROP;
    if (r->opts.dups != LAPSE_DUPS_KEEP)
        r->shared.rows = lapse_rowset_create();
    if (!r->opts.categories || (r->opts.dups != LAPSE_DUPS_KEEP && !r->shared.rows) ||
        reader_parser_init(&r->parser, r->opts.categories, &r->shared, batch_add, r) != 0) {
        lapse_reader_free(r);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    r->parser_ready = 1;
    *out = r;
    return LAPSE_OK;
}

static int fail(lapse_reader *r, int status, lapse_error *err)
{
    r->failed = status;
    if (err)
        *err = r->error;
    return status;
}

/* Reads chunks until one yields events or the files end. */
static int refill(lapse_reader *r)
{
    r->n = r->pos = r->ids_len = 0;
    while (r->n == 0) {
        if (!r->src) {
            if (r->next_file == r->count) {
                if (!r->settled &&
                    reader_settle_repeats(&r->shared, 0, &r->parser.stats) != LAPSE_OK)
                    return lapse_error_set(&r->error, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                                           "out of memory (finding repeated rows)");
                r->settled = 1;
                return 0;
            }
            r->chunk.file = (int)r->next_file;
            const char *path = r->paths[r->next_file++];
            int status = source_open(&r->src, path, &r->error);
            if (status == LAPSE_OK)
                status = source_next(r->src, &r->chunk, &r->error);
            if (status >= 0)
                status = reader_columns_from_header(&r->cols, &r->chunk, path, &r->opts,
                                                    &r->error);
            if (status < 0)
                return status;
        }
        const int got = source_next(r->src, &r->chunk, &r->error);
        if (got < 0)
            return got;
        if (got == 0) {
            source_free(r->src);
            r->src = NULL;
            reader_columns_free(&r->cols);
            continue;
        }
        const int status = reader_parser_run(&r->parser, &r->cols, &r->chunk, &r->error);
        if (status != LAPSE_OK)
            return status;
        if (r->failed)
            return r->failed;
    }
    return 1;
}

int lapse_reader_next(lapse_reader *r, lapse_event *event, lapse_error *err)
{
    if (r->failed)
        return fail(r, r->failed, err);
    if (r->pos == r->n) {
        const int status = refill(r);
        if (status < 0)
            return fail(r, status, err);
        if (status == 0)
            return 0;
    }
    *event = r->events[r->pos++];
    event->user_id = r->ids + (uintptr_t)event->user_id;
    return 1;
}

void lapse_reader_get_stats(const lapse_reader *r, lapse_reader_stats *out)
{
    *out = r->parser.stats;
}

void lapse_reader_free(lapse_reader *r)
{
    if (!r)
        return;
    if (r->parser_ready)
        reader_parser_free(&r->parser);
    source_free(r->src);
    reader_columns_free(&r->cols);
    text_chunk_free(&r->chunk);
    lapse_category_map_free(r->own_categories);
    lapse_rowset_free(r->shared.rows);
    free(r->events);
    free(r->ids);
    free(r);
}
