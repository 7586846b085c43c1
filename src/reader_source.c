/* One log file -> chunks of whole records: zlib inflate (or plain reads),
 * cut after the last newline outside quotes. */
#define _GNU_SOURCE /* memrchr */
#include "reader_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define INPUT_BYTES (256u * 1024u)
/* A record this long, or a quote left open this long, is refused. */
#define MAX_PENDING_BYTES (64u * 1024u * 1024u)

struct reader_source {
    const char *path;
    FILE *file;
    int is_stdin;
    int gzip;
    z_stream z;
    int z_ready;
    int member_open;        /* inside a gzip member (EOF now = truncated) */
    int64_t members_done;   /* gzip members read to their end */
    int64_t member_start;   /* file offset where the last member ended */
    unsigned char *input;
    size_t input_len;       /* plain: undelivered bytes in input (the sniffed start) */
    int64_t consumed;       /* bytes read from the file */
    int input_eof;

    char *text;             /* decompressed, not yet handed out */
    size_t text_len, text_capacity;
    int text_eof;
    int header_done;
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
    return src->consumed - (src->gzip ? (int64_t)src->z.avail_in : (int64_t)src->input_len);
}


void source_free(reader_source *src)
{
    if (!src)
        return;
    if (src->file && !src->is_stdin)
        fclose(src->file);
    if (src->z_ready)
        inflateEnd(&src->z);
    free(src->input);
    free(src->text);
    free(src);
}

static int read_input(reader_source *src, unsigned char *into, size_t want, size_t *got,
                      lapse_error *err)
{
    *got = fread(into, 1, want, src->file);
    src->consumed += (int64_t)*got;
    if (*got == 0) {
        if (ferror(src->file))
            return lapse_error_set(err, LAPSE_ERR_IO, src->path, 0, 0, -1, "read failed: %s",
                                   strerror(errno));
        src->input_eof = 1;
    }
    return LAPSE_OK;
}

int source_open(reader_source **out, const char *path, lapse_error *err)
{
    reader_source *src = calloc(1, sizeof *src);
    if (!src)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    src->path = path;
    src->line = 1;
    src->is_stdin = strcmp(path, "-") == 0;
    src->file = src->is_stdin ? stdin : fopen(path, "rb");
    int status = LAPSE_OK;
    if (!src->file) {
        status = lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                                 strerror(errno));
        goto done;
    }
    src->input = malloc(INPUT_BYTES);
    if (!src->input) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    /* Sniff the magic: the first bytes stay in input for whichever path. */
    size_t got = 0;
    while (src->input_len < 2 && !src->input_eof) {
        status = read_input(src, src->input + src->input_len, INPUT_BYTES - src->input_len,
                            &got, err);
        if (status != LAPSE_OK)
            goto done;
        src->input_len += got;
    }
    src->gzip = src->input_len >= 2 && src->input[0] == 0x1f && src->input[1] == 0x8b;
    if (src->gzip) {
        if (inflateInit2(&src->z, 15 + 16) != Z_OK) {
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
            goto done;
        }
        src->z_ready = 1;
        src->z.next_in = src->input;
        src->z.avail_in = (uInt)src->input_len;
        src->input_len = 0;
        src->member_open = 1;
    }
done:
    if (status != LAPSE_OK) {
        source_free(src);
        return status;
    }
    *out = src;
    return LAPSE_OK;
}

/* Appends up to want decompressed bytes to text; sets text_eof at the end. */
static int fill_text(reader_source *src, size_t want, lapse_error *err)
{
    char *into = src->text + src->text_len;
    if (!src->gzip) {
        size_t got = 0;
        if (src->input_len) {
            got = src->input_len < want ? src->input_len : want;
            memcpy(into, src->input, got);
            memmove(src->input, src->input + got, src->input_len - got);
            src->input_len -= got;
        } else {
            const int status = read_input(src, (unsigned char *)into, want, &got, err);
            if (status != LAPSE_OK)
                return status;
            if (got == 0)
                src->text_eof = 1;
        }
        src->text_len += got;
        return LAPSE_OK;
    }
    z_stream *z = &src->z;
    z->next_out = (Bytef *)into;
    z->avail_out = (uInt)want;
    while (z->avail_out > 0) {
        if (z->avail_in == 0) {
            size_t got;
            const int status = read_input(src, src->input, INPUT_BYTES, &got, err);
            if (status != LAPSE_OK)
                return status;
            if (got == 0) {
                if (src->member_open)
                    return lapse_error_set(err, LAPSE_ERR_GZIP, src->path, 0, 0, src->consumed,
                                           "truncated gzip stream (it ends inside a member)");
                src->text_eof = 1;
                break;
            }
            z->next_in = src->input;
            z->avail_in = (uInt)got;
        }
        if (!src->member_open) {
            /* Concatenated members (cat a.gz b.gz) are one stream. */
            inflateReset(z);
            src->member_open = 1;
        }
        const int ret = inflate(z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            src->member_open = 0;
            src->members_done++;
            src->member_start = src->consumed - (int64_t)z->avail_in;
        } else if (ret == Z_MEM_ERROR) {
            return lapse_error_set(err, LAPSE_ERR_NOMEM, src->path, 0, 0, -1, "out of memory");
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            /* Bytes after a complete member that do not start another one
             * (padding, a stray append) get a name of their own. */
            if (src->members_done > 0 && z->total_out == 0)
                return lapse_error_set(err, LAPSE_ERR_GZIP, src->path, 0, 0,
                                       src->member_start,
                                       "data after the end of the gzip stream is not gzip "
                                       "(%s)",
                                       z->msg ? z->msg : "bad data");
            return lapse_error_set(err, LAPSE_ERR_GZIP, src->path, 0, 0,
                                   src->consumed - (int64_t)z->avail_in,
                                   "corrupt gzip stream (%s)", z->msg ? z->msg : "bad data");
        }
    }
    src->text_len += want - z->avail_out;
    return LAPSE_OK;
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
        if (!src->header_done) {
            static const char bom[3] = { '\xef', '\xbb', '\xbf' };
            if (src->text_len >= 3 && memcmp(src->text, bom, 3) == 0) {
                memmove(src->text, src->text + 3, src->text_len - 3);
                src->text_len -= 3;
            }
            cut = first_cut(src->text, src->text_len);
        } else {
            cut = last_cut(src->text, src->text_len);
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
