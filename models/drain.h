/* models/drain.h - the wire format of GC-aware routing, shared by the server that
 * announces its pauses (echo.c, announce_pauses) and the client that routes around them
 * (client.c, honour_drain). CONTROL-class messages of 32 bytes, little-endian:
 *
 *   0..3    magic "GCDN"
 *   4       kind: DRAIN_KIND_DRAINING or DRAIN_KIND_BACK (8 bits apart)
 *   5       the kind's complement
 *   6..7    zero
 *   8..15   epoch: the server's pause number, >= 1, increasing for its whole life
 *   16..23  away_ns: draining: true ns from now until the pause should be over
 *           (notice + pause), at most DRAIN_AWAY_NS_MAX; back: 0
 *   24..31  FNV-1a 64 of bytes 0..23
 *
 * The receiver trusts nothing: drain_decode checks every byte, so a corrupted or forged
 * message is rejected (a single flipped bit always changes the checksum), never obeyed. */
#ifndef MODELS_DRAIN_H
#define MODELS_DRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define DRAIN_MSG_BYTES 32u
#define DRAIN_KIND_DRAINING 0x5Au
#define DRAIN_KIND_BACK 0xA5u
/* a notice (gc_notice <= 1 h) plus a pause (sampled, clamped to 1 day) */
#define DRAIN_AWAY_NS_MAX (INT64_C(25) * 3600 * 1000000000)

struct drain_msg {
    unsigned kind;
    uint64_t epoch;
    int64_t away_ns;
};

static inline void drain_encode(const struct drain_msg *m, unsigned char out[DRAIN_MSG_BYTES])
{
    out[0] = 'G';
    out[1] = 'C';
    out[2] = 'D';
    out[3] = 'N';
    out[4] = (unsigned char)m->kind;
    out[5] = (unsigned char)~m->kind;
    out[6] = out[7] = 0;
    murphy_wire_put_u64(out + 8, m->epoch);
    murphy_wire_put_u64(out + 16, (uint64_t)m->away_ns);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
}

/* True, with *m filled, if bytes are a well-formed drain message. */
static inline bool drain_decode(const void *payload, size_t payload_bytes, struct drain_msg *m)
{
    const unsigned char *p = payload;
    if (payload_bytes != DRAIN_MSG_BYTES) return false;
    if (p[0] != 'G' || p[1] != 'C' || p[2] != 'D' || p[3] != 'N') return false;
    if (p[4] != DRAIN_KIND_DRAINING && p[4] != DRAIN_KIND_BACK) return false;
    if ((p[4] ^ p[5]) != 0xFFu || p[6] != 0 || p[7] != 0) return false;
    if (murphy_wire_get_u64(p + 24) != murphy_wire_checksum(p, 24)) return false;
    m->kind = p[4];
    m->epoch = murphy_wire_get_u64(p + 8);
    m->away_ns = (int64_t)murphy_wire_get_u64(p + 16);
    if (m->epoch == 0) return false;
    if (m->kind == DRAIN_KIND_BACK) return m->away_ns == 0;
    return m->away_ns >= 0 && m->away_ns <= DRAIN_AWAY_NS_MAX;
}

#endif
