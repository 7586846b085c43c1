/* Internal: how many events fall on each day, and the robust time range of
 * a log that one stray timestamp cannot move.
 *
 * A histogram covers only the days between the earliest and the latest it
 * was given (growing as needed), so a year of events costs a few KB; one
 * clock-skewed row in 2099 makes it about 27,000 days (216 KB) wide.
 *
 * The robust range: drop the earliest and the latest 0.1% of the events
 * (floor(events / 1000) at each end: a log of under 1,000 events keeps all,
 * since one row in a handful cannot be told from the data), then widen the
 * remaining range over days with events no more than DAY_RANGE_GAP days
 * apart, so that a clean log's range is exactly its first to its last day.
 * Events outside it are more than DAY_RANGE_GAP days away from the rest:
 * a skewed clock, a default date, a test row. */
#ifndef LAPSE_DAYHIST_H
#define LAPSE_DAYHIST_H

#include <stddef.h>
#include <stdint.h>

#define DAY_RANGE_GAP 7

typedef struct {
    int32_t first;  /* day of count[0] */
    size_t len;     /* days covered */
    int64_t *count; /* [len]; NULL while empty */
    int64_t events;
} day_hist;

#define DAY_HIST_INIT { 0, 0, NULL, 0 }

/* Counts one event on day (>= 0). Returns 0, or -1 when out of memory
 * (the histogram is then unchanged). */
int day_hist_add(day_hist *h, int32_t day);

/* Adds from's counts to into's. Returns 0 or -1 (out of memory). */
int day_hist_merge(day_hist *into, const day_hist *from);

void day_hist_free(day_hist *h); /* frees the counts; h is empty after */

typedef struct {
    int64_t events;        /* 0: no events, and the days below are -1 */
    int32_t first, last;   /* the earliest and the latest day seen */
    int32_t start, end;    /* the robust range */
    int64_t before, after; /* events before start, after end */
} day_range;

/* The robust range of h (see above). */
void day_hist_range(const day_hist *h, day_range *out);

#endif
