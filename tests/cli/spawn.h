/* tests/cli/spawn.h - what the end-to-end suites share: running the real `murphy` binary
 * (MURPHY_BIN) in a separate process with fork/exec, its stdout and stderr captured to
 * files in a per-test temporary directory (mkdtemp), its wait status and resource usage
 * (wait4), and small readers for what murphy prints and records.
 *
 * Every test that spawns uses `.init = tmp_setup, .fini = tmp_teardown`; Criterion runs
 * each test in its own process, so the directory is that test's alone. Captured output,
 * files read and databases opened here are tracked, so that a failed assertion (which
 * leaves the test at once) leaks nothing under LeakSanitizer: teardown releases them. Set
 * MURPHY_TEST_KEEP=1 to keep the directories for a look after a failure. */
#ifndef TESTS_CLI_SPAWN_H
#define TESTS_CLI_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <sqlite3.h>

#define SPAWN_ARGS_MAX 64
#define SPAWN_TEXT_MAX 4096 /* command lines as quoted in messages */

/* --- the per-test temporary directory -------------------------------------------------- */

void tmp_setup(void);    /* mkdtemp; aborts the test if it cannot */
void tmp_teardown(void); /* removes the directory and everything in it */
const char *tmp_dir(void);
/* dir/name, in one of 16 rotating buffers (enough for one call's arguments). */
const char *tmp_path(const char *name);
/* MURPHY_SOURCE_DIR/relative, in the same rotating buffers. */
const char *source_path(const char *relative);

/* Writes bytes to path (created 0644, truncated); asserts on failure. */
void write_file(const char *path, const void *bytes, size_t byte_count);
/* Reads a whole file, NUL-terminated; NULL if it cannot be read. Free with text_free
 * (tmp_teardown frees what a failed assertion left behind). */
char *read_file(const char *path, size_t *byte_count);
void text_free(char *text);

/* --- spawning murphy ------------------------------------------------------------------- */

struct spawn_opts {
    const char *cwd;            /* NULL: the temporary directory (so a stray murphy.db
                                   lands there) */
    const char *const *env_add; /* NULL-terminated "NAME=value" entries added (or replacing) */
    bool is_unprivileged;       /* when run as root: the child runs as nobody (65534) */
    bool is_group_leader;       /* the child leads a new process group (its pid is the
                                   group's id), so kill(-pid, ...) reaches its workers */
};

struct spawn_child {
    pid_t pid;
    char out_path[4096];
    char err_path[4096];
    char cmd[SPAWN_TEXT_MAX]; /* "murphy run ..." for messages */
};

struct spawn_result {
    bool has_exited;  /* WIFEXITED */
    int exit_code;    /* when has_exited */
    bool has_signal;  /* WIFSIGNALED */
    int signo;        /* when has_signal */
    char *out, *err;  /* captured stdout and stderr, NUL-terminated; spawn_result_free */
    size_t out_bytes, err_bytes;
    struct rusage usage; /* of the child, from wait4 */
    double elapsed_s;
    char cmd[SPAWN_TEXT_MAX];
};

/* Starts MURPHY_BIN with argv (NULL-terminated, without the program name): stdin is
 * /dev/null, stdout and stderr go to fresh files in the temporary directory. Returns 0,
 * or -1 with errno set (nothing started). */
int spawn_start(struct spawn_child *child, const struct spawn_opts *opts,
                const char *const *argv);
/* Waits for the child (killing it with SIGKILL after timeout_s seconds, which fails the
 * test) and collects its status, usage and output. */
void spawn_wait(struct spawn_child *child, struct spawn_result *result, double timeout_s);
void spawn_result_free(struct spawn_result *result);

/* Runs murphy to completion: spawn_start + spawn_wait with a generous time limit. */
void spawn_run(struct spawn_result *result, const struct spawn_opts *opts,
               const char *const *argv);
/* The same with the arguments as a NULL-terminated list of strings. */
void murphy(struct spawn_result *result, ...) __attribute__((sentinel));

/* "exit 2", "killed by signal 9": the way a process ended, for messages. */
const char *spawn_describe(const struct spawn_result *result, char *out, size_t out_bytes);

/* Sleeps for ns nanoseconds (restarting after signals). */
void sleep_ns(int64_t ns);
/* Seconds on the monotonic clock. */
double now_s(void);

/* --- reading what murphy printed -------------------------------------------------------- */

/* The value of the first line "key: value" of text, without the newline; false if none. */
bool line_value(const char *text, const char *key, char *out, size_t out_bytes);
/* Parses the `hash: <16 hex>` line of a run's stdout; asserts it is there and well-formed. */
uint64_t result_hash(const struct spawn_result *result);
/* Parses the `events: N` line; asserts it is there. */
uint64_t result_events(const struct spawn_result *result);
/* Counts the lines of text that contain needle. */
size_t count_lines_with(const char *text, const char *needle);

