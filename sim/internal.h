/* sim/internal.h - the kernel's private structures, shared by the files of sim/ only.
 * `struct murphy_node` (opaque to models) is a node of the world. */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "assert.h"
#include "event.h"
#include "murphy/murphy.h"
#include "queue.h"
#include "rng.h"
#include "scenario.h"
#include "u64map.h"
#include "units.h"
#include "world.h"

/* Queue entry types (struct sim_qentry.type). */
enum sim_qtype {
    SIM_Q_START,     /* a = node */
    SIM_Q_TIMER,     /* a = timer slot, b = slot generation */
    SIM_Q_ARRIVE,    /* a = message slot */
    SIM_Q_WORK_DONE, /* a = node, b = the node's work generation */
    SIM_Q_FAULT,     /* a = fault index */
    SIM_Q_RESUME,    /* a = node, b = the node's pause generation */
    SIM_Q_CLOCK,     /* a = node, b = enum sim_clock_job | the node's clock generation << 8 */
    SIM_Q_GC,        /* a = node, b = 0: announce the planned pause, 1: start it */
    SIM_Q_SAMPLE,    /* sample every node's clock offsets */
};

/* Clock work the kernel schedules for a node (SIM_Q_CLOCK). */
enum sim_clock_job {
    SIM_CLOCK_JOB_SYNC,     /* measure and correct (the sync policy's period) */
    SIM_CLOCK_JOB_SLEW_END, /* the current slew has corrected what it was for */
    SIM_CLOCK_JOB_LEAP,     /* a leap second: step back (clock_leap = step) */
};

/* A node's clocks as piecewise-linear functions of true time: from the anchor, both
 * readings advance at (1 + drift_ppb / 1e9) per true ns. A rate change (drift fault, slew)
 * moves the anchor to now; a step moves only anchor_wall_ns. A leap smear is applied on
 * top of the wall reading, as a function of true time (clock.c). */
struct sim_clock {
    int64_t anchor_true_ns;
    int64_t anchor_mono_ns;
    int64_t anchor_wall_ns;
    int64_t anchor_rem;       /* both readings' fraction of a ns at the anchor, in 1e-9 ns
                                 [0, 1e9): kept across re-anchors, so a reading rounds
                                 once, never once per rate change */
    int64_t drift_ppb;        /* base_drift_ppb + slew_ppb: the rate both clocks run at */
    int64_t base_drift_ppb;   /* the oscillator's own error (drift faults change it) */
    int64_t slew_ppb;         /* the sync discipline's correction in force */
    int64_t leap_at_ns;       /* true time of the leap; -1 for none */
    enum sim_leap_policy leap;
    int64_t wall_start_ns;    /* the reference reading at true time 0 */
};

/* Something waiting for a paused or busy node, in arrival order. */
enum sim_inbox_kind {
    SIM_INBOX_MESSAGE,
    SIM_INBOX_TIMER,
    SIM_INBOX_NOTICE, /* a planned pause's notice (slot unused): heard if still ahead */
};
struct sim_inbox_item {
    enum sim_inbox_kind kind;
    uint32_t slot;     /* message slot or timer slot */
    int64_t start_ns;  /* NOTICE: when its pause starts (the next plan may be drawn first) */
    int64_t pause_ns;  /* NOTICE: how long it lasts */
};

struct sim_work_item {
    uint64_t work_id;
    int64_t duration_ns;
};

/* A FIFO ring that grows geometrically; element type fixed per instance. */
struct sim_ring {
    void *items;
    size_t item_bytes;
    size_t head;
    size_t count;
    size_t cap;
};

/* A message a Byzantine node sent, kept for its replay policy. */
struct sim_byz_sent {
    uint64_t msg_id;
    enum murphy_class traffic_class;
    unsigned char *payload;    /* owned, kept across reuse */
    size_t payload_bytes;
    size_t payload_cap;
};

#define SIM_BYZ_REPLAY_MAX 8u

/* A node's lying (sim/byz.c), allocated when a byzantine fault first reaches it. */
struct sim_byz {
    uint32_t fault_index;      /* the byzantine fault in force: policies and their args */
    gsl_rng *rng[SIM_BYZ_POLICY_COUNT]; /* "byz/NODE/POLICY", opened on first use */
    struct sim_byz_sent sent[SIM_BYZ_REPLAY_MAX]; /* a ring of what the model sent */
    uint32_t sent_count, sent_next;
    unsigned char *out;        /* the bytes that go out instead, reused */
    size_t out_cap;
};

