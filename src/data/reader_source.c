/* One log file -> chunks of whole records: text from the input layer,
 * cut after the last newline outside quotes (JSON lines: the last newline). */
#define _GNU_SOURCE /* memrchr */
#include "reader_internal.h"

#include "input.h"

#include <stdlib.h>
#include <string.h>

/* A record this long, or a quote left open this long, is refused. */
#define MAX_PENDING_BYTES (64u * 1024u * 1024u)

struct reader_source {
    const char *path;
    lapse_input *in;
    char *text;             /* decompressed, not yet handed out */
    size_t text_len, text_capacity;
    int text_eof;
    int header_done;
    int json;               /* JSON lines: no header, and quotes do not hide newlines */
    int64_t line;           /* line of text[0] */
};

void text_chunk_free(text_chunk *chunk)
{
    if (chunk) {
        free(chunk->data);
        chunk->data = NULL;
        chunk->len = chunk->capacity = 0;
    }
}

int64_t source_bytes_read(const reader_source *src)
{
    return lapse_input_bytes_read(src->in);
}

lapse_input_format source_format(const reader_source *src)
{
    return lapse_input_format_of(src->in);
}

void source_free(reader_source *src)
{
    if (!src)
        return;
    lapse_input_close(src->in);
    free(src->text);
    free(src);
}

int source_open(reader_source **out, const char *path, lapse_error *err)
{
    reader_source *src = calloc(1, sizeof *src);
    if (!src)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    src->path = path;
    src->line = 1;
    const int status = lapse_input_open(&src->in, path, err);
    if (status != LAPSE_OK) {
        free(src);
        return status;
    }
    *out = src;
    return LAPSE_OK;
}

/* Appends up to want bytes of text; sets text_eof at the end. */
static int fill_text(reader_source *src, size_t want, lapse_error *err)
{
    size_t got;
    const int status = lapse_input_read(src->in, src->text + src->text_len, want, &got, err);
    src->text_len += got;
    src->text_eof = got == 0;
    return status;
}

static int ensure_capacity(char **data, size_t *capacity, size_t need)
{
    if (*capacity >= need)
        return 0;
    size_t cap = *capacity ? *capacity : READER_CHUNK_BYTES;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(*data, cap);
    if (!grown)
        return -1;
    *data = grown;
    *capacity = cap;
    return 0;
}

/* Position just after the first newline outside quotes, or 0. */
static size_t first_cut(const char *text, size_t len)
{
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"')
            quoted ^= 1;
        else if (text[i] == '\n' && !quoted)
            return i + 1;
    }
    return 0;
}

/* Counted in blocks of 240 bytes (under 256, a multiple of 16) into an 8-bit
 * sum, which the compiler turns into byte-wide vector compares; a size_t sum
 * per byte was not vectorised and cost 2 instructions a byte, twice over
 * every chunk (quotes, then newlines). */
static size_t count_byte(const char *text, size_t len, char byte)
{
    size_t n = 0;
    while (len > 0) {
        const size_t block = len < 240 ? len : 240;
        unsigned char sum = 0;
        for (size_t i = 0; i < block; i++)
            sum += text[i] == byte;
        n += sum;
        text += block;
        len -= block;
    }
    return n;
}

/* Position just after the last newline outside quotes, or 0. The text
 * starts outside quotes, so a newline is outside when an even number of
 * quotes precedes it. */
static size_t last_cut(const char *text, size_t len)
{
    const size_t quotes = count_byte(text, len, '"');
    size_t after = 0; /* quotes after the candidate newline */
    size_t end = len;
    while (end > 0) {
        const char *nl = memrchr(text, '\n', end);
        if (!nl)
            return 0;
        const size_t pos = (size_t)(nl - text);
        after += count_byte(nl + 1, end - pos - 1, '"');
        if (((quotes - after) & 1) == 0)
            return pos + 1;
        end = pos;
    }
    return 0;
}

int source_next(reader_source *src, text_chunk *chunk, lapse_error *err)
{
    size_t cut = 0;
    for (;;) {
        const size_t target = src->header_done ? READER_CHUNK_BYTES : 4096;
        if (src->text_len < target && !src->text_eof) {
            if (ensure_capacity(&src->text, &src->text_capacity, target) != 0)
                return lapse_error_set(err, LAPSE_ERR_NOMEM, src->path, 0, 0, -1,
                                       "out of memory");
            while (src->text_len < target && !src->text_eof) {
                const int status = fill_text(src, target - src->text_len, err);
                if (status != LAPSE_OK)
                    return status;
            }
        }
        if (!src->header_done)
            src->json = src->text_len > 0 && src->text[0] == '{';
        if (src->json) {
            /* A string's escaped quotes (\") would fool the quote parity;
             * JSON text holds no raw newline inside a string. */
            const char *nl = src->header_done ? memrchr(src->text, '\n', src->text_len)
                                              : memchr(src->text, '\n', src->text_len);
            cut = nl ? (size_t)(nl - src->text) + 1 : 0;
        } else {
            cut = src->header_done ? last_cut(src->text, src->text_len)
                                   : first_cut(src->text, src->text_len);
        }
        if (src->text_eof && (cut == 0 || !src->header_done))
            cut = cut ? cut : src->text_len;
        if (cut > 0 || (src->text_eof && src->text_len == 0))
            break;
        /* No record ends in what we have: read on. */
        if (src->text_len >= MAX_PENDING_BYTES)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, src->path, src->line, 0, -1,
                                   "no line end outside quotes in %u MB (a quote left open?)",
                                   MAX_PENDING_BYTES >> 20);
        if (ensure_capacity(&src->text, &src->text_capacity, src->text_len * 2) != 0)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, src->path, 0, 0, -1, "out of memory");
        const int status = fill_text(src, src->text_capacity - src->text_len, err);
        if (status != LAPSE_OK)
            return status;
    }
    if (cut == 0) {
        if (!src->header_done)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, src->path, 1, 0, -1,
                                   "empty file (expected a header row)");
        return 0;
    }
    if (src->json && !src->header_done) {
        /* JSON lines have no header: the first line goes out as one, to
         * tell the format by, and again as the first record. */
        if (ensure_capacity(&chunk->data, &chunk->capacity, cut) != 0)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, src->path, 0, 0, -1, "out of memory");
        memcpy(chunk->data, src->text, cut);
        chunk->len = cut;
        chunk->first_line = src->line;
        src->header_done = 1;
        return 1;
    }
    /* Hand the text over and keep the rest in the chunk's old buffer. */
    const size_t rest = src->text_len - cut;
    if (ensure_capacity(&chunk->data, &chunk->capacity,
                        rest > READER_CHUNK_BYTES ? rest : READER_CHUNK_BYTES) != 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, src->path, 0, 0, -1, "out of memory");
    memcpy(chunk->data, src->text + cut, rest);
    char *handed = src->text;
    const size_t handed_capacity = src->text_capacity;
    src->text = chunk->data;
    src->text_capacity = chunk->capacity;
    src->text_len = rest;
    chunk->data = handed;
    chunk->capacity = handed_capacity;
    chunk->len = cut;
    chunk->first_line = src->line;
    src->line += (int64_t)count_byte(handed, cut, '\n');
    src->header_done = 1;
    return 1;
}
