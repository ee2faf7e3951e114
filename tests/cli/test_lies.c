/* tests/cli/test_lies.c - proves what the per-model Byzantine lies promise (the `alter`
 * policy through a model's byz_alter hook): which protocol survives which lie. How: the
 * real `murphy` in separate processes, numbers read from the record with SQLite.
 *
 * Suite lying_timestamps (scenarios/lying-timestamps.ini: three writers take turns 20 ms
 * apart on a last-write-wins register; from 5 s carol stamps every write 1 h ahead):
 *  - the header's numbers on seeds 1..3: 417 writes acknowledged, 83 lies, all delivered,
 *    166 honest writes lost (every one alice and bob make after 5 s), all to lies, none
 *    before the first lie; carol's own 83 writes after 5 s end `info`; every read after
 *    5.1 s returns a value of carol's (LWW does not survive one liar);
 *  - the lie's size decides: 10 ms (under a turn) loses nothing, 30 ms only alice's 83;
 *    one lie in ten (8) still loses 220, carol's own truthful writes among them;
 *  - every lie event states the truth: its value and true stamp are the liar's own
 *    lww.invoke claim, and the stamp it said is exactly lie_ahead later;
 *  - two processes give the same hash and `murphy replay` is identical.
 * Suite fencing_lies (scenarios/fencing-token.ini, client.0 Byzantine from 10 s):
 *  - a stale token (lie_token -1) is stopped: no write of the liar's after 10 s is
 *    accepted, no conflict, no forgery, the lies are refused (lease.stale_rejected rises)
 *    and the honest clients keep writing;
 *  - a forged higher token (lie_token +1000) is accepted, once: the oracle reports the
 *    token the lock never granted, and from then on no write is accepted while the lock
 *    keeps granting and the store refuses every honest holder (fencing became a lockout);
 *  - both replay identically and hash the same in two processes.
 * Suite quorum_lies (scenarios/quorum-register.ini, replica.0 Byzantine from 0 s: it
 * acknowledges stores and answers every query as if it held nothing):
 *  - n = 3, w = 2, r = 2 (quorums meet in one replica, which may be the liar): `murphy
 *    check` finds the history NOT linearizable on each of seeds 1..3; the run replays
 *    identically and hashes the same in two processes;
 *  - n = 4, w = 3, r = 3 (quorums meet in two replicas, one of them honest): linearizable
 *    on seeds 1..5 although the liar lied at least 100 times per run, with at least 60%
 *    of operations ok (liveness floor; 68-85% measured);
 *  - n = 4, w = 3, r = 2 (meeting in one again): some seed of 1..5 is NOT linearizable. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spawn.h"

#define LYING "scenarios/lying-timestamps.ini"
#define FENCING "scenarios/fencing-token.ini"
#define LIE_AT_NS INT64_C(5000000000)       /* lying-timestamps: carol lies from 5 s */
#define HOUR_NS INT64_C(3600000000000)      /* its default lie_ahead */

/* --- lying-timestamps ------------------------------------------------------------------ */

TestSuite(lying_timestamps, .init = tmp_setup, .fini = tmp_teardown);

static struct recorded run_lying(const char *db_path, uint64_t seed, const char *ahead,
                                 int expected_exit)
{
    char set[64];
    snprintf(set, sizeof set, "node.carol.lie_ahead=%s", ahead);
    const char *const args[] = {"--set", set, NULL};
    return record_run_argv(db_path, source_path(LYING), seed, expected_exit, args);
}

