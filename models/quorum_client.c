/* models/quorum_client.c - a client of the quorum-replicated register (quorum_replica),
 * running ABD's two phases itself over the n replicas of `replicas`, one operation at a
 * time (closed loop), `think_time` apart; each one is a read with chance `read_share`,
 * else a write of a new value.
 *
 *   idle --(think timer)--> query: QUERY to every replica; the answers' max (tag, value)
 *   query --(r distinct answers)--> store, a write: STORE (max counter + 1, me) with the
 *                                          new value to every replica
 *                                   store, a read with read_repair: STORE the max pair back
 *                                   a read without: ok with the max value --> idle
 *   store --(w distinct acks of the pair)--> ok --> idle
 *   query | store --(timeout)--> a write: info (it may have been stored somewhere, and a
 *                                later query may find it), a read: fail --> idle
 * (start_op, on_query_reply, on_store_ack, client_on_timer.)
 *
 * Why it is linearizable with w + r > n and read repair: every r replicas share one with
 * every w replicas, so a query sees the tag of every write (or repaired read) that
 * completed before it began; a write then picks a larger tag, and a read returns only once
 * w replicas hold what it returns, so a later read cannot see anything older.
 * Without read repair, reads of a concurrent write can see new then old: a write has
 * reached one replica X; read A queries {X, Y} and returns the new value; read B, invoked
 * after A returned, queries {Y, Z} and returns the old one. With w + r <= n (w=1 r=1 n=3)
 * a read's replicas can miss every replica that acknowledged a completed write: a stale
 * read. Both are only parameters here; `murphy check --model register` finds them.
 *
 * Every operation goes into the history: f "write", key "r", value "NODE.SEQ" (unique in
 * the run), `ok` on w acks, `info` on timeout; f "read" `ok` with the value read ("nil"
 * before any write), `fail` on timeout (a read changes nothing; its repair stores only a
 * pair some replica already held).
 *
 * Invariants:
 *   C1 the counters this client writes with strictly increase over its life, crashes
 *      included (durable): one tag never names two values. (A write that timed out may
 *      sit on a replica the next query misses; reusing its counter would make it so.)
 *   C2 a value id is never reused, across crashes too (durable sequence);
 *   C3 at most one operation is open, and it completes once: by its r-th answer (a read
 *      without repair), its w-th ack, or its timeout;
 *   C4 an answer counts once per replica and phase, and only if it comes from a replica of
 *      `replicas` with the open operation's nonce (durable, so never one of an earlier
 *      incarnation), the kind of the phase and, for an ack, exactly the pair stored; a
 *      late answer to an earlier operation is ignored; anything malformed is noted. */
#include "models.h"

#include <stdio.h>

#include "quorum_wire.h"

#define QUORUM_REPLICAS_MAX 64u
#define TAG_THINK (UINT64_C(1) << 63)

enum quorum_phase { PHASE_IDLE, PHASE_QUERY, PHASE_STORE };

struct quorum_client_durable {
    uint64_t counter_used; /* C1: the largest counter this client has written with */
    uint32_t write_seq;    /* C2 */
    uint64_t op_nonce;     /* C4: operations started over the client's life */
};

struct quorum_client_volatile {
    enum quorum_phase phase;
    bool is_read;
    uint64_t op_id;    /* the history's operation */
    uint64_t nonce;    /* in every message of the operation */
    uint64_t timer;
    uint64_t answered; /* C4: replicas (offset in the group) counted in this phase */
    uint32_t answer_count;
    uint64_t write_value_id; /* a write's new value */
    struct quorum_tag tag;   /* query: the max pair answered; store: the pair stored */
    uint64_t value_id;
    uint64_t msg_ids[QUORUM_REPLICAS_MAX]; /* this phase's message to each replica */
    uint64_t ops_started;  /* by this incarnation, for `ops` */
};

