/* tests/cli/test_lww.c - proves what the scenarios lww-skew and clock-offset-eject promise,
 * with numbers read from their records. How: `murphy run SCENARIO --db` in separate
 * processes (with --set overrides), then the metrics, violations, ops, claims and clock
 * samples are read with the SQLite C API.
 *
 * Suite lww_skew (three writers take turns 20 ms apart; carol's clock is skewed):
 *  - without skew no acknowledged write is lost, over several seeds, while at least 450
 *    writes are acknowledged (liveness floor: 3 writers x 10 s / 60 ms = 500);
 *  - lost writes rise with carol's skew over 0, 10, 30, 50, 200 ms: non-decreasing, 0 up
 *    to the 20 ms turn, about a third of the acknowledged writes past one turn, about two
 *    thirds past two (every write of alice and bob is then under one of carol's);
 *  - every violation names an acknowledged write with a larger timestamp whose ack came
 *    before the lost write's invoke (checked against the record), and the oracle's count
 *    equals its violations; a clock behind (-30 ms) loses carol's own writes instead;
 *  - with 5% of messages corrupted, every one is rejected by checksum and none applied:
 *    no read returns a (value, ts) that no write carried;
 *  - the scenario as shipped exits 1, and two processes and `murphy replay` agree.
 * Suite clock_offset_eject (member.3 drifts 5000 ppm, cut from its time server at 30 s):
 *  - over three seeds member.3 and only it is ejected, after the cut, with its true offset
 *    below max_offset; no write stamped more than max_offset off is accepted, and the
 *    three healthy members each get at least 250 stamped writes accepted (liveness: 2/s);
 *    member.3 sends nothing but its time daemon's queries once ejected; the guard's
 *    estimate of its offset agrees with the truth;
 *  - with eject off, writes stamped beyond max_offset are accepted, all member.3's, and
 *    the stamps oracle reports each one (exit 1);
 *  - with 5% of messages corrupted, the verdict is the same (corruption is rejected);
 *  - cut from the time server, member.3's offset grows at its drift: the slope of its
 *    CLOCK_SAMPLE offsets equals the drift the fault set, within 0.01 ppm (readings are
 *    exact to 1 ns, so over >= 60 s the slope is exact to well under 0.001 ppm); before
 *    the cut ntpd keeps it within 50 ms and the healthy members within 5 ms;
 *  - two processes and `murphy replay` agree. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define LWW_SKEW "scenarios/lww-skew.ini"
#define EJECT "scenarios/clock-offset-eject.ini"
#define WALL_START_NS INT64_C(1735689600000000000) /* the scenarios' default wall_start */

/* --- lww-skew ------------------------------------------------------------------------- */

TestSuite(lww_skew, .init = tmp_setup, .fini = tmp_teardown);

#define ACKED_FLOOR 450 /* of the 500 writes 3 writers make in 10 s every 60 ms */

static struct recorded run_skew(const char *db_path, uint64_t seed, const char *offset)
{
    char set[64];
    snprintf(set, sizeof set, "node.carol.clock_offset=%s", offset);
    const char *const args[] = {"--set", set, NULL};
    /* the oracle decides the exit status: 1 exactly when it found lost writes */
    return record_run_argv(db_path, source_path(LWW_SKEW), seed, RUN_EXIT_OK_OR_VIOLATED, args);
}

Test(lww_skew, no_lost_writes_without_skew)
{
    const char *db_path = tmp_path("noskew.db");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        const char *const args[] = {"--set", "node.carol.clock_offset=0ms", NULL};
        struct recorded run = record_run_argv(db_path, source_path(LWW_SKEW), seed, 0, args);
        sqlite3 *db = db_open(db_path, false);
        double lost = db_metric(db, run.run_id, "lww.lost");
        double acked = db_metric(db, run.run_id, "lww.acked");
        int64_t ok_writes = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'write'"
                                   " AND type = 'ok'", run.run_id, 0);
        db_close(db);
        cr_assert_eq(lost, 0, "seed %" PRIu64 ": %.0f writes lost without skew", seed, lost);
        cr_assert_geq(acked, ACKED_FLOOR, "seed %" PRIu64 ": only %.0f writes acknowledged", seed,
                      acked);
        cr_assert_eq((int64_t)acked, ok_writes, "seed %" PRIu64 ": the oracle counted %.0f acks,"
                     " the history has %" PRId64 " ok writes", seed, acked, ok_writes);
    }
}

