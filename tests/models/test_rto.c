/* tests/models/test_rto.c - models/rto.h against RFC 6298 by hand: every expected value
 * below was computed on paper from the RFC's rules (section 2 and 5.5) with alpha = 1/8,
 * beta = 1/4, K = 4, and is written out with its arithmetic, so a change in the formulas
 * (the order of the RTTVAR and SRTT updates, the factor K, the clamp, the cap) fails. */
#include <criterion/criterion.h>

#include <inttypes.h>

#include "models/rto.h"

#define US INT64_C(1000)
#define MS INT64_C(1000000)
#define S INT64_C(1000000000)

/* Linux-like floor, RFC initial and cap, 1 ms granularity. */
static const struct rto_params linux_like = {1 * S, 200 * MS, 60 * S, 1 * MS};

static void expect_state(const struct rto_state *s, int64_t srtt, int64_t rttvar, int64_t rto)
{
    cr_expect_eq(s->srtt_ns, srtt, "SRTT %" PRId64 " ns, expected %" PRId64, s->srtt_ns, srtt);
    cr_expect_eq(s->rttvar_ns, rttvar, "RTTVAR %" PRId64 " ns, expected %" PRId64,
                 s->rttvar_ns, rttvar);
    cr_expect_eq(s->rto_ns, rto, "RTO %" PRId64 " ns, expected %" PRId64, s->rto_ns, rto);
}

Test(rto, initial_value_is_used_before_any_sample)
{
    struct rto_state s;
    rto_init(&s, &linux_like);
    cr_assert_not(s.has_sample);
    cr_assert_eq(s.rto_ns, 1 * S); /* 2.1 */
}

Test(rto, first_and_later_samples_follow_section_2)
{
    struct rto_state s;
    rto_init(&s, &linux_like);
    /* 2.2: R = 100 ms -> SRTT = 100, RTTVAR = 50, RTO = 100 + max(1, 4*50) = 300 ms */
    rto_sample(&s, &linux_like, 100 * MS);
    cr_assert(s.has_sample);
    expect_state(&s, 100 * MS, 50 * MS, 300 * MS);
    /* 2.3: R' = 200 ms -> RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5;
     *      SRTT = 7/8*100 + 1/8*200 = 112.5;  RTO = 112.5 + 4*62.5 = 362.5 ms */
    rto_sample(&s, &linux_like, 200 * MS);
    expect_state(&s, 112500 * US, 62500 * US, 362500 * US);
    /* R' = 100 ms -> RTTVAR = 3/4*62.5 + 1/4*12.5 = 50; SRTT = 7/8*112.5 + 1/8*100
     *      = 110.9375;  RTO = 110.9375 + 200 = 310.9375 ms */
    rto_sample(&s, &linux_like, 100 * MS);
    expect_state(&s, 110937500, 50 * MS, 310937500);
}

Test(rto, lower_bound_applies_rfc_and_linux)
{
    /* R = 10 ms -> SRTT 10, RTTVAR 5, SRTT + 4 RTTVAR = 30 ms: under either floor */
    struct rto_state s;
    rto_init(&s, &linux_like);
    rto_sample(&s, &linux_like, 10 * MS);
    expect_state(&s, 10 * MS, 5 * MS, 200 * MS);
    const struct rto_params rfc = {1 * S, 1 * S, 60 * S, 1 * MS};
    rto_init(&s, &rfc);
    rto_sample(&s, &rfc, 10 * MS);
    expect_state(&s, 10 * MS, 5 * MS, 1 * S); /* 2.4: rounded up to 1 s */
}

Test(rto, clock_granularity_bounds_the_variance_term)
{
    /* G = 500 ms, R = 40 ms -> 4*RTTVAR = 80 ms < G: RTO = 40 + 500 = 540 ms */
    const struct rto_params coarse = {1 * S, 200 * MS, 60 * S, 500 * MS};
    struct rto_state s;
    rto_init(&s, &coarse);
    rto_sample(&s, &coarse, 40 * MS);
    expect_state(&s, 40 * MS, 20 * MS, 540 * MS);
}

Test(rto, backoff_doubles_up_to_the_60s_cap)
{
    struct rto_state s;
    rto_init(&s, &linux_like);
    rto_sample(&s, &linux_like, 100 * MS); /* RTO 300 ms */
    static const int64_t expected_ms[] = {600, 1200, 2400, 4800, 9600, 19200, 38400,
                                          60000, 60000};
    for (size_t i = 0; i < sizeof expected_ms / sizeof expected_ms[0]; i++) {
        rto_backoff(&s, &linux_like); /* 5.5 */
        cr_expect_eq(s.rto_ns, expected_ms[i] * MS, "back-off %zu: RTO %" PRId64 " ns", i + 1,
                     s.rto_ns);
    }
    /* back-off leaves SRTT and RTTVAR alone; the next sample recomputes the RTO from them:
     * R' = 100 ms -> RTTVAR = 3/4*50 + 0 = 37.5, SRTT = 100, RTO = 100 + 150 = 250 ms */
    cr_expect_eq(s.srtt_ns, 100 * MS);
    rto_sample(&s, &linux_like, 100 * MS);
    expect_state(&s, 100 * MS, 37500 * US, 250 * MS);
}

Test(rto, backoff_before_any_sample_doubles_the_initial_value)
{
    struct rto_state s;
    rto_init(&s, &linux_like);
    rto_backoff(&s, &linux_like);
    cr_assert_eq(s.rto_ns, 2 * S);
    cr_assert_not(s.has_sample);
}

Test(rto, upper_bound_clamps_a_huge_sample)
{
    /* R = 30 s -> SRTT 30, RTTVAR 15, 30 + 60 = 90 s, capped at 60 s (2.5) */
    struct rto_state s;
    rto_init(&s, &linux_like);
    rto_sample(&s, &linux_like, 30 * S);
    expect_state(&s, 30 * S, 15 * S, 60 * S);
    /* a sample beyond a day counts as a day: no overflow, still the cap */
    rto_sample(&s, &linux_like, INT64_MAX);
    cr_expect_eq(s.rto_ns, 60 * S);
    cr_expect_leq(s.srtt_ns, RTO_SAMPLE_NS_MAX);
}
