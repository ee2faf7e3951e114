/* tests/sim/test_empirical.c - proves empirical delay distributions (sim/empirical.h and
 * `empirical FILE` in scenario text): the file is found next to the scenario, parsed
 * exactly (units, comments, blank lines, CRLF), folded into distinct values, and every
 * draw is one of the measured values with the frequency of its samples (binomial
 * tolerance, 5 sd, fixed seed); one table serves every key that names the file; the
 * distribution's text carries the file's hash; a run with it is deterministic; and every
 * bad file is an error naming the samples file and its line, and the scenario key.
 * How: sample files written into a temporary directory with a scenario beside them,
 * loaded with sim_scn_load; sampling through sim_dist_sample_ns on a fixed-seed stream;
 * a world run twice in one process for the hash (separate-process determinism of
 * scenarios is the e2e suites' job; this feature's is covered there by the golden run). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "models/models.h"
#include "sim/empirical.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/murphy-empirical-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(empirical, .init = setup, .fini = teardown);

static const char *path_in(const char *name)
{
    static char paths[4][256]; /* test-local: each test is its own process */
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *name, const char *text)
{
    FILE *fp = fopen(path_in(name), "wb");
    cr_assert_not_null(fp);
    fwrite(text, 1, strlen(text), fp);
    fclose(fp);
}

#define SCENARIO(delay)                                                                     \
    "[scenario]\nduration = 2s\n"                                                           \
    "[node.server]\nmodel = echo_server\nservice_time = " delay "\n"                        \
    "[node.client]\nmodel = client\ntarget = server\narrival = exponential 5ms\n"            \
    "[link.default]\ndelay = " delay "\n"

static int load(const char *scenario_text, struct sim_scenario *scn, struct sim_diag *diag)
{
    write_text("s.ini", scenario_text);
    return sim_scn_load(path_in("s.ini"), NULL, 0, models_builtin(), scn, diag);
}

Test(empirical, samples_are_read_exactly_and_shared_by_every_key)
{
    write_text("rtt.txt", "# measured round trips\n1ms\n\n  2.5ms \r\n1ms\n# done\n3ms");
    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_eq(load(SCENARIO("empirical rtt.txt"), &scn, &diag), 0, "%s", diag.message);
    cr_assert_eq(scn.empirical_count, 1u, "one table for the link and the parameter");
    const struct sim_empirical *t = scn.empiricals[0];
    cr_assert_eq(t->sample_count, 4u);
    cr_assert_eq(t->value_count, 3u);
    cr_assert_eq(t->values_ns[0], 1000000);
    cr_assert_eq(t->values_ns[1], 2500000);
    cr_assert_eq(t->values_ns[2], 3000000);
    cr_assert_float_eq(t->mean_ns, 7.5e6 / 4, 1e-6);
    cr_assert_eq(scn.link_rules[0].cfg.delay.table, t);
    char text[256];
    sim_dist_format(&scn.link_rules[0].cfg.delay, text, sizeof text);
    cr_assert(strncmp(text, "empirical rtt.txt xxh3:", 23) == 0, "%s", text);
    cr_assert_eq(strlen(text), 23u + 16u, "%s", text);
    sim_scn_free(&scn);
}

Test(empirical, draws_follow_the_sample_counts)
{
    /* 1ms x1, 2ms x3, 5ms x6: probabilities 0.1, 0.3, 0.6 */
    write_text("w.txt", "1ms\n2ms\n2ms\n2ms\n5ms\n5ms\n5ms\n5ms\n5ms\n5ms\n");
    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_eq(load(SCENARIO("empirical w.txt"), &scn, &diag), 0, "%s", diag.message);
    gsl_rng *rng = sim_rng_open(7, "test/empirical");
    cr_assert_not_null(rng);
    enum { DRAWS = 200000 };
    long counts[3] = {0};
    for (int i = 0; i < DRAWS; i++) {
        bool clamped = true;
        int64_t ns = sim_dist_sample_ns(&scn.link_rules[0].cfg.delay, rng, &clamped);
        cr_assert(!clamped);
        if (ns == 1000000) counts[0]++;
        else if (ns == 2000000) counts[1]++;
        else if (ns == 5000000) counts[2]++;
        else cr_assert_fail("drew %lld, which was never measured", (long long)ns);
    }
    const double p[3] = {0.1, 0.3, 0.6};
    for (int k = 0; k < 3; k++) {
        double expected = DRAWS * p[k], sd = sqrt(DRAWS * p[k] * (1 - p[k]));
        cr_assert(fabs((double)counts[k] - expected) <= 5 * sd, "value %d: %ld draws, expected "
                  "%.0f +- %.0f (5 sd)", k, counts[k], expected, 5 * sd);
    }
    gsl_rng_free(rng);
    sim_scn_free(&scn);
}

