/* The interning map against a slow reference: linear search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "strmap.h"

#include <stdio.h>
#include <string.h>

static void dense_ids_in_insertion_order(void **state)
{
    (void)state;
    lapse_strmap *map = lapse_strmap_create();
    assert_non_null(map);
    enum { N = 50000 };
    char key[32];
    for (int i = 0; i < N; i++) {
        const int len = snprintf(key, sizeof key, "user-%d", i * 7919 % N);
        int added;
        assert_int_equal(lapse_strmap_intern(map, key, (size_t)len, &added), i);
        assert_true(added);
    }
    assert_int_equal(lapse_strmap_size(map), N);
    for (int i = 0; i < N; i++) {
        const int len = snprintf(key, sizeof key, "user-%d", i * 7919 % N);
        int added;
        assert_int_equal(lapse_strmap_intern(map, key, (size_t)len, &added), i);
        assert_false(added);
        assert_int_equal(lapse_strmap_find(map, key, (size_t)len), i);
        size_t stored_len;
        const char *stored = lapse_strmap_key(map, i, &stored_len);
        assert_int_equal(stored_len, (size_t)len);
        assert_memory_equal(stored, key, stored_len);
    }
    assert_int_equal(lapse_strmap_find(map, "user-", 5), -1);
    lapse_strmap_free(map);
}

static void binary_and_empty_keys(void **state)
{
    (void)state;
    lapse_strmap *map = lapse_strmap_create();
    const char with_nul[] = { 'a', '\0', 'b' };
    assert_int_equal(lapse_strmap_intern(map, "", 0, NULL), 0);
    assert_int_equal(lapse_strmap_intern(map, with_nul, 3, NULL), 1);
    assert_int_equal(lapse_strmap_intern(map, "a", 1, NULL), 2);
    assert_int_equal(lapse_strmap_find(map, with_nul, 3), 1);
    assert_int_equal(lapse_strmap_find(map, "", 0), 0);
    /* A key longer than a chunk still fits. */
    static char big[(1 << 20) + 10];
    memset(big, 'x', sizeof big);
    assert_int_equal(lapse_strmap_intern(map, big, sizeof big, NULL), 3);
    assert_int_equal(lapse_strmap_find(map, big, sizeof big), 3);
    lapse_strmap_free(map);
    lapse_strmap_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_ids_in_insertion_order),
        cmocka_unit_test(binary_and_empty_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
