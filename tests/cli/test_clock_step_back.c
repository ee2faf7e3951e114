/* tests/cli/test_clock_step_back.c - proves what scenarios/clock-step-back.ini promises:
 * a timeout and a periodic job kept by the wall clock misfire when the clock is stepped,
 * the same ones kept by the monotonic clock do not. How: `murphy run clock-step-back
 * --db` in a separate process (it exits 1, status violated: the timing oracle's
 * violations), then the record is read with the SQLite C API:
 *  - alarm_mono has no violation; alarm_wall has early and late timeouts and job slots
 *    run twice and never, at least as many as the two operator steps (and NTP's step that
 *    undoes the second one) force on any seed; on seed 1 (the scenario's documented seed)
 *    5 early, 3 late, 10 twice, 3 never, asserted as floors 1, 2, 4, 2 that the steps
 *    alone explain;
 *  - the oracle is checked against the record itself: the one wall timeout that spans
 *    the -2 s step lasts 7.0-7.2 s of true time (5 s + 2 s + at most a tick) and is the
 *    one flagged late there; the one spanning the +3 s step lasts 2.0-2.2 s, flagged early;
 *  - liveness floors: both alarms ran their timeouts and jobs all along (>= 20 timeouts
 *    fired and >= 110 job runs each, of 24 and ~120 possible in 120 s);
 *  - the header's "Now change" claims (the monotonic alarm on the wall clock misfires;
 *    NTP slewing leaves exactly the operator's two misfired timeouts);
 *  - determinism: two processes give the same hash; `murphy replay` is identical. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "scenarios/clock-step-back.ini"
#define S INT64_C(1000000000)
#define STEP_BACK_NS (40 * S + 50000000)    /* the scenario's fault times */
#define STEP_FORWARD_NS (72 * S + 50000000)

TestSuite(clock_step_back, .init = tmp_setup, .fini = tmp_teardown);

/* `murphy run clock-step-back --seed SEED --db DB --quiet [EXTRA_ARGS...]`; every run of
 * it exits 1, status violated: the wall alarm's misfires are violations. */
static struct recorded run_scenario(const char *db_path, uint64_t seed,
                                    const char *const *extra_args)
{
    return record_run_argv(db_path, source_path(SCENARIO), seed, 1, extra_args);
}

/* Violations of the timing oracle on one node whose text contains `what`. */
static int64_t violations(sqlite3 *db, int64_t run_id, int64_t node, const char *what)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM violations WHERE run_id = ?1 AND node = ?2"
             " AND source = 'oracle:timing' AND text LIKE '%%%s%%'", what);
    return db_int(db, sql, run_id, node);
}

static int64_t claims(sqlite3 *db, int64_t run_id, int64_t node, const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM annotations WHERE run_id = ?1 AND node = ?2"
             " AND kind = 'claim' AND text = '%s'", name);
    return db_int(db, sql, run_id, node);
}

/* The misfires of one node, by kind. */
struct misfires {
    int64_t early, late, twice, never_runs;
};

static struct misfires misfires_of(sqlite3 *db, int64_t run_id, int64_t node)
{
    return (struct misfires){violations(db, run_id, node, "fired early"),
                             violations(db, run_id, node, "fired late") +
                                 violations(db, run_id, node, "never fired"),
                             violations(db, run_id, node, "twice"),
                             violations(db, run_id, node, "never ran")};
}

static void assert_alive(sqlite3 *db, int64_t run_id, int64_t node, const char *name)
{
    int64_t fired = claims(db, run_id, node, "timeout.fire");
    int64_t runs = claims(db, run_id, node, "job.run");
    cr_assert_geq(fired, 20, "%s fired %" PRId64 " timeouts, expected >= 20 of 24", name, fired);
    cr_assert_geq(runs, 110, "%s ran its job %" PRId64 " times, expected >= 110", name, runs);
}

/* The wall alarm's timeouts that started before true time at_ns and fired after it:
 * how many, and (for the one expected) its true length and the violation at its fire. */
