/* sim/node.c - nodes: the model API (murphy/node.h), timers, CPU work, the inbox of a
 * paused or busy node, crashes and restarts.
 *
 * A node runs one callback at a time and only when it is up, not paused and its CPU is
 * free; otherwise deliveries and timers wait in its inbox (messages bounded by the
 * group's inbox_max, overflow a recorded drop) and run later in arrival order, with the
 * clock readings of when they run. A crash zeroes the volatile state, drops the inbox and
 * queued work, and bumps the incarnation: timers, work and pauses of an earlier
 * incarnation are recognised by generation numbers and never act.
 *
 *   up --pause--> paused --resume--> up        (sim__node_pause / sim__node_resume)
 *   up/paused --crash--> crashed --restart--> up  (sim__node_crash / sim__node_restart) */
#include "internal.h"
#include "u64map.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <xxhash.h>

/* --- lifetime -------------------------------------------------------------------------- */

static int node_init(struct sim_world *world, struct murphy_node *n, uint32_t index)
{
    const struct sim_scenario *scn = world->scn;
    n->world = world;
    n->index = index;
    n->group = sim_scn_node_group(scn, index);
    n->model = n->group->model;
    sim_scn_node_name(scn, index, n->name, sizeof n->name);
    /* at least one byte, so a stateless model still gets distinct non-NULL pointers */
    n->durable = calloc(1, n->model->durable_bytes ? n->model->durable_bytes : 1);
    n->volatile_state = calloc(1, n->model->volatile_bytes ? n->model->volatile_bytes : 1);
    char stream[SIM_NAME_BYTES_MAX + 16];
    snprintf(stream, sizeof stream, "node/%s", n->name);
    n->rng = sim__open_stream(world, stream);
    if (!n->durable || !n->volatile_state || !n->rng) return -1;
    sim__clock_init(&n->clock, scn, &n->group->clock);
    /* Separate streams, opened only when configured: jitter reads by the model never
     * shift sync errors or pause times, and scenarios without them draw nothing new. */
    if (n->group->clock.jitter_ns > 0) {
        snprintf(stream, sizeof stream, "clock/%s/jitter", n->name);
        if (!(n->jitter_rng = sim__open_stream(world, stream))) return -1;
    }
    if (n->group->clock.sync != SIM_SYNC_NONE && !n->group->clock.has_sync_server) {
        snprintf(stream, sizeof stream, "clock/%s/sync", n->name);
        if (!(n->sync_rng = sim__open_stream(world, stream))) return -1;
    }
    if (n->group->gc.is_on) {
        snprintf(stream, sizeof stream, "gc/%s", n->name);
        if (!(n->gc_rng = sim__open_stream(world, stream))) return -1;
    }
    sim__ring_init(&n->work_queue, sizeof(struct sim_work_item));
    sim__ring_init(&n->inbox, sizeof(struct sim_inbox_item));
    return 0;
}

int sim__nodes_init(struct sim_world *world)
{
    world->node_count = world->scn->node_count;
    world->nodes = calloc(world->node_count ? world->node_count : 1, sizeof *world->nodes);
    if (!world->nodes) return -1;
    world->timer_free = SIM_SLOT_NONE;
    for (uint32_t i = 0; i < world->node_count; i++)
        if (node_init(world, &world->nodes[i], i) != 0) return -1;
    return 0;
}

void sim__nodes_deinit(struct sim_world *world)
{
    for (uint32_t i = 0; world->nodes && i < world->node_count; i++) {
        struct murphy_node *n = &world->nodes[i];
        free(n->durable);
        free(n->volatile_state);
        if (n->rng) gsl_rng_free(n->rng);
        if (n->jitter_rng) gsl_rng_free(n->jitter_rng);
        if (n->sync_rng) gsl_rng_free(n->sync_rng);
        if (n->gc_rng) gsl_rng_free(n->gc_rng);
        sim__ring_free(&n->work_queue);
        sim__ring_free(&n->inbox);
        sim__byz_free(n->byz);
    }
    free(world->nodes);
    world->nodes = NULL;
    free(world->timers);
    world->timers = NULL;
}

/* --- callbacks ------------------------------------------------------------------------- */

static void enter(struct murphy_node *n)
{
    SIM_ASSERT(!n->is_in_callback); /* callbacks never nest */
    SIM_ASSERT(!n->is_crashed);
    n->is_in_callback = true;
}

