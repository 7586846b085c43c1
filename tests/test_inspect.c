/* lapse inspect's pass (lapse/inspect.h) on small hand-made logs: counts and
 * users per name, the robust time range with a 2099 row, the guesses, and
 * the draft mapping read back by lapse_category_map_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/category.h"
#include "lapse/inspect.h"
#include "lapse/timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/lapse_inspect_XXXXXX");
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const lapse_inspect_name *find(const lapse_inspect_result *r, const char *name)
{
    for (size_t i = 0; i < r->name_count; i++)
        if (r->names[i].len == strlen(name) && memcmp(r->names[i].name, name, r->names[i].len) == 0)
            return &r->names[i];
    fail_msg("no name %s", name);
    return NULL;
}

static void counts_and_users(void **state)
{
    (void)state;
    char *path = write_temp("user_id,ts,event,extra\n"
                            "a,2026-01-01,login,x\nb,2026-01-01,login,x\na,2026-01-02,login,x\n"
                            "a,2026-01-02,AppOpen,x\nc,2026-01-03,\"buy, now\",x\n");
    const char *paths[1] = { path };
    lapse_inspect_options opts = LAPSE_INSPECT_OPTIONS_INIT;
    lapse_inspect_result *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_inspect_run(&r, paths, 1, &opts, &err), LAPSE_OK);
    assert_int_equal(r->rows, 5);
    assert_int_equal(r->users, 3);
    assert_int_equal(r->name_count, 3);
    assert_string_equal(r->files[0].format, "csv");
    assert_int_equal(r->files[0].column_count, 4);
    assert_int_equal(r->files[0].column_of[LAPSE_COL_EVENT], 2);
    assert_int_equal(r->files[0].column_of[LAPSE_COL_AMOUNT], -1);
    assert_memory_equal(r->names[0].name, "login", 5); /* most rows first */
    const lapse_inspect_name *login = find(r, "login"), *open = find(r, "AppOpen"),
                             *buy = find(r, "buy, now");
    assert_int_equal(login->rows, 3);
    assert_int_equal(login->users, 2);
    assert_true(login->known);
    assert_int_equal(login->category, LAPSE_CAT_ACTIVITY);
    assert_false(open->known);
    assert_int_equal(open->guess, LAPSE_CAT_ACTIVITY);
    assert_int_equal(buy->guess, LAPSE_CAT_PURCHASE);
    assert_int_equal(r->category_rows[LAPSE_CAT_ACTIVITY], 3);
    assert_int_equal(r->category_rows[LAPSE_CAT_OTHER], 2);
    assert_int_equal(r->day_count, 3);
    assert_int_equal(r->per_day[0], 2);
    assert_int_equal(r->per_day[2], 1);

    /* The draft reads back: the known and guessed names with their categories. */
    char *map_path = write_temp("");
    FILE *out = fopen(map_path, "w");
    assert_int_equal(lapse_inspect_write_mapping(r, out, &err), LAPSE_OK);
    fclose(out);
    lapse_category_map *map = NULL;
    assert_int_equal(lapse_category_map_load(&map, map_path, &err), LAPSE_OK);
    int known;
    assert_int_equal(lapse_category_lookup(map, "AppOpen", 7, &known), LAPSE_CAT_ACTIVITY);
    assert_int_equal(lapse_category_lookup(map, "buy, now", 8, &known), LAPSE_CAT_PURCHASE);
    assert_int_equal(lapse_category_lookup(map, "login", 5, &known), LAPSE_CAT_ACTIVITY);
    lapse_category_map_free(map);
    lapse_inspect_free(r);
    unlink(map_path);
    unlink(path);
    free(map_path);
    free(path);
}

/* 1,500 rows over 30 days and one in 2099: the range ends on the last
 * clean day, the 2099 row is the one after it. */
static void skewed_row(void **state)
{
    (void)state;
    size_t size = 0;
    char *text = NULL;
    FILE *f = open_memstream(&text, &size);
    fputs("user_id,ts,event\n", f);
    for (int i = 0; i < 1500; i++)
        fprintf(f, "u%d,2026-01-%02dT10:00:00Z,login\n", i % 40, 1 + i % 30);
    fputs("u1,2099-01-01T00:00:00Z,login\n", f);
    fclose(f);
    char *path = write_temp(text);
    free(text);
    const char *paths[1] = { path };
    lapse_inspect_options opts = LAPSE_INSPECT_OPTIONS_INIT;
    lapse_inspect_result *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_inspect_run(&r, paths, 1, &opts, &err), LAPSE_OK);
    assert_int_equal(r->rows, 1501);
    assert_int_equal(r->users, 40);
    int64_t end;
    assert_int_equal(lapse_date_parse(&end, "2026-01-30", 10), LAPSE_OK);
    assert_int_equal(r->end_day, end);
    assert_int_equal(r->day_count, 30);
    assert_int_equal(r->rows_after, 1);
    assert_int_equal(r->rows_before, 0);
    assert_int_equal(lapse_day_of(r->last_ts), lapse_days_from_civil(2099, 1, 1));
    lapse_inspect_free(r);
    unlink(path);
    free(path);
}

