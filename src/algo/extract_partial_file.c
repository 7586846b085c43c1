/* The partial state file: encoding, decoding and its checks (layout in
 * extract_partial_internal.h). */
#include "extract_partial_internal.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"
#include "lapse/version.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

void pbuf_put(pbuf *b, const void *data, size_t len)
{
    if (b->nomem || len == 0)
        return;
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < len)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
}

void pbuf_u16(pbuf *b, uint16_t v)
{
    const uint8_t bytes[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    pbuf_put(b, bytes, 2);
}

void pbuf_u32(pbuf *b, uint32_t v)
{
    uint8_t bytes[4];
    for (int i = 0; i < 4; i++)
        bytes[i] = (uint8_t)(v >> 8 * i);
    pbuf_put(b, bytes, 4);
}

void pbuf_u64(pbuf *b, uint64_t v)
{
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)(v >> 8 * i);
    pbuf_put(b, bytes, 8);
}

int pcur_get(pcursor *c, void *out, size_t len)
{
    if (c->failed || c->len - c->at < len) {
        c->failed = 1;
        memset(out, 0, len);
        return -1;
    }
    memcpy(out, c->p + c->at, len);
    c->at += len;
    return 0;
}

uint16_t pcur_u16(pcursor *c)
{
    uint8_t b[2];
    pcur_get(c, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

uint32_t pcur_u32(pcursor *c)
{
    uint8_t b[4];
    pcur_get(c, b, 4);
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

uint64_t pcur_u64(pcursor *c)
{
    uint8_t b[8];
    pcur_get(c, b, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

/* lapse_acc's fields in declaration order, but purchase_days (the user's
 * purchase days follow the accumulators); put and get share the list so
 * that they cannot drift apart. */
#define ACC_FIELDS(U16, U32, U64, I32, I64, U8)                                                    \
    for (int w = 0; w < ACC_WINDOWS; w++)                                                          \
        for (int k = 0; k < LAPSE_CAT_COUNT; k++)                                                  \
            U32(count[w][k]);                                                                      \
    for (int k = 0; k < LAPSE_CAT_COUNT; k++)                                                      \
        U32(total[k]);                                                                             \
    for (int w = 0; w < ACC_WINDOWS; w++)                                                          \
        I64(spend[w]);                                                                             \
    I64(spend_total);                                                                              \
    I64(refund_90);                                                                                \
    U32(refunds_90);                                                                               \
    for (int i = 0; i < 2; i++) {                                                                  \
        U64(active_bits[i]);                                                                       \
        U64(core_bits[i]);                                                                         \
        I64(device_ts1[i]);                                                                        \
        U64(device[i]);                                                                            \
    }                                                                                              \
    I32(first_inv);                                                                                \
    I32(first_purchase_inv);                                                                       \
    for (int k = 0; k < LAPSE_CAT_COUNT; k++)                                                      \
        I32(last1[k]);                                                                             \
    U8(label);                                                                                     \
    U16(cancel_first_inv)

/* Little-endian stores and loads at q, which moves on; compilers make each
 * one move on little-endian machines. */
static inline uint8_t *st16(uint8_t *q, uint16_t v)
{
    q[0] = (uint8_t)v;
    q[1] = (uint8_t)(v >> 8);
    return q + 2;
}

static inline uint8_t *st32(uint8_t *q, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        q[i] = (uint8_t)(v >> 8 * i);
    return q + 4;
}

static inline uint8_t *st64(uint8_t *q, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        q[i] = (uint8_t)(v >> 8 * i);
    return q + 8;
}

static inline uint16_t ld16(const uint8_t *q)
{
    return (uint16_t)(q[0] | q[1] << 8);
}

static inline uint32_t ld32(const uint8_t *q)
{
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

static inline uint64_t ld64(const uint8_t *q)
{
    return (uint64_t)ld32(q) | (uint64_t)ld32(q + 4) << 32;
}

void pbuf_put_acc(pbuf *b, const lapse_acc *a)
{
    uint8_t bytes[PARTIAL_ACC_BYTES], *q = bytes;
#define PUT16(f) q = st16(q, a->f)
#define PUT32(f) q = st32(q, (uint32_t)a->f)
#define PUT64(f) q = st64(q, (uint64_t)a->f)
#define PUT8(f) *q++ = a->f
    ACC_FIELDS(PUT16, PUT32, PUT64, PUT32, PUT64, PUT8);
#undef PUT16
#undef PUT32
#undef PUT64
#undef PUT8
    pbuf_put(b, bytes, sizeof bytes);
}

void pcur_acc(pcursor *cur, lapse_acc *a)
{
    if (cur->failed || cur->len - cur->at < PARTIAL_ACC_BYTES) {
        cur->failed = 1;
        memset(a, 0, sizeof *a);
        return;
    }
    const uint8_t *q = cur->p + cur->at;
#define GET16(f) (a->f = ld16(q), q += 2)
#define GETU32(f) (a->f = ld32(q), q += 4)
#define GETU64(f) (a->f = ld64(q), q += 8)
#define GETI32(f) (a->f = (int32_t)ld32(q), q += 4)
#define GETI64(f) (a->f = (int64_t)ld64(q), q += 8)
#define GET8(f) (a->f = *q++)
    ACC_FIELDS(GET16, GETU32, GETU64, GETI32, GETI64, GET8);
#undef GET16
#undef GETU32
#undef GETU64
#undef GETI32
#undef GETI64
#undef GET8
    a->purchase_days = 0; /* the file has the days, which a merge counts */
    cur->at += PARTIAL_ACC_BYTES;
}

void partial_meta_free(partial_meta *m)
{
    for (size_t f = 0; m->file && f < m->files; f++) {
        free(m->file[f].path);
        day_hist_free(&m->file[f].days);
    }
    free(m->file);
    free(m->options);
    memset(m, 0, sizeof *m);
}

/* Appends printf output to a malloc'ed string; frees it and returns NULL
 * when out of memory. */
static char *append(char *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *append(char *s, const char *fmt, ...)
{
    if (!s)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    const int add = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    const size_t len = strlen(s);
    char *grown = realloc(s, len + (size_t)add + 1);
    if (!grown) {
        free(s);
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(grown + len, (size_t)add + 1, fmt, ap);
    va_end(ap);
    return grown;
}

char *partial_options_text(const lapse_extract_options *opts)
{
    char keys[128];
    lapse_churn_format_keys(keys, sizeof keys, opts->churn.key_mask);
    char *s = calloc(1, 1);
    s = append(s, "key=%s silent_days=%d horizon_days=%d cancel_is_churn=%d asof=", keys,
               opts->churn.silent_days, opts->churn.horizon_days, opts->churn.cancel_is_churn);
    for (size_t i = 0; i < opts->asof_count; i++) {
        char date[11];
        lapse_time_format_date(date, opts->asof[i]);
        s = append(s, "%s%s", i ? "," : "", date);
    }
    const lapse_reader_options *r = &opts->reader;
    static const char *const dups[] = { "count", "drop", "keep" };
    s = append(s, " labels=%d repeats=%s max_bad_rows=%lld strict_users=%d", opts->labels,
               dups[r->dups], (long long)r->max_bad_rows, r->strict_users);
    if (r->delimiter)
        s = append(s, " delimiter=0x%02x", (unsigned)(unsigned char)r->delimiter);
    if (r->event)
        s = append(s, " event=%s", r->event);
    for (int c = 0; c < LAPSE_COL_COUNT; c++)
        if (r->columns[c])
            s = append(s, " col.%s=%s", lapse_reader_column_name((lapse_column)c), r->columns[c]);
    lapse_category_map *own = r->categories ? NULL : lapse_category_map_default();
    if (!r->categories && !own) {
        free(s);
        return NULL;
    }
    s = append(s, " categories=%016llx",
               (unsigned long long)lapse_category_map_hash(r->categories ? r->categories : own));
    lapse_category_map_free(own);
    return s;
}

/* The reader counts, field by field. */
static void put_stats(pbuf *b, const lapse_reader_stats *s)
{
    pbuf_u64(b, (uint64_t)s->events);
    pbuf_u64(b, (uint64_t)s->bad_rows);
    pbuf_u64(b, (uint64_t)s->anonymous_rows);
    pbuf_u64(b, (uint64_t)s->unknown_rows);
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        pbuf_u64(b, (uint64_t)s->category_rows[c]);
    pbuf_u32(b, (uint32_t)s->unknown_examples);
    for (size_t i = 0; i < s->unknown_examples; i++) {
        pbuf_u32(b, (uint32_t)strlen(s->unknown_names[i]));
        pbuf_put(b, s->unknown_names[i], strlen(s->unknown_names[i]));
    }
    pbuf_u64(b, (uint64_t)s->amount_rows);
    pbuf_u32(b, (uint32_t)s->amount_examples);
    for (size_t i = 0; i < s->amount_examples; i++) {
        pbuf_u32(b, (uint32_t)strlen(s->amount_names[i]));
        pbuf_put(b, s->amount_names[i], strlen(s->amount_names[i]));
    }
    pbuf_u64(b, (uint64_t)s->refund_rows);
    pbuf_u64(b, (uint64_t)s->repeated_rows);
    pbuf_u32(b, (uint32_t)s->repeat_file);
    pbuf_u32(b, (uint32_t)s->repeat_of_file);
    pbuf_u64(b, (uint64_t)s->repeat_line);
    pbuf_u64(b, (uint64_t)s->repeat_of_line);
}

/* Example names: at most LAPSE_READER_EXAMPLES, each shorter than its
 * slot and without NUL. Returns 0 or -1. */
static int get_names(pcursor *c, size_t *count, char (*names)[LAPSE_READER_NAME_SHOWN])
{
    *count = pcur_u32(c);
    if (*count > LAPSE_READER_EXAMPLES)
        return -1;
    for (size_t i = 0; i < *count; i++) {
        const uint32_t len = pcur_u32(c);
        if (len >= LAPSE_READER_NAME_SHOWN || pcur_get(c, names[i], len) != 0 ||
            memchr(names[i], '\0', len))
            return -1;
        names[i][len] = '\0';
    }
    return c->failed ? -1 : 0;
}

static int64_t get_count(pcursor *c)
{
    const uint64_t v = pcur_u64(c);
    if (v > (uint64_t)PARTIAL_MAX_COUNT)
        c->failed = 1;
    return (int64_t)v;
}

static int get_stats(pcursor *c, lapse_reader_stats *s, size_t files)
{
    memset(s, 0, sizeof *s);
    s->events = get_count(c);
    s->bad_rows = get_count(c);
    s->anonymous_rows = get_count(c);
    s->unknown_rows = get_count(c);
    for (int k = 0; k < LAPSE_CAT_COUNT; k++)
        s->category_rows[k] = get_count(c);
    if (get_names(c, &s->unknown_examples, s->unknown_names) != 0)
        return -1;
    s->amount_rows = get_count(c);
    if (get_names(c, &s->amount_examples, s->amount_names) != 0)
        return -1;
    s->refund_rows = get_count(c);
    s->repeated_rows = get_count(c);
    s->repeat_file = pcur_u32(c);
    s->repeat_of_file = pcur_u32(c);
    s->repeat_line = get_count(c);
    s->repeat_of_line = get_count(c);
    const int64_t line_max = (int64_t)1 << PARTIAL_LINE_BITS;
    if (s->repeat_line && (s->repeat_file >= files || s->repeat_of_file >= files ||
                           s->repeat_line >= line_max || s->repeat_of_line >= line_max))
        return -1;
    return c->failed ? -1 : 0;
}

static void put_meta(pbuf *b, const partial_meta *m)
{
    pbuf_u32(b, (uint32_t)strlen(m->options));
    pbuf_put(b, m->options, strlen(m->options));
    pbuf_u32(b, m->churn.key_mask);
    pbuf_u32(b, (uint32_t)m->churn.silent_days);
    pbuf_u32(b, (uint32_t)m->churn.horizon_days);
    pbuf_u32(b, (uint32_t)m->churn.cancel_is_churn);
    pbuf_u32(b, (uint32_t)m->labels);
    pbuf_u32(b, (uint32_t)m->dups);
    pbuf_u64(b, (uint64_t)m->max_bad_rows);
    pbuf_u32(b, (uint32_t)m->snapshots);
    for (size_t s = 0; s < m->snapshots; s++)
        pbuf_u64(b, (uint64_t)m->asof[s]);
    pbuf_u32(b, (uint32_t)m->files);
    for (size_t f = 0; f < m->files; f++) {
        const partial_file *pf = &m->file[f];
        pbuf_u32(b, (uint32_t)strlen(pf->path));
        pbuf_put(b, pf->path, strlen(pf->path));
        /* The days from the first with events to the last, without the
         * histogram's spare room. */
        size_t lo = 0, hi = pf->days.events ? pf->days.len : 0;
        while (lo < hi && !pf->days.count[lo])
            lo++;
        while (hi > lo && !pf->days.count[hi - 1])
            hi--;
        pbuf_u64(b, (uint64_t)pf->days.events);
        pbuf_u32(b, (uint32_t)(pf->days.first + (int32_t)lo));
        pbuf_u32(b, (uint32_t)(hi - lo));
        for (size_t d = lo; d < hi; d++)
            pbuf_u64(b, (uint64_t)pf->days.count[d]);
    }
    put_stats(b, &m->map_stats);
    put_stats(b, &m->bucket_stats);
}

/* A day histogram as written: counts that sum to its events, within the
 * days lapse can read. -2 out of memory, -1 corrupt. */
static int get_days(pcursor *c, day_hist *h)
{
    const int64_t events = get_count(c);
    const int32_t first = (int32_t)pcur_u32(c);
    const uint32_t len = pcur_u32(c);
    if (c->failed || first < 0 || len > PARTIAL_MAX_DAYS ||
        first > PARTIAL_MAX_DAYS - (int32_t)len || (events == 0) != (len == 0) ||
        (c->len - c->at) / 8 < len)
        return -1;
    if (!len)
        return 0;
    if (!(h->count = calloc(len, sizeof *h->count)))
        return -2;
    h->first = first;
    h->len = len;
    h->events = events;
    int64_t sum = 0;
    for (uint32_t d = 0; d < len; d++) {
        const int64_t n = get_count(c);
        if (c->failed || n > events - sum)
            return -1;
        h->count[d] = n;
        sum += n;
    }
    return sum == events ? 0 : -1;
}

static int corrupt(lapse_error *err, const char *path, int64_t offset, const char *what)
{
    return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, offset,
                           "not a valid lapse partial state file: %s", what);
}

/* The meta's fields (c over the meta bytes); -2 out of memory, -1 corrupt. */
static int get_meta(pcursor *c, partial_meta *m)
{
    const uint32_t olen = pcur_u32(c);
    if (c->failed || olen > c->len - c->at || !(m->options = malloc((size_t)olen + 1)))
        return c->failed || olen > c->len - c->at ? -1 : -2;
    pcur_get(c, m->options, olen);
    m->options[olen] = '\0';
    if (memchr(m->options, '\0', olen))
        return -1;
    m->churn.key_mask = pcur_u32(c);
    m->churn.silent_days = (int)pcur_u32(c);
    m->churn.horizon_days = (int)pcur_u32(c);
    m->churn.cancel_is_churn = (int)pcur_u32(c);
    m->labels = (int)pcur_u32(c);
    const uint32_t dups = pcur_u32(c);
    m->max_bad_rows = get_count(c);
    m->snapshots = pcur_u32(c);
    if (c->failed || lapse_churn_validate(&m->churn) != LAPSE_OK || (m->labels != 0 && m->labels != 1) ||
        (dups != LAPSE_DUPS_COUNT && dups != LAPSE_DUPS_KEEP) || m->snapshots < 1 ||
        m->snapshots > LAPSE_EXTRACT_MAX_SNAPSHOTS)
        return -1;
    m->dups = (lapse_dups)dups;
    for (size_t s = 0; s < m->snapshots; s++) {
        m->asof[s] = (int64_t)pcur_u64(c);
        if (m->asof[s] < 0 || m->asof[s] >= LAPSE_TIME_MAX ||
            m->asof[s] % LAPSE_SECONDS_PER_DAY != 0)
            return -1;
    }
    const uint32_t files = pcur_u32(c);
    if (c->failed || files < 1 || files > PARTIAL_MAX_FILES || files > c->len - c->at)
        return -1;
    if (!(m->file = calloc(files, sizeof *m->file)))
        return -2;
    m->files = files;
    for (size_t f = 0; f < files; f++) {
        const uint32_t plen = pcur_u32(c);
        if (c->failed || plen < 1 || plen > 4096 || plen > c->len - c->at)
            return -1;
        if (!(m->file[f].path = malloc((size_t)plen + 1)))
            return -2;
        pcur_get(c, m->file[f].path, plen);
        m->file[f].path[plen] = '\0';
        if (memchr(m->file[f].path, '\0', plen) ||
            (f > 0 && strcmp(m->file[f - 1].path, m->file[f].path) >= 0))
            return -1; /* sorted, each once */
        const int status = get_days(c, &m->file[f].days);
        if (status != 0)
            return status;
    }
    if (get_stats(c, &m->map_stats, files) != 0 || get_stats(c, &m->bucket_stats, files) != 0)
        return -1;
    return c->at == c->len ? 0 : -1;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int read_failed(lapse_error *err, const char *path)
{
    return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot read: %s", strerror(errno));
}

int partial_meta_read(partial_meta *m, const char *path, lapse_error *err)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                               strerror(errno));
    struct stat st;
    uint8_t h[PARTIAL_HEADER_BYTES];
    uint8_t *meta = NULL;
    int status = LAPSE_OK;
    const size_t got = fread(h, 1, sizeof h, f);
    if (ferror(f) || fstat(fileno(f), &st) != 0) {
        status = read_failed(err, path);
        goto done;
    }
    if (got < 8 || memcmp(h, PARTIAL_MAGIC, 8) != 0) {
        status = corrupt(err, path, 0, "no LAPSEPRT magic at its start (lapse extract --partial "
                                       "writes these files)");
        goto done;
    }
    if (got < sizeof h) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)got,
                                 "truncated: %zu bytes, shorter than the %d-byte header", got,
                                 PARTIAL_HEADER_BYTES);
        goto done;
    }
    if (le32(h + 8) != LAPSE_PARTIAL_FORMAT_VERSION) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 8,
                                 "partial state format %u; this lapse reads format %d only "
                                 "(format 1 lacks the purchase days that repeat_purchases "
                                 "counts): run the maps again with this lapse",
                                 le32(h + 8), LAPSE_PARTIAL_FORMAT_VERSION);
        goto done;
    }
    memcpy(m->version, h + 12, PARTIAL_VERSION_BYTES);
    m->version[PARTIAL_VERSION_BYTES] = '\0';
    for (char *p = m->version; *p; p++)
        if (*p < ' ' || *p > '~')
            *p = '?';
    if (strncmp((const char *)h + 12, LAPSE_VERSION_STRING, PARTIAL_VERSION_BYTES) != 0) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, 12,
                                 "written by lapse %s; this is lapse %s: run the maps and the "
                                 "merge with one version",
                                 m->version, LAPSE_VERSION_STRING);
        goto done;
    }
    m->bucket = le32(h + 28);
    m->buckets = le32(h + 32);
    m->meta_len = le32(h + 36);
    m->bulk_len = le64(h + 40);
    m->bulk_crc = le32(h + 52);
    const uint64_t want = (uint64_t)PARTIAL_HEADER_BYTES + m->meta_len + m->bulk_len;
    if (m->bulk_len > INT64_MAX / 2 || (uint64_t)st.st_size != want) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, (int64_t)st.st_size,
                                 (uint64_t)st.st_size < want
                                     ? "truncated: %lld bytes, the header says %llu"
                                     : "%lld bytes, more than the %llu the header says",
                                 (long long)st.st_size, (unsigned long long)want);
        goto done;
    }
    if (!(meta = malloc(m->meta_len ? m->meta_len : 1))) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    if (fread(meta, 1, m->meta_len, f) != m->meta_len) {
        status = read_failed(err, path);
        goto done;
    }
    uLong crc = crc32(0L, h, 48);
    crc = crc32(crc, meta, m->meta_len);
    if ((uint32_t)crc != le32(h + 48)) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, PARTIAL_HEADER_BYTES,
                                 "the header or options do not match their checksum: the file "
                                 "is corrupt");
        goto done;
    }
    if (m->buckets < 1 || m->buckets > LAPSE_PARTIAL_MAX_BUCKETS || m->bucket >= m->buckets) {
        status = corrupt(err, path, 28, "bucket out of range");
        goto done;
    }
    pcursor c = { meta, m->meta_len, 0, 0 };
    const int got_meta = get_meta(&c, m);
    if (got_meta == -2)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    else if (got_meta != 0)
        status = corrupt(err, path, PARTIAL_HEADER_BYTES + (int64_t)c.at, "a bad options field");
