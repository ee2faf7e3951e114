/* tests/models/test_quorum_models.c - the quorum register's parts one by one: its wire
 * format (models/quorum_wire.h: round trip, every flipped bit and every pair no write makes
 * rejected), the replica's invariants R1-R4 (models/quorum_replica.c), and a lone client's
 * loop (models/quorum_client.c C1-C3: a client alone reads what it wrote last). How: the
 * replica is driven by a scripted model defined here that sends exact messages at fixed
 * times, in a world run in-process, and writes every answer into a note
 * ("s<step>:<kind>,<counter>,<writer>,<value>"); the test compares the whole transcript and
 * the replica's notes with what the invariants say. Links have a constant 1 ms delay. */
#include <criterion/criterion.h>

#include "model_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "models/quorum_wire.h"
#include "sim/world.h"

#define MS INT64_C(1000000)
#define STEPS_MAX 16u
#define RAW 0 /* a step that sends bytes that are no message */
#define V(writer, seq) (((uint64_t)(writer) << 32) | (seq)) /* quorum_value_id, constant */

/* --- the wire format ------------------------------------------------------------------ */

Test(quorum_wire, round_trip_and_every_flipped_bit_is_rejected)
{
    struct quorum_wire w = {.kind = QUORUM_STORE, .op = 77, .tag = {5, 3},
                            .value_id = V(3, 9)};
    unsigned char p[QUORUM_WIRE_BYTES];
    quorum_wire_encode(&w, p);
    struct quorum_wire d = {0};
    cr_assert(quorum_wire_decode(p, sizeof p, &d));
    cr_assert_eq(d.kind, QUORUM_STORE);
    cr_assert_eq(d.op, 77);
    cr_assert(quorum_tag_equal(d.tag, w.tag));
    cr_assert_eq(d.value_id, V(3, 9));
    cr_assert_eq(V(3, 9), quorum_value_id(3, 9));
    for (size_t bit = 0; bit < 8 * sizeof p; bit++) {
        p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        cr_assert(!quorum_wire_decode(p, sizeof p, &d), "bit %zu flipped and accepted", bit);
        p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    cr_assert(!quorum_wire_decode(p, sizeof p - 1, &d));
    cr_assert(!quorum_wire_decode(NULL, sizeof p, &d));
}

Test(quorum_wire, pairs_no_write_makes_are_rejected)
{
    const struct quorum_wire bad[] = {
        {QUORUM_QUERY_REPLY, 1, {0, 2}, 0},       /* counter 0 with a writer */
        {QUORUM_QUERY_REPLY, 1, {0, 0}, V(2, 1)}, /* counter 0 with a value */
        {QUORUM_STORE, 1, {4, 2}, 0},             /* a write of nil */
        {QUORUM_STORE, 1, {4, 2}, V(2, 0)},       /* a writer's sequence 0 */
        {(enum quorum_wire_kind)5, 1, {4, 2}, V(2, 1)},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char p[QUORUM_WIRE_BYTES];
        quorum_wire_encode(&bad[i], p);
        struct quorum_wire d;
        cr_assert(!quorum_wire_decode(p, sizeof p, &d), "case %zu accepted", i);
    }
    /* the initial pair is a valid answer */
    const struct quorum_wire nil = {QUORUM_QUERY_REPLY, 1, {0, 0}, 0};
    unsigned char p[QUORUM_WIRE_BYTES];
    quorum_wire_encode(&nil, p);
    struct quorum_wire d;
    cr_assert(quorum_wire_decode(p, sizeof p, &d));
    cr_assert(quorum_tag_less((struct quorum_tag){1, 9}, (struct quorum_tag){2, 0}));
    cr_assert(quorum_tag_less((struct quorum_tag){2, 0}, (struct quorum_tag){2, 1}));
    cr_assert(!quorum_tag_less((struct quorum_tag){2, 1}, (struct quorum_tag){2, 1}));
}

/* --- the replica, driven by a script --------------------------------------------------- */

struct step {
    int64_t at_ns;
    int kind; /* enum quorum_wire_kind, or RAW */
    uint64_t counter;
    uint32_t writer;
    uint64_t value_id;
};

/* The replica crashes at 75 ms for 5 ms (see replica_text). */
static const struct step script[] = {
    {0 * MS, QUORUM_QUERY, 0, 0, 0},            /* s0: nil */
    {10 * MS, QUORUM_STORE, 2, 7, V(7, 1)},     /* s1: newer: kept (R1), acked (R2) */
    {20 * MS, QUORUM_QUERY, 0, 0, 0},           /* s2: (2, 7) */
    {30 * MS, QUORUM_STORE, 1, 9, V(9, 1)},     /* s3: older: acked, not kept (R2) */
    {40 * MS, QUORUM_QUERY, 0, 0, 0},           /* s4: still (2, 7) */
    {50 * MS, QUORUM_STORE, 2, 7, V(7, 2)},     /* s5: tag held, another value (R3) */
    {60 * MS, QUORUM_STORE, 2, 8, V(8, 1)},     /* s6: (2, 8) > (2, 7): kept */
    {70 * MS, RAW, 0, 0, 0},                    /* s7: garbage (R4) */
    {90 * MS, QUORUM_QUERY, 0, 0, 0},           /* s8: after the crash: (2, 8) (durable) */
    {100 * MS, QUORUM_QUERY, 3, 1, V(1, 1)},    /* s9: a query carrying a pair (R4) */
    {110 * MS, QUORUM_STORE_ACK, 3, 1, V(1, 1)}, /* s10: an answer sent as a request (R4) */
};
#define SCRIPT_STEPS (sizeof script / sizeof script[0])
_Static_assert(SCRIPT_STEPS <= STEPS_MAX, "script longer than the driver's memory");

struct driver_volatile {
    uint64_t msg_ids[STEPS_MAX];
};

static const struct murphy_param_spec driver_params[] = {
    {"replica", MURPHY_PARAM_GROUP, "replica", 0, 0, "the replica driven"},
};

static void driver_plan(struct murphy_node *node, uint64_t i)
{
    if (i < SCRIPT_STEPS) murphy_timer_set(node, script[i].at_ns - murphy_mono_ns(node), i);
}

static void driver_on_start(struct murphy_node *node) { driver_plan(node, 0); }

static void driver_on_timer(struct murphy_node *node, uint64_t i)
{
    struct driver_volatile *v = murphy_volatile(node);
    cr_assert_lt(i, SCRIPT_STEPS);
    const struct step *s = &script[i];
    uint32_t target, count;
    murphy_param_group(node, "replica", &target, &count);
    unsigned char p[QUORUM_WIRE_BYTES] = "not a message, just bytes";
    if (s->kind != RAW) {
        struct quorum_wire w = {.kind = (enum quorum_wire_kind)s->kind, .op = 100 + i,
                                .tag = {s->counter, s->writer}, .value_id = s->value_id};
        quorum_wire_encode(&w, p);
    }
    v->msg_ids[i] = murphy_send(node, target, MURPHY_CLASS_REQUEST, p, sizeof p);
    driver_plan(node, i + 1);
}

static void driver_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct driver_volatile *v = murphy_volatile(node);
    for (size_t i = 0; i < SCRIPT_STEPS; i++) {
        if (!v->msg_ids[i] || v->msg_ids[i] != msg->reply_to_msg_id) continue;
        struct quorum_wire w;
        char note[96];
        if (quorum_wire_decode(msg->payload, msg->payload_bytes, &w) && w.op == 100 + i)
            snprintf(note, sizeof note, "s%zu:%d,%" PRIu64 ",%u,%u.%u", i, (int)w.kind,
                     w.tag.counter, w.tag.writer, (unsigned)(w.value_id >> 32),
                     (unsigned)w.value_id);
        else
            snprintf(note, sizeof note, "s%zu:bad", i);
        murphy_note(node, note);
        return;
    }
    murphy_note(node, "reply to nothing sent");
}

