/* tpc_coordinator.c - the coordinator of two-phase commit: one transaction at a time,
 * every `txn_interval`, over the `participants` group.
 *
 *   idle --on_next_txn--> voting: PREPARE to every participant, a vote timer
 *   voting --on_vote (all yes)--> decide(commit)
 *   voting --on_vote (a no) / vote timer--> decide(abort)
 *   decide: log the outcome (durable) BEFORE telling anyone, claim tpc.decide, send
 *           DECISION to every participant, next transaction after txn_interval
 *   crash while voting --on_restart--> decide(abort) ("presumed abort": nothing was
 *           logged, so nobody can have been told commit)
 *   any time: ASK(txn) --on_ask--> DECISION from the log, if decided
 *
 * Invariants:
 *   C1 a transaction's outcome is logged (durable) before any participant hears it, and
 *      never changes afterwards (so every DECISION for one txn says the same);
 *   C2 commit only with a yes vote from every participant of this transaction;
 *   C3 transaction numbers only grow, across crashes too (durable counter).
 * What it cannot do: a participant that voted yes must wait for this node. While the
 * coordinator is down, they wait: the blocking of two-phase commit. */
#include <stdio.h>
#include <string.h>

#include <murphy/murphy.h>

#include "tpc.h"
#include "tpc_wire.h"

#define TPC_LOG_SLOTS 256u /* outcomes kept to answer ASK; older ones are long known */

enum { TIMER_NEXT_TXN = 1, TIMER_VOTES = 2 }; /* tag = txn << 2 | kind */

struct coord_durable {
    uint64_t txn;            /* C3: the current (or last) transaction; 0 before the first */
    bool is_decided;         /* C1: the current transaction's outcome is logged */
    uint64_t op_id;          /* its client operation, completed at the decision */
    uint64_t logged_txn[TPC_LOG_SLOTS]; /* by txn % TPC_LOG_SLOTS */
    uint8_t logged_commit[TPC_LOG_SLOTS];
};

struct coord_volatile {
    uint64_t yes_votes[TPC_PARTICIPANTS_MAX / 64]; /* C2: by offset in the group */
    uint32_t yes_count;
};

static const struct murphy_param_spec coordinator_params[] = {
    {"participants", MURPHY_PARAM_GROUP, NULL, 0, 0, "the participants' group"},
    {"txn_interval", MURPHY_PARAM_DURATION, "200ms", TPC_DURATION_NS_MIN, TPC_DURATION_NS_MAX,
     "from one transaction's decision to the next's PREPARE"},
    {"vote_timeout", MURPHY_PARAM_DURATION, "500ms", TPC_DURATION_NS_MIN, TPC_DURATION_NS_MAX,
     "a vote missing this long aborts the transaction"},
};

static void participants(const struct murphy_node *node, uint32_t *first, uint32_t *count)
{
    murphy_param_group(node, "participants", first, count);
}

static void decide(struct murphy_node *node, bool is_commit)
{
    struct coord_durable *d = murphy_durable(node);
    if (d->is_decided) return; /* C1 */
    uint32_t slot = (uint32_t)(d->txn % TPC_LOG_SLOTS);
    d->logged_txn[slot] = d->txn;
    d->logged_commit[slot] = is_commit;
    d->is_decided = true;
    murphy_claim(node, TPC_CLAIM_DECIDE, (int64_t)d->txn, is_commit);
    uint32_t first, count;
    participants(node, &first, &count);
    struct tpc_msg m = {TPC_DECISION, d->txn, is_commit};
    for (uint32_t i = 0; i < count; i++) tpc_send(node, first + i, &m);
    murphy_op_complete(node, d->op_id, is_commit ? MURPHY_OP_OK : MURPHY_OP_FAIL,
                       is_commit ? "commit" : "abort");
    murphy_timer_set(node, murphy_param_i64(node, "txn_interval"), TIMER_NEXT_TXN);
}

