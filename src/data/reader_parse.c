/* Chunks of CSV text -> events, with libcsv in strict mode.
 *
 * The fast pass hands a whole chunk to libcsv. Most chunks are clean; when
 * one holds a bad row, it is parsed again line by line (the careful pass),
 * so the error can name its line without the fast pass counting lines.
 * Rows the fast pass already emitted are not emitted twice. */
#define _GNU_SOURCE /* memmem */
#include "reader_internal.h"

#include "lapse/timeparse.h"

#include "input.h"
#include "rowset.h"
#include "strmap.h"


#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const column_names[LAPSE_COL_COUNT] = {
    "user_id", "ts", "event", "amount", "session_id", "device_id", "qty", "price",
};

const char *lapse_reader_column_name(lapse_column column)
{
    return (unsigned)column < LAPSE_COL_COUNT ? column_names[column] : NULL;
}

uint64_t lapse_hash(const void *data, size_t len)
{
    return lapse_hash_bytes(data, len);
}

int lapse_reader_parse_columns(lapse_reader_options *opts, char *text, lapse_error *err)
{
    for (char *item = text; item;) {
        char *next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        if (!eq || eq == item || eq[1] == '\0')
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "--col needs NAME=COLUMN pairs, not \"%s\"", item);
        *eq = '\0';
        int found = -1;
        for (int c = 0; c < LAPSE_COL_COUNT; c++)
            if (strcmp(item, column_names[c]) == 0)
                found = c;
        if (found < 0)
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "--col: unknown column \"%s\" (expected user_id, ts, event, "
                                   "amount, session_id, device_id, qty or price)",
                                   item);
        opts->columns[found] = eq + 1;
        item = next;
    }
    return lapse_reader_check_options(opts, err);
}

int lapse_reader_parse_amount_expr(lapse_reader_options *opts, char *text, lapse_error *err)
{
    char *star = strchr(text, '*');
    if (!star || star == text || star[1] == '\0' || strchr(star + 1, '*'))
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--amount-expr: expected COLUMN*COLUMN, the product of two "
                               "columns (e.g. qty*price), not \"%s\"",
                               text);
    *star = '\0';
    opts->columns[LAPSE_COL_QTY] = text;
    opts->columns[LAPSE_COL_PRICE] = star + 1;
    return lapse_reader_check_options(opts, err);
}

int lapse_reader_check_options(const lapse_reader_options *opts, lapse_error *err)
{
    const int qty = opts->columns[LAPSE_COL_QTY] != NULL;
    const int price = opts->columns[LAPSE_COL_PRICE] != NULL;
    if (qty != price)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "--col %s needs %s too: the amount is their product",
                               qty ? "qty" : "price", qty ? "price" : "qty");
    if (qty && opts->columns[LAPSE_COL_AMOUNT])
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "the amount comes from one column (--col amount=...) or from "
                               "qty x price (--amount-expr, --col qty=...,price=...), not both");
    return LAPSE_OK;
}

/* libcsv grows a field's buffer by a fixed block, 128 bytes by default, so a
 * 10 MB field took 80 000 reallocs, each copying the field so far (minutes).
 * With 1 MB blocks the longest record we accept (64 MB) takes 64. */
#define CSV_BLOCK_BYTES (1u << 20)

static int csv_start(struct csv_parser *csv, unsigned char delimiter)
{
    const lapse_input_csv_options opts = { .delimiter = delimiter,
                                           .block_bytes = CSV_BLOCK_BYTES };
    return lapse_input_csv_init(csv, &opts);
}

int lapse_reader_parse_delimiter(lapse_reader_options *opts, const char *text, lapse_error *err)
{
    static const struct {
        const char *name;
        char delimiter;
    } names[] = { { ",", ',' }, { ";", ';' },     { "\t", '\t' },    { "\\t", '\t' },
                  { "tab", '\t' }, { " ", ' ' }, { "space", ' ' } };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(text, names[i].name) == 0) {
            opts->delimiter = names[i].delimiter;
            return LAPSE_OK;
        }
    return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                           "--delim: expected ',', ';', '\\t' (tab) or ' ' (runs of spaces and "
                           "tabs), not \"%s\"",
                           text);
}

/* Copies text into out (len bytes at most) with each run of spaces and tabs
 * outside quotes made one tab, and runs at the start or end of a line
 * dropped, so libcsv splits a whitespace-aligned log at tabs. Newlines are
 * kept: lines keep their numbers. Returns the length written. */
static size_t squeeze_blanks(char *out, const char *text, size_t len)
{
    size_t n = 0;
    int quoted = 0, line_start = 1, pending = 0;
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (!quoted && (c == ' ' || c == '\t')) {
            pending = !line_start;
            continue;
        }
        if (c == '\n' || c == '\r') {
            pending = 0;
            line_start = !quoted;
        } else {
            if (pending)
                out[n++] = '\t';
            pending = line_start = 0;
        }
        quoted ^= c == '"';
        out[n++] = c;
    }
    return n;
}

