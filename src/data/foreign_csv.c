/* Foreign CSV tables: the training pass that infers an encoding (column
 * kinds, levels, medians, missing flags), and the rows of any foreign
 * table (CSV here, libsvm through foreign_libsvm.c) encoded into batches. */
#include "foreign_internal.h"

#include "lapse/schema.h"
#include "strmap.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN FOREIGN_SHOWN_MAX

static const char lapse_table_prefix[] = "# lapse-features";

int lapse__foreign_is_lapse_table(const char *text, size_t len)
{
    const size_t n = sizeof lapse_table_prefix - 1;
    return len >= n && memcmp(text, lapse_table_prefix, n) == 0;
}

int lapse__foreign_parse_label(const char *text, size_t len, const char *positive, int8_t *out)
{
    if (len == 0) {
        *out = -1;
        return 0;
    }
    if (positive && positive[0]) {
        *out = strlen(positive) == len && memcmp(text, positive, len) == 0;
        return 0;
    }
    double v;
    if (lapse_field_number(text, len, &v) != 0 || (v != 0 && v != 1))
        return -1;
    *out = (int8_t)v;
    return 0;
}

/* ---- the header, common to both passes ---- */

typedef struct {
    char **names;
    size_t n, cap, bytes;
} header;

static void header_free(header *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->names[i]);
    free(h->names);
    memset(h, 0, sizeof *h);
}

/* Adds a header field; returns 0 or an error code with *why set. */
static int header_add(header *h, const char *text, size_t len, const char **why)
{
    if (h->n == LAPSE_TABLE_FEATURES_MAX + 2) {
        *why = "the header has more columns than a table may (65538)";
        return LAPSE_ERR_LIMIT;
    }
    h->bytes += len + 1;
    if (h->bytes > LAPSE_TABLE_HEADER_MAX) {
        *why = "the header is longer than 1 MiB";
        return LAPSE_ERR_LIMIT;
    }
    int printable = len > 0 && len <= LAPSE_FEATURE_NAME_MAX;
    for (size_t i = 0; i < len && printable; i++) {
        const unsigned char c = (unsigned char)text[i];
        printable = c >= 0x20 && c != 0x7f && c != ',';
    }
    if (!printable) {
        *why = "bad header: a column name is empty, has a control character or ',', or is "
               "longer than 256 bytes";
        return LAPSE_ERR_FORMAT;
    }
    if (h->n == h->cap) {
        const size_t cap = h->cap ? 2 * h->cap : 32;
        char **names = realloc(h->names, cap * sizeof *names);
        if (!names) {
            *why = "out of memory";
            return LAPSE_ERR_NOMEM;
        }
        h->names = names;
        h->cap = cap;
    }
    if (!(h->names[h->n] = strndup(text, len))) {
        *why = "out of memory";
        return LAPSE_ERR_NOMEM;
    }
    h->n++;
    return LAPSE_OK;
}

/* The 0-based column named name, or -1. */
static long header_find(const header *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->names[i], name) == 0)
            return (long)i;
    return -1;
}

/* ---- pass 1: inferring the encoding ---- */

typedef struct {
    int text;               /* a non-empty cell was not a number */
    int has_empty;
    double *values;         /* the numbers, while the column is numeric */
    size_t n_values, cap;
    /* Distinct non-empty cells while there are at most max_levels (a list:
     * a map per column would cost 36 KB each, and tables may be wide). */
    char **levels;
    size_t n_levels;
    int too_many;
    int64_t text_line;      /* the first cell that is not a number */
    char example[SHOWN + 1];
} column_stats;

typedef struct {
    const lapse_foreign_options *o;
    const char *path;
    header h;
    int in_header;
    long label_at, id_at;
    column_stats *cols;
    uint64_t rows, positives, negatives;
    int status;
    lapse_error error;
} infer_state;

