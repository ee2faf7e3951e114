/* bench/phold.c - PHOLD throughput of Murphy, from a bare reference loop up to a world
 * that records every event to SQLite.
 *
 * PHOLD: N logical processes (LPs) and P events per LP in flight; each event, when it
 * runs, schedules one new event at now + LOOKAHEAD_NS + Exp(MEAN_NS) on an LP chosen
 * uniformly. MEASUREMENTS.md uses 0.1 + Exp(1) in abstract units; here time is ns, so
 * the increment is 100us + Exp(1ms). Five forms, each run in a child process of its own
 * so that its peak RSS (getrusage in the child, at its end) is its own:
 *   bare       our own 4-ary heap on (time_ns, seq) and xoshiro256** inline: the reference
 *   scheduler  the kernel's queue (sim/queue.h) and RNG streams (sim/rng.h, GSL samplers)
 *   network    a PHOLD model on the public API, run by sim_world_run, nothing recorded
 *   recorded   the same world with the recorder observing every event
 *   recorder   the recorder alone, fed a synthetic stream shaped like the world's
 * Only the event loop is timed (plus, when recording, the final flush and commit), in wall
 * and CPU time; setup and closing the database are timed and shown apart. bench/ may read
 * the host clock (STYLE.md); nothing it times depends on it. No mutable statics. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_version.h>

#include "murphy/murphy.h"
#include "sim/diag.h"
#include "sim/dist.h"
#include "sim/inspect.h"
#include "sim/queue.h"
#include "sim/record.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define LOOKAHEAD_NS INT64_C(100000) /* 100 us */
#define MEAN_NS INT64_C(1000000)     /* 1 ms */
#define DEFAULT_EVENT_COUNT UINT64_C(5000000)
#define WORKLOADS_MAX 8
#define REPEAT_MAX 99

static const char usage[] =
    "usage: murphy_bench_phold [--events N] [--workload N:P]... [--forms LIST]\n"
    "                          [--net link|timer] [--rng per-process|shared] [--fanout K]\n"
    "                          [--db-dir DIR] [--keep-db] [--seed S] [--repeat R]\n"
    "\n"
    "PHOLD: N processes, P events each in flight; each event schedules one new event at\n"
    "now + 100us + Exp(1ms) on a uniformly chosen process. Every form runs in its own\n"
    "child process and prints events/s, the ratio to the bare loop, wall and CPU time\n"
    "and peak RSS. Forms:\n"
    "  bare       own 4-ary heap on (time_ns, seq), xoshiro256** inline (the reference)\n"
    "  scheduler  the kernel's queue (sim/queue.h) and RNG streams (sim/rng.h) + GSL\n"
    "  network    a PHOLD model on the public API, run by sim_world_run, not recorded\n"
    "  recorded   the same world with every event recorded (sim/record.h)\n"
    "  recorder   the recorder alone, fed a synthetic SEND/DELIVER stream (no world)\n"
    "\n"
    "  --events N      events per form (queue pops, or canonical events for the world\n"
    "                  forms); k and M suffixes allowed; default 5M\n"
    "  --workload N:P  a workload (repeatable); default 1000:1 and 10000:16\n"
    "  --forms LIST    comma-separated subset of the forms above; default all\n"
    "  --net MODE      how the world form schedules the next event (default link):\n"
    "                    link   on_message sends to a uniform target; the link delay is\n"
    "                           exponential 1ms plus a 100us reorder_delay on every\n"
    "                           message (reorder = 100%), so 2 canonical events per hop\n"
    "                    timer  on_message sets a timer of Exp(1ms), on_timer sends over a\n"
    "                           link of constant 100us: 4 canonical events per hop\n"
    "  --rng MODE      scheduler form: one kernel stream per process (per-process, the\n"
    "                  kernel's way, default) or one stream for all (shared)\n"
    "  --fanout K      diagnostic, not PHOLD: each process sends only to the K processes\n"
    "                  after it, which bounds the links the world creates; default 0 (all)\n"
    "  --db-dir DIR    where the recorded form's temporary database goes; default $TMPDIR\n"
    "                  or /tmp (the disk matters: a tmpfs hides the cost of writing)\n"
    "  --keep-db       leave the database behind and print its path\n"
    "  --seed S        seed of every form; default 1\n"
    "  --repeat R      run each form R times, each in a fresh process, and report the\n"
    "                  median by wall time (peak RSS: the largest); default 1\n"
    "\n"
    "Timings are of this machine; compare ratios within one invocation. Exit status: 0, 1 if\n"
    "a form failed, 2 for bad usage.\n";

enum form { FORM_BARE, FORM_SCHEDULER, FORM_NETWORK, FORM_RECORDED, FORM_RECORDER, FORM_COUNT };

static const char *const form_names[FORM_COUNT] = {"bare", "scheduler", "network", "recorded",
                                                   "recorder"};

struct workload {
    uint32_t node_count;       /* N */
    uint32_t initial_per_node; /* P */
};

struct options {
    uint64_t event_count;
    struct workload workloads[WORKLOADS_MAX];
    int workload_count;
    bool is_form_on[FORM_COUNT];
    bool is_timer_mode;        /* world forms: a timer, then a send, per hop */
    bool is_rng_shared;        /* scheduler form: one stream for every process */
    uint32_t fanout;           /* 0: targets over all N; else over the next `fanout` LPs */
    const char *db_dir;
    bool is_db_kept;
    uint64_t seed;
    int repeat_count;
};

