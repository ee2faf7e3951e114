/* models/models.h - the in-tree models, offered to the kernel as one set. Each model is
 * one file and uses only the public API (include/murphy/). */
#ifndef MODELS_MODELS_H
#define MODELS_MODELS_H

#include "murphy/murphy.h"

extern const struct murphy_model models_echo_server;
extern const struct murphy_model models_client;
extern const struct murphy_model models_alarm;
extern const struct murphy_model models_lease_server;
extern const struct murphy_model models_lease_client;
extern const struct murphy_model models_store_server;
extern const struct murphy_model models_lww_replica;
extern const struct murphy_model models_lww_client;
extern const struct murphy_model models_name_registry;
extern const struct murphy_model models_name_client;
extern const struct murphy_model models_time_server;
extern const struct murphy_model models_clock_guard;
extern const struct murphy_model models_cache_server;
extern const struct murphy_model models_cache_client;
extern const struct murphy_model models_rtx_client;
extern const struct murphy_model models_fd_heartbeat;
extern const struct murphy_model models_fd_monitor;
extern const struct murphy_model models_queue_server;
extern const struct murphy_model models_load;
extern const struct murphy_model models_busy_server;
extern const struct murphy_model models_failover_client;
extern const struct murphy_model models_elect_node;
extern const struct murphy_model models_quorum_replica;
extern const struct murphy_model models_quorum_client;
extern const struct murphy_model models_elect_writer;
extern const struct murphy_model models_term_store;
extern const struct murphy_model models_member_node;
extern const struct murphy_model models_kv_service;
extern const struct murphy_model models_hostile_client;
extern const struct murphy_model models_om_general;

/* Every in-tree model; the set is static and const. */
const struct murphy_model_set *models_builtin(void);

#endif
