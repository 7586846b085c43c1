/* realpath() is an X/Open extension in glibc's headers. */
#define _XOPEN_SOURCE 700

#include "lapse/outfile.h"

#include <csv.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct lapse_outfile {
    FILE *stream;
    char *path;   /* destination (a link resolved); NULL for "-" */
    char *temp;   /* temporary file beside it; NULL when writing in place */
    char *backup; /* the old destination, kept while a group is placed */
    int existed;  /* the destination was there when the group was placed */
    int renamed;  /* the temporary file is in place: a failed group restores */
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

static void registry_remove(int *slot)
{
    if (*slot < 0)
        return;
    pthread_mutex_lock(&registry_lock);
    open_temps[*slot] = NULL;
    pthread_mutex_unlock(&registry_lock);
    *slot = -1;
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
    free(file->backup);
    free(file);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int lapse_outfile_refuse_inputs(const char *out_path, const char *const *inputs, size_t n,
                                lapse_error *err)
{
    struct stat out;
    if (!out_path || strcmp(out_path, "-") == 0 || stat(out_path, &out) != 0 ||
        !S_ISREG(out.st_mode))
        return LAPSE_OK;
    for (size_t i = 0; i < n; i++) {
        struct stat in;
        if (inputs[i] && strcmp(inputs[i], "-") != 0 && stat(inputs[i], &in) == 0 &&
            same_file(&out, &in))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "the output %s is the same file as the input %s; lapse "
                                   "never writes over an input",
                                   out_path, inputs[i]);
    }
    return LAPSE_OK;
}

/* The standard stream fd that path names (/dev/stdout, or the file that
 * standard output is redirected to), or -1. Such a path is written through
 * that stream: renaming over it would replace /dev/stdout itself (as root),
 * or leave the shell's redirection pointing at a deleted file. */
static int standard_stream(const struct stat *target)
{
    for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
        struct stat info;
        if (fstat(fd, &info) == 0 && same_file(&info, target))
            return fd;
    }
    return -1;
}

static int open_error(lapse_outfile *file, const char *path, int code, int saved,
                      lapse_error *err)
{
    outfile_free(file);
    if (code == LAPSE_ERR_NOMEM)
        return lapse_error_set(err, code, path, 0, 0, -1, "out of memory");
    return lapse_error_set(err, code, path, 0, 0, -1, "cannot write: %s", strerror(saved));
}

/* Writes straight to path, or to the standard stream it names: for what a
 * rename cannot or must not replace (a device, a pipe, /dev/stdout). */
static int open_in_place(lapse_outfile *file, const char *path, int stream_fd, lapse_error *err)
{
    if (stream_fd == STDOUT_FILENO) {
        file->stream = stdout; /* flushed, never closed, as for "-" */
        return LAPSE_OK;
    }
    const int fd = stream_fd >= 0 ? dup(stream_fd) : -1;
    file->stream = fd >= 0 ? fdopen(fd, "wb") : fopen(path, "wb");
    if (!file->stream) {
        const int saved = errno;
        if (fd >= 0)
            close(fd);
        return open_error(file, path, LAPSE_ERR_IO, saved, err);
    }
    return LAPSE_OK;
}

/* Gives the temporary file what the user set on the destination it
 * replaces (its mode, and its owner where we may), or else the umask's. */
