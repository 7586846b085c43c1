/* XGBoost's JSON model as lapse's flat trees (lapse/trees.h), read with
 * yajl: no XGBoost needed, so a model file of format 3 (XGBoost's bytes
 * only) scores without it. Only what lapse trains is taken: gbtree with
 * binary:logistic, numerical splits, one output. */
#include "lapse/gbdt.h"
#include "lapse/trees.h"

#include <yajl/yajl_tree.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BAD(...) lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1, __VA_ARGS__)

static yajl_val member(yajl_val v, const char *const *path)
{
    return yajl_tree_get(v, (const char **)path, yajl_t_any);
}

static const char *text(yajl_val v, const char *const *path)
{
    return YAJL_GET_STRING(member(v, path));
}

/* A tree's array named key with n elements (n 0: take its length). */
static yajl_val tree_array(yajl_val tree, const char *key, size_t *n)
{
    const char *path[] = { key, NULL };
    yajl_val a = member(tree, path);
    if (!YAJL_IS_ARRAY(a) || (*n && a->u.array.len != *n))
        return NULL;
    *n = a->u.array.len;
    return a;
}

static int get_int(yajl_val v, long long *out)
{
    if (YAJL_IS_INTEGER(v))
        *out = YAJL_GET_INTEGER(v);
    else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) /* default_left as booleans */
        *out = YAJL_IS_TRUE(v);
    else
        return 0;
    return 1;
}

/* XGBoost's float as written (shortest round-trip text): strtof. */
static int get_float(yajl_val v, float *out)
{
    if (!YAJL_IS_NUMBER(v))
        return 0;
    char *end = NULL;
    *out = strtof(YAJL_GET_NUMBER(v), &end);
    return end && *end == '\0';
}

typedef struct {
    yajl_val left, right, split, cond, dflt, hess;
    size_t n;
} xgb_tree;

static int take_tree(xgb_tree *t, yajl_val tree)
{
    t->n = 0;
    return (t->left = tree_array(tree, "left_children", &t->n)) &&
           (t->right = tree_array(tree, "right_children", &t->n)) &&
           (t->split = tree_array(tree, "split_indices", &t->n)) &&
           (t->cond = tree_array(tree, "split_conditions", &t->n)) &&
           (t->dflt = tree_array(tree, "default_left", &t->n)) &&
           (t->hess = tree_array(tree, "sum_hessian", &t->n)) && t->n > 0;
}

/* One tree, breadth first from its root (nodes XGBoost deleted are not
 * reached), into out[0..*size). visited has t->n bytes. */
static int convert_tree(lapse_tree_node *out, uint32_t *size, const xgb_tree *t, size_t k,
                        size_t d, uint32_t *order, unsigned char *visited, lapse_error *err)
{
    memset(visited, 0, t->n);
    uint32_t filled = 1;
    order[0] = 0;
    visited[0] = 1;
    for (uint32_t q = 0; q < filled; q++) {
        const uint32_t i = order[q];
        long long left, right, feature, dflt;
        float cond, hess;
        if (!get_int(t->left->u.array.values[i], &left) ||
            !get_int(t->right->u.array.values[i], &right) ||
            !get_int(t->split->u.array.values[i], &feature) ||
            !get_int(t->dflt->u.array.values[i], &dflt) ||
            !get_float(t->cond->u.array.values[i], &cond) ||
            !get_float(t->hess->u.array.values[i], &hess))
            return BAD("XGBoost tree %zu node %lu is not numbers", k, (unsigned long)i);
        lapse_tree_node *n = &out[q];
        memset(n, 0, sizeof *n);
        n->cover = hess;
        if (left == -1 && right == -1) {
            n->value = cond;
            continue;
        }
        if (left < 0 || right < 0 || (size_t)left >= t->n || (size_t)right >= t->n ||
            visited[left] || visited[right] || left == right)
            return BAD("XGBoost tree %zu node %lu links to nodes %lld and %lld: outside the tree "
                       "or reached twice",
                       k, (unsigned long)i, left, right);
        if (feature < 0 || (size_t)feature >= d)
            return BAD("XGBoost tree %zu node %lu splits on feature %lld of %zu", k,
                       (unsigned long)i, feature, d);
        if (isnan(cond))
            return BAD("XGBoost tree %zu node %lu has a NaN threshold", k, (unsigned long)i);
        visited[left] = visited[right] = 1;
        order[filled] = (uint32_t)left;
        order[filled + 1] = (uint32_t)right;
        n->left = filled;
        n->right = filled + 1;
        filled += 2;
        n->feature = (uint32_t)feature;
        n->default_left = dflt != 0;
        n->value = lapse_trees_boundary(cond);
    }
    *size = filled;
    return 0;
}

