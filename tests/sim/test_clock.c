/* tests/sim/test_clock.c - proves that node clocks (sim/clock.c through sim/internal.h)
 * read exactly what clock.c's header comment promises: anchor + elapsed +
 * floor(elapsed * drift_ppb / 1e9), with no floating point, for positive and negative
 * drift; that readings never decrease as true time advances; and that
 * sim__clock_true_delay_ns returns the SMALLEST true delay whose local advance reaches
 * the requested local duration, so a timer never fires early by its own clock and never
 * later than it must.
 * How: hand-computed readings (35 ppm over 1 s is 1000035000 ns) and readings over long
 * spans checked against an independent 128-bit computation; then tens of thousands of
 * random (drift, anchor, now, duration) cases from a fixed-seed stream, each checked at
 * the returned delay d (reaches) and at d - 1 (does not reach). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <signal.h>
#include <stdint.h>

#include "sim/internal.h"

__extension__ typedef __int128 i128;

/* The reading clock.c documents, computed independently: floor division written as
 * "subtract the remainder's sign-corrected part". */
static int64_t expected_advance(int64_t elapsed_ns, int64_t drift_ppb)
{
    i128 skew = (i128)elapsed_ns * drift_ppb;
    i128 rem = skew % 1000000000;
    if (rem < 0) rem += 1000000000;
    return elapsed_ns + (int64_t)((skew - rem) / 1000000000);
}

static struct sim_clock make_clock(int64_t anchor_true_ns, int64_t anchor_mono_ns,
                                   int64_t anchor_wall_ns, int64_t drift_ppb)
{
    return (struct sim_clock){.anchor_true_ns = anchor_true_ns, .anchor_mono_ns = anchor_mono_ns,
                              .anchor_wall_ns = anchor_wall_ns, .drift_ppb = drift_ppb,
                              .base_drift_ppb = drift_ppb, .leap_at_ns = -1};
}

Test(sim_clock, readings_with_drift_are_exact)
{
    struct sim_clock fast = make_clock(0, 0, 0, 35000); /* +35 ppm */
    cr_assert_eq(sim__clock_mono_ns(&fast, sim_s(1)), INT64_C(1000035000));
    cr_assert_eq(sim__clock_wall_ns(&fast, sim_s(1)), INT64_C(1000035000));
    cr_assert_eq(sim__clock_mono_ns(&fast, sim_s(3600)), sim_s(3600) + INT64_C(126000000));
    struct sim_clock slow = make_clock(0, 0, 0, -35000); /* -35 ppm */
    cr_assert_eq(sim__clock_mono_ns(&slow, sim_s(1)), INT64_C(999965000));
    cr_assert_eq(sim__clock_wall_ns(&slow, sim_s(1)), INT64_C(999965000));
    /* no drift: readings are true time plus the anchor */
    struct sim_clock exact = make_clock(0, 0, INT64_C(1735689600) * SIM_NS_PER_S, 0);
    cr_assert_eq(sim__clock_mono_ns(&exact, 123456789), 123456789);
    cr_assert_eq(sim__clock_wall_ns(&exact, 123456789),
                 INT64_C(1735689600) * SIM_NS_PER_S + 123456789);
}

Test(sim_clock, partial_nanoseconds_round_down_for_both_signs)
{
    /* +1 ppb over 999999999 ns is 0.999999999 ns of skew: floor gives 0 */
    struct sim_clock plus = make_clock(0, 0, 0, 1);
    cr_assert_eq(sim__clock_mono_ns(&plus, 999999999), 999999999);
    cr_assert_eq(sim__clock_mono_ns(&plus, 1000000000), 1000000001);
    /* -1 ppb over 1 ns is -1e-9 ns of skew: floor gives -1, so the clock stands still */
    struct sim_clock minus = make_clock(0, 0, 0, -1);
    cr_assert_eq(sim__clock_mono_ns(&minus, 1), 0);
    cr_assert_eq(sim__clock_mono_ns(&minus, 1000000000), 999999999);
    /* -1.000000001 ns of skew floors to -2: the clock stands still for that ns too */
    cr_assert_eq(sim__clock_mono_ns(&minus, 1000000001), 999999999);
    cr_assert_eq(sim__clock_mono_ns(&minus, 1000000002), 1000000000);
    /* -35 ppm over 1 ns: floor(-0.000035) = -1 */
    struct sim_clock slow = make_clock(0, 0, 0, -35000);
    cr_assert_eq(sim__clock_mono_ns(&slow, 1), 0);
}

