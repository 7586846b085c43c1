/* Which OpenBLAS kernels this process runs.
 *
 * OpenBLAS (0.3.21 in Debian 12) picks its kernels once, when it loads, from
 * a table of CPU models; on CPUs it does not know (recent Xeons, many VMs)
 * it falls back to "Prescott" kernels whose DGEMM is about 4x slower than
 * the AVX-512 ones the CPU can run. Its OPENBLAS_CORETYPE variable overrides
 * the choice, but only before it loads, so the lapse command restarts itself
 * once with it set (see src/cli/main.c). Everything lapse knows about
 * the kernel sets lives in src/base/blas.c. */
#ifndef LAPSE_BLAS_H
#define LAPSE_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/* When the loaded kernels are slower than this CPU can run ("SkylakeX" serves
 * AVX-512, "Haswell" AVX2 and FMA) and OPENBLAS_CORETYPE is unset, sets it
 * to the better set and returns 1: the program should then run itself again
 * (exec), because OpenBLAS reads the variable only when it loads. Returns 0
 * otherwise, or when the variable cannot be set. */
int lapse_blas_prepare_restart(void);

#ifdef __cplusplus
}
#endif

#endif
