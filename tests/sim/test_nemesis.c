/* tests/sim/test_nemesis.c - proves the fault grammar's node lists and degradations and
 * the nemesis (sim/nemesis.h):
 *  - a side may be a comma list of refs, merged into sorted ranges; a list needing more
 *    than SIM_FAULT_SIDE_RANGES_MAX runs, or naming no node, is an error with its line;
 *  - `degrade A -> B loss R` drops what the link would deliver (reason degrade, the
 *    fault's index), only on its links and only while in force: with loss 100% every
 *    request of the window is dropped, none after the heal;
 *  - the nemesis draws the same faults for a seed and different ones for another; its
 *    count and kinds follow its keys (with `every = constant 1s` over 1000 s: 999 faults;
 *    kinds partition:3, pause:1 give partitions within 5 binomial sd of 3/4);
 *  - the contract: the drawn faults' texts listed in [faults] in place of [nemesis] give
 *    the same fault table and the same event hash, over 20 seeds of a busy scenario;
 *  - a bad [nemesis] key or value is an error naming file, line and what was expected.
 * How: scenario texts loaded with sim_scn_load_text against the in-tree models, worlds
 * made with sim_world_create and read through sim_world_faults; runs in this process (the
 * separate-process determinism is tests/cli/test_chaos.c). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "sim/event.h"
#include "sim/nemesis.h"
#include "sim/scenario.h"
#include "sim/units.h"
#include "sim/world.h"

#define LABEL "scenarios/test.ini"

/* the election of split-brain on five nodes: busy enough that faults change the run */
#define ELECT                                                                               \
    "[scenario]\n"                                                                          \
    "duration = 20s\n"                                                                      \
    "[node.node]\n"                                                                         \
    "model = elect_node\n"                                                                  \
    "count = 5\n"                                                                           \
    "peers = node\n"                                                                        \
    "naive = true\n"                                                                        \
    "[link.default]\n"                                                                      \
    "delay = lognormal 2ms 0.5\n"
#define NEMESIS                                                                             \
    "[nemesis]\n"                                                                           \
    "every = exponential 500ms\n"                                                           \
    "kinds = partition:3, cut:2, pause, crash, step, loss\n"                                \
    "partition_for = uniform 100ms 2s\n"                                                    \
    "cut_for = uniform 100ms 2s\n"                                                          \
    "pause_for = uniform 50ms 1s\n"                                                         \
    "crash_for = uniform 100ms 2s\n"                                                        \
    "loss_for = uniform 100ms 2s\n"                                                         \
    "loss = 70%\n"                                                                          \
    "step_by = uniform 1ms 1s\n"

static void load_ok(const char *text, struct sim_scenario *scn)
{
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, strlen(text), NULL, 0, models_builtin(), scn, &diag);
    char line[2048];
    sim_diag_format(&diag, line, sizeof line);
    cr_assert_eq(rc, 0, "should load, got: %s", line);
}

static void load_fails(const char *text, int line, const char *fragment)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    int rc = sim_scn_load_text(LABEL, text, strlen(text), NULL, 0, models_builtin(), &scn, &diag);
    cr_assert_eq(rc, SIM_EINPUT, "should fail: %s", text);
    cr_assert_str_eq(diag.file, LABEL);
    cr_assert_eq(diag.line, line, "line %d, expected %d: %s", diag.line, line, diag.message);
    cr_assert(strstr(diag.message, fragment), "no '%s' in: %s", fragment, diag.message);
}

static bool side_is(const struct sim_node_set *set, uint32_t range_count, const uint32_t *pairs)
{
    if (set->range_count != range_count) return false;
    for (uint32_t i = 0; i < range_count; i++)
        if (set->ranges[i].first != pairs[2 * i] || set->ranges[i].count != pairs[2 * i + 1])
            return false;
    return true;
}