Test(lww_skew, lost_writes_rise_with_skew)
{
    static const char *const offsets[] = {"0ms", "10ms", "30ms", "50ms", "200ms"};
    enum { N = sizeof offsets / sizeof offsets[0] };
    const char *db_path = tmp_path("sweep.db");
    double lost[N], acked[N];
    for (size_t i = 0; i < N; i++) {
        struct recorded run = run_skew(db_path, 1, offsets[i]);
        sqlite3 *db = db_open(db_path, false);
        lost[i] = db_metric(db, run.run_id, "lww.lost");
        acked[i] = db_metric(db, run.run_id, "lww.acked");
        int64_t violations = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                                    " AND source = 'oracle:lww'", run.run_id, 0);
        db_close(db);
        cr_log_info("carol +%s: %.0f of %.0f acknowledged writes lost", offsets[i], lost[i],
                    acked[i]);
        cr_assert_geq(acked[i], ACKED_FLOOR, "+%s: only %.0f writes acknowledged", offsets[i],
                      acked[i]);
        cr_assert_eq((int64_t)lost[i], violations, "+%s: %.0f lost, %" PRId64 " violations",
                     offsets[i], lost[i], violations);
        cr_assert_eq(run.exit_code, lost[i] > 0 ? 1 : 0, "+%s: exit %d with %.0f lost",
                     offsets[i], run.exit_code, lost[i]);
        if (i > 0)
            cr_assert_geq(lost[i], lost[i - 1], "lost writes fell from %.0f at +%s to %.0f at +%s",
                          lost[i - 1], offsets[i - 1], lost[i], offsets[i]);
    }
    cr_assert_gt(lost[N - 1], 0, "no write lost at the largest skew");
    /* Geometry of the scenario: turns 20 ms apart, alice, bob, carol. Carol's lead below
     * one turn beats nobody; past one turn it beats alice's next write (1 in 3 of all);
     * past two, bob's too (2 in 3). The first few turns and the run's end shift this by a
     * write or two, hence the bands. */
    cr_assert_eq(lost[0], 0, "+0ms: %.0f lost", lost[0]);
    cr_assert_eq(lost[1], 0, "+10ms (under one turn): %.0f lost", lost[1]);
    cr_assert(lost[2] >= 0.30 * acked[2] && lost[2] <= 0.34 * acked[2],
              "+30ms: %.0f of %.0f lost, expected about a third", lost[2], acked[2]);
    cr_assert(lost[3] >= 0.63 * acked[3] && lost[3] <= 0.67 * acked[3],
              "+50ms: %.0f of %.0f lost, expected about two thirds", lost[3], acked[3]);
}

/* Every violation's "acknowledged at seq S ... invoked at seq I" must hold in the record:
 * S is an lww.ack claim with a larger timestamp than the lost write, and S < I. */
