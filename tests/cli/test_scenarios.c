/* tests/cli/test_scenarios.c - proves that the unreliable-network scenario shows what it
 * promises and that its record holds what outside tools rely on. How: `murphy run
 * unreliable-network --db` in a separate process, then the record is read with the SQLite
 * C API and the reading commands (`report`, `log`) are run on it:
 *  - all six true causes appear as 'timeout_cause' annotations, each at least 3 times,
 *    one per timeout event, and each label agrees with what the record shows happened to
 *    that request (a lost request was dropped, a late reply was sent and not yet
 *    delivered, ...);
 *  - a liveness floor: at least 80% of the operations complete `ok`;
 *  - `report` prints p50/p90/p99/p99.9/max (in order, max equal to the record's) and the
 *    causes with the record's counts; `log --kind timeout` prints one line per timeout,
 *    each with its cause;
 *  - the record has the runs/nodes/links/faults/events/ops content of DESIGN.md, under the
 *    fixed table and column names, with events numbered densely 0..N-1, N = event_count;
 *  - the scenario's "Now change" claims hold. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

#define UNRELIABLE "scenarios/unreliable-network.ini"

TestSuite(scenarios, .init = tmp_setup, .fini = tmp_teardown);

static const char *const causes[6] = {
    "request lost", "server crashed", "server paused", "queued", "reply lost", "reply late",
};

static struct recorded record(const char *db_path, uint64_t seed, const char *set)
{
    return record_run(db_path, "unreliable-network", seed, set ? "--set" : NULL, set);
}

static int64_t cause_count(sqlite3 *db, int64_t run_id, const char *cause)
{
    return db_int_text(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                       " AND kind = 'timeout_cause' AND text = ?2", run_id, cause, NULL);
}

Test(scenarios, unreliable_network_labels_all_six_causes)
{
    const char *db_path = tmp_path("un.db");
    struct recorded rec = record(db_path, 1, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t labelled = 0;
    for (size_t c = 0; c < 6; c++) {
        int64_t n = cause_count(db, rec.run_id, causes[c]);
        cr_expect_geq(n, 3, "cause '%s' labelled %" PRId64 " times, expected at least 3",
                      causes[c], n);
        labelled += n;
    }
    int64_t all = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                         " AND kind = 'timeout_cause'", rec.run_id, 0);
    cr_assert_eq(all, labelled, "%" PRId64 " labels are none of the six causes",
                 all - labelled);
    int64_t timeouts = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1"
                              " AND kind = 'timeout'", rec.run_id, 0);
    cr_assert_gt(timeouts, 0);
    /* each timeout exactly one label; as many labels as timeouts, so none elsewhere */
    int64_t wrong = db_int(db,
                           "SELECT count(*) FROM events e WHERE e.run_id = ?1"
                           " AND e.kind = 'timeout' AND (SELECT count(*) FROM annotations a"
                           " WHERE a.run_id = ?1 AND a.seq = e.seq"
                           " AND a.kind = 'timeout_cause') != 1", rec.run_id, 0);
    cr_assert_eq(wrong, 0, "%" PRId64 " timeouts do not have exactly one cause", wrong);
    cr_assert_eq(all, timeouts, "%" PRId64 " labels for %" PRId64 " timeouts", all, timeouts);
    int64_t other_node = db_int(db,
                                "SELECT count(*) FROM events e JOIN annotations a"
                                " ON a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1"
                                " AND e.kind = 'timeout' AND a.kind = 'timeout_cause'"
                                " AND a.node IS NOT e.node", rec.run_id, 0);
    cr_assert_eq(other_node, 0, "labels must name the timed-out client's node");
    db_close(db);
}

