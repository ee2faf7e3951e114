/* checks/oracles.c - the set of oracles a run wires: one observer that hands every event
 * to each oracle in a fixed order, counts their violations and collects their metrics.
 * The list below is the only place an oracle is registered. */
#include "oracle.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "detector.h"
#include "elect.h"
#include "fence.h"
#include "lease.h"
#include "lww.h"
#include "names.h"
#include "om.h"
#include "public.h"
#include "sim/assert.h"
#include "stamps.h"
#include "timing.h"

static const struct oracle_def *const oracle_defs[] = {
    &oracle_timing,
    &oracle_lease,
    &oracle_lww,
    &oracle_names,
    &oracle_stamps,
    &oracle_cache,
    &oracle_detector,
    &oracle_elect,
    &oracle_fence,
    &oracle_om,
};
#define ORACLE_DEF_COUNT (sizeof oracle_defs / sizeof oracle_defs[0])

struct oracle_set {
    struct oracle_report outer;     /* where findings go */
    struct oracle_report counting;  /* what each oracle is given: counts, then forwards */
    void *selves[ORACLE_DEF_COUNT];
    struct public_oracles *library; /* the oracles of model libraries, after ours */
    uint64_t violation_count;
};

static void count_violation(void *ctx, const struct sim_event *at, const char *oracle,
                            const char *text)
{
    struct oracle_set *set = ctx;
    set->violation_count++;
    if (set->outer.violation) set->outer.violation(set->outer.ctx, at, oracle, text);
}

static void forward_metric(void *ctx, const char *name, double value, const char *unit)
{
    struct oracle_set *set = ctx;
    if (set->outer.metric) set->outer.metric(set->outer.ctx, name, value, unit);
}

static void forward_annotate(void *ctx, const struct sim_event *at, const char *kind,
                             const char *text)
{
    struct oracle_set *set = ctx;
    if (set->outer.annotate) set->outer.annotate(set->outer.ctx, at, kind, text);
}

struct oracle_set *oracle_set_create(const struct oracle_report *report,
                                     const struct sim_scenario *scn)
{
    struct oracle_set *set = calloc(1, sizeof *set);
    if (!set) return NULL;
    set->outer = *report;
    set->counting =
        (struct oracle_report){set, count_violation, forward_metric, forward_annotate};
    for (size_t i = 0; i < ORACLE_DEF_COUNT; i++) {
        set->selves[i] = oracle_defs[i]->create(&set->counting, scn);
        if (!set->selves[i]) {
            oracle_set_destroy(set);
            return NULL;
        }
    }
    set->library = public_oracles_create(&set->counting, scn->models);
    if (!set->library) {
        oracle_set_destroy(set);
        return NULL;
    }
    return set;
}

void oracle_set_destroy(struct oracle_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < ORACLE_DEF_COUNT; i++)
        if (set->selves[i]) oracle_defs[i]->destroy(set->selves[i]);
    public_oracles_destroy(set->library);
    free(set);
}

static void on_event(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct oracle_set *set = ctx;
    for (size_t i = 0; i < ORACLE_DEF_COUNT; i++)
        if (set->selves[i]) oracle_defs[i]->on_event(set->selves[i], ev, text);
    public_oracles_on_event(set->library, ev, text);
}

struct sim_observer oracle_set_observer(struct oracle_set *set)
{
    return (struct sim_observer){set, on_event};
}

void oracle_set_finish(struct oracle_set *set, int64_t end_ns)
{
    for (size_t i = 0; i < ORACLE_DEF_COUNT; i++)
        if (set->selves[i] && oracle_defs[i]->finish) oracle_defs[i]->finish(set->selves[i], end_ns);
    public_oracles_finish(set->library, end_ns);
}

uint64_t oracle_set_violation_count(const struct oracle_set *set)
{
    return set->violation_count;
}

const char *oracle_claim_name(const struct sim_event *ev, const struct sim_event_text *text)
{
    if (ev->kind != SIM_EV_CLAIM) return NULL;
    SIM_ASSERT(text->s[0] != NULL); /* murphy_claim requires a name */
    return text->s[0];
}
