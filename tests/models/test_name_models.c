/* tests/models/test_name_models.c - the unique-name registry's parts one by one: its wire
 * format (models/name_wire.h: round trip with the fencing token, every flipped bit
 * rejected, tokens that do not fit their kind rejected) and a replica's answers as a peer
 * (models/name_registry.c N1, N4, N5: GRANT only for a free or same-client name AND a
 * proposal above its counter, which it then stores durably; STALE with its counter
 * otherwise; DENY for another client's name; a naive notice raising the counter). How:
 * the replica is driven by a scripted model defined here that, as its one peer, sends
 * exact RESERVE messages at fixed times, in a world run in-process, and writes every
 * answer into a note ("s<step>:<kind>,<token>"); the test compares the whole transcript
 * with what the invariants say. Links have a constant 1 ms delay. */
#include <criterion/criterion.h>

#include "model_run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/models.h"
#include "models/name_wire.h"
#include "sim/world.h"

#define MS INT64_C(1000000)
#define STEPS_MAX 16u
#define RAW 0 /* a step that sends bytes no decoder accepts (a RESERVE of token 0) */

/* --- the wire format ------------------------------------------------------------------ */

Test(name_wire, round_trip_and_every_flipped_bit_is_rejected)
{
    struct name_wire w = {.kind = NAME_GRANT, .name_id = 77, .client = 5,
                          .attempt = UINT64_C(3) << 40 | 9, .token = UINT64_C(0x0102030405)};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    struct name_wire d = {0};
    cr_assert(name_wire_decode(p, sizeof p, &d));
    cr_assert_eq(d.kind, NAME_GRANT);
    cr_assert_eq(d.name_id, 77);
    cr_assert_eq(d.client, 5);
    cr_assert_eq(d.attempt, UINT64_C(3) << 40 | 9);
    cr_assert_eq(d.token, UINT64_C(0x0102030405));
    for (size_t bit = 0; bit < 8 * sizeof p; bit++) {
        p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        cr_assert(!name_wire_decode(p, sizeof p, &d), "bit %zu flipped and accepted", bit);
        p[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    }
    cr_assert(!name_wire_decode(p, sizeof p - 1, &d));
    cr_assert(!name_wire_decode(NULL, sizeof p, &d));
}

Test(name_wire, tokens_that_do_not_fit_their_kind_are_rejected)
{
    const struct name_wire bad[] = {
        {NAME_REGISTER, 1, 2, 0, 4}, /* a request carrying a token */
        {NAME_FAIL, 1, 2, 0, 4},     /* a refusal carrying one */
        {NAME_OK, 1, 2, 0, 0},       /* a grant of token 0: below every real one */
        {NAME_RESERVE, 1, 2, 7, 0},
        {NAME_GRANT, 1, 2, 7, 0},
        {NAME_STALE, 1, 2, 7, 0},
        {(enum name_wire_kind)8, 1, 2, 7, 4},
        {NAME_OK, 0, 2, 0, 4},                  /* name 0 */
        {NAME_OK, NAME_POOL_MAX + 1, 2, 0, 4}, /* name beyond the pool */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char p[NAME_WIRE_BYTES];
        name_wire_encode(&bad[i], p);
        struct name_wire d;
        cr_assert(!name_wire_decode(p, sizeof p, &d), "case %zu accepted", i);
    }
    const struct name_wire good[] = {
        {NAME_REGISTER, 1, 2, 0, 0}, {NAME_FAIL, 1, 2, 0, 0}, {NAME_OK, 1, 2, 0, 1},
        {NAME_DENY, 1, 2, 7, 0},     {NAME_DENY, 1, 2, 7, 9}, {NAME_STALE, 1, 2, 7, 9},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        unsigned char p[NAME_WIRE_BYTES];
        name_wire_encode(&good[i], p);
        struct name_wire d;
        cr_assert(name_wire_decode(p, sizeof p, &d), "case %zu rejected", i);
    }
}

/* --- a replica as a peer, driven by a script -------------------------------------------- */

struct step {
    int64_t at_ns;
    int kind;         /* NAME_RESERVE, or RAW */
    bool is_notice;   /* attempt 0: a naive replica's fire-and-forget RESERVE */
    uint32_t name_id;
    uint32_t client;
    uint64_t token;
};

/* The replica crashes at 75 ms for 5 ms (see replica_text). */
static const struct step script[] = {
    {0 * MS, NAME_RESERVE, false, 5, 9, 3},   /* s0: free, above 0: GRANT 3 */
    {10 * MS, NAME_RESERVE, false, 5, 9, 3},  /* s1: not above 3: STALE 3 (a repeat) */
    {20 * MS, NAME_RESERVE, false, 5, 9, 2},  /* s2: below: STALE 3 */
    {30 * MS, NAME_RESERVE, false, 5, 8, 10}, /* s3: client 9's name: DENY, nothing kept */
    {40 * MS, NAME_RESERVE, false, 5, 9, 7},  /* s4: same client, above 3: GRANT 7 */
    {50 * MS, NAME_RESERVE, true, 6, 9, 20},  /* s5: a notice: no answer, counter 20 */
    {60 * MS, NAME_RESERVE, false, 6, 9, 20}, /* s6: STALE 20 */
    {70 * MS, RAW, false, 6, 9, 0},           /* s7: token 0: malformed, noted (N4) */
    {90 * MS, NAME_RESERVE, false, 5, 9, 7},  /* s8: after the crash: STALE 7 (durable) */
    {100 * MS, NAME_RESERVE, false, 6, 9, 21}, /* s9: GRANT 21 */
    {110 * MS, NAME_RESERVE, false, 5, 9, 9},  /* s10: GRANT 9: s3's 10 was not kept */
};
#define SCRIPT_STEPS (sizeof script / sizeof script[0])
_Static_assert(SCRIPT_STEPS <= STEPS_MAX, "script longer than the driver's memory");

static const struct murphy_param_spec driver_params[] = {
    {"replica", MURPHY_PARAM_GROUP, "registry", 0, 0, "the replica driven"},
};

static void driver_plan(struct murphy_node *node, uint64_t i)
{
    if (i < SCRIPT_STEPS) murphy_timer_set(node, script[i].at_ns - murphy_mono_ns(node), i);
}

static void driver_on_start(struct murphy_node *node) { driver_plan(node, 0); }

static void driver_on_timer(struct murphy_node *node, uint64_t i)
{
    cr_assert_lt(i, SCRIPT_STEPS);
    const struct step *s = &script[i];
    uint32_t target, count;
    murphy_param_group(node, "replica", &target, &count);
    struct name_wire w = {.kind = NAME_RESERVE, .name_id = s->name_id, .client = s->client,
                          .attempt = s->is_notice ? 0 : 100 + i, .token = s->token};
    unsigned char p[NAME_WIRE_BYTES];
    name_wire_encode(&w, p);
    murphy_send(node, target, MURPHY_CLASS_REPLICATION, p, sizeof p);
    driver_plan(node, i + 1);
}

static void driver_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct name_wire w;
    char note[96];
    if (!name_wire_decode(msg->payload, msg->payload_bytes, &w) || w.attempt < 100 ||
        w.attempt >= 100 + SCRIPT_STEPS) {
        murphy_note(node, "bad answer");
        return;
    }
    const struct step *s = &script[w.attempt - 100];
    bool is_echo = w.name_id == s->name_id && w.client == s->client;
    snprintf(note, sizeof note, "s%" PRIu64 ":%s,%" PRIu64, w.attempt - 100,
             !is_echo ? "mismatch" : w.kind == NAME_GRANT ? "grant"
                      : w.kind == NAME_STALE ? "stale" : w.kind == NAME_DENY ? "deny" : "other",
             w.token);
    murphy_note(node, note);
}

