/* tests/analysis/test_acc_detector.c - proves the detector-quality accumulator
 * (analysis/acc_detector.h) computes Chen, Toueg and Aguilera's measures exactly: hand-made
 * event streams with known crash, restart, pause and verdict times, and the expected
 * T_D, T_M, T_MR, P_A and counts worked out by hand in the comments. And that the exact
 * Poisson interval is Garwood's: 0 events in 1 day gives [0, -ln 0.025 = 3.689] per day. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/acc_detector.h"
#include "murphy/node.h"

#define S INT64_C(1000000000)
#define METRICS_MAX 32

struct got {
    char name[METRICS_MAX][64];
    double value[METRICS_MAX];
    size_t count;
};

static void collect(void *ctx, const char *name, double value, const char *unit)
{
    (void)unit;
    struct got *g = ctx;
    cr_assert_lt(g->count, (size_t)METRICS_MAX);
    snprintf(g->name[g->count], sizeof g->name[0], "%s", name);
    g->value[g->count++] = value;
}

static double metric(const struct got *g, const char *name)
{
    for (size_t i = 0; i < g->count; i++)
        if (strcmp(g->name[i], name) == 0) return g->value[i];
    cr_assert_fail("no metric %s", name);
    return 0.0;
}

static bool has_metric(const struct got *g, const char *name)
{
    for (size_t i = 0; i < g->count; i++)
        if (strcmp(g->name[i], name) == 0) return true;
    return false;
}

static void feed(void *acc, enum sim_event_kind kind, int64_t time_ns, uint32_t node,
                 uint32_t peer)
{
    struct sim_event ev = {.kind = (uint16_t)kind, .time_ns = time_ns, .node = node,
                           .peer = peer};
    if (kind == SIM_EV_DELIVER) ev.aux = MURPHY_CLASS_HEARTBEAT;
    struct sim_event_text text = {{NULL, NULL, NULL}};
    an_acc_detector.on_event(acc, &ev, &text);
}

static struct got finish(void *acc, int64_t end_ns)
{
    struct got g = {.count = 0};
    struct an_metric_sink sink = {&g, collect};
    an_acc_detector.finish(acc, end_ns, &sink);
    an_acc_detector.destroy(acc);
    return g;
}

/* Monitor 0, target 1, from 0 to 100 s:
 *   10 s suspect, 12 s trust        (mistake 1: 2 s)
 *   30 s pause, 31 s suspect, 34 s trust, 35 s resume (mistake 2 while paused: 3 s)
 *   50 s crash, 51 s suspect, 51.5 s trust, 52 s suspect (holds), 60 s restart
 *        T_D = 52 - 50 = 2 s (the first suspicion did not hold)
 *   61 s trust (1 s of suspicion of an up node after the restart, not a mistake)
 *   80 s crash, never suspected, the run ends at 100 s: undetected.
 * Up time: [0, 50) + [60, 80) = 70 s; suspected while up: 2 + 3 + 1 = 6 s; P_A = 64/70.
 * T_M = (2 + 3) / 2 = 2.5 s; T_MR = 31 - 10 = 21 s. */
Test(acc_detector, hand_made_stream_gives_exact_td_tm_tmr_pa)
{
    struct an_run_shape shape = {2, 100 * S};
    void *acc = an_acc_detector.create(&shape);
    cr_assert_not_null(acc);
    feed(acc, SIM_EV_DELIVER, 0, 0, 1);
    feed(acc, SIM_EV_SUSPECT, 10 * S, 0, 1);
    feed(acc, SIM_EV_TRUST, 12 * S, 0, 1);
    feed(acc, SIM_EV_PAUSE, 30 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_SUSPECT, 31 * S, 0, 1);
    feed(acc, SIM_EV_SUSPECT, 32 * S, 0, 1); /* no change: counts for nothing */
    feed(acc, SIM_EV_TRUST, 34 * S, 0, 1);
    feed(acc, SIM_EV_RESUME, 35 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_CRASH, 50 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_SUSPECT, 51 * S, 0, 1);
    feed(acc, SIM_EV_TRUST, 51 * S + S / 2, 0, 1);
    feed(acc, SIM_EV_SUSPECT, 52 * S, 0, 1);
    feed(acc, SIM_EV_RESTART, 60 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_TRUST, 61 * S, 0, 1);
    feed(acc, SIM_EV_CRASH, 80 * S, 1, SIM_NODE_NONE);
    struct got g = finish(acc, 100 * S);
    cr_assert_eq(metric(&g, "detector.pairs"), 1.0);
    cr_assert_eq(metric(&g, "detector.crashes"), 2.0);
    cr_assert_eq(metric(&g, "detector.undetected"), 1.0);
    cr_assert_eq(metric(&g, "detector.mistakes"), 2.0);
    cr_assert_eq(metric(&g, "detector.mistakes_paused"), 1.0);
    cr_assert_eq(metric(&g, "detector.td_mean_ns"), 2e9);
    cr_assert_eq(metric(&g, "detector.td_max_ns"), 2e9);
    cr_assert_eq(metric(&g, "detector.tm_mean_ns"), 2.5e9);
    cr_assert_eq(metric(&g, "detector.tmr_mean_ns"), 21e9);
    cr_assert_float_eq(metric(&g, "detector.pa"), 64.0 / 70.0, 1e-15);
    cr_assert_float_eq(metric(&g, "detector.false_per_hour"), 2.0 / (70.0 / 3600.0), 1e-9);
    cr_assert_float_eq(metric(&g, "detector.false_per_day"), 2.0 / (70.0 / 86400.0), 1e-6);
}

