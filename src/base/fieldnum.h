/* Internal: one field of a file or one option value as a number, checked the
 * same way by every reader: the whole text is a finite decimal, no spaces,
 * no trailing bytes, not beyond a double ("1e999", "nan", "0x10", " 1" and
 * "1x" are not numbers; "1e-999" reads as 0). */
#ifndef LAPSE_FIELDNUM_H
#define LAPSE_FIELDNUM_H

#include <stddef.h>

/* Longest text read as a number; longer is refused. */
#define LAPSE_FIELDNUM_MAX 256

/* Reads text[0..len) (no NUL needed) into *out. Returns 0, or -1 when it
 * is not such a number (then *out is untouched). */
int lapse_field_number(const char *text, size_t len, double *out);

#endif
