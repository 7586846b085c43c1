/* The extract run: files -> chunks -> events by user partition -> shared
 * accumulators -> sorted rows.
 *
 * Threads share one loop: take a queued chunk and parse it, else claim an
 * unread file and read it (producing chunks), else wait. A producer queues
 * its chunks while the queue has room and parses them itself when it is
 * full, so one file with two threads is pipelined (one inflates, the other
 * parses, and the inflater helps when it runs ahead), and with as many files
 * as threads each thread reads its own. A thread parses a chunk into a
 * list of events per partition of the users (extract_internal.h), then
 * adds each list to that partition's accumulators under its lock: one copy of
 * every user whatever the thread count, and accumulators that do not
 * depend on the order events arrive in. */
#include "extract_internal.h"

#include "dayhist.h"
#include "parallel.h"
#include "reader_internal.h"
#include "rowset.h"

#include "lapse/timeparse.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* An event on its way to its user's partition. */
typedef struct {
    lapse_event event; /* user_id is set when it is added: the bytes are at id in ids */
    uint64_t hash;     /* lapse_hash_bytes of the user id */
    size_t id;         /* offset of the user id in the worker's ids */
    int64_t micro;
    int32_t day;
    uint32_t next; /* 1 + the index of the partition's next event; 0 for none */
} pending;

/* One thread's state: its parser, and the events of the chunk it parses
 * until they are added to their partitions. One array, its events chained
 * by partition, holds a chunk's worth at most, however many partitions. */
typedef struct {
    reader_parser parser;
    int parser_ready;
    day_hist *days; /* [files]: events per day of each input file */
    size_t file;    /* the file of the chunk being parsed */
    pending *events;
    size_t events_len, events_capacity;
    uint32_t head[EXTRACT_PARTS], tail[EXTRACT_PARTS]; /* 1 + index; 0 for none */
    char *ids; /* the chunk's user ids, each run of one user's events once */
    size_t ids_len, ids_capacity;
    /* The previous event's user (at last_id in ids, 0 bytes when none): logs
     * keep a session's events together, so most rows repeat the user of the
     * row before. */
    size_t last_id, last_len;
    uint64_t last_hash;
    unsigned first_part; /* where its rounds of the partitions start */
    int nomem;
    lapse_error err;
} worker;

/* Copies the event's user id into ids (the parser's copy lasts one event)
 * and makes it the previous event's user. */
static int worker_keep_id(worker *w, const lapse_event *event)
{
    const size_t len = event->user_id_len;
    if (w->ids_capacity - w->ids_len < len) {
        size_t capacity = w->ids_capacity ? w->ids_capacity : 4096;
        while (capacity - w->ids_len < len)
            capacity *= 2;
        char *ids = realloc(w->ids, capacity);
        if (!ids)
            return -1;
        w->ids = ids;
        w->ids_capacity = capacity;
    }
    memcpy(w->ids + w->ids_len, event->user_id, len);
    w->last_id = w->ids_len;
    w->last_len = len;
    w->last_hash = lapse_hash_bytes(event->user_id, len);
    w->ids_len += len;
    return 0;
}

static int worker_grow_events(worker *w)
{
    const size_t capacity = w->events_capacity ? 2 * w->events_capacity : 1024;
    if (capacity > UINT32_MAX) /* next holds 1 + an index */
        return -1;
    pending *events = realloc(w->events, capacity * sizeof *events);
    if (!events)
        return -1;
    w->events = events;
    w->events_capacity = capacity;
    return 0;
}

/* The hot path: one event, with its day and amount, to its user's partition. */
static void aggregate(const lapse_event *event, void *user)
{
    worker *w = user;
    if (w->nomem)
        return;
    const int32_t day = (int32_t)lapse_day_of(event->ts);
    if (day_hist_add(&w->days[w->file], day) != 0) {
        w->nomem = 1;
        return;
    }
    if (event->dropped)
        return;
    if (event->user_id_len != w->last_len ||
        memcmp(event->user_id, w->ids + w->last_id, event->user_id_len) != 0) {
        if (worker_keep_id(w, event) != 0) {
            w->nomem = 1;
            return;
        }
    }
    /* Only purchases spend: an item view may carry the item's price. A
     * refund (a negative amount) takes spend back whatever its event: a
     * cancel may carry a prorated refund. */
    const int64_t micro =
        event->has_amount && (event->category == LAPSE_CAT_PURCHASE || event->amount < 0)
            ? llround(event->amount * 1e6)
            : 0;
    if (w->events_len == w->events_capacity && worker_grow_events(w) != 0) {
        w->nomem = 1;
        return;
    }
    w->events[w->events_len++] = (pending){ *event, w->last_hash, w->last_id, micro, day, 0 };
    const unsigned p = extract_part_of(w->last_hash);
    const uint32_t added = (uint32_t)w->events_len;
    if (w->tail[p])
        w->events[w->tail[p] - 1].next = added;
    else
        w->head[p] = added;
    w->tail[p] = added;
}

/* Room in part for user (just added), its accumulators zeroed. Zeroing
 * users as they come, not the whole growth, leaves the spare capacity
 * untouched: pages the system need not back. */
