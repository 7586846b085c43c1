/* Internal: the pieces of lapse report. report_stats.c tallies a scored
 * file in fixed memory and turns histograms into curves; report_svg.c draws
 * charts and formats numbers (one policy for the whole page);
 * report_sections.c and report_compare.c write the sections; report.c
 * reads the inputs and writes the page. */
#ifndef LAPSE_REPORT_INTERNAL_H
#define LAPSE_REPORT_INTERNAL_H

#include "lapse/error.h"
#include "lapse/inspect.h"
#include "lapse/model.h"
#include "lapse/scored.h"
#include "strmap.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_BINS 1000      /* equal-width bins of p for the curves: memory flat in rows */
#define REPORT_CALIB_BINS 10  /* reliability diagram */
#define REPORT_HIST_BINS 20   /* score histogram */
#define REPORT_MAX_NAMES 1000 /* distinct tiers, segments, reasons... a scored file has few */

/* ---- tallies (report_stats.c) ---- */

typedef struct {
    uint64_t n, labelled, positives;
    double sum_p;
} report_count;

/* Counts by name (a tier, a segment, "segment\0action"), in first-seen order. */
typedef struct {
    lapse_strmap *names;
    report_count *counts;
    size_t cap;
} report_tally;

/* Adds one row under key[0..len). Returns 0, LAPSE_ERR_NOMEM, or
 * LAPSE_ERR_LIMIT past REPORT_MAX_NAMES names. */
int report_tally_add(report_tally *t, const char *key, size_t len, double p, int label);
size_t report_tally_size(const report_tally *t);
const char *report_tally_name(const report_tally *t, size_t id, size_t *len);
void report_tally_free(report_tally *t);

/* Everything the sections draw from one scored file. */
typedef struct {
    uint64_t hist[2][REPORT_BINS]; /* rows by label (0 stayed, 1 churned) and bin of p */
    uint64_t hist_all[REPORT_BINS]; /* every row, labelled or not */
    uint64_t rows, labelled, positives;
    double sum_p, sum_brier, sum_log_loss; /* over labelled rows for the last two */
    report_count calib[REPORT_CALIB_BINS];
    report_tally tiers, segments, actions, values, segment_action, reasons, reason_tier;
    unsigned columns; /* LAPSE_SCORED_* of the file */
    char warnings[LAPSE_TABLE_WARNINGS_MAX];
} report_scores;

/* Returns NULL when out of memory. */
report_scores *report_scores_create(void);
void report_scores_free(report_scores *s); /* accepts NULL */

/* Adds one row; errors name the row's file and line. */
int report_scores_add(report_scores *s, const lapse_scored_row *row, lapse_error *err);

/* The bin of p in [0, 1]. */
size_t report_bin_of(double p);

/* ---- curves from histograms ---- */

/* One threshold at a bin edge: the rows at or above it. */
typedef struct {
    double tp, fp;           /* churners and others at or above */
    double tpr, fpr;         /* tp / P, fp / N */
    double precision;        /* tp / (tp + fp); NaN when nothing is above */
    double share;            /* (tp + fp) / (P + N) */
} report_point;

/* bins + 1 points from the highest threshold (nothing selected) to the
 * lowest (everything), for per-class histograms neg and pos. */
void report_curve(report_point *out, const uint64_t *neg, const uint64_t *pos, size_t bins);

/* Area under the ROC curve through those points (rows in one bin count as
 * tied: half), and average precision as a step sum over the points. */
double report_curve_auc(const report_point *pts, size_t n);
double report_curve_ap(const report_point *pts, size_t n);

/* Population stability index of actual against expected, over groups cut
 * at the deciles of expected (at bin edges); shares floored at 1e-4. */
double report_psi(const uint64_t *expected, const uint64_t *actual, size_t bins);

/* PSI of row counts already grouped: sum of (a - e) ln(a / e) over the
 * groups' shares, each floored at 1e-4. NaN when either side is empty. */
double report_psi_groups(const double *expected, const double *actual, size_t groups);

/* DeLong's test for two correlated AUCs on the same rows (a[i], b[i]
 * scores, y[i] labels). */
typedef struct {
    double auc_a, auc_b;
    double diff, se;  /* auc_a - auc_b and its standard error */
    double lo, hi;    /* 95% interval of diff */
    double p_value;   /* two-sided, diff = 0 */
} report_delong;

/* Returns 0, LAPSE_ERR_RANGE when y holds one class only, LAPSE_ERR_NOMEM. */
int report_delong_paired(report_delong *out, const double *a, const double *b, const int *y,
                         size_t n, lapse_error *err);

/* ---- the page: numbers and charts (report_svg.c) ---- */

/* One policy for every number on the page: counts grouped by thousands,
 * probabilities and rates as percentages with one decimal, other figures
 * (AUC, lift, PSI, Brier...) with three decimals, NaN as an en dash. */
const char *report_fmt_count(char *buf, size_t size, uint64_t n);
const char *report_fmt_pct(char *buf, size_t size, double share);
const char *report_fmt_fig(char *buf, size_t size, double v);
/* A p-value for HTML: three decimals, "&lt; 0.001" below that. */
const char *report_fmt_p(char *buf, size_t size, double p);

