/* Prints, one NAME=value a line, the OpenBLAS variables a lapse process
 * would set before restarting itself (src/base/blas.c): the kernels that
 * serve this CPU better than OpenBLAS's own pick, if any, and its threads'
 * spin time. tests/CMakeLists.txt runs it once at configure time and sets
 * them for every test, so that no lapse process of the suite restarts
 * itself to get them (src/cli/main.c). */
#include "lapse/blas.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static const char *const names[] = { "OPENBLAS_CORETYPE", "OPENBLAS_THREAD_TIMEOUT" };
    if (!lapse_blas_prepare_restart())
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (getenv(names[i]))
            printf("%s=%s\n", names[i], getenv(names[i]));
    return 0;
}
