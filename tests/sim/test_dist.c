/* tests/sim/test_dist.c - proves that delay distributions (sim/dist.h) read and write
 * their text form losslessly, refuse malformed text with a reason, sample what they
 * claim, and that the one rounding function clamps and reports every out-of-range value.
 * How: each of the six forms is parsed, formatted and parsed again and compared field by
 * field; malformed texts must fail with a non-empty reason naming what was expected.
 * Sample means over N = 200000 draws with fixed seeds must lie within 5 standard errors
 * (sd / sqrt(N), sd from the distribution's closed form) plus 0.5 ns of rounding of
 * sim_dist_mean_ns; a correct sampler misses that band with probability about 6e-7
 * (two-sided normal tail at 5 sd; the CLT applies since every tested law has finite
 * variance). sim_dist_mean_ns itself is checked against closed forms computed here with
 * GSL's normal pdf/cdf. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "sim/dist.h"
#include "sim/rng.h"
#include "sim/units.h"

#define SAMPLES 200000
#define STANDARD_ERRORS 5.0

static struct sim_dist parse_ok(const char *text)
{
    struct sim_dist d;
    memset(&d, 0x5a, sizeof d);
    char err[512] = "";
    int rc = sim_dist_parse(text, &d, err, sizeof err);
    cr_assert_eq(rc, 0, "'%s' should parse: %s", text, err);
    return d;
}

static void parse_fails(const char *text, const char *fragment)
{
    struct sim_dist d;
    char err[512] = "";
    int rc = sim_dist_parse(text, &d, err, sizeof err);
    cr_assert_eq(rc, -1, "'%s' should be refused", text);
    cr_assert_neq(err[0], '\0', "'%s': a refusal needs a reason", text);
    cr_assert(strstr(err, fragment) != NULL, "'%s': reason '%s' lacks '%s'", text, err,
              fragment);
}

static bool dist_equal(const struct sim_dist *a, const struct sim_dist *b)
{
    return a->kind == b->kind && a->a_ns == b->a_ns && a->b_ns == b->b_ns &&
           a->shape == b->shape;
}

Test(sim_dist, parse_reads_every_form)
{
    struct sim_dist d = parse_ok("constant 2ms");
    cr_assert_eq(d.kind, SIM_DIST_CONSTANT);
    cr_assert_eq(d.a_ns, sim_ms(2));
    d = parse_ok("uniform 1ms 5ms");
    cr_assert_eq(d.kind, SIM_DIST_UNIFORM);
    cr_assert_eq(d.a_ns, sim_ms(1));
    cr_assert_eq(d.b_ns, sim_ms(5));
    d = parse_ok("normal 5ms 1ms");
    cr_assert_eq(d.kind, SIM_DIST_NORMAL);
    cr_assert_eq(d.a_ns, sim_ms(5));
    cr_assert_eq(d.b_ns, sim_ms(1));
    d = parse_ok("lognormal 2ms 0.5");
    cr_assert_eq(d.kind, SIM_DIST_LOGNORMAL);
    cr_assert_eq(d.a_ns, sim_ms(2));
    cr_assert(d.shape == 0.5);
    d = parse_ok("pareto 1ms 1.5");
    cr_assert_eq(d.kind, SIM_DIST_PARETO);
    cr_assert_eq(d.a_ns, sim_ms(1));
    cr_assert(d.shape == 1.5);
    d = parse_ok("exponential 2ms");
    cr_assert_eq(d.kind, SIM_DIST_EXPONENTIAL);
    cr_assert_eq(d.a_ns, sim_ms(2));
    /* blanks around and between words are tolerated */
    d = parse_ok("  uniform\t0.5ms   1.5s ");
    cr_assert_eq(d.a_ns, sim_us(500));
    cr_assert_eq(d.b_ns, sim_ms(1500));
}

