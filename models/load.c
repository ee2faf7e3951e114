/* models/load.c - background traffic: messages that exist only to load the network
 * (BACKGROUND class), sent to the nodes of `target` round robin. Receivers ignore them
 * (every model returns early on a class it does not serve); this model ignores whatever
 * it receives.
 *
 * Poisson (default): messages `interval` apart ("exponential 1ms" is a Poisson process).
 * Bursty (`on` set to a distribution): on/off. An "on" period lasts a draw of `on`,
 * during which messages go `interval` apart as above; then silence for a draw of `off`;
 * then the next burst. Each message carries `payload_bytes` of a fixed pattern whose first
 * 8 bytes are its number, so a record shows which message is which.
 *
 * Invariants: L1 messages are numbered 0, 1, ... in sending order for the node's life
 * (durable); L2 in bursty mode nothing is sent during an off period (a send timer that
 * falls past the end of its burst is not used); L3 only the latest timer chain is followed:
 * tags carry the phase's generation, and a restart starts a new one. */
#include "models.h"

#include <string.h>

#define LOAD_PAYLOAD_BYTES_MAX (64u * 1024u)
#define TAG_SEND UINT64_C(0)
#define TAG_PHASE UINT64_C(1) /* the end of an on or an off period */

struct load_durable {
    uint64_t sent; /* L1 */
};

struct load_volatile {
    uint64_t generation; /* L3 */
    bool is_on;          /* bursty: within an on period */
    int64_t on_until_mono_ns;
    unsigned char payload[LOAD_PAYLOAD_BYTES_MAX];
};

static const struct murphy_param_spec load_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "the nodes to load, round robin"},
    {"interval", MURPHY_PARAM_DIST, "exponential 1ms", 0, 0, "time between messages"},
    {"bursty", MURPHY_PARAM_BOOL, "false", 0, 0, "send in on/off bursts"},
    {"on", MURPHY_PARAM_DIST, "exponential 100ms", 0, 0, "bursty: length of a burst"},
    {"off", MURPHY_PARAM_DIST, "exponential 900ms", 0, 0, "bursty: silence between bursts"},
    {"payload_bytes", MURPHY_PARAM_INT, "512", 8, LOAD_PAYLOAD_BYTES_MAX, "message size"},
};

static uint64_t tag_of(const struct load_volatile *v, uint64_t what)
{
    return (v->generation << 1) | what;
}

static void send_one(struct murphy_node *node)
{
    struct load_durable *d = murphy_durable(node);
    struct load_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    size_t bytes = (size_t)murphy_param_i64(node, "payload_bytes");
    uint64_t number = d->sent++; /* L1 */
    for (int i = 0; i < 8; i++) v->payload[i] = (unsigned char)(number >> (8 * i));
    for (size_t i = 8; i < bytes; i++) v->payload[i] = (unsigned char)(i * 7u);
    uint32_t target = first + (uint32_t)(number % count);
    if (target == murphy_node_index(node) && count > 1)
        target = first + (uint32_t)((number + 1) % count);
    if (target == murphy_node_index(node)) return; /* only itself to load */
    murphy_send(node, target, MURPHY_CLASS_BACKGROUND, v->payload, bytes);
}

static void begin(struct murphy_node *node)
{
    struct load_volatile *v = murphy_volatile(node);
    v->generation++; /* L3 */
    if (murphy_param_bool(node, "bursty")) {
        int64_t on_ns = murphy_param_sample_ns(node, "on");
        v->is_on = true;
        v->on_until_mono_ns = murphy_mono_ns(node) + on_ns;
        murphy_timer_set(node, on_ns, tag_of(v, TAG_PHASE));
    }
    murphy_timer_set(node, murphy_param_sample_ns(node, "interval"), tag_of(v, TAG_SEND));
}

static void load_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct load_volatile *v = murphy_volatile(node);
    if (tag >> 1 != v->generation) return; /* L3: an earlier chain */
    bool is_bursty = murphy_param_bool(node, "bursty");
    if ((tag & 1) == TAG_PHASE) {
        if (v->is_on) { /* burst over: silence, then a new chain */
            v->is_on = false;
            v->generation++;
            murphy_timer_set(node, murphy_param_sample_ns(node, "off"), tag_of(v, TAG_PHASE));
        } else {
            begin(node);
        }
        return;
    }
    if (is_bursty && (!v->is_on || murphy_mono_ns(node) > v->on_until_mono_ns)) return; /* L2 */
    send_one(node);
    murphy_timer_set(node, murphy_param_sample_ns(node, "interval"), tag_of(v, TAG_SEND));
}

const struct murphy_model models_load = {
    .api_version = MURPHY_API_VERSION,
    .name = "load",
    .summary = "background traffic, Poisson or bursty on/off, to a group of nodes",
    .durable_bytes = sizeof(struct load_durable),
    .volatile_bytes = sizeof(struct load_volatile),
    .params = load_params,
    .param_count = sizeof load_params / sizeof load_params[0],
    .on_start = begin,
    .on_timer = load_on_timer,
};
