/* analysis/linearizability.h - is a history of operations linearizable? (Wing & Gong's
 * search with Lowe's memoisation, as Porcupine does it.)
 *
 * A history is Jepsen's: each operation was invoked by a process and completed ok, fail
 * or info. An ok operation took effect exactly once, at one instant between its invoke and
 * its completion; a failed one never took effect (it is not added); an info one (or one
 * never completed) may or may not have taken effect, at any instant after its invoke: it
 * stays open forever. The history is linearizable if some order of those instants makes
 * every ok operation's result what the model says.
 *
 * Models: `register` is one register, initially nil: f "write" (value = the value written),
 * "read" (value = the value read; NULL, "" or "nil" is the initial nil; "V@VERSION" reads as
 * V, the form lww_client reports), "cas" (value = "OLD NEW": ok iff the register held OLD,
 * which becomes NEW). `kv` is a map of such registers by key: by P-compositionality the
 * history is linearizable iff each key's sub-history is, so each key is checked alone.
 *
 * The search is exponential in the worst case, so it is bounded: a step budget and a bound
 * on the memo's bytes. Hitting either gives LIN_UNKNOWN, never a wrong verdict. */
#ifndef ANALYSIS_LINEARIZABILITY_H
#define ANALYSIS_LINEARIZABILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIN_OPS_MAX 1000000u       /* operations in one history */
#define LIN_VALUE_BYTES_MAX 1024u  /* a value, key or result */

enum lin_f { LIN_F_READ, LIN_F_WRITE, LIN_F_CAS };
enum lin_model { LIN_MODEL_REGISTER, LIN_MODEL_KV };
enum lin_verdict { LIN_LINEARIZABLE, LIN_VIOLATED, LIN_UNKNOWN };

struct lin_op {
    int64_t process;
    enum lin_f f;
    char *key;             /* owned; NULL: none */
    char *value;           /* owned; write: written, cas: "OLD NEW", read: what was read */
    bool is_open;          /* info or never completed: may or may not have taken effect */
    /* Real-time order: positions in the history (a line number, an event seq), unique
     * over invokes and completions; complete_pos > invoke_pos, unused when is_open. */
    uint64_t invoke_pos, complete_pos;
    int64_t invoke_ns, complete_ns; /* for printing only; complete_ns -1 when none */
};

struct lin_history {
    struct lin_op *ops;
    size_t count, cap;
};

/* Copies op (and its strings) in; returns 0, or -1 (allocation, or more than LIN_OPS_MAX). */
int lin_history_add(struct lin_history *h, const struct lin_op *op);
void lin_history_free(struct lin_history *h);
/* Parses a model's name ("register", "kv"); -1 if unknown. */
int lin_model_parse(const char *name, enum lin_model *out);

struct lin_limits {
    uint64_t step_budget;    /* search steps over the whole check (all keys, the shrinking) */
    uint64_t memo_bytes_max; /* memo of one search */
};
#define LIN_STEP_BUDGET_DEFAULT UINT64_C(20000000)
#define LIN_MEMO_BYTES_DEFAULT (UINT64_C(256) << 20)

struct lin_result {
    enum lin_verdict verdict;
    uint64_t step_count;      /* search steps taken, in all */
    uint64_t memo_bytes_peak; /* the largest memo of one search */
    size_t key_count;         /* sub-histories checked (1 for register) */
    char unknown_why[96];     /* LIN_UNKNOWN: which bound was hit */
    /* LIN_VIOLATED: the smallest prefix (by completion order) of the first failing key's
     * sub-history that is not linearizable. */
    const char *key;          /* points into the history; NULL for register */
    size_t *witness;          /* owned: indices into h->ops, by invoke position */
    bool *witness_is_open;    /* owned: still open at the prefix's cut (or info) */
    size_t witness_count;
    size_t failing_op;        /* index into h->ops: the completion that ends the prefix */
};

/* Checks h against model; returns 0 with *out filled (free with lin_result_free), or -1
 * with a message for an operation the model does not know (f, or a cas value without
 * "OLD NEW"). */
int lin_check(const struct lin_history *h, enum lin_model model, const struct lin_limits *lim,
              struct lin_result *out, char *err, size_t err_bytes);
void lin_result_free(struct lin_result *r);

#endif
