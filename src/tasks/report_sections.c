/* The sections drawn from one scored file (and the model, when given):
 * model quality, segments, reasons, and the model's own summary. */
#include "report_internal.h"

#include "lapse/campaign.h"
#include "lapse/churn.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOP_REASONS 15

void report_section_open(FILE *out, const char *id, const char *title)
{
    fprintf(out, "<section id=\"%s\">\n<h2>", id);
    report_puts(out, title);
    fputs("</h2>\n", out);
}

void report_section_close(FILE *out)
{
    fputs("</section>\n", out);
}

void report_figure_open(FILE *out)
{
    fputs("<figure>\n", out);
}

void report_figure_close(FILE *out, const char *caption)
{
    fputs("<figcaption>", out);
    report_puts(out, caption);
    fputs("</figcaption></figure>\n", out);
}

static int labelled(const report_scores *s)
{
    return s->labelled > 0;
}

static double rate(uint64_t x, uint64_t n)
{
    return n ? (double)x / (double)n : NAN;
}

/* "12.3% (10.1%–14.8%)": a rate with its Wilson 95% interval. */
static void put_rate_ci(FILE *out, uint64_t x, uint64_t n)
{
    char a[32], b[32], c[32];
    if (!n) {
        fputs(report_fmt_pct(a, sizeof a, NAN), out);
        return;
    }
    double lo, hi;
    lapse_wilson(&lo, &hi, (int64_t)x, (int64_t)n, LAPSE_Z_975);
    fprintf(out, "%s <span class=\"ci\">(%s\xe2\x80\x93%s)</span>",
            report_fmt_pct(a, sizeof a, rate(x, n)), report_fmt_pct(b, sizeof b, lo),
            report_fmt_pct(c, sizeof c, hi));
}

/* ---- ordering names ---- */

typedef struct {
    size_t id;
    double key;
} order_entry;

static int by_key(const void *pa, const void *pb)
{
    const order_entry *a = pa, *b = pb;
    return a->key < b->key ? -1 : a->key > b->key ? 1 : (a->id > b->id) - (a->id < b->id);
}

/* The ids of a tally in order: the model's tier order when the names are
 * its tiers (others after, by mean p), else by mean p (tiers) or by size,
 * largest first. Returns a malloc'd array of report_tally_size(t) ids, or
 * NULL when out of memory. */
static size_t *ordered(const report_tally *t, const lapse_model_tiers *tiers, int by_mean_p)
{
    const size_t n = report_tally_size(t);
    order_entry *e = malloc((n ? n : 1) * sizeof *e);
    size_t *ids = malloc((n ? n : 1) * sizeof *ids);
    if (!e || !ids) {
        free(e);
        free(ids);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const report_count *c = &t->counts[i];
        double key = by_mean_p ? c->sum_p / (double)c->n : -(double)c->n;
        if (tiers) {
            size_t len;
            const char *name = report_tally_name(t, i, &len);
            key += 2 * (double)tiers->n_tiers; /* unknown names after the model's tiers */
            for (size_t k = 0; k < tiers->n_tiers; k++)
                if (strlen(tiers->names[k]) == len && !memcmp(tiers->names[k], name, len))
                    key = (double)k;
        }
        e[i] = (order_entry){ i, key };
    }
    qsort(e, n, sizeof *e, by_key);
    for (size_t i = 0; i < n; i++)
        ids[i] = e[i].id;
    free(e);
    return ids;
}

/* ---- model quality ---- */

