/* Progress of a long run, for a caller that shows it (the lapse command on a
 * terminal). The library never prints: a run that takes a callback calls it
 * now and then, from one thread at a time, with the work done so far and its
 * total (-1 when not known ahead). Each run's documentation says what a unit
 * is: input bytes for extract, rows for score and report, users for the
 * simulator, fits for train. */
#ifndef LAPSE_PROGRESS_H
#define LAPSE_PROGRESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*lapse_progress_fn)(int64_t done, int64_t total, void *user);

#ifdef __cplusplus
}
#endif

#endif
