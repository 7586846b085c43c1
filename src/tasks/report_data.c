/* The data section of lapse report: what the event logs hold, as lapse
 * inspect reads them. */
#include "report_internal.h"

#include "lapse/category.h"
#include "lapse/timeparse.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Event names shown in the mix: the rest are summed as "other names". */
#define MIX_NAMES 12

static void facts(FILE *out, const lapse_inspect_result *log)
{
    char a[32], b[32], first[16], last[16];
    fputs("<p>", out);
    fprintf(out, "%s events of %s users", report_fmt_count(a, sizeof a, (uint64_t)log->rows),
            report_fmt_count(b, sizeof b, (uint64_t)log->users));
    if (log->day_count) {
        lapse_time_format_date(first, log->start_day);
        lapse_time_format_date(last, log->end_day);
        fprintf(out, ", %s to %s (%s days)", first, last,
                report_fmt_count(a, sizeof a, (uint64_t)log->day_count));
    }
    fputs(".", out);
    if (log->rows_before + log->rows_after)
        fprintf(out, " %s events fall outside that range (a clock-skewed row, a default date).",
                report_fmt_count(a, sizeof a, (uint64_t)(log->rows_before + log->rows_after)));
    if (log->anonymous_rows)
        fprintf(out, " %s rows without a user were skipped.",
                report_fmt_count(a, sizeof a, (uint64_t)log->anonymous_rows));
    if (log->bad_rows)
        fprintf(out, " %s bad rows were skipped.",
                report_fmt_count(a, sizeof a, (uint64_t)log->bad_rows));
    fputs("</p>\n", out);
}

static void per_day(FILE *out, const lapse_inspect_result *log)
{
    const size_t n = log->day_count;
    double *x0 = malloc(n * sizeof *x0), *x1 = malloc(n * sizeof *x1), *y = malloc(n * sizeof *y);
    if (x0 && x1 && y) {
        double top = 1;
        for (size_t d = 0; d < n; d++) {
            x0[d] = (double)d;
            x1[d] = (double)d + 1;
            y[d] = (double)log->per_day[d];
            top = y[d] > top ? y[d] : top;
        }
        char first[16], label[64];
        lapse_time_format_date(first, log->start_day);
        snprintf(label, sizeof label, "days from %s", first);
        report_chart c;
        report_figure_open(out);
        report_chart_begin(&c, out, "events per day", &(report_axis){ 0, (double)n, AXIS_NUMBER, label },
                           &(report_axis){ 0, top * 1.05, AXIS_COUNT, "events" });
        report_chart_bars(&c, x0, x1, y, n, "b0");
        report_chart_end(&c);
        report_figure_close(out, "Events per day over the log's range: a gap or a step is an export "
                                 "problem before it is a churn signal.");
    }
    free(x0);
    free(x1);
    free(y);
}

static void mix(FILE *out, const lapse_inspect_result *log)
{
    const char *names[LAPSE_CAT_COUNT > MIX_NAMES + 1 ? LAPSE_CAT_COUNT : MIX_NAMES + 1];
    size_t lens[sizeof names / sizeof *names];
    double share[sizeof names / sizeof *names];
    const double rows = log->rows > 0 ? (double)log->rows : 1;
    size_t n = 0;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        if (!log->category_rows[c])
            continue;
        names[n] = lapse_category_name((lapse_category)c);
        lens[n] = strlen(names[n]);
        share[n++] = (double)log->category_rows[c] / rows;
    }
    report_figure_open(out);
    report_hbars(out, "events by category", names, lens, share, n, 1, "share of events", NAN);
    report_figure_close(out, "The categories the event map puts the events in: churn is silence in "
                             "the key ones.");
    n = 0;
    int64_t rest = log->other_rows;
    for (size_t i = 0; i < log->name_count; i++) {
        if (n == MIX_NAMES) {
            rest += log->names[i].rows;
            continue;
        }
        names[n] = log->names[i].name;
        lens[n] = log->names[i].len;
        share[n++] = (double)log->names[i].rows / rows;
    }
    if (rest) {
        names[n] = "other names";
        lens[n] = strlen(names[n]);
        share[n++] = (double)rest / rows;
    }
    report_figure_open(out);
    report_hbars(out, "events by name", names, lens, share, n, 1, "share of events", NAN);
    report_figure_close(out, "The most frequent event names, most rows first.");
}

void report_section_data(FILE *out, const lapse_inspect_result *log)
{
    report_section_open(out, "data", "Data");
    facts(out, log);
    if (log->day_count)
        per_day(out, log);
    if (log->rows)
        mix(out, log);
    report_section_close(out);
}
