/* models/elect_wire.h - the messages of leader election (elect_node) and of the storage its
 * leaders write to (term_store): one layout, so both agree on it.
 *
 * 32 bytes, little-endian: [0] kind, [1..8) zero, [8..16) term, [16..24) a value by kind,
 * [24..32) FNV-1a 64 of the 24 bytes before (murphy/wire.h). A message is accepted only if
 * its length, padding, kind and checksum are right and its term is not negative; what the
 * value means is each model's to check. Only static inline helpers, no state. */
#ifndef MODELS_ELECT_WIRE_H
#define MODELS_ELECT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define ELECT_MSG_BYTES 32u

enum elect_kind {
    MSG_VOTE_REQ = 1, /* (term, candidate's mono at the send)   candidate -> peers  */
    MSG_VOTE,         /* (term, echoed mono if granted, else -1) peer -> candidate   */
    MSG_BEAT,         /* (term, leader's mono at the send)       leader -> peers     */
    MSG_BEAT_ACK,     /* (term, echoed mono, or -1 if refused)   peer -> leader      */
    MSG_WRITE,        /* (term, the writer's write number)       leader -> store     */
    MSG_KIND_END
};

static inline void elect_wire_encode(enum elect_kind kind, int64_t term, int64_t value,
                                     unsigned char out[ELECT_MSG_BYTES])
{
    for (size_t i = 0; i < ELECT_MSG_BYTES; i++) out[i] = 0;
    out[0] = (unsigned char)kind;
    murphy_wire_put_u64(out + 8, (uint64_t)term);
    murphy_wire_put_u64(out + 16, (uint64_t)value);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
}

/* False (outputs untouched or partly written, never to be used) if malformed. */
static inline bool elect_wire_decode(const void *payload, size_t payload_bytes, int *kind,
                                     int64_t *term, int64_t *value)
{
    const unsigned char *in = payload;
    if (payload_bytes != ELECT_MSG_BYTES || in == NULL) return false;
    for (size_t i = 1; i < 8; i++)
        if (in[i] != 0) return false;
    if (murphy_wire_get_u64(in + 24) != murphy_wire_checksum(in, 24)) return false;
    *kind = in[0];
    *term = (int64_t)murphy_wire_get_u64(in + 8);
    *value = (int64_t)murphy_wire_get_u64(in + 16);
    return *kind >= MSG_VOTE_REQ && *kind < MSG_KIND_END && *term >= 0;
}

#endif
