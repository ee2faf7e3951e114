/* models/kv_service.c - a key-value service that takes client input and trusts none of it.
 * A client PUTs a value under a key and GETs it back (kv_wire.h). Every request is read
 * from its bytes: the frame first (length fields against the payload, magic, kind,
 * padding, checksum), then the service's policy: a key is 1..key_max bytes of
 * [A-Za-z0-9_.-] (keys end up in logs and names; values never need to), a value at most
 * value_max bytes of anything, NUL and markup included. What passes is stored verbatim and
 * read back byte for byte; what fails is refused with a reason, both in the reply (the
 * client's op fails with it) and in a note naming the key as it arrived (kv_escape: NUL
 * shows as \x00). The service never interprets a value: it is bytes with a length.
 *
 *   client --PUT key value--> service: frame ok, key ok, value ok, a slot for the key?
 *            store (replace_value) and reply STORED; else reply REFUSED(reason)
 *   client --GET key--> service: frame ok, key ok, stored? reply VALUE with the bytes
 *            stored; else REFUSED(reason)
 *   anything that is not a request (a reply class, a reply kind) is refused the same way
 *   when it can be answered, and only noted when it cannot (a message of another class)
 *
 * Invariants:
 *   K1 a stored key passed the policy: 1..key_max bytes, each in [A-Za-z0-9_.-];
 *   K2 a stored value is exactly the bytes of the last accepted PUT for its key, and at
 *      most value_max long; a GET returns those bytes and their length, nothing else;
 *   K3 every request gets one reply (STORED, VALUE or REFUSED) and every refusal of a PUT
 *      or of a frame is noted with its reason; a refused request changes nothing;
 *   K4 nothing from a message is read outside its payload (kv_wire_decode checks the
 *      lengths first) and no byte of it reaches a format string.
 * Left out: replication, persistence beyond the durable table (KV_KEYS_MAX keys). */
#include "models.h"

#include <stdio.h>
#include <string.h>

#include "kv_wire.h"

#define KV_KEYS_MAX 32u
#define KV_NOTE_KEY_BYTES 48u /* of a refused key, quoted in its note */

struct kv_entry {
    uint32_t key_bytes; /* 0: the slot is free (K1: a stored key is never empty) */
    uint32_t value_bytes;
    unsigned char key[KV_KEY_BYTES_MAX];
    unsigned char value[KV_VALUE_BYTES_MAX];
};

struct kv_durable {
    struct kv_entry entries[KV_KEYS_MAX];
};

struct kv_volatile {
    unsigned char reply[KV_WIRE_FRAME_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX];
};

static const struct murphy_param_spec kv_params[] = {
    {"key_max", MURPHY_PARAM_INT, "32", 1, KV_KEY_BYTES_MAX,
     "longest key accepted, in bytes (at most KV_KEY_BYTES_MAX = 64)"},
    {"value_max", MURPHY_PARAM_INT, "65536", 1, KV_VALUE_BYTES_MAX,
     "longest value accepted, in bytes (at most KV_VALUE_BYTES_MAX = 65536)"},
};

static bool is_key_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

/* The policy on a key (K1); KV_REASON_NONE when it may be stored or looked up. */
static enum kv_reason check_key(const struct murphy_node *node, const struct kv_frame *f)
{
    if (f->key_bytes == 0) return KV_REASON_KEY_EMPTY;
    if (f->key_bytes > (uint64_t)murphy_param_i64(node, "key_max")) return KV_REASON_KEY_TOO_LONG;
    for (uint32_t i = 0; i < f->key_bytes; i++)
        if (!is_key_byte(f->key[i])) return KV_REASON_KEY_CHARS;
    return KV_REASON_NONE;
}

/* The entry holding the key, or NULL; linear: KV_KEYS_MAX is small. */
static struct kv_entry *find(struct kv_durable *d, const unsigned char *key, uint32_t key_bytes)
{
    for (uint32_t i = 0; i < KV_KEYS_MAX; i++) {
        struct kv_entry *e = &d->entries[i];
        if (e->key_bytes != 0 && e->key_bytes == key_bytes &&
            memcmp(e->key, key, key_bytes) == 0)
            return e;
    }
    return NULL;
}

static struct kv_entry *find_free(struct kv_durable *d)
{
    for (uint32_t i = 0; i < KV_KEYS_MAX; i++)
        if (d->entries[i].key_bytes == 0) return &d->entries[i];
    return NULL;
}

/* The reply buffer holds the largest reply: an echoed key within our limit and a value. */
_Static_assert(sizeof(((struct kv_volatile *)0)->reply) >=
                   KV_WIRE_FRAME_BYTES + KV_KEY_BYTES_MAX + KV_VALUE_BYTES_MAX, "reply fits");

