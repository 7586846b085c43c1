/* The time checks of an extract: labels only where every file's data
 * covers the horizon, and warnings where events or snapshots sit oddly
 * against the log's robust time range (lapse/extract.h, src/base/dayhist.h). */
#include "extract_internal.h"

#include "lapse/timeparse.h"

#include <stdlib.h>

#define STALE_DAYS 7    /* a snapshot further past the data: users look silent */
#define HISTORY_DAYS 90 /* the longest counting window of the features */

static void format_day(char buf[11], int32_t day)
{
    lapse_time_format_date(buf, (int64_t)day * LAPSE_SECONDS_PER_DAY);
}

/* Whether file f is a part of the export that stops before day: one
 * that starts with the log (a part split by user holds its users' whole
 * history) and that no other file picks up where it stops (one that starts
 * after it, at most DAY_RANGE_GAP days after its end, and ends later: an
 * export split by time). A file that starts later adds events to users
 * the others hold, and its end says nothing about theirs. */
static int stops_before(const day_range *log, const day_range *file, size_t files, size_t f,
                        int32_t day)
{
    if (!file[f].events || file[f].end >= day || file[f].start > log->start + DAY_RANGE_GAP)
        return 0;
    for (size_t g = 0; g < files; g++)
        if (g != f && file[g].events && file[g].start > file[f].start &&
            file[g].start <= file[f].end + DAY_RANGE_GAP && file[g].end > file[f].end)
            return 0;
    return 1;
}

/* The first file holding events after the log's end (there is one). */
static size_t file_past(const day_range *log, const day_range *file, size_t files)
{
    size_t f = 0;
    while (f + 1 < files && !(file[f].events && file[f].last > log->end))
        f++;
    return f;
}

/* The first file holding events before the log's start (there is one). */
static size_t file_before(const day_range *log, const day_range *file, size_t files)
{
    size_t f = 0;
    while (f + 1 < files && !(file[f].events && file[f].first < log->start))
        f++;
    return f;
}

static int check_labels(const lapse_extract *x, const day_range *log, const day_range *file,
                        const char *const *paths, size_t files, lapse_error *err)
{
    if (!log->events)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the log has no events, so nothing can be labelled");
    for (size_t s = 0; s < x->snapshots; s++) {
        const int32_t need = x->snap[s].horizon_end - 1;
        char asof[11], through[11], end[11], last[11];
        lapse_time_format_date(asof, x->snap[s].asof_ts);
        format_day(through, need);
        format_day(end, log->end);
        format_day(last, log->last);
        if (need > log->end && !log->after)
            return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                                   "snapshot %s needs events through %s to label a %d-day "
                                   "horizon, but the last event is on %s (pick an earlier "
                                   "--asof, or --no-labels to score)",
                                   asof, through, x->churn.horizon_days, end);
        if (need > log->end)
            return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                                   "snapshot %s needs events through %s to label a %d-day "
                                   "horizon, but the log ends on %s (%lld later event%s, up to "
                                   "%s in %s, too far past it to count) (pick an earlier "
                                   "--asof, or --no-labels to score)",
                                   asof, through, x->churn.horizon_days, end,
                                   (long long)log->after, log->after == 1 ? "" : "s", last,
                                   paths[file_past(log, file, files)]);
        for (size_t f = 0; f < files; f++) {
            if (!stops_before(log, file, files, f, need))
                continue;
            char file_end[11];
            format_day(file_end, file[f].end);
            return lapse_error_set(err, LAPSE_ERR_RANGE, paths[f], 0, 0, -1,
                                   "snapshot %s needs events through %s to label a %d-day "
                                   "horizon, but this file's events end on %s while the log "
                                   "goes on to %s: its users would all look churned (did its "
                                   "export stop early? pick an earlier --asof, or "
                                   "--no-labels to score)",
                                   asof, through, x->churn.horizon_days, file_end, end);
        }
    }
    return LAPSE_OK;
}

/* Events far outside the log's range: counted, and said once per side. */
static void warn_outside(lapse_extract *x, const day_range *log, const day_range *file,
                         const char *const *paths, size_t files)
{
    char edge[11], far[11];
    if (log->after) {
        format_day(edge, log->end);
        format_day(far, log->last);
        lapse_extract_warn(x,
                           "%lld event%s dated after %s, the end of the log (up to %s, in %s); "
                           "they count as events but do not move its end",
                           (long long)log->after, log->after == 1 ? " is" : "s are", edge, far,
                           paths[file_past(log, file, files)]);
    }
    if (log->before) {
        format_day(edge, log->start);
        format_day(far, log->first);
        lapse_extract_warn(x,
                           "%lld event%s dated before %s, the start of the log (down to %s, in "
                           "%s); they count as events but do not move its start",
                           (long long)log->before, log->before == 1 ? " is" : "s are", edge, far,
                           paths[file_before(log, file, files)]);
    }
}

