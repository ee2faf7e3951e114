/* checks/lww.c - oracle "lww": acknowledged writes that last-write-wins silently lost.
 *
 * Writers claim "lww.invoke" (ts, value id) when a write starts, "lww.ack" (ts, value id)
 * when it is acknowledged and "lww.gave_up" when they stop waiting (models/lww_client.c).
 * An acknowledged write B is lost when some write A was acknowledged, in true time,
 * before B was even invoked, and A's (ts, value id) is larger: every replica that has A
 * keeps A over B, and since A was acknowledged first, no reader can ever be owed B's
 * value over A's, yet B was acknowledged. B did not overlap A (A was done before B began),
 * so no concurrency excuses it: the writers' clocks did.
 *
 * Memory: the largest (ts, value id) acknowledged so far, and for each open write the
 * largest one acknowledged before its invoke (its floor), O(1) per write in flight; a
 * write leaves at its ack or its gave_up. At B's ack, B is lost iff floor > B. The
 * violation is reported at B's ack and names the ack of the write that beat it.
 *
 * Metrics (only if the run had lww claims): lww.acked, lww.lost. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lww.h"
#include "sim/assert.h"
#include "sim/u64map.h"

/* (a_ts, a_id) > (b_ts, b_id): the register's order (ties of timestamp go to the larger
 * value id, whose high half is the writer), as models/lww_wire.h defines it. */
static bool is_later(int64_t a_ts_ns, uint64_t a_id, int64_t b_ts_ns, uint64_t b_id)
{
    if (a_ts_ns != b_ts_ns) return a_ts_ns > b_ts_ns;
    return a_id > b_id;
}

struct acked_write {
    int64_t ts_ns;
    uint64_t value_id;
    uint64_t ack_seq;   /* the event of its acknowledgement */
    uint32_t writer;    /* the node that claimed the ack */
};

struct open_write {
    bool has_floor;
    struct acked_write floor; /* the largest write acknowledged before this one's invoke */
    uint64_t invoke_seq;
};

struct lww_oracle {
    struct oracle_report report;
    const struct sim_scenario *scn; /* for node names; outlives the oracle */
    bool has_claims;
    bool has_acked;
    struct acked_write max_acked;
    struct sim_u64map open;   /* value id -> struct open_write */
    uint64_t acked;
    uint64_t lost;
};

static void *lww_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct lww_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    return o;
}

static void free_open(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

static void lww_destroy(void *self)
{
    struct lww_oracle *o = self;
    sim_u64map_each_sorted(&o->open, free_open, NULL);
    sim_u64map_free(&o->open);
    free(o);
}

static void on_invoke(struct lww_oracle *o, const struct sim_event *ev, uint64_t value_id)
{
    struct open_write *w = calloc(1, sizeof *w);
    SIM_ASSERT(w != NULL);
    *w = (struct open_write){.has_floor = o->has_acked, .floor = o->max_acked,
                             .invoke_seq = ev->seq};
    /* a value id claimed twice (a writer's bug) keeps the later floor */
    free(sim_u64map_take(&o->open, value_id));
    SIM_ASSERT(sim_u64map_put(&o->open, value_id, w) == 0);
}

static void on_ack(struct lww_oracle *o, const struct sim_event *ev, int64_t ts_ns,
                   uint64_t value_id)
{
    struct open_write *w = sim_u64map_take(&o->open, value_id);
    o->acked++;
    if (w && w->has_floor && is_later(w->floor.ts_ns, w->floor.value_id, ts_ns, value_id)) {
        o->lost++;
        char text[512], name[SIM_NAME_BYTES_MAX + 16], floor_name[SIM_NAME_BYTES_MAX + 16];
        sim_scn_node_name(o->scn, ev->node, name, sizeof name);
        sim_scn_node_name(o->scn, w->floor.writer, floor_name, sizeof floor_name);
        snprintf(text, sizeof text,
                 "%s's acknowledged write %" PRIu64 " (ts %" PRId64 ") is lost: %s's write %"
                 PRIu64 " (ts %" PRId64 ", stamped %.3f ms later) was acknowledged at seq %"
                 PRIu64 ", before this one was invoked at seq %" PRIu64,
                 name, value_id, ts_ns, floor_name, w->floor.value_id, w->floor.ts_ns,
                 ((double)w->floor.ts_ns - (double)ts_ns) / 1e6, w->floor.ack_seq, w->invoke_seq);
        o->report.violation(o->report.ctx, ev, "lww", text);
    }
    free(w);
    if (!o->has_acked || is_later(ts_ns, value_id, o->max_acked.ts_ns, o->max_acked.value_id))
        o->max_acked = (struct acked_write){ts_ns, value_id, ev->seq, ev->node};
    o->has_acked = true;
}

static void lww_on_event(void *self, const struct sim_event *ev,
                         const struct sim_event_text *text)
{
    struct lww_oracle *o = self;
    const char *name = oracle_claim_name(ev, text);
    if (!name || strncmp(name, "lww.", 4) != 0) return;
    o->has_claims = true;
    int64_t ts_ns = (int64_t)ev->obj;
    uint64_t value_id = ev->ref;
    if (value_id == 0) return; /* the map's empty key; writers never use it */
    if (strcmp(name, "lww.invoke") == 0) on_invoke(o, ev, value_id);
    else if (strcmp(name, "lww.ack") == 0) on_ack(o, ev, ts_ns, value_id);
    else if (strcmp(name, "lww.gave_up") == 0) free(sim_u64map_take(&o->open, value_id));
}

static void lww_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct lww_oracle *o = self;
    if (!o->has_claims) return;
    o->report.metric(o->report.ctx, "lww.acked", (double)o->acked, "writes");
    o->report.metric(o->report.ctx, "lww.lost", (double)o->lost, "writes");
}

const struct oracle_def oracle_lww = {
    .name = "lww",
    .create = lww_create,
    .on_event = lww_on_event,
    .finish = lww_finish,
    .destroy = lww_destroy,
};
