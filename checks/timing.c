/* checks/timing.c - the oracle "timing": timeouts that fired far from their intended
 * duration, and periodic jobs that ran a slot twice or never, judged by true time.
 *
 * It reads the claims of models that time things (models/alarm.c):
 *   "timeout.start" (id, intended_ns)  "timeout.slack" (id, slack_ns)
 *   "timeout.fire"  (id, 0)            "job.run" (job id, slot)
 * keyed by (node, id). A timeout is judged when it fires, by the true time elapsed since
 * its start against the duration the model intended:
 *   early  elapsed < intended - tolerance
 *   late   elapsed > intended + tolerance + slack
 * tolerance = intended * 1000 ppm + 1 us. Why 1000 ppm: a clock that NTP accepts drifts
 * at most 500 ppm (ntpd gives up beyond it) and ntpd slews at most 500 ppm more, so a
 * timer kept by the monotonic clock is off by at most 1000 ppm of its length; 1 us covers
 * the kernel's rounding of local durations to true ns. slack is what the model declared
 * ("timeout.slack"): a deadline polled every tick fires up to one tick after it is due.
 * A clock step, which only the wall clock takes, is far outside both. A timeout still
 * open at the end of the run and already past intended + tolerance + slack never fired:
 * it counts as late. A crash forgets the node's open timeouts (the process that set
 * them is gone; its restart starts new ones).
 *
 * A job's runs must cover consecutive slots: a slot at or below the highest one already
 * run ran twice (a step back), and slots jumped over never ran (a step forward, or a
 * node paused past a boundary). Only the highest slot so far is kept per job.
 *
 * Violations name the start claim's seq (timeouts) or the earlier run's (jobs). Metrics:
 * timing.timeouts (judged), timing.early, timing.late, timing.job_runs, timing.job_twice
 * (runs of a slot already run), timing.job_never (slots skipped). Memory: one entry per
 * open timeout and one per job; ids at or above 2^48 are not followed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"
#include "sim/assert.h"
#include "sim/u64map.h"

#define TIMING_TOLERANCE_PPM INT64_C(1000)
#define TIMING_ROUNDING_NS INT64_C(1000)
#define TIMING_ID_LIMIT (INT64_C(1) << 48)

struct open_timeout {
    struct sim_event start;   /* the start claim, for the violation at the run's end */
    int64_t intended_ns;
    int64_t slack_ns;
};

struct job {
    int64_t max_slot;         /* highest slot run so far */
    uint64_t max_seq;         /* the claim that ran it */
};

struct timing_oracle {
    struct oracle_report report;
    struct sim_u64map timeouts; /* key(node, id) -> struct open_timeout */
    struct sim_u64map jobs;     /* key(node, job id) -> struct job */
    bool has_claims;
    uint64_t judged, early, late;
    uint64_t job_runs, job_twice, job_never;
};

/* Non-zero for every node and id below TIMING_ID_LIMIT; 0 for ids not followed. */
static uint64_t key_of(uint32_t node, int64_t id)
{
    if (id < 0 || id >= TIMING_ID_LIMIT || node >= 0xffffu) return 0;
    return ((uint64_t)(node + 1) << 48) | (uint64_t)id;
}

static uint32_t node_of_key(uint64_t key) { return (uint32_t)(key >> 48) - 1; }

/* intended * 1000 ppm + 1 us, without overflow for any intended >= 0 */
static int64_t tolerance_ns(int64_t intended_ns)
{
    return intended_ns / 1000000 * TIMING_TOLERANCE_PPM +
           intended_ns % 1000000 * TIMING_TOLERANCE_PPM / 1000000 + TIMING_ROUNDING_NS;
}

/* The latest true elapsed time that is not late; saturates instead of overflowing. */
static int64_t late_after_ns(const struct open_timeout *t)
{
    int64_t limit = t->intended_ns;
    int64_t parts[2] = {tolerance_ns(t->intended_ns), t->slack_ns};
    for (int i = 0; i < 2; i++)
        limit = parts[i] > INT64_MAX - limit ? INT64_MAX : limit + parts[i];
    return limit;
}

