/* cli/cmd_timeline.c - `murphy timeline`: a run as a Lamport/sequence diagram, SVG or one
 * self-contained HTML page. The model comes from analysis/timeline.c, the drawing from
 * cli/timeline_svg.c; this file reads the arguments, picks the lanes and finds the
 * reference the wall clocks are compared with (the run's scenario, loaded as replay does). */
#include "cli.h"
#include "model_libs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/timeline.h"
#include "cli/timeline_svg.h"
#include "models/models.h"
#include "sim/scenario.h"

static const char usage[] =
    "usage: murphy timeline DB [--run ID] [--from T] [--to T] [--nodes A,B,...]\n"
    "                      --out FILE.html|FILE.svg\n"
    "\n"
    "Draws a recorded run (the newest unless --run) as a sequence diagram: a lane per node,\n"
    "true time left to right; every delivered message an arrow from its send to its\n"
    "delivery (one colour per request and its replies; dashed if the link duplicated it,\n"
    "thick if it corrupted it), every dropped one ending in an x (where the link lost it,\n"
    "or at the node that dropped it), pauses and crashes shaded on their lane, partitions\n"
    "and one-way cuts as bands, timeouts, notes, claims and suspicions as marks, violations\n"
    "in red with lines to the events their text names ('seq N'), and beside each lane its\n"
    "wall clock minus true time at each tick, so skew shows.\n"
    "  --from T, --to T  the window of true time (default: the whole run); a message is in\n"
    "                    it when its delivery or drop is\n"
    "  --nodes A,B       only these nodes' lanes, and messages between them\n"
    "  --out FILE        .svg: the drawing alone (hover titles); .html: one file with no\n"
    "                    external resources: the drawing, details on hover, wheel zoom,\n"
    "                    drag to pan, the violations listed (a click zooms to one)\n"
    "At most 20,000 messages, 20,000 marks and 10,000 intervals are drawn; past that the\n"
    "drawing says so: narrow the window.\n"
    "exit status: 0, 2 bad usage (an unknown node, more than 64 lanes), 3 unreadable\n"
    "record or unwritable file\n";

struct timeline_args {
    const char *db_path;
    uint64_t run_id;
    int64_t from_ns, to_ns;
    bool has_to;
    const char *nodes;
    const char *out_path;
    bool is_html;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int parse_args(int argc, char **argv, struct timeline_args *a)
{
    *a = (struct timeline_args){0};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--from", &v, &status)) {
            if (v && cli_parse_time(v, "--from", &a->from_ns) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--to", &v, &status)) {
            if (v && cli_parse_time(v, "--to", &a->to_ns) != 0) status = CLI_EXIT_USAGE;
            a->has_to = true;
        } else if (cli_opt(argc, argv, &i, "--nodes", &v, &status)) {
            a->nodes = v;
        } else if (cli_opt(argc, argv, &i, "--out", &v, &status)) {
            a->out_path = v;
        } else if (argv[i][0] == '-' || a->db_path) {
            char s[64];
            cli_error("timeline: unexpected '%s' (see murphy timeline --help)",
                      cli_safe(argv[i], s, sizeof s));
            status = CLI_EXIT_USAGE;
        } else {
            a->db_path = argv[i];
        }
    }
    if (status != CLI_EXIT_OK) return status;
    if (!a->db_path || !a->out_path) {
        cli_error("timeline: needs a database and --out FILE.html or FILE.svg (see murphy"
                  " timeline --help)");
        return CLI_EXIT_USAGE;
    }
    a->is_html = ends_with(a->out_path, ".html") || ends_with(a->out_path, ".htm");
    if (!a->is_html && !ends_with(a->out_path, ".svg")) {
        char p[128];
        cli_error("timeline: --out names a .html or .svg file, got '%s'",
                  cli_safe(a->out_path, p, sizeof p));
        return CLI_EXIT_USAGE;
    }
    if (a->from_ns < 0 || (a->has_to && a->to_ns < a->from_ns)) {
        cli_error("timeline: the window must have 0 <= --from <= --to");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* --nodes A,B,...: flags per node, or an error naming the first unknown name. */
static int choose_nodes(const char *list, const struct an_nodes *nodes, bool *is_lane)
{
    char *copy = strdup(list);
    if (!copy) {
        cli_error("out of memory");
        return CLI_EXIT_IO;
    }
    int status = CLI_EXIT_OK;
    size_t chosen = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name && status == CLI_EXIT_OK;
         name = strtok_r(NULL, ",", &save)) {
        int64_t index = an_nodes_find(nodes, name);
        if (index < 0) {
            char n[128];
            cli_error("timeline: --nodes: the run has no node '%s'", cli_safe(name, n, sizeof n));
            status = CLI_EXIT_USAGE;
        } else {
            chosen += !is_lane[index];
            is_lane[index] = true;
        }
    }
    free(copy);
    if (status == CLI_EXIT_OK && chosen == 0) {
        cli_error("timeline: --nodes names no node");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

/* What a node with no clock offset reads at true time 0: the run's scenario says (it is
 * loaded as replay loads it); a scenario that no longer loads (a model library not given
 * here) leaves the default, and the drawing's offsets are then against that. */
static int64_t wall_start_of(const struct an_run *run)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int64_t wall_start_ns = INT64_C(1735689600) * 1000000000; /* scenarios/README.md */
    if (sim_scn_load_text(run->scenario_path, run->scenario_text, run->scenario_text_bytes,
                          (const char *const *)run->overrides, run->override_count,
                          cli_models(), &scn, &diag) == SIM_OK) {
        wall_start_ns = scn.wall_start_ns;
        sim_scn_free(&scn);
    } else {
        fprintf(stderr, "murphy: note: the run's scenario no longer loads; wall clocks are"
                " compared with the default wall_start\n");
    }
    return wall_start_ns;
}

/* "note: not everything in the window is drawn (20000 of 23640 messages, 10000 of 12510
 * intervals); ...": each kind that was cut short, or the sends past the table of the
 * window's sends (drops drawn without their start) when nothing else was. */
static void print_truncation(const struct an_timeline *tl)
{
    struct {
        size_t count, total;
        const char *what;
    } const kinds[] = {{tl->arrow_count, tl->arrow_total, "messages"},
                       {tl->mark_count, tl->mark_total, "marks"},
                       {tl->span_count, tl->span_total, "intervals"},
                       {tl->violation_count, tl->violation_total, "violations"}};
    printf("note: not everything in the window is drawn (");
    const char *sep = "";
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].total <= kinds[i].count) continue;
        printf("%s%zu of %zu %s", sep, kinds[i].count, kinds[i].total, kinds[i].what);
        sep = ", ";
    }
    if (!*sep) printf("some drops without their send: too many sends");
    printf("); narrow it with --from/--to\n");
}

