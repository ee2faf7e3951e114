/* models/client.c - a client workload: operations against a group of servers, each sent
 * as a request with a per-attempt timeout and a bounded number of retries.
 *
 * Open loop (default): operations arrive by themselves, inter-arrival times drawn from
 * `arrival` ("exponential 10ms" is a Poisson process), whatever the servers do. Closed
 * loop: `concurrency` processes each issue one operation, wait for its end, think for
 * `think_time`, and issue the next. Every operation goes into the history (murphy_op_*):
 * `ok` when a valid reply came, `info` when every attempt timed out (it may or may not
 * have happened), `fail` when the client could not even send it (window full) or the
 * server answered "busy" (its queue was full, C6).
 *
 * Servers are picked round robin over the target group by operation number. With
 * honour_drain (off by default), a server that announced a pause ("draining", CONTROL
 * class, models/drain.h) is skipped, for new operations and for retries, until it says
 * "back" or, should that be lost, until the time it announced plus CLIENT_DRAIN_GRACE_NS;
 * if every server is draining, the round-robin pick stands. Drain messages are validated
 * whether or not they are honoured.
 *
 * Invariants: C1 an open operation has 1..1+retries attempts, each with its own message
 * id; C2 a reply completes at most one operation, and only one whose attempt it answers;
 * C3 a reply whose payload is not what was sent (corruption) is rejected and noted;
 * C4 a drain message that is malformed, comes from outside the target group or is older
 * than the latest one heard from its server is ignored; C5 a server is skipped only while
 * its latest drain message says draining and its announced time (plus grace) runs;
 * C6 a "busy" reply (the server's queue was full: backpressure) to an open attempt ends
 * the operation `fail` with result "busy": the server certainly did not perform it. */
#include "models.h"

#include <stdio.h>
#include <string.h>

#include "drain.h"

#define CLIENT_OPS_MAX 256u      /* open operations per client (the window) */
#define CLIENT_SERVERS_MAX 64u   /* servers whose drain state is kept; beyond, never skipped */
/* How long past its announced end a draining server stays skipped if its "back" is lost:
 * longer than any "back" takes to arrive on a working network. */
#define CLIENT_DRAIN_GRACE_NS INT64_C(50000000)
#define CLIENT_ATTEMPTS_MAX 8u
#define CLIENT_PAYLOAD_BYTES_MAX 256u
#define CLIENT_BUSY_HEADER_BYTES 12u /* op id and attempt, as make_payload writes them */
#define TAG_ARRIVAL (UINT64_C(1) << 63)
#define TAG_THINK (UINT64_C(1) << 62) /* | process */

struct client_op {
    bool is_open;
    uint32_t generation;      /* bumped on every reuse of the slot */
    uint64_t op_id;
    uint32_t process;
    uint32_t server;
    uint32_t attempt;         /* index of the latest attempt */
    uint64_t msg_ids[CLIENT_ATTEMPTS_MAX];
    uint64_t timer;
};

struct client_drain {
    uint64_t epoch;           /* latest heard from the server (C4) */
    bool is_draining;
    int64_t until_mono_ns;    /* C5: skipped until then at most */
};

struct client_volatile {
    uint64_t issued;          /* operations started by this incarnation */
    struct client_op ops[CLIENT_OPS_MAX];
    struct client_drain drain[CLIENT_SERVERS_MAX]; /* by index in the target group */
};

static const struct murphy_param_spec client_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "the group of servers to send to"},
    {"closed_loop", MURPHY_PARAM_BOOL, "false", 0, 0, "wait for each operation's end"},
    {"arrival", MURPHY_PARAM_DIST, "exponential 10ms", 0, 0, "open loop: time between ops"},
    {"concurrency", MURPHY_PARAM_INT, "1", 1, CLIENT_OPS_MAX, "closed loop: processes"},
    {"think_time", MURPHY_PARAM_DIST, "constant 0ns", 0, 0, "closed loop: pause between ops"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per attempt, on the client's monotonic clock"},
    {"retries", MURPHY_PARAM_INT, "2", 0, CLIENT_ATTEMPTS_MAX - 1, "attempts after the first"},
    {"ops", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40, "operations to issue; 0: no limit"},
    {"payload_bytes", MURPHY_PARAM_INT, "64", 16, CLIENT_PAYLOAD_BYTES_MAX, "request size"},
    {"honour_drain", MURPHY_PARAM_BOOL, "false", 0, 0,
     "skip servers that announced a pause until they are back"},
    {"window", MURPHY_PARAM_INT, "256", 1, CLIENT_OPS_MAX,
     "open operations at most; one more fails at once (backpressure on the caller)"},
};

