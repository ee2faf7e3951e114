/* sim/inspect.h - the read-only view oracles (checks/) have of a running world: true
 * time and every node's true state. Nothing here changes the world. */
#ifndef SIM_INSPECT_H
#define SIM_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

struct sim_world;

int64_t sim_inspect_now_ns(const struct sim_world *world);
uint32_t sim_inspect_node_count(const struct sim_world *world);
const char *sim_inspect_node_name(const struct sim_world *world, uint32_t node);
bool sim_inspect_node_is_crashed(const struct sim_world *world, uint32_t node);
bool sim_inspect_node_is_paused(const struct sim_world *world, uint32_t node);
bool sim_inspect_node_is_busy(const struct sim_world *world, uint32_t node);
/* The node's model state, read-only. */
const void *sim_inspect_node_durable(const struct sim_world *world, uint32_t node);
const void *sim_inspect_node_volatile(const struct sim_world *world, uint32_t node);

#endif
