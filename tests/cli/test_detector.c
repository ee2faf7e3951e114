/* tests/cli/test_detector.c - proves what scenarios/timeout-tradeoff.ini and phi-accrual.ini
 * claim, with the detector-quality metrics (analysis/acc_detector.h) the runs record:
 *  - over a sweep of the fixed timeout (750ms, 1s, 1500ms, 2s, 3s) on the same seeds
 *    (1..3), mean T_D rises strictly at every step and false suspicions (summed over the
 *    seeds) never rise, and fall overall; every crash is detected (undetected = 0), and
 *    each run sees its 2 crashes (liveness floor: 6 pairs, 2 crashes per run);
 *  - each suspicion is annotated with its truth, and the oracle's counts add up to the
 *    suspicions recorded;
 *  - phi-accrual detects every crash of its scenario;
 *  - both scenarios are deterministic across processes and replay identically.
 * How: real runs of the murphy binary in separate processes, read back with SQLite. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>

#include "spawn.h"

#define TRADEOFF "scenarios/timeout-tradeoff.ini"
#define PHI "scenarios/phi-accrual.ini"
#define SEEDS 3
#define TIMEOUTS 5

TestSuite(detector, .init = tmp_setup, .fini = tmp_teardown, .timeout = 120);

static const char *const timeouts[TIMEOUTS] = {"750ms", "1s", "1500ms", "2s", "3s"};

Test(detector, longer_timeouts_detect_later_and_suspect_less)
{
    const char *db_path = tmp_path("sweep.db");
    double td_sum_ns[TIMEOUTS] = {0};
    int64_t mistakes[TIMEOUTS] = {0};
    for (int t = 0; t < TIMEOUTS; t++) {
        char set[64];
        snprintf(set, sizeof set, "node.monitor.timeout=%s", timeouts[t]);
        const char *const args[] = {"--set", set, NULL};
        for (uint64_t seed = 1; seed <= SEEDS; seed++) {
            struct recorded rec = record_run_argv(db_path, source_path(TRADEOFF), seed, 0, args);
            sqlite3 *db = db_open(db_path, false);
            cr_assert_eq(db_metric_count(db, rec.run_id, "detector.pairs"), 6);
            cr_assert_eq(db_metric_count(db, rec.run_id, "detector.crashes"), 2,
                         "timeout %s seed %" PRIu64, timeouts[t], seed);
            cr_assert_eq(db_metric_count(db, rec.run_id, "detector.undetected"), 0,
                         "timeout %s seed %" PRIu64 ": a crash went undetected", timeouts[t],
                         seed);
            td_sum_ns[t] += db_metric(db, rec.run_id, "detector.td_mean_ns");
            int64_t m = db_metric_count(db, rec.run_id, "detector.mistakes");
            mistakes[t] += m;
            /* the oracle's truth: one annotation per suspicion, in three kinds */
            int64_t suspicions = db_int_text(db, "SELECT count(*) FROM events WHERE run_id=?1"
                                             " AND kind=?2", rec.run_id, "suspect", NULL);
            int64_t annotated = db_int_text(db, "SELECT count(*) FROM annotations WHERE"
                                            " run_id=?1 AND kind=?2", rec.run_id,
                                            "suspect_truth", NULL);
            cr_assert_eq(annotated, suspicions);
            int64_t truth_crashed = db_metric_count(db, rec.run_id, "detector.truth_crashed");
            cr_assert_eq(truth_crashed + db_metric_count(db, rec.run_id, "detector.truth_paused")
                         + db_metric_count(db, rec.run_id, "detector.truth_up"), suspicions);
            cr_assert_geq(truth_crashed, 2, "both crashes suspected");
            db_close(db);
        }
        cr_log_info("timeout %s: mean T_D %.3f s, false suspicions %" PRId64 " over %d seeds",
                    timeouts[t], td_sum_ns[t] / SEEDS / 1e9, mistakes[t], SEEDS);
    }
    for (int t = 1; t < TIMEOUTS; t++) {
        cr_assert_gt(td_sum_ns[t], td_sum_ns[t - 1], "T_D must rise from %s to %s",
                     timeouts[t - 1], timeouts[t]);
        cr_assert_leq(mistakes[t], mistakes[t - 1], "false suspicions rose from %s (%" PRId64
                      ") to %s (%" PRId64 ")", timeouts[t - 1], mistakes[t - 1], timeouts[t],
                      mistakes[t]);
    }
    cr_assert_gt(mistakes[0], 10 * (mistakes[TIMEOUTS - 1] + 1),
                 "the shortest timeout must make many more mistakes than the longest");
}

Test(detector, phi_accrual_detects_every_crash)
{
    const char *db_path = tmp_path("phi.db");
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct recorded rec = record_run_argv(db_path, source_path(PHI), seed, 0, NULL);
        sqlite3 *db = db_open(db_path, false);
        cr_assert_eq(db_metric_count(db, rec.run_id, "detector.pairs"), 8);
        cr_assert_eq(db_metric_count(db, rec.run_id, "detector.crashes"), 2);
        cr_assert_eq(db_metric_count(db, rec.run_id, "detector.undetected"), 0);
        double td_ns = db_metric(db, rec.run_id, "detector.td_mean_ns");
        cr_assert(td_ns > 0.0 && td_ns < 2e9, "seed %" PRIu64 ": mean T_D %.0f ns", seed, td_ns);
        db_close(db);
    }
}

static void assert_deterministic(const char *scenario)
{
    for (uint64_t seed = 1; seed <= 2; seed++) {
        uint64_t first = run_hash(source_path(scenario), seed, NULL);
        cr_assert_eq(first, run_hash(source_path(scenario), seed, NULL), "%s seed %" PRIu64,
                     scenario, seed);
    }
    const char *db_path = tmp_path("replay.db");
    struct recorded rec = record_run(db_path, source_path(scenario), 1, NULL, NULL);
    assert_replay_identical(db_path, &rec);
}

Test(detector, timeout_tradeoff_is_deterministic_and_replays)
{
    assert_deterministic(TRADEOFF);
}

Test(detector, phi_accrual_is_deterministic_and_replays)
{
    assert_deterministic(PHI);
}
