/* cli/sweep_store.c - a sweep's rows: their order, their storage in the sweeps,
 * sweep_runs and sweep_metrics tables (docs/record.md), and the table printed from them.
 * Writes go through bound parameters only; the tables are additive to schema 1, so a
 * record with sweeps is still a record `murphy run` appends to. */
#include "sweep.h"

#include <assert.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char sweep_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS sweeps(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
    " scenario_path TEXT NOT NULL, scenario_text TEXT NOT NULL, base_overrides TEXT NOT NULL,"
    " grid TEXT NOT NULL, seeds TEXT NOT NULL, point_count INTEGER NOT NULL,"
    " seed_count INTEGER NOT NULL, shard TEXT NOT NULL, program_version TEXT NOT NULL,"
    " started_at TEXT NOT NULL, model_libs TEXT);"
    "CREATE TABLE IF NOT EXISTS sweep_runs(sweep_id INTEGER NOT NULL, point INTEGER NOT NULL,"
    " seed INTEGER NOT NULL, overrides TEXT NOT NULL, event_hash TEXT NOT NULL,"
    " event_count INTEGER NOT NULL, end_ns INTEGER NOT NULL, status TEXT NOT NULL,"
    " violations INTEGER NOT NULL, PRIMARY KEY(sweep_id, point, seed));"
    "CREATE TABLE IF NOT EXISTS sweep_metrics(sweep_id INTEGER NOT NULL,"
    " point INTEGER NOT NULL, seed INTEGER NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL,"
    " value REAL NOT NULL, unit TEXT NOT NULL, PRIMARY KEY(sweep_id, point, seed, ord));"
    "CREATE TABLE IF NOT EXISTS sweep_full_runs(sweep_id INTEGER NOT NULL,"
    " point INTEGER NOT NULL, seed INTEGER NOT NULL, run_id INTEGER NOT NULL,"
    " PRIMARY KEY(sweep_id, point, seed));"
    "CREATE TABLE IF NOT EXISTS sweep_incomplete(sweep_id INTEGER PRIMARY KEY);";

void sweep_spec_free(struct sweep_spec *spec)
{
    free(spec->scenario);
    free(spec->scenario_path);
    free(spec->scenario_text);
    free(spec->base_overrides);
    free(spec->grid);
    free(spec->seeds);
    free(spec->model_libs);
    if (spec->point_overrides)
        for (uint32_t p = 0; p < spec->point_count; p++) free(spec->point_overrides[p]);
    free(spec->point_overrides);
    memset(spec, 0, sizeof *spec);
}

void sweep_rows_free(struct sweep_row *rows, size_t row_count)
{
    for (size_t i = 0; rows && i < row_count; i++) free(rows[i].metrics);
    free(rows);
}

static int row_order(const void *a, const void *b)
{
    const struct sweep_row *x = a, *y = b;
    if (x->point != y->point) return x->point < y->point ? -1 : 1;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return 0;
}

void sweep_rows_sort(struct sweep_row *rows, size_t row_count)
{
    if (row_count) qsort(rows, row_count, sizeof *rows, row_order);
}

/* ---- storage --------------------------------------------------------------------- */

static int db_fail(sqlite3 *db, const char *path, const char *doing)
{
    cli_error("%s: %s: %s", path, doing, db ? sqlite3_errmsg(db) : "cannot open");
    return CLI_EXIT_IO;
}

/* 1 when sweeps has a model_libs column, 0 when not (a record from before it), -1 when
 * the question fails. */
static int has_model_libs_column(sqlite3 *db)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM pragma_table_info('sweeps')"
                               " WHERE name = 'model_libs'", -1, &s, NULL) != SQLITE_OK)
        return -1;
    int has = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) > 0 : -1;
    sqlite3_finalize(s);
    return has;
}

/* Migration: sweeps stored before the model_libs column get it, NULL (unknown), which
 * never equals a library set, so such a sweep is never resumed under libraries it may
 * not have run with. Additive, as the sweep tables are to schema 1. */
