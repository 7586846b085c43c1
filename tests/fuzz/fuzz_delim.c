/* Fuzz target: delimiters through lapse_reader (src/data/reader_parse.c):
 * TSV told by the header, and blank runs squeezed before libcsv.
 *
 * The first byte holds options, the rest is the log:
 *   bits 0-2  the delimiter: by content, ',', ';', '\t', ' ' (blank runs)
 *   bit 3     max_bad_rows 2 instead of 0
 *   bit 4     drop repeated rows
 *   bit 5     the amount as qty*price (--amount-expr)
 * Beyond not crashing or leaking: what fuzz_events.h checks of every read. */
#include "fuzz_events.h"
#include "fuzz_file.h"

#include "lapse/reader.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

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
    char expr[] = "qty*price";
    lapse_error expr_err = LAPSE_ERROR_INIT;
    if ((flags & 32) && lapse_reader_parse_amount_expr(&opts, expr, &expr_err) != LAPSE_OK)
        abort();
    fuzz_read_all_events(path, &opts);
    return 0;
}
