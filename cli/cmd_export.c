/* cli/cmd_export.c - `murphy export`: a run in the formats other tools read. ShiViz (a
 * space-time diagram from vector clocks, analysis/vclock.c), Jepsen-style JSONL of the
 * client operations (which `murphy check --history` and Jepsen's checkers read), and CSV
 * of a table for notebooks. Everything from the record is untrusted: JSON goes through
 * jansson, CSV is quoted per RFC 4180, host names are made safe. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/vclock.h"
#include "sim/assert.h"

static const char usage[] =
    "usage: murphy export DB [--run ID] --format shiviz|jsonl|csv [--table TABLE]\n"
    "                    [--to T] [--out FILE]\n"
    "\n"
    "Writes a recorded run (the newest unless --run) for another tool, to FILE or stdout:\n"
    "  shiviz  ShiViz's log (https://bestchai.bitbucket.io/shiviz/): its parser regex and\n"
    "          delimiter lines, then per event of a node a line of what happened (with its\n"
    "          seq and true time) and a line of host and vector clock. The clocks follow\n"
    "          the messages, so ShiViz draws who could have known what. Clock samples are\n"
    "          left out; --to T stops at true time T (a run of millions of events is more\n"
    "          than a browser draws).\n"
    "  jsonl   the client operations as Jepsen-style lines, invoke and completion in the\n"
    "          order they happened: {\"process\",\"type\":\"invoke|ok|fail|info\",\"f\",\"key\",\n"
    "          \"value\",\"time\",\"node\",\"index\"}. A process is one client node's sequence of\n"
    "          operations (a node with operations in flight at once has several), as Jepsen\n"
    "          expects; `murphy check --history FILE` reads it back.\n"
    "  csv     one table of the run with a header line: events (default; with node and\n"
    "          peer names), ops, metrics, faults, violations, nodes, links.\n"
    "exit status: 0, 2 bad usage, 3 unreadable record or unwritable file\n";

struct export_args {
    const char *db_path;
    uint64_t run_id;
    const char *format;
    const char *table;
    const char *out_path;
    int64_t to_ns;
};

static const char *const csv_tables[] = {"events", "ops", "metrics", "faults", "violations",
                                         "nodes", "links"};

static bool is_csv_table(const char *name)
{
    for (size_t i = 0; i < sizeof csv_tables / sizeof csv_tables[0]; i++)
        if (strcmp(name, csv_tables[i]) == 0) return true;
    return false;
}

static int parse_args(int argc, char **argv, struct export_args *a)
{
    *a = (struct export_args){.table = "events", .to_ns = INT64_MAX};
    int status = CLI_EXIT_OK;
    bool has_table = false;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--format", &v, &status)) {
            a->format = v;
        } else if (cli_opt(argc, argv, &i, "--table", &v, &status)) {
            a->table = v;
            has_table = true;
        } else if (cli_opt(argc, argv, &i, "--out", &v, &status)) {
            a->out_path = v;
        } else if (cli_opt(argc, argv, &i, "--to", &v, &status)) {
            if (v && cli_parse_time(v, "--to", &a->to_ns) != 0) status = CLI_EXIT_USAGE;
        } else if (argv[i][0] == '-' || a->db_path) {
            cli_error("export: unexpected '%s' (see murphy export --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else {
            a->db_path = argv[i];
        }
    }
    if (status != CLI_EXIT_OK) return status;
    if (!a->db_path || !a->format) {
        cli_error("export: needs a database and --format shiviz|jsonl|csv (see murphy export"
                  " --help)");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(a->format, "shiviz") != 0 && strcmp(a->format, "jsonl") != 0 &&
        strcmp(a->format, "csv") != 0) {
        char f[64];
        cli_error("export: --format takes shiviz, jsonl or csv, got '%s'",
                  cli_safe(a->format, f, sizeof f));
        return CLI_EXIT_USAGE;
    }
    if (has_table && strcmp(a->format, "csv") != 0) {
        cli_error("export: --table is for --format csv");
        return CLI_EXIT_USAGE;
    }
    if (!is_csv_table(a->table)) {
        char t[64];
        cli_error("export: --table takes events, ops, metrics, faults, violations, nodes or"
                  " links, got '%s'", cli_safe(a->table, t, sizeof t));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* --- shiviz ------------------------------------------------------------------------------ */

