/* The report's figures in fixed memory: histograms of p per class (curves
 * and AUC from 1000 bins), exact counts per name (tiers, segments,
 * reasons), and the statistics of the comparison. */
#include "report_internal.h"

#include "lapse/campaign.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int report_tally_add(report_tally *t, const char *key, size_t len, double p, int label)
{
    if (!t->names && !(t->names = lapse_strmap_create()))
        return LAPSE_ERR_NOMEM;
    int added = 0;
    const int64_t id = lapse_strmap_intern(t->names, key, len, &added);
    if (id < 0)
        return LAPSE_ERR_NOMEM;
    if (added && (size_t)id >= REPORT_MAX_NAMES)
        return LAPSE_ERR_LIMIT;
    if ((size_t)id >= t->cap) {
        const size_t cap = t->cap ? 2 * t->cap : 16;
        report_count *counts = realloc(t->counts, cap * sizeof *counts);
        if (!counts)
            return LAPSE_ERR_NOMEM;
        memset(counts + t->cap, 0, (cap - t->cap) * sizeof *counts);
        t->counts = counts;
        t->cap = cap;
    }
    report_count *c = &t->counts[id];
    c->n++;
    c->sum_p += p;
    if (label >= 0) {
        c->labelled++;
        c->positives += (uint64_t)label;
    }
    return LAPSE_OK;
}

size_t report_tally_size(const report_tally *t)
{
    return t->names ? lapse_strmap_size(t->names) : 0;
}

const char *report_tally_name(const report_tally *t, size_t id, size_t *len)
{
    return lapse_strmap_key(t->names, (int64_t)id, len);
}

void report_tally_free(report_tally *t)
{
    lapse_strmap_free(t->names);
    free(t->counts);
}

report_scores *report_scores_create(void)
{
    return calloc(1, sizeof(report_scores));
}

void report_scores_free(report_scores *s)
{
    if (!s)
        return;
    report_tally *tallies[] = { &s->tiers,  &s->segments,         &s->actions,
                                &s->values, &s->segment_action, &s->reasons,
                                &s->reason_tier };
    for (size_t i = 0; i < sizeof tallies / sizeof tallies[0]; i++)
        report_tally_free(tallies[i]);
    free(s);
}

size_t report_bin_of(double p)
{
    const size_t b = (size_t)(p * REPORT_BINS);
    return b < REPORT_BINS ? b : REPORT_BINS - 1;
}

/* Tallies "a" or "a\0b" (two names in one key). */
static int add_pair(report_tally *t, const char *a, const char *b, const lapse_scored_row *row,
                    lapse_error *err, const char *what)
{
    char key[2 * 256 + 2];
    const size_t la = strlen(a), lb = b ? strlen(b) : 0;
    if (la > 256 || lb > 256)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, row->path, row->line, 0, -1,
                               "%s name longer than 256 bytes", what);
    memcpy(key, a, la);
    size_t len = la;
    if (b) {
        key[len++] = '\0';
        memcpy(key + len, b, lb);
        len += lb;
    }
    const int status = report_tally_add(t, key, len, row->p_churn, row->label);
    if (status == LAPSE_ERR_LIMIT)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, row->path, row->line, 0, -1,
                               "more than %d distinct %s names: is this a scored file?",
                               REPORT_MAX_NAMES, what);
    if (status < 0)
        return lapse_error_set(err, status, row->path, row->line, 0, -1, "out of memory");
    return LAPSE_OK;
}

