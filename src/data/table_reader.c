/* Streaming feature-table reader: records from the input layer (gzip or
 * plain, libcsv), rows into caller-owned batches, on one thread or cut
 * into pieces parsed on several; or a binary table (table_npy.h): values
 * from the .npy, the rest from its rows file. */
#include "lapse/table.h"

#include "lapse/features.h"
#include "lapse/schema.h"
#include "lapse/timeparse.h"

#include "csvcut.h"
#include "foreign_internal.h"
#include "input.h"
#include "parallel.h"
#include "fieldnum.h"
#include "table_npy.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SHOWN_MAX 48 /* bytes of a bad value quoted in a message */

/* A table keeps every byte of a field: spaces are text. */
static const lapse_input_csv_options table_csv = { .delimiter = ',', .keep_spaces = 1 };

/* Where rows are being read: the reader's own cursor reads the header and,
 * on one thread, every row; on several threads each piece of the text has
 * one (next_on_threads). */
typedef struct {
    lapse_table_reader *table;
    lapse_input_csv *csv;
    int finished;             /* the input (or the piece) has no more records */
    lapse_table_batch *batch; /* being filled, during lapse_table_reader_next */
    size_t column;            /* 0-based column of the next field of the record */
    size_t count_columns;     /* columns 2 .. 2 + this take on_field's fast path; 0 in the header */
    double *row_x;            /* the values of the row being read, in batch */
    char last_asof[10];       /* the last asof date read (a table has a few), and its day */
    int64_t last_asof_day;
    int have_last_asof;
    int status;               /* once negative, the cursor is spent */
    lapse_error error;        /* what spent it */
} row_cursor;

struct lapse_table_reader {
    char *path;
    row_cursor main;
    lapse_table_meta meta;
    char **names; /* every header column; features are names[2 .. 2 + n_features) */
    size_t n_columns, names_capacity;
    size_t label_column;   /* 0-based: the last column, or the one before days_to_churn */
    int has_days_to_churn; /* the header ends label,days_to_churn */
    size_t header_bytes;
    size_t n_features;
    int in_header;
    foreign_rows *foreign;    /* a foreign table: everything above unused but path */
    char *csv_path;           /* the CSV read: path, or a binary table's rows file */
    FILE *npy;                /* a binary table's values; NULL for a CSV table */
    lapse_npy_shape npy_shape;
    uint64_t npy_read;        /* rows of values read */
    const char **npy_names;   /* the schema's feature names (strings not owned) */
    struct table_text *text;  /* rows parsed on several threads; NULL on one */
};

/* Records an error at the current line; the first one sticks. */
__attribute__((format(printf, 4, 5))) static int fail(row_cursor *c, int code, int column,
                                                      const char *fmt, ...)
{
    if (c->status != LAPSE_OK)
        return c->status;
    char message[LAPSE_ERROR_MESSAGE_MAX];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    const int64_t line = c->csv ? lapse_input_csv_line(c->csv) : 0;
    c->status = lapse_error_set(&c->error, code, c->table->csv_path, line, column, -1, "%s",
                                message);
    return c->status;
}

static int report(const lapse_table_reader *r, lapse_error *err)
{
    if (err)
        *err = r->main.error;
    return r->main.status;
}

static void header_field(lapse_table_reader *r, const char *text, size_t len)
{
    const size_t column = r->n_columns + 1;
    if (r->n_columns == LAPSE_TABLE_FEATURES_MAX + 3) {
        fail(&r->main, LAPSE_ERR_LIMIT, (int)column, "header has more than %d feature columns",
             LAPSE_TABLE_FEATURES_MAX);
        return;
    }
    r->header_bytes += len + 1;
    if (r->header_bytes > LAPSE_TABLE_HEADER_MAX) {
        fail(&r->main, LAPSE_ERR_LIMIT, (int)column, "header longer than %d bytes",
             LAPSE_TABLE_HEADER_MAX);
        return;
    }
    if (memchr(text, '\0', len)) {
        fail(&r->main, LAPSE_ERR_FORMAT, (int)column, "bad header: column name has a NUL byte");
        return;
    }
    if (r->n_columns == r->names_capacity) {
        const size_t capacity = r->names_capacity ? 2 * r->names_capacity : 64;
        char **names = realloc(r->names, capacity * sizeof *names);
        if (!names) {
            fail(&r->main, LAPSE_ERR_NOMEM, (int)column, "out of memory");
            return;
        }
        r->names = names;
        r->names_capacity = capacity;
    }
    char *name = malloc(len + 1);
    if (!name) {
        fail(&r->main, LAPSE_ERR_NOMEM, (int)column, "out of memory");
        return;
    }
    memcpy(name, text, len);
    name[len] = '\0';
    r->names[r->n_columns++] = name;
}

typedef struct {
    const char *name;
    size_t column; /* 0-based */
} named_column;

static int by_name_then_column(const void *a, const void *b)
{
    const named_column *x = a, *y = b;
    const int order = strcmp(x->name, y->name);
    return order ? order : (x->column > y->column) - (x->column < y->column);
}

/* Refuses a feature name that appears twice, naming the first repeat in
 * column order and where that name first appeared. Sorting keeps it
 * O(n log n) without a hash table per open. */