int reader_squeezed_view(text_chunk *view, const text_chunk *chunk, int squeeze, char **buf,
                         size_t *capacity)
{
    *view = *chunk;
    if (!squeeze)
        return LAPSE_OK;
    if (*capacity < chunk->len) {
        char *grown = realloc(*buf, chunk->len);
        if (!grown)
            return LAPSE_ERR_NOMEM;
        *buf = grown;
        *capacity = chunk->len;
    }
    view->data = *buf;
    view->len = squeeze_blanks(*buf, chunk->data, chunk->len);
    return LAPSE_OK;
}

/* Tab when the header line has a tab and no comma (TSV as spreadsheets and
 * databases export it); else comma. */
static unsigned char sniff_delimiter(const text_chunk *header)
{
    const char *end = memchr(header->data, '\n', header->len);
    const size_t len = end ? (size_t)(end - header->data) : header->len;
    return memchr(header->data, '\t', len) && !memchr(header->data, ',', len) ? '\t' : ',';
}

void reader_columns_free(reader_columns *cols)
{
    if (!cols)
        return;
    free(cols->roles);
    cols->roles = NULL;
    for (int c = 0; c < LAPSE_COL_COUNT; c++)
        for (int i = 0; i < READER_JSON_PATHS; i++) {
            free(cols->paths[c][i].keys);
            cols->paths[c][i].keys = NULL;
        }
}

/* Header fields, collected by libcsv callbacks. */
typedef struct {
    char **names;
    int count, capacity;
    int rows;
    int failed;
} header_fields;

static void header_field(void *data, size_t len, void *user)
{
    header_fields *h = user;
    if (h->rows > 0 || h->failed)
        return;
    if (h->count == h->capacity) {
        const int capacity = h->capacity ? h->capacity * 2 : 16;
        char **names = realloc(h->names, (size_t)capacity * sizeof *names);
        if (!names) {
            h->failed = 1;
            return;
        }
        h->names = names;
        h->capacity = capacity;
    }
    char *copy = malloc(len + 1);
    if (!copy) {
        h->failed = 1;
        return;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    h->names[h->count++] = copy;
}

static void header_row(int terminator, void *user)
{
    (void)terminator;
    ((header_fields *)user)->rows++;
}

/* A header line of which some field is a number: exports without a header
 * (CDNOW's "00001 19970101 1 11.77") start with data, and no column is ever
 * called 19970101. */
static int header_is_data(const header_fields *h)
{
    for (int i = 0; i < h->count; i++) {
        const char *name = h->names[i];
        size_t digits = 0, len = strlen(name);
        for (size_t j = 0; j < len; j++)
            digits += name[j] >= '0' && name[j] <= '9';
        if (len > 0 && digits * 2 > len)
            return 1;
    }
    return 0;
}

int reader_columns_from_header(reader_columns *cols, const text_chunk *header, const char *path,
                               const lapse_reader_options *opts, lapse_error *err)
{
    memset(cols->paths, 0, sizeof cols->paths);
    cols->strict_users = opts->strict_users;
    cols->event = opts->event;
    cols->product = opts->columns[LAPSE_COL_QTY] != NULL;
    cols->json = header->len > 0 && header->data[0] == '{';
    if (cols->json)
        return reader_json_columns(cols, path, opts, err);
    header_fields h = { 0 };
    struct csv_parser csv;
    text_chunk view;
    char *squeezed = NULL;
    size_t squeezed_capacity = 0;
    cols->squeeze = opts->delimiter == ' ';
    cols->delimiter = cols->squeeze     ? '\t'
                      : opts->delimiter ? (unsigned char)opts->delimiter
                                        : sniff_delimiter(header);
    int status = LAPSE_OK;
    if (csv_start(&csv, cols->delimiter) != 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    if (reader_squeezed_view(&view, header, cols->squeeze, &squeezed, &squeezed_capacity) != LAPSE_OK) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    header = &view;
    if (csv_parse(&csv, header->data, header->len, header_field, header_row, &h) !=
            header->len ||
        csv_fini(&csv, header_field, header_row, &h) != 0) {
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, h.count + 1, -1,
                                 "header row: %s", csv_strerror(csv_error(&csv)));
        goto done;
    }
    if (h.failed) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    cols->path = path;
    cols->field_count = h.count;
    cols->roles = malloc((size_t)(h.count ? h.count : 1));
    if (!cols->roles) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
        goto done;
    }
    memset(cols->roles, LAPSE_COL_COUNT, (size_t)h.count);
    for (int c = 0; c < LAPSE_COL_COUNT; c++) {
        const int named_only = c == LAPSE_COL_QTY || c == LAPSE_COL_PRICE;
        if ((named_only && !opts->columns[c]) || (c == LAPSE_COL_AMOUNT && cols->product))
            continue; /* not read: a product's terms only when named, its amount never */
        const char *want = opts->columns[c] ? opts->columns[c] : column_names[c];
        int at = -1;
        for (int i = 0; i < h.count; i++) {
            if (strcmp(h.names[i], want) != 0)
                continue;
            if (at >= 0) {
                status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, i + 1, -1,
                                         "column \"%s\" appears twice in the header", want);
                goto done;
            }
            at = i;
        }
        if (at >= 0 && c == LAPSE_COL_EVENT && opts->event) {
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, at + 1, -1,
                                     "--event given, but the header has an event column \"%s\" "
                                     "(leave out --event to read it)",
                                     want);
            goto done;
        }
        if (at >= 0) {
            if (cols->roles[at] != LAPSE_COL_COUNT) {
                status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, at + 1, -1,
                                         "column \"%s\" is mapped to two lapse columns", want);
                goto done;
            }
            cols->roles[at] = (unsigned char)c;
        } else if (c < LAPSE_COL_EVENT || (c == LAPSE_COL_EVENT && !opts->event)) {
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                     "no column \"%s\" in the header (the log needs user_id, ts "
                                     "and event; --col maps other names%s)%s",
                                     want, c == LAPSE_COL_EVENT ? ", --event names one for every row" : "",
                                     header_is_data(&h) ? ". The first line looks like data, not "
                                                         "a header: put one in front of the log "
                                                         "({ echo 'user_id,ts,event'; cat LOG; } "
                                                         "| lapse ... -)" : "");
            goto done;
        } else if (named_only) {
            status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                     "no column \"%s\" in the header (named as the amount's %s "
                                     "by --amount-expr or --col)",
                                     want, column_names[c]);
            goto done;
        }
    }
