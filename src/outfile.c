#include "lapse/outfile.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct lapse_outfile {
    FILE *stream;
    char *path; /* destination; NULL for stdout */
    char *temp; /* temporary file beside it; NULL when writing straight through */
    int registry_slot;
};

/* Temporary paths of open outfiles, for removal from a signal handler.
 * Fixed-size and written under a lock; the handler only reads. Sized for
 * the most any command opens at once (simulate: 256 log files and two more);
 * an open past it is refused rather than left unregistered. */
#define MAX_OPEN_OUTFILES 512
static char *volatile open_temps[MAX_OPEN_OUTFILES];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static int registry_add(char *temp)
{
    int slot = -1;
    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < MAX_OPEN_OUTFILES && slot < 0; i++) {
        if (!open_temps[i]) {
            open_temps[i] = temp;
            slot = i;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return slot;
}

static void registry_remove(int slot)
{
    if (slot < 0)
        return;
    pthread_mutex_lock(&registry_lock);
    open_temps[slot] = NULL;
    pthread_mutex_unlock(&registry_lock);
}

void lapse_outfile_abort_all_from_signal(void)
{
    for (int i = 0; i < MAX_OPEN_OUTFILES; i++) {
        char *temp = open_temps[i];
        if (temp)
            unlink(temp);
    }
}

static void outfile_free(lapse_outfile *file)
{
    free(file->path);
    free(file->temp);
    free(file);
}

int lapse_outfile_open(lapse_outfile **out, const char *path, lapse_error *err)
{
    lapse_outfile *file = calloc(1, sizeof *file);
    if (!file)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    file->registry_slot = -1;
    if (strcmp(path, "-") == 0) {
        file->stream = stdout;
        *out = file;
        return LAPSE_OK;
    }
    file->path = strdup(path);
    if (!file->path) {
        outfile_free(file);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    /* A device or pipe (/dev/null, /dev/full, a FIFO) cannot be replaced by a
     * rename, and must not be: write straight to it. */
    struct stat info;
    if (stat(path, &info) == 0 && !S_ISREG(info.st_mode)) {
        file->stream = fopen(path, "wb");
        if (!file->stream) {
            const int saved = errno;
            outfile_free(file);
            return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot write: %s",
                                   strerror(saved));
        }
        *out = file;
        return LAPSE_OK;
    }
    const size_t len = strlen(path);
    file->temp = malloc(len + sizeof ".tmp.XXXXXX");
    if (!file->temp) {
        outfile_free(file);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    memcpy(file->temp, path, len);
    memcpy(file->temp + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    const int fd = mkstemp(file->temp);
    if (fd < 0) {
        const int saved = errno;
        outfile_free(file);
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot write: %s",
                               strerror(saved));
    }
    /* mkstemp makes the file 0600; an output should get the usual umask. */
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    file->stream = fdopen(fd, "wb");
    if (!file->stream) {
        close(fd);
        unlink(file->temp);
        outfile_free(file);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    file->registry_slot = registry_add(file->temp);
    if (file->registry_slot < 0) {
        fclose(file->stream);
        unlink(file->temp);
        outfile_free(file);
        return lapse_error_set(err, LAPSE_ERR_LIMIT, path, 0, 0, -1,
                               "more than %d outputs open at once", MAX_OPEN_OUTFILES);
    }
    *out = file;
    return LAPSE_OK;
}

FILE *lapse_outfile_stream(lapse_outfile *file)
{
    return file->stream;
}

/* Flushes stream; on failure sets *why. errno says why only when fflush
 * itself failed: a write that failed earlier left just the stream's error
 * flag, for which EIO stands in. */
static int flush_failed(FILE *stream, int *why)
{
    if (fflush(stream) != 0) {
        *why = errno;
        return 1;
    }
    if (ferror(stream)) {
        *why = EIO;
        return 1;
    }
    return 0;
}

int lapse_outfile_commit(lapse_outfile *file, lapse_error *err)
{
    int status = LAPSE_OK;
    int saved = 0;
    if (!file->path) {
        if (flush_failed(stdout, &saved))
            status = lapse_error_set(err, LAPSE_ERR_IO, "<stdout>", 0, 0, -1,
                                     "write failed: %s", strerror(saved));
        free(file);
        return status;
    }
    int failed = flush_failed(file->stream, &saved);
    if (!failed && file->temp && fsync(fileno(file->stream)) != 0) {
        failed = 1;
        saved = errno;
    }
    if (fclose(file->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    if (!failed && file->temp && rename(file->temp, file->path) != 0) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        if (file->temp)
            unlink(file->temp);
        status = lapse_error_set(err, LAPSE_ERR_IO, file->path, 0, 0, -1, "write failed: %s",
                                 strerror(saved));
    }
    registry_remove(file->registry_slot);
    outfile_free(file);
    return status;
}

void lapse_outfile_abort(lapse_outfile *file)
{
    if (!file)
        return;
    if (file->path) {
        fclose(file->stream);
        if (file->temp)
            unlink(file->temp);
        registry_remove(file->registry_slot);
    }
    outfile_free(file);
}
