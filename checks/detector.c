/* checks/detector.c - the truth beside each suspicion: when a detector suspects a node
 * (SUSPECT), this oracle annotates the event ("suspect_truth") with what the simulator
 * knows the suspected node was doing at that true instant: "crashed" (a right verdict),
 * "paused" (correct but stopped: GC, VM steal, a pause fault) or "up" (running: the
 * heartbeats were lost or late on the network). At the end it reports how many of each
 * (detector.truth_crashed, detector.truth_paused, detector.truth_up; count), so a test or
 * a sweep can tell a detector fooled by pauses from one fooled by the network.
 *
 * It judges nothing as a violation: a false suspicion is a detector's cost, not a bug.
 * Memory: two flags per node (the scenario's node count), whatever the run's length. */
#include "detector.h"

#include <stdbool.h>
#include <stdlib.h>

#include "sim/assert.h"

enum truth { TRUTH_UP, TRUTH_PAUSED, TRUTH_CRASHED, TRUTH_COUNT };

static const char *const truth_names[TRUTH_COUNT] = {"up", "paused", "crashed"};
static const char *const truth_metrics[TRUTH_COUNT] = {
    "detector.truth_up", "detector.truth_paused", "detector.truth_crashed"};

struct node_state {
    bool is_crashed, is_paused;
};

struct detector_oracle {
    struct oracle_report report;
    uint32_t node_count;
    struct node_state *node;
    uint64_t count[TRUTH_COUNT];
    bool has_suspicion;
};

static void *detector_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct detector_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->node_count = scn ? scn->node_count : 0;
    o->node = calloc(o->node_count ? o->node_count : 1, sizeof *o->node);
    if (!o->node) {
        free(o);
        return NULL;
    }
    return o;
}

/* Node n's state; grows the table for a stream fed without its scenario (tests). NULL if
 * out of memory (the node is then ignored). */
static struct node_state *state_of(struct detector_oracle *o, uint32_t n)
{
    if (n < o->node_count) return &o->node[n];
    if (n > UINT16_MAX) return NULL; /* SIM_NODES_MAX: not a node */
    struct node_state *grown = realloc(o->node, ((size_t)n + 1) * sizeof *grown);
    if (!grown) return NULL;
    for (uint32_t i = o->node_count; i <= n; i++) grown[i] = (struct node_state){0};
    o->node = grown;
    o->node_count = n + 1;
    return &o->node[n];
}

static void detector_destroy(void *self)
{
    struct detector_oracle *o = self;
    free(o->node);
    free(o);
}

static void detector_on_event(void *self, const struct sim_event *ev,
                              const struct sim_event_text *text)
{
    (void)text;
    struct detector_oracle *o = self;
    uint32_t n = ev->kind == SIM_EV_SUSPECT ? ev->peer : ev->node;
    if (n == SIM_NODE_NONE) return;
    struct node_state *s = state_of(o, n);
    if (!s) return;
    switch (ev->kind) {
    case SIM_EV_CRASH: s->is_crashed = true; s->is_paused = false; return;
    case SIM_EV_RESTART: s->is_crashed = false; return;
    case SIM_EV_PAUSE: s->is_paused = true; return;
    case SIM_EV_RESUME: s->is_paused = false; return;
    case SIM_EV_SUSPECT: {
        enum truth t = s->is_crashed ? TRUTH_CRASHED : s->is_paused ? TRUTH_PAUSED : TRUTH_UP;
        o->count[t]++;
        o->has_suspicion = true;
        if (o->report.annotate)
            o->report.annotate(o->report.ctx, ev, "suspect_truth", truth_names[t]);
        return;
    }
    default: return;
    }
}

static void detector_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct detector_oracle *o = self;
    if (!o->has_suspicion) return;
    for (int t = 0; t < TRUTH_COUNT; t++)
        o->report.metric(o->report.ctx, truth_metrics[t], (double)o->count[t], "count");
}

const struct oracle_def oracle_detector = {
    .name = "detector",
    .create = detector_create,
    .on_event = detector_on_event,
    .finish = detector_finish,
    .destroy = detector_destroy,
};
