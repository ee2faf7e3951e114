/* tests/cli/test_gc_drain.c - proves what scenarios/gc-drain.ini promises: random GC
 * pauses make the tail latency of a group of echo servers, and servers that announce
 * their pauses to clients that drain them first remove it. How: `murphy run gc-drain
 * --db` in separate processes, as written (the baseline) and with
 * `--set node.server.announce_pauses=true --set node.client.honour_drain=true` (drained),
 * on the same seeds; latencies are read from the record's `ops` table (complete_ns -
 * invoke_ns of the ok operations, true time) and p99.9 is the nearest-rank percentile:
 *  - seeds 1..5: drained p99.9 is lower than the baseline's, by at least 4x (measured:
 *    about 25x, 4-5 ms against 100-135 ms); the drained run completes at least as many
 *    ok operations as the baseline less 0.1%; liveness floors: >= 20000 ok operations
 *    (4 clients x 200/s x 30 s = 24000 offered), >= 30 GC pauses, >= 30 notices heard and
 *    drain messages actually sent;
 *  - what helps is listening: servers announcing to clients that do not honour it, and
 *    draining with no notice (gc_notice=0s), leave every ok latency as in the baseline;
 *  - drain messages are validated: with 20% of server->client messages corrupted,
 *    malformed ones are rejected and noted, and the run ends ok;
 *  - determinism: both variants give the same hash in two processes, and `murphy replay`
 *    is identical. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "scenarios/gc-drain.ini"
#define ANNOUNCE "node.server.announce_pauses=true"
#define HONOUR "node.client.honour_drain=true"

TestSuite(gc_drain, .init = tmp_setup, .fini = tmp_teardown);

/* `murphy run gc-drain --seed SEED --db DB --quiet [EXTRA_ARGS...]`; asserts exit 0. */
static struct recorded run_scenario(const char *db_path, uint64_t seed,
                                    const char *const *extra_args)
{
    return record_run_argv(db_path, source_path(SCENARIO), seed, 0, extra_args);
}

/* The drained variant: servers announce their pauses, clients honour them. */
static const char *const drained_args[] = {"--set", ANNOUNCE, "--set", HONOUR, NULL};

/* The ok operations' latencies of a run, sorted. */
struct latencies {
    int64_t *ns;
    size_t count;
    int64_t sum_ns;
};

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static struct latencies read_latencies(sqlite3 *db, int64_t run_id)
{
    struct latencies l = {0};
    size_t cap = (size_t)db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'",
                                run_id, 0);
    l.ns = calloc(cap ? cap : 1, sizeof *l.ns);
    cr_assert_not_null(l.ns);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT complete_ns - invoke_ns FROM ops WHERE"
                                    " run_id = ?1 AND type = 'ok'", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    while (sqlite3_step(s) == SQLITE_ROW) {
        cr_assert_lt(l.count, cap);
        l.ns[l.count] = sqlite3_column_int64(s, 0);
        l.sum_ns += l.ns[l.count++];
    }
    sqlite3_finalize(s);
    cr_assert_eq(l.count, cap);
    qsort(l.ns, l.count, sizeof *l.ns, compare_i64);
    return l;
}

/* Nearest rank: the smallest latency with at least p of them at or below it. */
static int64_t percentile_ns(const struct latencies *l, double p)
{
    cr_assert_gt(l->count, 0);
    size_t rank = (size_t)((double)l->count * p);
    if ((double)rank < (double)l->count * p) rank++;
    return l->ns[rank ? rank - 1 : 0];
}

static int64_t count_events(sqlite3 *db, int64_t run_id, const char *kind, const char *detail)
{
    return db_int_text(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = ?2"
                       " AND detail = ?3", run_id, kind, detail);
}

Test(gc_drain, draining_lowers_p999_on_the_same_seeds)
{
    const char *db_path = tmp_path("gc.db");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct recorded base = run_scenario(db_path, seed, NULL);
        struct recorded drained = run_scenario(db_path, seed, drained_args);
        sqlite3 *db = db_open(db_path, false);
        struct latencies b = read_latencies(db, base.run_id);
        struct latencies d = read_latencies(db, drained.run_id);
        int64_t b999 = percentile_ns(&b, 0.999), d999 = percentile_ns(&d, 0.999);
        cr_log_info("seed %" PRIu64 ": p99.9 %.3f ms -> %.3f ms drained; ok %zu -> %zu", seed,
                    (double)b999 / 1e6, (double)d999 / 1e6, b.count, d.count);
        cr_expect_lt(d999, b999, "seed %" PRIu64 ": drained p99.9 %" PRId64 " ns, baseline %"
                     PRId64 " ns", seed, d999, b999);
        cr_expect_lt(4 * d999, b999, "seed %" PRIu64 ": less than 4x lower", seed);
        cr_expect_geq(b.count, 20000u, "seed %" PRIu64 ": baseline ok ops %zu", seed, b.count);
        cr_expect_geq(d.count + b.count / 1000, b.count,
                      "seed %" PRIu64 ": drained ok ops %zu, baseline %zu", seed, d.count, b.count);
        int64_t pauses = count_events(db, drained.run_id, "pause", "gc");
        int64_t heard = count_events(db, drained.run_id, "pause_notice", "heard");
        int64_t control = count_events(db, drained.run_id, "send", "control");
        cr_expect_geq(pauses, 30, "seed %" PRIu64 ": %" PRId64 " GC pauses", seed, pauses);
        cr_expect_geq(heard, 30, "seed %" PRIu64 ": %" PRId64 " notices heard", seed, heard);
        /* a "draining" to each of 4 clients per notice heard, and a "back" unless a newer
         * pause overtook it or the run ended first */
        cr_expect(control > 4 * heard && control <= 8 * heard, "seed %" PRIu64 ": %" PRId64
                  " drain messages for %" PRId64 " notices heard", seed, control, heard);
        cr_expect_eq(count_events(db, base.run_id, "send", "control"), 0,
                     "the baseline announces nothing");
        free(b.ns);
        free(d.ns);
        db_close(db);
    }
}

