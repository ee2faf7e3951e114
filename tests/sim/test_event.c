/* tests/sim/test_event.c - proves the canonical event format (sim/event.h): the name
 * tables the record uses are bijections (every kind, and every aux value of each kind
 * that names its aux, maps to a unique name and back), the encoding is 72 bytes,
 * little-endian, with each field at a fixed offset and the reserved tail zeroed whatever
 * the buffer held, and the stream hash reacts to any single-field change of any event
 * and to event order. A known stream's hash is pinned: if it moves, the hash format
 * changed and SIM_HASH_FORMAT_VERSION must be bumped with it.
 * How: names are looped over both ways; fields are filled with distinct byte patterns and
 * read back at their offsets by hand; hashes of a base stream and of every one-field
 * mutation are compared. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <xxhash.h>

#include "murphy/node.h"
#include "sim/event.h"

/* Checks that names[0..count) are non-NULL, distinct, and map back through from_name;
 * and that the value just past the table has no name. */
static void expect_bijection(const char *what, size_t count,
                             const char *(*name_of)(unsigned value, void *ctx),
                             int (*from_name)(const char *name, void *ctx), void *ctx)
{
    for (size_t i = 0; i < count; i++) {
        const char *name = name_of((unsigned)i, ctx);
        cr_assert_not_null(name, "%s %zu has no name", what, i);
        cr_assert_neq(name[0], '\0', "%s %zu has an empty name", what, i);
        cr_assert_eq(from_name(name, ctx), (int)i, "%s '%s' does not map back to %zu", what,
                     name, i);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(name, name_of((unsigned)j, ctx), "%s %zu and %zu share '%s'",
                              what, i, j, name);
    }
    cr_assert_null(name_of((unsigned)count, ctx), "%s %zu is past the table", what, count);
    cr_assert_null(name_of(1000u, ctx));
    cr_assert_eq(from_name("no-such-name", ctx), -1);
    cr_assert_eq(from_name("", ctx), -1);
}

static const char *kind_name(unsigned v, void *ctx)
{
    (void)ctx;
    return sim_event_kind_name(v);
}

static int kind_from(const char *name, void *ctx)
{
    (void)ctx;
    return sim_event_kind_from_name(name);
}

static const char *aux_name(unsigned v, void *ctx)
{
    return sim_event_aux_name(*(const unsigned *)ctx, v);
}

static int aux_from(const char *name, void *ctx)
{
    return sim_event_aux_from_name(*(const unsigned *)ctx, name);
}

Test(sim_event, kind_names_are_a_bijection)
{
    expect_bijection("kind", SIM_EV_KIND_COUNT, kind_name, kind_from, NULL);
    /* a few names the record and docs rely on */
    cr_assert_str_eq(sim_event_kind_name(SIM_EV_SEND), "send");
    cr_assert_str_eq(sim_event_kind_name(SIM_EV_DROP), "drop");
    cr_assert_str_eq(sim_event_kind_name(SIM_EV_DELIVER), "deliver");
    cr_assert_str_eq(sim_event_kind_name(SIM_EV_CLAMP), "clamp");
}

/* How many named aux values each kind has; 0 where aux is a plain number. */
static size_t aux_count(unsigned kind)
{
    switch (kind) {
    case SIM_EV_SEND:
    case SIM_EV_ENQUEUE:
    case SIM_EV_DELIVER: return MURPHY_CLASS_COUNT;
    case SIM_EV_DROP: return SIM_DROP_REASON_COUNT;
    case SIM_EV_FAULT: return SIM_FAULT_ACTION_COUNT;
    case SIM_EV_OP_COMPLETE: return 3; /* ok, fail, info */
    case SIM_EV_CLOCK_STEP:
    case SIM_EV_CLOCK_RATE: return SIM_CLOCK_CAUSE_COUNT;
    case SIM_EV_CLOCK_SYNC: return SIM_SYNC_ACTION_COUNT;
    case SIM_EV_PAUSE:
    case SIM_EV_RESUME: return 2;        /* fault, gc */
    case SIM_EV_PAUSE_NOTICE: return 2;  /* heard, missed */
    case SIM_EV_LIE: return SIM_BYZ_POLICY_COUNT;
    case SIM_EV_ATTACK: return SIM_ATTACK_KIND_COUNT;
    default: return 0;
    }
}

