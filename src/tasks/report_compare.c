/* This month against last: last month's scores joined to this month's
 * labelled rows by (user_id, asof), both AUCs on the same rows with
 * DeLong's paired interval, and the PSI of the two score distributions.
 * The join holds the previous file's keys (a few bytes more than the keys)
 * and the joined rows (20 bytes each); everything else is fixed bins. */
#include "report_internal.h"

#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 1024

struct report_compare {
    const char *path;
    lapse_scored_info info;
    lapse_strmap *keys;  /* "user_id\0asof" -> row of prev_p */
    double *prev_p;
    signed char *prev_label;
    size_t cap;
    uint64_t prev_hist[REPORT_BINS];
    double *a, *b; /* joined labelled rows: this month's p, last month's p */
    int *y;
    size_t n, cap_join;
    uint64_t unmatched; /* this month's labelled rows without a previous score */
    uint64_t label_conflicts;
};

static size_t make_key(char *key, const lapse_scored_row *row)
{
    const size_t lu = strlen(row->user_id), la = strlen(row->asof);
    if (lu + la + 1 > KEY_MAX)
        return 0;
    memcpy(key, row->user_id, lu);
    key[lu] = '\0';
    memcpy(key + lu + 1, row->asof, la);
    return lu + 1 + la;
}

static int on_previous(const lapse_scored_row *row, void *user, lapse_error *err)
{
    report_compare *c = user;
    c->prev_hist[report_bin_of(row->p_churn)]++;
    if (!row->user_id[0])
        return LAPSE_OK; /* no user_id column (or an empty one): nothing to join on */
    char key[KEY_MAX];
    const size_t len = make_key(key, row);
    if (!len)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, row->path, row->line, 0, -1,
                               "user_id and asof longer than %d bytes", KEY_MAX - 1);
    int added = 0;
    const int64_t id = lapse_strmap_intern(c->keys, key, len, &added);
    if (id < 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, row->path, row->line, 0, -1,
                               "out of memory joining scores");
    if (!added)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, row->path, row->line, 0, -1,
                               "user \"%.200s\" at \"%.40s\" appears twice: the comparison "
                               "joins rows by user_id and asof",
                               row->user_id, row->asof);
    if ((size_t)id >= c->cap) {
        const size_t cap = c->cap ? 2 * c->cap : 4096;
        double *p = realloc(c->prev_p, cap * sizeof *p);
        if (p)
            c->prev_p = p;
        signed char *l = p ? realloc(c->prev_label, cap * sizeof *l) : NULL;
        if (!p || !l)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, row->path, row->line, 0, -1,
                                   "out of memory joining scores");
        c->prev_label = l;
        c->cap = cap;
    }
    c->prev_p[id] = row->p_churn;
    c->prev_label[id] = (signed char)row->label;
    return LAPSE_OK;
}

int report_compare_create(report_compare **out, const char *previous_scores, lapse_error *err)
{
    *out = NULL;
    report_compare *c = calloc(1, sizeof *c);
    if (!c || !(c->keys = lapse_strmap_create())) {
        free(c);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    }
    c->path = previous_scores;
    const int status = lapse_scored_read(&c->info, previous_scores, 0, on_previous, c, err);
    if (status != LAPSE_OK) {
        report_compare_free(c);
        return status;
    }
    *out = c;
    return LAPSE_OK;
}

void report_compare_free(report_compare *c)
{
    if (!c)
        return;
    lapse_strmap_free(c->keys);
    free(c->prev_p);
    free(c->prev_label);
    free(c->a);
    free(c->b);
    free(c->y);
    free(c);
}

int report_compare_add(report_compare *c, const lapse_scored_row *row, lapse_error *err)
{
    if (row->label < 0 || !row->user_id[0])
        return LAPSE_OK;
    char key[KEY_MAX];
    const size_t len = make_key(key, row);
    const int64_t id = len ? lapse_strmap_find(c->keys, key, len) : -1;
    if (id < 0) {
        c->unmatched++;
        return LAPSE_OK;
    }
    if (c->prev_label[id] >= 0 && c->prev_label[id] != row->label)
        c->label_conflicts++;
    if (c->n == c->cap_join) {
        const size_t cap = c->cap_join ? 2 * c->cap_join : 4096;
        double *a = realloc(c->a, cap * sizeof *a);
        if (a)
            c->a = a;
        double *b = a ? realloc(c->b, cap * sizeof *b) : NULL;
        if (b)
            c->b = b;
        int *y = b ? realloc(c->y, cap * sizeof *y) : NULL;
        if (!y)
            return lapse_error_set(err, LAPSE_ERR_NOMEM, row->path, row->line, 0, -1,
                                   "out of memory joining scores");
        c->y = y;
        c->cap_join = cap;
    }
    c->a[c->n] = row->p_churn;
    c->b[c->n] = c->prev_p[id];
    c->y[c->n++] = row->label;
    return LAPSE_OK;
}