int extract_part_make_room(extract_part *part, size_t snapshots, size_t user)
{
    if (user >= part->capacity) {
        size_t capacity = part->capacity ? part->capacity : 64;
        while (capacity <= user)
            capacity *= 2;
        lapse_acc *accs = realloc(part->accs, capacity * snapshots * sizeof *accs);
        if (!accs)
            return -1;
        part->accs = accs;
        part->capacity = capacity;
    }
    memset(part->accs + user * snapshots, 0, snapshots * sizeof *part->accs);
    return 0;
}

/* Adds the worker's events of partition part_index to every snapshot of
 * their users, with that partition's lock held. */
static int part_add(lapse_extract *x, unsigned part_index, worker *w)
{
    extract_part *part = &x->parts[part_index];
    int64_t user = -1;
    size_t user_id = SIZE_MAX; /* the offset in ids user was interned from */
    for (uint32_t i = w->head[part_index]; i; i = w->events[i - 1].next) {
        pending *p = &w->events[i - 1];
        p->event.user_id = w->ids + p->id;
        if (p->id != user_id) {
            int added;
            user = lapse_strmap_intern_hash(part->users, p->hash, p->event.user_id,
                                            p->event.user_id_len, &added);
            if (user < 0 || (added && extract_part_make_room(part, x->snapshots, (size_t)user) != 0))
                return -1;
            user_id = p->id;
        }
        lapse_acc *a = part->accs + (size_t)user * x->snapshots;
        for (size_t s = 0; s < x->snapshots; s++)
            acc_add(a + s, &x->snap[s], &p->event, p->day, p->micro);
        if (p->event.category == LAPSE_CAT_PURCHASE &&
            p->day < x->snap[x->snapshots - 1].asof_day &&
            extract_purchase_day(part, (uint32_t)user, p->day, a, x->snap, x->snapshots) != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    const char *const *paths;
    size_t files;
    reader_columns *cols; /* per file, set by its producer before its chunks are queued */
    const lapse_extract_options *opts;
    lapse_extract *x; /* its partitions, each written under its lock */
    lapse_reader_options reader;
    lapse_category_map *own_categories; /* the default map, when opts gives none */
    reader_shared shared;                /* bad-row budget across the workers */
    worker *workers;                     /* [opts->threads] */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t next_file;
    int producers, max_producers;
    text_chunk **queue;
    size_t queue_head, queue_len, queue_capacity;
    text_chunk **spare;
    size_t spare_len, spare_capacity;
    atomic_int failed;
    lapse_error err;

    atomic_llong bytes_done;
    int64_t bytes_total;
    pthread_mutex_t progress_lock;

    struct {
        _Alignas(64) pthread_mutex_t lock; /* a cache line each */
    } parts[EXTRACT_PARTS];
} pipeline;

/* The position of the file an error names among the inputs; files count
 * in command-line order, and an error that names none sorts last. */
static size_t file_rank(const pipeline *pl, const lapse_error *err)
{
    for (size_t i = 0; i < pl->files; i++)
        if (strcmp(pl->paths[i], err->path) == 0)
            return i;
    return pl->files;
}

/* Whether a comes before b in the log: by file, then by line. */
static int error_before(const pipeline *pl, const lapse_error *a, const lapse_error *b)
{
    const size_t ra = file_rank(pl, a), rb = file_rank(pl, b);
    if (ra != rb)
        return ra < rb;
    return a->line > 0 && (b->line == 0 || a->line < b->line);
}

/* Records a failure. When several threads fail, the error earliest in the
 * log wins, so the message does not depend on which thread got there first
 * (chunks already being parsed finish and report). */
static void pipeline_fail(pipeline *pl, const lapse_error *err)
{
    pthread_mutex_lock(&pl->lock);
    if (!atomic_load(&pl->failed) || error_before(pl, err, &pl->err)) {
        pl->err = *err;
        atomic_store(&pl->failed, 1);
    }
    pthread_cond_broadcast(&pl->cond);
    pthread_mutex_unlock(&pl->lock);
}

/* With the lock held. NULL when out of memory. */
static text_chunk *take_spare(pipeline *pl)
{
    if (pl->spare_len)
        return pl->spare[--pl->spare_len];
    return calloc(1, sizeof(text_chunk));
}

/* With the lock held; frees the chunk when there is no room to keep it. */
static void give_spare(pipeline *pl, text_chunk *chunk)
{
    if (pl->spare_len == pl->spare_capacity) {
        text_chunk_free(chunk);
        free(chunk);
        return;
    }
    pl->spare[pl->spare_len++] = chunk;
}

/* Adds the worker's events to their partitions: one round from its own
 * starting place, passing partitions another thread holds, then a second
 * round that waits for those. */
static void worker_flush(pipeline *pl, worker *w)
{
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < EXTRACT_PARTS; i++) {
            const unsigned p = (w->first_part + i) % EXTRACT_PARTS;
            if (w->head[p] == 0)
                continue;
            if (!w->nomem) {
                if (pass == 0 && pthread_mutex_trylock(&pl->parts[p].lock) != 0)
                    continue;
                if (pass == 1)
                    pthread_mutex_lock(&pl->parts[p].lock);
                if (part_add(pl->x, p, w) != 0)
                    w->nomem = 1;
                pthread_mutex_unlock(&pl->parts[p].lock);
            }
            w->head[p] = w->tail[p] = 0;
        }
    }
    w->events_len = 0;
    w->ids_len = 0;
    w->last_len = 0;
}

