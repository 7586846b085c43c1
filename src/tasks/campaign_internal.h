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