/* What a child reports to the parent through a pipe. */
struct form_result {
    bool is_ok;
    uint64_t event_count;      /* pops (bare, scheduler) or canonical events (world) */
    uint64_t hop_count;        /* PHOLD events executed: pops, or deliveries */
    double setup_s;
    double wall_s;             /* the timed part */
    double cpu_s;              /* CPU time of the timed part, every thread of the process */
    double loop_cpu_s;         /* CPU time of the timed part, the calling thread only */
    double runq_wait_s;        /* time its threads were runnable but had no CPU; -1 unknown */
    double loop_runq_wait_s;   /* the same for the calling thread only */
    double close_s;            /* closing the database (recorded form) */
    int64_t end_ns;            /* simulated time reached */
    uint64_t check;            /* world: the event-stream hash; else a digest of counts */
    int64_t db_bytes;          /* recorded form: database + WAL after close */
    long maxrss_kib;
    char error[512];
};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu_now_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

/* The second field of a Linux schedstat file: ns runnable but waiting for a CPU. */
static bool read_runq_wait(const char *path, double *wait_s)
{
    FILE *f = fopen(path, "r");
    unsigned long long run_ns, wait_ns;
    bool is_ok = f && fscanf(f, "%llu %llu", &run_ns, &wait_ns) == 2;
    if (f) fclose(f);
    if (is_ok) *wait_s = (double)wait_ns * 1e-9;
    return is_ok;
}

/* Seconds the threads of this process have spent runnable but waiting for a CPU; -1
 * where unavailable. On a shared machine this tells a slow run from a crowded one. */
static double runq_wait_s(void)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return -1;
    double total_s = 0;
    bool has_any = false;
    for (struct dirent *d = readdir(dir); d; d = readdir(dir)) {
        if (d->d_name[0] == '.') continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", d->d_name);
        double wait_s;
        if (read_runq_wait(path, &wait_s)) {
            total_s += wait_s;
            has_any = true;
        }
    }
    closedir(dir);
    return has_any ? total_s : -1;
}

/* The same for the calling thread alone. */
static double thread_runq_wait_s(void)
{
    double wait_s;
    return read_runq_wait("/proc/thread-self/schedstat", &wait_s) ? wait_s : -1;
}

/* The timed part of a form: wall time, CPU time of every thread, and of this one (the
 * loop's; the recorder's writer thread is the other), and time spent waiting for a CPU.
 * Threads must not start or end inside it (the writer starts in sim_rec_open and ends in
 * sim_rec_close, both outside). */
struct stopwatch {
    double wall_s, cpu_s, loop_cpu_s, runq_wait_s, loop_runq_wait_s;
};

static struct stopwatch stopwatch_start(void)
{
    return (struct stopwatch){now_s(), cpu_now_s(), clock_s(CLOCK_THREAD_CPUTIME_ID),
                              runq_wait_s(), thread_runq_wait_s()};
}

static double difference_or_unknown(double end, double start)
{
    return end >= 0 && start >= 0 ? end - start : -1;
}

static void stopwatch_stop(const struct stopwatch *sw, struct form_result *r)
{
    r->wall_s = now_s() - sw->wall_s;
    r->cpu_s = cpu_now_s() - sw->cpu_s;
    r->loop_cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - sw->loop_cpu_s;
    r->runq_wait_s = difference_or_unknown(runq_wait_s(), sw->runq_wait_s);
    r->loop_runq_wait_s = difference_or_unknown(thread_runq_wait_s(), sw->loop_runq_wait_s);
}

/* The LP an event goes to: uniform over all N, or over the `fanout` LPs after `lp` (a
 * diagnostic that bounds how many links the network forms create). `draw` is uniform in
 * [0, 2^32). */
static inline uint32_t pick_target(uint32_t lp, uint32_t n, uint32_t fanout, uint64_t draw)
{
    if (!fanout) return (uint32_t)((draw * n) >> 32);
    return (uint32_t)((lp + 1 + ((draw * fanout) >> 32)) % n);
}

static void set_error(struct form_result *r, const char *what, const char *detail)
{
    r->is_ok = false;
    int used = snprintf(r->error, sizeof r->error, "%s%s%s", what, detail ? ": " : "",
                        detail ? detail : "");
    if (used >= (int)sizeof r->error) memcpy(r->error + sizeof r->error - 4, "...", 4);
}

