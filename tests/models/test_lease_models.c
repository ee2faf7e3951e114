/* tests/models/test_lease_models.c - the lease models one by one: the store's fencing
 * (store_server S1-S4), the lock's grants, expiry, releases and restart (lease_server
 * L1-L4), and a lone lease client's loop (lease_client K1). How: a scripted driver model
 * defined here sends exact messages (models/lease_wire.h) at fixed times to the model
 * under test, in a world run in-process, and writes every answer it gets into a note
 * ("s<step>:<kind>,<field0>,<field1>"); the test compares the whole transcript, the
 * claims the model made and the notes it wrote with what its invariants say, to the
 * message. Links have a constant 1 ms delay and clocks no drift, so times are exact. */
#include <criterion/criterion.h>

#include "model_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/lease_wire.h"
#include "models/models.h"
#include "sim/world.h"

#define MS INT64_C(1000000)
#define STEPS_MAX 16u
#define RAW (-1) /* a step that sends bytes that are no message */

struct step {
    int64_t at_ns;
    const char *target; /* "lock" or "store" */
    int kind;           /* enum lease_msg_kind, or RAW */
    int64_t field[LEASE_WIRE_FIELDS_MAX];
};

static const struct step store_script[] = {
    {0 * MS, "store", STORE_MSG_READ, {5}},
    {10 * MS, "store", STORE_MSG_WRITE, {5, 1, 0}},
    {20 * MS, "store", STORE_MSG_READ, {3}},        /* older token: S1 */
    {30 * MS, "store", STORE_MSG_WRITE, {4, 9, 1}}, /* older token: S1 */
    {40 * MS, "store", STORE_MSG_WRITE, {5, 1, 0}}, /* the accepted write again: S4 */
    {50 * MS, "store", STORE_MSG_WRITE, {6, 2, 7}}, /* a version never reached: S3 */
    {60 * MS, "store", STORE_MSG_READ, {0}},        /* a token never granted */
    {70 * MS, "store", RAW, {0}},
    {80 * MS, "store", STORE_MSG_READ, {6}},
    {90 * MS, "store", STORE_MSG_WRITE, {6, 2, 1}},
};

