/* Fuzz target: the feature table's first line (lapse_table_meta_parse).
 *
 * Beyond not crashing: a line that parses is written back by
 * lapse_table_meta_format, and that text parses to the same meta. */
#include "lapse/error.h"
#include "lapse/schema.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lapse_table_meta meta;
    const int status = lapse_table_meta_parse(&meta, (const char *)data, size);
    if (status != LAPSE_OK && status != LAPSE_ERR_FORMAT && status != LAPSE_ERR_VERSION)
        abort();
    if (status != LAPSE_OK)
        return 0;
    if (meta.version < 1 || meta.version > LAPSE_TABLE_FORMAT_VERSION ||
        lapse_churn_validate(&meta.churn) != LAPSE_OK)
        abort();
    char line[LAPSE_TABLE_META_LINE_MAX];
    if (lapse_table_meta_format(line, sizeof line, &meta) != LAPSE_OK)
        abort();
    lapse_table_meta again;
    if (lapse_table_meta_parse(&again, line, strlen(line)) != LAPSE_OK ||
        again.version != meta.version || again.schema_hash != meta.schema_hash ||
        !lapse_churn_equal(&again.churn, &meta.churn) ||
        again.churn.key_mask != meta.churn.key_mask ||
        strcmp(again.warnings, meta.warnings) != 0 ||
        strcmp(again.labels_sha256, meta.labels_sha256) != 0)
        abort();
    return 0;
}
