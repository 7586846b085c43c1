/* Internal: the library's one way to run work on several threads.
 *
 * Two shapes: a parallel-for over blocks of an index range, and an ordered
 * pipeline (items made on worker threads, handed to the caller in order).
 * Both hold OpenBLAS at one thread while they run (our threads split the
 * work; its own would only fight them), start no thread when one would do,
 * join every thread they start before returning, and report the error of
 * the lowest failing block or item, so errors do not depend on timing.
 * A thread that cannot start leaves its share to the others (a warning
 * through lapse_log): fewer threads, the same results. Calls may nest. */
#ifndef LAPSE_PARALLEL_H
#define LAPSE_PARALLEL_H

#include "lapse/error.h"

#include <stddef.h>

/* Work on rows [start, start + count) on thread number thread (in
 * [0, threads): an index for per-thread scratch). Returns 0, or a negative
 * lapse_status with err (the thread's own) filled in. */
typedef int (*lapse_parallel_block_fn)(void *arg, int thread, size_t start, size_t count,
                                       lapse_error *err);

/* Runs fn over [0, n) in blocks of block (> 0) rows, the last one shorter,
 * on up to threads threads; the calling thread is thread 0. Blocks are
 * handed out in order from a shared counter. After a block fails no new
 * block starts (those running finish). Returns 0 when every block
 * returned 0; else the status of the lowest failing block, with its error
 * copied into err (which may be NULL). */
int lapse_parallel_for(int threads, size_t n, size_t block, lapse_parallel_block_fn fn, void *arg,
                       lapse_error *err);

/* Makes item number item on worker thread number thread (in [0, threads)),
 * typically into slot item % window of the caller's buffers. Returns 0 or
 * a negative lapse_status with err (the thread's own) filled in. */
typedef int (*lapse_parallel_make_fn)(void *arg, int thread, size_t item, lapse_error *err);

/* Takes item number item, made, on the calling thread. Returns 0 or a
 * negative lapse_status with err filled in. */
typedef int (*lapse_parallel_take_fn)(void *arg, size_t item, lapse_error *err);

/* For item 0 to n - 1: make(item) on one of threads worker threads, then
 * take(item) on the calling thread, in item order. make(item) starts only
 * after take(item - window) returned, so at most window (> 0) items are in
 * flight and slot item % window is free for it. With threads <= 1 it runs
 * make(0), take(0), make(1), ... on the calling thread. Stops at the first
 * failure in item order (make's or take's) and returns its status, with its
 * error copied into err (which may be NULL); 0 when all succeeded. */
int lapse_parallel_ordered(int threads, size_t n, size_t window, lapse_parallel_make_fn make,
                           lapse_parallel_take_fn take, void *arg, lapse_error *err);

/* threads, or for 0 one per online CPU up to max (>= 1). */
int lapse_parallel_threads(int threads, int max);

/* Memory for one thread's scratch, in whole cache lines of its own, so
 * threads never write to a shared line. Free with free(); NULL when out
 * of memory. */
void *lapse_parallel_scratch(size_t bytes);

#endif
