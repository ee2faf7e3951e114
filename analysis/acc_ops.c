/* analysis/acc_ops.c - operation counts and latency quantiles per f; see acc_ops.h. */
#include "acc_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rstat.h>

#include "sim/assert.h"
#include "sim/u64map.h"

#define F_NAME_BYTES 48

#define QUANTILE_COUNT 4
static const double quantile_p[QUANTILE_COUNT] = {0.5, 0.9, 0.99, 0.999};
static const char *const quantile_names[QUANTILE_COUNT] = {"p50_ns", "p90_ns", "p99_ns",
                                                           "p999_ns"};

struct f_stats {
    char f[F_NAME_BYTES];
    uint64_t ok, fail, info;
    gsl_rstat_quantile_workspace *quantile[QUANTILE_COUNT]; /* allocated at the first ok */
    double latency_max_ns;
    bool has_failed;          /* a workspace could not be allocated: no quantiles */
};

struct open_op {
    int64_t invoke_ns;
    uint32_t f_index;
};

struct acc_ops {
    struct f_stats f[AN_OPS_F_MAX + 1]; /* the last is "other" */
    uint32_t f_count;
    struct sim_u64map open;             /* op id -> struct open_op * */
};

static void *create(const struct an_run_shape *shape)
{
    (void)shape;
    return calloc(1, sizeof(struct acc_ops));
}

static uint32_t f_index(struct acc_ops *a, const char *f)
{
    if (!f) f = "";
    for (uint32_t i = 0; i < a->f_count; i++)
        if (strncmp(a->f[i].f, f, F_NAME_BYTES - 1) == 0) return i;
    if (a->f_count == AN_OPS_F_MAX) return AN_OPS_F_MAX;
    snprintf(a->f[a->f_count].f, F_NAME_BYTES, "%s", f);
    return a->f_count++;
}

static void add_latency(struct f_stats *st, double latency_ns)
{
    if (st->ok == 1) /* the first: the workspaces */
        for (int i = 0; i < QUANTILE_COUNT; i++) {
            st->quantile[i] = gsl_rstat_quantile_alloc(quantile_p[i]);
            st->has_failed = st->has_failed || !st->quantile[i];
        }
    if (latency_ns > st->latency_max_ns) st->latency_max_ns = latency_ns;
    for (int i = 0; i < QUANTILE_COUNT && !st->has_failed; i++)
        gsl_rstat_quantile_add(latency_ns, st->quantile[i]);
}

static void on_event(void *self, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct acc_ops *a = self;
    if (ev->kind == SIM_EV_OP_INVOKE) {
        struct open_op *op = malloc(sizeof *op);
        if (!op) return;
        *op = (struct open_op){ev->time_ns, f_index(a, text->s[0])};
        if (sim_u64map_put(&a->open, ev->obj, op) != 0) free(op);
        return;
    }
    if (ev->kind != SIM_EV_OP_COMPLETE) return;
    struct open_op *op = sim_u64map_take(&a->open, ev->obj);
    if (!op) return; /* its invoke was not seen (a stream read from the middle) */
    struct f_stats *st = &a->f[op->f_index];
    switch (ev->aux) {
    case 0 /* MURPHY_OP_OK */:
        st->ok++;
        add_latency(st, (double)(ev->time_ns - op->invoke_ns));
        break;
    case 1 /* MURPHY_OP_FAIL */: st->fail++; break;
    default: st->info++; break;
    }
    free(op);
}

static void count_open_as_info(void *ctx, uint64_t key, void *value)
{
    (void)key;
    struct acc_ops *a = ctx;
    struct open_op *op = value;
    a->f[op->f_index].info++;
}

static void report_f(const struct f_stats *st, const struct an_metric_sink *sink)
{
    char name[F_NAME_BYTES + 32];
    snprintf(name, sizeof name, "ops.%s.ok", st->f);
    sink->metric(sink->ctx, name, (double)st->ok, "count");
    snprintf(name, sizeof name, "ops.%s.fail", st->f);
    sink->metric(sink->ctx, name, (double)st->fail, "count");
    snprintf(name, sizeof name, "ops.%s.info", st->f);
    sink->metric(sink->ctx, name, (double)st->info, "count");
    if (!st->ok || st->has_failed) return; /* no latency, or no memory: say nothing wrong */
    for (int i = 0; i < QUANTILE_COUNT; i++) {
        snprintf(name, sizeof name, "ops.%s.%s", st->f, quantile_names[i]);
        sink->metric(sink->ctx, name, gsl_rstat_quantile_get(st->quantile[i]), "ns");
    }
    snprintf(name, sizeof name, "ops.%s.max_ns", st->f);
    sink->metric(sink->ctx, name, st->latency_max_ns, "ns");
}

static void finish(void *self, int64_t end_ns, const struct an_metric_sink *sink)
{
    (void)end_ns;
    struct acc_ops *a = self;
    sim_u64map_each_sorted(&a->open, count_open_as_info, a);
    for (uint32_t i = 0; i <= AN_OPS_F_MAX; i++) {
        struct f_stats *st = &a->f[i];
        if (i >= a->f_count && i != AN_OPS_F_MAX) continue;
        if (i == AN_OPS_F_MAX && !(st->ok + st->fail + st->info)) continue;
        if (i == AN_OPS_F_MAX) snprintf(st->f, F_NAME_BYTES, "other");
        report_f(st, sink);
    }
}

static void free_op(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free(value);
}

static void destroy(void *self)
{
    struct acc_ops *a = self;
    if (!a) return;
    sim_u64map_each_sorted(&a->open, free_op, NULL);
    sim_u64map_free(&a->open);
    for (uint32_t i = 0; i <= AN_OPS_F_MAX; i++)
        for (int q = 0; q < QUANTILE_COUNT; q++)
            if (a->f[i].quantile[q]) gsl_rstat_quantile_free(a->f[i].quantile[q]);
    free(a);
}

const struct an_acc_def an_acc_ops = {"ops", create, on_event, finish, destroy};
