/* The evaluation report that `lapse eval` prints and `lapse train` prints
 * for its validation period, and train's segment summary. */
#ifndef LAPSE_CLI_REPORT_H
#define LAPSE_CLI_REPORT_H

#include "lapse/eval.h"
#include "lapse/jsonout.h"
#include "lapse/metrics.h"
#include "lapse/model.h"
#include "lapse/train.h"

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

/* Figures for programs (datasets/README.md, "Figures for programs"). */

#define CLI_EVAL_FRACTIONS 11 /* the top 5%, then the top 10%, 20%, ... 100% */
#define CLI_EVAL_ROC_POINTS 200

/* One risk tier's or segment's rows. */
typedef struct {
    const char *name;
    size_t rows, churners;
    double mean_p;
    double auc; /* NaN when the group holds one class */
} cli_eval_group_row;

/* One horizon of a model with horizons: its rows are every labelled row,
 * its churners those with days_to_churn <= days. */
typedef struct {
    int days;
    size_t rows, churners;
    double auc, ece;           /* AUC NaN with one class */
    lapse_metrics_lift top10;  /* lift and capture at the top 10% by p_<days> (NaN, one class) */
} cli_eval_horizon;

/* Per-horizon figures and Antolini's concordance (lapse_eval_concordance). */
typedef struct {
    size_t n;                  /* 0: none (no p_<days> or no days_to_churn column) */
    cli_eval_horizon h[LAPSE_EVAL_HORIZONS_MAX];
    double concordance;
    uint64_t pairs;
} cli_eval_horizons;

/* The horizons' figures of rows (n 0 when it has no p_<days> columns or no
 * days_to_churn). 0 or the error. */
int cli_eval_horizon_figures(cli_eval_horizons *out, const lapse_eval_rows *rows,
                             lapse_error *err);

/* Their text table. */
void cli_print_horizons(FILE *out, const cli_eval_horizons *h);

/* What lapse eval --json and --csv write. */
typedef struct {
    const lapse_metrics_report *metrics;
    lapse_metrics_lift top[CLI_EVAL_FRACTIONS];
    lapse_eval_roc_point *roc;
    size_t n_roc;
    cli_eval_group_row *groups[LAPSE_EVAL_GROUPS]; /* NULL when the column is absent */
    size_t n_groups[LAPSE_EVAL_GROUPS];
    const cli_eval_horizons *horizons; /* n 0: none */
} cli_eval_figures;

/* The "lapse-eval" JSON document of f into json. */
void cli_eval_json(lapse_json *json, const cli_eval_figures *f);

/* metrics.csv, deciles.csv, calibration.csv, roc.csv, and tiers.csv,
 * segments.csv and horizons.csv when those columns exist, into the folder
 * dir, all committed as one. 0 or the error. */
int cli_eval_csv(const char *dir, const cli_eval_figures *f, lapse_error *err);

/* An object of a metrics report: its metrics, confusion, calibration and
 * top (5, 10, 20%) members, as in the "lapse-eval" document. */
void cli_metrics_json(lapse_json *json, const lapse_metrics_report *r);

/* The model's members (what lapse model show prints) into an open object. */
void cli_model_json_members(lapse_json *json, const lapse_model *m);

/* The "lapse-model" document of the model loaded from path. */
void cli_model_json(lapse_json *json, const lapse_model *m, const char *path);

/* The "lapse-train-report" document: the model's members, the fit's
 * figures, and the validation report. */
void cli_train_report_json(lapse_json *json, const lapse_model *m, const lapse_train_report *r);

/* That document written atomically to path. 0 or the error. */
int cli_train_report_save(const char *path, const lapse_model *m, const lapse_train_report *r,
                          lapse_error *err);

/* A finished document to path ("-": stdout) through an outfile. */
int cli_json_save(lapse_json *json, const char *path, lapse_error *err);

/* The line a model without segments gets. */
#define CLI_NO_SEGMENTS                                                                         \
    "none: no profile feature varies (or the table has none); every user is in segment \""     \
    LAPSE_MODEL_NO_SEGMENT "\" and the action rules' '*' rows choose its action"

#endif
