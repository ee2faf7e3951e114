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
 * Lies count as writes too. A Byzantine writer (lww_client's byz_alter) stamps a write
 * later than its clock; its honest model never sees that write acknowledged, so no claim
 * tells of it. The kernel's LIE event does: its text says "stamped value V at ts X", and
 * the message it went out in (the event's obj) is applied by the replica when it is
 * delivered. From that DELIVER on, the lie is in the register exactly as an acknowledged
 * write is, so it becomes a floor like one; honest writes lost under it are counted
 * apart (lww.lost_to_lies) and their violation names the lie.
 *
 * Memory: the largest (ts, value id) acknowledged (or applied, for a lie) so far, for
 * each open write the largest one before its invoke (its floor), and each lie until its
 * message is delivered or dropped: O(1) per write or lie in flight. A write leaves at its
 * ack or its gave_up. At B's ack, B is lost iff floor > B. The violation is reported at
 * B's ack and names the event that made the write that beat it.
 *
 * Metrics (only if the run had lww claims): lww.acked, lww.lost; and only if it had lww
 * lies: lww.lies_delivered, lww.lost_to_lies. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lww.h"
#include "sim/assert.h"
#include "sim/event.h"
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
    uint64_t ack_seq;   /* the event of its acknowledgement (a lie: its DELIVER) */
    uint32_t writer;    /* the node that claimed the ack (a lie: the liar) */
    bool is_lie;
    uint64_t lie_seq;   /* a lie: its LIE event */
    uint32_t replica;   /* a lie: the node that applied it */
};

/* A lie on its way: value id and stamp from the LIE event's text. */
struct lie_write {
    int64_t ts_ns;
    uint64_t value_id;
    uint32_t writer;
    uint64_t lie_seq;
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
    struct sim_u64map lies;   /* msg id -> struct lie_write, until delivered or dropped */
    bool has_lies;
    uint64_t acked;
    uint64_t lost;
    uint64_t lies_delivered;
    uint64_t lost_to_lies;
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
    sim_u64map_each_sorted(&o->lies, free_open, NULL);
    sim_u64map_free(&o->lies);
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

/* B (ts_ns, value_id), acknowledged at ev, is under its floor: report it. */
static void report_lost(struct lww_oracle *o, const struct sim_event *ev,
                        const struct open_write *w, int64_t ts_ns, uint64_t value_id)
{
    const struct acked_write *f = &w->floor;
    char text[640], name[SIM_NAME_BYTES_MAX + 16], floor_name[SIM_NAME_BYTES_MAX + 16];
    char replica[SIM_NAME_BYTES_MAX + 16];
    double later_ms = ((double)f->ts_ns - (double)ts_ns) / 1e6;
    o->lost++;
    sim_scn_node_name(o->scn, ev->node, name, sizeof name);
    sim_scn_node_name(o->scn, f->writer, floor_name, sizeof floor_name);
    if (f->is_lie) {
        o->lost_to_lies++;
        sim_scn_node_name(o->scn, f->replica, replica, sizeof replica);
        snprintf(text, sizeof text,
                 "%s's acknowledged write %" PRIu64 " (ts %" PRId64 ") is lost to a lie: %s"
                 " stamped its write %" PRIu64 " at ts %" PRId64 " (%.3f ms later) at seq %"
                 PRIu64 ", applied by %s at seq %" PRIu64 ", before this one was invoked at"
                 " seq %" PRIu64, name, value_id, ts_ns, floor_name, f->value_id, f->ts_ns,
                 later_ms, f->lie_seq, replica, f->ack_seq, w->invoke_seq);
    } else {
        snprintf(text, sizeof text,
                 "%s's acknowledged write %" PRIu64 " (ts %" PRId64 ") is lost: %s's write %"
                 PRIu64 " (ts %" PRId64 ", stamped %.3f ms later) was acknowledged at seq %"
                 PRIu64 ", before this one was invoked at seq %" PRIu64,
                 name, value_id, ts_ns, floor_name, f->value_id, f->ts_ns, later_ms,
                 f->ack_seq, w->invoke_seq);
    }
    o->report.violation(o->report.ctx, ev, "lww", text);
}

/* A write is in the register from now on (acknowledged, or a lie applied): the floor of
 * every write invoked after this moves up to it if it is larger. */
static void raise_floor(struct lww_oracle *o, const struct acked_write *a)
{
    if (!o->has_acked || is_later(a->ts_ns, a->value_id, o->max_acked.ts_ns,
                                  o->max_acked.value_id))
        o->max_acked = *a;
    o->has_acked = true;
}

static void on_ack(struct lww_oracle *o, const struct sim_event *ev, int64_t ts_ns,
                   uint64_t value_id)
{
    struct open_write *w = sim_u64map_take(&o->open, value_id);
    o->acked++;
    if (w && w->has_floor && is_later(w->floor.ts_ns, w->floor.value_id, ts_ns, value_id))
        report_lost(o, ev, w, ts_ns, value_id);
    free(w);
    raise_floor(o, &(struct acked_write){.ts_ns = ts_ns, .value_id = value_id,
                                         .ack_seq = ev->seq, .writer = ev->node});
}

/* An `alter` lie whose said text is a writer's stamp: remembered by its message id. */
static void on_lie(struct lww_oracle *o, const struct sim_event *ev,
                   const struct sim_event_text *text)
{
    if (ev->aux != SIM_BYZ_ALTER || !text || !text->s[0]) return;
    const char *said = strstr(text->s[0], "; stamped value ");
    unsigned long long value_id = 0;
    long long ts_ns = 0;
    if (!said || sscanf(said, "; stamped value %llu at ts %lld", &value_id, &ts_ns) != 2)
        return; /* another model's lie */
    if (value_id == 0 || ev->obj == 0) return;
    struct lie_write *l = calloc(1, sizeof *l);
    SIM_ASSERT(l != NULL);
    *l = (struct lie_write){.ts_ns = (int64_t)ts_ns, .value_id = (uint64_t)value_id,
                            .writer = ev->node, .lie_seq = ev->seq};
    free(sim_u64map_take(&o->lies, ev->obj)); /* one lie per message: the last one holds */
    SIM_ASSERT(sim_u64map_put(&o->lies, ev->obj, l) == 0);
    o->has_lies = true;
}

/* The lie's message reached its replica, which applied it (if it was larger: a lie
 * stamped ahead always is, until a larger lie). */
static void on_lie_delivered(struct lww_oracle *o, const struct sim_event *ev,
                             struct lie_write *l)
{
    o->lies_delivered++;
    raise_floor(o, &(struct acked_write){.ts_ns = l->ts_ns, .value_id = l->value_id,
                                         .ack_seq = ev->seq, .writer = l->writer,
                                         .is_lie = true, .lie_seq = l->lie_seq,
                                         .replica = ev->node});
    free(l);
}

static void lww_on_event(void *self, const struct sim_event *ev,
                         const struct sim_event_text *text)
{
    struct lww_oracle *o = self;
    if (ev->kind == SIM_EV_LIE) {
        on_lie(o, ev, text);
        return;
    }
    if (o->has_lies && (ev->kind == SIM_EV_DELIVER || ev->kind == SIM_EV_DROP)) {
        struct lie_write *l = sim_u64map_take(&o->lies, ev->obj);
        if (l && ev->kind == SIM_EV_DELIVER) on_lie_delivered(o, ev, l);
        else free(l); /* lost on the way: it never reached a register */
        return;
    }
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
    if (!o->has_lies) return;
    o->report.metric(o->report.ctx, "lww.lies_delivered", (double)o->lies_delivered, "writes");
    o->report.metric(o->report.ctx, "lww.lost_to_lies", (double)o->lost_to_lies, "writes");
}

const struct oracle_def oracle_lww = {
    .name = "lww",
    .create = lww_create,
    .on_event = lww_on_event,
    .finish = lww_finish,
    .destroy = lww_destroy,
};
