/* tests/cli/test_replay.c - proves that `murphy replay DB` reproduces a recorded run event
 * for event, and that it notices every way a record can disagree with a fresh run. How:
 * runs are recorded by `murphy run --db` in one process and replayed by `murphy replay` in
 * another; identical replays must print "identical" with the run's hash and exit 0, for
 * several scenarios, seeds and runs sharing one database (--run ID). Then the record is
 * changed behind murphy's back with the SQLite C API - one event's time_ns, arg, kind or
 * obj_id at a seq K in the middle, the last rows deleted, the stored hash, the stored
 * scenario text or overrides - and replay must exit 4 naming seq K (or what changed),
 * except where the change is harmless (a record cut short of a run that is itself
 * incomplete, an edited comment). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define GOLDEN "tests/golden/everything.ini"
#define GOLDEN_CLOCKS "tests/golden/clocks.ini"
#define UNRELIABLE "scenarios/unreliable-network.ini"

TestSuite(replay, .init = tmp_setup, .fini = tmp_teardown);

/* `murphy replay DB --run ID` (run_id 0: without --run). */
static void replay(struct spawn_result *r, const char *db_path, int64_t run_id)
{
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    const char *with_run[] = {"replay", db_path, "--run", id, NULL};
    const char *newest[] = {"replay", db_path, NULL};
    spawn_run(r, NULL, run_id ? with_run : newest);
    char how[64];
    cr_assert(!r->has_signal, "%s: %s\nstderr: %s", r->cmd, spawn_describe(r, how, sizeof how),
              r->err);
}

static void assert_identical(const char *db_path, const struct recorded *rec, bool names_run)
{
    struct spawn_result r;
    replay(&r, db_path, names_run ? rec->run_id : 0);
    assert_says_identical(&r, rec);
    spawn_result_free(&r);
}

/* True if text says "diverged at seq K" with K exactly seq (not a longer number). */
static bool names_divergence_at(const char *text, uint64_t seq)
{
    char needle[64];
    snprintf(needle, sizeof needle, "diverged at seq %" PRIu64, seq);
    for (const char *hit = strstr(text, needle); hit; hit = strstr(hit + 1, needle)) {
        char after = hit[strlen(needle)];
        if (after < '0' || after > '9') return true;
    }
    return false;
}

static void assert_diverges_at(const char *db_path, int64_t run_id, uint64_t seq,
                               const char *what)
{
    struct spawn_result r;
    replay(&r, db_path, run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 4, "%s after %s: expected exit 4, got %s\n"
              "stdout: %s\nstderr: %s", r.cmd, what, spawn_describe(&r, how, sizeof how), r.out,
              r.err);
    cr_assert(names_divergence_at(r.out, seq), "%s after %s: expected 'diverged at seq %"
              PRIu64 "' in:\n%s", r.cmd, what, seq, r.out);
    spawn_result_free(&r);
}

Test(replay, identical_for_several_scenarios_seeds_and_runs_in_one_db)
{
    const char *db_path = tmp_path("many.db");
    struct recorded runs[8];
    size_t count = 0;
    for (uint64_t seed = 1; seed <= 3; seed++)
        runs[count++] = record_run(db_path, source_path(UNRELIABLE), seed, NULL, NULL);
    for (uint64_t seed = 1; seed <= 3; seed++)
        runs[count++] = record_run(db_path, source_path(GOLDEN), seed, NULL, NULL);
    /* clocks that sync, slew, step, take leap seconds, and nodes that pause for GC */
    for (uint64_t seed = 1; seed <= 2; seed++)
        runs[count++] = record_run(db_path, source_path(GOLDEN_CLOCKS), seed, NULL, NULL);
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(runs[i].run_id, (int64_t)i + 1, "run ids are 1, 2, ... in one database");
        assert_identical(db_path, &runs[i], true);
    }
    /* without --run: the newest */
    assert_identical(db_path, &runs[count - 1], false);
}

/* Overrides are stored with the run and applied again on replay. */
Test(replay, identical_with_overrides)
{
    const char *db_path = tmp_path("set.db");
    struct recorded plain = record_run(db_path, source_path(UNRELIABLE), 5, NULL, NULL);
    struct recorded set = record_run(db_path, source_path(UNRELIABLE), 5, "--set",
                                 "node.client.timeout=80ms");
    cr_assert_neq(plain.hash, set.hash, "the override should change the run");
    assert_identical(db_path, &plain, true);
    assert_identical(db_path, &set, true);
}

