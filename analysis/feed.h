/* analysis/feed.h - a recorded run played back to an observer: its events in seq order,
 * each with the texts it had live (an operation's f, key and value; its result; a note's,
 * claim's or model violation's text), read back from the ops, annotations and violations
 * tables. What an accumulator or oracle computes from the feed equals what it computed
 * live, which is how a sweep's metrics and a report on a full record agree exactly.
 * Memory: one event and its texts at a time (SQLite sorts the side tables by seq). */
#ifndef ANALYSIS_FEED_H
#define ANALYSIS_FEED_H

#include <stddef.h>

#include "db.h"
#include "sim/world.h"

/* Feeds every event of the run to observer; returns 0, or -1 with a message (a damaged
 * record: an event's row, or a text that does not match its event's hash). */
int an_feed_run(struct an_db *db, const struct an_run *run, const struct sim_observer *observer,
                char *err, size_t err_bytes);

#endif
