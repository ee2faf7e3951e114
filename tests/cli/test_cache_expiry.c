/* tests/cli/test_cache_expiry.c - proves what the cache-expiry-skew scenario promises, and
 * the reading side it needs: `murphy log --order true|wall` and the report's causal
 * inversions, oracle metrics, clocks, pauses and violation list. How: `murphy run` in
 * separate processes, then the record is read with the SQLite C API and `log`/`report`
 * are run on it:
 *  - with the writers' clocks at +-300 ms the cache serves stale entries and drops fresh
 *    ones (both > 0 for seeds 1..3) and the run ends `violated` (exit 1); with the offsets
 *    --set to 0 there are none and it exits 0; either way readers get hits (a liveness
 *    floor), and the oracle's counts equal a count made here from the claims in the record;
 *  - every violation names a put claim by its seq;
 *  - `log --order true` never prints a delivery before its send nor a reply before its
 *    request; `--order wall` does, exactly as many as the report counts, which equals a
 *    count made here with SQL;
 *  - the report's metric, clock and pause rows equal the record's;
 *  - two processes give the same hash, and `murphy replay` is identical;
 *  - the header's "Now change" claims hold (a larger offset, an offset beyond the ttl, a
 *    sync that ends the stale reads);
 *  - corrupted messages are rejected by both models (one note per corrupt event) and
 *    never trusted;
 *  - `log --order foo` is bad usage (exit 2) with a message naming --order. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define CACHE "scenarios/cache-expiry-skew.ini"
#define NO_SKEW_AHEAD "node.writer_ahead.clock_offset=0s"
#define NO_SKEW_BEHIND "node.writer_behind.clock_offset=0s"
#define HITS_FLOOR 1000 /* readers get about 2000 hits in 30 s; a dead cache gets none */

TestSuite(cache_expiry, .init = tmp_setup, .fini = tmp_teardown);

/* `murphy run cache-expiry-skew --seed SEED --db DB --quiet [EXTRA_ARGS...]`; asserts it
 * exited 0 or 1 (violated): the tests read the verdict. */
static struct recorded run_cache(const char *db_path, uint64_t seed,
                                 const char *const *extra_args)
{
    return record_run_argv(db_path, source_path(CACHE), seed, RUN_EXIT_OK_OR_VIOLATED,
                           extra_args);
}

/* The claims of a run as (seq, time, name, a, b), for counting from the record. */
#define CLAIMS                                                                              \
    "WITH c AS (SELECT e.seq, e.time_ns AS t, a.text AS name, e.obj_id AS a, e.ref_id AS b" \
    " FROM events e JOIN annotations a ON a.run_id = e.run_id AND a.seq = e.seq"           \
    " AND a.kind = 'claim' WHERE e.run_id = ?1 AND e.kind = 'claim'),"                     \
    " puts AS (SELECT seq, t, a >> 32 AS key, a & 4294967295 AS version, b AS ttl FROM c"  \
    " WHERE name = 'cache.put') "

/* Hits at or after the true expiry of their put (stale) and expiries before it (early),
 * counted here from the claims, independently of the oracle. */
static int64_t count_judged(sqlite3 *db, int64_t run_id, const char *claim, const char *cmp)
{
    char sql[1024];
    snprintf(sql, sizeof sql, CLAIMS "SELECT count(*) FROM c JOIN puts p ON p.key = c.a AND"
             " p.version = c.b WHERE c.name = '%s' AND c.t %s p.t + p.ttl", claim, cmp);
    return db_int(db, sql, run_id, 0);
}

static void index_record(const char *db_path)
{
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "CREATE INDEX IF NOT EXISTS t_ann ON annotations(run_id, seq)", 0, 0);
    db_exec(db, "CREATE INDEX IF NOT EXISTS t_kind ON events(run_id, kind, obj_id)", 0, 0);
    db_close(db);
}