done:
    free(meta);
    fclose(f);
    if (status != LAPSE_OK)
        partial_meta_free(m);
    return status;
}

int partial_bulk_read(uint8_t **bulk, const partial_meta *m, const char *path, lapse_error *err)
{
    *bulk = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "cannot open: %s",
                               strerror(errno));
    uint8_t *buf = malloc(m->bulk_len ? (size_t)m->bulk_len : 1);
    int status = LAPSE_OK;
    if (!buf)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    else if (fseek(f, (long)(PARTIAL_HEADER_BYTES + m->meta_len), SEEK_SET) != 0 ||
             fread(buf, 1, (size_t)m->bulk_len, f) != m->bulk_len)
        status = ferror(f) ? read_failed(err, path)
                           : lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                                             "truncated while being read");
    if (status == LAPSE_OK) {
        /* zlib's crc32 takes a uInt length: feed it in pieces. */
        uLong crc = crc32(0L, NULL, 0);
        for (uint64_t at = 0; at < m->bulk_len;) {
            const uint64_t n = m->bulk_len - at < (1u << 30) ? m->bulk_len - at : (1u << 30);
            crc = crc32(crc, buf + at, (uInt)n);
            at += n;
        }
        if ((uint32_t)crc != m->bulk_crc)
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0,
                                     PARTIAL_HEADER_BYTES + (int64_t)m->meta_len,
                                     "the users' states do not match their checksum: the file "
                                     "is corrupt");
    }
    fclose(f);
    if (status != LAPSE_OK) {
        free(buf);
        return status;
    }
    *bulk = buf;
    return LAPSE_OK;
}

