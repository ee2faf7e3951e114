/* tests/sim/test_clocksync.c - proves the kernel's clock and pause machinery (sim/clock.c,
 * sim/clocksync.c and the timer, pause and claim parts of sim/node.c) in a running world:
 * unsynced drift is exact to the ns; a drift fault changes the rate from its instant
 * with continuous readings, and pending timers move so that they fire at the smallest
 * true time at which the local monotonic clock reaches their deadline; slews run at
 * exactly clock_slew_max and end after |offset| / slew_max, never moving monotonic time
 * back; steps move the wall clock (back, too) and never the monotonic one; ntpd's rule
 * splits at clock_step_threshold; sync against a time server names it, is cut off by a
 * partition (the offset then grows at exactly the drift), rejects corrupted, stale or
 * duplicated answers and shows asymmetric delay as error; leap steps and smears (never
 * running the wall clock back); read jitter stays
 * in bounds and draws from nothing else; GC pauses queue work, are announced exactly
 * gc_notice ahead, and follow one sequence whatever the node does; timers of an earlier
 * incarnation never fire across rate changes; claims carry their name; and the new keys
 * at their defaults change no hash.
 * How: small models defined here (public API only) run from scenario texts through the
 * shared harness (harness.h), whose observer records every event. Every run then passes
 * check_run(): the stream invariants of check_stream(), and a rebuild of each node's
 * clock independently from the stream, as the design describes it: piecewise linear,
 * a new piece at every CLOCK_RATE (its arg is the new rate), the wall anchor moved by
 * exactly the arg of every CLOCK_STEP (except the leap's, which is a function of true
 * time), the leap policy on top. Each event's mono and wall columns must equal that
 * reconstruction (so a rate change that jumped a reading, or a step that moved mono even
 * by the 1 ns of a re-anchored rounding, is caught at the event), monotonic readings
 * never decrease, every slew runs at exactly
 * +-clock_slew_max on top of the oscillator's drift, and every timer fires at the
 * smallest true time at which its node's monotonic clock reached the deadline - or, if
 * its node was paused then, exactly at the resume - and never in a later incarnation.
 * Statistical checks fix their seeds and state their tolerance (5 standard deviations
 * of the sample mean or proportion). */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/oracle.h"
#include "murphy/murphy.h"
#include "sim/inspect.h"
#include "sim/internal.h"
#include "sim/world.h"

#include "harness.h"

__extension__ typedef __int128 i128;

#define W0 (INT64_C(1735689600) * SIM_NS_PER_S) /* the default wall_start */
#define HOUR_NS (INT64_C(3600) * SIM_NS_PER_S)

/* ===================================================================================
 * Test models: public API only.
 * =================================================================================== */

/* ticker: `fixed` timers at start (delays first + i*gap, tags 1..fixed), a chain
 * of `chain` timers with random delays up to max_delay from the node's stream (a quarter
 * of them 0..9 ns; tags TAG_CHAIN|k), and after a restart `restart_count` fixed timers
 * (same delays, tags TAG_RESTART+i). */
#define TAG_CHAIN (UINT64_C(1) << 40)
#define TAG_RESTART UINT64_C(100)

struct ticker_volatile {
    uint64_t chained;
};

static const struct murphy_param_spec ticker_params[] = {
    {"fixed", MURPHY_PARAM_INT, "0", 0, 10000, "fixed timers at start"},
    {"first", MURPHY_PARAM_DURATION, "1s", 0, 0, "the first fixed timer's delay"},
    {"gap", MURPHY_PARAM_DURATION, "1s", 0, 0, "between fixed timers"},
    {"chain", MURPHY_PARAM_INT, "0", 0, 1000000, "chained random timers"},
    {"max_delay", MURPHY_PARAM_DURATION, "1s", 1, INT64_C(1) << 50, "longest chained delay"},
    {"restart_count", MURPHY_PARAM_INT, "0", 0, 10000, "fixed timers after a restart"},
};

static void ticker_chain_next(struct murphy_node *node)
{
    struct ticker_volatile *v = murphy_volatile(node);
    uint64_t r = murphy_rand_u64(node);
    uint64_t max = (uint64_t)murphy_param_i64(node, "max_delay");
    int64_t delay = (int64_t)(r % 4 == 0 ? (r >> 8) % 10 : (r >> 8) % max);
    murphy_timer_set(node, delay, TAG_CHAIN | v->chained);
}

static void ticker_fixed(struct murphy_node *node, const char *count_name, uint64_t tag0)
{
    int64_t first = murphy_param_i64(node, "first"), gap = murphy_param_i64(node, "gap");
    for (int64_t i = 0; i < murphy_param_i64(node, count_name); i++)
        murphy_timer_set(node, first + i * gap, tag0 + (uint64_t)i);
}

static void ticker_on_start(struct murphy_node *node)
{
    ticker_fixed(node, "fixed", 1);
    if (murphy_param_i64(node, "chain") > 0) ticker_chain_next(node);
}

static void ticker_on_timer(struct murphy_node *node, uint64_t tag)
{
    if (!(tag & TAG_CHAIN)) return;
    struct ticker_volatile *v = murphy_volatile(node);
    v->chained++;
    if (v->chained < (uint64_t)murphy_param_i64(node, "chain")) ticker_chain_next(node);
}

static void ticker_on_restart(struct murphy_node *node)
{
    ticker_fixed(node, "restart_count", TAG_RESTART);
}

static const struct murphy_model ticker_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "ticker",
    .summary = "test: fixed and chained timers",
    .volatile_bytes = sizeof(struct ticker_volatile),
    .params = ticker_params,
    .param_count = sizeof ticker_params / sizeof ticker_params[0],
    .on_start = ticker_on_start,
    .on_timer = ticker_on_timer,
    .on_restart = ticker_on_restart,
};

/* reader: every `tick` of its monotonic clock (exponential with that mean from the
 * node's stream if `random`), reads its monotonic clock once and its wall clock `reads`
 * times and notes "m=MONO w=WALL w=WALL ..." (if `note`); claims "reader.tick" (k, -k)
 * on its k-th tick (if `claim`). */
#define READS_MAX 64
#define CLAIM_NAME "reader.tick"

struct reader_volatile {
    int64_t ticks;
};

static const struct murphy_param_spec reader_params[] = {
    {"tick", MURPHY_PARAM_DURATION, "100ms", 0, 0, "between readings"},
    {"reads", MURPHY_PARAM_INT, "1", 1, READS_MAX, "wall readings per tick"},
    {"note", MURPHY_PARAM_BOOL, "true", 0, 0, "note the readings"},
    {"claim", MURPHY_PARAM_BOOL, "false", 0, 0, "claim each tick"},
    {"random", MURPHY_PARAM_BOOL, "false", 0, 0, "exponential ticks"},
};

static void reader_arm(struct murphy_node *node)
{
    int64_t tick = murphy_param_i64(node, "tick");
    if (murphy_param_bool(node, "random")) tick = murphy_rand_exp_ns(node, tick);
    murphy_timer_set(node, tick, 1);
}

static void reader_on_timer(struct murphy_node *node, uint64_t tag)
{
    (void)tag;
    struct reader_volatile *v = murphy_volatile(node);
    v->ticks++;
    char text[32 + READS_MAX * 24];
    int used = snprintf(text, sizeof text, "m=%" PRId64, murphy_mono_ns(node));
    for (int64_t i = 0; i < murphy_param_i64(node, "reads"); i++)
        used += snprintf(text + used, sizeof text - (size_t)used, " w=%" PRId64,
                         murphy_wall_ns(node));
    if (murphy_param_bool(node, "note")) murphy_note(node, text);
    if (murphy_param_bool(node, "claim")) murphy_claim(node, CLAIM_NAME, v->ticks, -v->ticks);
    reader_arm(node);
}

static const struct murphy_model reader_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "reader",
    .summary = "test: reads its clocks",
    .volatile_bytes = sizeof(struct reader_volatile),
    .params = reader_params,
    .param_count = sizeof reader_params / sizeof reader_params[0],
    .on_start = reader_arm,
    .on_timer = reader_on_timer,
};

/* gcsink: receives, and claims "pause.notice" (pause_in_ns, pause_ns) when told of a
 * planned pause. */
#define NOTICE_NAME "pause.notice"

static void gcsink_on_notice(struct murphy_node *node, int64_t pause_in_ns, int64_t pause_ns)
{
    murphy_claim(node, NOTICE_NAME, pause_in_ns, pause_ns);
}

static const struct murphy_model gcsink_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "gcsink",
    .summary = "test: hears pause notices",
    .on_pause_notice = gcsink_on_notice,
};

/* sender: from `period` on, one 8-byte request every `period` of its monotonic clock to
 * the `target` group (round robin), `messages` in all. */
struct sender_volatile {
    int64_t sent;
};

static const struct murphy_param_spec sender_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "receivers"},
    {"period", MURPHY_PARAM_DURATION, "10ms", 0, 0, "between messages"},
    {"messages", MURPHY_PARAM_INT, "1000000", 0, 100000000, "how many"},
};

static void sender_arm(struct murphy_node *node)
{
    struct sender_volatile *v = murphy_volatile(node);
    if (v->sent < murphy_param_i64(node, "messages"))
        murphy_timer_set(node, murphy_param_i64(node, "period"), 1);
}

static void sender_on_timer(struct murphy_node *node, uint64_t tag)
{
    (void)tag;
    struct sender_volatile *v = murphy_volatile(node);
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    unsigned char payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    murphy_send(node, first + (uint32_t)(v->sent % count), MURPHY_CLASS_REQUEST, payload,
                sizeof payload);
    v->sent++;
    sender_arm(node);
}

static const struct murphy_model sender_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "sender",
    .summary = "test: sends periodically",
    .volatile_bytes = sizeof(struct sender_volatile),
    .params = sender_params,
    .param_count = sizeof sender_params / sizeof sender_params[0],
    .on_start = sender_arm,
    .on_timer = sender_on_timer,
};

static const struct murphy_model *const test_models[] = {
    &ticker_model, &reader_model, &gcsink_model, &sender_model, &idle_model,
};

const struct murphy_model_set test_model_set = {
    .models = test_models,
    .model_count = sizeof test_models / sizeof test_models[0],
};

/* ===================================================================================
 * Lookups over the record (more in harness.h).
 * =================================================================================== */

/* Events of one kind (and node) with aux == aux (any aux if aux < 0). */
static size_t count_aux(const struct run *r, enum sim_event_kind kind, uint32_t node, int aux)
{
    size_t n = 0;
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        n += event_matches(ev, kind, node) && (aux < 0 || ev->aux == (unsigned)aux);
    }
    return n;
}

/* The first event of `kind` on `node` at true time t_ns, or NULL. */
static const struct sim_event *find_at(const struct run *r, enum sim_event_kind kind,
                                       uint32_t node, int64_t t_ns)
{
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        if (event_matches(ev, kind, node) && ev->time_ns == t_ns) return ev;
    }
    return NULL;
}

/* ===================================================================================
 * The clock as the design describes it, rebuilt from the stream.
 * =================================================================================== */

/* One piece of a node's clock: from t_ns on, both readings advance at 1 + drift_ppb/1e9;
 * raw_wall_ns is the wall reading before the leap policy. */
/* From t_ns on, readings are the whole ns below plus the exact integral of the rate:
 * elapsed + (elapsed * drift + rem) / 1e9, floored once (rem: the fraction of a ns
 * carried from earlier pieces, in 1e-9 ns). */
struct piece {
    int64_t t_ns, mono_ns, raw_wall_ns, drift_ppb, rem;
};

struct track {
    struct piece *pieces;
    size_t count, cap;
};

/* A node's pauses, [start, end] in true time, as the stream shows them. */
struct pause_span {
    int64_t start_ns, end_ns;
};

/* What check_clocks rebuilt of a run (its run's `derived`): each node's clock, and every
 * node's pauses. */
struct rebuilt {
    uint32_t node_count;
    struct track *tracks;       /* per node */
    struct pause_span *pauses;  /* all nodes' pauses, with pause_node */
    uint32_t *pause_node;
    size_t pause_count;
};