Test(cache_expiry, skew_gives_stale_reads_and_early_drops)
{
    const char *db_path = tmp_path("skew.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = run_cache(db_path, seed, NULL);
        cr_assert_eq(run.exit_code, 1, "seed %" PRIu64 ": skew must end the run violated", seed);
        index_record(db_path);
        sqlite3 *db = db_open(db_path, false);
        int64_t stale = db_metric_count(db, run.run_id, "cache.stale_reads");
        int64_t early = db_metric_count(db, run.run_id, "cache.early_drops");
        int64_t hits = db_metric_count(db, run.run_id, "cache.hits");
        cr_assert_gt(stale, 0, "seed %" PRIu64 ": no stale read with writer_ahead +300ms", seed);
        cr_assert_gt(early, 0, "seed %" PRIu64 ": no early drop with writer_behind -300ms", seed);
        cr_assert_gt(hits, HITS_FLOOR, "seed %" PRIu64 ": only %" PRId64 " hits", seed, hits);
        cr_assert_eq(db_metric_count(db, run.run_id, "cache.unjudged"), 0);
        cr_assert_eq(count_judged(db, run.run_id, "cache.hit", ">="), stale,
                     "seed %" PRIu64 ": the record's stale hits differ from the oracle's %" PRId64,
                     seed, stale);
        cr_assert_eq(count_judged(db, run.run_id, "cache.expired", "<"), early,
                     "seed %" PRIu64 ": the record's early expiries differ from the oracle's %"
                     PRId64, seed, early);
        cr_assert_eq(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                            " AND source = 'oracle:cache'", run.run_id, 0), stale + early);
        /* each violation names the seq of a put claim */
        int64_t unnamed = db_int(db, "SELECT count(*) FROM violations v WHERE v.run_id = ?1"
                                 " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE"
                                 " a.run_id = ?1 AND a.kind = 'claim' AND a.text = 'cache.put'"
                                 " AND instr(v.text, 'put at seq ') > 0 AND a.seq = CAST(substr("
                                 "v.text, instr(v.text, 'put at seq ') + 11) AS INTEGER))",
                                 run.run_id, 0);
        cr_assert_eq(unnamed, 0, "seed %" PRIu64 ": %" PRId64 " violations name no put", seed,
                     unnamed);
        db_close(db);
    }
}

Test(cache_expiry, no_skew_no_stale_reads_no_early_drops)
{
    const char *db_path = tmp_path("flat.db");
    const char *const args[] = {"--set", NO_SKEW_AHEAD, "--set", NO_SKEW_BEHIND, NULL};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = run_cache(db_path, seed, args);
        cr_assert_eq(run.exit_code, 0, "seed %" PRIu64 ": no skew, yet violated", seed);
        sqlite3 *db = db_open(db_path, false);
        cr_assert_eq(db_metric_count(db, run.run_id, "cache.stale_reads"), 0, "seed %" PRIu64,
                     seed);
        cr_assert_eq(db_metric_count(db, run.run_id, "cache.early_drops"), 0, "seed %" PRIu64,
                     seed);
        int64_t hits = db_metric_count(db, run.run_id, "cache.hits");
        int64_t expiries = db_metric_count(db, run.run_id, "cache.expiries");
        cr_assert_gt(hits, HITS_FLOOR, "seed %" PRIu64 ": only %" PRId64 " hits", seed, hits);
        /* expiry still happens, only on time: the safety claim is not vacuous */
        cr_assert_gt(expiries, 20, "seed %" PRIu64 ": only %" PRId64 " expiries", seed, expiries);
        db_close(db);
    }
}

