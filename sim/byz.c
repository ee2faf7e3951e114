/* sim/byz.c - Byzantine nodes: policies wrapped around a model's sends.
 *
 * A node turned Byzantine (fault `byzantine`) keeps running its honest model; what the
 * model sends passes through the fault's policies before it reaches the network. They
 * apply to one send in the fixed order of enum sim_byz_policy:
 *   alter (the model's byz_alter hook) -> corrupt -> drop -> delay -> duplicate ->
 *   replay -> flood
 * so they combine: an altered, late message plus a replay of an older one.
 * Invariants:
 *   B1 an honest node's send is exactly sim__net_send: no draw, no event, so runs without
 *      Byzantine nodes keep their event streams and hashes.
 *   B2 each policy draws from its own stream ("byz/NODE/POLICY"), always the same pattern
 *      per send it could act on (a chance, then one 64-bit draw), whatever the others did;
 *      flood's garbage bytes come after, from flood's stream only.
 *   B3 every lie is one LIE event after the SEND it distorts (or alone, for a drop), with
 *      the hash of the bytes the model really sent: the record states the truth.
 *   B4 the model's state is never touched: the hook gets a const node, and the bytes
 *      that go out are a copy.
 * Leaves out: lies about state (a liar that restarts keeps lying; crashes are the
 * kernel's), and forged sources (a node cannot send as another: that is a link attack). */
#include "internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#define SAID_BYTES 160u
#define LIE_TEXT_BYTES (SAID_BYTES + 2 * SIM_NAME_BYTES_MAX + 128u)

void sim__byz_free(struct sim_byz *byz)
{
    if (!byz) return;
    for (int p = 0; p < SIM_BYZ_POLICY_COUNT; p++)
        if (byz->rng[p]) gsl_rng_free(byz->rng[p]);
    for (uint32_t i = 0; i < SIM_BYZ_REPLAY_MAX; i++) free(byz->sent[i].payload);
    free(byz->out);
    free(byz);
}

int sim__byz_keep(struct sim_byz_sent *kept, uint64_t msg_id, enum murphy_class traffic_class,
                  const void *payload, size_t payload_bytes)
{
    if (kept->payload_cap < payload_bytes || !kept->payload) {
        size_t cap = payload_bytes ? payload_bytes : 1;
        unsigned char *p = realloc(kept->payload, cap);
        if (!p) return -1;
        kept->payload = p;
        kept->payload_cap = cap;
    }
    if (payload_bytes) memcpy(kept->payload, payload, payload_bytes);
    kept->payload_bytes = payload_bytes;
    kept->msg_id = msg_id;
    kept->traffic_class = traffic_class;
    return 0;
}

void sim__byz_start(struct sim_world *world, uint32_t node, uint32_t fault_index)
{
    SIM_ASSERT(node < world->node_count);
    SIM_ASSERT(fault_index < world->fault_count);
    SIM_ASSERT(world->faults[fault_index].action == SIM_FAULT_BYZANTINE);
    struct murphy_node *n = &world->nodes[node];
    if (!n->byz) {
        n->byz = calloc(1, sizeof *n->byz);
        if (!n->byz) {
            world->is_out_of_memory = true;
            return;
        }
    }
    n->byz->fault_index = fault_index; /* a later byzantine fault replaces the policies */
    unsigned mask = world->faults[fault_index].byz_policy_mask;
    for (int p = 0; p < SIM_BYZ_POLICY_COUNT; p++) {
        if (!(mask & (1u << p)) || n->byz->rng[p]) continue; /* a stream lives on, once */
        char name[SIM_NAME_BYTES_MAX + 32];
        snprintf(name, sizeof name, "byz/%s/%s", n->name, sim_byz_policy_name((unsigned)p));
        n->byz->rng[p] = sim__open_stream(world, name);
        if (!n->byz->rng[p]) world->is_out_of_memory = true;
    }
}

static int64_t bytes_hash(const void *bytes, size_t byte_count)
{
    return (int64_t)XXH3_64bits(bytes, byte_count);
}