/* FNV-1a over per-process event counts, so that the work of the loop is observable. */
static uint64_t digest_counts(const uint64_t *counts, uint32_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (uint32_t i = 0; i < n; i++) {
        h ^= counts[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* --- form 1: bare reference loop ------------------------------------------------------ */

struct bare_entry {
    int64_t time_ns;
    uint64_t seq;
    uint32_t lp;
};

struct bare_heap {
    struct bare_entry *items; /* sized for the whole population: PHOLD's is constant */
    size_t count;
    uint64_t next_seq;
};

static inline bool bare_before(const struct bare_entry *a, const struct bare_entry *b)
{
    if (a->time_ns != b->time_ns) return a->time_ns < b->time_ns;
    return a->seq < b->seq;
}

static inline void bare_push(struct bare_heap *h, int64_t time_ns, uint32_t lp)
{
    struct bare_entry moving = {time_ns, h->next_seq++, lp};
    size_t i = h->count++;
    while (i > 0) {
        size_t parent = (i - 1) / 4;
        if (!bare_before(&moving, &h->items[parent])) break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = moving;
}

/* Pops the earliest entry. The heap is never empty: PHOLD's population is constant. */
static inline struct bare_entry bare_pop(struct bare_heap *h)
{
    struct bare_entry top = h->items[0];
    struct bare_entry moving = h->items[--h->count];
    size_t count = h->count, i = 0;
    for (;;) {
        size_t first = 4 * i + 1;
        if (first >= count) break;
        size_t last = first + 4 < count ? first + 4 : count;
        size_t best = first;
        for (size_t c = first + 1; c < last; c++)
            if (bare_before(&h->items[c], &h->items[best])) best = c;
        if (!bare_before(&h->items[best], &moving)) break;
        h->items[i] = h->items[best];
        i = best;
    }
    h->items[i] = moving;
    return top;
}

/* xoshiro256** (Blackman and Vigna, public domain), seeded through splitmix64. */
struct xoshiro {
    uint64_t s[4];
};

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xoshiro_next(struct xoshiro *g)
{
    uint64_t *s = g->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

static void xoshiro_seed(struct xoshiro *g, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        uint64_t z = (x += UINT64_C(0x9E3779B97F4A7C15));
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        g->s[i] = z ^ (z >> 31);
    }
}

/* The PHOLD increment, rounded to ns: as GSL's exponential sampler, -mean*log1p(-u). */
static inline int64_t bare_increment_ns(struct xoshiro *g)
{
    double u = (double)(xoshiro_next(g) >> 11) * 0x1.0p-53;
    return LOOKAHEAD_NS + (int64_t)(-(double)MEAN_NS * log1p(-u) + 0.5);
}

static void run_bare(const struct options *o, const struct workload *w, struct form_result *r)
{
    double t_setup = now_s();
    size_t population = (size_t)w->node_count * w->initial_per_node;
    struct bare_heap h = {.items = malloc((population + 1) * sizeof *h.items)};
    uint64_t *lp_events = calloc(w->node_count, sizeof *lp_events);
    if (!h.items || !lp_events) {
        set_error(r, "out of memory", NULL);
        goto done;
    }
    struct xoshiro g;
    xoshiro_seed(&g, o->seed);
    for (uint32_t lp = 0; lp < w->node_count; lp++)
        for (uint32_t k = 0; k < w->initial_per_node; k++) bare_push(&h, bare_increment_ns(&g), lp);
    r->setup_s = now_s() - t_setup;

    int64_t now_ns = 0;
    struct stopwatch sw = stopwatch_start();
    for (uint64_t k = 0; k < o->event_count; k++) {
        struct bare_entry e = bare_pop(&h);
        now_ns = e.time_ns;
        lp_events[e.lp]++;
        /* multiply-shift on the top 32 bits: bias below n / 2^32 */
        uint32_t target = pick_target(e.lp, w->node_count, o->fanout, xoshiro_next(&g) >> 32);
        bare_push(&h, now_ns + bare_increment_ns(&g), target);
    }
    stopwatch_stop(&sw, r);
    r->event_count = r->hop_count = o->event_count;
    r->end_ns = now_ns;
    r->check = digest_counts(lp_events, w->node_count);
    r->is_ok = true;
done:
    free(h.items);
    free(lp_events);
}

/* --- form 2: the kernel's queue and RNG streams -------------------------------------- */

/* Opens the streams as the kernel names a node's ("node/NAME"), or one shared stream. */
static gsl_rng **open_streams(const struct options *o, uint32_t n)
{
    uint32_t count = o->is_rng_shared ? 1 : n;
    gsl_rng **rngs = calloc(count, sizeof *rngs);
    if (!rngs) return NULL;
    for (uint32_t i = 0; i < count; i++) {
        char name[64];
        if (o->is_rng_shared) snprintf(name, sizeof name, "phold/shared");
        else snprintf(name, sizeof name, "node/lp.%" PRIu32, i);
        rngs[i] = sim_rng_open(o->seed, name);
        if (!rngs[i]) {
            for (uint32_t j = 0; j < i; j++) gsl_rng_free(rngs[j]);
            free(rngs);
            return NULL;
        }
    }
    return rngs;
}

static void close_streams(const struct options *o, gsl_rng **rngs, uint32_t n)
{
    if (!rngs) return;
    for (uint32_t i = 0; i < (o->is_rng_shared ? 1 : n); i++) gsl_rng_free(rngs[i]);
    free(rngs);
}

/* The increment as the kernel would draw it: GSL's sampler on our generator type, then
 * the kernel's one rounding function. */
static inline int64_t kernel_increment_ns(gsl_rng *rng)
{
    return LOOKAHEAD_NS + sim_delay_round(gsl_ran_exponential(rng, (double)MEAN_NS), NULL);
}

static void run_scheduler(const struct options *o, const struct workload *w,
                          struct form_result *r)
{
    double t_setup = now_s();
    uint32_t n = w->node_count;
    struct sim_queue q;
    bool has_queue = sim_queue_init(&q, 1024) == 0; /* grows as the kernel's does */
    uint64_t *lp_events = calloc(n, sizeof *lp_events);
    gsl_rng **rngs = open_streams(o, n);
    if (!has_queue || !lp_events || !rngs) {
        set_error(r, "out of memory", NULL);
        goto done;
    }
    for (uint32_t lp = 0; lp < n; lp++) {
        gsl_rng *rng = rngs[o->is_rng_shared ? 0 : lp];
        for (uint32_t k = 0; k < w->initial_per_node; k++)
            if (sim_queue_push(&q, kernel_increment_ns(rng), 0, lp, 0) == UINT64_MAX) {
                set_error(r, "out of memory", NULL);
                goto done;
            }
    }
    r->setup_s = now_s() - t_setup;

    struct sim_qentry e = {0};
    bool is_out_of_memory = false;
    struct stopwatch sw = stopwatch_start();
    for (uint64_t k = 0; k < o->event_count; k++) {
        sim_queue_pop(&q, &e);
        uint32_t lp = e.a;
        lp_events[lp]++;
        gsl_rng *rng = rngs[o->is_rng_shared ? 0 : lp];
        /* the kernel's unbiased draw when over all N (what a model would get from it) */
        uint32_t target = o->fanout ? pick_target(lp, n, o->fanout, sim_rng_u64(rng) >> 32)
                                    : (uint32_t)sim_rng_below(rng, n);
        if (sim_queue_push(&q, e.time_ns + kernel_increment_ns(rng), 0, target, 0) ==
            UINT64_MAX)
            is_out_of_memory = true;
    }
    stopwatch_stop(&sw, r);
    if (is_out_of_memory) {
        set_error(r, "out of memory", NULL);
        goto done;
    }
    r->event_count = r->hop_count = o->event_count;
    r->end_ns = e.time_ns;
    r->check = digest_counts(lp_events, n);
    r->is_ok = true;
done:
    if (has_queue) sim_queue_deinit(&q);
    free(lp_events);
    close_streams(o, rngs, n);
}

/* --- forms 3 and 4: a PHOLD model on the public API ---------------------------------- */

/* Per-node state; parameters are read once, at start (a lookup is a string compare). */
struct phold_state {
    uint64_t delivered;
    int64_t mean_ns;
    uint32_t node_count;
    uint32_t fanout;
    bool is_timer_mode;
};

static const struct murphy_param_spec phold_params[] = {
    {"initial", MURPHY_PARAM_INT, "1", 1, 1000000, "messages each node sends at start (P)"},
    {"use_timer", MURPHY_PARAM_BOOL, "false", 0, 0,
     "wait Exp(mean) on a timer before sending, instead of leaving it to the link"},
    {"mean", MURPHY_PARAM_DURATION, "1ms", 1, SIM_DELAY_NS_MAX, "timer mode: the Exp mean"},
    {"fanout", MURPHY_PARAM_INT, "0", 0, SIM_NODES_MAX,
     "0: send to any node; K: only to the K nodes after this one"},
};

static void phold_send(struct murphy_node *node, const struct phold_state *st)
{
    uint32_t target = pick_target(murphy_node_index(node), st->node_count, st->fanout,
                                  murphy_rand_u64(node) >> 32);
    murphy_send(node, target, MURPHY_CLASS_BACKGROUND, NULL, 0);
}

static void phold_on_start(struct murphy_node *node)
{
    struct phold_state *st = murphy_volatile(node);
    st->node_count = murphy_node_count(node);
    st->mean_ns = murphy_param_i64(node, "mean");
    st->is_timer_mode = murphy_param_bool(node, "use_timer");
    st->fanout = (uint32_t)murphy_param_i64(node, "fanout");
    int64_t initial = murphy_param_i64(node, "initial");
    for (int64_t k = 0; k < initial; k++) phold_send(node, st);
}

static void phold_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    (void)msg;
    struct phold_state *st = murphy_volatile(node);
    st->delivered++;
    if (st->is_timer_mode) murphy_timer_set(node, murphy_rand_exp_ns(node, st->mean_ns), 0);
    else phold_send(node, st);
}

static void phold_on_timer(struct murphy_node *node, uint64_t timer_tag)
{
    (void)timer_tag;
    phold_send(node, murphy_volatile(node));
}

static const struct murphy_model phold_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "bench_phold",
    .summary = "PHOLD: each message received sends one to a uniformly chosen node",
    .volatile_bytes = sizeof(struct phold_state),
    .params = phold_params,
    .param_count = sizeof phold_params / sizeof phold_params[0],
    .on_start = phold_on_start,
    .on_message = phold_on_message,
    .on_timer = phold_on_timer,
};

static const struct murphy_model *const phold_models[] = {&phold_model};
static const struct murphy_model_set phold_model_set = {phold_models, 1, NULL, 0};

/* The scenario, in memory. Link mode: the link's delay is the whole increment, its
 * lookahead added by a reorder_delay that every message takes (reorder = 100%): the
 * kernel's distributions have no shift, and the draw pattern per send is fixed anyway.
 * Timer mode: the link is the lookahead, a timer the exponential part. */
static int scenario_text(const struct options *o, const struct workload *w, char *out,
                         size_t out_bytes)
{
    char link[256];
    if (o->is_timer_mode)
        snprintf(link, sizeof link, "delay = constant %" PRId64 "ns\n", LOOKAHEAD_NS);
    else
        snprintf(link, sizeof link,
                 "delay = exponential %" PRId64 "ns\nreorder = 100%%\n"
                 "reorder_delay = %" PRId64 "ns\n", MEAN_NS, LOOKAHEAD_NS);
    int used = snprintf(out, out_bytes,
                        "[scenario]\nname = bench-phold\nduration = 8760h\n"
                        "max_events = %" PRIu64 "\n\n"
                        "[node.lp]\nmodel = bench_phold\ncount = %" PRIu32 "\n"
                        "initial = %" PRIu32 "\nuse_timer = %s\nmean = %" PRId64 "ns\n"
                        "fanout = %" PRIu32 "\n\n[link.default]\n%s",
                        o->event_count, w->node_count, w->initial_per_node,
                        o->is_timer_mode ? "true" : "false", MEAN_NS, o->fanout, link);
    return used > 0 && (size_t)used < out_bytes ? used : -1;
}

/* A temporary database under its own directory, removed with its WAL and SHM files. */
struct temp_db {
    char dir[1024];
    char path[1100];
};

static int temp_db_make(const struct options *o, struct temp_db *t)
{
    snprintf(t->dir, sizeof t->dir, "%s/murphy-bench-XXXXXX", o->db_dir);
    if (!mkdtemp(t->dir)) return -1;
    snprintf(t->path, sizeof t->path, "%s/phold.db", t->dir);
    return 0;
}

static int64_t temp_db_bytes_and_remove(const struct options *o, const struct temp_db *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    int64_t bytes = 0;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[1200];
        struct stat sb;
        snprintf(path, sizeof path, "%s%s", t->path, suffixes[i]);
        if (stat(path, &sb) != 0) continue;
        if (i != 2) bytes += (int64_t)sb.st_size; /* the SHM index is not data */
        if (!o->is_db_kept) unlink(path);
    }
    if (!o->is_db_kept) rmdir(t->dir);
    return bytes;
}

static void iso_now(char *out, size_t out_bytes)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, out_bytes, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Opens the database and begins the run; returns the recorder or NULL with r->error. */
static struct sim_recorder *recording_begin(const struct sim_world *world,
                                            const struct temp_db *t, struct form_result *r)
{
    struct sim_diag diag;
    struct sim_recorder *rec = NULL;
    char started_at[32];
    iso_now(started_at, sizeof started_at);
    struct sim_run_meta meta = {
        .program_version = MURPHY_VERSION, .model_libs = "", .host = "bench",
        .pid = (int64_t)getpid(), .started_at = started_at, .platform = "linux-x86_64-glibc",
        .glibc_version = "", .gsl_version = GSL_VERSION,
    };
    int64_t run_id = 0;
    if (sim_rec_open(t->path, &rec, &diag) != SIM_OK) {
        set_error(r, t->path, diag.message);
        return NULL;
    }
    if (sim_rec_begin_run(rec, world, &meta, &run_id, &diag) != SIM_OK) {
        set_error(r, t->path, diag.message);
        sim_rec_close(rec);
        return NULL;
    }
    return rec;
}

static bool recording_end(struct sim_recorder *rec, struct sim_world *world,
                          enum sim_run_end end, struct form_result *r)
{
    char ended_at[32];
    iso_now(ended_at, sizeof ended_at);
    struct sim_run_result result = {
        .status = "ok", .end_reason = sim_run_end_name(end), .ended_at = ended_at,
        .end_ns = sim_world_now_ns(world), .event_count = sim_world_event_count(world),
        .event_hash = sim_world_hash(world), .violation_count = 0,
        .clamp_count = sim_world_clamp_count(world),
    };
    struct sim_diag diag;
    if (sim_rec_end_run(rec, &result, &diag) != SIM_OK) {
        set_error(r, "recording", diag.message);
        return false;
    }
    return true;
}

static uint64_t delivered_total(const struct sim_world *world)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < sim_inspect_node_count(world); i++) {
        const struct phold_state *st = sim_inspect_node_volatile(world, i);
        total += st->delivered;
    }
    return total;
}

