/* The evaluation report that `lapse eval` prints and `lapse train` prints
 * for its validation period, and train's segment summary. */
#ifndef LAPSE_CLI_REPORT_H
#define LAPSE_CLI_REPORT_H

#include "lapse/metrics.h"
#include "lapse/model.h"

#include <stdio.h>

/* AUC-ROC, PR-AUC, log loss, Brier, ECE, lift and capture at the top 5, 10
 * and 20%, the 10-bin calibration table and the confusion matrix. */
void cli_print_metrics(FILE *out, const lapse_metrics_report *r);

/* Each segment's name, size and centroid in original units, and the
 * silhouette; or that the model has no segments. */
void cli_print_segments(FILE *out, const lapse_model *m);

/* How the tiers were set, e.g. "at 50%, 80%, 95% of the validation
 * probabilities" or "at probabilities 0.3, 0.6, 0.8", into buf. */
const char *cli_describe_tiers(char *buf, size_t size, const lapse_model *m);

/* Which rows validated the model, e.g. "held-out users (users:0.2)". */
const char *cli_describe_validation(char *buf, size_t size, const lapse_model *m);

/* The line a model without segments gets. */
#define CLI_NO_SEGMENTS                                                                         \
    "none: no profile feature varies (or the table has none); every user is in segment \""     \
    LAPSE_MODEL_NO_SEGMENT "\" and the action rules' '*' rows choose its action"

#endif
