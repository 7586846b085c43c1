/* The input layer (src/base/input.h): plain, gzip, concatenated gzip members
 * (through zlib and through ISA-L, alike),
 * zstd frames (skippable ones among them) and a byte-order mark give the
 * same text; truncated and corrupt zstd located; standard input; the CSV loop's
 * records, lines and located errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

static const char text[] = "user_id,n\r\nu1,1\n\n\"u\n2\",2\nu3,3";

/* Writes each of the n pieces as its own gzip member of path. */
static const char *write_gzip(const char *path, const char *const *pieces, int n)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    for (int i = 0; i < n; i++) {
        unsigned char out[4096];
        z_stream z = { 0 };
        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (unsigned char *)pieces[i];
        z.avail_in = (uInt)strlen(pieces[i]);
        z.next_out = out;
        z.avail_out = sizeof out;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        fwrite(out, 1, sizeof out - z.avail_out, file);
        deflateEnd(&z);
    }
    assert_int_equal(fclose(file), 0);
    return path;
}

/* Writes each of the n pieces as its own zstd frame of path, a skippable
 * frame (4 bytes of payload) before the first when skippable is set. */
static const char *write_zstd(const char *path, const char *const *pieces, int n, int skippable)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    if (skippable)
        fwrite("\x5a\x2a\x4d\x18\x04\x00\x00\x00junk", 1, 12, file);
    for (int i = 0; i < n; i++) {
        char out[4096];
        const size_t len = ZSTD_compress(out, sizeof out, pieces[i], strlen(pieces[i]), 3);
        assert_false(ZSTD_isError(len));
        fwrite(out, 1, len, file);
    }
    assert_int_equal(fclose(file), 0);
    return path;
}

/* The whole text of path, read in pieces of step bytes. */
static char *read_all(const char *path, size_t step, lapse_input_format *format)
{
    lapse_input *in = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_input_open(&in, path, &err), LAPSE_OK);
    *format = lapse_input_format_of(in);
    char *all = calloc(1, 1 << 16);
    size_t len = 0, got;
    do {
        assert_int_equal(lapse_input_read(in, all + len, step, &got, &err), LAPSE_OK);
        len += got;
    } while (got > 0);
    assert_int_equal(lapse_input_bytes_read(in) > 0, 1);
    lapse_input_close(in);
    return all;
}

static void same_text_every_format(void **state)
{
    (void)state;
    char bom_text[sizeof text + 3] = "\xef\xbb\xbf";
    strcat(bom_text, text);
    const char *one[1] = { text };
    const char *two[2] = { "user_id,n\r\nu1,", text + strlen("user_id,n\r\nu1,") };
    const char *bom[1] = { bom_text };
    const struct {
        const char *path;
        lapse_input_format format;
    } files[] = {
        { test_write_text("input_plain.csv", text), LAPSE_INPUT_PLAIN },
        { test_write_text("input_bom.csv", bom_text), LAPSE_INPUT_PLAIN },
        /* Named .gz but plain: the content decides. */
        { test_write_text("input_plain.gz", text), LAPSE_INPUT_PLAIN },
        { write_gzip("input_one.csv", one, 1), LAPSE_INPUT_GZIP },
        { write_gzip("input_members.gz", two, 2), LAPSE_INPUT_GZIP },
        { write_gzip("input_bom.gz", bom, 1), LAPSE_INPUT_GZIP },
        { write_zstd("input_one_zstd.csv", one, 1, 0), LAPSE_INPUT_ZSTD },
        { write_zstd("input_frames.zst", two, 2, 0), LAPSE_INPUT_ZSTD },
        { write_zstd("input_skippable.zst", two, 2, 1), LAPSE_INPUT_ZSTD },
        { write_zstd("input_bom.zst", bom, 1, 0), LAPSE_INPUT_ZSTD },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        for (size_t step = 1; step <= 4096; step *= 64) {
            lapse_input_format format;
            char *all = read_all(files[i].path, step, &format);
            assert_int_equal(format, files[i].format);
            if (strcmp(all, text) != 0)
                fail_msg("%s in steps of %zu: \"%s\"", files[i].path, step, all);
            free(all);
        }
    }
}

