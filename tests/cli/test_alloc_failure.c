/* tests/cli/test_alloc_failure.c - proves that murphy fails cleanly when an allocation
 * fails, anywhere: reading the scenario and the settings, building the world, opening and
 * preparing the database, in the event loop (timers, messages, links), in the recorder,
 * the oracles and the metrics. How: tests/failalloc's interposer (LD_PRELOAD) makes the
 * Nth malloc, calloc or realloc of `murphy run split-brain` (1 s) return NULL, for N
 * swept over every allocation the run makes (a count taken first, plus a margin) in
 * steps of ALLOC_STEP. Each N: never a signal; when the Nth allocation failed, either exit
 * 3 with a message that says memory, or exit 0 with the reference run's hash (a failure
 * that SQLite or stdio absorbs, e.g. a cache); when N was past the last one, exit 0 and the
 * same hash. Every run goes into one database that first holds a reference run: it passes
 * integrity_check, the reference still replays identical, no run is left `running`, and
 * its ok runs are exactly the exit-0 ones. GSL's error handler is off from the start of
 * main (cli/main.c), so no GSL allocation failure aborts either. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

/* every allocation in the optimized build; under the sanitizers (several times slower per
 * run) a prime stride, so the sweep still reaches every phase of the run */
#if MURPHY_TEST_SANITIZED
#define ALLOC_STEP 23
#else
#define ALLOC_STEP 1
#endif
#define ALLOC_MARGIN 200 /* past the counted allocations: the run's count varies a little */

TestSuite(alloc_failure, .init = tmp_setup, .fini = tmp_teardown);

struct outcome {
    struct spawn_result r;
    bool has_failed_alloc; /* the interposer failed the Nth allocation */
    uint64_t count;        /* allocations counted (at a normal exit; else 0) */
};

static void run_failing(const char *db_path, uint64_t n, struct outcome *o)
{
    char fail_at[64], report_env[4200], preload[4200];
    const char *report = tmp_path("failalloc.txt");
    remove(report);
    snprintf(fail_at, sizeof fail_at, "MURPHY_TEST_FAIL_ALLOC_AFTER=%" PRIu64, n);
    snprintf(report_env, sizeof report_env, "MURPHY_TEST_FAIL_ALLOC_REPORT=%s", report);
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s", FAILALLOC_LIB);
    /* ASan wants to be first in the library list; the interposer forwards to it. Leaks on
     * the error paths are not what this suite checks (test_memory and valgrind do). */
    const char *env[] = {preload, fail_at, report_env,
                         "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:abort_on_error=1",
                         NULL};
    struct spawn_opts opts = {.env_add = env};
    const char *argv[] = {"run", "split-brain", "--set", "scenario.duration=1s", "--db",
                          db_path, "--quiet", NULL};
    spawn_run(&o->r, &opts, argv);
    char *text = read_file(report, NULL);
    o->has_failed_alloc = text && strstr(text, "failed ");
    const char *count = text ? strstr(text, "count ") : NULL;
    o->count = count ? strtoull(count + 6, NULL, 10) : 0;
    text_free(text);
}

static void assert_database_sound(const char *db_path, int64_t ok_runs)
{
    sqlite3 *db = db_open(db_path, false);
    char text[64] = "";
    cr_assert(db_text(db, "PRAGMA integrity_check", 0, text, sizeof text));
    cr_assert_str_eq(text, "ok");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'running'", 0, 0), 0,
                 "a run left running");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status = 'ok'", 0, 0), ok_runs);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE status NOT IN ('ok', 'error')",
                        0, 0), 0);
    db_close(db);
}

Test(alloc_failure, every_failed_allocation_of_a_run_exits_3_or_is_absorbed, .timeout = 1200)
{
    char db_path[4096]; /* tmp_path's buffers rotate: kept */
    snprintf(db_path, sizeof db_path, "%s", tmp_path("alloc.db"));
    struct recorded reference = record_run(db_path, "split-brain", 1, "--set",
                                           "scenario.duration=1s");
    struct outcome o;
    run_failing(db_path, 0, &o); /* fails none: counts them */
    assert_exit(&o.r, 0);
    cr_assert_eq(result_hash(&o.r), reference.hash, "the interposer changed the run");
    cr_assert_gt(o.count, 1000, "only %" PRIu64 " allocations counted", o.count);
    uint64_t last = o.count + ALLOC_MARGIN;
    spawn_result_free(&o.r);
    int64_t ok_runs = 2, exits_3 = 0, absorbed = 0, past_end = 0;
    for (uint64_t n = 1; n <= last; n += ALLOC_STEP) {
        run_failing(db_path, n, &o);
        char how[96];
        cr_assert(o.r.has_exited, "N=%" PRIu64 ": %s: %s\n%s", n, o.r.cmd,
                  spawn_describe(&o.r, how, sizeof how), o.r.err);
        if (o.r.exit_code == 3) {
            cr_assert(o.has_failed_alloc, "N=%" PRIu64 ": exit 3 with no allocation failed:\n%s",
                      n, o.r.err);
            cr_assert(strstr(o.r.err, "out of memory") || strstr(o.r.err, "Cannot allocate"),
                      "N=%" PRIu64 ": the message should say memory:\n%s", n, o.r.err);
            exits_3++;
        } else {
            cr_assert_eq(o.r.exit_code, 0, "N=%" PRIu64 ": %s: %s\n%s", n, o.r.cmd,
                         spawn_describe(&o.r, how, sizeof how), o.r.err);
            cr_assert_eq(result_hash(&o.r), reference.hash, "N=%" PRIu64 ": another run", n);
            cr_assert_eq(result_events(&o.r), reference.events, "N=%" PRIu64, n);
            ok_runs++;
            if (o.has_failed_alloc) absorbed++;
            else past_end++;
        }
        spawn_result_free(&o.r);
        if ((n / ALLOC_STEP) % 100 == 0) assert_database_sound(db_path, ok_runs);
    }
    assert_database_sound(db_path, ok_runs);
    assert_replay_identical(db_path, &reference);
    /* the floor: most failures were failures, and the sweep went past the last allocation */
    cr_assert_gt(exits_3, (int64_t)(o.count / ALLOC_STEP / 2), "exit 3: %" PRId64, exits_3);
    cr_assert_gt(past_end, 0, "the sweep never passed the last allocation");
    fprintf(stderr, "alloc_failure: %" PRIu64 " allocations, N step %d: %" PRId64 " exit 3, %"
            PRId64 " absorbed (exit 0, same hash), %" PRId64 " past the end\n", o.count,
            ALLOC_STEP, exits_3, absorbed, past_end);
}
