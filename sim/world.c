/* sim/world.c - the run loop, event emission and the world's lifetime.
 *
 * Invariants: popped times never decrease; every event gets the next dense seq; the hash
 * and every observer see each event exactly once, in seq order; an entry whose timer,
 * work or pause was superseded is skipped without an event. Nothing here reads the host
 * clock: the interrupt flag only decides where a run stops, never what it contains. */
#include "internal.h"
#include "nemesis.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

int sim__ring_init(struct sim_ring *ring, size_t item_bytes)
{
    memset(ring, 0, sizeof *ring);
    ring->item_bytes = item_bytes;
    return 0;
}

int sim__ring_push(struct sim_ring *ring, const void *item)
{
    if (ring->count == ring->cap) {
        size_t cap = ring->cap ? ring->cap * 2 : 8;
        unsigned char *items = malloc(cap * ring->item_bytes);
        if (!items) return -1;
        /* unroll the ring into the new buffer, oldest first */
        for (size_t i = 0; i < ring->count; i++) {
            size_t from = (ring->head + i) % ring->cap;
            memcpy(items + i * ring->item_bytes,
                   (unsigned char *)ring->items + from * ring->item_bytes, ring->item_bytes);
        }
        free(ring->items);
        ring->items = items;
        ring->head = 0;
        ring->cap = cap;
    }
    size_t at = (ring->head + ring->count) % ring->cap;
    memcpy((unsigned char *)ring->items + at * ring->item_bytes, item, ring->item_bytes);
    ring->count++;
    return 0;
}

const void *sim__ring_front(const struct sim_ring *ring)
{
    if (!ring->count) return NULL;
    return (const unsigned char *)ring->items + ring->head * ring->item_bytes;
}

bool sim__ring_pop(struct sim_ring *ring, void *item)
{
    if (!ring->count) return false;
    memcpy(item, sim__ring_front(ring), ring->item_bytes);
    ring->head = (ring->head + 1) % ring->cap;
    ring->count--;
    return true;
}

void sim__ring_free(struct sim_ring *ring)
{
    free(ring->items);
    size_t item_bytes = ring->item_bytes;
    memset(ring, 0, sizeof *ring);
    ring->item_bytes = item_bytes;
}

gsl_rng *sim__open_stream(struct sim_world *world, const char *name)
{
    /* Two streams of one run must never coincide: a 64-bit key collision is checked,
     * not assumed away. */
    int added = sim_rng_keys_add(&world->rng_keys, sim_rng_key(world->seed, name));
    SIM_ASSERT(added != 0);
    if (added < 0) return NULL;
    return sim_rng_open(world->seed, name);
}

void sim__emit(struct sim_world *world, enum sim_event_kind kind, uint32_t node,
               uint32_t peer, unsigned aux, uint64_t obj, uint64_t ref, int64_t arg,
               const struct sim_event_text *text)
{
    SIM_ASSERT(kind < SIM_EV_KIND_COUNT);
    SIM_ASSERT(aux <= UINT16_MAX);
    struct sim_event ev = {
        .seq = world->event_count++,
        .time_ns = world->now_ns,
        .node = node,
        .peer = peer,
        .kind = (uint16_t)kind,
        .aux = (uint16_t)aux,
        .obj = obj,
        .ref = ref,
        .arg = arg,
    };
    if (node != SIM_NODE_NONE) {
        SIM_ASSERT(node < world->node_count);
        const struct sim_clock *clock = &world->nodes[node].clock;
        ev.mono_ns = sim__clock_mono_ns(clock, world->now_ns);
        ev.wall_ns = sim__clock_wall_ns(clock, world->now_ns);
    }
    if (ev.seq == world->stop_at_seq) sim_debug_break(world, &ev);
    if (kind == SIM_EV_VIOLATION) world->violation_count++;
    if (kind == SIM_EV_CLAMP) world->clamp_count++;
    sim_hash_add(world->hash, &ev);
    static const struct sim_event_text no_text = {{NULL, NULL, NULL}};
    for (int i = 0; i < world->observer_count; i++)
        world->observers[i].on_event(world->observers[i].ctx, &ev, text ? text : &no_text);
}

uint64_t sim__schedule(struct sim_world *world, int64_t time_ns, enum sim_qtype type,
                       uint32_t a, uint64_t b)
{
    SIM_ASSERT(time_ns >= world->now_ns); /* scheduling in the past is a bug */
    uint64_t seq = sim_queue_push(&world->queue, time_ns, (uint32_t)type, a, b);
    if (seq == UINT64_MAX) world->is_out_of_memory = true;
    return seq;
}

/* The run's fault table: the scenario's own, or with a nemesis a copy of it followed by
 * the faults drawn for this seed. Drawn here, where every world is made, so that run,
 * replay, search, sweep and tests all get the same faults for a seed. */