static const struct murphy_param_spec quorum_client_params[] = {
    {"replicas", MURPHY_PARAM_GROUP, NULL, 0, 0, "the register's n replicas (at most 64)"},
    {"w", MURPHY_PARAM_INT, "2", 1, QUORUM_REPLICAS_MAX,
     "acks a store waits for (a write's, or a read's repair)"},
    {"r", MURPHY_PARAM_INT, "2", 1, QUORUM_REPLICAS_MAX, "answers a query waits for"},
    {"read_repair", MURPHY_PARAM_BOOL, "true", 0, 0,
     "a read stores what it read on w replicas before it returns (false: new-then-old reads)"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per operation (both phases), on the monotonic clock; then a write is info, a read fail"},
    {"think_time", MURPHY_PARAM_DIST, "exponential 20ms", 0, 0,
     "between an operation's end and the next one's start (and before the first)"},
    {"read_share", MURPHY_PARAM_RATIO, "50%", 0, 1000000000,
     "chance that an operation is a read"},
    {"ops", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40,
     "operations each incarnation issues; 0: no limit"},
};

static uint32_t replicas_of(const struct murphy_node *node, uint32_t *first)
{
    uint32_t count;
    murphy_param_group(node, "replicas", first, &count);
    return count;
}

static bool config_ok(struct murphy_node *node)
{
    uint32_t first, n = replicas_of(node, &first);
    int64_t w = murphy_param_i64(node, "w"), r = murphy_param_i64(node, "r");
    if (n > QUORUM_REPLICAS_MAX || w > (int64_t)n || r > (int64_t)n) {
        murphy_violation(node, "quorum_client: replicas must have at most 64 nodes, and w"
                         " and r at most that many");
        return false;
    }
    return true;
}

static void value_text(uint64_t value_id, char *out, size_t out_bytes)
{
    if (value_id == 0) snprintf(out, out_bytes, "nil");
    else snprintf(out, out_bytes, "%u.%u", (unsigned)(value_id >> 32), (unsigned)value_id);
}

static void think(struct murphy_node *node)
{
    const struct quorum_client_volatile *v = murphy_volatile(node);
    int64_t limit = murphy_param_i64(node, "ops");
    if (limit != 0 && v->ops_started >= (uint64_t)limit) return;
    murphy_timer_set(node, murphy_param_sample_ns(node, "think_time"), TAG_THINK);
}

/* Sends this phase's message (QUERY, or STORE of v->tag, v->value_id) to every replica. */
static void send_phase(struct murphy_node *node, enum quorum_wire_kind kind)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    v->answered = 0;
    v->answer_count = 0;
    struct quorum_wire w = {.kind = kind, .op = v->nonce};
    if (kind == QUORUM_STORE) {
        w.tag = v->tag;
        w.value_id = v->value_id;
    }
    unsigned char p[QUORUM_WIRE_BYTES];
    quorum_wire_encode(&w, p);
    uint32_t first, n = replicas_of(node, &first);
    for (uint32_t i = 0; i < n; i++)
        v->msg_ids[i] = murphy_send(node, first + i, MURPHY_CLASS_REQUEST, p, sizeof p);
}

static void finish(struct murphy_node *node, enum murphy_op_type type, const char *result)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    murphy_timer_cancel(node, v->timer);
    v->phase = PHASE_IDLE; /* C3 */
    murphy_op_complete(node, v->op_id, type, result);
    think(node);
}

static void start_op(struct murphy_node *node)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    struct quorum_client_durable *d = murphy_durable(node);
    v->ops_started++;
    v->is_read = murphy_rand_chance(node, murphy_param_i64(node, "read_share"));
    v->nonce = ++d->op_nonce; /* C4 */
    v->tag = (struct quorum_tag){0, 0};
    v->value_id = 0;
    v->write_value_id = 0;
    char value[32] = "";
    if (!v->is_read) {
        v->write_value_id = quorum_value_id(murphy_node_index(node), ++d->write_seq); /* C2 */
        value_text(v->write_value_id, value, sizeof value);
    }
    v->op_id = murphy_op_invoke(node, 0, v->is_read ? "read" : "write", "r",
                                v->is_read ? NULL : value);
    v->phase = PHASE_QUERY;
    v->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"), v->nonce);
    send_phase(node, QUORUM_QUERY);
}

