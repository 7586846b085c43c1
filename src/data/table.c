/* Whole feature tables in memory: one or more files streamed through
 * lapse_table_reader into growing arrays, with cross-file and duplicate
 * checks. */
#include "lapse/table.h"

#include "lapse/timeparse.h"
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Rows are read in batches of up to READ_BATCH_ROWS rows and about
 * READ_BATCH_BYTES bytes of values. */
#define READ_BATCH_ROWS 4096
#define READ_BATCH_BYTES (1 << 20)
#define SHOWN_MAX 48

/* Growing state of one lapse_table_read. */
typedef struct {
    lapse_table *table;
    size_t capacity;    /* rows allocated in x, asof, labels and the arrays below */
    char *ids;          /* every user id, each NUL-terminated */
    size_t ids_len, ids_capacity;
    size_t *id_offset;  /* per row: where its id starts in ids */
    int64_t *line;      /* per row: its line and file, to name both sides of a duplicate */
    size_t *file;
    size_t *slots;      /* open addressing over (user id, asof): row + 1, 0 empty */
    size_t slot_mask;
    int days_to_churn;  /* every file so far has the column: else the table lacks it */
} builder;

static void builder_free(builder *b)
{
    free(b->ids);
    free(b->id_offset);
    free(b->line);
    free(b->file);
    free(b->slots);
}

void lapse_table_free(lapse_table *table)
{
    if (!table)
        return;
    free(table->feature_names); /* one block: pointers, then the names */
    free(table->x);
    free(table->user_ids); /* one block: pointers, then the ids */
    free(table->asof);
    free(table->labels);
    free(table->days_to_churn);
    lapse_foreign_free(table->encoding);
    free(table);
}

/* realloc for count elements of size, refusing overflow. */
static int grow(void **p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return LAPSE_ERR_NOMEM;
    void *q = realloc(*p, count * size > 0 ? count * size : 1);
    if (!q)
        return LAPSE_ERR_NOMEM;
    *p = q;
    return LAPSE_OK;
}

static size_t row_hash(const char *id, size_t len, int64_t asof)
{
    return (size_t)(lapse_hash_bytes(id, len) ^ ((uint64_t)asof * 0x9e3779b97f4a7c15ull));
}

static int builder_reserve(builder *b, size_t rows)
{
    if (rows <= b->capacity)
        return LAPSE_OK;
    size_t capacity = b->capacity ? b->capacity : 16;
    while (capacity < rows)
        capacity *= 2;
    lapse_table *t = b->table;
    if (t->n_features > SIZE_MAX / capacity ||
        grow((void **)&t->x, capacity * t->n_features, sizeof *t->x) ||
        grow((void **)&t->asof, capacity, sizeof *t->asof) ||
        grow((void **)&t->labels, capacity, sizeof *t->labels) ||
        grow((void **)&t->days_to_churn, capacity, sizeof *t->days_to_churn) ||
        grow((void **)&b->id_offset, capacity, sizeof *b->id_offset) ||
        grow((void **)&b->line, capacity, sizeof *b->line) ||
        grow((void **)&b->file, capacity, sizeof *b->file))
        return LAPSE_ERR_NOMEM;
    b->capacity = capacity;
    /* Keep the duplicate index at most half full. */
    const size_t slots = 2 * capacity;
    free(b->slots);
    b->slots = calloc(slots, sizeof *b->slots);
    if (!b->slots)
        return LAPSE_ERR_NOMEM;
    b->slot_mask = slots - 1;
    for (size_t row = 0; row < t->n_rows; row++) {
        const char *id = b->ids + b->id_offset[row];
        size_t i = row_hash(id, strlen(id), t->asof[row]) & b->slot_mask;
        while (b->slots[i] != 0)
            i = (i + 1) & b->slot_mask;
        b->slots[i] = row + 1;
    }
    return LAPSE_OK;
}

/* Returns the earlier row with this user id and asof, or SIZE_MAX after
 * recording row as its holder. */
static size_t builder_claim(builder *b, const char *id, size_t len, int64_t asof, size_t row)
{
    for (size_t i = row_hash(id, len, asof) & b->slot_mask;; i = (i + 1) & b->slot_mask) {
        if (b->slots[i] == 0) {
            b->slots[i] = row + 1;
            return SIZE_MAX;
        }
        const size_t other = b->slots[i] - 1;
        if (b->table->asof[other] == asof && strcmp(b->ids + b->id_offset[other], id) == 0)
            return other;
    }
}

