/* models/om_general.c - Lamport, Shostak and Pease's oral messages OM(m): a commander
 * sends its order to the lieutenants, who relay what they heard for m rounds and decide
 * by recursive majority. With n >= 3m + 1 generals of whom at most m are traitors, the
 * loyal lieutenants agree, and follow a loyal commander's order.
 *
 * Every node of the `generals` group runs this model; the one at index `commander` of
 * the group commands. OM assumes synchrony, which the scenario must give: no loss, and
 * every delay below `round`. Rounds are driven by a timer of `round` on each node's
 * monotonic clock, started at on_start (all nodes start at 0):
 *   fire 1          round 1: the commander sends (order) to every lieutenant (path [C])
 *   fire k+1, k<=m  round k+1: a lieutenant relays every path p of length k that does not
 *                   hold it, as p+[me], to every lieutenant not in p+[me]; a path it heard
 *                   nothing for is relayed with the default (retreat)
 *   fire m+2        a lieutenant decides val([C]) and claims it
 * val(p) = the value heard for p if |p| = m+1, else the majority of the value heard for p
 * and val(p+[j]) for every lieutenant j not in p+[me]; a tie or nothing heard is retreat.
 *
 * Told to the oracle (checks/om.c):
 *   om.order (value, 0)       the commander's order, at round 1
 *   om.decide (value, 0)      a lieutenant's decision
 *   om.reject (reason, source) a message refused (enum om_reject below), never trusted
 *
 * Messages (16 bytes, little-endian): [0] magic 0xB7, [1] value (0 retreat, 1 attack),
 * [2] path length, [3..6) the path (indexes within the group, unused bytes 0), [6..8)
 * zero, [8..16) FNV-1a 64 of the 8 bytes before (murphy/wire.h). Checked from the bytes,
 * in this order: size, checksum, schema (magic, value, length, path: from the commander,
 * distinct generals, not holding the receiver), sender (the path's last general is who
 * sent it), round (a path of length k only in round k), not heard before.
 *
 * Invariants:
 *   O1 a lieutenant stores at most one value per path (the first valid one): it decides
 *      from, and relays, the same values, which is what agreement rests on.
 *   O2 every lieutenant sends exactly (n-2)(n-3)...(n-1-k) relays in round k+1, lies or
 *      not: the message count depends on n and m only (plus what liars add or drop).
 *   O3 a decision is claimed once, at fire m+2.
 * Byzantine hook (byz_alter): a traitor commander equivocates (each lieutenant's order is
 * drawn, so different lieutenants hear different orders); a traitor lieutenant relays the
 * opposite of what it heard. Both re-encode with a valid
 * checksum: a checksum does not stop a liar. */
#include "models.h"

#include <stdio.h>

#include "murphy/wire.h"

#define OM_GENERALS_MAX 8u
#define OM_M_MAX 2u
#define OM_DEPTH_MAX (OM_M_MAX + 1u)
#define OM_ENTRIES_MAX 64u /* 1 + 7 + 7*6 = 50 paths for n = 8, m = 2 */
#define OM_MSG_BYTES 16u
#define OM_MAGIC 0xB7u
#define TAG_ROUND 1u
#define RETREAT 0u
#define ATTACK 1u

_Static_assert(1 + (OM_GENERALS_MAX - 1) + (OM_GENERALS_MAX - 1) * (OM_GENERALS_MAX - 2) <=
                   OM_ENTRIES_MAX, "every path of OM(2) with 8 generals fits");

enum om_reject {
    OM_REJECT_SIZE = 1,
    OM_REJECT_CHECKSUM = 2,
    OM_REJECT_SCHEMA = 3,
    OM_REJECT_SENDER = 4,
    OM_REJECT_ROUND = 5,
    OM_REJECT_DUPLICATE = 6,
    OM_REJECT_UNEXPECTED = 7, /* to the commander, or from outside the generals */
};

struct om_path {
    uint8_t len;
    uint8_t node[OM_DEPTH_MAX];
};

struct om_entry {
    struct om_path path;
    uint8_t value;
};

struct om_state {
    uint32_t first_node, general_count; /* the group */
    uint32_t me, commander, m;          /* indexes within the group */
    int64_t round_ns;
    uint32_t fires;                     /* round timers fired so far */
    uint32_t entry_count;
    struct om_entry entries[OM_ENTRIES_MAX];
    bool is_general;
};

static const struct murphy_param_spec om_params[] = {
    {"generals", MURPHY_PARAM_GROUP, NULL, 0, 0, "the group of every general (n = its size)"},
    {"commander", MURPHY_PARAM_INT, "0", 0, OM_GENERALS_MAX - 1,
     "the commander's index within generals"},
    {"m", MURPHY_PARAM_INT, "1", 0, OM_M_MAX, "the traitors tolerated: OM(m) runs m+1 rounds"},
    {"round", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(3600000000000),
     "one round; every delay must be below it"},
    {"order", MURPHY_PARAM_INT, "1", 0, 1, "the commander's order: 1 attack, 0 retreat"},
};