Test(sim_clock, readings_follow_their_anchor)
{
    struct sim_clock c = make_clock(sim_s(10), sim_s(3), -sim_ms(50), 20000);
    cr_assert_eq(sim__clock_mono_ns(&c, sim_s(10)), sim_s(3));
    cr_assert_eq(sim__clock_wall_ns(&c, sim_s(10)), -sim_ms(50));
    cr_assert_eq(sim__clock_mono_ns(&c, sim_s(11)), sim_s(4) + 20000);
    cr_assert_eq(sim__clock_wall_ns(&c, sim_s(11)), sim_s(1) - sim_ms(50) + 20000);
}

Test(sim_clock, readings_over_a_century_are_exact_at_the_drift_limits)
{
    const int64_t century = SIM_RUN_NS_MAX;
    static const int64_t drifts[] = {SIM_DRIFT_PPB_LIMIT, -SIM_DRIFT_PPB_LIMIT, 1, -1,
                                     123456789 % SIM_DRIFT_PPB_LIMIT, -7777777};
    for (size_t i = 0; i < sizeof drifts / sizeof drifts[0]; i++) {
        struct sim_clock c = make_clock(0, 0, 0, drifts[i]);
        for (int64_t t = century; t > 0; t /= 3) {
            cr_assert_eq(sim__clock_mono_ns(&c, t), expected_advance(t, drifts[i]),
                         "drift %" PRId64 " at %" PRId64, drifts[i], t);
        }
    }
}

Test(sim_clock, readings_never_decrease)
{
    gsl_rng *rng = sim_rng_open(21, "test/clock/monotone");
    for (int i = 0; i < 20000; i++) {
        int64_t drift = (int64_t)sim_rng_below(rng, 2 * (uint64_t)SIM_DRIFT_PPB_LIMIT + 1) -
                        SIM_DRIFT_PPB_LIMIT;
        int64_t anchor = (int64_t)sim_rng_below(rng, (uint64_t)sim_s(1000));
        struct sim_clock c = make_clock(anchor, (int64_t)sim_rng_below(rng, 1000000), 0, drift);
        int64_t t1 = anchor + (int64_t)sim_rng_below(rng, (uint64_t)sim_s(100000));
        int64_t t2 = t1 + (int64_t)sim_rng_below(rng, 3); /* often equal or adjacent */
        int64_t m1 = sim__clock_mono_ns(&c, t1), m2 = sim__clock_mono_ns(&c, t2);
        cr_assert_geq(m2, m1, "drift %" PRId64 ": mono(%" PRId64 ") = %" PRId64
                      " > mono(%" PRId64 ") = %" PRId64, drift, t1, m1, t2, m2);
        cr_assert_geq(sim__clock_wall_ns(&c, t2), sim__clock_wall_ns(&c, t1));
        cr_assert_eq(m1 - c.anchor_mono_ns, expected_advance(t1 - anchor, drift));
    }
    gsl_rng_free(rng);
}

/* The local advance from now_ns to now_ns + delay_ns. */
static int64_t local_advance(const struct sim_clock *c, int64_t now_ns, int64_t delay_ns)
{
    return sim__clock_mono_ns(c, now_ns + delay_ns) - sim__clock_mono_ns(c, now_ns);
}

