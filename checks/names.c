/* checks/names.c - oracle "names": a unique-name registry that gave one name to two
 * clients. The registry claims "name.accepted" (name id, client) on every OK it replies
 * (models/name_registry.c); the first client a name was accepted for owns it, and an
 * acceptance of the same name for another client is a violation that names both claims
 * (by seq). Clients claim "name.attempt" (name id, client) as they ask: counted, for the
 * liveness floor (accepted against attempts).
 *
 * Memory: one owner per name id, and name ids are bounded (1..NAME_POOL_MAX of
 * models/name_wire.h; larger ones are ignored): fixed, whatever the run's length.
 *
 * Metrics (only if the run had name claims): names.attempts, names.accepted (OK replies,
 * a client's repeat of its own name included), names.duplicates (acceptances for a
 * second client). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define NAMES_ID_MAX 1024u /* NAME_POOL_MAX of models/name_wire.h */

struct name_owner {
    bool is_taken;
    int64_t client;
    uint64_t claim_seq; /* the first acceptance */
};

struct names_oracle {
    struct oracle_report report;
    const struct sim_scenario *scn; /* for node names; outlives the oracle */
    bool has_claims;
    uint64_t attempts, accepted, duplicates;
    struct name_owner owners[NAMES_ID_MAX + 1];
};

static void *names_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct names_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    return o;
}

static void names_destroy(void *self) { free(self); }

static void client_name(const struct names_oracle *o, int64_t client, char *out, size_t bytes)
{
    if (client >= 0 && client <= UINT32_MAX) sim_scn_node_name(o->scn, (uint32_t)client, out, bytes);
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
}

static void names_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct names_oracle *o = self;
    if (!o->has_claims) return;
    o->report.metric(o->report.ctx, "names.attempts", (double)o->attempts, "registrations");
    o->report.metric(o->report.ctx, "names.accepted", (double)o->accepted, "registrations");
    o->report.metric(o->report.ctx, "names.duplicates", (double)o->duplicates, "names");
}

const struct oracle_def oracle_names = {
    .name = "names",
    .create = names_create,
    .on_event = names_on_event,
    .finish = names_finish,
    .destroy = names_destroy,
};