Test(nemesis, node_lists_merge_into_sorted_ranges)
{
    struct sim_scenario scn;
    load_ok(ELECT "[faults]\n"
                  "p = at 1s partition node.3,node.0 / node.1,node.2,node.4 for 2s\n"
                  "c = at 2s crash node.1,node.2,node.1 for 1s\n"
                  "d = at 3s degrade node.0 <-> node.2,node.3 loss 25%\n"
                  "s = at 4s step node,node.4 by -5ms\n",
            &scn);
    cr_assert_eq(scn.fault_count, 6u);
    const struct sim_fault *f = scn.faults;
    cr_assert(side_is(&f[0].a, 2, (const uint32_t[]){0, 1, 3, 1}), "node.0 and node.3 apart");
    cr_assert(side_is(&f[0].b, 2, (const uint32_t[]){1, 2, 4, 1}));
    cr_assert_eq(f[1].action, SIM_FAULT_HEAL);
    cr_assert_eq(f[1].at_ns, sim_s(3));
    cr_assert(side_is(&f[2].a, 1, (const uint32_t[]){1, 2}), "a repeat is merged");
    cr_assert_eq(f[3].action, SIM_FAULT_RESTART);
    cr_assert(side_is(&f[3].a, 1, (const uint32_t[]){1, 2}), "restarts what it crashed");
    cr_assert_eq(f[4].action, SIM_FAULT_DEGRADE);
    cr_assert(f[4].is_both_ways);
    cr_assert_eq(f[4].loss_ppb, 250000000);
    cr_assert(side_is(&f[4].b, 1, (const uint32_t[]){2, 2}));
    cr_assert(side_is(&f[5].a, 1, (const uint32_t[]){0, 5}), "the group covers node.4");
    cr_assert_eq(f[5].duration_ns, -sim_ms(5));
    sim_scn_free(&scn);
}

Test(nemesis, bad_lists_and_degrades_name_their_line)
{
    load_fails(ELECT "[faults]\nx = at 1s partition node.0,nod.1 / node.2\n", 11, "'nod.1'");
    load_fails(ELECT "[faults]\nx = at 1s crash node.0,,node.1\n", 11, "empty name");
    load_fails(ELECT "[faults]\nx = at 1s degrade node.0 -> node.1 loss 150%\n", 11,
               "within [0, 1]");
    load_fails(ELECT "[faults]\nx = at 1s degrade node.0 / node.1 loss 5%\n", 11, "expected");
    load_fails("[scenario]\nduration = 1s\n[node.n]\nmodel = echo_server\ncount = 40\n"
               "[faults]\nx = at 1s pause n.0,n.2,n.4,n.6,n.8,n.10,n.12,n.14,n.16,n.18,n.20,"
               "n.22,n.24,n.26,n.28,n.30,n.32 for 1s\n",
               7, "more than 16 separate runs");
}

/* The world's faults for seed (the caller frees the scenario). */
static const struct sim_fault *world_faults(const struct sim_scenario *scn, uint64_t seed,
                                            struct sim_world **world, uint32_t *count)
{
    struct sim_diag diag;
    cr_assert_eq(sim_world_create(scn, seed, world, &diag), 0, "%s", diag.message);
    return sim_world_faults(*world, count);
}

static bool same_faults(const struct sim_fault *a, uint32_t a_count, const struct sim_fault *b,
                        uint32_t b_count)
{
    if (a_count != b_count) return false;
    for (uint32_t i = 0; i < a_count; i++)
        if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].text, b[i].text) != 0 ||
            a[i].at_ns != b[i].at_ns || a[i].action != b[i].action)
            return false;
    return true;
}