static int add_model_libs_column(sqlite3 *db, const char *path)
{
    int has = has_model_libs_column(db);
    if (has < 0) return db_fail(db, path, "reading the sweeps table's columns");
    if (has == 0 &&
        sqlite3_exec(db, "ALTER TABLE sweeps ADD COLUMN model_libs TEXT", NULL, NULL, NULL) !=
            SQLITE_OK)
        return db_fail(db, path, "adding the sweeps.model_libs column");
    return CLI_EXIT_OK;
}

/* Makes the file a schema-1 record (the recorder creates and checks it), then opens it
 * for the sweep tables. */
static int open_for_writing(const char *path, sqlite3 **db)
{
    struct sim_recorder *rec = NULL;
    struct sim_diag diag;
    if (sim_rec_open(path, &rec, &diag) != SIM_OK) {
        cli_error("%s: %s", path, diag.message);
        return CLI_EXIT_IO;
    }
    sim_rec_close(rec);
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = db_fail(*db, path, "opening");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, 20000);
    sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if (sqlite3_exec(*db, sweep_schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(*db, path, "creating the sweep tables");
    return add_model_libs_column(*db, path);
}

/* The statements that store a sweep, prepared once per connection. */
struct sweep_stmts {
    sqlite3_stmt *ins_sweep, *ins_run, *ins_metric, *ins_full, *ins_incomplete,
        *del_incomplete;
};

static bool prepare_stmts(sqlite3 *db, struct sweep_stmts *st)
{
    memset(st, 0, sizeof *st);
    return sqlite3_prepare_v2(db, "INSERT INTO sweeps(scenario, scenario_path,"
                                  " scenario_text, base_overrides, grid, seeds, point_count,"
                                  " seed_count, shard, program_version, started_at,"
                                  " model_libs) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                              -1, &st->ins_sweep, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "INSERT INTO sweep_runs VALUES (?,?,?,?,?,?,?,?,?)", -1,
                              &st->ins_run, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "INSERT INTO sweep_metrics VALUES (?,?,?,?,?,?,?)", -1,
                              &st->ins_metric, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "INSERT INTO sweep_full_runs VALUES (?,?,?,?)", -1,
                              &st->ins_full, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "INSERT INTO sweep_incomplete VALUES (?)", -1,
                              &st->ins_incomplete, NULL) == SQLITE_OK &&
           sqlite3_prepare_v2(db, "DELETE FROM sweep_incomplete WHERE sweep_id = ?", -1,
                              &st->del_incomplete, NULL) == SQLITE_OK;
}

static void finalize_stmts(struct sweep_stmts *st)
{
    sqlite3_finalize(st->ins_sweep);
    sqlite3_finalize(st->ins_run);
    sqlite3_finalize(st->ins_metric);
    sqlite3_finalize(st->ins_full);
    sqlite3_finalize(st->ins_incomplete);
    sqlite3_finalize(st->del_incomplete);
    memset(st, 0, sizeof *st);
}

/* The sweeps row; inside the caller's transaction. */
static bool insert_sweep(sqlite3 *db, const struct sweep_stmts *st,
                         const struct sweep_spec *spec, const char *shard, int64_t *sweep_id)
{
    char now[32];
    cli_now_iso(now, sizeof now);
    const char *texts[] = {spec->scenario, spec->scenario_path, spec->scenario_text,
                           spec->base_overrides, spec->grid, spec->seeds};
    sqlite3_stmt *s = st->ins_sweep;
    sqlite3_reset(s);
    for (int i = 0; i < 6; i++) sqlite3_bind_text(s, i + 1, texts[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, spec->point_count);
    sqlite3_bind_int64(s, 8, spec->seed_count);
    sqlite3_bind_text(s, 9, shard, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, MURPHY_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 11, now, -1, SQLITE_TRANSIENT);
    if (spec->model_libs) sqlite3_bind_text(s, 12, spec->model_libs, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 12); /* merged from shards stored before the column */
    if (sqlite3_step(s) != SQLITE_DONE) return false;
    *sweep_id = sqlite3_last_insert_rowid(db);
    return true;
}

/* One (point, seed) row with its metrics and, with --full, its run id. */
static bool insert_row(const struct sweep_stmts *st, const struct sweep_spec *spec,
                       int64_t sweep_id, const struct sweep_row *r)
{
    assert(r->point < spec->point_count);
    char hash[20];
    snprintf(hash, sizeof hash, "%016" PRIx64, r->event_hash);
    sqlite3_stmt *s = st->ins_run;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, sweep_id);
    sqlite3_bind_int64(s, 2, r->point);
    sqlite3_bind_int64(s, 3, (int64_t)r->seed);
    sqlite3_bind_text(s, 4, spec->point_overrides[r->point], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 6, (int64_t)r->event_count);
    sqlite3_bind_int64(s, 7, r->end_ns);
    sqlite3_bind_text(s, 8, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, (int64_t)r->violations);
    bool ok = sqlite3_step(s) == SQLITE_DONE;
    if (ok && r->run_id) { /* --full: the run `murphy run` would have recorded */
        s = st->ins_full;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, sweep_id);
        sqlite3_bind_int64(s, 2, r->point);
        sqlite3_bind_int64(s, 3, (int64_t)r->seed);
        sqlite3_bind_int64(s, 4, r->run_id);
        ok = sqlite3_step(s) == SQLITE_DONE;
    }
    for (size_t m = 0; ok && m < r->metric_count; m++) {
        s = st->ins_metric;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, sweep_id);
        sqlite3_bind_int64(s, 2, r->point);
        sqlite3_bind_int64(s, 3, (int64_t)r->seed);
        sqlite3_bind_int64(s, 4, (int64_t)m);
        sqlite3_bind_text(s, 5, r->metrics[m].name, -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 6, r->metrics[m].value);
        sqlite3_bind_text(s, 7, r->metrics[m].unit, -1, SQLITE_STATIC);
        ok = sqlite3_step(s) == SQLITE_DONE;
    }
    return ok;
}

