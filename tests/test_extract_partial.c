/* lapse_extract_partial and lapse_extract_merge (lapse/extract_partial.h):
 * random logs with repeated rows, refunds, devices and cancels, split at
 * random into files and the files into maps, give through map and merge
 * (and through a combine per bucket, then a merge) the rows, features,
 * labels and warnings of one lapse_extract_run, bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "lapse/extract.h"
#include "lapse/extract_partial.h"
#include "lapse/features.h"
#include "test_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILES 5

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33) % n;
}

/* A random log of 60 users over 2026-01-01..2026-04-10, its rows dealt at
 * random into files[0..n) (each with the header); a few rows twice, in any
 * file. */
static void write_log(char paths[][64], size_t n)
{
    static const char *const events[] = { "login", "app_open", "core_use", "purchase",
                                          "coupon_redeem", "share", "cancel", "page_view" };
    FILE *out[MAX_FILES];
    for (size_t f = 0; f < n; f++) {
        snprintf(paths[f], 64, "t_partial_%zu.csv", f);
        out[f] = fopen(paths[f], "w");
        assert_non_null(out[f]);
        fputs("user_id,ts,event,amount,session_id,device_id\n", out[f]);
    }
    char row[256];
    for (int i = 0; i < 1500; i++) {
        const unsigned user = rnd(60), day = rnd(100), ev = rnd(8);
        char amount[32] = "";
        if (ev == 3)
            snprintf(amount, sizeof amount, "%u.%02u", 1 + rnd(50), rnd(100));
        else if (ev == 6 && rnd(2))
            snprintf(amount, sizeof amount, "-%u.50", 1 + rnd(9));
        snprintf(row, sizeof row, "u%02u,2026-%02u-%02uT%02u:%02u:00Z,%s,%s,s%u,%s%u\n", user,
                 1 + day / 28, 1 + day % 28, rnd(24), rnd(60), events[ev], amount, rnd(5),
                 rnd(3) ? "d" : "", user % 7);
        fputs(row, out[rnd((uint32_t)n)]);
        if (rnd(40) == 0) /* the same row again, maybe in another file */
            fputs(row, out[rnd((uint32_t)n)]);
    }
    for (size_t f = 0; f < n; f++)
        assert_int_equal(fclose(out[f]), 0);
}

/* Fails unless a and b hold the same rows, values and warnings. */
static void expect_same(const lapse_extract *a, const lapse_extract *b)
{
    const size_t nf = lapse_feature_count();
    double *va = malloc(nf * sizeof *va), *vb = malloc(nf * sizeof *vb);
    assert_non_null(va);
    assert_non_null(vb);
    for (int set = 0; set < 2; set++) {
        const size_t n = lapse_extract_count(a, (lapse_extract_set)set);
        assert_int_equal(n, lapse_extract_count(b, (lapse_extract_set)set));
        for (size_t i = 0; i < n; i++) {
            lapse_extract_row ra, rb;
            assert_int_equal(lapse_extract_get(a, (lapse_extract_set)set, i, &ra, va), 0);
            assert_int_equal(lapse_extract_get(b, (lapse_extract_set)set, i, &rb, vb), 0);
            assert_int_equal(ra.user_id_len, rb.user_id_len);
            assert_memory_equal(ra.user_id, rb.user_id, ra.user_id_len);
            assert_int_equal(ra.asof, rb.asof);
            assert_int_equal(ra.label, rb.label);
            assert_int_equal(ra.days_to_churn, rb.days_to_churn);
            assert_memory_equal(va, vb, nf * sizeof *va);
        }
    }
    assert_int_equal(lapse_extract_warning_count(a), lapse_extract_warning_count(b));
    for (size_t i = 0; i < lapse_extract_warning_count(a); i++)
        assert_string_equal(lapse_extract_warning(a, i), lapse_extract_warning(b, i));
    free(va);
    free(vb);
}

/* The partial files of dir, in a random order. */
static size_t list_dir(const char *dir, char names[][320], size_t most)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls %s", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    size_t n = 0;
    char line[128];
    while (n < most && fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(names[n++], 320, "%s/%s", dir, line);
    }
    pclose(ls);
    for (size_t i = n; i > 1; i--) {
        char t[320];
        const size_t j = rnd((uint32_t)i);
        memcpy(t, names[i - 1], sizeof t);
        memcpy(names[i - 1], names[j], sizeof t);
        memcpy(names[j], t, sizeof t);
    }
    return n;
}

