/* tests/sim/harness.c - runs worlds from scenario text for the in-process suites and keeps
 * their every event; see harness.h. Uses only the world's public and inspection API:
 * what a check needs of the kernel's internals stays in the suite that makes it. */
#include "harness.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "sim/inspect.h"

static void record_event(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct evlog *log = ctx;
    if (log->count == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 1024;
        log->items = realloc(log->items, log->cap * sizeof *log->items);
        cr_assert_not_null(log->items);
    }
    struct logged *l = &log->items[log->count++];
    l->ev = *ev;
    l->text = text->s[0] ? strdup(text->s[0]) : NULL;
}

void run_setup(struct run *r, const char *text, const char *const *sets, size_t set_count,
               uint64_t seed, bool observe)
{
    memset(r, 0, sizeof *r);
    struct sim_diag diag;
    int rc = sim_scn_load_text("test.ini", text, strlen(text), sets, set_count,
                               &test_model_set, &r->scn, &diag);
    char line[2048];
    sim_diag_format(&diag, line, sizeof line);
    cr_assert_eq(rc, 0, "scenario should load: %s", line);
    rc = sim_world_create(&r->scn, seed, &r->world, &diag);
    cr_assert_eq(rc, 0, "world: %s", diag.message);
    if (observe) {
        struct sim_observer obs = {&r->log, record_event};
        cr_assert_eq(sim_world_add_observer(r->world, &obs), 0);
    }
}

void run_go(struct run *r, uint64_t stop_at_seq)
{
    r->end = sim_world_run(r->world, stop_at_seq, NULL);
    check_run(r);
}

void run_text_set(struct run *r, const char *text, const char *const *sets, size_t set_count,
                  uint64_t seed)
{
    run_setup(r, text, sets, set_count, seed, true);
    run_go(r, UINT64_MAX);
}

void run_text(struct run *r, const char *text, uint64_t seed)
{
    run_text_set(r, text, NULL, 0, seed);
}

void run_free(struct run *r)
{
    if (r->free_derived) r->free_derived(r->derived);
    sim_world_destroy(r->world);
    sim_scn_free(&r->scn);
    for (size_t i = 0; i < r->log.count; i++) free(r->log.items[i].text);
    free(r->log.items);
    memset(r, 0, sizeof *r);
}

uint32_t node_named(const struct run *r, const char *name)
{
    for (uint32_t i = 0; i < sim_inspect_node_count(r->world); i++)
        if (strcmp(sim_inspect_node_name(r->world, i), name) == 0) return i;
    cr_assert_fail("no node named %s", name);
    return SIM_NODE_NONE;
}

bool event_matches(const struct sim_event *ev, enum sim_event_kind kind, uint32_t node)
{
    return ev->kind == kind && (node == ANY_NODE || ev->node == node);
}

size_t count_kind(const struct run *r, enum sim_event_kind kind, uint32_t node)
{
    size_t n = 0;
    for (size_t i = 0; i < r->log.count; i++) n += event_matches(&r->log.items[i].ev, kind, node);
    return n;
}

const struct logged **select_logged(const struct run *r, enum sim_event_kind kind,
                                    uint32_t node, size_t *count)
{
    const struct logged **out = calloc(r->log.count + 1, sizeof *out);
    cr_assert_not_null(out);
    *count = 0;
    for (size_t i = 0; i < r->log.count; i++)
        if (event_matches(&r->log.items[i].ev, kind, node)) out[(*count)++] = &r->log.items[i];
    return out;
}

const struct sim_event **select_kind(const struct run *r, enum sim_event_kind kind,
                                     uint32_t node, size_t *count)
{
    const struct logged **logged = select_logged(r, kind, node, count);
    const struct sim_event **out = calloc(*count + 1, sizeof *out);
    cr_assert_not_null(out);
    for (size_t i = 0; i < *count; i++) out[i] = &logged[i]->ev;
    free(logged);
    return out;
}

const struct murphy_model idle_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "idle",
    .summary = "test: does nothing",
};

void check_stream(const struct run *r)
{
    const struct sim_world *w = r->world;
    uint32_t node_count = sim_inspect_node_count(w);
    cr_assert_eq(r->log.count, sim_world_event_count(w), "the observer saw every event once");
    struct sim_hash *h = sim_hash_create();
    size_t clamps = 0, violations = 0;
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        cr_assert_eq(ev->seq, (uint64_t)i, "seq is the dense execution index");
        if (i) cr_assert_geq(ev->time_ns, r->log.items[i - 1].ev.time_ns, "seq %zu", i);
        cr_assert_leq(ev->time_ns, r->scn.duration_ns);
        cr_assert_lt(ev->kind, SIM_EV_KIND_COUNT);
        if (ev->node != SIM_NODE_NONE) {
            cr_assert_lt(ev->node, node_count);
        } else {
            cr_assert_eq(ev->mono_ns, 0);
            cr_assert_eq(ev->wall_ns, 0);
        }
        if (ev->peer != SIM_NODE_NONE) cr_assert_lt(ev->peer, node_count);
        clamps += ev->kind == SIM_EV_CLAMP;
        violations += ev->kind == SIM_EV_VIOLATION;
        sim_hash_add(h, ev);
    }
    cr_assert_eq(sim_hash_value(h), sim_world_hash(w), "the hash covers exactly these events");
    sim_hash_destroy(h);
    cr_assert_eq(clamps, sim_world_clamp_count(w));
    cr_assert_eq(violations, sim_world_violation_count(w));
}
