/* The parallel-for and ordered pipeline of src/base/parallel.h, and the BLAS
 * thread count they hold. Workers only record; assertions run on the
 * test's own thread (cmocka's are not thread-safe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "blas_internal.h"
#include "parallel.h"

#include <cblas.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define ROWS 1000
#define MAX_THREADS 16

typedef struct {
    atomic_int visits[ROWS];     /* per row: how many blocks covered it */
    atomic_int max_thread;       /* the largest thread number seen */
    atomic_int off_caller;       /* blocks run on a thread other than the caller's */
    atomic_int blas_not_single;  /* blocks that saw OpenBLAS at more than 1 thread */
    pthread_t caller;
    size_t fail_every;           /* blocks starting at a multiple of it fail; 0: none */
    size_t fail_from;            /* ... at or after this row */
} for_state;

static int visit(void *arg, int thread, size_t start, size_t count, lapse_error *err)
{
    for_state *s = arg;
    for (size_t i = start; i < start + count; i++)
        atomic_fetch_add(&s->visits[i], 1);
    int seen = atomic_load(&s->max_thread);
    while (thread > seen && !atomic_compare_exchange_weak(&s->max_thread, &seen, thread))
        ;
    if (!pthread_equal(pthread_self(), s->caller))
        atomic_fetch_add(&s->off_caller, 1);
    if (openblas_get_num_threads() != 1)
        atomic_fetch_add(&s->blas_not_single, 1);
    if (s->fail_every && start >= s->fail_from && start % s->fail_every == 0)
        return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, (int64_t)start, 0, -1,
                               "block at row %zu fails", start);
    return LAPSE_OK;
}

static void for_state_init(for_state *s)
{
    memset(s, 0, sizeof *s);
    s->caller = pthread_self();
}

static void covers_every_row_once(void **state)
{
    (void)state;
    static for_state s;
    const int threads[] = { 1, 2, 3, 8 };
    const size_t blocks[] = { 1, 7, 64, ROWS, 5000 };
    for (size_t a = 0; a < sizeof threads / sizeof threads[0]; a++)
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            for_state_init(&s);
            lapse_error err = LAPSE_ERROR_INIT;
            assert_int_equal(lapse_parallel_for(threads[a], ROWS, blocks[b], visit, &s, &err),
                             LAPSE_OK);
            assert_int_equal(err.code, 0);
            for (size_t i = 0; i < ROWS; i++)
                assert_int_equal(atomic_load(&s.visits[i]), 1);
            assert_true(atomic_load(&s.max_thread) < threads[a]);
            assert_int_equal(atomic_load(&s.blas_not_single), 0);
        }
}

static void one_thread_runs_inline(void **state)
{
    (void)state;
    static for_state s;
    for_state_init(&s);
    assert_int_equal(lapse_parallel_for(1, ROWS, 10, visit, &s, NULL), LAPSE_OK);
    assert_int_equal(atomic_load(&s.off_caller), 0);
    /* One block is one task: no thread for it either. */
    for_state_init(&s);
    assert_int_equal(lapse_parallel_for(8, ROWS, ROWS, visit, &s, NULL), LAPSE_OK);
    assert_int_equal(atomic_load(&s.off_caller), 0);
    assert_int_equal(lapse_parallel_for(8, 0, 10, visit, &s, NULL), LAPSE_OK);
}

static void more_threads_than_blocks(void **state)
{
    (void)state;
    static for_state s;
    for_state_init(&s);
    assert_int_equal(lapse_parallel_for(MAX_THREADS, 3, 1, visit, &s, NULL), LAPSE_OK);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(atomic_load(&s.visits[i]), 1);
    assert_true(atomic_load(&s.max_thread) < 3);
}

static void lowest_failing_block_wins(void **state)
{
    (void)state;
    static for_state s;
    for (int round = 0; round < 50; round++) {
        for_state_init(&s);
        s.fail_every = 30;
        s.fail_from = 500; /* blocks of 10: 510, 540, ... fail */
        lapse_error err = LAPSE_ERROR_INIT;
        const int threads = 1 + round % 8;
        assert_int_equal(lapse_parallel_for(threads, ROWS, 10, visit, &s, &err),
                         LAPSE_ERR_FORMAT);
        assert_int_equal(err.code, LAPSE_ERR_FORMAT);
        assert_int_equal(err.line, 510);
        assert_string_equal(err.message, "block at row 510 fails");
        for (size_t i = 0; i < 510; i++) /* every block before the failure ran */
            assert_int_equal(atomic_load(&s.visits[i]), 1);
    }
}

#define ITEMS 300

typedef struct {
    size_t window;
    long slots[MAX_THREADS * 4];  /* the item each slot holds */
    size_t taken[ITEMS];          /* items in the order taken */
    size_t n_taken;
    atomic_size_t taken_count;    /* for make to check the window */
    atomic_int window_broken;     /* a make started too early */
    atomic_int off_caller;        /* makes on other threads */
    pthread_t caller;
    size_t make_fails, take_fails; /* the item that fails; ITEMS: none */
    size_t make_fails_too;         /* a later item that fails too */
} line_state;

