/* The input layer: bytes from a file or stdin (plain, gzip or zstd, BOM dropped;
 * other compressions and UTF-16/32 refused by name), and the libcsv record
 * loop over them. */
#include "input.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef LAPSE_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* Compressed bytes per read; plain reads go straight into the caller's buffer. */
#define RAW_BYTES (256u * 1024u)

struct lapse_input {
    const char *path;
    FILE *file;
    int is_stdin;
    lapse_input_format format;
    unsigned char *raw;   /* gzip, zstd: compressed input; plain: the sniffed first bytes */
    size_t raw_len;       /* plain: sniffed bytes not yet delivered */
    int64_t consumed;     /* bytes read from the file */
    lapse_input_inflater inflater; /* gzip: who inflates it */
    z_stream z;
    int z_ready;
#ifdef LAPSE_HAVE_ISAL
    struct inflate_state *isal; /* about 50 KiB: allocated for gzip input only */
    unsigned char member_head[4]; /* ISA-L: a member's first bytes, checked as zlib does */
    int member_seen;              /* ... and how many of them igzip has taken */
    int64_t member_out;           /* ISA-L: bytes the member has inflated to so far */
#endif
    int member_open;      /* inside a gzip member (EOF now = truncated) */
    int64_t members_done; /* gzip members read to their end */
    int64_t member_start; /* file offset where the last member ended */
    ZSTD_DStream *zd;
    ZSTD_inBuffer zin;    /* over raw */
    int frame_open;       /* inside a zstd frame (EOF now = truncated) */
    int raw_eof;          /* zstd: the file has no more bytes */
    unsigned char head[48]; /* the text's first bytes, held back to look for a BOM and the like */
    size_t head_len, head_pos;
    int head_checked;
};

static int read_file(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                     lapse_error *err)
{
    *got = fread(into, 1, want, in->file);
    in->consumed += (int64_t)*got;
    if (*got == 0 && ferror(in->file))
        return lapse_error_set(err, LAPSE_ERR_IO, in->path, 0, 0, -1, "read failed: %s",
                               strerror(errno));
    return LAPSE_OK;
}

void lapse_input_close(lapse_input *in)
{
    if (!in)
        return;
    if (in->file && !in->is_stdin)
        fclose(in->file);
    if (in->z_ready)
        inflateEnd(&in->z);
#ifdef LAPSE_HAVE_ISAL
    free(in->isal);
#endif
    ZSTD_freeDStream(in->zd);
    free(in->raw);
    free(in);
}

/* Enough of the file to tell every format below from text. */
#define SNIFF_BYTES 10

/* Compressions lapse does not inflate, by their magic: without this they
 * would reach the CSV parser and be reported as a bad header. */
static int refuse_compressed(const lapse_input *in, lapse_error *err)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } formats[] = {
        { "\xfd\x37\x7a\x58\x5a\x00", 6, "xz data; lapse reads plain text, gzip or zstd: decompress it (xz -dc)" },
        { "\x04\x22\x4d\x18", 4, "lz4 data; lapse reads plain text, gzip or zstd: decompress it (lz4 -dc)" },
        { "PK\x03\x04", 4, "a zip archive; lapse reads plain text, gzip or zstd: extract the file (unzip -p)" },
        { "\x1f\x9d", 2, "compress (.Z) data; lapse reads plain text, gzip or zstd: decompress it (gzip -dc)" },
    };
    const unsigned char *b = in->raw;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (in->raw_len >= formats[i].len && memcmp(b, formats[i].magic, formats[i].len) == 0)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, in->path, 0, 0, 0, "this is %s",
                                   formats[i].what);
    /* "BZh" and a block size, then a block's or the end's magic: a header
     * that merely starts with "BZh" stays text. */
    if (in->raw_len >= 5 && memcmp(b, "BZh", 3) == 0 && b[3] >= '1' && b[3] <= '9' &&
        (b[4] == 0x31 || b[4] == 0x17))
        return lapse_error_set(err, LAPSE_ERR_FORMAT, in->path, 0, 0, 0,
                               "this is bzip2 data; lapse reads plain text, gzip or zstd: decompress "
                               "it (bzip2 -dc)");
    return LAPSE_OK;
}

/* A zstd frame, or a skippable frame (magic 0x184D2A50..5F, little-endian)
 * such as pzstd and seekable-format writers put first. */
static int is_zstd(const unsigned char *b, size_t len)
{
    if (len < 4)
        return 0;
    return memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0 ||
           ((b[0] & 0xf0) == 0x50 && b[1] == 0x2a && b[2] == 0x4d && b[3] == 0x18);
}