static int faults_init(struct sim_world *world, struct sim_diag *diag)
{
    const struct sim_scenario *scn = world->scn;
    world->faults = scn->faults;
    world->fault_count = scn->fault_count;
    if (!scn->nemesis.is_on) return SIM_OK;
    struct sim_fault_table *t = &world->own_faults;
    t->cap = (size_t)scn->fault_count + 64;
    t->faults = malloc(t->cap * sizeof *t->faults);
    if (!t->faults) return sim_diag_set(diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    if (scn->fault_count) memcpy(t->faults, scn->faults, scn->fault_count * sizeof *t->faults);
    t->count = scn->fault_count;
    gsl_rng *rng = sim__open_stream(world, "nemesis");
    if (!rng) return sim_diag_set(diag, SIM_ENOMEM, NULL, 0, 0, "out of memory");
    int rc = sim_nemesis_draw(scn, rng, t, diag);
    gsl_rng_free(rng);
    world->faults = t->faults;
    world->fault_count = t->count;
    return rc;
}

int sim_world_create(const struct sim_scenario *scn, uint64_t seed, struct sim_world **out,
                     struct sim_diag *diag)
{
    *out = NULL;
    gsl_set_error_handler_off(); /* GSL reports by return value; we check them */
    struct sim_world *world = calloc(1, sizeof *world);
    if (!world) goto fail_alloc;
    world->scn = scn;
    world->seed = seed;
    int rc = faults_init(world, diag);
    if (rc != SIM_OK) {
        free(world->own_faults.faults);
        sim_rng_keys_free(&world->rng_keys);
        free(world);
        return rc;
    }
    world->hash = sim_hash_create();
    if (!world->hash) goto fail_world;
    if (sim_queue_init(&world->queue, 1024) != 0) goto fail_hash;
    if (sim__net_init(world) != 0) goto fail_queue;
    if (sim__nodes_init(world) != 0) goto fail_net;
    /* Starts first: a fault at t=0 then finds every node started (same instant, later
     * seq), so it crashes or pauses a running node rather than one not yet begun. */
    for (uint32_t i = 0; i < world->node_count; i++)
        sim__schedule(world, 0, SIM_Q_START, i, 0);
    if (sim__clocks_schedule(world) != 0) goto fail_nodes;
    if (sim__faults_schedule(world) != 0) goto fail_nodes;
    if (world->is_out_of_memory) goto fail_nodes;
    *out = world;
    return SIM_OK;

fail_nodes:
    sim__nodes_deinit(world);
fail_net:
    sim__net_deinit(world);
fail_queue:
    sim_queue_deinit(&world->queue);
fail_hash:
    sim_hash_destroy(world->hash);
fail_world:
    sim_rng_keys_free(&world->rng_keys);
    free(world->own_faults.faults);
    free(world);
fail_alloc:
    return sim_diag_set(diag, SIM_ENOMEM, NULL, 0, 0, "out of memory building the world");
}

void sim_world_destroy(struct sim_world *world)
{
    if (!world) return;
    sim__nodes_deinit(world);
    sim__net_deinit(world);
    sim_queue_deinit(&world->queue);
    sim_hash_destroy(world->hash);
    sim_rng_keys_free(&world->rng_keys);
    sim_u64map_free(&world->open_ops);
    free(world->own_faults.faults);
    free(world);
}

int sim_world_add_observer(struct sim_world *world, const struct sim_observer *observer)
{
    if (world->observer_count == SIM_OBSERVERS_MAX) return -1;
    world->observers[world->observer_count++] = *observer;
    return 0;
}

static bool keep_entry(void *ctx, const struct sim_qentry *e)
{
    struct sim_world *world = ctx;
    if (e->type != SIM_Q_TIMER) return true;
    enum sim_timer_entry state = sim__timer_entry(world, e->a, e->b);
    if (state == SIM_TIMER_LIVE) return true;
    if (state == SIM_TIMER_DEAD) sim__timer_release(world, e->a); /* its last entry leaves */
    return false;
}

/* Cancelled timers stay in the heap until popped; when they outnumber the live entries
 * the heap is rebuilt without them, so memory follows what is really pending. */
static void compact_if_needed(struct sim_world *world)
{
    if (world->timers_dead_in_queue < 4096) return;
    if (world->timers_dead_in_queue * 2 < world->queue.count) return;
    sim_queue_filter(&world->queue, keep_entry, world);
    world->timers_dead_in_queue = 0;
}

static void dispatch(struct sim_world *world, const struct sim_qentry *e)
{
    switch ((enum sim_qtype)e->type) {
    case SIM_Q_START: sim__node_start(world, e->a); break;
    case SIM_Q_TIMER: sim__node_fire_timer(world, e->a, e->b); break;
    case SIM_Q_ARRIVE: sim__net_arrive(world, e->a); break;
    case SIM_Q_WORK_DONE: sim__node_work_done(world, e->a, e->b); break;
    case SIM_Q_FAULT: sim__fault_apply(world, e->a); break;
    case SIM_Q_RESUME: sim__node_resume(world, e->a, e->b); break;
    case SIM_Q_CLOCK: sim__clock_job(world, e->a, e->b); break;
    case SIM_Q_GC: sim__gc_event(world, e->a, e->b); break;
    case SIM_Q_SAMPLE: sim__clock_sample(world); break;
    default: SIM_UNREACHABLE("unknown queue entry type");
    }
}

enum sim_run_end sim_world_run(struct sim_world *world, uint64_t stop_at_seq,
                               const volatile sig_atomic_t *interrupt)
{
    SIM_ASSERT(!world->has_run);
    world->has_run = true;
    world->stop_at_seq = stop_at_seq;
    struct sim_assert_context context = {world->scn->path, world->seed, &world->now_ns};
    sim__assert_set_context(&context);
    enum sim_run_end end = SIM_END_QUIESCENT;
    struct sim_qentry e;
    for (;;) {
        if (interrupt && *interrupt) { end = SIM_END_INTERRUPTED; break; }
        if (world->event_count >= world->scn->max_events) { end = SIM_END_BUDGET; break; }
        if (world->event_count >= stop_at_seq) { end = SIM_END_STOP_AT; break; }
        const struct sim_qentry *next = sim_queue_peek(&world->queue);
        if (!next) { end = SIM_END_QUIESCENT; break; }
        if (next->time_ns > world->scn->duration_ns) { end = SIM_END_TIME; break; }
        sim_queue_pop(&world->queue, &e);
        SIM_ASSERT(e.time_ns >= world->now_ns);
        world->now_ns = e.time_ns;
        dispatch(world, &e);
        /* a pool that could not grow left its step unfinished: nothing after it counts */
        if (world->is_out_of_memory) { end = SIM_END_NO_MEMORY; break; }
        compact_if_needed(world);
    }
    if (end == SIM_END_TIME) world->now_ns = world->scn->duration_ns;
    sim__assert_set_context(NULL);
    return end;
}

/* noinline and with a visible side effect, so that a breakpoint on it always hits */
__attribute__((noinline)) void sim_debug_break(const struct sim_world *world,
                                               const struct sim_event *ev)
{
    __asm__ volatile("" : : "r"(world), "r"(ev) : "memory");
}

uint64_t sim_world_event_count(const struct sim_world *world) { return world->event_count; }
const struct sim_scenario *sim_world_scenario(const struct sim_world *world) { return world->scn; }
uint64_t sim_world_seed(const struct sim_world *world) { return world->seed; }
const struct sim_fault *sim_world_faults(const struct sim_world *world, uint32_t *count)
{
    *count = world->fault_count;
    return world->faults;
}
uint64_t sim_world_hash(const struct sim_world *world) { return sim_hash_value(world->hash); }
int64_t sim_world_now_ns(const struct sim_world *world) { return world->now_ns; }
uint64_t sim_world_violation_count(const struct sim_world *world)
{
    return world->violation_count;
}
uint64_t sim_world_clamp_count(const struct sim_world *world) { return world->clamp_count; }

const char *sim_run_end_name(enum sim_run_end end)
{
    switch (end) {
    case SIM_END_TIME: return "duration reached";
    case SIM_END_QUIESCENT: return "nothing left to happen";
    case SIM_END_BUDGET: return "event budget reached";
    case SIM_END_STOP_AT: return "stopped at the requested seq";
    case SIM_END_INTERRUPTED: return "interrupted";
    case SIM_END_NO_MEMORY: return "out of memory";
    }
    return "?";
}

/* --- the oracles' read-only view (inspect.h) --- */
#include "inspect.h"

int64_t sim_inspect_now_ns(const struct sim_world *world) { return world->now_ns; }
uint32_t sim_inspect_node_count(const struct sim_world *world) { return world->node_count; }
const char *sim_inspect_node_name(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].name;
}
bool sim_inspect_node_is_crashed(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].is_crashed;
}
bool sim_inspect_node_is_paused(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].is_paused;
}
bool sim_inspect_node_is_busy(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].is_busy;
}
const void *sim_inspect_node_durable(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].durable;
}
const void *sim_inspect_node_volatile(const struct sim_world *world, uint32_t node)
{
    SIM_ASSERT(node < world->node_count);
    return world->nodes[node].volatile_state;
}
