/* tests/cli/test_determinism.c - proves the determinism contract end to end: the same
 * binary, scenario text, overrides and seed give the same event-stream hash, and what is
 * outside the contract (recording, a no-op override, the working directory, the
 * environment, naming the scenario by name or by path) does not move it. How: every run
 * is a separate `murphy run --quiet` process (a second run inside one process would hide
 * the usual bugs: uninitialised memory, static state, address order), and the printed
 * `hash:` lines are compared; the golden scenario's hashes for seeds 1..4 must equal
 * tests/golden/everything.hashes, so a change of behaviour cannot pass unnoticed. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define GOLDEN "tests/golden/everything.ini"
#define GOLDEN_CLOCKS "tests/golden/clocks.ini"
#define UNRELIABLE "scenarios/unreliable-network.ini"
#define SEEDS 16

TestSuite(determinism, .init = tmp_setup, .fini = tmp_teardown);

static void same_hash_twice(const char *scenario, uint64_t seeds)
{
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        uint64_t first = run_hash(source_path(scenario), seed, NULL);
        uint64_t second = run_hash(source_path(scenario), seed, NULL);
        cr_assert_eq(first, second, "%s seed %" PRIu64 ": %016" PRIx64 " then %016" PRIx64,
                     scenario, seed, first, second);
    }
}

Test(determinism, same_seed_gives_same_hash_in_separate_processes)
{
    same_hash_twice(GOLDEN, SEEDS);
}

/* Syncs over the network, slews, steps, leap seconds, jittered reads, GC pauses. */
Test(determinism, clocks_and_gc_pauses_give_the_same_hash_in_separate_processes)
{
    same_hash_twice(GOLDEN_CLOCKS, 4);
}

/* Every seed of NAME.hashes gives its recorded hash with NAME.ini. */
static void golden_hashes_match(const char *name)
{
    char hashes[128], scenario[128];
    snprintf(hashes, sizeof hashes, "tests/golden/%s.hashes", name);
    snprintf(scenario, sizeof scenario, "tests/golden/%s.ini", name);
    char *text = read_file(source_path(hashes), NULL);
    cr_assert_not_null(text, "cannot read %s", hashes);
    size_t checked = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        uint64_t seed = 0, expected = 0;
        if (line[0] == '#' || line[0] == '\0') continue;
        cr_assert_eq(sscanf(line, "%" SCNu64 " %" SCNx64, &seed, &expected), 2,
                     "%s: cannot read line '%s'", hashes, line);
        uint64_t actual = run_hash(source_path(scenario), seed, NULL);
        cr_expect_eq(actual, expected,
                     "%s seed %" PRIu64 ": expected %016" PRIx64 ", got %016" PRIx64
                     " (a deliberate change of behaviour updates %s)",
                     scenario, seed, expected, actual, hashes);
        checked++;
    }
    text_free(text);
    cr_assert_geq(checked, 4u, "%s lists seeds 1..4, found %zu", hashes, checked);
}

Test(determinism, golden_hashes_match_the_recorded_ones)
{
    golden_hashes_match("everything");
}

Test(determinism, golden_clock_hashes_match_the_recorded_ones)
{
    golden_hashes_match("clocks");
}

Test(determinism, different_seeds_give_different_hashes)
{
    uint64_t hashes[SEEDS];
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        hashes[seed - 1] = run_hash(source_path(GOLDEN), seed, NULL);
        for (uint64_t other = 1; other < seed; other++)
            cr_assert_neq(hashes[seed - 1], hashes[other - 1],
                          "seeds %" PRIu64 " and %" PRIu64 " both give %016" PRIx64, other, seed,
                          hashes[other - 1]);
    }
}

/* GSL's own seeding keeps 32 bits: seeds equal modulo 2^32 must still differ. */
Test(determinism, seeds_differing_above_bit_32_give_different_hashes)
{
    static const uint64_t pairs[][2] = {
        {1, UINT64_C(4294967297)},          /* 1 + 2^32 */
        {0, UINT64_C(4294967296)},          /* 2^32 */
        {7, UINT64_C(7) + (UINT64_C(1) << 62)},
    };
    const char *scenarios[] = {GOLDEN, UNRELIABLE};
    for (size_t s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            uint64_t low = run_hash(source_path(scenarios[s]), pairs[i][0], NULL);
            uint64_t high = run_hash(source_path(scenarios[s]), pairs[i][1], NULL);
            cr_assert_neq(low, high, "%s: seeds %" PRIu64 " and %" PRIu64 " both give %016"
                          PRIx64, scenarios[s], pairs[i][0], pairs[i][1], low);
        }
}

Test(determinism, largest_seed_runs_and_repeats)
{
    uint64_t seed = (UINT64_C(1) << 63) - 1;
    uint64_t first = run_hash(source_path(GOLDEN), seed, NULL);
    cr_assert_eq(first, run_hash(source_path(GOLDEN), seed, NULL), "seed 2^63-1");
}

/* Recording never changes a run: same hash with --db and --no-db, and the hash stored in
 * the record is the printed one. */