static void reply(struct murphy_node *node, const struct murphy_msg *msg, enum kv_wire_kind kind,
                  enum kv_reason reason, const struct kv_frame *about, const struct kv_entry *e)
{
    struct kv_volatile *v = murphy_volatile(node);
    /* the key is echoed only if it fits our limit: a refused 1 MB key is not sent back */
    bool has_key = about && about->key_bytes <= KV_KEY_BYTES_MAX;
    struct kv_frame out = {.kind = kind, .reason = reason,
                           .key = has_key ? about->key : NULL,
                           .key_bytes = has_key ? about->key_bytes : 0,
                           .value = e ? e->value : NULL, .value_bytes = e ? e->value_bytes : 0};
    size_t bytes = kv_wire_encode(&out, v->reply);
    murphy_reply(node, msg, v->reply, bytes);
}

/* K3: the refusal, noted with the reason and the key as it arrived (escaped, cut). */
static void refuse(struct murphy_node *node, const struct murphy_msg *msg, const char *what,
                   const struct kv_frame *f, enum kv_reason reason)
{
    char key[4 * KV_NOTE_KEY_BYTES + 1], note[sizeof key + 160];
    if (f) {
        uint32_t shown = f->key_bytes > KV_NOTE_KEY_BYTES ? KV_NOTE_KEY_BYTES : f->key_bytes;
        kv_escape(f->key, shown, key);
        snprintf(note, sizeof note, "refused %s of key \"%s\"%s (%u bytes): %s", what, key,
                 f->key_bytes > shown ? "..." : "", f->key_bytes, kv_reason_text(reason));
    } else { /* the frame did not decode: no field of it can be believed */
        snprintf(note, sizeof note, "refused %s of %zu bytes: %s", what, msg->payload_bytes,
                 kv_reason_text(reason));
    }
    murphy_note(node, note);
    reply(node, msg, KV_REFUSED, reason, f, NULL);
}

static void on_put(struct murphy_node *node, const struct murphy_msg *msg, const struct kv_frame *f)
{
    struct kv_durable *d = murphy_durable(node);
    enum kv_reason reason = check_key(node, f);
    if (reason == KV_REASON_NONE && f->value_bytes > (uint64_t)murphy_param_i64(node, "value_max"))
        reason = KV_REASON_VALUE_TOO_LONG;
    struct kv_entry *e = reason == KV_REASON_NONE ? find(d, f->key, f->key_bytes) : NULL;
    if (reason == KV_REASON_NONE && !e) {
        e = find_free(d);
        if (!e) reason = KV_REASON_FULL;
    }
    if (reason != KV_REASON_NONE) {
        refuse(node, msg, "a put", f, reason);
        return;
    }
    /* K2: verbatim, the length kept beside the bytes; they fit the entry because the
     * declared bounds of key_max and value_max are the entry's sizes */
    e->key_bytes = f->key_bytes;
    memcpy(e->key, f->key, f->key_bytes);
    e->value_bytes = f->value_bytes;
    if (f->value_bytes) memcpy(e->value, f->value, f->value_bytes);
    char note[KV_KEY_BYTES_MAX + 64];
    snprintf(note, sizeof note, "stored key \"%.*s\": %u bytes", (int)f->key_bytes,
             (const char *)f->key, f->value_bytes); /* K1: the key is printable */
    murphy_note(node, note);
    reply(node, msg, KV_STORED, KV_REASON_NONE, f, NULL);
}

static void on_get(struct murphy_node *node, const struct murphy_msg *msg, const struct kv_frame *f)
{
    enum kv_reason reason = check_key(node, f);
    if (reason == KV_REASON_NONE && f->value_bytes != 0) reason = KV_REASON_MALFORMED;
    const struct kv_entry *e =
        reason == KV_REASON_NONE ? find(murphy_durable(node), f->key, f->key_bytes) : NULL;
    if (reason == KV_REASON_NONE && !e) reason = KV_REASON_NO_SUCH_KEY;
    if (reason != KV_REASON_NONE) {
        refuse(node, msg, "a get", f, reason);
        return;
    }
    reply(node, msg, KV_VALUE, KV_REASON_NONE, f, e); /* K2 */
}

static void kv_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    if (msg->traffic_class != MURPHY_CLASS_REQUEST) {
        murphy_note(node, "ignored a message that is not a request"); /* nothing to answer */
        return;
    }
    struct kv_frame f;
    enum kv_reason reason = kv_wire_decode(msg->payload, msg->payload_bytes, &f);
    if (reason != KV_REASON_NONE) {
        refuse(node, msg, "a message", NULL, reason); /* K3, K4 */
        return;
    }
    if (f.kind == KV_PUT) on_put(node, msg, &f);
    else if (f.kind == KV_GET) on_get(node, msg, &f);
    else refuse(node, msg, "a message", &f, KV_REASON_WRONG_KIND);
}

const struct murphy_model models_kv_service = {
    .api_version = MURPHY_API_VERSION,
    .name = "kv_service",
    .summary = "a key-value store that validates client input and stores values verbatim",
    .durable_bytes = sizeof(struct kv_durable),
    .volatile_bytes = sizeof(struct kv_volatile),
    .params = kv_params,
    .param_count = sizeof kv_params / sizeof kv_params[0],
    .on_message = kv_on_message,
};
