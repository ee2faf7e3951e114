/* tests/plugin/test_lib_resume.c - proves that the model libraries (--model-lib) are part
 * of what a resumed search or sweep must match, as they are part of what a run is a
 * function of (DESIGN.md, the determinism contract), and that `merge` refuses shards run
 * with other libraries. How: with libbroken_models.so (tests/plugin) as one library set
 * and no library as the other,
 * - a search is interrupted (SIGTERM 40% into it, by its own measured time) with the
 *   library; the same search without it runs every seed afresh (no `resumed:`) and leaves
 *   that progress alone; with it, it resumes exactly the seeds stored;
 * - an unfinished sweep (a finished one made unfinished as an interrupt leaves it: rows
 *   deleted, listed in sweep_incomplete) is not resumed without the library and is with
 *   it, and the resumed rows equal an uninterrupted sweep's (hashes from other processes);
 * - two shards, one with and one without the library, do not merge; two with it do;
 * - a record from before sweeps.model_libs gets the column when a sweep writes to it; its
 *   old unfinished sweep reads NULL (unknown) and is not resumed. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SEARCH_SEEDS "1..400"
#define SEARCH_SEED_COUNT 400
#define SWEEP_GRID "node.client.timeout=30ms,50ms"
#define SWEEP_SEEDS "1..3"
#define SWEEP_RUNS 6
#define ROWS_SQL                                                                          \
    "SELECT group_concat(point || ':' || seed || ':' || event_hash || ':' || status, ' ')" \
    " FROM (SELECT * FROM sweep_runs WHERE sweep_id = ?1 ORDER BY point, seed)"

TestSuite(lib_resume, .init = tmp_setup, .fini = tmp_teardown);

/* `murphy search` (with_lib: loading BROKEN_LIB) into db_path; argv is static. */
static const char *const *search_argv(const char *db_path, bool with_lib)
{
    static const char *argv[16];
    size_t n = 0;
    const char *fixed[] = {"search", "unreliable-network", "--set", "scenario.duration=20s",
                           "--seeds", SEARCH_SEEDS, "--db"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[n++] = fixed[i];
    argv[n++] = db_path;
    if (with_lib) {
        argv[n++] = "--model-lib";
        argv[n++] = BROKEN_LIB;
    }
    argv[n] = NULL;
    return argv;
}

static const char *const *sweep_argv(const char *db_path, bool with_lib, const char *shard)
{
    static const char *argv[20];
    size_t n = 0;
    const char *fixed[] = {"sweep", "unreliable-network", "--set", SWEEP_GRID, "--set",
                           "scenario.duration=10s", "--seeds", SWEEP_SEEDS, "--quiet", "--db"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[n++] = fixed[i];
    argv[n++] = db_path;
    if (shard) {
        argv[n++] = "--shard";
        argv[n++] = shard;
    }
    if (with_lib) {
        argv[n++] = "--model-lib";
        argv[n++] = BROKEN_LIB;
    }
    argv[n] = NULL;
    return argv;
}

/* "resumed: K of N done": K (0 without the line), N into *total. */
static size_t resumed_count(const char *out, size_t *total)
{
    size_t done = 0;
    *total = 0;
    const char *line = strstr(out, "resumed: ");
    if (!line || sscanf(line, "resumed: %zu of %zu done", &done, total) != 2) return 0;
    return done;
}

static int64_t progress_seeds(const char *db_path)
{
    sqlite3 *db = db_open(db_path, false);
    int64_t n = db_int(db, "SELECT count(*) FROM search_progress_seeds", 0, 0);
    db_close(db);
    return n;
}

/* Runs argv to the end expecting exit 0; returns how many it said it resumed. */
static size_t run_resumed(const char *const *argv, size_t expected_total)
{
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    assert_exit(&r, 0);
    size_t total = 0, done = resumed_count(r.out, &total);
    if (done) cr_assert_eq(total, expected_total, "%s", r.out);
    spawn_result_free(&r);
    return done;
}

Test(lib_resume, a_search_resumes_only_with_the_same_libraries, .timeout = 600)
{
    /* the uninterrupted search's own time sets when the interrupt comes */
    struct spawn_result r;
    spawn_run(&r, NULL, search_argv(tmp_path("reference.db"), true));
    assert_exit(&r, 0);
    const char *line = strstr(r.out, " failing, ");
    double searching_s = 0;
    cr_assert(line && (line = strchr(line, '(')) &&
                  sscanf(line, "(%lf s searching", &searching_s) == 1, "%s", r.out);
    spawn_result_free(&r);

    const char *db_path = tmp_path("search.db");
    struct spawn_child child;
    cr_assert_eq(spawn_start(&child, NULL, search_argv(db_path, true)), 0);
    double start = now_s();
    for (;;) { /* "murphy: searching" comes once the scenario and library are loaded */
        char *err = read_file(child.err_path, NULL);
        bool is_searching = err && strstr(err, "murphy: searching");
        text_free(err);
        if (is_searching) break;
        cr_assert_lt(now_s() - start, 60.0, "the search did not start");
        sleep_ns(1000000);
    }
    sleep_ns((int64_t)(searching_s * 0.4e9));
    cr_assert_eq(kill(child.pid, SIGTERM), 0);
    spawn_wait(&child, &r, 300);
    char how[96];
    cr_assert(r.has_exited && r.exit_code == 143, "%s: %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    spawn_result_free(&r);
    int64_t stored = progress_seeds(db_path);
    cr_assert(stored > 0 && stored < SEARCH_SEED_COUNT, "stored %" PRId64 " seeds", stored);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM search_progress"
                                 " WHERE instr(program_version, ?2) > 0", 0,
                             "libbroken_models.so", NULL), 1,
                 "the stored key does not name the library");
    db_close(db);

    /* without the library: another key, every seed runs, the stored progress stays */
    cr_assert_eq(run_resumed(search_argv(db_path, false), SEARCH_SEED_COUNT), 0,
                 "a search without the library reused the progress of one with it");
    cr_assert_eq(progress_seeds(db_path), stored);
    /* with it: exactly the stored seeds are taken, then the progress is cleared */
    size_t done = run_resumed(search_argv(db_path, true), SEARCH_SEED_COUNT);
    cr_assert_eq((int64_t)done, stored, "resumed %zu, stored %" PRId64, done, stored);
    cr_assert_eq(progress_seeds(db_path), 0);
}

/* Makes sweep 1 of db_path look as an interrupt leaves it: its last `keep_out` rows gone
 * and the sweep listed as unfinished. */
static void make_unfinished(const char *db_path, int64_t keep_out)
{
    sqlite3 *db = db_open(db_path, true);
    cr_assert_gt(db_exec(db, "DELETE FROM sweep_metrics WHERE (point, seed) IN (SELECT point,"
                             " seed FROM sweep_runs ORDER BY point DESC, seed DESC LIMIT ?1)",
                         keep_out, 0), 0);
    cr_assert_eq(db_exec(db, "DELETE FROM sweep_runs WHERE rowid IN (SELECT rowid FROM"
                             " sweep_runs ORDER BY point DESC, seed DESC LIMIT ?1)",
                         keep_out, 0), keep_out);
    db_exec(db, "INSERT INTO sweep_incomplete VALUES (1)", 0, 0);
    db_close(db);
}

static char *rows_of(const char *db_path, int64_t sweep_id)
{
    sqlite3 *db = db_open(db_path, false);
    char text[4096] = "";
    cr_assert(db_text(db, ROWS_SQL, sweep_id, text, sizeof text));
    db_close(db);
    return strdup(text);
}

Test(lib_resume, a_sweep_resumes_only_with_the_same_libraries, .timeout = 600)
{
    const char *reference = tmp_path("reference.db");
    cr_assert_eq(run_resumed(sweep_argv(reference, true, NULL), SWEEP_RUNS), 0);
    char *expected = rows_of(reference, 1);
    const char *db_path = tmp_path("sweep.db");
    cr_assert_eq(run_resumed(sweep_argv(db_path, true, NULL), SWEEP_RUNS), 0);
    make_unfinished(db_path, 4);
    sqlite3 *db = db_open(db_path, false);
    char libs[1024] = "";
    cr_assert(db_text(db, "SELECT model_libs FROM sweeps WHERE id = 1", 0, libs, sizeof libs));
    cr_assert_not_null(strstr(libs, "libbroken_models.so "), "model_libs: '%s'", libs);
    cr_assert_eq(strlen(strchr(libs, ' ') + 1), 64 + 1, "not PATH SHA256: '%s'", libs);
    db_close(db);

    cr_assert_eq(run_resumed(sweep_argv(db_path, false, NULL), SWEEP_RUNS), 0,
                 "a sweep without the library resumed one with it");
    size_t done = run_resumed(sweep_argv(db_path, true, NULL), SWEEP_RUNS);
    cr_assert_eq(done, SWEEP_RUNS - 4);
    db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweeps", 0, 0), 2);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_incomplete", 0, 0), 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweeps WHERE id = 2 AND model_libs = ''",
                        0, 0), 1);
    db_close(db);
    char *resumed = rows_of(db_path, 1);
    cr_assert_str_eq(resumed, expected, "the resumed sweep's rows differ");
    free(resumed);
    free(expected);
}

