/* cli/cli.h - shared pieces of the `murphy` command: exit statuses, argument helpers,
 * scenario lookup, run metadata, printing. cli/ is the only layer that prints or exits. */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analysis/db.h"
#include "analysis/report.h"
#include "sim/diag.h"
#include "sim/record.h"

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_VIOLATED = 1,   /* a run broke an invariant */
    CLI_EXIT_USAGE = 2,      /* bad usage or bad input */
    CLI_EXIT_IO = 3,         /* I/O or database error */
    CLI_EXIT_DIVERGED = 4,   /* replay or determinism check diverged */
    CLI_EXIT_UNKNOWN = 5,    /* a checker gave up */
};

int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_why(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_shrink(int argc, char **argv);
int cmd_timeline(int argc, char **argv);

/* Set by SIGINT/SIGTERM to the signal number; runs stop between events. */
extern volatile sig_atomic_t cli_interrupt;
void cli_catch_signals(void);

/* Text from a record (or any untrusted source) made safe for a terminal: valid UTF-8 (any
 * language) passes; control bytes, DEL, C1 controls (U+0080..U+009F, and the bare bytes
 * 0x80-0x9f: CSI on 8-bit terminals), bidirectional overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069) and every byte of broken UTF-8 become \xNN; cut with "..." to fit out.
 * NULL reads "?". Returns out. */
const char *cli_safe(const char *s, char *out, size_t out_bytes);
/* The same, streamed to out without a length limit (NULL prints nothing). */
void cli_print_safe(FILE *out, const char *s);
bool cli_is_unsafe_byte(unsigned char c);

/* Prints "murphy: error: ..." (printf-style) to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a diagnostic in the compiler style; returns the exit status for its code. */
int cli_diag(const struct sim_diag *diag);
/* As cli_diag, quoting the --set argument a diagnostic is about. */
int cli_diag_overrides(const struct sim_diag *diag, const char *const *overrides,
                       size_t override_count);
int cli_exit_for(int sim_err);

/* True if argv[i] is opt; then *value = argv[i+1] (error if missing) and i advances. */
bool cli_opt(int argc, char **argv, int *i, const char *opt, const char **value, int *status);
int cli_parse_seed(const char *text, uint64_t *seed);
int cli_parse_u64(const char *text, const char *what, uint64_t *out);
int cli_parse_time(const char *text, const char *what, int64_t *ns);

#define CLI_SEEDS_MAX 10000000u /* runs of one sweep or search */
/* --seeds A..B or A,B,C (no seed twice): a malloc'd array the caller frees. */
int cli_parse_seeds(const char *text, uint64_t **seeds, size_t *count);
/* --shard K/N with K in 1..N. */
int cli_parse_shard(const char *text, uint64_t *k, uint64_t *n);
/* --jobs J within 1..CLI_JOBS_MAX. */
int cli_parse_jobs(const char *text, uint64_t *jobs);
bool cli_wants_help(int argc, char **argv);

/* The options `sweep` and `search` share, each written where the command keeps it:
 * --set (appended to sets, at most sets_max), --seeds, --jobs, --shard and --db. */
struct cli_batch_opts {
    const char **sets;
    size_t *set_count;
    size_t sets_max;
    const char **seeds;
    uint64_t *jobs;
    uint64_t *shard_k, *shard_n;
    const char **db_path;
};
/* True if argv[*i] is one of them (taken, *i advanced past its value; a bad value sets
 * *status to CLI_EXIT_USAGE with the error printed, naming cmd). */
bool cli_batch_opt(const char *cmd, int argc, char **argv, int *i,
                   const struct cli_batch_opts *o, int *status);

/* The rest of a command's argument loop: an unknown option, or its one scenario (a second
 * one is an error). Returns CLI_EXIT_OK or CLI_EXIT_USAGE (with the message printed). */
int cli_scenario_arg(const char *cmd, const char *arg, const char **scenario);
/* After the loop: CLI_EXIT_USAGE with a message if no scenario was given. */
int cli_scenario_given(const char *cmd, const char *scenario);
/* Parses `DB [--run ID]` for the reading commands (cmd names the command in errors).
 * Returns an exit status. */
int cli_parse_db_args(int argc, char **argv, const char *cmd, const char **db_path,
                      uint64_t *run_id);
/* Opens the database read-only and loads the run (the newest when run_id is 0); prints
 * what went wrong and returns the exit status. On success the caller frees both. */
int cli_open_run(const char *db_path, uint64_t run_id, struct an_db **db, struct an_run *run);
/* Opens the run as cli_open_run does, calls fn with it and closes it; returns fn's exit
 * status (or the opening's). What every reading command does around its own work. */
int cli_on_run(const char *db_path, uint64_t run_id,
               int (*fn)(struct an_db *db, const struct an_run *run, void *ctx), void *ctx);

/* Finds a scenario by path or by name in the scenario directories; returns 0 and writes
 * the path, or -1 (message printed). */
int cli_find_scenario(const char *name_or_path, char *path, size_t path_bytes);
/* Finds and loads a scenario with the in-tree models and the overrides; on failure the
 * error is printed (file:line:col, or the --set it came from) and the exit status
 * returned. The path found is written to path. */
int cli_load_scenario(const char *name_or_path, const char *const *overrides,
                      size_t override_count, char *path, size_t path_bytes,
                      struct sim_scenario *scn);
/* The scenario directories, in search order, separated by ':' (for messages). */
const char *cli_scenario_dirs(char *out, size_t out_bytes);

/* Host facts for a run's metadata (filled strings live in `meta_buf`). */
struct cli_meta_buf {
    char host[256];
    char started_at[32];
    char glibc[32];
    char gsl[32];
};
void cli_run_meta(struct sim_run_meta *meta, struct cli_meta_buf *buf);
/* sim_rec_open, with the test-only size cap MURPHY_TEST_MAX_PAGES (a full disk). */
int cli_rec_open(const char *path, struct sim_recorder **rec, struct sim_diag *diag);
void cli_now_iso(char *out, size_t out_bytes);
/* A whole file, NUL-terminated, malloc'd (the caller frees); NULL if it cannot be read. */
char *cli_read_file(const char *path);

/* Prints s single-quoted for a POSIX shell when it holds anything but safe characters. */
void cli_print_quoted(FILE *out, const char *s);
/* Prints " --model-lib PATH" for each library loaded (cli/model_libs.h), shell-quoted. */
void cli_print_model_libs(FILE *out);
/* Prints `murphy run ...` for the run, shell-quoted, so it can be pasted. */
void cli_print_reproduce(FILE *out, const char *scenario_path, uint64_t seed,
                         char *const *overrides, size_t override_count, const char *db_path,
                         uint64_t stop_at_seq);
void cli_print_report(FILE *out, const struct an_run *run, const struct an_report *report);
/* A node's name from the record made safe for a terminal ("-" for none, "?" past the
 * table), into out. */
const char *cli_node_name(const struct an_nodes *nodes, uint32_t node, char *out,
                          size_t out_bytes);
/* Prints what an event did (peer, message, timer...) as `murphy log` does after its kind. */
void cli_print_event_what(const struct sim_event *ev, const struct an_nodes *nodes);
/* Opens the database, builds the run's report and prints it; returns the exit status. */
int cli_report_run(const char *db_path, uint64_t run_id);

#endif
