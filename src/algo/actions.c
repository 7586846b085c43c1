#include "lapse/actions.h"

#include "lapse/channels.h"
#include "lapse/triggers.h"

#include "input.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lapse_value_tier lapse_value_tier_of(const lapse_value_rule *rule, double days_since_purchase,
                                     double purchases, double spend)
{
    if (purchases <= 0)
        return LAPSE_VALUE_LOW;
    if (days_since_purchase <= rule->max_recency_days && purchases >= rule->min_purchases &&
        spend >= rule->min_spend)
        return LAPSE_VALUE_HIGH;
    return LAPSE_VALUE_MEDIUM;
}

const char *lapse_value_tier_name(lapse_value_tier tier)
{
    switch (tier) {
    case LAPSE_VALUE_HIGH: return "high";
    case LAPSE_VALUE_MEDIUM: return "medium";
    default: return "low";
    }
}

const char *lapse_response_level(const lapse_silence_stages *stages, double days_silent,
                                 int at_risk)
{
    if (days_silent >= stages->days[2])
        return "silent-14d";
    if (days_silent >= stages->days[1])
        return "silent-7d";
    if (at_risk && days_silent >= stages->days[0])
        return "warning";
    return NULL;
}

int lapse_silence_stages_parse(lapse_silence_stages *out, const char *text)
{
    lapse_silence_stages stages;
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        stages.days[i] = strtod(p, &end);
        if (errno || end == p || !isfinite(stages.days[i]) || stages.days[i] < 0 ||
            (i > 0 && stages.days[i] <= stages.days[i - 1]))
            return LAPSE_ERR_ARG;
        if (*end != (i < 2 ? ',' : '\0'))
            return LAPSE_ERR_ARG;
        p = end + 1;
    }
    *out = stages;
    return LAPSE_OK;
}

#define RULE_FIELD_MAX 64

#define TRIGGER_ANY (-2)  /* "*" */
#define TRIGGER_NONE (-1) /* "none": no trigger fired */

typedef struct {
    int trigger;                  /* a lapse_trigger, TRIGGER_ANY or TRIGGER_NONE */
    char segment[RULE_FIELD_MAX]; /* "*" matches any */
    int value;                    /* lapse_value_tier, or -1 for any */
    char action[RULE_FIELD_MAX];
} action_rule;

struct lapse_action_rules {
    action_rule *rules;
    size_t count, capacity;
};

static int rules_add(lapse_action_rules *rules, int trigger, const char *segment, int value,
                     const char *action)
{
    if (rules->count == rules->capacity) {
        const size_t capacity = rules->capacity ? rules->capacity * 2 : 8;
        action_rule *grown = realloc(rules->rules, capacity * sizeof *grown);
        if (!grown)
            return LAPSE_ERR_NOMEM;
        rules->rules = grown;
        rules->capacity = capacity;
    }
    action_rule *rule = &rules->rules[rules->count++];
    rule->trigger = trigger;
    snprintf(rule->segment, sizeof rule->segment, "%s", segment);
    rule->value = value;
    snprintf(rule->action, sizeof rule->action, "%s", action);
    return LAPSE_OK;
}

void lapse_action_rules_free(lapse_action_rules *rules)
{
    if (!rules)
        return;
    free(rules->rules);
    free(rules);
}

lapse_action_rules *lapse_action_rules_default(void)
{
    static const struct {
        const char *segment;
        int value;
        const char *action;
    } defaults[] = {
        { "*", LAPSE_VALUE_HIGH, "phone" },
        { "price-sensitive", -1, "coupon" },
        { "feature-dependent", -1, "push_feature" },
        { "social-driven", -1, "community" },
        { "*", -1, "sms_email" },
    };
    lapse_action_rules *rules = calloc(1, sizeof *rules);
    if (!rules)
        return NULL;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        if (rules_add(rules, TRIGGER_ANY, defaults[i].segment, defaults[i].value,
                      defaults[i].action) != LAPSE_OK) {
            lapse_action_rules_free(rules);
            return NULL;
        }
    }
    return rules;
}

