/* tests/cli/test_kill_sweep.c - proves that sweeps, searches and merges survive being
 * killed, and that an interrupted sweep or search resumes: SIGKILL at moments from a
 * fixed list and from a fixed seed (start-up, the first rows' commits, the middle, the
 * recording of failing seeds, merge's one transaction) leaves every database passing
 * `PRAGMA integrity_check`; no killed run reads `ok`; each killed run's events are a
 * prefix (seq, time_ns, node, kind, obj_id) of the same run recorded uninterrupted; the
 * rows a killed sweep stored equal the uninterrupted sweep's; and the same command run
 * again ends with the uninterrupted table. SIGINT and SIGTERM end a sweep or search with
 * 128+N after its current run, and the re-run prints "resumed: K of N done" with
 * 0 < K < N and runs only the rest.
 * How: the uninterrupted sweep (2 points x 5 seeds of unreliable-network, 40 s each,
 * --full so that runs are recorded too) and search (chaos, 60 s, seeds 1..10, --keep 4)
 * are the references; each kill gets a fresh database. */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "spawn.h"

#define SWEEP_GRID "node.client.timeout=30ms,50ms"
#define SWEEP_SET "scenario.duration=40s"
#define SWEEP_SEEDS "1..5"
#define SWEEP_RUNS 10
#define SWEEP_KILLS 14 /* + 15 searches + 12 merges + test_kill's 20 runs: 61 SIGKILLs */
#define SEARCH_SET "scenario.duration=60s"
#define SEARCH_SEEDS "1..10"
#define SEARCH_SEED_COUNT 10
#define KILL_SEED 4343
#define ROWS_SQL                                                                         \
    "SELECT group_concat(point || ':' || seed || ':' || event_hash || ':' || status ||    \
    ':' || event_count, ' ') FROM (SELECT * FROM sweep_runs ORDER BY point, seed)"
#define METRICS_SQL                                                                      \
    "SELECT group_concat(point || ':' || seed || ':' || ord || ':' || name || '=' ||"   \
    " printf('%!.17g', value), ' ') FROM (SELECT * FROM sweep_metrics"                  \
    " ORDER BY point, seed, ord)"

TestSuite(kill_sweep, .init = tmp_setup, .fini = tmp_teardown);