done:
    csv_free(&csv);
    free(squeezed);
    for (int i = 0; i < h.count; i++)
        free(h.names[i]);
    free(h.names);
    if (status != LAPSE_OK)
        reader_columns_free(cols);
    return status;
}

int reader_parser_init(reader_parser *p, const lapse_category_map *categories,
                       reader_shared *shared, reader_emit_fn emit, void *emit_user)
{
    memset(p, 0, sizeof *p);
    p->categories = categories;
    p->shared = shared;
    p->emit = emit;
    p->emit_user = emit_user;
    p->hash_sessions = 1;
    p->name_id = -1;
    for (size_t i = 0; i < READER_NAME_CACHE; i++)
        p->names[i].id = -1;
    if (reader_names_init(&p->name_rows) != LAPSE_OK)
        return LAPSE_ERR_NOMEM;
    if (csv_start(&p->csv, ',') != 0) {
        reader_names_free(&p->name_rows);
        return LAPSE_ERR_NOMEM;
    }
    p->csv_ready = 1;
    return LAPSE_OK;
}

void reader_parser_free(reader_parser *p)
{
    if (!p)
        return;
    if (p->csv_ready) {
        csv_free(&p->csv);
        p->csv_ready = 0;
    }
    reader_names_free(&p->name_rows);
    free(p->squeezed);
    p->squeezed = NULL;
    p->squeezed_capacity = 0;
    reader_json_free(p->json);
    p->json = NULL;
    free(p->repeats);
    p->repeats = NULL;
    p->repeats_len = p->repeats_capacity = 0;
}

size_t reader_escape(char *out, size_t cap, const char *text, size_t len)
{
    size_t pos = 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)text[i];
        const size_t need = c < 0x20 || c == 0x7f ? 4 : 1;
        if (pos + need >= cap)
            break;
        if (need == 4)
            snprintf(out + pos, 5, "\\x%02x", c);
        else
            out[pos] = (char)c;
        pos += need;
    }
    out[pos] = '\0';
    return pos;
}

typedef char example_name[LAPSE_READER_NAME_SHOWN];

/* Keeps the LAPSE_READER_EXAMPLES alphabetically first distinct names, in
 * order and escaped, so the examples a run reports print as one line and do
 * not depend on which thread saw which row. */
static void keep_example(example_name *names, size_t *count, const char *name, size_t len)
{
    example_name candidate;
    reader_escape(candidate, sizeof candidate, name, len);
    size_t at = 0;
    int order = 1;
    while (at < *count && (order = strcmp(names[at], candidate)) < 0)
        at++;
    if (order == 0 || at == LAPSE_READER_EXAMPLES)
        return;
    const size_t kept = *count < LAPSE_READER_EXAMPLES ? (*count)++ : LAPSE_READER_EXAMPLES - 1;
    memmove(names[at + 1], names[at], (kept - at) * sizeof candidate);
    memcpy(names[at], candidate, sizeof candidate);
}

/* A row's place in the log, ordered by file, then line. */
static uint64_t log_position(size_t file, int64_t line)
{
    return (uint64_t)file << 44 | (uint64_t)line;
}

/* Keeps the repeat that comes first in the log (then the earliest row it
 * repeats). Whichever thread sees which copy first, that pair is among
 * those seen (the row set keeps each row's earliest position), so the
 * example does not depend on timing. */
static void keep_repeat(lapse_reader_stats *stats, size_t file, int64_t line, size_t of_file,
                        int64_t of_line)
{
    if (stats->repeat_line) {
        const uint64_t at = log_position(file, line);
        const uint64_t kept = log_position(stats->repeat_file, stats->repeat_line);
        if (at > kept ||
            (at == kept && log_position(of_file, of_line) >=
                               log_position(stats->repeat_of_file, stats->repeat_of_line)))
            return;
    }
    stats->repeat_file = file;
    stats->repeat_line = line;
    stats->repeat_of_file = of_file;
    stats->repeat_of_line = of_line;
}

