/* models/name_wire.h - the messages of the unique-name registry (name_registry), as sent
 * by its clients (name_client) and by replicas to each other.
 *
 * One fixed layout of NAME_WIRE_BYTES, little-endian, whatever the kind:
 *   0  magic "NAM2" (u32)   4  kind (u8)   5..7 zero
 *   8  name id (u32)        12 client (u32: the node index of the client the name is for)
 *   16 attempt (u64: the coordinator's id for one reservation proposal; 0 from clients)
 *   24 token (u64: the fencing token; what it means depends on the kind, below)
 *   32 checksum (u64, FNV-1a over bytes 0..31)
 * A corrupted name, client or token would hand a name (or a lock on it) to somebody who
 * never asked, so a message whose checksum fails is rejected, never applied.
 * Token per kind: REGISTER and FAIL carry 0; OK the token granted; RESERVE the token
 * proposed; GRANT the token promised (the proposal's); STALE the peer's counter for the
 * name (at least the proposal: propose above it); DENY anything (ignored). Only static
 * inline helpers, no state. */
#ifndef MODELS_NAME_WIRE_H
#define MODELS_NAME_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define NAME_WIRE_BYTES 40u
#define NAME_WIRE_MAGIC UINT32_C(0x324d414e) /* "NAM2" read little-endian */
#define NAME_POOL_MAX 1024u                  /* name ids are 1..NAME_POOL_MAX */

enum name_wire_kind {
    NAME_REGISTER = 1, /* client -> replica (request): give me this name */
    NAME_OK = 2,       /* replica -> client (reply): the name is yours, with this token */
    NAME_FAIL = 3,     /* replica -> client (reply): not given (taken, or no majority) */
    NAME_RESERVE = 4,  /* replica -> peer (replication): promise this name at this token */
    NAME_GRANT = 5,    /* peer -> replica (replication): promised, at this token */
    NAME_DENY = 6,     /* peer -> replica (replication): promised to another client */
    NAME_STALE = 7,    /* peer -> replica (replication): token not above mine (here) */
};

struct name_wire {
    enum name_wire_kind kind;
    uint32_t name_id;
    uint32_t client;
    uint64_t attempt;
    uint64_t token;
};

static inline void name_wire_encode(const struct name_wire *w, unsigned char out[NAME_WIRE_BYTES])
{
    for (size_t i = 0; i < NAME_WIRE_BYTES; i++) out[i] = 0;
    for (int i = 0; i < 4; i++) out[i] = (unsigned char)(NAME_WIRE_MAGIC >> (8 * i));
    out[4] = (unsigned char)w->kind;
    murphy_wire_put_u64(out + 8, (uint64_t)w->name_id | (uint64_t)w->client << 32);
    murphy_wire_put_u64(out + 16, w->attempt);
    murphy_wire_put_u64(out + 24, w->token);
    murphy_wire_put_u64(out + 32, murphy_wire_checksum(out, 32));
}

/* Whether a token fits the kind (see the layout above): a grant of token 0 would be a
 * fencing token below every real one, and a request carrying one means nothing. */
static inline bool name_wire_token_fits(enum name_wire_kind kind, uint64_t token)
{
    switch (kind) {
    case NAME_REGISTER:
    case NAME_FAIL: return token == 0;
    case NAME_OK:
    case NAME_RESERVE:
    case NAME_GRANT:
    case NAME_STALE: return token != 0;
    case NAME_DENY: return true;
    }
    return false;
}

/* Decodes what arrived: false (and *w untouched) for a wrong length, magic, kind, padding,
 * checksum, a name id outside 1..NAME_POOL_MAX or a token that does not fit the kind.
 * Callers check the kind fits its sender. */
static inline bool name_wire_decode(const void *payload, size_t bytes, struct name_wire *w)
{
    const unsigned char *p = payload;
    if (bytes != NAME_WIRE_BYTES || p == NULL) return false;
    uint32_t magic = 0;
    for (int i = 0; i < 4; i++) magic |= (uint32_t)p[i] << (8 * i);
    if (magic != NAME_WIRE_MAGIC) return false;
    if (p[5] != 0 || p[6] != 0 || p[7] != 0) return false;
    if (p[4] < NAME_REGISTER || p[4] > NAME_STALE) return false;
    if (murphy_wire_get_u64(p + 32) != murphy_wire_checksum(p, 32)) return false;
    uint64_t ids = murphy_wire_get_u64(p + 8);
    uint32_t name_id = (uint32_t)ids;
    if (name_id == 0 || name_id > NAME_POOL_MAX) return false;
    enum name_wire_kind kind = (enum name_wire_kind)p[4];
    uint64_t token = murphy_wire_get_u64(p + 24);
    if (!name_wire_token_fits(kind, token)) return false;
    *w = (struct name_wire){.kind = kind, .name_id = name_id, .client = (uint32_t)(ids >> 32),
                            .attempt = murphy_wire_get_u64(p + 16), .token = token};
    return true;
}

#endif