static int load_scenario(const struct options *o, const struct workload *w,
                         struct sim_scenario *scn, struct form_result *r)
{
    char text[2048];
    struct sim_diag diag;
    int len = scenario_text(o, w, text, sizeof text);
    if (len < 0) {
        set_error(r, "scenario text too long", NULL);
        return -1;
    }
    if (sim_scn_load_text("bench-phold.ini", text, (size_t)len, NULL, 0, &phold_model_set, scn,
                          &diag) != SIM_OK) {
        char message[1200];
        sim_diag_format(&diag, message, sizeof message);
        set_error(r, "scenario", message);
        return -1;
    }
    return 0;
}

/* A recorder on a temporary database, from sim_rec_open to removing the files. */
struct recording {
    struct temp_db t;
    bool has_db;
    struct sim_recorder *rec;
};

static int recording_open(const struct options *o, const struct sim_world *world,
                          struct recording *g, struct form_result *r)
{
    if (temp_db_make(o, &g->t) != 0) {
        set_error(r, o->db_dir, strerror(errno));
        return -1;
    }
    g->has_db = true;
    g->rec = recording_begin(world, &g->t, r);
    return g->rec ? 0 : -1;
}

/* Closes the database (timed apart: SQLite checkpoints the WAL here) and removes it. */
static void recording_close(const struct options *o, struct recording *g, struct form_result *r)
{
    if (g->rec) {
        double t_close = now_s();
        sim_rec_close(g->rec);
        r->close_s = now_s() - t_close;
    }
    if (g->has_db) {
        r->db_bytes = temp_db_bytes_and_remove(o, &g->t);
        if (o->is_db_kept) fprintf(stderr, "murphy_bench_phold: kept %s\n", g->t.path);
    }
}

