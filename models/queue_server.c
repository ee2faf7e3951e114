/* models/queue_server.c - a queueing server: `workers` identical servers in front of one
 * FIFO queue of its own, so that the model (not the kernel's inbox) holds the waiting
 * requests and can measure them.
 *
 * A request is answered with its own payload (echo semantics, what models/client.c
 * checks) once it has waited its turn and spent a service time drawn from
 * `service_time`. When every worker is busy it joins the queue; when the queue is full
 * (`queue_max`, or QS_QUEUE_HARD_MAX with queue_max = 0, "unbounded") it is rejected at
 * once with a "busy" reply (QS_BUSY_*: the first 12 bytes of the request, then "BUSY"),
 * which the client counts as a failed operation: backpressure, visible in the history.
 *
 * Workers are timers, not CPU: a node has one CPU (murphy_work serialises), so `workers`
 * parallel servers are modelled as service completions on timers, one per busy worker,
 * set for the sampled service time on the node's monotonic clock. The node's CPU stays
 * free, so arrivals are taken in at once and queue in the model; a stop-the-world pause
 * (gc_every) still stops everything, since timers and deliveries wait it out in the inbox.
 *
 * Measured server-side on the monotonic clock, and told to the oracles and accumulators
 * (analysis/acc_queue.c) as claims:
 *   "queue.sojourn"  a = arrival-to-reply time in ns, b = the queue's length just after
 *                    it arrived: itself included if it had to wait, 0 if a worker
 *                    took it at once (so b <= the limit, Q2)
 *   "queue.reject"   a = queue length when it was rejected (the limit), b = busy workers
 *
 * Invariants: Q1 busy workers <= workers, and a request waits only while all are busy;
 * Q2 the queue holds at most its limit (queue_max, or QS_QUEUE_HARD_MAX); Q3 requests are
 * served in arrival order (FIFO), each answered exactly once, by its echo or a busy reply;
 * Q4 a request that is not REQUEST class or larger than QS_PAYLOAD_BYTES_MAX is noted and
 * dropped unanswered. A crash forgets queue and workers (volatile): those requests time
 * out at their clients. */
#include "models.h"

#include <string.h>

#define QS_PAYLOAD_BYTES_MAX 256u
#define QS_WORKERS_MAX 64u
#define QS_QUEUE_HARD_MAX 4096u /* the limit of an "unbounded" queue (queue_max = 0) */
#define QS_BUSY_HEADER_BYTES 12u /* what of the request a busy reply repeats */
#define QS_BUSY_BYTES 16u

/* One request held by the server: copied, since the message lives only in on_message. */
struct qs_request {
    uint64_t msg_id;
    uint32_t source_node;
    int64_t arrival_mono_ns;
    int64_t queue_length_at_arrival; /* itself included; 0 if served at once */
    uint32_t payload_bytes;
    unsigned char payload[QS_PAYLOAD_BYTES_MAX];
};

struct qs_worker {
    bool is_busy;
    uint64_t generation;      /* bumped per service, carried in the timer tag */
    struct qs_request request;
};

struct qs_volatile {
    struct qs_worker workers[QS_WORKERS_MAX];
    uint32_t busy_count;
    struct qs_request queue[QS_QUEUE_HARD_MAX]; /* a ring: head, length */
    uint32_t queue_head;
    uint32_t queue_length;
};

static const struct murphy_param_spec qs_params[] = {
    {"service_time", MURPHY_PARAM_DIST, "exponential 1ms", 0, 0,
     "time one worker spends on a request"},
    {"workers", MURPHY_PARAM_INT, "1", 1, QS_WORKERS_MAX, "requests served at once"},
    {"queue_max", MURPHY_PARAM_INT, "0", 0, QS_QUEUE_HARD_MAX,
     "requests that may wait; beyond, \"busy\"; 0: up to 4096"},
};

static uint32_t queue_limit(const struct murphy_node *node)
{
    int64_t limit = murphy_param_i64(node, "queue_max");
    return limit == 0 ? QS_QUEUE_HARD_MAX : (uint32_t)limit;
}

