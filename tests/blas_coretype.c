/* Prints the OPENBLAS_CORETYPE that serves this CPU better than the kernels
 * OpenBLAS picks by itself, or nothing. tests/CMakeLists.txt runs it once at
 * configure time and sets the variable for every test, so that no lapse
 * process of the suite restarts itself to get it (src/cli/main.c). */
#include "lapse/blas.h"

#include <stdio.h>

int main(void)
{
    const char *core = lapse_blas_better_coretype();
    if (core)
        fputs(core, stdout);
    return 0;
}
