/* sim/net.c - simulated network: per-link delay, loss, duplication, corruption,
 * reordering, bandwidth with a bounded sender queue, and cuts (partitions).
 *
 * Owns each in-flight message (a slot with its own copy of the payload) from send until
 * delivery or drop. Links are created on first use, so a large cluster costs nothing
 * until its nodes talk. Every send draws the same fixed pattern from the link's stream
 * for its traffic class (loss, duplicate, corrupt, reorder, corrupt position, two delays)
 * whatever the outcome, so changing a rate moves outcomes, not later draws; and traffic
 * of one class never shifts the draws of another. A degradation in force on a link draws
 * from its own fault's stream only (nothing is drawn without one); so does an attacker on
 * a link (`attack`, its stream "attack/S->T"), which acts on messages the link launches
 * and records each act as an ATTACK event. Knows nothing about what messages mean. */
#include "internal.h"
#include "u64map.h"

#include <inttypes.h>
#include <xxhash.h>

#include <stdlib.h>
#include <string.h>

/* --- message slots ---------------------------------------------------------------------- */

static uint32_t msg_alloc(struct sim_world *world, size_t payload_bytes)
{
    uint32_t slot;
    if (world->msg_free != SIM_SLOT_NONE) {
        slot = world->msg_free;
        world->msg_free = world->msgs[slot].next_free;
    } else {
        if (world->msg_count == world->msg_cap) {
            uint32_t cap = world->msg_cap ? world->msg_cap * 2 : 256;
            struct sim_msg *msgs = realloc(world->msgs, cap * sizeof *msgs);
            if (!msgs) return SIM_SLOT_NONE;
            world->msgs = msgs;
            world->msg_cap = cap;
        }
        slot = world->msg_count++;
        world->msgs[slot] = (struct sim_msg){0};
    }
    struct sim_msg *m = &world->msgs[slot];
    /* the slot keeps its buffer across reuse, so steady traffic allocates nothing */
    if (m->payload_cap < payload_bytes) {
        size_t cap = m->payload_cap ? m->payload_cap : 64;
        while (cap < payload_bytes) cap *= 2;
        unsigned char *p = realloc(m->payload, cap);
        if (!p) {
            m->next_free = world->msg_free;
            world->msg_free = slot;
            return SIM_SLOT_NONE;
        }
        m->payload = p;
        m->payload_cap = cap;
    }
    m->is_live = true;
    return slot;
}

void sim__msg_free(struct sim_world *world, uint32_t slot)
{
    struct sim_msg *m = &world->msgs[slot];
    SIM_ASSERT(m->is_live);
    m->is_live = false;
    m->next_free = world->msg_free;
    world->msg_free = slot;
}

/* --- links ------------------------------------------------------------------------------- */

static size_t link_hash(uint32_t source, uint32_t target, size_t cap)
{
    return (size_t)sim_mix64(((uint64_t)source << 32) | target) & (cap - 1);
}

static int link_index_grow(struct sim_world *world)
{
    size_t cap = world->link_index_cap ? world->link_index_cap * 2 : 1024;
    uint32_t *index = calloc(cap, sizeof *index);
    if (!index) return -1;
    for (uint32_t i = 0; i < world->link_count; i++) {
        size_t j = link_hash(world->links[i].source_node, world->links[i].target_node, cap);
        while (index[j]) j = (j + 1) & (cap - 1);
        index[j] = i + 1;
    }
    free(world->link_index);
    world->link_index = index;
    world->link_index_cap = cap;
    return 0;
}

static struct sim_link *link_get(struct sim_world *world, uint32_t source, uint32_t target)
{
    size_t mask = world->link_index_cap - 1;
    size_t j = link_hash(source, target, world->link_index_cap);
    for (; world->link_index[j]; j = (j + 1) & mask) {
        struct sim_link *l = &world->links[world->link_index[j] - 1];
        if (l->source_node == source && l->target_node == target) return l;
    }
    if (world->link_count == world->link_cap) {
        uint32_t cap = world->link_cap ? world->link_cap * 2 : 64;
        struct sim_link *links = realloc(world->links, cap * sizeof *links);
        if (!links) return NULL;
        world->links = links;
        world->link_cap = cap;
    }
    struct sim_link *l = &world->links[world->link_count];
    *l = (struct sim_link){.source_node = source, .target_node = target};
    sim_scn_link_cfg(world->scn, source, target, &l->cfg);
    sim__ring_init(&l->tx_ends, sizeof(int64_t));
    world->link_index[j] = ++world->link_count;
    if (world->link_count * 2 > world->link_index_cap && link_index_grow(world) != 0)
        return NULL;
    return &world->links[world->link_count - 1];
}