/* The header's "Now change" claims, on seed 1. */
Test(cache_expiry, now_change_claims_hold)
{
    const char *db_path = tmp_path("change.db");
    struct recorded base = run_cache(db_path, 1, NULL);
    const char *const ahead_1s[] = {"--set", "node.writer_ahead.clock_offset=1s", NULL};
    struct recorded more = run_cache(db_path, 1, ahead_1s);
    const char *const behind_2s[] = {"--set", "node.writer_behind.clock_offset=-2s", NULL};
    struct recorded dead = run_cache(db_path, 1, behind_2s);
    const char *const synced[] = {"--set", "node.writer_ahead.clock_sync=step", "--set",
                                  "node.writer_ahead.clock_sync_every=5s", NULL};
    struct recorded sync = run_cache(db_path, 1, synced);
    sqlite3 *db = db_open(db_path, false);
    int64_t stale = db_metric_count(db, base.run_id, "cache.stale_reads");
    int64_t stale_1s = db_metric_count(db, more.run_id, "cache.stale_reads");
    cr_assert_gt(stale_1s, 2 * stale, "offset 1s: %" PRId64 " stale reads, 300ms: %" PRId64,
                 stale_1s, stale);
    /* -2s is beyond the 1s ttl: writer_behind's entries (keys 4..7) are never served */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'get'"
                        " AND CAST(key AS INTEGER) >= 4 AND result LIKE 'hit%'", dead.run_id, 0),
                 0);
    cr_assert_gt(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'get'"
                        " AND CAST(key AS INTEGER) >= 4 AND result LIKE 'expired%'", dead.run_id,
                        0), 20, "writer_behind's entries must still reach the cache");
    /* synced every 5s (the first sync at 5s): no stale read after the first second past
     * it, while the unsynced run has them all along */
    int64_t late_stale = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                                " AND text LIKE 'stale read%' AND time_ns > 7000000000",
                                sync.run_id, 0);
    cr_assert_eq(late_stale, 0, "%" PRId64 " stale reads after the sync", late_stale);
    cr_assert_gt(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                        " AND text LIKE 'stale read%' AND time_ns > 7000000000", base.run_id, 0),
                 100);
    db_close(db);
}

/* Corrupted messages (one flipped bit each) are caught by the CRC and rejected by both
 * models, never trusted: with no skew there is still no stale read or early drop, and
 * every operation whose request or reply was corrupted ends `info` (timed out). */
Test(cache_expiry, corrupted_messages_are_rejected_never_trusted)
{
    const char *db_path = tmp_path("corrupt.db");
    const char *const args[] = {"--set", NO_SKEW_AHEAD, "--set", NO_SKEW_BEHIND, "--set",
                                "link.default.corrupt=2%", NULL};
    struct recorded run = run_cache(db_path, 1, args);
    cr_assert_eq(run.exit_code, 0);
    sqlite3 *db = db_open(db_path, false);
    int64_t corrupted = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1"
                               " AND kind = 'corrupt'", run.run_id, 0);
    int64_t rejected = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                              " AND kind = 'note' AND text LIKE '%rejected a malformed%'",
                              run.run_id, 0);
    cr_assert_gt(corrupted, 50);
    cr_assert_eq(rejected, corrupted, "%" PRId64 " corrupted, %" PRId64 " rejected", corrupted,
                 rejected);
    cr_assert_eq(db_metric_count(db, run.run_id, "cache.stale_reads"), 0);
    cr_assert_eq(db_metric_count(db, run.run_id, "cache.early_drops"), 0);
    cr_assert_gt(db_metric_count(db, run.run_id, "cache.hits"), HITS_FLOOR);
    int64_t info = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'info'",
                          run.run_id, 0);
    cr_assert_eq(info, corrupted, "%" PRId64 " operations timed out, %" PRId64 " corrupted",
                 info, corrupted);
    db_close(db);
}

/* Events printed by `log`, as the test reads them back: for each message, whether its
 * send line has been printed yet; replies already seen before their request's send. */
struct printed_order {
    bool *is_sent;      /* by message id */
    bool *is_inverted;  /* replies, by message id */
    size_t id_count;
    int64_t early_deliveries;
    int64_t early_replies;
};

/* "-> peer msg N ..." or "<- peer msg N ... to msg R": the ids after the arrow. */
static bool parse_msg(const char *what, uint64_t *msg, uint64_t *reply_to)
{
    const char *m = strstr(what, " msg ");
    if (!m || sscanf(m, " msg %" SCNu64, msg) != 1) return false;
    const char *to = strstr(m + 5, " to msg ");
    *reply_to = 0;
    if (to) cr_assert_eq(sscanf(to, " to msg %" SCNu64, reply_to), 1);
    return true;
}

