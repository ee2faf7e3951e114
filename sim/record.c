/* sim/record.c - the SQLite recorder; see record.h for the guarantees. The only file of
 * the kernel that knows SQLite. Every value reaches SQLite through a bound parameter;
 * the only SQL text built at run time is the multi-row INSERT's list of placeholders. */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#include <threads.h>

#include "assert.h"
#include "dist.h"
#include "event.h"
#include "murphy/node.h"
#include "u64map.h"

#define EVENT_COLUMNS 12
#define ROWS_PER_INSERT 64 /* 768 parameters: under SQLite's limit, large enough to pay */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, scenario TEXT NOT NULL,"
    " scenario_path TEXT NOT NULL, scenario_text TEXT NOT NULL, overrides TEXT NOT NULL,"
    " seed INTEGER NOT NULL, duration_ns INTEGER NOT NULL, max_events INTEGER NOT NULL,"
    " model_libs TEXT NOT NULL, program_version TEXT NOT NULL, schema_version INTEGER NOT NULL,"
    " hash_format INTEGER NOT NULL, gsl_version TEXT, sqlite_version TEXT, glibc_version TEXT,"
    " platform TEXT, host TEXT, pid INTEGER, started_at TEXT, status TEXT NOT NULL,"
    " end_reason TEXT, ended_at TEXT, end_ns INTEGER, event_count INTEGER, event_hash TEXT,"
    " first_event_rowid INTEGER, last_event_rowid INTEGER, violation_count INTEGER,"
    " clamp_count INTEGER);"
    "CREATE TABLE IF NOT EXISTS run_overrides(run_id INTEGER NOT NULL,"
    " position INTEGER NOT NULL, text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS nodes(run_id INTEGER NOT NULL, node INTEGER NOT NULL,"
    " name TEXT NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL, clock_offset_ns INTEGER,"
    " clock_drift_ppb INTEGER, inbox_max INTEGER);"
    "CREATE TABLE IF NOT EXISTS links(run_id INTEGER NOT NULL, rule INTEGER NOT NULL,"
    " name TEXT NOT NULL, both_ways INTEGER NOT NULL, delay TEXT, loss_ppb INTEGER,"
    " duplicate_ppb INTEGER, corrupt_ppb INTEGER, reorder_ppb INTEGER, reorder_delay_ns INTEGER,"
    " bandwidth_bps INTEGER, queue_max INTEGER, keys_set INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS faults(run_id INTEGER NOT NULL, fault INTEGER NOT NULL,"
    " name TEXT NOT NULL, at_ns INTEGER NOT NULL, action TEXT NOT NULL, text TEXT NOT NULL,"
    " line INTEGER);"
    "CREATE TABLE IF NOT EXISTS events(run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " time_ns INTEGER NOT NULL, node INTEGER, kind TEXT NOT NULL, peer INTEGER,"
    " obj_id INTEGER NOT NULL, ref_id INTEGER NOT NULL, detail TEXT, arg INTEGER NOT NULL,"
    " mono_ns INTEGER, wall_ns INTEGER);"
    "CREATE TABLE IF NOT EXISTS ops(run_id INTEGER NOT NULL, op_id INTEGER NOT NULL,"
    " node INTEGER NOT NULL, process INTEGER NOT NULL, f TEXT NOT NULL, key TEXT, value TEXT,"
    " invoke_ns INTEGER NOT NULL, complete_ns INTEGER, invoke_mono_ns INTEGER,"
    " complete_mono_ns INTEGER, type TEXT NOT NULL, result TEXT, invoke_seq INTEGER NOT NULL,"
    " complete_seq INTEGER);"
    "CREATE TABLE IF NOT EXISTS metrics(run_id INTEGER NOT NULL, name TEXT NOT NULL,"
    " value REAL, unit TEXT);"
    "CREATE TABLE IF NOT EXISTS violations(run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " node INTEGER, time_ns INTEGER NOT NULL, source TEXT NOT NULL, text TEXT);"
    "CREATE TABLE IF NOT EXISTS annotations(run_id INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " node INTEGER, kind TEXT NOT NULL, text TEXT);";

struct pending_op {
    uint32_t node;
    uint64_t process;
    char *f, *key, *value;
    int64_t invoke_ns, invoke_mono_ns;
    uint64_t invoke_seq;
};

/* What the loop hands the writer thread: events (with their texts), annotations and
 * metrics, in the order they happened. Texts live in the chunk's arena. */
enum item_type { ITEM_EVENT, ITEM_ANNOTATION, ITEM_METRIC, ITEM_VIOLATION };
#define TEXT_NONE UINT32_MAX
struct item {
    struct sim_event ev;      /* ITEM_EVENT; for annotations only seq and node are used */
    enum item_type type;
    uint32_t text_at[3];      /* offsets into the arena, TEXT_NONE for NULL */
    double value;             /* ITEM_METRIC */
};

#define CHUNK_ITEMS 4096
/* Bounds the memory between loop and writer (~460 KiB a chunk). A COMMIT or a WAL
 * checkpoint stalls the writer for longer than a few chunks of loop time; 32 absorb
 * that (bench/README.md: with 4 the loop waited ~1 s per 5 M events). */
#define CHUNKS_IN_FLIGHT 32

#define CHUNK_ARENA_BYTES (64u * 1024u) /* texts of a chunk; grows for long texts only */

struct chunk {
    struct item items[CHUNK_ITEMS];
    size_t item_count;
    char *arena;
    size_t arena_used, arena_cap;
};