__attribute__((format(printf, 5, 6))) static int infer_fail(infer_state *s,
                                                            const lapse_input_csv *csv, int code,
                                                            int column, const char *fmt, ...)
{
    if (s->status != LAPSE_OK)
        return s->status;
    char message[LAPSE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    s->status = lapse_error_set(&s->error, code, s->path, lapse_input_csv_line(csv), column, -1,
                                "%s", message);
    return s->status;
}

static void free_levels(column_stats *c)
{
    for (size_t l = 0; l < c->n_levels; l++)
        free(c->levels[l]);
    free(c->levels);
    c->levels = NULL;
    c->n_levels = 0;
}

static void stats_free(column_stats *c)
{
    free(c->values);
    free_levels(c);
}

/* Adds a cell to the column's distinct values, or gives up past max_levels.
 * Returns 0 or LAPSE_ERR_NOMEM. */
static int add_level(column_stats *c, const char *text, size_t len, size_t max_levels)
{
    if (c->too_many)
        return LAPSE_OK;
    for (size_t l = 0; l < c->n_levels; l++)
        if (strncmp(c->levels[l], text, len) == 0 && c->levels[l][len] == '\0')
            return LAPSE_OK;
    if (c->n_levels == max_levels) {
        c->too_many = 1;
        free_levels(c);
        return LAPSE_OK;
    }
    if (!c->levels && !(c->levels = malloc(max_levels * sizeof *c->levels)))
        return LAPSE_ERR_NOMEM;
    if (!(c->levels[c->n_levels] = strndup(text, len)))
        return LAPSE_ERR_NOMEM;
    c->n_levels++;
    return LAPSE_OK;
}

/* The text exports write for a missing value, as pandas reads them
 * (read_csv's default na_values), beside the empty cell: a single "NA"
 * would otherwise turn a number column into text. */
static int missing_cell(const char *text, size_t len)
{
    static const char *const markers[] = { "NA",  "N/A",  "n/a", "#N/A", "NaN",  "nan", "-NaN",
                                           "-nan", "null", "NULL", "None", "<NA>", "#NA" };
    if (len == 0)
        return 1;
    for (size_t i = 0; i < sizeof markers / sizeof markers[0]; i++)
        if (strlen(markers[i]) == len && memcmp(markers[i], text, len) == 0)
            return 1;
    return 0;
}

static int stats_add(infer_state *s, column_stats *c, const char *text, size_t len,
                     const lapse_input_csv *csv)
{
    if (missing_cell(text, len)) {
        c->has_empty = 1;
        return LAPSE_OK;
    }
    double v;
    if (!c->text && lapse_field_number(text, len, &v) == 0) {
        if (c->n_values == c->cap) {
            const size_t cap = c->cap ? 2 * c->cap : 256;
            double *values = realloc(c->values, cap * sizeof *values);
            if (!values)
                return infer_fail(s, csv, LAPSE_ERR_NOMEM, 0, "out of memory");
            c->values = values;
            c->cap = cap;
        }
        c->values[c->n_values++] = v;
    } else if (!c->text) {
        c->text = 1;
        c->text_line = lapse_input_csv_line(csv);
        snprintf(c->example, sizeof c->example, "%.*s", (int)(len > SHOWN ? SHOWN : len), text);
        free(c->values);
        c->values = NULL;
    }
    if (add_level(c, text, len, s->o->max_levels) != LAPSE_OK)
        return infer_fail(s, csv, LAPSE_ERR_NOMEM, 0, "out of memory");
    return LAPSE_OK;
}

/* The header is complete: find the label and id, set up the columns. */
static int infer_header_done(infer_state *s, const lapse_input_csv *csv)
{
    lapse_strmap *seen = lapse_strmap_create();
    if (!seen)
        return infer_fail(s, csv, LAPSE_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; i < s->h.n && s->status == LAPSE_OK; i++) {
        int added;
        const int64_t first = lapse_strmap_intern(seen, s->h.names[i], strlen(s->h.names[i]),
                                                  &added);
        if (first < 0)
            infer_fail(s, csv, LAPSE_ERR_NOMEM, 0, "out of memory");
        else if (!added)
            infer_fail(s, csv, LAPSE_ERR_FORMAT, (int)i + 1,
                       "bad header: column \"%.*s\" appears twice (columns %lld and %zu)", SHOWN,
                       s->h.names[i], (long long)first + 1, i + 1);
    }
    lapse_strmap_free(seen);
    if (s->status != LAPSE_OK)
        return s->status;
    s->label_at = header_find(&s->h, s->o->label);
    if (s->label_at < 0)
        return infer_fail(s, csv, LAPSE_ERR_SCHEMA, 0,
                          "no label column \"%.*s\" in the header (--label names it)", SHOWN,
                          s->o->label);
    s->id_at = s->o->id ? header_find(&s->h, s->o->id) : -1;
    if (s->o->id && s->id_at < 0)
        return infer_fail(s, csv, LAPSE_ERR_SCHEMA, 0,
                          "no id column \"%.*s\" in the header (--id names it)", SHOWN, s->o->id);
    if (s->id_at == s->label_at)
        return infer_fail(s, csv, LAPSE_ERR_ARG, 0, "the label and the id are one column");
    s->cols = calloc(s->h.n, sizeof *s->cols);
    if (!s->cols)
        return infer_fail(s, csv, LAPSE_ERR_NOMEM, 0, "out of memory");
    return LAPSE_OK;
}

static int infer_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    infer_state *s = user;
    const size_t column = (size_t)lapse_input_csv_fields(csv);
    const int col = (int)column + 1;
    if (len > LAPSE_TABLE_FIELD_MAX)
        return infer_fail(s, csv, LAPSE_ERR_LIMIT, col, "field longer than %d bytes",
                          LAPSE_TABLE_FIELD_MAX);
    if (memchr(text, '\0', len))
        return infer_fail(s, csv, LAPSE_ERR_FORMAT, col, "field has a NUL byte");
    if (s->in_header) {
        if (column == 0 && lapse__foreign_is_lapse_table(text, len))
            return infer_fail(s, csv, LAPSE_ERR_SCHEMA, 1,
                              "this is a feature table from lapse extract: train on it without "
                              "--label, --id or --format");
        const char *why;
        const int status = header_add(&s->h, text, len, &why);
        return status == LAPSE_OK ? LAPSE_OK : infer_fail(s, csv, status, col, "%s", why);
    }
    if (column >= s->h.n)
        return infer_fail(s, csv, LAPSE_ERR_FORMAT, col,
                          "row has more than %zu fields (the header has %zu)", s->h.n, s->h.n);
    if ((long)column == s->label_at) {
        int8_t label;
        if (lapse__foreign_parse_label(text, len, s->o->positive, &label) != 0)
            return infer_fail(s, csv, LAPSE_ERR_FORMAT, col,
                              "bad label \"%.*s\" in column \"%.*s\" (expected 1, 0 or empty; "
                              "--positive V reads another value as 1)",
                              (int)(len > SHOWN ? SHOWN : len), text, SHOWN,
                              s->h.names[column]);
        s->positives += label == 1;
        s->negatives += label == 0;
        return LAPSE_OK;
    }
    /* Ids are checked as the rows are read (and repeats by the table). */
    if ((long)column == s->id_at)
        return LAPSE_OK;
    return stats_add(s, &s->cols[column], text, len, csv);
}

