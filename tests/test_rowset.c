/* The row set: rows deferred and settled count the repeats and keep the
 * earliest positions that adding them one by one in log order would, from
 * one thread or several. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "parallel.h"
#include "rowset.h"

#include <stdlib.h>

enum { ROWS = 200000, DISTINCT = 50000 };

/* Row i's hash: DISTINCT of them, spread over all shards (one is 0, which
 * is stored as 1). Rows 2k and 2k + 1 are the same, so a batch holds
 * repeats of its own rows too. */
static uint64_t hash_of(uint64_t i)
{
    uint64_t h = (i / 2 % DISTINCT) * 0x9e3779b97f4a7c15ull;
    return h ^ h >> 29;
}

/* Row i's position: rows come out of log order, as chunks of several
 * threads do. */
static uint64_t pos_of(uint64_t i)
{
    return (i * 7919) % ROWS;
}

/* The smallest position of the rows whose hash is row k's (k < 2 * DISTINCT). */
static uint64_t least_pos(size_t k)
{
    uint64_t least = UINT64_MAX;
    for (size_t i = k - k % 2; i < ROWS; i += 2 * DISTINCT)
        for (size_t j = i; j < i + 2; j++)
            least = pos_of(j) < least ? pos_of(j) : least;
    return least;
}

/* Every row's hash is in set with the smallest position it was added at. */
static void check_least(lapse_rowset *set)
{
    for (size_t k = 0; k < 2 * DISTINCT; k += 2) {
        uint64_t earliest = 0;
        assert_int_equal(lapse_rowset_add(set, hash_of(k), UINT64_MAX - 1, &earliest), 1);
        assert_int_equal(earliest, least_pos(k));
    }
}

typedef struct {
    uint64_t *hash, *pos;
    size_t len, capacity;
} listing;

static void list_row(uint64_t hash, uint64_t pos, void *user)
{
    listing *l = user;
    assert_true(l->len < l->capacity);
    l->hash[l->len] = hash;
    l->pos[l->len++] = pos;
}

static listing list_of(const lapse_rowset *set)
{
    listing l = { calloc(ROWS, sizeof *l.hash), calloc(ROWS, sizeof *l.pos), 0, ROWS };
    assert_non_null(l.hash);
    assert_non_null(l.pos);
    lapse_rowset_each(set, list_row, &l);
    return l;
}

/* The pair a read reports as its example: the smallest max(pos, earliest),
 * then the smallest min. */
typedef struct {
    uint64_t then, first;
    size_t repeats;
} counted;

static void count(uint64_t pos, uint64_t earliest, void *user)
{
    counted *c = user;
    const uint64_t first = pos < earliest ? pos : earliest, then = pos < earliest ? earliest : pos;
    c->repeats++;
    if (then < c->then || (then == c->then && first < c->first)) {
        c->then = then;
        c->first = first;
    }
}