struct murphy_node {
    struct sim_world *world;
    uint32_t index;
    char name[SIM_NAME_BYTES_MAX];
    const struct sim_group *group;
    const struct murphy_model *model;
    void *durable;
    void *volatile_state;
    gsl_rng *rng;              /* stream "node/NAME" */
    struct sim_clock clock;
    gsl_rng *jitter_rng;       /* "clock/NAME/jitter", only with clock_jitter */
    gsl_rng *sync_rng;         /* "clock/NAME/sync", only for sync without a server */
    gsl_rng *gc_rng;           /* "gc/NAME", only with gc_every */
    uint64_t clock_generation; /* bumped when a slew is replaced: older SLEW_END die */
    uint64_t sync_query_msg_id; /* the time query awaiting its answer; 0 for none */
    int64_t gc_pause_ns;       /* the planned pause, drawn with its time */
    int64_t gc_start_ns;       /* when it starts */
    uint32_t incarnation;      /* bumped by each crash */
    bool is_crashed;
    bool is_paused;
    uint64_t pause_generation; /* matches the pending RESUME entry */
    uint32_t pause_fault;      /* the fault whose pause is in force */
    int64_t paused_until_ns;
    bool is_busy;              /* the CPU runs work */
    uint64_t current_work_id;
    int64_t work_done_ns;      /* when the current work ends (if not paused) */
    int64_t work_left_ns;      /* while paused inside work: what remains */
    uint64_t work_generation;  /* matches the pending WORK_DONE entry */
    struct sim_ring work_queue;  /* struct sim_work_item */
    struct sim_ring inbox;       /* struct sim_inbox_item */
    uint32_t inbox_message_count;
    bool is_in_callback;       /* a callback of this node is running */
    struct sim_byz *byz;       /* NULL while honest */
};

/* A model's timer: a deadline on its node's monotonic clock. Its heap entry carries
 * (epoch << 32 | generation): generation names the timer (its handle), epoch the latest
 * scheduling in true time, bumped when a rate change moves the deadline. */
struct sim_timer {
    uint32_t node;
    uint32_t incarnation;
    uint32_t generation;       /* bumped on each reuse of the slot */
    uint32_t epoch;            /* bumped on each reschedule */
    bool is_live;
    bool is_in_heap;           /* not yet fired into the inbox */
    uint64_t tag;
    int64_t deadline_mono_ns;
    uint32_t next_free;
};

struct sim_msg {
    uint64_t msg_id;
    uint64_t reply_to_msg_id;
    uint32_t source_node;
    uint32_t target_node;
    enum murphy_class traffic_class;
    int64_t sent_ns;
    unsigned char *payload;    /* owned by the slot, kept across reuse */
    size_t payload_bytes;
    size_t payload_cap;
    uint32_t next_free;
    bool is_live;
    bool is_daemon;            /* the kernel's time-sync exchange, never seen by models */
};

struct sim_link {
    uint32_t source_node;
    uint32_t target_node;
    struct sim_link_cfg cfg;
    gsl_rng *rng[MURPHY_CLASS_COUNT]; /* "link/S->T/CLASS", opened on first use */
    int64_t tx_busy_until_ns;
    struct sim_ring tx_ends;          /* int64_t: when each queued message leaves */
    gsl_rng *attack_rng;              /* "attack/S->T", only with an attacker on it */
    struct sim_byz_sent last;         /* the link's previous message, for a replay attack */
    bool has_last;
};

/* An active cut: messages from `source` to `target` ranges are dropped (or, as a
 * degradation, lost with the fault's loss_ppb). */
struct sim_cut {
    uint32_t fault_index;
    struct sim_node_range source;
    struct sim_node_range target;
};

#define SIM_SLOT_NONE UINT32_MAX

struct sim_world {
    const struct sim_scenario *scn;
    uint64_t seed;
    int64_t now_ns;
    struct sim_queue queue;
    struct murphy_node *nodes;
    uint32_t node_count;

    struct sim_timer *timers;
    uint32_t timer_count, timer_cap, timer_free;
    uint64_t timers_dead_in_queue; /* cancelled entries still in the heap */

