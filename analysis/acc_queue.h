/* analysis/acc_queue.h - the accumulator of server queues: from the claims a queueing
 * server makes (models/queue_server.c), "queue.sojourn" (a = arrival-to-reply ns on the
 * server's monotonic clock, b = the queue's length just after it arrived: itself
 * included if it had to wait, 0 if a worker took it at once) and "queue.reject"
 * (a = queue length when turned away), summed over every server of the run.
 *
 * Warm-up: a queue starts empty, so its first customers wait less than in steady state.
 * Sojourns claimed in the first AN_QUEUE_WARMUP_PERCENT of the scenario's duration (true
 * time of the claim) are left out of the sojourn statistics (they still count in
 * queue.served and queue.queue_max); for an M/M/1 queue at utilisation 0.9 and 1 ms
 * service the relaxation time is about 0.4 s, far below a tenth of any run long enough
 * to estimate its mean. Rejections count over the whole run.
 *
 * Metrics, in order (only if the run made at least one queue claim):
 *   queue.served (count, whole run), queue.count (count, after warm-up),
 *   queue.sojourn_mean_ns, queue.sojourn_p50_ns, queue.sojourn_p99_ns (ns, after
 *   warm-up; p50/p99 are GSL's running P-square quantiles, gsl_rstat_quantile, so memory
 *   does not grow with the run), queue.length_mean (count: the mean of b, after warm-up),
 *   queue.queue_max (count: the largest b or rejection's a, whole run), queue.rejected
 *   (count, whole run).
 * Memory: constant. */
#ifndef ANALYSIS_ACC_QUEUE_H
#define ANALYSIS_ACC_QUEUE_H

#include "metrics.h"

#define AN_QUEUE_WARMUP_PERCENT 10

extern const struct an_acc_def an_acc_queue;

#endif
