/* Internal: the binary feature table (datasets/README.md, "Binary tables").
 *
 * A table T.npy is two files: T.npy, NumPy's .npy format (version 1.0, 2.0
 * or 3.0 read; 1.0 written): a '<f8' (little-endian float64) C-order
 * matrix of shape (rows, features), the features in this lapse's schema
 * order, its header padded so the values start at a multiple of 64 bytes
 * (mmap-friendly); and T.rows.csv beside it: the table's meta line, then
 * user_id,asof,label,days_to_churn for the same rows in the same order.
 * numpy.load("T.npy") reads the matrix in one call, pandas.read_csv(
 * "T.rows.csv", skiprows=1) the rows. */
#ifndef LAPSE_TABLE_NPY_H
#define LAPSE_TABLE_NPY_H

#include <stddef.h>
#include <stdint.h>

#define LAPSE_NPY_MAGIC "\x93NUMPY"
#define LAPSE_NPY_MAGIC_LEN 6

typedef struct {
    uint64_t rows, columns;
    size_t data_offset; /* bytes before the first value */
} lapse_npy_shape;

/* Parses the start of an .npy file (buf, len bytes: at least its whole
 * header). Returns 0 with *out, or -1 with why (a NUL-terminated reason,
 * why_size bytes) for anything but a 2-D '<f8' C-order array. */
int lapse__npy_header_parse(const unsigned char *buf, size_t len, lapse_npy_shape *out,
                            char *why, size_t why_size);

/* Writes a version 1.0 header for rows x columns '<f8' values; returns the
 * bytes written (a multiple of 64) into buf (at least 128 bytes). */
size_t lapse__npy_header_format(unsigned char *buf, uint64_t rows, uint64_t columns);


#endif
