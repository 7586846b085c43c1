/* Evaluation figures against values worked out by hand on eight rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/metrics.h"
#include "learn_assert.h"

#include <math.h>

#define N 8
/* Scores in descending order with two tied pairs, each pair holding one
 * churner and one non-churner; no score sits on a bin edge. */
static const double P[N] = { 0.85, 0.75, 0.75, 0.65, 0.35, 0.35, 0.15, 0.05 };
static const int Y[N] = { 1, 1, 0, 1, 0, 1, 0, 0 };

static void auc_with_ties(void **state)
{
    (void)state;
    /* Pairs won by each churner over the 4 non-churners (ties count 1/2):
     * 0.85: 4; 0.75: 3 + 1/2; 0.65: 3; 0.35: 2 + 1/2. (4+3.5+3+2.5)/16. */
    double auc = 0;
    assert_int_equal(lapse_metrics_auc(&auc, P, Y, N, NULL), LAPSE_OK);
    assert_near(auc, 13.0 / 16.0, 1e-15);

    /* The same scores in another row order give the same answer. */
    const double p2[N] = { 0.05, 0.35, 0.75, 0.85, 0.15, 0.75, 0.35, 0.65 };
    const int y2[N] = { 0, 1, 0, 1, 0, 1, 0, 1 };
    assert_int_equal(lapse_metrics_auc(&auc, p2, y2, N, NULL), LAPSE_OK);
    assert_near(auc, 13.0 / 16.0, 1e-15);

    /* All scores tied: a coin toss. */
    const double flat[4] = { 0.3, 0.3, 0.3, 0.3 };
    const int yf[4] = { 1, 0, 0, 1 };
    assert_int_equal(lapse_metrics_auc(&auc, flat, yf, 4, NULL), LAPSE_OK);
    assert_near(auc, 0.5, 1e-15);

    const int one_class[4] = { 1, 1, 1, 1 };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_metrics_auc(&auc, flat, one_class, 4, &err), LAPSE_ERR_RANGE);
    assert_int_equal(err.code, LAPSE_ERR_RANGE);
}

/* DeLong's standard error, worked out by hand. Churners 0.9 and 0.7 beat
 * 3 and 2 of the 3 others (V10 1, 2/3: sample variance 1/18); the others
 * 0.8, 0.2, 0.1 are beaten by 1, 2, 2 of the 2 churners (V01 1/2, 1, 1:
 * sample variance 1/12). SE^2 = (1/18) / 2 + (1/12) / 3 = 1/18. A tie
 * counts one half on both sides. */
static void auc_standard_error(void **state)
{
    (void)state;
    const double score[5] = { 0.9, 0.8, 0.7, 0.2, 0.1 };
    const int y[5] = { 1, 0, 1, 0, 0 };
    double auc, se;
    assert_int_equal(lapse_metrics_auc_se(&auc, &se, score, y, 5, NULL), LAPSE_OK);
    assert_true(fabs(auc - 5.0 / 6) < 1e-15);
    assert_true(fabs(se - sqrt(1.0 / 18)) < 1e-15);
    /* Ties: churner 0.5 against others 0.5 and 0.1: V10 = 1.5 / 2; one
     * churner, so var(V10) is 0; V01 = 1/2 and 1 (variance 1/8):
     * SE^2 = (1/8) / 2. */
    const double tied[3] = { 0.5, 0.5, 0.1 };
    const int yt[3] = { 1, 0, 0 };
    assert_int_equal(lapse_metrics_auc_se(&auc, &se, tied, yt, 3, NULL), LAPSE_OK);
    assert_true(fabs(auc - 0.75) < 1e-15);
    assert_true(fabs(se - sqrt(1.0 / 16)) < 1e-15);
    /* Perfect separation: no spread, SE 0; evaluate reports the same. */
    const double sep[4] = { 0.9, 0.8, 0.2, 0.1 };
    const int ys[4] = { 1, 1, 0, 0 };
    assert_int_equal(lapse_metrics_auc_se(&auc, &se, sep, ys, 4, NULL), LAPSE_OK);
    assert_true(auc == 1 && se == 0);
    lapse_metrics_report r;
    assert_int_equal(lapse_metrics_evaluate(&r, score, y, 5, 0.5, NULL), LAPSE_OK);
    assert_true(fabs(r.auc_se - sqrt(1.0 / 18)) < 1e-15);
}