/* A node's name for JSONL: the record's name made safe, spaces as '_'. */
static void host_name(const struct an_nodes *nodes, uint32_t node, char *out, size_t out_bytes)
{
    cli_safe(node < nodes->count ? nodes->names[node] : "?", out, out_bytes);
    for (char *c = out; *c; c++)
        if (*c == ' ') *c = '_';
}

#define SHIVIZ_HOST_BYTES 96    /* a host as written */
#define SHIVIZ_HOST_KEPT_MAX 64 /* bytes of a changed name kept before its "#INDEX" */

struct shiviz_host {
    char name[SHIVIZ_HOST_BYTES];
};

static bool is_visible_ascii(unsigned char c) { return c >= 0x21 && c <= 0x7e; }

/* A name ShiViz can take as it is: visible ASCII only (its host is \S*, and a no-break
 * space or a line separator would end or break it), no '#', not empty, short. */
static bool is_plain_host(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++)
        if (!is_visible_ascii((unsigned char)name[n]) || name[n] == '#') return false;
    return n > 0 && n < SHIVIZ_HOST_KEPT_MAX;
}

static int compare_names(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    return strcmp(*x, *y);
}

/* The hosts of ShiViz's log, one per node. ShiViz keys the vector clocks by host, so they
 * must differ: a plain name (is_plain_host) that no other node has is the host as it is;
 * any other name gets each byte outside 0x21-0x7e (and '#') as '_', is cut to
 * SHIVIZ_HOST_KEPT_MAX bytes and ends in "#INDEX". Plain hosts have no '#', the others
 * end in a '#' and their node's index, so no two are equal. NULL when out of memory. */
static struct shiviz_host *shiviz_hosts(const struct an_nodes *nodes)
{
    struct shiviz_host *hosts = calloc((size_t)nodes->count + 1, sizeof *hosts);
    const char **sorted = calloc((size_t)nodes->count + 1, sizeof *sorted);
    if (!hosts || !sorted) {
        free(hosts);
        free(sorted);
        return NULL;
    }
    for (uint32_t i = 0; i < nodes->count; i++) sorted[i] = nodes->names[i];
    qsort(sorted, nodes->count, sizeof *sorted, compare_names);
    for (uint32_t i = 0; i < nodes->count; i++) {
        const char *name = nodes->names[i];
        const char **at = bsearch(&name, sorted, nodes->count, sizeof *sorted, compare_names);
        SIM_ASSERT(at); /* it is one of them */
        size_t k = (size_t)(at - sorted);
        bool is_unique = (k == 0 || strcmp(sorted[k - 1], name) != 0) &&
                         (k + 1 == nodes->count || strcmp(sorted[k + 1], name) != 0);
        if (is_unique && is_plain_host(name)) {
            snprintf(hosts[i].name, sizeof hosts[i].name, "%s", name);
            continue;
        }
        size_t n = 0;
        for (; name[n] && n < SHIVIZ_HOST_KEPT_MAX; n++)
            hosts[i].name[n] = is_visible_ascii((unsigned char)name[n]) && name[n] != '#'
                                   ? name[n] : '_';
        snprintf(hosts[i].name + n, sizeof hosts[i].name - n, "#%" PRIu32, i);
    }
    free(sorted);
    return hosts;
}

static const char *host_of(const struct shiviz_host *hosts, const struct an_nodes *nodes,
                           uint32_t node)
{
    return node < nodes->count ? hosts[node].name : "?";
}

/* "send request msg 12 to server", "drop loss msg 12", "timer_fire id 3": one line. */
static void describe(const struct sim_event *ev, const struct an_nodes *nodes,
                     const struct shiviz_host *hosts, char *out, size_t out_bytes)
{
    char peer[SHIVIZ_HOST_BYTES] = "";
    if (ev->peer != SIM_NODE_NONE)
        snprintf(peer, sizeof peer, "%s", host_of(hosts, nodes, ev->peer));
    const char *aux = sim_event_aux_name(ev->kind, ev->aux);
    bool is_message = ev->kind == SIM_EV_SEND || ev->kind == SIM_EV_ENQUEUE ||
                      ev->kind == SIM_EV_DUPLICATE || ev->kind == SIM_EV_CORRUPT ||
                      ev->kind == SIM_EV_DELIVER || ev->kind == SIM_EV_DROP;
    const char *to = !peer[0] ? "" : ev->kind == SIM_EV_DELIVER ? " from " : " to ";
    if (ev->kind == SIM_EV_DROP) /* the peer of a drop is whichever end did not drop it */
        to = peer[0] ? " peer " : "";
    snprintf(out, out_bytes, "%s%s%s %s %" PRIu64 "%s%s", sim_event_kind_name(ev->kind),
             aux ? " " : "", aux ? aux : "", is_message ? "msg" : "id", ev->obj, to, peer);
}

