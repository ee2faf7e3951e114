/* models/elect_node.c - leader election by majority vote, Raft's election without a log:
 * durable terms and votes, randomized election timeouts, RequestVote to the `peers` group
 * (CONTROL class), heartbeats from the leader, and a leader lease. With `naive` it is the
 * broken election people write first: on a timeout a node makes itself leader of a new
 * term, asking no one.
 *
 * What a leader does is told to the oracles (checks/elect.c):
 *   elect.leader (term, 0)    this node became leader of term
 *   elect.act (term, 0)       it acted as leader (every `act_every` while it believes it leads)
 *   elect.stepdown (term, 0)  it stopped believing it leads term (higher term seen, lease lost)
 * A crash ends the belief too (the oracle reads the crash event).
 *
 * `elect_writer` is the same node whose acts have an effect: each act is a write to the
 * `store` (a term_store), tagged with the leader's term, which the store may use as a
 * fencing token (models/term_store.c, checks/fence.c):
 *   W1 an act is decided (lease checked, E4, elect.act claimed), then takes `act_work` of
 *      CPU, then the WRITE (term, write number) leaves on the REQUEST class;
 *   W2 the write carries the term of the decision, not of the moment it leaves: a pause
 *      during act_work (GC, SIGSTOP) goes unnoticed, so a leader deposed meanwhile writes
 *      anyway. That is the zombie leader; only the store can refuse it.
 *
 *   follower --(election timeout)--> candidate --(votes from a strict majority)--> leader
 *      ^  <-------- a higher term, or a heartbeat of its term from a leader -----'   |
 *      '-------------- a higher term, or no majority heard within `lease` -----------'
 *   (naive: follower --(election timeout)--> leader of term+1, no votes)
 *
 * Messages (models/elect_wire.h, 32 bytes, little-endian): [0] kind, [1..8) zero, [8..16)
 * term, [16..24) a value by kind, [24..32) FNV-1a 64 of the 24 bytes before. Anything else,
 * a bad checksum, a sender outside `peers` or a negative term is rejected with a note.
 *   VOTE_REQ (term, candidate's mono at the send)   candidate -> peers
 *   VOTE     (term, echoed mono if granted, else -1) peer -> candidate
 *   BEAT     (term, leader's mono at the send)      leader -> peers
 *   BEAT_ACK (term, echoed mono, or -1 if refused)  peer -> leader
 *   WRITE    (term, write number)                   elect_writer leader -> store
 *
 * Invariants:
 *   E1 the term never decreases over the node's life, crashes included (durable), and is
 *      written before any message that carries it leaves.
 *   E2 a node grants at most one vote per term (voted_for is durable, cleared only when
 *      the term moves on), so two candidates of one term cannot both reach a majority.
 *   E3 (not naive) a leader has the votes of a strict majority of `peers`, itself included.
 *   E4 (not naive) a leader acts only while a strict majority (itself included) has
 *      answered a message it sent less than `lease` ago by its own monotonic clock; the
 *      first check that fails makes it step down.
 *   E5 a node that heard a leader less than election_timeout ago (or restarted less than
 *      that ago) grants no vote: with lease < election_timeout, a new leader is elected
 *      only after the old one's lease is over (clock rates equal), so two leaders of
 *      different terms rarely overlap. The oracle counts when they do.
 *   E6 exactly one election timer is pending while the node is not leader, none while it is. */
#include "models.h"

#include "elect_wire.h"

#define ELECT_PEERS_MAX 64u
#define TAG_ELECTION 1u
#define TAG_BEAT 2u
#define TAG_ACT 3u

enum elect_role { ROLE_FOLLOWER, ROLE_CANDIDATE, ROLE_LEADER };

struct elect_durable {
    int64_t term;       /* E1 */
    bool has_voted;     /* E2: voted in `term` */
    uint32_t voted_for;
};

struct elect_volatile {
    enum elect_role role;
    uint64_t election_timer; /* E6: handle, 0 for none */
    uint64_t votes;          /* bitmask by index within peers (candidate) */
    /* E4: per peer, the send time (own mono) of the newest message it answered */
    int64_t answered_mono_ns[ELECT_PEERS_MAX];
    bool has_heard_leader;
    int64_t heard_leader_mono_ns; /* E5 */
    int64_t votes_from_mono_ns;   /* E5 after a restart */
    bool is_writer;               /* elect_writer: every act is a write to `store` (W1) */
    int64_t writes;               /* writes sent by this incarnation */
};