static void run_world(const struct options *o, const struct workload *w, bool is_recorded,
                      struct form_result *r)
{
    double t_setup = now_s();
    struct sim_scenario scn = {0};
    struct sim_diag diag;
    struct sim_world *world = NULL;
    struct recording g = {0};
    bool has_scenario = load_scenario(o, w, &scn, r) == 0;
    if (!has_scenario) goto done;
    if (sim_world_create(&scn, o->seed, &world, &diag) != SIM_OK) {
        set_error(r, "world", diag.message);
        goto done;
    }
    if (is_recorded) {
        if (recording_open(o, world, &g, r) != 0) goto done;
        struct sim_observer obs = sim_rec_observer(g.rec);
        sim_world_add_observer(world, &obs);
    }
    r->setup_s = now_s() - t_setup;

    struct stopwatch sw = stopwatch_start();
    enum sim_run_end end = sim_world_run(world, UINT64_MAX, NULL);
    bool is_recorded_ok = !g.rec || recording_end(g.rec, world, end, r);
    stopwatch_stop(&sw, r);
    if (!is_recorded_ok) goto done;
    if (end != SIM_END_BUDGET) {
        set_error(r, "the run ended before its event budget", sim_run_end_name(end));
        goto done;
    }
    r->event_count = sim_world_event_count(world);
    r->hop_count = delivered_total(world);
    r->end_ns = sim_world_now_ns(world);
    r->check = sim_world_hash(world);
    r->is_ok = true;
done:
    recording_close(o, &g, r);
    sim_world_destroy(world);
    if (has_scenario) sim_scn_free(&scn);
}

/* --- form 5: the recorder alone ----------------------------------------------------------- */

/* A stream shaped like the link-mode world's (SEND then DELIVER of each message, between
 * uniformly chosen nodes, times advancing), fed straight to the recorder's observer: what
 * the recorder costs with no world in front of it. */
