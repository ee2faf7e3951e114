/* tests/sim/test_scenario_clock.c - proves that the scenario loader (sim/scenario.h)
 * reads the clock, leap, sample and GC keys and the clock faults exactly, and refuses
 * what it should: every error names the file (or "--set"), the line and column of the
 * entry at fault and what was expected. Unknown words (clock_sync = sometimes), values
 * out of range (drift past 10%, jitter past 1 s, a slew of 0 or past 10%, steps past 10
 * years), keys that need another key (clock_leap without leap_at, clock_sync_error or
 * clock_sync_server without clock_sync, gc_every without gc_pause), a time server that
 * is a group of several nodes, and malformed step and drift faults are all refused.
 * How: small scenario texts are loaded with sim_scn_load_text against the in-tree models
 * (models_builtin()); the resulting structs, or the diagnostic and its formatted
 * "file:line:column: error: message" form, are compared field by field. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "models/models.h"
#include "sim/scenario.h"
#include "sim/units.h"

#define LABEL "scenarios/clock.ini"

/* server (1 node, index 0) and client (3 nodes, indexes 1..3); keys appended to BASE
 * land in [node.client] */
#define BASE                                                                                \
    "[scenario]\n"                                                                          \
    "duration = 10s\n"                                                                      \
    "[node.server]\n"                                                                       \
    "model = echo_server\n"                                                                 \
    "[node.client]\n"                                                                       \
    "model = client\n"                                                                      \
    "count = 3\n"                                                                           \
    "target = server\n"
#define BASE_LINES 8
#define CLIENT_LINE 5 /* the [node.client] header */

static void load_ok_set(const char *text, const char *const *sets, size_t set_count,
                        struct sim_scenario *scn)
{
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, strlen(text), sets, set_count, models_builtin(),
                               scn, &diag);
    char line[2048];
    sim_diag_format(&diag, line, sizeof line);
    cr_assert_eq(rc, 0, "should load, got: %s", line);
}

static void load_ok(const char *text, struct sim_scenario *scn)
{
    load_ok_set(text, NULL, 0, scn);
}

/* Loads text that must be refused; checks file, line, column (-1: any known column, i.e.
 * > 0) and that the message holds every fragment; and that the line a user sees starts
 * with "file:line:column: error: ". Returns the diagnostic. */
static struct sim_diag refused_set(const char *text, const char *const *sets, size_t set_count,
                                   const char *file, int line, int column, const char *fragment,
                                   const char *fragment2)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, strlen(text), sets, set_count, models_builtin(),
                               &scn, &diag);
    char formatted[2048];
    sim_diag_format(&diag, formatted, sizeof formatted);
    cr_assert_eq(rc, SIM_EINPUT, "rc %d, expected a refusal: %s", rc, formatted);
    cr_assert_str_eq(diag.file, file, "%s", formatted);
    cr_assert_eq(diag.line, line, "line: %s", formatted);
    if (column < 0) cr_assert_gt(diag.column, 0, "the column is known here: %s", formatted);
    else cr_assert_eq(diag.column, column, "column: %s", formatted);
    cr_assert(strstr(diag.message, fragment) != NULL, "'%s' lacks '%s'", formatted, fragment);
    if (fragment2)
        cr_assert(strstr(diag.message, fragment2) != NULL, "'%s' lacks '%s'", formatted,
                  fragment2);
    char where[600];
    if (diag.column > 0) snprintf(where, sizeof where, "%s:%d:%d: error: ", file, line,
                                  diag.column);
    else snprintf(where, sizeof where, "%s:%d: error: ", file, line);
    cr_assert(strncmp(formatted, where, strlen(where)) == 0, "'%s' does not start with '%s'",
              formatted, where);
    cr_assert_null(scn.groups, "a refused load leaves nothing behind");
    cr_assert_null(scn.faults);
    return diag;
}

static struct sim_diag refused(const char *text, int line, int column, const char *fragment,
                               const char *fragment2)
{
    return refused_set(text, NULL, 0, LABEL, line, column, fragment, fragment2);
}

/* --- what loads ------------------------------------------------------------------------ */

