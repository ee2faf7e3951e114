/* checks/om.h - the oracle "om": did the oral-messages protocol (models/om_general.c)
 * keep Lamport, Shostak and Pease's conditions, judged with what only the simulator
 * knows: which generals are traitors (the nodes a `byzantine` fault turned, read from
 * its FAULT event and the run's fault table).
 *
 * It reads the claims:
 *   om.order (value, 0)        the commander's order
 *   om.decide (value, 0)       a lieutenant's decision
 *   om.reject (reason, source) a message a general refused (reason 2: bad checksum)
 * Violations, at the loyal decision that breaks them (traitors' claims are ignored):
 *   - agreement (condition A): every loyal general decides the same plan; a loyal
 *     commander's plan is its order, so a loyal lieutenant that decides otherwise than a
 *     loyal commander, or than an earlier loyal lieutenant, breaks it (naming that claim);
 *   - validity (IC2): with a loyal commander, every loyal lieutenant decides its order;
 *   - liveness floor: at the end, a loyal lieutenant that never decided (reported at the
 *     last event, naming the node).
 * Lieutenants are the generals other than the commander: the nodes that are not the one
 * claiming om.order, of the model's group; the oracle counts those that decided.
 *
 * Metrics at the end (only if an om claim was seen): om.decisions (loyal lieutenants'
 * decisions), om.agreement and om.validity (1 held, 0 broken; validity is 1 with a
 * traitor commander, where it says nothing), om.sends (every SEND of the run), om.rejects
 * (om.reject claims of loyal generals), om.rejects_checksum (of those, reason 2),
 * om.corrupted (messages the record says were corrupted: by link `corrupt`, an `attack`
 * corruption, or both; one message counted once), om.traitors.
 *
 * Memory: a record per node. */
#ifndef CHECKS_OM_H
#define CHECKS_OM_H

#include "oracle.h"

extern const struct oracle_def oracle_om;

#endif
