/* Shared pieces of the lapse command: exit codes, located error reports,
 * strict number parsing. Every command is a function over the public API. */
#ifndef LAPSE_CLI_H
#define LAPSE_CLI_H

#include "cli_opt.h"

#include "lapse/error.h"

#include <stddef.h>
#include <stdint.h>

/* Exit codes, documented in README.md. */
enum {
    EXIT_OK = 0,
    EXIT_DATA = 1,  /* input lapse refuses: a bad row, corrupt gzip, a model that does not fit */
    EXIT_USAGE = 2, /* bad flags or option values */
    EXIT_SYSTEM = 3 /* cannot open, read or write a file; out of memory */
};

/* Prints "lapse: <message> (in FILE:LINE, column C)" on stderr and returns
 * the exit code for err->code. */
int cli_report(const lapse_error *err);

/* Prints "lapse CMD: <message>" and a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Strict parsers for option values (cli_opt.h uses them): the whole text
 * must be a number within [min, max]. On failure they print the usage error
 * of a bad value, naming the option, and return EXIT_USAGE; 0 on success. */
int cli_parse_integer(const char *command, const char *option, const char *text,
                      long long min, long long max, long long *out);
int cli_parse_double(const char *command, const char *option, const char *text, double min,
                     double max, double *out);
/* A date (YYYY-MM-DD or YYYYMMDD) as UTC seconds. */
int cli_parse_date(const char *command, const char *option, const char *text, int64_t *out);

/* A cli_opt CALL for key categories, ','- or '+'-separated
 * ("activity+purchase"): an unsigned mask into o->dest. */
int cli_parse_keys(const cli_opt *o, const char *command, const char *name, const char *text);

/* A cli_opt CALL for a log's field separator (--delim): ',' ';' '\t' or ' '
 * into the lapse_reader_options at o->dest. */
int cli_parse_delimiter(const cli_opt *o, const char *command, const char *name,
                        const char *text);

/* --amount-expr's reader: lapse_reader_parse_amount_expr into o->dest (a
 * lapse_reader_options), splitting the text in place (it is argv's). */
int cli_parse_amount_expr(const cli_opt *o, const char *command, const char *name,
                          const char *text);

/* The options of how event logs are read, the same rows in every command
 * that reads them as its main input: the mapping file and the column names
 * into *events and *columns (strings), the rest into the
 * lapse_reader_options *reader. */
#define CLI_OPT_LOG_READING(events, columns, reader)                                               \
    CLI_OPT_STRING(0, "events", "FILE", events,                                                    \
                   "event-name mapping (CSV event,category) replacing the built-in one"),          \
    CLI_OPT_STRING(0, "col", "a=b,...", columns,                                                   \
                   "the log's column names: user_id=uid,ts=time,event=..."),                       \
    CLI_OPT_CALL(0, "delim", "C", reader, cli_parse_delimiter, CLI_DELIM_HELP),                    \
    CLI_OPT_INT(0, "max-bad-rows", "N", &(reader)->max_bad_rows, 0, 1000000000L,                   \
                "skip up to N bad rows (default 0: the first one fails)"),                         \
    CLI_OPT_STRING(0, "event", "NAME", &(reader)->event,                                           \
                   "every row's event, for a log without an event column\n"                        \
                   "(a transactions export: --event purchase)"),                                   \
    CLI_OPT_FLAG(0, "skip-anonymous", &(reader)->strict_users, 0,                                  \
                 "skip rows with an empty user id, counted (the default)"),                        \
    CLI_OPT_FLAG(0, "strict", &(reader)->strict_users, 1,                                          \
                 "rows with an empty user id are bad rows, not skipped"),                   \
    CLI_OPT_AMOUNT_EXPR(reader)

/* --amount-expr A*B: the amount as the product of two columns, into
 * reader->columns' qty and price. */
#define CLI_OPT_AMOUNT_EXPR(reader)                                                                \
    CLI_OPT_CALL(0, "amount-expr", "A*B", reader, cli_parse_amount_expr,                           \
                 "the amount as the product of two columns or keys\n"                             \
                 "(qty*price; as --col qty=A,price=B); < 0 is a refund")

/* --delim's help line, the same in every command that reads logs. */
#define CLI_DELIM_HELP                                                                             \
    "field separator: ',' ';' '\\t' or ' ' (runs of blanks);\n"                                    \
    "default ',', or tab for a header with tabs and no comma"

/* An output file a command writes and the option that named it. */
typedef struct {
    const char *option; /* "-o", "--dormant" */
    const char *path;   /* NULL: not given */
} cli_output;

/* Refuses, before any work, files a run cannot both read and write, or
 * read twice: two inputs that are both "-" (standard input can be read
 * once), two operands that are one file (their rows would count twice),
 * an output that is the same file as one of the inputs (the n_args operands
 * and the n_more files named by options; device and inode: another
 * spelling, a hard or symbolic link; NULL skipped), or two outputs that
 * land on one file. Reports it and returns EXIT_USAGE; EXIT_OK when none. */
int cli_check_files(const char *command, const cli_output *outputs, size_t n_out,
                    char *const *args, size_t n_args, const char *const *more,
                    size_t n_more);

/* Creates the folder for a command's output files unless it exists.
 * 0 or LAPSE_ERR_IO, with err naming the folder. */
int cli_make_folder(const char *path, lapse_error *err);

/* Routes the library's warnings to stderr ("lapse: warning: ...");
 * quiet drops info-level notes. */
void cli_log_to_stderr(int quiet);

/* Each subcommand: argc/argv start at the subcommand's name; the table in
 * main.c lists them. */
int cmd_simulate(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_campaign(int argc, char **argv);
int cmd_model(int argc, char **argv);
/* lapse simulate --campaign: the campaign simulator behind the simulate command. */
int cmd_campaign_simulate(int argc, char **argv);

#endif