static void mark_reply_line(struct printed_order *o, uint64_t msg, uint64_t reply_to)
{
    if (!reply_to) return;
    cr_assert_lt(reply_to, o->id_count);
    if (!o->is_sent[reply_to] && !o->is_inverted[msg]) {
        o->is_inverted[msg] = true;
        o->early_replies++;
    }
}

/* Walks the log's lines in printed order and counts deliveries printed before their
 * send, and replies with a line (send or delivery) printed before their request's send. */
static void count_printed_inversions(const char *log, struct printed_order *o)
{
    size_t lines = 0;
    for (const char *line = log; *line;) {
        const char *end = strchr(line, '\n');
        cr_assert_not_null(end);
        char buf[1024];
        size_t n = (size_t)(end - line) < sizeof buf - 1 ? (size_t)(end - line) : sizeof buf - 1;
        memcpy(buf, line, n);
        buf[n] = '\0';
        line = end + 1;
        lines++;
        const char *send = strstr(buf, " send ");
        const char *deliver = strstr(buf, " deliver ");
        uint64_t msg, reply_to;
        if (send && parse_msg(send, &msg, &reply_to)) {
            cr_assert_lt(msg, o->id_count);
            o->is_sent[msg] = true;
            mark_reply_line(o, msg, reply_to);
        } else if (deliver && parse_msg(deliver, &msg, &reply_to)) {
            cr_assert_lt(msg, o->id_count);
            if (!o->is_sent[msg]) o->early_deliveries++;
            mark_reply_line(o, msg, reply_to);
        }
    }
    cr_assert_gt(lines, 1000u);
}