static int make_item(void *arg, int thread, size_t item, lapse_error *err)
{
    (void)thread;
    line_state *s = arg;
    if (item >= atomic_load(&s->taken_count) + s->window)
        atomic_store(&s->window_broken, 1);
    if (!pthread_equal(pthread_self(), s->caller))
        atomic_fetch_add(&s->off_caller, 1);
    if (item == s->make_fails || item == s->make_fails_too)
        return lapse_error_set(err, LAPSE_ERR_IO, NULL, (int64_t)item, 0, -1, "make %zu", item);
    s->slots[item % s->window] = (long)item * 3;
    return LAPSE_OK;
}

static int take_item(void *arg, size_t item, lapse_error *err)
{
    line_state *s = arg;
    if (item == s->take_fails)
        return lapse_error_set(err, LAPSE_ERR_ARG, NULL, (int64_t)item, 0, -1, "take %zu", item);
    if (s->slots[item % s->window] == (long)item * 3)
        s->taken[s->n_taken++] = item;
    atomic_store(&s->taken_count, item + 1);
    return LAPSE_OK;
}

static void line_state_init(line_state *s, size_t window)
{
    memset(s, 0, sizeof *s);
    s->window = window;
    s->caller = pthread_self();
    s->make_fails = s->take_fails = s->make_fails_too = ITEMS;
}

static void ordered_keeps_order(void **state)
{
    (void)state;
    static line_state s;
    const int threads[] = { 1, 2, 4, MAX_THREADS };
    const size_t windows[] = { 1, 3, 2 * MAX_THREADS + 2 };
    for (size_t a = 0; a < sizeof threads / sizeof threads[0]; a++)
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
            line_state_init(&s, windows[w]);
            lapse_error err = LAPSE_ERROR_INIT;
            assert_int_equal(lapse_parallel_ordered(threads[a], ITEMS, windows[w], make_item,
                                                    take_item, &s, &err),
                             LAPSE_OK);
            assert_int_equal(s.n_taken, ITEMS);
            for (size_t i = 0; i < ITEMS; i++)
                assert_int_equal(s.taken[i], i);
            assert_int_equal(atomic_load(&s.window_broken), 0);
            if (threads[a] == 1)
                assert_int_equal(atomic_load(&s.off_caller), 0);
        }
}

static void ordered_stops_at_first_failure(void **state)
{
    (void)state;
    static line_state s;
    for (int round = 0; round < 40; round++) {
        const int threads = 1 + round % 6;
        line_state_init(&s, 5);
        s.make_fails = 50;
        s.make_fails_too = 52;
        lapse_error err = LAPSE_ERROR_INIT;
        assert_int_equal(
            lapse_parallel_ordered(threads, ITEMS, 5, make_item, take_item, &s, &err),
            LAPSE_ERR_IO);
        assert_string_equal(err.message, "make 50");
        assert_int_equal(s.n_taken, 50);

        line_state_init(&s, 5);
        s.make_fails = 50;
        s.take_fails = 30; /* earlier in item order: wins */
        err = (lapse_error)LAPSE_ERROR_INIT;
        assert_int_equal(
            lapse_parallel_ordered(threads, ITEMS, 5, make_item, take_item, &s, &err),
            LAPSE_ERR_ARG);
        assert_string_equal(err.message, "take 30");
        assert_int_equal(s.n_taken, 30);
    }
}

static void blas_threads_nest_and_restore(void **state)
{
    (void)state;
    openblas_set_num_threads(2);
    lapse_blas_threads_begin(2);
    lapse_blas_threads_begin(1); /* a scorer inside a fit: fewer wins */
    assert_int_equal(openblas_get_num_threads(), 1);
    lapse_blas_threads_begin(2); /* never up while held */
    assert_int_equal(openblas_get_num_threads(), 1);
    lapse_blas_threads_end();
    lapse_blas_threads_end();
    assert_int_equal(openblas_get_num_threads(), 1); /* still held once */
    lapse_blas_threads_end();
    assert_int_equal(openblas_get_num_threads(), 2); /* the setting before the first */
    static for_state s;
    for_state_init(&s);
    assert_int_equal(lapse_parallel_for(4, ROWS, 10, visit, &s, NULL), LAPSE_OK);
    assert_int_equal(atomic_load(&s.blas_not_single), 0);
    assert_int_equal(openblas_get_num_threads(), 2);
}

static void *score_repeatedly(void *arg)
{
    for (int i = 0; i < 50; i++)
        lapse_parallel_for(2, ROWS, 10, visit, arg, NULL);
    return NULL;
}

/* Two scorers in one process: neither may restore the count while the
 * other's blocks run. */
static void concurrent_loops_keep_blas_single(void **state)
{
    (void)state;
    static for_state a, b;
    for_state_init(&a);
    for_state_init(&b);
    openblas_set_num_threads(2);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, score_repeatedly, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, score_repeatedly, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(atomic_load(&a.blas_not_single) + atomic_load(&b.blas_not_single), 0);
    assert_int_equal(openblas_get_num_threads(), 2);
    for (size_t i = 0; i < ROWS; i++)
        assert_int_equal(atomic_load(&a.visits[i]), 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(covers_every_row_once),
        cmocka_unit_test(one_thread_runs_inline),
        cmocka_unit_test(more_threads_than_blocks),
        cmocka_unit_test(lowest_failing_block_wins),
        cmocka_unit_test(ordered_keeps_order),
        cmocka_unit_test(ordered_stops_at_first_failure),
        cmocka_unit_test(blas_threads_nest_and_restore),
        cmocka_unit_test(concurrent_loops_keep_blas_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
