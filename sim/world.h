/* sim/world.h - one simulation run: the world built from a scenario and a seed, the
 * loop that moves it, and the observers that watch its event stream.
 *
 * Observers (the recorder, oracles, metric accumulators) are wired by cli/. They see
 * every event in order, draw no randomness and schedule nothing: the event stream and
 * its hash are the same whoever watches. The hash itself is computed here, always, since
 * it is the run's identity. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "scenario.h"

struct sim_world;

struct sim_observer {
    void *ctx;
    /* Called for every event, in seq order. ev and text are borrowed for the call. */
    void (*on_event)(void *ctx, const struct sim_event *ev, const struct sim_event_text *text);
};

#define SIM_OBSERVERS_MAX 16

enum sim_run_end {
    SIM_END_TIME,        /* reached the scenario's duration */
    SIM_END_QUIESCENT,   /* nothing left to happen */
    SIM_END_BUDGET,      /* reached max_events */
    SIM_END_STOP_AT,     /* reached the requested --stop-at seq */
    SIM_END_INTERRUPTED, /* the interrupt flag was raised (a signal) */
    SIM_END_NO_MEMORY,   /* an allocation failed mid-run: the step that needed it was cut
                            short, so the run stops there and is an error, not a result */
};

/* Creates the world; the scenario is borrowed and must outlive it. Returns 0 or a
 * negative SIM_E* code with diag filled. */
int sim_world_create(const struct sim_scenario *scn, uint64_t seed, struct sim_world **out,
                     struct sim_diag *diag);
void sim_world_destroy(struct sim_world *world);

/* Adds an observer (copied); at most SIM_OBSERVERS_MAX. Returns 0 or -1. */
int sim_world_add_observer(struct sim_world *world, const struct sim_observer *observer);

/* Runs until the duration, quiescence, the event budget, the event numbered stop_at_seq
 * (UINT64_MAX for none) or *interrupt becoming non-zero (may be NULL). Returns how it
 * ended. Runs once per world.
 * The loop stops only between steps (one popped queue entry), and one step may emit
 * several events at one instant; so the budget and stop_at_seq stop at the first step
 * boundary at or after them, and the events emitted are always an exact prefix of the
 * uninterrupted run's. To stop *just before* event stop_at_seq is emitted, a debugger
 * breaks on sim_debug_break(), which is called then. */
enum sim_run_end sim_world_run(struct sim_world *world, uint64_t stop_at_seq,
                               const volatile sig_atomic_t *interrupt);

/* Called just before the event numbered stop_at_seq is emitted; does nothing. It exists
 * as a breakpoint for a debugger (`break sim_debug_break`), with the event in hand. */
void sim_debug_break(const struct sim_world *world, const struct sim_event *ev);

uint64_t sim_world_event_count(const struct sim_world *world);
const struct sim_scenario *sim_world_scenario(const struct sim_world *world);
uint64_t sim_world_seed(const struct sim_world *world);
/* The run's faults, in the order they were scheduled (FAULT events' obj indexes them):
 * the scenario's, then those its nemesis drew for this seed. Borrowed from the world. */
const struct sim_fault *sim_world_faults(const struct sim_world *world, uint32_t *count);
uint64_t sim_world_hash(const struct sim_world *world);
int64_t sim_world_now_ns(const struct sim_world *world);
uint64_t sim_world_violation_count(const struct sim_world *world);
uint64_t sim_world_clamp_count(const struct sim_world *world);
const char *sim_run_end_name(enum sim_run_end end);

#endif