/* One LIE event (B3): `sent` is what went out (NULL for nothing), `said` the hook's words. */
static void lie(struct sim_world *world, const struct murphy_node *n, uint32_t target,
                enum sim_byz_policy policy, uint64_t msg_id, const void *truth,
                size_t truth_bytes, const void *sent, size_t sent_bytes, const char *said)
{
    char text[LIE_TEXT_BYTES];
    const char *target_name = world->nodes[target].name;
    uint64_t truth_hash = (uint64_t)bytes_hash(truth, truth_bytes);
    int len;
    if (sent)
        len = snprintf(text, sizeof text, "%s: %s told %s %zu bytes #%016" PRIx64
                       " where its model sent %zu bytes #%016" PRIx64, sim_byz_policy_name(policy),
                       n->name, target_name, sent_bytes, (uint64_t)bytes_hash(sent, sent_bytes),
                       truth_bytes, truth_hash);
    else
        len = snprintf(text, sizeof text, "%s: %s told %s nothing where its model sent %zu "
                       "bytes #%016" PRIx64, sim_byz_policy_name(policy), n->name, target_name,
                       truth_bytes, truth_hash);
    if (said && said[0] && len > 0 && (size_t)len < sizeof text)
        snprintf(text + len, sizeof text - (size_t)len, "; %s", said);
    struct sim_event_text t = {{text, NULL, NULL}};
    sim__emit(world, SIM_EV_LIE, n->index, target, policy, msg_id, truth_hash,
              sim_text_hash(text), &t);
}

static bool ensure_out(struct sim_world *world, struct sim_byz *byz, size_t cap)
{
    if (byz->out_cap >= cap) return true;
    unsigned char *out = realloc(byz->out, cap);
    if (!out) {
        world->is_out_of_memory = true;
        return false;
    }
    byz->out = out;
    byz->out_cap = cap;
    return true;
}

/* What the policies decided for one send (drawn first, acted on after). */
struct byz_plan {
    bool acts[SIM_BYZ_POLICY_COUNT];
    uint64_t draw[SIM_BYZ_POLICY_COUNT];
};

static void plan(struct sim_byz *byz, const struct sim_fault *f, struct byz_plan *p)
{
    *p = (struct byz_plan){0};
    for (int i = 0; i < SIM_BYZ_POLICY_COUNT; i++) {
        if (!(f->byz_policy_mask & (1u << i))) continue;
        SIM_ASSERT(byz->rng[i] != NULL);
        p->acts[i] = sim_rng_chance_ppb(byz->rng[i], f->byz_ratio_ppb); /* B2 */
        p->draw[i] = sim_rng_u64(byz->rng[i]);
    }
}

/* alter, then corrupt, into byz->out; returns the length that goes out. */
static size_t distort(struct sim_world *world, struct murphy_node *n, uint32_t target,
                      const void *payload, size_t bytes, struct byz_plan *p, char *said)
{
    struct sim_byz *byz = n->byz;
    size_t out_bytes = bytes;
    said[0] = '\0';
    if (p->acts[SIM_BYZ_ALTER]) {
        size_t cap = bytes + 256 > MURPHY_PAYLOAD_BYTES_MAX ? MURPHY_PAYLOAD_BYTES_MAX
                                                             : bytes + 256;
        SIM_ASSERT(n->model->api_version >= 2 && n->model->byz_alter); /* checked at load */
        size_t altered = n->model->byz_alter(n, target, payload, bytes, byz->out, cap,
                                             p->draw[SIM_BYZ_ALTER], said, SAID_BYTES);
        SIM_ASSERT(altered == SIZE_MAX || altered <= cap); /* a hook bug otherwise */
        said[SAID_BYTES - 1] = '\0';
        if (altered == SIZE_MAX) p->acts[SIM_BYZ_ALTER] = false; /* nothing to lie about */
        else out_bytes = altered;
    }
    if (!p->acts[SIM_BYZ_ALTER] && bytes) memcpy(byz->out, payload, bytes);
    if (p->acts[SIM_BYZ_CORRUPT]) {
        if (!out_bytes) {
            p->acts[SIM_BYZ_CORRUPT] = false; /* no byte to flip */
        } else {
            uint64_t d = p->draw[SIM_BYZ_CORRUPT];
            byz->out[d % out_bytes] ^= (unsigned char)(1u << ((d >> 32) & 7u));
        }
    }
    (void)world;
    return out_bytes;
}