static const struct murphy_model driver_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "driver",
    .summary = "sends a fixed script of quorum register messages",
    .volatile_bytes = sizeof(struct driver_volatile),
    .params = driver_params,
    .param_count = sizeof driver_params / sizeof driver_params[0],
    .on_start = driver_on_start,
    .on_message = driver_on_message,
    .on_timer = driver_on_timer,
};

static const struct murphy_model *const models[] = {
    &models_quorum_replica, &models_quorum_client, &driver_model,
};
static const struct murphy_model_set model_set = {models, sizeof models / sizeof models[0], NULL, 0};

/* What a run showed: per node, its notes joined by ' '; and the client's history. */
#define NODES 8u
#define OPS_MAX 64u
struct seen {
    char notes[NODES][1024];
    size_t note_count[NODES];
    uint64_t ops_invoked, ops_ok;
    char last_written[32]; /* the value of the last write completed ok */
    uint64_t reads_ok, reads_of_last_write;
    char op_value[OPS_MAX + 1][32]; /* by op id: a write's value ("" for a read) */
};

static void append(char *out, size_t out_bytes, const char *text)
{
    size_t used = strlen(out);
    snprintf(out + used, out_bytes - used, "%s%s", used ? " " : "", text);
}

static void observe(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct seen *s = ctx;
    if (ev->kind == SIM_EV_NOTE && ev->node < NODES) {
        append(s->notes[ev->node], sizeof s->notes[0], text->s[0]);
        s->note_count[ev->node]++;
    } else if (ev->kind == SIM_EV_OP_INVOKE) {
        s->ops_invoked++;
        cr_assert_leq(ev->obj, OPS_MAX);
        snprintf(s->op_value[ev->obj], sizeof s->op_value[0], "%s",
                 text->s[2] ? text->s[2] : "");
    } else if (ev->kind == SIM_EV_OP_COMPLETE && ev->aux == MURPHY_OP_OK) {
        s->ops_ok++;
        const char *written = s->op_value[ev->obj];
        if (written[0]) {
            snprintf(s->last_written, sizeof s->last_written, "%s", written);
            return;
        }
        s->reads_ok++;
        const char *want = s->last_written[0] ? s->last_written : "nil";
        if (text->s[0] && strcmp(text->s[0], want) == 0) s->reads_of_last_write++;
    }
}

