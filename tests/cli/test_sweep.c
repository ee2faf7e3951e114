/* tests/cli/test_sweep.c - proves `murphy sweep` and `murphy merge` (cli/cmd_sweep.c):
 * the same 3 points x 4 seeds of unreliable-network (client timeout 30ms..50ms, 5 s of
 * simulated time) give the same stored rows and the same table with --jobs 1 and --jobs 2,
 * and as shards 1/2 + 2/2 folded by merge (also under GNU parallel when installed); each
 * row's hash equals `murphy run` with the same --set and seed (the re-run command is
 * right); bad grid syntax exits 2 naming the argument; common random numbers: a no-op
 * swept key gives equal hashes per seed, and a timeout sweep leaves each seed's number of
 * requests (arrivals drawn from their own stream) unchanged at every point. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define GRID "node.client.timeout=30ms..50ms/10ms"
#define SHORT "scenario.duration=5s"
#define SEEDS "1..4"
#define ROWS_SQL                                                                          \
    "SELECT group_concat(point || ':' || seed || ':' || event_hash || ':' || status, ' ')" \
    " FROM (SELECT * FROM sweep_runs ORDER BY point, seed)"
#define METRICS_SQL                                                                        \
    "SELECT group_concat(point || ':' || seed || ':' || ord || ':' || name || '=' ||"     \
    " printf('%!.17g', value), ' ') FROM (SELECT * FROM sweep_metrics"                    \
    " ORDER BY point, seed, ord)"

TestSuite(sweep, .init = tmp_setup, .fini = tmp_teardown);

/* The table part of a sweep's stdout: everything before the `runs:` line. */
static char *table_of(const char *out)
{
    const char *end = strstr(out, "\nruns: ");
    cr_assert(end, "no runs: line in\n%s", out);
    char *t = strndup(out, (size_t)(end - out));
    cr_assert(t);
    return t;
}

static char *db_all_text(const char *path, const char *sql)
{
    sqlite3 *db = db_open(path, false);
    static char text[1 << 20];
    cr_assert(db_text(db, sql, 0, text, sizeof text), "no rows in %s", path);
    db_close(db);
    return strdup(text);
}

static void sweep(struct spawn_result *r, const char *db, const char *extra1, const char *extra2)
{
    murphy(r, "sweep", "unreliable-network", "--set", GRID, "--set", SHORT, "--seeds", SEEDS,
           "--db", db, "--commands", extra1 ? extra1 : "--commands", extra2 ? extra2 : "--commands",
           NULL);
    assert_exit(r, 0);
}

static void assert_same_sweep(const char *a_db, const char *b_db)
{
    char *a_rows = db_all_text(a_db, ROWS_SQL), *b_rows = db_all_text(b_db, ROWS_SQL);
    cr_assert_str_eq(a_rows, b_rows);
    char *a_m = db_all_text(a_db, METRICS_SQL), *b_m = db_all_text(b_db, METRICS_SQL);
    cr_assert_str_eq(a_m, b_m);
    cr_assert_gt(count_lines_with(a_rows, ":ok"), 0); /* liveness: they are real rows */
    free(a_rows), free(b_rows), free(a_m), free(b_m);
}

