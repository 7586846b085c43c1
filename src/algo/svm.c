/* C-SVC training through libsvm, the packed model, and grid search. */
#include "lapse/svm.h"

#include <svm.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lapse_svm_model_free(lapse_svm_model *model)
{
    if (!model)
        return;
    free(model->sv);
    free(model->coef);
    free(model->sv_row);
    lapse_svm_model blank = LAPSE_SVM_MODEL_INIT;
    *model = blank;
}

/* libsvm prints its solver progress to stdout; the library never prints. */
static void quiet(const char *text)
{
    (void)text;
}

/* splitmix64: small, seedable, and the same on every platform. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, bound), without modulo bias worth speaking of for the row
 * counts here (bound < 2^40). */
static size_t rng_below(uint64_t *state, size_t bound)
{
    return (size_t)((rng_next(state) >> 11) * 0x1.0p-53 * (double)bound);
}

static int check_labels(const int *y, size_t n, size_t count[2], lapse_error *err)
{
    count[0] = count[1] = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "label %d in row %zu: labels must be 0 or 1", y[i], i + 1);
        count[y[i]]++;
    }
    return 0;
}

int lapse_svm_subsample(size_t *idx, size_t *count, const int *y, size_t n, size_t max,
                        uint64_t seed, lapse_error *err)
{
    size_t have[2];
    int rc = check_labels(y, n, have, err);
    if (rc < 0)
        return rc;
    if (max == 0 || max >= n) {
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
        *count = n;
        return 0;
    }
    size_t want[2];
    want[1] = (size_t)llround((double)max * (double)have[1] / (double)n);
    if (want[1] == 0 && have[1] > 0)
        want[1] = 1;
    if (want[1] == max && have[0] > 0)
        want[1] = max - 1;
    want[0] = max - want[1];
    /* Selection sampling (Knuth's algorithm S) per class: uniform, and the
     * chosen rows come out in input order. */
    uint64_t state = seed;
    size_t left[2] = { have[0], have[1] }, k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = y[i];
        if (want[c] > 0 && rng_below(&state, left[c]) < want[c]) {
            idx[k++] = i;
            want[c]--;
        }
        left[c]--;
    }
    *count = k;
    return 0;
}

/* A libsvm problem over the chosen rows; nodes in one block. */
typedef struct {
    struct svm_problem prob;
    struct svm_node *nodes;
} problem;

static void problem_free(problem *p)
{
    free(p->prob.y);
    free(p->prob.x);
    free(p->nodes);
    memset(p, 0, sizeof *p);
}

/* Zero features are left out, as svm-train does with a sparse file. */
static int problem_build(problem *p, const double *x, const int *y, const size_t *rows,
                         size_t m, size_t d, lapse_error *err)
{
    memset(p, 0, sizeof *p);
    if (m > INT_MAX || d >= INT_MAX)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1,
                               "%zu rows of %zu features is more than libsvm takes", m, d);
    size_t nnz = 0;
    for (size_t k = 0; k < m; k++) {
        const double *row = x + rows[k] * d;
        for (size_t j = 0; j < d; j++) {
            if (!isfinite(row[j]))
                return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, (int64_t)rows[k] + 1,
                                       (int)j + 1, -1, "non-finite feature value %g", row[j]);
            nnz += row[j] != 0.0;
        }
    }
    p->prob.l = (int)m;
    p->prob.y = malloc((m ? m : 1) * sizeof *p->prob.y);
    p->prob.x = malloc((m ? m : 1) * sizeof *p->prob.x);
    p->nodes = malloc((nnz + m) * sizeof *p->nodes);
    if (!p->prob.y || !p->prob.x || (!p->nodes && nnz + m > 0)) {
        problem_free(p);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                               "out of memory for %zu training rows", m);
    }
    struct svm_node *node = p->nodes;
    for (size_t k = 0; k < m; k++) {
        const double *row = x + rows[k] * d;
        p->prob.y[k] = y[rows[k]];
        p->prob.x[k] = node;
        for (size_t j = 0; j < d; j++)
            if (row[j] != 0.0)
                *node++ = (struct svm_node){ (int)j + 1, row[j] };
        *node++ = (struct svm_node){ -1, 0.0 };
    }
    return 0;
}