static const struct murphy_model driver_model = {
    .api_version = MURPHY_API_VERSION,
    .name = "driver",
    .summary = "sends a fixed script of name registry reservations, as a peer",
    .params = driver_params,
    .param_count = sizeof driver_params / sizeof driver_params[0],
    .on_start = driver_on_start,
    .on_message = driver_on_message,
    .on_timer = driver_on_timer,
};

static const struct murphy_model *const models[] = {
    &models_name_registry, &models_name_client, &driver_model,
};
static const struct murphy_model_set model_set = {models, sizeof models / sizeof models[0], NULL, 0};

#define NODES 4u
struct seen {
    char notes[NODES][1024];
    size_t note_count[NODES];
};

static void observe(void *ctx, const struct sim_event *ev, const struct sim_event_text *text)
{
    struct seen *s = ctx;
    if (ev->kind != SIM_EV_NOTE || ev->node >= NODES) return;
    char *out = s->notes[ev->node];
    size_t used = strlen(out);
    snprintf(out + used, sizeof s->notes[0] - used, "%s%s", used ? " " : "", text->s[0]);
    s->note_count[ev->node]++;
}

/* nodes: 0 registry, 1 driver (its only peer) */
static const char *const replica_text =
    "[scenario]\nduration = 1s\n"
    "[node.registry]\nmodel = name_registry\npeers = driver\n"
    "[node.driver]\nmodel = driver\n"
    "[link.default]\ndelay = constant 1ms\n"
    "[faults]\ncrash = at 75ms crash registry for 5ms\n";

Test(name_models, peer_grants_only_above_its_counter_and_keeps_it_across_a_crash)
{
    static struct seen s;
    memset(&s, 0, sizeof s);
    model_run(replica_text, NULL, &model_set, (struct sim_observer){&s, observe});
    cr_assert_str_eq(s.notes[1], "s0:grant,3 s1:stale,3 s2:stale,3 s3:deny,0 s4:grant,7"
                     " s6:stale,20 s8:stale,7 s9:grant,21 s10:grant,9");
    cr_assert_eq(s.note_count[0], 1, "N4 once: %s", s.notes[0]);
    cr_assert(strstr(s.notes[0], "rejected a malformed"), "%s", s.notes[0]);
}
