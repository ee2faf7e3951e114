/* cli/search_store.h - the progress of an unfinished `murphy search`, so that the same
 * command run again skips the seeds already run.
 *
 * A search keeps its results in memory and writes no database unless a seed fails; when
 * it is interrupted (SIGINT, SIGTERM) it stores the results it has, keyed by the
 * scenario's text, the --set overrides, the program version and the --model-lib
 * libraries (their "PATH SHA256" lines), per seed: the five things a run is a function
 * of (docs/record.md, search_progress). A later search with
 * the same key takes those seeds' results instead of running them again, whatever its
 * --seeds range, --shard or --jobs; once it finishes, the progress is deleted, so a
 * finished search run again is a new search. SIGKILL leaves no progress (it is written
 * at the interrupt): the seeds are run again. */
#ifndef CLI_SEARCH_STORE_H
#define CLI_SEARCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run_once.h"

struct search_key {
    const char *scenario_text; /* the file's bytes */
    const char *overrides;     /* the --set arguments in order, one per line */
    const char *model_libs;    /* cli_model_libs_record(): "PATH SHA256" lines, "" for none */
};

/* Fills results[k] (status "ok" or "violated", run_id of a failing seed already recorded,
 * else 0) for each seeds[k] the stored progress holds, leaving the others zeroed;
 * *found counts them. A missing file or one without progress: none. Returns an exit
 * status. */
int search_progress_load(const char *db_path, const struct search_key *key,
                         const uint64_t *seeds, size_t seed_count,
                         struct cli_run_result *results, size_t *found);
/* Stores (replacing) every result with status "ok" or "violated". Returns an exit
 * status (message printed). */
int search_progress_save(const char *db_path, const struct search_key *key,
                         const struct cli_run_result *results, size_t count);
/* Deletes the key's progress. Returns an exit status. */
int search_progress_clear(const char *db_path, const struct search_key *key);

#endif