int sweep_store_write(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      const struct sweep_row *rows, size_t row_count, int64_t *sweep_id)
{
    sqlite3 *db = NULL;
    int status = open_for_writing(db_path, &db);
    if (status != CLI_EXIT_OK) {
        sqlite3_close(db);
        return status;
    }
    struct sweep_stmts st;
    bool ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
              prepare_stmts(db, &st) && insert_sweep(db, &st, spec, shard, sweep_id);
    for (size_t i = 0; ok && i < row_count; i++) ok = insert_row(&st, spec, *sweep_id, &rows[i]);
    if (ok) ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) status = db_fail(db, db_path, "storing the sweep");
    finalize_stmts(&st);
    sqlite3_close(db);
    return status;
}

/* ---- storing as the runs come back, and resuming --------------------------------- */

struct sweep_writer {
    const char *db_path;
    const struct sweep_spec *spec;
    const char *shard;
    int64_t sweep_id; /* 0 until the first flush creates the sweeps row */
    sqlite3 *db;      /* opened at the first flush: after the workers are forked */
    struct sweep_stmts st;
    struct sweep_row *pending; /* rows not yet committed (owned, with their metrics) */
    size_t pending_count, pending_cap;
    double flushed_at_s;
};

/* Rows are committed at most this often, so a sweep of many short runs is not one
 * transaction per run; a SIGKILL loses at most this much work. */
