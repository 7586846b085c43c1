/* Fuzz helper: gives an input a path, for parsers that open files by name.
 *
 * A few memfds per process (slots), each rewritten for every input;
 * /proc/self/fd/N reopens one from offset 0, so gzopen and fopen read it
 * like any file, with no disk traffic and nothing left behind. Include from
 * one target file only. */
#ifndef LAPSE_FUZZ_FILE_H
#define LAPSE_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_FILE_SLOTS 4

/* Returns a path whose content is data[0..size); slot (0 to
 * FUZZ_FILE_SLOTS - 1) picks the file, so one input can make several.
 * Aborts if a memfd cannot be made (a broken harness, not a finding). */
static const char *fuzz_file_path(int slot, const uint8_t *data, size_t size)
{
    static int fds[FUZZ_FILE_SLOTS] = { -1, -1, -1, -1 };
    static char paths[FUZZ_FILE_SLOTS][64];
    if (slot < 0 || slot >= FUZZ_FILE_SLOTS)
        abort();
    int fd = fds[slot];
    if (fd < 0) {
        fd = fds[slot] = memfd_create("lapse-fuzz", 0);
        if (fd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(paths[slot], sizeof paths[slot], "/proc/self/fd/%d", fd);
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
    return paths[slot];
}

#endif
