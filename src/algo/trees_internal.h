/* Internal: the evaluator's layout of a forest (trees.c), which TreeSHAP
 * (treeshap.c) reads beside the plain trees. */
#ifndef LAPSE_TREES_INTERNAL_H
#define LAPSE_TREES_INTERNAL_H

#include "lapse/trees.h"

#include <stddef.h>
#include <stdint.h>

#define FOREST_LEAF 0x80000000u         /* a leaf: it points at itself */
#define FOREST_DEFAULT_LEFT 0x40000000u /* a missing value goes left */
#define FOREST_FEATURE_MASK 0x3fffffffu

/* A node in 16 bytes: a split's threshold or a leaf's value, the feature
 * with the flags above, and the left child (the right one is next to it). */
typedef struct {
    double threshold;
    uint32_t feature;
    uint32_t next;
} forest_node;

/* The same in 12 bytes with float32 thresholds and values (--fast). */
typedef struct {
    float threshold;
    uint32_t feature;
    uint32_t next;
} forest_node32;

struct lapse_forest {
    lapse_trees trees;    /* a copy, for TreeSHAP */
    size_t d;
    uint32_t *root;       /* [n_trees] each tree's first node in nodes */
    uint32_t *steps;      /* [n_trees] its depth: levels a row walks */
    uint32_t max_depth;
    forest_node *nodes;   /* [n_nodes] breadth first per tree */
    forest_node32 *fast;  /* [n_nodes] the same with float32 thresholds */
    int has_fast;         /* every threshold has its float32 copy */
    float base;           /* the base margin as summed */
    double bias;          /* the base margin plus every tree's expected value */
};

#endif
