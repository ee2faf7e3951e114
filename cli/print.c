/* cli/print.c - the run report as text, and one event as `murphy log` and `murphy why`
 * print it. Strings that come from a record (node names,
 * metric names, violation and note texts) are printed with control characters made
 * visible, so a hostile record cannot drive the terminal. Sections with nothing to say
 * (no metrics, no clock events, no pauses) are left out. */
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

/* An offset or a duration with its sign always shown ("+0.300000000s"). */
static const char *signed_time(int64_t ns, char *out, size_t out_bytes)
{
    char t[40];
    snprintf(out, out_bytes, "%s%s", ns >= 0 ? "+" : "", an_format_time(ns, t, sizeof t));
    return out;
}

static void print_more(FILE *out, size_t shown, size_t total, const char *what)
{
    if (total > shown) fprintf(out, "  (and %zu more %s)\n", total - shown, what);
}

static void print_inversions(FILE *out, const struct an_report *r)
{
    if (!r->send_count) return;
    fprintf(out, "\ncausal inversions by wall clock: %" PRIu64 " deliveries stamped before their"
            " send, %" PRIu64 " replies before their request\n", r->inverted_delivery_count,
            r->inverted_reply_count);
    fprintf(out, "  (by true time there are none, by construction; murphy log --order wall"
            " shows them)\n");
}

static void print_metrics(FILE *out, const struct an_report *r)
{
    char a[256], b[64];
    if (!r->metric_total) return;
    fprintf(out, "\noracle metrics\n");
    for (size_t i = 0; i < r->metric_count; i++) {
        const struct an_metric *m = &r->metrics[i];
        double v = m->value;
        bool is_whole = v == (double)(int64_t)v && v > -1e15 && v < 1e15;
        fprintf(out, "  %-28s ", cli_safe(m->name, a, sizeof a));
        if (is_whole) fprintf(out, "%14.0f", v);
        else fprintf(out, "%14.6g", v);
        fprintf(out, " %s\n", cli_safe(m->unit, b, sizeof b));
    }
    print_more(out, r->metric_count, r->metric_total, "metrics");
}

/* The offsets over time, for nodes with samples: the last sample in each fifth of the
 * run, under the time that fifth ends. */
static void print_clock_points(FILE *out, const struct an_report *r)
{
    bool any = false;
    for (size_t i = 0; i < r->clock_count; i++) any = any || r->clocks[i].sample_count > 0;
    if (!any) return;
    char a[256], t[48];
    fprintf(out, "\nwall offset over time (the last clock_sample in each fifth of the run, ending at)\n  %-16s", "node");
    for (int p = 0; p < AN_CLOCK_POINTS; p++)
        fprintf(out, " %15s", an_format_time(r->clock_point_ns[p], t, sizeof t));
    fputc('\n', out);
    for (size_t i = 0; i < r->clock_count; i++) {
        const struct an_clock_row *c = &r->clocks[i];
        if (!c->sample_count) continue;
        fprintf(out, "  %-16s", cli_safe(c->node, a, sizeof a));
        for (int p = 0; p < AN_CLOCK_POINTS; p++)
            fprintf(out, " %15s", c->has_offset_at[p] ? signed_time(c->offset_at_ns[p], t, sizeof t)
                                                      : "-");
        fputc('\n', out);
    }
}

static void print_clocks(FILE *out, const struct an_report *r)
{
    char a[256], lo[48], hi[48], last[48];
    if (!r->clock_total) return;
    fprintf(out, "\nclocks (wall offset from the reference, from clock_sample events)\n");
    fprintf(out, "  %-16s %7s %16s %16s %16s %6s %6s %6s\n", "node", "samples", "min", "max",
            "final", "steps", "syncs", "rates");
    for (size_t i = 0; i < r->clock_count; i++) {
        const struct an_clock_row *c = &r->clocks[i];
        bool has = c->sample_count > 0;
        fprintf(out, "  %-16s %7" PRIu64 " %16s %16s %16s %6" PRIu64 " %6" PRIu64 " %6" PRIu64
                "\n", cli_safe(c->node, a, sizeof a), c->sample_count,
                has ? signed_time(c->offset_min_ns, lo, sizeof lo) : "-",
                has ? signed_time(c->offset_max_ns, hi, sizeof hi) : "-",
                has ? signed_time(c->offset_final_ns, last, sizeof last) : "-", c->step_count,
                c->sync_count, c->rate_count);
    }
    print_more(out, r->clock_count, r->clock_total, "nodes");
    print_clock_points(out, r);
}