static void headline(FILE *out, const report_scores *s, double auc, double ap)
{
    char a[48], b[48];
    fputs("<table class=\"facts\">\n", out);
    fprintf(out, "<tr><th>rows</th><td>%s</td></tr>\n", report_fmt_count(a, sizeof a, s->rows));
    fprintf(out, "<tr><th>mean p_churn</th><td>%s</td></tr>\n",
            report_fmt_pct(a, sizeof a, s->rows ? s->sum_p / (double)s->rows : NAN));
    if (labelled(s)) {
        fprintf(out, "<tr><th>labelled rows</th><td>%s, %s churned</td></tr>\n",
                report_fmt_count(a, sizeof a, s->labelled),
                report_fmt_pct(b, sizeof b, rate(s->positives, s->labelled)));
        fprintf(out, "<tr><th>AUC-ROC</th><td>%s</td></tr>\n", report_fmt_fig(a, sizeof a, auc));
        fprintf(out, "<tr><th>average precision</th><td>%s</td></tr>\n",
                report_fmt_fig(a, sizeof a, ap));
        fprintf(out, "<tr><th>Brier score</th><td>%s</td></tr>\n",
                report_fmt_fig(a, sizeof a, s->sum_brier / (double)s->labelled));
        fprintf(out, "<tr><th>log loss</th><td>%s</td></tr>\n",
                report_fmt_fig(a, sizeof a, s->sum_log_loss / (double)s->labelled));
        double ece = 0;
        for (int b10 = 0; b10 < REPORT_CALIB_BINS; b10++) {
            const report_count *c = &s->calib[b10];
            if (c->n)
                ece += (double)c->n / (double)s->labelled *
                       fabs(c->sum_p / (double)c->n - rate(c->positives, c->n));
        }
        fprintf(out, "<tr><th>calibration error (ECE, 10 bins)</th><td>%s</td></tr>\n",
                report_fmt_fig(a, sizeof a, ece));
    }
    fputs("</table>\n", out);
}

