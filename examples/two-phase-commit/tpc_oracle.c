/* tpc_oracle.c - the oracle "tpc": atomicity and blocking of two-phase commit, judged
 * from every node's claims (tpc_wire.h) with true time, which no single node can do.
 *
 *   A1 (atomicity) every tpc.decide of one transaction, by the coordinator or any
 *      participant, names the same outcome. A second outcome is a violation at its claim,
 *      naming the first by seq.
 *   Blocking: a participant is blocked from its tpc.prepared until its tpc.decide of that
 *      transaction (true time). The oracle measures the longest wait, and at the end
 *      counts the participants still waiting.
 * Metrics at the end, if any tpc claim was seen: tpc.decided (transactions with an
 * outcome), tpc.committed (of them, committed), tpc.atomicity_violations,
 * tpc.blocked_max_ns (the longest wait of a prepared participant, still-waiting ones
 * counted to the end of the run), tpc.blocked_at_end (participants prepared and never
 * told).
 *
 * Memory: fixed, in the state block murphy gives it: the last TXN_SLOTS transactions
 * (older ones are long decided) and NODES_MAX nodes (claims of nodes beyond that are not
 * judged). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <murphy/murphy.h>

#include "tpc.h"
#include "tpc_wire.h"

#define TXN_SLOTS 1024u
#define NODES_MAX 64u

struct txn_slot {
    uint64_t txn;          /* 0: empty */
    bool is_commit;        /* the first outcome claimed */
    uint64_t first_seq;    /* ... at this claim */
    uint32_t first_node;
    bool has_conflict;     /* reported once per transaction */
};

struct waiter {
    uint64_t txn;          /* prepared and not decided; 0: not waiting */
    int64_t since_ns;      /* true time of tpc.prepared */
};

struct tpc_state {
    bool has_claims;
    struct txn_slot txns[TXN_SLOTS];
    struct waiter nodes[NODES_MAX];
    uint64_t decided, committed, violations;
    int64_t blocked_max_ns;
};

static void on_decide(struct tpc_state *s, struct murphy_oracle_ctx *ctx,
                      const struct murphy_claim_seen *c)
{
    uint64_t txn = (uint64_t)c->a;
    bool is_commit = c->b != 0;
    if (c->node_index < NODES_MAX && s->nodes[c->node_index].txn == txn) {
        int64_t waited_ns = c->true_ns - s->nodes[c->node_index].since_ns;
        if (waited_ns > s->blocked_max_ns) s->blocked_max_ns = waited_ns;
        s->nodes[c->node_index].txn = 0;
    }
    struct txn_slot *t = &s->txns[txn % TXN_SLOTS];
    if (t->txn != txn) { /* the first outcome of txn (the slot's older txn is done) */
        *t = (struct txn_slot){txn, is_commit, c->seq, c->node_index, false};
        s->decided++;
        s->committed += is_commit;
        return;
    }
    if (t->is_commit == is_commit || t->has_conflict) return;
    t->has_conflict = true; /* A1 */
    s->violations++;
    char text[200];
    snprintf(text, sizeof text,
             "txn %" PRIu64 ": node %" PRIu32 " decided %s, but node %" PRIu32
             " decided %s at seq %" PRIu64, txn, c->node_index, is_commit ? "commit" : "abort",
             t->first_node, t->is_commit ? "commit" : "abort", t->first_seq);
    murphy_oracle_violation(ctx, text);
}

static void tpc_on_claim(void *state, struct murphy_oracle_ctx *ctx,
                         const struct murphy_claim_seen *c)
{
    struct tpc_state *s = state;
    if (strcmp(c->what, TPC_CLAIM_DECIDE) == 0) {
        s->has_claims = true;
        on_decide(s, ctx, c);
    } else if (strcmp(c->what, TPC_CLAIM_PREPARED) == 0) {
        s->has_claims = true;
        if (c->node_index < NODES_MAX)
            s->nodes[c->node_index] = (struct waiter){(uint64_t)c->a, c->true_ns};
    }
}

static void tpc_on_finish(void *state, struct murphy_oracle_ctx *ctx, int64_t end_ns)
{
    struct tpc_state *s = state;
    if (!s->has_claims) return;
    uint64_t blocked_at_end = 0;
    for (uint32_t i = 0; i < NODES_MAX; i++) {
        if (!s->nodes[i].txn) continue;
        blocked_at_end++;
        int64_t waited_ns = end_ns - s->nodes[i].since_ns;
        if (waited_ns > s->blocked_max_ns) s->blocked_max_ns = waited_ns;
    }
    murphy_oracle_metric(ctx, "tpc.decided", (double)s->decided, "txns");
    murphy_oracle_metric(ctx, "tpc.committed", (double)s->committed, "txns");
    murphy_oracle_metric(ctx, "tpc.atomicity_violations", (double)s->violations, "txns");
    murphy_oracle_metric(ctx, "tpc.blocked_max_ns", (double)s->blocked_max_ns, "ns");
    murphy_oracle_metric(ctx, "tpc.blocked_at_end", (double)blocked_at_end, "nodes");
}

const struct murphy_oracle tpc_atomicity = {
    .api_version = MURPHY_API_VERSION,
    .name = "tpc",
    .state_bytes = sizeof(struct tpc_state),
    .on_claim = tpc_on_claim,
    .on_finish = tpc_on_finish,
};
