/* models/quorum_wire.h - the messages of the quorum-replicated register (quorum_replica),
 * as sent by its clients (quorum_client) and answered by the replicas.
 *
 * The register is ABD's (Attiya, Bar-Noy, Dolev): every replica keeps a (tag, value) pair
 * and a tag is (counter, writer node), ordered lexicographically. A value is a value id:
 * writer node << 32 | the writer's sequence (>= 1), unique in the run; 0 is the initial
 * nil, held with the tag (0, 0).
 *
 * One fixed layout of QUORUM_WIRE_BYTES, little-endian, whatever the kind:
 *   0  magic "QRG1" (u32)   4  kind (u8)   5..7 zero
 *   8  op (u64: the client's operation nonce, echoed by the replica)
 *   16 tag counter (u64)    24 tag writer (u32)   28..31 zero
 *   32 value id (u64)
 *   40 checksum (u64, FNV-1a over bytes 0..39)
 * A flipped bit in a tag or value would be a write nobody made, so a message whose
 * checksum fails is rejected, never applied. Only static inline helpers, no state. */
#ifndef MODELS_QUORUM_WIRE_H
#define MODELS_QUORUM_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define QUORUM_WIRE_BYTES 48u
#define QUORUM_WIRE_MAGIC UINT32_C(0x31475251) /* "QRG1" read little-endian */

enum quorum_wire_kind {
    QUORUM_QUERY = 1,       /* client -> replica (request): your (tag, value)? tag, value 0 */
    QUORUM_QUERY_REPLY = 2, /* replica -> client (reply): the (tag, value) held here */
    QUORUM_STORE = 3,       /* client -> replica (request): keep (tag, value) if newer */
    QUORUM_STORE_ACK = 4,   /* replica -> client (reply): holds (tag, value) or newer; echoed */
};

struct quorum_tag {
    uint64_t counter;
    uint32_t writer; /* node index of the client that chose the counter */
};

struct quorum_wire {
    enum quorum_wire_kind kind;
    uint64_t op;
    struct quorum_tag tag;
    uint64_t value_id;
};

/* a < b in the register's order: counter first, then writer. */
static inline bool quorum_tag_less(struct quorum_tag a, struct quorum_tag b)
{
    if (a.counter != b.counter) return a.counter < b.counter;
    return a.writer < b.writer;
}

static inline bool quorum_tag_equal(struct quorum_tag a, struct quorum_tag b)
{
    return a.counter == b.counter && a.writer == b.writer;
}

static inline uint64_t quorum_value_id(uint32_t writer_node, uint32_t seq)
{
    return ((uint64_t)writer_node << 32) | seq;
}

static inline void quorum_wire_encode(const struct quorum_wire *w,
                                      unsigned char out[QUORUM_WIRE_BYTES])
{
    for (size_t i = 0; i < QUORUM_WIRE_BYTES; i++) out[i] = 0;
    murphy_wire_put_u32(out, QUORUM_WIRE_MAGIC);
    out[4] = (unsigned char)w->kind;
    murphy_wire_put_u64(out + 8, w->op);
    murphy_wire_put_u64(out + 16, w->tag.counter);
    murphy_wire_put_u32(out + 24, w->tag.writer);
    murphy_wire_put_u64(out + 32, w->value_id);
    murphy_wire_put_u64(out + 40, murphy_wire_checksum(out, 40));
}

/* Decodes what arrived: false (and *w untouched) for a wrong length, magic, kind, padding
 * or checksum, or a pair that no write makes: a tag of counter 0 is only the initial
 * (0, 0) with value 0, and a tag of counter >= 1 carries a value id of its writer's
 * sequence >= 1. Callers check that the kind fits its sender and its operation. */
static inline bool quorum_wire_decode(const void *payload, size_t bytes, struct quorum_wire *w)
{
    const unsigned char *p = payload;
    if (bytes != QUORUM_WIRE_BYTES || p == NULL) return false;
    if (murphy_wire_get_u32(p) != QUORUM_WIRE_MAGIC) return false;
    if (p[5] != 0 || p[6] != 0 || p[7] != 0) return false;
    if (murphy_wire_get_u32(p + 28) != 0) return false;
    if (p[4] < QUORUM_QUERY || p[4] > QUORUM_STORE_ACK) return false;
    if (murphy_wire_get_u64(p + 40) != murphy_wire_checksum(p, 40)) return false;
    struct quorum_wire d = {.kind = (enum quorum_wire_kind)p[4],
                            .op = murphy_wire_get_u64(p + 8),
                            .tag = {.counter = murphy_wire_get_u64(p + 16),
                                    .writer = murphy_wire_get_u32(p + 24)},
                            .value_id = murphy_wire_get_u64(p + 32)};
    if (d.tag.counter == 0 && (d.tag.writer != 0 || d.value_id != 0)) return false;
    if (d.tag.counter != 0 && (uint32_t)d.value_id == 0) return false;
    *w = d;
    return true;
}

#endif
