/* The parallel-for and the ordered pipeline of parallel.h. */
#include "parallel.h"

#include "blas_internal.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_LINE 64

int lapse_parallel_threads(int threads, int max)
{
    if (threads)
        return threads;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > max ? max : (int)cpus;
}

void *lapse_parallel_scratch(size_t bytes)
{
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    return aligned_alloc(CACHE_LINE, bytes ? bytes : CACHE_LINE);
}

/* Starts main(args[i]) for i in [first, want), args an array of elements
 * of size bytes, ids its pthread_t array. Returns the number running
 * (first at the least): those after a failed start are not started. */
static int spawn(pthread_t *ids, int first, int want, void *(*main)(void *), void *args,
                 size_t size)
{
    int started = first;
    for (; started < want; started++) {
        const int e = pthread_create(&ids[started], NULL, main, (char *)args + size * started);
        if (e) {
            lapse_log(LAPSE_LOG_WARN, "running on %d of %d threads: %s", started, want,
                      strerror(e));
            break;
        }
    }
    return started;
}

static void join(pthread_t *ids, int first, int started)
{
    for (int i = first; i < started; i++)
        pthread_join(ids[i], NULL);
}

/* Threads wanted, clamped to [1, tasks]. */
static int clamp_threads(int threads, size_t tasks)
{
    return threads < 1 ? 1 : (size_t)threads < tasks ? threads : (int)tasks;
}

typedef struct {
    lapse_parallel_block_fn fn;
    void *arg;
    size_t n, block, blocks;
    atomic_size_t next; /* the next block to hand out */
    atomic_int failed;
} loop;

typedef struct {
    loop *l;
    int thread;
    int status;
    size_t failed_block; /* SIZE_MAX: none */
    lapse_error err;
} loop_thread;

static void *loop_main(void *arg)
{
    loop_thread *t = arg;
    loop *l = t->l;
    /* Blocks go out in order, so when block b fails every block before it
     * has been taken and will finish: the lowest failure is always seen. */
    while (!atomic_load(&l->failed)) {
        const size_t b = atomic_fetch_add(&l->next, 1);
        if (b >= l->blocks)
            break;
        const size_t start = b * l->block;
        const size_t count = l->n - start < l->block ? l->n - start : l->block;
        const int status = l->fn(l->arg, t->thread, start, count, &t->err);
        if (status != LAPSE_OK) {
            t->status = status;
            t->failed_block = b;
            atomic_store(&l->failed, 1);
            break;
        }
    }
    return NULL;
}

int lapse_parallel_for(int threads, size_t n, size_t block, lapse_parallel_block_fn fn, void *arg,
                       lapse_error *err)
{
    assert(block > 0);
    if (n == 0)
        return LAPSE_OK;
    loop l = { .fn = fn, .arg = arg, .n = n, .block = block, .blocks = (n - 1) / block + 1 };
    atomic_init(&l.next, 0);
    atomic_init(&l.failed, 0);
    int want = clamp_threads(threads, l.blocks);
    loop_thread one, *t = &one;
    pthread_t *ids = NULL;
    if (want > 1) {
        t = malloc((size_t)want * sizeof *t);
        ids = malloc((size_t)want * sizeof *ids);
        if (!t || !ids) { /* one thread does it all: the same results */
            free(t);
            free(ids);
            t = &one;
            ids = NULL;
            want = 1;
        }
    }
    for (int i = 0; i < want; i++)
        t[i] = (loop_thread){ &l, i, LAPSE_OK, SIZE_MAX, LAPSE_ERROR_INIT };
    lapse_blas_threads_begin(1);
    const int started = want > 1 ? spawn(ids, 1, want, loop_main, t, sizeof *t) : 1;
    loop_main(&t[0]);
    join(ids, 1, started);
    lapse_blas_threads_end();
    const loop_thread *first = NULL;
    for (int i = 0; i < started; i++)
        if (t[i].status != LAPSE_OK && (!first || t[i].failed_block < first->failed_block))
            first = &t[i];
    const int status = first ? first->status : LAPSE_OK;
    if (first && err)
        *err = first->err;
    if (t != &one)
        free(t);
    free(ids);
    return status;
}

/* Per slot of the window: whether its item is made, and how. */
typedef struct {
    int made;
    int status;
    int thread; /* the maker, whose error holds a failure */
} slot_state;