static int convert(lapse_trees *out, yajl_val root, size_t d, lapse_error *err)
{
    static const char *const objective[] = { "learner", "objective", "name", NULL };
    static const char *const booster[] = { "learner", "gradient_booster", "name", NULL };
    static const char *const base[] = { "learner", "learner_model_param", "base_score", NULL };
    static const char *const classes[] = { "learner", "learner_model_param", "num_class", NULL };
    static const char *const trees_at[] = { "learner", "gradient_booster", "model", "trees", NULL };
    const char *obj = text(root, objective), *gb = text(root, booster), *bs = text(root, base);
    const char *nc = text(root, classes);
    if (!obj || strcmp(obj, "binary:logistic") != 0 || !gb || strcmp(gb, "gbtree") != 0 ||
        (nc && strcmp(nc, "0") != 0))
        return BAD("the XGBoost model is not a gbtree binary:logistic model (objective %s, "
                   "booster %s)",
                   obj ? obj : "none", gb ? gb : "none");
    char *end = NULL;
    const float base_score = bs ? strtof(bs, &end) : NAN;
    if (!bs || *end != '\0' || !(base_score > 0 && base_score < 1))
        return BAD("the XGBoost model's base_score is %s: it must be inside (0, 1)",
                   bs ? bs : "missing");
    yajl_val trees = member(root, trees_at);
    if (!YAJL_IS_ARRAY(trees) || trees->u.array.len == 0)
        return BAD("the XGBoost model has no trees");
    const size_t n_trees = trees->u.array.len;
    size_t nodes = 0, largest = 0;
    for (size_t k = 0; k < n_trees; k++) {
        xgb_tree t;
        if (!take_tree(&t, trees->u.array.values[k]))
            return BAD("XGBoost tree %zu lacks its node arrays, or they differ in length", k);
        if (t.n > LAPSE_TREES_MAX_NODES)
            return BAD("XGBoost tree %zu has %zu nodes: at most %d", k, t.n,
                       LAPSE_TREES_MAX_NODES);
        nodes += t.n;
        if (t.n > largest)
            largest = t.n;
    }
    out->sizes = calloc(n_trees, sizeof *out->sizes);
    out->nodes = calloc(nodes, sizeof *out->nodes);
    uint32_t *order = malloc(largest * sizeof *order);
    unsigned char *visited = malloc(largest);
    int rc = 0;
    if (!out->sizes || !out->nodes || !order || !visited)
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    /* XGBoost's ProbToMargin, in float as it computes it. */
    out->base_margin = (float)-logf(1.0f / base_score - 1.0f);
    out->n_trees = n_trees;
    for (size_t k = 0; rc == 0 && k < n_trees; k++) {
        xgb_tree t;
        take_tree(&t, trees->u.array.values[k]);
        rc = convert_tree(out->nodes + out->n_nodes, &out->sizes[k], &t, k, d, order, visited,
                          err);
        out->n_nodes += out->sizes[k];
    }
    free(order);
    free(visited);
    if (rc == 0)
        rc = lapse_trees_check(out, d, err);
    return rc;
}

int lapse_gbdt_import(lapse_trees *out, const unsigned char *model, size_t size, size_t d,
                      lapse_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = lapse_gbdt_check(model, size, d, err);
    if (rc < 0)
        return rc;
    char *json = malloc(size + 1);
    if (!json)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    memcpy(json, model, size);
    json[size] = '\0';
    char why[128];
    yajl_val root = yajl_tree_parse(json, why, sizeof why);
    free(json);
    if (!root)
        return BAD("the XGBoost model is not JSON lapse can read");
    rc = convert(out, root, d, err);
    yajl_tree_free(root);
    if (rc < 0)
        lapse_trees_free(out);
    return rc;
}

int lapse_gbdt_matches(const unsigned char *model, size_t size, size_t d, const lapse_trees *t,
                       lapse_error *err)
{
    lapse_trees mine;
    int rc = lapse_gbdt_import(&mine, model, size, d, err);
    if (rc == 0 && !lapse_trees_equal(&mine, t))
        rc = BAD("XGBoost's bytes hold other trees than the model's own");
    lapse_trees_free(&mine);
    return rc;
}
