/* models/fd_monitor.c - the detecting side of a failure detector: it receives the
 * heartbeats of every node of `targets` (fd_heartbeat) and judges each target by one of
 * three detectors, chosen by `detector`, all on its own monotonic clock. On each accepted
 * heartbeat it computes a deadline for the next one and sets a timer there; the timer
 * firing means suspicion (murphy_suspect); a heartbeat from a suspected target means trust
 * again (murphy_trust). Only changes are reported.
 *
 *   trusted --(deadline timer fires: on_deadline)--> suspected
 *      ^  \--(heartbeat: on_heartbeat re-arms)--'         |
 *      '------------(heartbeat: on_heartbeat, murphy_trust)'
 *
 * Detectors (deadline = how long after the last accepted heartbeat the target is suspected):
 *  0 fixed:    `timeout`.
 *  1 phi-accrual (Hayashibara, Defago, Yared, Katayama 2004): the last `window` inter-arrival
 *    times give a mean m and a sample sd s (n-1 in the denominator), floored: s' = max(s,
 *    `min_sd`) (implementations differ here: Akka floors the sd the same way, Cassandra uses
 *    an exponential distribution instead). With t the time since the last heartbeat,
 *        phi(t) = -log10(1 - F(t)),  F the normal CDF with mean m and sd s',
 *    and the target is suspected when phi(t) > `threshold`. Since 1 - F(t) = Q((t-m)/s')
 *    is decreasing in t, that is exactly t > m + s' * Qinv(10^-threshold)
 *    (gsl_cdf_ugaussian_Qinv): the deadline, so no polling tick is needed and a suspicion
 *    lands at the instant phi crosses the threshold (rounded up to the next ns).
 *  2 adaptive (Jacobson/Karels, RFC 6298 constants, on inter-arrival times R instead of
 *    round trips): first SRTT = R, RTTVAR = R/2; then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,
 *    SRTT = 7/8 SRTT + 1/8 R (in that order, in integer ns). As in RFC 6298 (RTO = SRTT +
 *    max(G, K*RTTVAR)) the margin past the expected arrival has a floor:
 *        deadline = SRTT + max(4 RTTVAR, SRTT, `margin_min`).
 *    Why the floors: on steady heartbeats RTTVAR decays towards the jitter (a few ms), and
 *    SRTT + 4 RTTVAR sat barely above the interval, so one late or lost heartbeat was a
 *    suspicion. SRTT estimates the heartbeat interval, so the floor SRTT waits out one
 *    whole lost heartbeat (deadline at least two intervals, like a fixed timeout of two
 *    intervals); `margin_min` is an absolute floor for very short intervals.
 * Until a target has given enough samples (phi: 2 inter-arrival times, adaptive: 1) its
 * deadline is the fixed `timeout`; from the monitor's start, every target has one (as if a
 * heartbeat had come at start), so a target that never speaks is suspected too.
 * The time from the monitor's start to a target's first heartbeat is not a sample either (it
 * is no inter-arrival time: it made the adaptive detector's SRTT a few ms, its deadline
 * shorter than the interval, and then every heartbeat ended a suspicion and none was ever
 * a sample again). An inter-arrival time that ends a suspicion is not a sample: that silence was judged a
 * failure (a crash and restart would otherwise teach the detector to wait for restarts).
 *
 * Invariants: M1 a target is suspected only once its deadline has passed on the monitor's
 * monotonic clock since its last accepted heartbeat; M2 at most one deadline timer per
 * target is pending, and none while it is suspected; M3 suspicion and trust alternate per
 * target; M4 accepted sequence numbers of a target strictly increase (older or repeated
 * ones, reordered or duplicated by the network, are ignored). Every received message is
 * checked (models/fd_wire.h) and from a target of the group; others are noted and dropped. */
#include <math.h>

#include <gsl/gsl_cdf.h>

#include "fd_wire.h"
#include "models.h"

#define FD_TARGETS_MAX 32u
#define FD_WINDOW_MAX 512u
#define TAG_DEADLINE_BASE 1u /* tag = base + target offset */

enum fd_detector { FD_FIXED = 0, FD_PHI = 1, FD_ADAPTIVE = 2 };