struct sim_recorder {
    /* --- shared between the loop and the writer thread, under `lock` --- */
    mtx_t lock;
    cnd_t changed;
    struct chunk *full[CHUNKS_IN_FLIGHT]; /* FIFO of chunks for the writer */
    size_t full_head, full_count;
    struct chunk *spare[CHUNKS_IN_FLIGHT + 1];
    size_t spare_count;
    bool is_writer_busy;
    bool is_stopping;
    thrd_t writer;
    bool has_writer;
    struct chunk *filling;    /* the loop's chunk; only the loop touches it */
    /* --- the writer's (or, while the writer is idle, the caller's) --- */
    sqlite3 *db;
    sqlite3_stmt *insert_many;  /* ROWS_PER_INSERT rows */
    sqlite3_stmt *insert_one;
    sqlite3_stmt *insert_op;
    sqlite3_stmt *insert_annotation;
    sqlite3_stmt *insert_violation;
    sqlite3_stmt *insert_metric;
    int64_t run_id;             /* 0 when no run is open */
    struct sim_event batch[ROWS_PER_INSERT];
    int batch_count;
    uint64_t rows_since_commit;
    bool in_tx;               /* a write transaction is open (the write lock is held) */
    int64_t first_rowid, last_rowid;
    struct sim_u64map open_ops; /* op id -> struct pending_op */
    bool has_failed;          /* the writer's (or, while it is idle, the caller's) */
    bool has_bind_failed;     /* a text could not be copied into a statement (no memory) */
    struct sim_diag error;
    bool has_loop_failed;     /* the loop thread could not copy a text (out of memory) */
};

static bool fail(struct sim_recorder *rec, const char *what)
{
    if (!rec->has_failed) {
        rec->has_failed = true;
        sim_diag_set(&rec->error, SIM_EDB, NULL, 0, 0, "%s: %s", what,
                     rec->has_bind_failed ? "out of memory (binding a value)"
                                          : sqlite3_errmsg(rec->db));
    }
    return false;
}

/* A failure that is not SQLite's (its message would read "not an error"). */
static bool fail_not_sqlite(struct sim_recorder *rec, const char *what)
{
    if (!rec->has_failed) {
        rec->has_failed = true;
        sim_diag_set(&rec->error, SIM_EDB, NULL, 0, 0, "%s", what);
    }
    return false;
}

static int start_writer(struct sim_recorder *rec);

static bool exec(struct sim_recorder *rec, const char *sql)
{
    if (rec->has_failed) return false;
    return sqlite3_exec(rec->db, sql, NULL, NULL, NULL) == SQLITE_OK || fail(rec, sql);
}

static bool prepare(struct sim_recorder *rec, const char *sql, sqlite3_stmt **stmt)
{
    return sqlite3_prepare_v3(rec->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL) ==
               SQLITE_OK ||
           fail(rec, "preparing a statement");
}

/* Opens a write transaction if none is: writes take the database's write lock only while
 * they are being written, so several runs can record into one database at once. */
static void begin_if_needed(struct sim_recorder *rec)
{
    if (rec->in_tx || rec->has_failed) return;
    if (exec(rec, "BEGIN IMMEDIATE")) rec->in_tx = true;
}

static void commit_now(struct sim_recorder *rec)
{
    if (!rec->in_tx) return;
    exec(rec, "COMMIT");
    rec->in_tx = false;
    rec->rows_since_commit = 0;
}

/* Runs a bound statement to completion and resets it. */
static bool step(struct sim_recorder *rec, sqlite3_stmt *stmt, const char *what)
{
    begin_if_needed(rec);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    /* a row written with a NULL where a text failed to bind is a loss, not a success */
    return (rc == SQLITE_DONE && !rec->has_bind_failed) || fail(rec, what);
}

/* As step, for the event inserts: bind_event sets every parameter of every row, so the
 * bindings need no clearing (a measurable cost per row). */
static bool step_events(struct sim_recorder *rec, sqlite3_stmt *stmt)
{
    begin_if_needed(rec);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE || fail(rec, "inserting events");
}