static void check_duplicates(lapse_table_reader *r)
{
    const size_t n = r->n_features;
    named_column *sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        fail(&r->main, LAPSE_ERR_NOMEM, 0, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = (named_column){ r->names[i + 2], i + 2 };
    qsort(sorted, n, sizeof *sorted, by_name_then_column);
    /* In each run of equal names the first two entries are the first
     * occurrence and the first repeat. */
    size_t first = 0, repeat = SIZE_MAX;
    for (size_t k = 1; k < n; k++)
        if (strcmp(sorted[k].name, sorted[k - 1].name) == 0 &&
            (k < 2 || strcmp(sorted[k - 1].name, sorted[k - 2].name) != 0) &&
            sorted[k].column < repeat) {
            first = sorted[k - 1].column;
            repeat = sorted[k].column;
        }
    free(sorted);
    if (repeat != SIZE_MAX)
        fail(&r->main, LAPSE_ERR_FORMAT, (int)repeat + 1,
             "bad header: feature \"%.*s\" appears twice (columns %zu and %zu)", SHOWN_MAX,
             r->names[repeat], first + 1, repeat + 1);
}

/* The header's features against this build's, which the meta line says
 * the table has: fails naming the first column that differs. Returns 0
 * when none does (the hashes then differ for another reason). */
static int name_differing_column(lapse_table_reader *r)
{
    const char *const *names = (const char *const *)r->names + 2;
    const size_t n = r->n_features, want = lapse_feature_count();
    const char *const lead = "header does not match the schema on line 1:";
    for (size_t i = 0; i < n || i < want; i++) {
        const int column = (int)i + 3; /* after user_id and asof */
        const char *expected = i < want ? lapse_feature_get(i)->name : NULL;
        if (i < n && expected && strcmp(names[i], expected) == 0)
            continue;
        if (i < n && lapse_feature_find(names[i]) < 0)
            return fail(&r->main, LAPSE_ERR_FORMAT, column,
                        "%s column %d is \"%.*s\", which the table format does not have%s%s%s",
                        lead, column, SHOWN_MAX, names[i], expected ? " (it has \"" : "",
                        expected ? expected : "", expected ? "\" there)" : "");
        int present = 0;
        for (size_t j = i; j < n && expected && !present; j++)
            present = strcmp(names[j], expected) == 0;
        if (expected && !present)
            return fail(&r->main, LAPSE_ERR_FORMAT, column,
                        "%s the header lacks \"%s\" (column %d)", lead, expected, column);
        /* Both names are the format's: moved or swapped (duplicates were
         * refused, so a known name past the format's end cannot be here). */
        assert(expected);
        return fail(&r->main, LAPSE_ERR_FORMAT, column,
                    "%s column %d is \"%s\" where the table format has \"%s\"", lead, column,
                    names[i], expected);
    }
    return 0;
}

/* A binary table's rows file has these columns; the features are the
 * schema's, which its meta line names by hash. */
static void npy_header_done(lapse_table_reader *r)
{
    static const char *const want[] = { "user_id", "asof", "label", "days_to_churn" };
    for (size_t i = 0; i < 4; i++)
        if (i >= r->n_columns || strcmp(r->names[i], want[i]) != 0) {
            fail(&r->main, LAPSE_ERR_FORMAT, (int)i + 1,
                 "bad header: a binary table's rows file has user_id,asof,label,days_to_churn");
            return;
        }
    if (r->n_columns > 4) {
        fail(&r->main, LAPSE_ERR_FORMAT, 5, "row has more than 4 fields (the header has 4)");
        return;
    }
    r->label_column = 2;
    r->has_days_to_churn = 1;
    r->n_features = lapse_feature_count();
}

/* The header row is complete: check its shape and its hash. */
static void header_done(lapse_table_reader *r)
{
    if (r->npy) {
        npy_header_done(r);
        return;
    }
    char **names = r->names;
    const size_t n = r->n_columns;
    if (n == 0 || strcmp(names[0], "user_id") != 0) {
        fail(&r->main, LAPSE_ERR_FORMAT, 1, "bad header: column 1 must be user_id, not \"%.*s\"",
             SHOWN_MAX, n == 0 ? "" : names[0]);
        return;
    }
    if (n < 2 || strcmp(names[1], "asof") != 0) {
        fail(&r->main, LAPSE_ERR_FORMAT, 2, "bad header: column 2 must be asof, not \"%.*s\"",
             SHOWN_MAX, n < 2 ? "" : names[1]);
        return;
    }
    /* days_to_churn is a second label column: tables from before it have none. */
    r->has_days_to_churn = n > 2 && strcmp(names[n - 1], "days_to_churn") == 0;
    r->label_column = n - 1 - (size_t)r->has_days_to_churn;
    if (strcmp(names[r->label_column], "label") != 0) {
        fail(&r->main, LAPSE_ERR_FORMAT, (int)r->label_column + 1,
             "bad header: the last column must be label (or label,days_to_churn), not \"%.*s\"",
             SHOWN_MAX, names[r->label_column]);
        return;
    }
    if (r->label_column < 3) {
        fail(&r->main, LAPSE_ERR_FORMAT, 3,
             "bad header: no feature columns between asof and label");
        return;
    }
    for (size_t i = 2; i < r->label_column; i++) {
        if (names[i][0] == '\0') {
            fail(&r->main, LAPSE_ERR_FORMAT, (int)i + 1, "bad header: empty feature name");
            return;
        }
        /* Only names a model file can hold (lapse_model_validate), refused
         * here with their place rather than as a bad model after training. */
        int printable = strlen(names[i]) <= LAPSE_FEATURE_NAME_MAX;
        for (const unsigned char *c = (const unsigned char *)names[i]; *c && printable; c++)
            printable = *c >= 0x20 && *c != 0x7f && *c != ',';
        if (!printable) {
            fail(&r->main, LAPSE_ERR_FORMAT, (int)i + 1,
                 "bad header: a feature name has a control character or ',', or is longer than "
                 "%d bytes",
                 LAPSE_FEATURE_NAME_MAX);
            return;
        }
        if (strcmp(names[i], "user_id") == 0 || strcmp(names[i], "asof") == 0 ||
            strcmp(names[i], "label") == 0 || strcmp(names[i], "days_to_churn") == 0) {
            fail(&r->main, LAPSE_ERR_FORMAT, (int)i + 1, "bad header: \"%s\" is not a feature name",
                 names[i]);
            return;
        }
    }
    r->n_features = r->label_column - 2;
    check_duplicates(r);
    if (r->main.status != LAPSE_OK)
        return;
    const uint64_t hash =
        lapse_schema_hash((const char *const *)names + 2, r->n_features);
    /* A table of this build's format: name the column, not the hashes. */
    if (hash != r->meta.schema_hash && r->meta.schema_hash == lapse_feature_schema_hash() &&
        name_differing_column(r) != 0)
        return;
    if (hash != r->meta.schema_hash)
        fail(&r->main, LAPSE_ERR_FORMAT, 0,
             "header does not match the schema on line 1: its %zu feature names hash to "
             "%016llx, line 1 says %016llx",
             r->n_features, (unsigned long long)hash,
             (unsigned long long)r->meta.schema_hash);
}

/* A row's days_to_churn (after its label): empty, or a day of the horizon
 * for a churned row (lapse/churn.h). */
static void days_to_churn_field(row_cursor *c, const char *text, size_t len, int col)
{
    lapse_table_batch *batch = c->batch;
    const size_t row = batch->n_rows;
    const int horizon = c->table->meta.churn.horizon_days;
    int day = 0;
    for (size_t i = 0; i < len && day <= horizon; i++)
        day = text[i] >= '0' && text[i] <= '9' ? day * 10 + (text[i] - '0') : horizon + 1;
    if (len > 0 && (day < 1 || day > horizon))
        fail(c, LAPSE_ERR_FORMAT, col,
             "bad days_to_churn \"%.*s\" (expected a day from 1 to the horizon, %d, or empty)",
             (int)(len > SHOWN_MAX ? SHOWN_MAX : len), text, horizon);
    else if (len > 0 && batch->labels[row] != 1)
        fail(c, LAPSE_ERR_FORMAT, col,
             "days_to_churn %d on a row whose label is not 1 (only a churned row has one)", day);
    else
        batch->days_to_churn[row] = (int16_t)day;
}

/* A field of one to four ASCII digits (a count or a number of days, most
 * of a table's values) as its exact double; 0 for any other text. */
static int small_count(const char *text, size_t len, double *out)
{
    if (len == 0 || len > 4)
        return 0;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned digit = (unsigned char)text[i] - (unsigned)'0';
        if (digit > 9)
            return 0;
        v = v * 10 + digit;
    }
    *out = v;
    return 1;
}

