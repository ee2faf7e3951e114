/* tests/cli/test_metrics.c - proves that the run's accumulators (analysis/metrics.h:
 * operations, detector quality, queues), computed live while the world runs, agree
 * exactly with the same accumulators fed the recorded run afterwards (analysis/feed.h):
 * the same metrics, in the same order, equal to the last bit. And that they say what they mean: for every f, ops.F.ok/fail/info
 * equal the counts of the `ops` table and ops.F.max_ns its largest ok latency; the
 * running quantiles (P-square) are within 5% of the exact ones over the same latencies
 * (P-square's error on smooth, unimodal samples of thousands is well under 1%; 5% leaves
 * room for the heavy-tailed p99.9 of a few thousand samples).
 * How: real runs of three scenarios with different op mixes (echo requests with timeouts,
 * lease read-modify-writes, LWW writes), recorded in separate processes; the test reads
 * the record with the SQLite C API and replays it in-process. A liveness floor: each run
 * has ok operations. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "spawn.h"

/* The metrics of the run whose name starts with prefix: how many. */
static int64_t metrics_named(const char *db_path, int64_t run_id, const char *prefix)
{
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM metrics WHERE run_id=?1 AND"
                                    " substr(name, 1, length(?2)) = ?2", -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_text(s, 2, prefix, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    db_close(db);
    return n;
}

TestSuite(metrics, .init = tmp_setup, .fini = tmp_teardown);

static int64_t count_ops(sqlite3 *db, int64_t run_id, const char *f, const char *type)
{
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND f=?2 AND"
                                    " type=?3", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_text(s, 2, f, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* The ok latencies of f, sorted; *count set. Caller frees. */
static double *ok_latencies(sqlite3 *db, int64_t run_id, const char *f, size_t *count)
{
    size_t cap = (size_t)count_ops(db, run_id, f, "ok") + 1;
    double *lat = malloc(cap * sizeof *lat);
    cr_assert_not_null(lat);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT complete_ns - invoke_ns FROM ops WHERE run_id=?1"
                                    " AND f=?2 AND type='ok'", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_text(s, 2, f, -1, SQLITE_STATIC);
    size_t n = 0;
    while (sqlite3_step(s) == SQLITE_ROW && n < cap) lat[n++] = (double)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    gsl_sort(lat, 1, n);
    *count = n;
    return lat;
}

static void assert_metric(sqlite3 *db, int64_t run_id, const char *f, const char *what,
                          double expected, double relative_tolerance)
{
    char name[128];
    snprintf(name, sizeof name, "ops.%s.%s", f, what);
    double live = db_metric(db, run_id, name);
    double gap = live > expected ? live - expected : expected - live;
    cr_assert(gap <= relative_tolerance * expected, "%s: live %.17g, from the record %.17g",
              name, live, expected);
}

/* Every f of the run: live metrics equal what the record gives. Returns ok ops in all. */
static int64_t check_run(const char *db_path, int64_t run_id)
{
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT DISTINCT f FROM ops WHERE run_id=?1 ORDER BY f",
                                    -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    int64_t ok_total = 0, f_count = 0;
    static const char *const q_names[4] = {"p50_ns", "p90_ns", "p99_ns", "p999_ns"};
    static const double q[4] = {0.5, 0.9, 0.99, 0.999};
    while (sqlite3_step(s) == SQLITE_ROW) {
        char f[64];
        snprintf(f, sizeof f, "%s", (const char *)sqlite3_column_text(s, 0));
        f_count++;
        assert_metric(db, run_id, f, "ok", (double)count_ops(db, run_id, f, "ok"), 0);
        assert_metric(db, run_id, f, "fail", (double)count_ops(db, run_id, f, "fail"), 0);
        assert_metric(db, run_id, f, "info", (double)count_ops(db, run_id, f, "info"), 0);
        size_t n;
        double *lat = ok_latencies(db, run_id, f, &n);
        ok_total += (int64_t)n;
        for (int i = 0; n >= 1000 && i < 4; i++)
            assert_metric(db, run_id, f, q_names[i],
                          gsl_stats_quantile_from_sorted_data(lat, 1, n, q[i]), 0.05);
        if (n) assert_metric(db, run_id, f, "max_ns", lat[n - 1], 0);
        free(lat);
    }
    sqlite3_finalize(s);
    db_close(db);
    cr_assert_gt(f_count, 0, "run %" PRId64 " recorded no operations", run_id);
    assert_metrics_replay_equal_live(db_path, run_id);
    return ok_total;
}

Test(metrics, live_op_metrics_equal_the_replayed_record_for_echo_requests)
{
    const char *db_path = tmp_path("m.db");
    struct recorded rec = record_run(db_path, source_path("scenarios/unreliable-network.ini"), 3,
                                     NULL, NULL);
    cr_assert_gt(check_run(db_path, rec.run_id), 1000, "a liveness floor: ok operations");
}

Test(metrics, live_op_metrics_equal_the_replayed_record_for_lease_and_lww_writes)
{
    const char *db_path = tmp_path("m.db");
    const char *scenarios[] = {"scenarios/lease-gc-pause.ini", "scenarios/lww-skew.ini"};
    for (size_t i = 0; i < 2; i++) {
        struct recorded rec = record_run_argv(db_path, source_path(scenarios[i]), 2,
                                              RUN_EXIT_OK_OR_VIOLATED, NULL);
        cr_assert_gt(check_run(db_path, rec.run_id), 50, "%s: ok operations", scenarios[i]);
    }
}

/* Detector quality and queue metrics too: every accumulator, live and replayed. */
Test(metrics, detector_and_queue_metrics_equal_the_replayed_record)
{
    const char *db_path = tmp_path("m.db");
    const char *const shorter[] = {"--set", "scenario.duration=60s", NULL};
    struct recorded fd = record_run_argv(db_path, source_path("scenarios/timeout-tradeoff.ini"),
                                         1, RUN_EXIT_OK_OR_VIOLATED, shorter);
    cr_assert_gt(metrics_named(db_path, fd.run_id, "detector."), 5, "detector metrics recorded");
    assert_metrics_replay_equal_live(db_path, fd.run_id);
    const char *const quick[] = {"--set", "scenario.duration=20s", NULL};
    struct recorded q = record_run_argv(db_path, source_path("scenarios/queueing-delay.ini"), 1,
                                        RUN_EXIT_OK_OR_VIOLATED, quick);
    cr_assert_gt(metrics_named(db_path, q.run_id, "queue."), 5, "queue metrics recorded");
    assert_metrics_replay_equal_live(db_path, q.run_id);
}
