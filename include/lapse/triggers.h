/* Warning triggers: named changes in a user's behaviour that a recall team
 * answers with their own response, read off the extracted features
 * (lapse extract --features):
 *   payment_stopped  payment_stopped_30 = 1: bought in the 30 days before
 *                    the last 30, not since           -> change the offer
 *   social_gone      social_stopped_14 = 1: social events 15 to 30 days
 *                    ago, none in the last 14         -> activate the community
 *   login_falling    trend_sessions_7 <= -1/3: sessions in the last 7 days
 *                    at most half of the 7 before     -> an in-app care prompt
 *   core_falling     core_drop_30 = 1: core-feature use in the last 30 days
 *                    at most 70% of the 30 before     -> show the feature again
 *   device_changed   device_changed_30 = 1            -> a security check
 *   depth_falling    trend_depth_7 <= -1/3 (events per session halved)
 *   spend_falling    trend_spend_7 <= -1/3 (spend halved)
 * (login, depth and spend falling are the "three lows"). A user's trigger
 * is the strongest that fires, in the order above: money stopping first, a
 * fading habit last. A model without a trigger's feature never fires it. */
#ifndef LAPSE_TRIGGERS_H
#define LAPSE_TRIGGERS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    LAPSE_TRIGGER_PAYMENT_STOPPED,
    LAPSE_TRIGGER_SOCIAL_GONE,
    LAPSE_TRIGGER_LOGIN_FALLING,
    LAPSE_TRIGGER_CORE_FALLING,
    LAPSE_TRIGGER_DEVICE_CHANGED,
    LAPSE_TRIGGER_DEPTH_FALLING,
    LAPSE_TRIGGER_SPEND_FALLING,
    LAPSE_TRIGGERS
} lapse_trigger;

/* "payment_stopped", ...; NULL out of range. */
const char *lapse_trigger_name(int trigger);

/* The trigger named name, or -1. */
int lapse_trigger_find(const char *name);

/* Where each trigger's feature sits in a row: -1 when absent. */
typedef struct {
    long feature[LAPSE_TRIGGERS];
} lapse_trigger_columns;

/* Finds the triggers' features among names[0..n) (a model's features). */
void lapse_trigger_columns_find(lapse_trigger_columns *out, const char *const *names, size_t n);

/* The strongest trigger firing on the raw feature row x, or -1. */
int lapse_trigger_fire(const lapse_trigger_columns *columns, const double *x);

#ifdef __cplusplus
}
#endif

#endif
