/* Fuzz target: delimiters through lapse_reader (src/data/reader_parse.c):
 * TSV told by the header, and blank runs squeezed before libcsv.
 *
 * The first byte holds options, the rest is the log:
 *   bits 0-2  the delimiter: by content, ',', ';', '\t', ' ' (blank runs)
 *   bit 3     max_bad_rows 2 instead of 0
 *   bit 4     drop repeated rows
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const uint8_t flags = data[0];
    data++;
    size--;
    static const char delimiters[8] = { 0, ',', ';', '\t', ' ', 0, ' ', '\t' };
    const char *path = fuzz_file_path(0, data, size);
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.delimiter = delimiters[flags & 7];
    opts.max_bad_rows = flags & 8 ? 2 : 0;
    opts.dups = flags & 16 ? LAPSE_DUPS_DROP : LAPSE_DUPS_COUNT;
    lapse_error err = LAPSE_ERROR_INIT;
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
    return 0;
}
