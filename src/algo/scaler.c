/* Fit, apply and domain check of the feature scaler (lapse/scaler.h). */
#include "lapse/scaler.h"

#include "lapse/error.h"

#include <math.h>
/* The AVX2 step of apply, chosen at run time; LAPSE_SCALER_PORTABLE leaves
 * it out, so that a test can run the portable loop on a CPU with AVX2. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(LAPSE_SCALER_PORTABLE)
#define SCALER_AVX2 1
#include <immintrin.h>
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Counts and whole days below this take log1p from a table: most raw
 * values of a feature table are such numbers, and log1p is most of a
 * scored row's arithmetic. The table is log1p's own results, so the same
 * bits. */
#define LOG1P_TABLE 4096

static double log1p_table[LOG1P_TABLE];
#define TABLE_END_BITS 0x40b0000000000000ull /* the bits of 4096.0 */
static pthread_once_t log1p_once = PTHREAD_ONCE_INIT;

static void fill_log1p_table(void)
{
    for (int k = 0; k < LOG1P_TABLE; k++)
        log1p_table[k] = log1p((double)k);
}

/* log1p of the other inputs, remembered by value per thread: amounts,
 * ratios and means recur across a row's windows and across rows (a third
 * of them in a simulated table). Direct-mapped; an unused slot holds 0,
 * which the table answers before the cache is asked, so it never matches. */
#define LOG1P_CACHE_BITS 11

typedef struct {
    double in, out;
} log1p_slot;

static _Thread_local log1p_slot log1p_cache[1 << LOG1P_CACHE_BITS];

static inline log1p_slot *cache_slot(log1p_slot *cache, double x)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return &cache[(bits * 0x9e3779b97f4a7c15ull) >> (64 - LOG1P_CACHE_BITS)];
}

/* Whether x is a whole number the table holds (0 of either sign too). */
static inline int in_table(double x)
{
    return x >= 0.0 && x < LOG1P_TABLE && (double)(int)x == x;
}

/* log1p(x); 0 (either sign) is itself. The caller has filled the table. */
static inline double table_log1p(double x)
{
    if (in_table(x)) {
        const int k = (int)x;
        return k ? log1p_table[k] : x;
    }
    return log1p(x);
}

int lapse_scaler_alloc(lapse_scaler *s, size_t width)
{
    const size_t n = width ? width : 1; /* calloc(0) may return NULL */
    s->transform = calloc(n, 1);
    s->mean = calloc(n, sizeof *s->mean);
    s->scale = calloc(n, sizeof *s->scale);
    return s->transform && s->mean && s->scale ? LAPSE_OK : LAPSE_ERR_NOMEM;
}

void lapse_scaler_clear(lapse_scaler *s)
{
    free(s->transform);
    free(s->mean);
    free(s->scale);
    s->transform = NULL;
    s->mean = s->scale = NULL;
}

double lapse_scaler_transform(unsigned char transform, double x)
{
    if (transform != LAPSE_TRANSFORM_LOG1P)
        return x;
    pthread_once(&log1p_once, fill_log1p_table);
    return table_log1p(x);
}

double lapse_scaler_value(const lapse_scaler *s, size_t j, double raw)
{
    return (lapse_scaler_transform(s->transform[j], raw) - s->mean[j]) / s->scale[j];
}

/* log1p(v) for a log1p feature's raw value, as table_log1p gives it: the
 * table for whole numbers below its end, else the thread's memory, else
 * log1p itself. */
static inline double transformed(log1p_slot *cache, double v)
{
    /* The table's index without branches (a row mixes counts and
     * fractions): v's bits, as an integer, are below 4096.0's exactly for v
     * in [+0, 4096); k is 0 for any other v, which then differs from k (-0
     * aside: log1p(-0) is -0, so the sign is v's). */
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const uint64_t in_range = bits < TABLE_END_BITS ? bits : 0;
    double below_end;
    memcpy(&below_end, &in_range, sizeof below_end);
    const int k = (int)below_end;
    if ((double)k == v)
        return copysign(log1p_table[k], v);
    log1p_slot *slot = cache_slot(cache, v);
    if (slot->in != v) { /* the same value, so the same bits (not 0: in the table) */
        slot->in = v;
        slot->out = log1p(v);
    }
    return slot->out;
}

/* (t - mean) / scale of a row's transformed values, as a loop the compiler
 * vectorises (the same IEEE operations on each value, so the same bits). */
#define STANDARDISE(o, s, d)                                                                      \
    for (size_t j_ = 0; j_ < (d); j_++)                                                           \
        (o)[j_] = ((o)[j_] - (s)->mean[j_]) / (s)->scale[j_]

static void apply_rows(const lapse_scaler *s, size_t d, const double *raw, size_t n, double *out,
                       log1p_slot *cache)
{
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * d;
        const double *x = raw + i * d;
        for (size_t j = 0; j < d; j++)
            o[j] = s->transform[j] == LAPSE_TRANSFORM_LOG1P ? transformed(cache, x[j]) : x[j];
        STANDARDISE(o, s, d);
    }
}