static void standard_input(void **state)
{
    (void)state;
    const char *two[2] = { "\xef\xbb\xbfuser_id,n\n", "u1,1\n" };
    FILE *in = fopen(write_gzip("input_stdin.gz", two, 2), "rb");
    assert_non_null(in);
    const int saved = dup(STDIN_FILENO);
    assert_int_equal(dup2(fileno(in), STDIN_FILENO), STDIN_FILENO);
    fclose(in);
    lapse_input_format format;
    char *all = read_all("-", 7, &format);
    assert_int_equal(format, LAPSE_INPUT_GZIP);
    assert_string_equal(all, "user_id,n\nu1,1\n");
    free(all);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    clearerr(stdin);
}

static void open_and_gzip_errors(void **state)
{
    (void)state;
    lapse_input *in = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_input_open(&in, "input_no_such_file.csv", &err), LAPSE_ERR_IO);
    assert_null(in);
    assert_string_equal(err.path, "input_no_such_file.csv");
    /* The gzip magic and nothing more: truncated at byte 2. */
    test_write_text("input_magic.gz", "\x1f\x8b");
    assert_int_equal(lapse_input_open(&in, "input_magic.gz", &err), LAPSE_OK);
    char buf[16];
    size_t got;
    assert_int_equal(lapse_input_read(in, buf, sizeof buf, &got, &err), LAPSE_ERR_GZIP);
    assert_int_equal(err.offset, 2);
    assert_non_null(strstr(err.message, "truncated gzip stream"));
    lapse_input_close(in);
    lapse_input_close(NULL);
}

/* Writes len bytes (NULs included) to path. */
static const char *write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, len, file), len);
    assert_int_equal(fclose(file), 0);
    return path;
}

/* The error that opening and reading path ends in, or LAPSE_OK. */
static int open_and_read(const char *path, lapse_error *err)
{
    lapse_input *in = NULL;
    int status = lapse_input_open(&in, path, err);
    char buf[64];
    size_t got = 1;
    while (status == LAPSE_OK && got > 0)
        status = lapse_input_read(in, buf, sizeof buf, &got, err);
    lapse_input_close(in);
    return status;
}

/* What reading all of path with inflater in steps of step bytes gave: the
 * text (NULL when refused), its length, the status and the error. */
typedef struct {
    char *text;
    size_t len;
    int status;
    lapse_error err;
    lapse_input_inflater used;
} inflated;

static inflated inflate_all(const char *path, lapse_input_inflater inflater, size_t step)
{
    inflated r = { NULL, 0, LAPSE_OK, LAPSE_ERROR_INIT, LAPSE_INFLATE_ZLIB };
    lapse_input *in = NULL;
    assert_int_equal(lapse_input_open_inflater(&in, path, inflater, &r.err), LAPSE_OK);
    r.used = lapse_input_inflater_of(in);
    r.text = malloc(1 << 21);
    size_t got = 1;
    while (r.status == LAPSE_OK && got > 0) {
        assert_true(r.len + step <= 1 << 21);
        r.status = lapse_input_read(in, r.text + r.len, step, &got, &r.err);
        r.len += got;
    }
    lapse_input_close(in);
    return r;
}

/* Writes the raw deflate stream of text with a gzip header and trailer
 * around it; flags goes into the header's FLG byte, crc_xor into the CRC. */
