/* From a scored user to something a campaign team can do: a value tier, a
 * silence stage, and a suggested recall action chosen by a rule table.
 *
 * The default rules (documented in README.md):
 *   segment             value  action
 *   *                   high   phone          (a call or dedicated service)
 *   price-sensitive     *      coupon         (a personal coupon)
 *   feature-dependent   *      push_feature   (a push about the feature they used)
 *   social-driven       *      community      (a community or friend message)
 *   *                   *      sms_email      (an SMS or e-mail)
 * The first matching row wins. A rules file (CSV `segment,value,action`,
 * or `trigger,segment,value,action` to choose by the warning trigger that
 * fired as well; `*` matching anything) replaces the table. Its triggers
 * are those of lapse/triggers.h, `none` (no trigger fired) or `*`; its
 * segments the names segments get (price-sensitive, feature-dependent,
 * social-driven, mixed-N) or `*`; its values low, medium, high or `*`; its
 * actions the channels of campaign plan's table (lapse/channels.h: the
 * built-in one, or a channels file's) or `none`. Any other name is an error naming the line and column: a
 * misspelled one would match nobody or be sent as written. */
#ifndef LAPSE_ACTIONS_H
#define LAPSE_ACTIONS_H

#include "lapse/channels.h"
#include "lapse/error.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LAPSE_VALUE_LOW, LAPSE_VALUE_MEDIUM, LAPSE_VALUE_HIGH } lapse_value_tier;

/* High value: recent, repeat and big enough spenders. Medium: any purchase
 * at all. Low: none. */
typedef struct {
    double max_recency_days; /* days since the last purchase, at most */
    double min_purchases;
    double min_spend;
} lapse_value_rule;

#define LAPSE_VALUE_RULE_INIT { 30.0, 2.0, 200.0 }

lapse_value_tier lapse_value_tier_of(const lapse_value_rule *rule, double days_since_purchase,
                                     double purchases, double spend);

/* "low", "medium", "high". */
const char *lapse_value_tier_name(lapse_value_tier tier);

/* The three-level response a recall team runs beside the risk tiers:
 *   warning     the model puts the user at high risk, and they have been
 *               quiet at least days[0] days (default 0: any at-risk user);
 *   silent-7d   quiet at least days[1] days (default 7), whatever the model;
 *   silent-14d  quiet at least days[2] days (default 14).
 * Users who match none get no level. */
typedef struct {
    double days[3];
} lapse_silence_stages;

#define LAPSE_SILENCE_STAGES_INIT { { 0.0, 7.0, 14.0 } }

/* The level for a user quiet for days_silent days whom the model puts at
 * high risk (at_risk != 0) or not; NULL when no level applies. */
const char *lapse_response_level(const lapse_silence_stages *stages, double days_silent,
                                 int at_risk);

/* Parses "0,7,14" (three increasing non-negative numbers). 0 or
 * LAPSE_ERR_ARG. */
int lapse_silence_stages_parse(lapse_silence_stages *out, const char *text);

typedef struct lapse_action_rules lapse_action_rules;

/* The default table above. NULL when out of memory. */
lapse_action_rules *lapse_action_rules_default(void);

/* Loads a rules file against the built-in channel table; errors (LAPSE_ERR_FORMAT) name the file, line and
 * column, and an unknown segment, value or action lists the valid ones. */
int lapse_action_rules_load(lapse_action_rules **out, const char *path, lapse_error *err);

/* The same, its actions the channels of a table (a channels file's; NULL =
 * the built-in table). */
int lapse_action_rules_load_channels(lapse_action_rules **out, const char *path,
                                     const lapse_channel_table *channels, lapse_error *err);

void lapse_action_rules_free(lapse_action_rules *rules); /* accepts NULL */

/* The action for a trigger (a lapse_trigger, or -1 when none fired), a
 * segment name and a value tier: the first matching rule's, or "none" when
 * no rule matches. Read-only: threads may share the rules. */
const char *lapse_action_choose(const lapse_action_rules *rules, int trigger,
                                const char *segment, lapse_value_tier value);

#ifdef __cplusplus
}
#endif

#endif