const char *lapse_action_choose(const lapse_action_rules *rules, int trigger,
                                const char *segment, lapse_value_tier value)
{
    for (size_t i = 0; i < rules->count; i++) {
        const action_rule *rule = &rules->rules[i];
        if ((rule->trigger == TRIGGER_ANY || rule->trigger == (trigger < 0 ? TRIGGER_NONE : trigger)) &&
            (rule->value < 0 || rule->value == (int)value) &&
            (strcmp(rule->segment, "*") == 0 || strcmp(rule->segment, segment) == 0))
            return rule->action;
    }
    return "none";
}

/* State of one pass over a rules file: 3 fields (segment,value,action) or
 * 4 (trigger first), as the header says. */
typedef struct {
    lapse_action_rules *rules;
    const lapse_channel_table *channels; /* the actions a rule may name */
    lapse_error *err;
    int saw_header;
    int n_fields;
    char fields[4][RULE_FIELD_MAX];
} rules_parse;

static int parse_value_field(const char *text, int *out)
{
    if (strcmp(text, "*") == 0) {
        *out = -1;
        return LAPSE_OK;
    }
    for (int tier = LAPSE_VALUE_LOW; tier <= LAPSE_VALUE_HIGH; tier++) {
        if (strcmp(text, lapse_value_tier_name((lapse_value_tier)tier)) == 0) {
            *out = tier;
            return LAPSE_OK;
        }
    }
    return LAPSE_ERR_FORMAT;
}

static int parse_trigger_field(const char *text, int *out)
{
    *out = strcmp(text, "*") == 0 ? TRIGGER_ANY
           : strcmp(text, "none") == 0 ? TRIGGER_NONE
                                       : lapse_trigger_find(text);
    return *out == -1 && strcmp(text, "none") != 0 ? LAPSE_ERR_FORMAT : LAPSE_OK;
}

/* The segment names train gives: the archetypes, mixed and mixed-N (N >= 1),
 * and none (a model without segments). A misspelled name would match no
 * user. */
static const char *const segment_names[] = { "price-sensitive", "feature-dependent",
                                             "social-driven", "mixed", "none" };

static int known_segment(const char *text)
{
    if (strcmp(text, "*") == 0)
        return 1;
    for (size_t i = 0; i < sizeof segment_names / sizeof segment_names[0]; i++)
        if (strcmp(text, segment_names[i]) == 0)
            return 1;
    if (strncmp(text, "mixed-", 6) != 0 || text[6] < '1' || text[6] > '9')
        return 0;
    return strspn(text + 6, "0123456789") == strlen(text + 6);
}

static int known_action(const lapse_channel_table *channels, const char *text)
{
    return strcmp(text, "none") == 0 || lapse_channel_find(channels, text, strlen(text)) >= 0;
}

static int rules_field(const lapse_input_csv *csv, const char *text, size_t len, void *user)
{
    rules_parse *p = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t row = lapse_input_csv_line(csv);
    const int column = lapse_input_csv_fields(csv) + 1;
    const int most = p->saw_header ? p->n_fields : 4;
    if (column > most)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                               "rules rows have %d fields (%s)", most,
                               most == 4 ? "trigger,segment,value,action" : "segment,value,action");
    if (len == 0 || len >= RULE_FIELD_MAX)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, column, -1,
                               "fields must be 1 to %d bytes", RULE_FIELD_MAX - 1);
    memcpy(p->fields[column - 1], text, len);
    p->fields[column - 1][len] = '\0';
    return LAPSE_OK;
}

