/* tests/cli/test_compare.c - proves `murphy compare`: two runs of gc-drain, without and
 * with draining, side by side. The numbers on each side are the runs' own (events as the
 * run printed them; the tail latency falls by more than 10x with draining, as the
 * scenario's header promises), a run compared with itself has no changed row, two
 * databases give the same rows as two runs of one, --tsv is exact, names reach the
 * terminal escaped, and bad usage exits 2, an unreadable record 3. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

TestSuite(compare, .init = tmp_setup, .fini = tmp_teardown);

static const char *const drain_on[] = {"--set", "node.server.announce_pauses=true", "--set",
                                       "node.client.honour_drain=true", "--set",
                                       "scenario.duration=10s", NULL};
static const char *const drain_off[] = {"--set", "scenario.duration=10s", NULL};

/* The value in column `column` (2 = A, 3 = B) of the --tsv line "section\tname\t...";
 * asserts the line is there and the cell is a number. */
static double tsv_cell(const char *tsv, const char *section, const char *name, int column)
{
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s\t%s\t", section, name);
    const char *line = strstr(tsv, prefix);
    while (line && line != tsv && line[-1] != '\n') line = strstr(line + 1, prefix);
    cr_assert_not_null(line, "no row %s/%s in:\n%s", section, name, tsv);
    const char *cell = line;
    for (int i = 0; i < column; i++) cell = strchr(cell, '\t') + 1;
    char *end = NULL;
    double v = strtod(cell, &end);
    cr_assert(end != cell && *end == '\t', "row %s/%s column %d is not a number", section, name,
              column);
    return v;
}

Test(compare, draining_cuts_the_tail_and_each_side_is_its_own_run)
{
    const char *db = tmp_path("drain.db");
    struct recorded off = record_run_argv(db, "gc-drain", 1, 0, drain_off);
    struct recorded on = record_run_argv(db, "gc-drain", 1, 0, drain_on);
    struct spawn_result r;
    murphy(&r, "compare", db, "--tsv", NULL);
    assert_exit(&r, 0);
    cr_assert_eq(tsv_cell(r.out, "run", "events", 2), (double)off.events);
    cr_assert_eq(tsv_cell(r.out, "run", "events", 3), (double)on.events);
    double tail_off_ns = tsv_cell(r.out, "ops", "echo p99.9", 2);
    double tail_on_ns = tsv_cell(r.out, "ops", "echo p99.9", 3);
    cr_assert_gt(tail_off_ns, 50e6, "without draining the p99.9 sits in a GC pause: %.0f ns",
                 tail_off_ns);
    cr_assert_gt(tail_off_ns, 10 * tail_on_ns, "p99.9 %.0f ns -> %.0f ns", tail_off_ns,
                 tail_on_ns);
    /* liveness floor: draining does not buy its tail by doing less */
    double ok_off = tsv_cell(r.out, "ops", "echo ok", 2), ok_on = tsv_cell(r.out, "ops", "echo ok", 3);
    cr_assert_gt(ok_off, 5000);
    cr_assert_geq(ok_on, 0.99 * ok_off, "ok %.0f -> %.0f", ok_off, ok_on);
    spawn_result_free(&r);

    murphy(&r, "compare", db, NULL);
    assert_exit(&r, 0);
    cr_assert(strstr(r.out, "A: run 1 of ") && strstr(r.out, "B: run 2 of "), "%s", r.out);
    cr_assert(strstr(r.out, "--set node.client.honour_drain=true") != NULL, "%s", r.out);
    cr_assert_eq(count_lines_with(r.out, "  echo p99.9 "), 1);
    spawn_result_free(&r);
}

Test(compare, a_run_against_itself_changes_nothing)
{
    const char *db = tmp_path("self.db");
    record_run_argv(db, "gc-drain", 3, 0, drain_off);
    struct spawn_result r;
    murphy(&r, "compare", db, "--run-a", "1", "--run-b", "1", "--changed", "--tsv", NULL);
    assert_exit(&r, 0);
    cr_assert_eq(r.out_bytes, 0, "rows changed:\n%s", r.out);
    spawn_result_free(&r);
    murphy(&r, "compare", db, "--run-a", "1", "--run-b", "1", "--tsv", NULL);
    assert_exit(&r, 0);
    cr_assert_geq(count_lines_with(r.out, "\t"), 20, "%s", r.out);
    spawn_result_free(&r);
}

Test(compare, two_databases_read_as_two_runs_of_one)
{
    const char *one = tmp_path("one.db"), *a = tmp_path("a.db"), *b = tmp_path("b.db");
    record_run_argv(one, "gc-drain", 2, 0, drain_off);
    record_run_argv(one, "gc-drain", 2, 0, drain_on);
    record_run_argv(a, "gc-drain", 2, 0, drain_off);
    record_run_argv(b, "gc-drain", 2, 0, drain_on);
    struct spawn_result r1, r2;
    murphy(&r1, "compare", one, "--tsv", NULL);
    murphy(&r2, "compare", a, b, "--tsv", NULL);
    assert_exit(&r1, 0);
    assert_exit(&r2, 0);
    cr_assert_str_eq(r1.out, r2.out);
    spawn_result_free(&r1);
    spawn_result_free(&r2);
}

Test(compare, names_reach_the_terminal_escaped)
{
    /* scenario text refuses control characters, but a file name may hold anything */
    const char *db = tmp_path("red \x1b[31m here.db");
    record_run_argv(db, "gc-drain", 1, 0, drain_off);
    record_run_argv(db, "gc-drain", 2, 0, drain_off);
    struct spawn_result r;
    murphy(&r, "compare", db, NULL);
    assert_exit(&r, 0);
    cr_assert(strchr(r.out, '\x1b') == NULL, "an ESC reached the terminal");
    cr_assert(strstr(r.out, "red \\x1b[31m here.db") != NULL, "%s", r.out);
    spawn_result_free(&r);
}

Test(compare, bad_usage_exits_2_and_unreadable_records_3)
{
    const char *db = tmp_path("single.db");
    record_run_argv(db, "gc-drain", 1, 0, drain_off);
    struct spawn_result r;
    murphy(&r, "compare", db, NULL); /* one run: nothing to compare it with */
    assert_exit(&r, 2);
    cr_assert(strstr(r.err, "no run before run 1") != NULL, "%s", r.err);
    spawn_result_free(&r);
    murphy(&r, "compare", db, "--run-a", "1", "--run-b", "7", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "compare", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "compare", db, db, db, NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "compare", db, tmp_path("missing.db"), NULL);
    assert_exit(&r, 3);
    spawn_result_free(&r);
}
