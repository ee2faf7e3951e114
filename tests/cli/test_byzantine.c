/* tests/cli/test_byzantine.c - proves what scenarios/byzantine-generals.ini and the
 * Byzantine kernel (sim/byz.c, the link attacker in sim/net.c) promise. How: the real
 * `murphy` in separate processes; numbers from `murphy sweep` tables (one row of metrics
 * per seed: the "om" oracle's and the "lies" accumulator's) and from recorded runs:
 *  - OM(1) with n = 4 and one traitor of every policy, as commander (general.0) and as
 *    lieutenant (general.2), over seeds 1..SEEDS: every run ok with no violation,
 *    om.agreement = om.validity = 1, every loyal lieutenant decided, and the SEND count
 *    is the one computed here from OM(1) and the policy (expected_sends);
 *  - n = 3: `murphy search` finds seeds that break agreement; the first replays identical;
 *  - corruption in transit (link corrupt, attack = corrupt): the messages the generals
 *    reject for their checksum are exactly the corruptions the record holds, per seed;
 *  - a checksum does not stop a liar: `alter` lies carry a valid checksum and are all
 *    accepted (no rejection), while `corrupt` lies are all rejected;
 *  - determinism: the same hash in two processes, and `murphy replay` identical, for a
 *    liar of every policy at once and for a link attacker of every kind; the lies metrics
 *    read back from the record equal the live ones; `report` has the lies section;
 *  - a scenario asking `alter` of a model without the hook is refused (exit 2, file:line). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "byzantine-generals"
/* 1,000 seeds per (policy, role) in the optimized build (0.2 s each); under the
 * sanitizers, which look for memory errors and not statistics, 50. */
#if MURPHY_TEST_SANITIZED
#define SEEDS 50
#define SEEDS_TEXT "1..50"
#else
#define SEEDS 1000
#define SEEDS_TEXT "1..1000"
#endif
#define N 4 /* generals */
#define LATE "150ms" /* the delay policy's extra: above the 100ms round, so always late */

TestSuite(byzantine, .init = tmp_setup, .fini = tmp_teardown);

enum role { COMMANDER, LIEUTENANT };

struct policy_case {
    const char *policy;      /* as written after the node list */
    const char *name;        /* its lies.NAME metric */
};

static const struct policy_case policies[] = {
    {"alter", "alter"},         {"corrupt", "corrupt"},     {"drop", "drop"},
    {"delay extra " LATE, "delay"}, {"duplicate", "duplicate"}, {"replay", "replay"},
    {"flood", "flood"},
};
#define POLICY_COUNT (sizeof policies / sizeof policies[0])

/* Messages the traitor's honest model sends in OM(1): the commander its order to each of
 * the n-1 lieutenants; a lieutenant its relay to each of the n-2 others. */
static int64_t traitor_sends(enum role role) { return role == COMMANDER ? N - 1 : N - 2; }

/* Lies the policy tells at ratio 1 (every send): one per send, except replay, which has
 * nothing to replay on the traitor's first send (its sends are all at one instant, in
 * one round). */
static int64_t expected_lies(enum role role, const char *name)
{
    int64_t k = traitor_sends(role);
    return strcmp(name, "replay") == 0 ? k - 1 : k;
}

/* SEND events of the run: OM(1) has n-1 + (n-1)(n-2) honest sends (3 + 6 = 9 for n = 4),
 * of which the traitor's model makes k; a drop removes its sends, duplicate, replay and
 * flood add one message each (copies 1); alter, corrupt and delay change what or when,
 * not how many. Honest lieutenants relay every path whatever they heard (the default
 * for a missing order), so their count never moves. */
static int64_t expected_sends(enum role role, const char *name)
{
    int64_t honest = (N - 1) + (N - 1) * (N - 2);
    int64_t lies = expected_lies(role, name);
    if (strcmp(name, "drop") == 0) return honest - lies;
    if (strcmp(name, "duplicate") == 0 || strcmp(name, "replay") == 0 ||
        strcmp(name, "flood") == 0) return honest + lies;
    return honest;
}

static void traitor_set(char *out, size_t out_bytes, enum role role, const char *policy)
{
    snprintf(out, out_bytes, "faults.traitor=at 0s byzantine %s %s",
             role == COMMANDER ? "general.0" : "general.2", policy);
}