Test(lww_skew, violations_name_the_write_that_won)
{
    const char *db_path = tmp_path("names.db");
    struct recorded run = run_skew(db_path, 2, "50ms");
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT v.seq, v.text, e.obj_id FROM violations v"
                                    " JOIN events e ON e.run_id = v.run_id AND e.seq = v.seq"
                                    " WHERE v.run_id = ?1 AND v.source = 'oracle:lww'",
                                    -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, run.run_id);
    int64_t checked = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(s, 0);
        const char *text = (const char *)sqlite3_column_text(s, 1);
        int64_t lost_ts = sqlite3_column_int64(s, 2);
        const char *at = strstr(text, "acknowledged at seq ");
        const char *inv = strstr(text, "invoked at seq ");
        cr_assert(at && inv, "violation at seq %" PRId64 " names no seqs: %s", seq, text);
        int64_t ack_seq = strtoll(at + strlen("acknowledged at seq "), NULL, 10);
        int64_t invoke_seq = strtoll(inv + strlen("invoked at seq "), NULL, 10);
        cr_assert_lt(ack_seq, invoke_seq, "%s", text);
        cr_assert_lt(invoke_seq, seq, "%s", text);
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM events e JOIN annotations a ON"
                 " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1 AND e.seq = ?2"
                 " AND e.kind = 'claim' AND a.text = 'lww.ack' AND e.obj_id > %" PRId64,
                 lost_ts);
        cr_assert_eq(db_int(db, sql, run.run_id, ack_seq), 1,
                     "seq %" PRId64 " is not an lww.ack with a later timestamp (%s)", ack_seq,
                     text);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM events e JOIN annotations a ON"
                 " a.run_id = e.run_id AND a.seq = e.seq WHERE e.run_id = ?1 AND e.seq = ?2"
                 " AND e.kind = 'claim' AND a.text = 'lww.invoke' AND e.obj_id = %" PRId64,
                 lost_ts);
        cr_assert_eq(db_int(db, sql, run.run_id, invoke_seq), 1,
                     "seq %" PRId64 " is not the lost write's invoke (%s)", invoke_seq, text);
        checked++;
    }
    sqlite3_finalize(s);
    db_close(db);
    cr_assert_gt(checked, 100, "only %" PRId64 " violations to check", checked);
}

/* A clock behind loses its owner's writes: every lost write is carol's. */
Test(lww_skew, a_clock_behind_loses_its_own_writes)
{
    const char *db_path = tmp_path("behind.db");
    struct recorded run = run_skew(db_path, 1, "-30ms");
    sqlite3 *db = db_open(db_path, false);
    int64_t carol = db_node(db, run.run_id, "carol");
    double lost = db_metric(db, run.run_id, "lww.lost");
    int64_t not_carol = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                               " AND source = 'oracle:lww' AND node != ?2", run.run_id, carol);
    int64_t carol_writes = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND node = ?2"
                                  " AND f = 'write' AND type = 'ok'", run.run_id, carol);
    db_close(db);
    cr_assert_eq(not_carol, 0, "%" PRId64 " lost writes are not carol's", not_carol);
    /* carol writes 20 ms after bob: 30 ms behind, every one of hers is under his */
    cr_assert_geq(lost, carol_writes - 2, "%.0f lost of carol's %" PRId64, lost, carol_writes);
    cr_assert_gt(lost, 100);
}

Test(lww_skew, as_shipped_it_loses_writes_and_the_reader_reads)
{
    const char *db_path = tmp_path("shipped.db");
    struct recorded run = record_run_argv(db_path, source_path(LWW_SKEW), 1, 1, NULL);
    sqlite3 *db = db_open(db_path, false);
    double lost = db_metric(db, run.run_id, "lww.lost");
    int64_t reader = db_node(db, run.run_id, "reader");
    int64_t reads = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND node = ?2"
                           " AND f = 'read' AND type = 'ok' AND result LIKE '%@%'", run.run_id,
                           reader);
    db_close(db);
    cr_assert_gt(lost, 0, "the shipped scenario (carol +50 ms) lost nothing");
    cr_assert_gt(reads, 400, "only %" PRId64 " reads returned a value", reads);
}

/* Corrupted messages (5% of all, one bit each) are rejected by checksum, never applied:
 * every value a read returns is a (value id, ts) pair some write really carried. */