static void leave(struct murphy_node *n) { n->is_in_callback = false; }

static bool is_available(const struct murphy_node *n)
{
    return !n->is_crashed && !n->is_paused && !n->is_busy;
}

static void timer_free_slot(struct sim_world *world, uint32_t slot)
{
    struct sim_timer *t = &world->timers[slot];
    t->is_live = false;
    t->generation++;
    t->next_free = world->timer_free;
    world->timer_free = slot;
}

static void execute_message(struct sim_world *world, uint32_t slot)
{
    struct sim_msg *m = &world->msgs[slot];
    struct murphy_node *n = &world->nodes[m->target_node];
    sim__emit(world, SIM_EV_DELIVER, m->target_node, m->source_node, m->traffic_class,
              m->msg_id, m->reply_to_msg_id, world->now_ns - m->sent_ns, NULL);
    if (m->is_daemon) { /* the node's time daemon, not its model */
        sim__clock_daemon_message(world, slot);
        sim__msg_free(world, slot);
        return;
    }
    struct murphy_msg msg = {
        .msg_id = m->msg_id,
        .reply_to_msg_id = m->reply_to_msg_id,
        .source_node = m->source_node,
        .target_node = m->target_node,
        .traffic_class = m->traffic_class,
        .payload = m->payload,
        .payload_bytes = m->payload_bytes,
    };
    if (n->model->on_message) {
        enter(n);
        n->model->on_message(n, &msg);
        leave(n);
    }
    sim__msg_free(world, slot); /* msg lives only in on_message */
}

static void execute_timer(struct sim_world *world, uint32_t slot)
{
    struct sim_timer *t = &world->timers[slot];
    struct murphy_node *n = &world->nodes[t->node];
    uint64_t handle = ((uint64_t)t->generation << 32) | slot;
    uint64_t tag = t->tag;
    sim__emit(world, SIM_EV_TIMER_FIRE, t->node, SIM_NODE_NONE, 0, handle, tag, 0, NULL);
    timer_free_slot(world, slot);
    if (n->model->on_timer) {
        enter(n);
        n->model->on_timer(n, tag);
        leave(n);
    }
}

/* A waiting notice is news only while its pause is still ahead; after, it is missed. */
static void tell_pause_notice(struct sim_world *world, struct murphy_node *n, int64_t start_ns,
                              int64_t pause_ns)
{
    int64_t pause_in_ns = start_ns - world->now_ns;
    bool is_heard = pause_in_ns > 0;
    sim__emit(world, SIM_EV_PAUSE_NOTICE, n->index, SIM_NODE_NONE, is_heard ? 0 : 1,
              (uint64_t)pause_ns, 0, pause_in_ns, NULL);
    if (!is_heard || !n->model->on_pause_notice) return;
    enter(n);
    n->model->on_pause_notice(n, pause_in_ns, pause_ns);
    leave(n);
}

/* Runs what waited, in order, until the node is no longer free to run it. */
static void drain_inbox(struct sim_world *world, struct murphy_node *n)
{
    struct sim_inbox_item item;
    while (is_available(n) && sim__ring_pop(&n->inbox, &item)) {
        if (item.kind == SIM_INBOX_MESSAGE) {
            SIM_ASSERT(n->inbox_message_count > 0);
            n->inbox_message_count--;
            execute_message(world, item.slot);
        } else if (item.kind == SIM_INBOX_NOTICE) {
            tell_pause_notice(world, n, item.start_ns, item.pause_ns);
        } else if (world->timers[item.slot].is_live) {
            execute_timer(world, item.slot);
        } else {
            timer_free_slot(world, item.slot); /* cancelled while it waited */
            if (world->timers_dead_in_queue) world->timers_dead_in_queue--;
        }
    }
}

void sim__node_start(struct sim_world *world, uint32_t node)
{
    struct murphy_node *n = &world->nodes[node];
    sim__emit(world, SIM_EV_NODE_START, node, SIM_NODE_NONE, 0, 0, 0, 0, NULL);
    if (n->model->on_start) {
        enter(n);
        n->model->on_start(n);
        leave(n);
    }
}

