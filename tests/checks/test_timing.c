/* tests/checks/test_timing.c - the timing oracle judges timeouts by true time against
 * their intended duration with the documented tolerance (1000 ppm + 1 us, plus the
 * declared slack), and a periodic job's slots run twice or never.
 * How: synthetic claim streams (as models/alarm.c would make them) are fed to the oracle
 * through its definition by the shared fixture (oracle_fixture.h), whose report counts
 * violations and keeps the metrics and the last violation's text; each case sits just
 * inside and just outside a boundary. */
#include <criterion/criterion.h>

#include <string.h>

#include "checks/timing.h"

#include "oracle_fixture.h"

#define S INT64_C(1000000000)

static const char *const metric_names[6] = {
    "timing.timeouts", "timing.early", "timing.late",
    "timing.job_runs", "timing.job_twice", "timing.job_never",
};

/* Ends the run at end_ns and destroys the oracle; asserts it reported only metrics named
 * in metric_names. */
static void finish(struct feed *f, int64_t end_ns)
{
    feed_finish(f, end_ns);
    for (size_t i = 0; i < f->metric_count; i++) {
        size_t k = 0;
        while (k < 6 && strcmp(f->metric_name[i], metric_names[k]) != 0) k++;
        cr_assert_lt(k, 6u, "unexpected metric %s", f->metric_name[i]);
    }
    feed_close(f);
}

/* A timeout of 5 s started at 1 s and fired after elapsed_ns; returns violations. */
static int one_timeout(int64_t elapsed_ns, int64_t slack_ns, char *text, size_t text_bytes)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    feed_claim(&f, 0, 1 * S, "timeout.start", 1, 5 * S);
    if (slack_ns) feed_claim(&f, 0, 1 * S, "timeout.slack", 1, slack_ns);
    feed_claim(&f, 0, 1 * S + elapsed_ns, "timeout.fire", 1, 0);
    finish(&f, 100 * S);
    if (text) snprintf(text, text_bytes, "%s", f.last_text);
    return (int)f.violation_count;
}

Test(timing, tolerance_is_1000ppm_plus_1us_either_way)
{
    int64_t tolerance_ns = 5 * S / 1000 + 1000; /* 5 ms + 1 us */
    cr_assert_eq(one_timeout(5 * S, 0, NULL, 0), 0);
    cr_assert_eq(one_timeout(5 * S - tolerance_ns, 0, NULL, 0), 0, "at the early edge");
    cr_assert_eq(one_timeout(5 * S + tolerance_ns, 0, NULL, 0), 0, "at the late edge");
    char text[1024];
    cr_assert_eq(one_timeout(5 * S - tolerance_ns - 1, 0, text, sizeof text), 1);
    cr_assert(strstr(text, "fired early") != NULL, "%s", text);
    cr_assert_eq(one_timeout(5 * S + tolerance_ns + 1, 0, text, sizeof text), 1);
    cr_assert(strstr(text, "fired late") != NULL, "%s", text);
    /* 50 ppm fast, as a drifting monotonic clock makes it: well inside */
    cr_assert_eq(one_timeout(5 * S - 5 * S / 20000, 0, NULL, 0), 0);
}

Test(timing, declared_slack_extends_only_the_late_side)
{
    int64_t tolerance_ns = 5 * S / 1000 + 1000;
    int64_t tick_ns = S / 10;
    cr_assert_eq(one_timeout(5 * S + tolerance_ns + tick_ns, tick_ns, NULL, 0), 0);
    cr_assert_eq(one_timeout(5 * S + tolerance_ns + tick_ns + 1, tick_ns, NULL, 0), 1);
    cr_assert_eq(one_timeout(5 * S - tolerance_ns - 1, tick_ns, NULL, 0), 1,
                 "slack never excuses an early fire");
}

Test(timing, violation_names_the_start_claim)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    feed_claim(&f, 3, 0, "job.run", 1, 10); /* some other claim first, so the seq is not 0 */
    uint64_t start = feed_claim(&f, 3, 1 * S, "timeout.start", 7, 5 * S);
    uint64_t fire = feed_claim(&f, 3, 8 * S, "timeout.fire", 7, 0);
    cr_assert_eq(f.violation_count, 1);
    cr_assert_eq(f.last_seq, fire, "reported at the fire");
    char needle[64];
    snprintf(needle, sizeof needle, "(seq %llu)", (unsigned long long)start);
    cr_assert(strstr(f.last_text, needle) != NULL, "'%s' does not name %s", f.last_text,
              needle);
    cr_assert(strstr(f.last_text, "timeout 7 fired late: 7.000s") != NULL, "%s", f.last_text);
    finish(&f, 10 * S);
}

