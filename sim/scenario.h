/* sim/scenario.h - a scenario as the kernel runs it: node groups and their models, link
 * rules, clocks, faults and limits, built from a parsed INI file plus --set overrides.
 *
 * The file's keys (every one documented in scenarios/README.md):
 *   [scenario]      name, duration (required), max_events, wall_start, leap_at,
 *                   clock_sample
 *   [node.GROUP]    model (required), count, inbox_max, the clock keys (clock_offset,
 *                   clock_drift, clock_jitter, clock_leap, clock_sync, clock_sync_every,
 *                   clock_sync_error, clock_sync_server, clock_slew_max,
 *                   clock_step_threshold), the GC keys (gc_every, gc_pause, gc_notice),
 *                   and the model's declared parameters
 *   [link.default]  and [link.A->B] / [link.A<->B] (A, B: group, node or *): delay, loss,
 *                   duplicate, corrupt, reorder, reorder_delay, bandwidth, queue,
 *                   attack, attack_rate
 *   [faults]        NAME = at TIME ACTION ARGS (see sim_scn_load); NAME may hold '.'
 *   [nemesis]       nodes, start, end, every, kinds, partition_for, cut_for, pause_for,
 *                   crash_for, loss_for, step_by, loss (see struct sim_nemesis_cfg)
 * A group of count 1 is one node named like the group; a larger one has nodes GROUP.0 ..
 * GROUP.N-1 with contiguous indexes in file order. Link rules apply in file order, each
 * overriding the keys it sets. Every unknown key is an error. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "dist.h"
#include "event.h"
#include "ini.h"
#include "murphy/model.h"

#define SIM_NODES_MAX 65535u
#define SIM_GROUPS_MAX 1024u
#define SIM_LINK_RULES_MAX 4096u
#define SIM_FAULTS_MAX 100000u
#define SIM_NAME_BYTES_MAX 64u
#define SIM_INBOX_MAX_LIMIT 1000000u
#define SIM_LINK_QUEUE_MAX_LIMIT 1000000u
#define SIM_DRIFT_PPB_LIMIT INT64_C(100000000) /* |drift| <= 100000 ppm (10%) */
#define SIM_RUN_NS_MAX (INT64_C(100) * 365 * 86400 * INT64_C(1000000000)) /* 100 years */
#define SIM_EVENTS_MAX_LIMIT (UINT64_C(1) << 48)
#define SIM_CLOCK_STEP_NS_LIMIT (INT64_C(10) * 365 * 86400 * INT64_C(1000000000)) /* 10 years */
#define SIM_CLOCK_JITTER_NS_LIMIT INT64_C(1000000000)  /* 1 s */
#define SIM_SLEW_PPB_LIMIT INT64_C(100000000)          /* 100000 ppm */

_Static_assert(SIM_NODES_MAX < UINT32_MAX, "node indexes must leave room for SIM_NODE_NONE");

struct sim_param_value {
    const struct murphy_param_spec *spec;
    int64_t i64;              /* DURATION, INT, RATIO, BOOL */
    struct sim_dist dist;     /* DIST */
    uint32_t group_first;     /* GROUP */
    uint32_t group_count;
};

/* How a node keeps its clock in step (clock_sync). */
enum sim_sync_policy {
    SIM_SYNC_NONE,  /* free-running: offset grows at the drift */
    SIM_SYNC_STEP,  /* every correction steps the wall clock (it may jump back) */
    SIM_SYNC_SLEW,  /* every correction slews both clocks at <= clock_slew_max */
    SIM_SYNC_NTPD,  /* ntpd's rule: step above clock_step_threshold, slew below */
};

/* How a node's wall clock takes a leap second (clock_leap), at the scenario's leap_at. */
enum sim_leap_policy {
    SIM_LEAP_NONE,  /* ignores it */
    SIM_LEAP_STEP,  /* steps back 1 s at leap_at: a second of time of day happens twice */
    SIM_LEAP_SMEAR, /* runs slow by 1 s spread linearly over the 24 h centred on leap_at */
};

struct sim_clock_cfg {
    int64_t offset_ns;          /* wall clock minus the reference at start */
    int64_t drift_ppb;          /* rate error of both clocks */
    int64_t jitter_ns;          /* each wall reading a model takes is off by up to this */
    enum sim_leap_policy leap;
    enum sim_sync_policy sync;
    int64_t sync_every_ns;      /* between corrections */
    int64_t sync_error_ns;      /* without a server: each measurement off by up to this */
    bool has_sync_server;       /* measure against a node over the network instead */
    uint32_t sync_server;
    int64_t slew_max_ppb;
    int64_t step_threshold_ns;  /* ntpd */
};