/* ROC curves of both scores on the joined rows. */
static int roc_both(FILE *out, const report_compare *c, lapse_error *err)
{
    uint64_t(*h)[REPORT_BINS] = calloc(4, sizeof *h); /* a neg, a pos, b neg, b pos */
    report_point *pa = malloc((REPORT_BINS + 1) * sizeof *pa);
    report_point *pb = malloc((REPORT_BINS + 1) * sizeof *pb);
    double *x = malloc(2 * (REPORT_BINS + 1) * sizeof *x);
    int status = LAPSE_OK;
    if (!h || !pa || !pb || !x) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < c->n; i++) {
        h[c->y[i]][report_bin_of(c->a[i])]++;
        h[2 + c->y[i]][report_bin_of(c->b[i])]++;
    }
    report_curve(pa, h[0], h[1], REPORT_BINS);
    report_curve(pb, h[2], h[3], REPORT_BINS);
    double *y = x + REPORT_BINS + 1;
    report_chart ch;
    fputs("<figure>\n", out);
    report_chart_begin(&ch, out, "ROC curves, this month and last",
                       &(report_axis){ 0, 1, AXIS_PERCENT, "false positive rate (stayers flagged)" },
                       &(report_axis){ 0, 1, AXIS_PERCENT, "true positive rate (churners caught)" });
    report_chart_line(&ch, (const double[]){ 0, 1 }, (const double[]){ 0, 1 }, 2, "ref");
    for (int which = 0; which < 2; which++) {
        const report_point *p = which ? pb : pa;
        for (size_t k = 0; k <= REPORT_BINS; k++) {
            x[k] = p[k].fpr;
            y[k] = p[k].tpr;
        }
        report_chart_line(&ch, x, y, REPORT_BINS + 1, which ? "s1" : "s0");
    }
    report_chart_legend(&ch, (const char *const[]){ "this month", "last month", "random" },
                        (const char *const[]){ "s0", "s1", "ref" }, 3);
    report_chart_end(&ch);
    fputs("<figcaption>ROC of both models on the same labelled rows.</figcaption></figure>\n",
          out);
done:
    free(h);
    free(pa);
    free(pb);
    free(x);
    return status;
}

/* Both score distributions as shares of their rows, 20 bins each. */
static void distributions(FILE *out, const uint64_t *now, const uint64_t *before, double psi)
{
    enum { PER = REPORT_BINS / REPORT_HIST_BINS };
    double mid[REPORT_HIST_BINS], share[2][REPORT_HIST_BINS];
    double total[2] = { 0, 0 }, max = 0;
    for (size_t k = 0; k < REPORT_BINS; k++) {
        total[0] += (double)now[k];
        total[1] += (double)before[k];
    }
    for (int b = 0; b < REPORT_HIST_BINS; b++) {
        mid[b] = (b + 0.5) / REPORT_HIST_BINS;
        double n[2] = { 0, 0 };
        for (int k = b * PER; k < (b + 1) * PER; k++) {
            n[0] += (double)now[k];
            n[1] += (double)before[k];
        }
        for (int w = 0; w < 2; w++) {
            share[w][b] = total[w] > 0 ? n[w] / total[w] : NAN;
            if (isfinite(share[w][b]))
                max = fmax(max, share[w][b]);
        }
    }
    char title[64], fig[32];
    snprintf(title, sizeof title, "p_churn distributions (PSI %s)",
             report_fmt_fig(fig, sizeof fig, psi));
    report_chart ch;
    fputs("<figure>\n", out);
    report_chart_begin(&ch, out, title, &(report_axis){ 0, 1, AXIS_PERCENT, "p_churn (bin middle)" },
                       &(report_axis){ 0, max > 0 ? max * 1.1 : 1, AXIS_PERCENT, "share of rows" });
    report_chart_line(&ch, mid, share[0], REPORT_HIST_BINS, "s0");
    report_chart_line(&ch, mid, share[1], REPORT_HIST_BINS, "s1");
    report_chart_legend(&ch, (const char *const[]){ "this month", "last month" },
                        (const char *const[]){ "s0", "s1" }, 2);
    report_chart_end(&ch);
    fputs("<figcaption>Score distributions of both files (every row), the shift measured as "
          "PSI.</figcaption></figure>\n",
          out);
}