/* Announcing alone, or draining with no notice to act on, changes no ok latency at all:
 * requests draw the same delays whatever else is sent (common random numbers). */
Test(gc_drain, only_listening_clients_with_notice_help)
{
    const char *db_path = tmp_path("listen.db");
    const char *const deaf_args[] = {"--set", ANNOUNCE, NULL};
    const char *const no_notice_args[] = {"--set", ANNOUNCE, "--set", HONOUR, "--set",
                                          "node.server.gc_notice=0s", NULL};
    struct recorded base = run_scenario(db_path, 1, NULL);
    struct recorded deaf = run_scenario(db_path, 1, deaf_args);
    struct recorded no_notice = run_scenario(db_path, 1, no_notice_args);
    sqlite3 *db = db_open(db_path, false);
    struct latencies b = read_latencies(db, base.run_id);
    const struct recorded *variants[2] = {&deaf, &no_notice};
    for (int i = 0; i < 2; i++) {
        struct latencies v = read_latencies(db, variants[i]->run_id);
        cr_expect_eq(v.count, b.count, "variant %d: %zu ok ops, baseline %zu", i, v.count,
                     b.count);
        cr_expect_eq(v.sum_ns, b.sum_ns, "variant %d: latencies differ from the baseline's", i);
        cr_expect_eq(percentile_ns(&v, 0.999), percentile_ns(&b, 0.999));
        free(v.ns);
    }
    cr_expect_gt(count_events(db, deaf.run_id, "send", "control"), 0, "announced");
    cr_expect_eq(count_events(db, no_notice.run_id, "send", "control"), 0, "nothing to announce");
    free(b.ns);
    db_close(db);
}

Test(gc_drain, corrupted_drain_messages_are_rejected)
{
    const char *db_path = tmp_path("corrupt.db");
    const char *const corrupt_args[] = {"--set", ANNOUNCE, "--set", HONOUR, "--set",
                                        "link.server->client.corrupt=20%", NULL};
    struct recorded rec = run_scenario(db_path, 1, corrupt_args);
    sqlite3 *db = db_open(db_path, false);
    int64_t rejected = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                              " AND kind = 'note' AND text = 'rejected a malformed drain message'",
                              rec.run_id, 0);
    int64_t corrupted = db_int(db, "SELECT count(*) FROM events c JOIN events s"
                               " ON s.run_id = c.run_id AND s.obj_id = c.obj_id"
                               " AND s.kind = 'send' AND s.detail = 'control'"
                               " WHERE c.run_id = ?1 AND c.kind = 'corrupt'", rec.run_id, 0);
    cr_expect_gt(corrupted, 10, "%" PRId64 " drain messages corrupted", corrupted);
    /* every corrupted drain message that arrived was rejected: none obeyed */
    int64_t arrived = db_int(db, "SELECT count(DISTINCT c.obj_id) FROM events c JOIN events s"
                             " ON s.run_id = c.run_id AND s.obj_id = c.obj_id"
                             " AND s.kind = 'send' AND s.detail = 'control'"
                             " JOIN events d ON d.run_id = c.run_id AND d.obj_id = c.obj_id"
                             " AND d.kind = 'deliver'"
                             " WHERE c.run_id = ?1 AND c.kind = 'corrupt'", rec.run_id, 0);
    cr_expect_eq(rejected, arrived, "%" PRId64 " rejected, %" PRId64 " corrupted arrived",
                 rejected, arrived);
    cr_expect_geq(db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'",
                         rec.run_id, 0), 20000);
    db_close(db);
}

Test(gc_drain, same_hash_in_two_processes_and_replay_is_identical)
{
    const char *db_path = tmp_path("det.db");
    for (int drained = 0; drained <= 1; drained++) {
        const char *const *args = drained ? drained_args : NULL;
        struct recorded first = run_scenario(db_path, 1, args);
        struct recorded second = run_scenario(db_path, 1, args);
        cr_assert_eq(first.hash, second.hash, "drained=%d: %016" PRIx64 " then %016" PRIx64,
                     drained, first.hash, second.hash);
        assert_replay_identical(db_path, &first);
    }
}