static int builder_add_batch(builder *b, const lapse_table_batch *batch, size_t file,
                             const char *const *paths, lapse_error *err)
{
    lapse_table *t = b->table;
    if (builder_reserve(b, t->n_rows + batch->n_rows) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, paths[file], 0, 0, -1, "out of memory");
    memcpy(t->x + t->n_rows * t->n_features, batch->x,
           batch->n_rows * t->n_features * sizeof *t->x);
    for (size_t i = 0; i < batch->n_rows; i++) {
        const size_t row = t->n_rows;
        const char *id = batch->user_ids[i];
        const size_t len = strlen(id);
        const size_t earlier = builder_claim(b, id, len, batch->asof[i], row);
        if (earlier != SIZE_MAX) {
            /* A foreign table has no dates: its ids are its rows. */
            char at[32] = "";
            if (!t->encoding) {
                memcpy(at, " at asof ", 9);
                lapse_time_format_date(at + 9, batch->asof[i]);
            }
            return lapse_error_set(err, LAPSE_ERR_FORMAT, paths[file], batch->lines[i],
                                   t->encoding ? 0 : 1, -1, "duplicate row: user \"%.*s\"%s is also on line %lld of %s",
                                   SHOWN_MAX, id, at, (long long)b->line[earlier],
                                   paths[b->file[earlier]]);
        }
        if (b->ids_len + len + 1 > b->ids_capacity) {
            size_t capacity = b->ids_capacity ? b->ids_capacity : 65536;
            while (capacity < b->ids_len + len + 1)
                capacity *= 2;
            if (grow((void **)&b->ids, capacity, 1) != LAPSE_OK)
                return lapse_error_set(err, LAPSE_ERR_NOMEM, paths[file], 0, 0, -1,
                                       "out of memory");
            b->ids_capacity = capacity;
        }
        memcpy(b->ids + b->ids_len, id, len + 1);
        b->id_offset[row] = b->ids_len;
        b->ids_len += len + 1;
        t->asof[row] = batch->asof[i];
        t->labels[row] = batch->labels[i];
        t->days_to_churn[row] = b->days_to_churn ? batch->days_to_churn[i] : 0;
        b->line[row] = batch->lines[i];
        b->file[row] = file;
        t->n_rows++;
    }
    return LAPSE_OK;
}

/* Copies n strings into one block: n pointers, then the bytes they point at. */
static char **pack_strings(const char *const *strings, const size_t *offsets, const char *base,
                           size_t n, size_t bytes)
{
    if (n > (SIZE_MAX - bytes) / sizeof(char *) - 1)
        return NULL;
    char **block = malloc(n * sizeof(char *) + bytes + 1);
    if (!block)
        return NULL;
    char *data = (char *)(block + n);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = strings ? strings[i] : base + offsets[i];
        const size_t len = strlen(s) + 1;
        memcpy(data + used, s, len);
        block[i] = data + used;
        used += len;
    }
    return block;
}

/* A later file must match the first: same header, then same meta line. */
static int check_same(const lapse_table *t, const char *first,
                      const lapse_table_reader *reader, lapse_error *err)
{
    const char *path = lapse_table_reader_path(reader);
    const char *const *names = lapse_table_reader_feature_names(reader);
    const size_t n = lapse_table_reader_feature_count(reader);
    for (size_t j = 0; j < n || j < t->n_features; j++) {
        /* Past the shorter list its label column stands where the other has a feature. */
        const char *here = j < n ? names[j] : "label";
        const char *there = j < t->n_features ? t->feature_names[j] : "label";
        if (strcmp(here, there) != 0)
            return lapse_error_set(err, LAPSE_ERR_SCHEMA, path, 2, (int)j + 3, -1,
                                   "header differs from %s: column %zu is \"%.*s\" here, "
                                   "\"%.*s\" there",
                                   first, j + 3, SHOWN_MAX, here, SHOWN_MAX, there);
    }
    const lapse_table_meta *a = lapse_table_reader_meta(reader), *b = &t->meta;
    const char *key = a->version != b->version
                          ? "version"
                          : lapse_churn_field_name(lapse_churn_diff(&a->churn, &b->churn));
    /* Labels from two sources (the log, or label files) must not mix. */
    if (!key && strcmp(a->labels_sha256, b->labels_sha256) != 0)
        key = "labels";
    if (!key)
        return LAPSE_OK;
    /* The lines without their warnings, which may differ between files. */
    lapse_table_meta shown_a = *a, shown_b = *b;
    shown_a.warnings[0] = shown_b.warnings[0] = '\0';
    char mine[512], theirs[512];
    lapse_table_meta_format(mine, sizeof mine, &shown_a);
    lapse_table_meta_format(theirs, sizeof theirs, &shown_b);
    return lapse_error_set(err, LAPSE_ERR_SCHEMA, path, 1, 0, -1,
                           "meta line differs from %s in %s: \"%s\" here, \"%s\" there", first,
                           key, mine, theirs);
}