static void *timing_create(const struct oracle_report *report, const struct sim_scenario *scn)
{
    struct timing_oracle *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    (void)scn;
    o->report = *report;
    return o;
}

static void violation(struct timing_oracle *o, const struct sim_event *at, const char *text)
{
    o->report.violation(o->report.ctx, at, "timing", text);
}

static void on_start(struct timing_oracle *o, const struct sim_event *ev)
{
    int64_t intended_ns = (int64_t)ev->ref;
    uint64_t key = key_of(ev->node, (int64_t)ev->obj);
    if (!key || intended_ns < 0) return;
    struct open_timeout *t = calloc(1, sizeof *t);
    SIM_ASSERT(t != NULL);
    *t = (struct open_timeout){.start = *ev, .intended_ns = intended_ns};
    free(sim_u64map_take(&o->timeouts, key)); /* a restarted id replaces its old start */
    SIM_ASSERT(sim_u64map_put(&o->timeouts, key, t) == 0);
}

static void on_slack(struct timing_oracle *o, const struct sim_event *ev)
{
    struct open_timeout *t = sim_u64map_get(&o->timeouts, key_of(ev->node, (int64_t)ev->obj));
    int64_t slack_ns = (int64_t)ev->ref;
    if (t && slack_ns > 0) t->slack_ns = slack_ns;
}

static void on_fire(struct timing_oracle *o, const struct sim_event *ev)
{
    uint64_t key = key_of(ev->node, (int64_t)ev->obj);
    struct open_timeout *t = key ? sim_u64map_take(&o->timeouts, key) : NULL;
    if (!t) return; /* not started in our sight */
    int64_t elapsed_ns = ev->time_ns - t->start.time_ns;
    o->judged++;
    const char *how = NULL;
    if (elapsed_ns < t->intended_ns - tolerance_ns(t->intended_ns)) {
        how = "early";
        o->early++;
    } else if (elapsed_ns > late_after_ns(t)) {
        how = "late";
        o->late++;
    }
    if (how) {
        char text[256];
        snprintf(text, sizeof text,
                 "timeout %" PRIu64 " fired %s: %.3fs of true time after it started (seq %"
                 PRIu64 "), intended %.3fs (tolerance 1000ppm + 1us, slack %.3fs)",
                 ev->obj, how, (double)elapsed_ns / 1e9, t->start.seq,
                 (double)t->intended_ns / 1e9, (double)t->slack_ns / 1e9);
        violation(o, ev, text);
    }
    free(t);
}

static void on_job_run(struct timing_oracle *o, const struct sim_event *ev)
{
    uint64_t key = key_of(ev->node, (int64_t)ev->obj);
    if (!key) return;
    int64_t slot = (int64_t)ev->ref;
    o->job_runs++;
    struct job *j = sim_u64map_get(&o->jobs, key);
    if (!j) {
        j = calloc(1, sizeof *j);
        SIM_ASSERT(j != NULL);
        *j = (struct job){.max_slot = slot, .max_seq = ev->seq};
        SIM_ASSERT(sim_u64map_put(&o->jobs, key, j) == 0);
        return;
    }
    char text[256];
    if (slot <= j->max_slot) {
        o->job_twice++;
        snprintf(text, sizeof text,
                 "job %" PRIu64 " ran slot %" PRId64 " twice (slot %" PRId64
                 " already ran, at seq %" PRIu64 ")", ev->obj, slot, j->max_slot, j->max_seq);
        violation(o, ev, text);
        return;
    }
    uint64_t skipped = (uint64_t)slot - (uint64_t)j->max_slot - 1; /* exact: slot > max */
    if (skipped > 0) {
        o->job_never += skipped;
        char slots[64];
        if (skipped == 1) snprintf(slots, sizeof slots, "slot %" PRId64, slot - 1);
        else snprintf(slots, sizeof slots, "slots %" PRId64 "..%" PRId64, j->max_slot + 1, slot - 1);
        snprintf(text, sizeof text,
                 "job %" PRIu64 " never ran %s (%" PRIu64 " skipped between the run at seq %"
                 PRIu64 " and this one)", ev->obj, slots, skipped, j->max_seq);
        violation(o, ev, text);
    }
    j->max_slot = slot;
    j->max_seq = ev->seq;
}

