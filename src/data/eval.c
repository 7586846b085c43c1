/* Reading scored files for lapse eval: the p_churn and label columns of any
 * CSV, through the input layer. */
#include "lapse/eval.h"

#include "fieldnum.h"
#include "input.h"
#include "strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    /* A hazard model's columns (lapse/eval.h): p_<h> and days_to_churn. */
    size_t n_horizons;   /* this file's p_<h> columns */
    int horizons[LAPSE_EVAL_HORIZONS_MAX];
    long horizon_col[LAPSE_EVAL_HORIZONS_MAX];
    double horizon_p[LAPSE_EVAL_HORIZONS_MAX];
    size_t first_n_horizons; /* the first file's, which every file must repeat */
    int first_horizons[LAPSE_EVAL_HORIZONS_MAX];
    long days_col;
    int days_in_all;
    size_t files;        /* files read before this one */
    int days_missing;    /* a churned row without its day (labels from a file) */
    int day;             /* 0: empty */
    double *phs;         /* [cap * first_n_horizons] */
    int *days;           /* [cap] */
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

/* "p_<days>" (days 1 to LAPSE_EVAL_HORIZON_MAX_DAYS, no leading zero): the
 * days, else 0. */
static int horizon_of(const char *text, size_t len)
{
    if (len < 3 || len > 6 || text[0] != 'p' || text[1] != '_' || text[2] == '0')
        return 0;
    int days = 0;
    for (size_t i = 2; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        days = 10 * days + (text[i] - '0');
    }
    return days <= LAPSE_EVAL_HORIZON_MAX_DAYS ? days : 0;
}

static int horizon_header(const lapse_input_csv *csv, scored *s, const char *text, int days)
{
    if (s->n_horizons == LAPSE_EVAL_HORIZONS_MAX)
        return fail(csv, s, "more than 16 horizon columns (at \"%s\")", text);
    if (s->n_horizons && days <= s->horizons[s->n_horizons - 1])
        return fail(csv, s, "horizon column \"%s\" does not follow a shorter one: p_<days> "
                            "columns must come in increasing order",
                    text);
    s->horizons[s->n_horizons] = days;
    s->horizon_col[s->n_horizons++] = lapse_input_csv_fields(csv);
    return LAPSE_OK;
}

static int header_field(const lapse_input_csv *csv, scored *s, const char *text, size_t len)
{
    const int col = lapse_input_csv_fields(csv);
    if (col == 0 && len > 0 && text[0] == '#')
        s->comment = 1;
    if (s->comment)
        return LAPSE_OK;
    const int days = horizon_of(text, len);
    if (days)
        return horizon_header(csv, s, text, days);
    if (!strcmp(text, "days_to_churn")) {
        if (s->days_col >= 0)
            return fail(csv, s, "column \"%s\" appears twice in the header", text);
        s->days_col = col;
        return LAPSE_OK;
    }
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

/* A p_churn or p_<h> field: a probability in [0, 1]. */
static int probability(double *out, const lapse_input_csv *csv, scored *s, const char *text,
                       size_t len)
{
    const char *name = "p_churn";
    char horizon[16];
    for (size_t h = 0; h < s->n_horizons; h++)
        if (out == &s->horizon_p[h]) {
            snprintf(horizon, sizeof horizon, "p_%d", s->horizons[h]);
            name = horizon;
        }
    double v;
    if (lapse_field_number(text, len, &v) || v < 0 || v > 1)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), lapse_input_csv_fields(csv) + 1, -1,
                               "bad %s \"%.64s\": want a probability in [0, 1]", name, text);
    *out = v;
    return LAPSE_OK;
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *ctx)
{
    scored *s = ctx;
    if (s->in_header)
        return header_field(csv, s, text, len);
    const long col = lapse_input_csv_fields(csv);
    for (size_t h = 0; h < s->n_horizons; h++)
        if (col == s->horizon_col[h])
            return probability(&s->horizon_p[h], csv, s, text, len);
    if (col == s->p_col) {
        return probability(&s->p, csv, s, text, len);
    } else if (col == s->days_col) {
        char *end;
        const long day = len ? strtol(text, &end, 10) : 0;
        if (len && (*end || day < 1 || day > LAPSE_EVAL_HORIZON_MAX_DAYS || text[0] < '0' ||
                    text[0] > '9'))
            return fail(csv, s, "bad days_to_churn \"%s\": want a day from 1 or empty",
                        len < 32 ? text : "(too long)");
        s->day = (int)day;
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
        if (s->files == 0) {
            s->first_n_horizons = s->n_horizons;
            memcpy(s->first_horizons, s->horizons, sizeof s->horizons);
        }
        if (s->n_horizons != s->first_n_horizons ||
            memcmp(s->horizons, s->first_horizons, s->n_horizons * sizeof *s->horizons) != 0)
            return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, line, 0, -1,
                                   "the header's p_<days> columns differ from the first "
                                   "file's: every file must hold the same horizons");
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
        int *days = grown ? realloc(s->days, cap * sizeof *days) : NULL;
        if (days)
            s->days = days;
        grown = days != NULL;
        double *phs = grown && s->first_n_horizons
                          ? realloc(s->phs, cap * s->first_n_horizons * sizeof *phs)
                          : NULL;
        if (phs)
            s->phs = phs;
        grown = grown && (phs || !s->first_n_horizons);
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
    for (size_t h = 0; h < s->n_horizons; h++)
        s->phs[s->n * s->n_horizons + h] = s->horizon_p[h];
    s->days[s->n] = s->day;
    s->days_missing |= s->label == 1 && s->day == 0;
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
    s->p_col = s->label_col = s->days_col = -1;
    s->n_horizons = 0;
    s->day = 0;
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        s->group_col[g] = -1;
        s->group_id[g] = 0;
    }
    const int status = lapse_input_csv_read(path, &opts, on_field, on_row, s, s->err);
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++)
        s->group_in_all[g] &= s->group_col[g] >= 0;
    s->days_in_all &= s->days_col >= 0;
    if (status == LAPSE_OK && s->in_header)
        return lapse_error_set(s->err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                               "no header: the file is empty");
    return status;
}

