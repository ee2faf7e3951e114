/* models/cache_server.c - a cache whose entries expire at a point in time chosen by the
 * writer: key -> (version, expires_at), where expires_at is the writer's wall-clock
 * reading plus a ttl. On a get the cache compares ITS OWN wall clock with expires_at: a
 * point in time from one node's clock judged by another's. With skewed clocks it serves
 * entries that have expired (the writer's clock was ahead) or drops entries early (it was
 * behind); the `cache` oracle (checks/cache.c) measures both against true time.
 *
 * Tells the oracles: claim "cache.hit" (key, version) when it serves an entry, claim
 * "cache.expired" (key, version) when it drops one on a get. Expiry is lazy (on a get),
 * as in many caches; an entry nobody asks for is never judged.
 *
 * Entries are volatile: a crash empties the cache. The table holds CACHE_ENTRIES_MAX
 * keys; a put of a new key into a full table is refused (acknowledged as not stored).
 *
 * Invariants: S1 at most one entry per key; S2 an entry is served only while the cache's
 * wall clock reads before its expires_at, and dropped when it does not; S3 an entry's
 * version only grows (a put older than or equal to what is held changes nothing);
 * S4 a message that does not decode (length, type, CRC, ranges) is noted and dropped,
 * never stored or answered. */
#include "models.h"

#include "cache_wire.h"

#define CACHE_ENTRIES_MAX 64u /* linear scan below: small on purpose */

struct cache_entry {
    bool is_used;
    uint32_t key;
    uint64_t version;
    int64_t expires_at_wall_ns; /* on the writer's clock */
};

struct cache_server_volatile {
    struct cache_entry entries[CACHE_ENTRIES_MAX];
};

static struct cache_entry *find(struct cache_server_volatile *v, uint32_t key)
{
    for (uint32_t i = 0; i < CACHE_ENTRIES_MAX; i++)
        if (v->entries[i].is_used && v->entries[i].key == key) return &v->entries[i]; /* S1 */
    return NULL;
}

static struct cache_entry *find_free(struct cache_server_volatile *v)
{
    for (uint32_t i = 0; i < CACHE_ENTRIES_MAX; i++)
        if (!v->entries[i].is_used) return &v->entries[i];
    return NULL;
}

static void answer(struct murphy_node *node, const struct murphy_msg *request,
                   const struct cache_msg *m)
{
    unsigned char out[CACHE_WIRE_BYTES_MAX];
    size_t bytes = cache_wire_encode(m, out);
    murphy_reply(node, request, out, bytes);
}

static void on_put(struct murphy_node *node, const struct murphy_msg *request,
                   const struct cache_msg *put)
{
    struct cache_server_volatile *v = murphy_volatile(node);
    struct cache_entry *e = find(v, put->key);
    bool is_stored = false;
    if (!e && (e = find_free(v)) != NULL)
        *e = (struct cache_entry){.is_used = true, .key = put->key};
    if (e && put->version > e->version) { /* S3 */
        e->version = put->version;
        e->expires_at_wall_ns = put->expires_at_wall_ns;
        is_stored = true;
    }
    if (!e) murphy_note(node, "cache full: put of a new key refused");
    struct cache_msg ack = {.type = CACHE_MSG_PUT_ACK, .key = put->key, .version = put->version,
                            .status = is_stored ? 1 : 0};
    answer(node, request, &ack);
}

static void on_get(struct murphy_node *node, const struct murphy_msg *request,
                   const struct cache_msg *get)
{
    struct cache_server_volatile *v = murphy_volatile(node);
    struct cache_entry *e = find(v, get->key);
    struct cache_msg reply = {.type = CACHE_MSG_GET_REPLY, .key = get->key,
                              .status = CACHE_GET_MISS};
    if (e) {
        reply.version = e->version;
        /* S2: the writer's point in time, read on this node's clock */
        if (murphy_wall_ns(node) < e->expires_at_wall_ns) {
            reply.status = CACHE_GET_HIT;
            murphy_claim(node, "cache.hit", (int64_t)e->key, (int64_t)e->version);
        } else {
            reply.status = CACHE_GET_EXPIRED;
            murphy_claim(node, "cache.expired", (int64_t)e->key, (int64_t)e->version);
            *e = (struct cache_entry){0};
        }
    }
    answer(node, request, &reply);
}

static void cache_server_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct cache_msg m;
    if (msg->traffic_class != MURPHY_CLASS_REQUEST ||
        !cache_wire_decode(msg->payload, msg->payload_bytes, &m)) {
        murphy_note(node, "cache: rejected a malformed request"); /* S4 */
        return;
    }
    if (m.type == CACHE_MSG_PUT) on_put(node, msg, &m);
    else if (m.type == CACHE_MSG_GET) on_get(node, msg, &m);
    else murphy_note(node, "cache: rejected a reply sent as a request"); /* S4 */
}

const struct murphy_model models_cache_server = {
    .api_version = MURPHY_API_VERSION,
    .name = "cache_server",
    .summary = "a cache that expires entries at the writer's wall-clock time, by its own clock",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct cache_server_volatile),
    .params = NULL,
    .param_count = 0,
    .on_message = cache_server_on_message,
};