/* Worker w takes request r: its completion is a timer tagged (generation, w). */
static void start_service(struct murphy_node *node, uint32_t w, const struct qs_request *r)
{
    struct qs_volatile *v = murphy_volatile(node);
    struct qs_worker *worker = &v->workers[w];
    if (worker->is_busy) murphy_violation(node, "Q1: a busy worker was given a request");
    worker->is_busy = true;
    worker->generation++;
    worker->request = *r;
    v->busy_count++;
    uint64_t tag = (worker->generation << 8) | w;
    murphy_timer_set(node, murphy_param_sample_ns(node, "service_time"), tag);
}

static void reply_to(struct murphy_node *node, const struct qs_request *r, const void *payload,
                     size_t payload_bytes)
{
    struct murphy_msg request = {.msg_id = r->msg_id, .source_node = r->source_node,
                                 .target_node = murphy_node_index(node),
                                 .traffic_class = MURPHY_CLASS_REQUEST};
    murphy_reply(node, &request, payload, payload_bytes);
}

static void reject(struct murphy_node *node, const struct murphy_msg *msg)
{
    const struct qs_volatile *v = murphy_volatile(node);
    unsigned char busy[QS_BUSY_BYTES] = {0};
    size_t header_bytes = msg->payload_bytes < QS_BUSY_HEADER_BYTES ? msg->payload_bytes
                                                                     : QS_BUSY_HEADER_BYTES;
    memcpy(busy, msg->payload, header_bytes);
    memcpy(busy + QS_BUSY_HEADER_BYTES, "BUSY", 4);
    murphy_reply(node, msg, busy, sizeof busy);
    murphy_claim(node, "queue.reject", v->queue_length, v->busy_count);
}

static void qs_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct qs_volatile *v = murphy_volatile(node);
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) return; /* background load and the like */
    if (msg->payload_bytes > QS_PAYLOAD_BYTES_MAX) {
        murphy_note(node, "request larger than the queue server takes; ignored"); /* Q4 */
        return;
    }
    struct qs_request r = {.msg_id = msg->msg_id, .source_node = msg->source_node,
                           .arrival_mono_ns = murphy_mono_ns(node),
                           .payload_bytes = (uint32_t)msg->payload_bytes};
    memcpy(r.payload, msg->payload, msg->payload_bytes);
    int64_t workers = murphy_param_i64(node, "workers");
    if (v->busy_count < (uint32_t)workers) { /* Q1: nobody waits while a worker is free */
        if (v->queue_length != 0) murphy_violation(node, "Q1: a queue beside a free worker");
        uint32_t w = 0;
        while (v->workers[w].is_busy) w++;
        start_service(node, w, &r);
        return;
    }
    if (v->queue_length >= queue_limit(node)) { /* Q2 */
        reject(node, msg);
        return;
    }
    v->queue_length++;
    r.queue_length_at_arrival = v->queue_length;
    v->queue[(v->queue_head + v->queue_length - 1) % QS_QUEUE_HARD_MAX] = r;
}

static void qs_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct qs_volatile *v = murphy_volatile(node);
    uint32_t w = (uint32_t)(tag & 0xffu);
    if (w >= QS_WORKERS_MAX) return;
    struct qs_worker *worker = &v->workers[w];
    if (!worker->is_busy || worker->generation != tag >> 8) return; /* an earlier life's */
    const struct qs_request *r = &worker->request;
    reply_to(node, r, r->payload, r->payload_bytes); /* Q3: exactly once */
    murphy_claim(node, "queue.sojourn", murphy_mono_ns(node) - r->arrival_mono_ns,
                 r->queue_length_at_arrival);
    worker->is_busy = false;
    v->busy_count--;
    if (v->queue_length == 0) return;
    struct qs_request next = v->queue[v->queue_head]; /* Q3: FIFO */
    v->queue_head = (v->queue_head + 1) % QS_QUEUE_HARD_MAX;
    v->queue_length--;
    start_service(node, w, &next);
}

const struct murphy_model models_queue_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "queue_server",
    .summary = "workers behind a bounded FIFO queue; measures sojourn, rejects when full",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct qs_volatile),
    .params = qs_params,
    .param_count = sizeof qs_params / sizeof qs_params[0],
    .on_message = qs_on_message,
    .on_timer = qs_on_timer,
};
