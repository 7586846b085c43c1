/* Fuzz target: event logs, through lapse_reader and the whole of
 * lapse_extract_run (one snapshot, no labels).
 *
 * The first byte holds options, the rest is the log:
 *   bit 0  gzip the log (zlib, here), so mutations of the CSV reach the
 *          reader through inflate; bit 1 then makes it two gzip members
 *   bit 2  max_bad_rows 2 instead of 0
 *   bit 3  snapshot the day after the earliest event, not the latest
 *   bit 4  key categories activity and core, 7 silent days
 *   bit 5  two extract threads (the pipelined gzip path)
 * Raw gzip inputs (truncated, corrupt) come from the seeds with bit 0 off.
 *
 * Beyond not crashing or leaking: every event has a 1..256-byte id, a time
 * in [1970, 2200), a valid category and a finite amount in range (a refund,
 * below 0, never a purchase); the stats
 * count the events; a refusal has a code, a message and the path. The
 * extract accepts exactly what the reader accepts (or fails with the same
 * code, on one thread; and refuses a log with events but none in a key
 * category), counts the same events and users, and its rows
 * are the users seen before the snapshot, in id order, active exactly when
 * a reference computed here from the events says so, with finite features. */
#include "fuzz_file.h"

#include "lapse/error.h"
#include "lapse/extract.h"
#include "lapse/features.h"
#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    char id[LAPSE_USER_ID_MAX];
    size_t len;
    int64_t ts;
    lapse_category category;
} seen_event;

static int compare_ids(const char *a, size_t alen, const char *b, size_t blen)
{
    const int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

static int compare_events(const void *pa, const void *pb)
{
    const seen_event *a = pa, *b = pb;
    return compare_ids(a->id, a->len, b->id, b->len);
}

/* Appends data[0..size) to *out as one gzip member. */
static void gzip_member(unsigned char *out, size_t *out_len, size_t cap, const uint8_t *data,
                        size_t size)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out + *out_len;
    zs.avail_out = (uInt)(cap - *out_len);
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
}

