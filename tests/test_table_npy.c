/* Binary feature tables (lapse_table_write_npy, src/data/table_npy.h): a
 * CSV table written as .npy + rows file reads back to the same rows, whole
 * and streamed; NumPy's header parsed as numpy writes it; every bad input
 * refused with its file and place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lapse/features.h"
#include "lapse/table.h"

#include "table_npy.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 7

/* A CSV table of this lapse's schema: ROWS rows over two snapshots, values
 * with fractions, labels 1, 0 and empty, a quoted id. */
static const char *write_csv(const char *path)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    const size_t d = lapse_feature_count();
    lapse_table_meta meta = { 1, LAPSE_CHURN_DEF_INIT, lapse_feature_schema_hash(), "", "" };
    char line[LAPSE_TABLE_META_LINE_MAX];
    assert_int_equal(lapse_table_meta_format(line, sizeof line, &meta), LAPSE_OK);
    fprintf(f, "%s\nuser_id,asof", line);
    for (size_t j = 0; j < d; j++)
        fprintf(f, ",%s", lapse_feature_get(j)->name);
    fprintf(f, ",label,days_to_churn\n");
    for (int i = 0; i < ROWS; i++) {
        fprintf(f, i == 3 ? "\"u,%d\",2026-03-0%d" : "u%d,2026-03-0%d", i, 1 + i % 2);
        for (size_t j = 0; j < d; j++)
            fprintf(f, ",%.17g", (double)i / 3.0 + (double)j * 1e-3 - 0.5);
        fprintf(f, i % 3 == 0 ? ",1,%d\n" : i % 3 == 1 ? ",0,\n" : ",,\n", 1 + i);
    }
    assert_int_equal(fclose(f), 0);
    return path;
}

static void same_tables(const lapse_table *a, const lapse_table *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_features, b->n_features);
    assert_memory_equal(a->x, b->x, a->n_rows * a->n_features * sizeof *a->x);
    for (size_t i = 0; i < a->n_rows; i++) {
        assert_string_equal(a->user_ids[i], b->user_ids[i]);
        assert_int_equal(a->asof[i], b->asof[i]);
        assert_int_equal(a->labels[i], b->labels[i]);
        assert_int_equal(a->days_to_churn[i], b->days_to_churn[i]);
    }
    for (size_t j = 0; j < a->n_features; j++)
        assert_string_equal(a->feature_names[j], b->feature_names[j]);
    assert_int_equal(a->meta.schema_hash, b->meta.schema_hash);
}

static void round_trip(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *csv = write_csv("npy_table.csv");
    lapse_table *from_csv = NULL, *from_npy = NULL;
    assert_int_equal(lapse_table_read(&from_csv, &csv, 1, &err), LAPSE_OK);
    assert_int_equal(lapse_table_write_npy(from_csv, "npy_table.npy", &err), LAPSE_OK);
    const char *npy = "npy_table.npy";
    assert_int_equal(lapse_table_read(&from_npy, &npy, 1, &err), LAPSE_OK);
    same_tables(from_csv, from_npy);

    /* Streamed in batches of 3: the same rows, in order. */
    lapse_table_reader *reader = NULL;
    assert_int_equal(lapse_table_reader_open(&reader, npy, &err), LAPSE_OK);
    assert_int_equal(lapse_table_reader_feature_count(reader), lapse_feature_count());
    assert_string_equal(lapse_table_reader_feature_names(reader)[0], lapse_feature_get(0)->name);
    lapse_table_batch *batch = lapse_table_batch_create(3, lapse_feature_count());
    size_t row = 0;
    int got;
    while ((got = lapse_table_reader_next(reader, batch, &err)) > 0) {
        for (int i = 0; i < got; i++, row++) {
            assert_string_equal(batch->user_ids[i], from_csv->user_ids[row]);
            assert_memory_equal(&batch->x[(size_t)i * batch->n_features],
                                &from_csv->x[row * from_csv->n_features],
                                batch->n_features * sizeof(double));
        }
    }
    assert_int_equal(got, 0);
    assert_int_equal(row, ROWS);
    lapse_table_batch_free(batch);
    lapse_table_reader_close(reader);

    /* Only a .npy path, and only a lapse table of this schema. */
    assert_int_equal(lapse_table_write_npy(from_csv, "npy_table.bin", &err), LAPSE_ERR_ARG);
    lapse_table_free(from_csv);
    lapse_table_free(from_npy);
}

