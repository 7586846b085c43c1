/* Streaming scored rows to CSV: from a feature table or from event logs,
 * in input order or the top rows by risk or value. */
#include "lapse/score.h"

#include "lapse/features.h"
#include "lapse/model_btyd.h"
#include "lapse/numtext.h"
#include "lapse/outfile.h"
#include "lapse/reader.h"
#include "lapse/table.h"
#include "lapse/timeparse.h"
#include "dayhist.h"
#include "parallel.h"
#include "score_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_BLOCK 1024 /* rows formatted per work block */
#define LINE_MAX_BYTES 4096 /* a line's fields are each bounded well below this */

typedef struct {
    char *p;
    size_t len, cap;
} text;

/* Room for n more bytes. */
static int text_reserve(text *t, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p)
            return -1;
        t->p = p;
        t->cap = cap;
    }
    return 0;
}

/* A kept line: the top rows, or every row when sorting. */
typedef struct {
    double key;
    uint64_t index;
    char *line;
    size_t len;
} entry;

/* a goes before b: higher key, then earlier input. */
static int before(const entry *a, const entry *b)
{
    return a->key > b->key || (a->key == b->key && a->index < b->index);
}

static int compare_entries(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

typedef struct {
    lapse_scorer *s;
    const lapse_model *m;
    lapse_score_output opts;
    FILE *out;
    lapse_score_stats *stats;
    lapse_table_batch *batch;
    lapse_score_result *res;
    text *blocks;     /* [n_blocks] formatted lines, FORMAT_BLOCK rows each */
    size_t n_blocks;
    size_t *off, *len; /* per row: its line within its block's text */
    /* Kept lines: a min-heap on `before` of at most top entries, or (sorting
     * without top) every row. */
    entry *kept;
    size_t n_kept, cap_kept;
    uint64_t next_index;
    /* Per feature, its reason fields "name:high" and "name:low" as CSV
     * fields: [2 * j + (scaled > 0)]. */
    char **reason_field;
    size_t *reason_len;
    int days_to_churn; /* a hazard model on a table with the column: write it */
    size_t stack_columns[4]; /* a stacked model: its purchase features' columns */
} sink;

/* One pass that copies, and quotes only when a character needs it. */
static size_t csv_field(char *dst, const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        const char ch = s[n];
        if (ch == ',' || ch == '"' || ch == '\r' || ch == '\n')
            break;
        dst[n] = ch;
    }
    if (!s[n])
        return n;
    n = 0;
    dst[n++] = '"';
    for (; *s; s++) {
        if (*s == '"')
            dst[n++] = '"';
        dst[n++] = *s;
    }
    dst[n++] = '"';
    return n;
}

/* The last date written by a formatting block: a table's rows share a few. */
typedef struct {
    int64_t asof;
    char text[16];
} date_memo;

