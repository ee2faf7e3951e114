/* models/lease_client.c - a client that increments a shared counter under a lease: take
 * the lock, read the counter, compute, check the lease, serialize, write value + 1, let go.
 *
 * This is the textbook unsafe lock client (seeds/, "리더와 잠금" and "진실은 다수결로
 * 결정된다": a stop-the-world pause that lasts too long; Kleppmann, "How to do distributed
 * locking"): it checks that its lease is still valid, and then does a little
 * more work before the write leaves. A stop-the-world pause (gc_every / gc_pause) that
 * lands in that gap lets the lease run out on the server while the client, frozen, still
 * believes it holds it; it resumes and writes on top of whatever the next holder wrote.
 * Only the storage can stop that write: by its fencing token (store_server `fencing`).
 *
 * One operation at a time ("incr" in the history, Jepsen style):
 *
 *   IDLE --think timer--> ACQUIRING  start_op: invoke, send ACQUIRE
 *   ACQUIRING --GRANT-->   READING   on_grant: believe the lease until sent + lease - margin
 *   READING --READ_OK-->   MODIFYING on_read_ok: murphy_work(work_time)
 *   MODIFYING --done-->    SERIALIZING on_modified: check the lease by the local clock (K2),
 *                                    then murphy_work(serialize_time)
 *   SERIALIZING --done-->  WRITING   on_serialized: send WRITE(token, value + 1, version),
 *                                    no second check: the gap a pause falls into
 *   WRITING --WRITE_OK-->  IDLE      ok; release
 *   any wait --BUSY / REJECTED / lease over / timeout--> IDLE (fail, or info for a write)
 *
 * Outcomes: ok when the store accepted the write; fail when it certainly did not happen
 * (the lock was busy, the lease ran out before the write, the store refused the token, an
 * acquire or read timed out, so no write was sent); info when the write itself timed
 * out (it may or may not have been applied).
 *
 * Invariants:
 *   K1 at most one operation is open, and each ends exactly once (finish_op).
 *   K2 a write is sent only if the local clock was before the believed end of the lease
 *      after the modify step; the serialize step after that check is deliberate.
 *   K3 the believed end is counted from when the ACQUIRE was *sent*, minus `margin`: the
 *      server starts the lease when it grants, later, so on clocks that run at the same
 *      rate the client's belief always ends first (margin covers drift).
 *   K4 only a reply to the request now pending, from the node it went to, is acted on.
 *
 * Byzantine hook (byz_alter, the `alter` policy): a lying client writes with its token
 * moved by `lie_token` (clamped to >= 1), re-encoded with a valid checksum; reads,
 * acquires and releases go out true. Which lie fencing stops depends on its sign:
 *   - stale (lie_token < 0, the default -1): the client's own read has just raised the
 *     store's highest token to its real one, so an older token is refused (S1 of
 *     store_server), or, when it is the token of the last accepted write, answered as
 *     that write's duplicate (S4) and not applied: the lie costs the liar its writes and
 *     nobody else anything;
 *   - forged higher (lie_token > 0): the store has no way to know a token was never
 *     granted, accepts it and raises its highest token past every grant to come, so
 *     every honest holder is then refused as stale: fencing turned into a lockout
 *     (checks/lease.c reports the accepted token the lock never granted).
 * The said text is "wrote with token T, the truth is token U". */
#include "models.h"

#include <stdio.h>

#include "lease_wire.h"

#define TAG_THINK UINT64_C(1)
#define TAG_TIMEOUT UINT64_C(2) /* | request number << 8 */
#define WORK_MODIFY UINT64_C(1) /* | request number << 8 */
#define WORK_SERIALIZE UINT64_C(2)

enum lease_client_state {
    STATE_IDLE,
    STATE_ACQUIRING,
    STATE_READING,
    STATE_MODIFYING,
    STATE_SERIALIZING,
    STATE_WRITING,
};

struct lease_client_volatile {
    enum lease_client_state state;
    uint64_t op_id;
    uint64_t ops_issued;
    uint64_t request_number;     /* bumped per request: tags its timer and work */
    uint64_t pending_msg_id;     /* K4 */
    uint32_t pending_node;
    uint64_t timeout_timer;
    int64_t acquire_sent_mono_ns;
    int64_t lease_until_mono_ns; /* K3: believed end of the lease */
    int64_t token;
    int64_t read_value;
    int64_t read_version;
};

