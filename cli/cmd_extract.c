/* cli/cmd_extract.c - `murphy extract`: copies one run of a record into a database of its
 * own (same schema, same rows, same rowids), small enough to attach to a bug report and
 * replay anywhere. The source is read as any record is (analysis/db.h: read-only,
 * defensive); only the new file is written, and it is never one that already exists. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: murphy extract DB [--run ID] --out SMALL.db\n"
    "\n"
    "Copies one run of DB (the newest when --run is not given) into a new database\n"
    "SMALL.db: its runs row, overrides, nodes, link rules, faults, events, operations,\n"
    "metrics, violations and annotations, with the same schema, so the file can be\n"
    "attached to a bug report and read with log, report and replay (`murphy replay\n"
    "SMALL.db` says identical). SMALL.db must not exist yet.\n"
    "\n"
    "exit status: 0 copied, 2 bad usage, no such run or SMALL.db exists, 3 database error\n";

/* Every table that holds a run's rows, with the column naming the run. */
static const struct {
    const char *table;
    const char *run_column;
} tables[] = {
    {"runs", "id"},        {"run_overrides", "run_id"}, {"nodes", "run_id"},
    {"links", "run_id"},   {"faults", "run_id"},        {"events", "run_id"},
    {"ops", "run_id"},     {"metrics", "run_id"},       {"violations", "run_id"},
    {"annotations", "run_id"},
};

#define SQL_BYTES 2048

/* "c1, c2, ..." of the table as the new database (our schema) has it; the names are ours,
 * never the source's, so they are safe in SQL text. */
static int column_list(sqlite3 *out, const char *table, char *list, size_t list_bytes,
                       int *column_count)
{
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA main.table_info(%s)", table);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(out, sql, -1, &s, NULL) != SQLITE_OK) return -1;
    size_t used = 0;
    *column_count = 0;
    list[0] = '\0';
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 1);
        int n = snprintf(list + used, list_bytes - used, "%s%s", used ? ", " : "",
                         name ? name : "");
        if (!name || n < 0 || (size_t)n >= list_bytes - used) {
            sqlite3_finalize(s);
            return -1;
        }
        used += (size_t)n;
        ++*column_count;
    }
    sqlite3_finalize(s);
    return *column_count > 0 ? 0 : -1;
}

/* Copies the run's rows of one table, rowids included; returns the rows copied or -1. */
static int64_t copy_table(sqlite3 *src, sqlite3 *out, const char *table, const char *run_column,
                          int64_t run_id, char *err, size_t err_bytes)
{
    char columns[SQL_BYTES - 256], sql[SQL_BYTES];
    int column_count = 0;
    if (column_list(out, table, columns, sizeof columns, &column_count) != 0) {
        snprintf(err, err_bytes, "cannot read the columns of %s", table);
        return -1;
    }
    sqlite3_stmt *select = NULL, *insert = NULL;
    snprintf(sql, sizeof sql, "SELECT rowid, %s FROM main.%s WHERE %s = ?1 ORDER BY rowid",
             columns, table, run_column);
    if (sqlite3_prepare_v2(src, sql, -1, &select, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "source table %s: %s", table, sqlite3_errmsg(src));
        return -1;
    }
    char *p = sql + snprintf(sql, sizeof sql, "INSERT INTO main.%s(rowid, %s) VALUES (?", table,
                             columns);
    for (int i = 0; i < column_count; i++) p += snprintf(p, 8, ", ?");
    snprintf(p, 4, ")");
    if (sqlite3_prepare_v2(out, sql, -1, &insert, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "%s: %s", table, sqlite3_errmsg(out));
        sqlite3_finalize(select);
        return -1;
    }
    sqlite3_bind_int64(select, 1, run_id);
    int64_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        for (int i = 0; i <= column_count; i++)
            sqlite3_bind_value(insert, i + 1, sqlite3_column_value(select, i));
        if (sqlite3_step(insert) != SQLITE_DONE) {
            snprintf(err, err_bytes, "%s: %s", table, sqlite3_errmsg(out));
            rows = -1;
            break;
        }
        sqlite3_reset(insert);
        rows++;
    }
    if (rows >= 0 && rc != SQLITE_DONE) {
        snprintf(err, err_bytes, "source table %s: %s", table, sqlite3_errmsg(src));
        rows = -1;
    }
    sqlite3_finalize(select);
    sqlite3_finalize(insert);
    return rows;
}