Test(lying_timestamps, one_liar_loses_every_honest_write_after_it, .timeout = 60)
{
    const char *db_path = tmp_path("lying.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = record_run_argv(db_path, source_path(LYING), seed, 1, NULL);
        sqlite3 *db = db_open(db_path, false);
        int64_t carol = db_node(db, run.run_id, "carol");
        int64_t acked = db_metric_count(db, run.run_id, "lww.acked");
        int64_t lost = db_metric_count(db, run.run_id, "lww.lost");
        int64_t to_lies = db_metric_count(db, run.run_id, "lww.lost_to_lies");
        int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
        int64_t delivered = db_metric_count(db, run.run_id, "lww.lies_delivered");
        int64_t violations = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                                    " AND source = 'oracle:lww'", run.run_id, 0);
        int64_t first_ns = db_int(db, "SELECT min(e.time_ns) FROM violations v JOIN events e"
                                  " ON e.run_id = v.run_id AND e.seq = v.seq WHERE"
                                  " v.run_id = ?1", run.run_id, 0);
        int64_t carol_info = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                                    " node = ?2 AND f = 'write' AND type = 'info'", run.run_id,
                                    carol);
        int64_t carol_ok_late = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                                       " node = ?2 AND f = 'write' AND type = 'ok' AND"
                                       " invoke_ns >= 5000000000", run.run_id, carol);
        int64_t reads_late = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                                    " f = 'read' AND type = 'ok' AND invoke_ns > 5100000000",
                                    run.run_id, 0);
        int64_t reads_carol = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                                     " f = 'read' AND type = 'ok' AND invoke_ns > 5100000000"
                                     " AND (CAST(result AS INTEGER) >> 32) = ?2", run.run_id,
                                     carol);
        db_close(db);
        cr_log_info("seed %" PRIu64 ": %" PRId64 " acked, %" PRId64 " lies, %" PRId64
                    " lost (%" PRId64 " to lies), %" PRId64 " of %" PRId64 " late reads carol's",
                    seed, acked, lies, lost, to_lies, reads_carol, reads_late);
        /* alice 167 + bob 167 + carol's 83 before 5 s (writes every 60 ms over 10 s) */
        cr_assert_eq(acked, 417, "seed %" PRIu64 ": %" PRId64 " acknowledged", seed, acked);
        cr_assert_eq(lies, 83, "seed %" PRIu64 ": %" PRId64 " lies", seed, lies);
        cr_assert_eq(delivered, lies, "seed %" PRIu64, seed);
        cr_assert_eq(lost, 166, "seed %" PRIu64 ": %" PRId64 " lost (83 of alice's + 83 of"
                     " bob's after 5 s)", seed, lost);
        cr_assert_eq(to_lies, lost, "seed %" PRIu64, seed);
        cr_assert_eq(violations, lost, "seed %" PRIu64, seed);
        cr_assert_gt(first_ns, LIE_AT_NS, "seed %" PRIu64 ": a write lost before any lie",
                     seed);
        cr_assert_eq(carol_info, lies, "seed %" PRIu64 ": the liar's own writes", seed);
        cr_assert_eq(carol_ok_late, 0, "seed %" PRIu64, seed);
        cr_assert_geq(reads_late, 200, "seed %" PRIu64 ": liveness: %" PRId64 " reads", seed,
                      reads_late);
        cr_assert_eq(reads_carol, reads_late, "seed %" PRIu64 ": %" PRId64 " of %" PRId64
                     " reads after the first lie return carol's", seed, reads_carol,
                     reads_late);
    }
}

Test(lying_timestamps, a_lie_shorter_than_a_turn_beats_nobody, .timeout = 60)
{
    static const struct { const char *ahead; int64_t lost; int exit_code; } cases[] = {
        {"10ms", 0, 0}, /* under the 20 ms turn: alice's next write is later still */
        {"30ms", 83, 1}, /* past one turn: alice's write after each of carol's */
        {"1h", 166, 1},
    };
    const char *db_path = tmp_path("ahead.db");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct recorded run = run_lying(db_path, 1, cases[i].ahead, cases[i].exit_code);
        sqlite3 *db = db_open(db_path, false);
        int64_t lost = db_metric_count(db, run.run_id, "lww.lost");
        int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
        int64_t acked = db_metric_count(db, run.run_id, "lww.acked");
        db_close(db);
        cr_log_info("carol +%s: %" PRId64 " lies, %" PRId64 " of %" PRId64 " lost",
                    cases[i].ahead, lies, lost, acked);
        cr_assert_eq(lies, 83, "+%s", cases[i].ahead); /* she lied every time */
        cr_assert_eq(acked, 417, "+%s", cases[i].ahead);
        cr_assert_eq(lost, cases[i].lost, "+%s: %" PRId64 " lost", cases[i].ahead, lost);
    }
}

