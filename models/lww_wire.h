/* models/lww_wire.h - the messages of the last-write-wins register (lww_replica), as
 * written by its writers (lww_client, clock_guard) and by replicas to each other.
 *
 * One fixed layout of LWW_WIRE_BYTES, little-endian, whatever the kind:
 *   0  magic "LWW1" (u32)      4  kind (u8)     5..7  zero
 *   8  timestamp ns (i64)      16 value id (u64: writer node << 32 | writer's sequence)
 *   24 checksum (u64, FNV-1a over bytes 0..23)
 * A write's (timestamp, value id) is also its place in the register's order: the larger
 * pair wins, so ties of timestamp go to the larger writer id, then the later write.
 * The checksum is there because links may flip bits: a corrupted timestamp would be a
 * lie nobody told, so a message whose checksum fails is rejected, never applied.
 *
 * Shared by three models (one header, not three copies of a wire format that must agree);
 * only static inline helpers, no state. */
#ifndef MODELS_LWW_WIRE_H
#define MODELS_LWW_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define LWW_WIRE_BYTES 32u
#define LWW_WIRE_MAGIC UINT32_C(0x3157574c) /* "LWW1" read little-endian */

enum lww_wire_kind {
    LWW_WRITE = 1,     /* writer -> replica (request): apply (ts, value id) */
    LWW_WRITE_ACK = 2, /* replica -> writer (reply): applied; echoes ts and value id */
    LWW_READ = 3,      /* reader -> replica (request): ts and value id are zero */
    LWW_READ_REPLY = 4,/* replica -> reader (reply): the register; value id 0 if never set */
    LWW_REPLICATE = 5, /* replica -> peer replica (replication): apply, do not forward */
};

struct lww_wire {
    enum lww_wire_kind kind;
    int64_t ts_ns;
    uint64_t value_id;
};

/* The value id of a writer's seq-th write (seq >= 1), and its parts. */
static inline uint64_t lww_value_id(uint32_t writer_node, uint32_t seq)
{
    return ((uint64_t)writer_node << 32) | seq;
}

static inline uint32_t lww_value_writer(uint64_t value_id) { return (uint32_t)(value_id >> 32); }

/* (a_ts, a_id) > (b_ts, b_id) in the register's order. */
static inline bool lww_wins(int64_t a_ts_ns, uint64_t a_id, int64_t b_ts_ns, uint64_t b_id)
{
    if (a_ts_ns != b_ts_ns) return a_ts_ns > b_ts_ns;
    return a_id > b_id;
}

static inline void lww_wire_encode(const struct lww_wire *w, unsigned char out[LWW_WIRE_BYTES])
{
    for (size_t i = 0; i < LWW_WIRE_BYTES; i++) out[i] = 0;
    for (int i = 0; i < 4; i++) out[i] = (unsigned char)(LWW_WIRE_MAGIC >> (8 * i));
    out[4] = (unsigned char)w->kind;
    murphy_wire_put_u64(out + 8, (uint64_t)w->ts_ns);
    murphy_wire_put_u64(out + 16, w->value_id);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
}

/* Decodes what arrived: false (and *w untouched) for a wrong length, magic, kind, padding
 * or checksum. Says nothing about whether the kind fits its sender: callers check. */
static inline bool lww_wire_decode(const void *payload, size_t bytes, struct lww_wire *w)
{
    const unsigned char *p = payload;
    if (bytes != LWW_WIRE_BYTES || p == NULL) return false;
    uint32_t magic = 0;
    for (int i = 0; i < 4; i++) magic |= (uint32_t)p[i] << (8 * i);
    if (magic != LWW_WIRE_MAGIC) return false;
    if (p[5] != 0 || p[6] != 0 || p[7] != 0) return false;
    if (p[4] < LWW_WRITE || p[4] > LWW_REPLICATE) return false;
    if (murphy_wire_get_u64(p + 24) != murphy_wire_checksum(p, 24)) return false;
    *w = (struct lww_wire){.kind = (enum lww_wire_kind)p[4],
                           .ts_ns = (int64_t)murphy_wire_get_u64(p + 8),
                           .value_id = murphy_wire_get_u64(p + 16)};
    return true;
}

#endif