/* The scenario says "all six causes, each more than once" for any seed. */
Test(scenarios, unreliable_network_shows_every_cause_for_other_seeds)
{
    const char *db_path = tmp_path("seeds.db");
    for (uint64_t seed = 2; seed <= 4; seed++) {
        struct recorded rec = record(db_path, seed, NULL);
        sqlite3 *db = db_open(db_path, false);
        for (size_t c = 0; c < 6; c++) {
            int64_t n = cause_count(db, rec.run_id, causes[c]);
            cr_expect_geq(n, 2, "seed %" PRIu64 ": '%s' labelled %" PRId64 " times", seed,
                          causes[c], n);
        }
        db_close(db);
    }
}

/* Each label must agree with what the record shows about the request it names (the
 * timeout's obj_id is the request's message id; a reply carries it as ref_id). */
Test(scenarios, labels_agree_with_the_record)
{
    const char *db_path = tmp_path("agree.db");
    struct recorded rec = record(db_path, 1, NULL);
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "CREATE INDEX by_obj ON events(run_id, obj_id, kind)", 0, 0);
    db_exec(db, "CREATE INDEX by_ref ON events(run_id, ref_id, kind)", 0, 0);
    db_exec(db, "CREATE INDEX by_kind ON events(run_id, kind, node)", 0, 0);
    db_exec(db, "CREATE INDEX by_seq ON annotations(run_id, seq)", 0, 0);
    static const struct {
        const char *cause;
        const char *contradiction; /* ?1 run id; e is the timeout event */
    } rules[] = {
        {"request lost", "NOT EXISTS (SELECT 1 FROM events d WHERE d.run_id = ?1"
         " AND d.obj_id = e.obj_id AND d.kind = 'drop' AND d.seq < e.seq"
         " AND d.detail IS NOT 'node_down')"},
        {"server crashed", "NOT EXISTS (SELECT 1 FROM events c WHERE c.run_id = ?1"
         " AND c.kind = 'crash' AND c.seq < e.seq)"},
        {"server paused", "NOT EXISTS (SELECT 1 FROM events p WHERE p.run_id = ?1"
         " AND p.kind = 'pause' AND p.seq < e.seq)"},
        {"queued", "EXISTS (SELECT 1 FROM events s WHERE s.run_id = ?1 AND s.ref_id = e.obj_id"
         " AND s.kind = 'send' AND s.detail = 'reply' AND s.seq < e.seq)"},
        {"reply lost", "NOT EXISTS (SELECT 1 FROM events d WHERE d.run_id = ?1"
         " AND d.ref_id = e.obj_id AND d.kind = 'drop' AND d.seq < e.seq)"},
        {"reply late", "NOT EXISTS (SELECT 1 FROM events s WHERE s.run_id = ?1"
         " AND s.ref_id = e.obj_id AND s.kind = 'send' AND s.detail = 'reply'"
         " AND s.seq < e.seq) OR EXISTS (SELECT 1 FROM events d WHERE d.run_id = ?1"
         " AND d.ref_id = e.obj_id AND d.kind = 'deliver' AND d.seq < e.seq)"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT count(*), min(e.seq) FROM events e JOIN annotations a ON"
                 " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1"
                 " AND e.kind = 'timeout' AND a.kind = 'timeout_cause' AND a.text = '%s'"
                 " AND (%s)", rules[i].cause, rules[i].contradiction);
        int64_t bad = db_int(db, sql, rec.run_id, 0);
        cr_expect_eq(bad, 0, "%" PRId64 " timeouts labelled '%s' contradict the record (%s)",
                     bad, rules[i].cause, rules[i].contradiction);
    }
    /* precedence 1: a request lost on the wire (loss, cut) is 'request lost', whatever
     * else happened afterwards */
    int64_t mislabelled = db_int(db,
                                 "SELECT count(*) FROM events e JOIN annotations a ON"
                                 " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1"
                                 " AND e.kind = 'timeout' AND a.kind = 'timeout_cause'"
                                 " AND a.text != 'request lost' AND EXISTS (SELECT 1 FROM events d"
                                 " WHERE d.run_id = ?1 AND d.obj_id = e.obj_id AND d.kind = 'drop'"
                                 " AND d.detail IN ('loss', 'partition') AND d.seq < e.seq)",
                                 rec.run_id, 0);
    cr_expect_eq(mislabelled, 0, "%" PRId64 " timed-out requests dropped on the wire are not"
                 " labelled 'request lost'", mislabelled);
    db_close(db);
}

