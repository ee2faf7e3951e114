/* cli/cmd_report.c - `murphy report`: the numbers of a recorded run. */
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: murphy report DB [--run ID]\n"
    "\n"
    "Prints what a recorded run (the newest unless --run) did: messages by fate; causal\n"
    "inversions by wall clock (deliveries stamped before their send, replies before their\n"
    "request: what a log merged by timestamps shows, `murphy log --order wall`); client\n"
    "operations with latency percentiles (p50, p90, p99, p99.9, max) per operation;\n"
    "timed-out attempts by their true cause; the oracles' metrics; per node, the sampled\n"
    "wall-clock offsets and the clock steps, syncs and rate changes; per node, pauses (gc\n"
    "and by fault); and violations, the first ten listed.\n";

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
