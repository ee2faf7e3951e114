/* models/name_client.c - a client of the unique-name registry (name_registry). Every
 * `period` on its monotonic clock it asks for a name drawn uniformly from 1..pool, at the
 * replicas of `target` in turn (round robin), for itself (its node index). Clients share
 * the pool, so they ask for the same names; the registry must give each name to one.
 *
 * Every operation goes into the history: f "register", value = the name id, `ok` when the
 * replica says the name is ours (result "token N": the fencing token of the grant, what
 * the client would show whatever it guards with the name), `fail` when it says no, `info`
 * on timeout (it may have been given). It claims "name.attempt" (name id, client) as it asks, for the oracle's
 * liveness count (checks/names.c).
 *
 * Invariants: C1 an operation completes once: by the reply to its own message, naming
 * its name and this client, or by its timeout; C2 a reply that fails the wire checks,
 * comes from another node or does not match its operation is rejected and noted, and
 * completes nothing. */
#include "models.h"

#include <inttypes.h>
#include <stdio.h>

#include "name_wire.h"

#define NAME_CLIENT_OPEN_MAX 16u
#define TAG_TICK (UINT64_C(1) << 63)

struct name_client_op {
    bool is_open;
    uint32_t generation; /* bumped on every reuse of the slot, so old timers miss */
    uint64_t op_id;
    uint32_t replica;
    uint32_t name_id;
    uint64_t msg_id;
    uint64_t timer;
};

struct name_client_volatile {
    uint64_t ticks;
    struct name_client_op ops[NAME_CLIENT_OPEN_MAX];
};

static const struct murphy_param_spec name_client_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "the registry replicas (round robin)"},
    {"pool", MURPHY_PARAM_INT, "50", 1, NAME_POOL_MAX, "names are drawn from 1..pool"},
    {"period", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "between registrations, on the client's monotonic clock"},
    {"phase", MURPHY_PARAM_DURATION, "0ns", 0, 0, "before the first registration"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per registration; then it is 'info'"},
};

static void start_op(struct murphy_node *node)
{
    struct name_client_volatile *v = murphy_volatile(node);
    uint64_t tick = v->ticks++;
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    int64_t pool = murphy_param_i64(node, "pool");
    uint32_t name_id = 1 + (uint32_t)(murphy_rand_uniform(node) * (double)pool);
    if (name_id > (uint32_t)pool) name_id = (uint32_t)pool;
    uint32_t self = murphy_node_index(node);
    char value[16];
    snprintf(value, sizeof value, "%u", name_id);
    uint64_t op_id = murphy_op_invoke(node, 0, "register", "name", value);
    uint32_t slot = 0;
    while (slot < NAME_CLIENT_OPEN_MAX && v->ops[slot].is_open) slot++;
    if (slot == NAME_CLIENT_OPEN_MAX) {
        murphy_op_complete(node, op_id, MURPHY_OP_FAIL, "window full");
        return;
    }
    murphy_claim(node, "name.attempt", name_id, self);
    struct name_client_op *op = &v->ops[slot];
    *op = (struct name_client_op){.is_open = true, .generation = op->generation + 1,
                                  .op_id = op_id, .replica = first + (uint32_t)(tick % count),
                                  .name_id = name_id};
    struct name_wire w = {.kind = NAME_REGISTER, .name_id = name_id, .client = self};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    op->msg_id = murphy_send(node, op->replica, MURPHY_CLASS_REQUEST, p, sizeof p);
    op->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"),
                                 ((uint64_t)op->generation << 16) | slot);
}

static void name_client_on_start(struct murphy_node *node)
{
    murphy_timer_set(node, murphy_param_i64(node, "phase"), TAG_TICK);
}

static void name_client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct name_client_volatile *v = murphy_volatile(node);
    if (tag == TAG_TICK) {
        start_op(node);
        murphy_timer_set(node, murphy_param_i64(node, "period"), TAG_TICK);
        return;
    }
    uint32_t slot = (uint32_t)(tag & 0xffffu);
    if (slot >= NAME_CLIENT_OPEN_MAX) return;
    struct name_client_op *op = &v->ops[slot];
    if (!op->is_open || op->generation != (uint32_t)(tag >> 16)) return; /* answered */
    murphy_timeout(node, op->msg_id);
    op->is_open = false; /* C1 */
    murphy_op_complete(node, op->op_id, MURPHY_OP_INFO, "timeout");
}

static void name_client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct name_client_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REPLY || msg->reply_to_msg_id == 0) {
        murphy_note(node, "rejected a message that answers nothing");
        return;
    }
    struct name_client_op *op = NULL;
    for (uint32_t slot = 0; slot < NAME_CLIENT_OPEN_MAX && !op; slot++)
        if (v->ops[slot].is_open && v->ops[slot].msg_id == msg->reply_to_msg_id)
            op = &v->ops[slot];
    if (!op) return; /* the answer to an operation that already timed out */
    struct name_wire w;
    bool is_valid = name_wire_decode(msg->payload, msg->payload_bytes, &w) &&
                    msg->source_node == op->replica &&
                    (w.kind == NAME_OK || w.kind == NAME_FAIL) && w.name_id == op->name_id &&
                    w.client == murphy_node_index(node);
    if (!is_valid) {
        murphy_note(node, "rejected a reply that is not the answer to its registration"); /* C2 */
        return;
    }
    murphy_timer_cancel(node, op->timer);
    op->is_open = false; /* C1 */
    if (w.kind == NAME_FAIL) {
        murphy_op_complete(node, op->op_id, MURPHY_OP_FAIL, "refused");
        return;
    }
    char result[32];
    snprintf(result, sizeof result, "token %" PRIu64, w.token);
    murphy_op_complete(node, op->op_id, MURPHY_OP_OK, result);
}

const struct murphy_model models_name_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "name_client",
    .summary = "asks the name registry for names drawn from a shared pool",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct name_client_volatile),
    .params = name_client_params,
    .param_count = sizeof name_client_params / sizeof name_client_params[0],
    .on_start = name_client_on_start,
    .on_message = name_client_on_message,
    .on_timer = name_client_on_timer,
};
