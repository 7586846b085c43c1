/* Fuzz target: the held-out users' file of train --validate file:
 * (train_holdout_read).
 *
 * Beyond not crashing or leaking: a refused file says why, and a read one
 * holds at least one id, each 1 to LAPSE_TABLE_USER_ID_MAX bytes. */
#include "fuzz_file.h"

#include "train_internal.h"

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(0, data, size);
    lapse_strmap *users = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = train_holdout_read(&users, path, &err);
    if (status != LAPSE_OK) {
        if (users || err.code != status || err.message[0] == '\0')
            abort();
        return 0;
    }
    const size_t n = lapse_strmap_size(users);
    if (n == 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        size_t len;
        lapse_strmap_key(users, (int64_t)i, &len);
        if (len == 0 || len > LAPSE_TABLE_USER_ID_MAX)
            abort();
    }
    lapse_strmap_free(users);
    return 0;
}