static int check_options(const lapse_svm_options *o, size_t d, lapse_error *err)
{
    if (o->kernel != LAPSE_SVM_RBF && o->kernel != LAPSE_SVM_LINEAR)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "unknown SVM kernel %d",
                               (int)o->kernel);
    if (!(o->C > 0) || !isfinite(o->C))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "C must be positive, not %g",
                               o->C);
    if (!(o->gamma >= 0) || !isfinite(o->gamma))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "gamma must be positive (or 0 for 1/features), not %g", o->gamma);
    for (int c = 0; c < 2; c++)
        if (!(o->weight[c] >= 0) || !isfinite(o->weight[c]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "class weight %d must be positive (or 0 for balanced), not %g",
                                   c, o->weight[c]);
    if ((o->weight[0] > 0) != (o->weight[1] > 0))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "give both class weights, or neither for balanced ones");
    if (d == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "rows have no features");
    return 0;
}

/* Fills libsvm's parameters; weight_label/weight point into the caller's
 * arrays, so nothing here needs freeing. */
static void fill_param(struct svm_parameter *param, const lapse_svm_options *o, double C,
                       double gamma, int labels[2], double weight[2])
{
    memset(param, 0, sizeof *param);
    param->svm_type = C_SVC;
    param->kernel_type = o->kernel == LAPSE_SVM_LINEAR ? LINEAR : RBF;
    param->degree = 3;
    param->gamma = o->kernel == LAPSE_SVM_LINEAR ? 0.0 : gamma;
    param->cache_size = o->cache_mb;
    param->eps = o->eps;
    param->C = C;
    labels[0] = 0;
    labels[1] = 1;
    param->nr_weight = 2;
    param->weight_label = labels;
    param->weight = weight;
    param->nu = 0.5;
    param->p = 0.1;
    param->shrinking = o->shrinking;
    param->probability = 0;
}

static void class_weights(double out[2], const lapse_svm_options *o, const size_t count[2])
{
    if (o->weight[0] > 0) {
        out[0] = o->weight[0];
        out[1] = o->weight[1];
        return;
    }
    double n = (double)(count[0] + count[1]);
    out[0] = n / (2.0 * (double)count[0]);
    out[1] = n / (2.0 * (double)count[1]);
}

static int check_param(const struct svm_problem *prob, const struct svm_parameter *param,
                       lapse_error *err)
{
    const char *why = svm_check_parameter(prob, param);
    if (why)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "libsvm refuses the parameters: %s", why);
    return 0;
}

static int train_rows(lapse_svm_model *out, const double *x, const int *y, const size_t *rows,
                      size_t m, size_t d, const lapse_svm_options *o, double C, double gamma,
                      const size_t count[2], double weight_used[2], lapse_error *err)
{
    problem p;
    int rc = problem_build(&p, x, y, rows, m, d, err);
    if (rc < 0)
        return rc;
    struct svm_parameter param;
    int labels[2];
    class_weights(weight_used, o, count);
    fill_param(&param, o, C, gamma, labels, weight_used);
    rc = check_param(&p.prob, &param, err);
    if (rc < 0)
        goto done;
    svm_set_print_string_function(quiet);
    struct svm_model *model = svm_train(&p.prob, &param);
    if (!model) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "libsvm training failed");
        goto done;
    }
    rc = lapse_svm_pack(out, model, d, rows, err);
    /* Its support vectors point into p.nodes (free_sv = 0): free it first. */
    svm_free_and_destroy_model(&model);
done:
    problem_free(&p);
    return rc;
}