/* Overrides with spaces and quotes, and the largest seed, survive the round trip. */
Test(replay, identical_with_awkward_overrides_and_the_largest_seed)
{
    const char *db_path = tmp_path("awkward.db");
    const char *const args[] = {"--set", "node.client.arrival=exponential 25ms", "--set",
                                "scenario.description=it's \"quoted\", with, commas", NULL};
    struct recorded rec = record_run_argv(db_path, source_path(UNRELIABLE),
                                          UINT64_C(9223372036854775807), 0, args);
    cr_assert_eq(rec.run_id, 1);
    assert_identical(db_path, &rec, true);
}

/* A run stopped with --stop-at is incomplete: replay is identical for what it recorded.
 * It stops at the end of the step that emits event SEQ (one step may emit a few events at
 * one instant), so it records at least SEQ events and few more. */
Test(replay, run_stopped_at_a_seq_is_identical_so_far)
{
    const char *db_path = tmp_path("stop.db");
    static const char *const stops[] = {"0", "1", "777", "50000"};
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct spawn_result r;
        murphy(&r, "run", source_path(GOLDEN), "--stop-at", stops[i], "--db", db_path, "--quiet",
               NULL);
        cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
        uint64_t seq = strtoull(stops[i], NULL, 10), events = result_events(&r);
        cr_assert(events >= seq && events <= seq + 16, "%s recorded %" PRIu64 " events", r.cmd,
                  events);
        char status[64] = "";
        line_value(r.out, "status", status, sizeof status);
        cr_assert_eq(strncmp(status, "incomplete", 10), 0, "%s: status %s", r.cmd, status);
        spawn_result_free(&r);
        replay(&r, db_path, (int64_t)i + 1);
        cr_assert(r.has_exited && r.exit_code == 0, "%s: %s%s", r.cmd, r.out, r.err);
        char expect[96];
        snprintf(expect, sizeof expect, "identical for all %" PRIu64 " recorded events", events);
        cr_assert_not_null(strstr(r.out, expect), "expected '%s' in\n%s", expect, r.out);
        spawn_result_free(&r);
    }
}

/* The record is not needed beyond itself: replaying from another working directory, with
 * the scenario file gone, still works (the scenario text is in the database). */
Test(replay, identical_after_the_scenario_file_is_gone)
{
    size_t bytes = 0;
    char *text = read_file(source_path(GOLDEN), &bytes);
    cr_assert_not_null(text);
    const char *copy = tmp_path("golden-copy.ini");
    write_file(copy, text, bytes);
    text_free(text);
    const char *db_path = tmp_path("gone.db");
    struct recorded rec = record_run(db_path, copy, 2, NULL, NULL);
    cr_assert_eq(remove(copy), 0);
    assert_identical(db_path, &rec, true);
}

struct perturbation {
    const char *what;
    const char *pick_seq; /* ?1 run id, ?2 the middle seq: which seq K to change */
    const char *update;   /* ?1 run id, ?2 K */
};

static const struct perturbation perturbations[] = {
    {"time_ns + 1", "SELECT ?2",
     "UPDATE events SET time_ns = time_ns + 1 WHERE run_id = ?1 AND seq = ?2"},
    {"arg + 1", "SELECT ?2", "UPDATE events SET arg = arg + 1 WHERE run_id = ?1 AND seq = ?2"},
    {"kind timer -> timer_cancel",
     "SELECT min(seq) FROM events WHERE run_id = ?1 AND seq >= ?2 AND kind = 'timer'",
     "UPDATE events SET kind = 'timer_cancel' WHERE run_id = ?1 AND seq = ?2"},
    {"kind deliver -> send",
     "SELECT min(seq) FROM events WHERE run_id = ?1 AND seq >= ?2 AND kind = 'deliver'",
     "UPDATE events SET kind = 'send' WHERE run_id = ?1 AND seq = ?2"},
    {"obj_id + 1", "SELECT ?2",
     "UPDATE events SET obj_id = obj_id + 1 WHERE run_id = ?1 AND seq = ?2"},
    {"wall_ns - 1",
     "SELECT min(seq) FROM events WHERE run_id = ?1 AND seq >= ?2 AND wall_ns IS NOT NULL",
     "UPDATE events SET wall_ns = wall_ns - 1 WHERE run_id = ?1 AND seq = ?2"},
};

