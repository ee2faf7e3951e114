/* models/echo.c - an echo server: answers each request with its payload after spending
 * service_time of CPU on it. Requests that arrive while the CPU is busy wait in the
 * node's inbox (the kernel's), which is where queueing delay comes from.
 *
 * Invariants: E1 at most one request is in service; E2 every request that finishes
 * service gets exactly one reply, to its sender. A crash forgets the request in service
 * (volatile state), so it is never answered: the client sees a timeout. */
#include "models.h"

#include <string.h>

#define ECHO_PAYLOAD_BYTES_MAX 256u

struct echo_volatile {
    bool is_serving;           /* E1 */
    struct murphy_msg request; /* payload points into `payload` below */
    unsigned char payload[ECHO_PAYLOAD_BYTES_MAX];
};

static const struct murphy_param_spec echo_params[] = {
    {"service_time", MURPHY_PARAM_DIST, "constant 0ns", 0, 0,
     "CPU time per request, e.g. 'exponential 2ms'"},
};

static void echo_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct echo_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) return;
    if (msg->payload_bytes > ECHO_PAYLOAD_BYTES_MAX) {
        murphy_note(node, "request larger than the echo server takes; ignored");
        return;
    }
    /* The kernel runs no delivery while the CPU is busy, so nothing is in service now. */
    if (v->is_serving) murphy_violation(node, "E1: a request arrived during service");
    v->is_serving = true;
    v->request = *msg;
    memcpy(v->payload, msg->payload, msg->payload_bytes);
    v->request.payload = v->payload;
    murphy_work(node, murphy_param_sample_ns(node, "service_time"), msg->msg_id);
}

static void echo_on_work_done(struct murphy_node *node, uint64_t work_id)
{
    struct echo_volatile *v = murphy_volatile(node);
    if (!v->is_serving || v->request.msg_id != work_id) {
        murphy_violation(node, "E2: work finished for a request not in service");
        return;
    }
    murphy_reply(node, &v->request, v->payload, v->request.payload_bytes);
    v->is_serving = false;
}

const struct murphy_model models_echo_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "echo_server",
    .summary = "answers each request with its payload after a sampled service time",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct echo_volatile),
    .params = echo_params,
    .param_count = sizeof echo_params / sizeof echo_params[0],
    .on_message = echo_on_message,
    .on_work_done = echo_on_work_done,
};
