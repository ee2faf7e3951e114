/* models/clock_guard.c - a cluster member that watches its own clock against its peers'
 * and leaves the cluster when it is too far off, before it acts on bad time (what
 * CockroachDB does: a node whose offset from the cluster passes 80% of max_offset shuts
 * itself down, because its transactions' uncertainty intervals assume max_offset).
 *
 * Every `probe_every` a member pings each peer with its wall clock (t1); the peer answers
 * at once with its own (t2 = t3); at the answer the member reads t4 and estimates the
 * peer's clock minus its own as ((t2 - t1) + (t3 - t4)) / 2 (NTP, RFC 5905), which is off
 * by at most half the round trip. At the next probe it takes the median over the peers
 * that answered (robust to one bad peer, which is why a member does not simply trust its
 * time server) and, if |median| > eject_fraction * max_offset, ejects itself: it claims
 * "guard.eject" (median, threshold), notes why, and from then on sends nothing.
 *
 * Meanwhile it acts on time: every `write_every` it writes a value stamped with its wall
 * clock to the store (an lww_replica, spoken to as lww_client does), claiming
 * "stamp.write" (ts, max_offset) and, when the store acknowledges it, "stamp.accepted"
 * (ts, max_offset). checks/stamps.c holds these against true time.
 *
 *   running --probe: |median| > threshold, eject on--> ejected (judge_round)
 *   ejected --restart--> ejected (durable: an operator, not a reboot, brings it back)
 *
 * Invariants:
 *   G1 an ejected member sends nothing: no ping, answer or write (one write already in
 *      flight may still be acknowledged, and is claimed truthfully when it is);
 *   G2 a verdict uses only this round's samples, each answering this round's ping to
 *      that peer (its t1 echoed) within rtt_max, and needs answers from at least half of
 *      the other members: one that hears nobody cannot tell and does nothing;
 *   G3 at most one stamped write is in flight;
 *   G4 value ids are never reused (the sequence is durable);
 *   G5 a malformed or misdirected message (length, magic, checksum, kind, sender, an
 *      absurd time) changes nothing and is noted. */
#include "models.h"

#include <stdio.h>

#include "lww_wire.h"

#define GUARD_PEERS_MAX 64u
#define GUARD_WIRE_BYTES 40u
#define GUARD_MAGIC UINT32_C(0x31445247) /* "GRD1" read little-endian */
/* A peer's clock more than this (2^61 ns, 73 years) from ours is not a measurement. */
#define GUARD_TIME_GAP_NS_MAX (UINT64_C(1) << 61)
#define TAG_PROBE UINT64_C(1)
#define TAG_WRITE UINT64_C(2)
#define TAG_WRITE_TIMEOUT UINT64_C(3) /* | generation << 8 */

enum guard_kind { GUARD_PING = 1, GUARD_PONG = 2 };

/* Layout (little-endian): 0 magic u32, 4 kind u8, 5..7 zero, 8 round u64, 16 t1 i64,
 * 24 t2 i64 (the answerer's clock; zero in a ping), 32 FNV-1a checksum of bytes 0..31. */
struct guard_wire {
    enum guard_kind kind;
    uint64_t round;
    int64_t t1_ns;
    int64_t t2_ns;
};

struct guard_peer {
    uint64_t ping_round;   /* the round of the last ping to it */
    int64_t ping_mono_ns;  /* when that ping left, on our monotonic clock */
    int64_t ping_wall_ns;  /* t1 of that ping */
    uint64_t sample_round; /* the round of offset_ns; stale unless it is the current one */
    int64_t offset_ns;     /* its clock minus ours */
};

struct guard_write {
    bool is_open;
    uint32_t generation;
    uint64_t op_id;
    uint64_t msg_id;
    uint32_t store;
    int64_t ts_ns;
    uint64_t value_id;
    uint64_t timer;
};

struct clock_guard_durable {
    bool is_ejected; /* G1 */
    uint32_t seq;    /* G4 */
};

struct clock_guard_volatile {
    uint64_t round;
    bool has_warned;       /* noted once that it would eject, with eject off */
    uint64_t writes;
    struct guard_peer peers[GUARD_PEERS_MAX];
    struct guard_write write; /* G3 */
};

