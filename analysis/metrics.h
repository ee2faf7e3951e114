/* analysis/metrics.h - accumulators: the numbers a run is summarised by (latency
 * percentiles, detector quality, ...), computed from its canonical event stream.
 *
 * One accumulator is fed the same events whether live, as an observer of a running world
 * (a sweep keeps these summaries and no rows), or read back from a record (the report,
 * murphy sweep --full), so the two agree exactly: it reads only the canonical events and
 * the texts beside them (sim/event.h), never the kernel or the database. Memory is
 * bounded by what is in flight (open operations, current suspicions) plus what its
 * summary needs (an accumulator that keeps every latency for exact percentiles says so
 * and bounds it).
 *
 * The set is fixed at build time (analysis/metrics.c lists the accumulators); a run
 * without the events an accumulator looks for reports nothing from it. */
#ifndef ANALYSIS_METRICS_H
#define ANALYSIS_METRICS_H

#include <stdint.h>

#include "sim/event.h"
#include "sim/world.h"

/* Where finished metrics go: one call per metric, in a fixed order (accumulators in
 * list order, each in its own documented order). name is "acc.metric" ("detector.td_mean");
 * unit is "ns", "count", "ratio", "per_hour", ... */
struct an_metric_sink {
    void *ctx;
    void (*metric)(void *ctx, const char *name, double value, const char *unit);
};

/* What an accumulator knows of the run before its first event. */
struct an_run_shape {
    uint32_t node_count;
    int64_t duration_ns; /* the scenario's; the run may end earlier */
};

struct an_acc_def {
    const char *name;
    void *(*create)(const struct an_run_shape *shape); /* NULL: out of memory */
    void (*on_event)(void *self, const struct sim_event *ev, const struct sim_event_text *text);
    void (*finish)(void *self, int64_t end_ns, const struct an_metric_sink *sink);
    void (*destroy)(void *self);
};

struct an_accs;

struct an_accs *an_accs_create(const struct an_run_shape *shape); /* NULL: out of memory */
void an_accs_destroy(struct an_accs *accs);
void an_accs_event(struct an_accs *accs, const struct sim_event *ev,
                   const struct sim_event_text *text);
struct sim_observer an_accs_observer(struct an_accs *accs);
/* The run ended at end_ns: every accumulator reports its metrics to sink. */
void an_accs_finish(struct an_accs *accs, int64_t end_ns, const struct an_metric_sink *sink);

#endif
