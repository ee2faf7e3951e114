/* tests/sim/test_scenario.c - proves that the scenario loader (sim/scenario.h) builds
 * what the file says and refuses what it should: every error names the file (or
 * "--set"), the line (and the column where one is known) and what was expected; --set
 * overrides replace values, reach link sections whose names contain "->", and an unknown
 * overridden key is an error; the fault grammar and its expansions (a "for" adds the
 * undoing fault; a flap alternates partition and heal every period) produce the listed
 * faults at the listed times; link rules apply in file order, each overriding only the
 * keys it sets; and nodes are named and numbered as the header says.
 * How: small scenario texts are loaded with sim_scn_load_text against the in-tree models
 * (models_builtin()); the resulting structs, or the diagnostic and its formatted
 * "file:line:column: error: message" form, are compared field by field. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "sim/scenario.h"
#include "sim/units.h"

#define LABEL "scenarios/test.ini"

/* server (1 node, index 0) and client (3 nodes, indexes 1..3) */
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

static void load_ok_set(const char *text, const char *const *overrides, size_t override_count,
                        struct sim_scenario *scn)
{
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, strlen(text), overrides, override_count,
                               models_builtin(), scn, &diag);
    char line[2048];
    sim_diag_format(&diag, line, sizeof line);
    cr_assert_eq(rc, 0, "should load, got: %s", line);
}

static void load_ok(const char *text, struct sim_scenario *scn)
{
    load_ok_set(text, NULL, 0, scn);
}

/* Loads bytes that must be refused with code; checks where the diagnostic points (a
 * column of -1 accepts any known column, i.e. > 0) and that its message says what is
 * wrong or expected. Returns the diagnostic. */
static struct sim_diag fails_n(const char *text, size_t bytes, const char *const *overrides,
                               size_t override_count, int code, const char *file, int line,
                               int column, const char *fragment)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, bytes, overrides, override_count, models_builtin(),
                               &scn, &diag);
    char formatted[2048];
    sim_diag_format(&diag, formatted, sizeof formatted);
    cr_assert_eq(rc, code, "rc %d (%s), expected %d: %s", rc, sim_strerror(rc), code,
                 formatted);
    cr_assert_str_eq(diag.file, file, "%s", formatted);
    cr_assert_eq(diag.line, line, "line: %s", formatted);
    if (column < 0) cr_assert_gt(diag.column, 0, "a column is known here: %s", formatted);
    else cr_assert_eq(diag.column, column, "column: %s", formatted);
    cr_assert(strstr(diag.message, fragment) != NULL, "'%s' lacks '%s'", formatted, fragment);
    /* the compiler-style line a user sees starts with where the problem is */
    char where[600];
    if (line > 0 && diag.column > 0) snprintf(where, sizeof where, "%s:%d:%d: error: ", file,
                                              line, diag.column);
    else if (line > 0) snprintf(where, sizeof where, "%s:%d: error: ", file, line);
    else snprintf(where, sizeof where, "%s: error: ", file);
    cr_assert(strncmp(formatted, where, strlen(where)) == 0, "'%s' does not start with '%s'",
              formatted, where);
    /* a refused load leaves nothing behind */
    cr_assert_null(scn.groups);
    cr_assert_null(scn.faults);
    cr_assert_null(scn.text);
    return diag;
}

static struct sim_diag fails(const char *text, int line, int column, const char *fragment)
{
    return fails_n(text, strlen(text), NULL, 0, SIM_EINPUT, LABEL, line, column, fragment);
}

/* --- errors ---------------------------------------------------------------------------- */

Test(sim_scenario, unknown_key_names_the_key_and_the_expected_ones)
{
    struct sim_diag d = fails(BASE "colour = blue\n", BASE_LINES + 1, 1, "unknown key 'colour'");
    cr_assert(strstr(d.message, "expected one of") != NULL, "%s", d.message);
    /* the expected keys include the model's own parameters */
    cr_assert(strstr(d.message, "arrival") != NULL, "%s", d.message);
    d = fails("[scenario]\nduration = 1s\nduraton = 2s\n[node.s]\nmodel = echo_server\n", 3, 1,
              "unknown key 'duraton' in [scenario]");
    cr_assert(strstr(d.message, "duration") != NULL, "%s", d.message);
    fails(BASE "[link.default]\nlatency = constant 1ms\n", BASE_LINES + 2, 1,
          "unknown key 'latency' in [link.default]");
}

