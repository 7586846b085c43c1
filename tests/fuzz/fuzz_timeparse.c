/* Fuzz target: timestamps (lapse_time_parse, lapse_date_parse).
 *
 * Beyond not crashing: every accepted stamp lies in the documented range,
 * and its ISO form parses back to the same second, as does its date form
 * to the same midnight. */
#include "lapse/error.h"
#include "lapse/timeparse.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int64_t seconds = -1;
    int status = lapse_time_parse(&seconds, text, size);
    if (status != LAPSE_OK && status != LAPSE_ERR_FORMAT && status != LAPSE_ERR_RANGE)
        abort();
    if (status == LAPSE_OK) {
        if (seconds < 0 || seconds >= LAPSE_TIME_MAX)
            abort();
        char iso[32];
        lapse_time_format_iso(iso, seconds);
        int64_t again = -1;
        if (lapse_time_parse(&again, iso, strlen(iso)) != LAPSE_OK || again != seconds)
            abort();
    }
    int64_t day = -1;
    status = lapse_date_parse(&day, text, size);
    if (status != LAPSE_OK && status != LAPSE_ERR_FORMAT && status != LAPSE_ERR_RANGE)
        abort();
    if (status == LAPSE_OK) {
        if (day < 0 || day >= LAPSE_TIME_MAX || day % LAPSE_SECONDS_PER_DAY != 0)
            abort();
        char date[16];
        lapse_time_format_date(date, day);
        int64_t again = -1;
        if (lapse_date_parse(&again, date, strlen(date)) != LAPSE_OK || again != day)
            abort();
    }
    return 0;
}
