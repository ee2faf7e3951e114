/* tests/checks/test_detector_oracle.c - proves that the detector oracle (checks/detector.c)
 * writes beside each suspicion the truth of the suspected node at that instant: crashed,
 * paused or up, and counts each. How: hand-made event streams fed to the oracle alone. */
#include <criterion/criterion.h>

#include "checks/detector.h"
#include "oracle_fixture.h"

static struct sim_event ev_of(enum sim_event_kind kind, int64_t time_ns, uint32_t node,
                              uint32_t peer)
{
    return (struct sim_event){.kind = (uint16_t)kind, .time_ns = time_ns, .node = node,
                              .peer = peer};
}

Test(detector_oracle, each_suspicion_is_annotated_with_the_truth)
{
    struct feed f;
    feed_open(&f, &oracle_detector, NULL);
    /* node 0 monitors nodes 1 and 2 */
    uint64_t s1 = feed_event(&f, ev_of(SIM_EV_SUSPECT, 10, 0, 1), NULL);
    cr_assert_eq(f.annotation_count, 1);
    cr_assert_eq(f.last_annotation_seq, s1);
    cr_assert_str_eq(f.last_annotation, "suspect_truth: up");
    feed_event(&f, ev_of(SIM_EV_PAUSE, 20, 2, SIM_NODE_NONE), NULL);
    feed_event(&f, ev_of(SIM_EV_SUSPECT, 30, 0, 2), NULL);
    cr_assert_str_eq(f.last_annotation, "suspect_truth: paused");
    feed_event(&f, ev_of(SIM_EV_RESUME, 40, 2, SIM_NODE_NONE), NULL);
    feed_event(&f, ev_of(SIM_EV_CRASH, 50, 1, SIM_NODE_NONE), NULL);
    feed_event(&f, ev_of(SIM_EV_SUSPECT, 60, 0, 1), NULL);
    cr_assert_str_eq(f.last_annotation, "suspect_truth: crashed");
    feed_event(&f, ev_of(SIM_EV_RESTART, 70, 1, SIM_NODE_NONE), NULL);
    feed_event(&f, ev_of(SIM_EV_SUSPECT, 80, 0, 2), NULL);
    cr_assert_str_eq(f.last_annotation, "suspect_truth: up"); /* resumed */
    cr_assert_eq(f.annotation_count, 4);
    cr_assert_eq(f.violation_count, 0, "a false suspicion is a cost, not a violation");
    feed_finish(&f, 100);
    cr_assert_eq(feed_metric(&f, "detector.truth_up"), 2.0);
    cr_assert_eq(feed_metric(&f, "detector.truth_paused"), 1.0);
    cr_assert_eq(feed_metric(&f, "detector.truth_crashed"), 1.0);
    feed_close(&f);
}

Test(detector_oracle, a_run_without_suspicions_reports_nothing)
{
    struct feed f;
    feed_open(&f, &oracle_detector, NULL);
    feed_event(&f, ev_of(SIM_EV_CRASH, 50, 1, SIM_NODE_NONE), NULL);
    feed_finish(&f, 100);
    cr_assert_eq(f.metric_count, 0);
    cr_assert_eq(f.annotation_count, 0);
    feed_close(&f);
}