Test(sim_event, aux_names_are_a_bijection_per_kind)
{
    for (unsigned kind = 0; kind < SIM_EV_KIND_COUNT; kind++) {
        size_t count = aux_count(kind);
        if (count == 0) {
            for (unsigned aux = 0; aux < 8; aux++)
                cr_assert_null(sim_event_aux_name(kind, aux), "kind %s has no named aux",
                               sim_event_kind_name(kind));
            cr_assert_eq(sim_event_aux_from_name(kind, "loss"), -1);
            cr_assert_eq(sim_event_aux_from_name(kind, "request"), -1);
            continue;
        }
        expect_bijection(sim_event_kind_name(kind), count, aux_name, aux_from, &kind);
    }
    /* the per-table helpers agree with the per-kind lookup */
    for (unsigned c = 0; c <= MURPHY_CLASS_COUNT; c++) {
        const char *a = sim_class_name(c), *b = sim_event_aux_name(SIM_EV_SEND, c);
        cr_assert((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "class %u", c);
    }
    for (unsigned r = 0; r <= SIM_DROP_REASON_COUNT; r++) {
        const char *a = sim_drop_reason_name(r), *b = sim_event_aux_name(SIM_EV_DROP, r);
        cr_assert((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "reason %u", r);
    }
    for (unsigned f = 0; f <= SIM_FAULT_ACTION_COUNT; f++) {
        const char *a = sim_fault_action_name(f), *b = sim_event_aux_name(SIM_EV_FAULT, f);
        cr_assert((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "action %u", f);
    }
    for (unsigned p = 0; p <= SIM_BYZ_POLICY_COUNT; p++) {
        const char *a = sim_byz_policy_name(p), *b = sim_event_aux_name(SIM_EV_LIE, p);
        cr_assert((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "policy %u", p);
        if (a) cr_assert_eq(sim_byz_policy_from_name(a), (int)p);
    }
    for (unsigned k = 0; k <= SIM_ATTACK_KIND_COUNT; k++) {
        const char *a = sim_attack_kind_name(k), *b = sim_event_aux_name(SIM_EV_ATTACK, k);
        cr_assert((a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0), "attack %u", k);
        if (a) cr_assert_eq(sim_attack_kind_from_name(a), (int)k);
    }
    /* appended at the end: the numbers of older kinds, and so old hashes, stay */
    cr_assert_eq(SIM_EV_LIE, SIM_EV_TRUST + 1);
    cr_assert_eq(SIM_EV_ATTACK, SIM_EV_TRUST + 2);
    cr_assert_str_eq(sim_event_aux_name(SIM_EV_DROP, SIM_DROP_QUEUE_FULL), "queue_full");
    cr_assert_str_eq(sim_event_aux_name(SIM_EV_DELIVER, MURPHY_CLASS_HEARTBEAT), "heartbeat");
    cr_assert_str_eq(sim_event_aux_name(SIM_EV_OP_COMPLETE, MURPHY_OP_INFO), "info");
    /* a name from another kind's table is not this kind's */
    cr_assert_eq(sim_event_aux_from_name(SIM_EV_DROP, "request"), -1);
    cr_assert_eq(sim_event_aux_from_name(SIM_EV_SEND, "loss"), -1);
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static struct sim_event patterned_event(void)
{
    /* every byte of every field distinct, so a field at a wrong offset cannot pass */
    return (struct sim_event){
        .seq = UINT64_C(0x0102030405060708),
        .time_ns = INT64_C(0x1112131415161718),
        .node = UINT32_C(0x21222324),
        .peer = UINT32_C(0x31323334),
        .kind = UINT16_C(0x4142),
        .aux = UINT16_C(0x5152),
        .obj = UINT64_C(0x6162636465666768),
        .ref = UINT64_C(0x7172737475767778),
        .arg = INT64_C(0x0a0b0c0d0e0f1011),
        .mono_ns = INT64_C(0x1a1b1c1d1e1f2021),
        .wall_ns = INT64_C(0x2a2b2c2d2e2f3031),
    };
}

Test(sim_event, encoding_is_72_little_endian_bytes_at_fixed_offsets)
{
    cr_assert_eq(SIM_EVENT_ENCODED_BYTES, 72);
    struct sim_event ev = patterned_event();
    unsigned char out[SIM_EVENT_ENCODED_BYTES + 8];
    memset(out, 0xee, sizeof out); /* garbage, including past the end */
    sim_event_encode(&ev, out);
    cr_assert_eq(get_le(out + 0, 8), ev.seq);
    cr_assert_eq(get_le(out + 8, 8), (uint64_t)ev.time_ns);
    cr_assert_eq(get_le(out + 16, 4), ev.node);
    cr_assert_eq(get_le(out + 20, 4), ev.peer);
    cr_assert_eq(get_le(out + 24, 2), ev.kind);
    cr_assert_eq(get_le(out + 26, 2), ev.aux);
    cr_assert_eq(get_le(out + 28, 8), ev.obj);
    cr_assert_eq(get_le(out + 36, 8), ev.ref);
    cr_assert_eq(get_le(out + 44, 8), (uint64_t)ev.arg);
    cr_assert_eq(get_le(out + 52, 8), (uint64_t)ev.mono_ns);
    cr_assert_eq(get_le(out + 60, 8), (uint64_t)ev.wall_ns);
    for (int i = 68; i < 72; i++) cr_assert_eq(out[i], 0, "reserved byte %d not zeroed", i);
    for (int i = 72; i < 80; i++) cr_assert_eq(out[i], 0xee, "wrote past 72 bytes at %d", i);
    /* the least significant byte comes first */
    cr_assert_eq(out[0], 0x08);
    cr_assert_eq(out[7], 0x01);
    cr_assert_eq(out[16], 0x24);
    cr_assert_eq(out[24], 0x42);
}

Test(sim_event, negative_fields_encode_as_twos_complement)
{
    struct sim_event ev = {.time_ns = -1, .arg = INT64_MIN, .mono_ns = -2, .wall_ns = -3,
                           .node = SIM_NODE_NONE, .peer = SIM_NODE_NONE};
    unsigned char out[SIM_EVENT_ENCODED_BYTES];
    sim_event_encode(&ev, out);
    cr_assert_eq(get_le(out + 8, 8), UINT64_MAX);
    cr_assert_eq(get_le(out + 44, 8), UINT64_C(0x8000000000000000));
    cr_assert_eq(get_le(out + 52, 8), UINT64_MAX - 1);
    cr_assert_eq(get_le(out + 60, 8), UINT64_MAX - 2);
    cr_assert_eq(get_le(out + 16, 4), 0xffffffffu);
}

/* A small stream that looks like a run: start, send, deliver, timer. */
#define STREAM_LEN 5
static void base_stream(struct sim_event ev[STREAM_LEN])
{
    for (int i = 0; i < STREAM_LEN; i++) {
        ev[i] = (struct sim_event){
            .seq = (uint64_t)i,
            .time_ns = 1000 * i,
            .node = (uint32_t)(i % 2),
            .peer = i == 1 ? 1u : SIM_NODE_NONE,
            .kind = (uint16_t)(i % SIM_EV_KIND_COUNT),
            .aux = (uint16_t)(i % 3),
            .obj = (uint64_t)(i + 1),
            .ref = (uint64_t)(2 * i),
            .arg = 100 + i,
            .mono_ns = 1000 * i + 7,
            .wall_ns = INT64_C(1735689600000000000) + 1000 * i,
        };
    }
}

static uint64_t stream_hash(const struct sim_event *ev, int count)
{
    struct sim_hash *h = sim_hash_create();
    cr_assert_not_null(h);
    for (int i = 0; i < count; i++) sim_hash_add(h, &ev[i]);
    uint64_t v = sim_hash_value(h);
    sim_hash_destroy(h);
    return v;
}

/* Changes field `f` of ev by `flip` (a single bit). */
static void mutate(struct sim_event *ev, int f, uint64_t flip)
{
    switch (f) {
    case 0: ev->seq ^= flip; break;
    case 1: ev->time_ns = (int64_t)((uint64_t)ev->time_ns ^ flip); break;
    case 2: ev->node ^= (uint32_t)flip; break;
    case 3: ev->peer ^= (uint32_t)flip; break;
    case 4: ev->kind ^= (uint16_t)flip; break;
    case 5: ev->aux ^= (uint16_t)flip; break;
    case 6: ev->obj ^= flip; break;
    case 7: ev->ref ^= flip; break;
    case 8: ev->arg = (int64_t)((uint64_t)ev->arg ^ flip); break;
    case 9: ev->mono_ns = (int64_t)((uint64_t)ev->mono_ns ^ flip); break;
    case 10: ev->wall_ns = (int64_t)((uint64_t)ev->wall_ns ^ flip); break;
    default: cr_assert_fail("no field %d", f);
    }
}

static const int field_bits[11] = {64, 64, 32, 32, 16, 16, 64, 64, 64, 64, 64};

Test(sim_event, hash_changes_when_any_single_field_of_one_event_changes)
{
    struct sim_event ev[STREAM_LEN];
    base_stream(ev);
    uint64_t base = stream_hash(ev, STREAM_LEN);
    cr_assert_eq(stream_hash(ev, STREAM_LEN), base, "the hash is a pure function");
    for (int i = 0; i < STREAM_LEN; i++) {
        for (int f = 0; f < 11; f++) {
            /* the lowest and the highest bit of the field, and one in between */
            int bits[3] = {0, field_bits[f] / 2 + 1, field_bits[f] - 1};
            for (int b = 0; b < 3; b++) {
                struct sim_event changed[STREAM_LEN];
                memcpy(changed, ev, sizeof changed);
                mutate(&changed[i], f, UINT64_C(1) << bits[b]);
                cr_assert_not(sim_event_equal(&changed[i], &ev[i]));
                cr_assert_neq(stream_hash(changed, STREAM_LEN), base,
                              "event %d field %d bit %d does not reach the hash", i, f, bits[b]);
            }
        }
    }
}

Test(sim_event, hash_depends_on_order_and_length)
{
    struct sim_event ev[STREAM_LEN];
    base_stream(ev);
    uint64_t base = stream_hash(ev, STREAM_LEN);
    struct sim_event swapped[STREAM_LEN];
    memcpy(swapped, ev, sizeof swapped);
    swapped[1] = ev[2];
    swapped[2] = ev[1];
    cr_assert_neq(stream_hash(swapped, STREAM_LEN), base);
    cr_assert_neq(stream_hash(ev, STREAM_LEN - 1), base);
    /* the empty stream is XXH3 of nothing */
    cr_assert_eq(stream_hash(ev, 0), XXH3_64bits(NULL, 0));
}

Test(sim_event, hash_is_xxh3_of_the_concatenated_encodings)
{
    struct sim_event ev[STREAM_LEN];
    base_stream(ev);
    unsigned char all[STREAM_LEN * SIM_EVENT_ENCODED_BYTES];
    for (int i = 0; i < STREAM_LEN; i++)
        sim_event_encode(&ev[i], all + i * SIM_EVENT_ENCODED_BYTES);
    cr_assert_eq(stream_hash(ev, STREAM_LEN), XXH3_64bits(all, sizeof all));
    /* pinned: this stream under hash format 1. If this fails, the canonical encoding
     * changed: bump SIM_HASH_FORMAT_VERSION and update this constant together. */
    cr_assert_eq(SIM_HASH_FORMAT_VERSION, 1);
    cr_assert_eq(stream_hash(ev, STREAM_LEN), UINT64_C(0x7e166938bbf78d06),
                 "hash of the reference stream: 0x%016" PRIx64, stream_hash(ev, STREAM_LEN));
}

Test(sim_event, equal_compares_every_field)
{
    struct sim_event a = patterned_event(), b = patterned_event();
    cr_assert(sim_event_equal(&a, &b));
    for (int f = 0; f < 11; f++) {
        b = a;
        mutate(&b, f, 1);
        cr_assert_not(sim_event_equal(&a, &b), "field %d is ignored by sim_event_equal", f);
        cr_assert_not(sim_event_equal(&b, &a));
    }
}

Test(sim_event, text_hash_is_xxh3_and_null_is_zero)
{
    cr_assert_eq(sim_text_hash(NULL), 0);
    cr_assert_eq((uint64_t)sim_text_hash("x' ; DROP TABLE runs"),
                 XXH3_64bits("x' ; DROP TABLE runs", 20));
    cr_assert_neq(sim_text_hash(""), sim_text_hash(NULL), "empty text is not no text");
    cr_assert_neq(sim_text_hash("a"), sim_text_hash("b"));
}