static void parse_chunk(pipeline *pl, worker *w, const text_chunk *chunk)
{
    w->file = (size_t)chunk->file;
    int status = reader_parser_run(&w->parser, &pl->cols[chunk->file], chunk, &w->err);
    worker_flush(pl, w);
    if (status == LAPSE_OK && w->nomem)
        status = lapse_error_set(&w->err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    if (status != LAPSE_OK)
        pipeline_fail(pl, &w->err);
}

static void report_progress(pipeline *pl, int64_t delta)
{
    const int64_t done = atomic_fetch_add(&pl->bytes_done, delta) + delta;
    if (pl->opts->progress && pthread_mutex_trylock(&pl->progress_lock) == 0) {
        pl->opts->progress(done, pl->bytes_total, pl->opts->progress_user);
        pthread_mutex_unlock(&pl->progress_lock);
    }
}

static void produce(pipeline *pl, worker *w, size_t file)
{
    const char *path = pl->paths[file];
    reader_source *src = NULL;
    pthread_mutex_lock(&pl->lock);
    text_chunk *chunk = take_spare(pl);
    pthread_mutex_unlock(&pl->lock);
    int status = chunk ? source_open(&src, path, &w->err)
                       : lapse_error_set(&w->err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    if (status == LAPSE_OK)
        status = source_next(src, chunk, &w->err);
    if (status >= 0)
        status = reader_columns_from_header(&pl->cols[file], chunk, path, &pl->reader, &w->err);
    int64_t reported = 0;
    while (status == LAPSE_OK && !atomic_load(&pl->failed)) {
        const int got = source_next(src, chunk, &w->err);
        if (got <= 0) {
            status = got;
            break;
        }
        chunk->file = (int)file;
        const int64_t now = source_bytes_read(src);
        report_progress(pl, now - reported);
        reported = now;
        pthread_mutex_lock(&pl->lock);
        if (pl->queue_len < pl->queue_capacity) {
            pl->queue[(pl->queue_head + pl->queue_len++) % pl->queue_capacity] = chunk;
            pthread_cond_signal(&pl->cond);
            chunk = take_spare(pl);
            pthread_mutex_unlock(&pl->lock);
            if (!chunk)
                status = lapse_error_set(&w->err, LAPSE_ERR_NOMEM, path, 0, 0, -1,
                                         "out of memory");
        } else {
            pthread_mutex_unlock(&pl->lock);
            parse_chunk(pl, w, chunk);
        }
    }
    if (status < 0)
        pipeline_fail(pl, &w->err);
    if (src)
        report_progress(pl, source_bytes_read(src) - reported);
    source_free(src);
    if (chunk) {
        pthread_mutex_lock(&pl->lock);
        give_spare(pl, chunk);
        pthread_mutex_unlock(&pl->lock);
    }
}

/* One worker's share, task number task of opts->threads: run on its own
 * thread, or after another's when threads are short (it then finds the
 * work done). Failures go to pipeline_fail, which orders them by file and
 * line. */
static int run_worker(void *arg, int thread, size_t task, size_t count, lapse_error *err)
{
    (void)thread;
    (void)count;
    (void)err;
    pipeline *pl = arg;
    worker *w = &pl->workers[task];
    pthread_mutex_lock(&pl->lock);
    for (;;) {
        /* After a failure the queue is still emptied: a producer that parsed
         * its own chunk when the queue was full may have failed past chunks
         * waiting there, and an earlier error in them must win. A worker
         * that failed itself stops: every chunk queued is later than its. */
        const int own_failure = w->err.code != 0;
        if (atomic_load(&pl->failed) && (pl->queue_len == 0 || own_failure))
            break;
        if (pl->queue_len) {
            text_chunk *chunk = pl->queue[pl->queue_head];
            pl->queue_head = (pl->queue_head + 1) % pl->queue_capacity;
            pl->queue_len--;
            pthread_mutex_unlock(&pl->lock);
            parse_chunk(pl, w, chunk);
            pthread_mutex_lock(&pl->lock);
            give_spare(pl, chunk);
            continue;
        }
        if (pl->next_file < pl->files && pl->producers < pl->max_producers) {
            const size_t file = pl->next_file++;
            pl->producers++;
            pthread_mutex_unlock(&pl->lock);
            produce(pl, w, file);
            pthread_mutex_lock(&pl->lock);
            pl->producers--;
            pthread_cond_broadcast(&pl->cond);
            continue;
        }
        if (pl->next_file == pl->files && pl->producers == 0)
            break;
        pthread_cond_wait(&pl->cond, &pl->lock);
    }
    pthread_cond_broadcast(&pl->cond);
    pthread_mutex_unlock(&pl->lock);
    return LAPSE_OK;
}

static int validate(const lapse_extract_options *opts, lapse_error *err)
{
    if (lapse_churn_validate(&opts->churn) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "invalid churn definition (key categories, or days outside "
                               "1..%d)",
                               LAPSE_CHURN_MAX_DAYS);
    if (opts->asof_path && opts->asof_count)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "snapshot dates come from the asof file or from asof, not both");
    if (!opts->asof_path &&
        (opts->asof_count < 1 || opts->asof_count > LAPSE_EXTRACT_MAX_SNAPSHOTS || !opts->asof))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "between 1 and %d snapshot dates are needed",
                               LAPSE_EXTRACT_MAX_SNAPSHOTS);
    for (size_t i = 0; i < opts->asof_count; i++)
        if (opts->asof[i] < 0 || opts->asof[i] >= LAPSE_TIME_MAX ||
            opts->asof[i] % LAPSE_SECONDS_PER_DAY != 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "snapshot dates must be days (midnight UTC) from 1970 to 2199");
    if (opts->labels_path && !opts->labels)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "a label file needs labels on");
    if (opts->threads < 1 || opts->threads > LAPSE_EXTRACT_MAX_THREADS)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "threads must be 1 to %d",
                               LAPSE_EXTRACT_MAX_THREADS);
    if (opts->reader.max_bad_rows < 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "max_bad_rows must be >= 0");
    if ((unsigned)opts->reader.dups > LAPSE_DUPS_KEEP)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "unknown dups mode %d",
                               (int)opts->reader.dups);
    return lapse_reader_check_options(&opts->reader, err);
}