/* elect_writer declares these and two more */
#define ELECT_PARAMS                                                                       \
    {"peers", MURPHY_PARAM_GROUP, NULL, 0, 0,                                            \
     "the electorate, this node included (at most 64 nodes)"},                           \
    {"naive", MURPHY_PARAM_BOOL, "false", 0, 0,                                          \
     "true: on a timeout become leader of a new term without votes (and keep no lease)"}, \
    {"election_timeout", MURPHY_PARAM_DURATION, "300ms", 1000000, INT64_C(3600000000000), \
     "a follower that hears no leader for a random time in [T, 2T) stands for election"}, \
    {"heartbeat", MURPHY_PARAM_DURATION, "50ms", 1000000, INT64_C(3600000000000),        \
     "the leader's heartbeat interval"},                                                 \
    {"lease", MURPHY_PARAM_DURATION, "250ms", 1000000, INT64_C(3600000000000),           \
     "the leader steps down if no majority answered a message it sent within this"},     \
    {"act_every", MURPHY_PARAM_DURATION, "100ms", 1000000, INT64_C(3600000000000),       \
     "how often a leader acts (claims elect.act)"}

static const struct murphy_param_spec elect_params[] = {ELECT_PARAMS};

static const struct murphy_param_spec elect_writer_params[] = {
    ELECT_PARAMS,
    {"store", MURPHY_PARAM_GROUP, NULL, 0, 0,
     "the storage every act writes to, with the leader's term (the group's first node)"},
    {"act_work", MURPHY_PARAM_DURATION, "20ms", 1, INT64_C(3600000000000),
     "CPU time between deciding to act (lease checked) and the write leaving"},
};

/* --- wire ------------------------------------------------------------------------------ */

static void send_msg(struct murphy_node *node, uint32_t target, enum elect_kind kind,
                     int64_t term, int64_t value)
{
    unsigned char out[ELECT_MSG_BYTES];
    elect_wire_encode(kind, term, value, out);
    murphy_send(node, target, MURPHY_CLASS_CONTROL, out, sizeof out);
}

/* --- helpers --------------------------------------------------------------------------- */

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

static void send_to_peers(struct murphy_node *node, enum elect_kind kind, int64_t term,
                          int64_t value)
{
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    for (uint32_t i = first; i < first + count; i++)
        if (i != self) send_msg(node, i, kind, term, value);
}

static void arm_election_timer(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    int64_t base_ns = murphy_param_i64(node, "election_timeout");
    if (v->election_timer) murphy_timer_cancel(node, v->election_timer);
    int64_t delay_ns = base_ns + (int64_t)(murphy_rand_uniform(node) * (double)base_ns);
    v->election_timer = murphy_timer_set(node, delay_ns, TAG_ELECTION); /* E6 */
}

static void become_follower(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    if (v->role == ROLE_LEADER) murphy_claim(node, "elect.stepdown", d->term, 0);
    v->role = ROLE_FOLLOWER;
    /* a leader's beat and act timers find it no longer leader and stop themselves */
    if (!v->election_timer) arm_election_timer(node);
}

/* E1, E2: a message with a higher term moves this node to it, as a follower. */
static void observe_term(struct murphy_node *node, int64_t term)
{
    struct elect_durable *d = murphy_durable(node);
    if (term <= d->term) return;
    d->term = term;
    d->has_voted = false;
    become_follower(node);
}

static void send_beats(struct murphy_node *node)
{
    struct elect_durable *d = murphy_durable(node);
    send_to_peers(node, MSG_BEAT, d->term, murphy_mono_ns(node));
}

static void become_leader(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    v->role = ROLE_LEADER;
    if (v->election_timer) murphy_timer_cancel(node, v->election_timer);
    v->election_timer = 0; /* E6 */
    murphy_claim(node, "elect.leader", d->term, 0);
    send_beats(node);
    murphy_timer_set(node, murphy_param_i64(node, "heartbeat"), TAG_BEAT);
    murphy_timer_set(node, murphy_param_i64(node, "act_every"), TAG_ACT);
}

/* E4: does a strict majority (self included) vouch for this leader within the lease? */
static bool lease_holds(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    if (murphy_param_bool(node, "naive")) return true; /* the naive leader keeps no lease */
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    int64_t since_ns = murphy_mono_ns(node) - murphy_param_i64(node, "lease");
    uint32_t fresh = 1; /* itself */
    for (uint32_t i = 0; i < count; i++)
        if (first + i != self && v->answered_mono_ns[i] > since_ns) fresh++;
    return fresh >= majority(node);
}