static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static const char *const *sweep_argv(const char *db_path, const char *jobs)
{
    static const char *argv[20];
    size_t n = 0;
    const char *fixed[] = {"sweep", "unreliable-network", "--set", SWEEP_GRID, "--set",
                           SWEEP_SET, "--seeds", SWEEP_SEEDS, "--full", "--db"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[n++] = fixed[i];
    argv[n++] = db_path;
    argv[n++] = "--jobs";
    argv[n++] = jobs;
    argv[n] = NULL;
    return argv;
}

static const char *const *search_argv(const char *db_path)
{
    static const char *argv[16];
    size_t n = 0;
    const char *fixed[] = {"search", "chaos", "--set", SEARCH_SET, "--seeds", SEARCH_SEEDS,
                           "--keep", "4", "--db"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) argv[n++] = fixed[i];
    argv[n++] = db_path;
    argv[n] = NULL;
    return argv;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool table_exists(sqlite3 *db, const char *name)
{
    return db_int_text(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                           " AND name = ?2", 0, name, NULL) > 0;
}

static void assert_integrity(const char *db_path, const char *what)
{
    sqlite3 *db = db_open(db_path, true); /* a writer rolls back a hot journal */
    char text[256] = "";
    cr_assert(db_text(db, "PRAGMA integrity_check", 0, text, sizeof text), "%s: no answer", what);
    cr_assert_str_eq(text, "ok", "%s: integrity_check says %s", what, text);
    db_close(db);
}

/* The text of sql's first column, malloc'd ("" when NULL or no row). */
static char *all_text(sqlite3 *db, const char *sql)
{
    static char text[1 << 20];
    if (!db_text(db, sql, 0, text, sizeof text)) text[0] = '\0';
    char *copy = strdup(text);
    cr_assert_not_null(copy);
    return copy;
}

/* Compares run `killed_id` of killed with run `ref_id` of reference, event by event;
 * returns how many events the killed one has. */
static uint64_t assert_prefix(sqlite3 *killed, int64_t killed_id, sqlite3 *reference,
                              int64_t ref_id, const char *what)
{
    static const char sql[] = "SELECT seq, time_ns, node, kind, obj_id FROM events"
                              " WHERE run_id = ?1 ORDER BY rowid";
    sqlite3_stmt *k = NULL, *r = NULL;
    cr_assert_eq(sqlite3_prepare_v2(killed, sql, -1, &k, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(reference, sql, -1, &r, NULL), SQLITE_OK);
    sqlite3_bind_int64(k, 1, killed_id);
    sqlite3_bind_int64(r, 1, ref_id);
    uint64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(k)) == SQLITE_ROW) {
        cr_assert_eq(sqlite3_step(r), SQLITE_ROW, "%s: run %" PRId64 " has more events than"
                     " the uninterrupted run", what, killed_id);
        cr_assert_eq(sqlite3_column_int64(k, 0), (int64_t)rows, "%s: seqs not dense", what);
        for (int col = 1; col < 5; col++) {
            const unsigned char *a = sqlite3_column_text(k, col), *b = sqlite3_column_text(r, col);
            cr_assert((!a && !b) || (a && b && strcmp((const char *)a, (const char *)b) == 0),
                      "%s: run %" PRId64 " seq %" PRIu64 " column %d is '%s', uninterrupted"
                      " '%s'", what, killed_id, rows, col, a, b);
        }
        rows++;
    }
    cr_assert_eq(rc, SQLITE_DONE, "%s: %s", what, sqlite3_errmsg(killed));
    sqlite3_finalize(k);
    sqlite3_finalize(r);
    return rows;
}

/* Every run of a killed database against the reference run with the same seed and
 * overrides: one that ended must equal it (event count and hash), one that did not must
 * not read `ok` and must be its prefix. Returns the number of unfinished runs. */
static size_t check_runs(const char *db_path, const char *reference_path, const char *what)
{
    sqlite3 *db = db_open(db_path, false), *ref = db_open(reference_path, false);
    size_t unfinished = 0;
    if (!table_exists(db, "runs")) {
        db_close(db);
        db_close(ref);
        return 0;
    }
    int64_t runs = db_int(db, "SELECT count(*) FROM runs", 0, 0);
    for (int64_t id = 1; id <= runs; id++) {
        char status[32] = "", seed[32] = "", overrides[512] = "";
        db_text(db, "SELECT status FROM runs WHERE id = ?1", id, status, sizeof status);
        db_text(db, "SELECT seed FROM runs WHERE id = ?1", id, seed, sizeof seed);
        db_text(db, "SELECT overrides FROM runs WHERE id = ?1", id, overrides, sizeof overrides);
        int64_t ref_id = db_int_text(ref, "SELECT coalesce(max(id), 0) FROM runs WHERE"
                                          " seed = ?2 AND overrides = ?3", 0, seed, overrides);
        cr_assert_gt(ref_id, 0, "%s: run %" PRId64 " (seed %s) has no uninterrupted twin", what,
                     id, seed);
        if (strcmp(status, "running") == 0 || strcmp(status, "incomplete") == 0) {
            unfinished++;
            assert_prefix(db, id, ref, ref_id, what);
            continue;
        }
        cr_assert_str_neq(status, "error", "%s: run %" PRId64, what, id);
        cr_assert_eq(db_int(db, "SELECT event_count FROM runs WHERE id = ?1", id, 0),
                     db_int(ref, "SELECT event_count FROM runs WHERE id = ?1", ref_id, 0),
                     "%s: finished run %" PRId64 " differs from the uninterrupted one", what, id);
        char h1[32] = "", h2[32] = "";
        db_text(db, "SELECT event_hash FROM runs WHERE id = ?1", id, h1, sizeof h1);
        db_text(ref, "SELECT event_hash FROM runs WHERE id = ?1", ref_id, h2, sizeof h2);
        cr_assert_str_eq(h1, h2, "%s: run %" PRId64 " hash", what, id);
    }
    db_close(db);
    db_close(ref);
    return unfinished;
}

/* The rows a (killed) sweep stored are rows of the uninterrupted sweep, metrics and all;
 * returns how many. */
static size_t check_sweep_rows(const char *db_path, const char *reference_path,
                               const char *what)
{
    sqlite3 *db = db_open(db_path, false);
    if (!table_exists(db, "sweep_runs")) {
        db_close(db);
        return 0;
    }
    sqlite3 *ref = db_open(reference_path, false);
    size_t rows = (size_t)db_int(db, "SELECT count(*) FROM sweep_runs", 0, 0);
    char *mine = all_text(db, ROWS_SQL), *all = all_text(ref, ROWS_SQL);
    char *my_metrics = all_text(db, METRICS_SQL), *all_metrics = all_text(ref, METRICS_SQL);
    /* each stored row and metric appears in the reference's list */
    char *save = NULL;
    for (char *tok = strtok_r(mine, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        cr_assert_not_null(strstr(all, tok), "%s: stored row %s is not the uninterrupted"
                           " sweep's", what, tok);
    for (char *tok = strtok_r(my_metrics, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
        cr_assert_not_null(strstr(all_metrics, tok), "%s: stored metric %s differs", what, tok);
    free(mine);
    free(all);
    free(my_metrics);
    free(all_metrics);
    db_close(db);
    db_close(ref);
    return rows;
}

/* The table part of a sweep's stdout: after any `resumed:` line, before `runs:`. */
static char *table_of(const char *out)
{
    if (strncmp(out, "resumed: ", 9) == 0) out = strchr(out, '\n') + 1;
    const char *end = strstr(out, "\nruns: ");
    cr_assert(end, "no runs: line in\n%s", out);
    char *t = strndup(out, (size_t)(end - out));
    cr_assert(t);
    return t;
}

static size_t resumed_count(const char *out, size_t *total)
{
    size_t done = 0;
    *total = 0;
    const char *line = strstr(out, "resumed: ");
    if (!line || sscanf(line, "resumed: %zu of %zu done", &done, total) != 2) return 0;
    return done;
}

static struct spawn_result reference_sweep(const char *db_path)
{
    struct spawn_result r;
    spawn_run(&r, NULL, sweep_argv(db_path, "1"));
    assert_exit(&r, 0);
    return r;
}

/* Starts argv in a process group of its own, sends signo after delay_ns (0: at once) to
 * the whole group when is_group (as a crash of the machine or the OOM killer of a
 * cgroup would: workers included) or else to murphy alone, and returns how it ended.
 * Waits until no process of the group is left, so nothing writes while it is checked. */
static struct spawn_result kill_after(const char *const *argv, int signo, int64_t delay_ns,
                                      bool is_group)
{
    struct spawn_child child;
    struct spawn_opts opts = {.is_group_leader = true};
    cr_assert_eq(spawn_start(&child, &opts, argv), 0, "spawn: %s", strerror(errno));
    if (delay_ns > 0) sleep_ns(delay_ns);
    cr_assert_eq(kill(is_group ? -child.pid : child.pid, signo), 0);
    struct spawn_result r;
    spawn_wait(&child, &r, 300);
    double start = now_s();
    while (kill(-child.pid, 0) == 0) {
        cr_assert_lt(now_s() - start, 60.0, "workers of %s outlived it by 60 s", r.cmd);
        sleep_ns(1000000);
    }
    return r;
}

/* Rows the sweep has committed so far (0 while the file or table is not there yet); read
 * with SQLite's own C API without the test helpers' asserts, since the writer is busy. */
static int64_t rows_committed(const char *db_path)
{
    sqlite3 *db = NULL;
    int64_t rows = 0;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sweep_runs", -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW)
            rows = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return rows;
}

/* As kill_after, but the moment is when the sweep has committed `rows` rows (or it ended):
 * a kill inside the sweep whatever this machine's speed; then_ns later, to land inside a
 * run rather than just after a commit. */
static struct spawn_result kill_at_rows(const char *const *argv, const char *db_path,
                                        int64_t rows, int64_t then_ns, bool is_group)
{
    struct spawn_child child;
    struct spawn_opts opts = {.is_group_leader = true};
    cr_assert_eq(spawn_start(&child, &opts, argv), 0, "spawn: %s", strerror(errno));
    double start = now_s();
    for (;;) {
        siginfo_t info = {0};
        /* WNOWAIT: look without reaping, spawn_wait collects it */
        bool has_ended = waitid(P_PID, (id_t)child.pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                         info.si_pid == child.pid;
        if (has_ended || now_s() - start > 120) break;
        if (rows_committed(db_path) >= rows) {
            sleep_ns(then_ns); /* into the next run, wherever it is */
            break;
        }
        sleep_ns(200000);
    }
    kill(is_group ? -child.pid : child.pid, SIGKILL); /* it may have ended: then nothing */
    struct spawn_result r;
    spawn_wait(&child, &r, 300);
    while (kill(-child.pid, 0) == 0) {
        cr_assert_lt(now_s() - start, 180.0, "workers of %s outlived it", r.cmd);
        sleep_ns(1000000);
    }
    return r;
}

/* Re-runs a killed sweep with the same command: it must end with the uninterrupted
 * table and rows. Returns how many runs it found done. */
static size_t resume_sweep(const char *db_path, const char *reference_path,
                           const char *reference_table, const char *what)
{
    struct spawn_result r;
    spawn_run(&r, NULL, sweep_argv(db_path, "1"));
    cr_assert(r.has_exited && r.exit_code == 0, "%s: resuming: %s\n%s", what, r.cmd, r.err);
    size_t total = 0, done = resumed_count(r.out, &total);
    if (done) cr_assert_eq(total, SWEEP_RUNS, "%s: %s", what, r.out);
    char *table = table_of(r.out);
    cr_assert_str_eq(table, reference_table, "%s: the resumed sweep's table differs", what);
    free(table);
    cr_assert_eq(check_sweep_rows(db_path, reference_path, what), SWEEP_RUNS, "%s", what);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_incomplete", 0, 0), 0,
                 "%s: the resumed sweep is still marked unfinished", what);
    /* the resumed sweep continued the same sweeps row, so merge sees it whole */
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweeps", 0, 0), 1, "%s", what);
    db_close(db);
    spawn_result_free(&r);
    return done;
}

Test(kill_sweep, sigkill_during_a_sweep_then_resume, .timeout = 900)
{
    const char *reference = tmp_path("reference.db");
    struct spawn_result ref = reference_sweep(reference);
    char *reference_table = table_of(ref.out);
    double full_s = ref.elapsed_s;
    spawn_result_free(&ref);
    /* start-up moments, then moments inside the sweep: after a drawn number of its rows
       is committed (1 .. SWEEP_RUNS - 1), so that fast and slow machines both kill it
       halfway; the moment within that run is wherever the poll finds it */
    (void)full_s;
    int64_t delays[SWEEP_KILLS] = {0, 1000000, 3000000, 8000000, 20000000};
    int64_t at_rows[SWEEP_KILLS] = {0}, then_ns[SWEEP_KILLS] = {0};
    uint64_t state = KILL_SEED;
    for (size_t i = 5; i < SWEEP_KILLS; i++) {
        at_rows[i] = 1 + (int64_t)(next_random(&state) % (SWEEP_RUNS - 1));
        then_ns[i] = (int64_t)(next_random(&state) % 60000000u); /* 0 .. 60 ms */
    }
    size_t with_rows = 0, with_unfinished = 0, resumed_some = 0;
    for (size_t i = 0; i < SWEEP_KILLS; i++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "sweep-%02zu.db", i);
        if (at_rows[i])
            snprintf(what, sizeof what, "sweep SIGKILL after %lld rows", (long long)at_rows[i]);
        else
            snprintf(what, sizeof what, "sweep SIGKILL after %.1f ms", (double)delays[i] / 1e6);
        const char *db_path = tmp_path(name);
        /* every other one with two workers, the whole group killed */
        bool is_jobs = i % 2;
        const char *const *argv = sweep_argv(db_path, is_jobs ? "2" : "1");
        struct spawn_result r = at_rows[i] ? kill_at_rows(argv, db_path, at_rows[i], then_ns[i],
                                                          is_jobs)
                                           : kill_after(argv, SIGKILL, delays[i], is_jobs);
        char how[96];
        /* a late moment on a fast machine may find the sweep done: then it is whole */
        cr_assert((r.has_signal && r.signo == SIGKILL) || (r.has_exited && r.exit_code == 0),
                  "%s: %s", what, spawn_describe(&r, how, sizeof how));
        bool has_finished = r.has_exited;
        spawn_result_free(&r);
        if (!file_exists(db_path)) continue;
        assert_integrity(db_path, what);
        with_unfinished += check_runs(db_path, reference, what) > 0;
        size_t rows = check_sweep_rows(db_path, reference, what);
        with_rows += rows > 0;
        /* a sweep that ended before the signal, or stored its last rows and was killed on
           its way out, is whole: running it again is a new sweep, not a resume */
        if (!has_finished && rows == SWEEP_RUNS) {
            sqlite3 *db = db_open(db_path, false);
            has_finished = db_int(db, "SELECT count(*) FROM sweep_incomplete", 0, 0) == 0;
            db_close(db);
        }
        if (has_finished) {
            cr_assert_eq(rows, SWEEP_RUNS, "%s: ended but not whole", what);
            continue;
        }
        resumed_some += resume_sweep(db_path, reference, reference_table, what) > 0;
    }
    free(reference_table);
    cr_log_info("sweep kills: %zu stored rows, %zu left an unfinished run, %zu resumed some",
                with_rows, with_unfinished, resumed_some);
    /* liveness floor: the kills landed inside the sweep, not only before or after it */
    cr_assert_geq(with_unfinished, 3, "only %zu kills caught a run being recorded",
                  with_unfinished);
    cr_assert_geq(resumed_some, 3, "only %zu re-runs resumed stored rows", resumed_some);
}

/* The search's stdout without what depends on the database or the clock. */
static char *search_findings(const char *out)
{
    size_t bytes = strlen(out) + 1;
    char *kept = malloc(bytes), *copy = strdup(out);
    cr_assert(kept && copy);
    kept[0] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "  run: ", 7) == 0 || strncmp(line, "resumed: ", 9) == 0 ||
            strncmp(line, "recorded: ", 10) == 0)
            continue;
        char *tail = strstr(line, " failing, ");
        if (strncmp(line, "search: ", 8) == 0 && tail) tail[8] = '\0'; /* no seeds/s */
        strcat(kept, line);
        strcat(kept, "\n");
    }
    free(copy);
    return kept;
}

Test(kill_sweep, sigkill_during_a_search, .timeout = 900)
{
    const char *reference = tmp_path("reference.db");
    struct spawn_result ref;
    spawn_run(&ref, NULL, search_argv(reference));
    assert_exit(&ref, 1);
    char *findings = search_findings(ref.out);
    double full_s = ref.elapsed_s;
    spawn_result_free(&ref);
    sqlite3 *db = db_open(reference, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'violated'", 0, 0), 4,
                 "the reference should record 4 failing seeds (--keep 4)");
    db_close(db);
    int64_t delays[12] = {0, 2000000, 10000000};
    uint64_t state = KILL_SEED + 1;
    for (size_t i = 3; i < 12; i++)
        delays[i] = (int64_t)(next_random(&state) % (uint64_t)(full_s * 0.8e9));
    size_t with_unfinished = 0, with_db = 0;
    for (size_t i = 0; i < 12; i++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "search-%02zu.db", i);
        snprintf(what, sizeof what, "search SIGKILL after %.1f ms", (double)delays[i] / 1e6);
        const char *db_path = tmp_path(name);
        struct spawn_result r = kill_after(search_argv(db_path), SIGKILL, delays[i], false);
        char how[96];
        cr_assert((r.has_signal && r.signo == SIGKILL) || (r.has_exited && r.exit_code == 1),
                  "%s: %s", what, spawn_describe(&r, how, sizeof how));
        spawn_result_free(&r);
        if (file_exists(db_path)) {
            with_db++;
            assert_integrity(db_path, what);
            with_unfinished += check_runs(db_path, reference, what) > 0;
        }
        /* again with the same command: the same findings (SIGKILL keeps no progress) */
        spawn_run(&r, NULL, search_argv(db_path));
        assert_exit(&r, 1);
        char *again = search_findings(r.out);
        cr_assert_str_eq(again, findings, "%s: the re-run found otherwise", what);
        free(again);
        spawn_result_free(&r);
        assert_integrity(db_path, what);
    }
    /* moments anchored to the first recorded run (whatever the machine's speed): inside
     * the recording of the failing seeds, which takes a few ms each on a fast machine */
    for (size_t i = 0; i < 5; i++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "anchored-%zu.db", i);
        const char *db_path = tmp_path(name);
        int64_t extra_ns = (int64_t)(next_random(&state) % UINT64_C(4000000));
        snprintf(what, sizeof what, "search SIGKILL %.1f ms into recording",
                 (double)extra_ns / 1e6);
        struct spawn_child child;
        cr_assert_eq(spawn_start(&child, NULL, search_argv(db_path)), 0);
        double start = now_s();
        for (bool has_run = false; !has_run;) {
            sqlite3 *poll_db = NULL;
            if (sqlite3_open_v2(db_path, &poll_db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
                sqlite3_stmt *st = NULL;
                has_run = sqlite3_prepare_v2(poll_db, "SELECT count(*) FROM events", -1, &st,
                                             NULL) == SQLITE_OK &&
                          sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
                sqlite3_finalize(st);
            }
            sqlite3_close(poll_db);
            cr_assert_lt(now_s() - start, 120.0, "%s: nothing recorded in 120 s", what);
            if (!has_run) sleep_ns(500000);
        }
        sleep_ns(extra_ns);
        cr_assert_eq(kill(child.pid, SIGKILL), 0);
        struct spawn_result r;
        spawn_wait(&child, &r, 300);
        spawn_result_free(&r);
        assert_integrity(db_path, what);
        with_unfinished += check_runs(db_path, reference, what) > 0;
    }
    free(findings);
    cr_log_info("search kills: %zu left a database, %zu an unfinished run", with_db,
                with_unfinished);
    cr_assert_geq(with_unfinished, 2, "only %zu kills caught a failing seed being recorded",
                  with_unfinished);
}

