/* analysis/db.c - the read-only side of the record; see db.h. */
#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "murphy/node.h"

struct an_db {
    sqlite3 *db;
};

int an_db_open(const char *path, struct an_db **out, char *err, size_t err_bytes)
{
    *out = NULL;
    if (access(path, R_OK) != 0) {
        snprintf(err, err_bytes, "%s: cannot read the database: %s", path, strerror(errno));
        return -1;
    }
    struct an_db *db = calloc(1, sizeof *db);
    if (!db) {
        snprintf(err, err_bytes, "out of memory");
        return -1;
    }
    int rc = sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db->db, 10000);
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
        sqlite3_db_config(db->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
        /* No value murphy writes is longer than a scenario (1 MiB); a hostile database
         * must not make a reader build gigabyte strings (e.g. generated columns calling
         * zeroblob, which trusted_schema=off still allows). */
        sqlite3_limit(db->db, SQLITE_LIMIT_LENGTH, 4 << 20);
    }
    sqlite3_stmt *s = NULL;
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key='schema_version'", -1,
                                &s, NULL);
    if (rc != SQLITE_OK && db->db && sqlite3_extended_errcode(db->db) == SQLITE_READONLY_ROLLBACK) {
        snprintf(err, err_bytes, "%s: a write to this database was interrupted and must be "
                 "rolled back first; open it once read-write (e.g. sqlite3 %s 'PRAGMA "
                 "integrity_check')", path, path);
        sqlite3_finalize(s);
        an_db_close(db);
        return -1;
    }
    if (rc != SQLITE_OK) {
        snprintf(err, err_bytes, "%s: not a murphy record: %s", path,
                 db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
        sqlite3_finalize(s);
        an_db_close(db);
        return -1;
    }
    const unsigned char *v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    bool is_version_1 = v && strcmp((const char *)v, "1") == 0;
    sqlite3_finalize(s);
    if (!is_version_1) {
        snprintf(err, err_bytes, "%s: not a record of schema version 1, which this murphy "
                 "reads", path);
        an_db_close(db);
        return -1;
    }
    *out = db;
    return 0;
}

void an_db_close(struct an_db *db)
{
    if (!db) return;
    sqlite3_close(db->db);
    free(db);
}

sqlite3 *an_db_sqlite(struct an_db *db) { return db->db; }

static void copy_column(sqlite3_stmt *s, int col, char *out, size_t out_bytes)
{
    const unsigned char *text = sqlite3_column_text(s, col);
    snprintf(out, out_bytes, "%s", text ? (const char *)text : "");
}

static char *dup_column(sqlite3_stmt *s, int col, size_t *bytes)
{
    const void *blob = sqlite3_column_text(s, col);
    size_t n = (size_t)sqlite3_column_bytes(s, col);
    char *out = malloc(n + 1);
    if (!out) return NULL;
    if (n) memcpy(out, blob, n);
    out[n] = '\0';
    if (bytes) *bytes = n;
    return out;
}

/* A `running` run whose writer process is gone was killed: it reads as incomplete.
 * Liveness is knowable only on the writer's host. */
static void settle_status(struct an_run *run)
{
    if (strcmp(run->status, "running") != 0) return;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    if (strcmp(host, run->host) != 0) return;
    bool is_pid = run->pid > 0 && run->pid <= INT32_MAX; /* anything else names no process */
    if (is_pid && run->pid != (int64_t)getpid() && kill((pid_t)run->pid, 0) == 0) return;
    snprintf(run->status, sizeof run->status, "incomplete");
    if (!run->end_reason[0]) snprintf(run->end_reason, sizeof run->end_reason, "writer gone");
}

/* A run that never finished has no count or end time in its row; its events say. */
static void count_recorded(struct an_db *db, struct an_run *run)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT count(*), max(time_ns), min(rowid), max(rowid)"
                           " FROM events WHERE run_id=?", -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(s, 1, run->id);
    if (sqlite3_step(s) == SQLITE_ROW) {
        run->event_count = (uint64_t)sqlite3_column_int64(s, 0);
        run->end_ns = sqlite3_column_int64(s, 1);
        run->first_rowid = sqlite3_column_int64(s, 2);
        run->last_rowid = sqlite3_column_int64(s, 3);
    }
    sqlite3_finalize(s);
}

