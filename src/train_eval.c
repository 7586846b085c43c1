/* Reading scored files for lapse eval: the p_churn and label columns of any
 * CSV (plain or gzip), with libcsv. */
#include "lapse/train.h"

#include <csv.h>
#include <zlib.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define NUMBER_MAX 64

typedef struct {
    const char *path;
    int64_t line;        /* the line being fed, from 1 */
    size_t column;       /* fields seen in the current record */
    int in_header;       /* no header read yet */
    int comment;         /* the current pre-header record starts with '#' */
    long p_col, label_col;
    size_t n_columns;
    double p;
    int label;           /* -1 empty */
    double *ps;
    int *ys;
    size_t n, cap;
    int status;
    lapse_error *err;
} scored;

static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void fail(scored *s, int code, int column, const char *fmt, const char *text)
{
    if (s->status != 0)
        return;
    s->status = lapse_error_set(s->err, code, s->path, s->line, column, -1, fmt, text);
}

static void on_field(void *data, size_t len, void *ctx)
{
    scored *s = ctx;
    const char *text = data ? data : "";
    const size_t col = s->column++;
    if (s->status != 0)
        return;
    if (s->in_header) {
        if (col == 0 && len > 0 && text[0] == '#') {
            s->comment = 1;
            return;
        }
        if (s->comment)
            return;
        long *slot = !strcmp(text, "p_churn") ? &s->p_col : !strcmp(text, "label") ? &s->label_col
                                                                                      : NULL;
        if (slot && *slot >= 0)
            fail(s, LAPSE_ERR_FORMAT, (int)col + 1, "column \"%s\" appears twice in the header",
                 text);
        else if (slot)
            *slot = (long)col;
        return;
    }
    if ((long)col == s->p_col) {
        char buf[NUMBER_MAX];
        char *end;
        if (len == 0 || len >= sizeof buf || memchr(text, ' ', len)) {
            fail(s, LAPSE_ERR_FORMAT, (int)col + 1, "bad p_churn \"%s\": want a probability",
                 len < sizeof buf ? text : "(too long)");
            return;
        }
        memcpy(buf, text, len + 1);
        errno = 0;
        const double v = strtod(buf, &end);
        if (*end || errno || !isfinite(v) || v < 0 || v > 1)
            fail(s, LAPSE_ERR_FORMAT, (int)col + 1,
                 "bad p_churn \"%s\": want a probability in [0, 1]", buf);
        s->p = v;
    } else if ((long)col == s->label_col) {
        if (len == 0)
            s->label = -1;
        else if (len == 1 && (text[0] == '0' || text[0] == '1'))
            s->label = text[0] - '0';
        else
            fail(s, LAPSE_ERR_FORMAT, (int)col + 1, "bad label \"%s\": want 1, 0 or empty",
                 len < 32 ? text : "(too long)");
    }
}

static void on_row(int c, void *ctx)
{
    scored *s = ctx;
    (void)c;
    const size_t fields = s->column;
    s->column = 0;
    if (s->status != 0)
        return;
    if (s->in_header) {
        if (s->comment) {
            s->comment = 0;
            return;
        }
        s->in_header = 0;
        s->n_columns = fields;
        if (s->p_col < 0 || s->label_col < 0)
            s->status = lapse_error_set(s->err, LAPSE_ERR_FORMAT, s->path, s->line, 0, -1,
                                        "the header has no %s column (eval wants the output of "
                                        "lapse score on a labelled table)",
                                        s->p_col < 0 ? "p_churn" : "label");
        return;
    }
    if (fields != s->n_columns) {
        s->status = lapse_error_set(s->err, LAPSE_ERR_FORMAT, s->path, s->line, (int)fields, -1,
                                    "row has %zu fields, the header has %zu", fields,
                                    s->n_columns);
        return;
    }
    if (s->label < 0)
        return;
    if (s->n == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 4096;
        double *ps = realloc(s->ps, cap * sizeof *ps);
        if (ps)
            s->ps = ps;
        int *ys = ps ? realloc(s->ys, cap * sizeof *ys) : NULL;
        if (!ps || !ys) {
            s->status = lapse_error_set(s->err, LAPSE_ERR_NOMEM, s->path, s->line, 0, -1,
                                        "out of memory reading scored rows");
            return;
        }
        s->ys = ys;
        s->cap = cap;
    }
    s->ps[s->n] = s->p;
    s->ys[s->n++] = s->label;
}