/* Runs `murphy run SCENARIO --seed SEED --quiet` with extra arguments (NULL-terminated
 * list, may be empty) and returns the hash; asserts exit status 0. */
uint64_t run_hash(const char *scenario, uint64_t seed, ...) __attribute__((sentinel));

/* --- recorded runs ----------------------------------------------------------------------- */

/* What `murphy run ... --quiet` reported. */
struct recorded {
    int exit_code;
    int64_t run_id;  /* 0 with --no-db */
    uint64_t hash;
    uint64_t events;
    char status[64]; /* the `status:` line's value ("ok (duration reached)"); "" if none */
};

/* expected_exit of a run whose verdict the test reads itself: 0 (ok) or 1 (violated). */
#define RUN_EXIT_OK_OR_VIOLATED (-1)

/* Asserts that the process exited with expected_exit (or RUN_EXIT_OK_OR_VIOLATED); the
 * message quotes its output. */
void assert_exit(const struct spawn_result *result, int expected_exit);

/* Starts `murphy run SCENARIO --seed SEED (--db DB_PATH | --no-db) --quiet [EXTRA_ARGS...]`
 * (db_path NULL: --no-db; extra_args NULL-terminated, NULL for none); asserts it started.
 * Runs started side by side are collected with record_run_wait in any order. */
void record_run_start(struct spawn_child *child, const char *db_path, const char *scenario,
                      uint64_t seed, const char *const *extra_args);
/* Waits for a run started by record_run_start with the same db_path; asserts it exited
 * with expected_exit (or RUN_EXIT_OK_OR_VIOLATED) and printed its event count, hash and,
 * with a database, its run id. */
struct recorded record_run_wait(struct spawn_child *child, const char *db_path,
                                int expected_exit);
/* record_run_start and record_run_wait: one run to completion. */
struct recorded record_run_argv(const char *db_path, const char *scenario, uint64_t seed,
                                int expected_exit, const char *const *extra_args);
/* record_run_argv into db_path, expecting exit 0, with at most one extra key and value
 * (extra_key NULL: none). */
struct recorded record_run(const char *db_path, const char *scenario, uint64_t seed,
                           const char *extra_key, const char *extra_value);

/* Asserts that a `murphy replay` of rec exited 0 and printed "identical: N events, hash H
 * (run ID," with rec's event count, hash and run id. */
void assert_says_identical(const struct spawn_result *result, const struct recorded *rec);
/* `murphy replay DB_PATH --run ID` of rec; asserts it says identical (above). */
void assert_replay_identical(const char *db_path, const struct recorded *rec);

/* --- reading and changing records with the SQLite C API --------------------------------- */

/* In the helpers below, sql may use the parameters ?1 and ?2, bound to p1 and p2. */

/* Opens a database (read-only or read-write); asserts it opens. Close with db_close
 * (tmp_teardown closes what a failed assertion left open). */
sqlite3 *db_open(const char *path, bool is_writable);
/* Finalizes the handle's statements and closes it; any handle, NULL is fine. */
void db_close(sqlite3 *db);
/* Deletes a database file and its -wal and -shm companions (long seed loops keep the
 * temporary directory small); missing files are fine. */
void db_remove(const char *path);
/* The first column of the first row of sql as an int64 (NULL reads 0); asserts the
 * statement prepares and yields a row. */
int64_t db_int(sqlite3 *db, const char *sql, int64_t p1, int64_t p2);
/* The same with ?1 bound to p1 and ?2, ?3 to the texts t2, t3 (NULL binds NULL). */
int64_t db_int_text(sqlite3 *db, const char *sql, int64_t p1, const char *t2, const char *t3);
/* The first column of the first row as text into out; false if no row or NULL. */
bool db_text(sqlite3 *db, const char *sql, int64_t p1, char *out, size_t out_bytes);
/* Runs sql (no rows expected); asserts it succeeds; returns sqlite3_changes(). */
int64_t db_exec(sqlite3 *db, const char *sql, int64_t p1, int64_t p2);
/* True if the statement prepares (its tables and columns exist). */
bool db_prepares(sqlite3 *db, const char *sql);

/* The value of the run's metric called name; asserts the run reported it exactly once. */
double db_metric(sqlite3 *db, int64_t run_id, const char *name);
/* The same for a count: the value truncated to an integer. */
int64_t db_metric_count(sqlite3 *db, int64_t run_id, const char *name);
/* The index of the run's node called name; asserts there is exactly one. */
int64_t db_node(sqlite3 *db, int64_t run_id, const char *name);

/* The accumulators (analysis/metrics.h) fed the recorded run back (analysis/feed.h) give
 * the metrics the run stored live: the same names in the same order, equal to the last
 * bit (the record's oracle metrics in between are skipped). Asserts at least one. */
void assert_metrics_replay_equal_live(const char *db_path, int64_t run_id);

#endif