static void note_answer(struct murphy_node *node, uint32_t peer, int64_t sent_mono_ns)
{
    struct elect_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    peers_of(node, &first, &count);
    /* an echo from the future is a liar's or a corruption the checksum missed */
    if (sent_mono_ns > murphy_mono_ns(node)) return;
    if (sent_mono_ns > v->answered_mono_ns[peer - first])
        v->answered_mono_ns[peer - first] = sent_mono_ns;
}

/* --- callbacks ------------------------------------------------------------------------- */

static bool config_ok(struct murphy_node *node)
{
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    if (count > ELECT_PEERS_MAX || self < first || self >= first + count) {
        murphy_violation(node, "elect_node: peers must include this node and have at most"
                         " 64 nodes");
        return false;
    }
    return true;
}

static void elect_on_start(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    *v = (struct elect_volatile){.role = ROLE_FOLLOWER};
    if (config_ok(node)) arm_election_timer(node);
}

static void elect_on_restart(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    *v = (struct elect_volatile){.role = ROLE_FOLLOWER};
    /* E5: it may have vouched for a leader whose lease is still running */
    v->votes_from_mono_ns = murphy_mono_ns(node) + murphy_param_i64(node, "election_timeout");
    if (config_ok(node)) arm_election_timer(node);
}

static void stand_for_election(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    uint32_t first, count, self = murphy_node_index(node);
    peers_of(node, &first, &count);
    d->term++; /* E1: durable before the request leaves */
    d->has_voted = true;
    d->voted_for = self; /* E2 */
    v->election_timer = 0;
    if (murphy_param_bool(node, "naive")) {
        become_leader(node); /* the bug: no one was asked */
        return;
    }
    v->role = ROLE_CANDIDATE;
    v->votes = UINT64_C(1) << (self - first);
    arm_election_timer(node); /* a split vote times out into the next term */
    if (1 >= majority(node)) {
        become_leader(node);
        return;
    }
    send_to_peers(node, MSG_VOTE_REQ, d->term, murphy_mono_ns(node));
}

static void on_tick(struct murphy_node *node, uint64_t tag)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    if (v->role != ROLE_LEADER) return; /* a timer of an earlier leadership: let it lapse */
    if (!lease_holds(node)) { /* E4 */
        murphy_note(node, "no majority answered within the lease: stepping down");
        become_follower(node);
        return;
    }
    if (tag == TAG_BEAT) {
        send_beats(node);
        murphy_timer_set(node, murphy_param_i64(node, "heartbeat"), TAG_BEAT);
    } else {
        murphy_claim(node, "elect.act", d->term, 0);
        /* W1: the write leaves after act_work; a pause in between is not seen (W2) */
        if (v->is_writer) murphy_work(node, murphy_param_i64(node, "act_work"), (uint64_t)d->term);
        murphy_timer_set(node, murphy_param_i64(node, "act_every"), TAG_ACT);
    }
}

/* W2: the write carries the term the act was decided in (work_id), whatever happened
 * since: a leader cannot notice its own pause, so it does not re-check. Only the store's
 * fencing can refuse a term that has been superseded meanwhile. */
static void writer_on_work_done(struct murphy_node *node, uint64_t work_id)
{
    struct elect_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    murphy_param_group(node, "store", &first, &count);
    unsigned char out[ELECT_MSG_BYTES];
    elect_wire_encode(MSG_WRITE, (int64_t)work_id, ++v->writes, out);
    murphy_send(node, first, MURPHY_CLASS_REQUEST, out, sizeof out);
}

static void elect_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct elect_volatile *v = murphy_volatile(node);
    switch (tag) {
    case TAG_ELECTION:
        if (v->role == ROLE_LEADER) return; /* cancelled in spirit: E6 */
        stand_for_election(node);
        break;
    case TAG_BEAT:
    case TAG_ACT: on_tick(node, tag); break;
    default: murphy_note(node, "a timer with an unknown tag; ignored"); break;
    }
}

static bool may_vote(struct murphy_node *node)
{
    struct elect_volatile *v = murphy_volatile(node);
    int64_t now_ns = murphy_mono_ns(node);
    if (murphy_param_bool(node, "naive")) return true;
    if (now_ns < v->votes_from_mono_ns) return false;
    if (v->role == ROLE_LEADER) return false; /* E5: it is the leader it has heard */
    return !v->has_heard_leader ||
           now_ns - v->heard_leader_mono_ns >= murphy_param_i64(node, "election_timeout");
}

