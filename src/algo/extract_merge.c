/* extract as map and merge (lapse/extract_partial.h), the merge: checks that
 * its partial files belong together, sums them into one extract and hands
 * it to the same checks, rows and warnings as lapse_extract_run; or, as a
 * combiner, writes the sums as partial files again. */
#include "extract_partial_internal.h"

#include "strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    partial_meta meta;
    size_t map;     /* its map: 0 .. n_maps - 1, in the inputs' sorted order */
    size_t *global; /* [meta.files]: the global index of each of its files */
} input;

typedef struct {
    size_t first; /* the index of its first input (in sorted order) */
} map_info;

typedef struct {
    input *in; /* sorted by file list, then bucket */
    size_t n_in;
    size_t n_maps;
    unsigned buckets;
    unsigned char *wanted; /* [buckets]: given */
    const char **paths;    /* the log's files, sorted (borrowed from the inputs' metas) */
    size_t files;
    day_hist *days;          /* [files], moved out of the metas */
    lapse_reader_stats map_stats;     /* every map's, once each */
    lapse_reader_stats *bucket_stats; /* [buckets]: repeats across maps */
    prows rows;              /* each row once, at its earliest position */
    lapse_extract *x;
} merge;

static void merge_free(merge *g)
{
    for (size_t i = 0; g->in && i < g->n_in; i++) {
        partial_meta_free(&g->in[i].meta);
        free(g->in[i].global);
    }
    for (size_t f = 0; g->days && f < g->files; f++)
        day_hist_free(&g->days[f]);
    free(g->days);
    free(g->in);
    free(g->wanted);
    free(g->paths);
    free(g->bucket_stats);
    free(g->rows.p);
    lapse_extract_free(g->x);
}

static int compare_file_lists(const partial_meta *a, const partial_meta *b)
{
    const size_t n = a->files < b->files ? a->files : b->files;
    for (size_t f = 0; f < n; f++) {
        const int c = strcmp(a->file[f].path, b->file[f].path);
        if (c)
            return c;
    }
    return (a->files > b->files) - (a->files < b->files);
}

static int compare_inputs(const void *a, const void *b)
{
    const input *x = a, *y = b;
    const int c = compare_file_lists(&x->meta, &y->meta);
    if (c)
        return c;
    return (x->meta.bucket > y->meta.bucket) - (x->meta.bucket < y->meta.bucket);
}

/* The first word of the options text that differs, as "name=a" and
 * "name=b". */
static void first_difference(const char *a, const char *b, char *wa, char *wb, size_t size)
{
    while (*a && *b) {
        const size_t la = strcspn(a, " "), lb = strcspn(b, " ");
        if (la != lb || memcmp(a, b, la) != 0) {
            snprintf(wa, size, "%.*s", (int)la, a);
            snprintf(wb, size, "%.*s", (int)lb, b);
            return;
        }
        a += la + (a[la] == ' ');
        b += lb + (b[lb] == ' ');
    }
    snprintf(wa, size, "%s", *a ? a : "(nothing)");
    snprintf(wb, size, "%s", *b ? b : "(nothing)");
}

/* Checks that every input belongs with the first one given. */
static int check_alike(const input *in, size_t n, lapse_error *err)
{
    const partial_meta *first = &in[0].meta;
    for (size_t i = 1; i < n; i++) {
        const partial_meta *m = &in[i].meta;
        if (m->buckets != first->buckets)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, in[i].path, 0, 0, -1,
                                   "a state of %u buckets, while %s has %u: merge the partial "
                                   "files of one --buckets count",
                                   m->buckets, in[0].path, first->buckets);
        if (strcmp(m->options, first->options) != 0) {
            char a[256], b[256];
            first_difference(m->options, first->options, a, b, sizeof a);
            return lapse_error_set(err, LAPSE_ERR_FORMAT, in[i].path, 0, 0, -1,
                                   "made with other extract options than %s (%s, not %s): "
                                   "every map must use one churn definition and one set of "
                                   "options",
                                   in[0].path, a, b);
        }
    }
    return LAPSE_OK;
}

static const char *first_file(const input *in)
{
    return in->meta.file[0].path;
}

/* Sorts the inputs into maps (one file list each); refuses a map's
 * bucket given twice, a log file in two maps, and a bucket some maps give
 * and another lacks. Sets the global file list. */
