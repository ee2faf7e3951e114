/* analysis/report.c - builds struct an_report with SQL over one run's rows and GSL for
 * the percentiles. Aggregation (GROUP BY) is SQLite's; quantiles are GSL's
 * gsl_stats_quantile_from_sorted_data over latencies sorted by gsl_sort. Queries on
 * events are bounded by run_id and the run's rowid range; the other tables by run_id.
 * The record has no index (readers open it read-only): joins by message id go through
 * materialized subsets on which SQLite builds transient (automatic) indexes, so each
 * costs one scan of the run plus a sort, never a scan per row. */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

/* The events of run ?1 within its rowid range ?2..?3 (the whole table's rows of the run
 * when the range is unknown). */
#define RUN_EVENTS "events WHERE run_id=?1 AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3)"

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

static void copy_text(sqlite3_stmt *s, int col, char *out, size_t out_bytes)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    snprintf(out, out_bytes, "%s", text ? (const char *)text : "");
}

/* Finalizes s after its last step (rc); a step that failed is the query's error. */
static int finish_rows(sqlite3 *db, sqlite3_stmt *s, int rc, const char *what, char *err,
                       size_t err_bytes)
{
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE) return 0;
    snprintf(err, err_bytes, "report: reading %s: %s", what, sqlite3_errmsg(db));
    return -1;
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
    if (prepare(db, "SELECT count(*), (SELECT count(*) FROM annotations WHERE run_id=?1 AND"
                " kind='note') FROM violations WHERE run_id=?1", run, &s, err, err_bytes) != 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        r->violation_count = (uint64_t)sqlite3_column_int64(s, 0);
        r->note_count = (uint64_t)sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    if (prepare(db, "SELECT seq, source, text FROM violations WHERE run_id=?1"
                " ORDER BY seq, rowid LIMIT ?2", run, &s, err, err_bytes) != 0)
        return -1;
    sqlite3_bind_int(s, 2, AN_REPORT_VIOLATIONS_LISTED);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW &&
           r->violation_listed < AN_REPORT_VIOLATIONS_LISTED) {
        struct an_violation_row *v = &r->violations[r->violation_listed++];
        v->seq = (uint64_t)sqlite3_column_int64(s, 0);
        copy_text(s, 1, v->source, sizeof v->source);
        copy_text(s, 2, v->text, sizeof v->text);
    }
    return finish_rows(db, s, rc, "violations", err, err_bytes);
}

/* Deliveries and replies whose wall stamps put an effect before its cause. The sends and
 * deliveries of the run are materialized once; the joins by message id probe them
 * through automatic indexes. A reply counts once, whether its send, a delivery or
 * both are stamped before its request's send. */
static int load_inversions(sqlite3 *db, const struct an_run *run, struct an_report *r,
                           char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "WITH s AS MATERIALIZED (SELECT obj_id, ref_id, wall_ns FROM " RUN_EVENTS
        "  AND kind='send'),"
        " d AS MATERIALIZED (SELECT obj_id, wall_ns FROM " RUN_EVENTS " AND kind='deliver')"
        " SELECT (SELECT count(*) FROM s),"
        " (SELECT count(*) FROM d JOIN s ON s.obj_id = d.obj_id WHERE d.wall_ns < s.wall_ns),"
        " (SELECT count(*) FROM s AS rep JOIN s AS req ON req.obj_id = rep.ref_id"
        "  WHERE rep.ref_id <> 0 AND (rep.wall_ns < req.wall_ns OR EXISTS (SELECT 1 FROM d"
        "  WHERE d.obj_id = rep.obj_id AND d.wall_ns < req.wall_ns)))";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        r->send_count = (uint64_t)sqlite3_column_int64(s, 0);
        r->inverted_delivery_count = (uint64_t)sqlite3_column_int64(s, 1);
        r->inverted_reply_count = (uint64_t)sqlite3_column_int64(s, 2);
        rc = sqlite3_step(s);
    }
    return finish_rows(db, s, rc, "causal inversions", err, err_bytes);
}