typedef struct {
    lapse_parallel_make_fn make;
    void *arg;
    size_t n, window;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* an item made or taken, or stop */
    size_t next;            /* the next item to make */
    size_t taken;           /* items the caller has taken */
    int stop;
    slot_state *slots; /* [window] */
} line;

typedef struct {
    line *l;
    int thread;
    lapse_error err;
} line_thread;

static void *line_main(void *arg)
{
    line_thread *t = arg;
    line *l = t->l;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (!l->stop && l->next < l->n && l->next >= l->taken + l->window)
            pthread_cond_wait(&l->changed, &l->lock);
        if (l->stop || l->next >= l->n)
            break;
        const size_t item = l->next++;
        pthread_mutex_unlock(&l->lock);
        const int status = l->make(l->arg, t->thread, item, &t->err);
        pthread_mutex_lock(&l->lock);
        l->slots[item % l->window] = (slot_state){ 1, status, t->thread };
        pthread_cond_broadcast(&l->changed);
        /* Items before this one are out already and will be made; none
         * after it is needed, and this thread's error must stay as it is. */
        if (status != LAPSE_OK) {
            l->stop = 1;
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

/* The caller's side: takes items in order as they are made. */
static int take_in_order(line *l, line_thread *t, lapse_parallel_take_fn take, lapse_error *err)
{
    for (size_t item = 0; item < l->n; item++) {
        slot_state *s = &l->slots[item % l->window];
        pthread_mutex_lock(&l->lock);
        while (!s->made)
            pthread_cond_wait(&l->changed, &l->lock);
        const slot_state got = *s;
        pthread_mutex_unlock(&l->lock);
        if (got.status != LAPSE_OK) {
            *err = t[got.thread].err;
            return got.status;
        }
        const int status = take(l->arg, item, err);
        if (status != LAPSE_OK)
            return status;
        pthread_mutex_lock(&l->lock);
        s->made = 0;
        l->taken = item + 1;
        pthread_cond_broadcast(&l->changed);
        pthread_mutex_unlock(&l->lock);
    }
    return LAPSE_OK;
}

static int run_inline(size_t n, lapse_parallel_make_fn make, lapse_parallel_take_fn take,
                      void *arg, lapse_error *err)
{
    int status = LAPSE_OK;
    for (size_t item = 0; item < n && status == LAPSE_OK; item++) {
        status = make(arg, 0, item, err);
        if (status == LAPSE_OK)
            status = take(arg, item, err);
    }
    return status;
}

int lapse_parallel_ordered(int threads, size_t n, size_t window, lapse_parallel_make_fn make,
                           lapse_parallel_take_fn take, void *arg, lapse_error *err)
{
    assert(window > 0);
    lapse_error own = LAPSE_ERROR_INIT;
    const int want = clamp_threads(threads, n);
    line l = { .make = make, .arg = arg, .n = n, .window = window };
    line_thread *t = want > 1 ? malloc((size_t)want * sizeof *t) : NULL;
    pthread_t *ids = want > 1 ? malloc((size_t)want * sizeof *ids) : NULL;
    l.slots = want > 1 ? calloc(window, sizeof *l.slots) : NULL;
    const int threaded = t && ids && l.slots;
    int started = 0;
    lapse_blas_threads_begin(1);
    if (threaded) {
        pthread_mutex_init(&l.lock, NULL);
        pthread_cond_init(&l.changed, NULL);
        for (int i = 0; i < want; i++)
            t[i] = (line_thread){ &l, i, LAPSE_ERROR_INIT };
        started = spawn(ids, 0, want, line_main, t, sizeof *t);
    }
    int status;
    if (started > 0) {
        status = take_in_order(&l, t, take, &own);
        pthread_mutex_lock(&l.lock);
        l.stop = 1;
        pthread_cond_broadcast(&l.changed);
        pthread_mutex_unlock(&l.lock);
        join(ids, 0, started);
    } else {
        status = run_inline(n, make, take, arg, &own);
    }
    if (threaded) {
        pthread_mutex_destroy(&l.lock);
        pthread_cond_destroy(&l.changed);
    }
    lapse_blas_threads_end();
    if (status != LAPSE_OK && err)
        *err = own;
    free(t);
    free(ids);
    free(l.slots);
    return status;
}
