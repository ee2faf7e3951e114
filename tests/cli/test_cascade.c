/* tests/cli/test_cascade.c - proves what scenarios/cascading-failover.ini claims: with a
 * short failure-detector timeout, one GC pause gets a healthy server declared dead, its
 * load moves to the others, they slow down and are declared dead in turn; with a long one,
 * none is. Measured on seed 1 (and the chain on seeds 2 and 3 too):
 *  - timeout 1s and 1500ms: all 4 servers declared dead while up (suspect_truth "up"; 3
 *    besides the paused one), each server's first suspicion later than the one before
 *    (server.0 at ~20.8 s, then 1, 2, 3 within ~5 s);
 *  - timeout 2s and 3s: 0 servers declared dead, and (liveness floor) over 20,000
 *    replies delivered to the clients (measured 21,692);
 *  - no node ever crashes (detector.crashes 0): every suspicion is of a live server;
 *  - the scenario is deterministic across processes and replays identically.
 * How: real runs of the murphy binary, read back with SQLite. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>

#include "spawn.h"

#define CASCADE "scenarios/cascading-failover.ini"
#define SERVERS 4

TestSuite(cascade, .init = tmp_setup, .fini = tmp_teardown, .timeout = 120);

/* Healthy servers declared dead: distinct peers of SUSPECT events the oracle annotated
 * "up" (the node was neither crashed nor paused). */
static const char *const declared_dead_sql =
    "SELECT count(DISTINCT e.peer) FROM events e JOIN annotations a ON a.run_id = e.run_id"
    " AND a.seq = e.seq WHERE e.run_id = ?1 AND e.kind = 'suspect'"
    " AND a.kind = 'suspect_truth' AND a.text = ?2";

struct cascade_run {
    int64_t declared_dead; /* healthy servers suspected by some client */
    int64_t replies;       /* replies delivered to clients */
    int64_t first_suspect_ns[SERVERS]; /* -1: never */
};

static struct cascade_run run_cascade(const char *timeout, uint64_t seed)
{
    char db_path[4096]; /* tmp_path's buffer is reused by source_path */
    snprintf(db_path, sizeof db_path, "%s", tmp_path("cascade.db"));
    char set[64];
    snprintf(set, sizeof set, "node.client.timeout=%s", timeout);
    const char *const args[] = {"--set", set, NULL};
    struct recorded rec = record_run_argv(db_path, source_path(CASCADE), seed, 0, args);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_metric_count(db, rec.run_id, "detector.crashes"), 0);
    struct cascade_run out = {0};
    out.declared_dead = db_int_text(db, declared_dead_sql, rec.run_id, "up", NULL);
    out.replies = db_int_text(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND"
                              " kind = 'deliver' AND detail = ?2", rec.run_id, "reply", NULL);
    for (int s = 0; s < SERVERS; s++) /* the servers are nodes 0..3: the first group */
        out.first_suspect_ns[s] = db_int(db, "SELECT coalesce(min(time_ns), -1) FROM events"
                                         " WHERE run_id = ?1 AND kind = 'suspect' AND"
                                         " peer = ?2", rec.run_id, s);
    db_close(db);
    cr_log_info("timeout %s seed %" PRIu64 ": %" PRId64 " healthy servers declared dead, %"
                PRId64 " replies", timeout, seed, out.declared_dead, out.replies);
    return out;
}

Test(cascade, short_timeouts_declare_healthy_servers_dead_in_a_chain)
{
    const char *const short_timeouts[] = {"1s", "1500ms"};
    for (int t = 0; t < 2; t++) {
        for (uint64_t seed = 1; seed <= (t == 0 ? 3u : 1u); seed++) {
            struct cascade_run r = run_cascade(short_timeouts[t], seed);
            cr_assert_geq(r.declared_dead, 3, "timeout %s seed %" PRIu64 ": %" PRId64,
                          short_timeouts[t], seed, r.declared_dead);
            /* a chain: the paused server first, then the others one after another */
            for (int s = 0; s < SERVERS; s++)
                cr_assert_geq(r.first_suspect_ns[s], 0, "server.%d never declared dead", s);
            for (int s = 1; s < SERVERS; s++)
                cr_assert_gt(r.first_suspect_ns[s], r.first_suspect_ns[0],
                             "server.%d declared dead before the paused one", s);
            cr_assert_gt(r.replies, 0, "some requests were served");
        }
    }
}

Test(cascade, long_timeouts_declare_none)
{
    const char *const long_timeouts[] = {"2s", "3s"};
    for (int t = 0; t < 2; t++) {
        struct cascade_run r = run_cascade(long_timeouts[t], 1);
        cr_assert_eq(r.declared_dead, 0, "timeout %s: %" PRId64, long_timeouts[t],
                     r.declared_dead);
        cr_assert_gt(r.replies, 20000, "timeout %s: only %" PRId64 " replies", long_timeouts[t],
                     r.replies);
    }
}

Test(cascade, is_deterministic_and_replays)
{
    for (uint64_t seed = 1; seed <= 2; seed++) {
        uint64_t first = run_hash(source_path(CASCADE), seed, NULL);
        cr_assert_eq(first, run_hash(source_path(CASCADE), seed, NULL), "seed %" PRIu64, seed);
    }
    char db_path[4096];
    snprintf(db_path, sizeof db_path, "%s", tmp_path("replay.db"));
    struct recorded rec = record_run(db_path, source_path(CASCADE), 1, NULL, NULL);
    assert_replay_identical(db_path, &rec);
}