static size_t format_line(char *line, const sink *k, size_t i, date_memo *date)
{
    const lapse_model *m = k->m;
    const lapse_table_batch *b = k->batch;
    const lapse_score_result *r = &k->res[i];
    size_t n = csv_field(line, b->user_ids[i]);
    line[n++] = ',';
    if (!m->encoding) { /* a foreign table has no dates */
        if (b->asof[i] != date->asof) {
            date->asof = b->asof[i];
            lapse_time_format_date(date->text, date->asof);
        }
        const size_t len = strlen(date->text);
        memcpy(line + n, date->text, len);
        n += len;
    }
    line[n++] = ',';
    n += lapse_numtext_double(line + n, r->p_churn);
    line[n++] = ',';
    n += csv_field(line + n, m->tiers.names[r->risk_tier]);
    line[n++] = ',';
    if (r->response)
        n += csv_field(line + n, r->response);
    line[n++] = ',';
    n += csv_field(line + n, m->segments.names[r->segment]);
    line[n++] = ',';
    if (!isnan(r->days_silent))
        n += lapse_numtext_double(line + n, r->days_silent);
    line[n++] = ',';
    if (r->value_tier >= 0)
        n += csv_field(line + n, lapse_value_tier_name((lapse_value_tier)r->value_tier));
    line[n++] = ',';
    /* Money in cents; a sum too large for that (a table may hold any finite
     * spend) keeps its digits in %g form, so the field stays short. */
    if (!isnan(r->value_at_risk))
        n += fabs(r->value_at_risk) < 1e15 ? lapse_numtext_cents(line + n, r->value_at_risk)
                                           : lapse_numtext_double(line + n, r->value_at_risk);
    /* A reason pushes risk up by being above the training mean (":high") or
     * below it (":low"): the sign of the scaled value, as the scorer found it. */
    const unsigned high = lapse__score_high(k->s)[i];
    for (int q = 0; q < LAPSE_SCORE_REASONS; q++) {
        line[n++] = ',';
        const int j = r->reason[q];
        if (j < 0)
            continue;
        const size_t f = 2 * (size_t)j + ((high >> q) & 1);
        memcpy(line + n, k->reason_field[f], k->reason_len[f]);
        n += k->reason_len[f];
    }
    line[n++] = ',';
    if (r->trigger >= 0)
        n += csv_field(line + n, lapse_trigger_name(r->trigger));
    line[n++] = ',';
    n += csv_field(line + n, r->action);
    line[n++] = ',';
    if (b->labels[i] >= 0)
        line[n++] = (char)('0' + b->labels[i]);
    if (m->hazard) {
        for (size_t h = 0; h < m->hazard->n_bands; h++) {
            line[n++] = ',';
            n += lapse_numtext_double(line + n, r->p_horizon[h]);
        }
        line[n++] = ',';
        if (r->churn_by > 0)
            n += (size_t)snprintf(line + n, 16, "%d", r->churn_by);
        if (k->days_to_churn) {
            line[n++] = ',';
            if (b->labels[i] == 1 && b->days_to_churn[i] > 0)
                n += (size_t)snprintf(line + n, 16, "%d", b->days_to_churn[i]);
        }
    }
    if (k->opts.contribs) {
        const size_t width = m->n_features + 1;
        const double *c = lapse_score_contribs(k->s) + i * width;
        for (size_t j = 0; j < width; j++) {
            line[n++] = ',';
            n += lapse_numtext_double(line + n, c[j]);
        }
    }
    line[n++] = '\n';
    return n;
}

static int nomem_error(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
}

/* Room for a line: the usual fields, and the contributions when asked. */
static size_t line_bytes(const sink *k)
{
    return LINE_MAX_BYTES + (k->opts.contribs ? (k->m->n_features + 1) * LAPSE_NUMTEXT_MAX : 0);
}

static int format_block(void *arg, int thread, size_t r0, size_t rows, lapse_error *err)
{
    (void)thread;
    sink *k = arg;
    text *t = &k->blocks[r0 / FORMAT_BLOCK];
    t->len = 0;
    date_memo date = { INT64_MIN, "" };
    /* Lines are written in place, with room for the longest at the end. */
    const size_t room = line_bytes(k);
    for (size_t i = r0; i < r0 + rows; i++) {
        if (text_reserve(t, room) != 0)
            return nomem_error(err);
        size_t n = format_line(t->p + t->len, k, i, &date);
        k->off[i] = t->len;
        k->len[i] = n;
        t->len += n;
    }
    return LAPSE_OK;
}

static double key_of(const sink *k, const lapse_score_result *r)
{
    double v = k->opts.order == LAPSE_SCORE_ORDER_VALUE ? r->value_at_risk : r->p_churn;
    return isnan(v) ? -INFINITY : v;
}

static void sift_down(entry *h, size_t n, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        /* The root is the entry that goes last. */
        if (c + 1 < n && before(&h[c], &h[c + 1]))
            c++;
        if (!before(&h[i], &h[c]))
            return;
        entry tmp = h[i];
        h[i] = h[c];
        h[c] = tmp;
        i = c;
    }
}

static void sift_up(entry *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&h[p], &h[i]))
            return;
        entry tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
}

