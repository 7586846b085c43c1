/* Internal: the reader in two halves, so extract can run them on different
 * threads.
 *
 * A source turns one file into text chunks, each starting at a record
 * boundary (cut after a newline outside quotes, by quote parity) and knowing
 * its first line number. A parser turns chunks into events with its own
 * libcsv state; any parser can take any chunk of any file. */
#ifndef LAPSE_READER_INTERNAL_H
#define LAPSE_READER_INTERNAL_H

#include "lapse/reader.h"

#include "input.h"

#include <csv.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A JSON key path: the keys from the outside in ("properties", "revenue"),
 * in keys one after another, each NUL-terminated, and where each starts. */
#define READER_JSON_DEPTH 16 /* keys in a path at most */
typedef struct {
    char *keys;
    int depth;
    const char *key[READER_JSON_DEPTH];
    size_t len[READER_JSON_DEPTH];
} reader_json_path;

#define READER_JSON_PATHS 3 /* candidate keys per lapse column, tried in order */

/* How a file's header maps its columns onto lapse's. Built once per file by
 * the thread that reads it, then only read. */
typedef struct {
    const char *path;
    int json;             /* JSON lines: paths instead of field_count and roles */
    reader_json_path paths[LAPSE_COL_COUNT][READER_JSON_PATHS];
    int field_count;      /* fields per row */
    unsigned char *roles; /* per field: a lapse_column, or LAPSE_COL_COUNT to ignore */
    unsigned char delimiter; /* libcsv's; '\t' for runs of whitespace */
    int squeeze;          /* runs of spaces and tabs are one delimiter (squeeze_blanks) */
    int strict_users;     /* lapse_reader_options.strict_users */
    const char *event;    /* lapse_reader_options.event: every row's, no event column */
    int product;          /* the amount is qty x price (LAPSE_COL_QTY and _PRICE named) */
} reader_columns;

void reader_columns_free(reader_columns *cols);


typedef struct {
    char *data;
    size_t len, capacity;
    int64_t first_line; /* 1-based line of data[0] */
    int file;           /* index of the file it came from */
} text_chunk;

void text_chunk_free(text_chunk *chunk);

typedef struct reader_source reader_source;

/* Target chunk size (the cutter finishes the record it is in). */
#define READER_CHUNK_BYTES (512u * 1024u)

int source_open(reader_source **out, const char *path, lapse_error *err);

/* Fills chunk with the next run of whole records (swapping buffers with the
 * source, so chunk->data may change). The first call returns only the
 * header record (without a BOM); for JSON lines (text starting with '{')
 * that is a copy of the first line, which the next chunk holds again.
 * Returns 1, 0 at the end, or <0. */
int source_next(reader_source *src, text_chunk *chunk, lapse_error *err);

/* Compressed (or plain) bytes read so far. */
int64_t source_bytes_read(const reader_source *src);

/* "csv" or "csv.gz": what the file holds, told by its first bytes. */
lapse_input_format source_format(const reader_source *src);

void source_free(reader_source *src); /* accepts NULL */

/* Reads the header chunk into cols. */
int reader_columns_from_header(reader_columns *cols, const text_chunk *header, const char *path,
                               const lapse_reader_options *opts, lapse_error *err);

/* Text as libcsv is to see it: the chunk, or with squeeze its runs of blanks
 * made one tab in buf (grown as needed; the caller frees it). Returns 0 or
 * LAPSE_ERR_NOMEM. */
int reader_squeezed_view(text_chunk *view, const text_chunk *chunk, int squeeze, char **buf,
                         size_t *capacity);

/* Bad-row budget and the rows seen, shared by all parsers of one read. */
typedef struct {
    int64_t max_bad_rows;
    atomic_llong bad_rows;
    atomic_int listed;
    struct lapse_rowset *rows; /* NULL: repeats are not looked for (LAPSE_DUPS_KEEP) */
    int drop_repeats;          /* LAPSE_DUPS_DROP */
} reader_shared;

typedef void (*reader_emit_fn)(const lapse_event *event, void *user);

/* Rows per event name as the parser emits them, for lapse inspect's table
 * and extract's refusal of a log without key events. A name gets its id
 * when it misses the name cache below (rare: a log has a few dozen names),
 * so counting a row costs one increment. Names are cut at 256 bytes. */
#define READER_NAMES_MAX 10000
typedef struct {
    struct lapse_strmap *ids; /* name -> id */
    int64_t *rows;            /* [id] */
    size_t capacity;
    size_t max;               /* names given an id; rows of later ones are other_rows */
    int64_t other_rows;
    int nomem;                /* an id could not be given: its rows are other_rows */
} reader_names;

/* The name's id, given one while fewer than names->max have one; -1 past
 * that, or out of memory (nomem set). */
int32_t reader_names_id(reader_names *names, const char *name, size_t len);

/* Adds src's rows per name into dst. Returns 0 or LAPSE_ERR_NOMEM. */
int reader_names_merge(reader_names *dst, const reader_names *src);

/* The ids of at most k names with the most rows, most first (ties by
 * name); returns how many. */
size_t reader_names_top(const reader_names *names, size_t *ids, size_t k);

int reader_names_init(reader_names *names);
void reader_names_free(reader_names *names);

/* A direct-mapped cache of event names seen and their categories: a log has
 * a few dozen names in millions of rows, and the map's hash and probe cost
 * more than the whole rest of a field. Names up to 29 bytes are cached. */