static gsl_rng *link_stream(struct sim_world *world, struct sim_link *l,
                            enum murphy_class traffic_class)
{
    if (!l->rng[traffic_class]) {
        char name[2 * SIM_NAME_BYTES_MAX + 32];
        snprintf(name, sizeof name, "link/%s->%s/%s", world->nodes[l->source_node].name,
                 world->nodes[l->target_node].name, sim_class_name(traffic_class));
        l->rng[traffic_class] = sim__open_stream(world, name);
    }
    return l->rng[traffic_class];
}

int sim__net_init(struct sim_world *world)
{
    world->msg_free = SIM_SLOT_NONE;
    return link_index_grow(world);
}

void sim__net_deinit(struct sim_world *world)
{
    for (uint32_t i = 0; world->links && i < world->link_count; i++) {
        for (int c = 0; c < MURPHY_CLASS_COUNT; c++)
            if (world->links[i].rng[c]) gsl_rng_free(world->links[i].rng[c]);
        sim__ring_free(&world->links[i].tx_ends);
        if (world->links[i].attack_rng) gsl_rng_free(world->links[i].attack_rng);
        free(world->links[i].last.payload);
    }
    free(world->links);
    free(world->link_index);
    for (uint32_t i = 0; world->msgs && i < world->msg_count; i++) free(world->msgs[i].payload);
    free(world->msgs);
    free(world->cuts);
    free(world->degrades);
    for (uint32_t i = 0; world->degrade_rngs && i < world->fault_count; i++)
        if (world->degrade_rngs[i]) gsl_rng_free(world->degrade_rngs[i]);
    free(world->degrade_rngs);
    world->degrades = NULL;
    world->degrade_rngs = NULL;
    world->links = NULL;
    world->link_index = NULL;
    world->msgs = NULL;
    world->cuts = NULL;
}

/* --- cuts ---------------------------------------------------------------------------------- */

static bool in_range(struct sim_node_range r, uint32_t node)
{
    return node >= r.first && node - r.first < r.count;
}

/* The fault whose cut drops messages from source to target, or UINT32_MAX. Linear
 * scan: active cuts are few (one per partition fault in force). */
static uint32_t cut_by(const struct sim_world *world, uint32_t source, uint32_t target)
{
    for (size_t i = 0; i < world->cut_count; i++)
        if (in_range(world->cuts[i].source, source) && in_range(world->cuts[i].target, target))
            return world->cuts[i].fault_index;
    return UINT32_MAX;
}

static void add_cut(struct sim_world *world, struct sim_cut **cuts, size_t *count, size_t *cap,
                    struct sim_cut cut)
{
    if (*count == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 16;
        struct sim_cut *grown = realloc(*cuts, new_cap * sizeof *grown);
        if (!grown) {
            world->is_out_of_memory = true;
            return;
        }
        *cuts = grown;
        *cap = new_cap;
    }
    (*cuts)[(*count)++] = cut;
}

void sim__net_cut(struct sim_world *world, uint32_t fault_index, struct sim_node_range source,
                  struct sim_node_range target)
{
    add_cut(world, &world->cuts, &world->cut_count, &world->cut_cap,
            (struct sim_cut){fault_index, source, target});
}

void sim__net_degrade(struct sim_world *world, uint32_t fault_index,
                      struct sim_node_range source, struct sim_node_range target)
{
    SIM_ASSERT(fault_index < world->fault_count);
    if (!world->degrade_rngs) {
        world->degrade_rngs = calloc(world->fault_count, sizeof *world->degrade_rngs);
        if (!world->degrade_rngs) {
            world->is_out_of_memory = true;
            return;
        }
    }
    /* the fault's own stream, named after it: its draws move no other stream, and the
     * same fault listed by name (a nemesis fault pasted into [faults]) draws the same */
    if (!world->degrade_rngs[fault_index]) {
        char name[SIM_NAME_BYTES_MAX + 16];
        snprintf(name, sizeof name, "degrade/%s", world->faults[fault_index].name);
        world->degrade_rngs[fault_index] = sim__open_stream(world, name);
        if (!world->degrade_rngs[fault_index]) {
            world->is_out_of_memory = true;
            return;
        }
    }
    add_cut(world, &world->degrades, &world->degrade_count, &world->degrade_cap,
            (struct sim_cut){fault_index, source, target});
}

