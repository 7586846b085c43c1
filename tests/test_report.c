/* lapse report: the scored-file reader (columns, the warnings line, refused
 * rows with their place), the figures against slow references (binned AUC
 * against lapse_metrics_auc, DeLong against its definition, PSI by hand),
 * the number policy, and the page's structure by inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/campaign.h"
#include "lapse/metrics.h"
#include "lapse/report.h"
#include "lapse/schema.h"
#include "lapse/scored.h"
#include "report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- the reader ---- */

typedef struct {
    size_t n;
    double p[8];
    int label[8];
    char user[8][16], tier[8][16], reason3[8][32];
    int64_t line[8];
} rows_seen;

static int keep_row(const lapse_scored_row *row, void *user, lapse_error *err)
{
    (void)err;
    rows_seen *r = user;
    assert_true(r->n < 8);
    r->p[r->n] = row->p_churn;
    r->label[r->n] = row->label;
    snprintf(r->user[r->n], sizeof r->user[0], "%s", row->user_id);
    snprintf(r->tier[r->n], sizeof r->tier[0], "%s", row->risk_tier);
    snprintf(r->reason3[r->n], sizeof r->reason3[0], "%s", row->reason[2]);
    r->line[r->n++] = row->line;
    return 0;
}

static void reads_columns_by_name(void **state)
{
    (void)state;
    const char *path = test_write_text(
        "report_scored.csv",
        "# lapse-scores; warnings=3 rows skipped%3B see above%0Aa second one\n"
        "reason_3,p_churn,user_id,extra,label,risk_tier\n"
        "spend_90:low,0.75,\"u,1\",x,1,high\n"
        ",0.125,u2,y,,low\n"
        "days_silent:high,1,u3,z,0,critical\n");
    rows_seen seen = { 0 };
    lapse_scored_info info;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_scored_read(&info, path, 0, keep_row, &seen, &err), 0);
    assert_int_equal(seen.n, 3);
    assert_int_equal(info.rows, 3);
    assert_int_equal(info.labelled, 2);
    assert_int_equal(info.columns, LAPSE_SCORED_P_CHURN | LAPSE_SCORED_USER_ID |
                                       LAPSE_SCORED_LABEL | LAPSE_SCORED_RISK_TIER |
                                       LAPSE_SCORED_REASON);
    assert_string_equal(info.warnings, "3 rows skipped; see above\na second one");
    assert_true(seen.p[0] == 0.75 && seen.p[1] == 0.125 && seen.p[2] == 1);
    assert_int_equal(seen.label[0], 1);
    assert_int_equal(seen.label[1], -1);
    assert_int_equal(seen.label[2], 0);
    assert_string_equal(seen.user[0], "u,1");
    assert_string_equal(seen.tier[2], "critical");
    assert_string_equal(seen.reason3[0], "spend_90:low");
    assert_string_equal(seen.reason3[1], "");
    assert_int_equal(seen.line[2], 5);
}

static void refuses_bad_rows_with_their_place(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t line;
        int column;
        const char *message;
    } cases[] = {
        { "user_id,p_churn,label\na,0.5,1\nb,1.5,0\n", 3, 2, "want a probability in [0, 1]" },
        { "user_id,p_churn,label\na,0.5,yes\n", 2, 3, "bad label \"yes\"" },
        { "user_id,p_churn,label\na,0.5\n", 2, 2, "row has 2 fields, the header has 3" },
        { "user_id,score,label\na,0.5,1\n", 1, 0, "no p_churn column" },
        { "p_churn,user_id,p_churn\n", 1, 3, "column \"p_churn\" appears twice" },
        { "# lapse-scores; warnings=bad%zz\np_churn\n", 1, 1, "bad warnings line" },
        { "", 1, 0, "the file is empty" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = test_write_text("report_bad.csv", cases[i].text);
        rows_seen seen = { 0 };
        lapse_scored_info info;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(lapse_scored_read(&info, path, 0, keep_row, &seen, &err),
                         LAPSE_ERR_FORMAT);
        assert_string_equal(err.path, "report_bad.csv");
        test_expect_location(&err, cases[i].line, cases[i].column, cases[i].message);
    }
}

