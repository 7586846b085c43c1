/* The option-table parser: getopt_long does the scanning, quietly; the
 * table says what each value must be and where it goes, and the messages
 * for options used wrongly are ours, in the command's wording. */
#include "cli_opt.h"
#include "cli.h"

#include <assert.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The largest table; commands have about twenty options. */
#define MAX_OPTIONS 40
/* Long options return LONG_BASE + their index, short ones their letter. */
#define LONG_BASE 256

int cli_opt_bad_value(const char *command, const char *name, const char *text,
                      const char *need_fmt, ...)
{
    va_list ap;
    va_start(ap, need_fmt);
    fprintf(stderr, "lapse %s: %s ", command, name);
    vfprintf(stderr, need_fmt, ap);
    fprintf(stderr, ", not \"%s\"\nTry 'lapse %s --help'.\n", text, command);
    va_end(ap);
    return EXIT_USAGE;
}

/* FLAG, INTEGER and ENUM destinations are int or 64-bit wide. */
static void store_integer(const cli_opt *o, long long value)
{
    if (o->size == sizeof(int)) {
        const int narrow = (int)value;
        memcpy(o->dest, &narrow, sizeof narrow);
    } else {
        assert(o->size == sizeof(int64_t));
        const int64_t wide = value;
        memcpy(o->dest, &wide, sizeof wide);
    }
}

static int parse_enum(const cli_opt *o, const char *command, const char *name, const char *text)
{
    size_t n = 0;
    for (; o->choices[n].name; n++)
        if (strcmp(text, o->choices[n].name) == 0) {
            store_integer(o, o->choices[n].value);
            return 0;
        }
    char list[256] = "";
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i == 0 ? "" : i + 1 < n ? ", " : " or ", o->choices[i].name);
    return cli_opt_bad_value(command, name, text, "must be %s", list);
}

int cli_parse_threads(const cli_opt *o, const char *command, const char *name, const char *text)
{
    long long n;
    if (cli_parse_integer(command, name, text, 0, o->imax, &n))
        return EXIT_USAGE;
    if (n == 0) {
        const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > o->imax ? o->imax : cpus;
    }
    const int threads = (int)n;
    memcpy(o->dest, &threads, sizeof threads);
    return 0;
}

/* Comma-separated items, each read by one of the two scalar kinds. */
static int parse_dates(const cli_opt *o, const char *command, const char *name,
                       const char *text)
{
    int64_t *dates = o->dest;
    size_t n = 0;
    for (const char *p = text;; n++) {
        const size_t len = strcspn(p, ",");
        char item[64];
        if (n == o->items)
            return cli_opt_bad_value(command, name, text, "needs at most %zu dates", o->items);
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        if (cli_parse_date(command, name, item, &dates[n]))
            return EXIT_USAGE;
        if (!p[len])
            break;
        p += len + 1;
    }
    *o->count = n + 1;
    return 0;
}

static int parse_numbers(const cli_opt *o, const char *command, const char *name,
                         const char *text)
{
    double *values = o->dest;
    const char *p = text;
    for (size_t i = 0; i < o->items; i++) {
        const size_t len = strcspn(p, ",");
        char item[64], *end;
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        values[i] = strtod(item, &end);
        const int last = i + 1 == o->items;
        if (len == 0 || len >= sizeof item || *end || (p[len] == '\0') != last ||
            !(values[i] >= o->min && values[i] <= o->max))
            return cli_opt_bad_value(command, name, text, "needs %zu numbers %s from %g to %g",
                                     o->items, o->value_name, o->min, o->max);
        p += len + 1;
    }
    return 0;
}

/* Reads one option's value (NULL for a flag) into its destination. */
static int take(const cli_opt *o, const char *command, const char *name, const char *text)
{
    long long integer;
    switch (o->kind) {
    case CLI_OPT_FLAG:
        if (o->dest)
            store_integer(o, o->imax);
        return 0;
    case CLI_OPT_STRING: *(const char **)o->dest = text; return 0;
    case CLI_OPT_INTEGER:
        if (cli_parse_integer(command, name, text, o->imin, o->imax, &integer))
            return EXIT_USAGE;
        store_integer(o, integer);
        return 0;
    case CLI_OPT_DOUBLE: return cli_parse_double(command, name, text, o->min, o->max, o->dest);
    case CLI_OPT_DATE: return cli_parse_date(command, name, text, o->dest);
    case CLI_OPT_DATES: return parse_dates(o, command, name, text);
    case CLI_OPT_NUMBERS: return parse_numbers(o, command, name, text);
    case CLI_OPT_ENUM: return parse_enum(o, command, name, text);
    case CLI_OPT_CALL: return o->parse(o, command, name, text) ? EXIT_USAGE : 0;
    default: assert(!"not an option with a value"); return EXIT_USAGE;
    }
}

