/* analysis/acc_detector.c - detector quality (T_D, T_M, T_MR, P_A, false-suspicion rate
 * with exact Poisson intervals); definitions in acc_detector.h. Time is integrated per
 * pair, interval by interval: every change of a pair's verdict or of its nodes' truth
 * first closes the interval since the pair's last change. */
#include "acc_detector.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

#include "murphy/node.h"
#include "sim/assert.h"
#include "sim/u64map.h"

#define NS_PER_HOUR 3.6e12
#define NS_PER_DAY 8.64e13

struct node_truth {
    bool is_crashed;
    bool is_paused;
};

struct pair {
    uint32_t monitor, target;
    int64_t last_ns;           /* the interval being integrated starts here */
    bool is_suspected;
    bool is_mistake;           /* the current suspicion began while the target was up */
    int64_t suspect_ns;        /* start of the current suspicion */
    bool has_mistake;          /* for T_MR */
    int64_t last_mistake_ns;
    bool is_crash_open;        /* the target is down: a T_D is being measured */
    int64_t crash_ns;
    bool has_detection;        /* the suspicion that started at detect_ns has held */
    int64_t detect_ns;
};

struct acc_detector {
    uint32_t node_count;
    struct node_truth *node;   /* node_count entries, grown if a node index exceeds it */
    struct pair **pairs;
    size_t pair_count, pair_cap;
    struct sim_u64map index;   /* monitor << 32 | target -> struct pair * */
    /* totals */
    uint64_t crashes, undetected, detected, mistakes, mistakes_paused;
    uint64_t mistakes_ended, recurrences;
    double td_sum_ns, td_max_ns, tm_sum_ns, tmr_sum_ns;
    double up_ns, up_trusted_ns;
};

void an_poisson_rate_interval(uint64_t k, double exposure, double *lower, double *upper)
{
    SIM_ASSERT(exposure > 0.0);
    double kd = (double)k;
    *lower = k == 0 ? 0.0 : gsl_cdf_chisq_Pinv(0.025, 2.0 * kd) / 2.0 / exposure;
    *upper = gsl_cdf_chisq_Pinv(0.975, 2.0 * kd + 2.0) / 2.0 / exposure;
}

static void *create(const struct an_run_shape *shape)
{
    struct acc_detector *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->node_count = shape->node_count ? shape->node_count : 1;
    a->node = calloc(a->node_count, sizeof *a->node);
    if (!a->node) {
        free(a);
        return NULL;
    }
    return a;
}

static void destroy(void *self)
{
    struct acc_detector *a = self;
    for (size_t i = 0; i < a->pair_count; i++) free(a->pairs[i]);
    free(a->pairs);
    sim_u64map_free(&a->index);
    free(a->node);
    free(a);
}

/* The truth of node n; NULL if it cannot be had (out of memory: the node is ignored). */
static struct node_truth *truth(struct acc_detector *a, uint32_t n)
{
    if (n == SIM_NODE_NONE) return NULL;
    if (n >= a->node_count) { /* a stream fed without its shape: grow */
        struct node_truth *grown = realloc(a->node, ((size_t)n + 1) * sizeof *grown);
        if (!grown) return NULL;
        for (uint32_t i = a->node_count; i <= n; i++) grown[i] = (struct node_truth){0};
        a->node = grown;
        a->node_count = n + 1;
    }
    return &a->node[n];
}

static struct pair *pair_of(struct acc_detector *a, uint32_t monitor, uint32_t target,
                            int64_t now_ns)
{
    if (!truth(a, monitor) || !truth(a, target) || monitor == target) return NULL;
    uint64_t key = (uint64_t)monitor << 32 | target;
    struct pair *p = sim_u64map_get(&a->index, key);
    if (p) return p;
    if (a->pair_count == a->pair_cap) {
        size_t cap = a->pair_cap ? 2 * a->pair_cap : 16;
        struct pair **grown = realloc(a->pairs, cap * sizeof *grown);
        if (!grown) return NULL;
        a->pairs = grown;
        a->pair_cap = cap;
    }
    p = calloc(1, sizeof *p);
    if (!p) return NULL;
    if (sim_u64map_put(&a->index, key, p) != 0) {
        free(p);
        return NULL;
    }
    *p = (struct pair){.monitor = monitor, .target = target, .last_ns = now_ns};
    if (a->node[target].is_crashed) { /* known first while down: its T_D runs from now */
        p->is_crash_open = true;
        p->crash_ns = now_ns;
    }
    a->pairs[a->pair_count++] = p;
    return p;
}

