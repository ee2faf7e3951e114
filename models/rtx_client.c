/* models/rtx_client.c - a client that retransmits its requests on RFC 6298's
 * retransmission timeout, as TCP does, against echo_server.
 *
 * Stop and wait: one request outstanding at a time (one retransmission timer, as one TCP
 * connection has), `think_time` between the end of an operation and the next. Each
 * operation goes into the history as "echo"; it completes `ok` when a valid reply to any
 * of its transmissions arrives, so its latency includes every retransmission and every
 * back-off; `info` ("gave up") only after max_attempts transmissions all timed out. The
 * result of an ok operation says how many transmissions it took ("attempts=2").
 *
 * The timeout comes from models/rto.h: SRTT and RTTVAR from RTT samples (on the client's
 * monotonic clock), RTO = SRTT + max(G, 4 RTTVAR) within [rto_min, rto_max], doubled on
 * every expiry and kept doubled until a new sample. rto_min defaults to 200 ms, Linux's
 * TCP_RTO_MIN, not RFC 6298's 1 s (set rto_min=1s for the RFC's). Karn's algorithm: an
 * operation that was retransmitted yields no sample, since a reply cannot say which
 * transmission it answers.
 *
 * Request and reply (the echo server sends the request back): op number u64, attempt u32,
 * then a pattern of both up to payload_bytes; a reply must be exactly what that attempt
 * sent.
 *
 * Invariants: X1 at most one operation is open; its transmissions are numbered
 * 0..attempt < max_attempts, each with its own message id. X2 an RTT sample is taken only
 * from an operation answered while it had been sent exactly once (Karn). X3 the RTO lies
 * within [rto_min, rto_max] (rto.h clamps). X4 a reply completes the open operation only
 * if it answers one of its transmissions and carries exactly what that transmission sent;
 * any other reply is late (an earlier operation's) or rejected and noted. */
#include "models.h"

#include <stdio.h>
#include <string.h>

#include "murphy/wire.h"
#include "rto.h"

#define RTX_ATTEMPTS_MAX 32u
#define RTX_PAYLOAD_BYTES_MIN 12u /* op number and attempt */
#define RTX_PAYLOAD_BYTES_MAX 256u
#define TAG_THINK (UINT64_C(1) << 63)
#define NS_PER_DAY (INT64_C(86400) * INT64_C(1000000000))

struct rtx_volatile {
    struct rto_state rto;
    uint64_t issued;    /* operations started by this incarnation */
    bool is_open;       /* X1 */
    uint64_t number;    /* of the open operation (the timer tag) */
    uint64_t op_id;
    uint32_t attempt;   /* index of the latest transmission */
    int64_t first_sent_mono_ns;
    uint64_t msg_ids[RTX_ATTEMPTS_MAX];
    uint64_t timer;
};

static const struct murphy_param_spec rtx_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "echo servers, round robin by operation"},
    {"ops", MURPHY_PARAM_INT, "0", 0, INT64_C(1) << 40, "operations to issue; 0: no limit"},
    {"think_time", MURPHY_PARAM_DIST, "constant 10ms", 0, 0, "pause between operations"},
    {"rto_initial", MURPHY_PARAM_DURATION, "1s", 1, NS_PER_DAY, "RTO before any sample"},
    {"rto_min", MURPHY_PARAM_DURATION, "200ms", 1, NS_PER_DAY,
     "lower bound (Linux's 200ms; RFC 6298 says 1s)"},
    {"rto_max", MURPHY_PARAM_DURATION, "60s", 1, NS_PER_DAY, "upper bound of the back-off"},
    {"clock_granularity", MURPHY_PARAM_DURATION, "1ms", 0, NS_PER_DAY,
     "G: the RTO exceeds SRTT by at least this"},
    {"max_attempts", MURPHY_PARAM_INT, "16", 1, RTX_ATTEMPTS_MAX,
     "transmissions before the operation ends info"},
    {"payload_bytes", MURPHY_PARAM_INT, "32", RTX_PAYLOAD_BYTES_MIN, RTX_PAYLOAD_BYTES_MAX,
     "request size"},
};

static struct rto_params rto_params_of(const struct murphy_node *node)
{
    struct rto_params p = {
        .initial_ns = murphy_param_i64(node, "rto_initial"),
        .min_ns = murphy_param_i64(node, "rto_min"),
        .max_ns = murphy_param_i64(node, "rto_max"),
        .granularity_ns = murphy_param_i64(node, "clock_granularity"),
    };
    if (p.max_ns < p.min_ns) p.max_ns = p.min_ns; /* rto_min wins (noted at start) */
    return p;
}