void reader_stats_merge(lapse_reader_stats *dst, const lapse_reader_stats *src)
{
    dst->events += src->events;
    dst->bad_rows += src->bad_rows;
    dst->anonymous_rows += src->anonymous_rows;
    dst->unknown_rows += src->unknown_rows;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++)
        dst->category_rows[c] += src->category_rows[c];
    for (size_t i = 0; i < src->unknown_examples; i++)
        keep_example(dst->unknown_names, &dst->unknown_examples, src->unknown_names[i],
                     strlen(src->unknown_names[i]));
    dst->amount_rows += src->amount_rows;
    dst->refund_rows += src->refund_rows;
    for (size_t i = 0; i < src->amount_examples; i++)
        keep_example(dst->amount_names, &dst->amount_examples, src->amount_names[i],
                     strlen(src->amount_names[i]));
    dst->repeated_rows += src->repeated_rows;
    if (src->repeat_line)
        keep_repeat(dst, src->repeat_file, src->repeat_line, src->repeat_of_file,
                    src->repeat_of_line);
}

/* Folds one field (its lapse column and a hash or value) into the row's hash. */
static void hash_field(reader_parser *p, lapse_column column, uint64_t value)
{
    uint64_t h = p->row_hash ^ (value + 0x9e3779b97f4a7c15ull * (uint64_t)(column + 1));
    h *= 0xbf58476d1ce4e5b9ull;
    p->row_hash = h ^ h >> 31;
}


void reader_mark_bad(reader_parser *p, int column, const char *fmt, ...)
{
    if (p->bad)
        return; /* the first problem in a row is the one reported */
    p->bad = 1;
    p->bad_column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->bad_message, sizeof p->bad_message, fmt, ap);
    va_end(ap);
}

/* A field as messages show it: its first 64 bytes, escaped. */
static const char *shown(char out[4 * 64 + 8], const char *text, size_t len)
{
    const size_t pos = reader_escape(out, 4 * 64 + 1, text, len > 64 ? 64 : len);
    if (len > 64)
        memcpy(out + pos, "...", 4);
    return out;
}

static void hash_number(reader_parser *p, lapse_column column, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    hash_field(p, column, bits);
}

/* Strict: digits, one optional fraction and exponent; strtod's spaces, hex,
 * inf and nan are refused before it sees them. what names the value in a
 * message ("amount", "qty", "price"); its magnitude is at most
 * LAPSE_AMOUNT_MAX (negative: a refund, or a returned quantity). text is
 * NUL-terminated. Out of line (as are the other paths with a message
 * buffer) so on_field's frame stays small. */
__attribute__((noinline)) static int parse_number(reader_parser *p, int column, const char *what,
                                                  const char *text, size_t len, double *out)
{
    char show[4 * 64 + 8];
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' ||
              c == '-')) {
            reader_mark_bad(p, column, "bad %s \"%s\"", what, shown(show, text, len));
            return -1;
        }
    }
    char *end;
    errno = 0;
    const double value = strtod(text, &end);
    if (errno || end != text + len || !isfinite(value) || fabs(value) > LAPSE_AMOUNT_MAX) {
        reader_mark_bad(p, column, "bad %s \"%s\" (expected a number from -%g to %g)", what,
                        shown(show, text, len), LAPSE_AMOUNT_MAX, LAPSE_AMOUNT_MAX);
        return -1;
    }
    *out = value + 0.0; /* -0 becomes 0 */
    return 0;
}

static void parse_amount(reader_parser *p, int column, const char *text, size_t len)
{
    if (parse_number(p, column, "amount", text, len, &p->event.amount) != 0)
        return;
    p->event.has_amount = 1;
    if (p->shared->rows)
        hash_number(p, LAPSE_COL_AMOUNT, p->event.amount);
}

/* One term of the amount's product (cols->product). */
static void parse_term(reader_parser *p, lapse_column role, int column, const char *text,
                       size_t len)
{
    const int qty = role == LAPSE_COL_QTY;
    double value;
    if (parse_number(p, column, column_names[role], text, len, &value) != 0)
        return;
    *(qty ? &p->qty : &p->price) = value;
    *(qty ? &p->has_qty : &p->has_price) = 1;
    if (!qty)
        p->price_column = column;
    if (p->shared->rows)
        hash_number(p, role, value);
}

/* The amount as qty x price, when the row has both. */
__attribute__((noinline)) static void take_product(reader_parser *p)
{
    if (!p->has_qty || !p->has_price)
        return;
    const double amount = p->qty * p->price + 0.0;
    if (fabs(amount) > LAPSE_AMOUNT_MAX) {
        reader_mark_bad(p, p->price_column, "amount qty x price = %g x %g is beyond %g", p->qty,
                        p->price, LAPSE_AMOUNT_MAX);
        return;
    }
    p->event.amount = amount;
    p->event.has_amount = 1;
}

/* Text logs hold no NUL bytes; runs of them are what a crash leaves in a
 * preallocated file. Fields with one would reach the output cut short or
 * merge two users, so the row is bad. The chunk is searched once, and the
 * fields only when it holds one. */