static int draw(struct an_db *db, const struct an_run *run, void *ctx)
{
    const struct timeline_args *a = ctx;
    char err[AN_ERR_BYTES];
    struct an_nodes nodes = {0};
    if (an_nodes_load(db, run->id, &nodes, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    bool *is_lane = NULL;
    int status = CLI_EXIT_OK;
    if (a->nodes) {
        is_lane = calloc((size_t)nodes.count + 1, sizeof *is_lane);
        status = is_lane ? choose_nodes(a->nodes, &nodes, is_lane) : CLI_EXIT_IO;
    }
    an_nodes_free(&nodes);
    int64_t end_ns = run->end_ns > 0 ? run->end_ns : run->duration_ns;
    struct an_timeline_config cfg = {.from_ns = a->from_ns,
                                     .to_ns = a->has_to ? a->to_ns : end_ns,
                                     .is_lane = is_lane,
                                     .wall_start_ns = wall_start_of(run)};
    if (cfg.to_ns < cfg.from_ns) cfg.to_ns = cfg.from_ns; /* --from past the run's end */
    struct an_timeline tl;
    int rc = status == CLI_EXIT_OK ? an_timeline_build(db, run, &cfg, &tl, err, sizeof err) : 0;
    free(is_lane);
    if (status != CLI_EXIT_OK) return status;
    if (rc != 0) {
        cli_error("%s", err);
        return rc == -2 ? CLI_EXIT_USAGE : CLI_EXIT_IO;
    }
    FILE *out = fopen(a->out_path, "w");
    if (!out) {
        char p[256];
        cli_error("cannot write %s: %s", cli_safe(a->out_path, p, sizeof p), strerror(errno));
        an_timeline_free(&tl);
        return CLI_EXIT_IO;
    }
    if (cli_timeline_write(out, &tl, run, a->is_html) != 0) {
        cli_error("out of memory writing the timeline");
        status = CLI_EXIT_IO;
    }
    if ((ferror(out) | fclose(out)) != 0 && status == CLI_EXIT_OK) {
        cli_error("writing the timeline failed: %s", strerror(errno));
        status = CLI_EXIT_IO;
    }
    if (status == CLI_EXIT_OK) {
        printf("timeline: %zu messages, %zu marks, %zu intervals, %zu violations, %u lanes\n",
               tl.arrow_count, tl.mark_count, tl.span_count, tl.violation_count, tl.lane_count);
        if (tl.is_truncated) print_truncation(&tl);
    }
    an_timeline_free(&tl);
    return status;
}

int cmd_timeline(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct timeline_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    return cli_on_run(a.db_path, a.run_id, draw, &a);
}
