/* sim/clocksync.c - what moves node clocks besides time: the sync discipline (step, slew
 * or ntpd's rule), measured against a perfect reference with a sampled error or against a
 * time server over the network; drift and step faults; leap seconds; random GC pauses;
 * periodic offset samples for reports.
 *
 * Sync over the network is a kernel daemon beside the model, as ntpd is beside an
 * application: its query and answer are TIME-class messages that links delay, lose and
 * cut like any other, that a paused or crashed node does not answer, and that models
 * never see. The offset comes from the four NTP timestamps, so asymmetric delay shows up
 * as error, as it does in NTP. Every correction is a CLOCK_SYNC event followed by the
 * CLOCK_STEP or CLOCK_RATE it caused; a rate change reschedules the node's timers.
 *
 * Invariants: monotonic time never goes back (steps move only the wall clock; slews are
 * bounded by clock_slew_max <= 10%); at most one slew per node is in force (a newer one
 * bumps clock_generation, so the older SLEW_END dies). */
#include "internal.h"

#include <string.h>

#include <xxhash.h>

#define SYNC_PAYLOAD_BYTES 32
/* A sample whose round trip exceeds this is discarded, as ntpd's clock filter would
 * discard it: a pause or a queue on the way made it meaningless. */
#define SYNC_RTT_NS_MAX SIM_NS_PER_S

static uint64_t job_entry(const struct murphy_node *n, enum sim_clock_job job)
{
    return (n->clock_generation << 8) | (uint64_t)job;
}

static void schedule_job(struct sim_world *world, struct murphy_node *n, int64_t at_ns,
                         enum sim_clock_job job)
{
    sim__schedule(world, at_ns, SIM_Q_CLOCK, n->index, job_entry(n, job));
}

/* Plans the node's next GC: both draws every time, so the sequence of pauses does not
 * depend on what the node was doing. */
static void plan_gc(struct sim_world *world, struct murphy_node *n)
{
    const struct sim_gc_cfg *gc = &n->group->gc;
    int64_t every_ns = sim_dist_sample_ns(&gc->every, n->gc_rng, NULL);
    n->gc_pause_ns = sim_dist_sample_ns(&gc->length, n->gc_rng, NULL);
    if (every_ns < 1) every_ns = 1; /* never two pauses planned for one instant */
    int64_t start_ns;
    if (sim_add_ns(world->now_ns, every_ns, &start_ns) != 0 || start_ns > SIM_RUN_NS_MAX) return;
    n->gc_start_ns = start_ns;
    if (gc->notice_ns > 0 && every_ns >= gc->notice_ns)
        sim__schedule(world, start_ns - gc->notice_ns, SIM_Q_GC, n->index, 0);
    sim__schedule(world, start_ns, SIM_Q_GC, n->index, 1);
}

int sim__clocks_schedule(struct sim_world *world)
{
    const struct sim_scenario *scn = world->scn;
    for (uint32_t i = 0; i < world->node_count; i++) {
        struct murphy_node *n = &world->nodes[i];
        const struct sim_clock_cfg *c = &n->group->clock;
        if (c->sync != SIM_SYNC_NONE) schedule_job(world, n, c->sync_every_ns, SIM_CLOCK_JOB_SYNC);
        if (c->leap == SIM_LEAP_STEP && scn->leap_at_ns >= 0)
            schedule_job(world, n, scn->leap_at_ns, SIM_CLOCK_JOB_LEAP);
        if (n->group->gc.is_on) plan_gc(world, n);
    }
    if (scn->clock_sample_ns > 0) sim__schedule(world, scn->clock_sample_ns, SIM_Q_SAMPLE, 0, 0);
    return world->is_out_of_memory ? -1 : 0;
}

static void set_rate(struct sim_world *world, struct murphy_node *n, int64_t base_ppb,
                     int64_t slew_ppb, enum sim_clock_cause cause)
{
    sim__clock_set_rate(&n->clock, world->now_ns, base_ppb, slew_ppb);
    sim__emit(world, SIM_EV_CLOCK_RATE, n->index, SIM_NODE_NONE, cause, 0, (uint64_t)slew_ppb,
              n->clock.drift_ppb, NULL);
    sim__node_reschedule_timers(world, n->index);
}

static void step_wall(struct sim_world *world, struct murphy_node *n, int64_t step_ns,
                      enum sim_clock_cause cause)
{
    sim__clock_step(&n->clock, world->now_ns, step_ns);
    sim__emit(world, SIM_EV_CLOCK_STEP, n->index, SIM_NODE_NONE, cause, 0, 0, step_ns, NULL);
}

