#include "cli_progress.h"

#include <stdio.h>
#include <unistd.h>

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void show(int64_t done, int64_t total, void *user)
{
    cli_progress *p = user;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (p->shown && seconds_between(&p->last, &now) < 0.25)
        return;
    p->last = now;
    p->shown = 1;
    const double elapsed = seconds_between(&p->start, &now);
    const double rate = elapsed > 0 ? (double)done / elapsed : 0;
    const int decimals = p->scale == 1 ? 0 : 1; /* counts are whole */
    fprintf(stderr, "\rlapse: %s %.*f", p->verb, decimals, (double)done / p->scale);
    if (total > 0)
        fprintf(stderr, " of %.*f", decimals, (double)total / p->scale);
    fprintf(stderr, " %s (%.*f %s/s", p->unit, decimals, rate / p->scale, p->unit);
    if (total > 0 && rate > 0)
        fprintf(stderr, ", %.0f s left", (double)(total - done) / rate);
    fputs(")   ", stderr);
}

lapse_progress_fn cli_progress_start(cli_progress *p, int quiet, const char *verb,
                                     const char *unit, double scale)
{
    *p = (cli_progress){ .verb = verb, .unit = unit, .scale = scale };
    if (quiet || !isatty(STDERR_FILENO))
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    return show;
}

void cli_progress_end(cli_progress *p)
{
    if (p->shown)
        fputc('\n', stderr);
    p->shown = 0;
}
