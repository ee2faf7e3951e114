/* murphy/wire.h - helpers for a model's message formats: fixed little-endian fields and a
 * checksum, so that every model encodes the same way and checks what it receives.
 *
 * Messages are bytes on a network that may flip a bit (link `corrupt`) or carry a liar's
 * payload: a model decodes every field from the bytes, checks the length, its magic and
 * the checksum, and rejects (murphy_note) what fails, never trusting it. The checksum is
 * FNV-1a 64: enough to catch the simulator's corruption, not a defence against a liar
 * (who can recompute it). All functions are pure and inline; no state. */
#ifndef MURPHY_WIRE_H
#define MURPHY_WIRE_H

#include <stddef.h>
#include <stdint.h>

static inline void murphy_wire_put_u64(unsigned char *out, uint64_t value)
{
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(value >> (8 * i));
}

static inline uint64_t murphy_wire_get_u64(const unsigned char *in)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++) value |= (uint64_t)in[i] << (8 * i);
    return value;
}

static inline void murphy_wire_put_u32(unsigned char *out, uint32_t value)
{
    for (int i = 0; i < 4; i++) out[i] = (unsigned char)(value >> (8 * i));
}

static inline uint32_t murphy_wire_get_u32(const unsigned char *in)
{
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) value |= (uint32_t)in[i] << (8 * i);
    return value;
}

/* FNV-1a 64 of bytes[0..byte_count). */
static inline uint64_t murphy_wire_checksum(const unsigned char *bytes, size_t byte_count)
{
    uint64_t hash = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < byte_count; i++) {
        hash ^= bytes[i];
        hash *= UINT64_C(1099511628211);
    }
    return hash;
}

#endif