/* Applies the node's discipline to a measured offset (local minus reference). */
static void correct(struct sim_world *world, struct murphy_node *n, int64_t offset_ns,
                    uint32_t server, int64_t rtt_ns)
{
    const struct sim_clock_cfg *c = &n->group->clock;
    int64_t magnitude_ns = offset_ns < 0 ? -offset_ns : offset_ns;
    bool is_step = c->sync == SIM_SYNC_STEP ||
                   (c->sync == SIM_SYNC_NTPD && magnitude_ns > c->step_threshold_ns);
    sim__emit(world, SIM_EV_CLOCK_SYNC, n->index, server,
              is_step ? SIM_SYNC_STEPPED : SIM_SYNC_SLEWED, (uint64_t)rtt_ns, 0, offset_ns, NULL);
    bool was_slewing = n->clock.slew_ppb != 0;
    n->clock_generation++; /* whatever happens, an older slew's end is void */
    if (is_step) {
        if (was_slewing) set_rate(world, n, n->clock.base_drift_ppb, 0, SIM_CLOCK_BY_SLEW_END);
        if (offset_ns != 0) step_wall(world, n, -offset_ns, SIM_CLOCK_BY_SYNC);
        return;
    }
    if (offset_ns == 0) {
        if (was_slewing) set_rate(world, n, n->clock.base_drift_ppb, 0, SIM_CLOCK_BY_SLEW_END);
        return;
    }
    /* run slow to lose a positive offset, fast to make up a negative one */
    int64_t slew_ppb = offset_ns > 0 ? -c->slew_max_ppb : c->slew_max_ppb;
    __extension__ typedef __int128 i128;
    i128 span = ((i128)magnitude_ns * SIM_PPB_ONE + c->slew_max_ppb - 1) / c->slew_max_ppb;
    int64_t end_ns;
    if (span > SIM_RUN_NS_MAX || sim_add_ns(world->now_ns, (int64_t)span, &end_ns) != 0)
        end_ns = SIM_RUN_NS_MAX * 2; /* slews past any run */
    set_rate(world, n, n->clock.base_drift_ppb, slew_ppb, SIM_CLOCK_BY_SLEW);
    schedule_job(world, n, end_ns, SIM_CLOCK_JOB_SLEW_END);
}

/* --- the time daemon's messages ---------------------------------------------------------- */

