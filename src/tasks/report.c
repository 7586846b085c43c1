/* lapse report: reads the scored file once (with last month's scores
 * joined in when given), then writes the page section by section. */
#include "lapse/report.h"

#include "lapse/churn.h"
#include "lapse/model.h"
#include "report_internal.h"

#include <stdlib.h>
#include <string.h>

#define NO_LABELS                                                                                \
    "the scored file has no labels (no label column, or every label empty): ROC, "             \
    "precision-recall, gain, lift, reliability and churn rates are left out"

/* Inline so the page needs nothing else; system fonts only; charts keep
 * their aspect and do not split across printed pages. */
static const char style[] =
    "body{font-family:sans-serif;color:#222;margin:24px auto;max-width:1280px;padding:0 16px;"
    "line-height:1.4}\n"
    "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #ccc;padding-bottom:4px;"
    "margin-top:32px}\n"
    ".figures{display:flex;flex-wrap:wrap;gap:12px 20px}\n"
    "figure{margin:0;break-inside:avoid;page-break-inside:avoid}\n"
    "figure svg{max-width:100%;height:auto}figure svg.chart{width:360px}\n"
    "figcaption{font-size:.85em;color:#555;max-width:360px}\n"
    "svg text{font-family:sans-serif;font-size:11px;fill:#333}\n"
    "svg text.axis{font-size:12px;fill:#222}\n"
    "svg text.value{paint-order:stroke;stroke:#fff;stroke-width:3px}\n"
    ".frame{fill:none;stroke:#888}.grid{stroke:#e4e4e4}\n"
    ".s0,.s1,.ref{fill:none;stroke-width:2}.s0{stroke:#1f6fb4}.s1{stroke:#d9541e}\n"
    ".ref{stroke:#999;stroke-width:1.2;stroke-dasharray:5 3}\n"
    ".dot.s0{fill:#1f6fb4}.dot.s1{fill:#d9541e}\n"
    ".b0{fill:#1f6fb4;fill-opacity:.55}.b1{fill:#d9541e;fill-opacity:.55}\n"
    "table{border-collapse:collapse;margin:12px 0;font-size:.9em}\n"
    "caption{text-align:left;font-weight:bold;padding-bottom:4px}\n"
    "th,td{padding:3px 10px;text-align:left;vertical-align:top}\n"
    "table.grid th,table.grid td{border:1px solid #ddd}table.grid td{text-align:right}\n"
    "table.grid td:first-child{text-align:left}\n"
    "table.facts th{color:#555;font-weight:normal}\n"
    ".ci{color:#777}.note{color:#555;font-size:.9em}\n"
    ".warn,.refused{background:#fff4e0;border-left:4px solid #e0a030;padding:6px 10px}\n"
    "@media print{body{margin:0;max-width:none}section{break-before:auto}}\n";

typedef struct {
    report_scores *scores;
    report_compare *compare;
    const lapse_report_inputs *in;
    int64_t rows;
} reading;

/* Rows between progress calls: the callback is cheap, not free. */
#define PROGRESS_ROWS 65536

static int on_row(const lapse_scored_row *row, void *user, lapse_error *err)
{
    reading *r = user;
    int status = report_scores_add(r->scores, row, err);
    if (status == LAPSE_OK && r->compare)
        status = report_compare_add(r->compare, row, err);
    if (++r->rows % PROGRESS_ROWS == 0 && r->in->progress)
        r->in->progress(r->rows, -1, r->in->progress_user);
    return status;
}

/* Why last month's model cannot be compared with this month's, or NULL. */
static const char *refusal(char *buf, size_t size, const lapse_model *now,
                           const lapse_model *before)
{
    const lapse_churn_def *a = &now->meta.churn, *b = &before->meta.churn;
    const lapse_churn_field f = lapse_churn_diff(a, b);
    if (f == LAPSE_CHURN_SAME)
        return NULL;
    char va[128], vb[128];
    switch (f) {
    case LAPSE_CHURN_KEY:
        lapse_churn_format_keys(va, sizeof va, a->key_mask);
        lapse_churn_format_keys(vb, sizeof vb, b->key_mask);
        break;
    case LAPSE_CHURN_SILENT_DAYS:
        snprintf(va, sizeof va, "%d", a->silent_days);
        snprintf(vb, sizeof vb, "%d", b->silent_days);
        break;
    case LAPSE_CHURN_HORIZON:
        snprintf(va, sizeof va, "%d", a->horizon_days);
        snprintf(vb, sizeof vb, "%d", b->horizon_days);
        break;
    default:
        snprintf(va, sizeof va, "%s", a->cancel_is_churn ? "cancel" : "silence");
        snprintf(vb, sizeof vb, "%s", b->cancel_is_churn ? "cancel" : "silence");
        break;
    }
    snprintf(buf, size,
             "last month's model defines churn otherwise (%s=%s, this month's %s=%s): its "
             "AUC and scores measure another thing",
             lapse_churn_field_name(f), vb, lapse_churn_field_name(f), va);
    return buf;
}

static void put_input(FILE *out, const char *what, const char *path)
{
    if (!path)
        return;
    fprintf(out, "<tr><th>%s</th><td>", what);
    report_puts(out, path);
    fputs("</td></tr>\n", out);
}

