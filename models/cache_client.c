/* models/cache_client.c - the writers and readers of a cache_server.
 *
 * A writer (`writes = true`) puts its keys [key_first, key_first + keys) in turn, one
 * every `put_every`, each with a new version and an expiry time that it computes on ITS
 * OWN wall clock: expires_at = wall reading + ttl. A reader (the default) gets a random
 * key of [key_first, key_first + keys) every `get_every`. Every put and get is a client
 * operation in the history (`put`/`get`, key, version; a get's result is "hit V",
 * "expired V" or "miss"); an operation is `info` when its one attempt times out.
 *
 * Tells the oracles: claim "cache.put" with a = key << 32 | version and b = ttl in ns, at
 * the instant the writer reads its clock for expires_at. So the `cache` oracle knows each
 * entry's true put time and ttl, and can say when it truly expires. One writer per key:
 * give each writer its own key range (versions of two writers of one key are not
 * ordered).
 *
 * Invariants: W1 a writer's versions grow across restarts (durable) and stay within
 * CACHE_VERSION_MAX; W2 an open operation has exactly one request in flight, and a reply
 * completes it only if it answers that request, with the same key (and version, for a
 * put); W3 a reply that does not decode is noted and ignored. */
#include "models.h"

#include <stdio.h>

#include "cache_wire.h"

#define CACHE_CLIENT_OPS_MAX 64u /* open operations (the window) */
#define TAG_PUT (UINT64_C(1) << 63)
#define TAG_GET (UINT64_C(1) << 62)

struct cache_client_durable {
    uint64_t last_version; /* W1 */
};

struct cache_client_op {
    bool is_open;
    bool is_put;
    uint32_t generation; /* bumped on every reuse of the slot */
    uint64_t op_id;
    uint64_t msg_id;
    uint32_t key;
    uint64_t version;    /* puts */
    uint64_t timer;
};

struct cache_client_volatile {
    uint64_t puts_issued; /* by this incarnation: picks the next key in turn */
    struct cache_client_op ops[CACHE_CLIENT_OPS_MAX];
};

static const struct murphy_param_spec cache_client_params[] = {
    {"cache", MURPHY_PARAM_GROUP, NULL, 0, 0, "the cache node (the group's first node)"},
    {"writes", MURPHY_PARAM_BOOL, "false", 0, 0, "true: put keys; false: get them"},
    {"key_first", MURPHY_PARAM_INT, "0", 0, CACHE_KEY_LIMIT - 1024, "first key of the range"},
    {"keys", MURPHY_PARAM_INT, "4", 1, 1024, "keys in the range"},
    {"ttl", MURPHY_PARAM_DURATION, "1s", 1, INT64_C(86400000000000),
     "writers: how long an entry lives, added to the writer's wall clock"},
    {"put_every", MURPHY_PARAM_DIST, "exponential 1s", 0, 0, "writers: time between puts"},
    {"get_every", MURPHY_PARAM_DIST, "exponential 20ms", 0, 0, "readers: time between gets"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per request, on the client's monotonic clock"},
};

static uint32_t cache_node(const struct murphy_node *node)
{
    uint32_t first, count;
    murphy_param_group(node, "cache", &first, &count);
    return first;
}

/* Sends m as operation op_id; when the window is full the operation fails at once. */
static void start_op(struct murphy_node *node, uint64_t op_id, const struct cache_msg *m)
{
    struct cache_client_volatile *v = murphy_volatile(node);
    uint32_t slot = 0;
    while (slot < CACHE_CLIENT_OPS_MAX && v->ops[slot].is_open) slot++;
    if (slot == CACHE_CLIENT_OPS_MAX) {
        murphy_op_complete(node, op_id, MURPHY_OP_FAIL, "window full");
        return;
    }
    struct cache_client_op *op = &v->ops[slot];
    unsigned char out[CACHE_WIRE_BYTES_MAX];
    size_t bytes = cache_wire_encode(m, out);
    uint32_t generation = op->generation + 1;
    *op = (struct cache_client_op){
        .is_open = true, .is_put = m->type == CACHE_MSG_PUT, .generation = generation,
        .op_id = op_id, .key = m->key, .version = m->version};
    op->msg_id = murphy_send(node, cache_node(node), MURPHY_CLASS_REQUEST, out, bytes); /* W2 */
    op->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"),
                                 ((uint64_t)op->generation << 16) | slot);
}