static int compare_days(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int compare_users(const void *a, const void *b)
{
    const extract_user *x = a, *y = b;
    const size_t n = x->len < y->len ? x->len : y->len;
    const int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

extract_user *extract_sorted_users(const lapse_extract *x, size_t *n)
{
    size_t count = 0;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        count += lapse_strmap_size(x->parts[p].users);
    extract_user *users = malloc((count + 1) * sizeof *users);
    if (!users)
        return NULL;
    size_t k = 0;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        for (size_t id = 0; id < lapse_strmap_size(x->parts[p].users); id++, k++) {
            users[k].key = lapse_strmap_key(x->parts[p].users, (int64_t)id, &users[k].len);
            users[k].id = (uint32_t)id;
            users[k].part = (uint16_t)p;
        }
    qsort(users, count, sizeof *users, compare_users);
    *n = count;
    return users;
}

/* The workers' counts into x's stats, and their event names into names. */
static int merge_workers(lapse_extract *x, const worker *workers, int threads,
                         reader_names *names)
{
    for (int t = 1; t < threads; t++)
        reader_stats_merge(&x->stats.reader, &workers[t].parser.stats);
    reader_stats_merge(&x->stats.reader, &workers[0].parser.stats);
    for (int t = 0; t < threads; t++)
        if (reader_names_merge(names, &workers[t].parser.name_rows) != LAPSE_OK)
            return LAPSE_ERR_NOMEM;
    return LAPSE_OK;
}

static const lapse_acc *acc_of(const lapse_extract *x, unsigned part, uint32_t user,
                               size_t snapshot)
{
    return &x->parts[part].accs[(size_t)user * x->snapshots + snapshot];
}

/* " (e.g. \"a\", \"b\")" for the example event names, or "". */
static void format_examples(char *out, size_t size, const char (*names)[LAPSE_READER_NAME_SHOWN],
                            size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s\"%s\"", i ? ", " : " (e.g. ",
                                 names[i]);
    if (n && used < size)
        snprintf(out + used, size - used, ")");
}

/* Warnings about rows read but not counted as they stand; they travel in
 * the tables' meta line, since each changes what the rows mean. */
static void warn_about_rows(lapse_extract *x, const char *const *paths, lapse_dups dups)
{
    const lapse_reader_stats *r = &x->stats.reader;
    char examples[LAPSE_READER_EXAMPLES * (LAPSE_READER_NAME_SHOWN + 4) + 16];
    if (r->bad_rows)
        lapse_extract_warn(x, "skipped %lld bad rows", (long long)r->bad_rows);
    if (r->anonymous_rows)
        lapse_extract_warn(x,
                           "%lld rows have no user id (anonymous visitors, guest checkouts); "
                           "skipped",
                           (long long)r->anonymous_rows);
    if (r->unknown_rows) {
        format_examples(examples, sizeof examples, r->unknown_names, r->unknown_examples);
        lapse_extract_warn(x,
                           "%lld rows had event names the category map does not list%s; they "
                           "count as other",
                           (long long)r->unknown_rows, examples);
    }
    if (r->amount_rows) {
        format_examples(examples, sizeof examples, r->amount_names, r->amount_examples);
        lapse_extract_warn(x,
                           "%lld rows of events other than purchases carry an amount%s; it is "
                           "not counted as spend",
                           (long long)r->amount_rows, examples);
    }
    if (r->repeated_rows)
        lapse_extract_warn(x,
                           "%lld rows repeat an earlier row exactly (the first: %s:%lld repeats "
                           "%s:%lld); %s",
                           (long long)r->repeated_rows, paths[r->repeat_file],
                           (long long)r->repeat_line, paths[r->repeat_of_file],
                           (long long)r->repeat_of_line,
                           dups == LAPSE_DUPS_DROP ? "they were dropped"
                                                   : "they count as events (--dedup drops them)");
    if (x->stats.cancelled)
        lapse_extract_warn(x,
                           "%lld rows of active users who had cancelled before the snapshot (no "
                           "purchase since) are not labelled: they are in the dormant set",
                           (long long)x->stats.cancelled);
}

/* Each file's day counts, summed over the workers into worker 0's. */
static int merge_days(pipeline *pl)
{
    for (int t = 1; t < pl->opts->threads; t++)
        for (size_t f = 0; f < pl->files; f++)
            if (day_hist_merge(&pl->workers[0].days[f], &pl->workers[t].days[f]) != 0)
                return LAPSE_ERR_NOMEM;
    return LAPSE_OK;
}

/* A last-day field (1 + day, 0 none) as lapse_churn takes it. */
static int64_t day_or_never(int32_t last1)
{
    return last1 ? last1 - 1 : LAPSE_CHURN_NEVER;
}

/* An active row's label: from the label file (-1 when it lists none), or
 * from the events after asof; -1 with labels off. */
static int active_label(const lapse_extract *x, const extract_row *r, const lapse_acc *a)
{
    if (!x->labels)
        return -1;
    if (!x->label_file)
        return x->churn.cancel_is_churn ? (a->label >> 1 & 1) : !(a->label & 1);
    size_t len;
    const char *user = lapse_strmap_key(x->parts[r->part].users, r->user, &len);
    const int64_t i = label_file_find(x->label_file, user, len, x->snap[r->snapshot].asof_day);
    if (i < 0)
        return -1;
    return label_file_entry(x->label_file, (size_t)i).label;
}

/* An active row's days_to_churn (lapse_extract_row): only a label from
 * the events says when. */
static int active_days_to_churn(const lapse_extract *x, const acc_snapshot *snap,
                                const lapse_acc *a, int label)
{
    if (label != 1 || x->label_file)
        return 0;
    const int64_t first_cancel =
        a->cancel_first_inv ? (int64_t)snap->horizon_end - a->cancel_first_inv : LAPSE_CHURN_NEVER;
    return lapse_churn_days_to_churn(&x->churn, snap->asof_day,
                                     day_or_never(acc_last_key1(a, x->churn.key_mask)),
                                     a->label & 1, first_cancel);
}

/* The snapshot of a day, or -1. */
static int64_t snapshot_of(const lapse_extract *x, int32_t day)
{
    for (size_t s = 0; s < x->snapshots; s++)
        if (x->snap[s].asof_day == day)
            return (int64_t)s;
    return -1;
}

/* Whether the label file's entry i names a user of the log (at a snapshot,
 * for a file by asof). */
static int label_entry_known(const lapse_extract *x, size_t i)
{
    const label_entry e = label_file_entry(x->label_file, i);
    const unsigned part = extract_part_of(lapse_hash_bytes(e.user, e.len));
    if (lapse_strmap_find(x->parts[part].users, e.user, e.len) < 0)
        return 0;
    return !label_file_by_asof(x->label_file) || snapshot_of(x, e.day) >= 0;
}

/* Counts and warns about the label file's entries the log lacks and the
 * active rows it leaves unlabelled. */
static void warn_about_labels(lapse_extract *x)
{
    const label_file *f = x->label_file;
    int64_t first_line = 0;
    for (size_t i = 0; i < label_file_count(f); i++) {
        if (label_entry_known(x, i))
            continue;
        if (!x->stats.labels_unknown++)
            first_line = label_file_entry(f, i).line;
    }
    if (x->stats.labels_unknown)
        lapse_extract_warn(x,
                           "%lld entries of the label file name no user of the log%s; they "
                           "are left out (the first: %s:%lld)",
                           (long long)x->stats.labels_unknown,
                           label_file_by_asof(f) ? " at a snapshot date" : "",
                           label_file_path(f), (long long)first_line);
    for (size_t i = 0; i < x->row_count[LAPSE_EXTRACT_ACTIVE]; i++) {
        const extract_row *r = &x->rows[LAPSE_EXTRACT_ACTIVE][i];
        if (active_label(x, r, acc_of(x, r->part, r->user, r->snapshot)) < 0)
            x->stats.labels_missing++;
    }
    if (x->stats.labels_missing)
        lapse_extract_warn(x, "%lld active rows have no label in %s: their label is empty",
                           (long long)x->stats.labels_missing, label_file_path(f));
}

static int build_rows(lapse_extract *x, lapse_error *err)
{
    size_t n = 0;
    extract_user *order = extract_sorted_users(x, &n);
    const size_t most = n * x->snapshots + 1;
    for (int set = 0; set < 2; set++)
        x->rows[set] = malloc(most * sizeof(extract_row));
    if (!order || !x->rows[0] || !x->rows[1]) {
        free(order);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    for (size_t s = 0; s < x->snapshots; s++) {
        const acc_snapshot *snap = &x->snap[s];
        for (size_t i = 0; i < n; i++) {
            const lapse_acc *a = acc_of(x, order[i].part, order[i].id, s);
            if (!acc_seen(a))
                continue;
            if (x->asof_file &&
                label_file_find(x->asof_file, order[i].key, order[i].len, snap->asof_day) < 0)
                continue; /* not listed at this date */
            const int32_t last_key1 = acc_last_key1(a, snap->key_mask);
            int active = lapse_churn_active(
                &x->churn, day_or_never(last_key1), snap->asof_day);
            /* Scoring sees the same population as training, so this holds
             * with labels off too. */
            if (active && lapse_churn_cancelled(&x->churn, day_or_never(a->last1[LAPSE_CAT_CANCEL]),
                                                day_or_never(a->last1[LAPSE_CAT_PURCHASE]))) {
                active = 0;
                x->stats.cancelled++;
            }
            const int set = active ? LAPSE_EXTRACT_ACTIVE : LAPSE_EXTRACT_DORMANT;
            x->rows[set][x->row_count[set]++] =
                (extract_row){ order[i].id, order[i].part, (uint16_t)s };
        }
    }
    free(order);
    return LAPSE_OK;
}

static int64_t total_size(const char *const *paths, size_t count)
{
    int64_t total = 0;
    for (size_t i = 0; i < count; i++) {
        struct stat st;
        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 || !S_ISREG(st.st_mode))
            return -1;
        total += st.st_size;
    }
    return total;
}

/* The snapshots of asof[0..count): ascending, each day once. */
static void plan_snapshots(lapse_extract *x, const int64_t *asof, size_t count,
                           const lapse_extract_options *opts)
{
    int64_t days[LAPSE_EXTRACT_MAX_SNAPSHOTS];
    memcpy(days, asof, count * sizeof days[0]);
    qsort(days, count, sizeof days[0], compare_days);
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && days[i] == days[i - 1])
            continue; /* the same snapshot twice is one snapshot */
        const int32_t day = (int32_t)(days[i] / LAPSE_SECONDS_PER_DAY);
        x->snap[x->snapshots++] = (acc_snapshot){
            .asof_day = day,
            .horizon_end = day + opts->churn.horizon_days,
            .asof_ts = days[i],
            .device_cut_ts = days[i] - 30 * (int64_t)LAPSE_SECONDS_PER_DAY,
            .key_mask = opts->churn.key_mask,
        };
    }
}

