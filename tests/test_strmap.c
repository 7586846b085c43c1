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

static uint64_t reference_mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* The hash as first written (byte-by-byte tail): its values are in model
 * files (the schema hash) and break device ties, so they must not change. */
static uint64_t reference_hash(const unsigned char *p, size_t len)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                   k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t h = k0 ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word = 0;
        for (int j = 0; j < 8; j++)
            word |= (uint64_t)p[i + j] << (8 * j);
        h = reference_mix(h ^ word, k1);
    }
    uint64_t tail = 0;
    for (size_t j = 0; i + j < len; j++)
        tail |= (uint64_t)p[i + j] << (8 * j);
    return reference_mix(reference_mix(h ^ tail, k2), k1 ^ len);
}

static void hash_matches_reference(void **state)
{
    (void)state;
    unsigned char bytes[64 + 8];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof bytes; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bytes[i] = (unsigned char)x;
    }
    for (size_t offset = 0; offset < 8; offset++)
        for (size_t len = 0; len <= 64; len++)
            assert_true(lapse_hash_bytes(bytes + offset, len) ==
                        reference_hash(bytes + offset, len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dense_ids_in_insertion_order),
        cmocka_unit_test(binary_and_empty_keys),
        cmocka_unit_test(hash_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
