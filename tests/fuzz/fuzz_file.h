/* Fuzz helper: gives an input a path, for parsers that open files by name.
 *
 * One memfd per process, rewritten for every input; /proc/self/fd/N reopens
 * it from offset 0, so gzopen and fopen read it like any file, with no disk
 * traffic and nothing left behind. Include from one target file only. */
#ifndef LAPSE_FUZZ_FILE_H
#define LAPSE_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Returns a path whose content is data[0..size); aborts if the memfd cannot
 * be made (a broken harness, not a finding). */
static const char *fuzz_file_path(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("lapse-fuzz", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0)
        abort();
    size_t done = 0;
    while (done < size) {
        const ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    return path;
}

#endif