static int keep(sink *k, double key, const char *line, size_t len)
{
    entry e = { key, k->next_index++, NULL, len };
    size_t top = k->opts.top;
    if (top && k->n_kept == top) {
        if (!before(&e, &k->kept[0]))
            return 0;
        if (len > k->kept[0].len) {
            char *p = realloc(k->kept[0].line, len);
            if (!p)
                return -1;
            k->kept[0].line = p;
        }
        memcpy(k->kept[0].line, line, len);
        e.line = k->kept[0].line;
        k->kept[0] = e;
        sift_down(k->kept, k->n_kept, 0);
        return 0;
    }
    if (k->n_kept == k->cap_kept) {
        size_t cap = k->cap_kept ? 2 * k->cap_kept : 1024;
        if (top && cap > top)
            cap = top;
        entry *p = realloc(k->kept, cap * sizeof *p);
        if (!p)
            return -1;
        k->kept = p;
        k->cap_kept = cap;
    }
    e.line = malloc(len);
    if (!e.line)
        return -1;
    memcpy(e.line, line, len);
    k->kept[k->n_kept++] = e;
    if (top)
        sift_up(k->kept, k->n_kept - 1);
    return 0;
}

static int write_error(lapse_error *err)
{
    return lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "write failed: %s",
                           strerror(errno));
}