/* The query phase is over: the max pair answered is in v->tag, v->value_id. */
static void after_query(struct murphy_node *node)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    struct quorum_client_durable *d = murphy_durable(node);
    if (v->is_read) {
        bool is_repaired = murphy_param_bool(node, "read_repair");
        if (!is_repaired || v->tag.counter == 0) { /* nil needs no repair: it is everywhere */
            char result[32];
            value_text(v->value_id, result, sizeof result);
            finish(node, MURPHY_OP_OK, result);
            return;
        }
    } else {
        uint64_t counter = v->tag.counter > d->counter_used ? v->tag.counter
                                                            : d->counter_used;
        d->counter_used = counter + 1; /* C1 */
        v->tag = (struct quorum_tag){.counter = counter + 1,
                                     .writer = murphy_node_index(node)};
        v->value_id = v->write_value_id;
    }
    v->phase = PHASE_STORE;
    send_phase(node, QUORUM_STORE);
}

/* Counts an answer of replica `offset` in this phase once (C4); true if it is new. */
static bool count_answer(struct quorum_client_volatile *v, uint32_t offset)
{
    uint64_t bit = UINT64_C(1) << offset;
    if (v->answered & bit) return false; /* a duplicate */
    v->answered |= bit;
    v->answer_count++;
    return true;
}

static void on_query_reply(struct murphy_node *node, uint32_t offset,
                           const struct quorum_wire *w)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    if (v->phase != PHASE_QUERY) return; /* an answer past the r-th: not needed */
    if (!count_answer(v, offset)) return;
    if (quorum_tag_less(v->tag, w->tag)) {
        v->tag = w->tag;
        v->value_id = w->value_id;
    }
    if (v->answer_count == (uint32_t)murphy_param_i64(node, "r")) after_query(node);
}

static void on_store_ack(struct murphy_node *node, uint32_t offset, const struct quorum_wire *w)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    if (v->phase != PHASE_STORE || !quorum_tag_equal(w->tag, v->tag) ||
        w->value_id != v->value_id) {
        murphy_note(node, "rejected a store ack that does not match the pair stored"); /* C4 */
        return;
    }
    if (!count_answer(v, offset)) return;
    if (v->answer_count < (uint32_t)murphy_param_i64(node, "w")) return;
    char result[32] = "";
    if (v->is_read) value_text(v->value_id, result, sizeof result);
    finish(node, MURPHY_OP_OK, v->is_read ? result : NULL);
}

static void client_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    struct quorum_wire w;
    if (msg->traffic_class != MURPHY_CLASS_REPLY ||
        !quorum_wire_decode(msg->payload, msg->payload_bytes, &w)) {
        murphy_note(node, "rejected a malformed register reply (class, length, magic,"
                    " checksum, tag)"); /* C4 */
        return;
    }
    uint32_t first, n = replicas_of(node, &first);
    if (msg->source_node < first || msg->source_node - first >= n) {
        murphy_note(node, "rejected a register reply from outside 'replicas'"); /* C4 */
        return;
    }
    if (v->phase == PHASE_IDLE || w.op != v->nonce) return; /* late: its op is over */
    uint32_t offset = msg->source_node - first;
    if (w.kind == QUORUM_QUERY_REPLY) on_query_reply(node, offset, &w);
    else if (w.kind == QUORUM_STORE_ACK) on_store_ack(node, offset, &w);
    else murphy_note(node, "rejected a register message that is no answer"); /* C4 */
}

static void client_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct quorum_client_volatile *v = murphy_volatile(node);
    if (tag == TAG_THINK) {
        start_op(node);
        return;
    }
    if (v->phase == PHASE_IDLE || tag != v->nonce) return; /* its op completed */
    uint32_t first, n = replicas_of(node, &first);
    for (uint32_t i = 0; i < n; i++)
        if (!(v->answered & (UINT64_C(1) << i))) murphy_timeout(node, v->msg_ids[i]);
    v->phase = PHASE_IDLE; /* C3 */
    murphy_op_complete(node, v->op_id, v->is_read ? MURPHY_OP_FAIL : MURPHY_OP_INFO,
                       "timeout");
    think(node);
}

static void client_on_start(struct murphy_node *node)
{
    if (config_ok(node)) think(node);
}

const struct murphy_model models_quorum_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "quorum_client",
    .summary = "reads and writes the ABD quorum register (n, w, r, read repair); records ops",
    .durable_bytes = sizeof(struct quorum_client_durable),
    .volatile_bytes = sizeof(struct quorum_client_volatile),
    .params = quorum_client_params,
    .param_count = sizeof quorum_client_params / sizeof quorum_client_params[0],
    .on_start = client_on_start,
    .on_message = client_on_message,
    .on_timer = client_on_timer,
};