static size_t make_payload(const struct murphy_node *node, uint64_t number, uint32_t attempt,
                           unsigned char *out)
{
    size_t bytes = (size_t)murphy_param_i64(node, "payload_bytes");
    murphy_wire_put_u64(out, number);
    murphy_wire_put_u32(out + 8, attempt);
    for (size_t i = RTX_PAYLOAD_BYTES_MIN; i < bytes; i++)
        out[i] = (unsigned char)(number * 131u + attempt * 17u + i);
    return bytes;
}

static void transmit(struct murphy_node *node)
{
    struct rtx_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    unsigned char payload[RTX_PAYLOAD_BYTES_MAX];
    size_t bytes = make_payload(node, v->number, v->attempt, payload);
    uint32_t server = first + (uint32_t)(v->number % count);
    v->msg_ids[v->attempt] = murphy_send(node, server, MURPHY_CLASS_REQUEST, payload, bytes);
    v->timer = murphy_timer_set(node, v->rto.rto_ns, v->number);
}

static void start_op(struct murphy_node *node)
{
    struct rtx_volatile *v = murphy_volatile(node);
    int64_t limit = murphy_param_i64(node, "ops");
    if (limit != 0 && v->issued >= (uint64_t)limit) return;
    if (v->is_open) {
        murphy_violation(node, "X1: a second operation while one is open");
        return;
    }
    v->number = v->issued++;
    char value[32];
    snprintf(value, sizeof value, "%llu", (unsigned long long)v->number);
    v->op_id = murphy_op_invoke(node, 0, "echo", NULL, value);
    v->is_open = true; /* X1 */
    v->attempt = 0;
    v->first_sent_mono_ns = murphy_mono_ns(node);
    transmit(node);
}

static void finish_op(struct murphy_node *node, enum murphy_op_type type, const char *result)
{
    struct rtx_volatile *v = murphy_volatile(node);
    murphy_op_complete(node, v->op_id, type, result);
    v->is_open = false;
    murphy_timer_set(node, murphy_param_sample_ns(node, "think_time"), TAG_THINK);
}

static void rtx_on_start(struct murphy_node *node)
{
    struct rtx_volatile *v = murphy_volatile(node);
    if (murphy_param_i64(node, "rto_max") < murphy_param_i64(node, "rto_min"))
        murphy_note(node, "rto_max below rto_min: the RTO is rto_min throughout");
    struct rto_params p = rto_params_of(node);
    rto_init(&v->rto, &p);
    start_op(node);
}

static void rtx_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct rtx_volatile *v = murphy_volatile(node);
    if (tag == TAG_THINK) {
        if (!v->is_open) start_op(node);
        return;
    }
    if (!v->is_open || tag != v->number) return; /* answered meanwhile */
    murphy_timeout(node, v->msg_ids[v->attempt]);
    struct rto_params p = rto_params_of(node);
    rto_backoff(&v->rto, &p); /* X3: RFC 6298 5.5 */
    if (v->attempt + 1 >= (uint32_t)murphy_param_i64(node, "max_attempts")) {
        finish_op(node, MURPHY_OP_INFO, "gave up");
        return;
    }
    v->attempt++; /* X1 */
    transmit(node);
}

static void rtx_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct rtx_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REPLY) return;
    if (!v->is_open) return; /* late: its operation is over */
    uint32_t answered = 0;
    while (answered <= v->attempt && v->msg_ids[answered] != msg->reply_to_msg_id) answered++;
    if (answered > v->attempt) return; /* late: an earlier operation's */
    unsigned char expected[RTX_PAYLOAD_BYTES_MAX];
    size_t bytes = make_payload(node, v->number, answered, expected);
    if (msg->payload_bytes != bytes || memcmp(msg->payload, expected, bytes) != 0) {
        murphy_note(node, "rejected a corrupted reply"); /* X4 */
        return;
    }
    murphy_timer_cancel(node, v->timer);
    if (v->attempt == 0) { /* X2: Karn */
        struct rto_params p = rto_params_of(node);
        rto_sample(&v->rto, &p, murphy_mono_ns(node) - v->first_sent_mono_ns);
    }
    char result[32];
    snprintf(result, sizeof result, "attempts=%u", v->attempt + 1);
    finish_op(node, MURPHY_OP_OK, result);
}

const struct murphy_model models_rtx_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "rtx_client",
    .summary = "stop-and-wait client retransmitting on RFC 6298's RTO (Karn, back-off)",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct rtx_volatile),
    .params = rtx_params,
    .param_count = sizeof rtx_params / sizeof rtx_params[0],
    .on_start = rtx_on_start,
    .on_message = rtx_on_message,
    .on_timer = rtx_on_timer,
};