static void free_scored(scored *s)
{
    free(s->ps);
    free(s->ys);
    free(s->phs);
    free(s->days);
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
    s.days_in_all = 1;
    int status = LAPSE_OK;
    for (int g = 0; g < LAPSE_EVAL_GROUPS; g++) {
        s.group_in_all[g] = 1;
        s.names[g] = lapse_strmap_create();
        if (!s.names[g])
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t i = 0; i < n_paths && status == LAPSE_OK; i++, s.files++)
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
    out->n_horizons = s.first_n_horizons;
    memcpy(out->horizons, s.first_horizons, sizeof out->horizons);
    out->p_horizon = s.phs;
    if (s.days_in_all && !s.days_missing && s.first_n_horizons) {
        out->days_to_churn = s.days;
        s.days = NULL;
    }
    s.ps = NULL;
    s.ys = NULL;
    s.phs = NULL;
    free_scored(&s);
    return LAPSE_OK;
}

void lapse_eval_rows_free(lapse_eval_rows *rows)
{
    free(rows->p);
    free(rows->y);
    free(rows->p_horizon);
    free(rows->days_to_churn);
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

typedef struct {
    double score;
    size_t row;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* A Fenwick tree over ranks 1..n: counts of rows added. */
static void fenwick_add(uint64_t *tree, size_t n, size_t rank)
{
    for (; rank <= n; rank += rank & -rank)
        tree[rank]++;
}

static uint64_t fenwick_sum(const uint64_t *tree, size_t rank)
{
    uint64_t sum = 0;
    for (; rank > 0; rank -= rank & -rank)
        sum += tree[rank];
    return sum;
}

int lapse_eval_concordance(double *c, uint64_t *pairs, const lapse_eval_rows *rows,
                           lapse_error *err)
{
    *c = NAN;
    *pairs = 0;
    const size_t n = rows->n, k = rows->n_horizons;
    if (!k || !rows->days_to_churn)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "concordance needs p_<days> columns and days_to_churn");
    const int last = rows->horizons[k - 1];
    const size_t rows_n = n ? n : 1;
    ranked *order = malloc(rows_n * sizeof *order);
    size_t *rank = malloc(rows_n * sizeof *rank);
    uint64_t *tree = malloc((n + 1) * sizeof *tree);
    /* Rows by event time: start[t] .. start[t + 1] hold T = t, t in 1..last + 1. */
    size_t *start = calloc((size_t)last + 3, sizeof *start);
    size_t *fill = calloc((size_t)last + 2, sizeof *fill);
    size_t *by_time = malloc(rows_n * sizeof *by_time);
    int *time = malloc(rows_n * sizeof *time);
    double concordant = 0;
    uint64_t comparable = 0;
    int status = LAPSE_OK;
    if (!order || !rank || !tree || !start || !fill || !by_time || !time) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const int d = rows->days_to_churn[i];
        time[i] = rows->y[i] == 1 && d >= 1 && d <= last ? d : last + 1;
        start[time[i] + 1]++;
    }
    for (int t = 1; t <= last + 1; t++)
        start[t + 1] += start[t];
    for (size_t i = 0; i < n; i++)
        by_time[start[time[i]] + fill[time[i]]++] = i;
    for (size_t h = 0; h < k; h++) {
        const int lo = h ? rows->horizons[h - 1] : 0, hi = rows->horizons[h];
        for (size_t i = 0; i < n; i++)
            order[i] = (ranked){ rows->p_horizon[i * k + h], i };
        qsort(order, n, sizeof *order, by_score);
        size_t r = 0;
        for (size_t q = 0; q < n; q++) {
            if (q == 0 || order[q].score != order[q - 1].score)
                r++;
            rank[order[q].row] = r;
        }
        memset(tree, 0, (n + 1) * sizeof *tree);
        uint64_t added = 0;
        for (size_t q = start[hi + 1]; q < start[last + 2]; q++, added++)
            fenwick_add(tree, n, rank[by_time[q]]);
        for (int t = hi; t > lo; t--) {
            for (size_t q = start[t]; q < start[t + 1]; q++) {
                const size_t ri = rank[by_time[q]];
                const uint64_t below = fenwick_sum(tree, ri - 1);
                const uint64_t tied = fenwick_sum(tree, ri) - below;
                concordant += (double)below + 0.5 * (double)tied;
                comparable += added;
            }
            for (size_t q = start[t]; q < start[t + 1]; q++, added++)
                fenwick_add(tree, n, rank[by_time[q]]);
        }
    }
    *pairs = comparable;
    *c = comparable ? concordant / (double)comparable : NAN;
done:
    free(fill);
    free(order);
    free(rank);
    free(tree);
    free(start);
    free(by_time);
    free(time);
    return status;
}
