/* extract as map and merge (lapse/extract_partial.h), the map: it reads its
 * files as extract does and writes each bucket's users with the whole
 * read's counts (extract_merge.c reads them back). */
#include "extract_partial_internal.h"

#include "rowset.h"
#include "strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

void prows_push(prows *r, uint64_t hash, uint64_t pos)
{
    if (r->nomem)
        return;
    if (r->len == r->cap) {
        const size_t cap = r->cap ? 2 * r->cap : 1024;
        prow *p = realloc(r->p, cap * sizeof *p);
        if (!p) {
            r->nomem = 1;
            return;
        }
        r->p = p;
        r->cap = cap;
    }
    r->p[r->len++] = (prow){ hash, pos };
}

static int compare_rows(const void *a, const void *b)
{
    const prow *x = a, *y = b;
    if (x->hash != y->hash)
        return (x->hash > y->hash) - (x->hash < y->hash);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

void prows_sort(prows *r)
{
    if (r->len)
        qsort(r->p, r->len, sizeof *r->p, compare_rows);
}

static void collect_row(uint64_t hash, uint64_t pos, void *user)
{
    prows_push(user, hash, pos);
}

/* 8 hex digits naming a map by its sorted files: the same map run again
 * writes the same names. */
static uint32_t map_id(const partial_meta *m)
{
    uLong crc = crc32(0L, NULL, 0);
    for (size_t f = 0; f < m->files; f++)
        crc = crc32(crc, (const Bytef *)m->file[f].path, (uInt)strlen(m->file[f].path) + 1);
    return (uint32_t)crc;
}

typedef struct {
    uint32_t id;
    uint16_t part;
} user_ref;

/* dir and the folders above it, as mkdir -p makes them. */
static int make_folders(const char *dir, lapse_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "folder name too long");
    for (char *p = path + 1;; p++) {
        const char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return lapse_error_set(err, LAPSE_ERR_IO, path, 0, 0, -1,
                                   "cannot create the folder: %s", strerror(errno));
        *p = c;
        if (!c)
            return LAPSE_OK;
    }
}

int partial_write_buckets(const lapse_extract *x, partial_meta *m, const prows *rows,
                          const lapse_reader_stats *bucket_stats, const unsigned char *wanted,
                          const char *dir, lapse_error *err)
{
    const unsigned buckets = m->buckets;
    /* Users in id order and rows in hash order, then by bucket (a counting
     * sort, which keeps those orders): a map writes the same bytes whatever
     * the order its threads met them in. */
    size_t users = 0;
    extract_user *by_id = extract_sorted_users(x, &users);
    size_t *user_start = calloc(buckets + 1, sizeof *user_start);
    size_t *row_start = calloc(buckets + 1, sizeof *row_start);
    uint16_t *user_bucket = malloc((users + 1) * sizeof *user_bucket);
    user_ref *order = malloc((users + 1) * sizeof *order);
    prow *row_order = malloc((rows->len + 1) * sizeof *row_order);
    extract_day_lists days[EXTRACT_PARTS] = { { 0 } };
    int status = LAPSE_OK;
    if (!by_id || !user_start || !row_start || !user_bucket || !order || !row_order) {
        status = partial_no_memory(err);
        goto done;
    }
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        if (extract_day_lists_make(&days[p], &x->parts[p]) != 0) {
            status = partial_no_memory(err);
            goto done;
        }
    for (size_t k = 0; k < users; k++) {
        user_bucket[k] =
            (uint16_t)partial_bucket_of(lapse_hash_bytes(by_id[k].key, by_id[k].len), buckets);
        user_start[user_bucket[k] + 1]++;
    }
    for (size_t i = 0; i < rows->len; i++)
        row_start[partial_bucket_of(rows->p[i].hash, buckets) + 1]++;
    for (unsigned b = 0; b < buckets; b++) {
        user_start[b + 1] += user_start[b];
        row_start[b + 1] += row_start[b];
    }
    for (size_t k = 0; k < users; k++)
        order[user_start[user_bucket[k]]++] = (user_ref){ by_id[k].id, by_id[k].part };
    for (size_t i = 0; i < rows->len; i++)
        row_order[row_start[partial_bucket_of(rows->p[i].hash, buckets)]++] = rows->p[i];
    /* The starts moved to the ends: each bucket now begins where the
     * previous one ends. */
    /* Made only now: a run that fails leaves no folder. */
    status = make_folders(dir, err);
    if (status != LAPSE_OK)
        goto done;
    const uint32_t id = map_id(m);
    size_t user_at = 0, row_at = 0;
    for (unsigned b = 0; b < buckets && status == LAPSE_OK; b++) {
        const size_t user_end = user_start[b], row_end = row_start[b];
        if (wanted && !wanted[b]) {
            user_at = user_end;
            row_at = row_end;
            continue;
        }
        pbuf bulk = { 0 };
        pbuf_u64(&bulk, row_end - row_at);
        for (; row_at < row_end; row_at++) {
            pbuf_u64(&bulk, row_order[row_at].hash);
            pbuf_u64(&bulk, row_order[row_at].pos);
        }
        pbuf_u64(&bulk, user_end - user_at);
        for (; user_at < user_end; user_at++) {
            const extract_part *part = &x->parts[order[user_at].part];
            size_t len;
            const char *key = lapse_strmap_key(part->users, order[user_at].id, &len);
            pbuf_u16(&bulk, (uint16_t)len);
            pbuf_put(&bulk, key, len);
            for (size_t s = 0; s < x->snapshots; s++)
                pbuf_put_acc(&bulk, &part->accs[(size_t)order[user_at].id * x->snapshots + s]);
            const extract_day_lists *l = &days[order[user_at].part];
            const size_t first = l->start[order[user_at].id], end = l->start[order[user_at].id + 1];
            pbuf_u32(&bulk, (uint32_t)(end - first));
            for (size_t d = first; d < end; d++)
                pbuf_u32(&bulk, l->days[d]);
        }
        m->bucket = b;
        memset(&m->bucket_stats, 0, sizeof m->bucket_stats);
        if (bucket_stats)
            m->bucket_stats = bucket_stats[b];
        char path[4096];
        if (snprintf(path, sizeof path, "%s/map-%08x.bucket-%04u-of-%04u", dir, id, b, buckets) >=
            (int)sizeof path)
            status = lapse_error_set(err, LAPSE_ERR_ARG, dir, 0, 0, -1, "folder name too long");
        else
            status = partial_write(path, m, &bulk, err);
        free(bulk.p);
    }
done:
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        extract_day_lists_free(&days[p]);
    free(by_id);
    free(user_start);
    free(row_start);
    free(user_bucket);
    free(order);
    free(row_order);
    return status;
}

