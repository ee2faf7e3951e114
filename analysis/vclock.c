/* analysis/vclock.c - vector clocks over a run (see vclock.h). */
#include "vclock.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/u64map.h"

/* The sender's clock at a send, kept until the message's last delivery (or its drop). */
struct in_flight {
    uint32_t deliveries_left; /* 1, plus 1 per duplicate */
    uint64_t clock[];
};

struct an_vclock {
    uint32_t node_count;
    uint64_t *clocks; /* node_count x node_count: clocks[n * node_count + m] */
    struct sim_u64map in_flight;
};

int an_vclock_create(uint32_t node_count, struct an_vclock **out)
{
    *out = NULL;
    if (node_count == 0 || node_count > AN_VCLOCK_NODES_MAX) return -1;
    struct an_vclock *vc = calloc(1, sizeof *vc);
    if (!vc) return -1;
    vc->node_count = node_count;
    vc->clocks = calloc((size_t)node_count * node_count, sizeof *vc->clocks);
    if (!vc->clocks) {
        free(vc);
        return -1;
    }
    *out = vc;
    return 0;
}

static void free_one(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

void an_vclock_free(struct an_vclock *vc)
{
    if (!vc) return;
    sim_u64map_each_sorted(&vc->in_flight, free_one, NULL);
    sim_u64map_free(&vc->in_flight);
    free(vc->clocks);
    free(vc);
}

/* Message ids start at 1; the map takes non-zero keys only. */
static uint64_t msg_key(uint64_t msg) { return msg ? msg : UINT64_MAX; }

const uint64_t *an_vclock_step(struct an_vclock *vc, const struct sim_event *ev, int *is_oom)
{
    if (ev->node >= vc->node_count) return NULL;
    uint32_t n = vc->node_count;
    uint64_t *mine = &vc->clocks[(size_t)ev->node * n];
    mine[ev->node]++;
    switch (ev->kind) {
    case SIM_EV_ENQUEUE: /* a message waiting in its sender's queue has been sent */
    case SIM_EV_SEND: {
        if (sim_u64map_get(&vc->in_flight, msg_key(ev->obj))) break; /* queued, now on the wire */
        struct in_flight *m = malloc(sizeof *m + n * sizeof m->clock[0]);
        if (!m || sim_u64map_put(&vc->in_flight, msg_key(ev->obj), m) != 0) {
            free(m);
            *is_oom = 1;
            break;
        }
        m->deliveries_left = 1;
        memcpy(m->clock, mine, n * sizeof *mine);
        break;
    }
    case SIM_EV_DUPLICATE: {
        struct in_flight *m = sim_u64map_get(&vc->in_flight, msg_key(ev->obj));
        if (m) m->deliveries_left++;
        break;
    }
    case SIM_EV_DROP:
    case SIM_EV_DELIVER: {
        struct in_flight *m = sim_u64map_get(&vc->in_flight, msg_key(ev->obj));
        if (!m) break; /* sent before the events read (never, in a whole run) */
        if (ev->kind == SIM_EV_DELIVER)
            for (uint32_t i = 0; i < n; i++)
                if (m->clock[i] > mine[i] && i != ev->node) mine[i] = m->clock[i];
        assert(m->deliveries_left > 0);
        if (--m->deliveries_left == 0) free(sim_u64map_take(&vc->in_flight, msg_key(ev->obj)));
        break;
    }
    default: break;
    }
    return mine;
}
