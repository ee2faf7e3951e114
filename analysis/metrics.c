/* analysis/metrics.c - the set of accumulators: one observer that hands every event to
 * each accumulator in a fixed order and, at the end, collects their metrics in that
 * order. The list below is the only place an accumulator is registered. */
#include "metrics.h"

#include <stdlib.h>

#include "acc_detector.h"
#include "acc_lies.h"
#include "acc_ops.h"
#include "acc_queue.h"

static const struct an_acc_def *const acc_defs[] = {
    &an_acc_ops,
    &an_acc_detector,
    &an_acc_queue,
    &an_acc_lies,
};
#define ACC_DEF_COUNT (sizeof acc_defs / sizeof acc_defs[0])

struct an_accs {
    void *selves[ACC_DEF_COUNT];
};

struct an_accs *an_accs_create(const struct an_run_shape *shape)
{
    struct an_accs *accs = calloc(1, sizeof *accs);
    if (!accs) return NULL;
    for (size_t i = 0; i < ACC_DEF_COUNT; i++) {
        accs->selves[i] = acc_defs[i]->create(shape);
        if (!accs->selves[i]) {
            an_accs_destroy(accs);
            return NULL;
        }
    }
    return accs;
}

void an_accs_destroy(struct an_accs *accs)
{
    if (!accs) return;
    for (size_t i = 0; i < ACC_DEF_COUNT; i++)
        if (accs->selves[i]) acc_defs[i]->destroy(accs->selves[i]);
    free(accs);
}

void an_accs_event(struct an_accs *accs, const struct sim_event *ev,
                   const struct sim_event_text *text)
{
    for (size_t i = 0; i < ACC_DEF_COUNT; i++) acc_defs[i]->on_event(accs->selves[i], ev, text);
}

static void on_event(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    an_accs_event(ctx, ev, text);
}

struct sim_observer an_accs_observer(struct an_accs *accs)
{
    return (struct sim_observer){accs, on_event};
}

void an_accs_finish(struct an_accs *accs, int64_t end_ns, const struct an_metric_sink *sink)
{
    for (size_t i = 0; i < ACC_DEF_COUNT; i++) acc_defs[i]->finish(accs->selves[i], end_ns, sink);
}
