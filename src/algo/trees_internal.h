/* Internal: the evaluator's layout of a forest (trees.c), which TreeSHAP
 * (treeshap.c) reads beside the plain trees. */
#ifndef LAPSE_TREES_INTERNAL_H
#define LAPSE_TREES_INTERNAL_H

#include "lapse/trees.h"

#include <stddef.h>
#include <stdint.h>

#define FOREST_MISSING_RIGHT 0x80000000u /* a missing value goes right */
#define FOREST_FEATURE_MASK 0x7fffffffu

/* A node in 16 bytes: a split's threshold or a leaf's value, the feature
 * with the flag above (a leaf's feature is d, the NaN column the evaluator
 * adds), and the left child (the right one is next to it; a leaf's own
 * position). */
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
    double inverse[LAPSE_TREES_MAX_DEPTH + 3]; /* 1 / k, for TreeSHAP */
};

/* The TreeSHAP scratch (treeshap.c), part of lapse_forest_scratch. */
size_t lapse__forest_shap_scratch(const lapse_forest *f);

#endif
