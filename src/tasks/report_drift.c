/* Features: a feature table's latest snapshot (the scored period) against
 * its earlier ones (the training period), as PSI per feature over the
 * deciles of the earlier values; and each feature's distribution by label
 * over the same groups, the features that separate churners best first
 * (by information value, the PSI of churners against stayers). Two passes
 * over the table in fixed memory: the first keeps a seeded uniform sample
 * of rows (for the decile edges) and finds the latest snapshot, the second
 * counts every row. */
#include "report_internal.h"

#include "lapse/table.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_ROWS 4000    /* rows kept for the decile edges */
#define BATCH_ROWS 4096
#define MAX_SNAPSHOTS 1024
#define GROUPS 10
#define TOP_FEATURES 15
#define TOP_BY_LABEL 6

struct report_drift {
    const char *path;
    size_t n_features;
    char **names;
    int64_t snapshots[MAX_SNAPSHOTS]; /* distinct asof, first-seen order */
    size_t n_snapshots;
    int64_t latest;
    uint64_t rows[2];                 /* [0] earlier snapshots, [1] the latest */
    double *edges;                    /* [n_features * (GROUPS - 1)] */
    size_t *n_edges;                  /* [n_features] distinct edges */
    uint64_t *counts;                 /* [n_features * 2 * GROUPS] by period */
    uint64_t *by_label;               /* [n_features * 2 * GROUPS] labelled rows by label */
    uint64_t labelled[2];             /* labelled rows: stayed, churned */
    double *sums;                     /* [n_features * 2] */
    double *psi;                      /* [n_features] */
    double *iv;                       /* [n_features] information value */
};

/* splitmix64: the same sample, and so the same page, every run. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int open_table(lapse_table_reader **reader, lapse_table_batch **batch,
                      const char *path, size_t n_features, lapse_error *err)
{
    int status = lapse_table_reader_open(reader, path, err);
    if (status != LAPSE_OK)
        return status;
    const size_t n = lapse_table_reader_feature_count(*reader);
    if (n_features && n != n_features)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, path, 0, 0, -1,
                               "the table changed while it was read");
    *batch = lapse_table_batch_create(BATCH_ROWS, n);
    return *batch ? LAPSE_OK
                  : lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
}

static int by_double(const void *pa, const void *pb)
{
    const double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* The arrays for n features. */
static int alloc_arrays(report_drift *d, const char *const *names, size_t n, double **sample,
                        lapse_error *err)
{
    d->n_features = n;
    d->names = calloc(n, sizeof *d->names);
    for (size_t j = 0; d->names && j < n; j++)
        if (!(d->names[j] = strdup(names[j])))
            break;
    *sample = malloc(SAMPLE_ROWS * n * sizeof **sample);
    d->edges = calloc(n * (GROUPS - 1), sizeof *d->edges);
    d->n_edges = calloc(n, sizeof *d->n_edges);
    d->counts = calloc(n * 2 * GROUPS, sizeof *d->counts);
    d->by_label = calloc(n * 2 * GROUPS, sizeof *d->by_label);
    d->iv = calloc(n, sizeof *d->iv);
    d->sums = calloc(n * 2, sizeof *d->sums);
    d->psi = calloc(n, sizeof *d->psi);
    if (!d->names || !d->names[n - 1] || !*sample || !d->edges || !d->n_edges || !d->counts ||
        !d->by_label || !d->iv || !d->sums || !d->psi)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, d->path, 0, 0, -1, "out of memory");
    return LAPSE_OK;
}

/* Pass 1: the feature names, snapshots, the latest, and a uniform sample of
 * rows (*sample allocated here). */