Test(nemesis, same_seed_same_faults_other_seed_other_faults)
{
    struct sim_scenario scn;
    load_ok(ELECT "[faults]\nfirst = at 1s pause node.0 for 1s\n" NEMESIS, &scn);
    struct sim_world *w1, *w2, *w3;
    uint32_t n1, n2, n3;
    const struct sim_fault *f1 = world_faults(&scn, 7, &w1, &n1);
    const struct sim_fault *f2 = world_faults(&scn, 7, &w2, &n2);
    const struct sim_fault *f3 = world_faults(&scn, 8, &w3, &n3);
    /* 20 s at one fault per 0.5 s on average: about 40 drawn, each with its end */
    cr_assert_geq(n1, 1 + 20, "got %u faults", n1);
    cr_assert_str_eq(f1[0].name, "first", "the file's faults come first");
    cr_assert_eq(f1[0].line, 11);
    cr_assert_str_eq(f1[1].name, "nemesis.1");
    cr_assert_eq(f1[1].line, 0, "a drawn fault has no line");
    cr_assert(same_faults(f1, n1, f2, n2), "seed 7 twice gave different faults");
    cr_assert(!same_faults(f1, n1, f3, n3), "seeds 7 and 8 gave the same faults");
    sim_world_destroy(w1);
    sim_world_destroy(w2);
    sim_world_destroy(w3);
    sim_scn_free(&scn);
}

Test(nemesis, count_and_kinds_follow_the_keys)
{
    struct sim_scenario scn;
    load_ok("[scenario]\nduration = 1000s\n[node.node]\nmodel = echo_server\ncount = 4\n"
            "[nemesis]\nevery = constant 1s\nkinds = partition:3, pause\n"
            "partition_for = constant 100ms\npause_for = constant 100ms\n", &scn);
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct sim_world *world;
        uint32_t count;
        const struct sim_fault *f = world_faults(&scn, seed, &world, &count);
        /* one at 1 s, 2 s, ... 999 s (the end, 1000 s, is not before the end), each
         * partition followed by its heal (a pause ends by itself) */
        uint32_t partitions = 0, pauses = 0;
        for (uint32_t i = 0; i < count; i++) {
            cr_assert_eq(f[i].at_ns, sim_s(1 + partitions + pauses));
            if (f[i].action == SIM_FAULT_PARTITION) {
                partitions++;
                /* the minority: 1 or 2 of 4 nodes */
                uint32_t small = sim_node_set_count(&f[i].a);
                cr_assert(small >= 1 && small <= 2, "%s", f[i].text);
                cr_assert_eq(small + sim_node_set_count(&f[i].b), 4u, "%s", f[i].text);
                cr_assert_lt(i + 1, count);
                cr_assert_eq(f[i + 1].action, SIM_FAULT_HEAL);
                cr_assert_eq(f[i + 1].at_ns, f[i].at_ns + sim_ms(100));
                i++;
            } else {
                cr_assert_eq(f[i].action, SIM_FAULT_PAUSE, "%s", f[i].text);
                cr_assert_eq(f[i].duration_ns, sim_ms(100));
                pauses++;
            }
        }
        cr_assert_eq(count, 999u + partitions, "seed %" PRIu64 ": %u faults", seed, count);
        /* Binomial(999, 3/4): mean 749.25, sd 13.7; 5 sd either way */
        cr_assert(partitions >= 681 && partitions <= 818, "%u partitions", partitions);
        cr_assert_eq(partitions + pauses, 999u);
        sim_world_destroy(world);
    }
    sim_scn_free(&scn);
}

static uint64_t run_hash(const struct sim_scenario *scn, uint64_t seed, uint64_t *events)
{
    struct sim_world *world;
    struct sim_diag diag;
    cr_assert_eq(sim_world_create(scn, seed, &world, &diag), 0, "%s", diag.message);
    sim_world_run(world, UINT64_MAX, NULL);
    uint64_t hash = sim_world_hash(world);
    *events = sim_world_event_count(world);
    sim_world_destroy(world);
    return hash;
}