int lapse_svm_train(lapse_svm_model *out, lapse_svm_train_info *info, const double *x,
                    const int *y, size_t n, size_t d, const lapse_svm_options *opts,
                    lapse_error *err)
{
    lapse_svm_options defaults = LAPSE_SVM_OPTIONS_INIT;
    const lapse_svm_options *o = opts ? opts : &defaults;
    int rc = check_options(o, d, err);
    if (rc < 0)
        return rc;
    size_t m = o->max_train && o->max_train < n ? o->max_train : n;
    size_t *rows = malloc((m ? m : 1) * sizeof *rows);
    if (!rows)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    rc = lapse_svm_subsample(rows, &m, y, n, o->max_train, o->seed, err);
    if (rc < 0)
        goto done;
    size_t count[2] = { 0, 0 };
    for (size_t k = 0; k < m; k++)
        count[y[rows[k]]]++;
    if (count[0] == 0 || count[1] == 0) {
        rc = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                             "training needs both classes; the rows have %zu churned and %zu "
                             "retained", count[1], count[0]);
        goto done;
    }
    double gamma = o->gamma > 0 ? o->gamma : 1.0 / (double)d;
    double weight[2];
    rc = train_rows(out, x, y, rows, m, d, o, o->C, gamma, count, weight, err);
    if (rc < 0)
        goto done;
    if (info) {
        info->rows_used = m;
        info->rows_used_churn = count[1];
        info->C = o->C;
        info->gamma = o->kernel == LAPSE_SVM_LINEAR ? 0.0 : gamma;
        info->weight[0] = weight[0];
        info->weight[1] = weight[1];
        info->n_sv = out->n_sv;
    }
done:
    free(rows);
    return rc;
}

int lapse_svm_pack(lapse_svm_model *out, const struct svm_model *model, size_t d,
                   const size_t *rows, lapse_error *err)
{
    lapse_svm_model blank = LAPSE_SVM_MODEL_INIT;
    *out = blank;
    const struct svm_parameter *param = &model->param;
    if (param->svm_type != C_SVC || model->nr_class != 2 || !model->label || !model->nSV)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "not a two-class C-SVC model");
    if (param->kernel_type != RBF && param->kernel_type != LINEAR)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "kernel type %d is neither RBF nor linear", param->kernel_type);
    int l0 = model->label[0], l1 = model->label[1];
    if (!((l0 == 0 && l1 == 1) || (l0 == 1 && l1 == 0)))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "model labels are %d and %d, not 0 and 1", l0, l1);
    size_t l = (size_t)model->l;
    if (model->nSV[0] < 0 || model->nSV[1] < 0 || (size_t)model->nSV[0] + model->nSV[1] != l)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "support vector counts do not add up");
    /* libsvm groups support vectors by class in label order; churn first. */
    double sign = l0 == 1 ? 1.0 : -1.0;
    size_t n_churn = (size_t)model->nSV[l0 == 1 ? 0 : 1];
    size_t churn_start = l0 == 1 ? 0 : (size_t)model->nSV[0];
    out->kernel = param->kernel_type == RBF ? LAPSE_SVM_RBF : LAPSE_SVM_LINEAR;
    out->d = d;
    out->n_sv = l;
    out->n_sv_churn = n_churn;
    out->gamma = param->kernel_type == RBF ? param->gamma : 0.0;
    out->rho = sign * model->rho[0];
    out->sv = calloc(l * d > 0 ? l * d : 1, sizeof *out->sv);
    out->coef = malloc((l ? l : 1) * sizeof *out->coef);
    if (model->sv_indices)
        out->sv_row = malloc((l ? l : 1) * sizeof *out->sv_row);
    if (!out->sv || !out->coef || (model->sv_indices && !out->sv_row)) {
        lapse_svm_model_free(out);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t k = 0; k < l; k++) {
        /* Position k of the packed order: churn block, then the rest. */
        size_t src = churn_start == 0 ? k : (k < n_churn ? churn_start + k : k - n_churn);
        out->coef[k] = sign * model->sv_coef[0][src];
        for (const struct svm_node *node = model->SV[src]; node->index != -1; node++) {
            if (node->index < 1 || (size_t)node->index > d) {
                lapse_svm_model_free(out);
                return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                       "support vector has feature %d; the rows have %zu",
                                       node->index, d);
            }
            out->sv[k * d + (size_t)node->index - 1] = node->value;
        }
        if (out->sv_row) {
            size_t r = (size_t)model->sv_indices[src] - 1;
            out->sv_row[k] = rows ? rows[r] : r;
        }
    }
    return 0;
}