Test(lww_skew, corrupted_messages_are_rejected_not_applied)
{
    const char *db_path = tmp_path("corrupt.db");
    const char *const args[] = {"--set", "node.carol.clock_offset=0ms", "--set",
                                "link.default.corrupt=5%", NULL};
    struct recorded run = record_run_argv(db_path, source_path(LWW_SKEW), 1, 0, args);
    sqlite3 *db = db_open(db_path, true);
    db_exec(db, "CREATE TEMP TABLE written AS SELECT e.ref_id || '@' || e.obj_id AS result"
            " FROM events e JOIN annotations a ON a.run_id = e.run_id AND a.seq = e.seq"
            " WHERE e.run_id = ?1 AND e.kind = 'claim' AND a.text = 'lww.invoke'", run.run_id, 0);
    int64_t reads = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'read'"
                           " AND type = 'ok' AND result != 'nil'", run.run_id, 0);
    int64_t invented = db_int(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'read'"
                              " AND type = 'ok' AND result != 'nil' AND result NOT IN"
                              " (SELECT result FROM written)", run.run_id, 0);
    int64_t rejected = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                              " AND kind = 'note' AND text LIKE 'rejected %'", run.run_id, 0);
    double lost = db_metric(db, run.run_id, "lww.lost");
    double acked = db_metric(db, run.run_id, "lww.acked");
    db_close(db);
    cr_log_info("corrupt 5%%: %" PRId64 " messages rejected, %.0f writes acknowledged",
                rejected, acked);
    cr_assert_eq(invented, 0, "%" PRId64 " reads returned a value no write carried", invented);
    cr_assert_gt(reads, 300, "only %" PRId64 " reads returned a value", reads);
    cr_assert_gt(rejected, 20, "only %" PRId64 " corrupted messages noted", rejected);
    cr_assert_eq(lost, 0);
    cr_assert_gt(acked, 400);
}

Test(lww_skew, deterministic_across_processes_and_replay)
{
    const char *db_path = tmp_path("replay.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded first = record_run_argv(NULL, source_path(LWW_SKEW), seed, 1, NULL);
        struct recorded second = record_run_argv(db_path, source_path(LWW_SKEW), seed, 1, NULL);
        cr_assert_eq(first.hash, second.hash, "seed %" PRIu64 ": %016" PRIx64 " then %016" PRIx64,
                     seed, first.hash, second.hash);
        assert_replay_identical(db_path, &second);
    }
}

/* --- clock-offset-eject ---------------------------------------------------------------- */

TestSuite(clock_offset_eject, .init = tmp_setup, .fini = tmp_teardown);

#define MAX_OFFSET_NS INT64_C(500000000) /* the scenario's max_offset */
#define CUT_NS INT64_C(30000000000)      /* when member.3 is cut from its time server */
#define CUT_NS_SQL "30000000000"         /* the same, inside SQL text */
/* One column of the run's guard.eject claim event. */
#define EJECT_SQL(what)                                                                   \
    "SELECT " what " FROM events e JOIN annotations a ON a.run_id = e.run_id"            \
    " AND a.seq = e.seq WHERE e.run_id = ?1 AND a.text = 'guard.eject'"
/* One column of member.3's (?2) first or last clock sample after the cut; ORDER is ASC
 * or DESC. */
#define SAMPLE_SQL(what, order)                                                           \
    "SELECT " what " FROM events WHERE run_id = ?1 AND node = ?2 AND kind = 'clock_sample'" \
    " AND time_ns > %" PRId64 " ORDER BY seq " order " LIMIT 1"

