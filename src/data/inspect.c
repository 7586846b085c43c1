/* lapse inspect's pass: the reader's source and parser driven directly
 * (as lapse_reader_next does), so each event's name is at hand while it is
 * emitted; the public event carries only its category. */
#include "lapse/inspect.h"

#include "lapse/outfile.h"
#include "lapse/timeparse.h"

#include "dayhist.h"
#include "input.h"
#include "reader_internal.h"
#include "rowset.h"
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    lapse_inspect_result *r;
    reader_parser *parser;  /* its name_rows count each name's rows */
    int64_t *users;         /* per name id */
    size_t capacity;
    lapse_rowset *seen_users, *seen_pairs; /* user hashes; (user, name) hashes */
    day_hist days;
    size_t file;
    int nomem;
} scan;

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    return h ^ h >> 33;
}

/* Counts the user of a row of name id among the name's users. */
static void count_name_user(scan *s, int32_t id, uint64_t user_hash)
{
    if ((size_t)id >= s->capacity) {
        size_t capacity = s->capacity ? 2 * s->capacity : 64;
        while (capacity <= (size_t)id)
            capacity *= 2;
        int64_t *users = realloc(s->users, capacity * sizeof *users);
        if (!users) {
            s->nomem = 1;
            return;
        }
        memset(users + s->capacity, 0, (capacity - s->capacity) * sizeof *users);
        s->users = users;
        s->capacity = capacity;
    }
    uint64_t earliest;
    const uint64_t pair = mix(user_hash ^ mix((uint64_t)id + 1));
    const int pair_seen = lapse_rowset_add(s->seen_pairs, pair, 0, &earliest);
    s->users[id] += pair_seen == 0;
    s->nomem |= pair_seen < 0;
}

static void count_event(const lapse_event *event, void *user)
{
    scan *s = user;
    lapse_inspect_result *r = s->r;
    if (s->nomem)
        return;
    if (r->files[s->file].rows++ == 0 && r->rows == 0)
        r->first_ts = r->last_ts = event->ts;
    r->rows++;
    r->first_ts = event->ts < r->first_ts ? event->ts : r->first_ts;
    r->last_ts = event->ts > r->last_ts ? event->ts : r->last_ts;
    uint64_t earliest;
    const uint64_t user_hash = lapse_hash_bytes(event->user_id, event->user_id_len);
    const int seen = lapse_rowset_add(s->seen_users, user_hash, 0, &earliest);
    r->users += seen == 0;
    if (s->parser->name_id >= 0)
        count_name_user(s, s->parser->name_id, user_hash);
    if (seen < 0 || day_hist_add(&s->days, (int32_t)lapse_day_of(event->ts)) != 0)
        s->nomem = 1;
}

/* Header fields, collected by libcsv callbacks. */
typedef struct {
    lapse_inspect_file *file;
    int rows, failed;
} header_names;