static int infer_row(const lapse_input_csv *csv, void *user)
{
    infer_state *s = user;
    const size_t fields = (size_t)lapse_input_csv_fields(csv);
    if (s->in_header) {
        s->in_header = 0;
        return infer_header_done(s, csv);
    }
    if (fields != s->h.n)
        return infer_fail(s, csv, LAPSE_ERR_FORMAT, (int)fields + 1,
                          "row has %zu fields, the header has %zu", fields, s->h.n);
    s->rows++;
    return LAPSE_OK;
}

static int compare_doubles(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The k-th smallest of v[0..n) (0-based), reordering v so that no earlier
 * element is larger and no later one smaller: Hoare's selection, linear on
 * average where a sort for one median is n log n (a quarter of a training
 * read); ranges that shrink too slowly (crafted data) are sorted instead. */
static double select_kth(double *v, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, target = (ptrdiff_t)k;
    for (int rounds = 0; lo < hi; rounds++) {
        if (rounds > 64) {
            qsort(v + lo, (size_t)(hi - lo + 1), sizeof *v, compare_doubles);
            break;
        }
        const double pivot = v[lo + (hi - lo) / 2];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                const double t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

/* The column's kind, median or levels, from its statistics. */
static int make_column(lapse_foreign_column *out, column_stats *c, const char *name,
                       size_t column, const infer_state *s)
{
    if (!(out->name = strdup(name)))
        return LAPSE_ERR_NOMEM;
    if (!c->text && c->n_values == 0) {
        out->kind = LAPSE_COLUMN_DROPPED;
        lapse_log(LAPSE_LOG_WARN, "%s: column %zu \"%s\" is empty in every row: dropped", s->path,
                  column + 1, name);
        return LAPSE_OK;
    }
    out->has_missing = c->has_empty;
    if (!c->text) {
        out->kind = LAPSE_COLUMN_NUMBER;
        const size_t n = c->n_values, mid = n / 2;
        const double upper = select_kth(c->values, n, mid);
        out->impute = upper;
        if (n % 2 == 0) { /* the mean of the two middle values */
            double lower = c->values[0];
            for (size_t i = 1; i < mid; i++)
                lower = c->values[i] > lower ? c->values[i] : lower;
            out->impute = lower / 2 + upper / 2;
        }
        return LAPSE_OK;
    }
    if (c->too_many) {
        out->kind = LAPSE_COLUMN_DROPPED;
        out->has_missing = 0;
        lapse_log(LAPSE_LOG_WARN,
                  "%s: column %zu \"%s\" is text (\"%s\" on line %lld) with more than %zu "
                  "distinct values: dropped, not a feature",
                  s->path, column + 1, name, c->example, (long long)c->text_line,
                  s->o->max_levels);
        return LAPSE_OK;
    }
    out->kind = LAPSE_COLUMN_LEVELS;
    /* now owned by the encoding */
    out->levels = c->levels;
    out->n_levels = c->n_levels;
    c->levels = NULL;
    c->n_levels = 0;
    qsort(out->levels, out->n_levels, sizeof *out->levels, compare_strings);
    return LAPSE_OK;
}

/* Every feature name fits a model and differs from the others. */
static int check_feature_names(const lapse_foreign_encoding *enc, const char *path,
                               lapse_error *err)
{
    lapse_strmap *seen = lapse_strmap_create();
    if (!seen)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    const size_t width = lapse_foreign_width(enc);
    char name[LAPSE_FEATURE_NAME_MAX + 16];
    int status = LAPSE_OK, added;
    for (size_t j = 0; j < width && status == LAPSE_OK; j++) {
        if (lapse_foreign_feature_name(name, sizeof name, enc, j) != LAPSE_OK)
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                                     "feature \"%.*s...\" would be longer than %d bytes: a "
                                     "text value too long to be a level",
                                     SHOWN, name, LAPSE_FEATURE_NAME_MAX);
        else if (lapse_strmap_intern(seen, name, strlen(name), &added) < 0)
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        else if (!added)
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                                     "two features would be named \"%s\" (a column's name "
                                     "equals another's level or missing flag): rename one",
                                     name);
    }
    lapse_strmap_free(seen);
    return status;
}

static int infer_finish(lapse_foreign_encoding **out, infer_state *s, lapse_error *err)
{
    const char *label = s->o->label;
    if (s->rows == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, s->path, 0, 0, -1, "the table has no rows");
    if (s->positives == 0 && s->negatives == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, s->path, 0, (int)s->label_at + 1, -1,
                               "label column \"%s\" is empty in every row", label);
    if (s->positives == 0 || s->negatives == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, s->path, 0, (int)s->label_at + 1, -1,
                               "label column \"%s\" is constant: all %llu labels are %d%s%s%s",
                               label, (unsigned long long)(s->positives + s->negatives),
                               s->positives ? 1 : 0, s->o->positive ? " (no cell equals \"" : "",
                               s->o->positive ? s->o->positive : "",
                               s->o->positive ? "\" as --positive says)" : "");
    lapse_foreign_encoding *e = calloc(1, sizeof *e);
    int status = LAPSE_ERR_NOMEM;
    if (!e)
        goto done;
    e->format = LAPSE_FOREIGN_CSV;
    e->id_column = strdup(s->o->id ? s->o->id : "");
    e->label_column = strdup(label);
    e->positive = strdup(s->o->positive ? s->o->positive : "");
    e->columns = calloc(s->h.n, sizeof *e->columns);
    if (!e->id_column || !e->label_column || !e->positive || !e->columns)
        goto done;
    for (size_t i = 0; i < s->h.n; i++) {
        if ((long)i == s->label_at || (long)i == s->id_at)
            continue;
        e->n_columns++;
        if (make_column(&e->columns[e->n_columns - 1], &s->cols[i], s->h.names[i], i, s) !=
            LAPSE_OK)
            goto done;
    }
    if (lapse_foreign_width(e) == 0) {
        status = lapse_error_set(err, LAPSE_ERR_RANGE, s->path, 0, 0, -1,
                                 "no feature column: every column but the label and the id is "
                                 "dropped");
        goto fail;
    }
    status = check_feature_names(e, s->path, err);
    if (status != LAPSE_OK)
        goto fail;
    *out = e;
    return LAPSE_OK;
done:
    status = lapse_error_set(err, LAPSE_ERR_NOMEM, s->path, 0, 0, -1, "out of memory");
fail:
    lapse_foreign_free(e);
    return status;
}

int lapse_foreign_infer(lapse_foreign_encoding **out, const char *path,
                        const lapse_foreign_options *opts, lapse_error *err)
{
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "a table of your own is read twice (its columns, then its rows): "
                               "give a file, not standard input");
    if (opts->format == LAPSE_FOREIGN_LIBSVM)
        return lapse__libsvm_infer(out, path, err);
    if (opts->format != LAPSE_FOREIGN_CSV || !opts->label || !opts->label[0] ||
        opts->max_levels < 1)
        return lapse_error_set(err, LAPSE_ERR_ARG, path, 0, 0, -1,
                               "a CSV table needs its label column (--label COL)");
    infer_state s = { .o = opts, .path = path, .in_header = 1, .label_at = -1, .id_at = -1 };
    lapse_error_clear(&s.error);
    const lapse_input_csv_options csv_opts = LAPSE_INPUT_CSV_OPTIONS_INIT;
    int status = lapse_input_csv_read(path, &csv_opts, infer_field, infer_row, &s, err);
    if (status == LAPSE_OK && s.in_header)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                                 "the table is empty: no header line");
    else if (status == LAPSE_OK)
        status = infer_finish(out, &s, err);
    else if (s.status != LAPSE_OK && err)
        *err = s.error;
    for (size_t i = 0; s.cols && i < s.h.n; i++)
        stats_free(&s.cols[i]);
    free(s.cols);
    header_free(&s.h);
    return status;
}

