/* checks/names.h - the oracle "names": one name given to two clients. Follows the claims
 * "name.accepted" (name id, client) of models/name_registry.c and "name.attempt" of
 * models/name_client.c (see checks/names.c). Metrics: names.attempts, names.accepted,
 * names.duplicates. */
#ifndef CHECKS_NAMES_H
#define CHECKS_NAMES_H

#include "oracle.h"

extern const struct oracle_def oracle_names;

#endif
