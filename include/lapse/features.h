/* The feature table: every feature lapse extracts, defined once.
 *
 * One table in src/data/features.c names each feature, says in one line what it
 * means and how it is computed, and suggests a transform; the CSV header,
 * `lapse extract --features` (and the docs made from it) and the schema hash
 * all come from it, so they cannot drift apart. Feature values use only
 * events strictly before the snapshot date (asof); "the last W days" means
 * the W calendar days (UTC) before asof, [asof - W days, asof). */
#ifndef LAPSE_FEATURES_H
#define LAPSE_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How a model should scale a feature before use (extract writes raw values). */
typedef enum {
    LAPSE_XFORM_NONE,  /* use as it is */
    LAPSE_XFORM_LOG1P  /* log(1 + x): counts and money, heavy-tailed */
} lapse_feature_transform;

typedef struct {
    const char *name;    /* column name in feature tables */
    const char *meaning; /* one line: what it is and how it is computed */
    lapse_feature_transform transform;
    int profile;         /* 1 for the features used to segment users */
} lapse_feature_info;

/* Number of features (columns between asof and label). */
size_t lapse_feature_count(void);

/* The i-th feature, or NULL when i >= lapse_feature_count(). */
const lapse_feature_info *lapse_feature_get(size_t i);

/* Index of the feature with this name, or -1. */
int lapse_feature_find(const char *name);

/* lapse_schema_hash() of all feature names, in order. */
uint64_t lapse_feature_schema_hash(void);

#ifdef __cplusplus
}
#endif

#endif