static void page_head(FILE *out, const lapse_report_inputs *in, const report_scores *s)
{
    const char *title = in->title ? in->title : "lapse report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
    report_puts(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
    report_puts(out, title);
    fputs("</h1>\n<table class=\"facts\">\n", out);
    put_input(out, "scored file", in->scored);
    put_input(out, "model", in->model);
    put_input(out, "last month's scores", in->previous_scores);
    put_input(out, "last month's model", in->previous_model);
    put_input(out, "feature table", in->table);
    put_input(out, "campaign eval report", in->campaign);
    for (size_t i = 0; i < in->n_logs; i++)
        put_input(out, "event log", in->logs[i]);
    fputs("</table>\n", out);
    if (s->warnings[0]) {
        fputs("<p class=\"warn\">The scores carry their input's warnings: ", out);
        report_puts(out, s->warnings);
        fputs("</p>\n", out);
    }
    if (!s->labelled)
        fputs("<p class=\"warn\">Without labels: " NO_LABELS ".</p>\n", out);
}

static void page_foot(FILE *out)
{
    fputs("<footer><p class=\"note\">Made by lapse report. Numbers: counts in full, "
          "probabilities and rates as percentages with one decimal, other figures (AUC, lift, "
          "PSI, Brier, log loss) with three decimals; intervals are 95%.</p></footer>\n"
          "</body>\n</html>\n",
          out);
}

int lapse_report_write(lapse_report_summary *out, FILE *html, const lapse_report_inputs *in,
                       lapse_error *err)
{
    lapse_report_summary summary = { 0, 0, 0, 0 };
    if (!in || !in->scored)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, "no scored file to report on");
    lapse_model *model = NULL, *previous = NULL;
    report_compare *compare = NULL;
    report_drift *drift = NULL;
    report_campaign *campaign = NULL;
    lapse_inspect_result *log = NULL;
    report_scores *scores = report_scores_create();
    char why[512];
    const char *refused = NULL;
    int status = scores ? LAPSE_OK
                        : lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    if (status == LAPSE_OK && in->model)
        status = lapse_model_load(&model, in->model, err);
    if (status == LAPSE_OK && in->previous_model)
        status = lapse_model_load(&previous, in->previous_model, err);
    if (status == LAPSE_OK && model && previous &&
        (refused = refusal(why, sizeof why, model, previous)))
        lapse_log(LAPSE_LOG_WARN, "comparison refused: %s", refused);
    if (status == LAPSE_OK && in->previous_scores && !refused)
        status = report_compare_create(&compare, in->previous_scores, err);
    if (status == LAPSE_OK && in->table)
        status = report_drift_create(&drift, in->table, err);
    if (status == LAPSE_OK && in->campaign)
        status = report_campaign_create(&campaign, in->campaign, err);
    if (status == LAPSE_OK && in->n_logs) {
        lapse_inspect_options read = LAPSE_INSPECT_OPTIONS_INIT;
        read.reader = in->log_reader;
        status = lapse_inspect_run(&log, in->logs, in->n_logs, &read, err);
    }
    if (status == LAPSE_OK) {
        reading r = { scores, compare, in, 0 };
        lapse_scored_info info;
        status = lapse_scored_read(&info, in->scored, 0, on_row, &r, err);
        scores->columns = info.columns;
        memcpy(scores->warnings, info.warnings, sizeof scores->warnings);
    }
    if (status != LAPSE_OK)
        goto done;
    if (!scores->labelled)
        lapse_log(LAPSE_LOG_WARN, "%s", NO_LABELS);

    const report_context ctx = { scores, model, in->model };
    page_head(html, in, scores);
    if (log) {
        report_section_data(html, log);
        summary.sections |= LAPSE_REPORT_DATA;
    }
    report_section_model(html, &ctx);
    summary.sections |= LAPSE_REPORT_MODEL;
    if (report_tally_size(&scores->segments)) {
        report_section_segments(html, &ctx);
        summary.sections |= LAPSE_REPORT_SEGMENTS;
    }
    if (report_tally_size(&scores->reasons)) {
        report_section_reasons(html, &ctx);
        summary.sections |= LAPSE_REPORT_REASONS;
    }
    if (model) {
        report_section_training(html, &ctx);
        summary.sections |= LAPSE_REPORT_TRAINING;
    }
    if (drift) {
        report_section_drift(html, drift);
        summary.sections |= LAPSE_REPORT_FEATURES;
    }
    if (campaign) {
        report_section_campaign(html, campaign);
        summary.sections |= LAPSE_REPORT_CAMPAIGN;
    }
    if (in->previous_scores) {
        status = report_section_compare(html, compare, &ctx, previous, refused, err);
        summary.sections |= LAPSE_REPORT_COMPARE;
        summary.comparison_refused = refused != NULL;
    }
    page_foot(html);
    if (status == LAPSE_OK && ferror(html))
        status = lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "cannot write the report");
    summary.rows = scores->rows;
    summary.labelled = scores->labelled;
done:
    if (out)
        *out = summary;
    report_compare_free(compare);
    report_drift_free(drift);
    report_campaign_free(campaign);
    lapse_inspect_free(log);
    report_scores_free(scores);
    lapse_model_free(model);
    lapse_model_free(previous);
    return status;
}