static void average_precision_with_ties(void **state)
{
    (void)state;
    /* Thresholds (recall, precision): 0.85 (1/4, 1/1), 0.75 (2/4, 2/3),
     * 0.65 (3/4, 3/4), 0.35 (4/4, 4/6): 1/4*(1 + 2/3 + 3/4 + 2/3) = 37/48. */
    double ap = 0;
    assert_int_equal(lapse_metrics_average_precision(&ap, P, Y, N, NULL), LAPSE_OK);
    assert_near(ap, 37.0 / 48.0, 1e-15);
    /* All tied: precision is the base rate. */
    const double flat[4] = { 0.3, 0.3, 0.3, 0.3 };
    const int yf[4] = { 1, 0, 0, 0 };
    assert_int_equal(lapse_metrics_average_precision(&ap, flat, yf, 4, NULL), LAPSE_OK);
    assert_near(ap, 0.25, 1e-15);
}

static void lift_and_capture(void **state)
{
    (void)state;
    lapse_metrics_lift lift;
    /* Top 25% = 2 rows: 0.85 (churner) and one of the tied 0.75 pair, which
     * holds one churner in two rows: 1.5 expected churners. */
    assert_int_equal(lapse_metrics_lift_at(&lift, 0.25, P, Y, N, NULL), LAPSE_OK);
    assert_int_equal(lift.rows, 2);
    assert_near(lift.churners, 1.5, 1e-15);
    assert_near(lift.rate, 0.75, 1e-15);
    assert_near(lift.lift, 1.5, 1e-15); /* base rate 1/2 */
    assert_near(lift.capture, 1.5 / 4.0, 1e-15);
    /* 5% of 8 rounds to 0 rows: at least one is taken. */
    assert_int_equal(lapse_metrics_lift_at(&lift, 0.05, P, Y, N, NULL), LAPSE_OK);
    assert_int_equal(lift.rows, 1);
    assert_near(lift.lift, 2.0, 1e-15);
    assert_near(lift.capture, 0.25, 1e-15);
    assert_int_equal(lapse_metrics_lift_at(&lift, 0.0, P, Y, N, NULL), LAPSE_ERR_ARG);
    assert_int_equal(lapse_metrics_lift_at(&lift, 1.5, P, Y, N, NULL), LAPSE_ERR_ARG);
}

static void probability_scores(void **state)
{
    (void)state;
    /* -(ln .85 + ln .75 + ln .25 + ln .65 + ln .65 + ln .35 + ln .85 + ln .95)/8 */
    assert_near(lapse_metrics_log_loss(P, Y, N), 0.49521194295479476, 1e-14);
    /* (.0225 + .0625 + .5625 + .1225 + .1225 + .4225 + .0225 + .0025)/8 = 1.34/8 */
    assert_near(lapse_metrics_brier(P, Y, N), 0.1675, 1e-15);
    /* Clipping keeps a confident mistake finite: -ln(1e-15). */
    const double sure[1] = { 0.0 };
    const int churn[1] = { 1 };
    assert_near(lapse_metrics_log_loss(sure, churn, 1), -log(1e-15), 1e-9);
}