int lapse_input_have_isal(void)
{
#ifdef LAPSE_HAVE_ISAL
    return 1;
#else
    return 0;
#endif
}

/* ISA-L where it is built in, unless LAPSE_INFLATE=zlib asks for the
 * reference (to compare the two, or to rule ISA-L out). */
static lapse_input_inflater default_inflater(void)
{
    const char *forced = getenv("LAPSE_INFLATE");
    if (forced && strcmp(forced, "zlib") == 0)
        return LAPSE_INFLATE_ZLIB;
    return lapse_input_have_isal() ? LAPSE_INFLATE_ISAL : LAPSE_INFLATE_ZLIB;
}

static int start_gzip(lapse_input *in, lapse_error *err)
{
#ifdef LAPSE_HAVE_ISAL
    if (in->inflater == LAPSE_INFLATE_ISAL) {
        in->isal = malloc(sizeof *in->isal);
        if (!in->isal)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, in->path, 0, 0, -1, "out of memory");
        isal_inflate_init(in->isal);
        in->isal->crc_flag = ISAL_GZIP; /* header parsed, CRC32 and length checked */
        in->isal->next_in = in->raw;
        in->isal->avail_in = (uint32_t)in->raw_len;
        in->raw_len = 0;
        in->member_open = 1;
        return LAPSE_OK;
    }
#endif
    if (inflateInit2(&in->z, 15 + 16) != Z_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, in->path, 0, 0, -1, "out of memory");
    in->z_ready = 1;
    in->z.next_in = in->raw;
    in->z.avail_in = (uInt)in->raw_len;
    in->raw_len = 0;
    in->member_open = 1;
    return LAPSE_OK;
}

int lapse_input_open(lapse_input **out, const char *path, lapse_error *err)
{
    return lapse_input_open_inflater(out, path, default_inflater(), err);
}

int lapse_input_open_inflater(lapse_input **out, const char *path, lapse_input_inflater inflater,
                              lapse_error *err)
{
    lapse_input *in = calloc(1, sizeof *in);
    if (!in)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    in->path = path;
    in->inflater = lapse_input_have_isal() ? inflater : LAPSE_INFLATE_ZLIB;
    in->is_stdin = strcmp(path, "-") == 0;
    in->file = in->is_stdin ? stdin : fopen(path, "rb");
    int status = LAPSE_OK;
    if (!in->file) {
        status = lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                                 strerror(errno));
        goto done;
    }
    in->raw = malloc(RAW_BYTES);
    if (!in->raw) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    /* Sniff the magic: the first bytes stay in raw for whichever format. */
    size_t got = 1;
    while (in->raw_len < SNIFF_BYTES && got > 0) {
        status = read_file(in, in->raw + in->raw_len, RAW_BYTES - in->raw_len, &got, err);
        if (status != LAPSE_OK)
            goto done;
        in->raw_len += got;
    }
    status = refuse_compressed(in, err);
    if (status != LAPSE_OK)
        goto done;
    if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
        in->format = LAPSE_INPUT_GZIP;
        status = start_gzip(in, err);
    } else if (is_zstd(in->raw, in->raw_len)) {
        in->format = LAPSE_INPUT_ZSTD;
        in->zd = ZSTD_createDStream();
        if (!in->zd) {
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
            goto done;
        }
        in->zin = (ZSTD_inBuffer){ in->raw, in->raw_len, 0 };
        in->raw_len = 0;
        in->frame_open = 1;
    }
done:
    if (status != LAPSE_OK) {
        lapse_input_close(in);
        return status;
    }
    *out = in;
    return LAPSE_OK;
}

static int read_plain(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                      lapse_error *err)
{
    if (in->raw_len == 0)
        return read_file(in, into, want, got, err);
    *got = in->raw_len < want ? in->raw_len : want;
    memcpy(into, in->raw, *got);
    memmove(in->raw, in->raw + *got, in->raw_len - *got);
    in->raw_len -= *got;
    return LAPSE_OK;
}