#define SWEEP_FLUSH_S 0.5

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sweep_resume_find(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      int64_t *sweep_id, struct sweep_row **rows, size_t *row_count)
{
    *sweep_id = 0;
    *rows = NULL;
    *row_count = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db); /* no file yet: nothing to resume */
        return CLI_EXIT_OK;
    }
    sqlite3_busy_timeout(db, 20000);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_stmt *s = NULL;
    /* no sweep tables (an empty file, or a record of runs only): nothing to resume */
    if (sqlite3_prepare_v2(db, "SELECT s.id FROM sweeps s JOIN sweep_incomplete i"
                               " ON i.sweep_id = s.id WHERE s.scenario_text = ?1"
                               " AND s.base_overrides = ?2 AND s.grid = ?3 AND s.seeds = ?4"
                               " AND s.shard = ?5 AND s.program_version = ?6"
                               " AND s.point_count = ?7 AND s.seed_count = ?8"
                               " AND s.model_libs = ?9"
                               " ORDER BY s.id DESC LIMIT 1", -1, &s, NULL) == SQLITE_OK) {
        /* a record without sweeps.model_libs fails to prepare: nothing to resume */
        assert(spec->model_libs);
        const char *texts[] = {spec->scenario_text, spec->base_overrides, spec->grid,
                               spec->seeds, shard, MURPHY_VERSION, spec->model_libs};
        for (int i = 0; i < 6; i++) sqlite3_bind_text(s, i + 1, texts[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 9, texts[6], -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 7, spec->point_count);
        sqlite3_bind_int64(s, 8, spec->seed_count);
        if (sqlite3_step(s) == SQLITE_ROW) *sweep_id = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (!*sweep_id) return CLI_EXIT_OK;
    struct sweep_spec stored;
    int status = sweep_store_read(db_path, *sweep_id, &stored, rows, row_count);
    if (status == CLI_EXIT_OK) sweep_spec_free(&stored);
    return status;
}

int sweep_writer_open(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      int64_t resumed_id, struct sweep_writer **out)
{
    struct sweep_writer *w = calloc(1, sizeof *w);
    if (!w) {
        cli_error("%s: out of memory", db_path);
        return CLI_EXIT_IO;
    }
    w->db_path = db_path;
    w->spec = spec;
    w->shard = shard;
    w->sweep_id = resumed_id;
    w->flushed_at_s = mono_s();
    *out = w;
    return CLI_EXIT_OK;
}

/* Commits the pending rows (creating the sweeps row first if need be); with is_complete,
 * in the same transaction, the sweep stops being resumable. */
static int flush(struct sweep_writer *w, bool is_complete)
{
    if (!w->db) {
        int status = open_for_writing(w->db_path, &w->db);
        if (status == CLI_EXIT_OK && !prepare_stmts(w->db, &w->st))
            status = db_fail(w->db, w->db_path, "preparing the sweep statements");
        if (status != CLI_EXIT_OK) {
            finalize_stmts(&w->st);
            sqlite3_close(w->db);
            w->db = NULL;
            return status;
        }
    }
    bool ok = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (ok && !w->sweep_id) {
        ok = insert_sweep(w->db, &w->st, w->spec, w->shard, &w->sweep_id);
        sqlite3_reset(w->st.ins_incomplete);
        sqlite3_bind_int64(w->st.ins_incomplete, 1, w->sweep_id);
        ok = ok && sqlite3_step(w->st.ins_incomplete) == SQLITE_DONE;
    }
    for (size_t i = 0; ok && i < w->pending_count; i++)
        ok = insert_row(&w->st, w->spec, w->sweep_id, &w->pending[i]);
    if (ok && is_complete) {
        sqlite3_reset(w->st.del_incomplete);
        sqlite3_bind_int64(w->st.del_incomplete, 1, w->sweep_id);
        ok = sqlite3_step(w->st.del_incomplete) == SQLITE_DONE;
    }
    if (ok) ok = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) {
        int status = db_fail(w->db, w->db_path, "storing the sweep");
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
        return status;
    }
    for (size_t i = 0; i < w->pending_count; i++) free(w->pending[i].metrics);
    w->pending_count = 0;
    w->flushed_at_s = mono_s();
    return CLI_EXIT_OK;
}