/* Writes (or keeps) the rows of k->batch, scored into k->res. */
static int sink_batch(sink *k, lapse_error *err)
{
    size_t n = k->batch->n_rows;
    int status = lapse_parallel_for(lapse__score_threads(k->s), n, FORMAT_BLOCK, format_block, k,
                                    err);
    if (status != LAPSE_OK)
        return status;
    k->stats->rows += n;
    for (size_t i = 0; i < n; i++)
        k->stats->responded += k->res[i].response != NULL;
    if (k->opts.progress)
        k->opts.progress((int64_t)k->stats->rows, -1, k->opts.progress_user);
    if (k->opts.order == LAPSE_SCORE_ORDER_INPUT && !k->opts.top) {
        for (size_t b = 0; b * FORMAT_BLOCK < n; b++)
            if (fwrite(k->blocks[b].p, 1, k->blocks[b].len, k->out) != k->blocks[b].len)
                return write_error(err);
        k->stats->written += n;
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (keep(k, key_of(k, &k->res[i]), k->blocks[i / FORMAT_BLOCK].p + k->off[i],
                 k->len[i]) != 0)
            return nomem_error(err);
    return 0;
}

static int sink_finish(sink *k, lapse_error *err)
{
    if (k->n_kept) {
        qsort(k->kept, k->n_kept, sizeof *k->kept, compare_entries);
        for (size_t i = 0; i < k->n_kept; i++)
            if (fwrite(k->kept[i].line, 1, k->kept[i].len, k->out) != k->kept[i].len)
                return write_error(err);
        k->stats->written += k->n_kept;
    }
    if (fflush(k->out) != 0 || ferror(k->out))
        return write_error(err);
    return 0;
}

static void sink_free(sink *k)
{
    lapse_table_batch_free(k->batch);
    free(k->res);
    for (size_t b = 0; b < k->n_blocks; b++)
        free(k->blocks[b].p);
    free(k->blocks);
    free(k->off);
    free(k->len);
    for (size_t i = 0; i < k->n_kept; i++)
        free(k->kept[i].line);
    free(k->kept);
    for (size_t f = 0; k->reason_field && f < 2 * k->m->n_features; f++)
        free(k->reason_field[f]);
    free(k->reason_field);
    free(k->reason_len);
}

/* The scores' first line when their input carried warnings (newline-
 * joined): they change what the scores mean, so they travel with them. */
static int write_warnings(FILE *out, const char *warnings, lapse_error *err)
{
    char line[3 * LAPSE_TABLE_WARNINGS_MAX + 64] = "# lapse-scores";
    const size_t used = strlen(line);
    if (!warnings[0])
        return LAPSE_OK;
    if (lapse_warnings_format(line + used, sizeof line - used, warnings) != LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_LIMIT, NULL, 0, 0, -1, "warnings too long");
    return fprintf(out, "%s\n", line) < 0 ? write_error(err) : LAPSE_OK;
}

/* LAPSE_SCORE_HEADER, and a hazard model's columns after it. */
static int write_header(const sink *k, lapse_error *err)
{
    const lapse_hazard *hz = k->m->hazard;
    if (fputs(LAPSE_SCORE_HEADER, k->out) == EOF)
        return write_error(err);
    for (size_t h = 0; hz && h < hz->n_bands; h++)
        if (fprintf(k->out, ",p_%d", hz->horizons[h]) < 0)
            return write_error(err);
    if (hz && fputs(k->days_to_churn ? ",churn_by,days_to_churn" : ",churn_by", k->out) == EOF)
        return write_error(err);
    for (size_t j = 0; k->opts.contribs && j <= k->m->n_features; j++) {
        const char *feature = j < k->m->n_features ? k->m->feature_names[j] : "bias";
        char column[LAPSE_MODEL_NAME_MAX + 16];
        const int len = snprintf(column, sizeof column, "contrib_%s", feature);
        fputc(',', k->out);
        lapse_outfile_put_field(k->out, column, (size_t)len);
    }
    return fputc('\n', k->out) == EOF || ferror(k->out) ? write_error(err) : LAPSE_OK;
}

/* The reason fields of every feature, quoted as CSV needs. */
static int reason_fields(sink *k)
{
    const size_t d = k->m->n_features;
    k->reason_field = calloc(2 * d, sizeof *k->reason_field);
    k->reason_len = calloc(2 * d, sizeof *k->reason_len);
    if (!k->reason_field || !k->reason_len)
        return -1;
    for (size_t f = 0; f < 2 * d; f++) {
        char reason[LAPSE_MODEL_NAME_MAX + 8];
        snprintf(reason, sizeof reason, "%s:%s", k->m->feature_names[f / 2],
                 f % 2 ? "high" : "low");
        /* A quoted field at most doubles, with its two quotes. */
        if (!(k->reason_field[f] = malloc(2 * strlen(reason) + 2)))
            return -1;
        k->reason_len[f] = csv_field(k->reason_field[f], reason);
    }
    return 0;
}

/* days_to_churn: the input has the column (with a hazard model, it is
 * written beside label, for lapse eval's horizons). */
static int sink_init(sink *k, lapse_scorer *s, const lapse_score_output *opts, FILE *out,
                     const char *warnings, int days_to_churn, lapse_score_stats *stats,
                     lapse_error *err)
{
    lapse_score_output defaults = LAPSE_SCORE_OUTPUT_INIT;
    memset(k, 0, sizeof *k);
    k->s = s;
    k->m = lapse_score_model(s);
    k->opts = opts ? *opts : defaults;
    if (k->opts.top && k->opts.order == LAPSE_SCORE_ORDER_INPUT)
        k->opts.order = LAPSE_SCORE_ORDER_RISK;
    k->out = out;
    k->stats = stats;
    k->days_to_churn = days_to_churn && k->m->hazard;
    *stats = (lapse_score_stats){ 0, 0, 0, -1 };
    if (k->opts.batch_rows > (1u << 24))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "batch of %zu rows: at most %u", k->opts.batch_rows, 1u << 24);
    if (k->m->stack) {
        const int status = lapse_model_stack_columns(
            k->stack_columns, (const char *const *)k->m->feature_names,
            lapse_model_input_features(k->m), err);
        if (status != LAPSE_OK)
            return status;
    }
    size_t cap = k->opts.batch_rows ? k->opts.batch_rows : 2048;
    k->batch = lapse_table_batch_create(cap, k->m->n_features);
    k->res = malloc(cap * sizeof *k->res);
    k->n_blocks = (cap + FORMAT_BLOCK - 1) / FORMAT_BLOCK;
    k->blocks = calloc(k->n_blocks, sizeof *k->blocks);
    k->off = malloc(cap * sizeof *k->off);
    k->len = malloc(cap * sizeof *k->len);
    if (!k->batch || !k->res || !k->blocks || !k->off || !k->len) {
        k->n_blocks = k->blocks ? k->n_blocks : 0;
        return nomem_error(err);
    }
    if (reason_fields(k) != 0)
        return nomem_error(err);
    const int status = write_warnings(out, warnings, err);
    if (status != LAPSE_OK)
        return status;
    if (k->opts.contribs && !lapse__score_has_contribs(s))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "contributions are a boosted-trees model's, scored with reasons");
    return write_header(k, err);
}

/* Places a model check's failure in the table (the checks name no file):
 * line 1 holds the churn definition and schema hash, line 2 the header. */
static int at_table(int status, const char *path, int64_t line, int column, lapse_error *err)
{
    if (err) {
        snprintf(err->path, sizeof err->path, "%s", path);
        err->line = line;
        err->column = column;
    }
    return status;
}

/* A count or amount the model log1p-transforms must be above -1, or the
 * row would score as NaN: names the first such value by line and column. */