static const struct murphy_param_spec lease_client_params[] = {
    {"lock", MURPHY_PARAM_GROUP, NULL, 0, 0, "the lease server (first node of the group)"},
    {"store", MURPHY_PARAM_GROUP, NULL, 0, 0, "the storage (first node of the group)"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per request, on the client's monotonic clock"},
    {"margin", MURPHY_PARAM_DURATION, "50ms", 0, INT64_C(86400000000000),
     "stop believing in the lease this long before it ends"},
    {"work_time", MURPHY_PARAM_DIST, "exponential 10ms", 0, 0, "the modify step's CPU time"},
    {"serialize_time", MURPHY_PARAM_DIST, "constant 5ms", 0, 0,
     "CPU time between the lease check and the write"},
    {"think_time", MURPHY_PARAM_DIST, "exponential 50ms", 0, 0, "between operations"},
    {"ops", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40, "operations to issue; 0: no limit"},
    {"lie_token", MURPHY_PARAM_INT, "-1", -(INT64_C(1) << 40), INT64_C(1) << 40,
     "a Byzantine client (policy alter) writes with its token plus this (< 0: stale)"},
};

static uint32_t group_node(const struct murphy_node *node, const char *param)
{
    uint32_t first, count;
    murphy_param_group(node, param, &first, &count);
    return first;
}

static void schedule_op(struct murphy_node *node)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    int64_t limit = murphy_param_i64(node, "ops");
    v->state = STATE_IDLE;
    if (limit != 0 && v->ops_issued >= (uint64_t)limit) return;
    murphy_timer_set(node, murphy_param_sample_ns(node, "think_time"), TAG_THINK);
}

/* Sends a request and arms its timeout; the reply is matched by message id (K4). */
static void send_request(struct murphy_node *node, const char *target_param,
                         const struct lease_wire_msg *m)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    unsigned char bytes[LEASE_WIRE_BYTES_MAX];
    size_t byte_count = lease_wire_encode(m, bytes);
    v->request_number++;
    v->pending_node = group_node(node, target_param);
    v->pending_msg_id = murphy_send(node, v->pending_node, MURPHY_CLASS_REQUEST, bytes,
                                    byte_count);
    v->timeout_timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"),
                                        TAG_TIMEOUT | (v->request_number << 8));
}

static void send_release(struct murphy_node *node)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    unsigned char bytes[LEASE_WIRE_BYTES_MAX];
    size_t byte_count = lease_wire_encode(
        &(struct lease_wire_msg){.kind = LEASE_MSG_RELEASE, .field = {v->token}}, bytes);
    murphy_send(node, group_node(node, "lock"), MURPHY_CLASS_REQUEST, bytes, byte_count);
}

/* K1: ends the open operation, lets go of the lease if one was granted, and plans the
 * next operation. */
static void finish_op(struct murphy_node *node, enum murphy_op_type type, const char *result)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    if (v->state == STATE_IDLE) {
        murphy_violation(node, "K1: an operation ended twice");
        return;
    }
    if (v->pending_msg_id) murphy_timer_cancel(node, v->timeout_timer);
    v->pending_msg_id = 0;
    murphy_op_complete(node, v->op_id, type, result);
    if (v->token > 0) send_release(node); /* one way: a lost release only wastes the lease */
    v->token = 0;
    schedule_op(node);
}

static void start_op(struct murphy_node *node)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    v->ops_issued++;
    v->op_id = murphy_op_invoke(node, 0, "incr", "counter", NULL);
    v->state = STATE_ACQUIRING;
    v->token = 0;
    v->acquire_sent_mono_ns = murphy_mono_ns(node);
    send_request(node, "lock", &(struct lease_wire_msg){.kind = LEASE_MSG_ACQUIRE});
}

static bool lease_is_valid(struct murphy_node *node)
{
    const struct lease_client_volatile *v = murphy_volatile(node);
    return murphy_mono_ns(node) < v->lease_until_mono_ns;
}

static void on_grant(struct murphy_node *node, const struct lease_wire_msg *m)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    if (m->field[0] < 1 || m->field[1] < 1) {
        murphy_note(node, "grant with a token or lease duration below 1; ignored");
        return;
    }
    murphy_timer_cancel(node, v->timeout_timer);
    v->pending_msg_id = 0;
    v->token = m->field[0];
    /* K3: from the send, not the arrival; the grant may have taken long to get here */
    v->lease_until_mono_ns = v->acquire_sent_mono_ns + m->field[1] -
                             murphy_param_i64(node, "margin");
    if (!lease_is_valid(node)) {
        finish_op(node, MURPHY_OP_FAIL, "lease over before the read");
        return;
    }
    v->state = STATE_READING;
    send_request(node, "store", &(struct lease_wire_msg){.kind = STORE_MSG_READ,
                                                          .field = {v->token}});
}

static void on_read_ok(struct murphy_node *node, const struct lease_wire_msg *m)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    if (m->field[1] < 0) {
        murphy_note(node, "read reply with a negative version; ignored");
        return;
    }
    murphy_timer_cancel(node, v->timeout_timer);
    v->pending_msg_id = 0;
    v->read_value = m->field[0];
    v->read_version = m->field[1];
    v->state = STATE_MODIFYING;
    murphy_work(node, murphy_param_sample_ns(node, "work_time"),
                WORK_MODIFY | (v->request_number << 8));
}

static void on_write_ok(struct murphy_node *node, const struct lease_wire_msg *m)
{
    char result[48];
    snprintf(result, sizeof result, "version %lld", (long long)m->field[0]);
    finish_op(node, MURPHY_OP_OK, result);
}