/* Lock, lease 100 ms; a starts, b contends. Grants reach the lock 1 ms after sending. */
static const struct step lock_script_a[] = {
    {0 * MS, "lock", LEASE_MSG_ACQUIRE, {0}},   /* token 1 until 101 */
    {20 * MS, "lock", LEASE_MSG_ACQUIRE, {0}},  /* the holder again: token 2 until 121 */
    {140 * MS, "lock", LEASE_MSG_RELEASE, {2}}, /* too late: b holds token 3 (L3) */
    {150 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* busy */
    {170 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* free again: token 4; lock crashes at 180 */
};

static const struct step lock_script_b[] = {
    {10 * MS, "lock", LEASE_MSG_ACQUIRE, {0}},  /* busy (L1) */
    {30 * MS, "lock", LEASE_MSG_RELEASE, {2}},  /* not the holder: ignored (L3) */
    {40 * MS, "lock", LEASE_MSG_ACQUIRE, {0}},  /* busy */
    {115 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* 116 < 121: still busy */
    {130 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* expired: token 3 */
    {160 * MS, "lock", LEASE_MSG_RELEASE, {3}}, /* frees it */
    {200 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* restarted at 190: busy until 290 (L4) */
    {300 * MS, "lock", LEASE_MSG_ACQUIRE, {0}}, /* token 5: the counter survived (L2) */
    {305 * MS, "lock", RAW, {0}},
};

static const struct {
    const struct step *steps;
    size_t count;
} scripts[] = {
    {store_script, sizeof store_script / sizeof store_script[0]},
    {lock_script_a, sizeof lock_script_a / sizeof lock_script_a[0]},
    {lock_script_b, sizeof lock_script_b / sizeof lock_script_b[0]},
};

struct driver_volatile {
    uint64_t msg_ids[STEPS_MAX];
};

static const struct murphy_param_spec driver_params[] = {
    {"script", MURPHY_PARAM_INT, "0", 0, 2, "which script"},
    {"lock", MURPHY_PARAM_GROUP, "lock", 0, 0, "the lock"},
    {"store", MURPHY_PARAM_GROUP, "store", 0, 0, "the store"},
};

static const struct step *driver_step(const struct murphy_node *node, uint64_t i)
{
    int64_t script = murphy_param_i64(node, "script");
    return i < scripts[script].count ? &scripts[script].steps[i] : NULL;
}

static void driver_plan(struct murphy_node *node, uint64_t i)
{
    const struct step *s = driver_step(node, i);
    if (s) murphy_timer_set(node, s->at_ns - murphy_mono_ns(node), i);
}

static void driver_on_start(struct murphy_node *node) { driver_plan(node, 0); }

static void driver_on_timer(struct murphy_node *node, uint64_t i)
{
    struct driver_volatile *v = murphy_volatile(node);
    const struct step *s = driver_step(node, i);
    cr_assert_not_null(s);
    uint32_t target, count;
    murphy_param_group(node, s->target, &target, &count);
    unsigned char bytes[LEASE_WIRE_BYTES_MAX] = "not a message, just bytes";
    size_t byte_count = 24;
    if (s->kind != RAW) {
        struct lease_wire_msg m = {.kind = (enum lease_msg_kind)s->kind};
        memcpy(m.field, s->field, sizeof m.field);
        byte_count = lease_wire_encode(&m, bytes);
    }
    v->msg_ids[i] = murphy_send(node, target, MURPHY_CLASS_REQUEST, bytes, byte_count);
    driver_plan(node, i + 1);
}

static void driver_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct driver_volatile *v = murphy_volatile(node);
    for (size_t i = 0; i < STEPS_MAX; i++) {
        if (!v->msg_ids[i] || v->msg_ids[i] != msg->reply_to_msg_id) continue;
        struct lease_wire_msg m;
        char note[96];
        if (lease_wire_decode(msg->payload, msg->payload_bytes, &m))
            snprintf(note, sizeof note, "s%zu:%d,%" PRId64 ",%" PRId64, i, (int)m.kind,
                     m.field[0], m.field[1]);
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
    .summary = "sends a fixed script of lease messages",
    .volatile_bytes = sizeof(struct driver_volatile),
    .params = driver_params,
    .param_count = sizeof driver_params / sizeof driver_params[0],
    .on_start = driver_on_start,
    .on_message = driver_on_message,
    .on_timer = driver_on_timer,
};

static const struct murphy_model *const models[] = {
    &models_lease_server, &models_store_server, &models_lease_client, &driver_model,
};
static const struct murphy_model_set model_set = {models, sizeof models / sizeof models[0], NULL, 0};

/* What a run showed: per node, its notes joined by ' '; all claims as name(node:a,b). */
#define NODES 4u
struct seen {
    char notes[NODES][1024];
    size_t note_count[NODES];
    char claims[2048];
    uint64_t ops_invoked, ops_ok;
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
    } else if (ev->kind == SIM_EV_CLAIM) {
        char claim[128];
        snprintf(claim, sizeof claim, "%s(%u:%" PRId64 ",%" PRId64 ")", text->s[0], ev->node,
                 (int64_t)ev->obj, (int64_t)ev->ref);
        append(s->claims, sizeof s->claims, claim);
    } else if (ev->kind == SIM_EV_OP_INVOKE) {
        s->ops_invoked++;
    } else if (ev->kind == SIM_EV_OP_COMPLETE && ev->aux == MURPHY_OP_OK) {
        s->ops_ok++;
    }
}

static void run(const char *text, const char *set, struct seen *seen)
{
    memset(seen, 0, sizeof *seen);
    model_run(text, set, &model_set, (struct sim_observer){seen, observe});
}

/* nodes: 0 lock, 1 store, 2 a, 3 b */
static const char *const store_text =
    "[scenario]\nduration = 1s\n"
    "[node.lock]\nmodel = lease_server\n"
    "[node.store]\nmodel = store_server\n"
    "[node.a]\nmodel = driver\nscript = 0\n"
    "[link.default]\ndelay = constant 1ms\n";

Test(lease_models, store_with_fencing_refuses_older_tokens_on_reads_and_writes)
{
    struct seen s;
    run(store_text, NULL, &s);
    cr_assert_str_eq(s.notes[2], "s0:6,0,0 s1:8,1,0 s2:9,5,0 s3:9,5,0 s4:8,1,0 s8:6,1,1"
                     " s9:8,2,0");
    cr_assert_str_eq(s.claims, "store.accept(1:5,0) store.reject_read(1:3,5)"
                     " store.reject(1:4,5) store.accept(1:6,1)");
    cr_assert_eq(s.note_count[1], 4, "duplicate, future version, token 0, garbage: %s",
                 s.notes[1]);
}

Test(lease_models, store_without_fencing_serves_every_token)
{
    struct seen s;
    run(store_text, "node.store.fencing=false", &s);
    /* the stale write of token 5 on version 0 is applied: version 3, the update lost */
    cr_assert_str_eq(s.notes[2], "s0:6,0,0 s1:8,1,0 s2:6,1,1 s3:8,2,0 s4:8,3,0 s8:6,1,3"
                     " s9:8,4,0");
    cr_assert_str_eq(s.claims, "store.accept(1:5,0) store.accept(1:4,1) store.accept(1:5,0)"
                     " store.accept(1:6,1)");
    cr_assert_eq(s.note_count[1], 3, "future version, token 0, garbage: %s", s.notes[1]);
}

static const char *const lock_text =
    "[scenario]\nduration = 1s\n"
    "[node.lock]\nmodel = lease_server\nlease = 100ms\n"
    "[node.store]\nmodel = store_server\n"
    "[node.a]\nmodel = driver\nscript = 1\n"
    "[node.b]\nmodel = driver\nscript = 2\n"
    "[link.default]\ndelay = constant 1ms\n"
    "[faults]\ncrash = at 180ms crash lock for 10ms\n";

Test(lease_models, lock_grants_one_lease_at_a_time_with_increasing_tokens)
{
    struct seen s;
    run(lock_text, NULL, &s);
    cr_assert_str_eq(s.notes[2], "s0:3,1,100000000 s1:3,2,100000000 s3:4,0,0"
                     " s4:3,4,100000000");
    cr_assert_str_eq(s.notes[3], "s0:4,0,0 s2:4,0,0 s3:4,0,0 s4:3,3,100000000 s6:4,0,0"
                     " s7:3,5,100000000");
    cr_assert_str_eq(s.claims, "lease.grant(0:2,1) lease.grant(0:2,2) lease.grant(0:3,3)"
                     " lease.grant(0:2,4) lease.grant(0:3,5)");
    cr_assert_eq(s.note_count[0], 3, "two stale releases and garbage: %s", s.notes[0]);
}

/* A lone client with no pauses: every operation is a write, in order. */
Test(lease_models, lone_client_writes_every_operation)
{
    struct seen s;
    run("[scenario]\nduration = 10s\n"
        "[node.lock]\nmodel = lease_server\nlease = 150ms\n"
        "[node.store]\nmodel = store_server\n"
        "[node.client]\nmodel = lease_client\nlock = lock\nstore = store\nops = 40\n"
        "[link.default]\ndelay = constant 1ms\n", NULL, &s);
    cr_assert_eq(s.ops_invoked, 40);
    cr_assert_eq(s.ops_ok, 40, "%" PRIu64 " of 40 ok", s.ops_ok);
    for (int64_t version = 0; version < 40; version++) {
        char want[64];
        snprintf(want, sizeof want, "store.accept(1:%" PRId64 ",%" PRId64 ")", version + 1,
                 version);
        cr_assert_not_null(strstr(s.claims, want), "no %s in %s", want, s.claims);
    }
    cr_assert_eq(s.note_count[0] + s.note_count[1] + s.note_count[2], 0, "%s %s %s",
                 s.notes[0], s.notes[1], s.notes[2]);
}