Test(clock_offset_eject, drifting_member_leaves_before_bad_time_is_accepted)
{
    const char *db_path = tmp_path("eject.db");
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct recorded run = record_run_argv(db_path, source_path(EJECT), seed, 0, NULL);
        sqlite3 *db = db_open(db_path, false);
        int64_t bad = db_node(db, run.run_id, "member.3");
        cr_assert_eq(db_metric(db, run.run_id, "guard.ejects"), 1, "seed %" PRIu64, seed);
        cr_assert_eq(db_metric(db, run.run_id, "stamps.bad_accepted"), 0, "seed %" PRIu64, seed);
        double worst = db_metric(db, run.run_id, "stamps.worst_error_ns");
        cr_assert_lt(worst, (double)MAX_OFFSET_NS, "seed %" PRIu64 ": a stamp %.0f ns off was"
                     " accepted", seed, worst);
        cr_assert_eq(db_int(db, EJECT_SQL("e.node"), run.run_id, 0), bad,
                     "seed %" PRIu64 ": the wrong member left", seed);
        int64_t eject_ns = db_int(db, EJECT_SQL("e.time_ns"), run.run_id, 0);
        /* its true offset at the eject, from the event's own wall reading */
        int64_t true_offset_ns = db_int(db, EJECT_SQL("e.wall_ns - e.time_ns"), run.run_id, 0) -
                                 WALL_START_NS;
        /* the claim's a is the median of peers' clocks minus its own */
        int64_t estimate_ns = -db_int(db, EJECT_SQL("e.obj_id"), run.run_id, 0);
        cr_log_info("seed %" PRIu64 ": member.3 ejected at %.3f s, true offset %.3f ms,"
                    " estimated %.3f ms, worst accepted stamp %.3f ms", seed,
                    (double)eject_ns / 1e9, (double)true_offset_ns / 1e6,
                    (double)estimate_ns / 1e6, worst / 1e6);
        cr_assert_gt(eject_ns, CUT_NS, "seed %" PRIu64 ": ejected before the cut", seed);
        cr_assert_lt(true_offset_ns, MAX_OFFSET_NS, "seed %" PRIu64, seed);
        /* The estimate is the round before's (pings leave 1 s before the verdict, 5 ms of
         * drift ago), off by up to half a round trip (~1 ms) and the median peer's own
         * offset (under 1 ms, see the slope test): within [true - 5 - 2, true + 2] ms. */
        cr_assert(estimate_ns > true_offset_ns - INT64_C(7000000) &&
                  estimate_ns < true_offset_ns + INT64_C(2000000),
                  "seed %" PRIu64 ": estimate %" PRId64 " vs true %" PRId64, seed, estimate_ns,
                  true_offset_ns);
        /* G1: once out, member.3 sends nothing but its time daemon's queries */
        int64_t after = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = ?2"
                               " AND kind = 'send' AND detail != 'time' AND seq > (SELECT e.seq"
                               " FROM events e JOIN annotations a ON a.run_id = e.run_id AND"
                               " a.seq = e.seq WHERE e.run_id = ?1 AND a.text = 'guard.eject')",
                               run.run_id, bad);
        cr_assert_eq(after, 0, "seed %" PRIu64 ": %" PRId64 " sends after the eject", seed,
                     after);
        /* liveness: every healthy member keeps getting stamped writes accepted */
        int64_t healthy_min = db_int(db, "SELECT min(c) FROM (SELECT count(*) AS c FROM ops"
                                     " WHERE run_id = ?1 AND node != ?2 AND f = 'write' AND"
                                     " type = 'ok' GROUP BY node)", run.run_id, bad);
        int64_t healthy_nodes = db_int(db, "SELECT count(DISTINCT node) FROM ops WHERE"
                                       " run_id = ?1 AND node != ?2", run.run_id, bad);
        db_close(db);
        cr_assert_eq(healthy_nodes, 3);
        cr_assert_geq(healthy_min, 250, "seed %" PRIu64 ": a healthy member got only %" PRId64
                      " writes accepted", seed, healthy_min);
    }
}

