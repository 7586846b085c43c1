/* Fuzz target: the recall team's configuration files, the channels file
 * (lapse_channel_table_load) and the action rules (lapse_action_rules_load).
 *
 * Beyond not crashing or leaking: a refused file says why and where, and a
 * loaded channel table written out reads back the same. */
#include "fuzz_file.h"

#include "lapse/actions.h"
#include "lapse/channels.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int status, const lapse_error *err)
{
    if (status != LAPSE_OK && (err->code != status || err->message[0] == '\0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_path(0, data, size);
    static lapse_channel_table table, back;
    lapse_error err = LAPSE_ERROR_INIT;
    int status = lapse_channel_table_load(&table, path, &err);
    check_refusal(status, &err);
    if (status == LAPSE_OK) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        if (!out)
            abort();
        lapse_channel_table_write(out, &table);
        if (fclose(out) != 0)
            abort();
        const char *copy = fuzz_file_path(1, (const uint8_t *)text, len);
        memset(&back, 0, sizeof back);
        if (lapse_channel_table_load(&back, copy, &err) != LAPSE_OK || back.n != table.n)
            abort();
        for (size_t c = 0; c < table.n; c++)
            if (memcmp(&back.channel[c], &table.channel[c], sizeof back.channel[c]) != 0)
                abort();
        free(text);
    }
    lapse_action_rules *rules = NULL;
    lapse_error_clear(&err);
    status = lapse_action_rules_load(&rules, path, &err);
    check_refusal(status, &err);
    if ((status == LAPSE_OK) != (rules != NULL))
        abort();
    lapse_action_rules_free(rules);
    return 0;
}
