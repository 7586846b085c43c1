#include "lapse/kmeans.h"

#include "blas_internal.h"
#include "finite.h"
#include "learn_rng.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per DGEMM: block x k distances stay in cache while we take minima. */
#define DIST_BLOCK 16384

static void row_norms(double *out, const double *x, size_t n, size_t d)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += x[i * d + j] * x[i * d + j];
        out[i] = s;
    }
}

/* dist (rows x k) = squared distances of a block of rows, from one DGEMM. */
static void block_distances(double *dist, const double *x, const double *xnorm, size_t rows,
                            size_t d, const double *c, const double *cnorm, size_t k)
{
    if (d > 0)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)k, (int)d, -2.0, x,
                    (int)d, c, (int)d, 0.0, dist, (int)k);
    else
        memset(dist, 0, rows * k * sizeof *dist);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < k; j++) {
            const double v = xnorm[i] + cnorm[j] + dist[i * k + j];
            dist[i * k + j] = v > 0.0 ? v : 0.0;
        }
}

/* Column means and population standard deviations, reading x row by row
 * (column by column would stride through memory d times). */
static void column_moments(double *mean, double *sd, const double *x, size_t n, size_t d)
{
    memset(mean, 0, d * sizeof *mean);
    memset(sd, 0, d * sizeof *sd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += x[i * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            sd[j] += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
    for (size_t j = 0; j < d; j++)
        sd[j] = sqrt(sd[j] / (double)n);
}

/* Labels and squared distances of every row to its nearest centroid;
 * returns the inertia. dist is DIST_BLOCK x k scratch. */
static double assign_all(int *labels, double *mind, double *dist, const double *x,
                         const double *xnorm, size_t n, size_t d, const double *c, double *cnorm,
                         size_t k)
{
    row_norms(cnorm, c, k, d);
    double inertia = 0.0;
    for (size_t start = 0; start < n; start += DIST_BLOCK) {
        const size_t rows = n - start < DIST_BLOCK ? n - start : DIST_BLOCK;
        block_distances(dist, x + start * d, xnorm + start, rows, d, c, cnorm, k);
        for (size_t i = 0; i < rows; i++) {
            const double *di = dist + i * k;
            size_t best = 0;
            for (size_t j = 1; j < k; j++)
                if (di[j] < di[best])
                    best = j;
            labels[start + i] = (int)best;
            if (mind)
                mind[start + i] = di[best];
            inertia += di[best];
        }
    }
    return inertia;
}

/* k-means++: the first centre uniformly, each next one with probability
 * proportional to the squared distance to the nearest centre so far. */
static void seed_plus_plus(double *c, double *mind, double *tmp, const double *x,
                           const double *xnorm, size_t n, size_t d, size_t k, uint64_t *rng)
{
    size_t pick = learn_rng_below(rng, n);
    memcpy(c, x + pick * d, d * sizeof *c);
    for (size_t i = 0; i < n; i++)
        mind[i] = INFINITY;
    for (size_t j = 0;; j++) {
        const double *cj = c + j * d;
        double cn = 0.0;
        for (size_t q = 0; q < d; q++)
            cn += cj[q] * cj[q];
        if (d > 0)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, -2.0, x, (int)d, cj, 1, 0.0,
                        tmp, 1);
        double total = 0.0;
        for (size_t i = 0; i < n; i++) {
            double v = xnorm[i] + cn + (d > 0 ? tmp[i] : 0.0);
            v = v > 0.0 ? v : 0.0;
            if (v < mind[i])
                mind[i] = v;
            total += mind[i];
        }
        if (j + 1 == k)
            break;
        if (total > 0.0) {
            const double target = learn_rng_uniform(rng) * total;
            double acc = 0.0;
            pick = n;
            for (size_t i = 0; i < n; i++) {
                acc += mind[i];
                if (acc > target && mind[i] > 0.0) {
                    pick = i;
                    break;
                }
            }
            if (pick == n) /* rounding left target at the very end */
                for (pick = n - 1; pick > 0 && mind[pick] == 0.0; pick--)
                    ;
        } else {
            pick = learn_rng_below(rng, n); /* fewer distinct rows than k */
        }
        memcpy(c + (j + 1) * d, x + pick * d, d * sizeof *c);
    }
}

int lapse_kmeans_fit(double *centroids, int *labels, lapse_kmeans_info *info, const double *x,
                     size_t n, size_t d, const lapse_kmeans_options *opts, lapse_error *err)
{
    const lapse_kmeans_options defaults = LAPSE_KMEANS_OPTIONS_INIT;
    if (!opts)
        opts = &defaults;
    const size_t k = opts->k;
    if (k < 1 || opts->restarts < 1 || opts->max_iter < 1 || !(opts->tol >= 0.0) || opts->threads < 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "bad k-means options (k %zu, restarts %d, max_iter %d, tol %g, threads %d)",
                               k, opts->restarts, opts->max_iter, opts->tol, opts->threads);
    if (k > n)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "k-means with k = %zu needs at least %zu rows, not %zu", k, k, n);
    if (n > INT32_MAX || k > INT32_MAX || d > INT32_MAX)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1, "matrix too large for BLAS");
    const int finite = lapse_check_finite(x, n, d, err);
    if (finite != LAPSE_OK)
        return finite;
    lapse_blas_threads_begin(opts->threads);

    int rc = LAPSE_OK;
    double *xnorm = malloc(n * sizeof *xnorm), *mind = malloc(n * sizeof *mind);
    double *tmp = malloc(n * sizeof *tmp);
    int *lab = malloc(n * sizeof *lab);
    double *c = malloc(k * d * sizeof *c + 1), *sums = malloc(k * d * sizeof *sums + 1);
    double *cnorm = malloc(k * sizeof *cnorm), *dist = malloc(DIST_BLOCK * k * sizeof *dist);
    size_t *count = malloc(k * sizeof *count);
    double *moments = malloc(2 * d * sizeof *moments + 1);
    if (!xnorm || !mind || !tmp || !lab || !c || !sums || !cnorm || !dist || !count || !moments) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                             "out of memory for k-means on %zu x %zu", n, d);
        goto done;
    }
    row_norms(xnorm, x, n, d);

    /* Tolerance in the data's own scale, as scikit-learn: tol x mean variance. */
    column_moments(moments, moments + d, x, n, d);
    double var_sum = 0.0;
    for (size_t j = 0; j < d; j++)
        var_sum += moments[d + j] * moments[d + j];
    const double tol = d > 0 ? opts->tol * var_sum / (double)d : 0.0;

    lapse_kmeans_info best = { INFINITY, 0, 0, 0, 0 };
    size_t empty_fixed = 0;
    uint64_t rng = opts->seed;
    for (int restart = 0; restart < opts->restarts; restart++) {
        seed_plus_plus(c, mind, tmp, x, xnorm, n, d, k, &rng);
        int iter = 0, converged = 0;
        while (iter < opts->max_iter && !converged) {
            iter++;
            assign_all(lab, mind, dist, x, xnorm, n, d, c, cnorm, k);
            memset(sums, 0, k * d * sizeof *sums);
            memset(count, 0, k * sizeof *count);
            for (size_t i = 0; i < n; i++) {
                double *s = sums + (size_t)lab[i] * d;
                const double *xi = x + i * d;
                for (size_t q = 0; q < d; q++)
                    s[q] += xi[q];
                count[lab[i]]++;
            }
            double shift = 0.0;
            for (size_t j = 0; j < k; j++) {
                double *cj = c + j * d;
                if (count[j] == 0) {
                    /* Re-seed at the row worst served by its centroid; zero its
                     * distance so a second empty cluster takes another row. */
                    size_t far = 0;
                    for (size_t i = 1; i < n; i++)
                        if (mind[i] > mind[far])
                            far = i;
                    mind[far] = 0.0;
                    for (size_t q = 0; q < d; q++) {
                        shift += (x[far * d + q] - cj[q]) * (x[far * d + q] - cj[q]);
                        cj[q] = x[far * d + q];
                    }
                    empty_fixed++;
                    continue;
                }
                for (size_t q = 0; q < d; q++) {
                    const double v = sums[j * d + q] / (double)count[j];
                    shift += (v - cj[q]) * (v - cj[q]);
                    cj[q] = v;
                }
            }
            converged = shift <= tol;
        }
        const double inertia = assign_all(lab, NULL, dist, x, xnorm, n, d, c, cnorm, k);
        /* The first restart always counts, so a non-finite inertia cannot leave
         * the outputs unwritten. */
        if (restart == 0 || inertia < best.inertia) {
            best.inertia = inertia;
            best.iterations = iter;
            best.restart = restart;
            best.converged = converged;
            memcpy(centroids, c, k * d * sizeof *c);
            if (labels)
                memcpy(labels, lab, n * sizeof *lab);
        }
    }
    best.empty_fixed = empty_fixed;
    if (info)
        *info = best;
