/* The channel table: the built-in one, a channels file, conditions on
 * scored columns and per-channel overrides (lapse/channels.h). */
#include "lapse/channels.h"

#include "lapse/outfile.h"

#include "fieldnum.h"
#include "input.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TERM(column, op, value, number) { { column, LAPSE_OP_##op, value, number } }
#define HAS_APP 1, TERM("has_app", EQ, "1", 1)
#define EVERYONE 0, { { "", LAPSE_OP_EQ, "", 0 } }

/* The first five are lapse score's actions with campaign plan's costs and
 * uplifts of old; the rest wait for a team's own uplift. */
static const lapse_channel_def builtin[] = {
    { "sms_email", 0.05, 0.02, -1, EVERYONE },
    { "push_feature", 0, 0.03, -1, HAS_APP },
    { "coupon", 0.5, 0.06, -1, EVERYONE },
    { "phone", 2.0, 0.15, -1, 1, TERM("value_tier", EQ, "high", NAN) },
    { "community", 0.02, 0.03, -1, EVERYONE },
    { "sms", 0.03, 0, -1, 1, TERM("value_tier", NE, "high", NAN) },
    { "email", 0.005, 0, -1, EVERYONE },
    { "push", 0, 0, -1, HAS_APP },
    { "in_app", 0, 0, -1, HAS_APP },
    { "wechat", 0.01, 0, -1, 1, TERM("wechat", EQ, "1", 1) },
    { "gift", 5.0, 0, -1, 1, TERM("seed_user", EQ, "1", 1) },
    { "cash", 3.0, 0, -1, 1, TERM("value_tier", NE, "low", NAN) },
    { "trial", 1.0, 0, -1, EVERYONE },
    { "event", 2.0, 0, -1, 1, TERM("segment", EQ, "social-driven", NAN) },
};

#define N_BUILTIN (sizeof builtin / sizeof builtin[0])

const lapse_channel_def *lapse_channel_builtin(size_t i)
{
    return i < N_BUILTIN ? &builtin[i] : NULL;
}

void lapse_channel_table_default(lapse_channel_table *out)
{
    out->n = N_BUILTIN;
    memcpy(out->channel, builtin, sizeof builtin);
}

