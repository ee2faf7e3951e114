/* models/name_registry.c - one replica of a unique-name registry: a client asks any
 * replica for a name (a small integer), and the registry must never give one name to two
 * clients. Each replica keeps a durable table name -> client it has promised the name to.
 *
 *   naive=true:  client --REGISTER--> replica: free (or already this client's) in the
 *                local table? take it, reply OK, tell the peers (RESERVE, fire and forget).
 *                Two replicas that cannot hear each other both say yes to different
 *                clients: the duplicate the oracle (checks/names.c) catches.
 *   naive=false: the replica promises the name locally, sends RESERVE to every peer and
 *                replies OK only once a strict majority of `peers` (itself included) has
 *                promised the name to this client; a DENY from a majority, or no majority
 *                within `timeout`, replies FAIL. Two majorities share a replica and a
 *                replica promises a name once, so two clients never both get it.
 *   peer --RESERVE--> replica: GRANT if free or already this client's (and persist the
 *                promise), else DENY; in naive mode the answer is not waited for.
 *
 * Invariants:
 *   N1 a name in the durable table is never moved to another client (promises stick,
 *      across crashes too);
 *   N2 (naive=false) OK is replied only with grants from a strict majority of `peers`,
 *      each counted once per replica;
 *   N3 every OK reply is claimed "name.accepted" (name id, client), and nothing else is;
 *   N4 a malformed or misdirected message (length, magic, checksum, kind for its class,
 *      name out of range, reservation traffic from outside `peers`, a client asking in
 *      another's name) changes nothing and is noted.
 * A promise made for a round that then fails stays: the name is kept for that client,
 * which may ask again. Safe, and the price the registry pays for it in names. */
#include "models.h"

#include "name_wire.h"

#define NAME_ROUNDS_MAX 32u   /* reservation rounds in flight per replica */
#define NAME_PEERS_MAX 64u

struct name_registry_durable {
    uint32_t owner[NAME_POOL_MAX + 1]; /* N1: client node index + 1; 0: free */
};

struct name_round {
    bool is_open;
    uint32_t name_id;
    uint32_t client;
    uint64_t attempt;
    uint64_t request_msg_id; /* the client's REGISTER, answered when the round ends */
    uint32_t grants, denies;
    uint64_t voted[(NAME_PEERS_MAX + 63) / 64]; /* N2: peers (offset in the group) counted */
    uint64_t timer;
};

struct name_registry_volatile {
    uint64_t attempts; /* round ids of this incarnation (with the node in the high bits) */
    struct name_round rounds[NAME_ROUNDS_MAX];
};

static const struct murphy_param_spec registry_params[] = {
    {"peers", MURPHY_PARAM_GROUP, NULL, 0, 0,
     "the replicas of the registry (this one among them)"},
    {"naive", MURPHY_PARAM_BOOL, "false", 0, 0,
     "true: accept on the local table alone; false: only with a majority's promises"},
    {"timeout", MURPHY_PARAM_DURATION, "40ms", 1, INT64_C(86400000000000),
     "how long a reservation round waits for a majority before it fails"},
};

static void reject(struct murphy_node *node, const char *why)
{
    murphy_note(node, why); /* N4 */
}

static uint32_t peer_count(const struct murphy_node *node, uint32_t *first)
{
    uint32_t count;
    murphy_param_group(node, "peers", first, &count);
    return count;
}

static bool is_peer(const struct murphy_node *node, uint32_t source)
{
    uint32_t first, count = peer_count(node, &first);
    return source >= first && source - first < count && source != murphy_node_index(node);
}

/* Promises the name to the client here if free or already the client's (N1). */
static bool promise(struct murphy_node *node, uint32_t name_id, uint32_t client)
{
    struct name_registry_durable *d = murphy_durable(node);
    if (d->owner[name_id] != 0 && d->owner[name_id] != client + 1) return false;
    d->owner[name_id] = client + 1;
    return true;
}

static void answer_client(struct murphy_node *node, uint32_t client, uint64_t request_msg_id,
                          uint32_t name_id, bool is_ok)
{
    struct murphy_msg request = {.msg_id = request_msg_id, .source_node = client,
                                 .target_node = murphy_node_index(node),
                                 .traffic_class = MURPHY_CLASS_REQUEST};
    struct name_wire w = {.kind = is_ok ? NAME_OK : NAME_FAIL, .name_id = name_id,
                          .client = client};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    murphy_reply(node, &request, p, sizeof p);
    if (is_ok) murphy_claim(node, "name.accepted", name_id, client); /* N3 */
}

static void send_reserve(struct murphy_node *node, uint32_t name_id, uint32_t client,
                         uint64_t attempt)
{
    uint32_t first, count = peer_count(node, &first);
    struct name_wire w = {.kind = NAME_RESERVE, .name_id = name_id, .client = client,
                          .attempt = attempt};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    uint32_t self = murphy_node_index(node);
    for (uint32_t peer = first; peer < first + count; peer++)
        if (peer != self) murphy_send(node, peer, MURPHY_CLASS_REPLICATION, p, sizeof p);
}

static void close_round(struct murphy_node *node, struct name_round *r, bool is_ok)
{
    r->is_open = false;
    murphy_timer_cancel(node, r->timer);
    answer_client(node, r->client, r->request_msg_id, r->name_id, is_ok);
}

