/* extract as map and merge: the per-user state of an extract, split by a
 * hash of the user id into buckets, written to files that merge back into
 * the extract of the whole log (datasets/README.md, "Partial extract
 * states", has the file layout).
 *
 * A map reads any subset of the log's files and writes one partial file per
 * bucket: the accumulators of its users in that bucket (sums, maxima and
 * bit ORs over events, so they add up across maps in any order) and the
 * days each bought on (a merge unites them: a day two maps saw counts once
 * in repeat_purchases), and what
 * the whole log's checks need from its files: each file's events per day
 * (the log's time range and the label guard), its reader counts (the
 * warnings), and the hashes of its rows in the bucket (repeated rows across
 * maps), 16 bytes per distinct row unless LAPSE_DUPS_KEEP.
 *
 * A merge reads partial files, from any number of maps and in any order,
 * and gives the extract of the log made of the maps' files in sorted path
 * order, for the users of the buckets given: the same rows, features and
 * labels, byte for byte, as lapse_extract_run over those files. With every
 * bucket it is that extract exactly, warnings included; with one bucket,
 * the counts in warnings about rows (repeated rows across maps, users who
 * cancelled) cover the users and rows of that bucket only. A table merges
 * one bucket or all of them (any other set is a bucket lost on the way);
 * a combine (lapse_extract_merge_partial) takes any.
 *
 * Refused, naming the file: another lapse version or file format, other
 * extract options (churn definition, snapshots, labels, category map,
 * columns, repeat handling: everything that changes a feature), another
 * bucket count, a bucket one map gives and another lacks (or, for a table,
 * some buckets but not all), the same map's
 * bucket twice or a log file read by two maps, a truncated file, and a
 * checksum (CRC-32) that does not match. */
#ifndef LAPSE_EXTRACT_PARTIAL_H
#define LAPSE_EXTRACT_PARTIAL_H

#include "lapse/extract.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LAPSE_PARTIAL_FORMAT_VERSION 2
#define LAPSE_PARTIAL_MAX_BUCKETS 4096

/* The map: reads paths (sorted first: file order is part of the log's
 * identity) with opts and writes dir/map-<id>.bucket-<b>-of-<buckets>
 * (b and buckets with four digits at least; id: 8 hex digits from the
 * sorted paths, so a map run again writes the same names), each
 * atomically; dir (and the folders above it) is created when missing,
 * once the read succeeded. Not with a label file, an asof file or LAPSE_DUPS_DROP
 * (which copy of a repeated row to drop needs every file in one process):
 * LAPSE_ERR_ARG. stats (may be NULL) gets the map's users and reader
 * counts. */
int lapse_extract_partial(const char *const *paths, size_t count,
                          const lapse_extract_options *opts, unsigned buckets, const char *dir,
                          lapse_extract_stats *stats, lapse_error *err);

/* The merge: the extract of the partial files' users (see above), to
 * write with lapse_extract_write and read with lapse_extract_get like any
 * other. */
int lapse_extract_merge(lapse_extract **out, const char *const *partials, size_t count,
                        lapse_error *err);

/* The merge as a combiner: the same merge, written as one partial file per
 * bucket given, to dir (map-<id>.bucket-...: one state per user, the rows
 * of the bucket once, the repeats across maps counted). Its files merge
 * with others of the same combine, e.g. every bucket combined on its own
 * machine, then merged into one table. */
int lapse_extract_merge_partial(const char *const *partials, size_t count, const char *dir,
                                lapse_error *err);

#ifdef __cplusplus
}
#endif

#endif
