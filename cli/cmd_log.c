/* cli/cmd_log.c - `murphy log`: a recorded run's events as text, one per line, filtered
 * by node, kind and true-time window, in execution order or merged by the nodes' wall
 * clocks (--order wall: what merging every node's own log by timestamp would give, effects
 * before causes included). Texts from the record are printed with control characters made
 * visible. Streams: the events come from one SQLite statement (sorted by SQLite in wall
 * order), and the texts attached to them from a second one in the same order. */
#include "cli.h"

#include <inttypes.h>
#include <string.h>

static const char usage[] =
    "usage: murphy log DB [--run ID] [--node NAME] [--kind KIND] [--from TIME] [--to TIME]\n"
    "                     [--clocks] [--order true|wall]\n"
    "\n"
    "Prints the events of a recorded run (the newest unless --run), one per line: true\n"
    "time, seq, node, kind and what happened. Timeouts carry the oracle's true cause,\n"
    "claims the name a model gave them, lies and attacks the truth beside them, operations\n"
    "their f, key and value (at the invoke) and their result (at the completion), cut to 160\n"
    "characters. Control bytes and broken UTF-8 in any text print as \\xNN.\n"
    "  --node NAME   only events of this node (as actor or peer)\n"
    "  --kind KIND   only this kind: send deliver drop duplicate corrupt enqueue timer\n"
    "                timer_set timer_cancel work work_done fault crash restart pause resume\n"
    "                invoke complete timeout note violation clamp start clock_step\n"
    "                clock_rate clock_sync clock_sample claim pause_notice suspect trust\n"
    "                lie attack\n"
    "  --from TIME, --to TIME   a true-time window, e.g. --from 10s --to 10.5s\n"
    "  --clocks      also print each event's local monotonic and wall-clock readings\n"
    "  --order true  execution order (the default): by true time, ties in the order the\n"
    "                simulator ran them; causes always come before their effects\n"
    "  --order wall  by the wall-clock reading of each event's node, ties by seq, as if\n"
    "                every node's log were merged by timestamp; each line then starts with\n"
    "                that reading. With skewed clocks a delivery may print before its send\n"
    "                and a reply before its request (`murphy report` counts them). An event\n"
    "                without a node (a fault on a group) has no clock: it prints right\n"
    "                after the event that preceded it in execution order\n";

struct log_args {
    const char *db_path;
    uint64_t run_id;
    const char *node;
    int kind;
    int64_t from_ns, to_ns;
    bool has_clocks;
    enum an_event_order order;
};

