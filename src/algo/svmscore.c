/* Block-wise SVM decision values: GEMM, vectorised exp, GEMV, threads. */
#include "lapse/svmscore.h"

#include "blas_internal.h"
#include "parallel.h"

#include <cblas.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What one thread reuses from block to block; each in its own allocation,
 * aligned to a cache line, so threads never share a line. */
typedef struct {
    double *xc;  /* block_rows x d, centred rows */
    float *xf;   /* the same in float (single precision) */
    double *xx;  /* gamma * |xc_r|^2 */
    float *xxf;
    double *acc; /* sum_i coef_i K_ir */
    void *k;     /* block_svs x block_rows kernel values, double or float */
} scratch;

struct lapse_svm_scorer {
    lapse_svm_kernel kernel;
    size_t d, n_sv, block_rows, block_svs;
    int threads, single;
    double gamma, rho;
    double *mu;   /* d: the support vectors' mean */
    double *sv;   /* n_sv x d, centred */
    double *ss;   /* gamma * |sv_i - mu|^2 */
    double *coef;
    float *svf, *ssf;
    double *w;    /* linear: folded weights */
    scratch *scratch; /* one per thread */
};

void lapse_svm_scorer_free(lapse_svm_scorer *s)
{
    if (!s)
        return;
    if (s->scratch)
        for (int t = 0; t < s->threads; t++) {
            scratch *w = &s->scratch[t];
            free(w->xc);
            free(w->xf);
            free(w->xx);
            free(w->xxf);
            free(w->acc);
            free(w->k);
        }
    free(s->scratch);
    free(s->mu);
    free(s->sv);
    free(s->ss);
    free(s->coef);
    free(s->svf);
    free(s->ssf);
    free(s->w);
    free(s);
}