static void roc_pr_gain_lift(FILE *out, const report_point *pts, size_t n, double base_rate)
{
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    if (!x || !y) {
        free(x);
        free(y);
        return;
    }
    const double diag[2] = { 0, 1 };
    report_chart c;

    for (size_t i = 0; i < n; i++) {
        x[i] = pts[i].fpr;
        y[i] = pts[i].tpr;
    }
    report_figure_open(out);
    report_chart_begin(&c, out, "ROC curve", &(report_axis){ 0, 1, AXIS_PERCENT, "false positive rate (stayers flagged)" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "true positive rate (churners caught)" });
    report_chart_line(&c, diag, diag, 2, "ref");
    report_chart_line(&c, x, y, n, "s0");
    report_chart_legend(&c, (const char *const[]){ "model", "random" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "ROC: churners caught against stayers flagged, as the threshold falls.");

    for (size_t i = 0; i < n; i++) {
        x[i] = pts[i].tpr;
        y[i] = pts[i].precision;
    }
    report_figure_open(out);
    report_chart_begin(&c, out, "precision-recall curve", &(report_axis){ 0, 1, AXIS_PERCENT, "recall (churners caught)" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "precision (flagged who churn)" });
    report_chart_line(&c, (const double[]){ 0, 1 }, (const double[]){ base_rate, base_rate }, 2,
                      "ref");
    report_chart_line(&c, x, y, n, "s0");
    report_chart_legend(&c, (const char *const[]){ "model", "churn rate" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "Precision-recall: how many of those flagged churn, for each share of "
                      "churners caught.");

    for (size_t i = 0; i < n; i++) {
        x[i] = pts[i].share;
        y[i] = pts[i].tpr;
    }
    report_figure_open(out);
    report_chart_begin(&c, out, "cumulative gain", &(report_axis){ 0, 1, AXIS_PERCENT, "users contacted, highest risk first" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "churners reached" });
    report_chart_line(&c, diag, diag, 2, "ref");
    report_chart_line(&c, x, y, n, "s0");
    report_chart_legend(&c, (const char *const[]){ "model", "random order" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "Cumulative gain: share of all churners reached by contacting the top "
                      "share of users.");

    double max_lift = 1;
    for (size_t i = 0; i < n; i++) {
        x[i] = pts[i].share;
        /* Below 1% of users the lift is a handful of rows: noise. */
        y[i] = pts[i].share >= 0.01 && base_rate > 0 ? pts[i].precision / base_rate : NAN;
        if (isfinite(y[i]))
            max_lift = fmax(max_lift, y[i]);
    }
    report_figure_open(out);
    report_chart_begin(&c, out, "lift", &(report_axis){ 0, 1, AXIS_PERCENT, "users contacted, highest risk first" },
                       &(report_axis){ 0, ceil(max_lift), AXIS_NUMBER, "lift (churn rate / overall)" });
    report_chart_line(&c, (const double[]){ 0, 1 }, (const double[]){ 1, 1 }, 2, "ref");
    report_chart_line(&c, x, y, n, "s0");
    report_chart_legend(&c, (const char *const[]){ "model", "no model" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "Lift: churn rate among the users contacted over the overall rate.");
    free(x);
    free(y);
}

static void reliability(FILE *out, const report_scores *s)
{
    double x[REPORT_CALIB_BINS], y[REPORT_CALIB_BINS], lo[REPORT_CALIB_BINS],
        hi[REPORT_CALIB_BINS];
    for (int b = 0; b < REPORT_CALIB_BINS; b++) {
        const report_count *c = &s->calib[b];
        x[b] = y[b] = lo[b] = hi[b] = NAN;
        if (!c->n)
            continue;
        x[b] = c->sum_p / (double)c->n;
        y[b] = rate(c->positives, c->n);
        lapse_wilson(&lo[b], &hi[b], (int64_t)c->positives, (int64_t)c->n, LAPSE_Z_975);
    }
    report_chart c;
    const double diag[2] = { 0, 1 };
    report_figure_open(out);
    report_chart_begin(&c, out, "reliability diagram", &(report_axis){ 0, 1, AXIS_PERCENT, "predicted churn probability (bin mean)" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "observed churn rate" });
    report_chart_line(&c, diag, diag, 2, "ref");
    report_chart_points(&c, x, y, lo, hi, REPORT_CALIB_BINS, "s0");
    report_chart_legend(&c, (const char *const[]){ "observed, 95% interval", "perfect" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "Reliability: observed churn rate per tenth of p_churn, with Wilson 95% "
                      "intervals; on the diagonal when calibrated.");
}

static void histogram(FILE *out, const report_scores *s)
{
    enum { PER = REPORT_BINS / REPORT_HIST_BINS };
    double x0[REPORT_HIST_BINS], x1[REPORT_HIST_BINS], h[3][REPORT_HIST_BINS];
    const int with_labels = labelled(s);
    double max = 0;
    for (int b = 0; b < REPORT_HIST_BINS; b++) {
        x0[b] = (double)b / REPORT_HIST_BINS;
        x1[b] = (double)(b + 1) / REPORT_HIST_BINS;
        uint64_t n[3] = { 0, 0, 0 };
        for (int k = b * PER; k < (b + 1) * PER; k++) {
            n[0] += s->hist[0][k];
            n[1] += s->hist[1][k];
            n[2] += s->hist_all[k];
        }
        h[0][b] = rate(n[0], s->labelled - s->positives);
        h[1][b] = rate(n[1], s->positives);
        h[2][b] = rate(n[2], s->rows);
        for (int k = with_labels ? 0 : 2; k < (with_labels ? 2 : 3); k++)
            if (isfinite(h[k][b]))
                max = fmax(max, h[k][b]);
    }
    report_chart c;
    report_figure_open(out);
    report_chart_begin(&c, out, "score histogram", &(report_axis){ 0, 1, AXIS_PERCENT, "p_churn" },
                       &(report_axis){ 0, max > 0 ? max * 1.1 : 1, AXIS_PERCENT,
                                       with_labels ? "share of the class" : "share of users" });
    if (with_labels) {
        report_chart_bars(&c, x0, x1, h[0], REPORT_HIST_BINS, "b0");
        report_chart_bars(&c, x0, x1, h[1], REPORT_HIST_BINS, "b1");
        report_chart_legend(&c, (const char *const[]){ "stayed", "churned" },
                            (const char *const[]){ "b0", "b1" }, 2);
    } else {
        report_chart_bars(&c, x0, x1, h[2], REPORT_HIST_BINS, "b0");
        report_chart_legend(&c, (const char *const[]){ "all users" },
                            (const char *const[]){ "b0" }, 1);
    }
    report_chart_end(&c);
    report_figure_close(out, with_labels ? "Score histogram: p_churn of those who stayed and of those "
                                    "who churned, each as a share of its class."
                                  : "Score histogram: p_churn of every user.");
}

static void tier_table(FILE *out, const report_context *ctx)
{
    const report_scores *s = ctx->scores;
    const report_tally *t = &s->tiers;
    size_t *ids = ordered(t, ctx->model ? &ctx->model->tiers : NULL, 1);
    if (!ids)
        return;
    char a[48], b[48], c[48];
    fputs("<table class=\"grid\"><caption>Risk tiers</caption>\n<tr><th>tier</th><th>rows</th>"
          "<th>share</th><th>mean p_churn</th>",
          out);
    if (labelled(s))
        fputs("<th>labelled</th><th>churn rate (95% interval)</th>", out);
    fputs("</tr>\n", out);
    for (size_t i = 0; i < report_tally_size(t); i++) {
        const report_count *n = &t->counts[ids[i]];
        size_t len;
        const char *name = report_tally_name(t, ids[i], &len);
        fputs("<tr><td>", out);
        report_put_text(out, name, len);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td>", report_fmt_count(a, sizeof a, n->n),
                report_fmt_pct(b, sizeof b, rate(n->n, s->rows)),
                report_fmt_pct(c, sizeof c, n->sum_p / (double)n->n));
        if (labelled(s)) {
            fprintf(out, "<td>%s</td><td>", report_fmt_count(a, sizeof a, n->labelled));
            put_rate_ci(out, n->positives, n->labelled);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    free(ids);
}

void report_section_model(FILE *out, const report_context *ctx)
{
    const report_scores *s = ctx->scores;
    report_section_open(out, "model", "Model quality on these rows");
    report_point *pts = malloc((REPORT_BINS + 1) * sizeof *pts);
    double auc = NAN, ap = NAN;
    const int with_labels = labelled(s) && s->positives > 0 && s->positives < s->labelled;
    if (pts && with_labels) {
        report_curve(pts, s->hist[0], s->hist[1], REPORT_BINS);
        auc = report_curve_auc(pts, REPORT_BINS + 1);
        ap = report_curve_ap(pts, REPORT_BINS + 1);
    }
    headline(out, s, auc, ap);
    if (labelled(s) && !with_labels)
        fputs("<p class=\"note\">The labelled rows hold one class only: no curves.</p>\n", out);
    fputs("<div class=\"figures\">\n", out);
    if (pts && with_labels) {
        roc_pr_gain_lift(out, pts, REPORT_BINS + 1, rate(s->positives, s->labelled));
        reliability(out, s);
    }
    histogram(out, s);
    fputs("</div>\n", out);
    if (report_tally_size(&s->tiers))
        tier_table(out, ctx);
    if (with_labels)
        fputs("<p class=\"note\">Curves and AUC come from 1,000 equal-width bins of p_churn "
              "per class (rows in one bin count as tied); counts and rates are exact.</p>\n",
              out);
    free(pts);
    report_section_close(out);
}

/* ---- segments ---- */

/* The most frequent action of a segment, or NULL. */
static const char *top_action(const report_scores *s, const char *segment, size_t seg_len,
                              size_t *action_len, uint64_t *count)
{
    const char *best = NULL;
    *count = 0;
    for (size_t i = 0; i < report_tally_size(&s->segment_action); i++) {
        size_t len;
        const char *key = report_tally_name(&s->segment_action, i, &len);
        if (len <= seg_len || memcmp(key, segment, seg_len) || key[seg_len] != '\0')
            continue;
        if (s->segment_action.counts[i].n > *count) {
            *count = s->segment_action.counts[i].n;
            best = key + seg_len + 1;
            *action_len = len - seg_len - 1;
        }
    }
    return best;
}

static void centre_profiles(FILE *out, const lapse_model *m)
{
    const lapse_model_segments *sg = &m->segments;
    char a[48];
    fputs("<table class=\"grid\"><caption>Segment centres (the model's k-means centroids, in "
          "the features' own units)</caption>\n<tr><th>segment</th><th>training rows</th>",
          out);
    for (size_t j = 0; j < sg->n_profile; j++) {
        fputs("<th>", out);
        report_puts(out, m->feature_names[sg->profile[j]]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t k = 0; k < sg->k; k++) {
        fputs("<tr><td>", out);
        report_puts(out, sg->names[k]);
        fprintf(out, "</td><td>%s</td>", report_fmt_count(a, sizeof a, sg->sizes[k]));
        for (size_t j = 0; j < sg->n_profile; j++)
            fprintf(out, "<td>%s</td>",
                    report_fmt_fig(a, sizeof a, sg->centroids_original[k * sg->n_profile + j]));
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
}

void report_section_segments(FILE *out, const report_context *ctx)
{
    const report_scores *s = ctx->scores;
    const report_tally *t = &s->segments;
    const size_t n = report_tally_size(t);
    size_t *ids = ordered(t, NULL, 0);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    double *size = malloc((n ? n : 1) * sizeof *size), *churn = malloc((n ? n : 1) * sizeof *churn);
    report_section_open(out, "segments", "Segments");
    if (!ids || !names || !lens || !size || !churn)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const report_count *c = &t->counts[ids[i]];
        names[i] = report_tally_name(t, ids[i], &lens[i]);
        size[i] = rate(c->n, s->rows);
        churn[i] = labelled(s) ? rate(c->positives, c->labelled) : c->sum_p / (double)c->n;
    }
    fputs("<div class=\"figures\">\n", out);
    report_figure_open(out);
    report_hbars(out, "segment sizes", names, lens, size, n, 1, "share of users", NAN);
    report_figure_close(out, "Size: share of the scored users in each segment.");
    report_figure_open(out);
    report_hbars(out, labelled(s) ? "churn rate by segment" : "mean p_churn by segment", names,
                 lens, churn, n, 1, labelled(s) ? "churn rate" : "mean p_churn", NAN);
    report_figure_close(out, labelled(s) ? "Churn rate: share of each segment's labelled users who "
                                    "churned."
                                  : "Risk: mean p_churn of each segment.");
    fputs("</div>\n", out);

    char a[48], b[48], c[48];
    fputs("<table class=\"grid\"><caption>Segments in the scored file</caption>\n<tr>"
          "<th>segment</th><th>rows</th><th>share</th><th>mean p_churn</th>",
          out);
    if (labelled(s))
        fputs("<th>churn rate (95% interval)</th>", out);
    fputs("<th>most suggested action</th></tr>\n", out);
    for (size_t i = 0; i < n; i++) {
        const report_count *cn = &t->counts[ids[i]];
        fputs("<tr><td>", out);
        report_put_text(out, names[i], lens[i]);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td>",
                report_fmt_count(a, sizeof a, cn->n), report_fmt_pct(b, sizeof b, size[i]),
                report_fmt_pct(c, sizeof c, cn->sum_p / (double)cn->n));
        if (labelled(s)) {
            fputs("<td>", out);
            put_rate_ci(out, cn->positives, cn->labelled);
            fputs("</td>", out);
        }
        size_t action_len = 0;
        uint64_t count;
        const char *action = top_action(s, names[i], lens[i], &action_len, &count);
        fputs("<td>", out);
        if (action) {
            report_put_text(out, action, action_len);
            fprintf(out, " (%s)", report_fmt_pct(a, sizeof a, rate(count, cn->n)));
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    if (ctx->model)
        centre_profiles(out, ctx->model);
done:
    report_section_close(out);
    free(ids);
    free(names);
    free(lens);
    free(size);
    free(churn);
}

/* ---- reasons ---- */

static uint64_t reason_tier_count(const report_scores *s, const char *reason, size_t rlen,
                                  const char *tier, size_t tlen)
{
    char key[2 * 256 + 2];
    if (rlen > 256 || tlen > 256 || !s->reason_tier.names)
        return 0;
    memcpy(key, reason, rlen);
    key[rlen] = '\0';
    memcpy(key + rlen + 1, tier, tlen);
    const int64_t id = lapse_strmap_find(s->reason_tier.names, key, rlen + 1 + tlen);
    return id < 0 ? 0 : s->reason_tier.counts[id].n;
}

void report_section_reasons(FILE *out, const report_context *ctx)
{
    const report_scores *s = ctx->scores;
    const report_tally *t = &s->reasons;
    size_t *ids = ordered(t, NULL, 0);
    size_t *tier_ids = ordered(&s->tiers, ctx->model ? &ctx->model->tiers : NULL, 1);
    const size_t n = report_tally_size(t) < TOP_REASONS ? report_tally_size(t) : TOP_REASONS;
    const char *names[TOP_REASONS];
    size_t lens[TOP_REASONS];
    double share[TOP_REASONS];
    report_section_open(out, "reasons", "Reasons");
    if (!ids || !tier_ids)
        goto done;
    for (size_t i = 0; i < n; i++) {
        names[i] = report_tally_name(t, ids[i], &lens[i]);
        share[i] = rate(t->counts[ids[i]].n, s->rows);
    }
    fputs("<div class=\"figures\">\n", out);
    report_figure_open(out);
    report_hbars(out, "most frequent reasons", names, lens, share, n, 1,
                 "share of users with the reason among their three", NAN);
    report_figure_close(out, "Reasons: how often each feature is among a user's three strongest "
                      "pushes towards churn (the most frequent).");
    fputs("</div>\n", out);

    char a[48];
    fputs("<table class=\"grid\"><caption>Share of each tier's users given the reason</caption>"
          "\n<tr><th>reason</th><th>all</th>",
          out);
    const size_t n_tiers = report_tally_size(&s->tiers);
    for (size_t k = 0; k < n_tiers; k++) {
        size_t len;
        const char *name = report_tally_name(&s->tiers, tier_ids[k], &len);
        fputs("<th>", out);
        report_put_text(out, name, len);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", out);
        report_put_text(out, names[i], lens[i]);
        fprintf(out, "</td><td>%s</td>", report_fmt_pct(a, sizeof a, share[i]));
        for (size_t k = 0; k < n_tiers; k++) {
            size_t len;
            const char *tier = report_tally_name(&s->tiers, tier_ids[k], &len);
            const uint64_t x = reason_tier_count(s, names[i], lens[i], tier, len);
            fprintf(out, "<td>%s</td>",
                    report_fmt_pct(a, sizeof a, rate(x, s->tiers.counts[tier_ids[k]].n)));
        }
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
done:
    report_section_close(out);
    free(ids);
    free(tier_ids);
}

/* ---- the model's own summary ---- */

static void put_date(FILE *out, int64_t t)
{
    char buf[32];
    lapse_time_format_date(buf, t);
    fputs(buf, out);
}

static void calibration_map(FILE *out, const lapse_model *m)
{
    enum { N = 121 };
    double f[N], p[N];
    for (int i = 0; i < N; i++) {
        f[i] = -6 + 12.0 * i / (N - 1);
        p[i] = lapse_model_calibrate(m, f[i]);
    }
    report_chart c;
    report_figure_open(out);
    report_chart_begin(&c, out, "calibration map", &(report_axis){ -6, 6, AXIS_NUMBER, "classifier decision f (> 0 leans to churn)" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "calibrated p_churn" });
    for (size_t k = 0; k + 1 < m->tiers.n_tiers; k++) {
        char label[LAPSE_MODEL_NAME_MAX + 8];
        snprintf(label, sizeof label, "%s from here", m->tiers.names[k + 1]);
        report_chart_hline(&c, m->tiers.thresholds[k], label);
    }
    report_chart_line(&c, f, p, N, "s0");
    report_chart_legend(&c, (const char *const[]){ "p_churn of f", "tier threshold" },
                        (const char *const[]){ "s0", "ref" }, 2);
    report_chart_end(&c);
    report_figure_close(out, "Calibration: the probability the model gives each decision value, with "
                      "the thresholds of its risk tiers.");
}

void report_section_training(FILE *out, const report_context *ctx)
{
    const lapse_model *m = ctx->model;
    const lapse_model_training *tr = &m->training;
    char a[64], b[64];
    report_section_open(out, "training", "The model");
    fputs("<table class=\"facts\">\n<tr><th>file</th><td>", out);
    report_puts(out, ctx->model_path);
    char keys[128];
    lapse_churn_format_keys(keys, sizeof keys, m->meta.churn.key_mask);
    fputs("</td></tr>\n<tr><th>churn</th><td>", out);
    if (m->meta.churn.cancel_is_churn)
        fprintf(out, "a cancel within %d days", m->meta.churn.horizon_days);
    else
        fprintf(out, "no %s event within %d days (active: one in the last %d days)", keys,
                m->meta.churn.horizon_days, m->meta.churn.silent_days);
    fprintf(out, "</td></tr>\n<tr><th>classifier</th><td>%s, %s calibration</td></tr>\n",
            m->classifier.kind == LAPSE_CLASSIFIER_LOGISTIC ? "logistic regression"
            : m->classifier.kernel == LAPSE_KERNEL_RBF      ? "SVM (RBF kernel)"
                                                            : "SVM (linear kernel)",
            m->calibration.kind == LAPSE_CALIBRATION_PLATT ? "Platt" : "isotonic");
    fputs("<tr><th>options</th><td>", out);
    report_puts(out, tr->options);
    fputs("</td></tr>\n<tr><th>snapshots</th><td>", out);
    put_date(out, tr->first_asof);
    fputs(" to ", out);
    put_date(out, tr->last_asof);
    fprintf(out, " (the last held out for validation)</td></tr>\n<tr><th>rows</th><td>%s training, "
                 "%s validation</td></tr>\n",
            report_fmt_count(a, sizeof a, tr->train_rows),
            report_fmt_count(b, sizeof b, tr->valid_rows));
    fprintf(out, "<tr><th>validation</th><td>AUC %s, ", report_fmt_fig(a, sizeof a, tr->auc));
    fprintf(out, "average precision %s, ", report_fmt_fig(a, sizeof a, tr->pr_auc));
    fprintf(out, "log loss %s, ", report_fmt_fig(a, sizeof a, tr->log_loss));
    fprintf(out, "Brier %s, ", report_fmt_fig(a, sizeof a, tr->brier));
    fprintf(out, "ECE %s</td></tr>\n", report_fmt_fig(a, sizeof a, tr->ece));
    fputs("<tr><th>risk tiers</th><td>", out);
    for (size_t k = 0; k < m->tiers.n_tiers; k++) {
        if (k > 0)
            fprintf(out, " &lt; %s &le; ",
                    report_fmt_pct(a, sizeof a, m->tiers.thresholds[k - 1]));
        report_puts(out, m->tiers.names[k]);
    }
    fputs("</td></tr>\n</table>\n<div class=\"figures\">\n", out);
    calibration_map(out, m);
    fputs("</div>\n", out);
    report_section_close(out);
}
