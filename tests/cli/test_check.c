/* tests/cli/test_check.c - `murphy check` end to end: JSONL histories written to the
 * test's directory (linearizable, not, per key, cas, info, too hard for a budget, and bad
 * input naming file:line), and the ops of lww-skew runs read as one register.
 *
 * lww-skew (three writers taking turns 20 ms apart, a reader reading every 20 ms between
 * their turns, round robin over the replicas): with carol's clock 50 ms ahead, writes of
 * alice and bob are acknowledged and then lost, so a read after an acknowledged write
 * returns carol's older value: not linearizable (exit 1), and the shrunk prefix ends with
 * a read. With no skew every read returns the latest write: linearizable (exit 0). Both
 * with a liveness floor: at least 450 ok writes and 450 ok reads in the history. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

TestSuite(check, .init = tmp_setup, .fini = tmp_teardown);

static const char *write_history(const char *name, const char *text)
{
    const char *path = tmp_path(name);
    write_file(path, text, strlen(text));
    return path;
}

static void expect_in(const char *text, const char *needle)
{
    cr_expect(text && strstr(text, needle) != NULL, "expected '%s' in:\n%s", needle,
              text ? text : "(null)");
}

#define INV(p, f, k, v) "{\"process\":" #p ",\"type\":\"invoke\",\"f\":\"" f "\",\"key\":\"" k \
                        "\",\"value\":" v "}\n"
#define OK(p, f, k, v) "{\"process\":" #p ",\"type\":\"ok\",\"f\":\"" f "\",\"key\":\"" k \
                       "\",\"value\":" v "}\n"

Test(check, good_history_is_linearizable)
{
    const char *path = write_history("good.jsonl",
        INV(0, "write", "x", "1") INV(1, "read", "x", "null") OK(0, "write", "x", "1")
        OK(1, "read", "x", "1")   /* concurrent with the write: may see it */
        "\n"                      /* blank lines are skipped */
        INV(1, "write", "x", "2") OK(1, "write", "x", "2") INV(0, "read", "x", "null")
        OK(0, "read", "x", "2"));
    struct spawn_result r;
    murphy(&r, "check", "--history", path, "--model", "register", NULL);
    assert_exit(&r, 0);
    expect_in(r.out, "register model: 4 operations");
    expect_in(r.out, "linearizable\n");
    spawn_result_free(&r);
}

Test(check, stale_read_is_a_violation_with_its_prefix)
{
    const char *path = write_history("stale.jsonl",
        INV(0, "write", "x", "1") OK(0, "write", "x", "1")
        INV(0, "write", "x", "2") OK(0, "write", "x", "2")
        INV(1, "read", "x", "null") OK(1, "read", "x", "1") /* lines 5, 6: stale */
        INV(0, "write", "x", "3") OK(0, "write", "x", "3"));
    struct spawn_result r;
    murphy(&r, "check", "--history", path, NULL);
    assert_exit(&r, 1);
    expect_in(r.out, "NOT linearizable: no order of these 3 operations");
    expect_in(r.out, "ends with the completion of process 1's read (line 6)");
    cr_expect_eq(count_lines_with(r.out, " invoked "), 3, "the prefix's three ops:\n%s", r.out);
    spawn_result_free(&r);
}

Test(check, kv_checks_each_key_alone)
{
    const char *path = write_history("kv.jsonl",
        INV(0, "write", "x", "1") OK(0, "write", "x", "1")
        INV(0, "write", "y", "2") OK(0, "write", "y", "2")
        INV(1, "read", "x", "null") OK(1, "read", "x", "1"));
    struct spawn_result r;
    murphy(&r, "check", "--history", path, "--model", "kv", NULL);
    assert_exit(&r, 0);
    expect_in(r.out, "2 key histories checked");
    spawn_result_free(&r);
    murphy(&r, "check", "--history", path, "--model", "register", NULL);
    assert_exit(&r, 1); /* as one register, reading x's 1 after y's 2 is stale */
    spawn_result_free(&r);
}