/* n bytes of an id: 8 to 16 (most ids) as two 8-byte copies that may
 * overlap; gcc copies a memcpy of a bounded variable size with rep movsq,
 * whose start-up cost was about 2% of scoring a binary table. */
static void copy_id(char *dst, const char *src, size_t n)
{
    if (n >= 8 && n <= 16) {
        memcpy(dst, src, 8);
        memcpy(dst + n - 8, src + n - 8, 8);
    } else {
        memcpy(dst, src, n);
    }
}

static void row_field(row_cursor *c, const char *text, size_t len, size_t column)
{
    lapse_table_batch *batch = c->batch;
    assert(batch && batch->n_rows < batch->capacity);
    const size_t row = batch->n_rows;
    const int col = (int)column + 1;
    const int shown = (int)(len > SHOWN_MAX ? SHOWN_MAX : len);
    if (column >= c->table->n_columns) {
        fail(c, LAPSE_ERR_FORMAT, col, "row has more than %zu fields (the header has %zu)",
             c->table->n_columns, c->table->n_columns);
    } else if (column == 0) {
        if (len == 0 || len > LAPSE_TABLE_USER_ID_MAX)
            fail(c, LAPSE_ERR_FORMAT, col, "user id must be 1 to %d bytes, this one has %zu",
                 LAPSE_TABLE_USER_ID_MAX, len);
        else if (memchr(text, '\0', len))
            fail(c, LAPSE_ERR_FORMAT, col, "user id has a NUL byte");
        else
            copy_id(batch->user_ids[row], text, len + 1);
    } else if (column == 1) {
        int64_t day;
        if (c->have_last_asof && len == sizeof c->last_asof &&
            memcmp(text, c->last_asof, len) == 0)
            batch->asof[row] = c->last_asof_day;
        else if (len != 10 || text[4] != '-' || text[7] != '-' ||
            lapse_date_parse(&day, text, len) != LAPSE_OK)
            fail(c, LAPSE_ERR_FORMAT, col,
                 "bad asof date \"%.*s\" (expected YYYY-MM-DD, 1970-01-01 to 2199-12-31)",
                 shown, text);
        else {
            batch->asof[row] = c->last_asof_day = day;
            memcpy(c->last_asof, text, len);
            c->have_last_asof = 1;
        }
    } else if (column == c->table->label_column + 1) {
        days_to_churn_field(c, text, len, col);
    } else if (column == c->table->label_column) {
        if (len == 0)
            batch->labels[row] = -1;
        else if (len == 1 && (text[0] == '0' || text[0] == '1'))
            batch->labels[row] = (int8_t)(text[0] - '0');
        else
            fail(c, LAPSE_ERR_FORMAT, col, "bad label \"%.*s\" (expected 1, 0 or empty)", shown,
                 text);
    } else {
        const char *name = c->table->names[column];
        double *value = &batch->x[row * batch->n_features + (column - 2)];
        if (len == 0)
            fail(c, LAPSE_ERR_FORMAT, col, "empty value for feature \"%.*s\"", SHOWN_MAX,
                 name);
        else if (lapse_field_number(text, len, value) != 0)
            fail(c, LAPSE_ERR_FORMAT, col,
                 "bad value \"%.*s\" for feature \"%.*s\" (expected a finite decimal number)",
                 shown, text, SHOWN_MAX, name);
    }
}

