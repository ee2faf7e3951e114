/* cli/sweep.h - what `murphy sweep` and `murphy merge` share: a sweep's identity, its rows
 * (one per grid point x seed: hash, status, metrics), their storage in the sweep tables of
 * a record (docs/record.md) and the table printed from them.
 *
 * Every aggregate is computed from rows sorted by (point, seed) and summed in that order,
 * so a sweep merged from shards prints and stores exactly what one process would. */
#ifndef CLI_SWEEP_H
#define CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SWEEP_NAME_BYTES 96
#define SWEEP_UNIT_BYTES 24
#define SWEEP_STATUS_BYTES 16

struct sweep_metric {
    char name[SWEEP_NAME_BYTES];
    char unit[SWEEP_UNIT_BYTES];
    double value;
};

struct sweep_row {
    uint32_t point;
    uint64_t seed;
    uint64_t event_hash;
    uint64_t event_count;
    int64_t end_ns; /* simulated time the run reached */
    uint64_t violations;
    int64_t run_id; /* with --full: the run recorded in `runs`; else 0 */
    char status[SWEEP_STATUS_BYTES]; /* "ok", "violated", "incomplete" */
    size_t metric_count;
    struct sweep_metric *metrics; /* owned, in the order the run reported them */
};

/* What makes two shards parts of the same sweep (all compared by merge), and what the
 * table and the re-run commands need. Strings are owned. */
struct sweep_spec {
    int64_t id;           /* its row in `sweeps` when read back; 0 before it is stored */
    char *scenario;       /* the scenario's name */
    char *scenario_path;  /* as found when the sweep ran; used in re-run commands */
    char *scenario_text;  /* the file's bytes */
    char *base_overrides; /* the fixed --set arguments, one per line */
    char *grid;           /* the swept --set arguments as given, one per line */
    char *seeds;          /* the --seeds argument */
    char *model_libs;     /* the --model-lib libraries, "PATH SHA256" lines ("" for none);
                             NULL when read from a sweep stored before the column existed
                             (unknown: such a sweep is never resumed) */
    uint32_t point_count;
    uint32_t seed_count;
    char **point_overrides; /* point_count entries: that point's K=V settings, one per line */
    bool is_complete;       /* read back: false while the sweep is unfinished (interrupted) */
};

void sweep_spec_free(struct sweep_spec *spec);
void sweep_rows_free(struct sweep_row *rows, size_t row_count);
/* Sorts by (point, seed). */
void sweep_rows_sort(struct sweep_row *rows, size_t row_count);

/* Stores spec and rows as a new sweep (`shard` says which slice: "1/1", "2/4", "merged")
 * in one transaction; the file becomes a schema-1 record if it is not one. Returns an exit
 * status (message printed). */
int sweep_store_write(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      const struct sweep_row *rows, size_t row_count, int64_t *sweep_id);
/* Reads sweep `sweep_id` of a database (the newest when it is 0), rows sorted. A sweep id
 * the database does not hold is a usage error (2). Returns an exit status. */
int sweep_store_read(const char *db_path, int64_t sweep_id, struct sweep_spec *spec,
                     struct sweep_row **rows, size_t *row_count);

/* Resuming. A sweep stores its rows as they come back (committed every SWEEP_FLUSH_S),
 * and is listed in `sweep_incomplete` until every run of its shard is stored. The same
 * command run again resumes the newest unfinished sweep of the same scenario text, fixed
 * and swept --set values, seeds, shard, program version and model libraries (their
 * SHA-256s): every (point, seed) is then the same (scenario text, overrides, seed,
 * version, libraries), so its stored row is its result.
 * A finished sweep is never resumed: running its command again is a new sweep. */

/* Finds that unfinished sweep in db_path (a missing file or one without sweeps: none,
 * *sweep_id = 0) and reads its stored rows, sorted. Returns an exit status. */
int sweep_resume_find(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      int64_t *sweep_id, struct sweep_row **rows, size_t *row_count);

struct sweep_writer;
/* Prepares to store the sweep's rows into db_path as they come (resumed_id: the sweep
 * found by sweep_resume_find, or 0 for a new one). Opens nothing yet: the database is
 * opened at the first commit, after any worker is forked. spec and shard are borrowed
 * until sweep_writer_close. Returns an exit status. */
int sweep_writer_open(const char *db_path, const struct sweep_spec *spec, const char *shard,
                      int64_t resumed_id, struct sweep_writer **w);
/* Takes row (its metrics move to the writer; row->metrics becomes NULL) and commits the
 * pending rows when the last commit is SWEEP_FLUSH_S old. Returns an exit status. */
int sweep_writer_add(struct sweep_writer *w, struct sweep_row *row);
/* Commits what is pending; with is_complete the sweep is marked finished in the same
 * transaction. *sweep_id is the sweep's id. Returns an exit status. */
int sweep_writer_finish(struct sweep_writer *w, bool is_complete, int64_t *sweep_id);
void sweep_writer_close(struct sweep_writer *w); /* NULL is fine */

/* The per-point table: runs and violations, then per metric mean (summed over seeds in
 * seed order), min and max. */
void sweep_print_table(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                       size_t row_count);
/* The same table in full precision as CSV. Returns an exit status. */
int sweep_write_csv(const char *path, const struct sweep_spec *spec,
                    const struct sweep_row *rows, size_t row_count);
/* `murphy run SCENARIO --seed S --set BASE... --set POINT...` for one row. */
void sweep_print_rerun(FILE *out, const struct sweep_spec *spec, const struct sweep_row *row);
/* The point with the most violations (and its first violated seed's re-run), or says
 * none broke anything. */
void sweep_print_worst(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                       size_t row_count);

/* The table (unless quiet), the worst point, the run count and, when wall_s >= 0, the
 * cost in wall seconds per simulated day. */
int cli_sweep_summary(FILE *out, const struct sweep_spec *spec, const struct sweep_row *rows,
                      size_t row_count, double wall_s, bool is_quiet);

#endif
