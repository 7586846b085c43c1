/* The JSON lines reader's fast pass (src/data/reader_json.c: a chunk in one
 * yajl call) reads what the lines read one at a time read: random logs of
 * good lines, blank lines and every kind of bad line give the same events
 * and, for each bad row in turn, the same error (line, column, message). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reader_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

enum { LINES = 120, MAX_EVENTS = 4 * LINES };

typedef struct {
    char user[64];
    int64_t ts;
    int category;
    int has_amount, has_session, has_device;
    double amount;
    uint64_t session_hash, device_hash;
} seen_event;

typedef struct {
    seen_event ev[MAX_EVENTS];
    size_t n;
} seen;

static void keep(const lapse_event *e, void *user)
{
    seen *s = user;
    assert_true(s->n < MAX_EVENTS);
    seen_event *k = &s->ev[s->n++];
    memset(k, 0, sizeof *k);
    assert_true(e->user_id_len < sizeof k->user);
    memcpy(k->user, e->user_id, e->user_id_len);
    k->ts = e->ts;
    k->category = (int)e->category;
    k->has_amount = e->has_amount;
    k->amount = e->amount;
    k->has_session = e->has_session;
    k->session_hash = e->session_hash;
    k->has_device = e->has_device;
    k->device_hash = e->device_hash;
}

/* One random line (no line end) into out; a few kinds take two lines. */
static void random_line(char *out, size_t size)
{
    const unsigned u = rnd(9), day = 1 + rnd(28);
    char good[256];
    snprintf(good, sizeof good,
             "{\"userId\":\"u%u\",\"timestamp\":\"2026-01-%02uT%02u:00:00Z\",\"event\":\"%s\"%s}", u,
             day, rnd(24), rnd(2) ? "login" : "purchase",
             rnd(2) ? ",\"properties\":{\"revenue\":12.5},\"session_id\":\"s1\",\"device_id\":\"d\""
                    : "");
    switch (rnd(24)) {
    case 0: snprintf(out, size, "%s%s", good, good); break;          /* two objects */
    case 1: snprintf(out, size, "%s %s", good, good); break;
    case 2: snprintf(out, size, "{\"user_id\":\"u%u\",\n\"ts\":1,\"event\":\"a\"}", u); break;
    case 3: snprintf(out, size, "%s x", good); break;                /* text after it */
    case 4: snprintf(out, size, "%s", rnd(2) ? "[1]" : "5"); break;  /* no object */
    case 5: snprintf(out, size, "\"s\" %s", good); break;
    case 6: snprintf(out, size, "\f%s", good); break;                /* blanks yajl skips */
    case 7: snprintf(out, size, "%s\v", good); break;
    case 8: snprintf(out, size, "{oops"); break;
    case 9: snprintf(out, size, "{\"user_id\":\"u\",\"ts\":\"soon\",\"event\":\"a\"}"); break;
    case 10: snprintf(out, size, "{\"user_id\":\"u\",\"event\":\"a\"}"); break; /* no ts */
    case 11: snprintf(out, size, "%s", rnd(2) ? "" : " \t\r"); break;          /* blank */
    case 12: snprintf(out, size, "  %s\t ", good); break;
    case 13: snprintf(out, size, "{\"ts\":\"2026-01-02\",\"event\":\"login\"}"); break; /* anonymous */
    case 14:
        snprintf(out, size, "{\"user_id\":\"a\\\"b\\\\\\u00e9\",\"ts\":\"2026-01-02\","
                            "\"type\":\"purchase\",\"amount\":\"3\",\"x\":[{\"amount\":5}]}");
        break;
    case 15: snprintf(out, size, "{\"user_id\":\"u%u\",\"event\":\"login\",\"ts\":1767312000}", u); break;
    case 16: snprintf(out, size, "%s\r", good); break;
    case 17: snprintf(out, size, "{\"user_id\":{},\"ts\":1,\"event\":\"a\"}"); break;
    default: snprintf(out, size, "%s", good); break;
    }
}

