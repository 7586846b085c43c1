/* Internal: the one place that sets OpenBLAS's process-wide thread count,
 * and the warning about slow kernels. */
#ifndef LAPSE_BLAS_INTERNAL_H
#define LAPSE_BLAS_INTERNAL_H

/* Holds OpenBLAS's thread count at threads (<= 0: as it is) until the
 * matching lapse_blas_threads_end(). Calls nest and may come from any
 * thread: while several hold it, the count is the fewest any of them asked
 * for, and the last end restores what it was before the first begin. So
 * two scorers in one process never undo each other's setting. */
void lapse_blas_threads_begin(int threads);
void lapse_blas_threads_end(void);

/* Warns once per process, through lapse_log, when OpenBLAS loaded kernels
 * slower than this CPU can run (OPENBLAS_CORETYPE would choose better ones
 * if set before the program starts). */
void lapse_blas_warn_slow_kernels(void);

/* The OPENBLAS_THREAD_TIMEOUT OpenBLAS loaded with (lapse/blas.h), or NULL
 * when it runs with its default. */
const char *lapse_blas_thread_timeout(void);

#endif
