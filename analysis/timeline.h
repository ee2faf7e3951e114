/* analysis/timeline.h - the drawing model of a Lamport/sequence diagram of one run.
 *
 * A lane per node (all of them, or the ones chosen); in a window [from_ns, to_ns] of
 * true time: every message delivered (an arrow from its send to its delivery, with its
 * traffic class, conversation and whether it was duplicated or corrupted), every message
 * dropped (from its send, when the send is known, to where it was lost, with the reason),
 * pauses and crashes as intervals of a lane, partitions and one-way cuts as intervals
 * between lanes (or across all when a side is a group), point marks (timeouts, notes,
 * claims, duplicates, corruptions, clock steps, suspicions, other faults), the
 * violations with the events their text names ("seq N"), and per lane the node's clock
 * readings at each tick of true time, so skew shows.
 *
 * An item is in the window when its event's true time is: a delivery at from_ns..to_ns,
 * whatever its send time (its arrow may start before from_ns). Messages and intervals
 * between nodes are kept only when both ends are lanes. Everything is bounded
 * (AN_TIMELINE_*_MAX): past a bound the items are counted, not kept, and is_truncated
 * says to narrow the window. Strings are raw from the record (untrusted): the caller
 * escapes them for whatever it writes. The stream is read in seq order, so the model is
 * the same for the same record, item for item. */
#ifndef ANALYSIS_TIMELINE_H
#define ANALYSIS_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/db.h"
#include "sim/event.h"

#define AN_TIMELINE_LANES_MAX 64u        /* more is unreadable: choose with --nodes */
#define AN_TIMELINE_ARROWS_MAX 20000u    /* deliveries and drops drawn */
#define AN_TIMELINE_MARKS_MAX 20000u
#define AN_TIMELINE_SPANS_MAX 10000u     /* pauses, crashes, partitions */
#define AN_TIMELINE_VIOLATIONS_MAX 1000u
#define AN_TIMELINE_NAMED_MAX 8u         /* events named per violation */
#define AN_TIMELINE_TICKS_MAX 32u
#define AN_TIMELINE_TEXT_BYTES_MAX 1024u /* a note's or violation's text as kept */

struct an_tl_arrow {
    uint64_t seq;         /* of the delivery or the drop */
    uint64_t msg_id;
    uint64_t conversation; /* the request's msg id for a reply, else its own: one colour */
    int64_t send_ns;      /* when has_send */
    int64_t end_ns;       /* delivered or dropped */
    uint32_t source_node, target_node;
    uint16_t traffic_class;
    uint16_t drop_reason; /* enum sim_drop_reason, when !is_delivered */
    bool is_delivered;
    bool has_send;        /* false: a drop whose send is not in the window */
    bool is_duplicated, is_corrupted;
};

struct an_tl_mark {
    uint64_t seq;
    int64_t time_ns;
    uint32_t node, peer;  /* peer SIM_NODE_NONE when none */
    uint16_t kind;        /* enum sim_event_kind */
    uint16_t aux;
    uint64_t obj;
    int64_t arg;
    char *text;           /* owned: its annotations' texts, or NULL */
};

enum an_tl_span_kind { AN_TL_PAUSE, AN_TL_CRASH, AN_TL_PARTITION, AN_TL_CUT };

struct an_tl_span {
    enum an_tl_span_kind kind;
    uint32_t node, peer;  /* a pause or crash: node; a cut: node -> peer; SIM_NODE_NONE
                             for a side that is a group (the band spans every lane) */
    int64_t start_ns, end_ns; /* clipped to the window */
    bool is_open_end;     /* still going at the window's end */
    uint64_t start_seq;
    int64_t fault;        /* the fault's index, -1 for a pause the model did not schedule */
    char *text;           /* owned: the fault's text from the record, or NULL */
};

struct an_tl_violation {
    uint64_t seq;
    int64_t time_ns;
    uint32_t node;        /* SIM_NODE_NONE when about no node or a node not drawn */
    char *source;         /* owned */
    char *text;           /* owned */
    uint64_t named[AN_TIMELINE_NAMED_MAX]; /* seqs its text names, in its order */
    size_t named_count;
};

/* An event a violation names, where it is (only those on a lane). */
struct an_tl_named {
    uint64_t seq;
    int64_t time_ns;
    uint32_t node;
    uint16_t kind;
};

/* A node's clocks at its first event in a tick's interval [tick, tick + tick_ns). */
struct an_tl_reading {
    bool is_set;
    int64_t time_ns, mono_ns, wall_ns;
};

struct an_timeline_config {
    int64_t from_ns, to_ns;   /* to_ns >= from_ns */
    const bool *is_lane;      /* node_count flags, or NULL for every node */
    int64_t wall_start_ns;    /* the reference wall reading at true time 0 */
};

struct an_timeline {
    int64_t from_ns, to_ns, wall_start_ns;
    struct an_nodes nodes;    /* owned */
    uint32_t lanes[AN_TIMELINE_LANES_MAX]; /* node indexes, ascending */
    uint32_t lane_count;
    int32_t *lane_of;         /* owned: per node its lane, or -1 */

    struct an_tl_arrow *arrows;
    size_t arrow_count, arrow_total; /* total: in the window, drawn or not */
    struct an_tl_mark *marks;
    size_t mark_count, mark_total;
    struct an_tl_span *spans;
    size_t span_count, span_total;
    struct an_tl_violation *violations;
    size_t violation_count, violation_total;
    struct an_tl_named *named;
    size_t named_count;

    int64_t tick_ns, first_tick_ns;
    uint32_t tick_count;
    struct an_tl_reading *readings; /* owned: lane * tick_count + tick */
    bool is_truncated;        /* some bound was reached: narrow the window */
};

/* Builds the model; the run must have been loaded from db. Returns 0; -2 with a message
 * for a request the caller should refuse as bad usage (more lanes than
 * AN_TIMELINE_LANES_MAX); -1 with a message on a damaged record or out of memory. On
 * failure nothing is left to free. */
int an_timeline_build(struct an_db *db, const struct an_run *run,
                      const struct an_timeline_config *cfg, struct an_timeline *tl, char *err,
                      size_t err_bytes);
void an_timeline_free(struct an_timeline *tl);

/* The lane's reading at tick k. */
const struct an_tl_reading *an_timeline_reading(const struct an_timeline *tl, uint32_t lane,
                                                uint32_t tick);

#endif