Test(lib_resume, merge_refuses_shards_run_with_other_libraries, .timeout = 600)
{
    const char *with_1 = tmp_path("with1.db"), *with_2 = tmp_path("with2.db");
    const char *without_2 = tmp_path("without2.db");
    run_resumed(sweep_argv(with_1, true, "1/2"), SWEEP_RUNS);
    run_resumed(sweep_argv(with_2, true, "2/2"), SWEEP_RUNS);
    run_resumed(sweep_argv(without_2, false, "2/2"), SWEEP_RUNS);
    struct spawn_result r;
    murphy(&r, "merge", tmp_path("bad.db"), with_1, without_2, NULL);
    assert_exit(&r, 2);
    cr_assert_not_null(strstr(r.err, "other model libraries"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "libbroken_models.so"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "ran with no model libraries"), "%s", r.err);
    spawn_result_free(&r);
    /* liveness: the same shards with the same library merge, all runs there */
    const char *merged = tmp_path("merged.db");
    murphy(&r, "merge", merged, with_1, with_2, NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    sqlite3 *db = db_open(merged, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs", 0, 0), SWEEP_RUNS);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM sweeps WHERE instr(model_libs, ?2) > 0",
                             0, "libbroken_models.so", NULL), 1);
    db_close(db);
}

Test(lib_resume, an_older_record_gets_the_column_and_its_sweeps_read_unknown, .timeout = 600)
{
    const char *db_path = tmp_path("old.db");
    cr_assert_eq(run_resumed(sweep_argv(db_path, false, NULL), SWEEP_RUNS), 0);
    make_unfinished(db_path, 3);
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "ALTER TABLE sweeps DROP COLUMN model_libs", 0, 0); /* as before the column */
    db_close(db);
    /* read-only readers cope: plot/merge read the old sweep (finished or not: merge says) */
    struct spawn_result r;
    murphy(&r, "merge", tmp_path("m.db"), db_path, NULL);
    assert_exit(&r, 2);
    cr_assert_not_null(strstr(r.err, "unfinished"), "%s", r.err);
    spawn_result_free(&r);
    /* not resumed (its libraries are unknown): a new sweep, and the column is added */
    cr_assert_eq(run_resumed(sweep_argv(db_path, false, NULL), SWEEP_RUNS), 0);
    db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM pragma_table_info('sweeps')"
                            " WHERE name = 'model_libs'", 0, 0), 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweeps WHERE id = 1 AND model_libs IS NULL",
                        0, 0), 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweeps WHERE id = 2 AND model_libs = ''", 0,
                        0), 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs WHERE sweep_id = 2", 0, 0),
                 SWEEP_RUNS);
    char text[32] = "";
    cr_assert(db_text(db, "PRAGMA integrity_check", 0, text, sizeof text));
    cr_assert_str_eq(text, "ok");
    db_close(db);
}
