/* Output files that appear whole or not at all.
 *
 * Writes go to a temporary file in the destination's folder; commit flushes,
 * fsyncs and renames it over the destination, so a crash or kill at any
 * moment leaves the old file (or none), never a half-written one. "-" writes
 * to standard output directly. */
#ifndef LAPSE_OUTFILE_H
#define LAPSE_OUTFILE_H

#include "lapse/error.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lapse_outfile lapse_outfile;

/* Opens a temporary file beside path (or stdout for "-"). */
int lapse_outfile_open(lapse_outfile **out, const char *path, lapse_error *err);

/* The stream to write to; owned by the outfile. */
FILE *lapse_outfile_stream(lapse_outfile *file);

/* Flushes, fsyncs and renames onto the destination, then frees the handle.
 * On any failure (a full disk, say) the temporary file is removed, the
 * destination is untouched, and the error names the destination. */
int lapse_outfile_commit(lapse_outfile *file, lapse_error *err);

/* Removes the temporary file and frees the handle; the destination is left
 * as it was. Accepts NULL. */
void lapse_outfile_abort(lapse_outfile *file);

/* The temporary path of every open outfile is removed by this call; for a
 * signal handler (SIGINT, SIGTERM), where it only calls unlink. */
void lapse_outfile_abort_all_from_signal(void);

#ifdef __cplusplus
}
#endif

#endif
