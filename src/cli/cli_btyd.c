/* lapse train, score and model show for BTYD models. */
#include "cli_btyd.h"
#include "cli.h"

#include "lapse/model_btyd.h"
#include "lapse/outfile.h"
#include "lapse/score_btyd.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void print_params(FILE *out, const char *const *names, const double *v, const double *se,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %-6s %12.6g", names[i], v[i]);
        if (isnan(se[i]))
            fprintf(out, "  (standard error not estimable)\n");
        else
            /* On the log scale (delta method): positive, and nominal where the
             * symmetric interval under-covers a and b (bench/RESULTS.md). */
            fprintf(out, "  SE %-10.4g 95%% interval %.6g .. %.6g\n", se[i],
                    v[i] * exp(-1.96 * se[i] / v[i]), v[i] * exp(1.96 * se[i] / v[i]));
    }
}

void cli_print_btyd(FILE *out, const lapse_model *m)
{
    static const char *const bgnbd[] = { "r", "alpha", "a", "b" };
    static const char *const pareto[] = { "r", "alpha", "s", "beta" };
    static const char *const gg[] = { "p", "q", "v" };
    const lapse_model_btyd *b = m->btyd;
    const int is_bgnbd = b->fit.kind == LAPSE_BTYD_BGNBD;
    fprintf(out, "BTYD:         %s, time unit %s; fitted on %llu customers%s\n",
            is_bgnbd ? "BG/NBD" : "Pareto/NBD", b->unit_days == 7 ? "weeks" : "days",
            (unsigned long long)b->customers,
            b->horizon_days ? "" : " of a summary table");
    if (b->horizon_days)
        fprintf(out, "churn:        horizon %lu days (the default scoring horizon)\n",
                (unsigned long)b->horizon_days);
    fprintf(out, "log-likelihood %.6f after %d evaluations%s\n", b->fit.log_likelihood,
            b->fit.iterations, b->fit.converged ? "" : " (NOT converged: the optimiser stopped "
                                                      "at its evaluation limit)");
    print_params(out, is_bgnbd ? bgnbd : pareto, b->fit.params, b->fit.se, 4);
    if (!b->has_gamma_gamma)
        return;
    const lapse_gammagamma_fit_result *g = &b->gamma_gamma;
    fprintf(out, "Gamma-Gamma:  spend per purchase, on %zu repeat buyers; log-likelihood %.6f%s\n",
            g->n_used, g->log_likelihood, g->converged ? "" : " (NOT converged)");
    print_params(out, gg, g->params, g->se, 3);
    fprintf(out, "  independence check: correlation of frequency and mean spend %.4f%s\n",
            g->corr_x_m,
            fabs(g->corr_x_m) > 0.3 ? " (far from 0: the model assumes they are independent)"
                                    : "");
}

void cli_print_stack(FILE *out, const lapse_model *m)
{
    static const char *const bgnbd[] = { "r", "alpha", "a", "b" };
    static const char *const pareto[] = { "r", "alpha", "s", "beta" };
    const lapse_model_stack *st = m->stack;
    const lapse_model_btyd *b = &st->btyd;
    const int is_bgnbd = b->fit.kind == LAPSE_BTYD_BGNBD;
    fprintf(out, "stacked BTYD: feature %s = %s P(no purchase in %lu days), time unit %s; fitted "
                 "on %llu training customers, log-likelihood %.6f%s; %.6g where it has no "
                 "prediction\n",
            LAPSE_BTYD_FEATURE, is_bgnbd ? "BG/NBD" : "Pareto/NBD",
            (unsigned long)b->horizon_days, b->unit_days == 7 ? "weeks" : "days",
            (unsigned long long)b->customers, b->fit.log_likelihood,
            b->fit.converged ? "" : " (NOT converged)", st->fill);
    print_params(out, is_bgnbd ? bgnbd : pareto, b->fit.params, b->fit.se, 4);
    if (isnan(st->auc_without))
        return;
    /* The unpaired SE of the difference: both AUCs are on the same rows, so
     * the paired one is smaller and the verdict errs towards "no clear
     * difference". */
    const double diff = m->training.auc - st->auc_without;
    const double se = sqrt(m->training.auc_se * m->training.auc_se +
                           st->auc_se_without * st->auc_se_without);
    fprintf(out,
            "  validation AUC with it %.4f (SE %.4f), without it %.4f (SE %.4f): %+.4f, "
            "unpaired SE %.4f: %s\n",
            m->training.auc, m->training.auc_se, st->auc_without, st->auc_se_without, diff, se,
            diff > 1.96 * se    ? "it helped"
            : diff < -1.96 * se ? "it hurt"
                                : "no clear difference (within 1.96 SE)");
}

int cli_train_btyd(const lapse_train_btyd_options *opts, const char *output, char *const *args,
                   int n_args, int quiet)
{
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_model *model = NULL;
    lapse_train_btyd_report report;
    int status = lapse_train_btyd(&model, &report, (const char *const *)args, (size_t)n_args,
                                  opts, &err);
    if (status == LAPSE_OK)
        status = lapse_model_save(model, output, &err);
    int code = EXIT_OK;
    if (status != LAPSE_OK) {
        code = cli_report(&err);
    } else if (!quiet) {
        if (report.from_summary) {
            fprintf(stderr, "lapse: training: %zu customers of a summary table\n",
                    report.customers);
        } else {
            char day[16];
            lapse_time_format_date(day, report.asof);
            fprintf(stderr,
                    "lapse: training: %zu customers at the latest snapshot %s; left out: %zu "
                    "rows without a purchase before it, %zu first buying the day before it "
                    "(T = 0), %zu rows of earlier snapshots\n",
                    report.customers, day, report.no_purchase, report.zero_age,
                    report.other_snapshots);
            if (opts->gamma_gamma)
                fprintf(stderr, "lapse: Gamma-Gamma's mean spend is spend_per_purchase, which "
                                "counts the first purchase too\n");
        }
        cli_print_btyd(stderr, model);
        fprintf(stderr, "fitted in %.2f s\n", report.seconds);
    }
    lapse_model_free(model);
    return code;
}

int cli_score_btyd(const lapse_model *model, const char *input, const char *output,
                   double horizon)
{
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_score_btyd_stats stats;
    lapse_outfile *out = NULL;
    int status = lapse_outfile_open(&out, output, &err);
    if (status == LAPSE_OK)
        status = lapse_score_btyd(model, input, horizon, lapse_outfile_stream(out), &stats, &err);
    if (status == LAPSE_OK) {
        status = lapse_outfile_commit(out, &err);
        out = NULL;
    }
    lapse_outfile_abort(out);
    if (status != LAPSE_OK && err.code == LAPSE_ERR_IO && !err.path[0])
        snprintf(err.path, sizeof err.path, "%s", strcmp(output, "-") == 0 ? "<stdout>" : output);
    if (status != LAPSE_OK)
        return cli_report(&err);
    lapse_log(LAPSE_LOG_INFO,
              "scored %llu of %llu rows for a horizon of %g %s (%llu without a purchase, "
              "%llu with T = 0, left out)",
              (unsigned long long)stats.written, (unsigned long long)stats.rows, stats.horizon,
              model->btyd->unit_days == 7 ? "weeks" : "days",
              (unsigned long long)stats.no_purchase, (unsigned long long)stats.zero_age);
    return EXIT_OK;
}