/* ---- figures against references ---- */

static uint64_t rng_state = 88172645463325252ull;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void binned_auc_matches_exact(void **state)
{
    (void)state;
    enum { N = 20000 };
    double *p = malloc(N * sizeof *p);
    int *y = malloc(N * sizeof *y);
    assert_non_null(p);
    assert_non_null(y);
    uint64_t hist[2][REPORT_BINS] = { { 0 } };
    for (size_t i = 0; i < N; i++) {
        y[i] = uniform() < 0.2;
        p[i] = fmin(1, fmax(0, 0.3 * uniform() + (y[i] ? 0.25 : 0.1) + 0.3 * uniform()));
        hist[y[i]][report_bin_of(p[i])]++;
    }
    report_point pts[REPORT_BINS + 1];
    report_curve(pts, hist[0], hist[1], REPORT_BINS);
    double exact, exact_ap;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_metrics_auc(&exact, p, y, N, &err), 0);
    assert_int_equal(lapse_metrics_average_precision(&exact_ap, p, y, N, &err), 0);
    /* Bins of 0.001: ties inside one bin move the AUC by far less than this. */
    assert_true(fabs(report_curve_auc(pts, REPORT_BINS + 1) - exact) < 1e-3);
    assert_true(fabs(report_curve_ap(pts, REPORT_BINS + 1) - exact_ap) < 5e-3);
    /* The ends: nothing selected, then everything. */
    assert_true(pts[0].tpr == 0 && pts[0].fpr == 0);
    assert_true(pts[REPORT_BINS].tpr == 1 && pts[REPORT_BINS].fpr == 1);
    assert_true(pts[REPORT_BINS].share == 1);
    free(p);
    free(y);
}

/* DeLong by its definition: placements by counting pairs, O(n^2). */
static void delong_reference(double *auc, double *var_diff, const double *a, const double *b,
                             const int *y, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += y[i] != 0;
    const size_t k = n - m;
    double *v10[2], *v01[2];
    const double *s[2] = { a, b };
    for (int w = 0; w < 2; w++) {
        v10[w] = calloc(m, sizeof(double));
        v01[w] = calloc(k, sizeof(double));
        size_t ip = 0;
        for (size_t i = 0; i < n; i++) {
            if (!y[i])
                continue;
            size_t jn = 0;
            for (size_t j = 0; j < n; j++) {
                if (y[j])
                    continue;
                const double psi = s[w][i] > s[w][j] ? 1 : s[w][i] == s[w][j] ? 0.5 : 0;
                v10[w][ip] += psi / (double)k;
                v01[w][jn++] += psi / (double)m;
            }
            ip++;
        }
        auc[w] = 0;
        for (size_t i = 0; i < m; i++)
            auc[w] += v10[w][i] / (double)m;
    }
    double s10[2][2] = { { 0 } }, s01[2][2] = { { 0 } };
    for (int u = 0; u < 2; u++)
        for (int w = 0; w < 2; w++) {
            for (size_t i = 0; i < m; i++)
                s10[u][w] += (v10[u][i] - auc[u]) * (v10[w][i] - auc[w]) / (double)(m - 1);
            for (size_t j = 0; j < k; j++)
                s01[u][w] += (v01[u][j] - auc[u]) * (v01[w][j] - auc[w]) / (double)(k - 1);
        }
    *var_diff = (s10[0][0] + s10[1][1] - 2 * s10[0][1]) / (double)m +
                (s01[0][0] + s01[1][1] - 2 * s01[0][1]) / (double)k;
    for (int w = 0; w < 2; w++) {
        free(v10[w]);
        free(v01[w]);
    }
}