int sweep_writer_add(struct sweep_writer *w, struct sweep_row *row)
{
    if (w->pending_count == w->pending_cap) {
        size_t cap = w->pending_cap ? w->pending_cap * 2 : 64;
        struct sweep_row *grown = realloc(w->pending, cap * sizeof *grown);
        if (!grown) {
            cli_error("%s: out of memory", w->db_path);
            return CLI_EXIT_IO;
        }
        w->pending = grown;
        w->pending_cap = cap;
    }
    w->pending[w->pending_count++] = *row; /* the metrics move here */
    row->metrics = NULL;
    row->metric_count = 0;
    if (mono_s() - w->flushed_at_s < SWEEP_FLUSH_S) return CLI_EXIT_OK;
    return flush(w, false);
}

int sweep_writer_finish(struct sweep_writer *w, bool is_complete, int64_t *sweep_id)
{
    int status = CLI_EXIT_OK;
    if (w->pending_count || is_complete || !w->sweep_id) status = flush(w, is_complete);
    *sweep_id = w->sweep_id;
    return status;
}

void sweep_writer_close(struct sweep_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->pending_count; i++) free(w->pending[i].metrics);
    free(w->pending);
    finalize_stmts(&w->st);
    sqlite3_close(w->db);
    free(w);
}

static char *column_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return strdup(t ? (const char *)t : "");
}

/* Copies a text column into a fixed buffer; false when it does not fit. */
static bool column_copy(sqlite3_stmt *s, int col, char *out, size_t out_bytes)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    if (!t || strlen((const char *)t) >= out_bytes) return false;
    memcpy(out, t, strlen((const char *)t) + 1);
    return true;
}