static void rebuilt_free(void *derived)
{
    struct rebuilt *rb = derived;
    for (uint32_t i = 0; rb->tracks && i < rb->node_count; i++) free(rb->tracks[i].pieces);
    free(rb->tracks);
    free(rb->pauses);
    free(rb->pause_node);
    free(rb);
}

/* floor(a / b) for b > 0, written as "subtract the sign-corrected remainder" */
static i128 floor_by(i128 a, i128 b)
{
    i128 rem = a % b;
    if (rem < 0) rem += b;
    return (a - rem) / b;
}

/* elapsed + floor((elapsed * drift + rem) / 1e9), in 128 bits */
static int64_t advance(int64_t elapsed_ns, int64_t drift_ppb, int64_t rem)
{
    return elapsed_ns + (int64_t)floor_by((i128)elapsed_ns * drift_ppb + rem, 1000000000);
}

/* The wall reading of piece p at t_ns under the leap policy: a step of 1 s at leap_at,
 * or a linear smear of 1 s over the 24 h centred on it, taken off the exact (unrounded)
 * reading, so the result is floored once. */
static int64_t wall_of(const struct sim_scenario *scn, enum sim_leap_policy leap,
                       const struct piece *p, int64_t t_ns)
{
    int64_t e = t_ns - p->t_ns;
    int64_t raw = p->raw_wall_ns + advance(e, p->drift_ppb, p->rem);
    if (leap == SIM_LEAP_NONE || scn->leap_at_ns < 0) return raw;
    if (leap == SIM_LEAP_STEP) return raw - (t_ns >= scn->leap_at_ns ? SIM_NS_PER_S : 0);
    int64_t start = scn->leap_at_ns - 12 * HOUR_NS;
    if (t_ns <= start) return raw;
    if (t_ns - start >= 24 * HOUR_NS) return raw - SIM_NS_PER_S;
    /* raw_wall + e + (e*drift + rem)/1e9 - (t - start)/86400, floored once */
    i128 num = ((i128)e * p->drift_ppb + p->rem) * 86400 - (i128)(t_ns - start) * 1000000000;
    return p->raw_wall_ns + e + (int64_t)floor_by(num, (i128)86400 * 1000000000);
}

/* The piece that starts at t_ns with a new rate: whole ns and the carried fraction. */
static struct piece next_piece(const struct piece *p, int64_t t_ns, int64_t drift_ppb)
{
    int64_t e = t_ns - p->t_ns;
    i128 units = (i128)e * p->drift_ppb + p->rem;
    int64_t whole = e + (int64_t)floor_by(units, 1000000000);
    int64_t rem = (int64_t)(units - floor_by(units, 1000000000) * 1000000000);
    return (struct piece){t_ns, p->mono_ns + whole, p->raw_wall_ns + whole, drift_ppb, rem};
}

static const struct sim_clock_cfg *cfg_of(const struct run *r, uint32_t node)
{
    return &sim_scn_node_group(&r->scn, node)->clock;
}

static void track_push(struct track *tr, struct piece p)
{
    if (tr->count == tr->cap) {
        tr->cap = tr->cap ? tr->cap * 2 : 16;
        tr->pieces = realloc(tr->pieces, tr->cap * sizeof *tr->pieces);
        cr_assert_not_null(tr->pieces);
    }
    tr->pieces[tr->count++] = p;
}

static int64_t piece_mono(const struct piece *p, int64_t t_ns)
{
    return p->mono_ns + advance(t_ns - p->t_ns, p->drift_ppb, p->rem);
}

/* The node's monotonic reading at any true time of the run (mono never jumps, so the
 * last piece starting at or before t_ns gives it). */
static int64_t mono_at(const struct run *r, uint32_t node, int64_t t_ns)
{
    const struct rebuilt *rb = r->derived;
    const struct track *tr = &rb->tracks[node];
    size_t lo = 0, hi = tr->count; /* the last piece with t <= t_ns is in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->pieces[mid].t_ns <= t_ns) lo = mid;
        else hi = mid;
    }
    return piece_mono(&tr->pieces[lo], t_ns);
}

/* The true offset of a node's wall clock from a leap-free reference (W0 + t), as its
 * event columns show it. */
static int64_t wall_offset(const struct sim_event *ev) { return ev->wall_ns - W0 - ev->time_ns; }

/* Rebuilds every node's clock from the stream and holds each event's readings to it;
 * checks slews run at +-slew_max over the oscillator's drift; collects pauses. */
static void check_clocks(struct run *r)
{
    uint32_t n_nodes = r->scn.node_count;
    struct rebuilt *rb = calloc(1, sizeof *rb);
    cr_assert_not_null(rb);
    cr_assert_null(r->derived, "a run is checked once");
    r->derived = rb;
    r->free_derived = rebuilt_free;
    rb->node_count = n_nodes;
    rb->tracks = calloc(n_nodes, sizeof *rb->tracks);
    int64_t *last_mono = calloc(n_nodes, sizeof *last_mono);
    int64_t *base_ppb = calloc(n_nodes, sizeof *base_ppb);
    int64_t *pause_open = calloc(n_nodes, sizeof *pause_open);
    bool *is_down = calloc(n_nodes, sizeof *is_down);
    rb->pauses = calloc(r->log.count + 1, sizeof *rb->pauses);
    rb->pause_node = calloc(r->log.count + 1, sizeof *rb->pause_node);
    cr_assert(rb->tracks && last_mono && base_ppb && pause_open && is_down && rb->pauses &&
              rb->pause_node);
    for (uint32_t i = 0; i < n_nodes; i++) {
        const struct sim_clock_cfg *c = cfg_of(r, i);
        track_push(&rb->tracks[i], (struct piece){0, 0, r->scn.wall_start_ns + c->offset_ns,
                                                 c->drift_ppb, 0});
        base_ppb[i] = c->drift_ppb;
        pause_open[i] = -1;
    }
    for (size_t k = 0; k < r->log.count; k++) {
        const struct sim_event *ev = &r->log.items[k].ev;
        if (ev->node == SIM_NODE_NONE) continue;
        uint32_t n = ev->node;
        const struct sim_clock_cfg *c = cfg_of(r, n);
        struct track *tr = &rb->tracks[n];
        struct piece p = tr->pieces[tr->count - 1];
        cr_assert_geq(ev->time_ns, p.t_ns);
        int64_t mono = piece_mono(&p, ev->time_ns);
        if (ev->kind == SIM_EV_CLOCK_STEP && ev->aux != SIM_CLOCK_BY_LEAP) {
            /* the design: a step moves only the wall anchor; the piece (and so every
             * later monotonic reading, to the ns) stays as it was */
            tr->pieces[tr->count - 1].raw_wall_ns += ev->arg;
            p.raw_wall_ns += ev->arg;
        }
        if (ev->kind == SIM_EV_CLOCK_STEP && ev->aux == SIM_CLOCK_BY_LEAP) {
            cr_assert_eq(c->leap, SIM_LEAP_STEP);
            cr_assert_eq(ev->time_ns, r->scn.leap_at_ns);
            cr_assert_eq(ev->arg, -SIM_NS_PER_S);
        }
        if (ev->kind == SIM_EV_CLOCK_RATE) {
            int64_t slew = (int64_t)ev->ref;
            if (ev->aux == SIM_CLOCK_BY_FAULT) base_ppb[n] = ev->arg - slew;
            if (ev->aux == SIM_CLOCK_BY_SLEW)
                cr_assert(slew == c->slew_max_ppb || slew == -c->slew_max_ppb,
                          "seq %zu: a slew of %" PRId64 " ppb, not +-%" PRId64, k, slew,
                          c->slew_max_ppb);
            if (ev->aux == SIM_CLOCK_BY_SLEW_END) cr_assert_eq(slew, 0, "seq %zu", k);
            cr_assert_eq(ev->arg, base_ppb[n] + slew, "seq %zu: rate = drift + slew", k);
            p = next_piece(&p, ev->time_ns, ev->arg);
            cr_assert_eq(p.mono_ns, mono, "seq %zu: a rate change moved the reading", k);
            track_push(tr, p);
        }
        cr_assert_eq(ev->mono_ns, mono, "seq %zu node %u: mono %" PRId64 " != %" PRId64, k, n,
                     ev->mono_ns, mono);
        int64_t wall = wall_of(&r->scn, c->leap, &p, ev->time_ns);
        cr_assert_eq(ev->wall_ns, wall, "seq %zu node %u: wall %" PRId64 " != %" PRId64, k, n,
                     ev->wall_ns, wall);
        cr_assert_geq(ev->mono_ns, last_mono[n], "seq %zu: monotonic time went back", k);
        last_mono[n] = ev->mono_ns;
        /* a pause of a crashed node does nothing; a crash ends a pause without a resume */
        if (ev->kind == SIM_EV_PAUSE && pause_open[n] < 0 && !is_down[n])
            pause_open[n] = ev->time_ns;
        if (ev->kind == SIM_EV_CRASH) {
            pause_open[n] = -1;
            is_down[n] = true;
        }
        if (ev->kind == SIM_EV_RESTART) is_down[n] = false;
        if (ev->kind == SIM_EV_RESUME) {
            cr_assert_geq(pause_open[n], 0, "seq %zu: a resume without a pause", k);
            rb->pauses[rb->pause_count] = (struct pause_span){pause_open[n], ev->time_ns};
            rb->pause_node[rb->pause_count++] = n;
            pause_open[n] = -1;
        }
    }
    free(last_mono);
    free(base_ppb);
    free(pause_open);
    free(is_down);
}

/* Each timer fires at the smallest true time T at which its node's monotonic clock has
 * advanced its local delay since it was set; if the node was paused at T, exactly when
 * that pause ended. Never in a later incarnation of its node. */
static void check_timers(const struct run *r)
{
    const struct rebuilt *rb = r->derived;
    uint32_t n_nodes = r->scn.node_count;
    uint32_t *incarnation = calloc(n_nodes, sizeof *incarnation);
    size_t set_cap = r->log.count + 1, set_count = 0;
    size_t *sets = calloc(set_cap, sizeof *sets);       /* log index of each TIMER_SET */
    uint32_t *set_inc = calloc(set_cap, sizeof *set_inc);
    cr_assert(incarnation && sets && set_inc);
    for (size_t k = 0; k < r->log.count; k++) {
        const struct sim_event *ev = &r->log.items[k].ev;
        if (ev->kind == SIM_EV_CRASH) incarnation[ev->node]++;
        if (ev->kind == SIM_EV_TIMER_SET) {
            set_inc[set_count] = incarnation[ev->node];
            sets[set_count++] = k;
        }
        if (ev->kind != SIM_EV_TIMER_FIRE) continue;
        /* handles are never reused: the latest set with this handle is the one */
        size_t s = set_count;
        while (s > 0 && r->log.items[sets[s - 1]].ev.obj != ev->obj) s--;
        cr_assert_gt(s, 0u, "seq %zu: a fire without a set", k);
        const struct sim_event *set = &r->log.items[sets[s - 1]].ev;
        cr_assert_eq(set->node, ev->node);
        cr_assert_eq(set->ref, ev->ref, "the tag comes back");
        cr_assert_eq(set_inc[s - 1], incarnation[ev->node],
                     "seq %zu: a timer of an earlier incarnation fired", k);
        int64_t target = set->mono_ns + set->arg;
        cr_assert_geq(ev->mono_ns, target,
                      "seq %zu node %u: fired early by the local clock: set at %" PRId64
                      " (mono %" PRId64 ") for %" PRId64 ", fired at %" PRId64 " (mono %" PRId64
                      ")", k, ev->node, set->time_ns, set->mono_ns, set->arg, ev->time_ns,
                      ev->mono_ns);
        /* the smallest true time at which mono reached the deadline */
        int64_t lo = set->time_ns, hi = ev->time_ns;
        while (lo < hi) {
            int64_t mid = lo + (hi - lo) / 2;
            if (mono_at(r, ev->node, mid) >= target) hi = mid;
            else lo = mid + 1;
        }
        if (ev->time_ns == lo) continue;
        bool waited = false;
        for (size_t p = 0; p < rb->pause_count && !waited; p++)
            waited = rb->pause_node[p] == ev->node && rb->pauses[p].start_ns <= lo &&
                     lo <= rb->pauses[p].end_ns && ev->time_ns == rb->pauses[p].end_ns;
        cr_assert(waited,
                  "seq %zu node %u: fired at %" PRId64 ", due at %" PRId64 " (not paused)", k,
                  ev->node, ev->time_ns, lo);
    }
    free(incarnation);
    free(sets);
    free(set_inc);
}

void check_run(struct run *r)
{
    check_stream(r);
    check_clocks(r);
    check_timers(r);
}

/* Parses a reader's note "m=M w=W1 w=W2 ...": returns the wall readings' count. */
static int parse_reads(const char *text, int64_t *mono, int64_t *walls, int walls_max)
{
    cr_assert(strncmp(text, "m=", 2) == 0, "%s", text);
    char *end;
    *mono = strtoll(text + 2, &end, 10);
    int n = 0;
    while (*end == ' ' && n < walls_max) {
        cr_assert(strncmp(end, " w=", 3) == 0, "%s", text);
        walls[n++] = strtoll(end + 3, &end, 10);
    }
    cr_assert_eq(*end, '\0', "%s", text);
    return n;
}

/* ===================================================================================
 * Drift, and changes of it.
 * =================================================================================== */

/* The expected floor(t * d / 1e9), computed apart from advance(). */
static int64_t skew_ns(int64_t t_ns, int64_t drift_ppb)
{
    i128 p = (i128)t_ns * drift_ppb;
    i128 q = p / 1000000000;
    if (p % 1000000000 != 0 && p < 0) q -= 1;
    return (int64_t)q;
}

Test(clocksync, unsynced_drift_offsets_are_exact_to_the_ns)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 24h\nclock_sample = 1h\n"
                 "[node.p35]\nmodel = reader\ntick = 17min\nclock_drift = 35ppm\n"
                 "clock_offset = 10ms\n"
                 "[node.m35]\nmodel = reader\ntick = 17min\nclock_drift = -35ppm\n"
                 "[node.p1]\nmodel = reader\ntick = 17min\nclock_drift = 1ppb\n"
                 "[node.m1]\nmodel = reader\ntick = 17min\nclock_drift = -1ppb\n"
                 "[node.fast]\nmodel = reader\ntick = 17min\nclock_drift = 100000ppm\n"
                 "[node.slow]\nmodel = reader\ntick = 17min\nclock_drift = -100000ppm\n"
                 "[node.frac]\nmodel = reader\ntick = 17min\nclock_drift = 7.5ppm\n"
                 "clock_offset = -3ms\n",
             1);
    size_t count;
    const struct logged **samples = select_logged(&r, SIM_EV_CLOCK_SAMPLE, ANY_NODE, &count);
    cr_assert_eq(count, 7u * 24u, "one sample per node per hour");
    for (size_t i = 0; i < count; i++) {
        const struct sim_event *ev = &samples[i]->ev;
        const struct sim_clock_cfg *c = cfg_of(&r, ev->node);
        int64_t skew = skew_ns(ev->time_ns, c->drift_ppb);
        cr_assert_eq((int64_t)ev->obj, skew, "mono offset, node %u at %" PRId64, ev->node,
                     ev->time_ns);
        cr_assert_eq(ev->arg, c->offset_ns + skew, "wall offset, node %u", ev->node);
        /* the event's own readings say the same */
        cr_assert_eq(ev->mono_ns - ev->time_ns, skew);
        cr_assert_eq(wall_offset(ev), c->offset_ns + skew);
    }
    free(samples);
    /* hand-computed: 35 ppm for 1 h is 126 ms; 1 ppb for a day is 86.4 us; 10% for 1 h
     * is 6 min; 7.5 ppm for 3 h is 81 ms */
    const struct sim_event *e;
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "p35"), HOUR_NS);
    cr_assert_eq((int64_t)e->obj, INT64_C(126000000));
    cr_assert_eq(e->arg, INT64_C(136000000));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "m35"), HOUR_NS);
    cr_assert_eq(e->arg, -INT64_C(126000000));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "p1"), 24 * HOUR_NS);
    cr_assert_eq(e->arg, INT64_C(86400));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "m1"), 24 * HOUR_NS);
    cr_assert_eq(e->arg, -INT64_C(86400));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "fast"), HOUR_NS);
    cr_assert_eq(e->arg, sim_s(360));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "slow"), HOUR_NS);
    cr_assert_eq(e->arg, -sim_s(360));
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, node_named(&r, "frac"), 3 * HOUR_NS);
    cr_assert_eq(e->arg, INT64_C(81000000) - sim_ms(3));
    /* what the model reads is what the event columns say (no jitter configured) */
    const struct logged **notes = select_logged(&r, SIM_EV_NOTE, ANY_NODE, &count);
    size_t want = 0; /* a reading every 17 local minutes for a day */
    for (uint32_t n = 0; n < r.scn.node_count; n++)
        want += (size_t)((24 * HOUR_NS + skew_ns(24 * HOUR_NS, cfg_of(&r, n)->drift_ppb)) /
                         sim_s(17 * 60));
    cr_assert_eq(count, want);
    cr_assert_eq(count_kind(&r, SIM_EV_NOTE, node_named(&r, "fast")), 93u);
    cr_assert_eq(count_kind(&r, SIM_EV_NOTE, node_named(&r, "slow")), 76u);
    for (size_t i = 0; i < count; i++) {
        int64_t mono, wall;
        cr_assert_eq(parse_reads(notes[i]->text, &mono, &wall, 1), 1);
        cr_assert_eq(mono, notes[i]->ev.mono_ns);
        cr_assert_eq(wall, notes[i]->ev.wall_ns);
    }
    free(notes);
    run_free(&r);
}

Test(clocksync, a_drift_fault_changes_the_rate_from_its_instant_with_continuous_readings)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 4s\nclock_sample = 500ms\n"
                 "[node.n]\nmodel = reader\ntick = 300ms\nclock_offset = 40ms\n"
                 "clock_drift = 20ppm\n"
                 "[faults]\nup = at 1s drift n to 100000ppm\ndown = at 2s drift n to -50ppm\n",
             1);
    uint32_t n = node_named(&r, "n");
    size_t count;
    const struct logged **rates = select_logged(&r, SIM_EV_CLOCK_RATE, n, &count);
    cr_assert_eq(count, 2u);
    cr_assert_eq(rates[0]->ev.time_ns, sim_s(1));
    cr_assert_eq(rates[0]->ev.aux, SIM_CLOCK_BY_FAULT);
    cr_assert_eq(rates[0]->ev.arg, INT64_C(100000000));
    cr_assert_eq(rates[0]->ev.ref, 0u, "no slew in force");
    /* continuous: at 1 s the reading is what 20 ppm gave, 1 s + 20 us */
    cr_assert_eq(rates[0]->ev.mono_ns, sim_s(1) + 20000);
    cr_assert_eq(rates[0]->ev.wall_ns, W0 + sim_ms(40) + sim_s(1) + 20000);
    /* then 10% fast for a second: +100 ms more by 2 s */
    cr_assert_eq(rates[1]->ev.time_ns, sim_s(2));
    cr_assert_eq(rates[1]->ev.arg, -INT64_C(50000));
    cr_assert_eq(rates[1]->ev.mono_ns, sim_s(2) + 20000 + sim_ms(100));
    /* and -50 ppm from 2 s: 4 s is 2 s later, 100 us slower */
    const struct sim_event *end = find_at(&r, SIM_EV_CLOCK_SAMPLE, n, sim_s(4));
    cr_assert_not_null(end);
    cr_assert_eq((int64_t)end->obj, 20000 + sim_ms(100) - 100000);
    cr_assert_eq(end->arg, sim_ms(40) + 20000 + sim_ms(100) - 100000);
    free(rates);
    /* no reading, model's or event's, ever jumped back or forth: check_clocks held every
     * column to the piecewise clock; the model's readings equal the columns */
    const struct logged **notes = select_logged(&r, SIM_EV_NOTE, n, &count);
    cr_assert_geq(count, 13u);
    for (size_t i = 0; i < count; i++) {
        int64_t mono, wall;
        parse_reads(notes[i]->text, &mono, &wall, 1);
        cr_assert_eq(mono, notes[i]->ev.mono_ns);
        cr_assert_eq(wall, notes[i]->ev.wall_ns);
    }
    free(notes);
    run_free(&r);
}

/* The fire time of the fixed timer `tag` on `node`. */
static int64_t fired_at(const struct run *r, uint32_t node, uint64_t tag)
{
    int64_t at = -1;
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        if (event_matches(ev, SIM_EV_TIMER_FIRE, node) && ev->ref == tag) {
            cr_assert_eq(at, -1, "tag %" PRIu64 " fired twice", tag);
            at = ev->time_ns;
        }
    }
    return at;
}

Test(clocksync, timers_spanning_a_drift_fault_fire_at_the_smallest_true_time)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 40s\n"
                 "[node.faster]\nmodel = ticker\nfixed = 5\nfirst = 500ms\ngap = 500ms\n"
                 "chain = 300\nmax_delay = 200ms\n"
                 "[node.slower]\nmodel = ticker\nfixed = 5\nfirst = 500ms\ngap = 500ms\n"
                 "chain = 300\nmax_delay = 200ms\n"
                 "[node.flip]\nmodel = ticker\nfixed = 5\nfirst = 500ms\ngap = 500ms\n"
                 "chain = 300\nmax_delay = 200ms\nclock_drift = 35ppm\n"
                 "[faults]\nf = at 1s drift faster to 100000ppm\n"
                 "s = at 1s drift slower to -100000ppm\n"
                 "a = at 700ms drift flip to -20ppm\nb = at 1300ms drift flip to 50000ppm\n"
                 "c = at 1900ms drift flip to 0ppm\nd = at 2001ms drift flip to -99999ppm\n",
             7);
    uint32_t faster = node_named(&r, "faster"), slower = node_named(&r, "slower");
    /* before the change, and at it: on time */
    cr_assert_eq(fired_at(&r, faster, 1), sim_ms(500));
    cr_assert_eq(fired_at(&r, faster, 2), sim_s(1));
    cr_assert_eq(fired_at(&r, slower, 1), sim_ms(500));
    cr_assert_eq(fired_at(&r, slower, 2), sim_s(1));
    /* 2 s local, 1 s of it left at 10% fast: the smallest d with d + floor(d/10) >= 1e9
     * is 909090910; at 10% slow it is 1111111112 */
    cr_assert_eq(fired_at(&r, faster, 4), sim_s(1) + 909090910);
    cr_assert_eq(fired_at(&r, slower, 4), sim_s(1) + 1111111112);
    /* 2.5 s local: 1.5 s left, 1363636364 fast, 1666666667 slow */
    cr_assert_eq(fired_at(&r, faster, 5), sim_s(1) + 1363636364);
    cr_assert_eq(fired_at(&r, slower, 5), sim_s(1) + 1666666667);
    /* every chained timer (many spanning one or several changes) fired at its smallest
     * true time: check_timers proved it for each; here, that there were many */
    size_t fires = count_kind(&r, SIM_EV_TIMER_FIRE, ANY_NODE);
    cr_assert_eq(fires, 3u * 305u, "every timer fired");
    size_t spanning = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        if (ev->kind != SIM_EV_TIMER_SET || ev->node != node_named(&r, "flip")) continue;
        int64_t t = ev->time_ns;
        spanning += (t < sim_ms(700) && t + ev->arg > sim_ms(690)) ||
                    (t < sim_ms(1300) && t + ev->arg > sim_ms(1290)) ||
                    (t < sim_ms(1900) && t + ev->arg > sim_ms(1890));
    }
    cr_assert_geq(spanning, 5u, "timers set before a change and due after it");
    run_free(&r);
}

/* ===================================================================================
 * Sync disciplines: slew, step, ntpd.
 * =================================================================================== */

/* The only event of `kind` on `node` at t_ns with aux `aux`; fails if none or several. */
static const struct sim_event *only_at(const struct run *r, enum sim_event_kind kind,
                                       uint32_t node, int64_t t_ns, unsigned aux)
{
    const struct sim_event *found = NULL;
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        if (!event_matches(ev, kind, node) || ev->time_ns != t_ns || ev->aux != aux) continue;
        cr_assert_null(found, "two %s events at %" PRId64, sim_event_kind_name(kind), t_ns);
        found = ev;
    }
    cr_assert_not_null(found, "no %s (aux %u) on node %u at %" PRId64,
                       sim_event_kind_name(kind), aux, node, t_ns);
    return found;
}

static int64_t sample_offset(const struct run *r, uint32_t node, int64_t t_ns)
{
    const struct sim_event *e = find_at(r, SIM_EV_CLOCK_SAMPLE, node, t_ns);
    cr_assert_not_null(e, "no sample at %" PRId64, t_ns);
    return e->arg;
}

Test(clocksync, a_slew_runs_at_slew_max_and_ends_after_offset_over_slew_max)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 25s\nclock_sample = 1s\n"
                 "[node.ahead]\nmodel = idle\nclock_offset = 4ms\nclock_sync = slew\n"
                 "clock_sync_every = 10s\n"
                 "[node.behind]\nmodel = idle\nclock_offset = -4ms\nclock_drift = 100ppm\n"
                 "clock_sync = slew\nclock_sync_every = 10s\n",
             1);
    uint32_t a = node_named(&r, "ahead"), b = node_named(&r, "behind");
    /* ahead by 4 ms: slowed by 500 ppm for exactly 4 ms / 500 ppm = 8 s */
    const struct sim_event *e = only_at(&r, SIM_EV_CLOCK_SYNC, a, sim_s(10), SIM_SYNC_SLEWED);
    cr_assert_eq(e->arg, sim_ms(4));
    cr_assert_eq(e->peer, SIM_NODE_NONE, "against the reference, no server");
    e = only_at(&r, SIM_EV_CLOCK_RATE, a, sim_s(10), SIM_CLOCK_BY_SLEW);
    cr_assert_eq((int64_t)e->ref, -500000);
    cr_assert_eq(e->arg, -500000);
    e = only_at(&r, SIM_EV_CLOCK_RATE, a, sim_s(18), SIM_CLOCK_BY_SLEW_END);
    cr_assert_eq(e->arg, 0);
    cr_assert_eq(sample_offset(&r, a, sim_s(14)), sim_ms(2), "half way, half the offset");
    cr_assert_eq(sample_offset(&r, a, sim_s(18)), 0);
    cr_assert_eq(sample_offset(&r, a, sim_s(25)), 0);
    /* at 20 s there is nothing left to correct: a sync, no rate change */
    e = only_at(&r, SIM_EV_CLOCK_SYNC, a, sim_s(20), SIM_SYNC_SLEWED);
    cr_assert_eq(e->arg, 0);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_RATE, a), 2u);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, a), 0u);
    /* behind, drifting +100 ppm: -3 ms at 10 s; +500 ppm on top for 6 s ends +0.6 ms */
    e = only_at(&r, SIM_EV_CLOCK_SYNC, b, sim_s(10), SIM_SYNC_SLEWED);
    cr_assert_eq(e->arg, -sim_ms(3));
    e = only_at(&r, SIM_EV_CLOCK_RATE, b, sim_s(10), SIM_CLOCK_BY_SLEW);
    cr_assert_eq((int64_t)e->ref, 500000);
    cr_assert_eq(e->arg, 600000);
    e = only_at(&r, SIM_EV_CLOCK_RATE, b, sim_s(16), SIM_CLOCK_BY_SLEW_END);
    cr_assert_eq(e->arg, 100000, "back to the oscillator's own drift");
    cr_assert_eq(sample_offset(&r, b, sim_s(16)), sim_us(600));
    /* +1 ms at 20 s: slowed to -400 ppm for 2 s, ending +0.2 ms */
    e = only_at(&r, SIM_EV_CLOCK_SYNC, b, sim_s(20), SIM_SYNC_SLEWED);
    cr_assert_eq(e->arg, sim_ms(1));
    e = only_at(&r, SIM_EV_CLOCK_RATE, b, sim_s(20), SIM_CLOCK_BY_SLEW);
    cr_assert_eq(e->arg, -400000);
    only_at(&r, SIM_EV_CLOCK_RATE, b, sim_s(22), SIM_CLOCK_BY_SLEW_END);
    cr_assert_eq(sample_offset(&r, b, sim_s(22)), sim_us(200));
    cr_assert_eq(sample_offset(&r, b, sim_s(25)), sim_us(500));
    run_free(&r);
}

Test(clocksync, a_newer_correction_supersedes_a_slew)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 100s\nclock_sample = 1s\n"
                 "[node.far]\nmodel = idle\nclock_offset = 100ms\nclock_sync = slew\n"
                 "clock_sync_every = 10s\n",
             1);
    uint32_t n = node_named(&r, "far");
    /* 100 ms at 500 ppm needs 200 s; every 10 s a new measurement restarts the slew, and
     * no older slew's end ever fires */
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_RATE, n, SIM_CLOCK_BY_SLEW), 10u);
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_RATE, n, SIM_CLOCK_BY_SLEW_END), 0u);
    for (int64_t k = 1; k <= 10; k++) {
        const struct sim_event *e =
            only_at(&r, SIM_EV_CLOCK_SYNC, n, sim_s(10 * k), SIM_SYNC_SLEWED);
        cr_assert_eq(e->arg, sim_ms(100) - sim_ms(5) * (k - 1));
    }
    for (int64_t t = 10; t <= 100; t++)
        cr_assert_eq(sample_offset(&r, n, sim_s(t)), sim_ms(100) - sim_us(500) * (t - 10),
                     "at %" PRId64 " s", t);
    run_free(&r);
}

Test(clocksync, a_step_fault_then_slew_sync_moves_monotonic_only_forward)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 40s\nclock_sample = 1s\n"
                 "[node.e]\nmodel = ticker\nchain = 2000\nmax_delay = 50ms\nclock_sync = slew\n"
                 "clock_slew_max = 100000ppm\nclock_sync_every = 10s\n"
                 "[faults]\nback = at 5s step e by -2s\n",
             3);
    uint32_t n = node_named(&r, "e");
    const struct sim_event *e = only_at(&r, SIM_EV_CLOCK_STEP, n, sim_s(5), SIM_CLOCK_BY_FAULT);
    cr_assert_eq(e->arg, -sim_s(2));
    cr_assert_eq(e->mono_ns, sim_s(5), "a step leaves monotonic time alone");
    cr_assert_eq(e->wall_ns, W0 + sim_s(3));
    /* 2 s behind: 10% fast; at 20 s 1 s is left and the slew restarts; at 30 s it is 0 */
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_SYNC, n, sim_s(10), SIM_SYNC_SLEWED)->arg, -sim_s(2));
    e = only_at(&r, SIM_EV_CLOCK_RATE, n, sim_s(10), SIM_CLOCK_BY_SLEW);
    cr_assert_eq(e->arg, INT64_C(100000000));
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_SYNC, n, sim_s(20), SIM_SYNC_SLEWED)->arg, -sim_s(1));
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_SYNC, n, sim_s(30), SIM_SYNC_SLEWED)->arg, 0);
    only_at(&r, SIM_EV_CLOCK_RATE, n, sim_s(30), SIM_CLOCK_BY_SLEW_END);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_RATE, n), 3u);
    /* monotonic time gained the 2 s the wall clock lost, by running fast, never jumping */
    e = find_at(&r, SIM_EV_CLOCK_SAMPLE, n, sim_s(30));
    cr_assert_eq((int64_t)e->obj, sim_s(2));
    cr_assert_eq(e->arg, 0);
    cr_assert_eq((int64_t)find_at(&r, SIM_EV_CLOCK_SAMPLE, n, sim_s(40))->obj, sim_s(2));
    cr_assert_geq(count_kind(&r, SIM_EV_TIMER_FIRE, n), 1000u, "timers ran across the slews");
    run_free(&r);
}

/* Every discipline at once, with drift and step faults, timers and GC pauses: over many
 * seeds, check_run holds every reading to the piecewise clock, monotonic time never
 * goes back, slews run at exactly +-slew_max, and timers fire exactly when due (or at
 * the resume of a pause). Counted here: that all of it happened. */
static const char *const soak_text =
    "[scenario]\nduration = 120s\nclock_sample = 1s\nleap_at = 60s\n"
    "[link.default]\ndelay = uniform 1ms 30ms\n"
    "[node.ts]\nmodel = idle\n"
    "[node.a]\nmodel = ticker\nchain = 3000\nmax_delay = 80ms\nclock_drift = 80ppm\n"
    "clock_sync = slew\nclock_sync_error = 30ms\nclock_sync_every = 3s\nclock_slew_max = 5000ppm\n"
    "[node.b]\nmodel = reader\ntick = 20ms\nrandom = true\nclock_drift = -90ppm\n"
    "clock_sync = ntpd\nclock_sync_error = 60ms\nclock_step_threshold = 40ms\n"
    "clock_sync_every = 2s\nclock_slew_max = 100000ppm\n"
    "gc_every = exponential 5s\ngc_pause = uniform 10ms 500ms\n"
    "[node.c]\nmodel = ticker\nchain = 3000\nmax_delay = 80ms\nclock_drift = 300ppm\n"
    "clock_sync = slew\nclock_sync_server = ts\nclock_sync_every = 1s\n"
    "clock_slew_max = 100000ppm\nclock_jitter = 1ms\n"
    "[node.d]\nmodel = reader\ntick = 30ms\nrandom = true\nclock_drift = 50ppm\n"
    "clock_sync = ntpd\nclock_sync_server = ts\nclock_leap = smear\nclock_sync_every = 2s\n"
    "clock_step_threshold = 5ms\n"
    "[node.e]\nmodel = ticker\nchain = 3000\nmax_delay = 80ms\nclock_sync = step\n"
    "clock_sync_error = 20ms\nclock_sync_every = 2s\nclock_leap = step\n"
    "gc_every = uniform 1s 3s\ngc_pause = constant 200ms\ngc_notice = 50ms\n"
    "[faults]\n"
    "s1 = at 10s step a by -2s\ns2 = at 50s step c by 3s\ns3 = at 70s step b by 500ms\n"
    "d1 = at 20s drift a to 100000ppm\nd2 = at 40s drift a to -100000ppm\n"
    "d3 = at 30s drift c to -100000ppm\nd4 = at 33333ms drift e to 77777ppm\n"
    "d5 = at 80s drift a to 0ppm\n"
    "p1 = at 45s pause c for 700ms\np2 = at 90s pause e for 2s\n"
    "cut = at 95s partition c / ts for 10s\n";

Test(clocksync, over_many_seeds_monotonic_time_never_goes_back_and_timers_are_exact)
{
    size_t slews = 0, slew_ends = 0, sync_steps = 0, wall_back = 0, gc = 0, fires = 0;
    size_t server_syncs = 0;
    for (uint64_t seed = 1; seed <= 24; seed++) {
        struct run r;
        run_text(&r, soak_text, seed);
        slews += count_aux(&r, SIM_EV_CLOCK_RATE, ANY_NODE, SIM_CLOCK_BY_SLEW);
        slew_ends += count_aux(&r, SIM_EV_CLOCK_RATE, ANY_NODE, SIM_CLOCK_BY_SLEW_END);
        sync_steps += count_aux(&r, SIM_EV_CLOCK_STEP, ANY_NODE, SIM_CLOCK_BY_SYNC);
        gc += count_aux(&r, SIM_EV_PAUSE, ANY_NODE, SIM_PAUSE_BY_GC);
        fires += count_kind(&r, SIM_EV_TIMER_FIRE, ANY_NODE);
        uint32_t ts = node_named(&r, "ts");
        for (size_t i = 0; i < r.log.count; i++) {
            const struct sim_event *ev = &r.log.items[i].ev;
            server_syncs += ev->kind == SIM_EV_CLOCK_SYNC && ev->peer == ts &&
                            ev->aux != SIM_SYNC_REJECTED;
        }
        /* the wall clock does go back (steps), as the monotonic one never does */
        int64_t *last_wall = calloc(r.scn.node_count, sizeof *last_wall);
        for (size_t i = 0; i < r.log.count; i++) {
            const struct sim_event *ev = &r.log.items[i].ev;
            if (ev->node == SIM_NODE_NONE) continue;
            wall_back += last_wall[ev->node] > ev->wall_ns;
            last_wall[ev->node] = ev->wall_ns;
        }
        free(last_wall);
        run_free(&r);
    }
    cr_assert_geq(slews, 24u * 50u, "slews happened: %zu", slews);
    cr_assert_geq(slew_ends, 24u * 10u, "slews ended: %zu", slew_ends);
    cr_assert_geq(sync_steps, 24u * 30u, "steps happened: %zu", sync_steps);
    cr_assert_geq(wall_back, 24u * 10u, "the wall clock went back: %zu", wall_back);
    cr_assert_geq(gc, 24u * 20u, "GC pauses happened: %zu", gc);
    cr_assert_geq(fires, 24u * 5000u, "timers fired: %zu", fires);
    cr_assert_geq(server_syncs, 24u * 100u, "syncs over the network: %zu", server_syncs);
}

Test(clocksync, step_sync_moves_the_wall_clock_back_and_leaves_monotonic_alone)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 25s\nclock_sample = 1s\n"
                 "[node.ahead]\nmodel = reader\ntick = 1s\nclock_offset = 500ms\n"
                 "clock_sync = step\nclock_sync_every = 10s\n"
                 "[node.behind]\nmodel = reader\ntick = 1s\nclock_offset = -300ms\n"
                 "clock_sync = step\nclock_sync_every = 10s\n",
             1);
    uint32_t a = node_named(&r, "ahead"), b = node_named(&r, "behind");
    const struct sim_event *sync = only_at(&r, SIM_EV_CLOCK_SYNC, a, sim_s(10), SIM_SYNC_STEPPED);
    cr_assert_eq(sync->arg, sim_ms(500));
    const struct sim_event *step = only_at(&r, SIM_EV_CLOCK_STEP, a, sim_s(10), SIM_CLOCK_BY_SYNC);
    cr_assert_eq(step->arg, -sim_ms(500));
    cr_assert_gt(step->seq, sync->seq, "the correction follows its measurement");
    cr_assert_eq(step->wall_ns, sync->wall_ns - sim_ms(500), "the wall clock went back");
    cr_assert_eq(step->mono_ns, sync->mono_ns, "monotonic time did not move");
    cr_assert_eq(step->mono_ns, sim_s(10));
    /* what the model reads: at 9 s W0+9.5 s, at 10 s W0+10 s - half a second of wall
     * time for a second, while its monotonic readings advance by exactly 1 s per tick */
    size_t count;
    const struct logged **notes = select_logged(&r, SIM_EV_NOTE, a, &count);
    cr_assert_eq(count, 25u);
    for (size_t i = 0; i < count; i++) {
        int64_t mono, wall, t = notes[i]->ev.time_ns;
        parse_reads(notes[i]->text, &mono, &wall, 1);
        cr_assert_eq(mono, t);
        cr_assert_eq(wall, t < sim_s(10) ? W0 + t + sim_ms(500) : W0 + t,
                     "read at %" PRId64, t);
    }
    free(notes);
    /* at 20 s nothing to correct: a sync, no step */
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_SYNC, a, sim_s(20), SIM_SYNC_STEPPED)->arg, 0);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, a), 1u);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_RATE, a), 0u, "stepping never slews");
    /* behind: stepped forward */
    step = only_at(&r, SIM_EV_CLOCK_STEP, b, sim_s(10), SIM_CLOCK_BY_SYNC);
    cr_assert_eq(step->arg, sim_ms(300));
    cr_assert_eq(sample_offset(&r, b, sim_s(11)), 0);
    run_free(&r);
}

/* A step moves the wall clock only: the monotonic readings after it, and so the timers
 * pending across it, are exactly what they would have been without it. The numbers:
 * at +35 ppm a 1 s timer set at 0 is due at 999965002 (mono 1000000000 exactly); a
 * step at 500022145 ns falls where floor(s * 35e-6) has a fractional part of more than
 * 1 - frac((T - s) * 35e-6), so a clock re-anchored there would read 1 ns less at T. */
Test(clocksync, a_step_leaves_monotonic_readings_and_pending_timers_exactly_alone)
{
/* a literal, so that -Wformat=2 can check it at every optimisation level */
#define STEP_TEXT                                                                          \
    "[scenario]\nduration = 2s\nclock_sample = 250ms\n"                                    \
    "[node.n]\nmodel = ticker\nfixed = 3\nfirst = 1s\ngap = 250ms\nclock_drift = 35ppm\n"  \
    "clock_sync = step\nclock_sync_every = 1200ms\nclock_sync_error = 3ms\n"                \
    "[faults]\n%s"
    char stepped[1024], plain[1024];
    snprintf(stepped, sizeof stepped, STEP_TEXT, "s = at 500022145ns step n by 1ms\n");
    snprintf(plain, sizeof plain, STEP_TEXT, "");
#undef STEP_TEXT
    struct run a, b;
    run_text(&a, stepped, 1);
    run_text(&b, plain, 1);
    uint32_t n = node_named(&a, "n");
    cr_assert_eq(fired_at(&a, n, 1), INT64_C(999965002));
    cr_assert_geq(find_at(&a, SIM_EV_TIMER_FIRE, n, INT64_C(999965002))->mono_ns, sim_s(1),
                  "fired 1 ns early by the local clock after a step");
    /* every monotonic reading of the stepped run equals the unstepped run's at that time */
    for (size_t i = 0; i < a.log.count; i++) {
        const struct sim_event *ev = &a.log.items[i].ev;
        if (ev->node == SIM_NODE_NONE) continue;
        cr_assert_eq(ev->mono_ns, mono_at(&b, ev->node, ev->time_ns),
                     "seq %zu (%s at %" PRId64 "): the step moved monotonic time", i,
                     sim_event_kind_name(ev->kind), ev->time_ns);
    }
    cr_assert_eq(count_aux(&a, SIM_EV_CLOCK_STEP, n, SIM_CLOCK_BY_FAULT), 1u);
    cr_assert_eq(count_aux(&a, SIM_EV_CLOCK_STEP, n, SIM_CLOCK_BY_SYNC), 1u);
    run_free(&a);
    run_free(&b);
}

Test(clocksync, ntpd_steps_above_the_threshold_and_slews_at_or_below_it)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 1500ms\n"
                 "[node.at]\nmodel = idle\nclock_offset = 128ms\nclock_sync = ntpd\n"
                 "clock_sync_every = 1s\n"
                 "[node.over]\nmodel = idle\nclock_offset = 128000001ns\nclock_sync = ntpd\n"
                 "clock_sync_every = 1s\n"
                 "[node.under]\nmodel = idle\nclock_offset = -128ms\nclock_sync = ntpd\n"
                 "clock_sync_every = 1s\n"
                 "[node.low]\nmodel = idle\nclock_offset = -11ms\nclock_sync = ntpd\n"
                 "clock_sync_every = 1s\nclock_step_threshold = 10ms\n"
                 "[node.small]\nmodel = idle\nclock_offset = 9ms\nclock_sync = ntpd\n"
                 "clock_sync_every = 1s\nclock_step_threshold = 10ms\n",
             1);
    struct {
        const char *name;
        unsigned action;
        int64_t offset_ns;
    } want[] = {
        {"at", SIM_SYNC_SLEWED, sim_ms(128)},        {"over", SIM_SYNC_STEPPED, sim_ms(128) + 1},
        {"under", SIM_SYNC_SLEWED, -sim_ms(128)},    {"low", SIM_SYNC_STEPPED, -sim_ms(11)},
        {"small", SIM_SYNC_SLEWED, sim_ms(9)},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        uint32_t n = node_named(&r, want[i].name);
        const struct sim_event *e = only_at(&r, SIM_EV_CLOCK_SYNC, n, sim_s(1), want[i].action);
        cr_assert_eq(e->arg, want[i].offset_ns, "%s", want[i].name);
        bool stepped = want[i].action == SIM_SYNC_STEPPED;
        cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, n), stepped ? 1u : 0u, "%s", want[i].name);
        cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_RATE, n), stepped ? 0u : 1u, "%s", want[i].name);
        if (stepped)
            cr_assert_eq(only_at(&r, SIM_EV_CLOCK_STEP, n, sim_s(1), SIM_CLOCK_BY_SYNC)->arg,
                         -want[i].offset_ns);
        else
            cr_assert_eq((int64_t)only_at(&r, SIM_EV_CLOCK_RATE, n, sim_s(1),
                                          SIM_CLOCK_BY_SLEW)->ref,
                         want[i].offset_ns > 0 ? -500000 : 500000, "%s", want[i].name);
    }
    run_free(&r);
}

Test(clocksync, sync_errors_are_uniform_within_clock_sync_error)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 2001s\n"
                 "[node.n]\nmodel = idle\nclock_sync = step\nclock_sync_error = 10ms\n"
                 "clock_sync_every = 1s\n",
             5);
    size_t count;
    const struct logged **syncs = select_logged(&r, SIM_EV_CLOCK_SYNC, ANY_NODE, &count);
    cr_assert_eq(count, 2001u);
    double sum = 0;
    size_t inner = 0;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sim_event *ev = &syncs[i]->ev;
        /* measured minus true: the true offset is in the event's own wall column */
        int64_t err = ev->arg - wall_offset(ev);
        cr_assert_leq(err, sim_ms(10));
        cr_assert_geq(err, -sim_ms(10));
        sum += (double)err;
        inner += err > -sim_ms(5) && err < sim_ms(5);
        if (err < lo) lo = err;
        if (err > hi) hi = err;
    }
    free(syncs);
    /* uniform on [-10ms, 10ms]: sd 10ms/sqrt(3); the mean of 2001 within 5 sd of 0 */
    double mean_tol = 5 * 1e7 / sqrt(3.0) / sqrt((double)count);
    cr_assert_lt(fabs(sum / (double)count), mean_tol, "mean error %.0f ns", sum / (double)count);
    /* half of them within +-5 ms, to 5 sd of a binomial proportion */
    double p = (double)inner / (double)count;
    cr_assert_lt(fabs(p - 0.5), 5 * sqrt(0.25 / (double)count), "inner fraction %.3f", p);
    /* both ends are reached (each end missing has probability 0.99^2001 < 1e-8) */
    cr_assert_lt(lo, -sim_ms(9) - sim_us(900));
    cr_assert_gt(hi, sim_ms(9) + sim_us(900));
    run_free(&r);
}

/* ===================================================================================
 * Sync against a time server over the network.
 * =================================================================================== */

Test(clocksync, sync_with_a_server_names_it_and_a_partition_cuts_corrections_off)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 120s\nclock_sample = 1s\n"
                 "[link.default]\ndelay = constant 1ms\n"
                 "[node.ts]\nmodel = idle\n"
                 "[node.c]\nmodel = idle\nclock_drift = 200ppm\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 5s\n"
                 "[faults]\ncut = at 32500ms partition c / ts for 50s\n",
             1);
    uint32_t ts = node_named(&r, "ts"), c = node_named(&r, "c");
    size_t count;
    const struct logged **syncs = select_logged(&r, SIM_EV_CLOCK_SYNC, c, &count);
    size_t before = 0, during = 0, after = 0;
    for (size_t i = 0; i < count; i++) {
        const struct sim_event *ev = &syncs[i]->ev;
        cr_assert_eq(ev->peer, ts, "the server is named");
        cr_assert_eq(ev->aux, SIM_SYNC_STEPPED);
        /* a query at k*5 s is answered 2 ms later: the round trip */
        cr_assert_eq(ev->time_ns % sim_s(5), sim_ms(2));
        cr_assert_eq((int64_t)ev->obj, sim_ms(2) + skew_ns(sim_ms(2), 200000), "rtt");
        /* the measurement misses the true offset by the drift over half a round trip */
        cr_assert_leq(llabs(ev->arg - wall_offset(ev)), 1000, "measured %" PRId64 ", true %"
                      PRId64, ev->arg, wall_offset(ev));
        if (ev->time_ns < sim_ms(32500)) before++;
        else if (ev->time_ns < sim_ms(82500)) during++;
        else after++;
    }
    free(syncs);
    cr_assert_eq(before, 6u);
    cr_assert_eq(during, 0u, "a partition cuts the node off from time");
    cr_assert_eq(after, 7u);
    /* the queries sent while cut (35 s .. 80 s) were dropped by the partition */
    size_t cut_drops = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        cut_drops += ev->kind == SIM_EV_DROP && ev->aux == SIM_DROP_PARTITION &&
                     ev->node == c && ev->peer == ts;
    }
    cr_assert_eq(cut_drops, 10u);
    /* while cut, the offset grows at exactly the drift from the last step */
    const struct sim_event *last = only_at(&r, SIM_EV_CLOCK_STEP, c, sim_s(30) + sim_ms(2),
                                           SIM_CLOCK_BY_SYNC);
    int64_t residual = wall_offset(last);
    for (int64_t t = 31; t <= 85; t++) {
        int64_t at = sim_s(t);
        cr_assert_eq(sample_offset(&r, c, at), residual + skew_ns(at - last->time_ns, 200000),
                     "at %" PRId64 " s", t);
    }
    cr_assert_gt(sample_offset(&r, c, sim_s(85)), sim_ms(10), "55 s at 200 ppm is 11 ms");
    /* the first sync after the heal sees it and steps it away */
    const struct sim_event *heal = only_at(&r, SIM_EV_CLOCK_SYNC, c, sim_s(85) + sim_ms(2),
                                           SIM_SYNC_STEPPED);
    cr_assert_gt(heal->arg, sim_ms(10));
    cr_assert_leq(llabs(sample_offset(&r, c, sim_s(86))), sim_us(201));
    /* the server's daemon answered; its model never saw any of it */
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_SYNC, ts), 0u);
    run_free(&r);
}