Test(scenarios, liveness_floor)
{
    const char *db_path = tmp_path("live.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded rec = record(db_path, seed, NULL);
        sqlite3 *db = db_open(db_path, false);
        int64_t all = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1", rec.run_id, 0);
        int64_t ok = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'",
                            rec.run_id, 0);
        db_close(db);
        cr_assert_gt(all, 1000, "seed %" PRIu64 ": only %" PRId64 " operations", seed, all);
        cr_assert_geq(ok * 10, all * 8, "seed %" PRIu64 ": %" PRId64 " of %" PRId64
                      " operations ok, below the 80%% floor", seed, ok, all);
    }
}

/* Parses "  12.345ms" / "1.000s " / "3.000us" at *p into ns; advances *p. */
static double parse_latency(const char **p)
{
    char *end = NULL;
    double v = strtod(*p, &end);
    cr_assert(end != *p, "no number at '%.20s'", *p);
    double scale = 0;
    if (strncmp(end, "ms", 2) == 0) scale = 1e6, end += 2;
    else if (strncmp(end, "us", 2) == 0) scale = 1e3, end += 2;
    else if (*end == 's') scale = 1e9, end += 1;
    cr_assert_gt(scale, 0, "no unit at '%.20s'", end);
    *p = end;
    return v * scale;
}

Test(scenarios, report_prints_percentiles_and_causes)
{
    const char *db_path = tmp_path("report.db");
    struct recorded rec = record(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "report", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    const char *header = strstr(r.out, "p50");
    cr_assert_not_null(header, "no percentile header in:\n%s", r.out);
    const char *heads[] = {"p50", "p90", "p99", "p99.9", "max"};
    const char *at = header;
    for (size_t i = 0; i < 5; i++) {
        const char *hit = strstr(at, heads[i]);
        cr_assert(hit && !memchr(at, '\n', (size_t)(hit - at)), "header lacks %s in order:\n%s",
                  heads[i], r.out);
        at = hit + strlen(heads[i]);
    }
    /* the row of the echo operations: f ok fail info p50 p90 p99 p99.9 max */
    const char *row = strstr(header, "\n  echo ");
    cr_assert_not_null(row, "no row for the 'echo' operations:\n%s", r.out);
    unsigned long long ok = 0, fail = 0, info = 0;
    int used = 0;
    cr_assert_eq(sscanf(row, " echo %llu %llu %llu%n", &ok, &fail, &info, &used), 3);
    const char *p = row + used;
    double q[5];
    for (int i = 0; i < 5; i++) {
        q[i] = parse_latency(&p);
        if (i) cr_assert_leq(q[i - 1], q[i], "%s above %s:\n%s", heads[i - 1], heads[i], r.out);
    }
    sqlite3 *db = db_open(db_path, false);
    int64_t max_ns = db_int(db, "SELECT max(complete_ns - invoke_ns) FROM ops WHERE run_id = ?1"
                            " AND type = 'ok' AND f = 'echo'", rec.run_id, 0);
    int64_t ok_ops = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'"
                            " AND f = 'echo'", rec.run_id, 0);
    cr_assert_eq((int64_t)ok, ok_ops, "report says %llu ok, the record %" PRId64, ok, ok_ops);
    /* printed with 3 decimals of its unit: within half a unit of the last digit */
    double tolerance = max_ns >= 1000000000 ? 5e5 : max_ns >= 1000000 ? 5e2 : 0.5;
    cr_assert(q[4] > (double)max_ns - tolerance && q[4] < (double)max_ns + tolerance,
              "report max %.0f ns, record %" PRId64 " ns", q[4], max_ns);
    /* the cause table: each cause with the record's count, and the total */
    for (size_t c = 0; c < 6; c++) {
        char line[96];
        snprintf(line, sizeof line, "  %-22s %10" PRId64 "\n", causes[c],
                 cause_count(db, rec.run_id, causes[c]));
        cr_assert_not_null(strstr(r.out, line), "expected '%s' in the report:\n%s", line, r.out);
    }
    char total[96];
    snprintf(total, sizeof total, "  %-22s %10" PRId64 "\n", "total",
             db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'timeout'",
                    rec.run_id, 0));
    cr_assert_not_null(strstr(r.out, total), "expected '%s' in the report:\n%s", total, r.out);
    db_close(db);
    spawn_result_free(&r);
}

