/* Reading scored files for lapse eval: the p_churn and label columns of any
 * CSV, through the input layer. */
#include "lapse/eval.h"

#include "input.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX 64

typedef struct {
    int in_header;       /* no header read yet */
    int comment;         /* the current pre-header record starts with '#' */
    long p_col, label_col;
    size_t n_columns;
    double p;
    int label;           /* -1 empty */
    double *ps;
    int *ys;
    size_t n, cap;
    lapse_error *err;
} scored;

static int fail(const lapse_input_csv *csv, scored *s, const char *fmt, const char *text)
{
    return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), lapse_input_csv_fields(csv) + 1, -1, fmt,
                           text);
}

static int header_field(const lapse_input_csv *csv, scored *s, const char *text, size_t len)
{
    const int col = lapse_input_csv_fields(csv);
    if (col == 0 && len > 0 && text[0] == '#')
        s->comment = 1;
    if (s->comment)
        return LAPSE_OK;
    long *slot = !strcmp(text, "p_churn") ? &s->p_col : !strcmp(text, "label") ? &s->label_col
                                                                                  : NULL;
    if (slot && *slot >= 0)
        return fail(csv, s, "column \"%s\" appears twice in the header", text);
    if (slot)
        *slot = col;
    return LAPSE_OK;
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *ctx)
{
    scored *s = ctx;
    if (s->in_header)
        return header_field(csv, s, text, len);
    const long col = lapse_input_csv_fields(csv);
    if (col == s->p_col) {
        char buf[NUMBER_MAX];
        char *end;
        if (len == 0 || len >= sizeof buf || memchr(text, ' ', len))
            return fail(csv, s, "bad p_churn \"%s\": want a probability",
                        len < sizeof buf ? text : "(too long)");
        memcpy(buf, text, len + 1);
        errno = 0;
        const double v = strtod(buf, &end);
        if (*end || errno || !isfinite(v) || v < 0 || v > 1)
            return fail(csv, s, "bad p_churn \"%s\": want a probability in [0, 1]", buf);
        s->p = v;
    } else if (col == s->label_col) {
        if (len == 0)
            s->label = -1;
        else if (len == 1 && (text[0] == '0' || text[0] == '1'))
            s->label = text[0] - '0';
        else
            return fail(csv, s, "bad label \"%s\": want 1, 0 or empty",
                        len < 32 ? text : "(too long)");
    }
    return LAPSE_OK;
}

static int on_row(const lapse_input_csv *csv, void *ctx)
{
    scored *s = ctx;
    const char *path = lapse_input_csv_path(csv);
    const int64_t line = lapse_input_csv_line(csv);
    const size_t fields = (size_t)lapse_input_csv_fields(csv);
    if (s->in_header) {
        if (s->comment) {
            s->comment = 0;
            return LAPSE_OK;
        }
        s->in_header = 0;
        s->n_columns = fields;
        if (s->p_col < 0 || s->label_col < 0)
            return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, 0, -1,
                                   "the header has no %s column (eval wants the output of "
                                   "lapse score on a labelled table)",
                                   s->p_col < 0 ? "p_churn" : "label");
        return LAPSE_OK;
    }
    if (fields != s->n_columns)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, (int)fields, -1,
                               "row has %zu fields, the header has %zu", fields, s->n_columns);
    if (s->label < 0)
        return LAPSE_OK;
    if (s->n == s->cap) {
        const size_t cap = s->cap ? 2 * s->cap : 4096;
        double *ps = realloc(s->ps, cap * sizeof *ps);
        if (ps)
            s->ps = ps;
        int *ys = ps ? realloc(s->ys, cap * sizeof *ys) : NULL;
        if (!ps || !ys)
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, line, 0, -1,
                                   "out of memory reading scored rows");
        s->ys = ys;
        s->cap = cap;
    }
    s->ps[s->n] = s->p;
    s->ys[s->n++] = s->label;
    return LAPSE_OK;
}

/* One file: header (after any '#' lines), then rows. */
static int read_one(scored *s, const char *path)
{
    const lapse_input_csv_options opts = { .delimiter = ',', .keep_spaces = 1 };
    s->in_header = 1;
    s->comment = 0;
    s->p_col = s->label_col = -1;
    const int status = lapse_input_csv_read(path, &opts, on_field, on_row, s, s->err);
    if (status == LAPSE_OK && s->in_header)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                               "no header: the file is empty");
    return status;
}

int lapse_eval_read_scored(double **p, int **y, size_t *n, const char *const *paths,
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
    int status = LAPSE_OK;
    for (size_t i = 0; i < n_paths && status == LAPSE_OK; i++)
        status = read_one(&s, paths[i]);
    if (status != LAPSE_OK) {
        free(s.ps);
        free(s.ys);
        return status;
    }
    *p = s.ps; /* now owned by the caller */
    *y = s.ys;
    *n = s.n;
    return LAPSE_OK;
}
