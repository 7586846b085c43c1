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

static void write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

/* The replaced file keeps its mode; through a link, the link stays and the
 * file it names is replaced. */
static void replace_keeps_mode_and_link(void **state)
{
    (void)state;
    mkdir("outfile_link", 0755);
    write_file("outfile_link/target.csv", "old\n");
    chmod("outfile_link/target.csv", 0640);
    unlink("outfile_link/link.csv");
    assert_int_equal(symlink("target.csv", "outfile_link/link.csv"), 0);

    lapse_outfile *file;
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_open(&file, "outfile_link/link.csv", &err), LAPSE_OK);
    fputs("new\n", lapse_outfile_stream(file));
    assert_int_equal(lapse_outfile_commit(file, &err), LAPSE_OK);
    struct stat info;
    assert_int_equal(lstat("outfile_link/link.csv", &info), 0);
    assert_true(S_ISLNK(info.st_mode));
    assert_int_equal(stat("outfile_link/target.csv", &info), 0);
    assert_int_equal(info.st_mode & 07777, 0640);
    char buf[64];
    read_back("outfile_link/target.csv", buf, sizeof buf);
    assert_string_equal(buf, "new\n");
    assert_int_equal(temp_files_left("outfile_link"), 0);
}

/* Removes the temporary file of dir/name, so that its rename fails. */
static void lose_temp(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    char path[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (strncmp(e->d_name, name, strlen(name)) == 0 && strstr(e->d_name, ".tmp.")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

/* Two outputs of one run are placed together or not at all. */
static void group_places_all_or_none(void **state)
{
    (void)state;
    mkdir("outfile_group", 0755);
    write_file("outfile_group/a.csv", "a-old\n");
    unlink("outfile_group/b.csv");
    unlink("outfile_group/c.csv");
    lapse_outfile *files[3];
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_open(&files[0], "outfile_group/a.csv", &err), LAPSE_OK);
    assert_int_equal(lapse_outfile_open(&files[1], "outfile_group/b.csv", &err), LAPSE_OK);
    assert_int_equal(lapse_outfile_open(&files[2], "outfile_group/c.csv", &err), LAPSE_OK);
    for (int i = 0; i < 3; i++)
        fputs("new\n", lapse_outfile_stream(files[i]));
    lose_temp("outfile_group", "c.csv");
    assert_int_equal(lapse_outfile_commit_all(files, 3, &err), LAPSE_ERR_IO);
    assert_non_null(strstr(err.path, "c.csv"));
    char buf[64];
    read_back("outfile_group/a.csv", buf, sizeof buf);
    assert_string_equal(buf, "a-old\n");
    assert_int_equal(access("outfile_group/b.csv", F_OK), -1);
    assert_int_equal(temp_files_left("outfile_group"), 0);
    assert_null(files[0]);

    assert_int_equal(lapse_outfile_open(&files[0], "outfile_group/a.csv", &err), LAPSE_OK);
    assert_int_equal(lapse_outfile_open(&files[1], "outfile_group/b.csv", &err), LAPSE_OK);
    fputs("a-new\n", lapse_outfile_stream(files[0]));
    fputs("b-new\n", lapse_outfile_stream(files[1]));
    assert_int_equal(lapse_outfile_commit_all(files, 2, &err), LAPSE_OK);
    read_back("outfile_group/a.csv", buf, sizeof buf);
    assert_string_equal(buf, "a-new\n");
    read_back("outfile_group/b.csv", buf, sizeof buf);
    assert_string_equal(buf, "b-new\n");
    assert_int_equal(temp_files_left("outfile_group"), 0);
}

/* An output that is an input, by any name, is refused before any work. */
static void inputs_are_refused_as_outputs(void **state)
{
    (void)state;
    mkdir("outfile_inputs", 0755);
    write_file("outfile_inputs/log.csv", "user_id,ts,event\n");
    unlink("outfile_inputs/alias.csv");
    assert_int_equal(link("outfile_inputs/log.csv", "outfile_inputs/alias.csv"), 0);
    const char *inputs[] = { "other.csv", "outfile_inputs/log.csv" };
    lapse_error err = LAPSE_ERROR_INIT;
    assert_int_equal(lapse_outfile_refuse_inputs("outfile_inputs/alias.csv", inputs, 2, &err),
                     LAPSE_ERR_ARG);
    assert_non_null(strstr(err.message, "the output outfile_inputs/alias.csv is the same file "
                                        "as the input outfile_inputs/log.csv"));
    assert_int_equal(lapse_outfile_refuse_inputs("outfile_inputs/new.csv", inputs, 2, &err),
                     LAPSE_OK);
    assert_int_equal(lapse_outfile_refuse_inputs("-", inputs, 2, &err), LAPSE_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_replaces_abort_keeps),
        cmocka_unit_test(full_disk_is_an_error),
        cmocka_unit_test(unwritable_folder),
        cmocka_unit_test(too_many_open_is_refused),
        cmocka_unit_test(replace_keeps_mode_and_link),
        cmocka_unit_test(group_places_all_or_none),
        cmocka_unit_test(inputs_are_refused_as_outputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