/* The CONTRACT a shrinker relies on: [nemesis] replaced by its drawn faults' lines. */
Test(nemesis, listed_texts_give_the_same_faults_and_run)
{
    struct sim_scenario drawn;
    load_ok(ELECT NEMESIS, &drawn);
    size_t cap = 1 << 16;
    char *text = malloc(cap);
    cr_assert(text);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct sim_world *world;
        uint32_t count;
        const struct sim_fault *f = world_faults(&drawn, seed, &world, &count);
        size_t used = (size_t)snprintf(text, cap, "%s[faults]\n", ELECT);
        uint32_t listed = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (i > 0 && strcmp(f[i].name, f[i - 1].name) == 0) continue; /* its end */
            cr_assert_eq(strncmp(f[i].name, "nemesis.", 8), 0);
            used += (size_t)snprintf(text + used, cap - used, "%s = %s\n", f[i].name, f[i].text);
            cr_assert_lt(used, cap);
            listed++;
        }
        cr_assert_geq(listed, 20u, "seed %" PRIu64 ": %u drawn", seed, listed);
        struct sim_scenario pasted;
        load_ok(text, &pasted);
        struct sim_world *again;
        uint32_t again_count;
        const struct sim_fault *g = world_faults(&pasted, seed, &again, &again_count);
        cr_assert(same_faults(f, count, g, again_count), "seed %" PRIu64, seed);
        for (uint32_t i = 0; i < count; i++) {
            cr_assert_eq(memcmp(&f[i].a, &g[i].a, sizeof f[i].a), 0, "fault %u", i);
            cr_assert_eq(memcmp(&f[i].b, &g[i].b, sizeof f[i].b), 0, "fault %u", i);
            cr_assert_eq(f[i].duration_ns, g[i].duration_ns);
            cr_assert_eq(f[i].loss_ppb, g[i].loss_ppb);
        }
        sim_world_destroy(world);
        sim_world_destroy(again);
        uint64_t events_drawn, events_pasted;
        uint64_t hash_drawn = run_hash(&drawn, seed, &events_drawn);
        uint64_t hash_pasted = run_hash(&pasted, seed, &events_pasted);
        cr_assert_eq(hash_drawn, hash_pasted, "seed %" PRIu64 ": the listed run differs", seed);
        cr_assert_eq(events_drawn, events_pasted);
        sim_scn_free(&pasted);
    }
    free(text);
    sim_scn_free(&drawn);
}

struct degrade_tally {
    uint64_t sends_in_window, degrade_drops, drops_outside, other_link_drops, sends_other;
};

static void tally(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    (void)text;
    struct degrade_tally *t = ctx;
    bool is_window = ev->time_ns >= sim_s(2) && ev->time_ns < sim_s(4);
    bool is_degraded_link = ev->node == 1 && ev->peer == 0; /* client.0 -> server */
    if (ev->kind == SIM_EV_SEND && is_degraded_link && is_window) t->sends_in_window++;
    if (ev->kind == SIM_EV_SEND && !is_degraded_link && is_window) t->sends_other++;
    if (ev->kind != SIM_EV_DROP || ev->aux != SIM_DROP_DEGRADE) return;
    cr_assert_eq(ev->arg, 0, "the drop names fault 0");
    if (!is_degraded_link) t->other_link_drops++;
    else if (!is_window) t->drops_outside++;
    else t->degrade_drops++;
}

/* Loss 100% on one direction for 2 s: every send of the window on that link is dropped
 * by it, none outside the window, none on another link. */