static void on_register(struct murphy_node *node, const struct murphy_msg *msg,
                        const struct name_wire *w)
{
    if (w->kind != NAME_REGISTER || w->attempt != 0) {
        reject(node, "rejected a request that is not a registration");
        return;
    }
    if (w->client != msg->source_node) {
        reject(node, "rejected a registration in another client's name");
        return;
    }
    if (!promise(node, w->name_id, w->client)) {
        answer_client(node, w->client, msg->msg_id, w->name_id, false);
        return;
    }
    if (murphy_param_bool(node, "naive")) {
        answer_client(node, w->client, msg->msg_id, w->name_id, true);
        send_reserve(node, w->name_id, w->client, 0); /* told, not asked */
        return;
    }
    struct name_registry_volatile *v = murphy_volatile(node);
    uint32_t slot = 0;
    while (slot < NAME_ROUNDS_MAX && v->rounds[slot].is_open) slot++;
    uint32_t first, count = peer_count(node, &first);
    if (slot == NAME_ROUNDS_MAX || count > NAME_PEERS_MAX) {
        answer_client(node, w->client, msg->msg_id, w->name_id, false); /* too busy */
        return;
    }
    struct name_round *r = &v->rounds[slot];
    *r = (struct name_round){.is_open = true, .name_id = w->name_id, .client = w->client,
                             .attempt = ((uint64_t)murphy_node_index(node) << 40) |
                                        ++v->attempts,
                             .request_msg_id = msg->msg_id, .grants = 1};
    uint32_t self_offset = murphy_node_index(node) - first;
    r->voted[self_offset / 64] |= UINT64_C(1) << (self_offset % 64);
    if (2 * r->grants > count) { /* a group of one */
        answer_client(node, r->client, r->request_msg_id, r->name_id, true);
        r->is_open = false;
        return;
    }
    r->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"), slot);
    send_reserve(node, r->name_id, r->client, r->attempt);
}

static void on_reserve(struct murphy_node *node, const struct murphy_msg *msg,
                       const struct name_wire *w)
{
    bool is_granted = promise(node, w->name_id, w->client);
    if (w->attempt == 0) return; /* a naive replica's notice: nobody waits for the answer */
    struct name_wire answer = {.kind = is_granted ? NAME_GRANT : NAME_DENY,
                               .name_id = w->name_id, .client = w->client,
                               .attempt = w->attempt};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&answer, p);
    murphy_send(node, msg->source_node, MURPHY_CLASS_REPLICATION, p, sizeof p);
}

static void on_vote(struct murphy_node *node, const struct murphy_msg *msg,
                    const struct name_wire *w)
{
    struct name_registry_volatile *v = murphy_volatile(node);
    struct name_round *r = NULL;
    for (uint32_t slot = 0; slot < NAME_ROUNDS_MAX && !r; slot++)
        if (v->rounds[slot].is_open && v->rounds[slot].attempt == w->attempt)
            r = &v->rounds[slot];
    if (!r) return; /* a round already decided, or of an earlier incarnation */
    if (r->name_id != w->name_id || r->client != w->client) {
        reject(node, "rejected a vote that does not match its round");
        return;
    }
    uint32_t first, count = peer_count(node, &first);
    uint32_t offset = msg->source_node - first;
    uint64_t bit = UINT64_C(1) << (offset % 64);
    if (r->voted[offset / 64] & bit) return; /* N2: a duplicated message counts once */
    r->voted[offset / 64] |= bit;
    if (w->kind == NAME_GRANT) r->grants++;
    else r->denies++;
    if (2 * r->grants > count) close_round(node, r, true); /* N2 */
    else if (2 * r->denies >= count) close_round(node, r, false); /* no majority possible */
}

static void registry_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct name_registry_volatile *v = murphy_volatile(node);
    if (tag >= NAME_ROUNDS_MAX || !v->rounds[tag].is_open) return;
    close_round(node, &v->rounds[tag], false);
}

static void registry_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct name_wire w;
    if (!name_wire_decode(msg->payload, msg->payload_bytes, &w)) {
        reject(node, "rejected a malformed registry message (length, magic, checksum, name)");
        return;
    }
    if (msg->traffic_class == MURPHY_CLASS_REQUEST) {
        on_register(node, msg, &w);
        return;
    }
    if (msg->traffic_class != MURPHY_CLASS_REPLICATION) {
        reject(node, "rejected a registry message in an unexpected traffic class");
        return;
    }
    if (!is_peer(node, msg->source_node)) {
        reject(node, "rejected reservation traffic from a node outside 'peers'");
        return;
    }
    if (w.kind == NAME_RESERVE) on_reserve(node, msg, &w);
    else if (w.kind == NAME_GRANT || w.kind == NAME_DENY) on_vote(node, msg, &w);
    else reject(node, "rejected a replication message that is no reservation or vote");
}

const struct murphy_model models_name_registry = {
    .api_version = MURPHY_API_VERSION,
    .name = "name_registry",
    .summary = "a replica of a unique-name registry: local yes (naive) or a majority's promises",
    .durable_bytes = sizeof(struct name_registry_durable),
    .volatile_bytes = sizeof(struct name_registry_volatile),
    .params = registry_params,
    .param_count = sizeof registry_params / sizeof registry_params[0],
    .on_message = registry_on_message,
    .on_timer = registry_on_timer,
};
