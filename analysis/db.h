/* analysis/db.h - reading a record back: runs and their event streams.
 *
 * A database may come from anywhere, so it is untrusted input: it is opened read-only,
 * with defensive mode on and trusted_schema off (no view, trigger or function of its
 * author runs with our privileges), and every row decoded back into a canonical event
 * is checked; a damaged row is an error naming its rowid, never a crash. */
#ifndef ANALYSIS_DB_H
#define ANALYSIS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "sim/event.h"

struct an_db;

#define AN_ERR_BYTES 512

/* Opens path read-only; returns 0, or -1 with a message (a missing file, not a murphy
 * record, a newer schema). */
int an_db_open(const char *path, struct an_db **out, char *err, size_t err_bytes);
void an_db_close(struct an_db *db);
sqlite3 *an_db_sqlite(struct an_db *db);

struct an_run {
    int64_t id;
    char scenario[64];
    char *scenario_path;    /* owned */
    char *scenario_text;    /* owned */
    size_t scenario_text_bytes;
    char **overrides;       /* owned, in order */
    size_t override_count;
    uint64_t seed;
    char status[16];        /* as stored, except `running` with its writer gone reads
                               `incomplete` */
    char end_reason[64];
    uint64_t event_count;
    bool has_hash;
    uint64_t event_hash;
    int64_t first_rowid, last_rowid;
    int64_t end_ns;
    int64_t duration_ns;
    char program_version[32];
    int hash_format;
    char platform[64];
    char host[256];
    int64_t pid;
    char model_libs[10240];   /* "PATH SHA256" lines (cli/model_libs.h) */
    uint64_t violation_count;
    uint64_t clamp_count;
};

#define AN_OVERRIDES_MAX 256 /* as `murphy run` accepts; more is a damaged record */
#define AN_NO_RUN (-2)       /* an_run_load: no such run (bad usage), not a damaged record */

/* The run `run_id`, or the newest run when run_id is 0. Returns 0, AN_NO_RUN, or -1 for
 * a record that cannot be read. */
int an_run_load(struct an_db *db, int64_t run_id, struct an_run *run, char *err, size_t err_bytes);
void an_run_free(struct an_run *run);

/* Node names of a run, by index (owned by the table). */
struct an_nodes {
    char (*names)[64];
    uint32_t count;
};
int an_nodes_load(struct an_db *db, int64_t run_id, struct an_nodes *nodes, char *err,
                  size_t err_bytes);
void an_nodes_free(struct an_nodes *nodes);
/* Index of a node by name; -1 if none. */
int64_t an_nodes_find(const struct an_nodes *nodes, const char *name);

/* Streams a run's events back in seq order, decoded and checked. */
struct an_event_iter;
int an_events_open(struct an_db *db, const struct an_run *run, struct an_event_iter **out,
                   char *err, size_t err_bytes);

/* The orders a run's events can be read back in. */
enum an_event_order {
    AN_ORDER_TRUE, /* execution order (seq): true time, ties in scheduling order */
    AN_ORDER_WALL, /* by AN_WALL_KEY_SQL, ties by seq: as the nodes' wall clocks stamped
                      them, i.e. what merging every node's log by timestamp gives */
};

/* The wall-order key of the events row aliased `e`, in SQL, for a statement whose ?1 is
 * the run id and ?2 the run's first rowid (0 when unknown): the wall reading of the
 * event's node; an event without a node (a fault on a group) has no clock of its own and
 * takes the key of the nearest earlier event of the run that has one, so that it sorts
 * right after that event (its neighbour in execution order); with none before it, it
 * sorts first. Sorting is SQLite's (spilling to temporary files), so memory stays
 * bounded whatever the run's length. */
#define AN_WALL_KEY_SQL                                                                    \
    "coalesce(e.wall_ns, (SELECT p.wall_ns FROM events p WHERE p.rowid < e.rowid"          \
    " AND p.rowid >= ?2 AND p.run_id = ?1 AND p.wall_ns IS NOT NULL"                      \
    " ORDER BY p.rowid DESC LIMIT 1), -9223372036854775807 - 1)"

/* As an_events_open, in the given order. In wall order every row is checked as in seq
 * order except that seqs are not consecutive: each must be below the run's event count
 * (and an_events_seen still counts the rows, to compare with it at the end). */
int an_events_open_ordered(struct an_db *db, const struct an_run *run, enum an_event_order order,
                           struct an_event_iter **out, char *err, size_t err_bytes);
/* 1 with *ev filled, 0 at the end, -1 on a damaged row (message in err). */
int an_events_next(struct an_event_iter *it, struct sim_event *ev, char *err, size_t err_bytes);
void an_events_close(struct an_event_iter *it);
/* Events decoded so far (after the end: all of them, to compare with runs.event_count). */
uint64_t an_events_seen(const struct an_event_iter *it);

/* The columns of an events row that an_event_decode reads, in its order, for a statement
 * that selects them first (as "SELECT " AN_EVENT_COLUMNS_SQL " FROM events ..."). */
#define AN_EVENT_COLUMNS_SQL \
    "seq, time_ns, node, kind, peer, obj_id, ref_id, detail, arg, mono_ns, wall_ns"
/* Decodes the current row of such a statement into *ev and checks what can be checked
 * without context (a known kind and aux, nodes below node_count); false on a damaged row.
 * The caller checks the seq against what it expects. */
bool an_event_decode(sqlite3_stmt *s, uint32_t node_count, struct sim_event *ev);

/* Formats a true or local time as seconds with 9 decimals ("12.000345678s"). */
char *an_format_time(int64_t ns, char *out, size_t out_bytes);

#endif