/* Every field but on_field's fast path; out of line, so that the fast
 * path saves no registers. */
__attribute__((noinline)) static int other_field(row_cursor *c, const char *text,
                                                 size_t len, size_t column)
{
    if (len > LAPSE_TABLE_FIELD_MAX)
        fail(c, LAPSE_ERR_LIMIT, (int)column + 1, "field longer than %d bytes",
             LAPSE_TABLE_FIELD_MAX);
    else if (c->table->in_header)
        header_field(c->table, text, len);
    else
        row_field(c, text, len, column);
    return c->status;
}

/* libcsv's field callback (input.h, direct): it calls this itself, so
 * the input layer counts no fields and skips none after an error. */
static void on_field(void *data, size_t len, void *loop)
{
    row_cursor *c = lapse_input_csv_direct_user(loop);
    const char *text = data ? data : "";
    const size_t column = c->column++;
    /* Nearly every field: a feature's value, most often a count or a
     * number of days. */
    if (column - 2 < c->count_columns) {
        double *value = &c->row_x[column - 2];
        if (small_count(text, len, value) ||
            (len > 0 && len <= LAPSE_TABLE_FIELD_MAX && lapse_field_number(text, len, value) == 0))
            return;
    }
    if (other_field(c, text, len, column) != LAPSE_OK)
        lapse_input_csv_stop(loop, c->status);
}

/* The record's fields so far, for the input layer's messages. */
static int fields_so_far(void *user)
{
    return (int)((const row_cursor *)user)->column;
}

static int on_row(const lapse_input_csv *csv, void *user)
{
    row_cursor *c = user;
    const size_t fields = c->column;
    c->column = 0;
    if (c->table->in_header) {
        header_done(c->table);
        c->table->in_header = 0;
        if (c->status == LAPSE_OK)
            c->count_columns = c->table->label_column - 2;
    } else if (fields != c->table->n_columns) {
        fail(c, LAPSE_ERR_FORMAT, (int)fields + 1, "row has %zu fields, the header has %zu",
             fields, c->table->n_columns);
    } else {
        lapse_table_batch *batch = c->batch;
        batch->lines[batch->n_rows++] = lapse_input_csv_line(csv);
        c->row_x += batch->n_features;
    }
    return c->status;
}

/* Feeds the next line; the loop ends at most one record per step, so a
 * batch never overflows. */
static void feed(row_cursor *c)
{
    const int got = lapse_input_csv_step(c->csv, &c->error);
    if (got < 0) {
        c->status = got;
        return;
    }
    c->finished = got == 0;
    /* A field still open keeps growing libcsv's buffer: stop it at the limit. */
    if (lapse_input_csv_open_field_bytes(c->csv) > LAPSE_TABLE_FIELD_MAX)
        fail(c, LAPSE_ERR_LIMIT, lapse_input_csv_fields(c->csv) + 1,
             "field longer than %d bytes", LAPSE_TABLE_FIELD_MAX);
}

/* What the run that wrote the table warned about changes what its rows
 * mean: say it again to whoever reads them (train, score). */
static void relay_warnings(const lapse_table_reader *r)
{
    for (const char *w = r->meta.warnings; *w;) {
        const size_t len = strcspn(w, "\n");
        lapse_log(LAPSE_LOG_WARN, "%s was extracted with a warning: %.*s", r->path, (int)len, w);
        w += len + (w[len] == '\n');
    }
}

/* Line 1: "# lapse-features ..." (lapse_table_meta_parse). */
static void read_meta(lapse_table_reader *r)
{
    static const char prefix[] = "# lapse-features ";
    char line[LAPSE_TABLE_META_LINE_MAX];
    size_t len;
    int too_long;
    const int status = lapse_input_csv_raw_line(r->main.csv, line, sizeof line, &len, &too_long,
                                                 &r->main.error);
    if (status != LAPSE_OK) {
        r->main.status = status;
        return;
    }
    if (!too_long && len > 0 && line[len - 1] == '\r')
        len--;
    const size_t prefix_len = sizeof prefix - 1;
    if (len < prefix_len || memcmp(line, prefix, prefix_len) != 0) {
        fail(&r->main, LAPSE_ERR_FORMAT, 1,
             "missing meta line: a feature table starts with \"%s%d; key=...; "
             "silent_days=...; horizon=...; churn=...; schema=...\" (a table of your own "
             "trains with --label COL, and scores with the model trained on it)",
             prefix, LAPSE_TABLE_FORMAT_VERSION);
        return;
    }
    if (too_long) {
        fail(&r->main, LAPSE_ERR_FORMAT, 1, "bad meta line: longer than %d bytes",
             LAPSE_TABLE_META_LINE_MAX);
        return;
    }
    const int meta_status = lapse_table_meta_parse(&r->meta, line, len);
    const char *semicolon = memchr(line, ';', len);
    if (meta_status == LAPSE_ERR_VERSION)
        fail(&r->main, LAPSE_ERR_VERSION, 1,
             "table format \"%.*s\" is newer than this lapse reads (version %d)",
             (int)(semicolon ? (size_t)(semicolon - line) : len), line,
             LAPSE_TABLE_FORMAT_VERSION);
    else if (meta_status != LAPSE_OK)
        fail(&r->main, LAPSE_ERR_FORMAT, 1, "bad meta line \"%.*s\"", (int)(len > 160 ? 160 : len),
             line);
    else
        relay_warnings(r);
}