static int check_log1p_domain(const sink *k, const char *path, lapse_error *err)
{
    const lapse_model *m = k->m;
    const lapse_table_batch *b = k->batch;
    const size_t d = m->n_features;
    size_t i, j;
    if (lapse_scaler_check(&i, &j, &m->scaler, d, b->x, b->n_rows) == LAPSE_OK)
        return LAPSE_OK;
    return lapse_error_set(err, LAPSE_ERR_RANGE, path, b->lines[i], (int)j + 3, -1,
                           "%s is %g: a count or amount must be above -1", m->feature_names[j],
                           b->x[i * d + j]);
}

/* A value far outside what the model was trained on can scale to infinity
 * and leave the decision NaN: refuse the row rather than write p_churn nan
 * in the lowest tier. */
static int check_decisions(const sink *k, const char *path, lapse_error *err)
{
    const lapse_table_batch *b = k->batch;
    for (size_t i = 0; i < b->n_rows; i++)
        if (!isfinite(k->res[i].decision))
            return lapse_error_set(err, LAPSE_ERR_RANGE, path, b->lines[i], 0, -1,
                                   "the model's decision for this row is not finite: a feature "
                                   "value lies far outside the training data");
    return LAPSE_OK;
}

/* A stacked model's batches are filled at the table's width (the reader
 * and the extract know no BTYD feature): narrow says so before they are
 * filled, and widen spreads the rows in place to the model's width and
 * computes the feature (lapse/model_btyd.h). */
static void narrow(lapse_table_batch *b, const lapse_model *m)
{
    b->n_features = lapse_model_input_features(m);
}

static int widen(const sink *k, const char *path, lapse_error *err)
{
    lapse_table_batch *b = k->batch;
    const size_t d = k->m->n_features, d_in = b->n_features;
    if (d_in == d)
        return LAPSE_OK;
    for (size_t i = b->n_rows; i-- > 0;) /* backwards: a row moves only to a later place */
        memmove(b->x + i * d, b->x + i * d_in, d_in * sizeof *b->x);
    b->n_features = d;
    size_t bad;
    const int status =
        lapse_model_stack_fill(k->m->stack, k->stack_columns, b->x, b->n_rows, d, &bad, err);
    if (status != LAPSE_OK && err && bad < b->n_rows) {
        err->line = b->lines[bad];
        snprintf(err->path, sizeof err->path, "%s", path ? path : "");
    }
    return status;
}

/* Checks and scores the rows in k->batch. */
static int score_batch(sink *k, const char *path, lapse_error *err)
{
    int status = widen(k, path, err);
    if (status == LAPSE_OK)
        status = check_log1p_domain(k, path, err);
    if (status == LAPSE_OK)
        status = lapse_score_rows(k->s, k->res, k->batch->x, k->batch->n_rows, err);
    if (status == LAPSE_OK)
        status = check_decisions(k, path, err);
    return status != LAPSE_OK ? status : sink_batch(k, err);
}

/* One batch scored (task 0) while the next is read (task 1), on two threads
 * when the scorer has them: the table parse is serial, and without the
 * overlap it caps how far score's threads can go. */
typedef struct {
    sink *k;
    const char *path;
    lapse_table_reader *reader;
    lapse_table_batch *next;
    int rows; /* lapse_table_reader_next's result for next */
} score_step;

static int score_and_read(void *arg, int thread, size_t task, size_t count, lapse_error *err)
{
    (void)thread;
    (void)count;
    score_step *p = arg;
    if (task == 0)
        return score_batch(p->k, p->path, err);
    narrow(p->next, p->k->m);
    p->rows = lapse_table_reader_next(p->reader, p->next, err);
    return p->rows < 0 ? p->rows : LAPSE_OK;
}

