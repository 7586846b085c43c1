/* Streaming the rows of a scored file (the output of lapse score): every
 * column a report needs, one row at a time, so a reader of a million rows
 * holds one row. */
#ifndef LAPSE_SCORED_H
#define LAPSE_SCORED_H

#include "lapse/error.h"
#include "lapse/schema.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_SCORED_REASONS 3

/* Bits of lapse_scored_info.columns: the columns the header names. */
enum {
    LAPSE_SCORED_USER_ID = 1u << 0,
    LAPSE_SCORED_ASOF = 1u << 1,
    LAPSE_SCORED_P_CHURN = 1u << 2,
    LAPSE_SCORED_LABEL = 1u << 3,
    LAPSE_SCORED_RISK_TIER = 1u << 4,
    LAPSE_SCORED_SEGMENT = 1u << 5,
    LAPSE_SCORED_VALUE_TIER = 1u << 6,
    LAPSE_SCORED_ACTION = 1u << 7,
    LAPSE_SCORED_REASON = 1u << 8, /* reason_1 (reason_2 and reason_3 may follow) */
    LAPSE_SCORED_DAYS_TO_CHURN = 1u << 9
};

/* A hazard model's risk columns (lapse/hazard.h): p_<days>, days 1 to
 * LAPSE_SCORED_HORIZON_MAX_DAYS without a leading zero, at most
 * LAPSE_SCORED_HORIZONS_MAX, in increasing order of days. */
#define LAPSE_SCORED_HORIZONS_MAX 16
#define LAPSE_SCORED_HORIZON_MAX_DAYS 3650

/* One row. The strings are "" for a column the file lacks (or an empty
 * field) and are valid only during the callback. */
typedef struct {
    const char *user_id, *asof;
    double p_churn;         /* in [0, 1] */
    int label;              /* 1 churned, 0 stayed, -1 empty or no label column */
    const char *risk_tier, *segment, *value_tier, *action;
    const char *reason[LAPSE_SCORED_REASONS];
    const double *p_horizon; /* [info.n_horizons], each in [0, 1] */
    int days_to_churn;       /* 1 to LAPSE_SCORED_HORIZON_MAX_DAYS; 0 empty or no column */
    const char *path;       /* the file, and the 1-based line of the row */
    int64_t line;
} lapse_scored_row;

/* Called for each row; a negative return (with err set) stops the read and
 * is what lapse_scored_read returns. */
typedef int (*lapse_scored_row_fn)(const lapse_scored_row *row, void *user, lapse_error *err);

typedef struct {
    unsigned columns;   /* LAPSE_SCORED_* bits */
    uint64_t rows;      /* rows read */
    uint64_t labelled;  /* rows with a label 0 or 1 */
    int64_t header_line; /* the header's line; 0 before it is read */
    size_t n_horizons;   /* p_<days> columns */
    int horizons[LAPSE_SCORED_HORIZONS_MAX];
    /* The warnings of a "# lapse-scores; warnings=..." line before the
     * header, newline-joined; "" when there is none. */
    char warnings[LAPSE_TABLE_WARNINGS_MAX];
} lapse_scored_info;

/* Reads the scored CSV at path ("-": standard input; plain, gzip or zstd,
 * through the input layer) and calls fn for each row in file order. The
 * header, after any lines starting with '#', must name p_churn and the
 * columns of need (LAPSE_SCORED_* bits); every other column is optional and
 * any others are ignored. *info (OUT) says what was read, also on failure.
 * Returns 0 or the first error, naming the file, line and column:
 * LAPSE_ERR_FORMAT (a needed column missing, a column named twice, p_<days>
 * columns out of order or too many, a p_churn or p_<days> that is not a
 * number in [0, 1], a label other than 1, 0 or empty, a days_to_churn other
 * than a day or empty, a row with the wrong field count, malformed CSV, an
 * empty file or a bad warnings line), LAPSE_ERR_GZIP, LAPSE_ERR_IO,
 * LAPSE_ERR_NOMEM, or fn's status. */
int lapse_scored_read(lapse_scored_info *info, const char *path, unsigned need,
                      lapse_scored_row_fn fn, void *user, lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