/* ---- pass 2 and scoring: rows encoded ---- */

enum { ROLE_SKIP = -1, ROLE_ID = -2, ROLE_LABEL = -3 };

struct foreign_rows {
    const lapse_foreign_encoding *enc;
    char *path;
    lapse_table_meta meta;
    size_t width;
    char **names;          /* width encoded names, one block */
    libsvm_rows *svm;      /* libsvm */
    lapse_input_csv *csv;  /* CSV */
    header h;
    int in_header, finished, status;
    lapse_error error;
    long *role;            /* per header column: an encoding column, or a ROLE_ */
    size_t *offset;        /* per encoding column: its first feature */
    lapse_table_batch *batch;
    int8_t label;
    uint64_t *unseen;      /* per encoding column: cells with a level not in training */
    uint64_t *late_empty;  /* per encoding column: empty cells where training had none */
};

__attribute__((format(printf, 4, 5))) static int rows_fail(foreign_rows *f, int code, int column,
                                                           const char *fmt, ...)
{
    if (f->status != LAPSE_OK)
        return f->status;
    char message[LAPSE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    const int64_t line = f->csv ? lapse_input_csv_line(f->csv) : 0;
    f->status = lapse_error_set(&f->error, code, f->path, line, column, -1, "%s", message);
    return f->status;
}

/* Matches the header to the encoding by name. */
static int match_header(foreign_rows *f)
{
    const lapse_foreign_encoding *e = f->enc;
    if (!(f->role = malloc(f->h.n * sizeof *f->role)))
        return rows_fail(f, LAPSE_ERR_NOMEM, 0, "out of memory");
    lapse_strmap *columns = lapse_strmap_create();
    char *matched = calloc(e->n_columns + 1, 1);
    int have_id = 0;
    if (!columns || !matched) {
        rows_fail(f, LAPSE_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    for (size_t c = 0; c < e->n_columns; c++)
        if (lapse_strmap_intern(columns, e->columns[c].name, strlen(e->columns[c].name), NULL) <
            0) {
            rows_fail(f, LAPSE_ERR_NOMEM, 0, "out of memory");
            goto done;
        }
    for (size_t i = 0; i < f->h.n && f->status == LAPSE_OK; i++) {
        const char *name = f->h.names[i];
        const int64_t c = lapse_strmap_find(columns, name, strlen(name));
        const int is_id = e->id_column[0] && strcmp(name, e->id_column) == 0;
        const int is_label = strcmp(name, e->label_column) == 0;
        f->role[i] = is_id ? ROLE_ID : is_label ? ROLE_LABEL : c >= 0 ? (long)c : ROLE_SKIP;
        if (f->role[i] == ROLE_SKIP)
            rows_fail(f, LAPSE_ERR_SCHEMA, (int)i + 1,
                      "column \"%.*s\" is not one the model was trained on: remove it", SHOWN,
                      name);
        else if ((c >= 0 && matched[c]) || (is_id && have_id))
            rows_fail(f, LAPSE_ERR_FORMAT, (int)i + 1, "bad header: column \"%.*s\" appears twice",
                      SHOWN, name);
        else if (c >= 0)
            matched[c] = 1;
        have_id |= is_id;
        if (c >= 0 && e->columns[c].kind == LAPSE_COLUMN_DROPPED)
            f->role[i] = ROLE_SKIP;
    }
    for (size_t c = 0; c < e->n_columns && f->status == LAPSE_OK; c++)
        if (!matched[c] && e->columns[c].kind != LAPSE_COLUMN_DROPPED)
            rows_fail(f, LAPSE_ERR_SCHEMA, 0,
                      "the table lacks column \"%.*s\", which the model was trained on", SHOWN,
                      e->columns[c].name);
    if (f->status == LAPSE_OK && e->id_column[0] && !have_id)
        rows_fail(f, LAPSE_ERR_SCHEMA, 0,
                  "the table lacks the id column \"%.*s\" the model was trained with", SHOWN,
                  e->id_column);
done:
    lapse_strmap_free(columns);
    free(matched);
    return f->status;
}

/* Every cell of a row starts as its column's empty value. */
static void begin_row(foreign_rows *f, double *x)
{
    memset(x, 0, f->width * sizeof *x);
    f->label = -1;
}

static void empty_cell(foreign_rows *f, size_t c, double *x)
{
    const lapse_foreign_column *col = &f->enc->columns[c];
    double *own = x + f->offset[c];
    if (col->kind == LAPSE_COLUMN_NUMBER)
        own[0] = col->impute;
    if (col->has_missing)
        own[col->kind == LAPSE_COLUMN_NUMBER ? 1 : col->n_levels] = 1;
    else
        f->late_empty[c]++;
}

static int compare_level(const void *key, const void *level)
{
    return strcmp(key, *(char *const *)level);
}

static void feature_cell(foreign_rows *f, size_t c, const char *text, size_t len, int col,
                         double *x)
{
    const lapse_foreign_column *column = &f->enc->columns[c];
    if (missing_cell(text, len)) {
        empty_cell(f, c, x);
    } else if (column->kind == LAPSE_COLUMN_NUMBER) {
        if (lapse_field_number(text, len, x + f->offset[c]) != 0)
            rows_fail(f, LAPSE_ERR_FORMAT, col,
                      "bad value \"%.*s\" in column \"%.*s\" (a number column in training)",
                      (int)(len > SHOWN ? SHOWN : len), text, SHOWN, column->name);
    } else {
        char *const *level =
            bsearch(text, column->levels, column->n_levels, sizeof *column->levels, compare_level);
        if (level)
            x[f->offset[c] + (size_t)(level - column->levels)] = 1;
        else
            f->unseen[c]++;
    }
}

static int rows_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    foreign_rows *f = user;
    const size_t column = (size_t)lapse_input_csv_fields(csv);
    const int col = (int)column + 1;
    if (len > LAPSE_TABLE_FIELD_MAX)
        return rows_fail(f, LAPSE_ERR_LIMIT, col, "field longer than %d bytes",
                         LAPSE_TABLE_FIELD_MAX);
    if (memchr(text, '\0', len))
        return rows_fail(f, LAPSE_ERR_FORMAT, col, "field has a NUL byte");
    if (f->in_header) {
        if (column == 0 && lapse__foreign_is_lapse_table(text, len))
            return rows_fail(f, LAPSE_ERR_SCHEMA, 1,
                             "this is a feature table from lapse extract, but the model was "
                             "trained on a table of your own (lapse train --label): score a "
                             "table with that one's columns");
        const char *why;
        const int status = header_add(&f->h, text, len, &why);
        return status == LAPSE_OK ? LAPSE_OK : rows_fail(f, status, col, "%s", why);
    }
    lapse_table_batch *b = f->batch;
    const size_t row = b->n_rows;
    double *x = b->x + row * f->width;
    if (column == 0)
        begin_row(f, x);
    if (column >= f->h.n)
        return rows_fail(f, LAPSE_ERR_FORMAT, col,
                         "row has more than %zu fields (the header has %zu)", f->h.n, f->h.n);
    const long role = f->role[column];
    if (role == ROLE_LABEL) {
        if (lapse__foreign_parse_label(text, len, f->enc->positive, &f->label) != 0)
            rows_fail(f, LAPSE_ERR_FORMAT, col,
                      "bad label \"%.*s\" in column \"%.*s\" (expected 1, 0 or empty)",
                      (int)(len > SHOWN ? SHOWN : len), text, SHOWN, f->h.names[column]);
    } else if (role == ROLE_ID) {
        if (len == 0 || len > LAPSE_TABLE_USER_ID_MAX)
            rows_fail(f, LAPSE_ERR_FORMAT, col, "id must be 1 to %d bytes, this one has %zu",
                      LAPSE_TABLE_USER_ID_MAX, len);
        else
            memcpy(b->user_ids[row], text, len + 1);
    } else if (role >= 0) {
        feature_cell(f, (size_t)role, text, len, col, x);
    }
    return f->status;
}

static int rows_row(const lapse_input_csv *csv, void *user)
{
    foreign_rows *f = user;
    const size_t fields = (size_t)lapse_input_csv_fields(csv);
    if (f->in_header) {
        f->in_header = 0;
        return match_header(f);
    }
    if (fields != f->h.n)
        return rows_fail(f, LAPSE_ERR_FORMAT, (int)fields + 1,
                         "row has %zu fields, the header has %zu", fields, f->h.n);
    lapse_table_batch *b = f->batch;
    const size_t row = b->n_rows++;
    /* Rows are numbered from 1, after the header. */
    const uint64_t number = (uint64_t)lapse_input_csv_records(csv);
    if (!f->enc->id_column[0])
        snprintf(b->user_ids[row], sizeof b->user_ids[row], "%llu", (unsigned long long)number);
    b->labels[row] = f->label;
    b->asof[row] = LAPSE_TABLE_NO_ASOF;
    b->lines[row] = lapse_input_csv_line(csv);
    return LAPSE_OK;
}

static void feed(foreign_rows *f)
{
    const int got = lapse_input_csv_step(f->csv, &f->error);
    if (got < 0) {
        f->status = got;
        return;
    }
    f->finished = got == 0;
    if (lapse_input_csv_open_field_bytes(f->csv) > LAPSE_TABLE_FIELD_MAX)
        rows_fail(f, LAPSE_ERR_LIMIT, lapse_input_csv_fields(f->csv) + 1,
                  "field longer than %d bytes", LAPSE_TABLE_FIELD_MAX);
}

/* The encoded names, in one block, and the meta line they hash into. */
static int make_names(foreign_rows *f)
{
    const size_t name_size = LAPSE_FEATURE_NAME_MAX + 1;
    f->width = lapse_foreign_width(f->enc);
    if (f->width == 0 || f->width > LAPSE_TABLE_FEATURES_MAX)
        return rows_fail(f, LAPSE_ERR_LIMIT, 0, "the encoding makes %zu features (1 to %d)",
                         f->width, LAPSE_TABLE_FEATURES_MAX);
    f->names = malloc(f->width * (sizeof *f->names + name_size));
    f->offset = calloc(f->enc->n_columns + 1, sizeof *f->offset);
    f->unseen = calloc(f->enc->n_columns + 1, sizeof *f->unseen);
    f->late_empty = calloc(f->enc->n_columns + 1, sizeof *f->late_empty);
    if (!f->names || !f->offset || !f->unseen || !f->late_empty)
        return rows_fail(f, LAPSE_ERR_NOMEM, 0, "out of memory");
    char *text = (char *)(f->names + f->width);
    for (size_t j = 0; j < f->width; j++) {
        f->names[j] = text + j * name_size;
        if (lapse_foreign_feature_name(f->names[j], name_size, f->enc, j) != LAPSE_OK)
            return rows_fail(f, LAPSE_ERR_LIMIT, 0, "feature %zu's name is too long", j + 1);
    }
    size_t at = 0;
    for (size_t c = 0; c < f->enc->n_columns; c++) {
        const lapse_foreign_column *col = &f->enc->columns[c];
        f->offset[c] = at;
        at += col->kind == LAPSE_COLUMN_NUMBER   ? 1u + (col->has_missing != 0)
              : col->kind == LAPSE_COLUMN_LEVELS ? col->n_levels + (col->has_missing != 0)
                                                 : 0u;
    }
    const lapse_table_meta meta = { LAPSE_TABLE_FORMAT_VERSION, LAPSE_CHURN_DEF_INIT,
                                    lapse_schema_hash((const char *const *)f->names, f->width),
                                    "", "" };
    f->meta = meta;
    return LAPSE_OK;
}

static int rows_report(const foreign_rows *f, lapse_error *err)
{
    if (err)
        *err = f->error;
    return f->status;
}

int lapse__foreign_rows_open(foreign_rows **out, const char *path,
                             const lapse_foreign_encoding *enc, lapse_error *err)
{
    *out = NULL;
    foreign_rows *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    lapse_error_clear(&f->error);
    f->enc = enc;
    f->in_header = 1;
    if (make_names(f) != LAPSE_OK)
        goto done;
    if (enc->format == LAPSE_FOREIGN_LIBSVM) {
        f->status = lapse__libsvm_rows_open(&f->svm, f->path, f->width, &f->error);
        goto done;
    }
    const lapse_input_csv_options opts = LAPSE_INPUT_CSV_OPTIONS_INIT;
    f->status = lapse_input_csv_open(&f->csv, f->path, &opts, rows_field, rows_row, f, &f->error);
    while (f->status == LAPSE_OK && f->in_header && !f->finished)
        feed(f);
    if (f->status == LAPSE_OK && f->in_header)
        rows_fail(f, LAPSE_ERR_FORMAT, 0, "the table is empty: no header line");
done:
    if (f->status != LAPSE_OK) {
        const int status = rows_report(f, err);
        f->finished = 0; /* nothing to warn about */
        lapse__foreign_rows_close(f);
        return status;
    }
    *out = f;
    return LAPSE_OK;
}

int lapse__foreign_rows_next(foreign_rows *f, lapse_table_batch *batch, lapse_error *err)
{
    if (f->status != LAPSE_OK)
        return rows_report(f, err);
    if (batch->n_features != f->width)
        return lapse_error_set(err, LAPSE_ERR_ARG, f->path, 0, 0, -1,
                               "batch holds %zu features per row, the table has %zu",
                               batch->n_features, f->width);
    if (f->svm) {
        const int got = lapse__libsvm_rows_next(f->svm, batch, &f->error);
        if (got < 0)
            f->status = got;
        f->finished = got == 0;
        return got < 0 ? rows_report(f, err) : got;
    }
    batch->n_rows = 0;
    f->batch = batch;
    while (f->status == LAPSE_OK && !f->finished && batch->n_rows < batch->capacity)
        feed(f);
    f->batch = NULL;
    if (f->status != LAPSE_OK) {
        batch->n_rows = 0;
        return rows_report(f, err);
    }
    return (int)batch->n_rows;
}

const lapse_table_meta *lapse__foreign_rows_meta(const foreign_rows *f)
{
    return &f->meta;
}

size_t lapse__foreign_rows_width(const foreign_rows *f)
{
    return f->width;
}

const char *const *lapse__foreign_rows_names(const foreign_rows *f)
{
    return (const char *const *)f->names;
}

void lapse__foreign_rows_close(foreign_rows *f)
{
    if (!f)
        return;
    /* Cells read differently from training change what a score means. */
    for (size_t c = 0; f->finished && f->status == LAPSE_OK && c < f->enc->n_columns; c++) {
        const lapse_foreign_column *col = &f->enc->columns[c];
        if (f->unseen[c])
            lapse_log(LAPSE_LOG_WARN,
                      "%s: %llu rows have a value in column \"%s\" that training never saw: "
                      "encoded as none of its %zu levels",
                      f->path, (unsigned long long)f->unseen[c], col->name, col->n_levels);
        if (f->late_empty[c])
            lapse_log(LAPSE_LOG_WARN,
                      "%s: %llu rows have column \"%s\" empty, which it never was in training: "
                      "%s",
                      f->path, (unsigned long long)f->late_empty[c], col->name,
                      col->kind == LAPSE_COLUMN_NUMBER ? "given the training median"
                                                       : "encoded as none of its levels");
    }
    lapse_input_csv_close(f->csv);
    lapse__libsvm_rows_close(f->svm);
    header_free(&f->h);
    free(f->role);
    free(f->offset);
    free(f->unseen);
    free(f->late_empty);
    free(f->names);
    free(f->path);
    free(f);
}
