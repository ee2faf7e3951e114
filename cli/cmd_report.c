/* cli/cmd_report.c - `murphy report`: the numbers of a recorded run. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: murphy report DB [--run ID]\n"
    "\n"
    "Prints what a recorded run (the newest unless --run) did: messages by fate, client\n"
    "operations with latency percentiles (p50, p90, p99, p99.9, max) per operation,\n"
    "timed-out attempts by their true cause, and violations.\n";

int cmd_report(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    const char *db_path = NULL;
    uint64_t run_id = 0;
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (argv[i][0] == '-' || db_path) {
            cli_error("report: unexpected '%s' (see murphy report --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else db_path = argv[i];
    }
    if (status != CLI_EXIT_OK) return status;
    if (!db_path) {
        cli_error("report: which database? (see murphy report --help)");
        return CLI_EXIT_USAGE;
    }
    struct an_db *db = NULL;
    struct an_run run;
    struct an_report report;
    char err[AN_ERR_BYTES];
    if (an_db_open(db_path, &db, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    if (an_run_load(db, (int64_t)run_id, &run, err, sizeof err) != 0) {
        cli_error("%s", err);
        an_db_close(db);
        return CLI_EXIT_USAGE;
    }
    if (an_report_build(db, &run, &report, err, sizeof err) == 0) {
        cli_print_report(stdout, &run, &report);
    } else {
        cli_error("%s", err);
        status = CLI_EXIT_IO;
    }
    an_run_free(&run);
    an_db_close(db);
    return status;
}
