/* models/kv_wire.h - the messages of the key-value service (kv_service) and its clients
 * (hostile_client), and the one way a value with NUL bytes is written into a C string.
 *
 * Variable length, little-endian:
 *   0  magic "KVS1" (u32)   4  kind (u8)   5  reason (u8: REFUSED only, else 0)   6..7 zero
 *   8  key bytes (u32)      12 value bytes (u32)
 *   16 the key, then the value (any bytes, NUL included; nothing terminates them)
 *   16 + key + value: checksum (u64, FNV-1a over every byte before it)
 * Kinds: PUT (client -> service: store value under key), GET (value bytes 0), STORED
 * (service -> client: the key, no value), VALUE (the key and its value), REFUSED (the key
 * as it arrived, if the frame could be read, and a reason). The decoder checks the frame
 * only (length fields against the payload, magic, kind, padding, checksum); what a key
 * may hold and how long things may be is the service's policy, not the wire's.
 *
 * Records: murphy_op_invoke and murphy_note take C strings, which cannot hold NUL. Models
 * that record client bytes write them through kv_escape: NUL becomes the four characters
 * \x00 and a backslash becomes \\; every other byte (control bytes, markup, broken UTF-8)
 * is kept as it is, so that the record holds the input as given and the readers (log,
 * report, export, timeline) meet it raw. kv_escape is reversible: a backslash in the
 * output always starts \\ or \x00. Only static inline helpers, no state. */
#ifndef MODELS_KV_WIRE_H
#define MODELS_KV_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "murphy/wire.h"

#define KV_WIRE_MAGIC UINT32_C(0x3153564b) /* "KVS1" read little-endian */
#define KV_WIRE_HEADER_BYTES 16u
#define KV_WIRE_TRAILER_BYTES 8u
#define KV_WIRE_FRAME_BYTES (KV_WIRE_HEADER_BYTES + KV_WIRE_TRAILER_BYTES)
#define KV_KEY_BYTES_MAX 64u            /* the most the service can be told to accept */
#define KV_VALUE_BYTES_MAX (64u * 1024u) /* likewise, for a value */

enum kv_wire_kind {
    KV_PUT = 1,
    KV_GET = 2,
    KV_STORED = 3,
    KV_VALUE = 4,
    KV_REFUSED = 5,
};

/* Why a request was refused; carried in REFUSED, named by kv_reason_text. */
enum kv_reason {
    KV_REASON_NONE = 0,
    KV_REASON_MALFORMED = 1,      /* length fields, magic, kind or padding */
    KV_REASON_CHECKSUM = 2,       /* the bytes are not the ones the checksum covers */
    KV_REASON_KEY_EMPTY = 3,
    KV_REASON_KEY_TOO_LONG = 4,   /* above key_max */
    KV_REASON_KEY_CHARS = 5,      /* a byte outside [A-Za-z0-9_.-] */
    KV_REASON_VALUE_TOO_LONG = 6, /* above value_max */
    KV_REASON_NO_SUCH_KEY = 7,    /* a GET of a key never stored */
    KV_REASON_FULL = 8,           /* a PUT of a new key with every slot taken */
    KV_REASON_WRONG_KIND = 9,     /* a reply kind sent as a request */
};
#define KV_REASON_LAST KV_REASON_WRONG_KIND

static inline const char *kv_reason_text(enum kv_reason reason)
{
    switch (reason) {
    case KV_REASON_NONE: return "accepted";
    case KV_REASON_MALFORMED: return "malformed message (length, magic, kind or padding)";
    case KV_REASON_CHECKSUM: return "checksum mismatch";
    case KV_REASON_KEY_EMPTY: return "empty key";
    case KV_REASON_KEY_TOO_LONG: return "key longer than key_max";
    case KV_REASON_KEY_CHARS: return "key holds a byte outside [A-Za-z0-9_.-]";
    case KV_REASON_VALUE_TOO_LONG: return "value longer than value_max";
    case KV_REASON_NO_SUCH_KEY: return "no such key";
    case KV_REASON_FULL: return "table full";
    case KV_REASON_WRONG_KIND: return "not a request";
    }
    return "unknown reason";
}

/* A frame as decoded: key and value point into the payload (borrowed with it). */
struct kv_frame {
    enum kv_wire_kind kind;
    enum kv_reason reason;
    const unsigned char *key;
    uint32_t key_bytes;
    const unsigned char *value;
    uint32_t value_bytes;
};

