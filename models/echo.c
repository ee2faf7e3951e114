/* models/echo.c - an echo server: answers each request with its payload after spending
 * service_time of CPU on it. Requests that arrive while the CPU is busy wait in the
 * node's inbox (the kernel's), which is where queueing delay comes from.
 *
 * GC-aware routing (announce_pauses, off by default): when the runtime gives notice of a
 * stop-the-world pause (gc_notice), the server tells every node of `clients` "draining"
 * (CONTROL class, models/drain.h) so that they send elsewhere, and sets a timer for the
 * notice plus the pause; the timer can only run once the pause is over, and then it tells
 * them "back". A notice that arrives while the CPU is busy is not heard (the kernel's
 * rule), so that pause goes unannounced.
 *
 *   notice --on_pause_notice: "draining"--> [pause] --timer at resume: "back"--> serving
 *
 * Invariants: E1 at most one request is in service; E2 every request that finishes
 * service gets exactly one reply, to its sender. E3 pause epochs strictly increase for
 * the server's whole life (durable), and "back" is sent only for the latest one. A crash
 * forgets the request in service (volatile state), so it is never answered: the client
 * sees a timeout; it also forgets the "back" timer, so clients fall back on the length
 * the "draining" announced. */
#include "models.h"

#include <string.h>

#include "drain.h"

#define ECHO_PAYLOAD_BYTES_MAX 256u

struct echo_durable {
    uint64_t pause_epoch; /* E3: pauses announced so far */
};

struct echo_volatile {
    bool is_serving;           /* E1 */
    struct murphy_msg request; /* payload points into `payload` below */
    unsigned char payload[ECHO_PAYLOAD_BYTES_MAX];
};

static const struct murphy_param_spec echo_params[] = {
    {"service_time", MURPHY_PARAM_DIST, "constant 0ns", 0, 0,
     "CPU time per request, e.g. 'exponential 2ms'"},
    {"announce_pauses", MURPHY_PARAM_BOOL, "false", 0, 0,
     "on a GC notice, tell `clients` to send elsewhere until the pause is over"},
    {"clients", MURPHY_PARAM_GROUP, "*", 0, 0,
     "who hears the announcements (default every node; the server skips itself)"},
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

/* Tells every node of `clients` but this one. */
static void announce(struct murphy_node *node, const struct drain_msg *m)
{
    unsigned char payload[DRAIN_MSG_BYTES];
    drain_encode(m, payload);
    uint32_t first, count;
    murphy_param_group(node, "clients", &first, &count);
    uint32_t self = murphy_node_index(node);
    for (uint32_t i = first; i < first + count; i++)
        if (i != self) murphy_send(node, i, MURPHY_CLASS_CONTROL, payload, sizeof payload);
}

static void echo_on_pause_notice(struct murphy_node *node, int64_t pause_in_ns, int64_t pause_ns)
{
    if (!murphy_param_bool(node, "announce_pauses")) return;
    struct echo_durable *d = murphy_durable(node);
    /* the kernel bounds both (notice <= 1 h, a sampled pause <= 1 day): no overflow */
    int64_t away_ns = pause_in_ns + pause_ns;
    if (pause_in_ns < 0 || pause_ns < 0 || away_ns > DRAIN_AWAY_NS_MAX) {
        murphy_note(node, "pause notice out of range; not announced");
        return;
    }
    struct drain_msg m = {DRAIN_KIND_DRAINING, ++d->pause_epoch, away_ns}; /* E3 */
    announce(node, &m);
    /* local time, so it may run a little before or after the true end: before, it waits
     * in the paused node's inbox and runs at resume; after, "back" is a little late */
    murphy_timer_set(node, away_ns, m.epoch);
}

static void echo_on_timer(struct murphy_node *node, uint64_t epoch)
{
    const struct echo_durable *d = murphy_durable(node);
    if (epoch != d->pause_epoch) return; /* E3: a newer pause was announced since */
    struct drain_msg m = {DRAIN_KIND_BACK, epoch, 0};
    announce(node, &m);
}

const struct murphy_model models_echo_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "echo_server",
    .summary = "answers each request with its payload after a sampled service time",
    .durable_bytes = sizeof(struct echo_durable),
    .volatile_bytes = sizeof(struct echo_volatile),
    .params = echo_params,
    .param_count = sizeof echo_params / sizeof echo_params[0],
    .on_message = echo_on_message,
    .on_timer = echo_on_timer,
    .on_work_done = echo_on_work_done,
    .on_pause_notice = echo_on_pause_notice,
};
