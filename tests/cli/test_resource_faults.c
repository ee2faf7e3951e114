/* tests/cli/test_resource_faults.c - proves that murphy fails cleanly when the database
 * cannot take what it writes: a full disk (the file capped with the test-only
 * MURPHY_TEST_MAX_PAGES, PRAGMA max_page_count) and a database another writer holds
 * locked. Each time: exit 3, a message naming the file and the cause, and nothing
 * committed before lost (the earlier run still replays identical, the file passes
 * integrity_check), and stdout's `status:` line says `error` and why, as the record does. A
 * read-only file is tested in test_bad_input.c.
 * How: a 5 s run of unreliable-network is recorded first; then a 600 s run (about a
 * million events, ~60 MB) into the same file capped at 60 pages of 64 KiB; then, while
 * this test holds BEGIN IMMEDIATE on the file, another run (the recorder waits its 10 s
 * busy timeout, then gives up), and the same with the lock released after 1 s (liveness:
 * the run waits and succeeds). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

TestSuite(resource_faults, .init = tmp_setup, .fini = tmp_teardown);

static void assert_intact(const char *db_path, const struct recorded *before)
{
    sqlite3 *db = db_open(db_path, true);
    char text[64] = "";
    cr_assert(db_text(db, "PRAGMA integrity_check", 0, text, sizeof text));
    cr_assert_str_eq(text, "ok");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'", 0, 0), 1,
                 "the run recorded before is no longer ok");
    db_close(db);
    assert_replay_identical(db_path, before);
}

Test(resource_faults, disk_full_exits_3_and_keeps_what_was_committed, .timeout = 300)
{
    const char *db_path = tmp_path("full.db");
    struct recorded before = record_run(db_path, "unreliable-network", 1, "--set",
                                        "scenario.duration=5s");
    const char *env[] = {"MURPHY_TEST_MAX_PAGES=60", NULL};
    struct spawn_opts opts = {.env_add = env};
    const char *argv[] = {"run", "unreliable-network", "--seed", "2", "--set",
                          "scenario.duration=600s", "--db", db_path, "--quiet", NULL};
    struct spawn_result r;
    spawn_run(&r, &opts, argv);
    char how[96];
    cr_assert(r.has_exited && r.exit_code == 3, "%s: expected exit 3, got %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    cr_assert_not_null(strstr(r.err, "full.db"), "the message should name the file:\n%s", r.err);
    cr_assert_not_null(strstr(r.err, "full"), "the message should say the disk is full:\n%s",
                       r.err);
    /* stdout tells the same story as the record and the exit status: never `ok` */
    char printed[256] = "";
    cr_assert(line_value(r.out, "status", printed, sizeof printed), "no status line:\n%s", r.out);
    cr_assert_eq(strncmp(printed, "error (recording failed: ", 25), 0,
                 "stdout says 'status: %s'", printed);
    cr_assert_not_null(strstr(printed, "full"), "the status should say why: '%s'", printed);
    spawn_result_free(&r);
    assert_intact(db_path, &before);
    sqlite3 *db = db_open(db_path, false);
    char status[32] = "";
    db_text(db, "SELECT status FROM runs WHERE id = 2", 0, status, sizeof status);
    cr_assert_str_eq(status, "error", "the run that filled the disk reads '%s'", status);
    db_close(db);
    /* the cap is what failed it: uncapped, the same run records */
    spawn_run(&r, NULL, argv);
    assert_exit(&r, 0);
    spawn_result_free(&r);
}

/* Holds the write lock for hold_s, while `murphy run` tries to record. */
static struct spawn_result run_while_locked(const char *db_path, double hold_s)
{
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "BEGIN IMMEDIATE", 0, 0);
    db_exec(db, "INSERT INTO meta VALUES ('test_lock', 'held')", 0, 0);
    const char *argv[] = {"run", "unreliable-network", "--seed", "3", "--set",
                          "scenario.duration=5s", "--db", db_path, "--quiet", NULL};
    struct spawn_child child;
    cr_assert_eq(spawn_start(&child, NULL, argv), 0);
    sleep_ns((int64_t)(hold_s * 1e9));
    db_exec(db, "ROLLBACK", 0, 0);
    db_close(db);
    struct spawn_result r;
    spawn_wait(&child, &r, 300);
    return r;
}

Test(resource_faults, database_locked_by_another_writer, .timeout = 300)
{
    const char *db_path = tmp_path("locked.db");
    struct recorded before = record_run(db_path, "unreliable-network", 1, "--set",
                                        "scenario.duration=5s");
    /* held past the recorder's busy timeout (10 s): it gives up */
    struct spawn_result r = run_while_locked(db_path, 14.0);
    char how[96];
    cr_assert(r.has_exited && r.exit_code == 3, "%s: expected exit 3, got %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    cr_assert_not_null(strstr(r.err, "locked.db"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "locked"), "the message should say it is locked:\n%s",
                       r.err);
    cr_assert_lt(r.elapsed_s, 40.0, "gave up only after %.1f s", r.elapsed_s);
    spawn_result_free(&r);
    assert_intact(db_path, &before);
    /* held for 1 s: the recorder waits and the run is recorded */
    r = run_while_locked(db_path, 1.0);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'", 0, 0), 2);
    db_close(db);
}