/* The header's second exercise: one lie in ten still buries nearly everything after the
 * first, carol's own truthful writes included (each lie covers an hour). */
Test(lying_timestamps, one_lie_in_ten_is_enough, .timeout = 30)
{
    const char *db_path = tmp_path("ratio.db");
    const char *const args[] = {"--set", "faults.liar=at 5s byzantine carol alter ratio 10%",
                                NULL};
    struct recorded run = record_run_argv(db_path, source_path(LYING), 1, 1, args);
    sqlite3 *db = db_open(db_path, false);
    int64_t carol = db_node(db, run.run_id, "carol");
    int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
    int64_t lost = db_metric_count(db, run.run_id, "lww.lost_to_lies");
    int64_t acked = db_metric_count(db, run.run_id, "lww.acked");
    int64_t carol_lost = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1 AND"
                                " source = 'oracle:lww' AND node = ?2", run.run_id, carol);
    db_close(db);
    cr_log_info("ratio 10%%: %" PRId64 " lies, %" PRId64 " of %" PRId64 " lost (%" PRId64
                " of them carol's)", lies, lost, acked, carol_lost);
    cr_assert_eq(lies, 8);
    cr_assert_eq(lost, 220);
    cr_assert_eq(acked, 492); /* 334 + 83 + carol's 75 truthful writes after 5 s */
    cr_assert_gt(carol_lost, 50, "the liar's own truthful writes: %" PRId64, carol_lost);
}

/* The record states the truth: each lie's value and true stamp are carol's own claim. */
Test(lying_timestamps, every_lie_states_the_truth, .timeout = 30)
{
    const char *db_path = tmp_path("truth.db");
    struct recorded run = record_run_argv(db_path, source_path(LYING), 1, 1, NULL);
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "CREATE TEMP TABLE said AS SELECT"
            " CAST(substr(a.text, instr(a.text, 'stamped value ') + 14) AS INTEGER) AS value,"
            " CAST(substr(a.text, instr(a.text, ' at ts ') + 7) AS INTEGER) AS stamp,"
            " CAST(substr(a.text, instr(a.text, 'the truth is ts ') + 16) AS INTEGER) AS truth,"
            " e.node AS node FROM events e JOIN annotations a ON a.run_id = e.run_id AND"
            " a.seq = e.seq WHERE e.run_id = ?1 AND e.kind = 'lie' AND e.detail = 'alter'",
            run.run_id, 0);
    int64_t lies = db_int(db, "SELECT count(*) FROM said", 0, 0);
    int64_t true_claims = db_int(db, "SELECT count(*) FROM said s WHERE EXISTS (SELECT 1 FROM"
                                 " events e JOIN annotations a ON a.run_id = e.run_id AND"
                                 " a.seq = e.seq WHERE e.run_id = ?1 AND e.kind = 'claim' AND"
                                 " a.text = 'lww.invoke' AND e.node = s.node AND"
                                 " e.ref_id = s.value AND e.obj_id = s.truth)", run.run_id, 0);
    int64_t an_hour = db_int(db, "SELECT count(*) FROM said WHERE stamp - truth = ?1", HOUR_NS,
                             0);
    db_close(db);
    cr_assert_eq(lies, 83);
    cr_assert_eq(true_claims, lies, "%" PRId64 " of %" PRId64 " lies name the liar's claim",
                 true_claims, lies);
    cr_assert_eq(an_hour, lies, "%" PRId64 " of %" PRId64 " lies are 1 h ahead", an_hour,
                 lies);
}

Test(lying_timestamps, deterministic_across_processes_and_replay, .timeout = 60)
{
    const char *db_path = tmp_path("replay.db");
    for (uint64_t seed = 1; seed <= 2; seed++) {
        struct recorded first = record_run_argv(NULL, source_path(LYING), seed, 1, NULL);
        struct recorded second = record_run_argv(db_path, source_path(LYING), seed, 1, NULL);
        cr_assert_eq(first.hash, second.hash, "seed %" PRIu64 ": %016" PRIx64 " then %016"
                     PRIx64, seed, first.hash, second.hash);
        assert_replay_identical(db_path, &second);
    }
}