done:
    free(xnorm);
    free(mind);
    free(tmp);
    free(lab);
    free(c);
    free(sums);
    free(cnorm);
    free(dist);
    free(count);
    free(moments);
    lapse_blas_threads_end();
    return rc;
}

int lapse_kmeans_assign(int *labels, double *dist2, const double *x, size_t n, size_t d,
                        const double *centroids, size_t k, lapse_error *err)
{
    if (k < 1)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no centroids to assign to");
    double *xnorm = malloc(n * sizeof *xnorm + 1), *cnorm = malloc(k * sizeof *cnorm);
    double *dist = malloc(DIST_BLOCK * k * sizeof *dist);
    int rc = LAPSE_OK;
    if (!xnorm || !cnorm || !dist)
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory assigning %zu rows", n);
    else {
        row_norms(xnorm, x, n, d);
        assign_all(labels, dist2, dist, x, xnorm, n, d, centroids, cnorm, k);
    }
    free(xnorm);
    free(cnorm);
    free(dist);
    return rc;
}

int lapse_kmeans_distances(double *out, const double *x, size_t n, size_t d,
                           const double *centroids, size_t k, lapse_error *err)
{
    double *xnorm = malloc(n * sizeof *xnorm + 1), *cnorm = malloc(k * sizeof *cnorm + 1);
    if (!xnorm || !cnorm) {
        free(xnorm);
        free(cnorm);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    row_norms(xnorm, x, n, d);
    row_norms(cnorm, centroids, k, d);
    if (n > 0 && k > 0)
        block_distances(out, x, xnorm, n, d, centroids, cnorm, k);
    free(xnorm);
    free(cnorm);
    return LAPSE_OK;
}

int lapse_kmeans_standardize_fit(double *mean, double *sd, const double *x, size_t n, size_t d,
                                 lapse_error *err)
{
    if (n == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no rows to standardize");
    column_moments(mean, sd, x, n, d);
    for (size_t j = 0; j < d; j++)
        if (!(sd[j] > 0.0))
            sd[j] = 1.0;
    return LAPSE_OK;
}

void lapse_kmeans_standardize_apply(double *x, size_t n, size_t d, const double *mean,
                                    const double *sd)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = (x[i * d + j] - mean[j]) / sd[j];
}

void lapse_kmeans_standardize_invert(double *x, size_t n, size_t d, const double *mean,
                                     const double *sd)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = x[i * d + j] * sd[j] + mean[j];
}

