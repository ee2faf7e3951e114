/* models/cache_wire.h - the messages between cache_client and cache_server, and their
 * fixed little-endian encoding. Shared by the two models so that both read the same
 * layout; holds no state (static inline functions, const data only).
 *
 * Every message is: type (1 byte), fields, then a CRC-32 of everything before it (4
 * bytes). A receiver accepts a message only if its length is exactly its type's, its CRC
 * matches (a corrupted bit is caught, never trusted) and its fields are in range.
 *
 *   PUT        type 1, key u32, version u64, expires_at_wall_ns i64      (25 bytes)
 *   PUT_ACK    type 2, key u32, version u64, stored u8                   (18 bytes)
 *   GET        type 3, key u32                                           ( 9 bytes)
 *   GET_REPLY  type 4, key u32, version u64 (0: none), status u8         (18 bytes)
 *
 * expires_at_wall_ns is a point in time on the WRITER's wall clock (its reading + ttl):
 * the cache compares it with its own wall clock, which is the mistake this pair of models
 * exists to show. */
#ifndef MODELS_CACHE_WIRE_H
#define MODELS_CACHE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define CACHE_KEY_LIMIT (UINT32_C(1) << 20) /* keys are below this */
#define CACHE_VERSION_MAX UINT32_MAX        /* versions fit 32 bits (see the put claim) */
#define CACHE_WIRE_BYTES_MAX 25u

enum cache_msg_type {
    CACHE_MSG_PUT = 1,
    CACHE_MSG_PUT_ACK = 2,
    CACHE_MSG_GET = 3,
    CACHE_MSG_GET_REPLY = 4,
};

/* GET_REPLY status: what the cache did with the key. */
enum cache_get_status {
    CACHE_GET_MISS = 0,    /* no entry */
    CACHE_GET_HIT = 1,     /* served, not expired by the cache's clock */
    CACHE_GET_EXPIRED = 2, /* the entry had expired by the cache's clock: dropped */
};

struct cache_msg {
    enum cache_msg_type type;
    uint32_t key;
    uint64_t version;
    int64_t expires_at_wall_ns; /* PUT only */
    uint8_t status;             /* PUT_ACK: 1 stored, 0 older than what is held;
                                   GET_REPLY: enum cache_get_status */
};

static inline uint32_t cache_wire_crc32(const unsigned char *p, size_t bytes)
{
    /* bitwise CRC-32 (IEEE): no table, and a message is at most 21 bytes */
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < bytes; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static inline size_t cache_wire_bytes(enum cache_msg_type type)
{
    switch (type) {
    case CACHE_MSG_PUT: return 25;
    case CACHE_MSG_PUT_ACK:
    case CACHE_MSG_GET_REPLY: return 18;
    case CACHE_MSG_GET: return 9;
    }
    return 0;
}

/* Encodes m into out (CACHE_WIRE_BYTES_MAX bytes); returns its length. */
static inline size_t cache_wire_encode(const struct cache_msg *m, unsigned char *out)
{
    size_t bytes = cache_wire_bytes(m->type);
    out[0] = (unsigned char)m->type;
    for (int i = 0; i < 4; i++) out[1 + i] = (unsigned char)(m->key >> (8 * i));
    if (m->type != CACHE_MSG_GET) murphy_wire_put_u64(out + 5, m->version);
    if (m->type == CACHE_MSG_PUT) murphy_wire_put_u64(out + 13, (uint64_t)m->expires_at_wall_ns);
    if (m->type == CACHE_MSG_PUT_ACK || m->type == CACHE_MSG_GET_REPLY) out[13] = m->status;
    uint32_t crc = cache_wire_crc32(out, bytes - 4);
    for (int i = 0; i < 4; i++) out[bytes - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    return bytes;
}

/* Decodes and checks a received payload: false for a wrong length, type or CRC, a key at
 * or above CACHE_KEY_LIMIT, a version of 0 or above CACHE_VERSION_MAX where one is
 * required, or a status out of range. */
static inline bool cache_wire_decode(const void *payload, size_t bytes, struct cache_msg *m)
{
    const unsigned char *p = payload;
    if (bytes < 9 || bytes > CACHE_WIRE_BYTES_MAX) return false;
    enum cache_msg_type type = (enum cache_msg_type)p[0];
    if (p[0] < CACHE_MSG_PUT || p[0] > CACHE_MSG_GET_REPLY || cache_wire_bytes(type) != bytes)
        return false;
    uint32_t crc = 0;
    for (int i = 0; i < 4; i++) crc |= (uint32_t)p[bytes - 4 + (size_t)i] << (8 * i);
    if (crc != cache_wire_crc32(p, bytes - 4)) return false;
    *m = (struct cache_msg){.type = type};
    for (int i = 0; i < 4; i++) m->key |= (uint32_t)p[1 + i] << (8 * i);
    if (m->key >= CACHE_KEY_LIMIT) return false;
    if (type == CACHE_MSG_GET) return true;
    m->version = murphy_wire_get_u64(p + 5);
    if (m->version > CACHE_VERSION_MAX) return false;
    if (type == CACHE_MSG_PUT) {
        m->expires_at_wall_ns = (int64_t)murphy_wire_get_u64(p + 13);
        return m->version != 0;
    }
    m->status = p[13];
    if (type == CACHE_MSG_PUT_ACK) return m->version != 0 && m->status <= 1;
    return m->status <= CACHE_GET_EXPIRED && (m->version != 0) == (m->status != CACHE_GET_MISS);
}

#endif
