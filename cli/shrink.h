/* cli/shrink.h - the search behind `murphy shrink`: from a failing list of [faults] lines,
 * a smaller list that still fails the same way.
 *
 * The unit is a line (one NAME = VALUE of [faults]): a line may expand to several faults
 * (its heal after `for D`, a flap's cuts), all under its name, and they go or stay
 * together. The search is deterministic (no randomness, lines in their order) and bounded
 * by a number of test runs:
 *   1. no line at all;
 *   2. ddmin-style chunks: remove halves, then quarters, ... of the lines;
 *   3. each line alone, again and again until no single line can go;
 *   4. each `for D` halved while it still fails (down to SHRINK_FOR_NS_MIN);
 *   5. each fault that starts something (not a heal or restart: delaying those lengthens
 *      what they end) pushed later while it still fails, no later than the run's end;
 *   6. step 3 again when 4 or 5 changed a line.
 * Removing a line also removes the `heal NAME` lines that name it (they would name no
 * fault and the scenario would not load): "removing one line" means that, everywhere.
 * Only a candidate that fails is accepted, so the lines always fail. */
#ifndef CLI_SHRINK_H
#define CLI_SHRINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/scenario.h"

#define SHRINK_LINES_MAX 10000u   /* [faults] lines of one run; more is a damaged record */
#define SHRINK_TEXT_BYTES 256     /* a line's value, as sim_fault.text holds it */
#define SHRINK_KIND_BYTES 256
#define SHRINK_FOR_NS_MIN INT64_C(1000000) /* 1 ms: shortening stops there */
#define SHRINK_DELAY_TRIES 8      /* pushes later per fault, each at most half the way left */

struct shrink_line {
    char name[SIM_NAME_BYTES_MAX];
    char text[SHRINK_TEXT_BYTES]; /* "at T ACTION ARGS [for D]" */
};

/* The kind of a violation: what shrinking must keep, so that it does not slip to another
 * bug. Oracles and models write free text, so the kind is read from it: the text up to
 * its first ':'. When that is one word ("K1", "A3": a model's numbered invariant), it is
 * the kind as it is; otherwise every blank-separated word holding a digit becomes '#'
 * ("two leaders in term 3: node.3 ..." -> "two leaders in term #"; "node.1's acknowledged
 * write 5 (ts 12) is lost: ..." -> "# acknowledged write # (ts # is lost"), so terms,
 * versions, sequence numbers and numbered node names do not make kinds differ. The
 * violation's source ("oracle:elect", "model") is compared as well, by the caller. */
void shrink_kind(const char *text, char *out, size_t out_bytes);

/* One search; the caller fills the inputs. */
struct shrink_search {
    struct shrink_line *lines; /* in: the failing lines; out: the shrunk ones (owned by the
                                  caller, at least `count` slots) */
    size_t count;              /* in and out */
    int64_t end_ns;            /* the scenario's duration: no fault is delayed past it */
    uint64_t max_runs;         /* test runs allowed */
    void *ctx;
    /* Runs the scenario with these lines (borrowed for the call): *fails tells whether it
     * shows the violation kind. Returns 0, or an exit status that ends the search. */
    int (*test)(void *ctx, const struct shrink_line *lines, size_t count, bool *fails);
    /* Called after every test run; may be NULL. */
    void (*progress)(void *ctx, const struct shrink_search *s);
    /* out */
    uint64_t runs;             /* tests run */
    bool is_budget_spent;      /* max_runs ended the search early */
    bool is_one_minimal;       /* the last pass removed each line alone and none failed */
    size_t shortened, delayed; /* lines whose `for D` or `at T` changed */
};

/* Shrinks s->lines in place. Returns 0 (the lines fail, possibly not 1-minimal when the
 * budget ended it) or the exit status a test returned. */
int shrink_search(struct shrink_search *s);

#endif
