/* cli/run_once.h - one (scenario, overrides, seed) executed in this process the way
 * `murphy run` executes it: the oracles, the timeout-cause labels and the accumulators fed
 * live, the events recorded to a database only when one is given. What sweep and search
 * share: both run many seeds without recording, and keep full records of a few. */
#ifndef CLI_RUN_ONCE_H
#define CLI_RUN_ONCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_RUN_STATUS_BYTES 16
#define CLI_RUN_SOURCE_BYTES 64
#define CLI_RUN_TEXT_BYTES 512

/* Plain data (no pointers), so a worker can send it to its parent as bytes. */
struct cli_run_result {
    uint64_t seed;
    uint64_t event_hash;
    uint64_t event_count;
    int64_t end_ns;        /* simulated time the run reached */
    uint64_t violations;   /* the models' and the oracles' */
    uint64_t clamp_count;
    int64_t run_id;        /* its row in `runs` when recorded; else 0 */
    char status[CLI_RUN_STATUS_BYTES]; /* "ok", "violated", "incomplete" */
    /* the violation at the lowest seq (the first reported among equals) */
    bool has_first_violation;
    uint64_t first_violation_seq;
    char first_violation_source[CLI_RUN_SOURCE_BYTES]; /* "model" or "oracle:NAME" */
    char first_violation_text[CLI_RUN_TEXT_BYTES];     /* cut to fit; raw: print with cli_safe */
};

/* Receives each metric of the run as it is reported (after it is recorded, if it is). */
struct cli_run_metrics {
    void *ctx;
    void (*metric)(void *ctx, const char *name, double value, const char *unit);
};

/* Loads scenario_path with the overrides (in `murphy run --set` order) and runs seed to
 * its end (or until cli_interrupt), with db_path as `murphy run --db db_path` would record
 * it, or with no record when db_path is NULL: the hash is the same either way. metrics
 * may be NULL. Returns an exit status: 0 once the run has ended (its verdict is in
 * out->status, not in the return), 2 a bad scenario or override (printed), 3 a database
 * or memory error, 128+N interrupted by signal N. */
int cli_run_once(const char *scenario_path, const char *const *overrides,
                 size_t override_count, uint64_t seed, const char *db_path,
                 const struct cli_run_metrics *metrics, struct cli_run_result *out);

/* Receives every violation of the run (the models' and the oracles'), in the order they
 * are reported, not only the first: what `murphy shrink` needs to tell one kind from
 * another. source is "model" or "oracle:NAME"; both texts are borrowed for the call. */
struct cli_run_violations {
    void *ctx;
    void (*violation)(void *ctx, uint64_t seq, const char *source, const char *text);
};

/* As cli_run_once, with the scenario given as text in memory (as replay loads a stored
 * one): scenario_path labels it in diagnostics and is the path a record stores, and
 * files it names are found relative to it. violations may be NULL. */
int cli_run_once_text(const char *scenario_path, const char *text, size_t text_bytes,
                      const char *const *overrides, size_t override_count, uint64_t seed,
                      const char *db_path, const struct cli_run_metrics *metrics,
                      const struct cli_run_violations *violations, struct cli_run_result *out);

#endif