static int read_gzip(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                     lapse_error *err)
{
    z_stream *z = &in->z;
    z->next_out = into;
    z->avail_out = (uInt)want;
    while (z->avail_out > 0) {
        if (z->avail_in == 0) {
            size_t n;
            const int status = read_file(in, in->raw, RAW_BYTES, &n, err);
            if (status != LAPSE_OK)
                return status;
            if (n == 0) {
                if (in->member_open)
                    return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, in->consumed,
                                           "truncated gzip stream (it ends inside a member)");
                break;
            }
            z->next_in = in->raw;
            z->avail_in = (uInt)n;
        }
        if (!in->member_open) {
            /* Concatenated members (cat a.gz b.gz) are one stream. */
            inflateReset(z);
            in->member_open = 1;
        }
        const int ret = inflate(z, Z_NO_FLUSH);
        if (ret == Z_STREAM_END) {
            in->member_open = 0;
            in->members_done++;
            in->member_start = in->consumed - (int64_t)z->avail_in;
        } else if (ret == Z_MEM_ERROR) {
            return lapse_error_set(err, LAPSE_ERR_NOMEM, in->path, 0, 0, -1, "out of memory");
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            /* Bytes after a complete member that do not start another one
             * (padding, a stray append) get a name of their own. */
            if (in->members_done > 0 && z->total_out == 0)
                return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, in->member_start,
                                       "data after the end of the gzip stream is not gzip "
                                       "(%s)",
                                       z->msg ? z->msg : "bad data");
            return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0,
                                   in->consumed - (int64_t)z->avail_in,
                                   "corrupt gzip stream (%s)", z->msg ? z->msg : "bad data");
        }
    }
    *got = want - z->avail_out;
    return LAPSE_OK;
}

#ifdef LAPSE_HAVE_ISAL
/* zlib's words for what ISA-L found, so both inflaters say the same. */
static const char *isal_error_text(int ret)
{
    switch (ret) {
    case ISAL_INVALID_BLOCK: return "invalid block";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "bad gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "bad data";
    }
}

/* zlib's checks of a member's magic, method and flags, with its words and
 * at the bytes it makes them (the magic once two bytes are in, method and
 * flags once four are): igzip waits for the whole header first and ignores
 * reserved flags. next_in holds the next avail bytes of the member, after
 * the member_seen it has taken. Returns NULL or what is wrong. */
static const char *gzip_head_check(lapse_input *in, const unsigned char *next_in, uint32_t avail)
{
    if (in->member_seen >= 4)
        return NULL;
    int known = in->member_seen;
    for (uint32_t i = 0; known < 4 && i < avail; i++)
        in->member_head[known++] = next_in[i];
    const unsigned char *h = in->member_head;
    if (known >= 2 && (h[0] != 0x1f || h[1] != 0x8b))
        return "incorrect header check";
    if (known >= 4 && h[2] != 8)
        return "unknown compression method";
    if (known >= 4 && (h[3] & 0xe0))
        return "unknown header flags set";
    return NULL;
}

/* igzip refused the member that starts at member_start, with *err saying
 * why. zlib is the reference for refusals (its words, its offsets, and the
 * few streams igzip reads differently, such as a CRC that is wrong before
 * a length cut short): when the file can seek back, zlib inflates the member
 * again, skips the skip bytes of it already handed out, and reads on from
 * there into into, giving its own error or text. */
static int isal_refused(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                        int64_t skip, lapse_error *err)
{
    if (in->is_stdin || fseeko(in->file, (off_t)in->member_start, SEEK_SET) != 0)
        return LAPSE_ERR_GZIP;
    free(in->isal);
    in->isal = NULL;
    if (inflateInit2(&in->z, 15 + 16) != Z_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, in->path, 0, 0, -1, "out of memory");
    in->z_ready = 1;
    in->consumed = in->member_start;
    in->member_open = 1;
    while (skip > 0) {
        const size_t chunk = (uint64_t)skip < want ? (size_t)skip : want;
        size_t n;
        const int status = read_gzip(in, into, chunk, &n, err);
        if (status != LAPSE_OK)
            return status;
        if (n == 0)
            break;
        skip -= (int64_t)n;
    }
    return read_gzip(in, into, want, got, err);
}

/* read_gzip's twin over ISA-L's igzip: the same members, and every refusal
 * handed to zlib to confirm (isal_refused). The differential fuzz target
 * fuzz_inflate holds the two to the same text and the same errors. */
