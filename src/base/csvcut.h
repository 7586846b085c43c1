/* Internal: where CSV text can be cut into pieces that parse apart.
 *
 * A record ends at a '\n', or a '\r' not followed by '\n', outside quotes;
 * right after one, a new libcsv parser is where the parser that read the
 * text before it would be. In strict CSV (lapse_input_csv_init) a quote
 * opens or closes a quoted field, or comes in an escaped pair: until a
 * parser meets an error, the quotes so far being even is the same as being
 * outside a quoted field. So the cuts found here are right for any text
 * whose parse had no error before them; a reader that parses the pieces in
 * order of the text and stops at the first error gets the rows and the
 * error one parser would. Scans 64 bytes a step (simdjson's prefix-XOR
 * for the quotes). */
#ifndef LAPSE_CSVCUT_H
#define LAPSE_CSVCUT_H

#include <stddef.h>
#include <stdint.h>

/* A scan from a record's start; zero it to begin. */
typedef struct {
    size_t ends;      /* record ends passed */
    int64_t newlines; /* '\n' bytes passed, quoted or not (lines count every one) */
    int quoted;       /* inside a quoted field where the scan stands */
} lapse_csvcut;

/* Scans text from *pos (where an earlier call on the same scan stopped, or
 * the record's start) to the want-th record end (want >= 1) and returns 1
 * with *pos just after it. Else returns 0 with *pos where it stopped: len
 * when at_end (the text ends where the input does), otherwise where more
 * text is needed to go on (a scan reads one byte past a block, to tell
 * "\r\n" from '\r'). */
int lapse_csvcut_scan(lapse_csvcut *scan, const char *text, size_t len, size_t *pos, size_t want,
                      int at_end);

#endif
