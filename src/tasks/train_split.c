/* The held-out part of lapse_train (train_internal.h): the last snapshot, a
 * seeded share of users or rows, the users a file lists, or one fold of a
 * rolling origin. */
#include "train_internal.h"

#include "input.h"
#include "strmap.h"

#include "lapse/timeparse.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nomem(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory while training");
}

/* splitmix64's finalizer: a hash spread over all 64 bits. */
static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A number in [0, 1) fixed by the user id, the seed and (RANDOM) the
 * snapshot: the same user is held out whatever the row order or the other
 * rows, and a user's snapshots go together for USERS. */
static double draw(const char *user, int64_t asof, uint64_t seed)
{
    uint64_t h = lapse_hash_bytes(user, strlen(user)) ^ mix(seed + 0x9e3779b97f4a7c15ull);
    h = mix(h ^ mix((uint64_t)asof));
    return (double)(h >> 11) * 0x1.0p-53;
}

void train_split_describe(char *buf, size_t size, const lapse_train_options *o,
                          lapse_validation_kind kind, const char *file)
{
    switch (kind) {
    case LAPSE_VALIDATION_USERS:
        snprintf(buf, size, "users:%g", o->holdout);
        break;
    case LAPSE_VALIDATION_RANDOM:
        snprintf(buf, size, "random:%g", o->holdout);
        break;
    case LAPSE_VALIDATION_ROLLING:
        snprintf(buf, size, "rolling:%zu", o->rolling_folds);
        break;
    case LAPSE_VALIDATION_FILE:
        snprintf(buf, size, "file:%s", file ? file : "");
        break;
    default:
        snprintf(buf, size, "last-snapshot");
        break;
    }
}

/* ---- the held-out users' file ---- */

typedef struct {
    lapse_strmap *users;
    lapse_error *err;
    int64_t records;
} holdout_parse;

static int holdout_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    holdout_parse *p = user;
    if (lapse_input_csv_fields(csv) != 0)
        return LAPSE_OK; /* only the first column counts: a label file serves as it is */
    const int64_t line = lapse_input_csv_line(csv);
    if (p->records++ == 0 && strcmp(text, "user_id") == 0)
        return LAPSE_OK;
    if (len == 0 || len > LAPSE_TABLE_USER_ID_MAX)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv), line, 1, -1,
                               "a held-out user id has 1 to %d bytes, this one %zu",
                               LAPSE_TABLE_USER_ID_MAX, len);
    if (lapse_strmap_intern(p->users, text, len, NULL) < 0)
        return nomem(p->err);
    return LAPSE_OK;
}

static int holdout_row(const lapse_input_csv *csv, void *user)
{
    (void)csv;
    (void)user;
    return LAPSE_OK;
}

int train_holdout_read(lapse_strmap **out, const char *path, lapse_error *err)
{
    holdout_parse p = { lapse_strmap_create(), err, 0 };
    if (!p.users)
        return nomem(err);
    lapse_input_csv *csv = NULL;
    int rc = lapse_input_csv_open(&csv, path, NULL, holdout_field, holdout_row, &p, err);
    while (rc == 0 && (rc = lapse_input_csv_step(csv, err)) > 0) {
        rc = 0;
        /* libcsv keeps a field whole until it ends: a file without line ends
         * (a binary, /dev/zero) must not take all memory. */
        if (lapse_input_csv_open_field_bytes(csv) > LAPSE_TABLE_FIELD_MAX)
            rc = lapse_error_set(err, LAPSE_ERR_FORMAT, path, lapse_input_csv_line(csv),
                                 lapse_input_csv_fields(csv) + 1, -1,
                                 "a field longer than %d bytes: not a list of user ids",
                                 LAPSE_TABLE_FIELD_MAX);
    }
    lapse_input_csv_close(csv);
    if (rc == 0 && lapse_strmap_size(p.users) == 0)
        rc = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                             "the held-out users' file lists no user (one user id per row, "
                             "first column; a header user_id is skipped)");
    if (rc < 0) {
        lapse_strmap_free(p.users);
        return rc;
    }
    *out = p.users;
    return 0;
}

/* ---- the split ---- */