static void synthetic_event(struct xoshiro *g, const struct sim_scenario *scn, uint64_t seq,
                            struct sim_event *ev)
{
    bool is_send = (seq & 1) == 0;
    if (is_send) {
        ev->node = (uint32_t)(((xoshiro_next(g) >> 32) * scn->node_count) >> 32);
        ev->peer = (uint32_t)(((xoshiro_next(g) >> 32) * scn->node_count) >> 32);
        ev->obj = seq / 2 + 1;
        ev->arg = 0;
    } else {
        uint32_t source = ev->node;
        ev->node = ev->peer;
        ev->peer = source;
        ev->arg = LOOKAHEAD_NS + (int64_t)(xoshiro_next(g) >> 44); /* transit ns */
    }
    ev->seq = seq;
    ev->time_ns = (int64_t)seq * 1000;
    ev->kind = is_send ? SIM_EV_SEND : SIM_EV_DELIVER;
    ev->aux = MURPHY_CLASS_BACKGROUND;
    ev->ref = 0;
    ev->mono_ns = ev->time_ns;
    ev->wall_ns = scn->wall_start_ns + ev->time_ns;
}

static void run_recorder(const struct options *o, const struct workload *w,
                         struct form_result *r)
{
    double t_setup = now_s();
    struct sim_scenario scn = {0};
    struct recording g = {0};
    struct sim_world *world = NULL; /* never run: it only names the run's faults */
    struct sim_diag world_diag;
    bool has_scenario = load_scenario(o, w, &scn, r) == 0;
    if (has_scenario && sim_world_create(&scn, o->seed, &world, &world_diag) != SIM_OK) {
        set_error(r, "world", world_diag.message);
        goto done;
    }
    if (!has_scenario || recording_open(o, world, &g, r) != 0) goto done;
    struct sim_observer obs = sim_rec_observer(g.rec);
    struct xoshiro gen;
    xoshiro_seed(&gen, o->seed);
    struct sim_event ev = {0};
    const struct sim_event_text no_text = {{NULL, NULL, NULL}};
    r->setup_s = now_s() - t_setup;

    struct stopwatch sw = stopwatch_start();
    for (uint64_t seq = 0; seq < o->event_count; seq++) {
        synthetic_event(&gen, &scn, seq, &ev);
        obs.on_event(obs.ctx, &ev, &no_text);
    }
    char ended_at[32];
    iso_now(ended_at, sizeof ended_at);
    struct sim_run_result result = {
        .status = "ok", .end_reason = "synthetic stream", .ended_at = ended_at,
        .end_ns = ev.time_ns, .event_count = o->event_count,
    };
    struct sim_diag diag;
    bool is_ok = sim_rec_end_run(g.rec, &result, &diag) == SIM_OK;
    stopwatch_stop(&sw, r);
    if (!is_ok) {
        set_error(r, "recording", diag.message);
        goto done;
    }
    r->event_count = o->event_count;
    r->hop_count = o->event_count / 2;
    r->end_ns = ev.time_ns;
    r->is_ok = true;
done:
    recording_close(o, &g, r);
    sim_world_destroy(world);
    if (has_scenario) sim_scn_free(&scn);
}

/* --- running forms in child processes --------------------------------------------------- */

static void run_form(const struct options *o, const struct workload *w, enum form f,
                     struct form_result *r)
{
    switch (f) {
    case FORM_BARE: run_bare(o, w, r); break;
    case FORM_SCHEDULER: run_scheduler(o, w, r); break;
    case FORM_NETWORK: run_world(o, w, false, r); break;
    case FORM_RECORDED: run_world(o, w, true, r); break;
    case FORM_RECORDER: run_recorder(o, w, r); break;
    case FORM_COUNT: break;
    }
}

