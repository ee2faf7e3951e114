/* analysis/report.c - builds struct an_report with SQL over one run's rows and GSL for
 * the percentiles. Aggregation (GROUP BY) is SQLite's; quantiles are GSL's
 * gsl_stats_quantile_from_sorted_data over latencies sorted by gsl_sort. Queries on
 * events are bounded by run_id and the run's rowid range; the other tables by run_id. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>


const double an_report_quantiles[5] = {0.5, 0.9, 0.99, 0.999, 1.0};

static int prepare(sqlite3 *db, const char *sql, const struct an_run *run, sqlite3_stmt **s,
                   char *err, size_t err_bytes)
{
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "report: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(*s, 1, run->id);
    if (sqlite3_bind_parameter_count(*s) >= 3) { /* the run's rowid range, for events */
        sqlite3_bind_int64(*s, 2, run->last_rowid ? run->first_rowid : 0);
        sqlite3_bind_int64(*s, 3, run->last_rowid);
    }
    return 0;
}

static int load_fates(sqlite3 *db, const struct an_run *run, struct an_report *r, char *err,
                      size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT kind, CASE WHEN kind='drop' THEN detail END AS reason, count(*) FROM events"
        " WHERE run_id=?1 AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3)"
        " AND kind IN ('send','enqueue','drop','duplicate','corrupt','deliver',"
        "'clamp') GROUP BY 1, 2 ORDER BY CASE kind WHEN 'send' THEN 0 WHEN 'enqueue' THEN 1"
        " WHEN 'deliver' THEN 2 WHEN 'duplicate' THEN 3 WHEN 'corrupt' THEN 4 WHEN 'drop'"
        " THEN 5 ELSE 6 END, 2";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    while (sqlite3_step(s) == SQLITE_ROW && r->fate_count < AN_REPORT_ROWS_MAX) {
        struct an_count *c = &r->fates[r->fate_count++];
        const char *kind = (const char *)sqlite3_column_text(s, 0);
        const char *reason = (const char *)sqlite3_column_text(s, 1);
        snprintf(c->name, sizeof c->name, "%s%s%s", kind ? kind : "?", reason ? ": " : "",
                 reason ? reason : "");
        c->count = (uint64_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    return 0;
}

static int load_latencies(sqlite3 *db, const struct an_run *run, struct an_op_stats *st,
                          char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT complete_ns - invoke_ns FROM ops WHERE run_id=?1 AND f=?2"
                      " AND type='ok'";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    sqlite3_bind_text(s, 2, st->f, -1, SQLITE_STATIC);
    size_t n = 0, cap = st->ok ? (size_t)st->ok : 1;
    double *lat = malloc(cap * sizeof *lat);
    if (!lat) {
        sqlite3_finalize(s);
        snprintf(err, err_bytes, "out of memory");
        return -1;
    }
    while (sqlite3_step(s) == SQLITE_ROW && n < cap) lat[n++] = (double)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (n) {
        gsl_sort(lat, 1, n);
        for (int q = 0; q < 5; q++)
            st->latency_ns[q] = gsl_stats_quantile_from_sorted_data(lat, 1, n,
                                                                    an_report_quantiles[q]);
    }
    free(lat);
    return 0;
}

static int load_ops(sqlite3 *db, const struct an_run *run, struct an_report *r, char *err,
                    size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT f, sum(type='ok'), sum(type='fail'), sum(type='info') FROM ops"
                      " WHERE run_id=?1 GROUP BY f ORDER BY f";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    while (sqlite3_step(s) == SQLITE_ROW && r->op_count < AN_REPORT_ROWS_MAX) {
        struct an_op_stats *st = &r->ops[r->op_count++];
        const char *f = (const char *)sqlite3_column_text(s, 0);
        snprintf(st->f, sizeof st->f, "%s", f ? f : "");
        st->ok = (uint64_t)sqlite3_column_int64(s, 1);
        st->fail = (uint64_t)sqlite3_column_int64(s, 2);
        st->info = (uint64_t)sqlite3_column_int64(s, 3);
    }
    sqlite3_finalize(s);
    for (size_t i = 0; i < r->op_count; i++)
        if (load_latencies(db, run, &r->ops[i], err, err_bytes) != 0) return -1;
    return 0;
}

static int load_causes(sqlite3 *db, const struct an_run *run, struct an_report *r, char *err,
                       size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql = "SELECT text, count(*) FROM annotations WHERE run_id=?1"
                      " AND kind='timeout_cause' GROUP BY text ORDER BY min(seq)";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    while (sqlite3_step(s) == SQLITE_ROW && r->cause_count < AN_REPORT_ROWS_MAX) {
        struct an_count *c = &r->causes[r->cause_count++];
        const char *text = (const char *)sqlite3_column_text(s, 0);
        snprintf(c->name, sizeof c->name, "%s", text ? text : "");
        c->count = (uint64_t)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (prepare(db, "SELECT count(*) FROM events WHERE run_id=?1 AND (?2 = 0 OR rowid BETWEEN"
                " ?2 AND ?3) AND kind='timeout'", run, &s,
                err, err_bytes) != 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) r->timeout_count = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return 0;
}

static int load_violations(sqlite3 *db, const struct an_run *run, struct an_report *r,
                           char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    if (prepare(db, "SELECT count(*), (SELECT text FROM violations WHERE run_id=?1 ORDER BY seq"
                " LIMIT 1), (SELECT count(*) FROM annotations WHERE run_id=?1 AND kind='note')"
                " FROM violations WHERE run_id=?1", run, &s, err, err_bytes) != 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        r->violation_count = (uint64_t)sqlite3_column_int64(s, 0);
        const char *text = (const char *)sqlite3_column_text(s, 1);
        snprintf(r->first_violation, sizeof r->first_violation, "%s", text ? text : "");
        r->note_count = (uint64_t)sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
    return 0;
}

/* A partition drop names its cutting fault (arg) and a resume its pause (obj) with what
 * waited (arg), so one grouped scan per kind finds the faults that did nothing. */
static int load_idle_faults(sqlite3 *db, const struct an_run *run, struct an_report *r,
                            char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "WITH cuts AS (SELECT arg AS fault, count(*) AS n FROM events WHERE run_id=?1"
        "  AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3)"
        "  AND kind='drop' AND detail='partition' GROUP BY arg),"
        " pauses AS (SELECT obj_id AS fault, sum(arg) AS n FROM events WHERE run_id=?1"
        "  AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3)"
        "  AND kind='resume' GROUP BY obj_id)"
        " SELECT coalesce(f.name, '?'), coalesce(f.action, '?') FROM faults f"
        " WHERE f.run_id=?1 AND ((f.action IN ('partition','cut') AND"
        "  coalesce((SELECT n FROM cuts c WHERE c.fault=f.fault), 0) = 0) OR"
        "  (f.action='pause' AND coalesce((SELECT n FROM pauses p WHERE p.fault=f.fault), 0) = 0))"
        " ORDER BY f.fault";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (r->idle_fault_count < AN_REPORT_ROWS_MAX) {
            struct an_count *c = &r->idle_faults[r->idle_fault_count++];
            snprintf(c->name, sizeof c->name, "%.30s (%.12s)",
                     (const char *)sqlite3_column_text(s, 0),
                     (const char *)sqlite3_column_text(s, 1));
        }
    }
    sqlite3_finalize(s);
    if (prepare(db, "SELECT count(*) FROM faults WHERE run_id=?1", run, &s, err, err_bytes) != 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) r->fault_count = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return 0;
}

int an_report_build(struct an_db *db, const struct an_run *run, struct an_report *report,
                    char *err, size_t err_bytes)
{
    memset(report, 0, sizeof *report);
    sqlite3 *h = an_db_sqlite(db);
    if (load_fates(h, run, report, err, err_bytes) != 0) return -1;
    if (load_ops(h, run, report, err, err_bytes) != 0) return -1;
    if (load_causes(h, run, report, err, err_bytes) != 0) return -1;
    if (load_idle_faults(h, run, report, err, err_bytes) != 0) return -1;
    return load_violations(h, run, report, err, err_bytes);
}
