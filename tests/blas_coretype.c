/* Prints the OPENBLAS_CORETYPE that serves this CPU better than the kernels
 * OpenBLAS picks by itself, or nothing. tests/CMakeLists.txt runs it once at
 * configure time and sets the variable for every test, so that no lapse
 * process of the suite restarts itself to get it (src/cli/main.c). */
#include "lapse/blas.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    if (lapse_blas_prepare_restart())
        fputs(getenv("OPENBLAS_CORETYPE"), stdout);
    return 0;
}