Test(sim_dist, format_then_parse_round_trips_all_six)
{
    static const struct {
        const char *text;
        const char *formatted;
    } cases[] = {
        {"constant 2ms", "constant 2ms"},
        {"constant 0ns", "constant 0ns"},
        {"uniform 1ms 5ms", "uniform 1ms 5ms"},
        {"uniform 1500us 1500us", "uniform 1.5ms 1.5ms"},
        {"normal 5ms 1ms", "normal 5ms 1ms"},
        {"normal 0ns 0ns", "normal 0ns 0ns"},
        {"lognormal 2ms 0.5", "lognormal 2ms 0.5"},
        {"lognormal 1ns 0.1", NULL}, /* 0.1 prints with 17 digits; still exact */
        {"lognormal 5ms 0.30000000000000004", NULL}, /* needs all 17 digits */
        {"pareto 1ms 1.5", "pareto 1ms 1.5"},
        {"pareto 3us 0.30000000000000004", NULL},
        {"exponential 2ms", "exponential 2ms"},
        {"exponential 86400s", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sim_dist first = parse_ok(cases[i].text);
        char out[256];
        cr_assert_eq(sim_dist_format(&first, out, sizeof out), out);
        if (cases[i].formatted) cr_assert_str_eq(out, cases[i].formatted);
        struct sim_dist second = parse_ok(out);
        cr_assert(dist_equal(&first, &second), "'%s' -> '%s' does not read back the same",
                  cases[i].text, out);
        char again[256];
        sim_dist_format(&second, again, sizeof again);
        cr_assert_str_eq(out, again, "formatting is a fixed point");
    }
}

Test(sim_dist, parse_refuses_malformed_text)
{
    parse_fails("gamma 2ms", "expected one of");               /* bad name */
    parse_fails("Constant 2ms", "expected one of");            /* names are lower case */
    parse_fails("", "expected one of");                        /* nothing */
    parse_fails("   ", "expected one of");
    parse_fails("constant 2", "unit");                          /* missing unit */
    parse_fails("uniform 1ms 5", "unit");
    parse_fails("exponential 2 ms", "expected one of");         /* unit split off: 3 words */
    parse_fails("uniform 5ms 1ms", "LOW must not exceed HIGH"); /* low > high */
    parse_fails("constant -1ms", "within");                     /* negative */
    parse_fails("normal 1ms -1ms", "within");
    parse_fails("exponential -2ms", "within");
    parse_fails("constant 86401s", "within");                   /* longer than a day */
    parse_fails("lognormal 2ms -0.5", "positive number");       /* bad shapes */
    parse_fails("lognormal 2ms 0", "positive number");
    parse_fails("pareto 1ms nan", "positive number");
    parse_fails("pareto 1ms inf", "positive number");
    parse_fails("pareto 1ms 1.5x", "positive number");
    parse_fails("lognormal 0ns 0.5", "above 0ns");              /* log of 0 */
    parse_fails("pareto 0ns 2", "above 0ns");
    parse_fails("uniform 1ms", "expected one of");              /* wrong arity */
    parse_fails("constant 1ms 2ms", "expected one of");
    parse_fails("normal 1ms 2ms 3ms 4ms", "expected one of");
    char long_text[400];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    parse_fails(long_text, "too long");
}

/* --- sampling ------------------------------------------------------------------------- */

static double truncated_normal_lambda(double mean, double sd, double *alpha)
{
    *alpha = -mean / sd;
    return gsl_ran_ugaussian_pdf(*alpha) / gsl_cdf_ugaussian_Q(*alpha);
}

/* The support of each law: [low, high] in ns. */
static void dist_support_ns(const struct sim_dist *d, double *low, double *high)
{
    *low = 0.0;
    *high = (double)SIM_DELAY_NS_MAX;
    switch (d->kind) {
    case SIM_DIST_CONSTANT: *low = *high = (double)d->a_ns; break;
    case SIM_DIST_UNIFORM: *low = (double)d->a_ns; *high = (double)d->b_ns; break;
    case SIM_DIST_PARETO: *low = (double)d->a_ns; break;
    default: break;
    }
}

/* The standard deviation of each law, from its closed form. */
static double dist_sd_ns(const struct sim_dist *d)
{
    double a = (double)d->a_ns, b = (double)d->b_ns, s = d->shape;
    switch (d->kind) {
    case SIM_DIST_CONSTANT: return 0.0;
    case SIM_DIST_UNIFORM: return (b - a) / sqrt(12.0);
    case SIM_DIST_NORMAL: {
        double alpha, lambda = truncated_normal_lambda(a, b, &alpha);
        return b * sqrt(1.0 + alpha * lambda - lambda * lambda);
    }
    case SIM_DIST_LOGNORMAL: return a * sqrt((exp(s * s) - 1.0) * exp(s * s));
    case SIM_DIST_PARETO: return a * sqrt(s / ((s - 1.0) * (s - 1.0) * (s - 2.0)));
    case SIM_DIST_EXPONENTIAL: return a;
    case SIM_DIST_EMPIRICAL: break; /* tests/sim/test_empirical.c */
    }
    return NAN;
}

Test(sim_dist, mean_matches_closed_forms)
{
    struct sim_dist d = parse_ok("normal 1ms 2ms");
    double alpha, lambda = truncated_normal_lambda(1e6, 2e6, &alpha);
    cr_assert_float_eq(sim_dist_mean_ns(&d), 1e6 + 2e6 * lambda, 1e-6);
    d = parse_ok("normal 5ms 0ns");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 5e6, 1e-9);
    d = parse_ok("uniform 1ms 5ms");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 3e6, 1e-9);
    d = parse_ok("lognormal 2ms 0.5");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 2e6 * exp(0.125), 1e-6);
    d = parse_ok("pareto 1ms 3");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 1.5e6, 1e-6);
    d = parse_ok("pareto 1ms 1");
    cr_assert(isinf(sim_dist_mean_ns(&d)), "alpha <= 1 has no mean");
    d = parse_ok("exponential 2ms");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 2e6, 1e-9);
    d = parse_ok("constant 7us");
    cr_assert_float_eq(sim_dist_mean_ns(&d), 7e3, 1e-9);
}