static void header_as_numpy_writes_it(void **state)
{
    (void)state;
    unsigned char buf[256];
    const size_t n = lapse__npy_header_format(buf, 1000000, 79);
    assert_int_equal(n % 64, 0);
    assert_int_equal(buf[n - 1], '\n');
    lapse_npy_shape shape;
    char why[256];
    assert_int_equal(lapse__npy_header_parse(buf, n, &shape, why, sizeof why), 0);
    assert_int_equal(shape.rows, 1000000);
    assert_int_equal(shape.columns, 79);
    assert_int_equal(shape.data_offset, n);
    /* Version 2.0 (a 4-byte length), keys in another order, a 1-tuple
     * comma and Python 2's long suffix. */
    static const char dict[] = "{\"shape\":(5L,3,),'fortran_order':False,'descr':'<f8'}\n";
    unsigned char v2[128] = "\x93NUMPY\x02\x00";
    v2[8] = (unsigned char)(sizeof dict - 1);
    v2[9] = v2[10] = v2[11] = 0;
    memcpy(v2 + 12, dict, sizeof dict - 1);
    assert_int_equal(lapse__npy_header_parse(v2, 12 + sizeof dict - 1, &shape, why, sizeof why), 0);
    assert_int_equal(shape.data_offset, 12 + sizeof dict - 1);
    assert_int_equal(shape.rows, 5);
    assert_int_equal(shape.columns, 3);
    const struct {
        const char *header;
        const char *says;
    } bad[] = {
        { "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "'<f4'" },
        { "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", "'>f8'" },
        { "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", "Fortran order" },
        { "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }", "not (rows, features)" },
        { "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 1), }", "not (rows, features)" },
        { "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 0), }", "empty or too large" },
        { "{'descr': '<f8', 'fortran_order': False, }", "bad .npy header" },
        { "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}", "bad .npy header" },
        { "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "bad .npy header" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        unsigned char file[200] = "\x93NUMPY\x01\x00";
        const size_t len = strlen(bad[i].header);
        file[8] = (unsigned char)len;
        file[9] = 0;
        memcpy(file + 10, bad[i].header, len);
        assert_int_equal(lapse__npy_header_parse(file, 10 + len, &shape, why, sizeof why), -1);
        if (!strstr(why, bad[i].says))
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].header, why, bad[i].says);
    }
    assert_int_equal(lapse__npy_header_parse(buf, n - 1, &shape, why, sizeof why), -1);
    assert_non_null(strstr(why, "truncated"));
}