static int has_nul(reader_parser *p, int column, const char *what, const char *text, size_t len)
{
    if (!p->chunk_has_nul || !memchr(text, '\0', len))
        return 0;
    reader_mark_bad(p, column, "NUL byte in the %s", what);
    return 1;
}

/* In the fast pass after a bad row, and in the careful pass before it, rows
 * are read but not acted on. */
static int ignoring(const reader_parser *p)
{
    return p->first_bad_row >= 0 && (!p->careful || p->row_index < p->first_bad_row);
}

/* Whether text is empty or only spaces and tabs (a quoted field keeps them). */
static int blank(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (text[i] != ' ' && text[i] != '\t')
            return 0;
    return 1;
}

/* The user id when the chunk holds a NUL byte, the length is wrong or it
 * starts with a blank. An empty or blank one is an anonymous row, skipped
 * and counted unless cols->strict_users. */
__attribute__((noinline)) static void odd_user_id(reader_parser *p, int column, const char *text,
                                                  size_t len)
{
    if (has_nul(p, column, "user id", text, len))
        return;
    if (blank(text, len)) {
        if (p->cols->strict_users)
            reader_mark_bad(p, column, "empty user id");
        else
            p->anonymous = 1;
        return;
    }
    if (len > LAPSE_USER_ID_MAX) {
        reader_mark_bad(p, column, "user id longer than %d bytes", LAPSE_USER_ID_MAX);
        return;
    }
    memcpy(p->user_id, text, len);
    p->user_id_at = p->user_id;
    p->event.user_id_len = len;
}

__attribute__((noinline)) static void bad_timestamp(reader_parser *p, int column, const char *text,
                                                    size_t len, int status)
{
    char show[4 * 64 + 8];
    reader_mark_bad(p, column, "bad timestamp \"%s\"%s", shown(show, text, len),
                    status == LAPSE_ERR_RANGE ? " (before 1970 or after 2199)" : "");
}

/* The name's id for the rows per name: its first bytes, as inspect shows. */
static int32_t name_id(reader_parser *p, const char *text, size_t len)
{
    return reader_names_id(&p->name_rows, text,
                           len < sizeof p->event_name ? len : sizeof p->event_name);
}

/* Probes up to 4 slots from the name's home slot; a name not there is
 * looked up in the map (and given its id), hashed, and put in the first
 * empty slot, or the home slot when all 4 are taken. *hash: the name's
 * lapse_hash_bytes. */
static lapse_category event_category(reader_parser *p, const char *text, size_t len, int *known,
                                     uint64_t *hash)
{
    if (len == 0 || len > sizeof p->names[0].name) {
        p->name_id = name_id(p, text, len);
        *hash = lapse_hash_bytes(text, len);
        return lapse_category_lookup(p->categories, text, len, known);
    }
    const uint32_t key = (uint32_t)len | (uint32_t)(unsigned char)text[0] << 8 |
                         (uint32_t)(unsigned char)text[len - 1] << 16 |
                         (uint32_t)(unsigned char)text[len / 2] << 24;
    const size_t home = (key * 2654435761u) >> 26; /* 6 bits: READER_NAME_CACHE slots */
    reader_name_slot *slot = NULL;
    for (size_t i = 0; i < 4; i++) {
        reader_name_slot *s = &p->names[(home + i) % READER_NAME_CACHE];
        if (s->len_plus_one == 0) {
            slot = s;
            break;
        }
        if (s->len_plus_one == len + 1 && memcmp(s->name, text, len) == 0) {
            *known = s->known;
            p->name_id = s->id;
            *hash = s->hash;
            return (lapse_category)s->category;
        }
    }
    if (!slot)
        slot = &p->names[home];
    const lapse_category category = lapse_category_lookup(p->categories, text, len, known);
    slot->len_plus_one = (uint8_t)(len + 1);
    slot->category = (uint8_t)category;
    slot->known = (uint8_t)*known;
    slot->id = p->name_id = name_id(p, text, len);
    slot->hash = *hash = lapse_hash_bytes(text, len);
    memcpy(slot->name, text, len);
    return category;
}

/* One value of the row; column is 1-based, for messages (0: none). text
 * is NUL-terminated for the number columns (reader_take_field). */