int sweep_store_read(const char *db_path, int64_t sweep_id, struct sweep_spec *spec,
                     struct sweep_row **rows_out, size_t *row_count_out)
{
    memset(spec, 0, sizeof *spec);
    *rows_out = NULL;
    *row_count_out = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        int rc = db_fail(db, db_path, "opening");
        sqlite3_close(db);
        return rc;
    }
    sqlite3_busy_timeout(db, 20000);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    int status = CLI_EXIT_OK;
    sqlite3_stmt *s = NULL;
    int64_t id = 0;
    /* a record from before sweeps.model_libs (opened read-only: not migrated) reads NULL */
    bool has_libs = has_model_libs_column(db) == 1;
    if (sqlite3_prepare_v2(db, has_libs ? "SELECT id, scenario, scenario_path, scenario_text,"
                               " base_overrides, grid, seeds, point_count, seed_count,"
                               " model_libs FROM sweeps WHERE ?1 = 0 OR id = ?1"
                               " ORDER BY id DESC LIMIT 1"
                               : "SELECT id, scenario, scenario_path, scenario_text,"
                               " base_overrides, grid, seeds, point_count, seed_count,"
                               " NULL FROM sweeps WHERE ?1 = 0 OR id = ?1"
                               " ORDER BY id DESC LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        cli_error("%s: no sweeps in it (%s)", db_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return CLI_EXIT_USAGE;
    }
    sqlite3_bind_int64(s, 1, sweep_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        if (sweep_id) cli_error("%s: no sweep %" PRId64 " in it", db_path, sweep_id);
        else cli_error("%s: no sweeps in it", db_path);
        status = CLI_EXIT_USAGE;
    } else {
        id = sqlite3_column_int64(s, 0);
        spec->id = id;
        spec->scenario = column_dup(s, 1);
        spec->scenario_path = column_dup(s, 2);
        spec->scenario_text = column_dup(s, 3);
        spec->base_overrides = column_dup(s, 4);
        spec->grid = column_dup(s, 5);
        spec->seeds = column_dup(s, 6);
        if (sqlite3_column_type(s, 9) != SQLITE_NULL) spec->model_libs = column_dup(s, 9);
        int64_t points = sqlite3_column_int64(s, 7), seeds = sqlite3_column_int64(s, 8);
        if (points < 1 || points > UINT32_MAX || seeds < 1 || seeds > UINT32_MAX) {
            cli_error("%s: sweep %" PRId64 " has a bad grid size", db_path, id);
            status = CLI_EXIT_IO;
        } else {
            spec->point_count = (uint32_t)points;
            spec->seed_count = (uint32_t)seeds;
            spec->point_overrides = calloc(spec->point_count, sizeof *spec->point_overrides);
            if (!spec->point_overrides) status = CLI_EXIT_IO;
        }
    }
    sqlite3_finalize(s);
    s = NULL;
    size_t count = 0, cap = 0;
    struct sweep_row *rows = NULL;
    if (status == CLI_EXIT_OK &&
        sqlite3_prepare_v2(db, "SELECT point, seed, overrides, event_hash, event_count, end_ns,"
                               " status, violations FROM sweep_runs WHERE sweep_id=?"
                               " ORDER BY point, seed", -1, &s, NULL) != SQLITE_OK)
        status = db_fail(db, db_path, "reading sweep_runs");
    if (s) sqlite3_bind_int64(s, 1, id);
    while (status == CLI_EXIT_OK && sqlite3_step(s) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            struct sweep_row *grown = realloc(rows, cap * sizeof *rows);
            if (!grown) { status = CLI_EXIT_IO; break; }
            rows = grown;
        }
        struct sweep_row *r = &rows[count];
        memset(r, 0, sizeof *r);
        int64_t point = sqlite3_column_int64(s, 0);
        const char *hash = (const char *)sqlite3_column_text(s, 3);
        char *end = NULL;
        if (point < 0 || point >= spec->point_count || !hash ||
            !column_copy(s, 6, r->status, sizeof r->status)) {
            cli_error("%s: sweep %" PRId64 " has a malformed row", db_path, id);
            status = CLI_EXIT_IO;
            break;
        }
        r->point = (uint32_t)point;
        r->seed = (uint64_t)sqlite3_column_int64(s, 1);
        r->event_hash = strtoull(hash, &end, 16);
        r->event_count = (uint64_t)sqlite3_column_int64(s, 4);
        r->end_ns = sqlite3_column_int64(s, 5);
        r->violations = (uint64_t)sqlite3_column_int64(s, 7);
        if (!spec->point_overrides[r->point]) spec->point_overrides[r->point] = column_dup(s, 2);
        count++;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (status == CLI_EXIT_OK &&
        sqlite3_prepare_v2(db, "SELECT point, seed, name, value, unit FROM sweep_metrics"
                               " WHERE sweep_id=? ORDER BY point, seed, ord", -1, &s, NULL) !=
            SQLITE_OK)
        status = db_fail(db, db_path, "reading sweep_metrics");
    if (s) sqlite3_bind_int64(s, 1, id);
    size_t at = 0; /* both queries walk (point, seed) in order */
    while (status == CLI_EXIT_OK && sqlite3_step(s) == SQLITE_ROW) {
        uint32_t point = (uint32_t)sqlite3_column_int64(s, 0);
        uint64_t seed = (uint64_t)sqlite3_column_int64(s, 1);
        while (at < count && (rows[at].point < point ||
                              (rows[at].point == point && rows[at].seed < seed)))
            at++;
        if (at == count || rows[at].point != point || rows[at].seed != seed) continue;
        struct sweep_row *r = &rows[at];
        struct sweep_metric *grown = realloc(r->metrics, (r->metric_count + 1) * sizeof *grown);
        if (!grown) { status = CLI_EXIT_IO; break; }
        r->metrics = grown;
        struct sweep_metric *m = &r->metrics[r->metric_count++];
        if (!column_copy(s, 2, m->name, sizeof m->name) ||
            !column_copy(s, 4, m->unit, sizeof m->unit)) {
            cli_error("%s: sweep %" PRId64 " has a malformed metric", db_path, id);
            status = CLI_EXIT_IO;
        }
        m->value = sqlite3_column_double(s, 3);
    }
    sqlite3_finalize(s);
    s = NULL;
    /* older records have no sweep_incomplete table: their sweeps were all finished */
    spec->is_complete = true;
    if (status == CLI_EXIT_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sweep_incomplete WHERE sweep_id = ?", -1,
                           &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, id);
        spec->is_complete = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) == 0;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    for (uint32_t p = 0; status == CLI_EXIT_OK && p < spec->point_count; p++)
        if (!spec->point_overrides[p] && !(spec->point_overrides[p] = strdup("")))
            status = CLI_EXIT_IO;
    if (status != CLI_EXIT_OK) {
        sweep_rows_free(rows, count);
        sweep_spec_free(spec);
        return status;
    }
    *rows_out = rows;
    *row_count_out = count;
    return CLI_EXIT_OK;
}

