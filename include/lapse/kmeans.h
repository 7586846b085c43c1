/* Customer segments: k-means on standardized profile features, and the
 * figures that say whether the segments are real.
 *
 * All matrices are dense, row-major doubles: x is n rows by d columns,
 * centroids k rows by d. Squared distances for a block of rows come from one
 * DGEMM, ||x||^2 + ||c||^2 - 2 x c^T, clamped at 0 (rounding can make a
 * true 0 slightly negative).
 *
 * Threads: fitting runs OpenBLAS on `threads` threads and sets the count
 * back as it was before returning (the setting is process-wide, so two fits
 * must not run at once). The other functions use whatever OpenBLAS is set to. */
#ifndef LAPSE_KMEANS_H
#define LAPSE_KMEANS_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    size_t k;      /* clusters, 1 <= k <= n */
    int restarts;  /* k-means++ seedings, each run to convergence; lowest inertia wins */
    int max_iter;  /* Lloyd iterations per restart */
    double tol;    /* converged when the centroids' summed squared shift is at most
                      tol times the mean column variance of x (scale-free) */
    uint64_t seed; /* same data, options and seed give identical centroids */
    int threads;   /* OpenBLAS threads (process-wide); 0 leaves the setting alone */
} lapse_kmeans_options;

#define LAPSE_KMEANS_OPTIONS_INIT { 3, 4, 100, 1e-6, 1, 1 }

typedef struct {
    double inertia;      /* sum of squared distances to the nearest centroid */
    int iterations;      /* Lloyd iterations of the winning restart */
    int restart;         /* which restart won, from 0 */
    int converged;       /* the winning restart met tol before max_iter */
    size_t empty_fixed;  /* empty clusters re-seeded, over all restarts */
} lapse_kmeans_info;

/* k-means++ seeding (D^2 sampling) then Lloyd iterations, `restarts` times.
 * An empty cluster takes the row farthest from its centroid. Writes
 * centroids (k x d, OUT), labels (n, OUT, in [0, k); may be NULL) and info
 * (may be NULL). LAPSE_ERR_ARG for bad options, k > n or a non-finite value;
 * LAPSE_ERR_NOMEM. */
int lapse_kmeans_fit(double *centroids, int *labels, lapse_kmeans_info *info, const double *x,
                     size_t n, size_t d, const lapse_kmeans_options *opts, lapse_error *err);

/* Nearest centroid for each of n rows (scoring new rows); dist2 (n, OUT,
 * squared distance to it) may be NULL. Ties go to the lower index.
 * Allocates: LAPSE_ERR_NOMEM. */
int lapse_kmeans_assign(int *labels, double *dist2, const double *x, size_t n, size_t d,
                        const double *centroids, size_t k, lapse_error *err);

/* All squared distances, out[i * k + j] = ||x_i - c_j||^2 (n x k, OUT). */
int lapse_kmeans_distances(double *out, const double *x, size_t n, size_t d,
                           const double *centroids, size_t k, lapse_error *err);

/* Column means and population standard deviations (sd 1 for a constant
 * column, so applying it leaves that column at 0). LAPSE_ERR_ARG when n == 0. */
int lapse_kmeans_standardize_fit(double *mean, double *sd, const double *x, size_t n, size_t d,
                                 lapse_error *err);

/* In place: x = (x - mean) / sd, and back (e.g. centroids to original units). */
void lapse_kmeans_standardize_apply(double *x, size_t n, size_t d, const double *mean,
                                    const double *sd);
void lapse_kmeans_standardize_invert(double *x, size_t n, size_t d, const double *mean,
                                     const double *sd);

/* Mean silhouette, (b - a) / max(a, b) per row with Euclidean distances, a
 * the mean distance to its own cluster and b to the nearest other cluster (a
 * row alone in its cluster scores 0). Computed on `sample` rows drawn without
 * replacement with the seed, distances among the sample only (as
 * scikit-learn's silhouette_score(sample_size=)); sample 0 or >= n uses every
 * row (exact, O(n^2)). LAPSE_ERR_RANGE when the rows used hold fewer than 2
 * clusters; LAPSE_ERR_ARG for a label outside [0, k). */
int lapse_kmeans_silhouette(double *out, const double *x, const int *labels, size_t n, size_t d,
                            size_t k, size_t sample, uint64_t seed, lapse_error *err);

/* Adjusted Rand index of two labelings of the same n rows (Hubert and Arabie
 * 1985, from pair counts): 1 for the same partition under any renaming,
 * about 0 for independent ones. Labels are any ints. 1 when both labelings
 * are trivial the same way (n < 2, or both all-one-cluster or
 * all-singletons), as scikit-learn. Allocates. */
int lapse_kmeans_ari(double *out, const int *a, const int *b, size_t n, lapse_error *err);

#define LAPSE_KMEANS_NAME_MAX 32

/* Columns of the profile dimensions within a centroid row; -1 when absent
 * (spend_per_purchase is optional, the three shares are required). */
typedef struct {
    int share_core;
    int share_social;
    int share_coupon_purchases;
    int spend_per_purchase;
} lapse_kmeans_roles;

#define LAPSE_KMEANS_ROLES_INIT { -1, -1, -1, -1 }

/* The standardized value a centre must exceed on its archetype's dimension
 * to be named after it: half a standard deviation of the users. */
#define LAPSE_KMEANS_NAME_MIN_Z 0.5

/* Names segments after the archetypes by the one-to-one assignment of
 * archetypes to centroids with the largest total affinity (exhaustive: k^3
 * candidates). With z the standardized profile value of a centroid:
 *   price-sensitive    z(share_coupon_purchases) - 0.5 z(spend_per_purchase)
 *   feature-dependent  z(share_core)
 *   social-driven      z(share_social)
 * z uses mean and sd (per column of the data, e.g. from
 * lapse_kmeans_standardize_fit) when given, else the mean and sd over the k
 * centroids. Centroids are in original units. An assigned centroid keeps
 * the archetype's name only when its affinity for it is above
 * LAPSE_KMEANS_NAME_MIN_Z and the largest of its three affinities: the
 * centre stands out on that dimension. The other segments are mixed when
 * there is one, else mixed-1, mixed-2, ... in centroid order; with k < 3
 * only the k best archetypes are candidates. Writes names (k entries, OUT).
 * LAPSE_ERR_ARG when a required role is missing or out of range. */
int lapse_kmeans_name(char (*names)[LAPSE_KMEANS_NAME_MAX], const double *centroids, size_t k,
                      size_t d, const lapse_kmeans_roles *roles, const double *mean,
                      const double *sd, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
