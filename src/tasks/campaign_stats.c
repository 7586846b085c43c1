/* Two-proportion statistics for campaign reports (formulas in campaign.h). */
#include "lapse/campaign.h"

#include <math.h>

double lapse_normal_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

void lapse_wilson(double *lo, double *hi, int64_t x, int64_t n, double z)
{
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    const double nn = (double)n, p = (double)x / nn, z2 = z * z;
    const double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    const double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
}

static double log_hyper(int64_t a, int64_t b, int64_t c, int64_t d)
{
    /* log P(table) under fixed margins: C(a+b, a) C(c+d, c) / C(n, a+c) */
    const double n = (double)(a + b + c + d);
    return lgamma((double)(a + b) + 1) + lgamma((double)(c + d) + 1) +
           lgamma((double)(a + c) + 1) + lgamma((double)(b + d) + 1) - lgamma(n + 1) -
           lgamma((double)a + 1) - lgamma((double)b + 1) - lgamma((double)c + 1) -
           lgamma((double)d + 1);
}

double lapse_fisher_exact(int64_t a, int64_t b, int64_t c, int64_t d)
{
    const int64_t row1 = a + b, col1 = a + c, n = a + b + c + d;
    const int64_t lo = col1 - (n - row1) > 0 ? col1 - (n - row1) : 0;
    const int64_t hi = row1 < col1 ? row1 : col1;
    const double observed = log_hyper(a, b, c, d);
    double p = 0;
    for (int64_t x = lo; x <= hi; x++) {
        const double l = log_hyper(x, row1 - x, col1 - x, n - row1 - col1 + x);
        /* relative tolerance, as R's fisher.test, so ties in exact arithmetic count */
        if (l <= observed + 1e-7)
            p += exp(l);
    }
    return fmin(1.0, p);
}

void lapse_compare_proportions(lapse_comparison *out, int64_t x_t, int64_t n_t, int64_t x_c,
                               int64_t n_c)
{
    out->rate_t = n_t > 0 ? (double)x_t / (double)n_t : NAN;
    out->rate_c = n_c > 0 ? (double)x_c / (double)n_c : NAN;
    out->diff = out->rate_t - out->rate_c;
    out->ci_lo = out->ci_hi = out->z = out->p_value = NAN;
    out->fisher = 0;
    if (n_t <= 0 || n_c <= 0)
        return;
    double l1, u1, l2, u2;
    lapse_wilson(&l1, &u1, x_t, n_t, LAPSE_Z_975);
    lapse_wilson(&l2, &u2, x_c, n_c, LAPSE_Z_975);
    const double p1 = out->rate_t, p2 = out->rate_c;
    out->ci_lo = out->diff - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
    out->ci_hi = out->diff + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
    const double n = (double)(n_t + n_c), pooled = (double)(x_t + x_c) / n;
    const double se = sqrt(pooled * (1 - pooled) * (1.0 / (double)n_t + 1.0 / (double)n_c));
    if (se > 0)
        out->z = out->diff / se;
    /* smallest expected cell of the 2x2 table under independence */
    const double small = fmin(fmin((double)n_t, (double)n_c) * pooled,
                              fmin((double)n_t, (double)n_c) * (1 - pooled));
    if (small < 5 || !(se > 0)) {
        out->fisher = 1;
        out->p_value = lapse_fisher_exact(x_t, n_t - x_t, x_c, n_c - x_c);
    } else {
        out->p_value = 2 * lapse_normal_cdf(-fabs(out->z));
    }
}

void lapse_srm(double *chi2, double *p, int64_t n_control, int64_t n_total, double share)
{
    const double e_c = (double)n_total * share, e_t = (double)n_total * (1 - share);
    if (n_total <= 0 || !(e_c > 0) || !(e_t > 0)) {
        *chi2 = *p = NAN;
        return;
    }
    const double d = (double)n_control - e_c;
    *chi2 = d * d / e_c + d * d / e_t;
    *p = erfc(sqrt(*chi2 / 2)); /* 1 df: P(chi2 > x) = P(|Z| > sqrt(x)) */
}

double lapse_mde(double p, int64_t n_t, int64_t n_c)
{
    if (n_t <= 0 || n_c <= 0 || !(p >= 0 && p <= 1))
        return NAN;
    return (LAPSE_Z_975 + LAPSE_Z_80) * sqrt(p * (1 - p) * (1.0 / (double)n_t + 1.0 / (double)n_c));
}
