/* tests/sim/test_rng.c - proves the named random streams of sim/rng.h keep the
 * determinism contract: a stream is a pure function of (run seed, stream name), all 64
 * seed bits matter (seeds differing only above bit 32 give different keys and draws,
 * which GSL's own 32-bit seeding would not), different names give different streams,
 * the key set catches a duplicate, a chance draws exactly one number whatever its
 * threshold (so a changed rate never shifts later draws), bounded draws stay in bounds,
 * and the output is uniform.
 * How: streams are opened twice and compared draw for draw; stream positions are compared
 * by the next raw draw after equal-length work; uniformity is a chi-square test with a
 * fixed seed whose threshold is the upper 0.1% point of the chi-square distribution
 * (gsl_cdf_chisq_Q > 0.001: a correct generator fails with probability 0.001 per seed,
 * and the seeds are fixed, so the test is deterministic). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "sim/rng.h"

#define CHI_SQUARE_P_MIN 0.001 /* reject uniformity below this upper-tail probability */

static gsl_rng *open_stream(uint64_t seed, const char *name)
{
    gsl_rng *rng = sim_rng_open(seed, name);
    cr_assert_not_null(rng, "sim_rng_open(%" PRIu64 ", %s)", seed, name);
    return rng;
}

/* How many of n draws two streams share at the same positions. */
static int shared_draws(gsl_rng *a, gsl_rng *b, int n)
{
    int same = 0;
    for (int i = 0; i < n; i++) same += sim_rng_u64(a) == sim_rng_u64(b);
    return same;
}

Test(sim_rng, seeds_differing_only_above_bit_32_give_different_streams)
{
    static const uint64_t pairs[][2] = {
        {1, 1 + (UINT64_C(1) << 40)},
        {0, UINT64_C(1) << 32},
        {12345, 12345 + (UINT64_C(1) << 62)},
        {UINT64_C(0xffffffff), UINT64_C(0x1ffffffff)},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t s1 = pairs[i][0], s2 = pairs[i][1];
        cr_assert_eq((uint32_t)s1, (uint32_t)s2, "the pair agrees in its low 32 bits");
        cr_assert_neq(sim_rng_key(s1, "node/server"), sim_rng_key(s2, "node/server"),
                      "keys of seeds %" PRIu64 " and %" PRIu64 " coincide", s1, s2);
        gsl_rng *a = open_stream(s1, "node/server"), *b = open_stream(s2, "node/server");
        /* independent 64-bit streams share a draw with probability 2^-64 each */
        cr_assert_eq(shared_draws(a, b, 1000), 0, "seeds %" PRIu64 " / %" PRIu64, s1, s2);
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
}

Test(sim_rng, key_uses_every_seed_bit)
{
    /* flipping any single bit of the seed changes the key */
    uint64_t base = sim_rng_key(UINT64_C(0x0123456789abcdef), "link/a->b/request");
    for (int bit = 0; bit < 64; bit++) {
        uint64_t seed = UINT64_C(0x0123456789abcdef) ^ (UINT64_C(1) << bit);
        cr_assert_neq(sim_rng_key(seed, "link/a->b/request"), base, "bit %d", bit);
    }
}

Test(sim_rng, same_seed_and_name_give_identical_sequences)
{
    for (uint64_t seed = 1; seed <= 16; seed++) {
        cr_assert_eq(sim_rng_key(seed, "node/client.2"), sim_rng_key(seed, "node/client.2"));
        gsl_rng *a = open_stream(seed, "node/client.2"), *b = open_stream(seed, "node/client.2");
        for (int i = 0; i < 500; i++) {
            /* every kind of draw, interleaved the same way on both */
            cr_assert_eq(sim_rng_u64(a), sim_rng_u64(b), "seed %" PRIu64 " draw %d", seed, i);
            cr_assert_eq(sim_rng_below(a, 1000003), sim_rng_below(b, 1000003));
            cr_assert_eq(sim_rng_chance_ppb(a, 300000000), sim_rng_chance_ppb(b, 300000000));
            double ua = sim_rng_uniform(a), ub = sim_rng_uniform(b);
            cr_assert(ua == ub, "uniform draws differ: %.17g vs %.17g", ua, ub);
            cr_assert(gsl_ran_exponential(a, 5.0) == gsl_ran_exponential(b, 5.0));
        }
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
}

Test(sim_rng, different_names_give_different_sequences)
{
    static const char *const names[] = {
        "node/server", "node/client.0", "node/client.1", "node/client.10",
        "link/client.0->server/request", "link/client.0->server/heartbeat",
        "link/server->client.0/request", "", "node/server ",
    };
    size_t n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            cr_assert_neq(sim_rng_key(1, names[i]), sim_rng_key(1, names[j]), "'%s' vs '%s'",
                          names[i], names[j]);
            gsl_rng *a = open_stream(1, names[i]), *b = open_stream(1, names[j]);
            cr_assert_eq(shared_draws(a, b, 200), 0, "'%s' vs '%s'", names[i], names[j]);
            gsl_rng_free(a);
            gsl_rng_free(b);
        }
    }
}

