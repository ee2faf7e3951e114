/* checks/names.c - oracle "names": a unique-name registry that gave one name to two
 * clients, or a fencing token that went backwards or came twice.
 *
 * Names. The registry claims "name.accepted" (name id, client) on every OK it replies
 * (models/name_registry.c); the first client a name was accepted for owns it, and an
 * acceptance of the same name for another client is a violation ("name N given twice")
 * that names both claims (by seq). Clients claim "name.attempt" (name id, client) as
 * they ask: counted, for the liveness floor (accepted against attempts).
 *
 * Tokens. A replica claims "name.proposed" (name id, token) when it proposes a token and
 * "name.granted" (name id, token) with the OK that hands it out. Per name, tokens must go
 * up over grants: a grant's token must be above every token of that name granted before
 * the proposal of it was made (its "floor"), and no token may be granted twice. That is
 * what a fencing token is for: a holder whose grant came after another's completed must
 * carry the higher token, or the resource would turn away the newer holder. Two grants
 * whose proposals overlapped in time are concurrent; their OKs may arrive in either order
 * (counted as names.token_reorders, no violation) but still not with one token. A
 * violation ("name N token T ...") names the earlier grant by seq. A grant of a token the
 * replica had not proposed (for that name, last) is a violation too: a token out of
 * nowhere.
 *
 * Memory: per name id an owner, a highest token and the last NAMES_RECENT grants (name
 * ids are bounded, 1..NAME_POOL_MAX of models/name_wire.h; larger ones are ignored); per
 * node that proposes, its last proposal per name id: fixed, whatever the run's length. A
 * grant whose proposal was overtaken by more than NAMES_RECENT grants of its name is
 * checked against its floor and the last NAMES_RECENT of them only, and one whose node's
 * table could not be allocated not at all: both counted as names.tokens_unchecked.
 *
 * Metrics (only if the run had name claims): names.attempts, names.accepted (OK replies,
 * a client's repeat of its own name included), names.duplicates (acceptances for a
 * second client); and if it had token claims: names.tokens_issued (grants),
 * names.token_regressions (grants at or below their floor, repeats, and tokens out of
 * nowhere: each a violation), names.token_reorders, names.tokens_unchecked. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define NAMES_ID_MAX 1024u /* NAME_POOL_MAX of models/name_wire.h */
#define NAMES_RECENT 16u   /* grants per name kept to find concurrent repeats */

struct name_owner {
    bool is_taken;
    int64_t client;
    uint64_t claim_seq; /* the first acceptance */
};

struct name_grant {
    uint64_t token;
    uint64_t claim_seq;
};

struct name_tokens {
    uint64_t highest;     /* the highest token granted; 0: none yet */
    uint64_t highest_seq; /* its grant */
    uint64_t grant_count; /* grants of this name so far: indexes `recent` */
    struct name_grant recent[NAMES_RECENT]; /* grant i at i % NAMES_RECENT */
};

struct name_proposal {
    bool is_open;             /* proposed, not yet granted */
    uint64_t token;
    uint64_t floor;           /* the highest token granted when it was proposed */
    uint64_t floor_seq;
    uint64_t grants_before;   /* grant_count of the name when it was proposed */
};

struct names_oracle {
    struct oracle_report report;
    const struct sim_scenario *scn; /* for node names; outlives the oracle */
    bool has_claims, has_tokens;
    uint64_t attempts, accepted, duplicates;
    uint64_t tokens_issued, token_regressions, token_reorders, tokens_unchecked;
    struct name_owner owners[NAMES_ID_MAX + 1];
    struct name_tokens tokens[NAMES_ID_MAX + 1];
    struct name_proposal **proposals; /* by node index, allocated on its first proposal */
    uint32_t node_count;
};

static void *names_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct names_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    o->node_count = scn->node_count;
    o->proposals = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->proposals);
    if (!o->proposals) {
        free(o);
        return NULL;
    }
    return o;
}

static void names_destroy(void *self)
{
    struct names_oracle *o = self;
    if (!o) return;
    for (uint32_t node = 0; node < o->node_count; node++) free(o->proposals[node]);
    free(o->proposals);
    free(o);
}

static void client_name(const struct names_oracle *o, int64_t client, char *out, size_t bytes)
{
    /* a claim's number comes from a model: a node only when it is one */
    if (client >= 0 && client < (int64_t)o->scn->node_count)
        sim_scn_node_name(o->scn, (uint32_t)client, out, bytes);
    else snprintf(out, bytes, "client %" PRId64, client);
}

static void on_accepted(struct names_oracle *o, const struct sim_event *ev, uint64_t name_id,
                        int64_t client)
{
    o->accepted++;
    struct name_owner *owner = &o->owners[name_id];
    if (!owner->is_taken) {
        *owner = (struct name_owner){.is_taken = true, .client = client, .claim_seq = ev->seq};
        return;
    }
    if (owner->client == client) return; /* the same client asking again */
    o->duplicates++;
    char text[512], first[SIM_NAME_BYTES_MAX + 16], second[SIM_NAME_BYTES_MAX + 16];
    char replica[SIM_NAME_BYTES_MAX + 16];
    client_name(o, owner->client, first, sizeof first);
    client_name(o, client, second, sizeof second);
    sim_scn_node_name(o->scn, ev->node, replica, sizeof replica);
    snprintf(text, sizeof text,
             "name %" PRIu64 " given twice: to %s (accepted at seq %" PRIu64 ") and now by %s"
             " to %s (seq %" PRIu64 ")",
             name_id, first, owner->claim_seq, replica, second, ev->seq);
    o->report.violation(o->report.ctx, ev, "names", text);
}