static void run(const char *text, const char *set, struct seen *seen)
{
    memset(seen, 0, sizeof *seen);
    model_run(text, set, &model_set, (struct sim_observer){seen, observe});
}

/* nodes: 0 replica, 1 driver */
static const char *const replica_text =
    "[scenario]\nduration = 1s\n"
    "[node.replica]\nmodel = quorum_replica\n"
    "[node.driver]\nmodel = driver\n"
    "[link.default]\ndelay = constant 1ms\n"
    "[faults]\ncrash = at 75ms crash replica for 5ms\n";

Test(quorum_models, replica_keeps_the_newest_pair_acks_stores_and_rejects_the_rest)
{
    struct seen s;
    run(replica_text, NULL, &s);
    cr_assert_str_eq(s.notes[1], "s0:2,0,0,0.0 s1:4,2,7,7.1 s2:2,2,7,7.1 s3:4,1,9,9.1"
                     " s4:2,2,7,7.1 s6:4,2,8,8.1 s8:2,2,8,8.1");
    cr_assert_eq(s.note_count[0], 4, "R3 once, R4 three times: %s", s.notes[0]);
    cr_assert(strstr(s.notes[0], "held here with another value"), "%s", s.notes[0]);
    cr_assert(strstr(s.notes[0], "rejected a malformed"), "%s", s.notes[0]);
}

/* A lone client (no loss, no faults): every operation ok, and every read returns the value
 * of the last write, nil before the first; the same with w = r = n and without repair. */
Test(quorum_models, lone_client_reads_what_it_wrote_last)
{
    const char *text =
        "[scenario]\nduration = 10s\n"
        "[node.replica]\nmodel = quorum_replica\ncount = 3\n"
        "[node.client]\nmodel = quorum_client\nreplicas = replica\nops = 60\n"
        "[link.default]\ndelay = lognormal 1ms 0.5\n";
    const char *sets[] = {NULL, "node.client.w=3", "node.client.r=3",
                          "node.client.read_repair=false"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct seen s;
        run(text, sets[i], &s);
        cr_assert_eq(s.ops_invoked, 60, "set %zu", i);
        cr_assert_eq(s.ops_ok, 60, "set %zu: %" PRIu64 " of 60 ok", i, s.ops_ok);
        cr_assert_gt(s.reads_ok, 10, "set %zu", i);
        cr_assert_lt(s.reads_ok, 50, "set %zu", i);
        cr_assert_eq(s.reads_of_last_write, s.reads_ok, "set %zu", i);
        for (uint32_t node = 0; node < 4; node++)
            cr_assert_eq(s.note_count[node], 0, "set %zu node %u: %s", i, node, s.notes[node]);
    }
}

/* w or r larger than the replicas: the client says so (a violation ends the run). */
Test(quorum_models, w_larger_than_the_replicas_is_refused)
{
    struct sim_scenario scn;
    struct sim_diag diag;
    const char *text = "[scenario]\nduration = 1s\n"
                       "[node.replica]\nmodel = quorum_replica\ncount = 3\n"
                       "[node.client]\nmodel = quorum_client\nreplicas = replica\nw = 4\n";
    cr_assert_eq(sim_scn_load_text("t.ini", text, strlen(text), NULL, 0, &model_set, &scn,
                                   &diag), 0, "%s", diag.message);
    struct sim_world *world = NULL;
    cr_assert_eq(sim_world_create(&scn, 1, &world, &diag), 0, "%s", diag.message);
    sim_world_run(world, UINT64_MAX, NULL);
    cr_assert_eq(sim_world_violation_count(world), 1);
    sim_world_destroy(world);
    sim_scn_free(&scn);
}
