/* A small seeded generator (splitmix64) shared by the learning modules, so
 * that the same seed gives the same restarts, samples and folds on every
 * platform (rand() differs between C libraries). */
#ifndef LAPSE_LEARN_RNG_H
#define LAPSE_LEARN_RNG_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t learn_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double learn_rng_uniform(uint64_t *state)
{
    return (double)(learn_rng_next(state) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0. */
static inline size_t learn_rng_below(uint64_t *state, size_t n)
{
    size_t i = (size_t)(learn_rng_uniform(state) * (double)n);
    return i < n ? i : n - 1;
}

/* Fisher-Yates shuffle of idx[0..n). */
static inline void learn_rng_shuffle(uint64_t *state, size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        const size_t j = learn_rng_below(state, i);
        const size_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

#endif