/* Reads the asof file and the label file, and plans the snapshots: the
 * asof file's distinct dates, or opts->asof. */
static int read_files(lapse_extract *x, const lapse_extract_options *opts, lapse_error *err)
{
    /* A label file exported beside the log names its ids as the log does. */
    const char *user_column = opts->reader.columns[LAPSE_COL_USER_ID];
    int status;
    if (!opts->asof_path) {
        plan_snapshots(x, opts->asof, opts->asof_count, opts);
    } else {
        status = label_file_read(&x->asof_file, opts->asof_path, 0, user_column, err);
        if (status != LAPSE_OK)
            return status;
        const label_file *f = x->asof_file;
        if (!label_file_by_asof(f))
            return lapse_error_set(err, LAPSE_ERR_FORMAT, opts->asof_path, 1, 0, -1,
                                   "the header has no asof column");
        if (label_file_has_label(f) && opts->labels_path)
            return lapse_error_set(err, LAPSE_ERR_ARG, opts->asof_path, 1, 0, -1,
                                   "labels come from this file's label column or from %s, "
                                   "not both",
                                   opts->labels_path);
        /* Each distinct date is a snapshot: a cohort file has few. */
        int64_t dates[LAPSE_EXTRACT_MAX_SNAPSHOTS];
        size_t n = 0;
        for (size_t i = 0; i < label_file_count(f); i++) {
            const label_entry e = label_file_entry(f, i);
            const int64_t date = (int64_t)e.day * LAPSE_SECONDS_PER_DAY;
            size_t k = 0;
            while (k < n && dates[k] != date)
                k++;
            if (k < n)
                continue;
            if (n == LAPSE_EXTRACT_MAX_SNAPSHOTS)
                return lapse_error_set(err, LAPSE_ERR_RANGE, opts->asof_path, e.line, 0, -1,
                                       "more than %d distinct asof dates (this line has the "
                                       "next): each is a snapshot, and %d is the most",
                                       LAPSE_EXTRACT_MAX_SNAPSHOTS, LAPSE_EXTRACT_MAX_SNAPSHOTS);
            dates[n++] = date;
        }
        if (n == 0)
            return lapse_error_set(err, LAPSE_ERR_FORMAT, opts->asof_path, 2, 0, -1,
                                   "no users after the header");
        plan_snapshots(x, dates, n, opts);
        if (label_file_has_label(f) && opts->labels)
            x->label_file = x->asof_file;
    }
    if (opts->labels_path)
        return label_file_read(&x->label_file, opts->labels_path, 1, user_column, err);
    return LAPSE_OK;
}

