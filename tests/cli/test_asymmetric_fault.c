/* tests/cli/test_asymmetric_fault.c - proves what scenarios/asymmetric-fault.ini promises:
 * a node whose outgoing links are cut (it receives, it cannot send) is voted dead by the
 * majority while its own view says healthy, and both views are in the record. How: the
 * real `murphy run` in separate processes, seed 1; numbers are read from the record's
 * claims (member_node's member.dead / member.alive / member.self) and notes:
 *  - every other node (OBSERVERS) claims node.2 dead, each by exactly MAJORITY voters,
 *    between SUSPECT_NS and VERDICT_MAX_NS after the cut (the liveness floor: the verdict
 *    comes), and no other node is ever claimed dead;
 *  - node.2's view of itself: one member.self claim (healthy, at the start), never a
 *    change, and a note for each of the OBSERVERS' votes saying it hears all 4 peers and
 *    believes it is healthy;
 *  - after the heal all OBSERVERS claim node.2 alive again within VERDICT_MAX_NS;
 *  - determinism: the same hash in two processes, with and without a record, and
 *    `murphy replay` finds the recorded run identical. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

#define SCENARIO "asymmetric-fault"
#define SEED 1u
#define OBSERVERS 4                               /* node.0, .1, .3, .4 */
#define MAJORITY 3                                /* of 5 */
#define CUT_NS INT64_C(2000000000)                /* the cut: at 2s */
#define HEAL_NS INT64_C(6000000000)               /* the heal: at 6s */
#define SUSPECT_NS INT64_C(250000000)             /* suspect_after: no verdict earlier */
#define VERDICT_MAX_NS INT64_C(350000000)         /* measured 0.252 s (one heartbeat more) */

TestSuite(asymmetric_fault, .init = tmp_setup, .fini = tmp_teardown);

#define CLAIMS "FROM events e JOIN annotations a ON a.run_id = e.run_id AND a.seq = e.seq" \
               " AND a.kind = e.kind WHERE e.run_id = ?1 AND e.kind = 'claim'"
#define DEAD_OF_2 CLAIMS " AND a.text = 'member.dead' AND e.obj_id = ?2"
#define ALIVE_OF_2 CLAIMS " AND a.text = 'member.alive' AND e.obj_id = ?2"

Test(asymmetric_fault, the_majority_votes_it_dead_while_it_believes_it_is_healthy)
{
    const char *db_path = tmp_path("asym.db");
    struct recorded rec = record_run_argv(db_path, SCENARIO, SEED, 0, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t id = rec.run_id, cut_off = db_node(db, id, "node.2");
    /* the majority's view */
    cr_assert_eq(db_int(db, "SELECT count(*) " DEAD_OF_2, id, cut_off), OBSERVERS);
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT e.node) " DEAD_OF_2, id, cut_off), OBSERVERS);
    cr_assert_eq(db_int(db, "SELECT count(*) " DEAD_OF_2 " AND e.ref_id <> 3" /* MAJORITY */, id, cut_off), 0,
                 "every verdict by exactly %d voters", MAJORITY);
    int64_t first_ns = db_int(db, "SELECT min(e.time_ns) " DEAD_OF_2, id, cut_off);
    int64_t last_ns = db_int(db, "SELECT max(e.time_ns) " DEAD_OF_2, id, cut_off);
    cr_assert_geq(first_ns - CUT_NS, SUSPECT_NS, "dead after %" PRId64 " ns", first_ns - CUT_NS);
    cr_assert_leq(last_ns - CUT_NS, VERDICT_MAX_NS, "dead after %" PRId64 " ns", last_ns - CUT_NS);
    cr_assert_eq(db_int(db, "SELECT count(*) " CLAIMS " AND a.text = 'member.dead' AND"
                        " e.obj_id <> ?2", id, cut_off), 0, "only node.2 is ever voted dead");
    /* its own view: healthy at the start, never changed; the votes against it noted */
    cr_assert_eq(db_int(db, "SELECT count(*) " CLAIMS " AND a.text = 'member.self' AND"
                        " e.node = ?2", id, cut_off), 1);
    cr_assert_eq(db_int(db, "SELECT e.obj_id " CLAIMS " AND a.text = 'member.self' AND"
                        " e.node = ?2", id, cut_off), 1, "node.2 believes it is healthy");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events e JOIN annotations a ON a.run_id ="
                        " e.run_id AND a.seq = e.seq AND a.kind = 'note' WHERE e.run_id = ?1"
                        " AND e.kind = 'note' AND e.node = ?2 AND a.text LIKE '% votes me dead;"
                        " I hear 4 of 4 peers: I believe I am healthy'", id, cut_off), OBSERVERS);
    /* after the heal, alive again for everyone */
    cr_assert_eq(db_int(db, "SELECT count(DISTINCT e.node) " ALIVE_OF_2, id, cut_off), OBSERVERS);
    int64_t alive_ns = db_int(db, "SELECT max(e.time_ns) " ALIVE_OF_2, id, cut_off);
    cr_assert_geq(alive_ns, HEAL_NS);
    cr_assert_leq(alive_ns - HEAL_NS, VERDICT_MAX_NS);
    cr_log_info("node.2 dead %.3f s after the cut by %d voters; alive %.3f s after the heal",
                (double)(first_ns - CUT_NS) / 1e9, MAJORITY, (double)(alive_ns - HEAL_NS) / 1e9);
    db_close(db);
}

Test(asymmetric_fault, same_hash_in_separate_processes_and_replay_is_identical)
{
    const char *db_path = tmp_path("replay.db");
    for (uint64_t seed = 1; seed <= 2; seed++) {
        uint64_t first = record_run_argv(NULL, SCENARIO, seed, 0, NULL).hash;
        uint64_t second = record_run_argv(NULL, SCENARIO, seed, 0, NULL).hash;
        cr_assert_eq(first, second, "seed %" PRIu64 ": %016" PRIx64 " then %016" PRIx64, seed,
                     first, second);
        struct recorded rec = record_run_argv(db_path, SCENARIO, seed, 0, NULL);
        cr_assert_eq(rec.hash, first, "recording changed the hash");
        assert_replay_identical(db_path, &rec);
    }
}