static void lease_client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    struct lease_wire_msg m;
    if (msg->traffic_class != MURPHY_CLASS_REPLY) return;
    if (v->pending_msg_id == 0 || msg->reply_to_msg_id != v->pending_msg_id ||
        msg->source_node != v->pending_node)
        return; /* K4: a late or duplicated answer to a request given up on */
    if (!lease_wire_decode(msg->payload, msg->payload_bytes, &m)) {
        murphy_note(node, "malformed reply (length, padding or checksum); rejected");
        return;
    }
    enum lease_client_state s = v->state;
    if (s == STATE_ACQUIRING && m.kind == LEASE_MSG_GRANT)
        on_grant(node, &m);
    else if (s == STATE_ACQUIRING && m.kind == LEASE_MSG_BUSY)
        finish_op(node, MURPHY_OP_FAIL, "busy");
    else if (s == STATE_READING && m.kind == STORE_MSG_READ_OK)
        on_read_ok(node, &m);
    else if (s == STATE_WRITING && m.kind == STORE_MSG_WRITE_OK)
        on_write_ok(node, &m);
    else if ((s == STATE_READING || s == STATE_WRITING) && m.kind == STORE_MSG_REJECTED)
        finish_op(node, MURPHY_OP_FAIL, "stale token");
    else
        murphy_note(node, "reply of a kind that does not answer the pending request; ignored");
}

static void lease_client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    if (tag == TAG_THINK) {
        if (v->state == STATE_IDLE) start_op(node);
        return;
    }
    if ((tag & 0xffu) != TAG_TIMEOUT || (tag >> 8) != v->request_number || !v->pending_msg_id)
        return; /* answered meanwhile */
    murphy_timeout(node, v->pending_msg_id);
    v->pending_msg_id = 0;
    switch (v->state) {
    case STATE_ACQUIRING: finish_op(node, MURPHY_OP_FAIL, "acquire timed out"); break;
    case STATE_READING: finish_op(node, MURPHY_OP_FAIL, "read timed out"); break;
    case STATE_WRITING: finish_op(node, MURPHY_OP_INFO, "write timed out"); break;
    default: murphy_violation(node, "K4: a request timed out with none pending"); break;
    }
}

static void lease_client_on_work_done(struct murphy_node *node, uint64_t work_id)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    if ((work_id >> 8) != v->request_number) {
        murphy_violation(node, "K1: work finished for a step no longer current");
        return;
    }
    if (v->state == STATE_MODIFYING && (work_id & 0xffu) == WORK_MODIFY) {
        if (!lease_is_valid(node)) { /* K2 */
            finish_op(node, MURPHY_OP_FAIL, "lease over before the write");
            return;
        }
        v->state = STATE_SERIALIZING;
        murphy_work(node, murphy_param_sample_ns(node, "serialize_time"),
                    WORK_SERIALIZE | (v->request_number << 8));
        return;
    }
    if (v->state == STATE_SERIALIZING && (work_id & 0xffu) == WORK_SERIALIZE) {
        /* no second look at the clock: a pause during serialize goes unnoticed */
        v->state = STATE_WRITING;
        send_request(node, "store", &(struct lease_wire_msg){
            .kind = STORE_MSG_WRITE, .field = {v->token, v->read_value + 1, v->read_version}});
        return;
    }
    murphy_violation(node, "K1: work finished in a state that asked for none");
}

static void lease_client_on_start(struct murphy_node *node)
{
    struct lease_client_volatile *v = murphy_volatile(node);
    *v = (struct lease_client_volatile){0};
    schedule_op(node);
}

/* The lie (see the header): a write's token moved by lie_token; all else goes out true. */
static size_t lease_client_byz_alter(const struct murphy_node *node, uint32_t target,
                                     const void *payload, size_t bytes, void *out,
                                     size_t out_cap, uint64_t draw, char *said,
                                     size_t said_bytes)
{
    (void)target;
    (void)draw; /* one lie, always the same distance from the truth */
    struct lease_wire_msg m;
    if (out_cap < LEASE_WIRE_BYTES_MAX || !lease_wire_decode(payload, bytes, &m) ||
        m.kind != STORE_MSG_WRITE)
        return SIZE_MAX;
    int64_t shift = murphy_param_i64(node, "lie_token"); /* |shift| <= 2^40: no overflow */
    int64_t truth = m.field[0];
    if (shift == 0 || truth < 1 || truth > INT64_MAX / 2) return SIZE_MAX;
    int64_t lie = truth + shift < 1 ? 1 : truth + shift;
    if (lie == truth) return SIZE_MAX; /* token 1 cannot be made older */
    m.field[0] = lie;
    size_t out_bytes = lease_wire_encode(&m, out);
    snprintf(said, said_bytes, "wrote with token %lld, the truth is token %lld",
             (long long)lie, (long long)truth);
    return out_bytes;
}

const struct murphy_model models_lease_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "lease_client",
    .summary = "read-modify-write under a lease: check the lease, then serialize and write",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct lease_client_volatile),
    .params = lease_client_params,
    .param_count = sizeof lease_client_params / sizeof lease_client_params[0],
    .on_start = lease_client_on_start,
    .on_message = lease_client_on_message,
    .on_timer = lease_client_on_timer,
    .on_work_done = lease_client_on_work_done,
    .byz_alter = lease_client_byz_alter,
};
