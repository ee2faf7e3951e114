/* tests/cli/test_memory.c - proves that memory does not grow with the length of a run:
 * ten times the simulated duration (so about ten times the events) peaks at no more than
 * 1.1 times the memory, with every event recorded to SQLite, and without recording.
 * How: `murphy run unreliable-network --set scenario.duration=D` for D = 60 s and 600 s
 * (~0.1 M and ~1.1 M events) in separate processes; the peak resident set of each is the
 * ru_maxrss that wait4 reports for the child. The short run is long enough to fill
 * SQLite's page cache and the kernel's pools, so what remains is per-event growth: a
 * leak, or a structure kept per event (an op, a message, a timer never freed).
 * A forked child's ru_maxrss starts from what it inherited at fork (Linux carries it
 * across exec), so the test also measures `murphy --version` as a floor and asserts that
 * the short run peaks above it, or the comparison would only see start-up and the parent.
 * Under AddressSanitizer freed memory sits in a quarantine that grows with the number of
 * frees, so the children run with the quarantine off there. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SHORT "scenario.duration=60s"
#define LONG "scenario.duration=600s"
#define GROWTH_MAX 1.10

#if defined(__SANITIZE_ADDRESS__)
#define IS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IS_ASAN 1
#endif
#endif
#ifndef IS_ASAN
#define IS_ASAN 0
#endif

TestSuite(memory, .init = tmp_setup, .fini = tmp_teardown);

struct peak {
    long maxrss_kb;
    uint64_t events;
};

/* duration NULL: `murphy --version`, the floor */
static struct peak measure(const char *duration, const char *db_path)
{
    const char *run[] = {"run", "unreliable-network", "--seed", "1", "--set", duration,
                         "--quiet", db_path ? "--db" : "--no-db", db_path, NULL};
    const char *version[] = {"--version", NULL};
    const char *const *argv = duration ? run : version;
    /* keep what the caller asked of ASan (CI sets detect_leaks, abort_on_error) */
    static char asan_options[1024];
    const char *given = getenv("ASAN_OPTIONS");
    snprintf(asan_options, sizeof asan_options, "ASAN_OPTIONS=%s%s%s", given ? given : "",
             given && *given ? ":" : "",
             "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
    const char *const asan_env[] = {asan_options, NULL};
    struct spawn_opts opts = {.env_add = IS_ASAN ? asan_env : NULL};
    struct spawn_result r;
    spawn_run(&r, &opts, argv);
    char how[64];
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s\n%s", r.cmd,
              spawn_describe(&r, how, sizeof how), r.err);
    struct peak p = {.maxrss_kb = r.usage.ru_maxrss, .events = duration ? result_events(&r) : 0};
    spawn_result_free(&r);
    return p;
}

static void assert_flat(const char *db_short, const char *db_long)
{
    struct peak floor = measure(NULL, NULL);
    struct peak short_run = measure(SHORT, db_short);
    struct peak long_run = measure(LONG, db_long);
    const char *what = db_short ? "recording" : "not recording";
    cr_assert_geq(long_run.events, 9 * short_run.events, "%s: %" PRIu64 " events, then %"
                  PRIu64 ": not ten times as many", what, short_run.events, long_run.events);
    cr_assert_gt(short_run.maxrss_kb, floor.maxrss_kb, "%s: the run's peak (%ld KiB) is not"
                 " above `murphy --version`'s (%ld KiB): wait4 measured start-up or the parent",
                 what, short_run.maxrss_kb, floor.maxrss_kb);
    cr_assert_leq((double)long_run.maxrss_kb, GROWTH_MAX * (double)short_run.maxrss_kb,
                  "%s: %" PRIu64 " events peak at %ld KiB, %" PRIu64 " events at %ld KiB"
                  " (%.2fx, at most %.2fx allowed)", what, short_run.events,
                  short_run.maxrss_kb, long_run.events, long_run.maxrss_kb,
                  (double)long_run.maxrss_kb / (double)short_run.maxrss_kb, GROWTH_MAX);
}

Test(memory, ten_times_the_events_with_recording)
{
    assert_flat(tmp_path("short.db"), tmp_path("long.db"));
}

Test(memory, ten_times_the_events_without_recording)
{
    assert_flat(NULL, NULL);
}
