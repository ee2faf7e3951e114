/* analysis/vclock.h - vector clocks over a recorded run, for tools that draw causality
 * without messages (ShiViz). Each event of a node ticks that node's own entry by one;
 * a delivery also takes the entry-wise maximum with the sender's clock at the send. So
 * event a happened before event b exactly when a's clock is below b's. Memory: one
 * vector per node and one per message in flight (freed at its last delivery or its
 * drop), so it grows with nodes squared, not with the run's length. */
#ifndef ANALYSIS_VCLOCK_H
#define ANALYSIS_VCLOCK_H

#include <stdint.h>

#include "sim/event.h"

#define AN_VCLOCK_NODES_MAX 1024u /* N^2 entries per run: 8 MiB at the bound */

struct an_vclock;

/* Returns 0, or -1 (node_count above the bound, or out of memory). */
int an_vclock_create(uint32_t node_count, struct an_vclock **out);
void an_vclock_free(struct an_vclock *vc);

/* Takes the next event (in execution order). Returns the clock of the event's node after
 * it (node_count entries, valid until the next call), or NULL for an event without a node
 * (a fault on a group), which ticks nothing. *is_oom set on allocation failure. */
const uint64_t *an_vclock_step(struct an_vclock *vc, const struct sim_event *ev, int *is_oom);

#endif
