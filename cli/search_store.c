/* cli/search_store.c - an unfinished search's results, stored at its interrupt and read
 * back by the same command; see search_store.h. Two tables, additive to schema 1 as the
 * sweep tables are: search_progress (one row per key) and search_progress_seeds (one row
 * per seed run). Bound parameters only. */
#include "search_store.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS search_progress(id INTEGER PRIMARY KEY,"
    " scenario_text TEXT NOT NULL, overrides TEXT NOT NULL, program_version TEXT NOT NULL,"
    " UNIQUE(scenario_text, overrides, program_version));"
    "CREATE TABLE IF NOT EXISTS search_progress_seeds(progress_id INTEGER NOT NULL,"
    " seed INTEGER NOT NULL, status TEXT NOT NULL, event_hash TEXT NOT NULL,"
    " event_count INTEGER NOT NULL, end_ns INTEGER NOT NULL, violations INTEGER NOT NULL,"
    " clamp_count INTEGER NOT NULL, run_id INTEGER NOT NULL,"
    " first_violation_seq INTEGER, first_violation_source TEXT NOT NULL,"
    " first_violation_text TEXT NOT NULL, PRIMARY KEY(progress_id, seed));";

static int db_fail(sqlite3 *db, const char *path, const char *doing)
{
    cli_error("%s: %s: %s", path, doing, db ? sqlite3_errmsg(db) : "cannot open");
    return CLI_EXIT_IO;
}

/* The code a run is a function of, in the program_version column: the version, then the
 * model libraries' "PATH SHA256" lines (none: the version alone, as stored before the
 * libraries were folded in, so such progress still resumes a search without libraries).
 * Folding them into an existing key column keeps UNIQUE(...) whole with no migration. */
static void bind_key(sqlite3_stmt *s, const struct search_key *key)
{
    sqlite3_bind_text(s, 1, key->scenario_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, key->overrides, -1, SQLITE_STATIC);
    if (!*key->model_libs) {
        sqlite3_bind_text(s, 3, MURPHY_VERSION, -1, SQLITE_STATIC);
        return;
    }
    /* out of memory binds NULL: it matches no stored key and stores none (NOT NULL) */
    char *code = sqlite3_mprintf("%s\n%s", MURPHY_VERSION, key->model_libs);
    if (code) sqlite3_bind_text(s, 3, code, -1, sqlite3_free);
    else sqlite3_bind_null(s, 3);
}

static bool copy_text(sqlite3_stmt *s, int col, char *out, size_t out_bytes)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    if (!t || strlen((const char *)t) >= out_bytes) return false;
    memcpy(out, t, strlen((const char *)t) + 1);
    return true;
}

/* One stored row into r; false if it is malformed (the file is input). */
static bool read_result(sqlite3_stmt *s, struct cli_run_result *r)
{
    memset(r, 0, sizeof *r);
    const char *hash = (const char *)sqlite3_column_text(s, 1);
    char *end = NULL;
    if (!hash || !copy_text(s, 0, r->status, sizeof r->status) ||
        (strcmp(r->status, "ok") != 0 && strcmp(r->status, "violated") != 0) ||
        !copy_text(s, 8, r->first_violation_source, sizeof r->first_violation_source) ||
        !copy_text(s, 9, r->first_violation_text, sizeof r->first_violation_text))
        return false;
    r->event_hash = strtoull(hash, &end, 16);
    if (end == hash || *end) return false;
    r->event_count = (uint64_t)sqlite3_column_int64(s, 2);
    r->end_ns = sqlite3_column_int64(s, 3);
    r->violations = (uint64_t)sqlite3_column_int64(s, 4);
    r->clamp_count = (uint64_t)sqlite3_column_int64(s, 5);
    r->run_id = sqlite3_column_int64(s, 6);
    r->has_first_violation = sqlite3_column_type(s, 7) != SQLITE_NULL;
    r->first_violation_seq = (uint64_t)sqlite3_column_int64(s, 7);
    return r->run_id >= 0;
}

int search_progress_load(const char *db_path, const struct search_key *key,
                         const uint64_t *seeds, size_t seed_count,
                         struct cli_run_result *results, size_t *found)
{
    *found = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db); /* no file: nothing to resume */
        return CLI_EXIT_OK;
    }
    sqlite3_busy_timeout(db, 20000);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_stmt *s = NULL;
    int status = CLI_EXIT_OK;
    /* no progress tables: nothing to resume */
    if (sqlite3_prepare_v2(db, "SELECT status, event_hash, event_count, end_ns, violations,"
                               " clamp_count, run_id, first_violation_seq,"
                               " first_violation_source, first_violation_text"
                               " FROM search_progress_seeds WHERE seed = ?4 AND progress_id ="
                               " (SELECT id FROM search_progress WHERE scenario_text = ?1"
                               " AND overrides = ?2 AND program_version = ?3)",
                           -1, &s, NULL) == SQLITE_OK) {
        bind_key(s, key);
        for (size_t k = 0; k < seed_count && status == CLI_EXIT_OK; k++) {
            sqlite3_reset(s);
            sqlite3_bind_int64(s, 4, (int64_t)seeds[k]);
            int rc = sqlite3_step(s);
            if (rc == SQLITE_ROW) {
                if (!read_result(s, &results[k])) {
                    cli_error("%s: the stored progress of seed %" PRIu64 " is malformed",
                              db_path, seeds[k]);
                    status = CLI_EXIT_IO;
                }
                results[k].seed = seeds[k];
                (*found)++;
            } else if (rc != SQLITE_DONE) {
                status = db_fail(db, db_path, "reading the search's progress");
            }
        }
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return status;
}

