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

#include "analysis/db.h"
#include "analysis/feed.h"
#include "analysis/metrics.h"
#include "spawn.h"

#define METRICS_MAX 256

struct metric_list {
    char names[METRICS_MAX][96];
    double values[METRICS_MAX];
    size_t count;
};

static void collect(void *ctx, const char *name, double value, const char *unit)
{
    (void)unit;
    struct metric_list *m = ctx;
    cr_assert_lt(m->count, (size_t)METRICS_MAX);
    snprintf(m->names[m->count], sizeof m->names[0], "%s", name);
    m->values[m->count++] = value;
}

/* The accumulators fed the recorded run equal, metric for metric, what the run stored. */
static void assert_replay_equals_live(const char *db_path, int64_t run_id)
{
    char err[AN_ERR_BYTES];
    struct an_db *adb = NULL;
    cr_assert_eq(an_db_open(db_path, &adb, err, sizeof err), 0, "%s", err);
    struct an_run run;
    cr_assert_eq(an_run_load(adb, run_id, &run, err, sizeof err), 0, "%s", err);
    struct an_run_shape shape = {0, run.duration_ns};
    struct an_accs *accs = an_accs_create(&shape);
    cr_assert_not_null(accs);
    struct sim_observer obs = an_accs_observer(accs);
    cr_assert_eq(an_feed_run(adb, &run, &obs, err, sizeof err), 0, "%s", err);
    struct metric_list replayed = {.count = 0};
    struct an_metric_sink sink = {&replayed, collect};
    an_accs_finish(accs, run.end_ns, &sink);
    an_accs_destroy(accs);
    an_run_free(&run);
    an_db_close(adb);

    /* The record holds the oracles' metrics too (not replayed here): walk its rows in
     * order and match the accumulators' ones, which must come in the replay's order. */
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT name, value FROM metrics WHERE run_id=?1 ORDER"
                                    " BY rowid", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    size_t i = 0;
    while (sqlite3_step(s) == SQLITE_ROW && i < replayed.count) {
        if (strcmp((const char *)sqlite3_column_text(s, 0), replayed.names[i]) != 0) continue;
        double live = sqlite3_column_double(s, 1);
        cr_assert(live == replayed.values[i], "%s: live %.17g, replayed %.17g",
                  replayed.names[i], live, replayed.values[i]);
        i++;
    }
    sqlite3_finalize(s);
    db_close(db);
    cr_assert_eq(i, replayed.count, "the replay gave %zu metrics; the record has the first %zu"
                 " of them in order (next: %s)", replayed.count, i,
                 i < replayed.count ? replayed.names[i] : "-");
    cr_assert_gt(i, 0u);
}

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
    assert_replay_equals_live(db_path, run_id);
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
    assert_replay_equals_live(db_path, fd.run_id);
    const char *const quick[] = {"--set", "scenario.duration=20s", NULL};
    struct recorded q = record_run_argv(db_path, source_path("scenarios/queueing-delay.ini"), 1,
                                        RUN_EXIT_OK_OR_VIOLATED, quick);
    cr_assert_gt(metrics_named(db_path, q.run_id, "queue."), 5, "queue metrics recorded");
    assert_replay_equals_live(db_path, q.run_id);
}
