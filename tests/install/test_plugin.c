/* tests/install/test_plugin.c - proves that a protocol written outside this repository
 * plugs into an INSTALLED murphy and gets every guarantee the in-tree models get. How:
 * the fixture (install-and-build.sh) installs murphy into a fresh prefix and builds
 * examples/two-phase-commit against it with find_package(murphy) and with pkg-config;
 * every test here spawns the installed murphy (MURPHY_BIN is PREFIX/bin/murphy) with that
 * library: runs in separate processes give equal hashes, the record holds the library's
 * path and its SHA-256 (as sha256sum computed it), replay is identical with the library
 * and refuses (exit 4, naming both hashes) without it or with a changed copy, a search
 * finds the seeds where the unsafe variant breaks atomicity and one of them replays, and
 * the oracle's numbers hold over seeds with a liveness floor. */
#define _XOPEN_SOURCE 700 /* realpath */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "examples/two-phase-commit/two-phase-commit.ini"
#define LIB MURPHY_TEST_EXAMPLE "/libtpc.so"
#define LIB_BY_PKGCONFIG MURPHY_TEST_EXAMPLE "/pkgconfig/libtpc.so"
#define UNSAFE "node.participant.give_up_after=50ms"

TestSuite(plugin, .init = tmp_setup, .fini = tmp_teardown);

/* The value of `metric: NAME VALUE UNIT` in a --no-db run's stdout; asserts it is there. */
static double printed_metric(const struct spawn_result *r, const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "metric: %s ", name);
    const char *at = strstr(r->out, needle);
    cr_assert_not_null(at, "%s: no '%s' in:\n%s", r->cmd, needle, r->out);
    return strtod(at + strlen(needle), NULL);
}

static void lib_sha256(char out[65])
{
    size_t bytes = 0;
    char *text = read_file(MURPHY_TEST_EXAMPLE "/libtpc.so.sha256", &bytes);
    cr_assert_not_null(text);
    cr_assert_geq(bytes, 64);
    memcpy(out, text, 64);
    out[64] = '\0';
    text_free(text);
}

Test(plugin, installed_murphy_finds_installed_scenarios_by_name)
{
    struct spawn_result r;
    murphy(&r, "run", "split-brain", "--no-db", "--stop-at", "20", NULL);
    assert_exit(&r, 0);
    /* the installed copy, found from the executable's place: not the source tree's */
    cr_assert_not_null(strstr(r.err, MURPHY_TEST_PREFIX "/share/murphy/scenarios/split-brain.ini"),
                       "%s:\n%s", r.cmd, r.err);
    spawn_result_free(&r);
    murphy(&r, "list", NULL);
    assert_exit(&r, 0);
    cr_assert_geq(count_lines_with(r.out, "split-brain"), 1);
    spawn_result_free(&r);
}

Test(plugin, models_and_oracle_are_listed)
{
    struct spawn_result r;
    murphy(&r, "list", "--models", "--model-lib", LIB, NULL);
    assert_exit(&r, 0);
    cr_assert_eq(count_lines_with(r.out, "tpc_coordinator "), 1, "%s", r.out);
    cr_assert_eq(count_lines_with(r.out, "tpc_participant "), 1, "%s", r.out);
    cr_assert_geq(count_lines_with(r.out, "elect_node "), 1, "in-tree models stay: %s", r.out);
    spawn_result_free(&r);
}

/* Same seed in separate processes: same hash, for both builds of the library (CMake and
 * pkg-config build the same code, so the models' behaviour, and the hash, are equal). */
Test(plugin, same_seed_same_hash_in_separate_processes)
{
    const char *const with_lib[] = {"--model-lib", LIB, NULL};
    const char *const with_pc[] = {"--model-lib", LIB_BY_PKGCONFIG, NULL};
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded a = record_run_argv(NULL, source_path(SCENARIO), seed, 0, with_lib);
        struct recorded b = record_run_argv(NULL, source_path(SCENARIO), seed, 0, with_lib);
        struct recorded c = record_run_argv(NULL, source_path(SCENARIO), seed, 0, with_pc);
        cr_assert_eq(a.hash, b.hash, "seed %" PRIu64, seed);
        cr_assert_eq(a.hash, c.hash, "seed %" PRIu64 ": the pkg-config build", seed);
        cr_assert_gt(a.events, 2000, "seed %" PRIu64 ": %" PRIu64 " events", seed, a.events);
    }
}