static int read_gzip_isal(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                          lapse_error *err)
{
    struct inflate_state *s = in->isal;
    s->next_out = into;
    s->avail_out = (uint32_t)(want < UINT32_MAX ? want : UINT32_MAX);
    const uint32_t asked = s->avail_out;
    const char *refusal = NULL;
    int64_t refused_at = 0;
    while (s->avail_out > 0) {
        if (s->avail_in == 0) {
            size_t n;
            const int status = read_file(in, in->raw, RAW_BYTES, &n, err);
            if (status != LAPSE_OK)
                return status;
            if (n == 0) {
                if (in->member_open) {
                    lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, in->consumed,
                                    "truncated gzip stream (it ends inside a member)");
                    goto refused;
                }
                break;
            }
            s->next_in = in->raw;
            s->avail_in = (uint32_t)n;
        }
        if (!in->member_open) {
            isal_inflate_reset(s);
            s->crc_flag = ISAL_GZIP;
            in->member_open = 1;
            in->member_seen = 0;
            in->member_out = 0;
        }
        refusal = gzip_head_check(in, s->next_in, s->avail_in);
        refused_at = in->consumed - (int64_t)s->avail_in;
        if (refusal)
            break;
        const uint32_t out_before = s->avail_out, in_before = s->avail_in;
        const int ret = isal_inflate(s);
        if (in->member_seen < 4)
            in->member_seen += (int)(in_before - s->avail_in);
        in->member_out += out_before - s->avail_out;
        refused_at = in->consumed - (int64_t)s->avail_in;
        if (ret < 0) {
            refusal = isal_error_text(ret);
            break;
        }
        if (s->block_state == ISAL_BLOCK_FINISH) {
            in->member_open = 0;
            in->members_done++;
            in->member_start = in->consumed - (int64_t)s->avail_in;
        } else if (s->avail_in > 0 && s->avail_out == out_before && s->avail_in == in_before) {
            /* No progress with input and room left: never expected, but
             * never a loop either. */
            refusal = "bad data";
            break;
        }
    }
    if (refusal) {
        /* As read_gzip: bytes after a complete member that do not start another one. */
        if (in->members_done > 0 && in->member_out == 0)
            lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, in->member_start,
                            "data after the end of the gzip stream is not gzip (%s)", refusal);
        else
            lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, refused_at,
                            "corrupt gzip stream (%s)", refusal);
        goto refused;
    }
    *got = asked - s->avail_out;
    return LAPSE_OK;
refused:;
    /* This call's bytes of earlier members are kept; those of the refused
     * member handed out by earlier calls are skipped in zlib's reading. */
    const int64_t written = asked - s->avail_out;
    const int64_t of_member = written < in->member_out ? written : in->member_out;
    size_t more = 0;
    const int status = isal_refused(in, into + (written - of_member), want - (size_t)(written - of_member),
                                    &more, in->member_out - of_member, err);
    *got = (size_t)(written - of_member) + more;
    return status;
}
#endif

/* Frames follow one another (zstd a b > c); skippable frames give no
 * text. The stream holds decoded bytes it has not handed out yet, so at the
 * end of the file it is called again until it has nothing more. */
static int read_zstd(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                     lapse_error *err)
{
    ZSTD_outBuffer out = { into, want, 0 };
    while (out.pos < out.size) {
        if (in->zin.pos == in->zin.size && !in->raw_eof) {
            size_t n;
            const int status = read_file(in, in->raw, RAW_BYTES, &n, err);
            if (status != LAPSE_OK)
                return status;
            in->raw_eof = n == 0;
            in->zin = (ZSTD_inBuffer){ in->raw, n, 0 };
        }
        const int drained = in->zin.pos == in->zin.size;
        if (drained && !in->frame_open)
            break;
        const size_t before = out.pos;
        const int64_t frame_start = in->consumed - (int64_t)(in->zin.size - in->zin.pos);
        const size_t ret = ZSTD_decompressStream(in->zd, &out, &in->zin);
        if (ZSTD_isError(ret)) {
            if (ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation)
                return lapse_error_set(err, LAPSE_ERR_NOMEM, in->path, 0, 0, -1,
                                       "out of memory");
            /* As for gzip: a stray append gets a name of its own. */
            if (!in->frame_open)
                return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, frame_start,
                                       "data after the end of the zstd stream is not zstd (%s)",
                                       ZSTD_getErrorName(ret));
            return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0,
                                   in->consumed - (int64_t)(in->zin.size - in->zin.pos),
                                   "corrupt zstd stream (%s)", ZSTD_getErrorName(ret));
        }
        in->frame_open = ret != 0;
        if (drained && in->frame_open && out.pos == before)
            return lapse_error_set(err, LAPSE_ERR_GZIP, in->path, 0, 0, in->consumed,
                                   "truncated zstd stream (it ends inside a frame)");
    }
    *got = out.pos;
    return LAPSE_OK;
}