static bool write_all(int fd, const void *buf, size_t bytes)
{
    const unsigned char *p = buf;
    while (bytes) {
        ssize_t n = write(fd, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        bytes -= (size_t)n;
    }
    return true;
}

static bool read_all(int fd, void *buf, size_t bytes)
{
    unsigned char *p = buf;
    while (bytes) {
        ssize_t n = read(fd, p, bytes);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        bytes -= (size_t)n;
    }
    return true;
}

/* Runs one form in a fresh child; its peak RSS is read by the child itself at its end
 * (getrusage RUSAGE_SELF), so it is that form's alone plus what it inherited at fork. */
static void run_in_child(const struct options *o, const struct workload *w, enum form f,
                         struct form_result *out)
{
    memset(out, 0, sizeof *out);
    int fds[2];
    if (pipe(fds) != 0) {
        set_error(out, "pipe", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        set_error(out, "fork", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        struct form_result r;
        memset(&r, 0, sizeof r);
        run_form(o, w, f, &r);
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) r.maxrss_kib = ru.ru_maxrss;
        _exit(write_all(fds[1], &r, sizeof r) ? 0 : 1);
    }
    close(fds[1]);
    bool has_result = read_all(fds[0], out, sizeof *out);
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!has_result || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char why[64];
        if (WIFSIGNALED(status)) snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
        else snprintf(why, sizeof why, "exit status %d", WEXITSTATUS(status));
        set_error(out, "the child process failed", why);
    }
}

static int by_wall(const void *a, const void *b)
{
    const struct form_result *x = a, *y = b;
    return (x->wall_s > y->wall_s) - (x->wall_s < y->wall_s);
}

/* The median run by wall time, with the largest peak RSS of the repeats. */
static void run_repeated(const struct options *o, const struct workload *w, enum form f,
                         struct form_result *out)
{
    struct form_result runs[REPEAT_MAX];
    long maxrss_kib = 0;
    for (int i = 0; i < o->repeat_count; i++) {
        run_in_child(o, w, f, &runs[i]);
        if (!runs[i].is_ok) {
            *out = runs[i];
            return;
        }
        if (runs[i].maxrss_kib > maxrss_kib) maxrss_kib = runs[i].maxrss_kib;
    }
    qsort(runs, (size_t)o->repeat_count, sizeof runs[0], by_wall);
    *out = runs[o->repeat_count / 2];
    out->maxrss_kib = maxrss_kib;
}

/* --- output ---------------------------------------------------------------------------- */

static void format_rate(double per_s, char *out, size_t out_bytes)
{
    if (per_s >= 1e6) snprintf(out, out_bytes, "%.2f M", per_s / 1e6);
    else snprintf(out, out_bytes, "%.1f k", per_s / 1e3);
}

static void print_header(void)
{
    printf("  %-10s %10s %8s %8s %8s %10s %7s %11s %7s %8s  %s\n", "form", "events", "wall s",
           "CPU s", "runq s", "events/s", "x bare", "PHOLD ev/s", "x bare", "RSS MiB", "check");
}

static void print_result(enum form f, const struct form_result *r, const struct form_result *bare)
{
    if (!r->is_ok) {
        printf("  %-10s  FAILED: %s\n", form_names[f], r->error);
        return;
    }
    double per_s = (double)r->event_count / r->wall_s;
    double hops_per_s = (double)r->hop_count / r->wall_s;
    char rate[32], hops[32], ratio[16] = "-", hop_ratio[16] = "-";
    format_rate(per_s, rate, sizeof rate);
    format_rate(hops_per_s, hops, sizeof hops);
    if (bare && bare->is_ok) {
        snprintf(ratio, sizeof ratio, "%.3f", per_s * bare->wall_s / (double)bare->event_count);
        snprintf(hop_ratio, sizeof hop_ratio, "%.3f",
                 hops_per_s * bare->wall_s / (double)bare->hop_count);
    }
    printf("  %-10s %10" PRIu64 " %8.3f %8.3f %8.3f %10s %7s %11s %7s %8.1f  %016" PRIx64 "\n",
           form_names[f], r->event_count, r->wall_s, r->cpu_s, r->runq_wait_s, rate, ratio, hops,
           hop_ratio, (double)r->maxrss_kib / 1024.0, r->check);
}

static void print_database(const char *form, const struct form_result *r)
{
    printf("  %s: setup %.3f s, closing the database %.3f s; database %.1f MiB, "
           "%.1f bytes/row\n", form, r->setup_s, r->close_s, (double)r->db_bytes / 1048576.0,
           (double)r->db_bytes / (double)r->event_count);
}

/* What recording adds to the same run, on the wall clock (what the loop waits for) and in
 * CPU (what the writer thread spends, overlapped or not), and the recorder on its own. */
static void print_recording_cost(const struct form_result *results, const bool *is_on)
{
    const struct form_result *net = &results[FORM_NETWORK], *rec = &results[FORM_RECORDED];
    const struct form_result *alone = &results[FORM_RECORDER];
    if (is_on[FORM_RECORDED] && rec->is_ok) print_database("recorded", rec);
    if (is_on[FORM_NETWORK] && is_on[FORM_RECORDED] && net->is_ok && rec->is_ok) {
        double rows = (double)rec->event_count;
        printf("  recording adds %+.3f s wall (%+.0f ns/event) and %+.3f s CPU "
               "(%+.0f ns/row) to the unrecorded run\n", rec->wall_s - net->wall_s,
               (rec->wall_s - net->wall_s) * 1e9 / rows, rec->cpu_s - net->cpu_s,
               (rec->cpu_s - net->cpu_s) * 1e9 / rows);
        double loop_runq_s = rec->loop_runq_wait_s > 0 ? rec->loop_runq_wait_s : 0;
        printf("  recorded: of %.3f s wall the loop's thread ran %.3f s, waited %.3f s for a CPU"
               "\n  and %.3f s for the writer (which ran %.3f s)\n", rec->wall_s,
               rec->loop_cpu_s, loop_runq_s, rec->wall_s - rec->loop_cpu_s - loop_runq_s,
               rec->cpu_s - rec->loop_cpu_s);
        printf("  event-stream hash: %s\n",
               net->check == rec->check ? "recorded = unrecorded (observers change nothing)"
                                        : "DIFFERS between recorded and unrecorded: a bug");
    }
    if (is_on[FORM_RECORDER] && alone->is_ok) {
        char rate[32];
        format_rate((double)alone->event_count / alone->wall_s, rate, sizeof rate);
        print_database("recorder", alone);
        printf("  recorder alone: %s rows/s; per row %.0f ns CPU on the writer thread, %.0f ns "
               "on the caller's\n", rate,
               (alone->cpu_s - alone->loop_cpu_s) * 1e9 / (double)alone->event_count,
               alone->loop_cpu_s * 1e9 / (double)alone->event_count);
    }
}

/* Returns the number of forms that failed. */
static int run_workload(const struct options *o, const struct workload *w)
{
    struct options ow = *o;
    if (ow.fanout >= w->node_count) ow.fanout = 0; /* as many as there are: all of them */
    printf("\nN=%" PRIu32 " P=%" PRIu32 "%s\n", w->node_count, w->initial_per_node,
           ow.fanout ? " (fanout-limited targets)" : "");
    print_header();
    struct form_result results[FORM_COUNT];
    memset(results, 0, sizeof results);
    int failed = 0;
    for (int f = 0; f < FORM_COUNT; f++) {
        if (!ow.is_form_on[f]) continue;
        run_repeated(&ow, w, (enum form)f, &results[f]);
        if (!results[f].is_ok) failed++;
        print_result((enum form)f, &results[f],
                     ow.is_form_on[FORM_BARE] ? &results[FORM_BARE] : NULL);
        fflush(stdout);
    }
    print_recording_cost(results, ow.is_form_on);
    return failed;
}

/* --- options ------------------------------------------------------------------------------- */

/* Digits with an optional k or M suffix; > 0. */
static int parse_count(const char *text, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (text[0] < '0' || text[0] > '9') return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text) return -1;
    uint64_t scale = 1;
    if (*end == 'k') scale = 1000, end++;
    else if (*end == 'M') scale = 1000000, end++;
    if (*end != '\0' || v == 0 || v > max / scale) return -1;
    *out = (uint64_t)v * scale;
    return 0;
}

