/* tests/cli/test_chaos.c - proves what scenarios/chaos.ini promises: the nemesis (at
 * least NEMESIS_FAULTS_MIN drawn faults per run) against the naive election breaks it,
 * `murphy search` finds the failing seed, and the run is deterministic:
 *  - `murphy search chaos --seeds 1..SEARCH_SEEDS --jobs 2` exits 1 and its first failing
 *    seed is FIRST_FAILING_SEED (<= 2000), violated by oracle:elect (measured once over
 *    1..2000 --jobs 2: 1998 of 2000 seeds fail, in 38.6 s of searching);
 *  - the failing seed's record replays identical, and its faults table holds at least
 *    NEMESIS_FAULTS_MIN faults named nemesis.K with line 0 (one text per name);
 *  - two separate processes give the same hash, with and without a record;
 *  - the contract a shrinker relies on: chaos.ini with its [nemesis] section replaced by
 *    the recorded `nemesis.K = TEXT` lines in [faults] gives the same hash and events.
 * How: the real `murphy` in separate processes; numbers read from the record. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "chaos"
#define FIRST_FAILING_SEED 1u
#define SEARCH_SEEDS "1..3"
#define NEMESIS_FAULTS_MIN 30
#define PASTED_BYTES_MAX (1 << 20)

TestSuite(chaos, .init = tmp_setup, .fini = tmp_teardown);

/* The seed of the first "seed N: violated" line; 0 if none. */
static uint64_t first_failing(const char *out)
{
    for (const char *line = out; line && *line; line = strchr(line, '\n'), line += !!line) {
        unsigned long long seed;
        int used = 0;
        if (sscanf(line, "seed %llu: violated%n", &seed, &used) == 1 && used > 0) return seed;
    }
    return 0;
}

Test(chaos, search_finds_the_naive_election_failing_and_it_replays)
{
    struct spawn_result r;
    const char *db = tmp_path("search.db");
    murphy(&r, "search", SCENARIO, "--seeds", SEARCH_SEEDS, "--jobs", "2", "--db", db,
           "--quiet", NULL);
    assert_exit(&r, 1);
    uint64_t first = first_failing(r.out);
    cr_assert_eq(first, FIRST_FAILING_SEED, "first failing seed %" PRIu64 " in\n%s", first,
                 r.out);
    cr_assert_leq(first, 2000);
    cr_assert(strstr(r.out, "(oracle:elect): two leaders in term"), "%s", r.out);
    spawn_result_free(&r);

    sqlite3 *h = db_open(db, false);
    int64_t id = db_int(h, "SELECT id FROM runs WHERE seed = ?1", FIRST_FAILING_SEED, 0);
    struct recorded rec = {.exit_code = 1, .run_id = id};
    rec.events = (uint64_t)db_int(h, "SELECT event_count FROM runs WHERE id = ?1", id, 0);
    char hash_text[32];
    cr_assert(db_text(h, "SELECT event_hash FROM runs WHERE id = ?1", id,
                      hash_text, sizeof hash_text));
    rec.hash = strtoull(hash_text, NULL, 16);
    int64_t drawn = db_int(h, "SELECT count(DISTINCT name) FROM faults WHERE run_id = ?1"
                              " AND line = 0 AND name LIKE 'nemesis.%'", id, 0);
    cr_assert_geq(drawn, NEMESIS_FAULTS_MIN, "%" PRId64 " drawn faults", drawn);
    cr_assert_eq(db_int(h, "SELECT count(*) FROM faults WHERE run_id = ?1 AND line <> 0", id, 0),
                 0, "chaos lists no fault of its own");
    cr_assert_geq(db_int(h, "SELECT count(*) FROM violations WHERE run_id = ?1"
                            " AND source = 'oracle:elect'", id, 0), 1);
    db_close(h);
    assert_replay_identical(db, &rec);
}

Test(chaos, two_processes_same_hash_recorded_or_not)
{
    struct recorded a = record_run_argv(NULL, SCENARIO, 2, RUN_EXIT_OK_OR_VIOLATED, NULL);
    struct recorded b = record_run_argv(tmp_path("two.db"), SCENARIO, 2,
                                        RUN_EXIT_OK_OR_VIOLATED, NULL);
    cr_assert_eq(a.hash, b.hash, "%016" PRIx64 " vs %016" PRIx64, a.hash, b.hash);
    cr_assert_eq(a.events, b.events);
    cr_assert_eq(a.exit_code, b.exit_code);
    assert_replay_identical(tmp_path("two.db"), &b);
}

