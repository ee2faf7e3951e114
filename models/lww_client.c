/* models/lww_client.c - a writer (and optionally reader) of the last-write-wins register
 * (lww_replica). Every `period` on its monotonic clock, starting after `phase`, it writes a
 * new value stamped with its own wall clock, murphy_wall_ns, which is what a real LWW
 * store does with the client's or coordinator's time of day. Writers given the same
 * period and different phases take turns in true time, so in a run without clock skew
 * every write is later than the one before it, and with skew some are not: concurrency
 * is not what this shows, skew is.
 *
 * Every operation goes into the history: f "write", key "r", value = the value id in
 * decimal (unique in the run), `ok` on the replica's ack, `info` on timeout (it may have
 * been applied); f "read" completes `ok` with "VALUE@TS" ("nil" before any write), or
 * `fail` on timeout (a read changes nothing). For the oracle (checks/lww.c) a write also
 * claims "lww.invoke" (ts, value id) when it starts, "lww.ack" (ts, value id) when it is
 * acknowledged, and "lww.gave_up" (ts, value id) when it timed out.
 *
 * Invariants: W1 a value id is never reused, across crashes too (its sequence is
 * durable); W2 an operation completes once: by the reply to its own message, carrying
 * exactly its (ts, value id) for a write, or by its timeout; W3 a reply that fails the
 * wire checks, comes from another node or does not match its operation is rejected and
 * noted, and completes nothing. */
#include "models.h"

#include <stdio.h>

#include "lww_wire.h"

#define LWW_CLIENT_OPEN_MAX 16u /* operations in flight per client */
#define TAG_TICK (UINT64_C(1) << 63)

struct lww_client_durable {
    uint32_t seq; /* W1: writes issued by every incarnation */
};

struct lww_client_op {
    bool is_open;
    bool is_read;
    uint32_t generation;   /* bumped on every reuse of the slot, so old timers miss */
    uint64_t op_id;
    uint32_t replica;
    uint64_t msg_id;
    int64_t ts_ns;
    uint64_t value_id;
    uint64_t timer;
};

struct lww_client_volatile {
    uint64_t ticks;        /* operations started by this incarnation */
    struct lww_client_op ops[LWW_CLIENT_OPEN_MAX];
};

static const struct murphy_param_spec lww_client_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0,
     "the replica(s) to send to (round robin over a group)"},
    {"period", MURPHY_PARAM_DURATION, "60ms", 1, INT64_C(86400000000000),
     "between operations, on the client's monotonic clock"},
    {"phase", MURPHY_PARAM_DURATION, "0ns", 0, 0,
     "before the first operation: writers with one period and different phases take turns"},
    {"timeout", MURPHY_PARAM_DURATION, "50ms", 1, INT64_C(86400000000000),
     "per operation, on the monotonic clock; then the write is 'info', the read 'fail'"},
    {"read_every", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40,
     "every k-th operation is a read; 0: only writes, 1: only reads"},
    {"ops", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40, "operations to issue; 0: no limit"},
    {"lie_ahead", MURPHY_PARAM_DURATION, "1h", 1, INT64_C(86400000000000),
     "a Byzantine writer (policy alter) stamps its writes this much later than its clock"},
};

static uint32_t pick_replica(const struct murphy_node *node, uint64_t tick)
{
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    return first + (uint32_t)(tick % count);
}

static bool is_read_tick(const struct murphy_node *node, uint64_t tick)
{
    int64_t every = murphy_param_i64(node, "read_every");
    return every > 0 && (tick + 1) % (uint64_t)every == 0;
}

static void start_op(struct murphy_node *node)
{
    struct lww_client_volatile *v = murphy_volatile(node);
    struct lww_client_durable *d = murphy_durable(node);
    uint64_t tick = v->ticks++;
    bool is_read = is_read_tick(node, tick);
    uint32_t slot = 0;
    while (slot < LWW_CLIENT_OPEN_MAX && v->ops[slot].is_open) slot++;
    struct lww_wire w = {.kind = is_read ? LWW_READ : LWW_WRITE};
    char value[32] = "";
    if (!is_read) {
        w.value_id = lww_value_id(murphy_node_index(node), ++d->seq); /* W1 */
        w.ts_ns = murphy_wall_ns(node); /* the writer's time of day: the point of LWW */
        snprintf(value, sizeof value, "%llu", (unsigned long long)w.value_id);
    }
    uint64_t op_id = murphy_op_invoke(node, 0, is_read ? "read" : "write", "r",
                                      is_read ? NULL : value);
    if (slot == LWW_CLIENT_OPEN_MAX) {
        murphy_op_complete(node, op_id, MURPHY_OP_FAIL, "window full");
        return;
    }
    struct lww_client_op *op = &v->ops[slot];
    *op = (struct lww_client_op){.is_open = true, .is_read = is_read,
                                 .generation = op->generation + 1, .op_id = op_id,
                                 .replica = pick_replica(node, tick), .ts_ns = w.ts_ns,
                                 .value_id = w.value_id};
    if (!is_read) murphy_claim(node, "lww.invoke", w.ts_ns, (int64_t)w.value_id);
    unsigned char p[LWW_WIRE_BYTES];
    lww_wire_encode(&w, p);
    op->msg_id = murphy_send(node, op->replica, MURPHY_CLASS_REQUEST, p, sizeof p);
    op->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"),
                                 ((uint64_t)op->generation << 16) | slot);
}