struct fd_target {
    bool is_suspected;       /* M3 */
    bool has_timer;          /* M2 */
    bool has_seq;
    bool has_arrival;        /* last_arrival_ns is a heartbeat's, not the monitor's start */
    uint64_t timer_handle;
    uint64_t last_seq;       /* M4 */
    int64_t last_arrival_ns; /* monitor's mono */
    int64_t deadline_ns;     /* after last_arrival_ns; M1 */
    /* phi: a ring of the last `window` inter-arrival times */
    int64_t gap_ns[FD_WINDOW_MAX];
    uint32_t gap_count, gap_next;
    /* adaptive */
    bool has_srtt;
    int64_t srtt_ns, rttvar_ns;
};

struct fd_volatile {
    uint32_t first_target, target_count;
    struct fd_target target[FD_TARGETS_MAX];
};

static const struct murphy_param_spec fd_params[] = {
    {"targets", MURPHY_PARAM_GROUP, NULL, 0, 0, "the nodes watched (at most 32)"},
    {"detector", MURPHY_PARAM_INT, "0", 0, 2, "0 fixed timeout, 1 phi-accrual, 2 adaptive"},
    {"timeout", MURPHY_PARAM_DURATION, "3s", 1000000, INT64_C(3600000000000),
     "fixed: silence before suspicion; phi and adaptive: until enough samples"},
    {"threshold", MURPHY_PARAM_RATIO, "8", 100000000, INT64_C(30000000000),
     "phi-accrual: suspect when phi exceeds this (a plain number, 0.1 to 30)"},
    {"window", MURPHY_PARAM_INT, "100", 2, FD_WINDOW_MAX,
     "phi-accrual: inter-arrival times kept for the estimate"},
    {"min_sd", MURPHY_PARAM_DURATION, "50ms", 1000, INT64_C(3600000000000),
     "phi-accrual: floor of the estimated sd"},
    {"margin_min", MURPHY_PARAM_DURATION, "200ms", 1000, INT64_C(3600000000000),
     "adaptive: floor of the margin past SRTT (which is also at least SRTT)"},
};

static enum fd_detector detector_of(const struct murphy_node *node)
{
    return (enum fd_detector)murphy_param_i64(node, "detector");
}

/* Phi-accrual's deadline: m + s' Qinv(10^-threshold), from the window (two passes in
 * double: the window is small, and a running sum would drift with removals). */
static int64_t phi_deadline_ns(const struct murphy_node *node, const struct fd_target *t)
{
    double mean = 0.0;
    for (uint32_t i = 0; i < t->gap_count; i++) mean += (double)t->gap_ns[i];
    mean /= (double)t->gap_count;
    double squares = 0.0;
    for (uint32_t i = 0; i < t->gap_count; i++) {
        double d = (double)t->gap_ns[i] - mean;
        squares += d * d;
    }
    double sd = sqrt(squares / (double)(t->gap_count - 1));
    double sd_min = (double)murphy_param_i64(node, "min_sd");
    if (sd < sd_min) sd = sd_min;
    double threshold = (double)murphy_param_i64(node, "threshold") / 1e9;
    double deadline = ceil(mean + sd * gsl_cdf_ugaussian_Qinv(pow(10.0, -threshold)));
    if (!(deadline >= 1.0)) return 1; /* also NaN: never 0 or negative */
    if (deadline > 3.6e12) return INT64_C(3600000000000); /* an hour: the params' limit */
    return (int64_t)deadline;
}

static int64_t deadline_ns(const struct murphy_node *node, const struct fd_target *t)
{
    switch (detector_of(node)) {
    case FD_PHI:
        if (t->gap_count >= 2) return phi_deadline_ns(node, t);
        break;
    case FD_ADAPTIVE:
        if (t->has_srtt) {
            int64_t margin_ns = 4 * t->rttvar_ns;
            if (margin_ns < t->srtt_ns) margin_ns = t->srtt_ns; /* one lost heartbeat */
            int64_t margin_min_ns = murphy_param_i64(node, "margin_min");
            if (margin_ns < margin_min_ns) margin_ns = margin_min_ns;
            int64_t limit_ns = INT64_C(3600000000000); /* an hour: the params' limit */
            if (margin_ns > limit_ns - t->srtt_ns) return limit_ns;
            return t->srtt_ns + margin_ns;
        }
        break;
    case FD_FIXED:
        break;
    }
    return murphy_param_i64(node, "timeout");
}

