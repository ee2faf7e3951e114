/* checks/fence.h - the oracle "fence": did the writes of elected leaders reach the storage
 * in term order, so that a leader replaced while it was paused (a zombie) changed nothing?
 *
 * It reads the claims of models/term_store.c:
 *   fence.accept (term, writer node)   the store applied a write of this term
 *   fence.reject (term, highest term)  the store refused it (fencing)
 * Per store node it keeps the highest term applied and who wrote it. Violations, at the
 * accept event, naming the earlier write by seq:
 *   - a write applied with a term BELOW the highest already applied: a deposed leader
 *     acted after its successor had (two leaders acting at once; fence.stale_accepted);
 *   - a write applied with the highest term but from another writer than the term's first
 *     (two leaders acting in one term; fence.same_term_writers). Only without a majority
 *     vote (elect_node naive) can a term have two leaders.
 * Metrics at the end (only if a fence claim was seen): fence.writes_accepted,
 * fence.writes_rejected, fence.stale_accepted, fence.same_term_writers,
 * fence.terms_written (how often the highest applied term went up: leaders that got a
 * write in), fence.newest_term_writes (writes applied in each store's highest term: the
 * latest leader is live).
 *
 * Memory: a fixed record per node of the scenario. */
#ifndef CHECKS_FENCE_H
#define CHECKS_FENCE_H

#include "oracle.h"

extern const struct oracle_def oracle_fence;

#endif