Test(sim_dist, sample_means_are_within_five_standard_errors)
{
    static const char *const texts[] = {
        "uniform 1ms 5ms", "normal 5ms 1ms", "normal 1ms 2ms", "normal 0ns 1ms",
        "lognormal 2ms 0.5", "pareto 1ms 3.5", "exponential 2ms", "exponential 10us",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct sim_dist d = parse_ok(texts[i]);
        gsl_rng *rng = sim_rng_open(100 + i, "test/dist/mean");
        double sum = 0.0, low, high;
        dist_support_ns(&d, &low, &high);
        int clamped = 0;
        for (int k = 0; k < SAMPLES; k++) {
            bool is_clamped = true;
            int64_t x = sim_dist_sample_ns(&d, rng, &is_clamped);
            cr_assert((double)x >= low && (double)x <= high, "'%s' drew %" PRId64, texts[i], x);
            sum += (double)x;
            clamped += is_clamped;
        }
        double mean = sum / SAMPLES, want = sim_dist_mean_ns(&d);
        double tolerance = STANDARD_ERRORS * dist_sd_ns(&d) / sqrt((double)SAMPLES) + 0.5;
        cr_assert(fabs(mean - want) <= tolerance,
                  "'%s': sample mean %.1f ns, expected %.1f +- %.1f ns", texts[i], mean, want,
                  tolerance);
        cr_assert_eq(clamped, 0, "'%s': nothing here comes near a day", texts[i]);
        gsl_rng_free(rng);
    }
}

