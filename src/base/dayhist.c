#include "dayhist.h"

#include <stdlib.h>
#include <string.h>

/* Widens h to cover [lo, hi], with half its width to spare on the side
 * that grew, so that a log read in time order reallocates O(log days) times. */
static int cover(day_hist *h, int32_t lo, int32_t hi)
{
    int64_t first = lo, end = (int64_t)hi + 1 + 32;
    if (h->count) {
        const int64_t have_end = h->first + (int64_t)h->len;
        if (lo >= h->first && hi < have_end)
            return 0;
        const int64_t slack = (int64_t)h->len / 2 + 32;
        first = lo < h->first ? lo - slack : h->first;
        end = hi >= have_end ? (int64_t)hi + 1 + slack : have_end;
        if (first < 0)
            first = 0;
    }
    int64_t *count = calloc((size_t)(end - first), sizeof *count);
    if (!count)
        return -1;
    if (h->count)
        memcpy(count + (h->first - first), h->count, h->len * sizeof *count);
    free(h->count);
    h->count = count;
    h->first = (int32_t)first;
    h->len = (size_t)(end - first);
    return 0;
}

int day_hist_add(day_hist *h, int32_t day)
{
    if (cover(h, day, day) != 0)
        return -1;
    h->count[day - h->first]++;
    h->events++;
    return 0;
}

int day_hist_merge(day_hist *into, const day_hist *from)
{
    if (!from->events)
        return 0;
    if (cover(into, from->first, from->first + (int32_t)from->len - 1) != 0)
        return -1;
    for (size_t i = 0; i < from->len; i++)
        into->count[from->first - into->first + (int64_t)i] += from->count[i];
    into->events += from->events;
    return 0;
}

void day_hist_free(day_hist *h)
{
    free(h->count);
    *h = (day_hist)DAY_HIST_INIT;
}

/* The index of the day holding event number k (0-based, in time order). */
static size_t day_of_event(const day_hist *h, int64_t k)
{
    size_t i = 0;
    for (int64_t seen = h->count[0]; seen <= k; seen += h->count[++i])
        ;
    return i;
}

void day_hist_range(const day_hist *h, day_range *out)
{
    *out = (day_range){ h->events, -1, -1, -1, -1, 0, 0 };
    if (!h->events)
        return;
    const int64_t trim = h->events / 1000;
    size_t lo = day_of_event(h, trim), hi = day_of_event(h, h->events - 1 - trim);
    for (size_t i = lo; i-- > 0;) {
        if (!h->count[i])
            continue;
        if (lo - i > DAY_RANGE_GAP)
            break;
        lo = i;
    }
    for (size_t i = hi + 1; i < h->len; i++) {
        if (!h->count[i])
            continue;
        if (i - hi > DAY_RANGE_GAP)
            break;
        hi = i;
    }
    for (size_t i = 0; i < h->len; i++) {
        if (!h->count[i])
            continue;
        if (out->first < 0)
            out->first = h->first + (int32_t)i;
        out->last = h->first + (int32_t)i;
        if (i < lo)
            out->before += h->count[i];
        else if (i > hi)
            out->after += h->count[i];
    }
    out->start = h->first + (int32_t)lo;
    out->end = h->first + (int32_t)hi;
}
