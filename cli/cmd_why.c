/* cli/cmd_why.c - `murphy why`: the causal chain behind a violation or any event, printed
 * newest first as an indented list. Each line is an event as `murphy log` prints it; an
 * indented block under an event is where that event's input came from (a message from
 * another node, a timer set earlier, a pause, a scenario fault), itself walked back.
 * Runs of unremarkable events on one node are collapsed into one line. The walk is
 * analysis/why.c; this file only prints it, with every text from the record escaped. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/why.h"

static const char usage[] =
    "usage: murphy why DB [--run ID] [--violation N | --seq SEQ] [--depth D] [--steps S]\n"
    "\n"
    "Explains an event of a recorded run (the newest unless --run): walks back through\n"
    "what led to it (the events before it on its node, the messages it received and their\n"
    "sends on other nodes, timers, work, pauses, crashes and the scenario's faults) and\n"
    "prints that chain newest first. Each line is an event as `murphy log` prints it; an\n"
    "indented block under an event starts with `<-` and says where its input came from;\n"
    "`!` lines are what happened to a message on the way (dropped, duplicated, corrupted).\n"
    "  --violation N  the run's N-th violation (1-based; default: the first)\n"
    "  --seq SEQ      any event, by its seq (as `murphy log` prints it after '#')\n"
    "  --depth D      follow at most D jumps from the event (default 3, at most 64)\n"
    "  --steps S      walk back at most S events on a node per jump (default 8, at most\n"
    "                 1000)\n"
    "A run without violations needs --seq: without it, why says so and exits 2.\n";

#define DEPTH_DEFAULT 3
#define STEPS_DEFAULT 8
#define COLLAPSE_MIN 3 /* unremarkable events in a row shown as one line from this many */

struct why_args {
    const char *db_path;
    uint64_t run_id;
    uint64_t violation; /* 0: not asked */
    uint64_t seq;
    bool has_seq;
    uint64_t depth_max, steps_max;
};

