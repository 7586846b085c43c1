/* The shortest round-trip decimal of a double, fast (numtext.h). */
#include "lapse/numtext.h"

#include "numparse.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

/* Writes the decimal digits of u (at most 20) to buf; returns how many.
 * Two digits a step, from a table: half the chain of divisions. */
static size_t put_digits(char *buf, uint64_t u)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char digits[20];
    size_t i = sizeof digits;
    while (u >= 100) {
        const unsigned r = (unsigned)(u % 100);
        u /= 100;
        i -= 2;
        memcpy(digits + i, pairs + 2 * r, 2);
    }
    if (u >= 10) {
        i -= 2;
        memcpy(digits + i, pairs + 2 * u, 2);
    } else {
        digits[--i] = (char)('0' + u);
    }
    memcpy(buf, digits + i, sizeof digits - i);
    return sizeof digits - i;
}

/* floor(x * 10^k) and round(x * 10^k), ties to even, for x = mant *
 * 2^-shift (k <= 22, shift in 1..127, mant < 2^53): exact in 128 bits.
 * Returns 0 when it would not fit. */
static int scaled_digits(uint64_t *floor_out, uint64_t *out, uint64_t mant, int shift, int k)
{
    static const uint64_t p10[23] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
    };
    if (k < 0 || k > 22 || shift < 1 || shift > 127)
        return 0;
    /* 10^k as p10[min(k,19)] * 10^(k-19): mant * 10^k < 2^53 * 2^74 */
    u128 n = (u128)mant * p10[k < 19 ? k : 19];
    for (int i = 19; i < k; i++)
        n *= 10;
    const u128 q = n >> shift, r = n & (((u128)1 << shift) - 1), half = (u128)1 << (shift - 1);
    if (q >> 64)
        return 0;
    *floor_out = (uint64_t)q;
    *out = (uint64_t)q + (r > half || (r == half && (q & 1)));
    return 1;
}

/* Writes the p digits of d (10^(p-1) <= d < 10^p), decimal exponent x, as
 * %.{p}g does for -4 <= x < p, after the sign; returns the length. */
static size_t put_g(char *buf, uint64_t d, int p, int x)
{
    char digits[17];
    put_digits(digits, d);
    int last = p - 1; /* %g drops trailing zeros */
    while (last > 0 && digits[last] == '0')
        last--;
    size_t n = 0;
    if (x < 0) { /* 0.000ddd */
        buf[n++] = '0';
        buf[n++] = '.';
        for (int z = -1; z > x; z--)
            buf[n++] = '0';
        memcpy(buf + n, digits, (size_t)last + 1);
        n += (size_t)last + 1;
    } else { /* ddd.ddd */
        memcpy(buf + n, digits, (size_t)x + 1);
        n += (size_t)x + 1;
        if (last > x) {
            buf[n++] = '.';
            memcpy(buf + n, digits + x + 1, (size_t)(last - x));
            n += (size_t)(last - x);
        }
    }
    return n;
}

/* %.{p}g of v (p 15 to 17) in the C locale, as snprintf writes it, for 1e-6
 * <= |v| < 10^(p-1): whole numbers below 2^53 and every other magnitude
 * there take an exact integer path (digits = round(|v| * 10^(p-1-x)), ties
 * to even, x the decimal exponent); returns 0 where it does not decide
 * (then the caller asks snprintf). */
static size_t format_g(char buf[LAPSE_NUMTEXT_MAX], double v, int p)
{
    static const uint64_t pow10[18] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull,
    };
    const double a = fabs(v);
    if (!(a >= 1e-6 && a < (double)pow10[p - 1]))
        return 0;
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    if (a < 9007199254740992.0 && a == (double)(uint64_t)a) {
        n += put_digits(buf + n, (uint64_t)a); /* at most p digits here */
        buf[n] = '\0';
        return n;
    }
    int exp2;
    const double frac = frexp(a, &exp2); /* a = frac * 2^exp2, frac in [0.5, 1) */
    const uint64_t mant = (uint64_t)ldexp(frac, 53);
    const int shift = 53 - exp2; /* a = mant * 2^-shift; a < 2^53 here, so shift >= 1 */
    /* p digits: d = round(a * 10^(p - 1 - x)), x the decimal exponent
     * (10^x <= a < 10^(x+1), exactly: floor(a * 10^(p - 1 - x)) has p
     * digits), found from log10 and corrected. Rounding up to 10^p makes
     * the digits 1 at the next exponent. */
    int x = (int)floor(log10(a));
    uint64_t t, d;
    for (int tries = 0;; tries++) {
        if (tries == 3 || !scaled_digits(&t, &d, mant, shift, p - 1 - x))
            return 0;
        if (t >= pow10[p])
            x++;
        else if (t < pow10[p - 1])
            x--;
        else
            break;
    }
    if (d == pow10[p]) {
        d = pow10[p - 1];
        x++;
    }
    if (x >= p) /* %g's exponent form for the large: left to snprintf */
        return 0;
    if (x >= -4) {
        n += put_g(buf + n, d, p, x);
        buf[n] = '\0';
        return n;
    }
    char digits[17]; /* d.ddde-05 */
    put_digits(digits, d);
    int last = p - 1; /* %g drops trailing zeros */
    while (last > 0 && digits[last] == '0')
        last--;
    buf[n++] = digits[0];
    if (last > 0) {
        buf[n++] = '.';
        memcpy(buf + n, digits + 1, (size_t)last);
        n += (size_t)last;
    }
    n += (size_t)snprintf(buf + n, 8, "e-%02d", -x);
    return n;
}

/* The parts of a positive normal double: a = mant * 2^-shift, mant with its
 * leading bit (2^52 <= mant < 2^53); returns its binary exponent e
 * (2^e <= a < 2^(e+1)). */
