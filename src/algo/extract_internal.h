/* Internal: the finished extract, shared by the run and the writers. */
#ifndef LAPSE_EXTRACT_INTERNAL_H
#define LAPSE_EXTRACT_INTERNAL_H

#include "lapse/extract.h"
#include "lapse/schema.h"

#include "dayhist.h"
#include "features_internal.h"
#include "labelfile.h"
#include "reader_internal.h"
#include "strmap.h"
#include "u64set.h"

/* Users are split by hash into EXTRACT_PARTS partitions, each with its own
 * ids and accumulators: threads aggregate into this one copy, a partition
 * at a time under its lock, so memory does not grow with threads. More
 * partitions than threads keep a thread from waiting on another. */
#define EXTRACT_PART_BITS 6
#define EXTRACT_PARTS (1u << EXTRACT_PART_BITS)

/* The partition of a user id's lapse_hash_bytes: its top bits (the map
 * indexes its slots by the low ones). */
static inline unsigned extract_part_of(uint64_t hash)
{
    return (unsigned)(hash >> (64 - EXTRACT_PART_BITS));
}

typedef struct {
    lapse_strmap *users;
    lapse_acc *accs; /* [user * snapshots + snapshot] */
    size_t capacity; /* users with room in accs */
    /* user << 32 | day of each day a user bought on before the last
     * snapshot (extract_days.c) */
    u64set purchase_days;
} extract_part;

/* Room in part for user (just added), its accumulators zeroed. Returns 0
 * or -1 (out of memory). */
int extract_part_make_room(extract_part *part, size_t snapshots, size_t user);

/* A purchase of part's user on day (0 <= day < the last snapshot's asof
 * day): the first time that user and day are seen, adds 1 to the
 * purchase_days of each of the user's accumulators (accs, one per
 * snapshot of snap[0..snapshots)) whose asof is after the day. So
 * purchase_days counts distinct days whatever the order, the threads or
 * the partial files the purchases come in. Returns 0 or -1 (out of
 * memory). */
int extract_purchase_day(extract_part *part, uint32_t user, int32_t day, lapse_acc *accs,
                         const acc_snapshot *snap, size_t snapshots);

/* part's purchase days by user: user u's, ascending, are
 * days[start[u] .. start[u + 1]) (extract --partial writes them). */
typedef struct {
    uint32_t *days;
    size_t *start; /* [users + 1] */
} extract_day_lists;

/* Returns 0 or -1 (out of memory). */
int extract_day_lists_make(extract_day_lists *out, const extract_part *part);
void extract_day_lists_free(extract_day_lists *lists);

typedef struct {
    uint32_t user;     /* dense id in part's users */
    uint16_t part;     /* index into parts */
    uint16_t snapshot; /* index into snap */
} extract_row;

struct lapse_extract {
    lapse_churn_def churn;
    int labels;
    label_file *label_file; /* NULL: labels from the events after asof */
    label_file *asof_file;  /* NULL: every user at every snapshot; may be label_file */
    size_t snapshots;
    acc_snapshot snap[LAPSE_EXTRACT_MAX_SNAPSHOTS]; /* ascending asof */
    extract_part parts[EXTRACT_PARTS];
    extract_row *rows[2];
    size_t row_count[2];
    lapse_extract_stats stats;
    char **warnings; /* lapse_extract_warn, each owned */
    size_t warning_count;
};

/* lapse_extract_run in three steps, which the partial map and merge
 * (extract_partial.c) share: an empty extract, the read of a log into it,
 * and the checks, rows and warnings of the whole log. */

/* Validates opts; plans the snapshots; reads the asof and label files. */
int extract_new(lapse_extract **out, const lapse_extract_options *opts, lapse_error *err);

/* A user of x: its id bytes, and its id in partition part. */
typedef struct {
    const char *key;
    size_t len;
    uint32_t id;
    uint16_t part;
} extract_user;

/* x's users sorted by their id bytes (shorter first on a tie), *n of
 * them; NULL when out of memory. The caller frees the array; the keys are
 * x's. */
extract_user *extract_sorted_users(const lapse_extract *x, size_t *n);

/* What a read saw beside the users' accumulators. */
typedef struct {
    day_hist *days;             /* [files]: events per day of each file */
    struct lapse_rowset *rows;  /* the rows seen, by hash: with keep_rows and LAPSE_DUPS_COUNT */
    reader_names names;         /* rows per event name */
    int names_ready;
} extract_seen;

/* Reads the files into x's partitions and x->stats.reader; keep_rows
 * keeps the hashes of the rows seen in seen->rows (else NULL). */
int extract_read(lapse_extract *x, const char *const *paths, size_t count,
                 const lapse_extract_options *opts, int keep_rows, extract_seen *seen,
                 lapse_error *err);
void extract_seen_free(extract_seen *seen, size_t files);

/* The rest of lapse_extract_run once the accumulators are complete: the
 * key and time checks, the rows, and the warnings. days[f] counts the
 * events of paths[f] per day; names may be NULL (the key check's refusal
 * then names no event). */
int extract_finish(lapse_extract *x, const char *const *paths, size_t files, const day_hist *days,
                   const reader_names *names, lapse_dups dups, lapse_error *err);

/* The time checks of lapse_extract_run (lapse/extract.h): the label
 * guard, then the warnings; sets the stats' time fields. days[f] counts
 * the events of paths[f] per day. */
int extract_check_time(lapse_extract *x, const day_hist *days, const char *const *paths,
                       size_t files, lapse_error *err);

/* LAPSE_ERR_FORMAT when the log has events but none in a key category
 * (x->churn.key_mask), naming the most frequent event names (from the n
 * parsers' counts) and lapse inspect (and the file, when there is one). */
int extract_check_keys(const lapse_extract *x, const reader_names *const *names, size_t n,
                       const char *const *paths, size_t files, lapse_error *err);

/* The meta line of x's tables (lapse/schema.h), without a newline: the one
 * place it is composed, for the CSV and the npy writers. */
void extract_meta_line(char line[LAPSE_TABLE_META_LINE_MAX], const lapse_extract *x);

#endif