static void add_sample(struct murphy_node *node, struct fd_target *t, int64_t gap_ns)
{
    uint32_t window = (uint32_t)murphy_param_i64(node, "window");
    t->gap_ns[t->gap_next] = gap_ns;
    t->gap_next = (t->gap_next + 1) % window;
    if (t->gap_count < window) t->gap_count++;
    if (!t->has_srtt) { /* RFC 6298 2.2 */
        t->has_srtt = true;
        t->srtt_ns = gap_ns;
        t->rttvar_ns = gap_ns / 2;
        return;
    }
    int64_t error_ns = t->srtt_ns - gap_ns; /* RFC 6298 2.3: RTTVAR first, with the old SRTT */
    if (error_ns < 0) error_ns = -error_ns;
    t->rttvar_ns = t->rttvar_ns - t->rttvar_ns / 4 + error_ns / 4;
    t->srtt_ns = t->srtt_ns - t->srtt_ns / 8 + gap_ns / 8;
}

/* Starts the wait for target offset i's next heartbeat from now. M2 */
static void arm(struct murphy_node *node, uint32_t i)
{
    struct fd_volatile *v = murphy_volatile(node);
    struct fd_target *t = &v->target[i];
    if (t->has_timer) murphy_timer_cancel(node, t->timer_handle);
    t->deadline_ns = deadline_ns(node, t);
    t->timer_handle = murphy_timer_set(node, t->deadline_ns, TAG_DEADLINE_BASE + i);
    t->has_timer = true;
}

static void fd_on_start(struct murphy_node *node)
{
    struct fd_volatile *v = murphy_volatile(node);
    murphy_param_group(node, "targets", &v->first_target, &v->target_count);
    if (v->target_count > FD_TARGETS_MAX) {
        murphy_note(node, "fd_monitor: more than 32 targets; watching the first 32");
        v->target_count = FD_TARGETS_MAX;
    }
    int64_t now_ns = murphy_mono_ns(node);
    uint32_t self = murphy_node_index(node);
    for (uint32_t i = 0; i < v->target_count; i++) {
        if (v->first_target + i == self) continue; /* one does not watch oneself */
        v->target[i].last_arrival_ns = now_ns;
        arm(node, i);
    }
}

static void on_deadline(struct murphy_node *node, uint32_t i)
{
    struct fd_volatile *v = murphy_volatile(node);
    struct fd_target *t = &v->target[i];
    t->has_timer = false;
    if (murphy_mono_ns(node) - t->last_arrival_ns < t->deadline_ns) /* M1 */
        murphy_violation(node, "M1: a deadline fired before its time");
    if (t->is_suspected) murphy_violation(node, "M2: a deadline timer while suspected");
    t->is_suspected = true; /* M3 */
    murphy_suspect(node, v->first_target + i);
}

static void fd_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct fd_volatile *v = murphy_volatile(node);
    if (tag < TAG_DEADLINE_BASE || tag - TAG_DEADLINE_BASE >= v->target_count) {
        murphy_note(node, "a timer with an unknown tag; ignored");
        return;
    }
    on_deadline(node, (uint32_t)(tag - TAG_DEADLINE_BASE));
}

static void fd_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct fd_volatile *v = murphy_volatile(node);
    struct fd_heartbeat_msg hb;
    if (msg->traffic_class != MURPHY_CLASS_HEARTBEAT ||
        !fd_wire_decode(msg->payload, msg->payload_bytes, &hb)) {
        murphy_note(node, "fd_monitor: not a well-formed heartbeat; rejected");
        return;
    }
    if (msg->source_node < v->first_target ||
        msg->source_node - v->first_target >= v->target_count ||
        msg->source_node == murphy_node_index(node)) {
        murphy_note(node, "fd_monitor: a heartbeat from a node it does not watch; ignored");
        return;
    }
    uint32_t i = msg->source_node - v->first_target;
    struct fd_target *t = &v->target[i];
    if (t->has_seq && hb.seq <= t->last_seq) return; /* M4: reordered or duplicated */
    t->has_seq = true;
    t->last_seq = hb.seq;
    int64_t now_ns = murphy_mono_ns(node);
    if (t->is_suspected) {
        t->is_suspected = false; /* M3 */
        murphy_trust(node, msg->source_node);
    } else if (t->has_arrival) {
        add_sample(node, t, now_ns - t->last_arrival_ns);
    }
    t->has_arrival = true;
    t->last_arrival_ns = now_ns;
    arm(node, i);
}

const struct murphy_model models_fd_monitor = {
    .api_version = MURPHY_API_VERSION,
    .name = "fd_monitor",
    .summary = "failure detector over heartbeats: fixed timeout, phi-accrual or adaptive",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct fd_volatile),
    .params = fd_params,
    .param_count = sizeof fd_params / sizeof fd_params[0],
    .on_start = fd_on_start,
    .on_message = fd_on_message,
    .on_timer = fd_on_timer,
};
