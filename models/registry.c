/* models/registry.c - the set of in-tree models. The kernel never names a model: the
 * command layer hands it this set (plus any loaded from --model-lib). */
#include "models.h"

static const struct murphy_model *const builtin[] = {
    &models_echo_server,
    &models_client,
    &models_alarm,
    &models_lease_server,
    &models_lease_client,
    &models_store_server,
    &models_lww_replica,
    &models_lww_client,
    &models_name_registry,
    &models_name_client,
    &models_time_server,
    &models_clock_guard,
    &models_cache_server,
    &models_cache_client,
    &models_rtx_client,
    &models_fd_heartbeat,
    &models_fd_monitor,
    &models_queue_server,
    &models_load,
    &models_busy_server,
    &models_failover_client,
    &models_elect_node,
    &models_quorum_replica,
    &models_quorum_client,
    &models_elect_writer,
    &models_term_store,
    &models_member_node,
    &models_kv_service,
    &models_hostile_client,
    &models_om_general,
};

static const struct murphy_model_set builtin_set = {
    .models = builtin,
    .model_count = sizeof builtin / sizeof builtin[0],
};

const struct murphy_model_set *models_builtin(void) { return &builtin_set; }
