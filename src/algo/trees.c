/* lapse's flat boosted trees: their check, and the evaluator over blocks of
 * rows (lapse/trees.h says why a level-synchronous walk). */
#include "lapse/trees.h"

#include "trees_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How far a split's cover may be from its children's sum, relative:
 * XGBoost stores each as its own float32 sum of the same rows. */
#define COVER_TOLERANCE 1e-3

#define FOREST_MAX_NODES 0x7fffffffu

#define BAD(...) lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1, __VA_ARGS__)

/* Depth of each node, from the root (parents come first). */
static int check_tree(const lapse_tree_node *nodes, uint32_t size, size_t tree, size_t d,
                      unsigned char *parents, unsigned char *depth, lapse_error *err)
{
    memset(parents, 0, size);
    depth[0] = 0;
    for (uint32_t i = 0; i < size; i++) {
        const lapse_tree_node *n = &nodes[i];
        if (i > 0 && parents[i] != 1)
            return BAD("tree %zu node %lu has %s parent", tree, (unsigned long)i,
                       parents[i] ? "more than one" : "no");
        if (!isfinite(n->cover) || n->cover < 0)
            return BAD("tree %zu node %lu has cover %g: it must be a finite number >= 0", tree,
                       (unsigned long)i, n->cover);
        if (n->left == 0 && n->right == 0) {
            if (!(fabs(n->value) <= FLT_MAX)) /* summed in float32 */
                return BAD("tree %zu leaf %lu has value %g: it must be a finite float32", tree,
                           (unsigned long)i, n->value);
            if (n->feature != 0 || n->default_left != 0)
                return BAD("tree %zu leaf %lu has a feature or a default direction", tree,
                           (unsigned long)i);
            continue;
        }
        if (n->left <= i || n->right <= i || n->left == n->right)
            return BAD("tree %zu node %lu links to nodes %lu and %lu: children must be two "
                       "different nodes after their parent (no cycles)",
                       tree, (unsigned long)i, (unsigned long)n->left, (unsigned long)n->right);
        if (n->left >= size || n->right >= size)
            return BAD("tree %zu node %lu links to node %lu of a tree of %lu nodes", tree,
                       (unsigned long)i, (unsigned long)(n->left > n->right ? n->left : n->right),
                       (unsigned long)size);
        if (n->feature >= d)
            return BAD("tree %zu node %lu splits on feature %lu of %zu", tree, (unsigned long)i,
                       (unsigned long)n->feature, d);
        if (isnan(n->value))
            return BAD("tree %zu node %lu has a NaN threshold", tree, (unsigned long)i);
        if (!isfinite(n->value))
            return BAD("tree %zu node %lu has threshold %g: it must be finite", tree,
                       (unsigned long)i, n->value);
        if (n->default_left > 1)
            return BAD("tree %zu node %lu has default direction %u: 0 or 1", tree,
                       (unsigned long)i, (unsigned)n->default_left);
        if (!(n->cover > 0))
            return BAD("tree %zu split %lu has cover 0", tree, (unsigned long)i);
        /* TreeSHAP weighs each side by its share of the cover: shares that
         * do not add up to 1 make contributions that do not add up either. */
        const double children = nodes[n->left].cover + nodes[n->right].cover;
        if (!(fabs(children - n->cover) <= COVER_TOLERANCE * n->cover))
            return BAD("tree %zu split %lu has cover %g, its children %g and %g: a split's cover "
                       "must be its children's sum",
                       tree, (unsigned long)i, n->cover, nodes[n->left].cover,
                       nodes[n->right].cover);
        if (depth[i] + 1 > LAPSE_TREES_MAX_DEPTH)
            return BAD("tree %zu is deeper than %d levels", tree, LAPSE_TREES_MAX_DEPTH);
        /* Counted up to 2: a shared child is refused when its turn comes. */
        parents[n->left] = parents[n->left] ? 2 : 1;
        parents[n->right] = parents[n->right] ? 2 : 1;
        depth[n->left] = depth[n->right] = (unsigned char)(depth[i] + 1);
    }
    return 0;
}