/* The CONTRACT: [nemesis] out, its recorded faults in [faults], same seed: same run. */
Test(chaos, recorded_faults_pasted_as_lines_give_the_same_run)
{
    const uint64_t seed = 5;
    const char *db = tmp_path("drawn.db");
    struct recorded drawn = record_run_argv(db, SCENARIO, seed, RUN_EXIT_OK_OR_VIOLATED, NULL);
    size_t bytes;
    char *text = read_file(source_path("scenarios/chaos.ini"), &bytes);
    cr_assert(text);
    char *nemesis = strstr(text, "\n[nemesis]\n");
    cr_assert(nemesis, "chaos.ini has a [nemesis] section");
    cr_assert_null(strchr(nemesis + strlen("\n[nemesis]\n"), '['),
                   "[nemesis] is chaos.ini's last section");
    char *pasted = malloc(PASTED_BYTES_MAX);
    cr_assert(pasted);
    size_t used = (size_t)snprintf(pasted, PASTED_BYTES_MAX, "%.*s\n[faults]\n",
                                   (int)(nemesis - text), text);
    text_free(text);
    sqlite3 *h = db_open(db, false);
    int64_t count = db_int(h, "SELECT count(DISTINCT name) FROM faults WHERE run_id = ?1",
                           drawn.run_id, 0);
    cr_assert_geq(count, NEMESIS_FAULTS_MIN);
    for (int64_t k = 1; k <= count; k++) {
        char name[32], line[512];
        snprintf(name, sizeof name, "nemesis.%" PRId64, k);
        int64_t first = db_int_text(h, "SELECT min(fault) FROM faults WHERE run_id = ?1"
                                       " AND name = ?2", drawn.run_id, name, NULL);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT text FROM faults WHERE run_id = ?1 AND fault = %" PRId64,
                 first);
        cr_assert(db_text(h, sql, drawn.run_id, line, sizeof line), "%s has no text", name);
        used += (size_t)snprintf(pasted + used, PASTED_BYTES_MAX - used, "%s = %s\n", name, line);
        cr_assert_lt(used, PASTED_BYTES_MAX);
    }
    db_close(h);
    write_file(tmp_path("pasted.ini"), pasted, used);
    free(pasted);
    struct recorded listed = record_run_argv(NULL, tmp_path("pasted.ini"), seed,
                                             RUN_EXIT_OK_OR_VIOLATED, NULL);
    cr_assert_eq(listed.hash, drawn.hash, "listed %016" PRIx64 " vs drawn %016" PRIx64,
                 listed.hash, drawn.hash);
    cr_assert_eq(listed.events, drawn.events);
    cr_assert_eq(listed.exit_code, drawn.exit_code);
}

/* Issue 5's end to end: the failing seed search found, shrunk from its >= 30 drawn faults
 * to <= 5 lines of the same violation kind; the shrunk run is violated with that kind and
 * replays identically, and shrink proved it 1-minimal (tests/cli/test_shrink.c checks
 * that claim run by run). */
Test(chaos, the_failing_seed_shrinks_to_a_few_faults_of_the_same_kind)
{
    const char *db = tmp_path("search.db");
    struct spawn_result r;
    murphy(&r, "search", SCENARIO, "--seeds", SEARCH_SEEDS, "--jobs", "2", "--db", db,
           "--quiet", NULL);
    assert_exit(&r, 1);
    spawn_result_free(&r);
    sqlite3 *h = db_open(db, false);
    int64_t id = db_int(h, "SELECT id FROM runs WHERE seed = ?1", FIRST_FAILING_SEED, 0);
    db_close(h);
    char run_arg[32];
    snprintf(run_arg, sizeof run_arg, "%" PRId64, id);
    murphy(&r, "shrink", db, "--run", run_arg, "--out", tmp_path("min.ini"), NULL);
    assert_exit(&r, 0);
    long long before = 0, after = 0;
    const char *shrunk = strstr(r.out, "shrunk: ");
    cr_assert(shrunk && sscanf(shrunk, "shrunk: %lld -> %lld fault lines", &before, &after) == 2,
              "%s", r.out);
    cr_assert_geq(before, NEMESIS_FAULTS_MIN);
    cr_assert_leq(after, 5, "%s", r.out);
    cr_assert_geq(after, 1, "the nemesis is what breaks seed %u: a fault must stay",
                  FIRST_FAILING_SEED);
    cr_assert(strstr(r.out, "target: oracle:elect \"two leaders in term #\""), "%s", r.out);
    cr_assert(strstr(r.out, "1-minimal: yes"), "%s", r.out);
    char value[64];
    cr_assert(line_value(r.out, "run", value, sizeof value));
    struct recorded small = {.exit_code = 1, .run_id = strtoll(value, NULL, 10)};
    small.hash = result_hash(&r);
    small.events = result_events(&r);
    spawn_result_free(&r);
    h = db_open(db, false);
    cr_assert_eq(db_int_text(h, "SELECT count(*) FROM violations WHERE run_id = ?1 AND"
                                " source = ?2 AND text LIKE ?3", small.run_id, "oracle:elect",
                             "two leaders in term %"), 1);
    cr_assert_eq(db_int(h, "SELECT count(DISTINCT name) FROM faults WHERE run_id = ?1",
                        small.run_id, 0), after);
    db_close(h);
    assert_replay_identical(db, &small);
}

/* A listed fault named like a drawn one beside [nemesis] would be two unrelated faults
 * under one name (a heal ending both, a shrink rebuilding one): refused, with its line. */
Test(chaos, a_listed_fault_may_not_take_a_drawn_name)
{
    static const char text[] = "[scenario]\nduration = 2s\n"
                               "[node.n]\nmodel = elect_node\ncount = 3\npeers = n\n"
                               "[nemesis]\nevery = constant 500ms\nkinds = pause\n"
                               "pause_for = constant 10ms\n"
                               "[faults]\nnemesis.1 = at 1s pause n.0 for 10ms\n";
    write_file(tmp_path("coll.ini"), text, sizeof text - 1);
    struct spawn_result r;
    murphy(&r, "run", tmp_path("coll.ini"), "--no-db", NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "coll.ini:12: error: fault 'nemesis.1'"), "%s", r.err);
    spawn_result_free(&r);
}