/* Random stop-the-world pauses (GC, VM steal): one every `every`, lasting `length`,
 * announced `notice_ns` before (on_pause_notice) when notice_ns > 0. */
struct sim_gc_cfg {
    bool is_on;
    struct sim_dist every;
    struct sim_dist length;
    int64_t notice_ns;
};

struct sim_group {
    char name[SIM_NAME_BYTES_MAX];
    uint32_t first_node;
    uint32_t node_count;
    const struct murphy_model *model;
    struct sim_param_value *params; /* one per model param, in the model's order */
    struct sim_clock_cfg clock;
    struct sim_gc_cfg gc;
    uint32_t inbox_max;             /* messages a paused or busy node holds */
};

/* A range of node indexes [first, first + count). */
struct sim_node_range {
    uint32_t first;
    uint32_t count;
};

/* Link keys a rule may set; `set_mask` has a bit per key it did set. */
enum sim_link_key {
    SIM_LINK_DELAY, SIM_LINK_LOSS, SIM_LINK_DUPLICATE, SIM_LINK_CORRUPT, SIM_LINK_REORDER,
    SIM_LINK_REORDER_DELAY, SIM_LINK_BANDWIDTH, SIM_LINK_QUEUE, SIM_LINK_ATTACK,
    SIM_LINK_ATTACK_RATE, SIM_LINK_KEY_COUNT
};

struct sim_link_cfg {
    struct sim_dist delay;
    int64_t loss_ppb;
    int64_t duplicate_ppb;
    int64_t corrupt_ppb;
    int64_t reorder_ppb;      /* chance a message is held back by reorder_delay */
    int64_t reorder_delay_ns;
    int64_t bandwidth_bps;    /* 0: infinite (no serialisation delay, no queue) */
    uint32_t queue_max;       /* messages waiting at the sender; tail drop beyond */
    unsigned attack_mask;     /* an attacker in transit: a bit per enum sim_attack_kind */
    int64_t attack_ppb;       /* chance it acts on each message of the link */
};

struct sim_link_rule {
    char text[2 * SIM_NAME_BYTES_MAX + 8]; /* "client->server" or "default" */
    struct sim_node_range source;
    struct sim_node_range target;
    bool is_both_ways;
    unsigned set_mask;
    struct sim_link_cfg cfg;
};

/* The nodes of one side of a fault: a comma list of refs ("node.0,node.3"), kept as
 * ranges sorted by first node, disjoint and not adjacent (merged), so that one node
 * appears once whatever the list repeats. */
#define SIM_FAULT_SIDE_RANGES_MAX 16u
struct sim_node_set {
    uint32_t range_count;
    struct sim_node_range ranges[SIM_FAULT_SIDE_RANGES_MAX];
};

#define SIM_FAULT_TEXT_BYTES 256u

struct sim_fault {
    char name[SIM_NAME_BYTES_MAX];
    char text[SIM_FAULT_TEXT_BYTES]; /* as written (or generated for expansions) */
    int64_t at_ns;
    enum sim_fault_action action;
    struct sim_node_set a;    /* the node(s) acted on, or one side of a cut */
    struct sim_node_set b;    /* the other side of a cut or degradation */
    bool is_both_ways;        /* DEGRADE: A <-> B rather than A -> B */
    int64_t duration_ns;      /* pause length; clock step (signed) */
    int64_t drift_ppb;        /* DRIFT: the new drift */
    int64_t loss_ppb;         /* DEGRADE: the extra loss on each degraded link */
    uint32_t heal_fault;      /* HEAL of one fault: its index; UINT32_MAX heals all */
    /* BYZANTINE (sim/byz.c): which policies, how often each acts on a send, to whom */
    unsigned byz_policy_mask; /* a bit per enum sim_byz_policy */
    int64_t byz_ratio_ppb;    /* each policy's chance per send (default 1: always) */
    struct sim_node_set byz_to; /* the targets whose sends are distorted; empty: all */
    int64_t byz_extra_ns;     /* the delay policy's extra delay */
    uint32_t byz_copies;      /* duplicate and flood: messages added per send */
    int line;
};

#define SIM_BYZ_COPIES_MAX 100u

/* The nemesis: random faults drawn from the stream "nemesis" when a world is created
 * (sim/nemesis.h), from `start_ns` to `end_ns`, gaps between faults drawn from `every`.
 * Each kind has a weight (0: never drawn) and a length distribution. */
