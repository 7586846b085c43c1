/* Fuzz target: a partial extract state file (lapse extract --partial) to
 * lapse_extract_merge, as given and with its lapse version, lengths and
 * CRC fields corrected so that mutations reach the fields behind the
 * checksums (layout in src/algo/extract_partial_internal.h).
 *
 * Beyond not crashing: a refusal carries a code and a message and gives
 * no extract; a merge that succeeds writes its table, and its rows number
 * no more than its users times its snapshots. */
#include "fuzz_file.h"

#include "lapse/extract.h"
#include "lapse/extract_partial.h"
#include "lapse/version.h"

#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void merge_one(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(0, data, size);
    const char *const paths[] = { path };
    lapse_extract *x = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_extract_merge(&x, paths, 1, &err);
    if (status != LAPSE_OK) {
        if (x || err.code != status || !err.message[0])
            abort();
        return;
    }
    lapse_extract_stats stats;
    lapse_extract_get_stats(x, &stats);
    const size_t rows = lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE) +
                        lapse_extract_count(x, LAPSE_EXTRACT_DORMANT);
    if ((int64_t)rows > stats.users * LAPSE_EXTRACT_MAX_SNAPSHOTS)
        abort();
    FILE *out = fopen("/dev/null", "w");
    if (!out || lapse_extract_write(x, LAPSE_EXTRACT_ACTIVE, LAPSE_TABLE_CSV, out, &err) != LAPSE_OK ||
        lapse_extract_write(x, LAPSE_EXTRACT_DORMANT, LAPSE_TABLE_LIBSVM, out, &err) != LAPSE_OK)
        abort();
    fclose(out);
    lapse_extract_free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    merge_one(data, size);
    if (size < 64 || size > (1u << 24))
        return 0;
    /* The same bytes made to pass the header's checks. */
    uint8_t *fixed = malloc(size);
    if (!fixed)
        abort();
    memcpy(fixed, data, size);
    memcpy(fixed, "LAPSEPRT", 8);
    put32(fixed + 8, LAPSE_PARTIAL_FORMAT_VERSION);
    memset(fixed + 12, 0, 16);
    memcpy(fixed + 12, LAPSE_VERSION_STRING, strlen(LAPSE_VERSION_STRING));
    uint32_t meta = get32(fixed + 36);
    if (meta > size - 64)
        meta = (uint32_t)(size - 64);
    put32(fixed + 36, meta);
    const uint64_t bulk = size - 64 - meta;
    for (int i = 0; i < 8; i++)
        fixed[40 + i] = (uint8_t)(bulk >> 8 * i);
    put32(fixed + 48, (uint32_t)crc32(crc32(0L, fixed, 48), fixed + 64, meta));
    put32(fixed + 52, (uint32_t)crc32(0L, fixed + 64 + meta, (uInt)bulk));
    merge_one(fixed, size);
    free(fixed);
    return 0;
}