int lapse_channel_find(const lapse_channel_table *table, const char *name, size_t len)
{
    for (size_t i = 0; i < table->n; i++)
        if (strlen(table->channel[i].name) == len && memcmp(table->channel[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

void lapse_channel_list(char *buf, size_t size, const lapse_channel_table *table)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < table->n && n < size; i++) {
        const int w = snprintf(buf + n, size - n, "%s%s", i ? ", " : "", table->channel[i].name);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

int lapse_channel_item(char *value, size_t size, const lapse_channel_table *table,
                       const char *item, size_t len, char sep, const char *noun,
                       const char *form, lapse_error *err)
{
    const char *at = memchr(item, sep, len);
    const int c = at ? lapse_channel_find(table, item, (size_t)(at - item)) : -1;
    if (c < 0) {
        char names[1024];
        lapse_channel_list(names, sizeof names, table);
        lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                        "%s\"%.*s\" is not %s with a channel among %s", noun, (int)len, item, form,
                        names);
        return -1;
    }
    const size_t n = len - (size_t)(at + 1 - item);
    value[0] = '\0';
    if (n < size) {
        memcpy(value, at + 1, n);
        value[n] = '\0';
    }
    return c;
}

/* ---- conditions ---- */

static int is_column_byte(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int condition_error(lapse_error *err, size_t at, const char *what)
{
    return lapse_error_set(err, LAPSE_ERR_FORMAT, NULL, 0, 0, -1,
                           "bad condition: %s at byte %zu (terms are `column op value` joined "
                           "by \" and \"; op = != < <= > >=)",
                           what, at + 1);
}

/* One run of bytes [p, q) into word, with its size checked. */
static int take_word(char word[LAPSE_CONDITION_WORD_MAX + 1], const char *text, size_t p,
                     size_t q, lapse_error *err, const char *what)
{
    if (q == p)
        return condition_error(err, p, what);
    if (q - p > LAPSE_CONDITION_WORD_MAX)
        return condition_error(err, p, "a word longer than 31 bytes");
    memcpy(word, text + p, q - p);
    word[q - p] = '\0';
    return LAPSE_OK;
}

int lapse_channel_condition_parse(lapse_channel_def *ch, const char *text, size_t len,
                                  lapse_error *err)
{
    static const struct {
        const char *text;
        lapse_condition_op op;
    } ops[] = { { "!=", LAPSE_OP_NE }, { "<=", LAPSE_OP_LE }, { ">=", LAPSE_OP_GE },
                { "=", LAPSE_OP_EQ },  { "<", LAPSE_OP_LT },  { ">", LAPSE_OP_GT } };
    int n = 0;
    size_t p = 0;
    while (p < len && text[p] == ' ')
        p++;
    while (p < len) {
        if (n == LAPSE_CONDITION_TERMS)
            return condition_error(err, p, "more than 4 terms");
        lapse_condition_term *t = &ch->terms[n];
        size_t q = p;
        while (q < len && is_column_byte(text[q]))
            q++;
        int status = take_word(t->column, text, p, q, err, "a column name (a-z, 0-9, _) expected");
        if (status != LAPSE_OK)
            return status;
        for (p = q; p < len && text[p] == ' '; p++)
            ;
        size_t k = 0;
        while (k < sizeof ops / sizeof ops[0] &&
               strncmp(text + p, ops[k].text, strlen(ops[k].text)) != 0)
            k++;
        if (p >= len || k == sizeof ops / sizeof ops[0])
            return condition_error(err, p, "an operator expected");
        t->op = ops[k].op;
        for (p += strlen(ops[k].text); p < len && text[p] == ' '; p++)
            ;
        for (q = p; q < len && text[q] != ' ' && !strchr("=!<>", text[q]); q++)
            ;
        status = take_word(t->value, text, p, q, err, "a value expected");
        if (status != LAPSE_OK)
            return status;
        t->number = NAN;
        lapse_field_number(t->value, strlen(t->value), &t->number);
        if (t->op != LAPSE_OP_EQ && t->op != LAPSE_OP_NE && isnan(t->number))
            return condition_error(err, p, "< <= > >= need a number");
        n++;
        for (p = q; p < len && text[p] == ' '; p++)
            ;
        if (p == len)
            break;
        if (len - p < 4 || strncmp(text + p, "and ", 4) != 0)
            return condition_error(err, p, "\" and \" or the end expected");
        for (p += 4; p < len && text[p] == ' '; p++)
            ;
        if (p == len)
            return condition_error(err, p, "a term expected after \"and\"");
    }
    ch->n_terms = n;
    return LAPSE_OK;
}

int lapse_condition_term_holds(const lapse_condition_term *t, const char *field)
{
    if (!field)
        return 0;
    double v;
    const int numeric = !isnan(t->number) && !lapse_field_number(field, strlen(field), &v);
    if (!numeric) {
        if (t->op != LAPSE_OP_EQ && t->op != LAPSE_OP_NE)
            return 0; /* an order on text that is not a number */
        return (strcmp(field, t->value) == 0) == (t->op == LAPSE_OP_EQ);
    }
    switch (t->op) {
    case LAPSE_OP_EQ: return v == t->number;
    case LAPSE_OP_NE: return v != t->number;
    case LAPSE_OP_LT: return v < t->number;
    case LAPSE_OP_LE: return v <= t->number;
    case LAPSE_OP_GT: return v > t->number;
    default: return v >= t->number;
    }
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void put_number(FILE *out, double v)
{
    char text[32];
    snprintf(text, sizeof text, "%.15g", v);
    if (strtod(text, NULL) != v)
        snprintf(text, sizeof text, "%.17g", v);
    fputs(text, out);
}

void lapse_channel_table_write(FILE *out, const lapse_channel_table *table)
{
    static const char *const op_text[] = { "=", "!=", "<", "<=", ">", ">=" };
    fputs("name,cost,uplift,condition,capacity\n", out);
    for (size_t c = 0; c < table->n; c++) {
        const lapse_channel_def *d = &table->channel[c];
        char condition[LAPSE_CONDITION_TERMS * (2 * LAPSE_CONDITION_WORD_MAX + 9)];
        size_t n = 0;
        condition[0] = '\0';
        for (int k = 0; k < d->n_terms; k++)
            n += (size_t)snprintf(condition + n, sizeof condition - n, "%s%s %s %s",
                                  k ? " and " : "", d->terms[k].column, op_text[d->terms[k].op],
                                  d->terms[k].value);
        fprintf(out, "%s,", d->name);
        put_number(out, d->cost);
        fputc(',', out);
        put_number(out, d->uplift);
        fputc(',', out);
        if (n)
            lapse_outfile_put_field(out, condition, n);
        if (d->capacity >= 0)
            fprintf(out, ",%lld\n", (long long)d->capacity);
        else
            fputs(",\n", out);
    }
}

/* ---- overrides: "name=value,..." ---- */

int lapse_channel_table_set(lapse_channel_table *table, lapse_channel_field field,
                            const char *spec, lapse_error *err)
{
    static const double max[] = { 1e9, 1, 1e12 };
    for (const char *p = spec;;) {
        const size_t len = strcspn(p, ",");
        char number[64];
        const int c = lapse_channel_item(number, sizeof number, table, p, len, '=', "",
                                         "channel=value", err);
        if (c < 0)
            return LAPSE_ERR_ARG;
        double v = NAN;
        if (number[0]) {
            if (field == LAPSE_CHANNEL_CAPACITY && strcmp(number, "none") == 0)
                v = -1;
            else if (lapse_field_number(number, strlen(number), &v) != LAPSE_OK ||
                     (field == LAPSE_CHANNEL_CAPACITY && v != floor(v)))
                v = NAN;
        }
        if (!(v >= 0 && v <= max[field]) && !(field == LAPSE_CHANNEL_CAPACITY && v == -1))
            return lapse_error_set(err, LAPSE_ERR_ARG, NULL, 0, 0, -1,
                                   "\"%.*s\" needs a %s from 0 to %g%s", (int)len, p,
                                   field == LAPSE_CHANNEL_CAPACITY ? "whole number" : "number",
                                   max[field],
                                   field == LAPSE_CHANNEL_CAPACITY ? " (or none)" : "");
        lapse_channel_def *ch = &table->channel[c];
        if (field == LAPSE_CHANNEL_COST)
            ch->cost = v;
        else if (field == LAPSE_CHANNEL_UPLIFT)
            ch->uplift = v;
        else
            ch->capacity = (int64_t)v;
        if (!p[len])
            return LAPSE_OK;
        p += len + 1;
    }
}

/* ---- the channels file ---- */

enum { F_NAME, F_COST, F_UPLIFT, F_CONDITION, F_CAPACITY, N_FIELDS };

static const char *const field_names[N_FIELDS] = { "name", "cost", "uplift", "condition",
                                                   "capacity" };

#define FIELD_MAX 256

typedef struct {
    lapse_channel_table *table;
    lapse_error *err;
    char field[N_FIELDS][FIELD_MAX];
    size_t len[N_FIELDS];
} channels_parse;

static int channels_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    channels_parse *p = user;
    const int column = lapse_input_csv_fields(csv) + 1;
    if (column > N_FIELDS)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), column, -1,
                               "channel rows have 5 fields (name,cost,uplift,condition,"
                               "capacity)");
    if (len >= FIELD_MAX)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, lapse_input_csv_path(csv),
                               lapse_input_csv_line(csv), column, -1,
                               "a field longer than %d bytes", FIELD_MAX - 1);
    memcpy(p->field[column - 1], text, len);
    p->field[column - 1][len] = '\0';
    p->len[column - 1] = len;
    return LAPSE_OK;
}

static int channels_row(const lapse_input_csv *csv, void *user)
{
    channels_parse *p = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t line = lapse_input_csv_line(csv);
    const int fields = lapse_input_csv_fields(csv);
    if (fields != N_FIELDS)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, fields, -1,
                               "channel rows have 5 fields (name,cost,uplift,condition,"
                               "capacity), this one has %d",
                               fields);
    if (lapse_input_csv_records(csv) == 0) {
        for (int f = 0; f < N_FIELDS; f++)
            if (strcmp(p->field[f], field_names[f]) != 0)
                return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, f + 1, -1,
                                       "the channels header is "
                                       "\"name,cost,uplift,condition,capacity\"");
        return LAPSE_OK;
    }
    lapse_channel_table *t = p->table;
    const char *name = p->field[F_NAME];
    const size_t nlen = p->len[F_NAME];
    if (nlen == 0 || nlen > LAPSE_CHANNEL_NAME_MAX ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != nlen)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, 1, -1,
                               "channel name \"%s\": 1 to %d bytes of a-z, 0-9, _ and -", name,
                               LAPSE_CHANNEL_NAME_MAX);
    if (lapse_channel_find(t, name, nlen) >= 0)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, 1, -1,
                               "channel \"%s\" is listed twice", name);
    if (t->n == LAPSE_CHANNELS_MAX)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, 1, -1,
                               "more than %d channels", LAPSE_CHANNELS_MAX);
    lapse_channel_def ch;
    memset(&ch, 0, sizeof ch);
    memcpy(ch.name, name, nlen);
    if (lapse_field_number(p->field[F_COST], p->len[F_COST], &ch.cost) || ch.cost < 0)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, F_COST + 1, -1,
                               "bad cost \"%s\": a number >= 0", p->field[F_COST]);
    if (lapse_field_number(p->field[F_UPLIFT], p->len[F_UPLIFT], &ch.uplift) || ch.uplift < 0 ||
        ch.uplift > 1)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, F_UPLIFT + 1, -1,
                               "bad uplift \"%s\": a number from 0 to 1", p->field[F_UPLIFT]);
    if (lapse_channel_condition_parse(&ch, p->field[F_CONDITION], p->len[F_CONDITION],
                                      p->err) != LAPSE_OK) {
        p->err->line = line;
        p->err->column = F_CONDITION + 1;
        snprintf(p->err->path, sizeof p->err->path, "%s", path);
        return LAPSE_ERR_FORMAT;
    }
    double capacity = -1;
    if (p->len[F_CAPACITY] &&
        (lapse_field_number(p->field[F_CAPACITY], p->len[F_CAPACITY], &capacity) ||
         capacity < 0 || capacity != floor(capacity) || capacity > 1e12))
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, line, F_CAPACITY + 1, -1,
                               "bad capacity \"%s\": a whole number of messages a day, or "
                               "empty for no limit",
                               p->field[F_CAPACITY]);
    ch.capacity = (int64_t)capacity;
    t->channel[t->n++] = ch;
    return LAPSE_OK;
}

int lapse_channel_table_load(lapse_channel_table *out, const char *path, lapse_error *err)
{
    channels_parse *p = calloc(1, sizeof *p);
    if (!p)
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    out->n = 0;
    p->table = out;
    p->err = err;
    int status = lapse_input_csv_read(path, NULL, channels_field, channels_row, p, err);
    if (status == LAPSE_OK && out->n == 0)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, 1, 0, -1,
                                 "a channels file needs the header and at least one channel");
    free(p);
    return status;
}