/* Records one run per perturbation (so each change meets a clean record), changes one
 * event at a seq K past the middle and expects replay to name K. */
static void perturb_each(const char *scenario, uint64_t seed)
{
    for (size_t i = 0; i < sizeof perturbations / sizeof perturbations[0]; i++) {
        const struct perturbation *p = &perturbations[i];
        char name[64];
        snprintf(name, sizeof name, "perturb-%zu.db", i);
        const char *db_path = tmp_path(name);
        struct recorded rec = record_run(db_path, scenario, seed, NULL, NULL);
        sqlite3 *db = db_open(db_path, true);
        int64_t k = db_int(db, p->pick_seq, rec.run_id, (int64_t)rec.events / 2);
        cr_assert_gt(k, 0, "%s: no event to change", p->what);
        cr_assert_eq(db_exec(db, p->update, rec.run_id, k), 1, "%s at seq %" PRId64, p->what, k);
        db_close(db);
        char what[160];
        snprintf(what, sizeof what, "%s at seq %" PRId64 " (%s seed %" PRIu64 ")", p->what, k,
                 scenario, seed);
        assert_diverges_at(db_path, rec.run_id, (uint64_t)k, what);
    }
}

Test(replay, one_changed_event_is_named_golden)
{
    perturb_each(source_path(GOLDEN), 1);
    perturb_each(source_path(GOLDEN), 4);
}

Test(replay, one_changed_event_is_named_unreliable_network)
{
    perturb_each(source_path(UNRELIABLE), 2);
}

/* With three runs in one database, changing the middle one touches only it. */
Test(replay, a_change_in_one_run_leaves_the_others_identical)
{
    const char *db_path = tmp_path("three.db");
    struct recorded runs[3];
    for (uint64_t i = 0; i < 3; i++)
        runs[i] = record_run(db_path, source_path(UNRELIABLE), 10 + i, NULL, NULL);
    int64_t k = (int64_t)runs[1].events / 2;
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "UPDATE events SET time_ns = time_ns + 1000 WHERE run_id = ?1 AND seq = ?2",
            runs[1].run_id, k);
    db_close(db);
    assert_identical(db_path, &runs[0], true);
    assert_diverges_at(db_path, runs[1].run_id, (uint64_t)k, "time_ns + 1000 in run 2");
    assert_identical(db_path, &runs[2], true);
}

Test(replay, record_cut_short_diverges_where_it_ends)
{
    const char *db_path = tmp_path("short.db");
    struct recorded rec = record_run(db_path, source_path(GOLDEN), 3, NULL, NULL);
    uint64_t keep = rec.events - 7;
    sqlite3 *db = db_open(db_path, true);
    cr_assert_eq(db_exec(db, "DELETE FROM events WHERE run_id = ?1 AND seq >= ?2", rec.run_id,
                         (int64_t)keep), 7);
    db_close(db);
    assert_diverges_at(db_path, rec.run_id, keep, "deleting the last 7 events of an ok run");
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    cr_assert_not_null(strstr(r.out, "record ends"), "the message should say the record ends:"
                       "\n%s", r.out);
    spawn_result_free(&r);
}