#define SIL_BLOCK 256

int lapse_kmeans_silhouette(double *out, const double *x, const int *labels, size_t n, size_t d,
                            size_t k, size_t sample, uint64_t seed, lapse_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= k)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "label %d of row %zu is outside [0, %zu)", labels[i], i, k);
    const size_t s = sample == 0 || sample >= n ? n : sample;
    int rc = LAPSE_OK;
    size_t *idx = malloc(n * sizeof *idx + 1);
    double *xs = malloc(s * d * sizeof *xs + 1), *norm = malloc(s * sizeof *norm + 1);
    int *lab = malloc(s * sizeof *lab + 1);
    size_t *size = calloc(k, sizeof *size);
    double *dist = malloc(SIL_BLOCK * s * sizeof *dist + 1), *sum = malloc(k * sizeof *sum);
    if (!idx || !xs || !norm || !lab || !size || !dist || !sum) {
        rc = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory for the silhouette");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    if (s < n) {
        uint64_t rng = seed;
        for (size_t i = 0; i < s; i++) { /* the first s steps of a Fisher-Yates shuffle */
            const size_t j = i + learn_rng_below(&rng, n - i);
            const size_t t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
    }
    for (size_t i = 0; i < s; i++) {
        memcpy(xs + i * d, x + idx[i] * d, d * sizeof *xs);
        lab[i] = labels[idx[i]];
        size[lab[i]]++;
    }
    size_t present = 0;
    for (size_t j = 0; j < k; j++)
        present += size[j] > 0;
    if (present < 2) {
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "the silhouette needs at least 2 clusters among the rows used");
        goto done;
    }
    row_norms(norm, xs, s, d);
    double total = 0.0;
    for (size_t start = 0; start < s; start += SIL_BLOCK) {
        const size_t rows = s - start < SIL_BLOCK ? s - start : SIL_BLOCK;
        block_distances(dist, xs + start * d, norm + start, rows, d, xs, norm, s);
        for (size_t r = 0; r < rows; r++) {
            const size_t i = start + r;
            const double *di = dist + r * s;
            memset(sum, 0, k * sizeof *sum);
            for (size_t q = 0; q < s; q++)
                if (q != i)
                    sum[lab[q]] += sqrt(di[q]);
            const size_t own = (size_t)lab[i];
            if (size[own] < 2)
                continue; /* a singleton scores 0 */
            const double a = sum[own] / (double)(size[own] - 1);
            double b = INFINITY;
            for (size_t j = 0; j < k; j++)
                if (j != own && size[j] > 0 && sum[j] / (double)size[j] < b)
                    b = sum[j] / (double)size[j];
            const double m = a > b ? a : b;
            total += m > 0.0 ? (b - a) / m : 0.0;
        }
    }
    *out = total / (double)s;