Test(scenarios, log_of_timeouts_carries_the_cause)
{
    const char *db_path = tmp_path("log.db");
    struct recorded rec = record(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "log", db_path, "--kind", "timeout", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    sqlite3 *db = db_open(db_path, false);
    int64_t timeouts = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1"
                              " AND kind = 'timeout'", rec.run_id, 0);
    size_t lines = 0;
    for (const char *c = r.out; *c; c++) lines += *c == '\n';
    cr_assert_eq((int64_t)lines, timeouts, "%zu log lines for %" PRId64 " timeouts", lines,
                 timeouts);
    cr_assert_eq((int64_t)count_lines_with(r.out, " timeout "), timeouts);
    size_t with_cause = 0;
    for (size_t c = 0; c < 6; c++) {
        char tag[64];
        snprintf(tag, sizeof tag, "[timeout_cause] %s", causes[c]);
        size_t n = count_lines_with(r.out, tag);
        cr_assert_eq((int64_t)n, cause_count(db, rec.run_id, causes[c]),
                     "'%s' on %zu lines of the log", tag, n);
        with_cause += n;
    }
    cr_assert_eq((int64_t)with_cause, timeouts, "%zu of %" PRId64 " timeout lines carry a cause",
                 with_cause, timeouts);
    db_close(db);
    spawn_result_free(&r);
}

static void assert_prepares(sqlite3 *db, const char *sql)
{
    cr_assert(db_prepares(db, sql), "outside tools rely on: %s (%s)", sql, sqlite3_errmsg(db));
}

