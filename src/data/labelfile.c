/* Label files (labelfile.h). */
#include "labelfile.h"

#include "input.h"
#include "strmap.h"

#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COL_USER, COL_ASOF, COL_LABEL, N_COLS };
static const char *const col_names[N_COLS] = { "user_id", "asof", "label" };

/* An entry's key: with an asof column, the day's 4 bytes then the user id
 * (fixed-width first, so two different pairs never make the same bytes). */
#define KEY_MAX (4 + LAPSE_USER_ID_MAX)

struct label_file {
    char *path;
    char sha256[2 * SHA256_DIGEST_SIZE + 1];
    int by_asof, has_label;
    lapse_strmap *keys; /* entry i is key i */
    int8_t *label;
    int32_t *day;
    int64_t *line;
    size_t capacity;
};

typedef struct {
    label_file *f;
    int need_label;
    const char *user_column; /* the log's name for user_id, or NULL */
    int in_header;
    int col[N_COLS]; /* field index, -1 when absent */
    char key[KEY_MAX];
    size_t user_len;
    int32_t day;
    int label;
    lapse_error *err;
} reader;

static int fail(const lapse_input_csv *csv, reader *s, int column, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const lapse_input_csv *csv, reader *s, int column, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), column, -1, "%s", message);
}

static int header_field(const lapse_input_csv *csv, reader *s, const char *text)
{
    const int field = lapse_input_csv_fields(csv);
    for (int c = 0; c < N_COLS; c++) {
        const int named = strcmp(text, col_names[c]) == 0 ||
                          (c == COL_USER && s->user_column && strcmp(text, s->user_column) == 0);
        if (!named)
            continue;
        if (s->col[c] >= 0)
            return fail(csv, s, field + 1, "column \"%s\" appears twice", text);
        s->col[c] = field;
        return LAPSE_OK;
    }
    /* A file without a header, or one named as its own system names it,
     * are the two ways real label files miss. */
    return fail(csv, s, field + 1,
                "unknown column \"%.64s\": a label file starts with a header naming user_id (or "
                "the log's --col user_id=NAME), asof and label",
                text);
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    reader *s = user;
    if (s->in_header)
        return header_field(csv, s, text);
    const int field = lapse_input_csv_fields(csv);
    if (field == s->col[COL_USER]) {
        if (len == 0)
            return fail(csv, s, field + 1, "empty user id");
        if (len > LAPSE_USER_ID_MAX)
            return fail(csv, s, field + 1, "user id longer than %d bytes", LAPSE_USER_ID_MAX);
        if (memchr(text, '\0', len))
            return fail(csv, s, field + 1, "NUL byte in the user id");
        memcpy(s->key + 4, text, len);
        s->user_len = len;
    } else if (field == s->col[COL_ASOF]) {
        int64_t asof;
        if (lapse_date_parse(&asof, text, len) != LAPSE_OK)
            return fail(csv, s, field + 1, "bad asof \"%.64s\": want a date YYYY-MM-DD", text);
        s->day = (int32_t)(asof / LAPSE_SECONDS_PER_DAY);
    } else if (field == s->col[COL_LABEL]) {
        if (len > 1 || (len == 1 && text[0] != '0' && text[0] != '1'))
            return fail(csv, s, field + 1,
                        "label must be 0, 1 or empty (unknown), not \"%.64s\"", text);
        s->label = len ? text[0] - '0' : -1;
    } else {
        return fail(csv, s, field + 1, "more fields than the header's %d",
                    (s->col[COL_ASOF] >= 0) + (s->col[COL_LABEL] >= 0) + 1);
    }
    return LAPSE_OK;
}

static int grow(label_file *f)
{
    const size_t capacity = f->capacity ? 2 * f->capacity : 256;
    int8_t *label = realloc(f->label, capacity * sizeof *label);
    if (label)
        f->label = label;
    int32_t *day = realloc(f->day, capacity * sizeof *day);
    if (day)
        f->day = day;
    int64_t *line = realloc(f->line, capacity * sizeof *line);
    if (line)
        f->line = line;
    if (!label || !day || !line)
        return -1;
    f->capacity = capacity;
    return 0;
}

