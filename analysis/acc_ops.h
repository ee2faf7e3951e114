/* analysis/acc_ops.h - the accumulator of client operations (Jepsen-style ops): per f,
 * how many completed ok, fail or info (an operation still open at the end is info, as
 * the record has it), and the latency of ok operations in true time at p50, p90, p99,
 * p99.9 and max - the same quantiles, computed the same way (gsl_sort, then
 * gsl_stats_quantile_from_sorted_data), as `murphy report` computes from the ops table,
 * so a metric and the report agree to the last bit.
 *
 * Metrics, per f in order of first invocation: ops.F.ok, ops.F.fail, ops.F.info (count),
 * ops.F.p50_ns, .p90_ns, .p99_ns, .p999_ns, .max_ns (ns; only with at least one ok).
 * Memory: one entry per open operation, and 8 bytes per ok latency kept for the exact
 * quantiles, up to AN_OPS_LATENCIES_MAX per run; past it the quantiles are not reported
 * (ops.F.latencies_dropped says how many) rather than silently approximated. At most
 * AN_OPS_F_MAX distinct f; others are counted under "other". */
#ifndef ANALYSIS_ACC_OPS_H
#define ANALYSIS_ACC_OPS_H

#include "metrics.h"

#define AN_OPS_LATENCIES_MAX (UINT64_C(1) << 26) /* 64 Mi latencies: 512 MiB */
#define AN_OPS_F_MAX 32u

extern const struct an_acc_def an_acc_ops;

#endif
