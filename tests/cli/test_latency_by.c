/* tests/cli/test_latency_by.c - proves `murphy report --by node|window`: the rows of an f
 * add up to the ops table's counts (ok, and fail + info completed), per node and per
 * window; a window's p99 equals GSL's quantile over that window's ok latencies computed
 * here from the record; the windows tile the run; bad arguments exit 2.
 * How: a recorded unreliable-network run (a crash at 20 s and a pause at 40 s make the
 * windows differ), its printed rows parsed and checked against SQL over the record. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "spawn.h"

TestSuite(latency_by, .init = tmp_setup, .fini = tmp_teardown);

struct row {
    char group[64];
    long ok, not_ok;
    double p99_s;
};

/* The rows printed under the breakdown's header line. */
static size_t parse_rows(const char *out, struct row *rows, size_t max)
{
    const char *at = strstr(out, "latency of operations by");
    cr_assert_not_null(at, "no breakdown in:\n%s", out);
    at = strchr(at, '\n') + 1;
    at = strchr(at, '\n') + 1; /* the column titles */
    size_t n = 0;
    while (*at == ' ' && n < max) {
        char p50[40], p99[40], max_text[40];
        cr_assert_eq(sscanf(at, " echo %63s %ld %ld %39s %39s %39s", rows[n].group, &rows[n].ok,
                            &rows[n].not_ok, p50, p99, max_text), 6, "row: %.120s", at);
        rows[n].p99_s = strtod(p99, NULL);
        n++;
        at = strchr(at, '\n');
        if (!at) break;
        at++;
    }
    return n;
}

static int64_t ops_count(sqlite3 *db, int64_t run_id, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM ops WHERE run_id=?1 AND %s", where);
    return db_int(db, sql, run_id, 0);
}

Test(latency_by, node_and_window_rows_add_up_to_the_ops_table)
{
    const char *db_path = tmp_path("l.db");
    struct recorded rec = record_run(db_path, source_path("scenarios/unreliable-network.ini"), 1,
                                     NULL, NULL);
    sqlite3 *db = db_open(db_path, false);
    int64_t ok = ops_count(db, rec.run_id, "type='ok'");
    int64_t not_ok = ops_count(db, rec.run_id, "type<>'ok' AND complete_ns IS NOT NULL");
    cr_assert_gt(ok, 5000);
    for (int by_node = 0; by_node < 2; by_node++) {
        struct spawn_result r;
        murphy(&r, "report", db_path, "--by", by_node ? "node" : "window", NULL);
        assert_exit(&r, 0);
        struct row rows[128];
        size_t n = parse_rows(r.out, rows, 128);
        cr_assert_eq(n, by_node ? 3u : 10u, "3 client nodes, 10 windows");
        long sum_ok = 0, sum_not = 0;
        for (size_t i = 0; i < n; i++) {
            sum_ok += rows[i].ok;
            sum_not += rows[i].not_ok;
        }
        cr_assert_eq(sum_ok, ok);
        cr_assert_eq(sum_not, not_ok);
        if (!by_node) {
            cr_assert_str_eq(rows[0].group, "0.000000000s..6.000000000s");
            cr_assert_str_eq(rows[9].group, "54.000000000s..60.000000000s");
            /* the window of the crash (18..24 s) has the timed-out operations */
            cr_assert_gt(rows[3].not_ok, 100, "the crash shows in its window");
            /* window 2 (12..18 s): p99 recomputed from the record */
            sqlite3_stmt *s = NULL;
            cr_assert_eq(sqlite3_prepare_v2(db, "SELECT complete_ns - invoke_ns FROM ops WHERE"
                                            " run_id=?1 AND type='ok' AND complete_ns >="
                                            " 12000000000 AND complete_ns < 18000000000", -1, &s,
                                            NULL), SQLITE_OK);
            sqlite3_bind_int64(s, 1, rec.run_id);
            double lat[20000];
            size_t k = 0;
            while (sqlite3_step(s) == SQLITE_ROW && k < 20000) lat[k++] = (double)sqlite3_column_int64(s, 0);
            sqlite3_finalize(s);
            cr_assert_eq((long)k, rows[2].ok);
            gsl_sort(lat, 1, k);
            double p99_ns = gsl_stats_quantile_from_sorted_data(lat, 1, k, 0.99);
            cr_assert(rows[2].p99_s * 1e9 >= p99_ns - 1 && rows[2].p99_s * 1e9 <= p99_ns,
                      "window p99 %.9fs, from the record %.0f ns (printed truncated to ns)",
                      rows[2].p99_s, p99_ns);
        }
        spawn_result_free(&r);
    }
    db_close(db);
}

Test(latency_by, bad_arguments_exit_2)
{
    const char *db_path = tmp_path("l.db");
    record_run(db_path, source_path("scenarios/unreliable-network.ini"), 2, NULL, NULL);
    const char *bad[][4] = {{"--by", "f", NULL, NULL}, {"--by", "window", "--windows", "0"},
                            {"--by", "window", "--windows", "101"}, {"--by", NULL, NULL, NULL}};
    for (size_t i = 0; i < 4; i++) {
        struct spawn_result r;
        murphy(&r, "report", db_path, bad[i][0], bad[i][1], bad[i][2], bad[i][3], NULL);
        assert_exit(&r, 2);
        cr_assert(strstr(r.err, "--by") || strstr(r.err, "--windows"), "%s", r.err);
        spawn_result_free(&r);
    }
}