static size_t gzip_member(unsigned char *out, size_t cap, const char *body, size_t len,
                          unsigned char flags, uint32_t crc_xor)
{
    z_stream z = { 0 };
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    memcpy(out, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    out[3] = flags;
    z.next_in = (unsigned char *)body;
    z.avail_in = (uInt)len;
    z.next_out = out + 10;
    z.avail_out = (uInt)(cap - 18);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = 10 + (cap - 18 - z.avail_out);
    deflateEnd(&z);
    const uint32_t crc = (uint32_t)crc32(0, (const unsigned char *)body, (uInt)len) ^ crc_xor;
    for (int i = 0; i < 4; i++)
        out[n + (size_t)i] = (unsigned char)(crc >> (8 * i));
    for (int i = 0; i < 4; i++)
        out[n + 4 + (size_t)i] = (unsigned char)((uint32_t)len >> (8 * i));
    return n + 8;
}

/* zlib and ISA-L (where the build has it) give the same text, and refuse
 * the same streams with the same errors at the same offsets: members
 * concatenated, a text longer than a read of the file and than the
 * window, bytes after the end, a cut, a wrong CRC, reserved header flags. */
static void gzip_inflaters_agree(void **state)
{
    (void)state;
    /* 600 kB of log lines that repeat at distances up to the window's. */
    const size_t long_len = 600000;
    char *long_text = malloc(long_len + 1);
    uint32_t x = 7;
    for (size_t i = 0; i < long_len; i++) {
        x = x * 1103515245u + 12345u;
        long_text[i] = i % 40 == 39 ? '\n' : (char)('a' + (x >> 16) % 7);
    }
    long_text[long_len] = '\0';
    unsigned char *gz = malloc(2 * long_len);
    const size_t cap = 2 * long_len;
    const char small[] = "user_id,n\nu1,1\n";
    const size_t small_len = strlen(small);

    const size_t long_gz = gzip_member(gz, cap, long_text, long_len, 0, 0);
    write_bytes("input_long.gz", gz, long_gz);
    size_t n = gzip_member(gz, cap, small, small_len, 0, 0);
    const size_t one_member = n;
    n += gzip_member(gz + n, cap - n, small, small_len, 0, 0);
    write_bytes("input_two.gz", gz, n);
    memcpy(gz + one_member, "junk\n", 5);
    write_bytes("input_junk.gz", gz, one_member + 5);
    write_bytes("input_cut.gz", gz, one_member - 3);
    gzip_member(gz, cap, small, small_len, 0, 0x10);
    write_bytes("input_crc.gz", gz, one_member);
    gzip_member(gz, cap, small, small_len, 0x20, 0);
    write_bytes("input_flags.gz", gz, one_member);

    const struct {
        const char *path;
        const char *text;     /* NULL: refused */
        const char *message;  /* the start of the refusal */
        int64_t offset;       /* of the refusal; -1: not checked */
    } cases[] = {
        { "input_long.gz", long_text, NULL, 0 },
        { "input_two.gz", "user_id,n\nu1,1\nuser_id,n\nu1,1\n", NULL, 0 },
        { "input_junk.gz", NULL, "data after the end of the gzip stream is not gzip (incorrect header check)",
          (int64_t)one_member },
        { "input_cut.gz", NULL, "truncated gzip stream", (int64_t)one_member - 3 },
        { "input_crc.gz", NULL, "corrupt gzip stream (incorrect data check)", -1 },
        { "input_flags.gz", NULL, "corrupt gzip stream (unknown header flags set)", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        for (size_t step = 7; step <= 70000; step *= 100) {
            const inflated z = inflate_all(cases[i].path, LAPSE_INFLATE_ZLIB, step);
            const inflated isal = inflate_all(cases[i].path, LAPSE_INFLATE_ISAL, step);
            assert_int_equal(z.used, LAPSE_INFLATE_ZLIB);
            if (cases[i].text) {
                assert_int_equal(z.status, LAPSE_OK);
                assert_int_equal(isal.status, LAPSE_OK);
                /* ISA-L read it all: no refusal handed it to zlib. */
                assert_int_equal(isal.used, lapse_input_have_isal() ? LAPSE_INFLATE_ISAL
                                                                    : LAPSE_INFLATE_ZLIB);
                assert_int_equal(z.len, strlen(cases[i].text));
                assert_int_equal(isal.len, z.len);
                assert_memory_equal(z.text, cases[i].text, z.len);
                assert_memory_equal(isal.text, cases[i].text, z.len);
            } else {
                assert_int_equal(z.status, LAPSE_ERR_GZIP);
                assert_int_equal(isal.status, LAPSE_ERR_GZIP);
                if (strncmp(z.err.message, cases[i].message, strlen(cases[i].message)) != 0)
                    fail_msg("%s: zlib says \"%s\"", cases[i].path, z.err.message);
                assert_string_equal(isal.err.message, z.err.message);
                assert_int_equal(isal.err.offset, z.err.offset);
                if (cases[i].offset >= 0)
                    assert_int_equal(z.err.offset, cases[i].offset);
            }
            free(z.text);
            free(isal.text);
        }
        /* Standard input cannot seek back for zlib to confirm a refusal:
         * igzip's own stands, with the same code and kind, and the same
         * offset for a cut and for bytes after the end. */
        FILE *file = fopen(cases[i].path, "rb");
        assert_non_null(file);
        const int saved = dup(STDIN_FILENO);
        assert_int_equal(dup2(fileno(file), STDIN_FILENO), STDIN_FILENO);
        fclose(file);
        const inflated isal = inflate_all("-", LAPSE_INFLATE_ISAL, 4096);
        assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
        close(saved);
        clearerr(stdin);
        const inflated z = inflate_all(cases[i].path, LAPSE_INFLATE_ZLIB, 4096);
        assert_int_equal(isal.status, z.status);
        if (z.status == LAPSE_OK) {
            assert_int_equal(isal.len, z.len);
            assert_memory_equal(isal.text, z.text, z.len);
        } else {
            const size_t kind = strcspn(z.err.message, "(");
            if (strncmp(isal.err.message, z.err.message, kind) != 0)
                fail_msg("%s on stdin: \"%s\" where zlib says \"%s\"", cases[i].path,
                         isal.err.message, z.err.message);
            if (!strstr(z.err.message, "corrupt"))
                assert_int_equal(isal.err.offset, z.err.offset);
        }
        free(z.text);
        free(isal.text);
    }
    free(gz);
    free(long_text);
}

/* LAPSE_INFLATE=zlib makes lapse_input_open use the reference; without it,
 * ISA-L where the build has it. Plain text has no inflater but zlib's name. */
static void inflater_chosen(void **state)
{
    (void)state;
    const char *one[1] = { text };
    write_gzip("input_choice.gz", one, 1);
    lapse_input *in = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(setenv("LAPSE_INFLATE", "zlib", 1), 0);
    assert_int_equal(lapse_input_open(&in, "input_choice.gz", &err), LAPSE_OK);
    assert_int_equal(lapse_input_inflater_of(in), LAPSE_INFLATE_ZLIB);
    lapse_input_close(in);
    assert_int_equal(unsetenv("LAPSE_INFLATE"), 0);
    assert_int_equal(lapse_input_open(&in, "input_choice.gz", &err), LAPSE_OK);
    assert_int_equal(lapse_input_inflater_of(in),
                     lapse_input_have_isal() ? LAPSE_INFLATE_ISAL : LAPSE_INFLATE_ZLIB);
    lapse_input_close(in);
    assert_int_equal(lapse_input_open(&in, test_write_text("input_choice.csv", text), &err), LAPSE_OK);
    assert_int_equal(lapse_input_inflater_of(in), LAPSE_INFLATE_ZLIB);
    lapse_input_close(in);
}

/* Compressions lapse does not read and wide text encodings are refused by
 * name, at byte 0; text that only looks like them is read. */
static void other_formats_named(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *named;
    } cases[] = {
        { "BZh91AY&SY\x01\x02", 12, "bzip2 data" },
        { "BZh9\x17\x72\x45\x38\x50\x90", 10, "bzip2 data" },
        { "\xfd\x37\x7a\x58\x5a\x00\x00\x04", 8, "xz data" },
        { "PK\x03\x04\x14\x00", 6, "a zip archive" },
        { "\x04\x22\x4d\x18\x64", 5, "lz4 data" },
        { "\x1f\x9d\x90", 3, "compress (.Z) data" },
        { "\xff\xfeu\x00s\x00", 6, "UTF-16LE text" },
        { "\xfe\xff\x00u\x00s", 6, "UTF-16BE text" },
        { "u\x00s\x00" "e\x00", 6, "UTF-16LE text" },
        { "\x00u\x00s\x00" "e", 6, "UTF-16BE text" },
        { "\xff\xfe\x00\x00u\x00\x00\x00", 8, "UTF-32LE text" },
        { "\x00\x00\xfe\xff\x00\x00\x00u", 8, "UTF-32BE text" },
        { "u\x00\x00\x00s\x00\x00\x00", 8, "UTF-32LE text" },
        { "\xff\xfe", 2, "UTF-16LE text" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lapse_error err = LAPSE_ERROR_INIT;
        write_bytes("input_other.bin", cases[i].bytes, cases[i].len);
        if (open_and_read("input_other.bin", &err) != LAPSE_ERR_FORMAT ||
            !strstr(err.message, cases[i].named))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, cases[i].named);
        assert_int_equal(err.offset, 0);
        assert_string_equal(err.path, "input_other.bin");
    }
    /* UTF-16 inside gzip is found in the inflated text. */
    const char *wide[1] = { "\xff\xfeu" };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(open_and_read(write_gzip("input_wide.gz", wide, 1), &err),
                     LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "UTF-16LE"));
    /* A header that starts like bzip2, a lone BOM, and short files are text. */
    const char *texts[] = { "BZh,ts\n", "BZh9x\n", "\xef\xbb\xbf", "u", "PK", "" };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        if (open_and_read(test_write_text("input_text.csv", texts[i]), &err) != LAPSE_OK)
            fail_msg("text %zu: %s", i, err.message);
}