static const struct murphy_param_spec guard_params[] = {
    {"peers", MURPHY_PARAM_GROUP, NULL, 0, 0,
     "every member (this one may be among them), at most 64"},
    {"store", MURPHY_PARAM_GROUP, NULL, 0, 0, "the lww_replica(s) taking stamped writes"},
    {"max_offset", MURPHY_PARAM_DURATION, "500ms", 1, INT64_C(3600000000000),
     "the clock offset the cluster's protocols tolerate"},
    {"eject_fraction", MURPHY_PARAM_RATIO, "80%", 1, INT64_C(1000000000),
     "leave when the median offset from peers passes this part of max_offset"},
    {"eject", MURPHY_PARAM_BOOL, "true", 0, 0, "false: only note it, and keep acting"},
    {"probe_every", MURPHY_PARAM_DURATION, "1s", 1, INT64_C(86400000000000),
     "between offset measurements, on the monotonic clock"},
    {"rtt_max", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "answers slower than this are discarded (their error bound is rtt/2)"},
    {"write_every", MURPHY_PARAM_DURATION, "500ms", 1, INT64_C(86400000000000),
     "between stamped writes"},
    {"write_timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per write; then it is 'info'"},
};

/* --- wire ------------------------------------------------------------------------------ */

static void guard_encode(const struct guard_wire *w, unsigned char out[GUARD_WIRE_BYTES])
{
    for (size_t i = 0; i < GUARD_WIRE_BYTES; i++) out[i] = 0;
    for (int i = 0; i < 4; i++) out[i] = (unsigned char)(GUARD_MAGIC >> (8 * i));
    out[4] = (unsigned char)w->kind;
    murphy_wire_put_u64(out + 8, w->round);
    murphy_wire_put_u64(out + 16, (uint64_t)w->t1_ns);
    murphy_wire_put_u64(out + 24, (uint64_t)w->t2_ns);
    murphy_wire_put_u64(out + 32, murphy_wire_checksum(out, 32));
}

static bool guard_decode(const struct murphy_msg *msg, struct guard_wire *w)
{
    const unsigned char *p = msg->payload;
    if (msg->payload_bytes != GUARD_WIRE_BYTES || p == NULL) return false;
    uint32_t magic = 0;
    for (int i = 0; i < 4; i++) magic |= (uint32_t)p[i] << (8 * i);
    if (magic != GUARD_MAGIC || p[5] != 0 || p[6] != 0 || p[7] != 0) return false;
    if (p[4] != GUARD_PING && p[4] != GUARD_PONG) return false;
    if (murphy_wire_get_u64(p + 32) != murphy_wire_checksum(p, 32)) return false;
    *w = (struct guard_wire){.kind = (enum guard_kind)p[4], .round = murphy_wire_get_u64(p + 8),
                             .t1_ns = (int64_t)murphy_wire_get_u64(p + 16),
                             .t2_ns = (int64_t)murphy_wire_get_u64(p + 24)};
    return true;
}

/* --- peers and the verdict ------------------------------------------------------------- */

static uint32_t peer_count(const struct murphy_node *node, uint32_t *first)
{
    uint32_t count;
    murphy_param_group(node, "peers", first, &count);
    return count < GUARD_PEERS_MAX ? count : GUARD_PEERS_MAX;
}

/* The peer's slot, or -1 if source is not another member. */
static int peer_slot(const struct murphy_node *node, uint32_t source)
{
    uint32_t first, count = peer_count(node, &first);
    if (source < first || source - first >= count || source == murphy_node_index(node))
        return -1;
    return (int)(source - first);
}

/* threshold = max_offset * fraction, exactly, without overflowing int64. */
static int64_t eject_threshold_ns(const struct murphy_node *node)
{
    int64_t max_ns = murphy_param_i64(node, "max_offset");
    int64_t ppb = murphy_param_i64(node, "eject_fraction");
    const int64_t one = INT64_C(1000000000);
    return (max_ns / one) * ppb + (max_ns % one) * ppb / one;
}

static void eject(struct murphy_node *node, int64_t median_ns, int64_t threshold_ns)
{
    struct clock_guard_durable *d = murphy_durable(node);
    struct clock_guard_volatile *v = murphy_volatile(node);
    if (!murphy_param_bool(node, "eject")) {
        if (!v->has_warned)
            murphy_note(node, "clock offset from peers beyond the bound, and eject is off:"
                              " carrying on with bad time");
        v->has_warned = true;
        return;
    }
    d->is_ejected = true; /* G1 */
    murphy_claim(node, "guard.eject", median_ns, threshold_ns);
    char text[160];
    snprintf(text, sizeof text, "clock %+.3f ms from the median of its peers, beyond %.3f ms:"
             " leaving the cluster", (double)-median_ns / 1e6, (double)threshold_ns / 1e6);
    murphy_note(node, text);
}

