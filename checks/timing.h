/* checks/timing.h - the oracle "timing": timeouts that fired far from their intended
 * duration (early or late by true time) and periodic jobs that ran a slot twice or never.
 * It follows the claims "timeout.start", "timeout.slack", "timeout.fire" and "job.run"
 * (see checks/timing.c for what each means and for the tolerance). */
#ifndef CHECKS_TIMING_H
#define CHECKS_TIMING_H

#include "oracle.h"

extern const struct oracle_def oracle_timing;

#endif