Test(sim_scenario, unknown_section_names_the_section_and_the_expected_ones)
{
    struct sim_diag d = fails(BASE "[nodes.extra]\nmodel = echo_server\n", BASE_LINES + 1, 0,
                              "unknown section [nodes.extra]");
    cr_assert(strstr(d.message, "expected [scenario]") != NULL, "%s", d.message);
    fails(BASE "[falts]\n", BASE_LINES + 1, 0, "unknown section [falts]");
}

Test(sim_scenario, duration_without_unit_is_an_error_at_its_column)
{
    struct sim_diag d = fails("[scenario]\nduration = 250\n[node.s]\nmodel = echo_server\n", 2,
                              12, "'duration'");
    cr_assert(strstr(d.message, "unit") != NULL, "%s", d.message);
    cr_assert(strstr(d.message, "'250'") != NULL, "%s", d.message);
    /* a model's duration parameter too */
    fails(BASE "timeout = 250\n", BASE_LINES + 1, 11, "unit");
    /* and a link's */
    fails(BASE "[link.default]\nreorder_delay = 5\n", BASE_LINES + 2, 17, "unit");
}

Test(sim_scenario, negative_durations_are_errors)
{
    fails("[scenario]\nduration = -5s\n[node.s]\nmodel = echo_server\n", 2, 12, "must be within");
    fails(BASE "timeout = -1ms\n", BASE_LINES + 1, 11, "must be within");
    fails(BASE "[link.default]\nreorder_delay = -5ms\n", BASE_LINES + 2, 17, "must be within");
    fails(BASE "[faults]\nf = at -1s crash server\n", BASE_LINES + 2, 5, "times must be within");
    fails(BASE "[faults]\nf = at 1s pause server for -2s\n", BASE_LINES + 2, 5,
          "times must be within");
    fails(BASE "[link.default]\ndelay = constant -1ms\n", BASE_LINES + 2, 9, "within");
    fails("[scenario]\nduration = 0s\n[node.s]\nmodel = echo_server\n", 2, 12, "must be within");
}

Test(sim_scenario, unknown_node_in_a_link_section)
{
    struct sim_diag d = fails(BASE "[link.client->nobody]\nloss = 1%\n", BASE_LINES + 1, 0,
                              "'nobody' names no node");
    cr_assert(strstr(d.message, "expected a group (server, client)") != NULL, "%s", d.message);
    fails(BASE "[link.client.3->server]\nloss = 1%\n", BASE_LINES + 1, 0, "names no node");
    fails(BASE "[link.server.0->client]\nloss = 1%\n", BASE_LINES + 1, 0, "names no node");
    fails(BASE "[link.client]\nloss = 1%\n", BASE_LINES + 1, 0, "expected [link.default]");
}

Test(sim_scenario, unknown_node_in_a_fault)
{
    struct sim_diag d = fails(BASE "[faults]\nboom = at 1s crash nobody\n", BASE_LINES + 2, 8,
                              "names no node");
    cr_assert(strstr(d.message, "expected a group (server, client), GROUP.INDEX or *") != NULL,
              "%s", d.message);
    cr_assert(strstr(d.message, "'nobody'") != NULL, "%s", d.message);
    fails(BASE "[faults]\np = at 1s partition client / ghost\n", BASE_LINES + 2, 5,
          "names no node");
    fails(BASE "[faults]\np = at 1s cut client.7 -> server\n", BASE_LINES + 2, 5,
          "names no node");
    /* a node parameter naming a group checks the same way */
    fails("[scenario]\nduration = 1s\n[node.c]\nmodel = client\ntarget = servers\n", 5, 10,
          "names no node");
}

Test(sim_scenario, unknown_model_lists_the_known_ones)
{
    struct sim_diag d = fails("[scenario]\nduration = 1s\n[node.s]\nmodel = raft\n", 4, 9,
                              "names no model");
    cr_assert(strstr(d.message, "echo_server") != NULL, "%s", d.message);
    cr_assert(strstr(d.message, "client") != NULL, "%s", d.message);
    cr_assert(strstr(d.message, "'raft'") != NULL, "%s", d.message);
    fails("[scenario]\nduration = 1s\n[node.s]\ncount = 2\n", 3, 0, "needs 'model = NAME'");
}

