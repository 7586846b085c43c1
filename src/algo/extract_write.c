/* Feature tables out: CSV (datasets/README.md) or LIBSVM; and the
 * warnings an extract keeps for their meta line. */
#include "extract_internal.h"

#include "lapse/numtext.h"
#include "lapse/schema.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whole numbers print exactly and fast (most values are counts); the rest
 * as the shortest decimal that reads back the same (lapse/numtext.h).
 * Returns the length written. */
static size_t format_number(char *buf, double v)
{
    if (v == 0)
        return (size_t)(buf[0] = '0', 1);
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
        char digits[24];
        int64_t n = (int64_t)v;
        const int negative = n < 0;
        uint64_t u = negative ? (uint64_t)(-n) : (uint64_t)n;
        size_t len = 0;
        do {
            digits[len++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        size_t pos = 0;
        if (negative)
            buf[pos++] = '-';
        while (len)
            buf[pos++] = digits[--len];
        return pos;
    }
    return lapse_numtext_double(buf, v);
}

int lapse_extract_warn(lapse_extract *x, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    lapse_log(LAPSE_LOG_WARN, "%s", text);
    char **grown = realloc(x->warnings, (x->warning_count + 1) * sizeof *grown);
    if (!grown)
        return LAPSE_ERR_NOMEM;
    x->warnings = grown;
    if (!(x->warnings[x->warning_count] = strdup(text)))
        return LAPSE_ERR_NOMEM;
    x->warning_count++;
    return LAPSE_OK;
}

size_t lapse_extract_warning_count(const lapse_extract *x)
{
    return x->warning_count;
}

const char *lapse_extract_warning(const lapse_extract *x, size_t i)
{
    return i < x->warning_count ? x->warnings[i] : NULL;
}

/* The warnings for the meta line, one per line, as many as fit, then how
 * many more the log showed. */
static void meta_warnings(char out[LAPSE_TABLE_WARNINGS_MAX], const lapse_extract *x)
{
    const size_t room = LAPSE_TABLE_WARNINGS_MAX - 80; /* for the count of the rest */
    size_t len = 0, i = 0;
    out[0] = '\0';
    for (; i < x->warning_count; i++) {
        const size_t n = strlen(x->warnings[i]);
        if (len + (len > 0) + n > room)
            break;
        len += (size_t)sprintf(out + len, "%s%s", len ? "\n" : "", x->warnings[i]);
    }
    if (i < x->warning_count)
        sprintf(out + len, "%s(and %zu more warnings: see the extract's log)", len ? "\n" : "",
                x->warning_count - i);
}

static int write_failed(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "write failed: %s",
                           strerror(errno));
}

void extract_meta_line(char line[LAPSE_TABLE_META_LINE_MAX], const lapse_extract *x)
{
    lapse_table_meta meta = { LAPSE_TABLE_FORMAT_VERSION, x->churn, lapse_feature_schema_hash(),
                              "", "" };
    meta_warnings(meta.warnings, x);
    if (x->label_file)
        snprintf(meta.labels_sha256, sizeof meta.labels_sha256, "%s",
                 label_file_sha256(x->label_file));
    lapse_table_meta_format(line, LAPSE_TABLE_META_LINE_MAX, &meta);
}

int lapse_extract_write(const lapse_extract *x, lapse_extract_set set, lapse_table_format format,
                        FILE *out, lapse_error *err)
{
    const size_t nf = lapse_feature_count();
    double *values = malloc(nf * sizeof *values);
    /* One row: the user id (quoted, every quote doubled) and the numbers. */
    const size_t line_capacity = 2 * LAPSE_USER_ID_MAX + 64 + nf * 40;
    char *line = malloc(line_capacity);
    if (!values || !line) {
        free(values);
        free(line);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    int status = LAPSE_OK;
    if (format == LAPSE_TABLE_CSV) {
        char meta_line[LAPSE_TABLE_META_LINE_MAX];
        extract_meta_line(meta_line, x);
        if (fprintf(out, "%s\nuser_id,asof", meta_line) < 0) {
            status = write_failed(err);
            goto done;
        }
        for (size_t f = 0; f < nf; f++)
            fprintf(out, ",%s", lapse_feature_get(f)->name);
        if (fputs(",label,days_to_churn\n", out) < 0) {
            status = write_failed(err);
            goto done;
        }
    }
    for (size_t i = 0; i < x->row_count[set]; i++) {
        lapse_extract_row row;
        lapse_extract_get(x, set, i, &row, values);
        size_t pos = 0;
        if (format == LAPSE_TABLE_CSV) {
            const int quote = memchr(row.user_id, ',', row.user_id_len) ||
                              memchr(row.user_id, '"', row.user_id_len) ||
                              memchr(row.user_id, '\n', row.user_id_len) ||
                              memchr(row.user_id, '\r', row.user_id_len);
            if (quote)
                line[pos++] = '"';
            for (size_t b = 0; b < row.user_id_len; b++) {
                if (row.user_id[b] == '"')
                    line[pos++] = '"';
                line[pos++] = row.user_id[b];
            }
            if (quote)
                line[pos++] = '"';
            line[pos++] = ',';
            lapse_time_format_date(line + pos, row.asof);
            pos += 10;
            for (size_t f = 0; f < nf; f++) {
                line[pos++] = ',';
                pos += format_number(line + pos, values[f]);
            }
            line[pos++] = ',';
            if (row.label >= 0)
                line[pos++] = (char)('0' + row.label);
            line[pos++] = ',';
            if (row.days_to_churn > 0)
                pos += format_number(line + pos, row.days_to_churn);
        } else {
            line[pos++] = (char)('0' + (row.label > 0));
            for (size_t f = 0; f < nf; f++) {
                if (values[f] == 0)
                    continue;
                pos += (size_t)snprintf(line + pos, 16, " %zu:", f + 1);
                pos += format_number(line + pos, values[f]);
            }
        }
        line[pos++] = '\n';
        if (fwrite(line, 1, pos, out) != pos) {
            status = write_failed(err);
            goto done;
        }
    }
    if (fflush(out) != 0)
        status = write_failed(err);
done:
    free(values);
    free(line);
    return status;
}