typedef struct {
    char seen[256];
    int64_t lines[8];
    int rows;
    int fail_at_row; /* 0: never */
    lapse_error *err;
} records;

static int on_field(const lapse_input_csv *csv, const char *data, size_t len, void *user)
{
    records *r = user;
    assert_int_equal(data[len], '\0');
    if (lapse_input_csv_fields(csv) > 0)
        strcat(r->seen, "|");
    strncat(r->seen, data, len);
    return LAPSE_OK;
}

static int on_row(const lapse_input_csv *csv, void *user)
{
    records *r = user;
    assert_int_equal(lapse_input_csv_records(csv), r->rows);
    r->lines[r->rows++] = lapse_input_csv_line(csv);
    strcat(r->seen, ";");
    if (r->rows == r->fail_at_row)
        return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), 1, -1, "stop");
    return LAPSE_OK;
}

/* A zstd file cut short ends at its size; overwritten bytes inside a frame
 * are corrupt, at an offset in the file; bytes after the last frame that do
 * not start one are named, where they start. */
static void zstd_errors_located(void **state)
{
    (void)state;
    char src[3000], frame[4096], file[8192];
    uint32_t x = 1;
    for (size_t i = 0; i < sizeof src; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (char)('a' + (x >> 16) % 26); /* poorly compressible, so a cut loses text */
    }
    const size_t len = ZSTD_compress(frame, sizeof frame, src, sizeof src, 3);
    assert_false(ZSTD_isError(len));
    char buf[8192];
    size_t got;
    lapse_input *in = NULL;
    lapse_error err = LAPSE_ERROR_INIT;

    write_bytes("input_cut.zst", frame, len - 5);
    assert_int_equal(lapse_input_open(&in, "input_cut.zst", &err), LAPSE_OK);
    assert_int_equal(lapse_input_format_of(in), LAPSE_INPUT_ZSTD);
    int status;
    do
        status = lapse_input_read(in, buf, sizeof buf, &got, &err);
    while (status == LAPSE_OK && got > 0);
    assert_int_equal(status, LAPSE_ERR_GZIP);
    assert_non_null(strstr(err.message, "truncated zstd stream"));
    assert_int_equal(err.offset, (int64_t)len - 5);
    lapse_input_close(in);

    memcpy(file, frame, len);
    memset(file + 4, 0xff, 4); /* the frame header: its reserved bit set */
    write_bytes("input_corrupt.zst", file, len);
    assert_int_equal(open_and_read("input_corrupt.zst", &err), LAPSE_ERR_GZIP);
    assert_non_null(strstr(err.message, "corrupt zstd stream"));
    assert_in_range(err.offset, 0, (int64_t)len);

    memcpy(file, frame, len);
    memcpy(file + len, "trailing junk", 13);
    write_bytes("input_after.zst", file, len + 13);
    assert_int_equal(open_and_read("input_after.zst", &err), LAPSE_ERR_GZIP);
    assert_non_null(strstr(err.message, "data after the end of the zstd stream"));
    assert_int_equal(err.offset, (int64_t)len);

    /* The magic alone: a frame that never got its header. */
    write_bytes("input_magic.zst", frame, 4);
    assert_int_equal(open_and_read("input_magic.zst", &err), LAPSE_ERR_GZIP);
    assert_non_null(strstr(err.message, "truncated zstd stream"));
}