/* ---- Rows on several threads ----
 *
 * The text after the header is read ahead and cut at record ends
 * (csvcut.h) into up to one piece per thread, each parsed by its own
 * cursor and text loop into its own stretch of the batch, then the
 * stretches closed up. Each piece's loop takes the steps the reader's own
 * loop would over the same bytes, and the lowest failing piece's error is
 * the one reported, so rows and errors are those of one thread. */

#define TEXT_READ (1u << 20) /* text read ahead at a time */
/* A piece is cut at its last record end within this many bytes; with none
 * there (a record this long is refused anyway: fields are at most 64 KiB),
 * one thread reads on, with memory bounded as it is. */
#define PIECE_MAX (16u << 20)

typedef struct {
    size_t start, len; /* in text->buf */
    int64_t offset;    /* of its first byte in the input's text */
    int64_t line;
    int ends_input;
    size_t first_row; /* its stretch of the batch */
    size_t rows_max;
    size_t rows;      /* parsed */
    int64_t end_line; /* the line after it starts on */
} text_piece;

typedef struct table_text {
    int threads;
    int one_thread; /* fell back: the reader's own loop reads the rest */
    char *buf;      /* text taken, unparsed from start to len */
    size_t start, len, capacity;
    int64_t offset, line; /* of buf[start] */
    int at_end;           /* the input has no more text */
    int read_failed;      /* a read ahead failed: the text before it is held */
    row_cursor *cursors;  /* [threads] */
    text_piece *pieces;   /* [threads] */
} table_text;

static void text_free(table_text *t)
{
    if (!t)
        return;
    for (int i = 0; t->cursors && i < t->threads; i++)
        lapse_input_csv_close(t->cursors[i].csv);
    free(t->cursors);
    free(t->pieces);
    free(t->buf);
    free(t);
}

void lapse_table_reader_set_threads(lapse_table_reader *reader, int threads)
{
    /* A binary table's rows file is a few short columns: starting the
     * threads for each batch costs more than they parse (bench/RESULTS.md). */
    if (reader->foreign || reader->npy || reader->text || threads <= 1 ||
        reader->main.status != LAPSE_OK || reader->main.finished)
        return;
    table_text *t = calloc(1, sizeof *t);
    if (!t)
        return; /* one thread reads the same rows */
    t->threads = threads;
    t->cursors = calloc((size_t)threads, sizeof *t->cursors);
    t->pieces = calloc((size_t)threads, sizeof *t->pieces);
    int ok = t->cursors && t->pieces;
    for (int i = 0; ok && i < threads; i++) {
        row_cursor *c = &t->cursors[i];
        c->table = reader;
        c->count_columns = reader->main.count_columns;
        lapse_error_clear(&c->error);
        ok = lapse_input_csv_open_text(&c->csv, reader->csv_path, &table_csv, NULL, on_row, c,
                                       NULL) == LAPSE_OK;
        if (ok)
            lapse_input_csv_set_direct(c->csv, on_field, fields_so_far);
    }
    if (!ok) {
        text_free(t);
        return;
    }
    reader->text = t;
}

/* The reader's own loop parses what was taken and not parsed, then the
 * rest of the input, on this thread. */
static void to_one_thread(lapse_table_reader *r)
{
    table_text *t = r->text;
    t->one_thread = 1;
    lapse_input_csv_give_back(r->main.csv, t->buf + t->start, t->len - t->start, t->offset,
                              t->line);
}

/* Reads more of the input after the text held (moving the text down to
 * the buffer's start when that makes room). Returns 0, or LAPSE_ERR_NOMEM
 * (the reader spent); a failed read sets read_failed. */
static int read_more(lapse_table_reader *r)
{
    table_text *t = r->text;
    if (t->len + TEXT_READ > t->capacity && t->start > 0) {
        memmove(t->buf, t->buf + t->start, t->len - t->start);
        t->len -= t->start;
        t->start = 0;
    }
    if (t->len + TEXT_READ > t->capacity) {
        char *buf = realloc(t->buf, t->len + TEXT_READ);
        if (!buf)
            return fail(&r->main, LAPSE_ERR_NOMEM, 0, "out of memory");
        t->buf = buf;
        t->capacity = t->len + TEXT_READ;
    }
    size_t got;
    int64_t offset, line;
    t->read_failed = lapse_input_csv_take_text(r->main.csv, t->buf + t->len, TEXT_READ, &got,
                                               &t->at_end, &offset, &line) != LAPSE_OK;
    if (t->len == t->start) { /* the first text, or all before it was parsed */
        t->offset = offset;
        t->line = line;
    }
    t->len += got;
    return LAPSE_OK;
}

/* Cuts the next pieces for budget rows of a batch, the first at row
 * first_row, into t->pieces. Returns how many (0 at the end of the text),
 * or -1: the rest is read on one thread (to_one_thread), or the reader is
 * spent. */
