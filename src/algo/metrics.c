#include "lapse/metrics.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double score;
    int y;
} scored_row;

static int by_score_desc(const void *pa, const void *pb)
{
    const double a = ((const scored_row *)pa)->score, b = ((const scored_row *)pb)->score;
    return (a < b) - (a > b);
}

/* A copy sorted by descending score, and the number of churners. */
static int sort_rows(scored_row **out, size_t *positives, const double *score, const int *y,
                     size_t n, lapse_error *err)
{
    scored_row *rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory sorting %zu scores", n);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(score[i])) {
            free(rows);
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "score of row %zu is NaN", i + 1);
        }
        rows[i].score = score[i];
        rows[i].y = y[i] != 0;
        pos += (size_t)rows[i].y;
    }
    qsort(rows, n, sizeof *rows, by_score_desc);
    *out = rows;
    *positives = pos;
    return LAPSE_OK;
}

/* Within a run of tied scores every order is as likely, so a positive and a
 * negative in one run count one half: the average-rank (Mann-Whitney) AUC.
 * Its standard error is DeLong's (DeLong, DeLong and Clarke-Pearson 1988):
 * each churner's share of non-churners it outranks (V10) and each
 * non-churner's share of churners that outrank it (V01), ties counting one
 * half; AUC is the mean of either, and
 * SE^2 = var(V10) / positives + var(V01) / negatives (sample variances).
 * Every row of a tied run shares its value, so one pass over the runs does. */
static double auc_sorted(const scored_row *rows, size_t n, size_t pos, double *se)
{
    const double neg = (double)(n - pos), npos = (double)pos;
    double wins = 0.0, neg_seen = 0.0, pos_seen = 0.0;
    double v10_sq = 0.0, v01 = 0.0, v01_sq = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        double gpos = 0.0, gneg = 0.0;
        for (; j < n && rows[j].score == rows[i].score; j++)
            rows[j].y ? gpos++ : gneg++;
        neg_seen += gneg;
        const double beaten = (neg - neg_seen) + 0.5 * gneg; /* by each churner of the run */
        const double above = pos_seen + 0.5 * gpos;          /* of each non-churner */
        wins += gpos * beaten;
        v10_sq += gpos * (beaten / neg) * (beaten / neg);
        v01 += gneg * (above / npos);
        v01_sq += gneg * (above / npos) * (above / npos);
        pos_seen += gpos;
        i = j;
    }
    const double auc = wins / (npos * neg);
    if (se) {
        const double s10 = npos > 1 ? (v10_sq - npos * auc * auc) / (npos - 1) : 0.0;
        const double m01 = v01 / neg;
        const double s01 = neg > 1 ? (v01_sq - neg * m01 * m01) / (neg - 1) : 0.0;
        const double var = s10 / npos + s01 / neg;
        *se = var > 0 ? sqrt(var) : 0.0;
    }
    return auc;
}

static double ap_sorted(const scored_row *rows, size_t n, size_t pos)
{
    double ap = 0.0, tp = 0.0, seen = 0.0, prev_recall = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && rows[j].score == rows[i].score; j++) {
            tp += rows[j].y;
            seen++;
        }
        const double recall = tp / (double)pos;
        ap += (recall - prev_recall) * (tp / seen);
        prev_recall = recall;
        i = j;
    }
    return ap;
}

static void lift_sorted(lapse_metrics_lift *out, double fraction, const scored_row *rows, size_t n,
                        size_t pos)
{
    size_t m = (size_t)llround(fraction * (double)n);
    if (m < 1)
        m = 1;
    if (m > n)
        m = n;
    double churners = 0.0;
    size_t taken = 0;
    for (size_t i = 0; i < n && taken < m;) {
        size_t j = i;
        double gpos = 0.0;
        for (; j < n && rows[j].score == rows[i].score; j++)
            gpos += rows[j].y;
        const size_t size = j - i;
        const size_t take = size < m - taken ? size : m - taken;
        churners += gpos * (double)take / (double)size;
        taken += take;
        i = j;
    }
    out->fraction = fraction;
    out->rows = m;
    out->churners = churners;
    out->rate = churners / (double)m;
    out->lift = out->rate / ((double)pos / (double)n);
    out->capture = churners / (double)pos;
}

int lapse_metrics_auc_se(double *out, double *se, const double *score, const int *y, size_t n,
                         lapse_error *err)
{
    scored_row *rows;
    size_t pos;
    int rc = sort_rows(&rows, &pos, score, y, n, err);
    if (rc < 0)
        return rc;
    if (pos == 0 || pos == n)
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "AUC needs both churners and non-churners (%zu of %zu rows churn)", pos, n);
    else
        *out = auc_sorted(rows, n, pos, se);
    free(rows);
    return rc;
}

int lapse_metrics_auc(double *out, const double *score, const int *y, size_t n, lapse_error *err)
{
    return lapse_metrics_auc_se(out, NULL, score, y, n, err);
}