/* Copies from to to, changing it by edit(bytes, &len). */
static void copy_edited(const char *from, const char *to, void (*edit)(unsigned char *, size_t *))
{
    FILE *f = fopen(from, "rb");
    assert_non_null(f);
    static unsigned char bytes[1 << 16];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    if (edit)
        edit(bytes, &len);
    f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void cut_last_value(unsigned char *b, size_t *len)
{
    (void)b;
    *len -= 8;
}

static void nan_in_row_2(unsigned char *b, size_t *len)
{
    (void)len;
    const double nan_value = NAN;
    memcpy(b + 128 + (lapse_feature_count() + 4) * 8, &nan_value, 8); /* row 2, feature 5 */
}

/* What value_in_row_2 writes where nan_in_row_2 writes its NaN. */
static double row_2_value;

static void value_in_row_2(unsigned char *b, size_t *len)
{
    (void)len;
    memcpy(b + 128 + (lapse_feature_count() + 4) * 8, &row_2_value, 8);
}

static void drop_last_row(unsigned char *b, size_t *len)
{
    (void)b;
    *len -= 1; /* the final newline... */
    while (*len > 0 && b[*len - 1] != '\n')
        (*len)--; /* ...and the whole last line */
}

static void extra_row(unsigned char *b, size_t *len)
{
    memcpy(b + *len, "u9,2026-03-01,0,\n", 17);
    *len += 17;
}

static int read_npy(const char *path, lapse_error *err)
{
    lapse_table *t = NULL;
    const int status = lapse_table_read(&t, &path, 1, err);
    lapse_table_free(t);
    return status;
}

static void bad_tables_refused(void **state)
{
    (void)state;
    lapse_error err = LAPSE_ERROR_INIT;
    const char *csv = write_csv("npy_bad.csv");
    lapse_table *t = NULL;
    assert_int_equal(lapse_table_read(&t, &csv, 1, &err), LAPSE_OK);
    assert_int_equal(lapse_table_write_npy(t, "npy_good.npy", &err), LAPSE_OK);
    lapse_table_free(t);

    /* Values cut short: the size says so before any row is read. */
    copy_edited("npy_good.npy", "npy_cut.npy", cut_last_value);
    copy_edited("npy_good.rows.csv", "npy_cut.rows.csv", NULL);
    assert_int_equal(read_npy("npy_cut.npy", &err), LAPSE_ERR_TRUNCATED);
    assert_string_equal(err.path, "npy_cut.npy");
    assert_non_null(strstr(err.message, "header says"));

    /* A NaN: the feature, the row and the byte offset. */
    copy_edited("npy_good.npy", "npy_nan.npy", nan_in_row_2);
    copy_edited("npy_good.rows.csv", "npy_nan.rows.csv", NULL);
    assert_int_equal(read_npy("npy_nan.npy", &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.path, "npy_nan.npy");
    assert_int_equal(err.column, 5);
    assert_int_equal(err.offset, (int64_t)(128 + (lapse_feature_count() + 4) * 8));
    assert_non_null(strstr(err.message, "in row 2"));
    assert_non_null(strstr(err.message, lapse_feature_get(4)->name));

    /* Infinities and a NaN with its sign bit set are refused there too;
     * the largest finite values and a subnormal are values. */
    const double refused[] = { INFINITY, -INFINITY, -NAN };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        row_2_value = refused[i];
        copy_edited("npy_good.npy", "npy_inf.npy", value_in_row_2);
        copy_edited("npy_good.rows.csv", "npy_inf.rows.csv", NULL);
        assert_int_equal(read_npy("npy_inf.npy", &err), LAPSE_ERR_FORMAT);
        assert_int_equal(err.column, 5);
    }
    const double taken[] = { DBL_MAX, -DBL_MAX, 4.9e-324 };
    for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
        row_2_value = taken[i];
        copy_edited("npy_good.npy", "npy_big.npy", value_in_row_2);
        copy_edited("npy_good.rows.csv", "npy_big.rows.csv", NULL);
        assert_int_equal(read_npy("npy_big.npy", &err), LAPSE_OK);
    }

    /* Rows and values that do not pair up. */
    copy_edited("npy_good.npy", "npy_short.npy", NULL);
    copy_edited("npy_good.rows.csv", "npy_short.rows.csv", drop_last_row);
    assert_int_equal(read_npy("npy_short.npy", &err), LAPSE_ERR_FORMAT);
    assert_non_null(strstr(err.message, "npy_short.rows.csv has 6"));
    copy_edited("npy_good.npy", "npy_long.npy", NULL);
    copy_edited("npy_good.rows.csv", "npy_long.rows.csv", extra_row);
    assert_int_equal(read_npy("npy_long.npy", &err), LAPSE_ERR_TRUNCATED);
    assert_non_null(strstr(err.message, "has more"));

    /* No rows file: named. A bad rows file: its own line and column. */
    copy_edited("npy_good.npy", "npy_alone.npy", NULL);
    remove("npy_alone.rows.csv");
    assert_int_equal(read_npy("npy_alone.npy", &err), LAPSE_ERR_IO);
    assert_string_equal(err.path, "npy_alone.rows.csv");
    copy_edited("npy_good.npy", "npy_date.npy", NULL);
    FILE *f = fopen("npy_good.rows.csv", "rb");
    char text[4096];
    const size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    char *date = strstr(text, "u1,2026-03-02");
    assert_non_null(date);
    memcpy(date + 3, "2026-13-02", 10);
    f = fopen("npy_date.rows.csv", "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    assert_int_equal(read_npy("npy_date.npy", &err), LAPSE_ERR_FORMAT);
    assert_string_equal(err.path, "npy_date.rows.csv");
    assert_int_equal(err.line, 4);
    assert_int_equal(err.column, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(header_as_numpy_writes_it),
        cmocka_unit_test(bad_tables_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