/* A suspicion already on at the crash, kept: T_D = 0. A second monitor (node 2) detects the
 * same crash 3 s later; the crash counts once per pair. A mistake still open at the end
 * lasts until the end. */
Test(acc_detector, suspicion_held_through_the_crash_is_detection_time_zero)
{
    struct an_run_shape shape = {3, 20 * S};
    void *acc = an_acc_detector.create(&shape);
    feed(acc, SIM_EV_DELIVER, 0, 0, 1);
    feed(acc, SIM_EV_DELIVER, 0, 2, 1);
    feed(acc, SIM_EV_SUSPECT, 4 * S, 0, 1);  /* mistake: 4 s .. 5 s (the crash) */
    feed(acc, SIM_EV_CRASH, 5 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_SUSPECT, 8 * S, 2, 1);
    feed(acc, SIM_EV_RESTART, 10 * S, 1, SIM_NODE_NONE);
    feed(acc, SIM_EV_TRUST, 11 * S, 0, 1);
    feed(acc, SIM_EV_TRUST, 11 * S, 2, 1);
    feed(acc, SIM_EV_SUSPECT, 15 * S, 2, 1); /* mistake: 15 s .. the end at 20 s */
    struct got g = finish(acc, 20 * S);
    cr_assert_eq(metric(&g, "detector.pairs"), 2.0);
    cr_assert_eq(metric(&g, "detector.crashes"), 2.0);
    cr_assert_eq(metric(&g, "detector.undetected"), 0.0);
    cr_assert_eq(metric(&g, "detector.td_mean_ns"), 1.5e9); /* (0 + 3) / 2 */
    cr_assert_eq(metric(&g, "detector.td_max_ns"), 3e9);
    cr_assert_eq(metric(&g, "detector.mistakes"), 2.0);
    cr_assert_eq(metric(&g, "detector.tm_mean_ns"), 3e9); /* (1 + 5) / 2 */
    cr_assert(!has_metric(&g, "detector.tmr_mean_ns"), "one mistake per pair: no T_MR");
    /* up 15 s per pair; suspected while up: pair 0: 1 + 1 (10..11) = 2, pair 2: 1 + 5 = 6 */
    cr_assert_float_eq(metric(&g, "detector.pa"), 22.0 / 30.0, 1e-15);
}

Test(acc_detector, a_run_without_detectors_reports_nothing)
{
    struct an_run_shape shape = {2, S};
    void *acc = an_acc_detector.create(&shape);
    feed(acc, SIM_EV_CRASH, 5, 1, SIM_NODE_NONE);
    struct got g = finish(acc, S);
    cr_assert_eq(g.count, 0);
}

/* Garwood's exact interval: k = 0 in exposure 1 gives [0, chi2_inv(0.975; 2) / 2]
 * = [0, -ln 0.025] = [0, 3.68888]; k = 10 in 1 gives [4.7954, 18.3904] (the standard
 * table of exact Poisson limits). */
Test(acc_detector, poisson_interval_is_garwoods)
{
    double lo, hi;
    an_poisson_rate_interval(0, 1.0, &lo, &hi);
    cr_assert_eq(lo, 0.0);
    cr_assert_float_eq(hi, -log(0.025), 1e-9);
    cr_assert_float_eq(hi, 3.689, 1e-3);
    an_poisson_rate_interval(10, 1.0, &lo, &hi);
    cr_assert_float_eq(lo, 4.7954, 1e-4);
    cr_assert_float_eq(hi, 18.3904, 1e-4);
    an_poisson_rate_interval(0, 0.5, &lo, &hi); /* half a day: twice the rate */
    cr_assert_float_eq(hi, 2.0 * -log(0.025), 1e-9);
}