#ifdef SCALER_AVX2
/* With AVX2, four values a step: the whole numbers of log1p columns
 * gathered from the table at once (-0 too, its sign put back), the columns
 * without a transform kept, and only the other log1p values (fractions,
 * mostly) one by one through transformed(). The same bits as apply_rows:
 * the same table, memory and division. is_log[j] is all ones for a log1p
 * column. */
__attribute__((target("avx2"))) static void apply_rows_avx2(const lapse_scaler *s, size_t d,
                                                             const double *raw, size_t n,
                                                             double *out, log1p_slot *cache,
                                                             const uint64_t *is_log)
{
    const __m256d zero = _mm256_setzero_pd(), end = _mm256_set1_pd(LOG1P_TABLE),
                  sign = _mm256_set1_pd(-0.0);
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * d;
        const double *x = raw + i * d;
        size_t j = 0;
        for (; j + 4 <= d; j += 4) {
            const __m256d v = _mm256_loadu_pd(x + j);
            const __m256d log_lanes = _mm256_loadu_pd((const double *)(const void *)(is_log + j));
            const __m128i k = _mm256_cvttpd_epi32(v);
            const __m256d whole = _mm256_and_pd(
                _mm256_and_pd(log_lanes, _mm256_cmp_pd(v, zero, _CMP_GE_OQ)),
                _mm256_and_pd(_mm256_cmp_pd(v, end, _CMP_LT_OQ),
                              _mm256_cmp_pd(_mm256_cvtepi32_pd(k), v, _CMP_EQ_OQ)));
            const __m256d t = _mm256_mask_i32gather_pd(v, log1p_table, k, whole, 8);
            _mm256_storeu_pd(o + j, _mm256_or_pd(t, _mm256_and_pd(_mm256_and_pd(v, sign), whole)));
            /* x[j + lane] is still the raw value when out is raw: the
             * store above kept v in these lanes. */
            for (unsigned rest = (unsigned)_mm256_movemask_pd(_mm256_andnot_pd(whole, log_lanes));
                 rest; rest &= rest - 1) {
                const unsigned lane = (unsigned)__builtin_ctz(rest);
                o[j + lane] = transformed(cache, x[j + lane]);
            }
        }
        for (; j < d; j++)
            o[j] = is_log[j] ? transformed(cache, x[j]) : x[j];
        STANDARDISE(o, s, d);
    }
}
#endif

void lapse_scaler_apply(const lapse_scaler *s, size_t d, const double *raw, size_t n,
                        double *out)
{
    pthread_once(&log1p_once, fill_log1p_table);
    log1p_slot *cache = log1p_cache;
    __asm__("" : "+r"(cache)); /* the thread's address once, not once per use */
#ifdef SCALER_AVX2
    uint64_t is_log[512];
    if (d <= sizeof is_log / sizeof *is_log && __builtin_cpu_supports("avx2")) {
        for (size_t j = 0; j < d; j++)
            is_log[j] = s->transform[j] == LAPSE_TRANSFORM_LOG1P ? ~0ull : 0;
        apply_rows_avx2(s, d, raw, n, out, cache, is_log);
        return;
    }
#endif
    apply_rows(s, d, raw, n, out, cache);
}

int lapse_scaler_fit(lapse_scaler *s, size_t *bad, const double *x, size_t n, size_t stride,
                     const uint32_t *cols, size_t d)
{
    int rc = LAPSE_OK;
    for (size_t j = 0; j < d; j++) {
        const size_t col = cols ? cols[j] : j;
        const unsigned char t = s->transform[j];
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += lapse_scaler_transform(t, x[i * stride + col]);
        const double m = n ? sum / (double)n : 0;
        /* Two passes: one pass's sum of squares loses the sd of large values. */
        double ss = 0;
        for (size_t i = 0; i < n; i++) {
            const double v = lapse_scaler_transform(t, x[i * stride + col]) - m;
            ss += v * v;
        }
        const double sd = n ? sqrt(ss / (double)n) : 0;
        s->mean[j] = m;
        s->scale[j] = sd > 0 && isfinite(sd) ? sd : 1.0;
        if (!isfinite(m) && rc == LAPSE_OK) {
            *bad = j;
            rc = LAPSE_ERR_RANGE;
        }
    }
    return rc;
}

int lapse_scaler_check(size_t *row, size_t *col, const lapse_scaler *s, size_t d,
                       const double *raw, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* A branch-free pass over the row; the first bad column only when
         * there is one. */
        int bad = 0;
        for (size_t j = 0; j < d; j++)
            bad |= (s->transform[j] == LAPSE_TRANSFORM_LOG1P) & !(raw[i * d + j] > -1.0);
        for (size_t j = 0; bad && j < d; j++) {
            if (s->transform[j] == LAPSE_TRANSFORM_LOG1P && !(raw[i * d + j] > -1.0)) {
                *row = i;
                *col = j;
                return LAPSE_ERR_RANGE;
            }
        }
    }
    return LAPSE_OK;
}
