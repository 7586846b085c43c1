/* One option table per command drives its parsing, the checks of its values
 * and its --help list (after libgit2's cli_opt and git's parse-options).
 *
 *   static int threads = 1;
 *   static const cli_opt options[] = {
 *       CLI_OPT_INT('@', "threads", "N", &threads, 1, 256, "threads (default 1)"),
 *       CLI_OPT_HELP,
 *       CLI_OPT_END,
 *   };
 *   int first, status = cli_opt_parse(&first, "train", options, usage, argc, argv);
 *   if (status != CLI_OPT_GO_ON)
 *       return status;
 *
 * Every bad value is reported in one wording, naming the option as it was
 * typed: `lapse train: -C needs a number from 1e-06 to 1e+06, not "abc"`. */
#ifndef LAPSE_CLI_OPT_H
#define LAPSE_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    CLI_OPT_END_KIND, /* ends a table */
    CLI_OPT_GROUP,    /* no option: a heading line in --help ("" for a blank line) */
    CLI_OPT_FLAG,     /* no value: stores `imax` into an integer */
    CLI_OPT_STRING,   /* const char *: the text as given */
    CLI_OPT_INTEGER,  /* an int or 64-bit integer: a whole number in [imin, imax] */
    CLI_OPT_DOUBLE,   /* double: a finite number in [min, max] */
    CLI_OPT_DATE,     /* int64_t: YYYY-MM-DD as UTC seconds */
    CLI_OPT_DATES,    /* int64_t[items]: comma-separated dates; how many in *count */
    CLI_OPT_NUMBERS,  /* double[items]: that many comma-separated numbers in [min, max] */
    CLI_OPT_ENUM,     /* an integer: the value of the named choice */
    CLI_OPT_CALL,     /* the `parse` function reads the value */
    CLI_OPT_HELP_KIND /* -h, --help: print the command's usage, exit 0 */
} cli_opt_kind;

typedef struct {
    const char *name;
    int value;
} cli_opt_choice;

typedef struct cli_opt cli_opt;

struct cli_opt {
    cli_opt_kind kind;
    char short_name;        /* 0: long only */
    const char *long_name;  /* NULL: short only */
    const char *value_name; /* in --help: "-o, --output FILE"; NULL for FLAG */
    void *dest;             /* OUT: written when the option is given; a FLAG's may be NULL */
    size_t size;            /* sizeof *dest: FLAG, INTEGER and ENUM store int or 64 bits */
    long long imin, imax;   /* INTEGER range; FLAG: imax is stored */
    double min, max;        /* DOUBLE and NUMBERS range */
    size_t items;           /* NUMBERS: how many; DATES: at most how many */
    size_t *count;          /* DATES: OUT, how many were given */
    const cli_opt_choice *choices; /* ENUM: ended by { NULL, 0 } */
    /* CALL: reads text into o->dest; on a bad value reports it with
     * cli_opt_bad_value and returns nonzero. name is the option as typed. */
    int (*parse)(const cli_opt *o, const char *command, const char *name, const char *text);
    const char *help; /* --help line; '\n' continues it under the column */
    int hidden;       /* parsed, but not listed in --help */
    int optional;     /* CALL: the value may be left out (--name or --name=V); parse
                       * then gets NULL */
};

#define CLI_OPT_FLAG(s, l, d, set, h)                                                          \
    { .kind = CLI_OPT_FLAG, .short_name = (s), .long_name = (l), .dest = (d),                 \
      .size = sizeof *(d), .imax = (set), .help = (h) }
#define CLI_OPT_STRING(s, l, v, d, h)                                                          \
    { .kind = CLI_OPT_STRING, .short_name = (s), .long_name = (l), .value_name = (v),         \
      .dest = (d), .size = sizeof *(d), .help = (h) }
#define CLI_OPT_INT(s, l, v, d, lo, hi, h)                                                    \
    { .kind = CLI_OPT_INTEGER, .short_name = (s), .long_name = (l), .value_name = (v),        \
      .dest = (d), .size = sizeof *(d), .imin = (lo), .imax = (hi), .help = (h) }
#define CLI_OPT_DOUBLE(s, l, v, d, lo, hi, h)                                                  \
    { .kind = CLI_OPT_DOUBLE, .short_name = (s), .long_name = (l), .value_name = (v),         \
      .dest = (d), .size = sizeof *(d), .min = (lo), .max = (hi), .help = (h) }