int lapse_metrics_average_precision(double *out, const double *score, const int *y, size_t n,
                                    lapse_error *err)
{
    scored_row *rows;
    size_t pos;
    int rc = sort_rows(&rows, &pos, score, y, n, err);
    if (rc < 0)
        return rc;
    if (pos == 0)
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                             "average precision needs at least one churner");
    else
        *out = ap_sorted(rows, n, pos);
    free(rows);
    return rc;
}

int lapse_metrics_lift_at(lapse_metrics_lift *out, double fraction, const double *score,
                          const int *y, size_t n, lapse_error *err)
{
    if (!(fraction > 0.0 && fraction <= 1.0))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "lift fraction %g is outside (0, 1]", fraction);
    scored_row *rows;
    size_t pos;
    int rc = sort_rows(&rows, &pos, score, y, n, err);
    if (rc < 0)
        return rc;
    if (pos == 0)
        rc = lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1, "lift needs at least one churner");
    else
        lift_sorted(out, fraction, rows, n, pos);
    free(rows);
    return rc;
}

double lapse_metrics_log_loss(const double *p, const int *y, size_t n)
{
    if (n == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = p[i] < LAPSE_METRICS_LOG_CLIP ? LAPSE_METRICS_LOG_CLIP : p[i];
        q = q > 1.0 - LAPSE_METRICS_LOG_CLIP ? 1.0 - LAPSE_METRICS_LOG_CLIP : q;
        sum -= y[i] ? log(q) : log1p(-q);
    }
    return sum / (double)n;
}

double lapse_metrics_brier(const double *p, const int *y, size_t n)
{
    if (n == 0)
        return 0.0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = p[i] - (y[i] != 0);
        sum += e * e;
    }
    return sum / (double)n;
}

double lapse_metrics_calibration(lapse_metrics_bin *bins, const double *p, const int *y, size_t n)
{
    double sum_p[LAPSE_METRICS_BINS] = { 0 }, sum_y[LAPSE_METRICS_BINS] = { 0 };
    size_t count[LAPSE_METRICS_BINS] = { 0 };
    for (size_t i = 0; i < n; i++) {
        const double scaled = p[i] * LAPSE_METRICS_BINS;
        int b = scaled >= LAPSE_METRICS_BINS ? LAPSE_METRICS_BINS - 1 : scaled > 0 ? (int)scaled : 0;
        sum_p[b] += p[i];
        sum_y[b] += y[i] != 0;
        count[b]++;
    }
    double ece = 0.0;
    for (int b = 0; b < LAPSE_METRICS_BINS; b++) {
        const double mean_p = count[b] ? sum_p[b] / (double)count[b] : 0.0;
        const double rate = count[b] ? sum_y[b] / (double)count[b] : 0.0;
        if (bins) {
            bins[b].mean_predicted = mean_p;
            bins[b].observed_rate = rate;
            bins[b].count = count[b];
        }
        if (count[b])
            ece += (double)count[b] / (double)n * fabs(mean_p - rate);
    }
    return ece;
}

void lapse_metrics_confusion_at(lapse_metrics_confusion *out, double threshold, const double *p,
                                const int *y, size_t n)
{
    size_t tp = 0, fp = 0, tn = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        const int predicted = p[i] >= threshold;
        if (y[i])
            predicted ? tp++ : fn++;
        else
            predicted ? fp++ : tn++;
    }
    out->threshold = threshold;
    out->tp = tp;
    out->fp = fp;
    out->tn = tn;
    out->fn = fn;
    out->precision = tp + fp ? (double)tp / (double)(tp + fp) : 0.0;
    out->recall = tp + fn ? (double)tp / (double)(tp + fn) : 0.0;
    out->f1 = out->precision + out->recall > 0.0
                  ? 2.0 * out->precision * out->recall / (out->precision + out->recall)
                  : 0.0;
    out->accuracy = n ? (double)(tp + tn) / (double)n : 0.0;
}

int lapse_metrics_evaluate(lapse_metrics_report *out, const double *p, const int *y, size_t n,
                           double threshold, lapse_error *err)
{
    static const double fractions[LAPSE_METRICS_LIFTS] = { 0.05, 0.10, 0.20 };
    if (n == 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no rows to evaluate");
    scored_row *rows;
    size_t pos;
    int rc = sort_rows(&rows, &pos, p, y, n, err);
    if (rc < 0)
        return rc;
    if (pos == 0 || pos == n) {
        free(rows);
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "evaluation needs both churners and non-churners (%zu of %zu rows churn)",
                               pos, n);
    }
    out->n = n;
    out->positives = pos;
    out->auc = auc_sorted(rows, n, pos, &out->auc_se);
    out->average_precision = ap_sorted(rows, n, pos);
    for (int i = 0; i < LAPSE_METRICS_LIFTS; i++)
        lift_sorted(&out->lift[i], fractions[i], rows, n, pos);
    free(rows);
    out->log_loss = lapse_metrics_log_loss(p, y, n);
    out->brier = lapse_metrics_brier(p, y, n);
    out->ece = lapse_metrics_calibration(out->bins, p, y, n);
    lapse_metrics_confusion_at(&out->confusion, threshold, p, y, n);
    return LAPSE_OK;
}