static bool prepare_all(struct sim_recorder *rec)
{
    char sql[ROWS_PER_INSERT * 32 + 64];
    size_t used = (size_t)snprintf(sql, sizeof sql, "INSERT INTO events VALUES ");
    for (int r = 0; r < ROWS_PER_INSERT; r++)
        used += (size_t)snprintf(sql + used, sizeof sql - used, "%s(?,?,?,?,?,?,?,?,?,?,?,?)",
                                 r ? "," : "");
    SIM_ASSERT(used < sizeof sql);
    return prepare(rec, sql, &rec->insert_many) &&
           prepare(rec, "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &rec->insert_one) &&
           prepare(rec, "INSERT INTO ops VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   &rec->insert_op) &&
           prepare(rec, "INSERT INTO annotations VALUES (?,?,?,?,?)", &rec->insert_annotation) &&
           prepare(rec, "INSERT INTO violations VALUES (?,?,?,?,?,?)", &rec->insert_violation) &&
           prepare(rec, "INSERT INTO metrics VALUES (?,?,?,?)", &rec->insert_metric);
}

/* A database of another schema version is never appended to. */
static bool check_version(struct sim_recorder *rec)
{
    sqlite3_stmt *s = NULL;
    if (!prepare(rec, "SELECT value FROM meta WHERE key='schema_version'", &s)) return false;
    int rc = sqlite3_step(s);
    const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
    /* no row and no text are answers; a step or a text that failed is not one */
    if ((rc != SQLITE_ROW && rc != SQLITE_DONE) ||
        (!v && sqlite3_errcode(rec->db) == SQLITE_NOMEM)) {
        sqlite3_finalize(s);
        return fail(rec, "reading the schema version");
    }
    bool is_ours = v && strcmp((const char *)v, "1") == 0;
    sqlite3_finalize(s);
    if (!is_ours && !rec->has_failed) {
        rec->has_failed = true;
        sim_diag_set(&rec->error, SIM_EDB, NULL, 0, 0,
                     "not a murphy record of schema version 1; refusing to append to it");
    }
    return is_ours;
}

/* Page size, WAL and the schema. Several writers may create the same database at once:
 * switching to WAL needs the database to itself and does not wait on the busy timeout,
 * so a busy or locked answer there is retried (for up to ~20 s) rather than final. The
 * steps from BEGIN IMMEDIATE on do wait the busy timeout: busy there means another
 * writer held the database all that time: final (a retry would cost the whole timeout
 * again: 400 of them would be over an hour). */
static bool setup_database(struct sim_recorder *rec)
{
    static const char *const steps[] = {
        /* 64 KiB pages (set before the file has any): fewer, larger page writes for an
         * append-mostly table */
        "PRAGMA page_size=65536", "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
        "BEGIN IMMEDIATE", schema_sql,
        "INSERT OR IGNORE INTO meta VALUES ('schema_version', '1')", "COMMIT",
    };
    enum { FIRST_WAITING_STEP = 3, PRAGMA_ATTEMPTS_MAX = 400, WAITING_ATTEMPTS_MAX = 0 };
    int waiting_attempts = 0;
    for (int attempt = 0;; attempt++) {
        int rc = SQLITE_OK;
        size_t i = 0;
        for (; i < sizeof steps / sizeof steps[0] && rc == SQLITE_OK; i++)
            rc = sqlite3_exec(rec->db, steps[i], NULL, NULL, NULL);
        if (rc == SQLITE_OK) return check_version(rec);
        int primary = rc & 0xff;
        bool has_waited = i - 1 >= FIRST_WAITING_STEP;
        if (has_waited) waiting_attempts++;
        if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
            attempt == PRAGMA_ATTEMPTS_MAX || waiting_attempts > WAITING_ATTEMPTS_MAX)
            return fail(rec, "setting up the database");
        sqlite3_exec(rec->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_sleep(50);
    }
}

int sim_rec_open(const char *path, struct sim_recorder **out, struct sim_diag *diag)
{
    return sim_rec_open_limited(path, 0, out, diag);
}

/* PRAGMA max_page_count on the connection (before the writer thread uses it). */
static bool limit_pages(struct sim_recorder *rec, uint64_t max_pages)
{
    if (!max_pages) return true;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count=%" PRIu64, max_pages);
    return sqlite3_exec(rec->db, sql, NULL, NULL, NULL) == SQLITE_OK ||
           fail(rec, "limiting the database's size");
}

int sim_rec_open_limited(const char *path, uint64_t max_pages, struct sim_recorder **out,
                         struct sim_diag *diag)
{
    *out = NULL;
    struct sim_recorder *rec = calloc(1, sizeof *rec);
    if (!rec) return sim_diag_set(diag, SIM_ENOMEM, path, 0, 0, "out of memory");
    /* NOMUTEX: the connection is only ever used by one thread at a time, and SQLite's
     * per-call mutex otherwise costs ~8% of a recorded run. */
    int rc = sqlite3_open_v2(path, &rec->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        sim_diag_set(diag, SIM_EDB, path, 0, 0, "cannot open the database: %s",
                     rec->db ? sqlite3_errmsg(rec->db) : sqlite3_errstr(rc));
        sqlite3_close(rec->db);
        free(rec);
        return SIM_EDB;
    }
    sqlite3_busy_timeout(rec->db, 10000);
    sqlite3_extended_result_codes(rec->db, 1);
    /* a database from elsewhere may carry triggers or views: none runs as us */
    sqlite3_db_config(rec->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(rec->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(rec->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
    bool ok = setup_database(rec) && limit_pages(rec, max_pages) && prepare_all(rec) &&
              (start_writer(rec) == 0 || fail_not_sqlite(rec, "cannot start the writer thread:"
                                                         " out of memory or threads"));
    if (!ok) {
        sim_diag_set(diag, SIM_EDB, path, 0, 0, "%s", rec->error.message);
        sim_rec_close(rec);
        return SIM_EDB;
    }
    *out = rec;
    return SIM_OK;
}

/* --- runs ------------------------------------------------------------------------------------- */

/* Appends s as a JSON string (quotes, backslashes and control characters escaped). */
static size_t json_string(char *out, size_t cap, size_t used, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (used < cap) out[used] = '"';
    used++;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[7] = {0};
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; }
        else if (*p < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
        } else esc[0] = (char)*p;
        for (char *e = esc; *e; e++, used++)
            if (used < cap) out[used] = *e;
    }
    if (used < cap) out[used] = '"';
    return used + 1;
}

/* The overrides as a JSON array of strings; caller frees. */
static char *overrides_json(const struct sim_scenario *scn)
{
    size_t cap = 3;
    for (size_t i = 0; i < scn->override_count; i++) cap += 6 * strlen(scn->overrides[i]) + 3;
    char *out = malloc(cap);
    if (!out) return NULL;
    size_t used = 0;
    out[used++] = '[';
    for (size_t i = 0; i < scn->override_count; i++) {
        if (i) out[used++] = ',';
        used = json_string(out, cap, used, scn->overrides[i]);
    }
    out[used++] = ']';
    out[used] = '\0';
    SIM_ASSERT(used < cap);
    return out;
}

/* A text copied into the statement. When SQLite has no memory for the copy it binds NULL,
 * and the step then fails on a NOT NULL column: noted, so the error says why. */
static void bind_text(struct sim_recorder *rec, sqlite3_stmt *s, int i, const char *text)
{
    if (!text) sqlite3_bind_null(s, i);
    else if (sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT) == SQLITE_NOMEM)
        rec->has_bind_failed = true;
}

static bool insert_run_row(struct sim_recorder *rec, const struct sim_scenario *scn,
                           uint64_t seed, const struct sim_run_meta *meta)
{
    sqlite3_stmt *s = NULL;
    if (!prepare(rec, "INSERT INTO runs(scenario, scenario_path, scenario_text, overrides, seed,"
                 " duration_ns, max_events, model_libs, program_version, schema_version,"
                 " hash_format, gsl_version, sqlite_version, glibc_version, platform, host, pid,"
                 " started_at, status) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'running')", &s))
        return false;
    char *overrides = overrides_json(scn);
    bind_text(rec, s, 1, scn->name);
    bind_text(rec, s, 2, scn->path);
    if (sqlite3_bind_text(s, 3, scn->text, (int)scn->text_bytes, SQLITE_TRANSIENT) ==
        SQLITE_NOMEM)
        rec->has_bind_failed = true;
    bind_text(rec, s, 4, overrides ? overrides : "[]");
    sqlite3_bind_int64(s, 5, (sqlite3_int64)seed);
    sqlite3_bind_int64(s, 6, scn->duration_ns);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)scn->max_events);
    bind_text(rec, s, 8, meta->model_libs ? meta->model_libs : "");
    bind_text(rec, s, 9, meta->program_version);
    sqlite3_bind_int(s, 10, SIM_RECORD_SCHEMA_VERSION);
    sqlite3_bind_int(s, 11, SIM_HASH_FORMAT_VERSION);
    bind_text(rec, s, 12, meta->gsl_version);
    bind_text(rec, s, 13, sqlite3_libversion());
    bind_text(rec, s, 14, meta->glibc_version);
    bind_text(rec, s, 15, meta->platform);
    bind_text(rec, s, 16, meta->host);
    sqlite3_bind_int64(s, 17, meta->pid);
    bind_text(rec, s, 18, meta->started_at);
    bool ok = step(rec, s, "inserting the run");
    free(overrides);
    sqlite3_finalize(s);
    if (!ok) return false;
    rec->run_id = sqlite3_last_insert_rowid(rec->db);
    /* the overrides again one per row, exactly as given, for replay */
    if (!prepare(rec, "INSERT INTO run_overrides VALUES (?,?,?)", &s)) return false;
    for (size_t i = 0; ok && i < scn->override_count; i++) {
        sqlite3_bind_int64(s, 1, rec->run_id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        bind_text(rec, s, 3, scn->overrides[i]);
        ok = step(rec, s, "inserting overrides");
    }
    sqlite3_finalize(s);
    return ok;
}

static bool insert_nodes(struct sim_recorder *rec, const struct sim_scenario *scn)
{
    sqlite3_stmt *s = NULL;
    if (!prepare(rec, "INSERT INTO nodes VALUES (?,?,?,?,?,?,?,?)", &s)) return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < scn->node_count; i++) {
        const struct sim_group *g = sim_scn_node_group(scn, i);
        char name[SIM_NAME_BYTES_MAX];
        sqlite3_bind_int64(s, 1, rec->run_id);
        sqlite3_bind_int64(s, 2, i);
        bind_text(rec, s, 3, sim_scn_node_name(scn, i, name, sizeof name));
        bind_text(rec, s, 4, g->name);
        bind_text(rec, s, 5, g->model->name);
        sqlite3_bind_int64(s, 6, g->clock.offset_ns);
        sqlite3_bind_int64(s, 7, g->clock.drift_ppb);
        sqlite3_bind_int64(s, 8, g->inbox_max);
        ok = step(rec, s, "inserting nodes");
    }
    sqlite3_finalize(s);
    return ok;
}