void sim__node_offer_message(struct sim_world *world, uint32_t slot)
{
    struct sim_msg *m = &world->msgs[slot];
    struct murphy_node *n = &world->nodes[m->target_node];
    if (n->is_crashed) {
        sim__emit(world, SIM_EV_DROP, m->target_node, m->source_node, SIM_DROP_NODE_DOWN,
                  m->msg_id, m->reply_to_msg_id, 0, NULL);
        sim__msg_free(world, slot);
        return;
    }
    if (!is_available(n)) {
        if (n->inbox_message_count >= n->group->inbox_max) {
            sim__emit(world, SIM_EV_DROP, m->target_node, m->source_node,
                      SIM_DROP_INBOX_FULL, m->msg_id, m->reply_to_msg_id,
                      (int64_t)n->inbox_message_count, NULL);
            sim__msg_free(world, slot);
            return;
        }
        struct sim_inbox_item item = {SIM_INBOX_MESSAGE, slot, 0, 0};
        if (sim__ring_push(&n->inbox, &item) != 0) world->is_out_of_memory = true;
        n->inbox_message_count++;
        return;
    }
    execute_message(world, slot);
}

void sim__timer_release(struct sim_world *world, uint32_t slot) { timer_free_slot(world, slot); }

static uint64_t entry_of(const struct sim_timer *t)
{
    return ((uint64_t)t->epoch << 32) | t->generation;
}

enum sim_timer_entry sim__timer_entry(const struct sim_world *world, uint32_t slot,
                                      uint64_t entry)
{
    SIM_ASSERT(slot < world->timer_count);
    const struct sim_timer *t = &world->timers[slot];
    if (entry != entry_of(t)) return SIM_TIMER_STALE; /* rescheduled, or the slot reused */
    if (!t->is_live || t->incarnation != world->nodes[t->node].incarnation)
        return SIM_TIMER_DEAD;
    return SIM_TIMER_LIVE;
}

void sim__node_fire_timer(struct sim_world *world, uint32_t slot, uint64_t entry)
{
    struct sim_timer *t = &world->timers[slot];
    switch (sim__timer_entry(world, slot, entry)) {
    case SIM_TIMER_STALE:
        if (world->timers_dead_in_queue) world->timers_dead_in_queue--;
        return;
    case SIM_TIMER_DEAD: /* cancelled, or set by an earlier incarnation: no event */
        if (!t->is_live && world->timers_dead_in_queue) world->timers_dead_in_queue--;
        timer_free_slot(world, slot);
        return;
    case SIM_TIMER_LIVE: break;
    }
    t->is_in_heap = false;
    struct murphy_node *n = &world->nodes[t->node];
    if (!is_available(n)) {
        struct sim_inbox_item item = {SIM_INBOX_TIMER, slot, 0, 0};
        if (sim__ring_push(&n->inbox, &item) != 0) world->is_out_of_memory = true;
        return;
    }
    execute_timer(world, slot);
}

static void schedule_timer(struct sim_world *world, const struct murphy_node *n, uint32_t slot)
{
    struct sim_timer *t = &world->timers[slot];
    int64_t left_ns = t->deadline_mono_ns - sim__clock_mono_ns(&n->clock, world->now_ns);
    if (left_ns < 0) left_ns = 0; /* a rounding step past it: due now, never early */
    int64_t fire_ns;
    int64_t true_delay_ns = sim__clock_true_delay_ns(&n->clock, world->now_ns, left_ns);
    SIM_ASSERT(sim_add_ns(world->now_ns, true_delay_ns, &fire_ns) == 0);
    t->is_in_heap = true;
    sim__schedule(world, fire_ns, SIM_Q_TIMER, slot, entry_of(t));
}

/* Linear over the timer slots: rate changes are rare (a drift fault, the start and end of
 * a slew), and a per-node list would cost every timer set and fire instead. Slot order
 * keeps the new heap entries in a deterministic order. */
void sim__node_reschedule_timers(struct sim_world *world, uint32_t node)
{
    const struct murphy_node *n = &world->nodes[node];
    for (uint32_t slot = 0; slot < world->timer_count; slot++) {
        struct sim_timer *t = &world->timers[slot];
        if (!t->is_live || !t->is_in_heap || t->node != node || t->incarnation != n->incarnation)
            continue;
        t->epoch++;
        world->timers_dead_in_queue++; /* the old entry stays in the heap until reached */
        schedule_timer(world, n, slot);
    }
}

/* --- work -------------------------------------------------------------------------------- */

