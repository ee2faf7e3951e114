/* models/name_wire.h - the messages of the unique-name registry (name_registry), as sent
 * by its clients (name_client) and by replicas to each other.
 *
 * One fixed layout of NAME_WIRE_BYTES, little-endian, whatever the kind:
 *   0  magic "NAM1" (u32)   4  kind (u8)   5..7 zero
 *   8  name id (u32)        12 client (u32: the node index of the client the name is for)
 *   16 attempt (u64: the coordinator's id for one reservation round; 0 from clients)
 *   24 checksum (u64, FNV-1a over bytes 0..23)
 * A corrupted name or client would hand a name to somebody who never asked, so a message
 * whose checksum fails is rejected, never applied. Only static inline helpers, no state. */
#ifndef MODELS_NAME_WIRE_H
#define MODELS_NAME_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define NAME_WIRE_BYTES 32u
#define NAME_WIRE_MAGIC UINT32_C(0x314d414e) /* "NAM1" read little-endian */
#define NAME_POOL_MAX 1024u                  /* name ids are 1..NAME_POOL_MAX */

enum name_wire_kind {
    NAME_REGISTER = 1, /* client -> replica (request): give me this name */
    NAME_OK = 2,       /* replica -> client (reply): the name is yours */
    NAME_FAIL = 3,     /* replica -> client (reply): not given (taken, or no majority) */
    NAME_RESERVE = 4,  /* replica -> peer (replication): promise this name to this client */
    NAME_GRANT = 5,    /* peer -> replica (replication): promised */
    NAME_DENY = 6,     /* peer -> replica (replication): promised to another client */
};

struct name_wire {
    enum name_wire_kind kind;
    uint32_t name_id;
    uint32_t client;
    uint64_t attempt;
};

static inline void name_wire_encode(const struct name_wire *w, unsigned char out[NAME_WIRE_BYTES])
{
    for (size_t i = 0; i < NAME_WIRE_BYTES; i++) out[i] = 0;
    for (int i = 0; i < 4; i++) out[i] = (unsigned char)(NAME_WIRE_MAGIC >> (8 * i));
    out[4] = (unsigned char)w->kind;
    murphy_wire_put_u64(out + 8, (uint64_t)w->name_id | (uint64_t)w->client << 32);
    murphy_wire_put_u64(out + 16, w->attempt);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
}

/* Decodes what arrived: false (and *w untouched) for a wrong length, magic, kind, padding,
 * checksum or a name id outside 1..NAME_POOL_MAX. Callers check the kind fits its sender. */
static inline bool name_wire_decode(const void *payload, size_t bytes, struct name_wire *w)
{
    const unsigned char *p = payload;
    if (bytes != NAME_WIRE_BYTES || p == NULL) return false;
    uint32_t magic = 0;
    for (int i = 0; i < 4; i++) magic |= (uint32_t)p[i] << (8 * i);
    if (magic != NAME_WIRE_MAGIC) return false;
    if (p[5] != 0 || p[6] != 0 || p[7] != 0) return false;
    if (p[4] < NAME_REGISTER || p[4] > NAME_DENY) return false;
    if (murphy_wire_get_u64(p + 24) != murphy_wire_checksum(p, 24)) return false;
    uint64_t ids = murphy_wire_get_u64(p + 8);
    uint32_t name_id = (uint32_t)ids;
    if (name_id == 0 || name_id > NAME_POOL_MAX) return false;
    *w = (struct name_wire){.kind = (enum name_wire_kind)p[4], .name_id = name_id,
                            .client = (uint32_t)(ids >> 32),
                            .attempt = murphy_wire_get_u64(p + 16)};
    return true;
}

#endif