static int cmp_int64(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Distinct values among n dates (sorted in place). */
static size_t distinct_dates(int64_t *dates, size_t n)
{
    qsort(dates, n, sizeof *dates, cmp_int64);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        distinct += i == 0 || dates[i] != dates[i - 1];
    return distinct;
}

/* A held-out part with a handful of rows would still have its figures saved
 * as the model's, and fit its calibration. */
static int check_held_out(const train_split *s, const lapse_table *t,
                          const lapse_train_options *o, lapse_error *err)
{
    size_t pos = 0;
    for (size_t i = 0; i < s->n_valid; i++)
        pos += t->labels[s->valid[i]] > 0;
    const size_t neg = s->n_valid - pos;
    if (s->n_valid >= LAPSE_TRAIN_MIN_VALID_ROWS && pos >= LAPSE_TRAIN_MIN_VALID_CLASS &&
        neg >= LAPSE_TRAIN_MIN_VALID_CLASS)
        return 0;
    char what[96], hint[96];
    if (s->kind == LAPSE_VALIDATION_LAST_SNAPSHOT || s->kind == LAPSE_VALIDATION_ROLLING) {
        char day[16], fold[48] = "";
        lapse_time_format_date(day, s->valid_asof);
        if (s->kind == LAPSE_VALIDATION_ROLLING)
            snprintf(fold, sizeof fold, " (fold %zu of --validate rolling:%zu)", s->fold + 1,
                     o->rolling_folds);
        snprintf(what, sizeof what, "the validation snapshot %s%s", day, fold);
        snprintf(hint, sizeof hint, "%s",
                 s->kind == LAPSE_VALIDATION_ROLLING
                     ? "extract more users, or use fewer folds"
                     : "extract more users, or label a later snapshot");
    } else {
        char how[64];
        train_split_describe(how, sizeof how, o, s->kind, o->holdout_file);
        snprintf(what, sizeof what, "the held-out part (--validate %.40s)", how);
        snprintf(hint, sizeof hint, "%s",
                 s->kind == LAPSE_VALIDATION_FILE ? "list more users"
                                                  : "hold out a larger share, or label more users");
    }
    return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                           "%s has %zu labelled rows (%zu churners, %zu others): too few to "
                           "validate a model, which needs at least %d rows and %d of each class "
                           "there (%s)",
                           what, s->n_valid, pos, neg, LAPSE_TRAIN_MIN_VALID_ROWS,
                           LAPSE_TRAIN_MIN_VALID_CLASS, hint);
}

/* Labelled range and distinct labelled snapshots; *held (ROLLING) the
 * snapshot that fold holds out, when there are enough. */
static int scan_labelled(train_split *s, size_t *snapshots, int64_t *held, size_t fold,
                         const lapse_table *t, const lapse_train_options *o, lapse_error *err)
{
    int64_t *dates = malloc((t->n_rows ? t->n_rows : 1) * sizeof *dates);
    if (!dates)
        return nomem(err);
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->labels[i] < 0) {
            s->unlabelled++;
            continue;
        }
        if (n == 0 || t->asof[i] > s->valid_asof)
            s->valid_asof = t->asof[i];
        if (n == 0 || t->asof[i] < s->first_asof)
            s->first_asof = t->asof[i];
        dates[n++] = t->asof[i];
    }
    *snapshots = distinct_dates(dates, n);
    /* The distinct dates in order: the fold's is the (K - fold)-th latest. */
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || dates[i] != dates[i - 1])
            dates[at++] = dates[i];
    if (o->validate == LAPSE_VALIDATION_ROLLING && *snapshots > o->rolling_folds)
        *held = dates[*snapshots - o->rolling_folds + fold];
    free(dates);
    if (n == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "no labelled rows: training needs labelled rows (extract "
                               "without --no-labels, or with --labels FILE)");
    return 0;
}

int train_split_rows(train_split *s, const lapse_table *t, const lapse_train_options *o,
                     lapse_error *err)
{
    return train_split_fold(s, t, o, o->rolling_folds ? o->rolling_folds - 1 : 0, err);
}