    struct sim_msg *msgs;
    uint32_t msg_count, msg_cap, msg_free;
    uint64_t next_msg_id;

    struct sim_link *links;
    uint32_t link_count, link_cap;
    uint32_t *link_index;          /* open addressing over (source, target): link + 1 */
    size_t link_index_cap;

    struct sim_cut *cuts;
    size_t cut_count, cut_cap;
    struct sim_cut *degrades;      /* active degradations: extra loss from source to target */
    size_t degrade_count, degrade_cap;
    gsl_rng **degrade_rngs;        /* per fault index: "degrade/NAME", opened when it applies */

    /* The faults of this run: the scenario's, then (with a nemesis) the drawn ones, owned
     * in own_faults; without a nemesis, the scenario's table itself. */
    const struct sim_fault *faults;
    uint32_t fault_count;
    struct sim_fault_table own_faults;

    struct sim_rng_keys rng_keys;
    uint64_t next_op_id;
    struct sim_u64map open_ops;    /* op id -> invoking node, until completed */

    uint64_t event_count;          /* next seq */
    uint64_t stop_at_seq;          /* sim_debug_break() is called before emitting it */
    struct sim_hash *hash;
    struct sim_observer observers[SIM_OBSERVERS_MAX];
    int observer_count;
    uint64_t violation_count;
    uint64_t clamp_count;
    bool has_run;
    bool is_out_of_memory;
};

/* --- events (world.c) --- */
void sim__emit(struct sim_world *world, enum sim_event_kind kind, uint32_t node,
               uint32_t peer, unsigned aux, uint64_t obj, uint64_t ref, int64_t arg,
               const struct sim_event_text *text);
uint64_t sim__schedule(struct sim_world *world, int64_t time_ns, enum sim_qtype type,
                       uint32_t a, uint64_t b);
gsl_rng *sim__open_stream(struct sim_world *world, const char *name);

/* --- rings (world.c) --- */
int sim__ring_init(struct sim_ring *ring, size_t item_bytes);
int sim__ring_push(struct sim_ring *ring, const void *item);
bool sim__ring_pop(struct sim_ring *ring, void *item);
const void *sim__ring_front(const struct sim_ring *ring);
void sim__ring_free(struct sim_ring *ring);

/* --- clocks (clock.c) --- */
void sim__clock_init(struct sim_clock *clock, const struct sim_scenario *scn,
                     const struct sim_clock_cfg *cfg);
int64_t sim__clock_mono_ns(const struct sim_clock *clock, int64_t true_ns);
int64_t sim__clock_wall_ns(const struct sim_clock *clock, int64_t true_ns);
/* The true duration after now_ns until the monotonic clock has advanced local_ns, at the
 * rate in force (a later rate change reschedules). */
int64_t sim__clock_true_delay_ns(const struct sim_clock *clock, int64_t now_ns,
                                 int64_t local_ns);
/* Re-anchors at now_ns and sets the rate (base + slew); the caller reschedules timers. */
void sim__clock_set_rate(struct sim_clock *clock, int64_t now_ns, int64_t base_drift_ppb,
                         int64_t slew_ppb);
/* Moves the wall clock by step_ns (signed); monotonic time is untouched. */
void sim__clock_step(struct sim_clock *clock, int64_t now_ns, int64_t step_ns);
/* The reference time of day (a perfect clock) at true_ns. */
int64_t sim__clock_reference_ns(const struct sim_clock *clock, int64_t true_ns);

/* --- clock discipline, GC pauses, samples (clocksync.c) --- */
int sim__clocks_schedule(struct sim_world *world);
void sim__clock_job(struct sim_world *world, uint32_t node, uint64_t job);
void sim__clock_sample(struct sim_world *world);
/* A daemon message reached its node (time query or answer). */
void sim__clock_daemon_message(struct sim_world *world, uint32_t msg_slot);
/* A drift or step fault on one node. */
void sim__clock_fault(struct sim_world *world, uint32_t node, const struct sim_fault *f,
                      uint32_t fault_index);
void sim__gc_event(struct sim_world *world, uint32_t node, uint64_t phase);