Test(sweep, jobs_and_shards_give_the_same_rows_and_table)
{
    char one[4096], two[4096], s1[4096], s2[4096], merged[4096];
    snprintf(one, sizeof one, "%s", tmp_path("one.db"));
    snprintf(two, sizeof two, "%s", tmp_path("two.db"));
    snprintf(s1, sizeof s1, "%s", tmp_path("s1.db"));
    snprintf(s2, sizeof s2, "%s", tmp_path("s2.db"));
    snprintf(merged, sizeof merged, "%s", tmp_path("merged.db"));
    struct spawn_result r1, r2, r3, r4, rm;
    double t0 = now_s();
    sweep(&r1, one, "--jobs", "1");
    double single_s = now_s() - t0;
    sweep(&r2, two, "--jobs", "2");
    sweep(&r3, s1, "--shard", "1/2");
    sweep(&r4, s2, "--shard", "2/2");
    murphy(&rm, "merge", merged, s1, s2, NULL);
    assert_exit(&rm, 0);
    cr_log_info("sweep of 12 runs x 5 s: %.2f s wall", single_s);

    /* 12 rows; each seed appears at each point */
    sqlite3 *db = db_open(one, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs", 0, 0), 12);
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT point) FROM sweep_runs", 0, 0), 3);
    cr_assert_gt(db_int(db, "SELECT count(*) FROM sweep_metrics WHERE name='ops.echo.ok'"
                            " AND value > 100", 0, 0), 11);
    db_close(db);
    db = db_open(s1, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs", 0, 0), 6);
    db_close(db);

    assert_same_sweep(one, two);
    assert_same_sweep(one, merged);
    char *t1 = table_of(r1.out), *t2 = table_of(r2.out), *tm = table_of(rm.out);
    cr_assert_str_eq(t1, t2);
    cr_assert_str_eq(t1, tm);
    cr_assert_eq(count_lines_with(t1, "ops.echo.p99_ns"), 3);
    cr_assert(strstr(r1.out, "cost: "), "no cost line:\n%s", r1.out);

    /* the re-run command of (point 1, seed 3) gives the stored hash */
    char expect[64], got[64];
    db = db_open(one, false);
    cr_assert(db_text(db, "SELECT event_hash FROM sweep_runs WHERE point=1 AND seed=3", 0,
                      expect, sizeof expect));
    db_close(db);
    cr_assert(strstr(r1.out, "reproduce: murphy run ") &&
              strstr(r1.out, "--seed 3 --set " SHORT " --set node.client.timeout=40ms\n"),
              "no re-run command for point 1 seed 3 in\n%s", r1.out);
    snprintf(got, sizeof got, "%016" PRIx64,
             run_hash("unreliable-network", 3, "--set", SHORT, "--set",
                      "node.client.timeout=40ms", "--no-db", NULL));
    cr_assert_str_eq(got, expect);
    free(t1), free(t2), free(tm);
    spawn_result_free(&r1), spawn_result_free(&r2), spawn_result_free(&r3);
    spawn_result_free(&r4), spawn_result_free(&rm);
}

Test(sweep, merge_refuses_shards_of_another_sweep)
{
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s", tmp_path("a.db"));
    snprintf(b, sizeof b, "%s", tmp_path("b.db"));
    struct spawn_result r1, r2, rm;
    murphy(&r1, "sweep", "unreliable-network", "--set", GRID, "--set", SHORT, "--seeds", "1..2",
           "--shard", "1/2", "--db", a, "--quiet", NULL);
    assert_exit(&r1, 0);
    murphy(&r2, "sweep", "unreliable-network", "--set", GRID, "--set", SHORT, "--seeds", "1..3",
           "--shard", "2/2", "--db", b, "--quiet", NULL);
    assert_exit(&r2, 0);
    murphy(&rm, "merge", tmp_path("out.db"), a, b, NULL);
    assert_exit(&rm, 2);
    cr_assert(strstr(rm.err, "other seeds"), "%s", rm.err);
    spawn_result_free(&r1), spawn_result_free(&r2), spawn_result_free(&rm);
}

Test(sweep, bad_grid_syntax_exits_2_naming_the_argument)
{
    static const char *const bad[] = {
        "node.client.timeout=30ms..50ms",     /* no step */
        "node.client.timeout=50ms..30ms/10ms", /* empty range */
        "node.client.timeout=30ms..50ms/0ms", /* zero step */
        "node.client.timeout=30ms,,50ms",     /* empty value */
        "node.client.timeout=30ms,bogus",     /* a value the scenario refuses */
        "=1,2",                               /* no key */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct spawn_result r;
        murphy(&r, "sweep", "unreliable-network", "--set", bad[i], "--seeds", "1..2", "--db",
               tmp_path("bad.db"), NULL);
        assert_exit(&r, 2);
        const char *named = strchr(bad[i], ',') && strstr(bad[i], "bogus")
                                ? "node.client.timeout=bogus" : bad[i];
        cr_assert(strstr(r.err, named), "'%s': the error does not name it:\n%s", bad[i], r.err);
        spawn_result_free(&r);
    }
    struct spawn_result r;
    murphy(&r, "sweep", "unreliable-network", "--set", GRID, "--seeds", "5..1", "--db",
           tmp_path("bad.db"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "--seeds '5..1'"), "%s", r.err);
    spawn_result_free(&r);
}

/* Common random numbers: draws are keyed by seed and purpose, not by the point. */
Test(sweep, common_random_numbers)
{
    const char *db_path = tmp_path("crn.db");
    struct spawn_result r;
    murphy(&r, "sweep", "unreliable-network", "--set", "scenario.description=a,b", "--set",
           SHORT, "--seeds", "1..3", "--db", db_path, "--quiet", NULL);
    assert_exit(&r, 0);
    sqlite3 *db = db_open(db_path, false);
    /* a no-op key: each seed's hash is the same at both points, and seeds differ */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs a JOIN sweep_runs b ON"
                            " a.seed=b.seed AND a.point=0 AND b.point=1"
                            " AND a.event_hash=b.event_hash", 0, 0), 3);
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT event_hash) FROM sweep_runs", 0, 0), 3);
    db_close(db);
    spawn_result_free(&r);

    /* a real change (the client's timeout) changes the runs, but not each seed's number
     * of requests: the arrivals come from the clients' own streams */
    db_path = tmp_path("crn2.db");
    murphy(&r, "sweep", "unreliable-network", "--set", GRID, "--set", SHORT, "--seeds", "1..3",
           "--db", db_path, "--quiet", NULL);
    assert_exit(&r, 0);
    db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT event_hash) FROM sweep_runs", 0, 0), 9);
    const char *per_seed_ops =
        "SELECT count(*) FROM (SELECT seed, count(DISTINCT total) AS n FROM"
        " (SELECT point, seed, sum(value) AS total FROM sweep_metrics WHERE name IN"
        " ('ops.echo.ok','ops.echo.fail','ops.echo.info') GROUP BY point, seed)"
        " GROUP BY seed HAVING n = 1)";
    cr_assert_eq(db_int(db, per_seed_ops, 0, 0), 3);
    cr_assert_gt(db_int(db, "SELECT min(value) FROM sweep_metrics WHERE name='ops.echo.ok'",
                        0, 0), 300);
    db_close(db);
    spawn_result_free(&r);
}