static int cut_pieces(lapse_table_reader *r, size_t first_row, size_t budget)
{
    table_text *t = r->text;
    const size_t per_piece = budget / (size_t)t->threads ? budget / (size_t)t->threads : 1;
    /* Text first: the first read says where the text starts. */
    if (t->start == t->len && !t->at_end && !t->read_failed && read_more(r) != LAPSE_OK)
        return -1;
    size_t pos = t->start;
    int64_t offset = t->offset, line = t->line;
    int n = 0;
    while (n < t->threads && budget > 0 && !(pos == t->len && t->at_end)) {
        /* A piece has at most as many rows as record ends, and one more for
         * an unterminated last record (then it has fewer ends than want). */
        const size_t want = n == t->threads - 1 || per_piece > budget ? budget : per_piece;
        lapse_csvcut scan = { 0 };
        size_t end = pos;
        int cut;
        while (!(cut = lapse_csvcut_scan(&scan, t->buf, t->len, &end, want, t->at_end)) &&
               !t->at_end && !t->read_failed && end - pos <= PIECE_MAX) {
            const size_t start = t->start;
            if (read_more(r) != LAPSE_OK)
                return -1;
            /* read_more may have moved the text down */
            for (int k = 0; k < n; k++)
                t->pieces[k].start -= start - t->start;
            pos -= start - t->start;
            end -= start - t->start;
        }
        if (!cut && !t->at_end) {
            if (scan.ends == 0) {
                /* No record end within PIECE_MAX bytes, or a read ahead
                 * failed: after the pieces before it, one thread goes on
                 * and says what it would have said. */
                if (n == 0)
                    to_one_thread(r);
                return n ? n : -1;
            }
            const size_t ends = scan.ends; /* the piece ends at the last end found */
            scan = (lapse_csvcut){ 0 };
            end = pos;
            cut = lapse_csvcut_scan(&scan, t->buf, t->len, &end, ends, 0);
            assert(cut);
        }
        text_piece *piece = &t->pieces[n++];
        *piece = (text_piece){ .start = pos,
                               .len = end - pos,
                               .offset = offset,
                               .line = line,
                               .ends_input = end == t->len && t->at_end,
                               .first_row = first_row,
                               .rows_max = scan.ends + !cut,
                               .end_line = line + scan.newlines };
        first_row += piece->rows_max;
        budget -= piece->rows_max;
        offset += (int64_t)piece->len;
        line = piece->end_line;
        pos = end;
        if (piece->ends_input)
            break;
    }
    return n;
}

typedef struct {
    lapse_table_reader *reader;
    lapse_table_batch *batch;
} pieces_job;

/* Parses piece number index into its stretch of the batch. */
static int parse_piece(void *arg, int thread, size_t index, size_t count, lapse_error *err)
{
    (void)count;
    const pieces_job *job = arg;
    table_text *t = job->reader->text;
    text_piece *piece = &t->pieces[index];
    row_cursor *c = &t->cursors[thread];
    const lapse_table_batch *b = job->batch;
    const size_t row = piece->first_row, d = b->n_features;
    lapse_table_batch stretch = { .capacity = piece->rows_max,
                                  .n_features = d,
                                  .x = b->x + row * d,
                                  .user_ids = b->user_ids + row,
                                  .asof = b->asof + row,
                                  .labels = b->labels + row,
                                  .days_to_churn = b->days_to_churn + row,
                                  .lines = b->lines + row };
    c->batch = &stretch;
    c->row_x = stretch.x;
    c->finished = 0;
    lapse_input_csv_set_text(c->csv, t->buf + piece->start, piece->len, piece->offset, piece->line,
                             piece->ends_input);
    while (c->status == LAPSE_OK && !c->finished)
        feed(c);
    c->batch = NULL;
    piece->rows = stretch.n_rows;
    if (c->status != LAPSE_OK && err)
        *err = c->error;
    return c->status;
}

/* Moves n rows of b from row from down to row to. */
static void move_rows(lapse_table_batch *b, size_t to, size_t from, size_t n)
{
    const size_t d = b->n_features;
    memmove(b->x + to * d, b->x + from * d, n * d * sizeof *b->x);
    for (size_t k = 0; k < n; k++)
        memmove(b->user_ids[to + k], b->user_ids[from + k], strlen(b->user_ids[from + k]) + 1);
    memmove(b->asof + to, b->asof + from, n * sizeof *b->asof);
    memmove(b->labels + to, b->labels + from, n * sizeof *b->labels);
    memmove(b->days_to_churn + to, b->days_to_churn + from, n * sizeof *b->days_to_churn);
    memmove(b->lines + to, b->lines + from, n * sizeof *b->lines);
}

/* Fills batch from pieces parsed on the reader's threads: as many rows as
 * one thread would put in it (the scores of a row may depend on where it
 * is in its batch). Returns 0, or -1 when the reader's own loop is to fill
 * the rest of it (to_one_thread). */
static int next_on_threads(lapse_table_reader *r, lapse_table_batch *batch)
{
    table_text *t = r->text;
    while (batch->n_rows < batch->capacity && !r->main.finished) {
        const int n = cut_pieces(r, batch->n_rows, batch->capacity - batch->n_rows);
        if (n < 0)
            return r->main.status == LAPSE_OK ? -1 : 0;
        if (n == 0) {
            r->main.finished = 1;
            break;
        }
        pieces_job job = { r, batch };
        const int status =
            lapse_parallel_for(t->threads, (size_t)n, 1, parse_piece, &job, &r->main.error);
        if (status != LAPSE_OK) {
            r->main.status = status;
            return 0;
        }
        /* Close up the stretches: a piece has fewer rows than record ends
         * only where it has blank lines or quoted line ends. */
        for (int i = 0; i < n; i++) {
            const text_piece *piece = &t->pieces[i];
            if (piece->first_row != batch->n_rows)
                move_rows(batch, batch->n_rows, piece->first_row, piece->rows);
            batch->n_rows += piece->rows;
        }
        const text_piece *last = &t->pieces[n - 1];
        t->start = last->start + last->len;
        t->offset = last->offset + (int64_t)last->len;
        t->line = last->end_line;
        r->main.finished = last->ends_input;
    }
    return 0;
}

void lapse_table_reader_close(lapse_table_reader *reader)
{
    if (!reader)
        return;
    lapse__foreign_rows_close(reader->foreign);
    lapse_input_csv_close(reader->main.csv);
    text_free(reader->text); /* after the loop that may hold its text */
    if (reader->npy)
        fclose(reader->npy);
    free(reader->npy_names);
    if (reader->csv_path != reader->path)
        free(reader->csv_path);
    if (reader->names)
        for (size_t i = 0; i < reader->n_columns; i++)
            free(reader->names[i]);
    free(reader->names);
    free(reader->path);
    free(reader);
}

