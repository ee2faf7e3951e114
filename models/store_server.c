/* models/store_server.c - storage that holds one counter (value and version, durable),
 * read and written by lock clients that pass the fencing token of their lease; with
 * `fencing` on it refuses requests whose token is older than one it has already seen.
 *
 * The store cannot know who holds the lease now; it only sees tokens, and the lock
 * service hands them out in increasing order (lease_server L2). A token below the highest
 * seen belongs to a lease that the lock service has since given to someone else: its
 * holder is stale, whatever its own clock says. Rejecting it is the whole of fencing.
 *
 * Messages (models/lease_wire.h): READ(token) -> READ_OK(value, version) or
 * REJECTED(highest); WRITE(token, value, base_version) -> WRITE_OK(version) or
 * REJECTED(highest). Told to the oracles: murphy_claim("store.accept", token,
 * base_version) for each accepted write (before the version moves), "store.reject"
 * (token, highest) for each refused write, "store.reject_read" (token, highest) for each
 * refused read.
 *
 * Invariants:
 *   S1 with fencing on, no read or write is served whose token is below the highest
 *      token the store had seen when it arrived.
 *   S2 every accepted write moves the version up by exactly one; the version never
 *      goes back (durable: a crash keeps value, version and highest token).
 *   S3 a write is never accepted on a base_version the store has not reached (that is a
 *      lie or a bug in the writer, not a race): such a write is rejected and noted.
 *   S4 a lease makes one write, so a second write with the token of the last accepted
 *      one is that write again (duplicated by the network): it is answered with the
 *      version it made, not applied twice. */
#include "models.h"

#include "lease_wire.h"

struct store_durable {
    int64_t value;
    int64_t version;         /* S2: accepted writes so far */
    int64_t highest_token;   /* the highest token seen on any read or write; 0: none */
    int64_t last_write_token; /* S4: the token of the last accepted write, and the */
    int64_t last_write_version; /* version it made */
};

static const struct murphy_param_spec store_params[] = {
    {"fencing", MURPHY_PARAM_BOOL, "true", 0, 0,
     "refuse reads and writes whose token is below the highest seen"},
};

static void send_reply(struct murphy_node *node, const struct murphy_msg *request,
                       const struct lease_wire_msg *reply)
{
    unsigned char bytes[LEASE_WIRE_BYTES_MAX];
    size_t byte_count = lease_wire_encode(reply, bytes);
    murphy_reply(node, request, bytes, byte_count);
}

/* True if the request with this token is served; else it was answered REJECTED.
 *
 * Why reads are fenced too, and why they raise the highest token: a client does a
 * read-modify-write, and its write is correct only if nothing was written between its
 * read and its write. Fencing writes alone does not give that. Say A's lease (token 33)
 * expired while A was paused, B got token 34 and read version 7; then A, still believing
 * it holds the lease, reads version 7 and writes 8: the store has seen no token above 33
 * on a write, so it accepts. B then writes with 34 > 33, accepted, on base version 7:
 * A's update is lost, and it was the *newer* holder's write that did it. Counting B's
 * read as "token 34 seen" rejects A's write (and A's late read) instead, so between a
 * fenced read and the write that follows it no older token gets in, and a newer one
 * makes the older write fail rather than be overwritten (S1): between a fenced read and
 * the write that follows it, no write with another token is accepted. */
static bool admit(struct murphy_node *node, const struct murphy_msg *msg, int64_t token,
                  const char *reject_claim)
{
    struct store_durable *d = murphy_durable(node);
    if (murphy_param_bool(node, "fencing") && token < d->highest_token) { /* S1 */
        murphy_claim(node, reject_claim, token, d->highest_token);
        send_reply(node, msg, &(struct lease_wire_msg){.kind = STORE_MSG_REJECTED,
                                                       .field = {d->highest_token}});
        return false;
    }
    if (token > d->highest_token) d->highest_token = token;
    return true;
}

static void on_read(struct murphy_node *node, const struct murphy_msg *msg,
                    const struct lease_wire_msg *m)
{
    struct store_durable *d = murphy_durable(node);
    if (!admit(node, msg, m->field[0], "store.reject_read")) return;
    send_reply(node, msg, &(struct lease_wire_msg){.kind = STORE_MSG_READ_OK,
                                                   .field = {d->value, d->version}});
}

static void on_write(struct murphy_node *node, const struct murphy_msg *msg,
                     const struct lease_wire_msg *m)
{
    struct store_durable *d = murphy_durable(node);
    int64_t token = m->field[0], value = m->field[1], base_version = m->field[2];
    if (base_version < 0 || base_version > d->version) { /* S3 */
        murphy_note(node, "write based on a version the store never had; rejected");
        return;
    }
    if (token == d->last_write_token) { /* S4 */
        murphy_note(node, "the last accepted write again (a duplicate); answered, not applied");
        send_reply(node, msg, &(struct lease_wire_msg){.kind = STORE_MSG_WRITE_OK,
                                                       .field = {d->last_write_version}});
        return;
    }
    if (!admit(node, msg, token, "store.reject")) return;
    murphy_claim(node, "store.accept", token, base_version);
    d->value = value;
    d->version++; /* S2 */
    d->last_write_token = token;
    d->last_write_version = d->version;
    send_reply(node, msg, &(struct lease_wire_msg){.kind = STORE_MSG_WRITE_OK,
                                                   .field = {d->version}});
}

static void store_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lease_wire_msg m;
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) return; /* not addressed to a service */
    if (!lease_wire_decode(msg->payload, msg->payload_bytes, &m)) {
        murphy_note(node, "malformed store request (length, padding or checksum); rejected");
        return;
    }
    if ((m.kind == STORE_MSG_READ || m.kind == STORE_MSG_WRITE) && m.field[0] < 1) {
        murphy_note(node, "request with a token never granted (< 1); rejected");
        return;
    }
    switch (m.kind) {
    case STORE_MSG_READ: on_read(node, msg, &m); break;
    case STORE_MSG_WRITE: on_write(node, msg, &m); break;
    default: murphy_note(node, "not a store request; rejected"); break;
    }
}

const struct murphy_model models_store_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "store_server",
    .summary = "a durable counter read and written with fencing tokens, checked or not",
    .durable_bytes = sizeof(struct store_durable),
    .volatile_bytes = 0,
    .params = store_params,
    .param_count = sizeof store_params / sizeof store_params[0],
    .on_message = store_on_message,
};
