/* models/time_server.c - a node that serves time and nothing else: point other nodes'
 * `clock_sync_server` at it.
 *
 * It has no callbacks on purpose. The time service is the kernel's time daemon
 * (sim/clocksync.c), which runs beside whatever model a node has, as ntpd runs beside an
 * application: it answers every TIME-class query with this node's wall clock, over links
 * that delay, lose and cut those messages like any other, and models never see them. A
 * node still needs a model, and reusing one that does something (echo_server) would make
 * a reader of the scenario wonder what it is serving; this one says what the node is for.
 * Its clock is whatever its group's clock keys say: with none, it is the reference. */
#include "models.h"

const struct murphy_model models_time_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "time_server",
    .summary = "a node that only serves time (the kernel's time daemon answers for it)",
    .durable_bytes = 0,
    .volatile_bytes = 0,
    .params = NULL,
    .param_count = 0,
};