/* min and max of a metric over the sweep's runs; asserts one row per run. */
static void metric_range(sqlite3 *db, const char *name, int64_t *min, int64_t *max)
{
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM sweep_metrics WHERE name=?2", 0, name,
                             NULL), SEEDS, "metric %s: one row per seed", name);
    *min = db_int_text(db, "SELECT min(value) FROM sweep_metrics WHERE name=?2", 0, name, NULL);
    *max = db_int_text(db, "SELECT max(value) FROM sweep_metrics WHERE name=?2", 0, name, NULL);
}

static void expect_metric(sqlite3 *db, const char *name, int64_t expected, const char *what)
{
    int64_t min, max;
    metric_range(db, name, &min, &max);
    cr_assert(min == expected && max == expected, "%s: %s in [%" PRId64 ", %" PRId64
              "] over %d seeds, expected %" PRId64 " on every one", what, name, min, max, SEEDS,
              expected);
}

static void check_policy(enum role role, const struct policy_case *pc)
{
    char set[256], what[320];
    traitor_set(set, sizeof set, role, pc->policy);
    snprintf(what, sizeof what, "%s as %s", pc->policy,
             role == COMMANDER ? "commander" : "lieutenant");
    const char *db_path = tmp_path("sweep.db");
    struct spawn_result r;
    murphy(&r, "sweep", SCENARIO, "--seeds", SEEDS_TEXT, "--set", set, "--db", db_path,
           "--quiet", NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM sweep_runs WHERE status LIKE 'ok%' AND"
                            " violations = 0", 0, 0), SEEDS, "%s: every run ok", what);
    expect_metric(db, "om.agreement", 1, what);
    expect_metric(db, "om.validity", 1, what);
    expect_metric(db, "om.traitors", 1, what);
    /* the liveness floor: every loyal lieutenant decided (n-1, less a traitor lieutenant) */
    expect_metric(db, "om.decisions", role == COMMANDER ? N - 1 : N - 2, what);
    char lies_name[64];
    snprintf(lies_name, sizeof lies_name, "lies.%s", pc->name);
    expect_metric(db, lies_name, expected_lies(role, pc->name), what);
    expect_metric(db, "lies.total", expected_lies(role, pc->name), what);
    expect_metric(db, "om.sends", expected_sends(role, pc->name), what);
    db_close(db);
    db_remove(db_path);
}

Test(byzantine, om1_with_one_traitor_of_every_policy_agrees, .timeout = 300)
{
    for (size_t i = 0; i < POLICY_COUNT; i++) {
        check_policy(COMMANDER, &policies[i]);
        check_policy(LIEUTENANT, &policies[i]);
    }
}

/* The recorded run of run_id, as record_run would have reported it. */
static struct recorded recorded_of(const char *db_path, int64_t run_id)
{
    struct recorded rec = {.run_id = run_id};
    sqlite3 *db = db_open(db_path, false);
    char hash[32];
    cr_assert(db_text(db, "SELECT event_hash FROM runs WHERE id=?1", run_id, hash, sizeof hash));
    rec.hash = strtoull(hash, NULL, 16);
    rec.events = (uint64_t)db_int(db, "SELECT event_count FROM runs WHERE id=?1", run_id, 0);
    db_close(db);
    return rec;
}

Test(byzantine, three_generals_search_finds_disagreement_that_replays, .timeout = 120)
{
    const char *db_path = tmp_path("search.db");
    struct spawn_result r;
    murphy(&r, "search", SCENARIO, "--seeds", "1..20", "--db", db_path, "--quiet", "--set",
           "node.general.count=3", "--set",
           "faults.traitor=at 0s byzantine general.2 alter ratio 50%", NULL);
    assert_exit(&r, 1);
    size_t failing = count_lines_with(r.out, "reproduce: ");
    spawn_result_free(&r);
    /* the lieutenant lies on about half the seeds, and then always to general.1: measured
       7 of 20 (a lie that happens to tell the truth is harmless) */
    cr_assert_geq(failing, 3, "seeds found: %zu of 20", failing);
    sqlite3 *db = db_open(db_path, false);
    int64_t first = db_int(db, "SELECT min(id) FROM runs", 0, 0);
    cr_assert_gt(db_int(db, "SELECT count(*) FROM violations WHERE run_id=?1 AND"
                            " source='oracle:om' AND text LIKE 'agreement:%'", first, 0), 0,
                 "the first failing run breaks agreement");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events WHERE run_id=?1 AND kind='lie' AND"
                            " detail='alter'", first, 0), 1, "one lie: the relay to general.1");
    db_close(db);
    struct recorded rec = recorded_of(db_path, first);
    assert_replay_identical(db_path, &rec);
}

