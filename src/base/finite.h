/* Internal: the check every numeric fit makes before touching BLAS. */
#ifndef LAPSE_FINITE_H
#define LAPSE_FINITE_H

#include "lapse/error.h"

#include <stddef.h>

/* LAPSE_ERR_ARG naming the first row and column (1-based) of x (n x d,
 * row-major) that is NaN or infinite; 0 when every value is finite. */
int lapse_check_finite(const double *x, size_t n, size_t d, lapse_error *err);

#endif
