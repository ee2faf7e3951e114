/* analysis/report.h - what a run did, in numbers: messages by fate, causal inversions by
 * wall clock, operations with latency percentiles per f (GSL's quantiles over the sorted
 * latencies), timeouts by true cause, the oracles' metrics, clock offsets and clock
 * events per node, pauses per node, and violations. Read from the record, so the report
 * of a run is the same whenever and wherever it is computed. */
#ifndef ANALYSIS_REPORT_H
#define ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define AN_REPORT_ROWS_MAX 32
#define AN_REPORT_VIOLATIONS_LISTED 10

struct an_count {
    char name[48];
    uint64_t count;
};

struct an_op_stats {
    char f[48];
    uint64_t ok, fail, info;
    /* latency of ok operations, true time, ns: p50 p90 p99 p99.9 max (0 when none) */
    double latency_ns[5];
};

/* One row of the `metrics` table, as an oracle wrote it. */
struct an_metric {
    char name[64];
    double value;
    char unit[16];
};

/* A node's clock over the run: its wall offset from the reference as sampled by
 * CLOCK_SAMPLE events (when the scenario sets clock_sample), and its clock events. */
#define AN_CLOCK_POINTS 5 /* offsets over time: the last sample in each fifth of the run */
struct an_clock_row {
    char node[64];
    int64_t node_index;
    uint64_t sample_count;
    int64_t offset_min_ns, offset_max_ns, offset_final_ns; /* when sample_count > 0 */
    uint64_t step_count, sync_count, rate_count;           /* clock_step/_sync/_rate */
    bool has_offset_at[AN_CLOCK_POINTS];
    int64_t offset_at_ns[AN_CLOCK_POINTS]; /* the last sample at or before (i+1)/5 of the run */
};

/* A node's pauses: random ones (gc_every) and scheduled ones (faults). */
struct an_pause_row {
    char node[64];
    uint64_t gc_count, fault_count;
    int64_t gc_ns, fault_ns; /* summed planned lengths */
};

struct an_violation_row {
    uint64_t seq;
    char source[48]; /* "model" or "oracle:NAME" */
    char text[640];  /* longer texts are cut (the record keeps them whole) */
};

struct an_report {
    struct an_count fates[AN_REPORT_ROWS_MAX]; /* "send", "deliver", "drop: loss", ... */
    size_t fate_count;
    struct an_op_stats ops[AN_REPORT_ROWS_MAX];
    size_t op_count;
    struct an_count causes[AN_REPORT_ROWS_MAX]; /* timeout causes (oracle annotations), by
                                                  first occurrence */
    size_t cause_count;
    uint64_t timeout_count;
    uint64_t violation_count;
    uint64_t note_count;
    uint64_t fault_count;
    /* faults that touched nothing: a cut that dropped no message, a pause of a node with
       nothing to do ("name (action)", at most AN_REPORT_ROWS_MAX) */
    struct an_count idle_faults[AN_REPORT_ROWS_MAX];
    size_t idle_fault_count;
    /* Causal inversions by wall clock. By true time there are none: a message is
       delivered after it is sent and a reply is sent after its request arrives. */
    uint64_t send_count;
    uint64_t inverted_delivery_count; /* deliveries whose node's wall reading is before
                                         the sender's reading at the send */
    uint64_t inverted_reply_count;    /* replies sent or delivered at a wall reading
                                         before their request's send: in a log merged by
                                         wall time, the answer comes before the question */
    struct an_metric metrics[AN_REPORT_ROWS_MAX]; /* in the order they were written */
    size_t metric_count, metric_total;
    struct an_clock_row clocks[AN_REPORT_ROWS_MAX]; /* nodes with any clock event, by index */
    int64_t clock_point_ns[AN_CLOCK_POINTS];        /* the true times of offset_at_ns */
    size_t clock_count, clock_total;
    struct an_pause_row pauses[AN_REPORT_ROWS_MAX]; /* nodes that paused, by index */
    size_t pause_count, pause_total;
    /* lies (LIE events) per Byzantine node and policy ("general.2 alter"), then attacks
       (ATTACK events) per link source and kind ("attack from node.0: corrupt") */
    struct an_count lies[AN_REPORT_ROWS_MAX];
    size_t lie_count, lie_total;
    struct an_violation_row violations[AN_REPORT_VIOLATIONS_LISTED]; /* the first, by seq */
    size_t violation_listed;
};

extern const double an_report_quantiles[5]; /* 0.5 0.9 0.99 0.999 1.0 */

int an_report_build(struct an_db *db, const struct an_run *run, struct an_report *report,
                    char *err, size_t err_bytes);

#endif
