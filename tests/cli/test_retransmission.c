/* tests/cli/test_retransmission.c - proves what scenarios/retransmission.ini promises: a
 * stop-and-wait client on RFC 6298's RTO (models/rtx_client.c) pays for loss in latency
 * and never in lost operations. How: `murphy run retransmission` in separate processes
 * with --set link.default.loss = 0, 1%, 5%, 10% on the same seeds (so the only change is
 * the loss), reading the ops table of each record:
 *  - liveness: every one of the 400 operations completes ok, at every loss level;
 *  - with no loss no operation retransmits (results all "attempts=1"), with loss some do,
 *    and more at 10% than at 1%;
 *  - the mean latency of ok operations rises strictly with the loss, and at 10% it is more
 *    than twice what it is at 0; p90 at 10% exceeds rto_min (200 ms) while at 0 it is one
 *    round trip (under 50 ms);
 *  - a retransmitted operation took at least rto_min longer than a round trip;
 *  - determinism: two processes give the same hash; a recorded run replays identical. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>

#include "spawn.h"

#define SCENARIO "retransmission"
#define OPS 400
#define MS INT64_C(1000000)
#define LEVELS 4

TestSuite(retransmission, .init = tmp_setup, .fini = tmp_teardown);

static const char *const losses[LEVELS] = {"0", "1%", "5%", "10%"};

struct outcome {
    int64_t ok, not_ok, retransmitted;
    double mean_ns, p90_ns;
    int64_t min_retransmitted_ns; /* latency of the quickest retransmitted op; 0 if none */
};

static struct outcome measure(const char *db_path, uint64_t seed, const char *loss)
{
    char set[64];
    snprintf(set, sizeof set, "link.default.loss=%s", loss);
    struct recorded rec = record_run(db_path, SCENARIO, seed, "--set", set);
    sqlite3 *db = db_open(db_path, false);
    struct outcome o = {0};
    o.ok = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'",
                  rec.run_id, 0);
    o.not_ok = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type != 'ok'",
                      rec.run_id, 0);
    o.retransmitted = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'"
                             " AND result != 'attempts=1'", rec.run_id, 0);
    /* the sum in ns fits an int64 by far (400 ops under a minute each) */
    int64_t sum_ns = db_int(db, "SELECT sum(complete_ns - invoke_ns) FROM ops"
                            " WHERE run_id = ?1 AND type = 'ok'", rec.run_id, 0);
    o.mean_ns = o.ok ? (double)sum_ns / (double)o.ok : 0;
    o.p90_ns = db_metric(db, rec.run_id, "ops.echo.p90_ns");
    o.min_retransmitted_ns = db_int(db, "SELECT min(complete_ns - invoke_ns) FROM ops"
                                    " WHERE run_id = ?1 AND type = 'ok'"
                                    " AND result != 'attempts=1'", rec.run_id, 0);
    db_close(db);
    return o;
}

Test(retransmission, latency_rises_with_loss_and_every_op_completes)
{
    const char *db_path = tmp_path("rtx.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct outcome o[LEVELS];
        for (size_t l = 0; l < LEVELS; l++) {
            o[l] = measure(db_path, seed, losses[l]);
            cr_log_info("seed %" PRIu64 " loss %-3s: ok %" PRId64 ", retransmitted %" PRId64
                        ", mean %.3f ms, p90 %.3f ms", seed, losses[l], o[l].ok,
                        o[l].retransmitted, o[l].mean_ns / 1e6, o[l].p90_ns / 1e6);
            cr_assert_eq(o[l].ok, OPS, "seed %" PRIu64 " loss %s: %" PRId64 " of %d ops ok",
                         seed, losses[l], o[l].ok, OPS);
            cr_assert_eq(o[l].not_ok, 0);
            if (l > 0) {
                cr_expect_gt(o[l].mean_ns, o[l - 1].mean_ns,
                             "seed %" PRIu64 ": mean %.3f ms at loss %s, not above %.3f ms"
                             " at %s", seed, o[l].mean_ns / 1e6, losses[l],
                             o[l - 1].mean_ns / 1e6, losses[l - 1]);
                cr_expect_gt(o[l].retransmitted, 0);
                /* rto_min (200 ms) plus a round trip at the least */
                cr_expect_geq(o[l].min_retransmitted_ns, 200 * MS);
            }
        }
        cr_expect_eq(o[0].retransmitted, 0, "no loss, yet %" PRId64 " retransmitted",
                     o[0].retransmitted);
        cr_expect_gt(o[3].retransmitted, o[1].retransmitted);
        cr_expect_gt(o[3].mean_ns, 2 * o[0].mean_ns, "mean %.3f ms at 10%%, %.3f ms at 0",
                     o[3].mean_ns / 1e6, o[0].mean_ns / 1e6);
        cr_expect_lt(o[0].p90_ns, 50.0 * MS);
        cr_expect_gt(o[3].p90_ns, 200.0 * MS);
    }
}

Test(retransmission, same_hash_in_two_processes_and_replays_identical)
{
    const char *const extra[] = {"--set", "link.default.loss=10%", NULL};
    struct spawn_child a, b;
    record_run_start(&a, NULL, SCENARIO, 7, extra);
    record_run_start(&b, NULL, SCENARIO, 7, extra);
    struct recorded ra = record_run_wait(&a, NULL, 0);
    struct recorded rb = record_run_wait(&b, NULL, 0);
    cr_assert_eq(ra.hash, rb.hash, "two processes: %016" PRIx64 " vs %016" PRIx64, ra.hash,
                 rb.hash);
    cr_assert_eq(ra.events, rb.events);
    cr_assert_gt(ra.events, 4 * OPS, "only %" PRIu64 " events", ra.events);
    const char *db_path = tmp_path("replay.db");
    struct recorded rec = record_run_argv(db_path, SCENARIO, 7, 0, extra);
    cr_assert_eq(rec.hash, ra.hash);
    assert_replay_identical(db_path, &rec);
}
