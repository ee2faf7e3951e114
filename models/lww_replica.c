/* models/lww_replica.c - one replica of a last-write-wins register: a single value that
 * every write replaces if, and only if, its (timestamp, value id) is larger than the one
 * held. Timestamps come from the writers' wall clocks (lww_wire.h); the replica never
 * reads a clock, which is the whole trouble: it cannot tell a late write from a write
 * whose writer's clock is behind, so a write stamped by a slow clock is silently
 * overwritten, or ignored, by one that happened before it in true time.
 *
 *   writer --WRITE--> replica: apply_write(); ack at once; REPLICATE to every peer
 *   peer   --REPLICATE--> replica: apply_write(); no ack, no forwarding
 *   reader --READ--> replica: READ_REPLY with the register as it is here
 *
 * Invariants:
 *   R1 the register only moves up in (timestamp, value id) order;
 *   R2 a write is acknowledged only once the register here is at least that write;
 *   R3 a writer's write is sent to each peer once, by the replica that took it; a
 *      replicated write is applied and never forwarded (so nothing loops);
 *   R4 a malformed or misdirected message (bad length, magic, checksum, kind for its
 *      class, a replication from outside `peers`, a value id of 0, a writer's write whose
 *      value id names another writer) changes nothing and is noted.
 * The register is durable (a crash keeps what was acknowledged). Replication is one
 * message per peer, without retries or anti-entropy: a lost one leaves replicas apart,
 * which a scenario can show; the scenarios here keep replication links lossless. */
#include "models.h"

#include "lww_wire.h"

struct lww_replica_durable {
    int64_t ts_ns;      /* R1: the register's (timestamp, value id); value id 0: never set */
    uint64_t value_id;
};

static const struct murphy_param_spec replica_params[] = {
    {"peers", MURPHY_PARAM_GROUP, NULL, 0, 0,
     "the replicas of the register (this one may be among them; it skips itself)"},
};

static void reject(struct murphy_node *node, const char *why)
{
    murphy_note(node, why); /* R4: noted, nothing changed */
}

/* Applies a write; true if it won (the register moved). */
static bool apply_write(struct murphy_node *node, const struct lww_wire *w)
{
    struct lww_replica_durable *d = murphy_durable(node);
    if (!lww_wins(w->ts_ns, w->value_id, d->ts_ns, d->value_id)) return false;
    d->ts_ns = w->ts_ns; /* R1 */
    d->value_id = w->value_id;
    return true;
}

static void replicate(struct murphy_node *node, const struct lww_wire *w)
{
    uint32_t first, count;
    murphy_param_group(node, "peers", &first, &count);
    struct lww_wire copy = {.kind = LWW_REPLICATE, .ts_ns = w->ts_ns, .value_id = w->value_id};
    unsigned char p[LWW_WIRE_BYTES];
    lww_wire_encode(&copy, p);
    uint32_t self = murphy_node_index(node);
    for (uint32_t peer = first; peer < first + count; peer++)
        if (peer != self) murphy_send(node, peer, MURPHY_CLASS_REPLICATION, p, sizeof p); /* R3 */
}

static bool is_peer(const struct murphy_node *node, uint32_t source)
{
    uint32_t first, count;
    murphy_param_group(node, "peers", &first, &count);
    return source >= first && source - first < count && source != murphy_node_index(node);
}

static void on_request(struct murphy_node *node, const struct murphy_msg *msg,
                       const struct lww_wire *w)
{
    struct lww_replica_durable *d = murphy_durable(node);
    unsigned char p[LWW_WIRE_BYTES];
    if (w->kind == LWW_READ) {
        if (w->ts_ns != 0 || w->value_id != 0) {
            reject(node, "rejected a read carrying a value");
            return;
        }
        struct lww_wire answer = {.kind = LWW_READ_REPLY, .ts_ns = d->ts_ns,
                                  .value_id = d->value_id};
        lww_wire_encode(&answer, p);
        murphy_reply(node, msg, p, sizeof p);
        return;
    }
    if (w->kind != LWW_WRITE) {
        reject(node, "rejected a request that is neither a read nor a write");
        return;
    }
    if ((uint32_t)w->value_id == 0) {
        reject(node, "rejected a write with no value (sequence 0)");
        return;
    }
    if (lww_value_writer(w->value_id) != msg->source_node) {
        reject(node, "rejected a write in another writer's name");
        return;
    }
    apply_write(node, w);
    /* R2: whether it won or not, the register is now >= the write. That is what LWW
     * promises, and why a losing write is acknowledged as if it had been kept. */
    if (lww_wins(w->ts_ns, w->value_id, d->ts_ns, d->value_id))
        murphy_violation(node, "R2: acknowledging a write the register is below");
    struct lww_wire ack = {.kind = LWW_WRITE_ACK, .ts_ns = w->ts_ns, .value_id = w->value_id};
    lww_wire_encode(&ack, p);
    murphy_reply(node, msg, p, sizeof p);
    replicate(node, w);
}

static void replica_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lww_wire w;
    if (!lww_wire_decode(msg->payload, msg->payload_bytes, &w)) {
        reject(node, "rejected a malformed register message (length, magic or checksum)");
        return;
    }
    switch (msg->traffic_class) {
    case MURPHY_CLASS_REQUEST: on_request(node, msg, &w); return;
    case MURPHY_CLASS_REPLICATION:
        if (w.kind != LWW_REPLICATE || (uint32_t)w.value_id == 0) {
            reject(node, "rejected a replication message that is not a replicated write");
            return;
        }
        if (!is_peer(node, msg->source_node)) {
            reject(node, "rejected a replicated write from a node outside 'peers'");
            return;
        }
        apply_write(node, &w); /* R3: never forwarded */
        return;
    default: reject(node, "rejected a register message in an unexpected traffic class");
    }
}

const struct murphy_model models_lww_replica = {
    .api_version = MURPHY_API_VERSION,
    .name = "lww_replica",
    .summary = "a replica of a last-write-wins register: the largest (timestamp, writer) wins",
    .durable_bytes = sizeof(struct lww_replica_durable),
    .volatile_bytes = 0,
    .params = replica_params,
    .param_count = sizeof replica_params / sizeof replica_params[0],
    .on_message = replica_on_message,
};