static bool may_issue(struct murphy_node *node)
{
    const struct lww_client_volatile *v = murphy_volatile(node);
    int64_t limit = murphy_param_i64(node, "ops");
    return limit == 0 || v->ticks < (uint64_t)limit;
}

static void lww_client_on_start(struct murphy_node *node)
{
    if (may_issue(node)) murphy_timer_set(node, murphy_param_i64(node, "phase"), TAG_TICK);
}

static void lww_client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct lww_client_volatile *v = murphy_volatile(node);
    if (tag == TAG_TICK) {
        start_op(node);
        if (may_issue(node)) murphy_timer_set(node, murphy_param_i64(node, "period"), TAG_TICK);
        return;
    }
    uint32_t slot = (uint32_t)(tag & 0xffffu);
    if (slot >= LWW_CLIENT_OPEN_MAX) return;
    struct lww_client_op *op = &v->ops[slot];
    if (!op->is_open || op->generation != (uint32_t)(tag >> 16)) return; /* answered */
    murphy_timeout(node, op->msg_id);
    op->is_open = false; /* W2 */
    if (op->is_read) {
        murphy_op_complete(node, op->op_id, MURPHY_OP_FAIL, "timeout");
        return;
    }
    murphy_op_complete(node, op->op_id, MURPHY_OP_INFO, "timeout");
    murphy_claim(node, "lww.gave_up", op->ts_ns, (int64_t)op->value_id);
}

static void complete_read(struct murphy_node *node, struct lww_client_op *op,
                          const struct lww_wire *w)
{
    char result[64] = "nil";
    if (w->value_id != 0)
        snprintf(result, sizeof result, "%llu@%lld", (unsigned long long)w->value_id,
                 (long long)w->ts_ns);
    murphy_op_complete(node, op->op_id, MURPHY_OP_OK, result);
}

static void lww_client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lww_client_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REPLY || msg->reply_to_msg_id == 0) {
        murphy_note(node, "rejected a message that answers nothing");
        return;
    }
    struct lww_client_op *op = NULL;
    for (uint32_t slot = 0; slot < LWW_CLIENT_OPEN_MAX && !op; slot++)
        if (v->ops[slot].is_open && v->ops[slot].msg_id == msg->reply_to_msg_id)
            op = &v->ops[slot];
    if (!op) return; /* the answer to an operation that already timed out: nothing to do */
    struct lww_wire w;
    bool is_valid = lww_wire_decode(msg->payload, msg->payload_bytes, &w) &&
                    msg->source_node == op->replica &&
                    (op->is_read ? w.kind == LWW_READ_REPLY
                                 : w.kind == LWW_WRITE_ACK && w.ts_ns == op->ts_ns &&
                                       w.value_id == op->value_id);
    if (!is_valid) {
        murphy_note(node, "rejected a reply that is not the answer to its operation"); /* W3 */
        return;
    }
    murphy_timer_cancel(node, op->timer);
    op->is_open = false; /* W2 */
    if (op->is_read) {
        complete_read(node, op, &w);
        return;
    }
    murphy_op_complete(node, op->op_id, MURPHY_OP_OK, NULL);
    murphy_claim(node, "lww.ack", op->ts_ns, (int64_t)op->value_id);
}

/* The lie (see the header): a write stamped lie_ahead late; anything else goes out true. */
static size_t lww_client_byz_alter(const struct murphy_node *node, uint32_t target,
                                   const void *payload, size_t bytes, void *out,
                                   size_t out_cap, uint64_t draw, char *said,
                                   size_t said_bytes)
{
    (void)target;
    (void)draw; /* the same lie every time: the point is its size, not its variety */
    struct lww_wire w;
    if (out_cap < LWW_WIRE_BYTES || !lww_wire_decode(payload, bytes, &w) || w.kind != LWW_WRITE)
        return SIZE_MAX;
    int64_t ahead_ns = murphy_param_i64(node, "lie_ahead");
    int64_t truth_ns = w.ts_ns;
    if (ahead_ns <= 0 || truth_ns > INT64_MAX - ahead_ns) return SIZE_MAX; /* checked sum */
    w.ts_ns = truth_ns + ahead_ns;
    lww_wire_encode(&w, out);
    snprintf(said, said_bytes, "stamped value %llu at ts %lld, the truth is ts %lld",
             (unsigned long long)w.value_id, (long long)w.ts_ns, (long long)truth_ns);
    return LWW_WIRE_BYTES;
}

const struct murphy_model models_lww_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "lww_client",
    .summary = "writes the LWW register every period, stamped with its own wall clock",
    .durable_bytes = sizeof(struct lww_client_durable),
    .volatile_bytes = sizeof(struct lww_client_volatile),
    .params = lww_client_params,
    .param_count = sizeof lww_client_params / sizeof lww_client_params[0],
    .on_start = lww_client_on_start,
    .on_message = lww_client_on_message,
    .on_timer = lww_client_on_timer,
    .byz_alter = lww_client_byz_alter,
};