Test(sim_scenario, ratios_outside_zero_to_one_are_errors)
{
    struct sim_diag d = fails(BASE "[link.client->server]\nloss = 150%\n", BASE_LINES + 2, 8,
                              "'loss' must be within [0, 1]");
    cr_assert(strstr(d.message, "'150%'") != NULL, "%s", d.message);
    fails(BASE "[link.default]\nduplicate = -1%\n", BASE_LINES + 2, 13, "must be within");
    fails(BASE "[link.default]\ncorrupt = 1.5\n", BASE_LINES + 2, 11, "must be within");
    fails(BASE "[link.default]\nloss = lots\n", BASE_LINES + 2, 8, "'loss'");
}

Test(sim_scenario, empty_text_asks_for_a_scenario_section)
{
    fails_n("", 0, NULL, 0, SIM_EINPUT, LABEL, 0, 0, "expected a [scenario] section");
    fails("\n\n# only a comment\n", 0, 0, "expected a [scenario] section");
    fails("[scenario]\nduration = 1s\n", 0, 0, "expected at least one [node.GROUP]");
    fails("[scenario]\nname = x\n[node.s]\nmodel = echo_server\n", 1, 0, "needs 'duration");
}

Test(sim_scenario, binary_garbage_is_refused_at_its_line_and_column)
{
    /* the start of an ELF file */
    static const char elf[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                              "\x03\x00\x3e\x00\x01\x00\x00\x00";
    struct sim_diag d = fails_n(elf, sizeof elf - 1, NULL, 0, SIM_EINPUT, LABEL, 1, -1, "");
    cr_assert_neq(d.message[0], '\0');
    /* high bytes and control characters in the middle of a valid file */
    static const char text[] = "[scenario]\nduration = 1s\n\x01\x02\xff\xfe\n";
    fails_n(text, sizeof text - 1, NULL, 0, SIM_EINPUT, LABEL, 3, -1, "");
}

Test(sim_scenario, nul_bytes_in_the_text_are_refused_not_cut)
{
    /* a NUL would end a C string here: the rest of the line must not silently vanish */
    static const char text[] = "[scenario]\nduration = 1s\0 or more\n[node.s]\n"
                               "model = echo_server\n";
    struct sim_diag d = fails_n(text, sizeof text - 1, NULL, 0, SIM_EINPUT, LABEL, 2, 14, "");
    cr_assert_neq(d.message[0], '\0');
}

Test(sim_scenario, missing_file_is_an_error_not_a_crash)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load("/nonexistent/dir/scenario.ini", NULL, 0, models_builtin(), &scn,
                          &diag);
    cr_assert_lt(rc, 0);
    cr_assert_str_eq(diag.file, "/nonexistent/dir/scenario.ini");
    cr_assert(strstr(diag.message, "cannot read") != NULL, "%s", diag.message);
    cr_assert(strstr(diag.message, "No such file") != NULL, "%s", diag.message);
    cr_assert_null(scn.groups);
    /* a directory is not a scenario either */
    rc = sim_scn_load("/", NULL, 0, models_builtin(), &scn, &diag);
    cr_assert_lt(rc, 0);
    cr_assert_str_eq(diag.file, "/");
    cr_assert(strstr(diag.message, "cannot read") != NULL, "%s", diag.message);
}

Test(sim_scenario, a_file_on_disk_loads_like_its_text)
{
    char path[] = "/tmp/murphy-test-scenario-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *fp = fdopen(fd, "w");
    cr_assert_not_null(fp);
    fputs(BASE, fp);
    fclose(fp);
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load(path, NULL, 0, models_builtin(), &scn, &diag);
    remove(path);
    cr_assert_eq(rc, 0, "%s", diag.message);
    cr_assert_eq(scn.node_count, 4u);
    cr_assert_eq(scn.text_bytes, strlen(BASE));
    cr_assert_str_eq(scn.text, BASE);
    sim_scn_free(&scn);
}

/* --- overrides ------------------------------------------------------------------------- */

Test(sim_scenario, set_replaces_a_value)
{
    static const char *const sets[] = {"scenario.duration=20s", "node.client.timeout=7ms",
                                       "node.client.count=5"};
    struct sim_scenario scn;
    load_ok_set(BASE "timeout = 50ms\n", sets, 3, &scn);
    cr_assert_eq(scn.duration_ns, sim_s(20));
    cr_assert_eq(scn.groups[1].node_count, 5u);
    cr_assert_eq(scn.node_count, 6u);
    const struct sim_param_value *timeout = NULL;
    for (size_t i = 0; i < scn.groups[1].model->param_count; i++)
        if (strcmp(scn.groups[1].params[i].spec->name, "timeout") == 0)
            timeout = &scn.groups[1].params[i];
    cr_assert_not_null(timeout);
    cr_assert_eq(timeout->i64, sim_ms(7));
    cr_assert_eq(scn.override_count, 3u);
    cr_assert_str_eq(scn.overrides[0], "scenario.duration=20s");
    /* the stored text is the file's, overrides are kept beside it */
    cr_assert(strstr(scn.text, "timeout = 50ms") != NULL);
    sim_scn_free(&scn);
}