/* --- wire ------------------------------------------------------------------------------ */

static void encode(unsigned char out[OM_MSG_BYTES], const struct om_path *path, uint8_t value)
{
    for (unsigned i = 0; i < OM_MSG_BYTES; i++) out[i] = 0;
    out[0] = OM_MAGIC;
    out[1] = value;
    out[2] = path->len;
    for (unsigned i = 0; i < path->len; i++) out[3 + i] = path->node[i];
    murphy_wire_put_u64(out + 8, murphy_wire_checksum(out, 8));
}

static bool path_has(const struct om_path *path, uint32_t general)
{
    for (unsigned i = 0; i < path->len; i++)
        if (path->node[i] == general) return true;
    return false;
}

/* Decodes and checks everything the bytes alone can tell; 0 or an om_reject reason. */
static int decode(const struct om_state *s, const void *payload, size_t bytes,
                  struct om_path *path, uint8_t *value)
{
    const unsigned char *in = payload;
    if (bytes != OM_MSG_BYTES) return OM_REJECT_SIZE;
    if (murphy_wire_get_u64(in + 8) != murphy_wire_checksum(in, 8)) return OM_REJECT_CHECKSUM;
    if (in[0] != OM_MAGIC || in[1] > 1 || in[2] < 1 || in[2] > s->m + 1) return OM_REJECT_SCHEMA;
    *value = in[1];
    *path = (struct om_path){.len = 0}; /* grows as each general is checked */
    for (unsigned i = 0; i < in[2]; i++) {
        uint8_t g = in[3 + i];
        if (g >= s->general_count || path_has(path, g)) return OM_REJECT_SCHEMA;
        path->node[i] = g;
        path->len = (uint8_t)(i + 1);
    }
    if (path->node[0] != s->commander) return OM_REJECT_SCHEMA;
    return 0;
}

/* --- state ----------------------------------------------------------------------------- */

static const struct om_entry *find(const struct om_state *s, const struct om_path *path)
{
    for (uint32_t i = 0; i < s->entry_count; i++) {
        const struct om_path *p = &s->entries[i].path;
        bool same = p->len == path->len;
        for (unsigned j = 0; same && j < p->len; j++) same = p->node[j] == path->node[j];
        if (same) return &s->entries[i];
    }
    return NULL;
}

static uint8_t heard(const struct om_state *s, const struct om_path *path)
{
    const struct om_entry *e = find(s, path);
    return e ? e->value : (uint8_t)RETREAT; /* a missing message means the default */
}

static uint8_t val(const struct om_state *s, const struct om_path *path)
{
    if (path->len == s->m + 1) return heard(s, path);
    uint32_t attack = heard(s, path) == ATTACK, retreat = !attack;
    for (uint32_t j = 0; j < s->general_count; j++) {
        if (j == s->me || path_has(path, j)) continue;
        struct om_path next = *path;
        next.node[next.len++] = (uint8_t)j;
        if (val(s, &next) == ATTACK) attack++;
        else retreat++;
    }
    return attack > retreat ? (uint8_t)ATTACK : (uint8_t)RETREAT;
}

static void send_path(struct murphy_node *node, const struct om_state *s,
                      const struct om_path *path, uint8_t value)
{
    unsigned char msg[OM_MSG_BYTES];
    encode(msg, path, value);
    for (uint32_t j = 0; j < s->general_count; j++)
        if (!path_has(path, j))
            murphy_send(node, s->first_node + j, MURPHY_CLASS_CONTROL, msg, sizeof msg);
}

/* Relays every path of length k not holding me (O2), depth first from `prefix`. */
static void relay_paths(struct murphy_node *node, const struct om_state *s,
                        struct om_path *prefix, uint32_t k)
{
    if (prefix->len == k) {
        struct om_path out = *prefix;
        out.node[out.len++] = (uint8_t)s->me;
        send_path(node, s, &out, heard(s, prefix));
        return;
    }
    for (uint32_t j = 0; j < s->general_count; j++) {
        if (j == s->me || path_has(prefix, j)) continue;
        prefix->node[prefix->len++] = (uint8_t)j;
        relay_paths(node, s, prefix, k);
        prefix->len--;
    }
}

/* --- callbacks ------------------------------------------------------------------------- */