static void delong_matches_definition(void **state)
{
    (void)state;
    enum { N = 600 };
    double a[N], b[N];
    int y[N];
    for (size_t i = 0; i < N; i++) {
        y[i] = uniform() < 0.3;
        const double shared = uniform();
        /* Rounded to hundredths: many ties, which DeLong counts as halves. */
        a[i] = round(100 * (0.6 * shared + 0.4 * uniform() + 0.3 * y[i])) / 100;
        b[i] = round(100 * (0.6 * shared + 0.4 * uniform() + 0.15 * y[i])) / 100;
    }
    report_delong d;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(report_delong_paired(&d, a, b, y, N, &err), 0);
    double auc[2], var;
    delong_reference(auc, &var, a, b, y, N);
    assert_true(fabs(d.auc_a - auc[0]) < 1e-12);
    assert_true(fabs(d.auc_b - auc[1]) < 1e-12);
    assert_true(fabs(d.se - sqrt(var)) < 1e-12);
    assert_true(fabs(d.lo - (d.diff - LAPSE_Z_975 * d.se)) < 1e-12);
    assert_true(d.auc_a > d.auc_b && d.p_value < 0.05);
    /* AUCs match the metrics module's too. */
    double exact;
    assert_int_equal(lapse_metrics_auc(&exact, a, y, N, &err), 0);
    assert_true(fabs(exact - d.auc_a) < 1e-12);
    /* The same scores twice: no difference, no spread. */
    assert_int_equal(report_delong_paired(&d, a, a, y, N, &err), 0);
    assert_true(d.diff == 0 && d.se == 0 && d.p_value == 1);
    int one_class[3] = { 1, 1, 1 };
    assert_int_equal(report_delong_paired(&d, a, b, one_class, 3, &err), LAPSE_ERR_RANGE);
}

static void psi_by_hand(void **state)
{
    (void)state;
    uint64_t expected[REPORT_BINS] = { 0 }, actual[REPORT_BINS] = { 0 };
    /* Ten rows in each of ten bins: deciles cut between them. */
    for (size_t g = 0; g < 10; g++)
        expected[g * 100] = actual[g * 100] = 10;
    assert_true(fabs(report_psi(expected, actual, REPORT_BINS)) < 1e-15);
    /* Move half of the first decile's share into the last:
     * shares 0.05 and 0.15 against 0.1 each. */
    actual[0] = 5;
    actual[900] = 15;
    const double want = (0.05 - 0.1) * log(0.05 / 0.1) + (0.15 - 0.1) * log(0.15 / 0.1);
    assert_true(fabs(report_psi(expected, actual, REPORT_BINS) - want) < 1e-12);
    /* An empty group is floored at 1e-4, not infinite. */
    actual[0] = 0;
    assert_true(isfinite(report_psi(expected, actual, REPORT_BINS)));
}

static void one_number_policy(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(report_fmt_count(buf, sizeof buf, 1234567), "1,234,567");
    assert_string_equal(report_fmt_count(buf, sizeof buf, 999), "999");
    assert_string_equal(report_fmt_pct(buf, sizeof buf, 0.19696), "19.7%");
    assert_string_equal(report_fmt_fig(buf, sizeof buf, 0.88372), "0.884");
    assert_string_equal(report_fmt_fig(buf, sizeof buf, -0.0000001), "0.000"); /* never -0.000 */
    assert_string_equal(report_fmt_fig(buf, sizeof buf, NAN), "\xe2\x80\x93");
}

/* ---- the page ---- */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Each <svg> holds a drawing (a line, a bar or a dot) and every element
 * opened is closed; no script or fetched resource anywhere. */