/* Judges the round that just ended (G2). */
static void judge_round(struct murphy_node *node)
{
    struct clock_guard_volatile *v = murphy_volatile(node);
    uint32_t first, count = peer_count(node, &first);
    uint32_t self = murphy_node_index(node);
    uint32_t others = count - (self >= first && self - first < count ? 1u : 0u);
    int64_t offsets[GUARD_PEERS_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < count; i++)
        if (v->round != 0 && v->peers[i].sample_round == v->round)
            offsets[n++] = v->peers[i].offset_ns;
    if (others == 0 || n == 0 || n < (others + 1) / 2) return;
    for (uint32_t i = 1; i < n; i++) /* insertion sort; n <= 64 */
        for (uint32_t j = i; j > 0 && offsets[j - 1] > offsets[j]; j--) {
            int64_t t = offsets[j];
            offsets[j] = offsets[j - 1];
            offsets[j - 1] = t;
        }
    /* samples are within +-2^61 ns (G5), so these sums cannot overflow */
    int64_t median_ns = n % 2 ? offsets[n / 2] : (offsets[n / 2 - 1] + offsets[n / 2]) / 2;
    murphy_claim(node, "guard.offset", median_ns, n);
    int64_t threshold_ns = eject_threshold_ns(node);
    if (median_ns > threshold_ns || median_ns < -threshold_ns) eject(node, median_ns, threshold_ns);
}

static void probe(struct murphy_node *node)
{
    struct clock_guard_durable *d = murphy_durable(node);
    struct clock_guard_volatile *v = murphy_volatile(node);
    judge_round(node);
    if (d->is_ejected) return; /* G1: no more probes */
    v->round++;
    uint32_t first, count = peer_count(node, &first);
    for (uint32_t i = 0; i < count; i++) {
        if (first + i == murphy_node_index(node)) continue;
        struct guard_peer *peer = &v->peers[i];
        struct guard_wire w = {.kind = GUARD_PING, .round = v->round,
                               .t1_ns = murphy_wall_ns(node)};
        peer->ping_round = v->round;
        peer->ping_mono_ns = murphy_mono_ns(node);
        peer->ping_wall_ns = w.t1_ns;
        unsigned char p[GUARD_WIRE_BYTES];
        guard_encode(&w, p);
        murphy_send(node, first + i, MURPHY_CLASS_CONTROL, p, sizeof p);
    }
    murphy_timer_set(node, murphy_param_i64(node, "probe_every"), TAG_PROBE);
}

