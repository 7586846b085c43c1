/* The campaign section: the per channel and variant rows of a lapse
 * campaign eval report (its -o CSV), as a forest plot of the uplifts with
 * their intervals and a table with the cost per recalled user. */
#include "report_internal.h"

#include "fieldnum.h"
#include "input.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_BYTES 64
#define MAX_ROWS 256

/* The columns read, by header name; the others are ignored. */
static const char *const columns[] = { "channel",     "variant", "sent",    "recall_rate",
                                       "control_rate", "uplift", "ci_low",  "ci_high",
                                       "p_value",      "cost_per_recalled" };
enum { C_CHANNEL, C_VARIANT, C_SENT, C_RATE, C_CONTROL_RATE, C_UPLIFT, C_LOW, C_HIGH, C_P,
       C_COST, N_COLUMNS };

typedef struct {
    char channel[NAME_MAX_BYTES], variant[NAME_MAX_BYTES];
    double v[N_COLUMNS]; /* numbers by column; NaN for an empty field */
} campaign_row;

struct report_campaign {
    const char *path;
    campaign_row rows[MAX_ROWS];
    size_t n;
};

typedef struct {
    report_campaign *c;
    int in_header;
    long col_of[N_COLUMNS];
    size_t n_fields;
    campaign_row row;
    lapse_error *err;
} reader;

static int fail(const lapse_input_csv *csv, reader *r, const char *fmt, const char *text)
{
    return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                           lapse_input_csv_line(csv), lapse_input_csv_fields(csv) + 1, -1, fmt,
                           text);
}

static int on_field(const lapse_input_csv *csv, const char *text, size_t len, void *ctx)
{
    reader *r = ctx;
    const long col = lapse_input_csv_fields(csv);
    int c = 0;
    if (r->in_header) {
        for (c = 0; c < N_COLUMNS && strcmp(text, columns[c]); c++)
            ;
        if (c < N_COLUMNS && r->col_of[c] >= 0)
            return fail(csv, r, "column \"%s\" appears twice in the header", text);
        if (c < N_COLUMNS)
            r->col_of[c] = col;
        return LAPSE_OK;
    }
    while (c < N_COLUMNS && r->col_of[c] != col)
        c++;
    if (c == N_COLUMNS)
        return LAPSE_OK;
    if (c == C_CHANNEL || c == C_VARIANT) {
        if (len == 0 || len >= NAME_MAX_BYTES)
            return fail(csv, r, "bad %s name \"%.64s\"", columns[c]);
        memcpy(c == C_CHANNEL ? r->row.channel : r->row.variant, text, len + 1);
        return LAPSE_OK;
    }
    if (len == 0) {
        r->row.v[c] = NAN; /* campaign eval leaves undefined figures empty */
        return LAPSE_OK;
    }
    if (lapse_field_number(text, len, &r->row.v[c]))
        return fail(csv, r, "bad number \"%.40s\"", text);
    return LAPSE_OK;
}

static int on_row(const lapse_input_csv *csv, void *ctx)
{
    reader *r = ctx;
    const size_t fields = (size_t)lapse_input_csv_fields(csv);
    if (r->in_header) {
        r->in_header = 0;
        r->n_fields = fields;
        for (int c = 0; c < N_COLUMNS; c++)
            if (r->col_of[c] < 0)
                return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                                       lapse_input_csv_line(csv), 0, -1,
                                       "the header has no %s column (want the -o report of "
                                       "lapse campaign eval)",
                                       columns[c]);
        return LAPSE_OK;
    }
    if (fields != r->n_fields)
        return lapse_error_set(r->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), (int)fields, -1,
                               "row has %zu fields, the header has %zu", fields, r->n_fields);
    if (r->c->n == MAX_ROWS)
        return lapse_error_set(r->err, LAPSE_ERR_LIMIT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), 0, -1,
                               "more than %d channel and variant rows", MAX_ROWS);
    r->c->rows[r->c->n++] = r->row;
    return LAPSE_OK;
}

