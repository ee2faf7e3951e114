/* tests/cli/test_idle_faults.c - proves that a fault which touched nothing is flagged in
 * the report (DESIGN.md: "every fault is an event, and an idle one is flagged"): a cut,
 * a partition and a loss burst (degrade) on links that carried traffic dropped messages
 * and are not flagged; the same faults on links nobody used, and a pause of a node with
 * nothing to do, are. Also: the drop counts by reason equal the events the record holds.
 * How: the real binary on a scenario written here; the report's "touched nothing" line. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "spawn.h"

TestSuite(idle_faults, .init = tmp_setup, .fini = tmp_teardown);

static const char scenario[] =
    "[scenario]\nduration = 3s\n"
    "[node.server]\nmodel = echo_server\n"
    "[node.spare]\nmodel = echo_server\n"
    "[node.client]\nmodel = client\ncount = 2\ntarget = server\n"
    "[faults]\n"
    "busy_loss = at 1s degrade client.0 -> server loss 100% for 500ms\n"
    "idle_loss = at 1s degrade client.1 -> spare loss 100% for 500ms\n"
    "busy_cut = at 2s cut client.1 -> server for 300ms\n"
    "idle_cut = at 2s cut spare -> client for 300ms\n"
    "idle_split = at 2s partition spare / client.0 for 300ms\n"
    "idle_pause = at 1500ms pause spare for 200ms\n";

Test(idle_faults, faults_that_touched_nothing_are_named_and_the_others_not)
{
    write_file(tmp_path("idle.ini"), scenario, sizeof scenario - 1);
    const char *db = tmp_path("idle.db");
    struct recorded rec = record_run_argv(db, tmp_path("idle.ini"), 1, 0, NULL);
    struct spawn_result r;
    char run[32];
    snprintf(run, sizeof run, "%lld", (long long)rec.run_id);
    murphy(&r, "report", db, "--run", run, NULL);
    assert_exit(&r, 0);
    const char *line = strstr(r.out, "touched nothing: ");
    cr_assert_not_null(line, "%s", r.out);
    char flagged[512];
    const char *eol = strchr(line, '\n');
    snprintf(flagged, sizeof flagged, "%.*s", (int)(eol - line), line);
    cr_assert(strstr(flagged, "idle_loss (degrade)"), "%s", flagged);
    cr_assert(strstr(flagged, "idle_cut (cut)"), "%s", flagged);
    cr_assert(strstr(flagged, "idle_split (partition)"), "%s", flagged);
    cr_assert(strstr(flagged, "idle_pause (pause)"), "%s", flagged);
    cr_assert(!strstr(flagged, "busy_"), "a fault that dropped messages is flagged: %s", flagged);
    sqlite3 *h = db_open(db, false);
    int64_t degraded = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind ="
                                 " 'drop' AND detail = 'degrade'", rec.run_id, 0);
    int64_t cut = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND kind = 'drop'"
                            " AND detail = 'partition'", rec.run_id, 0);
    db_close(h);
    cr_assert_gt(degraded, 20, "half a second of client.0's requests");
    cr_assert_gt(cut, 3);
    long long reported = -1;
    const char *fate = strstr(r.out, "drop: degrade");
    cr_assert(fate && sscanf(fate, "drop: degrade %lld", &reported) == 1, "%s", r.out);
    cr_assert_eq(reported, degraded, "the report's count is the record's");
    spawn_result_free(&r);
}
