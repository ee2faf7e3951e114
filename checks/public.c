/* checks/public.c - the oracles of model libraries (see public.h). Each gets a zeroed
 * block of its declared state_bytes per run; a verdict is reported at the claim being
 * judged, or at the run's last event when given at the end. Changes nothing but what
 * oracles may change: violations and metrics. */
#include "public.h"

#include <stdlib.h>

#include "murphy/model.h"
#include "sim/assert.h"
#include "sim/oracle_host.h"

struct public_oracles {
    struct oracle_report report;
    const struct murphy_oracle *const *defs;
    size_t count;
    void **states;          /* one per oracle, state_bytes each (at least 1) */
    struct sim_event at;    /* the event verdicts are reported at */
};

static void on_violation(void *host, const struct murphy_oracle *def, const char *text)
{
    struct public_oracles *p = host;
    p->report.violation(p->report.ctx, &p->at, def->name, text);
}

static void on_metric(void *host, const struct murphy_oracle *def, const char *name,
                      double value, const char *unit)
{
    (void)def;
    struct public_oracles *p = host;
    if (p->report.metric) p->report.metric(p->report.ctx, name, value, unit);
}

struct public_oracles *public_oracles_create(const struct oracle_report *report,
                                             const struct murphy_model_set *set)
{
    struct public_oracles *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->report = *report;
    p->at.node = SIM_NODE_NONE;
    p->at.peer = SIM_NODE_NONE;
    if (!set || set->oracle_count == 0) return p;
    p->defs = set->oracles;
    p->count = set->oracle_count;
    p->states = calloc(p->count, sizeof *p->states);
    for (size_t i = 0; p->states && i < p->count; i++) {
        /* registration (cli/model_libs.c) checked the version; here it is our invariant */
        SIM_ASSERT(p->defs[i]->api_version == MURPHY_API_VERSION);
        size_t bytes = p->defs[i]->state_bytes ? p->defs[i]->state_bytes : 1;
        p->states[i] = calloc(1, bytes);
        if (!p->states[i]) break;
    }
    bool is_complete = p->states != NULL;
    for (size_t i = 0; is_complete && i < p->count; i++) is_complete = p->states[i] != NULL;
    if (!is_complete) {
        public_oracles_destroy(p);
        return NULL;
    }
    return p;
}

void public_oracles_on_event(struct public_oracles *p, const struct sim_event *ev,
                             const struct sim_event_text *text)
{
    if (p->count == 0) return;
    p->at = *ev;
    const char *what = oracle_claim_name(ev, text);
    if (!what) return;
    struct murphy_claim_seen claim = {
        .seq = ev->seq, .true_ns = ev->time_ns, .node_index = ev->node, .what = what,
        .a = (int64_t)ev->obj, .b = (int64_t)ev->ref,
    };
    for (size_t i = 0; i < p->count; i++) {
        if (!p->defs[i]->on_claim) continue;
        struct murphy_oracle_ctx ctx = {p->defs[i], p, on_violation, on_metric};
        p->defs[i]->on_claim(p->states[i], &ctx, &claim);
    }
}

void public_oracles_finish(struct public_oracles *p, int64_t end_ns)
{
    for (size_t i = 0; i < p->count; i++) {
        if (!p->defs[i]->on_finish) continue;
        struct murphy_oracle_ctx ctx = {p->defs[i], p, on_violation, on_metric};
        p->defs[i]->on_finish(p->states[i], &ctx, end_ns);
    }
}

void public_oracles_destroy(struct public_oracles *p)
{
    if (!p) return;
    for (size_t i = 0; p->states && i < p->count; i++) free(p->states[i]);
    free(p->states);
    free(p);
}
