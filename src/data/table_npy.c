/* The .npy half of a binary feature table: NumPy's header, parsed and
 * written (table_npy.h); the rows file is CSV through the usual layers. */
#include "table_npy.h"

#include "lapse/features.h"
#include "lapse/outfile.h"
#include "lapse/schema.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <string.h>

/* Keys and values of the header dict, as numpy writes it ("{'descr':
 * '<f8', 'fortran_order': False, 'shape': (3, 79), }") and as any Python
 * literal of the same three keys would be. */
typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string ('...' or "...", no escapes) into out (size bytes). */
static int take_string(cursor *c, char *out, size_t size)
{
    skip_space(c);
    if (c->p == c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    const char quote = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != quote) {
        if (*c->p == '\\' || n + 1 >= size)
            return 0;
        out[n++] = *c->p++;
    }
    if (c->p == c->end)
        return 0;
    c->p++;
    out[n] = '\0';
    return 1;
}

static int take_word(cursor *c, const char *word)
{
    skip_space(c);
    const size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int take_count(cursor *c, uint64_t *out)
{
    skip_space(c);
    uint64_t v = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*c->p++ - '0');
    }
    if (c->p == start)
        return 0;
    if (c->p < c->end && *c->p == 'L') /* Python 2's numpy wrote 3L */
        c->p++;
    *out = v;
    return 1;
}

/* (rows, columns) with an optional trailing comma: the only shape read. */
static int take_shape(cursor *c, uint64_t *rows, uint64_t *columns)
{
    if (!take(c, '(') || !take_count(c, rows) || !take(c, ',') || !take_count(c, columns))
        return 0;
    take(c, ',');
    return take(c, ')');
}

int lapse__npy_header_parse(const unsigned char *buf, size_t len, lapse_npy_shape *out,
                            char *why, size_t why_size)
{
    if (len < 10 || memcmp(buf, LAPSE_NPY_MAGIC, LAPSE_NPY_MAGIC_LEN) != 0) {
        snprintf(why, why_size, "not an .npy file (no \\x93NUMPY magic)");
        return -1;
    }
    const unsigned major = buf[6];
    size_t header_len, start;
    if (major == 1) {
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            snprintf(why, why_size, "truncated .npy header");
            return -1;
        }
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
                     (size_t)buf[11] << 24;
        start = 12;
    } else {
        snprintf(why, why_size, ".npy format version %u.%u; lapse reads 1.0 to 3.0", major,
                 (unsigned)buf[7]);
        return -1;
    }
    if (header_len > len - start) {
        snprintf(why, why_size, "truncated .npy header (it says %zu bytes)", header_len);
        return -1;
    }
    cursor c = { (const char *)buf + start, (const char *)buf + start + header_len };
    int have_descr = 0, have_order = 0, have_shape = 0;
    uint64_t rows = 0, columns = 0;
    if (!take(&c, '{'))
        goto bad;
    while (!take(&c, '}')) {
        char key[32], descr[32];
        if (!take_string(&c, key, sizeof key) || !take(&c, ':'))
            goto bad;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if (!take_string(&c, descr, sizeof descr))
                goto bad;
            if (strcmp(descr, "<f8") != 0) {
                snprintf(why, why_size,
                         ".npy values are '%s'; lapse reads '<f8' (little-endian float64): "
                         "convert with a.astype('<f8')",
                         descr);
                return -1;
            }
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (take_word(&c, "True")) {
                snprintf(why, why_size,
                         ".npy array is in Fortran order; lapse reads C order: save "
                         "numpy.ascontiguousarray(a)");
                return -1;
            }
            if (!take_word(&c, "False"))
                goto bad;
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if (!take_shape(&c, &rows, &columns)) {
                snprintf(why, why_size, ".npy shape is not (rows, features)");
                return -1;
            }
            have_shape = 1;
        } else {
            goto bad;
        }
        if (!take(&c, ',')) {
            if (!take(&c, '}'))
                goto bad;
            break;
        }
    }
    skip_space(&c); /* numpy pads with spaces and ends with '\n' */
    if (c.p != c.end || !have_descr || !have_order || !have_shape)
        goto bad;
    if (columns == 0 || (rows && columns > UINT64_MAX / 8 / rows)) {
        snprintf(why, why_size, ".npy shape (%llu, %llu) is empty or too large",
                 (unsigned long long)rows, (unsigned long long)columns);
        return -1;
    }
    out->rows = rows;
    out->columns = columns;
    out->data_offset = start + header_len;
    return 0;