int lapse_trees_check(const lapse_trees *t, size_t d, lapse_error *err)
{
    if (t->n_trees == 0 || !t->sizes || !t->nodes)
        return BAD("the forest has no trees");
    if (!(fabs(t->base_margin) <= FLT_MAX))
        return BAD("the forest's base margin is %g: it must be a finite float32",
                   t->base_margin);
    if (d == 0 || d >= FOREST_FEATURE_MASK)
        return BAD("the forest has %zu features", d);
    if (t->n_nodes > FOREST_MAX_NODES) /* the evaluator numbers nodes in 32 bits */
        return BAD("the forest has %zu nodes: at most %lu", t->n_nodes,
                   (unsigned long)FOREST_MAX_NODES);
    size_t at = 0, largest = 0;
    for (size_t k = 0; k < t->n_trees; k++) {
        if (t->sizes[k] == 0 || t->sizes[k] > LAPSE_TREES_MAX_NODES)
            return BAD("tree %zu has %lu nodes: 1 to %d", k, (unsigned long)t->sizes[k],
                       LAPSE_TREES_MAX_NODES);
        if (t->sizes[k] > t->n_nodes - at)
            return BAD("the trees hold more nodes than the forest's %zu", t->n_nodes);
        at += t->sizes[k];
        if (t->sizes[k] > largest)
            largest = t->sizes[k];
    }
    if (at != t->n_nodes)
        return BAD("the trees hold %zu nodes; the forest says %zu", at, t->n_nodes);
    unsigned char *scratch = malloc(2 * largest);
    if (!scratch)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    int rc = 0;
    at = 0;
    for (size_t k = 0; rc == 0 && k < t->n_trees; k++) {
        rc = check_tree(t->nodes + at, t->sizes[k], k, d, scratch, scratch + largest, err);
        at += t->sizes[k];
    }
    free(scratch);
    return rc;
}

double lapse_trees_boundary(float t)
{
    const float below = nextafterf(t, -INFINITY);
    /* Doubles between two floats round to the nearer; the midpoint (exact in
     * double) to the one whose last mantissa bit is 0. Past -FLT_MAX the
     * next float down is -infinity, reached from -(2^128 - 2^103). */
    const double mid = isinf(below) ? -0x1.ffffffp127 : ((double)below + (double)t) / 2;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    const int odd = isinf(below) ? 1 : (int)(bits & 1);
    /* Even t: the midpoint rounds up to t, so x < mid. Odd t: it rounds
     * down, below t, so x <= mid. */
    return odd ? nextafter(mid, INFINITY) : mid;
}