/* --- fencing tokens: stale and forged ---------------------------------------------------- */

TestSuite(fencing_lies, .init = tmp_setup, .fini = tmp_teardown);

#define LIAR "faults.liar=at 10s byzantine client.0 alter"

static struct recorded run_fencing(const char *db_path, uint64_t seed, const char *lie_token,
                                   int expected_exit)
{
    char set[64];
    snprintf(set, sizeof set, "node.client.lie_token=%s", lie_token);
    const char *const args[] = {"--set", LIAR, "--set", set, NULL};
    return record_run_argv(db_path, source_path(FENCING), seed, expected_exit, args);
}

/* Writes the store accepted with a token granted to node ?2 at or after 10 s. */
#define LIAR_ACCEPTS_SQL                                                                  \
    "SELECT count(*) FROM events w JOIN annotations wa ON wa.run_id = w.run_id AND"       \
    " wa.seq = w.seq JOIN events g ON g.run_id = w.run_id AND g.ref_id = w.obj_id JOIN"   \
    " annotations ga ON ga.run_id = g.run_id AND ga.seq = g.seq WHERE w.run_id = ?1 AND"  \
    " wa.text = 'store.accept' AND ga.text = 'lease.grant' AND g.obj_id = ?2 AND"         \
    " g.time_ns >= 10000000000"

Test(fencing_lies, a_stale_token_is_refused, .timeout = 60)
{
    const char *db_path = tmp_path("stale.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = run_fencing(db_path, seed, "-1", 0);
        sqlite3 *db = db_open(db_path, false);
        int64_t liar = db_node(db, run.run_id, "client.0");
        int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
        int64_t refused = db_metric_count(db, run.run_id, "lease.stale_rejected");
        int64_t conflicts = db_metric_count(db, run.run_id, "lease.conflicts");
        int64_t forged = db_metric_count(db, run.run_id, "lease.forged_accepted");
        int64_t liar_accepts = db_int(db, LIAR_ACCEPTS_SQL, run.run_id, liar);
        int64_t duplicates = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                                    " AND kind = 'note' AND text LIKE 'the last accepted write"
                                    " again%'", run.run_id, 0);
        int64_t honest_late = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND"
                                     " node != ?2 AND f = 'incr' AND type = 'ok' AND"
                                     " invoke_ns > 10000000000", run.run_id, liar);
        db_close(db);
        cr_log_info("seed %" PRIu64 ": %" PRId64 " stale lies, %" PRId64 " writes refused, %"
                    PRId64 " answered as duplicates, %" PRId64 " honest writes after 10 s",
                    seed, lies, refused, duplicates, honest_late);
        cr_assert_geq(lies, 30, "seed %" PRIu64 ": the liar wrote only %" PRId64 " times",
                      seed, lies);
        cr_assert_eq(liar_accepts, 0, "seed %" PRIu64 ": %" PRId64 " stale writes accepted",
                     seed, liar_accepts);
        cr_assert_eq(conflicts, 0, "seed %" PRIu64, seed);
        cr_assert_eq(forged, 0, "seed %" PRIu64, seed);
        /* each lie is refused (S1) or is the last accepted write's token, answered as its
         * duplicate and not applied (S4); honest clients are refused only when paused */
        cr_assert_geq(refused + duplicates, lies, "seed %" PRIu64 ": %" PRId64 " refused + %"
                      PRId64 " duplicates < %" PRId64 " lies", seed, refused, duplicates, lies);
        cr_assert_gt(refused, 0, "seed %" PRIu64, seed);
        cr_assert_geq(honest_late, 100, "seed %" PRIu64 ": liveness: only %" PRId64, seed,
                      honest_late);
    }
}