Test(scenario_clock, defaults_are_ntpds_and_nothing_is_on)
{
    struct sim_scenario scn;
    load_ok(BASE, &scn);
    cr_assert_eq(scn.leap_at_ns, -1);
    cr_assert_eq(scn.clock_sample_ns, 0);
    for (uint32_t g = 0; g < scn.group_count; g++) {
        const struct sim_clock_cfg *c = &scn.groups[g].clock;
        cr_assert_eq(c->offset_ns, 0);
        cr_assert_eq(c->drift_ppb, 0);
        cr_assert_eq(c->jitter_ns, 0);
        cr_assert_eq(c->leap, SIM_LEAP_NONE);
        cr_assert_eq(c->sync, SIM_SYNC_NONE);
        cr_assert_eq(c->sync_every_ns, sim_s(64), "ntpd's shortest poll");
        cr_assert_eq(c->sync_error_ns, 0);
        cr_assert(!c->has_sync_server);
        cr_assert_eq(c->slew_max_ppb, 500000, "500 ppm");
        cr_assert_eq(c->step_threshold_ns, sim_ms(128));
        cr_assert(!scn.groups[g].gc.is_on);
        cr_assert_eq(scn.groups[g].gc.notice_ns, 0);
    }
    sim_scn_free(&scn);
}

Test(scenario_clock, every_clock_and_gc_key_is_read_exactly)
{
    struct sim_scenario scn;
    load_ok("[scenario]\nduration = 10s\nleap_at = 12h\nclock_sample = 250ms\n"
            "[node.server]\nmodel = echo_server\n"
            "[node.client]\nmodel = client\ncount = 3\ntarget = server\n"
            "clock_offset = -2s\nclock_drift = -100000ppm\nclock_jitter = 1s\n"
            "clock_leap = smear\nclock_sync = ntpd\nclock_sync_every = 1ms\n"
            "clock_sync_error = 1h\nclock_sync_server = server\nclock_slew_max = 100000ppm\n"
            "clock_step_threshold = 1h\n"
            "gc_every = exponential 5s\ngc_pause = uniform 1ms 2ms\ngc_notice = 1h\n",
            &scn);
    cr_assert_eq(scn.leap_at_ns, sim_s(12 * 3600));
    cr_assert_eq(scn.clock_sample_ns, sim_ms(250));
    const struct sim_clock_cfg *c = &scn.groups[1].clock;
    cr_assert_eq(c->offset_ns, -sim_s(2));
    cr_assert_eq(c->drift_ppb, -100000000);
    cr_assert_eq(c->jitter_ns, sim_s(1));
    cr_assert_eq(c->leap, SIM_LEAP_SMEAR);
    cr_assert_eq(c->sync, SIM_SYNC_NTPD);
    cr_assert_eq(c->sync_every_ns, sim_ms(1));
    cr_assert_eq(c->sync_error_ns, sim_s(3600));
    cr_assert(c->has_sync_server);
    cr_assert_eq(c->sync_server, 0u);
    cr_assert_eq(c->slew_max_ppb, 100000000);
    cr_assert_eq(c->step_threshold_ns, sim_s(3600));
    const struct sim_gc_cfg *gc = &scn.groups[1].gc;
    cr_assert(gc->is_on);
    cr_assert_eq(gc->every.kind, SIM_DIST_EXPONENTIAL);
    cr_assert_eq(gc->length.kind, SIM_DIST_UNIFORM);
    cr_assert_eq(gc->notice_ns, sim_s(3600));
    /* the server group keeps its defaults */
    cr_assert_eq(scn.groups[0].clock.sync, SIM_SYNC_NONE);
    cr_assert(!scn.groups[0].gc.is_on);
    sim_scn_free(&scn);
}

