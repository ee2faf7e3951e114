/* checks/oracle.h - the shape every oracle has, and the set of them a run wires.
 *
 * An oracle watches the event stream of a run (live, as an observer) and judges it with
 * what only the simulator knows: true time, and the claims models make about what their
 * protocol did (murphy_claim: a lease granted, a write accepted, a timestamp chosen).
 * It reports violations, each at the event that completes it and naming the other events
 * involved by seq, annotations beside single events (the truth behind a verdict), and at
 * the end a few metrics (counts that a test or a sweep reads).
 * Oracles change nothing: their violations go to the record and the exit status, never
 * into the event stream, so a run's hash is the same with or without them.
 *
 * Every oracle keeps memory bounded by what is in flight (open operations, live leases),
 * never by run length. */
#ifndef CHECKS_ORACLE_H
#define CHECKS_ORACLE_H

#include <stdint.h>

#include "sim/event.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* Where an oracle's findings go (wired by the command line). */
struct oracle_report {
    void *ctx;
    /* `at` is borrowed; text names the other events ("... seq 812 ..."). */
    void (*violation)(void *ctx, const struct sim_event *at, const char *oracle,
                      const char *text);
    void (*metric)(void *ctx, const char *name, double value, const char *unit);
    /* A note about event `at` (borrowed), recorded beside it: kind names what is said
     * ("suspect_truth"), text is what (copied by the callee). NULL: annotations dropped. */
    void (*annotate)(void *ctx, const struct sim_event *at, const char *kind, const char *text);
};

/* One oracle. `self` is what create returned; NULL from create means out of memory. */
struct oracle_def {
    const char *name; /* "lease": violations are recorded as "oracle:lease" */
    void *(*create)(const struct oracle_report *report, const struct sim_scenario *scn);
    void (*on_event)(void *self, const struct sim_event *ev, const struct sim_event_text *text);
    /* The run ended at true time end_ns: report metrics (only those the run gave
     * occasion for: an oracle that saw no claim of its kind reports nothing). */
    void (*finish)(void *self, int64_t end_ns);
    void (*destroy)(void *self);
};

struct oracle_set;

/* Creates every oracle of the build (checks/oracles.c lists them). NULL if out of memory. */
struct oracle_set *oracle_set_create(const struct oracle_report *report,
                                     const struct sim_scenario *scn);
void oracle_set_destroy(struct oracle_set *set);
struct sim_observer oracle_set_observer(struct oracle_set *set);
void oracle_set_finish(struct oracle_set *set, int64_t end_ns);
/* Violations reported so far, by every oracle of the set. */
uint64_t oracle_set_violation_count(const struct oracle_set *set);

/* For oracles: the claim's name if ev is a CLAIM, else NULL. */
const char *oracle_claim_name(const struct sim_event *ev, const struct sim_event_text *text);

#endif