/* Reads until want bytes of text or the end, whatever the format. */
static int read_text(lapse_input *in, unsigned char *into, size_t want, size_t *got,
                     lapse_error *err)
{
    *got = 0;
    while (*got < want) {
        size_t n = 0;
        int status;
        if (in->format == LAPSE_INPUT_GZIP) {
#ifdef LAPSE_HAVE_ISAL
            if (in->isal)
                status = read_gzip_isal(in, into + *got, want - *got, &n, err);
            else
#endif
                status = read_gzip(in, into + *got, want - *got, &n, err);
        }
        else if (in->format == LAPSE_INPUT_ZSTD)
            status = read_zstd(in, into + *got, want - *got, &n, err);
        else
            status = read_plain(in, into + *got, want - *got, &n, err);
        if (status != LAPSE_OK)
            return status;
        if (n == 0)
            break;
        *got += n;
    }
    return LAPSE_OK;
}

/* The UTF-16 or UTF-32 encoding that text starts in (by a byte-order mark,
 * or by the NULs that ASCII text has in them), or NULL for anything else:
 * CSV text has no NUL in its first bytes. */
static const char *wide_text(const unsigned char *b, size_t len)
{
    if (len >= 4 && b[0] == 0xff && b[1] == 0xfe && !b[2] && !b[3])
        return "UTF-32LE";
    if (len >= 4 && !b[0] && !b[1] && b[2] == 0xfe && b[3] == 0xff)
        return "UTF-32BE";
    if (len >= 2 && b[0] == 0xff && b[1] == 0xfe)
        return "UTF-16LE";
    if (len >= 2 && b[0] == 0xfe && b[1] == 0xff)
        return "UTF-16BE";
    if (len < 4)
        return NULL;
    if (b[0] && !b[1] && !b[2] && !b[3])
        return "UTF-32LE";
    if (!b[0] && !b[1] && !b[2] && b[3])
        return "UTF-32BE";
    if (b[0] && !b[1] && b[2] && !b[3])
        return "UTF-16LE";
    if (!b[0] && b[1] && !b[2] && b[3])
        return "UTF-16BE";
    return NULL;
}

int lapse_input_read(lapse_input *in, void *buf, size_t size, size_t *got, lapse_error *err)
{
    *got = 0;
    if (!in->head_checked) {
        /* Excel and Notepad start UTF-8 files with a byte-order mark. */
        static const unsigned char bom[3] = { 0xef, 0xbb, 0xbf };
        const int status = read_text(in, in->head, sizeof in->head, &in->head_len, err);
        if (status != LAPSE_OK)
            return status;
        in->head_checked = 1;
        const char *wide = wide_text(in->head, in->head_len);
        if (wide)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, in->path, 0, 0, 0,
                                   "this is %s text; lapse reads UTF-8: convert it (iconv -f "
                                   "%s -t UTF-8)",
                                   wide, wide);
        /* A clone without git-lfs holds this small text where the data
         * should be; read as CSV it would be a puzzling header. */
        static const char lfs[] = "version https://git-lfs.github.com/spec/";
        if (in->head_len >= sizeof lfs - 1 && memcmp(in->head, lfs, sizeof lfs - 1) == 0)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, in->path, 0, 0, 0,
                                   "this is a Git LFS pointer, not the data it stands for: fetch "
                                   "the file itself (git lfs pull)");
        if (in->head_len >= sizeof bom && memcmp(in->head, bom, sizeof bom) == 0)
            in->head_pos = sizeof bom;
    }
    unsigned char *into = buf;
    while (in->head_pos < in->head_len && *got < size)
        into[(*got)++] = in->head[in->head_pos++];
    size_t n = 0;
    const int status = read_text(in, into + *got, size - *got, &n, err);
    *got += n;
    return status;
}

lapse_input_inflater lapse_input_inflater_of(const lapse_input *in)
{
#ifdef LAPSE_HAVE_ISAL
    if (in->isal)
        return LAPSE_INFLATE_ISAL;
#endif
    (void)in;
    return LAPSE_INFLATE_ZLIB;
}

lapse_input_format lapse_input_format_of(const lapse_input *in)
{
    return in->format;
}

int64_t lapse_input_bytes_read(const lapse_input *in)
{
    switch (in->format) {
    case LAPSE_INPUT_GZIP:
#ifdef LAPSE_HAVE_ISAL
        if (in->isal)
            return in->consumed - (int64_t)in->isal->avail_in;
#endif
        return in->consumed - (int64_t)in->z.avail_in;
    case LAPSE_INPUT_ZSTD: return in->consumed - (int64_t)(in->zin.size - in->zin.pos);
    default: return in->consumed - (int64_t)in->raw_len;
    }
}

/* ---- CSV records ---- */

#define CSV_READ_BYTES 65536