static int on_row(const lapse_input_csv *csv, void *user)
{
    reader *s = user;
    label_file *f = s->f;
    const int fields = lapse_input_csv_fields(csv);
    if (s->in_header) {
        if (s->col[COL_USER] < 0)
            return fail(csv, s, 0, "the header has no user_id column");
        if (s->need_label && s->col[COL_LABEL] < 0)
            return fail(csv, s, 0, "the header has no label column");
        s->in_header = 0;
        f->by_asof = s->col[COL_ASOF] >= 0;
        f->has_label = s->col[COL_LABEL] >= 0;
        return LAPSE_OK;
    }
    const int want = 1 + f->by_asof + (s->col[COL_LABEL] >= 0);
    if (fields < want)
        return fail(csv, s, fields + 1, "%d fields, the header has %d", fields, want);
    size_t len = s->user_len;
    const char *key = s->key + 4;
    if (f->by_asof) {
        memcpy(s->key, &s->day, 4);
        key = s->key;
        len += 4;
    }
    const size_t n = lapse_strmap_size(f->keys);
    if (n == f->capacity && grow(f) != 0)
        return lapse_error_set(s->err, LAPSE_ERR_NOMEM, f->path, 0, 0, -1, "out of memory");
    int added;
    const int64_t id = lapse_strmap_intern(f->keys, key, len, &added);
    if (id < 0)
        return lapse_error_set(s->err, LAPSE_ERR_NOMEM, f->path, 0, 0, -1, "out of memory");
    if (!added) {
        char date[11] = "";
        if (f->by_asof)
            lapse_time_format_date(date, (int64_t)s->day * LAPSE_SECONDS_PER_DAY);
        return fail(csv, s, s->col[COL_USER] + 1, "user \"%.*s\"%s%s is listed twice: lines %lld and %lld",
                    (int)(s->user_len > 64 ? 64 : s->user_len), s->key + 4,
                    f->by_asof ? " at " : "", date, (long long)f->line[id],
                    (long long)lapse_input_csv_line(csv));
    }
    f->label[id] = (int8_t)(s->col[COL_LABEL] >= 0 ? s->label : -1);
    f->day[id] = f->by_asof ? s->day : 0;
    f->line[id] = lapse_input_csv_line(csv);
    return LAPSE_OK;
}

/* The sha256 of the bytes of path, as hex. */
static int hash_file(char out[2 * SHA256_DIGEST_SIZE + 1], const char *path, lapse_error *err)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                               strerror(errno));
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, in)) > 0)
        sha256_update(&ctx, got, buf);
    const int failed = ferror(in);
    fclose(in);
    if (failed)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot read: %s",
                               strerror(errno));
    unsigned char digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        sprintf(out + 2 * i, "%02x", digest[i]);
    return LAPSE_OK;
}

int label_file_read(label_file **out, const char *path, int need_label, const char *user_column,
                    lapse_error *err)
{
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "a label file must be a file, not standard input (its sha256 "
                               "is recorded with the table)");
    label_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path)) || !(f->keys = lapse_strmap_create())) {
        label_file_free(f);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    reader s = { .f = f, .need_label = need_label, .user_column = user_column, .in_header = 1,
                 .err = err };
    for (int c = 0; c < N_COLS; c++)
        s.col[c] = -1;
    int status = hash_file(f->sha256, path, err);
    if (status == LAPSE_OK)
        status = lapse_input_csv_read(f->path, NULL, on_field, on_row, &s, err);
    if (status == LAPSE_OK && s.in_header)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "no header: the file is empty");
    if (status != LAPSE_OK) {
        label_file_free(f);
        return status;
    }
    *out = f; /* now owned by the caller */
    return LAPSE_OK;
}

void label_file_free(label_file *f)
{
    if (!f)
        return;
    lapse_strmap_free(f->keys);
    free(f->label);
    free(f->day);
    free(f->line);
    free(f->path);
    free(f);
}

const char *label_file_sha256(const label_file *f)
{
    return f->sha256;
}

const char *label_file_path(const label_file *f)
{
    return f->path;
}

int label_file_by_asof(const label_file *f)
{
    return f->by_asof;
}

int label_file_has_label(const label_file *f)
{
    return f->has_label;
}

size_t label_file_count(const label_file *f)
{
    return lapse_strmap_size(f->keys);
}

label_entry label_file_entry(const label_file *f, size_t i)
{
    label_entry e = { NULL, 0, f->day[i], f->label[i], f->line[i] };
    e.user = lapse_strmap_key(f->keys, (int64_t)i, &e.len);
    if (f->by_asof) { /* the key starts with the day's 4 bytes */
        e.user += 4;
        e.len -= 4;
    }
    return e;
}

int64_t label_file_find(const label_file *f, const char *user, size_t len, int32_t day)
{
    if (!f->by_asof)
        return lapse_strmap_find(f->keys, user, len);
    char key[KEY_MAX];
    if (len > LAPSE_USER_ID_MAX)
        return -1;
    memcpy(key, &day, 4);
    memcpy(key + 4, user, len);
    return lapse_strmap_find(f->keys, key, len + 4);
}
