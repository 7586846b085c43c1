/* Exact decimal-to-double without strtod for plain decimals (numparse.h). */
#include "numparse.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* 10^0 .. 10^19: every power of ten a uint64 holds. */
static const uint64_t pow10_u64[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* 10^0 .. 10^22: the powers of ten that are exact doubles. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* 10^-22 .. 10^0 as 128-bit mantissas, rounded down ({low, high} words;
 * the high word's top bit set): Eisel-Lemire's table, Go's
 * detailedPowersOfTen for these exponents. */
static const uint64_t pow10_mantissa[23][2] = {
    { 0x5324c68b12dd6338ull, 0xf1c90080baf72cb1ull },
    { 0xd3f6fc16ebca5e03ull, 0x971da05074da7beeull },
    { 0x88f4bb1ca6bcf584ull, 0xbce5086492111aeaull },
    { 0x2b31e9e3d06c32e5ull, 0xec1e4a7db69561a5ull },
    { 0x3aff322e62439fcfull, 0x9392ee8e921d5d07ull },
    { 0x09befeb9fad487c2ull, 0xb877aa3236a4b449ull },
    { 0x4c2ebe687989a9b3ull, 0xe69594bec44de15bull },
    { 0x0f9d37014bf60a10ull, 0x901d7cf73ab0acd9ull },
    { 0x538484c19ef38c94ull, 0xb424dc35095cd80full },
    { 0x2865a5f206b06fb9ull, 0xe12e13424bb40e13ull },
    { 0xf93f87b7442e45d3ull, 0x8cbccc096f5088cbull },
    { 0xf78f69a51539d748ull, 0xafebff0bcb24aafeull },
    { 0xb573440e5a884d1bull, 0xdbe6fecebdedd5beull },
    { 0x31680a88f8953030ull, 0x89705f4136b4a597ull },
    { 0xfdc20d2b36ba7c3dull, 0xabcc77118461cefcull },
    { 0x3d32907604691b4cull, 0xd6bf94d5e57a42bcull },
    { 0xa63f9a49c2c1b10full, 0x8637bd05af6c69b5ull },
    { 0x0fcf80dc33721d53ull, 0xa7c5ac471b478423ull },
    { 0xd3c36113404ea4a8ull, 0xd1b71758e219652bull },
    { 0x645a1cac083126e9ull, 0x83126e978d4fdf3bull },
    { 0x3d70a3d70a3d70a3ull, 0xa3d70a3d70a3d70aull },
    { 0xccccccccccccccccull, 0xccccccccccccccccull },
    { 0x0000000000000000ull, 0x8000000000000000ull },
};

/* 10^k for k <= 38 (below 2^127). */
static u128 pow10_u128(int k)
{
    return k <= 19 ? pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* Eight digits at once (SWAR, as in fast_float): a little-endian load of
 * 8 bytes; whether all are ASCII digits, and their value. */
static uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static int eight_digits(uint64_t v)
{
    return ((v & 0xf0f0f0f0f0f0f0f0ull) |
            (((v + 0x0606060606060606ull) & 0xf0f0f0f0f0f0f0f0ull) >> 4)) == 0x3333333333333333ull;
}

static uint64_t eight_digits_value(uint64_t v)
{
    v -= 0x3030303030303030ull;
    v = v * 10 + (v >> 8); /* pairs */
    return ((v & 0x000000ff000000ffull) * (100 + (1000000ull << 32)) +
            ((v >> 16) & 0x000000ff000000ffull) * (1 + (10000ull << 32))) >> 32;
}

/* Reads digits from p into *m (m * 10 + digit each, wrapping past 19
 * digits: the caller counts them). Returns the first byte after them. */
static const char *read_digits(const char *p, const char *end, uint64_t *m)
{
    uint64_t v = *m;
    while (end - p >= 8 && eight_digits(load8(p))) {
        v = v * 100000000u + eight_digits_value(load8(p));
        p += 8;
    }
    while (p < end && (unsigned char)(*p - '0') < 10)
        v = v * 10 + (uint64_t)(*p++ - '0');
    *m = v;
    return p;
}

static int bit_length(u128 v)
{
    const uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;
    return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) : 0;
}

/* The sign of n / d - x * 2^f, or 2 when the exact comparison would need
 * more than 127 bits; n_bits and d_bits are the bit lengths of n and d. */
static int compare(u128 n, int n_bits, u128 d, int d_bits, uint64_t x, int f)
{
    if (d_bits + 56 + (f > 0 ? f : 0) > 127 || n_bits + (f < 0 ? -f : 0) > 127)
        return 2; /* x < 2^56 */
    const u128 left = f < 0 ? n << -f : n;
    const u128 right = f > 0 ? ((u128)x * d) << f : (u128)x * d;
    return (left > right) - (left < right);
}

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double double_of(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* n / d (n, d > 0) rounded to nearest, ties to even, when that is a normal
 * double and the check fits 128 bits: returns 1 with *out, else 0. v is a
 * candidate within a few ulps. */
static int round_ratio(u128 n, u128 d, double v, double *out)
{
    const int n_bits = bit_length(n), d_bits = bit_length(d);
    for (int step = 0; step < 6; step++) {
        if (!(v >= DBL_MIN && v <= DBL_MAX))
            return 0;
        const uint64_t b = bits_of(v);
        const uint64_t m = (b & ((1ull << 52) - 1)) | (1ull << 52); /* v = m * 2^e */
        const int e = (int)(b >> 52) - 1075;
        /* The midpoints to the neighbours: below a power of two the lower
         * neighbour is half an ulp away. */
        const int above = compare(n, n_bits, d, d_bits, 2 * m + 1, e - 1);
        if (above == 2)
            return 0;
        if (above > 0 || (above == 0 && (m & 1))) {
            v = double_of(b + 1);
            continue;
        }
        const int below = m == 1ull << 52 ? compare(n, n_bits, d, d_bits, 4 * m - 1, e - 2)
                                          : compare(n, n_bits, d, d_bits, 2 * m - 1, e - 1);
        if (below == 2)
            return 0;
        if (below < 0 || (below == 0 && (m & 1))) {
            v = double_of(b - 1);
            continue;
        }
        *out = v;
        return 1;
    }
    return 0;
}

/* m * 10^q for m > 0 and q in [-22, 0], correctly rounded to a normal
 * double: the Eisel-Lemire algorithm (Lemire, "Number parsing at a
 * gigabyte per second", 2021), as Go's strconv.eiselLemire64. Returns 1
 * with *out, or 0 where its 128-bit product cannot tell (then round_ratio
 * decides). One or two 64x64 multiplications, where round_ratio's checks
 * took about 8 ms of a 0.26 s scoring run from CSV. */
static int eisel_lemire(uint64_t m, int q, double *out)
{
    const int clz = __builtin_clzll(m);
    m <<= clz;
    /* floor(q * log2(10)) for q <= 0, as (217706 * q) >> 16 */
    const int64_t log2_pow10 = -((217706 * (int64_t)-q + 65535) >> 16);
    uint64_t exponent = (uint64_t)(log2_pow10 + 64 + 1023) - (uint64_t)clz;
    const uint64_t *pow10 = pow10_mantissa[q + 22];
    const u128 x = (u128)m * pow10[1];
    uint64_t x_hi = (uint64_t)(x >> 64), x_lo = (uint64_t)x;
    if ((x_hi & 0x1ff) == 0x1ff && x_lo + m < m) {
        /* The low bits may carry: take the table's low word too. */
        const u128 y = (u128)m * pow10[0];
        const uint64_t y_hi = (uint64_t)(y >> 64), y_lo = (uint64_t)y;
        uint64_t merged_hi = x_hi;
        const uint64_t merged_lo = x_lo + y_hi;
        merged_hi += merged_lo < x_lo;
        if ((merged_hi & 0x1ff) == 0x1ff && merged_lo + 1 == 0 && y_lo + m < m)
            return 0;
        x_hi = merged_hi;
        x_lo = merged_lo;
    }
    const uint64_t msb = x_hi >> 63;
    uint64_t mantissa = x_hi >> (msb + 9);
    exponent -= 1 ^ msb;
    if (x_lo == 0 && (x_hi & 0x1ff) == 0 && (mantissa & 3) == 1)
        return 0; /* halfway between two doubles, maybe */
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if (mantissa >> 53) {
        mantissa >>= 1;
        exponent++;
    }
    if (exponent - 1 >= 0x7ff - 1)
        return 0; /* subnormal, or beyond the largest double */
    *out = double_of(exponent << 52 | (mantissa & ((1ull << 52) - 1)));
    return 1;
}

/* The digits of a decimal with more than 19 of them, some possibly zeros
 * that fit: from p (after the sign) to the first byte that is neither a
 * digit nor the first '.'. Sets *m (at most 19 significant digits), *q
 * (m's power of ten) and *seen (digits read). Returns the end, or NULL
 * when the significant digits do not fit m. */
static const char *long_digits(const char *p, const char *end, uint64_t *m_out, int *q_out,
                               int *seen_out)
{
    uint64_t m = 0;
    /* Significant digits in m, zeros read after them but not yet in m
     * (trailing zeros never are), digits read, and m's power of ten. */
    int digits = 0, zeros = 0, seen = 0, q = 0;
    int in_fraction = 0;
    for (;; p++) {
        if (p < end && *p == '.' && !in_fraction) {
            in_fraction = 1;
            continue;
        }
        if (p == end || *p < '0' || *p > '9')
            break;
        if (++seen > 4096) /* bounds q; strtod takes longer texts */
            return NULL;
        q -= in_fraction;
        if (*p == '0') {
            zeros += m != 0; /* leading zeros are not significant */
            continue;
        }
        if (digits + zeros >= 19)
            return NULL;
        m = m * pow10_u64[zeros + 1] + (uint64_t)(*p - '0');
        digits += zeros + 1;
        zeros = 0;
    }
    *m_out = m;
    *q_out = q + zeros;
    *seen_out = seen;
    return p;
}

int lapse_numparse_decimal(const char *text, size_t len, double *out)
{
    const char *p = text, *const end = text + len;
    const int negative = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+'))
        p++;
    /* Most values have at most 19 digits: read them straight into m. */
    const char *const digits_start = p;
    uint64_t m = 0;
    p = read_digits(p, end, &m);
    int seen = (int)(p - digits_start), q = 0;
    if (p < end && *p == '.') {
        const char *const fraction = ++p;
        p = read_digits(p, end, &m);
        q = -(int)(p - fraction);
        seen -= q;
    }
    if (seen > 19) {
        p = long_digits(digits_start, end, &m, &q, &seen);
        if (!p)
            return 0;
    }
    if (seen == 0)
        return 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        const int exp_negative = p < end && *p == '-';
        if (p < end && (*p == '-' || *p == '+'))
            p++;
        if (p == end || *p < '0' || *p > '9')
            return 0;
        int exponent = 0;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (exponent < 100000)
                exponent = exponent * 10 + (*p - '0');
        q += exp_negative ? -exponent : exponent;
    }
    if (p != end)
        return 0;
    double v;
    if (m == 0) {
        v = 0.0;
    } else if (m <= 1ull << 53 && q >= -22 && q <= 22) {
        v = q < 0 ? (double)m / pow10_exact[-q] : (double)m * pow10_exact[q];
    } else if (q >= -22 && q <= 0 && eisel_lemire(m, q, &v)) {
        /* decided */
    } else if (q >= -38 && (q <= 19 || (q <= 38 && m < pow10_u64[38 - q]))) {
        /* m * 10^q below 10^38; a candidate from rounded operations
         * (within 2 ulps), checked. */
        const double candidate = q < -22   ? (double)m / pow10_exact[22] / pow10_exact[-q - 22]
                                 : q <= 0  ? (double)m / pow10_exact[-q]
                                 : q <= 22 ? (double)m * pow10_exact[q]
                                           : (double)m * pow10_exact[22] * pow10_exact[q - 22];
        if (!round_ratio((u128)m * pow10_u128(q > 0 ? q : 0), pow10_u128(q < 0 ? -q : 0),
                         candidate, &v))
            return 0;
    } else {
        return 0;
    }
    *out = negative ? -v : v;
    return 1;
}