static int compare_u64(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* What adding every row one by one in log order (by position) reports. */
static counted in_log_order(const lapse_rowset_row *rows)
{
    lapse_rowset *set = lapse_rowset_create();
    assert_non_null(set);
    uint64_t *by_pos = malloc(ROWS * sizeof *by_pos);
    assert_non_null(by_pos);
    for (size_t i = 0; i < ROWS; i++)
        by_pos[i] = rows[i].pos << 20 | i; /* positions < 2^18, indices < 2^20 */
    qsort(by_pos, ROWS, sizeof *by_pos, compare_u64);
    counted c = { UINT64_MAX, UINT64_MAX, 0 };
    for (size_t k = 0; k < ROWS; k++) {
        const lapse_rowset_row *row = &rows[by_pos[k] & ((1u << 20) - 1)];
        uint64_t earliest;
        const int found = lapse_rowset_add(set, row->hash, row->pos, &earliest);
        assert_true(found >= 0);
        if (found)
            count(row->pos, earliest, &c);
    }
    free(by_pos);
    lapse_rowset_free(set);
    return c;
}

static lapse_rowset_row *make_rows(void)
{
    lapse_rowset_row *rows = malloc(ROWS * sizeof *rows);
    assert_non_null(rows);
    for (size_t i = 0; i < ROWS; i++)
        rows[i] = (lapse_rowset_row){ hash_of(i), pos_of(i) };
    return rows;
}

/* Listings sorted by hash, to compare sets whatever their slots. */
static void sort_listing(listing *l)
{
    uint64_t *pairs = malloc(2 * l->len * sizeof *pairs);
    assert_non_null(pairs);
    for (size_t i = 0; i < l->len; i++) {
        pairs[2 * i] = l->hash[i];
        pairs[2 * i + 1] = l->pos[i];
    }
    qsort(pairs, l->len, 2 * sizeof *pairs, compare_u64); /* hashes are distinct */
    for (size_t i = 0; i < l->len; i++) {
        l->hash[i] = pairs[2 * i];
        l->pos[i] = pairs[2 * i + 1];
    }
    free(pairs);
}

static void deferred_rows_settle_as_added_in_order(void **state)
{
    (void)state;
    lapse_rowset_row *rows = make_rows();
    const counted expected = in_log_order(rows);
    assert_int_equal(expected.repeats, ROWS - DISTINCT);
    lapse_rowset *one = lapse_rowset_create(), *deferred = lapse_rowset_create();
    assert_non_null(one);
    assert_non_null(deferred);
    for (size_t i = 0; i < ROWS; i++) {
        uint64_t earliest;
        assert_true(lapse_rowset_add(one, rows[i].hash, rows[i].pos, &earliest) >= 0);
    }
    /* Batches of many sizes, a row repeated inside one among them. */
    for (size_t from = 0, size = 1; from < ROWS; from += size, size = size * 3 % 4099 + 1) {
        const size_t n = from + size <= ROWS ? size : ROWS - from;
        assert_int_equal(lapse_rowset_defer(deferred, rows + from, n), 0);
    }
    counted got = { UINT64_MAX, UINT64_MAX, 0 };
    assert_int_equal(lapse_rowset_settle(deferred, 1, count, &got), 0);
    assert_int_equal(got.repeats, expected.repeats);
    assert_int_equal(got.then, expected.then);
    assert_int_equal(got.first, expected.first);
    /* The same hashes with the same earliest positions as adding one by one. */
    listing a = list_of(one), b = list_of(deferred);
    assert_int_equal(a.len, DISTINCT);
    assert_int_equal(b.len, DISTINCT);
    sort_listing(&a);
    sort_listing(&b);
    assert_memory_equal(a.hash, b.hash, DISTINCT * sizeof *a.hash);
    assert_memory_equal(a.pos, b.pos, DISTINCT * sizeof *a.pos);
    free(a.hash);
    free(a.pos);
    free(b.hash);
    free(b.pos);
    check_least(deferred);
    /* Settling again finds nothing new; a later add sees the settled rows. */
    counted again = { UINT64_MAX, UINT64_MAX, 0 };
    assert_int_equal(lapse_rowset_settle(deferred, 1, count, &again), 0);
    assert_int_equal(again.repeats, 0);
    free(rows);
    lapse_rowset_free(one);
    lapse_rowset_free(deferred);
}

/* Settled without keeping, the set is left empty. */
static void settle_without_keeping(void **state)
{
    (void)state;
    lapse_rowset_row *rows = make_rows();
    lapse_rowset *set = lapse_rowset_create();
    assert_non_null(set);
    assert_int_equal(lapse_rowset_defer(set, rows, ROWS), 0);
    counted got = { UINT64_MAX, UINT64_MAX, 0 };
    assert_int_equal(lapse_rowset_settle(set, 0, count, &got), 0);
    const counted expected = in_log_order(rows);
    assert_int_equal(got.repeats, expected.repeats);
    assert_int_equal(got.then, expected.then);
    assert_int_equal(got.first, expected.first);
    listing l = list_of(set);
    assert_int_equal(l.len, 0);
    free(l.hash);
    free(l.pos);
    free(rows);
    lapse_rowset_free(set);
}

typedef struct {
    lapse_rowset *set;
    lapse_rowset_row *rows;
} shared_rows;

static int defer_block(void *arg, int thread, size_t start, size_t count, lapse_error *err)
{
    (void)thread;
    (void)err;
    shared_rows *s = arg;
    return lapse_rowset_defer(s->set, s->rows + start, count) == 0 ? 0 : LAPSE_ERR_NOMEM;
}

static void deferred_from_threads(void **state)
{
    (void)state;
    shared_rows s = { lapse_rowset_create(), make_rows() };
    assert_non_null(s.set);
    assert_int_equal(lapse_parallel_for(4, ROWS, 3000, defer_block, &s, NULL), 0);
    counted got = { UINT64_MAX, UINT64_MAX, 0 };
    assert_int_equal(lapse_rowset_settle(s.set, 1, count, &got), 0);
    const counted expected = in_log_order(s.rows);
    assert_int_equal(got.repeats, expected.repeats);
    assert_int_equal(got.then, expected.then);
    assert_int_equal(got.first, expected.first);
    /* Whichever thread came first, each row keeps its smallest position. */
    check_least(s.set);
    free(s.rows);
    lapse_rowset_free(s.set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(deferred_rows_settle_as_added_in_order),
        cmocka_unit_test(settle_without_keeping),
        cmocka_unit_test(deferred_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