static void print_pauses(FILE *out, const struct an_report *r)
{
    char a[256], gc[40], fault[40];
    if (!r->pause_total) return;
    fprintf(out, "\npauses (planned lengths)\n");
    fprintf(out, "  %-16s %8s %16s %10s %16s\n", "node", "gc", "gc time", "by fault",
            "fault time");
    for (size_t i = 0; i < r->pause_count; i++) {
        const struct an_pause_row *p = &r->pauses[i];
        fprintf(out, "  %-16s %8" PRIu64 " %16s %10" PRIu64 " %16s\n",
                cli_safe(p->node, a, sizeof a), p->gc_count,
                an_format_time(p->gc_ns, gc, sizeof gc), p->fault_count, an_format_time(p->fault_ns, fault, sizeof fault));
    }
    print_more(out, r->pause_count, r->pause_total, "nodes");
}

/* What Byzantine nodes and link attackers did; `murphy log --kind lie` has each with
 * the truth beside it. */
static void print_lies(FILE *out, const struct an_report *r)
{
    char a[256];
    if (!r->lie_total) return;
    fprintf(out, "\nlies (per node and policy; murphy log --kind lie shows each with the truth)\n");
    for (size_t i = 0; i < r->lie_count; i++)
        fprintf(out, "  %-40s %8" PRIu64 "\n", cli_safe(r->lies[i].name, a, sizeof a),
                r->lies[i].count);
    print_more(out, r->lie_count, r->lie_total, "rows");
}

static void print_violations(FILE *out, const struct an_report *r)
{
    char a[64];
    fprintf(out, "\nviolations: %" PRIu64, r->violation_count);
    for (size_t i = 0; i < r->violation_listed; i++) {
        const struct an_violation_row *v = &r->violations[i];
        fprintf(out, "\n  #%-8" PRIu64 " %-14s ", v->seq, cli_safe(v->source, a, sizeof a));
        print_safe(out, v->text);
    }
    if (r->violation_count > r->violation_listed)
        fprintf(out, "\n  (and %" PRIu64 " more in the record's violations table)",
                r->violation_count - r->violation_listed);
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
    print_inversions(out, r);
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
    print_metrics(out, r);
    print_clocks(out, r);
    print_pauses(out, r);
    print_lies(out, r);
    print_violations(out, r);
    fprintf(out, "\nnotes: %" PRIu64 "\n", r->note_count);
}