/* merge writes the merged sweep in one transaction: a kill leaves none of it or all of
 * it, and what OUT.db held before (a recorded run) is untouched. */
Test(kill_sweep, sigkill_during_merge, .timeout = 900)
{
    const char *shard[2] = {tmp_path("shard1.db"), tmp_path("shard2.db")};
    const char *whole = tmp_path("whole.db");
    struct spawn_result r;
    for (int k = 0; k < 2; k++) {
        murphy(&r, "sweep", "unreliable-network", "--set", SWEEP_GRID, "--set",
               "scenario.duration=1s", "--seeds", "1..150", "--shard", k ? "2/2" : "1/2",
               "--db", shard[k], "--quiet", NULL);
        assert_exit(&r, 0);
        spawn_result_free(&r);
    }
    murphy(&r, "merge", whole, shard[0], shard[1], NULL);
    assert_exit(&r, 0);
    char *table = table_of(r.out);
    double merge_s = r.elapsed_s;
    spawn_result_free(&r);
    int64_t delays[12] = {0, 500000, 1000000, 2000000, 4000000};
    uint64_t state = KILL_SEED + 2;
    for (size_t i = 5; i < 12; i++)
        delays[i] = (int64_t)(next_random(&state) % (uint64_t)(merge_s * 1.2e9 + 1));
    size_t none = 0, all = 0;
    for (size_t i = 0; i < 12; i++) {
        char name[32], what[96];
        snprintf(name, sizeof name, "out-%02zu.db", i);
        snprintf(what, sizeof what, "merge SIGKILL after %.2f ms", (double)delays[i] / 1e6);
        const char *out = tmp_path(name);
        struct recorded before = record_run(out, "unreliable-network", 7, "--set",
                                            "scenario.duration=2s");
        const char *argv[] = {"merge", out, shard[0], shard[1], NULL};
        struct spawn_result k = kill_after(argv, SIGKILL, delays[i], false);
        bool was_killed = k.has_signal && k.signo == SIGKILL;
        cr_assert(was_killed || (k.has_exited && k.exit_code == 0), "%s: %s", what, k.err);
        spawn_result_free(&k);
        assert_integrity(out, what);
        sqlite3 *db = db_open(out, false);
        int64_t sweeps = table_exists(db, "sweeps") ? db_int(db, "SELECT count(*) FROM sweeps",
                                                             0, 0) : 0;
        cr_assert(sweeps == 0 || sweeps == 1, "%s: %" PRId64 " sweeps", what, sweeps);
        if (sweeps) {
            cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs", 0, 0), 300,
                         "%s: a partly merged sweep", what);
            all++;
        } else {
            none++;
        }
        db_close(db);
        assert_replay_identical(out, &before); /* what was committed before survived */
        /* and merging again (the killed merge left nothing, or one whole sweep) works */
        murphy(&r, "merge", out, shard[0], shard[1], NULL);
        assert_exit(&r, 0);
        char *again = table_of(r.out);
        cr_assert_str_eq(again, table, "%s: merged again, the table differs", what);
        free(again);
        spawn_result_free(&r);
    }
    free(table);
    cr_log_info("merge kills: %zu left nothing merged, %zu the whole sweep", none, all);
    cr_assert_geq(none, 1, "no kill landed before merge committed");
}