Test(check, info_cas_and_nemesis)
{
    /* a Jepsen cas [OLD, NEW], an info write that did happen (read 9 later), a nemesis
     * line skipped, and a failed cas that never took effect */
    const char *path = write_history("jepsen.jsonl",
        INV(0, "write", "x", "1") OK(0, "write", "x", "1")
        INV(0, "cas", "x", "[1, 5]") OK(0, "cas", "x", "[1, 5]")
        "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"start\",\"value\":null}\n"
        INV(1, "cas", "x", "[1, 7]") "{\"process\":1,\"type\":\"fail\",\"f\":\"cas\"}\n"
        INV(2, "write", "x", "9") "{\"process\":2,\"type\":\"info\",\"f\":\"write\"}\n"
        INV(3, "read", "x", "null") OK(3, "read", "x", "9"));
    struct spawn_result r;
    murphy(&r, "check", "--history", path, NULL);
    assert_exit(&r, 0);
    expect_in(r.out, "register model: 4 operations"); /* the failed cas is not one */
    spawn_result_free(&r);
}

Test(check, too_hard_for_the_budget_is_unknown)
{
    /* 20 overlapping writes and a read of a value none wrote */
    char *text = malloc(1 << 16);
    cr_assert_not_null(text);
    size_t n = 0;
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(text + n, (1 << 16) - n, "{\"process\":%d,\"type\":\"invoke\","
                              "\"f\":\"write\",\"value\":%d}\n", i, i);
    n += (size_t)snprintf(text + n, (1 << 16) - n, INV(99, "read", "x", "null"));
    for (int i = 0; i < 20; i++)
        n += (size_t)snprintf(text + n, (1 << 16) - n, "{\"process\":%d,\"type\":\"ok\","
                              "\"f\":\"write\",\"value\":%d}\n", i, i);
    snprintf(text + n, (1 << 16) - n, OK(99, "read", "x", "\"never\""));
    const char *path = write_history("hard.jsonl", text);
    free(text);
    struct spawn_result r;
    murphy(&r, "check", "--history", path, "--budget", "5000", NULL);
    assert_exit(&r, 5);
    expect_in(r.out, "unknown: the step budget (5000 steps) ran out");
    spawn_result_free(&r);
    murphy(&r, "check", "--history", path, "--memory", "1", NULL);
    assert_exit(&r, 5);
    expect_in(r.out, "unknown: the memo reached its bound (1048576 bytes)");
    spawn_result_free(&r);
}

