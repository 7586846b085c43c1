/* The version of lapse, at build time (the macros) and at run time (the
 * functions: a program linked against liblapse.so may run with another
 * build than the one whose headers it was compiled with).
 *
 * The macros below are the one source of the version: CMake reads them
 * for the project version, the shared library's SONAME (liblapse.so.MAJOR)
 * and lapse.pc. A release that changes the ABI bumps MAJOR. */
#ifndef LAPSE_VERSION_H
#define LAPSE_VERSION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_VERSION_MAJOR 0
#define LAPSE_VERSION_MINOR 1
#define LAPSE_VERSION_PATCH 0
#define LAPSE_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, for compile-time comparisons. */
#define LAPSE_VERSION_NUMBER                                                                     \
    (LAPSE_VERSION_MAJOR * 10000 + LAPSE_VERSION_MINOR * 100 + LAPSE_VERSION_PATCH)

/* The library's version, e.g. "0.1.0". */
const char *lapse_version(void);

/* Writes one line per library lapse runs with into buf (at most size bytes,
 * always terminated when size > 0): its name and the version it reports at
 * run time, or the version of the headers it was built with where the
 * library reports none (libcsv). Returns the length the whole text needs,
 * as snprintf does. */
size_t lapse_version_dependencies(char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif
