/* analysis/why.h - why an event happened: its causes in the record, walked back.
 *
 * Happens-before over a run's events: an event's causes are the event before it on the
 * same node (program order), and jumps to where its input came from: a delivery's send, a
 * timer's set, a work's start, a resume's pause, a timeout's send, and the scenario fault
 * behind a pause, crash, restart or clock step. The walk goes back by segments: from an
 * event it follows program order on that node for a few events (steps_max), and every
 * jump it meets opens a branch one level deeper (a message from another node, mostly),
 * breadth first up to depth_max levels. What the walk finds is a tree of links, each an
 * event with how it leads to the link it explains; the caller prints it.
 *
 * The record is read with indexed lookups only (rowid, bounded by the run's rowid range),
 * nothing is written to it, and memory is bounded by AN_WHY_LINKS_MAX whatever the run's
 * length. */
#ifndef ANALYSIS_WHY_H
#define ANALYSIS_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/db.h"
#include "sim/event.h"

#define AN_WHY_LINKS_MAX 2000 /* events in one answer, notes included */
#define AN_WHY_DEPTH_MAX 64
#define AN_WHY_STEPS_MAX 1000

/* How a link's event leads to its parent's. */
enum an_why_edge {
    AN_WHY_TARGET,  /* the event asked about */
    AN_WHY_PROGRAM, /* the event before it on the same node */
    AN_WHY_MESSAGE, /* the send of the message it delivered */
    AN_WHY_TIMER,   /* the set of the timer that fired */
    AN_WHY_WORK,    /* the start of the work that finished */
    AN_WHY_PAUSE,   /* the pause it resumed from */
    AN_WHY_GAVE_UP, /* the send of the message a timeout gave up on */
    AN_WHY_FAULT,   /* the scenario fault behind a pause, crash, restart or clock change */
    AN_WHY_FATE,    /* a note: a drop, duplicate, corrupt or clamp of the message (for a
                       timeout also the request's delivery and its replies' fates) */
};

struct an_why_link {
    struct sim_event ev;
    int32_t parent;        /* the link this one explains; -1 for the target */
    enum an_why_edge edge;
    uint32_t depth;        /* branches between it and the target */
    int32_t same_as;       /* >= 0: the event is already in the tree at that link (not
                              walked again) */
    bool is_cut_by_depth;  /* a branch not followed: deeper than depth_max */
    bool has_more_before;  /* the last of its segment, with earlier events on its node not
                              followed (steps_max) */
    char *texts;           /* owned: "[kind] text" of its annotations and violations,
                              "  "-separated, raw from the record (print them escaped) */
};

struct an_why_limits {
    uint32_t depth_max; /* branch levels followed from the target */
    uint32_t steps_max; /* events walked back on one node per segment */
};

struct an_why {
    struct an_why_link *links; /* links[0] is the target; a parent comes before its
                                  children */
    size_t count;
    bool is_truncated;         /* AN_WHY_LINKS_MAX reached: some branches not followed */
};

/* The event `seq` of the run, or 0 if the run has none such, 1 if found, -1 on a damaged
 * record. */
int an_why_event(struct an_db *db, const struct an_run *run, uint64_t seq,
                 struct sim_event *ev, char *err, size_t err_bytes);
/* The seq of the run's n-th violation (1-based, in the order recorded): 1 if found, 0 if
 * the run has fewer, -1 on error. */
int an_why_violation_seq(struct an_db *db, const struct an_run *run, uint64_t n,
                         uint64_t *seq, char *err, size_t err_bytes);

/* Walks back from event seq (which must exist). Returns 0, or -1 with a message. */
int an_why_build(struct an_db *db, const struct an_run *run, uint64_t seq,
                 const struct an_why_limits *limits, struct an_why *why, char *err,
                 size_t err_bytes);
void an_why_free(struct an_why *why);

#endif