static int parse_args(int argc, char **argv, struct why_args *a)
{
    *a = (struct why_args){.depth_max = DEPTH_DEFAULT, .steps_max = STEPS_DEFAULT};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--violation", &v, &status)) {
            if (v && cli_parse_u64(v, "--violation", &a->violation) != 0) status = CLI_EXIT_USAGE;
            else if (v && a->violation == 0) {
                cli_error("why: --violation counts from 1");
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--seq", &v, &status)) {
            if (v && cli_parse_u64(v, "--seq", &a->seq) != 0) status = CLI_EXIT_USAGE;
            a->has_seq = true;
        } else if (cli_opt(argc, argv, &i, "--depth", &v, &status)) {
            if (v && (cli_parse_u64(v, "--depth", &a->depth_max) != 0 ||
                      a->depth_max > AN_WHY_DEPTH_MAX)) {
                cli_error("why: --depth is 0 to %d", AN_WHY_DEPTH_MAX);
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--steps", &v, &status)) {
            if (v && (cli_parse_u64(v, "--steps", &a->steps_max) != 0 || a->steps_max == 0 ||
                      a->steps_max > AN_WHY_STEPS_MAX)) {
                cli_error("why: --steps is 1 to %d", AN_WHY_STEPS_MAX);
                status = CLI_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' || a->db_path) {
            cli_error("why: unexpected '%s' (see murphy why --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else a->db_path = argv[i];
    }
    if (status == CLI_EXIT_OK && a->has_seq && a->violation) {
        cli_error("why: --seq and --violation name the event twice; give one");
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK && !a->db_path) {
        cli_error("why: which database? (see murphy why --help)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

/* The tree's shape, for printing: children of each link in the order found. */
struct shape {
    const struct an_why *why;
    const struct an_nodes *nodes;
    int32_t *first_child, *next_sibling, *program_child;
    const struct why_args *args;
};

static void print_texts(const char *s) { cli_print_safe(stdout, s); }

static void print_event(const struct shape *sh, const struct an_why_link *l, int indent,
                        const char *mark)
{
    char t[40], name[256];
    const struct sim_event *ev = &l->ev;
    printf("%*s%s%s #%-7" PRIu64 " %-12s %-12s ", indent, "", mark,
           an_format_time(ev->time_ns, t, sizeof t), ev->seq,
           cli_node_name(sh->nodes, ev->node, name, sizeof name), sim_event_kind_name(ev->kind));
    cli_print_event_what(ev, sh->nodes);
    if (ev->kind == SIM_EV_PAUSE) printf(ev->aux == SIM_PAUSE_BY_GC ? " (GC)" : " (fault)");
    if (l->texts) {
        printf("  ");
        print_texts(l->texts);
    }
    putchar('\n');
}

static bool has_branches(const struct shape *sh, int32_t i)
{
    for (int32_t c = sh->first_child[i]; c >= 0; c = sh->next_sibling[c])
        if (sh->why->links[c].edge != AN_WHY_PROGRAM) return true;
    return false;
}

/* An event that explains nothing by itself: no jump out of it, nothing said about it. */
static bool is_unremarkable(const struct shape *sh, int32_t i)
{
    const struct an_why_link *l = &sh->why->links[i];
    if (l->edge != AN_WHY_PROGRAM || l->same_as >= 0 || l->texts || l->has_more_before ||
        has_branches(sh, i))
        return false;
    switch (l->ev.kind) {
    case SIM_EV_SEND:
    case SIM_EV_ENQUEUE:
    case SIM_EV_TIMER_SET:
    case SIM_EV_TIMER_CANCEL:
    case SIM_EV_WORK_START:
    case SIM_EV_CLOCK_SAMPLE: return true;
    default: return false;
    }
}

static void print_segment(const struct shape *sh, int32_t start, int indent);

/* The line that says how a branch leads to the event above it. */
static void print_branch(const struct shape *sh, int32_t j, int indent)
{
    const struct an_why_link *l = &sh->why->links[j];
    const struct sim_event *ev = &l->ev;
    char t[40], name[256];
    an_format_time(ev->time_ns, t, sizeof t);
    cli_node_name(sh->nodes, ev->node, name, sizeof name);
    if (l->edge == AN_WHY_FATE) {
        print_event(sh, l, indent, "! ");
        return;
    }
    printf("%*s", indent, "");
    switch (l->edge) {
    case AN_WHY_MESSAGE:
        printf("<- message %" PRIu64 " from %s sent at %s (#%" PRIu64 ")", ev->obj, name, t,
               ev->seq);
        break;
    case AN_WHY_GAVE_UP:
        printf("<- gave up on message %" PRIu64 " sent by %s at %s (#%" PRIu64 ")", ev->obj,
               name, t, ev->seq);
        break;
    case AN_WHY_TIMER:
        printf("<- timer %" PRIu64 " set at %s (#%" PRIu64 ")", ev->obj, t, ev->seq);
        break;
    case AN_WHY_WORK:
        printf("<- work %" PRIu64 " started at %s (#%" PRIu64 ")", ev->obj, t, ev->seq);
        break;
    case AN_WHY_PAUSE: printf("<- paused at %s (#%" PRIu64 ")", t, ev->seq); break;
    case AN_WHY_FAULT: printf("<- the scenario's fault (#%" PRIu64 ")", ev->seq); break;
    default: printf("<- #%" PRIu64, ev->seq); break;
    }
    if (l->same_as >= 0) {
        printf(", in the chain above\n");
        return;
    }
    if (l->is_cut_by_depth) {
        printf(", not followed (--depth %" PRIu64 ")\n", sh->args->depth_max);
        return;
    }
    putchar('\n');
    print_segment(sh, j, indent + 4);
}

/* A segment: an event and the events before it on its node, each with its branches. */
static void print_segment(const struct shape *sh, int32_t start, int indent)
{
    char name[256];
    for (int32_t i = start; i >= 0;) {
        const struct an_why_link *l = &sh->why->links[i];
        if (l->same_as >= 0) {
            printf("%*s... earlier on %s: in the chain above from #%" PRIu64 "\n", indent, "",
                   cli_node_name(sh->nodes, l->ev.node, name, sizeof name), l->ev.seq);
            return;
        }
        int32_t run_end = i;
        size_t run_count = 0;
        while (run_end >= 0 && is_unremarkable(sh, run_end)) {
            run_count++;
            run_end = sh->program_child[run_end];
        }
        if (run_count >= COLLAPSE_MIN) {
            printf("%*s... %zu events on %s (sends, timers set, work started)\n", indent, "",
                   run_count, cli_node_name(sh->nodes, l->ev.node, name, sizeof name));
            i = run_end;
            continue;
        }
        print_event(sh, l, indent, "");
        /* what happened to the message first, then where the input came from */
        for (int32_t c = sh->first_child[i]; c >= 0; c = sh->next_sibling[c])
            if (sh->why->links[c].edge == AN_WHY_FATE) print_branch(sh, c, indent + 4);
        for (int32_t c = sh->first_child[i]; c >= 0; c = sh->next_sibling[c])
            if (sh->why->links[c].edge != AN_WHY_PROGRAM && sh->why->links[c].edge != AN_WHY_FATE)
                print_branch(sh, c, indent + 4);
        if (l->has_more_before)
            printf("%*s... earlier events on %s not followed (--steps %" PRIu64 ")\n", indent,
                   "", cli_node_name(sh->nodes, l->ev.node, name, sizeof name),
                   sh->args->steps_max);
        i = sh->program_child[i];
    }
}

static int print_why(const struct an_why *why, const struct an_nodes *nodes,
                     const struct why_args *a)
{
    size_t n = why->count;
    struct shape sh = {.why = why, .nodes = nodes, .args = a,
                       .first_child = malloc(n * sizeof(int32_t)),
                       .next_sibling = malloc(n * sizeof(int32_t)),
                       .program_child = malloc(n * sizeof(int32_t))};
    if (!sh.first_child || !sh.next_sibling || !sh.program_child) {
        free(sh.first_child);
        free(sh.next_sibling);
        free(sh.program_child);
        cli_error("out of memory");
        return CLI_EXIT_IO;
    }
    for (size_t i = 0; i < n; i++) sh.first_child[i] = sh.next_sibling[i] = sh.program_child[i] = -1;
    for (size_t i = n; i-- > 1;) { /* backwards, so each list ends up in the order found */
        int32_t p = why->links[i].parent;
        if (why->links[i].edge == AN_WHY_PROGRAM) sh.program_child[p] = (int32_t)i;
        sh.next_sibling[i] = sh.first_child[p];
        sh.first_child[p] = (int32_t)i;
    }
    print_segment(&sh, 0, 0);
    size_t events = 0, crossings = 0;
    uint32_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        const struct an_why_link *l = &why->links[i];
        if (l->same_as >= 0 || l->edge == AN_WHY_FATE) continue;
        events++;
        if (l->edge == AN_WHY_MESSAGE && l->depth > depth) depth = l->depth;
        if (l->parent >= 0 && l->ev.node != why->links[l->parent].ev.node) crossings++;
    }
    printf("\n%zu events in the chain, %zu jumps between nodes%s\n", events, crossings,
           why->is_truncated ? "; stopped at the size limit, some branches not followed" : "");
    free(sh.first_child);
    free(sh.next_sibling);
    free(sh.program_child);
    return CLI_EXIT_OK;
}

/* Which event: --seq, --violation N, or the first violation. Returns an exit status. */
static int pick_target(struct an_db *db, const struct an_run *run, const struct why_args *a,
                       uint64_t *seq)
{
    char err[AN_ERR_BYTES];
    if (a->has_seq) {
        if (a->seq >= run->event_count) {
            cli_error("why: run %" PRId64 " has %" PRIu64 " events (seq 0 to %" PRId64
                      "), no seq %" PRIu64, run->id, run->event_count,
                      (int64_t)run->event_count - 1, a->seq);
            return CLI_EXIT_USAGE;
        }
        *seq = a->seq;
        return CLI_EXIT_OK;
    }
    uint64_t n = a->violation ? a->violation : 1;
    int rc = an_why_violation_seq(db, run, n, seq, err, sizeof err);
    if (rc < 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    if (rc > 0) return CLI_EXIT_OK;
    if (run->violation_count == 0 && !a->violation)
        cli_error("why: run %" PRId64 " has no violation to explain; name an event with --seq"
                  " (see murphy log)", run->id);
    else
        cli_error("why: run %" PRId64 " has %" PRIu64 " violation(s), no violation %" PRIu64,
                  run->id, run->violation_count, n);
    return CLI_EXIT_USAGE;
}

int cmd_why(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct why_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    struct an_db *db = NULL;
    struct an_run run;
    status = cli_open_run(a.db_path, a.run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    uint64_t seq = 0;
    status = pick_target(db, &run, &a, &seq);
    char err[AN_ERR_BYTES];
    struct an_nodes nodes = {0};
    if (status == CLI_EXIT_OK && an_nodes_load(db, run.id, &nodes, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = CLI_EXIT_IO;
    }
    struct an_why why = {0};
    struct an_why_limits limits = {.depth_max = (uint32_t)a.depth_max,
                                   .steps_max = (uint32_t)a.steps_max};
    if (status == CLI_EXIT_OK && an_why_build(db, &run, seq, &limits, &why, err, sizeof err) != 0) {
        cli_error("%s", err);
        status = CLI_EXIT_IO;
    }
    if (status == CLI_EXIT_OK) {
        char scenario[128];
        printf("why #%" PRIu64 " of run %" PRId64 " (%s, seed %" PRIu64 "), newest first; an"
               " indented block is where the event above it got its input\n\n", seq, run.id,
               cli_safe(run.scenario, scenario, sizeof scenario), run.seed);
        status = print_why(&why, &nodes, &a);
    }
    an_why_free(&why);
    an_nodes_free(&nodes);
    an_run_free(&run);
    an_db_close(db);
    return status;
}