static bool insert_links(struct sim_recorder *rec, const struct sim_scenario *scn)
{
    sqlite3_stmt *s = NULL;
    if (!prepare(rec, "INSERT INTO links VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", &s)) return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < scn->link_rule_count; i++) {
        const struct sim_link_rule *r = &scn->link_rules[i];
        char delay[128];
        sqlite3_bind_int64(s, 1, rec->run_id);
        sqlite3_bind_int64(s, 2, i);
        bind_text(rec, s, 3, r->text);
        sqlite3_bind_int(s, 4, r->is_both_ways);
        bind_text(rec, s, 5, sim_dist_format(&r->cfg.delay, delay, sizeof delay));
        sqlite3_bind_int64(s, 6, r->cfg.loss_ppb);
        sqlite3_bind_int64(s, 7, r->cfg.duplicate_ppb);
        sqlite3_bind_int64(s, 8, r->cfg.corrupt_ppb);
        sqlite3_bind_int64(s, 9, r->cfg.reorder_ppb);
        sqlite3_bind_int64(s, 10, r->cfg.reorder_delay_ns);
        sqlite3_bind_int64(s, 11, r->cfg.bandwidth_bps);
        sqlite3_bind_int64(s, 12, r->cfg.queue_max);
        sqlite3_bind_int64(s, 13, r->set_mask);
        ok = step(rec, s, "inserting links");
    }
    sqlite3_finalize(s);
    return ok;
}

/* The world's faults: the file's, then the nemesis's (line 0). */
static bool insert_faults(struct sim_recorder *rec, const struct sim_world *world)
{
    sqlite3_stmt *s = NULL;
    if (!prepare(rec, "INSERT INTO faults VALUES (?,?,?,?,?,?,?)", &s)) return false;
    bool ok = true;
    uint32_t fault_count;
    const struct sim_fault *faults = sim_world_faults(world, &fault_count);
    for (uint32_t i = 0; ok && i < fault_count; i++) {
        const struct sim_fault *f = &faults[i];
        sqlite3_bind_int64(s, 1, rec->run_id);
        sqlite3_bind_int64(s, 2, i);
        bind_text(rec, s, 3, f->name);
        sqlite3_bind_int64(s, 4, f->at_ns);
        bind_text(rec, s, 5, sim_fault_action_name(f->action));
        bind_text(rec, s, 6, f->text);
        sqlite3_bind_int(s, 7, f->line);
        ok = step(rec, s, "inserting faults");
    }
    sqlite3_finalize(s);
    return ok;
}

