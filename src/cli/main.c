/* lapse: churn prediction from raw event logs. Dispatches to one function per
 * subcommand; each lives in its own file and uses only the public API. */
#include "cli.h"

#include "lapse/blas.h"
#include "lapse/outfile.h"
#include "lapse/version.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "simulate", cmd_simulate, "write a synthetic event log with exact ground truth" },
    { "inspect", cmd_inspect, "what lapse makes of event logs; a draft event mapping file" },
    { "extract", cmd_extract, "event logs -> features and churn labels per user" },
    { "train", cmd_train, "feature tables -> a model file with segments and calibrated churn risk" },
    { "score", cmd_score, "apply a model: churn risk, reasons and an action per user" },
    { "eval", cmd_eval, "figures for scored rows with labels: AUC, calibration, lift" },
    { "bench", cmd_bench, "scorer throughput in memory, per thread count, beside a reference" },
    { "report", cmd_report, "an HTML page with charts about scored rows and their model" },
    { "campaign", cmd_campaign, "plan a recall campaign within a budget; measure its uplift" },
    { "model", cmd_model, "show a model file in readable form" },
    { NULL, NULL, NULL },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: lapse <command> [options] [files]\n\n"
                 "lapse predicts which users will go silent, why, and how to reach them.\n\n"
                 "commands:\n");
    for (const command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n'lapse <command> --help' describes each one. 'lapse --version' prints "
                 "the version.\n"
                 "exit codes: 0 ok, 1 bad input data, 2 usage error, 3 system error "
                 "(I/O, memory).\n");
}

/* A killed run must not leave temporary files behind where it can help it. */
static void on_terminate(int signal_number)
{
    lapse_outfile_abort_all_from_signal();
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

/* Installs on_terminate for the signals that end a run, except those the
 * caller ignores (nohup ignores SIGHUP, and that must hold). A closed pipe
 * (`-o - | head`) and a file-size limit (`ulimit -f`) become write errors
 * that the run reports and cleans up after, instead of killing it. */
static void handle_signals(void)
{
    static const int ending[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof ending / sizeof ending[0]; i++) {
        struct sigaction now;
        if (sigaction(ending[i], NULL, &now) == 0 && now.sa_handler != SIG_IGN)
            signal(ending[i], on_terminate);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
}

/* OpenBLAS reads its kernel choice and its threads' spin time when it
 * loads (lapse/blas.h); when either should be other than it is, run again
 * once with them in the environment, so the second run never restarts. */
static void restart_with_better_blas(char **argv)
{
    if (!lapse_blas_prepare_restart())
        return;
    execv("/proc/self/exe", argv);
    /* No restart (no /proc, say): go on with the kernels we have. */
}

int main(int argc, char **argv)
{
    restart_with_better_blas(argv);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        /* The library's version, which may not be the headers' when it
         * was updated alone, then what it runs with. */
        char deps[1024];
        lapse_version_dependencies(deps, sizeof deps);
        printf("lapse %s\n%s", lapse_version(), deps);
        return EXIT_OK;
    }
    handle_signals();
    for (const command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "lapse: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