Test(replay, record_cut_short_of_an_incomplete_run_is_identical_so_far)
{
    const char *db_path = tmp_path("incomplete.db");
    struct recorded rec = record_run(db_path, source_path(GOLDEN), 3, NULL, NULL);
    uint64_t keep = rec.events / 3;
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "DELETE FROM events WHERE run_id = ?1 AND seq >= ?2", rec.run_id, (int64_t)keep);
    /* as a run killed at that point looks: never finished, its writer gone */
    db_exec(db, "UPDATE runs SET status = 'running', end_reason = NULL, event_count = NULL,"
            " event_hash = NULL, last_event_rowid = NULL, pid = ?2 WHERE id = ?1", rec.run_id,
            INT64_C(2147483647));
    db_close(db);
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    char expect[96];
    snprintf(expect, sizeof expect, "identical for all %" PRIu64 " recorded events", keep);
    cr_assert_not_null(strstr(r.out, expect), "expected '%s' in:\n%s", expect, r.out);
    spawn_result_free(&r);

    /* the same with the status written as incomplete */
    db = db_open(db_path, true);
    db_exec(db, "UPDATE runs SET status = 'incomplete' WHERE id = ?1", rec.run_id, 0);
    db_close(db);
    replay(&r, db_path, rec.run_id);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    cr_assert_not_null(strstr(r.out, expect), "expected '%s' in:\n%s", expect, r.out);
    spawn_result_free(&r);
}

/* A missing row in the middle: the record no longer has dense seqs; replay must say where
 * (as a divergence or as a damaged record), never crash or claim identity. */
Test(replay, missing_middle_row_is_named)
{
    const char *db_path = tmp_path("hole.db");
    struct recorded rec = record_run(db_path, source_path(GOLDEN), 1, NULL, NULL);
    int64_t k = (int64_t)rec.events / 2;
    sqlite3 *db = db_open(db_path, true);
    cr_assert_eq(db_exec(db, "DELETE FROM events WHERE run_id = ?1 AND seq = ?2", rec.run_id, k),
                 1);
    db_close(db);
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && (r.exit_code == 4 || r.exit_code == 3), "%s: expected exit 4 (or"
              " 3, a damaged record), got %s\n%s%s", r.cmd, spawn_describe(&r, how, sizeof how),
              r.out, r.err);
    char seq_text[32];
    snprintf(seq_text, sizeof seq_text, "seq %" PRId64, k);
    cr_assert(strstr(r.out, seq_text) || strstr(r.err, seq_text), "expected '%s' named in:\n"
              "%s%s", seq_text, r.out, r.err);
    spawn_result_free(&r);
}

Test(replay, changed_hash_diverges)
{
    const char *db_path = tmp_path("hash.db");
    struct recorded rec = record_run(db_path, source_path(GOLDEN), 2, NULL, NULL);
    sqlite3 *db = db_open(db_path, true);
    char fake[32];
    snprintf(fake, sizeof fake, "%016" PRIx64, rec.hash ^ 1);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "UPDATE runs SET event_hash = ?2 WHERE id = ?1", -1, &s,
                                    NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, rec.run_id);
    sqlite3_bind_text(s, 2, fake, -1, SQLITE_TRANSIENT);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    db_close(db);
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 4, "%s: expected exit 4, got %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out);
    cr_assert_not_null(strstr(r.out, fake), "the stored hash %s should be named:\n%s", fake,
                       r.out);
    spawn_result_free(&r);
}

/* Replays with the scenario text as stored; edits to it change the run. */
static void edit_scenario(const char *db_path, int64_t run_id, const char *from, const char *to)
{
    sqlite3 *db = db_open(db_path, true);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "UPDATE runs SET scenario_text ="
                                    " replace(scenario_text, ?2, ?3) WHERE id = ?1"
                                    " AND instr(scenario_text, ?2) > 0", -1, &s, NULL),
                 SQLITE_OK);
    sqlite3_bind_int64(s, 1, run_id);
    sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    cr_assert_eq(sqlite3_changes(db), 1, "the stored text has no '%s'", from);
    db_close(db);
}

Test(replay, edited_scenario_text_diverges)
{
    const char *db_path = tmp_path("edit.db");
    struct recorded rec = record_run(db_path, source_path(UNRELIABLE), 1, NULL, NULL);
    edit_scenario(db_path, rec.run_id, "timeout = 50ms", "timeout = 45ms");
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 4, "%s: expected exit 4, got %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    cr_assert_not_null(strstr(r.out, "diverged at seq"), "should name the first difference:"
                       "\n%s", r.out);
    spawn_result_free(&r);
}

