/* models/failover_client.c - a client that routes around the servers its own failure
 * detector suspects: load that moves when a node is declared dead.
 *
 * Detection: it receives the heartbeats of every node of `servers` (busy_server or
 * fd_heartbeat, models/fd_wire.h) and suspects a server when none has come for `timeout`
 * on its monotonic clock (a fixed timeout, as fd_monitor's detector 0), trusting it again
 * at the next heartbeat; both are events (murphy_suspect, murphy_trust).
 * Routing: every draw of `interval` it sends a request (16 bytes: magic, its number) to its
 * home server - the server at offset (its node index mod the number of servers) - or, if
 * that one is not routable, to the next routable one in order. A server is routable when
 * trusted and, if it was ever suspected, trusted again for at least `rejoin_after` (as load
 * balancers re-admit an ejected backend only after a while: Envoy's ejection time,
 * HAProxy's `rise`; without it a server that is declared dead and drains its queue comes
 * straight back, and its load never stays moved). With no routable server the request is
 * not sent (counted in `unrouted`). Replies are checked and counted, nothing more.
 *
 *   trusted --(no heartbeat for timeout)--> suspected --(heartbeat)--> trusted, not yet
 *   routable --(rejoin_after passes)--> routable
 *
 * Invariants: F1 a server is suspected only once `timeout` has passed on the client's
 * monotonic clock since its last accepted heartbeat; F2 at most one deadline timer per
 * server is pending, and none while it is suspected; F3 suspicion and trust alternate per
 * server; F4 accepted heartbeat sequence numbers of a server strictly increase; F5 requests
 * go only to routable servers. Every received message is checked (class, length, magic,
 * checksum, sender in the group); others are noted and dropped. */
#include "fd_wire.h"
#include "models.h"

#define FO_SERVERS_MAX 32u
#define FO_REQUEST_BYTES 16u
#define FO_REQUEST_MAGIC UINT32_C(0x31514f46) /* "FOQ1" read little-endian */
#define TAG_REQUEST 0u
#define TAG_DEADLINE_BASE 1u /* tag = base + server offset */

struct fo_server {
    bool is_suspected;  /* F3 */
    bool was_suspected; /* ever: then rejoin_after applies */
    bool has_timer;     /* F2 */
    bool has_seq;
    uint64_t timer_handle;
    uint64_t last_seq;          /* F4 */
    int64_t last_arrival_ns;    /* client's mono */
    int64_t trusted_since_ns;   /* client's mono, the last trust */
};

struct fo_durable {
    uint64_t next_request; /* request numbers never repeat, across restarts */
};

struct fo_volatile {
    uint32_t first_server, server_count;
    struct fo_server server[FO_SERVERS_MAX];
    uint64_t sent, unrouted, replies;
};

static const struct murphy_param_spec fo_params[] = {
    {"servers", MURPHY_PARAM_GROUP, NULL, 0, 0, "the servers watched and used (at most 32)"},
    {"timeout", MURPHY_PARAM_DURATION, "1s", 1000000, INT64_C(3600000000000),
     "silence of a server's heartbeats before it is suspected"},
    {"interval", MURPHY_PARAM_DIST, "exponential 25ms", 0, 0, "time between requests"},
    {"rejoin_after", MURPHY_PARAM_DURATION, "10s", 0, INT64_C(3600000000000),
     "a suspected server gets requests again only once trusted for this long"},
};

/* Starts the wait for server offset i's next heartbeat from now. F2 */
static void arm(struct murphy_node *node, uint32_t i)
{
    struct fo_volatile *v = murphy_volatile(node);
    struct fo_server *s = &v->server[i];
    if (s->has_timer) murphy_timer_cancel(node, s->timer_handle);
    s->timer_handle = murphy_timer_set(node, murphy_param_i64(node, "timeout"),
                                       TAG_DEADLINE_BASE + i);
    s->has_timer = true;
}

static bool is_routable(const struct murphy_node *node, const struct fo_server *s)
{
    if (s->is_suspected) return false;
    if (!s->was_suspected) return true;
    return murphy_mono_ns(node) - s->trusted_since_ns >= murphy_param_i64(node, "rejoin_after");
}