done:
    free(idx);
    free(xs);
    free(norm);
    free(lab);
    free(size);
    free(dist);
    free(sum);
    return rc;
}

typedef struct {
    int a, b;
} label_pair;

static int by_pair(const void *pa, const void *pb)
{
    const label_pair *p = pa, *q = pb;
    if (p->a != q->a)
        return (p->a > q->a) - (p->a < q->a);
    return (p->b > q->b) - (p->b < q->b);
}

static int by_int(const void *pa, const void *pb)
{
    const int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

static double pairs(double m)
{
    return m * (m - 1.0) / 2.0;
}

/* Sum over runs of equal values of C(run, 2). */
static double run_pairs(const int *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        s += pairs((double)(j - i));
        i = j;
    }
    return s;
}

int lapse_kmeans_ari(double *out, const int *a, const int *b, size_t n, lapse_error *err)
{
    if (n < 2) {
        *out = 1.0;
        return LAPSE_OK;
    }
    /* Pair counts from sorted copies: no k_a x k_b table, so any labels work. */
    label_pair *p = malloc(n * sizeof *p);
    int *va = malloc(n * sizeof *va), *vb = malloc(n * sizeof *vb);
    if (!p || !va || !vb) {
        free(p);
        free(va);
        free(vb);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        p[i].a = va[i] = a[i];
        p[i].b = vb[i] = b[i];
    }
    qsort(p, n, sizeof *p, by_pair);
    qsort(va, n, sizeof *va, by_int);
    qsort(vb, n, sizeof *vb, by_int);
    double index = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && p[j].a == p[i].a && p[j].b == p[i].b)
            j++;
        index += pairs((double)(j - i));
        i = j;
    }
    const double sa = run_pairs(va, n), sb = run_pairs(vb, n);
    const double expected = sa * sb / pairs((double)n), max = 0.5 * (sa + sb);
    *out = max == expected ? 1.0 : (index - expected) / (max - expected);
    free(p);
    free(va);
    free(vb);
    return LAPSE_OK;
}

enum { ARCH_PRICE, ARCH_FEATURE, ARCH_SOCIAL, ARCH_COUNT };

static const char *const archetype_names[ARCH_COUNT] = { "price-sensitive", "feature-dependent",
                                                         "social-driven" };

/* Best total affinity over injective choices of centroids for archetypes
 * a..2; `skips` archetypes may go without a centroid (k < 3). */
