/* The row set: a batch adds as the same adds one by one would, from one
 * thread or several. */
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

static void batch_adds_as_one_by_one(void **state)
{
    (void)state;
    lapse_rowset *one = lapse_rowset_create(), *batched = lapse_rowset_create();
    lapse_rowset_row *rows = malloc(ROWS * sizeof *rows);
    assert_non_null(one);
    assert_non_null(batched);
    assert_non_null(rows);
    for (size_t i = 0; i < ROWS; i++)
        rows[i] = (lapse_rowset_row){ hash_of(i), pos_of(i), 0 };
    /* Batches of many sizes, a row repeated inside one among them. */
    size_t repeats = 0;
    for (size_t from = 0, size = 1; from < ROWS; from += size, size = size * 3 % 4099 + 1) {
        const size_t n = from + size <= ROWS ? size : ROWS - from;
        assert_int_equal(lapse_rowset_add_batch(batched, rows + from, n), 0);
        for (size_t i = from; i < from + n; i++) {
            uint64_t earliest = 0;
            const int found = lapse_rowset_add(one, rows[i].hash, rows[i].pos, &earliest);
            assert_int_equal(found, rows[i].earliest != UINT64_MAX);
            if (found)
                assert_int_equal(earliest, rows[i].earliest);
            repeats += (size_t)found;
        }
    }
    assert_int_equal(repeats, ROWS - DISTINCT);
    /* The same table, slot for slot: --partial writes it in this order. */
    listing a = list_of(one), b = list_of(batched);
    assert_int_equal(a.len, DISTINCT);
    assert_int_equal(b.len, DISTINCT);
    assert_memory_equal(a.hash, b.hash, DISTINCT * sizeof *a.hash);
    assert_memory_equal(a.pos, b.pos, DISTINCT * sizeof *a.pos);
    free(a.hash);
    free(a.pos);
    free(b.hash);
    free(b.pos);
    free(rows);
    check_least(one);
    check_least(batched);
    lapse_rowset_free(one);
    lapse_rowset_free(batched);
}

typedef struct {
    lapse_rowset *set;
    lapse_rowset_row *rows;
} shared_rows;

static int add_block(void *arg, int thread, size_t start, size_t count, lapse_error *err)
{
    (void)thread;
    (void)err;
    shared_rows *s = arg;
    return lapse_rowset_add_batch(s->set, s->rows + start, count) == 0 ? 0 : LAPSE_ERR_NOMEM;
}

static void batches_from_threads(void **state)
{
    (void)state;
    shared_rows s = { lapse_rowset_create(), malloc(ROWS * sizeof *s.rows) };
    assert_non_null(s.set);
    assert_non_null(s.rows);
    for (size_t i = 0; i < ROWS; i++)
        s.rows[i] = (lapse_rowset_row){ hash_of(i), pos_of(i), 0 };
    assert_int_equal(lapse_parallel_for(4, ROWS, 3000, add_block, &s, NULL), 0);
    size_t repeats = 0;
    for (size_t i = 0; i < ROWS; i++)
        repeats += s.rows[i].earliest != UINT64_MAX;
    assert_int_equal(repeats, ROWS - DISTINCT);
    /* Whichever thread came first, each row keeps its smallest position. */
    check_least(s.set);
    free(s.rows);
    lapse_rowset_free(s.set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batch_adds_as_one_by_one),
        cmocka_unit_test(batches_from_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
