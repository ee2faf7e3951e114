/* models/fd_heartbeat.c - the monitored side of a failure detector: every `interval` on
 * its own monotonic clock it sends a heartbeat (class HEARTBEAT, models/fd_wire.h) to
 * every node of the `monitors` group but itself, carrying a sequence number and its own
 * monotonic reading at the send.
 *
 *   on_start / on_restart --> beat --(timer after interval)--> beat --> ...
 *
 * A pause (GC) stops the timer with the node, so the monitors see the gap; a crash stops
 * the beats until the restart. That is what a detector has to tell apart from a slow link.
 *
 * Invariants: H1 sequence numbers strictly increase over the node's whole life (the counter
 * is durable, so a restart never reuses one); H2 exactly one beat timer is pending while the
 * node is up (set once at start, and again only when it fires). The model ignores every
 * message it receives (it is not asked anything), noting it. */
#include "fd_wire.h"
#include "models.h"

#define TAG_BEAT 1u

struct hb_durable {
    uint64_t next_seq; /* H1 */
};

struct hb_volatile {
    uint64_t beats_sent; /* since the last start */
};

static const struct murphy_param_spec hb_params[] = {
    {"monitors", MURPHY_PARAM_GROUP, NULL, 0, 0, "who is sent the heartbeats"},
    {"interval", MURPHY_PARAM_DURATION, "1s", 1000000, INT64_C(3600000000000),
     "time between heartbeats, on the sender's monotonic clock (at least 1ms)"},
};

static void beat(struct murphy_node *node)
{
    struct hb_durable *d = murphy_durable(node);
    struct hb_volatile *v = murphy_volatile(node);
    fd_wire_send_heartbeats(node, ++d->next_seq);
    v->beats_sent++;
    murphy_timer_set(node, murphy_param_i64(node, "interval"), TAG_BEAT); /* H2 */
}

static void hb_on_start(struct murphy_node *node) { beat(node); }

static void hb_on_timer(struct murphy_node *node, uint64_t tag)
{
    if (tag != TAG_BEAT) {
        murphy_note(node, "a timer with an unknown tag; ignored");
        return;
    }
    beat(node);
}

static void hb_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    (void)msg;
    murphy_note(node, "fd_heartbeat expects no messages; ignored");
}

const struct murphy_model models_fd_heartbeat = {
    .api_version = MURPHY_API_VERSION,
    .name = "fd_heartbeat",
    .summary = "sends a heartbeat to every monitor every interval (failure-detector target)",
    .durable_bytes = sizeof(struct hb_durable),
    .volatile_bytes = sizeof(struct hb_volatile),
    .params = hb_params,
    .param_count = sizeof hb_params / sizeof hb_params[0],
    .on_start = hb_on_start,
    .on_message = hb_on_message,
    .on_timer = hb_on_timer,
};
