/* tests/cli/test_why.c - `murphy why`: the causal chain it prints reaches the events that
 * explain a violation or a timeout, by seq, each number read from the record (not typed
 * in), and bad arguments exit 2. How: `murphy run` into a database in a separate process,
 * then `murphy why` on it, its output searched line by line.
 *  - lease-gc-pause seed 1: the first violation is the store's accept at seq 2744 (the
 *    scenario header's story); its chain holds the write of client.2 in between (the
 *    accept #2731 and client.2's send #2728), client.2's GC pause #2706, the grant to
 *    client.1 #2713 and the deliveries and sends linking them (#2743 <- #2741 from
 *    client.1, #2716 <- #2714 from the lock);
 *  - unreliable-network seed 1: `why --seq` of a timeout whose cause is "request lost"
 *    reaches the send of that request and notes its drop;
 *  - no such run, seq out of range, --violation beyond the run's, --violation 0, --seq
 *    with --violation, --depth too deep, and a run without violations and no --seq
 *    (the documented choice: a message and exit 2) all exit 2. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define LEASE_SEED 1u
#define LEASE_FIRST_VIOLATION_SEQ 2744 /* scenarios/lease-gc-pause.ini, "as a story" */
#define LEASE_PAUSE_SEQ 2706
#define LEASE_GRANT_SEQ 2713

TestSuite(why, .init = tmp_setup, .fini = tmp_teardown);

/* The line of out that starts an event line for seq ("#SEQ " after the time), or NULL. The
 * returned pointer is into out; the line ends at the next '\n'. */
static const char *event_line(const char *out, int64_t seq)
{
    char needle[32];
    snprintf(needle, sizeof needle, " #%-7" PRId64 " ", seq);
    return strstr(out, needle);
}

/* True if the line holding p contains what. */
static bool line_has(const char *p, const char *what)
{
    const char *end = strchr(p, '\n');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    const char *hit = strstr(p, what);
    return hit && (size_t)(hit - p) < n;
}

static void assert_event_line(const char *out, int64_t seq, const char *what)
{
    const char *line = event_line(out, seq);
    cr_assert(line, "the chain has no line for #%" PRId64 ":\n%s", seq, out);
    cr_assert(line_has(line, what), "the line of #%" PRId64 " does not say '%s'", seq, what);
}

static void assert_contains(const char *out, const char *what)
{
    cr_assert(strstr(out, what), "the chain does not say '%s':\n%s", what, out);
}

