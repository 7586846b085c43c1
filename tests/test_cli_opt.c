/* The command line's option tables (src/cli/cli_opt.h): every kind of value
 * read into its destination, every bad value refused in the one wording,
 * and the --help lines printed from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"
#include "cli_opt.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int flag, small = 3, choice = -1, calls, help_shown;
static int64_t wide, day, dates[3];
static size_t n_dates;
static double number, numbers[2];
static const char *text;

static const cli_opt_choice choices[] = { { "rbf", 7 }, { "linear", 9 }, { NULL, 0 } };

static int count_call(const cli_opt *o, const char *command, const char *name, const char *value)
{
    if (strcmp(value, "ok") != 0)
        return cli_opt_bad_value(command, name, value, "must be ok");
    ++*(int *)o->dest;
    return 0;
}

static void usage(FILE *out)
{
    (void)out;
    help_shown = 1;
}

static const cli_opt options[] = {
    CLI_OPT_SECTION("things:"),
    CLI_OPT_FLAG('q', "quiet", &flag, 1, "quiet"),
    CLI_OPT_INT('@', "threads", "N", &small, 1, 256, "threads (default 3)"),
    CLI_OPT_INT(0, "seed", "S", &wide, 0, INT64_MAX, "a seed"),
    CLI_OPT_DOUBLE('C', "C", "X", &number, 1e-6, 1e6, "cost"),
    CLI_OPT_DATE(0, "start", "DATE", &day, "first day"),
    CLI_OPT_DATES(0, "asof", "D,D", dates, 3, &n_dates, "snapshots"),
    CLI_OPT_NUMBERS(0, "pair", "A,B", numbers, 2, 0, 1, "two shares\nsecond line"),
    CLI_OPT_ENUM(0, "kernel", "K", &choice, choices, "rbf or linear"),
    CLI_OPT_STRING('o', "output", "FILE", &text, "output"),
    CLI_OPT_CALL(0, "call", "V", &calls, count_call, "a function's value"),
    CLI_OPT_HELP,
    CLI_OPT_END,
};

/* Parses the words (after the command's name) with stderr caught in err.
 * The words stay until the next call: string options point into them. */
static int parse(char *err, size_t size, int *first, const char *words)
{
    static char buf[512];
    char *argv[32];
    int argc = 0;
    snprintf(buf, sizeof buf, "test %s", words);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
        argv[argc++] = w;
    argv[argc] = NULL;
    fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    FILE *caught = tmpfile();
    assert_non_null(caught);
    dup2(fileno(caught), STDERR_FILENO);
    const int rc = cli_opt_parse(first, "test", options, usage, argc, argv);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(caught);
    const size_t n = fread(err, 1, size - 1, caught);
    err[n] = '\0';
    fclose(caught);
    return rc;
}

static void every_kind_reaches_its_destination(void **state)
{
    (void)state;
    char err[1024];
    int first;
    const int rc = parse(err, sizeof err, &first,
                         "-q in1 -@ 8 --seed 9000000000 -C 2.5 --start 2026-03-01 "
                         "--asof 2026-01-01,2026-02-01 --pair 0.25,1 --kernel linear -o f.csv "
                         "--call ok --call ok in2");
    assert_int_equal(rc, CLI_OPT_GO_ON);
    assert_string_equal(err, "");
    assert_int_equal(flag, 1);
    assert_int_equal(small, 8);
    assert_true(wide == INT64_C(9000000000));
    assert_true(number == 2.5);
    assert_true(day == INT64_C(1772323200));
    assert_int_equal(n_dates, 2);
    assert_true(dates[0] == INT64_C(1767225600) && dates[1] == INT64_C(1769904000));
    assert_true(numbers[0] == 0.25 && numbers[1] == 1);
    assert_int_equal(choice, 9);
    assert_string_equal(text, "f.csv");
    assert_int_equal(calls, 2);
    /* The two operands are moved after the options. */
    assert_int_equal(first, 22);
}

static void help_prints_the_usage(void **state)
{
    (void)state;
    char err[256];
    int first;
    help_shown = 0;
    assert_int_equal(parse(err, sizeof err, &first, "-o x --help"), EXIT_OK);
    assert_true(help_shown);
}