static void check_smallest_delay(const struct sim_clock *c, int64_t now_ns, int64_t local_ns)
{
    int64_t d = sim__clock_true_delay_ns(c, now_ns, local_ns);
    cr_assert_geq(d, 0);
    cr_assert_geq(local_advance(c, now_ns, d), local_ns,
                  "drift %" PRId64 " now %" PRId64 " local %" PRId64 ": delay %" PRId64
                  " does not reach it (fires early)", c->drift_ppb, now_ns, local_ns, d);
    if (d > 0)
        cr_assert_lt(local_advance(c, now_ns, d - 1), local_ns,
                     "drift %" PRId64 " now %" PRId64 " local %" PRId64 ": delay %" PRId64
                     " is not the smallest (fires late)", c->drift_ppb, now_ns, local_ns, d);
    else cr_assert_eq(local_ns, 0, "a zero delay only for a zero duration");
}

Test(sim_clock, true_delay_is_the_smallest_that_reaches_the_local_duration)
{
    /* hand-picked: 1 s local at +35 ppm needs 999965001.2 true ns -> 999965002 */
    struct sim_clock fast = make_clock(0, 0, 0, 35000);
    int64_t d = sim__clock_true_delay_ns(&fast, 0, sim_s(1));
    cr_assert_eq(d, INT64_C(999965002));
    check_smallest_delay(&fast, 0, sim_s(1));
    struct sim_clock slow = make_clock(0, 0, 0, -35000);
    check_smallest_delay(&slow, 0, sim_s(1));
    struct sim_clock exact = make_clock(0, 0, 0, 0);
    cr_assert_eq(sim__clock_true_delay_ns(&exact, 777, 12345), 12345);
    cr_assert_eq(sim__clock_true_delay_ns(&fast, 777, 0), 0);

    gsl_rng *rng = sim_rng_open(22, "test/clock/delay");
    for (int i = 0; i < 30000; i++) {
        int64_t drift;
        switch (i % 4) {
        case 0: /* anywhere in the scenario's limit */
            drift = (int64_t)sim_rng_below(rng, 2 * (uint64_t)SIM_DRIFT_PPB_LIMIT + 1) -
                    SIM_DRIFT_PPB_LIMIT;
            break;
        case 1: drift = (int64_t)sim_rng_below(rng, 201) - 100; break; /* tiny */
        case 2: drift = (i & 8) ? SIM_DRIFT_PPB_LIMIT : -SIM_DRIFT_PPB_LIMIT; break;
        default: /* beyond the scenario limit, as far as clock.c allows (> -100%) */
            drift = (int64_t)sim_rng_below(rng, 1999999999) - 999999998;
            break;
        }
        int64_t anchor = (int64_t)sim_rng_below(rng, (uint64_t)sim_s(100));
        struct sim_clock c = make_clock(anchor, (int64_t)sim_rng_below(rng, (uint64_t)sim_s(5)),
                                        0, drift);
        int64_t now = anchor + (int64_t)sim_rng_below(rng, (uint64_t)sim_s(86400));
        int64_t local;
        if (drift < -SIM_DRIFT_PPB_LIMIT) {
            /* a clock at a few ppb of true speed: keep the true delay within int64 */
            local = (int64_t)sim_rng_below(rng, 1000000);
            check_smallest_delay(&c, now, local);
            continue;
        }
        switch (i % 3) {
        case 0: local = (int64_t)sim_rng_below(rng, 1000); break;         /* a few ns */
        case 1: local = (int64_t)sim_rng_below(rng, (uint64_t)sim_s(10)); break;
        default: local = (int64_t)sim_rng_below(rng, (uint64_t)sim_s(86400 * 30)); break;
        }
        check_smallest_delay(&c, now, local);
    }
    gsl_rng_free(rng);
}

Test(sim_clock, reading_before_the_anchor_aborts, .signal = SIGABRT)
{
    struct sim_clock c = make_clock(sim_s(5), 0, 0, 0);
    (void)sim__clock_mono_ns(&c, sim_s(5) - 1);
    cr_assert_fail("a reading before the clock's anchor is a kernel bug and must abort");
}