static int sample_rows(report_drift *d, double **sample_out, int64_t *sample_asof,
                       size_t *n_sample, lapse_error *err)
{
    lapse_table_reader *reader = NULL;
    lapse_table_batch *batch = NULL;
    int status = open_table(&reader, &batch, d->path, 0, err);
    if (status == LAPSE_OK)
        status = alloc_arrays(d, lapse_table_reader_feature_names(reader),
                              lapse_table_reader_feature_count(reader), sample_out, err);
    double *sample = *sample_out;
    uint64_t seen = 0, random = 1;
    int got = 0;
    while (status == LAPSE_OK && (got = lapse_table_reader_next(reader, batch, err)) > 0) {
        for (size_t i = 0; i < batch->n_rows; i++, seen++) {
            const int64_t asof = batch->asof[i];
            size_t s = 0;
            while (s < d->n_snapshots && d->snapshots[s] != asof)
                s++;
            if (s == d->n_snapshots) {
                if (s == MAX_SNAPSHOTS) {
                    status = lapse_error_set(err, LAPSE_ERR_LIMIT, d->path, batch->lines[i], 2,
                                             -1, "more than %d snapshots", MAX_SNAPSHOTS);
                    break;
                }
                d->snapshots[d->n_snapshots++] = asof;
            }
            /* Reservoir sampling: row `seen` replaces a kept one with
             * probability SAMPLE_ROWS / (seen + 1). */
            size_t slot = (size_t)seen;
            if (seen >= SAMPLE_ROWS)
                slot = (size_t)(next_random(&random) % (seen + 1));
            if (slot < SAMPLE_ROWS) {
                memcpy(sample + slot * d->n_features, batch->x + i * d->n_features,
                       d->n_features * sizeof *sample);
                sample_asof[slot] = asof;
            }
        }
    }
    if (status == LAPSE_OK && got < 0)
        status = got;
    *n_sample = seen < SAMPLE_ROWS ? (size_t)seen : SAMPLE_ROWS;
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);
    return status;
}

/* Decile edges of each feature over the sampled rows of earlier snapshots. */
static int find_edges(report_drift *d, const double *sample, const int64_t *sample_asof,
                      size_t n_sample, lapse_error *err)
{
    double *values = malloc((n_sample ? n_sample : 1) * sizeof *values);
    if (!values)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, d->path, 0, 0, -1, "out of memory");
    for (size_t j = 0; j < d->n_features; j++) {
        size_t n = 0;
        for (size_t r = 0; r < n_sample; r++)
            if (sample_asof[r] != d->latest)
                values[n++] = sample[r * d->n_features + j];
        qsort(values, n, sizeof *values, by_double);
        double *edges = d->edges + j * (GROUPS - 1);
        size_t k = 0;
        for (size_t g = 1; g < GROUPS && n > 0; g++) {
            const double e = values[(n - 1) * g / GROUPS];
            if (k == 0 || e > edges[k - 1])
                edges[k++] = e;
        }
        d->n_edges[j] = k;
    }
    free(values);
    return LAPSE_OK;
}

/* Pass 2: every row into its feature's group, by period. */
static int count_rows(report_drift *d, lapse_error *err)
{
    lapse_table_reader *reader = NULL;
    lapse_table_batch *batch = NULL;
    int status = open_table(&reader, &batch, d->path, d->n_features, err);
    int got = 0;
    while (status == LAPSE_OK && (got = lapse_table_reader_next(reader, batch, err)) > 0) {
        for (size_t i = 0; i < batch->n_rows; i++) {
            const int period = batch->asof[i] == d->latest;
            const int label = batch->labels[i];
            d->rows[period]++;
            if (label >= 0)
                d->labelled[label]++;
            for (size_t j = 0; j < d->n_features; j++) {
                const double v = batch->x[i * d->n_features + j];
                const double *edges = d->edges + j * (GROUPS - 1);
                size_t g = 0;
                while (g < d->n_edges[j] && v > edges[g])
                    g++;
                d->counts[(j * 2 + (size_t)period) * GROUPS + g]++;
                if (label >= 0)
                    d->by_label[(j * 2 + (size_t)label) * GROUPS + g]++;
                d->sums[j * 2 + (size_t)period] += v;
            }
        }
    }
    if (status == LAPSE_OK && got < 0)
        status = got;
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);
    return status;
}

void report_drift_free(report_drift *d)
{
    if (!d)
        return;
    for (size_t j = 0; d->names && j < d->n_features; j++)
        free(d->names[j]);
    free(d->names);
    free(d->edges);
    free(d->n_edges);
    free(d->counts);
    free(d->by_label);
    free(d->iv);
    free(d->sums);
    free(d->psi);
    free(d);
}