static inline void take_field(reader_parser *p, int role, int column, const char *text,
                              size_t len)
{
    const int field = column - 1;
    switch (role) {
    case LAPSE_COL_USER_ID:
        if (p->chunk_has_nul || len == 0 || len > LAPSE_USER_ID_MAX || text[0] == ' ' ||
            text[0] == '\t') {
            odd_user_id(p, field + 1, text, len);
            return;
        }
        if (p->values_last_row) {
            p->user_id_at = text;
        } else {
            memcpy(p->user_id, text, len);
            p->user_id_at = p->user_id;
        }
        p->event.user_id_len = len;
        if (p->shared->rows)
            hash_field(p, LAPSE_COL_USER_ID, lapse_hash_bytes(text, len));
        return;
    case LAPSE_COL_TS: {
        const int status = lapse_time_parse(&p->event.ts, text, len);
        if (status != LAPSE_OK)
            bad_timestamp(p, field + 1, text, len, status);
        else if (p->shared->rows)
            hash_field(p, LAPSE_COL_TS, (uint64_t)p->event.ts);
        return;
    }
    case LAPSE_COL_EVENT: {
        if (has_nul(p, field + 1, "event name", text, len))
            return;
        p->event_name_len = len < sizeof p->event_name ? len : sizeof p->event_name;
        if (p->values_last_row) {
            p->event_name_at = text;
        } else {
            memcpy(p->event_name, text, p->event_name_len);
            p->event_name_at = p->event_name;
        }
        int known;
        uint64_t hash;
        p->event.category = event_category(p, text, len, &known, &hash);
        if (p->shared->rows)
            hash_field(p, LAPSE_COL_EVENT, hash);
        if (!known) {
            p->unknown_name = 1;
            p->unknown_len = len < sizeof p->unknown_text ? len : sizeof p->unknown_text;
            memcpy(p->unknown_text, text, p->unknown_len);
        }
        return;
    }
    case LAPSE_COL_AMOUNT:
        if (len > 0)
            parse_amount(p, field + 1, text, len);
        return;
    case LAPSE_COL_SESSION_ID:
        if (len > 0 && !has_nul(p, field + 1, "session id", text, len)) {
            p->event.has_session = 1;
            if (p->hash_sessions || p->shared->rows) {
                p->event.session_hash = lapse_hash_bytes(text, len);
                if (p->shared->rows)
                    hash_field(p, LAPSE_COL_SESSION_ID, p->event.session_hash);
            }
        }
        return;
    case LAPSE_COL_DEVICE_ID:
        if (len > 0 && !has_nul(p, field + 1, "device id", text, len)) {
            p->event.has_device = 1;
            p->event.device_hash = lapse_hash_bytes(text, len);
            if (p->shared->rows)
                hash_field(p, LAPSE_COL_DEVICE_ID, p->event.device_hash);
        }
        return;
    case LAPSE_COL_QTY:
    case LAPSE_COL_PRICE:
        if (len > 0)
            parse_term(p, (lapse_column)role, field + 1, text, len);
        return;
    default: return;
    }
}

static void on_field(void *data, size_t len, void *user)
{
    reader_parser *p = user;
    const int field = p->field++;
    if (p->skip_row || field >= p->cols->field_count)
        return;
    take_field(p, p->cols->roles[field], field + 1, data, len);
}

void reader_take_field(reader_parser *p, lapse_column role, int column, const char *text,
                       size_t len)
{
    take_field(p, role, column, text, len);
}

static void reset_row(reader_parser *p)
{
    p->skip_row = ignoring(p);
    p->field = 0;
    p->bad = 0;
    p->anonymous = 0;
    p->unknown_name = 0;
    p->event.has_amount = p->event.has_session = p->event.has_device = 0;
    p->event.amount = 0;
    p->event.session_hash = p->event.device_hash = 0;
    p->row_hash = 0;
    p->has_qty = p->has_price = 0;
    p->name_id = -1;
}

static void skip_bad_row(reader_parser *p)
{
    lapse_error here = LAPSE_ERROR_INIT;
    lapse_error_set(&here, LAPSE_ERR_FORMAT, p->cols->path, p->record_line, p->bad_column, -1,
                    "%s", p->bad_message);
    const long long bad = atomic_fetch_add(&p->shared->bad_rows, 1) + 1;
    if (bad > p->shared->max_bad_rows) {
        if (p->shared->max_bad_rows == 0) {
            *p->err = here;
            p->status = here.code;
        } else {
            p->status = lapse_error_set(p->err, LAPSE_ERR_LIMIT, p->cols->path, p->record_line,
                                        p->bad_column, -1, "more than %lld bad rows; this one: %s",
                                        (long long)p->shared->max_bad_rows, p->bad_message);
        }
        return;
    }
    p->stats.bad_rows++;
    if (atomic_fetch_add(&p->shared->listed, 1) < LAPSE_READER_EXAMPLES) {
        char line[LAPSE_ERROR_PATH_MAX + LAPSE_ERROR_MESSAGE_MAX + 64];
        lapse_log(LAPSE_LOG_WARN, "skipped bad row: %s", lapse_error_format(&here, line, sizeof line));
    }
}

static void emit_row(reader_parser *p)
{
    p->event.user_id = p->user_id_at;
    p->stats.events++;
    p->stats.unknown_rows += p->unknown_name;
    /* Only rows that count give examples: a skipped bad row does not. */
    if (p->unknown_name)
        keep_example(p->stats.unknown_names, &p->stats.unknown_examples, p->unknown_text,
                     p->unknown_len);
    if (p->event.has_amount && p->event.amount < 0) {
        p->stats.refund_rows++;
        if (p->event.category == LAPSE_CAT_PURCHASE)
            p->event.category = LAPSE_CAT_OTHER; /* a refund is no purchase */
    } else if (p->event.has_amount && p->event.amount > 0 &&
               p->event.category != LAPSE_CAT_PURCHASE) {
        p->stats.amount_rows++;
        keep_example(p->stats.amount_names, &p->stats.amount_examples, p->event_name_at,
                     p->event_name_len);
    }
    p->stats.category_rows[p->event.category]++;
    if (p->name_id >= 0)
        p->name_rows.rows[p->name_id]++;
    else
        p->name_rows.other_rows++;
    p->emit(&p->event, p->emit_user);
}

