/* models/term_store.c - storage written by elected leaders (elect_writer), which tag every
 * write with their term. With `fencing` on, the term is a fencing token: the store refuses
 * a write whose term is below the highest term it has accepted a write of.
 *
 * The store cannot know who leads now. It knows that terms only grow (elect_node E1) and
 * that a majority vote gives a term at most one leader (E2, E3): a write of an older term
 * comes from a leader that has since been replaced, however sure that leader still is of
 * itself (a zombie: paused past its lease, elect_node W2). Refusing it is the whole of
 * fencing; a leader of the same or a newer term passes.
 *
 * Messages (models/elect_wire.h): WRITE (term, write number) on the REQUEST class, from
 * anyone (the store does not know the electorate); no answer. Told to the oracles
 * (checks/fence.c):
 *   fence.accept (term, writer node)   a write was applied
 *   fence.reject (term, highest term)  a write was refused for its stale term
 *
 * Invariants:
 *   T1 with fencing on, no write is applied whose term is below highest_term when it
 *      arrives;
 *   T2 highest_term never decreases (durable: a crash keeps it, or a restarted store
 *      would take a zombie's write);
 *   T3 a malformed message or one of another kind changes nothing and is noted. */
#include "models.h"

#include "elect_wire.h"

struct term_store_durable {
    int64_t highest_term; /* T2: of the writes applied; 0 before any */
    int64_t applied;      /* writes applied */
};

static const struct murphy_param_spec term_store_params[] = {
    {"fencing", MURPHY_PARAM_BOOL, "true", 0, 0,
     "refuse writes whose term is below the highest term already written"},
};

static void term_store_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct term_store_durable *d = murphy_durable(node);
    int kind;
    int64_t term, number;
    if (msg->traffic_class != MURPHY_CLASS_REQUEST ||
        !elect_wire_decode(msg->payload, msg->payload_bytes, &kind, &term, &number) ||
        kind != MSG_WRITE) {
        murphy_note(node, "not a well-formed write (class, length, padding, kind, term or"
                    " checksum); rejected"); /* T3 */
        return;
    }
    if (murphy_param_bool(node, "fencing") && term < d->highest_term) { /* T1 */
        murphy_claim(node, "fence.reject", term, d->highest_term);
        murphy_note(node, "a write of a term older than one already written: refused");
        return;
    }
    murphy_claim(node, "fence.accept", term, msg->source_node);
    d->applied++;
    if (term > d->highest_term) d->highest_term = term; /* T2 */
}

const struct murphy_model models_term_store = {
    .api_version = MURPHY_API_VERSION,
    .name = "term_store",
    .summary = "storage written by leaders, refusing older terms (fencing) or not",
    .durable_bytes = sizeof(struct term_store_durable),
    .volatile_bytes = 0,
    .params = term_store_params,
    .param_count = sizeof term_store_params / sizeof term_store_params[0],
    .on_message = term_store_on_message,
};
