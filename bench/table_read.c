/* The feature-table reader alone (driven by bench/table_read.sh): reads
 * TABLE in batches of B rows on each thread count, REPS times, and prints
 * the median wall seconds, rows/s and the ratio to the first count, with a
 * hash of every row read (values' bits, ids, dates, labels, lines), which
 * must be the same at every count. The hash is taken in a read of its own,
 * not timed.
 *
 *   table_read TABLE THREADS,... [REPS] [B] */
#define _POSIX_C_SOURCE 200809L
#include "lapse/table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* FNV-1a over bytes, chained. */
static uint64_t hash(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* One read: wall seconds; rows out, and the hash when h is not NULL.
 * Exits on an error. */
static double read_once(const char *path, int threads, size_t capacity, size_t *rows,
                        uint64_t *h)
{
    const double start = now();
    lapse_table_reader *reader;
    lapse_error err = LAPSE_ERROR_INIT;
    if (lapse_table_reader_open(&reader, path, &err) != LAPSE_OK) {
        fprintf(stderr, "table_read: %s\n", err.message);
        exit(1);
    }
    lapse_table_reader_set_threads(reader, threads);
    const size_t d = lapse_table_reader_feature_count(reader);
    lapse_table_batch *b = lapse_table_batch_create(capacity, d);
    if (!b)
        exit(1);
    int got;
    *rows = 0;
    if (h)
        *h = 0xcbf29ce484222325ull;
    while ((got = lapse_table_reader_next(reader, b, &err)) > 0) {
        *rows += (size_t)got;
        const size_t n = (size_t)got;
        if (!h)
            continue;
        *h = hash(*h, b->x, n * d * sizeof *b->x);
        *h = hash(*h, b->asof, n * sizeof *b->asof);
        *h = hash(*h, b->labels, n * sizeof *b->labels);
        *h = hash(*h, b->lines, n * sizeof *b->lines);
        for (size_t i = 0; i < n; i++)
            *h = hash(*h, b->user_ids[i], strlen(b->user_ids[i]));
    }
    if (got < 0) {
        fprintf(stderr, "table_read: %s (line %lld, column %d)\n", err.message,
                (long long)err.line, err.column);
        exit(1);
    }
    lapse_table_batch_free(b);
    lapse_table_reader_close(reader);
    return now() - start;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: table_read TABLE THREADS,... [REPS] [BATCH]\n");
        return 2;
    }
    const int reps = argc > 3 ? atoi(argv[3]) : 7;
    const size_t capacity = argc > 4 ? (size_t)atol(argv[4]) : 2048;
    if (reps < 1 || reps > 100 || capacity < 1)
        return 2;
    double first = 0;
    uint64_t first_hash = 0;
    printf("%-8s %9s %12s %8s %s\n", "threads", "wall_s", "rows/s", "x_first", "hash");
    for (char *list = argv[2], *t; (t = strtok(list, ",")); list = NULL) {
        const int threads = atoi(t);
        double walls[100];
        size_t rows = 0;
        uint64_t h = 0;
        read_once(argv[1], threads, capacity, &rows, &h);
        for (int r = 0; r < reps; r++)
            walls[r] = read_once(argv[1], threads, capacity, &rows, NULL);
        qsort(walls, (size_t)reps, sizeof *walls, by_value);
        const double median = walls[reps / 2];
        if (first == 0) {
            first = median;
            first_hash = h;
        }
        printf("%-8d %9.4f %12.0f %8.2f %016llx\n", threads, median, (double)rows / median,
               first / median, (unsigned long long)h);
        if (h != first_hash) {
            fprintf(stderr, "table_read: %d threads read other rows\n", threads);
            return 1;
        }
    }
    return 0;
}