static int parse_workload(const char *text, struct workload *w)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    char *colon = strchr(buf, ':');
    if (!colon) return -1;
    *colon = '\0';
    uint64_t n, p;
    if (parse_count(buf, SIM_NODES_MAX, &n) != 0 || parse_count(colon + 1, 1000000, &p) != 0)
        return -1;
    w->node_count = (uint32_t)n;
    w->initial_per_node = (uint32_t)p;
    return 0;
}

static int parse_forms(const char *text, struct options *o)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    memset(o->is_form_on, 0, sizeof o->is_form_on);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int f = 0; f < FORM_COUNT; f++)
            if (strcmp(tok, form_names[f]) == 0) found = f;
        if (found < 0) return -1;
        o->is_form_on[found] = true;
    }
    return 0;
}

static bool takes_value(const char *name)
{
    static const char *const names[] = {"--events", "--workload", "--forms", "--net", "--rng",
                                        "--db-dir", "--seed", "--fanout", "--repeat"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) return true;
    return false;
}

/* Applies one option that takes a value; returns 0, or -1 for a bad value. */
static int apply_option(struct options *o, const char *name, const char *v)
{
    uint64_t x;
    if (strcmp(name, "--events") == 0) return parse_count(v, UINT64_C(1) << 40, &o->event_count);
    if (strcmp(name, "--workload") == 0) {
        if (o->workload_count == WORKLOADS_MAX) return -1;
        return parse_workload(v, &o->workloads[o->workload_count++]);
    }
    if (strcmp(name, "--forms") == 0) return parse_forms(v, o);
    if (strcmp(name, "--net") == 0) {
        o->is_timer_mode = strcmp(v, "timer") == 0;
        return o->is_timer_mode || strcmp(v, "link") == 0 ? 0 : -1;
    }
    if (strcmp(name, "--rng") == 0) {
        o->is_rng_shared = strcmp(v, "shared") == 0;
        return o->is_rng_shared || strcmp(v, "per-process") == 0 ? 0 : -1;
    }
    if (strcmp(name, "--db-dir") == 0) {
        o->db_dir = v;
        return 0;
    }
    if (strcmp(name, "--seed") == 0) {
        if (strcmp(v, "0") == 0) return o->seed = 0, 0;
        return parse_count(v, UINT64_MAX, &o->seed);
    }
    if (strcmp(name, "--fanout") == 0) {
        if (strcmp(v, "0") == 0) return o->fanout = 0, 0;
        if (parse_count(v, SIM_NODES_MAX, &x) != 0) return -1;
        o->fanout = (uint32_t)x;
        return 0;
    }
    if (strcmp(name, "--repeat") == 0) {
        if (parse_count(v, REPEAT_MAX, &x) != 0) return -1;
        o->repeat_count = (int)x;
        return 0;
    }
    return -1; /* takes_value() and this function list the same options */
}

/* Returns 0 to run, 1 when help was printed, 2 on bad usage. */
static int parse_options(int argc, char **argv, struct options *o)
{
    const char *tmp = getenv("TMPDIR");
    *o = (struct options){.event_count = DEFAULT_EVENT_COUNT, .seed = 1, .repeat_count = 1,
                          .db_dir = tmp && *tmp ? tmp : "/tmp"};
    for (int f = 0; f < FORM_COUNT; f++) o->is_form_on[f] = true;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        }
        if (strcmp(argv[i], "--keep-db") == 0) {
            o->is_db_kept = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = !takes_value(argv[i]) ? -2 : v ? apply_option(o, argv[i], v) : -1;
        if (rc == 0) {
            i++;
            continue;
        }
        if (rc == -2) fprintf(stderr, "murphy_bench_phold: unknown option '%s'\n", argv[i]);
        else if (!v) fprintf(stderr, "murphy_bench_phold: '%s' needs a value\n", argv[i]);
        else fprintf(stderr, "murphy_bench_phold: bad value '%s' for %s\n", v, argv[i]);
        fputs("(see murphy_bench_phold --help)\n", stderr);
        return 2;
    }
    if (o->workload_count == 0) {
        o->workloads[o->workload_count++] = (struct workload){1000, 1};
        o->workloads[o->workload_count++] = (struct workload){10000, 16};
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0) return rc == 1 ? 0 : 2;
    char started[32];
    iso_now(started, sizeof started);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("murphy_bench_phold %s, %s, seed %" PRIu64 ", %" PRIu64 " events per form%s\n",
           MURPHY_VERSION, started, o.seed, o.event_count,
           o.repeat_count > 1 ? " (median of repeats)" : "");
    printf("increment: %" PRId64 "ns lookahead + Exp(%" PRId64 "ns), in simulated ns\n",
           LOOKAHEAD_NS, MEAN_NS);
    printf("scheduler form: %s\nworld forms: %s\n",
           o.is_rng_shared ? "one shared kernel RNG stream" : "one kernel RNG stream per process",
           o.is_timer_mode ? "timer mode: a timer of Exp(1ms), then a send over a constant 100us "
                         "link (4 events per hop)"
                       : "link mode: a send over an exponential 1ms link + 100us reorder_delay "
                         "(2 events per hop)");
    if (o.fanout) printf("targets: the %" PRIu32 " processes after the sender (diagnostic)\n",
                         o.fanout);
    printf("events/s: queue pops (bare, scheduler) or canonical events (world, recorder); "
           "PHOLD ev/s:\npops or deliveries. CPU s: every thread. runq s: time its threads "
           "were runnable but\nhad no CPU (other processes had it: a crowded run, not a slow "
           "one). RSS: peak of each\nform's child process; the parent (inherited at fork) "
           "holds %.1f MiB. check: digest\nof per-process counts, or the event-stream hash.\n",
           (double)ru.ru_maxrss / 1024.0);
    int failed = 0;
    for (int i = 0; i < o.workload_count; i++) failed += run_workload(&o, &o.workloads[i]);
    return failed ? 1 : 0;
}