Test(sim_dist, constant_draws_nothing_and_returns_its_value)
{
    struct sim_dist d = parse_ok("constant 3ms");
    gsl_rng *a = sim_rng_open(1, "test/dist/constant"), *b = sim_rng_open(1, "test/dist/constant");
    for (int i = 0; i < 100; i++) {
        bool is_clamped = true;
        cr_assert_eq(sim_dist_sample_ns(&d, a, &is_clamped), sim_ms(3));
        cr_assert_not(is_clamped);
    }
    cr_assert_eq(sim_rng_u64(a), sim_rng_u64(b), "a constant consumed randomness");
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(sim_dist, changing_a_parameter_moves_values_not_the_stream_position)
{
    /* dist.c: every law except the truncated normal draws a fixed pattern of numbers */
    static const char *const pairs[][2] = {
        {"uniform 1ms 5ms", "uniform 0ns 86400s"},
        {"lognormal 2ms 0.5", "lognormal 50ms 3"},
        {"pareto 1ms 1.5", "pareto 7us 0.2"},
        {"exponential 2ms", "exponential 1s"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct sim_dist d1 = parse_ok(pairs[i][0]), d2 = parse_ok(pairs[i][1]);
        gsl_rng *a = sim_rng_open(2, "test/dist/position");
        gsl_rng *b = sim_rng_open(2, "test/dist/position");
        for (int k = 0; k < 1000; k++) {
            sim_dist_sample_ns(&d1, a, NULL);
            sim_dist_sample_ns(&d2, b, NULL);
        }
        cr_assert_eq(sim_rng_u64(a), sim_rng_u64(b), "'%s' and '%s' drew different amounts",
                     pairs[i][0], pairs[i][1]);
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
}

Test(sim_dist, truncated_normal_is_never_negative)
{
    /* mean far below sd: most of the untruncated mass is negative */
    static const char *const texts[] = {"normal 0ns 1ms", "normal 1us 10ms", "normal 1ms 2ms",
                                        "normal 1ns 1s"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct sim_dist d = parse_ok(texts[i]);
        gsl_rng *rng = sim_rng_open(7 + i, "test/dist/truncated");
        int64_t min_ns = INT64_MAX;
        for (int k = 0; k < 50000; k++) {
            bool is_clamped = true;
            int64_t x = sim_dist_sample_ns(&d, rng, &is_clamped);
            cr_assert_geq(x, 0, "'%s' gave %" PRId64, texts[i], x);
            cr_assert_not(is_clamped, "'%s': truncation is not a clamp", texts[i]);
            if (x < min_ns) min_ns = x;
        }
        /* the lower tail really reaches near 0 (it is truncated, not shifted) */
        cr_assert_lt((double)min_ns, 0.01 * (double)d.b_ns, "'%s' min %" PRId64, texts[i],
                     min_ns);
        gsl_rng_free(rng);
    }
    /* sd 0: exactly the mean, no randomness */
    struct sim_dist d = parse_ok("normal 4ms 0ns");
    gsl_rng *rng = sim_rng_open(1, "test/dist/truncated");
    cr_assert_eq(sim_dist_sample_ns(&d, rng, NULL), sim_ms(4));
    gsl_rng_free(rng);
}

Test(sim_dist, heavy_tail_samples_are_clamped_and_reported)
{
    /* pareto 1ms 0.5: P(X > 1 day) = (1ms / 86400s)^0.5 = 1.08e-4 */
    struct sim_dist d = parse_ok("pareto 1ms 0.5");
    gsl_rng *rng = sim_rng_open(3, "test/dist/clamp");
    int clamped = 0;
    for (int k = 0; k < SAMPLES; k++) {
        bool is_clamped = false;
        int64_t x = sim_dist_sample_ns(&d, rng, &is_clamped);
        cr_assert_geq(x, sim_ms(1));
        cr_assert_leq(x, SIM_DELAY_NS_MAX);
        if (is_clamped) {
            cr_assert_eq(x, SIM_DELAY_NS_MAX);
            clamped++;
        }
    }
    /* binomial(200000, 1.08e-4): mean 21.6, sd 4.6; 5 sd either side */
    cr_assert(clamped >= 1 && clamped <= 45, "%d clamps", clamped);
    gsl_rng_free(rng);
}

/* --- the one rounding function --------------------------------------------------------- */

static void expect_round(double in, int64_t want, bool want_clamped)
{
    bool is_clamped = !want_clamped;
    int64_t got = sim_delay_round(in, &is_clamped);
    cr_assert_eq(got, want, "round(%.17g) = %" PRId64 ", want %" PRId64, in, got, want);
    cr_assert_eq(is_clamped, want_clamped, "round(%.17g): clamp flag %d", in, is_clamped);
}

Test(sim_dist, delay_round_clamps_nan_huge_and_negative_and_says_so)
{
    const double max = (double)SIM_DELAY_NS_MAX;
    expect_round(NAN, SIM_DELAY_NS_MAX, true);
    expect_round(-NAN, SIM_DELAY_NS_MAX, true);
    expect_round(INFINITY, SIM_DELAY_NS_MAX, true);
    expect_round(1e300, SIM_DELAY_NS_MAX, true);
    expect_round(9.3e18, SIM_DELAY_NS_MAX, true); /* past INT64_MAX */
    expect_round(nextafter(max, INFINITY), SIM_DELAY_NS_MAX, true);
    expect_round(-1.0, 0, true);
    expect_round(-1e-300, 0, true);
    expect_round(-INFINITY, 0, true);
    /* in range: rounded to nearest, no clamp */
    expect_round(0.0, 0, false);
    expect_round(-0.0, 0, false);
    expect_round(0.4, 0, false);
    expect_round(0.6, 1, false);
    expect_round(1.5, 2, false);
    expect_round(1234567.49, 1234567, false);
    expect_round(max - 0.4, SIM_DELAY_NS_MAX, false);
    /* exactly the maximum is not "above the maximum": nothing was changed */
    expect_round(max, SIM_DELAY_NS_MAX, false);
    /* the flag pointer may be NULL */
    cr_assert_eq(sim_delay_round(NAN, NULL), SIM_DELAY_NS_MAX);
    cr_assert_eq(sim_delay_round(-5.0, NULL), 0);
}