Test(scenario_clock, each_policy_word_maps_to_its_policy)
{
    static const char *const syncs[] = {"none", "step", "slew", "ntpd"};
    static const enum sim_sync_policy sync_values[] = {SIM_SYNC_NONE, SIM_SYNC_STEP,
                                                       SIM_SYNC_SLEW, SIM_SYNC_NTPD};
    for (size_t i = 0; i < 4; i++) {
        char text[512];
        snprintf(text, sizeof text, BASE "clock_sync = %s\n", syncs[i]);
        struct sim_scenario scn;
        load_ok(text, &scn);
        cr_assert_eq(scn.groups[1].clock.sync, sync_values[i], "%s", syncs[i]);
        sim_scn_free(&scn);
    }
    static const char *const leaps[] = {"none", "step", "smear"};
    static const enum sim_leap_policy leap_values[] = {SIM_LEAP_NONE, SIM_LEAP_STEP,
                                                       SIM_LEAP_SMEAR};
    for (size_t i = 0; i < 3; i++) {
        char text[512];
        snprintf(text, sizeof text, "[scenario]\nduration = 1s\nleap_at = 500ms\n"
                 "[node.s]\nmodel = echo_server\nclock_leap = %s\n", leaps[i]);
        struct sim_scenario scn;
        load_ok(text, &scn);
        cr_assert_eq(scn.groups[0].clock.leap, leap_values[i], "%s", leaps[i]);
        sim_scn_free(&scn);
    }
}

Test(scenario_clock, limits_themselves_are_accepted)
{
    struct sim_scenario scn;
    load_ok(BASE "clock_drift = 100000ppm\nclock_jitter = 0ns\nclock_slew_max = 1ppb\n"
                 "clock_step_threshold = 0ns\nclock_sync = step\nclock_sync_error = 0ns\n"
                 "[node.other]\nmodel = echo_server\nclock_drift = -100000ppm\n",
            &scn);
    cr_assert_eq(scn.groups[1].clock.drift_ppb, 100000000);
    cr_assert_eq(scn.groups[1].clock.slew_max_ppb, 1);
    cr_assert_eq(scn.groups[1].clock.step_threshold_ns, 0);
    cr_assert_eq(scn.groups[2].clock.drift_ppb, -100000000);
    sim_scn_free(&scn);
}

Test(scenario_clock, step_and_drift_faults_are_read_exactly)
{
    struct sim_scenario scn;
    load_ok(BASE "[faults]\n"
                 "back = at 1s step client by -2s\n"
                 "slow = at 2s drift server to -35ppm\n"
                 "far = at 3s step client.2 by 87600h\n"
                 "all = at 4s drift * to 100000ppm\n"
                 "fine = at 5s step server by 1ns\n"
                 "frac = at 6s drift client.0 to 0.5ppm\n",
            &scn);
    cr_assert_eq(scn.fault_count, 6u, "a clock fault has no undo");
    const struct sim_fault *f = scn.faults;
    cr_assert_eq(f[0].action, SIM_FAULT_STEP);
    cr_assert_eq(f[0].at_ns, sim_s(1));
    cr_assert_eq(f[0].a.range_count, 1u);
    cr_assert_eq(f[0].a.ranges[0].first, 1u);
    cr_assert_eq(f[0].a.ranges[0].count, 3u);
    cr_assert_eq(f[0].duration_ns, -sim_s(2));
    cr_assert_eq(f[1].action, SIM_FAULT_DRIFT);
    cr_assert_eq(f[1].a.ranges[0].first, 0u);
    cr_assert_eq(f[1].a.ranges[0].count, 1u);
    cr_assert_eq(f[1].drift_ppb, -35000);
    cr_assert_eq(f[2].duration_ns, INT64_C(87600) * 3600 * SIM_NS_PER_S, "10 years");
    cr_assert_eq(f[2].a.ranges[0].first, 3u);
    cr_assert_eq(f[3].a.ranges[0].first, 0u);
    cr_assert_eq(f[3].a.ranges[0].count, 4u);
    cr_assert_eq(f[3].drift_ppb, 100000000);
    cr_assert_eq(f[4].duration_ns, 1);
    cr_assert_eq(f[5].drift_ppb, 500);
    cr_assert_str_eq(f[0].name, "back");
    cr_assert_str_eq(f[0].text, "at 1s step client by -2s");
    sim_scn_free(&scn);
}