static void csv_records_and_lines(void **state)
{
    (void)state;
    const char *two[2] = { "\xef\xbb\xbf", text };
    lapse_error err = LAPSE_ERROR_INIT;
    records r = { .err = &err };
    assert_int_equal(lapse_input_csv_read(write_gzip("input_csv.gz", two, 2), NULL, on_field,
                                          on_row, &r, &err),
                     LAPSE_OK);
    assert_string_equal(r.seen, "user_id|n;u1|1;u\n2|2;u3|3;");
    assert_int_equal(r.rows, 4);
    /* CRLF, a blank line and a quoted line end: each record's first line. */
    const int64_t lines[4] = { 1, 2, 4, 6 };
    for (int i = 0; i < 4; i++)
        assert_int_equal(r.lines[i], lines[i]);

    /* A callback's error stops the loop and is what it returns. */
    records stop = { .err = &err, .fail_at_row = 2 };
    assert_int_equal(lapse_input_csv_read("input_plain.csv", NULL, on_field, on_row, &stop, &err),
                     LAPSE_ERR_FORMAT);
    assert_int_equal(stop.rows, 2);
    test_expect_location(&err, 2, 1, "stop");

    /* Another delimiter, and spaces kept. */
    const lapse_input_csv_options opts = { .delimiter = ';', .keep_spaces = 1 };
    records semi = { .err = &err };
    assert_int_equal(lapse_input_csv_read(test_write_text("input_semi.csv", "a; b\n"), &opts,
                                          on_field, on_row, &semi, &err),
                     LAPSE_OK);
    assert_string_equal(semi.seen, "a| b;");
}

