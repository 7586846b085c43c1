/* Fuzz helper: reads every event of one log and checks what any read must
 * hold: every event has a 1..256-byte id, a time in [1970, 2200), a valid
 * category and a finite amount in range (a refund, below 0, never a
 * purchase); the stats count the events; a
 * refusal has a code, a message and the path. Aborts otherwise. Include from
 * one target file only. */
#ifndef LAPSE_FUZZ_EVENTS_H
#define LAPSE_FUZZ_EVENTS_H

#include "lapse/reader.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_read_all_events(const char *path, const lapse_reader_options *opts)
{
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_reader *r = NULL;
    if (lapse_reader_open(&r, &path, 1, opts, &err) != LAPSE_OK)
        abort();
    lapse_event e;
    int status;
    int64_t events = 0;
    while ((status = lapse_reader_next(r, &e, &err)) > 0) {
        if (e.user_id_len < 1 || e.user_id_len > LAPSE_USER_ID_MAX || e.ts < 0 ||
            e.ts >= LAPSE_TIME_MAX || (unsigned)e.category >= LAPSE_CAT_COUNT ||
            (e.has_amount && !(fabs(e.amount) <= LAPSE_AMOUNT_MAX)) ||
            (e.has_amount && e.amount < 0 && e.category == LAPSE_CAT_PURCHASE))
            abort();
        events++;
    }
    if (status < 0 && (err.code != status || !err.message[0] || strcmp(err.path, path) != 0))
        abort();
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    if (status == 0 && stats.events != events)
        abort();
    lapse_reader_free(r);
}

#endif