/* Counts the log's users the asof file does not list, and its entries
 * without a row; warns about the latter. */
static void count_asof_file(lapse_extract *x)
{
    const label_file *f = x->asof_file;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        for (size_t id = 0; id < lapse_strmap_size(x->parts[p].users); id++) {
            size_t len;
            const char *user = lapse_strmap_key(x->parts[p].users, (int64_t)id, &len);
            size_t s = 0;
            while (s < x->snapshots && label_file_find(f, user, len, x->snap[s].asof_day) < 0)
                s++;
            x->stats.asof_unlisted += s == x->snapshots;
        }
    int64_t first_line = 0;
    for (size_t i = 0; i < label_file_count(f); i++) {
        const label_entry e = label_file_entry(f, i);
        const unsigned part = extract_part_of(lapse_hash_bytes(e.user, e.len));
        const int64_t id = lapse_strmap_find(x->parts[part].users, e.user, e.len);
        const int64_t s = snapshot_of(x, e.day);
        if (id >= 0 && acc_seen(acc_of(x, part, (uint32_t)id, (size_t)s)))
            continue;
        if (!x->stats.asof_no_row++)
            first_line = e.line;
    }
    if (x->stats.asof_unlisted)
        lapse_log(LAPSE_LOG_INFO, "%lld users of the log are not in %s: no rows for them",
                  (long long)x->stats.asof_unlisted, label_file_path(f));
    if (x->stats.asof_no_row)
        lapse_extract_warn(x,
                           "%lld users of the asof file have no event before their date, so no "
                           "row (the first: %s:%lld)",
                           (long long)x->stats.asof_no_row, label_file_path(f),
                           (long long)first_line);
}