struct lapse_input_csv {
    lapse_input_csv_head head; /* first: lapse_input_csv_direct_user reads it */
    lapse_input *in;     /* NULL: a loop over text alone (lapse_input_csv_open_text) */
    const char *path;
    struct csv_parser csv;
    int csv_ready;
    lapse_input_field_fn field;
    lapse_input_row_fn row;
    lapse_input_direct_fn direct;  /* libcsv's field callback, when set */
    int (*direct_fields)(void *user);
    const unsigned char *text; /* what is being fed: buf, or text from outside */
    size_t pos, len;           /* in text */
    int64_t offset;            /* text offset in the input of text[0] */
    int64_t in_offset;         /* text offset of the next byte in gives */
    const unsigned char *queued; /* text to feed before reading in again */
    size_t queued_len;
    int64_t queued_offset;
    int in_status;             /* a read that failed in take_text, for fill to report */
    lapse_error in_error;
    int text_ends_input;       /* a text loop's text ends where the input does */
    int64_t line;        /* line of the bytes being fed */
    int64_t record_line; /* line where the record being read began */
    int record_ended;    /* the next record begins with the next byte that is not a line end */
    int fields;          /* fields of the record being read so far */
    int64_t records;
    int finished;        /* csv_fini has run, or a text loop's text is spent */
    int status;          /* once negative, the loop is spent */
    int keep_spaces;     /* opts.keep_spaces: no_space for text that has a space or tab */
    unsigned char delimiter;
    unsigned char buf[CSV_READ_BYTES];
};

static void on_field(void *data, size_t len, void *user)
{
    lapse_input_csv *c = user;
    if (c->status == LAPSE_OK)
        c->status = c->field(c, data ? data : "", len, c->head.user);
    c->fields++;
}

static void on_row(int terminator, void *user)
{
    (void)terminator;
    lapse_input_csv *c = user;
    if (c->status == LAPSE_OK)
        c->status = c->row(c, c->head.user);
    c->fields = 0;
    c->records++;
    c->record_ended = 1;
}

/* Fields of the record being read so far: the loop's count, or with a
 * direct callback the reader's. */
static int fields_of(const lapse_input_csv *c)
{
    return c->direct ? c->direct_fields(c->head.user) : c->fields;
}

void lapse_input_csv_set_direct(lapse_input_csv *c, lapse_input_direct_fn field,
                                int (*fields)(void *user))
{
    c->direct = field;
    c->direct_fields = fields;
}

void lapse_input_csv_stop(void *loop, int status)
{
    lapse_input_csv *c = loop;
    if (c->status == LAPSE_OK)
        c->status = status;
}