#define READER_NAME_CACHE 64 /* a power of 2: event_category takes 6 hash bits */
typedef struct {
    uint8_t len_plus_one; /* 0 = empty */
    uint8_t category;
    uint8_t known;
    char name[29];
    int32_t id;           /* in reader_names; -1 none */
    uint64_t hash;        /* lapse_hash_bytes of the name, for the row's hash */
} reader_name_slot;

typedef struct {
    struct csv_parser csv;
    int csv_ready;
    const lapse_category_map *categories;
    reader_shared *shared;
    reader_emit_fn emit;
    void *emit_user;
    int hash_sessions;      /* fill event.session_hash (1 after init) */
    lapse_reader_stats stats;
    reader_name_slot names[READER_NAME_CACHE];
    reader_names name_rows;

    /* The chunk being parsed. */
    const reader_columns *cols;
    int careful;            /* parsing line by line to name lines */
    int skip_row;           /* ignoring(): the record being read is not acted on */
    int64_t row_index;      /* records seen in this chunk */
    int64_t first_bad_row;  /* fast pass: the first bad record, -1 none */
    int64_t piece_line;     /* careful pass: line of the piece being fed */
    int64_t record_line;    /* careful pass: line where the record began */
    int at_record_start;
    int chunk_has_nul;      /* the chunk holds a NUL byte somewhere */
    int64_t chunk_line;     /* its first line */
    size_t chunk_file;      /* its file's index */
    int status;             /* first fatal error, LAPSE_OK otherwise */
    lapse_error *err;
    struct reader_json *json; /* JSON lines' parser state; created on the first one */
    char *squeezed;         /* the chunk with its blank runs squeezed (cols->squeeze) */
    size_t squeezed_capacity;

    /* The record being assembled. */
    int field;              /* 0-based index of the next field */
    int bad;                /* the row has a problem */
    int bad_column;         /* 1-based column of the first problem, 0 none (JSON values) */
    char bad_message[200];
    int anonymous;          /* the row has no user id (skipped unless cols->strict_users) */
    int unknown_name;
    char unknown_text[64]; /* its first bytes, kept as an example once the row is good */
    size_t unknown_len;
    /* Its first bytes, for the stats' examples and inspect's counts (as
     * long as the longest name a mapping file holds): in event_name, or
     * where the value is when it lasts the row (values_last_row). */
    char event_name[256];
    const char *event_name_at;
    size_t event_name_len;
    int32_t name_id;       /* its id in name_rows, -1 none */
    /* With cols->product: the quantity and price read so far, and the
     * price's column for a message. */
    double qty, price;
    int has_qty, has_price, price_column;
    uint64_t row_hash;     /* of the fields read, when shared->rows is set */
    /* The chunk's good rows, when repeats are only counted: deferred to
     * shared->rows at once when the chunk ends (one lock per shard, not per
     * row), and counted when the read ends (reader_settle_repeats). */
    struct lapse_rowset_row *repeats;
    size_t repeats_len, repeats_capacity;
    lapse_event event;
    char user_id[LAPSE_USER_ID_MAX];
    const char *user_id_at; /* the user id: user_id, or the value itself (values_last_row) */
    /* The values reader_take_field is given last until the row ends (JSON
     * lines: in the chunk), so the user id and event name are kept where
     * they are; libcsv reuses its field buffer, so CSV's are copied. */
    int values_last_row;
} reader_parser;

int reader_parser_init(reader_parser *p, const lapse_category_map *categories,
                       reader_shared *shared, reader_emit_fn emit, void *emit_user);
void reader_parser_free(reader_parser *p);

/* Counts the repeats among the rows deferred by every parser of the read
 * into stats (nothing when repeats are dropped, or not looked for); keep
 * as lapse_rowset_settle's. Once, after the last chunk. Returns 0 or
 * LAPSE_ERR_NOMEM. */
int reader_settle_repeats(reader_shared *shared, int keep, lapse_reader_stats *stats);

/* Parses one chunk (which starts at a record boundary) of the file cols
 * describes, emitting its events in order. Returns 0 or <0 (err set). */
int reader_parser_run(reader_parser *p, const reader_columns *cols, const text_chunk *chunk,
                      lapse_error *err);

/* For the parsers of each format (reader_parse.c holds CSV's): */

/* Marks the row bad at column (1-based, 0: none) unless it already is. */
void reader_mark_bad(reader_parser *p, int column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Takes one value of the row for lapse column role: len bytes of text,
 * NUL-terminated for the number columns (amount, qty, price: strtod reads
 * them). */
void reader_take_field(reader_parser *p, lapse_column role, int column, const char *text,
                       size_t len);

/* Ends the row at p->record_line: emits it, or skips or fails on it if bad. */
void reader_end_row(reader_parser *p);

/* Fills cols for a JSON lines file: the keys of opts->columns, else the
 * defaults (datasets/README.md). Returns 0 or LAPSE_ERR_NOMEM. */
int reader_json_columns(reader_columns *cols, const char *path, const lapse_reader_options *opts,
                        lapse_error *err);

/* Parses a chunk of JSON lines; as reader_parser_run. */
int reader_json_run(reader_parser *p, const text_chunk *chunk);

void reader_json_free(struct reader_json *json); /* accepts NULL */

/* Copies text into out (cap bytes, NUL included) with control bytes (NUL,
 * CR, ESC...) as \\xNN, so it prints as one readable line; stops where the
 * next byte would not fit. Returns the length written. */
size_t reader_escape(char *out, size_t cap, const char *text, size_t len);

/* Adds src's counts and examples into dst. */
void reader_stats_merge(lapse_reader_stats *dst, const lapse_reader_stats *src);

#endif
