/* The lapse command's one progress display: a line on stderr, rewritten in
 * place at most four times a second, shown only when stderr is a terminal
 * and the command is not quiet (a log file or a pipe gets no \r lines). */
#ifndef LAPSE_CLI_PROGRESS_H
#define LAPSE_CLI_PROGRESS_H

#include "lapse/progress.h"

#include <time.h>

typedef struct {
    const char *verb; /* "read", "scored", ... */
    const char *unit; /* "MB", "rows", ... */
    double scale;     /* work units per unit shown: 1e6 for bytes as MB, else 1 */
    struct timespec start, last;
    int shown;
} cli_progress;

/* Starts p. Returns the callback to hand the library (with p as its user),
 * or NULL when no progress is to be shown. */
lapse_progress_fn cli_progress_start(cli_progress *p, int quiet, const char *verb,
                                     const char *unit, double scale);

/* Ends the progress line, if one was shown, so the next message starts on
 * a line of its own. */
void cli_progress_end(cli_progress *p);

#endif
