/* checks/lease.h - the oracle "lease": did a lease and its fencing keep two writers of one
 * counter apart?
 *
 * It reads the claims of the lease models (models/lease_server.c, models/store_server.c):
 *   lease.grant (holder node, token)       the lock granted a lease
 *   store.accept (token, base_version)     the store applied a write made on base_version
 *   store.reject (token, highest token)    the store refused a write's stale token
 *   store.reject_read (token, highest)     ... and a read's
 * Per store node it counts the accepted writes, which is the store's version (every
 * accepted write moves it by one, store_server S2, from 0). A write accepted on a base
 * version below the current one is a lost update, a CONFLICT: some other holder wrote
 * after this writer read, so two clients wrote while both believed they held the lock.
 * Each conflict is a violation at the accept event, naming the seq of the first
 * intervening write's claim, and both writers' tokens and holders.
 *
 * Metrics at the end (only if a lease or store claim was seen): lease.grants,
 * lease.writes_accepted, lease.stale_rejected (writes refused), lease.stale_reads_rejected,
 * lease.conflicts, lease.forged_accepted (writes accepted with a token above every grant so
 * far: a Byzantine client's forgery, each also a violation).
 *
 * Memory: the last LEASE_ORACLE_RING grants (to name a token's holder) and, per store, the
 * last LEASE_ORACLE_RING accepted writes by version (to name the intervening write); a
 * write older than that is named by version only. Bounded by the scenario's node count,
 * never by run length. */
#ifndef CHECKS_LEASE_H
#define CHECKS_LEASE_H

#include "oracle.h"

#define LEASE_ORACLE_RING 1024u

extern const struct oracle_def oracle_lease;

#endif
