/* cli/main.c - the `murphy` command: dispatches to one file per subcommand. */
#include "cli.h"

#include <string.h>

#include <gsl/gsl_errno.h>

#include "model_libs.h"

static const char usage[] =
    "usage: murphy COMMAND [ARGS]   (murphy COMMAND --help for each)\n"
    "\n"
    "A deterministic simulator of what goes wrong in distributed systems.\n"
    "\n"
    "  run SCENARIO    run a scenario with a seed and record every event to SQLite\n"
    "  replay DB       re-run a recorded run and check it is identical, event by event\n"
    "  log DB          print a recorded run's events\n"
    "  report DB       a recorded run's numbers: messages by fate, latencies, timeout causes\n"
    "  sweep SCENARIO  run a grid of settings x seeds in-process; metrics per point\n"
    "  merge OUT IN... fold the shards of a sweep (sweep --shard K/N) into one\n"
    "  plot DB         draw a sweep's metrics with gnuplot (SVG or PNG)\n"
    "  check DB        is a run's (or a JSONL file's) history of operations linearizable?\n"
    "  why DB          the chain of events behind a violation or any event\n"
    "  search SCENARIO run many seeds in-process; record and print the failing ones\n"
    "  extract DB      copy one run into a database of its own, for a bug report\n"
    "  shrink DB       cut a failing run's faults down to the few that matter\n"
    "  list            the scenarios (and with --models the models) murphy knows\n"
    "  explain SCENARIO  what a scenario shows, how to run it and what to look at\n"
    "  compare A [B]   two runs' numbers side by side (with vs without)\n"
    "  export DB       a run for other tools: ShiViz, Jepsen-style JSONL, CSV\n"
    "  timeline DB     a run as a sequence diagram: SVG, or HTML with hover and zoom\n"
    "\n"
    "run, replay, sweep, search, shrink, list and timeline take --model-lib FILE.so (any\n"
    "number of times): models and oracles from a library built against libmurphy\n"
    "(docs/writing-models.md). Only the command line loads one, never a scenario or a\n"
    "record; runs record its SHA-256 and replay refuses a different library.\n"
    "\n"
    "exit status: 0 fine, 1 an invariant broke, 2 bad usage or input, 3 I/O or database\n"
    "error, 4 replay diverged, 5 a checker gave up (unknown), 128+N killed by signal N\n";

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cmd_run},       {"replay", cmd_replay}, {"log", cmd_log},
    {"report", cmd_report}, {"list", cmd_list},     {"sweep", cmd_sweep},
    {"merge", cmd_merge},   {"plot", cmd_plot},     {"check", cmd_check},
    {"why", cmd_why},       {"search", cmd_search}, {"extract", cmd_extract},
    {"explain", cmd_explain}, {"compare", cmd_compare},
    {"export", cmd_export},   {"shrink", cmd_shrink},
    {"timeline", cmd_timeline},
};

int main(int argc, char **argv)
{
    /* GSL's default handler aborts on any error, an allocation failure included; we check
     * GSL's return values instead. Off before anything (a model library, a scenario, a
     * database reader) can reach GSL, not only when a world is created. */
    gsl_set_error_handler_off();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("murphy %s\n", MURPHY_VERSION);
        return CLI_EXIT_OK;
    }
    int command_argc = argc - 1;
    char **command_argv = argv + 1;
    /* model libraries load here, before a command opens anything or forks a worker */
    if (cli_model_libs_accepted_by(argv[1])) {
        int status = cli_model_libs_take(&command_argc, command_argv);
        if (status != CLI_EXIT_OK) return status;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(command_argc, command_argv);
    cli_error("unknown command '%s' (see murphy --help)", argv[1]);
    return CLI_EXIT_USAGE;
}
