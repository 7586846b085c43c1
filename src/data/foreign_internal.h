/* Internal to src/data: the foreign-table readers (CSV in foreign_csv.c,
 * libsvm in foreign_libsvm.c) and what they share with the feature-table
 * reader. */
#ifndef LAPSE_FOREIGN_INTERNAL_H
#define LAPSE_FOREIGN_INTERNAL_H

#include "lapse/foreign.h"
#include "lapse/table.h"

#include "fieldnum.h"
#include "input.h"

#include <stddef.h>
#include <stdint.h>

#define FOREIGN_SHOWN_MAX 48 /* bytes of a bad value quoted in a message */

/* A label cell: with positive NULL or "", 0 or 1 as a number (also 1.0) or
 * empty (-1); with positive, 1 when equal to it, empty -1, else 0. Returns
 * 0 with *out set, or -1 for another value. */
int lapse__foreign_parse_label(const char *text, size_t len, const char *positive, int8_t *out);

/* The first line of a lapse feature table, which a foreign reader refuses
 * with a pointer to the way such tables are read. */
int lapse__foreign_is_lapse_table(const char *text, size_t len);

/* Streams a foreign table's rows, encoded as enc says, into batches:
 * lapse_table_reader's foreign mode (table_reader.c dispatches here). */
typedef struct foreign_rows foreign_rows;

/* enc is borrowed and must outlive the reader. Reads the header (CSV) and
 * matches it to enc. Errors as lapse_foreign_infer's, and LAPSE_ERR_SCHEMA
 * for a column the model lacks or one it needs. */
int lapse__foreign_rows_open(foreign_rows **out, const char *path,
                             const lapse_foreign_encoding *enc, lapse_error *err);
int lapse__foreign_rows_next(foreign_rows *f, lapse_table_batch *batch, lapse_error *err);
const lapse_table_meta *lapse__foreign_rows_meta(const foreign_rows *f);
size_t lapse__foreign_rows_width(const foreign_rows *f);
const char *const *lapse__foreign_rows_names(const foreign_rows *f);
void lapse__foreign_rows_close(foreign_rows *f); /* accepts NULL; warns of what it counted */

/* libsvm, for foreign_csv.c's entry points. */
int lapse__libsvm_infer(lapse_foreign_encoding **out, const char *path, lapse_error *err);

typedef struct libsvm_rows libsvm_rows;
int lapse__libsvm_rows_open(libsvm_rows **out, const char *path, size_t width,
                            lapse_error *err);
/* Fills up to batch->capacity rows; as lapse_table_reader_next. */
int lapse__libsvm_rows_next(libsvm_rows *r, lapse_table_batch *batch, lapse_error *err);
void lapse__libsvm_rows_close(libsvm_rows *r);

#endif