static uint64_t gap_ns(int64_t a, int64_t b)
{
    return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static void on_pong(struct murphy_node *node, int slot, const struct guard_wire *w)
{
    struct clock_guard_volatile *v = murphy_volatile(node);
    struct guard_peer *peer = &v->peers[slot];
    if (w->round != v->round || peer->ping_round != v->round) return; /* late: ignored */
    if (w->t1_ns != peer->ping_wall_ns) {
        murphy_note(node, "rejected an answer that does not echo our ping"); /* G5 */
        return;
    }
    if (gap_ns(w->t2_ns, w->t1_ns) >= GUARD_TIME_GAP_NS_MAX) {
        murphy_note(node, "rejected an answer with an absurd time"); /* G5 */
        return;
    }
    int64_t rtt_ns = murphy_mono_ns(node) - peer->ping_mono_ns;
    if (rtt_ns > murphy_param_i64(node, "rtt_max")) return; /* G2: too vague to use */
    int64_t t4_ns = murphy_wall_ns(node);
    if (gap_ns(t4_ns, w->t1_ns) >= GUARD_TIME_GAP_NS_MAX) return; /* our own clock leapt */
    /* t3 = t2: the peer answers in the callback that read t2 */
    peer->offset_ns = ((w->t2_ns - w->t1_ns) + (w->t2_ns - t4_ns)) / 2;
    peer->sample_round = v->round;
}

static void on_control(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct guard_wire w;
    if (!guard_decode(msg, &w)) {
        murphy_note(node, "rejected a malformed clock probe (length, magic or checksum)");
        return;
    }
    int slot = peer_slot(node, msg->source_node);
    if (slot < 0) {
        murphy_note(node, "rejected a clock probe from a node outside 'peers'"); /* G5 */
        return;
    }
    if (w.kind == GUARD_PONG) {
        on_pong(node, slot, &w);
        return;
    }
    if (w.t2_ns != 0) {
        murphy_note(node, "rejected a ping carrying an answer"); /* G5 */
        return;
    }
    struct guard_wire answer = {.kind = GUARD_PONG, .round = w.round, .t1_ns = w.t1_ns,
                                .t2_ns = murphy_wall_ns(node)};
    unsigned char p[GUARD_WIRE_BYTES];
    guard_encode(&answer, p);
    murphy_send(node, msg->source_node, MURPHY_CLASS_CONTROL, p, sizeof p);
}

/* --- stamped writes -------------------------------------------------------------------- */

static void start_write(struct murphy_node *node)
{
    struct clock_guard_durable *d = murphy_durable(node);
    struct clock_guard_volatile *v = murphy_volatile(node);
    struct guard_write *wr = &v->write;
    if (wr->is_open) return; /* G3: skip this turn */
    uint32_t first, count;
    murphy_param_group(node, "store", &first, &count);
    struct lww_wire w = {.kind = LWW_WRITE,
                         .value_id = lww_value_id(murphy_node_index(node), ++d->seq), /* G4 */
                         .ts_ns = murphy_wall_ns(node)};
    char value[32];
    snprintf(value, sizeof value, "%llu", (unsigned long long)w.value_id);
    *wr = (struct guard_write){.is_open = true, .generation = wr->generation + 1,
                               .op_id = murphy_op_invoke(node, 0, "write", "stamp", value),
                               .store = first + (uint32_t)(v->writes++ % count),
                               .ts_ns = w.ts_ns, .value_id = w.value_id};
    murphy_claim(node, "stamp.write", w.ts_ns, murphy_param_i64(node, "max_offset"));
    unsigned char p[LWW_WIRE_BYTES];
    lww_wire_encode(&w, p);
    wr->msg_id = murphy_send(node, wr->store, MURPHY_CLASS_REQUEST, p, sizeof p);
    wr->timer = murphy_timer_set(node, murphy_param_i64(node, "write_timeout"),
                                 TAG_WRITE_TIMEOUT | ((uint64_t)wr->generation << 8));
}

static void on_reply(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct clock_guard_volatile *v = murphy_volatile(node);
    struct guard_write *wr = &v->write;
    if (!wr->is_open || msg->reply_to_msg_id != wr->msg_id) return; /* late: timed out */
    struct lww_wire w;
    if (!lww_wire_decode(msg->payload, msg->payload_bytes, &w) || msg->source_node != wr->store ||
        w.kind != LWW_WRITE_ACK || w.ts_ns != wr->ts_ns || w.value_id != wr->value_id) {
        murphy_note(node, "rejected a reply that is not the answer to its write"); /* G5 */
        return;
    }
    murphy_timer_cancel(node, wr->timer);
    wr->is_open = false;
    murphy_op_complete(node, wr->op_id, MURPHY_OP_OK, NULL);
    murphy_claim(node, "stamp.accepted", wr->ts_ns, murphy_param_i64(node, "max_offset"));
}

/* --- callbacks ------------------------------------------------------------------------- */

static void guard_on_start(struct murphy_node *node)
{
    const struct clock_guard_durable *d = murphy_durable(node);
    if (d->is_ejected) return; /* G1: stays out across restarts */
    uint32_t first, count;
    murphy_param_group(node, "peers", &first, &count);
    if (count > GUARD_PEERS_MAX)
        murphy_note(node, "more than 64 peers: only the first 64 are probed");
    murphy_timer_set(node, murphy_param_i64(node, "probe_every"), TAG_PROBE);
    murphy_timer_set(node, murphy_param_i64(node, "write_every"), TAG_WRITE);
}

static void guard_on_timer(struct murphy_node *node, uint64_t tag)
{
    const struct clock_guard_durable *d = murphy_durable(node);
    struct clock_guard_volatile *v = murphy_volatile(node);
    if (tag == TAG_PROBE) {
        if (!d->is_ejected) probe(node);
        return;
    }
    if (tag == TAG_WRITE) {
        if (d->is_ejected) return; /* G1 */
        start_write(node);
        murphy_timer_set(node, murphy_param_i64(node, "write_every"), TAG_WRITE);
        return;
    }
    struct guard_write *wr = &v->write;
    if ((tag & 0xff) != TAG_WRITE_TIMEOUT || !wr->is_open ||
        wr->generation != (uint32_t)(tag >> 8))
        return; /* answered meanwhile */
    murphy_timeout(node, wr->msg_id);
    wr->is_open = false;
    murphy_op_complete(node, wr->op_id, MURPHY_OP_INFO, "timeout");
}

static void guard_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    const struct clock_guard_durable *d = murphy_durable(node);
    if (msg->traffic_class == MURPHY_CLASS_REPLY) {
        on_reply(node, msg);
        return;
    }
    if (msg->traffic_class != MURPHY_CLASS_CONTROL) {
        murphy_note(node, "rejected a message in an unexpected traffic class"); /* G5 */
        return;
    }
    if (d->is_ejected) return; /* G1: removed members answer nobody */
    on_control(node, msg);
}

const struct murphy_model models_clock_guard = {
    .api_version = MURPHY_API_VERSION,
    .name = "clock_guard",
    .summary = "a member that measures its clock against its peers and leaves when too far off",
    .durable_bytes = sizeof(struct clock_guard_durable),
    .volatile_bytes = sizeof(struct clock_guard_volatile),
    .params = guard_params,
    .param_count = sizeof guard_params / sizeof guard_params[0],
    .on_start = guard_on_start,
    .on_message = guard_on_message,
    .on_timer = guard_on_timer,
};