/* Names past max_names count as other rows. */
static void names_cap(void **state)
{
    (void)state;
    char *path = write_temp("user_id,ts,event\na,2026-01-01,x\na,2026-01-01,y\nb,2026-01-01,z\n");
    const char *paths[1] = { path };
    lapse_inspect_options opts = LAPSE_INSPECT_OPTIONS_INIT;
    opts.max_names = 1;
    lapse_inspect_result *r = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_inspect_run(&r, paths, 1, &opts, &err), LAPSE_OK);
    assert_int_equal(r->name_count, 1);
    assert_int_equal(r->other_rows, 2);
    lapse_inspect_free(r);
    unlink(path);
    free(path);
}

static void refunds_and_product_columns(void **state)
{
    (void)state;
    char *path = write_temp("user_id,ts,event,n,p,amount\na,2026-01-01,buy,2,3,1\n"
                            "a,2026-01-02,buy,-1,3,1\n");
    const char *paths[1] = { path };
    lapse_inspect_options opts = LAPSE_INSPECT_OPTIONS_INIT;
    char expr[] = "n*p";
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_reader_parse_amount_expr(&opts.reader, expr, &err), LAPSE_OK);
    lapse_inspect_result *r = NULL;
    assert_int_equal(lapse_inspect_run(&r, paths, 1, &opts, &err), LAPSE_OK);
    assert_int_equal(r->refund_rows, 1);
    assert_int_equal(r->files[0].column_of[LAPSE_COL_QTY], 3);
    assert_int_equal(r->files[0].column_of[LAPSE_COL_PRICE], 4);
    assert_int_equal(r->files[0].column_of[LAPSE_COL_AMOUNT], -1); /* not read: the product is */
    assert_int_equal(r->category_rows[LAPSE_CAT_PURCHASE], 1);    /* the refund is no purchase */
    assert_int_equal(r->names[0].rows, 2);
    lapse_inspect_free(r);
    unlink(path);
    free(path);
}

static void guesses(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int category;
    } cases[] = {
        { "login", LAPSE_CAT_ACTIVITY },      { "AppOpen", LAPSE_CAT_ACTIVITY },
        { "SESSION_START", LAPSE_CAT_ACTIVITY }, { "checkout_done", LAPSE_CAT_PURCHASE },
        { "payment", LAPSE_CAT_PURCHASE },    { "display_ad", -1 },
        { "cancel_order", LAPSE_CAT_CANCEL }, { "Unsubscribe", LAPSE_CAT_CANCEL },
        { "friendRequest", LAPSE_CAT_SOCIAL }, { "send message", LAPSE_CAT_SOCIAL },
        { "reorder", -1 },                    { "scroll", -1 },
        /* A MOOC's log (XuetangX) and a music service's (Sparkify). */
        { "video", LAPSE_CAT_CORE },          { "problem", LAPSE_CAT_CORE },
        { "discussion", LAPSE_CAT_SOCIAL },   { "access", LAPSE_CAT_ACTIVITY },
        { "navigate", LAPSE_CAT_ACTIVITY },   { "page_close", -1 },
        { "NextSong", LAPSE_CAT_CORE },       { "Thumbs Up", -1 },
        { "replay", -1 },                     { "display", -1 },
        { "", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(lapse_category_guess(cases[i].name, strlen(cases[i].name)),
                         cases[i].category);
}

/* A mapping file may hold '#' comments anywhere, before the header too. */
static void mapping_comments(void **state)
{
    (void)state;
    char *path = write_temp("# a comment, with a comma\nevent,category\n# another\nAppOpen,activity\n");
    lapse_category_map *map = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_category_map_load(&map, path, &err), LAPSE_OK);
    int known;
    assert_int_equal(lapse_category_lookup(map, "AppOpen", 7, &known), LAPSE_CAT_ACTIVITY);
    assert_true(known);
    lapse_category_lookup(map, "# another", 9, &known);
    assert_false(known);
    lapse_category_map_free(map);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_and_users), cmocka_unit_test(skewed_row),
        cmocka_unit_test(names_cap),        cmocka_unit_test(guesses),
        cmocka_unit_test(mapping_comments), cmocka_unit_test(refunds_and_product_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
