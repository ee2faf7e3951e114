/* models/fd_wire.h - the heartbeat of the failure detectors (fd_heartbeat sends it,
 * fd_monitor checks it): one shared layout, so the two agree and tests can speak it too.
 *
 * Layout (32 bytes, little-endian whatever the host):
 *   [0..4)    magic FD_WIRE_MAGIC ("HBT1")
 *   [4..8)    zero
 *   [8..16)   sequence number: strictly increasing over the sender's whole life (durable)
 *   [16..24)  the sender's monotonic clock when it sent (its own clock, not the receiver's)
 *   [24..32)  FNV-1a 64 of bytes [0..24)
 * A heartbeat is accepted only if its length is exactly 32, its magic and padding match
 * and its checksum is right (a single flipped bit always fails FNV-1a: murphy/wire.h). */
#ifndef MODELS_FD_WIRE_H
#define MODELS_FD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/murphy.h"

#define FD_WIRE_MAGIC UINT32_C(0x31544248) /* "HBT1" read little-endian */
#define FD_WIRE_BYTES 32u

struct fd_heartbeat_msg {
    uint64_t seq;
    int64_t sent_mono_ns;
};

static inline void fd_wire_encode(const struct fd_heartbeat_msg *msg,
                                  unsigned char out[FD_WIRE_BYTES])
{
    for (size_t i = 0; i < FD_WIRE_BYTES; i++) out[i] = 0;
    murphy_wire_put_u32(out, FD_WIRE_MAGIC);
    murphy_wire_put_u64(out + 8, msg->seq);
    murphy_wire_put_u64(out + 16, (uint64_t)msg->sent_mono_ns);
    murphy_wire_put_u64(out + 24, murphy_wire_checksum(out, 24));
}

/* Decodes payload into msg; false (msg untouched) if it is not a well-formed heartbeat. */
static inline bool fd_wire_decode(const void *payload, size_t payload_bytes,
                                  struct fd_heartbeat_msg *msg)
{
    const unsigned char *in = payload;
    if (payload_bytes != FD_WIRE_BYTES) return false;
    if (murphy_wire_get_u32(in) != FD_WIRE_MAGIC) return false;
    if (murphy_wire_get_u32(in + 4) != 0) return false;
    if (murphy_wire_get_u64(in + 24) != murphy_wire_checksum(in, 24)) return false;
    msg->seq = murphy_wire_get_u64(in + 8);
    msg->sent_mono_ns = (int64_t)murphy_wire_get_u64(in + 16);
    return true;
}

/* Sends heartbeat number seq, stamped with the sender's monotonic clock, to every node of
 * the sender's `monitors` group parameter but itself. */
static inline void fd_wire_send_heartbeats(struct murphy_node *node, uint64_t seq)
{
    struct fd_heartbeat_msg msg = {.seq = seq, .sent_mono_ns = murphy_mono_ns(node)};
    unsigned char bytes[FD_WIRE_BYTES];
    fd_wire_encode(&msg, bytes);
    uint32_t first = 0, count = 0;
    murphy_param_group(node, "monitors", &first, &count);
    uint32_t self = murphy_node_index(node);
    for (uint32_t i = first; i < first + count; i++)
        if (i != self) murphy_send(node, i, MURPHY_CLASS_HEARTBEAT, bytes, sizeof bytes);
}

#endif
