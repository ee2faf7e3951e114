/* models/member_node.c - group membership by majority vote: every node heartbeats every
 * peer; a node that has not heard a peer for `suspect_after` suspects it and tells every
 * peer (a vote); a node declares a peer dead once a strict majority of `peers` votes so,
 * and alive again once the votes fall below it. Each node also keeps its own view of
 * itself: healthy while it hears a majority (itself included).
 *
 * The point (scenario asymmetric-fault): the verdict on a node is the others' votes, not
 * its own opinion. A node that receives but cannot send keeps hearing everyone and
 * believes itself healthy, while everyone stops hearing it and votes it dead; it even
 * receives the votes against it and notes both views.
 *
 * Told to the oracles and the log:
 *   member.dead (subject, voters)    this node now holds subject dead (voters >= majority)
 *   member.alive (subject, voters)   ... and alive again (voters fell below the majority)
 *   member.self (healthy 0/1, peers heard)   its view of itself, at start and on change
 *   murphy_suspect / murphy_trust    its own vote, for detector measures
 * and a note, each time a vote about itself arrives, with what it hears.
 *
 * Messages (32 bytes, little-endian): [0] kind (1 BEAT, 2 VOTE), [1..8) zero, [8..16)
 * subject node (VOTE), [16..24) 1 dead / 0 alive (VOTE), [24..32) FNV-1a 64 of the 24
 * bytes before. BEAT on the HEARTBEAT class, VOTE on CONTROL; anything else, or from
 * outside `peers`, is rejected with a note.
 *
 * Invariants:
 *   M1 a node votes about a peer only on a change of its own suspicion, so a vote bit
 *      per (subject, voter) is the voter's latest vote;
 *   M2 dead is declared exactly when the votes reach a strict majority of `peers` and
 *      withdrawn exactly when they fall below it (one claim per change);
 *   M3 a node never votes about itself (it cannot time itself out). */
#include "models.h"

#include <stdio.h>

#include "murphy/wire.h"

#define MEMBER_PEERS_MAX 64u
#define MEMBER_MSG_BYTES 32u
#define TAG_TICK 1u

enum member_kind { MEMBER_BEAT = 1, MEMBER_VOTE = 2 };

struct member_volatile {
    int64_t heard_mono_ns[MEMBER_PEERS_MAX]; /* by offset in peers */
    uint64_t suspects;                       /* M1: whom this node votes dead */
    uint64_t votes[MEMBER_PEERS_MAX];        /* per subject: the voters (offsets) */
    uint64_t dead;                           /* M2: subjects held dead */
    bool is_healthy;
};

static const struct murphy_param_spec member_params[] = {
    {"peers", MURPHY_PARAM_GROUP, NULL, 0, 0, "the group, this node included (at most 64)"},
    {"heartbeat", MURPHY_PARAM_DURATION, "50ms", 1000000, INT64_C(3600000000000),
     "how often a node heartbeats every peer and reviews what it heard"},
    {"suspect_after", MURPHY_PARAM_DURATION, "250ms", 1000000, INT64_C(3600000000000),
     "a peer not heard for this long is suspected (a vote that it is dead)"},
};

static void peers_of(const struct murphy_node *node, uint32_t *first, uint32_t *count)
{
    murphy_param_group(node, "peers", first, count);
}

static uint32_t majority(const struct murphy_node *node)
{
    uint32_t first, count;
    peers_of(node, &first, &count);
    return count / 2 + 1;
}

static void send_all(struct murphy_node *node, enum member_kind kind, int64_t subject,
                     int64_t is_dead)
{
    unsigned char out[MEMBER_MSG_BYTES] = {0};
    out[0] = (unsigned char)kind;
    murphy_wire_put_u64(out + 8, (uint64_t)subject);
    murphy_wire_put_u64(out + 16, (uint64_t)is_dead);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    enum murphy_class class = kind == MEMBER_BEAT ? MURPHY_CLASS_HEARTBEAT : MURPHY_CLASS_CONTROL;
    for (uint32_t i = first; i < first + count; i++)
        if (i != self) murphy_send(node, i, class, out, sizeof out);
}

/* M2: declare or withdraw, on the change only. */
static void review_verdict(struct murphy_node *node, uint32_t offset)
{
    struct member_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    peers_of(node, &first, &count);
    uint64_t bit = UINT64_C(1) << offset;
    int64_t voters = __builtin_popcountll(v->votes[offset]);
    bool is_dead = voters >= (int64_t)majority(node);
    if (is_dead == ((v->dead & bit) != 0)) return;
    v->dead ^= bit;
    murphy_claim(node, is_dead ? "member.dead" : "member.alive", first + offset, voters);
}

static void record_vote(struct murphy_node *node, uint32_t subject_offset,
                        uint32_t voter_offset, bool is_dead)
{
    struct member_volatile *v = murphy_volatile(node);
    uint64_t bit = UINT64_C(1) << voter_offset;
    if (is_dead) v->votes[subject_offset] |= bit;
    else v->votes[subject_offset] &= ~bit;
    review_verdict(node, subject_offset);
}

