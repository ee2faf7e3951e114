/* checks/elect.c - the "elect" oracle (see elect.h): one leader per term (violations),
 * leaders of different terms at once (counted), and the time to a leader after each heal.
 * Memory: one record per node of the scenario. */
#include "elect.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct elect_node_truth {
    bool is_leading;
    int64_t leading_term;
    uint64_t leader_seq;      /* its elect.leader claim */
    bool has_acted;
    int64_t act_term;         /* its last act's term */
    uint64_t act_seq;
    int64_t conflict_term;    /* the last term it was named in a violation for; -1 none */
};

struct elect_oracle_state {
    struct oracle_report report;
    const struct sim_scenario *scn;
    struct elect_node_truth *nodes;
    uint32_t node_count;
    uint32_t leading_count;   /* nodes believing they lead, now */
    bool has_claims;
    /* the heal being measured */
    bool has_pending_heal;
    int64_t heal_ns;
    bool had_leader_at_heal, was_leaderless_since_heal;
    uint64_t leader_count, act_count, conflict_count, overlap_count, heal_count;
    int64_t highest_term, leaderless_max_ns;
};

static void *elect_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct elect_oracle_state *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    o->node_count = scn->node_count;
    o->nodes = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->nodes);
    if (!o->nodes) {
        free(o);
        return NULL;
    }
    for (uint32_t i = 0; i < o->node_count; i++) o->nodes[i].conflict_term = -1;
    return o;
}

static void elect_destroy(void *self)
{
    struct elect_oracle_state *o = self;
    if (!o) return;
    free(o->nodes);
    free(o);
}

static void close_heal(struct elect_oracle_state *o, int64_t recovered_ns)
{
    if (!o->has_pending_heal) return;
    int64_t waited_ns = recovered_ns - o->heal_ns;
    if (waited_ns > o->leaderless_max_ns) o->leaderless_max_ns = waited_ns;
    o->has_pending_heal = false;
}

static void stop_leading(struct elect_oracle_state *o, uint32_t node)
{
    if (!o->nodes[node].is_leading) return;
    o->nodes[node].is_leading = false;
    o->leading_count--;
    if (o->leading_count == 0 && o->has_pending_heal) o->was_leaderless_since_heal = true;
}

static void report_pair(struct elect_oracle_state *o, const struct sim_event *ev, uint32_t other,
                        int64_t term, const char *my_deed, const char *their_deed,
                        uint64_t other_seq)
{
    struct elect_node_truth *me = &o->nodes[ev->node], *them = &o->nodes[other];
    if (me->conflict_term == term && them->conflict_term == term) return; /* said already */
    me->conflict_term = term;
    them->conflict_term = term;
    char mine[SIM_NAME_BYTES_MAX], theirs[SIM_NAME_BYTES_MAX], text[512];
    sim_scn_node_name(o->scn, ev->node, mine, sizeof mine);
    sim_scn_node_name(o->scn, other, theirs, sizeof theirs);
    snprintf(text, sizeof text, "two leaders in term %" PRId64 ": %s %s (seq %" PRIu64
             ") while %s %s (seq %" PRIu64 ")", term, mine, my_deed, ev->seq, theirs,
             their_deed, other_seq);
    o->conflict_count++;
    o->report.violation(o->report.ctx, ev, oracle_elect.name, text);
}

static void on_leader(struct elect_oracle_state *o, const struct sim_event *ev, int64_t term)
{
    o->leader_count++;
    if (term > o->highest_term) o->highest_term = term;
    for (uint32_t i = 0; i < o->node_count; i++) {
        const struct elect_node_truth *n = &o->nodes[i];
        if (i == ev->node || !n->is_leading) continue;
        if (n->leading_term == term) report_pair(o, ev, i, term, "became leader",
                                                 "believed it led since its claim", n->leader_seq);
        else o->overlap_count++;
    }
    struct elect_node_truth *me = &o->nodes[ev->node];
    if (!me->is_leading) o->leading_count++;
    me->is_leading = true;
    me->leading_term = term;
    me->leader_seq = ev->seq;
    close_heal(o, ev->time_ns);
}

static void on_act(struct elect_oracle_state *o, const struct sim_event *ev, int64_t term)
{
    o->act_count++;
    for (uint32_t i = 0; i < o->node_count; i++) {
        const struct elect_node_truth *n = &o->nodes[i];
        if (i != ev->node && n->has_acted && n->act_term == term)
            report_pair(o, ev, i, term, "acted", "had acted", n->act_seq);
    }
    struct elect_node_truth *me = &o->nodes[ev->node];
    me->has_acted = true;
    me->act_term = term;
    me->act_seq = ev->seq;
}

static void on_fault(struct elect_oracle_state *o, const struct sim_event *ev)
{
    if (ev->aux == SIM_FAULT_HEAL) {
        /* a heal while one is pending (heal after heal) restarts the measure from here */
        if (o->has_pending_heal) close_heal(o, ev->time_ns);
        o->heal_count++;
        o->has_pending_heal = true;
        o->heal_ns = ev->time_ns;
        o->had_leader_at_heal = o->leading_count > 0;
        o->was_leaderless_since_heal = false;
        return;
    }
    /* the next fault ends the measure: a leader that carried through counts 0 */
    if (o->has_pending_heal) {
        if (o->had_leader_at_heal && !o->was_leaderless_since_heal) o->has_pending_heal = false;
        else close_heal(o, ev->time_ns);
    }
}

static void elect_on_event(void *self, const struct sim_event *ev,
                           const struct sim_event_text *text)
{
    struct elect_oracle_state *o = self;
    if (ev->kind == SIM_EV_FAULT) {
        on_fault(o, ev);
        return;
    }
    if (ev->node >= o->node_count) return;
    if (ev->kind == SIM_EV_CRASH) {
        stop_leading(o, ev->node);
        return;
    }
    const char *name = oracle_claim_name(ev, text);
    if (!name || strncmp(name, "elect.", 6) != 0) return;
    int64_t term = (int64_t)ev->obj;
    if (strcmp(name, "elect.leader") == 0) on_leader(o, ev, term);
    else if (strcmp(name, "elect.act") == 0) on_act(o, ev, term);
    else if (strcmp(name, "elect.stepdown") == 0) stop_leading(o, ev->node);
    else return;
    o->has_claims = true;
}

static void elect_finish(void *self, int64_t end_ns)
{
    struct elect_oracle_state *o = self;
    if (o->has_pending_heal) {
        if (o->had_leader_at_heal && !o->was_leaderless_since_heal) o->has_pending_heal = false;
        else close_heal(o, end_ns);
    }
    if (!o->has_claims || !o->report.metric) return;
    struct { const char *name; double value; const char *unit; } metrics[] = {
        {"elect.leaders", (double)o->leader_count, "count"},
        {"elect.terms", (double)o->highest_term, "count"},
        {"elect.acts", (double)o->act_count, "count"},
        {"elect.conflicts", (double)o->conflict_count, "count"},
        {"elect.overlaps", (double)o->overlap_count, "count"},
        {"elect.heals", (double)o->heal_count, "count"},
        {"elect.leaderless_max_ns", (double)o->leaderless_max_ns, "ns"},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        o->report.metric(o->report.ctx, metrics[i].name, metrics[i].value, metrics[i].unit);
}

const struct oracle_def oracle_elect = {
    .name = "elect",
    .create = elect_create,
    .on_event = elect_on_event,
    .finish = elect_finish,
    .destroy = elect_destroy,
};