static size_t heal_list(const struct sim_world *world, struct sim_cut *cuts, size_t count,
                        const char *fault_name)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        const char *name = world->faults[cuts[i].fault_index].name;
        if (fault_name && strcmp(name, fault_name) != 0) cuts[kept++] = cuts[i];
    }
    return kept;
}

void sim__net_heal(struct sim_world *world, const char *fault_name)
{
    world->cut_count = heal_list(world, world->cuts, world->cut_count, fault_name);
    world->degrade_count = heal_list(world, world->degrades, world->degrade_count, fault_name);
}

/* The first degradation in force from source to target that loses this message, or
 * UINT32_MAX. Each one in force draws once per send from its own stream, whatever the
 * others drew, so one degradation's outcomes do not depend on another's. Linear scan:
 * degradations in force are few. */
static uint32_t degrade_draw(struct sim_world *world, uint32_t source, uint32_t target)
{
    uint32_t loser = UINT32_MAX;
    for (size_t i = 0; i < world->degrade_count; i++) {
        const struct sim_cut *d = &world->degrades[i];
        if (!in_range(d->source, source) || !in_range(d->target, target)) continue;
        const struct sim_fault *f = &world->faults[d->fault_index];
        bool is_lost = sim_rng_chance_ppb(world->degrade_rngs[d->fault_index], f->loss_ppb);
        if (is_lost && loser == UINT32_MAX) loser = d->fault_index;
    }
    return loser;
}

/* --- send and arrive ----------------------------------------------------------------------- */

static uint64_t net_send(struct sim_world *world, uint32_t source, uint32_t target,
                         enum murphy_class traffic_class, uint64_t reply_to,
                         const void *payload, size_t bytes, bool is_daemon, int64_t extra_ns);

/* What one send drew; all of it is drawn whatever happens to the message. */
struct send_draws {
    bool is_lost, is_duplicated, is_corrupted, is_reordered;
    uint64_t corrupt_bits;
    int64_t delay_ns[2];
    bool is_clamped[2];
};

static void draw(gsl_rng *rng, const struct sim_link_cfg *cfg, struct send_draws *d)
{
    d->is_lost = sim_rng_chance_ppb(rng, cfg->loss_ppb);
    d->is_duplicated = sim_rng_chance_ppb(rng, cfg->duplicate_ppb);
    d->is_corrupted = sim_rng_chance_ppb(rng, cfg->corrupt_ppb);
    d->is_reordered = sim_rng_chance_ppb(rng, cfg->reorder_ppb);
    d->corrupt_bits = sim_rng_u64(rng);
    for (int i = 0; i < 2; i++)
        d->delay_ns[i] = sim_dist_sample_ns(&cfg->delay, rng, &d->is_clamped[i]);
}

/* Serialises the message onto the link; returns its departure time, or -1 when the
 * sender's queue is full. Emits ENQUEUE when it must wait behind others. */
