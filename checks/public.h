/* checks/public.h - runs the oracles of a model library (murphy/oracle.h) inside a run's
 * oracle set: hands them every CLAIM event with its true time, and passes their verdicts
 * on as any other oracle's ("oracle:NAME"). */
#ifndef CHECKS_PUBLIC_H
#define CHECKS_PUBLIC_H

#include "oracle.h"

struct public_oracles;

/* One state block per oracle of `set` (which may be NULL or hold none: then nothing is
 * run). NULL if out of memory. `report` and `set` are borrowed for the run. */
struct public_oracles *public_oracles_create(const struct oracle_report *report,
                                             const struct murphy_model_set *set);
void public_oracles_on_event(struct public_oracles *p, const struct sim_event *ev,
                             const struct sim_event_text *text);
void public_oracles_finish(struct public_oracles *p, int64_t end_ns);
void public_oracles_destroy(struct public_oracles *p);

#endif