int lapse_svm_unpack(struct svm_model **out, const lapse_svm_model *m, lapse_error *err)
{
    *out = NULL;
    if (m->kernel != LAPSE_SVM_RBF && m->kernel != LAPSE_SVM_LINEAR)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "unknown SVM kernel %d",
                               (int)m->kernel);
    if (m->n_sv_churn > m->n_sv || m->n_sv > INT_MAX || m->d >= INT_MAX || m->d == 0 ||
        (m->n_sv > 0 && (!m->sv || !m->coef)) ||
        (m->kernel == LAPSE_SVM_RBF && !(m->gamma > 0)))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "inconsistent SVM model (%zu support vectors, %zu features)",
                               m->n_sv, m->d);
    size_t l = m->n_sv, d = m->d, nnz = 0;
    for (size_t i = 0; i < l * d; i++)
        nnz += m->sv[i] != 0.0;
    /* Allocated as svm_load_model() does, so libsvm's free works too. */
    struct svm_model *model = calloc(1, sizeof *model);
    if (!model)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    model->param.svm_type = C_SVC;
    model->param.kernel_type = m->kernel == LAPSE_SVM_RBF ? RBF : LINEAR;
    model->param.gamma = m->kernel == LAPSE_SVM_RBF ? m->gamma : 0.0;
    model->nr_class = 2;
    model->l = (int)l;
    model->free_sv = 1;
    model->rho = malloc(sizeof *model->rho);
    model->label = malloc(2 * sizeof *model->label);
    model->nSV = malloc(2 * sizeof *model->nSV);
    model->sv_coef = malloc(sizeof *model->sv_coef);
    model->SV = malloc((l ? l : 1) * sizeof *model->SV);
    if (model->sv_coef)
        model->sv_coef[0] = malloc((l ? l : 1) * sizeof **model->sv_coef);
    struct svm_node *nodes = l ? malloc((nnz + l) * sizeof *nodes) : NULL;
    if (!model->rho || !model->label || !model->nSV || !model->sv_coef || !model->sv_coef[0] ||
        !model->SV || (l && !nodes)) {
        if (model->sv_coef && !model->sv_coef[0]) {
            free(model->sv_coef);
            model->sv_coef = NULL;
        }
        free(nodes);
        model->free_sv = 0;
        svm_free_and_destroy_model(&model);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    model->rho[0] = m->rho;
    model->label[0] = 1; /* churn first: libsvm's value is then f(x) itself */
    model->label[1] = 0;
    model->nSV[0] = (int)m->n_sv_churn;
    model->nSV[1] = (int)(l - m->n_sv_churn);
    struct svm_node *node = nodes;
    for (size_t k = 0; k < l; k++) {
        model->sv_coef[0][k] = m->coef[k];
        model->SV[k] = node;
        for (size_t j = 0; j < d; j++)
            if (m->sv[k * d + j] != 0.0)
                *node++ = (struct svm_node){ (int)j + 1, m->sv[k * d + j] };
        *node++ = (struct svm_node){ -1, 0.0 };
    }
    *out = model;
    return 0;
}

void lapse_svm_unpacked_free(struct svm_model *model)
{
    svm_free_and_destroy_model(&model);
}

/* Area under the ROC curve of scores against 0/1 labels (Mann-Whitney,
 * ties counted half). */
typedef struct {
    double score;
    int label;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x > y) - (x < y);
}

static double auc_of(scored *s, size_t n)
{
    qsort(s, n, sizeof *s, by_score);
    double rank_sum = 0, pos = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && s[j].score == s[i].score)
            j++;
        double mid = 0.5 * (double)(i + 1 + j); /* mean 1-based rank of the tie run */
        for (size_t k = i; k < j; k++)
            if (s[k].label) {
                rank_sum += mid;
                pos++;
            }
        i = j;
    }
    double neg = (double)n - pos;
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