Test(scenario_clock, set_switches_sync_and_gc)
{
    static const char *const on[] = {"node.client.clock_sync=slew",
                                     "node.client.clock_sync_error=3ms",
                                     "scenario.clock_sample=2s"};
    struct sim_scenario scn;
    load_ok_set(BASE, on, 3, &scn);
    cr_assert_eq(scn.groups[1].clock.sync, SIM_SYNC_SLEW);
    cr_assert_eq(scn.groups[1].clock.sync_error_ns, sim_ms(3));
    cr_assert_eq(scn.clock_sample_ns, sim_s(2));
    sim_scn_free(&scn);
    /* gc_every = none switches pauses off; gc_pause then need not parse */
    static const char *const off[] = {"node.client.gc_every=none"};
    load_ok_set(BASE "gc_every = exponential 1s\ngc_pause = constant 5ms\n", off, 1, &scn);
    cr_assert(!scn.groups[1].gc.is_on);
    sim_scn_free(&scn);
    load_ok(BASE "gc_every = none\ngc_pause = none\n", &scn);
    cr_assert(!scn.groups[1].gc.is_on);
    sim_scn_free(&scn);
}

/* --- what is refused -------------------------------------------------------------------- */

Test(scenario_clock, unknown_policy_words_are_refused_with_the_known_ones)
{
    refused(BASE "clock_sync = sometimes\n", BASE_LINES + 1, 14,
            "'clock_sync' expected one of none, step, slew, ntpd", "got 'sometimes'");
    refused(BASE "clock_sync = Step\n", BASE_LINES + 1, 14, "expected one of", "'Step'");
    refused(BASE "clock_sync = \n", BASE_LINES + 1, -1, "clock_sync", NULL);
    refused("[scenario]\nduration = 1s\nleap_at = 1s\n[node.s]\nmodel = echo_server\n"
            "clock_leap = wobble\n",
            6, 14, "'clock_leap' expected one of none, step, smear", "got 'wobble'");
}

Test(scenario_clock, a_leap_policy_needs_leap_at)
{
    refused(BASE "clock_leap = step\n", BASE_LINES + 1, 14,
            "'clock_leap' needs [scenario] leap_at = TIME", NULL);
    refused(BASE "clock_leap = smear\n", BASE_LINES + 1, 14, "needs [scenario] leap_at", NULL);
    /* none needs nothing */
    struct sim_scenario scn;
    load_ok(BASE "clock_leap = none\n", &scn);
    sim_scn_free(&scn);
    refused("[scenario]\nduration = 1s\nleap_at = -1s\n[node.s]\nmodel = echo_server\n", 3, 11,
            "'leap_at' must be within", NULL);
    refused("[scenario]\nduration = 1s\nleap_at = 5\n[node.s]\nmodel = echo_server\n", 3, 11,
            "'leap_at'", "unit");
}

Test(scenario_clock, a_time_server_is_one_node)
{
    refused(BASE "clock_sync = step\nclock_sync_server = client\n", BASE_LINES + 2, 21,
            "'clock_sync_server' names 3 nodes", "expected one time server");
    refused(BASE "clock_sync = step\nclock_sync_server = *\n", BASE_LINES + 2, 21,
            "names 4 nodes", NULL);
    refused(BASE "clock_sync = step\nclock_sync_server = ghost\n", BASE_LINES + 2, 21,
            "names no node", "'ghost'");
    /* one node of a group is fine */
    struct sim_scenario scn;
    load_ok(BASE "clock_sync = step\nclock_sync_server = client.1\n", &scn);
    cr_assert_eq(scn.groups[1].clock.sync_server, 2u);
    sim_scn_free(&scn);
}

/* A key that is meaningless without another is refused where it is written. */
Test(scenario_clock, sync_error_and_server_need_a_sync_policy)
{
    refused(BASE "clock_sync_error = 5ms\n", BASE_LINES + 1, -1, "clock_sync_error",
            "clock_sync = step, slew or ntpd");
    refused(BASE "clock_sync = none\nclock_sync_error = 5ms\n", BASE_LINES + 2, -1,
            "clock_sync_error", "clock_sync = step, slew or ntpd");
    refused(BASE "clock_sync_server = server\n", BASE_LINES + 1, -1, "clock_sync_server",
            "clock_sync = step, slew or ntpd");
}