static void spanning_timeout(sqlite3 *db, int64_t run_id, int64_t node, int64_t at_ns,
                             int64_t *count, int64_t *elapsed_ns, char *violation_text,
                             size_t text_bytes)
{
    static const char sql[] =
        "SELECT count(*), max(f.time_ns - s.time_ns), max(v.text)"
        " FROM events s JOIN annotations sa ON sa.run_id = s.run_id AND sa.seq = s.seq"
        " AND sa.kind = 'claim' AND sa.text = 'timeout.start'"
        " JOIN events f ON f.run_id = s.run_id AND f.node = s.node AND f.obj_id = s.obj_id"
        " JOIN annotations fa ON fa.run_id = f.run_id AND fa.seq = f.seq"
        " AND fa.kind = 'claim' AND fa.text = 'timeout.fire'"
        " LEFT JOIN violations v ON v.run_id = f.run_id AND v.seq = f.seq"
        " WHERE s.run_id = ?1 AND s.node = ?2 AND s.kind = 'claim' AND f.kind = 'claim'"
        " AND s.time_ns < ?3 AND f.time_ns > ?3";
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_int64(s, 2, node);
    sqlite3_bind_int64(s, 3, at_ns);
    cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
    *count = sqlite3_column_int64(s, 0);
    *elapsed_ns = sqlite3_column_int64(s, 1);
    const unsigned char *text = sqlite3_column_text(s, 2);
    snprintf(violation_text, text_bytes, "%s", text ? (const char *)text : "");
    sqlite3_finalize(s);
}

Test(clock_step_back, wall_alarm_misfires_and_monotonic_does_not)
{
    const char *db_path = tmp_path("csb.db");
    struct recorded rec = run_scenario(db_path, 1, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t wall = db_node(db, rec.run_id, "alarm_wall");
    int64_t mono = db_node(db, rec.run_id, "alarm_mono");
    assert_alive(db, rec.run_id, wall, "alarm_wall");
    assert_alive(db, rec.run_id, mono, "alarm_mono");
    int64_t mono_violations = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                                     " AND node = ?2", rec.run_id, mono);
    cr_assert_eq(mono_violations, 0, "the monotonic alarm has %" PRId64 " violations",
                 mono_violations);
    struct misfires m = misfires_of(db, rec.run_id, wall);
    cr_log_info("seed 1, alarm_wall: %" PRId64 " early, %" PRId64 " late, %" PRId64 " twice, %"
                PRId64 " never", m.early, m.late, m.twice, m.never_runs);
    /* the +3 s step: one early; the -2 s step and NTP undoing the +3 s: two late; each
     * step back reruns >= 2 slots; the step forward skips >= 2 */
    cr_expect_geq(m.early, 1, "early: %" PRId64, m.early);
    cr_expect_geq(m.late, 2, "late: %" PRId64, m.late);
    cr_expect_geq(m.twice, 4, "twice: %" PRId64, m.twice);
    cr_expect_geq(m.never_runs, 1, "never: %" PRId64 " gaps", m.never_runs);
    cr_expect_geq(db_metric(db, rec.run_id, "timing.job_never"), 2.0, "slots never run");
    /* the metrics count exactly the wall alarm's violations */
    cr_expect_eq(db_metric(db, rec.run_id, "timing.early"), (double)m.early);
    cr_expect_eq(db_metric(db, rec.run_id, "timing.late"), (double)m.late);
    cr_expect_eq(db_metric(db, rec.run_id, "timing.job_twice"), (double)m.twice);
    db_close(db);
}

