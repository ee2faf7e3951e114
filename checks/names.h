/* checks/names.h - the oracle "names": one name given to two clients, or a fencing token
 * of a name that went backwards or came twice. Follows the claims "name.accepted" (name
 * id, client), "name.proposed" and "name.granted" (name id, token) of
 * models/name_registry.c and "name.attempt" of models/name_client.c (see
 * checks/names.c). Metrics: names.attempts, names.accepted, names.duplicates,
 * names.tokens_issued, names.token_regressions, names.token_reorders,
 * names.tokens_unchecked. */
#ifndef CHECKS_NAMES_H
#define CHECKS_NAMES_H

#include "oracle.h"

extern const struct oracle_def oracle_names;

#endif