static int64_t transmit(struct sim_world *world, struct sim_link *l, uint64_t msg_id,
                        enum murphy_class traffic_class, uint64_t reply_to, size_t bytes)
{
    if (l->cfg.bandwidth_bps <= 0) return world->now_ns;
    int64_t end_ns;
    while (l->tx_ends.count && *(const int64_t *)sim__ring_front(&l->tx_ends) <= world->now_ns)
        sim__ring_pop(&l->tx_ends, &end_ns);
    if (l->tx_ends.count >= l->cfg.queue_max) return -1;
    __extension__ typedef unsigned __int128 u128;
    u128 bps = (u128)(uint64_t)l->cfg.bandwidth_bps;
    u128 bits = (u128)bytes * (u128)8000000000u; /* bits times ns per second */
    int64_t tx_ns = (int64_t)((bits + bps - 1u) / bps);
    int64_t start_ns = l->tx_busy_until_ns > world->now_ns ? l->tx_busy_until_ns : world->now_ns;
    if (start_ns > world->now_ns)
        sim__emit(world, SIM_EV_ENQUEUE, l->source_node, l->target_node, traffic_class, msg_id,
                  reply_to, (int64_t)l->tx_ends.count, NULL);
    /* a slow link with a deep queue can push departures past any run: saturate there */
    if (sim_add_ns(start_ns, tx_ns, &end_ns) != 0 || end_ns > SIM_RUN_NS_MAX * 2)
        end_ns = SIM_RUN_NS_MAX * 2;
    l->tx_busy_until_ns = end_ns;
    if (sim__ring_push(&l->tx_ends, &end_ns) != 0) world->is_out_of_memory = true;
    return end_ns;
}

static uint32_t launch_copy(struct sim_world *world, uint64_t msg_id, uint64_t reply_to,
                        uint32_t source, uint32_t target, enum murphy_class traffic_class,
                        const void *payload, size_t bytes, int64_t arrive_ns, bool is_daemon)
{
    uint32_t slot = msg_alloc(world, bytes);
    if (slot == SIM_SLOT_NONE) { /* the run ends after this step (SIM_END_NO_MEMORY) */
        world->is_out_of_memory = true;
        return SIM_SLOT_NONE;
    }
    struct sim_msg *m = &world->msgs[slot];
    m->msg_id = msg_id;
    m->reply_to_msg_id = reply_to;
    m->source_node = source;
    m->target_node = target;
    m->traffic_class = traffic_class;
    m->sent_ns = world->now_ns;
    m->payload_bytes = bytes;
    m->is_daemon = is_daemon;
    if (bytes) memcpy(m->payload, payload, bytes);
    sim__schedule(world, arrive_ns, SIM_Q_ARRIVE, slot, msg_id);
    return slot;
}

/* --- an attacker on the link ------------------------------------------------------------- */

/* Its stream, opened the first time the link carries something (B2 of byz.c, for links):
 * only links with an attacker draw from it, so other runs keep their streams. */
static gsl_rng *attack_stream(struct sim_world *world, struct sim_link *l)
{
    if (!l->attack_rng) {
        char name[2 * SIM_NAME_BYTES_MAX + 32];
        snprintf(name, sizeof name, "attack/%s->%s", world->nodes[l->source_node].name,
                 world->nodes[l->target_node].name);
        l->attack_rng = sim__open_stream(world, name);
        SIM_ASSERT(l->attack_rng != NULL);
    }
    return l->attack_rng;
}

static void attack_event(struct sim_world *world, const struct sim_link *l,
                         enum sim_attack_kind kind, uint64_t msg_id, uint64_t truth_hash,
                         const char *text)
{
    struct sim_event_text t = {{text, NULL, NULL}};
    sim__emit(world, SIM_EV_ATTACK, l->source_node, l->target_node, kind, msg_id, truth_hash,
              sim_text_hash(text), &t);
}

/* The attacker sees one message launched in slot (arriving at arrive_ns) and may corrupt
 * it, forge one beside it or replay an earlier one of the link; which of its kinds it
 * uses is drawn. Draws the same pattern (a chance, a 64-bit draw) for every message.
 * link_flip is the bit the link's own corruption flipped in this copy (offset * 8 + bit),
 * or -1: the attacker flips another, so that two corruptions never cancel out and a
 * corrupted message always arrives different from what was sent. */
