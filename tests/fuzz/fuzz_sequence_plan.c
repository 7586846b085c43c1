/* Fuzz target: a sequence plan (lapse campaign plan --sequence, or the
 * campaign simulator's sends.csv) as lapse_campaign_next and
 * lapse_campaign_eval read it, against a fixed small log.
 *
 * Beyond not crashing or leaking: a refused plan says why (a code and a
 * message) and gives no report; an accepted one gives counts that add up:
 * next's returned users and unseen touches within its users and touches
 * due, eval's recalled within sent, rows' steps 0 to LAPSE_SEQUENCE_MAX. */
#include "fuzz_file.h"

#include "lapse/campaign.h"
#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Users u1 to u3 from before the seeds' start (2026-03-01T09:00:00Z) to
 * after their last windows; u2 back after the first touch. */
static const char log_text[] = "user_id,ts,event\n"
                               "u1,2026-02-20T10:00:00Z,login\n"
                               "u2,2026-02-21T10:00:00Z,login\n"
                               "u3,2026-02-22T10:00:00Z,login\n"
                               "u2,2026-03-01T15:00:00Z,login\n"
                               "u3,2026-03-04T12:00:00Z,login\n"
                               "z,2026-04-15T00:00:00Z,login\n";

static void check_refusal(int status, const lapse_error *err)
{
    if (status != LAPSE_OK && (err->code != status || err->message[0] == '\0'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *plan = fuzz_file_path(0, data, size);
    const char *logs[] = { fuzz_file_path(1, (const uint8_t *)log_text, sizeof log_text - 1) };
    lapse_error err = LAPSE_ERROR_INIT;

    lapse_campaign_next_options next = LAPSE_CAMPAIGN_NEXT_OPTIONS_INIT;
    next.now = INT64_C(1772442000); /* 2026-03-02T09:00:00Z */
    lapse_campaign_next_stats st;
    memset(&st, 0, sizeof st);
    /* a device: written in place, no temporary file */
    int status = lapse_campaign_next(plan, logs, 1, "/dev/null", &next, &st, &err);
    check_refusal(status, &err);
    if (status == LAPSE_OK && (st.returned < 0 || st.returned > st.users || st.due < 0 ||
                               st.unseen < 0 || st.unseen > st.due || st.control_due < 0))
        abort();

    lapse_campaign_eval_options eval = LAPSE_CAMPAIGN_EVAL_OPTIONS_INIT;
    lapse_campaign_report *report = NULL;
    lapse_error_clear(&err);
    status = lapse_campaign_eval(&report, plan, logs, 1, NULL, 0, &eval, &err);
    check_refusal(status, &err);
    if ((status == LAPSE_OK) != (report != NULL))
        abort();
    for (size_t i = 0; report && i < report->n_rows; i++) {
        const lapse_campaign_row *r = &report->rows[i];
        if (r->sent < 0 || r->recalled < 0 || r->recalled > r->sent || r->control < 0 ||
            r->control_recalled < 0 || r->control_recalled > r->control || r->step < 0 ||
            r->step > LAPSE_SEQUENCE_MAX)
            abort();
    }
    lapse_campaign_report_free(report);
    return 0;
}