Test(sim_scenario, set_naming_an_unknown_key_is_an_error)
{
    static const char *const sets[] = {"scenario.duration=20s", "node.client.timout=7ms"};
    struct sim_diag d = fails_n(BASE, strlen(BASE), sets, 2, SIM_EINPUT, "--set", 2, 1,
                                "unknown key 'timout' in [node.client]");
    cr_assert(strstr(d.message, "timeout") != NULL, "the expected keys are listed: %s",
              d.message);
    static const char *const bad_unit[] = {"scenario.duration=20"};
    fails_n(BASE, strlen(BASE), bad_unit, 1, SIM_EINPUT, "--set", 1, 19, "unit");
    static const char *const new_section[] = {"node.ghost.model=echo_server",
                                              "nodes.x.y=1"};
    /* a section that only --set names points at that override, not at the file */
    struct sim_diag s = fails_n(BASE, strlen(BASE), new_section, 2, SIM_EINPUT, "--set", 2, 0,
                                "unknown section [nodes.x] for key 'y'");
    cr_assert(strstr(s.message, "expected [scenario]") != NULL, "%s", s.message);
}

Test(sim_scenario, set_reaches_link_sections_with_arrows)
{
    static const char *const sets[] = {"link.client->server.loss=5%",
                                       "link.server<->client.0.delay=constant 9ms",
                                       "link.client.2->server.duplicate=0.5"};
    struct sim_scenario scn;
    load_ok_set(BASE "[link.client->server]\nloss = 1%\n", sets, 3, &scn);
    struct sim_link_cfg cfg;
    sim_scn_link_cfg(&scn, 1, 0, &cfg); /* client.0 -> server */
    cr_assert_eq(cfg.loss_ppb, 50000000, "the override replaced 1%%");
    cr_assert_eq(cfg.delay.kind, SIM_DIST_CONSTANT);
    cr_assert_eq(cfg.delay.a_ns, sim_ms(9), "a section made by --set applies too");
    cr_assert_eq(cfg.duplicate_ppb, 0);
    sim_scn_link_cfg(&scn, 0, 1, &cfg); /* server -> client.0: the <-> rule */
    cr_assert_eq(cfg.delay.a_ns, sim_ms(9));
    cr_assert_eq(cfg.loss_ppb, 0);
    sim_scn_link_cfg(&scn, 3, 0, &cfg); /* client.2 -> server */
    cr_assert_eq(cfg.duplicate_ppb, 500000000);
    cr_assert_eq(cfg.loss_ppb, 50000000);
    cr_assert_eq(cfg.delay.a_ns, sim_ms(1), "the built-in default delay");
    sim_scn_free(&scn);
}

/* Every key of [link.default] can come from --set alone, with no such section in the file
 * (only delay and loss used to be looked for). */
Test(sim_scenario, set_reaches_every_key_of_the_default_link)
{
    static const char *const sets[] = {"link.default.bandwidth=1Mbps", "link.default.queue=7",
                                       "link.default.reorder_delay=3ms"};
    struct sim_scenario scn;
    load_ok_set(BASE, sets, 3, &scn);
    struct sim_link_cfg cfg;
    sim_scn_link_cfg(&scn, 1, 0, &cfg);
    cr_assert_eq(cfg.bandwidth_bps, 1000000);
    cr_assert_eq(cfg.queue_max, 7);
    cr_assert_eq(cfg.reorder_delay_ns, sim_ms(3));
    sim_scn_free(&scn);
}

/* --- faults ----------------------------------------------------------------------------- */

static void expect_fault(const struct sim_scenario *scn, uint32_t i, const char *name,
                         int64_t at_ns, enum sim_fault_action action)
{
    cr_assert_lt(i, scn->fault_count, "fault %u missing", i);
    const struct sim_fault *f = &scn->faults[i];
    cr_assert_str_eq(f->name, name, "fault %u", i);
    cr_assert_eq(f->at_ns, at_ns, "fault %u (%s) at %" PRId64, i, f->text, f->at_ns);
    cr_assert_eq(f->action, action, "fault %u (%s): action %s", i, f->text,
                 sim_fault_action_name(f->action));
}