/* The oracle's verdicts agree with true time as recorded, at the two operator steps. */
Test(clock_step_back, the_steps_make_one_timeout_7s_and_one_2s)
{
    const char *db_path = tmp_path("span.db");
    struct recorded rec = run_scenario(db_path, 1, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t wall = db_node(db, rec.run_id, "alarm_wall");
    int64_t mono = db_node(db, rec.run_id, "alarm_mono");
    int64_t count, elapsed_ns;
    char text[512];
    spanning_timeout(db, rec.run_id, wall, STEP_BACK_NS, &count, &elapsed_ns, text, sizeof text);
    cr_assert_eq(count, 1, "one wall timeout spans the step back, not %" PRId64, count);
    /* the clock runs 50 ppm fast: 7 s of it are 350 us less of true time */
    cr_expect(elapsed_ns >= 7 * S - S / 1000 && elapsed_ns <= 7 * S + S / 5,
              "5 s + 2 s back (+ a tick): lasted %" PRId64 " ns", elapsed_ns);
    cr_expect(strstr(text, "fired late") != NULL, "flagged: '%s'", text);
    spanning_timeout(db, rec.run_id, wall, STEP_FORWARD_NS, &count, &elapsed_ns, text,
                     sizeof text);
    cr_assert_eq(count, 1);
    cr_expect(elapsed_ns >= 2 * S - S / 1000 && elapsed_ns <= 2 * S + S / 5,
              "5 s - 3 s forward (+ a tick): lasted %" PRId64 " ns", elapsed_ns);
    cr_expect(strstr(text, "fired early") != NULL, "flagged: '%s'", text);
    /* the monotonic one that spans the step back lasts 5 s less its 50 ppm */
    spanning_timeout(db, rec.run_id, mono, STEP_BACK_NS, &count, &elapsed_ns, text, sizeof text);
    cr_assert_eq(count, 1);
    /* 5 s / (1 + 50 ppm) = 5 s - 249.99 us, to the ns the kernel rounds up to */
    cr_expect(elapsed_ns >= 5 * S - 250000 && elapsed_ns <= 5 * S - 249000,
              "monotonic: lasted %" PRId64 " ns, expected 5 s / (1 + 50 ppm)", elapsed_ns);
    cr_expect_str_empty(text);
    db_close(db);
}

/* Not a lucky seed: the same floors hold on seeds 2..5. */
Test(clock_step_back, other_seeds_misfire_alike)
{
    const char *db_path = tmp_path("seeds.db");
    for (uint64_t seed = 2; seed <= 5; seed++) {
        struct recorded rec = run_scenario(db_path, seed, NULL);
        sqlite3 *db = db_open(db_path, false);
        int64_t wall = db_node(db, rec.run_id, "alarm_wall");
        int64_t mono = db_node(db, rec.run_id, "alarm_mono");
        struct misfires m = misfires_of(db, rec.run_id, wall);
        cr_expect(m.early >= 1 && m.late >= 2 && m.twice >= 4 && m.never_runs >= 1,
                  "seed %" PRIu64 ": %" PRId64 " early, %" PRId64 " late, %" PRId64 " twice, %"
                  PRId64 " never", seed, m.early, m.late, m.twice, m.never_runs);
        cr_expect_eq(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND node = ?2",
                            rec.run_id, mono), 0, "seed %" PRIu64 ": monotonic misfired", seed);
        assert_alive(db, rec.run_id, mono, "alarm_mono");
        db_close(db);
    }
}

Test(clock_step_back, monotonic_alarm_on_the_wall_clock_misfires_too)
{
    const char *db_path = tmp_path("both.db");
    const char *const both_on_wall[] = {"--set", "node.alarm_mono.use_wall_clock=true", NULL};
    struct recorded rec = run_scenario(db_path, 1, both_on_wall);
    sqlite3 *db = db_open(db_path, false);
    int64_t mono = db_node(db, rec.run_id, "alarm_mono");
    struct misfires m = misfires_of(db, rec.run_id, mono);
    cr_expect(m.early >= 1 && m.late >= 2 && m.twice >= 4 && m.never_runs >= 1,
              "%" PRId64 " early, %" PRId64 " late, %" PRId64 " twice, %" PRId64 " never",
              m.early, m.late, m.twice, m.never_runs);
    db_close(db);
}

/* Slewing never steps: what is left are the operator's two steps, exactly. */
Test(clock_step_back, slewing_leaves_only_the_operator_steps)
{
    const char *db_path = tmp_path("slew.db");
    const char *const slewed[] = {"--set", "node.alarm_wall.clock_sync=slew", "--set",
                                  "node.alarm_mono.clock_sync=slew", NULL};
    struct recorded rec = run_scenario(db_path, 1, slewed);
    sqlite3 *db = db_open(db_path, false);
    int64_t wall = db_node(db, rec.run_id, "alarm_wall");
    int64_t mono = db_node(db, rec.run_id, "alarm_mono");
    struct misfires m = misfires_of(db, rec.run_id, wall);
    cr_expect_eq(m.early, 1, "early: %" PRId64, m.early);
    cr_expect_eq(m.late, 1, "late: %" PRId64, m.late);
    cr_expect(m.twice >= 2 && m.twice <= 3, "twice: %" PRId64, m.twice);
    cr_expect_eq(m.never_runs, 1, "one gap");
    double never = db_metric(db, rec.run_id, "timing.job_never");
    cr_expect(never >= 2 && never <= 3, "never: %.0f slots", never);
    cr_expect_eq(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND node = ?2",
                        rec.run_id, mono), 0);
    assert_alive(db, rec.run_id, wall, "alarm_wall");
    db_close(db);
}

Test(clock_step_back, same_hash_in_two_processes_and_replay_is_identical)
{
    const char *db_path = tmp_path("det.db");
    struct recorded first = run_scenario(db_path, 1, NULL);
    struct recorded second = run_scenario(db_path, 1, NULL);
    cr_assert_eq(first.hash, second.hash, "%016" PRIx64 " then %016" PRIx64, first.hash,
                 second.hash);
    cr_assert_eq(first.events, second.events);
    assert_replay_identical(db_path, &first);
}
