/* checks/stamps.h - the oracle "stamps": writes stamped with bad time (further than the
 * cluster's max_offset from true time) that were accepted. Follows the claims
 * "stamp.write", "stamp.accepted" and "guard.eject" (see checks/stamps.c). Metrics:
 * stamps.accepted, stamps.bad_accepted, stamps.worst_error_ns, guard.ejects. */
#ifndef CHECKS_STAMPS_H
#define CHECKS_STAMPS_H

#include "oracle.h"

extern const struct oracle_def oracle_stamps;

#endif