static int load_metrics(sqlite3 *db, const struct an_run *run, struct an_report *r, char *err,
                        size_t err_bytes)
{
    sqlite3_stmt *s;
    /* the ops.* accumulator metrics are the operations table above, shown once */
    if (prepare(db, "SELECT name, value, unit FROM metrics WHERE run_id=?1 AND"
                " substr(name, 1, 4) <> 'ops.' ORDER BY rowid", run, &s, err, err_bytes) != 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->metric_total++ >= AN_REPORT_ROWS_MAX) continue;
        struct an_metric *m = &r->metrics[r->metric_count++];
        copy_text(s, 0, m->name, sizeof m->name);
        m->value = sqlite3_column_double(s, 1);
        copy_text(s, 2, m->unit, sizeof m->unit);
    }
    return finish_rows(db, s, rc, "metrics", err, err_bytes);
}

static void node_label(const struct an_nodes *nodes, int64_t node, char *out, size_t out_bytes)
{
    if (node >= 0 && node < (int64_t)nodes->count)
        snprintf(out, out_bytes, "%s", nodes->names[node]);
    else snprintf(out, out_bytes, "node %" PRId64, node);
}

/* Per node with any clock event: the sampled offsets (min, max, the last one, read back
 * by rowid, the table's key) and the counts of steps, syncs and rate changes. */
static int load_clocks(sqlite3 *db, const struct an_run *run, const struct an_nodes *nodes,
                       struct an_report *r, char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT node, samples, lo, hi, (SELECT arg FROM events WHERE rowid = last), steps,"
        " syncs, rates FROM (SELECT node, sum(kind='clock_sample') AS samples,"
        "  min(CASE WHEN kind='clock_sample' THEN arg END) AS lo,"
        "  max(CASE WHEN kind='clock_sample' THEN arg END) AS hi,"
        "  max(CASE WHEN kind='clock_sample' THEN rowid END) AS last,"
        "  sum(kind='clock_step') AS steps, sum(kind='clock_sync') AS syncs,"
        "  sum(kind='clock_rate') AS rates FROM " RUN_EVENTS
        "  AND kind IN ('clock_sample','clock_step','clock_sync','clock_rate')"
        "  AND node IS NOT NULL GROUP BY node) ORDER BY node";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->clock_total++ >= AN_REPORT_ROWS_MAX) continue;
        struct an_clock_row *c = &r->clocks[r->clock_count++];
        c->node_index = sqlite3_column_int64(s, 0);
        node_label(nodes, c->node_index, c->node, sizeof c->node);
        c->sample_count = (uint64_t)sqlite3_column_int64(s, 1);
        c->offset_min_ns = sqlite3_column_int64(s, 2);
        c->offset_max_ns = sqlite3_column_int64(s, 3);
        c->offset_final_ns = sqlite3_column_int64(s, 4);
        c->step_count = (uint64_t)sqlite3_column_int64(s, 5);
        c->sync_count = (uint64_t)sqlite3_column_int64(s, 6);
        c->rate_count = (uint64_t)sqlite3_column_int64(s, 7);
    }
    return finish_rows(db, s, rc, "clock events", err, err_bytes);
}

/* Offsets over time: one pass over the samples in execution order, keeping per listed
 * node the last sample of each fifth of the run (the run's end, so the fifths cover
 * what was simulated). Memory: AN_CLOCK_POINTS values per listed node. */
static int load_clock_points(sqlite3 *db, const struct an_run *run, struct an_report *r,
                             char *err, size_t err_bytes)
{
    int64_t end_ns = run->end_ns > 0 ? run->end_ns : run->duration_ns;
    for (int i = 0; i < AN_CLOCK_POINTS; i++)
        r->clock_point_ns[i] = end_ns / AN_CLOCK_POINTS * (i + 1);
    r->clock_point_ns[AN_CLOCK_POINTS - 1] = end_ns;
    if (!r->clock_count || end_ns <= 0) return 0;
    sqlite3_stmt *s;
    if (prepare(db, "SELECT node, time_ns, arg FROM " RUN_EVENTS " AND kind='clock_sample'"
                " ORDER BY rowid", run, &s, err, err_bytes) != 0)
        return -1;
    int rc;
    size_t at = 0; /* rows are by node index, and so are the samples of one instant */
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t node = sqlite3_column_int64(s, 0), t_ns = sqlite3_column_int64(s, 1);
        struct an_clock_row *c = NULL;
        for (size_t k = 0; k < r->clock_count && !c; k++, at = (at + 1) % r->clock_count)
            if (r->clocks[at].node_index == node) c = &r->clocks[at];
        if (!c) continue; /* a node past the listed rows */
        for (int i = 0; i < AN_CLOCK_POINTS; i++) {
            if (t_ns > r->clock_point_ns[i]) continue;
            c->offset_at_ns[i] = sqlite3_column_int64(s, 2);
            c->has_offset_at[i] = true;
            break;
        }
    }
    return finish_rows(db, s, rc, "clock samples", err, err_bytes);
}