Test(nemesis, degrade_drops_its_links_only_while_in_force)
{
    struct sim_scenario scn;
    load_ok("[scenario]\nduration = 10s\n[node.server]\nmodel = echo_server\n"
            "[node.client]\nmodel = client\ncount = 2\ntarget = server\n"
            "[faults]\nd = at 2s degrade client.0 -> server loss 100% for 2s\n", &scn);
    struct sim_world *world;
    struct sim_diag diag;
    cr_assert_eq(sim_world_create(&scn, 3, &world, &diag), 0, "%s", diag.message);
    struct degrade_tally t = {0};
    struct sim_observer obs = {&t, tally};
    sim_world_add_observer(world, &obs);
    sim_world_run(world, UINT64_MAX, NULL);
    cr_assert_geq(t.sends_in_window, 10, "the client must send in the window (liveness)");
    cr_assert_geq(t.sends_other, 10, "the other client and the server send too");
    cr_assert_eq(t.degrade_drops, t.sends_in_window);
    cr_assert_eq(t.drops_outside, 0);
    cr_assert_eq(t.other_link_drops, 0);
    sim_world_destroy(world);
    sim_scn_free(&scn);
}

Test(nemesis, bad_keys_name_file_and_line)
{
    load_fails(ELECT "[nemesis]\nevery = 1s\nkinds = pause\npause_for = constant 1s\n", 11,
               "expected");
    load_fails(ELECT "[nemesis]\nevery = constant 1s\nkinds = pause, smash\n"
                     "pause_for = constant 1s\n", 12, "partition, cut, pause, crash, step, loss");
    load_fails(ELECT "[nemesis]\nevery = constant 1s\nkinds = pause\n", 10,
               "needs 'pause_for = DIST'");
    load_fails(ELECT "[nemesis]\nevery = constant 1s\nkinds = pause\npause_for = constant 1s\n"
                     "often = yes\n", 14, "unknown key 'often' in [nemesis]");
    load_fails(ELECT "[nemesis]\nevery = constant 1s\nkinds = loss\nloss_for = constant 1s\n",
               10, "needs 'loss = RATIO'");
    load_fails(ELECT "[nemesis]\nevery = constant 1s\nkinds = partition\nnodes = node.0\n"
                     "partition_for = constant 1s\n", 13, "at least 2");
}

/* The nemesis's nodes need not be contiguous (replicas with clients between them): a
 * minority drawn from the middle of a run splits the rest into many ranges. Every side of
 * every split must fit a fault side (a reviewer's layout aborted the run). Seeds 1..20,
 * 10 partitions each, every side checked against the nodes it should hold. */
Test(nemesis, splits_of_scattered_nodes_fit)
{
    static const char text[] =
        "[scenario]\nduration = 10s\n"
        "[node.n]\nmodel = elect_node\ncount = 17\npeers = n\n"
        "[nemesis]\nnodes = n.0,n.1,n.2,n.4,n.6,n.8,n.10,n.12,n.14,n.16\n"
        "every = constant 1s\nkinds = partition\npartition_for = constant 100ms\n";
    struct sim_scenario scn;
    load_ok(text, &scn);
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct sim_world *world = NULL;
        uint32_t count = 0;
        const struct sim_fault *faults = world_faults(&scn, seed, &world, &count);
        uint32_t partitions = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (faults[i].action != SIM_FAULT_PARTITION) continue;
            partitions++;
            uint32_t a = sim_node_set_count(&faults[i].a), b = sim_node_set_count(&faults[i].b);
            cr_assert_eq(a + b, 10, "seed %llu: sides of %u and %u nodes",
                         (unsigned long long)seed, a, b);
            cr_assert(a >= 1 && a <= 5, "the minority has 1 to n/2 nodes, got %u", a);
            for (uint32_t node = 0; node < 17; node++) {
                bool is_nemesis = node <= 2 || node % 2 == 0;
                bool is_in = sim_node_set_has(&faults[i].a, node) ||
                             sim_node_set_has(&faults[i].b, node);
                cr_assert_eq(is_in, is_nemesis, "seed %llu: node %u", (unsigned long long)seed,
                             node);
            }
        }
        cr_assert_eq(partitions, 9, "seed %llu: one a second from 1s to 9s",
                     (unsigned long long)seed);
        sim_world_destroy(world);
    }
    sim_scn_free(&scn);
}