int sim_rec_begin_run(struct sim_recorder *rec, const struct sim_world *world,
                      const struct sim_run_meta *meta, int64_t *run_id, struct sim_diag *diag)
{
    const struct sim_scenario *scn = sim_world_scenario(world);
    uint64_t seed = sim_world_seed(world);
    SIM_ASSERT(rec->run_id == 0);
    rec->first_rowid = rec->last_rowid = 0;
    /* The run row and what it simulated are committed before the first event, so even a
     * run killed at once is visible (and reads as incomplete). */
    begin_if_needed(rec);
    bool ok = rec->in_tx && insert_run_row(rec, scn, seed, meta) && insert_nodes(rec, scn) &&
              insert_links(rec, scn) && insert_faults(rec, world);
    if (ok) commit_now(rec);
    if (!ok || rec->has_failed) {
        sqlite3_exec(rec->db, "ROLLBACK", NULL, NULL, NULL);
        rec->in_tx = false;
        rec->run_id = 0;
        *diag = rec->error;
        return SIM_EDB;
    }
    *run_id = rec->run_id;
    return SIM_OK;
}

/* --- events ----------------------------------------------------------------------------------- */

static void bind_event(struct sim_recorder *rec, sqlite3_stmt *s, int base,
                       const struct sim_event *ev)
{
    sqlite3_bind_int64(s, base + 1, rec->run_id);
    sqlite3_bind_int64(s, base + 2, (sqlite3_int64)ev->seq);
    sqlite3_bind_int64(s, base + 3, ev->time_ns);
    if (ev->node != SIM_NODE_NONE) sqlite3_bind_int64(s, base + 4, ev->node);
    else sqlite3_bind_null(s, base + 4);
    /* names come from constant tables: SQLITE_STATIC spares a copy per row */
    sqlite3_bind_text(s, base + 5, sim_event_kind_name(ev->kind), -1, SQLITE_STATIC);
    if (ev->peer != SIM_NODE_NONE) sqlite3_bind_int64(s, base + 6, ev->peer);
    else sqlite3_bind_null(s, base + 6);
    sqlite3_bind_int64(s, base + 7, (sqlite3_int64)ev->obj);
    sqlite3_bind_int64(s, base + 8, (sqlite3_int64)ev->ref);
    const char *detail = sim_event_aux_name(ev->kind, ev->aux);
    SIM_ASSERT(detail != NULL || ev->aux == 0); /* unnamed aux is always 0 */
    if (detail) sqlite3_bind_text(s, base + 9, detail, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, base + 9);
    sqlite3_bind_int64(s, base + 10, ev->arg);
    if (ev->node != SIM_NODE_NONE) {
        sqlite3_bind_int64(s, base + 11, ev->mono_ns);
        sqlite3_bind_int64(s, base + 12, ev->wall_ns);
    } else {
        sqlite3_bind_null(s, base + 11);
        sqlite3_bind_null(s, base + 12);
    }
}

static void note_rowid(struct sim_recorder *rec, int rows)
{
    int64_t last = sqlite3_last_insert_rowid(rec->db);
    if (!rec->first_rowid) rec->first_rowid = last - rows + 1;
    rec->last_rowid = last;
}

static void commit_if_due(struct sim_recorder *rec)
{
    if (rec->rows_since_commit >= SIM_RECORD_BATCH_ROWS) commit_now(rec);
}

static void flush_batch(struct sim_recorder *rec)
{
    if (rec->has_failed) {
        rec->batch_count = 0;
        return;
    }
    if (rec->batch_count == ROWS_PER_INSERT) {
        for (int r = 0; r < ROWS_PER_INSERT; r++)
            bind_event(rec, rec->insert_many, r * EVENT_COLUMNS, &rec->batch[r]);
        if (step_events(rec, rec->insert_many)) note_rowid(rec, ROWS_PER_INSERT);
    } else {
        for (int r = 0; r < rec->batch_count && !rec->has_failed; r++) {
            bind_event(rec, rec->insert_one, 0, &rec->batch[r]);
            if (step_events(rec, rec->insert_one)) note_rowid(rec, 1);
        }
    }
    rec->rows_since_commit += (uint64_t)rec->batch_count;
    rec->batch_count = 0;
    commit_if_due(rec);
}

static char *copy_text(const char *s)
{
    if (!s) return NULL;
    size_t bytes = strlen(s) + 1;
    char *copy = malloc(bytes);
    if (copy) memcpy(copy, s, bytes);
    return copy;
}

static void free_op(struct pending_op *op)
{
    if (!op) return;
    free(op->f);
    free(op->key);
    free(op->value);
    free(op);
}

static void open_op(struct sim_recorder *rec, const struct sim_event *ev,
                    const struct sim_event_text *text)
{
    struct pending_op *op = calloc(1, sizeof *op);
    if (!op) { fail(rec, "out of memory keeping an open operation"); return; }
    *op = (struct pending_op){ev->node, ev->ref, copy_text(text->s[0]), copy_text(text->s[1]),
                              copy_text(text->s[2]), ev->time_ns, ev->mono_ns, ev->seq};
    if (sim_u64map_put(&rec->open_ops, ev->obj, op) != 0) {
        free_op(op);
        fail(rec, "out of memory keeping an open operation");
    }
}

