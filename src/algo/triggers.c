/* Warning triggers on a row of features (lapse/triggers.h). */
#include "lapse/triggers.h"

#include <string.h>

/* Strongest first. A flag fires at 1, a trend at or below its limit; a NaN
 * feature fires nothing. */
static const struct {
    const char *name, *feature;
    int falling; /* 1: fires at feature <= limit; 0: at feature >= limit */
    double limit;
} triggers[LAPSE_TRIGGERS] = {
    { "payment_stopped", "payment_stopped_30", 0, 1 },
    { "social_gone", "social_stopped_14", 0, 1 },
    { "login_falling", "trend_sessions_7", 1, -1.0 / 3 },
    { "core_falling", "core_drop_30", 0, 1 },
    { "device_changed", "device_changed_30", 0, 1 },
    { "depth_falling", "trend_depth_7", 1, -1.0 / 3 },
    { "spend_falling", "trend_spend_7", 1, -1.0 / 3 },
};

const char *lapse_trigger_name(int trigger)
{
    return trigger >= 0 && trigger < LAPSE_TRIGGERS ? triggers[trigger].name : NULL;
}

int lapse_trigger_find(const char *name)
{
    for (int t = 0; t < LAPSE_TRIGGERS; t++)
        if (strcmp(triggers[t].name, name) == 0)
            return t;
    return -1;
}

void lapse_trigger_columns_find(lapse_trigger_columns *out, const char *const *names, size_t n)
{
    for (int t = 0; t < LAPSE_TRIGGERS; t++) {
        out->feature[t] = -1;
        for (size_t j = 0; j < n; j++)
            if (strcmp(names[j], triggers[t].feature) == 0)
                out->feature[t] = (long)j;
    }
}

int lapse_trigger_fire(const lapse_trigger_columns *columns, const double *x)
{
    for (int t = 0; t < LAPSE_TRIGGERS; t++) {
        const long j = columns->feature[t];
        if (j < 0)
            continue;
        if (triggers[t].falling ? x[j] <= triggers[t].limit : x[j] >= triggers[t].limit)
            return t;
    }
    return -1;
}
