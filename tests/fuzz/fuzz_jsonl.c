/* Fuzz target: JSON lines through lapse_reader (src/data/reader_json.c).
 *
 * The first byte holds options, the rest is the log (a '{' is put first
 * when it lacks one, so the reader takes it as JSON lines):
 *   bit 0  max_bad_rows 2 instead of 0
 *   bit 1  --col user_id=u.id,ts=t,amount=p.revenue (nested keys)
 *   bit 2  zstd-compress the log, so mutations of the JSON reach the reader
 *          through the zstd stream
 *   bit 3  drop repeated rows
 * Beyond not crashing or leaking: every event has a 1..256-byte id, a time
 * in [1970, 2200), a valid category and a finite amount in range; the
 * stats count the events; a refusal has a code, a message and the path. */
#include "fuzz_file.h"

#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <math.h>
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
    lapse_reader *r = NULL;
    if (lapse_reader_open(&r, &path, 1, &opts, &err) != LAPSE_OK)
        abort();
    lapse_event e;
    int status;
    int64_t events = 0;
    while ((status = lapse_reader_next(r, &e, &err)) > 0) {
        if (e.user_id_len < 1 || e.user_id_len > LAPSE_USER_ID_MAX || e.ts < 0 ||
            e.ts >= LAPSE_TIME_MAX || (unsigned)e.category >= LAPSE_CAT_COUNT ||
            (e.has_amount && !(isfinite(e.amount) && e.amount >= 0 && e.amount <= LAPSE_AMOUNT_MAX)))
            abort();
        events++;
    }
    if (status < 0 && (err.code != status || !err.message[0] || strcmp(err.path, path) != 0))
        abort();
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    if (status == 0 && stats.events != events)
        abort();
    lapse_reader_free(r);
    free(packed);
    free(text);
    return 0;
}
