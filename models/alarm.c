/* models/alarm.c - timeouts and a periodic job, kept by the monotonic clock (right) or by
 * the time-of-day clock (the classic bug), to show why one must never time anything by
 * the wall clock: a sync that steps it makes a timeout fire early or late and a job run
 * a slot twice or never.
 *
 * Two activities run side by side, each repeated for the whole run:
 *  - a timeout of `timeout`, started again as soon as it fires. Monotonic: one
 *    murphy_timer_set. Wall (use_wall_clock): deadline = wall + timeout, then a poll on a
 *    monotonic `tick` until wall >= deadline, as code that stores "expires_at = now() +
 *    timeout" does.
 *  - a job every `period`, cron-like: slot = clock / period, and the job runs whenever the
 *    slot differs from the last one run (and once at start). Monotonic: a timer to the
 *    next boundary of the monotonic clock. Wall: checked on every tick against the wall
 *    clock, so a step back across a boundary runs a slot again and a step forward over
 *    one skips it.
 * Only the clock read differs between the variants; the oracle `timing` (checks/timing.c)
 * judges both by true time. What the model tells it (murphy_claim):
 *   "timeout.start" (id, intended_ns)  a timeout of intended_ns began
 *   "timeout.slack" (id, slack_ns)     it may fire up to slack_ns after its deadline by
 *                                      design (the poll tick; wall variant only)
 *   "timeout.fire"  (id, 0)            it fired
 *   "job.run"       (job id, slot)     the job ran for that slot
 *
 *   on_start --> start_timeout --(timer / tick sees wall >= deadline)--> fire_timeout
 *                     ^------------------------------------------------------'
 *
 * Invariants: A1 at most one timeout is open; A2 timeout ids strictly increase for the
 * node's whole life (the counter is durable, so a restart never reuses one); A3 a
 * monotonic timeout fires once its full duration has passed on the monotonic clock;
 * A4 the monotonic job's slots strictly increase (the monotonic clock never goes back).
 * A3 and A4 check the kernel's promises; the wall variant promises nothing, which is the
 * point. The model receives no messages. */
#include "models.h"

#define ALARM_JOB_ID 1
#define TAG_TIMEOUT 1u /* monotonic variant: the timeout's own timer */
#define TAG_JOB 2u     /* monotonic variant: the next job boundary */
#define TAG_TICK 3u    /* wall variant: the poll */

struct alarm_durable {
    int64_t next_timeout_id; /* A2: survives crashes */
};

struct alarm_volatile {
    bool is_timeout_open;         /* A1 */
    int64_t timeout_id;
    int64_t start_mono_ns;        /* A3 */
    int64_t deadline_wall_ns;     /* wall variant */
    bool has_job_run;
    int64_t last_slot;            /* A4 */
};

static const struct murphy_param_spec alarm_params[] = {
    {"use_wall_clock", MURPHY_PARAM_BOOL, "false", 0, 0,
     "time timeouts and the job by the time-of-day clock (the bug) instead of the monotonic"},
    {"timeout", MURPHY_PARAM_DURATION, "5s", 1, INT64_C(86400000000000),
     "length of each timeout, started again as soon as one fires"},
    {"period", MURPHY_PARAM_DURATION, "1s", 1, INT64_C(86400000000000),
     "the job runs once per slot of this length (slot = clock / period)"},
    {"tick", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(3600000000000),
     "wall variant: how often the wall clock is polled (on the monotonic clock)"},
};

static bool uses_wall(const struct murphy_node *node)
{
    return murphy_param_bool(node, "use_wall_clock");
}

/* The clock this variant keeps time by. The wall clock is positive in any sane scenario
 * (wall_start is 2025); a negative reading still gives a floor-divided slot. */
static int64_t slot_of(int64_t clock_ns, int64_t period_ns)
{
    int64_t slot = clock_ns / period_ns;
    if (clock_ns % period_ns != 0 && clock_ns < 0) slot--;
    return slot;
}