static void copy_attributes(int fd, const struct stat *dest, int dest_exists)
{
    if (dest_exists) {
        fchmod(fd, dest->st_mode & 07777);
        if (fchown(fd, dest->st_uid, dest->st_gid) != 0) {
            /* Not ours to give away: the file stays the writer's. */
        }
        return;
    }
    /* mkstemp makes the file 0600; an output should get the usual umask. */
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
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
    struct stat dest;
    const int exists = stat(path, &dest) == 0;
    if (exists && (!S_ISREG(dest.st_mode) || standard_stream(&dest) >= 0)) {
        file->path = strdup(path);
        if (!file->path)
            return open_error(file, path, LAPSE_ERR_NOMEM, 0, err);
        const int status = open_in_place(file, path, standard_stream(&dest), err);
        if (status == LAPSE_OK)
            *out = file;
        return status;
    }
    /* Through a link, the file it names is replaced and the link stays:
     * the temporary file goes beside that file, never elsewhere. */
    file->path = exists ? realpath(path, NULL) : strdup(path);
    if (!file->path)
        return open_error(file, path, exists ? LAPSE_ERR_IO : LAPSE_ERR_NOMEM, errno, err);
    const size_t len = strlen(file->path);
    file->temp = malloc(len + sizeof ".tmp.XXXXXX");
    if (!file->temp)
        return open_error(file, path, LAPSE_ERR_NOMEM, 0, err);
    memcpy(file->temp, file->path, len);
    memcpy(file->temp + len, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    const int fd = mkstemp(file->temp);
    if (fd < 0)
        return open_error(file, path, LAPSE_ERR_IO, errno, err);
    copy_attributes(fd, &dest, exists);
    file->stream = fdopen(fd, "wb");
    if (!file->stream) {
        close(fd);
        unlink(file->temp);
        return open_error(file, path, LAPSE_ERR_NOMEM, 0, err);
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

static int write_failed(lapse_error *err, const char *path, int saved)
{
    return lapse_error_set(err, LAPSE_ERR_IO, path ? path : "<stdout>", 0, 0, -1,
                           "write failed: %s", strerror(saved));
}

/* Flushes, syncs and closes what file wrote: the first half of a commit,
 * after which only renames are left. */
static int finish_writing(lapse_outfile *file, lapse_error *err)
{
    int saved = 0;
    if (file->stream == stdout)
        return flush_failed(stdout, &saved) ? write_failed(err, file->path, saved) : LAPSE_OK;
    int failed = flush_failed(file->stream, &saved);
    if (!failed && file->temp && fsync(fileno(file->stream)) != 0) {
        failed = 1;
        saved = errno;
    }
    if (fclose(file->stream) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    file->stream = NULL;
    return failed ? write_failed(err, file->path, saved) : LAPSE_OK;
}

/* Keeps a hard link to the destination's old file, so that a group whose
 * later member fails can put it back. Where the file system has no hard
 * links, the group is placed without that way back. */
static int keep_backup(lapse_outfile *file, lapse_error *err)
{
    struct stat info;
    file->existed = lstat(file->path, &info) == 0;
    if (!file->existed)
        return LAPSE_OK;
    const size_t len = strlen(file->temp);
    file->backup = malloc(len + sizeof ".old");
    if (!file->backup)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, file->path, 0, 0, -1, "out of memory");
    memcpy(file->backup, file->temp, len);
    memcpy(file->backup + len, ".old", sizeof ".old");
    if (link(file->path, file->backup) != 0) {
        free(file->backup);
        file->backup = NULL;
    }
    return LAPSE_OK;
}

/* Puts a placed destination back as it was before its group. */
static void restore(lapse_outfile *file)
{
    if (!file->renamed)
        return;
    if (file->backup && rename(file->backup, file->path) == 0) {
        free(file->backup);
        file->backup = NULL;
    } else if (!file->existed) {
        unlink(file->path);
    }
}

static void discard(lapse_outfile *file)
{
    if (file->stream && file->stream != stdout)
        fclose(file->stream);
    if (file->temp)
        unlink(file->temp);
    if (file->backup)
        unlink(file->backup);
    registry_remove(&file->registry_slot);
    outfile_free(file);
}

int lapse_outfile_commit_all(lapse_outfile **files, size_t n, lapse_error *err)
{
    int status = LAPSE_OK;
    for (size_t i = 0; i < n && status == LAPSE_OK; i++)
        if (files[i])
            status = finish_writing(files[i], err);
    /* One rename alone needs no way back; a group keeps the old files until
     * every member is in place. */
    size_t placed = 0;
    for (; placed < n && status == LAPSE_OK; placed++) {
        lapse_outfile *f = files[placed];
        if (!f || !f->temp)
            continue;
        if (n > 1)
            status = keep_backup(f, err);
        if (status == LAPSE_OK && rename(f->temp, f->path) != 0)
            status = write_failed(err, f->path, errno);
        if (status == LAPSE_OK) {
            registry_remove(&f->registry_slot);
            free(f->temp);
            f->temp = NULL; /* in place now */
            f->renamed = 1;
        }
    }
    if (status != LAPSE_OK)
        for (size_t i = 0; i < placed; i++)
            if (files[i])
                restore(files[i]);
    for (size_t i = 0; i < n; i++) {
        if (files[i])
            discard(files[i]);
        files[i] = NULL;
    }
    return status;
}

int lapse_outfile_commit(lapse_outfile *file, lapse_error *err)
{
    return lapse_outfile_commit_all(&file, 1, err);
}

void lapse_outfile_abort(lapse_outfile *file)
{
    if (file)
        discard(file);
}

void lapse_outfile_put_field(FILE *out, const char *text, size_t len)
{
    int quote = len == 0 || text[0] == ' ' || text[0] == '\t' || text[len - 1] == ' ' ||
                text[len - 1] == '\t';
    for (size_t i = 0; i < len && !quote; i++)
        quote = text[i] == ',' || text[i] == '"' || text[i] == '\n' || text[i] == '\r';
    if (quote)
        csv_fwrite(out, text, len);
    else
        fwrite(text, 1, len, out);
}