/* getopt_long's tables from ours. */
static void to_getopt(const cli_opt *opts, struct option *longs, char *shorts)
{
    /* A leading ':' makes a missing value ':', told apart from '?'. */
    size_t n_long = 0, n_short = 1;
    shorts[0] = ':';
    for (size_t i = 0; opts[i].kind != CLI_OPT_END_KIND; i++) {
        const cli_opt *o = &opts[i];
        const int has_arg =
            o->kind == CLI_OPT_FLAG || o->kind == CLI_OPT_HELP_KIND ? no_argument
            : o->optional                                           ? optional_argument
                                                                     : required_argument;
        if (o->kind == CLI_OPT_GROUP)
            continue;
        assert(i < MAX_OPTIONS);
        if (o->long_name)
            longs[n_long++] = (struct option){ o->long_name, has_arg, NULL,
                                               o->short_name ? o->short_name
                                                             : LONG_BASE + (int)i };
        if (o->short_name) {
            shorts[n_short++] = o->short_name;
            if (has_arg == required_argument)
                shorts[n_short++] = ':';
        }
    }
    longs[n_long] = (struct option){ NULL, 0, NULL, 0 };
    shorts[n_short] = '\0';
}

static const cli_opt *find(const cli_opt *opts, int c)
{
    if (c >= LONG_BASE)
        return &opts[c - LONG_BASE];
    for (const cli_opt *o = opts; o->kind != CLI_OPT_END_KIND; o++)
        if (o->short_name && o->short_name == c)
            return o;
    return NULL;
}

/* Reports an option getopt_long could not take (c ':' for a missing value,
 * '?' otherwise), named as typed: word is the argument it was in. */
static int misused(const char *command, const cli_opt *opts, const struct option *longs,
                   const char *word, int c)
{
    char name[64];
    if (strncmp(word, "--", 2) == 0)
        snprintf(name, sizeof name, "%.*s", (int)strcspn(word, "="), word);
    else
        snprintf(name, sizeof name, "-%c", optopt);
    const cli_opt *o = optopt ? find(opts, optopt) : NULL;
    if (c == ':')
        return cli_usage_error(command, "%s needs a value (%s)", name, o->value_name);
    if (o)
        return cli_usage_error(command, "%s takes no value", name);
    /* An unknown word, or the start of more than one long option. */
    int matches = 0;
    for (const struct option *l = longs; l->name && name[1] == '-'; l++)
        matches += strncmp(l->name, name + 2, strlen(name + 2)) == 0;
    return cli_usage_error(command, "%s option '%s'", matches > 1 ? "ambiguous" : "unrecognized",
                           name);
}

int cli_opt_parse(int *first, const char *command, const cli_opt *opts,
                  void (*usage)(FILE *out), int argc, char **argv)
{
    struct option longs[MAX_OPTIONS + 1];
    char shorts[2 * MAX_OPTIONS + 2];
    to_getopt(opts, longs, shorts);
    optind = 1;
    opterr = 0;
    for (;;) {
        int index = -1;
        const int c = getopt_long(argc, argv, shorts, longs, &index);
        if (c == -1)
            break;
        if (c == ':' || c == '?')
            return misused(command, opts, longs, argv[optind - 1], c);
        const cli_opt *o = find(opts, c);
        if (o->kind == CLI_OPT_HELP_KIND) {
            usage(stdout);
            return EXIT_OK;
        }
        /* Name the option the way it was typed: "-@" or "--threads". */
        char name[64];
        if (index >= 0)
            snprintf(name, sizeof name, "--%s", longs[index].name);
        else
            snprintf(name, sizeof name, "-%c", c);
        if (take(o, command, name, optarg))
            return EXIT_USAGE;
    }
    *first = optind;
    return CLI_OPT_GO_ON;
}

void cli_opt_print(FILE *out, const cli_opt *opts, int long_indent, int column)
{
    for (const cli_opt *o = opts; o->kind != CLI_OPT_END_KIND; o++) {
        if (o->hidden)
            continue;
        if (o->kind == CLI_OPT_GROUP) {
            fprintf(out, "%s\n", o->help);
            continue;
        }
        int width;
        if (o->short_name)
            width = fprintf(out, "  -%c%s%s", o->short_name, o->long_name ? ", --" : "",
                            o->long_name ? o->long_name : "");
        else
            width = fprintf(out, "%*s--%s", long_indent, "", o->long_name);
        if (o->value_name)
            width += fprintf(out, o->optional ? "[=%s]" : " %s", o->value_name);
        fprintf(out, "%*s", width < column ? column - width : 1, "");
        /* Continuation lines start under the first. */
        for (const char *p = o->help;;) {
            const size_t len = strcspn(p, "\n");
            fprintf(out, "%.*s\n", (int)len, p);
            if (!p[len])
                break;
            p += len + 1;
            fprintf(out, "%*s", column, "");
        }
    }
}
