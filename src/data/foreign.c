/* A foreign table's encoding: its columns, their kinds, levels and impute
 * values, and the feature names they make. */
#include "lapse/foreign.h"

#include "lapse/schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INVALID(...) lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1, __VA_ARGS__)

static void free_column(lapse_foreign_column *c)
{
    free(c->name);
    for (size_t l = 0; l < c->n_levels && c->levels; l++)
        free(c->levels[l]);
    free(c->levels);
}

void lapse_foreign_free(lapse_foreign_encoding *enc)
{
    if (!enc)
        return;
    for (size_t i = 0; i < enc->n_columns && enc->columns; i++)
        free_column(&enc->columns[i]);
    free(enc->columns);
    free(enc->id_column);
    free(enc->label_column);
    free(enc->positive);
    free(enc);
}

static char *copy_text(const char *s)
{
    return s ? strdup(s) : NULL;
}

lapse_foreign_encoding *lapse_foreign_copy(const lapse_foreign_encoding *enc)
{
    lapse_foreign_encoding *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->format = enc->format;
    c->id_column = copy_text(enc->id_column);
    c->label_column = copy_text(enc->label_column);
    c->positive = copy_text(enc->positive);
    c->columns = calloc(enc->n_columns ? enc->n_columns : 1, sizeof *c->columns);
    int ok = c->id_column && c->label_column && c->positive && c->columns;
    for (size_t i = 0; ok && i < enc->n_columns; i++) {
        const lapse_foreign_column *from = &enc->columns[i];
        lapse_foreign_column *to = &c->columns[i];
        c->n_columns++;
        *to = *from;
        to->levels = NULL;
        to->name = copy_text(from->name);
        if (from->n_levels)
            to->levels = calloc(from->n_levels, sizeof *to->levels);
        ok = to->name && (!from->n_levels || to->levels);
        for (size_t l = 0; ok && l < from->n_levels; l++)
            ok = (to->levels[l] = copy_text(from->levels[l])) != NULL;
    }
    if (!ok) {
        lapse_foreign_free(c);
        return NULL;
    }
    return c;
}

/* Features a column makes. */
static size_t column_width(const lapse_foreign_column *c)
{
    const size_t own = c->kind == LAPSE_COLUMN_NUMBER   ? 1
                       : c->kind == LAPSE_COLUMN_LEVELS ? c->n_levels
                                                        : 0;
    return own ? own + (c->has_missing != 0) : 0;
}

size_t lapse_foreign_width(const lapse_foreign_encoding *enc)
{
    size_t width = 0;
    for (size_t i = 0; i < enc->n_columns; i++)
        width += column_width(&enc->columns[i]);
    return width;
}

int lapse_foreign_feature_name(char *buf, size_t size, const lapse_foreign_encoding *enc,
                               size_t j)
{
    for (size_t i = 0; i < enc->n_columns; i++) {
        const lapse_foreign_column *c = &enc->columns[i];
        const size_t width = column_width(c);
        if (j >= width) {
            j -= width;
            continue;
        }
        int len;
        if (c->has_missing && j == width - 1)
            len = snprintf(buf, size, "%s_missing", c->name);
        else if (c->kind == LAPSE_COLUMN_NUMBER)
            len = snprintf(buf, size, "%s", c->name);
        else {
            len = snprintf(buf, size, "%s=%s", c->name, c->levels[j]);
            /* The level is kept exactly in the encoding; the name is only
             * shown, and a model's names hold no ',' or control byte. */
            for (char *p = buf + strlen(c->name) + 1; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ',')
                    *p = '_';
        }
        return len < 0 || (size_t)len >= size || len > LAPSE_FEATURE_NAME_MAX ? LAPSE_ERR_LIMIT
                                                                               : LAPSE_OK;
    }
    return LAPSE_ERR_ARG;
}