static struct printed_order log_order(const char *db_path, const char *order, size_t id_count)
{
    struct spawn_result r;
    murphy(&r, "log", db_path, "--order", order, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    struct printed_order o = {.is_sent = calloc(id_count, sizeof(bool)),
                              .is_inverted = calloc(id_count, sizeof(bool)),
                              .id_count = id_count};
    cr_assert(o.is_sent && o.is_inverted);
    count_printed_inversions(r.out, &o);
    spawn_result_free(&r);
    free(o.is_sent);
    free(o.is_inverted);
    o.is_sent = o.is_inverted = NULL;
    return o;
}

/* The report's "causal inversions by wall clock: N deliveries ..., M replies ..." line. */
static void report_inversions(const char *db_path, int64_t *deliveries, int64_t *replies)
{
    struct spawn_result r;
    murphy(&r, "report", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    const char *line = strstr(r.out, "causal inversions by wall clock: ");
    cr_assert_not_null(line, "no inversion line in:\n%s", r.out);
    cr_assert_eq(sscanf(line, "causal inversions by wall clock: %" SCNd64 " deliveries stamped"
                        " before their send, %" SCNd64 " replies before their request",
                        deliveries, replies), 2, "%.200s", line);
    spawn_result_free(&r);
}

/* The same two counts, computed here with SQL written differently from the report's:
 * plain joins over indexed events, and replies as a distinct union of the two ways a
 * reply can precede its request (deliver.ref_id is the request's id). */
static void sql_inversions(const char *db_path, int64_t run_id, int64_t *deliveries,
                           int64_t *replies)
{
    index_record(db_path);
    sqlite3 *db = db_open(db_path, false);
    *deliveries = db_int(db, "SELECT count(*) FROM events d JOIN events s ON s.run_id = ?1"
                         " AND s.kind = 'send' AND s.obj_id = d.obj_id WHERE d.run_id = ?1"
                         " AND d.kind = 'deliver' AND d.wall_ns < s.wall_ns", run_id, 0);
    *replies = db_int(db, "SELECT count(DISTINCT reply) FROM (SELECT rep.obj_id AS reply FROM"
                      " events rep JOIN events req ON req.run_id = ?1 AND req.kind = 'send'"
                      " AND req.obj_id = rep.ref_id WHERE rep.run_id = ?1 AND rep.kind = 'send'"
                      " AND rep.ref_id <> 0 AND rep.wall_ns < req.wall_ns UNION ALL SELECT"
                      " d.obj_id FROM events d JOIN events req ON req.run_id = ?1"
                      " AND req.kind = 'send' AND req.obj_id = d.ref_id WHERE d.run_id = ?1"
                      " AND d.kind = 'deliver' AND d.ref_id <> 0 AND d.wall_ns < req.wall_ns)",
                      run_id, 0);
    db_close(db);
}

static size_t message_ids(const char *db_path, int64_t run_id)
{
    sqlite3 *db = db_open(db_path, false);
    int64_t max_id = db_int(db, "SELECT max(obj_id) FROM events WHERE run_id = ?1"
                            " AND kind = 'send'", run_id, 0);
    db_close(db);
    cr_assert_gt(max_id, 0);
    return (size_t)max_id + 1;
}

Test(cache_expiry, wall_order_shows_inversions_true_order_none)
{
    const char *db_path = tmp_path("order.db");
    struct recorded run = run_cache(db_path, 1, NULL);
    size_t ids = message_ids(db_path, run.run_id);
    struct printed_order by_true = log_order(db_path, "true", ids);
    struct printed_order by_wall = log_order(db_path, "wall", ids);
    cr_assert_eq(by_true.early_deliveries, 0, "--order true printed %" PRId64 " deliveries"
                 " before their send", by_true.early_deliveries);
    cr_assert_eq(by_true.early_replies, 0, "--order true printed %" PRId64 " replies before"
                 " their request", by_true.early_replies);
    int64_t rep_deliveries, rep_replies, sql_deliveries, sql_replies;
    report_inversions(db_path, &rep_deliveries, &rep_replies);
    sql_inversions(db_path, run.run_id, &sql_deliveries, &sql_replies);
    /* every put of writer_ahead (+300 ms) lands "before" it was sent, and so does every
     * answer to writer_behind (-300 ms): about 100 in 30 s */
    cr_assert_gt(by_wall.early_deliveries, 50, "--order wall printed only %" PRId64,
                 by_wall.early_deliveries);
    cr_assert_gt(by_wall.early_replies, 25, "--order wall printed only %" PRId64,
                 by_wall.early_replies);
    cr_assert_eq(rep_deliveries, sql_deliveries, "report %" PRId64 ", SQL %" PRId64,
                 rep_deliveries, sql_deliveries);
    cr_assert_eq(rep_replies, sql_replies, "report %" PRId64 ", SQL %" PRId64, rep_replies,
                 sql_replies);
    cr_assert_eq(by_wall.early_deliveries, sql_deliveries, "printed %" PRId64 ", SQL %" PRId64,
                 by_wall.early_deliveries, sql_deliveries);
    cr_assert_eq(by_wall.early_replies, sql_replies, "printed %" PRId64 ", SQL %" PRId64,
                 by_wall.early_replies, sql_replies);
}

Test(cache_expiry, no_skew_no_inversions)
{
    const char *db_path = tmp_path("flat-order.db");
    const char *const args[] = {"--set", NO_SKEW_AHEAD, "--set", NO_SKEW_BEHIND, NULL};
    struct recorded run = run_cache(db_path, 1, args);
    int64_t deliveries, replies;
    report_inversions(db_path, &deliveries, &replies);
    cr_assert_eq(deliveries, 0);
    cr_assert_eq(replies, 0);
    struct printed_order by_wall = log_order(db_path, "wall", message_ids(db_path, run.run_id));
    cr_assert_eq(by_wall.early_deliveries, 0);
    cr_assert_eq(by_wall.early_replies, 0);
}

/* The wall order is the record's wall readings, ascending, ties by seq; an event without
 * a node (here the faults of a partition between groups) prints "(no clock)" right after
 * the last event before it in execution order that has a node. */
Test(cache_expiry, wall_order_sorts_by_wall_reading)
{
    const char *db_path = tmp_path("sorted.db");
    const char *const args[] = {"--set", "faults.cut=at 5s partition reader / cache for 100ms",
                                NULL};
    struct recorded run = run_cache(db_path, 2, args);
    struct spawn_result r;
    murphy(&r, "log", db_path, "--order", "wall", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    sqlite3 *db = db_open(db_path, false);
    unsigned long long prev_s = 0, prev_ns = 0, prev_seq = 0;
    size_t lines = 0, clockless = 0;
    for (const char *next = r.out; *next; lines++) {
        /* one line at a time: glibc's sscanf measures its whole input string first */
        const char *end = strchr(next, '\n');
        cr_assert_not_null(end);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(end - next < 511 ? end - next : 511), next);
        next = end + 1;
        unsigned long long s = prev_s, ns = prev_ns, seq;
        char t[40];
        if (strncmp(line, "           (no clock) ", 22) == 0) {
            cr_assert_eq(sscanf(line + 22, " %39s #%llu", t, &seq), 2, "%.80s", line);
            int64_t before = db_int(db, "SELECT max(seq) FROM events WHERE run_id = ?1"
                                    " AND seq < ?2 AND node IS NOT NULL", run.run_id,
                                    (int64_t)seq);
            int64_t between = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1"
                                     " AND seq > (SELECT max(seq) FROM events WHERE run_id = ?1"
                                     " AND seq < ?2 AND node IS NOT NULL) AND seq < ?2",
                                     run.run_id, (int64_t)seq);
            cr_assert(prev_seq == (unsigned long long)before || between > 0,
                      "line %zu: seq %llu follows seq %llu, not seq %" PRId64, lines, seq,
                      prev_seq, before);
            clockless++;
        } else {
            cr_assert_eq(sscanf(line, " %llu.%llus %39s #%llu", &s, &ns, t, &seq), 4,
                         "line %zu: %.80s", lines, line);
        }
        bool is_after = s > prev_s || (s == prev_s && (ns > prev_ns || (ns == prev_ns &&
                                                                        seq > prev_seq)));
        cr_assert(lines == 0 || is_after, "line %zu is out of wall order: %.80s", lines, line);
        prev_s = s, prev_ns = ns, prev_seq = seq;
    }
    cr_assert_eq((int64_t)clockless, db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1"
                                            " AND node IS NULL", run.run_id, 0));
    cr_assert_geq(clockless, 2u, "the partition and its heal have no node");
    cr_assert_eq((int64_t)lines, db_int(db, "SELECT event_count FROM runs WHERE id = ?1",
                                        run.run_id, 0));
    db_close(db);
    spawn_result_free(&r);
}