int lapse_trees_copy(lapse_trees *out, const lapse_trees *t, lapse_error *err)
{
    memset(out, 0, sizeof *out);
    out->sizes = malloc((t->n_trees ? t->n_trees : 1) * sizeof *out->sizes);
    out->nodes = malloc((t->n_nodes ? t->n_nodes : 1) * sizeof *out->nodes);
    if (!out->sizes || !out->nodes) {
        lapse_trees_free(out);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    if (t->n_trees)
        memcpy(out->sizes, t->sizes, t->n_trees * sizeof *out->sizes);
    if (t->n_nodes)
        memcpy(out->nodes, t->nodes, t->n_nodes * sizeof *out->nodes);
    out->n_trees = t->n_trees;
    out->n_nodes = t->n_nodes;
    out->base_margin = t->base_margin;
    return 0;
}

void lapse_trees_free(lapse_trees *t)
{
    free(t->sizes);
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

int lapse_trees_equal(const lapse_trees *a, const lapse_trees *b)
{
    if (a->n_trees != b->n_trees || a->n_nodes != b->n_nodes ||
        !same_double(a->base_margin, b->base_margin) ||
        memcmp(a->sizes, b->sizes, a->n_trees * sizeof *a->sizes) != 0)
        return 0;
    for (size_t i = 0; i < a->n_nodes; i++) {
        const lapse_tree_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (x->left != y->left || x->right != y->right || x->feature != y->feature ||
            x->default_left != y->default_left || !same_double(x->value, y->value) ||
            !same_double(x->cover, y->cover))
            return 0;
    }
    return 1;
}

/* The float32 threshold deciding as the double one does, if there is one. */
static int float_copy(double t, float *out)
{
    const float near = (float)t;
    const float candidates[3] = { near, nextafterf(near, INFINITY), nextafterf(near, -INFINITY) };
    for (int i = 0; i < 3; i++)
        if (isfinite(candidates[i]) && lapse_trees_boundary(candidates[i]) == t) {
            *out = candidates[i];
            return 1;
        }
    return 0;
}

/* The expected value of a tree's leaves under its covers, from node i. */
static double expected_value(const lapse_tree_node *nodes, uint32_t i)
{
    const lapse_tree_node *n = &nodes[i];
    if (n->left == 0)
        return n->value;
    return (expected_value(nodes, n->left) * nodes[n->left].cover +
            expected_value(nodes, n->right) * nodes[n->right].cover) /
           n->cover;
}

/* Lays out one tree breadth first, so each split's right child follows its
 * left one; leaves point at themselves and read the NaN column. */
static void lay_out(lapse_forest *f, const lapse_tree_node *nodes, uint32_t base, uint32_t *order)
{
    uint32_t filled = 1;
    order[0] = 0;
    for (uint32_t q = 0; q < filled; q++) {
        const lapse_tree_node *n = &nodes[order[q]];
        forest_node *c = &f->nodes[base + q];
        if (n->left == 0) {
            c->threshold = n->value;
            c->feature = (uint32_t)f->d; /* the NaN column */
            c->next = base + q;
            continue;
        }
        order[filled++] = n->left;
        order[filled++] = n->right;
        c->threshold = n->value;
        c->feature = n->feature | (n->default_left ? 0 : FOREST_MISSING_RIGHT);
        c->next = base + filled - 2;
    }
}

static uint32_t tree_depth(const lapse_tree_node *nodes, uint32_t i)
{
    const lapse_tree_node *n = &nodes[i];
    if (n->left == 0)
        return 0;
    const uint32_t l = tree_depth(nodes, n->left), r = tree_depth(nodes, n->right);
    return 1 + (l > r ? l : r);
}

int lapse_forest_compile(lapse_forest **out, const lapse_trees *t, size_t d, lapse_error *err)
{
    *out = NULL;
    int rc = lapse_trees_check(t, d, err);
    if (rc < 0)
        return rc;
    lapse_forest *f = calloc(1, sizeof *f);
    uint32_t largest = 0;
    for (size_t k = 0; k < t->n_trees; k++)
        if (t->sizes[k] > largest)
            largest = t->sizes[k];
    uint32_t *order = malloc((size_t)largest * sizeof *order);
    if (!f || !order || lapse_trees_copy(&f->trees, t, err) < 0)
        goto nomem;
    f->d = d;
    f->root = malloc(t->n_trees * sizeof *f->root);
    f->steps = malloc(t->n_trees * sizeof *f->steps);
    f->nodes = malloc(t->n_nodes * sizeof *f->nodes);
    f->fast = malloc(t->n_nodes * sizeof *f->fast);
    if (!f->root || !f->steps || !f->nodes || !f->fast)
        goto nomem;
    f->bias = t->base_margin;
    for (int k = 1; k < LAPSE_TREES_MAX_DEPTH + 3; k++)
        f->inverse[k] = 1.0 / k;
    f->base = (float)t->base_margin;
    size_t at = 0;
    for (size_t k = 0; k < t->n_trees; k++) {
        const lapse_tree_node *nodes = t->nodes + at;
        f->root[k] = (uint32_t)at;
        f->steps[k] = tree_depth(nodes, 0);
        if (f->steps[k] > f->max_depth)
            f->max_depth = f->steps[k];
        f->bias += expected_value(nodes, 0);
        lay_out(f, nodes, (uint32_t)at, order);
        at += t->sizes[k];
    }
    f->has_fast = 1;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const forest_node *c = &f->nodes[i];
        forest_node32 *c32 = &f->fast[i];
        c32->feature = c->feature;
        c32->next = c->next;
        if (c->feature == f->d) /* a leaf */
            c32->threshold = (float)c->threshold;
        else if (!float_copy(c->threshold, &c32->threshold))
            f->has_fast = 0;
    }
    free(order);
    *out = f;
    return 0;
nomem:
    free(order);
    lapse_forest_free(f);
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory for the trees");
}

void lapse_forest_free(lapse_forest *f)
{
    if (!f)
        return;
    lapse_trees_free(&f->trees);
    free(f->root);
    free(f->steps);
    free(f->nodes);
    free(f->fast);
    free(f);
}

int lapse_forest_has_fast(const lapse_forest *f)
{
    return f->has_fast;
}

/* Rows walked together: their paths are independent, so the CPU overlaps
 * their loads; kept in registers, the steps need no stores. */
#define FOREST_LANES 16

/* One level for FOREST_LANES rows of the block's copy, which has a NaN
 * column after the features: right when x >= threshold, or (missing: only
 * when a row of the block has a NaN) when x is missing and the split sends
 * missing values right. A leaf reads the NaN column and stays where it is. */
#define FOREST_STEP(node_type, missing)                                                          \
    _Pragma("GCC unroll 16") for (size_t l = 0; l < FOREST_LANES; l++) {                         \
        const node_type *c = &nodes[at[l]];                                                      \
        const uint32_t feature = c->feature;                                                     \
        const value_type v = row[l * stride + (feature & FOREST_FEATURE_MASK)];                 \
        uint32_t right = v >= c->threshold;                                                      \
        if (missing)                                                                             \
            right |= (v != v) & (feature >> 31);                                                 \
        at[l] = c->next + right;                                                                 \
    }

/* Every tree in turn over every lane of rows. */
#define FOREST_TREES(node_type, missing)                                                         \
    for (size_t k = 0; k < f->trees.n_trees; k++) {                                              \
        for (size_t r0 = 0; r0 < padded; r0 += FOREST_LANES) {                                   \
            const value_type *row = xb + r0 * stride;                                            \
            uint32_t at[FOREST_LANES];                                                           \
            for (size_t l = 0; l < FOREST_LANES; l++)                                            \
                at[l] = f->root[k];                                                              \
            for (uint32_t s = 0; s < f->steps[k]; s++)                                           \
                FOREST_STEP(node_type, missing)                                                  \
            for (size_t l = 0; l < FOREST_LANES; l++)                                            \
                sum[r0 + l] += (float)nodes[at[l]].threshold;                                    \
        }                                                                                        \
    }

/* The block's rows, each with the NaN column (and NaN rows up to a whole
 * number of lanes), then the trees, with the missing-value test only when
 * a row has a missing value. */
#define FOREST_BLOCK(node_type)                                                                  \
    const size_t d = f->d, stride = d + 1;                                                       \
    const size_t padded = (rows + FOREST_LANES - 1) / FOREST_LANES * FOREST_LANES;              \
    value_type *xb = scratch;                                                                    \
    int missing = 0;                                                                             \
    for (size_t r = 0; r < padded; r++) {                                                        \
        for (size_t j = 0; j < d; j++) {                                                         \
            const value_type v = r < rows ? (value_type)x[r * d + j] : (value_type)0;            \
            missing |= v != v;                                                                   \
            xb[r * stride + j] = v;                                                              \
        }                                                                                        \
        xb[r * stride + d] = NAN;                                                                \
    }                                                                                            \
    if (missing)                                                                                 \
        FOREST_TREES(node_type, 1)                                                               \
    else                                                                                         \
        FOREST_TREES(node_type, 0)

static void block_double(const lapse_forest *f, float *sum, const double *x, size_t rows,
                         void *scratch)
{
    typedef double value_type;
    const forest_node *nodes = f->nodes;
    FOREST_BLOCK(forest_node)
}

static void block_float(const lapse_forest *f, float *sum, const double *x, size_t rows,
                        void *scratch)
{
    typedef float value_type;
    const forest_node32 *nodes = f->fast;
    FOREST_BLOCK(forest_node32)
}

size_t lapse_forest_scratch(const lapse_forest *f)
{
    const size_t rows = LAPSE_FOREST_BLOCK * (f->d + 1) * sizeof(double); /* a whole of lanes */
    const size_t shap = lapse__forest_shap_scratch(f);
    return rows > shap ? rows : shap;
}

void lapse_forest_margin(const lapse_forest *f, double *out, const double *x, size_t n, int fast,
                         void *scratch)
{
    float sum[LAPSE_FOREST_BLOCK];
    for (size_t r0 = 0; r0 < n; r0 += LAPSE_FOREST_BLOCK) {
        const size_t rows = n - r0 < LAPSE_FOREST_BLOCK ? n - r0 : LAPSE_FOREST_BLOCK;
        for (size_t r = 0; r < rows; r++)
            sum[r] = f->base;
        if (fast && f->has_fast)
            block_float(f, sum, x + r0 * f->d, rows, scratch);
        else
            block_double(f, sum, x + r0 * f->d, rows, scratch);
        for (size_t r = 0; r < rows; r++)
            out[r0 + r] = sum[r];
    }
}