struct forget_ctx {
    uint32_t node;
    uint64_t *keys;
    size_t count;
};

static void collect_node_keys(void *ctx, uint64_t key, void *value)
{
    (void)value;
    struct forget_ctx *f = ctx;
    if (node_of_key(key) == f->node) f->keys[f->count++] = key;
}

/* A crash: the node's open timeouts will never fire, and are no misfire. */
static void forget_node(struct timing_oracle *o, uint32_t node)
{
    if (o->timeouts.count == 0) return;
    struct forget_ctx f = {.node = node, .keys = calloc(o->timeouts.count, sizeof(uint64_t))};
    SIM_ASSERT(f.keys != NULL);
    sim_u64map_each_sorted(&o->timeouts, collect_node_keys, &f);
    for (size_t i = 0; i < f.count; i++) free(sim_u64map_take(&o->timeouts, f.keys[i]));
    free(f.keys);
}

static void timing_on_event(void *self, const struct sim_event *ev,
                            const struct sim_event_text *text)
{
    struct timing_oracle *o = self;
    if (ev->kind == SIM_EV_CRASH) {
        forget_node(o, ev->node);
        return;
    }
    const char *name = oracle_claim_name(ev, text);
    if (!name || ev->node == SIM_NODE_NONE) return;
    if (strcmp(name, "timeout.start") == 0) on_start(o, ev);
    else if (strcmp(name, "timeout.slack") == 0) on_slack(o, ev);
    else if (strcmp(name, "timeout.fire") == 0) on_fire(o, ev);
    else if (strcmp(name, "job.run") == 0) on_job_run(o, ev);
    else return;
    o->has_claims = true;
}

struct overdue_ctx {
    struct timing_oracle *o;
    int64_t end_ns;
};

static void judge_unfired(void *ctx, uint64_t key, void *value)
{
    (void)key;
    struct overdue_ctx *c = ctx;
    const struct open_timeout *t = value;
    int64_t elapsed_ns = c->end_ns - t->start.time_ns;
    if (elapsed_ns <= late_after_ns(t)) return; /* still within its time */
    c->o->judged++;
    c->o->late++;
    char text[256];
    snprintf(text, sizeof text,
             "timeout %" PRIu64 " never fired: %.3fs of true time after it started (seq %"
             PRIu64 ") the run ended, intended %.3fs", t->start.obj, (double)elapsed_ns / 1e9,
             t->start.seq, (double)t->intended_ns / 1e9);
    violation(c->o, &t->start, text);
}

static void timing_finish(void *self, int64_t end_ns)
{
    struct timing_oracle *o = self;
    if (!o->has_claims) return;
    struct overdue_ctx c = {o, end_ns};
    sim_u64map_each_sorted(&o->timeouts, judge_unfired, &c);
    const struct {
        const char *name;
        uint64_t value;
    } metrics[] = {
        {"timing.timeouts", o->judged},   {"timing.early", o->early},
        {"timing.late", o->late},         {"timing.job_runs", o->job_runs},
        {"timing.job_twice", o->job_twice}, {"timing.job_never", o->job_never},
    };
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        o->report.metric(o->report.ctx, metrics[i].name, (double)metrics[i].value, "count");
}

static void free_value(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

static void timing_destroy(void *self)
{
    struct timing_oracle *o = self;
    if (!o) return;
    sim_u64map_each_sorted(&o->timeouts, free_value, NULL);
    sim_u64map_each_sorted(&o->jobs, free_value, NULL);
    sim_u64map_free(&o->timeouts);
    sim_u64map_free(&o->jobs);
    free(o);
}

const struct oracle_def oracle_timing = {
    .name = "timing",
    .create = timing_create,
    .on_event = timing_on_event,
    .finish = timing_finish,
    .destroy = timing_destroy,
};