Test(why, lease_violation_chain_reaches_the_pause_and_the_grant, .timeout = 60)
{
    const char *db_path = tmp_path("lease.db");
    struct recorded rec = record_run_argv(db_path, "lease-gc-pause", LEASE_SEED, 1, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t target = db_int(db, "SELECT seq FROM violations WHERE run_id = ?1 ORDER BY rowid"
                            " LIMIT 1", rec.run_id, 0);
    cr_assert_eq(target, LEASE_FIRST_VIOLATION_SEQ);
    int64_t client1 = db_node(db, rec.run_id, "client.1");
    int64_t client2 = db_node(db, rec.run_id, "client.2");
    int64_t store = db_node(db, rec.run_id, "store");
    int64_t lock = db_node(db, rec.run_id, "lock");
    /* the newest GC pause of client.2 before the violation, and the newest grant */
    int64_t pause = db_int(db, "SELECT max(seq) FROM events WHERE run_id = ?1 AND kind ="
                           " 'pause' AND node = ?2 AND seq < 2744", rec.run_id, client2);
    int64_t grant = db_int(db, "SELECT max(seq) FROM annotations WHERE run_id = ?1 AND"
                           " text = 'lease.grant' AND seq < ?2", rec.run_id, target);
    cr_assert_eq(pause, LEASE_PAUSE_SEQ);
    cr_assert_eq(grant, LEASE_GRANT_SEQ);
    /* client.2's write that was lost: the store's accept before the violation, and the
     * send it delivered */
    int64_t accept2 = db_int(db, "SELECT max(seq) FROM annotations WHERE run_id = ?1 AND"
                             " text = 'store.accept' AND seq < ?2", rec.run_id, target);
    db_close(db);
    cr_assert_lt(pause, accept2);
    cr_assert(store >= 0 && lock >= 0 && client1 >= 0);

    struct spawn_result r;
    murphy(&r, "why", db_path, NULL);
    assert_exit(&r, 0);
    assert_contains(r.out, "why #2744 ");
    assert_event_line(r.out, target, "[violation] lost update");
    assert_event_line(r.out, pause, "pause");
    assert_event_line(r.out, pause, "client.2");
    assert_event_line(r.out, pause, "(GC)");
    assert_event_line(r.out, grant, "lease.grant");
    assert_event_line(r.out, accept2, "store.accept");
    /* the links: the violating write came from client.1's send; client.2's write from its
     * send after the pause; client.1's lease from the lock's reply */
    assert_event_line(r.out, 2743, "deliver");
    assert_contains(r.out, "<- message 520 from client.1 sent at 19.454187655s (#2741)");
    assert_event_line(r.out, 2741, "send");
    assert_event_line(r.out, 2730, "deliver");
    assert_contains(r.out, "<- message 517 from client.2 sent at 19.416925714s (#2728)");
    assert_event_line(r.out, 2728, "send");
    assert_event_line(r.out, 2715, "resume");
    assert_event_line(r.out, 2716, "deliver");
    assert_contains(r.out, "<- message 514 from lock sent at 19.396789241s (#2714)");
    assert_event_line(r.out, 2714, "send");
    /* bounded: the default depth and steps keep it to a screenful or two */
    long events = -1;
    const char *tail = strstr(r.out, " events in the chain");
    cr_assert(tail);
    while (tail > r.out && tail[-1] >= '0' && tail[-1] <= '9') tail--;
    events = strtol(tail, NULL, 10);
    cr_assert(events >= 20 && events <= 200, "%ld events in the chain", events);
    spawn_result_free(&r);

    /* --violation 2 is the second violation; --depth 0 stops at the store's own events */
    murphy(&r, "why", db_path, "--violation", "2", NULL);
    assert_exit(&r, 0);
    db = db_open(db_path, false);
    int64_t second = db_int(db, "SELECT seq FROM violations WHERE run_id = ?1 ORDER BY rowid"
                            " LIMIT 1 OFFSET 1", rec.run_id, 0);
    db_close(db);
    char head[64];
    snprintf(head, sizeof head, "why #%" PRId64 " ", second);
    assert_contains(r.out, head);
    spawn_result_free(&r);
    murphy(&r, "why", db_path, "--depth", "0", NULL);
    assert_exit(&r, 0);
    cr_assert_null(event_line(r.out, pause), "--depth 0 follows no message");
    assert_contains(r.out, "not followed (--depth 0)");
    spawn_result_free(&r);
}

Test(why, a_timeout_reaches_the_send_of_its_request, .timeout = 60)
{
    const char *db_path = tmp_path("net.db");
    struct recorded rec = record_run(db_path, "unreliable-network", 1, NULL, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t timeout = db_int(db, "SELECT min(seq) FROM annotations WHERE run_id = ?1 AND"
                             " kind = 'timeout_cause' AND text = 'request lost'", rec.run_id, 0);
    cr_assert_gt(timeout, 0, "the run has a timeout whose request was lost");
    int64_t msg = db_int(db, "SELECT obj_id FROM events WHERE run_id = ?1 AND seq = ?2",
                         rec.run_id, timeout);
    int64_t send = db_int(db, "SELECT seq FROM events WHERE run_id = ?1 AND kind = 'send'"
                          " AND obj_id = ?2", rec.run_id, msg);
    int64_t drop = db_int(db, "SELECT seq FROM events WHERE run_id = ?1 AND kind = 'drop'"
                          " AND obj_id = ?2", rec.run_id, msg);
    db_close(db);
    cr_assert(send >= 0 && send < drop && drop < timeout, "send %" PRId64 " drop %" PRId64
              " timeout %" PRId64, send, drop, timeout);

    char seq_text[32], says[128];
    snprintf(seq_text, sizeof seq_text, "%" PRId64, timeout);
    struct spawn_result r;
    murphy(&r, "why", db_path, "--seq", seq_text, NULL);
    assert_exit(&r, 0);
    assert_event_line(r.out, timeout, "timeout");
    snprintf(says, sizeof says, "<- gave up on message %" PRId64 " sent by ", msg);
    assert_contains(r.out, says);
    assert_event_line(r.out, send, "send");
    assert_event_line(r.out, drop, "drop");
    assert_event_line(r.out, drop, "loss");
    spawn_result_free(&r);
}

static void assert_usage_error(const char *what, const char *const *argv)
{
    struct spawn_result r;
    spawn_run(&r, NULL, argv);
    cr_assert(r.has_exited && r.exit_code == 2, "%s: exit %d, stderr %s", what, r.exit_code,
              r.err);
    cr_assert(strstr(r.err, "murphy: error:"), "%s: says why: %s", what, r.err);
    spawn_result_free(&r);
}

Test(why, bad_arguments_exit_2, .timeout = 60)
{
    const char *db_path = tmp_path("net.db");
    record_run(db_path, "unreliable-network", 1, "--set", "scenario.duration=2s");
    const char *no_run[] = {"why", db_path, "--run", "99", "--seq", "1", NULL};
    assert_usage_error("no such run", no_run);
    const char *far[] = {"why", db_path, "--seq", "999999999", NULL};
    assert_usage_error("seq out of range", far);
    const char *none[] = {"why", db_path, NULL};
    assert_usage_error("no violation and no --seq", none);
    struct spawn_result r;
    spawn_run(&r, NULL, none);
    cr_assert(strstr(r.err, "no violation to explain; name an event with --seq"), "%s", r.err);
    spawn_result_free(&r);
    const char *beyond[] = {"why", db_path, "--violation", "3", NULL};
    assert_usage_error("--violation beyond the run's", beyond);
    const char *zero[] = {"why", db_path, "--violation", "0", NULL};
    assert_usage_error("--violation 0", zero);
    const char *both[] = {"why", db_path, "--violation", "1", "--seq", "3", NULL};
    assert_usage_error("--seq with --violation", both);
    const char *deep[] = {"why", db_path, "--seq", "3", "--depth", "65", NULL};
    assert_usage_error("--depth 65", deep);
    const char *no_db[] = {"why", NULL};
    assert_usage_error("no database", no_db);
}
