/* models/busy_server.c - a server that is also a failure-detector target, and whose
 * heartbeats wait behind its work: an echo server (each request answered with its payload
 * after `service_time` of CPU, models/echo.c) that every `interval` sends a heartbeat
 * (models/fd_wire.h, as fd_heartbeat does) to every node of `monitors`.
 *
 * Why one model: in a real server the heartbeat is sent by the same process, from the same
 * event loop or thread pool, as the work. Here the heartbeat is a timer, and the kernel
 * runs a timer only when the CPU is free, in inbox order: a timer that comes due while
 * requests wait in the inbox runs after the ones that arrived before it. So a server with
 * a backlog of one second sends its heartbeats about a second late: healthy, but slow -
 * to a failure detector it looks dead. (scenarios/cascading-failover.ini is about that.)
 *
 *   request --murphy_work(service_time)--> on_work_done: reply
 *   beat timer (waits its turn in the inbox) --> heartbeat to monitors, next beat timer
 *
 * Invariants: B1 at most one request is in service (the kernel delivers nothing while the
 * CPU is busy); B2 every request that finishes service gets exactly one reply, to its
 * sender; B3 heartbeat sequence numbers strictly increase over the node's whole life
 * (durable counter); B4 exactly one beat timer is pending while the node is up. A request
 * that is not REQUEST class or is larger than BUSY_PAYLOAD_BYTES_MAX is noted and dropped;
 * a crash forgets the request in service (the client never hears back). */
#include "fd_wire.h"
#include "models.h"

#include <string.h>

#define BUSY_PAYLOAD_BYTES_MAX 64u
#define TAG_BEAT 1u

struct busy_durable {
    uint64_t next_seq; /* B3 */
};

struct busy_volatile {
    bool is_serving;           /* B1 */
    struct murphy_msg request; /* payload points into `payload` below */
    unsigned char payload[BUSY_PAYLOAD_BYTES_MAX];
};

static const struct murphy_param_spec busy_params[] = {
    {"service_time", MURPHY_PARAM_DIST, "exponential 10ms", 0, 0, "CPU time per request"},
    {"monitors", MURPHY_PARAM_GROUP, NULL, 0, 0, "who is sent the heartbeats"},
    {"interval", MURPHY_PARAM_DURATION, "200ms", 1000000, INT64_C(3600000000000),
     "time between heartbeats once the previous one was sent (at least 1ms)"},
};

static void beat(struct murphy_node *node)
{
    struct busy_durable *d = murphy_durable(node);
    fd_wire_send_heartbeats(node, ++d->next_seq);
    murphy_timer_set(node, murphy_param_i64(node, "interval"), TAG_BEAT); /* B4 */
}

static void busy_on_start(struct murphy_node *node) { beat(node); }

static void busy_on_timer(struct murphy_node *node, uint64_t tag)
{
    if (tag != TAG_BEAT) {
        murphy_note(node, "busy_server: a timer with an unknown tag; ignored");
        return;
    }
    beat(node);
}

static void busy_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct busy_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) {
        murphy_note(node, "busy_server: not a request; ignored");
        return;
    }
    if (msg->payload_bytes > BUSY_PAYLOAD_BYTES_MAX) {
        murphy_note(node, "busy_server: request larger than 64 bytes; ignored");
        return;
    }
    if (v->is_serving) murphy_violation(node, "B1: a request arrived during service");
    v->is_serving = true;
    v->request = *msg;
    memcpy(v->payload, msg->payload, msg->payload_bytes);
    v->request.payload = v->payload;
    murphy_work(node, murphy_param_sample_ns(node, "service_time"), msg->msg_id);
}

static void busy_on_work_done(struct murphy_node *node, uint64_t work_id)
{
    struct busy_volatile *v = murphy_volatile(node);
    if (!v->is_serving || v->request.msg_id != work_id) {
        murphy_violation(node, "B2: work finished for a request not in service");
        return;
    }
    murphy_reply(node, &v->request, v->payload, v->request.payload_bytes);
    v->is_serving = false;
}

const struct murphy_model models_busy_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "busy_server",
    .summary = "echo server that heartbeats to monitors; heartbeats wait behind its work",
    .durable_bytes = sizeof(struct busy_durable),
    .volatile_bytes = sizeof(struct busy_volatile),
    .params = busy_params,
    .param_count = sizeof busy_params / sizeof busy_params[0],
    .on_start = busy_on_start,
    .on_message = busy_on_message,
    .on_timer = busy_on_timer,
    .on_work_done = busy_on_work_done,
};
