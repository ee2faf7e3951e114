/* models/lease_wire.h - the messages of the lease lock (lease_server), its clients
 * (lease_client) and the storage they write to (store_server): one shared layout, so the
 * three models agree on it and tests can speak it too.
 *
 * Layout (little-endian, whatever the host):
 *   [0]          kind (enum lease_msg_kind)
 *   [1..8)       zero
 *   [8..8+8n)    n signed 64-bit fields, n fixed by the kind (lease_wire_field_count)
 *   [8+8n..+8)   FNV-1a 64 of every byte before it
 * A message is accepted only if its length is exactly what its kind implies, its padding
 * is zero and its checksum matches. FNV-1a detects any change of a single byte for
 * certain (each step is a bijection of the running hash), so a flipped bit in transit
 * (link `corrupt`) is always rejected, never acted on. What the fields *mean* (a token
 * of 0, a negative version) is each model's to check. */
#ifndef MODELS_LEASE_WIRE_H
#define MODELS_LEASE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

enum lease_msg_kind {
    LEASE_MSG_ACQUIRE = 1, /* client -> lock: ()                                    */
    LEASE_MSG_RELEASE,     /* client -> lock: (token); one way, never answered       */
    LEASE_MSG_GRANT,       /* lock -> client: (token, lease_ns)                      */
    LEASE_MSG_BUSY,        /* lock -> client: ()                                    */
    STORE_MSG_READ,        /* client -> store: (token)                               */
    STORE_MSG_READ_OK,     /* store -> client: (value, version)                      */
    STORE_MSG_WRITE,       /* client -> store: (token, value, base_version)          */
    STORE_MSG_WRITE_OK,    /* store -> client: (version after the write)             */
    STORE_MSG_REJECTED,    /* store -> client: (highest token the store has seen)    */
    LEASE_MSG_KIND_END
};

#define LEASE_WIRE_FIELDS_MAX 3u
#define LEASE_WIRE_BYTES_MAX (16u + 8u * LEASE_WIRE_FIELDS_MAX)

struct lease_wire_msg {
    enum lease_msg_kind kind;
    int64_t field[LEASE_WIRE_FIELDS_MAX]; /* unused ones are 0 */
};

/* Fields carried by a kind; 0 for an unknown kind too (check the kind first). */
static inline size_t lease_wire_field_count(int kind)
{
    switch (kind) {
    case LEASE_MSG_RELEASE: case STORE_MSG_READ: case STORE_MSG_WRITE_OK:
    case STORE_MSG_REJECTED: return 1;
    case LEASE_MSG_GRANT: case STORE_MSG_READ_OK: return 2;
    case STORE_MSG_WRITE: return 3;
    default: return 0;
    }
}

/* Encodes msg into out; returns the byte count to send. */
static inline size_t lease_wire_encode(const struct lease_wire_msg *msg,
                                       unsigned char out[LEASE_WIRE_BYTES_MAX])
{
    size_t fields = lease_wire_field_count((int)msg->kind);
    for (size_t i = 0; i < LEASE_WIRE_BYTES_MAX; i++) out[i] = 0;
    out[0] = (unsigned char)msg->kind;
    for (size_t i = 0; i < fields; i++)
        murphy_wire_put_u64(out + 8 + 8 * i, (uint64_t)msg->field[i]);
    size_t body_bytes = 8 + 8 * fields;
    murphy_wire_put_u64(out + body_bytes, murphy_wire_checksum(out, body_bytes));
    return body_bytes + 8;
}

/* Decodes payload into msg; false (msg untouched) if it is not a well-formed message. */
static inline bool lease_wire_decode(const void *payload, size_t payload_bytes,
                                     struct lease_wire_msg *msg)
{
    const unsigned char *in = payload;
    if (payload_bytes < 16 || payload_bytes > LEASE_WIRE_BYTES_MAX) return false;
    int kind = in[0];
    if (kind < LEASE_MSG_ACQUIRE || kind >= LEASE_MSG_KIND_END) return false;
    size_t fields = lease_wire_field_count(kind);
    size_t body_bytes = 8 + 8 * fields;
    if (payload_bytes != body_bytes + 8) return false;
    for (size_t i = 1; i < 8; i++)
        if (in[i] != 0) return false;
    if (murphy_wire_get_u64(in + body_bytes) != murphy_wire_checksum(in, body_bytes)) return false;
    *msg = (struct lease_wire_msg){.kind = (enum lease_msg_kind)kind};
    for (size_t i = 0; i < fields; i++) msg->field[i] = (int64_t)murphy_wire_get_u64(in + 8 + 8 * i);
    return true;
}

#endif
