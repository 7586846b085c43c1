/* Internal: the partial state file of extract --partial (lapse/extract_partial.h).
 *
 * Layout, every integer little-endian (also in datasets/README.md):
 *
 *   header, 64 bytes:
 *     0  magic "LAPSEPRT"            8
 *     8  format version (2)         u32
 *    12  lapse version, NUL-padded  16 bytes
 *    28  bucket                     u32
 *    32  buckets                    u32
 *    36  meta length                u32
 *    40  bulk length                u64
 *    48  meta CRC-32                u32  over header bytes 0..47 and the meta
 *    52  bulk CRC-32                u32  over the bulk
 *    56  zero                       8 bytes
 *   meta:
 *     options text: u32 length, bytes (every extract option that changes a
 *       feature, as "name=value" words: what merges compare)
 *     churn: u32 key mask, u32 silent days, u32 horizon days, u32 cancel is churn
 *     u32 labels, u32 repeat mode (0 count, 2 keep), i64 max bad rows
 *     u32 snapshots, then each asof: i64 UTC seconds
 *     u32 files, then each: u32 path length, path bytes, and its events per
 *       day: i64 events, i32 first day, u32 days, then days x i64 counts
 *     the map's reader counts, then the bucket's repeats found by a combine
 *       (reader counts too, only the repeat fields set): see put_stats
 *   bulk:
 *     u64 rows, then each: u64 row hash, u64 position (file index << 44 | line)
 *     u64 users, then each: u16 id length, id bytes, snapshots x accumulator
 *       (see put_acc: lapse_acc's fields in order, but purchase_days), then
 *       u32 purchase days, then each: u32 day (days since 1970, ascending,
 *       each once, before the last asof): the days the user bought on, which
 *       a merge unites (a day two maps saw counts once)
 *
 * Positions and file indices refer to the meta's files, which are sorted by
 * path bytes. */
#ifndef LAPSE_EXTRACT_PARTIAL_INTERNAL_H
#define LAPSE_EXTRACT_PARTIAL_INTERNAL_H

#include "extract_internal.h"

#include "lapse/extract_partial.h"

#include <string.h>

#define PARTIAL_HEADER_BYTES 64
#define PARTIAL_MAGIC "LAPSEPRT"
#define PARTIAL_VERSION_BYTES 16
#define PARTIAL_MAX_FILES (1u << 20)
/* A reader count in a partial file is at most 2^47 rows (a hundred trillion)
 * and a merge takes at most 2^15 partial files, so their sums stay far from
 * int64's limit whatever bytes a file holds. */
#define PARTIAL_MAX_COUNT (INT64_C(1) << 47)
#define PARTIAL_MAX_INPUTS (1u << 15)
#define PARTIAL_MAX_DAYS 80000 /* days from 1970 to the year 2189: past LAPSE_TIME_MAX's */
#define PARTIAL_LINE_BITS 44
/* An accumulator's bytes: put_acc's fields (lapse_acc's, in order). */
#define PARTIAL_ACC_BYTES                                                                          \
    (4 * (ACC_WINDOWS * LAPSE_CAT_COUNT + LAPSE_CAT_COUNT) + 8 * ACC_WINDOWS + 8 + 8 + 4 +         \
     2 * (8 + 8 + 8 + 8) + 4 + 4 + 4 * LAPSE_CAT_COUNT + 1 + 2)

/* A growing byte buffer; nomem once a growth failed. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int nomem;
} pbuf;

void pbuf_put(pbuf *b, const void *data, size_t len);
void pbuf_u16(pbuf *b, uint16_t v);
void pbuf_u32(pbuf *b, uint32_t v);
void pbuf_u64(pbuf *b, uint64_t v);
void pbuf_put_acc(pbuf *b, const lapse_acc *a);

/* Reading a section: get_* return 0, or -1 past its end (the cursor then
 * stays failed). */
typedef struct {
    const uint8_t *p;
    size_t len, at;
    int failed;
} pcursor;

int pcur_get(pcursor *c, void *out, size_t len);
uint16_t pcur_u16(pcursor *c);
uint32_t pcur_u32(pcursor *c);
uint64_t pcur_u64(pcursor *c);
void pcur_acc(pcursor *c, lapse_acc *a);

typedef struct {
    char *path;
    day_hist days;
} partial_file;

typedef struct {
    char version[PARTIAL_VERSION_BYTES + 1];
    unsigned bucket, buckets;
    char *options; /* NUL-terminated */
    lapse_churn_def churn;
    int labels;
    lapse_dups dups;
    int64_t max_bad_rows;
    size_t snapshots;
    int64_t asof[LAPSE_EXTRACT_MAX_SNAPSHOTS];
    size_t files;
    partial_file *file; /* sorted by path */
    lapse_reader_stats map_stats;    /* the map's whole read */
    lapse_reader_stats bucket_stats; /* the repeats across maps a combine found in the bucket */
    uint32_t meta_len;
    uint64_t bulk_len;
    uint32_t bulk_crc;
} partial_meta;

void partial_meta_free(partial_meta *m);

/* The options text of opts (see the layout), malloc'ed; NULL when out of
 * memory. */
char *partial_options_text(const lapse_extract_options *opts);

/* Reads the header and the meta of path: magic, format and lapse version
 * first, then the size against the header's lengths (truncated), then the
 * meta's checksum, then its fields. Errors name path. */
int partial_meta_read(partial_meta *m, const char *path, lapse_error *err);

/* Reads the bulk of path (m from partial_meta_read) into *bulk (malloc'ed)
 * and checks its checksum. */
int partial_bulk_read(uint8_t **bulk, const partial_meta *m, const char *path, lapse_error *err);

/* Writes a partial file: m's header and meta fields, then bulk. */
int partial_write(const char *path, const partial_meta *m, const pbuf *bulk, lapse_error *err);

/* A row's hash and its earliest position (file << 44 | line). */
typedef struct {
    uint64_t hash, pos;
} prow;

typedef struct {
    prow *p;
    size_t len, cap;
    int nomem;
} prows;

void prows_push(prows *r, uint64_t hash, uint64_t pos);

/* Sorts the rows by hash, then position: the order partial files list them
 * in, whatever the order they were seen in. */
void prows_sort(prows *r);

/* Writes one partial file per bucket of m (every one, or those wanted[b]
 * says) into dir, made when missing: x's users of the bucket and the rows
 * whose hash falls in it, with bucket_stats[b] (or none) as the bucket's
 * repeats across maps. */
int partial_write_buckets(const lapse_extract *x, partial_meta *m, const prows *rows,
                          const lapse_reader_stats *bucket_stats, const unsigned char *wanted,
                          const char *dir, lapse_error *err);

static inline int partial_compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static inline int partial_no_memory(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
}

/* The bucket of a user id's or a row's 64-bit hash. */
static inline unsigned partial_bucket_of(uint64_t hash, unsigned buckets)
{
    return (unsigned)(((hash >> 32) * (uint64_t)buckets) >> 32);
}

#endif