static void put_i64(unsigned char *p, int64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

static int64_t get_i64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

static void seal(unsigned char *p)
{
    put_i64(p + 24, (int64_t)XXH3_64bits(p, 24));
}

static bool is_sealed(const unsigned char *p, size_t bytes)
{
    return bytes == SYNC_PAYLOAD_BYTES && get_i64(p + 24) == (int64_t)XXH3_64bits(p, 24);
}

static void send_query(struct sim_world *world, struct murphy_node *n)
{
    unsigned char p[SYNC_PAYLOAD_BYTES] = {0};
    put_i64(p, sim__clock_wall_ns(&n->clock, world->now_ns)); /* t1 */
    seal(p);
    /* a newer query supersedes an unanswered one: its late answer will not be used */
    n->sync_query_msg_id = sim__net_send(world, n->index, n->group->clock.sync_server,
                                         MURPHY_CLASS_TIME, 0, p, sizeof p, true);
}

void sim__clock_daemon_message(struct sim_world *world, uint32_t slot)
{
    const struct sim_msg *m = &world->msgs[slot];
    struct murphy_node *n = &world->nodes[m->target_node];
    int64_t now_wall_ns = sim__clock_wall_ns(&n->clock, world->now_ns);
    if (!is_sealed(m->payload, m->payload_bytes)) { /* corrupted on the way: never trusted */
        sim__emit(world, SIM_EV_CLOCK_SYNC, n->index, m->source_node, SIM_SYNC_REJECTED,
                  m->msg_id, 0, 0, NULL);
        return;
    }
    if (m->reply_to_msg_id == 0) { /* a query: answer with our time (t2 = t3) */
        unsigned char p[SYNC_PAYLOAD_BYTES];
        memcpy(p, m->payload, 8);
        put_i64(p + 8, now_wall_ns);
        put_i64(p + 16, now_wall_ns);
        seal(p);
        sim__net_send(world, n->index, m->source_node, MURPHY_CLASS_TIME, m->msg_id, p, sizeof p,
                      true);
        return;
    }
    if (m->reply_to_msg_id != n->sync_query_msg_id) {
        /* a duplicate, or the answer to a query already answered or superseded: applying
         * it again would correct twice (ntpd drops such packets by their origin stamp) */
        sim__emit(world, SIM_EV_CLOCK_SYNC, n->index, m->source_node, SIM_SYNC_REJECTED,
                  m->msg_id, 0, 0, NULL);
        return;
    }
    n->sync_query_msg_id = 0;
    int64_t t1 = get_i64(m->payload), t2 = get_i64(m->payload + 8);
    int64_t t3 = get_i64(m->payload + 16), t4 = now_wall_ns;
    int64_t rtt_ns = (t4 - t1) - (t3 - t2);
    /* the server's clock minus ours, halved from both legs (RFC 5905) */
    int64_t theta_ns = ((t2 - t1) + (t3 - t4)) / 2;
    if (rtt_ns < 0 || rtt_ns > SYNC_RTT_NS_MAX) {
        sim__emit(world, SIM_EV_CLOCK_SYNC, n->index, m->source_node, SIM_SYNC_REJECTED,
                  (uint64_t)rtt_ns, 0, -theta_ns, NULL);
        return;
    }
    correct(world, n, -theta_ns, m->source_node, rtt_ns);
}

/* --- scheduled clock work ------------------------------------------------------------------ */

static void sync_now(struct sim_world *world, struct murphy_node *n)
{
    const struct sim_clock_cfg *c = &n->group->clock;
    if (c->has_sync_server) {
        send_query(world, n);
        return;
    }
    int64_t offset_ns = sim__clock_wall_ns(&n->clock, world->now_ns) -
                        sim__clock_reference_ns(&n->clock, world->now_ns);
    /* uniform measurement error in [-sync_error, +sync_error], drawn on every sync */
    uint64_t span = 2 * (uint64_t)c->sync_error_ns + 1;
    offset_ns += (int64_t)(sim_rng_u64(n->sync_rng) % span) - c->sync_error_ns;
    correct(world, n, offset_ns, SIM_NODE_NONE, 0);
}

void sim__clock_job(struct sim_world *world, uint32_t node, uint64_t entry)
{
    struct murphy_node *n = &world->nodes[node];
    enum sim_clock_job job = (enum sim_clock_job)(entry & 0xff);
    switch (job) {
    case SIM_CLOCK_JOB_SYNC: {
        int64_t next_ns;
        if (sim_add_ns(world->now_ns, n->group->clock.sync_every_ns, &next_ns) == 0 &&
            next_ns <= SIM_RUN_NS_MAX)
            sim__schedule(world, next_ns, SIM_Q_CLOCK, node, job_entry(n, SIM_CLOCK_JOB_SYNC));
        if (!n->is_crashed && !n->is_paused) sync_now(world, n); /* the daemon stops too */
        break;
    }
    case SIM_CLOCK_JOB_SLEW_END:
        if (entry >> 8 != n->clock_generation) return; /* superseded by a newer correction */
        set_rate(world, n, n->clock.base_drift_ppb, 0, SIM_CLOCK_BY_SLEW_END);
        break;
    case SIM_CLOCK_JOB_LEAP:
        /* the reading itself steps by the leap policy (clock.c); this is its event */
        sim__emit(world, SIM_EV_CLOCK_STEP, node, SIM_NODE_NONE, SIM_CLOCK_BY_LEAP, 0, 0,
                  -SIM_NS_PER_S, NULL);
        break;
    default: SIM_UNREACHABLE("unknown clock job");
    }
}

void sim__clock_fault(struct sim_world *world, uint32_t node, const struct sim_fault *f,
                      uint32_t fault_index)
{
    (void)fault_index;
    struct murphy_node *n = &world->nodes[node];
    if (f->action == SIM_FAULT_STEP) {
        step_wall(world, n, f->duration_ns, SIM_CLOCK_BY_FAULT);
        return;
    }
    SIM_ASSERT(f->action == SIM_FAULT_DRIFT);
    set_rate(world, n, f->drift_ppb, n->clock.slew_ppb, SIM_CLOCK_BY_FAULT);
}

void sim__clock_sample(struct sim_world *world)
{
    for (uint32_t i = 0; i < world->node_count; i++) {
        const struct sim_clock *c = &world->nodes[i].clock;
        int64_t wall_off_ns = sim__clock_wall_ns(c, world->now_ns) -
                              sim__clock_reference_ns(c, world->now_ns);
        int64_t mono_off_ns = sim__clock_mono_ns(c, world->now_ns) - world->now_ns;
        sim__emit(world, SIM_EV_CLOCK_SAMPLE, i, SIM_NODE_NONE, 0, (uint64_t)mono_off_ns, 0,
                  wall_off_ns, NULL);
    }
    int64_t next_ns;
    if (sim_add_ns(world->now_ns, world->scn->clock_sample_ns, &next_ns) == 0 &&
        next_ns <= SIM_RUN_NS_MAX)
        sim__schedule(world, next_ns, SIM_Q_SAMPLE, 0, 0);
}

void sim__gc_event(struct sim_world *world, uint32_t node, uint64_t phase)
{
    struct murphy_node *n = &world->nodes[node];
    if (phase == 0) {
        sim__node_pause_notice(world, node);
        return;
    }
    if (!n->is_crashed) sim__node_pause(world, node, n->gc_pause_ns, SIM_FAULT_INDEX_GC);
    plan_gc(world, n);
}
