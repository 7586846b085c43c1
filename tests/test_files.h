/* Helpers the unit tests share: input files written from text, and the
 * check that an error names the right place. Include after cmocka.h. */
#ifndef LAPSE_TEST_FILES_H
#define LAPSE_TEST_FILES_H

#include "lapse/error.h"

#include <stdio.h>
#include <string.h>

/* Writes text to path (replacing it) and returns path; fails the test when
 * the file cannot be written. */
static inline const char *test_write_text(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fputs(text, file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
    return path;
}

/* Fails unless err names line and column and its message holds needle. */
static inline void test_expect_location(const lapse_error *err, int64_t line, int column,
                                        const char *needle)
{
    assert_int_equal(err->line, line);
    assert_int_equal(err->column, column);
    if (!strstr(err->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
}

#endif