int lapse_svm_scorer_create(lapse_svm_scorer **out, const lapse_svm_model *m,
                            const lapse_svm_scorer_options *opts, lapse_error *err)
{
    *out = NULL;
    lapse_svm_scorer_options defaults = LAPSE_SVM_SCORER_OPTIONS_INIT;
    const lapse_svm_scorer_options *o = opts ? opts : &defaults;
    if (m->kernel != LAPSE_SVM_RBF && m->kernel != LAPSE_SVM_LINEAR)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "unknown SVM kernel %d",
                               (int)m->kernel);
    if (m->d == 0 || m->d > INT_MAX || (m->n_sv > 0 && (!m->sv || !m->coef)) ||
        (m->kernel == LAPSE_SVM_RBF && !(m->gamma > 0 && isfinite(m->gamma))))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "inconsistent SVM model (%zu support vectors, %zu features, "
                               "gamma %g)", m->n_sv, m->d, m->gamma);
    if (o->threads < 0 || o->threads > 1024)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "thread count %d outside 0..1024", o->threads);
    if (o->block_rows > (1u << 20) || o->block_svs > (1u << 20))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "block size too large");

    lapse_svm_scorer *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    size_t d = m->d, l = m->n_sv;
    s->kernel = m->kernel;
    s->d = d;
    s->n_sv = l;
    s->gamma = m->gamma;
    s->rho = m->rho;
    s->single = o->single_precision && m->kernel == LAPSE_SVM_RBF;
    s->block_rows = o->block_rows ? o->block_rows : 256;
    s->block_svs = o->block_svs ? o->block_svs : 512;
    if (s->block_svs > l && l > 0)
        s->block_svs = l;
    s->threads = lapse_parallel_threads(o->threads, 1024);

    if (m->kernel == LAPSE_SVM_LINEAR) {
        s->w = calloc(d, sizeof *s->w);
        if (!s->w)
            goto nomem;
        for (size_t i = 0; i < l; i++)
            cblas_daxpy((int)d, m->coef[i], m->sv + i * d, 1, s->w, 1);
    } else {
        s->mu = calloc(d, sizeof *s->mu);
        s->sv = malloc((l * d > 0 ? l * d : 1) * sizeof *s->sv);
        s->ss = malloc((l ? l : 1) * sizeof *s->ss);
        s->coef = malloc((l ? l : 1) * sizeof *s->coef);
        if (!s->mu || !s->sv || !s->ss || !s->coef)
            goto nomem;
        memcpy(s->coef, m->coef, l * sizeof *s->coef);
        for (size_t i = 0; i < l; i++)
            for (size_t j = 0; j < d; j++)
                s->mu[j] += m->sv[i * d + j];
        for (size_t j = 0; j < d && l > 0; j++)
            s->mu[j] /= (double)l;
        if (s->single) {
            s->svf = malloc((l * d > 0 ? l * d : 1) * sizeof *s->svf);
            s->ssf = malloc((l ? l : 1) * sizeof *s->ssf);
            if (!s->svf || !s->ssf)
                goto nomem;
        }
        for (size_t i = 0; i < l; i++) {
            double sum = 0, sumf = 0;
            for (size_t j = 0; j < d; j++) {
                double v = m->sv[i * d + j] - s->mu[j];
                s->sv[i * d + j] = v;
                sum += v * v;
                if (s->single) {
                    /* The norm of the rounded vector, so distances stay consistent. */
                    float f = (float)v;
                    s->svf[i * d + j] = f;
                    sumf += (double)f * f;
                }
            }
            s->ss[i] = s->gamma * sum;
            if (s->single)
                s->ssf[i] = (float)(s->gamma * sumf);
        }
    }

    s->scratch = calloc((size_t)s->threads, sizeof *s->scratch);
    if (!s->scratch)
        goto nomem;
    size_t R = s->block_rows, S = s->block_svs ? s->block_svs : 1;
    for (int t = 0; t < s->threads; t++) {
        scratch *w = &s->scratch[t];
        w->acc = lapse_parallel_scratch(R * sizeof *w->acc);
        if (!w->acc)
            goto nomem;
        if (s->kernel == LAPSE_SVM_LINEAR)
            continue;
        w->xc = lapse_parallel_scratch(R * d * sizeof *w->xc);
        w->xx = lapse_parallel_scratch(R * sizeof *w->xx);
        if (!w->xc || !w->xx)
            goto nomem;
        if (s->single) {
            w->xf = lapse_parallel_scratch(R * d * sizeof *w->xf);
            w->xxf = lapse_parallel_scratch(R * sizeof *w->xxf);
            w->k = lapse_parallel_scratch(R * S * sizeof(float));
            if (!w->xf || !w->xxf || !w->k)
                goto nomem;
        } else {
            w->k = lapse_parallel_scratch(R * S * sizeof(double));
            if (!w->k)
                goto nomem;
        }
    }
    /* OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so all the
     * library can do about slow kernels is say so. */
    lapse_blas_warn_slow_kernels();
    *out = s;
    return 0;
nomem:
    lapse_svm_scorer_free(s);
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1,
                           "out of memory for an SVM scorer (%zu support vectors)", m->n_sv);
}

/* exp(t) for t <= 0 on 8 lanes, to about 2 ulp, with GCC's generic vectors
 * (bit casts free, lowered to whatever the target has: SSE2 halves, AVX2,
 * AVX-512): t = n ln2 + r with |r| <= ln2/2, e^r by its degree-12 Taylor
 * polynomial (truncation below 2e-16), 2^n built in the exponent bits.
 * Below -708 the result (under 3.4e-308) is 0. NaN stays NaN. */
typedef double vd8 __attribute__((vector_size(64)));
typedef int64_t vi8 __attribute__((vector_size(64)));
typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vj16 __attribute__((vector_size(64)));
typedef double vd16 __attribute__((vector_size(128)));

/* In place, through a pointer: vectors passed by value would change the
 * ABI between the clones. */
