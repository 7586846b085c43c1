/* Shared by score.c and score_write.c. */
#ifndef LAPSE_SCORE_INTERNAL_H
#define LAPSE_SCORE_INTERNAL_H

#include <stddef.h>

/* Runs fn over [0, n) in blocks of block rows: fn(arg, thread, r0, rows),
 * thread in [0, threads). Blocks are handed out in order from a shared
 * counter; the calling thread is thread 0. OpenBLAS is set to one thread
 * meanwhile and restored after. A thread that cannot start leaves its
 * blocks to the others. */
void lapse__score_parallel(int threads, size_t n, size_t block,
                           void (*fn)(void *arg, int thread, size_t r0, size_t rows), void *arg);

/* The threads a scorer runs. */
struct lapse_scorer;
int lapse__score_threads(const struct lapse_scorer *scorer);

#endif