/* Writes text[0..len) with &, <, >, " escaped. */
void report_put_text(FILE *out, const char *text, size_t len);
void report_puts(FILE *out, const char *text);

typedef enum { AXIS_NUMBER, AXIS_PERCENT, AXIS_COUNT } report_axis_kind;

typedef struct {
    double lo, hi;
    report_axis_kind kind;
    const char *label;
} report_axis;

/* A chart in progress: a fixed viewBox with margins for the tick labels,
 * the axis titles and a legend row on top. */
typedef struct {
    FILE *out;
    report_axis x, y;
    double w, h;                     /* viewBox size */
    double left, right, top, bottom; /* plot area edges in viewBox units */
} report_chart;

/* Opens <svg> with a title, draws grid, ticks and axis titles. */
void report_chart_begin(report_chart *c, FILE *out, const char *title, const report_axis *x,
                        const report_axis *y);
/* A line through n points (NaN points skipped); cls is a CSS class (s0..s3, ref). */
void report_chart_line(report_chart *c, const double *x, const double *y, size_t n,
                       const char *cls);
/* Dots with vertical interval bars (lo/hi may be NULL). */
void report_chart_points(report_chart *c, const double *x, const double *y, const double *lo,
                         const double *hi, size_t n, const char *cls);
/* Bars [x0[i], x1[i]] x [0, y[i]]. */
void report_chart_bars(report_chart *c, const double *x0, const double *x1, const double *y,
                       size_t n, const char *cls);
/* A horizontal dashed line at y with a short label at its right end. */
void report_chart_hline(report_chart *c, double y, const char *label);
/* Legend entries in the row above the plot area, left to right. */
void report_chart_legend(report_chart *c, const char *const *names, const char *const *classes,
                         size_t n);
void report_chart_end(report_chart *c);

/* A horizontal bar chart of n named values in [0, max] (percentages when
 * percent): one row per name, the value printed at the bar's end, and a
 * dashed line at mark (a threshold; NaN for none). */
void report_hbars(FILE *out, const char *title, const char *const *names, const size_t *lens,
                  const double *values, size_t n, int percent, const char *axis_label,
                  double mark);

/* A forest plot: one row per name, a dot at est[i] and a line over its
 * interval [lo[i], hi[i]] (NaN: left out), on a percent axis through 0. */
void report_forest(FILE *out, const char *title, const char *const *names, const size_t *lens,
                   const double *est, const double *lo, const double *hi, size_t n,
                   const char *axis_label);

/* ---- sections ---- */

typedef struct {
    const report_scores *scores;
    const lapse_model *model; /* NULL when not given */
    const char *model_path;
} report_context;

void report_section_model(FILE *out, const report_context *ctx);
void report_section_segments(FILE *out, const report_context *ctx);
void report_section_reasons(FILE *out, const report_context *ctx);
void report_section_training(FILE *out, const report_context *ctx);

/* A chart's frame: <figure> ... <figcaption>caption</figcaption></figure>. */
void report_figure_open(FILE *out);
void report_figure_close(FILE *out, const char *caption);

/* The data section: what the event logs hold (lapse inspect's reading):
 * rows, users, days, events per day and the event mix. */
void report_section_data(FILE *out, const lapse_inspect_result *log);

/* A section's frame: <section id=...><h2>title</h2> ... </section>. */
void report_section_open(FILE *out, const char *id, const char *title);
void report_section_close(FILE *out);

/* ---- this month against last (report_compare.c) ---- */

typedef struct report_compare report_compare;

/* Reads the previous scored file into a map by (user_id, asof). Returns 0
 * or the reader's error. */
int report_compare_create(report_compare **out, const char *previous_scores,
                          lapse_error *err);
void report_compare_free(report_compare *c); /* accepts NULL */

/* Joins one current row (labelled, with a user_id) to the previous scores. */
int report_compare_add(report_compare *c, const lapse_scored_row *row, lapse_error *err);

/* Writes the section. refused: NULL, or why the comparison is refused
 * (then only that is said). */
int report_section_compare(FILE *out, report_compare *c, const report_context *ctx,
                           const lapse_model *previous, const char *refused, lapse_error *err);

/* ---- feature drift (report_drift.c) ---- */

typedef struct report_drift report_drift;

/* Reads the feature table twice (not standard input): its latest snapshot
 * against the earlier ones, PSI per feature. Returns 0, LAPSE_ERR_ARG for
 * "-", or the table reader's error. */
int report_drift_create(report_drift **out, const char *table, lapse_error *err);
void report_drift_free(report_drift *d); /* accepts NULL */
void report_section_drift(FILE *out, const report_drift *d);

/* ---- campaign (report_campaign.c) ---- */

typedef struct report_campaign report_campaign;

/* Reads the -o report of lapse campaign eval. Returns 0 or an error naming
 * the file, line and column. */
int report_campaign_create(report_campaign **out, const char *path, lapse_error *err);
void report_campaign_free(report_campaign *c); /* accepts NULL */
void report_section_campaign(FILE *out, const report_campaign *c);

#endif
