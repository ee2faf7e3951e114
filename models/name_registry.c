/* models/name_registry.c - one replica of a unique-name registry: a client asks any
 * replica for a name (a small integer), and the registry must never give one name to two
 * clients. Each replica keeps a durable table name -> client it has promised the name to,
 * and per name a durable counter: the highest fencing token it has accepted. Every grant
 * (an OK: the name, and a lock on it, is the client's) carries a fresh fencing token, so
 * whatever the client guards with the name can refuse a holder whose grant is older.
 *
 *   naive=true:  client --REGISTER--> replica: free (or already this client's) in the
 *                local table? take it, token = local counter + 1, reply OK, tell the
 *                peers (RESERVE with the token, fire and forget; they raise their counter
 *                to it). Two replicas that cannot hear each other both say yes to
 *                different clients, and count tokens from the same counter: the duplicate
 *                names and the repeated or backward tokens the oracle (checks/names.c)
 *                catches.
 *   naive=false: the replica promises the name locally and proposes token = its counter
 *                + 1 (storing it as its counter), sends RESERVE with it to every peer and
 *                replies OK with that token only once a strict majority of `peers`
 *                (itself included) has accepted that very proposal for this client. A
 *                peer that has a counter at or above the proposal answers STALE with its
 *                counter; when STALE answers leave no majority possible, the replica
 *                proposes again above the highest counter it heard (at most
 *                NAME_PROPOSALS_MAX proposals per request). A DENY from a majority, or no
 *                majority within `timeout`, replies FAIL. Two majorities share a replica
 *                and a replica promises a name once, so two clients never both get it;
 *                and that replica accepts each proposal only above the last, so a token
 *                is never granted twice, and a grant whose proposal went out after
 *                another grant completed gets a higher token.
 *   peer --RESERVE--> replica: the name is another client's: DENY; else the proposal is
 *                not above the counter: STALE (counter); else promise the name, store the
 *                proposal as the counter (both durable) and GRANT. In naive mode the
 *                answer is not waited for (none is sent).
 *
 * Invariants:
 *   N1 a name in the durable table is never moved to another client (promises stick,
 *      across crashes too);
 *   N2 (naive=false) OK is replied only with grants from a strict majority of `peers`,
 *      each counted once per replica, all for the proposal the OK carries;
 *   N3 every OK reply is claimed "name.accepted" (name id, client) and "name.granted"
 *      (name id, token), and nothing else is; every proposal is claimed "name.proposed"
 *      (name id, token) as it is made;
 *   N4 a malformed or misdirected message (length, magic, checksum, kind for its class,
 *      name out of range, a token that does not fit its kind, reservation traffic from
 *      outside `peers`, a client asking in another's name) changes nothing and is noted;
 *   N5 a replica's counter for a name never goes down (durable, so not across crashes
 *      either); it accepts a proposal, its own included, only above its counter;
 *   N6 (naive=false) a replica has at most one reservation round open per name.
 * A promise made for a round that then fails stays: the name is kept for that client,
 * which may ask again. Safe, and the price the registry pays for it in names. */
#include "models.h"

#include "name_wire.h"

#define NAME_ROUNDS_MAX 32u   /* reservation rounds in flight per replica */
#define NAME_PEERS_MAX 64u
#define NAME_PROPOSALS_MAX 4u /* proposals per request before it fails */

struct name_registry_durable {
    uint32_t owner[NAME_POOL_MAX + 1];   /* N1: client node index + 1; 0: free */
    uint64_t counter[NAME_POOL_MAX + 1]; /* N5: the highest token accepted here; 0: none */
};

struct name_round {
    bool is_open;
    uint32_t name_id;
    uint32_t client;
    uint64_t attempt;        /* the current proposal's id */
    uint64_t token;          /* the current proposal */
    uint32_t proposals;      /* made for this request so far */
    uint64_t request_msg_id; /* the client's REGISTER, answered when the round ends */
    uint32_t grants, denies, stales; /* answers to the current proposal */
    uint64_t voted[(NAME_PEERS_MAX + 63) / 64]; /* N2: peers (offset in the group) counted */
    uint64_t timer;
};