/* A side of one range: [first, first + count). */
static bool range_is(struct sim_node_set set, uint32_t first, uint32_t count)
{
    return set.range_count == 1 && set.ranges[0].first == first && set.ranges[0].count == count;
}

Test(sim_scenario, fault_grammar_reads_every_action)
{
    struct sim_scenario scn;
    load_ok(BASE "[faults]\n"
                 "split = at 1s partition client / server\n"
                 "oneway = at 2s cut server -> client.1\n"
                 "mend = at 3s heal oneway\n"
                 "all = at 4s heal\n"
                 "boom = at 5s crash server\n"
                 "up = at 6s restart server\n"
                 "gc = at 7s pause client for 250ms\n"
                 "star = at 8s crash *\n",
            &scn);
    cr_assert_eq(scn.fault_count, 8u);
    expect_fault(&scn, 0, "split", sim_s(1), SIM_FAULT_PARTITION);
    cr_assert(range_is(scn.faults[0].a, 1, 3));
    cr_assert(range_is(scn.faults[0].b, 0, 1));
    expect_fault(&scn, 1, "oneway", sim_s(2), SIM_FAULT_CUT);
    cr_assert(range_is(scn.faults[1].a, 0, 1));
    cr_assert(range_is(scn.faults[1].b, 2, 1));
    expect_fault(&scn, 2, "mend", sim_s(3), SIM_FAULT_HEAL);
    cr_assert_eq(scn.faults[2].heal_fault, 1u);
    expect_fault(&scn, 3, "all", sim_s(4), SIM_FAULT_HEAL);
    cr_assert_eq(scn.faults[3].heal_fault, UINT32_MAX);
    expect_fault(&scn, 4, "boom", sim_s(5), SIM_FAULT_CRASH);
    cr_assert(range_is(scn.faults[4].a, 0, 1));
    expect_fault(&scn, 5, "up", sim_s(6), SIM_FAULT_RESTART);
    expect_fault(&scn, 6, "gc", sim_s(7), SIM_FAULT_PAUSE);
    cr_assert(range_is(scn.faults[6].a, 1, 3));
    cr_assert_eq(scn.faults[6].duration_ns, sim_ms(250));
    expect_fault(&scn, 7, "star", sim_s(8), SIM_FAULT_CRASH);
    cr_assert(range_is(scn.faults[7].a, 0, 4));
    for (uint32_t i = 0; i < scn.fault_count; i++)
        cr_assert_eq(scn.faults[i].line, BASE_LINES + 2 + (int)i, "fault %u keeps its line", i);
    cr_assert_str_eq(scn.faults[6].text, "at 7s pause client for 250ms");
    sim_scn_free(&scn);
}

Test(sim_scenario, for_adds_the_undoing_fault)
{
    struct sim_scenario scn;
    load_ok(BASE "[faults]\n"
                 "split = at 1s partition client / server for 2s\n"
                 "oneway = at 2s cut client.0 -> server for 500ms\n"
                 "boom = at 5s crash client.2 for 3s\n"
                 "gc = at 7s pause server for 1s\n",
            &scn);
    /* expansions follow their source; a pause needs no undo (the kernel resumes it) */
    cr_assert_eq(scn.fault_count, 7u);
    expect_fault(&scn, 0, "split", sim_s(1), SIM_FAULT_PARTITION);
    expect_fault(&scn, 1, "split", sim_s(3), SIM_FAULT_HEAL);
    cr_assert_eq(scn.faults[1].heal_fault, 0u, "heals its own partition only");
    expect_fault(&scn, 2, "oneway", sim_s(2), SIM_FAULT_CUT);
    expect_fault(&scn, 3, "oneway", sim_ms(2500), SIM_FAULT_HEAL);
    cr_assert_eq(scn.faults[3].heal_fault, 2u);
    expect_fault(&scn, 4, "boom", sim_s(5), SIM_FAULT_CRASH);
    expect_fault(&scn, 5, "boom", sim_s(8), SIM_FAULT_RESTART);
    cr_assert(range_is(scn.faults[5].a, 3, 1), "restarts the node it crashed");
    expect_fault(&scn, 6, "gc", sim_s(7), SIM_FAULT_PAUSE);
    cr_assert_eq(scn.faults[6].duration_ns, sim_s(1));
    cr_assert(strstr(scn.faults[1].text, "heal") != NULL, "%s", scn.faults[1].text);
    cr_assert(strstr(scn.faults[5].text, "restart") != NULL, "%s", scn.faults[5].text);
    sim_scn_free(&scn);
}