/* The clock as ShiViz's JSON object, entries of zero left out, in node order. */
static char *clock_json(const uint64_t *clock, const struct an_nodes *nodes,
                        const struct shiviz_host *hosts)
{
    json_t *o = json_object();
    for (uint32_t i = 0; o && i < nodes->count; i++) {
        if (!clock[i]) continue;
        if (json_object_set_new(o, hosts[i].name, json_integer((json_int_t)clock[i])) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    return text;
}

static int export_shiviz(struct an_db *db, const struct an_run *run, const struct export_args *a,
                         FILE *out)
{
    char err[AN_ERR_BYTES];
    struct an_nodes nodes = {0};
    if (an_nodes_load(db, run->id, &nodes, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    struct an_vclock *vc = NULL;
    if (an_vclock_create(nodes.count, &vc) != 0) {
        cli_error("export: shiviz draws at most %u nodes; this run has %u", AN_VCLOCK_NODES_MAX,
                  nodes.count);
        an_nodes_free(&nodes);
        return CLI_EXIT_USAGE;
    }
    struct shiviz_host *hosts = shiviz_hosts(&nodes);
    struct an_event_iter *it = NULL;
    int status = CLI_EXIT_OK;
    if (!hosts) {
        cli_error("out of memory");
        status = CLI_EXIT_IO;
    } else if (an_events_open(db, run, &it, err, sizeof err) != 0) {
        status = CLI_EXIT_IO;
    }
    fprintf(out, "(?<event>.*) \\| seq=(?<seq>\\d+) time=(?<time>\\S+)\\n(?<host>\\S*) "
                 "(?<clock>{.*})\n\n");
    struct sim_event ev;
    int rc = 0, is_oom = 0;
    while (status == CLI_EXIT_OK && (rc = an_events_next(it, &ev, err, sizeof err)) == 1) {
        if (ev.time_ns > a->to_ns) break;
        if (ev.node == SIM_NODE_NONE || ev.kind == SIM_EV_CLOCK_SAMPLE) continue;
        const uint64_t *clock = an_vclock_step(vc, &ev, &is_oom);
        if (!clock) continue;
        char what[512], t[40];
        describe(&ev, &nodes, hosts, what, sizeof what);
        char *json = is_oom ? NULL : clock_json(clock, &nodes, hosts);
        if (!json) {
            cli_error("out of memory");
            status = CLI_EXIT_IO;
            break;
        }
        fprintf(out, "%s | seq=%" PRIu64 " time=%s\n%s %s\n", what, ev.seq,
                an_format_time(ev.time_ns, t, sizeof t), host_of(hosts, &nodes, ev.node), json);
        free(json);
    }
    if (status == CLI_EXIT_OK && rc < 0) {
        cli_error("%s", err);
        status = CLI_EXIT_IO;
    }
    an_events_close(it);
    an_vclock_free(vc);
    free(hosts);
    an_nodes_free(&nodes);
    return status;
}

/* --- jsonl -------------------------------------------------------------------------------- */

/* A Jepsen process: one (node, process) lane's operations one at a time. A lane with an
 * operation in flight that starts another gets a further process, as Jepsen does. */
struct lane {
    int64_t node, process;
    int64_t op_in_flight; /* op id, or -1 */
};

struct lanes {
    struct lane *items;
    size_t count, cap;
};

/* The Jepsen process for a new operation of (node, process); -1 when out of memory. */
static int64_t lane_take(struct lanes *l, int64_t node, int64_t process, int64_t op_id)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].node == node && l->items[i].process == process &&
            l->items[i].op_in_flight < 0) {
            l->items[i].op_in_flight = op_id;
            return (int64_t)i;
        }
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct lane *items = realloc(l->items, cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count] = (struct lane){node, process, op_id};
    return (int64_t)l->count++;
}

/* The process of op_id, releasing its lane; -1 if the op was never invoked. */
static int64_t lane_release(struct lanes *l, int64_t op_id)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].op_in_flight == op_id) {
            l->items[i].op_in_flight = -1;
            return (int64_t)i;
        }
    return -1;
}