static int open_for_writing(const char *db_path, sqlite3 **db)
{
    /* the recorder makes the file a schema-1 record, as for the sweep tables */
    struct sim_recorder *rec = NULL;
    struct sim_diag diag;
    if (sim_rec_open(db_path, &rec, &diag) != SIM_OK) {
        cli_error("%s: %s", db_path, diag.message);
        return CLI_EXIT_IO;
    }
    sim_rec_close(rec);
    if (sqlite3_open_v2(db_path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return db_fail(*db, db_path, "opening");
    sqlite3_busy_timeout(*db, 20000);
    sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if (sqlite3_exec(*db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(*db, db_path, "creating the search progress tables");
    return CLI_EXIT_OK;
}

static bool insert_result(sqlite3_stmt *s, int64_t progress_id, const struct cli_run_result *r)
{
    char hash[20];
    snprintf(hash, sizeof hash, "%016" PRIx64, r->event_hash);
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, progress_id);
    sqlite3_bind_int64(s, 2, (int64_t)r->seed);
    sqlite3_bind_text(s, 3, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, hash, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, (int64_t)r->event_count);
    sqlite3_bind_int64(s, 6, r->end_ns);
    sqlite3_bind_int64(s, 7, (int64_t)r->violations);
    sqlite3_bind_int64(s, 8, (int64_t)r->clamp_count);
    sqlite3_bind_int64(s, 9, r->run_id);
    if (r->has_first_violation) sqlite3_bind_int64(s, 10, (int64_t)r->first_violation_seq);
    else sqlite3_bind_null(s, 10);
    sqlite3_bind_text(s, 11, r->first_violation_source, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 12, r->first_violation_text, -1, SQLITE_STATIC);
    return sqlite3_step(s) == SQLITE_DONE;
}

int search_progress_save(const char *db_path, const struct search_key *key,
                         const struct cli_run_result *results, size_t count)
{
    sqlite3 *db = NULL;
    int status = open_for_writing(db_path, &db);
    if (status != CLI_EXIT_OK) {
        sqlite3_close(db);
        return status;
    }
    sqlite3_stmt *ins_key = NULL, *get_key = NULL, *ins_seed = NULL;
    bool ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO search_progress(scenario_text,"
                                     " overrides, program_version) VALUES (?1, ?2, ?3)",
                                 -1, &ins_key, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "SELECT id FROM search_progress WHERE scenario_text = ?1"
                                     " AND overrides = ?2 AND program_version = ?3",
                                 -1, &get_key, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO search_progress_seeds"
                                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                                 -1, &ins_seed, NULL) == SQLITE_OK;
    int64_t id = 0;
    if (ok) {
        bind_key(ins_key, key);
        bind_key(get_key, key);
        ok = sqlite3_step(ins_key) == SQLITE_DONE && sqlite3_step(get_key) == SQLITE_ROW;
        if (ok) id = sqlite3_column_int64(get_key, 0);
    }
    for (size_t i = 0; ok && i < count; i++)
        if (strcmp(results[i].status, "ok") == 0 || strcmp(results[i].status, "violated") == 0)
            ok = insert_result(ins_seed, id, &results[i]);
    if (ok) ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok) status = db_fail(db, db_path, "storing the search's progress");
    sqlite3_finalize(ins_key);
    sqlite3_finalize(get_key);
    sqlite3_finalize(ins_seed);
    sqlite3_close(db);
    return status;
}

int search_progress_clear(const char *db_path, const struct search_key *key)
{
    sqlite3 *db = NULL;
    int status = open_for_writing(db_path, &db);
    if (status != CLI_EXIT_OK) {
        sqlite3_close(db);
        return status;
    }
    sqlite3_stmt *del_seeds = NULL, *del_key = NULL;
    bool ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "DELETE FROM search_progress_seeds WHERE progress_id ="
                                     " (SELECT id FROM search_progress WHERE scenario_text = ?1"
                                     " AND overrides = ?2 AND program_version = ?3)",
                                 -1, &del_seeds, NULL) == SQLITE_OK &&
              sqlite3_prepare_v2(db, "DELETE FROM search_progress WHERE scenario_text = ?1"
                                     " AND overrides = ?2 AND program_version = ?3",
                                 -1, &del_key, NULL) == SQLITE_OK;
    if (ok) {
        bind_key(del_seeds, key);
        bind_key(del_key, key);
        ok = sqlite3_step(del_seeds) == SQLITE_DONE && sqlite3_step(del_key) == SQLITE_DONE &&
             sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    }
    if (!ok) status = db_fail(db, db_path, "deleting the search's progress");
    sqlite3_finalize(del_seeds);
    sqlite3_finalize(del_key);
    sqlite3_close(db);
    return status;
}
