/* The reader: headers, columns, delimiters, JSON lines, gzip, and every kind of bad input with its
 * file, line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(data, 1, len, f);
    fclose(f);
}

static void write_gzip(const char *path, const char *text)
{
    gzFile gz = gzopen(path, "wb");
    gzwrite(gz, text, (unsigned)strlen(text));
    gzclose(gz);
}

/* Reads all events; returns the status of the last call. */
static int read_all(const char *path, const lapse_reader_options *opts, lapse_event *events,
                    char ids[][32], size_t *count, lapse_error *err)
{
    const char *paths[] = { path };
    lapse_reader *r = NULL;
    assert_int_equal(lapse_reader_open(&r, paths, 1, opts, err), LAPSE_OK);
    int status;
    *count = 0;
    lapse_event e;
    while ((status = lapse_reader_next(r, &e, err)) > 0) {
        if (*count < 16) {
            events[*count] = e;
            snprintf(ids[*count], 32, "%.*s", (int)e.user_id_len, e.user_id);
        }
        (*count)++;
    }
    lapse_reader_free(r);
    return status;
}

static void columns_any_order_bom_crlf_quotes(void **state)
{
    (void)state;
    test_write_text("r1.csv", "\xef\xbb\xbf" "extra,event,ts,user_id,amount\r\n"
                         "x,login,2026-01-02,u1,\r\n"
                         "x,purchase,1767312000,\"u,2\",12.5\r\n"
                         "\"multi\nline\",Checkout,2026-01-02T00:00:00+01:00,u3,0\r\n");
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(read_all("r1.csv", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "u1");
    assert_int_equal(ev[0].category, LAPSE_CAT_ACTIVITY);
    assert_int_equal(ev[0].ts, 1767312000);
    assert_false(ev[0].has_amount);
    assert_string_equal(ids[1], "u,2");
    assert_true(ev[1].has_amount);
    assert_float_equal(ev[1].amount, 12.5, 0);
    assert_int_equal(ev[2].category, LAPSE_CAT_OTHER);
    assert_int_equal(ev[2].ts, 1767312000 - 3600);
    assert_false(ev[1].has_session);
    remove("r1.csv");
}

/* TSV is told by its header; ';' and blank runs are asked for; a quoted
 * field keeps its blanks and delimiters. */
static void delimiters(void **state)
{
    (void)state;
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("rd.tsv", "user_id\tts\tevent\tamount\nu,1\t2026-01-02\tpurchase\t2\n");
    assert_int_equal(read_all("rd.tsv", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "u,1");
    assert_float_equal(ev[0].amount, 2, 0);
    /* A comma in the header: comma-separated, so the tab is inside a name. */
    test_write_text("rd2.tsv", "user_id,ts,event\tx\nu,2026-01-02,login\ty\n");
    assert_int_equal(read_all("rd2.tsv", NULL, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "no column \"event\""));

    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    assert_int_equal(lapse_reader_parse_delimiter(&opts, ";", &err), LAPSE_OK);
    test_write_text("rd.ssv", "user_id;ts;event\n\"a;b\";2026-01-02;login\n");
    assert_int_equal(read_all("rd.ssv", &opts, ev, ids, &n, &err), 0);
    assert_string_equal(ids[0], "a;b");

    assert_int_equal(lapse_reader_parse_delimiter(&opts, "space", &err), LAPSE_OK);
    assert_int_equal(opts.delimiter, ' ');
    test_write_text("rd.ws", "  user_id   ts \t event  amount\r\n"
                             "\"a b\"\t2026-01-02 purchase \"\" \n"
                             "   \n"
                             "c  1767312000\t\tlogin  3\n");
    assert_int_equal(read_all("rd.ws", &opts, ev, ids, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "a b");
    assert_false(ev[0].has_amount);
    assert_string_equal(ids[1], "c");
    assert_int_equal(ev[1].ts, 1767312000);
    assert_float_equal(ev[1].amount, 3, 0);
    /* Lines keep their numbers: line 5 has one field too many. */
    test_write_text("rd2.ws", "user_id ts event\nu 2026-01-02 login\n\n  \nu 2026-01-02 login x\n");
    assert_int_equal(read_all("rd2.ws", &opts, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 5);

    assert_int_equal(lapse_reader_parse_delimiter(&opts, "|", &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "not \"|\""));
    remove("rd.tsv");
    remove("rd2.tsv");
    remove("rd.ssv");
    remove("rd.ws");
    remove("rd2.ws");
}

/* JSON lines: told by the first byte; default and nested keys; numbers
 * and strings; escapes and unicode; missing keys and bad JSON located. */
static void json_lines(void **state)
{
    (void)state;
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("rj.jsonl",
                    "{\"userId\":\"u1\",\"timestamp\":1767312000,\"event\":\"login\"}\r\n"
                    "\n"
                    "{\"user_id\":\"a\\\"b\\\\\\u00e9\\ud83d\\ude00\",\"ts\":\"2026-01-02\","
                    "\"type\":\"purchase\",\"amount\":12.50,\"extra\":[1,{\"x\":null}]}\n"
                    "  {\"user\":\"u3\",\"time\":\"2026-01-02T01:00:00Z\",\"event_name\":\"login\","
                    "\"amount\":null,\"session_id\":\"s\"}");
    assert_int_equal(read_all("rj.jsonl", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "u1");
    assert_int_equal(ev[0].ts, 1767312000);
    assert_string_equal(ids[1], "a\"b\\\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(ev[1].category, LAPSE_CAT_PURCHASE);
    assert_float_equal(ev[1].amount, 12.5, 0);
    assert_string_equal(ids[2], "u3");
    assert_false(ev[2].has_amount);
    assert_true(ev[2].has_session);

    /* --col takes nested keys; a key --col names replaces the defaults. */
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    char cols[] = "user_id=ctx.user.id,amount=properties.revenue";
    assert_int_equal(lapse_reader_parse_columns(&opts, cols, &err), LAPSE_OK);
    test_write_text("rj2.jsonl",
                    "{\"ctx\":{\"user\":{\"id\":7}},\"ts\":\"2026-01-02\",\"event\":\"purchase\","
                    "\"properties\":{\"revenue\":\"3\"}}\n");
    assert_int_equal(read_all("rj2.jsonl", &opts, ev, ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "7");
    assert_float_equal(ev[0].amount, 3, 0);
    test_write_text("rj2.jsonl", "{\"user_id\":\"x\",\"ts\":\"2026-01-02\",\"event\":\"login\"}\n");
    opts.strict_users = 1;
    assert_int_equal(read_all("rj2.jsonl", &opts, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 1);
    assert_string_equal(err.message, "no user_id (looked for key ctx.user.id)");

    static const struct {
        const char *line;
        int column;
        const char *message;
    } bad[] = {
        { "{\"user_id\":\"u\",\"ts\":\"2026-01-02\",\"event\":\"login\",}", 50, "bad JSON" },
        { "{\"user_id\":\"u\",\"ts\":\"2026-01-02\"", 0, "the line ends inside a value" },
        { "{\"user_id\":\"u\",\"ts\":\"2026-01-02\",\"event\":\"login\"} x", 51,
          "text after the JSON object" },
        { "[1]", 1, "a JSON array, not an object" },
        { "{\"user_id\":\"u\",\"event\":\"login\"}", 0, "no ts (looked for key ts, timestamp, time)" },
        { "{\"user_id\":{},\"ts\":1,\"event\":\"a\"}", 0, "is a JSON object, not a string" },
        { "{\"user_id\":\"u\",\"ts\":\"soon\",\"event\":\"login\"}", 0, "bad timestamp \"soon\"" },
        { "{\"user_id\":\"u\\u0000v\",\"ts\":1,\"event\":\"a\"}", 0, "NUL byte in the user id" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"user_id\":\"ok\",\"ts\":1,\"event\":\"a\"}\n%s\n", bad[i].line);
        test_write_text("rj3.jsonl", text);
        if (read_all("rj3.jsonl", NULL, ev, ids, &n, &err) != LAPSE_ERR_FORMAT || err.line != 2 ||
            !strstr(err.message, bad[i].message) ||
            (bad[i].column && err.column != bad[i].column))
            fail_msg("case %zu: line %lld column %d: %s", i, (long long)err.line, err.column,
                     err.message);
    }
    /* A key twice: the last value counts; a null is absent (the next key is
     * tried); a boolean is its text; keys inside arrays belong to no path. */
    test_write_text("rj4.jsonl",
                    "{\"user_id\":\"a\",\"user_id\":\"b\",\"ts\":null,\"timestamp\":2,"
                    "\"event\":\"login\",\"x\":[{\"amount\":5}],\"session_id\":true}\n");
    assert_int_equal(read_all("rj4.jsonl", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "b");
    assert_int_equal(ev[0].ts, 2);
    assert_false(ev[0].has_amount);
    assert_true(ev[0].has_session);
    /* A path of more than 16 keys is refused before any row. */
    lapse_reader_options deep = LAPSE_READER_OPTIONS_INIT;
    char deep_cols[] = "user_id=a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q";
    assert_int_equal(lapse_reader_parse_columns(&deep, deep_cols, &err), LAPSE_OK);
    assert_int_equal(read_all("rj4.jsonl", &deep, ev, ids, &n, &err), LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "at most 16 keys"));
    remove("rj4.jsonl");

    /* --max-bad-rows skips them as it does CSV rows. */
    opts = (lapse_reader_options)LAPSE_READER_OPTIONS_INIT;
    opts.max_bad_rows = 1;
    test_write_text("rj3.jsonl", "{\"user_id\":\"ok\",\"ts\":1,\"event\":\"a\"}\n{oops\n"
                                 "{\"user_id\":\"ok2\",\"ts\":1,\"event\":\"a\"}\n");
    assert_int_equal(read_all("rj3.jsonl", &opts, ev, ids, &n, &err), 0);
    assert_int_equal(n, 2);
    remove("rj.jsonl");
    remove("rj2.jsonl");
    remove("rj3.jsonl");
}

static void remapped_columns_and_stats(void **state)
{
    (void)state;
    test_write_text("r2.csv", "uid,time,action,sid,dev\n"
                         "a,2026-01-01,login,s1,d1\n"
                         "b,2026-01-01,Weird,,\n"
                         "c,2026-01-01,Weird,s1,d1\n"
                         "d,2026-01-01,Odd,s2,\n");
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    char spec[] = "user_id=uid,ts=time,event=action,session_id=sid,device_id=dev";
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_reader_parse_columns(&opts, spec, &err), LAPSE_OK);
    const char *paths[] = { "r2.csv" };
    lapse_reader *r;
    assert_int_equal(lapse_reader_open(&r, paths, 1, &opts, &err), LAPSE_OK);
    lapse_event e;
    assert_int_equal(lapse_reader_next(r, &e, &err), 1);
    assert_true(e.has_session && e.has_device);
    assert_true(e.session_hash == lapse_hash("s1", 2));
    assert_true(e.device_hash == lapse_hash("d1", 2));
    assert_int_equal(lapse_reader_next(r, &e, &err), 1);
    assert_false(e.has_session || e.has_device);
    while (lapse_reader_next(r, &e, &err) > 0)
        ;
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    assert_int_equal(stats.events, 4);
    assert_int_equal(stats.unknown_rows, 3);
    assert_int_equal(stats.unknown_examples, 2);
    /* Examples are kept in alphabetical order, whatever the row order. */
    assert_string_equal(stats.unknown_names[0], "Odd");
    assert_string_equal(stats.unknown_names[1], "Weird");
    lapse_reader_free(r);

    char bad[] = "user=uid";
    assert_int_equal(lapse_reader_parse_columns(&opts, bad, &err), LAPSE_ERR_ARG);
    remove("r2.csv");
}

static void missing_column_is_named(void **state)
{
    (void)state;
    test_write_text("r3.csv", "user_id,when,event\nu,2026-01-01,login\n");
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(read_all("r3.csv", NULL, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "no column \"ts\""));
    assert_string_equal(err.path, "r3.csv");
    assert_int_equal(err.line, 1);
    remove("r3.csv");
}

/* One bad row after a quoted field with a newline: its line counts that
 * newline too. */
static void expect_bad(const char *row, int column, const char *message)
{
    char text[512];
    snprintf(text, sizeof text,
             "user_id,ts,event,amount\n"
             "u1,2026-01-01,login,\n"
             "\"u\n2\",2026-01-01,login,\n"
             "%s\n"
             "u9,2026-01-01,login,\n",
             row);
    test_write_text("r4.csv", text);
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.strict_users = 1; /* an empty user id is a bad row, not skipped */
    assert_int_equal(read_all("r4.csv", &opts, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.path, "r4.csv");
    assert_int_equal(err.line, 5);
    assert_int_equal(err.column, column);
    if (!strstr(err.message, message))
        fail_msg("message \"%s\" lacks \"%s\"", err.message, message);
    remove("r4.csv");
}

static void bad_rows_name_file_line_column(void **state)
{
    (void)state;
    expect_bad("u3,2026-13-01,login,", 2, "bad timestamp \"2026-13-01\"");
    expect_bad("u3,2026-01-01,login,-2e12", 4, "bad amount \"-2e12\" (expected a number from -1e+12");
    expect_bad("u3,2026-01-01,login,1e999", 4, "bad amount");
    expect_bad("u3,2026-01-01,login,nan", 4, "bad amount");
    expect_bad("u3,2026-01-01,login, 0x10", 4, "bad amount");
    expect_bad(",2026-01-01,login,", 1, "empty user id");
    expect_bad("u3,2026-01-01,login", 4, "row has 3 fields, the header has 4");
    expect_bad("u3,2026-01-01,login,,extra", 5, "row has 5 fields");
    char long_id[300];
    memset(long_id, 'x', 257);
    snprintf(long_id + 257, sizeof long_id - 257, ",2026-01-01,login,");
    expect_bad(long_id, 1, "longer than 256 bytes");
    expect_bad("u3,2026-01-01,lo\"gin,", 3, "stray or unclosed quote");
}

static void max_bad_rows_skips_then_fails(void **state)
{
    (void)state;
    test_write_text("r5.csv", "user_id,ts,event\n"
                         "a,2026-01-01,login\n"
                         "b,yesterday,login\n"
                         "c,2026-01-01,login\n"
                         "d,2026-01-01\n"
                         "e,2026-01-01,login\n");
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.max_bad_rows = 2;
    const char *paths[] = { "r5.csv" };
    lapse_reader *r;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_reader_open(&r, paths, 1, &opts, &err), LAPSE_OK);
    lapse_event e;
    char seen[8] = "";
    while (lapse_reader_next(r, &e, &err) > 0)
        strncat(seen, e.user_id, 1);
    assert_string_equal(seen, "ace");
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    assert_int_equal(stats.bad_rows, 2);
    lapse_reader_free(r);

    /* A skipped row's unknown event name is no example of what was read. */
    test_write_text("r6.csv", "user_id,ts,event\n"
                         "u1,2026-01-01,login\n"
                         "u2,2026-01-02,from_bad_row,extra\n"
                         "u3,2026-01-03,real_unknown\n");
    const char *skip_paths[] = { "r6.csv" };
    opts.max_bad_rows = 1;
    assert_int_equal(lapse_reader_open(&r, skip_paths, 1, &opts, &err), LAPSE_OK);
    while (lapse_reader_next(r, &e, &err) > 0)
        ;
    lapse_reader_get_stats(r, &stats);
    assert_int_equal(stats.unknown_rows, 1);
    assert_int_equal(stats.unknown_examples, 1);
    assert_string_equal(stats.unknown_names[0], "real_unknown");
    lapse_reader_free(r);
    remove("r6.csv");
    opts.max_bad_rows = 2;

    opts.max_bad_rows = 1;
    assert_int_equal(lapse_reader_open(&r, paths, 1, &opts, &err), LAPSE_OK);
    int status;
    while ((status = lapse_reader_next(r, &e, &err)) > 0)
        ;
    assert_int_equal(status, LAPSE_ERR_LIMIT);
    assert_int_equal(err.line, 5);
    assert_non_null(strstr(err.message, "more than 1 bad rows"));
    lapse_reader_free(r);
    remove("r5.csv");
}

static void gzip_members_and_damage(void **state)
{
    (void)state;
    /* Two members, as cat a.gz b.gz makes: one stream. */
    write_gzip("r6a.gz", "user_id,ts,event\nu1,2026-01-01,login\n");
    write_gzip("r6b.gz", "u2,2026-01-02,login\n");
    FILE *out = fopen("r6.csv.gz", "wb");
    char buf[4096];
    size_t got, total = 0;
    for (int i = 0; i < 2; i++) {
        FILE *in = fopen(i ? "r6b.gz" : "r6a.gz", "rb");
        while ((got = fread(buf + total, 1, sizeof buf - total, in)) > 0)
            total += got;
        fclose(in);
    }
    fwrite(buf, 1, total, out);
    fclose(out);
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(read_all("r6.csv.gz", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ids[1], "u2");

    /* Truncated: the error names the file and the byte where it ends. */
    write_bytes("r6t.gz", buf, total - 7);
    assert_int_equal(read_all("r6t.gz", NULL, ev, ids, &n, &err), LAPSE_ERR_GZIP);
    assert_string_equal(err.path, "r6t.gz");
    assert_int_equal(err.offset, (int64_t)(total - 7));
    assert_non_null(strstr(err.message, "truncated"));

    /* Corrupt: a damaged byte inside the deflate data of the first member. */
    char bad[4096];
    memcpy(bad, buf, total);
    bad[12] ^= 0x55;
    bad[13] ^= 0xff;
    write_bytes("r6c.gz", bad, total);
    const int status = read_all("r6c.gz", NULL, ev, ids, &n, &err);
    assert_int_equal(status, LAPSE_ERR_GZIP);
    assert_true(err.offset >= 10 && err.offset <= (int64_t)total);
    remove("r6a.gz");
    remove("r6b.gz");
    remove("r6.csv.gz");
    remove("r6t.gz");
    remove("r6c.gz");
}

static void empty_file_and_header_only(void **state)
{
    (void)state;
    test_write_text("r7.csv", "");
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(read_all("r7.csv", NULL, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "empty file"));
    test_write_text("r7.csv", "user_id,ts,event");
    assert_int_equal(read_all("r7.csv", NULL, ev, ids, &n, &err), 0);
    assert_int_equal(n, 0);
    remove("r7.csv");
}

/* Reads paths with the dups mode; returns the events read, stats in *stats. */
static int64_t count_events(const char *const *paths, size_t n, lapse_dups dups,
                        lapse_reader_stats *stats)
{
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.dups = dups;
    lapse_error err = LAPSE_ERROR_INIT;
    lapse_reader *r;
    assert_int_equal(lapse_reader_open(&r, paths, n, &opts, &err), LAPSE_OK);
    lapse_event e;
    int64_t events = 0;
    int got;
    while ((got = lapse_reader_next(r, &e, &err)) > 0)
        events++;
    assert_int_equal(got, 0);
    lapse_reader_get_stats(r, stats);
    lapse_reader_free(r);
    return events;
}

static void repeated_rows_and_amounts(void **state)
{
    (void)state;
    /* Line 4 differs from line 2 only in a column lapse does not read; line
     * 6 only in the amount's spelling; the quoted name on lines 7-8 spans
     * two lines, so the second file's rows are counted carefully. */
    test_write_text("rep1.csv", "user_id,ts,event,amount,note\n"
                                "a,2026-01-01T10:00:00Z,view_item,5,x\n"
                                "a,2026-01-01T10:00:01Z,view_item,5,x\n"
                                "a,2026-01-01T10:00:00Z,view_item,5,y\n"
                                "b,2026-01-01,purchase,9.5,\n"
                                "b,2026-01-01,purchase,9.50,\n"
                                "c,2026-01-01,\"two\nlines\",0,\n");
    test_write_text("rep2.csv", "user_id,ts,event,amount\n"
                                "\n"
                                "c,2026-01-01,\"two\nlines\",0\n"
                                "b,2026-01-01,purchase,9.5\n");
    const char *paths[] = { "rep1.csv", "rep2.csv" };
    lapse_reader_stats st;
    assert_int_equal(count_events(paths, 2, LAPSE_DUPS_COUNT, &st), 8);
    assert_int_equal(st.repeated_rows, 4);
    assert_int_equal(st.repeat_file, 0);
    assert_int_equal(st.repeat_line, 4);
    assert_int_equal(st.repeat_of_file, 0);
    assert_int_equal(st.repeat_of_line, 2);
    /* Only non-zero amounts on events other than purchases. */
    assert_int_equal(st.amount_rows, 3);
    assert_int_equal(st.amount_examples, 1);
    assert_string_equal(st.amount_names[0], "view_item");

    assert_int_equal(count_events(paths, 2, LAPSE_DUPS_DROP, &st), 4);
    assert_int_equal(st.repeated_rows, 4);
    assert_int_equal(st.events, 4);
    assert_int_equal(count_events(paths, 2, LAPSE_DUPS_KEEP, &st), 8);
    assert_int_equal(st.repeated_rows, 0);
    assert_int_equal(st.repeat_line, 0);

    /* Lines count blank lines and newlines in quotes: rep2's first row
     * begins on line 3. */
    const char *twice[] = { "rep2.csv", "rep2.csv" };
    assert_int_equal(count_events(twice, 2, LAPSE_DUPS_DROP, &st), 2);
    assert_int_equal(st.repeated_rows, 2);
    assert_int_equal(st.repeat_file, 1);
    assert_int_equal(st.repeat_line, 3);
    assert_int_equal(st.repeat_of_file, 0);
    assert_int_equal(st.repeat_of_line, 3);
}

/* Rows without a user id (empty, blank when quoted, no JSON key) are
 * skipped and counted, or with strict_users bad; --event gives a log
 * without an event column every row's event, and refuses one with it. */
static void anonymous_rows_and_fixed_event(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("ra.csv", "user_id,ts,amount\nu1,2026-01-02,5\n,2026-01-02,1\n"
                              "\" \t\",2026-01-03,2\n\" u2\",2026-01-03,3\n");
    test_write_text("ra.jsonl", "{\"ts\":1767312000,\"event\":\"login\"}\n"
                                "{\"user_id\":\"u\",\"ts\":1767312000,\"event\":\"login\"}\n");
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    opts.event = "purchase";
    const char *paths[] = { "ra.csv", "ra.jsonl" };
    lapse_reader *r = NULL;
    assert_int_equal(lapse_reader_open(&r, paths, 2, &opts, &err), LAPSE_OK);
    lapse_event e;
    char ids[4][32];
    int n = 0, status;
    while ((status = lapse_reader_next(r, &e, &err)) > 0) {
        assert_true(n < 4);
        assert_int_equal(e.category, LAPSE_CAT_PURCHASE);
        snprintf(ids[n++], 32, "%.*s", (int)e.user_id_len, e.user_id);
    }
    assert_int_equal(status, 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "u1");
    assert_string_equal(ids[1], " u2");
    assert_string_equal(ids[2], "u");
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    assert_int_equal(stats.anonymous_rows, 3);
    assert_int_equal(stats.bad_rows, 0);
    assert_int_equal(stats.category_rows[LAPSE_CAT_PURCHASE], 3);
    lapse_reader_free(r);

    opts.strict_users = 1;
    assert_int_equal(lapse_reader_open(&r, paths, 1, &opts, &err), LAPSE_OK);
    while ((status = lapse_reader_next(r, &e, &err)) > 0)
        ;
    assert_int_equal(status, LAPSE_ERR_FORMAT);
    assert_int_equal(err.line, 3);
    assert_int_equal(err.column, 1);
    assert_string_equal(err.message, "empty user id");
    lapse_reader_free(r);

    test_write_text("ra2.csv", "user_id,ts,event\nu1,2026-01-02,login\n");
    paths[0] = "ra2.csv";
    assert_int_equal(lapse_reader_open(&r, paths, 1, &opts, &err), LAPSE_OK);
    assert_int_equal(lapse_reader_next(r, &e, &err), LAPSE_ERR_FORMAT);
    assert_int_equal(err.column, 3);
    assert_non_null(strstr(err.message, "--event given, but the header has an event column"));
    lapse_reader_free(r);
    remove("ra.csv");
    remove("ra.jsonl");
    remove("ra2.csv");
}

/* Negative amounts are refunds (a purchase's refund is no purchase); the
 * amount as qty x price, in CSV and JSON lines, and the checks of both. */
static void refunds_and_products(void **state)
{
    (void)state;
    lapse_event ev[16];
    char ids[16][32];
    size_t n;
    lapse_error err = LAPSE_ERROR_INIT;
    test_write_text("rr.csv", "user_id,ts,event,amount\n"
                              "u,2026-01-02,purchase,-12.5\n"
                              "u,2026-01-02,cancel,-3\n"
                              "u,2026-01-02,view_item,-1\n"
                              "u,2026-01-02,purchase,4\n");
    const char *paths[] = { "rr.csv" };
    lapse_reader *r = NULL;
    assert_int_equal(lapse_reader_open(&r, paths, 1, NULL, &err), LAPSE_OK);
    lapse_category want[4] = { LAPSE_CAT_OTHER, LAPSE_CAT_CANCEL, LAPSE_CAT_CORE,
                               LAPSE_CAT_PURCHASE };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(lapse_reader_next(r, &ev[0], &err), 1);
        assert_int_equal(ev[0].category, want[i]);
    }
    assert_float_equal(ev[0].amount, 4, 0);
    lapse_reader_stats stats;
    lapse_reader_get_stats(r, &stats);
    assert_int_equal(stats.refund_rows, 3);
    assert_int_equal(stats.amount_rows, 0); /* a refund on a view is no price */
    assert_int_equal(stats.category_rows[LAPSE_CAT_PURCHASE], 1);
    lapse_reader_free(r);

    test_write_text("rq.csv", "user_id,ts,event,n,p,amount\n"
                              "u,2026-01-02,purchase,3,2.5,7\n"
                              "u,2026-01-02,purchase,-2,2.5,7\n"
                              "u,2026-01-02,purchase,,2.5,7\n");
    lapse_reader_options opts = LAPSE_READER_OPTIONS_INIT;
    char expr[] = "n*p";
    assert_int_equal(lapse_reader_parse_amount_expr(&opts, expr, &err), LAPSE_OK);
    assert_int_equal(read_all("rq.csv", &opts, ev, ids, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_float_equal(ev[0].amount, 7.5, 0);
    assert_float_equal(ev[1].amount, -5, 0);
    assert_int_equal(ev[1].category, LAPSE_CAT_OTHER);
    assert_false(ev[2].has_amount); /* a term missing: no amount, not the amount column */

    test_write_text("rq.jsonl", "{\"user_id\":\"u\",\"ts\":\"2026-01-02\",\"event\":\"buy\","
                                "\"item\":{\"n\":2,\"p\":\"1.25\"},\"amount\":99}\n");
    lapse_reader_options jopts = LAPSE_READER_OPTIONS_INIT;
    char jexpr[] = "item.n*item.p";
    assert_int_equal(lapse_reader_parse_amount_expr(&jopts, jexpr, &err), LAPSE_OK);
    assert_int_equal(read_all("rq.jsonl", &jopts, ev, ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_float_equal(ev[0].amount, 2.5, 0);

    /* A term that is no number, and a product beyond the limit, are bad rows. */
    test_write_text("rb.csv", "user_id,ts,event,n,p\nu,2026-01-02,purchase,two,2\n");
    assert_int_equal(read_all("rb.csv", &opts, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "bad qty \"two\""));
    assert_int_equal(err.column, 4);
    test_write_text("rb.csv", "user_id,ts,event,n,p\nu,2026-01-02,purchase,1e7,1e7\n");
    assert_int_equal(read_all("rb.csv", &opts, ev, ids, &n, &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "is beyond"));
    assert_int_equal(err.column, 5);

    /* Bad expressions and contradictions. */
    const char *bad[] = { "n", "n*", "*p", "a*b*c" };
    for (size_t i = 0; i < 4; i++) {
        lapse_reader_options o = LAPSE_READER_OPTIONS_INIT;
        char text[16];
        snprintf(text, sizeof text, "%s", bad[i]);
        assert_int_equal(lapse_reader_parse_amount_expr(&o, text, &err), LAPSE_ERR_ARG);
    }
    char cols[] = "amount=x";
    assert_int_equal(lapse_reader_parse_columns(&opts, cols, &err), LAPSE_ERR_ARG);
    lapse_reader_options half = LAPSE_READER_OPTIONS_INIT;
    char qty_only[] = "qty=n";
    assert_int_equal(lapse_reader_parse_columns(&half, qty_only, &err), LAPSE_ERR_ARG);
    const char *const rb[] = { "rb.csv" };
    assert_int_equal(lapse_reader_open(&r, rb, 1, &half, &err), LAPSE_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(columns_any_order_bom_crlf_quotes),
        cmocka_unit_test(delimiters),
        cmocka_unit_test(json_lines),
        cmocka_unit_test(remapped_columns_and_stats),
        cmocka_unit_test(missing_column_is_named),
        cmocka_unit_test(bad_rows_name_file_line_column),
        cmocka_unit_test(anonymous_rows_and_fixed_event),
        cmocka_unit_test(max_bad_rows_skips_then_fails),
        cmocka_unit_test(gzip_members_and_damage),
        cmocka_unit_test(empty_file_and_header_only),
        cmocka_unit_test(repeated_rows_and_amounts),
        cmocka_unit_test(refunds_and_products),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
