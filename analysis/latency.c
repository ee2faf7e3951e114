/* analysis/latency.c - latency per node or window; see latency.h. One ordered pass over
 * the ops of the run (SQLite sorts by f, group, latency), one group's latencies in memory
 * at a time. */
#include "latency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_statistics_double.h>

struct group {
    struct an_latency_row row;
    double *lat;
    size_t count, cap;
    bool is_open;
};

static void flush(struct group *g, an_latency_row_fn fn, void *ctx)
{
    if (!g->is_open) return;
    if (g->count) { /* rows come sorted by latency: no gsl_sort needed */
        g->row.p50_ns = gsl_stats_quantile_from_sorted_data(g->lat, 1, g->count, 0.5);
        g->row.p99_ns = gsl_stats_quantile_from_sorted_data(g->lat, 1, g->count, 0.99);
        g->row.max_ns = g->lat[g->count - 1];
    }
    fn(ctx, &g->row);
    g->count = 0;
    g->is_open = false;
}

int an_latency_by(struct an_db *db, const struct an_run *run, enum an_latency_by by,
                  int window_count, an_latency_row_fn fn, void *ctx, char *err,
                  size_t err_bytes)
{
    if (window_count < 1 || window_count > AN_LATENCY_WINDOWS_MAX) {
        snprintf(err, err_bytes, "windows must be within [1, %d]", AN_LATENCY_WINDOWS_MAX);
        return -1;
    }
    int64_t end_ns = run->end_ns > 0 ? run->end_ns : run->duration_ns;
    if (end_ns < window_count) end_ns = window_count;
    int64_t width_ns = (end_ns + window_count - 1) / window_count;
    /* group key: the node, or the window of the completion (the run's last instant goes
     * to the last window) */
    const char *sql =
        "SELECT f, CASE WHEN ?2 = 0 THEN node ELSE min(complete_ns / ?3, ?4 - 1) END AS g,"
        " type = 'ok', complete_ns - invoke_ns FROM ops WHERE run_id = ?1 AND complete_ns IS"
        " NOT NULL ORDER BY f, g, type = 'ok', complete_ns - invoke_ns";
    sqlite3_stmt *s = NULL;
    sqlite3 *h = an_db_sqlite(db);
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading ops: %s", sqlite3_errmsg(h));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run->id);
    sqlite3_bind_int(s, 2, by == AN_LATENCY_BY_NODE ? 0 : 1);
    sqlite3_bind_int64(s, 3, width_ns);
    sqlite3_bind_int(s, 4, window_count);
    struct group g = {0};
    int rc, status = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *f = (const char *)sqlite3_column_text(s, 0);
        int64_t key = sqlite3_column_int64(s, 1);
        bool is_same = g.is_open && strncmp(g.row.f, f ? f : "", sizeof g.row.f - 1) == 0 &&
                       (by == AN_LATENCY_BY_NODE ? g.row.node == key
                                                 : g.row.window_start_ns == key * width_ns);
        if (!is_same) {
            flush(&g, fn, ctx);
            g.row = (struct an_latency_row){.node = key, .window_start_ns = key * width_ns,
                                            .window_end_ns = key + 1 == window_count
                                                                 ? end_ns
                                                                 : (key + 1) * width_ns};
            snprintf(g.row.f, sizeof g.row.f, "%s", f ? f : "");
            g.is_open = true;
        }
        if (!sqlite3_column_int(s, 2)) {
            g.row.not_ok++;
            continue;
        }
        g.row.ok++;
        if (g.count == g.cap) {
            size_t cap = g.cap ? g.cap * 2 : 1024;
            double *grown = realloc(g.lat, cap * sizeof *grown);
            if (!grown) {
                snprintf(err, err_bytes, "out of memory");
                status = -1;
                break;
            }
            g.lat = grown;
            g.cap = cap;
        }
        g.lat[g.count++] = (double)sqlite3_column_int64(s, 3);
    }
    if (status == 0 && rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading ops: %s", sqlite3_errmsg(h));
        status = -1;
    }
    if (status == 0) flush(&g, fn, ctx);
    sqlite3_finalize(s);
    free(g.lat);
    return status;
}
