/* Checks on the files a command is given.
 *
 * Every input counts once: the same log named twice (a repeated argument,
 * overlapping globs, "a" and "./a", a link to it) would count every event
 * twice. */
#ifndef LAPSE_PATHS_H
#define LAPSE_PATHS_H

#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns 0 when no two of paths name the same file, else LAPSE_ERR_ARG
 * with a message naming both: the same text twice, or two paths to one
 * file (device and inode, links followed; "-" is standard input, the same
 * file as /dev/stdin). Paths that cannot be examined (missing) compare by
 * their text only; opening them reports the error later. */
int lapse_paths_check_distinct(const char *const *paths, size_t count, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