static void send_request(struct murphy_node *node)
{
    struct fo_durable *d = murphy_durable(node);
    struct fo_volatile *v = murphy_volatile(node);
    uint32_t home = murphy_node_index(node) % v->server_count;
    for (uint32_t k = 0; k < v->server_count; k++) {
        uint32_t i = (home + k) % v->server_count;
        if (v->first_server + i == murphy_node_index(node)) continue;
        if (!is_routable(node, &v->server[i])) continue; /* F5 */
        unsigned char bytes[FO_REQUEST_BYTES] = {0};
        murphy_wire_put_u32(bytes, FO_REQUEST_MAGIC);
        murphy_wire_put_u64(bytes + 8, d->next_request++);
        murphy_send(node, v->first_server + i, MURPHY_CLASS_REQUEST, bytes, sizeof bytes);
        v->sent++;
        return;
    }
    v->unrouted++;
}

static void fo_on_start(struct murphy_node *node)
{
    struct fo_volatile *v = murphy_volatile(node);
    murphy_param_group(node, "servers", &v->first_server, &v->server_count);
    if (v->server_count > FO_SERVERS_MAX) {
        murphy_note(node, "failover_client: more than 32 servers; using the first 32");
        v->server_count = FO_SERVERS_MAX;
    }
    int64_t now_ns = murphy_mono_ns(node);
    for (uint32_t i = 0; i < v->server_count; i++) {
        if (v->first_server + i == murphy_node_index(node)) continue;
        v->server[i].last_arrival_ns = now_ns; /* as if a heartbeat had come at start */
        arm(node, i);
    }
    murphy_timer_set(node, murphy_param_sample_ns(node, "interval"), TAG_REQUEST);
}

static void on_deadline(struct murphy_node *node, uint32_t i)
{
    struct fo_volatile *v = murphy_volatile(node);
    struct fo_server *s = &v->server[i];
    s->has_timer = false;
    if (murphy_mono_ns(node) - s->last_arrival_ns < murphy_param_i64(node, "timeout")) /* F1 */
        murphy_violation(node, "F1: a deadline fired before its time");
    if (s->is_suspected) murphy_violation(node, "F2: a deadline timer while suspected");
    s->is_suspected = true; /* F3 */
    s->was_suspected = true;
    murphy_suspect(node, v->first_server + i);
}

static void fo_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct fo_volatile *v = murphy_volatile(node);
    if (tag == TAG_REQUEST) {
        send_request(node);
        murphy_timer_set(node, murphy_param_sample_ns(node, "interval"), TAG_REQUEST);
        return;
    }
    if (tag - TAG_DEADLINE_BASE >= v->server_count) {
        murphy_note(node, "failover_client: a timer with an unknown tag; ignored");
        return;
    }
    on_deadline(node, (uint32_t)(tag - TAG_DEADLINE_BASE));
}

static void on_reply(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct fo_volatile *v = murphy_volatile(node);
    if (msg->payload_bytes != FO_REQUEST_BYTES ||
        murphy_wire_get_u32(msg->payload) != FO_REQUEST_MAGIC) {
        murphy_note(node, "failover_client: not a reply to one of its requests; rejected");
        return;
    }
    v->replies++;
}

static void fo_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct fo_volatile *v = murphy_volatile(node);
    if (msg->traffic_class == MURPHY_CLASS_REPLY) {
        on_reply(node, msg);
        return;
    }
    struct fd_heartbeat_msg hb;
    if (msg->traffic_class != MURPHY_CLASS_HEARTBEAT ||
        !fd_wire_decode(msg->payload, msg->payload_bytes, &hb)) {
        murphy_note(node, "failover_client: not a well-formed heartbeat; rejected");
        return;
    }
    if (msg->source_node < v->first_server ||
        msg->source_node - v->first_server >= v->server_count ||
        msg->source_node == murphy_node_index(node)) {
        murphy_note(node, "failover_client: a heartbeat from a node it does not use; ignored");
        return;
    }
    uint32_t i = msg->source_node - v->first_server;
    struct fo_server *s = &v->server[i];
    if (s->has_seq && hb.seq <= s->last_seq) return; /* F4: reordered or duplicated */
    s->has_seq = true;
    s->last_seq = hb.seq;
    s->last_arrival_ns = murphy_mono_ns(node);
    if (s->is_suspected) {
        s->is_suspected = false; /* F3 */
        s->trusted_since_ns = s->last_arrival_ns;
        murphy_trust(node, msg->source_node);
    }
    arm(node, i);
}

const struct murphy_model models_failover_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "failover_client",
    .summary = "sends requests to its home server, or the next one its detector trusts",
    .durable_bytes = sizeof(struct fo_durable),
    .volatile_bytes = sizeof(struct fo_volatile),
    .params = fo_params,
    .param_count = sizeof fo_params / sizeof fo_params[0],
    .on_start = fo_on_start,
    .on_message = fo_on_message,
    .on_timer = fo_on_timer,
};