static void attack(struct sim_world *world, struct sim_link *l, uint32_t slot, int64_t arrive_ns,
                   int64_t link_flip)
{
    gsl_rng *rng = attack_stream(world, l);
    bool acts = sim_rng_chance_ppb(rng, l->cfg.attack_ppb);
    uint64_t d = sim_rng_u64(rng);
    struct sim_msg *m = &world->msgs[slot];
    uint64_t truth_hash = XXH3_64bits(m->payload, m->payload_bytes);
    unsigned kinds[SIM_ATTACK_KIND_COUNT], kind_count = 0;
    for (unsigned k = 0; k < SIM_ATTACK_KIND_COUNT; k++)
        if (l->cfg.attack_mask & (1u << k)) kinds[kind_count++] = k;
    SIM_ASSERT(kind_count > 0);
    enum sim_attack_kind kind = (enum sim_attack_kind)kinds[d % kind_count];
    char text[160];
    size_t offset = m->payload_bytes ? (size_t)((d >> 8) % m->payload_bytes) : 0;
    unsigned bit = (unsigned)((d >> 40) & 7u);
    if ((int64_t)(offset * 8 + bit) == link_flip) bit = (bit + 1) & 7u;
    if (acts && kind == SIM_ATTACK_CORRUPT && m->payload_bytes) {
        m->payload[offset] ^= (unsigned char)(1u << bit);
        snprintf(text, sizeof text, "corrupt: byte %zu of msg %" PRIu64 " flipped in transit",
                 offset, m->msg_id);
        attack_event(world, l, kind, m->msg_id, truth_hash, text);
    } else if (acts && kind == SIM_ATTACK_FORGE) {
        uint64_t id = ++world->next_msg_id;
        uint32_t forged = launch_copy(world, id, 0, l->source_node, l->target_node,
                                      m->traffic_class, m->payload, m->payload_bytes, arrive_ns,
                                      false);
        if (forged == SIM_SLOT_NONE) return; /* out of memory: the run ends */
        struct sim_msg *f = &world->msgs[forged];
        for (size_t i = 0; i < f->payload_bytes; i++)
            f->payload[i] = (unsigned char)sim_rng_u64(rng);
        snprintf(text, sizeof text, "forge: msg %" PRIu64 " of %zu random bytes, as if from "
                 "the source", id, f->payload_bytes);
        attack_event(world, l, kind, id, 0, text);
    } else if (acts && kind == SIM_ATTACK_REPLAY && l->has_last) {
        uint64_t id = ++world->next_msg_id;
        launch_copy(world, id, 0, l->source_node, l->target_node, l->last.traffic_class,
                    l->last.payload, l->last.payload_bytes, arrive_ns, false);
        snprintf(text, sizeof text, "replay: msg %" PRIu64 " delivered again as msg %" PRIu64,
                 l->last.msg_id, id);
        attack_event(world, l, kind, id,
                     XXH3_64bits(l->last.payload, l->last.payload_bytes), text);
    }
    if (l->cfg.attack_mask & (1u << SIM_ATTACK_REPLAY)) {
        /* the attacker keeps what it saw on the wire, before its own flip */
        if (sim__byz_keep(&l->last, m->msg_id, m->traffic_class, m->payload,
                          m->payload_bytes) != 0) world->is_out_of_memory = true;
        else l->has_last = true;
        if (acts && kind == SIM_ATTACK_CORRUPT && m->payload_bytes)
            l->last.payload[offset] ^= (unsigned char)(1u << bit); /* its flip undone */
    }
}

uint64_t sim__net_send(struct sim_world *world, uint32_t source, uint32_t target,
                       enum murphy_class traffic_class, uint64_t reply_to,
                       const void *payload, size_t bytes, bool is_daemon)
{
    return net_send(world, source, target, traffic_class, reply_to, payload, bytes, is_daemon,
                    0);
}

uint64_t sim__net_send_late(struct sim_world *world, uint32_t source, uint32_t target,
                            enum murphy_class traffic_class, uint64_t reply_to,
                            const void *payload, size_t bytes, int64_t extra_delay_ns)
{
    SIM_ASSERT(extra_delay_ns >= 0);
    return net_send(world, source, target, traffic_class, reply_to, payload, bytes, false,
                    extra_delay_ns);
}

