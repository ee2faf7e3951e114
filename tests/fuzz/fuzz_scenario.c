/* tests/fuzz/fuzz_scenario.c - the scenario parser on any bytes, as `murphy run FILE`
 * would read them (the built-in models), and when a scenario loads, a world built from it
 * and run for a few thousand events: a file that parses must never crash the kernel.
 * Scenarios with more than 64 nodes only parse (a fuzzer that asks for 65,535 nodes
 * tests the allocator, not us). */
#include <stdint.h>
#include <stdlib.h>

#include "models/models.h"
#include "sim/scenario.h"
#include "sim/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS_RUN 3000u
#define NODES_RUN_MAX 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    struct sim_scenario scn;
    struct sim_diag diag;
    if (sim_scn_load_text("fuzz.ini", (const char *)data, size, NULL, 0, models_builtin(), &scn,
                          &diag) != 0)
        return 0;
    struct sim_world *world = NULL;
    if (scn.node_count <= NODES_RUN_MAX && sim_world_create(&scn, 1, &world, &diag) == 0) {
        sim_world_run(world, EVENTS_RUN, NULL);
        sim_world_destroy(world);
    }
    sim_scn_free(&scn);
    return 0;
}