static inline void vexp_nonpos(vd8 *io)
{
    vd8 t = *io;
    const double shift = 0x1.8p52, log2e = 0x1.71547652b82fep0;
    const double ln2_hi = 0x1.62e42fefa3800p-1, ln2_lo = 0x1.ef35793c76730p-45;
    vi8 low = t < -708.0;
    vd8 floor = { -708.0, -708.0, -708.0, -708.0, -708.0, -708.0, -708.0, -708.0 };
    vd8 tc = (vd8)(((vi8)t & ~low) | ((vi8)floor & low));
    vd8 kd = tc * log2e + shift;
    vi8 ki = (vi8)kd;
    kd -= shift;
    vd8 r = tc - kd * ln2_hi - kd * ln2_lo;
    vd8 p = r * (1.0 / 479001600.0) + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    vd8 v = p * (vd8)((ki + 1023) << 52);
    *io = (vd8)((vi8)v & ~low);
}

/* Float version on 16 lanes: degree-6 polynomial (truncation below
 * 1.5e-7), zero below -87. */
static inline void vexpf_nonpos(vf16 *io)
{
    vf16 t = *io;
    const float shift = 0x1.8p23f, log2e = 0x1.715476p0f;
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    vj16 low = t < -87.0f;
    vf16 tc = (vf16)(((vj16)t & ~low) | ((vj16)(t - t + -87.0f) & low));
    vf16 kd = tc * log2e + shift;
    vj16 ki = (vj16)kd;
    kd -= shift;
    vf16 r = tc - kd * ln2_hi - kd * ln2_lo;
    vf16 p = r * (1.0f / 720.0f) + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    vf16 v = p * (vf16)((ki + 127) << 23);
    *io = (vf16)((vj16)v & ~low);
}

/* k[i][r] (2 gamma sv_i.x_r on entry) becomes exp(-gamma |x_r - sv_i|^2),
 * the squared distance clamped at 0 against rounding. Cloned for AVX-512
 * and AVX2 so one binary runs everywhere and uses the widest vectors the
 * CPU has; chosen by CPU features, not by model name ("arch=" clones fall
 * back to the default in VMs that report a generic model). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
/* (ThreadSanitizer instruments the clones' ifunc resolver, which runs
 * before its runtime starts: TSan builds take the plain version.)
 * Fused multiply-adds where the clone has them (ISO C mode turns
 * contraction off): half the instructions in the polynomials, and each
 * step rounds once instead of twice. */
#define LAPSE_CLONES                                                                             \
    __attribute__((target_clones("avx512f", "avx2", "default"), optimize("fp-contract=fast")))
#else
#define LAPSE_CLONES
#endif

/* n <= 8 rows of one support vector's kernel values; the last block of a
 * row range is padded with zeros, so every row takes the same exp. Inlined
 * with n = 8 for the full blocks. */
static inline void rbf_lanes(double *k, const double *xx, double si, size_t n)
{
    vd8 g = { 0 }, x = { 0 };
    memcpy(&g, k, n * sizeof k[0]);
    memcpy(&x, xx, n * sizeof xx[0]);
    vd8 t = g - si - x;
    t = (vd8)((vi8)t & ~(t > 0.0)); /* a NaN fails > 0 and stays */
    vexp_nonpos(&t);
    memcpy(k, &t, n * sizeof k[0]);
}

static inline void rbf_lanes_f(const float *k, const float *xx, float si, double c, double *acc,
                               size_t n)
{
    vf16 g = { 0 }, x = { 0 };
    vd16 a = { 0 };
    memcpy(&g, k, n * sizeof k[0]);
    memcpy(&x, xx, n * sizeof xx[0]);
    memcpy(&a, acc, n * sizeof acc[0]);
    vf16 t = g - si - x;
    t = (vf16)((vj16)t & ~(t > 0.0f));
    vexpf_nonpos(&t);
    a += c * __builtin_convertvector(t, vd16);
    memcpy(acc, &a, n * sizeof acc[0]);
}

