/* analysis/acc_lies.c - lies per policy and attacks per kind; see acc_lies.h. */
#include "acc_lies.h"

#include <stdio.h>
#include <stdlib.h>

struct acc_lies {
    bool has_any;
    uint64_t lies[SIM_BYZ_POLICY_COUNT];
    uint64_t attacks[SIM_ATTACK_KIND_COUNT];
};

static void *create(const struct an_run_shape *shape)
{
    (void)shape;
    return calloc(1, sizeof(struct acc_lies));
}

static void destroy(void *self) { free(self); }

static void on_event(void *self, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct acc_lies *a = self;
    (void)text;
    if (ev->kind == SIM_EV_LIE && ev->aux < SIM_BYZ_POLICY_COUNT) {
        a->lies[ev->aux]++;
        a->has_any = true;
    } else if (ev->kind == SIM_EV_ATTACK && ev->aux < SIM_ATTACK_KIND_COUNT) {
        a->attacks[ev->aux]++;
        a->has_any = true;
    }
}

static void finish(void *self, int64_t end_ns, const struct an_metric_sink *sink)
{
    struct acc_lies *a = self;
    (void)end_ns;
    if (!a->has_any) return;
    char name[64];
    uint64_t total = 0;
    for (unsigned p = 0; p < SIM_BYZ_POLICY_COUNT; p++) total += a->lies[p];
    sink->metric(sink->ctx, "lies.total", (double)total, "count");
    for (unsigned p = 0; p < SIM_BYZ_POLICY_COUNT; p++) {
        snprintf(name, sizeof name, "lies.%s", sim_byz_policy_name(p));
        sink->metric(sink->ctx, name, (double)a->lies[p], "count");
    }
    total = 0;
    for (unsigned k = 0; k < SIM_ATTACK_KIND_COUNT; k++) total += a->attacks[k];
    sink->metric(sink->ctx, "attacks.total", (double)total, "count");
    for (unsigned k = 0; k < SIM_ATTACK_KIND_COUNT; k++) {
        snprintf(name, sizeof name, "attacks.%s", sim_attack_kind_name(k));
        sink->metric(sink->ctx, name, (double)a->attacks[k], "count");
    }
}

const struct an_acc_def an_acc_lies = {
    .name = "lies",
    .create = create,
    .on_event = on_event,
    .finish = finish,
    .destroy = destroy,
};
