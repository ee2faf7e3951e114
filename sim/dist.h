/* sim/dist.h - delay distributions, parsed from scenario text and sampled through GSL.
 *
 * Text forms (durations need units; shapes are plain numbers):
 *   constant 2ms | uniform 1ms 5ms | normal 5ms 1ms (mean, sd; truncated at 0)
 *   lognormal 2ms 0.5 (median, sigma of the log) | pareto 1ms 1.5 (scale, alpha)
 *   exponential 2ms (mean) | empirical FILE (measured samples; loaded by the scenario
 *   loader, not by sim_dist_parse, since a file belongs to the scenario's directory)
 * Every sample goes through sim_delay_round, the one place a real-valued delay becomes
 * whole nanoseconds: rounded to nearest, clamped to [0, SIM_DELAY_NS_MAX], and the clamp
 * reported so heavy tails can neither overflow time nor hide. */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* One simulated day: no sampled delay is longer. A Pareto tail with alpha <= 1 has no
 * mean and would otherwise produce delays past the end of any run (or of int64). */
#define SIM_DELAY_NS_MAX (INT64_C(86400) * INT64_C(1000000000))

enum sim_dist_kind {
    SIM_DIST_CONSTANT,
    SIM_DIST_UNIFORM,
    SIM_DIST_NORMAL,
    SIM_DIST_LOGNORMAL,
    SIM_DIST_PARETO,
    SIM_DIST_EXPONENTIAL,
    SIM_DIST_EMPIRICAL, /* measured samples (sim/empirical.h); the scenario owns the table */
};

struct sim_empirical;

struct sim_dist {
    enum sim_dist_kind kind;
    int64_t a_ns;  /* constant, uniform low, normal mean, lognormal median, pareto scale,
                      exponential mean */
    int64_t b_ns;  /* uniform high, normal sd */
    double shape;  /* lognormal sigma, pareto alpha */
    const struct sim_empirical *table; /* empirical: borrowed from the scenario */
};

/* Parses text as above; returns 0, or -1 with a reason in err. */
int sim_dist_parse(const char *text, struct sim_dist *dist, char *err, size_t err_bytes);

/* Writes the distribution back in its text form. Returns out. */
char *sim_dist_format(const struct sim_dist *dist, char *out, size_t out_bytes);

/* Draws one delay. *is_clamped (may be NULL) is set when the draw was clamped. */
int64_t sim_dist_sample_ns(const struct sim_dist *dist, gsl_rng *rng, bool *is_clamped);

/* The one rounding function: real ns -> whole ns in [0, SIM_DELAY_NS_MAX]. NaN and
 * values above the maximum clamp to the maximum, negatives to 0; both set *is_clamped. */
int64_t sim_delay_round(double delay_ns, bool *is_clamped);

/* The mean of the distribution in ns (clamping ignored; infinite for pareto alpha<=1). */
double sim_dist_mean_ns(const struct sim_dist *dist);

#endif
