/* analysis/acc_queue.c - sojourn time and queue length of queueing servers after a
 * warm-up, and rejections; see acc_queue.h. */
#include "acc_queue.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rstat.h>

struct acc_queue {
    int64_t warmup_end_ns;       /* true time; claims before it are warm-up */
    bool has_claims;
    uint64_t served;             /* whole run */
    uint64_t count;              /* after warm-up */
    double sojourn_sum_ns;       /* after warm-up */
    double length_sum;           /* after warm-up */
    int64_t queue_max;           /* whole run: the longest queue claimed */
    uint64_t rejected;
    gsl_rstat_quantile_workspace *p50, *p99;
};

static void destroy(void *self)
{
    struct acc_queue *a = self;
    if (!a) return;
    if (a->p50) gsl_rstat_quantile_free(a->p50);
    if (a->p99) gsl_rstat_quantile_free(a->p99);
    free(a);
}

static void *create(const struct an_run_shape *shape)
{
    struct acc_queue *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->warmup_end_ns = shape->duration_ns / 100 * AN_QUEUE_WARMUP_PERCENT;
    a->p50 = gsl_rstat_quantile_alloc(0.5);
    a->p99 = gsl_rstat_quantile_alloc(0.99);
    if (!a->p50 || !a->p99) {
        destroy(a);
        return NULL;
    }
    return a;
}

static void on_event(void *self, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct acc_queue *a = self;
    if (ev->kind != SIM_EV_CLAIM || !text->s[0]) return;
    int64_t value_a = (int64_t)ev->obj, value_b = (int64_t)ev->ref;
    if (strcmp(text->s[0], "queue.reject") == 0) {
        a->has_claims = true;
        a->rejected++;
        if (value_a > a->queue_max) a->queue_max = value_a;
        return;
    }
    if (strcmp(text->s[0], "queue.sojourn") != 0) return;
    a->has_claims = true;
    a->served++;
    if (value_b > a->queue_max) a->queue_max = value_b;
    if (ev->time_ns < a->warmup_end_ns) return;
    a->count++;
    a->sojourn_sum_ns += (double)value_a;
    a->length_sum += (double)value_b;
    gsl_rstat_quantile_add((double)value_a, a->p50);
    gsl_rstat_quantile_add((double)value_a, a->p99);
}

static void finish(void *self, int64_t end_ns, const struct an_metric_sink *sink)
{
    (void)end_ns;
    const struct acc_queue *a = self;
    if (!a->has_claims) return;
    sink->metric(sink->ctx, "queue.served", (double)a->served, "count");
    sink->metric(sink->ctx, "queue.count", (double)a->count, "count");
    if (a->count) {
        sink->metric(sink->ctx, "queue.sojourn_mean_ns", a->sojourn_sum_ns / (double)a->count,
                     "ns");
        sink->metric(sink->ctx, "queue.sojourn_p50_ns", gsl_rstat_quantile_get(a->p50), "ns");
        sink->metric(sink->ctx, "queue.sojourn_p99_ns", gsl_rstat_quantile_get(a->p99), "ns");
        sink->metric(sink->ctx, "queue.length_mean", a->length_sum / (double)a->count,
                     "count");
    }
    sink->metric(sink->ctx, "queue.queue_max", (double)a->queue_max, "count");
    sink->metric(sink->ctx, "queue.rejected", (double)a->rejected, "count");
}

const struct an_acc_def an_acc_queue = {"queue", create, on_event, finish, destroy};