static void review_self(struct murphy_node *node, uint32_t heard, bool is_first)
{
    struct member_volatile *v = murphy_volatile(node);
    bool is_healthy = heard + 1 >= majority(node);
    if (!is_first && is_healthy == v->is_healthy) return;
    v->is_healthy = is_healthy;
    murphy_claim(node, "member.self", is_healthy, heard);
}

static void on_tick(struct murphy_node *node)
{
    struct member_volatile *v = murphy_volatile(node);
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    int64_t now_ns = murphy_mono_ns(node), limit_ns = murphy_param_i64(node, "suspect_after");
    send_all(node, MEMBER_BEAT, 0, 0);
    uint32_t heard = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (first + i == self) continue; /* M3 */
        bool is_heard = now_ns - v->heard_mono_ns[i] < limit_ns;
        bool is_suspect = (v->suspects >> i) & 1u;
        heard += is_heard;
        if (is_heard == !is_suspect) continue; /* M1: no change, no vote */
        v->suspects ^= UINT64_C(1) << i;
        if (is_heard) murphy_trust(node, first + i);
        else murphy_suspect(node, first + i);
        send_all(node, MEMBER_VOTE, first + i, !is_heard);
        record_vote(node, i, self - first, !is_heard);
    }
    review_self(node, heard, false);
    murphy_timer_set(node, murphy_param_i64(node, "heartbeat"), TAG_TICK);
}

static void member_on_start(struct murphy_node *node)
{
    struct member_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    peers_of(node, &first, &count);
    if (count > MEMBER_PEERS_MAX || murphy_node_index(node) < first ||
        murphy_node_index(node) >= first + count) {
        murphy_violation(node, "member_node: peers must include this node and have at most"
                         " 64 nodes");
        return;
    }
    /* everyone counts as just heard: a start is not a silence */
    for (uint32_t i = 0; i < count; i++) v->heard_mono_ns[i] = murphy_mono_ns(node);
    review_self(node, count - 1, true);
    murphy_timer_set(node, murphy_param_i64(node, "heartbeat"), TAG_TICK);
}

static void on_vote_about_me(struct murphy_node *node, uint32_t voter, bool is_dead)
{
    struct member_volatile *v = murphy_volatile(node);
    uint32_t first, count, heard = 0;
    peers_of(node, &first, &count);
    int64_t now_ns = murphy_mono_ns(node), limit_ns = murphy_param_i64(node, "suspect_after");
    for (uint32_t i = 0; i < count; i++)
        if (first + i != murphy_node_index(node) && now_ns - v->heard_mono_ns[i] < limit_ns)
            heard++;
    char text[160];
    snprintf(text, sizeof text, "node %u votes me %s; I hear %u of %u peers: I believe I am %s",
             voter, is_dead ? "dead" : "alive", heard, count - 1,
             heard + 1 >= majority(node) ? "healthy" : "cut off");
    murphy_note(node, text);
}

static void member_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct member_volatile *v = murphy_volatile(node);
    const unsigned char *in = msg->payload;
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    bool is_valid = msg->payload_bytes == MEMBER_MSG_BYTES && msg->source_node >= first &&
                    msg->source_node < first + count && msg->source_node != self &&
                    count <= MEMBER_PEERS_MAX &&
                    murphy_wire_get_u64(in + 24) == murphy_wire_checksum(in, 24);
    for (size_t i = 1; is_valid && i < 8; i++) is_valid = in[i] == 0;
    uint64_t subject = is_valid ? murphy_wire_get_u64(in + 8) : 0;
    uint64_t is_dead = is_valid ? murphy_wire_get_u64(in + 16) : 0;
    bool is_beat = is_valid && in[0] == MEMBER_BEAT &&
                   msg->traffic_class == MURPHY_CLASS_HEARTBEAT;
    bool is_vote = is_valid && in[0] == MEMBER_VOTE && msg->traffic_class == MURPHY_CLASS_CONTROL &&
                   subject >= first && subject < first + count && is_dead <= 1 &&
                   subject != msg->source_node; /* M3 */
    if (!is_beat && !is_vote) {
        murphy_note(node, "a malformed membership message or one from outside peers; rejected");
        return;
    }
    uint32_t voter = msg->source_node - first;
    v->heard_mono_ns[voter] = murphy_mono_ns(node); /* any message is a sign of life */
    if (is_beat) return;
    if (subject == self) on_vote_about_me(node, msg->source_node, is_dead != 0);
    else record_vote(node, (uint32_t)(subject - first), voter, is_dead != 0);
}

static void member_on_timer(struct murphy_node *node, uint64_t tag)
{
    if (tag == TAG_TICK) on_tick(node);
}

const struct murphy_model models_member_node = {
    .api_version = MURPHY_API_VERSION,
    .name = "member_node",
    .summary = "membership by majority vote: a peer is dead when a majority stops hearing it",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct member_volatile),
    .params = member_params,
    .param_count = sizeof member_params / sizeof member_params[0],
    .on_start = member_on_start,
    .on_message = member_on_message,
    .on_timer = member_on_timer,
    .on_restart = member_on_start,
};