Test(cache_expiry, bad_order_is_bad_usage)
{
    const char *db_path = tmp_path("usage.db");
    run_cache(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "log", db_path, "--order", "foo", NULL);
    cr_assert(r.has_exited && r.exit_code == 2, "%s: exit %d", r.cmd, r.exit_code);
    cr_assert_not_null(strstr(r.err, "--order"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "'foo'"), "%s", r.err);
    cr_assert_eq(r.out_bytes, 0u, "printed a log anyway:\n%.200s", r.out);
    spawn_result_free(&r);
    murphy(&r, "log", "--help", NULL);
    cr_assert(r.has_exited && r.exit_code == 0);
    static const char *const kinds[] = {"clock_step", "clock_rate", "clock_sync",
                                        "clock_sample", "claim", "pause_notice", "--order"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        cr_assert_not_null(strstr(r.out, kinds[i]), "log --help lacks %s", kinds[i]);
    spawn_result_free(&r);
}

/* The report's rows of metrics, clocks and pauses equal the record's. The run syncs one
 * writer's clock (steps), drifts the other's, and gives the cache random GC pauses. */
Test(cache_expiry, report_sections_agree_with_the_record)
{
    const char *db_path = tmp_path("sections.db");
    const char *const args[] = {
        "--set", "node.writer_ahead.clock_sync=step",
        "--set", "node.writer_ahead.clock_sync_every=5s",
        "--set", "node.writer_ahead.clock_sync_error=1ms",
        "--set", "node.writer_behind.clock_drift=200ppm",
        "--set", "node.cache.gc_every=exponential 3s",
        "--set", "node.cache.gc_pause=constant 20ms", NULL};
    struct recorded run = run_cache(db_path, 1, args);
    struct spawn_result r;
    murphy(&r, "report", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    sqlite3 *db = db_open(db_path, false);
    static const char *const names[] = {"cache.puts", "cache.hits", "cache.expiries",
                                        "cache.stale_reads", "cache.early_drops"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "  %-28s %14" PRId64 " count\n", names[i],
                 db_metric_count(db, run.run_id, names[i]));
        cr_assert_not_null(strstr(r.out, line), "expected '%s' in:\n%s", line, r.out);
    }
    /* clocks: writer_ahead stepped by its syncs; writer_behind drifted from -300 ms */
    int64_t steps = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = 1"
                           " AND kind = 'clock_step'", run.run_id, 0);
    int64_t syncs = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = 1"
                           " AND kind = 'clock_sync'", run.run_id, 0);
    cr_assert_gt(syncs, 3);
    const char *row = strstr(r.out, "\n  writer_ahead ");
    cr_assert_not_null(row, "no clock row for writer_ahead:\n%s", r.out);
    unsigned long long samples, row_steps, row_syncs, row_rates;
    char lo[40], hi[40], last[40];
    cr_assert_eq(sscanf(row, " writer_ahead %llu %39s %39s %39s %llu %llu %llu", &samples, lo, hi,
                        last, &row_steps, &row_syncs, &row_rates), 7, "%.120s", row);
    cr_assert_eq((int64_t)samples, 30);
    cr_assert_str_eq(hi, "+0.300000000s", "writer_ahead starts 300 ms ahead");
    cr_assert_eq((int64_t)row_steps, steps);
    cr_assert_eq((int64_t)row_syncs, syncs);
    row = strstr(r.out, "\n  writer_behind ");
    cr_assert_not_null(row);
    cr_assert_eq(sscanf(row, " writer_behind %llu %39s %39s %39s", &samples, lo, hi, last), 4);
    /* 200 ppm over the 30th sample's 30 s: 6 ms closer to the reference */
    cr_assert_str_eq(last, "-0.294000000s", "%.120s", row);
    /* pauses: the cache's random GC pauses, 20 ms each */
    int64_t gcs = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = 0"
                         " AND kind = 'pause' AND detail = 'gc'", run.run_id, 0);
    cr_assert_gt(gcs, 3);
    const char *pauses = strstr(r.out, "pauses (planned lengths)");
    cr_assert_not_null(pauses, "%s", r.out);
    row = strstr(pauses, "\n  cache ");
    cr_assert_not_null(row);
    unsigned long long gc_count;
    char gc_time[40];
    cr_assert_eq(sscanf(row, " cache %llu %39s", &gc_count, gc_time), 2);
    cr_assert_eq((int64_t)gc_count, gcs);
    char expected[40];
    snprintf(expected, sizeof expected, "%" PRId64 ".%09" PRId64 "s", gcs * 20 / 1000,
             (gcs * 20 % 1000) * 1000000);
    cr_assert_str_eq(gc_time, expected);
    /* violations: ten listed, then how many more */
    int64_t violations = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1",
                                run.run_id, 0);
    cr_assert_gt(violations, 10);
    cr_assert_eq(count_lines_with(r.out, " oracle:cache "), 10u);
    char more[96];
    snprintf(more, sizeof more, "(and %" PRId64 " more in the record's violations table)",
             violations - 10);
    cr_assert_not_null(strstr(r.out, more), "expected '%s' in:\n%s", more, r.out);
    db_close(db);
    spawn_result_free(&r);
}

Test(cache_expiry, same_hash_in_separate_processes_and_replay_identical)
{
    const char *db_path = tmp_path("det.db");
    for (uint64_t seed = 1; seed <= 2; seed++) {
        struct recorded first = run_cache(db_path, seed, NULL);
        struct recorded second = run_cache(db_path, seed, NULL);
        cr_assert_eq(first.hash, second.hash, "seed %" PRIu64 ": %016" PRIx64 " then %016" PRIx64,
                     seed, first.hash, second.hash);
        assert_replay_identical(db_path, &first);
    }
    struct recorded other = run_cache(db_path, 3, NULL);
    struct recorded first = run_cache(db_path, 1, NULL);
    cr_assert_neq(other.hash, first.hash, "seeds 1 and 3 give the same hash");
}
