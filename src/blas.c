#include "lapse/blas.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

const char *lapse_blas_better_coretype(void)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    const char *core = openblas_get_corename();
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx512 && (is_fallback(core) || strcasecmp(core, "Haswell") == 0 ||
                   strcasecmp(core, "Sandybridge") == 0))
        return "SkylakeX";
    if (avx2 && (is_fallback(core) || strcasecmp(core, "Sandybridge") == 0))
        return "Haswell";
    return NULL;
}
