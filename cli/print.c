/* cli/print.c - the run report as text. Strings that come from a record (violation and
 * note texts) are printed with control characters made visible, so a hostile record
 * cannot drive the terminal. */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

static void print_safe(FILE *out, const char *s)
{
    char safe[1024];
    fputs(cli_safe(s, safe, sizeof safe), out);
}

/* Latency in the unit that reads best. */
static void print_latency(FILE *out, double ns)
{
    if (ns >= 1e9) fprintf(out, "%9.3fs ", ns / 1e9);
    else if (ns >= 1e6) fprintf(out, "%9.3fms", ns / 1e6);
    else fprintf(out, "%9.3fus", ns / 1e3);
}

void cli_print_report(FILE *out, const struct an_run *run, const struct an_report *r)
{
    char t[40], a[256], b[64], c[256];
    fprintf(out, "run %" PRId64 ": %s, seed %" PRIu64 ", %s (%s), %" PRIu64 " events, %s "
            "simulated\n", run->id, cli_safe(run->scenario, a, sizeof a), run->seed,
            cli_safe(run->status, b, sizeof b),
            cli_safe(run->end_reason[0] ? run->end_reason : "-", c, sizeof c),
            run->event_count, an_format_time(run->end_ns, t, sizeof t));
    fprintf(out, "\nmessages by fate\n");
    for (size_t i = 0; i < r->fate_count; i++)
        fprintf(out, "  %-22s %10" PRIu64 "\n", cli_safe(r->fates[i].name, a, sizeof a),
                r->fates[i].count);
    if (r->op_count) {
        fprintf(out, "\noperations (latency of ok operations, true time)\n");
        fprintf(out, "  %-10s %8s %8s %8s %11s %11s %11s %11s %11s\n", "f", "ok", "fail", "info",
                "p50", "p90", "p99", "p99.9", "max");
    }
    for (size_t i = 0; i < r->op_count; i++) {
        const struct an_op_stats *st = &r->ops[i];
        fprintf(out, "  %-10s %8" PRIu64 " %8" PRIu64 " %8" PRIu64, cli_safe(st->f, a, sizeof a),
                st->ok, st->fail, st->info);
        for (int q = 0; q < 5; q++) {
            fputs("  ", out);
            print_latency(out, st->latency_ns[q]);
        }
        fputc('\n', out);
    }
    if (r->timeout_count) {
        fprintf(out, "\ntimed-out attempts by true cause (oracle)\n");
        for (size_t i = 0; i < r->cause_count; i++)
            fprintf(out, "  %-22s %10" PRIu64 "\n", cli_safe(r->causes[i].name, a, sizeof a),
                    r->causes[i].count);
        fprintf(out, "  %-22s %10" PRIu64 "\n", "total", r->timeout_count);
    }
    if (r->fault_count) {
        fprintf(out, "\nfaults: %" PRIu64 " applied", r->fault_count);
        if (r->idle_fault_count) fputs("; touched nothing:", out);
        for (size_t i = 0; i < r->idle_fault_count; i++)
            fprintf(out, "%s %s", i ? "," : "", cli_safe(r->idle_faults[i].name, a, sizeof a));
        fputc('\n', out);
    }
    fprintf(out, "\nviolations: %" PRIu64, r->violation_count);
    if (r->violation_count) {
        fputs(" (first: ", out);
        print_safe(out, r->first_violation);
        fputc(')', out);
    }
    fprintf(out, "\nnotes: %" PRIu64 "\n", r->note_count);
}

int cli_report_run(const char *db_path, uint64_t run_id)
{
    struct an_db *db = NULL;
    struct an_run run;
    int status = cli_open_run(db_path, run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    struct an_report report;
    char err[AN_ERR_BYTES];
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