/* The options text with the snapshots as the extract planned them (sorted,
 * each once), so that maps given the same dates in any order agree. */
static char *options_of(const lapse_extract *x, const lapse_extract_options *opts)
{
    int64_t asof[LAPSE_EXTRACT_MAX_SNAPSHOTS];
    for (size_t s = 0; s < x->snapshots; s++)
        asof[s] = x->snap[s].asof_ts;
    lapse_extract_options planned = *opts;
    planned.asof = asof;
    planned.asof_count = x->snapshots;
    return partial_options_text(&planned);
}

int lapse_extract_partial(const char *const *paths, size_t count,
                          const lapse_extract_options *opts, unsigned buckets, const char *dir,
                          lapse_extract_stats *stats, lapse_error *err)
{
    if (buckets < 1 || buckets > LAPSE_PARTIAL_MAX_BUCKETS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "buckets must be 1 to %d",
                               LAPSE_PARTIAL_MAX_BUCKETS);
    if (opts->labels_path || opts->asof_path)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "partial states take snapshot dates and labels from the log: no "
                               "label file or asof file");
    if (opts->reader.dups == LAPSE_DUPS_DROP)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "dropping repeated rows needs every copy in one read: drop them "
                               "before the maps, or count them (the default)");
    if (count == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no input files");
    if (count > PARTIAL_MAX_FILES)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "more than %u files in one map",
                               PARTIAL_MAX_FILES);
    /* Sorted: positions in the log (repeated rows) then order as the merge's do. */
    const char **sorted = malloc(count * sizeof *sorted);
    if (!sorted)
        return partial_no_memory(err);
    memcpy(sorted, paths, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, partial_compare_strings);
    for (size_t f = 1; f < count; f++)
        if (strcmp(sorted[f - 1], sorted[f]) == 0) {
            lapse_error_set(err, LAPSE_ERR_ARG, sorted[f], 0, 0, -1,
                            "given twice: a file is read once");
            free(sorted);
            return LAPSE_ERR_ARG;
        }
    lapse_extract *x = NULL;
    extract_seen seen = { 0 };
    partial_meta m = { 0 };
    prows rows = { 0 };
    int status = extract_new(&x, opts, err);
    int read = 0;
    if (status == LAPSE_OK) {
        status = extract_read(x, sorted, count, opts, 1, &seen, err);
        read = status == LAPSE_OK;
    }
    if (status == LAPSE_OK) {
        m.buckets = buckets;
        m.options = options_of(x, opts);
        m.churn = opts->churn;
        m.labels = opts->labels;
        m.dups = opts->reader.dups;
        m.max_bad_rows = opts->reader.max_bad_rows;
        m.snapshots = x->snapshots;
        for (size_t s = 0; s < x->snapshots; s++)
            m.asof[s] = x->snap[s].asof_ts;
        m.files = count;
        m.file = calloc(count, sizeof *m.file);
        m.map_stats = x->stats.reader;
        if (seen.rows)
            lapse_rowset_each(seen.rows, collect_row, &rows);
        prows_sort(&rows);
        if (!m.options || !m.file || rows.nomem)
            status = partial_no_memory(err);
    }
    if (status == LAPSE_OK) {
        for (size_t f = 0; f < count; f++)
            m.file[f] = (partial_file){ (char *)sorted[f], seen.days[f] }; /* borrowed */
        status = partial_write_buckets(x, &m, &rows, NULL, NULL, dir, err);
    }
    if (status == LAPSE_OK && stats) {
        *stats = x->stats;
        for (unsigned p = 0; p < EXTRACT_PARTS; p++)
            stats->users += (int64_t)lapse_strmap_size(x->parts[p].users);
    }
    free(m.file);
    free(m.options);
    free(rows.p);
    if (read)
        extract_seen_free(&seen, count);
    lapse_extract_free(x);
    free(sorted);
    return status;
}

