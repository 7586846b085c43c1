/* Fuzz target: the input layer (src/base/input.h), bytes and CSV records.
 *
 * The first byte picks the CSV options; the rest is the file (plain, gzip, zstd,
 * with or without a BOM, or a format refused by name). Beyond not crashing or leaking: the text is the
 * same whatever the read size, a refusal has a code, a message and the
 * path, and records come with lines that start at 1 and never go back.
 * The text cut at record ends (csvcut.h, a few records a piece) and parsed
 * piece by piece by a text loop gives the fields, rows, lines and error
 * the loop reading the file gives. */
#include "fuzz_file.h"

#include "csvcut.h"
#include "input.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* All the text of path in reads of step bytes; NULL when it is refused. */
static unsigned char *read_text(const char *path, size_t step, size_t *len)
{
    lapse_input *in = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    /* Opening refuses only what it names: a compression it does not read. */
    const int opened = lapse_input_open(&in, path, &err);
    if (opened != LAPSE_OK) {
        if (opened != LAPSE_ERR_FORMAT || err.code != opened || !err.message[0] ||
            strcmp(err.path, path) != 0 || in)
            abort();
        return NULL;
    }
    unsigned char *text = NULL;
    size_t got = 0, cap = 0;
    *len = 0;
    int status;
    do {
        if (*len + step > cap) {
            cap = 2 * (*len + step);
            unsigned char *grown = realloc(text, cap);
            if (!grown)
                abort();
            text = grown;
        }
        status = lapse_input_read(in, text + *len, step, &got, &err);
        *len += got;
    } while (status == LAPSE_OK && got > 0);
    lapse_input_close(in);
    if (status != LAPSE_OK) {
        if (err.code != status || !err.message[0] || strcmp(err.path, path) != 0)
            abort();
        free(text);
        return NULL;
    }
    return text;
}

typedef struct {
    int64_t last_line;
    int64_t records;
    unsigned char *log; /* every field and row end, with its line */
    size_t len, cap;
} seen;

static void note(seen *s, const void *bytes, size_t len)
{
    if (s->len + len > s->cap) {
        s->cap = 2 * (s->len + len);
        unsigned char *grown = realloc(s->log, s->cap);
        if (!grown)
            abort();
        s->log = grown;
    }
    memcpy(s->log + s->len, bytes, len);
    s->len += len;
}

static void note_place(seen *s, const lapse_input_csv *csv, char kind)
{
    const int64_t line = lapse_input_csv_line(csv);
    const int fields = lapse_input_csv_fields(csv);
    note(s, &kind, 1);
    note(s, &line, sizeof line);
    note(s, &fields, sizeof fields);
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    seen *s = user;
    if (text[len] != '\0' || lapse_input_csv_line(csv) < 1)
        abort();
    note_place(s, csv, 'f');
    note(s, &len, sizeof len);
    note(s, text, len);
    return LAPSE_OK;
}

static int on_row(const lapse_input_csv *csv, void *user)
{
    seen *s = user;
    const int64_t line = lapse_input_csv_line(csv);
    if (line < s->last_line || lapse_input_csv_records(csv) != s->records)
        abort();
    s->last_line = line;
    s->records++;
    note_place(s, csv, 'r');
    return LAPSE_OK;
}

/* The text's records through a text loop, piece after piece of `per`
 * records, stopping at the first error. */
static int read_pieces(const char *path, const lapse_input_csv_options *opts,
                       const unsigned char *text, size_t len, size_t per, seen *s,
                       lapse_error *err)
{
    lapse_input_csv *csv = NULL;
    if (lapse_input_csv_open_text(&csv, path, opts, on_field, on_row, s, err) != LAPSE_OK)
        abort();
    size_t pos = 0;
    int64_t line = 1;
    int status = LAPSE_OK;
    while (status == LAPSE_OK) {
        lapse_csvcut scan = { 0 };
        size_t end = pos;
        lapse_csvcut_scan(&scan, (const char *)text, len, &end, per, 1);
        lapse_input_csv_set_text(csv, text + pos, end - pos, (int64_t)pos, line, end == len);
        while ((status = lapse_input_csv_step(csv, err)) > 0)
            ;
        line += scan.newlines;
        pos = end;
        if (pos == len)
            break;
    }
    lapse_input_csv_close(csv);
    return status;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const lapse_input_csv_options opts = { .delimiter = data[0] & 1 ? ';' : ',',
                                           .keep_spaces = (data[0] >> 1) & 1 };
    const char *path = fuzz_file_path(0, data + 1, size - 1);

    size_t len_a, len_b;
    unsigned char *a = read_text(path, 1 + data[0] % 7, &len_a);
    unsigned char *b = read_text(path, 65536, &len_b);
    if (!a != !b || (a && (len_a != len_b || memcmp(a, b, len_a) != 0)))
        abort();
    free(a);

    seen s = { 1, 0, NULL, 0, 0 };
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_input_csv_read(path, &opts, on_field, on_row, &s, &err);
    if (status != LAPSE_OK && (err.code != status || !err.message[0]))
        abort();
    if (b) {
        seen p = { 1, 0, NULL, 0, 0 };
        lapse_error perr = LAPSE_ERROR_INIT;
        const int pstatus =
            read_pieces(path, &opts, b, len_b, 1 + (data[0] >> 2) % 4, &p, &perr);
        if (pstatus != status || p.len != s.len || (s.len && memcmp(p.log, s.log, s.len) != 0) ||
            (status != LAPSE_OK &&
             (perr.line != err.line || perr.column != err.column ||
              strcmp(perr.message, err.message) != 0 || strcmp(perr.path, err.path) != 0)))
            abort();
        free(p.log);
    }
    free(b);
    free(s.log);
    return 0;
}
