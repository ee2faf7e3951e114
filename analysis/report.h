/* analysis/report.h - what a run did, in numbers: messages by fate, operations with
 * latency percentiles per f (GSL's quantiles over the sorted latencies), timeouts by
 * true cause, and violations. Read from the record, so the report of a run is the same
 * whenever and wherever it is computed. */
#ifndef ANALYSIS_REPORT_H
#define ANALYSIS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define AN_REPORT_ROWS_MAX 32

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
    char first_violation[256];
    uint64_t note_count;
    uint64_t fault_count;
    /* faults that touched nothing: a cut that dropped no message, a pause of a node with
       nothing to do ("name (action)", at most AN_REPORT_ROWS_MAX) */
    struct an_count idle_faults[AN_REPORT_ROWS_MAX];
    size_t idle_fault_count;
};

extern const double an_report_quantiles[5]; /* 0.5 0.9 0.99 0.999 1.0 */

int an_report_build(struct an_db *db, const struct an_run *run, struct an_report *report,
                    char *err, size_t err_bytes);

#endif
