/* Outputs appear whole or not at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/outfile.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void read_back(const char *path, char *buf, size_t size)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    const size_t got = fread(buf, 1, size - 1, file);
    buf[got] = '\0';
    fclose(file);
}

static int temp_files_left(const char *dir)
{
    int count = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        count += strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return count;
}

static void commit_replaces_abort_keeps(void **state)
{
    (void)state;
    mkdir("outfile_dir", 0755);
    const char *path = "outfile_dir/result.csv";
    FILE *old = fopen(path, "wb");
    fputs("old\n", old);
    fclose(old);

    lapse_outfile *file;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_open(&file, path, &err), LAPSE_OK);
    fputs("half", lapse_outfile_stream(file));
    char buf[64];
    read_back(path, buf, sizeof buf);
    assert_string_equal(buf, "old\n"); /* nothing visible before commit */
    lapse_outfile_abort(file);
    read_back(path, buf, sizeof buf);
    assert_string_equal(buf, "old\n");
    assert_int_equal(temp_files_left("outfile_dir"), 0);

    assert_int_equal(lapse_outfile_open(&file, path, &err), LAPSE_OK);
    fputs("new\n", lapse_outfile_stream(file));
    assert_int_equal(lapse_outfile_commit(file, &err), LAPSE_OK);
    read_back(path, buf, sizeof buf);
    assert_string_equal(buf, "new\n");
    assert_int_equal(temp_files_left("outfile_dir"), 0);
}

static void full_disk_is_an_error(void **state)
{
    (void)state;
    lapse_outfile *file;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_open(&file, "/dev/full", &err), LAPSE_OK);
    for (int i = 0; i < 10000; i++)
        fputs("0123456789", lapse_outfile_stream(file));
    assert_int_equal(lapse_outfile_commit(file, &err), LAPSE_ERR_IO);
    assert_string_equal(err.path, "/dev/full");
    assert_non_null(strstr(err.message, "write failed"));
    struct stat info;
    assert_int_equal(stat("/dev/full", &info), 0);
    assert_true(S_ISCHR(info.st_mode)); /* the device was not replaced */
}

/* Every open output is known to the signal handler, or not opened at all. */
static void too_many_open_is_refused(void **state)
{
    (void)state;
    enum { most = 512 };
    mkdir("outfile_many", 0755);
    lapse_outfile **files = calloc(most, sizeof *files);
    assert_non_null(files);
    lapse_error err = LAPSE_ERROR_INIT;
    char path[64];
    for (int i = 0; i < most; i++) {
        snprintf(path, sizeof path, "outfile_many/%d.csv", i);
        assert_int_equal(lapse_outfile_open(&files[i], path, &err), LAPSE_OK);
    }
    lapse_outfile *one_more;
    assert_int_equal(lapse_outfile_open(&one_more, "outfile_many/more.csv", &err), LAPSE_ERR_LIMIT);
    assert_non_null(strstr(err.message, "more than 512 outputs open at once"));
    assert_int_equal(temp_files_left("outfile_many"), most);
    for (int i = 0; i < most; i++)
        lapse_outfile_abort(files[i]);
    assert_int_equal(temp_files_left("outfile_many"), 0);
    free(files);
}

static void unwritable_folder(void **state)
{
    (void)state;
    lapse_outfile *file = NULL;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_open(&file, "no/such/dir/out.csv", &err), LAPSE_ERR_IO);
    assert_string_equal(err.path, "no/such/dir/out.csv");
    assert_non_null(strstr(err.message, "cannot write"));
    lapse_outfile_abort(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_replaces_abort_keeps),
        cmocka_unit_test(full_disk_is_an_error),
        cmocka_unit_test(unwritable_folder),
        cmocka_unit_test(too_many_open_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