static void on_vote_req(struct murphy_node *node, uint32_t from, int64_t term, int64_t echo)
{
    struct elect_durable *d = murphy_durable(node);
    if (!may_vote(node)) { /* E5: ignore it entirely, term included (no disruption) */
        send_msg(node, from, MSG_VOTE, d->term, -1);
        return;
    }
    observe_term(node, term);
    bool grant = term == d->term && (!d->has_voted || d->voted_for == from);
    if (grant) {
        d->has_voted = true; /* E2: durable before the vote leaves */
        d->voted_for = from;
        arm_election_timer(node); /* give the candidate time to win */
    }
    send_msg(node, from, MSG_VOTE, d->term, grant ? echo : -1);
}

static void on_vote(struct murphy_node *node, uint32_t from, int64_t term, int64_t echo)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    uint32_t first, count;
    observe_term(node, term);
    if (v->role != ROLE_CANDIDATE || term != d->term || echo < 0) return;
    peers_of(node, &first, &count);
    note_answer(node, from, echo);
    v->votes |= UINT64_C(1) << (from - first);
    if ((uint32_t)__builtin_popcountll(v->votes) >= majority(node)) become_leader(node); /* E3 */
}

static void on_beat(struct murphy_node *node, uint32_t from, int64_t term, int64_t echo)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    observe_term(node, term);
    if (term < d->term) { /* an old leader: tell it the term */
        send_msg(node, from, MSG_BEAT_ACK, d->term, -1);
        return;
    }
    if (v->role == ROLE_LEADER) { /* another leader of my term: only the naive get here */
        murphy_note(node, "a heartbeat from another leader of my term");
        return;
    }
    v->role = ROLE_FOLLOWER;
    v->has_heard_leader = true;
    v->heard_leader_mono_ns = murphy_mono_ns(node);
    arm_election_timer(node);
    send_msg(node, from, MSG_BEAT_ACK, d->term, echo);
}

static void on_beat_ack(struct murphy_node *node, uint32_t from, int64_t term, int64_t echo)
{
    struct elect_volatile *v = murphy_volatile(node);
    struct elect_durable *d = murphy_durable(node);
    observe_term(node, term);
    if (v->role == ROLE_LEADER && term == d->term && echo >= 0) note_answer(node, from, echo);
}

static void elect_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    uint32_t first, count;
    int kind;
    int64_t term, value;
    peers_of(node, &first, &count);
    if (msg->traffic_class != MURPHY_CLASS_CONTROL || msg->source_node < first ||
        msg->source_node >= first + count || msg->source_node == murphy_node_index(node) ||
        count > ELECT_PEERS_MAX) {
        murphy_note(node, "a message not from a peer on the control class; rejected");
        return;
    }
    if (!elect_wire_decode(msg->payload, msg->payload_bytes, &kind, &term, &value)) {
        murphy_note(node, "malformed election message (length, padding, kind, term or"
                    " checksum); rejected");
        return;
    }
    switch (kind) {
    case MSG_VOTE_REQ: on_vote_req(node, msg->source_node, term, value); break;
    case MSG_VOTE: on_vote(node, msg->source_node, term, value); break;
    case MSG_BEAT: on_beat(node, msg->source_node, term, value); break;
    case MSG_BEAT_ACK: on_beat_ack(node, msg->source_node, term, value); break;
    default: murphy_note(node, "a store write sent to an election peer; rejected"); break;
    }
}

static void writer_on_start(struct murphy_node *node)
{
    elect_on_start(node);
    ((struct elect_volatile *)murphy_volatile(node))->is_writer = true;
}

static void writer_on_restart(struct murphy_node *node)
{
    elect_on_restart(node);
    ((struct elect_volatile *)murphy_volatile(node))->is_writer = true;
}

const struct murphy_model models_elect_node = {
    .api_version = MURPHY_API_VERSION,
    .name = "elect_node",
    .summary = "leader election by majority vote with a leader lease (naive: no votes)",
    .durable_bytes = sizeof(struct elect_durable),
    .volatile_bytes = sizeof(struct elect_volatile),
    .params = elect_params,
    .param_count = sizeof elect_params / sizeof elect_params[0],
    .on_start = elect_on_start,
    .on_message = elect_on_message,
    .on_timer = elect_on_timer,
    .on_restart = elect_on_restart,
};

const struct murphy_model models_elect_writer = {
    .api_version = MURPHY_API_VERSION,
    .name = "elect_writer",
    .summary = "elect_node whose every act is a write to a store, fenced by the term",
    .durable_bytes = sizeof(struct elect_durable),
    .volatile_bytes = sizeof(struct elect_volatile),
    .params = elect_writer_params,
    .param_count = sizeof elect_writer_params / sizeof elect_writer_params[0],
    .on_start = writer_on_start,
    .on_message = elect_on_message,
    .on_timer = elect_on_timer,
    .on_work_done = writer_on_work_done,
    .on_restart = writer_on_restart,
};
