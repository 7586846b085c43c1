/* Internal: the finished extract, shared by the run and the writers. */
#ifndef LAPSE_EXTRACT_INTERNAL_H
#define LAPSE_EXTRACT_INTERNAL_H

#include "lapse/extract.h"

#include "dayhist.h"
#include "features_internal.h"
#include "strmap.h"

typedef struct {
    uint32_t user;     /* dense id in users */
    uint32_t snapshot; /* index into snap */
} extract_row;

struct lapse_extract {
    lapse_churn_def churn;
    int labels;
    size_t snapshots;
    acc_snapshot snap[LAPSE_EXTRACT_MAX_SNAPSHOTS]; /* ascending asof */
    lapse_strmap *users;
    lapse_acc *accs; /* [user * snapshots + snapshot] */
    extract_row *rows[2];
    size_t row_count[2];
    lapse_extract_stats stats;
    char **warnings; /* lapse_extract_warn, each owned */
    size_t warning_count;
};

/* The time checks of lapse_extract_run (lapse/extract.h): the label
 * guard, then the warnings; sets the stats' time fields. days[f] counts
 * the events of paths[f] per day. */
int extract_check_time(lapse_extract *x, const day_hist *days, const char *const *paths,
                       size_t files, lapse_error *err);

#endif
