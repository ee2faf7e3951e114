/* sim/fault.c - faults at fixed times: partitions and one-way cuts, heals, crashes,
 * restarts, pauses, clock steps and drift changes. Every fault is scheduled at world creation in file order (so
 * faults at one instant apply in that order) and is an event when it applies, whether
 * or not it touched anything; what it did follows as its own events. */
#include "internal.h"

int sim__faults_schedule(struct sim_world *world)
{
    const struct sim_scenario *scn = world->scn;
    for (uint32_t i = 0; i < scn->fault_count; i++)
        sim__schedule(world, scn->faults[i].at_ns, SIM_Q_FAULT, i, 0);
    return world->is_out_of_memory ? -1 : 0;
}

void sim__fault_apply(struct sim_world *world, uint32_t index)
{
    const struct sim_fault *f = &world->scn->faults[index];
    uint32_t node = f->a.count == 1 ? f->a.first : SIM_NODE_NONE;
    uint32_t peer = f->b.count == 1 ? f->b.first : SIM_NODE_NONE;
    sim__emit(world, SIM_EV_FAULT, node, peer, f->action, index, 0, f->duration_ns, NULL);
    switch (f->action) {
    case SIM_FAULT_PARTITION:
        sim__net_cut(world, index, f->a, f->b);
        sim__net_cut(world, index, f->b, f->a);
        break;
    case SIM_FAULT_CUT: sim__net_cut(world, index, f->a, f->b); break;
    case SIM_FAULT_HEAL:
        sim__net_heal(world, f->heal_fault == UINT32_MAX ? NULL
                                                         : world->scn->faults[f->heal_fault].name);
        break;
    case SIM_FAULT_CRASH:
        for (uint32_t i = 0; i < f->a.count; i++) sim__node_crash(world, f->a.first + i);
        break;
    case SIM_FAULT_RESTART:
        for (uint32_t i = 0; i < f->a.count; i++) sim__node_restart(world, f->a.first + i);
        break;
    case SIM_FAULT_PAUSE:
        for (uint32_t i = 0; i < f->a.count; i++)
            sim__node_pause(world, f->a.first + i, f->duration_ns, index);
        break;
    case SIM_FAULT_STEP:
    case SIM_FAULT_DRIFT:
        for (uint32_t i = 0; i < f->a.count; i++) sim__clock_fault(world, f->a.first + i, f, index);
        break;
    default: SIM_UNREACHABLE("unknown fault action");
    }
}