static void on_next_txn(struct murphy_node *node)
{
    struct coord_durable *d = murphy_durable(node);
    struct coord_volatile *v = murphy_volatile(node);
    d->txn++;
    d->is_decided = false;
    memset(v, 0, sizeof *v);
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)d->txn);
    d->op_id = murphy_op_invoke(node, 0, "txn", key, NULL);
    uint32_t first, count;
    participants(node, &first, &count);
    struct tpc_msg m = {TPC_PREPARE, d->txn, 0};
    for (uint32_t i = 0; i < count; i++) tpc_send(node, first + i, &m);
    murphy_timer_set(node, murphy_param_i64(node, "vote_timeout"), d->txn << 2 | TIMER_VOTES);
}

static void on_start(struct murphy_node *node)
{
    uint32_t first, count;
    participants(node, &first, &count);
    if (count > TPC_PARTICIPANTS_MAX) {
        murphy_violation(node, "tpc: more participants than TPC_PARTICIPANTS_MAX");
        return;
    }
    murphy_timer_set(node, murphy_param_i64(node, "txn_interval"), TIMER_NEXT_TXN);
}

static void on_vote(struct murphy_node *node, const struct murphy_msg *msg,
                    const struct tpc_msg *m)
{
    struct coord_durable *d = murphy_durable(node);
    struct coord_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    participants(node, &first, &count);
    if (msg->source_node < first || msg->source_node >= first + count) {
        murphy_note(node, "tpc: a vote from outside the participants");
        return;
    }
    if (m->txn != d->txn || d->is_decided) return; /* late, or a duplicate */
    if (!m->value) {
        decide(node, false);
        return;
    }
    uint32_t offset = msg->source_node - first;
    uint64_t bit = UINT64_C(1) << (offset % 64);
    if (v->yes_votes[offset / 64] & bit) return; /* a duplicate counts once */
    v->yes_votes[offset / 64] |= bit;
    if (++v->yes_count == count) decide(node, true); /* C2 */
}

static void on_ask(struct murphy_node *node, const struct murphy_msg *msg,
                   const struct tpc_msg *m)
{
    const struct coord_durable *d = murphy_durable(node);
    uint32_t slot = (uint32_t)(m->txn % TPC_LOG_SLOTS);
    if (d->logged_txn[slot] != m->txn) return; /* undecided yet: the answer comes anyway */
    struct tpc_msg answer = {TPC_DECISION, m->txn, d->logged_commit[slot]};
    tpc_send(node, msg->source_node, &answer);
}

static void on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct tpc_msg m;
    if (!tpc_decode(node, msg, &m)) return;
    if (m.kind == TPC_VOTE) on_vote(node, msg, &m);
    else if (m.kind == TPC_ASK) on_ask(node, msg, &m);
    else murphy_note(node, "tpc: the coordinator got a message meant for participants");
}

static void on_timer(struct murphy_node *node, uint64_t tag)
{
    const struct coord_durable *d = murphy_durable(node);
    if (tag == TIMER_NEXT_TXN) on_next_txn(node);
    else if ((tag & 3) == TIMER_VOTES && tag >> 2 == d->txn) decide(node, false);
}

static void on_restart(struct murphy_node *node)
{
    const struct coord_durable *d = murphy_durable(node);
    /* presumed abort: an outcome not logged was told to nobody */
    if (d->txn > 0 && !d->is_decided) decide(node, false);
    else murphy_timer_set(node, murphy_param_i64(node, "txn_interval"), TIMER_NEXT_TXN);
}

const struct murphy_model tpc_coordinator = {
    .api_version = MURPHY_API_VERSION,
    .name = "tpc_coordinator",
    .summary = "two-phase commit: the coordinator (examples/two-phase-commit)",
    .durable_bytes = sizeof(struct coord_durable),
    .volatile_bytes = sizeof(struct coord_volatile),
    .params = coordinator_params,
    .param_count = sizeof coordinator_params / sizeof coordinator_params[0],
    .on_start = on_start,
    .on_message = on_message,
    .on_timer = on_timer,
    .on_restart = on_restart,
};