/* Creates out_path (which must not exist) as an empty record; returns an exit status. */
static int create_record(const char *out_path)
{
    int fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) {
        cli_error("extract: %s: %s", out_path,
                  errno == EEXIST ? "exists already; extract writes a new file only"
                                  : strerror(errno));
        return errno == EEXIST ? CLI_EXIT_USAGE : CLI_EXIT_IO;
    }
    close(fd);
    struct sim_recorder *rec = NULL;
    struct sim_diag diag;
    if (sim_rec_open(out_path, &rec, &diag) != SIM_OK) {
        cli_error("extract: %s: %s", out_path, diag.message);
        return CLI_EXIT_IO;
    }
    sim_rec_close(rec); /* the schema and its version, as `murphy run` writes them */
    return CLI_EXIT_OK;
}

static int copy_run(struct an_db *db, const struct an_run *run, const char *out_path)
{
    sqlite3 *out = NULL;
    char err[AN_ERR_BYTES] = "";
    int status = CLI_EXIT_OK;
    if (sqlite3_open_v2(out_path, &out, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(out, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, sizeof err, "%s", out ? sqlite3_errmsg(out) : "out of memory");
        status = CLI_EXIT_IO;
    }
    int64_t event_rows = 0;
    for (size_t t = 0; status == CLI_EXIT_OK && t < sizeof tables / sizeof tables[0]; t++) {
        int64_t rows = copy_table(an_db_sqlite(db), out, tables[t].table, tables[t].run_column,
                                  run->id, err, sizeof err);
        if (rows < 0) status = CLI_EXIT_IO;
        if (strcmp(tables[t].table, "events") == 0) event_rows = rows;
    }
    if (status == CLI_EXIT_OK && (uint64_t)event_rows != run->event_count &&
        strcmp(run->status, "incomplete") != 0) {
        snprintf(err, sizeof err, "run %" PRId64 " claims %" PRIu64 " events but %" PRId64
                 " were found", run->id, run->event_count, event_rows);
        status = CLI_EXIT_IO;
    }
    if (status == CLI_EXIT_OK && sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, sizeof err, "%s", sqlite3_errmsg(out));
        status = CLI_EXIT_IO;
    }
    /* one self-contained file to attach: out of WAL mode, so no -wal or -shm beside it */
    if (status == CLI_EXIT_OK &&
        sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, sizeof err, "%s", sqlite3_errmsg(out));
        status = CLI_EXIT_IO;
    }
    sqlite3_close(out);
    if (status != CLI_EXIT_OK) {
        char safe[AN_ERR_BYTES * 4];
        cli_error("extract: %s", cli_safe(err, safe, sizeof safe));
        return status;
    }
    char scenario[256];
    printf("extracted: run %" PRId64 " (%s, seed %" PRIu64 ", %" PRId64 " events) into %s\n",
           run->id, cli_safe(run->scenario, scenario, sizeof scenario), run->seed, event_rows,
           out_path);
    return CLI_EXIT_OK;
}

int cmd_extract(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    const char *db_path = NULL, *out_path = NULL;
    uint64_t run_id = 0;
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--out", &v, &status)) {
            out_path = v;
        } else if (argv[i][0] == '-' || db_path) {
            cli_error("extract: unexpected '%s' (see murphy extract --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else db_path = argv[i];
    }
    if (status == CLI_EXIT_OK && (!db_path || !out_path)) {
        cli_error("extract: needs a database and --out FILE (see murphy extract --help)");
        status = CLI_EXIT_USAGE;
    }
    if (status != CLI_EXIT_OK) return status;
    struct an_db *db = NULL;
    struct an_run run;
    status = cli_open_run(db_path, run_id, &db, &run);
    if (status != CLI_EXIT_OK) return status;
    status = create_record(out_path);
    bool is_created = status == CLI_EXIT_OK;
    if (status == CLI_EXIT_OK) status = copy_run(db, &run, out_path);
    if (status != CLI_EXIT_OK && is_created) unlink(out_path); /* no half-copied file */
    an_run_free(&run);
    an_db_close(db);
    return status;
}