Test(scenarios, record_holds_the_required_content)
{
    const char *db_path = tmp_path("content.db");
    struct recorded rec = record(db_path, 1, NULL);
    sqlite3 *db = db_open(db_path, false);

    /* the fixed names */
    assert_prepares(db, "SELECT id, scenario, seed, status, event_count, event_hash FROM runs");
    assert_prepares(db, "SELECT run_id, seq, time_ns, node, kind FROM events");
    assert_prepares(db, "SELECT run_id, node, process, f, key, value, invoke_ns, complete_ns,"
                        " type, result FROM ops");
    assert_prepares(db, "SELECT scenario_text, overrides, program_version, schema_version,"
                        " hash_format, gsl_version, sqlite_version, glibc_version, host, pid,"
                        " started_at, ended_at FROM runs");
    assert_prepares(db, "SELECT run_id FROM nodes");
    assert_prepares(db, "SELECT run_id FROM links");
    assert_prepares(db, "SELECT run_id FROM faults");
    assert_prepares(db, "SELECT run_id, seq, kind, text FROM annotations");
    assert_prepares(db, "SELECT run_id, seq, text FROM violations");
    assert_prepares(db, "SELECT run_id, name, value FROM metrics");

    /* runs */
    char text[512];
    cr_assert(db_text(db, "SELECT scenario FROM runs WHERE id = ?1", rec.run_id, text,
                      sizeof text));
    cr_assert_str_eq(text, "unreliable-network");
    cr_assert_eq(db_int(db, "SELECT seed FROM runs WHERE id = ?1", rec.run_id, 0), 1);
    cr_assert(db_text(db, "SELECT status FROM runs WHERE id = ?1", rec.run_id, text,
                      sizeof text));
    cr_assert_str_eq(text, "ok");
    cr_assert_eq(db_int(db, "SELECT event_count FROM runs WHERE id = ?1", rec.run_id, 0),
                 (int64_t)rec.events);
    char hash[32];
    snprintf(hash, sizeof hash, "%016" PRIx64, rec.hash);
    cr_assert(db_text(db, "SELECT event_hash FROM runs WHERE id = ?1", rec.run_id, text,
                      sizeof text));
    cr_assert_str_eq(text, hash);
    static const char *const non_empty[] = {"program_version", "gsl_version", "sqlite_version",
                                            "glibc_version", "host", "started_at", "ended_at",
                                            "platform"};
    for (size_t i = 0; i < sizeof non_empty / sizeof non_empty[0]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT %s FROM runs WHERE id = ?1", non_empty[i]);
        cr_assert(db_text(db, sql, rec.run_id, text, sizeof text) && text[0],
                  "runs.%s is empty", non_empty[i]);
    }
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    db_text(db, "SELECT host FROM runs WHERE id = ?1", rec.run_id, text, sizeof text);
    cr_assert_str_eq(text, host, "runs.host");
    int64_t pid = db_int(db, "SELECT pid FROM runs WHERE id = ?1", rec.run_id, 0);
    cr_assert(pid > 0 && pid != (int64_t)getpid(), "runs.pid %" PRId64 " is not the writer's",
              pid);
    cr_assert_eq(db_int(db, "SELECT schema_version FROM runs WHERE id = ?1", rec.run_id, 0), 1);
    cr_assert_gt(db_int(db, "SELECT hash_format FROM runs WHERE id = ?1", rec.run_id, 0), 0);
    size_t file_bytes = 0;
    char *file = read_file(source_path(UNRELIABLE), &file_bytes);
    cr_assert_not_null(file);
    cr_assert_eq(db_int(db, "SELECT length(CAST(scenario_text AS BLOB)) = ?2 FROM runs"
                        " WHERE id = ?1", rec.run_id, (int64_t)file_bytes), 1,
                 "runs.scenario_text is not the file's %zu bytes", file_bytes);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT scenario_text FROM runs WHERE id = ?1", -1, &s,
                                    NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, rec.run_id);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    cr_assert_eq(memcmp(sqlite3_column_blob(s, 0), file, file_bytes), 0,
                 "runs.scenario_text differs from the file");
    sqlite3_finalize(s);
    text_free(file);

    /* nodes, links, faults: what was simulated */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM nodes WHERE run_id = ?1", rec.run_id, 0), 4);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM nodes WHERE run_id = ?1 AND"
                        " ((node = 0 AND name = 'server' AND model = 'echo_server') OR"
                        " (node BETWEEN 1 AND 3 AND name = 'client.' || (node - 1)"
                        " AND model = 'client'))", rec.run_id, 0), 4, "nodes: names, models");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM links WHERE run_id = ?1 AND name IN"
                        " ('default', 'client->server', 'server->client')", rec.run_id, 0), 3);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM links WHERE run_id = ?1 AND"
                        " name = 'client->server' AND loss_ppb = 10000000", rec.run_id, 0), 1,
                 "links: the 1%% loss of client->server");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM faults WHERE run_id = ?1 AND"
                        " ((name = 'cut_one' AND at_ns = 10000000000) OR"
                        " (name = 'crash' AND at_ns = 20000000000) OR"
                        " (name = 'gc' AND at_ns = 40000000000))", rec.run_id, 0), 3,
                 "faults: cut_one at 10s, crash at 20s, gc at 40s");

    /* events: dense seq 0..N-1, N = event_count, time never goes back */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1", rec.run_id, 0),
                 (int64_t)rec.events);
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT seq) FROM events WHERE run_id = ?1",
                        rec.run_id, 0), (int64_t)rec.events);
    cr_assert_eq(db_int(db, "SELECT min(seq) FROM events WHERE run_id = ?1", rec.run_id, 0), 0);
    cr_assert_eq(db_int(db, "SELECT max(seq) FROM events WHERE run_id = ?1", rec.run_id, 0),
                 (int64_t)rec.events - 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM (SELECT time_ns - lag(time_ns) OVER"
                        " (ORDER BY seq) AS step FROM events WHERE run_id = ?1) WHERE step < 0",
                        rec.run_id, 0), 0, "events.time_ns goes back in seq order");

    /* ops: invoke and completion times */
    int64_t ops = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1", rec.run_id, 0);
    cr_assert_gt(ops, 1000);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                        " (invoke_ns IS NULL OR invoke_ns < 0)", rec.run_id, 0), 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type IN ('ok',"
                        " 'fail') AND (complete_ns IS NULL OR complete_ns < invoke_ns)",
                        rec.run_id, 0), 0, "completed operations need complete_ns >= invoke_ns");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type NOT IN"
                        " ('ok', 'fail', 'info')", rec.run_id, 0), 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                        " (f IS NULL OR f = '')", rec.run_id, 0), 0);
    /* every invoke event is one ops row */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'invoke'",
                        rec.run_id, 0), ops);
    db_close(db);
}