int report_scores_add(report_scores *s, const lapse_scored_row *row, lapse_error *err)
{
    const double p = row->p_churn;
    const size_t bin = report_bin_of(p);
    s->rows++;
    s->sum_p += p;
    s->hist_all[bin]++;
    if (row->label >= 0) {
        const int y = row->label;
        s->labelled++;
        s->positives += (uint64_t)y;
        s->hist[y][bin]++;
        s->sum_brier += (p - y) * (p - y);
        const double q = fmin(fmax(p, 1e-15), 1 - 1e-15);
        s->sum_log_loss -= y ? log(q) : log(1 - q);
        report_count *c = &s->calib[bin * REPORT_CALIB_BINS / REPORT_BINS];
        c->n++;
        c->labelled++;
        c->positives += (uint64_t)y;
        c->sum_p += p;
    }
    int status = LAPSE_OK;
    if (row->risk_tier[0])
        status = add_pair(&s->tiers, row->risk_tier, NULL, row, err, "risk tier");
    if (status == LAPSE_OK && row->segment[0])
        status = add_pair(&s->segments, row->segment, NULL, row, err, "segment");
    if (status == LAPSE_OK && row->action[0])
        status = add_pair(&s->actions, row->action, NULL, row, err, "action");
    if (status == LAPSE_OK && row->value_tier[0])
        status = add_pair(&s->values, row->value_tier, NULL, row, err, "value tier");
    if (status == LAPSE_OK && row->segment[0] && row->action[0])
        status = add_pair(&s->segment_action, row->segment, row->action, row, err, "action");
    for (int k = 0; k < LAPSE_SCORED_REASONS && status == LAPSE_OK; k++) {
        if (!row->reason[k][0])
            continue;
        status = add_pair(&s->reasons, row->reason[k], NULL, row, err, "reason");
        if (status == LAPSE_OK && row->risk_tier[0])
            status = add_pair(&s->reason_tier, row->reason[k], row->risk_tier, row, err,
                              "reason");
    }
    return status;
}

void report_curve(report_point *out, const uint64_t *neg, const uint64_t *pos, size_t bins)
{
    double n_neg = 0, n_pos = 0;
    for (size_t b = 0; b < bins; b++) {
        n_neg += (double)neg[b];
        n_pos += (double)pos[b];
    }
    double tp = 0, fp = 0;
    for (size_t k = 0; k <= bins; k++) {
        if (k > 0) {
            tp += (double)pos[bins - k];
            fp += (double)neg[bins - k];
        }
        report_point *pt = &out[k];
        pt->tp = tp;
        pt->fp = fp;
        pt->tpr = n_pos > 0 ? tp / n_pos : NAN;
        pt->fpr = n_neg > 0 ? fp / n_neg : NAN;
        pt->precision = tp + fp > 0 ? tp / (tp + fp) : NAN;
        pt->share = n_pos + n_neg > 0 ? (tp + fp) / (n_pos + n_neg) : NAN;
    }
}

double report_curve_auc(const report_point *pts, size_t n)
{
    double area = 0;
    for (size_t k = 1; k < n; k++)
        area += (pts[k].fpr - pts[k - 1].fpr) * (pts[k].tpr + pts[k - 1].tpr) / 2;
    return area;
}

double report_curve_ap(const report_point *pts, size_t n)
{
    double ap = 0;
    for (size_t k = 1; k < n; k++)
        if (pts[k].tpr > pts[k - 1].tpr)
            ap += (pts[k].tpr - pts[k - 1].tpr) * pts[k].precision;
    return ap;
}

double report_psi_groups(const double *expected, const double *actual, size_t groups)
{
    double n_e = 0, n_a = 0;
    for (size_t g = 0; g < groups; g++) {
        n_e += expected[g];
        n_a += actual[g];
    }
    if (n_e == 0 || n_a == 0)
        return NAN;
    double psi = 0;
    for (size_t g = 0; g < groups; g++) {
        const double pe = fmax(expected[g] / n_e, 1e-4), pa = fmax(actual[g] / n_a, 1e-4);
        psi += (pa - pe) * log(pa / pe);
    }
    return psi;
}

double report_psi(const uint64_t *expected, const uint64_t *actual, size_t bins)
{
    enum { GROUPS = 10 };
    double e[GROUPS] = { 0 }, a[GROUPS] = { 0 }, n_e = 0, seen = 0;
    for (size_t b = 0; b < bins; b++)
        n_e += (double)expected[b];
    size_t group = 0;
    for (size_t b = 0; b < bins; b++) {
        e[group] += (double)expected[b];
        a[group] += (double)actual[b];
        seen += (double)expected[b];
        /* Close a group at the first bin edge past its decile (the last
         * group takes the rest). */
        while (group + 1 < GROUPS && seen >= n_e * (double)(group + 1) / GROUPS && b + 1 < bins)
            group++;
    }
    return report_psi_groups(e, a, GROUPS);
}

/* A value and its row, sorted together (no global state: the library may
 * run on several threads). */
typedef struct {
    double v;
    size_t row;
} ranked;

static int by_value(const void *pa, const void *pb)
{
    const double a = ((const ranked *)pa)->v, b = ((const ranked *)pb)->v;
    return (a > b) - (a < b);
}