static void emit_dropped(reader_parser *p)
{
    p->event.user_id = p->user_id_at;
    p->event.dropped = 1;
    p->emit(&p->event, p->emit_user);
    p->event.dropped = 0;
}

/* A row at pos that repeats the row at earliest, into the stats. */
static void count_repeat(uint64_t pos, uint64_t earliest, void *stats)
{
    lapse_reader_stats *s = stats;
    s->repeated_rows++;
    const uint64_t first = earliest < pos ? earliest : pos, then = earliest < pos ? pos : earliest;
    keep_repeat(s, (size_t)(then >> 44), (int64_t)(then & ((1ull << 44) - 1)),
                (size_t)(first >> 44), (int64_t)(first & ((1ull << 44) - 1)));
}

static int repeats_no_memory(reader_parser *p, int64_t line)
{
    return p->status = lapse_error_set(p->err, LAPSE_ERR_NOMEM, p->cols->path, line, 0, -1,
                                       "out of memory (finding repeated rows; see --help)");
}

/* Whether the good row just read repeats an earlier row of the read. Its
 * line: the careful pass knows it; the fast pass runs only on chunks of one
 * row per line (reader_parser_run). Dropping needs the answer now; counting
 * does not, so then the row waits to be handed over with the rest of its
 * chunk (defer_repeats), is counted when the read ends, and this returns 0. */
static int repeats_earlier(reader_parser *p, int64_t row)
{
    const int64_t line = p->careful ? p->record_line : p->chunk_line + row;
    const uint64_t here = log_position(p->chunk_file, line);
    if (!p->shared->drop_repeats) {
        if (p->repeats_len == p->repeats_capacity) {
            const size_t capacity = p->repeats_capacity ? 2 * p->repeats_capacity : 4096;
            lapse_rowset_row *grown = realloc(p->repeats, capacity * sizeof *grown);
            if (!grown) {
                repeats_no_memory(p, line);
                return 0;
            }
            p->repeats = grown;
            p->repeats_capacity = capacity;
        }
        p->repeats[p->repeats_len++] = (lapse_rowset_row){ p->row_hash, here };
        return 0;
    }
    uint64_t earliest;
    const int found = lapse_rowset_add(p->shared->rows, p->row_hash, here, &earliest);
    if (found < 0)
        repeats_no_memory(p, line);
    if (found <= 0)
        return 0;
    count_repeat(here, earliest, &p->stats);
    return 1;
}

/* Hands the chunk's rows waiting in p->repeats to the set, to be counted
 * when the read ends (reader_settle_repeats). */
static void defer_repeats(reader_parser *p)
{
    const size_t n = p->repeats_len;
    p->repeats_len = 0;
    if (n && p->status == LAPSE_OK && lapse_rowset_defer(p->shared->rows, p->repeats, n) != 0)
        repeats_no_memory(p, p->chunk_line);
}

int reader_settle_repeats(reader_shared *shared, int keep, lapse_reader_stats *stats)
{
    if (!shared->rows || shared->drop_repeats)
        return LAPSE_OK;
    return lapse_rowset_settle(shared->rows, keep, count_repeat, stats) == 0 ? LAPSE_OK
                                                                           : LAPSE_ERR_NOMEM;
}

/* Emits a row read without a problem, or skips (or fails on) a bad one. */
static void finish_row(reader_parser *p, int64_t row)
{
    if (!p->bad && p->cols->event)
        take_field(p, LAPSE_COL_EVENT, 0, p->cols->event, strlen(p->cols->event));
    if (!p->bad && p->cols->product)
        take_product(p);
    if (!p->bad && p->anonymous) {
        p->stats.anonymous_rows++;
    } else if (!p->bad) {
        const int repeat = p->shared->rows && repeats_earlier(p, row);
        if (p->status == LAPSE_OK) {
            if (repeat && p->shared->drop_repeats)
                emit_dropped(p);
            else
                emit_row(p);
        }
    } else if (!p->careful) {
        p->first_bad_row = row;
    } else {
        skip_bad_row(p);
    }
}

static void on_row(int terminator, void *user)
{
    (void)terminator;
    reader_parser *p = user;
    const int fields = p->field;
    const int64_t row = p->row_index;
    p->at_record_start = 1;
    if (!ignoring(p) && p->status == LAPSE_OK) {
        if (fields != p->cols->field_count)
            reader_mark_bad(p,
                            (fields < p->cols->field_count ? fields : p->cols->field_count) + 1,
                            "row has %d field%s, the header has %d", fields,
                            fields == 1 ? "" : "s", p->cols->field_count);
        finish_row(p, row);
    }
    p->row_index = row + 1;
    reset_row(p);
}