static int split_double(double a, uint64_t *mant, int *shift)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    const int biased = (int)(bits >> 52) & 0x7ff;
    *mant = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    *shift = 1075 - biased;
    return biased - 1023;
}

/* lapse_numtext_double for 1e-4 <= |v| < 1e14 (%g's fixed form at every
 * precision), with one exact product in place of up to three printf and
 * read-back rounds: the 17 digits of |v| and their remainder, exactly, give
 * the 15- and 16-digit roundings (ties to even, as printf); a rounding
 * reads back as v exactly when it lies inside v's rounding interval (half
 * an ulp each side, a quarter below at a power of two; the boundary itself
 * when v's mantissa is even, as strtod breaks ties), which the remainder
 * decides in integers. Returns 0 outside that range. */
static size_t shortest_fixed(char buf[LAPSE_NUMTEXT_MAX], double v)
{
    static const uint64_t p10[20] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
        100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
    };
    const double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e14))
        return 0;
    uint64_t mant;
    int shift;
    const int e = split_double(a, &mant, &shift); /* shift in 7..67 here */
    /* x, the decimal exponent, from e log10 2 (1233 / 4096 is close),
     * then corrected by the digit count. */
    int x = (e * 1233) >> 12;
    u128 n, pow;
    uint64_t t;
    for (int tries = 0;; tries++) {
        const int k = 16 - x; /* 17 digits: floor(a * 10^k) */
        if (tries == 3 || k < 0 || k > 20)
            return 0;
        pow = k <= 19 ? (u128)p10[k] : (u128)p10[19] * 10;
        n = (u128)mant * pow; /* < 2^53 * 10^20 < 2^120 */
        t = (uint64_t)(n >> shift);
        if (t >= p10[17])
            x++;
        else if (t < p10[16])
            x--;
        else
            break;
    }
    const u128 r = n & (((u128)1 << shift) - 1), half = (u128)1 << (shift - 1);
    /* pow is v's ulp in units of 2^-shift of the 17-digit scale. */
    const int even = !(mant & 1), binade_floor = mant == (1ull << 52);
    size_t len = v < 0;
    if (v < 0)
        buf[0] = '-';
    for (int p = 15; p <= 17; p++) {
        const uint64_t div = p10[17 - p];
        uint64_t d = t / div;
        const uint64_t rem = t % div;
        int up;
        if (p == 17)
            up = r > half || (r == half && (d & 1));
        else
            up = rem > div / 2 || (rem == div / 2 && (r > 0 || (d & 1)));
        d += (uint64_t)up;
        /* The rounding minus v, in units of 2^-shift of the 17-digit scale:
         * (d div - t) 2^shift - r, with |d div - t| <= div. */
        const i128 gap = (i128)(int64_t)(d * div - t) * ((i128)1 << shift) - (i128)r;
        const u128 mag = gap < 0 ? (u128)-gap : (u128)gap;
        const u128 twice = (gap < 0 && binade_floor ? 4 : 2) * mag;
        if (p < 17 && !(twice < pow || (twice == pow && even)))
            continue;
        int xp = x;
        if (d == p10[p]) { /* rounded up to the next power of ten */
            d = p10[p - 1];
            xp++;
        }
        len += put_g(buf + len, d, p, xp);
        buf[len] = '\0';
        return len;
    }
    return 0;
}

/* Whether text reads back as exactly v (the sign of zero too). */
static int reads_back(const char *text, size_t len, double v)
{
    double r;
    if (!lapse_numparse_decimal(text, len, &r))
        r = strtod(text, NULL);
    return r == v && signbit(r) == signbit(v);
}

size_t lapse_numtext_double(char buf[LAPSE_NUMTEXT_MAX], double v)
{
    buf[0] = '\0';
    if (!isfinite(v))
        return 0;
    /* %g drops trailing zeros, so %.15g is already as short as the value
     * allows when 15 digits are enough; 17 are enough for every double. */
    /* Whole numbers first: their digits are exact. */
    const double a = fabs(v);
    if (a >= 1 && a < 1e14 && a == (double)(uint64_t)a) {
        size_t n = 0;
        if (v < 0)
            buf[n++] = '-';
        n += put_digits(buf + n, (uint64_t)a);
        buf[n] = '\0';
        return n;
    }
    size_t len = shortest_fixed(buf, v);
    if (len)
        return len;
    for (int digits = 15; digits <= 17; digits++) {
        len = format_g(buf, v, digits);
        if (!len)
            len = (size_t)snprintf(buf, LAPSE_NUMTEXT_MAX, "%.*g", digits, v);
        if (digits == 17 || reads_back(buf, len, v))
            break;
    }
    return len;
}

size_t lapse_numtext_cents(char buf[LAPSE_NUMTEXT_MAX], double v)
{
    size_t n = 0;
    if (signbit(v))
        buf[n++] = '-';
    const double a = fabs(v);
    uint64_t cents = 0;
    if (a >= 0.001) { /* below, a * 100 < 0.1 rounds to 0 */
        /* round(a * 100), ties to even, exact in 128 bits: a = mant *
         * 2^-shift with shift in 3..63 here. */
        uint64_t mant;
        int shift;
        split_double(a, &mant, &shift);
        const u128 scaled = (u128)mant * 100;
        const u128 q = scaled >> shift, r = scaled & (((u128)1 << shift) - 1),
                   half = (u128)1 << (shift - 1);
        cents = (uint64_t)q + (r > half || (r == half && (q & 1)));
    }
    n += put_digits(buf + n, cents / 100);
    buf[n++] = '.';
    buf[n++] = (char)('0' + cents / 10 % 10);
    buf[n++] = (char)('0' + cents % 10);
    buf[n] = '\0';
    return n;
}
