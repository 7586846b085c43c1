/* Churn definitions and the first line of a feature table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/error.h"
#include "lapse/schema.h"

#include <string.h>

static void presets_and_keys(void **state)
{
    (void)state;
    lapse_churn_def def = LAPSE_CHURN_DEF_INIT;
    assert_int_equal(lapse_churn_preset(&def, "game"), LAPSE_OK);
    assert_int_equal(def.silent_days, 7);
    assert_int_equal(def.key_mask, 1u << LAPSE_CAT_ACTIVITY);
    assert_int_equal(lapse_churn_preset(&def, "ecommerce"), LAPSE_OK);
    assert_int_equal(def.key_mask, 1u << LAPSE_CAT_PURCHASE);
    assert_int_equal(lapse_churn_preset(&def, "finance"), LAPSE_OK);
    assert_int_equal(def.silent_days, 90);
    assert_int_equal(lapse_churn_preset(&def, "subscription"), LAPSE_OK);
    assert_int_equal(def.cancel_is_churn, 1);
    assert_int_equal(def.horizon_days, 30); /* presets leave the horizon alone */
    assert_int_equal(lapse_churn_preset(&def, "bank"), LAPSE_ERR_ARG);

    unsigned mask;
    assert_int_equal(lapse_churn_parse_keys(&mask, "activity,purchase", 17), LAPSE_OK);
    assert_int_equal(mask, (1u << LAPSE_CAT_ACTIVITY) | (1u << LAPSE_CAT_PURCHASE));
    char buf[64];
    lapse_churn_format_keys(buf, sizeof buf, mask);
    assert_string_equal(buf, "activity+purchase");
    assert_int_equal(lapse_churn_parse_keys(&mask, "activity,", 9), LAPSE_ERR_ARG);
    assert_int_equal(lapse_churn_parse_keys(&mask, "logins", 6), LAPSE_ERR_ARG);

    def = (lapse_churn_def)LAPSE_CHURN_DEF_INIT;
    assert_int_equal(lapse_churn_validate(&def), LAPSE_OK);
    def.horizon_days = 0;
    assert_int_equal(lapse_churn_validate(&def), LAPSE_ERR_ARG);
}

static void schema_hash_is_order_sensitive(void **state)
{
    (void)state;
    const char *ab[] = { "a", "b" }, *ba[] = { "b", "a" }, *joined[] = { "a,b" };
    assert_true(lapse_schema_hash(ab, 2) != lapse_schema_hash(ba, 2));
    /* Joining by ',' is the definition: {"a","b"} hashes as "a,b". */
    assert_true(lapse_schema_hash(ab, 2) == lapse_schema_hash(joined, 1));
    /* FNV-1a 64 of "a" is a published test vector. */
    const char *a[] = { "a" };
    assert_true(lapse_schema_hash(a, 1) == 0xaf63dc4c8601ec8cull);
}

static void meta_round_trip(void **state)
{
    (void)state;
    lapse_table_meta meta = { 1, { (1u << LAPSE_CAT_ACTIVITY) | (1u << LAPSE_CAT_CORE), 7, 14, 0 },
                              0x0123456789abcdefull, "", "" };
    char line[256];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    assert_string_equal(line, "# lapse-features 1; key=activity+core; silent_days=7; horizon=14; "
                              "churn=silence; schema=0123456789abcdef");
    lapse_table_meta back;
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_OK);
    assert_int_equal(back.version, 1);
    assert_true(lapse_churn_equal(&back.churn, &meta.churn));
    assert_true(back.schema_hash == meta.schema_hash);
}

/* Warnings travel escaped: a ';' or a newline in one cannot break the line. */
static void meta_warnings_round_trip(void **state)
{
    (void)state;
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, 0x0123456789abcdefull,
                              "snapshot 2026-07-30 is 60 days after; 100% silent\nsecond", "" };
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    assert_string_equal(line, "# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                              "churn=silence; schema=0123456789abcdef; warnings=snapshot "
                              "2026-07-30 is 60 days after%3B 100%25 silent%0Asecond");
    lapse_table_meta back;
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_OK);
    assert_string_equal(back.warnings, meta.warnings);
    /* The longest warnings, every byte escaped, fit the documented line. */
    memset(meta.warnings, ';', sizeof meta.warnings - 1);
    meta.warnings[sizeof meta.warnings - 1] = '\0';
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    assert_int_equal(lapse_table_meta_parse(&back, line, strlen(line)), LAPSE_OK);
    assert_string_equal(back.warnings, meta.warnings);
    assert_int_equal(lapse_table_meta_format(line, 300, &meta), LAPSE_ERR_ARG);
}

static void meta_refusals(void **state)
{
    (void)state;
    lapse_table_meta meta;
#define PARSE(text) lapse_table_meta_parse(&meta, text, strlen(text))
    assert_int_equal(PARSE("user_id,asof,x"), LAPSE_ERR_FORMAT);
    assert_int_equal(PARSE("# lapse-features 2; key=activity; silent_days=30; horizon=30; "
                           "churn=silence; schema=0123456789abcdef"),
                     LAPSE_ERR_VERSION);
    assert_int_equal(PARSE("# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                           "churn=silence"),
                     LAPSE_ERR_FORMAT); /* schema missing */
    assert_int_equal(PARSE("# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                           "churn=silence; schema=0123456789abcdef; colour=blue"),
                     LAPSE_ERR_FORMAT); /* unknown key */
    assert_int_equal(PARSE("# lapse-features 1; key=activity; silent_days=0; horizon=30; "
                           "churn=silence; schema=0123456789abcdef"),
                     LAPSE_ERR_FORMAT);
    assert_int_equal(PARSE("# lapse-features 1; key=activity; silent_days=30; horizon=30; "
                           "churn=silence; schema=0123456789abcdeg"),
                     LAPSE_ERR_FORMAT);
    assert_int_equal(PARSE("# lapse-features 1; key=activity; key=core; silent_days=30; "
                           "horizon=30; churn=silence; schema=0123456789abcdef"),
                     LAPSE_ERR_FORMAT); /* repeated key */
#define BASE "# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; " \
             "schema=0123456789abcdef; "
    assert_int_equal(PARSE(BASE "warnings=a"), LAPSE_OK);
    assert_string_equal(meta.warnings, "a");
    assert_int_equal(PARSE(BASE "warnings="), LAPSE_ERR_FORMAT);       /* empty */
    assert_int_equal(PARSE(BASE "warnings=a%3"), LAPSE_ERR_FORMAT);    /* cut escape */
    assert_int_equal(PARSE(BASE "warnings=a%3b"), LAPSE_ERR_FORMAT);   /* lower-case hex */
    assert_int_equal(PARSE(BASE "warnings=a%00b"), LAPSE_ERR_FORMAT);  /* NUL */
    assert_int_equal(PARSE(BASE "warnings=a\tb"), LAPSE_ERR_FORMAT);   /* raw control byte */
    assert_int_equal(PARSE(BASE "warnings=a; warnings=b"), LAPSE_ERR_FORMAT); /* repeated */
#undef BASE
#undef PARSE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(presets_and_keys),
        cmocka_unit_test(schema_hash_is_order_sensitive),
        cmocka_unit_test(meta_round_trip),
        cmocka_unit_test(meta_warnings_round_trip),
        cmocka_unit_test(meta_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
