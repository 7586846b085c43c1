/* Status codes and located error reports shared by every lapse module.
 *
 * Every fallible function returns int: 0 on success, a negative lapse_status
 * on failure. Details (what, and where in which file) go into a caller-owned
 * lapse_error, so worker threads never share error state. The library never
 * prints; warnings go through the log callback set with lapse_log_set(). */
#ifndef LAPSE_ERROR_H
#define LAPSE_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_OK = 0,
    LAPSE_ERR_NOMEM = -1,     /* an allocation failed */
    LAPSE_ERR_IO = -2,        /* open, read, write, fsync or rename failed */
    LAPSE_ERR_FORMAT = -3,    /* malformed input: a row, a field, a header */
    LAPSE_ERR_GZIP = -4,      /* truncated or corrupt compressed stream */
    LAPSE_ERR_ARG = -5,       /* an invalid parameter or option value */
    LAPSE_ERR_SCHEMA = -6,    /* table and model (or two tables) disagree */
    LAPSE_ERR_VERSION = -7,   /* a file written by a newer lapse */
    LAPSE_ERR_CHECKSUM = -8,  /* stored and computed checksums differ */
    LAPSE_ERR_TRUNCATED = -9, /* a file ends before its declared length */
    LAPSE_ERR_RANGE = -10,    /* a value outside what the data can answer */
    LAPSE_ERR_LIMIT = -11     /* too many bad rows, or a size limit passed */
} lapse_status;

#define LAPSE_ERROR_PATH_MAX 512
#define LAPSE_ERROR_MESSAGE_MAX 512

/* Where and what. line and column are 1-based, 0 when unknown; offset is a
 * byte offset into the file (of the compressed stream for gzip errors), -1
 * when unknown. */
typedef struct {
    int code;
    char path[LAPSE_ERROR_PATH_MAX];
    int64_t line;
    int column;
    int64_t offset;
    char message[LAPSE_ERROR_MESSAGE_MAX];
} lapse_error;

#define LAPSE_ERROR_INIT { 0, "", 0, 0, -1, "" }

/* A fixed name for a status code ("malformed input", ...). Never NULL. */
const char *lapse_status_str(int code);

/* Clears err to LAPSE_ERROR_INIT. err may be NULL. */
void lapse_error_clear(lapse_error *err);

/* Records an error in err (which may be NULL) and returns code, so callers
 * can write `return lapse_error_set(err, LAPSE_ERR_FORMAT, ...)`. path may
 * be NULL. */
int lapse_error_set(lapse_error *err, int code, const char *path, int64_t line, int column,
                    int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Formats err as one line, e.g.
 *   bad timestamp "2026-13-01" (in events.csv.gz:1042, column 2)
 * and returns buf. */
const char *lapse_error_format(const lapse_error *err, char *buf, size_t size);

typedef enum { LAPSE_LOG_DEBUG, LAPSE_LOG_INFO, LAPSE_LOG_WARN } lapse_log_level;
typedef void (*lapse_log_fn)(lapse_log_level level, const char *message, void *user_data);

/* Sets the process-wide sink for the library's warnings and progress notes.
 * NULL (the default) discards them. Set it once, before starting work. */
void lapse_log_set(lapse_log_fn fn, void *user_data);

void lapse_log(lapse_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
