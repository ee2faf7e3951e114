/* models/lease_server.c - a lock service that grants leases: a lease of `lease` to one
 * client at a time, timed on the server's own monotonic clock, each grant carrying a
 * fencing token from a counter that survives crashes.
 *
 * A lease is only a promise about the server's clock. The holder may be paused, its clock
 * may run slow, its write may sit in a queue: when the server's clock says the lease is
 * over, the server grants it to the next client whatever the old holder believes. That is
 * the point of the scenarios that use it (lease-gc-pause, fencing-token): the lease alone
 * cannot keep two writers apart, the token lets the storage tell them apart.
 *
 * Messages (models/lease_wire.h): ACQUIRE -> GRANT(token, lease_ns) or BUSY; RELEASE(token)
 * is one way. Every grant is told to the oracles: murphy_claim("lease.grant", holder,
 * token).
 *
 *            on_acquire (free, expired, or asked by the holder itself)
 *   [free] ------------------------------------------------> [held by C until T]
 *      ^  <------ on_release (C, current token) -------------      |
 *      |  <------ time passes T (checked lazily in on_acquire) ----'
 *
 * Invariants:
 *   L1 at most one lease is live by the server's clock: a grant to C happens only when no
 *      other client holds a lease whose expiry (server mono) is still ahead.
 *   L2 tokens strictly increase over the server's whole life, crashes included: the
 *      durable counter is bumped before a token leaves.
 *   L3 a release frees the lease only when it names the current holder and its token; a
 *      late release of an old lease never frees someone else's.
 *   L4 after a restart the server has forgotten who held the lease, so it grants nothing
 *      for one lease duration: any lease granted before the crash has expired by then
 *      (on the server's clock). */
#include "models.h"

#include "lease_wire.h"

struct lease_durable {
    uint64_t last_token; /* L2: the highest token ever handed out; 0 before the first */
};

struct lease_volatile {
    bool has_holder;
    uint32_t holder_node;
    uint64_t holder_token;
    int64_t expires_mono_ns;      /* the holder's lease ends here, on this node's clock */
    int64_t grants_from_mono_ns;  /* L4: nothing is granted before this */
};

static const struct murphy_param_spec lease_params[] = {
    {"lease", MURPHY_PARAM_DURATION, "1s", 1, INT64_C(86400000000000),
     "how long a grant lasts, on the server's monotonic clock"},
};

static void lease_on_start(struct murphy_node *node)
{
    struct lease_volatile *v = murphy_volatile(node);
    *v = (struct lease_volatile){0};
}

static void lease_on_restart(struct murphy_node *node)
{
    struct lease_volatile *v = murphy_volatile(node);
    *v = (struct lease_volatile){0};
    /* L4: wait out any lease granted by the previous incarnation */
    v->grants_from_mono_ns = murphy_mono_ns(node) + murphy_param_i64(node, "lease");
}

static void send_reply(struct murphy_node *node, const struct murphy_msg *request,
                       const struct lease_wire_msg *reply)
{
    unsigned char bytes[LEASE_WIRE_BYTES_MAX];
    size_t byte_count = lease_wire_encode(reply, bytes);
    murphy_reply(node, request, bytes, byte_count);
}

static void on_acquire(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lease_volatile *v = murphy_volatile(node);
    struct lease_durable *d = murphy_durable(node);
    int64_t now_ns = murphy_mono_ns(node);
    int64_t lease_ns = murphy_param_i64(node, "lease");
    bool is_held_by_other = v->has_holder && v->holder_node != msg->source_node &&
                            now_ns < v->expires_mono_ns;
    if (is_held_by_other || now_ns < v->grants_from_mono_ns) { /* L1, L4 */
        send_reply(node, msg, &(struct lease_wire_msg){.kind = LEASE_MSG_BUSY});
        return;
    }
    /* A holder asking again (its release was lost, or it starts a new operation) gets a
     * fresh lease with a fresh token: it never holds two at once. */
    d->last_token++; /* L2: durable first, then the token leaves */
    v->has_holder = true;
    v->holder_node = msg->source_node;
    v->holder_token = d->last_token;
    v->expires_mono_ns = now_ns + lease_ns;
    murphy_claim(node, "lease.grant", (int64_t)msg->source_node, (int64_t)d->last_token);
    send_reply(node, msg, &(struct lease_wire_msg){
        .kind = LEASE_MSG_GRANT, .field = {(int64_t)d->last_token, lease_ns}});
}

static void on_release(struct murphy_node *node, const struct murphy_msg *msg, int64_t token)
{
    struct lease_volatile *v = murphy_volatile(node);
    if (!v->has_holder || v->holder_node != msg->source_node ||
        v->holder_token != (uint64_t)token) {
        murphy_note(node, "release of a lease that is not the current one; ignored"); /* L3 */
        return;
    }
    v->has_holder = false;
}

static void lease_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lease_wire_msg m;
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) return; /* not addressed to a service */
    if (!lease_wire_decode(msg->payload, msg->payload_bytes, &m)) {
        murphy_note(node, "malformed lock request (length, padding or checksum); rejected");
        return;
    }
    switch (m.kind) {
    case LEASE_MSG_ACQUIRE: on_acquire(node, msg); break;
    case LEASE_MSG_RELEASE:
        if (m.field[0] < 1) {
            murphy_note(node, "release with a token never granted (< 1); rejected");
            return;
        }
        on_release(node, msg, m.field[0]);
        break;
    default: murphy_note(node, "not a lock request; rejected"); break;
    }
}

const struct murphy_model models_lease_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "lease_server",
    .summary = "lock service: one lease at a time on its own clock, with fencing tokens",
    .durable_bytes = sizeof(struct lease_durable),
    .volatile_bytes = sizeof(struct lease_volatile),
    .params = lease_params,
    .param_count = sizeof lease_params / sizeof lease_params[0],
    .on_start = lease_on_start,
    .on_message = lease_on_message,
    .on_restart = lease_on_restart,
};
