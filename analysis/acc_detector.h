/* analysis/acc_detector.h - failure-detector quality (Chen, Toueg and Aguilera, "On the
 * quality of service of failure detectors", 2002) from a run's SUSPECT and TRUST events
 * (murphy_suspect / murphy_trust) against the truth of CRASH, RESTART, PAUSE and RESUME.
 *
 * A pair (monitor, target) exists from the first heartbeat-class delivery from target to
 * monitor or the first verdict of monitor about target. Every pair starts trusted, and
 * again when its monitor crashes (a restarted node trusts everyone). A target is *up* when
 * it has not crashed (a paused node is up: correct, only slow); time while the monitor is
 * down counts for nothing.
 *  - T_D, detection time: from a target's crash to the start of the suspicion that lasts
 *    until its restart or the end of the run (0 if already suspected at the crash, and
 *    kept). A crash with no such suspicion is *undetected* (infinite T_D), counted apart.
 *  - A mistake: a suspicion that begins while the target is up. It lasts until the trust,
 *    the target's crash (from then on the suspicion is right) or the end: T_M, mistake
 *    duration. T_MR, mistake recurrence: between the starts of consecutive mistakes of a
 *    pair. P_A, query accuracy: the fraction of up-time (summed over pairs) in which the
 *    monitor trusts the target.
 *  - The false-suspicion rate: mistakes per pair-hour of up-time (and per pair-day), with
 *    the exact (Garwood) 95% Poisson interval for k events in exposure T:
 *      lower = chi2_inv(0.025; 2k) / 2T (0 when k = 0),  upper = chi2_inv(0.975; 2k+2) / 2T.
 *
 * Metrics, in order (none if the run has no pair): detector.pairs, detector.crashes (per
 * pair: a crash of a target that two monitors watch counts twice, as does its T_D),
 * detector.undetected, detector.mistakes, detector.mistakes_paused (those that began
 * while the target was paused) (count); detector.td_mean_ns, detector.td_max_ns (with a
 * detected crash); detector.tm_mean_ns (with a mistake); detector.tmr_mean_ns (with two
 * mistakes of one pair) (ns); detector.pa (ratio); detector.false_per_hour, _lo, _hi
 * (per_hour), detector.false_per_day, _lo, _hi (per_day). Memory: one entry per pair and
 * per node, whatever the run's length. */
#ifndef ANALYSIS_ACC_DETECTOR_H
#define ANALYSIS_ACC_DETECTOR_H

#include <stdint.h>

#include "metrics.h"

extern const struct an_acc_def an_acc_detector;

/* The exact (Garwood) two-sided 95% interval of a Poisson rate: k events in exposure
 * (any unit); the rate is per that unit. */
void an_poisson_rate_interval(uint64_t k, double exposure, double *lower, double *upper);

#endif