/* A random log of LINES lines, maybe without the last line end. */
static size_t random_log(char *text, size_t size)
{
    size_t len = 0;
    for (int i = 0; i < LINES; i++) {
        char line[600];
        random_line(line, sizeof line);
        const char *end = i == LINES - 1 && rnd(2) ? "" : rnd(4) ? "\n" : "\r\n";
        len += (size_t)snprintf(text + len, size - len, "%s%s", line, end);
        assert_true(len < size);
    }
    return len;
}

typedef struct {
    int status;
    lapse_error err;
    seen events;
    lapse_reader_stats stats;
} outcome;

/* Reads text as chunks: the whole of it, or each line its own chunk. */
static void read_text(outcome *out, const char *text, size_t len, int by_line,
                      int64_t max_bad_rows)
{
    memset(out, 0, sizeof *out);
    lapse_category_map *categories = lapse_category_map_default();
    assert_non_null(categories);
    reader_shared shared = { 0 };
    shared.max_bad_rows = max_bad_rows;
    reader_parser p;
    assert_int_equal(reader_parser_init(&p, categories, &shared, keep, &out->events), LAPSE_OK);
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    reader_columns cols = { 0 };
    const text_chunk header = { (char *)"{", 1, 1, 1, 0 };
    assert_int_equal(reader_columns_from_header(&cols, &header, "t.jsonl", &opts, &out->err),
                     LAPSE_OK);
    text_chunk chunk = { 0 };
    int64_t line = 1;
    for (size_t pos = 0; pos < len && out->status == LAPSE_OK;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        const size_t end = !by_line ? len : nl ? (size_t)(nl - text) + 1 : len;
        chunk.data = (char *)text + pos;
        chunk.len = end - pos;
        chunk.first_line = line;
        out->status = reader_parser_run(&p, &cols, &chunk, &out->err);
        line++;
        pos = end;
    }
    out->stats = p.stats;
    reader_columns_free(&cols);
    reader_parser_free(&p);
    lapse_category_map_free(categories);
}

static void expect_same(const outcome *a, const outcome *b, int seed, int64_t max_bad)
{
    if (a->status != b->status || a->err.line != b->err.line || a->err.column != b->err.column ||
        strcmp(a->err.message, b->err.message) != 0)
        fail_msg("seed %d, max_bad_rows %lld: chunk %d at %lld:%d \"%s\", lines %d at %lld:%d "
                 "\"%s\"",
                 seed, (long long)max_bad, a->status, (long long)a->err.line, a->err.column,
                 a->err.message, b->status, (long long)b->err.line, b->err.column, b->err.message);
    assert_int_equal(a->events.n, b->events.n);
    assert_memory_equal(a->events.ev, b->events.ev, a->events.n * sizeof *a->events.ev);
    assert_int_equal(a->stats.bad_rows, b->stats.bad_rows);
    assert_int_equal(a->stats.anonymous_rows, b->stats.anonymous_rows);
    assert_int_equal(a->stats.events, b->stats.events);
}

static void chunk_reads_as_its_lines(void **state)
{
    (void)state;
    static char text[LINES * 700];
    static outcome whole, lines;
    int rows_checked = 0;
    for (int seed = 1; seed <= 40; seed++) {
        rng_state = (uint64_t)seed;
        const size_t len = random_log(text, sizeof text);
        /* Each bad row in turn is the one past the budget. */
        for (int64_t max_bad = 0;; max_bad++) {
            read_text(&whole, text, len, 0, max_bad);
            read_text(&lines, text, len, 1, max_bad);
            expect_same(&whole, &lines, seed, max_bad);
            rows_checked++;
            if (whole.status == LAPSE_OK)
                break;
        }
        assert_true(whole.events.n > LINES / 4);
    }
    assert_true(rows_checked > 40 * 5); /* the logs had bad rows to check */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunk_reads_as_its_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