/* One ops row; `done` is NULL for an operation still open at the end (type info). */
static void write_op(struct sim_recorder *rec, uint64_t op_id, const struct pending_op *op,
                     const struct sim_event *done, const char *result)
{
    sqlite3_stmt *s = rec->insert_op;
    sqlite3_bind_int64(s, 1, rec->run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)op_id);
    sqlite3_bind_int64(s, 3, op->node);
    sqlite3_bind_int64(s, 4, (sqlite3_int64)op->process);
    bind_text(rec, s, 5, op->f);
    bind_text(rec, s, 6, op->key);
    bind_text(rec, s, 7, op->value);
    sqlite3_bind_int64(s, 8, op->invoke_ns);
    sqlite3_bind_int64(s, 10, op->invoke_mono_ns);
    sqlite3_bind_int64(s, 14, (sqlite3_int64)op->invoke_seq);
    if (done) {
        sqlite3_bind_int64(s, 9, done->time_ns);
        sqlite3_bind_int64(s, 11, done->mono_ns);
        sqlite3_bind_text(s, 12, sim_event_aux_name(SIM_EV_OP_COMPLETE, done->aux), -1,
                          SQLITE_STATIC);
        bind_text(rec, s, 13, result);
        sqlite3_bind_int64(s, 15, (sqlite3_int64)done->seq);
    } else {
        sqlite3_bind_text(s, 12, "info", -1, SQLITE_STATIC); /* indeterminate */
        bind_text(rec, s, 13, "open at the end of the run");
    }
    step(rec, s, "inserting an operation");
}

static void close_op(struct sim_recorder *rec, const struct sim_event *ev,
                     const struct sim_event_text *text)
{
    struct pending_op *op = sim_u64map_take(&rec->open_ops, ev->obj);
    SIM_ASSERT(op != NULL); /* the kernel checks op ids before emitting */
    if (!rec->has_failed) write_op(rec, ev->obj, op, ev, text->s[0]);
    free_op(op);
}

static void write_violation(struct sim_recorder *rec, const struct sim_event *ev,
                            const char *source, const char *text)
{
    if (rec->has_failed) return;
    sqlite3_stmt *s = rec->insert_violation;
    sqlite3_bind_int64(s, 1, rec->run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)ev->seq);
    if (ev->node != SIM_NODE_NONE) sqlite3_bind_int64(s, 3, ev->node);
    sqlite3_bind_int64(s, 4, ev->time_ns);
    bind_text(rec, s, 5, source);
    bind_text(rec, s, 6, text);
    step(rec, s, "inserting a violation");
}

static void write_annotation(struct sim_recorder *rec, uint64_t seq, uint32_t node,
                             const char *kind, const char *text);

/* Writer side: one event into the batch, plus the rows it implies. */
static void write_event(struct sim_recorder *rec, const struct sim_event *ev,
                        const struct sim_event_text *text)
{
    SIM_ASSERT(rec->run_id != 0);
    rec->batch[rec->batch_count++] = *ev;
    if (rec->batch_count == ROWS_PER_INSERT) flush_batch(rec);
    switch (ev->kind) {
    case SIM_EV_OP_INVOKE: open_op(rec, ev, text); break;
    case SIM_EV_OP_COMPLETE: close_op(rec, ev, text); break;
    case SIM_EV_NOTE: write_annotation(rec, ev->seq, ev->node, "note", text->s[0]); break;
    case SIM_EV_CLAIM: write_annotation(rec, ev->seq, ev->node, "claim", text->s[0]); break;
    case SIM_EV_VIOLATION: write_violation(rec, ev, "model", text->s[0]); break;
    case SIM_EV_LIE: write_annotation(rec, ev->seq, ev->node, "lie", text->s[0]); break;
    case SIM_EV_ATTACK: write_annotation(rec, ev->seq, ev->node, "attack", text->s[0]); break;
    default: break;
    }
}