static int rules_header(rules_parse *p, const char *path, int64_t row, int fields)
{
    static const char *const names[] = { "trigger", "segment", "value", "action" };
    const char *const *want = fields == 4 ? names : names + 1;
    for (int f = 0; f < fields; f++)
        if (fields < 3 || strcmp(p->fields[f], want[f]) != 0)
            return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, f + 1, -1,
                                   "rules header must be \"segment,value,action\" or "
                                   "\"trigger,segment,value,action\"");
    p->n_fields = fields;
    p->saw_header = 1;
    return LAPSE_OK;
}

static int rules_row(const lapse_input_csv *csv, void *user)
{
    rules_parse *p = user;
    const char *path = lapse_input_csv_path(csv);
    const int64_t row = lapse_input_csv_line(csv);
    const int fields = lapse_input_csv_fields(csv);
    if (lapse_input_csv_records(csv) == 0)
        return rules_header(p, path, row, fields);
    if (fields != p->n_fields)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, fields + 1, -1,
                               "rules rows have %d fields, as the header, this one has %d",
                               p->n_fields, fields);
    /* without a trigger column every rule holds for any trigger */
    const int at = p->n_fields - 3;
    const char *segment = p->fields[at], *value_text = p->fields[at + 1],
               *action = p->fields[at + 2];
    int trigger = TRIGGER_ANY, value;
    if (at && parse_trigger_field(p->fields[0], &trigger) != LAPSE_OK) {
        char names[256];
        size_t n = 0;
        for (int t = 0; t < LAPSE_TRIGGERS; t++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s, ", lapse_trigger_name(t));
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, 1, -1,
                               "unknown trigger \"%s\" (expected %snone or *)", p->fields[0],
                               names);
    }
    if (!known_segment(segment))
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, at + 1, -1,
                               "unknown segment \"%s\" (expected price-sensitive, "
                               "feature-dependent, social-driven, mixed, mixed-1, mixed-2, ..., none "
                               "or *)",
                               segment);
    if (parse_value_field(value_text, &value) != LAPSE_OK)
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, at + 2, -1,
                               "value must be low, medium, high or *, not \"%s\"", value_text);
    if (!known_action(p->channels, action)) {
        char names[1024];
        lapse_channel_list(names, sizeof names, p->channels);
        return lapse_error_set(p->err, LAPSE_ERR_FORMAT, path, row, at + 3, -1,
                               "unknown action \"%s\" (expected a channel: %s; or none)", action,
                               names);
    }
    if (rules_add(p->rules, trigger, segment, value, action) != LAPSE_OK)
        return lapse_error_set(p->err, LAPSE_ERR_NOMEM, path, row, 0, -1, "out of memory");
    return LAPSE_OK;
}

int lapse_action_rules_load(lapse_action_rules **out, const char *path, lapse_error *err)
{
    return lapse_action_rules_load_channels(out, path, NULL, err);
}

int lapse_action_rules_load_channels(lapse_action_rules **out, const char *path,
                                     const lapse_channel_table *channels, lapse_error *err)
{
    lapse_action_rules *rules = calloc(1, sizeof *rules);
    lapse_channel_table *builtin = channels ? NULL : malloc(sizeof *builtin);
    if (!rules || (!channels && !builtin)) {
        free(rules);
        free(builtin);
        return lapse_error_set(err, LAPSE_ERR_NOMEM, path, 0, 0, -1, "out of memory");
    }
    if (builtin)
        lapse_channel_table_default(builtin);
    rules_parse p = { .rules = rules, .channels = channels ? channels : builtin, .err = err };
    int status = lapse_input_csv_read(path, NULL, rules_field, rules_row, &p, err);
    free(builtin);
    if (status == LAPSE_OK && rules->count == 0)
        status = lapse_error_set(err, LAPSE_ERR_FORMAT, path, p.saw_header ? 2 : 1, 0, -1,
                                 "a rules file needs the header and at least one rule");
    if (status != LAPSE_OK) {
        lapse_action_rules_free(rules);
        return status;
    }
    *out = rules;
    return LAPSE_OK;
}
