/* analysis/latency.h - operation latency broken down: per node (the client that ran the
 * operation) or per window of true time, for each f. Read from a record's ops table:
 * exact quantiles (gsl_sort, gsl_stats_quantile_from_sorted_data), like the report's
 * per-f table, so the rows of one f add up to its total. A window holds the operations
 * that completed in it (a latency belongs to when the client learned it). */
#ifndef ANALYSIS_LATENCY_H
#define ANALYSIS_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define AN_LATENCY_WINDOWS_MAX 100

enum an_latency_by { AN_LATENCY_BY_NODE, AN_LATENCY_BY_WINDOW };

struct an_latency_row {
    char f[48];
    int64_t node;               /* AN_LATENCY_BY_NODE */
    int64_t window_start_ns;    /* AN_LATENCY_BY_WINDOW: [start, end), the last [start, end] */
    int64_t window_end_ns;
    uint64_t ok, not_ok;        /* ok, and fail + info completed in the group */
    double p50_ns, p99_ns, max_ns; /* of ok latencies; 0 when none */
};

typedef void (*an_latency_row_fn)(void *ctx, const struct an_latency_row *row);

/* Calls fn for each (f, node) or (f, window) group with operations, in f then node or
 * window order. window_count in [1, AN_LATENCY_WINDOWS_MAX] splits [0, the run's end).
 * Memory: the latencies of one group at a time. Returns 0 or -1 with err. */
int an_latency_by(struct an_db *db, const struct an_run *run, enum an_latency_by by,
                  int window_count, an_latency_row_fn fn, void *ctx, char *err,
                  size_t err_bytes);

#endif
