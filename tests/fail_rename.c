/* A test double for rename(2), loaded by LD_PRELOAD: a rename onto a path
 * that ends in $LAPSE_FAIL_RENAME fails with EIO, so tests/cli/outputs.sh
 * can make the second file of a group fail to be placed after the first
 * was. Built without sanitizers: it loads before their runtime. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rename(const char *from, const char *to)
{
    const char *fail = getenv("LAPSE_FAIL_RENAME");
    const size_t n = fail ? strlen(fail) : 0, len = strlen(to);
    if (n > 0 && len >= n && strcmp(to + len - n, fail) == 0) {
        errno = EIO;
        return -1;
    }
    int (*real)(const char *, const char *);
    *(void **)&real = dlsym(RTLD_NEXT, "rename");
    return real(from, to);
}
