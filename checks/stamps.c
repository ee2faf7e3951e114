/* checks/stamps.c - oracle "stamps": writes stamped with bad time that were accepted.
 *
 * A member that acts on time claims "stamp.write" (ts, max_offset) when it stamps a write
 * with its wall clock, and "stamp.accepted" (ts, max_offset) when the store acknowledges
 * it (models/clock_guard.c). The stamp is bad when it is further than max_offset from true
 * time at the stamping event: |ts - reference| > max_offset, reference = wall_start +
 * the event's true time (what a perfect clock would have read; leap seconds aside). The
 * protocols of the cluster tolerate max_offset and no more, so every bad stamp accepted
 * is a violation, reported at the acceptance and naming the stamping event.
 * "guard.eject" claims are counted: the monitor's answer to bad time.
 *
 * Memory: one open stamp per node (a member has at most one write in flight; a newer
 * stamp replaces an abandoned one), so O(nodes), never O(run length).
 *
 * Metrics (only if the run had stamp or guard claims): stamps.accepted,
 * stamps.bad_accepted, stamps.worst_error_ns (the largest |ts - reference| accepted),
 * guard.ejects. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stamps.h"
#include "sim/assert.h"

struct open_stamp {
    bool is_open;
    int64_t ts_ns;
    uint64_t error_ns;  /* |ts - reference| at the stamping event */
    int64_t max_offset_ns;
    uint64_t write_seq;
};

struct stamps_oracle {
    struct oracle_report report;
    const struct sim_scenario *scn; /* for node names; outlives the oracle */
    int64_t wall_start_ns;
    uint32_t node_count;
    struct open_stamp *stamps; /* one per node */
    bool has_claims;
    uint64_t accepted;
    uint64_t bad_accepted;
    uint64_t worst_error_ns;
    uint64_t ejects;
};

static void *stamps_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct stamps_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->stamps = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->stamps);
    if (!o->stamps) {
        free(o);
        return NULL;
    }
    o->report = *report;
    o->scn = scn;
    o->wall_start_ns = scn->wall_start_ns;
    o->node_count = scn->node_count;
    return o;
}

static void stamps_destroy(void *self)
{
    struct stamps_oracle *o = self;
    free(o->stamps);
    free(o);
}

/* |a - b| for any two int64, exactly (the difference of two int64 fits a uint64). */
static uint64_t distance_ns(int64_t a, int64_t b)
{
    return a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
}

static void on_accepted(struct stamps_oracle *o, const struct sim_event *ev,
                        struct open_stamp *s)
{
    o->accepted++;
    if (s->error_ns > o->worst_error_ns) o->worst_error_ns = s->error_ns;
    if (s->error_ns <= (uint64_t)s->max_offset_ns) return;
    o->bad_accepted++;
    char text[400], name[SIM_NAME_BYTES_MAX + 16];
    sim_scn_node_name(o->scn, ev->node, name, sizeof name);
    snprintf(text, sizeof text,
             "%s's write stamped %.3f ms from true time (stamped at seq %" PRIu64
             ") was accepted; the cluster tolerates %.3f ms",
             name, (double)s->error_ns / 1e6, s->write_seq, (double)s->max_offset_ns / 1e6);
    o->report.violation(o->report.ctx, ev, "stamps", text);
}

static void stamps_on_event(void *self, const struct sim_event *ev,
                            const struct sim_event_text *text)
{
    struct stamps_oracle *o = self;
    const char *name = oracle_claim_name(ev, text);
    if (!name) return;
    bool is_stamp = strncmp(name, "stamp.", 6) == 0;
    if (!is_stamp && strncmp(name, "guard.", 6) != 0) return;
    o->has_claims = true;
    if (strcmp(name, "guard.eject") == 0) {
        o->ejects++;
        return;
    }
    if (!is_stamp) return;
    SIM_ASSERT(ev->node < o->node_count); /* claims come from nodes */
    struct open_stamp *s = &o->stamps[ev->node];
    int64_t ts_ns = (int64_t)ev->obj;
    int64_t max_offset_ns = (int64_t)ev->ref;
    if (strcmp(name, "stamp.write") == 0) {
        /* true time at this event, as a perfect wall clock reads it */
        int64_t reference_ns = o->wall_start_ns + ev->time_ns;
        *s = (struct open_stamp){.is_open = true, .ts_ns = ts_ns,
                                 .error_ns = distance_ns(ts_ns, reference_ns),
                                 .max_offset_ns = max_offset_ns < 0 ? 0 : max_offset_ns,
                                 .write_seq = ev->seq};
        return;
    }
    if (strcmp(name, "stamp.accepted") != 0) return;
    if (!s->is_open || s->ts_ns != ts_ns) return; /* an acceptance of no stamp we saw */
    on_accepted(o, ev, s);
    s->is_open = false;
}

static void stamps_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct stamps_oracle *o = self;
    if (!o->has_claims) return;
    o->report.metric(o->report.ctx, "stamps.accepted", (double)o->accepted, "writes");
    o->report.metric(o->report.ctx, "stamps.bad_accepted", (double)o->bad_accepted, "writes");
    o->report.metric(o->report.ctx, "stamps.worst_error_ns", (double)o->worst_error_ns, "ns");
    o->report.metric(o->report.ctx, "guard.ejects", (double)o->ejects, "nodes");
}

const struct oracle_def oracle_stamps = {
    .name = "stamps",
    .create = stamps_create,
    .on_event = stamps_on_event,
    .finish = stamps_finish,
    .destroy = stamps_destroy,
};
