/* checks/lease.c - the "lease" oracle (see lease.h): counts grants, accepted and refused
 * writes from the lease models' claims, and reports every lost update (an accepted write
 * whose base version is behind the store) as a violation naming the write in between,
 * and every accepted write whose token the lock has not granted (yet): a forged token,
 * which fencing cannot tell from a real one (lease.forged_accepted).
 * Memory: two fixed rings and one store entry per store node that ever claimed. */
#include "lease.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/assert.h"

_Static_assert((LEASE_ORACLE_RING & (LEASE_ORACLE_RING - 1)) == 0, "ring size: a power of 2");

struct grant_entry {
    int64_t token; /* 0: empty slot */
    uint32_t holder;
    uint64_t seq;
};

struct accept_entry {
    int64_t version; /* the version this write made; 0: empty slot */
    int64_t token;
    uint64_t seq;
};

struct store_truth {
    int64_t version; /* accepted writes so far */
    struct accept_entry accepts[LEASE_ORACLE_RING]; /* by version % ring */
};

struct lease_oracle_state {
    struct oracle_report report;
    const struct sim_scenario *scn;
    struct grant_entry grants[LEASE_ORACLE_RING];   /* by token % ring */
    struct store_truth **stores;                     /* by node; NULL until it claims */
    uint32_t node_count;
    bool has_claims;
    uint64_t grant_count, accept_count, reject_count, reject_read_count, conflict_count;
    int64_t max_granted;      /* tokens only increase (lease_server L2): the highest so far */
    uint64_t forged_count;
};

static void *lease_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct lease_oracle_state *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    o->node_count = scn->node_count;
    o->stores = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->stores);
    if (!o->stores) {
        free(o);
        return NULL;
    }
    return o;
}

static void lease_destroy(void *self)
{
    struct lease_oracle_state *o = self;
    if (!o) return;
    for (uint32_t i = 0; i < o->node_count; i++) free(o->stores[i]);
    free(o->stores);
    free(o);
}

static struct store_truth *store_of(struct lease_oracle_state *o, uint32_t node)
{
    SIM_ASSERT(node < o->node_count); /* claims come from nodes */
    if (!o->stores[node]) {
        o->stores[node] = calloc(1, sizeof *o->stores[node]);
        SIM_ASSERT(o->stores[node] != NULL);
    }
    return o->stores[node];
}

/* The holder of a token: its node's name, or false if the token is not (or no longer) in
 * the ring of recent grants. */
static bool holder_name(const struct lease_oracle_state *o, int64_t token, char *out,
                        size_t out_bytes, uint64_t *grant_seq)
{
    const struct grant_entry *g = &o->grants[(uint64_t)token & (LEASE_ORACLE_RING - 1)];
    if (token < 1 || g->token != token) return false;
    sim_scn_node_name(o->scn, g->holder, out, out_bytes);
    *grant_seq = g->seq;
    return true;
}

/* "client.1 (token 7, granted at seq 812)" or "an unknown holder (token 7)". */
static void describe_token(const struct lease_oracle_state *o, int64_t token, char *out,
                           size_t out_bytes)
{
    char name[SIM_NAME_BYTES_MAX + 16];
    uint64_t grant_seq = 0;
    if (holder_name(o, token, name, sizeof name, &grant_seq))
        snprintf(out, out_bytes, "%s (token %" PRId64 ", granted at seq %" PRIu64 ")", name,
                 token, grant_seq);
    else
        snprintf(out, out_bytes, "an unknown holder (token %" PRId64 ")", token);
}

static void on_grant(struct lease_oracle_state *o, const struct sim_event *ev)
{
    int64_t token = (int64_t)ev->ref;
    o->grant_count++;
    if (token > o->max_granted) o->max_granted = token;
    if (token < 1 || ev->obj >= o->node_count) return; /* nothing to name it by */
    o->grants[(uint64_t)token & (LEASE_ORACLE_RING - 1)] =
        (struct grant_entry){.token = token, .holder = (uint32_t)ev->obj, .seq = ev->seq};
}