static int group_maps(merge *g, lapse_error *err)
{
    qsort(g->in, g->n_in, sizeof *g->in, compare_inputs);
    map_info *maps = malloc(g->n_in * sizeof *maps);
    size_t total_files = 0;
    if (!maps)
        return partial_no_memory(err);
    for (size_t i = 0; i < g->n_in; i++) {
        if (i > 0 && compare_file_lists(&g->in[i - 1].meta, &g->in[i].meta) == 0) {
            if (g->in[i - 1].meta.bucket == g->in[i].meta.bucket) {
                free(maps);
                return lapse_error_set(err, LAPSE_ERR_FORMAT, g->in[i].path, 0, 0, -1,
                                       "bucket %u of the map of %s%s, as %s is: the same state "
                                       "given twice",
                                       g->in[i].meta.bucket, first_file(&g->in[i]),
                                       g->in[i].meta.files > 1 ? "..." : "", g->in[i - 1].path);
            }
        } else {
            maps[g->n_maps++].first = i;
            total_files += g->in[i].meta.files;
        }
        g->in[i].map = g->n_maps - 1;
        g->wanted[g->in[i].meta.bucket] = 1;
    }
    /* Every map gives every bucket given. */
    for (size_t k = 0; k < g->n_maps; k++) {
        const size_t end = k + 1 < g->n_maps ? maps[k + 1].first : g->n_in;
        size_t i = maps[k].first;
        for (unsigned b = 0; b < g->buckets; b++) {
            if (!g->wanted[b])
                continue;
            if (i < end && g->in[i].meta.bucket == b) {
                i++;
                continue;
            }
            const input *other = NULL;
            for (size_t j = 0; j < g->n_in && !other; j++)
                if (g->in[j].meta.bucket == b)
                    other = &g->in[j];
            const input *mine = &g->in[maps[k].first];
            free(maps);
            return lapse_error_set(err, LAPSE_ERR_FORMAT, mine->path, 0, 0, -1,
                                   "its map (of %s%s) gives no bucket %u, which %s gives for "
                                   "another map: a bucket is missing (give each map's partial "
                                   "file of every bucket merged)",
                                   first_file(mine), mine->meta.files > 1 ? "..." : "", b,
                                   other->path);
        }
    }
    /* The log: every map's files, each in one map only. */
    typedef struct {
        const char *path;
        size_t map;
        const char *partial;
    } owned;
    owned *all = malloc((total_files + 1) * sizeof *all);
    g->paths = malloc((total_files + 1) * sizeof *g->paths);
    if (!all || !g->paths) {
        free(all);
        free(maps);
        return partial_no_memory(err);
    }
    size_t n = 0;
    for (size_t k = 0; k < g->n_maps; k++) {
        const input *in = &g->in[maps[k].first];
        for (size_t f = 0; f < in->meta.files; f++)
            all[n++] = (owned){ in->meta.file[f].path, k, in->path };
    }
    free(maps);
    qsort(all, n, sizeof *all, partial_compare_strings); /* path is the first member */
    int status = LAPSE_OK;
    for (size_t f = 0; f < n && status == LAPSE_OK; f++) {
        if (f > 0 && strcmp(all[f - 1].path, all[f].path) == 0)
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, all[f].partial, 0, 0, -1,
                                     "its map read %s, and so did the map of %s: a log file "
                                     "must be read by one map only",
                                     all[f].path, all[f - 1].partial);
        g->paths[f] = all[f].path;
    }
    g->files = n;
    free(all);
    return status;
}