int report_drift_create(report_drift **out, const char *table, lapse_error *err)
{
    *out = NULL;
    report_drift *d = calloc(1, sizeof *d);
    if (!d)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, table, 0, 0, -1, "out of memory");
    d->path = table;
    double *sample = NULL;
    int64_t *sample_asof = malloc(SAMPLE_ROWS * sizeof *sample_asof);
    size_t n_sample = 0;
    int status = sample_asof ? LAPSE_OK
                             : lapse_error_set(err, LAPSE_ERR_NOMEM, table, 0, 0, -1,
                                               "out of memory");
    if (!strcmp(table, "-"))
        status = lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                 "the feature table is read twice: it cannot be standard input");
    if (status == LAPSE_OK)
        status = sample_rows(d, &sample, sample_asof, &n_sample, err);
    if (status == LAPSE_OK) {
        d->latest = d->n_snapshots ? d->snapshots[0] : 0;
        for (size_t s = 1; s < d->n_snapshots; s++)
            if (d->snapshots[s] > d->latest)
                d->latest = d->snapshots[s];
        if (d->n_snapshots > 1)
            status = find_edges(d, sample, sample_asof, n_sample, err);
    }
    if (status == LAPSE_OK && d->n_snapshots > 1)
        status = count_rows(d, err);
    if (status == LAPSE_OK && d->n_snapshots > 1)
        for (size_t j = 0; j < d->n_features; j++) {
            double e[GROUPS], a[GROUPS];
            for (size_t g = 0; g < GROUPS; g++) {
                e[g] = (double)d->counts[(j * 2) * GROUPS + g];
                a[g] = (double)d->counts[(j * 2 + 1) * GROUPS + g];
            }
            d->psi[j] = report_psi_groups(e, a, GROUPS);
            for (size_t g = 0; g < GROUPS; g++) {
                e[g] = (double)d->by_label[(j * 2) * GROUPS + g];
                a[g] = (double)d->by_label[(j * 2 + 1) * GROUPS + g];
            }
            d->iv[j] = report_psi_groups(e, a, GROUPS);
        }
    free(sample);
    free(sample_asof);
    if (status != LAPSE_OK) {
        report_drift_free(d);
        return status;
    }
    *out = d;
    return LAPSE_OK;
}

typedef struct {
    size_t j;
    double psi;
} ranked_feature;

static int by_psi(const void *pa, const void *pb)
{
    const ranked_feature *a = pa, *b = pb;
    return a->psi < b->psi ? 1 : a->psi > b->psi ? -1 : (a->j > b->j) - (a->j < b->j);
}

/* The features that separate churners from stayers best (order is
 * scratch): each one's decile groups, as shares of either class. */
static void by_label(FILE *out, const report_drift *d, ranked_feature *order)
{
    for (size_t j = 0; j < d->n_features; j++)
        order[j] = (ranked_feature){ j, isfinite(d->iv[j]) ? d->iv[j] : -1 };
    qsort(order, d->n_features, sizeof *order, by_psi);
    const size_t n = d->n_features < TOP_BY_LABEL ? d->n_features : TOP_BY_LABEL;
    fputs("<h3>Distributions by label</h3>\n<div class=\"figures\">\n", out);
    for (size_t i = 0; i < n; i++) {
        const size_t j = order[i].j, groups = d->n_edges[j] + 1;
        double x0[GROUPS], x1[GROUPS], share[2][GROUPS], max = 0;
        for (size_t g = 0; g < groups; g++) {
            x0[g] = (double)g + 0.6;
            x1[g] = (double)g + 1.4;
            for (int y = 0; y < 2; y++) {
                share[y][g] = (double)d->by_label[(j * 2 + (size_t)y) * GROUPS + g] /
                              (double)d->labelled[y];
                max = fmax(max, share[y][g]);
            }
        }
        char title[LAPSE_FEATURE_NAME_MAX + 64], axis[LAPSE_FEATURE_NAME_MAX + 64], iv[32];
        snprintf(title, sizeof title, "%s by label (information value %s)", d->names[j],
                 report_fmt_fig(iv, sizeof iv, d->iv[j]));
        snprintf(axis, sizeof axis, "decile group of %.40s%s", d->names[j],
                 strlen(d->names[j]) > 40 ? "\xe2\x80\xa6" : "");
        report_chart c;
        fputs("<figure>\n", out);
        report_chart_begin(&c, out, title, &(report_axis){ 0.5, (double)groups + 0.5, AXIS_NUMBER, axis },
                           &(report_axis){ 0, max > 0 ? max * 1.1 : 1, AXIS_PERCENT, "share of the class" });
        report_chart_bars(&c, x0, x1, share[0], groups, "b0");
        report_chart_bars(&c, x0, x1, share[1], groups, "b1");
        report_chart_legend(&c, (const char *const[]){ "stayed", "churned" },
                            (const char *const[]){ "b0", "b1" }, 2);
        report_chart_end(&c);
        fputs("<figcaption>", out);
        report_puts(out, d->names[j]);
        fprintf(out, ": its decile groups among stayers and churners (information value %s).</figcaption></figure>\n",
                iv);
    }
    fputs("</div>\n", out);
}