Test(sim_rng, keys_add_detects_a_duplicate)
{
    struct sim_rng_keys keys = {0};
    cr_assert_eq(sim_rng_keys_add(&keys, sim_rng_key(1, "node/a")), 1);
    cr_assert_eq(sim_rng_keys_add(&keys, sim_rng_key(1, "node/b")), 1);
    cr_assert_eq(sim_rng_keys_add(&keys, sim_rng_key(1, "node/a")), 0, "a duplicate is reported");
    cr_assert_eq(keys.key_count, 2u);
    /* key 0 is a legal key, and is stored like any other */
    cr_assert_eq(sim_rng_keys_add(&keys, 0), 1);
    cr_assert_eq(sim_rng_keys_add(&keys, 0), 0);
    /* many keys: the set grows and still finds each one again */
    gsl_rng *rng = open_stream(3, "test/rng/keys");
    enum { KEY_COUNT = 5000 };
    uint64_t *added = calloc(KEY_COUNT, sizeof *added);
    cr_assert_not_null(added);
    for (int i = 0; i < KEY_COUNT; i++) {
        added[i] = sim_rng_u64(rng);
        cr_assert_eq(sim_rng_keys_add(&keys, added[i]), 1, "key %d", i);
    }
    cr_assert_eq(keys.key_count, (size_t)KEY_COUNT + 3);
    for (int i = 0; i < KEY_COUNT; i++)
        cr_assert_eq(sim_rng_keys_add(&keys, added[i]), 0, "key %d found again", i);
    cr_assert_eq(keys.key_count, (size_t)KEY_COUNT + 3);
    free(added);
    gsl_rng_free(rng);
    sim_rng_keys_free(&keys);
    cr_assert_eq(keys.key_count, 0u);
    cr_assert_null(keys.slots);
}

Test(sim_rng, chance_zero_never_one_always_and_both_draw_once)
{
    enum { DRAWS = 10000 };
    gsl_rng *never = open_stream(9, "test/rng/chance");
    gsl_rng *always = open_stream(9, "test/rng/chance");
    gsl_rng *half = open_stream(9, "test/rng/chance");
    gsl_rng *raw = open_stream(9, "test/rng/chance");
    int half_true = 0;
    for (int i = 0; i < DRAWS; i++) {
        cr_assert_not(sim_rng_chance_ppb(never, 0), "draw %d", i);
        cr_assert(sim_rng_chance_ppb(always, 1000000000), "draw %d", i);
        half_true += sim_rng_chance_ppb(half, 500000000);
        (void)sim_rng_below(raw, 1000000000u); /* what one chance draw is made of */
    }
    /* all four streams now stand at the same position */
    uint64_t next = sim_rng_u64(raw);
    cr_assert_eq(sim_rng_u64(never), next, "chance(0) must still consume its draw");
    cr_assert_eq(sim_rng_u64(always), next, "chance(1e9) must still consume its draw");
    cr_assert_eq(sim_rng_u64(half), next);
    /* binomial(10000, 0.5): sd 50; 5 sd = 250 */
    cr_assert(abs(half_true - DRAWS / 2) < 250, "chance(0.5) true %d times of %d", half_true,
              DRAWS);
    gsl_rng_free(never);
    gsl_rng_free(always);
    gsl_rng_free(half);
    gsl_rng_free(raw);
}

Test(sim_rng, chance_threshold_is_exact_on_the_same_draw)
{
    /* the same draw x gives true exactly for ppb > x: compare with the raw draw */
    gsl_rng *a = open_stream(4, "test/rng/threshold"), *b = open_stream(4, "test/rng/threshold");
    for (int i = 0; i < 2000; i++) {
        uint64_t x = sim_rng_below(b, 1000000000u);
        int64_t ppb = (int64_t)((i * 7919) % 1000000001);
        cr_assert_eq(sim_rng_chance_ppb(a, ppb), (int64_t)x < ppb, "draw %d", i);
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
}

Test(sim_rng, chance_above_one_aborts, .signal = SIGABRT)
{
    gsl_rng *rng = open_stream(1, "test/rng/abort");
    sim_rng_chance_ppb(rng, 1000000001);
    cr_assert_fail("a probability above 1 is a caller bug and must abort");
}

Test(sim_rng, below_stays_within_its_bound)
{
    static const uint64_t bounds[] = {
        1, 2, 3, 7, 10, 1000, 1000000000, UINT64_C(1) << 32, (UINT64_C(1) << 32) + 1,
        (UINT64_C(1) << 63) + 1, UINT64_C(0xAAAAAAAAAAAAAAAA), UINT64_MAX - 1, UINT64_MAX,
    };
    gsl_rng *rng = open_stream(5, "test/rng/below");
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        uint64_t max_seen = 0;
        for (int k = 0; k < 2000; k++) {
            uint64_t x = sim_rng_below(rng, bounds[i]);
            cr_assert_lt(x, bounds[i], "bound %" PRIu64, bounds[i]);
            if (x > max_seen) max_seen = x;
        }
        if (bounds[i] == 1) cr_assert_eq(max_seen, 0u);
        /* for small bounds every value appears; for big ones the top half is reached */
        if (bounds[i] <= 10) cr_assert_eq(max_seen, bounds[i] - 1);
        else cr_assert_geq(max_seen, bounds[i] / 2, "bound %" PRIu64, bounds[i]);
    }
    gsl_rng_free(rng);
}