static size_t global_index(const merge *g, const char *path)
{
    size_t lo = 0, hi = g->files;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (strcmp(g->paths[mid], path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A position in a map's files -> in the log's. */
static uint64_t global_pos(const input *in, uint64_t pos)
{
    return (uint64_t)in->global[pos >> PARTIAL_LINE_BITS] << PARTIAL_LINE_BITS |
           (pos & ((1ull << PARTIAL_LINE_BITS) - 1));
}

/* The repeat example of s with its files renumbered into the log's. */
static void globalize_repeat(lapse_reader_stats *s, const input *in)
{
    if (!s->repeat_line)
        return;
    s->repeat_file = in->global[s->repeat_file];
    s->repeat_of_file = in->global[s->repeat_of_file];
}

/* Whether the accumulator can have come from extract at this snapshot:
 * days before asof, nested windows; what features_compute relies on. */
static int acc_plausible(const lapse_acc *a, const acc_snapshot *snap)
{
    const int32_t asof = snap->asof_day;
    /* A first day (ACC_FIRST_BASE - the field) from 0 to asof - 1. */
    if ((a->first_inv && a->first_inv <= ACC_FIRST_BASE - asof) ||
        (a->first_purchase_inv && a->first_purchase_inv <= ACC_FIRST_BASE - asof) ||
        a->label > 3 || a->cancel_first_inv > snap->horizon_end - asof)
        return 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        if (a->last1[c] < 0 || a->last1[c] > asof)
            return 0;
        for (int w = 0; w < ACC_WINDOWS; w++)
            if (a->count[w][c] > (w + 1 < ACC_WINDOWS ? a->count[w + 1][c] : a->total[c]))
                return 0;
    }
    for (int i = 0; i < 2; i++)
        if (a->device_ts1[i] < 0 || a->device_ts1[i] > snap->asof_ts)
            return 0;
    return 1;
}

static const char merge_nomem[] = "out of memory";

/* Reads a user's purchase days after its accumulators (acc, one per
 * snapshot, as the file has them) and adds them to the user's set in x.
 * They must be what extract makes beside those accumulators: ascending,
 * before the last asof, and at each snapshot as many as purchase events at
 * most, the first and the last before asof those of the accumulator.
 * Returns NULL, merge_nomem, or what is wrong. */
static const char *merge_days(lapse_extract *x, extract_part *part, uint32_t user,
                              const lapse_acc *acc, pcursor *c)
{
    const size_t snapshots = x->snapshots;
    const uint32_t n = pcur_u32(c);
    if (c->failed || n > (c->len - c->at) / 4)
        return "more purchase days than bytes";
    const size_t start = c->at;
    int64_t previous = -1;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t day = pcur_u32(c);
        if ((int64_t)day <= previous || day >= (uint32_t)x->snap[snapshots - 1].asof_day)
            return "purchase days out of order, or after the last snapshot";
        previous = day;
    }
    for (size_t s = 0; s < snapshots; s++) {
        const lapse_acc *a = &acc[s];
        uint32_t before = 0, first = 0, last = 0;
        c->at = start;
        for (uint32_t i = 0; i < n; i++) {
            const uint32_t day = pcur_u32(c);
            if (day >= (uint32_t)x->snap[s].asof_day)
                continue;
            first = before++ ? first : day;
            last = day;
        }
        if (before > a->total[LAPSE_CAT_PURCHASE] || (before > 0) != (a->first_purchase_inv != 0) ||
            (before && ((int64_t)first != (int64_t)ACC_FIRST_BASE - a->first_purchase_inv ||
                        (int64_t)last != (int64_t)a->last1[LAPSE_CAT_PURCHASE] - 1)))
            return "purchase days that do not match the user's purchases";
    }
    c->at = start;
    lapse_acc *accs = part->accs + (size_t)user * snapshots;
    for (uint32_t i = 0; i < n; i++)
        if (extract_purchase_day(part, user, (int32_t)pcur_u32(c), accs, x->snap, snapshots) != 0)
            return merge_nomem;
    return NULL;
}

/* Adds one input's rows and users. */
static int merge_bulk(merge *g, input *in, lapse_error *err)
{
    uint8_t *bulk = NULL;
    int status = partial_bulk_read(&bulk, &in->meta, in->path, err);
    if (status != LAPSE_OK)
        return status;
    lapse_extract *x = g->x;
    pcursor c = { bulk, (size_t)in->meta.bulk_len, 0, 0 };
    const uint64_t rows = pcur_u64(&c);
    const char *bad = NULL;
    if (rows > (c.len - c.at) / 16)
        bad = "more rows than bytes";
    for (uint64_t r = 0; r < rows && !bad; r++) {
        const uint64_t hash = pcur_u64(&c), pos = pcur_u64(&c);
        if (partial_bucket_of(hash, g->buckets) != in->meta.bucket ||
            (pos >> PARTIAL_LINE_BITS) >= in->meta.files || !(pos & ((1ull << PARTIAL_LINE_BITS) - 1)))
            bad = "a row of another bucket, or of no file";
        else
            prows_push(&g->rows, hash, global_pos(in, pos));
    }
    const uint64_t users = bad ? 0 : pcur_u64(&c);
    lapse_acc acc[LAPSE_EXTRACT_MAX_SNAPSHOTS];
    for (uint64_t u = 0; u < users && !bad && status == LAPSE_OK; u++) {
        char id[LAPSE_USER_ID_MAX];
        const uint16_t len = pcur_u16(&c);
        if (len < 1 || len > LAPSE_USER_ID_MAX || pcur_get(&c, id, len) != 0) {
            bad = "a bad user id";
            break;
        }
        const uint64_t hash = lapse_hash_bytes(id, len);
        if (partial_bucket_of(hash, g->buckets) != in->meta.bucket) {
            bad = "a user of another bucket";
            break;
        }
        extract_part *part = &x->parts[extract_part_of(hash)];
        int added;
        const int64_t user = lapse_strmap_intern_hash(part->users, hash, id, len, &added);
        if (user < 0 || (added && extract_part_make_room(part, x->snapshots, (size_t)user) != 0)) {
            status = partial_no_memory(err);
            break;
        }
        lapse_acc *a = part->accs + (size_t)user * x->snapshots;
        for (size_t s = 0; s < x->snapshots && !bad; s++) {
            pcur_acc(&c, &acc[s]);
            if (c.failed || !acc_plausible(&acc[s], &x->snap[s]))
                bad = "a user state extract cannot have made";
        }
        if (!bad)
            bad = merge_days(x, part, (uint32_t)user, acc, &c);
        if (bad == merge_nomem) {
            status = partial_no_memory(err);
            break;
        }
        for (size_t s = 0; s < x->snapshots && !bad; s++)
            acc_merge(a + s, &acc[s]);
    }
    if (!bad && status == LAPSE_OK && (c.failed || c.at != c.len))
        bad = c.failed ? "it ends inside a user" : "bytes after the last user";
    if (g->rows.nomem && status == LAPSE_OK)
        status = partial_no_memory(err);
    if (bad && status == LAPSE_OK)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, in->path, 0, 0,
                                 PARTIAL_HEADER_BYTES + (int64_t)in->meta.meta_len + (int64_t)c.at,
                                 "not a valid lapse partial state file: %s", bad);
    free(bulk);
    return status;
}