/* A double sum of ns (total() never overflows, even on a hostile record) as int64. */
static int64_t clamp_ns(double ns)
{
    if (!(ns > -9.2e18)) return ns < 0 ? INT64_MIN : 0; /* also NaN */
    return ns < 9.2e18 ? (int64_t)ns : INT64_MAX;
}

static int load_pauses(sqlite3 *db, const struct an_run *run, const struct an_nodes *nodes,
                       struct an_report *r, char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT node, sum(detail='gc'), total(CASE WHEN detail='gc' THEN arg END),"
        " sum(detail='fault'), total(CASE WHEN detail='fault' THEN arg END) FROM " RUN_EVENTS
        " AND kind='pause' AND node IS NOT NULL GROUP BY node ORDER BY node";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->pause_total++ >= AN_REPORT_ROWS_MAX) continue;
        struct an_pause_row *p = &r->pauses[r->pause_count++];
        node_label(nodes, sqlite3_column_int64(s, 0), p->node, sizeof p->node);
        p->gc_count = (uint64_t)sqlite3_column_int64(s, 1);
        p->gc_ns = clamp_ns(sqlite3_column_double(s, 2));
        p->fault_count = (uint64_t)sqlite3_column_int64(s, 3);
        p->fault_ns = clamp_ns(sqlite3_column_double(s, 4));
    }
    return finish_rows(db, s, rc, "pauses", err, err_bytes);
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
        "  AND kind='drop' AND detail IN ('partition','degrade') GROUP BY arg),"
        " pauses AS (SELECT obj_id AS fault, sum(arg) AS n FROM events WHERE run_id=?1"
        "  AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3)"
        "  AND kind='resume' GROUP BY obj_id)"
        " SELECT coalesce(f.name, '?'), coalesce(f.action, '?') FROM faults f"
        " WHERE f.run_id=?1 AND ((f.action IN ('partition','cut','degrade') AND"
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

static int load_lies(sqlite3 *db, const struct an_run *run, const struct an_nodes *nodes,
                     struct an_report *r, char *err, size_t err_bytes)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT kind, node, detail, count(*) FROM " RUN_EVENTS
        " AND kind IN ('lie','attack') GROUP BY kind, node, detail"
        " ORDER BY kind DESC, node, detail";
    if (prepare(db, sql, run, &s, err, err_bytes) != 0) return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (r->lie_total++ >= AN_REPORT_ROWS_MAX) continue;
        struct an_count *c = &r->lies[r->lie_count++];
        char node[64], kind[16], detail[24];
        copy_text(s, 0, kind, sizeof kind);
        node_label(nodes, sqlite3_column_int64(s, 1), node, sizeof node);
        copy_text(s, 2, detail, sizeof detail);
        if (strcmp(kind, "lie") == 0)
            snprintf(c->name, sizeof c->name, "%.28s %.16s", node, detail);
        else snprintf(c->name, sizeof c->name, "attack from %.20s: %.10s", node, detail);
        c->count = (uint64_t)sqlite3_column_int64(s, 3);
    }
    return finish_rows(db, s, rc, "lies", err, err_bytes);
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
    if (load_inversions(h, run, report, err, err_bytes) != 0) return -1;
    if (load_metrics(h, run, report, err, err_bytes) != 0) return -1;
    struct an_nodes nodes;
    if (an_nodes_load(db, run->id, &nodes, err, err_bytes) != 0) return -1;
    int rc = load_clocks(h, run, &nodes, report, err, err_bytes);
    if (rc == 0) rc = load_clock_points(h, run, report, err, err_bytes);
    if (rc == 0) rc = load_pauses(h, run, &nodes, report, err, err_bytes);
    if (rc == 0) rc = load_lies(h, run, &nodes, report, err, err_bytes);
    an_nodes_free(&nodes);
    if (rc != 0) return -1;
    return load_violations(h, run, report, err, err_bytes);
}