Test(sim_rng, uniform_draws_are_in_unit_interval_with_53_bits)
{
    gsl_rng *rng = open_stream(6, "test/rng/uniform");
    for (int i = 0; i < 100000; i++) {
        double u = sim_rng_uniform(rng);
        cr_assert(u >= 0.0 && u < 1.0, "draw %d = %.17g", i, u);
        double scaled = u * 0x1.0p53;
        cr_assert(scaled == floor(scaled), "draw %d is not a multiple of 2^-53", i);
    }
    /* GSL's integer interface sees a full 32-bit generator */
    cr_assert_str_eq(gsl_rng_name(rng), "murphy-xoshiro256ss");
    cr_assert_eq(gsl_rng_min(rng), 0ul);
    cr_assert_eq(gsl_rng_max(rng), 0xfffffffful);
    gsl_rng_free(rng);
}

/* Chi-square statistic of `counts` against equal expected counts. */
static double chi_square(const long *counts, int bins, long total)
{
    double expected = (double)total / bins, chi2 = 0.0;
    for (int i = 0; i < bins; i++) {
        double d = (double)counts[i] - expected;
        chi2 += d * d / expected;
    }
    return chi2;
}

Test(sim_rng, below_is_uniform_by_chi_square)
{
    /* 10 bins, 200000 draws, seed 11: chi-square with 9 degrees of freedom */
    enum { BINS = 10, DRAWS = 200000 };
    long counts[BINS] = {0};
    gsl_rng *rng = open_stream(11, "test/rng/chi");
    for (int i = 0; i < DRAWS; i++) counts[sim_rng_below(rng, BINS)]++;
    double chi2 = chi_square(counts, BINS, DRAWS);
    double p = gsl_cdf_chisq_Q(chi2, BINS - 1);
    cr_assert_gt(p, CHI_SQUARE_P_MIN, "chi2 = %.2f (p = %.2g) for below(10)", chi2, p);
    gsl_rng_free(rng);
}

Test(sim_rng, below_has_no_modulo_bias_for_huge_bounds)
{
    /* bound = 2/3 of 2^64: a plain x % bound would put values under bound/2 with chance
     * 2/3 instead of 1/2. Two bins, 100000 draws: chi-square with 1 degree of freedom. */
    enum { DRAWS = 100000 };
    const uint64_t bound = UINT64_C(0xAAAAAAAAAAAAAAAA);
    long counts[2] = {0};
    gsl_rng *rng = open_stream(12, "test/rng/bias");
    for (int i = 0; i < DRAWS; i++) counts[sim_rng_below(rng, bound) >= bound / 2]++;
    double chi2 = chi_square(counts, 2, DRAWS);
    double p = gsl_cdf_chisq_Q(chi2, 1);
    cr_assert_gt(p, CHI_SQUARE_P_MIN, "chi2 = %.2f (p = %.2g), low half %ld of %d", chi2, p,
                 counts[0], DRAWS);
    gsl_rng_free(rng);
}

Test(sim_rng, uniform_and_raw_bits_are_uniform_by_chi_square)
{
    /* 64 bins of sim_rng_uniform and 16 bins of each 4-bit nibble position of raw draws,
     * 128000 draws, seed 13 */
    enum { BINS = 64, DRAWS = 128000 };
    long counts[BINS] = {0};
    long nibbles[16][16] = {{0}};
    gsl_rng *rng = open_stream(13, "test/rng/chi-uniform");
    for (int i = 0; i < DRAWS; i++) {
        counts[(int)(sim_rng_uniform(rng) * BINS)]++;
        uint64_t x = sim_rng_u64(rng);
        for (int k = 0; k < 16; k++) nibbles[k][(x >> (4 * k)) & 15]++;
    }
    double chi2 = chi_square(counts, BINS, DRAWS);
    double p = gsl_cdf_chisq_Q(chi2, BINS - 1);
    cr_assert_gt(p, CHI_SQUARE_P_MIN, "uniform: chi2 = %.2f (p = %.2g)", chi2, p);
    for (int k = 0; k < 16; k++) {
        chi2 = chi_square(nibbles[k], 16, DRAWS);
        p = gsl_cdf_chisq_Q(chi2, 15);
        /* 16 tests: a Bonferroni share of the level keeps the family at 0.1% */
        cr_assert_gt(p, CHI_SQUARE_P_MIN / 16, "nibble %d: chi2 = %.2f (p = %.2g)", k, chi2, p);
    }
    gsl_rng_free(rng);
}