Test(sim_scenario, flap_alternates_partition_and_heal_every_period)
{
    struct sim_scenario scn;
    load_ok(BASE "[faults]\nflaky = at 1s flap client / server every 1s until 6s\n", &scn);
    /* partition at 1s, heal at 2s, partition at 3s, heal at 4s, partition at 5s, heal 6s */
    static const int64_t at_s[] = {1, 2, 3, 4, 5, 6};
    cr_assert_eq(scn.fault_count, 6u, "got %u faults", scn.fault_count);
    for (uint32_t i = 0; i < 6; i++) {
        bool is_cut = i % 2 == 0;
        expect_fault(&scn, i, "flaky", sim_s(at_s[i]),
                     is_cut ? SIM_FAULT_PARTITION : SIM_FAULT_HEAL);
        if (is_cut) {
            cr_assert(range_is(scn.faults[i].a, 1, 3));
            cr_assert(range_is(scn.faults[i].b, 0, 1));
        } else {
            cr_assert_eq(scn.faults[i].heal_fault, i - 1, "heal %u undoes the cut before it", i);
        }
    }
    sim_scn_free(&scn);
    /* a period that does not divide the span: the last cut still gets its heal */
    load_ok(BASE "[faults]\nf = at 0s flap client / server every 300ms until 1s\n", &scn);
    static const int64_t at_ms[] = {0, 300, 600, 900};
    cr_assert_eq(scn.fault_count, 4u, "got %u faults", scn.fault_count);
    for (uint32_t i = 0; i < 4; i++)
        expect_fault(&scn, i, "f", sim_ms(at_ms[i]), i % 2 ? SIM_FAULT_HEAL : SIM_FAULT_PARTITION);
    sim_scn_free(&scn);
}

Test(sim_scenario, fault_grammar_errors_say_what_was_expected)
{
    fails(BASE "[faults]\nf = in 1s crash server\n", BASE_LINES + 2, 5, "expected 'at TIME");
    fails(BASE "[faults]\nf = at 1s explode server\n", BASE_LINES + 2, 5, "expected 'at TIME");
    fails(BASE "[faults]\nf = at 1s pause server\n", BASE_LINES + 2, 5, "pause NODES for D");
    fails(BASE "[faults]\nf = at 1s restart server for 1s\n", BASE_LINES + 2, 5,
          "restart NODES");
    fails(BASE "[faults]\nf = at 1s partition client server\n", BASE_LINES + 2, 5,
          "partition A / B");
    fails(BASE "[faults]\nf = at 1s cut client / server\n", BASE_LINES + 2, 5, "cut A -> B");
    fails(BASE "[faults]\nf = at 1s heal g\ng = at 0s crash server\n", BASE_LINES + 2, 5,
          "names no earlier fault");
    fails(BASE "[faults]\nf = at 1s heal for 1s\n", BASE_LINES + 2, 5, "expected 'at TIME");
    fails(BASE "[faults]\ng = at 0s partition client / server\nf = at 1s heal g for 5s\n",
          BASE_LINES + 3, 5, "expected 'at TIME"); /* a heal has no duration */
    fails(BASE "[faults]\nf = at 1s flap client / server every 0s until 5s\n", BASE_LINES + 2, 5,
          "period must be above 0ns");
    fails(BASE "[faults]\nf = at 1s flap client / server every 1s\n", BASE_LINES + 2, 5,
          "flap A / B every D until TIME");
    fails(BASE "[faults]\nf = at 1 crash server\n", BASE_LINES + 2, 5, "unit");
}

Test(sim_scenario, byzantine_fault_reads_its_policies_and_arguments)
{
    struct sim_scenario scn;
    load_ok(BASE "[faults]\nliar = at 2s byzantine client.0,client.2 drop,delay,flood ratio 25%"
                 " to server extra 40ms copies 3\n", &scn);
    cr_assert_eq(scn.fault_count, 1);
    const struct sim_fault *f = &scn.faults[0];
    cr_assert_eq(f->action, SIM_FAULT_BYZANTINE);
    cr_assert_eq(f->at_ns, 2 * SIM_NS_PER_S);
    cr_assert_eq(f->byz_policy_mask,
                 (1u << SIM_BYZ_DROP) | (1u << SIM_BYZ_DELAY) | (1u << SIM_BYZ_FLOOD));
    cr_assert_eq(f->byz_ratio_ppb, SIM_PPB_ONE / 4);
    cr_assert_eq(f->byz_extra_ns, 40 * SIM_NS_PER_MS);
    cr_assert_eq(f->byz_copies, 3);
    cr_assert_eq(sim_node_set_count(&f->a), 2);
    cr_assert(sim_node_set_has(&f->byz_to, 0) && sim_node_set_count(&f->byz_to) == 1);
    sim_scn_free(&scn);
    /* defaults: every send, every target, one copy */
    load_ok(BASE "[faults]\nliar = at 0s byzantine server duplicate\n", &scn);
    cr_assert_eq(scn.faults[0].byz_ratio_ppb, SIM_PPB_ONE);
    cr_assert_eq(scn.faults[0].byz_to.range_count, 0);
    cr_assert_eq(scn.faults[0].byz_copies, 1);
    sim_scn_free(&scn);
}