/* One wording for every bad value, naming the option as typed. */
static void bad_values_in_one_wording(void **state)
{
    (void)state;
    static const struct {
        const char *words, *message;
    } cases[] = {
        { "-@ 0", "-@ needs a whole number from 1 to 256, not \"0\"" },
        { "--threads 4x", "--threads needs a whole number from 1 to 256, not \"4x\"" },
        { "--seed -1", "--seed needs a whole number from 0 to 9223372036854775807, not \"-1\"" },
        { "-C abc", "-C needs a number from 1e-06 to 1e+06, not \"abc\"" },
        { "--C=inf", "--C needs a number from 1e-06 to 1e+06, not \"inf\"" },
        { "--start 2026-02-30",
          "--start needs a date as YYYY-MM-DD (1970 to 2199), not \"2026-02-30\"" },
        { "--asof 2026-01-01,2026-13-01",
          "--asof needs a date as YYYY-MM-DD (1970 to 2199), not \"2026-13-01\"" },
        { "--asof 2026-01-01,2026-01-02,2026-01-03,2026-01-04",
          "--asof needs at most 3 dates, not \"2026-01-01,2026-01-02,2026-01-03,2026-01-04\"" },
        { "--pair 0.5", "--pair needs 2 numbers A,B from 0 to 1, not \"0.5\"" },
        { "--pair 0.5,2", "--pair needs 2 numbers A,B from 0 to 1, not \"0.5,2\"" },
        { "--pair 0.5,0.5,0.5", "--pair needs 2 numbers A,B from 0 to 1, not \"0.5,0.5,0.5\"" },
        { "--kernel poly", "--kernel must be rbf or linear, not \"poly\"" },
        { "--call no", "--call must be ok, not \"no\"" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[1024], want[1024];
        int first;
        assert_int_equal(parse(err, sizeof err, &first, cases[i].words), EXIT_USAGE);
        snprintf(want, sizeof want, "lapse test: %s\nTry 'lapse test --help'.\n",
                 cases[i].message);
        assert_string_equal(err, want);
    }
}

/* Options used wrongly are named as typed, one line each: a value
 * missing is not an unknown option. */
static void unknown_and_incomplete_options(void **state)
{
    (void)state;
    static const struct {
        const char *words, *message;
    } cases[] = {
        { "--frob", "unrecognized option '--frob'" },
        { "--frob=1 -q", "unrecognized option '--frob'" },
        { "-qx", "unrecognized option '-x'" },
        { "--s 1", "ambiguous option '--s'" },
        { "-o", "-o needs a value (FILE)" },
        { "-q -o", "-o needs a value (FILE)" },
        { "f.csv --output", "--output needs a value (FILE)" },
        { "--seed", "--seed needs a value (S)" },
        { "-q@", "-@ needs a value (N)" },
        { "--quiet=1", "--quiet takes no value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[1024], want[1024];
        int first;
        assert_int_equal(parse(err, sizeof err, &first, cases[i].words), EXIT_USAGE);
        snprintf(want, sizeof want, "lapse test: %s\nTry 'lapse test --help'.\n",
                 cases[i].message);
        assert_string_equal(err, want);
    }
}

static void help_lines_from_the_table(void **state)
{
    (void)state;
    char out[2048];
    FILE *f = tmpfile();
    assert_non_null(f);
    cli_opt_print(f, options, 6, 23);
    rewind(f);
    const size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    assert_string_equal(out, "things:\n"
                             "  -q, --quiet          quiet\n"
                             "  -@, --threads N      threads (default 3)\n"
                             "      --seed S         a seed\n"
                             "  -C, --C X            cost\n"
                             "      --start DATE     first day\n"
                             "      --asof D,D       snapshots\n"
                             "      --pair A,B       two shares\n"
                             "                       second line\n"
                             "      --kernel K       rbf or linear\n"
                             "  -o, --output FILE    output\n"
                             "      --call V         a function's value\n"
                             "  -h, --help           this help\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_reaches_its_destination),
        cmocka_unit_test(help_prints_the_usage),
        cmocka_unit_test(bad_values_in_one_wording),
        cmocka_unit_test(unknown_and_incomplete_options),
        cmocka_unit_test(help_lines_from_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