int train_split_fold(train_split *s, const lapse_table *t, const lapse_train_options *o,
                     size_t fold, lapse_error *err)
{
    memset(s, 0, sizeof *s);
    s->fold = fold;
    size_t snapshots;
    int64_t held_asof = 0;
    int rc = scan_labelled(s, &snapshots, &held_asof, fold, t, o, err);
    if (rc < 0)
        return rc;
    s->kind = o->validate ? o->validate
                          : snapshots >= 2 ? LAPSE_VALIDATION_LAST_SNAPSHOT : LAPSE_VALIDATION_USERS;
    if (s->kind == LAPSE_VALIDATION_LAST_SNAPSHOT && snapshots < 2) {
        char d[32];
        lapse_time_format_date(d, s->valid_asof);
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "labelled rows from one snapshot only (%s): --validate "
                               "last-snapshot needs at least two, the latest for validation and "
                               "earlier ones to train on (extract with --asof DATE,DATE,..., or "
                               "hold out users: --validate users:0.2)",
                               d);
    }
    if (s->kind == LAPSE_VALIDATION_ROLLING) {
        if (snapshots <= o->rolling_folds) {
            char fewer[64] = "";
            if (snapshots >= 3) /* two folds at least */
                snprintf(fewer, sizeof fewer, ", or at most rolling:%zu", snapshots - 1);
            else if (snapshots == 1)
                snprintf(fewer, sizeof fewer, ", or hold out users: --validate users:0.2");
            return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                                   "labelled rows from %zu snapshot%s: --validate rolling:%zu "
                                   "holds out the last %zu in turn and needs at least one "
                                   "before them to train on, %zu in all (extract with --asof "
                                   "DATE,DATE,...%s)",
                                   snapshots, snapshots == 1 ? "" : "s", o->rolling_folds,
                                   o->rolling_folds, o->rolling_folds + 1, fewer);
        }
        s->valid_asof = held_asof;
    }
    lapse_strmap *listed = NULL, *held_users = lapse_strmap_create();
    unsigned char *matched = NULL;
    int64_t *dates = NULL;
    s->train = malloc((t->n_rows ? t->n_rows : 1) * sizeof *s->train);
    s->valid = malloc((t->n_rows ? t->n_rows : 1) * sizeof *s->valid);
    if (!s->train || !s->valid || !held_users) {
        rc = nomem(err);
        goto done;
    }
    if (s->kind == LAPSE_VALIDATION_FILE) {
        if ((rc = train_holdout_read(&listed, o->holdout_file, err)) < 0)
            goto done;
        if (!(matched = calloc(lapse_strmap_size(listed), 1))) {
            rc = nomem(err);
            goto done;
        }
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        if (t->labels[i] < 0)
            continue;
        const char *user = t->user_ids[i];
        int held;
        switch (s->kind) {
        case LAPSE_VALIDATION_USERS:
            held = draw(user, 0, o->seed) < o->holdout;
            break;
        case LAPSE_VALIDATION_RANDOM:
            held = draw(user, t->asof[i], o->seed) < o->holdout;
            break;
        case LAPSE_VALIDATION_FILE: {
            const int64_t id = lapse_strmap_find(listed, user, strlen(user));
            held = id >= 0;
            if (held)
                matched[id] = 1;
            break;
        }
        case LAPSE_VALIDATION_ROLLING:
            if (t->asof[i] > s->valid_asof)
                continue; /* after the fold's snapshot: neither side */
            held = t->asof[i] == s->valid_asof;
            break;
        default:
            held = t->asof[i] == s->valid_asof;
            break;
        }
        if (!held) {
            s->train[s->n_train++] = i;
            continue;
        }
        s->valid[s->n_valid++] = i;
        if (lapse_strmap_intern(held_users, user, strlen(user), NULL) < 0) {
            rc = nomem(err);
            goto done;
        }
    }
    s->valid_users = lapse_strmap_size(held_users);
    if (listed) {
        for (size_t u = 0; u < lapse_strmap_size(listed); u++)
            s->file_unknown += !matched[u];
        if (s->file_unknown)
            lapse_log(LAPSE_LOG_WARN,
                      "%s: %zu of the %zu listed users have no labelled row in the table",
                      o->holdout_file, s->file_unknown, lapse_strmap_size(listed));
    }
    if (s->n_train == 0) {
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "every labelled row is held out: nothing is left to train on");
        goto done;
    }
    if ((rc = check_held_out(s, t, o, err)) < 0)
        goto done;
    /* Distinct training snapshots, for the report. */
    if (!(dates = malloc(s->n_train * sizeof *dates))) {
        rc = nomem(err);
        goto done;
    }
    for (size_t i = 0; i < s->n_train; i++)
        dates[i] = t->asof[s->train[i]];
    s->snapshots_train = distinct_dates(dates, s->n_train);
done:
    free(dates);
    free(matched);
    lapse_strmap_free(listed);
    lapse_strmap_free(held_users);
    return rc;
}

void train_split_free(train_split *s)
{
    free(s->train);
    free(s->valid);
    s->train = s->valid = NULL;
}
