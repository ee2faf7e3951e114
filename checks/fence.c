/* checks/fence.c - the "fence" oracle (see fence.h): writes of older terms applied after
 * newer ones, and two writers in one term. Memory: one record per node of the scenario. */
#include "fence.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fence_store {
    bool has_write;
    int64_t highest_term;      /* of the writes applied here */
    int64_t highest_writer;    /* the first writer of highest_term */
    uint64_t highest_seq;      /* its newest write's claim */
    uint64_t newest_term_writes;
};

struct fence_oracle {
    struct oracle_report report;
    const struct sim_scenario *scn; /* for node names; outlives the oracle */
    struct fence_store *stores;     /* by node index */
    uint32_t node_count;
    bool has_claims;
    uint64_t accepted, rejected, stale_accepted, same_term_writers, terms_written;
};

static void *fence_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct fence_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->report = *report;
    o->scn = scn;
    o->node_count = scn->node_count;
    o->stores = calloc(scn->node_count ? scn->node_count : 1, sizeof *o->stores);
    if (!o->stores) {
        free(o);
        return NULL;
    }
    return o;
}

static void fence_destroy(void *self)
{
    struct fence_oracle *o = self;
    if (!o) return;
    free(o->stores);
    free(o);
}

static void writer_name(const struct fence_oracle *o, int64_t writer, char *out, size_t bytes)
{
    if (writer >= 0 && writer < (int64_t)o->node_count)
        sim_scn_node_name(o->scn, (uint32_t)writer, out, bytes);
    else snprintf(out, bytes, "node %" PRId64, writer);
}

static void report(struct fence_oracle *o, const struct sim_event *ev, int64_t term,
                   int64_t writer, const char *what)
{
    const struct fence_store *s = &o->stores[ev->node];
    char store[SIM_NAME_BYTES_MAX], mine[SIM_NAME_BYTES_MAX + 16];
    char theirs[SIM_NAME_BYTES_MAX + 16], text[512];
    sim_scn_node_name(o->scn, ev->node, store, sizeof store);
    writer_name(o, writer, mine, sizeof mine);
    writer_name(o, s->highest_writer, theirs, sizeof theirs);
    snprintf(text, sizeof text, "%s applied a write of term %" PRId64 " from %s after %s"
             " wrote term %" PRId64 " (seq %" PRIu64 "): %s", store, term, mine, theirs,
             s->highest_term, s->highest_seq, what);
    o->report.violation(o->report.ctx, ev, oracle_fence.name, text);
}

static void on_accept(struct fence_oracle *o, const struct sim_event *ev, int64_t term,
                      int64_t writer)
{
    struct fence_store *s = &o->stores[ev->node];
    o->accepted++;
    if (s->has_write && term < s->highest_term) {
        o->stale_accepted++;
        report(o, ev, term, writer, "a deposed leader acted after its successor");
        return;
    }
    if (s->has_write && term == s->highest_term) {
        if (writer != s->highest_writer) {
            o->same_term_writers++;
            report(o, ev, term, writer, "two leaders acted in one term");
        }
        s->newest_term_writes++;
        s->highest_seq = ev->seq;
        return;
    }
    *s = (struct fence_store){.has_write = true, .highest_term = term, .highest_writer = writer,
                              .highest_seq = ev->seq, .newest_term_writes = 1};
    o->terms_written++;
}

static void fence_on_event(void *self, const struct sim_event *ev,
                           const struct sim_event_text *text)
{
    struct fence_oracle *o = self;
    const char *name = oracle_claim_name(ev, text);
    if (!name || strncmp(name, "fence.", 6) != 0 || ev->node >= o->node_count) return;
    if (strcmp(name, "fence.accept") == 0) on_accept(o, ev, (int64_t)ev->obj, (int64_t)ev->ref);
    else if (strcmp(name, "fence.reject") == 0) o->rejected++;
    else return;
    o->has_claims = true;
}

static void fence_finish(void *self, int64_t end_ns)
{
    (void)end_ns;
    struct fence_oracle *o = self;
    if (!o->has_claims || !o->report.metric) return;
    uint64_t newest = 0;
    for (uint32_t i = 0; i < o->node_count; i++) newest += o->stores[i].newest_term_writes;
    struct { const char *name; double value; } metrics[] = {
        {"fence.writes_accepted", (double)o->accepted},
        {"fence.writes_rejected", (double)o->rejected},
        {"fence.stale_accepted", (double)o->stale_accepted},
        {"fence.same_term_writers", (double)o->same_term_writers},
        {"fence.terms_written", (double)o->terms_written},
        {"fence.newest_term_writes", (double)newest},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        o->report.metric(o->report.ctx, metrics[i].name, metrics[i].value, "count");
}

const struct oracle_def oracle_fence = {
    .name = "fence",
    .create = fence_create,
    .on_event = fence_on_event,
    .finish = fence_finish,
    .destroy = fence_destroy,
};