static void check_structure(const char *html)
{
    assert_int_equal(count(html, "<svg"), count(html, "</svg>"));
    assert_int_equal(count(html, "<section"), count(html, "</section>"));
    assert_int_equal(count(html, "<figure>"), count(html, "</figure>"));
    assert_int_equal(count(html, "<table"), count(html, "</table>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    assert_null(strstr(html, "url("));
    for (const char *p = html; (p = strstr(p, "<svg")); p++) {
        const char *end = strstr(p, "</svg>");
        assert_non_null(end);
        const char *draw[] = { "<polyline class=\"s", "<rect class=\"b", "<circle" };
        int drawn = 0;
        for (size_t k = 0; k < 3; k++) {
            const char *q = strstr(p, draw[k]);
            drawn |= q && q < end;
        }
        if (!drawn)
            fail_msg("an empty chart at byte %ld", (long)(p - html));
    }
}

static const char scored_text[] =
    "user_id,asof,p_churn,risk_tier,segment,value_tier,reason_1,reason_2,reason_3,action,label\n"
    "a,2026-05-31,0.91,high,price-sensitive,low,spend_90:low,days_silent:high,,coupon,1\n"
    "b,2026-05-31,0.72,high,social-driven,high,days_silent:high,,,phone,0\n"
    "c,2026-05-31,0.55,medium,price-sensitive,low,spend_90:low,,,coupon,1\n"
    "d,2026-05-31,0.30,medium,social-driven,low,tenure_days:low,,,community,0\n"
    "e,2026-05-31,0.12,low,price-sensitive,low,spend_90:low,,,coupon,0\n"
    "f,2026-05-31,0.05,low,social-driven,low,tenure_days:low,,,community,0\n";

static unsigned write_report(lapse_report_summary *summary, const lapse_report_inputs *in,
                             char **html)
{
    FILE *out = fopen("report_out.html", "wb");
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    const int status = lapse_report_write(summary, out, in, &err);
    if (status != 0)
        fail_msg("lapse_report_write: %s", err.message);
    assert_int_equal(fclose(out), 0);
    *html = read_all("report_out.html");
    check_structure(*html);
    return summary->sections;
}

static void sections_follow_inputs(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_in.csv", scored_text);
    lapse_report_summary summary;
    char *html;
    assert_int_equal(write_report(&summary, &in, &html),
                     LAPSE_REPORT_MODEL | LAPSE_REPORT_SEGMENTS | LAPSE_REPORT_REASONS);
    assert_int_equal(summary.rows, 6);
    assert_int_equal(summary.labelled, 6);
    assert_non_null(strstr(html, "<section id=\"model\">"));
    assert_null(strstr(html, "<section id=\"training\">"));
    assert_null(strstr(html, "<section id=\"compare\">"));
    assert_null(strstr(html, "Without labels"));
    /* Six charts for the model (ROC, PR, gain, lift, reliability,
     * histogram), two for segments, one for reasons. */
    assert_int_equal(count(html, "<svg"), 9);
    /* 2 of 6 churned; AUC by hand: churners 0.91 and 0.55 beat 4 and 3 of
     * the 4 others: 7/8. */
    assert_non_null(strstr(html, "6, 33.3% churned"));
    assert_non_null(strstr(html, "<th>AUC-ROC</th><td>0.875</td>"));
    /* Tiers ordered by mean p: low, medium, high. */
    const char *low = strstr(html, "<tr><td>low</td>"), *high = strstr(html, "<tr><td>high</td>");
    assert_true(low && high && low < high);
    /* The reason most often given, first, with its share: 3 of 6. */
    assert_non_null(strstr(html, "<tr><td>spend_90:low</td><td>50.0%</td>"));
    /* Names from the file are escaped. */
    free(html);

    /* The same users scored last month: the comparison section. */
    in.previous_scores = test_write_text("report_prev.csv", scored_text);
    assert_int_equal(write_report(&summary, &in, &html) & LAPSE_REPORT_COMPARE,
                     LAPSE_REPORT_COMPARE);
    assert_non_null(strstr(html, "<section id=\"compare\">"));
    assert_non_null(strstr(html, "<th>AUC last month</th><td>0.875</td>"));
    assert_non_null(strstr(html, "<th>score PSI</th><td>0.000"));
    assert_int_equal(count(html, "<svg"), 11);
    free(html);
}

static void without_labels_says_so_once(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_nolabels.csv",
                                "user_id,p_churn,risk_tier,label\na,0.9,high,\nb,0.1,low,\n");
    lapse_report_summary summary;
    char *html;
    assert_int_equal(write_report(&summary, &in, &html), LAPSE_REPORT_MODEL);
    assert_int_equal(summary.labelled, 0);
    assert_int_equal(count(html, "Without labels"), 1);
    assert_null(strstr(html, "AUC-ROC"));
    assert_null(strstr(html, "churn rate ("));
    assert_null(strstr(html, "<th>labelled</th>"));
    assert_int_equal(count(html, "<svg"), 1); /* the histogram of every score */
    free(html);
}

static void names_are_escaped(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_escape.csv",
                                "p_churn,segment,label\n0.9,\"<b>&\"\"x\"\"\",1\n0.1,\"<b>&\"\"x\"\"\",0\n");
    in.title = "a <title> & more";
    lapse_report_summary summary;
    char *html;
    write_report(&summary, &in, &html);
    assert_null(strstr(html, "<b>"));
    assert_non_null(strstr(html, "&lt;b&gt;&amp;&quot;x&quot;"));
    assert_non_null(strstr(html, "<h1>a &lt;title&gt; &amp; more</h1>"));
    free(html);
}

static void bad_scored_file_names_its_place(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_badrow.csv", "p_churn,label\n0.5,1\n-0.5,0\n");
    FILE *out = fopen("report_out.html", "wb");
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_report_write(NULL, out, &in, &err), LAPSE_ERR_FORMAT);
    fclose(out);
    test_expect_location(&err, 3, 1, "bad p_churn \"-0.5\"");
    /* A previous file with a user twice cannot be joined. */
    in.scored = test_write_text("report_in.csv", scored_text);
    in.previous_scores =
        test_write_text("report_twice.csv", "user_id,asof,p_churn\na,d,0.5\na,d,0.6\n");
    out = fopen("report_out.html", "wb");
    assert_non_null(out);
    assert_int_equal(lapse_report_write(NULL, out, &in, &err), LAPSE_ERR_FORMAT);
    fclose(out);
    test_expect_location(&err, 3, 0, "appears twice");
}