/* One file: header (after any '#' lines), then rows. */
static int read_one(scored *s, const char *path)
{
    s->path = path;
    s->line = 1;
    s->column = 0;
    s->in_header = 1;
    s->comment = 0;
    s->p_col = s->label_col = -1;
    const int stdin_ = !strcmp(path, "-");
    gzFile in = stdin_ ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path, "rb");
    if (!in)
        return lapse_error_set(s->err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                               strerror(errno ? errno : ENOMEM));
    struct csv_parser csv;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        gzclose(in);
        return lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    csv_set_space_func(&csv, no_space);
    unsigned char *buf = malloc(READ_CHUNK);
    if (!buf)
        s->status = lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    while (s->status == 0) {
        const int got = gzread(in, buf, READ_CHUNK);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(in, &zerr);
            s->status = lapse_error_set(s->err, zerr == Z_ERRNO ? LAPSE_ERR_IO : LAPSE_ERR_GZIP,
                                        path, s->line, 0, -1, "cannot read: %s",
                                        zerr == Z_ERRNO ? strerror(errno) : msg);
            break;
        }
        if (got == 0) {
            /* zlib reports a stream cut short as Z_BUF_ERROR at the end,
             * before the cut row would pass for a short one. */
            int zerr;
            gzerror(in, &zerr);
            if (zerr == Z_BUF_ERROR) {
                s->status = lapse_error_set(s->err, LAPSE_ERR_GZIP, path, s->line, 0,
                                            (int64_t)gzoffset(in),
                                            "truncated gzip stream: the file ends inside "
                                            "compressed data");
                break;
            }
            if (!gzeof(in)) {
                s->status = lapse_error_set(s->err, LAPSE_ERR_GZIP, path, s->line, 0, -1,
                                            "cannot read to the end of the file");
                break;
            }
            if (csv_fini(&csv, on_field, on_row, s) != 0 && s->status == 0)
                s->status = lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, s->line,
                                            (int)s->column + 1, -1,
                                            "unterminated quoted field at the end of the file");
            break;
        }
        /* One line at a time, so a record's line is known when it ends. */
        for (size_t pos = 0; pos < (size_t)got && s->status == 0;) {
            size_t n = 0;
            while (pos + n < (size_t)got && buf[pos + n] != '\n')
                n++;
            const int newline = pos + n < (size_t)got;
            n += (size_t)newline;
            if (csv_parse(&csv, buf + pos, n, on_field, on_row, s) != n && s->status == 0)
                s->status = lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, s->line,
                                            (int)s->column + 1, -1, "malformed CSV: %s",
                                            csv_strerror(csv_error(&csv)));
            pos += n;
            s->line += newline;
        }
    }
    if (s->status == 0 && s->in_header)
        s->status = lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, s->line, 0, -1,
                                    "no header: the file is empty");
    free(buf);
    csv_free(&csv);
    gzclose(in);
    return s->status;
}

int lapse_train_read_scored(double **p, int **y, size_t *n, const char *const *paths,
                            size_t n_paths, lapse_error *err)
{
    *p = NULL;
    *y = NULL;
    *n = 0;
    if (n_paths == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no file to read");
    scored s;
    memset(&s, 0, sizeof s);
    s.err = err;
    for (size_t i = 0; i < n_paths && s.status == 0; i++)
        s.status = read_one(&s, paths[i]);
    if (s.status != 0) {
        free(s.ps);
        free(s.ys);
        return s.status;
    }
    *p = s.ps; /* now owned by the caller */
    *y = s.ys;
    *n = s.n;
    return 0;
}