static void write_annotation(struct sim_recorder *rec, uint64_t seq, uint32_t node,
                             const char *kind, const char *text)
{
    if (rec->has_failed) return;
    sqlite3_stmt *s = rec->insert_annotation;
    sqlite3_bind_int64(s, 1, rec->run_id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
    if (node != SIM_NODE_NONE) sqlite3_bind_int64(s, 3, node);
    bind_text(rec, s, 4, kind);
    bind_text(rec, s, 5, text);
    step(rec, s, "inserting an annotation");
}

static void write_metric(struct sim_recorder *rec, const char *name, double value,
                         const char *unit)
{
    if (rec->has_failed) return;
    sqlite3_stmt *s = rec->insert_metric;
    sqlite3_bind_int64(s, 1, rec->run_id);
    bind_text(rec, s, 2, name);
    sqlite3_bind_double(s, 3, value);
    bind_text(rec, s, 4, unit);
    step(rec, s, "inserting a metric");
}


/* --- the hand-off between the loop and the writer thread ---------------------------------
 * The loop copies each event (and its texts) into a chunk; full chunks go to the writer
 * thread, which owns the SQLite connection while it works. At most CHUNKS_IN_FLIGHT chunks
 * wait, so a slow disk slows the loop instead of growing memory. Ordering is the stream's:
 * one FIFO, one writer. */

static const char *item_text(const struct chunk *c, uint32_t at)
{
    return at == TEXT_NONE ? NULL : c->arena + at;
}

static void write_item(struct sim_recorder *rec, const struct chunk *c, const struct item *it)
{
    switch (it->type) {
    case ITEM_EVENT: {
        struct sim_event_text text = {{item_text(c, it->text_at[0]), item_text(c, it->text_at[1]),
                                       item_text(c, it->text_at[2])}};
        write_event(rec, &it->ev, &text);
        break;
    }
    case ITEM_ANNOTATION:
        write_annotation(rec, it->ev.seq, it->ev.node, item_text(c, it->text_at[0]),
                         item_text(c, it->text_at[1]));
        break;
    case ITEM_METRIC:
        write_metric(rec, item_text(c, it->text_at[0]), it->value, item_text(c, it->text_at[1]));
        break;
    case ITEM_VIOLATION:
        write_violation(rec, &it->ev, item_text(c, it->text_at[0]), item_text(c, it->text_at[1]));
        break;
    }
}

static int writer_main(void *arg)
{
    struct sim_recorder *rec = arg;
    mtx_lock(&rec->lock);
    for (;;) {
        while (!rec->full_count && !rec->is_stopping) cnd_wait(&rec->changed, &rec->lock);
        if (!rec->full_count) break; /* stopping, and nothing left */
        struct chunk *c = rec->full[rec->full_head];
        rec->full_head = (rec->full_head + 1) % CHUNKS_IN_FLIGHT;
        rec->full_count--;
        rec->is_writer_busy = true;
        mtx_unlock(&rec->lock);
        for (size_t i = 0; i < c->item_count; i++) write_item(rec, c, &c->items[i]);
        c->item_count = 0;
        c->arena_used = 0;
        mtx_lock(&rec->lock);
        bool is_caught_up = rec->full_count == 0;
        mtx_unlock(&rec->lock);
        if (is_caught_up) commit_now(rec); /* nothing waiting: let other writers in */
        mtx_lock(&rec->lock);
        rec->spare[rec->spare_count++] = c;
        rec->is_writer_busy = false;
        cnd_broadcast(&rec->changed);
    }
    mtx_unlock(&rec->lock);
    return 0;
}

/* Hands the loop's chunk to the writer and takes an empty one (waiting if need be). */
static void hand_off(struct sim_recorder *rec)
{
    mtx_lock(&rec->lock);
    while (rec->full_count == CHUNKS_IN_FLIGHT || rec->spare_count == 0)
        cnd_wait(&rec->changed, &rec->lock);
    size_t tail = (rec->full_head + rec->full_count) % CHUNKS_IN_FLIGHT;
    rec->full[tail] = rec->filling;
    rec->full_count++;
    rec->filling = rec->spare[--rec->spare_count];
    cnd_broadcast(&rec->changed);
    mtx_unlock(&rec->lock);
}

/* Waits until the writer has written everything handed to it; it is then idle and the
 * caller may use the connection. */
static void drain(struct sim_recorder *rec)
{
    if (rec->filling && rec->filling->item_count) hand_off(rec);
    mtx_lock(&rec->lock);
    while (rec->full_count || rec->is_writer_busy) cnd_wait(&rec->changed, &rec->lock);
    mtx_unlock(&rec->lock);
}

static uint32_t arena_put(struct sim_recorder *rec, struct chunk *c, const char *text)
{
    if (!text || rec->has_loop_failed) return TEXT_NONE;
    size_t bytes = strlen(text) + 1;
    if (c->arena_used + bytes > c->arena_cap) {
        size_t cap = c->arena_cap ? c->arena_cap : CHUNK_ARENA_BYTES;
        while (cap < c->arena_used + bytes) cap *= 2;
        char *arena = cap <= UINT32_MAX ? realloc(c->arena, cap) : NULL;
        if (!arena) {
            /* The loop's own failure, kept apart from the writer's: this thread must not
             * touch the connection the writer may be using. Reported at the run's end. */
            rec->has_loop_failed = true;
            return TEXT_NONE;
        }
        c->arena = arena;
        c->arena_cap = cap;
    }
    memcpy(c->arena + c->arena_used, text, bytes);
    uint32_t at = (uint32_t)c->arena_used;
    c->arena_used += bytes;
    return at;
}

static struct item *next_item(struct sim_recorder *rec, enum item_type type)
{
    if (rec->filling->item_count == CHUNK_ITEMS) hand_off(rec);
    struct item *it = &rec->filling->items[rec->filling->item_count++];
    it->type = type;
    it->text_at[0] = it->text_at[1] = it->text_at[2] = TEXT_NONE;
    return it;
}

static void on_event(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct sim_recorder *rec = ctx;
    struct item *it = next_item(rec, ITEM_EVENT);
    it->ev = *ev;
    if (text->s[0] || text->s[1] || text->s[2])
        for (int i = 0; i < 3; i++) it->text_at[i] = arena_put(rec, rec->filling, text->s[i]);
}

struct sim_observer sim_rec_observer(struct sim_recorder *rec)
{
    return (struct sim_observer){rec, on_event};
}

void sim_rec_annotate(struct sim_recorder *rec, uint64_t seq, uint32_t node, const char *kind,
                      const char *text)
{
    struct item *it = next_item(rec, ITEM_ANNOTATION);
    it->ev = (struct sim_event){.seq = seq, .node = node};
    it->text_at[0] = arena_put(rec, rec->filling, kind);
    it->text_at[1] = arena_put(rec, rec->filling, text);
}

void sim_rec_violation(struct sim_recorder *rec, const struct sim_event *at, const char *source,
                       const char *text)
{
    struct item *it = next_item(rec, ITEM_VIOLATION);
    it->ev = (struct sim_event){.seq = at->seq, .node = at->node, .time_ns = at->time_ns};
    it->text_at[0] = arena_put(rec, rec->filling, source);
    it->text_at[1] = arena_put(rec, rec->filling, text);
}

void sim_rec_metric(struct sim_recorder *rec, const char *name, double value, const char *unit)
{
    struct item *it = next_item(rec, ITEM_METRIC);
    it->value = value;
    it->text_at[0] = arena_put(rec, rec->filling, name);
    it->text_at[1] = arena_put(rec, rec->filling, unit);
}

static void touch_pages(void *p, size_t bytes)
{
    volatile unsigned char *b = p;
    for (size_t i = 0; i < bytes; i += 4096) b[i] = 0;
}

static int start_writer(struct sim_recorder *rec)
{
    if (mtx_init(&rec->lock, mtx_plain) != thrd_success) return -1;
    if (cnd_init(&rec->changed) != thrd_success) {
        mtx_destroy(&rec->lock);
        return -1;
    }
    for (int i = 0; i < CHUNKS_IN_FLIGHT + 1; i++) {
        struct chunk *c = calloc(1, sizeof *c);
        if (!c) return -1;
        c->arena_cap = CHUNK_ARENA_BYTES;
        c->arena = calloc(1, c->arena_cap);
        if (!c->arena) {
            free(c);
            return -1;
        }
        /* touch every page now, so the recorder's memory is the same from the first event
         * on whatever the length of the run (calloc's pages are mapped lazily) */
        touch_pages(c, sizeof *c);
        touch_pages(c->arena, c->arena_cap);
        if (i == 0) rec->filling = c;
        else rec->spare[rec->spare_count++] = c;
    }
    if (thrd_create(&rec->writer, writer_main, rec) != thrd_success) return -1;
    rec->has_writer = true;
    return 0;
}

static void stop_writer(struct sim_recorder *rec)
{
    if (!rec->has_writer) return;
    drain(rec);
    mtx_lock(&rec->lock);
    rec->is_stopping = true;
    cnd_broadcast(&rec->changed);
    mtx_unlock(&rec->lock);
    thrd_join(rec->writer, NULL);
    rec->has_writer = false;
}

static void free_chunk(struct chunk *c)
{
    if (!c) return;
    free(c->arena);
    free(c);
}

static void write_open_op(void *ctx, uint64_t op_id, void *value)
{
    struct sim_recorder *rec = ctx;
    if (!rec->has_failed) write_op(rec, op_id, value, NULL, NULL);
    free_op(value);
}

/* After a failed write the open transaction is lost; the run is still marked, in a
 * transaction of its own, so that it never stays `running`. Best effort: if even this
 * fails, readers show the run as incomplete once this process is gone. */
static void mark_error(struct sim_recorder *rec, const struct sim_run_result *result)
{
    sqlite3_exec(rec->db, "ROLLBACK", NULL, NULL, NULL);
    rec->in_tx = false;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(rec->db, "UPDATE runs SET status='error', end_reason=?, ended_at=?"
                           " WHERE id=?", -1, &s, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(s, 1, rec->error.message, -1, SQLITE_TRANSIENT);
    bind_text(rec, s, 2, result->ended_at);
    sqlite3_bind_int64(s, 3, rec->run_id);
    sqlite3_step(s);
    sqlite3_finalize(s);
}

int sim_rec_end_run(struct sim_recorder *rec, const struct sim_run_result *result,
                    struct sim_diag *diag)
{
    SIM_ASSERT(rec->run_id != 0);
    if (rec->has_writer) drain(rec); /* the writer is idle from here on */
    if (rec->has_loop_failed && !rec->has_failed) {
        rec->has_failed = true;
        sim_diag_set(&rec->error, SIM_ENOMEM, NULL, 0, 0,
                     "out of memory keeping texts for the writer");
    }
    flush_batch(rec);
    if (sim_u64map_each_sorted(&rec->open_ops, write_open_op, rec) != 0)
        fail_not_sqlite(rec, "out of memory writing open operations");
    sim_u64map_free(&rec->open_ops);
    sqlite3_stmt *s = NULL;
    if (prepare(rec, "UPDATE runs SET status=?, end_reason=?, ended_at=?, end_ns=?,"
                " event_count=?, event_hash=?, first_event_rowid=?, last_event_rowid=?,"
                " violation_count=?, clamp_count=? WHERE id=?", &s)) {
        char hash[24];
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)result->event_hash);
        bind_text(rec, s, 1, result->status);
        bind_text(rec, s, 2, result->end_reason);
        bind_text(rec, s, 3, result->ended_at);
        sqlite3_bind_int64(s, 4, result->end_ns);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)result->event_count);
        bind_text(rec, s, 6, hash);
        sqlite3_bind_int64(s, 7, rec->first_rowid);
        sqlite3_bind_int64(s, 8, rec->last_rowid);
        sqlite3_bind_int64(s, 9, (sqlite3_int64)result->violation_count);
        sqlite3_bind_int64(s, 10, (sqlite3_int64)result->clamp_count);
        sqlite3_bind_int64(s, 11, rec->run_id);
        step(rec, s, "finishing the run");
        sqlite3_finalize(s);
    }
    commit_now(rec);
    if (rec->has_failed) mark_error(rec, result);
    rec->run_id = 0;
    if (rec->has_failed) {
        *diag = rec->error;
        return SIM_EDB;
    }
    return SIM_OK;
}