/* SIGINT or SIGTERM to a sweep (with two workers: the parent forwards it): it ends after
 * the current runs with 128+N, marked unfinished, and the same command resumes it. */
static void interrupt_sweep(int signo, const char *jobs)
{
    const char *reference = tmp_path("reference.db");
    struct spawn_result ref = reference_sweep(reference);
    char *reference_table = table_of(ref.out);
    spawn_result_free(&ref);
    const char *db_path = tmp_path("interrupted.db");
    struct spawn_child child;
    /* 150 ms more per run (cli/run_once.c): a fast machine would finish the whole sweep
       between two looks at the file */
    static const char *const slow[] = {"MURPHY_TEST_SLOW_RUN_MS=150", NULL};
    struct spawn_opts opts = {.is_group_leader = true, .env_add = slow};
    cr_assert_eq(spawn_start(&child, &opts, sweep_argv(db_path, jobs)), 0);
    /* until the first rows are committed: some done, more to do */
    double start = now_s();
    for (;;) {
        sqlite3 *db = NULL;
        int64_t rows = 0;
        if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *s = NULL;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sweep_runs", -1, &s, NULL) ==
                    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
                rows = sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
        }
        sqlite3_close(db);
        if (rows > 0) break;
        cr_assert_lt(now_s() - start, 120.0, "no sweep row committed within 120 s");
        sleep_ns(2000000);
    }
    cr_assert_eq(kill(child.pid, signo), 0);
    struct spawn_result r;
    spawn_wait(&child, &r, 300);
    char how[96];
    cr_assert(r.has_exited && r.exit_code == 128 + signo, "%s: expected exit %d, got %s\n%s",
              r.cmd, 128 + signo, spawn_describe(&r, how, sizeof how), r.err);
    cr_assert_not_null(strstr(r.err, "run the same command again to resume"), "%s", r.err);
    cr_assert_eq(count_lines_with(r.err, "failed"), 0, "a worker reported failing:\n%s", r.err);
    spawn_result_free(&r);
    assert_integrity(db_path, "interrupted sweep");
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_incomplete", 0, 0), 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'running'", 0, 0), 0,
                 "a run left `running` although the signal was handled");
    db_close(db);
    check_runs(db_path, reference, "interrupted sweep");
    size_t stored = check_sweep_rows(db_path, reference, "interrupted sweep");
    cr_assert_gt(stored, 0);
    cr_assert_lt(stored, SWEEP_RUNS, "the signal came after the sweep ended");
    size_t done = resume_sweep(db_path, reference, reference_table, "resumed sweep");
    cr_assert_eq(done, stored, "resumed %zu, stored %zu", done, stored);
    free(reference_table);
}

