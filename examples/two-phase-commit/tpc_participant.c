/* tpc_participant.c - a participant of two-phase commit.
 *
 *   PREPARE(txn) --on_prepare-->
 *       already waiting on another txn (it holds that one's locks): vote no
 *       else work for prepare_work (check constraints, force the log), then
 *   --on_work_done--> with probability abort_chance: vote no, decide abort at once
 *       else: log "prepared txn" (durable), claim tpc.prepared, vote yes, ask the
 *             coordinator every ask_every until the outcome arrives
 *   DECISION(txn) --on_decision--> for the txn we wait on: claim tpc.decide, stop waiting
 *   crash and restart --on_restart--> still prepared (durable): ask again
 *
 * Invariants:
 *   P1 once it voted yes, it decides only what the coordinator decided: it may not abort
 *      alone, since the coordinator may have decided commit on its vote (and told others);
 *   P2 it decides each transaction at most once (tpc.decide once per txn);
 *   P3 while prepared (durable) it votes no on any other transaction.
 * give_up_after > 0 breaks P1 on purpose: a participant that waited that long aborts on
 * its own. Shorter blocking, and a commit elsewhere that this node aborted: what the
 * oracle (tpc_oracle.c) calls an atomicity violation. */
#include <murphy/murphy.h>

#include "tpc.h"
#include "tpc_wire.h"

enum { TIMER_ASK = 1, TIMER_GIVE_UP = 2 }; /* tag = txn << 2 | kind */

struct part_durable {
    uint64_t prepared_txn; /* P3: the txn voted yes on and not yet decided; 0: none */
    uint64_t decided_txn;  /* P2: the newest txn decided here */
};

static const struct murphy_param_spec participant_params[] = {
    {"coordinator", MURPHY_PARAM_GROUP, NULL, 0, 0, "the coordinator (a group of one)"},
    {"abort_chance", MURPHY_PARAM_RATIO, "5%", 0, INT64_C(1000000000),
     "chance of voting no on a PREPARE"},
    {"prepare_work", MURPHY_PARAM_DIST, "exponential 20ms", 0, 0,
     "CPU time to prepare (check, force the log) before voting"},
    {"ask_every", MURPHY_PARAM_DURATION, "300ms", TPC_DURATION_NS_MIN, TPC_DURATION_NS_MAX,
     "while prepared, ask the coordinator for the outcome this often"},
    {"give_up_after", MURPHY_PARAM_DURATION, "0s", 0, TPC_DURATION_NS_MAX,
     "UNSAFE when > 0: abort alone after waiting this long (breaks atomicity)"},
};

static uint32_t coordinator(const struct murphy_node *node)
{
    uint32_t first, count;
    murphy_param_group(node, "coordinator", &first, &count);
    return first;
}

static void vote(struct murphy_node *node, uint64_t txn, bool is_yes)
{
    struct tpc_msg m = {TPC_VOTE, txn, is_yes};
    tpc_send(node, coordinator(node), &m);
}

static void decide(struct murphy_node *node, uint64_t txn, bool is_commit)
{
    struct part_durable *d = murphy_durable(node);
    if (txn <= d->decided_txn) return; /* P2 */
    d->decided_txn = txn;
    if (d->prepared_txn == txn) d->prepared_txn = 0;
    murphy_claim(node, TPC_CLAIM_DECIDE, (int64_t)txn, is_commit);
}

static void arm_timers(struct murphy_node *node, uint64_t txn)
{
    murphy_timer_set(node, murphy_param_i64(node, "ask_every"), txn << 2 | TIMER_ASK);
    int64_t give_up_ns = murphy_param_i64(node, "give_up_after");
    if (give_up_ns > 0) murphy_timer_set(node, give_up_ns, txn << 2 | TIMER_GIVE_UP);
}

static void on_prepare(struct murphy_node *node, uint64_t txn)
{
    const struct part_durable *d = murphy_durable(node);
    if (d->prepared_txn == txn) {
        vote(node, txn, true); /* asked again: say it again */
        return;
    }
    if (d->prepared_txn != 0 || txn <= d->decided_txn) {
        vote(node, txn, false); /* P3, or a PREPARE from the past */
        return;
    }
    murphy_work(node, murphy_param_sample_ns(node, "prepare_work"), txn);
}

/* Prepared (or not) for txn: the vote. */
static void on_work_done(struct murphy_node *node, uint64_t txn)
{
    struct part_durable *d = murphy_durable(node);
    if (d->prepared_txn != 0 || txn <= d->decided_txn) return; /* P3 */
    if (murphy_rand_chance(node, murphy_param_i64(node, "abort_chance"))) {
        decide(node, txn, false);
        vote(node, txn, false);
        return;
    }
    d->prepared_txn = txn;
    murphy_claim(node, TPC_CLAIM_PREPARED, (int64_t)txn, 0);
    vote(node, txn, true);
    arm_timers(node, txn);
}

static void on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct tpc_msg m;
    if (!tpc_decode(node, msg, &m)) return;
    if (msg->source_node != coordinator(node)) {
        murphy_note(node, "tpc: a message from someone other than the coordinator");
        return;
    }
    const struct part_durable *d = murphy_durable(node);
    if (m.kind == TPC_PREPARE) on_prepare(node, m.txn);
    else if (m.kind == TPC_DECISION && m.txn == d->prepared_txn) decide(node, m.txn, m.value);
    else if (m.kind != TPC_DECISION) murphy_note(node, "tpc: a participant got a vote or ask");
}

static void on_timer(struct murphy_node *node, uint64_t tag)
{
    const struct part_durable *d = murphy_durable(node);
    uint64_t txn = tag >> 2;
    if (txn == 0 || txn != d->prepared_txn) return; /* decided meanwhile */
    if ((tag & 3) == TIMER_ASK) {
        struct tpc_msg m = {TPC_ASK, txn, 0};
        tpc_send(node, coordinator(node), &m);
        murphy_timer_set(node, murphy_param_i64(node, "ask_every"), tag);
    } else {
        murphy_note(node, "tpc: waited give_up_after for the outcome; aborting alone (UNSAFE)");
        decide(node, txn, false);
    }
}

static void on_restart(struct murphy_node *node)
{
    const struct part_durable *d = murphy_durable(node);
    if (d->prepared_txn) arm_timers(node, d->prepared_txn); /* P1: still bound by our yes */
}

const struct murphy_model tpc_participant = {
    .api_version = MURPHY_API_VERSION,
    .name = "tpc_participant",
    .summary = "two-phase commit: a participant (examples/two-phase-commit)",
    .durable_bytes = sizeof(struct part_durable),
    .volatile_bytes = 0,
    .params = participant_params,
    .param_count = sizeof participant_params / sizeof participant_params[0],
    .on_start = NULL,
    .on_message = on_message,
    .on_timer = on_timer,
    .on_work_done = on_work_done,
    .on_restart = on_restart,
};
