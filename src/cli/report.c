/* Printing evaluation figures and segments (report.h). */
#include "report.h"

#include <math.h>

void cli_print_metrics(FILE *out, const lapse_metrics_report *r)
{
    fprintf(out, "rows:      %zu, %zu churners (%.2f%%)\n", r->n, r->positives,
            r->n ? 100.0 * (double)r->positives / (double)r->n : 0.0);
    fprintf(out, "AUC-ROC:   %.4f (standard error %.4f, DeLong)\n", r->auc, r->auc_se);
    fprintf(out, "PR-AUC:    %.4f\n", r->average_precision);
    fprintf(out, "log loss:  %.4f\n", r->log_loss);
    fprintf(out, "Brier:     %.4f\n", r->brier);
    fprintf(out, "ECE:       %.4f\n", r->ece);
    fprintf(out, "top of the list by p_churn:\n");
    fprintf(out, "  %-6s %10s %12s %9s %7s %9s\n", "top", "rows", "churners", "rate", "lift",
            "capture");
    for (int i = 0; i < LAPSE_METRICS_LIFTS; i++) {
        const lapse_metrics_lift *l = &r->lift[i];
        fprintf(out, "  %-6.0f %10zu %12.1f %8.2f%% %7.2f %8.2f%%\n", 100 * l->fraction, l->rows,
                l->churners, 100 * l->rate, l->lift, 100 * l->capture);
    }
    fprintf(out, "calibration (%d bins of p_churn):\n", LAPSE_METRICS_BINS);
    fprintf(out, "  %-9s %10s %11s %9s\n", "p_churn", "rows", "predicted", "observed");
    for (int b = 0; b < LAPSE_METRICS_BINS; b++) {
        const lapse_metrics_bin *bin = &r->bins[b];
        char range[16];
        snprintf(range, sizeof range, "%.1f-%.1f", b / 10.0, (b + 1) / 10.0);
        if (bin->count)
            fprintf(out, "  %-9s %10zu %10.2f%% %8.2f%%\n", range, bin->count,
                    100 * bin->mean_predicted, 100 * bin->observed_rate);
        else
            fprintf(out, "  %-9s %10zu %11s %9s\n", range, bin->count, "-", "-");
    }
    const lapse_metrics_confusion *c = &r->confusion;
    fprintf(out, "confusion at p_churn >= %g:\n", c->threshold);
    fprintf(out, "  %-16s %12s %12s\n", "", "churned", "stayed");
    fprintf(out, "  %-16s %12zu %12zu\n", "predicted churn", c->tp, c->fp);
    fprintf(out, "  %-16s %12zu %12zu\n", "predicted stay", c->fn, c->tn);
    fprintf(out, "  precision %.4f, recall %.4f, F1 %.4f, accuracy %.4f\n", c->precision,
            c->recall, c->f1, c->accuracy);
}

void cli_print_segments(FILE *out, const lapse_model *m)
{
    const lapse_model_segments *g = &m->segments;
    if (g->n_profile == 0) {
        fprintf(out, "segments: %s\n", CLI_NO_SEGMENTS);
        return;
    }
    uint64_t total = 0;
    for (size_t c = 0; c < g->k; c++)
        total += g->sizes[c];
    fprintf(out, "segments: k = %zu on %zu profile features, silhouette ", g->k, g->n_profile);
    if (isnan(g->silhouette))
        fprintf(out, "-\n");
    else
        fprintf(out, "%.3f (sampled)\n", g->silhouette);
    fprintf(out, "  %-20s %10s %7s", "segment", "rows", "share");
    for (size_t j = 0; j < g->n_profile; j++)
        fprintf(out, " %22s", m->feature_names[g->profile[j]]);
    fprintf(out, "\n");
    for (size_t c = 0; c < g->k; c++) {
        fprintf(out, "  %-20s %10llu %6.1f%%", g->names[c], (unsigned long long)g->sizes[c],
                total ? 100.0 * (double)g->sizes[c] / (double)total : 0.0);
        for (size_t j = 0; j < g->n_profile; j++)
            fprintf(out, " %22.4g", g->centroids_original[c * g->n_profile + j]);
        fprintf(out, "\n");
    }
}

const char *cli_describe_tiers(char *buf, size_t size, const lapse_model *m)
{
    const lapse_model_tiers *t = &m->tiers;
    const int shares = t->kind == LAPSE_TIERS_PERCENTILE;
    size_t len = (size_t)snprintf(buf, size, "%s", shares ? "at " : "at probabilities ");
    for (size_t i = 0; i + 1 < t->n_tiers && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, shares ? "%s%g%%" : "%s%g", i ? ", " : "",
                                shares ? 100 * t->cuts[i] : t->thresholds[i]);
    if (shares && len < size)
        snprintf(buf + len, size - len, " of the validation probabilities");
    return buf;
}

const char *cli_describe_validation(char *buf, size_t size, const lapse_model *m)
{
    const lapse_model_training *t = &m->training;
    switch (t->validation) {
    case LAPSE_VALIDATION_USERS:
        snprintf(buf, size, "a seeded %g%% of users held out (users:%g)", 100 * t->holdout,
                 t->holdout);
        break;
    case LAPSE_VALIDATION_RANDOM:
        snprintf(buf, size, "a seeded %g%% of rows held out (random:%g)", 100 * t->holdout,
                 t->holdout);
        break;
    case LAPSE_VALIDATION_FILE:
        snprintf(buf, size, "the users a file listed held out (file:)");
        break;
    case LAPSE_VALIDATION_ROLLING:
        snprintf(buf, size,
                 "rolling origin: the last %g snapshots held out in turn, each trained on "
                 "those before it (rolling:%g)",
                 t->holdout, t->holdout);
        break;
    default:
        snprintf(buf, size, "the last labelled snapshot held out (last-snapshot)");
        break;
    }
    return buf;
}