Test(check, bad_input_names_file_and_line)
{
    struct {
        const char *name, *text, *says;
    } cases[] = {
        {"notjson.jsonl", INV(0, "write", "x", "1") "{\"process\":0,\"type\":\"ok\",\n",
         "notjson.jsonl:2: not JSON"},
        {"orphan.jsonl", "\n" OK(0, "write", "x", "1"),
         "orphan.jsonl:2: a completion by a process with no open invoke"},
        {"twice.jsonl", INV(0, "write", "x", "1") INV(0, "read", "x", "null"),
         "twice.jsonl:2: an invoke by a process that already has one open"},
        {"badf.jsonl", INV(0, "append", "x", "1"), "badf.jsonl:1: \"f\" must be"},
        {"badtype.jsonl", "{\"process\":0,\"type\":\"maybe\",\"f\":\"read\"}\n",
         "badtype.jsonl:1: \"type\" must be"},
        {"array.jsonl", "[1,2]\n", "array.jsonl:1: not a JSON object"},
        {"float.jsonl", INV(0, "write", "x", "1.5"), "float.jsonl:1: \"value\" must be"},
        {"mismatch.jsonl", INV(0, "write", "x", "1") OK(0, "read", "x", "1"),
         "mismatch.jsonl:2: a completion whose \"f\" is not its invoke's"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_history(cases[i].name, cases[i].text);
        struct spawn_result r;
        murphy(&r, "check", "--history", path, NULL);
        assert_exit(&r, 2);
        expect_in(r.err, cases[i].says);
        spawn_result_free(&r);
    }
    /* a line past 64 KiB */
    size_t long_bytes = 70000;
    char *text = malloc(long_bytes + 1);
    cr_assert_not_null(text);
    memset(text, ' ', long_bytes);
    text[long_bytes - 1] = '\n';
    text[long_bytes] = '\0';
    const char *path = write_history("long.jsonl", text);
    free(text);
    struct spawn_result r;
    murphy(&r, "check", "--history", path, NULL);
    assert_exit(&r, 2);
    expect_in(r.err, "long.jsonl:1: a line longer than 65536 bytes");
    spawn_result_free(&r);
    /* usage: no source, both sources, an unknown model; a missing file is I/O */
    murphy(&r, "check", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "check", "x.db", "--history", path, NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "check", "--history", path, "--model", "queue", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "check", "--history", tmp_path("missing.jsonl"), NULL);
    assert_exit(&r, 3);
    spawn_result_free(&r);
}

/* --- lww-skew's ops as a register ------------------------------------------------------ */

#define LWW_SKEW "scenarios/lww-skew.ini"
#define OPS_FLOOR 450 /* of 500 writes (3 writers, 10 s, every 60 ms) and 500 reads */

static struct recorded run_lww(const char *db_path, const char *offset)
{
    char set[64];
    snprintf(set, sizeof set, "node.carol.clock_offset=%s", offset);
    const char *const args[] = {"--set", set, NULL};
    return record_run_argv(db_path, source_path(LWW_SKEW), 1, RUN_EXIT_OK_OR_VIOLATED, args);
}

static void expect_ops_floor(const char *db_path, int64_t run_id)
{
    sqlite3 *db = db_open(db_path, false);
    int64_t writes = db_int(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND f='write'"
                                " AND type='ok'", run_id, 0);
    int64_t reads = db_int(db, "SELECT count(*) FROM ops WHERE run_id=?1 AND f='read'"
                               " AND type='ok'", run_id, 0);
    cr_expect_geq(writes, OPS_FLOOR, "ok writes: %lld", (long long)writes);
    cr_expect_geq(reads, OPS_FLOOR, "ok reads: %lld", (long long)reads);
    db_close(db);
}

Test(check, lww_skew_loses_writes_so_reads_are_not_linearizable)
{
    const char *db_path = tmp_path("skew.db");
    struct recorded rec = run_lww(db_path, "50ms");
    cr_expect_eq(rec.exit_code, 1, "the lww oracle finds lost writes");
    expect_ops_floor(db_path, rec.run_id);
    char run[32];
    snprintf(run, sizeof run, "%lld", (long long)rec.run_id);
    struct spawn_result r;
    murphy(&r, "check", db_path, "--run", run, "--model", "register", NULL);
    assert_exit(&r, 1);
    expect_in(r.out, "register model: 1000 operations");
    expect_in(r.out, "NOT linearizable: no order of these 8 operations");
    expect_in(r.out, "'s read (seq");
    spawn_result_free(&r);
    murphy(&r, "check", db_path, "--model", "kv", NULL); /* one key, "r": the same */
    assert_exit(&r, 1);
    spawn_result_free(&r);
}

Test(check, lww_without_skew_is_linearizable)
{
    const char *db_path = tmp_path("noskew.db");
    struct recorded rec = run_lww(db_path, "0ms");
    cr_expect_eq(rec.exit_code, 0);
    expect_ops_floor(db_path, rec.run_id);
    struct spawn_result r;
    murphy(&r, "check", db_path, "--model", "register", NULL);
    assert_exit(&r, 0);
    expect_in(r.out, "register model: 1000 operations");
    expect_in(r.out, "linearizable\n");
    spawn_result_free(&r);
}