Test(scenario_clock, gc_every_and_gc_pause_come_together)
{
    refused(BASE "gc_every = exponential 1s\n", BASE_LINES + 1, -1, "gc_pause = DIST", NULL);
    refused(BASE "gc_pause = constant 5ms\n", BASE_LINES + 1, -1, "gc_every = DIST", NULL);
    refused(BASE "gc_notice = 5ms\n", BASE_LINES + 1, -1, "gc_every = DIST", NULL);
}

Test(scenario_clock, gc_values_are_checked)
{
    refused(BASE "gc_every = sometimes\ngc_pause = constant 5ms\n", BASE_LINES + 1, 12,
            "'gc_every'", NULL);
    refused(BASE "gc_every = exponential 1s\ngc_pause = constant -5ms\n", BASE_LINES + 2, 12,
            "'gc_pause'", NULL);
    refused(BASE "gc_every = exponential 1s\ngc_pause = constant 5ms\ngc_notice = 2h\n",
            BASE_LINES + 3, 13, "'gc_notice' must be within [0ns, 3600s]", NULL);
    refused(BASE "gc_every = exponential 1s\ngc_pause = constant 5ms\ngc_notice = -1ms\n",
            BASE_LINES + 3, 13, "must be within", NULL);
    refused(BASE "gc_every = exponential 1s\ngc_pause = constant 5ms\ngc_notice = 5\n",
            BASE_LINES + 3, 13, "unit", NULL);
}

Test(scenario_clock, clock_values_out_of_range_are_refused)
{
    refused(BASE "clock_drift = 100001ppm\n", BASE_LINES + 1, 15,
            "'clock_drift' must be within [-100000ppm, 100000ppm]", "'100001ppm'");
    refused(BASE "clock_drift = -10.1%\n", BASE_LINES + 1, 15, "must be within", NULL);
    refused(BASE "clock_drift = fast\n", BASE_LINES + 1, 15, "'clock_drift'", NULL);
    refused(BASE "clock_jitter = 1001ms\n", BASE_LINES + 1, 16,
            "'clock_jitter' must be within [0ns, 1s]", NULL);
    refused(BASE "clock_jitter = -1ns\n", BASE_LINES + 1, 16, "must be within", NULL);
    refused(BASE "clock_slew_max = 0ppm\n", BASE_LINES + 1, 18,
            "'clock_slew_max' must be within [1ppb, 100000ppm]", NULL);
    refused(BASE "clock_slew_max = 100001ppm\n", BASE_LINES + 1, 18, "must be within", NULL);
    refused(BASE "clock_slew_max = -5ppm\n", BASE_LINES + 1, 18, "must be within", NULL);
    refused(BASE "clock_sync_every = 999us\n", BASE_LINES + 1, 20,
            "'clock_sync_every' must be within [1ms,", NULL);
    refused(BASE "clock_step_threshold = 61min\n", BASE_LINES + 1, 24,
            "'clock_step_threshold' must be within [0ns, 3600s]", NULL);
    refused(BASE "clock_sync = step\nclock_sync_error = -1ms\n", BASE_LINES + 2, 20,
            "'clock_sync_error' must be within [0ns, 3600s]", NULL);
    refused(BASE "clock_offset = 5\n", BASE_LINES + 1, 16, "'clock_offset'", "unit");
    refused(BASE "clock_sync_every = 10\n", BASE_LINES + 1, 20, "unit", NULL);
    refused("[scenario]\nduration = 1s\nclock_sample = -1s\n[node.s]\nmodel = echo_server\n", 3,
            16, "'clock_sample' must be within", NULL);
    refused("[scenario]\nduration = 1s\nclock_sample = 1\n[node.s]\nmodel = echo_server\n", 3,
            16, "unit", NULL);
    /* an offset that puts the wall clock before 1970 */
    refused(BASE "clock_offset = -500000h\n", CLIENT_LINE, 0, "leaves the range of wall-clock",
            NULL);
}