enum sim_nemesis_kind {
    SIM_NEMESIS_PARTITION, SIM_NEMESIS_CUT, SIM_NEMESIS_PAUSE, SIM_NEMESIS_CRASH,
    SIM_NEMESIS_STEP, SIM_NEMESIS_LOSS, SIM_NEMESIS_KIND_COUNT
};
#define SIM_NEMESIS_NODES_MAX 16u  /* any split of them fits a fault side (one range a node) */
#define SIM_NEMESIS_WEIGHT_MAX 1000000

struct sim_nemesis_cfg {
    bool is_on;
    uint32_t node_count;
    uint32_t nodes[SIM_NEMESIS_NODES_MAX]; /* ascending node indexes, no repeats */
    int64_t start_ns;
    int64_t end_ns;
    struct sim_dist every;
    int64_t weights[SIM_NEMESIS_KIND_COUNT];
    struct sim_dist lengths[SIM_NEMESIS_KIND_COUNT]; /* STEP: the step's size (signed at
                                                        random) */
    int64_t loss_ppb;                      /* LOSS: the extra loss of a burst */
};

struct sim_scenario {
    char *path;               /* as given */
    char *text;               /* the full file text, stored with the run */
    size_t text_bytes;
    char name[SIM_NAME_BYTES_MAX];
    int64_t duration_ns;
    uint64_t max_events;
    int64_t wall_start_ns;    /* wall-clock reading of a node with offset 0 at true time 0 */
    int64_t leap_at_ns;       /* true time of a leap second; -1 for none */
    int64_t clock_sample_ns;  /* period of CLOCK_SAMPLE events; 0 for none */
    struct sim_group *groups;
    uint32_t group_count;
    uint32_t node_count;
    struct sim_link_rule *link_rules; /* [0] is the default rule */
    uint32_t link_rule_count;
    struct sim_fault *faults;  /* in file order, expansions after their source */
    uint32_t fault_count;
    struct sim_nemesis_cfg nemesis;
    char **overrides;          /* the --set arguments, in order */
    struct sim_empirical **empiricals; /* sample tables, one per distinct file named */
    size_t empirical_count;
    size_t override_count;
    const struct murphy_model_set *models; /* what it was loaded with (borrowed): the
                                              oracles of a model library come with it */
};

/* Reads path, applies overrides ("section.key=value"), resolves models from `models`
 * and checks every key. Returns 0, or a negative SIM_E* code with diag filled (file,
 * line, column and what was expected). */
int sim_scn_load(const char *path, const char *const *overrides, size_t override_count,
                 const struct murphy_model_set *models, struct sim_scenario *scn,
                 struct sim_diag *diag);

/* As sim_scn_load, from text already in memory (replay, tests). */
int sim_scn_load_text(const char *path, const char *text, size_t text_bytes,
                      const char *const *overrides, size_t override_count,
                      const struct murphy_model_set *models, struct sim_scenario *scn,
                      struct sim_diag *diag);

void sim_scn_free(struct sim_scenario *scn);

/* A table of faults that grows (a world's: the file's faults, then the nemesis's). */
struct sim_fault_table {
    struct sim_fault *faults;
    uint32_t count;
    size_t cap;
};

/* Appends what the [faults] line `name = text` gives (the fault, then its undo for
 * "for D", or a flap's expansion) to table, exactly as the loader does for a line of
 * the file, resolving nodes in scn; line is 0. Returns 0, or a negative SIM_E* code with
 * diag filled (file "nemesis"). The nemesis uses it, so that listing a drawn fault's
 * text in [faults] gives the same fault. */
int sim_scn_append_fault(const struct sim_scenario *scn, const char *name, const char *text,
                         struct sim_fault_table *table, struct sim_diag *diag);

/* Writes a node set as a fault side: node names joined by ',' ("node.0,node.3"), a
 * whole group by its name. Returns 0, or -1 when it does not fit. */
int sim_scn_format_nodes(const struct sim_scenario *scn, const struct sim_node_set *set,
                         char *out, size_t out_bytes);

/* True when node is in the set. */
bool sim_node_set_has(const struct sim_node_set *set, uint32_t node);
/* How many nodes the set holds. */
uint32_t sim_node_set_count(const struct sim_node_set *set);

/* The name of node `index` ("server", "client.2") into out. */
const char *sim_scn_node_name(const struct sim_scenario *scn, uint32_t index, char *out,
                              size_t out_bytes);
/* The group of node `index`. */
const struct sim_group *sim_scn_node_group(const struct sim_scenario *scn, uint32_t index);

/* The link parameters for the directed pair, after applying every matching rule. */
void sim_scn_link_cfg(const struct sim_scenario *scn, uint32_t source_node,
                      uint32_t target_node, struct sim_link_cfg *cfg);

#endif