Test(kill_sweep, sigterm_ends_a_sweep_with_143_and_it_resumes, .timeout = 600)
{
    interrupt_sweep(SIGTERM, "2");
}

Test(kill_sweep, sigint_ends_a_sweep_with_130_and_it_resumes, .timeout = 600)
{
    interrupt_sweep(SIGINT, "1");
}

/* SIGTERM to a search: exit 143, its results stored; the same command resumes, runs only
 * the rest, and finds what the uninterrupted search found; its progress is then gone. */
Test(kill_sweep, sigterm_ends_a_search_with_143_and_it_resumes, .timeout = 600)
{
    const char *reference = tmp_path("reference.db");
    struct spawn_result ref;
    /* 150 ms more per run (cli/run_once.c), in the reference too (it times the search) */
    static const char *const slow[] = {"MURPHY_TEST_SLOW_RUN_MS=150", NULL};
    struct spawn_opts slow_opts = {.env_add = slow};
    spawn_run(&ref, &slow_opts, search_argv(reference));
    assert_exit(&ref, 1);
    char *findings = search_findings(ref.out);
    const char *line = strstr(ref.out, " failing, ");
    double searching_s = 0;
    cr_assert(line && (line = strchr(line, '(')) && sscanf(line, "(%lf s searching",
                                                           &searching_s) == 1, "%s", ref.out);
    spawn_result_free(&ref);
    const char *db_path = tmp_path("interrupted.db");
    /* 40% into the seeds (the search's own figure): some run, the rest not */
    struct spawn_child child;
    const char *argv[16];
    const char *const *base = search_argv(db_path);
    size_t n = 0;
    while (base[n]) {
        argv[n] = base[n];
        n++;
    }
    argv[n] = NULL;
    cr_assert_eq(spawn_start(&child, &slow_opts, argv), 0);
    double start = now_s();
    for (;;) { /* "murphy: searching ..." comes after the scenario is loaded */
        char *err = read_file(child.err_path, NULL);
        bool is_searching = err && strstr(err, "murphy: searching");
        text_free(err);
        if (is_searching) break;
        cr_assert_lt(now_s() - start, 60.0, "the search did not start");
        sleep_ns(1000000);
    }
    sleep_ns((int64_t)(searching_s * 0.4e9));
    cr_assert_eq(kill(child.pid, SIGTERM), 0);
    struct spawn_result r;
    spawn_wait(&child, &r, 300);
    char how[96];
    cr_assert(r.has_exited && r.exit_code == 143, "%s: %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    spawn_result_free(&r);
    assert_integrity(db_path, "interrupted search");
    check_runs(db_path, reference, "interrupted search");
    spawn_run(&r, NULL, search_argv(db_path));
    assert_exit(&r, 1);
    size_t total = 0, done = resumed_count(r.out, &total);
    cr_assert_eq(total, SEARCH_SEED_COUNT, "%s", r.out);
    cr_assert(done > 0 && done < total, "resumed %zu of %zu:\n%s", done, total, r.out);
    char *again = search_findings(r.out);
    cr_assert_str_eq(again, findings, "the resumed search found otherwise");
    free(again);
    free(findings);
    spawn_result_free(&r);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM search_progress_seeds", 0, 0), 0,
                 "a finished search left its progress");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'violated'", 0, 0), 4);
    db_close(db);
    /* finished: the same command now is a new search, not a resumed one */
    spawn_run(&r, NULL, search_argv(db_path));
    assert_exit(&r, 1);
    cr_assert_null(strstr(r.out, "resumed:"), "%s", r.out);
    spawn_result_free(&r);
}