/* A feature table of two snapshots: feature a the same in both, c moved
 * above every earlier value; in the earlier one the upper half churned. */
static const char *write_two_snapshots(void)
{
    const char *names[] = { "a", "c" };
    lapse_table_meta meta = { .version = LAPSE_TABLE_FORMAT_VERSION,
                              .churn = LAPSE_CHURN_DEF_INIT,
                              .schema_hash = lapse_schema_hash(names, 2) };
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), 0);
    FILE *f = fopen("report_table.csv", "wb");
    assert_non_null(f);
    fprintf(f, "%s\nuser_id,asof,a,c,label\n", line);
    for (int i = 0; i < 100; i++)
        fprintf(f, "u%d,2026-04-01,%d,%d,%d\n", i, i, i, i >= 50);
    for (int i = 0; i < 100; i++)
        fprintf(f, "u%d,2026-05-01,%d,1000,\n", i, i);
    assert_int_equal(fclose(f), 0);
    return "report_table.csv";
}

static void drift_by_hand(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_in.csv", scored_text);
    in.table = write_two_snapshots();
    lapse_report_summary summary;
    char *html;
    assert_int_equal(write_report(&summary, &in, &html) & LAPSE_REPORT_FEATURES,
                     LAPSE_REPORT_FEATURES);
    /* Earlier deciles of 0..99 put ten values in each group. a: the same
     * shares, PSI 0. c: every later row in the top group, the other nine
     * empty (floored at 1e-4). */
    const double want_c = 9 * (1e-4 - 0.1) * log(1e-4 / 0.1) + (1 - 0.1) * log(1 / 0.1);
    char row[160];
    snprintf(row, sizeof row, "<tr><td>c</td><td>49.500</td><td>1000.000</td><td>%.3f</td>"
             "<td>drifted</td></tr>", want_c);
    if (!strstr(html, row))
        fail_msg("no row %s", row);
    assert_non_null(strstr(html, "<tr><td>a</td><td>49.500</td><td>49.500</td><td>0.000</td>"
                                 "<td></td></tr>"));
    assert_non_null(strstr(html, "1 of 2 features"));
    /* By label (labelled rows: the earlier snapshot): the lower five groups
     * hold every stayer, the upper five every churner, 0.2 of a class each;
     * the empty side floored at 1e-4. */
    const double want_iv = 10 * (0.2 - 1e-4) * log(0.2 / 1e-4);
    snprintf(row, sizeof row, "a by label (information value %.3f)", want_iv);
    if (!strstr(html, row))
        fail_msg("no chart titled %s", row);
    assert_int_equal(count(strstr(html, "<section id=\"features\">"), "<svg"), 3);
    assert_non_null(strstr(html, "snapshot 2026-05-01, 100 rows"));
    free(html);
    /* Standard input cannot be read twice. */
    in.table = "-";
    FILE *out = fopen("report_out.html", "wb");
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_report_write(NULL, out, &in, &err), LAPSE_ERR_ARG);
    fclose(out);
}

