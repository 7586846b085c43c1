/* The set of 64-bit keys (src/base/u64set.h) against a sorted array: each
 * key is new exactly once, however often and in whatever order it comes,
 * through the growths, and the keys come back as added. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "u64set.h"

#include <stdlib.h>

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Whether key is among sorted[0..n). */
static int has(const uint64_t *sorted, size_t n, uint64_t key)
{
    return bsearch(&key, sorted, n, sizeof *sorted, compare_u64) != NULL;
}

static void each_key_is_new_once(void **state)
{
    (void)state;
    enum { ADDS = 200000 };
    uint64_t *seen = malloc(ADDS * sizeof *seen), *keys = malloc(ADDS * sizeof *keys);
    unsigned char *flags = calloc(2 + 3000 * 40, 1);
    assert_non_null(flags);
    assert_non_null(seen);
    assert_non_null(keys);
    u64set set = { 0 };
    size_t distinct = 0;
    uint64_t rng = 12345;
    for (size_t i = 0; i < ADDS; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* extract's keys: user << 32 | day, a few users with nearby days,
         * each pair often more than once; and 0 and the largest keys. */
        uint64_t key = (rng >> 40) % 3000 << 32 | (uint32_t)(19000 + (rng >> 20) % 40);
        if (i % 1000 == 0)
            key = i % 2000 ? U64SET_EMPTY - 1 : 0;
        /* The reference: a flag per possible key. */
        const size_t slot = key == 0                ? 0
                            : key == U64SET_EMPTY - 1 ? 1
                                                      : 2 + (key >> 32) * 40 + (uint32_t)key - 19000;
        const int fresh = !flags[slot];
        flags[slot] = 1;
        assert_int_equal(u64set_add(&set, key), fresh);
        if (fresh)
            seen[distinct++] = key;
        assert_int_equal(set.size, distinct);
    }
    assert_true(distinct > 50000 && distinct < ADDS / 2); /* repeats and growths happened */
    u64set_keys(&set, keys);
    qsort(keys, distinct, sizeof *keys, compare_u64);
    qsort(seen, distinct, sizeof *seen, compare_u64);
    for (size_t k = 0; k < distinct; k++)
        assert_true(keys[k] == seen[k]);
    assert_true(has(keys, distinct, 0) && has(keys, distinct, U64SET_EMPTY - 1));
    u64set_free(&set);
    assert_int_equal(set.size, 0);
    assert_int_equal(u64set_add(&set, 7), 1); /* freed, it is empty and usable */
    u64set_free(&set);
    free(seen);
    free(keys);
    free(flags);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_key_is_new_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