/* Snapshots after the data (users look silent because it stops) or too
 * soon after its start (the long windows are cut short). */
static void warn_snapshots(lapse_extract *x, const day_range *log, const day_range *file,
                           const char *const *paths, size_t files)
{
    char start[11], end[11];
    format_day(start, log->start);
    format_day(end, log->end);
    /* Short windows are said once for all the snapshots they cut: a cohort
     * extract (--asof-file) has dozens of dates, and one line each would
     * crowd the table's warnings out. */
    size_t short_count = 0, short_first = 0, short_last = 0;
    int32_t short_min = 0, short_max = 0;
    for (size_t s = 0; s < x->snapshots; s++) {
        const int32_t asof_day = x->snap[s].asof_day;
        char asof[11];
        lapse_time_format_date(asof, x->snap[s].asof_ts);
        if (asof_day - log->end > STALE_DAYS) {
            lapse_extract_warn(x,
                               "snapshot %s is %d days after the log's last events (%s): users "
                               "look silent because the log stops",
                               asof, asof_day - log->end, end);
        } else {
            for (size_t f = 0; f < files; f++) {
                if (!stops_before(log, file, files, f, asof_day - STALE_DAYS))
                    continue;
                char file_end[11];
                format_day(file_end, file[f].end);
                lapse_extract_warn(x,
                                   "snapshot %s is %d days after the last events of %s (%s), "
                                   "while the log goes on to %s: its users look silent because "
                                   "the file stops",
                                   asof, asof_day - file[f].end, paths[f], file_end, end);
            }
        }
        const int32_t history = asof_day - log->start;
        if (history <= 0)
            lapse_extract_warn(x,
                               "snapshot %s is not after the log's first events (%s): no user "
                               "has any history before it",
                               asof, start);
        else if (history < HISTORY_DAYS) {
            if (!short_count++) {
                short_first = s;
                short_min = history;
            }
            short_last = s;
            short_max = history; /* snapshots ascend, so history does too */
        }
    }
    char first[11], last[11];
    lapse_time_format_date(first, x->snap[short_first].asof_ts);
    lapse_time_format_date(last, x->snap[short_last].asof_ts);
    if (short_count == 1)
        lapse_extract_warn(x,
                           "snapshot %s is %d days after the log's first events (%s): its "
                           "%d-day windows see only %d days",
                           first, short_min, start, HISTORY_DAYS, short_min);
    else if (short_count > 1)
        lapse_extract_warn(x,
                           "%zu snapshots, %s to %s, are %d to %d days after the log's first "
                           "events (%s): their %d-day windows see only that many days",
                           short_count, first, last, short_min, short_max, start, HISTORY_DAYS);
}

int extract_check_time(lapse_extract *x, const day_hist *days, const char *const *paths,
                       size_t files, lapse_error *err)
{
    day_range *file = calloc(files, sizeof *file);
    day_hist all = DAY_HIST_INIT;
    int status = file ? LAPSE_OK : LAPSE_ERR_NOMEM;
    for (size_t f = 0; status == LAPSE_OK && f < files; f++) {
        day_hist_range(&days[f], &file[f]);
        if (day_hist_merge(&all, &days[f]) != 0)
            status = LAPSE_ERR_NOMEM;
    }
    if (status != LAPSE_OK) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    day_range log;
    day_hist_range(&all, &log);
    const int64_t day = LAPSE_SECONDS_PER_DAY;
    x->stats.last_day = log.events ? log.last * day : -1;
    x->stats.start_day = log.events ? log.start * day : -1;
    x->stats.end_day = log.events ? log.end * day : -1;
    x->stats.outside = log.before + log.after;
    /* Labels from a file need no events after asof. */
    if (x->labels && !x->label_file)
        status = check_labels(x, &log, file, paths, files, err);
    if (status == LAPSE_OK && log.events) {
        warn_outside(x, &log, file, paths, files);
        warn_snapshots(x, &log, file, paths, files);
    }
done:
    day_hist_free(&all);
    free(file);
    return status;
}