static void free_open_op(void *ctx, uint64_t op_id, void *value)
{
    (void)ctx;
    (void)op_id;
    free_op(value);
}

void sim_rec_close(struct sim_recorder *rec)
{
    if (!rec) return;
    bool had_sync = rec->filling != NULL;
    if (rec->run_id) {
        /* a run left open (an error path): keep what was written, mark it incomplete */
        struct sim_run_result r = {.status = "incomplete", .end_reason = "recorder closed"};
        struct sim_diag ignored;
        sim_rec_end_run(rec, &r, &ignored);
    }
    stop_writer(rec);
    if (had_sync) {
        free_chunk(rec->filling);
        for (size_t i = 0; i < rec->spare_count; i++) free_chunk(rec->spare[i]);
        cnd_destroy(&rec->changed);
        mtx_destroy(&rec->lock);
    }
    sim_u64map_each_sorted(&rec->open_ops, free_open_op, NULL);
    sim_u64map_free(&rec->open_ops);
    sqlite3_finalize(rec->insert_many);
    sqlite3_finalize(rec->insert_one);
    sqlite3_finalize(rec->insert_op);
    sqlite3_finalize(rec->insert_annotation);
    sqlite3_finalize(rec->insert_violation);
    sqlite3_finalize(rec->insert_metric);
    sqlite3_close(rec->db);
    free(rec);
}
