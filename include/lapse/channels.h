/* Recall channels as configuration: what a message through each costs,
 * the recall uplift a team assumes for it, who may receive it and how many
 * a day the team can send.
 *
 * A channels file is a CSV with the header
 *   name,cost,uplift,condition,capacity
 * name: 1 to 15 bytes of a-z, 0-9, '_' and '-', each name once;
 * cost: per message, >= 0; uplift: 0..1 (0: no assumption yet, so campaign
 * plan never chooses it); condition: who may receive it, empty for
 * everyone, else terms joined by " and ", each `column op value` on a
 * column of the scored file (op one of = != < <= > >=; values that are
 * both numbers compare as numbers, others as text, and < <= > >= need a
 * number); capacity: messages per UTC day, empty for no limit.
 * A scored file without a column a term names: nobody passes the term,
 * except has_app, which lapse score does not write: without it the users
 * whose suggested action is push_feature count as having the app.
 *
 * The built-in table (lapse_channel_table_default, README.md) starts with
 * the five actions lapse score suggests, with the costs and uplifts
 * campaign plan always had (sms_email, push_feature with has_app = 1,
 * coupon, phone with value_tier = high, community), then the channels a
 * recall team runs with an uplift of 0 until it sets its own: sms, email,
 * push, in_app, wechat, gift, cash, trial, event. */
#ifndef LAPSE_CHANNELS_H
#define LAPSE_CHANNELS_H

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_CHANNELS_MAX 64
#define LAPSE_CHANNEL_NAME_MAX 15
#define LAPSE_CONDITION_TERMS 4
#define LAPSE_CONDITION_WORD_MAX 31 /* a column name or a value */

typedef enum { LAPSE_OP_EQ, LAPSE_OP_NE, LAPSE_OP_LT, LAPSE_OP_LE, LAPSE_OP_GT, LAPSE_OP_GE }
    lapse_condition_op;

typedef struct {
    char column[LAPSE_CONDITION_WORD_MAX + 1];
    lapse_condition_op op;
    char value[LAPSE_CONDITION_WORD_MAX + 1];
    double number; /* value as a number; NAN when it is not one */
} lapse_condition_term;

typedef struct {
    char name[LAPSE_CHANNEL_NAME_MAX + 1];
    double cost;
    double uplift;
    int64_t capacity; /* messages per UTC day; -1 = no limit */
    int n_terms;      /* all must hold; 0 = everyone */
    lapse_condition_term terms[LAPSE_CONDITION_TERMS];
} lapse_channel_def;

typedef struct {
    size_t n;
    lapse_channel_def channel[LAPSE_CHANNELS_MAX];
} lapse_channel_table;

/* The built-in table above. */
void lapse_channel_table_default(lapse_channel_table *out);

/* The i-th built-in channel, or NULL past the end. */
const lapse_channel_def *lapse_channel_builtin(size_t i);

/* Reads a channels file (path or "-"; plain, gzip or zstd; a byte-order
 * mark skipped). Errors (LAPSE_ERR_FORMAT) name the file, line and column:
 * a bad header, name, number or condition, a name given twice, no channel.
 * Also LAPSE_ERR_IO, LAPSE_ERR_NOMEM. */
int lapse_channel_table_load(lapse_channel_table *out, const char *path, lapse_error *err);

/* Index of the channel named name[0..len), or -1. */
int lapse_channel_find(const lapse_channel_table *table, const char *name, size_t len);

/* The names, ", "-separated, into buf (cut short to fit size). */
void lapse_channel_list(char *buf, size_t size, const lapse_channel_table *table);

/* One item of an option's list, CHANNEL then sep then a value ("sms=0.02",
 * "push@24h"): the channel's index, with the value's text copied into value
 * (NUL-terminated; "" when it does not fit in size bytes), or -1 with err
 * set (LAPSE_ERR_ARG): '<noun>"<item>" is not <form> with a channel among
 * <the table's channels>' (noun e.g. "step ", or ""). */
int lapse_channel_item(char *value, size_t size, const lapse_channel_table *table,
                       const char *item, size_t len, char sep, const char *noun,
                       const char *form, lapse_error *err);

/* Parses a condition (see above) into ch's terms. On an error
 * (LAPSE_ERR_FORMAT) err's message says what is wrong, at which byte of
 * text (1-based); the caller sets where the text is. */
int lapse_channel_condition_parse(lapse_channel_def *ch, const char *text, size_t len,
                                  lapse_error *err);

/* Whether a term holds for a field's text (NULL: the file has no such
 * column, and the term does not hold). */
int lapse_condition_term_holds(const lapse_condition_term *term, const char *field);

/* Writes the table as a channels file (which lapse_channel_table_load reads
 * back the same). Errors show in the stream's error flag. */
void lapse_channel_table_write(FILE *out, const lapse_channel_table *table);

typedef enum { LAPSE_CHANNEL_COST, LAPSE_CHANNEL_UPLIFT, LAPSE_CHANNEL_CAPACITY }
    lapse_channel_field;

/* Sets one field of named channels from "sms=0.05,phone=2" (capacity: a
 * whole number, or "none" for no limit). Returns 0 or LAPSE_ERR_ARG with a
 * message naming the pair: a channel not in the table, or a value out of
 * range (cost >= 0, uplift 0..1, capacity >= 0). */
int lapse_channel_table_set(lapse_channel_table *table, lapse_channel_field field,
                            const char *spec, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