/* The request of one attempt: op id and attempt up front, then a pattern of both. */
static size_t make_payload(const struct murphy_node *node, const struct client_op *op,
                           unsigned char *out)
{
    size_t bytes = (size_t)murphy_param_i64(node, "payload_bytes");
    for (size_t i = 0; i < bytes; i++)
        out[i] = (unsigned char)(op->op_id * 131u + op->attempt * 17u + i);
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(op->op_id >> (8 * i));
    for (int i = 0; i < 4; i++) out[8 + i] = (unsigned char)(op->attempt >> (8 * i));
    return bytes;
}

static void send_attempt(struct murphy_node *node, uint32_t slot)
{
    struct client_volatile *v = murphy_volatile(node);
    struct client_op *op = &v->ops[slot];
    unsigned char payload[CLIENT_PAYLOAD_BYTES_MAX];
    size_t bytes = make_payload(node, op, payload);
    op->msg_ids[op->attempt] = murphy_send(node, op->server, MURPHY_CLASS_REQUEST, payload, bytes);
    uint64_t tag = ((uint64_t)op->generation << 16) | slot;
    op->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"), tag);
}

static bool is_draining(const struct murphy_node *node, const struct client_volatile *v,
                        uint32_t index)
{
    if (index >= CLIENT_SERVERS_MAX) return false;
    const struct client_drain *s = &v->drain[index];
    return s->is_draining && murphy_mono_ns(node) < s->until_mono_ns; /* C5 */
}

/* The server at round-robin position `index`, or with honour_drain the first one from
 * there that is not draining (the one at `index` if all are). */
static uint32_t pick_server(const struct murphy_node *node, const struct client_volatile *v,
                            uint32_t index)
{
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    if (murphy_param_bool(node, "honour_drain"))
        for (uint32_t k = 0; k < count; k++) {
            uint32_t candidate = (index + k) % count;
            if (!is_draining(node, v, candidate)) return first + candidate;
        }
    return first + index;
}

static bool may_issue(const struct murphy_node *node, const struct client_volatile *v)
{
    int64_t limit = murphy_param_i64(node, "ops");
    return limit == 0 || v->issued < (uint64_t)limit;
}

static void start_op(struct murphy_node *node, uint32_t process)
{
    struct client_volatile *v = murphy_volatile(node);
    if (!may_issue(node, v)) return;
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    uint64_t number = v->issued++;
    char value[32];
    snprintf(value, sizeof value, "%llu", (unsigned long long)number);
    uint64_t op_id = murphy_op_invoke(node, process, "echo", NULL, value);
    /* the window: at most `window` operations open, in the first slots */
    uint32_t window = (uint32_t)murphy_param_i64(node, "window");
    uint32_t slot = 0;
    while (slot < window && v->ops[slot].is_open) slot++;
    if (slot == window) {
        murphy_op_complete(node, op_id, MURPHY_OP_FAIL, "window full");
        return;
    }
    struct client_op *op = &v->ops[slot];
    uint32_t generation = op->generation + 1;
    *op = (struct client_op){.is_open = true, .generation = generation, .op_id = op_id,
                             .process = process,
                             .server = pick_server(node, v, (uint32_t)(number % count))};
    send_attempt(node, slot);
}

static void schedule_next(struct murphy_node *node, uint32_t process)
{
    if (murphy_param_bool(node, "closed_loop"))
        murphy_timer_set(node, murphy_param_sample_ns(node, "think_time"), TAG_THINK | process);
    else
        murphy_timer_set(node, murphy_param_sample_ns(node, "arrival"), TAG_ARRIVAL);
}

static void finish_op(struct murphy_node *node, uint32_t slot, enum murphy_op_type type,
                      const char *result)
{
    struct client_volatile *v = murphy_volatile(node);
    struct client_op *op = &v->ops[slot];
    murphy_op_complete(node, op->op_id, type, result);
    op->is_open = false;
    if (murphy_param_bool(node, "closed_loop")) schedule_next(node, op->process);
}

static void client_on_start(struct murphy_node *node)
{
    if (!murphy_param_bool(node, "closed_loop")) {
        schedule_next(node, 0);
        return;
    }
    int64_t processes = murphy_param_i64(node, "concurrency");
    for (uint32_t p = 0; p < (uint32_t)processes; p++) start_op(node, p);
}

