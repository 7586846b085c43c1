#include "lapse/schema.h"

#include "lapse/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: tiny, stable across builds and platforms, and streamable, which is
 * all a schema fingerprint needs. */
uint64_t lapse_schema_hash(const char *const *names, size_t count)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < count; i++) {
        const unsigned char *p = (const unsigned char *)names[i];
        if (i > 0)
            hash = (hash ^ ',') * 0x100000001b3ull;
        for (; *p; p++)
            hash = (hash ^ *p) * 0x100000001b3ull;
    }
    return hash;
}

int lapse_table_meta_format(char *buf, size_t size, const lapse_table_meta *meta)
{
    char keys[128];
    lapse_churn_format_keys(keys, sizeof keys, meta->churn.key_mask);
    const int n = snprintf(buf, size,
                           "# lapse-features %d; key=%s; silent_days=%d; horizon=%d; churn=%s; "
                           "schema=%016llx",
                           meta->version, keys, meta->churn.silent_days,
                           meta->churn.horizon_days,
                           meta->churn.cancel_is_churn ? "cancel" : "silence",
                           (unsigned long long)meta->schema_hash);
    if (n < 0 || (size_t)n >= size)
        return LAPSE_ERR_ARG;
    size_t pos = (size_t)n;
    if (meta->labels_sha256[0]) {
        const int k = snprintf(buf + pos, size - pos, "; labels=file:%s", meta->labels_sha256);
        if (k < 0 || (size_t)k >= size - pos)
            return LAPSE_ERR_ARG;
        pos += (size_t)k;
    }
    if (!meta->warnings[0]) {
        buf[pos] = '\0';
        return LAPSE_OK;
    }
    return lapse_warnings_format(buf + pos, size - pos, meta->warnings);
}