static void best_assignment(int *best, double *best_score, int *cur, double score, int a,
                            int skips, const double *aff, size_t k)
{
    if (a == ARCH_COUNT) {
        if (score > *best_score) {
            *best_score = score;
            memcpy(best, cur, ARCH_COUNT * sizeof *cur);
        }
        return;
    }
    if (skips > 0) {
        cur[a] = -1;
        best_assignment(best, best_score, cur, score, a + 1, skips - 1, aff, k);
    }
    for (size_t c = 0; c < k; c++) {
        int used = 0;
        for (int q = 0; q < a; q++)
            used |= cur[q] == (int)c;
        if (used)
            continue;
        cur[a] = (int)c;
        best_assignment(best, best_score, cur, score + aff[(size_t)a * k + c], a + 1, skips, aff, k);
    }
}

int lapse_kmeans_name(char (*names)[LAPSE_KMEANS_NAME_MAX], const double *centroids, size_t k,
                      size_t d, const lapse_kmeans_roles *roles, const double *mean,
                      const double *sd, lapse_error *err)
{
    const int cols[4] = { roles->share_core, roles->share_social, roles->share_coupon_purchases,
                          roles->spend_per_purchase };
    for (int r = 0; r < 4; r++)
        if ((r < 3 && cols[r] < 0) || cols[r] >= (int)d)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "segment naming needs the core, social and coupon share columns "
                                   "(got %d, %d, %d of %zu; spend %d)",
                                   cols[0], cols[1], cols[2], d, cols[3]);
    if (k < 1)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no segments to name");
    double *z = malloc(4 * k * sizeof *z), *aff = malloc(ARCH_COUNT * k * sizeof *aff);
    if (!z || !aff) {
        free(z);
        free(aff);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    /* z[r * k + c]: standardized value of role r in centroid c. */
    for (int r = 0; r < 4; r++) {
        if (cols[r] < 0) {
            memset(z + (size_t)r * k, 0, k * sizeof *z);
            continue;
        }
        const size_t col = (size_t)cols[r];
        double m, s;
        if (mean && sd) {
            m = mean[col];
            s = sd[col];
        } else {
            m = 0.0;
            double ss = 0.0;
            for (size_t c = 0; c < k; c++)
                m += centroids[c * d + col];
            m /= (double)k;
            for (size_t c = 0; c < k; c++)
                ss += (centroids[c * d + col] - m) * (centroids[c * d + col] - m);
            s = sqrt(ss / (double)k);
        }
        for (size_t c = 0; c < k; c++)
            z[(size_t)r * k + c] = s > 0.0 ? (centroids[c * d + col] - m) / s : 0.0;
    }
    for (size_t c = 0; c < k; c++) {
        aff[ARCH_PRICE * k + c] = z[2 * k + c] - 0.5 * z[3 * k + c];
        aff[ARCH_FEATURE * k + c] = z[0 * k + c];
        aff[ARCH_SOCIAL * k + c] = z[1 * k + c];
    }
    int best[ARCH_COUNT] = { -1, -1, -1 }, cur[ARCH_COUNT];
    double best_score = -INFINITY;
    const int skips = k < ARCH_COUNT ? ARCH_COUNT - (int)k : 0;
    best_assignment(best, &best_score, cur, 0.0, 0, skips, aff, k);
    for (size_t c = 0; c < k; c++)
        names[c][0] = '\0';
    for (int a = 0; a < ARCH_COUNT; a++) {
        if (best[a] < 0)
            continue;
        /* A name only where the centre stands out on that dimension, and on
         * it more than on the other two. */
        const size_t c = (size_t)best[a];
        int stands_out = aff[(size_t)a * k + c] > LAPSE_KMEANS_NAME_MIN_Z;
        for (int b = 0; b < ARCH_COUNT; b++)
            stands_out &= aff[(size_t)b * k + c] <= aff[(size_t)a * k + c];
        if (stands_out)
            snprintf(names[c], LAPSE_KMEANS_NAME_MAX, "%s", archetype_names[a]);
    }
    int unnamed = 0, mixed = 0;
    for (size_t c = 0; c < k; c++)
        unnamed += names[c][0] == '\0';
    for (size_t c = 0; c < k; c++)
        if (names[c][0] == '\0') {
            if (unnamed == 1)
                snprintf(names[c], LAPSE_KMEANS_NAME_MAX, "mixed");
            else
                snprintf(names[c], LAPSE_KMEANS_NAME_MAX, "mixed-%d", ++mixed);
        }
    free(z);
    free(aff);
    return LAPSE_OK;
}