Test(sim_scenario, byzantine_fault_errors_say_what_was_expected)
{
    fails(BASE "[faults]\nf = at 1s byzantine server lie\n", BASE_LINES + 2, 5,
          "no Byzantine policy");
    fails(BASE "[faults]\nf = at 1s byzantine server delay\n", BASE_LINES + 2, 5,
          "needs 'extra D'");
    fails(BASE "[faults]\nf = at 1s byzantine server drop for 2s\n", BASE_LINES + 2, 5,
          "no 'for D'");
    fails(BASE "[faults]\nf = at 1s byzantine server drop ratio 2\n", BASE_LINES + 2, 5,
          "within [0, 1]");
    fails(BASE "[faults]\nf = at 1s byzantine server flood copies 0\n", BASE_LINES + 2, 5,
          "copies must be within");
    fails(BASE "[faults]\nf = at 1s byzantine server drop often yes\n", BASE_LINES + 2, 5,
          "where ratio, to, extra or copies");
    fails(BASE "[faults]\nf = at 1s byzantine server alter\n", BASE_LINES + 2, 5,
          "no byz_alter hook");
    fails(BASE "[link.default]\nattack = sniff\n", BASE_LINES + 2, -1, "no attack");
}

/* --- link rules ------------------------------------------------------------------------- */

Test(sim_scenario, link_rules_apply_in_file_order_each_setting_only_its_keys)
{
    struct sim_scenario scn;
    load_ok(BASE "[link.client->server]\n"
                 "loss = 10%\n"
                 "delay = constant 5ms\n"
                 "[link.client.1->server]\n"
                 "delay = uniform 1ms 2ms\n"
                 "[link.*->server]\n"
                 "loss = 20%\n"
                 "[link.default]\n"
                 "duplicate = 1%\n"
                 "queue = 7\n"
                 "[link.server<->client.2]\n"
                 "bandwidth = 1Mbps\n",
            &scn);
    cr_assert_eq(scn.link_rule_count, 5u);
    cr_assert_str_eq(scn.link_rules[0].text, "default");
    struct sim_link_cfg cfg;
    /* client.0 -> server: rule 1 sets loss and delay, rule 3 overrides loss only */
    sim_scn_link_cfg(&scn, 1, 0, &cfg);
    cr_assert_eq(cfg.loss_ppb, 200000000);
    cr_assert_eq(cfg.delay.kind, SIM_DIST_CONSTANT);
    cr_assert_eq(cfg.delay.a_ns, sim_ms(5));
    cr_assert_eq(cfg.duplicate_ppb, 10000000, "from [link.default], wherever it stands");
    cr_assert_eq(cfg.queue_max, 7u);
    cr_assert_eq(cfg.bandwidth_bps, 0, "unlimited by default");
    /* client.1 -> server: rule 2 replaces the delay, keeps rule 1's... loss (then 20%) */
    sim_scn_link_cfg(&scn, 2, 0, &cfg);
    cr_assert_eq(cfg.delay.kind, SIM_DIST_UNIFORM);
    cr_assert_eq(cfg.loss_ppb, 200000000);
    /* client.2 -> server and back: the <-> rule sets bandwidth both ways */
    sim_scn_link_cfg(&scn, 3, 0, &cfg);
    cr_assert_eq(cfg.bandwidth_bps, 1000000);
    cr_assert_eq(cfg.delay.a_ns, sim_ms(5));
    sim_scn_link_cfg(&scn, 0, 3, &cfg);
    cr_assert_eq(cfg.bandwidth_bps, 1000000);
    cr_assert_eq(cfg.loss_ppb, 0, "no client->server rule applies to server->client");
    cr_assert_eq(cfg.delay.a_ns, sim_ms(1), "built-in default: constant 1ms");
    /* a link no rule names: defaults only */
    sim_scn_link_cfg(&scn, 1, 2, &cfg);
    cr_assert_eq(cfg.loss_ppb, 0);
    cr_assert_eq(cfg.duplicate_ppb, 10000000);
    sim_scn_free(&scn);
}