/* Spaces kept: the loop gives libcsv its own space test on text without
 * a space or a tab, which must change nothing, line by line and across a
 * read of the buffer's size. */
typedef struct {
    size_t lens[4];
    char last[4];
    int fields;
} long_fields;

static int on_long_field(const lapse_input_csv *csv, const char *data, size_t len, void *user)
{
    (void)csv;
    long_fields *f = user;
    if (f->fields < 4) {
        f->lens[f->fields] = len;
        f->last[f->fields] = len ? data[len - 1] : '\0';
    }
    f->fields++;
    return LAPSE_OK;
}

static int on_long_row(const lapse_input_csv *csv, void *user)
{
    (void)csv;
    (void)user;
    return LAPSE_OK;
}

static void csv_spaces_kept(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    const lapse_input_csv_options keep = { .delimiter = ',', .keep_spaces = 1 };
    /* Short lines, and lines of several 16-byte blocks with a blank in the
     * first block, in the block of the line end, or only after it. */
    const char *mixed = test_write_text("input_spaces.csv",
                                        "a,b\n c ,\td\t\ne,f\n\"g\",h\n"
                                        " 123456789abcdefghijklmnop,q\n"
                                        "0123456789abcdefghij k,l \n"
                                        "0123456789abcdefghijklmno,p\n x,y\n");
    records kept = { .err = &err };
    assert_int_equal(lapse_input_csv_read(mixed, &keep, on_field, on_row, &kept, &err), LAPSE_OK);
    assert_string_equal(kept.seen, "a|b; c |\td\t;e|f;g|h; 123456789abcdefghijklmnop|q;"
                                   "0123456789abcdefghij k|l ;0123456789abcdefghijklmno|p; x|y;");
    records trimmed = { .err = &err };
    assert_int_equal(lapse_input_csv_read(mixed, NULL, on_field, on_row, &trimmed, &err),
                     LAPSE_OK);
    assert_string_equal(trimmed.seen, "a|b;c|d;e|f;g|h;123456789abcdefghijklmnop|q;"
                                      "0123456789abcdefghij k|l;0123456789abcdefghijklmno|p;x|y;");

    /* A line of spaces and tabs, where libcsv trims them, is no record: the
     * next one begins on its own line. With tab as the delimiter, a tab
     * is two empty fields. */
    const char *blank_line = test_write_text("input_blank_line.csv", "a,b\n \t \nc,d\n");
    records after_blank = { .err = &err };
    assert_int_equal(lapse_input_csv_read(blank_line, NULL, on_field, on_row, &after_blank, &err),
                     LAPSE_OK);
    assert_string_equal(after_blank.seen, "a|b;c|d;");
    assert_int_equal(after_blank.lines[1], 3);
    const lapse_input_csv_options tabs = { .delimiter = '\t', .keep_spaces = 0 };
    records tab_fields = { .err = &err };
    assert_int_equal(lapse_input_csv_read(test_write_text("input_tab_line.csv", "a\n\t\nb\n"),
                                          &tabs, on_field, on_row, &tab_fields, &err),
                     LAPSE_OK);
    assert_string_equal(tab_fields.seen, "a;|;b;");
    assert_int_equal(tab_fields.lines[2], 3);

    /* A space after a closing quote is text after it, where spaces count. */
    records quote = { .err = &err };
    assert_int_equal(lapse_input_csv_read(test_write_text("input_quote_space.csv",
                                                          "x,y\n\"q\" ,e\n"),
                                          &keep, on_field, on_row, &quote, &err),
                     LAPSE_ERR_FORMAT);
    test_expect_location(&err, 2, 1, "malformed CSV");

    /* A space as the last byte of the first read (64 KiB), then none. */
    enum { FIRST_READ = 65536 };
    char *long_text = malloc(FIRST_READ + 16);
    assert_non_null(long_text);
    memset(long_text, 'a', FIRST_READ - 1);
    strcpy(long_text + FIRST_READ - 1, " b,c \n");
    long_fields f = { 0 };
    assert_int_equal(lapse_input_csv_read(test_write_text("input_long_space.csv", long_text), &keep,
                                          on_long_field, on_long_row, &f, &err),
                     LAPSE_OK);
    free(long_text);
    assert_int_equal(f.fields, 2);
    assert_int_equal(f.lens[0], FIRST_READ + 1);
    assert_int_equal(f.last[0], 'b');
    assert_int_equal(f.lens[1], 2);
    assert_int_equal(f.last[1], ' ');
}

