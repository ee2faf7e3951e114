/* tests/plugin/broken_models.c - a model library of three DELIBERATELY BROKEN models, each
 * breaking one rule of determinism (docs/writing-models.md), for tests/plugin/
 * test_guard_rails.c to show which guard rail catches it. Each node ticks every `period`
 * and sends its peer a message; what breaks is how the next tick's delay is chosen:
 *
 *   broken_host_time      adds the host clock's nanoseconds (clock_gettime): differs in
 *                         every process, so `run --check-determinism` catches it;
 *   broken_pointer_order  sends to the first of a few heap records in the order of a
 *                         table hashed by their addresses (as a pointer-keyed hash set
 *                         iterates): the addresses move with ASLR from one process to the
 *                         next, so --check-determinism catches it (when ASLR is on);
 *   broken_static         counts ticks in a mutable static: a fresh process starts it at
 *                         0 again, so a run and its replay agree and --check-determinism
 *                         CANNOT see it; a sweep running seeds one after another in one
 *                         process carries the count over, and seed 2 in the sweep differs
 *                         from seed 2 alone.
 * Never copy these. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "murphy/murphy.h"

#define MS_NS INT64_C(1000000)
#define RECORDS 6

static const struct murphy_param_spec params[] = {
    {"period", MURPHY_PARAM_DURATION, "5ms", MS_NS, INT64_C(1000) * MS_NS, "tick period"},
};

static void tick(struct murphy_node *node, int64_t extra_ns)
{
    uint32_t peer = (murphy_node_index(node) + 1) % murphy_node_count(node);
    unsigned char byte = 1;
    murphy_send(node, peer, MURPHY_CLASS_BACKGROUND, &byte, 1);
    murphy_timer_set(node, murphy_param_i64(node, "period") + extra_ns, 1);
}

static void start(struct murphy_node *node) { tick(node, 0); }

/* --- host time ------------------------------------------------------------------------- */
static void host_time_on_timer(struct murphy_node *node, uint64_t tag)
{
    (void)tag;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    tick(node, (int64_t)(now.tv_nsec % 1000) * 1000); /* BROKEN: the host's clock */
}

/* --- pointer order --------------------------------------------------------------------- */
static void pointer_order_on_timer(struct murphy_node *node, uint64_t tag)
{
    (void)tag;
    /* a tiny hash set keyed by address: buckets by a multiplicative hash of the pointer */
    void *records[RECORDS];
    size_t first = 0;
    uint64_t first_bucket = UINT64_MAX;
    for (size_t i = 0; i < RECORDS; i++) {
        records[i] = malloc(64 + 48 * i);
        uint64_t bucket = ((uint64_t)(uintptr_t)records[i] * UINT64_C(0x9E3779B97F4A7C15)) >> 58;
        if (records[i] && bucket < first_bucket) { /* BROKEN: iteration order by address */
            first_bucket = bucket;
            first = i;
        }
    }
    for (size_t i = 0; i < RECORDS; i++) free(records[i]);
    tick(node, (int64_t)first * MS_NS);
}

/* --- a mutable static -------------------------------------------------------------------- */
static uint64_t ticks_in_process; /* BROKEN: outlives the run, shared by every run */

static void static_on_timer(struct murphy_node *node, uint64_t tag)
{
    (void)tag;
    ticks_in_process++;
    tick(node, (int64_t)(ticks_in_process % 7) * MS_NS);
}

#define BROKEN_MODEL(NAME, ON_TIMER, SUMMARY)                                               \
    static const struct murphy_model NAME = {                                               \
        .api_version = MURPHY_API_VERSION, .name = #NAME, .summary = SUMMARY,               \
        .params = params, .param_count = 1, .on_start = start, .on_timer = ON_TIMER,         \
    }

BROKEN_MODEL(broken_host_time, host_time_on_timer, "BROKEN on purpose: reads the host clock");
BROKEN_MODEL(broken_pointer_order, pointer_order_on_timer,
             "BROKEN on purpose: iterates in address order");
BROKEN_MODEL(broken_static, static_on_timer, "BROKEN on purpose: a mutable static counter");

const struct murphy_plugin *murphy_plugin(void)
{
    static const struct murphy_model *const models[] = {&broken_host_time,
                                                        &broken_pointer_order, &broken_static};
    static const struct murphy_plugin plugin = {
        .api_version = MURPHY_API_VERSION,
        .name = "broken-models",
        .set = {.models = models, .model_count = 3},
    };
    return &plugin;
}