static const char *psi_word(double psi)
{
    return !isfinite(psi) ? "" : psi > 0.2 ? " (shifted: above 0.2)"
                               : psi > 0.1 ? " (moderate: 0.1 to 0.2)"
                                           : " (stable: below 0.1)";
}

int report_section_compare(FILE *out, report_compare *c, const report_context *ctx,
                           const lapse_model *previous, const char *refused, lapse_error *err)
{
    char a[48], b[48], d[48];
    report_section_open(out, "compare", "This month against last");
    if (refused) {
        fputs("<p class=\"refused\">Comparison refused: ", out);
        report_puts(out, refused);
        fputs("</p>\n", out);
        report_section_close(out);
        return LAPSE_OK;
    }
    const report_scores *s = ctx->scores;
    const double psi = report_psi(c->prev_hist, s->hist_all, REPORT_BINS);
    fputs("<table class=\"facts\">\n<tr><th>last month's scores</th><td>", out);
    report_puts(out, c->path);
    fprintf(out, " (%s rows)</td></tr>\n", report_fmt_count(a, sizeof a, c->info.rows));
    if (previous) {
        fputs("<tr><th>last month's model</th><td>trained on snapshots ", out);
        char date[16];
        lapse_time_format_date(date, previous->training.first_asof);
        fprintf(out, "%s to ", date);
        lapse_time_format_date(date, previous->training.last_asof);
        fprintf(out, "%s, validation AUC %s</td></tr>\n", date,
                report_fmt_fig(a, sizeof a, previous->training.auc));
    }
    fprintf(out, "<tr><th>score PSI</th><td>%s%s</td></tr>\n", report_fmt_fig(a, sizeof a, psi),
            psi_word(psi));
    fprintf(out, "<tr><th>labelled rows in both</th><td>%s (%s of this month's labelled rows "
                 "have no score last month)</td></tr>\n",
            report_fmt_count(a, sizeof a, c->n), report_fmt_count(b, sizeof b, c->unmatched));
    if (c->label_conflicts)
        fprintf(out, "<tr><th>labels that differ</th><td>%s (this month's labels used)</td>"
                     "</tr>\n",
                report_fmt_count(a, sizeof a, c->label_conflicts));
    report_delong dl;
    lapse_error why = LAPSE_ERROR_INIT;
    int have_auc = 0;
    if (!(s->columns & LAPSE_SCORED_USER_ID) || !(c->info.columns & LAPSE_SCORED_USER_ID)) {
        fputs("</table>\n<p class=\"note\">No AUC comparison: both files need a user_id "
              "column to be joined.</p>\n",
              out);
    } else {
        const int status = report_delong_paired(&dl, c->a, c->b, c->y, c->n, &why);
        if (status == LAPSE_ERR_NOMEM)
            return lapse_error_set(err, status, NULL, 0, 0, -1, "%s", why.message);
        have_auc = status == LAPSE_OK;
        if (have_auc) {
            fprintf(out, "<tr><th>AUC this month</th><td>%s</td></tr>\n",
                    report_fmt_fig(a, sizeof a, dl.auc_a));
            fprintf(out, "<tr><th>AUC last month</th><td>%s</td></tr>\n",
                    report_fmt_fig(a, sizeof a, dl.auc_b));
            char p[48];
            fprintf(out, "<tr><th>difference (DeLong 95%% interval)</th><td>%s (%s to %s), "
                         "p %s%s</td></tr>\n",
                    report_fmt_fig(a, sizeof a, dl.diff), report_fmt_fig(b, sizeof b, dl.lo),
                    report_fmt_fig(d, sizeof d, dl.hi), dl.p_value < 0.001 ? "" : "= ",
                    report_fmt_p(p, sizeof p, dl.p_value));
        }
        fputs("</table>\n", out);
        if (!have_auc) {
            fputs("<p class=\"note\">No AUC comparison: ", out);
            report_puts(out, c->n ? why.message : "no labelled row of this month has a score "
                                                  "last month (joined by user_id and asof)");
            fputs(".</p>\n", out);
        }
    }
    fputs("<div class=\"figures\">\n", out);
    int status = LAPSE_OK;
    if (have_auc)
        status = roc_both(out, c, err);
    distributions(out, s->hist_all, c->prev_hist, psi);
    fputs("</div>\n", out);
    if (have_auc)
        fputs("<p class=\"note\">AUCs here are exact (DeLong's placements on the joined rows); "
              "the curves use 1,000 bins.</p>\n",
              out);
    report_section_close(out);
    return status;
}