/* An override is stored as given, one row per --set, and in runs.overrides. */
Test(scenarios, record_keeps_the_overrides)
{
    const char *db_path = tmp_path("over.db");
    struct recorded rec = record(db_path, 1, "node.client.timeout=200ms");
    sqlite3 *db = db_open(db_path, false);
    char text[256];
    cr_assert(db_text(db, "SELECT text FROM run_overrides WHERE run_id = ?1 AND position = 0",
                      rec.run_id, text, sizeof text));
    cr_assert_str_eq(text, "node.client.timeout=200ms");
    cr_assert(db_text(db, "SELECT overrides FROM runs WHERE id = ?1", rec.run_id, text,
                      sizeof text));
    cr_assert_not_null(strstr(text, "node.client.timeout=200ms"), "runs.overrides = %s", text);
    db_close(db);
}

/* The scenario's "Now change" lines. */
Test(scenarios, longer_timeout_means_fewer_queued_and_late)
{
    const char *db_path = tmp_path("change.db");
    struct recorded base = record(db_path, 1, NULL);
    struct recorded longer = record(db_path, 1, "node.client.timeout=200ms");
    sqlite3 *db = db_open(db_path, false);
    static const char *const fewer[] = {"queued", "reply late"};
    for (size_t i = 0; i < 2; i++) {
        int64_t before = cause_count(db, base.run_id, fewer[i]);
        int64_t after = cause_count(db, longer.run_id, fewer[i]);
        cr_expect_lt(after, before, "'%s': %" PRId64 " with 50ms, %" PRId64 " with 200ms",
                     fewer[i], before, after);
    }
    /* "the same number of losses": reply losses are the network's, not the timeout's */
    int64_t lost_before = cause_count(db, base.run_id, "reply lost");
    int64_t lost_after = cause_count(db, longer.run_id, "reply lost");
    cr_expect_eq(lost_before, lost_after, "'reply lost': %" PRId64 " then %" PRId64,
                 lost_before, lost_after);
    db_close(db);
}

/* "--set link.client->server.loss=0 : no 'request lost'" says the scenario file. */
/* The scenario's exercise: without loss on client->server, the only requests lost are the
 * ones the one-way cut drops. */
Test(scenarios, no_request_loss_means_only_the_cut_loses_requests)
{
    const char *db_path = tmp_path("noloss.db");
    struct recorded rec = record(db_path, 1, "link.client->server.loss=0");
    sqlite3 *db = db_open(db_path, false);
    int64_t lost = cause_count(db, rec.run_id, "request lost");
    int64_t cut_requests = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND"
                                  " kind = 'drop' AND detail = 'partition'", rec.run_id, 0);
    db_close(db);
    cr_assert_gt(cut_requests, 0, "the cut drops requests (floor for the comparison)");
    cr_assert_eq(lost, cut_requests, "every 'request lost' is a request the cut dropped: %"
                 PRId64 " against %" PRId64, lost, cut_requests);
}
