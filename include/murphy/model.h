/* murphy/model.h - how a model plugs into murphy: its callback table, its declared
 * parameters and its traffic classes. A model is one protocol or actor; the kernel runs
 * one instance per node and reaches it only through this table.
 *
 * Contract: a model keeps all of its state in the two structs the kernel allocates for
 * each node (durable survives a crash, volatile is zeroed by the kernel on restart). It
 * has no mutable statics, reads no host clock or environment, and draws randomness only
 * through murphy/node.h. Under those rules a run is a pure function of scenario and seed. */
#ifndef MURPHY_MODEL_H
#define MURPHY_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Bumped whenever this header or murphy/node.h changes; checked when a model table is
 * registered. Version 2 appended byz_alter to struct murphy_model; a table built for
 * version 1 is still accepted and read as having no byz_alter (its struct is shorter,
 * so the kernel never reads past what version 1 had). */
#define MURPHY_API_VERSION 2

struct murphy_node;
struct murphy_msg;

/* What kind of value a parameter holds, as parsed from the scenario file. */
enum murphy_param_kind {
    MURPHY_PARAM_DURATION, /* "250ms": int64 ns, unit required */
    MURPHY_PARAM_INT,      /* "42": int64 */
    MURPHY_PARAM_RATIO,    /* "2%", "0.02", "35ppm": int64 parts per billion */
    MURPHY_PARAM_BOOL,     /* "true" / "false" */
    MURPHY_PARAM_GROUP,    /* the name of a node group ("server"): contiguous node indexes */
    MURPHY_PARAM_DIST,     /* a delay distribution ("exponential 2ms"): sampled per call */
};

/* One declared parameter. A scenario key that no parameter of the model declares is an
 * error, so typos never pass silently. `default_text` is parsed like scenario text; NULL
 * makes the parameter required. `value_min`/`value_max` bound DURATION, INT and RATIO
 * values in their parsed unit (ns, count, ppb); both 0 means unbounded. */
struct murphy_param_spec {
    const char *name;
    enum murphy_param_kind kind;
    const char *default_text;
    int64_t value_min;
    int64_t value_max;
    const char *help;
};

/* The model's callback table. Every callback runs at one instant of simulated time and
 * takes zero simulated time unless it asks for CPU time with murphy_work(). `node` is
 * borrowed for the call. NULL callbacks are skipped. */
struct murphy_model {
    int api_version;            /* MURPHY_API_VERSION */
    const char *name;           /* as written after `model =` in a scenario */
    const char *summary;        /* one line, for `murphy list` */
    size_t durable_bytes;       /* survives crashes */
    size_t volatile_bytes;      /* the kernel zeroes it on restart */
    const struct murphy_param_spec *params;
    size_t param_count;
    void (*on_start)(struct murphy_node *node);
    void (*on_message)(struct murphy_node *node, const struct murphy_msg *msg);
    void (*on_timer)(struct murphy_node *node, uint64_t timer_tag);
    void (*on_work_done)(struct murphy_node *node, uint64_t work_id);
    void (*on_restart)(struct murphy_node *node);
    /* The runtime plans a stop-the-world pause (gc_notice): it starts in pause_in_ns of
     * true time and lasts pause_ns. A node that drains its traffic first hides the pause
     * from its clients. A node busy or paused when the notice is due hears it when it is
     * next free, with the time left, if the pause is still ahead; otherwise never. */
    void (*on_pause_notice)(struct murphy_node *node, int64_t pause_in_ns, int64_t pause_ns);
    /* --- API version 2 ------------------------------------------------------------- */
    /* Optional: the lies that need the protocol's meaning, for a node that a scenario
     * turns Byzantine with the `alter` policy (`at T byzantine NODES alter ...`). The
     * kernel calls it, inside the node's own murphy_send/murphy_reply, on the bytes the
     * honest model is sending to target_node (payload[0..payload_bytes), borrowed). It
     * decodes them, writes a lie into out[0..out_cap) (e.g. another value for this
     * target than for the others: equivocation; re-encoded with a valid checksum, since a
     * liar can compute one) and returns its length (<= out_cap); or returns SIZE_MAX to
     * send the message as it was (not one it lies about: no lie is recorded). `draw` is
     * a fresh 64-bit random number from the policy's own stream: the only randomness the
     * hook may use. It writes what it said into said[0..said_bytes) as a short,
     * NUL-terminated text ("told attack, the truth is retreat") for the record's `lie`
     * event. It must not change the node's state (the handle is const): the lie is in
     * what leaves, never in what the model believes. out_cap >= payload_bytes. */
    size_t (*byz_alter)(const struct murphy_node *node, uint32_t target_node,
                        const void *payload, size_t payload_bytes, void *out, size_t out_cap,
                        uint64_t draw, char *said, size_t said_bytes);
};

struct murphy_oracle; /* murphy/oracle.h */

/* A set of models offered to the kernel (in-tree ones come from models/, out-of-tree
 * ones from a library named on the command line, murphy/plugin.h), with the oracles
 * that judge them (none for the in-tree set: its oracles live in checks/). Borrowed;
 * must outlive the run. */
struct murphy_model_set {
    const struct murphy_model *const *models;
    size_t model_count;
    const struct murphy_oracle *const *oracles; /* NULL when oracle_count is 0 */
    size_t oracle_count;
};

#endif