Test(replay, edited_scenario_text_that_no_longer_loads_is_named)
{
    const char *db_path = tmp_path("broken.db");
    struct recorded rec = record_run(db_path, source_path(UNRELIABLE), 1, NULL, NULL);
    edit_scenario(db_path, rec.run_id, "duration = 60s", "duration = sixty");
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 4, "%s: expected exit 4, got %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    cr_assert_not_null(strstr(r.err, "sixty"), "the message should show the bad value:\n%s",
                       r.err);
    cr_assert_not_null(strstr(r.err, "duration"), "the message should name the key:\n%s", r.err);
    spawn_result_free(&r);
}

Test(replay, edited_comment_changes_nothing)
{
    const char *db_path = tmp_path("comment.db");
    struct recorded rec = record_run(db_path, source_path(UNRELIABLE), 1, NULL, NULL);
    edit_scenario(db_path, rec.run_id, "# Look at:", "# Look here, at:");
    assert_identical(db_path, &rec, true);
}

Test(replay, edited_override_diverges)
{
    const char *db_path = tmp_path("override.db");
    struct recorded rec = record_run(db_path, source_path(UNRELIABLE), 1, "--set",
                                 "node.client.timeout=80ms");
    sqlite3 *db = db_open(db_path, true);
    cr_assert_eq(db_exec(db, "UPDATE run_overrides SET text = 'node.client.timeout=70ms'"
                         " WHERE run_id = ?1", rec.run_id, 0), 1);
    db_close(db);
    struct spawn_result r;
    replay(&r, db_path, rec.run_id);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 4, "%s: expected exit 4, got %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    spawn_result_free(&r);
}

Test(replay, unknown_run_id_is_bad_usage)
{
    const char *db_path = tmp_path("one.db");
    record_run(db_path, source_path(GOLDEN), 1, NULL, NULL);
    struct spawn_result r;
    replay(&r, db_path, 99);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 2, "%s: expected exit 2, got %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    cr_assert_not_null(strstr(r.err, "99"), "the message should name run 99:\n%s", r.err);
    spawn_result_free(&r);
}

/* Several writers append to one database at once (WAL, busy timeout): every run is whole
 * and replays identically, although their rows interleave. */
Test(replay, concurrent_writers_to_one_database)
{
    const char *db_path = tmp_path("shared.db");
    enum { WRITERS = 4 };
    struct spawn_child children[WRITERS];
    const char *const args[] = {"--set", "scenario.duration=60s", NULL};
    for (int i = 0; i < WRITERS; i++)
        record_run_start(&children[i], db_path, source_path(UNRELIABLE), 20 + (uint64_t)i, args);
    struct recorded runs[WRITERS];
    for (int i = 0; i < WRITERS; i++) runs[i] = record_run_wait(&children[i], db_path, 0);
    for (int i = 0; i < WRITERS; i++) assert_identical(db_path, &runs[i], true);
}

/* A reader while the writer is still running sees a consistent prefix: replay of the
 * running run is identical for what has been committed so far. */
Test(replay, replay_while_the_run_is_being_written)
{
    const char *db_path = tmp_path("live.db");
    const char *argv[] = {"run", source_path(UNRELIABLE), "--set", "scenario.duration=200s",
                          "--db", db_path, "--quiet", NULL};
    struct spawn_child child;
    cr_assert_eq(spawn_start(&child, NULL, argv), 0);
    /* wait for the first committed batch */
    double start = now_s();
    int64_t committed = 0;
    while (committed == 0) {
        cr_assert_lt(now_s() - start, 120.0, "no events committed within 120 s");
        sleep_ns(20000000);
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *s = NULL;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM events", -1, &s, NULL) == SQLITE_OK &&
                sqlite3_step(s) == SQLITE_ROW)
                committed = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
        sqlite3_close(db);
    }
    struct spawn_result r;
    replay(&r, db_path, 1);
    struct spawn_result done;
    spawn_wait(&child, &done, 300);
    cr_assert(done.has_exited && done.exit_code == 0, "%s: %s", done.cmd, done.err);
    struct recorded rec = {.run_id = 1, .hash = result_hash(&done), .events = result_events(&done)};
    spawn_result_free(&done);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 0, "%s during the run: %s\n%s%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.out, r.err);
    cr_assert(strstr(r.out, "identical for all") || strstr(r.out, "identical:"),
              "replay during the run:\n%s", r.out);
    spawn_result_free(&r);
    assert_identical(db_path, &rec, true);
}
