/* cli/cmd_report.c - `murphy report`: the numbers of a recorded run, and on request its
 * operation latency per node or per window of time. */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

#include "analysis/latency.h"

static const char usage[] =
    "usage: murphy report DB [--run ID] [--by node|window] [--windows N]\n"
    "\n"
    "Prints what a recorded run (the newest unless --run) did: messages by fate; causal\n"
    "inversions by wall clock (deliveries stamped before their send, replies before their\n"
    "request: what a log merged by timestamps shows, `murphy log --order wall`); client\n"
    "operations with latency percentiles (p50, p90, p99, p99.9, max) per operation;\n"
    "timed-out attempts by their true cause; the metrics of the oracles and accumulators;\n"
    "per node, the sampled wall-clock offsets and the clock steps, syncs and rate changes;\n"
    "per node, pauses (gc and by fault); and violations, the first ten listed.\n"
    "  --by node      then each operation's latency per client node (ok, not ok, p50,\n"
    "                 p99, max), exact, from the ops table\n"
    "  --by window    the same per window of true time (by completion), to see when the\n"
    "                 tail happened: during a crash, a pause, a partition\n"
    "  --windows N    how many equal windows split the run (1..100, default 10)\n";

struct by_args {
    const char *by;      /* NULL: no breakdown */
    int window_count;
};

/* Takes --by and --windows out of argv (the rest is DB [--run ID]). */
static int take_by_args(int *argc, char **argv, struct by_args *a)
{
    *a = (struct by_args){NULL, 10};
    int kept = 1, status = CLI_EXIT_OK;
    for (int i = 1; i < *argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(*argc, argv, &i, "--by", &v, &status)) {
            if (v && strcmp(v, "node") != 0 && strcmp(v, "window") != 0) {
                cli_error("report: --by takes 'node' or 'window', got '%.60s'", v);
                status = CLI_EXIT_USAGE;
            }
            a->by = v;
        } else if (cli_opt(*argc, argv, &i, "--windows", &v, &status)) {
            uint64_t n = 0;
            if (v && (cli_parse_u64(v, "--windows", &n) != 0 || n < 1 ||
                      n > AN_LATENCY_WINDOWS_MAX)) {
                cli_error("report: --windows must be within [1, %d]", AN_LATENCY_WINDOWS_MAX);
                status = CLI_EXIT_USAGE;
            }
            a->window_count = (int)n;
        } else argv[kept++] = argv[i];
    }
    *argc = kept;
    return status;
}

struct print_ctx {
    struct an_nodes nodes;
    bool is_by_node;
};

static void print_row(void *ctx, const struct an_latency_row *row)
{
    struct print_ctx *p = ctx;
    char f[64], group[96], a[40], b[40], c[40];
    if (p->is_by_node) {
        if (row->node >= 0 && row->node < (int64_t)p->nodes.count)
            cli_safe(p->nodes.names[row->node], group, sizeof group);
        else snprintf(group, sizeof group, "node %" PRId64, row->node);
    } else {
        char from[40], to[40];
        snprintf(group, sizeof group, "%s..%s", an_format_time(row->window_start_ns, from,
                 sizeof from), an_format_time(row->window_end_ns, to, sizeof to));
    }
    printf("  %-14s %-30s %8" PRIu64 " %8" PRIu64 " %14s %14s %14s\n",
           cli_safe(row->f, f, sizeof f), group, row->ok, row->not_ok,
           row->ok ? an_format_time((int64_t)row->p50_ns, a, sizeof a) : "-",
           row->ok ? an_format_time((int64_t)row->p99_ns, b, sizeof b) : "-",
           row->ok ? an_format_time((int64_t)row->max_ns, c, sizeof c) : "-");
}

static int print_breakdown(const char *db_path, uint64_t run_id, const struct by_args *a)
{
    struct an_db *db = NULL;
    struct an_run run;
    int status = cli_open_run(db_path, run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    char err[AN_ERR_BYTES];
    struct print_ctx p = {.is_by_node = strcmp(a->by, "node") == 0};
    if (an_nodes_load(db, run.id, &p.nodes, err, sizeof err) != 0) status = CLI_EXIT_IO;
    if (status == CLI_EXIT_OK) {
        printf("\nlatency of operations by %s (ok latencies, true time; not ok: fail + info)\n",
               p.is_by_node ? "client node" : "window of completion");
        printf("  %-14s %-30s %8s %8s %14s %14s %14s\n", "f", p.is_by_node ? "node" : "window",
               "ok", "not ok", "p50", "p99", "max");
        if (an_latency_by(db, &run, p.is_by_node ? AN_LATENCY_BY_NODE : AN_LATENCY_BY_WINDOW,
                          a->window_count, print_row, &p, err, sizeof err) != 0)
            status = CLI_EXIT_IO;
        an_nodes_free(&p.nodes);
    }
    if (status != CLI_EXIT_OK) cli_error("%s", err);
    an_run_free(&run);
    an_db_close(db);
    return status;
}

int cmd_report(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct by_args by;
    int status = take_by_args(&argc, argv, &by);
    const char *db_path = NULL;
    uint64_t run_id = 0;
    if (status == CLI_EXIT_OK) status = cli_parse_db_args(argc, argv, "report", &db_path, &run_id);
    if (status != CLI_EXIT_OK) return status;
    status = cli_report_run(db_path, run_id);
    if (status == CLI_EXIT_OK && by.by) status = print_breakdown(db_path, run_id, &by);
    return status;
}