Test(plugin, record_holds_path_and_sha256_and_replay_checks_them)
{
    const char *db = tmp_path("tpc.db");
    const char *const with_lib[] = {"--model-lib", LIB, NULL};
    struct recorded rec = record_run_argv(db, source_path(SCENARIO), 1, 0, with_lib);
    char sha[65], expect[1024], recorded[1024];
    lib_sha256(sha);
    char *real = realpath(LIB, NULL);
    cr_assert_not_null(real);
    snprintf(expect, sizeof expect, "%s %s\n", real, sha);
    free(real);
    sqlite3 *h = db_open(db, false);
    cr_assert(db_text(h, "SELECT model_libs FROM runs WHERE id = ?1", rec.run_id, recorded,
                      sizeof recorded));
    cr_assert_str_eq(recorded, expect);
    /* the oracle of the library ran: its metrics are in the record */
    cr_assert_eq(db_metric_count(h, rec.run_id, "tpc.atomicity_violations"), 0);
    cr_assert_geq(db_metric_count(h, rec.run_id, "tpc.decided"), 100); /* 135 on seed 1 */
    db_close(h);

    char id[32];
    snprintf(id, sizeof id, "%" PRId64, rec.run_id);
    struct spawn_result r;
    murphy(&r, "replay", db, "--run", id, "--model-lib", LIB, NULL);
    assert_says_identical(&r, &rec);
    spawn_result_free(&r);

    /* without the library: refused, naming the recorded one */
    murphy(&r, "replay", db, "--run", id, NULL);
    assert_exit(&r, 4);
    cr_assert_not_null(strstr(r.err, sha), "%s:\n%s", r.cmd, r.err);
    cr_assert_not_null(strstr(r.err, "--model-lib"), "%s:\n%s", r.cmd, r.err);
    spawn_result_free(&r);

    /* a changed library (one byte more: another SHA-256): refused, naming both hashes */
    size_t bytes = 0;
    char *image = read_file(LIB, &bytes);
    cr_assert_not_null(image);
    const char *changed = tmp_path("libtpc-changed.so");
    write_file(changed, image, bytes);
    text_free(image);
    FILE *f = fopen(changed, "ab");
    cr_assert_not_null(f);
    fputc(0, f);
    fclose(f);
    murphy(&r, "replay", db, "--run", id, "--model-lib", changed, NULL);
    assert_exit(&r, 4);
    cr_assert_not_null(strstr(r.err, sha), "%s:\n%s", r.cmd, r.err);
    cr_assert_eq(count_lines_with(r.err, "SHA-256"), 1, "%s:\n%s", r.cmd, r.err);
    char other[65];
    const char *given = strstr(r.err, "has SHA-256 ");
    cr_assert_not_null(given, "%s:\n%s", r.cmd, r.err);
    snprintf(other, sizeof other, "%.64s", given + strlen("has SHA-256 "));
    cr_assert_str_neq(other, sha);
    spawn_result_free(&r);
}

/* The textbook protocol: never two outcomes for one transaction, transactions keep being
 * decided (liveness floor), and a crashed coordinator blocks prepared participants for
 * seconds on most seeds (measured: 15 of seeds 1..20 over 1 s, up to 3.97 s). */
