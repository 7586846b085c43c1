/* Reading scored files for lapse eval: the labelled rows of scored files,
 * read by lapse_scored_read, gathered into arrays. */
#include "lapse/eval.h"

#include "strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const lapse_scored_info *info; /* the file being read */
    int checked;                   /* its header checked against the first file's */
    size_t files;                  /* files read before this one */
    size_t n_horizons;             /* the first file's, which every file must repeat */
    int horizons[LAPSE_EVAL_HORIZONS_MAX];
    int days_missing;    /* a churned row without its day (labels from a file) */
    int days_in_all;     /* every file has days_to_churn */
    int group_in_all[LAPSE_EVAL_GROUPS]; /* every file has the column */
    double *ps;
    int *ys;
    double *phs;         /* [cap * n_horizons] */
    int *days;           /* [cap] */
    uint32_t *groups[LAPSE_EVAL_GROUPS];
    lapse_strmap *names[LAPSE_EVAL_GROUPS];
    size_t n, cap;
} gathered;

static const unsigned group_columns[LAPSE_EVAL_GROUPS] = { LAPSE_SCORED_RISK_TIER,
                                                           LAPSE_SCORED_SEGMENT };

/* The header's horizons against the first file's. */
static int check_header(gathered *g, const char *path, lapse_error *err)
{
    const lapse_scored_info *info = g->info;
    g->checked = 1;
    if (g->files == 0) {
        g->n_horizons = info->n_horizons;
        memcpy(g->horizons, info->horizons, sizeof g->horizons);
    }
    if (info->n_horizons != g->n_horizons ||
        memcmp(info->horizons, g->horizons, g->n_horizons * sizeof *g->horizons) != 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, info->header_line, 0, -1,
                               "the header's p_<days> columns differ from the first "
                               "file's: every file must hold the same horizons");
    return LAPSE_OK;
}

static int grow(gathered *g)
{
    const size_t cap = g->cap ? 2 * g->cap : 4096;
    double *ps = realloc(g->ps, cap * sizeof *ps);
    if (ps)
        g->ps = ps;
    int *ys = ps ? realloc(g->ys, cap * sizeof *ys) : NULL;
    if (ys)
        g->ys = ys;
    int *days = ys ? realloc(g->days, cap * sizeof *days) : NULL;
    if (days)
        g->days = days;
    int grown = days != NULL;
    double *phs = grown && g->n_horizons ? realloc(g->phs, cap * g->n_horizons * sizeof *phs)
                                         : NULL;
    if (phs)
        g->phs = phs;
    grown = grown && (phs || !g->n_horizons);
    for (int k = 0; k < LAPSE_EVAL_GROUPS && grown; k++) {
        uint32_t *ids = realloc(g->groups[k], cap * sizeof *ids);
        if (ids)
            g->groups[k] = ids;
        grown = ids != NULL;
    }
    if (grown)
        g->cap = cap;
    return grown ? 0 : -1;
}

static int on_row(const lapse_scored_row *row, void *user, lapse_error *err)
{
    gathered *g = user;
    if (!g->checked) {
        const int status = check_header(g, row->path, err);
        if (status != LAPSE_OK)
            return status;
    }
    if (row->label < 0)
        return LAPSE_OK;
    if (g->n == g->cap && grow(g) < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, row->path, row->line, 0, -1,
                               "out of memory reading scored rows");
    const char *group_text[LAPSE_EVAL_GROUPS] = { row->risk_tier, row->segment };
    for (int k = 0; k < LAPSE_EVAL_GROUPS; k++) {
        int added;
        const int64_t id =
            lapse_strmap_intern(g->names[k], group_text[k], strlen(group_text[k]), &added);
        if (id < 0)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, row->path, row->line, 0, -1,
                                   "out of memory reading scored rows");
        g->groups[k][g->n] = (uint32_t)id;
    }
    if (g->n_horizons)
        memcpy(&g->phs[g->n * g->n_horizons], row->p_horizon, g->n_horizons * sizeof *g->phs);
    g->days[g->n] = row->days_to_churn;
    g->days_missing |= row->label == 1 && row->days_to_churn == 0;
    g->ps[g->n] = row->p_churn;
    g->ys[g->n++] = row->label;
    return LAPSE_OK;
}

/* One file: header (after any '#' lines), then rows. */
static int read_one(gathered *g, const char *path, lapse_error *err)
{
    lapse_scored_info info;
    g->info = &info;
    g->checked = 0;
    int status = lapse_scored_read(&info, path, LAPSE_SCORED_LABEL, on_row, g, err);
    if (status == LAPSE_OK && !g->checked)
        status = check_header(g, path, err);
    for (int k = 0; k < LAPSE_EVAL_GROUPS; k++)
        g->group_in_all[k] &= (info.columns & group_columns[k]) != 0;
    g->days_in_all &= (info.columns & LAPSE_SCORED_DAYS_TO_CHURN) != 0;
    return status;
}

static void free_gathered(gathered *g)
{
    free(g->ps);
    free(g->ys);
    free(g->phs);
    free(g->days);
    for (int k = 0; k < LAPSE_EVAL_GROUPS; k++) {
        free(g->groups[k]);
        lapse_strmap_free(g->names[k]);
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
    gathered g;
    memset(&g, 0, sizeof g);
    g.days_in_all = 1;
    int status = LAPSE_OK;
    for (int k = 0; k < LAPSE_EVAL_GROUPS; k++) {
        g.group_in_all[k] = 1;
        g.names[k] = lapse_strmap_create();
        if (!g.names[k])
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t i = 0; i < n_paths && status == LAPSE_OK; i++, g.files++)
        status = read_one(&g, paths[i], err);
    for (int k = 0; k < LAPSE_EVAL_GROUPS && status == LAPSE_OK; k++) {
        if (!g.group_in_all[k])
            continue;
        out->group[k].id = g.groups[k];
        g.groups[k] = NULL; /* now owned by out */
        if (take_names(&out->group[k], g.names[k]) < 0)
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    if (status != LAPSE_OK) {
        free_gathered(&g);
        lapse_eval_rows_free(out);
        return status;
    }
    out->p = g.ps; /* now owned by out */
    out->y = g.ys;
    out->n = g.n;
    out->n_horizons = g.n_horizons;
    memcpy(out->horizons, g.horizons, sizeof out->horizons);
    out->p_horizon = g.phs;
    if (g.days_in_all && !g.days_missing && g.n_horizons) {
        out->days_to_churn = g.days;
        g.days = NULL;
    }
    g.ps = NULL;
    g.ys = NULL;
    g.phs = NULL;
    free_gathered(&g);
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
