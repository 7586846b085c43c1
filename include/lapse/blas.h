/* Which OpenBLAS kernels this process runs.
 *
 * OpenBLAS (0.3.21 in Debian 12) picks its kernels once, when it loads, from
 * a table of CPU models; on CPUs it does not know (recent Xeons, many VMs)
 * it falls back to "Prescott" kernels whose DGEMM is about 4x slower than
 * the AVX-512 ones the CPU can run. Its OPENBLAS_CORETYPE variable overrides
 * the choice, but only before it loads, so the lapse command restarts itself
 * once with it set (see src/cli/main.c), and with its threads told not to
 * spin for long. Everything lapse knows about OpenBLAS's kernels and
 * threads lives in src/base/blas.c. */
#ifndef LAPSE_BLAS_H
#define LAPSE_BLAS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Sets, before OpenBLAS's next load, what lapse needs of it and the
 * environment does not say, and returns 1 when it set anything: the program
 * should then run itself again (exec), because OpenBLAS reads these
 * variables only when it loads. Returns 0 when nothing needs setting, or
 * nothing could be set, so a restart happens at most once.
 * - OPENBLAS_CORETYPE, when the loaded kernels are slower than this CPU can
 *   run ("SkylakeX" serves AVX-512, "Haswell" AVX2 and FMA).
 * - OPENBLAS_THREAD_TIMEOUT: OpenBLAS's idle threads spin 2^28 cycles
 *   (0.1 s here) before they sleep, once at load and after every threaded
 *   call; on an idle core that is 0.06-0.09 CPU s of every lapse run, most
 *   of which never call BLAS. 2^22 cycles (~1.6 ms) is still far longer than
 *   the gap between a threaded loop's calls. */
int lapse_blas_prepare_restart(void);

#ifdef __cplusplus
}
#endif

#endif
