/* murphy/node.h - what a model may do from inside a callback: read its clocks, send,
 * set timers, ask for CPU time, draw randomness, read parameters, record client
 * operations, notes and violations.
 *
 * Every function takes the node handle the callback received; the handle is valid only
 * for that call. Times seen here are the node's own clocks, never true time: mono_ns
 * never goes back and runs at the node's rate; wall_ns is the node's time of day. */
#ifndef MURPHY_NODE_H
#define MURPHY_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/model.h"

/* Largest payload one message may carry; a larger send is a model bug (asserted). */
#define MURPHY_PAYLOAD_BYTES_MAX (1024u * 1024u)

/* Traffic classes. A link draws its randomness from a separate stream per class, so
 * that more heartbeats never change the delays client requests see (common random
 * numbers across a sweep). Fixed so that every record names them the same way. */
enum murphy_class {
    MURPHY_CLASS_REQUEST,     /* a client's request to a service */
    MURPHY_CLASS_REPLY,       /* a service's answer */
    MURPHY_CLASS_HEARTBEAT,   /* failure-detector traffic */
    MURPHY_CLASS_REPLICATION, /* data copied between replicas */
    MURPHY_CLASS_CONTROL,     /* votes, leases, membership */
    MURPHY_CLASS_TIME,        /* clock synchronisation */
    MURPHY_CLASS_BACKGROUND,  /* load that exists only to load the network */
    MURPHY_CLASS_COUNT
};

/* A delivered message, borrowed for the on_message call: copy what must outlive it.
 * The payload is what arrived, which is not always what was sent (corruption). */
struct murphy_msg {
    uint64_t msg_id;          /* unique in the run; a duplicate keeps its original's id */
    uint64_t reply_to_msg_id; /* the request this answers, 0 for none */
    uint32_t source_node;
    uint32_t target_node;
    enum murphy_class traffic_class;
    const void *payload;
    size_t payload_bytes;
};

/* Outcome of a client operation, as in Jepsen's histories. */
enum murphy_op_type {
    MURPHY_OP_OK,   /* it happened */
    MURPHY_OP_FAIL, /* it certainly did not happen */
    MURPHY_OP_INFO, /* unknown: it may or may not have happened (e.g. timed out) */
};

/* --- identity and state ------------------------------------------------------------ */
uint32_t murphy_node_index(const struct murphy_node *node);
uint32_t murphy_node_count(const struct murphy_node *node);
const char *murphy_node_name(const struct murphy_node *node); /* "server", "client.2" */
/* The model's state structs, sized by its table; zeroed at creation. */
void *murphy_durable(struct murphy_node *node);
void *murphy_volatile(struct murphy_node *node);

/* --- clocks (local readings only) ------------------------------------------------- */
int64_t murphy_mono_ns(const struct murphy_node *node);
int64_t murphy_wall_ns(const struct murphy_node *node);

/* --- messages ----------------------------------------------------------------------- */
/* Sends a copy of payload[0..payload_bytes) to target_node; returns the message id.
 * Delivery is not promised: the network may delay, drop, duplicate or corrupt it. */
uint64_t murphy_send(struct murphy_node *node, uint32_t target_node,
                     enum murphy_class traffic_class, const void *payload,
                     size_t payload_bytes);
/* Answers `request`: sent to its source, with reply_to_msg_id set, class REPLY. */
uint64_t murphy_reply(struct murphy_node *node, const struct murphy_msg *request,
                      const void *payload, size_t payload_bytes);

/* --- timers (local monotonic durations) ------------------------------------------- */
/* Fires on_timer(node, timer_tag) once delay_ns has passed on this node's monotonic
 * clock (never earlier by that clock). Returns a handle for murphy_timer_cancel. Timers
 * of an earlier incarnation (before a crash) never fire. */
uint64_t murphy_timer_set(struct murphy_node *node, int64_t delay_ns, uint64_t timer_tag);
/* Returns true if the timer was pending and will now never fire. */
bool murphy_timer_cancel(struct murphy_node *node, uint64_t timer_handle);

/* --- CPU time ----------------------------------------------------------------------- */
/* Occupies the node's CPU for duration_ns, then calls on_work_done(node, work_id).
 * While the CPU is busy, deliveries and timers wait in the node's inbox. Work asked for
 * while busy runs after the current work, in order. */
void murphy_work(struct murphy_node *node, int64_t duration_ns, uint64_t work_id);

/* --- randomness (this node's own stream) --------------------------------------------- */
uint64_t murphy_rand_u64(struct murphy_node *node);
double murphy_rand_uniform(struct murphy_node *node);        /* [0, 1) */
bool murphy_rand_chance(struct murphy_node *node, int64_t ppb); /* true with ppb / 1e9 */
int64_t murphy_rand_exp_ns(struct murphy_node *node, int64_t mean_ns);

/* --- parameters (declared in the model table, validated at load) ------------------- */
int64_t murphy_param_i64(const struct murphy_node *node, const char *name);
bool murphy_param_bool(const struct murphy_node *node, const char *name);
void murphy_param_group(const struct murphy_node *node, const char *name,
                        uint32_t *first_node, uint32_t *node_count);
int64_t murphy_param_sample_ns(struct murphy_node *node, const char *name);

/* --- what happened, for the record and the checkers -------------------------------- */
/* Jepsen-style client operations. Strings are copied; NULL means none. */
uint64_t murphy_op_invoke(struct murphy_node *node, uint32_t process, const char *f,
                          const char *key, const char *value);
void murphy_op_complete(struct murphy_node *node, uint64_t op_id, enum murphy_op_type type,
                        const char *result);
/* The node gave up waiting for an answer to msg_id; oracles label the true cause. */
void murphy_timeout(struct murphy_node *node, uint64_t msg_id);
/* Free text for the log (copied). */
void murphy_note(struct murphy_node *node, const char *text);
/* A failure detector's verdicts, for detector-quality measures (analysis/): this node
 * now suspects `peer` of having failed, or trusts it again. Each call is an event; the
 * measures count changes only (suspecting a node already suspected changes nothing).
 * Every node starts out trusting every peer, and again after it restarts. */
void murphy_suspect(struct murphy_node *node, uint32_t peer);
void murphy_trust(struct murphy_node *node, uint32_t peer);
/* Tells the oracles (checks/) what the protocol just did, in its own terms: a lease
 * granted (holder, token), a write accepted (token, version), a timestamp chosen. The
 * name says what a and b mean; oracles match on it. Recorded with the event. */
void murphy_claim(struct murphy_node *node, const char *what, int64_t a, int64_t b);
/* The model saw its own invariant break: ends the run `violated`. */
void murphy_violation(struct murphy_node *node, const char *text);

#endif
