/* sim/record.h - the recorder: writes runs and their event streams to SQLite.
 *
 * One database holds many runs. The recorder opens it in WAL mode with a busy timeout,
 * keeps `events` an append-only rowid table with no secondary index (each run stores its
 * first and last rowid instead), writes rows with multi-row INSERTs of bound parameters
 * only, and commits in batches: a process killed at any moment leaves whole batches and
 * a run still marked `running`, which readers show as incomplete once its writer is gone.
 * As an observer it draws no randomness and schedules nothing. The schema is in
 * docs/record.md; its version is SIM_RECORD_SCHEMA_VERSION. */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "scenario.h"
#include "world.h"

#define SIM_RECORD_SCHEMA_VERSION 1
/* Rows per COMMIT: large enough to amortise the WAL sync, small enough that a kill
 * loses well under a second of a run. */
#define SIM_RECORD_BATCH_ROWS 50000u

struct sim_recorder;

/* What a run records about where and how it ran (outside the hash). */
struct sim_run_meta {
    const char *program_version;
    const char *model_libs;     /* "path sha256" lines; "" for none */
    const char *host;
    int64_t pid;
    const char *started_at;     /* host time, ISO 8601 UTC */
    const char *platform;       /* "linux-x86_64-glibc" */
    const char *glibc_version;
    const char *gsl_version;
};

/* Opens (creating if needed) the database for writing. */
int sim_rec_open(const char *path, struct sim_recorder **out, struct sim_diag *diag);
/* The same, with the file limited to max_pages pages of 64 KiB (PRAGMA max_page_count;
 * 0: no limit): past it every write fails as on a full disk. What the tests use to make
 * a disk full without a small file system. */
int sim_rec_open_limited(const char *path, uint64_t max_pages, struct sim_recorder **out,
                         struct sim_diag *diag);
/* Closes; a run still open is marked incomplete first. */
void sim_rec_close(struct sim_recorder *rec);

/* Inserts the run of `world` (its scenario and seed, status `running`) with its nodes,
 * link rules and faults (the world's: the file's and its nemesis's), committed before the
 * first event, and returns its id. */
int sim_rec_begin_run(struct sim_recorder *rec, const struct sim_world *world,
                      const struct sim_run_meta *meta, int64_t *run_id, struct sim_diag *diag);

/* The observer that records every event of the run begun last. */
struct sim_observer sim_rec_observer(struct sim_recorder *rec);

/* An oracle's annotation about event `seq` (copied). */
void sim_rec_annotate(struct sim_recorder *rec, uint64_t seq, uint32_t node, const char *kind,
                      const char *text);
/* An oracle's violation at event `at` (its seq, node and true time); texts copied.
 * `source` names the oracle ("oracle:lease"); the text names the other events. */
void sim_rec_violation(struct sim_recorder *rec, const struct sim_event *at, const char *source,
                       const char *text);
/* A named metric of the run. */
void sim_rec_metric(struct sim_recorder *rec, const char *name, double value, const char *unit);

/* How a run ended, as stored in its `runs` row. */
struct sim_run_result {
    const char *status;     /* "ok", "violated", "incomplete" or "error" */
    const char *end_reason; /* sim_run_end_name() or an error */
    const char *ended_at;   /* host time, ISO 8601 UTC (the caller reads the clock) */
    int64_t end_ns;         /* true time at the end */
    uint64_t event_count;
    uint64_t event_hash;
    uint64_t violation_count;
    uint64_t clamp_count;
};

/* Flushes, writes operations still open as `info`, and stores the result. */
int sim_rec_end_run(struct sim_recorder *rec, const struct sim_run_result *result,
                    struct sim_diag *diag);

#endif