Test(determinism, recording_does_not_change_the_hash)
{
    const char *scenarios[] = {GOLDEN, UNRELIABLE};
    const char *db_path = tmp_path("rec.db");
    int64_t run_id = 0;
    for (size_t s = 0; s < 2; s++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            uint64_t bare = run_hash(source_path(scenarios[s]), seed, "--no-db", NULL);
            uint64_t recorded = run_hash(source_path(scenarios[s]), seed, "--db", db_path, NULL);
            run_id++;
            cr_assert_eq(bare, recorded, "%s seed %" PRIu64 ": --no-db %016" PRIx64
                         ", --db %016" PRIx64, scenarios[s], seed, bare, recorded);
            sqlite3 *db = db_open(db_path, false);
            char stored[32] = "";
            cr_assert(db_text(db, "SELECT event_hash FROM runs WHERE id=?1", run_id, stored,
                              sizeof stored), "run %" PRId64 " has no event_hash", run_id);
            db_close(db);
            char printed[32];
            snprintf(printed, sizeof printed, "%016" PRIx64, recorded);
            cr_assert_str_eq(stored, printed, "%s seed %" PRIu64 ": runs.event_hash",
                             scenarios[s], seed);
        }
}

/* Overrides that change nothing semantically: a key set to its default, a value already
 * in the file written in another unit, the duration in other units. */
Test(determinism, no_op_override_keeps_the_hash)
{
    static const char *const no_ops[] = {
        "node.client.payload_bytes=64",     /* the client model's default */
        "link.default.duplicate=0",         /* the link default */
        "link.default.corrupt=0%",          /* the link default, as a percentage */
        "node.client.timeout=50000us",      /* 50ms as in the file */
        "scenario.duration=60000ms",        /* 60s as in the file */
    };
    for (uint64_t seed = 1; seed <= 2; seed++) {
        uint64_t plain = run_hash(source_path(UNRELIABLE), seed, NULL);
        for (size_t i = 0; i < sizeof no_ops / sizeof no_ops[0]; i++) {
            uint64_t set = run_hash(source_path(UNRELIABLE), seed, "--set", no_ops[i], NULL);
            cr_assert_eq(plain, set, "seed %" PRIu64 ", --set %s: %016" PRIx64 " vs %016" PRIx64,
                         seed, no_ops[i], plain, set);
        }
    }
    /* and an override that does change something must move the hash, or the above proves
     * nothing */
    uint64_t plain = run_hash(source_path(UNRELIABLE), 1, NULL);
    uint64_t changed = run_hash(source_path(UNRELIABLE), 1, "--set", "node.client.timeout=51ms",
                                NULL);
    cr_assert_neq(plain, changed, "--set node.client.timeout=51ms left the hash alone");
}

/* Nothing in the run reads the environment, the working directory or the path by which
 * the scenario was found. */
Test(determinism, environment_directory_and_name_do_not_matter)
{
    uint64_t by_path = run_hash(source_path(UNRELIABLE), 3, NULL);
    uint64_t by_name = run_hash("unreliable-network", 3, NULL);
    cr_assert_eq(by_path, by_name, "by path %016" PRIx64 ", by name %016" PRIx64, by_path,
                 by_name);

    const char *env[] = {"TZ=Asia/Seoul", "LC_ALL=C.UTF-8", "LANG=ko_KR.UTF-8",
                         "MALLOC_PERTURB_=165", "HOME=/nonexistent", NULL};
    const char *argv[] = {"run", source_path(UNRELIABLE), "--seed", "3", "--quiet", "--no-db",
                          NULL};
    struct spawn_opts opts = {.cwd = "/", .env_add = env};
    struct spawn_result r;
    spawn_run(&r, &opts, argv);
    cr_assert(r.has_exited && r.exit_code == 0, "%s failed: %s", r.cmd, r.err);
    uint64_t elsewhere = result_hash(&r);
    spawn_result_free(&r);
    cr_assert_eq(by_path, elsewhere, "cwd / and another environment: %016" PRIx64 " vs %016"
                 PRIx64, elsewhere, by_path);
}

/* A copy of the scenario file elsewhere, with its path and file name changed, is the same
 * scenario text: the same hash. */
Test(determinism, copied_scenario_file_gives_the_same_hash)
{
    size_t bytes = 0;
    char *text = read_file(source_path(GOLDEN), &bytes);
    cr_assert_not_null(text);
    write_file(tmp_path("copy-of-golden.ini"), text, bytes);
    text_free(text);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        uint64_t original = run_hash(source_path(GOLDEN), seed, NULL);
        uint64_t copy = run_hash(tmp_path("copy-of-golden.ini"), seed, NULL);
        cr_assert_eq(original, copy, "seed %" PRIu64, seed);
    }
}

/* `murphy run --check-determinism` replays the run in a fresh process: identical. */
Test(determinism, check_determinism_flag_finds_nothing_on_a_sound_build)
{
    const char *db_path = tmp_path("check.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        char seed_text[32];
        snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
        struct spawn_result r;
        murphy(&r, "run", source_path(GOLDEN), "--seed", seed_text, "--db", db_path, "--quiet",
               "--check-determinism", NULL);
        cr_assert(r.has_exited && r.exit_code == 0, "%s: exit %d\n%s%s", r.cmd, r.exit_code,
                  r.out, r.err);
        char expect[64];
        snprintf(expect, sizeof expect, "identical: %" PRIu64 " events, hash %016" PRIx64,
                 result_events(&r), result_hash(&r));
        cr_assert_not_null(strstr(r.out, expect), "%s: expected '%s' in\n%s", r.cmd, expect,
                           r.out);
        spawn_result_free(&r);
    }
}