void report_section_drift(FILE *out, const report_drift *d)
{
    char a[48], b[48], date[16];
    report_section_open(out, "features", "Features");
    fputs("<table class=\"facts\">\n<tr><th>feature table</th><td>", out);
    report_puts(out, d->path);
    fputs("</td></tr>\n", out);
    if (d->n_snapshots < 2) {
        fputs("</table>\n<p class=\"note\">The table holds one snapshot: no earlier period to "
              "compare it with (give a table with the training snapshots and the scored "
              "one).</p>\n",
              out);
        report_section_close(out);
        return;
    }
    lapse_time_format_date(date, d->latest);
    fprintf(out, "<tr><th>scored period</th><td>snapshot %s, %s rows</td></tr>\n", date,
            report_fmt_count(a, sizeof a, d->rows[1]));
    fprintf(out, "<tr><th>earlier period</th><td>%zu snapshots, %s rows</td></tr>\n",
            d->n_snapshots - 1, report_fmt_count(b, sizeof b, d->rows[0]));
    size_t drifted = 0;
    ranked_feature *order = malloc((d->n_features ? d->n_features : 1) * sizeof *order);
    if (!order) {
        fputs("</table>\n", out);
        report_section_close(out);
        return;
    }
    for (size_t j = 0; j < d->n_features; j++) {
        order[j] = (ranked_feature){ j, isfinite(d->psi[j]) ? d->psi[j] : -1 };
        drifted += d->psi[j] > 0.2;
    }
    qsort(order, d->n_features, sizeof *order, by_psi);
    fprintf(out, "<tr><th>drifted (PSI above 0.2)</th><td>%zu of %zu features</td></tr>\n"
                 "</table>\n",
            drifted, d->n_features);
    const size_t n = d->n_features < TOP_FEATURES ? d->n_features : TOP_FEATURES;
    const char *names[TOP_FEATURES];
    size_t lens[TOP_FEATURES];
    double values[TOP_FEATURES];
    for (size_t i = 0; i < n; i++) {
        names[i] = d->names[order[i].j];
        lens[i] = strlen(names[i]);
        values[i] = d->psi[order[i].j];
    }
    fputs("<div class=\"figures\">\n<figure>\n", out);
    report_hbars(out, "feature drift (PSI)", names, lens, values, n, 0,
                 "PSI, latest snapshot against the earlier ones", 0.2);
    fputs("<figcaption>Drift: the population stability index of each feature, the scored "
          "snapshot against the earlier ones (the most shifted; above 0.2 counts as "
          "drifted).</figcaption></figure>\n</div>\n",
          out);
    fputs("<table class=\"grid\"><caption>The most shifted features</caption>\n<tr>"
          "<th>feature</th><th>mean, earlier</th><th>mean, scored</th><th>PSI</th><th></th>"
          "</tr>\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const size_t j = order[i].j;
        fputs("<tr><td>", out);
        report_puts(out, d->names[j]);
        fprintf(out, "</td><td>%s</td>",
                report_fmt_fig(a, sizeof a, d->rows[0] ? d->sums[j * 2] / (double)d->rows[0]
                                                        : NAN));
        fprintf(out, "<td>%s</td>",
                report_fmt_fig(a, sizeof a, d->rows[1] ? d->sums[j * 2 + 1] / (double)d->rows[1]
                                                        : NAN));
        fprintf(out, "<td>%s</td><td>%s</td></tr>\n", report_fmt_fig(a, sizeof a, d->psi[j]),
                d->psi[j] > 0.2 ? "drifted" : "");
    }
    fputs("</table>\n", out);
    if (d->labelled[0] && d->labelled[1])
        by_label(out, d, order);
    fputs("<p class=\"note\">Groups are the deciles of the earlier values (from a sample of "
          "4,000 rows; tied deciles merge); counts are over every row.</p>\n",
          out);
    free(order);
    report_section_close(out);
}
