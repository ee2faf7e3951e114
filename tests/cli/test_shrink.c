/* tests/cli/test_shrink.c - proves `murphy shrink` (cli/cmd_shrink.c, cli/shrink.c) end to
 * end, on the naive election of split-brain (seed 7: two leaders in term 3 at 3.28 s, after
 * the first split; with no fault at all, seed 7 has no conflict) with 11 extra faults that
 * do not cause it (wall-clock steps the election never reads, late pauses, a crash, a cut,
 * a flap, and a partition healed by name) plus one fault given by --set faults.extra: 33
 * [faults] lines, 38 faults as run. Shrink must:
 *   - go from >= 30 lines to <= 5 (measured: 2) with the same violation kind (oracle:elect,
 *     "two leaders in term N") and say it is 1-minimal;
 *   - record the shrunk run: violated, with that kind first, replaying identical, its
 *     scenario text the shrunk one, the --set faults.* override gone and the others kept;
 *   - write --out: run in two separate processes it gives the same hash as the recorded
 *     run, and exits 1;
 *   - be 1-minimal, checked here, not taken from its word: the shrunk scenario without any
 *     one of its lines (and the `heal` lines naming it) shows no violation of that kind,
 *     while still electing leaders (elect.leaders >= 1: a run that elected nobody would
 *     pass vacuously);
 *   - be deterministic: two shrinks of the same record in separate processes print the
 *     same lines and record the same hash;
 *   - stop at --max-runs with a run that still fails, saying 1-minimality is not proven;
 *   - shrink split-brain's naive seed 6 (two leaders of term 1 before any split) to no
 *     fault at all, in 2 runs (the rebuilt one and the empty one);
 *   - refuse a run without violations (exit 2), bad usage (2) and a missing database (3). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "spawn.h"

#define SEED 7
#define NAIVE "node.node.naive=true"
#define EXTRA "faults.extra=at 19.95s pause node.0 for 1ms"
#define KIND_LIKE "two leaders in term %"
#define LINES_MAX 64

TestSuite(shrink, .init = tmp_setup, .fini = tmp_teardown);

static const char scenario[] =
    "[scenario]\n"
    "name = shrink-me\n"
    "duration = 20s\n"
    "\n"
    "[node.node]\n"
    "model = elect_node\n"
    "count = 5\n"
    "peers = node\n"
    "naive = false\n"
    "election_timeout = 300ms\n"
    "heartbeat = 50ms\n"
    "lease = 250ms\n"
    "act_every = 100ms\n"
    "\n"
    "[link.default]\n"
    "delay = lognormal 2ms 0.5\n"
    "\n"
    "[faults]\n"
    "# split-brain's three splits, with extra faults in between\n"
    "w1 = at 1s step node.0 by 2s\n"
    "w2 = at 2s step node.3 by -1s\n"
    "s1a = at 3s partition node.0 / node.2\n"
    "s1b = at 3s partition node.0 / node.3\n"
    "s1c = at 3s partition node.0 / node.4\n"
    "s1d = at 3s partition node.1 / node.2\n"
    "s1e = at 3s partition node.1 / node.3\n"
    "s1f = at 3s partition node.1 / node.4\n"
    "h1 = at 7s heal\n"
    "w3 = at 8s step node.1 by 500ms\n"
    "s2a = at 9s partition node.2 / node.0\n"
    "s2b = at 9s partition node.2 / node.1\n"
    "s2c = at 9s partition node.2 / node.3\n"
    "s2d = at 9s partition node.4 / node.0\n"
    "s2e = at 9s partition node.4 / node.1\n"
    "s2f = at 9s partition node.4 / node.3\n"
    "h2 = at 13s heal\n"
    "w4 = at 14s step node.2 by 3s\n"
    "s3a = at 15s partition node.1 / node.0\n"
    "s3b = at 15s partition node.1 / node.2\n"
    "s3c = at 15s partition node.1 / node.4\n"
    "s3d = at 15s partition node.3 / node.0\n"
    "s3e = at 15s partition node.3 / node.2\n"
    "s3f = at 15s partition node.3 / node.4\n"
    "h3 = at 18s heal\n"
    "q1 = at 18.5s partition node.3 / node.4\n"
    "q1h = at 18.6s heal q1\n"
    "p1 = at 19.7s pause node.1 for 1ms\n"
    "p2 = at 19.8s pause node.3 for 2ms\n"
    "c1 = at 19.9s crash node.4 for 20ms\n"
    "f1 = at 19.2s flap node.0 / node.1 every 50ms until 19.4s\n"
    "x1 = at 19.5s cut node.2 -> node.3 for 10ms\n";

/* Records the many-fault run into db; asserts it is violated with the target kind. */
static struct recorded record_many(const char *db_path)
{
    write_file(tmp_path("many.ini"), scenario, strlen(scenario));
    const char *extra[] = {"--set", NAIVE, "--set", EXTRA, NULL};
    struct recorded rec = record_run_argv(db_path, tmp_path("many.ini"), SEED, 1, extra);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source"
                                 " = ?2 AND text LIKE ?3", rec.run_id, "oracle:elect",
                             KIND_LIKE), 1, "seed %d no longer conflicts once", SEED);
    db_close(db);
    return rec;
}