/* A text column as a JSON string (null when NULL); text that is not UTF-8 is written
 * made safe, as \xNN, rather than dropped. */
static json_t *text_json(sqlite3_stmt *s, int column)
{
    const unsigned char *v = sqlite3_column_text(s, column);
    if (!v) return json_null();
    json_t *j = json_string((const char *)v);
    if (j) return j;
    size_t bytes = 4 * (size_t)sqlite3_column_bytes(s, column) + 1;
    char *safe = malloc(bytes);
    if (!safe) return NULL;
    j = json_string(cli_safe((const char *)v, safe, bytes));
    free(safe);
    return j;
}

static int export_jsonl(struct an_db *db, const struct an_run *run, FILE *out)
{
    char err[AN_ERR_BYTES];
    struct an_nodes nodes = {0};
    if (an_nodes_load(db, run->id, &nodes, err, sizeof err) != 0) {
        cli_error("%s", err);
        return CLI_EXIT_IO;
    }
    sqlite3 *sq = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    /* invokes and completions in the order they happened (their event seqs) */
    const char *sql =
        "SELECT op_id, node, process, f, key, value, 'invoke', invoke_seq AS pos, invoke_ns"
        " FROM ops WHERE run_id = ?1"
        " UNION ALL SELECT op_id, node, process, f, key, CASE WHEN f = 'read' THEN result"
        " ELSE value END, type, complete_seq AS pos, complete_ns FROM ops"
        " WHERE run_id = ?1 AND complete_seq IS NOT NULL ORDER BY pos";
    int status = CLI_EXIT_OK;
    if (sqlite3_prepare_v2(sq, sql, -1, &s, NULL) != SQLITE_OK) {
        cli_error("reading ops: %s", sqlite3_errmsg(sq));
        an_nodes_free(&nodes);
        return CLI_EXIT_IO;
    }
    sqlite3_bind_int64(s, 1, run->id);
    struct lanes lanes = {0};
    int rc;
    while (status == CLI_EXIT_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t op_id = sqlite3_column_int64(s, 0), node = sqlite3_column_int64(s, 1);
        const unsigned char *type = sqlite3_column_text(s, 6);
        bool is_invoke = type && strcmp((const char *)type, "invoke") == 0;
        int64_t process = is_invoke ? lane_take(&lanes, node, sqlite3_column_int64(s, 2), op_id)
                                    : lane_release(&lanes, op_id);
        char name[160];
        host_name(&nodes, (uint32_t)(node >= 0 && node < UINT32_MAX ? node : UINT32_MAX), name,
                  sizeof name);
        json_t *o = json_object();
        if (!o || process < 0 ||
            json_object_set_new(o, "process", json_integer(process)) != 0 ||
            json_object_set_new(o, "type", text_json(s, 6)) != 0 ||
            json_object_set_new(o, "f", text_json(s, 3)) != 0 ||
            json_object_set_new(o, "key", text_json(s, 4)) != 0 ||
            json_object_set_new(o, "value", text_json(s, 5)) != 0 ||
            json_object_set_new(o, "time", sqlite3_column_type(s, 8) == SQLITE_NULL
                                               ? json_null()
                                               : json_integer(sqlite3_column_int64(s, 8))) != 0 ||
            json_object_set_new(o, "node", json_string(name)) != 0 ||
            json_object_set_new(o, "index", json_integer(op_id)) != 0) {
            cli_error(process < 0 ? "op %" PRId64 ": a completion without its invoke (a damaged"
                                    " record)"
                                  : "out of memory at op %" PRId64, op_id);
            status = process < 0 ? CLI_EXIT_IO : CLI_EXIT_IO;
        } else {
            char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
            if (line) fprintf(out, "%s\n", line);
            else status = CLI_EXIT_IO;
            free(line);
        }
        json_decref(o);
    }
    if (status == CLI_EXIT_OK && rc != SQLITE_DONE) {
        cli_error("reading ops: %s", sqlite3_errmsg(sq));
        status = CLI_EXIT_IO;
    }
    sqlite3_finalize(s);
    free(lanes.items);
    an_nodes_free(&nodes);
    return status;
}