Test(clocksync, a_corrupted_time_reply_or_query_is_rejected)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 60s\nclock_sample = 1s\n"
                 "[link.default]\ndelay = constant 1ms\n"
                 "[link.ts->c1]\ncorrupt = 100%\n"
                 "[link.c2->ts]\ncorrupt = 100%\n"
                 "[link.ts->c3]\ncorrupt = 50%\n"
                 "[node.ts]\nmodel = idle\n"
                 "[node.c1]\nmodel = idle\nclock_drift = 100ppm\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 2s\n"
                 "[node.c2]\nmodel = idle\nclock_drift = 100ppm\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 2s\n"
                 "[node.c3]\nmodel = idle\nclock_drift = 100ppm\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 2s\n",
             1);
    uint32_t ts = node_named(&r, "ts"), c1 = node_named(&r, "c1"), c2 = node_named(&r, "c2"),
             c3 = node_named(&r, "c3");
    /* every corrupted reply is rejected by its client, naming the server and the message */
    size_t count;
    const struct logged **syncs = select_logged(&r, SIM_EV_CLOCK_SYNC, c1, &count);
    cr_assert_eq(count, 29u, "answers to queries at 2 s .. 58 s");
    for (size_t i = 0; i < count; i++) {
        const struct sim_event *ev = &syncs[i]->ev;
        cr_assert_eq(ev->aux, SIM_SYNC_REJECTED);
        cr_assert_eq(ev->peer, ts);
        bool corrupted = false;
        for (size_t k = 0; k < r.log.count && !corrupted; k++)
            corrupted = r.log.items[k].ev.kind == SIM_EV_CORRUPT &&
                        r.log.items[k].ev.obj == ev->obj && r.log.items[k].ev.node == ts;
        cr_assert(corrupted, "msg %" PRIu64 " was corrupted on the way", ev->obj);
    }
    free(syncs);
    /* so c1 was never corrected: its offset is exactly its drift's */
    for (int64_t t = 1; t <= 60; t++)
        cr_assert_eq(sample_offset(&r, c1, sim_s(t)), skew_ns(sim_s(t), 100000));
    /* a corrupted query is rejected by the server's daemon, which does not answer */
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_SYNC, c2), 0u);
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_SYNC, ts, SIM_SYNC_REJECTED), 29u);
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        if (ev->kind == SIM_EV_CLOCK_SYNC && ev->node == ts) cr_assert_eq(ev->peer, c2);
    }
    /* half corrupted: rejected exactly the corrupted ones, stepped with the rest */
    size_t corrupted = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        corrupted += ev->kind == SIM_EV_CORRUPT && ev->node == ts && ev->peer == c3;
    }
    size_t c3_rejected = count_aux(&r, SIM_EV_CLOCK_SYNC, c3, SIM_SYNC_REJECTED);
    cr_assert_eq(c3_rejected, corrupted);
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_SYNC, c3, SIM_SYNC_STEPPED), 29u - corrupted);
    cr_assert(corrupted >= 5 && corrupted <= 24, "binomial(29, 0.5): %zu", corrupted);
    run_free(&r);
}

/* NTP uses an answer once: a copy of a reply it has already used (RFC 5905's duplicate
 * test, origin timestamp equal to the last one seen) or one that answers no outstanding
 * query (the bogus test) is discarded. Used again after the first copy stepped the
 * clock, its t1 is on the clock as it was before the step: a node 500 ms behind is
 * stepped forward 500 ms, then the copy (round trip 502 ms, below the 1 s limit) makes it
 * step forward another 250 ms, ending 250 ms ahead. */
Test(clocksync, a_duplicated_time_reply_is_used_once)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 12s\nclock_sample = 1s\n"
                 "[link.default]\ndelay = constant 1ms\n[link.ts->c]\nduplicate = 100%\n"
                 "[node.ts]\nmodel = idle\n"
                 "[node.c]\nmodel = idle\nclock_offset = -500ms\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 5s\n",
             1);
    uint32_t ts = node_named(&r, "ts"), c = node_named(&r, "c");
    size_t copies = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        copies += ev->kind == SIM_EV_DELIVER && ev->node == c && ev->peer == ts;
    }
    cr_assert_eq(copies, 4u, "two answers, each delivered twice");
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_SYNC, c, SIM_SYNC_STEPPED), 2u,
                 "one correction per answer");
    const struct sim_event *first =
        only_at(&r, SIM_EV_CLOCK_SYNC, c, sim_s(5) + sim_ms(2), SIM_SYNC_STEPPED);
    cr_assert_eq(first->arg, -sim_ms(500));
    for (int64_t t = 6; t <= 12; t++)
        cr_assert_eq(sample_offset(&r, c, sim_s(t)), 0, "at %" PRId64 " s", t);
    run_free(&r);
}

Test(clocksync, asymmetric_delay_shows_up_as_offset_error)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 20s\nclock_sample = 1s\n"
                 "[link.c->ts]\ndelay = constant 1ms\n[link.ts->c]\ndelay = constant 9ms\n"
                 "[node.ts]\nmodel = idle\n"
                 "[node.c]\nmodel = idle\nclock_offset = 50ms\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 5s\n",
             1);
    uint32_t c = node_named(&r, "c");
    /* NTP halves the round trip: with 1 ms out and 9 ms back it believes the server's
     * answer is 4 ms older than it is, and sets the clock 4 ms behind */
    const struct sim_event *e =
        only_at(&r, SIM_EV_CLOCK_SYNC, c, sim_s(5) + sim_ms(10), SIM_SYNC_STEPPED);
    cr_assert_eq(e->arg, sim_ms(54));
    cr_assert_eq((int64_t)e->obj, sim_ms(10), "rtt");
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_STEP, c, e->time_ns, SIM_CLOCK_BY_SYNC)->arg,
                 -sim_ms(54));
    for (int64_t t = 6; t <= 20; t++) cr_assert_eq(sample_offset(&r, c, sim_s(t)), -sim_ms(4));
    /* and then believes itself exact */
    cr_assert_eq(only_at(&r, SIM_EV_CLOCK_SYNC, c, sim_s(10) + sim_ms(10), SIM_SYNC_STEPPED)->arg,
                 0);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, c), 1u);
    run_free(&r);
}

Test(clocksync, a_paused_or_crashed_server_answers_late_or_never_and_a_paused_client_skips)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 50s\n"
                 "[link.default]\ndelay = constant 1ms\n"
                 "[node.ts]\nmodel = idle\n"
                 "[node.c]\nmodel = idle\nclock_offset = 20ms\nclock_sync = step\n"
                 "clock_sync_server = ts\nclock_sync_every = 5s\n"
                 "[faults]\nslow = at 9500ms pause ts for 3s\n"
                 "down = at 19500ms crash ts for 7s\n"
                 "stop = at 29500ms pause c for 6s\n",
             1);
    uint32_t ts = node_named(&r, "ts"), c = node_named(&r, "c");
    /* the query at 10 s waits in the paused server until 12.5 s: a 2.501 s round trip is
     * no measurement, and is rejected with its round trip */
    const struct sim_event *e =
        only_at(&r, SIM_EV_CLOCK_SYNC, c, sim_ms(12501), SIM_SYNC_REJECTED);
    cr_assert_eq((int64_t)e->obj, sim_ms(2501));
    cr_assert_eq(e->peer, ts);
    /* queries at 20 s and 25 s reach a crashed server */
    size_t down = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        down += ev->kind == SIM_EV_DROP && ev->aux == SIM_DROP_NODE_DOWN && ev->node == ts &&
                ev->peer == c;
    }
    cr_assert_eq(down, 2u);
    /* the paused client's daemon sends nothing at 30 s and 35 s */
    size_t time_sends = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *ev = &r.log.items[i].ev;
        if (ev->kind != SIM_EV_SEND || ev->node != c) continue;
        cr_assert_eq(ev->aux, MURPHY_CLASS_TIME);
        cr_assert(ev->time_ns < sim_ms(29500) || ev->time_ns > sim_ms(35500));
        time_sends++;
    }
    cr_assert_eq(time_sends, 8u, "5, 10, 15, 20, 25, 40, 45, 50 s");
    /* the good ones: 5 s (the 20 ms offset), 15 s, 40 s, 45 s */
    cr_assert_eq(count_aux(&r, SIM_EV_CLOCK_SYNC, c, SIM_SYNC_STEPPED), 4u);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, c), 1u);
    run_free(&r);
}

/* ===================================================================================
 * Leap seconds.
 * =================================================================================== */

Test(clocksync, leap_step_drops_the_wall_clock_by_one_second_at_leap_at)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 20s\nleap_at = 10s\nclock_sample = 1s\n"
                 "[node.leaper]\nmodel = reader\ntick = 250ms\nclock_leap = step\n"
                 "[node.plain]\nmodel = reader\ntick = 250ms\n",
             1);
    uint32_t leaper = node_named(&r, "leaper"), plain = node_named(&r, "plain");
    const struct sim_event *e =
        only_at(&r, SIM_EV_CLOCK_STEP, leaper, sim_s(10), SIM_CLOCK_BY_LEAP);
    cr_assert_eq(e->arg, -SIM_NS_PER_S);
    cr_assert_eq(e->wall_ns, W0 + sim_s(9), "from leap_at on, the second is repeated");
    cr_assert_eq(e->mono_ns, sim_s(10));
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, leaper), 1u);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, plain), 0u);
    /* the model reads 9.75 s, then 9 s: its wall clock went back a second */
    size_t count;
    const struct logged **notes = select_logged(&r, SIM_EV_NOTE, leaper, &count);
    cr_assert_eq(count, 80u);
    size_t went_back = 0;
    int64_t prev_wall = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t mono, wall, t = notes[i]->ev.time_ns;
        parse_reads(notes[i]->text, &mono, &wall, 1);
        cr_assert_eq(mono, t);
        cr_assert_eq(wall, t < sim_s(10) ? W0 + t : W0 + t - SIM_NS_PER_S);
        if (i && wall < prev_wall) {
            went_back++;
            cr_assert_eq(t, sim_s(10));
            cr_assert_eq(prev_wall - wall, sim_ms(750));
        }
        prev_wall = wall;
    }
    cr_assert_eq(went_back, 1u);
    free(notes);
    /* the plain node's wall clock never repeats a second */
    cr_assert_eq(find_at(&r, SIM_EV_NOTE, plain, sim_s(15))->wall_ns, W0 + sim_s(15));
    /* samples measure against the node's own leap-aware reference, so neither leaper nor
     * plain shows an offset (a sync never undoes the node's own leap policy) */
    cr_assert_eq(sample_offset(&r, leaper, sim_s(15)), 0);
    cr_assert_eq(sample_offset(&r, plain, sim_s(15)), 0);
    run_free(&r);
}

