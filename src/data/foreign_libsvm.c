/* libsvm files as foreign tables: `label index:value ...` per line, read
 * through the input layer (plain, gzip, zstd), a line at a time. */
#include "foreign_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN FOREIGN_SHOWN_MAX
#define LINE_MAX_BYTES (1 << 20) /* a row of up to about 65536 entries */
#define CHUNK (1 << 16)

struct libsvm_rows {
    const char *path;
    lapse_input *in;
    char *buf;          /* read-ahead bytes [pos, len) */
    size_t pos, len;
    int at_end;
    char *line;         /* the current line, NUL-terminated */
    int64_t line_no;
    size_t width;       /* scoring: indices above it are refused; 0: any (inferring) */
    size_t max_index;   /* inferring: the largest index seen */
};

void lapse__libsvm_rows_close(libsvm_rows *r)
{
    if (!r)
        return;
    lapse_input_close(r->in);
    free(r->buf);
    free(r->line);
    free(r);
}

int lapse__libsvm_rows_open(libsvm_rows **out, const char *path, size_t width, lapse_error *err)
{
    *out = NULL;
    libsvm_rows *r = calloc(1, sizeof *r);
    if (!r || !(r->buf = malloc(CHUNK)) || !(r->line = malloc(LINE_MAX_BYTES + 1))) {
        lapse__libsvm_rows_close(r);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    r->path = path;
    r->width = width;
    const int status = lapse_input_open(&r->in, path, err);
    if (status != LAPSE_OK) {
        lapse__libsvm_rows_close(r);
        return status;
    }
    *out = r;
    return LAPSE_OK;
}

/* The next line into r->line (without '\n' or a final '\r'). Returns 1, 0
 * at the end, or an error. */
static int next_line(libsvm_rows *r, lapse_error *err)
{
    size_t n = 0;
    for (;;) {
        if (r->pos == r->len) {
            if (r->at_end)
                break;
            const int status = lapse_input_read(r->in, r->buf, CHUNK, &r->len, err);
            if (status != LAPSE_OK)
                return status;
            r->pos = 0;
            r->at_end = r->len == 0;
            continue;
        }
        const char *start = r->buf + r->pos;
        const char *nl = memchr(start, '\n', r->len - r->pos);
        const size_t take = nl ? (size_t)(nl - start) : r->len - r->pos;
        if (n + take > LINE_MAX_BYTES)
            return lapse_error_set(err, LAPSE_ERR_LIMIT, r->path, r->line_no + 1, 0, -1,
                                   "line longer than %d bytes", LINE_MAX_BYTES);
        memcpy(r->line + n, start, take);
        n += take;
        r->pos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (n == 0 && r->at_end && r->pos == r->len)
        return 0;
    r->line_no++;
    if (n > 0 && r->line[n - 1] == '\r')
        n--;
    r->line[n] = '\0';
    if (memchr(r->line, '\0', n))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, r->line_no, 0, -1,
                               "line has a NUL byte");
    return 1;
}

#define BAD(column, ...)                                                                       \
    lapse_error_set(err, LAPSE_ERR_FORMAT, r->path, r->line_no, (column), -1, __VA_ARGS__)

/* Parses the current line: its label, and its entries into x (width
 * values, zeroed first) when x is not NULL. Columns in messages count
 * whitespace-separated fields from 1. */
static int parse_line(libsvm_rows *r, int8_t *label, double *x, lapse_error *err)
{
    static const char space[] = " \t";
    char *p = r->line + strspn(r->line, space);
    if (x)
        memset(x, 0, r->width * sizeof *x);
    size_t len = strcspn(p, space);
    if (len == 0)
        return BAD(1, "empty line: a libsvm row is 'label index:value ...'");
    if ((len == 1 && p[0] == '1') || (len == 2 && memcmp(p, "+1", 2) == 0))
        *label = 1;
    else if ((len == 1 && p[0] == '0') || (len == 2 && memcmp(p, "-1", 2) == 0))
        *label = 0;
    else
        return BAD(1, "bad label \"%.*s\" (expected 1, +1, 0 or -1)",
                   (int)(len > SHOWN ? SHOWN : len), p);
    p += len;
    unsigned long previous = 0;
    for (int field = 2;; field++) {
        p += strspn(p, space);
        len = strcspn(p, space);
        if (len == 0)
            return LAPSE_OK;
        const int shown = (int)(len > SHOWN ? SHOWN : len);
        char *colon = memchr(p, ':', len);
        char *end;
        errno = 0;
        const unsigned long index = colon && p[0] >= '0' && p[0] <= '9' ? strtoul(p, &end, 10) : 0;
        if (!colon || index == 0 || end != colon || errno)
            return BAD(field, "bad entry \"%.*s\" (expected index:value, index from 1)", shown,
                       p);
        if (index <= previous)
            return BAD(field, "index %lu after %lu: indices must increase along a row", index,
                       previous);
        if (index > LAPSE_TABLE_FEATURES_MAX)
            return lapse_error_set(err, LAPSE_ERR_LIMIT, r->path, r->line_no, field, -1,
                                   "index %lu: a table has at most %d features", index,
                                   LAPSE_TABLE_FEATURES_MAX);
        if (r->width && index > r->width)
            return lapse_error_set(err, LAPSE_ERR_SCHEMA, r->path, r->line_no, field, -1,
                                   "feature f%lu is not one the model was trained on (it knows "
                                   "f1 to f%zu)",
                                   index, r->width);
        previous = index;
        const char saved = p[len];
        p[len] = '\0';
        double v;
        const int bad = lapse_field_number(colon + 1, (size_t)(p + len - colon - 1), &v);
        p[len] = saved;
        if (bad)
            return BAD(field, "bad value in \"%.*s\" (expected a finite decimal number)", shown,
                       p);
        if (x)
            x[index - 1] = v;
        if (index > r->max_index)
            r->max_index = index;
        p += len;
    }
}

int lapse__libsvm_rows_next(libsvm_rows *r, lapse_table_batch *b, lapse_error *err)
{
    b->n_rows = 0;
    while (b->n_rows < b->capacity) {
        const int got = next_line(r, err);
        if (got <= 0) {
            if (got < 0)
                b->n_rows = 0;
            return got < 0 ? got : (int)b->n_rows;
        }
        const size_t i = b->n_rows;
        const int status = parse_line(r, &b->labels[i], b->x + i * b->n_features, err);
        if (status != LAPSE_OK) {
            b->n_rows = 0;
            return status;
        }
        snprintf(b->user_ids[i], sizeof b->user_ids[i], "%lld", (long long)r->line_no);
        b->asof[i] = LAPSE_TABLE_NO_ASOF;
        b->lines[i] = r->line_no;
        b->n_rows++;
    }
    return (int)b->n_rows;
}

/* f1..fN for N the largest index: every column a number, absent = 0. */
static int make_encoding(lapse_foreign_encoding **out, size_t n)
{
    lapse_foreign_encoding *e = calloc(1, sizeof *e);
    if (!e)
        return LAPSE_ERR_NOMEM;
    e->format = LAPSE_FOREIGN_LIBSVM;
    e->id_column = strdup("");
    e->label_column = strdup("");
    e->positive = strdup("");
    e->columns = calloc(n, sizeof *e->columns);
    int ok = e->id_column && e->label_column && e->positive && e->columns;
    for (size_t j = 0; ok && j < n; j++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu", j + 1);
        e->columns[j].kind = LAPSE_COLUMN_NUMBER;
        ok = (e->columns[j].name = strdup(name)) != NULL;
        e->n_columns += ok;
    }
    if (!ok) {
        lapse_foreign_free(e);
        return LAPSE_ERR_NOMEM;
    }
    *out = e;
    return LAPSE_OK;
}

int lapse__libsvm_infer(lapse_foreign_encoding **out, const char *path, lapse_error *err)
{
    libsvm_rows *r = NULL;
    int status = lapse__libsvm_rows_open(&r, path, 0, err);
    uint64_t counts[2] = { 0, 0 };
    int got = 0;
    while (status == LAPSE_OK && (got = next_line(r, err)) > 0) {
        int8_t label;
        status = parse_line(r, &label, NULL, err);
        counts[label == 1] += status == LAPSE_OK;
    }
    if (status == LAPSE_OK && got < 0)
        status = got;
    if (status == LAPSE_OK && counts[0] + counts[1] == 0)
        status = lapse_error_set(err, LAPSE_ERR_RANGE, path, 0, 0, -1, "the table has no rows");
    else if (status == LAPSE_OK && r->max_index == 0)
        status = lapse_error_set(err, LAPSE_ERR_RANGE, path, 0, 0, -1,
                                 "no row has a feature (index:value)");
    else if (status == LAPSE_OK && (counts[0] == 0 || counts[1] == 0))
        status = lapse_error_set(err, LAPSE_ERR_RANGE, path, 0, 1, -1,
                                 "the labels are constant: all %llu are %d",
                                 (unsigned long long)(counts[0] + counts[1]), counts[1] ? 1 : 0);
    if (status == LAPSE_OK && make_encoding(out, r->max_index) != LAPSE_OK)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    lapse__libsvm_rows_close(r);
    return status;
}