static void random_splits_merge_to_one_extract(void **state)
{
    (void)state;
    for (int seed = 1; seed <= 12; seed++) {
        rng_state = (uint64_t)seed;
        const size_t files = 2 + rnd(MAX_FILES - 1), maps = 1 + rnd((uint32_t)files);
        const unsigned buckets = 1 + rnd(5);
        char paths[MAX_FILES][64];
        write_log(paths, files);
        const char *all[MAX_FILES];
        for (size_t f = 0; f < files; f++)
            all[f] = paths[f];

        const int64_t asof[] = { 1771459200 /* 2026-02-19 */, 1772582400 /* 2026-03-04 */ };
        lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
        opts.asof = asof;
        opts.asof_count = 2;
        if (seed % 3 == 0)
            lapse_churn_preset(&opts.churn, "subscription");
        if (seed % 4 == 0)
            opts.reader.dups = LAPSE_DUPS_KEEP;
        lapse_error err = LAPSE_ERROR_INIT;
        lapse_extract *one = NULL;
        assert_int_equal(lapse_extract_run(&one, all, files, &opts, &err), LAPSE_OK);

        /* Files dealt to maps: map m reads the files f with f % maps == m. */
        assert_int_equal(system("rm -rf t_partial_maps t_partial_comb"), 0);
        for (size_t m = 0; m < maps; m++) {
            const char *mine[MAX_FILES];
            size_t k = 0;
            for (size_t f = m; f < files; f += maps)
                mine[k++] = paths[f];
            char dir[64];
            snprintf(dir, sizeof dir, "t_partial_maps/m%zu", m);
            assert_int_equal(lapse_extract_partial(mine, k, &opts, buckets, dir, NULL, &err),
                             LAPSE_OK);
        }
        char names[64][320];
        const char *partials[64];
        size_t n = 0;
        for (size_t m = 0; m < maps; m++) {
            char dir[64];
            snprintf(dir, sizeof dir, "t_partial_maps/m%zu", m);
            n += list_dir(dir, names + n, 64 - n);
        }
        assert_int_equal(n, maps * buckets);
        for (size_t i = 0; i < n; i++)
            partials[i] = names[i];
        lapse_extract *merged = NULL;
        if (lapse_extract_merge(&merged, partials, n, &err) != LAPSE_OK)
            fail_msg("seed %d: %s", seed, err.message);
        expect_same(one, merged);
        lapse_extract_free(merged);

        /* Each bucket combined on its own, then those merged. */
        for (unsigned b = 0; b < buckets; b++) {
            const char *of_b[64];
            size_t k = 0;
            char suffix[48];
            snprintf(suffix, sizeof suffix, ".bucket-%04u-of-%04u", b, buckets);
            for (size_t i = 0; i < n; i++)
                if (strstr(partials[i], suffix))
                    of_b[k++] = partials[i];
            assert_int_equal(k, maps);
            assert_int_equal(lapse_extract_merge_partial(of_b, k, "t_partial_comb", &err),
                             LAPSE_OK);
        }
        n = list_dir("t_partial_comb", names, 64);
        assert_int_equal(n, buckets);
        merged = NULL;
        if (lapse_extract_merge(&merged, partials, n, &err) != LAPSE_OK)
            fail_msg("seed %d (combined): %s", seed, err.message);
        expect_same(one, merged);
        lapse_extract_free(merged);
        lapse_extract_free(one);
    }
    assert_int_equal(system("rm -rf t_partial_maps t_partial_comb t_partial_?.csv"), 0);
}

/* A map writes the same bytes at any thread count, run after run: its
 * users sorted by id and its rows by hash, not in the order the threads
 * met them. */
static void maps_write_the_same_bytes_at_any_thread_count(void **state)
{
    (void)state;
    rng_state = 99;
    char paths[MAX_FILES][64];
    write_log(paths, MAX_FILES);
    const char *all[MAX_FILES];
    for (size_t f = 0; f < MAX_FILES; f++)
        all[f] = paths[f];
    const int64_t asof[] = { 1771459200 /* 2026-02-19 */ };
    lapse_extract_options opts = LAPSE_EXTRACT_OPTIONS_INIT;
    opts.asof = asof;
    opts.asof_count = 1;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(system("rm -rf t_partial_threads"), 0);
    static const int threads[] = { 1, 2, 4, 4, 2 };
    for (size_t i = 0; i < sizeof threads / sizeof *threads; i++) {
        opts.threads = threads[i];
        char dir[64];
        snprintf(dir, sizeof dir, "t_partial_threads/run%zu", i);
        assert_int_equal(lapse_extract_partial(all, MAX_FILES, &opts, 3, dir, NULL, &err),
                         LAPSE_OK);
        if (i > 0) {
            char cmd[160];
            snprintf(cmd, sizeof cmd, "diff -r -q t_partial_threads/run0 %s > /dev/null", dir);
            if (system(cmd) != 0)
                fail_msg("-@%d wrote other bytes than -@1", threads[i]);
        }
    }
    assert_int_equal(system("rm -rf t_partial_threads t_partial_?.csv"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_splits_merge_to_one_extract),
        cmocka_unit_test(maps_write_the_same_bytes_at_any_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