Test(clocksync, leap_smear_is_half_a_second_at_leap_at_and_a_whole_one_twelve_hours_later)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 25h\nleap_at = 12h\nclock_sample = 1h\n"
                 "[node.smear]\nmodel = reader\ntick = 7min\nclock_leap = smear\n"
                 "[node.drifty]\nmodel = reader\ntick = 7min\nclock_leap = smear\n"
                 "clock_drift = 20ppm\n",
             1);
    uint32_t smear = node_named(&r, "smear"), drifty = node_named(&r, "drifty");
    const struct sim_event *e;
    int64_t want[][2] = {{0, 0},
                         {6, -SIM_NS_PER_S / 4},
                         {12, -SIM_NS_PER_S / 2},
                         {18, -3 * SIM_NS_PER_S / 4},
                         {24, -SIM_NS_PER_S},
                         {25, -SIM_NS_PER_S}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t t = want[i][0] * HOUR_NS;
        if (t == 0) continue; /* no sample at 0 */
        e = find_at(&r, SIM_EV_CLOCK_SAMPLE, smear, t);
        cr_assert_eq(wall_offset(e), want[i][1], "at %" PRId64 " h", want[i][0]);
        cr_assert_eq(e->mono_ns, t, "monotonic time takes no leap");
        e = find_at(&r, SIM_EV_CLOCK_SAMPLE, drifty, t);
        cr_assert_eq(wall_offset(e), want[i][1] + skew_ns(t, 20000));
    }
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_STEP, smear), 0u, "a smear is no step");
    /* never a step back: every wall reading of both nodes is above the one before */
    for (uint32_t n = 0; n < 2; n++) {
        size_t count;
        const struct logged **notes = select_logged(&r, SIM_EV_NOTE, n, &count);
        cr_assert_eq(count, 214u);
        for (size_t i = 1; i < count; i++)
            cr_assert_gt(notes[i]->ev.wall_ns, notes[i - 1]->ev.wall_ns);
        free(notes);
    }
    run_free(&r);
}

/* The smear is applied on top of the drifting reading, each rounded down on its own: on
 * a clock that runs slow (a negative drift, or a slew down) the drifting part sometimes
 * gains 0 ns in a ns just when the smear takes 1 ns back, and the reading steps back by
 * 1 ns. Whether that can happen depends on where the clock was last anchored (a rate
 * change re-anchors it at an arbitrary ns: a drift fault, the start or end of a slew).
 * Hand-found cases, with leap_at = 12 h (the window opens at 0): re-anchored at 9 ns at
 * -10%, wall(86400) < wall(86399); at 399 ns at -500 ppm (a slew down), the same; at
 * 1599 ns at -35 ppm, wall(3801600) < wall(3801599). A smear must never run a clock
 * back: it exists so that time of day does not repeat. */
Test(clocksync, leap_smear_readings_never_decrease_even_on_a_slow_clock)
{
    struct sim_scenario scn = {.wall_start_ns = W0, .leap_at_ns = 12 * HOUR_NS};
    struct {
        int64_t drift_ppb, anchor_ns, around_ns;
    } cases[] = {
        {-100000000, 9, 86399}, {-500000, 399, 86399}, {-35000, 1599, 3801599},
        {-35000, 0, 3801599},   {35000, 1599, 3801599},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct sim_clock_cfg cfg = {.leap = SIM_LEAP_SMEAR};
        struct sim_clock clock;
        sim__clock_init(&clock, &scn, &cfg);
        sim__clock_set_rate(&clock, cases[c].anchor_ns, cases[c].drift_ppb, 0);
        int64_t from = cases[c].around_ns - 300000;
        if (from < cases[c].anchor_ns) from = cases[c].anchor_ns;
        int64_t prev = sim__clock_wall_ns(&clock, from);
        for (int64_t t = from + 1; t < cases[c].around_ns + 300000; t++) {
            int64_t wall = sim__clock_wall_ns(&clock, t);
            cr_assert_geq(wall, prev, "drift %" PRId64 " ppb anchored at %" PRId64 " ns: the "
                          "smeared wall clock went back %" PRId64 " ns at t = %" PRId64,
                          cases[c].drift_ppb, cases[c].anchor_ns, prev - wall, t);
            prev = wall;
        }
    }
}

/* ===================================================================================
 * Read jitter.
 * =================================================================================== */

Test(clocksync, jittered_reads_stay_within_bounds_and_event_columns_are_unjittered)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 10s\n"
                 "[node.n]\nmodel = reader\ntick = 50ms\nreads = 8\nclock_jitter = 2ms\n"
                 "clock_drift = 30ppm\nclock_offset = 1s\n",
             1);
    size_t count;
    const struct logged **notes = select_logged(&r, SIM_EV_NOTE, ANY_NODE, &count);
    cr_assert_eq(count, 200u, "10 s + 300 us of local time in 50 ms ticks");
    size_t reads = 0, upper = 0, exact = 0;
    double sum = 0;
    int64_t lo = 0, hi = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t mono, walls[READS_MAX];
        int n = parse_reads(notes[i]->text, &mono, walls, READS_MAX);
        cr_assert_eq(n, 8);
        cr_assert_eq(mono, notes[i]->ev.mono_ns, "monotonic readings are never jittered");
        for (int k = 0; k < n; k++) {
            int64_t d = walls[k] - notes[i]->ev.wall_ns;
            cr_assert_leq(d, sim_ms(2));
            cr_assert_geq(d, -sim_ms(2));
            sum += (double)d;
            upper += d > 0;
            exact += d == 0;
            if (d < lo) lo = d;
            if (d > hi) hi = d;
            reads++;
        }
    }
    free(notes);
    /* uniform on [-2ms, 2ms]: the mean of 1600 reads within 5 sd (2ms/sqrt(3)/sqrt(n)) */
    cr_assert_lt(fabs(sum / (double)reads), 5 * 2e6 / sqrt(3.0) / sqrt((double)reads));
    double p = (double)upper / (double)reads;
    cr_assert_lt(fabs(p - 0.5), 5 * sqrt(0.25 / (double)reads), "above: %.3f", p);
    cr_assert_leq(exact, 2u, "a read equal to the column has probability 1/4000001");
    cr_assert_lt(lo, -sim_ms(2) + sim_us(50));
    cr_assert_gt(hi, sim_ms(2) - sim_us(50));
    run_free(&r);
}

static bool same_but_arg(const struct sim_event *a, const struct sim_event *b)
{
    struct sim_event x = *a;
    x.arg = b->arg;
    return sim_event_equal(&x, b);
}

Test(clocksync, jitter_draws_change_no_other_draw)
{
    static const char *const text =
        "[scenario]\nduration = 30s\nclock_sample = 1s\n"
        "[link.default]\ndelay = exponential 2ms\nloss = 5%\n"
        "[node.r]\nmodel = reader\ntick = 40ms\nrandom = true\nreads = 5\nclock_drift = 40ppm\n"
        "clock_sync = slew\nclock_sync_error = 5ms\nclock_sync_every = 2s\n"
        "gc_every = exponential 1s\ngc_pause = uniform 1ms 20ms\n"
        "[node.tx]\nmodel = sender\ntarget = rx\nperiod = 3ms\n"
        "[node.rx]\nmodel = gcsink\ngc_every = exponential 2s\ngc_pause = uniform 1ms 30ms\n"
        "gc_notice = 1ms\n";
    static const char *const jitter[] = {"node.r.clock_jitter=3ms"};
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct run plain, jittery;
        run_text(&plain, text, seed);
        run_text_set(&jittery, text, jitter, 1, seed);
        cr_assert_eq(plain.log.count, jittery.log.count, "seed %" PRIu64, seed);
        uint32_t reader = node_named(&plain, "r");
        size_t notes = 0, differing = 0;
        for (size_t i = 0; i < plain.log.count; i++) {
            const struct sim_event *a = &plain.log.items[i].ev, *b = &jittery.log.items[i].ev;
            if (a->kind == SIM_EV_NOTE && a->node == reader) {
                /* the same event at the same readings; only what the model read differs */
                cr_assert(same_but_arg(a, b), "seq %zu", i);
                notes++;
                differing += a->arg != b->arg;
                continue;
            }
            cr_assert(sim_event_equal(a, b), "seq %zu (%s) differs with jitter on", i,
                      sim_event_kind_name(a->kind));
        }
        cr_assert_geq(notes, 500u);
        cr_assert_eq(differing, notes, "every note read a jittered wall clock");
        cr_assert_geq(count_aux(&plain, SIM_EV_CLOCK_RATE, reader, SIM_CLOCK_BY_SLEW), 10u);
        cr_assert_geq(count_aux(&plain, SIM_EV_PAUSE, ANY_NODE, SIM_PAUSE_BY_GC), 20u);
        cr_assert_geq(count_aux(&plain, SIM_EV_DROP, ANY_NODE, SIM_DROP_LOSS), 100u);
        run_free(&plain);
        run_free(&jittery);
    }
}

/* ===================================================================================
 * GC pauses.
 * =================================================================================== */

static const char *const gc_text =
    "[scenario]\nduration = 10s\n"
    "[link.default]\ndelay = constant 1ms\n"
    "[node.svc]\nmodel = gcsink\ngc_every = uniform 300ms 700ms\ngc_pause = uniform 20ms 80ms\n"
    "gc_notice = 50ms\nclock_drift = 45ppm\n"
    "[node.tx]\nmodel = sender\ntarget = svc\nperiod = 7ms\n";

Test(clocksync, gc_pauses_are_events_queue_deliveries_and_are_announced_gc_notice_ahead)
{
    struct run r;
    run_text(&r, gc_text, 2);
    uint32_t svc = node_named(&r, "svc");
    size_t pause_count;
    const struct logged **pauses = select_logged(&r, SIM_EV_PAUSE, svc, &pause_count);
    cr_assert_geq(pause_count, 13u, "10 s at one pause per 300..700 ms");
    for (size_t i = 0; i < pause_count; i++) {
        const struct sim_event *p = &pauses[i]->ev;
        cr_assert_eq(p->aux, SIM_PAUSE_BY_GC);
        cr_assert_eq(p->obj, 0u, "a GC pause is no fault");
        cr_assert(p->arg >= sim_ms(20) && p->arg <= sim_ms(80));
        if (p->time_ns + p->arg <= r.scn.duration_ns) {
            const struct sim_event *res = find_at(&r, SIM_EV_RESUME, svc, p->time_ns + p->arg);
            cr_assert_not_null(res, "resumed after exactly its length");
            cr_assert_eq(res->aux, SIM_PAUSE_BY_GC);
        }
        /* announced exactly gc_notice before, with the length it then had */
        const struct sim_event *notice =
            find_at(&r, SIM_EV_PAUSE_NOTICE, svc, p->time_ns - sim_ms(50));
        cr_assert_not_null(notice, "pause at %" PRId64 " without its notice", p->time_ns);
        cr_assert_eq(notice->aux, 0u, "the node was free to hear it");
        cr_assert_eq((int64_t)notice->obj, p->arg);
        cr_assert_eq(notice->arg, sim_ms(50));
        const struct sim_event *claim = find_at(&r, SIM_EV_CLAIM, svc, p->time_ns - sim_ms(50));
        cr_assert_not_null(claim, "on_pause_notice ran");
        cr_assert_eq((int64_t)claim->obj, sim_ms(50), "pause_in_ns");
        cr_assert_eq((int64_t)claim->ref, p->arg, "pause_ns");
        /* gaps between pause starts are within gc_every's range */
        if (i) {
            int64_t gap = p->time_ns - pauses[i - 1]->ev.time_ns;
            cr_assert(gap >= sim_ms(300) && gap <= sim_ms(700), "gap %" PRId64, gap);
        }
    }
    cr_assert_eq(count_kind(&r, SIM_EV_CLAIM, svc), count_kind(&r, SIM_EV_PAUSE_NOTICE, svc));
    /* each delivery happens at its arrival (send + 1 ms), or, if that fell in a pause, at
     * the pause's end, the waiting ones in the order they arrived */
    size_t queued = 0, delivered = 0;
    uint64_t last_id = 0;
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *d = &r.log.items[i].ev;
        if (d->kind != SIM_EV_DELIVER) continue;
        cr_assert_gt(d->obj, last_id, "deliveries in arrival order");
        last_id = d->obj;
        int64_t arrive = d->time_ns - d->arg + sim_ms(1); /* arg is the transit time */
        int64_t want = arrive;
        for (size_t k = 0; k < pause_count; k++) {
            const struct sim_event *p = &pauses[k]->ev;
            if (arrive >= p->time_ns && arrive <= p->time_ns + p->arg) want = p->time_ns + p->arg;
        }
        cr_assert_eq(d->time_ns, want, "msg %" PRIu64 " arrived at %" PRId64, d->obj, arrive);
        queued += want != arrive;
        delivered++;
    }
    cr_assert_geq(delivered, 1300u);
    cr_assert_geq(queued, 50u, "deliveries did wait out pauses");
    /* a resume's arg counts what waited */
    for (size_t i = 0; i < r.log.count; i++) {
        const struct sim_event *res = &r.log.items[i].ev;
        if (res->kind != SIM_EV_RESUME) continue;
        size_t at_resume = 0;
        for (size_t k = i + 1; k < r.log.count && r.log.items[k].ev.time_ns == res->time_ns; k++)
            at_resume += r.log.items[k].ev.kind == SIM_EV_DELIVER;
        cr_assert_eq((size_t)res->arg, at_resume);
    }
    free(pauses);
    run_free(&r);
}

