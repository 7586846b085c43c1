/* Which OpenBLAS kernels this process runs.
 *
 * OpenBLAS (0.3.21 in Debian 12) picks its kernels once, when it loads, from
 * a table of CPU models; on CPUs it does not know (recent Xeons, many VMs)
 * it falls back to "Prescott" kernels whose DGEMM is about 4x slower than
 * the AVX-512 ones the CPU can run. Its OPENBLAS_CORETYPE variable overrides
 * the choice, but only before it loads, so the lapse command restarts itself
 * once with it set (see src/cli/main.c). */
#ifndef LAPSE_BLAS_H
#define LAPSE_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/* An OPENBLAS_CORETYPE value that serves this CPU better than the kernels
 * OpenBLAS loaded ("SkylakeX" with AVX-512, "Haswell" with AVX2 and FMA),
 * or NULL when the loaded kernels already use what the CPU has or when
 * OPENBLAS_CORETYPE is already set. */
const char *lapse_blas_better_coretype(void);

#ifdef __cplusplus
}
#endif

#endif