static void put_next(struct murphy_node *node)
{
    struct cache_client_durable *d = murphy_durable(node);
    struct cache_client_volatile *v = murphy_volatile(node);
    if (d->last_version >= CACHE_VERSION_MAX) { /* W1: the claim packs versions in 32 bits */
        murphy_note(node, "cache_client: versions exhausted; no more puts");
        return;
    }
    int64_t keys = murphy_param_i64(node, "keys");
    uint32_t key = (uint32_t)(murphy_param_i64(node, "key_first") +
                              (int64_t)(v->puts_issued++ % (uint64_t)keys));
    int64_t ttl_ns = murphy_param_i64(node, "ttl");
    struct cache_msg put = {.type = CACHE_MSG_PUT, .key = key, .version = ++d->last_version};
    /* the mistake on purpose: a point in time on this node's clock, for another node */
    int64_t wall_ns = murphy_wall_ns(node);
    put.expires_at_wall_ns = wall_ns > INT64_MAX - ttl_ns ? INT64_MAX : wall_ns + ttl_ns;
    murphy_claim(node, "cache.put", (int64_t)(((uint64_t)key << 32) | put.version), ttl_ns);
    char key_text[16], version_text[24];
    snprintf(key_text, sizeof key_text, "%u", (unsigned)key);
    snprintf(version_text, sizeof version_text, "%llu", (unsigned long long)put.version);
    start_op(node, murphy_op_invoke(node, 0, "put", key_text, version_text), &put);
}

static void get_one(struct murphy_node *node)
{
    int64_t keys = murphy_param_i64(node, "keys");
    uint32_t key = (uint32_t)(murphy_param_i64(node, "key_first") +
                              (int64_t)(murphy_rand_u64(node) % (uint64_t)keys));
    struct cache_msg get = {.type = CACHE_MSG_GET, .key = key};
    char key_text[16];
    snprintf(key_text, sizeof key_text, "%u", (unsigned)key);
    start_op(node, murphy_op_invoke(node, 0, "get", key_text, NULL), &get);
}

static void cache_client_on_start(struct murphy_node *node)
{
    if (murphy_param_bool(node, "writes"))
        murphy_timer_set(node, murphy_param_sample_ns(node, "put_every"), TAG_PUT);
    else
        murphy_timer_set(node, murphy_param_sample_ns(node, "get_every"), TAG_GET);
}

static void cache_client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct cache_client_volatile *v = murphy_volatile(node);
    if (tag == TAG_PUT) {
        put_next(node);
        murphy_timer_set(node, murphy_param_sample_ns(node, "put_every"), TAG_PUT);
        return;
    }
    if (tag == TAG_GET) {
        get_one(node);
        murphy_timer_set(node, murphy_param_sample_ns(node, "get_every"), TAG_GET);
        return;
    }
    uint32_t slot = (uint32_t)(tag & 0xffffu);
    uint32_t generation = (uint32_t)(tag >> 16);
    if (slot >= CACHE_CLIENT_OPS_MAX) return;
    struct cache_client_op *op = &v->ops[slot];
    if (!op->is_open || op->generation != generation) return; /* answered meanwhile */
    murphy_timeout(node, op->msg_id);
    murphy_op_complete(node, op->op_id, MURPHY_OP_INFO, "timeout");
    op->is_open = false;
}

/* W2: the reply must answer the open request, about its key (and version for a put). */
static bool answers(const struct cache_client_op *op, const struct cache_msg *m)
{
    if (m->key != op->key) return false;
    if (op->is_put) return m->type == CACHE_MSG_PUT_ACK && m->version == op->version;
    return m->type == CACHE_MSG_GET_REPLY;
}

static void cache_client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct cache_client_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REPLY || msg->reply_to_msg_id == 0) return;
    struct cache_client_op *op = NULL;
    for (uint32_t slot = 0; slot < CACHE_CLIENT_OPS_MAX && !op; slot++)
        if (v->ops[slot].is_open && v->ops[slot].msg_id == msg->reply_to_msg_id)
            op = &v->ops[slot];
    if (!op) return; /* a late or duplicated reply: its operation already ended */
    struct cache_msg m;
    if (!cache_wire_decode(msg->payload, msg->payload_bytes, &m) || !answers(op, &m)) {
        murphy_note(node, "cache_client: rejected a malformed reply"); /* W3 */
        return;
    }
    char result[48];
    if (op->is_put) snprintf(result, sizeof result, "%s", m.status ? "stored" : "not stored");
    else if (m.status == CACHE_GET_HIT)
        snprintf(result, sizeof result, "hit %llu", (unsigned long long)m.version);
    else if (m.status == CACHE_GET_EXPIRED)
        snprintf(result, sizeof result, "expired %llu", (unsigned long long)m.version);
    else snprintf(result, sizeof result, "miss");
    murphy_timer_cancel(node, op->timer);
    murphy_op_complete(node, op->op_id, MURPHY_OP_OK, result);
    op->is_open = false;
}

const struct murphy_model models_cache_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "cache_client",
    .summary = "puts keys with a ttl on its own wall clock, or gets them, from a cache_server",
    .durable_bytes = sizeof(struct cache_client_durable),
    .volatile_bytes = sizeof(struct cache_client_volatile),
    .params = cache_client_params,
    .param_count = sizeof cache_client_params / sizeof cache_client_params[0],
    .on_start = cache_client_on_start,
    .on_message = cache_client_on_message,
    .on_timer = cache_client_on_timer,
};