Test(scenario_clock, malformed_step_faults_are_refused)
{
    const char *usage = "'at TIME step NODES by D'";
    refused(BASE "[faults]\nf = at 1s step client -2s\n", BASE_LINES + 2, 5, usage, NULL);
    refused(BASE "[faults]\nf = at 1s step client to -2s\n", BASE_LINES + 2, 5, usage, NULL);
    refused(BASE "[faults]\nf = at 1s step client by\n", BASE_LINES + 2, 5, usage, NULL);
    refused(BASE "[faults]\nf = at 1s step client by 1s for 2s\n", BASE_LINES + 2, 5, usage,
            NULL);
    refused(BASE "[faults]\nf = at 1s step client by 2\n", BASE_LINES + 2, 5, "unit", NULL);
    refused(BASE "[faults]\nf = at 1s step client by 87601h\n", BASE_LINES + 2, 5,
            "steps must be within 10 years either way", "'87601h'");
    refused(BASE "[faults]\nf = at 1s step client by -87601h\n", BASE_LINES + 2, 5,
            "steps must be within 10 years", NULL);
    refused(BASE "[faults]\nf = at 1s step ghost by 1s\n", BASE_LINES + 2, 5, "names no node",
            "'ghost'");
    refused(BASE "[faults]\nf = at -1s step client by 1s\n", BASE_LINES + 2, 5,
            "times must be within", NULL);
}

Test(scenario_clock, malformed_drift_faults_are_refused)
{
    const char *usage = "'at TIME drift NODES to RATE'";
    refused(BASE "[faults]\nf = at 1s drift client by 5ppm\n", BASE_LINES + 2, 5, usage, NULL);
    refused(BASE "[faults]\nf = at 1s drift client\n", BASE_LINES + 2, 5, usage, NULL);
    refused(BASE "[faults]\nf = at 1s drift client to 5ppm for 2s\n", BASE_LINES + 2, 5, usage,
            NULL);
    refused(BASE "[faults]\nf = at 1s drift client to 100001ppm\n", BASE_LINES + 2, 5,
            "drift must be within [-100000ppm, 100000ppm]", "'100001ppm'");
    refused(BASE "[faults]\nf = at 1s drift client to -100001ppm\n", BASE_LINES + 2, 5,
            "drift must be within", NULL);
    refused(BASE "[faults]\nf = at 1s drift client to fast\n", BASE_LINES + 2, 5, "'f'", NULL);
    refused(BASE "[faults]\nf = at 1s drift client to 5ms\n", BASE_LINES + 2, 5, "'f'", NULL);
    refused(BASE "[faults]\nf = at 1s drift nobody to 5ppm\n", BASE_LINES + 2, 5,
            "names no node", NULL);
}

Test(scenario_clock, set_errors_point_at_the_override)
{
    static const char *const bad_word[] = {"node.client.clock_sync=sometimes"};
    refused_set(BASE, bad_word, 1, "--set", 1, -1, "expected one of none, step, slew, ntpd",
                NULL);
    static const char *const bad_server[] = {"scenario.duration=5s",
                                             "node.client.clock_sync=step",
                                             "node.client.clock_sync_server=client"};
    refused_set(BASE, bad_server, 3, "--set", 3, -1, "names 3 nodes", NULL);
    static const char *const bad_drift[] = {"node.client.clock_drift=1%0"};
    refused_set(BASE, bad_drift, 1, "--set", 1, -1, "'clock_drift'", NULL);
}

Test(scenario_clock, unknown_clock_keys_list_the_known_ones)
{
    struct sim_diag d = refused(BASE "clock_skew = 5ms\n", BASE_LINES + 1, 1,
                                "unknown key 'clock_skew'", NULL);
    static const char *const keys[] = {"clock_offset", "clock_drift", "clock_jitter",
                                       "clock_leap", "clock_sync", "clock_sync_every",
                                       "clock_sync_error", "clock_sync_server",
                                       "clock_slew_max", "clock_step_threshold", "gc_every",
                                       "gc_pause", "gc_notice"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert(strstr(d.message, keys[i]) != NULL, "%s lacks %s", d.message, keys[i]);
    d = refused("[scenario]\nduration = 1s\nclock_samples = 1s\n[node.s]\nmodel = echo_server\n",
                3, 1, "unknown key 'clock_samples'", "clock_sample");
    cr_assert(strstr(d.message, "leap_at") != NULL, "%s", d.message);
}
