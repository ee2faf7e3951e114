/* checks/lww.h - the oracle "lww": acknowledged writes that last-write-wins silently lost
 * to a writer's clock (an acknowledged write shadowed by one acknowledged before it began,
 * with a larger timestamp). Follows the claims "lww.invoke", "lww.ack" and "lww.gave_up"
 * (see checks/lww.c). Metrics: lww.acked, lww.lost. */
#ifndef CHECKS_LWW_H
#define CHECKS_LWW_H

#include "oracle.h"

extern const struct oracle_def oracle_lww;

#endif