/* OM(1), n = 4, no traitor, over a network that corrupts: `corrupt` flips a bit of 5% of
 * messages, and an attacker on every link flips one of 10% more in transit. */
static const char transit_ini[] =
    "[scenario]\nname = om-transit\nduration = 1s\n"
    "[node.general]\nmodel = om_general\ncount = 4\ngenerals = general\n"
    "[link.default]\ndelay = uniform 1ms 20ms\ncorrupt = 5%\nattack = corrupt\n"
    "attack_rate = 10%\n";

Test(byzantine, corruption_in_transit_is_detected_exactly, .timeout = 120)
{
    const char *ini = tmp_path("transit.ini");
    write_file(ini, transit_ini, sizeof transit_ini - 1);
    const char *db_path = tmp_path("transit.db");
    struct spawn_result r;
    murphy(&r, "sweep", ini, "--seeds", "1..400", "--set", "scenario.duration=1s", "--db",
           db_path, "--quiet", NULL);
    assert_exit(&r, RUN_EXIT_OK_OR_VIOLATED);
    spawn_result_free(&r);
    sqlite3 *db = db_open(db_path, false);
    /* per seed: rejected for the checksum == corruptions the record holds */
    int64_t mismatched = db_int(db,
        "SELECT count(*) FROM (SELECT seed, sum(CASE name WHEN 'om.rejects_checksum' THEN value"
        " END) AS detected, sum(CASE name WHEN 'om.corrupted' THEN value END) AS corrupted"
        " FROM sweep_metrics GROUP BY seed) WHERE detected IS NOT corrupted", 0, 0);
    cr_assert_eq(mismatched, 0, "%" PRId64 " seeds where detections differ from corruptions",
                 mismatched);
    int64_t corrupted = db_int(db, "SELECT sum(value) FROM sweep_metrics WHERE"
                                   " name='om.corrupted'", 0, 0);
    int64_t by_attacker = db_int(db, "SELECT sum(value) FROM sweep_metrics WHERE"
                                     " name='attacks.corrupt'", 0, 0);
    /* liveness floor: 400 runs x 9 messages at ~14.5% is ~520 corruptions; at least 400,
       a third of them the attacker's (~10% of 3600: 360; floor 250) */
    cr_assert_geq(corrupted, 400, "corruptions in all: %" PRId64, corrupted);
    cr_assert_geq(by_attacker, 250, "by the attacker: %" PRId64, by_attacker);
    db_close(db);

    /* one recorded run, counted from the events themselves */
    const char *rec_db = tmp_path("one.db");
    const char *const args[] = {"--set", "link.default.corrupt=30%", NULL};
    struct recorded rec = record_run_argv(rec_db, ini, 3, RUN_EXIT_OK_OR_VIOLATED, args);
    db = db_open(rec_db, false);
    int64_t flips = db_int(db, "SELECT count(DISTINCT obj_id) FROM events WHERE run_id=?1 AND"
                               " (kind='corrupt' OR (kind='attack' AND detail='corrupt'))",
                           rec.run_id, 0);
    int64_t rejected = db_int(db, "SELECT count(*) FROM events e JOIN annotations a ON"
                                  " a.run_id=e.run_id AND a.seq=e.seq WHERE e.run_id=?1 AND"
                                  " e.kind='claim' AND a.text='om.reject' AND e.obj_id=2",
                              rec.run_id, 0);
    cr_assert_eq(rejected, flips, "seed 3: %" PRId64 " checksum rejections, %" PRId64
                 " corruptions recorded", rejected, flips);
    cr_assert_geq(flips, 1, "seed 3 at 30%% corrupts something");
    db_close(db);
    assert_replay_identical(rec_db, &rec);
}

