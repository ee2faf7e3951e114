/* sim/fault.c - faults at fixed times: partitions and one-way cuts, link degradations,
 * heals, crashes, restarts, pauses, clock steps, drift changes and nodes turning
 * Byzantine. Every fault of the
 * world's table (the file's, then the nemesis's) is scheduled at world creation in table
 * order (so faults at one instant apply in that order) and is an event when it applies,
 * whether or not it touched anything; what it did follows as its own events. A side
 * given as a node list acts on every range of it; cuts go between every pair of ranges. */
#include "internal.h"

int sim__faults_schedule(struct sim_world *world)
{
    for (uint32_t i = 0; i < world->fault_count; i++)
        sim__schedule(world, world->faults[i].at_ns, SIM_Q_FAULT, i, 0);
    return world->is_out_of_memory ? -1 : 0;
}

/* The one node of a side, or SIM_NODE_NONE when it holds none or several. */
static uint32_t single_node(const struct sim_node_set *set)
{
    return sim_node_set_count(set) == 1 ? set->ranges[0].first : SIM_NODE_NONE;
}

static void cut_sets(struct sim_world *world, uint32_t index, const struct sim_node_set *from,
                     const struct sim_node_set *to, bool is_degrade)
{
    for (uint32_t i = 0; i < from->range_count; i++)
        for (uint32_t j = 0; j < to->range_count; j++) {
            if (is_degrade) sim__net_degrade(world, index, from->ranges[i], to->ranges[j]);
            else sim__net_cut(world, index, from->ranges[i], to->ranges[j]);
        }
}

void sim__fault_apply(struct sim_world *world, uint32_t index)
{
    SIM_ASSERT(index < world->fault_count);
    const struct sim_fault *f = &world->faults[index];
    sim__emit(world, SIM_EV_FAULT, single_node(&f->a), single_node(&f->b), f->action, index, 0,
              f->duration_ns, NULL);
    switch (f->action) {
    case SIM_FAULT_PARTITION:
        cut_sets(world, index, &f->a, &f->b, false);
        cut_sets(world, index, &f->b, &f->a, false);
        return;
    case SIM_FAULT_CUT: cut_sets(world, index, &f->a, &f->b, false); return;
    case SIM_FAULT_DEGRADE:
        cut_sets(world, index, &f->a, &f->b, true);
        if (f->is_both_ways) cut_sets(world, index, &f->b, &f->a, true);
        return;
    case SIM_FAULT_HEAL:
        sim__net_heal(world, f->heal_fault == UINT32_MAX ? NULL
                                                         : world->faults[f->heal_fault].name);
        return;
    default: break;
    }
    for (uint32_t r = 0; r < f->a.range_count; r++) {
        struct sim_node_range range = f->a.ranges[r];
        for (uint32_t i = 0; i < range.count; i++) {
            uint32_t node = range.first + i;
            switch (f->action) {
            case SIM_FAULT_CRASH: sim__node_crash(world, node); break;
            case SIM_FAULT_RESTART: sim__node_restart(world, node); break;
            case SIM_FAULT_PAUSE: sim__node_pause(world, node, f->duration_ns, index); break;
            case SIM_FAULT_STEP:
            case SIM_FAULT_DRIFT: sim__clock_fault(world, node, f, index); break;
            case SIM_FAULT_BYZANTINE: sim__byz_start(world, node, index); break;
            default: SIM_UNREACHABLE("unknown fault action");
            }
        }
    }
}