/* A column name a model can hold and a table header can show. */
static int printable_name(const char *s)
{
    if (!s[0] || strlen(s) > LAPSE_FEATURE_NAME_MAX)
        return 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == ',')
            return 0;
    return 1;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int validate_column(const lapse_foreign_column *c, size_t i, lapse_error *err)
{
    if (!c->name || !printable_name(c->name))
        return INVALID("encoding column %zu has no name a table can hold", i + 1);
    if (c->kind != LAPSE_COLUMN_NUMBER && c->kind != LAPSE_COLUMN_LEVELS &&
        c->kind != LAPSE_COLUMN_DROPPED)
        return INVALID("encoding column \"%s\" has an unknown kind %d", c->name, (int)c->kind);
    if ((c->kind == LAPSE_COLUMN_LEVELS) != (c->n_levels > 0) || (c->n_levels && !c->levels))
        return INVALID("encoding column \"%s\": levels go with text columns only", c->name);
    if (c->kind == LAPSE_COLUMN_DROPPED && c->has_missing)
        return INVALID("encoding column \"%s\" is dropped but flags missing values", c->name);
    if (!isfinite(c->impute) || (c->kind != LAPSE_COLUMN_NUMBER && c->impute != 0))
        return INVALID("encoding column \"%s\" has impute value %g", c->name, c->impute);
    for (size_t l = 0; l < c->n_levels; l++)
        if (!c->levels[l] || !c->levels[l][0] || (l && strcmp(c->levels[l - 1], c->levels[l]) >= 0))
            return INVALID("encoding column \"%s\": levels must be non-empty, distinct and in "
                           "order",
                           c->name);
    return LAPSE_OK;
}

int lapse_foreign_validate(const lapse_foreign_encoding *enc, const char *const *names, size_t n,
                           lapse_error *err)
{
    if (enc->format != LAPSE_FOREIGN_CSV && enc->format != LAPSE_FOREIGN_LIBSVM)
        return INVALID("unknown foreign table format %d", (int)enc->format);
    if (!enc->id_column || !enc->label_column || !enc->positive || !enc->columns)
        return INVALID("the encoding lacks its id, label or columns");
    if (enc->format == LAPSE_FOREIGN_CSV && !printable_name(enc->label_column))
        return INVALID("the encoding's label column has no name a table can hold");
    for (size_t i = 0; i < enc->n_columns; i++) {
        const int status = validate_column(&enc->columns[i], i, err);
        if (status != LAPSE_OK)
            return status;
    }
    /* Distinct column names (the label and id among them): sort a copy. */
    const size_t m = enc->n_columns + 2;
    char **sorted = malloc(m * sizeof *sorted);
    if (!sorted)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, NULL, 0, 0, -1, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < enc->n_columns; i++)
        sorted[k++] = enc->columns[i].name;
    if (enc->id_column[0])
        sorted[k++] = enc->id_column;
    if (enc->label_column[0])
        sorted[k++] = enc->label_column;
    qsort(sorted, k, sizeof *sorted, compare_names);
    int status = LAPSE_OK;
    for (size_t i = 1; i < k && status == LAPSE_OK; i++)
        if (strcmp(sorted[i - 1], sorted[i]) == 0)
            status = INVALID("the encoding names column \"%s\" twice", sorted[i]);
    free(sorted);
    if (status != LAPSE_OK)
        return status;
    if (lapse_foreign_width(enc) != n)
        return INVALID("the encoding makes %zu features, the model has %zu",
                       lapse_foreign_width(enc), n);
    char name[LAPSE_FEATURE_NAME_MAX + 1];
    for (size_t j = 0; j < n; j++)
        if (lapse_foreign_feature_name(name, sizeof name, enc, j) != LAPSE_OK ||
            strcmp(name, names[j]) != 0)
            return INVALID("feature %zu is \"%s\" in the model, its encoding makes \"%s\"", j + 1,
                           names[j], name);
    return LAPSE_OK;
}
