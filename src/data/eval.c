/* Reading scored files for lapse eval: the p_churn and label columns of any
 * CSV, through the input layer. */
#include "lapse/eval.h"

#include "input.h"
#include "strmap.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX 64

typedef struct {
    int in_header;       /* no header read yet */
    int comment;         /* the current pre-header record starts with '#' */
    long p_col, label_col;
    long group_col[LAPSE_EVAL_GROUPS]; /* risk_tier, segment; -1 when absent */
    int group_in_all[LAPSE_EVAL_GROUPS]; /* every file so far has the column */
    size_t n_columns;
    double p;
    int label;           /* -1 empty */
    uint32_t group_id[LAPSE_EVAL_GROUPS];
    double *ps;
    int *ys;
    uint32_t *groups[LAPSE_EVAL_GROUPS];
    lapse_strmap *names[LAPSE_EVAL_GROUPS];
    size_t n, cap;
    lapse_error *err;
} scored;

static const char *const group_columns[LAPSE_EVAL_GROUPS] = { "risk_tier", "segment" };

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
    for (int g = 0; g < LAPSE_EVAL_GROUPS && !slot; g++)
        if (!strcmp(text, group_columns[g]))
            slot = &s->group_col[g];
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
    } else {
        for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
            if (col == s->group_col[g]) {
                int added;
                const int64_t id = lapse_strmap_intern(s->names[g], text, len, &added);
                if (id < 0)
                    return lapse_error_set(s->err, LAPSE_ERR_NOMEM, lapse_input_csv_path(csv),
                                           lapse_input_csv_line(csv), 0, -1,
                                           "out of memory reading scored rows");
                s->group_id[g] = (uint32_t)id;
            }
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
        if (ys)
            s->ys = ys;
        int grown = ys != NULL;
        for (int g = 0; g < LAPSE_EVAL_GROUPS && grown; g++) {
            uint32_t *ids = realloc(s->groups[g], cap * sizeof *ids);
            if (ids)
                s->groups[g] = ids;
            grown = ids != NULL;
        }
        if (!grown)
            return lapse_error_set(s->err, LAPSE_ERR_NOMEM, path, line, 0, -1,
                                   "out of memory reading scored rows");
        s->cap = cap;
    }
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
        s->groups[g][s->n] = s->group_id[g];
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
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        s->group_col[g] = -1;
        s->group_id[g] = 0;
    }
    const int status = lapse_input_csv_read(path, &opts, on_field, on_row, s, s->err);
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
        s->group_in_all[g] &= s->group_col[g] >= 0;
    if (status == LAPSE_OK && s->in_header)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                               "no header: the file is empty");
    return status;
}

static void free_scored(scored *s)
{
    free(s->ps);
    free(s->ys);
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        free(s->groups[g]);
        lapse_strmap_free(s->names[g]);
    }
}

/* The names of a group column, in order of first appearance. */
static int take_names(lapse_eval_group *out, const lapse_strmap *map)
{
    out->n_names = lapse_strmap_size(map);
    out->names = calloc(out->n_names ? out->n_names : 1, sizeof *out->names);
    if (!out->names)
        return -1;
    for (size_t i = 0; i < out->n_names; i++) {
        size_t len;
        const char *key = lapse_strmap_key(map, (int64_t)i, &len);
        out->names[i] = strndup(key, len);
        if (!out->names[i])
            return -1;
    }
    return 0;
}

int lapse_eval_read(lapse_eval_rows *out, const char *const *paths, size_t n_paths,
                    lapse_error *err)
{
    memset(out, 0, sizeof *out);
    if (n_paths == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no file to read");
    scored s;
    memset(&s, 0, sizeof s);
    s.err = err;
    int status = LAPSE_OK;
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        s.group_in_all[g] = 1;
        s.names[g] = lapse_strmap_create();
        if (!s.names[g])
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t i = 0; i < n_paths && status == LAPSE_OK; i++)
        status = read_one(&s, paths[i]);
    for (int g = 0; g < LAPSE_EVAL_GROUPS && status == LAPSE_OK; g++) {
        if (!s.group_in_all[g])
            continue;
        out->group[g].id = s.groups[g];
        s.groups[g] = NULL; /* now owned by out */
        if (take_names(&out->group[g], s.names[g]) < 0)
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    if (status != LAPSE_OK) {
        free_scored(&s);
        lapse_eval_rows_free(out);
        return status;
    }
    out->p = s.ps; /* now owned by out */
    out->y = s.ys;
    out->n = s.n;
    s.ps = NULL;
    s.ys = NULL;
    free_scored(&s);
    return LAPSE_OK;
}

void lapse_eval_rows_free(lapse_eval_rows *rows)
{
    free(rows->p);
    free(rows->y);
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        lapse_eval_group *group = &rows->group[g];
        free(group->id);
        for (size_t i = 0; group->names && i < group->n_names; i++)
            free(group->names[i]);
        free(group->names);
    }
    memset(rows, 0, sizeof *rows);
}

int lapse_eval_read_scored(double **p, int **y, size_t *n, const char *const *paths,
                           size_t n_paths, lapse_error *err)
{
    lapse_eval_rows rows;
    const int status = lapse_eval_read(&rows, paths, n_paths, err);
    *p = rows.p; /* now owned by the caller */
    *y = rows.y;
    *n = rows.n;
    rows.p = NULL;
    rows.y = NULL;
    lapse_eval_rows_free(&rows);
    return status;
}

static const double *roc_scores;

/* Higher score first; ties by row, so the order is stable. */
static int by_score_desc(const void *a, const void *b)
{
    const size_t i = *(const size_t *)a, j = *(const size_t *)b;
    if (roc_scores[i] != roc_scores[j])
        return roc_scores[i] > roc_scores[j] ? -1 : 1;
    return i < j ? -1 : i > j;
}

int lapse_eval_roc(lapse_eval_roc_point **out, size_t *n_out, size_t max_points,
                   const double *p, const int *y, size_t n, lapse_error *err)
{
    *out = NULL;
    *n_out = 0;
    if (max_points < 2)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "an ROC curve needs room for at least 2 points");
    size_t positives = 0;
    for (size_t i = 0; i < n; i++)
        positives += y[i] != 0;
    if (positives == 0 || positives == n)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "an ROC curve needs churners and non-churners");
    size_t *order = malloc(n * sizeof *order);
    lapse_eval_roc_point *all = malloc((n + 1) * sizeof *all);
    if (!order || !all) {
        free(order);
        free(all);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    roc_scores = p;
    qsort(order, n, sizeof *order, by_score_desc);
    size_t n_all = 0, tp = 0, fp = 0;
    all[n_all++] = (lapse_eval_roc_point){ INFINITY, 0, 0 };
    for (size_t k = 0; k < n; k++) {
        const size_t i = order[k];
        tp += y[i] != 0;
        fp += y[i] == 0;
        if (k + 1 < n && p[order[k + 1]] == p[i])
            continue; /* tied rows enter together */
        all[n_all++] = (lapse_eval_roc_point){ p[i], (double)fp / (double)(n - positives),
                                               (double)tp / (double)positives };
    }
    free(order);
    if (n_all > max_points) { /* keep index round(j (n_all - 1) / (max_points - 1)) */
        for (size_t j = 0; j < max_points; j++)
            all[j] = all[(size_t)((double)j * (double)(n_all - 1) / (double)(max_points - 1) + 0.5)];
        n_all = max_points;
    }
    *out = all;
    *n_out = n_all;
    return LAPSE_OK;
}