static int load_overrides(struct an_db *db, struct an_run *run, char *err, size_t err_bytes)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT text FROM run_overrides WHERE run_id=? ORDER BY position", -1,
                           &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading overrides: %s", sqlite3_errmsg(db->db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (run->override_count == AN_OVERRIDES_MAX) {
            snprintf(err, err_bytes, "damaged record: run %" PRId64 " has more than %d "
                     "overrides", run->id, AN_OVERRIDES_MAX);
            sqlite3_finalize(s);
            return -1;
        }
        if (run->override_count == cap) {
            cap = cap ? cap * 2 : 8;
            char **o = realloc(run->overrides, cap * sizeof *o);
            if (!o) break;
            run->overrides = o;
        }
        run->overrides[run->override_count] = dup_column(s, 0, NULL);
        if (!run->overrides[run->override_count]) break;
        run->override_count++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading overrides failed");
        return -1;
    }
    return 0;
}

int an_run_load(struct an_db *db, int64_t run_id, struct an_run *run, char *err, size_t err_bytes)
{
    memset(run, 0, sizeof *run);
    sqlite3_stmt *s = NULL;
    const char *sql =
        "SELECT id, scenario, scenario_path, scenario_text, seed, status, end_reason,"
        " event_count, event_hash, first_event_rowid, last_event_rowid, end_ns, duration_ns,"
        " program_version, hash_format, platform, host, pid, model_libs, violation_count,"
        " clamp_count FROM runs WHERE id = ?1 OR (?1 = 0 AND id = (SELECT max(id) FROM runs))";
    if (sqlite3_prepare_v2(db->db, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading runs: %s", sqlite3_errmsg(db->db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run_id);
    int step_rc = sqlite3_step(s);
    if (step_rc != SQLITE_ROW) {
        if (step_rc != SQLITE_DONE)
            snprintf(err, err_bytes, "reading runs: %s", sqlite3_errmsg(db->db));
        else if (run_id) snprintf(err, err_bytes, "no run %" PRId64 " in this database", run_id);
        else snprintf(err, err_bytes, "this database holds no runs");
        sqlite3_finalize(s);
        return step_rc == SQLITE_DONE ? AN_NO_RUN : -1;
    }
    run->id = sqlite3_column_int64(s, 0);
    copy_column(s, 1, run->scenario, sizeof run->scenario);
    run->scenario_path = dup_column(s, 2, NULL);
    run->scenario_text = dup_column(s, 3, &run->scenario_text_bytes);
    run->seed = (uint64_t)sqlite3_column_int64(s, 4);
    copy_column(s, 5, run->status, sizeof run->status);
    copy_column(s, 6, run->end_reason, sizeof run->end_reason);
    run->event_count = (uint64_t)sqlite3_column_int64(s, 7);
    run->has_hash = sqlite3_column_type(s, 8) == SQLITE_TEXT;
    if (run->has_hash) {
        const char *hex = (const char *)sqlite3_column_text(s, 8);
        run->event_hash = strtoull(hex, NULL, 16);
    }
    run->first_rowid = sqlite3_column_int64(s, 9);
    run->last_rowid = sqlite3_column_int64(s, 10);
    run->end_ns = sqlite3_column_int64(s, 11);
    run->duration_ns = sqlite3_column_int64(s, 12);
    copy_column(s, 13, run->program_version, sizeof run->program_version);
    run->hash_format = sqlite3_column_int(s, 14);
    copy_column(s, 15, run->platform, sizeof run->platform);
    copy_column(s, 16, run->host, sizeof run->host);
    run->pid = sqlite3_column_int64(s, 17);
    copy_column(s, 18, run->model_libs, sizeof run->model_libs);
    run->violation_count = (uint64_t)sqlite3_column_int64(s, 19);
    run->clamp_count = (uint64_t)sqlite3_column_int64(s, 20);
    sqlite3_finalize(s);
    if (!run->scenario_path || !run->scenario_text) {
        snprintf(err, err_bytes, "out of memory reading run %" PRId64, run->id);
        an_run_free(run);
        return -1;
    }
    settle_status(run);
    if (!run->has_hash) count_recorded(db, run); /* killed: what reached the disk */
    if (load_overrides(db, run, err, err_bytes) != 0) {
        an_run_free(run);
        return -1;
    }
    return 0;
}

void an_run_free(struct an_run *run)
{
    free(run->scenario_path);
    free(run->scenario_text);
    for (size_t i = 0; i < run->override_count; i++) free(run->overrides[i]);
    free(run->overrides);
    memset(run, 0, sizeof *run);
}

int an_nodes_load(struct an_db *db, int64_t run_id, struct an_nodes *nodes, char *err,
                  size_t err_bytes)
{
    memset(nodes, 0, sizeof *nodes);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT node, name FROM nodes WHERE run_id=? ORDER BY node",
                           -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading nodes: %s", sqlite3_errmsg(db->db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, run_id);
    uint32_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t index = sqlite3_column_int64(s, 0);
        if (index != (int64_t)nodes->count || nodes->count >= 65535) {
            snprintf(err, err_bytes, "damaged record: node indexes of run %" PRId64
                     " are not 0, 1, 2, ...", run_id);
            sqlite3_finalize(s);
            an_nodes_free(nodes);
            return -1;
        }
        if (nodes->count == cap) {
            cap = cap ? cap * 2 : 16;
            char(*names)[64] = realloc(nodes->names, cap * sizeof *names);
            if (!names) break;
            nodes->names = names;
        }
        copy_column(s, 1, nodes->names[nodes->count], sizeof nodes->names[0]);
        nodes->count++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading nodes failed");
        an_nodes_free(nodes);
        return -1;
    }
    return 0;
}

void an_nodes_free(struct an_nodes *nodes)
{
    free(nodes->names);
    memset(nodes, 0, sizeof *nodes);
}

int64_t an_nodes_find(const struct an_nodes *nodes, const char *name)
{
    for (uint32_t i = 0; i < nodes->count; i++)
        if (strcmp(nodes->names[i], name) == 0) return i;
    return -1;
}

struct an_event_iter {
    sqlite3_stmt *stmt;
    enum an_event_order order;
    uint64_t next_seq; /* in seq order, the seq expected next; else the rows read */
    uint64_t seq_limit; /* in wall order: every seq is below this */
    uint32_t node_count;
};

int an_events_open(struct an_db *db, const struct an_run *run, struct an_event_iter **out,
                   char *err, size_t err_bytes)
{
    return an_events_open_ordered(db, run, AN_ORDER_TRUE, out, err, err_bytes);
}

int an_events_open_ordered(struct an_db *db, const struct an_run *run, enum an_event_order order,
                           struct an_event_iter **out, char *err, size_t err_bytes)
{
    *out = NULL;
    struct an_event_iter *it = calloc(1, sizeof *it);
    if (!it) {
        snprintf(err, err_bytes, "out of memory");
        return -1;
    }
    it->order = order;
    it->seq_limit = run->event_count;
    /* Within one run rows are appended in seq order, so rowid order is seq order and no
     * sort (or index) is needed; the run's rowid range bounds the scan. A run killed
     * before its first commit has no range yet: scan from its first row. */
    const char *sql = order == AN_ORDER_WALL
        ? "SELECT seq, time_ns, node, kind, peer, obj_id, ref_id, detail, arg,"
          " mono_ns, wall_ns, rowid FROM events e WHERE run_id = ?1"
          " AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3) ORDER BY " AN_WALL_KEY_SQL ", seq"
        : "SELECT seq, time_ns, node, kind, peer, obj_id, ref_id, detail, arg,"
          " mono_ns, wall_ns, rowid FROM events WHERE run_id = ?1"
          " AND (?2 = 0 OR rowid BETWEEN ?2 AND ?3) ORDER BY rowid";
    if (sqlite3_prepare_v2(db->db, sql, -1, &it->stmt, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading events: %s", sqlite3_errmsg(db->db));
        free(it);
        return -1;
    }
    sqlite3_bind_int64(it->stmt, 1, run->id);
    sqlite3_bind_int64(it->stmt, 2, run->last_rowid ? run->first_rowid : 0);
    sqlite3_bind_int64(it->stmt, 3, run->last_rowid);
    sqlite3_stmt *n = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM nodes WHERE run_id=?", -1, &n, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(n, 1, run->id);
        if (sqlite3_step(n) == SQLITE_ROW) it->node_count = (uint32_t)sqlite3_column_int64(n, 0);
    }
    sqlite3_finalize(n);
    *out = it;
    return 0;
}

static bool column_node(sqlite3_stmt *s, int col, uint32_t node_count, uint32_t *node)
{
    if (sqlite3_column_type(s, col) == SQLITE_NULL) {
        *node = SIM_NODE_NONE;
        return true;
    }
    int64_t v = sqlite3_column_int64(s, col);
    if (sqlite3_column_type(s, col) != SQLITE_INTEGER || v < 0 || v >= node_count) return false;
    *node = (uint32_t)v;
    return true;
}

bool an_event_decode(sqlite3_stmt *s, uint32_t node_count, struct sim_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = (uint64_t)sqlite3_column_int64(s, 0);
    ev->time_ns = sqlite3_column_int64(s, 1);
    const char *kind = (const char *)sqlite3_column_text(s, 3);
    int k = kind ? sim_event_kind_from_name(kind) : -1;
    const char *detail = (const char *)sqlite3_column_text(s, 7);
    int aux = detail ? sim_event_aux_from_name((unsigned)(k < 0 ? 0 : k), detail) : 0;
    if (k < 0 || aux < 0 || !column_node(s, 2, node_count, &ev->node) ||
        !column_node(s, 4, node_count, &ev->peer))
        return false;
    ev->kind = (uint16_t)k;
    ev->aux = (uint16_t)aux;
    ev->obj = (uint64_t)sqlite3_column_int64(s, 5);
    ev->ref = (uint64_t)sqlite3_column_int64(s, 6);
    ev->arg = sqlite3_column_int64(s, 8);
    ev->mono_ns = sqlite3_column_int64(s, 9);
    ev->wall_ns = sqlite3_column_int64(s, 10);
    return true;
}

int an_events_next(struct an_event_iter *it, struct sim_event *ev, char *err, size_t err_bytes)
{
    sqlite3_stmt *s = it->stmt;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) {
        snprintf(err, err_bytes, "reading events: %s", sqlite3_errmsg(sqlite3_db_handle(s)));
        return -1;
    }
    int64_t rowid = sqlite3_column_int64(s, 11);
    bool is_decoded = an_event_decode(s, it->node_count, ev);
    bool is_in_order = it->order == AN_ORDER_WALL ? ev->seq < it->seq_limit
                                                  : ev->seq == it->next_seq;
    if (!is_decoded || !is_in_order) {
        if (it->order == AN_ORDER_WALL)
            snprintf(err, err_bytes, "damaged record: event row %" PRId64 " (seq %" PRIu64
                     " of %" PRIu64 " events) does not decode", rowid, ev->seq, it->seq_limit);
        else
            snprintf(err, err_bytes, "damaged record: event row %" PRId64 " (expected seq %"
                     PRIu64 ") does not decode", rowid, it->next_seq);
        return -1;
    }
    it->next_seq++;
    return 1;
}

uint64_t an_events_seen(const struct an_event_iter *it) { return it->next_seq; }

void an_events_close(struct an_event_iter *it)
{
    if (!it) return;
    sqlite3_finalize(it->stmt);
    free(it);
}

char *an_format_time(int64_t ns, char *out, size_t out_bytes)
{
    uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    snprintf(out, out_bytes, "%s%" PRIu64 ".%09" PRIu64 "s", ns < 0 ? "-" : "",
             mag / 1000000000u, mag % 1000000000u);
    return out;
}