void reader_end_row(reader_parser *p)
{
    if (p->status == LAPSE_OK)
        finish_row(p, p->row_index);
    p->row_index++;
    reset_row(p);
}

static int reset_csv(reader_parser *p, lapse_error *err)
{
    csv_free(&p->csv);
    p->csv_ready = 0;
    if (csv_start(&p->csv, p->cols->delimiter) != 0)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, p->cols->path, 0, 0, -1, "out of memory");
    p->csv_ready = 1;
    return LAPSE_OK;
}

/* Feeds the chunk one line at a time, so every record knows its line. */
static int careful_pass(reader_parser *p, const text_chunk *chunk)
{
    int status = reset_csv(p, p->err);
    if (status != LAPSE_OK)
        return status;
    p->careful = 1;
    p->row_index = 0;
    p->piece_line = chunk->first_line;
    p->record_line = chunk->first_line;
    p->at_record_start = 1;
    reset_row(p);
    size_t pos = 0;
    while (pos < chunk->len && p->status == LAPSE_OK) {
        const char *nl = memchr(chunk->data + pos, '\n', chunk->len - pos);
        const size_t end = nl ? (size_t)(nl - chunk->data) + 1 : chunk->len;
        if (p->at_record_start && chunk->data[pos] != '\n' && chunk->data[pos] != '\r') {
            p->record_line = p->piece_line;
            p->at_record_start = 0;
        }
        if (csv_parse(&p->csv, chunk->data + pos, end - pos, on_field, on_row, p) !=
                end - pos &&
            p->status == LAPSE_OK)
            p->status = lapse_error_set(p->err, LAPSE_ERR_FORMAT, p->cols->path, p->piece_line,
                                        p->field + 1, -1, "%s (a stray or unclosed quote)",
                                        csv_strerror(csv_error(&p->csv)));
        p->piece_line++;
        pos = end;
    }
    if (p->status == LAPSE_OK && csv_fini(&p->csv, on_field, on_row, p) != 0 &&
        p->status == LAPSE_OK)
        p->status = lapse_error_set(p->err, LAPSE_ERR_FORMAT, p->cols->path, p->record_line,
                                    p->field + 1, -1, "unterminated quoted field");
    p->careful = 0;
    status = p->status;
    if (status == LAPSE_OK)
        return LAPSE_OK;
    reset_csv(p, p->err);
    return status;
}

/* Whether some line of the chunk is not one whole row: a blank line, or a
 * newline inside quotes. */
static int rows_span_lines(const text_chunk *chunk)
{
    const char *data = chunk->data;
    const size_t len = chunk->len;
    if (len && (data[0] == '\n' || (len > 1 && data[0] == '\r' && data[1] == '\n')))
        return 1;
    if (memmem(data, len, "\n\n", 2) || memmem(data, len, "\n\r\n", 3))
        return 1;
    if (!memchr(data, '"', len))
        return 0;
    int quoted = 0;
    for (size_t i = 0; i < len; i++) {
        quoted ^= data[i] == '"';
        if (quoted && data[i] == '\n')
            return 1;
    }
    return 0;
}

static int parse_chunk(reader_parser *p, const reader_columns *cols, const text_chunk *whole,
                       lapse_error *err)
{
    text_chunk view;
    if (reader_squeezed_view(&view, whole, cols->squeeze, &p->squeezed, &p->squeezed_capacity) !=
        LAPSE_OK)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, cols->path, 0, 0, -1, "out of memory");
    const text_chunk *chunk = &view;
    /* Each file has its own delimiter; libcsv is between records here. */
    csv_set_delim(&p->csv, cols->delimiter);
    p->cols = cols;
    p->err = err;
    p->status = LAPSE_OK;
    p->careful = 0;
    p->row_index = 0;
    p->first_bad_row = -1;
    p->chunk_has_nul = memchr(chunk->data, '\0', chunk->len) != NULL;
    p->chunk_line = chunk->first_line;
    p->chunk_file = (size_t)chunk->file;
    reset_row(p);
    if (cols->json)
        return reader_json_run(p, chunk);
    /* Repeats name their lines: the fast pass knows them only when each
     * line is one row. */
    if (p->shared->rows && rows_span_lines(chunk))
        return careful_pass(p, chunk);
    int clean = csv_parse(&p->csv, chunk->data, chunk->len, on_field, on_row, p) == chunk->len;
    if (clean && p->first_bad_row < 0)
        clean = csv_fini(&p->csv, on_field, on_row, p) == 0;
    if (p->status != LAPSE_OK)
        return p->status;
    if (clean && p->first_bad_row < 0)
        return LAPSE_OK;
    if (p->first_bad_row < 0)
        p->first_bad_row = p->row_index; /* libcsv stopped inside this record */
    return careful_pass(p, chunk);
}

int reader_parser_run(reader_parser *p, const reader_columns *cols, const text_chunk *whole,
                      lapse_error *err)
{
    const int status = parse_chunk(p, cols, whole, err);
    if (status != LAPSE_OK) {
        p->repeats_len = 0;
        return status;
    }
    defer_repeats(p);
    return p->status;
}