#define CLI_OPT_DATE(s, l, v, d, h)                                                            \
    { .kind = CLI_OPT_DATE, .short_name = (s), .long_name = (l), .value_name = (v),           \
      .dest = (d), .size = sizeof *(d), .help = (h) }
#define CLI_OPT_DATES(s, l, v, array, n_max, n, h)                                             \
    { .kind = CLI_OPT_DATES, .short_name = (s), .long_name = (l), .value_name = (v),          \
      .dest = (array), .size = sizeof *(array), .items = (n_max), .count = (n), .help = (h) }
#define CLI_OPT_NUMBERS(s, l, v, array, n, lo, hi, h)                                          \
    { .kind = CLI_OPT_NUMBERS, .short_name = (s), .long_name = (l), .value_name = (v),        \
      .dest = (array), .size = sizeof *(array), .items = (n), .min = (lo), .max = (hi),       \
      .help = (h) }
#define CLI_OPT_ENUM(s, l, v, d, c, h)                                                         \
    { .kind = CLI_OPT_ENUM, .short_name = (s), .long_name = (l), .value_name = (v),           \
      .dest = (d), .size = sizeof *(d), .choices = (c), .help = (h) }
#define CLI_OPT_CALL(s, l, v, d, fn, h)                                                        \
    { .kind = CLI_OPT_CALL, .short_name = (s), .long_name = (l), .value_name = (v),           \
      .dest = (d), .parse = (fn), .help = (h) }
/* --name[=V]: a CALL whose value may be left out. */
#define CLI_OPT_CALL_OPTIONAL(l, v, d, fn, h)                                                  \
    { .kind = CLI_OPT_CALL, .long_name = (l), .value_name = (v), .dest = (d), .parse = (fn), \
      .help = (h), .optional = 1 }
/* -@, --threads N: N threads, at most hi; 0 means one per online CPU (at
 * most hi), so an int that holds at least 1 is stored. */
#define CLI_OPT_THREADS(d, hi, h)                                                                \
    { .kind = CLI_OPT_CALL, .short_name = '@', .long_name = "threads", .value_name = "N",     \
      .dest = (d), .imax = (hi), .parse = cli_parse_threads, .help = (h) }
#define CLI_OPT_SECTION(h) { .kind = CLI_OPT_GROUP, .help = (h) }
#define CLI_OPT_HELP { .kind = CLI_OPT_HELP_KIND, .short_name = 'h', .long_name = "help", \
                       .help = "this help" }
/* -q and -h for a command whose usage text describes them itself. */
#define CLI_OPT_QUIET_UNLISTED(d)                                                              \
    { .kind = CLI_OPT_FLAG, .short_name = 'q', .long_name = "quiet", .dest = (d),             \
      .size = sizeof *(d), .imax = 1, .hidden = 1 },                                           \
    { .kind = CLI_OPT_HELP_KIND, .short_name = 'h', .long_name = "help", .hidden = 1 }
#define CLI_OPT_END { .kind = CLI_OPT_END_KIND }

/* cli_opt_parse's answer when the command should go on with its work. */
#define CLI_OPT_GO_ON (-1)

/* Parses argv[1..] (argv[0] is the command's name) against opts, filling
 * each given option's dest. Options and operands may mix; "--" ends the
 * options. Returns CLI_OPT_GO_ON with *first set to the index of the first
 * operand in the permuted argv; EXIT_OK after printing usage(stdout) for
 * --help; EXIT_USAGE after reporting a bad option or value on stderr.
 * command names the command in messages ("campaign"). */
int cli_opt_parse(int *first, const char *command, const cli_opt *opts,
                  void (*usage)(FILE *out), int argc, char **argv);

/* Prints the table's --help lines: "  -o, --output FILE", or long_indent
 * spaces then "--seed N" for a long-only option, padded to column (at least
 * one space) and the help text; headings as they are. */
void cli_opt_print(FILE *out, const cli_opt *opts, int long_indent, int column);

/* CLI_OPT_THREADS' reader. */
int cli_parse_threads(const cli_opt *o, const char *command, const char *name, const char *text);

/* The one wording of a bad value, a usage error:
 *   lapse COMMAND: NAME needs a number from 0 to 1, not "TEXT"
 * where need_fmt gives "needs a number from 0 to 1". Returns EXIT_USAGE. */
int cli_opt_bad_value(const char *command, const char *name, const char *text,
                      const char *need_fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