/* A regular file that starts with NumPy's magic is a binary table: its
 * header is checked against the file's size and this lapse's schema, and
 * the CSV read becomes its rows file. Standard input and pipes are CSV
 * (sniffing would eat their first bytes). */
static int open_npy(lapse_table_reader *r)
{
    struct stat st;
    if (strcmp(r->path, "-") == 0 || stat(r->path, &st) != 0 || !S_ISREG(st.st_mode))
        return LAPSE_OK;
    FILE *file = fopen(r->path, "rb");
    if (!file)
        return LAPSE_OK; /* the CSV open names the error */
    unsigned char head[4096];
    const size_t got = fread(head, 1, sizeof head, file);
    if (got < LAPSE_NPY_MAGIC_LEN || memcmp(head, LAPSE_NPY_MAGIC, LAPSE_NPY_MAGIC_LEN) != 0) {
        fclose(file);
        return LAPSE_OK;
    }
    r->npy = file;
    char why[LAPSE_ERROR_MESSAGE_MAX];
    if (lapse__npy_header_parse(head, got, &r->npy_shape, why, sizeof why) != 0)
        return lapse_error_set(&r->main.error, LAPSE_ERR_FORMAT, r->path, 0, 0, 0, "%s", why);
    const size_t d = lapse_feature_count();
    if (r->npy_shape.columns != d)
        return lapse_error_set(&r->main.error, LAPSE_ERR_SCHEMA, r->path, 0, 0, 0,
                               ".npy has %llu feature columns, this lapse's tables %zu",
                               (unsigned long long)r->npy_shape.columns, d);
    const uint64_t want = r->npy_shape.data_offset + r->npy_shape.rows * d * sizeof(double);
    if (fstat(fileno(file), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size != want)
        return lapse_error_set(&r->main.error, LAPSE_ERR_TRUNCATED, r->path, 0, 0,
                               (int64_t)st.st_size,
                               ".npy holds %lld bytes; its header says %llu (%llu rows of %zu)",
                               (long long)st.st_size, (unsigned long long)want,
                               (unsigned long long)r->npy_shape.rows, d);
    if (fseeko(file, (off_t)r->npy_shape.data_offset, SEEK_SET) != 0)
        return lapse_error_set(&r->main.error, LAPSE_ERR_IO, r->path, 0, 0, -1, "cannot seek: %s",
                               strerror(errno));
    r->npy_names = malloc(d * sizeof *r->npy_names);
    char rows_path[4096];
    if (!r->npy_names)
        return lapse_error_set(&r->main.error, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
    for (size_t i = 0; i < d; i++)
        r->npy_names[i] = lapse_feature_get(i)->name;
    if (lapse_table_npy_rows_path(rows_path, sizeof rows_path, r->path) != 0)
        return lapse_error_set(&r->main.error, LAPSE_ERR_ARG, r->path, 0, 0, -1,
                               "a binary table's name ends in .npy (its rows are in "
                               "T.rows.csv beside it)");
    r->csv_path = strdup(rows_path);
    if (!r->csv_path) {
        r->csv_path = r->path;
        return lapse_error_set(&r->main.error, LAPSE_ERR_NOMEM, r->path, 0, 0, -1, "out of memory");
    }
    return LAPSE_OK;
}

/* Whether every value is finite, in one branch-free pass the compiler
 * vectorises: 1 added to a double's exponent field carries into its sign
 * bit exactly when the field is all ones (infinity, NaN). */
static int all_finite(const double *x, size_t count)
{
    uint64_t carries = 0;
    for (size_t k = 0; k < count; k++) {
        uint64_t bits;
        memcpy(&bits, &x[k], sizeof bits);
        carries |= (bits & 0x7ff0000000000000ull) + 0x0010000000000000ull;
    }
    return !(carries >> 63);
}

/* The values of the rows just read from a binary table's rows file: as
 * many from the .npy, every one finite; at the end, no more than it has. */
static void read_npy_values(lapse_table_reader *r, lapse_table_batch *batch)
{
    const size_t d = r->n_features, n = batch->n_rows;
    if (n > r->npy_shape.rows - r->npy_read ||
        (n && fread(batch->x, sizeof *batch->x, n * d, r->npy) != n * d)) {
        r->main.status = lapse_error_set(&r->main.error, LAPSE_ERR_TRUNCATED, r->path, 0, 0, -1,
                                         ".npy holds %llu rows; %s has more",
                                         (unsigned long long)r->npy_shape.rows, r->csv_path);
        return;
    }
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t k = 0; k < n * d; k++) {
        uint64_t b;
        memcpy(&b, &batch->x[k], sizeof b);
        b = __builtin_bswap64(b);
        memcpy(&batch->x[k], &b, sizeof b);
    }
#endif
    const int finite = all_finite(batch->x, n * d);
    for (size_t k = 0; !finite && k < n * d; k++)
        if (!isfinite(batch->x[k])) {
            const uint64_t row = r->npy_read + k / d;
            r->main.status = lapse_error_set(
                &r->main.error, LAPSE_ERR_FORMAT, r->path, 0, (int)(k % d) + 1,
                (int64_t)(r->npy_shape.data_offset + (row * d + k % d) * sizeof(double)),
                "bad value %g for feature \"%s\" in row %llu (expected a finite number)",
                batch->x[k], r->npy_names[k % d], (unsigned long long)row + 1);
            return;
        }
    r->npy_read += n;
    if (r->main.finished && r->npy_read != r->npy_shape.rows)
        r->main.status = lapse_error_set(&r->main.error, LAPSE_ERR_FORMAT, r->path, 0, 0, -1,
                                         ".npy holds %llu rows; %s has %llu",
                                         (unsigned long long)r->npy_shape.rows, r->csv_path,
                                         (unsigned long long)r->npy_read);
}

int lapse_table_reader_open(lapse_table_reader **out, const char *path, lapse_error *err)
{
    *out = NULL;
    lapse_table_reader *r = calloc(1, sizeof *r);
    if (!r)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    lapse_error_clear(&r->main.error);
    r->in_header = 1;
    r->path = strdup(path);
    if (!r->path) {
        free(r);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    r->csv_path = r->path;
    r->main.status = open_npy(r);
    if (r->main.status != LAPSE_OK)
        goto done;
    r->main.table = r;
    r->main.status = lapse_input_csv_open(&r->main.csv, r->csv_path, &table_csv, NULL, on_row,
                                          &r->main, &r->main.error);
    if (r->main.status != LAPSE_OK)
        goto done;
    lapse_input_csv_set_direct(r->main.csv, on_field, fields_so_far);
    read_meta(r);
    if (r->main.status == LAPSE_OK && r->npy && r->meta.schema_hash != lapse_feature_schema_hash())
        fail(&r->main, LAPSE_ERR_SCHEMA, 1,
             "a binary table of another feature schema (%016llx; this lapse has %016llx): "
             "extract it again",
             (unsigned long long)r->meta.schema_hash,
             (unsigned long long)lapse_feature_schema_hash());
    while (r->main.status == LAPSE_OK && r->in_header && !r->main.finished)
        feed(&r->main);
    if (r->main.status == LAPSE_OK && r->in_header)
        fail(&r->main, LAPSE_ERR_FORMAT, 0, "missing header line (user_id,asof,<features>,label)");
done:
    if (r->main.status != LAPSE_OK) {
        const int status = report(r, err);
        lapse_table_reader_close(r);
        return status;
    }
    *out = r;
    return LAPSE_OK;
}

int lapse_table_reader_open_foreign(lapse_table_reader **out, const char *path,
                                    const lapse_foreign_encoding *enc, lapse_error *err)
{
    *out = NULL;
    lapse_table_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    const int status = lapse__foreign_rows_open(&r->foreign, r->path, enc, err);
    if (status != LAPSE_OK) {
        lapse_table_reader_close(r);
        return status;
    }
    *out = r;
    return LAPSE_OK;
}

const lapse_table_meta *lapse_table_reader_meta(const lapse_table_reader *reader)
{
    return reader->foreign ? lapse__foreign_rows_meta(reader->foreign) : &reader->meta;
}

size_t lapse_table_reader_feature_count(const lapse_table_reader *reader)
{
    return reader->foreign ? lapse__foreign_rows_width(reader->foreign) : reader->n_features;
}

const char *const *lapse_table_reader_feature_names(const lapse_table_reader *reader)
{
    if (reader->npy)
        return reader->npy_names;
    return reader->foreign ? lapse__foreign_rows_names(reader->foreign)
                           : (const char *const *)reader->names + 2;
}

int lapse_table_reader_has_days_to_churn(const lapse_table_reader *reader)
{
    return !reader->foreign && reader->has_days_to_churn;
}

const char *lapse_table_reader_path(const lapse_table_reader *reader)
{
    return reader->path;
}

int lapse_table_reader_next(lapse_table_reader *reader, lapse_table_batch *batch,
                            lapse_error *err)
{
    if (reader->foreign)
        return lapse__foreign_rows_next(reader->foreign, batch, err);
    if (reader->main.status != LAPSE_OK)
        return report(reader, err);
    if (batch->n_features != reader->n_features)
        return lapse_error_set(err, LAPSE_ERR_ARG, reader->path, 0, 0, -1,
                               "batch holds %zu features per row, the table has %zu",
                               batch->n_features, reader->n_features);
    batch->n_rows = 0;
    if (!reader->text || reader->text->one_thread || next_on_threads(reader, batch) != 0) {
        reader->main.batch = batch;
        reader->main.row_x = batch->x + batch->n_rows * batch->n_features;
        while (reader->main.status == LAPSE_OK && !reader->main.finished &&
               batch->n_rows < batch->capacity)
            feed(&reader->main);
        reader->main.batch = NULL;
    }
    if (reader->npy && reader->main.status == LAPSE_OK)
        read_npy_values(reader, batch);
    if (reader->main.status != LAPSE_OK) {
        batch->n_rows = 0;
        return report(reader, err);
    }
    return (int)batch->n_rows;
}

lapse_table_batch *lapse_table_batch_create(size_t capacity, size_t n_features)
{
    if (capacity == 0 || n_features == 0 || capacity > INT_MAX ||
        n_features > SIZE_MAX / sizeof(double) / capacity)
        return NULL;
    lapse_table_batch *batch = calloc(1, sizeof *batch);
    if (!batch)
        return NULL;
    batch->capacity = capacity;
    batch->n_features = n_features;
    batch->x = malloc(capacity * n_features * sizeof *batch->x);
    batch->user_ids = malloc(capacity * sizeof *batch->user_ids);
    batch->asof = malloc(capacity * sizeof *batch->asof);
    batch->labels = malloc(capacity * sizeof *batch->labels);
    batch->days_to_churn = calloc(capacity, sizeof *batch->days_to_churn);
    batch->lines = malloc(capacity * sizeof *batch->lines);
    if (!batch->x || !batch->user_ids || !batch->asof || !batch->labels || !batch->days_to_churn ||
        !batch->lines) {
        lapse_table_batch_free(batch);
        return NULL;
    }
    return batch;
}

void lapse_table_batch_free(lapse_table_batch *batch)
{
    if (!batch)
        return;
    free(batch->x);
    free(batch->user_ids);
    free(batch->asof);
    free(batch->labels);
    free(batch->days_to_churn);
    free(batch->lines);
    free(batch);
}