/* The "key: N" line of out as a number; asserts it is there. */
static int64_t value_of(const char *out, const char *key)
{
    char value[256];
    cr_assert(line_value(out, key, value, sizeof value), "no '%s:' line in\n%s", key, out);
    return strtoll(value, NULL, 10);
}

/* The shrunk run as shrink reported it. */
static struct recorded shrunk_run(const struct spawn_result *r)
{
    struct recorded rec = {.exit_code = 1};
    rec.run_id = value_of(r->out, "run");
    rec.hash = result_hash(r);
    rec.events = result_events(r);
    snprintf(rec.status, sizeof rec.status, "violated");
    return rec;
}

/* The [faults] lines of a scenario text (after its last "[faults]" header). */
static size_t fault_lines(const char *text, char lines[LINES_MAX][300])
{
    const char *p = strstr(text, "\n[faults]\n");
    cr_assert(p, "no [faults] in\n%s", text);
    p += strlen("\n[faults]\n");
    size_t n = 0;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 0 && p[0] != '#') {
            cr_assert_lt(n, LINES_MAX);
            cr_assert_lt(len, 300u);
            memcpy(lines[n], p, len);
            lines[n][len] = '\0';
            n++;
        }
        p += len + (eol ? 1 : 0);
    }
    return n;
}

/* Does `line` heal the fault named by line `named` ("... = at T heal NAME")? */
static bool heals(const char *line, const char *named)
{
    char name[80];
    cr_assert_eq(sscanf(named, "%79s", name), 1);
    size_t len = strlen(line), name_len = strlen(name);
    return strstr(line, " heal ") && len > name_len + 1 &&
           strcmp(line + len - name_len, name) == 0 && line[len - name_len - 1] == ' ';
}

/* Runs the shrunk scenario without line `skip` (and the heals naming it) into its own
 * database; asserts no violation of the kind and at least one leader. */
static void assert_passes_without(const char *text, char lines[LINES_MAX][300], size_t n,
                                  size_t skip)
{
    size_t head = (size_t)(strstr(text, "\n[faults]\n") - text) + 1;
    size_t cap = strlen(text) + 64;
    char *out = malloc(cap);
    cr_assert(out);
    memcpy(out, text, head);
    size_t len = head;
    len += (size_t)snprintf(out + len, cap - len, "[faults]\n");
    for (size_t i = 0; i < n; i++)
        if (i != skip && !heals(lines[i], lines[skip]))
            len += (size_t)snprintf(out + len, cap - len, "%s\n", lines[i]);
    write_file(tmp_path("without.ini"), out, len);
    free(out);
    char db_name[32];
    snprintf(db_name, sizeof db_name, "without-%zu.db", skip);
    const char *extra[] = {"--set", NAIVE, NULL};
    struct recorded rec = record_run_argv(tmp_path(db_name), tmp_path("without.ini"), SEED,
                                          RUN_EXIT_OK_OR_VIOLATED, extra);
    sqlite3 *db = db_open(tmp_path(db_name), false);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source"
                                 " = ?2 AND text LIKE ?3", rec.run_id, "oracle:elect",
                             KIND_LIKE), 0, "still two leaders of a term without '%s'",
                 lines[skip]);
    cr_assert_geq(db_metric_count(db, rec.run_id, "elect.leaders"), 1,
                  "without '%s' nobody led: passing proves nothing", lines[skip]);
    db_close(db);
}

/* "NAME = at T ACTION ..." -> T in ns and the action (into action); asserts the form. */
static int64_t line_at(const char *line, char *action, size_t action_bytes, char *name,
                       size_t name_bytes)
{
    char n[80], at[40], act[40];
    cr_assert_eq(sscanf(line, "%79s = at %39s %39s", n, at, act), 3, "'%s'", line);
    int64_t ns = 0;
    cr_assert_eq(sim_units_parse(at, SIM_UNIT_DURATION, &ns, NULL, 0), 0, "'%s'", at);
    snprintf(action, action_bytes, "%s", act);
    snprintf(name, name_bytes, "%s", n);
    return ns;
}

/* A fault that a later line ends (a heal of it or of all) still starts before that end
 * after shrinking: delaying it past its heal would make it last to the end of the run. */