static void start_work(struct sim_world *world, struct murphy_node *n,
                       const struct sim_work_item *w)
{
    n->is_busy = true;
    n->current_work_id = w->work_id;
    sim__emit(world, SIM_EV_WORK_START, n->index, SIM_NODE_NONE, 0, w->work_id, 0,
              w->duration_ns, NULL);
    int64_t done_ns;
    SIM_ASSERT(sim_add_ns(world->now_ns, w->duration_ns, &done_ns) == 0);
    n->work_done_ns = done_ns;
    n->work_generation++;
    sim__schedule(world, done_ns, SIM_Q_WORK_DONE, n->index, n->work_generation);
}

void sim__node_work_done(struct sim_world *world, uint32_t node, uint64_t generation)
{
    struct murphy_node *n = &world->nodes[node];
    if (generation != n->work_generation || !n->is_busy || n->is_paused || n->is_crashed)
        return; /* superseded by a pause or a crash */
    sim__emit(world, SIM_EV_WORK_DONE, node, SIM_NODE_NONE, 0, n->current_work_id, 0, 0,
              NULL);
    /* Still busy during the callback, so work it asks for queues behind earlier work. */
    if (n->model->on_work_done) {
        enter(n);
        n->model->on_work_done(n, n->current_work_id);
        leave(n);
    }
    n->is_busy = false;
    struct sim_work_item next;
    if (sim__ring_pop(&n->work_queue, &next)) start_work(world, n, &next);
    else drain_inbox(world, n);
}

void murphy_work(struct murphy_node *n, int64_t duration_ns, uint64_t work_id)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(duration_ns >= 0);
    SIM_ASSERT(duration_ns <= SIM_RUN_NS_MAX);
    struct sim_work_item w = {work_id, duration_ns};
    if (n->is_busy || n->work_queue.count) {
        if (sim__ring_push(&n->work_queue, &w) != 0) n->world->is_out_of_memory = true;
        return;
    }
    start_work(n->world, n, &w);
}

/* --- crash, restart, pause ---------------------------------------------------------------- */

void sim__node_crash(struct sim_world *world, uint32_t node)
{
    struct murphy_node *n = &world->nodes[node];
    if (n->is_crashed) return;
    n->is_crashed = true;
    n->incarnation++;
    n->is_paused = false;
    n->pause_generation++;
    n->is_busy = false;
    n->work_generation++;
    struct sim_work_item w;
    while (sim__ring_pop(&n->work_queue, &w)) {}
    sim__emit(world, SIM_EV_CRASH, node, SIM_NODE_NONE, 0, 0, 0, n->incarnation, NULL);
    struct sim_inbox_item item;
    while (sim__ring_pop(&n->inbox, &item)) {
        if (item.kind == SIM_INBOX_MESSAGE) {
            struct sim_msg *m = &world->msgs[item.slot];
            sim__emit(world, SIM_EV_DROP, node, m->source_node, SIM_DROP_NODE_DOWN, m->msg_id,
                      m->reply_to_msg_id, 0, NULL);
            sim__msg_free(world, item.slot);
        } else if (item.kind == SIM_INBOX_TIMER) {
            timer_free_slot(world, item.slot);
        }
    }
    n->inbox_message_count = 0;
    memset(n->volatile_state, 0, n->model->volatile_bytes);
}

void sim__node_restart(struct sim_world *world, uint32_t node)
{
    struct murphy_node *n = &world->nodes[node];
    if (!n->is_crashed) sim__node_crash(world, node); /* a process restart */
    n->is_crashed = false;
    sim__emit(world, SIM_EV_RESTART, node, SIM_NODE_NONE, 0, 0, 0, n->incarnation, NULL);
    void (*cb)(struct murphy_node *) = n->model->on_restart ? n->model->on_restart
                                                            : n->model->on_start;
    if (cb) {
        enter(n);
        cb(n);
        leave(n);
    }
}

void sim__node_pause(struct sim_world *world, uint32_t node, int64_t duration_ns,
                     uint32_t fault_index)
{
    struct murphy_node *n = &world->nodes[node];
    bool is_gc = fault_index == SIM_FAULT_INDEX_GC;
    sim__emit(world, SIM_EV_PAUSE, node, SIM_NODE_NONE, is_gc ? SIM_PAUSE_BY_GC : SIM_PAUSE_BY_FAULT,
              is_gc ? 0 : fault_index, 0, duration_ns, NULL);
    if (n->is_crashed) return;
    int64_t until_ns;
    SIM_ASSERT(sim_add_ns(world->now_ns, duration_ns, &until_ns) == 0);
    if (n->is_paused && until_ns <= n->paused_until_ns) return; /* inside a longer pause */
    if (!n->is_paused && n->is_busy) {
        n->work_left_ns = n->work_done_ns - world->now_ns; /* the pause stretches the work */
        n->work_generation++;
    }
    n->is_paused = true;
    n->pause_fault = fault_index;
    n->paused_until_ns = until_ns;
    n->pause_generation++;
    sim__schedule(world, until_ns, SIM_Q_RESUME, node, n->pause_generation);
}

