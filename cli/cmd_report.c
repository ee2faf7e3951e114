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
    int status = cli_parse_db_args(argc, argv, "report", &db_path, &run_id);
    if (status != CLI_EXIT_OK) return status;
    return cli_report_run(db_path, run_id);
}