static void assert_starts_before_its_heal(char lines[][300], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char action[40], name[80];
        int64_t at_ns = line_at(lines[i], action, sizeof action, name, sizeof name);
        if (strcmp(action, "partition") != 0 && strcmp(action, "cut") != 0) continue;
        char orig_line[300];
        const char *orig = strstr(scenario, name);
        cr_assert(orig && sscanf(orig, "%299[^\n]", orig_line) == 1);
        char a2[40], n2[80];
        int64_t orig_ns = line_at(orig_line, a2, sizeof a2, n2, sizeof n2);
        for (size_t k = 0; k < n; k++) {
            char hact[40], hname[80];
            int64_t heal_ns = line_at(lines[k], hact, sizeof hact, hname, sizeof hname);
            if (strcmp(hact, "heal") != 0 || heal_ns <= orig_ns) continue;
            cr_assert_lt(at_ns, heal_ns, "'%s' was delayed past '%s'", lines[i], lines[k]);
        }
    }
}

Test(shrink, many_faults_shrink_to_few_with_the_same_kind_and_replay)
{
    struct recorded many = record_many(tmp_path("s.db"));
    sqlite3 *db = db_open(tmp_path("s.db"), false);
    int64_t names = db_int(db, "SELECT count(DISTINCT name) FROM faults WHERE run_id = ?1",
                           many.run_id, 0);
    db_close(db);
    cr_assert_eq(names, 33, "the scenario's 32 lines and --set faults.extra");

    struct spawn_result r;
    murphy(&r, "shrink", tmp_path("s.db"), "--out", tmp_path("min.ini"), NULL);
    assert_exit(&r, 0);
    long long before = 0, after = 0;
    const char *shrunk = strstr(r.out, "shrunk: ");
    cr_assert(shrunk && sscanf(shrunk, "shrunk: %lld -> %lld fault lines", &before, &after) == 2,
              "no 'shrunk:' line in\n%s", r.out);
    cr_assert_eq(before, names);
    cr_assert_geq(before, 30);
    cr_assert_leq(after, 5, "%lld lines left:\n%s", after, r.out);
    cr_assert_geq(after, 1, "seed %d does not conflict without faults: one must stay", SEED);
    cr_assert(strstr(r.out, "target: oracle:elect \"two leaders in term #\""), "%s", r.out);
    cr_assert(strstr(r.out, "the same run as recorded"), "rebuilt run differs:\n%s", r.out);
    cr_assert(strstr(r.out, "1-minimal: yes"), "%s", r.out);
    struct recorded small = shrunk_run(&r);
    spawn_result_free(&r);

    /* the recorded shrunk run: violated, that kind first, its own scenario text */
    db = db_open(tmp_path("s.db"), false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs WHERE id = ?1 AND status = 'violated'"
                            " AND seed = ?2", small.run_id, SEED), 1);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM (SELECT source, text FROM violations"
                                 " WHERE run_id = ?1 ORDER BY seq, rowid LIMIT 1) WHERE source"
                                 " = ?2 AND text LIKE ?3", small.run_id, "oracle:elect",
                             KIND_LIKE), 1, "the shrunk run's first violation is another kind");
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT name) FROM faults WHERE run_id = ?1",
                        small.run_id, 0), after);
    char overrides[256];
    cr_assert(db_text(db, "SELECT overrides FROM runs WHERE id = ?1", small.run_id, overrides,
                      sizeof overrides));
    cr_assert_str_eq(overrides, "[\"" NAIVE "\"]");
    db_close(db);
    assert_replay_identical(tmp_path("s.db"), &small);

    /* the written scenario: the same run, in two separate processes */
    const char *extra[] = {"--set", NAIVE, NULL};
    struct spawn_child a, b;
    record_run_start(&a, NULL, tmp_path("min.ini"), SEED, extra);
    record_run_start(&b, NULL, tmp_path("min.ini"), SEED, extra);
    struct recorded ra = record_run_wait(&a, NULL, 1);
    struct recorded rb = record_run_wait(&b, NULL, 1);
    cr_assert_eq(ra.hash, rb.hash, "two processes: %016" PRIx64 " vs %016" PRIx64, ra.hash,
                 rb.hash);
    cr_assert_eq(ra.hash, small.hash, "min.ini is not the recorded shrunk run");
    cr_assert_eq(ra.events, small.events);

    /* 1-minimal, checked run by run */
    size_t text_bytes = 0;
    char *text = read_file(tmp_path("min.ini"), &text_bytes);
    cr_assert(text);
    static char lines[LINES_MAX][300];
    size_t n = fault_lines(text, lines);
    cr_assert_eq((long long)n, after, "min.ini has %zu lines:\n%s", n, text);
    for (size_t skip = 0; skip < n; skip++) assert_passes_without(text, lines, n, skip);
    assert_starts_before_its_heal(lines, n);
    text_free(text);
}

