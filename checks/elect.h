/* checks/elect.h - the oracle "elect": did leader election keep one leader per term, and
 * how long was the cluster without one after a partition healed?
 *
 * It reads the claims of models/elect_node.c:
 *   elect.leader (term, 0)    a node became leader of term: it believes it leads from here
 *   elect.act (term, 0)       a leader acted in term
 *   elect.stepdown (term, 0)  it stopped believing (a crash of the node ends it too)
 * Violations (Raft's Election Safety, judged on true time):
 *   - a node becomes leader of a term while another node believes it leads that same term
 *     (two leaders at one instant in one term): at the second elect.leader, naming both
 *     claims by seq;
 *   - a node acts in a term in which another node has acted (two distinct actors of one
 *     term): at the act, naming the other's last act in that term by seq.
 *   At most one violation per pair of nodes and term.
 * Counted, not a violation: elect.overlaps, the elect.leader claims made while a node
 *   believed it led an OLDER term (two leaders at once in different terms). A lease keeps
 *   this rare, not impossible (clock rates, a pause between the check and the act); the
 *   old term's leader can no longer win a majority, so it cannot corrupt what a majority
 *   decides, but its acts are stale.
 * Liveness: for each heal (a fault event `heal`), the time from the heal to the next
 *   elect.leader claim; 0 if a node was leader at the heal and no moment without a leader
 *   came before the next fault or the end; to the next fault or the end if no leader came.
 *
 * Metrics at the end (only if an elect claim was seen): elect.leaders (elect.leader
 * claims), elect.terms (the highest term anyone led), elect.acts, elect.conflicts (the
 * violations), elect.overlaps, elect.heals, elect.leaderless_max_ns (the largest of the
 * per-heal times above; 0 without heals).
 *
 * Memory: a fixed record per node (what it leads, its last act), bounded by the node count. */
#ifndef CHECKS_ELECT_H
#define CHECKS_ELECT_H

#include "oracle.h"

extern const struct oracle_def oracle_elect;

#endif
