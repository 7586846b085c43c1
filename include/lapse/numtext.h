/* Numbers as text, for every output that carries a computed figure in full
 * (feature tables, scored files, the simulator's truth, JSON, the CSV
 * figures of lapse eval --csv): one float policy, the shortest decimal that
 * reads back to the same double, so a reader gets exactly the value lapse
 * computed and no figure carries digits that mean nothing (0.1, not
 * 0.10000000000000001). */
#ifndef LAPSE_NUMTEXT_H
#define LAPSE_NUMTEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_NUMTEXT_MAX 32 /* room for any double in %.17g, and the NUL */

/* Writes v into buf as the first of %.15g, %.16g and %.17g that strtod reads
 * back to the same bits (%.17g always does), e.g. "0.1", "0.8333333333333334",
 * "1e+300", "-0", without printf or strtod for the magnitudes figures have
 * (1e-6 to 1e14: exact integer arithmetic). Returns its length. A NaN or an
 * infinity has no such decimal: buf gets "" and the return is 0 (JSON
 * writes null, CSV an empty field). */
size_t lapse_numtext_double(char buf[LAPSE_NUMTEXT_MAX], double v);

/* Writes v as printf's "%.2f" does (money in cents: "12.50", "-0.00"),
 * for finite |v| < 1e15, exactly (the binary value rounded, ties to even).
 * Returns its length. */
size_t lapse_numtext_cents(char buf[LAPSE_NUMTEXT_MAX], double v);

#ifdef __cplusplus
}
#endif

#endif