static void start_timeout(struct murphy_node *node)
{
    struct alarm_durable *d = murphy_durable(node);
    struct alarm_volatile *v = murphy_volatile(node);
    if (v->is_timeout_open) murphy_violation(node, "A1: a timeout started while one was open");
    int64_t timeout_ns = murphy_param_i64(node, "timeout");
    v->is_timeout_open = true;
    v->timeout_id = ++d->next_timeout_id; /* A2 */
    v->start_mono_ns = murphy_mono_ns(node);
    murphy_claim(node, "timeout.start", v->timeout_id, timeout_ns);
    if (uses_wall(node)) {
        /* the bug: a deadline as a time of day */
        v->deadline_wall_ns = murphy_wall_ns(node) + timeout_ns;
        murphy_claim(node, "timeout.slack", v->timeout_id, murphy_param_i64(node, "tick"));
        return;
    }
    murphy_timer_set(node, timeout_ns, TAG_TIMEOUT);
}

static void fire_timeout(struct murphy_node *node)
{
    struct alarm_volatile *v = murphy_volatile(node);
    if (!uses_wall(node) &&
        murphy_mono_ns(node) - v->start_mono_ns < murphy_param_i64(node, "timeout"))
        murphy_violation(node, "A3: a monotonic timeout fired before its duration passed");
    v->is_timeout_open = false;
    murphy_claim(node, "timeout.fire", v->timeout_id, 0);
    start_timeout(node);
}

/* Runs the job if the clock's slot changed since the last run. */
static void maybe_run_job(struct murphy_node *node, int64_t clock_ns)
{
    struct alarm_volatile *v = murphy_volatile(node);
    int64_t slot = slot_of(clock_ns, murphy_param_i64(node, "period"));
    if (v->has_job_run && slot == v->last_slot) return;
    if (v->has_job_run && slot < v->last_slot && !uses_wall(node))
        murphy_violation(node, "A4: the monotonic job's slot went back");
    v->has_job_run = true;
    v->last_slot = slot;
    murphy_claim(node, "job.run", ALARM_JOB_ID, slot);
}

/* Monotonic variant: a timer to the next slot boundary of the monotonic clock. */
static void schedule_job(struct murphy_node *node)
{
    struct alarm_volatile *v = murphy_volatile(node);
    int64_t period_ns = murphy_param_i64(node, "period");
    int64_t next_boundary_ns = (v->last_slot + 1) * period_ns;
    int64_t delay_ns = next_boundary_ns - murphy_mono_ns(node);
    murphy_timer_set(node, delay_ns > 0 ? delay_ns : 0, TAG_JOB);
}

static void alarm_on_start(struct murphy_node *node)
{
    start_timeout(node);
    if (uses_wall(node)) {
        maybe_run_job(node, murphy_wall_ns(node));
        murphy_timer_set(node, murphy_param_i64(node, "tick"), TAG_TICK);
        return;
    }
    maybe_run_job(node, murphy_mono_ns(node));
    schedule_job(node);
}

static void alarm_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct alarm_volatile *v = murphy_volatile(node);
    switch (tag) {
    case TAG_TIMEOUT:
        fire_timeout(node);
        return;
    case TAG_JOB:
        maybe_run_job(node, murphy_mono_ns(node));
        schedule_job(node);
        return;
    case TAG_TICK: {
        /* one reading per tick for both, as a loop around `now = time(NULL)` would do */
        int64_t wall_ns = murphy_wall_ns(node);
        if (v->is_timeout_open && wall_ns >= v->deadline_wall_ns) fire_timeout(node);
        maybe_run_job(node, wall_ns);
        murphy_timer_set(node, murphy_param_i64(node, "tick"), TAG_TICK);
        return;
    }
    default:
        murphy_note(node, "a timer with an unknown tag; ignored");
        return;
    }
}

const struct murphy_model models_alarm = {
    .api_version = MURPHY_API_VERSION,
    .name = "alarm",
    .summary = "repeated timeouts and a periodic job, by the monotonic or (wrongly) the wall clock",
    .durable_bytes = sizeof(struct alarm_durable),
    .volatile_bytes = sizeof(struct alarm_volatile),
    .params = alarm_params,
    .param_count = sizeof alarm_params / sizeof alarm_params[0],
    .on_start = alarm_on_start,
    .on_timer = alarm_on_timer,
};