/* The grid with its defaults filled in. */
typedef struct {
    const double *C, *gamma_scale;
    size_t n_C, n_gamma; /* n_gamma is 1 for the linear kernel */
    size_t folds, max_rows;
} grid_spec;

/* Fills in the defaults and checks every value before any work. */
static int grid_resolve(grid_spec *out, const lapse_svm_options *o, size_t d,
                        const lapse_svm_grid_options *grid, lapse_error *err)
{
    static const double default_C[] = { 0.25, 1, 4, 16 };
    static const double default_gamma[] = { 0.25, 1, 4 };
    lapse_svm_grid_options grid_defaults = LAPSE_SVM_GRID_OPTIONS_INIT;
    const lapse_svm_grid_options *g = grid ? grid : &grid_defaults;
    out->C = g->C ? g->C : default_C;
    out->n_C = g->C ? g->n_C : sizeof default_C / sizeof *default_C;
    out->gamma_scale = g->gamma_scale ? g->gamma_scale : default_gamma;
    out->n_gamma = g->gamma_scale ? g->n_gamma : sizeof default_gamma / sizeof *default_gamma;
    if (o->kernel == LAPSE_SVM_LINEAR)
        out->n_gamma = 1;
    out->folds = (size_t)g->folds; /* checked below, before use */
    out->max_rows = g->max_rows;
    int rc = check_options(o, d, err);
    if (rc < 0)
        return rc;
    if (out->n_C == 0 || out->n_gamma == 0 || g->folds < 2)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the grid needs a C, a gamma and at least 2 folds");
    for (size_t i = 0; i < out->n_C; i++)
        if (!(out->C[i] > 0) || !isfinite(out->C[i]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "grid C must be positive, not %g", out->C[i]);
    for (size_t i = 0; i < out->n_gamma; i++)
        if (!(out->gamma_scale[i] > 0) || !isfinite(out->gamma_scale[i]))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "grid gamma must be positive, not %g", out->gamma_scale[i]);
    return 0;
}

/* Cross-validation over the m chosen rows: the libsvm problem over them,
 * each row's fold, and room for one fold's held-out scores. */
typedef struct {
    const lapse_svm_options *o;
    problem p;
    size_t m, k_folds;
    size_t *fold;
    scored *held;
} cross_val;

/* Stratified folds: each class is shuffled, then dealt round-robin. Every
 * fold must get rows of both classes. */
static int deal_folds(cross_val *cv, const size_t *rows, const int *y, uint64_t seed,
                      lapse_error *err)
{
    size_t *order = malloc((cv->m ? cv->m : 1) * sizeof *order);
    if (!order)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    uint64_t state = seed ^ 0x5851f42d4c957f2dull;
    size_t count[2] = { 0, 0 };
    for (int c = 0; c < 2; c++) {
        size_t k = 0;
        for (size_t i = 0; i < cv->m; i++)
            if (y[rows[i]] == c)
                order[k++] = i;
        for (size_t i = k; i > 1; i--) {
            size_t j = rng_below(&state, i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < k; i++)
            cv->fold[order[i]] = i % cv->k_folds;
        count[c] = k;
    }
    free(order);
    if (count[0] < cv->k_folds || count[1] < cv->k_folds)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "%zu folds need at least %zu rows of each class; there are %zu "
                               "churned and %zu retained",
                               cv->k_folds, cv->k_folds, count[1], count[0]);
    return 0;
}