/* libcsv trims spaces around unquoted fields by default; some files keep
 * every byte a field was written with. libcsv calls this for nearly every
 * byte, so the loop below sets it only for text that has a space or a tab:
 * on any other text libcsv's own test (space or tab) says no as well. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

int lapse_input_csv_init(struct csv_parser *csv, const lapse_input_csv_options *opts)
{
    if (csv_init(csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return LAPSE_ERR_NOMEM;
    csv_set_delim(csv, opts->delimiter);
    if (opts->keep_spaces)
        csv_set_space_func(csv, no_space);
    if (opts->block_bytes)
        csv_set_blk_size(csv, opts->block_bytes);
    return LAPSE_OK;
}

void lapse_input_csv_close(lapse_input_csv *csv)
{
    if (!csv)
        return;
    if (csv->csv_ready)
        csv_free(&csv->csv);
    lapse_input_close(csv->in);
    free(csv);
}

/* A loop without its source: callbacks, libcsv and the line count set up. */
static int csv_new(lapse_input_csv **out, const char *path, const lapse_input_csv_options *opts,
                   lapse_input_field_fn field, lapse_input_row_fn row, void *user,
                   lapse_error *err)
{
    static const lapse_input_csv_options defaults = LAPSE_INPUT_CSV_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    *out = NULL;
    lapse_input_csv *c = calloc(1, sizeof *c);
    if (!c)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    c->path = path;
    c->field = field;
    c->row = row;
    c->head.user = user;
    c->text = c->buf;
    c->line = c->record_line = 1;
    c->record_ended = 1;
    c->keep_spaces = opts->keep_spaces;
    c->delimiter = opts->delimiter;
    if (lapse_input_csv_init(&c->csv, opts) != LAPSE_OK) {
        free(c);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    c->csv_ready = 1;
    *out = c;
    return LAPSE_OK;
}

int lapse_input_csv_open(lapse_input_csv **out, const char *path,
                         const lapse_input_csv_options *opts, lapse_input_field_fn field,
                         lapse_input_row_fn row, void *user, lapse_error *err)
{
    lapse_input_csv *c;
    int status = csv_new(&c, path, opts, field, row, user, err);
    if (status == LAPSE_OK)
        status = lapse_input_open(&c->in, path, err);
    if (status != LAPSE_OK) {
        lapse_input_csv_close(c);
        return status;
    }
    *out = c;
    return LAPSE_OK;
}

int lapse_input_csv_open_text(lapse_input_csv **out, const char *path,
                              const lapse_input_csv_options *opts, lapse_input_field_fn field,
                              lapse_input_row_fn row, void *user, lapse_error *err)
{
    const int status = csv_new(out, path, opts, field, row, user, err);
    if (status == LAPSE_OK)
        (*out)->finished = 1; /* until it has text */
    return status;
}

void lapse_input_csv_set_text(lapse_input_csv *c, const void *text, size_t len, int64_t offset,
                              int64_t line, int ends_input)
{
    assert(!c->in && c->status == LAPSE_OK && c->record_ended && c->fields == 0);
    c->text = text;
    c->pos = 0;
    c->len = len;
    c->offset = offset;
    c->text_ends_input = ends_input;
    c->line = c->record_line = line;
    c->finished = 0;
}

/* The text after the loop's buffer: text queued, else the source's next
 * bytes; a text loop's text has none. */
static int fill(lapse_input_csv *c, lapse_error *err)
{
    c->pos = c->len = 0;
    if (c->queued) {
        c->text = c->queued;
        c->len = c->queued_len;
        c->offset = c->queued_offset;
        c->queued = NULL;
        return LAPSE_OK;
    }
    if (!c->in)
        return LAPSE_OK;
    if (c->in_status != LAPSE_OK) { /* a read failed in lapse_input_csv_take_text */
        if (err)
            *err = c->in_error;
        return c->status = c->in_status;
    }
    c->text = c->buf;
    c->offset = c->in_offset;
    const int status = lapse_input_read(c->in, c->buf, sizeof c->buf, &c->len, err);
    c->in_offset += (int64_t)c->len;
    if (status != LAPSE_OK)
        c->status = status;
    return status;
}

int lapse_input_csv_take_text(lapse_input_csv *c, void *buf, size_t size, size_t *got,
                              int *ended, int64_t *offset, int64_t *line)
{
    assert(c->in && !c->queued && c->record_ended && c->fields == 0 && c->status == LAPSE_OK);
    *offset = c->offset + (int64_t)c->pos;
    *line = c->line;
    *ended = 0;
    const size_t held = c->len - c->pos < size ? c->len - c->pos : size;
    memcpy(buf, c->text + c->pos, held);
    c->pos += held;
    *got = held;
    /* Read size by read size, as fill does: text up to a failed read is
     * the text fill would have had, and in_offset stays a multiple. */
    while (!c->in_status && size - *got >= CSV_READ_BYTES) {
        size_t n = 0;
        c->in_status = lapse_input_read(c->in, (unsigned char *)buf + *got, CSV_READ_BYTES, &n,
                                        &c->in_error);
        if (c->in_status != LAPSE_OK)
            break;
        *got += n;
        c->in_offset += (int64_t)n;
        if (n < CSV_READ_BYTES) {
            *ended = 1;
            break;
        }
    }
    return c->in_status;
}

void lapse_input_csv_give_back(lapse_input_csv *c, const void *text, size_t len, int64_t offset,
                               int64_t line)
{
    assert(c->in && c->pos == c->len && offset + (int64_t)len == c->in_offset);
    c->queued = text;
    c->queued_len = len;
    c->queued_offset = offset;
    c->line = c->record_line = line;
}

/* The length of the text at p up to its first line end ('\n' or '\r'),
 * at most avail, and whether it has a space or a tab: one pass, 16 bytes
 * at a time where SSE2 is there (every x86-64). */
static size_t scan_line(const unsigned char *p, size_t avail, int *blanks)
{
    size_t i = 0;
    unsigned seen = 0;
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i space = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    for (; i + 16 <= avail; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        const unsigned ends = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        const unsigned blank = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab)));
        if (ends) {
            *blanks = (seen | (blank & ((ends & -ends) - 1))) != 0; /* before the end */
            return i + (size_t)__builtin_ctz(ends);
        }
        seen |= blank;
    }
#endif
    for (; i < avail && p[i] != '\n' && p[i] != '\r'; i++)
        seen |= p[i] == ' ' || p[i] == '\t';
    *blanks = seen != 0;
    return i;
}

