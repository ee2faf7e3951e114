/* analysis/acc_lies.h - the accumulator of lies and attacks: LIE events (a Byzantine
 * node's policy distorted a send, sim/byz.c) counted per policy, and ATTACK events (an
 * attacker on a link acted in transit, sim/net.c) per kind.
 *
 * Metrics, in order (only if the run had at least one LIE or ATTACK event):
 *   lies.total, then lies.POLICY for every policy in enum sim_byz_policy order (alter,
 *   corrupt, drop, delay, duplicate, replay, flood), then attacks.total and
 *   attacks.KIND for every kind (corrupt, forge, replay); all counts, zeros included,
 *   so a sweep's table has the same rows for every run.
 * Memory: constant. */
#ifndef ANALYSIS_ACC_LIES_H
#define ANALYSIS_ACC_LIES_H

#include "metrics.h"

extern const struct an_acc_def an_acc_lies;

#endif