int lapse_score_table(lapse_scorer *s, const char *path, FILE *out,
                      const lapse_score_output *opts, lapse_score_stats *stats, lapse_error *err)
{
    lapse_score_stats unused;
    sink k = { 0 }; /* freed on every path, set up or not */
    lapse_table_reader *reader = NULL;
    const lapse_foreign_encoding *foreign = lapse_score_model(s)->encoding;
    int status = foreign ? lapse_table_reader_open_foreign(&reader, path, foreign, err)
                         : lapse_table_reader_open(&reader, path, err);
    if (status == LAPSE_OK) /* the parse, not only the scoring, on the scorer's threads */
        lapse_table_reader_set_threads(reader, lapse__score_threads(s));
    if (status == LAPSE_OK)
        status = sink_init(&k, s, opts, out, lapse_table_reader_meta(reader)->warnings,
                           lapse_table_reader_has_days_to_churn(reader), stats ? stats : &unused,
                           err);
    if (status == LAPSE_OK) {
        /* Names first: a different feature list is named column by column,
         * where the meta line's schema hash could only say they differ. */
        const char *const *names = lapse_table_reader_feature_names(reader);
        const size_t n = lapse_table_reader_feature_count(reader);
        status = lapse_model_check_features(k.m, names, n, err);
        if (status != LAPSE_OK) {
            /* The first feature that differs; features start in column 3. */
            size_t i = 0;
            while (i < n && i < k.m->n_features && strcmp(names[i], k.m->feature_names[i]) == 0)
                i++;
            status = at_table(status, path, 2, (int)i + 3, err);
        } else {
            status = lapse_model_check_meta(k.m, lapse_table_reader_meta(reader), err);
            if (status != LAPSE_OK)
                status = at_table(status, path, 1, 0, err);
        }
    }
    score_step step = { &k, path, reader, NULL, 0 };
    if (status == LAPSE_OK) {
        step.next = lapse_table_batch_create(k.batch->capacity, k.m->n_features);
        if (!step.next)
            status = nomem_error(err);
    }
    if (status == LAPSE_OK)
        narrow(k.batch, k.m);
    int n = status == LAPSE_OK ? lapse_table_reader_next(reader, k.batch, err) : status;
    while (n > 0) {
        status = lapse_parallel_for(lapse__score_threads(s), 2, 1, score_and_read, &step, err);
        if (status != LAPSE_OK)
            break;
        n = step.rows;
        lapse_table_batch *scored = k.batch;
        k.batch = step.next;
        step.next = scored;
    }
    if (status == LAPSE_OK)
        status = n < 0 ? n : sink_finish(&k, err);
    lapse_table_reader_close(reader);
    lapse_table_batch_free(step.next);
    sink_free(&k);
    return status;
}

/* The day after the logs' robust end (src/base/dayhist.h), as UTC seconds:
 * a few clock-skewed rows in 2099 do not make everyone silent. */
static int day_after_last_event(int64_t *out, const char *const *paths, size_t n_paths,
                                const lapse_reader_options *ropts, lapse_error *err)
{
    for (size_t i = 0; i < n_paths; i++)
        if (strcmp(paths[i], "-") == 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "scoring logs from stdin needs an asof date (the default, "
                                   "the day after the last event, reads the logs twice)");
    lapse_reader *r = NULL;
    int status = lapse_reader_open(&r, paths, n_paths, ropts, err);
    day_hist days = DAY_HIST_INIT;
    lapse_event e;
    if (status == LAPSE_OK)
        while ((status = lapse_reader_next(r, &e, err)) > 0)
            if (day_hist_add(&days, (int32_t)lapse_day_of(e.ts)) != 0) {
                status = nomem_error(err);
                break;
            }
    lapse_reader_free(r);
    day_range range;
    day_hist_range(&days, &range);
    day_hist_free(&days);
    if (status < 0)
        return status;
    if (!range.events)
        return lapse_error_set(err, LAPSE_ERR_RANGE, paths[0], 0, 0, -1,
                               "no events: give an asof date");
    *out = ((int64_t)range.end + 1) * LAPSE_SECONDS_PER_DAY;
    return 0;
}

/* -1, 0 or 1 as row a's user id sorts before, with or after b's. */
static int compare_ids(const lapse_extract_row *a, const lapse_extract_row *b)
{
    size_t n = a->user_id_len < b->user_id_len ? a->user_id_len : b->user_id_len;
    int c = memcmp(a->user_id, b->user_id, n);
    if (c)
        return c < 0 ? -1 : 1;
    return a->user_id_len < b->user_id_len ? -1 : a->user_id_len > b->user_id_len;
}

