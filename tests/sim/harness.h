/* tests/sim/harness.h - what the suites that run whole worlds in one process share
 * (test_world, test_clocksync): a world built from scenario text with the suite's model
 * set, an observer that records every event with its first text (notes, claims), the
 * invariants every event stream keeps, lookups over the record, and an idle model.
 *
 * A suite that links harness.c defines test_model_set and check_run (below): the
 * harness runs every world through the suite's own checks. */
#ifndef TESTS_SIM_HARNESS_H
#define TESTS_SIM_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/murphy.h"
#include "sim/world.h"

/* The node argument of the lookups that means every node. */
#define ANY_NODE (UINT32_MAX - 1)

struct logged {
    struct sim_event ev;
    char *text; /* the first text of the event (notes, claims), copied; NULL if none */
};

struct evlog {
    struct logged *items;
    size_t count;
    size_t cap;
};

struct run {
    struct sim_scenario scn;
    struct sim_world *world;
    struct evlog log; /* every event in order, if the run is observed */
    enum sim_run_end end;
    /* What the suite's check_run derived from the run (NULL: nothing), and how run_free
     * frees it. */
    void *derived;
    void (*free_derived)(void *derived);
};

/* "idle": a model that does nothing (a group's filler, or a time server, whose kernel
 * daemon answers), for the suites' model sets. */
extern const struct murphy_model idle_model;

/* --- defined by each suite ------------------------------------------------------------- */

/* The models the suite's scenarios name. */
extern const struct murphy_model_set test_model_set;
/* What every finished run of the suite passes (it calls check_stream, then its own). */
void check_run(struct run *r);

/* --- running ---------------------------------------------------------------------------- */

/* Loads the scenario text with set_count --set overrides (sets may be NULL when 0) and
 * creates its world with seed; if observe, every event will be recorded in r->log.
 * Asserts both succeed. */
void run_setup(struct run *r, const char *text, const char *const *sets, size_t set_count,
               uint64_t seed, bool observe);
/* Runs the world set up until stop_at_seq (UINT64_MAX: its end), then check_run. */
void run_go(struct run *r, uint64_t stop_at_seq);
/* run_setup (observed) and run_go to the end. */
void run_text_set(struct run *r, const char *text, const char *const *sets, size_t set_count,
                  uint64_t seed);
void run_text(struct run *r, const char *text, uint64_t seed);
/* Frees the world, the scenario, the record and what check_run derived; zeroes r. */
void run_free(struct run *r);

/* --- the record ------------------------------------------------------------------------- */

/* The index of the node called name; asserts there is one. */
uint32_t node_named(const struct run *r, const char *name);
/* True if ev is of kind and on node (or node is ANY_NODE). */
bool event_matches(const struct sim_event *ev, enum sim_event_kind kind, uint32_t node);
size_t count_kind(const struct run *r, enum sim_event_kind kind, uint32_t node);
/* The events of one kind (and node), in order; caller frees the array (not the events,
 * which stay in r->log). */
const struct sim_event **select_kind(const struct run *r, enum sim_event_kind kind,
                                     uint32_t node, size_t *count);
/* The same, as logged events with their texts. */
const struct logged **select_logged(const struct run *r, enum sim_event_kind kind,
                                    uint32_t node, size_t *count);

/* The invariants of every observed stream: the observer saw each event once, seqs are
 * dense, times never decrease nor pass the duration, kinds, nodes and peers are in
 * range, an event without a node has no clock readings, the hash recomputed from the
 * events is the world's, and the clamp and violation counts are the world's. */
void check_stream(const struct run *r);

#endif
