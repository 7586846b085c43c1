#include "csvcut.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define BLOCK 64

typedef struct {
    uint64_t lf, cr, quote;
} block_marks;

/* Bit i: byte i of the block is '\n', '\r', '"'. */
static void mark_block(const unsigned char *p, block_marks *m)
{
    m->lf = m->cr = m->quote = 0;
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"');
    for (int k = 0; k < BLOCK / 16; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        m->lf |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) << (16 * k);
        m->cr |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)) << (16 * k);
        m->quote |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * k);
    }
#else
    for (int i = 0; i < BLOCK; i++) {
        m->lf |= (uint64_t)(p[i] == '\n') << i;
        m->cr |= (uint64_t)(p[i] == '\r') << i;
        m->quote |= (uint64_t)(p[i] == '"') << i;
    }
#endif
}

/* Bit i: an odd number of quotes at bits 0..i. */
static uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

int lapse_csvcut_scan(lapse_csvcut *scan, const char *text, size_t len, size_t *pos, size_t want,
                      int at_end)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = *pos;
    while (i < len) {
        const size_t n = len - i;
        const unsigned char *p = t + i;
        unsigned char last[BLOCK];
        if (n <= BLOCK) {
            if (!at_end)
                break;
            memset(last, 0, sizeof last); /* a NUL is none of the three */
            memcpy(last, p, n);
            p = last;
        }
        block_marks m;
        mark_block(p, &m);
        const uint64_t valid = n >= BLOCK ? ~0ull : (1ull << n) - 1;
        const uint64_t inside = prefix_xor(m.quote) ^ (scan->quoted ? ~0ull : 0);
        const uint64_t lf_next = (m.lf >> 1) | ((uint64_t)(n > BLOCK && p[BLOCK] == '\n') << 63);
        uint64_t ends = (m.lf | (m.cr & ~lf_next)) & ~inside & valid;
        const size_t count = (size_t)__builtin_popcountll(ends);
        if (scan->ends + count >= want) {
            for (size_t k = want - scan->ends; k > 1; k--)
                ends &= ends - 1;
            const unsigned bit = (unsigned)__builtin_ctzll(ends);
            const uint64_t through = bit == 63 ? ~0ull : (2ull << bit) - 1;
            scan->newlines += __builtin_popcountll(m.lf & through);
            scan->ends = want;
            scan->quoted = 0;
            *pos = i + bit + 1;
            return 1;
        }
        scan->ends += count;
        scan->newlines += __builtin_popcountll(m.lf & valid);
        scan->quoted = (int)(inside >> 63);
        i += n < BLOCK ? n : BLOCK;
    }
    *pos = i;
    return 0;
}