int lapse_score_logs(lapse_scorer *s, const char *const *paths, size_t n_paths, int64_t asof,
                     const lapse_reader_options *ropts, int threads, FILE *out,
                     const lapse_score_output *opts, lapse_score_stats *stats, lapse_error *err)
{
    const lapse_model *m = lapse_score_model(s);
    size_t d = lapse_feature_count();
    const char **names = malloc(d * sizeof *names);
    if (!names)
        return nomem_error(err);
    for (size_t j = 0; j < d; j++)
        names[j] = lapse_feature_get(j)->name;
    int status = lapse_model_check_features(m, names, d, err);
    free(names);
    if (status != LAPSE_OK && err) {
        /* There is no table here: the features are this build's. */
        char detail[LAPSE_ERROR_MESSAGE_MAX];
        snprintf(detail, sizeof detail, "%s", err->message);
        lapse_error_set(err, status, NULL, 0, 0, -1,
                        "the model was trained on other features than this lapse extracts "
                        "(retrain it, or score a table made by the lapse that trained it): %s",
                        detail);
    }
    if (status != LAPSE_OK)
        return status;
    lapse_table_meta meta = { LAPSE_TABLE_FORMAT_VERSION, m->meta.churn,
                              lapse_feature_schema_hash(), "", "" };
    status = lapse_model_check_meta(m, &meta, err);
    if (status != LAPSE_OK)
        return status;

    lapse_extract_options xo = LAPSE_EXTRACT_OPTIONS_INIT;
    if (ropts)
        xo.reader = *ropts;
    if (asof < 0) {
        /* This pass only finds the last day: repeats are counted by the next. */
        lapse_reader_options first_pass = xo.reader;
        first_pass.dups = LAPSE_DUPS_KEEP;
        status = day_after_last_event(&asof, paths, n_paths, &first_pass, err);
        if (status != LAPSE_OK)
            return status;
    }
    xo.churn = m->meta.churn;
    xo.asof = &asof;
    xo.asof_count = 1;
    xo.labels = 0;
    xo.threads = threads;
    lapse_extract *x = NULL;
    status = lapse_extract_run(&x, paths, n_paths, &xo, err);
    if (status != LAPSE_OK)
        return status;

    lapse_score_stats unused;
    sink k;
    char warnings[LAPSE_TABLE_WARNINGS_MAX] = "";
    for (size_t i = 0; i < lapse_extract_warning_count(x); i++) {
        const size_t used = strlen(warnings);
        snprintf(warnings + used, sizeof warnings - used, "%s%s", i ? "\n" : "",
                 lapse_extract_warning(x, i));
    }
    status = sink_init(&k, s, opts, out, warnings, 0, stats ? stats : &unused, err);
    k.stats->asof = asof;
    /* Both sets are sorted by user id (one snapshot): merge them. */
    size_t n_active = lapse_extract_count(x, LAPSE_EXTRACT_ACTIVE);
    size_t n_dormant = lapse_extract_count(x, LAPSE_EXTRACT_DORMANT);
    size_t ia = 0, id = 0;
    lapse_extract_row ra, rd;
    while (status == LAPSE_OK && (ia < n_active || id < n_dormant)) {
        lapse_table_batch *b = k.batch;
        narrow(b, m);
        b->n_rows = 0;
        while (b->n_rows < b->capacity && (ia < n_active || id < n_dormant)) {
            if (ia < n_active)
                lapse_extract_get(x, LAPSE_EXTRACT_ACTIVE, ia, &ra, NULL);
            if (id < n_dormant)
                lapse_extract_get(x, LAPSE_EXTRACT_DORMANT, id, &rd, NULL);
            int active = id == n_dormant || (ia < n_active && compare_ids(&ra, &rd) <= 0);
            lapse_extract_row row;
            size_t i = b->n_rows++;
            lapse_extract_get(x, active ? LAPSE_EXTRACT_ACTIVE : LAPSE_EXTRACT_DORMANT,
                              active ? ia++ : id++, &row, b->x + i * d);
            memcpy(b->user_ids[i], row.user_id, row.user_id_len);
            b->user_ids[i][row.user_id_len] = '\0';
            b->asof[i] = row.asof;
            b->labels[i] = -1;
            b->lines[i] = 0;
        }
        status = score_batch(&k, NULL, err);
    }
    if (status == LAPSE_OK)
        status = sink_finish(&k, err);
    sink_free(&k);
    lapse_extract_free(x);
    return status;
}
