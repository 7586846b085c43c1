/* Internal: exact decimal-to-double for the plain decimals lapse's tables
 * are made of, several times faster than strtod.
 *
 * A plain decimal is an optional sign, digits with an optional '.' among
 * or after them (at least one digit), and an optional exponent (e or E,
 * optional sign, digits): "-12", "0.33333333333333331", "1.5e-07", ".5".
 * Its value is m * 10^q with m of at most 19 significant digits. When m
 * and 10^|q| are both exact doubles (m <= 2^53, |q| <= 22) one IEEE
 * multiplication or division rounds it correctly (Clinger's fast path).
 * A longer m with up to 22 digits after the point (the shortest forms of
 * most fractions) goes through Eisel-Lemire: m times a 128-bit 10^q, which
 * decides unless the product sits too near a midpoint. Otherwise a
 * candidate from one division is checked against the exact midpoints to
 * its neighbours in 128-bit integers and moved by an ulp until it is the
 * round-to-nearest-even double, as strtod's would be.
 *
 * What it does not decide (more than 19 significant digits, results that
 * are subnormal, overflow or need more than 128 bits to check, anything
 * that is not a plain decimal) it leaves to the caller's strtod. */
#ifndef LAPSE_NUMPARSE_H
#define LAPSE_NUMPARSE_H

#include <stddef.h>

/* Parses text[0..len) (no NUL needed) as a plain decimal. Returns 1 with
 * *out the double strtod gives for the same text (bit for bit, the sign of
 * zero included), or 0 when it does not decide: *out is then untouched and
 * strtod must. */
int lapse_numparse_decimal(const char *text, size_t len, double *out);

#endif