/* ---- the table ------------------------------------------------------------------- */

/* One metric over the seeds of one point. */
struct agg {
    const char *name;
    const char *unit;
    size_t n;
    double sum, min, max;
};

/* The metrics of rows[from, to) (one point) in the order they first appear. Returns the
 * count; aggs must hold sum of metric_count entries. */
static size_t aggregate(const struct sweep_row *rows, size_t from, size_t to, struct agg *aggs)
{
    size_t count = 0;
    for (size_t i = from; i < to; i++)
        for (size_t m = 0; m < rows[i].metric_count; m++) {
            const struct sweep_metric *x = &rows[i].metrics[m];
            size_t a = 0;
            while (a < count && strcmp(aggs[a].name, x->name) != 0) a++;
            if (a == count) aggs[count++] = (struct agg){x->name, x->unit, 0, 0, x->value, x->value};
            aggs[a].n++;
            aggs[a].sum += x->value; /* in seed order: the same sum however it was sharded */
            if (x->value < aggs[a].min) aggs[a].min = x->value;
            if (x->value > aggs[a].max) aggs[a].max = x->value;
        }
    return count;
}

static size_t max_metrics(const struct sweep_row *rows, size_t row_count)
{
    size_t total = 0;
    for (size_t i = 0; i < row_count; i++) total += rows[i].metric_count;
    return total ? total : 1;
}

/* The point's settings on one line ("k=v  k=v"). */
static void settings_line(const char *overrides, char *out, size_t out_bytes)
{
    snprintf(out, out_bytes, "%s", overrides);
    for (char *p = out; *p; p++)
        if (*p == '\n') *p = ' ';
    size_t len = strlen(out);
    while (len && out[len - 1] == ' ') out[--len] = '\0';
}

static void point_counts(const struct sweep_row *rows, size_t from, size_t to,
                         uint64_t *violated_runs, uint64_t *incomplete_runs)
{
    *violated_runs = *incomplete_runs = 0;
    for (size_t i = from; i < to; i++) {
        if (rows[i].violations) ++*violated_runs;
        if (strcmp(rows[i].status, "incomplete") == 0) ++*incomplete_runs;
    }
}

void sweep_print_table(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                       size_t row_count)
{
    struct agg *aggs = malloc(max_metrics(rows, row_count) * sizeof *aggs);
    if (!aggs) return;
    for (size_t from = 0; from < row_count;) {
        size_t to = from;
        while (to < row_count && rows[to].point == rows[from].point) to++;
        char settings[1024], safe[4096];
        settings_line(spec->point_overrides[rows[from].point], settings, sizeof settings);
        uint64_t violated, incomplete;
        point_counts(rows, from, to, &violated, &incomplete);
        fprintf(out, "point %" PRIu32 "  %s\n  %zu runs, %" PRIu64 " violated, %" PRIu64
                     " incomplete\n",
                rows[from].point, cli_safe(settings, safe, sizeof safe), to - from, violated,
                incomplete);
        size_t n = aggregate(rows, from, to, aggs);
        if (n) fprintf(out, "  %-34s %12s %12s %12s  %s\n", "metric", "mean", "min", "max", "unit");
        for (size_t a = 0; a < n; a++) {
            char name[256], unit[128];
            fprintf(out, "  %-34s %12.6g %12.6g %12.6g  %s%s\n",
                    cli_safe(aggs[a].name, name, sizeof name), aggs[a].sum / (double)aggs[a].n,
                    aggs[a].min, aggs[a].max, cli_safe(aggs[a].unit, unit, sizeof unit),
                    aggs[a].n < (size_t)(to - from) ? "  (not every seed)" : "");
        }
        from = to;
    }
    free(aggs);
}