static uint64_t net_send(struct sim_world *world, uint32_t source, uint32_t target,
                         enum murphy_class traffic_class, uint64_t reply_to,
                         const void *payload, size_t bytes, bool is_daemon, int64_t extra_ns)
{
    SIM_ASSERT(target < world->node_count);
    SIM_ASSERT((unsigned)traffic_class < MURPHY_CLASS_COUNT);
    SIM_ASSERT(bytes <= MURPHY_PAYLOAD_BYTES_MAX);
    SIM_ASSERT(payload != NULL || bytes == 0);
    uint64_t id = ++world->next_msg_id;
    sim__emit(world, SIM_EV_SEND, source, target, traffic_class, id, reply_to, (int64_t)bytes,
              NULL);
    struct sim_link *l = link_get(world, source, target);
    gsl_rng *rng = l ? link_stream(world, l, traffic_class) : NULL;
    if (!rng) { /* no memory for the link: the run ends after this step */
        world->is_out_of_memory = true;
        return id;
    }
    struct send_draws d;
    draw(rng, &l->cfg, &d);
    uint32_t degrader = world->degrade_count ? degrade_draw(world, source, target) : UINT32_MAX;
    uint32_t cutter = cut_by(world, source, target);
    if (cutter != UINT32_MAX) { /* arg names the fault, so a report can tell idle faults */
        sim__emit(world, SIM_EV_DROP, source, target, SIM_DROP_PARTITION, id, reply_to, cutter,
                  NULL);
        return id;
    }
    int64_t depart_ns = transmit(world, l, id, traffic_class, reply_to, bytes);
    if (depart_ns < 0) {
        sim__emit(world, SIM_EV_DROP, source, target, SIM_DROP_QUEUE_FULL, id, reply_to,
                  (int64_t)l->tx_ends.count, NULL);
        return id;
    }
    if (d.is_lost) {
        sim__emit(world, SIM_EV_DROP, source, target, SIM_DROP_LOSS, id, reply_to, 0, NULL);
        return id;
    }
    if (degrader != UINT32_MAX) { /* arg names the fault, as for a cut */
        sim__emit(world, SIM_EV_DROP, source, target, SIM_DROP_DEGRADE, id, reply_to, degrader,
                  NULL);
        return id;
    }
    for (int i = 0; i < 2; i++) /* arg: the delay the sample was clamped to */
        if (d.is_clamped[i] && (i == 0 || d.is_duplicated))
            sim__emit(world, SIM_EV_CLAMP, source, target, 0, id, reply_to, d.delay_ns[i], NULL);
    if (d.is_reordered) { /* held back, still within the one-day bound on any delay */
        d.delay_ns[0] += l->cfg.reorder_delay_ns;
        if (d.delay_ns[0] > SIM_DELAY_NS_MAX) d.delay_ns[0] = SIM_DELAY_NS_MAX;
    }
    /* a liar's extra delay (at most 12 h, checked at load) on top of the link's */
    int64_t arrive_ns = depart_ns + d.delay_ns[0] + extra_ns;
    uint32_t slot = launch_copy(world, id, reply_to, source, target, traffic_class, payload,
                                bytes, arrive_ns, is_daemon);
    if (slot == SIM_SLOT_NONE) return id; /* out of memory: the run ends after this step */
    int64_t link_flip = -1;
    if (d.is_corrupted && bytes) {
        /* flip one bit of this copy; the duplicate, if any, stays intact */
        size_t offset = (size_t)(d.corrupt_bits % bytes);
        unsigned bit = (unsigned)((d.corrupt_bits >> 32) & 7u);
        link_flip = (int64_t)(offset * 8 + bit);
        sim__emit(world, SIM_EV_CORRUPT, source, target, 0, id, reply_to, (int64_t)offset, NULL);
        world->msgs[slot].payload[offset] ^= (unsigned char)(1u << bit);
    }
    if (d.is_duplicated) {
        sim__emit(world, SIM_EV_DUPLICATE, source, target, 0, id, reply_to, 0, NULL);
        launch_copy(world, id, reply_to, source, target, traffic_class, payload, bytes,
                    depart_ns + d.delay_ns[1] + extra_ns, is_daemon);
    }
    if (l->cfg.attack_mask && l->cfg.attack_ppb > 0 && !is_daemon)
        attack(world, l, slot, arrive_ns, link_flip);
    return id;
}

void sim__net_arrive(struct sim_world *world, uint32_t slot)
{
    struct sim_msg *m = &world->msgs[slot];
    SIM_ASSERT(m->is_live);
    uint32_t cutter = cut_by(world, m->source_node, m->target_node);
    if (cutter != UINT32_MAX) {
        sim__emit(world, SIM_EV_DROP, m->source_node, m->target_node, SIM_DROP_PARTITION,
                  m->msg_id, m->reply_to_msg_id, cutter, NULL);
        sim__msg_free(world, slot);
        return;
    }
    sim__node_offer_message(world, slot);
}
