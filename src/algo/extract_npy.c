/* An extract's rows as a binary table (src/data/table_npy.h): the values
 * to the .npy, the rest and the meta line to the rows file. */
#include "lapse/extract.h"

#include "lapse/features.h"
#include "lapse/outfile.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include "extract_internal.h"
#include "table_npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lapse_extract_write_npy(const lapse_extract *x, lapse_extract_set set, FILE *npy, FILE *rows,
                            lapse_error *err)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                           ".npy tables are little-endian; this machine is not");
#endif
    const size_t d = lapse_feature_count(), n = lapse_extract_count(x, set);
    char meta[LAPSE_TABLE_META_LINE_MAX];
    extract_meta_line(meta, x);
    double *values = malloc(d * sizeof *values);
    if (!values)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    unsigned char header[128];
    fwrite(header, 1, lapse__npy_header_format(header, n, d), npy);
    fprintf(rows, "%s\nuser_id,asof,label,days_to_churn\n", meta);
    for (size_t i = 0; i < n; i++) {
        lapse_extract_row row;
        lapse_extract_get(x, set, i, &row, values);
        fwrite(values, sizeof *values, d, npy);
        char date[16];
        lapse_time_format_date(date, row.asof);
        lapse_outfile_put_field(rows, row.user_id, row.user_id_len);
        fprintf(rows, ",%s,", date);
        if (row.label >= 0)
            fputc('0' + row.label, rows);
        fputc(',', rows);
        if (row.days_to_churn > 0)
            fprintf(rows, "%d", row.days_to_churn);
        if (fputc('\n', rows) == EOF)
            break;
    }
    free(values);
    if (fflush(npy) != 0 || fflush(rows) != 0 || ferror(npy) || ferror(rows))
        return lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "write failed: %s",
                               strerror(errno));
    return LAPSE_OK;
}
