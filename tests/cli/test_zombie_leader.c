/* tests/cli/test_zombie_leader.c - proves what scenarios/zombie-leader.ini promises: a
 * leader paused past its lease comes back and writes with its old term; a store that
 * fences by term refuses that write and keeps taking the new leader's, a store that does
 * not applies it after the new leader's (two leaders acting at once). How: the real
 * `murphy run` in separate processes; numbers are read from each run's record (the
 * "fence" and "elect" oracles' metrics, violations and the store's claims):
 *  - fencing (the scenario as written), seed 1: exit 0; exactly ZOMBIE_WRITES write
 *    refused, of term 1 with term 2 already written, and after node.0's pause ended;
 *    no stale write applied, no term with two writers; liveness floor: at least
 *    NEWEST_WRITES_MIN writes applied in term 2, the first of them before the zombie
 *    came back;
 *  - fencing=false, seed 1: exit 1, fence.stale_accepted == ZOMBIE_WRITES == the
 *    oracle's violations, naming node.0's term 1 after node.2's term 2;
 *  - determinism: the same hash in two processes, with and without a record, and
 *    `murphy replay` finds the recorded runs identical, for both variants. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "zombie-leader"
#define NO_FENCING "node.store.fencing=false"
#define SEED 1u
#define ZOMBIE_WRITES 1   /* the one write node.0 was preparing when it was paused */
#define NEWEST_WRITES_MIN 30 /* node.2 writes every 100ms from 2.45s to 6s: measured 36 */
#define PAUSE_END_NS INT64_C(3060000000) /* z1: at 2060ms pause node.0 for 1s */

TestSuite(zombie_leader, .init = tmp_setup, .fini = tmp_teardown);

static struct recorded run_one(const char *db_path, const char *set, int expected_exit)
{
    const char *const set_args[] = {"--set", set, NULL};
    return record_run_argv(db_path, SCENARIO, SEED, expected_exit, set ? set_args : NULL);
}

/* Events that are claims, with the claim's name (recorded as an annotation) as `name`. */
#define CLAIMS "FROM events e JOIN annotations a ON a.run_id = e.run_id AND a.seq = e.seq" \
               " AND a.kind = 'claim' WHERE e.run_id = ?1 AND e.kind = 'claim'"
#define REJECT_CLAIM CLAIMS " AND a.text = 'fence.reject'"

static int64_t claims(sqlite3 *db, int64_t run_id, const char *name)
{
    return db_int_text(db, "SELECT count(*) " CLAIMS " AND a.text = ?2", run_id, name, NULL);
}

/* (a) fencing: the zombie's write is refused, the new leader's are applied. */
Test(zombie_leader, fencing_refuses_the_zombie_and_keeps_the_new_leader_writing)
{
    const char *db_path = tmp_path("fenced.db");
    struct recorded rec = run_one(db_path, NULL, 0);
    sqlite3 *db = db_open(db_path, false);
    int64_t id = rec.run_id;
    cr_assert_eq(db_metric_count(db, id, "fence.writes_rejected"), ZOMBIE_WRITES);
    cr_assert_eq(db_metric_count(db, id, "fence.stale_accepted"), 0);
    cr_assert_eq(db_metric_count(db, id, "fence.same_term_writers"), 0);
    cr_assert_eq(db_metric_count(db, id, "fence.terms_written"), 2);
    int64_t newest = db_metric_count(db, id, "fence.newest_term_writes");
    cr_assert_geq(newest, NEWEST_WRITES_MIN, "term 2 writes: %" PRId64, newest);
    cr_assert_eq(db_metric_count(db, id, "elect.overlaps"), 1);
    cr_assert_eq(db_metric_count(db, id, "elect.conflicts"), 0);
    cr_assert_eq(claims(db, id, "fence.reject"), ZOMBIE_WRITES);
    /* the refusal: term 1 (obj) against term 2 (ref), at the store, after the pause */
    cr_assert_eq(db_int(db, "SELECT e.obj_id " REJECT_CLAIM, id, 0), 1);
    cr_assert_eq(db_int(db, "SELECT e.ref_id " REJECT_CLAIM, id, 0), 2);
    cr_assert_eq(db_int(db, "SELECT e.node " REJECT_CLAIM, id, 0), db_node(db, id, "store"));
    cr_assert_geq(db_int(db, "SELECT e.time_ns " REJECT_CLAIM, id, 0), PAUSE_END_NS);
    /* node.2 led term 2 and wrote before node.0 came back */
    int64_t first_new_ns = db_int(db, "SELECT min(e.time_ns) " CLAIMS " AND a.text ="
                                  " 'fence.accept' AND e.obj_id = 2 AND e.ref_id = ?2", id,
                                  db_node(db, id, "node.2"));
    cr_assert_gt(first_new_ns, 0);
    cr_assert_lt(first_new_ns, PAUSE_END_NS);
    db_close(db);
}

/* (b) no fencing: the zombie's write lands after its successor's. */
Test(zombie_leader, without_fencing_the_zombie_writes_after_its_successor)
{
    const char *db_path = tmp_path("unfenced.db");
    struct recorded rec = run_one(db_path, NO_FENCING, 1);
    cr_assert_eq(strncmp(rec.status, "violated", 8), 0, "%s", rec.status);
    sqlite3 *db = db_open(db_path, false);
    int64_t id = rec.run_id;
    cr_assert_eq(db_metric_count(db, id, "fence.stale_accepted"), ZOMBIE_WRITES);
    cr_assert_eq(db_metric_count(db, id, "fence.writes_rejected"), 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND source ="
                        " 'oracle:fence'", id, 0), ZOMBIE_WRITES);
    char text[600];
    cr_assert(db_text(db, "SELECT text FROM violations WHERE run_id = ?1 AND source ="
                      " 'oracle:fence'", id, text, sizeof text));
    cr_assert(strstr(text, "a write of term 1 from node.0 after node.2 wrote term 2"), "%s", text);
    db_close(db);
}

/* (c) determinism: separate processes, recorded or not, and replay. */
Test(zombie_leader, same_hash_in_separate_processes_and_replay_is_identical)
{
    const char *sets[] = {NULL, NO_FENCING};
    const int exits[] = {0, 1};
    for (size_t i = 0; i < 2; i++) {
        const char *db_path = tmp_path(i ? "replay-unfenced.db" : "replay-fenced.db");
        uint64_t first = run_one(NULL, sets[i], exits[i]).hash;
        uint64_t second = run_one(NULL, sets[i], exits[i]).hash;
        cr_assert_eq(first, second, "variant %zu: %016" PRIx64 " then %016" PRIx64, i, first,
                     second);
        struct recorded rec = run_one(db_path, sets[i], exits[i]);
        cr_assert_eq(rec.hash, first, "recording changed the hash");
        assert_replay_identical(db_path, &rec);
    }
}