void sim__node_resume(struct sim_world *world, uint32_t node, uint64_t generation)
{
    struct murphy_node *n = &world->nodes[node];
    if (generation != n->pause_generation || !n->is_paused) return;
    n->is_paused = false;
    /* obj: the pause that ends; arg: what waited (0 and no work: the pause touched nothing) */
    bool is_gc = n->pause_fault == SIM_FAULT_INDEX_GC;
    sim__emit(world, SIM_EV_RESUME, node, SIM_NODE_NONE,
              is_gc ? SIM_PAUSE_BY_GC : SIM_PAUSE_BY_FAULT, is_gc ? 0 : n->pause_fault, 0,
              (int64_t)n->inbox.count + (n->is_busy ? 1 : 0), NULL);
    if (n->is_busy) {
        n->work_done_ns = world->now_ns + n->work_left_ns;
        n->work_generation++;
        sim__schedule(world, n->work_done_ns, SIM_Q_WORK_DONE, node, n->work_generation);
        return;
    }
    drain_inbox(world, n);
}

/* --- the model API ---------------------------------------------------------------------- */

uint32_t murphy_node_index(const struct murphy_node *n) { return n->index; }
uint32_t murphy_node_count(const struct murphy_node *n) { return n->world->node_count; }
const char *murphy_node_name(const struct murphy_node *n) { return n->name; }
void *murphy_durable(struct murphy_node *n) { return n->durable; }
void *murphy_volatile(struct murphy_node *n) { return n->volatile_state; }

int64_t murphy_mono_ns(const struct murphy_node *n)
{
    return sim__clock_mono_ns(&n->clock, n->world->now_ns);
}

int64_t murphy_wall_ns(const struct murphy_node *n)
{
    int64_t wall_ns = sim__clock_wall_ns(&n->clock, n->world->now_ns);
    if (!n->jitter_rng) return wall_ns;
    /* uniform in [-jitter, +jitter]; the modulo bias is below 2^-32 */
    uint64_t span = 2 * (uint64_t)n->group->clock.jitter_ns + 1;
    return wall_ns + (int64_t)(sim_rng_u64(n->jitter_rng) % span) - n->group->clock.jitter_ns;
}

uint64_t murphy_send(struct murphy_node *n, uint32_t target_node,
                     enum murphy_class traffic_class, const void *payload, size_t payload_bytes)
{
    SIM_ASSERT(n->is_in_callback);
    return sim__byz_send(n->world, n, target_node, traffic_class, 0, payload, payload_bytes);
}

uint64_t murphy_reply(struct murphy_node *n, const struct murphy_msg *request,
                      const void *payload, size_t payload_bytes)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(request->target_node == n->index);
    return sim__byz_send(n->world, n, request->source_node, MURPHY_CLASS_REPLY,
                         request->msg_id, payload, payload_bytes);
}

static uint32_t timer_alloc_slot(struct sim_world *world)
{
    if (world->timer_free != SIM_SLOT_NONE) {
        uint32_t slot = world->timer_free;
        world->timer_free = world->timers[slot].next_free;
        return slot;
    }
    if (world->timer_count == world->timer_cap) {
        uint32_t cap = world->timer_cap ? world->timer_cap * 2 : 256;
        struct sim_timer *timers = realloc(world->timers, cap * sizeof *timers);
        if (!timers) return SIM_SLOT_NONE;
        world->timers = timers;
        world->timer_cap = cap;
    }
    world->timers[world->timer_count] = (struct sim_timer){0};
    return world->timer_count++;
}