static void om_on_start(struct murphy_node *node)
{
    struct om_state *s = murphy_volatile(node);
    murphy_param_group(node, "generals", &s->first_node, &s->general_count);
    uint32_t index = murphy_node_index(node);
    s->is_general = index >= s->first_node && index - s->first_node < s->general_count;
    if (!s->is_general || s->general_count > OM_GENERALS_MAX) {
        murphy_note(node, "om: not one of at most 8 generals; idle");
        s->is_general = false;
        return;
    }
    s->me = index - s->first_node;
    s->commander = (uint32_t)murphy_param_i64(node, "commander");
    s->m = (uint32_t)murphy_param_i64(node, "m");
    s->round_ns = murphy_param_i64(node, "round");
    if (s->commander >= s->general_count) {
        murphy_note(node, "om: the commander's index is outside the generals; idle");
        s->is_general = false;
        return;
    }
    murphy_timer_set(node, s->round_ns, TAG_ROUND);
}

static void om_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct om_state *s = murphy_volatile(node);
    if (tag != TAG_ROUND || !s->is_general) return;
    s->fires++;
    if (s->fires < s->m + 2) murphy_timer_set(node, s->round_ns, TAG_ROUND);
    if (s->me == s->commander) {
        if (s->fires != 1) return;
        uint8_t order = (uint8_t)murphy_param_i64(node, "order");
        murphy_claim(node, "om.order", order, 0);
        struct om_path path = {.len = 1, .node = {(uint8_t)s->commander}};
        send_path(node, s, &path, order);
        return;
    }
    if (s->fires >= 2 && s->fires <= s->m + 1) {
        struct om_path prefix = {.len = 1, .node = {(uint8_t)s->commander}};
        relay_paths(node, s, &prefix, s->fires - 1);
    } else if (s->fires == s->m + 2) { /* O3 */
        struct om_path root = {.len = 1, .node = {(uint8_t)s->commander}};
        murphy_claim(node, "om.decide", val(s, &root), 0);
    }
}

static void om_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct om_state *s = murphy_volatile(node);
    struct om_path path;
    uint8_t value = 0;
    int reason = decode(s, msg->payload, msg->payload_bytes, &path, &value);
    uint32_t source = msg->source_node - s->first_node; /* wraps when outside: checked */
    if (reason == 0 && (!s->is_general || s->me == s->commander || s->fires > s->m + 1))
        reason = OM_REJECT_UNEXPECTED;
    if (reason == 0 && path_has(&path, s->me)) reason = OM_REJECT_SCHEMA;
    if (reason == 0 && (source >= s->general_count || path.node[path.len - 1] != source))
        reason = OM_REJECT_SENDER;
    if (reason == 0 && path.len != s->fires) reason = OM_REJECT_ROUND;
    if (reason == 0 && find(s, &path)) reason = OM_REJECT_DUPLICATE; /* O1 */
    if (reason == 0 && s->entry_count == OM_ENTRIES_MAX) reason = OM_REJECT_UNEXPECTED;
    if (reason != 0) {
        murphy_claim(node, "om.reject", reason, msg->source_node);
        return;
    }
    s->entries[s->entry_count++] = (struct om_entry){.path = path, .value = value};
}

/* The traitor's lie (see the header): a drawn order per lieutenant as commander
 * (equivocation), the opposite of the truth as a relay. */
static size_t om_byz_alter(const struct murphy_node *node, uint32_t target, const void *payload,
                           size_t bytes, void *out, size_t out_cap, uint64_t draw, char *said,
                           size_t said_bytes)
{
    uint32_t first, count;
    murphy_param_group(node, "generals", &first, &count);
    struct om_state probe = {.first_node = first, .general_count = count,
                             .commander = (uint32_t)murphy_param_i64(node, "commander"),
                             .m = (uint32_t)murphy_param_i64(node, "m")};
    struct om_path path;
    uint8_t truth = 0;
    if (out_cap < OM_MSG_BYTES || decode(&probe, payload, bytes, &path, &truth) != 0)
        return SIZE_MAX; /* not a message of ours: it goes out as it was */
    uint8_t lie = path.len == 1 ? (uint8_t)((target - first + draw) & 1u) : (uint8_t)!truth;
    encode(out, &path, lie);
    snprintf(said, said_bytes, "said %s for a path of %u, the truth is %s",
             lie == ATTACK ? "attack" : "retreat", (unsigned)path.len,
             truth == ATTACK ? "attack" : "retreat");
    return OM_MSG_BYTES;
}

const struct murphy_model models_om_general = {
    .api_version = MURPHY_API_VERSION,
    .name = "om_general",
    .summary = "oral messages OM(m): a commander, lieutenants relaying, recursive majority",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct om_state),
    .params = om_params,
    .param_count = sizeof om_params / sizeof om_params[0],
    .on_start = om_on_start,
    .on_message = om_on_message,
    .on_timer = om_on_timer,
    .byz_alter = om_byz_alter,
};
