/* analysis/history.h - where a history of operations for the linearizability checker
 * comes from: a recorded run's ops table, or a file of Jepsen-style operations, one JSON
 * object a line. Both are untrusted input: every row or line is checked, and a bad one
 * is an error naming it (file:line, or the op id), never a crash. */
#ifndef ANALYSIS_HISTORY_H
#define ANALYSIS_HISTORY_H

#include <stddef.h>

#include "analysis/db.h"
#include "analysis/linearizability.h"

#define AN_HISTORY_LINE_BYTES_MAX 65536u /* one line of a JSONL history */

enum an_history_status {
    AN_HISTORY_OK = 0,
    AN_HISTORY_BAD = -1, /* the input is not a history (message names where) */
    AN_HISTORY_IO = -2,  /* it could not be read */
};

/* The ops of `run` (positions: event seqs; process: the client node's index). */
int an_history_load_run(struct an_db *db, const struct an_run *run, struct lin_history *h,
                        char *err, size_t err_bytes);

/* A JSONL file: each line {"process":0,"type":"invoke|ok|fail|info","f":"read|write|cas",
 * "key":"x","value":3,"time":123}. A completion pairs with its process's open invoke (same
 * f); an ok read's value is what it read; a cas value is "OLD NEW" or [OLD, NEW]; key and
 * value are strings, integers or null; time (ns) is optional. Lines of process "nemesis"
 * are skipped; an invoke still open at the end is open (as info). Positions: line numbers. */
int an_history_load_jsonl(const char *path, struct lin_history *h, char *err, size_t err_bytes);

#endif
