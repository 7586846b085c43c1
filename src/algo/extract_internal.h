/* Internal: the finished extract, shared by the run and the writers. */
#ifndef LAPSE_EXTRACT_INTERNAL_H
#define LAPSE_EXTRACT_INTERNAL_H

#include "lapse/extract.h"

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
};

#endif
