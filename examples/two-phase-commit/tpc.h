/* tpc.h - two-phase commit for murphy, out of tree: the two models and the oracle this
 * library offers (plugin.c returns them to `murphy --model-lib`). */
#ifndef TPC_H
#define TPC_H

#include <murphy/murphy.h>

/* Bounds of every duration parameter: 1 ms .. 1 h. */
#define TPC_DURATION_NS_MIN INT64_C(1000000)
#define TPC_DURATION_NS_MAX INT64_C(3600000000000)

extern const struct murphy_model tpc_coordinator;
extern const struct murphy_model tpc_participant;
extern const struct murphy_oracle tpc_atomicity;

#endif