/* Whether the n bytes at p are all what libcsv skips before a record:
 * spaces, and tabs unless they are the delimiter. */
static int only_blanks(const lapse_input_csv *c, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && (p[i] != '\t' || c->delimiter == '\t'))
            return 0;
    return 1;
}

int lapse_input_csv_step(lapse_input_csv *c, lapse_error *err)
{
    if (c->status != LAPSE_OK || c->finished)
        return c->status;
    const char *path = c->path;
    if (c->pos == c->len) {
        if (fill(c, err) != LAPSE_OK)
            return c->status;
        if (c->len == 0) {
            c->finished = 1;
            if (!c->in && !c->text_ends_input)
                return 0; /* a piece cut at a record's end: the input goes on */
            if (c->record_ended)
                c->record_line = c->line; /* errors about the whole file point past its end */
            if (csv_fini(&c->csv, c->direct ? c->direct : on_field, on_row, c) != 0 &&
                c->status == LAPSE_OK)
                c->status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, c->record_line,
                                            fields_of(c) + 1, -1, "unterminated quoted field");
            return c->status;
        }
    }
    /* Up to and including the next line end: at most one record ends per
     * step, and only at the end of what was fed. */
    const unsigned char *start = c->text + c->pos;
    /* Nor past a multiple of the read size in the input's text, where a
     * loop reading the file has its buffer end: whatever holds the bytes,
     * the steps and so the checks between them are the same. */
    const size_t to_block =
        CSV_READ_BYTES - (size_t)((c->offset + (int64_t)c->pos) % CSV_READ_BYTES);
    const size_t avail = c->len - c->pos < to_block ? c->len - c->pos : to_block;
    int blanks;
    size_t n = scan_line(start, avail, &blanks);
    const int newline = n < avail && start[n] == '\n';
    /* A record begins at a line's first byte that libcsv does not skip:
     * not a line end, nor (where it trims) a space or tab on a line of
     * nothing else. */
    if (c->record_ended && n > 0 && !(blanks && !c->keep_spaces && only_blanks(c, start, n))) {
        c->record_line = c->line;
        c->record_ended = 0;
    }
    if (n < avail)
        n++;
    c->pos += n;
    if (c->keep_spaces)
        csv_set_space_func(&c->csv, blanks ? no_space : NULL);
    const size_t used = csv_parse(&c->csv, start, n, c->direct ? c->direct : on_field, on_row, c);
    if (c->status != LAPSE_OK)
        return c->status;
    if (used != n)
        return c->status = lapse_error_set(
                   err, LAPSE_ERR_FORMAT, path, c->record_line, fields_of(c) + 1, -1,
                   "malformed CSV: %s",
                   csv_error(&c->csv) == CSV_EPARSE
                       ? "a quote inside an unquoted field, or text after a closing quote"
                       : csv_strerror(csv_error(&c->csv)));
    c->line += newline;
    return 1;
}

int lapse_input_csv_read(const char *path, const lapse_input_csv_options *opts,
                         lapse_input_field_fn field, lapse_input_row_fn row, void *user,
                         lapse_error *err)
{
    lapse_input_csv *c;
    int status = lapse_input_csv_open(&c, path, opts, field, row, user, err);
    if (status != LAPSE_OK)
        return status;
    while ((status = lapse_input_csv_step(c, err)) > 0)
        ;
    lapse_input_csv_close(c);
    return status;
}

int lapse_input_csv_raw_line(lapse_input_csv *c, char *line, size_t size, size_t *len,
                             int *too_long, lapse_error *err)
{
    *len = 0;
    *too_long = 0;
    for (;;) {
        if (c->pos == c->len && (fill(c, err) != LAPSE_OK || c->len == 0))
            return c->status;
        const unsigned char byte = c->text[c->pos];
        if (byte == '\n') {
            c->pos++;
            c->line++;
            return LAPSE_OK;
        }
        if (*len == size) {
            *too_long = 1;
            return LAPSE_OK;
        }
        line[(*len)++] = (char)byte;
        c->pos++;
    }
}

const char *lapse_input_csv_path(const lapse_input_csv *csv)
{
    return csv->path;
}

int64_t lapse_input_csv_line(const lapse_input_csv *csv)
{
    return csv->record_line;
}

int lapse_input_csv_fields(const lapse_input_csv *csv)
{
    return fields_of(csv);
}

int64_t lapse_input_csv_records(const lapse_input_csv *csv)
{
    return csv->records;
}

size_t lapse_input_csv_open_field_bytes(const lapse_input_csv *csv)
{
    return csv->csv.entry_pos;
}