/* Frees what pipeline_init made, however far it got (pl zeroed before). */
static void pipeline_free(pipeline *pl)
{
    for (int t = 0; pl->workers && t < pl->opts->threads; t++) {
        worker *w = &pl->workers[t];
        if (w->parser_ready)
            reader_parser_free(&w->parser);
        free(w->events);
        free(w->ids);
        for (size_t f = 0; w->days && f < pl->files; f++)
            day_hist_free(&w->days[f]);
        free(w->days);
    }
    for (size_t f = 0; pl->cols && f < pl->files; f++)
        reader_columns_free(&pl->cols[f]);
    for (size_t i = 0; i < pl->spare_len; i++) {
        text_chunk_free(pl->spare[i]);
        free(pl->spare[i]);
    }
    for (size_t i = 0; i < pl->queue_len; i++) {
        text_chunk *chunk = pl->queue[(pl->queue_head + i) % pl->queue_capacity];
        text_chunk_free(chunk);
        free(chunk);
    }
    free(pl->cols);
    free(pl->queue);
    free(pl->spare);
    free(pl->workers);
    lapse_category_map_free(pl->own_categories);
    lapse_rowset_free(pl->shared.rows);
    pthread_cond_destroy(&pl->cond);
    pthread_mutex_destroy(&pl->lock);
    pthread_mutex_destroy(&pl->progress_lock);
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        pthread_mutex_destroy(&pl->parts[p].lock);
}

/* The queue, the spare chunks, x's partitions and one worker per thread. */
static int pipeline_init(pipeline *pl, lapse_extract *x, const char *const *paths,
                         size_t count, const lapse_extract_options *opts)
{
    const int threads = opts->threads;
    pl->paths = paths;
    pl->files = count;
    pl->opts = opts;
    pl->x = x;
    pl->reader = opts->reader;
    pl->max_producers = threads == 1 ? 1 : count < (size_t)threads ? (int)count : threads;
    pl->queue_capacity = threads == 1 ? 0 : 2 * (size_t)threads;
    pl->spare_capacity = pl->queue_capacity + 2 * (size_t)threads;
    pl->bytes_total = total_size(paths, count);
    pthread_mutex_init(&pl->lock, NULL);
    pthread_mutex_init(&pl->progress_lock, NULL);
    pthread_cond_init(&pl->cond, NULL);
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        pthread_mutex_init(&pl->parts[p].lock, NULL);
    pl->shared.max_bad_rows = opts->reader.max_bad_rows;
    atomic_init(&pl->shared.bad_rows, 0);
    atomic_init(&pl->shared.listed, 0);
    pl->shared.drop_repeats = opts->reader.dups == LAPSE_DUPS_DROP;
    if (opts->reader.dups != LAPSE_DUPS_KEEP && !(pl->shared.rows = lapse_rowset_create()))
        return LAPSE_ERR_NOMEM;
    pl->workers = calloc((size_t)threads, sizeof *pl->workers);
    pl->cols = calloc(count, sizeof *pl->cols);
    pl->queue = calloc(pl->queue_capacity + 1, sizeof *pl->queue);
    pl->spare = calloc(pl->spare_capacity + 1, sizeof *pl->spare);
    if (!pl->reader.categories)
        pl->reader.categories = pl->own_categories = lapse_category_map_default();
    if (!pl->workers || !pl->cols || !pl->queue || !pl->spare || !pl->reader.categories)
        return LAPSE_ERR_NOMEM;
    for (int t = 0; t < threads; t++) {
        worker *w = &pl->workers[t];
        w->first_part = (unsigned)((size_t)t * EXTRACT_PARTS / (size_t)threads);
        w->days = calloc(count, sizeof *w->days);
        if (!w->days || reader_parser_init(&w->parser, pl->reader.categories, &pl->shared,
                                           aggregate, w) != LAPSE_OK)
            return LAPSE_ERR_NOMEM;
        w->parser_ready = 1;
        w->parser.hash_sessions = 0; /* no feature reads the session hash */
    }
    return LAPSE_OK;
}

int extract_new(lapse_extract **out, const lapse_extract_options *opts, lapse_error *err)
{
    int status = validate(opts, err);
    if (status != LAPSE_OK)
        return status;
    lapse_extract *x = calloc(1, sizeof *x);
    if (!x)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    x->churn = opts->churn;
    x->labels = opts->labels;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        if (!(x->parts[p].users = lapse_strmap_create())) {
            lapse_extract_free(x);
            return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        }
    /* Before the log: a bad asof or label file fails fast. */
    status = read_files(x, opts, err);
    if (status != LAPSE_OK) {
        lapse_extract_free(x);
        return status;
    }
    *out = x;
    return LAPSE_OK;
}