struct name_registry_volatile {
    uint64_t attempts; /* proposal ids of this incarnation (with the node in the high bits) */
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

static bool is_free_for(const struct name_registry_durable *d, uint32_t name_id,
                        uint32_t client)
{
    return d->owner[name_id] == 0 || d->owner[name_id] == client + 1;
}

/* Promises the name to the client here if free or already the client's (N1). */
static bool promise(struct murphy_node *node, uint32_t name_id, uint32_t client)
{
    struct name_registry_durable *d = murphy_durable(node);
    if (!is_free_for(d, name_id, client)) return false;
    d->owner[name_id] = client + 1;
    return true;
}

/* N5: counters only go up. */
static void raise_counter(struct murphy_node *node, uint32_t name_id, uint64_t token)
{
    struct name_registry_durable *d = murphy_durable(node);
    if (token > d->counter[name_id]) d->counter[name_id] = token;
}

/* A new proposal here: one above the counter, accepted by this replica at once (N5). */
static uint64_t propose(struct murphy_node *node, uint32_t name_id)
{
    struct name_registry_durable *d = murphy_durable(node);
    uint64_t token = ++d->counter[name_id];
    murphy_claim(node, "name.proposed", name_id, (int64_t)token); /* N3 */
    return token;
}

static void answer_client(struct murphy_node *node, uint32_t client, uint64_t request_msg_id,
                          uint32_t name_id, uint64_t token)
{
    struct murphy_msg request = {.msg_id = request_msg_id, .source_node = client,
                                 .target_node = murphy_node_index(node),
                                 .traffic_class = MURPHY_CLASS_REQUEST};
    bool is_ok = token != 0;
    struct name_wire w = {.kind = is_ok ? NAME_OK : NAME_FAIL, .name_id = name_id,
                          .client = client, .token = token};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    murphy_reply(node, &request, p, sizeof p);
    if (!is_ok) return;
    murphy_claim(node, "name.accepted", name_id, client);        /* N3 */
    murphy_claim(node, "name.granted", name_id, (int64_t)token); /* N3 */
}

static void send_reserve(struct murphy_node *node, uint32_t name_id, uint32_t client,
                         uint64_t attempt, uint64_t token)
{
    uint32_t first, count = peer_count(node, &first);
    struct name_wire w = {.kind = NAME_RESERVE, .name_id = name_id, .client = client,
                          .attempt = attempt, .token = token};
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
    answer_client(node, r->client, r->request_msg_id, r->name_id, is_ok ? r->token : 0);
}

/* Starts the round's next proposal: a fresh id (votes for an earlier one no longer
 * match), this replica's own acceptance, RESERVE to the peers. False: decided at once (a
 * group of one). */
static bool start_proposal(struct murphy_node *node, struct name_round *r, uint32_t count,
                           uint32_t self_offset)
{
    struct name_registry_volatile *v = murphy_volatile(node);
    r->attempt = ((uint64_t)murphy_node_index(node) << 40) | ++v->attempts;
    r->token = propose(node, r->name_id);
    r->proposals++;
    r->grants = 1;
    r->denies = r->stales = 0;
    for (size_t i = 0; i < sizeof r->voted / sizeof r->voted[0]; i++) r->voted[i] = 0;
    r->voted[self_offset / 64] |= UINT64_C(1) << (self_offset % 64);
    if (2 * r->grants > count) return false; /* a group of one */
    send_reserve(node, r->name_id, r->client, r->attempt, r->token);
    return true;
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
        answer_client(node, w->client, msg->msg_id, w->name_id, 0);
        return;
    }
    struct name_registry_volatile *v = murphy_volatile(node);
    bool is_naive = murphy_param_bool(node, "naive");
    if (!is_naive) /* the name is this client's here: its own earlier request is in flight */
        for (uint32_t slot = 0; slot < NAME_ROUNDS_MAX; slot++)
            if (v->rounds[slot].is_open && v->rounds[slot].name_id == w->name_id) {
                murphy_note(node, "refused a registration: a round for the name is open"); /* N6 */
                answer_client(node, w->client, msg->msg_id, w->name_id, 0);
                return;
            }
    if (is_naive) {
        uint64_t token = propose(node, w->name_id);
        answer_client(node, w->client, msg->msg_id, w->name_id, token);
        send_reserve(node, w->name_id, w->client, 0, token); /* told, not asked */
        return;
    }
    uint32_t slot = 0;
    while (slot < NAME_ROUNDS_MAX && v->rounds[slot].is_open) slot++;
    uint32_t first, count = peer_count(node, &first);
    uint32_t self = murphy_node_index(node);
    if (self < first || self - first >= count) { /* its vote would have no place in `voted` */
        murphy_note(node, "refused a registration: this replica is not among its 'peers'");
        answer_client(node, w->client, msg->msg_id, w->name_id, 0);
        return;
    }
    if (slot == NAME_ROUNDS_MAX || count > NAME_PEERS_MAX) {
        answer_client(node, w->client, msg->msg_id, w->name_id, 0); /* too busy */
        return;
    }
    struct name_round *r = &v->rounds[slot];
    *r = (struct name_round){.is_open = true, .name_id = w->name_id, .client = w->client,
                             .request_msg_id = msg->msg_id};
    if (!start_proposal(node, r, count, self - first)) {
        r->is_open = false;
        answer_client(node, r->client, r->request_msg_id, r->name_id, r->token);
        return;
    }
    r->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"), slot);
}