Test(empirical, a_run_with_measured_delays_repeats_its_hash)
{
    write_text("rtt.txt", "800us\n1ms\n1.2ms\n4ms\n12ms\n");
    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_eq(load(SCENARIO("empirical rtt.txt"), &scn, &diag), 0, "%s", diag.message);
    uint64_t hashes[2];
    for (int i = 0; i < 2; i++) {
        struct sim_world *world = NULL;
        cr_assert_eq(sim_world_create(&scn, 3, &world, &diag), 0);
        sim_world_run(world, UINT64_MAX, NULL);
        hashes[i] = sim_world_hash(world);
        cr_assert_gt(sim_world_event_count(world), 1000u, "the client talked");
        sim_world_destroy(world);
    }
    cr_assert_eq(hashes[0], hashes[1]);
    sim_scn_free(&scn);
}

static void assert_refused(const char *samples, const char *expect_where, const char *fragment)
{
    if (samples) write_text("bad.txt", samples);
    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_neq(load(SCENARIO("empirical bad.txt"), &scn, &diag), 0, "loaded: %s", samples);
    char text[2048];
    sim_diag_format(&diag, text, sizeof text);
    cr_assert(strstr(text, "s.ini:") != NULL, "names the scenario key: %s", text);
    cr_assert(strstr(text, expect_where) != NULL, "'%s' lacks '%s'", text, expect_where);
    cr_assert(strstr(text, fragment) != NULL, "'%s' lacks '%s'", text, fragment);
}

Test(empirical, bad_samples_name_the_file_and_line)
{
    assert_refused("1ms\n2ms\n250\n", "bad.txt:3:", "duration");
    assert_refused("1ms\n-2ms\n", "bad.txt:2:", "negative");
    assert_refused("# nothing measured\n\n", "bad.txt", "no sample");
    assert_refused("1ms\n2 ms x\n", "bad.txt:2:", "duration");
    cr_assert_eq(unlink(path_in("bad.txt")), 0);
    assert_refused(NULL, "bad.txt", "cannot read");
    char nul[] = "1ms\n2m\0s\n";
    FILE *fp = fopen(path_in("bad.txt"), "wb");
    fwrite(nul, 1, sizeof nul - 1, fp);
    fclose(fp);
    assert_refused(NULL, "bad.txt:2:", "NUL");
}

Test(empirical, the_sample_limit_is_an_error_naming_it)
{
    FILE *fp = fopen(path_in("bad.txt"), "wb");
    cr_assert_not_null(fp);
    for (unsigned i = 0; i <= SIM_EMPIRICAL_SAMPLES_MAX; i++) fputs("1ms\n", fp);
    fclose(fp);
    assert_refused(NULL, "bad.txt:1000001:", "SIM_EMPIRICAL_SAMPLES_MAX");
}

Test(empirical, the_form_is_checked)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    cr_assert_neq(load(SCENARIO("empirical"), &scn, &diag), 0);
    cr_assert(strstr(diag.message, "empirical FILE") != NULL, "%s", diag.message);
    cr_assert_neq(load(SCENARIO("empirical a.txt b.txt"), &scn, &diag), 0);
    cr_assert(strstr(diag.message, "empirical FILE") != NULL, "%s", diag.message);
}
