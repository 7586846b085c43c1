/* Fuzz target: the event-name mapping file (lapse_category_map_load).
 *
 * Beyond not crashing or leaking: a refused file says why and where, and a
 * loaded map answers lookups with a valid category. */
#include "fuzz_file.h"

#include "lapse/category.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(0, data, size);
    lapse_category_map *map = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_category_map_load(&map, path, &err);
    if (status != LAPSE_OK) {
        if (map || err.code != status || err.message[0] == '\0')
            abort();
        return 0;
    }
    /* Look up each line of the input, and the input itself, as names. */
    const char *text = (const char *)data;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || text[i] == '\n' || text[i] == ',') {
            if (lapse_category_lookup(map, text + start, i - start, NULL) >= LAPSE_CAT_COUNT)
                abort();
            start = i + 1;
        }
    }
    lapse_category_map_free(map);
    return 0;
}