static void check_refusal(int status, const lapse_error *err, const char *path)
{
    if (status >= 0 || err->code != status || !err->message[0] || strcmp(err->path, path) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const unsigned flags = data[0];
    data++;
    size--;

    unsigned char *gz = NULL;
    const char *path;
    if (flags & 1) {
        const size_t cap = 2 * (compressBound((uLong)size) + 64);
        size_t len = 0;
        gz = malloc(cap);
        if (!gz)
            abort();
        const size_t first = (flags & 2) ? size / 2 : size;
        gzip_member(gz, &len, cap, data, first);
        if (flags & 2)
            gzip_member(gz, &len, cap, data + first, size - first);
        path = fuzz_file_path(0, gz, len);
    } else {
        path = fuzz_file_path(0, data, size);
    }

    lapse_reader_options ropts = LAPSE_READER_OPTIONS_INIT;
    ropts.max_bad_rows = (flags & 4) ? 2 : 0;

    /* The reader on its own, keeping each event for the references below. */
    lapse_reader *reader;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_reader_open(&reader, &path, 1, &ropts, &err) != LAPSE_OK)
        abort();
    seen_event *events = NULL;
    size_t n = 0, cap = 0;
    int64_t min_ts = INT64_MAX, max_ts = -1;
    lapse_event ev;
    int got;
    while ((got = lapse_reader_next(reader, &ev, &err)) == 1) {
        if (ev.user_id_len < 1 || ev.user_id_len > LAPSE_USER_ID_MAX || ev.ts < 0 ||
            ev.ts >= LAPSE_TIME_MAX || (unsigned)ev.category >= LAPSE_CAT_COUNT)
            abort();
        if (ev.has_amount && !(fabs(ev.amount) <= LAPSE_AMOUNT_MAX))
            abort();
        if (ev.has_amount && ev.amount < 0 && ev.category == LAPSE_CAT_PURCHASE)
            abort(); /* a refund is no purchase */
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            events = realloc(events, cap * sizeof *events);
            if (!events)
                abort();
        }
        memcpy(events[n].id, ev.user_id, ev.user_id_len);
        events[n].len = ev.user_id_len;
        events[n].ts = ev.ts;
        events[n].category = ev.category;
        n++;
        min_ts = ev.ts < min_ts ? ev.ts : min_ts;
        max_ts = ev.ts > max_ts ? ev.ts : max_ts;
    }
    const int read_status = got;
    lapse_error read_err = err;
    if (read_status != 0)
        check_refusal(read_status, &read_err, path);
    lapse_reader_stats rstats;
    lapse_reader_get_stats(reader, &rstats);
    /* A failure may come with events of its chunk counted but not returned. */
    if (rstats.events < (int64_t)n || (read_status == 0 && rstats.events != (int64_t)n) ||
        rstats.bad_rows > ropts.max_bad_rows ||
        rstats.unknown_rows > rstats.events + rstats.bad_rows ||
        rstats.unknown_examples > LAPSE_READER_EXAMPLES)
        abort();
    int64_t by_category = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        by_category += rstats.category_rows[c];
    if (by_category != rstats.events)
        abort();
    /* After an error the reader only repeats it. */
    if (read_status < 0) {
        lapse_error again = LAPSE_ERROR_INIT;
        if (lapse_reader_next(reader, &ev, &again) != read_status || again.code != read_status)
            abort();
    }
    lapse_reader_free(reader);

    /* The extract, snapshot at midnight after the earliest or latest event. */
    const int64_t base = n == 0 ? INT64_C(1767225600) : (flags & 8) ? min_ts : max_ts;
    int64_t asof = (base / LAPSE_SECONDS_PER_DAY + 1) * LAPSE_SECONDS_PER_DAY;
    if (asof >= LAPSE_TIME_MAX)
        asof -= LAPSE_SECONDS_PER_DAY;
    lapse_extract_options xopts = LAPSE_EXTRACT_OPTIONS_INIT;
    if (flags & 16) {
        xopts.churn.key_mask = (1u << LAPSE_CAT_ACTIVITY) | (1u << LAPSE_CAT_CORE);
        xopts.churn.silent_days = 7;
    }
    xopts.asof = &asof;
    xopts.asof_count = 1;
    xopts.labels = 0;
    xopts.threads = (flags & 32) ? 2 : 1;
    xopts.reader = ropts;
    lapse_extract *x = NULL;
    lapse_error xerr = LAPSE_ERROR_INIT;
    const int xstatus = lapse_extract_run(&x, &path, 1, &xopts, &xerr);
    if (read_status < 0) {
        /* Two threads may stop at another bad row of a failing log: the
         * pipelined parser counts bad rows differently (reported). */
        if ((xstatus != read_status && xopts.threads == 1) || xstatus >= 0 || x)
            abort();
        check_refusal(xstatus, &xerr, path);
        goto done;
    }
    size_t key_events = 0;
    for (size_t i = 0; i < n; i++)
        key_events += xopts.churn.key_mask >> events[i].category & 1;
    if (n > 0 && key_events == 0) {
        if (xstatus != LAPSE_ERR_FORMAT || x)
            abort();
        check_refusal(xstatus, &xerr, path);
        goto done;
    }
    if (xstatus != LAPSE_OK || !x)
        abort();

    lapse_extract_stats xstats;
    lapse_extract_get_stats(x, &xstats);
    if (xstats.reader.events != (int64_t)n || xstats.reader.bad_rows != rstats.bad_rows ||
        xstats.reader.unknown_rows != rstats.unknown_rows)
        abort();
    if (n > 0 && xstats.last_day != max_ts / LAPSE_SECONDS_PER_DAY * LAPSE_SECONDS_PER_DAY)
        abort();
    if (n == 0 && xstats.last_day != -1)
        abort();

    /* The reference: per user (events sorted by id), whether it has events
     * before asof and a key event in the silent window; the rows of both
     * sets must be those users, in id order. */
    if (n > 1)
        qsort(events, n, sizeof *events, compare_events);
    const int64_t window = asof - (int64_t)xopts.churn.silent_days * LAPSE_SECONDS_PER_DAY;
    const size_t n_features = lapse_feature_count();
    double *features = malloc((n_features ? n_features : 1) * sizeof *features);
    if (!features)
        abort();
    size_t users = 0, next[2] = { 0, 0 };
    for (size_t i = 0; i < n;) {
        size_t j = i;
        int before = 0, active = 0;
        for (; j < n && compare_events(&events[i], &events[j]) == 0; j++) {
            if (events[j].ts < asof) {
                before = 1;
                if (events[j].ts >= window && (xopts.churn.key_mask >> events[j].category & 1))
                    active = 1;
            }
        }
        users++;
        if (before) {
            const lapse_extract_set set = active ? LAPSE_EXTRACT_ACTIVE : LAPSE_EXTRACT_DORMANT;
            lapse_extract_row row;
            if (lapse_extract_get(x, set, next[set], &row, features) != LAPSE_OK ||
                compare_ids(row.user_id, row.user_id_len, events[i].id, events[i].len) != 0 ||
                row.asof != asof || row.label != -1 ||
                lapse_extract_find(x, set, asof, events[i].id, events[i].len) !=
                    (int64_t)next[set])
                abort();
            for (size_t f = 0; f < n_features; f++)
                if (!isfinite(features[f]))
                    abort();
            next[set]++;
        }
        i = j;
    }
    free(features);
    if (xstats.users != (int64_t)users ||
        lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE) != next[LAPSE_EXTRACT_ACTIVE] ||
        lapse_extract_count(x, LAPSE_EXTRACT_DORMANT) != next[LAPSE_EXTRACT_DORMANT])
        abort();

done:
    lapse_extract_free(x);
    free(events);
    free(gz);
    return 0;
}