uint64_t murphy_timer_set(struct murphy_node *n, int64_t delay_ns, uint64_t timer_tag)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(delay_ns >= 0);
    SIM_ASSERT(delay_ns <= SIM_RUN_NS_MAX); /* longer than any run: a bug of the model */
    struct sim_world *world = n->world;
    uint32_t slot = timer_alloc_slot(world);
    if (slot == SIM_SLOT_NONE) { /* the run ends after this step (SIM_END_NO_MEMORY) */
        world->is_out_of_memory = true;
        return UINT64_MAX; /* a handle no timer has: murphy_timer_cancel says false */
    }
    struct sim_timer *t = &world->timers[slot];
    t->node = n->index;
    t->incarnation = n->incarnation;
    t->is_live = true;
    t->tag = timer_tag;
    t->epoch = 0;
    t->deadline_mono_ns = sim__clock_mono_ns(&n->clock, world->now_ns) + delay_ns;
    uint64_t handle = ((uint64_t)t->generation << 32) | slot;
    sim__emit(world, SIM_EV_TIMER_SET, n->index, SIM_NODE_NONE, 0, handle, timer_tag, delay_ns,
              NULL);
    schedule_timer(world, n, slot);
    return handle;
}

bool murphy_timer_cancel(struct murphy_node *n, uint64_t timer_handle)
{
    SIM_ASSERT(n->is_in_callback);
    struct sim_world *world = n->world;
    uint32_t slot = (uint32_t)timer_handle;
    uint32_t generation = (uint32_t)(timer_handle >> 32);
    if (slot >= world->timer_count) return false;
    struct sim_timer *t = &world->timers[slot];
    if (t->generation != generation || !t->is_live || t->node != n->index ||
        t->incarnation != n->incarnation)
        return false;
    t->is_live = false;
    sim__emit(world, SIM_EV_TIMER_CANCEL, n->index, SIM_NODE_NONE, 0, timer_handle, t->tag, 0,
              NULL);
    /* whether it still sits in the heap or in the inbox, it is freed when reached */
    world->timers_dead_in_queue++;
    return true;
}

uint64_t murphy_rand_u64(struct murphy_node *n) { return sim_rng_u64(n->rng); }
double murphy_rand_uniform(struct murphy_node *n) { return sim_rng_uniform(n->rng); }
bool murphy_rand_chance(struct murphy_node *n, int64_t ppb)
{
    return sim_rng_chance_ppb(n->rng, ppb);
}

int64_t murphy_rand_exp_ns(struct murphy_node *n, int64_t mean_ns)
{
    SIM_ASSERT(mean_ns >= 0);
    return sim_delay_round(gsl_ran_exponential(n->rng, (double)mean_ns), NULL);
}

/* Linear scan: a model declares a handful of parameters. */
static const struct sim_param_value *find_param(const struct murphy_node *n, const char *name)
{
    for (size_t i = 0; i < n->model->param_count; i++)
        if (strcmp(n->group->params[i].spec->name, name) == 0) return &n->group->params[i];
    SIM_UNREACHABLE("the model reads a parameter it did not declare");
}

static const struct sim_param_value *param(const struct murphy_node *n, const char *name,
                                           enum murphy_param_kind kind)
{
    const struct sim_param_value *v = find_param(n, name);
    SIM_ASSERT(v->spec->kind == kind);
    return v;
}

int64_t murphy_param_i64(const struct murphy_node *n, const char *name)
{
    const struct sim_param_value *v = find_param(n, name); /* any kind held in i64 */
    SIM_ASSERT(v->spec->kind != MURPHY_PARAM_DIST);
    SIM_ASSERT(v->spec->kind != MURPHY_PARAM_GROUP);
    return v->i64;
}

bool murphy_param_bool(const struct murphy_node *n, const char *name)
{
    return param(n, name, MURPHY_PARAM_BOOL)->i64 != 0;
}

void murphy_param_group(const struct murphy_node *n, const char *name, uint32_t *first_node,
                        uint32_t *node_count)
{
    const struct sim_param_value *v = param(n, name, MURPHY_PARAM_GROUP);
    *first_node = v->group_first;
    *node_count = v->group_count;
}

int64_t murphy_param_sample_ns(struct murphy_node *n, const char *name)
{
    const struct sim_param_value *v = param(n, name, MURPHY_PARAM_DIST);
    return sim_dist_sample_ns(&v->dist, n->rng, NULL);
}