Test(clock_offset_eject, without_eject_bad_time_is_accepted_and_caught)
{
    const char *db_path = tmp_path("noeject.db");
    const char *const args[] = {"--set", "node.member.eject=false", NULL};
    struct recorded run = record_run_argv(db_path, source_path(EJECT), 1, 1, args);
    sqlite3 *db = db_open(db_path, false);
    int64_t bad = db_node(db, run.run_id, "member.3");
    double bad_accepted = db_metric(db, run.run_id, "stamps.bad_accepted");
    double ejects = db_metric(db, run.run_id, "guard.ejects");
    int64_t violations = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                                " AND source = 'oracle:stamps'", run.run_id, 0);
    int64_t others = db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1"
                            " AND source = 'oracle:stamps' AND node != ?2", run.run_id, bad);
    char status[32] = "";
    db_text(db, "SELECT status FROM runs WHERE id = ?1", run.run_id, status, sizeof status);
    db_close(db);
    cr_log_info("eject off: %.0f writes stamped beyond max_offset accepted", bad_accepted);
    cr_assert_eq(ejects, 0);
    cr_assert_gt(bad_accepted, 10, "only %.0f bad stamps accepted", bad_accepted);
    cr_assert_eq((int64_t)bad_accepted, violations);
    cr_assert_eq(others, 0, "%" PRId64 " bad stamps are not member.3's", others);
    cr_assert_str_eq(status, "violated");
}

Test(clock_offset_eject, cut_from_time_its_offset_grows_at_its_drift)
{
    const char *db_path = tmp_path("slope.db");
    struct recorded run = record_run_argv(db_path, source_path(EJECT), 1, 0, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t bad = db_node(db, run.run_id, "member.3");
    /* the drift the fault gave it: the CLOCK_RATE event caused by a fault */
    int64_t drift_ppb = db_int(db, "SELECT arg FROM events WHERE run_id = ?1 AND node = ?2"
                               " AND kind = 'clock_rate' AND detail = 'fault'", run.run_id, bad);
    cr_assert_gt(drift_ppb, 0);
    /* the line starts after the last correction in force at the cut (a slew ends) */
    int64_t from_ns = db_int(db, "SELECT max(time_ns) FROM events WHERE run_id = ?1 AND node = ?2"
                             " AND kind IN ('clock_rate', 'clock_step')", run.run_id, bad);
    if (from_ns < CUT_NS) from_ns = CUT_NS;
    int64_t syncs = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = ?2"
                           " AND kind = 'clock_sync' AND time_ns > " CUT_NS_SQL, run.run_id,
                           bad);
    int64_t dropped = db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = ?2"
                             " AND kind = 'drop' AND detail = 'partition'", run.run_id, bad);
    cr_assert_eq(syncs, 0, "member.3 synced %" PRId64 " times after the cut", syncs);
    cr_assert_gt(dropped, 10, "only %" PRId64 " sync queries cut off", dropped);
    char sql[4][512];
    snprintf(sql[0], sizeof sql[0], SAMPLE_SQL("time_ns", "ASC"), from_ns);
    snprintf(sql[1], sizeof sql[1], SAMPLE_SQL("time_ns", "DESC"), from_ns);
    snprintf(sql[2], sizeof sql[2], SAMPLE_SQL("arg", "ASC"), from_ns);
    snprintf(sql[3], sizeof sql[3], SAMPLE_SQL("arg", "DESC"), from_ns);
    int64_t t[2], off[2];
    for (int end = 0; end < 2; end++) {
        t[end] = db_int(db, sql[end], run.run_id, bad);
        off[end] = db_int(db, sql[2 + end], run.run_id, bad);
    }
    int64_t before_max = db_int(db, "SELECT max(abs(arg)) FROM events WHERE run_id = ?1"
                                " AND node = ?2 AND kind = 'clock_sample'"
                                " AND time_ns <= " CUT_NS_SQL, run.run_id, bad);
    int64_t healthy_max = db_int(db, "SELECT max(abs(e.arg)) FROM events e JOIN nodes n ON"
                                 " n.run_id = e.run_id AND n.node = e.node WHERE e.run_id = ?1"
                                 " AND e.kind = 'clock_sample' AND n.grp = 'member'"
                                 " AND e.node != ?2", run.run_id, bad);
    db_close(db);
    double span_s = (double)(t[1] - t[0]) / 1e9;
    double slope_ppm = (double)(off[1] - off[0]) / (double)(t[1] - t[0]) * 1e6;
    cr_log_info("member.3 cut off: offset %.3f ms -> %.3f ms over %.0f s: %.4f ppm (drift %.0f"
                " ppm); before the cut within %.3f ms, healthy members within %.3f ms",
                (double)off[0] / 1e6, (double)off[1] / 1e6, span_s, slope_ppm,
                (double)drift_ppb / 1e3, (double)before_max / 1e6, (double)healthy_max / 1e6);
    cr_assert_geq(span_s, 60, "only %.0f s of free running to measure", span_s);
    double drift_ppm = (double)drift_ppb / 1e3;
    cr_assert(slope_ppm > drift_ppm - 0.01 && slope_ppm < drift_ppm + 0.01,
              "offset grew at %.4f ppm, the drift is %.3f ppm", slope_ppm, drift_ppm);
    cr_assert_lt(before_max, INT64_C(50000000), "ntpd let member.3 reach %" PRId64 " ns",
                 before_max);
    cr_assert_lt(healthy_max, INT64_C(5000000), "a healthy member reached %" PRId64 " ns",
                 healthy_max);
}