/* Seed 6 of the naive election conflicts in term 1, before the first split: no fault is
 * needed, and the first thing shrink tries (no fault at all) shows it. */
Test(shrink, a_violation_that_needs_no_fault_shrinks_to_none)
{
    const char *extra[] = {"--set", NAIVE, NULL};
    struct recorded six = record_run_argv(tmp_path("six.db"), "split-brain", 6, 1, extra);
    struct spawn_result r;
    murphy(&r, "shrink", tmp_path("six.db"), "--quiet", NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "shrunk: 21 -> 0 fault lines (21 -> 0 faults as run), 2 runs"),
              "%s", r.out);
    cr_assert(strstr(r.out, "faults to paste: none"), "%s", r.out);
    struct recorded none = shrunk_run(&r);
    spawn_result_free(&r);
    cr_assert_neq(none.run_id, six.run_id);
    sqlite3 *db = db_open(tmp_path("six.db"), false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM faults WHERE run_id = ?1", none.run_id, 0), 0);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source"
                                 " = ?2 AND text LIKE ?3", none.run_id, "oracle:elect",
                             KIND_LIKE), 1);
    db_close(db);
    assert_replay_identical(tmp_path("six.db"), &none);
}

Test(shrink, two_shrinks_in_two_processes_agree)
{
    record_many(tmp_path("one.db"));
    record_many(tmp_path("two.db"));
    struct spawn_result r1, r2;
    murphy(&r1, "shrink", tmp_path("one.db"), "--quiet", NULL);
    murphy(&r2, "shrink", tmp_path("two.db"), "--quiet", NULL);
    assert_exit(&r1, 0);
    assert_exit(&r2, 0);
    cr_assert_eq(result_hash(&r1), result_hash(&r2));
    const char *paste1 = strstr(r1.out, "faults to paste:");
    const char *paste2 = strstr(r2.out, "faults to paste:");
    cr_assert(paste1 && paste2);
    /* the faults to paste, up to the recorded run's id (the databases differ) */
    const char *end1 = strstr(paste1, "\nrun: "), *end2 = strstr(paste2, "\nrun: ");
    cr_assert(end1 && end2);
    cr_assert_eq(end1 - paste1, end2 - paste2);
    cr_assert_eq(memcmp(paste1, paste2, (size_t)(end1 - paste1)), 0, "%s\nvs\n%s", r1.out,
                 r2.out);
    spawn_result_free(&r1);
    spawn_result_free(&r2);
}

Test(shrink, budget_ends_the_search_with_a_run_that_still_fails)
{
    record_many(tmp_path("s.db"));
    struct spawn_result r;
    murphy(&r, "shrink", tmp_path("s.db"), "--max-runs", "5", "--db", tmp_path("out.db"),
           NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "1-minimal: not proven: --max-runs 5"), "%s", r.out);
    cr_assert(strstr(r.out, ", 5 runs in "), "%s", r.out);
    struct recorded small = shrunk_run(&r);
    spawn_result_free(&r);
    sqlite3 *db = db_open(tmp_path("out.db"), false);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source"
                                 " = ?2 AND text LIKE ?3", small.run_id, "oracle:elect",
                             KIND_LIKE), 1);
    db_close(db);
    assert_replay_identical(tmp_path("out.db"), &small);
}

Test(shrink, a_run_without_violations_is_refused)
{
    struct recorded ok = record_run(tmp_path("ok.db"), "split-brain", 1, NULL, NULL);
    cr_assert_eq(ok.exit_code, 0);
    struct spawn_result r;
    murphy(&r, "shrink", tmp_path("ok.db"), NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "has no violation"), "%s", r.err);
    spawn_result_free(&r);
    sqlite3 *db = db_open(tmp_path("ok.db"), false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs", 0, 0), 1, "shrink recorded a run");
    db_close(db);
}

Test(shrink, bad_usage_and_missing_database)
{
    struct spawn_result r;
    murphy(&r, "shrink", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "shrink", tmp_path("none.db"), NULL);
    assert_exit(&r, 3);
    spawn_result_free(&r);
    record_many(tmp_path("s.db"));
    murphy(&r, "shrink", tmp_path("s.db"), "--max-runs", "0", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "shrink", tmp_path("s.db"), "--run", "9", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "shrink", tmp_path("s.db"), "--bogus", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "shrink", "--help", NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "usage: murphy shrink DB"), "%s", r.out);
    spawn_result_free(&r);
}
