/* The built-in event-name table and the mapping file that replaces it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_files.h"

#include "lapse/category.h"

#include <stdio.h>
#include <string.h>

static lapse_category lookup(const lapse_category_map *map, const char *name, int *known)
{
    return lapse_category_lookup(map, name, strlen(name), known);
}

static void defaults(void **state)
{
    (void)state;
    lapse_category_map *map = lapse_category_map_default();
    assert_non_null(map);
    int known;
    assert_int_equal(lookup(map, "login", &known), LAPSE_CAT_ACTIVITY);
    assert_true(known);
    assert_int_equal(lookup(map, "core_use", NULL), LAPSE_CAT_CORE);
    assert_int_equal(lookup(map, "purchase", NULL), LAPSE_CAT_PURCHASE);
    assert_int_equal(lookup(map, "coupon_use", NULL), LAPSE_CAT_COUPON);
    assert_int_equal(lookup(map, "share", NULL), LAPSE_CAT_SOCIAL);
    assert_int_equal(lookup(map, "cancel", NULL), LAPSE_CAT_CANCEL);
    assert_int_equal(lookup(map, "Login", &known), LAPSE_CAT_OTHER); /* case-sensitive */
    assert_false(known);
    assert_int_equal(lookup(map, "", &known), LAPSE_CAT_OTHER);
    assert_false(known);
    lapse_category_map_free(map);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        const char *name = lapse_category_name((lapse_category)c);
        lapse_category parsed;
        assert_int_equal(lapse_category_parse(&parsed, name, strlen(name)), LAPSE_OK);
        assert_int_equal(parsed, c);
    }
    lapse_category parsed;
    assert_int_equal(lapse_category_parse(&parsed, "Activity", 8), LAPSE_ERR_FORMAT);
    assert_null(lapse_category_name(LAPSE_CAT_COUNT));
}

static void mapping_file_replaces_defaults(void **state)
{
    (void)state;
    const char *path = test_write_text("mapping_ok.csv", "event,category\r\n"
                                                    "SignIn,activity\r\n"
                                                    "\"Checkout, done\",purchase\r\n"
                                                    "PlayMatch,social\r\n"
                                                    "PlayMatch,social\r\n");
    lapse_category_map *map = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_category_map_load(&map, path, &err), LAPSE_OK);
    int known;
    assert_int_equal(lookup(map, "SignIn", &known), LAPSE_CAT_ACTIVITY);
    assert_true(known);
    assert_int_equal(lookup(map, "Checkout, done", NULL), LAPSE_CAT_PURCHASE);
    /* The same mapping twice is harmless. */
    assert_int_equal(lookup(map, "PlayMatch", NULL), LAPSE_CAT_SOCIAL);
    /* The built-in names are gone: the file replaces them. */
    assert_int_equal(lookup(map, "login", &known), LAPSE_CAT_OTHER);
    assert_false(known);
    lapse_category_map_free(map);
}

static void expect_load_error(const char *text, int line, int column, const char *needle)
{
    const char *path = test_write_text("mapping_bad.csv", text);
    lapse_category_map *map = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_category_map_load(&map, path, &err), LAPSE_ERR_FORMAT);
    assert_null(map);
    assert_string_equal(err.path, path);
    test_expect_location(&err, line, column, needle);
}

static void mapping_file_errors(void **state)
{
    (void)state;
    expect_load_error("name,cat\nlogin,activity\n", 1, 1, "header");
    expect_load_error("event,category\nlogin,activty\n", 2, 2, "unknown category \"activty\"");
    expect_load_error("event,category\nlogin,activity,x\n", 2, 3, "2 fields");
    expect_load_error("event,category\nlogin,activity\nlogout\n", 3, 2, "2 fields");
    expect_load_error("event,category\n,activity\n", 2, 1, "event name");
    expect_load_error("", 1, 0, "empty mapping file");
    expect_load_error("event,category\n\"login,activity\n", 2, 1, "unterminated");
    /* A name mapped twice to different categories: both lines, whichever wins. */
    expect_load_error("event,category\nbuy,purchase\nlogin,activity\nbuy,core\n", 4, 2,
                      "event \"buy\" is mapped on line 2 (to purchase) and again on line 4 "
                      "(to core)");

    lapse_category_map *map = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_category_map_load(&map, "no/such/file.csv", &err), LAPSE_ERR_IO);
    assert_non_null(strstr(err.message, "cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(mapping_file_replaces_defaults),
        cmocka_unit_test(mapping_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
