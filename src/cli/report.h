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
 * silhouette. */
void cli_print_segments(FILE *out, const lapse_model *m);

#endif