/* The table's meta and names from its first file, and a batch to read into. */
static int start_table(builder *b, lapse_table_batch **batch, const lapse_table_reader *reader,
                       lapse_error *err)
{
    lapse_table *t = b->table;
    t->meta = *lapse_table_reader_meta(reader);
    t->n_features = lapse_table_reader_feature_count(reader);
    const char *const *names = lapse_table_reader_feature_names(reader);
    size_t bytes = 0;
    for (size_t j = 0; j < t->n_features; j++)
        bytes += strlen(names[j]) + 1;
    t->feature_names = pack_strings(names, NULL, NULL, t->n_features, bytes);
    const size_t fit = READ_BATCH_BYTES / (t->n_features * sizeof(double));
    *batch = lapse_table_batch_create(fit < 1 ? 1 : fit > READ_BATCH_ROWS ? READ_BATCH_ROWS : fit,
                                      t->n_features);
    if (!t->feature_names || !*batch || builder_reserve(b, 1) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, lapse_table_reader_path(reader), 0, 0, -1,
                               "out of memory");
    return LAPSE_OK;
}

/* Every row of reader (file number file of paths) into the table. */
static int add_rows(builder *b, lapse_table_reader *reader, lapse_table_batch *batch,
                    size_t file, const char *const *paths, lapse_error *err)
{
    int got;
    while ((got = lapse_table_reader_next(reader, batch, err)) > 0) {
        const int status = builder_add_batch(b, batch, file, paths, err);
        if (status != LAPSE_OK)
            return status;
    }
    return got;
}

/* The rows' ids, packed once every row is in. */
static int finish_table(builder *b, const char *path, lapse_error *err)
{
    lapse_table *t = b->table;
    if (!b->days_to_churn) {
        free(t->days_to_churn);
        t->days_to_churn = NULL;
    }
    t->user_ids = pack_strings(NULL, b->id_offset, b->ids, t->n_rows, b->ids_len);
    return t->user_ids ? LAPSE_OK
                       : lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
}

int lapse_table_read(lapse_table **out, const char *const *paths, size_t n_paths,
                     lapse_error *err)
{
    *out = NULL;
    if (n_paths == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no table files given");
    builder b = { 0 };
    lapse_table_reader *reader = NULL;
    lapse_table_batch *batch = NULL;
    int status = LAPSE_OK;
    b.table = calloc(1, sizeof *b.table);
    if (!b.table) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, paths[0], 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t file = 0; file < n_paths && status == LAPSE_OK; file++) {
        status = lapse_table_reader_open(&reader, paths[file], err);
        if (status == LAPSE_OK)
            b.days_to_churn = lapse_table_reader_has_days_to_churn(reader) &&
                              (file == 0 || b.days_to_churn);
        if (status == LAPSE_OK)
            status = file == 0 ? start_table(&b, &batch, reader, err)
                               : check_same(b.table, paths[0], reader, err);
        if (status == LAPSE_OK)
            status = add_rows(&b, reader, batch, file, paths, err);
        lapse_table_reader_close(reader);
        reader = NULL;
    }
    if (status == LAPSE_OK)
        status = finish_table(&b, paths[0], err);
done:
    lapse_table_batch_free(batch);
    builder_free(&b);
    if (status != LAPSE_OK) {
        lapse_table_free(b.table);
        return status;
    }
    *out = b.table;
    return LAPSE_OK;
}

int lapse_table_read_foreign(lapse_table **out, const char *path,
                             const lapse_foreign_options *opts, lapse_error *err)
{
    *out = NULL;
    builder b = { 0 };
    lapse_table_reader *reader = NULL;
    lapse_table_batch *batch = NULL;
    lapse_foreign_encoding *enc = NULL;
    int status = lapse_foreign_infer(&enc, path, opts, err);
    if (status == LAPSE_OK && !(b.table = calloc(1, sizeof *b.table)))
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    if (status == LAPSE_OK) {
        b.table->encoding = enc; /* now owned by the table */
        enc = NULL;
        status = lapse_table_reader_open_foreign(&reader, path, b.table->encoding, err);
    }
    if (status == LAPSE_OK)
        status = start_table(&b, &batch, reader, err);
    if (status == LAPSE_OK)
        status = add_rows(&b, reader, batch, 0, &path, err);
    if (status == LAPSE_OK)
        status = finish_table(&b, path, err);
    lapse_table_reader_close(reader);
    lapse_table_batch_free(batch);
    lapse_foreign_free(enc);
    builder_free(&b);
    if (status != LAPSE_OK) {
        lapse_table_free(b.table);
        return status;
    }
    *out = b.table;
    return LAPSE_OK;
}

int lapse_table_check_names(const char *const *names, size_t count,
                            const char *const *expected, size_t expected_count,
                            const char *path, lapse_error *err)
{
    for (size_t j = 0; j < count && j < expected_count; j++)
        if (strcmp(names[j], expected[j]) != 0)
            return lapse_error_set(err, LAPSE_ERR_SCHEMA, path, 0, 0, -1,
                                   "feature %zu is \"%.*s\" in the table, the model expects "
                                   "\"%.*s\"",
                                   j + 1, SHOWN_MAX, names[j], SHOWN_MAX, expected[j]);
    if (count != expected_count)
        return lapse_error_set(err, LAPSE_ERR_SCHEMA, path, 0, 0, -1,
                               "the table has %zu features, the model expects %zu", count,
                               expected_count);
    return LAPSE_OK;
}