static void csv_errors_located(void **state)
{
    (void)state;
    const struct {
        const char *text;
        int64_t line;
        int column;
        const char *message;
    } bad[] = {
        { "a,b\nc,\"d\"x\n", 2, 2, "malformed CSV: a quote inside an unquoted field" },
        { "a,b\nc,d\"\n", 2, 2, "malformed CSV" },
        { "a,b\n\nc,\"d\ne\n", 3, 2, "unterminated quoted field" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lapse_error err = LAPSE_ERROR_INIT;
        records r = { .err = &err };
        assert_int_equal(lapse_input_csv_read(test_write_text("input_bad.csv", bad[i].text), NULL,
                                              on_field, on_row, &r, &err),
                         LAPSE_ERR_FORMAT);
        assert_string_equal(err.path, "input_bad.csv");
        test_expect_location(&err, bad[i].line, bad[i].column, bad[i].message);
    }
}

static void csv_raw_line(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    records r = { .err = &err };
    lapse_input_csv *csv = NULL;
    assert_int_equal(lapse_input_csv_open(&csv,
                                          test_write_text("input_raw.csv",
                                                          "\xef\xbb\xbf# meta, \"x\nx,y\n"),
                                          NULL, on_field, on_row, &r, &err),
                     LAPSE_OK);
    char line[4];
    size_t len;
    int too_long;
    assert_int_equal(lapse_input_csv_raw_line(csv, line, sizeof line, &len, &too_long, &err),
                     LAPSE_OK);
    assert_int_equal(too_long, 1);
    assert_int_equal(len, 4);
    assert_memory_equal(line, "# me", 4);
    lapse_input_csv_close(csv);

    assert_int_equal(lapse_input_csv_open(&csv, "input_raw.csv", NULL, on_field, on_row, &r,
                                          &err),
                     LAPSE_OK);
    char meta[64];
    assert_int_equal(lapse_input_csv_raw_line(csv, meta, sizeof meta, &len, &too_long, &err),
                     LAPSE_OK);
    assert_int_equal(too_long, 0);
    assert_int_equal(len, strlen("# meta, \"x"));
    int step;
    while ((step = lapse_input_csv_step(csv, &err)) > 0)
        ;
    assert_int_equal(step, 0);
    assert_string_equal(r.seen, "x|y;");
    assert_int_equal(r.lines[0], 2);
    lapse_input_csv_close(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_text_every_format),
        cmocka_unit_test(standard_input),
        cmocka_unit_test(open_and_gzip_errors),
        cmocka_unit_test(gzip_inflaters_agree),
        cmocka_unit_test(inflater_chosen),
        cmocka_unit_test(other_formats_named),
        cmocka_unit_test(zstd_errors_located),
        cmocka_unit_test(csv_records_and_lines),
        cmocka_unit_test(csv_spaces_kept),
        cmocka_unit_test(csv_errors_located),
        cmocka_unit_test(csv_raw_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