bad:
    snprintf(why, why_size,
             "bad .npy header (expected {'descr': '<f8', 'fortran_order': False, 'shape': "
             "(rows, features)})");
    return -1;
}

size_t lapse__npy_header_format(unsigned char *buf, uint64_t rows, uint64_t columns)
{
    char dict[96];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f8', 'fortran_order': False, 'shape': (%llu, %llu), }",
                     (unsigned long long)rows, (unsigned long long)columns);
    /* Spaces, then '\n', up to a multiple of 64 bytes in all. */
    const size_t total = ((size_t)10 + (size_t)n + 1 + 63) / 64 * 64;
    memcpy(buf, LAPSE_NPY_MAGIC "\x01\x00", 8);
    const size_t header_len = total - 10;
    buf[8] = (unsigned char)(header_len & 0xff);
    buf[9] = (unsigned char)(header_len >> 8);
    memcpy(buf + 10, dict, (size_t)n);
    memset(buf + 10 + n, ' ', total - 10 - (size_t)n - 1);
    buf[total - 1] = '\n';
    return total;
}

int lapse_table_npy_rows_path(char *out, size_t size, const char *path)
{
    const size_t len = strlen(path);
    if (len < 4 || strcmp(path + len - 4, ".npy") != 0 || len - 4 + sizeof ".rows.csv" > size)
        return -1;
    memcpy(out, path, len - 4);
    memcpy(out + len - 4, ".rows.csv", sizeof ".rows.csv");
    return 0;
}

int lapse_table_write_npy(const lapse_table *t, const char *path, lapse_error *err)
{
    char rows_path[4096];
    if (lapse_table_npy_rows_path(rows_path, sizeof rows_path, path) != 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                               "a binary table's path ends in .npy (its rows go to T.rows.csv)");
    if (t->encoding || t->meta.schema_hash != lapse_feature_schema_hash() ||
        t->n_features != lapse_feature_count())
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                               "only a feature table of this lapse's schema is written as .npy");
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                           ".npy tables are little-endian; this machine is not");
#endif
    lapse_outfile *files[2] = { NULL, NULL };
    int status = lapse_outfile_open(&files[0], path, err);
    if (status == LAPSE_OK)
        status = lapse_outfile_open(&files[1], rows_path, err);
    if (status != LAPSE_OK) {
        lapse_outfile_abort(files[0]);
        return status;
    }
    FILE *npy = lapse_outfile_stream(files[0]), *rows = lapse_outfile_stream(files[1]);
    unsigned char header[128];
    const size_t header_len = lapse__npy_header_format(header, t->n_rows, t->n_features);
    fwrite(header, 1, header_len, npy);
    if (t->n_rows)
        fwrite(t->x, sizeof *t->x, t->n_rows * t->n_features, npy);
    char meta[LAPSE_TABLE_META_LINE_MAX];
    lapse_table_meta_format(meta, sizeof meta, &t->meta);
    fprintf(rows, "%s\nuser_id,asof,label,days_to_churn\n", meta);
    for (size_t i = 0; i < t->n_rows; i++) {
        char date[16];
        lapse_time_format_date(date, t->asof[i]);
        lapse_outfile_put_field(rows, t->user_ids[i], strlen(t->user_ids[i]));
        fprintf(rows, ",%s,", date);
        if (t->labels[i] >= 0)
            fputc('0' + t->labels[i], rows);
        fputc(',', rows);
        if (t->days_to_churn && t->days_to_churn[i] > 0)
            fprintf(rows, "%d", t->days_to_churn[i]);
        fputc('\n', rows);
    }
    /* Both files or neither: a stream error shows at commit. */
    return lapse_outfile_commit_all(files, 2, err);
}