/* --- nodes (node.c) --- */
int sim__nodes_init(struct sim_world *world);
void sim__nodes_deinit(struct sim_world *world);
void sim__node_start(struct sim_world *world, uint32_t node);
void sim__node_offer_message(struct sim_world *world, uint32_t msg_slot);
void sim__node_fire_timer(struct sim_world *world, uint32_t slot, uint64_t entry);
void sim__node_work_done(struct sim_world *world, uint32_t node, uint64_t generation);
void sim__node_crash(struct sim_world *world, uint32_t node);
void sim__node_restart(struct sim_world *world, uint32_t node);
/* fault_index: the fault behind the pause, or SIM_FAULT_INDEX_GC for a random one */
void sim__node_pause(struct sim_world *world, uint32_t node, int64_t duration_ns,
                     uint32_t fault_index);
#define SIM_FAULT_INDEX_GC UINT32_MAX
/* After a rate change: reschedule the node's pending timers for their local deadlines. */
void sim__node_reschedule_timers(struct sim_world *world, uint32_t node);
/* The notice of the planned GC pause (gc_start_ns, gc_pause_ns) is due: the model hears
 * it now, or when it is next free if that is still before the pause. */
void sim__node_pause_notice(struct sim_world *world, uint32_t node);
void sim__node_resume(struct sim_world *world, uint32_t node, uint64_t generation);
/* What a timer's heap entry (slot, entry) is worth when reached. */
enum sim_timer_entry {
    SIM_TIMER_LIVE,  /* fire it */
    SIM_TIMER_STALE, /* superseded by a later entry of the timer, or the slot was reused */
    SIM_TIMER_DEAD,  /* cancelled or of an earlier incarnation: free the slot */
};
enum sim_timer_entry sim__timer_entry(const struct sim_world *world, uint32_t slot,
                                      uint64_t entry);
void sim__timer_release(struct sim_world *world, uint32_t slot);

/* --- network (net.c) --- */
int sim__net_init(struct sim_world *world);
void sim__net_deinit(struct sim_world *world);
uint64_t sim__net_send(struct sim_world *world, uint32_t source_node, uint32_t target_node,
                       enum murphy_class traffic_class, uint64_t reply_to_msg_id,
                       const void *payload, size_t payload_bytes, bool is_daemon);
/* sim__net_send with extra_delay_ns added to the message's transit (a liar's delay). */
uint64_t sim__net_send_late(struct sim_world *world, uint32_t source_node, uint32_t target_node,
                            enum murphy_class traffic_class, uint64_t reply_to_msg_id,
                            const void *payload, size_t payload_bytes, int64_t extra_delay_ns);
void sim__net_arrive(struct sim_world *world, uint32_t msg_slot);
void sim__msg_free(struct sim_world *world, uint32_t msg_slot);
void sim__net_cut(struct sim_world *world, uint32_t fault_index, struct sim_node_range source,
                  struct sim_node_range target);
/* Adds extra loss from source to target for the fault's time (a degradation). */
void sim__net_degrade(struct sim_world *world, uint32_t fault_index,
                      struct sim_node_range source, struct sim_node_range target);
/* Removes the cuts and degradations of every fault named fault_name (a flap's cuts share
 * its name), or all of them when fault_name is NULL. */
void sim__net_heal(struct sim_world *world, const char *fault_name);

/* --- Byzantine nodes (byz.c) --- */
/* The node follows the policies of byzantine fault fault_index from now on. */
void sim__byz_start(struct sim_world *world, uint32_t node, uint32_t fault_index);
/* A send by the node's model: honest nodes go straight to the network; a Byzantine one
 * through its policies (each lie an event). Returns the id murphy_send returns. */
uint64_t sim__byz_send(struct sim_world *world, struct murphy_node *n, uint32_t target_node,
                       enum murphy_class traffic_class, uint64_t reply_to_msg_id,
                       const void *payload, size_t payload_bytes);
void sim__byz_free(struct sim_byz *byz);
/* Copies bytes into a kept message (grows its buffer); -1 when out of memory. */
int sim__byz_keep(struct sim_byz_sent *kept, uint64_t msg_id, enum murphy_class traffic_class,
                  const void *payload, size_t payload_bytes);

/* --- faults (fault.c) --- */
int sim__faults_schedule(struct sim_world *world);
void sim__fault_apply(struct sim_world *world, uint32_t fault_index);

#endif