static void header_field(void *data, size_t len, void *user)
{
    header_names *h = user;
    lapse_inspect_file *f = h->file;
    if (h->rows > 0 || h->failed)
        return;
    char **columns = realloc(f->columns, (f->column_count + 1) * sizeof *columns);
    char *copy = malloc(len + 1);
    if (columns)
        f->columns = columns;
    if (!columns || !copy) {
        free(copy);
        h->failed = 1;
        return;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    f->columns[f->column_count++] = copy;
}

static void header_row(int terminator, void *user)
{
    (void)terminator;
    ((header_names *)user)->rows++;
}

/* The file's format and layout as the reader found them. */
static void describe_file(lapse_inspect_file *f, lapse_input_format format,
                          const reader_columns *cols)
{
    static const char *const names[2][3] = { { "csv", "csv.gz", "csv.zst" },
                                             { "jsonl", "jsonl.gz", "jsonl.zst" } };
    f->format = names[cols->json != 0][format];
    f->layout = cols->json              ? "JSON lines"
                : cols->squeeze         ? "blank-separated"
                : cols->delimiter == '\t' ? "tab-separated"
                : cols->delimiter == ';' ? "semicolon-separated"
                                        : "comma-separated";
}

/* The header's names (reader_columns_from_header has checked the row); a
 * JSON-lines file has none: each object's keys are looked up. */
static int read_header(lapse_inspect_file *f, const text_chunk *header, const reader_columns *cols)
{
    for (int c = 0; c < LAPSE_COL_COUNT; c++)
        f->column_of[c] = -1;
    if (cols->json)
        return LAPSE_OK;
    struct csv_parser csv;
    lapse_input_csv_options opts = LAPSE_INPUT_CSV_OPTIONS_INIT;
    opts.delimiter = cols->delimiter;
    if (lapse_input_csv_init(&csv, &opts) != 0)
        return LAPSE_ERR_NOMEM;
    header_names h = { f, 0, 0 };
    text_chunk view;
    char *squeezed = NULL;
    size_t capacity = 0;
    if (reader_squeezed_view(&view, header, cols->squeeze, &squeezed, &capacity) != LAPSE_OK)
        h.failed = 1;
    else
        csv_parse(&csv, view.data, view.len, header_field, header_row, &h);
    csv_fini(&csv, header_field, header_row, &h);
    csv_free(&csv);
    free(squeezed);
    if (h.failed)
        return LAPSE_ERR_NOMEM;
    for (int i = 0; i < cols->field_count && (size_t)i < f->column_count; i++)
        if (cols->roles[i] < LAPSE_COL_COUNT)
            f->column_of[cols->roles[i]] = i;
    return LAPSE_OK;
}

/* One file through the parser, as lapse_reader's refill does. */
static int scan_file(scan *s, reader_parser *parser, const char *path,
                     const lapse_reader_options *opts, lapse_error *err)
{
    reader_source *src = NULL;
    reader_columns cols = { 0 };
    text_chunk chunk = { .file = (int)s->file };
    lapse_inspect_file *f = &s->r->files[s->file];
    f->path = path;
    int status = source_open(&src, path, err);
    if (status == LAPSE_OK)
        status = source_next(src, &chunk, err);
    if (status >= 0)
        status = reader_columns_from_header(&cols, &chunk, path, opts, err);
    if (status == LAPSE_OK) {
        describe_file(f, source_format(src), &cols);
        if (read_header(f, &chunk, &cols) != LAPSE_OK)
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    while (status == LAPSE_OK && (status = source_next(src, &chunk, err)) > 0) {
        status = reader_parser_run(parser, &cols, &chunk, err);
        if (status == LAPSE_OK && (s->nomem || parser->name_rows.nomem))
            status = lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    source_free(src);
    reader_columns_free(&cols);
    text_chunk_free(&chunk);
    return status;
}

static int by_rows(const void *a, const void *b)
{
    const lapse_inspect_name *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows > y->rows ? -1 : 1;
    const int order = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
    return order ? order : (x->len > y->len) - (x->len < y->len);
}

/* The names, their categories and guesses, most rows first. */
static int list_names(lapse_inspect_result *r, const scan *s, const lapse_category_map *map)
{
    const reader_names *names = &s->parser->name_rows;
    const size_t n = lapse_strmap_size(names->ids);
    r->names = calloc(n ? n : 1, sizeof *r->names);
    if (!r->names)
        return LAPSE_ERR_NOMEM;
    for (size_t id = 0; id < n; id++) {
        lapse_inspect_name *e = &r->names[id];
        size_t len;
        const char *key = lapse_strmap_key(names->ids, (int64_t)id, &len);
        char *copy = malloc(len ? len : 1);
        if (!copy)
            return LAPSE_ERR_NOMEM;
        memcpy(copy, key, len);
        e->name = copy;
        e->len = len;
        r->name_count++;
        e->rows = names->rows[id];
        e->users = id < s->capacity ? s->users[id] : 0;
        e->category = lapse_category_lookup(map, copy, len, &e->known);
        e->guess = lapse_category_guess(copy, len);
    }
    qsort(r->names, n, sizeof *r->names, by_rows);
    return LAPSE_OK;
}

/* The time range and the events per day over the robust range. */
static int fill_days(lapse_inspect_result *r, const day_hist *days)
{
    day_range range;
    day_hist_range(days, &range);
    if (range.events == 0)
        return LAPSE_OK;
    r->start_day = (int64_t)range.start * LAPSE_SECONDS_PER_DAY;
    r->end_day = (int64_t)range.end * LAPSE_SECONDS_PER_DAY;
    r->rows_before = range.before;
    r->rows_after = range.after;
    r->day_count = (size_t)(range.end - range.start) + 1;
    r->per_day = malloc(r->day_count * sizeof *r->per_day);
    if (!r->per_day)
        return LAPSE_ERR_NOMEM;
    memcpy(r->per_day, days->count + (range.start - days->first),
           r->day_count * sizeof *r->per_day);
    return LAPSE_OK;
}

int lapse_inspect_run(lapse_inspect_result **out, const char *const *paths, size_t count,
                      const lapse_inspect_options *opts, lapse_error *err)
{
    if (!opts || opts->max_names == 0 || opts->reader.max_bad_rows < 0)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                               "max_names must be >= 1, max_bad_rows >= 0");
    const int checked = lapse_reader_check_options(&opts->reader, err);
    if (checked != LAPSE_OK)
        return checked;
    lapse_reader_options ropts = opts->reader;
    lapse_category_map *own_map = NULL;
    if (!ropts.categories)
        ropts.categories = own_map = lapse_category_map_default();
    reader_shared shared = { .max_bad_rows = ropts.max_bad_rows };
    atomic_init(&shared.bad_rows, 0);
    atomic_init(&shared.listed, 0);
    reader_parser parser;
    int parser_ready = 0;
    scan s = { .days = DAY_HIST_INIT };
    lapse_inspect_result *r = calloc(1, sizeof *r);
    int status = LAPSE_OK;
    if (r)
        r->files = calloc(count ? count : 1, sizeof *r->files);
    s.r = r;
    s.seen_users = lapse_rowset_create();
    s.seen_pairs = lapse_rowset_create();
    if (!r || !r->files || !ropts.categories || !s.seen_users || !s.seen_pairs ||
        reader_parser_init(&parser, ropts.categories, &shared, count_event, &s) != LAPSE_OK) {
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
        goto done;
    }
    parser_ready = 1;
    parser.hash_sessions = 0;
    parser.name_rows.max = opts->max_names;
    s.parser = &parser;
    r->file_count = count;
    for (s.file = 0; s.file < count && status == LAPSE_OK; s.file++)
        status = scan_file(&s, &parser, paths[s.file], &ropts, err);
    if (status != LAPSE_OK)
        goto done;
    r->bad_rows = parser.stats.bad_rows;
    r->anonymous_rows = parser.stats.anonymous_rows;
    r->other_rows = parser.name_rows.other_rows;
    r->refund_rows = parser.stats.refund_rows;
    memcpy(r->category_rows, parser.stats.category_rows, sizeof r->category_rows);
    if (list_names(r, &s, ropts.categories) != LAPSE_OK || fill_days(r, &s.days) != LAPSE_OK)
        status = lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
done:
    if (parser_ready)
        reader_parser_free(&parser);
    lapse_rowset_free(s.seen_users);
    lapse_rowset_free(s.seen_pairs);
    free(s.users);
    day_hist_free(&s.days);
    lapse_category_map_free(own_map);
    if (status != LAPSE_OK) {
        lapse_inspect_free(r);
        return status;
    }
    *out = r;
    return LAPSE_OK;
}

void lapse_inspect_free(lapse_inspect_result *r)
{
    if (!r)
        return;
    for (size_t f = 0; f < r->file_count; f++) {
        for (size_t i = 0; i < r->files[f].column_count; i++)
            free(r->files[f].columns[i]);
        free(r->files[f].columns);
    }
    free(r->files);
    for (size_t i = 0; i < r->name_count; i++)
        free((char *)r->names[i].name);
    free(r->names);
    free(r->per_day);
    free(r);
}

int lapse_inspect_write_mapping(const lapse_inspect_result *r, FILE *out, lapse_error *err)
{
    static const char *const groups[3] = {
        "# listed in the map inspect read with:",
        "# GUESSED from the names by lapse (see datasets/README.md); check each:",
        "# no guess: other unless you choose a category:",
    };
    fprintf(out, "# draft event mapping written by lapse inspect: %zu names, most rows first.\n"
                 "# Lines starting with # are comments. Use it with --events FILE.\n"
                 "event,category\n",
            r->name_count);
    for (int g = 0; g < 3; g++) {
        int shown = 0;
        for (size_t i = 0; i < r->name_count; i++) {
            const lapse_inspect_name *e = &r->names[i];
            const int group = e->known ? 0 : e->guess >= 0 ? 1 : 2;
            /* A mapping file cannot hold an empty name, and one starting
             * with '#' would read back as a comment. */
            if (group != g || e->len == 0 || e->name[0] == '#')
                continue;
            if (!shown++)
                fprintf(out, "%s\n", groups[g]);
            lapse_outfile_put_field(out, e->name, e->len);
            fprintf(out, ",%s\n",
                    lapse_category_name(g == 0   ? e->category
                                        : g == 1 ? (lapse_category)e->guess
                                                 : LAPSE_CAT_OTHER));
        }
    }
    if (fflush(out) != 0 || ferror(out))
        return lapse_error_set(err, LAPSE_ERR_IO, NULL, 0, 0, -1, "cannot write the mapping");
    return LAPSE_OK;
}