static void campaign_by_hand(void **state)
{
    (void)state;
    lapse_report_inputs in = LAPSE_REPORT_INPUTS_INIT;
    in.scored = test_write_text("report_in.csv", scored_text);
    in.campaign = test_write_text(
        "report_campaign.csv",
        "channel,variant,sent,recall_rate,control_rate,uplift,ci_low,ci_high,p_value,"
        "cost_per_recalled,test\n"
        "coupon,A,1200,0.2,0.1,0.1,0.05,0.15,0.0004,2.5,z\n"
        "phone,B,30,0.1,0.1,0,,,,,fisher\n");
    lapse_report_summary summary;
    char *html;
    assert_int_equal(write_report(&summary, &in, &html) & LAPSE_REPORT_CAMPAIGN,
                     LAPSE_REPORT_CAMPAIGN);
    assert_non_null(strstr(html, "<tr><td>coupon</td><td>A</td><td>1,200</td><td>20.0%</td>"
                                 "<td>10.0%</td><td>10.0% <span class=\"ci\">(5.0% to 15.0%)"
                                 "</span></td><td>&lt; 0.001</td><td>2.500</td></tr>"));
    /* Undefined figures are dashes, and the row draws a dot but no interval. */
    assert_non_null(strstr(html, "<td>phone</td><td>B</td><td>30</td>"));
    const char *section = strstr(html, "<section id=\"campaign\">");
    assert_non_null(section);
    assert_int_equal(count(section, "<circle class=\"s0 dot\""), 2);
    assert_int_equal(count(section, "<line class=\"s0\""), 1);
    free(html);
    in.campaign = test_write_text("report_campaign_bad.csv",
                                  "channel,variant,sent,recall_rate,control_rate,uplift,ci_low,"
                                  "ci_high,p_value,cost_per_recalled\n"
                                  "coupon,A,12,0.2,0.1,lots,0.05,0.15,0.0004,2.5\n");
    FILE *out = fopen("report_out.html", "wb");
    assert_non_null(out);
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_report_write(NULL, out, &in, &err), LAPSE_ERR_FORMAT);
    fclose(out);
    test_expect_location(&err, 2, 6, "bad number \"lots\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_columns_by_name),
        cmocka_unit_test(refuses_bad_rows_with_their_place),
        cmocka_unit_test(binned_auc_matches_exact),
        cmocka_unit_test(delong_matches_definition),
        cmocka_unit_test(psi_by_hand),
        cmocka_unit_test(one_number_policy),
        cmocka_unit_test(sections_follow_inputs),
        cmocka_unit_test(without_labels_says_so_once),
        cmocka_unit_test(names_are_escaped),
        cmocka_unit_test(bad_scored_file_names_its_place),
        cmocka_unit_test(drift_by_hand),
        cmocka_unit_test(campaign_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