static void calibration_table(void **state)
{
    (void)state;
    lapse_metrics_bin bins[LAPSE_METRICS_BINS];
    /* Bins 8: {.85:1} 7: {.75:1, .75:0} 6: {.65:1} 3: {.35:0, .35:1} 1: {.15:0}
     * 0: {.05:0}. Gaps .15 .25 .35 .15 .15 .05 weighted 1 2 1 2 1 1 of 8. */
    const double ece = lapse_metrics_calibration(bins, P, Y, N);
    assert_near(ece, (0.15 + 0.5 + 0.35 + 0.3 + 0.15 + 0.05) / 8.0, 1e-15);
    assert_int_equal(bins[7].count, 2);
    assert_near(bins[7].mean_predicted, 0.75, 1e-15);
    assert_near(bins[7].observed_rate, 0.5, 1e-15);
    assert_int_equal(bins[9].count, 0);
    assert_int_equal(bins[2].count, 0);
    assert_int_equal(bins[0].count, 1);
    /* Edges: 1.0 goes to the last bin, 0.1 to the second, out of range to the ends. */
    const double edges[4] = { 1.0, 0.1, -0.5, 2.0 };
    const int ye[4] = { 1, 0, 0, 1 };
    lapse_metrics_calibration(bins, edges, ye, 4);
    assert_int_equal(bins[9].count, 2);
    assert_int_equal(bins[1].count, 1);
    assert_int_equal(bins[0].count, 1);
}

static void confusion(void **state)
{
    (void)state;
    lapse_metrics_confusion c;
    lapse_metrics_confusion_at(&c, 0.5, P, Y, N);
    assert_int_equal(c.tp, 3);
    assert_int_equal(c.fp, 1);
    assert_int_equal(c.tn, 3);
    assert_int_equal(c.fn, 1);
    assert_near(c.precision, 0.75, 1e-15);
    assert_near(c.recall, 0.75, 1e-15);
    assert_near(c.f1, 0.75, 1e-15);
    assert_near(c.accuracy, 0.75, 1e-15);
    /* The threshold is inclusive: both 0.75 rows are predicted churners. */
    lapse_metrics_confusion_at(&c, 0.75, P, Y, N);
    assert_int_equal(c.tp, 2);
    assert_int_equal(c.fp, 1);
    assert_near(c.precision, 2.0 / 3.0, 1e-15);
    assert_near(c.recall, 0.5, 1e-15);
    assert_near(c.f1, 4.0 / 7.0, 1e-15);
    lapse_metrics_confusion_at(&c, 0.99, P, Y, N);
    assert_int_equal(c.tp + c.fp, 0);
    assert_near(c.precision, 0.0, 0.0);
    assert_near(c.f1, 0.0, 0.0);
}

static void report_matches_parts(void **state)
{
    (void)state;
    lapse_metrics_report r;
    assert_int_equal(lapse_metrics_evaluate(&r, P, Y, N, 0.5, NULL), LAPSE_OK);
    assert_int_equal(r.n, N);
    assert_int_equal(r.positives, 4);
    assert_near(r.auc, 13.0 / 16.0, 1e-15);
    assert_near(r.average_precision, 37.0 / 48.0, 1e-15);
    assert_near(r.brier, 0.1675, 1e-15);
    assert_near(r.ece, 1.5 / 8.0, 1e-15);
    assert_near(r.lift[0].fraction, 0.05, 0.0);
    assert_near(r.lift[2].fraction, 0.20, 0.0);
    assert_int_equal(r.lift[2].rows, 2); /* round(1.6) */
    assert_near(r.lift[2].capture, 0.375, 1e-15);
    assert_int_equal(r.confusion.tp, 3);
    const int one_class[N] = { 0 };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_metrics_evaluate(&r, P, one_class, N, 0.5, &err), LAPSE_ERR_RANGE);
    assert_int_equal(lapse_metrics_evaluate(&r, P, Y, 0, 0.5, &err), LAPSE_ERR_ARG);
    const double nan_p[2] = { NAN, 0.5 };
    const int y2[2] = { 0, 1 };
    assert_int_equal(lapse_metrics_evaluate(&r, nan_p, y2, 2, 0.5, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auc_with_ties),       cmocka_unit_test(average_precision_with_ties),
        cmocka_unit_test(lift_and_capture),    cmocka_unit_test(probability_scores),
        cmocka_unit_test(calibration_table),   cmocka_unit_test(confusion),
        cmocka_unit_test(report_matches_parts), cmocka_unit_test(auc_standard_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
