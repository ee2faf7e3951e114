/* tpc_wire.h - the messages of two-phase commit, as fixed little-endian fields with a
 * checksum (murphy/wire.h). One format for all four kinds:
 *
 *   magic u32 | kind u32 | txn u64 | value u64 | checksum u64 (FNV-1a of bytes 0..23)
 *
 *   PREPARE  coordinator -> participant  value 0
 *   VOTE     participant -> coordinator  value 1 yes, 0 no
 *   DECISION coordinator -> participant  value 1 commit, 0 abort
 *   ASK      participant -> coordinator  value 0: "what became of txn?"
 *
 * A message that fails any check (length, magic, kind, value, checksum) is rejected with
 * a note and changes nothing. */
#ifndef TPC_WIRE_H
#define TPC_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include <murphy/murphy.h>

#define TPC_MSG_BYTES 32u
#define TPC_MAGIC UINT32_C(0x32504331) /* "2PC1" */
#define TPC_PARTICIPANTS_MAX 64u

enum tpc_kind { TPC_PREPARE = 1, TPC_VOTE, TPC_DECISION, TPC_ASK };

struct tpc_msg {
    enum tpc_kind kind;
    uint64_t txn;
    uint64_t value;
};

static inline void tpc_send(struct murphy_node *node, uint32_t target_node,
                            const struct tpc_msg *m)
{
    unsigned char out[TPC_MSG_BYTES];
    murphy_wire_put_u32(out, TPC_MAGIC);
    murphy_wire_put_u32(out + 4, (uint32_t)m->kind);
    murphy_wire_put_u64(out + 8, m->txn);
    murphy_wire_put_u64(out + 16, m->value);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
    enum murphy_class traffic_class =
        m->kind == TPC_VOTE || m->kind == TPC_DECISION ? MURPHY_CLASS_REPLY
                                                       : MURPHY_CLASS_REQUEST;
    murphy_send(node, target_node, traffic_class, out, sizeof out);
}

/* Decodes and checks msg; false (and a note) for anything malformed. */
static inline bool tpc_decode(struct murphy_node *node, const struct murphy_msg *msg,
                              struct tpc_msg *out)
{
    const unsigned char *in = msg->payload;
    bool is_ok = msg->payload_bytes == TPC_MSG_BYTES &&
                 murphy_wire_get_u32(in) == TPC_MAGIC &&
                 murphy_wire_get_u64(in + 24) == murphy_wire_checksum(in, 24);
    if (is_ok) {
        uint32_t kind = murphy_wire_get_u32(in + 4);
        out->kind = (enum tpc_kind)kind;
        out->txn = murphy_wire_get_u64(in + 8);
        out->value = murphy_wire_get_u64(in + 16);
        is_ok = kind >= TPC_PREPARE && kind <= TPC_ASK && out->value <= 1 && out->txn > 0;
    }
    if (!is_ok) murphy_note(node, "tpc: rejected a malformed message");
    return is_ok;
}

/* Claims the oracle (tpc_oracle.c) reads; a = txn, b as said. */
#define TPC_CLAIM_PREPARED "tpc.prepared" /* b 0: a participant voted yes and now waits */
#define TPC_CLAIM_DECIDE "tpc.decide"     /* b 1 commit, 0 abort: this node's outcome */

#endif