Test(timing, timeouts_are_matched_by_node_and_id)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    feed_claim(&f, 0, 0, "timeout.start", 1, 5 * S);
    feed_claim(&f, 1, 3 * S, "timeout.start", 1, 5 * S);
    feed_claim(&f, 1, 8 * S, "timeout.fire", 1, 0); /* node 1's: on time */
    feed_claim(&f, 0, 5 * S, "timeout.fire", 1, 0); /* node 0's: on time */
    feed_claim(&f, 2, 6 * S, "timeout.fire", 1, 0); /* never started in sight: ignored */
    finish(&f, 10 * S);
    cr_assert_eq(f.violation_count, 0, "%s", f.last_text);
    cr_assert_eq(feed_metric(&f, "timing.timeouts"), 2.0, "two timeouts judged");
}

Test(timing, an_overdue_timeout_that_never_fired_is_late_and_a_crash_forgets)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    uint64_t overdue = feed_claim(&f, 0, 0, "timeout.start", 1, 5 * S);
    feed_claim(&f, 1, 0, "timeout.start", 1, 5 * S);
    feed_claim(&f, 2, 8 * S, "timeout.start", 1, 5 * S); /* not yet due at the end */
    feed_event(&f, (struct sim_event){.time_ns = 1 * S, .node = 1, .peer = SIM_NODE_NONE,
                                      .kind = SIM_EV_CRASH}, NULL);
    finish(&f, 10 * S);
    cr_assert_eq(f.violation_count, 1, "only node 0's: node 1 crashed, node 2's is not due");
    cr_assert_eq(f.last_seq, overdue);
    cr_assert(strstr(f.last_text, "never fired") != NULL, "%s", f.last_text);
    cr_assert_eq(feed_metric(&f, "timing.late"), 1.0, "counted as late");
}

Test(timing, job_slots_twice_and_never)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    int64_t slots[] = {100, 101, 102, 100, 101, 102, 103, 106, 107, 107};
    for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
        feed_claim(&f, 0, (int64_t)i * S, "job.run", 1, slots[i]);
    feed_claim(&f, 0, 20 * S, "job.run", 2, 5); /* another job of the node: its own slots */
    feed_claim(&f, 1, 20 * S, "job.run", 1, 100); /* another node's job 1 */
    finish(&f, 30 * S);
    cr_assert_eq(f.metric_count, 6);
    cr_assert_eq(feed_metric(&f, "timing.job_runs"), 12.0, "runs");
    cr_assert_eq(feed_metric(&f, "timing.job_twice"), 4.0,
                 "twice: 100, 101, 102 after a step back, then 107");
    cr_assert_eq(feed_metric(&f, "timing.job_never"), 2.0, "never: 104 and 105");
    cr_assert_eq(f.violation_count, 5, "one per rerun and one per gap");
}

Test(timing, reports_nothing_without_claims)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    feed_claim(&f, 0, 0, "lease.granted", 1, 2);
    finish(&f, 10 * S);
    cr_assert_eq(f.metric_count, 0);
    cr_assert_eq(f.violation_count, 0);
}

Test(timing, ids_beyond_the_followed_range_are_ignored)
{
    struct feed f;
    feed_open(&f, &oracle_timing, NULL);
    feed_claim(&f, 0, 0, "timeout.start", INT64_C(1) << 48, 5 * S);
    feed_claim(&f, 0, 0, "timeout.start", -1, 5 * S);
    feed_claim(&f, 0, 0, "timeout.start", 9, -5 * S); /* a negative duration is nonsense */
    feed_claim(&f, 0, 1 * S, "timeout.fire", INT64_C(1) << 48, 0);
    feed_claim(&f, 0, 1 * S, "timeout.fire", 9, 0);
    finish(&f, 100 * S);
    cr_assert_eq(f.violation_count, 0, "%s", f.last_text);
    cr_assert_eq(feed_metric(&f, "timing.timeouts"), 0.0);
}