static void on_reserve(struct murphy_node *node, const struct murphy_msg *msg,
                       const struct name_wire *w)
{
    struct name_registry_durable *d = murphy_durable(node);
    if (w->attempt == 0) { /* a naive replica's notice: nobody waits for the answer */
        promise(node, w->name_id, w->client);
        raise_counter(node, w->name_id, w->token);
        return;
    }
    struct name_wire answer = {.kind = NAME_GRANT, .name_id = w->name_id,
                               .client = w->client, .attempt = w->attempt,
                               .token = w->token};
    if (!is_free_for(d, w->name_id, w->client)) {
        answer.kind = NAME_DENY;
        answer.token = 0;
    } else if (w->token <= d->counter[w->name_id]) { /* N5 */
        answer.kind = NAME_STALE;
        answer.token = d->counter[w->name_id];
    } else {
        promise(node, w->name_id, w->client);
        raise_counter(node, w->name_id, w->token);
    }
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&answer, p);
    murphy_send(node, msg->source_node, MURPHY_CLASS_REPLICATION, p, sizeof p);
}

static void on_vote(struct murphy_node *node, const struct murphy_msg *msg,
                    const struct name_wire *w)
{
    struct name_registry_volatile *v = murphy_volatile(node);
    uint32_t slot = 0;
    while (slot < NAME_ROUNDS_MAX &&
           !(v->rounds[slot].is_open && v->rounds[slot].attempt == w->attempt))
        slot++;
    if (slot == NAME_ROUNDS_MAX) return; /* a proposal already decided or superseded */
    struct name_round *r = &v->rounds[slot];
    bool is_token_fit = w->kind == NAME_GRANT ? w->token == r->token
                      : w->kind == NAME_STALE ? w->token >= r->token
                                              : true;
    if (r->name_id != w->name_id || r->client != w->client || !is_token_fit) {
        reject(node, "rejected a vote that does not match its round");
        return;
    }
    uint32_t first, count = peer_count(node, &first);
    uint32_t offset = msg->source_node - first;
    uint64_t bit = UINT64_C(1) << (offset % 64);
    if (r->voted[offset / 64] & bit) return; /* N2: a duplicated message counts once */
    r->voted[offset / 64] |= bit;
    if (w->kind == NAME_GRANT) r->grants++;
    else if (w->kind == NAME_DENY) r->denies++;
    else {
        r->stales++;
        raise_counter(node, r->name_id, w->token); /* the next proposal goes above it */
    }
    if (2 * r->grants > count) {
        close_round(node, r, true); /* N2 */
        return;
    }
    if (2 * (r->denies + r->stales) < count) return; /* a majority is still possible */
    if (2 * r->denies >= count || r->proposals >= NAME_PROPOSALS_MAX) {
        close_round(node, r, false);
        return;
    }
    murphy_note(node, "proposes again: a peer's token for the name is at or above ours");
    /* a peer voted, so the group has two replicas or more and the proposal goes out */
    (void)start_proposal(node, r, count, murphy_node_index(node) - first);
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
        reject(node, "rejected a malformed registry message (length, magic, checksum, name, token)");
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
    else if (w.kind == NAME_GRANT || w.kind == NAME_DENY || w.kind == NAME_STALE)
        on_vote(node, msg, &w);
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
