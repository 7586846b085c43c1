/* Fuzz target: the input layer (src/base/input.h), bytes and CSV records.
 *
 * The first byte picks the CSV options; the rest is the file (plain, gzip, zstd,
 * with or without a BOM, or a format refused by name). Beyond not crashing or leaking: the text is the
 * same whatever the read size, a refusal has a code, a message and the
 * path, and records come with lines that start at 1 and never go back. */
#include "fuzz_file.h"

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
} seen;

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    (void)user;
    if (text[len] != '\0' || lapse_input_csv_line(csv) < 1)
        abort();
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
    return LAPSE_OK;
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
    free(b);

    seen s = { 1, 0 };
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_input_csv_read(path, &opts, on_field, on_row, &s, &err);
    if (status != LAPSE_OK && (err.code != status || !err.message[0]))
        abort();
    return 0;
}