int partial_write(const char *path, const partial_meta *m, const pbuf *bulk, lapse_error *err)
{
    pbuf meta = { 0 };
    put_meta(&meta, m);
    if (meta.nomem || bulk->nomem || meta.len > UINT32_MAX) {
        free(meta.p);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    uint8_t h[PARTIAL_HEADER_BYTES] = { 0 };
    memcpy(h, PARTIAL_MAGIC, 8);
    pbuf hb = { h, 0, sizeof h, 0 }; /* writes into h, which has the room */
    hb.len = 8;
    pbuf_u32(&hb, LAPSE_PARTIAL_FORMAT_VERSION);
    strncpy((char *)h + 12, LAPSE_VERSION_STRING, PARTIAL_VERSION_BYTES);
    hb.len = 28;
    pbuf_u32(&hb, m->bucket);
    pbuf_u32(&hb, m->buckets);
    pbuf_u32(&hb, (uint32_t)meta.len);
    pbuf_u64(&hb, bulk->len);
    uLong crc = crc32(crc32(0L, h, 48), meta.p, (uInt)meta.len);
    pbuf_u32(&hb, (uint32_t)crc);
    crc = crc32(0L, NULL, 0);
    for (size_t at = 0; at < bulk->len;) {
        const size_t n = bulk->len - at < (1u << 30) ? bulk->len - at : (1u << 30);
        crc = crc32(crc, bulk->p + at, (uInt)n);
        at += n;
    }
    pbuf_u32(&hb, (uint32_t)crc);

    lapse_outfile *out = NULL;
    int status = lapse_outfile_open(&out, path, err);
    if (status == LAPSE_OK) {
        FILE *s = lapse_outfile_stream(out);
        if (fwrite(h, 1, sizeof h, s) != sizeof h || fwrite(meta.p, 1, meta.len, s) != meta.len ||
            (bulk->len && fwrite(bulk->p, 1, bulk->len, s) != bulk->len)) {
            status = lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1, "write failed: %s",
                                     strerror(errno));
            lapse_outfile_abort(out);
        } else {
            status = lapse_outfile_commit(out, err);
        }
    }
    free(meta.p);
    return status;
}
