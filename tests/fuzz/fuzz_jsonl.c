/* Fuzz target: JSON lines through lapse_reader (src/data/reader_json.c).
 *
 * The first byte holds options, the rest is the log (a '{' is put first
 * when it lacks one, so the reader takes it as JSON lines):
 *   bit 0  max_bad_rows 2 instead of 0
 *   bit 1  --col user_id=u.id,ts=t,amount=p.revenue (nested keys)
 *   bit 2  zstd-compress the log, so mutations of the JSON reach the reader
 *          through the zstd stream
 *   bit 3  drop repeated rows
 *   bit 4  the amount as q*p.price (--amount-expr; in place of bit 1's amount)
 * Beyond not crashing or leaking: what fuzz_events.h checks of every read. */
#include "fuzz_events.h"
#include "fuzz_file.h"

#include "lapse/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const uint8_t flags = data[0];
    data++;
    size--;
    const size_t text_len = size + (size == 0 || data[0] != '{');
    uint8_t *text = malloc(text_len);
    if (!text)
        abort();
    text[0] = '{';
    memcpy(text + (text_len - size), data, size);
    const uint8_t *file = text;
    size_t file_len = text_len;
    void *packed = NULL;
    if (flags & 4) {
        const size_t bound = ZSTD_compressBound(text_len);
        packed = malloc(bound);
        if (!packed)
            abort();
        file_len = ZSTD_compress(packed, bound, text, text_len, 1);
        if (ZSTD_isError(file_len))
            abort();
        file = packed;
    }
    const char *path = fuzz_file_path(0, file, file_len);

    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.max_bad_rows = flags & 1 ? 2 : 0;
    opts.dups = flags & 8 ? LAPSE_DUPS_DROP : LAPSE_DUPS_COUNT;
    char cols[] = "user_id=u.id,ts=t,amount=p.revenue";
    lapse_error err = LAPSE_ERROR_INIT;
    if ((flags & 2) && lapse_reader_parse_columns(&opts, cols, &err) != LAPSE_OK)
        abort();
    char expr[] = "q*p.price";
    if (flags & 16) {
        opts.columns[LAPSE_COL_AMOUNT] = NULL;
        if (lapse_reader_parse_amount_expr(&opts, expr, &err) != LAPSE_OK)
            abort();
    }
    fuzz_read_all_events(path, &opts);
    free(packed);
    free(text);
    return 0;
}