static void send_extras(struct sim_world *world, struct murphy_node *n, uint32_t target,
                        enum murphy_class cls, uint64_t reply_to, const void *payload,
                        size_t bytes, size_t out_bytes, const struct byz_plan *p)
{
    struct sim_byz *byz = n->byz;
    const struct sim_fault *f = &world->faults[byz->fault_index];
    if (p->acts[SIM_BYZ_DUPLICATE])
        for (uint32_t c = 0; c < f->byz_copies; c++) {
            uint64_t id = sim__net_send(world, n->index, target, cls, reply_to, byz->out,
                                        out_bytes, false);
            lie(world, n, target, SIM_BYZ_DUPLICATE, id, payload, bytes, byz->out, out_bytes,
                NULL);
        }
    if (p->acts[SIM_BYZ_REPLAY] && byz->sent_count) {
        const struct sim_byz_sent *old = &byz->sent[p->draw[SIM_BYZ_REPLAY] % byz->sent_count];
        uint64_t id = sim__net_send(world, n->index, target, old->traffic_class, 0, old->payload,
                                    old->payload_bytes, false);
        char said[64];
        snprintf(said, sizeof said, "a replay of msg %" PRIu64, old->msg_id);
        lie(world, n, target, SIM_BYZ_REPLAY, id, payload, bytes, old->payload,
            old->payload_bytes, said);
    }
    if (p->acts[SIM_BYZ_FLOOD] && bytes) {
        gsl_rng *rng = byz->rng[SIM_BYZ_FLOOD];
        for (uint32_t c = 0; c < f->byz_copies; c++) {
            for (size_t i = 0; i < bytes; i++) byz->out[i] = (unsigned char)sim_rng_u64(rng);
            uint64_t id = sim__net_send(world, n->index, target, cls, 0, byz->out, bytes, false);
            lie(world, n, target, SIM_BYZ_FLOOD, id, payload, bytes, byz->out, bytes,
                "garbage beside the message");
        }
    }
}

uint64_t sim__byz_send(struct sim_world *world, struct murphy_node *n, uint32_t target,
                       enum murphy_class cls, uint64_t reply_to, const void *payload,
                       size_t bytes)
{
    struct sim_byz *byz = n->byz;
    if (!byz) return sim__net_send(world, n->index, target, cls, reply_to, payload, bytes, false);
    const struct sim_fault *f = &world->faults[byz->fault_index];
    if (f->byz_to.range_count && !sim_node_set_has(&f->byz_to, target))
        return sim__net_send(world, n->index, target, cls, reply_to, payload, bytes, false);
    SIM_ASSERT(target < world->node_count);
    SIM_ASSERT(bytes <= MURPHY_PAYLOAD_BYTES_MAX);
    size_t cap = bytes + 256 > MURPHY_PAYLOAD_BYTES_MAX ? MURPHY_PAYLOAD_BYTES_MAX : bytes + 256;
    if (!ensure_out(world, byz, cap))
        return sim__net_send(world, n->index, target, cls, reply_to, payload, bytes, false);
    struct byz_plan p;
    plan(byz, f, &p);
    char said[SAID_BYTES];
    size_t out_bytes = distort(world, n, target, payload, bytes, &p, said);
    uint64_t id;
    if (p.acts[SIM_BYZ_DROP]) {
        id = ++world->next_msg_id; /* the model gets an id; nothing travels under it */
        lie(world, n, target, SIM_BYZ_DROP, id, payload, bytes, NULL, 0, NULL);
    } else {
        int64_t extra_ns = p.acts[SIM_BYZ_DELAY] ? f->byz_extra_ns : 0;
        id = sim__net_send_late(world, n->index, target, cls, reply_to, byz->out, out_bytes,
                                extra_ns);
        if (p.acts[SIM_BYZ_ALTER])
            lie(world, n, target, SIM_BYZ_ALTER, id, payload, bytes, byz->out, out_bytes, said);
        if (p.acts[SIM_BYZ_CORRUPT])
            lie(world, n, target, SIM_BYZ_CORRUPT, id, payload, bytes, byz->out, out_bytes,
                "one bit flipped");
        if (p.acts[SIM_BYZ_DELAY]) {
            char late[64];
            char d[32];
            snprintf(late, sizeof late, "%s late", sim_units_format_ns(extra_ns, d, sizeof d));
            lie(world, n, target, SIM_BYZ_DELAY, id, payload, bytes, byz->out, out_bytes, late);
        }
    }
    send_extras(world, n, target, cls, reply_to, payload, bytes, out_bytes, &p);
    if (f->byz_policy_mask & (1u << SIM_BYZ_REPLAY)) { /* remember the truth, for later */
        struct sim_byz_sent *slot = &byz->sent[byz->sent_next];
        if (sim__byz_keep(slot, id, cls, payload, bytes) != 0) {
            world->is_out_of_memory = true;
            return id;
        }
        byz->sent_next = (byz->sent_next + 1) % SIM_BYZ_REPLAY_MAX;
        if (byz->sent_count < SIM_BYZ_REPLAY_MAX) byz->sent_count++;
    }
    return id;
}