int lapse_warnings_format(char *buf, size_t size, const char *warnings)
{
    static const char key[] = "; warnings=";
    if (sizeof key > size)
        return LAPSE_ERR_ARG;
    memcpy(buf, key, sizeof key);
    size_t pos = sizeof key - 1;
    for (const unsigned char *p = (const unsigned char *)warnings; *p; p++) {
        /* ',' and '"' too, so a CSV reader sees the line as one field. */
        const int escape = *p == '%' || *p == ';' || *p == ',' || *p == '"' || *p < 0x20 ||
                           *p == 0x7f;
        if (pos + (escape ? 3 : 1) >= size)
            return LAPSE_ERR_ARG;
        if (escape) {
            snprintf(buf + pos, 4, "%%%02X", *p);
            pos += 3;
        } else {
            buf[pos++] = (char)*p;
        }
    }
    buf[pos] = '\0';
    return LAPSE_OK;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int lapse_warnings_parse(char out[LAPSE_TABLE_WARNINGS_MAX], const char *text, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            return LAPSE_ERR_FORMAT;
        if (c == '%') {
            const int hi = i + 2 < len ? hex_digit(text[i + 1]) : -1;
            const int lo = hi >= 0 ? hex_digit(text[i + 2]) : -1;
            if (lo < 0 || hi * 16 + lo == 0)
                return LAPSE_ERR_FORMAT;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (n + 1 >= LAPSE_TABLE_WARNINGS_MAX)
            return LAPSE_ERR_FORMAT;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return n ? LAPSE_OK : LAPSE_ERR_FORMAT;
}

/* A labels value: "file:" and a sha256 as 64 lower-case hex digits. */
static int parse_labels(char out[65], const char *text, size_t len)
{
    static const char prefix[] = "file:";
    const size_t n = sizeof prefix - 1;
    if (len != n + 64 || memcmp(text, prefix, n) != 0)
        return LAPSE_ERR_FORMAT;
    for (size_t i = n; i < len; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return LAPSE_ERR_FORMAT;
    memcpy(out, text + n, 64);
    out[64] = '\0';
    return LAPSE_OK;
}

/* Parses a whole decimal field as an int in [min, max]. */
static int parse_int_field(const char *text, size_t len, long min, long max, int *out)
{
    char digits[16];
    if (len == 0 || len >= sizeof digits)
        return LAPSE_ERR_FORMAT;
    memcpy(digits, text, len);
    digits[len] = '\0';
    char *end;
    errno = 0;
    const long value = strtol(digits, &end, 10);
    if (errno || *end || value < min || value > max)
        return LAPSE_ERR_FORMAT;
    *out = (int)value;
    return LAPSE_OK;
}

int lapse_table_meta_parse(lapse_table_meta *out, const char *line, size_t len)
{
    static const char prefix[] = "# lapse-features ";
    const size_t prefix_len = sizeof prefix - 1;
    if (len < prefix_len || memcmp(line, prefix, prefix_len) != 0)
        return LAPSE_ERR_FORMAT;
    lapse_table_meta meta = { 0, LAPSE_CHURN_DEF_INIT, 0, "", "" };
    enum {
        SEEN_KEY = 1,
        SEEN_SILENT = 2,
        SEEN_HORIZON = 4,
        SEEN_CHURN = 8,
        SEEN_SCHEMA = 16,
        SEEN_WARNINGS = 32,
        SEEN_LABELS = 64
    };
    unsigned seen = 0;
    size_t pos = prefix_len;
    size_t end = pos;
    while (end < len && line[end] != ';')
        end++;
    if (parse_int_field(line + pos, end - pos, 1, 1000000, &meta.version) != LAPSE_OK)
        return LAPSE_ERR_FORMAT;
    if (meta.version > LAPSE_TABLE_FORMAT_VERSION)
        return LAPSE_ERR_VERSION;
    while (end < len) {
        pos = end + 1;
        while (pos < len && line[pos] == ' ')
            pos++;
        end = pos;
        while (end < len && line[end] != ';')
            end++;
        const char *eq = memchr(line + pos, '=', end - pos);
        if (!eq)
            return LAPSE_ERR_FORMAT;
        const size_t key_len = (size_t)(eq - (line + pos));
        const char *value = eq + 1;
        const size_t value_len = (size_t)(line + end - value);
        int status = LAPSE_OK;
        unsigned flag;
#define KEY_IS(name) (key_len == sizeof name - 1 && memcmp(line + pos, name, key_len) == 0)
        if (KEY_IS("key")) {
            flag = SEEN_KEY;
            status = lapse_churn_parse_keys(&meta.churn.key_mask, value, value_len) == LAPSE_OK
                         ? LAPSE_OK
                         : LAPSE_ERR_FORMAT;
        } else if (KEY_IS("silent_days")) {
            flag = SEEN_SILENT;
            status = parse_int_field(value, value_len, 1, LAPSE_CHURN_MAX_DAYS,
                                     &meta.churn.silent_days);
        } else if (KEY_IS("horizon")) {
            flag = SEEN_HORIZON;
            status = parse_int_field(value, value_len, 1, LAPSE_CHURN_MAX_DAYS,
                                     &meta.churn.horizon_days);
        } else if (KEY_IS("churn")) {
            flag = SEEN_CHURN;
            if (value_len == 7 && memcmp(value, "silence", 7) == 0)
                meta.churn.cancel_is_churn = 0;
            else if (value_len == 6 && memcmp(value, "cancel", 6) == 0)
                meta.churn.cancel_is_churn = 1;
            else
                status = LAPSE_ERR_FORMAT;
        } else if (KEY_IS("schema")) {
            flag = SEEN_SCHEMA;
            char hex[17];
            if (value_len != 16)
                return LAPSE_ERR_FORMAT;
            memcpy(hex, value, 16);
            hex[16] = '\0';
            char *hex_end;
            errno = 0;
            meta.schema_hash = strtoull(hex, &hex_end, 16);
            if (errno || *hex_end || hex[0] == '-' || hex[0] == '+')
                status = LAPSE_ERR_FORMAT;
        } else if (KEY_IS("labels")) {
            flag = SEEN_LABELS;
            status = parse_labels(meta.labels_sha256, value, value_len);
        } else if (KEY_IS("warnings")) {
            flag = SEEN_WARNINGS;
            status = lapse_warnings_parse(meta.warnings, value, value_len);
        } else {
            return LAPSE_ERR_FORMAT;
        }
#undef KEY_IS
        if (status != LAPSE_OK || (seen & flag))
            return LAPSE_ERR_FORMAT;
        seen |= flag;
    }
    if ((seen & ~(SEEN_WARNINGS | SEEN_LABELS)) != (SEEN_KEY | SEEN_SILENT | SEEN_HORIZON | SEEN_CHURN | SEEN_SCHEMA))
        return LAPSE_ERR_FORMAT;
    *out = meta;
    return LAPSE_OK;
}