static void report_conflict(struct lease_oracle_state *o, const struct sim_event *ev,
                            const struct store_truth *st, int64_t token, int64_t base_version)
{
    char writer[160], reader[SIM_NAME_BYTES_MAX + 16], other[160], between[320];
    uint64_t grant_seq = 0;
    describe_token(o, token, writer, sizeof writer);
    if (!holder_name(o, token, reader, sizeof reader, &grant_seq))
        snprintf(reader, sizeof reader, "it");
    int64_t first_between = base_version + 1; /* the first write this writer did not see */
    const struct accept_entry *a = &st->accepts[(uint64_t)first_between & (LEASE_ORACLE_RING - 1)];
    if (a->version == first_between) {
        describe_token(o, a->token, other, sizeof other);
        snprintf(between, sizeof between, "version %" PRId64 " had been written at seq %"
                 PRIu64 " by %s", first_between, a->seq, other);
    } else {
        snprintf(between, sizeof between, "version %" PRId64 " had been written (too long"
                 " ago to name the write)", first_between);
    }
    char text[1024];
    snprintf(text, sizeof text, "lost update: %s wrote on version %" PRId64 ", but %s after %s"
             " read it; the store was at version %" PRId64 ", so %" PRId64 " update(s) are"
             " lost: two clients wrote while both believed they held the lock", writer,
             base_version, between, reader, st->version, st->version - base_version);
    o->conflict_count++;
    o->report.violation(o->report.ctx, ev, oracle_lease.name, text);
}

static void on_accept(struct lease_oracle_state *o, const struct sim_event *ev)
{
    struct store_truth *st = store_of(o, ev->node);
    int64_t token = (int64_t)ev->obj, base_version = (int64_t)ev->ref;
    o->accept_count++;
    if (token > o->max_granted) {
        char text[256];
        o->forged_count++;
        snprintf(text, sizeof text, "the store accepted a write with token %" PRId64 ", which"
                 " the lock never granted (its highest grant so far is token %" PRId64 "):"
                 " a forged token, and every honest holder below it is now refused", token,
                 o->max_granted);
        o->report.violation(o->report.ctx, ev, oracle_lease.name, text);
    }
    if (base_version < st->version) {
        report_conflict(o, ev, st, token, base_version);
    } else if (base_version > st->version) {
        char text[256];
        snprintf(text, sizeof text, "the store accepted a write on version %" PRId64
                 ", which it had not reached (it was at %" PRId64 ")", base_version,
                 st->version);
        o->report.violation(o->report.ctx, ev, oracle_lease.name, text);
    }
    st->version++;
    st->accepts[(uint64_t)st->version & (LEASE_ORACLE_RING - 1)] =
        (struct accept_entry){.version = st->version, .token = token, .seq = ev->seq};
}

static void lease_on_event(void *self, const struct sim_event *ev,
                           const struct sim_event_text *text)
{
    struct lease_oracle_state *o = self;
    const char *name = oracle_claim_name(ev, text);
    if (!name) return;
    if (strcmp(name, "lease.grant") == 0) on_grant(o, ev);
    else if (strcmp(name, "store.accept") == 0) on_accept(o, ev);
    else if (strcmp(name, "store.reject") == 0) o->reject_count++;
    else if (strcmp(name, "store.reject_read") == 0) o->reject_read_count++;
    else return;
    o->has_claims = true;
}

static void lease_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct lease_oracle_state *o = self;
    if (!o->has_claims || !o->report.metric) return;
    o->report.metric(o->report.ctx, "lease.grants", (double)o->grant_count, "count");
    o->report.metric(o->report.ctx, "lease.writes_accepted", (double)o->accept_count, "count");
    o->report.metric(o->report.ctx, "lease.stale_rejected", (double)o->reject_count, "count");
    o->report.metric(o->report.ctx, "lease.stale_reads_rejected", (double)o->reject_read_count,
                     "count");
    o->report.metric(o->report.ctx, "lease.conflicts", (double)o->conflict_count, "count");
    o->report.metric(o->report.ctx, "lease.forged_accepted", (double)o->forged_count, "count");
}

const struct oracle_def oracle_lease = {
    .name = "lease",
    .create = lease_create,
    .on_event = lease_on_event,
    .finish = lease_finish,
    .destroy = lease_destroy,
};