Test(fencing_lies, a_forged_higher_token_is_accepted_and_locks_everyone_out, .timeout = 60)
{
    const char *db_path = tmp_path("forged.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = run_fencing(db_path, seed, "1000", 1);
        sqlite3 *db = db_open(db_path, false);
        int64_t forged = db_metric_count(db, run.run_id, "lease.forged_accepted");
        int64_t conflicts = db_metric_count(db, run.run_id, "lease.conflicts");
        int64_t forged_seq = db_int(db, "SELECT min(seq) FROM violations WHERE run_id = ?1 AND"
                                    " source = 'oracle:lease' AND text LIKE '%never granted%'",
                                    run.run_id, 0);
        int64_t before = db_int(db, "SELECT count(*) FROM events e JOIN annotations a ON"
                                " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1"
                                " AND a.text = 'store.accept' AND e.seq < ?2", run.run_id,
                                forged_seq);
        int64_t after = db_int(db, "SELECT count(*) FROM events e JOIN annotations a ON"
                               " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1"
                               " AND a.text = 'store.accept' AND e.seq > ?2", run.run_id,
                               forged_seq);
        int64_t grants_after = db_int(db, "SELECT count(*) FROM events e JOIN annotations a ON"
                                      " a.run_id = e.run_id AND a.seq = e.seq WHERE"
                                      " e.run_id = ?1 AND a.text = 'lease.grant' AND"
                                      " e.seq > ?2", run.run_id, forged_seq);
        int64_t refused_after = db_int(db, "SELECT count(*) FROM events e JOIN annotations a"
                                       " ON a.run_id = e.run_id AND a.seq = e.seq WHERE"
                                       " e.run_id = ?1 AND a.text LIKE 'store.reject%' AND"
                                       " e.seq > ?2", run.run_id, forged_seq);
        db_close(db);
        cr_log_info("seed %" PRIu64 ": forged token accepted at seq %" PRId64 "; %" PRId64
                    " writes before, %" PRId64 " after; %" PRId64 " grants and %" PRId64
                    " refusals after", seed, forged_seq, before, after, grants_after,
                    refused_after);
        cr_assert_eq(forged, 1, "seed %" PRIu64 ": %" PRId64 " forged tokens accepted", seed,
                     forged);
        cr_assert_gt(forged_seq, 0, "seed %" PRIu64 ": no violation names the forgery", seed);
        cr_assert_geq(before, 20, "seed %" PRIu64 ": only %" PRId64 " writes before the lie",
                      seed, before);
        cr_assert_eq(after, 0, "seed %" PRIu64 ": %" PRId64 " writes accepted after", seed,
                     after);
        cr_assert_geq(grants_after, 150, "seed %" PRIu64 ": the lock granted %" PRId64, seed,
                      grants_after);
        cr_assert_geq(refused_after, grants_after - 5, "seed %" PRIu64 ": %" PRId64
                      " refusals for %" PRId64 " grants", seed, refused_after, grants_after);
        cr_assert_eq(conflicts, 0, "seed %" PRIu64, seed);
    }
}

Test(fencing_lies, deterministic_across_processes_and_replay, .timeout = 60)
{
    static const struct { const char *lie_token; int exit_code; } cases[] = {{"-1", 0},
                                                                           {"1000", 1}};
    const char *db_path = tmp_path("replay.db");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct recorded first = run_fencing(NULL, 1, cases[i].lie_token, cases[i].exit_code);
        struct recorded second = run_fencing(db_path, 1, cases[i].lie_token,
                                             cases[i].exit_code);
        cr_assert_eq(first.hash, second.hash, "lie_token %s: %016" PRIx64 " then %016" PRIx64,
                     cases[i].lie_token, first.hash, second.hash);
        assert_replay_identical(db_path, &second);
    }
}

/* --- quorums: a replica that denies what it acknowledged --------------------------------- */

TestSuite(quorum_lies, .init = tmp_setup, .fini = tmp_teardown);

#define QUORUM "scenarios/quorum-register.ini"
#define QLIAR "faults.liar=at 0s byzantine replica.0 alter"

