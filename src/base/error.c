#include "lapse/error.h"

#include <stdio.h>
#include <string.h>

const char *lapse_status_str(int code)
{
    switch (code) {
    case LAPSE_OK: return "ok";
    case LAPSE_ERR_NOMEM: return "out of memory";
    case LAPSE_ERR_IO: return "input/output error";
    case LAPSE_ERR_FORMAT: return "malformed input";
    case LAPSE_ERR_GZIP: return "corrupt or truncated compressed data";
    case LAPSE_ERR_ARG: return "invalid argument";
    case LAPSE_ERR_SCHEMA: return "schema mismatch";
    case LAPSE_ERR_VERSION: return "unsupported format version";
    case LAPSE_ERR_CHECKSUM: return "checksum mismatch";
    case LAPSE_ERR_TRUNCATED: return "truncated file";
    case LAPSE_ERR_RANGE: return "value out of range";
    case LAPSE_ERR_LIMIT: return "limit exceeded";
    default: return "unknown error";
    }
}

void lapse_error_clear(lapse_error *err)
{
    if (err) {
        lapse_error blank = LAPSE_ERROR_INIT;
        *err = blank;
    }
}

int lapse_error_set(lapse_error *err, int code, const char *path, int64_t line, int column,
                    int64_t offset, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    err->line = line;
    err->column = column;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

const char *lapse_error_format(const lapse_error *err, char *buf, size_t size)
{
    const char *message = err->message[0] ? err->message : lapse_status_str(err->code);
    if (!err->path[0]) {
        snprintf(buf, size, "%s", message);
        return buf;
    }
    char where[64] = "";
    if (err->line > 0 && err->column > 0)
        snprintf(where, sizeof where, ":%lld, column %d", (long long)err->line, err->column);
    else if (err->line > 0)
        snprintf(where, sizeof where, ":%lld", (long long)err->line);
    else if (err->offset >= 0)
        snprintf(where, sizeof where, ", byte %lld", (long long)err->offset);
    snprintf(buf, size, "%s (in %s%s)", message, err->path, where);
    return buf;
}

static lapse_log_fn log_sink;
static void *log_user_data;

void lapse_log_set(lapse_log_fn fn, void *user_data)
{
    log_sink = fn;
    log_user_data = user_data;
}

void lapse_log(lapse_log_level level, const char *fmt, ...)
{
    if (!log_sink)
        return;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_sink(level, message, log_user_data);
}