Test(plugin, atomic_over_seeds_and_blocks_when_the_coordinator_crashes)
{
    uint64_t last_seed = MURPHY_TEST_SANITIZED ? 5 : 20;
    uint64_t blocked_seeds = 0;
    for (uint64_t seed = 1; seed <= last_seed; seed++) {
        char seed_text[32];
        snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
        struct spawn_result r;
        murphy(&r, "run", source_path(SCENARIO), "--model-lib", LIB, "--no-db", "--seed",
               seed_text, NULL);
        assert_exit(&r, 0);
        cr_assert_eq(printed_metric(&r, "tpc.atomicity_violations"), 0.0, "seed %s", seed_text);
        cr_assert_geq(printed_metric(&r, "tpc.decided"), 50.0, "seed %s", seed_text); /* >= 80 */
        cr_assert_geq(printed_metric(&r, "tpc.committed"), 40.0, "seed %s", seed_text); /* >= 64 */
        if (printed_metric(&r, "tpc.blocked_max_ns") >= 1e9) blocked_seeds++;
        spawn_result_free(&r);
    }
    /* 4 of seeds 1..5, 15 of 1..20 */
    cr_assert_geq(blocked_seeds, MURPHY_TEST_SANITIZED ? 3u : 10u);

    /* without crashes nobody waits long: 130 ms at most on seed 1 */
    struct spawn_result r;
    murphy(&r, "run", source_path(SCENARIO), "--model-lib", LIB, "--no-db", "--set",
           "nemesis.every=none", NULL);
    assert_exit(&r, 0);
    cr_assert_lt(printed_metric(&r, "tpc.blocked_max_ns"), 5e8);
    cr_assert_geq(printed_metric(&r, "tpc.decided"), 150.0); /* 213 */
    spawn_result_free(&r);
}

/* Giving up alone breaks atomicity; search finds it on every seed of 1..5 (measured: 14
 * to 32 conflicting transactions each), and a failing seed from the search replays. */
Test(plugin, search_finds_the_unsafe_variant_and_its_seed_replays)
{
    const char *db = tmp_path("search.db");
    struct spawn_result r;
    murphy(&r, "search", source_path(SCENARIO), "--model-lib", LIB, "--seeds", "1..5",
           "--set", UNSAFE, "--db", db, "--quiet", NULL);
    assert_exit(&r, 1);
    cr_assert_eq(count_lines_with(r.out, "oracle:tpc"), 5, "%s", r.out);
    cr_assert_geq(count_lines_with(r.out, "--model-lib"), 5, "reproducing commands: %s", r.out);
    spawn_result_free(&r);

    sqlite3 *h = db_open(db, false);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM runs WHERE status = 'violated'", 0, 0), 5);
    int64_t run_id = db_int(h, "SELECT id FROM runs WHERE seed = 3", 0, 0);
    cr_assert_geq(db_int(h, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source ="
                            " 'oracle:tpc'", run_id, 0), 10); /* 16 on seed 3 */
    struct recorded rec = {.run_id = run_id};
    rec.events = (uint64_t)db_int(h, "SELECT event_count FROM runs WHERE id = ?1", run_id, 0);
    char hash[32];
    cr_assert(db_text(h, "SELECT event_hash FROM runs WHERE id = ?1", run_id, hash,
                      sizeof hash));
    rec.hash = strtoull(hash, NULL, 16);
    db_close(h);

    char id[32];
    snprintf(id, sizeof id, "%" PRId64, run_id);
    murphy(&r, "replay", db, "--run", id, "--model-lib", LIB, NULL);
    assert_says_identical(&r, &rec);
    spawn_result_free(&r);
    /* and the same seed run alone, in a fresh process, has the recorded hash */
    const char *const args[] = {"--model-lib", LIB, "--set", UNSAFE, NULL};
    struct recorded alone = record_run_argv(NULL, source_path(SCENARIO), 3, 1, args);
    cr_assert_eq(alone.hash, rec.hash);
}

Test(plugin, check_determinism_passes_the_sound_example)
{
    struct spawn_result r;
    murphy(&r, "run", source_path(SCENARIO), "--model-lib", LIB, "--db", tmp_path("d.db"),
           "--quiet", "--check-determinism", NULL);
    assert_exit(&r, 0);
    cr_assert_not_null(strstr(r.out, "identical:"), "%s", r.out);
    spawn_result_free(&r);
}
