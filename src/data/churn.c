#include "lapse/churn.h"

#include "lapse/error.h"

#include <stdio.h>
#include <string.h>

int lapse_churn_preset(lapse_churn_def *def, const char *name)
{
    static const struct {
        const char *name;
        lapse_category key;
        int silent_days;
        int cancel_is_churn;
    } presets[] = {
        { "game", LAPSE_CAT_ACTIVITY, 7, 0 },
        { "app", LAPSE_CAT_ACTIVITY, 30, 0 },
        { "ecommerce", LAPSE_CAT_PURCHASE, 30, 0 },
        { "finance", LAPSE_CAT_ACTIVITY, 90, 0 },
        { "subscription", LAPSE_CAT_ACTIVITY, 30, 1 },
    };
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        if (strcmp(presets[i].name, name) == 0) {
            def->key_mask = 1u << presets[i].key;
            def->silent_days = presets[i].silent_days;
            def->cancel_is_churn = presets[i].cancel_is_churn;
            return LAPSE_OK;
        }
    }
    return LAPSE_ERR_ARG;
}

int lapse_churn_parse_keys(unsigned *out, const char *text, size_t len)
{
    unsigned mask = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != ',' && text[i] != '+')
            continue;
        lapse_category category;
        if (lapse_category_parse(&category, text + start, i - start) != LAPSE_OK)
            return LAPSE_ERR_ARG;
        mask |= 1u << category;
        start = i + 1;
    }
    *out = mask;
    return LAPSE_OK;
}

void lapse_churn_format_keys(char *buf, size_t size, unsigned key_mask)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; c < LAPSE_CAT_COUNT; c++) {
        if (!(key_mask & (1u << c)))
            continue;
        const int n = snprintf(buf + used, size - used, "%s%s", used ? "+" : "",
                               lapse_category_name((lapse_category)c));
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

int lapse_churn_validate(const lapse_churn_def *def)
{
    const unsigned all = (1u << LAPSE_CAT_COUNT) - 1;
    if (def->key_mask == 0 || (def->key_mask & ~all))
        return LAPSE_ERR_ARG;
    if (def->silent_days < 1 || def->silent_days > LAPSE_CHURN_MAX_DAYS ||
        def->horizon_days < 1 || def->horizon_days > LAPSE_CHURN_MAX_DAYS)
        return LAPSE_ERR_ARG;
    if (def->cancel_is_churn != 0 && def->cancel_is_churn != 1)
        return LAPSE_ERR_ARG;
    return LAPSE_OK;
}

lapse_churn_field lapse_churn_diff(const lapse_churn_def *a, const lapse_churn_def *b)
{
    if (a->key_mask != b->key_mask)
        return LAPSE_CHURN_KEY;
    if (a->silent_days != b->silent_days)
        return LAPSE_CHURN_SILENT_DAYS;
    if (a->horizon_days != b->horizon_days)
        return LAPSE_CHURN_HORIZON;
    if (a->cancel_is_churn != b->cancel_is_churn)
        return LAPSE_CHURN_KIND;
    return LAPSE_CHURN_SAME;
}

const char *lapse_churn_field_name(lapse_churn_field field)
{
    switch (field) {
    case LAPSE_CHURN_KEY: return "key";
    case LAPSE_CHURN_SILENT_DAYS: return "silent_days";
    case LAPSE_CHURN_HORIZON: return "horizon";
    case LAPSE_CHURN_KIND: return "churn";
    case LAPSE_CHURN_SAME: break;
    }
    return NULL;
}

int lapse_churn_equal(const lapse_churn_def *a, const lapse_churn_def *b)
{
    return lapse_churn_diff(a, b) == LAPSE_CHURN_SAME;
}

int lapse_churn_active(const lapse_churn_def *def, int64_t last_key_day, int64_t asof_day)
{
    return last_key_day >= asof_day - def->silent_days;
}

int lapse_churn_cancelled(const lapse_churn_def *def, int64_t last_cancel_day,
                          int64_t last_purchase_day)
{
    return def->cancel_is_churn && last_cancel_day != LAPSE_CHURN_NEVER &&
           last_cancel_day >= last_purchase_day;
}

int lapse_churn_days_to_churn(const lapse_churn_def *def, int64_t asof_day, int64_t last_key_day,
                              int key_in_window, int64_t first_cancel_day)
{
    const int64_t horizon = def->horizon_days;
    if (def->cancel_is_churn) {
        const int64_t day = first_cancel_day == LAPSE_CHURN_NEVER
                                ? 0
                                : first_cancel_day - asof_day + 1;
        return day >= 1 && day <= horizon ? (int)day : 0;
    }
    if (key_in_window || !lapse_churn_active(def, last_key_day, asof_day))
        return 0;
    const int64_t day = last_key_day + def->silent_days - asof_day + 1;
    return (int)(day > horizon ? horizon : day); /* >= 1: the user is active */
}
