/* checks/om.c - the "om" oracle (see om.h): agreement and validity of oral messages among
 * the loyal generals, a decision from every loyal lieutenant, and the run's message and
 * rejection counts. Memory: one record per node of the scenario. */
#include "om.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OM_REJECT_CHECKSUM 2 /* models/om_general.c enum om_reject */

struct om_node_truth {
    bool is_general;  /* runs om_general */
    bool is_traitor;  /* a byzantine fault turned it */
    bool has_decided;
};

struct om_oracle_state {
    struct oracle_report report;
    const struct sim_scenario *scn;
    struct om_node_truth *nodes;
    uint32_t node_count;
    bool has_claims;
    bool has_plan;              /* a loyal general's plan to agree with is known */
    int64_t plan;
    uint64_t plan_seq;
    bool has_order;
    uint32_t commander;
    int64_t order;
    uint64_t order_seq;
    bool is_agreement_broken, is_validity_broken;
    uint64_t decisions, sends, rejects, rejects_checksum, corrupted, traitors;
    uint64_t last_corrupted_msg; /* a link's flip and an attacker's on one message (their
                                    events are adjacent) count as one corrupted message */
    struct sim_event last;      /* where an end-of-run violation is reported */
};

static void *om_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct om_oracle_state *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    o->node_count = scn->node_count;
    o->nodes = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->nodes);
    if (!o->nodes) {
        free(o);
        return NULL;
    }
    for (uint32_t g = 0; g < scn->group_count; g++) {
        const struct sim_group *group = &scn->groups[g];
        if (strcmp(group->model->name, "om_general") != 0) continue;
        for (uint32_t i = 0; i < group->node_count; i++)
            o->nodes[group->first_node + i].is_general = true;
    }
    return o;
}

static void om_destroy(void *self)
{
    struct om_oracle_state *o = self;
    if (!o) return;
    free(o->nodes);
    free(o);
}

static void violation(struct om_oracle_state *o, const struct sim_event *at, const char *text)
{
    o->report.violation(o->report.ctx, at, oracle_om.name, text);
}

/* A byzantine fault from the file: its nodes are traitors from now on. */
static void on_fault(struct om_oracle_state *o, const struct sim_event *ev)
{
    if (ev->aux != SIM_FAULT_BYZANTINE || ev->obj >= o->scn->fault_count) return;
    const struct sim_node_set *set = &o->scn->faults[ev->obj].a;
    for (uint32_t i = 0; i < o->node_count; i++)
        if (sim_node_set_has(set, i) && !o->nodes[i].is_traitor) {
            o->nodes[i].is_traitor = true;
            o->traitors++;
        }
}

static void on_decide(struct om_oracle_state *o, const struct sim_event *ev, int64_t value)
{
    struct om_node_truth *me = &o->nodes[ev->node];
    me->has_decided = true;
    o->decisions++;
    char mine[SIM_NAME_BYTES_MAX], text[512];
    sim_scn_node_name(o->scn, ev->node, mine, sizeof mine);
    if (o->has_plan && value != o->plan) {
        o->is_agreement_broken = true;
        snprintf(text, sizeof text, "agreement: loyal %s decided %s while a loyal general's plan "
                 "was %s (seq %" PRIu64 ")", mine, value ? "attack" : "retreat",
                 o->plan ? "attack" : "retreat", o->plan_seq);
        violation(o, ev, text);
    }
    bool is_commander_loyal = o->has_order && !o->nodes[o->commander].is_traitor;
    if (is_commander_loyal && value != o->order) {
        o->is_validity_broken = true;
        snprintf(text, sizeof text, "validity: loyal %s decided %s, the loyal commander ordered "
                 "%s (seq %" PRIu64 ")", mine, value ? "attack" : "retreat",
                 o->order ? "attack" : "retreat", o->order_seq);
        violation(o, ev, text);
    }
    if (!o->has_plan) {
        o->has_plan = true;
        o->plan = value;
        o->plan_seq = ev->seq;
    }
}

static void on_claim(struct om_oracle_state *o, const struct sim_event *ev, const char *name)
{
    if (ev->node >= o->node_count || o->nodes[ev->node].is_traitor) return;
    o->has_claims = true;
    int64_t a = (int64_t)ev->obj;
    if (strcmp(name, "om.order") == 0) {
        o->has_order = true;
        o->commander = ev->node;
        o->order = a;
        o->order_seq = ev->seq;
        if (!o->has_plan) { /* condition A: a loyal commander's plan is its order */
            o->has_plan = true;
            o->plan = a;
            o->plan_seq = ev->seq;
        }
    } else if (strcmp(name, "om.decide") == 0) {
        on_decide(o, ev, a);
    } else if (strcmp(name, "om.reject") == 0) {
        o->rejects++;
        if (a == OM_REJECT_CHECKSUM) o->rejects_checksum++;
    }
}

static void om_on_event(void *self, const struct sim_event *ev,
                        const struct sim_event_text *text)
{
    struct om_oracle_state *o = self;
    o->last = *ev;
    switch (ev->kind) {
    case SIM_EV_FAULT: on_fault(o, ev); return;
    case SIM_EV_SEND: o->sends++; return;
    case SIM_EV_CORRUPT:
    case SIM_EV_ATTACK:
        if (ev->kind == SIM_EV_ATTACK && ev->aux != SIM_ATTACK_CORRUPT) return;
        if (ev->obj != o->last_corrupted_msg) o->corrupted++;
        o->last_corrupted_msg = ev->obj;
        return;
    case SIM_EV_CLAIM: break;
    default: return;
    }
    const char *name = oracle_claim_name(ev, text);
    if (!name || strncmp(name, "om.", 3) != 0) return;
    if (ev->kind == SIM_EV_CLAIM && strcmp(name, "om.order") == 0 && ev->node < o->node_count)
        o->commander = ev->node; /* even a traitor's order names the commander */
    on_claim(o, ev, name);
}

static void om_finish(void *self, int64_t end_ns)
{
    struct om_oracle_state *o = self;
    (void)end_ns;
    if (!o->has_claims) return;
    for (uint32_t i = 0; i < o->node_count; i++) {
        const struct om_node_truth *n = &o->nodes[i];
        if (!n->is_general || n->is_traitor || n->has_decided || i == o->commander) continue;
        char name[SIM_NAME_BYTES_MAX], text[256];
        sim_scn_node_name(o->scn, i, name, sizeof name);
        snprintf(text, sizeof text, "loyal lieutenant %s never decided", name);
        violation(o, &o->last, text);
    }
    if (!o->report.metric) return;
    struct { const char *name; double value; } metrics[] = {
        {"om.decisions", (double)o->decisions},
        {"om.agreement", o->is_agreement_broken ? 0.0 : 1.0},
        {"om.validity", o->is_validity_broken ? 0.0 : 1.0},
        {"om.sends", (double)o->sends},
        {"om.rejects", (double)o->rejects},
        {"om.rejects_checksum", (double)o->rejects_checksum},
        {"om.corrupted", (double)o->corrupted},
        {"om.traitors", (double)o->traitors},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        o->report.metric(o->report.ctx, metrics[i].name, metrics[i].value,
                         i == 1 || i == 2 ? "bool" : "count");
}

const struct oracle_def oracle_om = {
    .name = "om",
    .create = om_create,
    .on_event = om_on_event,
    .finish = om_finish,
    .destroy = om_destroy,
};