static int parse_args(int argc, char **argv, struct log_args *a)
{
    *a = (struct log_args){.kind = -1, .from_ns = INT64_MIN, .to_ns = INT64_MAX};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--node", &v, &status)) {
            a->node = v;
        } else if (cli_opt(argc, argv, &i, "--kind", &v, &status)) {
            if (v && (a->kind = sim_event_kind_from_name(v)) < 0) {
                cli_error("log: unknown kind '%.60s' (see murphy log --help)", v);
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--from", &v, &status)) {
            if (v && cli_parse_time(v, "--from", &a->from_ns) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--to", &v, &status)) {
            if (v && cli_parse_time(v, "--to", &a->to_ns) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--order", &v, &status)) {
            if (v && strcmp(v, "true") == 0) a->order = AN_ORDER_TRUE;
            else if (v && strcmp(v, "wall") == 0) a->order = AN_ORDER_WALL;
            else if (v) {
                cli_error("log: --order is 'true' (execution order) or 'wall' (by each "
                          "node's wall clock), got '%.60s'", v);
                status = CLI_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--clocks") == 0) {
            a->has_clocks = true;
        } else if (argv[i][0] == '-' || a->db_path) {
            cli_error("log: unexpected '%s' (see murphy log --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else a->db_path = argv[i];
    }
    if (status == CLI_EXIT_OK && a->from_ns > a->to_ns) {
        cli_error("log: --from is after --to");
        status = CLI_EXIT_USAGE;
    }
    if (status == CLI_EXIT_OK && !a->db_path) {
        cli_error("log: which database? (see murphy log --help)");
        status = CLI_EXIT_USAGE;
    }
    return status;
}

static void print_text(const unsigned char *s) { cli_print_safe(stdout, (const char *)s); }

/* The run's annotations (oracle labels, notes, claims) and violation texts, read once and
 * walked beside the events in the same order (one query per event would scan these
 * unindexed tables once per event: quadratic). In seq order the walk skips what belongs
 * to events filtered out; in wall order the texts are sorted by their event's wall key
 * (joined on seq; SQLite builds a transient index for it), so that the two streams list
 * seqs in the same order and the walk meets every text at its event. */
struct attached {
    sqlite3_stmt *stmt;
    bool has_row;
};

/* A text column cut to its first 160 characters, with its size in bytes when cut: a
 * 100 kB value in the record is one readable line in the log, not 100 kB of it. */
#define CUT_TEXT_SQL(col)                                                                  \
    "CASE WHEN " col " IS NULL THEN '-' WHEN length(CAST(" col " AS BLOB)) > 160 THEN"      \
    " '\"' || substr(" col ", 1, 160) || '\"... (' || length(CAST(" col " AS BLOB)) ||"      \
    " ' bytes)' ELSE '\"' || " col " || '\"' END"

/* Annotations and violations at their event; an operation's f, key and value at its
 * invoke and its result at its completion (values are client input: they are printed,
 * like every text here, through cli_print_safe). */
#define ATTACHED_TEXTS_SQL                                                                 \
    "SELECT seq, kind, text, source, position FROM (SELECT seq, kind, text, 0 AS source,"  \
    " rowid AS position FROM annotations WHERE run_id=?1 UNION ALL SELECT seq,"            \
    " 'violation', text, 1, rowid FROM violations WHERE run_id=?1 UNION ALL SELECT"        \
    " invoke_seq, f, 'key ' || " CUT_TEXT_SQL("key") " || ' value ' || "                    \
    CUT_TEXT_SQL("value") ", 2, rowid FROM ops WHERE run_id=?1 UNION ALL SELECT"           \
    " complete_seq, 'result', " CUT_TEXT_SQL("result") ", 3, rowid FROM ops WHERE"         \
    " run_id=?1 AND complete_seq IS NOT NULL)"

static void attached_open(struct attached *a, sqlite3 *db, const struct an_run *run,
                          enum an_event_order order)
{
    a->has_row = false;
    const char *sql = order == AN_ORDER_WALL
        ? "SELECT t.seq, t.kind, t.text FROM (" ATTACHED_TEXTS_SQL ") t JOIN events e"
          " ON e.run_id = ?1 AND e.seq = t.seq AND (?2 = 0 OR e.rowid BETWEEN ?2 AND ?3)"
          " ORDER BY " AN_WALL_KEY_SQL ", t.seq, t.source, t.position"
        : "SELECT seq, kind, text FROM (" ATTACHED_TEXTS_SQL ") ORDER BY seq, source, position";
    if (sqlite3_prepare_v2(db, sql, -1, &a->stmt, NULL) != SQLITE_OK) {
        sqlite3_finalize(a->stmt);
        a->stmt = NULL;
        return;
    }
    sqlite3_bind_int64(a->stmt, 1, run->id);
    sqlite3_bind_int64(a->stmt, 2, run->last_rowid ? run->first_rowid : 0);
    sqlite3_bind_int64(a->stmt, 3, run->last_rowid);
    a->has_row = sqlite3_step(a->stmt) == SQLITE_ROW;
}

/* Prints (if is_printed) the texts attached to event seq and moves past them. */
static void walk_attached(struct attached *a, enum an_event_order order, uint64_t seq,
                          bool is_printed)
{
    while (order == AN_ORDER_TRUE && a->has_row &&
           (uint64_t)sqlite3_column_int64(a->stmt, 0) < seq)
        a->has_row = sqlite3_step(a->stmt) == SQLITE_ROW;
    while (a->has_row && (uint64_t)sqlite3_column_int64(a->stmt, 0) == seq) {
        if (is_printed) {
            printf("  [");
            print_text(sqlite3_column_text(a->stmt, 1));
            printf("] ");
            print_text(sqlite3_column_text(a->stmt, 2));
        }
        a->has_row = sqlite3_step(a->stmt) == SQLITE_ROW;
    }
}

static bool wanted(const struct log_args *a, const struct sim_event *ev, int64_t node)
{
    if (ev->time_ns < a->from_ns || ev->time_ns > a->to_ns) return false;
    if (a->kind >= 0 && ev->kind != a->kind) return false;
    if (node >= 0 && ev->node != (uint32_t)node && ev->peer != (uint32_t)node) return false;
    return true;
}

static int print_log(struct an_db *db, const struct an_run *run, void *ctx)
{
    const struct log_args *a = ctx;
    char err[AN_ERR_BYTES];
    struct an_nodes nodes;
    if (an_nodes_load(db, run->id, &nodes, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    int64_t node = -1;
    if (a->node && (node = an_nodes_find(&nodes, a->node)) < 0) {
        cli_error("log: run %" PRId64 " has no node '%.60s'", run->id, a->node);
        an_nodes_free(&nodes);
        return CLI_EXIT_USAGE;
    }
    struct attached texts;
    attached_open(&texts, an_db_sqlite(db), run, a->order);
    struct an_event_iter *it = NULL;
    int status = CLI_EXIT_OK;
    if (an_events_open_ordered(db, run, a->order, &it, err, sizeof err) != 0)
        status = CLI_EXIT_IO;
    struct sim_event ev;
    int rc = 0;
    while (status == CLI_EXIT_OK && (rc = an_events_next(it, &ev, err, sizeof err)) > 0) {
        bool is_wanted = wanted(a, &ev, node);
        if (!is_wanted && a->order == AN_ORDER_TRUE) continue; /* the walk skips ahead */
        if (!is_wanted) {
            walk_attached(&texts, a->order, ev.seq, false);
            continue;
        }
        char t[40], mono[40], wall[40], name[256];
        if (a->order == AN_ORDER_WALL) /* the sort key first */
            printf("%21s ", ev.node == SIM_NODE_NONE
                                ? "(no clock)"
                                : an_format_time(ev.wall_ns, wall, sizeof wall));
        printf("%18s #%-8" PRIu64 " %-12s %-12s ", an_format_time(ev.time_ns, t, sizeof t), ev.seq,
               cli_node_name(&nodes, ev.node, name, sizeof name), sim_event_kind_name(ev.kind));
        cli_print_event_what(&ev, &nodes);
        walk_attached(&texts, a->order, ev.seq, true);
        if (a->has_clocks && ev.node != SIM_NODE_NONE)
            printf("  mono %s wall %s", an_format_time(ev.mono_ns, mono, sizeof mono),
                   an_format_time(ev.wall_ns, wall, sizeof wall));
        putchar('\n');
    }
    if (rc == 0 && status == CLI_EXIT_OK && run->has_hash &&
        an_events_seen(it) != run->event_count) {
        snprintf(err, sizeof err, "damaged record: run %" PRId64 " should hold %" PRIu64
                 " events and %" PRIu64 " were found", run->id, run->event_count,
                 an_events_seen(it));
        rc = -1;
    }
    if (rc < 0 || status != CLI_EXIT_OK) {
        cli_error("%s", err);
        status = CLI_EXIT_IO;
    }
    an_events_close(it);
    sqlite3_finalize(texts.stmt);
    an_nodes_free(&nodes);
    return status;
}

int cmd_log(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct log_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    return cli_on_run(a.db_path, a.run_id, print_log, &a);
}