/* The hash of up to three strings, order-sensitive, NULL distinct from "". */
static int64_t texts_hash(const char *a, const char *b, const char *c)
{
    const char *s[3] = {a, b, c};
    unsigned char buf[27];
    for (int i = 0; i < 3; i++) {
        uint64_t h = s[i] ? (uint64_t)sim_text_hash(s[i]) : 0;
        buf[9 * i] = s[i] ? 1 : 0;
        for (int k = 0; k < 8; k++) buf[9 * i + 1 + k] = (unsigned char)(h >> (8 * k));
    }
    return (int64_t)XXH3_64bits(buf, sizeof buf);
}

uint64_t murphy_op_invoke(struct murphy_node *n, uint32_t process, const char *f,
                          const char *key, const char *value)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(f != NULL);
    uint64_t op_id = ++n->world->next_op_id;
    if (sim_u64map_put(&n->world->open_ops, op_id, n) != 0) n->world->is_out_of_memory = true;
    struct sim_event_text text = {{f, key, value}};
    sim__emit(n->world, SIM_EV_OP_INVOKE, n->index, SIM_NODE_NONE, 0, op_id, process,
              texts_hash(f, key, value), &text);
    return op_id;
}

void murphy_op_complete(struct murphy_node *n, uint64_t op_id, enum murphy_op_type type,
                        const char *result)
{
    SIM_ASSERT(n->is_in_callback);
    /* completing an operation twice, or one never invoked, is a bug of the model; caught
     * here so that a run fails the same way with recording on or off */
    SIM_ASSERT(sim_u64map_take(&n->world->open_ops, op_id) == n);
    SIM_ASSERT(type == MURPHY_OP_OK || type == MURPHY_OP_FAIL || type == MURPHY_OP_INFO);
    struct sim_event_text text = {{result, NULL, NULL}};
    sim__emit(n->world, SIM_EV_OP_COMPLETE, n->index, SIM_NODE_NONE, (unsigned)type, op_id, 0,
              sim_text_hash(result), &text);
}

void murphy_timeout(struct murphy_node *n, uint64_t msg_id)
{
    SIM_ASSERT(n->is_in_callback);
    sim__emit(n->world, SIM_EV_TIMEOUT, n->index, SIM_NODE_NONE, 0, msg_id, 0, 0, NULL);
}

void murphy_note(struct murphy_node *n, const char *text)
{
    SIM_ASSERT(n->is_in_callback);
    struct sim_event_text t = {{text, NULL, NULL}};
    sim__emit(n->world, SIM_EV_NOTE, n->index, SIM_NODE_NONE, 0, 0, 0, sim_text_hash(text), &t);
}

void murphy_violation(struct murphy_node *n, const char *text)
{
    SIM_ASSERT(n->is_in_callback);
    struct sim_event_text t = {{text, NULL, NULL}};
    sim__emit(n->world, SIM_EV_VIOLATION, n->index, SIM_NODE_NONE, 0, 0, 0,
              sim_text_hash(text), &t);
}

void murphy_claim(struct murphy_node *n, const char *what, int64_t a, int64_t b)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(what != NULL);
    struct sim_event_text t = {{what, NULL, NULL}};
    sim__emit(n->world, SIM_EV_CLAIM, n->index, SIM_NODE_NONE, 0, (uint64_t)a, (uint64_t)b,
              sim_text_hash(what), &t);
}

void sim__node_pause_notice(struct sim_world *world, uint32_t node)
{
    struct murphy_node *n = &world->nodes[node];
    if (n->is_crashed) return;
    if (is_available(n)) {
        tell_pause_notice(world, n, n->gc_start_ns, n->gc_pause_ns);
        return;
    }
    /* busy or paused: it waits its turn like a message (it does not count against
     * inbox_max, which bounds messages; one notice per planned pause) */
    struct sim_inbox_item item = {SIM_INBOX_NOTICE, 0, n->gc_start_ns, n->gc_pause_ns};
    if (sim__ring_push(&n->inbox, &item) != 0) world->is_out_of_memory = true;
}

static void verdict(struct murphy_node *n, enum sim_event_kind kind, uint32_t peer)
{
    SIM_ASSERT(n->is_in_callback);
    SIM_ASSERT(peer < n->world->node_count); /* a model bug, not input */
    sim__emit(n->world, kind, n->index, peer, 0, 0, 0, 0, NULL);
}

void murphy_suspect(struct murphy_node *n, uint32_t peer) { verdict(n, SIM_EV_SUSPECT, peer); }
void murphy_trust(struct murphy_node *n, uint32_t peer) { verdict(n, SIM_EV_TRUST, peer); }