/* The (time, length) of every pause and notice of a node, as one hash. */
static uint64_t pause_fingerprint(const struct run *r, uint32_t node, size_t *count)
{
    struct sim_hash *h = sim_hash_create();
    *count = 0;
    for (size_t i = 0; i < r->log.count; i++) {
        const struct sim_event *ev = &r->log.items[i].ev;
        if (ev->node != node || (ev->kind != SIM_EV_PAUSE && ev->kind != SIM_EV_PAUSE_NOTICE))
            continue;
        struct sim_event x = {.time_ns = ev->time_ns, .kind = ev->kind, .obj = ev->obj,
                              .arg = ev->arg, .aux = ev->aux};
        sim_hash_add(h, &x);
        (*count)++;
    }
    uint64_t v = sim_hash_value(h);
    sim_hash_destroy(h);
    return v;
}

Test(clocksync, the_pause_sequence_is_the_same_whatever_the_traffic)
{
    static const char *const busier[] = {"node.tx.period=3ms"};
    static const char *const none[] = {"node.tx.messages=0"};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct run a, b, c;
        run_text(&a, gc_text, seed);
        run_text_set(&b, gc_text, busier, 1, seed);
        run_text_set(&c, gc_text, none, 1, seed);
        size_t na, nb, nc;
        uint32_t svc = node_named(&a, "svc");
        uint64_t fa = pause_fingerprint(&a, svc, &na);
        cr_assert_eq(pause_fingerprint(&b, svc, &nb), fa, "seed %" PRIu64, seed);
        cr_assert_eq(pause_fingerprint(&c, svc, &nc), fa, "seed %" PRIu64, seed);
        cr_assert_eq(na, nb);
        cr_assert_eq(na, nc);
        cr_assert_geq(na, 26u, "pauses and notices happened");
        cr_assert_gt(count_kind(&b, SIM_EV_DELIVER, svc), 2 * count_kind(&a, SIM_EV_DELIVER, svc),
                     "the traffic did differ");
        cr_assert_eq(count_kind(&c, SIM_EV_DELIVER, svc), 0u);
        run_free(&a);
        run_free(&b);
        run_free(&c);
    }
}

/* A notice due while the node is paused waits in its inbox: heard at the resume with the
 * time left if the GC pause is still ahead (run 1), missed if it has begun (run 2). */
Test(clocksync, a_notice_waits_out_a_pause_and_is_missed_once_the_gc_began)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 7500ms\n"
                 "[node.svc]\nmodel = gcsink\ngc_every = constant 1s\ngc_pause = constant 100ms\n"
                 "gc_notice = 200ms\n"
                 "[faults]\np = at 1700ms pause svc for 200ms\n",
             1);
    uint32_t svc = node_named(&r, "svc");
    size_t count;
    const struct logged **notices = select_logged(&r, SIM_EV_PAUSE_NOTICE, svc, &count);
    cr_assert_eq(count, 7u);
    cr_assert_eq(notices[1]->ev.time_ns, sim_ms(1900), "heard at the resume");
    cr_assert_eq(notices[1]->ev.aux, 0u);
    cr_assert_eq(notices[1]->ev.arg, sim_ms(100), "with the 100 ms left before the GC");
    free(notices);
    cr_assert_not_null(find_at(&r, SIM_EV_CLAIM, svc, sim_ms(1900)), "the model heard it");
    run_free(&r);
}

Test(clocksync, a_notice_is_missed_while_paused_and_a_crashed_node_takes_no_gc)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 7500ms\n"
                 "[node.svc]\nmodel = gcsink\ngc_every = constant 1s\ngc_pause = constant 100ms\n"
                 "gc_notice = 200ms\n"
                 "[faults]\np = at 1700ms pause svc for 400ms\nc = at 3500ms crash svc for 1s\n",
             1);
    uint32_t svc = node_named(&r, "svc");
    size_t count;
    const struct logged **notices = select_logged(&r, SIM_EV_PAUSE_NOTICE, svc, &count);
    /* the one due at 1.8 s waits for the resume at 2.1 s; the GC began at 2 s: missed */
    int64_t notice_at[] = {800, 2100, 2800, 4800, 5800, 6800};
    cr_assert_eq(count, 6u, "none at 3.8 s: the node was down");
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(notices[i]->ev.time_ns, sim_ms(notice_at[i]));
        cr_assert_eq(notices[i]->ev.aux, notice_at[i] == 2100 ? 1u : 0u,
                     "only the one whose GC began during the fault's pause was missed");
        cr_assert_eq((int64_t)notices[i]->ev.obj, sim_ms(100));
    }
    free(notices);
    size_t claims = count_kind(&r, SIM_EV_CLAIM, svc);
    cr_assert_eq(claims, 5u, "the model heard the notices it was free for");
    cr_assert_null(find_at(&r, SIM_EV_CLAIM, svc, sim_ms(2100)));
    const struct logged **pauses = select_logged(&r, SIM_EV_PAUSE, svc, &count);
    int64_t pause_at[] = {1000, 1700, 2000, 3000, 5000, 6000, 7000};
    cr_assert_eq(count, 7u, "no GC pause at 4 s: the node was down");
    for (size_t i = 0; i < count; i++) {
        cr_assert_eq(pauses[i]->ev.time_ns, sim_ms(pause_at[i]));
        cr_assert_eq(pauses[i]->ev.aux, pause_at[i] == 1700 ? SIM_PAUSE_BY_FAULT : SIM_PAUSE_BY_GC);
    }
    free(pauses);
    run_free(&r);
}

/* ===================================================================================
 * Crashes, claims, and what the new keys leave alone.
 * =================================================================================== */

Test(clocksync, timers_of_an_old_incarnation_never_fire_across_rate_changes)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 6s\n"
                 "[node.n]\nmodel = ticker\nfixed = 5\nfirst = 600ms\ngap = 600ms\n"
                 "restart_count = 2\n"
                 "[faults]\nd0 = at 800ms drift n to 20000ppm\nc = at 1s crash n for 1s\n"
                 "d1 = at 1500ms drift n to 50000ppm\nd2 = at 2300ms drift n to -50000ppm\n",
             1);
    uint32_t n = node_named(&r, "n");
    size_t count;
    const struct logged **fires = select_logged(&r, SIM_EV_TIMER_FIRE, n, &count);
    cr_assert_eq(count, 3u, "tag 1 before the crash, the two set at the restart");
    cr_assert_eq(fires[0]->ev.ref, 1u);
    cr_assert_eq(fires[0]->ev.time_ns, sim_ms(600));
    /* set at 2 s: +5% until 2.3 s is 315 ms local; 285 ms more at -5% is exactly 300 ms */
    cr_assert_eq(fires[1]->ev.ref, TAG_RESTART);
    cr_assert_eq(fires[1]->ev.time_ns, sim_ms(2600));
    /* 1.2 s local: 885 ms left at -5%, the smallest d with d + floor(-d/20) >= 885e6 */
    cr_assert_eq(fires[2]->ev.ref, TAG_RESTART + 1);
    cr_assert_eq(fires[2]->ev.time_ns, sim_ms(2300) + 931578948);
    free(fires);
    /* the four timers the crash killed had entries rescheduled before it (0.8 s) and were
     * passed over by the changes after it; none is pending either */
    cr_assert_eq(count_kind(&r, SIM_EV_TIMER_SET, n), 7u);
    cr_assert_eq(count_kind(&r, SIM_EV_CLOCK_RATE, n), 3u);
    for (uint32_t s = 0; s < r.world->timer_count; s++) {
        const struct sim_timer *t = &r.world->timers[s];
        cr_assert(!(t->is_live && t->incarnation == r.world->nodes[n].incarnation));
    }
    run_free(&r);
}

Test(clocksync, a_claim_is_an_event_with_its_name_as_text)
{
    struct run r;
    run_text(&r, "[scenario]\nduration = 1s\n[node.n]\nmodel = reader\ntick = 100ms\n"
                 "claim = true\nnote = false\n",
             1);
    size_t count;
    const struct logged **claims = select_logged(&r, SIM_EV_CLAIM, ANY_NODE, &count);
    cr_assert_eq(count, 10u);
    for (size_t i = 0; i < count; i++) {
        const struct sim_event *ev = &claims[i]->ev;
        int64_t k = (int64_t)i + 1;
        cr_assert_eq(ev->time_ns, sim_ms(100) * k);
        cr_assert_eq((int64_t)ev->obj, k, "a");
        cr_assert_eq((int64_t)ev->ref, -k, "b");
        cr_assert_eq(ev->arg, sim_text_hash(CLAIM_NAME), "arg is the hash of the name");
        cr_assert_str_eq(claims[i]->text, CLAIM_NAME, "observers get the name as text");
        struct sim_event_text text = {{claims[i]->text, NULL, NULL}};
        cr_assert_str_eq(oracle_claim_name(ev, &text), CLAIM_NAME);
    }
    free(claims);
    cr_assert_str_eq(sim_event_kind_name(SIM_EV_CLAIM), "claim");
    run_free(&r);
}

Test(clocksync, clock_sample_zero_and_the_new_keys_at_their_defaults_change_nothing)
{
/* a literal, so that -Wformat=2 can check it at every optimisation level */
#define DEFAULTS_BODY                                                                      \
    "[link.default]\ndelay = exponential 3ms\nloss = 2%%\n"                                 \
    "[node.t]\nmodel = ticker\nchain = 500\nmax_delay = 20ms\nclock_drift = 35ppm\n%s"     \
    "[node.tx]\nmodel = sender\ntarget = rx\nperiod = 5ms\n"                               \
    "[node.rx]\nmodel = gcsink\n%s"                                                       \
    "[faults]\nboom = at 2s crash rx for 500ms\n"
    static const char *const defaults =
        "clock_offset = 0ns\nclock_jitter = 0ns\nclock_leap = none\nclock_sync = none\n"
        "clock_sync_every = 64s\nclock_slew_max = 500ppm\nclock_step_threshold = 128ms\n";
    char plain[2048], keyed[2048];
    snprintf(plain, sizeof plain, "[scenario]\nduration = 5s\n%s", "");
    size_t used = strlen(plain);
    snprintf(plain + used, sizeof plain - used, DEFAULTS_BODY, "", "");
    snprintf(keyed, sizeof keyed, "[scenario]\nduration = 5s\nclock_sample = 0s\n");
    used = strlen(keyed);
    snprintf(keyed + used, sizeof keyed - used, DEFAULTS_BODY, defaults,
             "gc_every = none\ngc_pause = none\n");
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct run a, b;
        run_text(&a, plain, seed);
        run_text(&b, keyed, seed);
        cr_assert_eq(sim_world_hash(a.world), sim_world_hash(b.world), "seed %" PRIu64, seed);
        cr_assert_eq(a.log.count, b.log.count);
        cr_assert_geq(a.log.count, 2000u);
        cr_assert_eq(count_kind(&a, SIM_EV_CLOCK_SAMPLE, ANY_NODE), 0u);
        run_free(&a);
        run_free(&b);
    }
#undef DEFAULTS_BODY
}
