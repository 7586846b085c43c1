/* Boosted trees in lapse's own flat layout, and their evaluator.
 *
 * A forest is plain data (lapse_trees): per tree its nodes, root first,
 * every child after its parent. A split sends a row left when x[feature] <
 * threshold, and a missing value (NaN) the way it learned (default_left).
 * The margin of a row is base_margin plus one leaf per tree, summed in
 * float32 tree after tree, as XGBoost sums it, so a forest converted from
 * XGBoost (lapse/gbdt.h) predicts what XGBoost predicts, bit for bit.
 *
 * XGBoost compares float32(x) < t with float32 thresholds t; lapse keeps
 * rows in double, so a converted threshold is the double where float32(x)
 * starts to reach t (lapse_trees_boundary): x < it exactly when float32(x)
 * < t, for every double x. The float32 copies --fast compares against are
 * found again at load (lapse_forest_compile): a threshold that is not such a
 * boundary has none, and then --fast walks the double thresholds instead
 * (the scorer warns).
 *
 * The evaluator (lapse_forest_margin) copies rows in blocks of
 * LAPSE_FOREST_BLOCK, each with a NaN column added, and walks the block
 * through one tree at a time, 16 rows together one level per step (their
 * node numbers in registers), for as many steps as the tree is deep: nodes
 * of 16 bytes (threshold, feature with the missing-value flag, first child;
 * the right child is the next node), leaves reading the NaN column and
 * pointing at themselves, and the step computed without a branch (next =
 * first child + went_right; the missing-value test only in blocks that have
 * a NaN). Branch-light traversal rather than QuickScorer's bit vectors:
 * trees of depth 6 and more have 64+ leaves, past QuickScorer's one-word
 * bitvectors, while the level-synchronous walk keeps a block's rows (block x
 * features values) and one tree in cache and lets the CPU overlap the rows'
 * independent loads.
 *
 * Contributions (lapse_forest_contribs) are exact TreeSHAP (Lundberg, Erion
 * and Lee 2018, Algorithm 2, as XGBoost's pred_contribs computes it, in
 * double here), weighted by each node's training cover: d values per row
 * plus the bias (the trees' expected value, with the base margin), summing
 * to the margin. */
#ifndef LAPSE_TREES_H
#define LAPSE_TREES_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_TREES_MAX_DEPTH 64     /* deeper trees are refused */
#define LAPSE_TREES_MAX_NODES 1000000 /* per tree */
#define LAPSE_FOREST_BLOCK 64        /* rows per evaluator block */

typedef struct {
    uint32_t left, right;  /* split: children, after this node and inside its tree; leaf: 0, 0 */
    uint32_t feature;      /* split: the feature compared; leaf: 0 */
    uint8_t default_left;  /* split: 1 when a missing value goes left; leaf: 0 */
    double value;          /* split: the threshold (left when x < it); leaf: the leaf value */
    double cover;          /* the training rows' hessian sum at the node (TreeSHAP weights) */
} lapse_tree_node;

typedef struct {
    size_t n_trees;       /* >= 1 */
    uint32_t *sizes;      /* [n_trees] nodes per tree, >= 1 */
    size_t n_nodes;       /* the sum of sizes */
    lapse_tree_node *nodes; /* [n_nodes], tree after tree, node numbers within a tree */
    double base_margin;   /* added to every row's margin */
} lapse_trees;

/* Refuses a forest the evaluator must not walk: no trees, a tree without
 * nodes or too many (or 2^31 nodes in all), a child link backwards, outside its tree or shared by
 * two parents (so a cycle or a stray node), a leaf with children, a split
 * on a feature >= d or with a threshold that is not a finite number, a
 * leaf value or base margin that is not a finite float32 (margins are
 * float32 sums), a cover that is not finite, a split whose cover
 * is not positive or not its children's sum (to 1e-3, relative), a tree deeper than LAPSE_TREES_MAX_DEPTH. Returns 0 or
 * LAPSE_ERR_FORMAT naming the tree and node. */
int lapse_trees_check(const lapse_trees *t, size_t d, lapse_error *err);

/* The double threshold equivalent to XGBoost's float32 threshold t: for
 * every double x, x < lapse_trees_boundary(t) exactly when (float)x < t
 * (rounding to nearest, ties to even). */
double lapse_trees_boundary(float t);

/* A deep copy of t in *out (lapse_trees_free releases it). Returns 0 or
 * LAPSE_ERR_NOMEM. */
int lapse_trees_copy(lapse_trees *out, const lapse_trees *t, lapse_error *err);

/* Frees the arrays of t and zeroes it (accepts a zeroed t). */
void lapse_trees_free(lapse_trees *t);

/* 1 when the two forests hold the same trees, bit for bit. */
int lapse_trees_equal(const lapse_trees *a, const lapse_trees *b);

/* A forest laid out for evaluation. */
typedef struct lapse_forest lapse_forest;

/* Checks t (lapse_trees_check) and lays it out; it is copied, not kept.
 * Returns 0, LAPSE_ERR_FORMAT or LAPSE_ERR_NOMEM. */
int lapse_forest_compile(lapse_forest **out, const lapse_trees *t, size_t d, lapse_error *err);

void lapse_forest_free(lapse_forest *f); /* accepts NULL */

/* 1 when every threshold has a float32 copy giving the same decisions, so
 * --fast may be used. */
int lapse_forest_has_fast(const lapse_forest *f);

/* The scratch lapse_forest_margin and lapse_forest_contribs need, in bytes:
 * each thread its own. */
size_t lapse_forest_scratch(const lapse_forest *f);

/* Margins of n rows (row-major, d wide, NaN missing) into out[n], on the
 * calling thread (callers split rows over threads). fast: rows rounded to
 * float32 and compared with the float32 thresholds (the same decisions; only
 * when lapse_forest_has_fast, else the double path runs). */
void lapse_forest_margin(const lapse_forest *f, double *out, const double *x, size_t n, int fast,
                         void *scratch);

/* TreeSHAP contributions of n rows into out (n rows of d + 1: d features,
 * then the bias), each row summing to its margin up to rounding. */
void lapse_forest_contribs(const lapse_forest *f, double *out, const double *x, size_t n,
                           void *scratch);

#ifdef __cplusplus
}
#endif

#endif