int report_campaign_create(report_campaign **out, const char *path, lapse_error *err)
{
    *out = NULL;
    report_campaign *c = calloc(1, sizeof *c);
    if (!c)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    c->path = path;
    reader r = { .c = c, .in_header = 1, .err = err };
    for (int k = 0; k < N_COLUMNS; k++)
        r.col_of[k] = -1;
    const lapse_input_csv_options opts = { .delimiter = ',', .keep_spaces = 1 };
    int status = lapse_input_csv_read(path, &opts, on_field, on_row, &r, err);
    if (status == LAPSE_OK && r.in_header)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "no header: the file is empty");
    if (status != LAPSE_OK) {
        free(c);
        return status;
    }
    *out = c;
    return LAPSE_OK;
}

void report_campaign_free(report_campaign *c)
{
    free(c);
}

void report_section_campaign(FILE *out, const report_campaign *c)
{
    char a[48], b[48], d[48];
    report_section_open(out, "campaign", "Campaign");
    fputs("<table class=\"facts\">\n<tr><th>campaign eval report</th><td>", out);
    report_puts(out, c->path);
    fputs("</td></tr>\n</table>\n", out);
    if (c->n == 0) {
        fputs("<p class=\"note\">The report has no rows.</p>\n", out);
        report_section_close(out);
        return;
    }
    const char *names[MAX_ROWS];
    char labels[MAX_ROWS][2 * NAME_MAX_BYTES + 2];
    size_t lens[MAX_ROWS];
    double est[MAX_ROWS], lo[MAX_ROWS], hi[MAX_ROWS];
    for (size_t i = 0; i < c->n; i++) {
        const campaign_row *r = &c->rows[i];
        /* "all all" is the campaign as a whole: one word is enough. */
        if (!strcmp(r->channel, "all") && !strcmp(r->variant, "all"))
            snprintf(labels[i], sizeof labels[i], "all channels");
        else
            snprintf(labels[i], sizeof labels[i], "%s %s", r->channel, r->variant);
        names[i] = labels[i];
        lens[i] = strlen(labels[i]);
        est[i] = r->v[C_UPLIFT];
        lo[i] = r->v[C_LOW];
        hi[i] = r->v[C_HIGH];
    }
    fputs("<div class=\"figures\">\n<figure>\n", out);
    report_forest(out, "uplift by channel and variant", names, lens, est, lo, hi, c->n,
                  "uplift: recall rate of the sent minus the control's");
    fputs("<figcaption>Uplift: recalled share of the users sent each channel and variant minus "
          "that of its control group, with Newcombe's 95% interval; crossing zero means no "
          "proven effect.</figcaption></figure>\n</div>\n",
          out);
    fputs("<table class=\"grid\"><caption>Per channel and variant</caption>\n<tr><th>channel"
          "</th><th>variant</th><th>sent</th><th>recall rate</th><th>control</th><th>uplift "
          "(95% interval)</th><th>p</th><th>cost per recalled user</th></tr>\n",
          out);
    for (size_t i = 0; i < c->n; i++) {
        const campaign_row *r = &c->rows[i];
        fputs("<tr><td>", out);
        report_puts(out, r->channel);
        fputs("</td><td>", out);
        report_puts(out, r->variant);
        fprintf(out, "</td><td>%s</td>",
                isfinite(r->v[C_SENT]) ? report_fmt_count(a, sizeof a, (uint64_t)r->v[C_SENT])
                                       : report_fmt_fig(a, sizeof a, NAN));
        fprintf(out, "<td>%s</td><td>%s</td>", report_fmt_pct(a, sizeof a, r->v[C_RATE]),
                report_fmt_pct(b, sizeof b, r->v[C_CONTROL_RATE]));
        fprintf(out, "<td>%s <span class=\"ci\">(%s to %s)</span></td>",
                report_fmt_pct(a, sizeof a, r->v[C_UPLIFT]),
                report_fmt_pct(b, sizeof b, r->v[C_LOW]),
                report_fmt_pct(d, sizeof d, r->v[C_HIGH]));
        fprintf(out, "<td>%s</td><td>%s</td></tr>\n", report_fmt_p(a, sizeof a, r->v[C_P]),
                report_fmt_fig(b, sizeof b, r->v[C_COST]));
    }
    fputs("</table>\n", out);
    report_section_close(out);
}