int extract_read(lapse_extract *x, const char *const *paths, size_t count,
                 const lapse_extract_options *opts, int keep_rows, extract_seen *seen,
                 lapse_error *err)
{
    if (count == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no input files");
    *seen = (extract_seen){ 0 };
    pipeline pl = { 0 };
    int status = reader_names_init(&seen->names) == LAPSE_OK ? LAPSE_OK : LAPSE_ERR_NOMEM;
    seen->names_ready = status == LAPSE_OK;
    if (status == LAPSE_OK)
        status = pipeline_init(&pl, x, paths, count, opts);
    if (status != LAPSE_OK) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    /* One task per worker; run_worker reports through pl, never here. */
    lapse_parallel_for(opts->threads, (size_t)opts->threads, 1, run_worker, &pl, NULL);
    if (atomic_load(&pl.failed)) {
        *err = pl.err;
        status = pl.err.code ? pl.err.code : LAPSE_ERR_NOMEM;
        goto done;
    }
    if (reader_settle_repeats(&pl.shared, keep_rows, &pl.workers[0].parser.stats) != LAPSE_OK ||
        merge_workers(x, pl.workers, opts->threads, &seen->names) != LAPSE_OK ||
        merge_days(&pl) != LAPSE_OK) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    /* Worker 0 holds the sums; the caller keeps them and the rows seen. */
    seen->days = pl.workers[0].days;
    pl.workers[0].days = NULL;
    if (keep_rows) {
        seen->rows = pl.shared.rows;
        pl.shared.rows = NULL;
    }
done:
    pipeline_free(&pl);
    if (status != LAPSE_OK)
        extract_seen_free(seen, count);
    return status;
}

void extract_seen_free(extract_seen *seen, size_t files)
{
    for (size_t f = 0; seen->days && f < files; f++)
        day_hist_free(&seen->days[f]);
    free(seen->days);
    lapse_rowset_free(seen->rows);
    if (seen->names_ready)
        reader_names_free(&seen->names);
    *seen = (extract_seen){ 0 };
}

int extract_finish(lapse_extract *x, const char *const *paths, size_t files, const day_hist *days,
                   const reader_names *names, lapse_dups dups, lapse_error *err)
{
    x->stats.users = 0;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++)
        x->stats.users += (int64_t)lapse_strmap_size(x->parts[p].users);
    int status = extract_check_keys(x, &names, names ? 1 : 0, paths, files, err);
    if (status == LAPSE_OK)
        status = extract_check_time(x, days, paths, files, err);
    if (status == LAPSE_OK)
        status = build_rows(x, err);
    if (status == LAPSE_OK)
        warn_about_rows(x, paths, dups);
    if (status == LAPSE_OK && x->asof_file)
        count_asof_file(x);
    if (status == LAPSE_OK && x->label_file)
        warn_about_labels(x);
    return status;
}

int lapse_extract_run(lapse_extract **out, const char *const *paths, size_t count,
                      const lapse_extract_options *opts, lapse_error *err)
{
    lapse_extract *x = NULL;
    int status = extract_new(&x, opts, err);
    if (status != LAPSE_OK)
        return status;
    extract_seen seen;
    status = extract_read(x, paths, count, opts, 0, &seen, err);
    if (status == LAPSE_OK) {
        status = extract_finish(x, paths, count, seen.days, &seen.names, opts->reader.dups, err);
        extract_seen_free(&seen, count);
    }
    if (status != LAPSE_OK) {
        lapse_extract_free(x);
        return status;
    }
    *out = x;
    return LAPSE_OK;
}

void lapse_extract_free(lapse_extract *x)
{
    if (!x)
        return;
    for (unsigned p = 0; p < EXTRACT_PARTS; p++) {
        lapse_strmap_free(x->parts[p].users);
        free(x->parts[p].accs);
        u64set_free(&x->parts[p].purchase_days);
    }
    if (x->label_file != x->asof_file)
        label_file_free(x->label_file);
    label_file_free(x->asof_file);
    for (size_t i = 0; i < x->warning_count; i++)
        free(x->warnings[i]);
    free(x->warnings);
    free(x->rows[0]);
    free(x->rows[1]);
    free(x);
}

size_t lapse_extract_count(const lapse_extract *x, lapse_extract_set set)
{
    return (unsigned)set < 2 ? x->row_count[set] : 0;
}

void lapse_extract_get_stats(const lapse_extract *x, lapse_extract_stats *out)
{
    *out = x->stats;
}

int lapse_extract_get(const lapse_extract *x, lapse_extract_set set, size_t i,
                      lapse_extract_row *row, double *features)
{
    if ((unsigned)set >= 2 || i >= x->row_count[set])
        return LAPSE_ERR_ARG;
    const extract_row r = x->rows[set][i];
    const acc_snapshot *snap = &x->snap[r.snapshot];
    const lapse_acc *a = acc_of(x, r.part, r.user, r.snapshot);
    if (row) {
        row->user_id = lapse_strmap_key(x->parts[r.part].users, r.user, &row->user_id_len);
        row->asof = snap->asof_ts;
        row->label = set == LAPSE_EXTRACT_ACTIVE ? active_label(x, &r, a) : -1;
        row->days_to_churn = active_days_to_churn(x, snap, a, row->label);
    }
    if (features)
        features_compute(a, snap, features);
    return LAPSE_OK;
}

int64_t lapse_extract_find(const lapse_extract *x, lapse_extract_set set, int64_t asof,
                           const char *user_id, size_t len)
{
    if ((unsigned)set >= 2)
        return -1;
    const unsigned part = extract_part_of(lapse_hash_bytes(user_id, len));
    const int64_t id = lapse_strmap_find(x->parts[part].users, user_id, len);
    if (id < 0)
        return -1;
    for (size_t i = 0; i < x->row_count[set]; i++) {
        const extract_row r = x->rows[set][i];
        if (r.user == (uint32_t)id && r.part == part && x->snap[r.snapshot].asof_ts == asof)
            return (int64_t)i;
    }
    return -1;
}