/* The same sweep as two shards started by GNU parallel, merged. */
Test(sweep, gnu_parallel_shards)
{
    if (system("command -v parallel > /dev/null 2>&1") != 0) {
        const char *ci = getenv("CI");
        cr_assert(!ci || strcmp(ci, "true") != 0, "GNU parallel is missing in CI");
        cr_skip_test("GNU parallel is not installed");
    }
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && parallel --will-cite '%s' sweep unreliable-network --set " GRID
             " --set " SHORT " --seeds " SEEDS " --shard {}/2 --db p{}.db --quiet ::: 1 2"
             " > /dev/null",
             tmp_dir(), MURPHY_BIN);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    struct spawn_result rm, r1;
    murphy(&rm, "merge", tmp_path("pm.db"), tmp_path("p1.db"), tmp_path("p2.db"), NULL);
    assert_exit(&rm, 0);
    sweep(&r1, tmp_path("single.db"), "--quiet", NULL);
    assert_same_sweep(tmp_path("single.db"), tmp_path("pm.db"));
    spawn_result_free(&rm), spawn_result_free(&r1);
}

/* --full: every (point, seed) is also a run recorded as `murphy run` records it; each one
 * replays identical, its hash and event count are the summary row's, and its metrics are
 * the sweep's to the last bit. Without --full no run is recorded. */
Test(sweep, full_keeps_every_run_replayable)
{
    char full[4096], summary[4096];
    snprintf(full, sizeof full, "%s", tmp_path("full.db"));
    snprintf(summary, sizeof summary, "%s", tmp_path("summary.db"));
    struct spawn_result r;
    murphy(&r, "sweep", "unreliable-network", "--set", "node.client.timeout=30ms,50ms",
           "--set", SHORT, "--seeds", "1..2", "--jobs", "2", "--db", full, "--full", "--quiet",
           NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    murphy(&r, "sweep", "unreliable-network", "--set", "node.client.timeout=30ms,50ms",
           "--set", SHORT, "--seeds", "1..2", "--db", summary, "--quiet", NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);

    sqlite3 *db = db_open(summary, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs", 0, 0), 0, "summaries only");
    db_close(db);
    db = db_open(full, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs", 0, 0), 4);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_full_runs", 0, 0), 4);
    /* the same hash, event count and stored events as the summary row */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_full_runs f JOIN runs r ON r.id=f.run_id"
                            " JOIN sweep_runs s USING(sweep_id, point, seed)"
                            " WHERE r.event_hash=s.event_hash AND r.event_count=s.event_count"
                            " AND r.status='ok' AND r.event_count ="
                            " (SELECT count(*) FROM events e WHERE e.run_id=r.id)", 0, 0), 4);
    cr_assert_gt(db_int(db, "SELECT min(event_count) FROM runs", 0, 0), 100); /* real runs */
    /* the run's metrics are the sweep's, value for value */
    int64_t sweep_metrics = db_int(db, "SELECT count(*) FROM sweep_metrics", 0, 0);
    cr_assert_gt(sweep_metrics, 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_metrics s JOIN sweep_full_runs f"
                            " USING(sweep_id, point, seed) JOIN metrics m ON m.run_id=f.run_id"
                            " AND m.name=s.name AND m.value=s.value", 0, 0), sweep_metrics);
    for (int64_t id = 1; id <= 4; id++) {
        char hash[32];
        cr_assert(db_text(db, "SELECT event_hash FROM runs WHERE id=?1", id, hash, sizeof hash));
        struct recorded rec = {.run_id = id, .hash = strtoull(hash, NULL, 16),
                               .events = (uint64_t)db_int(db, "SELECT event_count FROM runs"
                                                              " WHERE id=?1", id, 0)};
        assert_replay_identical(full, &rec);
    }
    db_close(db);
}