/* --- csv ---------------------------------------------------------------------------------- */

/* RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
static void csv_text(FILE *out, const char *text, size_t bytes)
{
    bool needs_quotes = false;
    for (size_t i = 0; i < bytes && !needs_quotes; i++)
        needs_quotes = text[i] == ',' || text[i] == '"' || text[i] == '\n' || text[i] == '\r';
    if (!needs_quotes) {
        fwrite(text, 1, bytes, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < bytes; i++) {
        if (text[i] == '"') fputc('"', out);
        fputc(text[i], out);
    }
    fputc('"', out);
}

static void csv_column(FILE *out, sqlite3_stmt *s, int i)
{
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL: break;
    case SQLITE_INTEGER: fprintf(out, "%lld", (long long)sqlite3_column_int64(s, i)); break;
    case SQLITE_FLOAT: fprintf(out, "%.17g", sqlite3_column_double(s, i)); break;
    default: {
        const unsigned char *t = sqlite3_column_text(s, i);
        csv_text(out, t ? (const char *)t : "", (size_t)sqlite3_column_bytes(s, i));
    }
    }
}

static int export_csv(struct an_db *db, const struct an_run *run, const char *table, FILE *out)
{
    char sql[512];
    bool is_events = strcmp(table, "events") == 0;
    /* the table name is one of csv_tables, never user text; the run is a bound parameter */
    if (is_events)
        snprintf(sql, sizeof sql,
                 "SELECT e.seq, e.time_ns, e.node, n.name AS node_name, e.kind, e.peer,"
                 " p.name AS peer_name, e.obj_id, e.ref_id, e.detail, e.arg, e.mono_ns, e.wall_ns"
                 " FROM events e LEFT JOIN nodes n ON n.run_id = e.run_id AND n.node = e.node"
                 " LEFT JOIN nodes p ON p.run_id = e.run_id AND p.node = e.peer"
                 " WHERE e.run_id = ?1 AND e.rowid >= ?2 ORDER BY e.rowid");
    else snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE run_id = ?1 ORDER BY rowid", table);
    sqlite3 *sq = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(sq, sql, -1, &s, NULL) != SQLITE_OK) {
        cli_error("reading %s: %s", table, sqlite3_errmsg(sq));
        return CLI_EXIT_IO;
    }
    sqlite3_bind_int64(s, 1, run->id);
    if (is_events) sqlite3_bind_int64(s, 2, run->last_rowid ? run->first_rowid : 0);
    int columns = sqlite3_column_count(s);
    for (int i = 0; i < columns; i++) {
        const char *name = sqlite3_column_name(s, i);
        if (i) fputc(',', out);
        csv_text(out, name, strlen(name));
    }
    fputc('\n', out);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        for (int i = 0; i < columns; i++) {
            if (i) fputc(',', out);
            csv_column(out, s, i);
        }
        fputc('\n', out);
    }
    int status = CLI_EXIT_OK;
    if (rc != SQLITE_DONE) {
        cli_error("reading %s: %s", table, sqlite3_errmsg(sq));
        status = CLI_EXIT_IO;
    }
    sqlite3_finalize(s);
    return status;
}

/* Writes the run in the asked format to --out or stdout. */
static int export_run(struct an_db *db, const struct an_run *run, void *ctx)
{
    const struct export_args *a = ctx;
    int status = CLI_EXIT_OK;
    FILE *out = a->out_path ? fopen(a->out_path, "w") : stdout;
    if (!out) {
        char p[256];
        cli_error("cannot write %s: %s", cli_safe(a->out_path, p, sizeof p), strerror(errno));
        status = CLI_EXIT_IO;
    } else if (strcmp(a->format, "shiviz") == 0) {
        status = export_shiviz(db, run, a, out);
    } else if (strcmp(a->format, "jsonl") == 0) {
        status = export_jsonl(db, run, out);
    } else {
        status = export_csv(db, run, a->table, out);
    }
    bool is_bad = out && ferror(out);
    if (out && (out != stdout ? fclose(out) : fflush(out)) != 0) is_bad = true;
    if (is_bad && status == CLI_EXIT_OK) {
        cli_error("writing the export failed: %s", strerror(errno));
        status = CLI_EXIT_IO;
    }
    return status;
}

int cmd_export(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct export_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;
    return cli_on_run(a.db_path, a.run_id, export_run, &a);
}