/* The last proposal of `node` for the name; NULL if the node is outside the scenario or
 * its table could not be allocated (then tokens are not checked: see names_finish). */
static struct name_proposal *proposal_of(struct names_oracle *o, uint32_t node,
                                         uint64_t name_id)
{
    if (node >= o->node_count) return NULL;
    if (!o->proposals[node]) {
        o->proposals[node] = calloc(NAMES_ID_MAX + 1, sizeof *o->proposals[node]);
        if (!o->proposals[node]) return NULL;
    }
    return &o->proposals[node][name_id];
}

static void on_proposed(struct names_oracle *o, const struct sim_event *ev, uint64_t name_id,
                        uint64_t token)
{
    struct name_proposal *p = proposal_of(o, ev->node, name_id);
    if (!p) return;
    const struct name_tokens *t = &o->tokens[name_id];
    *p = (struct name_proposal){.is_open = true, .token = token, .floor = t->highest,
                                .floor_seq = t->highest_seq, .grants_before = t->grant_count};
}

static void token_violation(struct names_oracle *o, const struct sim_event *ev,
                            uint64_t name_id, uint64_t token, const char *what)
{
    o->token_regressions++;
    char text[512], replica[SIM_NAME_BYTES_MAX + 16];
    sim_scn_node_name(o->scn, ev->node, replica, sizeof replica);
    snprintf(text, sizeof text, "name %" PRIu64 " token %" PRIu64 " granted by %s (seq %"
             PRIu64 "): %s", name_id, token, replica, ev->seq, what);
    o->report.violation(o->report.ctx, ev, "names", text);
}

/* Checks one grant against its proposal (see the file comment), then records it. */
static void on_granted(struct names_oracle *o, const struct sim_event *ev, uint64_t name_id,
                       uint64_t token)
{
    o->tokens_issued++;
    struct name_tokens *t = &o->tokens[name_id];
    struct name_proposal *p = proposal_of(o, ev->node, name_id);
    char what[256];
    if (!p) {
        o->tokens_unchecked++; /* no table for the node: recorded below, not checked */
    } else if (!p->is_open || p->token != token) {
        token_violation(o, ev, name_id, token, "not the token the replica last proposed");
    } else if (token <= p->floor) {
        snprintf(what, sizeof what, "%s token %" PRIu64 " granted at seq %" PRIu64
                 " before this one was proposed", token == p->floor ? "repeats" :
                 "goes back below", p->floor, p->floor_seq);
        token_violation(o, ev, name_id, token, what);
    } else {
        uint64_t since = t->grant_count - p->grants_before; /* grants while it was in flight */
        if (since > NAMES_RECENT) {
            o->tokens_unchecked++;
            since = NAMES_RECENT;
        }
        uint64_t repeat_seq = 0;
        bool is_repeat = false;
        for (uint64_t i = t->grant_count - since; i < t->grant_count && !is_repeat; i++) {
            const struct name_grant *g = &t->recent[i % NAMES_RECENT];
            if (g->token == token) {
                is_repeat = true;
                repeat_seq = g->claim_seq;
            }
        }
        if (is_repeat) {
            snprintf(what, sizeof what, "repeats the token of a concurrent grant at seq %"
                     PRIu64, repeat_seq);
            token_violation(o, ev, name_id, token, what);
        } else if (token < t->highest) {
            o->token_reorders++; /* concurrent with a higher grant, whose OK came first */
        }
    }
    if (p) p->is_open = false;
    t->recent[t->grant_count % NAMES_RECENT] = (struct name_grant){token, ev->seq};
    t->grant_count++;
    if (token > t->highest) {
        t->highest = token;
        t->highest_seq = ev->seq;
    }
}

static void names_on_event(void *self, const struct sim_event *ev,
                           const struct sim_event_text *text)
{
    struct names_oracle *o = self;
    const char *name = oracle_claim_name(ev, text);
    if (!name || strncmp(name, "name.", 5) != 0) return;
    o->has_claims = true;
    uint64_t name_id = (uint64_t)ev->obj;
    if (name_id == 0 || name_id > NAMES_ID_MAX) return; /* outside the registry's names */
    if (strcmp(name, "name.attempt") == 0) o->attempts++;
    else if (strcmp(name, "name.accepted") == 0) on_accepted(o, ev, name_id, (int64_t)ev->ref);
    else if (strcmp(name, "name.proposed") == 0 || strcmp(name, "name.granted") == 0) {
        o->has_tokens = true;
        if (ev->ref == 0) return; /* no token: a registry's claim the oracle cannot place */
        if (name[5] == 'p') on_proposed(o, ev, name_id, (uint64_t)ev->ref);
        else on_granted(o, ev, name_id, (uint64_t)ev->ref);
    }
}

static void names_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct names_oracle *o = self;
    if (!o->has_claims) return;
    o->report.metric(o->report.ctx, "names.attempts", (double)o->attempts, "registrations");
    o->report.metric(o->report.ctx, "names.accepted", (double)o->accepted, "registrations");
    o->report.metric(o->report.ctx, "names.duplicates", (double)o->duplicates, "names");
    if (!o->has_tokens) return;
    o->report.metric(o->report.ctx, "names.tokens_issued", (double)o->tokens_issued, "grants");
    o->report.metric(o->report.ctx, "names.token_regressions", (double)o->token_regressions,
                     "grants");
    o->report.metric(o->report.ctx, "names.token_reorders", (double)o->token_reorders,
                     "grants");
    o->report.metric(o->report.ctx, "names.tokens_unchecked",
                     (double)o->tokens_unchecked, "grants");
}

const struct oracle_def oracle_names = {
    .name = "names",
    .create = names_create,
    .on_event = names_on_event,
    .finish = names_finish,
    .destroy = names_destroy,
};
