/* Output files that appear whole or not at all.
 *
 * Writes go to a temporary file in the destination's folder; commit flushes,
 * fsyncs and renames it over the destination, so a crash or kill at any
 * moment leaves the old file (or none), never a half-written one. The new
 * file keeps the mode (and, where allowed, the owner) of the one it
 * replaces; through a symbolic link, the file it names is replaced and the
 * link stays. "-", a path naming a standard stream (/dev/stdout, or the file
 * standard output is redirected to), and anything that is not a regular
 * file (a device, a pipe) are written in place. */
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

/* Commits n outfiles (NULL entries skipped) as one: every destination gets
 * its new file, or, on any failure, every one is left as it was. Frees every
 * handle and sets files[i] to NULL, whatever the outcome. */
int lapse_outfile_commit_all(lapse_outfile **files, size_t n, lapse_error *err);

/* Writes text[0..len) as one CSV field, quoted (quotes doubled, through
 * libcsv's csv_fwrite) only when libcsv would not read it back as it is: a
 * separator, a quote or a line end in it, spaces it would trim, or nothing.
 * Errors show in the stream's error flag, as for fwrite. */
void lapse_outfile_put_field(FILE *out, const char *text, size_t len);

/* LAPSE_ERR_ARG when out_path is the same file (device and inode) as one of
 * the n inputs, so that no run can replace what it reads; "-" and paths
 * that do not exist yet pass. */
int lapse_outfile_refuse_inputs(const char *out_path, const char *const *inputs, size_t n,
                                lapse_error *err);

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