/* `murphy check` (register model) of a recorded run: 0 linearizable, 1 not. */
static int check_run(const char *db_path, int64_t run_id)
{
    char id[32];
    struct spawn_result r;
    snprintf(id, sizeof id, "%" PRId64, run_id);
    murphy(&r, "check", db_path, "--run", id, "--model", "register", NULL);
    cr_assert(r.has_exited, "check did not exit: %s", r.cmd);
    int code = r.exit_code;
    cr_assert(code == 0 || code == 1, "check exit %d: %s", code, r.err);
    spawn_result_free(&r);
    return code;
}

/* Runs quorum-register with the liar and n replicas, quorums w and r. */
static struct recorded run_quorum(const char *db_path, uint64_t seed, const char *n,
                                  const char *w, const char *r)
{
    char set_n[48], set_w[48], set_r[48];
    snprintf(set_n, sizeof set_n, "node.replica.count=%s", n);
    snprintf(set_w, sizeof set_w, "node.client.w=%s", w);
    snprintf(set_r, sizeof set_r, "node.client.r=%s", r);
    const char *const args[] = {"--set", QLIAR, "--set", set_n, "--set", set_w, "--set", set_r,
                                NULL};
    /* the run itself has no oracle for this: `murphy check` judges the history */
    return record_run_argv(db_path, source_path(QUORUM), seed, 0, args);
}

Test(quorum_lies, one_liar_in_three_breaks_quorums_of_two, .timeout = 120)
{
    const char *db_path = tmp_path("q3.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = run_quorum(db_path, seed, "3", "2", "2");
        sqlite3 *db = db_open(db_path, false);
        int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
        db_close(db);
        int verdict = check_run(db_path, run.run_id);
        cr_log_info("n=3 w=2 r=2 seed %" PRIu64 ": %" PRId64 " lies, check exit %d", seed,
                    lies, verdict);
        cr_assert_gt(lies, 50, "seed %" PRIu64 ": only %" PRId64 " lies", seed, lies);
        cr_assert_eq(verdict, 1, "seed %" PRIu64 ": linearizable despite the liar", seed);
    }
    struct recorded again = run_quorum(NULL, 1, "3", "2", "2");
    struct recorded first = run_quorum(db_path, 1, "3", "2", "2");
    cr_assert_eq(first.hash, again.hash, "%016" PRIx64 " then %016" PRIx64, first.hash,
                 again.hash);
    assert_replay_identical(db_path, &first);
}

Test(quorum_lies, quorums_meeting_in_two_replicas_survive_one_liar, .timeout = 180)
{
    const char *db_path = tmp_path("q4.db");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct recorded run = run_quorum(db_path, seed, "4", "3", "3");
        sqlite3 *db = db_open(db_path, false);
        int64_t lies = db_metric_count(db, run.run_id, "lies.alter");
        int64_t ops = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1", run.run_id, 0);
        int64_t ok = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND type = 'ok'",
                            run.run_id, 0);
        db_close(db);
        int verdict = check_run(db_path, run.run_id);
        cr_log_info("n=4 w=3 r=3 seed %" PRIu64 ": %" PRId64 " lies, %" PRId64 " of %" PRId64
                    " ops ok, check exit %d", seed, lies, ok, ops, verdict);
        cr_assert_geq(lies, 100, "seed %" PRIu64 ": only %" PRId64 " lies", seed, lies);
        cr_assert_eq(verdict, 0, "seed %" PRIu64 ": NOT linearizable", seed);
        cr_assert_geq(ok * 10, ops * 6, "seed %" PRIu64 ": liveness: %" PRId64 " of %" PRId64
                      " ok", seed, ok, ops);
    }
}

Test(quorum_lies, quorums_meeting_in_one_replica_of_four_do_not, .timeout = 180)
{
    const char *db_path = tmp_path("q4r2.db");
    int broken = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct recorded run = run_quorum(db_path, seed, "4", "3", "2");
        if (check_run(db_path, run.run_id) == 1) broken++;
    }
    cr_log_info("n=4 w=3 r=2: %d of 5 seeds NOT linearizable", broken);
    cr_assert_geq(broken, 1, "no seed of 1..5 broke w=3 r=2 with one liar of four");
}