/* Rows that several maps saw: each copy past the first is a repeat, as a
 * single read counts it; the first such row in the log (then the row it
 * repeats) is the example, as there. Leaves each row once, at its earliest
 * position. */
static void count_repeats(merge *g)
{
    prows *r = &g->rows;
    if (!r->len)
        return;
    prows_sort(r);
    size_t kept = 0;
    for (size_t i = 0; i < r->len;) {
        size_t end = i + 1;
        while (end < r->len && r->p[end].hash == r->p[i].hash)
            end++;
        if (end - i > 1) {
            lapse_reader_stats repeats = { 0 };
            const uint64_t mask = (1ull << PARTIAL_LINE_BITS) - 1;
            repeats.repeated_rows = (int64_t)(end - i - 1);
            repeats.repeat_file = (size_t)(r->p[i + 1].pos >> PARTIAL_LINE_BITS);
            repeats.repeat_line = (int64_t)(r->p[i + 1].pos & mask);
            repeats.repeat_of_file = (size_t)(r->p[i].pos >> PARTIAL_LINE_BITS);
            repeats.repeat_of_line = (int64_t)(r->p[i].pos & mask);
            reader_stats_merge(&g->bucket_stats[partial_bucket_of(r->p[i].hash, g->buckets)],
                               &repeats);
        }
        r->p[kept++] = r->p[i];
        i = end;
    }
    r->len = kept;
}