LAPSE_CLONES
static void rbf_block(double *restrict k, size_t svs, size_t rows, const double *restrict ss,
                      const double *restrict xx)
{
    size_t r8 = rows / 8 * 8;
    for (size_t i = 0; i < svs; i++) {
        double *restrict ki = k + i * rows;
        double si = ss[i];
        for (size_t r = 0; r < r8; r += 8)
            rbf_lanes(ki + r, xx + r, si, 8);
        if (r8 < rows)
            rbf_lanes(ki + r8, xx + r8, si, rows - r8);
    }
}

/* Float kernel values, summed into acc in double across rows: no
 * reassociation, no float drift over thousands of terms. */
LAPSE_CLONES
static void rbf_block_f(float *restrict k, size_t svs, size_t rows, const float *restrict ss,
                        const float *restrict xx, const double *restrict coef,
                        double *restrict acc)
{
    size_t r16 = rows / 16 * 16;
    for (size_t i = 0; i < svs; i++) {
        float *restrict ki = k + i * rows;
        float si = ss[i];
        double c = coef[i];
        for (size_t r = 0; r < r16; r += 16)
            rbf_lanes_f(ki + r, xx + r, si, c, acc + r, 16);
        if (r16 < rows)
            rbf_lanes_f(ki + r16, xx + r16, si, c, acc + r16, rows - r16);
    }
}

static void score_block(const lapse_svm_scorer *s, scratch *w, double *out, const double *x,
                        size_t rows)
{
    size_t d = s->d;
    int n = (int)rows, di = (int)d;
    if (s->kernel == LAPSE_SVM_LINEAR) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, n, di, 1.0, x, di, s->w, 1, 0.0, out, 1);
        for (size_t r = 0; r < rows; r++)
            out[r] -= s->rho;
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        double sum = 0, sumf = 0;
        for (size_t j = 0; j < d; j++) {
            double v = x[r * d + j] - s->mu[j];
            w->xc[r * d + j] = v;
            sum += v * v;
            if (s->single) {
                float f = (float)v;
                w->xf[r * d + j] = f;
                sumf += (double)f * f;
            }
        }
        w->xx[r] = s->gamma * sum;
        if (s->single)
            w->xxf[r] = (float)(s->gamma * sumf);
        w->acc[r] = 0.0;
    }
    for (size_t i0 = 0; i0 < s->n_sv; i0 += s->block_svs) {
        size_t svs = s->n_sv - i0 < s->block_svs ? s->n_sv - i0 : s->block_svs;
        int m = (int)svs;
        if (s->single) {
            float *k = w->k;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, di, (float)(2 * s->gamma),
                        s->svf + i0 * d, di, w->xf, di, 0.0f, k, n);
            rbf_block_f(k, svs, rows, s->ssf + i0, w->xxf, s->coef + i0, w->acc);
        } else {
            double *k = w->k;
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, di, 2 * s->gamma,
                        s->sv + i0 * d, di, w->xc, di, 0.0, k, n);
            rbf_block(k, svs, rows, s->ss + i0, w->xx);
            cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, k, n, s->coef + i0, 1, 1.0,
                        w->acc, 1);
        }
    }
    for (size_t r = 0; r < rows; r++)
        out[r] = w->acc[r] - s->rho;
}

typedef struct {
    const lapse_svm_scorer *s;
    double *out;
    const double *x;
} call;

static int score_rows(void *arg, int thread, size_t r0, size_t rows, lapse_error *err)
{
    (void)err;
    const call *c = arg;
    score_block(c->s, &c->s->scratch[thread], c->out + r0, c->x + r0 * c->s->d, rows);
    return LAPSE_OK;
}

int lapse_svm_scorer_decision(lapse_svm_scorer *s, double *out, const double *x, size_t n,
                              lapse_error *err)
{
    call c = { s, out, x };
    return lapse_parallel_for(s->threads, n, s->block_rows, score_rows, &c, err);
}
