/* Exact TreeSHAP contributions: Lundberg, Erion and Lee, "Consistent
 * individualized feature attribution for tree ensembles" (2018),
 * Algorithm 2, polynomial in depth, structured as XGBoost's
 * RegTree::TreeShap (src/tree/tree_model.cc) so its pred_contribs is the
 * reference; in double here, where XGBoost computes in float. */
#include "lapse/trees.h"

#include "trees_internal.h"

#include <math.h>
#include <string.h>

typedef struct {
    long feature;         /* -1 for the root's placeholder */
    double zero_fraction; /* share of cover following the path when the feature is unknown */
    double one_fraction;  /* 1 when the row follows the path, else 0 */
    double weight;        /* the permutation weight of the subsets of this size */
} path_element;

static void extend_path(const double *inverse, path_element *path, unsigned depth,
                        double zero_fraction, double one_fraction, long feature)
{
    path[depth].feature = feature;
    path[depth].zero_fraction = zero_fraction;
    path[depth].one_fraction = one_fraction;
    path[depth].weight = depth == 0 ? 1.0 : 0.0;
    const double scale = inverse[depth + 1];
    for (int i = (int)depth - 1; i >= 0; i--) {
        path[i + 1].weight += one_fraction * path[i].weight * (i + 1) * scale;
        path[i].weight = zero_fraction * path[i].weight * (depth - i) * scale;
    }
}

static void unwind_path(const double *inverse, path_element *path, unsigned depth, unsigned index)
{
    const double one = path[index].one_fraction, zero = path[index].zero_fraction;
    const double scale = inverse[depth + 1], per_one = (depth + 1) / one;
    const double per_zero = (depth + 1) / zero;
    double next_one_portion = path[depth].weight;
    for (int i = (int)depth - 1; i >= 0; --i) {
        if (one != 0) {
            const double tmp = path[i].weight;
            path[i].weight = next_one_portion * per_one * inverse[i + 1];
            next_one_portion = tmp - path[i].weight * zero * (depth - i) * scale;
        } else {
            path[i].weight = path[i].weight * per_zero * inverse[depth - i];
        }
    }
    for (unsigned i = index; i < depth; ++i) {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

/* The total weight of the path with element index unwound. */
static double unwound_path_sum(const double *inverse, const path_element *path, unsigned depth,
                               unsigned index)
{
    const double one = path[index].one_fraction, zero = path[index].zero_fraction;
    const double scale = inverse[depth + 1];
    double next_one_portion = path[depth].weight, total = 0;
    if (one != 0) {
        const double per_one = (depth + 1) / one;
        for (int i = (int)depth - 1; i >= 0; --i) {
            const double tmp = next_one_portion * per_one * inverse[i + 1];
            total += tmp;
            next_one_portion = path[i].weight - tmp * zero * ((depth - i) * scale);
        }
    } else if (zero != 0) {
        const double per_zero = (depth + 1) / zero;
        for (int i = (int)depth - 1; i >= 0; --i)
            total += path[i].weight * per_zero * inverse[depth - i];
    }
    return total;
}

typedef struct {
    const lapse_tree_node *nodes;
    const double *x;
    double *phi;
    const double *inverse; /* 1 / k: the recursion divides by small integers often */
} shap_call;

static void tree_shap(const shap_call *c, uint32_t node, unsigned depth, path_element *parent_path,
                      double parent_zero, double parent_one, long parent_feature)
{
    const lapse_tree_node *n = &c->nodes[node];
    path_element *path = parent_path + depth + 1;
    memcpy(path, parent_path, (depth + 1) * sizeof *path);
    extend_path(c->inverse, path, depth, parent_zero, parent_one, parent_feature);
    if (n->left == 0) {
        for (unsigned i = 1; i <= depth; ++i) {
            const double w = unwound_path_sum(c->inverse, path, depth, i);
            const path_element *e = &path[i];
            c->phi[e->feature] += w * (e->one_fraction - e->zero_fraction) * n->value;
        }
        return;
    }
    const double v = c->x[n->feature];
    const uint32_t hot = isnan(v) ? (n->default_left ? n->left : n->right)
                         : v < n->value ? n->left
                                        : n->right;
    const uint32_t cold = hot == n->left ? n->right : n->left;
    const double hot_zero = c->nodes[hot].cover / n->cover;
    const double cold_zero = c->nodes[cold].cover / n->cover;
    double incoming_zero = 1, incoming_one = 1;
    /* A feature split on before: undo that split, to redo it here. */
    unsigned at = 0;
    while (at <= depth && path[at].feature != (long)n->feature)
        at++;
    if (at != depth + 1) {
        incoming_zero = path[at].zero_fraction;
        incoming_one = path[at].one_fraction;
        unwind_path(c->inverse, path, depth, at);
        depth -= 1;
    }
    tree_shap(c, hot, depth + 1, path, hot_zero * incoming_zero, incoming_one, (long)n->feature);
    tree_shap(c, cold, depth + 1, path, cold_zero * incoming_zero, 0, (long)n->feature);
}

size_t lapse__forest_shap_scratch(const lapse_forest *f)
{
    const size_t longest = (size_t)f->max_depth + 2;
    return longest * (longest + 1) / 2 * sizeof(path_element);
}

void lapse_forest_contribs(const lapse_forest *f, double *out, const double *x, size_t n,
                           void *scratch)
{
    const size_t d = f->d;
    for (size_t r = 0; r < n; r++) {
        double *phi = out + r * (d + 1);
        memset(phi, 0, d * sizeof *phi);
        phi[d] = f->bias;
        shap_call c = { NULL, x + r * d, phi, f->inverse };
        size_t at = 0;
        for (size_t k = 0; k < f->trees.n_trees; k++) {
            c.nodes = f->trees.nodes + at;
            tree_shap(&c, 0, 0, scratch, 1, 1, -1);
            at += f->trees.sizes[k];
        }
    }
}