static inline size_t kv_wire_bytes(uint32_t key_bytes, uint32_t value_bytes)
{
    return KV_WIRE_FRAME_BYTES + (size_t)key_bytes + (size_t)value_bytes;
}

/* Encodes f into out, which holds kv_wire_bytes(f->key_bytes, f->value_bytes) bytes;
 * returns that size. */
static inline size_t kv_wire_encode(const struct kv_frame *f, unsigned char *out)
{
    size_t bytes = kv_wire_bytes(f->key_bytes, f->value_bytes);
    murphy_wire_put_u32(out, KV_WIRE_MAGIC);
    out[4] = (unsigned char)f->kind;
    out[5] = (unsigned char)f->reason;
    out[6] = out[7] = 0;
    murphy_wire_put_u32(out + 8, f->key_bytes);
    murphy_wire_put_u32(out + 12, f->value_bytes);
    for (uint32_t i = 0; i < f->key_bytes; i++) out[KV_WIRE_HEADER_BYTES + i] = f->key[i];
    unsigned char *value = out + KV_WIRE_HEADER_BYTES + f->key_bytes;
    for (uint32_t i = 0; i < f->value_bytes; i++) value[i] = f->value[i];
    size_t body = bytes - KV_WIRE_TRAILER_BYTES;
    murphy_wire_put_u64(out + body, murphy_wire_checksum(out, body));
    return bytes;
}

/* Decodes what arrived. Returns KV_REASON_NONE and fills *f, or MALFORMED / CHECKSUM
 * (and leaves *f untouched). The length fields are checked against the payload before
 * anything is read through them, so no field can make the reader leave the payload. */
static inline enum kv_reason kv_wire_decode(const void *payload, size_t bytes,
                                            struct kv_frame *f)
{
    const unsigned char *p = payload;
    if (p == NULL || bytes < KV_WIRE_FRAME_BYTES) return KV_REASON_MALFORMED;
    if (murphy_wire_get_u32(p) != KV_WIRE_MAGIC) return KV_REASON_MALFORMED;
    if (p[4] < KV_PUT || p[4] > KV_REFUSED || p[6] != 0 || p[7] != 0) return KV_REASON_MALFORMED;
    if (p[5] > KV_REASON_LAST || (p[4] != KV_REFUSED && p[5] != 0)) return KV_REASON_MALFORMED;
    uint32_t key_bytes = murphy_wire_get_u32(p + 8), value_bytes = murphy_wire_get_u32(p + 12);
    if (kv_wire_bytes(key_bytes, value_bytes) != bytes) return KV_REASON_MALFORMED;
    size_t body = bytes - KV_WIRE_TRAILER_BYTES;
    if (murphy_wire_get_u64(p + body) != murphy_wire_checksum(p, body)) return KV_REASON_CHECKSUM;
    *f = (struct kv_frame){.kind = (enum kv_wire_kind)p[4], .reason = (enum kv_reason)p[5],
                           .key = p + KV_WIRE_HEADER_BYTES, .key_bytes = key_bytes,
                           .value = p + KV_WIRE_HEADER_BYTES + key_bytes,
                           .value_bytes = value_bytes};
    return KV_REASON_NONE;
}

/* The bytes kv_escape writes for bytes[0..byte_count), terminating NUL included. */
static inline size_t kv_escaped_bytes(const unsigned char *bytes, size_t byte_count)
{
    size_t out = 1;
    for (size_t i = 0; i < byte_count; i++)
        out += bytes[i] == 0 ? 4 : bytes[i] == '\\' ? 2 : 1;
    return out;
}

/* Writes bytes[0..byte_count) into out as a C string (see the header comment): NUL as
 * \x00, backslash as \\, everything else as it is. out holds at least
 * kv_escaped_bytes(bytes, byte_count) bytes (4 * byte_count + 1 always suffices). */
static inline char *kv_escape(const unsigned char *bytes, size_t byte_count, char *out)
{
    size_t at = 0;
    for (size_t i = 0; i < byte_count; i++) {
        if (bytes[i] == 0) {
            out[at++] = '\\';
            out[at++] = 'x';
            out[at++] = '0';
            out[at++] = '0';
        } else if (bytes[i] == '\\') {
            out[at++] = '\\';
            out[at++] = '\\';
        } else {
            out[at++] = (char)bytes[i];
        }
    }
    out[at] = '\0';
    return out;
}

#endif
