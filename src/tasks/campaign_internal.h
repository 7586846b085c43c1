/* Internal: pieces shared by campaign plan, eval and the campaign simulator. */
#ifndef LAPSE_CAMPAIGN_INTERNAL_H
#define LAPSE_CAMPAIGN_INTERNAL_H

#include "lapse/campaign.h"
#include "lapse/reader.h"

#include "strmap.h"

#include <stddef.h>
#include <stdint.h>

/* One data row of a CSV file read by column name: field[i] (NUL-terminated)
 * and len[i] for each wanted column i, NULL when the file lacks an optional
 * one; column[i] is its 1-based position in the file. line is the 1-based line where the row starts. Returns 0 or <0 with
 * err set, which stops the read. */
typedef int (*campaign_row_fn)(void *user, const char *const *field, const size_t *len,
                               const int *column, int64_t line, lapse_error *err);

typedef struct {
    const char *name;
    int required;
} campaign_column;

#define CAMPAIGN_CSV_MAX_COLUMNS 48

/* Reads path ("-" = stdin; plain or gzip, through the input layer): a header
 * row naming the columns (any order, others ignored), then rows with as many
 * fields as the header. Errors name path, line and column. */
int campaign_csv_read(const char *path, const campaign_column *columns, int n_columns,
                      campaign_row_fn row, void *user, lapse_error *err);

/* Called per event of a listed user (id in users). Returns 0 or <0 with
 * err set, which stops the read. */
typedef int (*campaign_event_fn)(void *user, uint32_t id, const lapse_event *event,
                                 lapse_error *err);

/* Reads the logs through the event reader, counting every event and its
 * time range into *events, *first and *last, and calls fn for the events
 * of users in the map. */
int campaign_read_logs(const char *const *paths, size_t n, const lapse_category_map *categories,
                       int64_t max_bad_rows, const lapse_strmap *users, campaign_event_fn fn,
                       void *user, int64_t *events, int64_t *first, int64_t *last,
                       lapse_error *err);

/* One touch of a sequence plan as eval reads it. */
typedef struct {
    int64_t sent_at, start, line;
    double cost;
    uint32_t user;   /* id in the users map */
    int32_t variant; /* id in the variants map; -1 for a control touch */
    int channel, step;
} campaign_touch;

/* Measures a sequence plan's touches (any order) against the logs into
 * rep (campaign.h, "sequences"); sent_col is sent_at's column, for errors;
 * step_holdout the plan's share stopped before each later step, for the
 * SRM check of the rows that follow a touch (0: unknown, no check). */
int campaign_sequence_eval(lapse_campaign_report *rep, const char *path, int sent_col,
                           campaign_touch *touches, size_t n, const lapse_strmap *users,
                           const lapse_strmap *variants, const lapse_channel_table *ch,
                           double step_holdout,
                           const char *const *log_paths, size_t n_logs,
                           const char *const *click_paths, size_t n_clicks,
                           const lapse_campaign_eval_options *opts, lapse_error *err);

/* What the treated sends of one report row add up to: recalled, clicked,
 * recalled without a click (sequences), cost, censored (the outcome window
 * not yet over), and per retention period users observed and kept. */
typedef struct {
    int64_t sent, clicked, recalled, direct, censored, ret_n[2], ret_k[2];
    double cost;
} campaign_tally;

/* The control sends a row is measured against. */
typedef struct {
    int64_t n, recalled, censored; /* censored sends are not in n */
} campaign_control;

void campaign_tally_add(campaign_tally *sum, const campaign_tally *t);

/* Writes a report row: its names, treatment t against control c, the SRM
 * check of c against the planned share of c plus channel_sent (no check
 * when share is not positive) and the minimum detectable uplift. Without
 * clicks the click figures are -1 (unknown). */
void campaign_row_fill(lapse_campaign_row *row, const char *channel, const char *variant,
                       const campaign_tally *t, const campaign_control *c,
                       int64_t channel_sent, double share, int clicks);

/* A step column's value: 1 to LAPSE_SEQUENCE_MAX, else LAPSE_ERR_FORMAT
 * naming path, line and column. */
int campaign_step_field(int *step, const char *text, const char *path, int64_t line, int column,
                        lapse_error *err);

/* Variant v's name in variants, NUL-terminated, into name
 * (LAPSE_VARIANT_MAX + 1 bytes). */
void campaign_variant_name(char *name, const lapse_strmap *variants, size_t v);

/* A 64-bit mix of a user id and the seed: the order control and variants
 * are drawn in, independent of row order. */
uint64_t campaign_user_hash(uint64_t seed, const char *user_id, size_t len);

/* Splits n users into control and treatment within each stratum: users in
 * order of hash (ties by index); the first round(n_s * control) of each
 * stratum are control (variant -1), the rest get variants 0, 1, ... in
 * turn. Returns 0 or LAPSE_ERR_NOMEM. */
int campaign_assign(size_t n, const uint32_t *stratum, const uint64_t *hash, double control,
                    int n_variants, int *variant);

#endif