static void client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct client_volatile *v = murphy_volatile(node);
    if (tag == TAG_ARRIVAL) {
        start_op(node, (uint32_t)(v->issued % CLIENT_OPS_MAX));
        if (may_issue(node, v)) schedule_next(node, 0);
        return;
    }
    if (tag & TAG_THINK) {
        start_op(node, (uint32_t)(tag & 0xffffffffu));
        return;
    }
    uint32_t slot = (uint32_t)(tag & 0xffffu);
    uint32_t generation = (uint32_t)(tag >> 16);
    if (slot >= CLIENT_OPS_MAX) return;
    struct client_op *op = &v->ops[slot];
    if (!op->is_open || op->generation != generation) return; /* answered meanwhile */
    murphy_timeout(node, op->msg_ids[op->attempt]);
    if (op->attempt < (uint32_t)murphy_param_i64(node, "retries")) {
        op->attempt++; /* C1 */
        if (murphy_param_bool(node, "honour_drain")) {
            uint32_t first, count;
            murphy_param_group(node, "target", &first, &count);
            op->server = pick_server(node, v, op->server - first);
        }
        send_attempt(node, slot);
        return;
    }
    finish_op(node, slot, MURPHY_OP_INFO, "timeout");
}

/* "draining" / "back" from a server (C4, C5). */
static void on_drain_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct client_volatile *v = murphy_volatile(node);
    struct drain_msg m;
    if (!drain_decode(msg->payload, msg->payload_bytes, &m)) {
        murphy_note(node, "rejected a malformed drain message");
        return;
    }
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    uint32_t index = msg->source_node - first; /* wraps for nodes below the group */
    if (msg->source_node < first || index >= count) {
        murphy_note(node, "rejected a drain message from outside the target group");
        return;
    }
    if (!murphy_param_bool(node, "honour_drain") || index >= CLIENT_SERVERS_MAX) return;
    struct client_drain *s = &v->drain[index];
    if (m.epoch < s->epoch) return; /* C4: reordered behind a newer one */
    if (m.kind == DRAIN_KIND_BACK) {
        s->epoch = m.epoch;
        s->is_draining = false;
        return;
    }
    if (m.epoch == s->epoch) return; /* a duplicate, or a "back" of this epoch came first */
    s->epoch = m.epoch;
    s->is_draining = true;
    s->until_mono_ns = murphy_mono_ns(node) + m.away_ns + CLIENT_DRAIN_GRACE_NS;
}

/* C6: a server that turned the request away (models/queue_server.c) answers the first
 * CLIENT_BUSY_HEADER_BYTES of it followed by "BUSY"; no echo has that form, since an
 * echo is at least 16 bytes of a pattern that never spells "BUSY". */
static bool is_busy_reply(const struct murphy_msg *msg, const unsigned char *expected)
{
    return msg->payload_bytes == CLIENT_BUSY_HEADER_BYTES + 4 &&
           memcmp(msg->payload, expected, CLIENT_BUSY_HEADER_BYTES) == 0 &&
           memcmp((const unsigned char *)msg->payload + CLIENT_BUSY_HEADER_BYTES, "BUSY", 4) == 0;
}

static void client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct client_volatile *v = murphy_volatile(node);
    if (msg->traffic_class == MURPHY_CLASS_CONTROL) {
        on_drain_message(node, msg);
        return;
    }
    if (msg->traffic_class != MURPHY_CLASS_REPLY || msg->reply_to_msg_id == 0) return;
    for (uint32_t slot = 0; slot < CLIENT_OPS_MAX; slot++) {
        struct client_op *op = &v->ops[slot];
        if (!op->is_open) continue;
        for (uint32_t a = 0; a <= op->attempt; a++) {
            if (op->msg_ids[a] != msg->reply_to_msg_id) continue;
            /* C3: the reply must carry exactly what that attempt sent */
            struct client_op sent = *op;
            sent.attempt = a;
            unsigned char expected[CLIENT_PAYLOAD_BYTES_MAX];
            size_t bytes = make_payload(node, &sent, expected);
            if (msg->payload_bytes != bytes || memcmp(msg->payload, expected, bytes) != 0) {
                if (is_busy_reply(msg, expected)) { /* C6 */
                    murphy_timer_cancel(node, op->timer);
                    finish_op(node, slot, MURPHY_OP_FAIL, "busy");
                    return;
                }
                murphy_note(node, "rejected a corrupted reply");
                return;
            }
            murphy_timer_cancel(node, op->timer);
            finish_op(node, slot, MURPHY_OP_OK, NULL); /* C2 */
            return;
        }
    }
    /* a reply to an operation already finished: late or duplicated; nothing to do */
}

const struct murphy_model models_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "client",
    .summary = "open- or closed-loop client with per-attempt timeouts and retries",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct client_volatile),
    .params = client_params,
    .param_count = sizeof client_params / sizeof client_params[0],
    .on_start = client_on_start,
    .on_message = client_on_message,
    .on_timer = client_on_timer,
};
