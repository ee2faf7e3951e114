/* sim/clock.c - node clocks as piecewise-linear functions of true time.
 *
 * A reading is anchor + elapsed + floor((elapsed * drift_ppb + rem) / 1e9), computed in
 * 128-bit integers: exact, the same on every compiler, monotonic in true time for any
 * drift above -100% (the scenario limits it to +-10%, slews to +-10% more). A rate change
 * re-anchors at the current instant and carries the fraction of a ns (rem) over, so
 * readings are continuous and round once, never once per change: a node's readings are
 * the exact integral of its rate, floored. A step moves only the wall anchor, so
 * monotonic time never jumps and later readings round as before. The leap smear is
 * folded into the same single rounding, so a slow clock that smears never goes back;
 * leap seconds apply on top of the wall reading as a function of true time, so that a
 * sync corrects the oscillator and never fights the node's own leap policy. Converting a local duration back to true time takes the
 * smallest true delay whose local advance reaches it, so a timer never fires early by
 * the clock that set it. */
#include "internal.h"

__extension__ typedef __int128 sim_i128;

#define LEAP_NS SIM_NS_PER_S
#define SMEAR_WINDOW_NS (INT64_C(86400) * SIM_NS_PER_S) /* 24 h, centred on the leap */

static sim_i128 floor_div(sim_i128 a, sim_i128 b)
{
    SIM_ASSERT(b > 0);
    sim_i128 q = a / b;
    if (a % b != 0 && a < 0) q -= 1;
    return q;
}

/* The skew since the anchor, in units of 1e-9 ns (rem included). */
static sim_i128 skew_units(const struct sim_clock *clock, int64_t elapsed_ns)
{
    return (sim_i128)elapsed_ns * clock->drift_ppb + clock->anchor_rem;
}

static int64_t advance_ns(const struct sim_clock *clock, int64_t elapsed_ns)
{
    return elapsed_ns + (int64_t)floor_div(skew_units(clock, elapsed_ns), 1000000000);
}

/* The wall clock's advance since the anchor, with the node's leap policy applied: a
 * step takes 1 s off from leap_at on; a smear takes (t - start) / 86400 off inside its
 * window, rounded together with the drift (one floor), then the whole second after. */
static int64_t wall_advance_ns(const struct sim_clock *clock, int64_t true_ns)
{
    int64_t elapsed_ns = true_ns - clock->anchor_true_ns;
    if (clock->leap == SIM_LEAP_NONE || clock->leap_at_ns < 0) return advance_ns(clock, elapsed_ns);
    if (clock->leap == SIM_LEAP_STEP)
        return advance_ns(clock, elapsed_ns) - (true_ns >= clock->leap_at_ns ? LEAP_NS : 0);
    int64_t start_ns = clock->leap_at_ns - SMEAR_WINDOW_NS / 2;
    if (true_ns <= start_ns) return advance_ns(clock, elapsed_ns);
    if (true_ns - start_ns >= SMEAR_WINDOW_NS) return advance_ns(clock, elapsed_ns) - LEAP_NS;
    /* in units of 1e-9 ns over a 86400 denominator: skew*86400 - (t - start)*1e9 */
    sim_i128 units = skew_units(clock, elapsed_ns) * 86400 - (sim_i128)(true_ns - start_ns) * 1000000000;
    return elapsed_ns + (int64_t)floor_div(units, (sim_i128)1000000000 * 86400);
}

/* How far the node's leap policy has set its time of day back at true_ns (0 .. 1 s),
 * for a perfect clock (the reference). */
static int64_t leap_adjust_ns(const struct sim_clock *clock, int64_t true_ns)
{
    if (clock->leap == SIM_LEAP_NONE || clock->leap_at_ns < 0) return 0;
    if (clock->leap == SIM_LEAP_STEP) return true_ns >= clock->leap_at_ns ? LEAP_NS : 0;
    int64_t start_ns = clock->leap_at_ns - SMEAR_WINDOW_NS / 2;
    if (true_ns <= start_ns) return 0;
    if (true_ns - start_ns >= SMEAR_WINDOW_NS) return LEAP_NS;
    /* ceiling, to match the floor of the clock's own reading (t - adjust) */
    return (int64_t)-floor_div(-(sim_i128)(true_ns - start_ns) * LEAP_NS, SMEAR_WINDOW_NS);
}

void sim__clock_init(struct sim_clock *clock, const struct sim_scenario *scn,
                     const struct sim_clock_cfg *cfg)
{
    *clock = (struct sim_clock){
        .anchor_true_ns = 0,
        .anchor_mono_ns = 0,
        .anchor_wall_ns = scn->wall_start_ns + cfg->offset_ns,
        .drift_ppb = cfg->drift_ppb,
        .base_drift_ppb = cfg->drift_ppb,
        .leap_at_ns = scn->leap_at_ns,
        .leap = cfg->leap,
        .wall_start_ns = scn->wall_start_ns,
    };
}

int64_t sim__clock_mono_ns(const struct sim_clock *clock, int64_t true_ns)
{
    SIM_ASSERT(true_ns >= clock->anchor_true_ns);
    return clock->anchor_mono_ns + advance_ns(clock, true_ns - clock->anchor_true_ns);
}

int64_t sim__clock_wall_ns(const struct sim_clock *clock, int64_t true_ns)
{
    SIM_ASSERT(true_ns >= clock->anchor_true_ns);
    return clock->anchor_wall_ns + wall_advance_ns(clock, true_ns);
}

int64_t sim__clock_reference_ns(const struct sim_clock *clock, int64_t true_ns)
{
    return clock->wall_start_ns + true_ns - leap_adjust_ns(clock, true_ns);
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

void sim__clock_set_rate(struct sim_clock *clock, int64_t now_ns, int64_t base_drift_ppb,
                         int64_t slew_ppb)
{
    SIM_ASSERT(now_ns >= clock->anchor_true_ns);
    int64_t elapsed_ns = now_ns - clock->anchor_true_ns;
    sim_i128 units = skew_units(clock, elapsed_ns);
    int64_t whole_ns = elapsed_ns + (int64_t)floor_div(units, 1000000000);
    clock->anchor_rem = (int64_t)(units - floor_div(units, 1000000000) * 1000000000);
    SIM_ASSERT(clock->anchor_rem >= 0 && clock->anchor_rem < 1000000000);
    clock->anchor_true_ns = now_ns;
    clock->anchor_mono_ns += whole_ns;
    clock->anchor_wall_ns += whole_ns; /* raw: the leap policy applies on top */
    clock->base_drift_ppb = base_drift_ppb;
    clock->slew_ppb = slew_ppb;
    clock->drift_ppb = base_drift_ppb + slew_ppb;
    SIM_ASSERT(clock->drift_ppb > -1000000000); /* both limited to 10%: never runs backwards */
}

void sim__clock_step(struct sim_clock *clock, int64_t now_ns, int64_t step_ns)
{
    (void)now_ns; /* a step is instantaneous: no re-anchor, later readings round as before */
    clock->anchor_wall_ns += step_ns;
}