/* A CSV field, quoted when it needs to be. */
static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

int sweep_write_csv(const char *path, const struct sweep_spec *spec,
                    const struct sweep_row *rows, size_t row_count)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("--csv %s: cannot write it", path);
        return CLI_EXIT_IO;
    }
    struct agg *aggs = malloc(max_metrics(rows, row_count) * sizeof *aggs);
    if (!aggs) {
        fclose(f);
        return CLI_EXIT_IO;
    }
    fputs("point,settings,runs,violated_runs,metric,unit,seeds,mean,min,max\n", f);
    for (size_t from = 0; from < row_count;) {
        size_t to = from;
        while (to < row_count && rows[to].point == rows[from].point) to++;
        char settings[1024];
        settings_line(spec->point_overrides[rows[from].point], settings, sizeof settings);
        uint64_t violated, incomplete;
        point_counts(rows, from, to, &violated, &incomplete);
        size_t n = aggregate(rows, from, to, aggs);
        for (size_t a = 0; a < n; a++) {
            fprintf(f, "%" PRIu32 ",", rows[from].point);
            csv_field(f, settings);
            fprintf(f, ",%zu,%" PRIu64 ",", to - from, violated);
            csv_field(f, aggs[a].name);
            fputc(',', f);
            csv_field(f, aggs[a].unit);
            fprintf(f, ",%zu,%.17g,%.17g,%.17g\n", aggs[a].n, aggs[a].sum / (double)aggs[a].n,
                    aggs[a].min, aggs[a].max);
        }
        from = to;
    }
    free(aggs);
    if (fclose(f) != 0) {
        cli_error("--csv %s: write failed", path);
        return CLI_EXIT_IO;
    }
    return CLI_EXIT_OK;
}

/* Splits a copy of "a\nb\n" into lines appended to list. */
static size_t split_lines(char *text, char **list, size_t at, size_t cap)
{
    for (char *line = text; line && *line && at < cap;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        list[at++] = line;
        line = nl ? nl + 1 : NULL;
    }
    return at;
}

void sweep_print_rerun(FILE *out, const struct sweep_spec *spec, const struct sweep_row *row)
{
    char *base = strdup(spec->base_overrides);
    char *point = strdup(spec->point_overrides[row->point]);
    char *list[512];
    size_t n = 0;
    if (base && point) {
        n = split_lines(base, list, 0, 512);
        n = split_lines(point, list, n, 512);
        cli_print_reproduce(out, spec->scenario_path, row->seed, list, n, NULL, UINT64_MAX);
    }
    free(base);
    free(point);
}

void sweep_print_worst(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                       size_t row_count)
{
    size_t worst_from = row_count;
    uint64_t worst_violated = 0;
    for (size_t from = 0; from < row_count;) {
        size_t to = from;
        while (to < row_count && rows[to].point == rows[from].point) to++;
        uint64_t violated, incomplete;
        point_counts(rows, from, to, &violated, &incomplete);
        if (violated > worst_violated) {
            worst_violated = violated;
            worst_from = from;
        }
        from = to;
    }
    if (worst_from == row_count) {
        fputs("worst: no run violated an invariant\n", out);
        return;
    }
    size_t i = worst_from;
    while (!rows[i].violations) i++;
    fprintf(out, "worst: point %" PRIu32 " (%" PRIu64 " runs violated); its seed %" PRIu64
                 ":\n", rows[i].point, worst_violated, rows[i].seed);
    sweep_print_rerun(out, spec, &rows[i]);
}
