/* sim/clock.c - node clocks as piecewise-linear functions of true time.
 *
 * A reading is anchor + elapsed + floor(elapsed * drift_ppb / 1e9), computed in 128-bit
 * integers: exact, the same on every compiler, monotonic in true time for any drift above
 * -100% (the scenario limits it to +-10%). Converting a local duration back to true time
 * takes the smallest true delay whose local advance reaches it, so a timer never fires
 * early by the clock that set it. */
#include "internal.h"

__extension__ typedef __int128 sim_i128;

static int64_t advance_ns(const struct sim_clock *clock, int64_t elapsed_ns)
{
    sim_i128 skew = (sim_i128)elapsed_ns * clock->drift_ppb;
    /* floor division, also for negative drift */
    sim_i128 q = skew / 1000000000;
    if (skew % 1000000000 != 0 && skew < 0) q -= 1;
    return elapsed_ns + (int64_t)q;
}

int64_t sim__clock_mono_ns(const struct sim_clock *clock, int64_t true_ns)
{
    SIM_ASSERT(true_ns >= clock->anchor_true_ns);
    return clock->anchor_mono_ns + advance_ns(clock, true_ns - clock->anchor_true_ns);
}

int64_t sim__clock_wall_ns(const struct sim_clock *clock, int64_t true_ns)
{
    SIM_ASSERT(true_ns >= clock->anchor_true_ns);
    return clock->anchor_wall_ns + advance_ns(clock, true_ns - clock->anchor_true_ns);
}

int64_t sim__clock_true_delay_ns(const struct sim_clock *clock, int64_t now_ns,
                                 int64_t local_ns)
{
    SIM_ASSERT(local_ns >= 0);
    SIM_ASSERT(clock->drift_ppb > -1000000000);
    int64_t start = advance_ns(clock, now_ns - clock->anchor_true_ns);
    /* first guess from the rate, then walk to the exact smallest delay */
    sim_i128 guess = ((sim_i128)local_ns * 1000000000 + (1000000000 + clock->drift_ppb) - 1) /
                     (1000000000 + clock->drift_ppb);
    int64_t delay = (int64_t)guess;
    int64_t base = now_ns - clock->anchor_true_ns;
    while (advance_ns(clock, base + delay) - start < local_ns) delay++;
    while (delay > 0 && advance_ns(clock, base + delay - 1) - start >= local_ns) delay--;
    SIM_ASSERT(advance_ns(clock, base + delay) - start >= local_ns);
    return delay;
}