/* The AUC on fold f of a model trained on the other folds; NaN on error. */
static int fold_auc(double *auc, const cross_val *cv, size_t f, double C, double gamma,
                    lapse_error *err)
{
    *auc = NAN;
    /* Rows of the other folds, as pointers into the full problem. */
    struct svm_problem sub = { 0, cv->p.prob.y, NULL };
    struct svm_node **xs = malloc(cv->m * sizeof *xs);
    double *ys = malloc(cv->m * sizeof *ys);
    struct svm_model *model = NULL;
    int rc = 0;
    if (!xs || !ys) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    size_t fc[2] = { 0, 0 };
    for (size_t i = 0; i < cv->m; i++)
        if (cv->fold[i] != f) {
            xs[sub.l] = cv->p.prob.x[i];
            ys[sub.l++] = cv->p.prob.y[i];
            fc[(int)cv->p.prob.y[i]]++;
        }
    sub.x = xs;
    sub.y = ys;
    struct svm_parameter param;
    int labels[2];
    double weight[2];
    class_weights(weight, cv->o, fc);
    fill_param(&param, cv->o, C, gamma, labels, weight);
    rc = check_param(&sub, &param, err);
    if (rc < 0)
        goto done;
    model = svm_train(&sub, &param);
    if (!model) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "libsvm training failed");
        goto done;
    }
    double sign = model->label[0] == 1 ? 1.0 : -1.0;
    size_t h = 0;
    for (size_t i = 0; i < cv->m; i++)
        if (cv->fold[i] == f) {
            double dec;
            svm_predict_values(model, cv->p.prob.x[i], &dec);
            cv->held[h++] = (scored){ sign * dec, (int)cv->p.prob.y[i] };
        }
    *auc = auc_of(cv->held, h);
done:
    svm_free_and_destroy_model(&model);
    free(xs);
    free(ys);
    return rc;
}

/* The mean held-out AUC over the folds for one (C, gamma). */
static int mean_auc(double *out, const cross_val *cv, double C, double gamma, lapse_error *err)
{
    double auc_sum = 0;
    for (size_t f = 0; f < cv->k_folds; f++) {
        double auc;
        const int rc = fold_auc(&auc, cv, f, C, gamma, err);
        if (rc < 0)
            return rc;
        auc_sum += auc;
    }
    *out = auc_sum / (double)cv->k_folds;
    return 0;
}

int lapse_svm_grid_search(lapse_svm_grid_result *out, const double *x, const int *y, size_t n,
                          size_t d, const lapse_svm_options *opts,
                          const lapse_svm_grid_options *grid, lapse_error *err)
{
    lapse_svm_options defaults = LAPSE_SVM_OPTIONS_INIT;
    const lapse_svm_options *o = opts ? opts : &defaults;
    grid_spec g;
    int rc = grid_resolve(&g, o, d, grid, err);
    if (rc < 0)
        return rc;
    cross_val cv = { .o = o, .k_folds = g.folds };
    cv.m = g.max_rows && g.max_rows < n ? g.max_rows : n;
    size_t *rows = malloc((cv.m ? cv.m : 1) * sizeof *rows);
    cv.fold = malloc((cv.m ? cv.m : 1) * sizeof *cv.fold);
    cv.held = malloc((cv.m ? cv.m : 1) * sizeof *cv.held);
    if (!rows || !cv.fold || !cv.held) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    rc = lapse_svm_subsample(rows, &cv.m, y, n, g.max_rows, o->seed, err);
    if (rc < 0)
        goto done;
    rc = deal_folds(&cv, rows, y, o->seed, err);
    if (rc < 0)
        goto done;
    rc = problem_build(&cv.p, x, y, rows, cv.m, d, err);
    if (rc < 0)
        goto done;

    svm_set_print_string_function(quiet);
    out->auc = -1;
    out->rows_used = cv.m;
    for (size_t ci = 0; ci < g.n_C; ci++) {
        for (size_t gi = 0; gi < g.n_gamma; gi++) {
            double gamma = g.gamma_scale[gi] / (double)d;
            double auc;
            rc = mean_auc(&auc, &cv, g.C[ci], gamma, err);
            if (rc < 0)
                goto done;
            if (auc > out->auc) {
                out->auc = auc;
                out->C = g.C[ci];
                out->gamma = o->kernel == LAPSE_SVM_LINEAR ? 0.0 : gamma;
            }
        }
    }
done:
    problem_free(&cv.p);
    free(rows);
    free(cv.fold);
    free(cv.held);
    return rc;
}
