/* Everything lapse knows about OpenBLAS's kernels and threads. */
#include "lapse/blas.h"

#include "blas_internal.h"
#include "lapse/error.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CORETYPE_VAR "OPENBLAS_CORETYPE"
#define TIMEOUT_VAR "OPENBLAS_THREAD_TIMEOUT"

/* Kernel sets OpenBLAS falls back to that predate AVX2. */
static int is_fallback(const char *core)
{
    static const char *const old[] = { "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                       "Atom",     "unknown" };
    for (size_t i = 0; i < sizeof old / sizeof old[0]; i++)
        if (strcasecmp(core, old[i]) == 0)
            return 1;
    return 0;
}

/* A kernel set this CPU runs faster than core, or NULL. */
static const char *better_than(const char *core)
{
#if defined(__x86_64__) && defined(__GNUC__)
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx512 && (is_fallback(core) || strcasecmp(core, "Haswell") == 0 ||
                   strcasecmp(core, "Sandybridge") == 0))
        return "SkylakeX";
    if (avx2 && (is_fallback(core) || strcasecmp(core, "Sandybridge") == 0))
        return "Haswell";
#else
    (void)core;
    (void)is_fallback;
#endif
    return NULL;
}

int lapse_blas_prepare_restart(void)
{
    int set = 0;
    if (!getenv(TIMEOUT_VAR))
        set |= setenv(TIMEOUT_VAR, "22", 1) == 0;
    if (!getenv(CORETYPE_VAR)) {
        const char *core = better_than(openblas_get_corename());
        set |= core && setenv(CORETYPE_VAR, core, 1) == 0;
    }
    return set;
}

const char *lapse_blas_thread_timeout(void)
{
    return getenv(TIMEOUT_VAR);
}

void lapse_blas_warn_slow_kernels(void)
{
    static atomic_int said = 0;
    const char *core = openblas_get_corename();
    const char *better = better_than(core);
    if (better && atomic_exchange(&said, 1) == 0)
        lapse_log(LAPSE_LOG_WARN,
                  "OpenBLAS uses its generic %s kernels on this CPU; run with "
                  CORETYPE_VAR "=%s for several times faster scoring",
                  core, better);
}

/* Who holds OpenBLAS's thread count: the holders' count, the setting
 * before the first of them, and the one chosen (0: none). */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static int holders, saved_threads, chosen_threads;

void lapse_blas_threads_begin(int threads)
{
    pthread_mutex_lock(&threads_lock);
    if (holders++ == 0) {
        saved_threads = openblas_get_num_threads();
        chosen_threads = 0;
    }
    /* Only ever down while held: fewer BLAS threads than a holder asked
     * for is slower, more would fight its own threads. */
    if (threads > 0 && (chosen_threads == 0 || threads < chosen_threads)) {
        chosen_threads = threads;
        openblas_set_num_threads(threads);
    }
    pthread_mutex_unlock(&threads_lock);
}

void lapse_blas_threads_end(void)
{
    pthread_mutex_lock(&threads_lock);
    if (--holders == 0 && chosen_threads != 0)
        openblas_set_num_threads(saved_threads);
    pthread_mutex_unlock(&threads_lock);
}
