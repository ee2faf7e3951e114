/* murphy/oracle.h - an oracle from a model library: a checker that sees every claim every
 * node makes (murphy_claim in murphy/node.h), with the true time it was made, and judges
 * the protocol as a whole, which no single node can.
 *
 * A model knows only what reached it; an oracle knows what every node claimed and when,
 * truly. "Two participants decided differently on one transaction" is an oracle's verdict:
 * each participant alone saw nothing wrong. Oracles change nothing: a violation goes to
 * the record (as "oracle:NAME") and makes the run `violated`; the event stream, and so
 * the run's hash, is the same with or without them.
 *
 * Contract: an oracle keeps its state in the zeroed block of state_bytes murphy gives it
 * (one per run: no mutable statics, for the reasons of murphy/model.h), reads only what
 * it is handed, and keeps memory bounded by what is in flight, not by run length (a
 * fixed table indexed by transaction modulo its size, say). Claims arrive in event
 * order; a node's crash, restart and end of run are not claims (say what you need as
 * claims from on_start / on_restart). */
#ifndef MURPHY_ORACLE_H
#define MURPHY_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* One claim, borrowed for the on_claim call. */
struct murphy_claim_seen {
    uint64_t seq;        /* the claim's event number in the run (events.seq) */
    int64_t true_ns;     /* true time of the claim: what only an oracle sees */
    uint32_t node_index; /* who claimed */
    const char *what;    /* the claim's name, as given to murphy_claim */
    int64_t a;           /* its two numbers, as given; the name says what they mean */
    int64_t b;
};

/* Where an oracle's findings go; valid only during the call it is passed to. */
struct murphy_oracle_ctx;

/* The protocol broke an invariant at the claim being judged (in on_finish: at the run's
 * last event). text is copied; it should name the other events involved by seq. */
void murphy_oracle_violation(struct murphy_oracle_ctx *ctx, const char *text);
/* A number for tests and sweeps (recorded in `metrics`); name and unit are copied. */
void murphy_oracle_metric(struct murphy_oracle_ctx *ctx, const char *name, double value,
                          const char *unit);

struct murphy_oracle {
    int api_version;    /* MURPHY_API_VERSION (murphy/model.h) */
    const char *name;   /* violations are recorded as "oracle:NAME" */
    size_t state_bytes; /* zeroed by murphy at the start of each run */
    /* Each murphy_claim of any node; NULL: none wanted. */
    void (*on_claim)(void *state, struct murphy_oracle_ctx *ctx,
                     const struct murphy_claim_seen *claim);
    /* The run ended at true time end_ns: last verdicts and metrics. NULL: nothing. */
    void (*on_finish)(void *state, struct murphy_oracle_ctx *ctx, int64_t end_ns);
};

#endif