/* Corrupted probes and writes (5% of all messages) are rejected: the verdict stands
 * (member.3 and only it leaves, no bad stamp accepted). */
Test(clock_offset_eject, corrupted_probes_do_not_move_the_verdict)
{
    const char *db_path = tmp_path("corrupt.db");
    const char *const args[] = {"--set", "link.default.corrupt=5%", NULL};
    struct recorded run = record_run_argv(db_path, source_path(EJECT), 1, 0, args);
    sqlite3 *db = db_open(db_path, false);
    int64_t bad = db_node(db, run.run_id, "member.3");
    int64_t rejected = db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                              " AND kind = 'note' AND text LIKE 'rejected %'", run.run_id, 0);
    double ejects = db_metric(db, run.run_id, "guard.ejects");
    double bad_accepted = db_metric(db, run.run_id, "stamps.bad_accepted");
    double accepted = db_metric(db, run.run_id, "stamps.accepted");
    int64_t ejected = db_int(db, EJECT_SQL("e.node"), run.run_id, 0);
    db_close(db);
    cr_assert_gt(rejected, 50, "only %" PRId64 " corrupted messages noted", rejected);
    cr_assert_eq(ejects, 1);
    cr_assert_eq(ejected, bad);
    cr_assert_eq(bad_accepted, 0);
    cr_assert_gt(accepted, 800, "only %.0f stamped writes accepted", accepted);
}

Test(clock_offset_eject, deterministic_across_processes_and_replay)
{
    const char *db_path = tmp_path("replay.db");
    const char *const no_eject[] = {"--set", "node.member.eject=false", NULL};
    for (uint64_t seed = 1; seed <= 2; seed++) {
        struct recorded first = record_run_argv(NULL, source_path(EJECT), seed, 0, NULL);
        struct recorded second = record_run_argv(db_path, source_path(EJECT), seed, 0, NULL);
        cr_assert_eq(first.hash, second.hash, "seed %" PRIu64 ": %016" PRIx64 " then %016" PRIx64,
                     seed, first.hash, second.hash);
        assert_replay_identical(db_path, &second);
    }
    struct recorded violated = record_run_argv(db_path, source_path(EJECT), 1, 1, no_eject);
    struct recorded again = record_run_argv(NULL, source_path(EJECT), 1, 1, no_eject);
    cr_assert_eq(violated.hash, again.hash);
    assert_replay_identical(db_path, &violated);
}