/* Integrates [p->last_ns, now_ns) under the state that held over it. */
static void advance(struct acc_detector *a, struct pair *p, int64_t now_ns)
{
    SIM_ASSERT(now_ns >= p->last_ns); /* the stream's times never decrease */
    double span_ns = (double)(now_ns - p->last_ns);
    p->last_ns = now_ns;
    if (a->node[p->monitor].is_crashed) return;
    if (a->node[p->target].is_crashed) return;
    a->up_ns += span_ns;
    if (!p->is_suspected) a->up_trusted_ns += span_ns;
}

static void end_mistake(struct acc_detector *a, struct pair *p, int64_t now_ns)
{
    if (!p->is_mistake) return;
    p->is_mistake = false;
    a->mistakes_ended++;
    a->tm_sum_ns += (double)(now_ns - p->suspect_ns);
}

static void on_suspect(struct acc_detector *a, struct pair *p, int64_t now_ns)
{
    if (p->is_suspected) return; /* only changes count */
    advance(a, p, now_ns);
    p->is_suspected = true;
    p->suspect_ns = now_ns;
    struct node_truth *t = &a->node[p->target];
    if (t->is_crashed) {
        if (p->is_crash_open) {
            p->has_detection = true;
            p->detect_ns = now_ns;
        }
        return;
    }
    p->is_mistake = true;
    a->mistakes++;
    if (t->is_paused) a->mistakes_paused++;
    if (p->has_mistake) {
        a->recurrences++;
        a->tmr_sum_ns += (double)(now_ns - p->last_mistake_ns);
    }
    p->has_mistake = true;
    p->last_mistake_ns = now_ns;
}

static void on_trust(struct acc_detector *a, struct pair *p, int64_t now_ns)
{
    if (!p->is_suspected) return;
    advance(a, p, now_ns);
    p->is_suspected = false;
    p->has_detection = false; /* that suspicion did not hold */
    end_mistake(a, p, now_ns);
}

/* The target's crash was followed by its restart or the end: T_D is known. */
static void close_crash(struct acc_detector *a, struct pair *p)
{
    if (!p->is_crash_open) return;
    p->is_crash_open = false;
    if (!p->has_detection) {
        a->undetected++;
        return;
    }
    double td_ns = (double)(p->detect_ns - p->crash_ns);
    a->detected++;
    a->td_sum_ns += td_ns;
    if (td_ns > a->td_max_ns) a->td_max_ns = td_ns;
    p->has_detection = false;
}

static void on_crash(struct acc_detector *a, uint32_t n, int64_t now_ns)
{
    struct node_truth *t = truth(a, n);
    if (!t || t->is_crashed) return;
    for (size_t i = 0; i < a->pair_count; i++) {
        struct pair *p = a->pairs[i];
        if (p->target != n && p->monitor != n) continue;
        advance(a, p, now_ns);
        if (p->target == n) {
            end_mistake(a, p, now_ns); /* from now on the suspicion is right */
            a->crashes++;
            p->is_crash_open = true;
            p->crash_ns = now_ns;
            p->has_detection = p->is_suspected;
            p->detect_ns = now_ns;
        } else { /* the monitor: it forgets its verdicts */
            end_mistake(a, p, now_ns);
            p->is_suspected = false;
            p->has_detection = false;
        }
    }
    t->is_crashed = true;
    t->is_paused = false;
}

static void on_restart(struct acc_detector *a, uint32_t n, int64_t now_ns)
{
    struct node_truth *t = truth(a, n);
    if (!t || !t->is_crashed) return;
    for (size_t i = 0; i < a->pair_count; i++) {
        struct pair *p = a->pairs[i];
        if (p->target != n && p->monitor != n) continue;
        advance(a, p, now_ns);
        if (p->target == n) close_crash(a, p);
    }
    t->is_crashed = false;
}

