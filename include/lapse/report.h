/* The report: one self-contained HTML page about a scored file, with charts
 * drawn by lapse as inline SVG (no script, no font or file fetched), for a
 * data team to read before trusting a campaign to a model.
 *
 * Sections, each written only when its inputs are given:
 *   model     quality on the scored rows: ROC, precision-recall, cumulative
 *             gain, lift, reliability with Wilson intervals, score histogram
 *             by label, the risk tiers with their churn rates
 *   segments  size, churn rate and suggested action per segment; the
 *             model's segment centres when the model is given
 *   reasons   how often each reason appears, overall and by tier
 *   training  the model's churn definition, validation figures, calibration
 *             and tiers (the model given)
 *   features  drift of each feature as PSI: a feature table's latest snapshot
 *             (the scored period) against its earlier ones (the training
 *             period), over the deciles of the earlier values; and the
 *             distributions by label of the features that separate
 *             churners best (information value)
 *   campaign  uplift per channel and variant with its interval, recall rates
 *             and cost per recalled user, from lapse campaign eval's report
 *   compare   this month against last: both AUCs on the same labelled rows
 *             (joined by user_id and asof) with DeLong's paired interval,
 *             and the PSI of the two score distributions
 * Without labels in the scored file the label-dependent parts are left out
 * and the page says so once (and a warning is logged).
 *
 * Memory is flat in the scored file's rows (1,000-bin histograms for the
 * curves, exact counts for the tables) and in the feature table's (a
 * sample of 4,000 rows for the deciles, then counts), except for the
 * comparison, which holds last month's keys and the joined labelled rows. */
#ifndef LAPSE_REPORT_H
#define LAPSE_REPORT_H

#include "lapse/error.h"
#include "lapse/progress.h"
#include "lapse/reader.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *scored;          /* this month's scored file (lapse score's output); required */
    const char *model;           /* the model that scored it; NULL: no training section */
    const char *previous_scores; /* last month's model's scores; NULL: no comparison */
    const char *previous_model;  /* last month's model; NULL: its churn definition unchecked */
    const char *table;           /* a feature table with the training snapshots and the scored
                                  * one; NULL: no drift section. Read twice: not "-" */
    const char *campaign;        /* lapse campaign eval's -o report; NULL: no campaign section */
    const char *const *logs;     /* event logs, read as lapse inspect reads them with
                                  * log_reader; n_logs 0: no data section */
    size_t n_logs;
    lapse_reader_options log_reader;
    const char *title;           /* the page's title; NULL: "lapse report" */
    lapse_progress_fn progress;  /* rows of the scored file read (total -1); or NULL */
    void *progress_user;
} lapse_report_inputs;

#define LAPSE_REPORT_INPUTS_INIT                                                                   \
    { NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, LAPSE_READER_OPTIONS_INIT, NULL, NULL, NULL }

/* Bits of lapse_report_summary.sections. */
enum {
    LAPSE_REPORT_MODEL = 1u << 0,
    LAPSE_REPORT_SEGMENTS = 1u << 1,
    LAPSE_REPORT_REASONS = 1u << 2,
    LAPSE_REPORT_TRAINING = 1u << 3,
    LAPSE_REPORT_COMPARE = 1u << 4,
    LAPSE_REPORT_FEATURES = 1u << 5,
    LAPSE_REPORT_CAMPAIGN = 1u << 6,
    LAPSE_REPORT_DATA = 1u << 7
};

typedef struct {
    uint64_t rows, labelled;
    unsigned sections;      /* LAPSE_REPORT_* written */
    int comparison_refused; /* the compare section says why instead */
} lapse_report_summary;

/* Reads the inputs and writes the page to html. Paths are read through
 * the input layer ("-" for standard input, for one of them). Returns 0, or
 * the error of the first input that fails (a scored file's errors name
 * the file, line and column; a model's, the byte offset), LAPSE_ERR_NOMEM,
 * or LAPSE_ERR_IO when html cannot be written. A previous model whose churn
 * definition differs from the model's is not an error: the comparison is
 * refused in the page, with why, and logged as a warning. *out (OUT) may be
 * NULL. */
int lapse_report_write(lapse_report_summary *out, FILE *html, const lapse_report_inputs *in,
                       lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