/* rank[i]: the 1-based midrank of v[i] among v[0..n) (ties averaged). */
static void midranks(double *rank, const double *v, ranked *work, size_t n)
{
    for (size_t i = 0; i < n; i++)
        work[i] = (ranked){ v[i], i };
    qsort(work, n, sizeof *work, by_value);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && work[j + 1].v == work[i].v)
            j++;
        const double r = (double)(i + j) / 2 + 1;
        for (size_t k = i; k <= j; k++)
            rank[work[k].row] = r;
        i = j + 1;
    }
}

/* Placements of one score (Sun and Xu's fast DeLong): v10[i] for the
 * positives, v01[j] for the negatives, and the AUC. rank_all, rank_part,
 * vals and work are scratch of n = m + k entries. */
static double placements(double *v10, double *v01, const double *s, const size_t *pos,
                         size_t m, const size_t *neg, size_t k, double *rank_all,
                         double *rank_part, double *vals, ranked *work)
{
    midranks(rank_all, s, work, m + k);
    for (size_t i = 0; i < m; i++)
        vals[i] = s[pos[i]];
    midranks(rank_part, vals, work, m);
    double auc = 0;
    for (size_t i = 0; i < m; i++) {
        v10[i] = (rank_all[pos[i]] - rank_part[i]) / (double)k;
        auc += v10[i];
    }
    for (size_t j = 0; j < k; j++)
        vals[j] = s[neg[j]];
    midranks(rank_part, vals, work, k);
    for (size_t j = 0; j < k; j++)
        v01[j] = 1 - (rank_all[neg[j]] - rank_part[j]) / (double)m;
    return auc / (double)m;
}

static double covariance(const double *a, const double *b, size_t n, double mean_a,
                         double mean_b)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (a[i] - mean_a) * (b[i] - mean_b);
    return n > 1 ? sum / (double)(n - 1) : 0;
}

int report_delong_paired(report_delong *out, const double *a, const double *b, const int *y,
                         size_t n, lapse_error *err)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += y[i] != 0;
    const size_t k = n - m;
    if (m == 0 || k == 0)
        return lapse_error_set(err, LAPSE_ERR_RANGE, NULL, 0, 0, -1,
                               "the joined rows hold one class only (%zu of %zu churn)", m, n);
    size_t *pos = malloc(m * sizeof *pos), *neg = malloc(k * sizeof *neg);
    ranked *work = malloc(n * sizeof *work);
    double *buf = malloc((3 * n + 2 * m + 2 * k) * sizeof *buf);
    int status = LAPSE_OK;
    if (!pos || !neg || !work || !buf) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    size_t ip = 0, in = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i])
            pos[ip++] = i;
        else
            neg[in++] = i;
    }
    double *rank_all = buf, *rank_part = buf + n, *vals = buf + 2 * n;
    double *v10a = buf + 3 * n, *v10b = v10a + m, *v01a = v10b + m, *v01b = v01a + k;
    const double auc_a = placements(v10a, v01a, a, pos, m, neg, k, rank_all, rank_part, vals, work);
    const double auc_b = placements(v10b, v01b, b, pos, m, neg, k, rank_all, rank_part, vals, work);
    /* var(A - B) = (S10_aa + S10_bb - 2 S10_ab) / m + (S01_aa + S01_bb - 2 S01_ab) / k */
    const double s10 = covariance(v10a, v10a, m, auc_a, auc_a) +
                       covariance(v10b, v10b, m, auc_b, auc_b) -
                       2 * covariance(v10a, v10b, m, auc_a, auc_b);
    const double s01 = covariance(v01a, v01a, k, auc_a, auc_a) +
                       covariance(v01b, v01b, k, auc_b, auc_b) -
                       2 * covariance(v01a, v01b, k, auc_a, auc_b);
    const double var = fmax(s10 / (double)m + s01 / (double)k, 0);
    out->auc_a = auc_a;
    out->auc_b = auc_b;
    out->diff = auc_a - auc_b;
    out->se = sqrt(var);
    out->lo = out->diff - LAPSE_Z_975 * out->se;
    out->hi = out->diff + LAPSE_Z_975 * out->se;
    out->p_value = out->se > 0 ? 2 * (1 - lapse_normal_cdf(fabs(out->diff) / out->se))
                               : (out->diff == 0 ? 1 : 0);
done:
    free(pos);
    free(neg);
    free(work);
    free(buf);
    return status;
}