Test(sim_scenario, a_later_rule_wins_whichever_is_more_specific)
{
    struct sim_scenario scn;
    struct sim_link_cfg cfg;
    load_ok(BASE "[link.client.0->server]\nloss = 5%\n[link.client->server]\nloss = 1%\n", &scn);
    sim_scn_link_cfg(&scn, 1, 0, &cfg);
    cr_assert_eq(cfg.loss_ppb, 10000000, "the later, broader rule overrides");
    sim_scn_free(&scn);
    load_ok(BASE "[link.client->server]\nloss = 1%\n[link.client.0->server]\nloss = 5%\n", &scn);
    sim_scn_link_cfg(&scn, 1, 0, &cfg);
    cr_assert_eq(cfg.loss_ppb, 50000000);
    sim_scn_link_cfg(&scn, 2, 0, &cfg);
    cr_assert_eq(cfg.loss_ppb, 10000000);
    sim_scn_free(&scn);
}

/* --- nodes ------------------------------------------------------------------------------ */

Test(sim_scenario, nodes_are_named_and_numbered_in_file_order)
{
    struct sim_scenario scn;
    load_ok(BASE "clock_drift = -20ppm\nclock_offset = -30ms\ninbox_max = 3\n"
                 "[node.solo]\nmodel = echo_server\ncount = 1\n",
            &scn);
    cr_assert_eq(scn.node_count, 5u);
    cr_assert_eq(scn.group_count, 3u);
    static const char *const names[] = {"server", "client.0", "client.1", "client.2", "solo"};
    static const uint32_t groups[] = {0, 1, 1, 1, 2};
    for (uint32_t i = 0; i < 5; i++) {
        char name[SIM_NAME_BYTES_MAX];
        cr_assert_str_eq(sim_scn_node_name(&scn, i, name, sizeof name), names[i]);
        cr_assert_eq(sim_scn_node_group(&scn, i), &scn.groups[groups[i]], "node %u", i);
    }
    cr_assert_eq(scn.groups[1].first_node, 1u);
    cr_assert_eq(scn.groups[1].node_count, 3u);
    cr_assert_eq(scn.groups[1].clock.drift_ppb, -20000);
    cr_assert_eq(scn.groups[1].clock.offset_ns, -sim_ms(30));
    cr_assert_eq(scn.groups[1].inbox_max, 3u);
    cr_assert_eq(scn.groups[0].clock.drift_ppb, 0);
    cr_assert_str_eq(scn.groups[1].model->name, "client");
    cr_assert_str_eq(scn.name, "test", "the name defaults to the file's base name");
    sim_scn_free(&scn);
}

Test(sim_scenario, group_limits_and_duplicates)
{
    fails(BASE "[node.solo]\nmodel = echo_server\ncount = 0\n", BASE_LINES + 3, 9,
          "must be within");
    const char *too_many = BASE "[node.a]\nmodel = echo_server\ncount = 65535\n";
    fails_n(too_many, strlen(too_many), NULL, 0, SIM_ELIMIT, LABEL, BASE_LINES + 3, 9,
            "SIM_NODES_MAX");
    /* the group that passes the limit without a count key of its own (was a NULL deref) */
    const char *implicit = "[scenario]\nduration = 1s\n[node.a]\nmodel = echo_server\n"
                           "count = 65535\n[node.b]\nmodel = echo_server\n";
    fails_n(implicit, strlen(implicit), NULL, 0, SIM_ELIMIT, LABEL, 6, 0, "SIM_NODES_MAX");
    /* node names GROUP.N must fit SIM_NAME_BYTES_MAX, or two nodes would share a stream */
    char long_names[256];
    snprintf(long_names, sizeof long_names, "[scenario]\nduration = 1s\n[node.%s]\n"
             "model = echo_server\ncount = 12\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    fails_n(long_names, strlen(long_names), NULL, 0, SIM_EINPUT, LABEL, 3, 0, "shorter");
    fails(BASE "clock_drift = 200000ppm\n", BASE_LINES + 1, 15, "must be within");
    fails("[scenario]\nduration = 1s\n[node.a b]\nmodel = echo_server\n", 3, -1, "");
}