Test(byzantine, a_checksum_does_not_stop_a_liar, .timeout = 60)
{
    /* alter: re-encoded with a valid checksum, every lie is accepted */
    const char *db_path = tmp_path("alter.db");
    struct recorded rec = record_run(db_path, SCENARIO, 1, NULL, NULL);
    cr_assert_eq(rec.exit_code, 0);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_metric_count(db, rec.run_id, "lies.alter"), 2, "two false relays");
    cr_assert_eq(db_metric_count(db, rec.run_id, "om.rejects"), 0, "all accepted");
    db_close(db);
    /* corrupt: the same traitor flipping bits instead is caught by every checksum */
    const char *db2 = tmp_path("corrupt.db");
    struct recorded rec2 = record_run(db2, SCENARIO, 1, "--set",
                                      "faults.traitor=at 0s byzantine general.2 corrupt");
    db = db_open(db2, false);
    cr_assert_eq(db_metric_count(db, rec2.run_id, "lies.corrupt"), 2);
    cr_assert_eq(db_metric_count(db, rec2.run_id, "om.rejects_checksum"), 2, "both caught");
    db_close(db);
}

static const char *const every_policy =
    "faults.traitor=at 0s byzantine general.0 alter,corrupt,drop,delay,duplicate,replay,flood"
    " ratio 50% extra 150ms copies 2";
static const char *const every_attack[] = {
    "--set", "link.default.attack=corrupt,forge,replay", "--set",
    "link.default.attack_rate=30%", NULL};

Test(byzantine, lies_and_attacks_are_deterministic_and_replay, .timeout = 120)
{
    const char *const liar[] = {"--set", every_policy, NULL};
    for (uint64_t seed = 1; seed <= 5; seed++) { /* separate processes, no record */
        uint64_t a = record_run_argv(NULL, SCENARIO, seed, RUN_EXIT_OK_OR_VIOLATED, liar).hash;
        cr_assert_eq(a, record_run_argv(NULL, SCENARIO, seed, RUN_EXIT_OK_OR_VIOLATED, liar).hash,
                     "seed %" PRIu64, seed);
        uint64_t b = record_run_argv(NULL, SCENARIO, seed, RUN_EXIT_OK_OR_VIOLATED,
                                     every_attack).hash;
        cr_assert_eq(b, record_run_argv(NULL, SCENARIO, seed, RUN_EXIT_OK_OR_VIOLATED,
                                        every_attack).hash, "seed %" PRIu64, seed);
        cr_assert_neq(a, b);
    }
    const char *db_path = tmp_path("replay.db");
    struct recorded rec = record_run_argv(db_path, SCENARIO, 2, RUN_EXIT_OK_OR_VIOLATED, liar);
    /* seed 3: the attacker corrupts two messages and forges one (seed 2: none, 0.7^9) */
    struct recorded rec2 = record_run_argv(db_path, SCENARIO, 3, RUN_EXIT_OK_OR_VIOLATED,
                                           every_attack);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_geq(db_int(db, "SELECT count(DISTINCT detail) FROM events WHERE run_id=?1 AND"
                             " kind='lie'", rec.run_id, 0), 4, "several policies lied");
    cr_assert_geq(db_int(db, "SELECT count(*) FROM events WHERE run_id=?1 AND kind='attack'",
                         rec2.run_id, 0), 3, "the attacker acted");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events e WHERE run_id=?1 AND kind IN"
                            " ('lie','attack') AND NOT EXISTS (SELECT 1 FROM annotations a"
                            " WHERE a.run_id=e.run_id AND a.seq=e.seq AND a.kind=e.kind)",
                         rec.run_id, 0), 0, "every lie states its truth in annotations");
    db_close(db);
    assert_replay_identical(db_path, &rec);
    assert_replay_identical(db_path, &rec2);
    /* the lies accumulator read back from the record gives what it gave live */
    assert_metrics_replay_equal_live(db_path, rec.run_id);
    assert_metrics_replay_equal_live(db_path, rec2.run_id);
    struct spawn_result r;
    murphy(&r, "report", db_path, "--run", "1", NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "lies (per node and policy") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "general.0 alter") != NULL, "%s", r.out);
    spawn_result_free(&r);
}

Test(byzantine, alter_needs_the_models_hook, .timeout = 30)
{
    static const char ini[] = "[scenario]\nduration = 1s\n[node.server]\nmodel = echo_server\n"
                              "[faults]\nliar = at 0s byzantine server alter\n";
    const char *path = tmp_path("bad.ini");
    write_file(path, ini, sizeof ini - 1);
    struct spawn_result r;
    murphy(&r, "run", path, "--no-db", NULL);
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "bad.ini:6") != NULL && strstr(r.err, "byz_alter") != NULL,
              "%s", r.err);
    spawn_result_free(&r);
}
