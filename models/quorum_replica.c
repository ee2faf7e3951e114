/* models/quorum_replica.c - one replica of a quorum-replicated register (ABD): it keeps a
 * durable (tag, value) pair and answers its clients (models/quorum_client.c), which do all
 * the coordinating. Replicas never talk to each other: a replica that missed a write
 * learns it only when a later write or a read's repair stores a newer pair here.
 *
 *   client --QUERY--> replica: QUERY_REPLY with the (tag, value) held here
 *   client --STORE--> replica: keep (tag, value) if its tag is newer than the one held
 *                              (store()), then STORE_ACK echoing the pair
 *
 * Invariants:
 *   R1 the tag held only moves up in (counter, writer) order, across crashes too (durable);
 *   R2 a STORE is acknowledged only once the tag held here is at least the stored one, so
 *      an ack means "a read from here will see this write or a newer one";
 *   R3 one tag names one value: a STORE whose tag is the one held here with another value
 *      (no honest client makes one: quorum_client's C1) changes nothing, is noted and is
 *      not acknowledged;
 *   R4 a malformed or misdirected message (length, magic, checksum, padding, a pair no
 *      write makes, a kind that is not a request, a class other than request) changes
 *      nothing and is noted.
 * Linearizability is the clients' and the quorums' doing (w + r > n, read repair); a
 * replica alone promises only R1..R4.
 *
 * Byzantine hook (byz_alter, the `alter` policy): a forged claim of storage. The liar
 * acknowledges every store as the model does, and answers every query as if it held
 * nothing ((0, 0), nil), re-encoded with a valid checksum: its acks count towards a
 * write's w, its answers hide that write from a read's r. With w + r = n + 1 a read
 * quorum meets a write quorum in one replica, which may be the liar: the read misses the
 * write (not linearizable). With w + r >= n + 2 the two always share an honest replica,
 * and the newest tag wins, so hiding alone cannot break it (a liar that invents newer
 * tags would: that needs signed values, which this register does not have).
 * The said text is "said it holds nothing, the truth is tag C.W value V". */
#include "models.h"

#include <stdio.h>

#include "quorum_wire.h"

struct quorum_replica_durable {
    struct quorum_tag tag; /* R1; (0, 0) with value 0: never written */
    uint64_t value_id;
};

static void reject(struct murphy_node *node, const char *why)
{
    murphy_note(node, why); /* R4 */
}

static void answer(struct murphy_node *node, const struct murphy_msg *request,
                   enum quorum_wire_kind kind, uint64_t op, struct quorum_tag tag,
                   uint64_t value_id)
{
    struct quorum_wire w = {.kind = kind, .op = op, .tag = tag, .value_id = value_id};
    unsigned char p[QUORUM_WIRE_BYTES];
    quorum_wire_encode(&w, p);
    murphy_reply(node, request, p, sizeof p);
}

static void store(struct murphy_node *node, const struct murphy_msg *msg,
                  const struct quorum_wire *w)
{
    struct quorum_replica_durable *d = murphy_durable(node);
    if (w->tag.counter == 0) {
        reject(node, "rejected a store of the initial tag (0, 0)");
        return;
    }
    if (quorum_tag_equal(w->tag, d->tag) && w->value_id != d->value_id) {
        reject(node, "rejected a store whose tag is held here with another value"); /* R3 */
        return;
    }
    if (quorum_tag_less(d->tag, w->tag)) {
        d->tag = w->tag; /* R1 */
        d->value_id = w->value_id;
    }
    /* R2: the tag held is now at least w's (equal, newer, or just stored) */
    answer(node, msg, QUORUM_STORE_ACK, w->op, w->tag, w->value_id);
}

static void replica_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct quorum_wire w;
    if (!quorum_wire_decode(msg->payload, msg->payload_bytes, &w)) {
        reject(node, "rejected a malformed register message (length, magic, checksum, tag)");
        return;
    }
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) {
        reject(node, "rejected a register message that is not a request");
        return;
    }
    const struct quorum_replica_durable *d = murphy_durable(node);
    if (w.kind == QUORUM_QUERY && w.tag.counter == 0)
        answer(node, msg, QUORUM_QUERY_REPLY, w.op, d->tag, d->value_id);
    else if (w.kind == QUORUM_STORE) store(node, msg, &w);
    else reject(node, "rejected a register message that is no query or store");
}

/* The lie (see the header): a query answered with (0, 0), nil; the rest goes out true. */
static size_t quorum_replica_byz_alter(const struct murphy_node *node, uint32_t target,
                                       const void *payload, size_t bytes, void *out,
                                       size_t out_cap, uint64_t draw, char *said,
                                       size_t said_bytes)
{
    (void)node;
    (void)target;
    (void)draw; /* always the same denial */
    struct quorum_wire w;
    if (out_cap < QUORUM_WIRE_BYTES || !quorum_wire_decode(payload, bytes, &w) ||
        w.kind != QUORUM_QUERY_REPLY || w.tag.counter == 0)
        return SIZE_MAX; /* not an answer, or nothing to hide: no lie */
    struct quorum_wire lie = {.kind = QUORUM_QUERY_REPLY, .op = w.op};
    quorum_wire_encode(&lie, out);
    snprintf(said, said_bytes, "said it holds nothing, the truth is tag %llu.%lu value %llu",
             (unsigned long long)w.tag.counter, (unsigned long)w.tag.writer,
             (unsigned long long)w.value_id);
    return QUORUM_WIRE_BYTES;
}

const struct murphy_model models_quorum_replica = {
    .api_version = MURPHY_API_VERSION,
    .name = "quorum_replica",
    .summary = "a replica of an ABD quorum register: a durable (tag, value), queried and stored",
    .durable_bytes = sizeof(struct quorum_replica_durable),
    .volatile_bytes = 0,
    .params = NULL,
    .param_count = 0,
    .on_message = replica_on_message,
    .byz_alter = quorum_replica_byz_alter,
};