/* Reads, checks and sums the partial files into g. */
static int merge_read(merge *g, const char *const *partials, size_t count, lapse_error *err)
{
    if (count == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no partial files");
    if (count > PARTIAL_MAX_INPUTS)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1,
                               "%zu partial files: a merge takes at most %u (combine some first)",
                               count, PARTIAL_MAX_INPUTS);
    if (!(g->in = calloc(count, sizeof *g->in)))
        return partial_no_memory(err);
    g->n_in = count;
    for (size_t i = 0; i < count; i++) {
        g->in[i].path = partials[i];
        const int status = partial_meta_read(&g->in[i].meta, partials[i], err);
        if (status != LAPSE_OK)
            return status;
    }
    int status = check_alike(g->in, count, err);
    if (status != LAPSE_OK)
        return status;
    const partial_meta *first = &g->in[0].meta;
    g->buckets = first->buckets;
    g->wanted = calloc(g->buckets, 1);
    g->bucket_stats = calloc(g->buckets, sizeof *g->bucket_stats);
    if (!g->wanted || !g->bucket_stats)
        return partial_no_memory(err);
    status = group_maps(g, err);
    if (status != LAPSE_OK)
        return status;
    first = &g->in[0].meta; /* sorted since */
    if (!(g->days = calloc(g->files + 1, sizeof *g->days)))
        return partial_no_memory(err);
    for (size_t i = 0; i < count; i++) {
        input *in = &g->in[i];
        if (!(in->global = malloc(in->meta.files * sizeof *in->global)))
            return partial_no_memory(err);
        for (size_t f = 0; f < in->meta.files; f++)
            in->global[f] = global_index(g, in->meta.file[f].path);
        globalize_repeat(&in->meta.map_stats, in);
        globalize_repeat(&in->meta.bucket_stats, in);
        reader_stats_merge(&g->bucket_stats[in->meta.bucket], &in->meta.bucket_stats);
        if (i > 0 && in->map == in[-1].map)
            continue;
        /* A map's counts and days are in each of its buckets: take them once. */
        reader_stats_merge(&g->map_stats, &in->meta.map_stats);
        for (size_t f = 0; f < in->meta.files; f++) {
            g->days[in->global[f]] = in->meta.file[f].days;
            in->meta.file[f].days = (day_hist)DAY_HIST_INIT;
        }
    }
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.churn = first->churn;
    opts.labels = first->labels;
    opts.asof = first->asof;
    opts.asof_count = first->snapshots;
    opts.reader.dups = first->dups;
    opts.reader.max_bad_rows = first->max_bad_rows;
    status = extract_new(&g->x, &opts, err);
    for (size_t i = 0; i < count && status == LAPSE_OK; i++)
        status = merge_bulk(g, &g->in[i], err);
    if (status != LAPSE_OK)
        return status;
    count_repeats(g);
    lapse_reader_stats *total = &g->x->stats.reader;
    *total = g->map_stats;
    for (unsigned b = 0; b < g->buckets; b++)
        reader_stats_merge(total, &g->bucket_stats[b]);
    /* Each map had the whole budget; the log has it once. */
    if (total->bad_rows > first->max_bad_rows)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1,
                               "the maps skipped %lld bad rows in all, more than the %lld "
                               "--max-bad-rows allows",
                               (long long)total->bad_rows, (long long)first->max_bad_rows);
    return LAPSE_OK;
}

/* A table takes one bucket or every one: some but not all is a bucket
 * lost on the way (a glob that missed, a failed copy), not a table. */
static int check_one_or_all(const merge *g, lapse_error *err)
{
    unsigned given = 0, missing = 0;
    for (unsigned b = g->buckets; b-- > 0;) {
        given += g->wanted[b];
        if (!g->wanted[b])
            missing = b;
    }
    if (given == 1 || given == g->buckets)
        return LAPSE_OK;
    return lapse_error_set(err, LAPSE_ERR_FORMAT, g->in[0].path, 0, 0, -1,
                           "%u of its %u buckets are given, and bucket %u is missing: a table "
                           "merges one bucket or all of them",
                           given, g->buckets, missing);
}

int lapse_extract_merge(lapse_extract **out, const char *const *partials, size_t count,
                        lapse_error *err)
{
    merge g = { 0 };
    int status = merge_read(&g, partials, count, err);
    if (status == LAPSE_OK)
        status = check_one_or_all(&g, err);
    if (status == LAPSE_OK)
        status = extract_finish(g.x, g.paths, g.files, g.days, NULL, g.in[0].meta.dups, err);
    if (status == LAPSE_OK) {
        *out = g.x;
        g.x = NULL;
    }
    merge_free(&g);
    return status;
}

int lapse_extract_merge_partial(const char *const *partials, size_t count, const char *dir,
                                lapse_error *err)
{
    merge g = { 0 };
    int status = merge_read(&g, partials, count, err);
    if (status == LAPSE_OK) {
        const partial_meta *first = &g.in[0].meta;
        partial_meta m = *first;
        m.files = g.files;
        m.file = calloc(g.files, sizeof *m.file);
        m.map_stats = g.map_stats;
        if (!m.file) {
            status = partial_no_memory(err);
        } else {
            for (size_t f = 0; f < g.files; f++)
                m.file[f] = (partial_file){ (char *)g.paths[f], g.days[f] }; /* borrowed */
            status = partial_write_buckets(g.x, &m, &g.rows, g.bucket_stats, g.wanted, dir, err);
        }
        free(m.file);
    }
    merge_free(&g);
    return status;
}
