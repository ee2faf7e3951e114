/* analysis/acc_ops.h - the accumulator of client operations (Jepsen-style ops): per f,
 * how many completed ok, fail or info (an operation still open at the end is info, as
 * the record has it), and the latency of ok operations in true time: p50, p90, p99 and
 * p99.9 as GSL's running quantiles (gsl_rstat_quantile, the P-square algorithm: five
 * markers per quantile, so memory does not grow with the run), and the exact max.
 * `murphy report` prints exact quantiles from a full record's ops table; these are the
 * bounded-memory ones a sweep keeps, and they are the same live and replayed from a
 * record (an_accs_replay) to the last bit.
 *
 * Metrics, per f in order of first invocation: ops.F.ok, ops.F.fail, ops.F.info (count),
 * ops.F.p50_ns, .p90_ns, .p99_ns, .p999_ns, .max_ns (ns; only with at least one ok).
 * Memory: one entry per open operation. At most AN_OPS_F_MAX distinct f; others are
 * counted under "other". */
#ifndef ANALYSIS_ACC_OPS_H
#define ANALYSIS_ACC_OPS_H

#include "metrics.h"

#define AN_OPS_F_MAX 32u

extern const struct an_acc_def an_acc_ops;

#endif