static void on_event(void *self, const struct sim_event *ev, const struct sim_event_text *text)
{
    (void)text;
    struct acc_detector *a = self;
    switch (ev->kind) {
    case SIM_EV_DELIVER:
        if (ev->aux == MURPHY_CLASS_HEARTBEAT) (void)pair_of(a, ev->node, ev->peer, ev->time_ns);
        return;
    case SIM_EV_SUSPECT:
    case SIM_EV_TRUST: {
        struct pair *p = pair_of(a, ev->node, ev->peer, ev->time_ns);
        if (!p) return;
        if (ev->kind == SIM_EV_SUSPECT) on_suspect(a, p, ev->time_ns);
        else on_trust(a, p, ev->time_ns);
        return;
    }
    case SIM_EV_CRASH: on_crash(a, ev->node, ev->time_ns); return;
    case SIM_EV_RESTART: on_restart(a, ev->node, ev->time_ns); return;
    case SIM_EV_PAUSE:
    case SIM_EV_RESUME: {
        struct node_truth *t = truth(a, ev->node);
        if (t && !t->is_crashed) t->is_paused = ev->kind == SIM_EV_PAUSE;
        return;
    }
    default: return;
    }
}

static void report_rate(const struct an_metric_sink *sink, const char *name, uint64_t k,
                        double exposure, const char *unit)
{
    char lo[64], hi[64];
    snprintf(lo, sizeof lo, "%s_lo", name);
    snprintf(hi, sizeof hi, "%s_hi", name);
    double lower, upper;
    an_poisson_rate_interval(k, exposure, &lower, &upper);
    sink->metric(sink->ctx, name, (double)k / exposure, unit);
    sink->metric(sink->ctx, lo, lower, unit);
    sink->metric(sink->ctx, hi, upper, unit);
}

static void finish(void *self, int64_t end_ns, const struct an_metric_sink *sink)
{
    struct acc_detector *a = self;
    if (a->pair_count == 0) return;
    for (size_t i = 0; i < a->pair_count; i++) { /* the end closes what is open */
        struct pair *p = a->pairs[i];
        advance(a, p, end_ns);
        end_mistake(a, p, end_ns);
        close_crash(a, p);
    }
    sink->metric(sink->ctx, "detector.pairs", (double)a->pair_count, "count");
    sink->metric(sink->ctx, "detector.crashes", (double)a->crashes, "count");
    sink->metric(sink->ctx, "detector.undetected", (double)a->undetected, "count");
    sink->metric(sink->ctx, "detector.mistakes", (double)a->mistakes, "count");
    sink->metric(sink->ctx, "detector.mistakes_paused", (double)a->mistakes_paused, "count");
    if (a->detected) {
        sink->metric(sink->ctx, "detector.td_mean_ns", a->td_sum_ns / (double)a->detected, "ns");
        sink->metric(sink->ctx, "detector.td_max_ns", a->td_max_ns, "ns");
    }
    if (a->mistakes_ended)
        sink->metric(sink->ctx, "detector.tm_mean_ns",
                     a->tm_sum_ns / (double)a->mistakes_ended, "ns");
    if (a->recurrences)
        sink->metric(sink->ctx, "detector.tmr_mean_ns",
                     a->tmr_sum_ns / (double)a->recurrences, "ns");
    if (a->up_ns > 0.0) {
        sink->metric(sink->ctx, "detector.pa", a->up_trusted_ns / a->up_ns, "ratio");
        report_rate(sink, "detector.false_per_hour", a->mistakes, a->up_ns / NS_PER_HOUR,
                    "per_hour");
        report_rate(sink, "detector.false_per_day", a->mistakes, a->up_ns / NS_PER_DAY,
                    "per_day");
    }
}

const struct an_acc_def an_acc_detector = {
    .name = "detector",
    .create = create,
    .on_event = on_event,
    .finish = finish,
    .destroy = destroy,
};