static int report_run(struct an_db *db, const struct an_run *run, void *ctx)
{
    (void)ctx;
    struct an_report report;
    char err[AN_ERR_BYTES];
    if (an_report_build(db, run, &report, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    cli_print_report(stdout, run, &report);
    return CLI_EXIT_OK;
}

int cli_report_run(const char *db_path, uint64_t run_id)
{
    return cli_on_run(db_path, run_id, report_run, NULL);
}

/* A node's name from the record, made safe for the terminal (into a buffer the caller owns). */
const char *cli_node_name(const struct an_nodes *nodes, uint32_t node, char *out,
                             size_t out_bytes)
{
    if (node == SIM_NODE_NONE) return "-";
    return cli_safe(node < nodes->count ? nodes->names[node] : "?", out, out_bytes);
}

/* What an event did, as `murphy log` prints it after the kind. */
void cli_print_event_what(const struct sim_event *ev, const struct an_nodes *nodes)
{
    char peer_buf[256];
    const char *peer = cli_node_name(nodes, ev->peer, peer_buf, sizeof peer_buf);
    const char *aux = sim_event_aux_name(ev->kind, ev->aux);
    char t[40], t2[40];
    switch (ev->kind) {
    case SIM_EV_SEND:
    case SIM_EV_ENQUEUE:
        printf("-> %s msg %" PRIu64 " %s", peer, ev->obj, aux);
        if (ev->ref) printf(" to msg %" PRIu64, ev->ref);
        if (ev->kind == SIM_EV_SEND) printf(", %" PRId64 " B", ev->arg);
        else printf(", %" PRId64 " ahead in the sender's queue", ev->arg);
        break;
    case SIM_EV_DELIVER:
        printf("<- %s msg %" PRIu64 " %s", peer, ev->obj, aux);
        if (ev->ref) printf(" to msg %" PRIu64, ev->ref);
        printf(", sent %s ago", an_format_time(ev->arg, t, sizeof t));
        break;
    case SIM_EV_DROP:
    case SIM_EV_DUPLICATE:
    case SIM_EV_CORRUPT:
    case SIM_EV_CLAMP:
        printf("msg %" PRIu64 " (peer %s)%s%s", ev->obj, peer, aux ? ": " : "", aux ? aux : "");
        if (ev->kind == SIM_EV_CORRUPT) printf(", byte %" PRId64 " flipped", ev->arg);
        if (ev->kind == SIM_EV_CLAMP) printf(", delay clamped to %s",
                                             an_format_time(ev->arg, t, sizeof t));
        break;
    case SIM_EV_TIMER_SET:
        printf("timer %" PRIu64 " tag %" PRIu64 " in %s (local)", ev->obj, ev->ref,
               an_format_time(ev->arg, t, sizeof t));
        break;
    case SIM_EV_TIMER_FIRE:
    case SIM_EV_TIMER_CANCEL: printf("timer %" PRIu64 " tag %" PRIu64, ev->obj, ev->ref); break;
    case SIM_EV_WORK_START:
        printf("work %" PRIu64 " for %s", ev->obj, an_format_time(ev->arg, t, sizeof t));
        break;
    case SIM_EV_WORK_DONE: printf("work %" PRIu64, ev->obj); break;
    case SIM_EV_FAULT: printf("#%" PRIu64 " %s", ev->obj, aux ? aux : "?"); break;
    case SIM_EV_PAUSE: printf("for %s", an_format_time(ev->arg, t, sizeof t)); break;
    case SIM_EV_RESUME: printf("%" PRId64 " waiting in the inbox", ev->arg); break;
    case SIM_EV_CRASH:
    case SIM_EV_RESTART: printf("incarnation %" PRId64, ev->arg); break;
    case SIM_EV_OP_INVOKE: printf("op %" PRIu64 " process %" PRIu64, ev->obj, ev->ref); break;
    case SIM_EV_OP_COMPLETE: printf("op %" PRIu64 " %s", ev->obj, aux ? aux : "?"); break;
    case SIM_EV_TIMEOUT: printf("gave up on msg %" PRIu64, ev->obj); break;
    case SIM_EV_CLOCK_STEP:
        printf("wall clock %s%s (%s)", ev->arg >= 0 ? "+" : "",
               an_format_time(ev->arg, t, sizeof t), aux ? aux : "?");
        break;
    case SIM_EV_CLOCK_RATE:
        printf("rate now %+.3f ppm (%s)", (double)ev->arg / 1000.0, aux ? aux : "?");
        break;
    case SIM_EV_CLOCK_SYNC:
        printf("measured offset %s%s against %s: %s", ev->arg >= 0 ? "+" : "",
               an_format_time(ev->arg, t, sizeof t),
               ev->peer == SIM_NODE_NONE ? "the reference" : peer, aux ? aux : "?");
        break;
    case SIM_EV_CLOCK_SAMPLE:
        printf("wall offset %s%s", ev->arg >= 0 ? "+" : "", an_format_time(ev->arg, t, sizeof t));
        break;
    case SIM_EV_SUSPECT: printf("suspects %s", peer); break;
    case SIM_EV_TRUST: printf("trusts %s again", peer); break;
    case SIM_EV_CLAIM: printf("a=%" PRId64 " b=%" PRId64, (int64_t)ev->obj, (int64_t)ev->ref); break;
    case SIM_EV_PAUSE_NOTICE:
        printf("pause of %s in %s (%s)", an_format_time((int64_t)ev->obj, t, sizeof t),
               an_format_time(ev->arg, t2, sizeof t2), aux ? aux : "?");
        break;
    default: break;
    }
}
